"""What the analyst's marks change in an analysis. Pure: marks and findings in, findings out.

- a quote marked not new: its sentence joins the baseline (`baseline_docs`), so the next analysis knows it;
- an article marked not new, or marked with a class: that class is kept for it, whatever the scores say;
- a name ignored: never reported as new again;
- a story (or an article's story) marked important: its findings are followed and ranked first;
- two stories merged: the second one's findings join the first.

Findings are stored as the analysis made them; marks apply when they are read, so a mark or an undo takes
effect at the next brief without analysing again (a not-new sentence changes the baseline, so that does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from briefing.analysis.names import name_key
from briefing.models import BaselineDoc, Finding, Mark
from briefing.models.vocabulary import ArticleClass

CLASSES: tuple[ArticleClass, ...] = ("new", "development", "repeat")


def baseline_docs(marks: Sequence[Mark]) -> list[BaselineDoc]:
    """The sentences marked not new, as baseline documents (`mark:<id>`)."""
    return [
        BaselineDoc(
            f"mark:{m.id}", f"{m.value} (marked not new)", (), None, m.text, "feedback", origin="feedback"
        )
        for m in marks
        if m.action == "not-new" and m.text
    ]


def apply(findings: Sequence[Finding], marks: Sequence[Mark]) -> tuple[list[Finding], int]:
    """The findings with the marks applied, and how many marks applied (not-new sentences always do:
    they are part of the baseline)."""
    out = list(findings)
    for m in marks:
        if m.action == "class" or (m.action == "not-new" and not m.text):
            kind: ArticleClass = "repeat" if m.action == "not-new" else _class(m.value)
            why = f"marked {kind} by {m.by} (mark #{m.id})"
            out = [
                _marked(f, m, kind=kind, reasons=(*f.reasons, why)) if f.article_id == m.article_id else f
                for f in out
            ]
        elif m.action == "ignore-name":
            key = name_key(m.target)
            out = [
                _marked(f, m, new_names=tuple(n for n in f.new_names if name_key(n.name) != key))
                if any(name_key(n.name) == key for n in f.new_names)
                else f
                for f in out
            ]
        elif m.action == "important":
            out = [
                _marked(f, m, important=True)
                if (m.value and f.story == m.value)
                or (m.article_id is not None and f.article_id == m.article_id)
                else f
                for f in out
            ]
        elif m.action == "merge-story":
            label = next((f.story_label for f in out if f.story == m.target), "")
            out = [
                _marked(f, m, story=m.target, story_label=label or f.story_label) if f.story == m.value else f
                for f in out
            ]
    in_baseline = {m.id for m in marks if m.action == "not-new" and m.text}
    return out, len(in_baseline | {i for f in out for i in f.marks})


def _class(value: str) -> ArticleClass:
    for c in CLASSES:
        if value == c:
            return c
    raise ValueError(f"not a class: {value!r}")


def _marked(f: Finding, m: Mark, **changes: object) -> Finding:
    return replace(f, marks=(*f.marks, m.id), **changes)  # type: ignore[arg-type]
