"""Tasks for the worker-pool tests (importable by the worker processes)."""

from __future__ import annotations

import os
import resource
import time

from briefing.errors import FeedError
from briefing.extract import extract_page
from briefing.models import ExtractedPage


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


def extract_page_with_peak(body: bytes, content_type: str, url: str) -> tuple[ExtractedPage | None, int]:
    """The product's `extract_page`, plus this worker's peak resident memory so far in KiB (workers are
    reused, so it is a running peak over every page this process has extracted)."""
    page = extract_page(body, content_type, url)
    return page, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
