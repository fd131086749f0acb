"""What a cluster's queue reports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QueueCount:
    """Jobs of one queue: waiting (retries due later included), running, and failed for good."""

    queue: str
    waiting: int
    running: int
    failed: int
