"""Bytes -> str for HTML pages, and HTML -> plain text. The only lxml import.

Third-party markup never leaves this module as markup: callers get plain text with paragraphs separated
by blank lines, which is all the brief ever renders.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable

from lxml import etree
from lxml import html as lxml_html

# UTF-32 LE before UTF-16 LE: its mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w:.+-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([\w:.+-]+)", re.IGNORECASE)
# WHATWG: pages labelled latin-1 or ascii are decoded as windows-1252.
_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252"}
_ALIASES |= {"ascii": "cp1252", "iso8859-1": "cp1252", "l1": "cp1252"}

_BLOCK = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_SKIP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "head",
        "title",
        "button",
    ]
)
_PAGE_FURNITURE = frozenset("nav header footer aside form".split())
_WS = re.compile(r"[ \t\r\f\v\x85\u00a0\u200b\u2028\u2029]+")  # line separators inside a line too
_HTML_WS = re.compile(r"[\s\u00a0\u200b]+")
# Never text: controls other than whitespace (terminal escape sequences among them), surrogates,
# noncharacters, and the bidi embeddings, overrides and isolates that can make a quote display
# differently from its source (the "Trojan Source" trick, CVE-2021-42574).
_ASTRAL_NONCHARACTERS = "".join(chr(plane << 16 | low) for plane in range(1, 17) for low in (0xFFFE, 0xFFFF))
_NOT_TEXT = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069"
    "\ufdd0-\ufdef\ufffe\uffff" + _ASTRAL_NONCHARACTERS + "]"
)


def decode_by_bom(body: bytes) -> str | None:
    """The text of a body that starts with a byte order mark (which outranks any declared charset),
    else None."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    return None


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode an HTML page to text.

    Order: byte-order mark, a UTF-16/32 label, strict UTF-8 (a page that is valid UTF-8 is UTF-8 whatever
    it claims), the charset from the HTTP header or a <meta> tag unless that claims UTF-8 (which just
    failed), then windows-1252, the usual truth behind a wrong label. Never raises: undecodable bytes
    become U+FFFD.
    """
    by_bom = decode_by_bom(body)
    if by_bom is not None:
        return by_bom
    declared = _declared_charset(body, content_type)
    if declared and declared.startswith(("utf-16", "utf-32")):
        return _decode(body, declared)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared in (None, "utf-8"):
        declared = "cp1252"
    return _decode(body, declared)


def _decode(body: bytes, encoding: str) -> str:
    try:
        return body.decode(encoding, errors="replace")
    except (LookupError, UnicodeError, ValueError):  # a codec that misbehaves on this input
        return body.decode("cp1252", errors="replace")


def _declared_charset(body: bytes, content_type: str) -> str | None:
    candidates = []
    m = _HEADER_CHARSET.search(content_type or "")
    if m:
        candidates.append(m.group(1))
    m2 = _META_CHARSET.search(body[:4096])
    if m2:
        candidates.append(m2.group(1).decode("ascii", errors="ignore"))
    for label in candidates:
        label = _ALIASES.get(label.strip().lower(), label.strip().lower())
        try:
            info = codecs.lookup(label)
        except LookupError:
            continue
        # Only text encodings: a page labelled "hex", "rot13" or "zlib" names a bytes codec.
        if getattr(info, "_is_text_encoding", True) and info.name not in ("idna", "punycode"):
            return info.name.replace("_", "-")
    return None


# libxml2 stops building the tree at 256 levels without `huge_tree`, silently dropping the rest of the
# document: 300 unclosed <b> in a CMS page lost half the article. Input size is capped before parsing
# (settings.max_page_bytes) and pages are parsed in a worker with a memory limit, so the lifted limits
# are safe here.
DEEP_HTML_PARSER = lxml_html.HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True, huge_tree=True
)
_DEEP_UTF8_PARSER = lxml_html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    remove_comments=True,
    remove_pis=True,
    huge_tree=True,
    encoding="utf-8",
)


def parse_page(markup: str) -> lxml_html.HtmlElement | None:
    """A whole page's tree, however deeply nested (the options trafilatura uses, plus `huge_tree`);
    None for a page with no document in it."""
    try:
        try:
            return lxml_html.fromstring(markup, parser=_DEEP_UTF8_PARSER)
        except ValueError:  # a str with an XML encoding declaration: lxml wants bytes then
            return lxml_html.fromstring(markup.encode("utf-8"), parser=_DEEP_UTF8_PARSER)
    except etree.ParserError:  # "Document is empty"
        return None


def html_to_text(markup: str, drop_classes: frozenset[str] = frozenset(), page: bool = False) -> str:
    """Plain text of an HTML fragment or page: paragraphs separated by a blank line.

    Scripts, styles, embedded objects and elements carrying any class in `drop_classes` are skipped;
    with `page`, so are a whole page's navigation, header, footer, asides and forms. Walks the tree
    without recursion, so deeply nested input cannot exhaust the stack.
    """
    skip = _SKIP | _PAGE_FURNITURE if page else _SKIP
    if not markup or not markup.strip():
        return ""
    if "<" not in markup and "&" not in markup:
        return normalise_text(markup)
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div", parser=DEEP_HTML_PARSER)
    except (etree.ParserError, ValueError):
        return normalise_text(markup)
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = _HTML_WS.sub(" ", clean_text("".join(current))).strip()
        if text:
            paragraphs.append(text)
        current.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else None
        if event == "start":
            if tag is None:
                continue
            tag = tag.lower()
            if tag in skip or (drop_classes and drop_classes & set((el.get("class") or "").split())):
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                flush()
            if el.text:
                current.append(el.text)
        else:
            if tag is not None and tag.lower() in _BLOCK:
                flush()
            if el.tail and el is not root:
                current.append(el.tail)
    flush()
    return "\n\n".join(paragraphs)


def clean_text(text: str) -> str:
    """`text` without the characters that are never text (controls, bidi overrides, noncharacters)."""
    return _NOT_TEXT.sub("", text)


def clean_line(text: str) -> str:
    """`clean_text` on one line, with runs of whitespace collapsed: names, categories."""
    return " ".join(clean_text(text).split())


# Metadata is shown whole in the brief: one hostile item must not fill pages with a title or a byline.
TITLE_CHARS = 400
LABEL_CHARS = 120
LABELS = 20


def shorten(text: str, limit: int) -> str:
    """`text` cut at a space to at most `limit` characters, with an ellipsis. For metadata (titles,
    names, categories), never for text that is quoted."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit)
    return text[: cut if cut > 0 else limit - 1].rstrip() + "…"


def clean_labels(values: Iterable[str]) -> tuple[str, ...]:
    """Authors or categories: cleaned, each shortened, repeats and empties dropped, at most `LABELS`."""
    out: list[str] = []
    for value in values:
        label = shorten(clean_line(value), LABEL_CHARS)
        if label and label not in out:
            out.append(label)
            if len(out) == LABELS:
                break
    return tuple(out)


def normalise_text(text: str) -> str:
    """Collapse runs of spaces inside lines and blank lines between paragraphs; drop what is not text."""
    text = clean_text(text)
    lines = [_WS.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    blank = False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
        out.append(line)
        blank = False
    return "\n".join(out)
