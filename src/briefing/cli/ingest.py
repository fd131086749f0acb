"""Commands about feeds and stored articles: fetch, articles, status, feeds."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from briefing.cli.app import (
    EXIT_FAILED,
    WHEN_HELP,
    Context,
    _print_json,
    cli,
    nothing_in_window,
    warn_without_contact,
    window,
    with_context,
)
from briefing.cli.progress import fetch_progress
from briefing.wording import plural

if TYPE_CHECKING:
    from briefing.models import FeedResult, FetchReport


# ---- fetch ---------------------------------------------------------------------------------------


@cli.command()
@click.option("--feed", "feeds", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report instead of text.")
@click.option("--strict", is_flag=True, help="Exit 1 when any feed fails.")
@click.option("--force", is_flag=True, help="Also fetch feeds that are backing off after errors.")
@with_context
def fetch(
    ctx: Context,
    feeds: tuple[str, ...],
    as_json: bool,
    strict: bool,
    force: bool,
) -> None:
    """Fetch feeds and the full text of their new articles.

    Prints one line per feed (new, unchanged, not modified, error and why) and a summary. Exits 0 when
    the run completed even if some feeds failed; see --strict.

    \b
    Example:  briefing fetch --feed caci-analytical
    """
    from briefing.pipeline import fetch as run_fetch

    config = ctx.config()
    warn_without_contact(config)
    live = not as_json and sys.stderr.isatty()
    with fetch_progress(live, _feed_line) as progress:
        report = run_fetch(config, feeds=list(feeds) or None, force=force, progress=progress)
    if as_json:
        _print_json(report)
    else:
        if not live:  # for logs and pipes: configuration order, not completion order
            for result in report.feeds:
                click.echo(_feed_line(result))
        click.echo(_report_summary(report))
    if strict and report.failed_feeds:
        sys.exit(EXIT_FAILED)


_LABELS = {
    "new": "new",
    "unchanged": "unchanged",
    "not_modified": "not modified",
    "degraded": "degraded",
    "error": "error",
    "gone": "gone",
    "rate_limited": "rate limited",
    "skipped": "skipped",
}


def _feed_line(r: FeedResult) -> str:
    label = _LABELS.get(r.status, r.status)
    parts = []
    if r.status in ("new", "degraded", "unchanged") or r.new:
        parts.append(f"{r.new} new")
    if r.error:
        parts.append(r.error)
    if r.detail:
        parts.append(r.detail)
    return f"{r.name:<28} {label:<13} {'; '.join(parts)}".rstrip()


def _report_summary(report: FetchReport) -> str:
    counts: dict[str, int] = {}
    for r in report.feeds:
        counts[_LABELS.get(r.status, r.status)] = counts.get(_LABELS.get(r.status, r.status), 0) + 1
    feeds = ", ".join(f"{n} {label}" for label, n in counts.items())
    pages: dict[str, int] = {}
    for a in report.articles:
        key: str = "extracted" if a.status == "ok" else ("kept feed text" if a.source == "feed" else a.status)
        key = "will retry" if a.status == "pending" else key
        pages[key] = pages.get(key, 0) + 1
    page_text = ", ".join(f"{n} {k}" for k, n in pages.items()) or "none fetched"
    seconds = (report.finished - report.started).total_seconds()
    rechecked = ""
    if report.rechecked:
        rechecked = (
            f"; {plural(report.rechecked, 'page', 'pages')} checked again, {len(report.revised)} revised"
        )
    return (
        f"{plural(len(report.feeds), 'feed', 'feeds')} ({feeds or 'none'}); "
        f"{plural(report.new, 'new article', 'new articles')}; "
        f"pages: {page_text}{rechecked}; {seconds:.1f} s"
    )


# ---- articles ------------------------------------------------------------------------------------


@cli.command()
@click.option("--since", metavar="WHEN", help=f"Published from then on: {WHEN_HELP}.")
@click.option("--until", metavar="WHEN", help="Published up to then (a date or week included).")
@click.option("--feed", help="Only this feed.")
@click.option("--excluded", is_flag=True, help="Also list entries dropped by exclude patterns.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def articles(
    ctx: Context,
    since: str | None,
    until: str | None,
    feed: str | None,
    excluded: bool,
    as_json: bool,
) -> None:
    """List stored articles, newest first.

    \b
    Example:  briefing articles --since 7d --feed ac-new-atlanticist
    """
    from briefing.store import Store

    config = ctx.config()
    if feed:
        config.feed(feed)
    with Store.open(config.settings.store_location) as store:
        start, end = window(since, until, config.settings.timezone)
        rows = store.articles(
            since=start,
            until=end,
            feed=feed,
            include_excluded=excluded,
        )
    if as_json:
        _print_json({"articles": rows})
        return
    if not rows:
        with Store.open(config.settings.store_location) as store:
            span = store.published_span(feed)
        click.echo(nothing_in_window("articles" + (f" of {feed}" if feed else ""), start, end, span))
        return
    for a in rows:
        authors = ", ".join(a.authors) or "-"
        click.echo(
            f"{a.id:>5}  {a.published:%Y-%m-%d}  {a.feed:<22} {a.extraction_status:<11} "
            f"{a.word_count:>5}w  {a.title}  [{authors}]"
        )
        click.echo(f"       {a.url}")


# ---- status --------------------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def status(ctx: Context, as_json: bool) -> None:
    """Feed health: last success, last error, consecutive errors, items in the last 7 and 30 days."""
    from briefing.pipeline import status as read_status

    current = read_status(ctx.config())
    now = current.checked_at
    if as_json:
        _print_json(current)
        return
    for h in current.feeds:
        click.echo(_health_line(h, now))
    for d in current.briefs:
        click.echo(_brief_line(d))
    if current.last_run:
        r = current.last_run
        click.echo(f"last run: #{r['id']} {r['command']} {r['status']} (started {r['started_at']})")
    else:
        click.echo("No run recorded yet; run `briefing fetch`.")
    for q in current.queues:
        click.echo(f"queue {q.queue}: {q.waiting} waiting, {q.running} running, {q.failed} failed")


def _brief_line(d: Any) -> str:
    """One ledger row: what was rendered, where, and to whom it went."""
    line = f"brief {d.period}: {d.status}, rendered {d.rendered_at:%Y-%m-%d %H:%M} UTC"
    if d.status == "sent" and d.sent_at:
        line += f", sent {d.sent_at:%Y-%m-%d %H:%M} UTC to {', '.join(d.recipients)} as {d.message_id}"
    else:
        # The newest outcome first; a sending that went out before a failed resend is named as earlier.
        if d.last_error:
            line += f", {plural(d.attempts, 'attempt', 'attempts')}, last error: {d.last_error}"
        if d.sent_at:
            first = f" (first sent as {d.first_message_id})" if d.first_message_id else ""
            line += f"; it last went out {d.sent_at:%Y-%m-%d %H:%M} UTC{first}"
    pdf = next((f for f in d.files if f.endswith(".pdf")), d.files[0] if d.files else "")
    return line + (f" ({pdf})" if pdf else "")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    delta = now - when
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min ago"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)} h ago"
    return f"{delta.days} days ago"


def _health_line(h: Any, now: datetime) -> str:
    line = (
        f"{h.name:<28} {h.status:<12} last success {_ago(h.last_success, now)}; "
        f"{plural(h.items_7d, 'item', 'items')} in 7 days, {h.items_30d} in 30"
    )
    if h.consecutive_errors:
        errors = plural(h.consecutive_errors, "consecutive error", "consecutive errors")
        line += f"; {errors}, last: {h.last_error}"
    if h.redirect_target:
        line += f"; permanently redirected to {h.redirect_target}"
    if h.degraded_reason and h.status == "degraded":
        line += f"; {h.degraded_reason}"
    return line


# ---- feeds ---------------------------------------------------------------------------------------


@cli.group()
def feeds() -> None:
    """List, check, import and export the configured feeds."""


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def feeds_list(ctx: Context, as_json: bool) -> None:
    """List the configured feeds."""
    config = ctx.config()
    if as_json:
        _print_json({"feeds": config.feeds})
        return
    for f in config.feeds:
        state = "" if f.enabled else "  (disabled)"
        click.echo(f"{f.name:<28} {f.publisher or '-':<36} {f.url}{state}")


@feeds.command("check")
@click.option("--feed", "names", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def feeds_check(ctx: Context, names: tuple[str, ...], as_json: bool) -> None:
    """Fetch each feed now and say whether it is a live feed (nothing is stored).

    Exits 1 when a feed cannot be fetched or is not a feed.
    """
    from briefing.pipeline import check_feeds

    results = check_feeds(ctx.config(), feeds=list(names) or None)
    if as_json:
        _print_json({"feeds": results})
    else:
        for c in results:
            if c.ok:
                newest = f"newest {c.newest:%Y-%m-%d}" if c.newest else "undated"
                click.echo(
                    f"{c.name:<28} ok      {c.version} with {plural(c.entries, 'item', 'items')}, {newest}"
                )
            else:
                click.echo(f"{c.name:<28} FAILED  {c.problem}")
            for w in c.warnings:
                click.echo(f"{'':<28} warning {w}")
    if any(not c.ok for c in results):
        sys.exit(EXIT_FAILED)


@feeds.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the feeds that would be added; change nothing.")
@with_context
def feeds_import_opml(ctx: Context, file: Path, dry_run: bool) -> None:
    """Add the feeds of an OPML export to the configuration file (comments are kept).

    \b
    Example:  briefing feeds import-opml subscriptions.opml --dry-run
    """
    from briefing.pipeline import import_opml

    config = ctx.config()
    done = import_opml(config, file, dry_run=dry_run)
    for note in done.notes:
        click.echo(note)
    if not done.added:
        click.echo(f"Nothing to add from {file}.")
        return
    for f in done.added:
        click.echo(f"{'would add' if dry_run else 'added'} {f.name}: {f.url}")
    if done.written:
        click.echo(f"{plural(len(done.added), 'feed', 'feeds')} added to {config.source}.")


@feeds.command("export-opml")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@with_context
def feeds_export_opml(ctx: Context, output: Path | None) -> None:
    """Print the configured feeds as OPML (for other feed readers)."""
    from briefing.opml import write_opml
    from briefing.write import atomic_write_text

    text = write_opml(ctx.config().feeds)
    if output:
        atomic_write_text(output, text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@feeds.command("reset")
@click.argument("name")
@with_context
def feeds_reset(ctx: Context, name: str) -> None:
    """Forget a feed's errors and backoff (also `gone`), so the next fetch tries it again."""
    from briefing.pipeline import reset_feed

    found = reset_feed(ctx.config(), name)
    click.echo(f"reset {name}" if found else f"{name} has never been fetched; nothing to reset")
