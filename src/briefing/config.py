"""feeds.yaml -> Config (frozen), with every problem collected and reported with its key path.

`SETTINGS` is the single table of configuration keys: validation, defaults, environment overrides and
the README's configuration reference are all generated from it.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from briefing.analysis.params import DEFAULTS, Params
from briefing.errors import ConfigError
from briefing.models import FeedSource, WatchTopic
from briefing.urls import is_http_url

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
        "Seconds one PDF may take to read (in a worker process); a slower file is skipped and not retried "
        "until it changes.",
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

    @property
    def database(self) -> Path:
        return self.data_dir / "briefing.sqlite3"

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


def find_config(explicit: str | Path | None, env: Mapping[str, str] | None = None) -> Path:
    """The config path: the explicit one, else $BRIEFING_CONFIG, else ./feeds.yaml."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a configuration file.

    Returns a frozen `Config`. Raises `ConfigError` listing every problem found (unreadable file,
    YAML syntax, unknown keys with suggestions, wrong types, non-http URLs, duplicate feeds).
    """
    env = os.environ if env is None else env
    config_path = find_config(path, env)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = "" if path else f"; pass --config FILE or set {CONFIG_ENV}"
        raise ConfigError(str(config_path), [f"file not found{hint}"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(config_path), [f"cannot read the file: {e}"]) from None
    return parse_config(text, config_path, env)


def parse_config(text: str, source: Path, env: Mapping[str, str] | None = None) -> Config:
    """Validate configuration `text`; relative paths resolve against `source`'s folder."""
    env = {} if env is None else env
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ConfigError(str(source), [f"not valid YAML: {_yaml_problem(e)}"]) from None
    if _expanded_size(raw, MAX_YAML_VALUES) > MAX_YAML_VALUES:
        too_many = f"not accepted: its aliases (*name) expand to more than {MAX_YAML_VALUES:,} values"
        raise ConfigError(str(source), [too_many])
    checker = _Checker(source.resolve().parent)
    config = checker.config(raw, source, env)
    if checker.problems or config is None:
        raise ConfigError(str(source), checker.problems)
    return config


def settings_reference() -> str:
    """The configuration reference as a Markdown table (the README embeds it)."""
    rows = ["| key | type | default | environment | meaning |", "|---|---|---|---|---|"]
    for s in SETTINGS:
        default = "required" if s.required else _show_default(s)
        env = f"`{s.env}`" if s.env else ""
        kind = s.kind.replace("choice:", "one of ").replace(",", ", ")
        rows.append(f"| `{s.key}` | {kind} | {default} | {env} | {s.help} |")
    return "\n".join(rows)


def add_feeds_text(text: str, feeds: Sequence[FeedSource], source: str) -> str:
    """`text` (a feeds.yaml) with `feeds` appended to its `feeds:` list, comments and layout kept.

    Raises `ConfigError` when the file's `feeds` is not a block list this function can extend.
    """
    items = []
    for f in feeds:
        item: dict[str, Any] = {"name": f.name, "url": f.url}
        if f.title:
            item["title"] = f.title
        if f.tags:
            item["tags"] = list(f.tags)
        items.append(item)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if re.match(r"^feeds:\s*(#.*)?$", line)), None)
    if start is None:
        if any(re.match(r"^feeds:", line) for line in lines):
            raise ConfigError(source, ["feeds is not a block list; add the new feeds by hand"])
        return "".join(lines) + yaml.safe_dump({"feeds": items}, sort_keys=False, allow_unicode=True)
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if re.match(r"^[^\s#-]", lines[i]):  # the next top-level key (a zero-indented "- " is ours)
            end = i
            break
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    indent = next((m.group(1) for line in lines[start + 1 : end] if (m := re.match(r"^(\s*)- ", line))), "  ")
    block = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, indent=2)
    block = "".join(indent + line if line.strip() else line for line in block.splitlines(keepends=True))
    return "".join(lines[:end]) + block + "".join(lines[end:])


def _show_default(s: Setting) -> str:
    if s.default is None:
        return "(unset)"
    if s.kind == "size":
        return f"`{s.default // _MIB}MiB`"
    if isinstance(s.default, bool):
        return f"`{str(s.default).lower()}`"
    if isinstance(s.default, list):
        return "`[" + ", ".join(s.default) + "]`"
    if s.default == "":
        return '`""`'
    return f"`{s.default}`"


def _yaml_problem(e: yaml.YAMLError) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


