"""Feed bytes -> FeedUpdate: both publishers' shapes, identity rules and hostile feeds (section B)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import feedparser
import pytest

from briefing.errors import FeedError
from briefing.feeds import parse_feed
from briefing.models import FeedUpdate
from briefing.samples.shapes import k2_feed, wordpress_feed
from conftest import FIXTURES, dedent, load_articles, needs_fixtures

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
BASE = "https://www.example-publisher.org"


def parse(body: bytes, **kw: Any) -> FeedUpdate:
    return parse_feed(body, url=f"{BASE}/feed", now=kw.pop("now", NOW), **kw)


def rss(items: str, head: str = "") -> bytes:
    return dedent(
        f"""
        <?xml version="1.0" encoding="utf-8"?>{head}
        <rss version="2.0"><channel><title>T</title><link>{BASE}/</link>
        {items}
        </channel></rss>
        """
    ).encode()


def test_k2_shape() -> None:
    articles = load_articles("caci")
    update = parse_feed(
        k2_feed(BASE, "analytical-articles", "Analytical Articles", articles, NOW),
        url=f"{BASE}/publications/analytical-articles.feed",
        now=NOW,
    )
    assert update.version == "rss20" and update.degraded is None
    first = {e.url: e for e in update.entries}[f"{BASE}{articles[0].path}"]
    assert first.authors == ("Aliya Nurlanova",)  # from "noreply@cacianalyst.org (Aliya Nurlanova)"
    assert first.guid == first.url and first.key == f"guid:{first.url}"
    assert first.published == datetime(2026, 11, 16, 14, 30, tzinfo=UTC)  # -05:00 offset applied
    assert first.categories == ("Analytical Articles",)
    assert first.text == articles[0].paragraphs[0]  # the K2 intro, without image block
    assert first.canonical_url.startswith("https://example-publisher.org/publications/")


def test_wordpress_shape_prefers_full_content() -> None:
    articles = load_articles("ac")
    update = parse_feed(
        wordpress_feed(BASE, "AC", "/feed/", articles, NOW, full_text=True), url=f"{BASE}/feed/", now=NOW
    )
    e = update.entries[0]
    source = next(a for a in articles if a.title == e.title)
    assert e.guid == f"{BASE}/?p={source.post_id}"
    assert e.authors == source.authors  # dc:creator
    assert e.text == "\n\n".join(source.paragraphs)  # content:encoded, not the excerpt
    assert set(source.categories) <= set(e.categories)
    excerpt_only = parse_feed(
        wordpress_feed(BASE, "AC", "/feed/", articles, NOW, full_text=False), url=f"{BASE}/feed/", now=NOW
    )
    assert excerpt_only.entries[0].text.endswith("[…]")


def test_entries_are_newest_first_and_capped() -> None:
    items = "".join(
        f"<item><title>n{i}</title><link>{BASE}/{i}</link><pubDate>Mon, {10 + i} Nov 2026 10:00:00 GMT</pubDate></item>"
        for i in range(8)
    )
    update = parse(rss(items), max_entries=3)
    assert [e.title for e in update.entries] == ["n7", "n6", "n5"]
    assert update.dropped_over_limit == 5


def test_missing_and_future_dates_fall_back_to_first_seen() -> None:
    update = parse(
        rss(
            f"<item><title>undated</title><link>{BASE}/a</link></item>"
            f"<item><title>future</title><link>{BASE}/b</link><pubDate>Mon, 01 Jan 2035 10:00:00 GMT</pubDate></item>"
        )
    )
    assert [e.published for e in update.entries] == [None, None]


def test_guid_reuse_and_missing_identity() -> None:
    update = parse(
        rss(
            f"<item><title>one</title><guid isPermaLink='false'>tag:x,2026:1</guid><link>{BASE}/one</link></item>"
            f"<item><title>two</title><guid isPermaLink='false'>tag:x,2026:1</guid><link>{BASE}/two</link></item>"
            f"<item><title>no link</title><description>body only</description></item>"
            f"<item><title>link only</title><link>{BASE}/three?utm_source=rss</link></item>"
        )
    )
    keys = [e.key for e in update.entries]
    assert keys[0] == "guid:tag:x,2026:1"
    assert keys[1] == "guid:tag:x,2026:1|https://example-publisher.org/two"
    assert keys[2].startswith("hash:")
    assert keys[3] == "link:https://example-publisher.org/three"
    assert len(set(keys)) == 4


def test_text_fields_with_markup_stay_literal() -> None:
    # B12: markup in a text/plain field is shown as text, never interpreted
    update = parse(
        dedent(
            f"""
        <?xml version="1.0"?>
        <feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
        <entry><title type="text">&lt;script&gt;x&lt;/script&gt; and &lt;b&gt;</title>
        <link href="{BASE}/e"/><id>e1</id><updated>2026-11-20T10:00:00Z</updated>
        <content type="html">&lt;p onclick="x()"&gt;Body &lt;img src="file:///etc/passwd"&gt;&lt;/p&gt;&lt;script&gt;bad()&lt;/script&gt;</content>
        </entry></feed>
        """
        ).encode()
    )
    e = update.entries[0]
    assert e.title == "<script>x</script> and <b>"
    assert e.text == "Body"
    assert update.version == "atom10"


def test_a_reference_to_no_character_costs_one_character_not_the_feed() -> None:
    # feedparser's loose parser calls chr() on these unguarded: one bad item used to lose the whole feed
    refs = "&#xD800; &#1114112; &#99999999999999999999999; &#x0000000000000041;"
    update = parse(
        rss(
            f"<item><title>Bad {refs}</title><link>{BASE}/a</link>"
            f"<description><![CDATA[<p>Body {refs}</p>]]></description></item>"
            f"<item><title>Good</title><link>{BASE}/b</link><description>Fine.</description></item>"
        )
    )
    bad, good = sorted(update.entries, key=lambda e: e.title)
    assert bad.title == "Bad \ufffd \ufffd \ufffd A" and bad.text == "Body \ufffd \ufffd \ufffd A"
    assert good.title == "Good" and good.text == "Fine."


def test_controls_and_bidi_overrides_never_reach_what_is_stored() -> None:
    # Terminal escapes would reach `briefing articles`; a right-to-left override would make a quote
    # read backwards in the brief; XML 1.0 cannot carry C0 controls in the reports' Atom feed.
    update = parse(
        rss(
            "<item><title>Red&#x1b;[31m alert &#x202E;desrever&#x202C; bell&#x7; &#xFFFE;end</title>"
            f"<link>{BASE}/a&#x1b;[2J b&#x202E;c</link>"
            "<author>editor@example.org (Evil&#x1b;]0;owned&#x7; Name)</author>"
            "<category>c&#x7;at</category>"
            "<description><![CDATA[<p>Text&#x8; with a back&#x7f;space</p>"
            "<p>Second&#x2066; isolate</p>]]></description></item>"
        )
    )
    e = update.entries[0]
    assert e.title == "Red[31m alert desrever bell end"
    assert e.text == "Text with a backspace\n\nSecond isolate"
    assert e.authors == ("Evil]0;owned Name",) and e.categories == ("cat",)
    assert e.url == f"{BASE}/a%1B[2J%20b%E2%80%AEc"
    assert e.canonical_url.startswith("https://example-publisher.org/a%1B")


def test_entry_links_are_kept_as_given_for_the_policy_to_refuse() -> None:
    update = parse(rss("<item><title>x</title><link>javascript:alert(1)</link></item>"))
    assert update.entries[0].url == "javascript:alert(1)"
    assert update.entries[0].canonical_url == ""


def test_more_openings_than_closings_does_not_break_the_item_limit() -> None:
    update = parse(
        rss("<item />" * 300 + f"<item><title>last</title><link>{BASE}/l</link></item>"), max_entries=10
    )
    assert len(update.entries) <= 10


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse(b"<!doctype html><html><head><title>Home</title></head><body><p>Welcome</p></body></html>")


def test_empty_body_is_an_error_and_an_empty_feed_is_not() -> None:
    with pytest.raises(FeedError, match="empty response body"):
        parse(b"  \n ")
    assert parse(rss("")).entries == ()


def test_truncated_feed_keeps_what_parsed_and_is_degraded() -> None:
    body = rss(
        f"<item><title>kept</title><link>{BASE}/kept</link></item>"
        f"<item><title>also kept</title><link>{BASE}/also</link></item>"
        f"<item><title>cut mid"
    )
    body = body[: body.index(b"cut mid") + 7]
    update = parse(body)
    assert update.degraded and "malformed feed" in update.degraded
    assert [e.title for e in update.entries][:2] == ["kept", "also kept"]


def test_leading_whitespace_before_the_declaration_is_tolerated() -> None:
    update = parse(b"\n\n  " + rss(f"<item><title>a</title><link>{BASE}/a</link></item>"))
    assert update.degraded is None and len(update.entries) == 1


def test_billion_laughs_does_not_expand() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 9)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
        f'<rss version="2.0"><channel><title>&lol8;</title><item><title>&lol8;</title>'
        f"<link>{BASE}/x</link></item></channel></rss>"
    ).encode()
    hidden = body.replace(b"<!DOCTYPE", b"<!-- <a --><!DOCTYPE")  # a comment where the prolog seems to end
    for layout in (body, body.replace(b"<!ENTITY", b"\n<!ENTITY"), hidden):  # one line, one per line
        started = time.monotonic()
        update = parse(layout)
        assert time.monotonic() - started < 1.0
        assert all(len(e.title) < 1000 for e in update.entries)
        assert len(update.title) < 1000


def test_external_entities_and_dtds_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<rss version="2.0"><channel><title>t</title><item><title>&x;</title><description>&x;</description>'
        f"<link>{BASE}/x</link></item></channel></rss>"
    ).encode()
    update = parse(body)
    assert "TOP-SECRET-VALUE" not in repr(update)


def test_feedparser_only_ever_gets_bytes() -> None:
    # B14: a str would make feedparser fetch it as a URL or open it as a local file
    with pytest.raises(TypeError, match="bytes"):
        parse_feed("/etc/passwd", url="x", now=NOW)  # type: ignore[arg-type]
    with mock.patch.object(feedparser, "parse", wraps=feedparser.parse) as spy:
        parse(rss(""))
    assert isinstance(spy.call_args.args[0], bytes)


def test_cp1252_mislabelled_feed_is_decoded() -> None:
    body = rss("<item><title>Türkiye’s “corridor”</title><link>https://a.example/x</link></item>")
    body = body.decode().encode("cp1252")
    update = parse_feed(
        body, url="https://a.example/feed", content_type="application/rss+xml; charset=utf-8", now=NOW
    )
    assert len(update.entries) == 1  # decoded with replacement or override; never an exception


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
@pytest.mark.parametrize("declared", ["utf-8", "windows-1251"])
@pytest.mark.parametrize("before", ["", "\n"])
def test_a_byte_order_mark_outranks_the_header_and_the_declaration(
    encoding: str, declared: str, before: str
) -> None:
    # Served as charset=utf-8 with an encoding declared (after a stray newline, as WordPress plugins
    # print), but the bytes are what the BOM says.
    text = rss("<item><title>Türkiye’s “corridor”</title><link>https://a.example/x</link></item>").decode()
    text = before + text.replace('encoding="utf-8"', f'encoding="{declared}"')
    body = text.encode(encoding)
    if encoding == "utf-16-be":
        body = b"\xfe\xff" + body
    assert f'encoding="{declared}"' in text
    update = parse_feed(
        body, url="https://a.example/feed", content_type="application/rss+xml; charset=utf-8", now=NOW
    )
    assert [e.title for e in update.entries] == ["Türkiye’s “corridor”"] and update.degraded is None


WORDPRESS = FIXTURES / "real-feeds" / "wordpress"


@needs_fixtures("real-feeds", "wordpress")
@pytest.mark.parametrize(
    "name",
    [
        "natasha.xml",
        "dcrainmaker.xml",
        "manton.rss",
        "allthis.atom",
        "TechCrunch.xml",
        "TenderLovemaking.xml",
    ],
)
def test_real_wordpress_feeds(name: str) -> None:
    update = parse_feed(
        (WORDPRESS / name).read_bytes(),
        url="https://example.org/feed",
        max_entries=100,
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert update.degraded is None  # including the two that start with whitespace before <?xml
    assert len(update.entries) >= 8
    for e in update.entries:
        assert (e.title or e.text) and e.url.startswith("http") and e.published is not None
        assert e.authors, f"{name}: no author for {e.title!r}"
        assert "<" not in e.text[:200] or "&lt;" in e.text  # plain text, not markup
    assert len({e.key for e in update.entries}) == len(update.entries)


@needs_fixtures("real-feeds", "other")
@pytest.mark.parametrize("name", ["guardian.rss", "macworld.rss", "theomnishow.rss"])
def test_other_real_feeds(name: str) -> None:
    update = parse_feed(
        (FIXTURES / "real-feeds" / "other" / name).read_bytes(),
        url="https://example.org/feed",
        max_entries=100,
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert update.entries and len({e.key for e in update.entries}) == len(update.entries)


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_b13_huge_valid_feed_keeps_the_newest_quickly(kind: str) -> None:
    n = 50_000
    if kind == "rss":
        items = "".join(
            f"<item><title>Item {i}</title><link>{BASE}/{i}</link><guid>g{i}</guid>"
            f"<pubDate>{(datetime(2026, 11, 20, tzinfo=UTC) - timedelta(minutes=i)):%a, %d %b %Y %H:%M:%S} GMT</pubDate>"
            f"<description>Short description number {i}.</description></item>"
            for i in range(n)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>{items}</channel></rss>'
    else:
        items = "".join(
            f'<entry><title>Item {i}</title><link href="{BASE}/{i}"/><id>urn:x:{i}</id>'
            f"<updated>{(datetime(2026, 11, 20, tzinfo=UTC) - timedelta(minutes=i)):%Y-%m-%dT%H:%M:%SZ}</updated>"
            f"<summary>Short summary {i}.</summary></entry>"
            for i in range(n)
        )
        body = (
            f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>big</title>{items}</feed>'
        )
    data = body.encode()
    assert len(data) > 7 * 1024 * 1024
    started = time.monotonic()
    update = parse(data, max_entries=50)
    assert time.monotonic() - started < 5  # feedparser alone needs ~25 s for the whole file
    assert update.degraded is None
    assert [e.title for e in update.entries] == [f"Item {i}" for i in range(50)]
    assert update.dropped_over_limit == n - 50
