"""The `briefing` command line: build objects, call one library function, print the result.

Exit codes: 0 done (a run that completed, even with some feeds failing), 1 failed (or --strict and a
feed failed), 2 usage or configuration error, 75 another run holds the lock, 130/143 interrupted by
SIGINT/SIGTERM. Errors are one line on stderr; `--debug` adds the traceback.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from briefing import __version__
from briefing.errors import BriefingError, ConfigError, RunLockedError, Terminated

if TYPE_CHECKING:
    from briefing.config import Config
    from briefing.models import FeedResult, FetchReport

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 75
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


def _setup_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s" if debug else "briefing: %(message)s",
        stream=sys.stderr,
        force=True,
    )


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


# ---- fetch ---------------------------------------------------------------------------------------


@cli.command()
@click.option("--feed", "feeds", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report instead of text.")
@click.option("--strict", is_flag=True, help="Exit 1 when any feed fails.")
@click.option("--force", is_flag=True, help="Also fetch feeds that are backing off after errors.")
@common
def fetch(
    feeds: tuple[str, ...],
    as_json: bool,
    strict: bool,
    force: bool,
    config_path: Path | None,
    debug: bool | None,
) -> None:
    """Fetch feeds and the full text of their new articles.

    Prints one line per feed (new, unchanged, not modified, error and why) and a summary. Exits 0 when
    the run completed even if some feeds failed; see --strict.

    \b
    Example:  briefing fetch --feed caci-analytical
    """
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.pipeline import fetch as run_fetch

        config = ctx.config()
        live = not as_json and sys.stderr.isatty()
        with _fetch_progress(live) as progress:
            report = run_fetch(config, feeds=list(feeds) or None, force=force, progress=progress)
        if as_json:
            _print_json(_report_json(report))
        else:
            if not live:  # for logs and pipes: configuration order, not completion order
                for result in report.feeds:
                    click.echo(_feed_line(result))
            click.echo(_report_summary(report))
        if strict and report.failed_feeds:
            sys.exit(EXIT_FAILED)


_LABELS = {
    "new": "new",
    "unchanged": "unchanged",
    "not_modified": "not modified",
    "degraded": "degraded",
    "error": "error",
    "gone": "gone",
    "rate_limited": "rate limited",
    "skipped": "skipped",
}


def _feed_line(r: FeedResult) -> str:
    label = _LABELS.get(r.status, r.status)
    parts = []
    if r.status in ("new", "degraded", "unchanged") or r.new:
        parts.append(f"{r.new} new")
    if r.error:
        parts.append(r.error)
    if r.detail:
        parts.append(r.detail)
    return f"{r.name:<28} {label:<13} {'; '.join(parts)}".rstrip()


@contextmanager
def _fetch_progress(live: bool) -> Iterator[Any]:
    """A progress bar and live per-feed lines on a terminal; nothing otherwise."""
    from briefing.pipeline import Progress

    if not live:
        yield Progress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    console = Console(stderr=True)
    with Bar(
        TextColumn("{task.description:<6}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        feeds = bar.add_task("feeds", total=0)
        pages = bar.add_task("pages", total=0)

        def feed_done(r: FeedResult) -> None:
            bar.advance(feeds)
            bar.console.print(_feed_line(r), markup=False, highlight=False)

        yield Progress(
            feeds_planned=lambda n: bar.update(feeds, total=n),
            feed_done=feed_done,
            pages_planned=lambda n: bar.update(pages, total=(bar.tasks[pages].total or 0) + n),
            page_done=lambda r: bar.advance(pages),
        )


def _report_summary(report: FetchReport) -> str:
    counts: dict[str, int] = {}
    for r in report.feeds:
        counts[_LABELS.get(r.status, r.status)] = counts.get(_LABELS.get(r.status, r.status), 0) + 1
    feeds = ", ".join(f"{n} {label}" for label, n in counts.items())
    pages: dict[str, int] = {}
    for a in report.articles:
        key = "extracted" if a.status == "ok" else ("kept feed text" if a.source == "feed" else a.status)
        key = "will retry" if a.status == "pending" else key
        pages[key] = pages.get(key, 0) + 1
    page_text = ", ".join(f"{n} {k}" for k, n in pages.items()) or "none fetched"
    seconds = (report.finished - report.started).total_seconds()
    return (
        f"{len(report.feeds)} feeds ({feeds or 'none'}); {report.new} new articles; "
        f"pages: {page_text}; {seconds:.1f} s"
    )


def _report_json(report: FetchReport) -> dict[str, Any]:
    return {
        "run_id": report.run_id,
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "new": report.new,
        "pending": report.pending,
        "feeds": [
            {
                "name": r.name,
                "url": r.url,
                "status": r.status,
                "new": r.new,
                "error": r.error,
                "http_status": r.http_status,
                "detail": r.detail,
            }
            for r in report.feeds
        ],
        "articles": [
            {
                "id": a.article_id,
                "feed": a.feed,
                "url": a.url,
                "status": a.status,
                "source": a.source,
                "detail": a.detail,
            }
            for a in report.articles
        ],
    }


# ---- articles ------------------------------------------------------------------------------------


def parse_when(value: str | None, now: datetime | None = None) -> datetime | None:
    """YYYY-MM-DD, an ISO datetime, or a span back from now such as 7d, 2w, 12h (UTC)."""
    if value is None:
        return None
    now = now or datetime.now(UTC)
    text = value.strip().lower()
    units = {"h": "hours", "d": "days", "w": "weeks"}
    if text[:-1].isdigit() and text[-1:] in units:
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD, an ISO datetime, or 7d / 2w / 12h") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@cli.command()
@click.option("--since", help="Published on or after (YYYY-MM-DD, ISO datetime, or 7d).")
@click.option("--until", help="Published before (same forms).")
@click.option("--feed", help="Only this feed.")
@click.option("--excluded", is_flag=True, help="Also list entries dropped by exclude patterns.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
def articles(
    since: str | None,
    until: str | None,
    feed: str | None,
    excluded: bool,
    as_json: bool,
    config_path: Path | None,
    debug: bool | None,
) -> None:
    """List stored articles, newest first.

    \b
    Example:  briefing articles --since 7d --feed ac-new-atlanticist
    """
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.store import Store

        config = ctx.config()
        if feed:
            config.feed(feed)
        with Store.open(config.settings.database) as store:
            rows = store.articles(
                since=parse_when(since),
                until=parse_when(until),
                feed=feed,
                include_excluded=excluded,
            )
        if as_json:
            _print_json(
                {
                    "articles": [
                        {
                            "id": a.id,
                            "feed": a.feed,
                            "url": a.url,
                            "title": a.title,
                            "authors": list(a.authors),
                            "published": a.published.isoformat(),
                            "date_source": a.date_source,
                            "first_seen": a.first_seen.isoformat(),
                            "extraction_status": a.extraction_status,
                            "extraction_detail": a.extraction_detail,
                            "text_source": a.text_source,
                            "words": a.word_count,
                        }
                        for a in rows
                    ]
                }
            )
            return
        if not rows:
            click.echo("No articles stored yet for this selection; run `briefing fetch`.")
            return
        for a in rows:
            authors = ", ".join(a.authors) or "-"
            click.echo(
                f"{a.id:>5}  {a.published:%Y-%m-%d}  {a.feed:<22} {a.extraction_status:<11} "
                f"{a.word_count:>5}w  {a.title}  [{authors}]"
            )
            click.echo(f"       {a.url}")


# ---- status --------------------------------------------------------------------------------------


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
def status(as_json: bool, config_path: Path | None, debug: bool | None) -> None:
    """Feed health: last success, last error, consecutive errors, items in the last 7 and 30 days."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.store import Store

        config = ctx.config()
        now = datetime.now(UTC)
        with Store.open(config.settings.database) as store:
            health = store.feed_health(config.feeds, now)
            runs = store.runs(limit=1)
        if as_json:
            _print_json({"feeds": [_health_json(h) for h in health], "last_run": runs[0] if runs else None})
            return
        for h in health:
            click.echo(_health_line(h, now))
        if runs:
            r = runs[0]
            click.echo(f"last run: #{r['id']} {r['command']} {r['status']} (started {r['started_at']})")
        else:
            click.echo("No run recorded yet; run `briefing fetch`.")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    delta = now - when
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min ago"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)} h ago"
    return f"{delta.days} days ago"


