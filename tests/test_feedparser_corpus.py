"""feedparser's own test corpus (2,107 crafted files) through our fetch -> parse -> store path.

Each file is served over loopback HTTP with the headers its comment asks for; every one must end as a
stored result or a recorded per-feed error, never an exception. Skipped when ../shared/fixtures is absent.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from briefing.models import Brief, NewName
from briefing.pipeline import fetch
from briefing.render import render_html
from briefing.samples.server import LoopbackServer, Reply
from conftest import FIXTURES, FakeClock, elements, needs_fixtures, write_config
from test_render import golden_brief

CORPUS = FIXTURES / "feedparser-corpus" / "tests"


def comment_text(data: bytes) -> str:
    """The file decoded well enough to read its header comment (some files are UTF-16 or UTF-32)."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    for encoding, marker in (
        ("utf-32-le", b"<\0\0\0"),
        ("utf-32-be", b"\0\0\0<"),
        ("utf-16-le", b"<\0"),
        ("utf-16-be", b"\0<"),
    ):
        if data.startswith(marker):
            return data.decode(encoding, errors="replace")
    return data.decode("latin-1")


def served_headers(data: bytes) -> dict[str, str]:
    headers = {"Content-Type": "text/xml"}
    for line in re.findall(r"^Header:\s*(.*)$", comment_text(data)[:4000], re.MULTILINE):
        name, _, value = line.partition(":")
        if name.strip() and name.strip().lower() not in ("content-length",):
            headers[name.strip().title() if name.strip().lower() != "content-type" else "Content-Type"] = (
                value.strip()
            )
    return headers


@pytest.mark.slow
@needs_fixtures("feedparser-corpus", "tests")
def test_every_corpus_file_ends_as_a_result_or_a_recorded_error(tmp_path: Path) -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file())
    assert len(files) > 2000
    with LoopbackServer() as server:
        feeds = []
        for i, path in enumerate(files):
            data = path.read_bytes()
            route = f"/c/{i}"
            server.route(route, Reply(200, served_headers(data), data))
            feeds.append(
                {"name": str(path.relative_to(CORPUS)), "url": server.url(route), "fetch_pages": False}
            )
        config = write_config(
            tmp_path, feeds, per_host_concurrency=8, concurrency=16, max_entries_per_feed=100
        )
        report = fetch(config, clock=FakeClock())
    assert len(report.feeds) == len(files)
    statuses = Counter(r.status for r in report.feeds)
    errors = Counter((r.error or "").split(":")[0] for r in report.feeds if r.status == "error")
    assert set(statuses) <= {"new", "unchanged", "degraded", "error"}, statuses
    assert set(errors) <= {"not a feed", "empty response body", "feed parser failed"}, errors
    wellformed = [r for r in report.feeds if r.name.startswith("wellformed/")]
    assert sum(r.status in ("new", "unchanged") for r in wellformed) >= 0.9 * len(wellformed)
    with sqlite3.connect(config.settings.store_location) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = c.execute("SELECT count(*) FROM articles").fetchone()[0]
        scripts = c.execute("SELECT count(*) FROM articles WHERE text LIKE '%<script%'").fetchone()[0]
        sanitize = c.execute(
            "SELECT a.title, a.url, a.text, a.feed_authors, a.categories FROM articles a"
            " JOIN feeds f ON f.id = a.feed_id WHERE f.name LIKE 'wellformed/sanitize/%' ORDER BY a.id"
        ).fetchall()
    print(
        f"\nfeedparser corpus: {len(files)} files, {dict(statuses)}, errors {dict(errors)}, "
        f"{stored} entries stored, {scripts} with literal '<script' text"
    )
    assert stored > 1000
    # B11: every entry of the sanitize suite, through to the brief, adds no element or attribute.
    assert len(sanitize) > 500
    plain = [("Plain title", "https://example.org/a", "Plain text.", '["A"]', '["b"]')] * 3
    allowed: dict[str, set[str]] = {}
    styles = set()
    for tag, attrs in elements(render_html(brief_of(plain))):
        allowed.setdefault(tag, set()).update(attrs)
        styles.add(attrs.get("style"))
    html = render_html(brief_of(sanitize))
    for tag, attrs in elements(html):
        assert tag in allowed and set(attrs) <= allowed[tag], (tag, attrs)
        assert attrs.get("style") in styles, (tag, attrs)
        for name in ("href", "src"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value or value.startswith(("http://", "https://", "#")), (tag, name, value)
    print(f"{len(sanitize)} sanitize-suite entries rendered into one brief: no element or attribute added")


def brief_of(rows: list[tuple[str, str, str, str, str]]) -> Brief:
    """The golden brief with its first story's entries replaced by `rows` (title, url, text, authors and
    categories as stored), every string of theirs in a place the template shows."""
    brief = golden_brief()
    section = brief.sections[0]
    story = section.stories[0]
    template = story.entries[0]
    entries = []
    for title, url, text, authors, categories in rows:
        assert template.lead is not None
        quote = dataclasses.replace(template.lead, text=text[:400] or title)
        entries.append(
            dataclasses.replace(
                template,
                title=title,
                url=url,
                authors=tuple(json.loads(authors)),
                new_names=tuple(NewName(c, "place", 0, 1, 1) for c in json.loads(categories)),
                lead=quote,
                facts=(quote,),
            )
        )
    story = dataclasses.replace(story, entries=tuple(entries), label=rows[0][0])
    return dataclasses.replace(brief, sections=(dataclasses.replace(section, stories=(story,)),))
