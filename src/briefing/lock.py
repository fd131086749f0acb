"""The run lock: one writer per data folder, shared by cron runs, the daemon and interactive commands.

A non-blocking `flock` on `<data_dir>/briefing.lock`. The kernel releases it when the holder dies, even
by SIGKILL, so there is never a stale lock to clean up; the PID written inside is for humans only.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from briefing.errors import RunLockedError, StorageError


class RunLock:
    """``with RunLock(data_dir):`` holds the lock or raises `RunLockedError` at once."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "briefing.lock"
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise StorageError(f"cannot create lock file {self.path}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise RunLockedError(f"another briefing run is in progress{who}; lock {self.path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", errors="ignore").strip()
    except OSError:
        return ""
