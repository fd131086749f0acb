"""Our HTTP client against a misbehaving loopback server: RELIABILITY.md section A."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import os
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import trustme

import faults
from briefing.errors import FetchError
from briefing.http_client import AddressPolicy, HttpClient, parse_retry_after, user_agent
from briefing.models import Retrieved
from briefing.samples.server import LoopbackServer, Reply, Request
from conftest import FakeClock, run_cli

MiB = 1024 * 1024


def client(**kw: Any) -> HttpClient:
    options: dict[str, Any] = {
        "policy": AddressPolicy(allow_private=True),
        "user_agent": user_agent("https://briefing.example/contact"),
        "timeout": 2.0,
        "connect_timeout": 1.0,
    }
    options.update(kw)
    return HttpClient(**options)


def get(url: str, max_bytes: int = MiB, **kw: Any) -> Retrieved:
    get_options = {k: kw.pop(k) for k in ("etag", "last_modified", "timeout") if k in kw}

    async def run() -> Retrieved:
        async with client(**kw) as c:
            return await c.get(url, max_bytes=max_bytes, **get_options)

    return asyncio.run(run())


def fails(url: str, kind: str, **kw: Any) -> FetchError:
    with pytest.raises(FetchError) as info:
        get(url, **kw)
    assert info.value.kind == kind, info.value
    return info.value


# ---- deadlines and sizes ------------------------------------------------------------------------


def test_a1_server_that_never_answers_times_out(server: LoopbackServer) -> None:
    url = server.route("/silent", faults.never_answers(30))
    started = time.monotonic()
    error = fails(url, "timeout", timeout=1.0)
    assert time.monotonic() - started < 2.5
    assert "timed out" in str(error) and url in str(error)


def test_a2_slow_drip_hits_the_total_deadline(server: LoopbackServer) -> None:
    url = server.route("/drip", faults.drip(every=0.2))  # each read is quick; the whole never ends
    started = time.monotonic()
    fails(url, "timeout", timeout=1.5)
    assert time.monotonic() - started < 3.0


def test_a3_declared_oversize_is_refused_without_reading(server: LoopbackServer) -> None:
    error = fails(server.route("/huge", faults.declared_huge()), "too_large", max_bytes=10 * MiB)
    assert "104,857,600 bytes" in str(error)


def test_a3_endless_chunked_body_stops_at_the_cap(server: LoopbackServer) -> None:
    fails(server.route("/endless", faults.endless()), "too_large", max_bytes=2 * MiB)


def test_lying_content_length_is_a_connection_error(server: LoopbackServer) -> None:
    fails(server.route("/short", faults.lying_length()), "connection")


# ---- content encodings --------------------------------------------------------------------------


def test_gzip_and_deflate_bodies_are_decoded(server: LoopbackServer) -> None:
    text = b"<rss>" + b"hello " * 1000 + b"</rss>"
    raw_deflate = zlib.compressobj(wbits=-15)
    routes = {
        "/gzip": Reply(200, {"Content-Encoding": "gzip"}, gzip.compress(text)),
        "/zlib": Reply(200, {"Content-Encoding": "deflate"}, zlib.compress(text)),
        "/raw": Reply(200, {"Content-Encoding": "deflate"}, raw_deflate.compress(text) + raw_deflate.flush()),
        "/plain": Reply(200, {"Content-Encoding": "identity"}, text),
    }
    for path, reply in routes.items():
        assert get(server.route(path, reply)).body == text, path


def test_a4_gzip_bomb_is_capped_on_decoded_bytes(server: LoopbackServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * MiB), compresslevel=9)
    assert len(bomb) < 100_000
    url = server.route("/bomb", Reply(200, {"Content-Encoding": "gzip"}, bomb))
    error = fails(url, "too_large", max_bytes=10 * MiB)
    assert "10,485,760-byte cap" in str(error)


def test_a4_a5_bombs_stay_within_a_small_memory_limit(server: LoopbackServer, tmp_path: Any) -> None:
    # In a child process limited to 400 MiB of address space: a decoder that inflated the whole
    # chunk (httpx does: 64-200 MiB in one step) would die with MemoryError instead of a clean error.
    single = gzip.compress(b"\0" * (300 * MiB), compresslevel=9)
    stacked = gzip.compress(gzip.compress(b"\0" * (200 * MiB), compresslevel=9), compresslevel=9)
    server.route("/single", Reply(200, {"Content-Encoding": "gzip"}, single))
    server.route("/stacked", Reply(200, {"Content-Encoding": "gzip, gzip"}, stacked))
    script = tmp_path / "bomb.py"
    script.write_text(
        "import asyncio, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (400 * 1024 * 1024, resource.RLIM_INFINITY))\n"
        "from briefing.http_client import AddressPolicy, HttpClient\n"
        "from briefing.errors import FetchError\n"
        "async def main():\n"
        "    async with HttpClient(policy=AddressPolicy(True), user_agent='t') as c:\n"
        "        for path in ('/single', '/stacked'):\n"
        "            try:\n"
        f"                await c.get('{server.base}' + path, max_bytes=10 * 1024 * 1024)\n"
        "            except FetchError as e:\n"
        "                print(path, e.kind, e.message)\n"
        "asyncio.run(main())\n"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "/single too_large" in done.stdout
    assert "/stacked encoding unsupported content-encoding chain 'gzip, gzip'" in done.stdout
    assert len(stacked) < 1000


def test_a6_broken_compression_is_a_clear_error(server: LoopbackServer) -> None:
    garbage = os.urandom(2048)
    fails(server.route("/garbage", Reply(200, {"Content-Encoding": "gzip"}, garbage)), "decode")
    truncated = gzip.compress(os.urandom(50_000))[:2000]
    error = fails(server.route("/trunc", Reply(200, {"Content-Encoding": "gzip"}, truncated)), "decode")
    assert "truncated" in str(error)
    fails(server.route("/br", Reply(200, {"Content-Encoding": "br"}, b"abc")), "encoding")


# ---- redirects and addresses --------------------------------------------------------------------


def test_a8_redirect_loop_stops(server: LoopbackServer) -> None:
    server.route("/a", Reply(301, {"Location": "/b"}))
    server.route("/b", Reply(301, {"Location": "/a"}))
    error = fails(server.url("/a"), "redirects", max_redirects=5)
    assert "too many redirects" in str(error)
    assert server.hit_count("/a") + server.hit_count("/b") == 6


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hi", "javascript:alert(1)"]
)
def test_a9_redirect_to_another_scheme_is_refused(server: LoopbackServer, target: str) -> None:
    error = fails(server.route("/r", Reply(302, {"Location": target})), "blocked")
    assert "refusing" in str(error)


def test_a10_redirect_to_a_private_address_is_refused_at_connect_time() -> None:
    with LoopbackServer("127.0.0.1") as internal, LoopbackServer("127.0.0.2") as public:
        secret = internal.route("/admin", Reply(200, {}, b"secret"))
        public.route("/go", Reply(302, {"Location": secret}))
        public.route("/ok", Reply(200, {"Content-Type": "text/plain"}, b"public"))
        policy = AddressPolicy(allow_private=False, allowed=["127.0.0.2/32"])
        assert get(public.url("/ok"), policy=policy).body == b"public"
        error = fails(public.url("/go"), "blocked", policy=policy)
        assert "refusing to connect to non-public address 127.0.0.1" in str(error)
        fails(secret, "blocked", policy=policy)
        assert internal.hit_count("/admin") == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/",
        "http://10.1.2.3/",
        "http://localhost:9/",
        "http://[::ffff:127.0.0.1]:9/",
    ],
)
def test_a11_internal_addresses_are_refused_by_default(url: str) -> None:
    started = time.monotonic()
    fails(url, "blocked", policy=AddressPolicy())
    assert time.monotonic() - started < 1.0  # refused before any connection attempt


def test_address_policy() -> None:
    policy = AddressPolicy(False, ["127.0.0.2/32", "fd00::/8"])
    assert policy.allows("93.184.215.14") and policy.allows("2606:4700::1111")
    assert policy.allows("127.0.0.2") and policy.allows("fd00::5")
    for address in (
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fe80::1%eth0",
        "::ffff:10.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ):
        assert not policy.allows(address), address


def test_a13_permanent_redirect_is_reported(server: LoopbackServer) -> None:
    server.route("/old", Reply(301, {"Location": "/new"}))
    server.route("/old308", Reply(308, {"Location": server.url("/new")}))
    server.route("/new", Reply(200, {"Content-Type": "application/rss+xml"}, b"<rss/>"))
    for path in ("/old", "/old308"):
        got = get(server.url(path))
        assert got.permanent_redirect == server.url("/new") and got.final_url == server.url("/new")
        assert got.url == server.url(path)


def test_a14_temporary_redirect_is_not_reported(server: LoopbackServer) -> None:
    server.route("/feed", Reply(302, {"Location": "/tmp-feed"}))
    server.route("/tmp-feed", Reply(200, {}, b"<rss/>"))
    got = get(server.url("/feed"))
    assert got.permanent_redirect is None and got.final_url == server.url("/tmp-feed")


# ---- conditional GET and status codes -----------------------------------------------------------


def test_a15_conditional_get_sends_validators_and_accepts_304(server: LoopbackServer) -> None:
    def handler(req: Request) -> Reply:
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304, {"ETag": '"v1"'})
        return Reply(200, {"ETag": '"v1"', "Last-Modified": "Fri, 20 Nov 2026 10:00:00 GMT"}, b"<rss/>")

    url = server.route("/feed", handler)
    first = get(url)
    assert (first.status, first.etag, first.last_modified) == (200, '"v1"', "Fri, 20 Nov 2026 10:00:00 GMT")
    second = get(url, etag=first.etag, last_modified=first.last_modified)
    assert second.status == 304 and second.body == b""
    sent = server.hits[-1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Fri, 20 Nov 2026 10:00:00 GMT"


def test_a17_429_blocks_the_host_for_the_rest_of_the_run(server: LoopbackServer) -> None:
    server.route("/limited", Reply(429, {"Retry-After": "7200"}))
    server.route("/other", Reply(200, {}, b"ok"))
    clock = FakeClock()

    async def run() -> tuple[FetchError, FetchError]:
        async with client(clock=clock) as c:
            with pytest.raises(FetchError) as first:
                await c.get(server.url("/limited"), max_bytes=MiB)
            with pytest.raises(FetchError) as second:
                await c.get(server.url("/other"), max_bytes=MiB)
            return first.value, second.value

    first, second = asyncio.run(run())
    assert first.kind == second.kind == "rate_limited"
    assert first.retry_after == clock.now + timedelta(hours=2)  # as asked, not the 1-hour default
    assert server.hit_count("/other") == 0


def test_rate_limit_blocks_the_host_that_answered_after_a_redirect() -> None:
    with LoopbackServer("127.0.0.1") as origin, LoopbackServer("127.0.0.2") as cdn:
        cdn.route("/feed", Reply(429, {"Retry-After": "600"}))
        origin.route("/feed", Reply(302, {"Location": cdn.url("/feed")}))
        origin.route("/other", Reply(200, {}, b"ok"))
        cdn.route("/other", Reply(200, {}, b"ok"))

        async def run() -> tuple[Retrieved, str]:
            async with client() as c:
                with pytest.raises(FetchError):
                    await c.get(origin.url("/feed"), max_bytes=MiB)
                with pytest.raises(FetchError) as blocked:
                    await c.get(cdn.url("/other"), max_bytes=MiB)
                return await c.get(origin.url("/other"), max_bytes=MiB), blocked.value.kind

        ok, kind = asyncio.run(run())
        assert ok.body == b"ok" and kind == "rate_limited" and cdn.hit_count("/other") == 0


def test_503_retry_after_date_is_relative_to_the_server_clock(server: LoopbackServer) -> None:
    server_now = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # the server's clock is far behind ours
    server.route(
        "/busy",
        Reply(
            503,
            {
                "Retry-After": format_datetime(server_now + timedelta(minutes=30), usegmt=True),
                "Date": format_datetime(server_now, usegmt=True),
            },
        ),
    )
    clock = FakeClock()
    error = fails(server.url("/busy"), "rate_limited", clock=clock)
    assert error.retry_after == clock.now + timedelta(minutes=30)
    server.route("/down", Reply(503, {}))
    assert fails(server.url("/down"), "http").status == 503


def test_status_errors(server: LoopbackServer) -> None:
    assert fails(server.route("/gone", Reply(410)), "gone").status == 410
    assert "HTTP 404 Not Found" in str(fails(server.url("/missing"), "http"))
    assert fails(server.route("/boom", Reply(500)), "http").status == 500
    fails(server.route("/empty", Reply(204)), "http")


@pytest.mark.parametrize(
    ("value", "date", "expected"),
    [
        ("120", None, timedelta(seconds=120)),
        ("0", None, None),
        ("soon", None, None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None, None),  # in the past
        ("99999999", None, timedelta(days=7)),  # capped
        ("99999999999999999999", None, None),  # absurd: ignored, never an overflow
        ("²", None, None),  # a Unicode digit that int() refuses
        ("Fri, 31 Dec 9999 23:59:59 GMT", None, timedelta(days=7)),
        ("Sat, 21 Nov 2026 13:00:00 GMT", "Sat, 21 Nov 2026 12:30:00 GMT", timedelta(minutes=30)),
        (None, None, None),
    ],
)
def test_parse_retry_after(value: str | None, date: str | None, expected: timedelta | None) -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    result = parse_retry_after(value, now, date)
    assert (result - now if result else None) == expected


# ---- TLS, headers, connection failures ----------------------------------------------------------


@pytest.fixture
def https_server() -> Iterator[str]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    server = LoopbackServer()
    server.route("/feed", Reply(200, {}, b"<rss/>"))
    server._server.socket = context.wrap_socket(server._server.socket, server_side=True)
    with server:
        yield server.url("/feed").replace("http://", "https://")


def test_a21_self_signed_certificate_is_refused(https_server: str) -> None:
    error = fails(https_server, "tls")
    assert "CERTIFICATE_VERIFY_FAILED" in str(error) or "certificate verify failed" in str(error)


def test_a22_user_agent_and_accept_encoding(server: LoopbackServer) -> None:
    get(server.route("/x", Reply(200, {}, b"ok")))
    headers = server.hits[-1].headers
    assert (
        headers["user-agent"].startswith("briefing/")
        and "+https://briefing.example/contact" in headers["user-agent"]
    )
    assert headers["accept-encoding"] == "gzip, deflate"


def test_a23_refused_and_unresolvable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert "connection failed" in str(fails(f"http://127.0.0.1:{port}/feed", "connection"))
    started = time.monotonic()
    error = fails("http://no-such-host.invalid/feed", "connection")
    assert "cannot resolve host 'no-such-host.invalid'" in str(error)
    assert time.monotonic() - started < 5


def test_a24_concurrency_per_host_is_bounded(server: LoopbackServer) -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def slow(req: Request) -> Reply:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.15)
        with lock:
            active -= 1
        return Reply(200, {}, b"ok")

    for i in range(6):
        server.route(f"/f{i}", slow)

    async def run() -> None:
        async with client(per_host=2, concurrency=8) as c:
            await asyncio.gather(*(c.get(server.url(f"/f{i}"), max_bytes=MiB) for i in range(6)))

    asyncio.run(run())
    assert peak == 2


def test_a_busy_host_does_not_starve_the_others() -> None:
    with LoopbackServer("127.0.0.1") as busy, LoopbackServer("127.0.0.2") as idle:

        def slow(req: Request) -> Reply:
            time.sleep(0.5)
            return Reply(200, {}, b"slow")

        for i in range(4):
            busy.route(f"/s{i}", slow)
        idle.route("/quick", Reply(200, {}, b"quick"))

        async def run() -> float:
            async with client(concurrency=2, per_host=1) as c:
                started = time.monotonic()
                slow = [asyncio.create_task(c.get(busy.url(f"/s{i}"), max_bytes=MiB)) for i in range(4)]
                await asyncio.sleep(0.05)
                await c.get(idle.url("/quick"), max_bytes=MiB)
                took = time.monotonic() - started
                await asyncio.gather(*slow)
                return took

        assert asyncio.run(run()) < 1.0  # not queued behind the busy host's 2 s of requests


def test_host_delay_spaces_requests(server: LoopbackServer) -> None:
    starts: list[float] = []

    def timed(req: Request) -> Reply:
        starts.append(time.monotonic())
        return Reply(200, {}, b"ok")

    for i in range(3):
        server.route(f"/p{i}", timed)

    async def run() -> None:
        async with client(per_host=2, host_delay=0.3) as c:
            await asyncio.gather(*(c.get(server.url(f"/p{i}"), max_bytes=MiB) for i in range(3)))

    asyncio.run(run())
    starts.sort()
    assert all(b - a >= 0.25 for a, b in itertools.pairwise(starts))


def test_non_http_urls_are_never_requested() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/", "javascript:alert(1)", "/relative"):
        fails(url, "blocked")


def test_cli_fetch_reports_a_refused_feed_in_one_line(tmp_path: Any, server: LoopbackServer) -> None:
    server.route("/feed", Reply(200, {}, b"<rss/>"))
    (tmp_path / "feeds.yaml").write_text(f"feeds:\n  - name: local\n    url: {server.url('/feed')}\n")
    done = run_cli(["fetch", "--config", str(tmp_path / "feeds.yaml")])
    assert done.returncode == 0, done.stderr
    assert "local" in done.stdout and "refusing to connect to non-public address 127.0.0.1" in done.stdout
    assert "Traceback" not in done.stderr
    assert server.hit_count("/feed") == 0
