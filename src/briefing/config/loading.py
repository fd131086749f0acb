"""feeds.yaml -> Config: YAML read safely (the only yaml import), every value validated and every problem
collected with its key path."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from briefing import yamltext
from briefing.analysis.params import Params
from briefing.config.settings import (
    _SECTIONS,
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
    database_problem,
)
from briefing.errors import ConfigError
from briefing.models import FeedSource, WatchTopic, name_forms
from briefing.urls import is_http_url


def find_config(explicit: str | Path | None, env: Mapping[str, str] | None = None) -> Path:
    """The config path: the explicit one, else $BRIEFING_CONFIG, else ./feeds.yaml."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate a configuration file.

    Returns a frozen `Config`. Raises `ConfigError` listing every problem found (unreadable file,
    YAML syntax, unknown keys with suggestions, wrong types, non-http URLs, duplicate feeds).
    """
    env = os.environ if env is None else env
    config_path = find_config(path, env)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = "" if path else f"; pass --config FILE or set {CONFIG_ENV}"
        raise ConfigError(str(config_path), [f"file not found{hint}"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(config_path), [f"cannot read the file: {e}"]) from e
    return parse_config(text, config_path, env)


def parse_config(text: str, source: Path, env: Mapping[str, str] | None = None) -> Config:
    """Validate configuration `text`; relative paths resolve against `source`'s folder."""
    env = {} if env is None else env
    try:
        raw = yamltext.load(text)
    except yamltext.YamlError as e:
        raise ConfigError(str(source), [str(e)]) from e
    checker = _Checker(source.resolve().parent)
    config = checker.config(raw, source, env)
    if checker.problems or config is None:
        raise ConfigError(str(source), checker.problems)
    return config


def add_feeds_text(text: str, feeds: Sequence[FeedSource], source: str) -> str:
    """`text` (a feeds.yaml) with `feeds` appended to its `feeds:` list, comments and layout kept.

    Raises `ConfigError` when the file's `feeds` is not a block list this function can extend.
    """
    items = []
    for f in feeds:
        item: dict[str, Any] = {"name": f.name, "url": f.url}
        if f.title:
            item["title"] = f.title
        if f.tags:
            item["tags"] = list(f.tags)
        items.append(item)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if re.match(r"^feeds:\s*(#.*)?$", line)), None)
    if start is None:
        if any(re.match(r"^feeds:", line) for line in lines):
            raise ConfigError(source, ["feeds is not a block list; add the new feeds by hand"])
        return "".join(lines) + yamltext.dump({"feeds": items})
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if re.match(r"^[^\s#-]", lines[i]):  # the next top-level key (a zero-indented "- " is ours)
            end = i
            break
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    indent = next((m.group(1) for line in lines[start + 1 : end] if (m := re.match(r"^(\s*)- ", line))), "  ")
    block = yamltext.dump(items, indent=2)
    block = "".join(indent + line if line.strip() else line for line in block.splitlines(keepends=True))
    return "".join(lines[:end]) + block + "".join(lines[end:])


_LONGEST_PROBLEM = 400  # characters of one problem's message
_LONG_QUOTE = re.compile(r"""('[^']{60}|"[^"]{60})[^'"]{20,}(['"])""")


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2}
_SIZE_UNITS |= {
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "ki": 1024,
    "mi": 1024**2,
}


