"""The embedded SQLite store: schema, migrations and queries. The only sqlite3 import.

WAL, synchronous=FULL, foreign keys on, a busy timeout, `BEGIN IMMEDIATE` for every write and an
application id so that a foreign database is refused. A feed's entries and its HTTP validators are
written in one transaction, entries first, so validators can never get ahead of the entries they
came with. The queries live in one module per subject (feeds, articles, runs, findings, ledger,
search, feedback, revisions).
"""

from __future__ import annotations

from briefing.store.articles import ArticleQueries, PendingArticle
from briefing.store.base import StoreBase, dt, ts
from briefing.store.feedback import FeedbackQueries
from briefing.store.feeds import FeedQueries, NewEntry, SavedEntries
from briefing.store.findings import FindingQueries
from briefing.store.ledger import LedgerQueries
from briefing.store.revisions import RevisionQueries
from briefing.store.runs import RunQueries
from briefing.store.search import SearchQueries

__all__ = ["NewEntry", "PendingArticle", "SavedEntries", "Store", "dt", "ts"]


class Store(
    FeedQueries,
    ArticleQueries,
    RunQueries,
    FindingQueries,
    LedgerQueries,
    SearchQueries,
    FeedbackQueries,
    RevisionQueries,
):
    """Open with `Store.open(path)`; close with `close()` or use as a context manager."""


_ = StoreBase
