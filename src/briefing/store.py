"""The embedded SQLite store: schema, migrations and queries. The only sqlite3 import.

WAL, synchronous=FULL, foreign keys on, a busy timeout, `BEGIN IMMEDIATE` for every write and an
application id so that a foreign database is refused. A feed's entries and its HTTP validators are
written in one transaction, entries first, so validators can never get ahead of the entries they
came with.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from briefing.errors import StorageError
from briefing.models import (
    Article,
    Entry,
    ExtractionOutcome,
    FeedHealth,
    FeedResult,
    FeedSource,
    FeedState,
    Retrieved,
)
from briefing.store_schema import APPLICATION_ID, MIGRATIONS
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)


def ts(value: datetime | None) -> str | None:
    """A datetime as stored: UTC, ISO 8601, seconds precision (so stored values compare as text)."""
    return None if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True)
class NewEntry:
    """An entry to store, with the state it starts in (pending, excluded, blocked or feed)."""

    entry: Entry
    status: str
    detail: str = ""


@dataclass(frozen=True)
class SavedEntries:
    new_ids: tuple[int, ...]
    new_statuses: tuple[str, ...]
    updated: int
    unchanged: int


@dataclass(frozen=True)
class PendingArticle:
    id: int
    feed: str
    url: str
    canonical_url: str
    feed_text: str
    attempts: int


class Store:
    """Open with `Store.open(path)`; close with `close()` or use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, busy_timeout: float = 5.0) -> Store:
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

    def __enter__(self) -> Store:
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

    # ---- feeds ---------------------------------------------------------------------------------

    def sync_feeds(self, sources: Iterable[FeedSource], now: datetime) -> None:
        """Make sure every configured feed has a row; a changed URL forgets the old validators."""
        with self.write() as conn:
            for s in sources:
                row = conn.execute("SELECT url FROM feeds WHERE name = ?", (s.name,)).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO feeds (name, url, publisher, created_at) VALUES (?, ?, ?, ?)",
                        (s.name, s.url, s.publisher, ts(now)),
                    )
                elif row[0] != s.url:
                    conn.execute(
                        "UPDATE feeds SET url = ?, publisher = ?, etag = NULL, last_modified = NULL,"
                        " validators_url = NULL, redirect_target = NULL, redirect_first_seen = NULL,"
                        " consecutive_errors = 0, next_attempt = NULL, status = 'new' WHERE name = ?",
                        (s.url, s.publisher, s.name),
                    )
                else:
                    conn.execute("UPDATE feeds SET publisher = ? WHERE name = ?", (s.publisher, s.name))

    def feed_state(self, name: str) -> FeedState | None:
        row = self.conn.execute("SELECT * FROM feeds WHERE name = ?", (name,)).fetchone()
        return None if row is None else _feed_state(row, self._columns("feeds"))

    def _columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def _feed_id(self, conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM feeds WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StorageError(f"feed {name!r} is not in the store (call sync_feeds first)")
        return int(row[0])

    def save_entries(
        self,
        feed: str,
        entries: Sequence[NewEntry],
        retrieved: Retrieved,
        now: datetime,
        *,
        degraded: str | None = None,
        title: str = "",
        site_link: str = "",
    ) -> SavedEntries:
        """Store a fetched feed's entries, then its validators and state, in one transaction.

        An entry already stored under the same key or canonical link is not stored again (guid churn);
        a changed one is updated in place; a reused guid with another link is a new entry. Returns the
        ids of the new rows.
        """
        new_ids: list[int] = []
        new_statuses: list[str] = []
        updated = unchanged = 0
        with self.write() as conn:
            feed_id = self._feed_id(conn, feed)
            first_fetch = conn.execute(
                "SELECT last_success IS NULL FROM feeds WHERE id = ?", (feed_id,)
            ).fetchone()[0]
            for item in entries:
                existing, item = _find_entry(conn, feed_id, item)
                e = item.entry
                if existing is None:
                    new_ids.append(_insert_entry(conn, feed_id, item, now, bool(first_fetch)))
                    new_statuses.append(item.status)
                elif existing[1] != e.content_hash:
                    # Revised by the publisher. Text taken from the feed follows the feed; page text
                    # stays as extracted (the raw page is kept for re-extraction).
                    conn.execute(
                        "UPDATE articles SET title = ?, feed_text = ?, content_hash = ?, revised_at = ?,"
                        " last_seen = ?, text = CASE WHEN text_source = 'feed' THEN ? ELSE text END,"
                        " word_count = CASE WHEN text_source = 'feed' THEN ? ELSE word_count END"
                        " WHERE id = ?",
                        (
                            e.title,
                            e.text,
                            e.content_hash,
                            ts(now),
                            ts(now),
                            e.text,
                            len(e.text.split()),
                            existing[0],
                        ),
                    )
                    updated += 1
                else:
                    conn.execute("UPDATE articles SET last_seen = ? WHERE id = ?", (ts(now), existing[0]))
                    unchanged += 1
            crash_point("before_commit")
            self._mark_success(conn, feed_id, retrieved, now, degraded=degraded, new=bool(new_ids))
            conn.execute(
                "UPDATE feeds SET title = coalesce(nullif(?, ''), title),"
                " site_link = coalesce(nullif(?, ''), site_link) WHERE id = ?",
                (title, site_link, feed_id),
            )
        return SavedEntries(tuple(new_ids), tuple(new_statuses), updated, unchanged)

    def record_not_modified(self, feed: str, retrieved: Retrieved, now: datetime) -> None:
        with self.write() as conn:
            feed_id = self._feed_id(conn, feed)
            self._mark_success(conn, feed_id, retrieved, now, degraded=None, new=False, keep_status=True)

    def _mark_success(
        self,
        conn: sqlite3.Connection,
        feed_id: int,
        retrieved: Retrieved,
        now: datetime,
        *,
        degraded: str | None,
        new: bool,
        keep_status: bool = False,
    ) -> None:
        redirect = retrieved.permanent_redirect
        conn.execute(
            "UPDATE feeds SET status = CASE WHEN :keep AND status = 'degraded' THEN status ELSE :status END,"
            " degraded_reason = CASE WHEN :keep AND status = 'degraded' THEN degraded_reason"
            "   ELSE :degraded END,"
            " etag = :etag, last_modified = :last_modified, validators_url = url,"
            " last_checked = :now, last_success = :now,"
            " last_new = CASE WHEN :new THEN :now ELSE last_new END,"
            " consecutive_errors = 0, next_attempt = NULL,"
            " redirect_first_seen = CASE WHEN :redirect IS NULL THEN NULL"
            "   WHEN redirect_target IS :redirect THEN redirect_first_seen ELSE :now END,"
            " redirect_target = :redirect WHERE id = :id",
            {
                "keep": keep_status,
                "status": "degraded" if degraded else "ok",
                "degraded": degraded,
                "etag": retrieved.etag,
                "last_modified": retrieved.last_modified,
                "now": ts(now),
                "new": new,
                "redirect": redirect,
                "id": feed_id,
            },
        )

    def record_feed_error(
        self, feed: str, error: str, now: datetime, *, status: str, next_attempt: datetime | None
    ) -> None:
        """Record a failed fetch. A rate-limited feed is not counted as failing."""
        counts = status != "rate_limited"
        with self.write() as conn:
            conn.execute(
                "UPDATE feeds SET status = ?, last_error = ?, last_error_at = ?, last_checked = ?,"
                " consecutive_errors = consecutive_errors + ?, next_attempt = ? WHERE name = ?",
                (status, error, ts(now), ts(now), int(counts), ts(next_attempt), feed),
            )

    def reset_feed(self, feed: str) -> bool:
        """Forget a feed's error state (including `gone`) so the next run fetches it."""
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE feeds SET status = 'new', consecutive_errors = 0, next_attempt = NULL,"
                " etag = NULL, last_modified = NULL WHERE name = ?",
                (feed,),
            )
        return cur.rowcount > 0

    # ---- articles --------------------------------------------------------------------------------

    def pending_articles(self, feeds: Iterable[str]) -> list[PendingArticle]:
        rows = self.conn.execute(
            "SELECT a.id, f.name, a.url, a.canonical_url, a.feed_text, a.page_attempts FROM articles a"
            " JOIN feeds f ON f.id = a.feed_id WHERE a.extraction_status = 'pending'"
            " AND f.name IN (SELECT value FROM json_each(?)) ORDER BY a.published DESC, a.id",
            (json.dumps(list(feeds)),),
        ).fetchall()
        return [PendingArticle(*r) for r in rows]

    def shared_text(self, canonical: str, article_id: int) -> tuple[str, str, list[str]] | None:
        """Text already extracted for the same page under another feed: (text, detail, authors)."""
        if not canonical:
            return None
        row = self._one(
            "SELECT text, id, page_authors FROM articles WHERE canonical_url = ? AND id != ?"
            " AND extraction_status = 'ok' AND text_source = 'page' ORDER BY id LIMIT 1",
            (canonical, article_id),
        )
        return None if row is None else (row[0], f"same page as article {row[1]}", json.loads(row[2]))

    def save_extraction(
        self,
        article_id: int,
        outcome: ExtractionOutcome,
        now: datetime,
        *,
        final: bool = True,
        count_attempt: bool = True,
        page: Retrieved | None = None,
        compressed_page: bytes | None = None,
    ) -> None:
        """Store the chosen text and status; with `final=False` the article stays pending for a retry
        (`count_attempt=False` when the server only asked us to wait)."""
        page_meta = outcome.page
        with self.write() as conn:
            if final:
                conn.execute(
                    "UPDATE articles SET text = ?, text_source = ?, extraction_status = ?,"
                    " extraction_detail = ?, word_count = ?, extracted_at = ?,"
                    " page_attempts = page_attempts + ?, page_title = ?, page_date = ?,"
                    " page_authors = ? WHERE id = ?",
                    (
                        outcome.text,
                        outcome.source,
                        outcome.status,
                        outcome.detail,
                        len(outcome.text.split()),
                        ts(now),
                        int(page is not None or outcome.status not in ("excluded", "blocked")),
                        page_meta.title if page_meta else None,
                        page_meta.date if page_meta else None,
                        json.dumps(list(page_meta.authors) if page_meta else []),
                        article_id,
                    ),
                )
            else:
                conn.execute(
                    "UPDATE articles SET extraction_detail = ?, page_attempts = page_attempts + ?"
                    " WHERE id = ?",
                    (outcome.detail, int(count_attempt), article_id),
                )
            if page is not None and compressed_page is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO pages (article_id, url, final_url, fetched_at, http_status,"
                    " content_type, size, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        article_id,
                        page.url,
                        page.final_url,
                        ts(now),
                        page.status,
                        page.content_type,
                        len(page.body),
                        compressed_page,
                    ),
                )

    def articles(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        feed: str | None = None,
        include_excluded: bool = False,
    ) -> list[Article]:
        """Stored articles, newest first, filtered by published date [since, until) and feed."""
        rows = self.conn.execute(
            "SELECT a.id, f.name, f.publisher, a.url, a.canonical_url, a.title, a.feed_authors,"
            " a.page_authors, a.published, a.date_source, a.first_seen, a.text, a.text_source,"
            " a.extraction_status, a.extraction_detail, a.word_count, a.categories, a.guid, a.feed_text"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id"
            " WHERE (:since IS NULL OR a.published >= :since) AND (:until IS NULL OR a.published < :until)"
            " AND (:feed IS NULL OR f.name = :feed) AND (:excluded OR a.extraction_status != 'excluded')"
            " ORDER BY a.published DESC, a.id DESC",
            {"since": ts(since), "until": ts(until), "feed": feed, "excluded": include_excluded},
        ).fetchall()
        return [_article(r) for r in rows]

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT extraction_status, count(*) FROM articles GROUP BY extraction_status"
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    # ---- health and runs ---------------------------------------------------------------------------

    def feed_health(self, sources: Sequence[FeedSource], now: datetime) -> list[FeedHealth]:
        """Health of each configured feed, in configuration order."""
        week, month = ts(now - timedelta(days=7)), ts(now - timedelta(days=30))
        out: list[FeedHealth] = []
        columns = self._columns("feeds")
        for s in sources:
            row = self.conn.execute("SELECT * FROM feeds WHERE name = ?", (s.name,)).fetchone()
            state = _feed_state(row, columns) if row else FeedState(name=s.name, url=s.url)
            counts = self._one(
                "SELECT count(*), coalesce(sum(a.first_seen >= ?), 0), coalesce(sum(a.first_seen >= ?), 0),"
                " coalesce(sum(a.first_seen >= ? AND a.extraction_status NOT IN"
                " ('ok', 'pending', 'excluded', 'feed')), 0)"
                " FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE f.name = ?"
                " AND a.extraction_status != 'excluded'",
                (week, month, month, s.name),
            )
            out.append(
                FeedHealth(
                    name=s.name,
                    url=s.url,
                    enabled=s.enabled,
                    status=state.status if s.enabled else "disabled",
                    last_checked=state.last_checked,
                    last_success=state.last_success,
                    last_new=state.last_new,
                    last_error=state.last_error,
                    last_error_at=state.last_error_at,
                    consecutive_errors=state.consecutive_errors,
                    next_attempt=state.next_attempt,
                    items_7d=counts[1],
                    items_30d=counts[2],
                    articles=counts[0],
                    extraction_failures_30d=counts[3],
                    redirect_target=state.redirect_target,
                    redirect_first_seen=state.redirect_first_seen,
                    degraded_reason=state.degraded_reason,
                )
            )
        return out

    def begin_run(self, command: str, now: datetime) -> int:
        with self.write() as conn:
            # A run still marked running cannot be: we hold the run lock. It was killed.
            conn.execute(
                "UPDATE runs SET status = 'aborted', finished_at = coalesce(finished_at, ?)"
                " WHERE status = 'running'",
                (ts(now),),
            )
            cur = conn.execute(
                "INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running')",
                (command, ts(now)),
            )
        return int(cur.lastrowid or 0)

    def record_feed_result(self, run_id: int, result: FeedResult, now: datetime) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO feed_results (run_id, feed, status, http_status, new, error,"
                " detail, checked_at, elapsed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    result.name,
                    result.status,
                    result.http_status,
                    result.new,
                    result.error,
                    result.detail,
                    ts(now),
                    result.elapsed,
                ),
            )

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any], now: datetime) -> None:
        with self.write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?",
                (status, ts(now), json.dumps(summary, sort_keys=True), run_id),
            )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, command, started_at, finished_at, status, summary FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        keys = ("id", "command", "started_at", "finished_at", "status", "summary")
        return [dict(zip(keys, r, strict=True)) for r in rows]


