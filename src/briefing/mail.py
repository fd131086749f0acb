"""E-mail delivery: a Brief (and its PDF) -> an EmailMessage, sent over SMTP. The only smtplib/email import.

Delivery is at-least-once: a brief re-sent after a crash carries the same Message-ID, so mail clients can
recognise the second copy. Failures are `TemporaryDeliveryError` (retry next run) or `PermanentDeliveryError`
(someone must fix something), each one line naming host:port and, when there is one, the SMTP code.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from briefing import wording
from briefing.config import EmailSettings
from briefing.errors import PermanentDeliveryError, TemporaryDeliveryError
from briefing.models import Brief
from briefing.testing_hooks import crash_point
from briefing.urls import is_http_url

__all__ = ["BuiltMessage", "HtmlPart", "build_message", "message_id_for", "resend_id", "send"]

_MIB = 1024 * 1024
# The HTML part is made by the caller (rendering is not delivery's business): (brief, links, the line about
# the attachment) -> HTML; `render.email_html` in the product.
HtmlPart = Callable[[Brief, Sequence[tuple[str, str]], str], str]
# Every line break Python's str.splitlines() knows, tabs and other control whitespace.
_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f\x85\u2028\u2029]+")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9.-]+")


@dataclass(frozen=True)
class BuiltMessage:
    """A message ready to send; `attached` tells whether the PDF is in it, `note` why not."""

    message: EmailMessage
    attached: bool
    note: str


def _one_line(text: str) -> str:
    """`text` with every run of whitespace or control characters (line breaks included) as one space."""
    return _WHITESPACE.sub(" ", text).strip()


def message_id_for(
    period_label: str, sender: str, recipients: Sequence[str], title: str, instance: str = ""
) -> str:
    """The Message-ID of a period's brief for one audience from one data folder (`instance`): the same
    inputs always give the same id, so a retry after a crash is recognisable as the same message."""
    audience = "|".join(sorted(r.strip().lower() for r in recipients))
    digest = hashlib.sha256(f"{period_label}|{title}|{audience}|{instance}".encode()).hexdigest()[:16]
    domain = _safe_id_part(parseaddr(sender)[1].rpartition("@")[2]) or "localhost"
    return f"<briefing.{_safe_id_part(period_label)}.{digest}@{domain}>"


def resend_id(period_label: str, previous: str) -> str:
    """The Message-ID of a deliberate resend of the message sent as `previous`: new, and the same for
    every retry of that resend."""
    digest = hashlib.sha256(f"{previous}|resend".encode()).hexdigest()[:16]
    domain = previous.strip("<>").rpartition("@")[2] or "localhost"
    return f"<briefing.{_safe_id_part(period_label)}.{digest}@{domain}>"


def _safe_id_part(text: str) -> str:
    return _UNSAFE_ID.sub("-", text).strip("-.")


# --- building ---------------------------------------------------------------------------------------


def build_message(
    brief: Brief,
    pdf: bytes | None,
    settings: EmailSettings,
    *,
    message_id: str,
    now: datetime,
    links: Sequence[tuple[str, str]] = (),
    html_part: HtmlPart,
    left_out: str = "",
    refers_to: str | None = None,
) -> BuiltMessage:
    """The e-mail for `brief`: a text and an HTML body, the PDF attached when it fits.

    Both bodies carry the brief's first page (templates/email.html for the HTML part); `links` are
    (label, URL) pairs listed after it (e.g. where the brief is published);
    `left_out`, when given, is why the PDF is not attached (said in both bodies).
    Returns a `BuiltMessage`. Raises `PermanentDeliveryError` when the sender or recipients are missing or
    malformed, or when the PDF is too large and `settings.attachment_fallback` is off.
    """
    attach, note = (False, left_out) if left_out else _attachment_decision(pdf, settings)
    all_links = _link_list(links)
    # Folding a header at 78 columns next to a non-ASCII word doubles a space (CPython's folder); RFC 5322
    # allows 998. Bodies are quoted-printable either way, so no line is long and no server needs 8BITMIME.
    message = EmailMessage(policy=policy.default.clone(max_line_length=998))
    _set_headers(message, brief, settings, message_id=message_id, now=now)
    if refers_to:  # a deliberate resend: mail clients thread it with the first sending
        message["References"] = refers_to
        message["In-Reply-To"] = refers_to
    message.set_content(_text_body(brief, all_links, note), cte="quoted-printable")
    html_body = html_part(brief, all_links, _attachment_line(brief, note))
    message.add_alternative(html_body, subtype="html", cte="quoted-printable")
    if attach and pdf is not None:
        filename = f"brief-{_safe_id_part(brief.period_label) or 'period'}.pdf"
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return BuiltMessage(message=message, attached=attach, note=note)


def _attachment_decision(pdf: bytes | None, settings: EmailSettings) -> tuple[bool, str]:
    if pdf is None:
        return False, "no PDF to attach"
    limit = settings.max_attachment_mb * _MIB
    if len(pdf) <= limit:
        return True, ""
    size = f"the PDF ({len(pdf) / _MIB:.1f} MiB) is larger than the {settings.max_attachment_mb:g} MiB limit"
    if not settings.attachment_fallback:
        raise PermanentDeliveryError(f"{size} for attachments and attachment_fallback is off")
    return False, f"{size} for attachments and was left out; the reports folder keeps it"


def _set_headers(
    message: EmailMessage, brief: Brief, settings: EmailSettings, *, message_id: str, now: datetime
) -> None:
    if not settings.sender or not settings.recipients:
        raise PermanentDeliveryError("e-mail needs a sender and at least one recipient")
    message["Subject"] = _one_line(f"{brief.title}: {brief.period_text}")
    try:
        # The policy refuses CR/LF in header values: an address can never start a new header.
        message["From"] = settings.sender
        message["To"] = ", ".join(settings.recipients)
        message["Message-ID"] = message_id
    except ValueError as e:
        raise PermanentDeliveryError(f"invalid e-mail header: {_one_line(str(e))}") from e
    message["Date"] = format_datetime(now)


def _link_list(links: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(label, URL) pairs given by the caller (e.g. where the brief is published); http(s) only."""
    return [(_one_line(label), url.strip()) for label, url in links if is_http_url(url)]


