"""Unattended operation: what is due, the ledger, cron's bare environment, the daemon and its units."""

from __future__ import annotations

import configparser
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from briefing.cli import cli
from briefing.config import Config, load_config
from briefing.daemon import build_scheduler
from briefing.errors import ConfigError, RunLockedError
from briefing.period import iso_week
from briefing.pipeline.running import run
from briefing.schedule import due_at, latest_due, missed_between
from briefing.store import Store
from conftest import ROOT, FakeClock, SampleSite, run_cli, run_like_cron, site_feeds, write_config
from test_mail import Recorder, smtp_server
from test_pipeline import held_elsewhere

MONDAY_8 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # after the brief of 2026-W47 is due (mon 07:00 UTC)


def test_the_brief_is_due_at_the_first_slot_after_the_week_in_local_time() -> None:
    week = iso_week(2026, 47, "Europe/Berlin")
    assert due_at(week, "mon 07:00") == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert due_at(week, "fri 18:00") == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert due_at(week, "daily 00:00") == week.end
    # The week in which clocks go back: due at 07:00 CET, one hour later in UTC than the week before.
    assert due_at(iso_week(2026, 43, "Europe/Berlin"), "mon 07:00") == datetime(
        2026, 10, 26, 6, 0, tzinfo=UTC
    )
    assert due_at(iso_week(2026, 42, "Europe/Berlin"), "mon 07:00") == datetime(
        2026, 10, 19, 5, 0, tzinfo=UTC
    )


def test_the_latest_due_week_changes_at_the_scheduled_time() -> None:
    assert (
        latest_due(datetime(2026, 11, 23, 5, 59, tzinfo=UTC), "Europe/Berlin", "mon 07:00").label
        == "2026-W46"
    )
    assert (
        latest_due(datetime(2026, 11, 23, 6, 0, tzinfo=UTC), "Europe/Berlin", "mon 07:00").label == "2026-W47"
    )
    assert latest_due(datetime(2026, 11, 29, 23, 0, tzinfo=UTC), "UTC", "mon 07:00").label == "2026-W47"
    assert missed_between("2026-W44", iso_week(2026, 47, "UTC")) == ["2026-W45", "2026-W46"]
    assert missed_between("2026-W51", iso_week(2027, 2, "UTC")) == ["2026-W52", "2026-W53", "2027-W01"]
    assert missed_between(None, iso_week(2026, 47, "UTC")) == []