def _find_entry(
    conn: sqlite3.Connection, feed_id: int, item: NewEntry
) -> tuple[tuple[int, str] | None, NewEntry]:
    """The stored row this entry is, if any, and the entry (re-keyed when its guid was reused).

    Same key and same link: the same entry. Same key but another link: the publisher reused a guid,
    so this is a different article, keyed by guid and link. No key match but the same link: guid
    churn, the same entry. Content alone never makes two entries one.
    """
    e = item.entry
    query = "SELECT id, content_hash, canonical_url FROM articles WHERE feed_id = ? AND entry_key = ?"
    row = conn.execute(query, (feed_id, e.key)).fetchone()
    if row is not None and e.guid and e.canonical_url and row[2] and row[2] != e.canonical_url:
        e = replace(e, key=f"guid:{e.guid}|{e.canonical_url}")
        item = replace(item, entry=e)
        row = conn.execute(query, (feed_id, e.key)).fetchone()
    if row is None and e.canonical_url:
        row = conn.execute(
            "SELECT id, content_hash, canonical_url FROM articles WHERE feed_id = ? AND canonical_url = ?"
            " ORDER BY id LIMIT 1",
            (feed_id, e.canonical_url),
        ).fetchone()
    return (None if row is None else (int(row[0]), str(row[1]))), item


