"""Delivery to the reports folder: a brief's files, the index of all briefs and their Atom feed.

Every file is written atomically (temporary file, fsync, rename): a reader, a web server or a crash sees
the previous complete file or the new one, never a part.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

from briefing.errors import DeliveryError
from briefing.models import Brief, Listed
from briefing.serialize import brief_from_dict
from briefing.wording import plural
from briefing.write import atomic_write_many, remove_temporaries

log = logging.getLogger(__name__)
NAMES = {"pdf": "brief.pdf", "html": "brief.html", "json": "brief.json"}


def write_brief(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write a brief's files (format -> content) into `folder` as one step; returns their paths in
    format order. Either all are replaced or, when writing fails, none is.

    Raises `DeliveryError` naming the file when the folder cannot be written."""
    paths = {folder / NAMES[fmt]: files[fmt] for fmt in ("json", "html", "pdf") if fmt in files}
    _write(paths)
    return list(paths)


def _write(files: Mapping[Path, bytes]) -> None:
    try:
        for path in files:
            remove_temporaries(path)  # a crash mid-write leaves some; the caller holds the run lock
        atomic_write_many(files)
    except OSError as e:
        where = e.filename or next(iter(files)).parent
        raise DeliveryError(f"cannot write {where}: {e.strerror or e}; check the reports folder") from e


def read_brief(folder: Path) -> Brief | None:
    """The brief saved in `folder`, or None when there is none (or it cannot be read)."""
    try:
        return brief_from_dict(json.loads((folder / NAMES["json"]).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as e:
        if (folder / NAMES["json"]).exists():
            log.warning("cannot read %s: %s", folder / NAMES["json"], e)
        return None


def listed(reports: Path) -> list[Listed]:
    """Every brief in the reports folder, newest period first."""
    out = []
    for folder in [p for p in reports.iterdir() if p.is_dir()] if reports.is_dir() else []:
        brief = read_brief(folder)
        if brief is None:
            continue
        c = brief.counts
        files = tuple(
            (fmt, f"{folder.name}/{name}") for fmt, name in NAMES.items() if (folder / name).exists()
        )
        out.append(
            Listed(
                brief.period_label,
                brief.title,
                brief.period_text,
                brief.generated,
                f"{plural(c.new, 'new story', 'new stories')}, "
                f"{plural(c.developments, 'development', 'developments')}, "
                f"{plural(c.articles, 'article', 'articles')}",
                files,
            )
        )
    out.sort(key=lambda b: (b.label, b.generated), reverse=True)
    return out


def write_index(reports: Path, pages: Mapping[str, bytes]) -> list[Path]:
    """Write the rendered index pages (index.html, feed.xml) into the reports folder, atomically."""
    paths = {reports / name: content for name, content in pages.items()}
    _write(paths)
    return list(paths)
