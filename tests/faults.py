"""Fault injection for the loopback HTTP server: routes that misbehave on demand.

Each function returns a handler (or a canned `Reply`) for `LoopbackServer.route`. Handlers that lie write
the response by hand and watch `server.stopping`, so a test never leaves a thread behind. Bombs are built
here at run time, never committed.
"""

from __future__ import annotations

import gzip
import io
import itertools
import os
import threading
import time
from collections.abc import Iterable

from briefing.samples.server import Handler, Reply, Request

MiB = 1024 * 1024


def raw(req: Request, head: str, body: bytes = b"") -> None:
    """Write a response by hand (for lies a well-behaved server would not tell)."""
    req.handler.wfile.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    req.handler.wfile.flush()


def never_answers(seconds: float = 120) -> Handler:
    """Accepts the request and sends nothing until the server stops (or `seconds` pass)."""

    def handler(req: Request) -> Reply | None:
        req.server.stopping.wait(seconds)
        return None

    return handler


def drip(every: float = 0.2) -> Handler:
    """Headers at once, then one byte per `every` seconds: each read is quick, the whole is endless."""

    def handler(req: Request) -> None:
        raw(req, "HTTP/1.1 200 OK\nContent-Type: application/rss+xml\nContent-Length: 100000\n")
        while not req.server.stopping.is_set():
            try:
                req.handler.wfile.write(b"<")
                req.handler.wfile.flush()
            except OSError:
                return
            time.sleep(every)

    return handler


def lying_length(content_type: str = "application/rss+xml") -> Handler:
    """Declares 5,000 bytes, sends five, hangs up."""

    def handler(req: Request) -> None:
        raw(
            req,
            f"HTTP/1.1 200 OK\nContent-Type: {content_type}\nContent-Length: 5000\nConnection: close\n",
            b"<rss",
        )
        req.handler.close_connection = True

    return handler


def declared_huge() -> Handler:
    """Declares 100 MiB (and would send it)."""

    def handler(req: Request) -> None:
        raw(
            req,
            "HTTP/1.1 200 OK\nContent-Type: application/rss+xml\nContent-Length: 104857600\n",
            b"x" * 1000,
        )
        req.server.stopping.wait(10)

    return handler


def endless(content_type: str = "application/rss+xml") -> Handler:
    """A chunked body that never ends."""

    def handler(req: Request) -> None:
        raw(req, f"HTTP/1.1 200 OK\nContent-Type: {content_type}\nTransfer-Encoding: chunked\n")
        chunk = b"<item>" + b"x" * 65530
        try:
            while not req.server.stopping.is_set():
                req.handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            return

    return handler


def gzip_bomb(size: int = 64 * MiB, content_type: str = "application/rss+xml") -> Reply:
    """A ~64 KiB gzip body that inflates to `size` bytes."""
    return Reply(200, {"Content-Type": content_type, "Content-Encoding": "gzip"}, _zeros_gzip(size))


def stacked_gzip(size: int = 64 * MiB) -> Reply:
    """gzip inside gzip, declared as two content codings."""
    body = gzip.compress(_zeros_gzip(size), compresslevel=9)
    return Reply(200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip, gzip"}, body)


def corrupt_gzip() -> Reply:
    return Reply(200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}, os.urandom(2048))


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, {"Location": location})


def wrong_type(body: bytes, content_type: str) -> Reply:
    """A body served under a type or charset it is not."""
    return Reply(200, {"Content-Type": content_type}, body)


def billion_laughs(levels: int = 8) -> Reply:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
        f'<rss version="2.0"><channel><title>&lol{levels};</title>'
        "<item><title>t</title><link>http://example.invalid/x</link></item></channel></rss>"
    )
    return Reply(200, {"Content-Type": "application/rss+xml"}, body.encode())


def flapping(replies: Iterable[Reply | Handler]) -> Handler:
    """Answers each request with the next of `replies`, cycling (200, 500, 503, 200, ...)."""
    cycle = itertools.cycle(list(replies))
    lock = threading.Lock()

    def handler(req: Request) -> Reply | None:
        with lock:
            reply = next(cycle)
        return reply if isinstance(reply, Reply) else reply(req)

    return handler


def _zeros_gzip(size: int) -> bytes:
    out = io.BytesIO()  # streamed: the test process never holds `size` bytes
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as f:
        block = b"\0" * MiB
        for _ in range(size // MiB):
            f.write(block)
    return out.getvalue()
