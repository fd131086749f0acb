"""Report periods: ISO weeks as local midnights, consecutive without gaps or overlaps, across DST."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from briefing.errors import ConfigError
from briefing.period import between, iso_week, last_complete_week, parse_period, week_containing

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Almaty", "Australia/Lord_Howe", "America/Havana")


@pytest.mark.parametrize("timezone", ZONES)
def test_consecutive_weeks_meet_exactly_for_three_years(timezone: str) -> None:
    weeks = [
        iso_week(year, w, timezone) for year in (2025, 2026, 2027) for w in range(1, 54) if _exists(year, w)
    ]
    assert len(weeks) == 52 + 53 + 52  # 2026 has an ISO week 53
    for earlier, later in itertools.pairwise(weeks):
        assert earlier.end == later.start, (earlier.label, later.label)
    for w in weeks:
        hours = (w.end - w.start) / timedelta(hours=1)
        assert 167 <= hours <= 169, (w.label, hours)
        assert w.first_day.isoweekday() == 1 and w.last_day.isoweekday() == 7


def _exists(year: int, week: int) -> bool:
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return False
    return True


def test_daylight_saving_weeks_are_shorter_or_longer_but_start_at_local_midnight() -> None:
    spring = iso_week(2026, 13, "Europe/Berlin")  # clocks go forward on Sunday 29 March 2026
    autumn = iso_week(2026, 43, "Europe/Berlin")  # and back on Sunday 25 October 2026
    assert (spring.end - spring.start) == timedelta(hours=167)
    assert (autumn.end - autumn.start) == timedelta(hours=169)
    assert spring.start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)  # Monday 00:00 CET
    assert spring.end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # Monday 00:00 CEST


def test_a_midnight_that_does_not_exist_starts_the_day_at_the_clock_change() -> None:
    # Havana moves its clocks at midnight: on 8 March 2026, 00:00 local time never happened.
    saturday = between(date(2026, 3, 7), date(2026, 3, 7), "America/Havana")
    sunday = between(date(2026, 3, 8), date(2026, 3, 8), "America/Havana")
    assert saturday.end == sunday.start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert sunday.end - sunday.start == timedelta(hours=23)


def test_the_last_complete_week_changes_at_local_midnight_on_monday() -> None:
    tz = "Asia/Almaty"  # UTC+5
    sunday_late = datetime(2026, 11, 22, 18, 30, tzinfo=UTC)  # Sunday 23:30 in Almaty
    monday_early = datetime(2026, 11, 22, 19, 30, tzinfo=UTC)  # Monday 00:30 in Almaty
    assert last_complete_week(sunday_late, tz).label == "2026-W46"
    assert last_complete_week(monday_early, tz).label == "2026-W47"
    assert week_containing(monday_early, tz).label == "2026-W48"


def test_year_boundaries_follow_iso_weeks() -> None:
    first = iso_week(2026, 1, "UTC")
    assert (
        first.first_day == date(2025, 12, 29)
        and first.describe() == "Week 1, 2026: 29 December 2025 – 4 January 2026"
    )
    assert last_complete_week(datetime(2027, 1, 4, 9, 0, tzinfo=UTC), "UTC").label == "2026-W53"


@pytest.mark.parametrize("text", ["2026-W54", "2025-W53", "2026-W00", "2026-47", "W47", "2026-W4x", ""])
def test_invalid_periods_are_configuration_errors_naming_the_option(text: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_period(text, "UTC")
    assert "--period" in str(e.value)


def test_custom_ranges_are_inclusive_local_days() -> None:
    p = between(date(2026, 11, 16), date(2026, 11, 19), "Europe/Berlin")
    assert p.label == "2026-11-16_2026-11-19"
    assert p.start == datetime(2026, 11, 15, 23, 0, tzinfo=UTC) and p.end == datetime(
        2026, 11, 19, 23, 0, tzinfo=UTC
    )
    assert p.describe() == "16–19 November 2026"
    with pytest.raises(ConfigError, match="--until"):
        between(date(2026, 11, 19), date(2026, 11, 16), "UTC")


def test_the_last_day_is_right_when_the_next_monday_midnight_does_not_exist() -> None:
    # Tehran moved its clocks at midnight on Monday 22 March 2010.
    week = iso_week(2010, 11, "Asia/Tehran")
    assert week.describe() == "Week 11, 2010: 15–21 March 2010"
    assert week.end == iso_week(2010, 12, "Asia/Tehran").start


@pytest.mark.parametrize("text", ["9999-W52", "0001-W01"])
def test_weeks_at_the_ends_of_the_calendar_are_refused_cleanly(text: str) -> None:
    with pytest.raises(ConfigError, match="--period"):
        parse_period(text, "Europe/Berlin")
    with pytest.raises(ConfigError):
        between(date(9999, 12, 31), date(9999, 12, 31), "Asia/Almaty")


# --- the one date grammar of every --since / --until ------------------------------------------------

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11-16", "2026-11-15T19:00", "2026-11-16T19:00"),  # a day, local (UTC+5): --until includes it
        ("2026-W47", "2026-11-15T19:00", "2026-11-22T19:00"),  # an ISO week: the whole week
        ("2026-w47", "2026-11-15T19:00", "2026-11-22T19:00"),
        ("2026-11-16T08:00", "2026-11-16T03:00", "2026-11-16T03:00"),  # a local time: an instant
        ("2026-11-16T08:00+00:00", "2026-11-16T08:00", "2026-11-16T08:00"),
        ("7d", "2026-11-16T08:00", "2026-11-16T08:00"),  # spans count back from now
        ("2w", "2026-11-09T08:00", "2026-11-09T08:00"),
        ("12h", "2026-11-22T20:00", "2026-11-22T20:00"),
    ],
)
def test_every_command_reads_since_and_until_the_same_way(text: str, start: str, end: str) -> None:
    from briefing.period import parse_bound

    def at(value: str) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    assert parse_bound("--since", text, end=False, now=NOW, timezone="Asia/Almaty") == at(start)
    assert parse_bound("--until", text, end=True, now=NOW, timezone="Asia/Almaty") == at(end)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("9999999d", "'9999999d' is outside the dates briefing can handle"),
        ("0001-01-01T00:00+05:00", "'0001-01-01T00:00+05:00' is outside the dates briefing can handle"),
        ("9999-12-31", "'9999-12-31' is outside the dates briefing can handle"),
        ("2026-W60", "'2026-W60' is not an ISO week; use a date (2026-11-16)"),
        ("last tuesday", "'last tuesday': use a date (2026-11-16), a date and time"),
        ("-7d", "'-7d': use a date"),
    ],
)
def test_a_bound_out_of_range_or_unreadable_is_one_line_naming_the_option(text: str, problem: str) -> None:
    from briefing.period import parse_bound

    with pytest.raises(ConfigError) as info:
        parse_bound("--until", text, end=True, now=NOW, timezone="UTC")
    (line,) = info.value.problems
    assert info.value.source == "--until" and line.startswith(problem), line


def test_a_window_must_end_after_it_starts_and_a_report_takes_whole_days() -> None:
    from briefing.period import parse_window, window_period

    with pytest.raises(ConfigError, match="--until: '2026-11-16' is not after --since '2026-11-17'"):
        parse_window("2026-11-17", "2026-11-16", now=NOW, timezone="UTC")
    start, end = parse_window("7d", None, now=NOW, timezone="UTC")
    assert start == datetime(2026, 11, 16, 8, 0, tzinfo=UTC) and end is None
    start, end = parse_window("7d", "0h", now=NOW, timezone="UTC")
    assert start is not None and end is not None
    period = window_period(start, end, "UTC")
    assert period.label == "2026-11-16_2026-11-23" and period.end == datetime(2026, 11, 24, tzinfo=UTC)
