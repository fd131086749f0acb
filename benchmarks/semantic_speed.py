"""Speed and memory of the analysis with the sentence-embedding model, on this machine.

    python benchmarks/semantic_speed.py [--new 50] [--baseline seed]
    python benchmarks/semantic_speed.py --new 500 --baseline 10000

Two processes per measurement, so each peak memory is its own:
1. `build`: the baseline's vectors are computed once and stored (what the first run of a data folder does;
   later runs only add the new articles' vectors);
2. `analyse`: a fresh process loads the model and the stored vectors, then analyses NEW articles it has
   never seen, as a weekly run does. Timed from after the imports, model load included.

Baseline `seed` is the bundled seed corpus; a number N is N synthetic English documents (SAMPLE DATA:
sentences of the sample site and, when ../shared/data is present, of the real-world set, shuffled,
with names and figures changed, so no two texts repeat). New articles are the real-world set's articles
when present, then synthetic ones. Prints wall and CPU time (CPU/wall = cores busy) and peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from measure import child_json

REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "data" / "realworld-dev" / "articles.json"
NAMES = "Aral Barsky Chkheidze Dovlatov Eminov Farzaliyev Gurbanov Hakobyan Ismoilov Jumabekov".split()


def sentences_pool() -> list[str]:
    from briefing.analysis.text import sentences
    from briefing.samples.site import load_articles

    texts = ["\n\n".join(a.paragraphs) for feed in ("ac", "caci") for a in load_articles(feed)]
    if REALWORLD.is_file():
        texts += ["\n\n".join(r["paragraphs"]) for r in json.loads(REALWORLD.read_text("utf-8"))]
    return [s.text for t in texts for s in sentences(t) if len(s.text.split()) >= 8]


def synthetic(rng: random.Random, pool: list[str], n: int, tag: str) -> list[str]:
    """n distinct documents of 4-7 paragraphs of 3-4 sentences, names and figures varied."""
    out = []
    for i in range(n):
        paragraphs = []
        for _ in range(rng.randint(4, 7)):
            picked = rng.sample(pool, rng.randint(3, 4))
            name = f"{rng.choice(NAMES)}-{tag}{i}"
            paragraphs.append(" ".join(picked) + f" {name} put the figure at {rng.randint(2, 999)} million.")
        out.append("\n\n".join(paragraphs))
    return out


def baseline_docs(kind: str) -> list:  # type: ignore[type-arg]
    from briefing.config import parse_config
    from briefing.corpus import load_corpus, packaged_corpus
    from briefing.models import BaselineDoc

    if kind == "seed":
        config = parse_config(f"corpus:\n  paths: [{packaged_corpus()}]\nfeeds: []\n", Path("bench.yaml"))
        return load_corpus(config.corpus)
    texts = synthetic(random.Random(1), sentences_pool(), int(kind), "b")
    return [BaselineDoc(f"d{i}", f"Doc {i}", (), None, t, "bench") for i, t in enumerate(texts)]


def new_articles(n: int) -> list:  # type: ignore[type-arg]
    from briefing.models import Article

    texts: list[tuple[str, str]] = []
    if REALWORLD.is_file():
        texts = [(r["title"], "\n\n".join(r["paragraphs"])) for r in json.loads(REALWORLD.read_text("utf-8"))]
    texts = texts[:n]
    texts += [
        (f"New {i}", t)
        for i, t in enumerate(synthetic(random.Random(2), sentences_pool(), n - len(texts), "n"))
    ]
    now = datetime(2026, 11, 20, tzinfo=UTC)
    return [
        Article(i + 1, "f", "P", f"https://x.example/{i}", f"https://x.example/{i}", title, (), now,
                "feed", now, text, "page", "ok", "", len(text.split()))
        for i, (title, text) in enumerate(texts)
    ]  # fmt: skip


def child(phase: str, kind: str, new: int, folder: Path) -> None:
    from briefing.analysis import semantic
    from briefing.analysis.findings import analyse
    from briefing.analysis.index import BaselineIndex
    from briefing.analysis.linking import VectorCache, link

    docs = baseline_docs(kind)
    articles = new_articles(new) if phase == "analyse" else []
    t0, c0 = time.perf_counter(), time.process_time()
    embedder = semantic.load()
    assert embedder is not None, semantic.status().detail
    result: dict[str, object] = {"docs": len(docs), "model_load_s": time.perf_counter() - t0}
    index = BaselineIndex.load_or_build(docs, folder / "index")
    cache = VectorCache(folder / "index")
    if phase == "build":
        from briefing.analysis.text import sentences

        link(embedder, docs, [], cache)
        # The known sentences a restatement is checked against: a first run stores them as it goes.
        cache.vectors([s.text for d in docs for s in sentences(d.text) if len(s.text.split()) >= 5], embedder)
        cache.save()
    else:
        analysis = analyse(index, articles, vectors=cache)
        assert analysis.method == "semantic"
        result["articles"] = len(articles)
    result["wall_s"] = time.perf_counter() - t0
    result["cpu_s"] = time.process_time() - c0
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(phase: str, kind: str, new: int, folder: Path) -> dict[str, float]:
    return child_json(
        __file__, ["--child", phase, "--baseline", kind, "--new", str(new), "--folder", str(folder)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--new", type=int, default=50)
    parser.add_argument("--baseline", default="seed", help="'seed' or a number of synthetic documents")
    parser.add_argument("--child", choices=["build", "analyse"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.baseline, args.new, args.folder)
        return
    folder = Path(tempfile.mkdtemp(prefix="briefing-semantic-"))
    built = run_child("build", args.baseline, args.new, folder)
    ran = run_child("analyse", args.baseline, args.new, folder)
    print(f"baseline {args.baseline} ({built['docs']:,} documents), {ran['articles']} new articles")
    print("| phase | wall | CPU | cores busy | peak memory |")
    print("|---|---|---|---|---|")
    for name, r in (("baseline vectors, once", built), ("analysis of the new articles", ran)):
        print(
            f"| {name} | {r['wall_s']:.1f} s (model load {r['model_load_s']:.2f} s) | {r['cpu_s']:.1f} s | "
            f"{r['cpu_s'] / r['wall_s']:.2f} | {r['peak_mib']:.0f} MiB |"
        )


if __name__ == "__main__":
    main()
