"""Time, injected: every stage that needs "now" takes a `Clock`; `utc_now` is the real one.

`BRIEFING_TEST_NOW` (testing_hooks) freezes it for the tests that run the CLI in a subprocess.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from briefing.testing_hooks import FROZEN_NOW

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return FROZEN_NOW or datetime.now(UTC)
