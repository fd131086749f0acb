"""The cluster's work queue on PostgreSQL (the only procrastinate import).

Three jobs, each a function of `pipeline.jobs`: `fetch_feed` (one feed; it queues one `fetch_page` per
new article), `fetch_page` (one article's page), and `brief` (one period's brief, made and delivered).
`briefing worker` processes on any number of machines take jobs from the same database.

- Retries with backoff: a job that raises (the database went away, a temporary SMTP failure) is tried
  again after 2, 4, 8... seconds, five times at most; a feed's or a page's own failure is not an error
  (it is recorded, as in a one-machine run).
- No duplicates: one waiting job per feed, page and period (a queueing lock), one running job per feed,
  page (a lock) and one brief at a time in the whole cluster; and the jobs themselves store nothing twice.
- A killed worker's job: every worker beats its heartbeat into the database; each one also looks, every
  few seconds, for jobs whose worker has gone silent for `settings.stalled_after` seconds and puts them
  back in the queue, where another worker takes them (a job that has killed its worker three times is
  marked failed instead).
- The brief waits for the fetches: while fetch jobs are queued or running, a brief job steps back and is
  tried again (for at most `_BRIEF_PATIENCE` tries), so a week's brief includes the week's last articles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import procrastinate
from procrastinate import exceptions as queue_errors

from briefing.config import Config
from briefing.errors import BriefingError, RunLockedError, StorageError
from briefing.models import QueueCount
from briefing.pipeline.jobs import JobRunner, brief
from briefing.store import Store
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)

QUEUES = ("fetch", "brief")
_SCHEMA_LOCK = 0x42524649  # pg_advisory_lock key held while the queue's tables are created
_BRIEF_PATIENCE = 300.0  # seconds a brief job waits for the round's fetches, then goes ahead
_MAX_TAKEOVERS = 3  # a fetch job whose worker died this many times is failed, not retried again
_REAPER_LOCK = 0x4252464B  # pg_try_advisory_lock key of the one worker that takes over stalled jobs
_RETRY = procrastinate.RetryStrategy(
    max_attempts=5,
    exponential_wait=2,
    retry_exceptions={StorageError, OSError, queue_errors.ConnectorException},
)


class FetchesPending(Exception):
    """A brief job stepping back while fetch jobs are still queued or running."""


class DeliveryToRetry(BriefingError):
    """The brief was made but the mail server answered with a temporary failure."""


class Queue:
    """The queue of the cluster whose store is `config.settings.database` (PostgreSQL)."""

    def __init__(self, config: Config, connections: int = 4) -> None:
        url = config.settings.store_location
        if not isinstance(url, str):
            raise StorageError(
                "the job queue needs a PostgreSQL store: set settings.database to a postgresql:// URL"
            )
        self.config = config
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=connections)
        )
        self._runner: JobRunner | None = None
        self._register()

    # -- jobs -----------------------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app

        @app.task(name="fetch_feed", queue="fetch", retry=_RETRY)
        async def fetch_feed(feed: str, run_id: int = 0) -> None:
            runner = self._need_runner()
            done = await runner.fetch_feed(feed, run_id)
            log.info("feed %s: %s, %d new", feed, done.result.status, done.result.new)
            await self._defer_pages(done.pending)

        @app.task(name="fetch_page", queue="fetch", retry=_RETRY)
        async def fetch_page(article_id: int) -> None:
            result = await self._need_runner().fetch_page(article_id)
            if result is not None:
                log.info("article %s: %s", result.url, result.status)

        # A brief stepping back for fetches is tried again in 5 s; see _BriefRetry for the rest.
        @app.task(name="brief", queue="brief", retry=_BriefRetry())
        async def brief_job(period: str, queued_at: float = 0.0) -> None:
            waited = time.time() - (queued_at or time.time())
            if waited < _BRIEF_PATIENCE and await self._fetches_pending():
                raise FetchesPending(f"brief {period}: fetch jobs still queued or running")
            # Analysis and rendering are long and synchronous: a thread, so heartbeats go on.
            done = await asyncio.to_thread(brief, self.config, period)
            log.info("brief %s: %s %s", period, done.action, done.detail)
            if done.action == "retry":
                raise DeliveryToRetry(done.detail)

        self.fetch_feed, self.fetch_page, self.brief = fetch_feed, fetch_page, brief_job

    def _need_runner(self) -> JobRunner:
        if self._runner is None:
            raise RuntimeError("fetch jobs run inside `briefing worker` only")
        return self._runner

    def _page_job(self, article_id: int) -> Any:
        """The page job of an article: one waiting and one running at most (its queueing lock and lock)."""
        key = f"page:{article_id}"
        return self.fetch_page.configure(queueing_lock=key, lock=key)

    async def _defer_pages(self, article_ids: Iterable[int]) -> None:
        for article_id in article_ids:
            with contextlib.suppress(queue_errors.AlreadyEnqueued):  # already waiting
                await self._page_job(article_id).defer_async(article_id=article_id)

    async def _fetches_pending(self) -> bool:
        rows = await self.app.job_manager.list_queues_async(queue="fetch")
        return any(r["todo"] or r["doing"] for r in rows)

    # -- enqueueing (from the scheduler or `briefing enqueue`) ----------------------------------------

    def ensure_schema(self) -> None:
        """Create the queue's tables once (under an advisory lock: several workers may start at once)."""
        location = self.config.settings.store_location
        with Store.open(location) as store, store.exclusive(_SCHEMA_LOCK), self.app.open():
            if not self.app.check_connection():
                self.app.schema_manager.apply_schema()

    def enqueue_fetch(self, feeds: Sequence[str], run_id: int = 0, pending_pages: Sequence[int] = ()) -> int:
        """One fetch job per feed (and one page job per article still pending from an earlier round);
        a feed or page already waiting is not queued twice. Returns the jobs queued."""
        queued = 0
        with self.app.open():
            for feed in feeds:
                key = f"feed:{feed}"
                try:
                    self.fetch_feed.configure(queueing_lock=key, lock=key).defer(feed=feed, run_id=run_id)
                    queued += 1
                except queue_errors.AlreadyEnqueued:
                    pass
                crash_point("queued", feed)
            for article_id in pending_pages:
                try:
                    self._page_job(article_id).defer(article_id=article_id)
                    queued += 1
                except queue_errors.AlreadyEnqueued:
                    pass
        return queued

    def enqueue_brief(self, period: str) -> bool:
        """Queue the brief of `period` (False when it is already waiting)."""
        with self.app.open():
            try:
                self.brief.configure(queueing_lock=f"brief:{period}", lock="brief").defer(
                    period=period, queued_at=time.time()
                )
            except queue_errors.AlreadyEnqueued:
                return False
        return True

    def counts(self) -> list[QueueCount]:
        """Jobs per queue: waiting (retries included), running, failed; none before the first worker or
        round created the queue's tables (succeeded jobs are deleted, so they are not counted)."""
        with self.app.open():
            if not self.app.check_connection():
                return []
            rows = {r["name"]: r for r in self.app.job_manager.list_queues()}
        out = []
        for name in QUEUES:
            r = rows.get(name, {})
            out.append(QueueCount(name, r.get("todo", 0), r.get("doing", 0), r.get("failed", 0)))
        return out

    def idle(self) -> bool:
        """Nothing waiting or running in any queue."""
        return not any(c.waiting or c.running for c in self.counts())

    # -- the worker ------------------------------------------------------------------------------------

    def work(self, concurrency: int, queues: Sequence[str] = QUEUES) -> None:
        """Take jobs until SIGTERM or SIGINT (the running jobs finish first)."""
        self.ensure_schema()
        asyncio.run(self._work(concurrency, queues))

    async def _work(self, concurrency: int, queues: Sequence[str]) -> None:
        stalled_after = self.config.settings.stalled_after
        # The brief's analysis runs in a thread (asyncio.to_thread); the default pool is sized here.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=concurrency + 2))
        async with self.app.open_async(), JobRunner(self.config) as runner:
            self._runner = runner
            reaper = asyncio.create_task(self._take_over_stalled(stalled_after))
            log.info("worker started: queues %s, %d jobs at a time", ", ".join(queues), concurrency)
            try:
                await self.app.run_worker_async(
                    queues=list(queues),
                    concurrency=concurrency,
                    delete_jobs="successful",
                    update_heartbeat_interval=max(1.0, stalled_after / 4),
                    stalled_worker_timeout=stalled_after,
                    fetch_job_polling_interval=1.0,
                    # No shutdown_graceful_timeout: stopping waits for the running jobs (a brief's
                    # analysis included) to finish instead of cutting them off.
                )
            finally:
                reaper.cancel()
                self._runner = None
                log.info("worker stopped")

    async def _take_over_stalled(self, stalled_after: float) -> None:
        """Put back in the queue the jobs of workers silent for `stalled_after` seconds (killed, or cut
        off from the database), so another worker takes them. One worker of the cluster does it at a time
        (an advisory lock on its store connection, freed if it dies), so two never queue one job twice."""
        manager = self.app.job_manager
        reaping = False
        while True:
            try:
                runner = self._need_runner()
                reaping = reaping or runner.store.try_exclusive(_REAPER_LOCK)
                stalled = (
                    await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after) if reaping else []
                )
                for job in stalled:
                    if job.attempts >= _MAX_TAKEOVERS and job.task_name != "brief":
                        log.error(
                            "job %s (%s) killed its worker %d times: failed",
                            job.id,
                            job.task_name,
                            job.attempts,
                        )
                        await manager.finish_job(
                            job, status=procrastinate.jobs.Status.FAILED, delete_job=False
                        )
                    else:
                        log.warning(
                            "job %s (%s): its worker went silent; queued again", job.id, job.task_name
                        )
                        await manager.retry_job(job)
            except (queue_errors.ConnectorException, StorageError) as e:
                log.warning("could not look for stalled jobs: %s", e)
                reaping = False  # the lock went with the connection, if it was lost
            await asyncio.sleep(max(1.0, stalled_after / 3))


class _BriefRetry(procrastinate.BaseRetryStrategy):
    """A brief stepping back for fetches is tried again in 5 s (the job itself stops waiting after
    `_BRIEF_PATIENCE` seconds); a temporary SMTP failure in 5 minutes; the database gone, or the run lock
    of this machine held by a command, in 30 s. Step-backs do not use up a budget: every fetch round of
    the scheduler also queues a due brief that is still missing, so nothing waits for ever."""

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
        if isinstance(exception, FetchesPending):
            return procrastinate.RetryDecision(retry_in={"seconds": 5})
        if isinstance(exception, DeliveryToRetry):
            return procrastinate.RetryDecision(retry_in={"seconds": 300})
        if isinstance(exception, StorageError | RunLockedError | OSError | queue_errors.ConnectorException):
            return procrastinate.RetryDecision(retry_in={"seconds": 30})
        return None
