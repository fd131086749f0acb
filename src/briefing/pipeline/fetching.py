"""The fetch pipeline: feeds -> entries -> stored articles with full text.

Reads like a pipe: for each due feed, fetch (HTTP) -> parse (worker) -> store entries and validators
(one transaction) -> for each pending article, fetch the page -> extract (worker) -> quality gate ->
store. Feeds and pages run concurrently under the HTTP client's limits; CPU work runs on every core.
Each feed's and each article's failure is a value recorded in the store and the report; storage errors
and bugs propagate.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import zlib
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from briefing.clock import Clock, utc_now
from briefing.config import Config
from briefing.errors import ExtractError, FeedError, FetchError, StorageError, Terminated
from briefing.extract import choose_text, extract_page
from briefing.feeds import parse_feed
from briefing.http_client import (
    FEED_ACCEPT,
    PAGE_ACCEPT,
    AddressPolicy,
    HostLeases,
    HttpClient,
    user_agent,
)
from briefing.lock import RunLock
from briefing.models import (
    ArticleResult,
    ExtractionOutcome,
    FeedCheck,
    FeedResult,
    FeedSource,
    FeedUpdate,
    FetchReport,
    Recheck,
    Retrieved,
)
from briefing.models.vocabulary import ExtractionStatus, FeedOutcome, TextSource
from briefing.policy import (
    MAX_RATE_LIMIT,
    after_error,
    bounded,
    bounded_state,
    initial_status,
    page_error_is_final,
    skip_reason,
)
from briefing.revisions import compare
from briefing.store import NewEntry, PendingArticle, Store
from briefing.testing_hooks import crash_point
from briefing.urls import host_of
from briefing.workers import WorkerPool

log = logging.getLogger(__name__)

T = TypeVar("T")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")
_STALE_AFTER = timedelta(days=90)


@dataclass
class Progress:
    """Callbacks a front end can pass to follow a run; all optional."""

    feeds_planned: Callable[[int], None] = lambda n: None
    feed_done: Callable[[FeedResult], None] = lambda r: None
    pages_planned: Callable[[int], None] = lambda n: None
    page_done: Callable[[ArticleResult], None] = lambda r: None


def select_feeds(config: Config, names: Sequence[str] | None) -> list[FeedSource]:
    """The feeds a command works on: the named ones (even if disabled), else every enabled feed."""
    if names:
        return [config.feed(n) for n in names]
    return [f for f in config.feeds if f.enabled]


def fetch(
    config: Config,
    *,
    feeds: Sequence[str] | None = None,
    force: bool = False,
    clock: Clock = utc_now,
    progress: Progress | None = None,
) -> FetchReport:
    """Fetch feeds and the pages of their new articles into the store.

    Holds the run lock for the data folder. Returns a `FetchReport`; per-feed and per-article failures
    are inside it. Raises `RunLockedError` if another run holds the lock, `StorageError` if the store
    cannot be used, `ConfigError` for an unknown feed name.
    """
    sources = select_feeds(config, feeds)
    settings = config.settings
    with RunLock(settings.data_dir), Store.open(settings.store_location) as store:
        started = clock()
        store.sync_feeds(config.feeds, started)
        run_id = store.begin_run("fetch", started, alone=not settings.shared_database)
        run = FetchRun(config, store, clock, force, progress or Progress(), run_id)
        try:
            feed_results, article_results = run_async(run.run(sources))
        except BaseException as e:
            interrupted = isinstance(e, KeyboardInterrupt | asyncio.CancelledError)
            store.finish_run(run_id, "interrupted" if interrupted else "failed", {}, clock())
            raise
        order = [s.name for s in sources]
        report = FetchReport(
            run_id=run_id,
            started=started,
            finished=clock(),
            feeds=tuple(sorted(feed_results, key=lambda r: order.index(r.name))),
            articles=tuple(article_results),
            pending=len(store.pending_articles(order)),
            rechecked=run.rechecked,
            revised=tuple(run.revised),
        )
        store.finish_run(run_id, "ok", _summary(report), report.finished)
        return report


def _summary(report: FetchReport) -> dict[str, object]:
    statuses: dict[str, int] = {}
    for r in report.feeds:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    pages: dict[str, int] = {}
    for a in report.articles:
        pages[a.status] = pages.get(a.status, 0) + 1
    return {"feeds": statuses, "new": report.new, "pages": pages, "pending": report.pending}


def http_client_for(
    config: Config,
    clock: Clock,
    host_slot: Callable[[str, float], float] | None = None,
    host_leases: HostLeases | None = None,
) -> HttpClient:
    s = config.settings
    return HttpClient(
        policy=AddressPolicy(s.allow_private_networks, s.allowed_networks),
        user_agent=user_agent(s.contact, s.user_agent),
        timeout=s.timeout,
        connect_timeout=s.connect_timeout,
        max_redirects=s.max_redirects,
        concurrency=s.concurrency,
        per_host=s.per_host_concurrency,
        host_delay=s.host_delay,
        host_slot=host_slot,
        host_leases=host_leases,
        clock=clock,
    )


class LazyWorkers:
    """Starts the worker pool on first use, so a run with nothing new never pays for it."""

    def __init__(self, config: Config) -> None:
        self.settings = config.settings
        self.pool: WorkerPool | None = None

    def get(self) -> WorkerPool:
        if self.pool is None:
            s = self.settings
            self.pool = WorkerPool(s.worker_count, s.extraction_timeout, s.extraction_memory_mb)
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


@dataclass
class FetchRun:
    """One fetch run's state over feeds and pages; a cluster's worker keeps one and runs a feed or a page
    at a time through it (`pipeline.jobs`)."""

    config: Config
    store: Store
    clock: Clock
    force: bool
    progress: Progress
    run_id: int
    feed_results: list[FeedResult] = field(default_factory=list)
    article_results: list[ArticleResult] = field(default_factory=list)
    rechecked: int = 0
    revised: list[int] = field(default_factory=list)
    scheduled: set[int] = field(default_factory=set)
    in_flight: dict[str, asyncio.Event] = field(default_factory=dict)

    async def run(self, sources: Sequence[FeedSource]) -> tuple[list[FeedResult], list[ArticleResult]]:
        self.workers = LazyWorkers(self.config)
        self.progress.feeds_planned(len(sources))
        deadline = self.config.settings.fetch_deadline or None
        try:
            async with http_client_for(self.config, self.clock) as http:
                self.http = http
                try:
                    async with asyncio.timeout(deadline) as limit:
                        async with asyncio.TaskGroup() as group:
                            self.group = group
                            for source in self._longest_unchecked_first(sources):
                                group.create_task(self.feed(source))
                        # Then recent articles are looked at again, for revisions (new pages first).
                        async with asyncio.TaskGroup() as group:
                            for due in self._due_rechecks(sources):
                                group.create_task(self.recheck(due))
                except TimeoutError:
                    if not limit.expired():
                        raise
                    self._stopped_at_deadline(sources, deadline or 0)
        except BaseExceptionGroup as eg:
            raise _first_leaf(eg) from None
        finally:
            self.workers.close()
        return self.feed_results, self.article_results

    def _longest_unchecked_first(self, sources: Sequence[FeedSource]) -> list[FeedSource]:
        """Feeds checked longest ago (or never) start first: when the fetch deadline keeps cutting a run
        short, it does not cut off the same feeds every time."""

        def checked(source: FeedSource) -> datetime:
            state = self.store.feed_state(source.name)
            return state.last_checked if state and state.last_checked else datetime.min.replace(tzinfo=UTC)

        return sorted(sources, key=checked)

    def _stopped_at_deadline(self, sources: Sequence[FeedSource], deadline: float) -> None:
        """The run's fetch deadline passed (E10): what is done is stored; the rest waits for the next run.

        Pages cut off stay pending without using up an attempt; feeds cut off keep their state."""
        done = {r.name for r in self.feed_results}
        note = f"fetch deadline of {deadline:g} s reached; left for the next run"
        log.warning("%s (%d feeds unfinished)", note, len(sources) - len(done))
        for source in sources:
            if source.name not in done:
                result = FeedResult(source.name, source.url, "skipped", error=note)
                self.store.record_feed_result(self.run_id, result, self.clock())
                self.feed_results.append(result)

    async def feed(self, source: FeedSource) -> None:
        await self.feed_alone(source)
        pending = [p for p in self.store.pending_articles([source.name]) if p.id not in self.scheduled]
        self.scheduled.update(p.id for p in pending)
        if pending:
            self.progress.pages_planned(len(pending))
        for p in pending:
            self.group.create_task(self.page(source, p))

    async def feed_alone(self, source: FeedSource, run_id: int | None = None) -> FeedResult:
        """Fetch one feed and store its entries and result (under `run_id`, default this run's); its
        pages are left pending (a cluster's worker queues them as jobs of their own)."""
        try:
            result = await self._feed(source)
        except StorageError:
            raise  # the store is shared: that is not one feed's problem
        except Exception as e:  # last resort: one feed must never stop the others
            log.exception("feed %s: unexpected error", source.name)
            result = self._failed(
                source, "internal", f"unexpected error: {type(e).__name__}: {e}", None, None
            )
        self.store.record_feed_result(self.run_id if run_id is None else run_id, result, self.clock())
        self.feed_results.append(result)
        self.progress.feed_done(result)
        return result

    async def _feed(self, source: FeedSource) -> FeedResult:
        state = self.store.feed_state(source.name)
        if state is not None:  # a stored wait beyond its bound (a wrong clock, a greedy server) is cut
            max_backoff = timedelta(hours=self.config.settings.max_backoff_hours)
            held = bounded_state(state, self.clock(), max_backoff)
            if held.next_attempt != state.next_attempt and held.next_attempt is not None:
                self.store.set_next_attempt(source.name, held.next_attempt)
            state = held
        reason = skip_reason(state, self.clock(), force=self.force)
        if reason:
            status: FeedOutcome = "skipped"
            if state and state.status in ("gone", "rate_limited"):
                status = "gone" if state.status == "gone" else "rate_limited"
            return FeedResult(source.name, source.url, status, error=reason)
        waiting = None if self.force else self._host_wait(source.url)
        if waiting:
            return FeedResult(source.name, source.url, "rate_limited", error=waiting)
        same_url = state is not None and state.validators_url == source.url
        try:
            got, update = await fetch_and_parse(
                self.http,
                self.workers,
                self.config,
                source,
                self.clock(),
                etag=state.etag if same_url and state else None,
                last_modified=state.last_modified if same_url and state else None,
            )
        except FetchError as e:
            return self._failed(source, e.kind, e.message, e.retry_after, e.status, answered=e.url)
        except (FeedError, ExtractError) as e:
            return self._failed(source, "parse", str(e), None, 200)
        if update is None:
            self.store.record_not_modified(source.name, got, self.clock())
            return FeedResult(
                source.name,
                source.url,
                "not_modified",
                http_status=304,
                detail=_redirect_note(got),
                elapsed=got.elapsed,
            )
        crash_point("after_parse", source.name)
        entries = [NewEntry(e, *initial_status(e, source)) for e in update.entries]
        saved = self.store.save_entries(
            source.name,
            entries,
            got,
            self.clock(),
            degraded=update.degraded,
            title=update.title,
            site_link=update.link,
        )
        crash_point("after_commit", source.name)
        excluded = sum(1 for status in saved.new_statuses if status == "excluded")
        new = len(saved.new_statuses) - excluded
        dropped = update.dropped_over_limit
        notes = [
            f"{excluded} new excluded by pattern" if excluded else "",
            f"{dropped} older entries over the limit dropped" if dropped else "",
            f"{saved.updated} updated" if saved.updated else "",
            _redirect_note(got),
        ]
        outcome: FeedOutcome = "degraded" if update.degraded else ("new" if new else "unchanged")
        return FeedResult(
            source.name,
            source.url,
            outcome,
            new=new,
            error=update.degraded,
            http_status=got.status,
            detail="; ".join(n for n in notes if n),
            elapsed=got.elapsed,
        )

    def _failed(
        self,
        source: FeedSource,
        kind: str,
        message: str,
        retry_after: datetime | None,
        http_status: int | None,
        answered: str = "",
    ) -> FeedResult:
        """Record a failed fetch; `answered` is the URL that answered (after redirects), whose host a
        rate limit holds."""
        state = self.store.feed_state(source.name)
        errors = state.consecutive_errors if state else 0
        max_backoff = timedelta(hours=self.config.settings.max_backoff_hours)
        status, next_attempt = after_error(errors, kind, retry_after, self.clock(), max_backoff)
        if status == "rate_limited" and next_attempt is not None:
            self._remember_host_wait(answered or source.url, next_attempt)
        self.store.record_feed_error(
            source.name, message, self.clock(), status=status, next_attempt=next_attempt
        )
        log.debug("feed %s: %s", source.name, message)  # the caller reports each feed once
        shown: FeedOutcome = (
            "gone" if status == "gone" else "rate_limited" if status == "rate_limited" else "error"
        )
        return FeedResult(source.name, source.url, shown, error=message, http_status=http_status)

    def _host_wait(self, url: str) -> str:
        """Why `url`'s host must not be asked now ("" when it may): it asked us to wait, in this run or
        an earlier one. The stored wait is read bounded (a week at most)."""
        host = host_of(url)
        until = self.store.host_wait(host, self.clock()) if host else None
        if until is None:
            return ""
        held = bounded(until, self.clock(), MAX_RATE_LIMIT)
        if held != until:
            self.store.record_host_wait(host, held, replace=True)
        return f"rate limited: {host} asked to wait until {held:%Y-%m-%d %H:%M} UTC"

    def _remember_host_wait(self, url: str, until: datetime) -> None:
        host = host_of(url)
        if host:
            self.store.record_host_wait(host, until)

    async def page(self, source: FeedSource, p: PendingArticle) -> ArticleResult:
        try:
            result = await self._page(source, p)
        except StorageError:
            raise
        except Exception as e:  # last resort: one article must never stop the others
            log.exception("article %s: unexpected error", p.url)
            detail = f"unexpected error: {type(e).__name__}: {e}; kept the feed text"
            fallback: TextSource = "feed" if p.feed_text.strip() else "none"
            self.store.save_extraction(
                p.id, ExtractionOutcome("failed", fallback, p.feed_text, detail), self.clock()
            )
            result = ArticleResult(p.id, source.name, p.url, "failed", fallback, detail)
        self.article_results.append(result)
        self.progress.page_done(result)
        return result

    async def _page(self, source: FeedSource, p: PendingArticle) -> ArticleResult:
        # The same page listed by two feeds is fetched once; the second waits and reuses the text.
        other = self.in_flight.get(p.canonical_url) if p.canonical_url else None
        if other is not None:
            await other.wait()
        elif p.canonical_url:
            self.in_flight[p.canonical_url] = asyncio.Event()
        try:
            return await self._fetch_page(source, p)
        finally:
            if other is None and p.canonical_url:
                self.in_flight.pop(p.canonical_url).set()

    async def _fetch_page(self, source: FeedSource, p: PendingArticle) -> ArticleResult:
        settings = self.config.settings
        fallback: TextSource = "feed" if p.feed_text.strip() else "none"
        shared = self.store.shared_text(p.canonical_url, p.id)
        if shared is not None:
            text, detail, _ = shared
            outcome = ExtractionOutcome("ok", "page", text, detail)
            self.store.save_extraction(p.id, outcome, self.clock())
            return ArticleResult(p.id, source.name, p.url, "ok", "page", detail)
        waiting = self._host_wait(p.url)
        if waiting:  # the host asked us to wait: the page stays pending, and that is not a failed try
            detail = f"{waiting}; will retry"
            outcome = ExtractionOutcome("fetch_error", fallback, p.feed_text, detail)
            self.store.save_extraction(p.id, outcome, self.clock(), final=False, count_attempt=False)
            return ArticleResult(p.id, source.name, p.url, "pending", fallback, detail)
        try:
            got = await self.http.get(
                p.url, max_bytes=settings.max_page_bytes, accept=PAGE_ACCEPT, timeout=source.timeout
            )
            _require_html(got)
        except FetchError as e:
            if e.kind == "rate_limited" and e.retry_after is not None:
                answered = e.url or p.url  # the host that asked, after any redirect
                self._remember_host_wait(answered, bounded(e.retry_after, self.clock(), MAX_RATE_LIMIT))
            final = page_error_is_final(e.kind, e.status, p.attempts, settings.page_attempts)
            status: ExtractionStatus = "blocked" if e.kind == "blocked" else "fetch_error"
            detail = e.message if final else f"{e.message}; will retry next run"
            outcome = ExtractionOutcome(status, fallback, p.feed_text, detail)
            # A server asking us to wait has not failed: that try does not count.
            self.store.save_extraction(
                p.id, outcome, self.clock(), final=final, count_attempt=e.kind != "rate_limited"
            )
            return ArticleResult(p.id, source.name, p.url, status if final else "pending", fallback, detail)
        try:
            page = await self.workers.get().run(extract_page, got.body, got.content_type, got.final_url)
            outcome = choose_text(page, p.feed_text, settings.min_words)
        except ExtractError as e:
            outcome = ExtractionOutcome(e.status, fallback, p.feed_text, f"{e}; kept the feed text")
        self.store.save_extraction(
            p.id, outcome, self.clock(), page=got, compressed_page=zlib.compress(got.body, 6)
        )
        crash_point("after_extraction", p.url)
        return ArticleResult(p.id, source.name, p.url, outcome.status, outcome.source, outcome.detail)

    def _due_rechecks(self, sources: Sequence[FeedSource]) -> list[Recheck]:
        settings = self.config.settings
        if not settings.recheck_days:
            return []
        return self.store.due_rechecks(
            [s.name for s in sources if s.fetch_pages],
            self.clock(),
            timedelta(days=settings.recheck_days),
            timedelta(hours=settings.recheck_hours),
        )

    async def recheck(self, due: Recheck) -> None:
        """Fetch a stored article's page again (conditional GET); keep a material change as a revision.
        Any failure is only logged: the article keeps its text, and is looked at again next interval."""
        if self._host_wait(due.url):
            return  # the host asked us to wait: next run
        settings = self.config.settings
        try:
            got = await self.http.get(
                due.url,
                max_bytes=settings.max_page_bytes,
                accept=PAGE_ACCEPT,
                etag=due.etag,
                last_modified=due.last_modified,
            )
            if got.status == 304:
                self.store.page_checked(due.article_id, got, self.clock())
                self.rechecked += 1
                return
            _require_html(got)
            page = await self.workers.get().run(extract_page, got.body, got.content_type, got.final_url)
        except (FetchError, ExtractError) as e:
            if isinstance(e, FetchError) and e.kind == "rate_limited" and e.retry_after is not None:
                self._remember_host_wait(
                    e.url or due.url, bounded(e.retry_after, self.clock(), MAX_RATE_LIMIT)
                )
                return
            log.info("article %s: not checked for a revision: %s", due.url, e)
            self.store.page_checked(due.article_id, None, self.clock())
            return
        self.rechecked += 1
        outcome = choose_text(page, due.feed_text, settings.min_words)
        title = (page.title if page else "") or due.title
        change = compare(due.title, due.text, title, outcome.text)
        if outcome.status != "ok" or change is None:  # a stub or wall now is not the article revised
            self.store.page_checked(due.article_id, got, self.clock())
            return
        self.store.save_revision(
            due.article_id,
            self.clock(),
            old=(due.title, due.text),
            new=(title, outcome.text),
            added=change.added,
            removed=change.removed,
            got=got,
            compressed_page=zlib.compress(got.body, 6),
        )
        self.revised.append(due.article_id)
        log.info(
            "article %s revised: %d sentences added, %d removed",
            due.url,
            len(change.added),
            len(change.removed),
        )


def _parse(body: bytes, url: str, content_type: str, max_entries: int, now: datetime) -> FeedUpdate:
    return parse_feed(body, url=url, content_type=content_type, max_entries=max_entries, now=now)


def _require_html(got: Retrieved) -> None:
    kind = got.content_type.split(";", 1)[0].strip().lower()
    if kind not in _HTML_TYPES:
        raise FetchError(got.final_url, "type", f"not an HTML page ({kind})")


def _redirect_note(got: Retrieved) -> str:
    if got.permanent_redirect:
        return f"permanently redirected to {got.permanent_redirect} (configured URL kept)"
    return ""


def _first_leaf(eg: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real exception in a task group's failure, so callers see StorageError, not a group."""
    for exc in eg.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_leaf(exc)
        if not isinstance(exc, asyncio.CancelledError):
            return exc
    return eg


async def fetch_and_parse(
    http: HttpClient,
    workers: LazyWorkers,
    config: Config,
    source: FeedSource,
    now: datetime,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_entries: int | None = None,
) -> tuple[Retrieved, FeedUpdate | None]:
    """Fetch a feed and parse it in a worker; the update is None when the server answered 304.

    Raises `FetchError` for the HTTP side and `FeedError` or `ExtractError` for the parsing side.
    """
    settings = config.settings
    got = await http.get(
        source.url,
        max_bytes=settings.max_feed_bytes,
        accept=FEED_ACCEPT,
        etag=etag,
        last_modified=last_modified,
        timeout=source.timeout,
    )
    if got.status == 304:
        return got, None
    limit = max_entries or source.max_entries or settings.max_entries_per_feed
    update = await workers.get().run(_parse, got.body, got.final_url, got.content_type, limit, now)
    return got, update


async def _check_one(
    http: HttpClient, workers: LazyWorkers, config: Config, source: FeedSource, now: datetime
) -> FeedCheck:
    try:
        got, update = await fetch_and_parse(http, workers, config, source, now, max_entries=10_000)
    except (FetchError, FeedError, ExtractError) as e:
        status = e.status if isinstance(e, FetchError) else None
        return FeedCheck(source.name, source.url, ok=False, http_status=status, problem=str(e))
    assert update is not None  # no validators were sent, so no 304
    dates = [e.published for e in update.entries if e.published]
    newest = max(dates) if dates else None
    warnings = []
    if not update.entries:
        warnings.append("the feed has no items")
    elif newest is None:
        warnings.append("no item carries a date")
    elif now - newest > _STALE_AFTER:
        warnings.append(f"newest item is from {newest:%Y-%m-%d}: the feed looks dormant")
    if update.degraded:
        warnings.append(update.degraded)
    if got.permanent_redirect:
        warnings.append(f"permanently redirected to {got.permanent_redirect}; consider updating the URL")
    return FeedCheck(
        source.name,
        source.url,
        ok=True,
        http_status=got.status,
        final_url=got.final_url,
        version=update.version,
        title=update.title,
        entries=len(update.entries),
        newest=newest,
        warnings=tuple(warnings),
    )


def check_feeds(
    config: Config, *, feeds: Sequence[str] | None = None, clock: Clock = utc_now
) -> list[FeedCheck]:
    """Fetch and parse each feed now, without conditional GET and without storing anything.

    Reports whether each answers with a real feed, how many items it has, and how recent the newest
    one is (a dead feed often still answers 200).
    """
    sources = select_feeds(config, feeds)

    async def run() -> list[FeedCheck]:
        workers = LazyWorkers(config)
        try:
            async with http_client_for(config, clock) as http:
                return list(
                    await asyncio.gather(*(_check_one(http, workers, config, s, clock()) for s in sources))
                )
        finally:
            workers.close()

    return run_async(run())


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with SIGTERM handled like SIGINT: the run is cancelled at a safe point.

    Raising from a plain signal handler could interrupt a worker process half-way through its start;
    cancelling the task lets every `finally` run. Raises `Terminated` after a SIGTERM.
    """

    async def main() -> T:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        terminated = False

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            if task is not None:
                task.cancel()

        previous = signal.getsignal(signal.SIGTERM)
        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        except (ValueError, RuntimeError):  # not the main thread: leave signals alone
            previous = None
        try:
            return await coro
        except asyncio.CancelledError:
            if terminated:
                raise Terminated from None
            raise
        finally:
            if previous is not None:
                loop.remove_signal_handler(signal.SIGTERM)
                signal.signal(signal.SIGTERM, previous)

    return asyncio.run(main())
