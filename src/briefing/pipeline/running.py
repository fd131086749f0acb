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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from briefing.config import Config
from briefing.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from briefing.lock import RunLock
from briefing.models import Brief, Delivery, FetchReport
from briefing.period import Period
from briefing.pipeline.fetching import Clock, fetch, utc_now
from briefing.schedule import latest_due, missed_between
from briefing.store import Store
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What a run did. `action`: already_done, not_retried, written, sent, retry, failed, stopped."""

    fetched: FetchReport
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
    clock: Clock = utc_now,
    env: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """One unattended run. Holds the run lock throughout; raises `RunLockedError` if another run has it.

    `env` holds the SMTP credentials (default: the process environment). When `stop` is set (the daemon
    is stopping), the run ends after its current step with action "stopped".
    """
    settings = config.settings
    with RunLock(settings.data_dir):
        fetched = fetch(config, clock=clock)
        period = latest_due(clock(), settings.timezone, config.schedule.brief)
        if stop is not None and stop.is_set():
            return RunResult(fetched, period, "stopped", "stopping before the brief")
        with Store.open(settings.database) as store:
            missed = tuple(missed_between(store.last_delivered(), period))
            if missed:
                log.warning(
                    "not briefed: %s (only the latest due week is made; `report --period` makes others)",
                    ", ".join(missed),
                )
            skip = _skip(store.delivery(period.label), config, force)
            if skip:
                return RunResult(fetched, period, skip[0], skip[1], missed=missed)
            # Imported only when a brief is to be made: analysis and rendering bring scikit-learn and
            # WeasyPrint, seconds of start-up that a run with nothing due should not pay.
            from briefing.pipeline.reporting import report

            written = report(config, period, refresh=force, clock=clock)
            files = tuple(written.files)
            email = config.email
            store.record_rendered(period.label, files, "rendered" if email.enabled else "written", clock())
            crash_point("after_rendered", period.label)
            if not email.enabled:
                return RunResult(fetched, period, "written", "no e-mail configured", files, missed)
            action, detail = _deliver(config, written.brief, period, files, store, clock, env)
        return RunResult(fetched, period, action, detail, files, missed)


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
    store: Store,
    clock: Clock,
    env: Mapping[str, str] | None,
) -> tuple[str, str]:
    """Send the brief and record the outcome in the ledger: ("sent" | "retry" | "failed", detail)."""
    from briefing import mail

    email = config.email
    assert email.sender is not None
    pdf_path = next((p for p in files if p.suffix == ".pdf"), None)
    message_id = mail.message_id_for(period.label, email.sender, email.recipients, brief.title)
    environment = os.environ if env is None else env
    try:
        pdf = pdf_path.read_bytes() if pdf_path else None
        built = mail.build_message(
            brief, pdf, email, message_id=message_id, now=clock(), templates_dir=config.settings.templates_dir
        )
        try:
            reply = mail.send(built.message, email, environment)
        except PermanentDeliveryError as e:
            if not (e.too_large and built.attached and email.attachment_fallback):
                raise
            # The server's size limit is lower than ours: the brief goes out without the PDF.
            reason = "the mail server refused the message with the PDF as too large; see the reports folder"
            built = mail.build_message(
                brief,
                pdf,
                email,
                message_id=message_id,
                now=clock(),
                left_out=reason,
                templates_dir=config.settings.templates_dir,
            )
            reply = mail.send(built.message, email, environment)
    except DeliveryError as e:
        permanent = not isinstance(e, TemporaryDeliveryError)
        store.record_failure(period.label, message_id, str(e), permanent, clock())
        return ("failed" if permanent else "retry"), str(e)
    store.record_sent(period.label, message_id, email.recipients, reply, clock())
    crash_point("after_sent", period.label)
    note = f"; {built.note}" if built.note else ""
    return "sent", f"sent to {', '.join(email.recipients)} as {message_id}{note}"
