"""`briefing mark` and `briefing feedback`: corrections stored with who and when, applied from the next
analysis, undone, refused in one clear line when they cannot apply, and kept through a crash."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from briefing import fetch, report
from briefing.config import Config
from briefing.errors import MarkError
from briefing.models import Brief, BriefEntry
from briefing.period import iso_week
from briefing.pipeline import mark, marks, undo
from briefing.samples.site import SampleSite
from conftest import run_cli, site_feeds, write_config

WEEK = iso_week(2026, 47, "UTC")


def entries(brief: Brief) -> dict[str, BriefEntry]:
    return {e.anchor: e for s in brief.sections for st in s.stories for e in st.entries}


def story_of(brief: Brief, anchor: str) -> str:
    return next(st.id for s in brief.sections for st in s.stories for e in st.entries if e.anchor == anchor)


@pytest.fixture
def briefed(tmp_path: Path, sample_site: SampleSite) -> tuple[Config, Brief]:
    config = write_config(tmp_path, site_feeds(sample_site))
    fetch(config)
    return config, report(config, WEEK, formats=("json",)).brief


def test_marks_change_the_next_brief_and_undo_restores_it(briefed: tuple[Config, Brief]) -> None:
    config, before = briefed
    shown = entries(before)
    with_lead = next(e for e in shown.values() if e.lead and e.kind == "new")
    lead = with_lead.lead
    assert lead is not None
    other = next(e for e in shown.values() if e.kind == "development" and e.anchor != with_lead.anchor)
    named = next(
        e for e in shown.values() if e.new_names and e.anchor not in (with_lead.anchor, other.anchor)
    )
    name = named.new_names[0].name
    last = max(shown.values(), key=lambda e: (e.kind == "development", -e.score))  # ranked low
    stories = sorted(
        {story_of(before, a) for a in shown} - {story_of(before, e.anchor) for e in (last, other)}
    )

    quote = mark(config, [f"{with_lead.anchor}:{lead.start}", "not-new"], by="ana")
    assert quote.text == lead.text and quote.by == "ana"
    corrected = mark(config, [other.anchor, "class", "repeat"], by="ana")
    mark(config, ["ignore-name", name], by="ana")
    mark(config, [story_of(before, last.anchor), "important"], by="ana")
    mark(config, ["merge-story", stories[0], stories[1]], by="ana")

    after = report(config, WEEK, formats=("json",), refresh=True).brief
    now = entries(after)
    assert all(lead.text != q.text for e in now.values() for q in (e.lead, *e.facts) if q)  # known now
    assert other.anchor not in now and other.title in [r.title for r in after.repeats]
    assert all(name not in [n.name for n in e.new_names] for e in now.values())
    assert after.key[0].anchor == last.anchor and now[last.anchor].important
    merged = [st for s in after.sections for st in s.stories if st.id == stories[0]]
    assert sum(len(st.entries) for st in merged) >= 2 and not any(
        st.id == stories[1] for s in after.sections for st in s.stories
    )
    assert after.method.corrections == 5

    undo(config, corrected.id)
    again = report(config, WEEK, formats=("json",), refresh=True).brief
    assert entries(again)[other.anchor].kind == "development" and again.method.corrections == 4
    listed = marks(config, include_undone=True)
    assert [s.note.startswith("undone") for s in listed] == [False, True, False, False, False]


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["a999", "important"], "a999: no article a999 in the store"),
        (["a1:999999", "not-new"], "a1:999999: no sentence at offset 999999"),
        (["story-999", "important"], "story-999: no story of that id"),
        (["a1", "class", "old"], "a1: class takes one of new, development, repeat"),
        (["a1", "frobnicate"], "a1: 'frobnicate' is not a mark"),
        (["merge-story", "story-1"], "merge-story: give two story ids"),
        (["ignore-name"], "ignore-name: give the name to ignore"),
        (["a1:0", "important"], "a1:0: a quote can be marked not-new"),
    ],
)
def test_a_mark_that_cannot_apply_is_one_clear_line(
    briefed: tuple[Config, Brief], words: list[str], problem: str
) -> None:
    config, _ = briefed
    with pytest.raises(MarkError) as caught:
        mark(config, words)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(problem)
    assert marks(config) == []


def test_conflicting_and_repeated_marks_are_refused_naming_the_earlier_one(
    briefed: tuple[Config, Brief],
) -> None:
    config, before = briefed
    anchor = next(iter(entries(before)))
    first = mark(config, [anchor, "class", "new"])
    with pytest.raises(MarkError, match=rf"conflicts with #{first.id} .*briefing feedback undo {first.id}"):
        mark(config, [anchor, "class", "repeat"])
    with pytest.raises(MarkError, match=rf"already marked so \(#{first.id}"):
        mark(config, [anchor, "class", "new"])
    a, b = sorted({st.id for s in before.sections for st in s.stories})[:2]
    merged = mark(config, ["merge-story", a, b])
    with pytest.raises(MarkError, match=rf"conflicts with #{merged.id}"):
        mark(config, ["merge-story", b, a])
    with pytest.raises(MarkError, match="no such mark"):
        undo(config, 99)
    undo(config, first.id)
    with pytest.raises(MarkError, match="already undone"):
        undo(config, first.id)
    mark(config, [anchor, "class", "repeat"])  # once undone, the other class may be marked


def test_a_mark_on_an_article_no_longer_stored_says_it_applies_to_nothing(
    briefed: tuple[Config, Brief],
) -> None:
    config, before = briefed
    anchor = next(iter(entries(before)))
    mark(config, [anchor, "class", "repeat"])
    with sqlite3.connect(config.settings.store_location) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM articles WHERE id = ?", (int(anchor[1:]),))
    (status,) = marks(config)
    assert status.note == "its article is no longer stored: it applies to nothing"
    report(config, WEEK, formats=("json",), refresh=True)  # and the next brief is made all the same


def test_cli_mark_list_undo_and_a_crash_while_marking(briefed: tuple[Config, Brief]) -> None:
    config, before = briefed
    path = str(config.source)
    anchor = next(iter(entries(before)))
    crashed = run_cli(
        ["mark", anchor, "class", "repeat", "--config", path], env={"BRIEFING_TEST_CRASH_AT": "mark"}
    )
    assert crashed.returncode == 137 and marks(config) == []  # nothing half-written
    done = run_cli(["mark", anchor, "class", "repeat", "--by", "ana", "--config", path])
    assert (
        done.returncode == 0
        and done.stdout == f"#1 {anchor} class repeat (by ana); applies from the next analysis\n"
    )
    listed = json.loads(run_cli(["feedback", "list", "--json", "--config", path]).stdout)
    assert [(m["mark"]["id"], m["mark"]["by"], m["note"]) for m in listed["marks"]] == [(1, "ana", "")]
    bad = run_cli(["mark", "a999", "important", "--config", path])
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no article a999" in bad.stderr
    killed = run_cli(["feedback", "undo", "1", "--config", path], env={"BRIEFING_TEST_CRASH_AT": "undo"})
    assert killed.returncode == 137 and marks(config)[0].mark.undone_at is None  # still active
    assert run_cli(["feedback", "undo", "1", "--config", path]).stdout == f"undone #1 {anchor} class repeat\n"
    assert "1 active" not in run_cli(["feedback", "list", "--config", path]).stdout


def test_an_article_marked_important_before_it_had_a_story_marks_only_itself() -> None:
    from datetime import UTC, datetime

    from briefing.feedback import apply
    from briefing.models import Finding, Mark

    def finding(article_id: int) -> Finding:
        return Finding(article_id, "", "t", "new", 0.5, (), (), (), (), (), "Other")  # no story yet

    marked = Mark(1, "a1", "important", "", 1, "", "ana", datetime(2026, 11, 23, tzinfo=UTC))
    out, applied = apply([finding(1), finding(2)], [marked])
    assert [f.important for f in out] == [True, False] and applied == 1 and out[0].marks == (1,)