class _Checker:
    """Walks the raw YAML, converting values and collecting problems instead of stopping at the first."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        # A message quotes the value it is about; a value pasted by mistake can be megabytes: the quote
        # is cut short, the advice after it kept.
        message = _LONG_QUOTE.sub(lambda m: m.group(1) + "…" + m.group(2), message)
        if len(message) > _LONGEST_PROBLEM:
            message = message[: _LONGEST_PROBLEM - 1] + "…"
        self.problems.append(f"{where}: {message}")

    def config(self, raw: Any, source: Path, env: Mapping[str, str]) -> Config | None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.problem("(top level)", "expected a mapping with settings, corpus and feeds")
            return None
        self.unknown_keys("", raw, _SECTIONS)
        settings = self.section("settings", raw.get("settings"), env)
        problem = database_problem(str(settings.get("database") or ""))
        if problem:
            self.problem("settings.database", problem)
        corpus = self.section("corpus", raw.get("corpus"), env)
        corpus["paths"] = self.corpus_paths(corpus["paths"])
        analysis = self.section("analysis", raw.get("analysis"), env)
        report = self.section("report", raw.get("report"), env)
        schedule = self.section("schedule", raw.get("schedule"), env)
        email = self.email(raw.get("delivery"), env)
        feeds = self.feeds(raw.get("feeds"))
        topics = self.topics(raw.get("topics"))
        if self.problems:
            return None
        return Config(
            source=source,
            settings=Settings(**settings),
            corpus=CorpusSettings(**corpus),
            analysis=Params(**analysis),
            report=ReportSettings(**report),
            schedule=ScheduleSettings(**schedule),
            email=EmailSettings(**email),
            feeds=feeds,
            topics=topics,
        )

    def corpus_paths(self, paths: tuple[Path, ...] | None) -> tuple[Path, ...]:
        """The configured corpus paths, each of which must exist; unset, the bundled seed corpus."""
        if paths is None:
            from briefing.corpus import packaged_corpus

            return (packaged_corpus(),)
        for i, p in enumerate(paths):
            if not p.exists():
                self.problem(
                    f"corpus.paths[{i}]",
                    f"{p} does not exist; fix the path, or remove corpus.paths for the bundled seed corpus",
                )
        return paths

    def unknown_keys(self, prefix: str, raw: Mapping[Any, Any], known: tuple[str, ...]) -> None:
        for key in raw:
            if key in known:
                continue
            where = f"{prefix}{key}" if isinstance(key, str) else f"{prefix}{key!r}"
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; known keys: {', '.join(known)}"
            self.problem(where, f"unknown key{hint}")

    def section(self, name: str, raw: Any, env: Mapping[str, str]) -> dict[str, Any]:
        specs = [s for s in SETTINGS if s.key.startswith(name + ".")]
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self.problem(name, "expected a mapping")
            raw = {}
        self.unknown_keys(name + ".", raw, tuple(s.name for s in specs))
        values: dict[str, Any] = {}
        for spec in specs:
            if spec.env and spec.env in env:
                values[spec.name] = self.value(f"environment {spec.env}", spec, env[spec.env], True)
            elif spec.name in raw:
                values[spec.name] = self.value(spec.key, spec, raw[spec.name])
            else:
                values[spec.name] = self.value(spec.key, spec, spec.default)
        # Frozen config: lists become tuples.
        return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}

    def email(self, raw: Any, env: Mapping[str, str]) -> dict[str, Any]:
        if raw is not None and not isinstance(raw, dict):
            self.problem("delivery", "expected a mapping with an `email` key")
            raw = None
        raw = raw or {}
        self.unknown_keys("delivery.", raw, ("email",))
        values = self.section("delivery.email", raw.get("email"), env)
        if values["host"] is not None:
            if not values["sender"]:
                self.problem("delivery.email.sender", "required when delivery.email.host is set")
            if not values["recipients"]:
                self.problem("delivery.email.recipients", "required when delivery.email.host is set")
            if values["username_env"] and values["security"] == "none":
                self.problem(
                    "delivery.email.username_env",
                    "credentials are never sent without TLS; use security starttls or tls",
                )
        return values

    def items(self, section: str, raw: Any, what: str) -> list[tuple[str, dict[str, Any]]]:
        """The entries of a list section (feeds, topics) as (key path, values), unique by name."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(section, f"expected a list of {what}")
            return []
        specs = [s for s in SETTINGS if s.key.startswith(section + "[].")]
        names: dict[str, int] = {}
        out = []
        for i, item in enumerate(raw):
            where = f"{section}[{i}]"
            if not isinstance(item, dict):
                self.problem(where, f"expected a mapping ({what})")
                continue
            self.unknown_keys(where + ".", item, tuple(s.name for s in specs))
            values: dict[str, Any] = {}
            for spec in specs:
                if spec.name in item and item[spec.name] is not None:
                    values[spec.name] = self.value(f"{where}.{spec.name}", spec, item[spec.name])
                elif spec.required:
                    self.problem(f"{where}.{spec.name}", "required key is missing")
                else:
                    values[spec.name] = spec.default
            name = values.get("name")
            if isinstance(name, str):
                if not name.strip():
                    self.problem(f"{where}.name", "must not be empty")
                elif name.lower() in names:
                    noun = section.rstrip("s")
                    self.problem(
                        f"{where}.name",
                        f"duplicate {noun} name {name!r} (also {section}[{names[name.lower()]}])",
                    )
                else:
                    names[name.lower()] = i
            out.append((where, values))
        return out

    def feeds(self, raw: Any) -> tuple[FeedSource, ...]:
        urls: dict[str, str] = {}
        out: list[FeedSource] = []
        for where, values in self.items("feeds", raw, "feeds, each with at least name and url"):
            url = values.get("url")
            if isinstance(url, str) and url:
                if url in urls:
                    self.problem(f"{where}.url", f"same URL as {urls[url]}")
                urls[url] = where
            if values.get("name") is None or url is None or self.problems:
                continue
            out.append(
                FeedSource(
                    name=values["name"],
                    url=url,
                    title=values["title"],
                    publisher=values["publisher"],
                    tags=tuple(values["tags"]),
                    enabled=values["enabled"],
                    exclude=tuple(values["exclude"]),
                    fetch_pages=values["fetch_pages"],
                    max_entries=values["max_entries"],
                    timeout=values["timeout"],
                )
            )
        return tuple(out)

    def topics(self, raw: Any) -> tuple[WatchTopic, ...]:
        out = []
        for where, values in self.items("topics", raw, "watch topics, each with name and terms"):
            if values.get("name") is None or not (values.get("terms") or values.get("names")):
                if values.get("name") is not None:
                    self.problem(f"{where}.terms", "give at least one term (or names to watch)")
                continue
            names = tuple(n for n in values["names"] if name_forms(n))
            out.append(WatchTopic(values["name"], tuple(values["terms"]), values["min_mentions"], names))
        return tuple(out)

    def value(self, where: str, spec: Setting, raw: Any, from_env: bool = False) -> Any:
        if raw is None:
            return None
        if spec.kind.startswith("choice:"):
            options = spec.kind.split(":", 1)[1].split(",")
            if raw not in options:
                self.problem(where, f"expected one of {', '.join(options)}, got {raw!r}")
                return spec.default
            return raw
        convert = _CONVERTERS[spec.kind]
        try:
            value = convert(self, raw, from_env)
        except _Invalid as e:
            self.problem(where, str(e))
            return spec.default
        if spec.minimum is not None and isinstance(value, int | float) and value < spec.minimum:
            self.problem(where, f"must be at least {spec.minimum:g}, got {value!r}")
            return spec.default
        return value

    def path(self, raw: Any, from_env: bool) -> Path:
        if not isinstance(raw, str) or not raw.strip():
            raise _Invalid(f"expected a path, got {raw!r}")
        p = Path(raw).expanduser()
        # Paths in the file are relative to the file; paths from the environment to the shell.
        return p if p.is_absolute() else ((Path.cwd() if from_env else self.base) / p).resolve()


