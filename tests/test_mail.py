"""E-mail against a real SMTP server on loopback (aiosmtpd in a thread): RELIABILITY.md section G."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from markupsafe import escape

from briefing.config import EmailSettings
from briefing.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from briefing.mail import BuiltMessage, build_message, message_id_for, send
from briefing.models import Brief, KeyItem
from briefing.render import email_html
from briefing.serialize import brief_from_dict
from briefing.wording import class_in_words, counts_in_words, shortened
from conftest import FakeClock, elements

GOLDEN = Path(__file__).parent / "golden" / "brief.json"
SENDER = "Briefing <brief@example.org>"
RECIPIENTS = ("ana@example.org", "ben@example.net")
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 16 + b"\n%%EOF\n"  # every byte value: a copy must be exact


# --- the fake SMTP server ---------------------------------------------------------------------------


class Recorder:
    """aiosmtpd handler: keeps each accepted message; answers RCPT or DATA with a scripted reply."""

    def __init__(self, *, refuse: dict[str, str] | None = None, data_reply: str | None = None) -> None:
        self.refuse = refuse or {}
        self.data_reply = data_reply
        self.received: list[Envelope] = []
        self.logins: list[LoginPassword] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append(envelope)
        return "250 2.0.0 Ok: queued"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        self.logins.append(data)
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"s3cret")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    def message(self) -> EmailMessage:
        """The one message received, parsed."""
        assert len(self.received) == 1
        content = self.received[0].original_content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class LoopbackController(Controller):
    """aiosmtpd on 127.0.0.1 and a free port (Controller itself only knows fixed ports)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(handler: Recorder, **options: Any) -> Iterator[LoopbackController]:
    controller = LoopbackController(handler, hostname="127.0.0.1", port=0, **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@dataclasses.dataclass(frozen=True)
class Tls:
    server: ssl.SSLContext  # the certificate for 127.0.0.1
    client: ssl.SSLContext  # trusts the test CA only


@pytest.fixture(scope="module")
def tls() -> Tls:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return Tls(server, client)


# --- inputs -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def brief() -> Brief:
    return brief_from_dict(json.loads(GOLDEN.read_text(encoding="utf-8")))


def settings(port: int, **options: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": SENDER,
        "recipients": RECIPIENTS,
        "timeout": 5.0,
    }
    values.update(options)
    return EmailSettings(**values)


def built(brief: Brief, config: EmailSettings, clock: FakeClock, pdf: bytes | None = PDF) -> BuiltMessage:
    message_id = message_id_for(brief.period_label, SENDER, config.recipients, brief.title)
    return build_message(brief, pdf, config, message_id=message_id, now=clock(), html_part=email_html)


def one_line(header: str) -> str:
    # CPython folds a long Subject before an encoded word keeping the space on both sides of the
    # fold, so the unfolded value can carry a doubled space; the words are what matters here.
    return " ".join(header.split())


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    assert isinstance(text, EmailMessage) and isinstance(markup, EmailMessage)
    return text.get_content(), markup.get_content()


def pdf_parts(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]


# --- G: delivery ------------------------------------------------------------------------------------


def test_delivered_message_has_headers_bodies_and_exact_pdf(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder()
    with smtp_server(handler) as server:
        config = settings(server.port)
        message = built(brief, config, clock)
        reply = send(message.message, config, env={})

    received = handler.message()
    assert handler.received[0].rcpt_tos == list(RECIPIENTS)
    assert received["From"] == SENDER
    assert [a for _, a in getaddresses([str(received["To"])])] == list(RECIPIENTS)
    assert received["Subject"] == f"{brief.title}: {brief.period_text}"  # exactly, no doubled space
    assert received["Date"].datetime == clock.now
    assert received["Message-ID"] == message.message["Message-ID"]
    assert str(received["Message-ID"]) in reply
    text, markup = bodies(received)
    assert brief.key[0].title in text and brief.key[0].publisher in text
    assert brief.key[0].quote is not None and shortened(brief.key[0].quote.text) in text
    assert f"{brief.counts.articles} articles" in text and brief.key[0].url in text
    assert f'href="{brief.key[0].url}"' in markup
    (attachment,) = pdf_parts(received)
    assert attachment.get_filename() == f"brief-{brief.period_label}.pdf"
    assert attachment.get_content() == PDF
    assert message.attached and message.note == ""


def test_both_parts_are_the_briefs_first_page_and_the_html_needs_no_style_sheet(
    brief: Brief, clock: FakeClock
) -> None:
    text, markup = bodies(built(brief, settings(25), clock).message)
    tags = elements(markup)
    names = {t for t, _ in tags}
    # Nothing a mail client drops or fetches.
    assert not names & {"style", "link", "img", "script", "iframe", "object"}
    styled = [(t, a) for t, a in tags if t not in ("html", "head", "meta", "title", "br")]
    assert styled and all(a.get("style") for _, a in styled), [t for t, a in styled if not a.get("style")]
    assert all(not a.get("class") for _, a in tags)  # no class: nothing depends on a style sheet
    failing = "Not heard from: caci-feature (Central Asia-Caucasus Analyst), HTTP 500 Internal Server Error"
    assert failing in text and failing in markup
    assert counts_in_words(brief.counts) in text and counts_in_words(brief.counts) in markup
    for k in brief.key:
        assert k.quote is not None
        cls = class_in_words(k.kind, k.develops, k.last_heard)
        assert cls in text and escape(cls) in markup
        assert shortened(k.quote.text) in text and k.title in text
        # The title links to the source, once: no second list of the same links.
        assert markup.count(f'href="{k.url}"') == 1 and f'">{escape(k.title)}</a>' in markup
        assert markup.count(k.url) == 2  # the title's link and the quote's text-fragment link


def test_html_body_escapes_feed_text_and_drops_unsafe_links(brief: Brief, clock: FakeClock) -> None:
    hostile = KeyItem(
        anchor="x",
        title='<img src="http://tracker.example/p.gif">Pwned',
        publisher="<b>Evil</b> & Co",
        kind="new",
        quote=None,
        url="javascript:alert(1)",
    )
    brief = dataclasses.replace(brief, title="<script>alert(1)</script>", key=(hostile, *brief.key))
    text, markup = bodies(built(brief, settings(25), clock).message)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "<script" not in markup and "<img" not in markup and "<b>" not in markup
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in markup
    assert "javascript:" not in markup and "javascript:" not in text
    assert "<script>alert(1)</script>" in text  # plain text shows what the feed said


def test_message_id_is_stable_per_period_and_audience(brief: Brief) -> None:
    first = message_id_for("2026-W47", SENDER, RECIPIENTS, brief.title)
    assert first == message_id_for("2026-W47", SENDER, tuple(reversed(RECIPIENTS)), brief.title)
    assert first.startswith("<briefing.2026-W47.") and first.endswith("@example.org>")
    assert first != message_id_for("2026-W48", SENDER, RECIPIENTS, brief.title)
    assert first != message_id_for("2026-W47", SENDER, RECIPIENTS[:1], brief.title)


def test_some_recipients_refused_still_delivers_to_the_rest(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder(refuse={"ben@example.net": "550 5.1.1 No such user"})
    with smtp_server(handler) as server:
        config = settings(server.port)
        reply = send(built(brief, config, clock).message, config, env={})
    assert handler.received[0].rcpt_tos == ["ana@example.org"]
    assert "ben@example.net" in reply and "550" in reply


# --- G5: STARTTLS and implicit TLS ------------------------------------------------------------------


def test_starttls_then_login(brief: Brief, clock: FakeClock, tls: Tls) -> None:
    handler = Recorder()
    options = {"tls_context": tls.server, "require_starttls": True, "authenticator": handler.authenticate}
    with smtp_server(handler, **options) as server:
        config = settings(
            server.port, security="starttls", username_env="SMTP_USER", password_env="SMTP_PASS"
        )
        env = {"SMTP_USER": "mailer", "SMTP_PASS": "s3cret"}
        send(built(brief, config, clock).message, config, env, ssl_context=tls.client)
    assert one_line(handler.message()["Subject"]) == f"{brief.title}: {brief.period_text}"
    assert len(handler.logins) == 1


def test_starttls_not_offered_sends_nothing_and_no_credentials(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder()
    with smtp_server(handler, authenticator=handler.authenticate, auth_require_tls=False) as server:
        config = settings(
            server.port, security="starttls", username_env="SMTP_USER", password_env="SMTP_PASS"
        )
        env = {"SMTP_USER": "mailer", "SMTP_PASS": "s3cret"}
        with pytest.raises(PermanentDeliveryError, match="does not offer STARTTLS") as caught:
            send(built(brief, config, clock).message, config, env)
    assert f"127.0.0.1:{server.port}" in str(caught.value)
    assert handler.received == [] and handler.logins == []


def test_implicit_tls(brief: Brief, clock: FakeClock, tls: Tls) -> None:
    handler = Recorder()
    with smtp_server(handler, ssl_context=tls.server) as server:
        config = settings(server.port, security="tls")
        send(built(brief, config, clock).message, config, {}, ssl_context=tls.client)
    assert pdf_parts(handler.message())[0].get_content() == PDF


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_untrusted_certificate_is_permanent(brief: Brief, clock: FakeClock, tls: Tls, security: str) -> None:
    handler = Recorder()
    options = {"ssl_context": tls.server} if security == "tls" else {"tls_context": tls.server}
    with smtp_server(handler, **options) as server:
        config = settings(server.port, security=security)
        # No ssl_context: the system trust store, which does not know the test CA.
        with pytest.raises(PermanentDeliveryError, match="certificate"):
            send(built(brief, config, clock).message, config, {})
    assert handler.received == []


# --- G3: temporary and permanent refusals -----------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "error", "code"),
    [
        (
            Recorder(refuse={a: "451 4.3.0 Try again later" for a in RECIPIENTS}),
            TemporaryDeliveryError,
            "451",
        ),
        (Recorder(data_reply="451 4.3.0 Try again later"), TemporaryDeliveryError, "451"),
        (Recorder(refuse={a: "550 5.1.1 No such user" for a in RECIPIENTS}), PermanentDeliveryError, "550"),
        (Recorder(data_reply="550 5.7.1 Rejected as spam"), PermanentDeliveryError, "550"),
        (Recorder(data_reply="552 5.3.4 Message too big"), PermanentDeliveryError, "552"),
    ],
    ids=["rcpt-451", "data-451", "rcpt-550", "data-550", "data-552"],
)
def test_refusals_are_temporary_or_permanent(
    brief: Brief, clock: FakeClock, handler: Recorder, error: type[DeliveryError], code: str
) -> None:
    with smtp_server(handler) as server:
        config = settings(server.port)
        with pytest.raises(error) as caught:
            send(built(brief, config, clock).message, config, {})
    message = str(caught.value)
    assert f"127.0.0.1:{server.port}" in message and code in message and "\n" not in message


# --- G1: silent and absent servers ------------------------------------------------------------------


def test_silent_server_times_out(brief: Brief, clock: FakeClock) -> None:
    # Listening but never accepting: the kernel completes the handshake, no banner ever comes.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        config = settings(silent.getsockname()[1], timeout=1.0)
        started = time.monotonic()
        with pytest.raises(TemporaryDeliveryError, match="no answer within 1 s"):
            send(built(brief, config, clock).message, config, {})
        assert time.monotonic() - started < 4


def test_a_server_that_drips_hits_the_whole_conversation_deadline(brief: Brief, clock: FakeClock) -> None:
    # Each byte comes within the per-read timeout, so only a deadline for the whole send can end it.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        stop = threading.Event()

        def drip() -> None:
            conn, _ = listener.accept()
            with conn:
                for byte in b"220-" + b"x" * 10_000:
                    if stop.wait(0.3):
                        return
                    with contextlib.suppress(OSError):
                        conn.sendall(bytes([byte]))

        thread = threading.Thread(target=drip, daemon=True)
        thread.start()
        config = settings(listener.getsockname()[1], timeout=1.0)
        started = time.monotonic()
        try:
            with pytest.raises(TemporaryDeliveryError):
                send(built(brief, config, clock).message, config, {})
        finally:
            stop.set()
        assert time.monotonic() - started < 8  # 4 x the timeout, and some slack


def test_a_server_that_hangs_up_during_the_tls_handshake_is_temporary(brief: Brief, clock: FakeClock) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def hang_up() -> None:
            conn, _ = listener.accept()
            conn.recv(1024)  # the ClientHello
            conn.close()

        threading.Thread(target=hang_up, daemon=True).start()
        config = settings(listener.getsockname()[1], security="tls", timeout=2.0)
        with pytest.raises(TemporaryDeliveryError, match=r"127\.0\.0\.1"):
            send(built(brief, config, clock).message, config, {})


def test_connection_refused_is_temporary(brief: Brief, clock: FakeClock) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        config = settings(closed.getsockname()[1])
        with pytest.raises(TemporaryDeliveryError, match=f"127.0.0.1:{config.port}"):
            send(built(brief, config, clock).message, config, {})


# --- credentials ------------------------------------------------------------------------------------


def auth_settings(port: int) -> EmailSettings:
    return settings(port, username_env="SMTP_USER", password_env="SMTP_PASS")


def test_login_with_credentials_from_env(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder()
    with smtp_server(handler, authenticator=handler.authenticate, auth_require_tls=False) as server:
        config = auth_settings(server.port)
        send(built(brief, config, clock).message, config, {"SMTP_USER": "mailer", "SMTP_PASS": "s3cret"})
    assert handler.logins == [LoginPassword(b"mailer", b"s3cret")]
    assert len(handler.received) == 1


def test_wrong_password_is_permanent(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder()
    with smtp_server(handler, authenticator=handler.authenticate, auth_require_tls=False) as server:
        config = auth_settings(server.port)
        with pytest.raises(PermanentDeliveryError, match="535") as caught:
            send(built(brief, config, clock).message, config, {"SMTP_USER": "mailer", "SMTP_PASS": "wrong"})
    assert "wrong" not in str(caught.value)
    assert handler.received == []


def test_credentials_smtp_cannot_send_are_permanent_and_never_shown(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder()
    with smtp_server(handler, authenticator=handler.authenticate, auth_require_tls=False) as server:
        config = auth_settings(server.port)
        env = {"SMTP_USER": "mailer", "SMTP_PASS": "pässwort-SECRET"}
        with pytest.raises(PermanentDeliveryError, match="cannot send") as caught:
            send(built(brief, config, clock).message, config, env)
    assert "SECRET" not in str(caught.value) and caught.value.__cause__ is None
    assert handler.received == []


def test_missing_credential_names_the_variable(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder()
    with smtp_server(handler, authenticator=handler.authenticate, auth_require_tls=False) as server:
        config = auth_settings(server.port)
        with pytest.raises(PermanentDeliveryError, match="SMTP_PASS") as caught:
            send(built(brief, config, clock).message, config, {"SMTP_USER": "mailer"})
    assert "mailer" not in str(caught.value)
    assert handler.logins == [] and handler.received == []


# --- header injection -------------------------------------------------------------------------------


def test_title_cannot_add_headers_or_recipients(brief: Brief, clock: FakeClock) -> None:
    brief = dataclasses.replace(brief, title="Weekly brief\r\nBcc: evil@example.org")
    handler = Recorder()
    with smtp_server(handler) as server:
        config = settings(server.port)
        send(built(brief, config, clock).message, config, {})
    received = handler.message()
    assert received["Bcc"] is None
    assert handler.received[0].rcpt_tos == list(RECIPIENTS)
    assert [a for _, a in getaddresses([str(received["To"])])] == list(RECIPIENTS)
    assert received["Subject"].startswith("Weekly brief Bcc: evil@example.org:")


@pytest.mark.parametrize(
    "separator", ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\t \n"]
)
def test_subject_is_one_line(brief: Brief, clock: FakeClock, separator: str) -> None:
    brief = dataclasses.replace(brief, title=f"Weekly{separator}Bcc: evil@example.org")
    message = built(brief, settings(25), clock).message
    assert message["Subject"] == f"Weekly Bcc: evil@example.org: {brief.period_text}"
    head = message.as_bytes().split(b"\n\n", 1)[0]
    assert head.count(b"Bcc:") == 1  # inside the Subject, never a header of its own
    assert all(not line.startswith(b"Bcc") for line in head.splitlines())


@pytest.mark.parametrize(
    "bad",
    [
        {"sender": "brief@example.org\r\nBcc: evil@example.org"},
        {"recipients": ("a@example.org\nBcc: x@y.z",)},
    ],
)
def test_address_with_linefeed_is_refused(brief: Brief, clock: FakeClock, bad: dict[str, Any]) -> None:
    with pytest.raises(PermanentDeliveryError, match="header"):
        built(brief, settings(25, **bad), clock)


# --- G6: attachment too large -----------------------------------------------------------------------


def test_oversized_pdf_is_left_out_and_said_so(brief: Brief, clock: FakeClock) -> None:
    handler = Recorder()
    with smtp_server(handler) as server:
        config = settings(server.port, max_attachment_mb=0.001, attachment_fallback=True)
        message = built(brief, config, clock)
        send(message.message, config, {})
    assert not message.attached and "left out" in message.note
    received = handler.message()
    assert pdf_parts(received) == []
    text, markup = bodies(received)
    assert "left out" in text and "left out" in markup


def test_oversized_pdf_without_fallback_is_an_error(brief: Brief, clock: FakeClock) -> None:
    config = settings(25, max_attachment_mb=0.001, attachment_fallback=False)
    with pytest.raises(DeliveryError, match="larger than"):
        built(brief, config, clock)


def test_no_pdf_no_attachment(brief: Brief, clock: FakeClock) -> None:
    message = built(brief, settings(25), clock, pdf=None)
    assert not message.attached and pdf_parts(message.message) == []
