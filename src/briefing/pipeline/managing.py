"""The library functions behind `briefing status`, `feeds reset` and `feeds import-opml`: what the CLI
prints, as data, for any caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from briefing.clock import Clock, utc_now
from briefing.config import Config, add_feeds_text, parse_config
from briefing.lock import RunLock
from briefing.models import Delivery, FeedHealth, FeedSource, QueueCount
from briefing.store import Store
from briefing.urls import host_of
from briefing.write import atomic_write_text


@dataclass(frozen=True)
class Status:
    """Each configured feed's health, the newest run and the ledger of the latest briefs; in a cluster,
    the jobs of each queue."""

    checked_at: datetime
    feeds: tuple[FeedHealth, ...]
    last_run: dict[str, Any] | None
    briefs: tuple[Delivery, ...]
    queues: tuple[QueueCount, ...] = ()


def status(config: Config, *, briefs: int = 5, clock: Clock = utc_now) -> Status:
    """Feed health, the last run and the latest `briefs` ledger rows (read only: no lock needed)."""
    now = clock()
    with Store.open(config.settings.store_location) as store:
        health = store.feed_health(config.feeds, now)
        runs = store.runs(limit=1)
        ledger = store.deliveries(limit=briefs)
    queues: tuple[QueueCount, ...] = ()
    if config.settings.shared_database:
        from briefing.queue import Queue

        queues = tuple(Queue(config).counts())
    return Status(now, tuple(health), runs[0] if runs else None, tuple(ledger), queues)


def reset_feed(config: Config, name: str) -> bool:
    """Forget feed `name`'s errors, backoff and `gone` state, and any wait its host asked for, so the next
    fetch tries it. False when it has never been fetched. Raises `ConfigError` for an unknown name."""
    source = config.feed(name)
    with RunLock(config.settings.data_dir), Store.open(config.settings.store_location) as store:
        found = store.reset_feed(name)
        host = host_of(source.url)
        if host:
            store.clear_host_wait(host)
    return found


@dataclass(frozen=True)
class OpmlImport:
    added: tuple[FeedSource, ...]  # feeds added (or, on a dry run, that would be)
    notes: tuple[str, ...]  # feeds skipped and why
    written: bool


def import_opml(config: Config, opml: Path, *, dry_run: bool = False) -> OpmlImport:
    """Add the feeds of an OPML export to the configuration file, keeping its comments; feeds already
    configured or not http(s) are skipped with a note. The file is checked before it is written."""
    from briefing.opml import new_sources, read_opml

    found = read_opml(opml.read_bytes(), str(opml))
    added, notes = new_sources(found, config.feeds)
    if not added or dry_run:
        return OpmlImport(tuple(added), tuple(notes), False)
    updated = add_feeds_text(config.source.read_text(encoding="utf-8"), added, str(config.source))
    parse_config(updated, config.source)  # never write a file we could not read back
    atomic_write_text(config.source, updated)
    return OpmlImport(tuple(added), tuple(notes), True)
