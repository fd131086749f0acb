"""Load generator: N feeds x M items with realistic article pages, served from loopback. SAMPLE DATA.

Half the feeds are in the CACI Analyst's Joomla/K2 shape (lead only in the feed, full text on the page),
half in the Atlantic Council's WordPress shape (excerpt in the feed). Pages carry the usual site
furniture (navigation, scripts, styles, related links) so they weigh what real pages weigh: 50 to 300 KB.
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


PAGE_BYTES = (50_000, 300_000)  # what the pages of the two publishers weigh, furniture included
_FURNITURE_SIZES = 32


_ICON = (
    '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">'
    '<path d="M12 2l3 7h7l-5.5 4 2 7-6.5-4.5L5.5 20l2-7L2 9h7z"/></svg>'
)


def _srcset(n: int) -> str:
    return ", ".join(
        f"/wp-content/uploads/2026/11/image-{n}-{w}x{w * 9 // 16}.jpg {w}w" for w in (300, 768, 1024, 1536)
    )


def site_furniture(rng: random.Random, size: int) -> tuple[bytes, bytes, bytes]:
    """Site furniture of about `size` bytes: (in the head, after <body>, before </body>).

    Shaped after the real pages in the fixtures (40 to 380 KB, 60 to 260 links, a tenth to a half
    scripts and styles): a third scripts and styles; about one link per 1.2 KB (a menu above the
    article, related articles and a footer below it); the rest the nested, attribute-heavy blocks of
    page builders, with inline icons."""
    head = "<script>window.dataLayer=window.dataLayer||[];" + "var x=1;" * (size // 48) + "</script>"
    head += "<style>" + ".c{color:#333;margin:0 auto}" * (size // 160) + "</style>"
    links = []
    for _ in range(max(20, size // 1200)):
        n = rng.randrange(10_000)
        links.append(
            f'<li class="menu-item"><a href="/section/{n}/">{rng.choice(WORDS).title()} {n}</a></li>'
        )
    blocks = []
    weight = sum(map(len, links))
    while weight < size * 2 // 3:
        n = rng.randrange(10_000)
        block = (
            f'<div class="wp-block-group is-layout-flow has-background" data-block="{n}">'
            f'<div class="wp-block-group__inner-container"><div class="card card--{n % 7}">{_ICON}'
            f'<img src="/img/{n}.jpg" srcset="{_srcset(n)}" sizes="(max-width: 600px) 100vw, 50vw">'
            f'<span class="card__label">{rng.choice(WORDS).title()}</span></div></div></div>'
        )
        blocks.append(block)
        weight += len(block)
    menu, related = len(links) // 2, len(links) * 8 // 10
    half = len(blocks) // 2
    top = '<header class="site-header"><nav class="mega-menu"><ul>' + "".join(links[:menu])
    top += "</ul></nav>" + "".join(blocks[:half]) + "</header>"
    bottom = '<aside class="related"><h3>Related</h3><ul>' + "".join(links[menu:related]) + "</ul></aside>"
    bottom += '<footer class="site-footer">' + "".join(blocks[half:]) + "<ul>" + "".join(links[related:])
    bottom += "</ul></footer>"
    return head.encode(), top.encode(), bottom.encode()


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

    `furniture` adds what real pages carry around the article (scripts, styles, menus, footers), so
    that pages weigh between 50 and 300 KB, evenly spread; without it a page is its article alone."""
    rng = random.Random(seed)
    urls: list[str] = []
    page_bytes = 0
    # Furniture in a few sizes spread over the range, each page taking the one nearest its drawn weight:
    # drawing every page's own would cost more than the benchmarks it serves.
    low, high = PAGE_BYTES
    sizes = [low + (high - low) * k // (_FURNITURE_SIZES - 1) for k in range(_FURNITURE_SIZES)]
    variants = [site_furniture(rng, size) for size in sizes] if furniture else []
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
                wanted = rng.randint(low, high) - len(body)
                head, top, bottom = variants[min(range(len(sizes)), key=lambda k: abs(sizes[k] - wanted))]
                body = body.replace(b"</head>", head + b"</head>", 1)
                opened = body.index(b">", body.index(b"<body")) + 1
                body = body[:opened] + top + body[opened:].replace(b"</body>", bottom + b"</body>", 1)
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
