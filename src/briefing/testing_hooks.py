"""Named crash and hang points, a trace of them, and a frozen clock, for fault-injection tests.

- `BRIEFING_TEST_CRASH_AT=<point>[@<text>][:<n>]` makes the process exit with status 137 (as if
  SIGKILLed) the n-th time (default first) it reaches `<point>` (with a detail containing `<text>`,
  when given).
- `BRIEFING_TEST_HANG_AT=<point>` makes it sleep there.
- `BRIEFING_TEST_TRACE=<file>` appends `<pid> <unix time> <point> <detail>` to the file at every point
  reached, so a test can run the pipeline once and then choose where to crash it (and a benchmark can
  see when each step ended).
- `BRIEFING_TEST_NOW=<ISO 8601 instant>` freezes the default clock, so runs in subprocesses agree
  with each other whatever the date.

All are read once at import; when none is set, a crash point costs one comparison.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

_CRASH = os.environ.get("BRIEFING_TEST_CRASH_AT", "")
_HANG = os.environ.get("BRIEFING_TEST_HANG_AT", "")
_TRACE = os.environ.get("BRIEFING_TEST_TRACE", "")
_ACTIVE = bool(_CRASH or _HANG or _TRACE)
_seen: Counter[str] = Counter()


def _frozen() -> datetime | None:
    value = os.environ.get("BRIEFING_TEST_NOW", "")
    if not value:
        return None
    now = datetime.fromisoformat(value)
    if now.tzinfo is None:
        raise ValueError("BRIEFING_TEST_NOW needs a UTC offset")
    return now


FROZEN_NOW = _frozen()


def crash_point(name: str, detail: str = "") -> None:
    """Exit abruptly, hang or leave a trace here when a test asked for it; otherwise do nothing."""
    if not _ACTIVE:
        return
    if _TRACE:
        with Path(_TRACE).open("a", encoding="utf-8") as trace:
            trace.write(f"{os.getpid()} {time.time():.6f} {name} {detail}".replace("\n", " ") + "\n")
    if name == _HANG:
        time.sleep(3600)
    spec, _, nth = _CRASH.partition(":")
    point, _, match = spec.partition("@")
    if point == name and match in detail:
        _seen[name] += 1
        if _seen[name] >= int(nth or 1):
            os._exit(137)
