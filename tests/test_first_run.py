"""A new user's first steps: `briefing init`, the bundled baseline by default, a corpus path that does not
exist, an empty baseline."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from briefing.config import load_config
from briefing.corpus import packaged_corpus
from briefing.errors import ConfigError
from briefing.period import iso_week
from briefing.pipeline import fetch, report
from conftest import FakeClock, SampleSite, run_cli, site_feeds, write_config


def test_init_writes_a_working_commented_configuration_and_says_what_to_do_next(tmp_path: Path) -> None:
    folder = tmp_path / "watch"
    done = run_cli(["init", str(folder)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    path = folder / "feeds.yaml"
    text = path.read_text(encoding="utf-8")
    config = load_config(path, env={})
    urls = {f.url for f in config.feeds}
    assert "https://www.cacianalyst.org/publications/analytical-articles.feed" in urls
    assert "https://www.atlanticcouncil.org/feed/" in urls
    assert len(config.topics) >= 2 and config.topics[0].terms
    assert config.corpus.paths == (packaged_corpus(),)  # the bundled seed corpus, nothing to copy
    assert config.settings.data_dir == folder.resolve() / "data"
    assert "# delivery:" in text and "#     host:" in text  # the e-mail block, commented out
    assert config.email.host is None
    out = done.stdout
    assert f"Wrote {path}" in out and "5 feeds (4 enabled)" in out and "3 topics" in out
    assert "Next:" in out and f"cd {folder}" in out and "settings.contact" in out and "run --quiet" in out
    # A second init never overwrites what the user may have edited.
    again = run_cli(["init", str(folder)], cwd=tmp_path)
    assert again.returncode == 2 and again.stdout == ""
    assert (
        again.stderr
        == f"briefing: error: {path}: already exists; edit it, or give another folder to `briefing init`\n"
    )
    assert path.read_text(encoding="utf-8") == text


def test_the_shipped_feeds_yaml_has_topics_and_leaves_the_baseline_to_the_bundled_corpus() -> None:
    from briefing.starter import packaged_config

    shipped = yaml.safe_load(packaged_config().read_text(encoding="utf-8"))
    assert shipped["topics"] and "corpus" not in shipped


def test_a_corpus_path_that_does_not_exist_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        write_config(tmp_path, [], corpus={"paths": ["no-such-folder", str(packaged_corpus())]})
    assert info.value.problems == [
        f"corpus.paths[0]: {tmp_path / 'no-such-folder'} does not exist; fix the path, or remove "
        "corpus.paths for the bundled seed corpus"
    ]


def test_an_empty_baseline_makes_everything_new_and_the_brief_says_so(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    config = write_config(tmp_path, site_feeds(sample_site), corpus={"paths": []})
    assert config.corpus.paths == ()
    fetch(config, clock=clock)
    result = report(config, iso_week(2026, 47, "UTC"), formats=("html", "json"), clock=clock)
    brief = result.brief
    assert brief.counts.articles > 0 and brief.counts.developments == 0 and brief.counts.repeats == 0
    assert brief.counts.new + brief.counts.duplicates == brief.counts.articles
    html = next(p for p in result.files if p.name == "brief.html").read_text(encoding="utf-8")
    assert "The baseline was empty (no seed corpus document, no earlier brief)" in html


def test_the_demo_refuses_a_configuration_it_would_ignore(tmp_path: Path) -> None:
    done = run_cli(["demo", "--config", str(tmp_path / "feeds.yaml")], cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "briefing: error: --config: the demo writes its own configuration (SAMPLE DATA on loopback); "
        "run it without --config\n"
    )
    assert not (tmp_path / "reports").exists()


def test_corpus_add_never_writes_into_the_bundled_corpus(tmp_path: Path) -> None:
    run_cli(["init", str(tmp_path)], cwd=tmp_path)
    note = tmp_path / "note.md"
    note.write_text("# A note\n\n" + "Words about the Caspian and its ports. " * 10, encoding="utf-8")
    before = sorted(p.name for p in packaged_corpus().iterdir())
    done = run_cli(["corpus", "add", str(note)], cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.startswith(
        "briefing: error: corpus.paths: not set in feeds.yaml, so the baseline is the bundled seed corpus; set it"
    )
    assert sorted(p.name for p in packaged_corpus().iterdir()) == before
