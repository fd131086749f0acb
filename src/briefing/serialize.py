"""Findings to and from plain JSON-ready dictionaries (stored, printed by `--json`, put in briefs)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from briefing.models import Finding, KnownSentence, NearDoc, NewName, Quote


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """A finding as JSON-ready data; the field names are the public JSON interface."""
    data = asdict(f)
    data["class"] = data.pop("kind")
    data["new_entities"] = data.pop("new_names")
    for near in data["nearest"]:
        near["date"] = near["date"].isoformat() if near["date"] else None
    return data


def finding_from_dict(data: dict[str, Any]) -> Finding:
    def quote(q: dict[str, Any]) -> Quote:
        known = q.get("known")
        return Quote(
            q["text"],
            q["start"],
            q["end"],
            q.get("score", 0.0),
            tuple(q.get("reasons", ())),
            KnownSentence(**known) if known else None,
        )

    return Finding(
        article_id=data["article_id"],
        url=data["url"],
        title=data["title"],
        kind=data["class"],
        score=data["score"],
        nearest=tuple(
            NearDoc(
                n["doc_id"],
                n["title"],
                datetime.fromisoformat(n["date"]) if n["date"] else None,
                n["similarity"],
                n.get("origin", "corpus"),
                n.get("url", ""),
            )
            for n in data["nearest"]
        ),
        new_sentences=tuple(quote(q) for q in data["new_sentences"]),
        new_names=tuple(NewName(**n) for n in data["new_entities"]),
        summary=tuple(quote(q) for q in data["summary"]),
        key_terms=tuple(data["key_terms"]),
        section=data["section"],
        story=data.get("story", ""),
        story_label=data.get("story_label", ""),
        story_since=data.get("story_since", ""),
        duplicate_of=data.get("duplicate_of"),
        also_reported_by=tuple(data.get("also_reported_by", ())),
        reasons=tuple(data.get("reasons", ())),
        sentences=tuple(quote(q) for q in data.get("sentences", ())),
    )
