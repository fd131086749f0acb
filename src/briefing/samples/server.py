"""A small threaded HTTP server on a loopback address, serving canned replies from a route table.

The demo serves its sample snapshot with it; the tests also register handlers that misbehave (never
answer, drip, lie about lengths, send bombs). Every request is recorded, so tests can count hits and
read the headers we sent.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    handler: BaseHTTPRequestHandler
    server: LoopbackServer


Handler = Callable[[Request], Reply | None]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        owner = self.server.owner
        request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, self, owner)
        owner.record(request)
        route = owner.routes.get(self.path) or owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            reply: Reply | None = Reply(404, {"Content-Type": "text/plain"}, b"not found")
        elif isinstance(route, Reply):
            reply = route
        else:
            reply = route(request)
        if reply is None:
            return  # the handler wrote (or withheld) the response itself
        self.send_response_only(reply.status)
        headers = {"Date": self.date_time_string(), "Content-Length": str(len(reply.body))} | reply.headers
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gives up mid-request (as our deadline tests make it) is expected, not news.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LoopbackServer:
    """``with LoopbackServer() as server: server.route("/feed", Reply(...)); server.url("/feed")``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Reply | Handler] = {}
        self.hits: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server((host, port), _RequestHandler)
        self._server.owner = self
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, reply: Reply | Handler) -> str:
        self.routes[path] = reply
        return self.url(path)

    def record(self, request: Request) -> None:
        with self._lock:
            self.hits.append(request)

    def hit_count(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.hits if r.path == path)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
