"""Report periods: ISO weeks (or explicit ranges) whose boundaries are local midnights in the configured
time zone, held as UTC instants. Consecutive weeks share a boundary, so no article falls in two briefs or
none, across daylight-saving changes too. Pure functions of their inputs and `now`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from briefing.errors import ConfigError

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; `label` names it ("2026-W47", or "2026-11-16_2026-11-19" for a range)."""

    label: str
    start: datetime
    end: datetime
    timezone: str

    @property
    def first_day(self) -> date:
        return self.start.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def last_day(self) -> date:
        # The end is the next local midnight, or the first instant after it where midnight does not exist.
        return self.end.astimezone(ZoneInfo(self.timezone)).date() - timedelta(days=1)

    def describe(self) -> str:
        """e.g. "Week 47, 2026: 16–22 November 2026"."""
        first, last = self.first_day, self.last_day
        span = _span(first, last)
        if _WEEK.match(self.label):
            year, week = self.label.split("-W")
            return f"Week {int(week)}, {year}: {span}"
        return span


def _span(first: date, last: date) -> str:
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {first:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; raises `ConfigError` if this machine does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "settings.timezone",
            [f"unknown time zone {name!r}; use an IANA name such as Europe/Berlin or UTC"],
        ) from None


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # zoneinfo resolves a midnight that does not exist (a DST gap) forward, and picks the first of two.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def iso_week(year: int, week: int, timezone: str) -> Period:
    """The ISO week, Monday 00:00 to the next Monday 00:00 local time."""
    tz = zone(timezone)
    try:
        monday = date.fromisocalendar(year, week, 1)
        return Period(
            f"{year}-W{week:02d}",
            _local_midnight(monday, tz),
            _local_midnight(monday + timedelta(days=7), tz),
            timezone,
        )
    except (ValueError, OverflowError):
        raise ConfigError("--period", [f"{year}-W{week:02d} is not an ISO week"]) from None


def last_complete_week(now: datetime, timezone: str) -> Period:
    """The latest ISO week that has ended at `now`, in `timezone`."""
    today = now.astimezone(zone(timezone)).date()
    previous = today - timedelta(days=today.isoweekday() + 6)  # the Monday of last week
    year, week, _ = previous.isocalendar()
    return iso_week(year, week, timezone)


def week_containing(moment: datetime, timezone: str) -> Period:
    day = moment.astimezone(zone(timezone)).date()
    year, week, _ = day.isocalendar()
    return iso_week(year, week, timezone)


def parse_period(text: str, timezone: str) -> Period:
    """A period from "2026-W47"; raises `ConfigError` otherwise."""
    m = _WEEK.match(text.strip())
    if not m:
        raise ConfigError("--period", [f"{text!r} is not an ISO week such as 2026-W47"])
    return iso_week(int(m.group(1)), int(m.group(2)), timezone)


def between(since: date, until: date, timezone: str) -> Period:
    """The days since..until inclusive, local midnights."""
    if until < since:
        raise ConfigError("--until", [f"{until} is before {since}"])
    tz = zone(timezone)
    label = f"{since.isoformat()}_{until.isoformat()}"
    try:
        start, end = _local_midnight(since, tz), _local_midnight(until + timedelta(days=1), tz)
    except OverflowError:
        raise ConfigError("--since", [f"{since}..{until} is outside the dates briefing can handle"]) from None
    return Period(label, start, end, timezone)


# ---- the date grammar of every --since / --until ---------------------------------------------------

_SPAN = re.compile(r"^(\d{1,7})([hdw])$")
_SPAN_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
WHEN_FORMS = (
    "a date (2026-11-16), a date and time (2026-11-16T08:00), an ISO week (2026-W47) "
    "or a span back from now (12h, 7d, 2w)"
)


def parse_bound(option: str, text: str, *, end: bool, now: datetime, timezone: str) -> datetime:
    """One bound of a window as a UTC instant, the same for every command.

    A date or an ISO week means the whole day or week: as a start, its first instant; as an end
    (`end`), the instant after it, so `--until 2026-11-22` includes the 22nd. A date and time (without an
    offset: in `timezone`) and a span back from `now` are exact instants. Raises `ConfigError` naming
    `option` for anything else or anything outside the dates briefing can handle.
    """
    value = text.strip()
    tz = zone(timezone)
    try:
        span = _SPAN.match(value.lower())
        if span:
            return (now - timedelta(**{_SPAN_UNITS[span.group(2)]: int(span.group(1))})).astimezone(UTC)
        week = _WEEK.match(value.upper())
        if week:
            period = iso_week(int(week.group(1)), int(week.group(2)), timezone)
            return period.end if end else period.start
        if len(value) == 10:
            day = date.fromisoformat(value)
            return _local_midnight(day + timedelta(days=1) if end else day, tz)
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)
    except ConfigError:
        raise ConfigError(option, [f"{text!r} is not an ISO week; use {WHEN_FORMS}"]) from None
    except OverflowError:
        raise ConfigError(option, [f"{text!r} is outside the dates briefing can handle"]) from None
    except ValueError:
        raise ConfigError(option, [f"{text!r}: use {WHEN_FORMS}"]) from None


def parse_window(
    since: str | None, until: str | None, *, now: datetime, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """--since and --until as UTC instants (None where not given); `until` must come after `since`."""
    start = parse_bound("--since", since, end=False, now=now, timezone=timezone) if since else None
    stop = parse_bound("--until", until, end=True, now=now, timezone=timezone) if until else None
    if start is not None and stop is not None and stop <= start:
        raise ConfigError("--until", [f"{until!r} is not after --since {since!r}"])
    return start, stop


def window_period(start: datetime, end: datetime, timezone: str) -> Period:
    """The whole local days from `start`'s day to the day before `end` (a brief covers whole days)."""
    tz = zone(timezone)
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return between(first, max(first, last), timezone)
