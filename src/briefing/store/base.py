"""Opening, migrating and writing the SQLite store (the only sqlite3 import)."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from briefing.errors import StorageError
from briefing.store.schema import APPLICATION_ID, MIGRATIONS
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)

# SQLite's primary result codes that are about the disk, not the data: a read-only file or folder, a
# full disk or file-size limit, a failing device. The database itself is fine; moving it aside is wrong.
_DISK_ERRORS = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
    }
)


def ts(value: datetime | None) -> str | None:
    """A datetime as stored: UTC, ISO 8601, seconds precision (so stored values compare as text)."""
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class StoreBase:
    """Connection handling shared by the query modules; `Store` is the class to use."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, busy_timeout: float = 5.0) -> Self:
        """Open (creating and migrating if needed) the store at `path`.

        Raises `StorageError` naming the path and the cause: folder or database not writable, disk full,
        not an SQLite file, another application's database, or a schema newer than this briefing.
        Permissions are checked first, so a command fails before any network request.
        """
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"cannot create data folder {folder}: {e.strerror or e}") from e
        _check_writable(path)
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise StorageError(f"cannot open database {path}: {e}") from e
        store = cls(conn, path)
        try:
            store._setup()
        except sqlite3.DatabaseError as e:
            conn.close()
            if _is_disk_error(e):
                raise _cannot_write(path, e) from e
            raise StorageError(f"{path} is not a usable SQLite database ({e}); move it aside") from e
        except StorageError:
            conn.close()
            raise
        return store

    def _setup(self) -> None:
        conn = self.conn
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID and (app_id != 0 or tables):
            raise StorageError(f"{self.path} is not a briefing database; point settings.data_dir elsewhere")
        latest = MIGRATIONS[-1][0]
        if version > latest:
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this briefing ({latest}); upgrade"
            )
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StorageError(f"{self.path}: cannot enable WAL journaling (got {mode})")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if version < latest:
            self._migrate(version)
        log.debug("store %s (SQLite %s, schema %s)", self.path, sqlite3.sqlite_version, latest)

    def _migrate(self, current: int) -> None:
        # DDL is transactional in SQLite: a crash leaves the old or the new schema, never a mix.
        with self.write() as conn:
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    conn.execute(statement)
                crash_point("migration")
                conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE): committed on success, rolled back on any exception."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            if _is_disk_error(e):
                raise _cannot_write(self.path, e) from e
            raise StorageError(f"{self.path}: {e} (another process is writing; try again)") from e
        try:
            yield self.conn
        except sqlite3.Error as e:
            self._rollback()
            if _is_disk_error(e):
                raise _cannot_write(self.path, e) from e  # the store's problem, not one feed's
            raise
        except BaseException:
            self._rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            self._rollback()
            if _is_disk_error(e):
                raise _cannot_write(self.path, e) from e
            raise StorageError(f"{self.path}: commit failed: {e}") from e

    def _rollback(self) -> None:
        # After a disk error SQLite may have rolled back already, and ROLLBACK itself can fail on a bad
        # disk: either way the original error is the one to report, and WAL keeps the file consistent.
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def _feed_id(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM feeds WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StorageError(f"feed {name!r} is not in the store (call sync_feeds first)")
        return int(row[0])


def _check_writable(path: Path) -> None:
    """Refuse a data folder or database files this process cannot write, naming the one at fault."""
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StorageError(
            f"data folder {path.parent} is not writable (SQLite keeps -wal and -shm files beside the "
            "database); fix its permissions or set settings.data_dir"
        )
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and not os.access(file, os.W_OK):
            raise StorageError(
                f"database file {file} is read-only; fix its permissions (briefing writes to it)"
            )


def _is_disk_error(e: sqlite3.Error) -> bool:
    # Only errors from SQLite itself carry a code; extended codes keep the primary one in the low byte.
    code: int = getattr(e, "sqlite_errorcode", 0)
    return (code & 0xFF) in _DISK_ERRORS


def _cannot_write(path: Path, e: sqlite3.Error) -> StorageError:
    """One line naming the database and SQLite's cause; what is already committed stays intact."""
    return StorageError(
        f"cannot write database {path}: {e}; check free space and permissions in {path.parent}"
    )