class _Invalid(ValueError):
    pass


def _as_str(_: _Checker, raw: Any, __: bool) -> str:
    if isinstance(raw, bool):
        raise _Invalid(
            f"expected text, got {str(raw).lower()}: YAML reads a bare yes, no, on, off, true or false as "
            'true or false; quote it, e.g. "off"'
        )
    if not isinstance(raw, str | int | float):
        raise _Invalid(f"expected text, got {type(raw).__name__}")
    return str(raw)


def _as_bool(_: _Checker, raw: Any, from_env: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    if from_env and isinstance(raw, str) and raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if from_env and isinstance(raw, str) and raw.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise _Invalid(f"expected true or false, got {raw!r}")


def _as_int(_: _Checker, raw: Any, from_env: bool) -> int:
    if isinstance(raw, bool):
        raise _Invalid(f"expected a whole number, got {raw!r}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
        return int(raw)
    raise _Invalid(f"expected a whole number, got {raw!r}")


def _as_float(_: _Checker, raw: Any, from_env: bool) -> float:
    if isinstance(raw, bool):
        raise _Invalid(f"expected a number, got {raw!r}")
    if isinstance(raw, int | float):
        return float(raw)
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise _Invalid(f"expected a number, got {raw!r}") from None


def _as_size(_: _Checker, raw: Any, from_env: bool) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    m = _SIZE.match(str(raw)) if isinstance(raw, str) else None
    if not m:
        raise _Invalid(f"expected a size such as 10MiB, 500KB or a number of bytes, got {raw!r}")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "").lower()])


