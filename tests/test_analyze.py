"""`briefing analyze` over stored articles: the baseline grows with briefed articles; findings are stored."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from briefing.pipeline import analyze, fetch
from briefing.samples.server import Reply
from briefing.samples.shapes import wordpress_feed
from briefing.store import Store
from conftest import FakeClock, SampleSite, load_articles, run_cli, site_feeds, write_config

SINCE = datetime(2026, 11, 16, tzinfo=UTC)


def test_analyze_stored_articles_against_the_seed_corpus(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    config = write_config(
        tmp_path,
        site_feeds(sample_site),
        topics=[{"name": "Central Asia", "terms": ["Kazakhstan", "Uzbekistan", "Tajikistan"]}],
    )
    fetch(config, clock=clock)
    report = analyze(config, since=SINCE, clock=clock)
    assert report.corpus_docs == 6 and report.briefed_docs == 0
    assert len(report.findings) == 5
    with Store.open(config.settings.store_location) as store:
        stored = {a.id: a for a in store.articles()}
    for f in report.findings:
        assert f.kind in ("new", "development", "repeat", "duplicate")
        text = stored[f.article_id].text
        for q in f.new_sentences + f.summary:
            assert text[q.start : q.end] == q.text
    water = next(f for f in report.findings if "Amu Darya" in f.title)
    assert water.kind == "new" and water.section == "Central Asia"
    assert {"Vakhsh", "Rogun"} <= {n.name for n in water.new_names}
    again = analyze(config, since=SINCE, clock=clock)
    assert again.reused == 5 and again.findings == report.findings


def test_briefed_articles_join_the_baseline(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    server = sample_site.server
    config = write_config(
        tmp_path,
        [*site_feeds(sample_site), {"name": "mirror", "url": server.url("/mirror"), "fetch_pages": False}],
    )
    fetch(config, clock=clock, feeds=["ac-main"])
    first = analyze(config, since=SINCE, clock=clock)
    assert first.briefed_docs == 0 and {f.kind for f in first.findings} <= {"new", "development"}
    with Store.open(config.settings.store_location) as store:
        store.mark_briefed([f.article_id for f in first.findings], clock.now)
    # A week later another site republishes the same two posts, full text in its feed.
    clock.advance(days=7)
    copies = [
        replace(a, path="/mirror" + a.path, post_id=a.post_id + 7, published=clock.now - timedelta(hours=2))
        for a in load_articles("ac")[:2]
    ]
    server.route(
        "/mirror", Reply(200, {}, wordpress_feed(server.base, "Mirror", "/mirror", copies, clock.now))
    )
    fetch(config, clock=clock, feeds=["mirror"])
    second = analyze(config, since=clock.now - timedelta(days=1), clock=clock)
    assert second.briefed_docs == 2
    assert [f.kind for f in second.findings] == ["repeat", "repeat"]
    assert all(
        f.nearest[0].doc_id.startswith("article:") and f.nearest[0].origin == "briefed"
        for f in second.findings
    )


def test_cli_analyze_text_and_json(tmp_path: Path, sample_site: SampleSite) -> None:
    config = write_config(tmp_path, site_feeds(sample_site))
    assert run_cli(["fetch", "--config", str(config.source)]).returncode == 0
    done = run_cli(["analyze", "--since", "2026-11-01", "--config", str(config.source)])
    assert done.returncode == 0, done.stderr
    assert (
        "NEW" in done.stdout and "5 articles:" in done.stdout and "baseline 6 corpus documents" in done.stdout
    )
    data = json.loads(
        run_cli(
            ["analyze", "--since", "2026-11-01", "--json", "--all-sentences", "--config", str(config.source)]
        ).stdout
    )
    finding = data["findings"][0]
    assert set(finding) >= {
        "article_id",
        "url",
        "title",
        "class",
        "score",
        "nearest",
        "new_sentences",
        "new_entities",
        "summary",
        "section",
        "sentences",
    }
    assert set(finding["new_sentences"][0]) >= {"text", "start", "end", "score"}
    assert set(finding["nearest"][0]) >= {"doc_id", "title", "similarity"}
    assert finding["sentences"] and data["baseline"]["corpus_documents"] == 6
    # The report's own shape (serialize's view): the baseline's span and the method, no article texts.
    assert data["baseline"]["first"] < data["baseline"]["last"] and data["method"] in ("lexical", "semantic")
    assert "articles" not in data


def test_cli_corpus_commands(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    config = write_config(tmp_path, [], corpus={"paths": [str(tmp_path / "corpus")]})
    note = tmp_path / "note.md"
    note.write_text(
        "# Caspian shipping\n\n" + "Container traffic across the Caspian grew again this year. " * 5
    )
    done = run_cli(["corpus", "add", str(note), "--config", str(config.source)])
    assert done.returncode == 0 and "added" in done.stdout and "(1 document)" in done.stdout
    listed = json.loads(run_cli(["corpus", "list", "--json", "--config", str(config.source)]).stdout)
    assert [(d["id"], d["title"]) for d in listed["documents"]] == [("note.md#1", "Caspian shipping")]
    assert listed["documents"][0]["words"] == 45 and "text" not in listed["documents"][0]
    shown = run_cli(["corpus", "show", "note.md#1", "--config", str(config.source)])
    assert "Container traffic across the Caspian" in shown.stdout
    missing = run_cli(["corpus", "show", "nope", "--config", str(config.source)])
    assert missing.returncode == 2 and "no document 'nope'" in missing.stderr
