"""Feeds, their entries and their fetch state."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from briefing.models import Entry, FeedHealth, FeedSource, FeedState, Retrieved
from briefing.models.vocabulary import EntryStart
from briefing.store.base import Connection, StoreBase, dt, ts
from briefing.testing_hooks import crash_point


@dataclass(frozen=True)
class NewEntry:
    """An entry to store, with the state it starts in (pending, excluded, blocked or feed)."""

    entry: Entry
    status: EntryStart
    detail: str = ""


@dataclass(frozen=True)
class SavedEntries:
    new_ids: tuple[int, ...]
    new_statuses: tuple[EntryStart, ...]
    updated: int
    unchanged: int


class FeedQueries(StoreBase):
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
        new_statuses: list[EntryStart] = []
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
                    new_ids.append(self._insert(conn, *_entry_row(feed_id, item, now, bool(first_fetch))))
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
        conn: Connection,
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

    def host_wait(self, host: str, now: datetime) -> datetime | None:
        """Until when `host` asked us to wait, if that is still ahead of `now`."""
        row = self.conn.execute("SELECT until FROM host_waits WHERE host = ?", (host.lower(),)).fetchone()
        until = dt(row[0]) if row else None
        return until if until is not None and until > now else None

    def record_host_wait(self, host: str, until: datetime, *, replace: bool = False) -> None:
        """`host` asked us to wait until `until`: the later of two requests holds, unless `replace` (a
        wait cut to its bound)."""
        keep = "excluded.until" if replace else self._greatest("host_waits.until", "excluded.until")
        with self.write() as conn:
            conn.execute(
                "INSERT INTO host_waits (host, until) VALUES (?, ?) ON CONFLICT (host) DO UPDATE"  # noqa: S608
                f" SET until = {keep}",
                (host.lower(), ts(until)),
            )

    def reserve_host_slot(self, host: str, spacing: float) -> float:
        """Seconds to wait before the next request to `host`: its start is reserved `spacing` seconds
        after the last one any process reserved. Times come from the database's clock, so workers on
        machines whose clocks differ still keep the spacing."""
        now = (
            "extract(epoch from clock_timestamp())"
            if self.postgres
            else "(julianday('now') - 2440587.5) * 86400.0"
        )
        with self.write() as conn:
            row = conn.execute(
                f"SELECT {now}, (SELECT next_start FROM host_slots WHERE host = ?)",  # noqa: S608
                (host.lower(),),
            ).fetchone()
            current, reserved = float(row[0]), row[1]
            start = max(current, float(reserved or 0.0))
            conn.execute(
                "INSERT INTO host_slots (host, next_start) VALUES (?, ?)"
                " ON CONFLICT (host) DO UPDATE SET next_start = excluded.next_start",
                (host.lower(), start + spacing),
            )
        return start - current

    def take_host_lease(self, host: str, limit: int, held: Collection[int]) -> int | None:
        """One of `limit` leases on requests to `host`, shared by every process of a cluster: its number,
        or None when all are taken. `held` are the numbers this process holds (a session may take its own
        lock again, so it must not ask for those). PostgreSQL only: the leases are session advisory
        locks, which the database frees when a process dies."""
        for n in range(limit):
            if n not in held and self.conn.try_lock_named("host:" + host.lower(), n):
                return n
        return None

    def end_host_lease(self, host: str, n: int) -> None:
        self.conn.unlock_named("host:" + host.lower(), n)

    def clear_host_wait(self, host: str) -> None:
        with self.write() as conn:
            conn.execute("DELETE FROM host_waits WHERE host = ?", (host.lower(),))

    def set_next_attempt(self, feed: str, when: datetime) -> None:
        with self.write() as conn:
            conn.execute("UPDATE feeds SET next_attempt = ? WHERE name = ?", (ts(when), feed))

    def reset_feed(self, feed: str) -> bool:
        """Forget a feed's error state (including `gone`) so the next run fetches it."""
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE feeds SET status = 'new', consecutive_errors = 0, next_attempt = NULL,"
                " etag = NULL, last_modified = NULL WHERE name = ?",
                (feed,),
            )
        return bool(cur.rowcount > 0)

    def feed_health(self, sources: Sequence[FeedSource], now: datetime) -> list[FeedHealth]:
        """Health of each configured feed, in configuration order."""
        week, month = ts(now - timedelta(days=7)), ts(now - timedelta(days=30))
        out: list[FeedHealth] = []
        columns = self._columns("feeds")
        for s in sources:
            row = self.conn.execute("SELECT * FROM feeds WHERE name = ?", (s.name,)).fetchone()
            state = _feed_state(row, columns) if row else FeedState(name=s.name, url=s.url)
            counts = self._one(
                "SELECT count(*), count(*) FILTER (WHERE a.first_seen >= ?),"
                " count(*) FILTER (WHERE a.first_seen >= ?),"
                " count(*) FILTER (WHERE a.first_seen >= ? AND a.extraction_status NOT IN"
                " ('ok', 'pending', 'excluded', 'feed'))"
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


def _find_entry(conn: Connection, feed_id: int, item: NewEntry) -> tuple[tuple[int, str] | None, NewEntry]:
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


def _entry_row(feed_id: int, item: NewEntry, now: datetime, first_fetch: bool) -> tuple[str, tuple[Any, ...]]:
    """The INSERT of a new entry, and its values."""
    e = item.entry
    published, source = (e.published, "feed") if e.published else (now, "first_seen")
    final = item.status != "pending"
    text = e.text if item.status in ("feed", "excluded", "blocked") else ""
    return (
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
