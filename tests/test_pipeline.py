"""The fetch pipeline end to end against the loopback sample site: repeat runs, failures, isolation."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import faults
from briefing.errors import ConfigError, RunLockedError
from briefing.lock import RunLock
from briefing.pipeline import check_feeds, fetch
from briefing.samples.server import LoopbackServer, Reply
from briefing.samples.shapes import ac_page, wordpress_feed
from briefing.store import Store
from conftest import FakeClock, SampleSite, load_articles, site_feeds, sqlite_file, write_config


def articles(config: Any, **kw: Any) -> list[Any]:
    with Store.open(sqlite_file(config)) as store:
        return store.articles(**kw)


def count(config: Any, table: str = "articles") -> int:
    with sqlite3.connect(sqlite_file(config)) as c:
        return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def test_first_run_stores_full_text_and_second_run_is_not_modified(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    report = fetch(config, clock=clock)
    by_name = {r.name: r for r in report.feeds}
    assert by_name["caci-analytical"].status == "new" and by_name["caci-analytical"].new == 3
    assert by_name["ac-main"].new == 2 and "1 new excluded by pattern" in by_name["ac-main"].detail
    stored = {a.title: a for a in articles(config)}
    assert len(stored) == 5
    for a in stored.values():
        assert a.extraction_status == "ok" and a.text_source == "page", (a.title, a.extraction_detail)
        assert "Newsletter" not in a.text and "Visit also" not in a.text and "Related content" not in a.text
    nuclear = stored["Kazakhstan's Nuclear Tender Enters Its Final Stage"]
    source = load_articles("caci")[0]
    assert nuclear.text.startswith(source.paragraphs[0])  # the K2 lead, restored from the feed
    assert source.paragraphs[-1] in nuclear.text
    assert nuclear.authors == ("Aliya Nurlanova",) and nuclear.date_source == "feed"
    excluded = articles(config, include_excluded=True)
    assert any(a.extraction_status == "excluded" for a in excluded)
    assert (
        sample_site.server.hit_count("/insight-impact/in-the-news/sample-expert-quoted-on-caspian-shipping/")
        == 0
    )

    clock.advance(hours=6)
    second = fetch(config, clock=clock)
    assert [r.status for r in second.feeds] == ["not_modified", "not_modified"]
    assert second.articles == () and count(config) == 6
    hits = sum(sample_site.server.hit_count(p) for p in sample_site.page_paths())
    assert hits == 5  # no page fetched twice


def test_a16_server_ignoring_validators_creates_no_duplicates(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    items = load_articles("ac")[:2]
    body = wordpress_feed(server.base, "AC", "/feed/", items, clock.now)
    server.route(
        "/feed/",
        lambda req: Reply(
            200, {"Content-Type": "application/rss+xml", "ETag": f'"{len(server.hits)}"'}, body
        ),
    )
    config = write_config(tmp_path, [{"name": "ac", "url": server.url("/feed/"), "fetch_pages": False}])
    assert fetch(config, clock=clock).feeds[0].new == 2
    again = fetch(config, clock=clock)
    assert again.feeds[0].status == "unchanged" and again.feeds[0].new == 0
    assert count(config) == 2
    assert all(a.extraction_status == "feed" and a.text for a in articles(config))


def test_b8_guid_churn_is_not_news(tmp_path: Path, server: LoopbackServer, clock: FakeClock) -> None:
    items = load_articles("ac")[:2]
    server.route("/feed/", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed/", items, clock.now)))
    config = write_config(tmp_path, [{"name": "ac", "url": server.url("/feed/"), "fetch_pages": False}])
    fetch(config, clock=clock)
    churned = [type(a)(**{**a.__dict__, "post_id": a.post_id + 1000}) for a in items]
    server.route("/feed/", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed/", churned, clock.now)))
    assert fetch(config, clock=clock).feeds[0].new == 0
    assert count(config) == 2


def test_one_bad_feed_among_good_ones(tmp_path: Path, sample_site: SampleSite, clock: FakeClock) -> None:
    server = sample_site.server
    server.route("/broken", Reply(500))
    server.route(
        "/html", Reply(200, {"Content-Type": "text/html"}, b"<html><body><p>Home page</p></body></html>")
    )
    server.route("/silent", faults.never_answers(30))
    feeds = [
        *site_feeds(sample_site),
        {"name": "broken", "url": server.url("/broken")},
        {"name": "not-a-feed", "url": server.url("/html")},
        {"name": "silent", "url": server.url("/silent"), "timeout": 1},
    ]
    config = write_config(tmp_path, feeds)
    report = fetch(config, clock=clock)
    status = {r.name: (r.status, r.error) for r in report.feeds}
    assert status["caci-analytical"][0] == status["ac-main"][0] == "new"
    assert status["broken"] == ("error", "HTTP 500 Internal Server Error")
    assert status["not-a-feed"][0] == "error" and "not a feed" in (status["not-a-feed"][1] or "")
    assert status["silent"] == ("error", "timed out after 1 s")
    assert count(config) == 6
    with Store.open(sqlite_file(config)) as store:
        health = {h.name: h for h in store.feed_health(config.feeds, clock.now)}
    assert (
        health["broken"].consecutive_errors == 1
        and health["broken"].last_error == "HTTP 500 Internal Server Error"
    )
    assert health["caci-analytical"].items_7d == 3


def test_a20_repeated_errors_back_off_and_reset(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    server.route("/feed", Reply(500))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}], max_backoff_hours=2)
    assert fetch(config, clock=clock).feeds[0].status == "error"
    skipped = fetch(config, clock=clock).feeds[0]
    assert skipped.status == "skipped" and "backing off after 1 error " in (skipped.error or "")
    assert server.hit_count("/feed") == 1
    for _ in range(4):
        clock.advance(hours=3)
        fetch(config, clock=clock)
    with Store.open(sqlite_file(config)) as store:
        state = store.feed_state("f")
    assert state and state.consecutive_errors == 5
    assert state.next_attempt and (state.next_attempt - clock.now).total_seconds() == 2 * 3600  # capped
    server.route("/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", [], clock.now)))
    clock.advance(hours=3)
    assert fetch(config, clock=clock).feeds[0].status == "unchanged"
    with Store.open(sqlite_file(config)) as store:
        state = store.feed_state("f")
    assert state and state.consecutive_errors == 0 and state.next_attempt is None


def test_a19_gone_feed_is_not_polled_again(tmp_path: Path, server: LoopbackServer, clock: FakeClock) -> None:
    server.route("/feed", Reply(410))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}])
    assert fetch(config, clock=clock).feeds[0].status == "gone"
    clock.advance(days=30)
    assert fetch(config, clock=clock, force=True).feeds[0].status == "gone"
    assert server.hit_count("/feed") == 1
    with Store.open(sqlite_file(config)) as store:
        assert store.reset_feed("f")
    fetch(config, clock=clock)
    assert server.hit_count("/feed") == 2


def test_a17_rate_limit_defers_the_feed_and_its_host(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    server.route("/limited", Reply(429, {"Retry-After": "5400"}))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/limited")}])
    result = fetch(config, clock=clock).feeds[0]
    assert result.status == "rate_limited"
    with Store.open(sqlite_file(config)) as store:
        state = store.feed_state("f")
    assert state and state.consecutive_errors == 0  # a rate limit is not a failure
    assert state.next_attempt == clock.now + timedelta(minutes=90)
    assert fetch(config, clock=clock).feeds[0].status == "rate_limited"
    assert server.hit_count("/limited") == 1


def test_a_hosts_rate_limit_holds_its_other_feeds_and_pages_across_runs(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    items = load_articles("ac")[:1]
    server.route(
        "/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", items, clock.now, full_text=False))
    )
    server.route(items[0].path, Reply(429, {"Retry-After": "3600"}))
    server.route("/other", Reply(200, {}, wordpress_feed(server.base, "AC", "/other", [], clock.now)))
    feeds = [{"name": "f", "url": server.url("/feed")}, {"name": "other", "url": server.url("/other")}]
    config = write_config(tmp_path, feeds)
    first = fetch(config, clock=clock)
    assert first.pending == 1 and {r.name: r.status for r in first.feeds}["f"] == "new"
    clock.advance(minutes=10)  # a new run, same process or not: the host's wait is in the store
    second = fetch(config, clock=clock)
    limited = {r.name: r for r in second.feeds}
    assert limited["f"].status == limited["other"].status == "rate_limited"
    assert limited["other"].error == "rate limited: 127.0.0.1 asked to wait until 2026-11-21 13:00 UTC"
    assert second.pending == 1 and server.hit_count(items[0].path) == 1
    assert server.hit_count("/other") == 1
    clock.advance(hours=1)
    server.route(items[0].path, Reply(200, {"Content-Type": "text/html"}, ac_page(server.base, items[0])))
    third = fetch(config, clock=clock)
    assert third.pending == 0 and [a.status for a in third.articles] == ["ok"]
    with Store.open(sqlite_file(config)) as store:
        pending = store.articles()
    assert pending[0].extraction_status == "ok"


def test_stored_waits_are_bounded_when_read(tmp_path: Path, server: LoopbackServer, clock: FakeClock) -> None:
    server.route("/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", [], clock.now)))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}], max_backoff_hours=6)
    fetch(config, clock=clock)
    years = clock.now + timedelta(days=3650)  # a run whose clock was ten years ahead
    with Store.open(sqlite_file(config)) as store:
        store.record_feed_error("f", "HTTP 500", years, status="error", next_attempt=years)
        store.record_host_wait("127.0.0.1", years)
    waiting = fetch(config, clock=clock).feeds[0]
    assert waiting.status == "skipped" and "until 2026-11-21 18:00 UTC" in (waiting.error or "")
    clock.advance(hours=7)  # past max_backoff_hours: the feed is asked again; the host wait is a week
    assert fetch(config, clock=clock).feeds[0].status == "rate_limited"
    clock.advance(days=7)
    assert fetch(config, clock=clock).feeds[0].status in ("unchanged", "not_modified")


def test_a13_permanent_redirect_is_recorded_not_applied(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    server.route("/old", Reply(301, {"Location": "/new"}))
    server.route(
        "/new", Reply(200, {}, wordpress_feed(server.base, "AC", "/new", load_articles("ac")[:1], clock.now))
    )
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/old"), "fetch_pages": False}])
    first = fetch(config, clock=clock).feeds[0]
    assert first.new == 1 and "permanently redirected to" in first.detail
    clock.advance(days=1)
    fetch(config, clock=clock)
    with Store.open(sqlite_file(config)) as store:
        state = store.feed_state("f")
    assert state and state.url == server.url("/old")  # configured URL untouched
    assert state.redirect_target == server.url("/new")
    assert state.redirect_first_seen == clock.now - timedelta(days=1)
    assert server.hit_count("/old") == 2


def test_a11_a12_entry_links_inside_or_not_http_are_never_fetched(tmp_path: Path, clock: FakeClock) -> None:
    with LoopbackServer("127.0.0.1") as internal, LoopbackServer("127.0.0.2") as public:
        secret = internal.route("/secret", Reply(200, {}, b"internal data"))
        feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<item><title>inside</title><link>{secret}</link><description>feed text one</description></item>"
            "<item><title>metadata</title><link>http://169.254.169.254/latest/</link><description>two</description></item>"
            "<item><title>script</title><link>javascript:alert(1)</link><description>three</description></item>"
            "<item><title>file</title><link>file:///etc/passwd</link><description>four</description></item>"
            "</channel></rss>"
        ).encode()
        public.route("/feed", Reply(200, {"Content-Type": "application/rss+xml"}, feed))
        config = write_config(
            tmp_path,
            [{"name": "f", "url": public.url("/feed")}],
            allow_private_networks=False,
            allowed_networks=["127.0.0.2/32"],
        )
        report = fetch(config, clock=clock)
        assert report.feeds[0].status == "new" and report.feeds[0].new == 4
        stored = {a.title: a for a in articles(config)}
        assert {a.extraction_status for a in stored.values()} == {"blocked"}
        assert stored["inside"].text == "feed text one" and stored["inside"].text_source == "feed"
        assert internal.hit_count("/secret") == 0


def test_pages_shared_between_feeds_are_fetched_once(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    server = sample_site.server
    items = load_articles("ac")[:2]
    server.route(
        "/blogs/new-atlanticist/feed/",
        Reply(
            200,
            {},
            wordpress_feed(
                server.base,
                "New Atlanticist",
                "/blogs/new-atlanticist/feed/",
                items,
                clock.now,
                full_text=False,
            ),
        ),
    )
    feeds = [*site_feeds(sample_site), {"name": "ac-na", "url": server.url("/blogs/new-atlanticist/feed/")}]
    config = write_config(tmp_path, feeds)
    fetch(config, clock=clock)
    for a in items:
        assert server.hit_count(a.path) == 1
    shared = [a for a in articles(config) if a.feed == "ac-na"]
    assert len(shared) == 2 and all(a.extraction_status == "ok" and a.word_count > 100 for a in shared)


def test_failed_page_keeps_feed_text_and_is_retried(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    items = load_articles("ac")[:1]
    server.route(
        "/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", items, clock.now, full_text=False))
    )
    server.route(items[0].path, Reply(503))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}], page_attempts=2)
    first = fetch(config, clock=clock)
    assert first.articles[0].status == "pending" and first.pending == 1
    second = fetch(config, clock=clock)
    assert second.articles[0].status == "fetch_error" and second.pending == 0
    stored = articles(config)[0]
    assert stored.text_source == "feed" and stored.text.startswith(items[0].paragraphs[0][:40])
    assert "HTTP 503" in stored.extraction_detail
    assert server.hit_count(items[0].path) == 2


def test_rate_limited_pages_wait_without_using_up_their_attempts(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    items = load_articles("ac")[:1]
    server.route(
        "/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", items, clock.now, full_text=False))
    )
    server.route(items[0].path, Reply(429, {"Retry-After": "60"}))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}], page_attempts=2)
    for _ in range(4):
        assert fetch(config, clock=clock).pending == 1
        clock.advance(minutes=5)
    server.route(items[0].path, Reply(200, {"Content-Type": "text/html"}, ac_page(server.base, items[0])))
    report = fetch(config, clock=clock)
    assert report.pending == 0 and report.articles[0].status == "ok"


def test_hostile_feeds_and_pages_among_good_ones_leave_the_run_ok(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    server = sample_site.server
    items = load_articles("ac")[:1]
    no_ends = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>' + b"<item />" * 300
    server.route("/items-without-ends", Reply(200, {}, no_ends + b"</channel></rss>"))
    hex_feed = wordpress_feed(server.base, "AC", "/hex-feed", items, clock.now, full_text=False)
    server.route("/hex-feed", Reply(200, {}, hex_feed))
    server.route(
        items[0].path, Reply(200, {"Content-Type": "text/html; charset=hex"}, ac_page(server.base, items[0]))
    )
    with LoopbackServer("127.0.0.2") as other:  # its 429 must not hold up the sample site's host
        other.route("/absurd-retry", Reply(429, {"Retry-After": "99999999999999999999999"}))
        feeds = [
            *site_feeds(sample_site),
            {"name": "no-ends", "url": server.url("/items-without-ends")},
            {"name": "absurd", "url": other.url("/absurd-retry")},
            {"name": "hex", "url": server.url("/hex-feed")},
        ]
        config = write_config(tmp_path, feeds)
        for _ in range(2):  # and the next run too: nothing left behind that fails again
            report = fetch(config, clock=clock)
            status = {r.name: r.status for r in report.feeds}
            assert status["caci-analytical"] in ("new", "not_modified")
            assert status["ac-main"] in ("new", "not_modified")
            assert status["absurd"] == "rate_limited" and status["no-ends"] != "error"
            clock.advance(hours=2)
    with Store.open(sqlite_file(config)) as store:
        runs = store.runs()
    assert [r["status"] for r in runs] == ["ok", "ok"]
    hex_article = next(a for a in articles(config) if a.feed == "hex")
    assert hex_article.extraction_status == "ok" and items[0].paragraphs[0] in hex_article.text


def test_boilerplate_page_loses_to_the_feed(tmp_path: Path, server: LoopbackServer, clock: FakeClock) -> None:
    items = load_articles("ac")[:1]
    server.route(
        "/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", items, clock.now, full_text=True))
    )
    server.route(
        items[0].path,
        Reply(
            200,
            {"Content-Type": "text/html"},
            b"<html><body><p>Please enable JavaScript to continue.</p></body></html>",
        ),
    )
    server.route("/pdf", Reply(200, {"Content-Type": "application/pdf"}, b"%PDF-1.7"))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}])
    fetch(config, clock=clock)
    stored = articles(config)[0]
    assert stored.extraction_status in ("no_text", "boilerplate", "short")
    assert stored.text_source == "feed" and stored.text == "\n\n".join(items[0].paragraphs)


def test_c1_pathological_page_times_out_and_the_run_goes_on(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    items = load_articles("ac")[:2]
    server.route("/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", items, clock.now)))
    soup = b"<html><body>" + b"<p>word word word word word word word " * 110_000 + b"</body></html>"  # ~20 s
    server.route(items[0].path, Reply(200, {"Content-Type": "text/html"}, soup))
    server.route(items[1].path, Reply(200, {"Content-Type": "text/html"}, ac_page(server.base, items[1])))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}], extraction_timeout=0.5)
    report = fetch(config, clock=clock)
    outcome = {a.url.rsplit("/", 2)[-2]: a.status for a in report.articles}
    assert outcome[items[0].path.rsplit("/", 2)[-2]] == "timeout"
    assert outcome[items[1].path.rsplit("/", 2)[-2]] == "ok"
    slow = next(a for a in articles(config) if a.extraction_status == "timeout")
    assert slow.text_source == "feed" and slow.text


def test_max_entries_per_feed(tmp_path: Path, server: LoopbackServer, clock: FakeClock) -> None:
    items = load_articles("ac") + load_articles("caci")
    server.route("/feed", Reply(200, {}, wordpress_feed(server.base, "AC", "/feed", items, clock.now)))
    config = write_config(
        tmp_path, [{"name": "f", "url": server.url("/feed"), "fetch_pages": False, "max_entries": 2}]
    )
    result = fetch(config, clock=clock).feeds[0]
    assert result.new == 2 and "4 older entries over the limit dropped" in result.detail
    assert {a.title for a in articles(config)} == {
        i.title for i in sorted(items, key=lambda i: i.published)[-2:]
    }


def test_undated_entries_take_first_seen(tmp_path: Path, server: LoopbackServer, clock: FakeClock) -> None:
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>undated</title><link>https://x.example/a</link><description>d</description></item>"
        b"</channel></rss>"
    )
    server.route("/feed", Reply(200, {}, feed))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed"), "fetch_pages": False}])
    fetch(config, clock=clock)
    a = articles(config)[0]
    assert a.published == a.first_seen == clock.now and a.date_source == "first_seen"


def test_e1_a_second_run_is_refused_while_the_lock_is_held(tmp_path: Path, server: LoopbackServer) -> None:
    server.route("/feed", Reply(200, {}, b"<rss/>"))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}])
    with (
        held_elsewhere(config.settings.data_dir),
        pytest.raises(RunLockedError, match="another briefing run"),
    ):
        fetch(config)
    assert server.hit_count("/feed") == 0
    assert not sqlite_file(config).exists()
    with RunLock(config.settings.data_dir), RunLock(config.settings.data_dir):
        pass  # re-entrant in one thread: `briefing run` holds it around fetch and report


@contextlib.contextmanager
def held_elsewhere(data_dir: Path) -> Iterator[None]:
    """The run lock held by another thread (as another daemon job would hold it)."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with RunLock(data_dir):
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_unknown_feed_name_is_a_config_error(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    with pytest.raises(ConfigError, match="no feed named 'nope'; known: caci-analytical, ac-main"):
        fetch(config, feeds=["nope"])


def test_fetching_one_feed_by_name_even_if_disabled(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    feeds = site_feeds(sample_site)
    feeds[1]["enabled"] = False
    config = write_config(tmp_path, feeds)
    assert [r.name for r in fetch(config, clock=clock).feeds] == ["caci-analytical"]
    assert [r.name for r in fetch(config, clock=clock, feeds=["ac-main"]).feeds] == ["ac-main"]


def test_b3_external_dtd_is_never_requested(tmp_path: Path, server: LoopbackServer, clock: FakeClock) -> None:
    dtd = server.route("/evil.dtd", Reply(200, {}, b'<!ENTITY x "pwned">'))
    feed = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd}"><rss version="2.0"><channel><title>t</title>'
        "<item><title>a &x;</title><link>https://x.example/a</link></item></channel></rss>"
    ).encode()
    server.route("/feed", Reply(200, {}, feed))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed"), "fetch_pages": False}])
    fetch(config, clock=clock)
    assert server.hit_count("/evil.dtd") == 0
    assert all("pwned" not in a.title for a in articles(config))


