"""Extractive summaries and key terms. Every summary sentence is a quote of the article (with offsets)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence

import numpy as np

from briefing.analysis.index import BaselineIndex, column, term_counts
from briefing.analysis.text import STOPWORDS, Sentence, stem, words


def summary(index: BaselineIndex, spans: Sequence[Sentence]) -> list[Sentence]:
    """3 to 5 sentences that best represent the article, in article order.

    Each sentence is scored by its similarity to the whole article (idf-weighted terms) with a gentle
    preference for early sentences, where news writing puts the substance; very short and very long
    sentences are skipped.
    """
    candidates = [s for s in spans if 8 <= len(s.text.split()) <= 70]
    if not candidates:
        return list(spans[:3])
    n = 3 if len(candidates) < 12 else 4 if len(candidates) < 25 else 5
    vectors = index.query("terms", term_counts([s.text for s in candidates]))
    centroid = np.asarray(vectors.sum(axis=0)).ravel()
    norm = float(np.linalg.norm(centroid)) or 1.0
    relevance = np.asarray(vectors @ (centroid / norm)).ravel()
    position = np.array([1.0 / (1.0 + 0.08 * i) for i in range(len(candidates))])
    scores = 0.7 * relevance + 0.3 * position
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))[:n]
    return [candidates[i] for i in sorted(order)]


def key_terms(index: BaselineIndex, text: str, limit: int = 8) -> list[str]:
    """The article's most distinctive words and word pairs, as written in it (idf-weighted counts)."""
    tokens = [w for w in words(text) if w not in STOPWORDS and len(w) > 2 and not w[0].isdigit()]
    surface: dict[str, Counter[str]] = {}
    stems = []
    for w in tokens:
        s = stem(w)
        stems.append(s)
        surface.setdefault(s, Counter())[w] += 1
    counts: Counter[str] = Counter(stems)
    counts.update(f"{a} {b}" for a, b in itertools.pairwise(stems) if a != b)
    idf = index.idf("terms")
    weighted = {
        t: (1 + np.log(c)) * float(idf[column(t)]) * (1.3 if " " in t else 1.0)
        for t, c in counts.items()
        if c >= 2 or " " not in t
    }
    chosen: list[str] = []
    for term, _ in sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0])):
        shown = " ".join(surface[p].most_common(1)[0][0] for p in term.split())
        if any(shown in c or c in shown for c in chosen):
            continue
        chosen.append(shown)
        if len(chosen) == limit:
            break
    return chosen
