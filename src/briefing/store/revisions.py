"""Revisions: which recent pages are due for another look, and the changes found."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from briefing.models import Quote, Recheck, Retrieved, Revision
from briefing.store.base import StoreBase, dt, ts
from briefing.testing_hooks import crash_point


class RevisionQueries(StoreBase):
    def due_rechecks(
        self, feeds: Sequence[str], now: datetime, within: timedelta, every: timedelta
    ) -> list[Recheck]:
        """Articles of `feeds` first seen within `within` of `now`, with a page read, last checked `every`
        or longer ago; the longest unchecked first."""
        names, param = self._in("f.name", list(feeds))
        rows = self.conn.execute(
            "SELECT a.id, f.name, p.final_url, coalesce(a.page_title, a.title), a.text, p.etag,"  # noqa: S608
            " p.last_modified, a.feed_text"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id JOIN pages p ON p.article_id = a.id"
            f" WHERE {names.replace('?', ':feeds')} AND a.text_source = 'page'"
            " AND a.extraction_status = 'ok' AND a.first_seen >= :since"
            " AND coalesce(p.checked_at, p.fetched_at) <= :due"
            " ORDER BY coalesce(p.checked_at, p.fetched_at), a.id",
            {"feeds": param, "since": ts(now - within), "due": ts(now - every)},
        ).fetchall()
        return [
            Recheck(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5], r[6], str(r[7]))
            for r in rows
        ]

    def page_checked(self, article_id: int, got: Retrieved | None, now: datetime) -> None:
        """The page was looked at again and had not changed materially (`got`: its validators, if sent)."""
        with self.write() as conn:
            conn.execute(
                "UPDATE pages SET checked_at = :now, etag = coalesce(:etag, etag),"
                " last_modified = coalesce(:lm, last_modified) WHERE article_id = :id",
                {
                    "now": ts(now),
                    "etag": got.etag if got else None,
                    "lm": got.last_modified if got else None,
                    "id": article_id,
                },
            )

    def save_revision(
        self,
        article_id: int,
        now: datetime,
        *,
        old: tuple[str, str],
        new: tuple[str, str],
        added: Sequence[Quote],
        removed: Sequence[Quote],
        got: Retrieved,
        compressed_page: bytes,
    ) -> int:
        """Keep the change (the earlier text with it) and make the new title and text the article's, in one
        transaction; the search index follows by its triggers."""
        with self.write() as conn:
            row_id = self._insert(
                conn,
                "INSERT INTO revisions (article_id, found_at, old_title, new_title, old_text, new_text,"
                " added, removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (article_id, ts(now), old[0], new[0], old[1], new[1], _quotes(added), _quotes(removed)),
            )
            conn.execute(
                "UPDATE articles SET page_title = ?, text = ?, word_count = ?, revised_at = ? WHERE id = ?",
                (new[0], new[1], len(new[1].split()), ts(now), article_id),
            )
            conn.execute(
                "UPDATE pages SET checked_at = ?, fetched_at = ?, etag = ?, last_modified = ?, size = ?,"
                " body = ?, final_url = ? WHERE article_id = ?",
                (
                    ts(now),
                    ts(now),
                    got.etag,
                    got.last_modified,
                    len(got.body),
                    compressed_page,
                    got.final_url,
                    article_id,
                ),
            )
            crash_point("after_revision")
        return row_id

    def revisions(self, since: datetime, until: datetime) -> list[Revision]:
        """Revisions found in [since, until), oldest first."""
        rows = self.conn.execute(
            "SELECT r.id, r.article_id, r.found_at, r.old_title, r.new_title, r.added, r.removed,"
            " a.title, a.url, f.name, f.publisher FROM revisions r JOIN articles a ON a.id = r.article_id"
            " JOIN feeds f ON f.id = a.feed_id WHERE r.found_at >= ? AND r.found_at < ?"
            " ORDER BY r.found_at, r.id",
            (ts(since), ts(until)),
        ).fetchall()
        return [_revision(r) for r in rows]


def _quotes(quotes: Sequence[Quote]) -> str:
    return json.dumps([[q.text, q.start, q.end] for q in quotes], ensure_ascii=False)


def _revision(r: Sequence[Any]) -> Revision:
    found = dt(r[2])
    assert found is not None
    added = tuple(Quote(t, s, e) for t, s, e in json.loads(r[5]))
    removed = tuple(Quote(t, s, e) for t, s, e in json.loads(r[6]))
    return Revision(
        int(r[0]),
        int(r[1]),
        found,
        str(r[3]),
        str(r[4]),
        added,
        removed,
        str(r[7]),
        str(r[8]),
        str(r[9]),
        str(r[10]),
    )
