"""Dataclasses of the baseline and the analysis: documents, quotes, findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from briefing.models.vocabulary import ArticleClass, DocOrigin, NameKind


@dataclass(frozen=True)
class BaselineDoc:
    """A document the reader already knows: a seed-corpus article or an article already briefed.

    `id` is stable: ``<file>#<n>`` for the n-th article of a corpus file, ``article:<id>`` for a briefed
    article. `title` may be empty when the source gave none.
    """

    id: str
    title: str
    authors: tuple[str, ...]
    date: datetime | None
    text: str
    source: str
    origin: DocOrigin = "corpus"
    url: str = ""

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Quote:
    """A sentence quoted from an article: ``article.text[start:end] == text``."""

    text: str
    start: int
    end: int
    score: float = 0.0
    reasons: tuple[str, ...] = ()
    known: KnownSentence | None = None


@dataclass(frozen=True)
class KnownSentence:
    """The closest sentence the reader already knows, quoted from a baseline document, for contrast."""

    doc_id: str
    title: str
    text: str
    start: int
    end: int
    similarity: float


@dataclass(frozen=True)
class NearDoc:
    """A baseline document close to an article ("builds on")."""

    doc_id: str
    title: str
    date: datetime | None
    similarity: float
    origin: DocOrigin = "corpus"
    url: str = ""


@dataclass(frozen=True)
class NewName:
    """A name the article mentions that the baseline does not: its first mention and how often."""

    name: str
    kind: NameKind
    start: int
    end: int
    mentions: int


@dataclass(frozen=True)
class NameMention:
    """A sentence of an article that mentions a watched name (`watched` as configured: "Name | variant")."""

    watched: str
    article_id: int
    quote: Quote


@dataclass(frozen=True)
class Finding:
    """What is new in one article, and why. `kind` is new, development, repeat or duplicate."""

    article_id: int
    url: str
    title: str
    kind: ArticleClass
    score: float
    nearest: tuple[NearDoc, ...]
    new_sentences: tuple[Quote, ...]
    new_names: tuple[NewName, ...]
    summary: tuple[Quote, ...]
    key_terms: tuple[str, ...]
    section: str
    story: str = ""
    story_label: str = ""
    story_since: str = ""  # ISO date of the story's first article (earlier than the period: continuing)
    duplicate_of: int | None = None
    also_reported_by: tuple[int, ...] = ()
    reasons: tuple[str, ...] = ()
    sentences: tuple[Quote, ...] = ()
    important: bool = False  # marked important by the analyst: its story is followed and ranked up
    marks: tuple[int, ...] = ()  # the analyst's marks applied to this finding (`briefing feedback list`)
