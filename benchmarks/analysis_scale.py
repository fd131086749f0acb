"""How analysis time and memory grow with the baseline: 200 new articles against 1,000 to 50,000 documents.

    python benchmarks/analysis_scale.py [--sizes 1000,10000,50000] [--new 200]

Each size runs in its own process (so peak memory is its own): synthetic documents (~600 words from a
Zipf-distributed vocabulary of 30,000 words, with names and figures; SAMPLE DATA) are indexed, the index
is saved and loaded back (as a run would find it), then the 200 new articles are analysed: document
level (similarity to every known document) and sentence level (new-information quotes, names, summary).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from measure import child_json

SYLLABLES = (
    "ka ra ta na ma la sa ba da ga ha ya za ko ro to no mo lo so bo do go ho yo zo ki ri ti ni".split()
)


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def document(
    rng: random.Random, vocab: list[str], cum_weights: list[float], names: list[str], words: int
) -> str:
    paragraphs = []
    remaining = words
    while remaining > 0:
        sentences = []
        for _ in range(rng.randint(3, 5)):
            n = rng.randint(12, 26)
            tokens = rng.choices(vocab, cum_weights=cum_weights, k=n)
            tokens[rng.randrange(n)] = rng.choice(names)
            if rng.random() < 0.3:
                tokens[rng.randrange(n)] = str(rng.randint(2, 2030))
            sentences.append(" ".join(tokens).capitalize() + ".")
            remaining -= n
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def baseline(size: int) -> list:  # type: ignore[type-arg]
    from briefing.models import BaselineDoc

    rng = random.Random(size)
    vocab = vocabulary(rng, 30_000)
    cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))  # Zipf, cumulated once
    names = [f"{rng.choice(vocab).capitalize()} {rng.choice(vocab).capitalize()}" for _ in range(5_000)]
    docs = [
        BaselineDoc(f"d{i}", f"Doc {i}", (), None, document(rng, vocab, cum_weights, names, 600), "bench")
        for i in range(size)
    ]
    new = [document(rng, vocab, cum_weights, names, 500) for _ in range(200)]
    return [docs, new]


def child(phase: str, size: int, new: int, folder: Path) -> None:
    """`build`: index a fresh baseline and save it (done once). `analyse`: load it as a run does and
    analyse the new articles. Separate processes, so each peak is its own."""
    from briefing.analysis.findings import analyse
    from briefing.analysis.index import BaselineIndex, specific_counts, term_counts
    from briefing.analysis.novelty import SPECIFICS_WEIGHT, similarities
    from briefing.analysis.params import Params
    from briefing.models import Article

    docs, texts = baseline(size)
    result: dict[str, object] = {"size": size}
    if phase == "build":
        t0 = time.perf_counter()
        BaselineIndex.load_or_build(docs, folder)
        result["build_s"] = time.perf_counter() - t0
    else:
        t0 = time.perf_counter()
        index = BaselineIndex.load_or_build(docs, folder)
        index.release_counts()  # as `briefing analyze` does
        result["load_s"] = time.perf_counter() - t0
        now = datetime(2026, 11, 20, tzinfo=UTC)
        articles = [
            Article(
                i + 1,
                "f",
                "P",
                f"https://x.example/{i}",
                f"https://x.example/{i}",
                f"New {i}",
                (),
                now,
                "feed",
                now,
                text,
                "page",
                "ok",
                "",
                len(text.split()),
            )
            for i, text in enumerate(texts[:new])
        ]
        t0 = time.perf_counter()
        term_counts([a.text for a in articles]), specific_counts([a.text for a in articles])
        result["vectorise_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        near = index.nearest([a.text for a in articles], 5, SPECIFICS_WEIGHT)
        result["document_level_s"] = time.perf_counter() - t0 + result["load_s"]  # opening counts too
        t0 = time.perf_counter()
        # The lexical analysis at scale; the model's cost is measured by benchmarks/semantic_speed.py
        # (embedding a 50,000-document baseline once would take hours on 2 cores).
        analyse(index, articles, params=Params(semantic=False))
        result["analysis_s"] = time.perf_counter() - t0 + result["load_s"]
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # Exact scoring of every document, to check what the postings found (not part of a run).
        t0 = time.perf_counter()
        every = similarities(index, [a.text for a in articles])
        result["exact_s"] = time.perf_counter() - t0
        best = every.max(axis=1)
        result["agree"] = sum(
            1 for i, found in enumerate(near) if (found[0][1] if found else 0.0) >= best[i] - 1e-5
        ) / len(near)
        print(json.dumps(result))
        return
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(phase: str, size: int, new: int, folder: Path) -> dict[str, float]:
    return child_json(
        __file__, ["--child", phase, "--size", str(size), "--new", str(new), "--folder", str(folder)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--child", choices=["build", "analyse"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size, args.new, args.folder)
        return
    print(
        f"analysis of {args.new} new articles (~500 words) against synthetic baselines (~600 words each); "
        "each phase in its own process"
    )
    print(
        "| baseline docs | index build, once (peak memory) | open | document level (of which vectorising "
        "the new articles) "
        "| full analysis | analysis peak memory | exact scoring (check) | same closest document |"
    )
    print("|---|---|---|---|---|---|---|---|")
    previous = None
    for size in (int(s) for s in args.sizes.split(",")):
        folder = Path(tempfile.mkdtemp(prefix="briefing-index-"))
        b = run_child("build", size, args.new, folder)
        r = run_child("analyse", size, args.new, folder)
        growth = (
            ""
            if previous is None
            else (
                f" (x{r['analysis_s'] / previous['analysis_s']:.1f} for "
                f"x{size / previous['size']:.0f} documents)"
            )
        )
        print(
            f"| {size:,} | {b['build_s']:.1f} s ({b['peak_mib']:.0f} MiB) | {r['load_s']:.2f} s | "
            f"{r['document_level_s']:.2f} s ({r['vectorise_s']:.2f} s) | {r['analysis_s']:.1f} s{growth} | "
            f"{r['peak_mib']:.0f} MiB | "
            f"{r['exact_s']:.2f} s | {r['agree']:.0%} |"
        )
        previous = r


if __name__ == "__main__":
    main()
