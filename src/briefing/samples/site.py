"""The sample site: the bundled snapshot served on a loopback server in both publishers' shapes.

The tests serve the core articles; the demo adds the articles marked `"demo": true`, a second Atlantic
Council feed carrying some of the same items, a CACI feed that fails, and a page hidden behind a bot check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from briefing.samples.server import LoopbackServer, Reply, Request
from briefing.samples.shapes import SampleArticle, ac_page, k2_feed, k2_page, stub_page, wordpress_feed

FEED_BUILT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RSS = "application/rss+xml; charset=utf-8"
HTML = "text/html; charset=utf-8"


def snapshot() -> dict[str, Any]:
    text = resources.files("briefing.samples").joinpath("snapshot.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class SnapshotArticle:
    article: SampleArticle
    also_in: tuple[str, ...] = ()
    stub: bool = False


def load_snapshot(publisher: str, demo: bool = False) -> list[SnapshotArticle]:
    """The snapshot's articles of one publisher ("caci" or "ac"); demo-only ones when `demo` is set."""
    out = []
    for a in snapshot()[publisher]:
        if a.get("demo", False) and not demo:
            continue
        article = SampleArticle(
            path=a["path"],
            title=a["title"],
            authors=tuple(a["authors"]),
            published=datetime.fromisoformat(a["published"]),
            paragraphs=tuple(a["paragraphs"]),
            categories=tuple(a.get("categories", ())),
            post_id=a.get("post_id", 0),
            series=a.get("series", ""),
        )
        out.append(SnapshotArticle(article, tuple(a.get("also_in", ())), a.get("page") == "stub"))
    return out


def load_articles(publisher: str, demo: bool = False) -> list[SampleArticle]:
    return [s.article for s in load_snapshot(publisher, demo)]


def conditional(
    body: bytes, content_type: str, etag: str = '"v1"', last_modified: str = "Fri, 20 Nov 2026 10:00:00 GMT"
) -> Any:
    """A route that honours If-None-Match / If-Modified-Since the way WordPress does."""

    def handler(req: Request) -> Reply:
        if req.headers.get("if-none-match") == etag or req.headers.get("if-modified-since") == last_modified:
            return Reply(304, {"ETag": etag})
        return Reply(200, {"Content-Type": content_type, "ETag": etag, "Last-Modified": last_modified}, body)

    return handler


@dataclass
class SampleSite:
    """The sample site on a loopback server: a CACI K2 section feed and an AC WordPress feed, with pages.

    `feeds` maps feed names (as the demo configures them) to URLs."""

    server: LoopbackServer
    caci: list[SampleArticle] = field(default_factory=list)
    ac: list[SampleArticle] = field(default_factory=list)
    caci_feed: str = ""
    ac_feed: str = ""
    feeds: dict[str, str] = field(default_factory=dict)

    def page_paths(self) -> list[str]:
        return [a.path for a in self.caci + self.ac]


def sample_site(server: LoopbackServer, demo: bool = False) -> SampleSite:
    """Register the sample feeds and pages on `server` and describe them."""
    caci = load_snapshot("caci", demo)
    ac = load_snapshot("ac", demo)
    site = SampleSite(server, [s.article for s in caci], [s.article for s in ac])
    base = server.base
    site.caci_feed = server.route(
        "/publications/analytical-articles.feed",
        conditional(k2_feed(base, "analytical-articles", "Analytical Articles", site.caci, FEED_BUILT), RSS),
    )
    site.ac_feed = server.route(
        "/feed/",
        conditional(
            wordpress_feed(base, "Atlantic Council", "/feed/", site.ac, FEED_BUILT, full_text=False),
            "application/rss+xml; charset=UTF-8",
            etag='"ac1"',
        ),
    )
    site.feeds = {"caci-analytical": site.caci_feed, "ac-main": site.ac_feed}
    for s in caci:
        page = stub_page(base, s.article) if s.stub else k2_page(base, s.article, "Analytical Articles")
        server.route(s.article.path, Reply(200, {"Content-Type": HTML}, page))
    for s in ac:
        server.route(s.article.path, Reply(200, {"Content-Type": HTML}, ac_page(base, s.article)))
    if demo:
        _demo_extras(server, ac, site)
    return site


def _demo_extras(server: LoopbackServer, ac: list[SnapshotArticle], site: SampleSite) -> None:
    """The New Atlanticist feed (same items as the main feed, so duplicates across feeds) and a CACI
    feature-articles feed that answers 500 to show feed health."""
    carried = [s.article for s in ac if "ac-new-atlanticist" in s.also_in]
    site.feeds["ac-new-atlanticist"] = server.route(
        "/category/blogs/new-atlanticist/feed/",
        conditional(
            wordpress_feed(
                server.base, "New Atlanticist", "/category/blogs/new-atlanticist/feed/", carried, FEED_BUILT
            ),
            "application/rss+xml; charset=UTF-8",
            etag='"na1"',
        ),
    )
    site.feeds["caci-feature"] = server.route(
        "/publications/feature-articles.feed",
        Reply(500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"),
    )
