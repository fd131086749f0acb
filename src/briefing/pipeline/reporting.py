"""A period's brief: analyse, assemble, render, write to the reports folder, mark its articles briefed.

A brief already written for a period is rendered again from its brief.json, so re-rendering a past
period gives the same content; `refresh` analyses the period anew. A brief of a period that has not
ended is a preview: it is rebuilt next time, and its articles do not join the baseline. Rendering
happens before anything is written, so a failed render leaves the previous files untouched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from briefing.analysis.watched import mentions
from briefing.brief import assemble
from briefing.clock import Clock, utc_now
from briefing.config import Config
from briefing.errors import ConfigError, RenderError
from briefing.lock import RunLock
from briefing.models import Brief, BriefCounts, Method
from briefing.period import Period
from briefing.pipeline.analysing import analyze_in
from briefing.render import index_pages, render_html, render_pdf
from briefing.reports_folder import listed, read_brief, write_brief, write_index
from briefing.serialize import to_data
from briefing.store import Store
from briefing.testing_hooks import crash_point

log = logging.getLogger(__name__)
FORMATS = ("pdf", "html", "json")


@dataclass(frozen=True)
class ReportResult:
    brief: Brief
    files: list[Path]
    index: list[Path]
    reused: bool  # rendered from the saved brief.json

    @property
    def period(self) -> str:
        return self.brief.period_label

    @property
    def since(self) -> datetime:
        return self.brief.period_start

    @property
    def until(self) -> datetime:
        return self.brief.period_end

    @property
    def counts(self) -> BriefCounts:
        return self.brief.counts


def report(
    config: Config,
    period: Period,
    *,
    formats: Sequence[str] = FORMATS,
    output: Path | None = None,
    refresh: bool = False,
    sample: bool = False,
    clock: Clock = utc_now,
    step: Callable[[str], None] = lambda _: None,
) -> ReportResult:
    """Write the brief for `period` into `output` (default settings.reports_dir)/<period>/.

    `step` is told each step as it starts ("analysing", "rendering the PDF", ...), for a progress line.
    Holds the run lock. Raises `RenderError` when rendering fails (nothing is written then),
    `RunLockedError`, `StorageError`.
    """
    settings = config.settings
    reports = output or settings.reports_dir
    folder = reports / period.label
    now = clock()
    if period.start > now:
        raise ConfigError("--period", [f"{period.label} has not started yet; choose one up to this week"])
    preview = now < period.end
    with RunLock(settings.data_dir), Store.open(settings.store_location) as store:
        run_id = store.begin_run("report", now, alone=not settings.shared_database)
        try:
            saved = None if refresh else read_brief(folder)
            if saved is not None and saved.generated < saved.period_end:
                saved = None  # a preview: the period has grown since
            if saved is None:
                step(f"analysing {period.label}")
            brief = saved or build(config, store, period, now, sample=sample)
            files = render(config, brief, formats, step)
            crash_point("after_render", period.label)
            step("writing the files")
            written = write_brief(folder, files)
            if not preview:
                # Everything the brief covered (entries, repeats, duplicates, the appendix) is now known,
                # from the end of the period on: the next period's baseline includes it. Also when the
                # brief was saved by a run that stopped before this step; articles that arrived after
                # it was made were not in it.
                shown = store.articles(since=period.start, until=period.end)
                covered = [a.id for a in shown if a.has_text and a.first_seen <= brief.generated]
                store.mark_briefed(covered, period.end)
            index = write_index(reports, index_pages(listed(reports), now, settings.templates_dir))
        except RenderError:
            store.finish_run(run_id, "render_failed", {"period": period.label}, clock())
            raise
        except BaseException:
            store.finish_run(run_id, "failed", {"period": period.label}, clock())
            raise
        store.finish_run(run_id, "ok", {"period": period.label, "files": [str(p) for p in written]}, clock())
    return ReportResult(brief, written, index, saved is not None)


def build(config: Config, store: Store, period: Period, now: datetime, *, sample: bool = False) -> Brief:
    """Analyse the period (reusing stored findings) and assemble its brief."""
    analysis = analyze_in(store, config, since=period.start, until=period.end, clock=lambda: now)
    others = [
        a
        for a in store.articles(since=period.start, until=period.end, include_excluded=True)
        if a.extraction_status == "excluded" or not a.has_text
    ]
    history = store.articles(since=period.start - timedelta(weeks=8), until=period.start)
    method = Method(
        corpus_documents=analysis.corpus_docs,
        briefed_articles=analysis.briefed_docs,
        first=analysis.baseline_first,
        last=analysis.baseline_last,
        new_story_similarity=config.analysis.new_story_similarity,
        development_novelty=config.analysis.development_novelty,
        development_facts=config.analysis.development_facts,
        baseline_key=analysis.baseline_key,
        analysis=analysis.method,
        model=analysis.method_detail,
        semantic_new_story=config.analysis.semantic_new_story,
        corrections=analysis.corrections,
    )
    return assemble(
        config,
        period,
        analysis.findings,
        analysis.articles,
        others,
        store.feed_health(config.feeds, now),
        history,
        method,
        now,
        sample=sample,
        mentions=mentions(
            [analysis.articles[f.article_id] for f in analysis.findings],
            [w for t in config.topics for w in t.names],
        ),
        revisions=store.revisions(period.start, period.end),
    )


def render(
    config: Config, brief: Brief, formats: Sequence[str], step: Callable[[str], None] = lambda _: None
) -> dict[str, bytes]:
    """The brief's files by format, all rendered before any is written. brief.json is always among them:
    re-rendering the period and the reports index read it."""
    out: dict[str, bytes] = {}
    templates = config.settings.templates_dir
    out["json"] = (json.dumps(to_data(brief), indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
    if "html" in formats:
        step("rendering the HTML")
        out["html"] = render_html(brief, templates).encode()
    if "pdf" in formats:
        step("rendering the PDF")
        html = render_html(brief, templates, for_pdf=True)
        out["pdf"] = render_pdf(
            html, brief.paper, timeout=config.report.render_timeout, memory_mb=config.report.render_memory_mb
        )
    return out
