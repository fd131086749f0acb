"""Named crash and hang points for fault-injection tests.

`BRIEFING_TEST_CRASH_AT=<point>[@<text>][:<n>]` makes the process exit with status 137 (as if
SIGKILLed) the n-th time (default first) it reaches `<point>` (with a detail containing `<text>`, when
given); `BRIEFING_TEST_HANG_AT=<point>` makes it sleep there.
Both are read once; when neither is set, a crash point costs one comparison.
"""

from __future__ import annotations

import os
import time
from collections import Counter

_CRASH = os.environ.get("BRIEFING_TEST_CRASH_AT", "")
_HANG = os.environ.get("BRIEFING_TEST_HANG_AT", "")
_seen: Counter[str] = Counter()


def crash_point(name: str, detail: str = "") -> None:
    """Exit abruptly or hang here when a test asked for it; otherwise do nothing."""
    if not _CRASH and not _HANG:
        return
    if name == _HANG:
        time.sleep(3600)
    spec, _, nth = _CRASH.partition(":")
    point, _, match = spec.partition("@")
    if point == name and match in detail:
        _seen[name] += 1
        if _seen[name] >= int(nth or 1):
            os._exit(137)
