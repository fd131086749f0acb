"""Opening, migrating and writing the SQLite store (the only sqlite3 import)."""

from __future__ import annotations

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

        Raises `StorageError` naming the path and the cause: folder not writable, not an SQLite file,
        another application's database, or a schema newer than this version of briefing.
        """
        folder = path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"cannot create data folder {folder}: {e.strerror or e}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise StorageError(
                f"data folder {folder} is not writable (SQLite keeps -wal and -shm files beside the "
                "database); fix its permissions or set settings.data_dir"
            )
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        except sqlite3.Error as e:
            raise StorageError(f"cannot open database {path}: {e}") from None
        store = cls(conn, path)
        try:
            store._setup()
        except sqlite3.DatabaseError as e:
            conn.close()
            raise StorageError(f"{path} is not a usable SQLite database ({e}); move it aside") from None
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
            raise StorageError(f"{self.path}: {e} (another process is writing; try again)") from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            self.conn.execute("ROLLBACK")
            raise StorageError(f"{self.path}: commit failed: {e}") from None

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def _feed_id(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM feeds WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StorageError(f"feed {name!r} is not in the store (call sync_feeds first)")
        return int(row[0])
