"""Crash and rerun: `briefing run` killed at many moments, then run again, ends where an uninterrupted run
ends (RELIABILITY F1, F9, E2, E13, G4).

Ten feeds (five in each publisher's shape, one article each) are served from loopback and the brief is
e-mailed to a real SMTP server on loopback. A reference run goes through undisturbed. Then, for each kill
point below, a fresh data folder gets a run that is killed there, and a second run to completion; its
store, its report files and the mail server's inbox are compared with the reference.

Kill points are chosen here, by the test: every named crash point of the main process (some at several
occurrences), the PDF renderer hanging and the whole process group killed, SIGKILL of the main process
alone at fractions of the reference run's duration, and SIGTERM at such fractions.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from briefing.samples.load import build_site
from briefing.samples.server import LoopbackServer
from conftest import write_config
from test_mail import Recorder, smtp_server
from test_run import handler_message, with_email

pytestmark = pytest.mark.slow

NOW = "2026-11-23T08:00:00+00:00"  # the brief of 2026-W47 is due (mon 07:00 UTC)
FEEDS = 10
ITEMS = 1
PERIOD = "2026-W47"

# Named crash points in the main process: (point, occurrence). Each must be reached by the reference
# run (checked below), so a renamed or removed point fails the test instead of silently not crashing.
NAMED = [
    ("migration", 1),
    ("after_parse", 6),
    ("before_commit", 10),
    ("after_commit", 4),
    ("after_extraction", 1),
    ("after_extraction", 5),
    ("after_extraction", 10),
    ("after_analysis", 1),
    ("after_render", 1),
    ("before_replace", 1),  # brief.json
    ("before_replace", 3),  # brief.pdf
    ("before_replace", 5),  # feed.xml, the last file
    ("after_rendered", 1),
    ("after_smtp_accept", 1),
    ("after_sent", 1),
]
KILLED_AT = [0.15, 0.45, 0.75]  # fractions of the reference run's wall time
TERMINATED_AT = [0.3, 0.9]
POINTS = (
    [f"crash:{p}:{n}" for p, n in NAMED]
    + ["hang:during_render"]
    + [f"kill:{f}" for f in KILLED_AT]
    + [f"term:{f}" for f in TERMINATED_AT]
)


@dataclass
class World:
    server: LoopbackServer
    feed_urls: list[str]
    inbox: Recorder
    smtp_port: int
    reference: dict[str, Any]
    reference_files: dict[str, str]
    reference_seconds: float
    trace: list[tuple[str, str]]  # (point, detail) reached by the reference run's main process


def setup_folder(folder: Path, feed_urls: list[str], smtp_port: int) -> Path:
    feeds = [{"name": f"feed-{i:02d}", "url": url} for i, url in enumerate(feed_urls)]
    config = write_config(folder, feeds, timeout=10, extraction_timeout=30)
    # One recipient per folder: scenarios run side by side and share the mail server.
    return with_email(config, smtp_port, recipients=[recipient(folder)]).source


def recipient(folder: Path) -> str:
    return f"{folder.name}@example.org"


def start(config: Path, **env: str) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    full_env.update({"BRIEFING_TEST_NOW": NOW, **env})
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", "--config", str(config), "run", "--json"],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so a test can kill workers too
    )


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"run did not finish in {timeout} s: {err[-2000:]}") from None
    return proc.returncode, out, err


def snapshot(folder: Path) -> dict[str, Any]:
    """What a run leaves in the store, without when it happened, whom it mailed, or run bookkeeping."""
    db = folder / "data" / "briefing.sqlite3"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        feeds = conn.execute(
            "SELECT name, url, status, degraded_reason, etag, last_modified, validators_url,"
            " consecutive_errors, last_error, title FROM feeds ORDER BY name"
        ).fetchall()
        articles = conn.execute(
            "SELECT f.name, a.entry_key, a.guid, a.url, a.title, a.published, a.content_hash,"
            " a.text, a.text_source, a.word_count, a.extraction_status, a.extraction_detail,"
            " a.briefed_at, p.size, p.http_status"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id LEFT JOIN pages p ON p.article_id = a.id"
            " ORDER BY f.name, a.entry_key"
        ).fetchall()
        findings = conn.execute(
            "SELECT f.name, a.entry_key, n.baseline, n.kind, round(n.score, 9), n.section, n.story"
            " FROM findings n JOIN articles a ON a.id = n.article_id"
            " JOIN feeds f ON f.id = a.feed_id ORDER BY f.name, a.entry_key, n.baseline"
        ).fetchall()
        deliveries = conn.execute("SELECT period, files, status, last_error FROM deliveries").fetchall()
        running = conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
    assert running == 0, "a run is still marked running"
    deliveries = [tuple(str(v).replace(str(folder), "<folder>") for v in row) for row in deliveries]
    # Story ids are made from article ids, which follow the order concurrent feeds were stored in;
    # a story is named here by its first member instead.
    members: dict[str, list[tuple[str, str]]] = {}
    for row in findings:
        members.setdefault(row[6], []).append((row[0], row[1]))
    findings = [(*row[:6], min(members[row[6]])) for row in findings]
    return {"feeds": feeds, "articles": articles, "findings": findings, "deliveries": deliveries}


def report_files(folder: Path) -> dict[str, bytes]:
    reports = folder / "reports"
    files = {str(p.relative_to(reports)): p.read_bytes() for p in sorted(reports.rglob("*")) if p.is_file()}
    assert not [name for name in files if name.rsplit("/", 1)[-1].startswith(".")], "temporary files left"
    return files


def assert_complete(files: dict[str, bytes]) -> None:
    pdf = files[f"{PERIOD}/brief.pdf"]
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2
    for name in (f"{PERIOD}/brief.html", "index.html"):
        assert files[name].rstrip().endswith(b"</html>"), name
    assert files["feed.xml"].rstrip().endswith(b"</feed>")
    json.loads(files[f"{PERIOD}/brief.json"])


def comparable(files: dict[str, bytes]) -> dict[str, str]:
    """Report files as a reader compares them: the PDF carries its own creation time, and article ids
    (hence anchors and the ids shown for `briefing mark`) follow the order in which concurrent feeds
    were stored."""
    out = {}
    for name, data in files.items():
        if name.endswith(".pdf"):
            continue
        text = data.decode()
        text = re.sub(r'"(article_id|anchor)": "?a?\d+"?', r'"\1": _', text)
        text = re.sub(r'(id="|href="#)a\d+"', r'\1a_"', text)
        text = re.sub(r"story-\d+", "story-_", text)
        # The ids `briefing mark` takes, shown in the HTML brief: article ids again.
        text = re.sub(r'(<span class="id"[^>]*>)[^<]*(</span>)', r"\1_\2", text)
        text = re.sub(r'title="briefing mark a\d+:\d+ not-new"', 'title="_"', text)
        out[name] = hashlib.sha256(text.encode()).hexdigest()
    return out


def messages_to(inbox: Recorder, address: str) -> list[EmailMessage]:
    return [handler_message(e) for e in list(inbox.received) if address in e.rcpt_tos]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    inbox = Recorder()
    with LoopbackServer() as server, smtp_server(inbox) as smtp:
        site = build_site(server, feeds=FEEDS, items=ITEMS, paragraphs=(3, 6), furniture=False)
        folder = tmp_path_factory.mktemp("reference")
        config = setup_folder(folder, site.feed_urls, smtp.port)
        trace_file = folder / "trace"
        started = time.monotonic()
        proc = start(config, BRIEFING_TEST_TRACE=str(trace_file))
        code, out, err = finish(proc)
        seconds = time.monotonic() - started
        assert code == 0, err
        assert json.loads(out)["action"] == "sent"
        assert len(messages_to(inbox, recipient(folder))) == 1
        trace = []
        for line in trace_file.read_text(encoding="utf-8").splitlines():
            pid, _, point, *detail = line.split(" ", 3)
            if int(pid) == proc.pid:
                trace.append((point, detail[0] if detail else ""))
        files = report_files(folder)
        assert_complete(files)
        reference = snapshot(folder)
        assert len(reference["articles"]) == FEEDS * ITEMS
        assert all(a[10] == "ok" for a in reference["articles"])
        assert all(a[12] is not None for a in reference["articles"])  # all briefed
        assert reference["deliveries"][0][2] == "sent"
        yield World(server, site.feed_urls, inbox, smtp.port, reference, comparable(files), seconds, trace)


def test_the_reference_run_reaches_every_named_point(world: World) -> None:
    reached: dict[str, int] = {}
    for point, _ in world.trace:
        reached[point] = reached.get(point, 0) + 1
    for point, n in NAMED:
        assert reached.get(point, 0) >= n, f"{point} reached {reached.get(point, 0)} times, test needs {n}"
    assert len(POINTS) >= 20


def test_killed_runs_then_reruns_equal_an_uninterrupted_run(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two scenarios at a time (two cores); each has its own data folder and recipient.
    folders = {point: tmp_path / f"s{i:02d}" for i, point in enumerate(POINTS)}
    for folder in folders.values():
        folder.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = dict(zip(POINTS, pool.map(lambda p: _scenario(world, folders[p], p), POINTS), strict=True))
    failed = {point: outcome for point, outcome in outcomes.items() if outcome != "ok"}
    with capsys.disabled():
        print(f"\n{len(POINTS)} kill points, {len(POINTS) - len(failed)} ended like the uninterrupted run")
    assert not failed, "\n".join(f"{p}: {why}" for p, why in failed.items())


def _scenario(world: World, folder: Path, point: str) -> str:
    try:
        _kill_then_rerun(world, folder, point)
    except AssertionError as e:
        return str(e).splitlines()[0][:500] if str(e) else "assertion failed"
    return "ok"


def _kill_then_rerun(world: World, folder: Path, point: str) -> None:
    config = setup_folder(folder, world.feed_urls, world.smtp_port)
    kind, _, where = point.partition(":")
    if kind == "crash":
        name, n = where.rsplit(":", 1)
        code, _, err = finish(start(config, BRIEFING_TEST_CRASH_AT=f"{name}:{n}"))
        assert code == 137, f"the run never reached {where}: exit {code}, {err[-500:]}"
    elif kind == "hang":
        trace = folder / "trace"
        proc = start(config, BRIEFING_TEST_HANG_AT=where, BRIEFING_TEST_TRACE=str(trace))
        _wait_for(lambda: trace.exists() and f" {where}" in trace.read_text(encoding="utf-8"), proc)
        os.killpg(proc.pid, signal.SIGKILL)  # the main process and the hanging renderer
        code, _, _ = finish(proc)
        assert code == -signal.SIGKILL
    else:
        proc = start(config)
        time.sleep(float(where) * world.reference_seconds)
        sig = signal.SIGKILL if kind == "kill" else signal.SIGTERM
        proc.send_signal(sig)  # the main process only, as the OOM killer or `kill` would
        code, _, err = finish(proc)
        assert "Traceback" not in err, err[-500:]
        if kind == "term":
            # 143: stopped by our handler. 0: it had already finished. -15: the signal came while the
            # interpreter was shutting down (or still starting), when CPython has put the default
            # handler back; the checks below show nothing was lost either way.
            assert code in (0, 143, -signal.SIGTERM), f"exit {code}: {err[-500:]}"
        _no_orphans(proc.pid)

    address = recipient(folder)
    mailed_before_rerun = len(messages_to(world.inbox, address))
    delivered = _delivery_status(folder) == "sent"
    code, out, err = finish(start(config))
    assert code == 0, f"rerun exit {code}: {err[-500:]}"
    action = json.loads(out)["action"]
    assert action == ("already_done" if delivered else "sent"), f"rerun: {action}"

    got = snapshot(folder)
    differ = [table for table, rows in world.reference.items() if got[table] != rows]
    assert not differ, f"tables differ from the reference: {differ}"
    files = report_files(folder)
    assert_complete(files)
    seen = comparable(files)
    differ = [name for name in world.reference_files if seen.get(name) != world.reference_files[name]]
    assert not differ, f"report files differ from the reference: {differ}"
    # E-mail is at-least-once: a second copy only when the first was accepted but not yet recorded,
    # and then with the same Message-ID, so mail clients fold them.
    messages = messages_to(world.inbox, address)
    expected = 2 if mailed_before_rerun and not delivered else 1
    assert len(messages) == expected, f"{len(messages)} e-mails, expected {expected}"
    assert len({m["Message-ID"] for m in messages}) == 1, "two Message-IDs"
    attached = next(messages[-1].iter_attachments()).get_content()
    assert attached == files[f"{PERIOD}/brief.pdf"], "the e-mailed PDF is not the one in reports/"


def _delivery_status(folder: Path) -> str | None:
    db = folder / "data" / "briefing.sqlite3"
    if not db.exists():
        return None
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        try:
            row = conn.execute("SELECT status FROM deliveries WHERE period = ?", (PERIOD,)).fetchone()
        except sqlite3.OperationalError:  # killed before the ledger's migration
            return None
    return row[0] if row else None


def _wait_for(condition: Any, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("the run ended or stalled before the point was reached")
        time.sleep(0.05)


def _no_orphans(group: int, timeout: float = 30) -> None:
    """Workers left behind by a killed main process exit by themselves (they see their pipe close)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        if time.monotonic() > deadline:
            os.killpg(group, signal.SIGKILL)
            raise AssertionError("worker processes outlived the killed run")
        time.sleep(0.1)
