"""Full-text search over 50,000 stored articles: how long a query takes (the goal: under 100 ms).

    python benchmarks/search_bench.py [--articles 50000] [--repeat 20]

Builds a store of synthetic articles (SAMPLE DATA: ~600 words each from a Zipf-distributed vocabulary of
30,000 words with 5,000 two-word names, as `analysis_scale.py` makes them) through the store's own
`save_entries`, so the search index is filled by the same triggers as in a real run; then times each
query as `briefing search` runs it (parse, expand names, FTS5 with bm25 ranking and snippets, top 20):
median and slowest of `--repeat` runs, and what share of the 100 ms goal that is. Also times one whole
`briefing search` command, start-up included.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from analysis_scale import document, vocabulary

GOAL_MS = 100.0


def build(folder: Path, count: int) -> tuple[Path, list[str]]:
    from briefing.models import Entry, FeedSource, Retrieved
    from briefing.store import NewEntry, Store

    rng = random.Random(count)
    vocab = vocabulary(rng, 30_000)
    cum_weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(vocab))))
    names = [f"{rng.choice(vocab).capitalize()} {rng.choice(vocab).capitalize()}" for _ in range(5_000)]
    db = folder / "briefing.sqlite3"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Store.open(db) as store:
        store.sync_feeds([FeedSource("bench", "https://bench.example/feed")], start)
        got = Retrieved("https://bench.example/feed", "https://bench.example/feed", 200)
        for batch in range(0, count, 1000):
            entries = []
            for i in range(batch, min(count, batch + 1000)):
                text = document(rng, vocab, cum_weights, names, 600)
                url = f"https://bench.example/a/{i}"
                digest = hashlib.sha256(text.encode()).hexdigest()
                published = start + timedelta(minutes=10 * i)
                title = " ".join(rng.choices(vocab, cum_weights=cum_weights, k=6)).capitalize()
                entry = Entry(url, url, url, url, title, (), (), published, text, digest)
                entries.append(NewEntry(entry, "feed"))  # text kept as the feed gave it
            store.save_entries("bench", entries, got, start)
    return db, names


def queries(names: list[str]) -> dict[str, str]:
    first, second = names[0].split()
    return {
        "a rare name": names[0],
        "a common word": "Karako",
        "a phrase": f'"{first} {second}"',
        "two names, OR, an exclusion": f"{names[1]} OR {names[2]} -{names[3].split()[0]}",
        "a prefix": f"{first[:4].lower()}*",
        "a name misspelled (index scan)": first[:-1] + ("i" if first[-1] != "i" else "a"),
    }


def time_queries(db: Path, names: list[str], repeat: int) -> list[tuple[str, str, int, float, float]]:
    from briefing.query import expression, parse
    from briefing.store import Store

    rows = []
    with Store.open(db) as store:
        for label, text in queries(names).items():
            times = []
            hits = 0
            for _ in range(repeat):
                t0 = time.perf_counter()
                match = expression(parse(text), store.indexed_terms)
                hits = len(store.search_articles(match, limit=20))
                times.append((time.perf_counter() - t0) * 1000)
            rows.append((label, text, hits, statistics.median(times), max(times)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        db, names = build(folder, args.articles)
        built = time.perf_counter() - t0
        size = db.stat().st_size / 1e6
        rate = args.articles / built
        print(f"store: {args.articles:,} articles written in {built:.1f} s ({rate:,.0f}/s, the index kept")
        print(f"       in step by the triggers), {size:,.0f} MB on disk")
        print()
        print("| query | as typed | hits | median ms | slowest ms | median / 100 ms goal |")
        print("|---|---|---|---|---|---|")
        for label, text, hits, median, slowest in time_queries(db, names, args.repeat):
            print(f"| {label} | `{text}` | {hits} | {median:.1f} | {slowest:.1f} | {median / GOAL_MS:.2f} |")
        (folder / "feeds.yaml").write_text(
            f"settings:\n  data_dir: {folder}\ncorpus:\n  paths: []\nfeeds:\n  - name: bench\n"
            "    url: https://bench.example/feed\n",
            encoding="utf-8",
        )
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "briefing", "--config", str(folder / "feeds.yaml"), "search", names[0]],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - t0
        print()
        print(f"`briefing search` as a command, start-up included: {wall:.2f} s (exit {done.returncode})")


if __name__ == "__main__":
    main()
