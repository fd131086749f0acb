"""The run ledger: per period, when its brief was rendered and where, and to whom it was sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import cast

from briefing.models import Delivery
from briefing.models.vocabulary import DeliveryStatus
from briefing.store.base import StoreBase, dt, ts

_COLUMNS = (
    "period, rendered_at, files, status, message_id, recipients, attempts, last_error, last_attempt_at,"
    " sent_at, reply, first_message_id"
)


class LedgerQueries(StoreBase):
    def instance(self) -> str:
        """This data folder's random identity (made when the store was created or migrated)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
        return str(row[0])

    def delivery(self, period: str) -> Delivery | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM deliveries WHERE period = ?", (period,)).fetchone()  # noqa: S608
        return _delivery(row) if row else None

    def deliveries(self, limit: int = 10) -> list[Delivery]:
        rows = self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries ORDER BY period DESC LIMIT ?",  # noqa: S608
            (limit,),
        ).fetchall()
        return [_delivery(r) for r in rows]

    def last_delivered(self) -> str | None:
        """The newest period whose brief reached its readers (sent, or written when there is no e-mail)."""
        row = self.conn.execute(
            "SELECT max(period) FROM deliveries WHERE status IN ('sent', 'written') OR sent_at IS NOT NULL"
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def record_rendered(self, period: str, files: Sequence[Path], status: str, now: datetime) -> None:
        """The brief's files are in the reports folder; `status` is "written" (no e-mail) or "rendered"."""
        with self.write(durable=True) as conn:
            conn.execute(
                "INSERT INTO deliveries (period, rendered_at, files, status) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (period) DO UPDATE SET rendered_at = excluded.rendered_at,"
                " files = excluded.files,"
                " status = CASE WHEN deliveries.status = 'sent' THEN 'sent' ELSE excluded.status END",
                (period, ts(now), json.dumps([str(p) for p in files]), status),
            )

    def record_sent(
        self, period: str, message_id: str, recipients: Sequence[str], reply: str, now: datetime
    ) -> None:
        """Only after the server accepted the message."""
        with self.write(durable=True) as conn:
            conn.execute(
                "UPDATE deliveries SET status = 'sent', message_id = ?, recipients = ?, sent_at = ?,"
                " last_attempt_at = ?, attempts = attempts + 1, last_error = NULL, reply = ?,"
                " first_message_id = coalesce(first_message_id, ?) WHERE period = ?",
                (message_id, json.dumps(list(recipients)), ts(now), ts(now), reply, message_id, period),
            )

    def record_failure(
        self, period: str, message_id: str, error: str, permanent: bool, now: datetime
    ) -> None:
        with self.write(durable=True) as conn:
            conn.execute(
                "UPDATE deliveries SET status = ?, message_id = ?, last_error = ?, last_attempt_at = ?,"
                " attempts = attempts + 1 WHERE period = ?",
                ("failed" if permanent else "retry", message_id, error, ts(now), period),
            )


def _delivery(row: Sequence[object]) -> Delivery:
    return Delivery(
        period=str(row[0]),
        rendered_at=datetime.fromisoformat(str(row[1])),
        files=tuple(json.loads(str(row[2]))),
        status=cast(DeliveryStatus, row[3]),
        message_id=str(row[4]) if row[4] else None,
        recipients=tuple(json.loads(str(row[5]))),
        attempts=int(str(row[6])),
        last_error=str(row[7]) if row[7] else None,
        last_attempt_at=dt(str(row[8])) if row[8] else None,
        sent_at=dt(str(row[9])) if row[9] else None,
        reply=str(row[10]) if row[10] else None,
        first_message_id=str(row[11]) if row[11] else None,
    )
