"""The cluster's jobs, as library functions a queue worker calls (`briefing.queue`): fetch one feed, fetch
and extract one page, make and deliver one period's brief.

Each stores what `fetch` and `deliver` store, through the same code, so a job run twice (a killed
worker's job taken over by another) stores nothing twice: entries are unique per feed and key, a page
job finds its article no longer pending, and the ledger says a brief was sent.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from types import TracebackType

from briefing.clock import Clock, utc_now
from briefing.config import Config
from briefing.errors import StorageError
from briefing.models import ArticleResult, FeedResult
from briefing.period import Period, parse_period
from briefing.pipeline.fetching import FetchRun, LazyWorkers, Progress, http_client_for
from briefing.pipeline.running import Delivered, deliver
from briefing.store import Store

log = logging.getLogger(__name__)


@dataclass
class FeedJobResult:
    result: FeedResult
    pending: tuple[int, ...]  # articles whose pages are still to fetch: one page job each


@dataclass
class JobRunner:
    """What one worker process keeps between jobs: the store connection, one HTTP client (its per-host
    limits), and the extraction worker pool. Use as ``async with JobRunner(config) as jobs:``.

    A job that fails on the database (a restart, a network cut) raises `StorageError`, so the queue tries
    it again later; the connection is opened anew first when it is gone."""

    config: Config
    clock: Clock = utc_now
    _run: FetchRun = field(init=False)

    async def __aenter__(self) -> JobRunner:
        self.store = Store.open(self.config.settings.store_location)
        self._run = FetchRun(self.config, self.store, self.clock, False, Progress(), 0)
        self._run.workers = LazyWorkers(self.config)
        self._leases = _SharedHosts(self, self.config.settings.per_host_concurrency)
        self._http = http_client_for(
            self.config,
            self.clock,
            host_slot=lambda host, delay: self.store.reserve_host_slot(host, delay),
            host_leases=self._leases,
        )
        self._run.http = await self._http.__aenter__()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._http.__aexit__(kind, error, tb)
        finally:
            self._run.workers.close()
            self.store.close()

    async def fetch_feed(self, feed: str, run_id: int) -> FeedJobResult:
        """Fetch one feed and store its new entries (a per-feed failure is a value in the result)."""
        run = self._run
        try:
            result = await run.feed_alone(self.config.feed(feed), run_id)
            pending = tuple(p.id for p in self.store.pending_articles([feed]))
        except StorageError:
            self._reconnect_if_lost()
            raise
        finally:
            run.feed_results.clear()
        return FeedJobResult(result, pending)

    async def fetch_page(self, article_id: int) -> ArticleResult | None:
        """Fetch and extract one article's page; None when it is no longer pending (already done)."""
        try:
            pending = self.store.pending_article(article_id)
            if pending is None:
                return None
            return await self._run.page(self.config.feed(pending.feed), pending)
        except StorageError:
            self._reconnect_if_lost()
            raise
        finally:
            self._run.article_results.clear()

    def _reconnect_if_lost(self) -> None:
        if self.store.alive():
            return
        log.warning("the database connection was lost; opening a new one")
        with contextlib.suppress(Exception):
            self.store.close()
        self._leases.held.clear()  # the database freed them with the old session
        self.store = Store.open(self.config.settings.store_location)  # StorageError if still down
        self._run.store = self.store


class _SharedHosts:
    """settings.per_host_concurrency across the cluster: leases on each host's requests, held in the
    database (see `Store.take_host_lease`), on the runner's current connection."""

    def __init__(self, runner: JobRunner, limit: int) -> None:
        self.runner = runner
        self.limit = limit
        self.held: dict[str, set[int]] = {}

    def take(self, host: str) -> int | None:
        held = self.held.setdefault(host, set())
        lease = self.runner.store.take_host_lease(host, self.limit, held)
        if lease is not None:
            held.add(lease)
        return lease

    def give_back(self, host: str, lease: int) -> None:
        if lease in self.held.get(host, set()):  # not when the connection holding it was replaced
            self.held[host].discard(lease)
            with contextlib.suppress(StorageError):
                self.runner.store.end_host_lease(host, lease)


def brief(config: Config, period: str | Period, *, clock: Clock = utc_now) -> Delivered:
    """Make and deliver the brief of `period` unless the ledger says it was delivered (`deliver`, which
    in a cluster holds the cluster-wide brief lock)."""
    chosen = period if isinstance(period, Period) else parse_period(period, config.settings.timezone)
    return deliver(config, chosen, clock=clock)
