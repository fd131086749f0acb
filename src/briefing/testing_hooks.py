"""Named crash and hang points for fault-injection tests.

`BRIEFING_TEST_CRASH_AT=<point>[:<n>]` makes the process exit with status 137 (as if SIGKILLed) the
n-th time (default first) it reaches `<point>`; `BRIEFING_TEST_HANG_AT=<point>` makes it sleep there.
Both are read once; when neither is set, a crash point costs one comparison.
"""

from __future__ import annotations

import os
import time
from collections import Counter

_CRASH = os.environ.get("BRIEFING_TEST_CRASH_AT", "")
_HANG = os.environ.get("BRIEFING_TEST_HANG_AT", "")
_seen: Counter[str] = Counter()


def crash_point(name: str) -> None:
    """Exit abruptly or hang here when a test asked for it; otherwise do nothing."""
    if not _CRASH and not _HANG:
        return
    if name == _HANG:
        time.sleep(3600)
    point, _, nth = _CRASH.partition(":")
    if point == name:
        _seen[name] += 1
        if _seen[name] >= int(nth or 1):
            os._exit(137)
