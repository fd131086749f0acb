"""HTTP for feeds and article pages. The only httpx/httpcore import.

Rules (RELIABILITY.md section 0): a total deadline per request, a byte cap counted after decompression,
at most one Content-Encoding (gzip or deflate, inflated here with a bounded output), http(s) only,
non-public addresses refused at connect time (so redirects and DNS rebinding are covered), a redirect
limit, https never downgraded to http, a descriptive User-Agent, conditional GET, and politeness per host
(bounded concurrency, optional spacing, and no more requests to a host that answered 429/503 with
Retry-After for the rest of the run).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import anyio
import httpcore
import httpx

from briefing import __version__
from briefing.errors import FetchError
from briefing.models import Retrieved
from briefing.urls import host_of, is_http_url

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_REDIRECTS = (301, 302, 303, 307, 308)
_PERMANENT = (301, 308)
_CHUNK = 64 * 1024
RETRY_AFTER_CAP = timedelta(days=7)
_DEFAULT_RATE_LIMIT = timedelta(hours=1)


def user_agent(contact: str = "", override: str = "") -> str:
    """The User-Agent sent on every request: `briefing/<version> (+<contact>)` unless overridden."""
    if override:
        return override
    return f"briefing/{__version__} (+{contact})" if contact else f"briefing/{__version__}"


class AddressPolicy:
    """Which IP addresses we may connect to: public ones, plus any allowed explicitly."""

    def __init__(self, allow_private: bool = False, allowed: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed)

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if self.allow_private:
            return True
        if any(ip in net for net in self.allowed if net.version == ip.version):
            return True
        return all(a.is_global and not a.is_multicast for a in (ip, *_embedded_ipv4(ip)))


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address can route to: mapped, 6to4, Teredo, NAT64, IPv4-compatible."""
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        found.extend(ip.teredo)
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


class BlockedAddressError(Exception):
    """Raised inside the connection layer when every address of a host is refused."""

    def __init__(self, host: str, address: str) -> None:
        self.host = host
        self.address = address
        super().__init__(f"refusing to connect to non-public address {address} ({host})")


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself and connects only to addresses the policy allows.

    Checking the address we actually connect to (not the one a pre-check resolved) closes the DNS
    rebinding gap; every hop of a redirect opens its connection here too.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as e:
            raise httpcore.ConnectError(f"cannot resolve host {host!r}: {e}") from e
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        allowed = [a for a in addresses if self.policy.allows(a)]
        if not allowed:
            raise BlockedAddressError(host, addresses[0] if addresses else host)
        error: Exception | None = None
        for address in allowed:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as e:
                error = e
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by briefing")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, policy: AddressPolicy, max_connections: int) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a network-backend hook; replace it with one that has ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=_GuardedBackend(policy),
        )


@dataclass
class _Host:
    slots: asyncio.Semaphore
    next_start: float = 0.0
    blocked_until: datetime | None = None


class HostLeases(Protocol):
    """Leases on requests to a host, shared by several processes (a cluster's workers)."""

    def take(self, host: str) -> int | None: ...

    def give_back(self, host: str, lease: int) -> None: ...


