"""Dataclasses of configuration, fetching, parsing, extraction and storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from briefing.models.analysis import Quote
from briefing.models.vocabulary import ExtractionStatus, FeedOutcome, FeedStatus, TextSource


@dataclass(frozen=True)
class FeedSource:
    """One feed as configured in feeds.yaml."""

    name: str
    url: str
    publisher: str = ""
    title: str = ""
    tags: tuple[str, ...] = ()
    enabled: bool = True
    exclude: tuple[str, ...] = ()
    fetch_pages: bool = True
    max_entries: int | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class WatchTopic:
    """A section of the brief chosen by the analyst: a name and the terms that define it."""

    name: str
    terms: tuple[str, ...]
    min_mentions: int = 2
    names: tuple[str, ...] = ()  # followed in the brief's Watched names section ("Name | variant")


def name_forms(watched: str) -> tuple[str, ...]:
    """The forms of a watched name as configured ("Nikol Pashinyan | Pashinian"): the first is how the brief
    names it, the others are variants."""
    return tuple(f.strip() for f in watched.split("|") if f.strip())


@dataclass(frozen=True)
class FeedState:
    """What the store remembers about a feed between runs."""

    name: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    validators_url: str | None = None
    last_checked: datetime | None = None
    last_success: datetime | None = None
    last_new: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_errors: int = 0
    next_attempt: datetime | None = None
    status: FeedStatus = "new"
    degraded_reason: str | None = None
    redirect_target: str | None = None
    redirect_first_seen: datetime | None = None


@dataclass(frozen=True)
class Retrieved:
    """A successful HTTP exchange: status 200 with a body, or 304 without one."""

    url: str
    final_url: str
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True)
class Entry:
    """One feed item, normalised. `key` is its identity within the feed."""

    key: str
    guid: str | None
    url: str
    canonical_url: str
    title: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: datetime | None
    text: str
    content_hash: str


@dataclass(frozen=True)
class FeedUpdate:
    """The result of parsing a feed body."""

    version: str
    title: str
    link: str
    entries: tuple[Entry, ...]
    degraded: str | None = None
    dropped_over_limit: int = 0


@dataclass(frozen=True)
class ExtractedPage:
    """What the extractor found on an article page (text is plain, paragraphs separated by blank lines)."""

    text: str
    title: str
    authors: tuple[str, ...]
    date: str | None
    language: str | None = None


@dataclass(frozen=True)
class ExtractionOutcome:
    """The text chosen for an article and why.

    `status` is one of ok, no_text, boilerplate, short, fetch_error, blocked, timeout, crashed, memory,
    failed, skipped; `source` says where the text came from: page, feed or none.
    """

    status: ExtractionStatus
    source: TextSource
    text: str
    detail: str = ""
    page: ExtractedPage | None = None


@dataclass(frozen=True)
class Article:
    """A stored article: the entry as the feed gave it plus the text the pipeline chose."""

    id: int
    feed: str
    publisher: str
    url: str
    canonical_url: str
    title: str
    authors: tuple[str, ...]
    published: datetime
    date_source: str
    first_seen: datetime
    text: str
    text_source: TextSource
    extraction_status: ExtractionStatus
    extraction_detail: str
    word_count: int
    categories: tuple[str, ...] = ()
    guid: str | None = None
    feed_text: str = ""

    @property
    def has_text(self) -> bool:
        """Whether there is text to analyse (a page waiting for a retry has none yet)."""
        return bool(self.text.strip())

    @property
    def time_order(self) -> tuple[datetime, str, str, int]:
        """Sort key: publication time, ties broken by what the feed said rather than by the id, which
        follows the order concurrent feeds happened to be stored in."""
        return (self.published, self.feed, self.canonical_url or self.url, self.id)


@dataclass(frozen=True)
class Recheck:
    """A recent article whose page is due to be fetched again, to find a revision."""

    article_id: int
    feed: str
    url: str
    title: str
    text: str
    etag: str | None
    last_modified: str | None
    feed_text: str = ""  # the text chosen is read with it, as at the first fetch


@dataclass(frozen=True)
class Revision:
    """A material change to an article after it was stored: the sentences added (offsets in the new
    text) and removed (offsets in the earlier text, which the store keeps with the revision)."""

    id: int
    article_id: int
    found_at: datetime
    old_title: str
    new_title: str
    added: tuple[Quote, ...]
    removed: tuple[Quote, ...]
    title: str = ""  # the article as the feed names it
    url: str = ""
    feed: str = ""
    publisher: str = ""


@dataclass(frozen=True)
class FeedResult:
    """The outcome of one feed in one run.

    `status` is new, unchanged, not_modified, degraded, error, rate_limited, gone or skipped.
    """

    name: str
    url: str
    status: FeedOutcome
    new: int = 0
    error: str | None = None
    http_status: int | None = None
    detail: str = ""
    elapsed: float = 0.0


@dataclass(frozen=True)
class ArticleResult:
    """The outcome of fetching and extracting one article page."""

    article_id: int
    feed: str
    url: str
    status: ExtractionStatus
    source: TextSource
    detail: str = ""


@dataclass(frozen=True)
class FetchReport:
    """What a fetch run did, feed by feed and article by article."""

    run_id: int
    started: datetime
    finished: datetime
    feeds: tuple[FeedResult, ...]
    articles: tuple[ArticleResult, ...] = ()
    pending: int = 0
    rechecked: int = 0  # recent pages fetched again to find revisions
    revised: tuple[int, ...] = ()  # the articles among them that changed materially

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def failed_feeds(self) -> tuple[FeedResult, ...]:
        return tuple(f for f in self.feeds if f.status in ("error", "gone"))


@dataclass(frozen=True)
class FeedHealth:
    """Feed health as `briefing status` and the brief show it."""

    name: str
    url: str
    enabled: bool
    status: FeedStatus
    last_checked: datetime | None
    last_success: datetime | None
    last_new: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_errors: int
    next_attempt: datetime | None
    items_7d: int
    items_30d: int
    articles: int
    extraction_failures_30d: int
    redirect_target: str | None = None
    redirect_first_seen: datetime | None = None
    degraded_reason: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedCheck:
    """The result of `briefing feeds check` for one feed: a live fetch and parse, nothing stored."""

    name: str
    url: str
    ok: bool
    http_status: int | None = None
    final_url: str = ""
    version: str = ""
    title: str = ""
    entries: int = 0
    newest: datetime | None = None
    problem: str = ""
    warnings: tuple[str, ...] = ()
