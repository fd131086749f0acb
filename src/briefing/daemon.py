"""`briefing daemon`: APScheduler 3.x in the foreground (the only apscheduler import).

Two jobs with fixed ids, re-added at every start: "fetch" every `schedule.fetch_every` hours and
"brief" on `schedule.brief` in `settings.timezone`. Both call `pipeline.run`, so what is due and what was
delivered come from the ledger, exactly as for cron: the brief job sends on time, and every fetch job
also sends a due brief that is still missing (a brief job skipped because the lock was taken, a
temporary SMTP failure, a slot lost to a clock change). Missed runs are coalesced into one and may run up
to `schedule.misfire_grace_hours` late; one instance of a job at a time; a catch-up run right after start
produces the latest due brief if it is missing. A second daemon on the same data folder refuses to
start. SIGTERM and SIGINT stop the daemon between steps: the running job finishes its step, nothing new
starts, and the daemon exits 0.

With a PostgreSQL store the daemon is a cluster's scheduler instead (`cluster.serve`): the same two jobs
queue the work for `briefing worker` processes, and only one daemon of the cluster acts at a time.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from briefing.clock import Clock, utc_now
from briefing.config import Config, parse_schedule
from briefing.errors import BriefingError, RunLockedError, StorageError
from briefing.lock import RunLock

log = logging.getLogger("briefing.daemon")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def build_scheduler(config: Config, job: Callable[[str], None]) -> Any:
    """The configured BackgroundScheduler (not started): `job("fetch")` and `job("brief")`."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    tz = config.settings.timezone
    schedule = config.schedule
    scheduler = BackgroundScheduler(
        timezone=tz,
        job_defaults={
            "coalesce": True,  # after downtime: one run, not one per missed slot
            "max_instances": 1,
            "misfire_grace_time": max(1, int(schedule.misfire_grace_hours * 3600)),
        },
    )
    days, hour, minute = parse_schedule(schedule.brief)
    scheduler.add_job(
        job,
        IntervalTrigger(hours=schedule.fetch_every, timezone=tz),
        args=("fetch",),
        id="fetch",
        name="fetch",
        replace_existing=True,
    )
    scheduler.add_job(
        job,
        CronTrigger(day_of_week=",".join(DAY_NAMES[d] for d in days), hour=hour, minute=minute, timezone=tz),
        args=("brief",),
        id="brief",
        name="brief",
        replace_existing=True,
    )
    return scheduler


def serve(config: Config, *, clock: Clock = utc_now, stop: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set). Raises `RunLockedError` if a daemon already runs."""
    stop = stop or threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with RunLock(config.settings.data_dir, "briefing-daemon.lock"):
            if config.settings.shared_database:
                from briefing import cluster

                cluster.serve(config, clock=clock, stop=stop)
            else:
                run_scheduler(config, lambda kind: _job(config, kind, clock, stop), stop)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    log.info("daemon stopped")


def run_scheduler(
    config: Config,
    job: Callable[[str], None],
    stop: threading.Event,
    *,
    lost: Callable[[], bool] = lambda: False,
    check_every: float = 1.0,
) -> None:
    """Run the schedule's jobs (and a catch-up now) until `stop` is set; after each scheduled job, log
    when the jobs run next. When `lost()` turns true (a cluster's scheduler lost its lock), stop
    scheduling and raise `StorageError`."""
    from apscheduler.events import (
        EVENT_JOB_ERROR,
        EVENT_JOB_EXECUTED,
        EVENT_JOB_MAX_INSTANCES,
        EVENT_JOB_MISSED,
    )

    scheduler = build_scheduler(config, job)
    scheduler.add_listener(_on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def after_job(event: Any) -> None:
        if event.job_id != "catch-up" and not stop.is_set():
            _log_next(scheduler)

    scheduler.add_listener(after_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    # The catch-up runs in the scheduler's thread like any job, so the signals stay ours.
    scheduler.add_job(job, args=("catch-up",), id="catch-up")
    scheduler.start()
    log.info("daemon started for %s (time zone %s)", config.source, config.settings.timezone)
    _log_next(scheduler)
    next_check = time.monotonic() + check_every
    while not stop.wait(1.0):  # a timeout keeps the main thread responsive to signals
        if time.monotonic() >= next_check:
            if lost():
                scheduler.shutdown(wait=False)
                raise StorageError("lost the database connection that held the scheduler lock; stopping")
            next_check = time.monotonic() + check_every
    log.info("stopping: waiting for the running job to finish its step")
    scheduler.shutdown(wait=True)


def _job(config: Config, kind: str, clock: Clock, stop: threading.Event) -> None:
    from briefing.pipeline.running import run

    if stop.is_set():
        log.info("%s: not started, the daemon is stopping", kind)
        return
    log.info("%s: running", kind)
    try:
        # Every job is a whole run: fetch, then the due brief if it is missing (cron's `run` does the same).
        result = run(config, clock=clock, stop=stop)
        for feed in result.fetched.feeds:
            said = f"{feed.status.replace('_', ' ')}, {feed.new} new"
            said += f": {feed.error}" if feed.error else ""
            log.log(logging.WARNING if feed.error else logging.INFO, "%s: feed %s: %s", kind, feed.name, said)
        failed = [f.name for f in result.fetched.feeds if f.error]
        failing = f"; failing: {', '.join(failed)}" if failed else ""
        log.info("%s: fetched %d new articles%s", kind, result.fetched.new, failing)
        level = logging.INFO if result.ok else logging.ERROR
        log.log(level, "%s: brief %s %s %s", kind, result.period.label, result.action, result.detail)
    except RunLockedError as e:
        log.warning("%s skipped: %s", kind, e)
    except BriefingError as e:
        log.error("%s failed: %s", kind, e)


def _log_next(scheduler: Any) -> None:
    for job in scheduler.get_jobs():
        if job.id == "catch-up":
            continue
        when = job.next_run_time
        log.info("next %s: %s", job.id, when.isoformat(timespec="minutes") if when else "paused")


def _on_event(event: Any) -> None:
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed %s (beyond the grace time)", event.job_id, event.scheduled_run_time)
    elif event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning("job %s still running at its next time; this run is skipped", event.job_id)
    else:
        # Only the type: an exception's repr can carry secrets (smtplib puts AUTH strings in it).
        log.error("job %s crashed: %s", event.job_id, type(event.exception).__name__)
