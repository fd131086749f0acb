"""Stored articles: pending pages, extraction results, listings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from briefing.models import Article, ExtractionOutcome, Retrieved
from briefing.store.base import StoreBase, dt, ts


@dataclass(frozen=True)
class PendingArticle:
    id: int
    feed: str
    url: str
    canonical_url: str
    feed_text: str
    attempts: int


class ArticleQueries(StoreBase):
    def pending_articles(self, feeds: Iterable[str]) -> list[PendingArticle]:
        names, param = self._in("f.name", list(feeds))
        rows = self.conn.execute(
            "SELECT a.id, f.name, a.url, a.canonical_url, a.feed_text, a.page_attempts FROM articles a"  # noqa: S608
            " JOIN feeds f ON f.id = a.feed_id WHERE a.extraction_status = 'pending'"
            f" AND {names} ORDER BY a.published DESC, a.id",
            (param,),
        ).fetchall()
        return [PendingArticle(*r) for r in rows]

    def pending_article(self, article_id: int) -> PendingArticle | None:
        """The article if it is still waiting for its page (None once done, by this job or another)."""
        row = self._one(
            "SELECT a.id, f.name, a.url, a.canonical_url, a.feed_text, a.page_attempts FROM articles a"
            " JOIN feeds f ON f.id = a.feed_id WHERE a.id = ? AND a.extraction_status = 'pending'",
            (article_id,),
        )
        return PendingArticle(*row) if row else None

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
                    "INSERT INTO pages (article_id, url, final_url, fetched_at, http_status,"
                    " content_type, size, body, etag, last_modified, checked_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE SET"
                    " url = excluded.url, final_url = excluded.final_url, fetched_at = excluded.fetched_at,"
                    " http_status = excluded.http_status, content_type = excluded.content_type,"
                    " size = excluded.size, body = excluded.body, etag = excluded.etag,"
                    " last_modified = excluded.last_modified, checked_at = excluded.checked_at",
                    (
                        article_id,
                        page.url,
                        page.final_url,
                        ts(now),
                        page.status,
                        page.content_type,
                        len(page.body),
                        compressed_page,
                        page.etag,
                        page.last_modified,
                        ts(now),
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

    def published_span(self, feed: str | None = None) -> tuple[int, datetime | None, datetime | None]:
        """How many articles are stored (of `feed`), and the first and last publication dates."""
        row = self.conn.execute(
            "SELECT count(*), min(a.published), max(a.published)"
            " FROM articles a JOIN feeds f ON f.id = a.feed_id"
            " WHERE (:feed IS NULL OR f.name = :feed) AND a.extraction_status != 'excluded'",
            {"feed": feed},
        ).fetchone()
        return int(row[0]), dt(row[1]), dt(row[2])

    def counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT extraction_status, count(*) FROM articles GROUP BY extraction_status"
        ).fetchall()
        return {r[0]: r[1] for r in rows}


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
