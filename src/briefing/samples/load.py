"""Load generator: N feeds x M items with realistic article pages, served from loopback. SAMPLE DATA.

Half the feeds are in the CACI Analyst's Joomla/K2 shape (lead only in the feed, full text on the page),
half in the Atlantic Council's WordPress shape (excerpt in the feed). Pages carry the usual site
furniture (navigation, scripts, styles, related links) so they weigh what real pages weigh.
Everything is generated from a fixed seed, so runs are comparable.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from briefing.samples.server import LoopbackServer, Reply, Request
from briefing.samples.shapes import SampleArticle, ac_page, k2_feed, k2_page, wordpress_feed

WORDS = [
    "Armenia",
    "Azerbaijan",
    "Georgia",
    "Kazakhstan",
    "Uzbekistan",
    "Tajikistan",
    "Kyrgyzstan",
    "Turkmenistan",
    "Russia",
    "China",
    "Iran",
    "Türkiye",
    "corridor",
    "pipeline",
    "border",
    "ministry",
    "parliament",
    "election",
    "summit",
    "agreement",
    "sanctions",
    "transit",
    "railway",
    "port",
    "energy",
    "gas",
    "oil",
    "electricity",
    "water",
    "reservoir",
    "investment",
    "security",
    "military",
    "exercise",
    "delegation",
    "declaration",
    "negotiation",
    "treaty",
    "commission",
    "customs",
    "tariff",
    "export",
    "import",
    "grain",
    "market",
    "president",
    "minister",
    "government",
    "opposition",
    "reform",
    "court",
    "law",
    "policy",
    "region",
    "neighbours",
    "alliance",
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "from",
    "at",
    "which",
    "its",
    "their",
    "has",
    "have",
    "was",
    "were",
    "will",
    "would",
    "could",
    "this",
    "these",
    "those",
    "between",
    "after",
    "before",
    "during",
    "while",
    "since",
    "under",
    "over",
    "against",
    "among",
]


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 28))]
    return " ".join(words).capitalize() + "."


def article_text(rng: random.Random, paragraphs: int) -> tuple[str, ...]:
    return tuple(" ".join(sentence(rng) for _ in range(rng.randint(3, 6))) for _ in range(paragraphs))


FURNITURE = (
    "<script>window.dataLayer=window.dataLayer||[];" + "var x=1;" * 4000 + "</script>"
    "<style>" + ".c{color:#333;margin:0 auto}" * 3000 + "</style>"
    "<nav><ul>"
    + "".join(f'<li><a href="/section/{i}/">Section {i}</a></li>' for i in range(150))
    + "</ul></nav>"
)


@dataclass
class Site:
    server: LoopbackServer
    feed_urls: list[str]
    page_bytes: int


def build_site(
    server: LoopbackServer,
    feeds: int,
    items: int,
    seed: int = 7,
    now: datetime = datetime(2026, 11, 20, 12, tzinfo=UTC),
    paragraphs: tuple[int, int] = (8, 30),
    furniture: bool = True,
) -> Site:
    """Register N feeds x M items on `server` (WordPress feeds answer conditional GETs with 304).

    `furniture` adds what real pages carry around the article (scripts, styles, navigation: about
    120 KiB); without it a page is its article alone."""
    rng = random.Random(seed)
    urls: list[str] = []
    page_bytes = 0
    for f in range(feeds):
        k2 = f % 2 == 0
        articles = []
        for i in range(items):
            n = f * 1000 + i
            path = (
                f"/publications/section-{f}/item/{n}-sample-{n}.html"
                if k2
                else f"/blogs/feed-{f}/sample-article-{n}/"
            )
            articles.append(
                SampleArticle(
                    path=path,
                    title=" ".join(rng.choice(WORDS) for _ in range(7)).title(),
                    authors=(f"Sample Author {n % 37}",),
                    published=now - timedelta(hours=n % 150),
                    paragraphs=article_text(rng, rng.randint(*paragraphs)),
                    post_id=n,
                    categories=("Sample",),
                )
            )
        for a in articles:
            body = k2_page(server.base, a, "Sample Section") if k2 else ac_page(server.base, a)
            if furniture:
                body = body.replace(b"</head>", FURNITURE.encode() + b"</head>", 1)
            page_bytes += len(body)
            server.route(a.path, Reply(200, {"Content-Type": "text/html; charset=utf-8"}, body))
        if k2:
            feed = k2_feed(server.base, f"section-{f}", f"Section {f}", articles, now)
            path = f"/publications/section-{f}.feed"
        else:
            feed = wordpress_feed(
                server.base, f"Feed {f}", f"/feed-{f}/feed/", articles, now, full_text=False
            )
            path = f"/feed-{f}/feed/"
        urls.append(server.route(path, _conditional(feed)))
    return Site(server, urls, page_bytes)


def _conditional(body: bytes) -> Callable[[Request], Reply]:
    etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'

    def handler(req: Request) -> Reply:
        if req.headers.get("if-none-match") == etag:
            return Reply(304, {"ETag": etag})
        return Reply(200, {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag}, body)

    return handler
