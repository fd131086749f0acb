"""Bytes -> str for pages (charset mismatches, C5) and HTML -> plain text."""

from __future__ import annotations

import codecs
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from briefing.htmltext import clean_line, clean_text, decode_html, html_to_text, normalise_text

TEXT = "Türkiye’s “Middle Corridor” — naïve café"


def test_utf8_page_labelled_latin1_is_read_as_utf8() -> None:
    body = f'<meta charset="iso-8859-1"><p>{TEXT}</p>'.encode()
    assert TEXT in decode_html(body, "text/html; charset=iso-8859-1")


def test_cp1252_page_labelled_utf8_is_read_as_cp1252() -> None:
    body = f'<meta charset="utf-8"><p>{TEXT}</p>'.encode("cp1252")
    assert TEXT in decode_html(body, "text/html; charset=utf-8")


def test_declared_legacy_charsets_are_used() -> None:
    russian = "Казахстан и Узбекистан подписали соглашение"
    body = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><p>{russian}</p>'
    assert russian in decode_html(body.encode("cp1251"), "text/html")
    assert russian in decode_html(russian.encode("koi8-r"), "text/html; charset=koi8-r")


def test_byte_order_marks_win() -> None:
    assert decode_html(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "text/html; charset=utf-8") == TEXT
    assert decode_html(codecs.BOM_UTF8 + TEXT.encode(), "") == TEXT


def test_garbage_never_raises() -> None:
    out = decode_html(bytes(range(256)) * 4, "text/html; charset=no-such-charset")
    assert isinstance(out, str) and len(out) == 1024
    page = bytes(range(256)) * 4
    for label in ("hex", "rot13", "base64", "zlib", "idna", "punycode", "uu", "utf-16"):
        assert isinstance(decode_html(page, f"text/html; charset={label}"), str), label
        assert isinstance(decode_html(f'<meta charset="{label}">'.encode() + page, ""), str), label


def test_paragraphs_and_furniture() -> None:
    markup = (
        '<div class="K2FeedImage"><img src="x.jpg"></div>'
        '<div class="K2FeedIntroText"><p>First   <b>bold</b>\n line.</p><p>Second.</p></div>'
        "<script>alert(1)</script><style>p{}</style>tail text<br>after break"
        '<div class="K2FeedTags"><ul><li>Tag</li></ul></div>'
    )
    text = html_to_text(markup, drop_classes=frozenset({"K2FeedImage", "K2FeedTags"}))
    assert text == "First bold line.\n\nSecond.\n\ntail text\n\nafter break"


def test_entities_are_decoded_and_markup_in_text_is_not_executed() -> None:
    assert html_to_text("A &amp; B &lt;script&gt;") == "A & B <script>"
    assert html_to_text("plain text, no markup") == "plain text, no markup"


def test_deep_nesting_does_not_exhaust_the_stack() -> None:
    assert html_to_text("<div>" * 200 + "deep" + "</div>" * 200) == "deep"
    # libxml2 stops building the tree past its depth limit; what it kept is returned, nothing raises
    assert isinstance(html_to_text("<div>" * 5000 + "deep" + "</div>" * 5000), str)


def test_normalise_text_keeps_paragraphs() -> None:
    assert normalise_text("  a  b \r\n\r\n\r\n c\n d ") == "a b\n\nc\nd"


_BIDI_CONTROLS = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}


def never_text(c: str) -> bool:
    """The definition `clean_text` implements, from the Unicode database rather than code-point ranges."""
    code = ord(c)
    return (
        (unicodedata.category(c) == "Cc" and c not in "\t\n\x0b\x0c\r\x85")
        or unicodedata.category(c) == "Cs"
        or unicodedata.bidirectional(c) in _BIDI_CONTROLS
        or 0xFDD0 <= code <= 0xFDEF
        or code & 0xFFFE == 0xFFFE
    )


# Every character near a boundary of what clean_text drops; hypothesis alone seldom draws them.
EDGES = [
    chr(c)
    for lo, hi in (
        (0x00, 0xBF),
        (0x2000, 0x206F),
        (0xD7FF, 0xD801),
        (0xDBFF, 0xDC00),
        (0xDFFF, 0xE000),
        (0xFDCF, 0xFDF0),
        (0xFFFC, 0xFFFF),
        *((plane << 16 | 0xFFFD, (plane << 16 | 0xFFFF) + 1) for plane in range(1, 17)),
    )
    for c in range(lo, min(hi, 0x10FFFF) + 1)
]


# Every edge character in every example, in a random order, around random text.
@given(st.permutations(EDGES), st.text(), st.text())
def test_clean_text_drops_exactly_what_is_never_text(edges: list[str], before: str, after: str) -> None:
    text = before + "".join(edges) + after
    assert clean_text(text) == "".join(c for c in text if not never_text(c))
    for out in (normalise_text(text), html_to_text(text), clean_line(text)):
        assert not any(never_text(c) for c in out), repr(out)