def _as_list(_: _Checker, raw: Any, from_env: bool) -> list[str]:
    if from_env and isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str | int | float) for x in raw):
        raise _Invalid(f"expected a list of text items, got {raw!r}")
    return [str(x) for x in raw]


def _as_paths(c: _Checker, raw: Any, from_env: bool) -> list[Path]:
    return [c.path(x, from_env) for x in _as_list(c, raw, from_env)]


def _as_url(_: _Checker, raw: Any, __: bool) -> str:
    if not isinstance(raw, str) or not is_http_url(raw):
        raise _Invalid(f"{raw!r} is not an http:// or https:// URL; give the feed's web address")
    return raw.strip()


def _as_timezone(_: _Checker, raw: Any, __: bool) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(raw, str):
        raise _Invalid(f"expected an IANA time zone name, got {raw!r}")
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(
            f"{raw!r} is not a time zone this machine knows; use an IANA name such as Europe/Berlin"
        ) from None
    return raw


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_schedule(text: str) -> tuple[tuple[int, ...], int, int]:
    """ "mon,thu 07:00" -> ((0, 3), 7, 0): weekdays (Monday 0), hour, minute. Raises ValueError."""
    parts = text.strip().lower().split()
    if len(parts) != 2:
        raise ValueError("expected days and a time, e.g. 'mon 07:00'")
    days_text, time_text = parts
    days: set[int] = set()
    for item in days_text.split(","):
        if item in ("daily", "*"):
            days.update(range(7))
        elif "-" in item and all(p in _DAYS for p in item.split("-", 1)):
            first, last = (_DAYS.index(p) for p in item.split("-", 1))
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)])
        elif item in _DAYS:
            days.add(_DAYS.index(item))
        else:
            raise ValueError(f"{item!r} is not a day (mon..sun, a range such as mon-fri, or daily)")
    hour, _, minute = time_text.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ValueError(f"{time_text!r} is not a time such as 07:00")
    return tuple(sorted(days)), int(hour), int(minute)


def _as_schedule(_: _Checker, raw: Any, __: bool) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"expected days and a time such as 'mon 07:00', got {raw!r}")
    try:
        parse_schedule(raw)
    except ValueError as e:
        raise _Invalid(str(e)) from e
    return raw.strip()


def _as_address(_: _Checker, raw: Any, __: bool) -> str:
    from email.headerregistry import Address
    from email.utils import getaddresses, parseaddr

    if not isinstance(raw, str) or any(c in raw for c in "\r\n\0"):
        raise _Invalid(f"expected one e-mail address on one line, got {raw!r}")
    if len(getaddresses([raw])) != 1:
        raise _Invalid(f"{raw!r} holds more than one address; list each on its own")
    name, address = parseaddr(raw)
    if "@" not in address or address.count("@") != 1:
        raise _Invalid(f"{raw!r} is not an e-mail address such as brief@example.org")
    try:
        Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError) as e:
        raise _Invalid(f"{raw!r} is not a valid e-mail address: {e}") from e
    return raw.strip()


def _as_addresses(c: _Checker, raw: Any, from_env: bool) -> list[str]:
    return [_as_address(c, a, from_env) for a in _as_list(c, raw, from_env)]


def _as_patterns(c: _Checker, raw: Any, from_env: bool) -> list[str]:
    patterns = _as_list(c, raw, from_env)
    for p in patterns:
        try:
            re.compile(p)
        except re.error as e:
            raise _Invalid(f"{p!r} is not a valid regular expression: {e}") from e
    return patterns


def _as_networks(c: _Checker, raw: Any, from_env: bool) -> list[str]:
    networks = _as_list(c, raw, from_env)
    for n in networks:
        try:
            ipaddress.ip_network(n, strict=False)
        except ValueError:
            raise _Invalid(f"{n!r} is not an IP address or CIDR network") from None
    return networks


_CONVERTERS: dict[str, Callable[[_Checker, Any, bool], Any]] = {
    "str": _as_str,
    "bool": _as_bool,
    "int": _as_int,
    "float": _as_float,
    "size": _as_size,
    "list": _as_list,
    "path": lambda c, raw, from_env: c.path(raw, from_env),
    "paths": _as_paths,
    "url": _as_url,
    "patterns": _as_patterns,
    "networks": _as_networks,
    "timezone": _as_timezone,
    "schedule": _as_schedule,
    "address": _as_address,
    "addresses": _as_addresses,
}
