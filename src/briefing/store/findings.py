"""Findings of the analysis, kept per article and baseline, and the mark of briefed articles."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from briefing.models import Finding
from briefing.serialize import finding_from_dict, finding_to_dict
from briefing.store.base import StoreBase, ts


class FindingQueries(StoreBase):
    def save_findings(self, findings: Sequence[Finding], baseline: str, now: datetime) -> None:
        """Store findings for `baseline` (its fingerprint), replacing earlier ones for the same pair."""
        with self.write() as conn:
            conn.executemany(
                "INSERT INTO findings (article_id, baseline, analysed_at, kind, score, section,"
                " story, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (article_id, baseline)"
                " DO UPDATE SET analysed_at = excluded.analysed_at, kind = excluded.kind,"
                " score = excluded.score, section = excluded.section, story = excluded.story,"
                " payload = excluded.payload",
                [
                    (
                        f.article_id,
                        baseline,
                        ts(now),
                        f.kind,
                        f.score,
                        f.section,
                        f.story,
                        json.dumps(finding_to_dict(f), sort_keys=True, ensure_ascii=False),
                    )
                    for f in findings
                ],
            )

    def findings(self, article_ids: Iterable[int], baseline: str) -> dict[int, Finding]:
        """Stored findings for these articles against this baseline, by article id."""
        ids, param = self._in("article_id", list(article_ids))
        rows = self.conn.execute(
            f"SELECT article_id, payload FROM findings WHERE baseline = ? AND {ids}",  # noqa: S608
            (baseline, param),
        ).fetchall()
        return {int(r[0]): finding_from_dict(json.loads(r[1])) for r in rows}

    def mark_briefed(self, article_ids: Iterable[int], when: datetime) -> None:
        """Record that these articles appeared in an issued brief (they then join the baseline)."""
        ids, param = self._in("id", list(article_ids))
        with self.write() as conn:
            conn.execute(
                f"UPDATE articles SET briefed_at = coalesce(briefed_at, ?) WHERE {ids}",  # noqa: S608
                (ts(when), param),
            )

    def briefed_ids(self, before: datetime) -> list[int]:
        """Articles briefed by `before` (a brief stamps its period's end) and published before it."""
        rows = self.conn.execute(
            "SELECT id FROM articles WHERE briefed_at IS NOT NULL AND briefed_at <= ? AND published < ?"
            " ORDER BY published, id",
            (ts(before), ts(before)),
        ).fetchall()
        return [int(r[0]) for r in rows]
