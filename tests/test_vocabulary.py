"""Statuses and kinds are closed vocabularies (models/vocabulary.py): the fields are typed by them, and
what the pipeline stores and prints stays inside them."""

from __future__ import annotations

import sqlite3
import typing
from pathlib import Path

from briefing import fetch
from briefing.cli.ingest import _LABELS
from briefing.models import Article, Delivery, FeedHealth, FeedResult, Finding, NewName
from briefing.models import vocabulary as v
from briefing.pipeline.running import Delivered, RunResult
from briefing.samples.site import SampleSite
from conftest import site_feeds, write_config


def test_status_and_kind_fields_are_typed_by_their_vocabulary() -> None:
    def hint(cls: type, name: str) -> object:
        return typing.get_type_hints(cls)[name]

    assert hint(FeedResult, "status") == v.FeedOutcome
    assert hint(FeedHealth, "status") == v.FeedStatus
    assert hint(Article, "extraction_status") == v.ExtractionStatus
    assert hint(Article, "text_source") == v.TextSource
    assert hint(Finding, "kind") == v.ArticleClass
    assert hint(NewName, "kind") == v.NameKind
    assert hint(Delivery, "status") == v.DeliveryStatus
    assert hint(Delivered, "action") == hint(RunResult, "action") == v.DeliveryAction


def test_every_feed_outcome_has_a_label_in_the_fetch_output() -> None:
    assert set(_LABELS) == set(typing.get_args(v.FeedOutcome))


def test_what_a_fetch_stores_and_reports_is_inside_the_vocabularies(
    tmp_path: Path, sample_site: SampleSite
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    report = fetch(config)
    assert {r.status for r in report.feeds} <= set(typing.get_args(v.FeedOutcome))
    assert {a.status for a in report.articles} <= set(typing.get_args(v.ExtractionStatus))
    with sqlite3.connect(config.settings.store_location) as db:
        feed_statuses = {s for (s,) in db.execute("SELECT status FROM feeds")}
        rows = db.execute("SELECT extraction_status, text_source FROM articles").fetchall()
    assert feed_statuses and feed_statuses <= set(typing.get_args(v.FeedStatus))
    assert rows and {s for s, _ in rows} <= set(typing.get_args(v.ExtractionStatus))
    assert {t for _, t in rows} <= set(typing.get_args(v.TextSource))
