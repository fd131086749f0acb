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
from functools import partial
from pathlib import Path

from briefing.clock import Clock, utc_now
from briefing.config import Config
from briefing.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from briefing.lock import RunLock
from briefing.models import Brief, Delivery, FetchReport
from briefing.models.vocabulary import DeliveryAction
from briefing.period import Period
from briefing.pipeline.fetching import fetch
from briefing.schedule import latest_due, missed_between
from briefing.store import Store
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What a run did. `action`: already_done, not_retried, written, sent, retry, failed, stopped."""

    fetched: FetchReport
    period: Period
    action: DeliveryAction
    detail: str = ""
    files: tuple[Path, ...] = ()
    missed: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.action not in ("retry", "failed", "not_retried")

    @property
    def new_articles(self) -> int:
        return self.fetched.new

    @property
    def failed_feeds(self) -> tuple[str, ...]:
        """The feeds whose fetch ended in an error this run."""
        return tuple(f.name for f in self.fetched.feeds if f.error)


def run(
    config: Config,
    *,
    period: Period | None = None,
    force: bool = False,
    clock: Clock = utc_now,
    env: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """One unattended run: fetch, then produce and deliver the brief of `period` (default: the latest due
    week) unless the ledger says it was delivered. Holds the run lock throughout; raises
    `RunLockedError` if another run has it.

    `env` holds the SMTP credentials (default: the process environment). When `stop` is set (the daemon
    is stopping), the run ends after its current step with action "stopped".
    """
    settings = config.settings
    with RunLock(settings.data_dir):
        fetched = fetch(config, clock=clock)
        chosen = period or latest_due(clock(), settings.timezone, config.schedule.brief)
        if stop is not None and stop.is_set():
            return RunResult(fetched, chosen, "stopped", "stopping before the brief")
        missed: tuple[str, ...] = ()
        if period is None:
            with Store.open(settings.store_location) as store:
                missed = tuple(missed_between(store.last_delivered(), chosen))
            if missed:
                log.warning(
                    "not briefed: %s (only the latest due week is made; `run --period` makes others)",
                    ", ".join(missed),
                )
        done = deliver(config, chosen, force=force, refresh=force, clock=clock, env=env)
        return RunResult(fetched, chosen, done.action, done.detail, done.files, missed)


@dataclass(frozen=True)
class Delivered:
    """What delivering one period's brief did. `action`: already_done, not_retried, written, sent, retry,
    failed."""

    period: Period
    action: DeliveryAction
    detail: str = ""
    files: tuple[Path, ...] = ()


def deliver(
    config: Config,
    period: Period,
    *,
    force: bool = False,
    refresh: bool = False,
    clock: Clock = utc_now,
    env: Mapping[str, str] | None = None,
) -> Delivered:
    """Write the brief of `period` and e-mail it, unless the ledger says it was delivered (then only with
    `force`: a deliberate resend, with a new Message-ID that refers to the first). `refresh` analyses the
    period anew instead of re-rendering its saved brief. Holds the run lock, and on a shared (PostgreSQL)
    store the cluster's brief lock: a brief job taken over while its first worker still finishes it, or
    a `briefing run` on another machine, waits and then finds it delivered instead of sending it twice."""
    with RunLock(config.settings.data_dir), Store.open(config.settings.store_location) as store:
        if store.postgres:
            from briefing.store.postgres import BRIEF_LOCK

            with store.exclusive(BRIEF_LOCK):
                return _deliver_locked(config, period, store, force, refresh, clock, env)
        return _deliver_locked(config, period, store, force, refresh, clock, env)


def _deliver_locked(
    config: Config,
    period: Period,
    store: Store,
    force: bool,
    refresh: bool,
    clock: Clock,
    env: Mapping[str, str] | None,
) -> Delivered:
    before = store.delivery(period.label)  # rendering does not touch the ledger: read it once
    skip = _skip(before, config, force)
    if skip:
        return Delivered(period, skip[0], skip[1])
    # Imported only when a brief is to be made: analysis and rendering bring scikit-learn and
    # WeasyPrint, seconds of start-up that a run with nothing due should not pay.
    from briefing.pipeline.reporting import report

    written = report(config, period, refresh=refresh, clock=clock)
    files = tuple(written.files)
    email = config.email
    store.record_rendered(period.label, files, "rendered" if email.enabled else "written", clock())
    crash_point("after_rendered", period.label)
    if not email.enabled:
        return Delivered(period, "written", "no e-mail configured", files)
    action, detail = _deliver(config, written.brief, period, files, store, clock, env, before)
    return Delivered(period, action, detail, files)


def delivery_due(done: Delivery | None, config: Config) -> bool:
    """Whether a period whose ledger row is `done` is still to be delivered (as `run` decides)."""
    return _skip(done, config, force=False) is None


def _skip(done: Delivery | None, config: Config, force: bool) -> tuple[DeliveryAction, str] | None:
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
    before: Delivery | None,
) -> tuple[DeliveryAction, str]:
    """Send the brief and record the outcome in the ledger: ("sent" | "retry" | "failed", detail)."""
    from briefing import mail

    email = config.email
    assert email.sender is not None
    pdf_path = next((p for p in files if p.suffix == ".pdf"), None)
    message_id, refers_to = _message_id(period, brief, config, store, before)
    from briefing.render import email_html  # here: a run with nothing due renders nothing

    html_part = partial(email_html, templates_dir=config.settings.templates_dir)
    environment = os.environ if env is None else env
    try:
        pdf = pdf_path.read_bytes() if pdf_path else None
        built = mail.build_message(
            brief,
            pdf,
            email,
            message_id=message_id,
            now=clock(),
            html_part=html_part,
            refers_to=refers_to,
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
                html_part=html_part,
                refers_to=refers_to,
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


def _message_id(
    period: Period, brief: Brief, config: Config, store: Store, before: Delivery | None
) -> tuple[str, str | None]:
    """(Message-ID, the first sending's id a resend refers to). A sending that did not finish (a crash,
    a failure) is retried with its own id; a brief already sent is being resent on purpose: a new id."""
    from briefing import mail

    email = config.email
    assert email.sender is not None
    if before is not None and before.message_id:
        first = before.first_message_id or (before.message_id if before.status == "sent" else None)
        if before.status == "sent":
            return mail.resend_id(period.label, before.message_id), first
        return before.message_id, first if first != before.message_id else None
    return mail.message_id_for(
        period.label, email.sender, email.recipients, brief.title, store.instance()
    ), None
