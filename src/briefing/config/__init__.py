"""The configuration: its declaration (`settings`), loading and validation (`loading`) and the generated
reference (`reference`). `SETTINGS` is the single table of configuration keys: validation, defaults,
environment overrides and the README's configuration reference all come from it.
"""

from briefing.config.loading import add_feeds_text, find_config, load_config, parse_config, parse_schedule
from briefing.config.reference import settings_reference
from briefing.config.settings import (
    CONFIG_ENV,
    DEFAULT_CONFIG_NAME,
    SETTINGS,
    Config,
    CorpusSettings,
    EmailSettings,
    ReportSettings,
    ScheduleSettings,
    Setting,
    Settings,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_NAME",
    "SETTINGS",
    "Config",
    "CorpusSettings",
    "EmailSettings",
    "ReportSettings",
    "ScheduleSettings",
    "Setting",
    "Settings",
    "add_feeds_text",
    "find_config",
    "load_config",
    "parse_config",
    "parse_schedule",
    "settings_reference",
]