class HttpClient:
    """One client per run. Use as ``async with HttpClient(...) as client: await client.get(url)``."""

    def __init__(
        self,
        *,
        policy: AddressPolicy,
        user_agent: str,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_redirects: int = 5,
        concurrency: int = 8,
        per_host: int = 2,
        host_delay: float = 0.0,
        host_slot: Callable[[str, float], float] | None = None,
        host_leases: HostLeases | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`host_slot(host, delay)`, when given, reserves the next start for `host` in state shared with
        other processes (a cluster's workers) and returns the seconds to wait for it; without it the
        spacing of `host_delay` holds within this client only. `host_leases`, when given, holds
        `per_host` across those processes too: a request takes one of the host's leases first."""
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_redirects = max_redirects
        self.per_host = per_host
        self.host_delay = host_delay
        self.host_slot = host_slot
        self.host_leases = host_leases
        self.clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, _Host] = {}
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(policy, concurrency),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
            trust_env=False,
            # Reads are bounded by each request's total deadline (`get`), which a feed may raise above
            # settings.timeout; a per-read limit here would cut such a slow feed short regardless.
            timeout=httpx.Timeout(None, connect=min(connect_timeout, timeout)),
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: str = PAGE_ACCEPT,
        etag: str | None = None,
        last_modified: str | None = None,
        timeout: float | None = None,
    ) -> Retrieved:
        """GET `url` within one total deadline.

        Returns a `Retrieved` with status 200 (and the body, decompressed and at most `max_bytes`) or 304.
        Raises `FetchError` for everything else; `kind` says why.
        """
        if not is_http_url(url):
            raise FetchError(url, "blocked", "not an http(s) URL")
        deadline = timeout or self.timeout
        host = self._host(url)
        self._raise_if_rate_limited(url, host)
        # Host slot (and politeness delay) first, then a global slot: waiting for a busy host must not
        # hold a slot another host could use.
        async with host.slots, self._lease(host_of(url)):
            if self.host_slot is not None and self.host_delay > 0:
                wait = self.host_slot(host_of(url), self.host_delay)
            else:
                wait = host.next_start - time.monotonic()
                host.next_start = max(host.next_start, time.monotonic()) + self.host_delay
            if wait > 0:
                await asyncio.sleep(wait)
            async with self._slots:
                self._raise_if_rate_limited(url, host)
                started = time.monotonic()
                try:
                    async with asyncio.timeout(deadline):
                        return await self._follow(url, max_bytes, accept, etag, last_modified, started)
                except TimeoutError:
                    raise FetchError(url, "timeout", f"timed out after {deadline:g} s") from None
                except FetchError as e:
                    if e.kind == "rate_limited" and e.retry_after is not None:
                        hop = self._host(e.url)  # the host that answered, after any redirect
                        hop.blocked_until = max(hop.blocked_until or e.retry_after, e.retry_after)
                    raise

    @contextlib.asynccontextmanager
    async def _lease(self, name: str) -> AsyncIterator[None]:
        if self.host_leases is None:
            yield
            return
        while (lease := self.host_leases.take(name)) is None:
            await asyncio.sleep(0.05)  # every lease is in use by another process
        try:
            yield
        finally:
            self.host_leases.give_back(name, lease)

    def _host(self, url: str) -> _Host:
        name = host_of(url)
        if name not in self._hosts:
            self._hosts[name] = _Host(asyncio.Semaphore(self.per_host))
        return self._hosts[name]

    def _raise_if_rate_limited(self, url: str, host: _Host) -> None:
        if host.blocked_until and host.blocked_until > self.clock():
            raise FetchError(
                url,
                "rate_limited",
                f"host asked us to wait until {host.blocked_until:%Y-%m-%d %H:%M} UTC",
                retry_after=host.blocked_until,
            )

    async def _follow(
        self,
        url: str,
        max_bytes: int,
        accept: str,
        etag: str | None,
        last_modified: str | None,
        started: float,
    ) -> Retrieved:
        current = url
        permanent: str | None = None
        for hop in range(self.max_redirects + 1):
            headers = {"Accept": accept}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            async with self._send(current, headers) as response:
                status = response.status_code
                if status in _REDIRECTS:
                    target = self._redirect_target(url, current, response)
                    if hop == 0 and status in _PERMANENT:
                        permanent = target
                    current = target
                    continue
                if status == 304:
                    return Retrieved(
                        url=url,
                        final_url=current,
                        status=304,
                        etag=etag,
                        last_modified=last_modified,
                        permanent_redirect=permanent,
                        elapsed=time.monotonic() - started,
                    )
                self._raise_for_status(current, response)
                body = await _read_capped(current, response, max_bytes)
                return Retrieved(
                    url=url,
                    final_url=current,
                    status=status,
                    body=body,
                    content_type=response.headers.get("content-type", ""),
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                    permanent_redirect=permanent,
                    elapsed=time.monotonic() - started,
                )
        raise FetchError(url, "redirects", f"too many redirects (more than {self.max_redirects})")

    @contextlib.asynccontextmanager
    async def _send(self, url: str, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        try:
            request = self._client.build_request("GET", url, headers=headers)
            response = await self._client.send(request, stream=True)
        except BlockedAddressError as e:
            raise FetchError(url, "blocked", str(e)) from e
        except httpx.TimeoutException:
            raise FetchError(url, "timeout", "timed out") from None
        except httpx.ConnectError as e:
            raise FetchError(url, *_connect_problem(e)) from e
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
            raise FetchError(url, "blocked", f"refusing unusable URL or redirect target: {e}") from e
        except httpx.TransportError as e:
            raise FetchError(url, "connection", f"connection failed: {e or type(e).__name__}") from e
        try:
            yield response
        except httpx.TimeoutException:
            raise FetchError(url, "timeout", "timed out while reading") from None
        except httpx.TransportError as e:
            raise FetchError(url, "connection", f"connection broken: {e or type(e).__name__}") from e
        finally:
            await response.aclose()

    def _redirect_target(self, original: str, current: str, response: httpx.Response) -> str:
        location = response.headers.get("location")
        if not location:
            raise FetchError(current, "redirects", f"redirect {response.status_code} without Location")
        scheme = location.split(":", 1)[0].lower() if ":" in location.split("/", 1)[0] else ""
        if scheme and scheme not in ("http", "https"):
            raise FetchError(current, "blocked", f"refusing redirect to non-http(s) URL {location[:100]!r}")
        try:
            target = str(response.url.join(location))
        except (httpx.InvalidURL, ValueError):
            raise FetchError(current, "blocked", f"unusable redirect target {location!r}") from None
        if not is_http_url(target):
            raise FetchError(current, "blocked", f"refusing redirect to non-http(s) URL {location[:100]!r}")
        if current.lower().startswith("https:") and target.lower().startswith("http:"):
            raise FetchError(current, "blocked", f"refusing redirect from https to http ({target})")
        return target

    def _raise_for_status(self, url: str, response: httpx.Response) -> None:
        status = response.status_code
        if status in (429, 503):
            now = self.clock()
            retry = parse_retry_after(response.headers.get("retry-after"), now, response.headers.get("date"))
            if retry is not None or status == 429:
                until = retry or now + _DEFAULT_RATE_LIMIT
                raise FetchError(
                    url,
                    "rate_limited",
                    f"HTTP {status}: rate limited until {until:%Y-%m-%d %H:%M} UTC",
                    status=status,
                    retry_after=until,
                )
        if status == 410:
            raise FetchError(url, "gone", "HTTP 410 Gone: the publisher removed this address", status=status)
        if status >= 400 or status < 200 or status == 204:
            reason = response.reason_phrase or ""
            raise FetchError(url, "http", f"HTTP {status} {reason}".strip(), status=status)


def _connect_problem(e: httpx.ConnectError) -> tuple[str, str]:
    text = str(e)
    cause = e.__cause__ or e.__context__
    while cause is not None and not isinstance(cause, ssl.SSLError):
        cause = cause.__cause__ or cause.__context__
    if cause is not None or "CERTIFICATE_VERIFY_FAILED" in text:
        return "tls", f"TLS failed: {text or cause}"
    return "connection", f"connection failed: {text or type(e).__name__}"


async def _read_capped(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    """Read the raw body and inflate it ourselves, never producing more than `max_bytes`."""
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    if len(codings) > 1:
        raise FetchError(url, "encoding", f"unsupported content-encoding chain {', '.join(codings)!r}")
    coding = codings[0] if codings else ""
    if coding not in ("", "gzip", "x-gzip", "deflate"):
        raise FetchError(url, "encoding", f"unsupported content-encoding {coding!r}")
    length = response.headers.get("content-length", "")
    if not coding and length.isdigit() and int(length) > max_bytes:
        raise FetchError(url, "too_large", f"response too large ({int(length):,} bytes; cap {max_bytes:,})")
    inflater = _Inflater(coding) if coding else None
    out = bytearray()
    async for chunk in response.aiter_raw(_CHUNK):
        data = inflater.feed(chunk, max_bytes - len(out) + 1, url) if inflater else chunk
        out += data
        if len(out) > max_bytes:
            raise FetchError(url, "too_large", f"response too large (over the {max_bytes:,}-byte cap)")
    if inflater:
        inflater.finish(url)
    return bytes(out)


class _Inflater:
    """Incremental gzip/deflate decoding that never returns more than asked for."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        # 47 accepts gzip or zlib headers; deflate may also come raw (no zlib header), tried on error.
        self.z = zlib.decompressobj(47 if coding != "deflate" else 15)
        self.started = False

    def feed(self, data: bytes, limit: int, url: str) -> bytes:
        out = bytearray()
        while data and len(out) < limit:
            try:
                piece = self.z.decompress(data, limit - len(out))
            except zlib.error as e:
                if self.coding == "deflate" and not self.started:
                    self.z = zlib.decompressobj(-15)
                    self.started = True
                    continue
                raise FetchError(url, "decode", f"broken {self.coding} compression: {e}") from e
            self.started = True
            out += piece
            data = self.z.unconsumed_tail
            if self.z.eof:
                break
        return bytes(out)

    def finish(self, url: str) -> None:
        if not self.z.eof:
            raise FetchError(url, "decode", f"truncated {self.coding} body")


def parse_retry_after(value: str | None, now: datetime, date_header: str | None = None) -> datetime | None:
    """When a Retry-After header lets us come back, or None if it is absent, invalid or in the past.

    Seconds are counted from `now`; an HTTP date is taken relative to the server's Date header when
    present (so a skewed server clock does not matter). Capped at seven days.
    """
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,12}", value):
        delay = timedelta(seconds=min(int(value), int(RETRY_AFTER_CAP.total_seconds())))
    else:
        when = _http_date(value)
        if when is None:
            return None
        server_now = _http_date(date_header) if date_header else None
        delay = when - (server_now or now)
    if delay <= timedelta(0):
        return None
    return now + min(delay, RETRY_AFTER_CAP)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