def test_check_feeds_reads_dates_not_just_status(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    old = [
        type(a)(**{**a.__dict__, "published": a.published.replace(year=2016)}) for a in load_articles("caci")
    ]
    server.route("/dormant", Reply(200, {}, wordpress_feed(server.base, "Old", "/dormant", old, clock.now)))
    server.route("/page", Reply(200, {"Content-Type": "text/html"}, b"<html><body>hi</body></html>"))
    config = write_config(
        tmp_path,
        [{"name": "dormant", "url": server.url("/dormant")}, {"name": "page", "url": server.url("/page")}],
    )
    results = {c.name: c for c in check_feeds(config, clock=clock)}
    assert results["dormant"].ok and results["dormant"].entries == 3
    assert any("looks dormant" in w for w in results["dormant"].warnings)
    assert not results["page"].ok and "not a feed" in results["page"].problem
    assert not sqlite_file(config).exists()  # nothing stored


def test_report_is_in_configuration_order(tmp_path: Path, sample_site: SampleSite, clock: FakeClock) -> None:
    config = write_config(tmp_path, list(reversed(site_feeds(sample_site))))
    assert [r.name for r in fetch(config, clock=clock).feeds] == ["ac-main", "caci-analytical"]


def test_e10_the_fetch_deadline_ends_a_stuck_fetch_and_keeps_what_was_done(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    server = sample_site.server
    slow_page = load_articles("ac")[:1]
    server.route("/stuck", faults.never_answers(120))
    server.route("/slow-pages", Reply(200, {}, wordpress_feed(server.base, "S", "/s", slow_page, clock.now)))
    server.route(slow_page[0].path, faults.never_answers(120))
    feeds = [
        *site_feeds(sample_site),
        {"name": "stuck", "url": server.url("/stuck"), "timeout": 120},
        {"name": "slow-pages", "url": server.url("/slow-pages"), "timeout": 120},
    ]
    # Long enough for the good feeds on a loaded machine; far shorter than the stuck ones' timeouts.
    config = write_config(tmp_path, feeds, fetch_deadline=8)  # settings.timeout stays 5 s
    report = fetch(config, clock=clock)
    by_name = {r.name: r for r in report.feeds}
    assert by_name["caci-analytical"].status == "new" and by_name["ac-main"].status == "new"
    stuck = by_name["stuck"]
    assert stuck.status == "skipped" and stuck.error and "fetch deadline of 8 s reached" in stuck.error, stuck
    with Store.open(sqlite_file(config)) as store:
        state = store.feed_state("stuck")
        assert store.runs()[0]["status"] == "ok"
        waiting = store.pending_articles(["slow-pages"])
    assert state is not None and state.consecutive_errors == 0  # not the feed's fault: no backoff
    assert [p.attempts for p in waiting] == [0]  # the page cut off keeps all its attempts

    server.route(
        "/stuck", Reply(200, {}, wordpress_feed(server.base, "S", "/t", load_articles("ac")[1:2], clock.now))
    )
    server.route(
        slow_page[0].path, Reply(200, {"Content-Type": "text/html"}, ac_page(server.base, slow_page[0]))
    )
    clock.advance(hours=1)
    again = {r.name: r for r in fetch(config, clock=clock).feeds}
    assert again["stuck"].status == "new"
    assert [a.extraction_status for a in articles(config) if a.feed == "slow-pages"] == ["ok"]


def test_status_reset_and_opml_import_are_library_functions(
    tmp_path: Path, server: LoopbackServer, clock: FakeClock
) -> None:
    from briefing.pipeline import import_opml, reset_feed, status

    server.route("/limited", Reply(429, {"Retry-After": "3600"}))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/limited")}])
    fetch(config, clock=clock)
    now = status(config, clock=clock)
    assert [h.name for h in now.feeds] == ["f"] and now.feeds[0].status == "rate_limited"
    assert now.last_run is not None and now.last_run["command"] == "fetch" and now.briefs == ()
    with Store.open(sqlite_file(config)) as store:
        assert store.host_wait("127.0.0.1", clock.now) is not None
    assert reset_feed(config, "f") is True  # forgets the feed's state and its host's wait
    with Store.open(sqlite_file(config)) as store:
        assert store.host_wait("127.0.0.1", clock.now) is None
    assert status(config, clock=clock).feeds[0].status == "new"
    with pytest.raises(ConfigError, match="no feed named 'nope'"):
        reset_feed(config, "nope")
    opml = tmp_path / "in.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        '<outline text="Eurasianet" type="rss" xmlUrl="https://eurasianet.example/feed"/></body></opml>',
        encoding="utf-8",
    )
    before = config.source.read_text(encoding="utf-8")
    dry = import_opml(config, opml, dry_run=True)
    assert [f.name for f in dry.added] == ["eurasianet"] and not dry.written
    assert config.source.read_text(encoding="utf-8") == before
    done = import_opml(config, opml)
    assert done.written and "https://eurasianet.example/feed" in config.source.read_text(encoding="utf-8")
