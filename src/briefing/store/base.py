"""Opening, migrating and writing the store: SQLite here (the only sqlite3 import), PostgreSQL through
`store.postgres`, chosen by `settings.database`."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Self

from briefing.errors import StorageError
from briefing.store.schema import APPLICATION_ID, MIGRATIONS, Dialect, statements
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)
SQLiteOperationalError = sqlite3.OperationalError

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


class Connection(Protocol):
    """What the query modules use of a connection: sqlite3's, or `store.postgres.Connection`."""

    def execute(self, sql: str, params: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, rows: Any, /) -> Any: ...


class StoreBase:
    """Connection handling shared by the query modules; `Store` is the class to use."""

    def __init__(self, conn: Any, path: Path, postgres: bool = False) -> None:
        self.conn = conn
        self.path = path
        self.postgres = postgres  # dialect differences stay in this module and `store.postgres`

    @classmethod
    def open(cls, path: Path | str, busy_timeout: float = 5.0) -> Self:
        """Open (creating and migrating if needed) the store at `path`, an SQLite file, or a PostgreSQL
        database given as a `postgresql://` URL.

        Raises `StorageError` naming the path and the cause: folder or database not writable, disk full,
        not an SQLite file, another application's database, or a schema newer than this briefing.
        Permissions are checked first, so a command fails before any network request.
        """
        if isinstance(path, str):
            return cls._open_postgres(path)
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
        self._refuse_newer(version)
        latest = MIGRATIONS[-1][0]
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StorageError(f"{self.path}: cannot enable WAL journaling (got {mode})")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if version < latest:
            self._migrate(version)
        log.debug("store %s (SQLite %s, schema %s)", self.path, sqlite3.sqlite_version, latest)

    @classmethod
    def _open_postgres(cls, url: str) -> Self:
        from briefing.store import postgres

        conn = postgres.Connection(url)
        store = cls(conn, Path(postgres.masked(url)), postgres=True)
        try:
            store._setup_postgres()
        except BaseException:
            conn.close()
            raise
        return store

    def _setup_postgres(self) -> None:
        # Under the write lock: two workers starting on a new database migrate it once, one after the other.
        conn = self.conn
        with self.write():
            conn.execute("CREATE TABLE IF NOT EXISTS briefing_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM briefing_schema").fetchone()
            if row is None:
                if "feeds" in conn.tables():
                    raise StorageError(
                        f"{self.path} is not a briefing database; point settings.database elsewhere"
                    )
                conn.execute("INSERT INTO briefing_schema (version) VALUES (0)")
            version = int(row[0]) if row else 0
            self._refuse_newer(version)
            self._apply_migrations(conn, version, "postgresql", "UPDATE briefing_schema SET version = {}")
        log.debug("store %s (PostgreSQL, schema %s)", self.path, MIGRATIONS[-1][0])

    def _migrate(self, current: int) -> None:
        # DDL is transactional in SQLite: a crash leaves the old or the new schema, never a mix.
        with self.write() as conn:
            self._apply_migrations(conn, current, "sqlite", "PRAGMA user_version = {}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def _refuse_newer(self, version: int) -> None:
        latest = MIGRATIONS[-1][0]
        if version > latest:
            raise StorageError(
                f"{self.path} has schema version {version}, newer than this briefing ({latest}); upgrade"
            )

    @staticmethod
    def _apply_migrations(conn: Connection, current: int, dialect: Dialect, set_version: str) -> None:
        """The migrations after `current`, inside the caller's transaction, each recording its number."""
        for number, steps in MIGRATIONS:
            if number <= current:
                continue
            for statement in statements(steps, dialect):
                conn.execute(statement)
            crash_point("migration")
            conn.execute(set_version.format(int(number)))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self, *, durable: bool = False) -> Iterator[Any]:
        """A write transaction (BEGIN IMMEDIATE): committed on success, rolled back on any exception.

        On PostgreSQL, after the store-wide write lock (see `store.postgres`); `durable` waits for the
        commit to reach the disk there (the ledger, the analyst's marks), which SQLite always does."""
        if self.postgres:
            with self.conn.transaction(durable=durable) as conn:
                yield conn
            return
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

    @contextmanager
    def exclusive(self, key: int) -> Iterator[None]:
        """Hold PostgreSQL's session advisory lock `key` (waiting for it) for the block's duration."""
        if not self.postgres:
            raise StorageError(f"{self.path}: cluster locks need a PostgreSQL store")
        self.conn.lock(key)
        try:
            yield
        finally:
            self.conn.unlock(key)

    def try_exclusive(self, key: int) -> bool:
        """Take PostgreSQL's session advisory lock `key` if it is free; it is held until this store is
        closed or its process dies (the database then frees it, so a standby can take over)."""
        if not self.postgres:
            raise StorageError(f"{self.path}: cluster locks need a PostgreSQL store")
        return bool(self.conn.try_lock(key))

    def alive(self) -> bool:
        return bool(self.conn.alive()) if self.postgres else True

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def _columns(self, table: str) -> list[str]:
        if self.postgres:
            return list(self.conn.columns(table))
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def _insert(self, conn: Connection, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT into a table with an `id` key and return the new row's id."""
        if self.postgres:
            return int(conn.execute(sql + " RETURNING id", params).lastrowid)
        return int(conn.execute(sql, params).lastrowid or 0)

    def _in(self, column: str, values: Sequence[Any]) -> tuple[str, Any]:
        """`column` is one of `values`: an SQL condition with one parameter, and that parameter."""
        if self.postgres:
            return f"{column} = ANY(?)", list(values)
        return f"{column} IN (SELECT value FROM json_each(?))", json.dumps(list(values))  # noqa: S608

    def _greatest(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})" if self.postgres else f"max({a}, {b})"

    def _feed_id(self, conn: Connection, name: str) -> int:
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
