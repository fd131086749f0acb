"""What a search returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from briefing.models.vocabulary import HitKind


@dataclass(frozen=True)
class SearchHit:
    """One document that matched: a stored article (`id` "a123", as the brief prints it) or a document of
    the seed corpus (`id` "<file>#<n>"). `snippet` is a passage of its text with the matched terms at
    `highlights` (offsets into the snippet); `score` orders hits, higher first."""

    kind: HitKind
    id: str
    title: str
    url: str  # the article's link; "" for a corpus document
    source: str  # the feed, or the corpus file
    published: datetime | None
    snippet: str
    highlights: tuple[tuple[int, int], ...]
    score: float
    briefed: bool = False  # an article that appeared in an issued brief (part of the baseline)
    also_in: tuple[str, ...] = ()  # other feeds that carried the same article (one hit, not several)
