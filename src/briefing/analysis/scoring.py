"""Scoring texts against the baseline: class, novelty score, nearest documents, sentence scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from briefing.analysis.background import is_telling
from briefing.analysis.index import BaselineIndex, Queries
from briefing.analysis.linking import Linking
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
from briefing.models.vocabulary import ArticleClass

CONTEXT_DOCS = 3  # the closest known documents a sentence is read against
NEAREST = 5
LEAD_WINDOW = 4  # the lead is looked for among the first quotable sentences


@dataclass(frozen=True)
class DocumentScore:
    """How one text compares with the baseline."""

    kind: ArticleClass  # new, development or repeat (duplicates are found later)
    score: float  # the information score: mean share of new content terms per sentence, in [0, 1]
    max_similarity: float
    nearest: tuple[tuple[int, float], ...]  # (baseline row, similarity), closest first
    spans: tuple[Sentence, ...]
    features: tuple[SentenceFeatures, ...]
    sentence_scores: tuple[float, ...]
    information: float  # mean share of new content terms per sentence
    context: Context
    # Per sentence of `spans`: best cosine to a sentence of the context documents (0 without the model).
    restated: tuple[float, ...] = ()
    semantic: bool = False  # whether the semantic model took part


def score_documents(
    index: BaselineIndex,
    texts: Sequence[str],
    *,
    spans: Sequence[Sequence[Sentence]] | None = None,
    book: NameBook | None = None,
    params: Params = DEFAULTS,
    queries: Queries | None = None,
    linking: Linking | None = None,
) -> list[DocumentScore]:
    """Score each text: class, a novelty score in [0, 1] that does not grow with length, its nearest
    baseline documents, and a novelty score per sentence.

    The class: `new` when no known document reaches `params.new_story_similarity`; otherwise
    `development` when the mean share of new content terms per sentence (against the closest known
    documents) reaches `params.development_novelty` (a mean over sentences, so length does not count)
    or at least `params.development_facts` sentences bring a new name with a new figure or date;
    else `repeat`. `queries`: the texts already vectorised (`index.queries(texts)`), if at hand.

    With `linking` (the semantic model's view of the same texts, in the same order) a known story is
    recognised by meaning too: `new` when no known document's `story_match` reaches
    `params.semantic_new_story`; nearest documents are ranked by a blend of meaning and terms;
    sentences that retell a known sentence in other words count as known."""
    q = queries if queries is not None else texts
    if linking is not None:
        lexical = index.similarities(q, SPECIFICS_WEIGHT)
        neighbours = _blended_nearest(lexical, linking, params)
        matches = story_match(linking.doc_similarity, lexical, params)
    else:
        neighbours = index.nearest(q, NEAREST, SPECIFICS_WEIGHT)
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
        restated: tuple[float, ...] = ()
        if linking is not None:
            known_story = bool(len(index)) and float(matches[i].max()) >= params.semantic_new_story
            # A new story has no known sentences to retell: only a known story's sentences are checked,
            # against the context's sentences (already split by `context`).
            known = [s.text for _, s in ctx.sentences] if known_story else []
            restated = _restated(linking, candidates, features, scores, known, params)
        else:
            known_story = max_sim >= params.new_story_similarity
        kind: ArticleClass
        if not known_story:
            kind = "new"
        elif linking is not None:
            fresh = _fresh(features, scores, restated, params)
            kind = "development" if fresh >= params.development_facts else "repeat"
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
                restated=restated,
                semantic=linking is not None,
            )
        )
    return out


def story_match(meaning: np.ndarray, lexical: np.ndarray, params: Params) -> np.ndarray:
    """How well each known document matches each text as the same story: the best paragraph pair's
    cosine blended with the similarity of terms and specifics. Meaning alone takes "another
    earthquake" for the same story; names and figures keep two events of one kind apart. The blend
    holds on real articles (the real-world tune fold) and on ECB+ (train and dev topics)."""
    b = params.semantic_match_blend
    return np.asarray(b * meaning + (1 - b) * lexical, dtype=np.float32)


def _blended_nearest(lexical: np.ndarray, linking: Linking, params: Params) -> list[list[tuple[int, float]]]:
    """The closest documents, closest first: a blend of how much of the text each document covers in
    meaning (its paragraphs' best cosines, averaged) and of terms and specifics."""
    blend = params.semantic_blend
    combined = blend * linking.coverage + (1 - blend) * lexical
    out = []
    for row in combined:
        top = np.argsort(-row, kind="stable")[:NEAREST]
        out.append([(int(r), float(row[r])) for r in top if row[r] > 0])
    return out


NOT_CHECKED = -1.0  # a sentence whose restatement was not checked: never quoted, never counted fresh


def _restated(
    linking: Linking,
    candidates: Sequence[Sentence],
    features: Sequence[SentenceFeatures],
    scores: Sequence[float],
    known: Sequence[str],
    params: Params,
) -> tuple[float, ...]:
    """Best cosine of each candidate to a known sentence of the context documents.

    Embedding is the cost, so sentences are checked lazily: the lead window and the best candidates
    first (enough for the quotes and the class), the rest only when too few of those are fresh. The
    class is the same as when checking all: it needs `development_facts` fresh sentences."""
    out = np.full(len(candidates), NOT_CHECKED, dtype=np.float32)
    if not known:
        return tuple(0.0 for _ in candidates)
    novel = [k for k, sc in enumerate(scores) if sc >= params.novel_sentence]
    ranked = sorted(novel, key=lambda k: -quote_rank(features[k], scores[k], 0.0))
    first = list(dict.fromkeys([*range(min(LEAD_WINDOW, len(candidates))), *ranked[: params.max_quotes + 3]]))
    rest = [k for k in ranked if k not in set(first)]
    enough = max(params.development_facts, params.max_quotes + 1)  # for the class and the quotes
    for batch in (first, rest):
        if batch:
            # Clipped at 0: a negative cosine retells nothing either, and -1 stays the "not checked" mark.
            out[batch] = np.maximum(linking.restated([candidates[k] for k in batch], known), 0.0)
        checked = [k for k in novel if out[k] != NOT_CHECKED]
        fresh = sum(1 for k in checked if not is_restatement(features[k], float(out[k]), params))
        if fresh >= enough:
            break
    return tuple(round(float(x), 4) for x in out)


def _fresh(
    features: Sequence[SentenceFeatures], scores: Sequence[float], restated: Sequence[float], params: Params
) -> int:
    """Sentences that read as new and retell no known sentence."""
    return sum(
        1
        for f, score, known in zip(features, scores, restated, strict=True)
        if score >= params.novel_sentence and known >= 0 and not is_restatement(f, known, params)
    )


def quote_rank(f: SentenceFeatures, score: float, restated: float) -> float:
    """The order in which new sentences are quoted: facts first. On real articles every new sentence
    brings new words, so the plain score mostly rewards length; a reader wants the sentences with new
    names, figures and dates, with words that are telling in English at large, and unlike anything
    known. Weights chosen on the tune fold of the real-world set."""
    telling = sum(1 for w in f.new_term_texts if is_telling(w))
    return (
        0.2 * score
        + 0.2 * min(f.new_names, 2) / 2
        + 0.2 * min(f.new_numbers + f.new_times, 2) / 2
        + 0.2 * min(telling, 3) / 3
        + 0.2 * (1.0 - max(0.0, restated - 0.3) / 0.7)
    )


def is_restatement(f: SentenceFeatures, restated: float, params: Params) -> bool:
    """A sentence that says what a known sentence says, in other words, and adds no name or figure."""
    return restated >= params.restated_sentence and not (f.new_names or f.new_numbers)


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
