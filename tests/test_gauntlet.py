"""Every fault at once: a run over two good feeds and a crowd of misbehaving ones still makes its brief.

The good sample site is "public" (127.0.0.2, the only loopback address the configuration allows); an
internal server on 127.0.0.1 stands for the metadata endpoint or admin page a hostile feed points at, and
must never see a single request. Each bad feed misbehaves differently (RELIABILITY A1-A12, B1, B4, B6,
C1, flapping status codes); some feeds are fine but their articles' pages are not. The run goes on, the
brief shows every failure in its feed health, and a second run neither duplicates nor loses anything.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import faults
from briefing.pipeline.running import run
from briefing.samples.server import Handler, LoopbackServer, Reply
from briefing.samples.shapes import SampleArticle, wordpress_feed
from briefing.samples.site import load_articles
from conftest import FakeClock, make_sample_site, sqlite_file, write_config

pytestmark = pytest.mark.slow

MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # the brief of 2026-W47 is due
RSS = "application/rss+xml; charset=utf-8"


def _article(path: str, n: int) -> SampleArticle:
    base = load_articles("ac")[0]
    return SampleArticle(
        path=path,
        title=f"Sample item {n} whose page misbehaves",
        authors=base.authors,
        published=base.published,
        paragraphs=base.paragraphs[:2],
        post_id=90_000 + n,
        categories=base.categories,
    )


def test_every_fault_at_once_still_makes_the_brief(tmp_path: Path, clock: FakeClock) -> None:
    clock.now = MONDAY_8
    with LoopbackServer("127.0.0.2") as public, LoopbackServer("127.0.0.1") as internal:
        site = make_sample_site(public)
        internal.route("/admin", Reply(200, {}, b"internal secret"))
        good_feed = site.ac_feed
        ac_body = wordpress_feed(public.base, "AC", "/x", load_articles("ac")[:1], MONDAY_8, full_text=True)
        utf16 = ac_body.decode().replace('encoding="UTF-8"', 'encoding="utf-8"').encode("utf-16")
        bad: dict[str, Reply | Handler] = {
            "silent": faults.never_answers(),
            "drip": faults.drip(),
            "lying-length": faults.lying_length(),
            "declared-huge": faults.declared_huge(),
            "endless": faults.endless(),
            "gzip-bomb": faults.gzip_bomb(),
            "stacked-gzip": faults.stacked_gzip(),
            "corrupt-gzip": faults.corrupt_gzip(),
            "redirect-loop": faults.redirect("/redirect-loop"),
            "to-internal": faults.redirect(internal.url("/admin")),
            "to-file": faults.redirect("file:///etc/passwd"),
            "png": faults.wrong_type(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "image/png"),
            "html-page": faults.wrong_type(b"<!doctype html><title>Not a feed</title><p>hello", "text/html"),
            "utf16-said-utf8": faults.wrong_type(utf16, RSS),
            "laughs": faults.billion_laughs(),
            "flapping": faults.flapping(
                [Reply(500), Reply(503, {"Retry-After": "60"}), Reply(200, {"Content-Type": RSS}, ac_body)]
            ),
        }
        feeds: list[dict[str, Any]] = [
            {"name": "caci-analytical", "url": site.caci_feed},
            {"name": "ac-main", "url": good_feed, "exclude": ["/in-the-news/"]},
        ]
        for name, reply in bad.items():
            feeds.append({"name": name, "url": public.route(f"/{name}", reply)})
        feeds.append({"name": "internal-direct", "url": internal.url("/admin")})

        # Feeds that are fine, whose articles are not: links inside, and pages that misbehave.
        inside = [_article(f"/inside-{i}", i) for i in range(2)]
        feeds.append(
            {
                "name": "links-inside",
                "url": public.route(
                    "/links-inside",
                    Reply(
                        200,
                        {"Content-Type": RSS},
                        wordpress_feed(internal.base, "Inside", "/i", inside, MONDAY_8),
                    ),
                ),
            }
        )
        page_faults: dict[str, Reply | Handler] = {
            "/page-silent": faults.never_answers(),
            "/page-bomb": faults.gzip_bomb(content_type="text/html"),
            "/page-png": faults.wrong_type(b"\x89PNG\r\n\x1a\n" * 100, "image/png"),
            "/page-to-internal": faults.redirect(internal.url("/admin")),
            "/page-endless": faults.endless("text/html"),
        }
        pages = [_article(path, 10 + i) for i, path in enumerate(page_faults)]
        for path, reply in page_faults.items():
            public.route(path, reply)
        feeds.append(
            {
                "name": "bad-pages",
                "url": public.route(
                    "/bad-pages",
                    Reply(
                        200,
                        {"Content-Type": RSS},
                        wordpress_feed(public.base, "Pages", "/p", pages, MONDAY_8, full_text=False),
                    ),
                ),
            }
        )
        config = write_config(
            tmp_path,
            feeds,
            allow_private_networks=False,
            allowed_networks=["127.0.0.2/32"],
            timeout=2,
            connect_timeout=1,
            extraction_timeout=10,
            max_feed_bytes=2 * 1024 * 1024,
            max_page_bytes=2 * 1024 * 1024,
        )

        first = run(config, clock=clock)
        assert first.action == "written", first.detail
        brief: dict[str, Any] = json.loads(
            (tmp_path / "reports" / "2026-W47" / "brief.json").read_text(encoding="utf-8")
        )
        health = {h["name"]: h for h in brief["health"]}
        assert set(health) == {f["name"] for f in feeds}
        shown = {name: (h["status"], h["last_error"] or h["note"]) for name, h in health.items()}
        for name in [*bad, "internal-direct"]:
            if name == "utf16-said-utf8":  # the byte order mark decides: read correctly
                assert shown[name][0] == "ok", shown[name]
                continue
            assert shown[name][0] in ("error", "degraded"), f"{name}: {shown[name]}"
            assert shown[name][1], f"{name}: {shown[name]}"
        for name in ("caci-analytical", "ac-main", "links-inside", "bad-pages"):
            assert shown[name][0] == "ok", f"{name}: {shown[name]}"
        titles = {e["title"] for s in brief["sections"] for g in s["stories"] for e in g["entries"]}
        assert {a.title for a in site.caci[:3]} <= titles | {r["title"] for r in brief["repeats"]}

        stored_first = _stored(sqlite_file(config))
        assert ("utf16-said-utf8", load_articles("ac")[0].title) in {(f, t) for f, t, _ in stored_first}
        clock.advance(days=1)  # past the flapping feed's backoff
        second = run(config, clock=clock)
        assert second.action == "already_done"
        assert internal.hits == [], [r.path for r in internal.hits]

        public_base = public.base
    database = sqlite_file(config)
    stored_second = _stored(database)
    assert stored_first <= stored_second  # nothing lost
    assert {f for f, _, _ in stored_second - stored_first} <= {"flapping"}  # only the recovered feed's
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        statuses = dict(
            conn.execute(
                "SELECT url, extraction_status FROM articles WHERE feed_id IN"
                " (SELECT id FROM feeds WHERE name IN ('links-inside', 'bad-pages'))"
            ).fetchall()
        )
        runs = [r[0] for r in conn.execute("SELECT status FROM runs WHERE command != 'report'")]
    assert len(statuses) == len(inside) + len(pages)
    assert "ok" not in statuses.values(), statuses
    # A page that timed out is tried again on later runs (settings.page_attempts); the others are final.
    assert {url for url, status in statuses.items() if status == "pending"} <= {public_base + "/page-silent"}
    assert "running" not in runs


def _stored(database: Path) -> set[tuple[str, str, str]]:
    """(feed, title, text) of every stored article."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT f.name, a.title, a.text FROM articles a JOIN feeds f ON f.id = a.feed_id"
        ).fetchall()
    return {(str(f), str(t), str(x)) for f, t, x in rows}
