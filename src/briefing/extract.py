"""Article page -> ExtractedPage, and the quality gate that chooses page or feed text.

The only trafilatura import. `extract_page` runs inside a worker process (see `workers.py`) because
trafilatura has no timeout of its own; it receives bytes, decodes them itself (so trafilatura's
magic-byte decompression never runs) and hands trafilatura a str.
"""

from __future__ import annotations

import re

from briefing.errors import ExtractError
from briefing.htmltext import TITLE_CHARS, clean_labels, decode_html, normalise_text, parse_page, shorten
from briefing.models import ExtractedPage, ExtractionOutcome
from briefing.models.vocabulary import TextSource
from briefing.pagemeta import page_metadata
from briefing.testing_hooks import crash_point

# Phrases that, in a short text, mean we got a wall or a shell instead of the article.
_STUB = re.compile(
    r"(enable javascript|javascript is (required|disabled)|subscribe to (continue|read)|"
    r"sign in to (continue|read)|please verify you are a human|access denied|cookies? (policy|settings)|"
    r"this content is (only )?available to subscribers|page not found|404 not found)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\S*\w\S*")
_RULE_ROW = re.compile(r"^[\s|:\-]+$")
_EMPTY_CELLS = re.compile(r"\|(?:\s*\|){3,}")  # three or more empty cells in a row: span padding
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_LINE = re.compile(
    rf"^\s*((\w+day,?\s+)?({_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})"
    r"(\s+\d{1,2}:\d{2})?|\d{4}-\d{2}-\d{2})\s*$",
    re.IGNORECASE,
)


def extract_page(body: bytes, content_type: str, url: str) -> ExtractedPage | None:
    """Extract the main text and metadata of an article page.

    trafilatura gives the text alone; title, authors, date and language come from what the page declares
    (`pagemeta`), which costs a fraction of trafilatura's metadata pass. Returns None when trafilatura
    finds no main text. Runs in a worker: may be killed at its deadline.
    """
    import trafilatura  # here, in the worker: the main process never pays for importing it

    crash_point("extract", url)
    markup = decode_html(body, content_type)
    # trafilatura's own clean-up (control characters, a self-closing <html/>), then our parse, which
    # unlike trafilatura's keeps text nested deeper than 256 levels; anything odd goes its own way.
    markup = trafilatura.utils.repair_faulty_html(markup, markup[:50].lower())
    tree = parse_page(markup)
    meta = page_metadata(tree, url)  # before trafilatura, which prunes the tree it is given
    try:
        doc = trafilatura.bare_extraction(
            tree if tree is not None and len(tree) else markup,
            url=url,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except MemoryError:
        raise ExtractError("memory", "extractor ran out of memory") from None
    except Exception as e:  # third-party failure on hostile input: this article only
        raise ExtractError("failed", f"extractor failed: {type(e).__name__}: {e}"[:300]) from e
    if doc is None:
        return None
    data = doc if isinstance(doc, dict) else doc.as_dict()
    if not data.get("text"):
        return None
    title = normalise_text(meta.title)
    return ExtractedPage(
        text=_paragraphs(data["text"], title),
        title=shorten(title, TITLE_CHARS),
        authors=clean_labels(meta.authors),
        date=meta.date,
        language=meta.language,
    )


def _paragraphs(text: str, title: str) -> str:
    # trafilatura separates paragraphs with one newline; the rest of briefing uses a blank line.
    lines = [_tidy_row(line) for line in normalise_text(text).split("\n")]
    lines = [line for line in lines if line.strip()]
    # The headline and a dateline left over from the page header are not article text.
    while lines and (lines[0] == title or _DATE_LINE.match(lines[0])):
        lines.pop(0)
    return "\n\n".join(lines)


def _tidy_row(line: str) -> str:
    """A table row as trafilatura writes it, without the padding of spanned cells (a colspan of 100
    makes 99 empty cells; one or two empty cells are kept, they hold a column's place) and without
    Markdown rule lines, which are no text for a reader."""
    if not line.lstrip().startswith("|"):
        return line
    if _RULE_ROW.match(line):
        return ""
    return _EMPTY_CELLS.sub("|", line)


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def restore_lead(page_text: str, feed_text: str) -> tuple[str, bool]:
    """Page text with the feed's lead paragraph put back in front when the extractor dropped it.

    Some templates (Joomla K2 among them) keep the lead in a separate intro block that extractors skip;
    the feed carries that lead, so it is restored from there rather than lost.
    """
    feed_paragraphs = [p for p in feed_text.split("\n\n") if p.strip()]
    if not feed_paragraphs or not page_text.strip():
        return page_text, False
    lead = feed_paragraphs[0].strip()
    if len(lead.split()) < 8 or _key(lead)[:200] in _key(page_text):
        return page_text, False
    return lead + "\n\n" + page_text, True


def words(text: str) -> int:
    """Words of running text: tokens with a letter or digit in them (not the | of table cells)."""
    return len(_WORD.findall(text))


def choose_text(page: ExtractedPage | None, feed_text: str, min_words: int) -> ExtractionOutcome:
    """The quality gate: decide whether the extracted page text or the feed's own text is kept.

    The page wins unless it is empty, shorter than `min_words` while the feed has more, a stub (paywall,
    consent wall, "enable JavaScript"), or clearly shorter than a feed that already carries the full text.
    """
    feed_words = words(feed_text)
    fallback_source: TextSource = "feed" if feed_text.strip() else "none"
    if page is None or not page.text.strip():
        return ExtractionOutcome(
            "no_text",
            fallback_source,
            feed_text,
            "no main text found on the page; kept the feed text",
            page,
        )
    page_words = words(page.text)
    if page_words < 150 and _STUB.search(page.text):
        return ExtractionOutcome(
            "boilerplate",
            fallback_source,
            feed_text,
            f"page text looks like a wall or stub ({page_words} words)",
            page,
        )
    if page_words < min_words and feed_words > page_words:
        return ExtractionOutcome(
            "short",
            fallback_source,
            feed_text,
            f"page text too short ({page_words} words; feed has {feed_words})",
            page,
        )
    if feed_words >= min_words and page_words < 0.6 * feed_words:
        return ExtractionOutcome(
            "short",
            "feed",
            feed_text,
            f"page text ({page_words} words) lost to the feed's full text ({feed_words} words)",
            page,
        )
    text, restored = restore_lead(page.text, feed_text)
    detail = f"{page_words} words from the page" + (
        "; lead paragraph restored from the feed" if restored else ""
    )
    return ExtractionOutcome("ok", "page", text, detail, page)
