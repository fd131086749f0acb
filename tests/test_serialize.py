"""The one JSON shape of our objects: what every `--json` prints and brief.json stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from briefing.models import Article, Finding
from briefing.period import parse_period
from briefing.pipeline.running import Delivered
from briefing.serialize import from_data, to_data, to_json
from conftest import stored_article

WHEN = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def article(text: str) -> Article:
    return stored_article(7, "A title", text, feed="caci-analytical", url="https://example.org/a", when=WHEN)


def test_an_article_in_a_listing_is_its_metadata_without_its_text() -> None:
    data = to_data(article("Three words here."))
    assert data["words"] == 3 and data["published"] == "2026-11-18T09:30:00+00:00"
    assert "text" not in data and "feed_text" not in data and "word_count" not in data


def test_a_period_is_its_label_and_paths_are_strings() -> None:
    period = parse_period("2026-W47", "UTC")
    done = Delivered(period, "sent", "sent to a@example.org", (Path("/r/2026-W47/brief.pdf"),))
    assert to_data(done) == {
        "period": "2026-W47",
        "action": "sent",
        "detail": "sent to a@example.org",
        "files": ["/r/2026-W47/brief.pdf"],
    }


def test_a_value_without_a_json_form_is_an_error_not_its_repr() -> None:
    with pytest.raises(TypeError):
        to_json({"x": object()})
    assert json.loads(to_json({"articles": [article("x")]}))["articles"][0]["id"] == 7


def test_a_finding_round_trips_under_its_public_names() -> None:
    finding = Finding(
        article_id=7,
        url="https://example.org/a",
        title="A title",
        kind="new",
        score=0.8,
        nearest=(),
        new_sentences=(),
        new_names=(),
        summary=(),
        key_terms=("water",),
        section="Other",
    )
    data = to_data(finding)
    assert data["class"] == "new" and "kind" not in data and data["new_entities"] == []
    assert from_data(Finding, json.loads(json.dumps(data))) == finding


def test_every_declared_view_names_a_class_that_exists() -> None:
    import importlib

    from briefing.serialize import _VIEWS

    for name in _VIEWS:
        module, _, cls = name.rpartition(".")
        assert isinstance(getattr(importlib.import_module(module), cls), type), name
