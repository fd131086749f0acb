"""Full-text search over stored articles and the seed corpus's documents: SQLite's FTS5 (bm25), or
PostgreSQL's text search (a stored tsvector with a GIN index, `ts_rank_cd`, `ts_headline`). `match` is
the expression of `query.py` for the store's database (`expression` or `tsquery`)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from briefing.errors import QueryError
from briefing.models import BaselineDoc, SearchHit
from briefing.store.base import SQLiteOperationalError, StoreBase, dt, ts

# Snippets mark matched terms with two private-use characters, char(57344) and char(57345), never in
# stored text (normalised); bm25 weighs a match in the title (4.0) over one in the feed text or text.
_OPEN, _CLOSE = "\ue000", "\ue001"
# PostgreSQL: ts_rank_cd's weights for D, C, B, A (the text is D, the title A: 4 to 1, as bm25's here),
# and ts_headline's snippet: one fragment of at most 24 words around the best match.
_PG_WEIGHTS = "{0.25, 0.25, 0.25, 1.0}"
_PG_SNIPPET = (
    f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=24, MinWords=8, MaxFragments=1,"
    " FragmentDelimiter=…, ShortWord=2"
)


def baseline_key(docs: Sequence[BaselineDoc]) -> str:
    """Names the corpus's exact contents: the copy kept for search is replaced when it changes."""
    h = hashlib.sha256(b"search-1")
    for d in docs:
        h.update(d.id.encode() + b"\0" + hashlib.sha256(d.text.encode()).digest())
    return h.hexdigest()[:24]


