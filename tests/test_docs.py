"""The README and CHANGELOG stay true: every command and setting documented, the CI command identical."""

from __future__ import annotations

import re

import click

import briefing
from briefing.cli import cli
from briefing.config import SETTINGS, settings_reference
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_settings_table_in_the_readme_is_current() -> None:
    block = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", README, re.S)
    assert block, "README lost its settings markers"
    assert block.group(1) == settings_reference(), (
        "run `briefing config reference` and paste it into README.md"
    )
    for s in SETTINGS:
        assert s.help.endswith("."), s.key


def _commands(group: click.Group, prefix: str = "briefing") -> list[str]:
    out = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            out += _commands(command, path)
        else:
            out.append(path)
    return out


def test_every_command_is_in_the_cli_reference() -> None:
    commands = _commands(cli)
    assert "briefing fetch" in commands and "briefing feeds import-opml" in commands
    for command in commands:
        assert f"`{command}" in README, f"{command} is not documented in README.md"
    for name, command in cli.commands.items():
        assert command.help, name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
    assert command in README and command in ci


def test_changelog_keeps_unreleased_on_top() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[?([^\]\n]+)", changelog, re.M)
    assert headings[0] == "Unreleased"


def test_public_api_is_pinned() -> None:
    assert briefing.__all__ == [
        "BriefingError",
        "Config",
        "ConfigError",
        "ExtractError",
        "FeedError",
        "FetchError",
        "Progress",
        "RunLockedError",
        "StorageError",
        "Store",
        "__version__",
        "check_feeds",
        "fetch",
        "load_config",
    ]
    for name in briefing.__all__:
        assert getattr(briefing, name) is not None


def test_every_error_derives_from_the_root() -> None:
    for name in ("ConfigError", "FetchError", "FeedError", "ExtractError", "StorageError", "RunLockedError"):
        assert issubclass(getattr(briefing, name), briefing.BriefingError)
