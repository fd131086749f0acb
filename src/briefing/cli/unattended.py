"""Commands for unattended operation: run (for cron) and daemon."""

from __future__ import annotations

import logging
import sys

import click

from briefing.cli.app import EXIT_FAILED, Context, _print_json, _setup_logging, cli, with_context
from briefing.wording import plural


@cli.command()
@click.option("--force", is_flag=True, help="Render and send the due brief again even if it was delivered.")
@click.option(
    "--period",
    metavar="YYYY-Www",
    help="Deliver this ISO week's brief instead of the latest due one (with --force, again).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Print nothing unless a brief was written or sent (for cron, which mails every line); "
    "errors still go to stderr.",
)
@with_context
def run(ctx: Context, force: bool, period: str | None, as_json: bool, quiet: bool) -> None:
    """Fetch every feed; when a brief is due and not yet delivered, write it and e-mail it (for cron).

    Prints one summary line; errors go to stderr. Exit 0 done (also when nothing was due), 1 the
    delivery failed (a temporary failure is retried by the next run), 2 configuration, 75 locked.

    \b
    crontab:  0 * * * *  briefing --config /srv/briefing/feeds.yaml run --quiet
    """
    from briefing.period import parse_period
    from briefing.pipeline.running import run as run_once

    config = ctx.config()
    chosen = parse_period(period, config.settings.timezone) if period else None
    result = run_once(config, period=chosen, force=force)
    failing = result.failed_feeds
    if as_json:
        _print_json(result)
    elif quiet and result.action not in ("written", "sent"):
        pass
    else:
        feeds = plural(result.new_articles, "new article", "new articles")
        if failing:
            feeds += f" ({plural(len(failing), 'feed', 'feeds')} failing: {', '.join(failing)})"
        said = f"{_said(result.action)}{_detail(result.detail)}"
        click.echo(f"{feeds}; brief {result.period.label}: {said}")
    if not result.ok and result.action != "not_retried":
        label = result.period.label
        click.echo(f"briefing: error: brief {label} not delivered: {result.detail}", err=True)
        sys.exit(EXIT_FAILED)


def _said(action: str) -> str:
    return {
        "already_done": "already delivered",
        "not_retried": "not retried after a permanent failure",
        "written": "written",
        "sent": "sent",
        "retry": "delivery failed, will retry",
        "failed": "delivery failed",
    }.get(action, action)


def _detail(detail: str) -> str:
    return f" ({detail})" if detail else ""


@cli.command()
@with_context
def daemon(ctx: Context) -> None:
    """Stay in the foreground and fetch and brief on the schedule in feeds.yaml (APScheduler).

    Fetches every schedule.fetch_every hours and writes (and e-mails) the brief at schedule.brief in
    settings.timezone; after downtime it makes the latest due brief once. Logs to stderr. SIGTERM or
    Ctrl-C stops it after the current step. One daemon per data folder.
    """
    from briefing.daemon import serve

    config = ctx.config()
    _setup_logging(ctx.debug, long_running=True, timezone=config.settings.timezone)
    _quiet_queue_logs(ctx)
    serve(config)


def _quiet_queue_logs(ctx: Context) -> None:
    """The queue library logs every job's start, end and deferral; our one line per job says more."""
    if not ctx.debug:
        logging.getLogger("procrastinate").setLevel(logging.WARNING)


@cli.command()
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Jobs this worker runs at once (pages are fetched concurrently; extraction uses "
    "settings.workers processes).",
)
@click.option(
    "--queue",
    "queues",
    type=click.Choice(["fetch", "brief"]),
    multiple=True,
    help="Take jobs from these queues only (default both). Brief jobs write to this machine's "
    "reports folder.",
)
@with_context
def worker(ctx: Context, concurrency: int, queues: tuple[str, ...]) -> None:
    """Take jobs from the cluster's queue (settings.database: PostgreSQL) until SIGTERM or Ctrl-C.

    Any number of workers on any number of machines share the work that `briefing daemon` (or
    `briefing enqueue`) queues: fetching feeds, fetching and extracting pages, making and sending
    briefs. A worker that dies leaves its jobs to the others after settings.stalled_after seconds.
    """
    from briefing.queue import QUEUES, Queue

    config = ctx.config()
    _setup_logging(ctx.debug, long_running=True, timezone=config.settings.timezone)
    _quiet_queue_logs(ctx)
    Queue(config, connections=concurrency + 2).work(concurrency, queues or QUEUES)


@cli.command()
@click.option(
    "--brief", "with_brief", is_flag=True, help="Also queue the latest due brief, if not delivered."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def enqueue(ctx: Context, with_brief: bool, as_json: bool) -> None:
    """Queue one round of work for the cluster's workers now: a fetch job per enabled feed, a page job
    per article still pending, and with --brief the due brief (what the daemon does on its schedule)."""
    from briefing.cluster import enqueue_round

    done = enqueue_round(ctx.config(), brief=with_brief)
    if as_json:
        _print_json(done)
        return
    also = f"; brief {done.brief}" if done.brief else ""
    click.echo(
        f"queued {plural(done.queued, 'job', 'jobs')} ({plural(done.feeds, 'feed', 'feeds')}, "
        f"{plural(done.pending_pages, 'page', 'pages')} pending{also})"
    )
