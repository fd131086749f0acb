"""A cluster on PostgreSQL: workers share the queued work and store what one machine stores; workers and
the scheduler killed at many moments leave the store as an uninterrupted run does (#16).

Six feeds (three in each publisher's shape, two articles each) are served from loopback and the brief is
e-mailed to a real SMTP server on loopback. The reference is the one-machine product: `briefing run` on
SQLite. A cluster run (`briefing enqueue --brief`, then `briefing worker` processes until the queue is
empty) must leave the same store, files and e-mail; so must a cluster run whose first worker is killed at
a named point or by SIGKILL, after which a second worker takes over its jobs.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from briefing.config import load_config
from briefing.queue import Queue
from briefing.samples.load import build_site
from briefing.samples.server import LoopbackServer
from briefing.store import Store
from conftest import write_config
from test_crash import comparable, finish, messages_to, report_files
from test_mail import Recorder, smtp_server
from test_run import with_email

pytestmark = pytest.mark.slow

NOW = "2026-11-23T08:00:00+00:00"  # the brief of 2026-W47 is due
FEEDS, ITEMS = 6, 2
STALLED_AFTER = 5.0  # seconds before a silent worker's jobs go to another

# Points in a worker: a feed job after its entries are stored, before its page jobs are queued; a page
# job after its text is stored; the brief job after rendering, after the SMTP server accepted, after the
# ledger recorded the sending; and a write that never commits.
NAMED = [
    ("after_commit", 1),
    ("after_commit", 4),
    ("before_commit", 2),
    ("after_extraction", 1),
    ("after_extraction", 7),
    ("after_rendered", 1),
    ("after_smtp_accept", 1),
    ("after_sent", 1),
]
KILLED_AT = [0.2, 0.5]  # SIGKILL of the first worker at these fractions of the reference cluster run
# The scheduler killed while queueing a round (after its third feed); a restarted or standby scheduler
# queues the round again, and what was already waiting is not queued twice.
POINTS = [f"crash:{p}:{n}" for p, n in NAMED] + [f"kill:{f}" for f in KILLED_AT] + ["scheduler:queued:3"]


@dataclass
class World:
    server: LoopbackServer
    feed_urls: list[str]
    inbox: Recorder
    smtp_port: int
    reference: dict[str, Any]
    reference_files: dict[str, str]
    cluster_seconds: float
    # What the two-worker cluster and `briefing run` on PostgreSQL left: (store, report files, e-mails).
    runs: dict[str, tuple[dict[str, Any], dict[str, str], int]]


def configure(folder: Path, feed_urls: list[str], smtp_port: int, database: str = "") -> Path:
    feeds = [{"name": f"feed-{i:02d}", "url": url} for i, url in enumerate(feed_urls)]
    extra: dict[str, Any] = {"database": database, "stalled_after": STALLED_AFTER} if database else {}
    config = write_config(folder, feeds, timeout=10, extraction_timeout=30, **extra)
    return with_email(config, smtp_port, recipients=[f"{folder.name}@example.org"]).source


def cli(config: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    full_env.update({"BRIEFING_TEST_NOW": NOW, **env})
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", "--config", str(config), *args],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen[str]) -> str:
    """SIGTERM a worker (it finishes its running jobs) and return its log."""
    worker.send_signal(signal.SIGTERM)
    code, _, err = finish(worker, timeout=60)
    assert code == 0, f"worker exit {code}: {err[-1500:]}"
    return err


def wait_idle(config: Path, timeout: float = 180) -> None:
    queue = Queue(load_config(config))
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        if queue.idle():
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 1.0:  # and stays so: no job queued meanwhile
                return
        else:
            quiet_since = None
        time.sleep(0.3)
    raise AssertionError(f"the queue is not empty after {timeout} s: {queue.counts()}")


def snapshot(location: Path | str, folder: Path) -> dict[str, Any]:
    """What a run leaves in the store (either database), without times, ids or run bookkeeping."""
    with Store.open(location) as store:
        q = store.conn.execute
        feeds = q(
            "SELECT name, url, status, degraded_reason, etag, last_modified, validators_url,"
            " consecutive_errors, last_error, title FROM feeds ORDER BY name"
        ).fetchall()
        articles = q(
            "SELECT f.name, a.entry_key, a.guid, a.url, a.title, a.published, a.content_hash,"
            " a.text, a.text_source, a.word_count, a.extraction_status, a.extraction_detail,"
            " a.briefed_at, p.size, p.http_status"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id LEFT JOIN pages p ON p.article_id = a.id"
            " ORDER BY f.name, a.entry_key"
        ).fetchall()
        findings = q(
            "SELECT f.name, a.entry_key, n.baseline, n.kind, n.score, n.section, n.story"
            " FROM findings n JOIN articles a ON a.id = n.article_id"
            " JOIN feeds f ON f.id = a.feed_id ORDER BY f.name, a.entry_key, n.baseline"
        ).fetchall()
        deliveries = q("SELECT period, files, status, last_error FROM deliveries").fetchall()
    members: dict[str, list[tuple[str, str]]] = {}
    for row in findings:
        members.setdefault(row[6], []).append((row[0], row[1]))
    return {
        "feeds": [tuple(r) for r in feeds],
        "articles": [tuple(r) for r in articles],
        "findings": [(*r[:4], round(float(r[4]), 9), r[5], min(members[r[6]])) for r in findings],
        "deliveries": [tuple(str(v).replace(str(folder), "<folder>") for v in r) for r in deliveries],
    }


def cluster_run(
    config: Path, workers: int = 2, first_env: dict[str, str] | None = None
) -> tuple[float, list[str]]:
    """Queue a round with the brief, then run `workers` workers until the queue is empty."""
    code, out, err = finish(cli(config, "enqueue", "--brief"))
    assert code == 0 and "brief 2026-W47" in out, err
    started = time.monotonic()
    procs = [cli(config, "worker", "--concurrency", "3", **(first_env or {})) for _ in range(workers)]
    wait_idle(config)
    seconds = time.monotonic() - started
    return seconds, [stop(p) for p in procs]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, postgres_server: Any) -> Iterator[World]:
    inbox = Recorder()
    with LoopbackServer() as server, smtp_server(inbox) as smtp:
        site = build_site(server, feeds=FEEDS, items=ITEMS, paragraphs=(3, 6), furniture=False)
        folder = tmp_path_factory.mktemp("one-machine")
        config = configure(folder, site.feed_urls, smtp.port)
        code, out, err = finish(cli(config, "run", "--json"))
        assert code == 0 and json.loads(out)["action"] == "sent", err
        reference = snapshot(folder / "data" / "briefing.sqlite3", folder)
        assert len(reference["articles"]) == FEEDS * ITEMS
        assert all(a[10] == "ok" and a[12] is not None for a in reference["articles"])
        files = comparable(report_files(folder))

        cluster = tmp_path_factory.mktemp("cluster")
        database = postgres_server.new_database()
        cluster_config = configure(cluster, site.feed_urls, smtp.port, database)
        seconds, _ = cluster_run(cluster_config)
        mails = len(messages_to(inbox, f"{cluster.name}@example.org"))
        runs = {"two workers": (snapshot(database, cluster), comparable(report_files(cluster)), mails)}

        # And the one-machine product itself (`briefing run`, no workers) on PostgreSQL.
        alone = tmp_path_factory.mktemp("pg-one-machine")
        database = postgres_server.new_database()
        code, out, err = finish(cli(configure(alone, site.feed_urls, smtp.port, database), "run", "--json"))
        assert code == 0 and json.loads(out)["action"] == "sent", err
        mails = len(messages_to(inbox, f"{alone.name}@example.org"))
        runs["run on PostgreSQL"] = (snapshot(database, alone), comparable(report_files(alone)), mails)
        yield World(server, site.feed_urls, inbox, smtp.port, reference, files, seconds, runs)


@pytest.mark.parametrize("run", ["two workers", "run on PostgreSQL"])
def test_postgresql_stores_and_sends_what_one_machine_on_sqlite_does(world: World, run: str) -> None:
    # The same feeds, articles, texts, findings and ledger as `briefing run` on SQLite, the same brief
    # files, one e-mail.
    store, files, mails = world.runs[run]
    assert store == world.reference
    assert files == world.reference_files
    assert mails == 1


def test_workers_killed_then_replaced_end_like_an_uninterrupted_run(
    world: World, tmp_path: Path, postgres_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    folders = {point: tmp_path / f"k{i:02d}" for i, point in enumerate(POINTS)}
    for folder in folders.values():
        folder.mkdir()

    def scenario(point: str) -> str:
        try:
            _kill_then_replace(world, folders[point], point, postgres_server.new_database())
        except AssertionError as e:
            return str(e).splitlines()[0][:500] if str(e) else "assertion failed"
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(zip(POINTS, pool.map(scenario, POINTS), strict=True))
    failed = {p: why for p, why in outcomes.items() if why != "ok"}
    with capsys.disabled():
        print(
            f"\n{len(POINTS)} kill points on PostgreSQL (workers and the scheduler), {len(POINTS) - len(failed)} ended like the uninterrupted run"
        )
    assert not failed, "\n".join(f"{p}: {why}" for p, why in failed.items())


def _kill_then_replace(world: World, folder: Path, point: str, database: str) -> None:
    config = configure(folder, world.feed_urls, world.smtp_port, database)
    kind, _, where = point.partition(":")
    if kind == "scheduler":
        code, _, err = finish(cli(config, "enqueue", "--brief", BRIEFING_TEST_CRASH_AT=where))
        assert code == 137, f"the scheduler never reached {where}: exit {code}, {err[-500:]}"
    code, _, err = finish(cli(config, "enqueue", "--brief"))
    assert code == 0, err
    if kind == "scheduler":
        first = cli(config, "worker", "--concurrency", "3")
        wait_idle(config)
        stop(first)
    elif kind == "crash":
        name, n = where.rsplit(":", 1)
        first = cli(config, "worker", "--concurrency", "3", BRIEFING_TEST_CRASH_AT=f"{name}:{n}")
        code, _, err = finish(first)
        assert code == 137, f"the worker never reached {where}: exit {code}, {err[-500:]}"
    else:
        first = cli(config, "worker", "--concurrency", "3")
        time.sleep(float(where) * world.cluster_seconds + 2.0)  # its start-up, then a share of the work
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its extraction processes
        finish(first)
    address = f"{folder.name}@example.org"
    mailed_before = len(messages_to(world.inbox, address))
    with Store.open(database) as store:
        done = store.delivery("2026-W47")
        sent_before = done is not None and done.status == "sent"
    second = cli(config, "worker", "--concurrency", "3")
    wait_idle(config)
    log = stop(second)
    got = snapshot(database, folder)
    differ = [t for t, rows in world.reference.items() if got[t] != rows]
    assert not differ, f"tables differ from the reference: {differ}"
    seen = comparable(report_files(folder))
    assert seen == world.reference_files, "report files differ from the reference"
    # E-mail is at-least-once: a second copy only when the first was accepted but not yet recorded.
    messages = messages_to(world.inbox, address)
    expected = 2 if mailed_before and not sent_before else 1
    assert len(messages) == expected, f"{len(messages)} e-mails, expected {expected}"
    assert len({m["Message-ID"] for m in messages}) == 1, "two Message-IDs"
    if kind == "crash":  # the killed worker's job was in flight: another worker must have taken it
        assert "went silent; queued again" in log, "no job was taken over"


def test_one_scheduler_acts_and_a_standby_takes_over(world: World, tmp_path: Path, postgres_url: str) -> None:
    configs = []
    for name in ("machine-a", "machine-b"):
        folder = tmp_path / name
        folder.mkdir()
        configs.append(configure(folder, world.feed_urls, world.smtp_port, postgres_url))
    first = cli(configs[0], "daemon")
    _wait_log(first, "scheduler active")
    second = cli(configs[1], "daemon")
    _wait_log(second, "standing by")
    time.sleep(2 * STALLED_AFTER / 4 + 1)  # the standby tries the lock twice meanwhile
    assert _rounds(postgres_url) == 1  # only the active daemon's catch-up queued work
    os.killpg(first.pid, signal.SIGKILL)
    finish(first)
    _wait_log(second, "scheduler active", timeout=30)
    deadline = time.monotonic() + 30
    while _rounds(postgres_url) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _rounds(postgres_url) == 2  # the new active daemon's catch-up
    second.send_signal(signal.SIGTERM)
    code, _, err = finish(second, timeout=60)
    assert code == 0, err[-1000:]


def _rounds(database: str) -> int:
    with Store.open(database) as store:
        return int(store._one("SELECT count(*) FROM runs WHERE command = 'queue'")[0])


def _wait_log(proc: subprocess.Popen[str], text: str, timeout: float = 60) -> None:
    """Read the process's log (stderr) until a line holds `text`."""
    assert proc.stderr is not None
    lines: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if text in line:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not any(text in line for line in lines):
        raise AssertionError(f"{text!r} not logged: {''.join(lines)[-1500:]}")