# libyaml's parser when PyYAML was built with it: a large file loads several times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_YAML_VALUES = 1_000_000  # values after expanding aliases: far above any real configuration
_LONGEST_PROBLEM = 400  # characters of one problem's message
_LONG_QUOTE = re.compile(r"""('[^']{60}|"[^"]{60})[^'"]{20,}(['"])""")


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that refuses duplicate mapping keys instead of keeping the last one."""


def _expanded_size(value: Any, budget: int) -> int:
    """How many values `value` holds with every alias expanded, counting no further than `budget` + 1:
    a few aliases of aliases can stand for billions of values ("billion laughs")."""
    count = 0
    stack = [value]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_unique_mapping,
)

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2}
_SIZE_UNITS |= {
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "ki": 1024,
    "mi": 1024**2,
}


class _Checker:
    """Walks the raw YAML, converting values and collecting problems instead of stopping at the first."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        # A message quotes the value it is about; a value pasted by mistake can be megabytes: the quote
        # is cut short, the advice after it kept.
        message = _LONG_QUOTE.sub(lambda m: m.group(1) + "…" + m.group(2), message)
        if len(message) > _LONGEST_PROBLEM:
            message = message[: _LONGEST_PROBLEM - 1] + "…"
        self.problems.append(f"{where}: {message}")

    def config(self, raw: Any, source: Path, env: Mapping[str, str]) -> Config | None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.problem("(top level)", "expected a mapping with settings, corpus and feeds")
            return None
        self.unknown_keys("", raw, _SECTIONS)
        settings = self.section("settings", raw.get("settings"), env)
        corpus = self.section("corpus", raw.get("corpus"), env)
        corpus["paths"] = self.corpus_paths(corpus["paths"])
        analysis = self.section("analysis", raw.get("analysis"), env)
        report = self.section("report", raw.get("report"), env)
        schedule = self.section("schedule", raw.get("schedule"), env)
        email = self.email(raw.get("delivery"), env)
        feeds = self.feeds(raw.get("feeds"))
        topics = self.topics(raw.get("topics"))
        if self.problems:
            return None
        return Config(
            source=source,
            settings=Settings(**settings),
            corpus=CorpusSettings(**corpus),
            analysis=Params(**analysis),
            report=ReportSettings(**report),
            schedule=ScheduleSettings(**schedule),
            email=EmailSettings(**email),
            feeds=feeds,
            topics=topics,
        )

    def corpus_paths(self, paths: tuple[Path, ...] | None) -> tuple[Path, ...]:
        """The configured corpus paths, each of which must exist; unset, the bundled seed corpus."""
        if paths is None:
            from briefing.corpus import packaged_corpus

            return (packaged_corpus(),)
        for i, p in enumerate(paths):
            if not p.exists():
                self.problem(
                    f"corpus.paths[{i}]",
                    f"{p} does not exist; fix the path, or remove corpus.paths for the bundled seed corpus",
                )
        return paths

    def unknown_keys(self, prefix: str, raw: Mapping[Any, Any], known: tuple[str, ...]) -> None:
        for key in raw:
            if key in known:
                continue
            where = f"{prefix}{key}" if isinstance(key, str) else f"{prefix}{key!r}"
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(known)}"
            self.problem(where, f"unknown key{hint}")

    def section(self, name: str, raw: Any, env: Mapping[str, str]) -> dict[str, Any]:
        specs = [s for s in SETTINGS if s.key.startswith(name + ".")]
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.problem(name, "expected a mapping")
            raw = {}
        self.unknown_keys(name + ".", raw, tuple(s.name for s in specs))
        values: dict[str, Any] = {}
        for spec in specs:
            if spec.env and spec.env in env:
                values[spec.name] = self.value(f"environment {spec.env}", spec, env[spec.env], True)
            elif spec.name in raw:
                values[spec.name] = self.value(spec.key, spec, raw[spec.name])
            else:
                values[spec.name] = self.value(spec.key, spec, spec.default)
        # Frozen config: lists become tuples.
        return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}

    def email(self, raw: Any, env: Mapping[str, str]) -> dict[str, Any]:
        if raw is not None and not isinstance(raw, dict):
            self.problem("delivery", "expected a mapping with an `email` key")
            raw = None
        raw = raw or {}
        self.unknown_keys("delivery.", raw, ("email",))
        values = self.section("delivery.email", raw.get("email"), env)
        if values["host"] is not None:
            if not values["sender"]:
                self.problem("delivery.email.sender", "required when delivery.email.host is set")
            if not values["recipients"]:
                self.problem("delivery.email.recipients", "required when delivery.email.host is set")
            if values["username_env"] and values["security"] == "none":
                self.problem(
                    "delivery.email.username_env",
                    "credentials are never sent without TLS; use security starttls or tls",
                )
        return values

    def items(self, section: str, raw: Any, what: str) -> list[tuple[str, dict[str, Any]]]:
        """The entries of a list section (feeds, topics) as (key path, values), unique by name."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(section, f"expected a list of {what}")
            return []
        specs = [s for s in SETTINGS if s.key.startswith(section + "[].")]
        names: dict[str, int] = {}
        out = []
        for i, item in enumerate(raw):
            where = f"{section}[{i}]"
            if not isinstance(item, dict):
                self.problem(where, f"expected a mapping ({what})")
                continue
            self.unknown_keys(where + ".", item, tuple(s.name for s in specs))
            values: dict[str, Any] = {}
            for spec in specs:
                if spec.name in item and item[spec.name] is not None:
                    values[spec.name] = self.value(f"{where}.{spec.name}", spec, item[spec.name])
                elif spec.required:
                    self.problem(f"{where}.{spec.name}", "required key is missing")
                else:
                    values[spec.name] = spec.default
            name = values.get("name")
            if isinstance(name, str):
                if not name.strip():
                    self.problem(f"{where}.name", "must not be empty")
                elif name.lower() in names:
                    noun = section.rstrip("s")
                    self.problem(
                        f"{where}.name",
                        f"duplicate {noun} name {name!r} (also {section}[{names[name.lower()]}])",
                    )
                else:
                    names[name.lower()] = i
            out.append((where, values))
        return out

    def feeds(self, raw: Any) -> tuple[FeedSource, ...]:
        urls: dict[str, str] = {}
        out: list[FeedSource] = []
        for where, values in self.items("feeds", raw, "feeds, each with at least name and url"):
            url = values.get("url")
            if isinstance(url, str) and url:
                if url in urls:
                    self.problem(f"{where}.url", f"same URL as {urls[url]}")
                urls[url] = where
            if values.get("name") is None or url is None or self.problems:
                continue
            out.append(
                FeedSource(
                    name=values["name"],
                    url=url,
                    title=values["title"],
                    publisher=values["publisher"],
                    tags=tuple(values["tags"]),
                    enabled=values["enabled"],
                    exclude=tuple(values["exclude"]),
                    fetch_pages=values["fetch_pages"],
                    max_entries=values["max_entries"],
                    timeout=values["timeout"],
                )
            )
        return tuple(out)

    def topics(self, raw: Any) -> tuple[WatchTopic, ...]:
        out = []
        for where, values in self.items("topics", raw, "watch topics, each with name and terms"):
            if values.get("name") is None or not values.get("terms"):
                if values.get("name") is not None:
                    self.problem(f"{where}.terms", "give at least one term")
                continue
            out.append(WatchTopic(values["name"], tuple(values["terms"]), values["min_mentions"]))
        return tuple(out)

    def value(self, where: str, spec: Setting, raw: Any, from_env: bool = False) -> Any:
        if raw is None:
            return None
        if spec.kind.startswith("choice:"):
            options = spec.kind.split(":", 1)[1].split(",")
            if raw not in options:
                self.problem(where, f"expected one of {', '.join(options)}, got {raw!r}")
                return spec.default
            return raw
        convert = _CONVERTERS[spec.kind]
        try:
            value = convert(self, raw, from_env)
        except _Invalid as e:
            self.problem(where, str(e))
            return spec.default
        if spec.minimum is not None and isinstance(value, int | float) and value < spec.minimum:
            self.problem(where, f"must be at least {spec.minimum:g}, got {value!r}")
            return spec.default
        return value

    def path(self, raw: Any, from_env: bool) -> Path:
        if not isinstance(raw, str) or not raw.strip():
            raise _Invalid(f"expected a path, got {raw!r}")
        p = Path(raw).expanduser()
        # Paths in the file are relative to the file; paths from the environment to the shell.
        return p if p.is_absolute() else ((Path.cwd() if from_env else self.base) / p).resolve()


class _Invalid(ValueError):
    pass


def _as_str(_: _Checker, raw: Any, __: bool) -> str:
    if isinstance(raw, bool):
        raise _Invalid(
            f"expected text, got {str(raw).lower()}: YAML reads a bare yes, no, on, off, true or false as "
            'true or false; quote it, e.g. "off"'
        )
    if not isinstance(raw, str | int | float):
        raise _Invalid(f"expected text, got {type(raw).__name__}")
    return str(raw)


def _as_bool(_: _Checker, raw: Any, from_env: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    if from_env and isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if from_env and isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise _Invalid(f"expected true or false, got {raw!r}")


def _as_int(_: _Checker, raw: Any, from_env: bool) -> int:
    if isinstance(raw, bool):
        raise _Invalid(f"expected a whole number, got {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return int(raw)
    raise _Invalid(f"expected a whole number, got {raw!r}")


def _as_float(_: _Checker, raw: Any, from_env: bool) -> float:
    if isinstance(raw, bool):
        raise _Invalid(f"expected a number, got {raw!r}")
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise _Invalid(f"expected a number, got {raw!r}") from None


def _as_size(_: _Checker, raw: Any, from_env: bool) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    m = _SIZE.match(str(raw)) if isinstance(raw, str) else None
    if not m:
        raise _Invalid(f"expected a size such as 10MiB, 500KB or a number of bytes, got {raw!r}")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "").lower()])


def _as_list(_: _Checker, raw: Any, from_env: bool) -> list[str]:
    if from_env and isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str | int | float) for x in raw):
        raise _Invalid(f"expected a list of text items, got {raw!r}")
    return [str(x) for x in raw]


def _as_paths(c: _Checker, raw: Any, from_env: bool) -> list[Path]:
    return [c.path(x, from_env) for x in _as_list(c, raw, from_env)]


def _as_url(_: _Checker, raw: Any, __: bool) -> str:
    if not isinstance(raw, str) or not is_http_url(raw):
        raise _Invalid(f"{raw!r} is not an http:// or https:// URL; give the feed's web address")
    return raw.strip()


def _as_timezone(_: _Checker, raw: Any, __: bool) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(raw, str):
        raise _Invalid(f"expected an IANA time zone name, got {raw!r}")
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(
            f"{raw!r} is not a time zone this machine knows; use an IANA name such as Europe/Berlin"
        ) from None
    return raw


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_schedule(text: str) -> tuple[tuple[int, ...], int, int]:
    """ "mon,thu 07:00" -> ((0, 3), 7, 0): weekdays (Monday 0), hour, minute. Raises ValueError."""
    parts = text.strip().lower().split()
    if len(parts) != 2:
        raise ValueError("expected days and a time, e.g. 'mon 07:00'")
    days_text, time_text = parts
    days: set[int] = set()
    for item in days_text.split(","):
        if item in ("daily", "*"):
            days.update(range(7))
        elif "-" in item and all(p in _DAYS for p in item.split("-", 1)):
            first, last = (_DAYS.index(p) for p in item.split("-", 1))
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)])
        elif item in _DAYS:
            days.add(_DAYS.index(item))
        else:
            raise ValueError(f"{item!r} is not a day (mon..sun, a range such as mon-fri, or daily)")
    hour, _, minute = time_text.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ValueError(f"{time_text!r} is not a time such as 07:00")
    return tuple(sorted(days)), int(hour), int(minute)


def _as_schedule(_: _Checker, raw: Any, __: bool) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected days and a time such as 'mon 07:00', got {raw!r}")
    try:
        parse_schedule(raw)
    except ValueError as e:
        raise _Invalid(str(e)) from None
    return raw.strip()


def _as_address(_: _Checker, raw: Any, __: bool) -> str:
    from email.headerregistry import Address
    from email.utils import getaddresses, parseaddr

    if not isinstance(raw, str) or any(c in raw for c in "\r\n\0"):
        raise _Invalid(f"expected one e-mail address on one line, got {raw!r}")
    if len(getaddresses([raw])) != 1:
        raise _Invalid(f"{raw!r} holds more than one address; list each on its own")
    name, address = parseaddr(raw)
    if "@" not in address or address.count("@") != 1:
        raise _Invalid(f"{raw!r} is not an e-mail address such as brief@example.org")
    try:
        Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError) as e:
        raise _Invalid(f"{raw!r} is not a valid e-mail address: {e}") from None
    return raw.strip()


def _as_addresses(c: _Checker, raw: Any, from_env: bool) -> list[str]:
    return [_as_address(c, a, from_env) for a in _as_list(c, raw, from_env)]


def _as_patterns(c: _Checker, raw: Any, from_env: bool) -> list[str]:
    patterns = _as_list(c, raw, from_env)
    for p in patterns:
        try:
            re.compile(p)
        except re.error as e:
            raise _Invalid(f"{p!r} is not a valid regular expression: {e}") from None
    return patterns


def _as_networks(c: _Checker, raw: Any, from_env: bool) -> list[str]:
    networks = _as_list(c, raw, from_env)
    for n in networks:
        try:
            ipaddress.ip_network(n, strict=False)
        except ValueError:
            raise _Invalid(f"{n!r} is not an IP address or CIDR network") from None
    return networks


_CONVERTERS: dict[str, Callable[[_Checker, Any, bool], Any]] = {
    "str": _as_str,
    "bool": _as_bool,
    "int": _as_int,
    "float": _as_float,
    "size": _as_size,
    "list": _as_list,
    "path": lambda c, raw, from_env: c.path(raw, from_env),
    "paths": _as_paths,
    "url": _as_url,
    "patterns": _as_patterns,
    "networks": _as_networks,
    "timezone": _as_timezone,
    "schedule": _as_schedule,
    "address": _as_address,
    "addresses": _as_addresses,
}
