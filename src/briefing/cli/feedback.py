"""`briefing mark` and `briefing feedback`: the analyst corrects the analysis."""

from __future__ import annotations

import click

from briefing.cli.app import Context, _print_json, cli, with_context
from briefing.wording import plural


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@click.option(
    "--by", default="", metavar="NAME", help="Who marks it (default: $BRIEFING_USER, else your login)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def mark(ctx: Context, words: tuple[str, ...], by: str, as_json: bool) -> None:
    """Correct the analysis; it applies from the next brief (`report --refresh` for this one).

    \b
    ID not-new            a quote (a123:456): its sentence joins what you know;
                          an article (a123): it is a repeat
    ID important          an article or a story (story-6): followed and ranked first
    ID class CLASS        an article is new, development or repeat, whatever the scores say
    ignore-name NAME      never report NAME as a new name again
    merge-story A B       story B is story A
    IDs are shown in the HTML brief beside each entry, quote and story. Undo with `briefing feedback undo N`.
    """
    from briefing.pipeline.marking import mark as record

    done = record(ctx.config(), list(words), by=by)
    if as_json:
        _print_json(done)
        return
    click.echo(f"#{done.id} {done.command} (by {done.by}); applies from the next analysis")


@cli.group()
def feedback() -> None:
    """The corrections made with `briefing mark`: list and undo them."""


@feedback.command("list")
@click.option("--all", "include_undone", is_flag=True, help="Also the marks that were undone.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def feedback_list(ctx: Context, include_undone: bool, as_json: bool) -> None:
    """The marks, oldest first: number, mark, who, when, and a note when one no longer applies."""
    from briefing.pipeline.marking import marks

    found = marks(ctx.config(), include_undone=include_undone)
    if as_json:
        _print_json({"marks": found})
        return
    if not found:
        undone = "" if include_undone else " (`--all` also lists undone marks)"
        click.echo(f"No marks{undone}: `briefing mark --help` says how to correct the analysis.")
        return
    for status in found:
        m = status.mark
        line = f"#{m.id:<4} {m.command:<40} {m.by}, {m.at:%Y-%m-%d %H:%M} UTC"
        if m.action == "not-new" and m.text:
            line += f"\n      “{m.text}”"
        if status.note:
            line += f"\n      ({status.note})"
        click.echo(line)
    active = sum(1 for s in found if s.mark.undone_at is None)
    click.echo(f"{plural(active, 'active mark', 'active marks')}")


@feedback.command("undo")
@click.argument("number", type=click.IntRange(min=1))
@with_context
def feedback_undo(ctx: Context, number: int) -> None:
    """Undo mark NUMBER (as `feedback list` shows it) from the next analysis on; it stays listed."""
    from briefing.pipeline.marking import undo

    done = undo(ctx.config(), number)
    click.echo(f"undone #{done.id} {done.command}")
