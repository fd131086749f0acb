"""What the commands say in the small places users notice: warnings, hints, plurals, the ledger line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from briefing.cli import cli
from briefing.store import Store
from conftest import FakeClock, SampleSite, site_feeds, write_config


def test_config_check_warns_when_publishers_cannot_reach_the_operator(tmp_path: Path) -> None:
    feed = [{"name": "one", "url": "https://example.org/feed"}]
    config = write_config(tmp_path, feed, contact="")
    done = CliRunner().invoke(cli, ["--config", str(config.source), "config", "check"])
    assert done.exit_code == 0
    assert done.stdout == f"{config.source}: ok (1 feed, 1 enabled; data in {tmp_path / 'data'})\n"
    assert done.stderr == (
        f"briefing: warning: settings.contact is empty in {config.source}: set a URL or e-mail address "
        "where publishers can reach you (it is sent in the User-Agent)\n"
    )
    bare = tmp_path / "bare.yaml"  # `contact:` with nothing after it is null in YAML
    bare.write_text("settings:\n  contact:\nfeeds: []\n", encoding="utf-8")
    said = CliRunner().invoke(cli, ["--config", str(bare), "config", "check"])
    assert said.exit_code == 0 and said.stderr.startswith("briefing: warning: settings.contact is empty")
    quiet = write_config(tmp_path, feed)
    assert CliRunner().invoke(cli, ["--config", str(quiet.source), "config", "check"]).stderr == ""


def test_a_bare_yaml_word_as_a_feed_name_gets_a_hint_to_quote_it(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - name: off\n    url: https://example.org/feed\n", encoding="utf-8")
    done = CliRunner().invoke(cli, ["--config", str(path), "config", "check"])
    assert done.exit_code == 2
    assert done.stderr == (
        f"briefing: error: {path}: feeds[0].name: expected text, got false: YAML reads a bare yes, no, on, "
        'off, true or false as true or false; quote it, e.g. "off"\n'
    )


def test_status_never_shows_an_older_sending_as_the_current_state(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    monday, later = datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC)
    with Store.open(config.settings.store_location) as store:
        store.record_rendered("2026-W47", [tmp_path / "brief.pdf"], "rendered", monday)
        store.record_sent("2026-W47", "<first@example.org>", ["ana@example.org"], "250 ok", monday)
        store.record_failure("2026-W47", "<again@example.org>", "550 refused", True, later)
    done = CliRunner().invoke(cli, ["--config", str(config.source), "status"])
    line = next(x for x in done.stdout.splitlines() if x.startswith("brief 2026-W47"))
    assert line == (
        "brief 2026-W47: failed, rendered 2026-11-23 08:00 UTC, 2 attempts, last error: 550 refused; "
        f"it last went out 2026-11-23 08:00 UTC (first sent as <first@example.org>) ({tmp_path / 'brief.pdf'})"
    )


def test_a_report_names_each_step_as_it_starts(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    from briefing.period import iso_week
    from briefing.pipeline import fetch, report

    config = write_config(tmp_path, site_feeds(sample_site))
    fetch(config, clock=clock)
    said: list[str] = []
    report(config, iso_week(2026, 47, "UTC"), formats=("html", "json"), clock=clock, step=said.append)
    assert said == ["analysing 2026-W47", "rendering the HTML", "writing the files"]


def test_debug_shows_the_cause_of_an_error(tmp_path: Path) -> None:
    from conftest import run_cli

    path = tmp_path / "feeds.yaml"
    path.write_text("feeds: [\n", encoding="utf-8")
    plain = run_cli(["--config", str(path), "config", "check"])
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    debug = run_cli(["--debug", "--config", str(path), "config", "check"])
    assert debug.returncode == 2 and "The above exception was the direct cause" in debug.stderr
    assert "yaml" in debug.stderr and "ParserError" in debug.stderr
