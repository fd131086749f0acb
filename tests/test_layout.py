"""The brief as an analyst reads it: the week on page one, short entries with exact provenance, a length
that stays readable. Structure is checked on the golden demo brief (tests/golden, SAMPLE DATA)."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from briefing.brief import lead_and_facts
from briefing.models import Brief, Quote
from briefing.render import pdf_bytes, render_html
from briefing.serialize import brief_from_dict, to_data
from briefing.urls import text_fragment_link
from briefing.wording import class_in_words, counts_in_words, shortened

GOLDEN = Path(__file__).parent / "golden"
BENCH = Path(__file__).parents[1] / "benchmarks" / "render_bench.py"


def golden(name: str = "brief.json") -> Brief:
    return brief_from_dict(json.loads((GOLDEN / name).read_text(encoding="utf-8")))


class Blocks(HTMLParser):
    """The text of every element with one of `classes`, with its attributes and the links inside it."""

    def __init__(self, classes: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.classes = classes
        self.found: list[dict[str, Any]] = []
        self._open: list[tuple[str, dict[str, Any] | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        mine = set((a.get("class") or "").split()) & self.classes
        block = (
            {"tag": tag, "class": " ".join(sorted(mine)), "attrs": a, "text": "", "links": []}
            if mine
            else None
        )
        if block is not None:
            self.found.append(block)
        if tag == "a":
            for _, b in self._open:
                if b is not None:
                    b["links"].append(a.get("href") or "")
        if tag not in ("br", "meta", "link", "img", "input", "hr", "rect", "line"):
            self._open.append((tag, block))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for _, b in self._open:
            if b is not None:
                b["text"] += data


def blocks(html: str, *classes: str) -> list[dict[str, Any]]:
    parser = Blocks(set(classes))
    parser.feed(html)
    return parser.found


def reading_text(html: str) -> str:
    """What a reader sees: the body without the style sheet, tags or the SVG charts' markup."""
    body = html[html.index("<body>") :]
    body = re.sub(r"<svg.*?</svg>", "", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_page_one_is_the_week_in_brief() -> None:
    brief = golden()
    html = render_html(brief)
    items = blocks(html, "week-list")[0]
    abouts = [b["text"] for b in blocks(html, "about")][: len(brief.key)]
    quotes = [b for b in blocks(html, "q")][: len(brief.key)]
    assert 5 <= len(brief.key) <= 8 and items["tag"] == "ol"
    for k, about, quote in zip(brief.key, abouts, quotes, strict=True):
        assert k.quote is not None and quote["text"].strip("“”").startswith(shortened(k.quote.text)[:60])
        assert k.publisher in about and re.search(r"\d{1,2} [A-Z][a-z]{2} 2026", about), about
        if k.kind == "new":
            assert "new story" in about
        else:
            assert k.develops and f"develops “{k.develops}”" in about and "last heard" in about, about
    text = reading_text(html)
    assert counts_in_words(brief.counts) in text
    assert (
        "Not heard from: caci-feature (Central Asia-Caucasus Analyst), HTTP 500 Internal Server Error" in text
    )
    # Page one comes before the first entry, in the HTML as in the PDF.
    assert html.index('class="week-list"') < html.index('<article class="entry')


def test_entries_are_short_and_repeat_nothing() -> None:
    brief = golden()
    html = render_html(brief)
    entries = blocks(html, "entry")
    shown = [e for s in brief.sections for e in s.entries]
    assert len(entries) == len(shown) >= 10
    for block, e in zip(entries, shown, strict=True):
        quotes = [q for q in (e.lead, *e.facts) if q is not None]
        assert e.lead is not None and len(e.facts) <= 3
        words = [" ".join(re.findall(r"\w+", q.text.casefold())) for q in quotes]
        assert all(a not in b for i, a in enumerate(words) for j, b in enumerate(words) if i != j), e.title
        for q in quotes:
            assert block["text"].count(q.text) == 1, q.text  # no summary repeating the quotes
        assert not any(q.text.startswith(("BACKGROUND:", "IMPLICATIONS:", "CONCLUSIONS:")) for q in quotes)
    text = reading_text(html)
    for noise in (
        "characters ",
        "score ",
        "Key terms",
        "Summary, in",
        "new terms",
        brief.method.baseline_key,
    ):
        assert noise not in text, noise


def test_every_quote_keeps_its_position_and_links_to_its_sentence() -> None:
    brief = golden()
    html = render_html(brief)
    by_start = {
        (q.start, q.end): q for s in brief.sections for e in s.entries for q in (e.lead, *e.facts) if q
    }
    spans = blocks(html, "q")
    assert len(spans) >= len(by_start)
    for span in spans:
        q = by_start.get((int(span["attrs"]["data-start"]), int(span["attrs"]["data-end"])))
        assert q is not None and q.end - q.start == len(q.text)
        if span["text"].endswith(" …”"):  # shortened on page one; its entry quotes it whole
            assert q.text.startswith(span["text"][1:-3])
        else:
            assert span["text"] == f"“{q.text}”"
    sources = [b["links"] for b in blocks(html, "lead", "facts")]
    directives = [h.split(":~:text=")[1] for links in sources for h in links if ":~:text=" in h]
    assert len(directives) >= len(by_start)
    quoted = [q.text for q in by_start.values()]
    for directive in directives:
        # Split before decoding: a comma inside the quote is encoded, the one between start and end is not.
        start, _, end = (unquote(part) for part in directive.partition(","))
        assert any(t.startswith(start) and t.endswith(end) for t in quoted), directive
    saved = json.dumps(to_data(brief))
    assert '"lead": {' in saved and '"start": ' in saved  # brief.json keeps the offsets


def test_a_text_fragment_encodes_what_its_syntax_reserves() -> None:
    text = "Armenia-Azerbaijan talks, in Washington & Baku, moved on the Zangezur corridor at last."
    link = text_fragment_link("https://example.org/a?x=1", text)
    assert link == (
        "https://example.org/a?x=1#:~:text=Armenia%2DAzerbaijan%20talks%2C%20in%20Washington,"
        "Zangezur%20corridor%20at%20last."
    )
    assert text_fragment_link("https://example.org/a#top", "Short one.") == (
        "https://example.org/a#top:~:text=Short%20one."
    )
    assert text_fragment_link("https://example.org/a#:~:text=old", "New words.") == (
        "https://example.org/a#:~:text=old&text=New%20words."
    )
    assert text_fragment_link("javascript:alert(1)", text) == ""


def q(text: str, start: int) -> Quote:
    return Quote(text, start, start + len(text))


def test_lead_and_facts_skip_overlaps_and_restatements_and_drop_section_labels() -> None:
    lead, facts = lead_and_facts(
        [
            q("IMPLICATIONS: Baku signed the deal on 3 May.", 0),
            q("NATO: allies will meet in June.", 300),  # who speaks is not a section label
            q("Baku signed the deal on 3 May.", 200),  # the same words again (a pull quote)
            q("signed the deal", 14),  # inside the lead
            q("Yerevan objected within hours.", 60),
            q("Tbilisi stayed silent.", 100),
            q("Moscow said nothing.", 130),
            q("Ankara welcomed it.", 160),
        ]
    )
    assert lead == q("Baku signed the deal on 3 May.", 14)  # still the article's exact text and place
    assert [f.text for f in facts] == [
        "NATO: allies will meet in June.",
        "Yerevan objected within hours.",
        "Tbilisi stayed silent.",
    ]
    summary = [q("Only a summary sentence.", 5)]
    assert lead_and_facts([], summary) == (summary[0], ())


def test_a_brief_saved_by_an_earlier_version_renders_in_the_new_layout() -> None:
    old = json.loads((GOLDEN / "brief-v1.json").read_text(encoding="utf-8"))
    brief = golden("brief-v1.json")
    first = old["sections"][0]["stories"][0]["entries"][0]
    entry = brief.sections[0].stories[0].entries[0]
    assert entry.lead is not None and entry.lead.text == first["new_sentences"][0]["text"]
    assert len(entry.facts) <= 3 and brief.version == 2
    # Page one is rebuilt from the migrated entries: lead without its label, known story and date.
    entries = {e.anchor: e for s in brief.sections for e in s.entries}
    for k in brief.key:
        assert k.quote == entries[k.anchor].lead and k.published == entries[k.anchor].published
        if k.kind == "development":
            assert k.develops and k.last_heard is not None
    assert any(k.kind == "development" for k in brief.key)
    shown = sum(y.new + y.developments for y in brief.yields)
    assert shown == len(entries) and sum(y.duplicates for y in brief.yields) == 3
    html = render_html(brief)
    assert 'class="week-list"' in html and "BACKGROUND:" not in reading_text(html)


def test_class_and_counts_in_words() -> None:
    from datetime import UTC, datetime

    assert class_in_words("new") == "new story"
    assert class_in_words("development", "Trump Route", datetime(2025, 8, 20, tzinfo=UTC)) == (
        "develops “Trump Route”, last heard 20 Aug 2025"
    )
    counts = golden().counts
    one = dataclasses.replace(counts, articles=1, sources=1, new=1, developments=0, repeats=1, duplicates=0)
    assert (
        counts_in_words(one)
        == "1 article read from 1 source: 1 new story, 0 developments, 1 repeat, 0 duplicates."
    )


def bench_module() -> Any:
    spec = importlib.util.spec_from_file_location("render_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize(("entries", "most_pages"), [(10, 5), (60, 20)])
def test_a_brief_stays_short_with_every_entry_present(entries: int, most_pages: int) -> None:
    from pypdf import PdfReader

    brief = bench_module().brief_with(entries)
    html = render_html(brief, for_pdf=True)
    reader = PdfReader(io.BytesIO(pdf_bytes(html, brief.paper)))
    assert len(reader.pages) <= most_pages

    def titles(outline: list[Any]) -> list[str]:
        return [t for item in outline for t in (titles(item) if isinstance(item, list) else [item.title])]

    bookmarks = titles(reader.outline)
    shown = [e.title for s in brief.sections for e in s.entries]
    assert len(shown) == entries and all(bookmarks.count(t) == shown.count(t) for t in set(shown))
    # Every quote of every entry is printed whole: its first and last words are there (compared without
    # spaces: lines break after hyphens).
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    for e in (e for s in brief.sections for e in s.entries):
        for quote in (e.lead, *e.facts):
            assert quote is not None
            words = quote.text.split()
            assert "".join(words[:4]) in text and "".join(words[-3:]) in text, quote.text
