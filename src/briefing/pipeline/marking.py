"""mark(), marks() and undo(): the analyst's corrections, checked against the store and kept there.

A mark is written in one transaction and applies from the next analysis (`feedback.apply`). Nothing is
ever deleted: an undone mark stays, with when it was undone.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefing.analysis.text import sentences
from briefing.clock import Clock, utc_now
from briefing.config import Config
from briefing.errors import MarkError
from briefing.feedback import CLASSES
from briefing.models import Mark
from briefing.models.vocabulary import MarkAction
from briefing.store import Store

USAGE = (
    "write ID not-new | ID important | ID class new|development|repeat | ignore-name NAME | "
    "merge-story A B (ID: a123, a123:456 or story-6, as the HTML brief shows them)"
)
_ARTICLE = re.compile(r"^a(\d+)(?::(\d+))?$")
_STORY = re.compile(r"^(story|article)-\d+$")


@dataclass(frozen=True)
class MarkStatus:
    """A mark as `briefing feedback list` shows it; `note` says when it no longer applies."""

    mark: Mark
    note: str = ""


def mark(config: Config, words: Sequence[str], *, by: str = "", clock: Clock = utc_now) -> Mark:
    """Record one mark, given as the command line gives it (`["a12:340", "not-new"]`,
    `["ignore-name", "Sample Expert"]`, ...). Raises `MarkError` for an unknown id, a mark that conflicts
    with an active one, or words that are not a mark."""
    who = by or _user()
    with Store.open(config.settings.store_location) as store:
        target, action, value, article_id, text = _resolve(store, list(words))
        _refuse_conflicts(store.marks(), target, action, value, article_id)
        return store.add_mark(target, action, value, article_id, text, who, clock())


def marks(config: Config, *, include_undone: bool = False) -> list[MarkStatus]:
    """The marks, oldest first, each with a note when it no longer applies."""
    with Store.open(config.settings.store_location) as store:
        found = store.marks(include_undone=include_undone)
        existing = store.existing_articles([m.article_id for m in found if m.article_id is not None])
    out = []
    for m in found:
        note = ""
        if m.undone_at is not None:
            note = f"undone {m.undone_at:%Y-%m-%d %H:%M} UTC"
        elif m.article_id is not None and m.article_id not in existing and m.action != "not-new":
            note = "its article is no longer stored: it applies to nothing"
        out.append(MarkStatus(m, note))
    return out


def undo(config: Config, mark_id: int, *, clock: Clock = utc_now) -> Mark:
    """Undo mark `mark_id` (from the next analysis on). Raises `MarkError` when there is no such mark or
    it was undone already."""
    with Store.open(config.settings.store_location) as store:
        found = store.mark(mark_id)
        if found is None:
            raise MarkError(f"#{mark_id}", ["no such mark (`briefing feedback list --all` lists every mark)"])
        if found.undone_at is not None:
            raise MarkError(f"#{mark_id}", [f"already undone on {found.undone_at:%Y-%m-%d %H:%M} UTC"])
        store.undo_mark(mark_id, clock())
        undone = store.mark(mark_id)
    assert undone is not None
    return undone


def _user() -> str:
    try:
        return os.environ.get("BRIEFING_USER") or getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


def _resolve(store: Store, words: list[str]) -> tuple[str, MarkAction, str, int | None, str]:
    """(target, action, value, article id, sentence) of a mark, checked against the store."""
    if not words:
        raise MarkError("mark", [USAGE])
    if words[0] == "ignore-name":
        name = " ".join(words[1:]).strip()
        if not name:
            raise MarkError("ignore-name", ["give the name to ignore, as the brief prints it"])
        return name, "ignore-name", "", None, ""
    if words[0] == "merge-story":
        if len(words) != 3:
            raise MarkError("merge-story", ["give two story ids: merge-story A B (B joins A)"])
        first, second = words[1], words[2]
        if first == second:
            raise MarkError("merge-story", [f"{first} is the same story twice"])
        for story in (first, second):
            _known_story(store, story)
        return first, "merge-story", second, None, ""
    target, rest = words[0], words[1:]
    if not rest:
        raise MarkError(target, [f"what does it say? {USAGE}"])
    action, values = rest[0], rest[1:]
    if action not in ("not-new", "important", "class"):
        raise MarkError(target, [f"{action!r} is not a mark: {USAGE}"])
    if action == "class":
        if len(values) != 1 or values[0] not in CLASSES:
            raise MarkError(target, ["class takes one of new, development, repeat"])
    elif values:
        raise MarkError(target, [f"{action} takes nothing after it: {USAGE}"])
    if _STORY.match(target):
        if action != "important":
            raise MarkError(
                target, [f"a story can be marked important or merged; mark {action} on an article"]
            )
        _known_story(store, target)
        return target, "important", target, None, ""
    match = _ARTICLE.match(target)
    if not match:
        raise MarkError(target, [f"not an id: {USAGE}"])
    article_id = int(match.group(1))
    stored = store.article_text(article_id)
    if stored is None:
        raise MarkError(target, [f"no article a{article_id} in the store (`briefing articles` lists them)"])
    title, text = stored
    if match.group(2) is not None:
        if action != "not-new":
            raise MarkError(target, [f"a quote can be marked not-new; mark {action} on a{article_id}"])
        return target, "not-new", title, article_id, _sentence_at(target, text, int(match.group(2)))
    if action == "important":
        return target, "important", store.story_of(article_id) or "", article_id, ""
    if action == "class":
        return target, "class", values[0], article_id, ""
    return target, "not-new", "", article_id, ""


def _known_story(store: Store, story: str) -> None:
    if not _STORY.match(story) or not store.story_known(story):
        raise MarkError(story, ["no story of that id in the analysed articles (the HTML brief shows them)"])


def _sentence_at(target: str, text: str, offset: int) -> str:
    for s in sentences(text):
        if s.start <= offset < s.end:
            return s.text
    raise MarkError(target, [f"no sentence at offset {offset} of its text ({len(text)} characters)"])


def _refuse_conflicts(
    active: Sequence[Mark], target: str, action: MarkAction, value: str, article_id: int | None
) -> None:
    for m in active:
        if (m.target, m.action, m.value) == (target, action, value):
            raise MarkError(target, [f"already marked so (#{m.id}, by {m.by} on {m.at:%Y-%m-%d})"])
        sets_class = ("class", "not-new")
        if (
            article_id is not None
            and m.article_id == article_id
            and action in sets_class
            and m.action in sets_class
            and ":" not in target + m.target
        ):
            raise MarkError(target, [_conflict(m)])
        if action == "merge-story" and m.action == "merge-story" and value in (m.value, m.target):
            raise MarkError(value, [_conflict(m)])
        if action == "merge-story" and m.action == "merge-story" and target == m.value:
            raise MarkError(target, [_conflict(m)])


def _conflict(m: Mark) -> str:
    return f"conflicts with #{m.id} ({m.command}); undo that first: briefing feedback undo {m.id}"
