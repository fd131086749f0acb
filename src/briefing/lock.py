"""The run lock: one writer per data folder, shared by cron runs, the daemon and interactive commands.

A non-blocking `flock` on `<data_dir>/briefing.lock`. The kernel releases it when the holder dies, even
by SIGKILL, so there is never a stale lock to clean up; the PID written inside is for humans only.
The lock is re-entrant within one thread (`briefing run` holds it around a fetch and a report, which
take it too); another thread of the same process opens its own descriptor and is refused like any other
process, so two daemon jobs never overlap.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from briefing.errors import RunLockedError, StorageError


class RunLock:
    """``with RunLock(data_dir):`` holds the lock or raises `RunLockedError` at once."""

    _held: ClassVar[dict[tuple[str, int], int]] = {}  # (lock path, thread) -> depth

    def __init__(self, data_dir: Path, name: str = "briefing.lock") -> None:
        self.path = data_dir / name
        self._fd: int | None = None
        self._key = (str(self.path.resolve()), threading.get_ident())

    def __enter__(self) -> RunLock:
        if self._key in RunLock._held:
            RunLock._held[self._key] += 1
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and not self.path.exists():
                raise StorageError(
                    f"data folder {self.path.parent} is not writable ({e.strerror}); fix its permissions"
                    " or set settings.data_dir"
                ) from e
            problem = f"cannot open lock file {self.path}: {e.strerror or e}; check its permissions"
            raise StorageError(problem) from e
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
        RunLock._held[self._key] = 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        depth = RunLock._held.get(self._key, 0) - 1
        if depth > 0:
            RunLock._held[self._key] = depth
            return
        RunLock._held.pop(self._key, None)
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", errors="ignore").strip()
    except OSError:
        return ""
