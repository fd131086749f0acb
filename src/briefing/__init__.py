"""briefing: watch regional analysis feeds and brief the analyst on what is genuinely new.

The public API is listed in `__all__`: the pipeline's functions (`fetch`, `analyze`, `report`, `run`,
`deliver`, `check_feeds`, `search`, `load_config`), their results and the errors they raise. Attributes
load their modules on first use, so importing the package (and starting the CLI) stays fast. No
submodule shares a name with an export (a submodule, once imported, would shadow it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # functions
    "load_config": "briefing.config",
    "fetch": "briefing.pipeline.fetching",
    "check_feeds": "briefing.pipeline.fetching",
    "analyze": "briefing.pipeline.analysing",
    "report": "briefing.pipeline.reporting",
    "run": "briefing.pipeline.running",
    "deliver": "briefing.pipeline.running",
    "search": "briefing.pipeline.searching",
    # classes: configuration, store, progress hooks and results
    "Config": "briefing.config",
    "Store": "briefing.store",
    "Progress": "briefing.pipeline.fetching",
    "FetchReport": "briefing.models",
    "AnalysisReport": "briefing.pipeline.analysing",
    "ReportResult": "briefing.pipeline.reporting",
    "RunResult": "briefing.pipeline.running",
    "Delivered": "briefing.pipeline.running",
    "Brief": "briefing.models",
    "Finding": "briefing.models",
    "Period": "briefing.period",
    "SearchResult": "briefing.pipeline.searching",
    "SearchHit": "briefing.models",
    # errors
    "BriefingError": "briefing.errors",
    "ConfigError": "briefing.errors",
    "FetchError": "briefing.errors",
    "FeedError": "briefing.errors",
    "ExtractError": "briefing.errors",
    "StorageError": "briefing.errors",
    "RunLockedError": "briefing.errors",
    "RenderError": "briefing.errors",
    "DeliveryError": "briefing.errors",
    "QueryError": "briefing.errors",
}

__all__ = [
    "AnalysisReport",
    "Brief",
    "BriefingError",
    "Config",
    "ConfigError",
    "Delivered",
    "DeliveryError",
    "ExtractError",
    "FeedError",
    "FetchError",
    "FetchReport",
    "Finding",
    "Period",
    "Progress",
    "QueryError",
    "RenderError",
    "ReportResult",
    "RunLockedError",
    "RunResult",
    "SearchHit",
    "SearchResult",
    "StorageError",
    "Store",
    "__version__",
    "analyze",
    "check_feeds",
    "deliver",
    "fetch",
    "load_config",
    "report",
    "run",
    "search",
]

if TYPE_CHECKING:
    from briefing.config import Config, load_config
    from briefing.errors import (
        BriefingError,
        ConfigError,
        DeliveryError,
        ExtractError,
        FeedError,
        FetchError,
        QueryError,
        RenderError,
        RunLockedError,
        StorageError,
    )
    from briefing.models import Brief, FetchReport, Finding, SearchHit
    from briefing.period import Period
    from briefing.pipeline.analysing import AnalysisReport, analyze
    from briefing.pipeline.fetching import Progress, check_feeds, fetch
    from briefing.pipeline.reporting import ReportResult, report
    from briefing.pipeline.running import Delivered, RunResult, deliver, run
    from briefing.pipeline.searching import SearchResult, search
    from briefing.store import Store


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'briefing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