def _attachment_line(brief: Brief, note: str) -> str:
    if note:
        return f"Note: {note}."
    return f"The full brief is attached as a PDF (brief-{_safe_id_part(brief.period_label)}.pdf)."


def _text_body(brief: Brief, links: Sequence[tuple[str, str]], note: str) -> str:
    """The first page of the brief as plain text: the week in brief, counts, failing sources."""
    lines = [_one_line(f"{brief.title}: {brief.period_text}"), ""]
    if brief.sample:
        lines += ["SAMPLE DATA: written for the briefing demo, not the publishers' work.", ""]
    lines += ["The week in brief", ""]
    for number, item in enumerate(brief.key, 1):
        lines.append(f"{number}. {_one_line(item.title)}")
        if item.quote is not None:
            lines.append(f"   “{_one_line(wording.shortened(item.quote.text))}”")
        when = f", {wording.day(item.published, brief.timezone)}" if item.published else ""
        kind = wording.class_in_words(item.kind, item.develops, item.last_heard)
        lines.append(f"   {_one_line(item.publisher)}{when} · {_one_line(kind)}")
        if is_http_url(item.url):
            lines.append(f"   {item.url.strip()}")
        lines.append("")
    if not brief.key:
        lines += ["No new stories or developments in this period.", ""]
    lines.append(wording.counts_in_words(brief.counts))
    if wording.empty_baseline(brief):
        lines.append(wording.empty_baseline(brief))
    if brief.failing:
        lines.append(_one_line(wording.failing_in_words(brief)))
    lines.append("")
    if links:
        lines += [f"{label}: {url}" for label, url in links] + [""]
    lines.append(_attachment_line(brief, note))
    return "\n".join(lines) + "\n"


