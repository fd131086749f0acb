"""The closed sets of strings the pipeline uses for statuses and kinds, one declaration each.

They are `Literal` types: the values stay the plain strings the store, brief.json and every `--json`
already hold, and mypy (strict equality) rejects a comparison with a value outside the set, so a typo such
as `result.status == "eror"` fails CI instead of being quietly false.
"""

from __future__ import annotations

from typing import Literal

# What the analysis says of an article against the baseline.
ArticleClass = Literal["new", "development", "repeat", "duplicate"]
# How one feed's fetch in one run ended.
FeedOutcome = Literal[
    "new", "unchanged", "not_modified", "degraded", "error", "rate_limited", "gone", "skipped"
]
# A feed's standing state between runs ("disabled" only in health reports of a disabled feed).
FeedStatus = Literal["new", "ok", "degraded", "error", "rate_limited", "gone", "disabled"]
# How a new entry starts (policy.initial_status).
EntryStart = Literal["pending", "excluded", "blocked", "feed"]
# An article's extraction: where its entry started, then how its page went.
ExtractionStatus = Literal[
    "pending",
    "excluded",
    "blocked",
    "feed",
    "ok",
    "no_text",
    "boilerplate",
    "short",
    "fetch_error",
    "timeout",
    "crashed",
    "memory",
    "failed",
    "skipped",
]
# Where an article's text came from.
TextSource = Literal["page", "feed", "none"]
# How a task in a worker process failed (workers.WorkerPool).
WorkerFailure = Literal["timeout", "memory", "crashed", "failed"]
# A period's row in the delivery ledger.
DeliveryStatus = Literal["written", "rendered", "sent", "retry", "failed"]
# What delivering a period's brief did (`run`, `report --send`, the daemon).
DeliveryAction = Literal["already_done", "not_retried", "written", "sent", "retry", "failed", "stopped"]
# Where a baseline document comes from.
DocOrigin = Literal["corpus", "briefed", "feedback"]  # feedback: a sentence marked not new
# What a name names ("name" when nothing tells; outlets are never reported as new names).
NameKind = Literal["person", "organisation", "place", "event", "outlet", "name"]
# Where a search hit comes from.
HitKind = Literal["article", "baseline"]
# What an analyst's mark says (`briefing mark`).
MarkAction = Literal["not-new", "important", "class", "ignore-name", "merge-story"]
