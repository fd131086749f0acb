"""Watched names (`topics[].names`): every mention of the period, quoted exactly, new or not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from briefing import fetch, report
from briefing.analysis.watched import mentions
from briefing.period import iso_week
from briefing.samples.site import SampleSite
from conftest import site_feeds, stored_article, write_config

WHEN = datetime(2026, 11, 18, tzinfo=UTC)


def test_a_mention_is_found_in_variants_spellings_and_transliterations_and_quoted_exactly() -> None:
    text = (
        "Prime Minister Pashinian spoke in Yerevan. The weather was mild.\n\n"
        "Ankara and Türkiye's ministers met. Officials from Turkey disagreed.\n\n"
        "The Rogun dam filled. Nobody said rogun aloud. Mr. Ghukasyan left."
    )
    found = mentions(
        [stored_article(1, "T", text)],
        ["Nikol Pashinyan", "Turkey", "Rogoun", "Ghukasian | Ghukasyan", "Nobody Known"],
    )
    by_name: dict[str, list[str]] = {}
    for m in found:
        assert text[m.quote.start : m.quote.end] == m.quote.text  # the article's own words, at their place
        by_name.setdefault(m.watched, []).append(m.quote.text)
    assert by_name == {
        "Nikol Pashinyan": ["Prime Minister Pashinian spoke in Yerevan."],  # the gazetteer's spelling
        "Turkey": ["Ankara and Türkiye's ministers met.", "Officials from Turkey disagreed."],
        "Rogoun": ["The Rogun dam filled."],  # a transliteration; the lower-case word is not a name
        "Ghukasian | Ghukasyan": ["Mr. Ghukasyan left."],  # a configured variant
    }


def test_the_brief_lists_every_mention_of_each_watched_name(tmp_path: Path, sample_site: SampleSite) -> None:
    topics = [
        {"name": "South Caucasus", "terms": ["Armenia"], "names": ["Kazakhstan", "Astana | Nur-Sultan"]},
        {"name": "People", "names": ["Zzyzx Nobody"]},  # names only: no section of its own
    ]
    config = write_config(tmp_path, site_feeds(sample_site), topics=topics)
    fetch(config)
    result = report(config, iso_week(2026, 47, "UTC"), formats=("json", "html"))
    watched = {w.name: w for w in result.brief.watched}
    assert list(watched) == ["Kazakhstan", "Astana", "Zzyzx Nobody"]
    assert watched["Kazakhstan"].topic == "South Caucasus" and len(watched["Kazakhstan"].mentions) >= 2
    assert all("Astana" in m.quote.text for m in watched["Astana"].mentions) and watched["Astana"].mentions
    assert watched["Zzyzx Nobody"].mentions == ()
    every = [m for w in watched.values() for m in w.mentions]
    assert any(m.kind == "new" for m in every)  # so the next line has something to check
    assert all(m.new for m in every if m.kind == "new")  # in a new story, every mention is new
    assert "People" not in [s.title for s in result.brief.sections]
    html = next(p for p in result.files if p.suffix == ".html").read_text(encoding="utf-8")
    assert 'id="watched"' in html and "Not mentioned in this period" in html
