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
    for name, group_command in cli.commands.items():
        assert group_command.help, name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
    assert command in README and command in ci


def test_changelog_keeps_unreleased_on_top() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[?([^\]\n]+)", changelog, re.M)
    assert headings[0] == "Unreleased"


KINDS = {
    "function": {"load_config", "fetch", "check_feeds", "analyze", "report", "run", "deliver", "search"},
    "error": {
        "BriefingError",
        "ConfigError",
        "FetchError",
        "FeedError",
        "ExtractError",
        "StorageError",
        "RunLockedError",
        "RenderError",
        "DeliveryError",
        "QueryError",
    },
    "class": {
        "Config",
        "Store",
        "Progress",
        "FetchReport",
        "AnalysisReport",
        "ReportResult",
        "RunResult",
        "Delivered",
        "Brief",
        "Finding",
        "Period",
        "SearchResult",
        "SearchHit",
    },
    "text": {"__version__"},
}

CHECK_EXPORTS = """
import importlib, inspect, json, pkgutil, sys
import briefing
# Import every submodule first: a submodule named like an export would now shadow it.
for info in pkgutil.walk_packages(briefing.__path__, "briefing."):
    if ".samples" not in info.name and ".evaluation" not in info.name:
        importlib.import_module(info.name)
kinds = {}
for name in briefing.__all__:
    obj = getattr(briefing, name)
    if inspect.ismodule(obj):
        kinds[name] = "module"
    elif isinstance(obj, type) and issubclass(obj, briefing.BriefingError):
        kinds[name] = "error"
    elif isinstance(obj, type):
        kinds[name] = "class"
    elif inspect.isfunction(obj):
        kinds[name] = "function"
    elif isinstance(obj, str):
        kinds[name] = "text"
    else:
        kinds[name] = type(obj).__name__
print(json.dumps(kinds))
"""


def test_every_export_is_the_documented_kind_of_object_in_a_fresh_interpreter() -> None:
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", CHECK_EXPORTS], capture_output=True, text=True, check=True)
    kinds = json.loads(done.stdout)
    assert set(kinds) == set(briefing.__all__) == set().union(*KINDS.values())
    for kind, names in KINDS.items():
        assert {n: kinds[n] for n in names} == dict.fromkeys(names, kind)
    for name in KINDS["function"]:
        assert f"briefing.{name}(" in README, f"briefing.{name} is not documented in README.md"


def test_every_error_derives_from_the_root() -> None:
    for name in ("ConfigError", "FetchError", "FeedError", "ExtractError", "StorageError", "RunLockedError"):
        assert issubclass(getattr(briefing, name), briefing.BriefingError)
