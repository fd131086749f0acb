"""`briefing search`: what is known about something, in the stored articles and the baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from briefing.cli.app import WHEN_HELP, Context, _print_json, cli, window, with_context
from briefing.models import SearchHit

if TYPE_CHECKING:
    from briefing.pipeline.searching import Within


@cli.command()
@click.argument("query", nargs=-1, required=True)
@click.option("--since", metavar="WHEN", help=f"Published from then on: {WHEN_HELP}.")
@click.option("--until", metavar="WHEN", help="Published up to then (a date or week included).")
@click.option("--feed", help="Only this feed's articles.")
@click.option(
    "--in",
    "within",
    type=click.Choice(["articles", "baseline", "all"]),
    default="all",
    show_default=True,
    help="Stored articles; the baseline (seed corpus and, with corpus.include_briefed, briefed articles); "
    "or both.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000), help="Hits shown.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def search(
    ctx: Context,
    query: tuple[str, ...],
    since: str | None,
    until: str | None,
    feed: str | None,
    within: str,
    limit: int,
    as_json: bool,
) -> None:
    """Full-text search, best first, with the matching passage and a link.

    Words and "quoted phrases" are all required; OR accepts either of two terms; -word leaves out; word*
    is a prefix. Names match in their other spellings (Pashinian finds Pashinyan, Turkey finds Türkiye).

    \b
    Example:  briefing search Meghri --in baseline
              briefing search '"border delimitation" Armenia -Russia' --since 2026-W40
    """
    from briefing.pipeline import search as run_search

    config = ctx.config()
    start, end = window(since, until, config.settings.timezone)
    text = " ".join(query)
    result = run_search(
        config, text, since=start, until=end, feed=feed, within=cast("Within", within), limit=limit
    )
    if as_json:
        _print_json(result)
        return
    if not result.hits:
        where = {"articles": "the stored articles", "baseline": "the baseline", "all": "articles or baseline"}
        click.echo(f"Nothing found for {text!r} in {where[within]}.")
        return
    for n, hit in enumerate(result.hits, 1):
        click.echo(_hit_lines(n, hit))


def _hit_lines(n: int, hit: SearchHit) -> str:
    when = f"{hit.published:%Y-%m-%d}" if hit.published else "undated"
    where = ", ".join((hit.source, *hit.also_in)) + (", briefed" if hit.briefed else "")
    head = f"{n:>3}. {hit.id:<10} {when}  {hit.title}  [{where}]"
    return "\n".join([head, "     " + _highlighted(hit), "     " + (hit.url or hit.source)])


def _highlighted(hit: SearchHit) -> str:
    """The snippet with the matched words in bold (click drops the styling when not on a terminal)."""
    out, at = [], 0
    for start, end in hit.highlights:
        out += [hit.snippet[at:start], click.style(hit.snippet[start:end], bold=True)]
        at = end
    out.append(hit.snippet[at:])
    return "".join(out).replace("\n", " ")
