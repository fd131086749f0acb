"""Tasks for the worker-pool tests (importable by the worker processes)."""

from __future__ import annotations

import os
import time

from briefing.errors import FeedError


def echo(value: object) -> object:
    return value


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def die() -> None:
    os._exit(3)


def hog() -> int:
    return len(bytearray(4 * 1024 * 1024 * 1024))


def recurse(n: int = 0) -> int:
    return recurse(n + 1)


def refuse() -> None:
    raise FeedError("not a feed: test")
