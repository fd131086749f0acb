"""`briefing init`: a commented feeds.yaml to start from, the one shipped with briefing.

The file is the repository's `feeds.yaml` (packaged into the wheel as `briefing/feeds.yaml`): the real
feeds of both publishers, example topics for the region, the bundled seed corpus as baseline and a
commented e-mail block. It is checked by loading it before it is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from briefing.config import Config, parse_config
from briefing.errors import ConfigError
from briefing.write import atomic_write_text

CONFIG_NAME = "feeds.yaml"


@dataclass(frozen=True)
class Started:
    path: Path
    config: Config


def packaged_config() -> Path:
    """The starter feeds.yaml shipped in the wheel, or the repository's in a development install."""
    packaged = resources.files("briefing").joinpath(CONFIG_NAME)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / CONFIG_NAME


def write_starter(folder: Path) -> Started:
    """Write `folder/feeds.yaml` (creating `folder`). Raises `ConfigError` if a feeds.yaml is there."""
    path = folder / CONFIG_NAME
    if path.exists():
        raise ConfigError(str(path), ["already exists; edit it, or give another folder to `briefing init`"])
    text = packaged_config().read_text(encoding="utf-8")
    config = parse_config(text, path)  # the shipped file is valid wherever it is written
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    except OSError as e:
        raise ConfigError(str(path), [f"cannot write it: {e.strerror or e}"]) from e
    return Started(path, config)
