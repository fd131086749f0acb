"""Stored articles -> findings: the baseline is assembled (seed corpus, then articles already briefed),
indexed (the index is kept in the data folder and extended as the baseline grows), and the period's
articles are analysed against it. Findings are stored per article and baseline, so a brief can be
re-rendered identically later and a repeated analysis costs nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from datetime import datetime, timedelta

from briefing import feedback
from briefing.analysis import semantic
from briefing.analysis.findings import analyse, trace_stories
from briefing.analysis.index import BaselineIndex, fingerprint
from briefing.analysis.linking import VectorCache
from briefing.clock import Clock, utc_now
from briefing.config import Config
from briefing.corpus import load_corpus
from briefing.lock import RunLock
from briefing.models import Article, BaselineDoc, Finding, Mark
from briefing.store import Store
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)
ANALYSIS_VERSION = 2  # bump when findings would change for the same inputs


@dataclass(frozen=True)
class AnalysisReport:
    """The findings of a period and what they were measured against."""

    since: datetime
    until: datetime
    findings: list[Finding]
    articles: dict[int, Article]
    baseline_key: str
    corpus_docs: int
    briefed_docs: int
    baseline_first: datetime | None
    baseline_last: datetime | None
    reused: int = 0
    stories_first_seen: dict[str, str] = field(default_factory=dict)
    method: str = "lexical"  # "semantic" when the sentence-embedding model took part
    method_detail: str = ""  # the model, or why it was not used
    corrections: int = 0  # the analyst's marks that applied (`briefing feedback list`)

    @property
    def baseline(self) -> BaselineSummary:
        return BaselineSummary(
            self.baseline_key, self.corpus_docs, self.briefed_docs, self.baseline_first, self.baseline_last
        )


@dataclass(frozen=True)
class BaselineSummary:
    """What the findings were measured against: `key` names the baseline's exact contents."""

    key: str
    corpus_documents: int
    briefed_articles: int
    first: datetime | None
    last: datetime | None


def baseline(
    config: Config, store: Store, before: datetime, marks: Sequence[Mark] | None = None
) -> list[BaselineDoc]:
    """What the reader knows at `before`: the corpus, then (if configured) the articles briefed earlier,
    then the sentences the analyst marked not new (of `marks`, default: the stored ones)."""
    docs = load_corpus(config.corpus, cache=config.settings.corpus_cache)
    if config.corpus.include_briefed:
        briefed = set(store.briefed_ids(before))
        known = [a for a in store.articles(until=before) if a.id in briefed]
        for a in sorted(known, key=lambda a: a.time_order):
            docs.append(
                BaselineDoc(
                    f"article:{a.id}",
                    a.title,
                    a.authors,
                    a.published,
                    a.text or a.feed_text,
                    a.feed,
                    origin="briefed",
                    url=a.url,
                )
            )
    return docs + feedback.baseline_docs(store.marks() if marks is None else marks)


def analyze(
    config: Config,
    *,
    since: datetime,
    until: datetime | None = None,
    clock: Clock = utc_now,
    all_sentences: bool = False,
) -> AnalysisReport:
    """Analyse the stored articles published in [since, until) against the baseline at `since`.

    Holds the run lock (findings are stored). Raises `RunLockedError`, `StorageError`, or
    `ConfigError` for an unreadable corpus.
    """
    settings = config.settings
    with RunLock(settings.data_dir), Store.open(settings.store_location) as store:
        return analyze_in(
            store, config, since=since, until=until or clock(), clock=clock, all_sentences=all_sentences
        )


def analyze_in(
    store: Store,
    config: Config,
    *,
    since: datetime,
    until: datetime,
    clock: Clock = utc_now,
    all_sentences: bool = False,
) -> AnalysisReport:
    """`analyze` inside a run that already holds the lock and the store."""
    marks = store.marks()  # read once: the same marks for the baseline and for the findings
    docs = baseline(config, store, since, marks)
    index = BaselineIndex.load_or_build(docs, config.settings.data_dir / "index")
    index.release_counts()
    params = config.analysis
    # An article with no text yet (its page is waiting for a retry) is analysed once the text is there.
    articles = [a for a in store.articles(since=since, until=until) if a.has_text]
    articles.sort(key=lambda a: a.time_order)
    history = [
        a for a in store.articles(since=since - timedelta(days=params.story_lookback_days), until=since)
    ]
    # Whether the model is in use is part of what the findings depend on (it loads lazily, here).
    if params.semantic and articles:
        model = semantic.status()
    else:
        model = semantic.Status(False, _OFF if not params.semantic else "no articles to analyse")
    key = _baseline_key(docs, config, history, model.used)
    by_id = {a.id: a for a in articles}
    stored = store.findings(by_id, key) if not all_sentences else {}
    if stored and len(stored) == len(articles):
        findings = [stored[a.id] for a in articles]
        reused = len(findings)
    else:
        stories = trace_stories(index, history, params)
        result = analyse(
            index,
            articles,
            topics=config.topics,
            stories=stories,
            all_sentences=all_sentences,
            params=params,
            vectors=VectorCache(config.settings.data_dir / "index") if model.used else None,
        )
        findings = result.findings
        reused = 0
        if not all_sentences:
            store.save_findings(findings, key, clock())
            crash_point("after_analysis")
    # Stored as the analysis made them; the analyst's marks apply as they are read.
    findings, corrections = feedback.apply(findings, marks)
    dates = [d.date for d in docs if d.date is not None]
    return AnalysisReport(
        since=since,
        until=until,
        findings=findings,
        articles=by_id,
        baseline_key=key,
        corpus_docs=sum(1 for d in docs if d.origin == "corpus"),
        briefed_docs=sum(1 for d in docs if d.origin == "briefed"),
        baseline_first=min(dates) if dates else None,
        baseline_last=max(dates) if dates else None,
        reused=reused,
        method="semantic" if model.used else "lexical",
        method_detail=model.detail,
        corrections=corrections,
    )


_OFF = "switched off (analysis.semantic: false)"


def _baseline_key(
    docs: Sequence[BaselineDoc], config: Config, history: Sequence[Article], semantic_used: bool
) -> str:
    h = hashlib.sha256(f"{ANALYSIS_VERSION}|{fingerprint(docs)}|{semantic_used}".encode())
    h.update(repr(astuple(config.analysis)).encode())
    h.update(repr(config.topics).encode())
    h.update(",".join(str(a.id) for a in history).encode())
    return h.hexdigest()[:24]
