"""`briefing run`: fetch, then, when a brief is due and not yet delivered, write it and e-mail it.

What is due comes from the schedule and the ledger (`deliveries`): the newest week whose brief is due
(`schedule.latest_due`) is produced once. Delivery is recorded only after the SMTP server accepted the
message, so a crash in between sends it again on the next run, with the same Message-ID. A temporary
failure is retried on the next run; a permanent one is reported and left alone until `--force`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from briefing.config import Config
from briefing.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from briefing.lock import RunLock
from briefing.models import Brief, Delivery, FetchReport
from briefing.period import Period
from briefing.pipeline.fetching import Clock, fetch, utc_now
from briefing.pipeline.reporting import report
from briefing.schedule import latest_due, missed_between
from briefing.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What a run did. `action`: already_done, not_retried, written, sent, retry, failed, stopped."""

    fetched: FetchReport | None
    period: Period
    action: str
    detail: str = ""
    files: tuple[Path, ...] = ()
    missed: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.action not in ("retry", "failed", "not_retried")


def run(
    config: Config,
    *,
    force: bool = False,
    fetch_feeds: bool = True,
    clock: Clock = utc_now,
    env: Mapping[str, str] | None = None,
    sender: Callable[..., str] | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """One unattended run. Holds the run lock throughout; raises `RunLockedError` if another run has it.

    `fetch_feeds=False` skips the fetch. `sender` and `env` are for the e-mail step (defaults:
    `mail.send`, the process environment). When `stop` is set (the daemon is stopping), the run ends
    after its current step with action "stopped".
    """
    settings = config.settings
    with RunLock(settings.data_dir):
        fetched = fetch(config, clock=clock) if fetch_feeds else None
        now = clock()
        period = latest_due(now, settings.timezone, config.schedule.brief)
        if stop is not None and stop.is_set():
            return RunResult(fetched, period, "stopped", "stopping before the brief")
        with Store.open(settings.database) as store:
            done = store.delivery(period.label)
            missed = tuple(missed_between(store.last_delivered(), period))
        if missed:
            log.warning(
                "not briefed: %s (only the latest due week is made; `briefing report --period` makes one)",
                ", ".join(missed),
            )
        skip = _skip(done, config, force)
        if skip:
            return RunResult(fetched, period, skip[0], skip[1], missed=missed)
        written = report(config, period, refresh=force, clock=clock)
        files = tuple(written.files)
        email = config.email
        with Store.open(settings.database) as store:
            store.record_rendered(period.label, files, "rendered" if email.enabled else "written", clock())
        if not email.enabled:
            return RunResult(fetched, period, "written", "no e-mail configured", files, missed)
        return _deliver(config, written.brief, period, files, clock, env, sender, fetched, missed)


def _skip(done: Delivery | None, config: Config, force: bool) -> tuple[str, str] | None:
    if force or done is None:
        return None
    if done.status == "sent" or (done.status == "written" and not config.email.enabled):
        when = done.sent_at or done.rendered_at
        again = "sends" if config.email.enabled else "writes"
        return "already_done", f"delivered {when:%Y-%m-%d %H:%M} UTC; --force {again} it again"
    if done.status == "failed":
        return "not_retried", f"delivery failed permanently: {done.last_error}; fix it, then use --force"
    return None  # rendered but not sent, or a temporary failure: try again


def _deliver(
    config: Config,
    brief: Brief,
    period: Period,
    files: tuple[Path, ...],
    clock: Clock,
    env: Mapping[str, str] | None,
    sender: Callable[..., str] | None,
    fetched: FetchReport | None,
    missed: tuple[str, ...],
) -> RunResult:
    from briefing import mail

    email = config.email
    assert email.sender is not None
    pdf_path = next((p for p in files if p.suffix == ".pdf"), None)
    message_id = mail.message_id_for(period.label, email.sender, email.recipients, brief.title)
    now = clock()
    database = config.settings.database
    send = sender or mail.send
    environment = os.environ if env is None else env
    try:
        pdf = pdf_path.read_bytes() if pdf_path else None
        built = mail.build_message(brief, pdf, email, message_id=message_id, now=now)
        try:
            reply = send(built.message, email, environment)
        except PermanentDeliveryError as e:
            if not (e.too_large and built.attached and email.attachment_fallback):
                raise
            # The server's size limit is lower than ours: the brief goes out without the PDF.
            reason = "the mail server refused the message with the PDF as too large; see the reports folder"
            built = mail.build_message(brief, pdf, email, message_id=message_id, now=now, left_out=reason)
            reply = send(built.message, email, environment)
    except DeliveryError as e:
        permanent = not isinstance(e, TemporaryDeliveryError)
        with Store.open(database) as store:
            store.record_failure(period.label, message_id, str(e), permanent, clock())
        action = "failed" if permanent else "retry"
        return RunResult(fetched, period, action, str(e), files, missed)
    with Store.open(database) as store:
        store.record_sent(period.label, message_id, email.recipients, reply, clock())
    note = f"; {built.note}" if built.note else ""
    return RunResult(
        fetched, period, "sent", f"sent to {', '.join(email.recipients)} as {message_id}{note}", files, missed
    )
