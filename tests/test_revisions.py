"""Revisions: recent pages are fetched again (conditional GET); a material change is kept with the earlier
text and quoted in the next brief's Revised section; trivia (page furniture, dates, counts) is not."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import timedelta
from pathlib import Path

from briefing import fetch, report, search
from briefing.period import iso_week
from briefing.revisions import compare
from briefing.samples.shapes import k2_page
from briefing.samples.site import SampleSite, conditional
from conftest import FakeClock, site_feeds, write_config

HTML = "text/html; charset=utf-8"
ADDED = "On November 24 the joint commission agreed to release water from Rogun every Monday."


def test_only_a_material_change_is_a_revision() -> None:
    old = "Parliament voted 80 to 20.\n\nUpdated 3 December 2026\n\n1.2K shares\n\n4 min read"
    trivial = "Parliament   voted 80 to 20.\n\nUpdated 5 December 2026\n\n1,900 shares\n\n5 min read"
    assert compare("Title", old, "Title", trivial) is None
    changed = compare("Title", old, "Title, updated", "Parliament voted 81 to 19. The veto followed.")
    assert changed is not None and changed.title_changed
    assert [q.text for q in changed.added] == ["Parliament voted 81 to 19.", "The veto followed."]
    assert [(q.text, q.start) for q in changed.removed] == [("Parliament voted 80 to 20.", 0)]


def test_a_revised_page_is_kept_quoted_and_searchable(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    water = next(a for a in sample_site.caci if "Water" in a.title)
    base = sample_site.server.base

    def serve(article: object, etag: str) -> None:
        page = k2_page(base, article, "Analytical Articles")  # type: ignore[arg-type]
        changed = f"Sun, {20 + int(etag[2])} Nov 2026 10:00:00 GMT"  # each version its own validators
        sample_site.server.route(water.path, conditional(page, HTML, etag=etag, last_modified=changed))

    serve(water, '"v1"')
    config = write_config(tmp_path, site_feeds(sample_site))
    first = fetch(config, clock=clock)
    assert first.rechecked == 0  # just read: not due

    clock.now += timedelta(hours=25)  # due again; the server answers 304
    unchanged = fetch(config, clock=clock)
    assert unchanged.rechecked >= 1 and unchanged.revised == ()
    asked = [r for r in sample_site.server.hits if r.path == water.path]
    assert asked[-1].headers.get("if-none-match") == '"v1"'

    # Page furniture only: a new "Updated" line. Fetched (new ETag), compared, not a revision.
    serve(dataclasses.replace(water, paragraphs=(*water.paragraphs, "Updated 23 November 2026")), '"v2"')
    clock.now += timedelta(hours=25)
    assert fetch(config, clock=clock).revised == ()

    revised = dataclasses.replace(water, paragraphs=(*water.paragraphs, ADDED))
    serve(revised, '"v3"')
    clock.now += timedelta(hours=25)
    found = fetch(config, clock=clock)
    (article_id,) = found.revised
    with sqlite3.connect(config.settings.store_location) as db:
        old_text, added = db.execute("SELECT old_text, added FROM revisions").fetchone()
        text = db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0]
    assert ADDED not in old_text and ADDED in text and ADDED in added  # the earlier text is kept
    assert [h.id for h in search(config, '"release water from Rogun"', within="articles").hits] == [
        f"a{article_id}"
    ]

    week = iso_week(2026, 48, "UTC")  # the week the revision was found in
    brief = report(config, week, formats=("json", "html"), clock=clock).brief
    (revision,) = brief.revised
    assert revision.article_id == article_id and [q.text for q in revision.added] == [ADDED]
    assert text[revision.added[0].start : revision.added[0].end] == ADDED  # traceable to its place
    assert revision.removed == () and revision.title == water.title
    written = report(config, week, formats=("html",), clock=clock).files
    html = next(p for p in written if p.suffix == ".html").read_text("utf-8")
    assert (
        'id="revised"' in html and ADDED in html and "1 article already stored revised by its source" in html
    )


def test_a_run_killed_while_keeping_a_revision_keeps_it_once(tmp_path: Path, sample_site: SampleSite) -> None:
    from conftest import run_cli

    water = next(a for a in sample_site.caci if "Water" in a.title)
    config = write_config(tmp_path, site_feeds(sample_site))
    path = str(config.source)
    start = "2026-11-21T12:00:00+00:00"
    assert run_cli(["fetch", "--config", path], env={"BRIEFING_TEST_NOW": start}).returncode == 0
    page = k2_page(
        sample_site.server.base, dataclasses.replace(water, paragraphs=(*water.paragraphs, ADDED)), "x"
    )
    sample_site.server.route(
        water.path, conditional(page, HTML, etag='"v9"', last_modified="Mon, 23 Nov 2026")
    )
    later = {"BRIEFING_TEST_NOW": "2026-11-22T13:00:00+00:00"}
    killed = run_cli(["fetch", "--config", path], env={**later, "BRIEFING_TEST_CRASH_AT": "after_revision"})
    assert killed.returncode == 137
    with sqlite3.connect(config.settings.store_location) as db:
        assert db.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0  # not half kept
    assert run_cli(["fetch", "--config", path], env=later).returncode == 0
    assert run_cli(["fetch", "--config", path], env=later).returncode == 0  # not due again: nothing new
    with sqlite3.connect(config.settings.store_location) as db:
        (count,) = db.execute("SELECT count(*) FROM revisions").fetchone()
        text = db.execute("SELECT text FROM articles WHERE title = ?", (water.title,)).fetchone()[0]
    assert count == 1 and ADDED in text
