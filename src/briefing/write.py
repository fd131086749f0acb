"""Atomic file writes: readers see the old complete file or the new one, never a part of it."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from briefing.testing_hooks import crash_point


def _read_umask() -> int:
    # os.umask can only be read by setting it; do that once, at import, before any thread starts.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder, fsync, then `os.replace`."""
    atomic_write_many({path: data})


def atomic_write_many(files: Mapping[Path, bytes]) -> None:
    """Write several files as one step: every temporary file is written and synced before the first
    rename, so a full disk or a failed write leaves all of them as they were.

    Only a crash between the renames (microseconds) can leave some files new and some old.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            staged.append((_stage(path, data), path))
        for tmp, path in staged:
            crash_point("before_replace", path.name)
            tmp.replace(path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise
    for folder in dict.fromkeys(path.parent for path in files):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the renames themselves durable
        finally:
            os.close(dir_fd)


def _stage(path: Path, data: bytes) -> Path:
    """A synced temporary copy of `data` next to `path`. Errors name `path`, not the temporary file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from e
    try:
        os.fchmod(fd, _mode(path))  # mkstemp makes 0600; a brief is for reading (web server, mail)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        if isinstance(e, OSError):
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise
    return Path(tmp)


def remove_temporaries(path: Path) -> None:
    """Delete temporary files an interrupted atomic write of `path` left behind.

    Only for callers that hold the run lock: another writer's temporary file would go too.
    """
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()


def _mode(path: Path) -> int:
    """The existing file's mode, else what open() would give under the current umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
