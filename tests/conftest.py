"""Shared fixtures: a loopback HTTP server, the sample site in both publishers' shapes, configs, a clock.

Sockets to anything but loopback are refused for the whole session (pytest-socket, see pyproject.toml).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from briefing.config import Config, load_config
from briefing.samples.server import LoopbackServer, Reply, Request
from briefing.samples.shapes import SampleArticle, ac_page, k2_feed, k2_page, wordpress_feed

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def needs_fixtures(*parts: str) -> pytest.MarkDecorator:
    """Skip cleanly when ../shared/fixtures (or a part of it) is not on this machine."""
    path = FIXTURES.joinpath(*parts)
    return pytest.mark.skipif(not path.exists(), reason=f"{path} not present")


class FakeClock:
    """An injected clock: starts at a fixed instant and moves only when told."""

    def __init__(self, start: datetime = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as s:
        yield s


def load_articles(publisher: str) -> list[SampleArticle]:
    raw = json.loads((DATA / "articles.json").read_text(encoding="utf-8"))[publisher]
    return [
        SampleArticle(
            path=a["path"],
            title=a["title"],
            authors=tuple(a["authors"]),
            published=datetime.fromisoformat(a["published"]),
            paragraphs=tuple(a["paragraphs"]),
            categories=tuple(a.get("categories", ())),
            post_id=a.get("post_id", 0),
            series=a.get("series", ""),
        )
        for a in raw
    ]


def conditional(
    body: bytes, content_type: str, etag: str = '"v1"', last_modified: str = "Fri, 20 Nov 2026 10:00:00 GMT"
):  # type: ignore[no-untyped-def]
    """A route that honours If-None-Match / If-Modified-Since the way WordPress does."""

    def handler(req: Request) -> Reply:
        if req.headers.get("if-none-match") == etag or req.headers.get("if-modified-since") == last_modified:
            return Reply(304, {"ETag": etag})
        return Reply(200, {"Content-Type": content_type, "ETag": etag, "Last-Modified": last_modified}, body)

    return handler


@dataclass
class SampleSite:
    """The sample site on a loopback server: a CACI K2 section feed and an AC WordPress feed, with pages."""

    server: LoopbackServer
    caci: list[SampleArticle] = field(default_factory=list)
    ac: list[SampleArticle] = field(default_factory=list)
    caci_feed: str = ""
    ac_feed: str = ""

    def page_paths(self) -> list[str]:
        return [a.path for a in self.caci + self.ac]


@pytest.fixture
def sample_site(server: LoopbackServer) -> SampleSite:
    return make_sample_site(server)


def make_sample_site(server: LoopbackServer) -> SampleSite:
    site = SampleSite(server, load_articles("caci"), load_articles("ac"))
    built = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    base = server.base
    site.caci_feed = server.route(
        "/publications/analytical-articles.feed",
        conditional(
            k2_feed(base, "analytical-articles", "Analytical Articles", site.caci, built),
            "application/rss+xml; charset=utf-8",
        ),
    )
    site.ac_feed = server.route(
        "/feed/",
        conditional(
            wordpress_feed(base, "Atlantic Council", "/feed/", site.ac, built, full_text=False),
            "application/rss+xml; charset=UTF-8",
            etag='"ac1"',
        ),
    )
    for a in site.caci:
        server.route(
            a.path,
            Reply(200, {"Content-Type": "text/html; charset=utf-8"}, k2_page(base, a, "Analytical Articles")),
        )
    for a in site.ac:
        server.route(a.path, Reply(200, {"Content-Type": "text/html; charset=UTF-8"}, ac_page(base, a)))
    return site


def write_config(
    folder: Path,
    feeds: Sequence[dict[str, Any]],
    *,
    corpus: dict[str, Any] | None = None,
    topics: Sequence[dict[str, Any]] = (),
    **settings: Any,
) -> Config:
    """A feeds.yaml for tests in `folder`: loopback allowed, short deadlines, data under folder/data,
    the shipped seed corpus as baseline."""
    base: dict[str, Any] = {
        "data_dir": "data",
        "reports_dir": "reports",
        "allow_private_networks": True,
        "timeout": 5,
        "connect_timeout": 2,
        "extraction_timeout": 20,
        "contact": "https://briefing.example/contact",
        "workers": 2,
    }
    base.update(settings)
    path = folder / "feeds.yaml"
    document: dict[str, Any] = {
        "settings": base,
        "corpus": {"paths": [str(ROOT / "corpus")], **(corpus or {})},
        "feeds": list(feeds),
    }
    if topics:
        document["topics"] = list(topics)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_config(path, env={})


def site_feeds(site: SampleSite) -> list[dict[str, Any]]:
    return [
        {"name": "caci-analytical", "url": site.caci_feed, "publisher": "Central Asia-Caucasus Analyst"},
        {
            "name": "ac-main",
            "url": site.ac_feed,
            "publisher": "Atlantic Council",
            "exclude": ["/in-the-news/", "/insight-impact/", "/event/", "/events/", "/podcast"],
        },
    ]


def run_cli(
    args: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess (as cron or a user would run it)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "briefing", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip()
