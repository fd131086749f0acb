"""The shared parts of the command line: the root group, --config/--debug, errors to exit codes.

Exit codes: 0 done (a run that completed, even with some feeds failing), 1 failed (or --strict and a
feed failed), 2 usage or configuration error, 75 another run holds the lock, 130/143 interrupted by
SIGINT/SIGTERM. Errors are one line on stderr; `--debug` adds the traceback.
"""

from __future__ import annotations

import errno
import functools
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from briefing import __version__
from briefing.errors import BriefingError, ConfigError, RunLockedError, Terminated

if TYPE_CHECKING:
    from briefing.config import Config

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75
# A read-only or full disk, or a file we may not touch, is the machine's state, not a bug: one line, no
# traceback (see `_errors`).
_WRITE_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_ACCESS_ERRNOS = frozenset({errno.EACCES, errno.EPERM})
F = TypeVar("F", bound=Callable[..., Any])


def _on_sigterm(signum: int, frame: object) -> NoReturn:
    # Outside asyncio runs (which cancel at a safe point instead), stop where we are: every write is
    # one transaction, so nothing half-done is kept.
    raise Terminated


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    cli.main(prog_name="briefing", standalone_mode=True)


def common(fn: F) -> F:
    """--config and --debug on every command (they are also accepted before the command)."""
    fn = click.option("--debug", is_flag=True, default=None, help="Show debug logs and tracebacks.")(fn)
    fn = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Configuration file (default: $BRIEFING_CONFIG, else ./feeds.yaml).",
    )(fn)
    return fn


def with_context(fn: Callable[..., None]) -> Callable[..., None]:
    """The preamble of every command that reads the configuration, in one place: --config and --debug,
    logging, and library errors as one line and a documented exit code. The command receives the
    `Context` first."""

    @functools.wraps(fn)
    def command(*args: Any, config_path: Path | None, debug: bool | None, **kwargs: Any) -> None:
        ctx = _context(config_path, debug)
        with _errors(ctx):
            fn(ctx, *args, **kwargs)

    return common(command)


class Context:
    def __init__(self, config_path: Path | None, debug: bool) -> None:
        self.config_path = config_path
        self.debug = debug

    def config(self) -> Config:
        from briefing.config import load_config

        return load_config(self.config_path)


def _context(config_path: Path | None, debug: bool | None) -> Context:
    parent = click.get_current_context().find_object(Context)
    ctx = Context(
        config_path or (parent.config_path if parent else None),
        bool(debug) or bool(parent and parent.debug),
    )
    _setup_logging(ctx.debug)
    return ctx


class _ZonedFormatter(logging.Formatter):
    """Log times as ISO 8601 in the configured time zone, with its offset (2026-11-23T08:00:00+05:00)."""

    def __init__(self, form: str, timezone: str) -> None:
        super().__init__(form)
        from zoneinfo import ZoneInfo

        self.zone = ZoneInfo(timezone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, self.zone).isoformat(timespec="seconds")


def _setup_logging(debug: bool, long_running: bool = False, timezone: str = "UTC") -> None:
    """Warnings only for commands; a long-running process (the daemon) also logs what it does, one line
    per step and feed, with times in the configured zone."""
    if debug:
        level, form = logging.DEBUG, "%(asctime)s %(levelname)s %(name)s: %(message)s"
    elif long_running:
        level, form = logging.INFO, "%(asctime)s briefing: %(message)s"
    else:
        level, form = logging.WARNING, "briefing: %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ZonedFormatter(form, timezone))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if long_running and not debug:
        # httpx logs every request at INFO: the daemon says one line per feed instead.
        for noisy in ("apscheduler", "httpx", "httpcore"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


@contextmanager
def _errors(ctx: Context) -> Iterator[None]:
    """Turn library errors into one line on stderr and a documented exit code."""
    try:
        yield
    except ConfigError as e:
        for line in str(e).splitlines():
            click.echo(f"briefing: error: {line}", err=True)
        _exit(ctx, e, EXIT_USAGE)
    except RunLockedError as e:
        click.echo(f"briefing: {e}", err=True)
        _exit(ctx, e, EXIT_LOCKED)
    except BriefingError as e:
        click.echo(f"briefing: error: {e}", err=True)
        _exit(ctx, e, EXIT_FAILED)
    except OSError as e:
        # The library names paths in its own errors; this catches a write it did not wrap.
        if e.errno not in _WRITE_ERRNOS | _ACCESS_ERRNOS:
            raise
        where = e.filename if e.filename is not None else "a file in the data or reports folder"
        if e.errno in _WRITE_ERRNOS:
            said = f"cannot write {where}: {e.strerror}; check free space and permissions"
        else:
            said = f"cannot access {where}: {e.strerror}; check its permissions"
        click.echo(f"briefing: error: {said}", err=True)
        _exit(ctx, e, EXIT_FAILED)
    except Terminated:
        click.echo("briefing: stopped by SIGTERM; completed work is saved", err=True)
        sys.exit(128 + signal.SIGTERM)
    except KeyboardInterrupt:
        click.echo("briefing: interrupted; completed work is saved", err=True)
        sys.exit(128 + signal.SIGINT)


def _exit(ctx: Context, error: BaseException, code: int) -> NoReturn:
    if ctx.debug:
        import traceback

        traceback.print_exception(error, file=sys.stderr)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="briefing")
@common
@click.pass_context
def cli(click_ctx: click.Context, config_path: Path | None, debug: bool | None) -> None:
    """Watch regional analysis feeds and brief you on what is genuinely new.

    \b
    Start with:  briefing fetch          fetch every enabled feed in ./feeds.yaml
                 briefing articles       list what is stored
                 briefing status         feed health
    """
    click_ctx.obj = Context(config_path, bool(debug))


WHEN_HELP = "a date, date and time, ISO week (2026-W47) or span back from now (7d)"


def window(
    since: str | None, until: str | None, timezone: str, now: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """--since/--until by the one date grammar of every command (`period.parse_window`): a date or week
    is the whole day or week (--until includes it), a span counts back from now."""
    from briefing.clock import utc_now
    from briefing.period import parse_window

    return parse_window(since, until, now=now or utc_now(), timezone=timezone)


def nothing_in_window(
    what: str,
    since: datetime | None,
    until: datetime | None,
    span: tuple[int, datetime | None, datetime | None],
) -> str:
    """Why a window is empty: what it was, and what the store holds."""
    between = (
        (f" published from {since:%Y-%m-%d %H:%M}" if since else "")
        + (f" before {until:%Y-%m-%d %H:%M}" if until else "")
        + (" UTC" if since or until else "")
    )
    count, first, last = span
    if not count:
        return f"No {what}{between}: nothing is stored yet; run `briefing fetch`."
    assert first is not None and last is not None
    return f"No {what}{between}; the store holds {count} published from {first:%Y-%m-%d} to {last:%Y-%m-%d}."


def warn_without_contact(config: Config) -> None:
    """One warning line on stderr when publishers would have no way to reach the operator."""
    if not (config.settings.contact or "").strip():
        click.echo(
            f"briefing: warning: settings.contact is empty in {config.source}: set a URL or e-mail address "
            "where publishers can reach you (it is sent in the User-Agent)",
            err=True,
        )


def _print_json(data: Any) -> None:
    """Every `--json` output: our dataclasses in their public shape (`serialize`), nothing by hand."""
    from briefing.serialize import to_json

    click.echo(to_json(data))
