"""The pipeline: the stages composed into what the commands run.

`fetch` (feeds -> stored articles with full text), `check_feeds` (a live look at each feed),
`analyze` (stored articles -> findings against the baseline). Each holds the run lock when it writes.
Names load their module on first use, so fetching never imports the analysis libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "AnalysisReport": "briefing.pipeline.analysing",
    "analyze": "briefing.pipeline.analysing",
    "baseline": "briefing.pipeline.analysing",
    "Progress": "briefing.pipeline.fetching",
    "ReportResult": "briefing.pipeline.reporting",
    "report": "briefing.pipeline.reporting",
    "check_feeds": "briefing.pipeline.fetching",
    "fetch": "briefing.pipeline.fetching",
    "run_async": "briefing.pipeline.fetching",
    "select_feeds": "briefing.pipeline.fetching",
    "utc_now": "briefing.clock",
    "Status": "briefing.pipeline.managing",
    "status": "briefing.pipeline.managing",
    "reset_feed": "briefing.pipeline.managing",
    "OpmlImport": "briefing.pipeline.managing",
    "import_opml": "briefing.pipeline.managing",
    "SearchResult": "briefing.pipeline.searching",
    "mark": "briefing.pipeline.marking",
    "marks": "briefing.pipeline.marking",
    "undo": "briefing.pipeline.marking",
    "search": "briefing.pipeline.searching",
}
__all__ = [
    "AnalysisReport",
    "OpmlImport",
    "Progress",
    "ReportResult",
    "SearchResult",
    "Status",
    "analyze",
    "baseline",
    "check_feeds",
    "fetch",
    "import_opml",
    "mark",
    "marks",
    "report",
    "reset_feed",
    "run_async",
    "search",
    "select_feeds",
    "status",
    "undo",
    "utc_now",
]

if TYPE_CHECKING:
    from briefing.clock import utc_now
    from briefing.pipeline.analysing import AnalysisReport, analyze, baseline
    from briefing.pipeline.fetching import Progress, check_feeds, fetch, run_async, select_feeds
    from briefing.pipeline.managing import OpmlImport, Status, import_opml, reset_feed, status
    from briefing.pipeline.marking import mark, marks, undo
    from briefing.pipeline.reporting import ReportResult, report
    from briefing.pipeline.searching import SearchResult, search


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'briefing.pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
