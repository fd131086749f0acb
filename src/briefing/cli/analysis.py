"""Commands about the baseline and the analysis: analyze, corpus, eval."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from briefing.cli.app import (
    WHEN_HELP,
    Context,
    _print_json,
    cli,
    nothing_in_window,
    window,
    with_context,
)
from briefing.errors import ConfigError
from briefing.wording import plural

if TYPE_CHECKING:
    pass


# ---- analysis ------------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--since", metavar="WHEN", default="7d", show_default=True, help=f"Published from then on: {WHEN_HELP}."
)
@click.option("--until", metavar="WHEN", help="Published up to then, a date or week included (default: now).")
@click.option("--all-sentences", is_flag=True, help="Also give every sentence with its novelty score.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def analyze(
    ctx: Context,
    since: str,
    until: str | None,
    all_sentences: bool,
    as_json: bool,
) -> None:
    """Say what is new in the stored articles, compared with the baseline.

    Each article is a new story, a development of a known one, a repeat, or a duplicate of another
    article of the period; new information is quoted with its position in the article.

    \b
    Example:  briefing analyze --since 2026-11-16 --json
    """
    from briefing.pipeline import analyze as run_analysis

    config = ctx.config()
    since_at, until_at = window(since, until, config.settings.timezone)
    assert since_at is not None
    report = run_analysis(config, since=since_at, until=until_at, all_sentences=all_sentences)
    if as_json:
        _print_json(report)
        return
    if not report.findings:
        from briefing.store import Store

        with Store.open(config.settings.store_location) as store:
            span = store.published_span()
        click.echo(nothing_in_window("articles to analyse", report.since, report.until, span))
        return
    for f in report.findings:
        article = report.articles[f.article_id]
        click.echo(f"{f.kind.upper():<12} {f.score:.2f}  {f.title}  [{article.publisher or article.feed}]")
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
        f"{plural(len(report.findings), 'article', 'articles')}: "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + f"; baseline {report.corpus_docs} corpus documents and {report.briefed_docs} briefed articles"
    )


@cli.group()
def corpus() -> None:
    """The baseline corpus: what the reader already knows."""


@corpus.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def corpus_list(ctx: Context, as_json: bool) -> None:
    """List the baseline documents (id, title, author, date, words, source file)."""
    from briefing.corpus import load_corpus

    config = ctx.config()
    docs = load_corpus(config.corpus, cache=config.settings.corpus_cache)
    if as_json:
        _print_json({"documents": docs})
        return
    for d in docs:
        date = f"{d.date:%Y-%m-%d}" if d.date else "undated   "
        authors = ", ".join(d.authors) or "-"
        click.echo(f"{d.id:<34} {date}  {d.words:>5}w  {d.title or '(untitled)'}  [{authors}]")
    click.echo(
        f"{plural(len(docs), 'document', 'documents')} in " + ", ".join(str(p) for p in config.corpus.paths)
    )


@corpus.command("show")
@click.argument("doc_id")
@with_context
def corpus_show(ctx: Context, doc_id: str) -> None:
    """Print one baseline document as the analysis reads it."""
    from briefing.corpus import load_corpus

    config = ctx.config()
    docs = {d.id: d for d in load_corpus(config.corpus, cache=config.settings.corpus_cache)}
    if doc_id not in docs:
        raise ConfigError("corpus", [f"no document {doc_id!r}; see `briefing corpus list`"])
    d = docs[doc_id]
    click.echo(f"id:      {d.id}\ntitle:   {d.title or '(untitled)'}\nauthors: {', '.join(d.authors) or '-'}")
    click.echo(f"date:    {d.date:%Y-%m-%d}" if d.date else "date:    (none)")
    click.echo(f"source:  {d.source}\nwords:   {d.words}\n")
    click.echo(d.text)


@corpus.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_context
def corpus_add(ctx: Context, paths: tuple[Path, ...]) -> None:
    """Copy documents (text, Markdown, HTML, PDF) into the corpus folder and list what they add.

    \b
    Example:  briefing corpus add ~/reading/caucasus-report.pdf
    """
    from briefing.corpus import CorpusReader, SplitRules, add_files, packaged_corpus, split_document

    config = ctx.config()
    if config.corpus.paths in ((), (packaged_corpus(),)):
        where = config.source.name
        why = (
            f"empty in {where}"
            if not config.corpus.paths
            else f"not set in {where}, so the baseline is the bundled seed corpus"
        )
        advice = "set it to a folder of your own (e.g. [corpus], with the seed files) to add documents"
        raise ConfigError("corpus.paths", [f"{why}; {advice}"])
    folder = next((p for p in config.corpus.paths if p.is_dir() or not p.suffix), config.corpus.paths[0])
    rules = SplitRules.of(config.corpus)
    # Read first (one reader, each file once): a file we cannot read is refused before anything is copied.
    texts = {}
    with CorpusReader(config.corpus, config.settings.corpus_cache) as reader:
        for path in paths:
            result = reader.read(path)
            if result.text is None:
                raise ConfigError(str(path), [result.problem])
            texts[path.name] = result.text
    written = add_files(list(paths), folder)
    for target in written:
        docs = split_document(texts[target.name], target.name, rules)
        click.echo(f"added {target} ({plural(len(docs), 'document', 'documents')})")
    if not written:
        click.echo("Nothing new: these files are already in the corpus.")


@cli.command("eval")
@click.option(
    "--dataset",
    type=click.Choice(["realworld", "ecbplus", "mstream", "dlnd", "all"]),
    default="all",
    show_default=True,
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
@click.option(
    "--fold",
    type=click.Choice(["holdout", "tune", "all"]),
    default="holdout",
    show_default=True,
    help="Real-world articles to report (thresholds were chosen on tune only).",
)
@click.option("--examples", type=int, default=0, help="Real-world set: list up to N examples of each error.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_context
def eval_command(
    ctx: Context,
    dataset: str,
    split: str,
    data: Path | None,
    fold: str,
    examples: int,
    as_json: bool,
) -> None:
    """Measure the analysis on labelled data: real articles against the seed corpus (realworld), and
    the public benchmarks (ECB+, MStream, TAP-DLND) beside reference numbers.

    \b
    Examples:  briefing eval --dataset realworld --examples 3
               briefing eval --dataset ecbplus --split test
    """
    from briefing.evaluation import runner

    root = data or _default_data()
    rows = []
    wanted: tuple[str, ...] = ("realworld", "ecbplus", "mstream", "dlnd") if dataset == "all" else (dataset,)
    folders = {
        "realworld": "realworld-dev",
        "ecbplus": "ecbplus",
        "mstream": "mstream-news",
        "dlnd": "tap-dlnd-sports-slice",
    }
    if "realworld" in wanted:
        folder = root / folders["realworld"]
        if not (folder / "articles.json").is_file():
            raise ConfigError(str(folder / "articles.json"), ["realworld data not found; pass --data DIR"])
        _realworld(folder / "articles.json", fold, examples, as_json and dataset == "realworld", ctx)
        wanted = tuple(w for w in wanted if w != "realworld")
        if not wanted:
            return
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
        _print_json({"rows": rows})
    else:
        click.echo(runner.table(rows))


def _realworld(path: Path, fold: str, examples: int, as_json: bool, ctx: Any) -> None:
    """The real-world set through the product's analysis, against the configured seed corpus."""
    from briefing.analysis import semantic
    from briefing.config import parse_config
    from briefing.corpus import load_corpus, packaged_corpus
    from briefing.evaluation import realworld

    try:
        config = ctx.config()
    except ConfigError:  # no feeds.yaml here: the bundled seed corpus with the default settings
        config = parse_config(
            f"corpus:\n  paths: [{packaged_corpus()}]\nfeeds: []\n", Path.cwd() / "eval.yaml"
        )
    docs = load_corpus(config.corpus, cache=config.settings.corpus_cache)
    records = realworld.load_records(path)
    judged, analysis = realworld.evaluate(records, docs, config.analysis)
    rows = realworld.measures(judged, records, fold)
    if as_json:
        _print_json(
            {"fold": fold, "measures": rows, "method": analysis.method, "model": analysis.method_detail}
        )
        return
    click.echo(realworld.table(rows, fold))
    status = semantic.status() if config.analysis.semantic else None
    click.echo(f"analysis: {analysis.method}" + (f" ({status.detail})" if status else ""))
    if fold == "tune":
        click.echo("note: the tune fold is where the thresholds were chosen; report the holdout fold.")
    if examples:
        click.echo(realworld.errors(judged, fold, limit=examples))


def _default_data() -> Path:
    for candidate in (
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[3] / "shared" / "data",
    ):
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "data"