def _health_line(h: Any, now: datetime) -> str:
    line = (
        f"{h.name:<28} {h.status:<12} last success {_ago(h.last_success, now)}; "
        f"{h.items_7d} items in 7 days, {h.items_30d} in 30"
    )
    if h.consecutive_errors:
        line += f"; {h.consecutive_errors} consecutive errors, last: {h.last_error}"
    if h.redirect_target:
        line += f"; permanently redirected to {h.redirect_target}"
    if h.degraded_reason and h.status == "degraded":
        line += f"; {h.degraded_reason}"
    return line


def _health_json(h: Any) -> dict[str, Any]:
    out = {}
    for key, value in vars(h).items():
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    out.pop("extra", None)
    return out


# ---- feeds ---------------------------------------------------------------------------------------


@cli.group()
def feeds() -> None:
    """List, check, import and export the configured feeds."""


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
def feeds_list(as_json: bool, config_path: Path | None, debug: bool | None) -> None:
    """List the configured feeds."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        config = ctx.config()
        if as_json:
            _print_json(
                {
                    "feeds": [
                        {
                            "name": f.name,
                            "url": f.url,
                            "title": f.title,
                            "publisher": f.publisher,
                            "tags": list(f.tags),
                            "enabled": f.enabled,
                            "exclude": list(f.exclude),
                            "fetch_pages": f.fetch_pages,
                        }
                        for f in config.feeds
                    ]
                }
            )
            return
        for f in config.feeds:
            state = "" if f.enabled else "  (disabled)"
            click.echo(f"{f.name:<28} {f.publisher or '-':<36} {f.url}{state}")


@feeds.command("check")
@click.option("--feed", "names", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
def feeds_check(names: tuple[str, ...], as_json: bool, config_path: Path | None, debug: bool | None) -> None:
    """Fetch each feed now and say whether it is a live feed (nothing is stored).

    Exits 1 when a feed cannot be fetched or is not a feed.
    """
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.pipeline import check_feeds

        results = check_feeds(ctx.config(), feeds=list(names) or None)
        if as_json:
            _print_json(
                {
                    "feeds": [
                        {
                            "name": c.name,
                            "url": c.url,
                            "ok": c.ok,
                            "http_status": c.http_status,
                            "final_url": c.final_url,
                            "version": c.version,
                            "title": c.title,
                            "entries": c.entries,
                            "newest": c.newest.isoformat() if c.newest else None,
                            "problem": c.problem,
                            "warnings": list(c.warnings),
                        }
                        for c in results
                    ]
                }
            )
        else:
            for c in results:
                if c.ok:
                    newest = f"newest {c.newest:%Y-%m-%d}" if c.newest else "undated"
                    click.echo(f"{c.name:<28} ok      {c.version} with {c.entries} items, {newest}")
                else:
                    click.echo(f"{c.name:<28} FAILED  {c.problem}")
                for w in c.warnings:
                    click.echo(f"{'':<28} warning {w}")
        if any(not c.ok for c in results):
            sys.exit(EXIT_FAILED)


@feeds.command("import-opml")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the feeds that would be added; change nothing.")
@common
def feeds_import_opml(file: Path, dry_run: bool, config_path: Path | None, debug: bool | None) -> None:
    """Add the feeds of an OPML export to the configuration file (comments are kept).

    \b
    Example:  briefing feeds import-opml subscriptions.opml --dry-run
    """
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.config import add_feeds_text, parse_config
        from briefing.opml import new_sources, read_opml
        from briefing.write import atomic_write_text

        config = ctx.config()
        found = read_opml(file.read_bytes(), str(file))
        added, notes = new_sources(found, config.feeds)
        for note in notes:
            click.echo(note)
        if not added:
            click.echo(f"Nothing to add from {file}.")
            return
        text = config.source.read_text(encoding="utf-8")
        updated = add_feeds_text(text, added, str(config.source))
        parse_config(updated, config.source)  # never write a file we could not read back
        for f in added:
            click.echo(f"{'would add' if dry_run else 'added'} {f.name}: {f.url}")
        if not dry_run:
            atomic_write_text(config.source, updated)
            click.echo(f"{len(added)} feeds added to {config.source}.")


@feeds.command("export-opml")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@common
def feeds_export_opml(output: Path | None, config_path: Path | None, debug: bool | None) -> None:
    """Print the configured feeds as OPML (for other feed readers)."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.opml import write_opml
        from briefing.write import atomic_write_text

        text = write_opml(ctx.config().feeds)
        if output:
            atomic_write_text(output, text)
            click.echo(f"wrote {output}")
        else:
            click.echo(text, nl=False)


