"""Commands about the configuration: config check, config reference."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from briefing.cli.app import (
    _context,
    _errors,
    cli,
    common,
)

if TYPE_CHECKING:
    pass


# ---- config --------------------------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """Check the configuration and show its reference."""


@config_group.command("check")
@common
def config_check(config_path: Path | None, debug: bool | None) -> None:
    """Validate the configuration file; exit 2 with every problem listed if it is invalid."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        config = ctx.config()
        enabled = sum(1 for f in config.feeds if f.enabled)
        click.echo(
            f"{config.source}: ok ({len(config.feeds)} feeds, {enabled} enabled; "
            f"data in {config.settings.data_dir})"
        )


@config_group.command("reference")
def config_reference() -> None:
    """Print every configuration key with its type, default and meaning (Markdown)."""
    from briefing.config import settings_reference

    click.echo(settings_reference())