# --- sending ----------------------------------------------------------------------------------------


def send(
    message: EmailMessage,
    settings: EmailSettings,
    env: Mapping[str, str],
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> str:
    """Send `message` to `settings.recipients` through the configured SMTP server.

    `env` holds the credentials named by `username_env` / `password_env`; `ssl_context` replaces the
    system trust store (tests pass one trusting their CA). Returns one line saying where the message
    went, its Message-ID and any recipients the server refused (when it took the rest).
    Raises `TemporaryDeliveryError` or `PermanentDeliveryError`; nothing is sent in clear when
    security is starttls.
    """
    if not settings.host or not settings.sender or not settings.recipients:
        raise PermanentDeliveryError("e-mail needs a host, a sender and at least one recipient")
    where = f"{settings.host}:{settings.effective_port}"
    credentials = _credentials(settings, env)  # before connecting: a missing secret needs no network
    context = ssl_context or ssl.create_default_context()
    with _errors_as_delivery_errors(where, settings.timeout):
        smtp = _client(settings, context)
        # The timeout bounds each read; a server that drips a byte at a time needs a deadline for the
        # whole conversation (greeting included), or the run would hold the lock for ever.
        deadline = threading.Timer(settings.timeout * _DEADLINE_FACTOR, _abort, args=(smtp,))
        deadline.daemon = True
        deadline.start()
        try:
            code, greeting = smtp.connect(settings.host, settings.effective_port)
            if code != 220:  # what smtplib checks only when it connects in its constructor
                raise smtplib.SMTPConnectError(code, greeting)
            if settings.security == "starttls":
                _start_tls(smtp, context, where)
            if credentials is not None:
                _login(smtp, credentials, where)
            refused = smtp.send_message(message, from_addr=settings.sender, to_addrs=settings.recipients)
            crash_point("after_smtp_accept", str(message["Message-ID"]))
            # The message is accepted: a failed goodbye changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        finally:
            deadline.cancel()
            smtp.close()
    return _sent_text(where, message, settings.recipients, refused)


_DEADLINE_FACTOR = 4  # connect, TLS, login and data, each within `timeout`


def _abort(smtp: smtplib.SMTP) -> None:
    sock = getattr(smtp, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _credentials(settings: EmailSettings, env: Mapping[str, str]) -> tuple[str, str] | None:
    if not settings.username_env:
        return None
    if not settings.password_env:
        raise PermanentDeliveryError("delivery.email.username_env is set but password_env is not")
    values = []
    for name in (settings.username_env, settings.password_env):
        value = env.get(name)
        if not value:
            raise PermanentDeliveryError(f"the environment variable {name} (SMTP credentials) is not set")
        values.append(value)
    return values[0], values[1]


def _login(smtp: smtplib.SMTP, credentials: tuple[str, str], where: str) -> None:
    try:
        smtp.login(*credentials)
    except (UnicodeError, ValueError):
        # smtplib encodes AUTH as ASCII; never show the exception: its text carries the secret.
        raise PermanentDeliveryError(
            f"SMTP {where}: the user name or password contains characters SMTP AUTH cannot send"
        ) from None


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP that closes its socket when the greeting fails (the stock one leaves it open) and
    knows the server's name for TLS when it connects after construction."""

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> Any:
        self._host = host  # smtplib sets the TLS server name only in its constructor
        try:
            return super().connect(host, port, source_address)
        except BaseException:
            self.close()
            raise


class _SMTPSSL(smtplib.SMTP_SSL, _SMTP):
    """Implicit TLS with the same care for the socket."""


def _client(settings: EmailSettings, context: ssl.SSLContext) -> smtplib.SMTP:
    """An unconnected client (connecting reads the greeting, which the deadline must cover too)."""
    if settings.security == "tls":
        return _SMTPSSL(timeout=settings.timeout, context=context)
    return _SMTP(timeout=settings.timeout)


def _start_tls(smtp: smtplib.SMTP, context: ssl.SSLContext, where: str) -> None:
    smtp.ehlo()
    if not smtp.has_extn("starttls"):
        raise PermanentDeliveryError(
            f"SMTP {where}: server does not offer STARTTLS; refusing to send in clear"
        )
    smtp.starttls(context=context)
    smtp.ehlo()  # the capabilities before TLS no longer count (RFC 3207)


def _sent_text(
    where: str,
    message: EmailMessage,
    recipients: Sequence[str],
    refused: Mapping[str, tuple[int, bytes]],
) -> str:
    text = f"accepted by {where} for {len(recipients) - len(refused)} recipient(s) as {message['Message-ID']}"
    if refused:
        text += "; refused: " + ", ".join(f"{addr} ({_reply(*reply)})" for addr, reply in refused.items())
    return text


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _one_line(f"{code} {text}")


@contextlib.contextmanager
def _errors_as_delivery_errors(where: str, timeout: float) -> Iterator[None]:
    """Turn smtplib, ssl and socket failures into one-line delivery errors, temporary or permanent."""
    try:
        yield
    except smtplib.SMTPRecipientsRefused as e:
        replies = "; ".join(f"{addr}: {_reply(*reply)}" for addr, reply in e.recipients.items())
        # One 4xx among them: a later run may reach that recipient.
        temporary = any(400 <= code < 500 for code, _ in e.recipients.values())
        error = TemporaryDeliveryError if temporary else PermanentDeliveryError
        raise error(f"SMTP {where} refused every recipient ({replies})") from e
    except smtplib.SMTPResponseException as e:
        reply = _reply(e.smtp_code, e.smtp_error)
        what = "the login" if isinstance(e, smtplib.SMTPAuthenticationError) else "the message"
        if 500 <= e.smtp_code < 600:
            too_large = e.smtp_code == 552  # RFC 5321: exceeded storage allocation (message size)
            raise PermanentDeliveryError(f"SMTP {where} refused {what}: {reply}", too_large=too_large) from e
        raise TemporaryDeliveryError(f"SMTP {where} refused {what} for now: {reply}") from e
    except smtplib.SMTPServerDisconnected as e:
        if isinstance(e.__context__, TimeoutError):  # smtplib reports a read timeout as a disconnect
            raise TemporaryDeliveryError(f"SMTP {where}: no answer within {timeout:g} s") from e
        raise TemporaryDeliveryError(f"SMTP {where} closed the connection: {_one_line(str(e))}") from e
    except smtplib.SMTPException as e:
        # What is left means the server lacks something we need (AUTH, SMTPUTF8, a login mechanism).
        raise PermanentDeliveryError(f"SMTP {where}: {_one_line(str(e))}") from e
    except ssl.SSLCertVerificationError as e:
        raise PermanentDeliveryError(
            f"SMTP {where}: TLS certificate not trusted: {_one_line(e.verify_message or str(e))}"
        ) from e
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as e:
        # The server hung up during the handshake: a network hiccup, not a broken configuration.
        raise TemporaryDeliveryError(f"SMTP {where}: connection closed during the TLS handshake") from e
    except ssl.SSLError as e:
        raise PermanentDeliveryError(f"SMTP {where}: TLS failed: {_one_line(e.reason or str(e))}") from e
    except TimeoutError as e:
        raise TemporaryDeliveryError(f"SMTP {where}: no answer within {timeout:g} s") from e
    except socket.gaierror as e:
        raise TemporaryDeliveryError(f"SMTP {where}: cannot resolve the host: {e.strerror or e}") from e
    except OSError as e:
        raise TemporaryDeliveryError(f"SMTP {where}: {e.strerror or _one_line(str(e))}") from e
