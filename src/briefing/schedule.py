"""When a brief is due: pure functions of the schedule, the time zone and `now` (no scheduler import).

The brief of a week is due at the first scheduled slot (`schedule.brief`, e.g. "mon 07:00" local time) at
or after the week's end. `latest_due` is the newest week whose brief is due at `now`: the one a run or
the daemon's catch-up produces. Older undelivered weeks are reported as missed, never sent in a burst.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from briefing.config import parse_schedule
from briefing.period import Period, iso_week, last_complete_week, zone


def due_at(period: Period, schedule: str) -> datetime:
    """The first slot of `schedule` at or after the end of `period` (an aware UTC datetime)."""
    days, hour, minute = parse_schedule(schedule)
    tz = zone(period.timezone)
    day = period.end.astimezone(tz).date()
    for offset in range(8):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in days:
            # A slot inside a DST gap does not exist: zoneinfo maps it forward, which is what cron does.
            slot = datetime.combine(candidate, time(hour, minute), tzinfo=tz).astimezone(UTC)
            if slot >= period.end:
                return slot
    raise AssertionError("a schedule has a slot every week")  # parse_schedule guarantees a day


def latest_due(now: datetime, timezone: str, schedule: str) -> Period:
    """The newest ISO week whose brief is due at `now`."""
    period = last_complete_week(now, timezone)
    if now < due_at(period, schedule):
        period = previous_week(period)
    return period


def previous_week(period: Period) -> Period:
    monday = period.start.astimezone(zone(period.timezone)).date() - timedelta(days=7)
    year, week, _ = monday.isocalendar()
    return iso_week(year, week, period.timezone)


def missed_between(last_delivered: str | None, latest: Period) -> list[str]:
    """Week labels after `last_delivered` and before `latest` (undelivered, skipped on purpose)."""
    if last_delivered is None or "-W" not in last_delivered:
        return []
    out: list[str] = []
    period = previous_week(latest)
    while period.label > last_delivered and len(out) < 520:
        out.append(period.label)
        period = previous_week(period)
    return sorted(out)