@feeds.command("reset")
@click.argument("name")
@common
def feeds_reset(name: str, config_path: Path | None, debug: bool | None) -> None:
    """Forget a feed's errors and backoff (also `gone`), so the next fetch tries it again."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.lock import RunLock
        from briefing.store import Store

        config = ctx.config()
        config.feed(name)
        with RunLock(config.settings.data_dir), Store.open(config.settings.database) as store:
            found = store.reset_feed(name)
        click.echo(f"reset {name}" if found else f"{name} has never been fetched; nothing to reset")


# ---- analysis ------------------------------------------------------------------------------------


@cli.command()
@click.option("--since", default="7d", show_default=True, help="Articles published on or after this.")
@click.option("--until", help="Articles published before this (default: now).")
@click.option("--all-sentences", is_flag=True, help="Also give every sentence with its novelty score.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
def analyze(
    since: str,
    until: str | None,
    all_sentences: bool,
    as_json: bool,
    config_path: Path | None,
    debug: bool | None,
) -> None:
    """Say what is new in the stored articles, compared with the baseline.

    Each article is a new story, a development of a known one, a repeat, or a duplicate of another
    article of the period; new information is quoted with its position in the article.

    \b
    Example:  briefing analyze --since 2026-11-16 --json
    """
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.pipeline import analyze as run_analysis
        from briefing.serialize import finding_to_dict

        config = ctx.config()
        since_at = parse_when(since)
        assert since_at is not None
        report = run_analysis(config, since=since_at, until=parse_when(until), all_sentences=all_sentences)
        if as_json:
            _print_json(
                {
                    "since": report.since.isoformat(),
                    "until": report.until.isoformat(),
                    "baseline": {
                        "key": report.baseline_key,
                        "corpus_documents": report.corpus_docs,
                        "briefed_articles": report.briefed_docs,
                    },
                    "findings": [finding_to_dict(f) for f in report.findings],
                }
            )
            return
        if not report.findings:
            click.echo(f"No stored articles published since {report.since:%Y-%m-%d}; run `briefing fetch`.")
            return
        for f in report.findings:
            article = report.articles[f.article_id]
            click.echo(
                f"{f.kind.upper():<12} {f.score:.2f}  {f.title}  [{article.publisher or article.feed}]"
            )
            if f.duplicate_of:
                click.echo(f"             same story as article {f.duplicate_of}")
            for q in f.new_sentences[:3]:
                click.echo(f"             + “{q.text}”")
            if f.new_names:
                click.echo("             new names: " + ", ".join(n.name for n in f.new_names))
            if f.nearest and f.kind in ("development", "repeat"):
                near = f.nearest[0]
                click.echo(f"             builds on: {near.title} ({near.similarity:.2f})")
        counts = {
            k: sum(1 for f in report.findings if f.kind == k)
            for k in ("new", "development", "repeat", "duplicate")
        }
        click.echo(
            f"{len(report.findings)} articles: "
            + ", ".join(f"{n} {k}" for k, n in counts.items())
            + f"; baseline {report.corpus_docs} corpus documents and {report.briefed_docs} briefed articles"
        )


@cli.group()
def corpus() -> None:
    """The baseline corpus: what the reader already knows."""


@corpus.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
def corpus_list(as_json: bool, config_path: Path | None, debug: bool | None) -> None:
    """List the baseline documents (id, title, author, date, words, source file)."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.corpus import SplitRules, load_corpus

        config = ctx.config()
        docs = load_corpus(config.corpus.paths, SplitRules.of(config.corpus))
        if as_json:
            _print_json(
                {
                    "documents": [
                        {
                            "id": d.id,
                            "title": d.title,
                            "authors": list(d.authors),
                            "date": d.date.date().isoformat() if d.date else None,
                            "words": d.words,
                            "source": d.source,
                        }
                        for d in docs
                    ]
                }
            )
            return
        for d in docs:
            date = f"{d.date:%Y-%m-%d}" if d.date else "undated   "
            authors = ", ".join(d.authors) or "-"
            click.echo(f"{d.id:<34} {date}  {d.words:>5}w  {d.title or '(untitled)'}  [{authors}]")
        click.echo(f"{len(docs)} documents in {', '.join(str(p) for p in config.corpus.paths)}")


