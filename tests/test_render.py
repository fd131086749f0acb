"""Rendering the brief: golden HTML, its structure, hostile text stays text, an empty period, length, a
renderer that fetches nothing.

`golden/brief.json` is the demo's brief for 2026-W47 (`BRIEFING_TEST_NOW=2026-11-23T07:00:00+00:00
briefing demo`, the loopback port replaced by 8047); `golden/brief-v1.json` is an older one, saved before
entries had a lead and facts. `golden/brief.html` is the rendering; after an intended template change,
regenerate it with `BRIEFING_UPDATE_GOLDEN=1 python -m pytest tests/test_render.py` and review the diff.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from briefing.errors import DeliveryError, RenderError
from briefing.models import Brief
from briefing.render import index_pages, pdf_bytes, render_html, render_pdf
from briefing.reports_folder import listed, write_brief, write_index
from briefing.samples.server import LoopbackServer, Reply
from briefing.serialize import brief_from_dict, to_data
from conftest import elements

GOLDEN = Path(__file__).parent / "golden"


def golden_brief(name: str = "brief.json") -> Brief:
    return brief_from_dict(json.loads((GOLDEN / name).read_text(encoding="utf-8")))


def test_golden_html() -> None:
    html = render_html(golden_brief())
    expected = GOLDEN / "brief.html"
    if os.environ.get("BRIEFING_UPDATE_GOLDEN"):
        expected.write_text(html, encoding="utf-8")
    assert html == expected.read_text(encoding="utf-8"), "template output changed; see the module docstring"


def test_the_saved_brief_round_trips_and_renders_identically() -> None:
    brief = golden_brief()
    again = brief_from_dict(json.loads(json.dumps(to_data(brief))))
    assert again == brief
    assert render_html(again) == render_html(brief)


def test_html_is_self_contained_and_scriptless() -> None:
    html = render_html(golden_brief())
    tags = elements(html)
    names = {t for t, _ in tags}
    assert not names & {"script", "img", "iframe", "object", "embed", "link", "base", "form"}
    assert "svg" in names and "style" in names and '<meta name="viewport"' in html
    for tag, attrs in tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "http://", "https://")), href
    assert "SAMPLE DATA" in html


HOSTILE_TEXT = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'</style><!--"


def hostile(brief: Brief) -> Brief:
    """The brief with every third-party string replaced by markup and every URL by a script URL."""
    entries = []
    section = brief.sections[0]
    story = section.stories[0]
    for e in story.entries:
        assert e.lead is not None
        quote = dataclasses.replace(e.lead, text=HOSTILE_TEXT)
        entries.append(
            dataclasses.replace(
                e,
                title=HOSTILE_TEXT,
                url="javascript:alert(3)",
                authors=(HOSTILE_TEXT,),
                publisher=HOSTILE_TEXT,
                lead=quote,
                facts=(quote,),
            )
        )
    story = dataclasses.replace(story, entries=tuple(entries), label=HOSTILE_TEXT)
    section = dataclasses.replace(section, stories=(story, *section.stories[1:]))
    key = tuple(
        dataclasses.replace(k, title=HOSTILE_TEXT, develops=HOSTILE_TEXT, url=" JaVaScRiPt:alert(4)")
        for k in brief.key
    )
    health = tuple(dataclasses.replace(h, note=HOSTILE_TEXT, last_error=HOSTILE_TEXT) for h in brief.health)
    dropped = tuple(
        dataclasses.replace(
            d, title=HOSTILE_TEXT, url="data:text/html,<script>x</script>", detail=HOSTILE_TEXT
        )
        for d in brief.dropped
    )
    return dataclasses.replace(
        brief,
        title=HOSTILE_TEXT,
        sections=(section, *brief.sections[1:]),
        key=key,
        health=health,
        dropped=dropped,
    )


def test_hostile_strings_in_titles_and_text_stay_text() -> None:
    html = render_html(hostile(golden_brief()))
    tags = elements(html)
    assert not {t for t, _ in tags} & {"script", "img"}
    for tag, attrs in tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        href = attrs.get("href") or ""
        assert "javascript" not in href.lower() and not href.startswith("data:"), href
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<style>") == 1 and html.count("</style>") == 1


def test_hostile_brief_renders_to_a_letter_pdf_with_only_web_links() -> None:
    from pypdf import PdfReader

    data = pdf_bytes(render_html(hostile(golden_brief()), for_pdf=True), "Letter")
    reader = PdfReader(_file(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    uris = [
        a.get_object()["/A"].get("/URI", "")
        for page in reader.pages
        for a in page.get("/Annots") or []
        if "/A" in a.get_object()
    ]
    assert uris and all(str(u).startswith(("http://", "https://")) for u in uris if u)
    assert "alert(1)" in "".join(page.extract_text() for page in reader.pages[:3])


def _file(data: bytes):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(data)


def test_an_empty_period_says_so_and_still_shows_feed_health() -> None:
    brief = golden_brief()
    empty = dataclasses.replace(
        brief,
        key=(),
        sections=(),
        repeats=(),
        dropped=(),
        counts=dataclasses.replace(brief.counts, articles=0, new=0, developments=0, repeats=0, duplicates=0),
    )
    html = render_html(empty)
    assert "No new stories or developments in this period" in html
    assert 'id="health"' in html and "caci-feature" in html


def test_the_pdf_renderer_fetches_nothing(tmp_path: Path) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red; }")
    with LoopbackServer() as server:
        for path in ("/pixel.png", "/style.css", "/font.woff", "/attachment.txt", "/redirect"):
            server.route(path, Reply(200, {"Content-Type": "text/plain"}, b"x"))
        base = server.base
        html = f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="{base}/style.css"><link rel="stylesheet" href="file://{secret}">
<link rel="attachment" href="{base}/attachment.txt">
<style>@import url("{base}/style.css"); @font-face {{ font-family: X; src: url("{base}/font.woff"); }}
body {{ background: url("file:///etc/passwd"); font-family: X; }}</style></head>
<body><p>Readable text.</p><img src="{base}/pixel.png"><img src="file:///etc/hostname">
<a rel="attachment" href="{base}/attachment.txt">file</a><object data="{base}/redirect"></object></body></html>"""
        data = pdf_bytes(html)
        assert server.hits == []
    assert data.startswith(b"%PDF") and b"/EmbeddedFile" not in data


