"""The command line as users and cron run it: output, JSON, exit codes, crashes and signals."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

import faults
from briefing.cli import cli
from briefing.lock import RunLock
from briefing.samples.server import LoopbackServer, Reply
from briefing.samples.shapes import wordpress_feed
from conftest import (
    ROOT,
    SampleSite,
    load_articles,
    run_cli,
    run_like_cron,
    site_feeds,
    sqlite_file,
    write_config,
)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_fetch_twice_prints_one_line_per_feed(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    code, out, err = invoke("fetch", "--config", str(config.source))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("caci-analytical") and "new" in lines[0] and "3 new" in lines[0]
    assert lines[1].startswith("ac-main") and "2 new; 1 new excluded by pattern" in lines[1]
    assert lines[-1].startswith("2 feeds (2 new); 5 new articles; pages: 5 extracted;")
    code, out, _ = invoke("--config", str(config.source), "fetch")  # --config before the command works too
    assert code == 0
    assert out.splitlines()[0].split() == ["caci-analytical", "not", "modified"]
    assert "0 new articles; pages: none fetched" in out


def test_fetch_json(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    code, out, _ = invoke("fetch", "--json", "--config", str(config.source))
    report = json.loads(out)
    assert code == 0
    assert [(f["name"], f["status"], f["new"], f["error"]) for f in report["feeds"]] == [
        ("caci-analytical", "new", 3, None),
        ("ac-main", "new", 2, None),
    ]
    assert {f["url"] for f in report["feeds"]} == {sample_site.caci_feed, sample_site.ac_feed}
    assert len(report["articles"]) == 5 and report["pending"] == 0


def test_strict_makes_a_feed_error_fail_the_run(tmp_path: Path, server: LoopbackServer) -> None:
    server.route("/broken", Reply(500))
    config = write_config(tmp_path, [{"name": "broken", "url": server.url("/broken")}])
    code, out, _ = invoke("fetch", "--config", str(config.source))
    assert code == 0 and "broken" in out and "HTTP 500" in out
    code, _, _ = invoke("fetch", "--strict", "--force", "--config", str(config.source))
    assert code == 1


def test_invalid_configuration_exits_2_with_every_problem_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "feeds.yaml"
    bad.write_text("settings:\n  timout: 5\nfeeds:\n  - name: x\n    url: ftp://x.example/feed\n")
    done = run_cli(["fetch", "--config", str(bad)])
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"briefing: error: {bad}: settings.timout: unknown key (did you mean 'timeout'?)",
        f"briefing: error: {bad}: feeds[0].url: 'ftp://x.example/feed' is not an http:// or https:// URL; "
        "give the feed's web address",
    ]
    assert not (tmp_path / "data").exists()  # before any network or database work
    debug = run_cli(["fetch", "--debug", "--config", str(bad)])
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_config_from_environment_and_missing_default(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("feeds: []\n")
    done = run_cli(["config", "check"], env={"BRIEFING_CONFIG": str(tmp_path / "mine.yaml")}, cwd=tmp_path)
    assert done.returncode == 0 and "mine.yaml: ok (0 feeds" in done.stdout
    missing = run_cli(["status"], cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "briefing: error: feeds.yaml: file not found; pass --config FILE or set BRIEFING_CONFIG"
    )


def test_e1_locked_run_exits_75_without_touching_anything(tmp_path: Path, server: LoopbackServer) -> None:
    server.route("/feed", Reply(200, {}, b"<rss/>"))
    config = write_config(tmp_path, [{"name": "f", "url": server.url("/feed")}])
    with RunLock(config.settings.data_dir):
        done = run_cli(["fetch", "--config", str(config.source)])
    assert done.returncode == 75
    assert "another briefing run is in progress" in done.stderr
    assert server.hit_count("/feed") == 0 and not sqlite_file(config).exists()


def test_articles_and_status(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    path = str(config.source)
    code, out, _ = invoke("articles", "--config", path)
    assert code == 0 and out == "No articles: nothing is stored yet; run `briefing fetch`.\n"
    invoke("fetch", "--config", path)
    code, out, _ = invoke("articles", "--config", path, "--since", "2030-01-01")
    assert code == 0 and out.startswith("No articles published from 2030-01-01 00:00 UTC; the store holds ")
    # --until includes the day it names, in articles as in report.
    code, out, _ = invoke("articles", "--config", path, "--json", "--until", "2026-11-18")
    published = [a["published"][:10] for a in json.loads(out)["articles"]]
    assert "2026-11-18" in published and max(published) == "2026-11-18"
    code, out, _ = invoke("articles", "--config", path, "--feed", "caci-analytical")
    assert code == 0 and out.count("caci-analytical") == 3 and "Aliya Nurlanova" in out
    code, out, _ = invoke("articles", "--config", path, "--json", "--since", "2026-11-18")
    listed = json.loads(out)["articles"]
    assert {a["title"] for a in listed} >= {"A Water Accord on the Amu Darya"}
    assert all(a["published"] >= "2026-11-18" for a in listed)
    assert set(listed[0]) >= {
        "id",
        "feed",
        "url",
        "title",
        "authors",
        "published",
        "extraction_status",
        "words",
    }
    code, out, _ = invoke("articles", "--config", path, "--excluded")
    assert "excluded" in out
    code, out, _ = invoke("status", "--config", path)
    assert code == 0 and out.startswith("caci-analytical") and "last run: #1 fetch ok" in out
    code, out, _ = invoke("status", "--config", path, "--json")
    health = json.loads(out)
    assert health["feeds"][0]["name"] == "caci-analytical" and health["feeds"][0]["consecutive_errors"] == 0
    code, _, err = invoke("articles", "--config", path, "--since", "last tuesday")
    assert code == 2 and err.startswith("briefing: error: --since: 'last tuesday': use a date (2026-11-16)")


def test_feeds_list_check_reset(tmp_path: Path, sample_site: SampleSite) -> None:
    feeds = site_feeds(sample_site)
    feeds.append({"name": "old", "url": sample_site.server.url("/none"), "enabled": False})
    config = write_config(tmp_path, feeds)
    path = str(config.source)
    code, out, _ = invoke("feeds", "list", "--config", path)
    assert code == 0 and "(disabled)" in out and out.count("\n") == 3
    code, out, _ = invoke("feeds", "check", "--config", path)
    assert code == 0 and "rss20 with 3 items, newest 2026-11-19" in out
    code, out, _ = invoke("feeds", "check", "--config", path, "--feed", "old", "--json")
    assert code == 1 and json.loads(out)["feeds"][0]["problem"].startswith("HTTP 404")
    code, out, _ = invoke("feeds", "reset", "old", "--config", path)
    assert code == 0 and "nothing to reset" in out


def test_opml_round_trip(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    path = str(config.source)
    code, opml, _ = invoke("feeds", "export-opml", "--config", path)
    assert code == 0 and 'xmlUrl="' + sample_site.caci_feed in opml
    other = tmp_path / "other.opml"
    other.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="Caucasus"><outline text="Eurasianet" type="rss" xmlUrl="https://eurasianet.example/feed"/>'
        f'<outline text="Already" type="rss" xmlUrl="{sample_site.caci_feed}"/></outline>'
        '<outline text="Bad" type="rss" xmlUrl="file:///etc/passwd"/></body></opml>'
    )
    before = config.source.read_text()
    code, out, _ = invoke("feeds", "import-opml", str(other), "--dry-run", "--config", path)
    assert code == 0 and "would add eurasianet" in out and config.source.read_text() == before
    assert "already configured" in out and "not an http(s) URL" in out
    code, out, _ = invoke("feeds", "import-opml", str(other), "--config", path)
    assert code == 0 and "1 feed added" in out
    code, out, _ = invoke("feeds", "list", "--config", path, "--json")
    added = json.loads(out)["feeds"][-1]
    assert added == {
        "name": "eurasianet",
        "url": "https://eurasianet.example/feed",
        "title": "Eurasianet",
        "publisher": "",
        "tags": ["caucasus"],
        "enabled": True,
        "exclude": [],
        "fetch_pages": True,
        "max_entries": None,
        "timeout": None,
    }
    (tmp_path / "not.opml").write_text("<html/>")
    code, _, err = invoke("feeds", "import-opml", str(tmp_path / "not.opml"), "--config", path)
    assert code == 2 and "not an OPML file" in err


def test_config_reference_and_help() -> None:
    code, out, _ = invoke("config", "reference")
    assert code == 0 and "`settings.timeout`" in out
    code, out, _ = invoke("--help")
    assert code == 0 and "fetch" in out and "articles" in out


def test_c7_worker_crash_is_recorded_and_the_run_continues(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    done = run_cli(
        ["fetch", "--json", "--config", str(config.source)],
        env={"BRIEFING_TEST_CRASH_AT": "extract@a-water-accord"},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    statuses = [a["status"] for a in report["articles"]]
    assert sorted(statuses) == ["crashed", "ok", "ok", "ok", "ok"]
    crashed = next(a for a in report["articles"] if a["status"] == "crashed")
    assert crashed["source"] == "feed" and "worker process died" in crashed["detail"]


def test_f2_crash_before_commit_leaves_no_validators(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site)[:1])
    for point in ("after_parse", "before_commit"):
        done = run_cli(["fetch", "--config", str(config.source)], env={"BRIEFING_TEST_CRASH_AT": point})
        assert done.returncode == 137
        with sqlite3.connect(sqlite_file(config)) as c:
            assert c.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
            assert c.execute("SELECT etag FROM feeds").fetchone()[0] is None
    done = run_cli(["fetch", "--json", "--config", str(config.source)])
    feed = json.loads(done.stdout)["feeds"][0]
    assert (feed["status"], feed["new"], feed["http_status"]) == ("new", 3, 200)  # 200, not 304


def _start(config_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", "fetch", "--config", str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_hit(server: LoopbackServer, path: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while server.hit_count(path) == 0:
        assert time.monotonic() < deadline, f"{path} never requested"
        time.sleep(0.05)


def test_e2_e13_killed_and_terminated_runs_release_the_lock(tmp_path: Path, server: LoopbackServer) -> None:
    items = load_articles("ac")[:2]
    feed = wordpress_feed(server.base, "AC", "/feed", items, items[0].published)
    server.route("/feed", Reply(200, {}, feed))
    server.route("/hang", faults.never_answers(60))
    config = write_config(
        tmp_path,
        [
            {"name": "good", "url": server.url("/feed"), "fetch_pages": False},
            {"name": "hang", "url": server.url("/hang"), "timeout": 60},
        ],
    )
    for sig, code in ((signal.SIGKILL, -9), (signal.SIGTERM, 143)):
        proc = _start(config.source)
        _wait_for_hit(server, "/hang")
        time.sleep(0.3)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == code, err
        if sig == signal.SIGTERM:
            assert "stopped by SIGTERM" in err and "Traceback" not in err
        server.hits.clear()
    server.route("/hang", Reply(200, {}, feed))
    done = run_cli(["fetch", "--json", "--config", str(config.source)])
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(sqlite_file(config)) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
        statuses = [r[0] for r in c.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] == "ok" and "running" not in statuses


def test_cron_like_environment(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    done = run_like_cron(["fetch", "--config", str(config.source)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "5 new articles" in done.stdout
    assert (tmp_path / "data" / "briefing.sqlite3").exists()


def test_readme_quick_start_config_is_valid() -> None:
    done = run_cli(["config", "check", "--config", str(ROOT / "feeds.yaml")])
    assert done.returncode == 0 and "5 feeds, 4 enabled" in done.stdout


def test_a_run_with_nothing_due_does_not_import_the_heavy_libraries() -> None:
    """Analysis and rendering libraries cost seconds to import; a run that only checks feeds (all 304,
    week done) must not pay for them, and extraction imports trafilatura in its workers only."""
    code = (
        "import sys, briefing.cli.unattended, briefing.pipeline.running, briefing.pipeline.fetching;"
        "print(sorted(m for m in ('sklearn', 'scipy', 'trafilatura', 'weasyprint') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
