"""How novel a document, a sentence or a span is, compared with the baseline. Pure and deterministic.

Documents: cosine similarity of content terms (stems and bigrams) blended with the similarity of their
specifics (names and figures), which separate two events of the same kind; novelty is one minus the
similarity to the closest known document, so length is not rewarded.

Sentences: read against the closest known documents (the context). A sentence carries new information
when it brings terms, names or figures the context does not have and matches no known sentence well;
these signals are blended with weights chosen on the ECB+ train and dev topics
(`benchmarks/tune_analysis.py`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from briefing.analysis.index import FEATURES, BaselineIndex, Queries, column, term_counts
from briefing.analysis.names import NameBook, defined_acronyms, extract_names
from briefing.analysis.text import Sentence, content_terms, fold, is_number, sentences, stem, words
from briefing.models import BaselineDoc

_TIME_WORDS = frozenset(
    stem(w)
    for w in """monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight
    morning afternoon evening night january february march april may june july august september october
    november december week weekend month year hour minute""".split()
)
SPECIFICS_WEIGHT = 0.4  # blend of specifics into document similarity (ECB+ train/dev)

# Sentence score: a plain blend of four signals. Weights chosen on the ECB+ train and dev topics among
# simple blends (benchmarks/tune_analysis.py); a fitted logistic model did no better on dev and would
# be harder to explain to a reader.
UNMATCHED, NEW_TERMS, NEW_NAMES, NEW_FIGURES = 0.4, 0.4, 0.1, 0.1


def similarities(index: BaselineIndex, texts: Sequence[str] | Queries) -> np.ndarray:
    """Similarity of each text to each baseline document (rows: texts, columns: baseline order)."""
    return index.similarities(texts, SPECIFICS_WEIGHT)


def pairwise_similarities(queries: Queries) -> np.ndarray:
    """Similarity between the texts themselves, weighted like the baseline (for duplicates)."""
    if not len(queries):
        return np.zeros((0, 0), dtype=np.float32)
    terms, specifics = queries.terms, queries.specifics
    blended = (1 - SPECIFICS_WEIGHT) * (terms @ terms.T).toarray() + SPECIFICS_WEIGHT * (
        specifics @ specifics.T
    ).toarray()
    return np.asarray(blended, dtype=np.float32)


@dataclass(frozen=True)
class Context:
    """What the closest known documents say: their terms, figures and sentences."""

    docs: tuple[BaselineDoc, ...]
    terms: frozenset[str]
    bigrams: frozenset[str]
    numbers: frozenset[str]
    sentences: tuple[tuple[BaselineDoc, Sentence], ...]
    vectors: sp.csr_matrix
    term_counts: dict[str, int]  # in how many context sentences each term occurs


def context(index: BaselineIndex, rows: Sequence[int]) -> Context:
    docs = tuple(index.docs[r] for r in rows)
    terms: set[str] = set()
    bigrams: set[str] = set()
    numbers: set[str] = set()
    spans: list[tuple[BaselineDoc, Sentence]] = []
    counts: dict[str, int] = {}
    for doc in docs:
        for s in sentences(doc.text):
            stems = content_terms(s.text)
            terms.update(stems)
            for t in set(stems):
                counts[t] = counts.get(t, 0) + 1
            bigrams.update(f"{a} {b}" for a, b in itertools.pairwise(stems))
            numbers.update(w for w in words(s.text) if is_number(w))
            spans.append((doc, s))
    vectors = index.query("terms", term_counts([s.text for _, s in spans])) if spans else None
    return Context(
        docs,
        frozenset(terms),
        frozenset(bigrams),
        frozenset(numbers),
        tuple(spans),
        vectors if vectors is not None else sp.csr_matrix((0, FEATURES), dtype=np.float32),
        counts,
    )


@dataclass(frozen=True)
class SentenceFeatures:
    new_terms: int
    new_term_share: float
    new_bigram_share: float
    new_names: int
    new_numbers: int
    unmatched: float  # 1 - similarity to the closest known sentence
    new_idf_share: float
    length: float  # log(1 + content terms)
    position: float  # 0 at the start of the article, 1 at the end
    rare_terms: int  # terms the context mentions once at most
    new_times: int  # days, months and other time words the context does not have
    closest: int  # index into Context.sentences, or -1
    new_name_texts: tuple[str, ...] = ()
    new_number_texts: tuple[str, ...] = ()
    new_term_texts: tuple[str, ...] = ()

    def vector(self) -> list[float]:
        return [
            self.new_terms,
            self.new_term_share,
            self.new_bigram_share,
            self.new_names,
            self.new_numbers,
            self.unmatched,
            self.new_idf_share,
            self.length,
            self.position,
            self.rare_terms,
            self.new_times,
        ]


def sentence_features(
    index: BaselineIndex, text: str, spans: Sequence[Sentence], ctx: Context, book: NameBook
) -> list[SentenceFeatures]:
    """Novelty signals for each sentence of a text against the context documents."""
    if not spans:
        return []
    idf = index.idf("terms")
    defined = defined_acronyms(text)  # an abbreviation spelled out earlier in the article is a name
    vectors = index.query("terms", term_counts([s.text for s in spans]))
    best = np.full(len(spans), -1)
    best_sim = np.zeros(len(spans), dtype=np.float32)
    if ctx.vectors.shape[0]:
        sims = (vectors @ ctx.vectors.T).toarray()
        best = sims.argmax(axis=1)
        best_sim = sims.max(axis=1)
    out = []
    for i, s in enumerate(spans):
        stems = content_terms(s.text)
        new = [t for t in stems if t not in ctx.terms]
        pairs = [f"{a} {b}" for a, b in itertools.pairwise(stems)]
        weights = [float(idf[column(t)]) for t in stems]
        new_weight = sum(w for t, w in zip(stems, weights, strict=True) if t not in ctx.terms)
        names = extract_names(s.text, [Sentence(s.text, 0, len(s.text), 0, 0)], defined=defined)
        new_names = [n.text for n in names if not book.knows(n.key)]
        numbers = [w for w in words(s.text) if is_number(w) and w not in ctx.numbers and len(w) > 1]
        out.append(
            SentenceFeatures(
                new_terms=len(new),
                new_term_share=len(new) / len(stems) if stems else 0.0,
                new_bigram_share=sum(p not in ctx.bigrams for p in pairs) / len(pairs) if pairs else 0.0,
                new_names=len(new_names),
                new_numbers=len(numbers),
                unmatched=min(1.0, max(0.0, 1.0 - float(best_sim[i]))),
                new_idf_share=new_weight / sum(weights) if weights else 0.0,
                length=math.log1p(len(stems)),
                position=i / max(1, len(spans) - 1),
                rare_terms=sum(1 for t in stems if ctx.term_counts.get(t, 0) <= 1),
                new_times=sum(1 for t in new if t in _TIME_WORDS),
                closest=int(best[i]) if best_sim[i] > 0 else -1,
                new_name_texts=tuple(dict.fromkeys(new_names)),
                new_number_texts=tuple(dict.fromkeys(numbers)),
                new_term_texts=tuple(
                    w
                    for w in _surface(s.text, set(new), idf)
                    if not is_number(w) and not any(w in fold(n) for n in new_names)
                )[:5],
            )
        )
    return out


def sentence_score(f: SentenceFeatures) -> float:
    """Score in [0, 1] that a sentence carries information its context does not have."""
    return (
        UNMATCHED * f.unmatched
        + NEW_TERMS * min(f.new_terms, 6) / 6
        + NEW_NAMES * min(f.new_names, 2) / 2
        + NEW_FIGURES * min(f.new_numbers + f.new_times, 2) / 2
    )


def _surface(text: str, stems: set[str], idf: np.ndarray) -> tuple[str, ...]:
    """The words of `text` whose stems are in `stems`, as written, rarest first."""
    found: dict[str, float] = {}
    for w in words(text):
        s = stem(w)
        if s in stems and w not in found:
            found[w] = float(idf[column(s)])
    return tuple(sorted(found, key=lambda w: (-found[w], w)))


def span_novelty(text: str, ctx: Context, book: NameBook) -> float:
    """Novelty of a short span (a mention): 1 if none of its content terms, names or figures is known."""
    stems = content_terms(text)
    names = extract_names(text, [Sentence(text, 0, len(text), 0, 0)])
    parts = [t not in ctx.terms for t in stems] + [not book.knows(n.key) for n in names]
    parts += [w not in ctx.numbers for w in words(text) if is_number(w)]
    return sum(parts) / len(parts) if parts else 0.0
