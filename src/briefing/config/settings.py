"""The configuration's declaration: `SETTINGS`, the one table of keys (type, default, environment
variable, help), and the frozen dataclasses a validated configuration is made of, whose defaults come from
the table."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefing.analysis.params import DEFAULTS, Params
from briefing.errors import ConfigError
from briefing.models import FeedSource, WatchTopic

DEFAULT_CONFIG_NAME = "feeds.yaml"
CONFIG_ENV = "BRIEFING_CONFIG"


@dataclass(frozen=True)
class Setting:
    """One configuration key: where it lives, its type, default and help text."""

    key: str
    kind: str
    default: Any
    help: str
    minimum: float | None = None
    required: bool = False

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    @property
    def env(self) -> str | None:
        """The environment variable that overrides this key (settings.* keys only)."""
        if self.key.startswith("settings."):
            return "BRIEFING_" + self.name.upper()
        return None


_MIB = 1024 * 1024

SETTINGS: tuple[Setting, ...] = (
    Setting("settings.data_dir", "path", "data", "Folder for the SQLite store, the run lock and caches."),
    Setting(
        "settings.database",
        "str",
        "",
        "Where the store lives: empty for SQLite in data_dir (one machine), `sqlite:///path` (relative to "
        "data_dir), or "
        "`postgresql://host:port/dbname` for a cluster of workers. Keep credentials out of this file: "
        "libpq reads PGUSER, PGPASSWORD (or ~/.pgpass) and PGSSLMODE from the environment.",
    ),
    Setting(
        "settings.stalled_after",
        "float",
        60.0,
        "In a cluster: seconds a worker may go without a heartbeat before its jobs are given to another.",
        5.0,
    ),
    Setting("settings.reports_dir", "path", "reports", "Folder where briefs are written."),
    Setting(
        "settings.allow_private_networks",
        "bool",
        False,
        "Allow requests to loopback, private, link-local and other non-public addresses "
        "(checked at connect time, redirects included). Leave off unless you monitor an intranet.",
    ),
    Setting(
        "settings.allowed_networks",
        "networks",
        [],
        "Addresses or CIDR networks allowed even while private networks are refused.",
    ),
    Setting(
        "settings.contact",
        "str",
        "",
        "A URL or e-mail address publishers can reach you at; sent in the User-Agent.",
    ),
    Setting(
        "settings.user_agent",
        "str",
        "",
        "Full User-Agent override. Default: `briefing/<version> (+<contact>)`.",
    ),
    Setting("settings.timeout", "float", 30.0, "Total deadline for one HTTP request, in seconds.", 0.1),
    Setting("settings.connect_timeout", "float", 10.0, "Deadline to open a connection, in seconds.", 0.1),
    Setting(
        "settings.max_feed_bytes",
        "size",
        10 * _MIB,
        "Largest feed body accepted, counted after decompression (`10MiB`, `500KB` or bytes).",
        1024,
    ),
    Setting(
        "settings.max_page_bytes",
        "size",
        5 * _MIB,
        "Largest article page accepted, counted after decompression.",
        1024,
    ),
    Setting("settings.max_redirects", "int", 5, "Redirects followed per request.", 0),
    Setting("settings.concurrency", "int", 8, "HTTP requests in flight at once, overall.", 1),
    Setting("settings.per_host_concurrency", "int", 2, "HTTP requests in flight to one host.", 1),
    Setting(
        "settings.host_delay",
        "float",
        0.0,
        "Seconds between the starts of two requests to the same host (politeness).",
        0.0,
    ),
    Setting(
        "settings.max_entries_per_feed",
        "int",
        50,
        "Newest entries kept from one fetch of a feed; older ones are dropped with a warning.",
        1,
    ),
    Setting(
        "settings.page_attempts",
        "int",
        3,
        "Runs in which a failing article page is retried before the feed text is kept for good.",
        1,
    ),
    Setting(
        "settings.min_words",
        "int",
        80,
        "Extracted page text shorter than this (in words) loses to the feed's own text.",
        0,
    ),
    Setting(
        "settings.extraction_timeout",
        "float",
        20.0,
        "Wall-clock limit for parsing one feed or extracting one page in its worker, in seconds.",
        0.1,
    ),
    Setting(
        "settings.extraction_memory_mb",
        "int",
        1024,
        "Address-space limit of each worker process, in MiB.",
        128,
    ),
    Setting(
        "settings.workers",
        "int",
        0,
        "Worker processes for parsing and extraction; 0 = one per CPU.",
        0,
    ),
    Setting(
        "settings.fetch_deadline",
        "float",
        1800.0,
        "Longest time the fetch step of one run may take, in seconds (0 = no limit). Feeds and pages"
        " not done by then are left for the next run, and the brief is made from what is stored.",
        0.0,
    ),
    Setting(
        "settings.max_backoff_hours",
        "float",
        24.0,
        "Longest wait before retrying a failing feed (the wait doubles per consecutive error).",
        0.0,
    ),
    Setting(
        "settings.recheck_days",
        "int",
        14,
        "Articles first seen this many days ago or later are fetched again to find revisions (0: never).",
        0,
    ),
    Setting(
        "settings.recheck_hours",
        "float",
        24.0,
        "Hours between two checks of one article's page for a revision (a conditional GET).",
        1.0,
    ),
    Setting(
        "settings.timezone",
        "timezone",
        "UTC",
        "IANA time zone for report periods and schedules (weeks start Monday 00:00 local time).",
    ),
    Setting(
        "settings.templates_dir",
        "path",
        None,
        "A copy of the brief templates to use instead of the packaged ones (change the look, not the code).",
    ),
    Setting("report.title", "str", "Weekly brief", "Title on the cover and in the running header."),
    Setting(
        "report.render_timeout", "float", 120.0, "Wall-clock limit for rendering one PDF, in seconds.", 1.0
    ),
    Setting(
        "report.render_memory_mb",
        "int",
        2048,
        "Address-space limit of the PDF rendering process, in MiB.",
        256,
    ),
    Setting("report.paper", "choice:A4,Letter", "A4", "Paper size of the PDF: A4 or Letter."),
    Setting("report.key_items", "int", 8, "Lines of the week in brief on page one (5 to 8 read best).", 0),
    Setting(
        "report.max_entries",
        "int",
        60,
        "Most entries in full; lower-scoring ones are listed in the appendix as below the cut.",
        1,
    ),
    Setting(
        "schedule.brief",
        "schedule",
        "mon 07:00",
        "When the brief of the last complete week is due, in settings.timezone: days and a time, "
        "e.g. `mon 07:00`, `mon,thu 06:30`, `daily 08:00`.",
    ),
    Setting("schedule.fetch_every", "float", 6.0, "Hours between fetches in `briefing daemon`.", 0.05),
    Setting(
        "schedule.misfire_grace_hours",
        "float",
        12.0,
        "How late a missed daemon job may still run (after downtime it runs once, coalesced).",
        0.0,
    ),
    Setting(
        "delivery.email.host",
        "str",
        None,
        "SMTP server; without it briefs are only written to the reports folder.",
    ),
    Setting("delivery.email.port", "int", None, "SMTP port (default 587 starttls, 465 tls, 25 none).", 1),
    Setting(
        "delivery.email.security",
        "choice:starttls,tls,none",
        "starttls",
        "starttls (required, never skipped), tls (implicit TLS) or none (trusted local relay only).",
    ),
    Setting("delivery.email.sender", "address", None, "From address, e.g. `Briefing <brief@example.org>`."),
    Setting("delivery.email.recipients", "addresses", [], "Addresses the brief is sent to."),
    Setting(
        "delivery.email.username_env",
        "str",
        None,
        "Name of the environment variable holding the SMTP user name (credentials never live in the file).",
    ),
    Setting("delivery.email.password_env", "str", None, "Environment variable holding the SMTP password."),
    Setting("delivery.email.timeout", "float", 60.0, "Seconds allowed for each SMTP network operation.", 1.0),
    Setting(
        "delivery.email.max_attachment_mb",
        "float",
        10.0,
        "Largest PDF attached; a larger one is left out (see attachment_fallback).",
        0.1,
    ),
    Setting(
        "delivery.email.attachment_fallback",
        "bool",
        True,
        "When the PDF is too large, send the message without it (else report a failure).",
    ),
    Setting(
        "corpus.paths",
        "paths",
        None,
        "Files or folders holding the baseline corpus; unset, the seed corpus bundled with briefing. "
        "An empty list means an empty baseline: everything is new.",
    ),
    Setting(
        "corpus.split_after",
        "patterns",
        [r"^Published in .+$"],
        "Lines that end one article of a corpus file and start the next (regular expressions).",
    ),
    Setting(
        "corpus.drop_after",
        "patterns",
        [r"^(Further reading|Visit also|Related content|Read more|Newsletter)$"],
        "Lines from which the rest of an article is site furniture and dropped.",
    ),
    Setting(
        "corpus.drop_lines",
        "patterns",
        [
            r"^(Credit|Credits|Image|Photo|Source)s?:",
            r"\((Image|Photo)s? [Cc]ourtesy",
            r"Free Stock Photo",
            r"\bcompressed$",
            r"Title Page",
        ],
        "Lines removed wherever they occur (image captions and credits).",
    ),
    Setting(
        "corpus.drop_text",
        "patterns",
        [
            r"(\b(He|She|They) can be reached at\s*)?This email address is being protected from spambots\."
            r" You need JavaScript enabled to view it\.(\s*\.)?"
        ],
        "Phrases removed from lines (e-mail cloaking notices).",
    ),
    Setting("corpus.min_words", "int", 25, "Articles shorter than this after cleaning are dropped.", 0),
    Setting(
        "corpus.max_file_mb", "float", 50.0, "Corpus files larger than this are skipped, saying so.", 0.1
    ),
    Setting(
        "corpus.max_pdf_pages", "int", 2000, "Pages read from one PDF; the rest are left out, saying so.", 1
    ),
    Setting(
        "corpus.read_timeout",
        "float",
        60.0,
        "Seconds one PDF or HTML file may take to read (in a worker process); a slower file is skipped and "
        "not retried until it changes.",
        1.0,
    ),
    Setting(
        "corpus.include_briefed",
        "bool",
        True,
        "Articles that appeared in an issued brief join the baseline, so later briefs do not call them new.",
    ),
    Setting(
        "analysis.new_story_similarity",
        "float",
        DEFAULTS.new_story_similarity,
        "Below this similarity to every known document an article is a new story (chosen on ECB+ train/dev).",
        0.0,
    ),
    Setting(
        "analysis.development_novelty",
        "float",
        DEFAULTS.development_novelty,
        "Mean share of new content terms per sentence from which a known story counts as developed.",
        0.0,
    ),
    Setting(
        "analysis.development_facts",
        "int",
        DEFAULTS.development_facts,
        "Sentences with a new name and a new figure or date that also make a known story developed.",
        1,
    ),
    Setting(
        "analysis.duplicate_similarity",
        "float",
        DEFAULTS.duplicate_similarity,
        "Two articles of one period this similar report the same story; the best copy is kept.",
        0.0,
    ),
    Setting(
        "analysis.story_similarity",
        "float",
        DEFAULTS.story_similarity,
        "Similarity from which an article joins a story.",
        0.0,
    ),
    Setting(
        "analysis.story_lookback_days",
        "int",
        DEFAULTS.story_lookback_days,
        "Days of earlier articles that stories are traced back.",
        0,
    ),
    Setting(
        "analysis.max_quotes", "int", DEFAULTS.max_quotes, "New-information quotes listed per article.", 0
    ),
    Setting("analysis.max_names", "int", DEFAULTS.max_names, "New names listed per article.", 0),
    Setting(
        "analysis.novel_sentence",
        "float",
        DEFAULTS.novel_sentence,
        "Sentence score from which a sentence is quoted as new information (chosen on ECB+ train/dev).",
        0.0,
    ),
    Setting(
        "analysis.semantic",
        "bool",
        DEFAULTS.semantic,
        "Use the sentence-embedding model installed with briefing (all-MiniLM-L6-v2) to recognise known "
        "stories and restatements told in other words; false: lexical analysis only.",
    ),
    Setting(
        "analysis.semantic_new_story",
        "float",
        DEFAULTS.semantic_new_story,
        "With the model: an article is a new story when no known document matches it this well, in a blend "
        "of meaning (closest paragraphs) and shared terms and names (chosen on the real-world tune fold).",
        0.0,
    ),
    Setting(
        "analysis.semantic_match_blend",
        "float",
        DEFAULTS.semantic_match_blend,
        "With the model: share of meaning in that match; the rest is terms, names and figures, which keep "
        "two events of one kind apart.",
        0.0,
    ),
    Setting(
        "analysis.semantic_blend",
        "float",
        DEFAULTS.semantic_blend,
        "With the model: share of meaning, against terms and specifics, in ranking the known documents an "
        "article builds on.",
        0.0,
    ),
    Setting(
        "analysis.restated_sentence",
        "float",
        DEFAULTS.restated_sentence,
        "With the model: a sentence this close in meaning to a known sentence, with no new name or figure, "
        "only retells it and is not quoted as new.",
        0.0,
    ),
    Setting(
        "analysis.semantic_duplicate",
        "float",
        DEFAULTS.semantic_duplicate,
        "With the model: two articles with paragraphs this close in meaning may be one event told twice...",
        0.0,
    ),
    Setting(
        "analysis.duplicate_specifics",
        "float",
        DEFAULTS.duplicate_specifics,
        "...when their names and figures also agree this much (two earthquakes of one week do not).",
        0.0,
    ),
    Setting(
        "analysis.lead_sentence",
        "float",
        DEFAULTS.lead_sentence,
        "Sentence score from which one of an article's first sentences is quoted first, as its lead.",
        0.0,
    ),
    Setting("topics[].name", "str", None, "Name of a watch topic: a section of the brief.", required=True),
    Setting(
        "topics[].terms", "list", [], "Words or phrases that put an article under this topic (any case)."
    ),
    Setting("topics[].min_mentions", "int", 2, "Mentions needed (a title mention counts twice).", 1),
    Setting(
        "topics[].names",
        "list",
        [],
        "Names to follow: every brief lists each mention in its Watched names section, quoted, new or not. "
        'Variants after a bar ("Nikol Pashinyan | Pashinian"); the gazetteer\'s spellings and other '
        "transliterations match too.",
    ),
    Setting(
        "feeds[].name",
        "str",
        None,
        "Unique name of the feed, used on the command line.",
        required=True,
    ),
    Setting("feeds[].url", "url", None, "The feed's http(s) address.", required=True),
    Setting("feeds[].title", "str", "", "Display title (default: the name)."),
    Setting("feeds[].publisher", "str", "", "Publisher shown in briefs and used to group sources."),
    Setting("feeds[].tags", "list", [], "Free-form labels."),
    Setting("feeds[].enabled", "bool", True, "Set to false to keep a feed configured but not fetched."),
    Setting(
        "feeds[].exclude",
        "patterns",
        [],
        "Regular expressions; entries whose link matches any are stored as excluded and not fetched.",
    ),
    Setting(
        "feeds[].fetch_pages",
        "bool",
        True,
        "Fetch each article page for full text; false keeps the feed's own text.",
    ),
    Setting("feeds[].max_entries", "int", None, "Per-feed override of settings.max_entries_per_feed.", 1),
    Setting("feeds[].timeout", "float", None, "Per-feed override of settings.timeout.", 0.1),
)

_SECTIONS = ("settings", "report", "schedule", "delivery", "corpus", "analysis", "topics", "feeds")


def database_problem(url: str) -> str | None:
    """Why `url` cannot be settings.database (None when it can)."""
    url = url.strip()
    if not url or url.startswith(("postgresql://", "postgres://", "sqlite:///")):
        return None
    return f"{url[:80]!r} is not postgresql://host/dbname or sqlite:///path; leave it empty for SQLite"


def _default(key: str) -> Any:
    """The default of setting `key` as the SETTINGS table declares it (lists as tuples): the one place a
    default is written; the dataclasses below take theirs from here."""
    spec = next(s for s in SETTINGS if s.key == key)
    return tuple(spec.default) if isinstance(spec.default, list) else spec.default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    reports_dir: Path
    allow_private_networks: bool
    allowed_networks: tuple[str, ...]
    contact: str
    user_agent: str
    timeout: float
    connect_timeout: float
    max_feed_bytes: int
    max_page_bytes: int
    max_redirects: int
    concurrency: int
    per_host_concurrency: int
    host_delay: float
    max_entries_per_feed: int
    page_attempts: int
    min_words: int
    extraction_timeout: float
    extraction_memory_mb: int
    workers: int
    max_backoff_hours: float
    fetch_deadline: float
    timezone: str
    templates_dir: Path | None
    recheck_days: int = _default("settings.recheck_days")
    recheck_hours: float = _default("settings.recheck_hours")
    database: str = _default("settings.database")
    stalled_after: float = _default("settings.stalled_after")

    @property
    def store_location(self) -> Path | str:
        """The SQLite file, or a PostgreSQL conninfo URL (`Store.open` takes either)."""
        url = self.database.strip()
        if url.startswith(("postgresql://", "postgres://")):
            return url
        if url.startswith("sqlite:///"):
            return self.data_dir / url.removeprefix("sqlite:///")  # an absolute path stays absolute
        problem = database_problem(url)
        if problem:
            raise ConfigError("settings.database", [problem])
        return self.data_dir / "briefing.sqlite3"

    @property
    def shared_database(self) -> bool:
        """True when the store is PostgreSQL, shared by workers on any number of machines."""
        return isinstance(self.store_location, str)

    @property
    def corpus_cache(self) -> Path:
        """Where the outcome of reading each PDF or HTML corpus file is kept (by content)."""
        return self.data_dir / "corpus-cache"

    @property
    def worker_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)


@dataclass(frozen=True)
class ReportSettings:
    title: str = _default("report.title")
    render_timeout: float = _default("report.render_timeout")
    render_memory_mb: int = _default("report.render_memory_mb")
    paper: str = _default("report.paper")
    key_items: int = _default("report.key_items")
    max_entries: int = _default("report.max_entries")


@dataclass(frozen=True)
class ScheduleSettings:
    brief: str = _default("schedule.brief")
    fetch_every: float = _default("schedule.fetch_every")
    misfire_grace_hours: float = _default("schedule.misfire_grace_hours")


@dataclass(frozen=True)
class EmailSettings:
    """SMTP delivery; `host` None means no e-mail. Credentials are read from the environment at send time."""

    host: str | None = _default("delivery.email.host")
    port: int | None = _default("delivery.email.port")
    security: str = _default("delivery.email.security")
    sender: str | None = _default("delivery.email.sender")
    recipients: tuple[str, ...] = _default("delivery.email.recipients")
    username_env: str | None = _default("delivery.email.username_env")
    password_env: str | None = _default("delivery.email.password_env")
    timeout: float = _default("delivery.email.timeout")
    max_attachment_mb: float = _default("delivery.email.max_attachment_mb")
    attachment_fallback: bool = _default("delivery.email.attachment_fallback")

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465}.get(self.security, 25)


@dataclass(frozen=True)
class CorpusSettings:
    paths: tuple[Path, ...]
    split_after: tuple[str, ...] = _default("corpus.split_after")
    drop_after: tuple[str, ...] = _default("corpus.drop_after")
    drop_lines: tuple[str, ...] = _default("corpus.drop_lines")
    drop_text: tuple[str, ...] = _default("corpus.drop_text")
    min_words: int = _default("corpus.min_words")
    max_file_mb: float = _default("corpus.max_file_mb")
    max_pdf_pages: int = _default("corpus.max_pdf_pages")
    read_timeout: float = _default("corpus.read_timeout")
    include_briefed: bool = _default("corpus.include_briefed")


@dataclass(frozen=True)
class Config:
    """A validated configuration. `source` is the file it came from."""

    source: Path
    settings: Settings
    corpus: CorpusSettings
    feeds: tuple[FeedSource, ...]
    analysis: Params = DEFAULTS
    topics: tuple[WatchTopic, ...] = ()
    report: ReportSettings = ReportSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    email: EmailSettings = EmailSettings()

    def feed(self, name: str) -> FeedSource:
        for f in self.feeds:
            if f.name == name:
                return f
        raise ConfigError(str(self.source), [f"no feed named {name!r}; known: {self.feed_names()}"])

    def feed_names(self) -> str:
        return ", ".join(f.name for f in self.feeds) or "(none)"
