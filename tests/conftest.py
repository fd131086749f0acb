"""Shared fixtures: a loopback HTTP server, the sample site in both publishers' shapes, configs, a clock.

Sockets to anything but loopback are refused for the whole session (pytest-socket, see pyproject.toml).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from briefing.config import Config, load_config
from briefing.models import Article
from briefing.samples import site
from briefing.samples.server import LoopbackServer
from briefing.samples.site import SampleSite, conditional, load_articles

__all__ = ["SampleSite", "conditional", "load_articles"]

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


@pytest.fixture
def sample_site(server: LoopbackServer) -> SampleSite:
    return make_sample_site(server)


def make_sample_site(server: LoopbackServer) -> SampleSite:
    return site.sample_site(server)


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


def run_like_cron(args: Sequence[str], home: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """The real CLI as cron starts it: `env -i`-like environment, LANG=C, no TZ, working directory /."""
    return subprocess.run(
        [sys.executable, "-m", "briefing", *args],
        env={
            "PATH": "/usr/bin:/bin",
            "LANG": "C",
            "HOME": str(home),
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
        },
        cwd="/",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


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


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag with its attributes, as a browser's tokenizer would see them."""
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def stored_article(
    i: int,
    title: str,
    text: str,
    *,
    feed: str = "caci",
    url: str = "",
    day: int = 17,
    when: datetime | None = None,
    authors: tuple[str, ...] = (),
) -> Article:
    """An article as the store returns it (id `i`, published 2026-11-`day` 09:`i` UTC unless `when`)."""
    when = when or datetime(2026, 11, day, 9, i, tzinfo=UTC)
    url = url or f"https://news.example/{i}"
    return Article(
        id=i,
        feed=feed,
        publisher=feed.upper(),
        url=url,
        canonical_url=url,
        title=title,
        authors=authors,
        published=when,
        date_source="feed",
        first_seen=when,
        text=text,
        text_source="page",
        extraction_status="ok",
        extraction_detail="",
        word_count=len(text.split()),
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A PostgreSQL server for the session. Skipped only where none can be started (never in CI)."""
    from pgserver import PostgresServer

    try:
        server = PostgresServer()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a PostgreSQL server and none could be started: {e}")
        pytest.skip(f"no PostgreSQL server can be started on this machine: {e}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: Any) -> Iterator[str]:
    """An empty database of its own for one test."""
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store lives, once per database: the same store tests run against both."""
    if request.param == "sqlite":
        return tmp_path / "data" / "briefing.sqlite3"
    return str(request.getfixturevalue("postgres_url"))


def sqlite_file(config: Config) -> Path:
    """The SQLite file of a configuration whose store is SQLite (the default)."""
    location = config.settings.store_location
    assert isinstance(location, Path), location
    return location
