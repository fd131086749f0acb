"""A read-only or full disk (F6): one line naming the path and the cause, exit 1, no traceback without
--debug, no request when the problem shows at startup, and nothing already stored or written lost or damaged.

The kernel does the refusing, not a mock. Read-only: file modes do not bind root (these tests run as root in
CI), so the CLI is started through a launcher that drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its
capability bounding set; the program it then executes honours file modes like any user. (Running it as
`nobody` instead would need the interpreter and virtualenv readable by that user; here they live under
/root.) Full disk: the launcher sets RLIMIT_FSIZE and ignores SIGXFSZ, so a write past the limit fails with
EFBIG, which SQLite reports as a disk I/O error. Both survive `exec` and reach the worker processes too, and
the launcher avoids `preexec_fn`, which is unsafe while the loopback server's threads run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from briefing.demo import run_demo
from conftest import SampleSite, site_feeds, sqlite_file, write_config

pytestmark = pytest.mark.slow  # every test runs the real CLI two or three times; one renders the demo

# argv: <file size limit in bytes, 0 for none> <1 to drop root's way past file modes> <python arguments...>
_LAUNCH = """
import os, sys
fsize, drop = int(sys.argv[1]), sys.argv[2] == "1"
if drop:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone for the program exec'd next
            sys.exit(f"cannot drop capability {cap}: {os.strerror(ctypes.get_errno())}")
