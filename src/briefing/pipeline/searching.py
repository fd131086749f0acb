"""search(): full-text search over the stored articles and the seed corpus (read only, apart from the
searchable copy of the corpus, which is replaced when the corpus changes)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from briefing.config import Config
from briefing.corpus import load_corpus
from briefing.models import SearchHit
from briefing.query import expression, parse, tsquery
from briefing.store import Store
from briefing.store.search import baseline_key

Within = Literal["articles", "baseline", "all"]


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query, best first, and the expression it ran as (FTS5, or a PostgreSQL tsquery;
    names' spellings included)."""

    query: str
    expression: str
    within: Within
    hits: tuple[SearchHit, ...]


def search(
    config: Config,
    query: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    feed: str | None = None,
    within: Within = "all",
    limit: int = 20,
) -> SearchResult:
    """Search `within` the stored articles, the baseline (the seed corpus and, with
    `corpus.include_briefed`, the articles already briefed) or both. Raises `QueryError` for a query that
    cannot mean anything, `ConfigError` for an unknown feed."""
    parsed = parse(query)
    if feed:
        config.feed(feed)
    with Store.open(config.settings.store_location) as store:
        match = tsquery(parsed) if store.postgres else expression(parsed, store.indexed_terms)
        hits: list[SearchHit] = []
        if within in ("articles", "all"):
            hits += _relative(
                store.search_articles(match, since=since, until=until, feed=feed, limit=2 * limit)
            )
        if within == "baseline" and config.corpus.include_briefed:  # briefed articles are known too
            hits += _relative(
                store.search_articles(
                    match, since=since, until=until, feed=feed, briefed_only=True, limit=2 * limit
                )
            )
        if within in ("baseline", "all") and not feed:
            _keep_corpus_copy(config, store)
            hits += _relative(store.search_baseline(match, since=since, until=until, limit=2 * limit))
    hits.sort(key=lambda h: -h.score)
    return SearchResult(query, match, within, tuple(_one_per_article(hits)[:limit]))


def _relative(hits: list[SearchHit]) -> list[SearchHit]:
    """Scores as a share of the best hit of the same index: bm25 of the articles and of the corpus are on
    scales of their own (document lengths, term counts), so the two lists are merged on these instead."""
    best = max((h.score for h in hits), default=0.0)
    return [replace(h, score=round(h.score / best, 4)) for h in hits] if best > 0 else hits


def _one_per_article(hits: list[SearchHit]) -> list[SearchHit]:
    """The same article carried by several feeds is one hit, the best ranked, naming the other feeds."""
    kept: dict[str, SearchHit] = {}
    for hit in hits:
        key = hit.url or f"{hit.kind}:{hit.id}"
        first = kept.get(key)
        if first is None:
            kept[key] = hit
        elif hit.source != first.source and hit.source not in first.also_in:
            kept[key] = replace(first, also_in=(*first.also_in, hit.source))
    return list(kept.values())


def _keep_corpus_copy(config: Config, store: Store) -> None:
    """The searchable copy of the seed corpus, replaced when the corpus's documents changed."""
    docs = load_corpus(config.corpus, cache=config.settings.corpus_cache)
    key = baseline_key(docs)
    if store.baseline_copy_key() != key:
        store.keep_baseline(docs, key)
