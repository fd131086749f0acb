"""A cluster: one PostgreSQL store, `briefing worker` processes on any number of machines, and one active
scheduler (`briefing daemon`) that queues the work on the schedule.

Only one daemon acts at a time: the active one holds a PostgreSQL session advisory lock, which the
database frees the moment that daemon's connection ends (a crash, a kill, a lost machine). Any other
daemon stands by, tries the lock every few seconds, and takes over. An active daemon that loses its
connection stops acting at once and exits, so two never act together.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from briefing.clock import Clock, utc_now
from briefing.config import Config
from briefing.errors import BriefingError
from briefing.period import Period
from briefing.pipeline.running import delivery_due
from briefing.schedule import latest_due
from briefing.store import Store
from briefing.store.postgres import SCHEDULER_LOCK

log = logging.getLogger("briefing.daemon")


@dataclass(frozen=True)
class Round:
    """What one round of the schedule queued."""

    run_id: int
    feeds: int
    pending_pages: int
    queued: int
    brief: str | None = None  # the period whose brief was queued


def enqueue_round(config: Config, *, brief: bool = False, clock: Clock = utc_now) -> Round:
    """Queue a fetch job per enabled feed, a page job per article still pending, and with `brief` the
    latest due week's brief unless the ledger says it was delivered. Jobs already waiting are not
    queued twice."""
    from briefing.queue import Queue

    queue = Queue(config)
    queue.ensure_schema()
    now = clock()
    with Store.open(config.settings.store_location) as store:
        store.sync_feeds(config.feeds, now)
        run_id = store.begin_run("queue", now, alone=False)
        feeds = [f.name for f in config.feeds if f.enabled]
        pending = [p.id for p in store.pending_articles(feeds)]
        queued = queue.enqueue_fetch(feeds, run_id, pending)
        period: Period | None = None
        if brief:
            period = latest_due(now, config.settings.timezone, config.schedule.brief)
            if not delivery_due(store.delivery(period.label), config) or not queue.enqueue_brief(
                period.label
            ):
                period = None
        store.finish_run(run_id, "ok", {"queued": queued, "brief": period.label if period else None}, clock())
    return Round(run_id, len(feeds), len(pending), queued, period.label if period else None)


def serve(config: Config, *, clock: Clock = utc_now, stop: threading.Event | None = None) -> None:
    """The cluster's daemon: stand by until the scheduler lock is ours, then queue work on the schedule
    until `stop` is set or the lock's connection is lost (then raise, so a supervisor restarts us)."""
    from briefing.daemon import run_scheduler

    stop = stop or threading.Event()
    every = max(1.0, config.settings.stalled_after / 4)
    with Store.open(config.settings.store_location) as holder:
        said = False
        while not holder.try_exclusive(SCHEDULER_LOCK):
            if not said:
                log.info("standing by: another scheduler is active; trying every %g s", every)
                said = True
            if stop.wait(every):
                return
        log.info("scheduler active (this daemon holds the cluster's scheduler lock)")

        def job(kind: str) -> None:
            try:
                # Every round also queues a due brief still missing (after a temporary SMTP failure,
                # say), as every run does on one machine.
                done = enqueue_round(config, brief=True, clock=clock)
            except BriefingError as e:
                log.error("%s failed: %s", kind, e)
                return
            also = f"; brief {done.brief} queued" if done.brief else ""
            log.info(
                "%s: queued %d jobs (%d feeds, %d pages pending)%s",
                kind,
                done.queued,
                done.feeds,
                done.pending_pages,
                also,
            )

        def lost() -> bool:
            return not holder.alive()

        run_scheduler(config, job, stop, lost=lost, check_every=every)