def test_hosts_are_spaced_across_processes(postgres_url: str) -> None:
    # Two workers' stores reserve request starts for one host: whoever asks, starts are `spacing` apart.
    spacing = 0.2
    stores = [Store.open(postgres_url), Store.open(postgres_url)]
    try:
        waits = sorted(stores[i % 2].reserve_host_slot("Example.org", spacing) for i in range(6))
        gaps = [b - a for a, b in itertools.pairwise(waits)]
        assert all(gap > spacing * 0.8 for gap in gaps), waits
        assert waits[-1] > 4 * spacing
    finally:
        for s in stores:
            s.close()


def test_a_queue_needs_postgresql(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    done = subprocess.run(
        [sys.executable, "-m", "briefing", "--config", str(config.source), "worker"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "needs a PostgreSQL store" in done.stderr


def test_politeness_to_a_host_holds_across_workers(tmp_path: Path, postgres_url: str) -> None:
    # Every page on one host answers slowly; two workers with four jobs each may still have only
    # per_host_concurrency (1) request in flight to it, and starts host_delay (0.2 s) apart.
    starts: list[float] = []
    in_flight = [0, 0]  # now, most
    lock = threading.Lock()
    with LoopbackServer() as server:
        site = build_site(server, feeds=3, items=3, paragraphs=(3, 4), furniture=False)

        def slow(route: Any) -> Any:
            def handler(request: Any) -> Any:
                with lock:
                    starts.append(time.monotonic())
                    in_flight[0] += 1
                    in_flight[1] = max(in_flight)
                time.sleep(0.4)  # longer than host_delay: only the leases keep two workers apart
                with lock:
                    in_flight[0] -= 1
                return route if not callable(route) else route(request)

            return handler

        for path, route in list(server.routes.items()):
            server.route(path, slow(route))
        feeds = [{"name": f"feed-{i}", "url": url} for i, url in enumerate(site.feed_urls)]
        settings: dict[str, Any] = {"per_host_concurrency": 1, "host_delay": 0.2, "database": postgres_url}
        config = write_config(tmp_path, feeds, **settings).source
        code, _, err = finish(cli(config, "enqueue"))
        assert code == 0, err
        workers = [cli(config, "worker", "--concurrency", "4") for _ in range(2)]
        wait_idle(config)
        logs = [stop(w) for w in workers]
    assert all("article" in log for log in logs), "both workers took page jobs"
    assert len(starts) == 3 + 9 and in_flight[1] == 1
    gaps = [b - a for a, b in itertools.pairwise(sorted(starts))]
    assert min(gaps) > 0.18, gaps
    with Store.open(postgres_url) as store:
        assert store.counts() == {"ok": 9}
    done = subprocess.run(
        [sys.executable, "-m", "briefing", "--config", str(config), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    queues = {q["queue"]: q for q in json.loads(done.stdout)["queues"]}
    assert queues["fetch"]["waiting"] == queues["fetch"]["running"] == queues["fetch"]["failed"] == 0


def test_a_worker_cut_off_from_the_database_reconnects_and_finishes(
    tmp_path: Path, postgres_url: str
) -> None:
    # Every connection of the worker is closed by the server mid-run (a database restart, a network cut):
    # the jobs that failed on it are tried again and the round completes, nothing stored twice.
    with LoopbackServer() as server:
        site = build_site(server, feeds=3, items=3, paragraphs=(3, 4), furniture=False)
        for path, route in list(server.routes.items()):
            server.route(path, _slowly(route, 0.3))
        feeds = [{"name": f"feed-{i}", "url": url} for i, url in enumerate(site.feed_urls)]
        config = write_config(tmp_path, feeds, database=postgres_url, stalled_after=STALLED_AFTER).source
        code, _, err = finish(cli(config, "enqueue"))
        assert code == 0, err
        worker = cli(config, "worker", "--concurrency", "2")
        deadline = time.monotonic() + 60
        while _stored_ok(postgres_url) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        with Store.open(postgres_url) as store:
            cut = store._one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )[0]
        assert cut >= 2  # the worker's store and the queue's connections
        wait_idle(config)
        log = stop(worker)
    assert "the database connection was lost" in log or "queued again" in log, log[-1500:]
    with Store.open(postgres_url) as store:
        assert store.counts() == {"ok": 9}
        assert store._one("SELECT count(*) FROM articles")[0] == 9


def _stored_ok(database: str) -> int:
    with Store.open(database) as store:
        return int(store.counts().get("ok", 0))


def _slowly(route: Any, seconds: float) -> Any:
    def handler(request: Any) -> Any:
        time.sleep(seconds)
        return route if not callable(route) else route(request)

    return handler
