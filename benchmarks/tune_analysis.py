"""Choose the analysis parameters on ECB+ train and dev topics (test topics are never used here).

    python benchmarks/tune_analysis.py [--data ../shared/data]

Prints, for each parameter, the candidates with their score on train and dev, and the choice; the
chosen values are the constants in `src/briefing/analysis/`. Report test numbers with `briefing eval`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, normalized_mutual_info_score, roc_auc_score, roc_curve

from briefing.analysis import novelty
from briefing.analysis.novelty import SentenceFeatures
from briefing.analysis.stories import StoryTracker
from briefing.analysis.text import content_terms
from briefing.evaluation import ecbplus
from briefing.evaluation.runner import _ecb_index, ecb_sentence_items

SPLITS = ("train", "dev")


def best_threshold(labels: Sequence[int], scores: Sequence[float]) -> tuple[float, float]:
    """The cut (predict positive at or above) with the best F1."""
    candidates = sorted(set(np.round(scores, 3)))
    return max((float(f1_score(labels, [s >= c for s in scores])), float(c)) for c in candidates)[::-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    root = args.data / "ecbplus"
    started = time.time()
    topics = ecbplus.load(root)
    selected = ecbplus.selected_sentences(root)
    all_docs = [d for t in sorted(topics) for d in topics[t]]
    index, rows = _ecb_index(all_docs)
    print(f"loaded and indexed {len(all_docs)} documents in {time.time() - started:.1f} s")
    chosen = {s: sorted(ecbplus.topics_for(s) & set(topics)) for s in SPLITS}

    print("\n1. document level: blend of specifics into similarity (AUROC, k=3)")
    sims_by: dict[str, list[tuple[np.ndarray, list[int], list[bool]]]] = {s: [] for s in SPLITS}
    from briefing.analysis.index import specific_counts, term_counts

    for split in SPLITS:
        for t in chosen[split]:
            for k in (1, 3):
                ecb = [d for d in topics[t] if not d.plus]
                known = [rows[d.name] for d in ecb[:k]]
                new = [d for d in topics[t] if d not in ecb[:k]]
                texts = [d.text for d in new]
                terms = (index.query("terms", term_counts(texts)) @ index.weighted("terms").T).toarray()[
                    :, known
                ]
                spec = (
                    index.query("specifics", specific_counts(texts)) @ index.weighted("specifics").T
                ).toarray()[:, known]
                sims_by[split].append(
                    (np.stack([terms, spec]), [int(d.plus) for d in new], [k == 3] * len(new))
                )
    for w in (0.0, 0.2, 0.3, 0.4, 0.5, 0.6):
        aucs = {}
        for split in SPLITS:
            labels, scores = [], []
            for stack, y, is3 in sims_by[split]:
                if not is3[0]:
                    continue
                blended = (1 - w) * stack[0] + w * stack[1]
                scores += (1 - blended.max(axis=1)).tolist()
                labels += y
            aucs[split] = round(roc_auc_score(labels, scores), 3)
        print(f"   w={w}: {aucs}")
    w = novelty.SPECIFICS_WEIGHT
    labels, maxsims = [], []
    for split in SPLITS:
        for stack, y, _ in sims_by[split]:
            maxsims += ((1 - w) * stack[0] + w * stack[1]).max(axis=1).tolist()
            labels += y
    cut, f1 = best_threshold(labels, [-s for s in maxsims])
    print(f"   chosen w={w}; new story when similarity < {-cut:.3f} (F1 {f1:.3f} on train+dev, k=1 and 3)")

    print("\n2. sentence level (AUROC, k=3): single signals and blends")
    feats: dict[str, tuple[list[SentenceFeatures], list[int]]] = {}
    for split in SPLITS:
        items = [i for t in chosen[split] for i in ecb_sentence_items(topics[t], selected, 3, all_docs)]
        feats[split] = ([f for f, _ in items], [y for _, y in items])
    blends: dict[str, Callable[[SentenceFeatures], float]] = {
        "unmatched": lambda f: f.unmatched,
        "new terms": lambda f: f.new_terms,
        "new term share": lambda f: f.new_term_share,
        "new bigram share": lambda f: f.new_bigram_share,
        "new names": lambda f: f.new_names,
        "new figures": lambda f: f.new_numbers + f.new_times,
        "chosen blend": novelty.sentence_score,
    }
    for name, fn in blends.items():
        print(
            f"   {name:18}",
            {s: round(roc_auc_score(feats[s][1], [fn(f) for f in feats[s][0]]), 3) for s in SPLITS},
        )
    scores = [novelty.sentence_score(f) for s in SPLITS for f in feats[s][0]]
    labels = [y for s in SPLITS for y in feats[s][1]]
    fpr, tpr, cuts = roc_curve(labels, scores)
    best = int(np.argmax(tpr - fpr))
    print(
        f"   new information from score {cuts[best]:.3f} (Youden: TPR {tpr[best]:.2f}, FPR {fpr[best]:.2f})"
    )

    print("\n3. stories: single-pass threshold for articles (mean NMI over topics)")
    idf = index.idf("terms")
    for threshold in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4):
        result = {}
        for split in SPLITS:
            nmis = []
            for t in chosen[split]:
                tracker = StoryTracker(threshold, idf=lambda term: float(idf[novelty.column(term)]))
                found = [tracker.add(content_terms(d.text))[0].id for d in topics[t]]
                nmis.append(normalized_mutual_info_score([d.plus for d in topics[t]], found))
            result[split] = round(float(np.mean(nmis)), 3)
        print(f"   threshold {threshold}: {result}")


if __name__ == "__main__":
    sys.exit(main())
