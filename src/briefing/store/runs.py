"""The log of runs and of each feed's result in a run."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from briefing.models import FeedResult
from briefing.store.base import StoreBase, ts


class RunQueries(StoreBase):
    def begin_run(self, command: str, now: datetime, *, alone: bool = True) -> int:
        """A new run's id. `alone`: this run holds the run lock, so another still marked running was
        killed (a cluster's rounds run beside each other and pass False)."""
        with self.write() as conn:
            if alone:
                conn.execute(
                    "UPDATE runs SET status = 'aborted', finished_at = coalesce(finished_at, ?)"
                    " WHERE status = 'running'",
                    (ts(now),),
                )
            return self._insert(
                conn,
                "INSERT INTO runs (command, started_at, status) VALUES (?, ?, 'running')",
                (command, ts(now)),
            )

    def record_feed_result(self, run_id: int, result: FeedResult, now: datetime) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT INTO feed_results (run_id, feed, status, http_status, new, error,"
                " detail, checked_at, elapsed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (run_id, feed) DO UPDATE SET status = excluded.status,"
                " http_status = excluded.http_status, new = excluded.new, error = excluded.error,"
                " detail = excluded.detail, checked_at = excluded.checked_at, elapsed = excluded.elapsed",
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
