"""Commands about the configuration: init, config check, config reference."""

from __future__ import annotations

from pathlib import Path

import click

from briefing.cli.app import (
    Context,
    _context,
    _errors,
    cli,
    warn_without_contact,
    with_context,
)
from briefing.wording import plural

# ---- init ----------------------------------------------------------------------------------------


@cli.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--debug", is_flag=True, default=None, help="Show debug logs and tracebacks.")
def init(folder: Path, debug: bool | None) -> None:
    """Write a commented feeds.yaml into FOLDER (default: here) with the real feeds of both publishers,
    example topics for the region and an e-mail block to fill in; then say what to do next."""
    from briefing.starter import write_starter

    ctx = _context(None, debug)
    with _errors(ctx):
        started = write_starter(folder)
    config = started.config
    enabled = sum(1 for f in config.feeds if f.enabled)
    publishers = sorted({f.publisher for f in config.feeds if f.publisher})
    click.echo(
        f"Wrote {started.path}: {plural(len(config.feeds), 'feed', 'feeds')} ({enabled} enabled) from "
        f"{' and '.join(publishers)}, {plural(len(config.topics), 'topic', 'topics')}; baseline: the seed "
        "corpus bundled with briefing."
    )
    here = folder.resolve() == Path.cwd().resolve()
    steps = [] if here else [f"cd {folder}"]
    steps += [
        "set settings.contact in feeds.yaml: a URL or e-mail address where publishers can reach you",
        "briefing config check",
        "briefing fetch && briefing report    # the brief of the last complete week, in reports/",
        "to e-mail it, fill in delivery.email, then run `briefing run --quiet` from cron (see README)",
    ]
    click.echo("Next:")
    for n, step in enumerate(steps, 1):
        click.echo(f"  {n}. {step}")


# ---- config --------------------------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """Check the configuration and show its reference."""


@config_group.command("check")
@with_context
def config_check(ctx: Context) -> None:
    """Validate the configuration file; exit 2 with every problem listed if it is invalid."""
    config = ctx.config()
    enabled = sum(1 for f in config.feeds if f.enabled)
    click.echo(
        f"{config.source}: ok ({plural(len(config.feeds), 'feed', 'feeds')}, {enabled} enabled; "
        f"data in {config.settings.data_dir})"
    )
    warn_without_contact(config)


@config_group.command("reference")
def config_reference() -> None:
    """Print every configuration key with its type, default and meaning (Markdown)."""
    from briefing.config import settings_reference

    click.echo(settings_reference())