class SearchQueries(StoreBase):
    def search_articles(
        self,
        match: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        feed: str | None = None,
        briefed_only: bool = False,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Articles matching `match`, best first (excluded entries never)."""
        if self.postgres:
            return self._pg_search_articles(match, since, until, feed, briefed_only, limit)
        rows = self._match(
            "SELECT a.id, a.title, a.url, f.name, a.published, a.briefed_at,"  # noqa: S608
            " snippet(articles_fts, -1, char(57344), char(57345), '…', 24), bm25(articles_fts, 4.0, 1.0, 1.0)"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid JOIN feeds f ON f.id = a.feed_id"
            " WHERE articles_fts MATCH :match AND a.extraction_status != 'excluded'"
            f"{_ARTICLE_FILTERS}"
            " ORDER BY bm25(articles_fts, 4.0, 1.0, 1.0) LIMIT :limit",
            _article_params(match, since, until, feed, briefed_only, limit),
        )
        return _article_hits(rows)

    def search_baseline(
        self,
        match: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Seed-corpus documents matching `match`, best first (as last copied by `keep_baseline`)."""
        if self.postgres:
            rows = self.conn.execute(
                "SELECT d.doc_id, d.title, d.source, d.date, substr(d.text, 1, 200),"  # noqa: S608
                f" {_BASELINE_SNIPPET}, d.rank FROM ("
                " SELECT d.*, q, -ts_rank_cd(:weights, d.search, q) AS rank"
                " FROM baseline_docs d, to_tsquery('briefing', :match) q WHERE d.search @@ q"
                " AND (:since IS NULL OR d.date >= :since) AND (:until IS NULL OR d.date < :until)"
                " ORDER BY rank, d.id LIMIT :limit) d",
                {
                    "match": match,
                    "since": ts(since),
                    "until": ts(until),
                    "limit": limit,
                    "snippet": _PG_SNIPPET,
                    "weights": _PG_WEIGHTS,
                },
            ).fetchall()
            return [
                _hit("baseline", r[0], r[1] or _opening(r[4]), "", r[2], dt(r[3]), r[5], r[6]) for r in rows
            ]
        rows = self._match(
            "SELECT d.doc_id, d.title, d.source, d.date, substr(d.text, 1, 200),"
            " snippet(baseline_fts, -1, char(57344), char(57345), '…', 24), bm25(baseline_fts, 4.0, 1.0, 1.0)"
            " FROM baseline_fts JOIN baseline_docs d ON d.id = baseline_fts.rowid"
            " WHERE baseline_fts MATCH :match"
            " AND (:since IS NULL OR d.date >= :since) AND (:until IS NULL OR d.date < :until)"
            " ORDER BY bm25(baseline_fts, 4.0, 1.0, 1.0) LIMIT :limit",
            {"match": match, "since": ts(since), "until": ts(until), "limit": limit},
        )
        # A corpus document the splitter found no title for is named by its opening words.
        return [_hit("baseline", r[0], r[1] or _opening(r[4]), "", r[2], dt(r[3]), r[5], r[6]) for r in rows]

    def _pg_search_articles(
        self,
        match: str,
        since: datetime | None,
        until: datetime | None,
        feed: str | None,
        briefed_only: bool,
        limit: int,
    ) -> list[SearchHit]:
        # The snippet is made for the few rows kept, not for every match.
        rows = self.conn.execute(
            "SELECT a.id, a.title, a.url, a.name, a.published, a.briefed_at,"  # noqa: S608
            f" {_ARTICLE_SNIPPET}, a.rank FROM ("
            " SELECT a.*, f.name, q, -ts_rank_cd(:weights, a.search, q) AS rank"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id, to_tsquery('briefing', :match) q"
            " WHERE a.search @@ q AND a.extraction_status != 'excluded'"
            f"{_ARTICLE_FILTERS}"
            " ORDER BY rank, a.id LIMIT :limit) a",
            _article_params(match, since, until, feed, briefed_only, limit)
            | {"snippet": _PG_SNIPPET, "weights": _PG_WEIGHTS},
        ).fetchall()
        return _article_hits(rows)

    def indexed_terms(self, low: str, high: str) -> list[str]:
        """The distinct indexed terms in [low, high), of articles and corpus documents (folded)."""
        if self.postgres:
            return []
        rows = self.conn.execute(
            "SELECT term FROM articles_terms WHERE term >= :low AND term < :high"
            " UNION SELECT term FROM baseline_terms WHERE term >= :low AND term < :high",
            {"low": low, "high": high},
        )
        return [r[0] for r in rows]

    def baseline_copy_key(self) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = 'baseline_search'")
        return str(row[0]) if row else None

    def keep_baseline(self, docs: Sequence[BaselineDoc], key: str) -> None:
        """Replace the searchable copy of the corpus with `docs` (one transaction; `key` names them)."""
        with self.write() as conn:
            conn.execute("DELETE FROM baseline_docs")
            conn.executemany(
                "INSERT INTO baseline_docs (doc_id, title, authors, date, source, text)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(d.id, d.title, json.dumps(list(d.authors)), ts(d.date), d.source, d.text) for d in docs],
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('baseline_search', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key,),
            )

    def _match(self, sql: str, params: dict[str, Any]) -> list[Any]:
        try:
            return list(self.conn.execute(sql, params).fetchall())
        except SQLiteOperationalError as e:
            if "fts5" in str(e) or "MATCH" in str(e):  # the expression came from a user's query
                raise QueryError("QUERY", [f"not a search this index understands ({e})"]) from e
            raise


# The filters of an article search, on either database: published in [since, until), from `feed`, and
# with `briefed`, already briefed (all optional).
_ARTICLE_FILTERS = (
    " AND (:since IS NULL OR a.published >= :since) AND (:until IS NULL OR a.published < :until)"
    " AND (:feed IS NULL OR f.name = :feed) AND (NOT :briefed OR a.briefed_at IS NOT NULL)"
)


def _article_params(
    match: str, since: datetime | None, until: datetime | None, feed: str | None, briefed: bool, limit: int
) -> dict[str, Any]:
    return {
        "match": match,
        "since": ts(since),
        "until": ts(until),
        "feed": feed,
        "briefed": briefed,
        "limit": limit,
    }


def _article_hits(rows: Sequence[Any]) -> list[SearchHit]:
    """Rows of (id, title, url, feed, published, briefed_at, marked snippet, rank) as hits."""
    return [
        _hit("article", f"a{r[0]}", r[1], r[2], r[3], dt(r[4]), r[6], r[7], briefed=r[5] is not None)
        for r in rows
    ]


def _pg_snippet(title: str, text: str) -> str:
    """The passage shown: the title when it matches the whole query (as FTS5's snippet takes the best
    column), else the best fragment of the text."""
    return (
        f"CASE WHEN to_tsvector('briefing', {title}) @@ q THEN ts_headline('briefing', {title}, q, :snippet)"
        f" ELSE ts_headline('briefing', {text}, q, :snippet) END"
    )


_ARTICLE_SNIPPET = _pg_snippet("a.title", "coalesce(nullif(a.text, ''), a.feed_text)")
_BASELINE_SNIPPET = _pg_snippet("d.title", "d.text")


def _hit(
    kind: Any,
    id: str,
    title: str,
    url: str,
    source: str,
    published: datetime | None,
    marked: str,
    rank: float,
    *,
    briefed: bool = False,
) -> SearchHit:
    """A hit with the snippet's markers turned into offsets."""
    snippet, spans = _unmark(marked)
    return SearchHit(kind, id, title, url, source, published, snippet, spans, round(-rank, 4), briefed)


def _opening(text: str, words: int = 10) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _unmark(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    at, opened = 0, None
    for piece in re.split(f"([{_OPEN}{_CLOSE}])", marked):
        if piece == _OPEN:
            opened = at
        elif piece == _CLOSE:
            if opened is not None:
                spans.append((opened, at))
            opened = None
        else:
            plain.append(piece)
            at += len(piece)
    return "".join(plain), tuple(spans)