@corpus.command("show")
@click.argument("doc_id")
@common
def corpus_show(doc_id: str, config_path: Path | None, debug: bool | None) -> None:
    """Print one baseline document as the analysis reads it."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.corpus import SplitRules, load_corpus

        config = ctx.config()
        docs = {d.id: d for d in load_corpus(config.corpus.paths, SplitRules.of(config.corpus))}
        if doc_id not in docs:
            raise ConfigError("corpus", [f"no document {doc_id!r}; see `briefing corpus list`"])
        d = docs[doc_id]
        click.echo(
            f"id:      {d.id}\ntitle:   {d.title or '(untitled)'}\nauthors: {', '.join(d.authors) or '-'}"
        )
        click.echo(f"date:    {d.date:%Y-%m-%d}" if d.date else "date:    (none)")
        click.echo(f"source:  {d.source}\nwords:   {d.words}\n")
        click.echo(d.text)


@corpus.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@common
def corpus_add(paths: tuple[Path, ...], config_path: Path | None, debug: bool | None) -> None:
    """Copy documents (text, Markdown, HTML, PDF) into the corpus folder and list what they add.

    \b
    Example:  briefing corpus add ~/reading/caucasus-report.pdf
    """
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.corpus import SplitRules, add_files, read_text, split_document

        config = ctx.config()
        folder = next((p for p in config.corpus.paths if p.is_dir() or not p.suffix), config.corpus.paths[0])
        rules = SplitRules.of(config.corpus)
        for path in paths:  # read first: a file we cannot read is refused before anything is copied
            read_text(path)
        written = add_files(list(paths), folder)
        for target in written:
            docs = split_document(read_text(target), target.name, rules)
            click.echo(f"added {target} ({len(docs)} documents)")
        if not written:
            click.echo("Nothing new: these files are already in the corpus.")


@cli.command("eval")
@click.option(
    "--dataset", type=click.Choice(["ecbplus", "mstream", "dlnd", "all"]), default="all", show_default=True
)
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "all"]),
    default="test",
    show_default=True,
    help="ECB+ topics to report (tuning used train and dev only).",
)
@click.option(
    "--data", type=click.Path(file_okay=False, path_type=Path), help="Data folder (default ../shared/data)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@common
def eval_command(
    dataset: str, split: str, data: Path | None, as_json: bool, config_path: Path | None, debug: bool | None
) -> None:
    """Measure the analysis on public labelled data (ECB+, MStream, TAP-DLND) beside reference numbers.

    \b
    Example:  briefing eval --dataset ecbplus --split test
    """
    ctx = _context(config_path, debug)
    with _errors(ctx):
        from briefing.evaluation import runner

        root = data or _default_data()
        rows = []
        wanted = ("ecbplus", "mstream", "dlnd") if dataset == "all" else (dataset,)
        folders = {"ecbplus": "ecbplus", "mstream": "mstream-news", "dlnd": "tap-dlnd-sports-slice"}
        for name in wanted:
            folder = root / folders[name]
            if not folder.is_dir():
                raise ConfigError(str(folder), [f"{name} data not found; pass --data DIR"])
            if name == "ecbplus":
                rows += runner.evaluate_ecbplus(folder, split)
            elif name == "mstream":
                rows += runner.evaluate_mstream(folder)
            else:
                rows += runner.evaluate_dlnd(folder)
        if as_json:
            _print_json({"rows": runner.as_dicts(rows)})
        else:
            click.echo(runner.table(rows))


def _default_data() -> Path:
    for candidate in (
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[3] / "shared" / "data",
    ):
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "data"


# ---- config --------------------------------------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """Check the configuration and show its reference."""


@config_group.command("check")
@common
def config_check(config_path: Path | None, debug: bool | None) -> None:
    """Validate the configuration file; exit 2 with every problem listed if it is invalid."""
    ctx = _context(config_path, debug)
    with _errors(ctx):
        config = ctx.config()
        enabled = sum(1 for f in config.feeds if f.enabled)
        click.echo(
            f"{config.source}: ok ({len(config.feeds)} feeds, {enabled} enabled; "
            f"data in {config.settings.data_dir})"
        )


@config_group.command("reference")
def config_reference() -> None:
    """Print every configuration key with its type, default and meaning (Markdown)."""
    from briefing.config import settings_reference

    click.echo(settings_reference())


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


__all__ = ["cli", "main", "parse_when"]
