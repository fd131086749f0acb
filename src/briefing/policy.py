"""Pure decisions of the fetch stage, as functions of data and `now`: no I/O here.

When may a feed be fetched again, what state does an error leave it in, what happens to an entry (page
fetched, excluded, blocked), and is a failed page worth another try.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from briefing.models import Entry, FeedSource, FeedState
from briefing.models.vocabulary import EntryStart, FeedStatus
from briefing.urls import is_http_url

# Errors worth retrying on a later run; the rest will not fix themselves.
_TRANSIENT = frozenset({"timeout", "connection", "http5xx"})
_FIRST_BACKOFF = timedelta(minutes=15)
MAX_RATE_LIMIT = timedelta(days=7)  # the longest a server's Retry-After is obeyed


def bounded(until: datetime, now: datetime, longest: timedelta) -> datetime:
    """A stored wait, never further than `longest` from `now`: one run with a wrong clock (or a server
    asking for years) cannot silence a feed or a host for good."""
    return min(until, now + longest)


def bounded_state(state: FeedState, now: datetime, max_backoff: timedelta) -> FeedState:
    """The feed's state with its stored next attempt no further than `max_backoff` from `now` after
    errors, `MAX_RATE_LIMIT` after a rate limit (the caller stores the change, so the bound holds)."""
    if state.next_attempt is None:
        return state
    longest = MAX_RATE_LIMIT if state.status == "rate_limited" else max_backoff
    return replace(state, next_attempt=bounded(state.next_attempt, now, longest))


def skip_reason(state: FeedState | None, now: datetime, *, force: bool = False) -> str | None:
    """Why a feed must not be fetched now, or None when it may be.

    A gone feed (HTTP 410) stays skipped until `briefing feeds reset`; a feed backing off after errors or
    rate-limited by its host waits for `next_attempt` unless `force`.
    """
    if state is None:
        return None
    if state.status == "gone":
        return "gone (HTTP 410); run `briefing feeds reset NAME` to try again"
    if force or state.next_attempt is None or state.next_attempt <= now:
        return None
    until = f"{state.next_attempt:%Y-%m-%d %H:%M} UTC"
    if state.status == "rate_limited":
        return f"rate limited by the server until {until}"
    errors = "1 error" if state.consecutive_errors == 1 else f"{state.consecutive_errors} errors"
    return f"backing off after {errors} until {until} (--force to try now)"


def after_error(
    consecutive_errors: int,
    kind: str,
    retry_after: datetime | None,
    now: datetime,
    max_backoff: timedelta,
) -> tuple[FeedStatus, datetime | None]:
    """The feed's status and next attempt after a failed fetch.

    Rate limits wait exactly as long as the server asked; other errors back off exponentially from
    15 minutes, doubling per consecutive error, capped at `max_backoff`. 410 means gone for good.
    """
    if kind == "gone":
        return "gone", None
    if kind == "rate_limited":
        return "rate_limited", bounded(retry_after, now, MAX_RATE_LIMIT) if retry_after else None
    errors = consecutive_errors + 1
    wait = min(_FIRST_BACKOFF * (2 ** (errors - 1)), max_backoff)
    return "error", now + wait


def initial_status(entry: Entry, source: FeedSource) -> tuple[EntryStart, str]:
    """How a new entry starts: (status, detail).

    excluded: its link matches one of the feed's exclude patterns; blocked: its link is not http(s), so
    it is neither fetched nor ever rendered as a link; feed: the feed is configured not to fetch pages;
    pending: its page will be fetched.
    """
    for pattern in source.exclude:
        if entry.url and re.search(pattern, entry.url):
            return "excluded", f"link matches exclude pattern {pattern!r}"
    if not is_http_url(entry.url):
        shown = entry.url[:80] or "(no link)"
        return "blocked", f"link {shown!r} is not http(s); kept the feed text"
    if not source.fetch_pages:
        return "feed", "feed configured with fetch_pages: false"
    return "pending", ""


def page_error_is_final(kind: str, status: int | None, attempts: int, max_attempts: int) -> bool:
    """After a failed page fetch, give up (keep the feed text) or retry next run.

    A refused address is final at once; a rate limit never is (the server only asked us to wait).
    """
    if kind == "blocked":
        return True
    if kind == "rate_limited":
        return False
    if attempts + 1 >= max_attempts:
        return True
    if kind == "http" and status is not None and status >= 500:
        kind = "http5xx"
    return kind not in _TRANSIENT