if fsize:
    import resource, signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # stays ignored across exec: EFBIG instead of death
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
os.execv(sys.executable, [sys.executable, *sys.argv[3:]])
"""

KIB = 1024
MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # the Monday after the sample week


def python(
    args: Sequence[str], *, fsize: int = 0, read_only: bool = False, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Python in a subprocess, with writes past `fsize` bytes failing and, with `read_only`, file modes
    binding even when the tests run as root."""
    drop = read_only and os.geteuid() == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    return subprocess.run(
        [sys.executable, "-c", _LAUNCH, str(fsize), "1" if drop else "0", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def cli(args: Sequence[str], *, fsize: int = 0, read_only: bool = False) -> subprocess.CompletedProcess[str]:
    """The real CLI, as `python -m briefing ...`, under `python`'s conditions."""
    return python(["-m", "briefing", *args], fsize=fsize, read_only=read_only)


def test_the_launcher_limits_really_apply(tmp_path: Path) -> None:
    """The premise of this file: past the limit, a write fails with EFBIG (not SIGXFSZ death)."""
    script = f"open({str(tmp_path / 'big')!r}, 'wb').write(b'x' * {16 * KIB})"
    done = python(["-c", script], fsize=8 * KIB)
    assert done.returncode == 1 and "[Errno 27] File too large" in done.stderr
    assert (tmp_path / "big").stat().st_size == 8 * KIB


@pytest.fixture(scope="module")
def modes_bind(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip unless a launched process really is refused a folder of mode 0555."""
    folder = tmp_path_factory.mktemp("probe") / "read-only"
    folder.mkdir(mode=0o555)
    try:
        probe = python(["-c", f"open({str(folder / 'x')!r}, 'w')"], read_only=True, timeout=60)
    finally:
        folder.chmod(0o755)
    if "PermissionError" not in probe.stderr:
        pytest.skip(f"cannot make a folder unwritable for a child process: {probe.stderr.strip()[-200:]}")


@contextlib.contextmanager
def made_read_only(*paths: Path) -> Iterator[None]:
    """Folders 0555 and files 0444 for the block; the old modes come back after, so cleanup works."""
    modes = {p: p.stat().st_mode & 0o7777 for p in paths}
    try:
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """The single `briefing: error:` line of a failed command (exit 1, no traceback)."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("briefing: error: "), done.stderr
    return lines[0]


def assert_sound(database: Path) -> None:
    with contextlib.closing(sqlite3.connect(database)) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def stored(database: Path) -> set[tuple[str, str, str, str]]:
    """Every article as (url, title, extraction status, text), after checking the file's integrity."""
    assert_sound(database)
    with contextlib.closing(sqlite3.connect(database)) as c:
        rows = c.execute("SELECT url, title, extraction_status, text FROM articles").fetchall()
    return {(str(u), str(t), str(s), str(x)) for u, t, s, x in rows}


def run_statuses(database: Path) -> list[str]:
    """The runs' statuses, oldest first; none when the schema was never committed."""
    with contextlib.closing(sqlite3.connect(database)) as c:
        if c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'runs'").fetchone()[0] == 0:
            return []
        return [str(r[0]) for r in c.execute("SELECT status FROM runs ORDER BY id")]


def assert_complete(database: Path) -> None:
    """What a clean fetch of the sample site stores: 5 articles with their text and the excluded one;
    the last run ok and none left marked running (the next run marks one the disk stopped as aborted)."""
    statuses = Counter(status for _, _, status, _ in stored(database))
    assert statuses == {"ok": 5, "excluded": 1}, statuses
    runs = run_statuses(database)
    assert runs[-1] == "ok" and "running" not in runs, runs


# ---- read-only ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["empty", "stored"])
def test_f6_read_only_data_folder_fails_before_any_request(
    tmp_path: Path, sample_site: SampleSite, modes_bind: None, state: str
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    data, database = config.settings.data_dir, sqlite_file(config)
    data.mkdir()
    if state == "stored":
        assert cli(["--config", str(config.source), "fetch"]).returncode == 0
        sample_site.server.hits.clear()
    before = stored(database) if state == "stored" else set()
    with made_read_only(data):
        done = cli(["--config", str(config.source), "fetch"], read_only=True)
        debug = cli(["--config", str(config.source), "fetch", "--debug"], read_only=True)
    line = one_line_error(done)
    assert str(data) in line
    # Empty, the run lock cannot even be created; with a lock file from before, the store refuses.
    assert "not writable" in line or "Permission denied" in line, line
    assert sample_site.server.hits == []  # refused before any network I/O
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    if state == "stored":
        assert "data folder" in line and stored(database) == before
    done = cli(["--config", str(config.source), "fetch"])
    assert done.returncode == 0, done.stderr
    assert_complete(database)


def test_f6_read_only_database_file_is_named_and_left_alone(
    tmp_path: Path, sample_site: SampleSite, modes_bind: None
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    database = sqlite_file(config)
    assert cli(["--config", str(config.source), "fetch"]).returncode == 0
    sample_site.server.hits.clear()
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    with made_read_only(database):
        line = one_line_error(cli(["--config", str(config.source), "fetch", "--force"], read_only=True))
    assert line == (
        f"briefing: error: database file {database} is read-only; fix its permissions (briefing writes to it)"
    )
    assert sample_site.server.hits == []
    assert hashlib.sha256(database.read_bytes()).hexdigest() == digest
    assert_complete(database)


def test_f6_a_write_the_library_does_not_wrap_is_still_one_line(
    tmp_path: Path, sample_site: SampleSite, modes_bind: None
) -> None:
    """The baseline index under data/index is written by the analysis, not the store; the CLI names the file."""
    config = write_config(tmp_path, site_feeds(sample_site))
    assert cli(["--config", str(config.source), "fetch"]).returncode == 0
    index = config.settings.data_dir / "index"
    index.mkdir()
    analyze = ["--config", str(config.source), "analyze", "--since", "2026-11-16"]
    with made_read_only(index):
        line = one_line_error(cli(analyze, read_only=True))
    assert line.startswith(f"briefing: error: cannot access {index}/") and "Permission denied" in line, line
    assert_complete(sqlite_file(config))
    done = cli(analyze)
    assert done.returncode == 0, done.stderr


# ---- full disk: the store -------------------------------------------------------------------------------

# Each limit is well below what the whole run needs. Under 32 KiB SQLite cannot even size its -shm index,
# so the store fails to open, before any request; 64 KiB is not room for the schema; 128 KiB fails partway.
FIRST_RUN_LIMITS = [8 * KIB, 64 * KIB, 128 * KIB]
# With 3 articles stored (the second run needs about 140 KiB): 40,000 bytes fits the run's bookkeeping and
# the feed requests but not the new entries; 96 KiB fails partway, after some of the new feed is saved.
NEXT_RUN_LIMITS = [8 * KIB, 40_000, 96 * KIB]


def disk_full_line(done: subprocess.CompletedProcess[str], database: Path) -> None:
    line = one_line_error(done)
    assert line.startswith(f"briefing: error: cannot write database {database}: "), line
    assert "disk I/O error" in line or "disk is full" in line, line


@pytest.mark.parametrize("limit", FIRST_RUN_LIMITS)
def test_f6_full_disk_on_a_first_run(tmp_path: Path, sample_site: SampleSite, limit: int) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    database = sqlite_file(config)
    disk_full_line(cli(["--config", str(config.source), "fetch"], fsize=limit), database)
    if limit < 32 * KIB:
        assert sample_site.server.hits == []  # the store could not open: nothing was fetched
    assert_sound(database)  # whatever was committed, if anything
    done = cli(["--config", str(config.source), "fetch"])
    assert done.returncode == 0, done.stderr
    assert_complete(database)


@pytest.mark.parametrize("limit", NEXT_RUN_LIMITS)
def test_f6_full_disk_during_a_fetch_keeps_what_was_stored(
    tmp_path: Path, sample_site: SampleSite, limit: int
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site)[:1])
    database = sqlite_file(config)
    assert cli(["--config", str(config.source), "fetch"]).returncode == 0
    before = stored(database)
    assert len(before) == 3
    write_config(tmp_path, site_feeds(sample_site))  # a second feed: this run must store more
    sample_site.server.hits.clear()
    disk_full_line(cli(["--config", str(config.source), "fetch"], fsize=limit), database)
    if limit < 32 * KIB:
        assert sample_site.server.hits == []
    assert before <= stored(database)  # every stored article intact, text and all
    done = cli(["--config", str(config.source), "fetch"])
    assert done.returncode == 0, done.stderr
    assert_complete(database)


# ---- the reports folder --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Briefed:
    """The demo's data and reports: a stored week and its brief, rendered once for this module."""

    config: Path
    reports: Path

    @property
    def folder(self) -> Path:
        return self.reports / "2026-W47"

    def digests(self) -> dict[str, str]:
        """Every file under the reports folder (temporary ones included) by its SHA-256."""
        files = [p for p in self.reports.rglob("*") if p.is_file()]
        return {str(p.relative_to(self.reports)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    def report(
        self, *extra: str, fsize: int = 0, read_only: bool = False
    ) -> subprocess.CompletedProcess[str]:
        args = ["--config", str(self.config), "report", "--period", "2026-W47", *extra]
        return cli(args, fsize=fsize, read_only=read_only)


@pytest.fixture(scope="module")
def briefed(tmp_path_factory: pytest.TempPathFactory) -> Briefed:
    root = tmp_path_factory.mktemp("briefed")
    run_demo(root / "reports", root / "data", clock=lambda: MONDAY)
    return Briefed(root / "data" / "feeds.yaml", root / "reports")


def test_f6_read_only_reports_folder_keeps_the_previous_brief(briefed: Briefed, modes_bind: None) -> None:
    before = briefed.digests()
    with made_read_only(briefed.reports, briefed.folder):
        done = briefed.report("--format", "html,json", read_only=True)  # brief.json is written first
    assert one_line_error(done) == (
        f"briefing: error: cannot write {briefed.folder / 'brief.json'}: Permission denied; "
        "check the reports folder"
    )
    assert briefed.digests() == before


# Room for the store's -shm index and this run's bookkeeping, not for a brief file (or a font to render).
REPORT_LIMIT = 48 * KIB


@pytest.mark.parametrize("formats", ["html,json", "pdf,html,json"])
def test_full_disk_while_writing_the_brief_keeps_the_previous_files(briefed: Briefed, formats: str) -> None:
    assert (briefed.folder / "brief.json").stat().st_size > REPORT_LIMIT
    before = briefed.digests()
    line = one_line_error(briefed.report("--format", formats, fsize=REPORT_LIMIT))
    if formats == "html,json":
        assert line == (
            f"briefing: error: cannot write {briefed.folder / 'brief.json'}: File too large; "
            "check the reports folder"
        )
    else:  # WeasyPrint writes the brief's fonts to a temporary folder first, and that fails first
        assert "PDF rendering failed" in line and "File too large" in line, line
    assert briefed.digests() == before  # byte-identical, and no temporary file left beside them
    data = briefed.config.parent
    assert run_statuses(data / "briefing.sqlite3")[-1] in ("failed", "render_failed")
    done = briefed.report("--format", formats)
    assert done.returncode == 0, done.stderr
