"""Dataclasses to and from JSON-ready data (stored findings, every `--json` output, brief.json).

Generic over our frozen dataclasses: datetimes become ISO strings, tuples lists, paths strings; `from_data`
rebuilds the exact objects from the type hints, so a brief read back renders the same document. A type's
public shape is declared once, in `_VIEWS`: fields that take other names in JSON, as the public interface
promises ("class", "new_entities"), fields left out (an article's whole text in a listing) and properties
added.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from briefing.models import Brief, BriefEntry, Finding, Quote

T = TypeVar("T")


@dataclass(frozen=True)
class View:
    """How one type looks in JSON: `renames` (field -> key), `omit` (fields left out), `add` (properties
    included, after the fields), or `as_value` (the whole object as one value, e.g. a period's label)."""

    renames: Mapping[str, str] = field(default_factory=dict)
    omit: frozenset[str] = frozenset()
    add: tuple[str, ...] = ()
    as_value: Callable[[Any], Any] | None = None


# By qualified class name, so that writing JSON never imports a module for its view: the pipeline's
# results live beside the analysis and rendering libraries, seconds of imports `status --json` must not pay.
_VIEWS: dict[str, View] = {
    "briefing.models.analysis.Finding": View(renames={"kind": "class", "new_names": "new_entities"}),
    # A listing of articles or baseline documents: their metadata, not their text.
    "briefing.models.ingest.Article": View(
        renames={"word_count": "words"}, omit=frozenset({"text", "feed_text"})
    ),
    "briefing.models.analysis.BaselineDoc": View(omit=frozenset({"text"}), add=("words",)),
    "briefing.models.ingest.FeedHealth": View(omit=frozenset({"extra"})),
    "briefing.models.ingest.FetchReport": View(add=("new",)),
    "briefing.pipeline.analysing.AnalysisReport": View(
        omit=frozenset(
            {"articles", "baseline_key", "corpus_docs", "briefed_docs", "baseline_first", "baseline_last"}
        ),
        add=("baseline",),
    ),
    "briefing.pipeline.reporting.ReportResult": View(
        omit=frozenset({"brief"}), add=("period", "since", "until", "counts")
    ),
    "briefing.pipeline.running.RunResult": View(add=("new_articles", "failed_feeds", "ok")),
    "briefing.period.Period": View(as_value=lambda p: p.label),
}


def _view(cls: type) -> View | None:
    return _VIEWS.get(f"{cls.__module__}.{cls.__qualname__}")


def _renames(cls: type) -> Mapping[str, str]:
    view = _view(cls)
    return view.renames if view else {}


def to_data(obj: Any) -> Any:
    """JSON-ready data for a dataclass (recursively, in its view), datetime, date, path, enum, tuple,
    list, dict or plain value."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        view = _view(type(obj)) or View()
        if view.as_value is not None:
            return to_data(view.as_value(obj))
        out = {
            view.renames.get(f.name, f.name): to_data(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name not in view.omit
        }
        return out | {name: to_data(getattr(obj, name)) for name in view.add}
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return to_data(obj.value)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, tuple | list):
        return [to_data(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


def to_json(obj: Any) -> str:
    """`obj` as indented JSON text (what every `--json` prints). Raises `TypeError` for a value with no
    JSON form, rather than printing its repr."""
    return json.dumps(to_data(obj), indent=2, ensure_ascii=False)


def from_data(cls: type[T], data: Any) -> T:
    """Rebuild an instance of `cls` from `to_data` output."""
    return typing.cast(T, _build(cls, data))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _build(hint: Any, data: Any) -> Any:
    if data is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _build(options[0], data)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], x) for x in data)
        return tuple(_build(a, x) for a, x in zip(args, data, strict=True))
    if hint is datetime:
        return datetime.fromisoformat(data)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        renames = _renames(hint)
        hints = _hints(hint)
        values = {}
        for f in dataclasses.fields(hint):
            key = renames.get(f.name, f.name)
            if key in data:
                values[f.name] = _build(hints[f.name], data[key])
        return hint(**values)
    return data


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """A finding as JSON-ready data; the field names are the public JSON interface."""
    return typing.cast(dict[str, Any], to_data(f))


def finding_from_dict(data: dict[str, Any]) -> Finding:
    return from_data(Finding, data)


def brief_from_dict(data: dict[str, Any]) -> Brief:
    """A saved brief; one saved by an earlier version is read in today's layout."""
    if data.get("version", 1) < 2:
        data = _brief_v1_to_v2(data)
    return from_data(Brief, data)


def _brief_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 kept every new sentence, a summary and key terms per entry: keep the lead and facts, and
    rebuild what the new first page and sources chart need from the entries."""
    from briefing.brief import key_item, lead_and_facts

    def entry(e: dict[str, Any]) -> dict[str, Any]:
        quotes = [from_data(Quote, q) for q in e.get("new_sentences", ())]
        lead, facts = lead_and_facts(quotes, [from_data(Quote, q) for q in e.get("summary", ())])
        return {**e, "lead": to_data(lead), "facts": to_data(facts)}

    sections = [
        {**s, "stories": [{**st, "entries": [entry(e) for e in st["entries"]]} for st in s["stories"]]}
        for s in data.get("sections", ())
    ]
    entries = {e["anchor"]: e for s in sections for st in s["stories"] for e in st["entries"]}
    key = [
        to_data(key_item(from_data(BriefEntry, entries[k["anchor"]]))) if k["anchor"] in entries else k
        for k in data.get("key", ())
    ]
    return {**data, "sections": sections, "key": key, "yields": _v1_yields(data, entries), "version": 2}


def _v1_yields(data: dict[str, Any], entries: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per source, its articles by class, from what a version-1 brief listed (entries shown in full,
    repeats, duplicates); entries below the cut were not kept with their class."""
    counts: dict[str, dict[str, int]] = {}

    def add(publisher: str, field: str) -> None:
        row = counts.setdefault(publisher, {"new": 0, "developments": 0, "repeats": 0, "duplicates": 0})
        row[field] += 1

    for e in entries.values():
        add(e["publisher"], "new" if e["kind"] == "new" else "developments")
    for r in data.get("repeats", ()):
        add(r["publisher"], "repeats")
    for d in data.get("dropped", ()):
        if d.get("reason") == "duplicate":
            add(d["publisher"], "duplicates")
    return [{"name": name, **row} for name, row in sorted(counts.items())]
