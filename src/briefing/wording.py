"""The brief's sentences about itself: classes, counts and failing sources in words.

One place for these, so the PDF, the HTML page, the e-mail's HTML and its plain text say the same thing.
Plain text only: the templates escape it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from briefing.models import Brief, BriefCounts, NewName, SourceHealth

_NAME_KINDS = (
    ("person", "people"),
    ("organisation", "organisations"),
    ("place", "places"),
    ("event", "events"),
)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def day(value: datetime | None, timezone: str = "UTC") -> str:
    """ "17 Nov 2026", the day as the reader's calendar has it ("" for no date)."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%b %Y}"


def class_in_words(kind: str, develops: str = "", last_heard: datetime | None = None) -> str:
    """ "new story", "develops “<known story>”, last heard 6 Nov 2025": the class as a reader says it.

    Baseline dates are plain dates (midnight UTC), so `last_heard` is shown in UTC."""
    if kind == "new":
        return "new story"
    if kind == "development" and develops:
        when = f", last heard {day(last_heard)}" if last_heard else ""
        return f"develops “{develops}”{when}"
    return {"development": "development of a known story", "repeat": "repeat of known coverage"}.get(
        kind, kind
    )


def counts_in_words(c: BriefCounts) -> str:
    parts = [
        plural(c.new, "new story", "new stories"),
        plural(c.developments, "development", "developments"),
        plural(c.repeats, "repeat", "repeats"),
        plural(c.duplicates, "duplicate", "duplicates"),
    ]
    read = plural(c.articles, "article", "articles")
    return f"{read} read from {plural(c.sources, 'source', 'sources')}: {', '.join(parts)}."


def failing_in_words(brief: Brief) -> str:
    """One sentence naming the sources that failed, with why and since when ("" when none did)."""
    if not brief.failing:
        return ""
    return "Not heard from: " + "; ".join(_failure(h, brief.timezone) for h in brief.failing) + "."


def _failure(h: SourceHealth, timezone: str) -> str:
    who = f"{h.name} ({h.publisher})" if h.publisher else h.name
    why = h.last_error or h.status.replace("_", " ")
    since = f"last success {day(h.last_success, timezone)}" if h.last_success else "no success yet"
    return f"{who}, {why}, {since}"


def names_by_kind(names: Sequence[NewName]) -> list[tuple[str, list[str]]]:
    """New names grouped by type, in reading order: people, organisations, places, events, other names."""
    groups = [(label, [n.name for n in names if n.kind == kind]) for kind, label in _NAME_KINDS]
    known = {kind for kind, _ in _NAME_KINDS}
    groups.append(("other names", [n.name for n in names if n.kind not in known]))
    return [(label, members) for label, members in groups if members]


def shortened(quote_text: str, limit: int = 40) -> str:
    """A long quote cut to its first words with an ellipsis, for the one-line lists of the first page and
    the e-mail (the entry quotes it whole); a quote of `limit` words or fewer is returned whole."""
    words = quote_text.split()
    if len(words) <= limit:
        return quote_text
    return " ".join(words[: limit - 5]) + " …"


def empty_baseline(brief: Brief) -> str:
    """The sentence that says the baseline was empty ("" when it was not)."""
    if brief.method.corpus_documents or brief.method.briefed_articles:
        return ""
    return (
        "The baseline was empty (no seed corpus document, no earlier brief): nothing counted as known, so "
        "every article is a new story."
    )