def test_a_render_that_cannot_finish_is_an_error_not_a_hang() -> None:
    nested = "<div>" * 20000 + "deep" + "</div>" * 20000
    with pytest.raises(RenderError):
        render_pdf(nested, "A4", timeout=3, memory_mb=1024)


def pixel_bomb(side: int) -> bytes:
    """A PNG of side x side black pixels: 400 KB that decode to side * side * 3 bytes. Built row by row,
    so the test itself never holds the decoded image."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * side)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_render_over_its_memory_allowance_is_an_error_not_a_machine_eater() -> None:
    # Our templates carry text only, so this needs a hand-made document: a data: image (the one kind of
    # URL the fetcher allows) that decodes to 432 MB, rendered with a 512 MiB address-space limit.
    bomb = base64.b64encode(pixel_bomb(12_000)).decode()
    html = f'<p>Before the image.</p><img src="data:image/png;base64,{bomb}" style="width: 5cm">'
    with pytest.raises(RenderError, match="memory"):
        render_pdf(html, "A4", timeout=60, memory_mb=512)


def test_reports_folder_files_are_readable_and_failures_name_the_file(tmp_path: Path) -> None:
    brief = golden_brief()
    folder = tmp_path / "reports" / brief.period_label
    written = write_brief(folder, {"json": json.dumps(to_data(brief)).encode(), "html": b"<p>x</p>"})
    assert [p.name for p in written] == ["brief.json", "brief.html"]
    assert all(p.stat().st_mode & 0o044 for p in written)  # readable by a web server, not 0600
    reports = tmp_path / "reports"
    pages = index_pages(listed(reports), datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    index, feed = write_index(reports, pages)
    listing = index.read_text()
    assert "Week 47, 2026" in listing
    assert '<a href="2026-W47/brief.html">Weekly brief: South Caucasus and Central Asia: Week 47' in listing
    atom = ET.parse(feed).getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert atom.find("a:author/a:name", ns) is not None
    entry = atom.find("a:entry", ns)
    assert entry is not None and entry.find("a:id", ns).text == "urn:briefing:brief:2026-W47"  # type: ignore[union-attr]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    with pytest.raises(DeliveryError, match=re.escape(str(blocked / "2026-W47"))):
        write_brief(blocked / "2026-W47", {"html": b"x"})


def test_d2_every_template_escapes_whatever_its_name(tmp_path: Path) -> None:
    # A user's copy of the templates, with a suffix select_autoescape() would not recognise.
    (tmp_path / "brief.html").write_text('{% include "part.html.j2" %}', encoding="utf-8")
    (tmp_path / "part.html.j2").write_text("<h1>{{ brief.title }}</h1>", encoding="utf-8")
    html = render_html(dataclasses.replace(golden_brief(), title=HOSTILE_TEXT), tmp_path)
    assert html.startswith("<h1>&lt;script&gt;alert(1)&lt;/script&gt;")


def test_d4_the_fetcher_refuses_everything_but_data_urls() -> None:
    from importlib.metadata import version

    from briefing.render import deny_all_fetcher

    assert int(version("weasyprint").split(".")[0]) >= 70
    fetcher = deny_all_fetcher()
    for url in ("http://127.0.0.1:1/x.png", "https://example.org/a.css", "file:///etc/passwd", "ftp://x/y"):
        with pytest.raises(ValueError, match="no external resource"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello") is not None
    source = (Path(__file__).parents[1] / "src" / "briefing" / "render.py").read_text(encoding="utf-8")
    assert "xmp_metadata" not in source and "CSS(url" not in source and "CSS(string=" in source


def test_a_template_copy_made_for_an_earlier_version_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "brief.html").write_text(
        "{% for s in brief.sections %}{% for e in s.entries %}{{ e.summary }}{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    with pytest.raises(RenderError) as info:
        render_html(golden_brief(), tmp_path)
    message = str(info.value)
    assert str(tmp_path / "brief.html") in message and "summary" in message and "\n" not in message
