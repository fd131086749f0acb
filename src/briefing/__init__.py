"""briefing: watch regional analysis feeds and brief the analyst on what is genuinely new.

The public API is listed in `__all__`. Attributes load their modules on first use, so importing the
package (and starting the CLI) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Config": "briefing.config",
    "load_config": "briefing.config",
    "fetch": "briefing.pipeline",
    "check_feeds": "briefing.pipeline",
    "Progress": "briefing.pipeline",
    "Store": "briefing.store",
    "BriefingError": "briefing.errors",
    "ConfigError": "briefing.errors",
    "FetchError": "briefing.errors",
    "FeedError": "briefing.errors",
    "ExtractError": "briefing.errors",
    "StorageError": "briefing.errors",
    "RunLockedError": "briefing.errors",
}

__all__ = [
    "BriefingError",
    "Config",
    "ConfigError",
    "ExtractError",
    "FeedError",
    "FetchError",
    "Progress",
    "RunLockedError",
    "StorageError",
    "Store",
    "__version__",
    "check_feeds",
    "fetch",
    "load_config",
]

if TYPE_CHECKING:
    from briefing.config import Config, load_config
    from briefing.errors import (
        BriefingError,
        ConfigError,
        ExtractError,
        FeedError,
        FetchError,
        RunLockedError,
        StorageError,
    )
    from briefing.pipeline import Progress, check_feeds, fetch
    from briefing.store import Store


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'briefing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
