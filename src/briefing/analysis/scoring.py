"""Scoring texts against the baseline: class, novelty score, nearest documents, sentence scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from briefing.analysis.index import BaselineIndex, Queries
from briefing.analysis.names import NameBook
from briefing.analysis.novelty import (
    SPECIFICS_WEIGHT,
    Context,
    SentenceFeatures,
    context,
    sentence_features,
    sentence_score,
)
from briefing.analysis.params import DEFAULTS, Params
from briefing.analysis.text import Sentence, sentences

CONTEXT_DOCS = 3  # the closest known documents a sentence is read against
NEAREST = 5


@dataclass(frozen=True)
class DocumentScore:
    """How one text compares with the baseline."""

    kind: str  # new, development or repeat
    score: float  # the information score: mean share of new content terms per sentence, in [0, 1]
    max_similarity: float
    nearest: tuple[tuple[int, float], ...]  # (baseline row, similarity), closest first
    spans: tuple[Sentence, ...]
    features: tuple[SentenceFeatures, ...]
    sentence_scores: tuple[float, ...]
    information: float  # mean share of new content terms per sentence
    context: Context


def score_documents(
    index: BaselineIndex,
    texts: Sequence[str],
    *,
    spans: Sequence[Sequence[Sentence]] | None = None,
    book: NameBook | None = None,
    params: Params = DEFAULTS,
    queries: Queries | None = None,
) -> list[DocumentScore]:
    """Score each text: class, a novelty score in [0, 1] that does not grow with length, its nearest
    baseline documents, and a novelty score per sentence.

    The class: `new` when no known document reaches `params.new_story_similarity`; otherwise
    `development` when the mean share of new content terms per sentence (against the closest known
    documents) reaches `params.development_novelty` (a mean over sentences, so length does not count)
    or at least `params.development_facts` sentences bring a new name with a new figure or date;
    else `repeat`. `queries`: the texts already vectorised (`index.queries(texts)`), if at hand."""
    neighbours = index.nearest(queries if queries is not None else texts, NEAREST, SPECIFICS_WEIGHT)
    book = book if book is not None else index.name_book()
    out = []
    for i, text in enumerate(texts):
        near = neighbours[i]
        max_sim = near[0][1] if near else 0.0
        ctx = context(index, [row for row, _ in near[:CONTEXT_DOCS]])
        text_spans = list(spans[i]) if spans is not None else sentences(text)
        candidates = [s for s in text_spans if quotable(s)]
        features = sentence_features(index, text, candidates, ctx, book)
        scores = [sentence_score(f) for f in features]
        information = float(np.mean([f.new_term_share for f in features])) if features else 0.0
        if max_sim < params.new_story_similarity:
            kind = "new"
        elif (
            information >= params.development_novelty
            or _facts(features, scores, params) >= params.development_facts
        ):
            kind = "development"
        else:
            kind = "repeat"
        out.append(
            DocumentScore(
                kind=kind,
                score=round(information, 4),
                max_similarity=max_sim,
                nearest=tuple(near),
                spans=tuple(candidates),
                features=tuple(features),
                sentence_scores=tuple(scores),
                information=information,
                context=ctx,
            )
        )
    return out


def _facts(features: Sequence[SentenceFeatures], scores: Sequence[float], params: Params) -> int:
    """Sentences that carry a new name together with a new figure or date, and read as new."""
    return sum(
        1
        for f, score in zip(features, scores, strict=True)
        if score >= params.novel_sentence and f.new_names and (f.new_numbers or f.new_times)
    )


def quotable(s: Sentence) -> bool:
    """A sentence worth quoting: a real sentence of at least six words, not a heading or caption."""
    return len(s.text.split()) >= 6 and s.text.rstrip()[-1:] in ".!?\"'”’)…"
