"""The analyst's marks: stored, listed, undone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from briefing.models import Mark
from briefing.models.vocabulary import MarkAction
from briefing.store.base import StoreBase, dt, ts
from briefing.testing_hooks import crash_point

_COLUMNS = 'id, target, action, value, article_id, text, "by", at, undone_at'


class FeedbackQueries(StoreBase):
    def add_mark(
        self,
        target: str,
        action: MarkAction,
        value: str,
        article_id: int | None,
        text: str,
        by: str,
        now: datetime,
    ) -> Mark:
        with self.write(durable=True) as conn:
            row_id = self._insert(
                conn,
                'INSERT INTO marks (target, action, value, article_id, text, "by", at)'
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (target, action, value, article_id, text, by, ts(now)),
            )
            crash_point("mark")
        return Mark(row_id, target, action, value, article_id, text, by, now)

    def marks(self, *, include_undone: bool = False) -> list[Mark]:
        """Marks in the order they were made (the active ones only, unless `include_undone`)."""
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM marks WHERE :all OR undone_at IS NULL ORDER BY id",  # noqa: S608
            {"all": include_undone},
        ).fetchall()
        return [_mark(r) for r in rows]

    def mark(self, mark_id: int) -> Mark | None:
        row = self._one(f"SELECT {_COLUMNS} FROM marks WHERE id = ?", (mark_id,))  # noqa: S608
        return _mark(row) if row else None

    def undo_mark(self, mark_id: int, now: datetime) -> None:
        with self.write(durable=True) as conn:
            conn.execute(
                "UPDATE marks SET undone_at = ? WHERE id = ? AND undone_at IS NULL", (ts(now), mark_id)
            )
            crash_point("undo")

    def article_text(self, article_id: int) -> tuple[str, str] | None:
        """(title, text) of a stored article, None when there is none of that id."""
        row = self._one(
            "SELECT title, CASE WHEN text != '' THEN text ELSE feed_text END FROM articles WHERE id = ?",
            (article_id,),
        )
        return (str(row[0]), str(row[1])) if row else None

    def existing_articles(self, article_ids: Sequence[int]) -> set[int]:
        ids, param = self._in("id", [int(i) for i in article_ids])
        rows = self.conn.execute(f"SELECT id FROM articles WHERE {ids}", (param,)).fetchall()  # noqa: S608
        return {int(r[0]) for r in rows}

    def story_of(self, article_id: int) -> str | None:
        """The story of the article's latest stored finding."""
        row = self._one(
            "SELECT story FROM findings WHERE article_id = ? ORDER BY analysed_at DESC LIMIT 1", (article_id,)
        )
        return str(row[0]) if row and row[0] else None

    def story_known(self, story: str) -> bool:
        """Whether any stored finding belongs to `story`."""
        return self._one("SELECT 1 FROM findings WHERE story = ? LIMIT 1", (story,)) is not None


def _mark(r: Sequence[Any]) -> Mark:
    at = dt(r[7])
    assert at is not None
    return Mark(
        int(r[0]),
        str(r[1]),
        cast(MarkAction, r[2]),
        str(r[3]),
        int(r[4]) if r[4] is not None else None,
        str(r[5]),
        str(r[6]),
        at,
        dt(r[8]),
    )
