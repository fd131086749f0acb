"""Commands that produce the brief: report, demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from briefing.cli.app import EXIT_FAILED, Context, _print_json, cli, window, with_context
from briefing.cli.progress import steps
from briefing.errors import ConfigError
from briefing.wording import plural

if TYPE_CHECKING:
    from briefing.config import Config
    from briefing.period import Period

DEFAULT_FORMATS = "pdf,html,json"


@cli.command()
@click.option("--period", metavar="YYYY-Www", help="ISO week, e.g. 2026-W47 (default: last complete week).")
@click.option("--since", metavar="WHEN", help="First day of a custom period: a date, ISO week or span (7d).")
@click.option("--until", metavar="WHEN", help="Last day of a custom period, included (default: today).")
@click.option(
    "--format",
    "formats",
    default=DEFAULT_FORMATS,
    show_default=True,
    metavar="LIST",
    help="Comma-separated: pdf, html, json (brief.json is always written).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Reports folder (default: settings.reports_dir).",
)
@click.option("--refresh", is_flag=True, help="Analyse anew instead of re-rendering the saved brief.")
@click.option(
    "--send",
    is_flag=True,
    help="Also e-mail it (delivery.email), even if it was sent before: a resend gets a new Message-ID.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def report(
    ctx: Context,
    period: str | None,
    since: str | None,
    until: str | None,
    formats: str,
    output: Path | None,
    refresh: bool,
    send: bool,
    as_json: bool,
) -> None:
    """Write the brief for a period as PDF, HTML and JSON, and update the reports index and feed.

    Files go to <reports>/<period>/brief.{pdf,html,json}. A period already briefed is rendered again
    from its saved brief.json (the same content); --refresh analyses it anew.

    \b
    Examples:  briefing report
               briefing report --period 2026-W47 --format pdf
               briefing report --since 2026-11-01 --until 2026-11-15
    """
    from briefing.pipeline import report as write_report
    from briefing.pipeline import utc_now
    from briefing.pipeline.reporting import FORMATS

    wanted = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ConfigError("--format", [f"{', '.join(unknown) or formats!r}: use pdf, html, json"])
    config = ctx.config()
    chosen = choose_period(period, since, until, config.settings.timezone)
    if send:
        _send(config, chosen, refresh, as_json, formats, output)
        return
    with steps(not as_json and sys.stderr.isatty()) as step:
        result = write_report(
            config, chosen, formats=wanted, output=output, refresh=refresh, clock=utc_now, step=step
        )
    brief = result.brief
    if as_json:
        _print_json(result)
        return
    c = brief.counts
    click.echo(
        f"{brief.period_label} ({brief.period_text}): {plural(c.articles, 'article', 'articles')} from "
        f"{plural(c.sources, 'source', 'sources')}, {c.new} new, "
        f"{plural(c.developments, 'development', 'developments')}, "
        f"{plural(c.repeats, 'repeat', 'repeats')}"
        + (" (re-rendered from the saved brief)" if result.reused else "")
    )
    for path in result.files + result.index:
        click.echo(f"  {path}")


def _send(
    config: Config, period: Period, refresh: bool, as_json: bool, formats: str, output: Path | None
) -> None:
    from briefing.pipeline.running import deliver

    if not config.email.enabled:
        raise ConfigError("--send", [f"no delivery.email in {config.source}; configure it to send briefs"])
    if output is not None or formats != DEFAULT_FORMATS:
        raise ConfigError("--send", ["sends what the reports folder holds: leave out --format and --output"])
    done = deliver(config, period, force=True, refresh=refresh)
    if as_json:
        _print_json(done)
    else:
        click.echo(f"brief {period.label}: {done.action}" + (f" ({done.detail})" if done.detail else ""))
    if done.action != "sent":
        sys.exit(EXIT_FAILED)


def choose_period(period: str | None, since: str | None, until: str | None, timezone: str) -> Period:
    """--period, or --since (and --until, default today), or the last complete week. A brief covers whole
    days, so --since and --until are taken by the day they fall on; usage errors name the option."""
    from briefing.period import last_complete_week, parse_period, window_period
    from briefing.pipeline import utc_now

    if period and (since or until):
        raise ConfigError("--period", ["give either --period or --since/--until, not both"])
    if period:
        return parse_period(period, timezone)
    now = utc_now()
    if since or until:
        if not since:
            raise ConfigError("--until", ["give --since too: the first day of the period"])
        start, _ = window(since, None, timezone, now)
        if start is not None and start > now:
            raise ConfigError("--since", [f"{since!r} is in the future; a brief covers days that have begun"])
        start, end = window(since, until or "0h", timezone, now)  # default: up to now, today included
        assert start is not None and end is not None
        return window_period(start, end, timezone)
    return last_complete_week(now, timezone)


@cli.command()
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports/demo"),
    show_default=True,
    help="Where the demo brief is written.",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's store and feeds.yaml here (default: a temporary folder).",
)
@with_context
def demo(ctx: Context, output: Path, data_dir: Path | None) -> None:
    """Run the whole pipeline on the bundled SAMPLE DATA and write a brief.

    A loopback server plays both publishers; briefing fetches their feeds and pages over HTTP, extracts
    the text, analyses it against the shipped seed corpus and renders the PDF and HTML brief.
    Your own feeds.yaml and data are not touched.
    """
    if ctx.config_path is not None:
        raise ConfigError(
            "--config",
            ["the demo writes its own configuration (SAMPLE DATA on loopback); run it without --config"],
        )
    from briefing.demo import run_demo

    result = run_demo(output, data_dir, say=click.echo)
    by_suffix = {p.suffix: p for p in result.files}
    click.echo(f"PDF:  {by_suffix['.pdf']}")
    click.echo(f"HTML: {by_suffix['.html']}")
    click.echo(f"All briefs: {result.index[0]}")