def test_a_run_writes_the_due_brief_once_and_again_only_when_forced(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    clock.now = MONDAY_8
    config = write_config(tmp_path, site_feeds(sample_site))
    first = run(config, clock=clock)
    assert first.action == "written" and first.period.label == "2026-W47"
    assert first.fetched.new == 5
    assert sorted(p.name for p in first.files) == ["brief.html", "brief.json", "brief.pdf"]
    pdf = tmp_path / "reports" / "2026-W47" / "brief.pdf"
    stamp = pdf.stat().st_mtime_ns

    clock.advance(hours=1)
    second = run(config, clock=clock)
    assert second.action == "already_done" and second.fetched.new == 0
    assert pdf.stat().st_mtime_ns == stamp

    clock.advance(hours=1)
    forced = run(config, force=True, clock=clock)
    assert forced.action == "written" and pdf.stat().st_mtime_ns != stamp
    with Store.open(config.settings.store_location) as store:
        ledger = store.deliveries()
    assert [(d.period, d.status) for d in ledger] == [("2026-W47", "written")]


def test_after_weeks_of_downtime_only_the_latest_week_is_made_and_the_others_are_reported(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    clock.now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # 2026-W44 is due
    assert run(config, clock=clock).period.label == "2026-W44"
    clock.now = MONDAY_8  # three weeks later
    result = run(config, clock=clock)
    assert result.period.label == "2026-W47" and result.missed == ("2026-W45", "2026-W46")
    assert "not briefed: 2026-W45, 2026-W46" in caplog.text
    assert not (tmp_path / "reports" / "2026-W45").exists()


def test_a_run_while_another_holds_the_lock_does_nothing(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    with held_elsewhere(config.settings.data_dir), pytest.raises(RunLockedError):
        run(config)
    assert (
        sum(sample_site.server.hit_count(p) for p in ("/feed/", "/publications/analytical-articles.feed"))
        == 0
    )


def test_cron_mode_in_a_bare_environment(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site), timezone="Asia/Almaty")
    done = run_like_cron(["--config", str(config.source), "run"], tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and re.match(r"5 new articles; brief \d{4}-W\d\d: written", lines[0]), lines
    html = next((tmp_path / "reports").glob("*/brief.html")).read_text(encoding="utf-8")
    assert "(Asia/Almaty)" in html  # the time zone comes from the configuration, not TZ


def test_run_quiet_prints_only_when_a_brief_was_written_or_sent(
    tmp_path: Path, sample_site: SampleSite
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    first = run_like_cron(["--config", str(config.source), "run", "--quiet"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert re.fullmatch(
        r"5 new articles; brief \d{4}-W\d\d: written \(no e-mail configured\)\n", first.stdout
    )
    again = run_like_cron(["--config", str(config.source), "run", "--quiet"], tmp_path)
    assert again.returncode == 0 and again.stdout == "" and again.stderr == "", again
    loud = run_like_cron(["--config", str(config.source), "run"], tmp_path)
    assert "already delivered" in loud.stdout


def test_the_scheduler_is_configured_for_downtime_and_overlap(tmp_path: Path) -> None:
    config = write_config(tmp_path, [], timezone="Europe/Berlin")
    scheduler = build_scheduler(config, lambda kind: None)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {"fetch", "brief"}
    defaults = scheduler._job_defaults  # what every job gets
    assert defaults["coalesce"] is True and defaults["max_instances"] == 1
    assert defaults["misfire_grace_time"] == 12 * 3600  # hours, not APScheduler's 1 second
    brief = str(jobs["brief"].trigger)
    assert "day_of_week='mon'" in brief and "hour='7'" in brief and "minute='0'" in brief
    assert "Europe/Berlin" in str(jobs["brief"].trigger.timezone)
    assert jobs["fetch"].trigger.interval.total_seconds() == 6 * 3600


@pytest.mark.slow
def test_the_daemon_catches_up_logs_its_plan_and_stops_on_sigterm(
    tmp_path: Path, sample_site: SampleSite
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site), timezone="Asia/Almaty")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    command = [sys.executable, "-m", "briefing", "--config", str(config.source), "daemon"]
    daemon = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        log = _read_until(daemon, "catch-up: brief", timeout=120)
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 75 and "another briefing run" in second.stderr
        daemon.send_signal(signal.SIGTERM)
        _, rest = daemon.communicate(timeout=60)
    finally:
        daemon.kill()
    log += rest
    assert daemon.returncode == 0, log
    assert "daemon started" in log and "next fetch" in log and "daemon stopped" in log
    assert re.search(r"catch-up: brief \d{4}-W\d\d written", log), log
    assert list((tmp_path / "reports").glob("*/brief.pdf"))
    # Times in the configured zone with its offset; one line per feed, none per HTTP request.
    lines = [x for x in log.splitlines() if x.strip()]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:00 briefing: ", x) for x in lines), lines
    assert "HTTP Request" not in log
    assert sum("feed caci-analytical:" in x for x in lines) == 1, lines


@pytest.mark.slow
def test_sigterm_while_the_daemon_is_fetching_stops_it_after_that_step(
    tmp_path: Path, sample_site: SampleSite
) -> None:
    def stall(request: Any) -> None:
        time.sleep(4)  # longer than the test waits before SIGTERM, shorter than the fetch deadline
        return None

    sample_site.server.route("/feed/", stall)
    config = write_config(tmp_path, site_feeds(sample_site), timezone="Asia/Almaty")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    command = [sys.executable, "-m", "briefing", "--config", str(config.source), "daemon"]
    daemon = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        log = _read_until(daemon, "catch-up: running", timeout=60)
        time.sleep(0.5)  # inside the fetch, which waits 4 s for the stalled feed
        daemon.send_signal(signal.SIGTERM)
        _, rest = daemon.communicate(timeout=90)
    finally:
        daemon.kill()
    log += rest
    assert daemon.returncode == 0, log
    assert "stopping" in log and "daemon stopped" in log and "Traceback" not in log
    assert "catch-up: brief" in log and "stopped" in log.split("catch-up: brief", 1)[1]
    assert not (tmp_path / "reports").exists()  # stopped before the brief


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
    assert marker in seen, seen
    return seen


def test_systemd_units_and_crontab_line_in_the_readme_parse() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    units = dict(re.findall(r"```ini\n# (\S+\.(?:service|timer))\n(.*?)```", readme, re.S))
    assert set(units) == {
        "briefing.service",
        "briefing-run.service",
        "briefing-run.timer",
        "briefing-worker@.service",
        "briefing-scheduler.service",
    }
    for name, text in units.items():
        parser = configparser.ConfigParser(strict=True, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(text)
        assert parser.has_section("Unit") and parser.has_section(
            "Install" if name != "briefing-run.service" else "Service"
        )
        if name.endswith(".service"):
            start = parser["Service"]["ExecStart"]
            assert start.split()[0].startswith("/") and " --config /" in start
            assert start.split()[-1] in ("daemon", "run") or " worker --concurrency " in start
        else:
            assert (
                parser["Timer"]["Unit"] == "briefing-run.service" and parser["Timer"]["Persistent"] == "true"
            )
        # systemd reads a # as a comment only at the start of a line
        assert not [v for section in parser.values() for v in section.values() if " #" in v], name
    daemon = configparser.ConfigParser(interpolation=None)
    daemon.read_string(units["briefing.service"])
    assert daemon["Service"]["KillSignal"] == "SIGTERM" and daemon["Service"]["Restart"] == "on-failure"
    cron = re.search(r"```crontab\n(.*?)```", readme, re.S)
    assert cron is not None
    line = next(x for x in cron.group(1).splitlines() if x and not x.startswith("#"))
    fields = line.split()
    assert len(fields) >= 6 and fields[5].startswith("/") and "run" in fields and "--quiet" in fields


# --- delivery by e-mail through `run`, against a real SMTP server on loopback ------------------------


def with_email(config: Config, port: int, **options: Any) -> Config:
    document = yaml.safe_load(config.source.read_text(encoding="utf-8"))
    document["delivery"] = {
        "email": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "sender": "Briefing <brief@example.org>",
            "recipients": ["ana@example.org"],
            "timeout": 5,
            **options,
        }
    }
    config.source.write_text(yaml.safe_dump(document), encoding="utf-8")
    return load_config(config.source, env={})


def test_run_sends_the_brief_once_and_records_it_after_acceptance(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    clock.now = MONDAY_8
    handler = Recorder()
    with smtp_server(handler) as smtp:
        config = with_email(write_config(tmp_path, site_feeds(sample_site)), smtp.port)
        first = run(config, clock=clock)
        assert first.action == "sent", first.detail
        message = handler.message()
        assert message["Subject"].endswith("Week 47, 2026: 16–22 November 2026")
        pdf = next(message.iter_attachments())
        assert pdf.get_content() == (tmp_path / "reports" / "2026-W47" / "brief.pdf").read_bytes()
        clock.advance(hours=1)
        assert run(config, clock=clock).action == "already_done"
        assert len(handler.received) == 1
    with Store.open(config.settings.store_location) as store:
        ledger = store.delivery("2026-W47")
    assert ledger is not None and ledger.status == "sent" and ledger.recipients == ("ana@example.org",)
    assert ledger.message_id == message["Message-ID"] and ledger.sent_at == MONDAY_8
    status = CliRunner().invoke(cli, ["--config", str(config.source), "status"])
    line = next(x for x in status.stdout.splitlines() if x.startswith("brief 2026-W47"))
    assert "sent 2026-11-23 08:00 UTC to ana@example.org as <briefing.2026-W47." in line
    assert line.endswith("2026-W47/brief.pdf)")


def test_a_temporary_failure_is_retried_by_the_next_run(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    clock.now = MONDAY_8
    handler = Recorder(data_reply="451 4.3.0 try again later")
    with smtp_server(handler) as smtp:
        config = with_email(write_config(tmp_path, site_feeds(sample_site)), smtp.port)
        failed = run(config, clock=clock)
        assert failed.action == "retry" and "451" in failed.detail and not failed.ok
        handler.data_reply = None
        clock.advance(hours=1)
        assert run(config, clock=clock).action == "sent"
    with Store.open(config.settings.store_location) as store:
        ledger = store.delivery("2026-W47")
    assert ledger is not None and ledger.status == "sent" and ledger.attempts == 2


def test_a_permanent_failure_is_reported_once_and_not_retried_until_forced(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    clock.now = MONDAY_8
    handler = Recorder(data_reply="550 5.7.1 message refused")
    with smtp_server(handler) as smtp:
        config = with_email(write_config(tmp_path, site_feeds(sample_site)), smtp.port)
        assert run(config, clock=clock).action == "failed"
        handler.data_reply = None
        clock.advance(hours=1)
        again = run(config, clock=clock)
        assert again.action == "not_retried" and "550" in again.detail and handler.received == []
        assert run(config, force=True, clock=clock).action == "sent"
        assert len(handler.received) == 1


def test_a_deliberate_resend_gets_a_new_message_id_that_refers_to_the_first(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    clock.now = MONDAY_8
    handler = Recorder()
    with smtp_server(handler) as smtp:
        config = with_email(write_config(tmp_path, site_feeds(sample_site)), smtp.port)
        assert run(config, clock=clock).action == "sent"
        first = handler.message()
        assert first["References"] is None
        handler.data_reply = "451 4.3.0 try again later"  # the resend fails for now ...
        assert run(config, force=True, clock=clock).action == "retry"
        handler.data_reply = None
        assert run(config, clock=clock).action == "sent"  # ... and its retry keeps the resend's id
        resent = handler_message(handler.received[-1])
        week = iso_week(2026, 47, "UTC")
        assert run(config, period=week, force=True, clock=clock).action == "sent"
        third = handler_message(handler.received[-1])
    ids = [first["Message-ID"], resent["Message-ID"], third["Message-ID"]]
    assert len(set(ids)) == 3 and all(i.startswith("<briefing.2026-W47.") for i in ids)
    for again in (resent, third):
        assert again["References"] == first["Message-ID"] and again["In-Reply-To"] == first["Message-ID"]
    with Store.open(config.settings.store_location) as store:
        ledger = store.delivery("2026-W47")
    assert ledger is not None and ledger.first_message_id == first["Message-ID"]
    assert ledger.message_id == third["Message-ID"]


def test_two_data_folders_sending_the_same_week_do_not_share_a_message_id(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    clock.now = MONDAY_8
    handler = Recorder()
    with smtp_server(handler) as smtp:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            config = with_email(write_config(tmp_path / name, site_feeds(sample_site)), smtp.port)
            assert run(config, clock=clock).action == "sent"
    ids = {handler_message(e)["Message-ID"] for e in handler.received}
    assert len(handler.received) == 2 and len(ids) == 2


def test_any_period_can_be_delivered_by_run_and_by_report_send(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    clock.now = MONDAY_8
    handler = Recorder()
    with smtp_server(handler) as smtp:
        config = with_email(write_config(tmp_path, site_feeds(sample_site)), smtp.port)
        earlier = run(config, period=iso_week(2026, 46, "UTC"), clock=clock)
        assert earlier.action == "sent" and earlier.period.label == "2026-W46" and earlier.missed == ()
        assert handler.message()["Subject"].endswith("Week 46, 2026: 9–15 November 2026")
        args = ["--config", str(config.source), "report", "--period", "2026-W46", "--send"]
        sent = CliRunner().invoke(cli, args)
        assert sent.exit_code == 0 and sent.stdout.startswith(
            "brief 2026-W46: sent (sent to ana@example.org as <"
        )
        assert len(handler.received) == 2
        refused = CliRunner().invoke(cli, [*args, "--format", "pdf"])
        assert refused.exit_code == 2 and "--send: sends what the reports folder holds" in refused.stderr
    (tmp_path / "plain").mkdir()
    no_mail = write_config(tmp_path / "plain", [])
    done = CliRunner().invoke(cli, ["--config", str(no_mail.source), "report", "--send"])
    assert done.exit_code == 2 and done.stderr == (
        f"briefing: error: --send: no delivery.email in {no_mail.source}; configure it to send briefs\n"
    )


@pytest.mark.slow
def test_a_crash_after_the_server_accepted_sends_again_with_the_same_message_id(
    tmp_path: Path, sample_site: SampleSite
) -> None:
    handler = Recorder()
    with smtp_server(handler) as smtp:
        config = with_email(write_config(tmp_path, site_feeds(sample_site)), smtp.port)
        args = ["--config", str(config.source), "run"]
        crashed = run_cli(args, env={"BRIEFING_TEST_CRASH_AT": "after_smtp_accept"}, timeout=180)
        assert crashed.returncode == 137, crashed.stderr
        assert len(handler.received) == 1
        with Store.open(config.settings.store_location) as store:
            period = store.deliveries()[0]
        assert period.status == "rendered"  # accepted, but the ledger never heard of it
        rerun = run_cli(args, timeout=180)
        assert rerun.returncode == 0 and ": sent" in rerun.stdout, rerun.stderr
        third = run_cli(args, timeout=180)
        assert third.returncode == 0 and "already delivered" in third.stdout
    assert len(handler.received) == 2
    ids = {handler_message(e)["Message-ID"] for e in handler.received}
    assert len(ids) == 1  # the same message twice: a client can tell it is a duplicate


def handler_message(envelope: Any) -> Any:
    from email import message_from_bytes, policy

    return message_from_bytes(envelope.original_content, policy=policy.default)


def test_a_server_size_limit_below_ours_sends_the_brief_without_the_pdf(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    class SizeLimited(Recorder):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            if b"application/pdf" in envelope.original_content:
                return "552 5.3.4 Message size exceeds fixed limit"
            return await super().handle_DATA(server, session, envelope)

    clock.now = MONDAY_8
    handler = SizeLimited()
    with smtp_server(handler) as smtp:
        config = with_email(write_config(tmp_path, site_feeds(sample_site)), smtp.port)
        result = run(config, clock=clock)
    assert result.action == "sent", result.detail
    message = handler.message()
    assert list(message.iter_attachments()) == []
    plain = message.get_body(("plain",))
    assert plain is not None and "refused the message with the PDF as too large" in plain.get_content()


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ({"recipients": ["ana@example.org, eve@example.org"]}, "more than one address"),
        ({"username_env": "SMTP_USER", "password_env": "SMTP_PASS"}, "never sent without TLS"),
        ({"sender": None}, "delivery.email.sender: required"),
    ],
)
def test_e_mail_configuration_mistakes_are_caught_before_any_work(
    tmp_path: Path, email: dict[str, Any], problem: str
) -> None:
    config = write_config(tmp_path, [])
    with pytest.raises(ConfigError, match=problem):
        with_email(config, 25, **email)
