"""The brief: what one period's report says, section by section (rendered as HTML, PDF and JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from briefing.models.analysis import NearDoc, NewName, Quote
from briefing.models.ingest import Revision
from briefing.models.vocabulary import ArticleClass, DeliveryStatus, FeedStatus

FAILING = frozenset({"error", "gone", "rate_limited"})  # feed statuses named as failing on page one


@dataclass(frozen=True)
class BriefEntry:
    """One article in the brief, readable in half a minute: why it is here, its lead fact, at most three
    further facts and the names the reader has not met. Quotes keep their offsets (brief.json)."""

    article_id: int
    anchor: str
    title: str
    url: str  # http(s) only, else ""
    publisher: str
    feed: str
    authors: tuple[str, ...]
    published: datetime
    kind: ArticleClass
    score: float  # orders entries; never printed
    lead: Quote | None  # the article's lead fact
    facts: tuple[Quote, ...]  # at most three further new facts, none repeating the lead or each other
    new_names: tuple[NewName, ...]
    builds_on: tuple[NearDoc, ...]  # a development: the known documents of the story it develops
    also_reported_by: tuple[RepeatItem, ...]
    text_note: str = ""  # set when the text is the feed's own (the page could not be used)
    closest: NearDoc | None = None  # a new story: the closest known document (another story)
    story: str = ""  # the story's id, as `briefing mark` takes it
    important: bool = False  # marked important by the analyst

    @property
    def last_heard(self) -> datetime | None:
        """When the reader last heard of the story this entry develops (the newest dated known document)."""
        return max((n.date for n in self.builds_on if n.date is not None), default=None)


@dataclass(frozen=True)
class StoryGroup:
    id: str
    label: str
    since: str  # ISO date the story was first seen
    continuing: bool  # first seen before this period
    entries: tuple[BriefEntry, ...]


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str
    stories: tuple[StoryGroup, ...]

    @property
    def entries(self) -> tuple[BriefEntry, ...]:
        return tuple(e for s in self.stories for e in s.entries)


@dataclass(frozen=True)
class KeyItem:
    """One line of the week in brief: an entry's lead fact, its source and date, its class in words."""

    anchor: str
    title: str
    publisher: str
    kind: ArticleClass
    quote: Quote | None
    url: str
    published: datetime | None = None
    develops: str = ""  # a development: the title of the known story it develops
    last_heard: datetime | None = None  # ... and when the reader last heard of it


@dataclass(frozen=True)
class RepeatItem:
    title: str
    url: str
    publisher: str
    published: datetime
    note: str = ""


@dataclass(frozen=True)
class Dropped:
    title: str
    url: str
    publisher: str
    reason: str
    detail: str


@dataclass(frozen=True)
class SourceHealth:
    name: str
    publisher: str
    url: str
    status: FeedStatus
    items: int  # this period
    usual: float | None  # mean items per week over the eight weeks before
    last_success: datetime | None
    last_new: datetime | None
    last_error: str | None
    consecutive_errors: int
    extraction_failures: int
    note: str  # silence, redirects, degradation: what the reader should know


@dataclass(frozen=True)
class SourceActivity:
    """Articles per day for one source (for the activity chart)."""

    name: str
    per_day: tuple[int, ...]


@dataclass(frozen=True)
class SourceYield:
    """What one source brought in the period: its articles by class (for the sources chart)."""

    name: str
    new: int
    developments: int
    repeats: int
    duplicates: int


@dataclass(frozen=True)
class BriefCounts:
    articles: int
    new: int
    developments: int
    repeats: int
    duplicates: int
    sources: int


@dataclass(frozen=True)
class Method:
    corpus_documents: int
    briefed_articles: int
    first: datetime | None
    last: datetime | None
    new_story_similarity: float
    development_novelty: float
    baseline_key: str
    development_facts: int = 2
    # "semantic" when the sentence-embedding model took part, else "lexical"; `model` names the model
    # or says why it was not used.
    analysis: str = "lexical"
    model: str = ""
    semantic_new_story: float = 0.0
    corrections: int = 0  # the analyst's marks that applied to this period's analysis


@dataclass(frozen=True)
class Brief:
    """A period's brief. Rendering it again gives the same document (it is saved as brief.json)."""

    title: str
    period_label: str
    period_text: str
    period_start: datetime
    period_end: datetime
    timezone: str
    generated: datetime
    sample: bool
    counts: BriefCounts
    key: tuple[KeyItem, ...]
    sections: tuple[Section, ...]
    repeats: tuple[RepeatItem, ...]
    dropped: tuple[Dropped, ...]
    health: tuple[SourceHealth, ...]
    days: tuple[str, ...]  # ISO dates of the period, for the activity chart
    activity: tuple[SourceActivity, ...]
    yields: tuple[SourceYield, ...]  # per source, its articles by class
    method: Method
    paper: str = "A4"
    watched: tuple[WatchedName, ...] = ()  # the names the analyst follows (topics[].names), in order
    revised: tuple[Revision, ...] = ()  # articles found changed during the period (added, removed)
    version: int = 2  # brief.json's layout: 1 (no field) had new_sentences, summary and key_terms per entry

    @property
    def failing(self) -> tuple[SourceHealth, ...]:
        """Sources that did not answer at the end of the period (named on the first page)."""
        return tuple(h for h in self.health if h.status in FAILING)


@dataclass(frozen=True)
class Listed:
    """A brief as the index and the feed list it."""

    label: str
    title: str
    period_text: str
    generated: datetime
    counts: str
    files: tuple[tuple[str, str], ...]  # (format, relative path)

    @property
    def link(self) -> str:
        """Where the brief's title points: its HTML page, else its PDF ("" when neither was written)."""
        paths = dict(self.files)
        return paths.get("html") or paths.get("pdf") or ""


@dataclass(frozen=True)
class Mention:
    """One sentence of the period that mentions a watched name, quoted with its source. `new`: the sentence
    was new to the reader (one of the article's new sentences, or the article is a new story)."""

    anchor: str
    title: str
    url: str  # http(s) only, else ""
    publisher: str
    published: datetime
    quote: Quote
    kind: ArticleClass
    new: bool


@dataclass(frozen=True)
class WatchedName:
    name: str  # as the brief names it: the first form configured
    topic: str
    mentions: tuple[Mention, ...]


@dataclass(frozen=True)
class Delivery:
    """The ledger's row for one period.

    status: "written" (files in the reports folder, no e-mail configured), "rendered" (files written, not
    yet sent), "sent" (the SMTP server accepted it), "retry" (a temporary failure: tried again next run),
    "failed" (a permanent failure: not retried without --force)."""

    period: str
    rendered_at: datetime
    files: tuple[str, ...]
    status: DeliveryStatus
    message_id: str | None
    recipients: tuple[str, ...]
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    sent_at: datetime | None
    reply: str | None
    first_message_id: str | None = None  # what a deliberate resend refers to
