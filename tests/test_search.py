"""`briefing search`: the query language, the index kept in step with the store, names in their other
spellings, the baseline, and one clear line for a query that cannot mean anything. The tests on a fetched
store run on SQLite (FTS5) and on PostgreSQL (its text search)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from briefing import fetch
from briefing.config import Config
from briefing.errors import QueryError
from briefing.pipeline import search
from briefing.query import expression, parse
from briefing.samples.site import SampleSite
from briefing.store import Store
from conftest import run_cli, site_feeds, write_config


@pytest.fixture
def fetched(tmp_path: Path, sample_site: SampleSite, store_target: Path | str) -> Config:
    database: dict[str, Any] = {"database": store_target} if isinstance(store_target, str) else {}
    config = write_config(tmp_path, site_feeds(sample_site), **database)
    fetch(config)
    return config


def on_postgresql(config: Config) -> bool:
    return config.settings.shared_database


def test_a_query_becomes_an_expression_that_quotes_every_term() -> None:
    query = parse('"border delimitation" Pashinian OR Meghri -Syunik tariff* it\'s')
    assert expression(query) == (
        '(("border delimitation")'
        ' AND (("Nikol Pashinian" OR "Nikol Pashinyan" OR "Pashinian" OR "Pashinyan") OR "Meghri")'
        ' AND ("tariff"*) AND ("it s"))'
        ' NOT (("Siunik" OR "Syunik" OR "Zangazur" OR "Zangezour" OR "Zangezur"))'
    )
    # Punctuation that means something to FTS5 reaches it inside quotes, as words.
    assert expression(parse('NEAR(a b) "q"" w" col:z ^v')) == (
        '("NEAR a") AND ("b") AND ("q") AND ("w") AND ("col z") AND ("v")'
    )


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ('"Meghri', "unbalanced quote"),
        ("OR Meghri", "OR needs a term on each side"),
        ("Meghri OR", "OR needs a term on each side"),
        ("Meghri OR OR Syunik", "OR needs a term on each side"),
        ("-Russia", "has only exclusions"),
        ("!!! ...", "has no words"),
    ],
)
def test_a_query_that_cannot_mean_anything_is_one_clear_problem(query: str, problem: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse(query)
    (line,) = str(caught.value).splitlines()
    assert line.startswith("QUERY: ") and problem in line


def test_names_are_found_in_their_other_spellings(fetched: Config) -> None:
    # The gazetteer's spellings: the seed corpus writes Pashinyan, and Türkiye as well as Turkey.
    pashinian = search(fetched, "Pashinian", within="baseline").hits
    assert pashinian and all("Pashinyan" in h.snippet for h in pashinian)
    turkey = {h.id for h in search(fetched, "Turkey", within="articles").hits}
    assert turkey and turkey == {h.id for h in search(fetched, "Türkiye", within="articles").hits}
    if on_postgresql(fetched):
        return  # transliteration variants are read from SQLite's FTS5 vocabulary only
    # Not in the gazetteer: the same name in another transliteration, found in the index itself.
    (rogun,) = search(fetched, "Rogoun", within="articles").hits
    assert [rogun.snippet[s:e] for s, e in rogun.highlights] == ["Rogun"]
    assert not search(fetched, "rogoun", within="articles").hits  # lower case: a word, not a name


def test_hits_are_ranked_with_the_passage_highlighted_and_a_link(fetched: Config) -> None:
    result = search(fetched, "Central Asia", within="articles")
    hit = result.hits[0]
    assert hit.kind == "article" and hit.id.startswith("a") and hit.url.startswith("http://127.0.0.1")
    assert {hit.snippet[s:e] for s, e in hit.highlights} == {"Central", "Asia"}
    assert len(result.hits) == 4 and hit.title.endswith("Central Asia's new bargain")  # in its title
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_the_baseline_is_searched_from_the_seed_corpus(fetched: Config) -> None:
    result = search(fetched, "Meghri", within="baseline")
    assert result.hits and all(h.kind == "baseline" and h.url == "" for h in result.hits)
    assert all(h.id.startswith("000_908e1f0253111f30.txt#") for h in result.hits)
    both = search(fetched, "Azerbaijan", within="all")
    assert {h.kind for h in both.hits} == {"article", "baseline"}
    # The copy is replaced when the corpus changes, not on every search.
    with Store.open(fetched.settings.store_location) as store:
        key = store.baseline_copy_key()
    search(fetched, "Meghri", within="baseline")
    with Store.open(fetched.settings.store_location) as store:
        assert store.baseline_copy_key() == key


def test_the_index_follows_every_write_to_the_articles(fetched: Config) -> None:
    def ids(query: str) -> set[str]:
        return {h.id for h in search(fetched, query, within="articles").hits}

    (found,) = ids("Rogun") or {""}
    article_id = int(found[1:])
    with Store.open(fetched.settings.store_location) as store, store.write() as db:
        db.execute("UPDATE articles SET text = 'Nothing about rivers.' WHERE id = ?", (article_id,))
        db.execute("UPDATE articles SET feed_text = '' WHERE id = ?", (article_id,))
    assert found not in ids("Rogun") and found in ids("rivers")
    with Store.open(fetched.settings.store_location) as store, store.write() as db:
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
    assert not ids("rivers")


def test_filters_by_feed_and_date(fetched: Config) -> None:
    every = search(fetched, "Central Asia", within="articles").hits
    assert {h.source for h in every} == {"caci-analytical", "ac-main"}
    one = search(fetched, "Central Asia", within="articles", feed="caci-analytical").hits
    assert len(one) == 3 and {h.source for h in one} == {"caci-analytical"}
    published = sorted(h.published for h in every if h.published)
    later = search(fetched, "Central Asia", within="articles", since=published[1]).hits
    assert len(later) == len(every) - 1


def test_cli_search_text_json_and_errors(fetched: Config) -> None:
    path = str(fetched.source)
    done = run_cli(["search", "Meghri", "--config", path])
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("  1. ") and "[" in first
    data = json.loads(run_cli(["search", "Pashinian", "--json", "--in", "baseline", "--config", path]).stdout)
    assert data["hits"] and set(data["hits"][0]) >= {"id", "title", "url", "snippet", "highlights", "score"}
    assert ("'Pashinyan'" if on_postgresql(fetched) else '"Pashinyan"') in data["expression"]
    bad = run_cli(["search", '"Meghri', "--config", path])
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "unbalanced quote" in bad.stderr
    none = run_cli(["search", "zzzyx", "--config", path])
    assert none.returncode == 0 and none.stdout == "Nothing found for 'zzzyx' in articles or baseline.\n"


def test_a_store_from_before_search_is_indexed_when_it_is_upgraded(tmp_path: Path) -> None:
    from briefing.store.schema import APPLICATION_ID, MIGRATIONS, statements

    db = tmp_path / "briefing.sqlite3"
    with sqlite3.connect(db) as c:
        for version, steps in MIGRATIONS:
            if version <= 4:
                for sql in statements(steps, "sqlite"):
                    c.execute(sql)
        c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        c.execute("PRAGMA user_version = 4")
        c.execute("INSERT INTO feeds (name, url, created_at) VALUES ('f', 'https://example.org/f', 'now')")
        c.execute(
            "INSERT INTO articles (feed_id, entry_key, url, canonical_url, title, published, date_source,"
            " first_seen, last_seen, feed_text, content_hash, text) VALUES (1, 'k', 'https://example.org/a',"
            " 'https://example.org/a', 'Meghri crossing', '2026-11-18T00:00:00+00:00', 'feed', 'x', 'x', '',"
            " 'h', 'The Meghri crossing reopened.')"
        )
    with Store.open(db) as store:
        (hit,) = store.search_articles(expression(parse("Meghri")))
    assert hit.id == "a1" and hit.title == "Meghri crossing"


def test_an_article_carried_by_two_feeds_is_one_hit_naming_both(
    tmp_path: Path, sample_site: SampleSite
) -> None:
    feeds = site_feeds(sample_site)
    feeds.append({**feeds[1], "name": "ac-copy", "url": feeds[1]["url"] + "?copy"})  # the same feed again
    config = write_config(tmp_path, feeds)
    fetch(config)
    (hit,) = search(config, '"Astana summit"', within="articles").hits
    assert {hit.source, *hit.also_in} == {"ac-main", "ac-copy"} and len(hit.also_in) == 1