def _insert_entry(
    conn: sqlite3.Connection, feed_id: int, item: NewEntry, now: datetime, first_fetch: bool
) -> int:
    e = item.entry
    published, source = (e.published, "feed") if e.published else (now, "first_seen")
    final = item.status != "pending"
    text = e.text if item.status in ("feed", "excluded", "blocked") else ""
    cur = conn.execute(
        "INSERT INTO articles (feed_id, entry_key, guid, url, canonical_url, title, feed_authors,"
        " categories, feed_published, published, date_source, first_seen, last_seen, feed_text,"
        " content_hash, text, text_source, word_count, extraction_status, extraction_detail,"
        " extracted_at, first_fetch)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            feed_id,
            e.key,
            e.guid,
            e.url,
            e.canonical_url,
            e.title,
            json.dumps(list(e.authors)),
            json.dumps(list(e.categories)),
            ts(e.published),
            ts(published),
            source,
            ts(now),
            ts(now),
            e.text,
            e.content_hash,
            text,
            "feed" if text else "none",
            len(text.split()),
            item.status,
            item.detail,
            ts(now) if final else None,
            int(first_fetch),
        ),
    )
    return int(cur.lastrowid or 0)


def _feed_state(row: Sequence[Any], columns: list[str]) -> FeedState:
    r = dict(zip(columns, row, strict=True))
    return FeedState(
        name=r["name"],
        url=r["url"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        validators_url=r["validators_url"],
        last_checked=dt(r["last_checked"]),
        last_success=dt(r["last_success"]),
        last_new=dt(r["last_new"]),
        last_error=r["last_error"],
        last_error_at=dt(r["last_error_at"]),
        consecutive_errors=r["consecutive_errors"],
        next_attempt=dt(r["next_attempt"]),
        status=r["status"],
        degraded_reason=r["degraded_reason"],
        redirect_target=r["redirect_target"],
        redirect_first_seen=dt(r["redirect_first_seen"]),
    )


def _article(r: Sequence[Any]) -> Article:
    page_authors = json.loads(r[7])
    published = dt(r[8])
    first_seen = dt(r[10])
    assert published is not None and first_seen is not None
    return Article(
        id=r[0],
        feed=r[1],
        publisher=r[2],
        url=r[3],
        canonical_url=r[4],
        title=r[5],
        # The page names the real authors more often than the feed (WordPress posts as an editor).
        authors=tuple(page_authors or json.loads(r[6])),
        published=published,
        date_source=r[9],
        first_seen=first_seen,
        text=r[11],
        text_source=r[12],
        extraction_status=r[13],
        extraction_detail=r[14],
        word_count=r[15],
        categories=tuple(json.loads(r[16])),
        guid=r[17],
        feed_text=r[18],
    )
