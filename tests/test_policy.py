"""Pure fetch decisions: when a feed may be fetched, how errors back off, what happens to an entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from briefing.models import Entry, FeedSource, FeedState
from briefing.policy import after_error, initial_status, page_error_is_final, skip_reason

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def entry(url: str) -> Entry:
    return Entry(
        key="k",
        guid=None,
        url=url,
        canonical_url="",
        title="t",
        authors=(),
        categories=(),
        published=None,
        text="x",
        content_hash="h",
    )


def test_skip_reasons() -> None:
    assert skip_reason(None, NOW) is None
    assert "gone" in (skip_reason(FeedState("f", "u", status="gone"), NOW, force=True) or "")
    backing = FeedState("f", "u", status="error", consecutive_errors=3, next_attempt=NOW + timedelta(hours=1))
    assert "backing off after 3 errors until 2026-11-21 13:00 UTC" in (skip_reason(backing, NOW) or "")
    assert skip_reason(backing, NOW, force=True) is None
    assert skip_reason(backing, NOW + timedelta(hours=2)) is None
    limited = FeedState("f", "u", status="rate_limited", next_attempt=NOW + timedelta(hours=1))
    assert "rate limited by the server" in (skip_reason(limited, NOW) or "")


def test_backoff_doubles_and_is_capped() -> None:
    cap = timedelta(hours=24)
    waits = [after_error(n, "http", None, NOW, cap)[1] - NOW for n in range(10)]  # type: ignore[operator]
    assert waits[:4] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    assert waits[-1] == cap
    assert after_error(0, "gone", None, NOW, cap) == ("gone", None)
    until = NOW + timedelta(hours=5)
    assert after_error(0, "rate_limited", until, NOW, cap) == ("rate_limited", until)


def test_initial_status() -> None:
    source = FeedSource("ac", "https://ac.example/feed", exclude=("/in-the-news/", "/podcast"))
    assert initial_status(entry("https://ac.example/blogs/x/"), source) == ("pending", "")
    assert initial_status(entry("https://ac.example/insight-impact/in-the-news/x/"), source)[0] == "excluded"
    assert initial_status(entry("javascript:alert(1)"), source)[0] == "blocked"
    assert initial_status(entry("file:///etc/passwd"), source)[0] == "blocked"
    assert initial_status(entry(""), source)[0] == "blocked"
    no_pages = FeedSource("f", "https://f.example/feed", fetch_pages=False)
    assert initial_status(entry("https://f.example/a"), no_pages)[0] == "feed"


def test_page_errors() -> None:
    assert not page_error_is_final("timeout", None, attempts=0, max_attempts=3)
    assert not page_error_is_final("http", 503, attempts=1, max_attempts=3)
    assert page_error_is_final("http", 503, attempts=2, max_attempts=3)
    assert page_error_is_final("http", 404, attempts=0, max_attempts=3)
    assert page_error_is_final("too_large", None, attempts=0, max_attempts=3)
