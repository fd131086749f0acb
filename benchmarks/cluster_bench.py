"""Throughput of new articles: one machine on SQLite, the same on PostgreSQL, and a PostgreSQL cluster
with 1 and 2 worker processes, on the same sample site (#16).

    python benchmarks/cluster_bench.py [--feeds 200] [--items 2] [--concurrency 8] [--repeat 1]

N feeds x M items (half in each publisher's shape, pages of 50 to 300 KB, `briefing.samples.load`,
SAMPLE DATA) are served from loopback; a throwaway PostgreSQL server runs on loopback
(`tests/pgserver.py`; fsync stays on here, unlike the tests' server, so commits cost what they cost).
Each row starts from an empty store:

- `fetch` on SQLite and on PostgreSQL: `briefing fetch`, timed from start to exit;
- a cluster of W workers: `briefing enqueue` (one job per feed), then W `briefing worker --concurrency C`
  processes, timed from the workers' start until the queue is empty (worker start-up included);
  each worker has its own extraction pool (settings.workers: one process per CPU).

Every row must end with every article stored and extracted; the articles per second are new articles
over the wall time.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from briefing.config import load_config
from briefing.models import Entry, ExtractionOutcome, FeedSource, Retrieved
from briefing.queue import Queue
from briefing.samples.load import build_site
from briefing.samples.server import LoopbackServer
from briefing.store import NewEntry, Store
from pgserver import PostgresServer


def write_config(folder: Path, feed_urls: list[str], items: int, database: str = "") -> Path:
    settings = {"data_dir": "data", "allow_private_networks": True, "max_entries_per_feed": items}
    if database:
        settings["database"] = database
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "feeds.yaml"
    feeds = [{"name": f"feed-{i}", "url": u} for i, u in enumerate(feed_urls)]
    config.write_text(yaml.safe_dump({"settings": settings, "feeds": feeds}))
    return config


def briefing(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "briefing", "--config", str(config), *args]


def stored(location: Path | str) -> tuple[int, int]:
    with Store.open(location) as store:
        counts = store.counts()
    return sum(counts.values()), counts.get("ok", 0)


def one_machine(config: Path, location: Path | str) -> tuple[float, int]:
    started = time.perf_counter()
    subprocess.run(briefing(config, "fetch", "--json"), check=True, capture_output=True)
    wall = time.perf_counter() - started
    total, ok = stored(location)
    assert total == ok, f"{total - ok} articles not extracted"
    return wall, total


def cluster(config: Path, database: str, workers: int, concurrency: int) -> tuple[float, int]:
    subprocess.run(briefing(config, "enqueue"), check=True, capture_output=True)
    queue = Queue(load_config(config))
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            briefing(config, "worker", "--concurrency", str(concurrency), "--queue", "fetch"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        while not queue.idle():
            time.sleep(0.1)
        wall = time.perf_counter() - started
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(60)
    total, ok = stored(database)
    assert total == ok, f"{total - ok} articles not extracted"
    return wall, total


def write_cost(location: Path | str, articles: int = 300) -> float:
    """Milliseconds of one article's store writes as a page job makes them (its extraction saved with
    the compressed page, one transaction), the feed's entries stored beforehand. On PostgreSQL these are
    serialised by the store's write lock, so 1000 / this is the cluster's ceiling in articles/s."""
    feed = FeedSource("bench", "https://bench.example/feed")
    now = datetime(2026, 11, 20, tzinfo=UTC)
    with Store.open(location) as store:
        store.sync_feeds([feed], now)
        entries = [
            NewEntry(
                Entry(
                    f"link:{i}",
                    None,
                    f"https://bench.example/{i}",
                    f"https://bench.example/{i}",
                    f"title {i}",
                    (),
                    (),
                    now,
                    "feed text " * 40,
                    f"h{i}",
                ),
                "pending",
            )
            for i in range(articles)
        ]
        ids = store.save_entries("bench", entries, Retrieved(feed.url, feed.url, 200), now).new_ids
        text = "A sentence of the article's text, as extraction leaves it. " * 120
        body = zlib.compress(os.urandom(20_000) + text.encode() * 10, 6)
        page = Retrieved(
            "https://bench.example/x", "https://bench.example/x", 200, b"x" * 170_000, "text/html"
        )
        started = time.perf_counter()
        for article_id in ids:
            outcome = ExtractionOutcome("ok", "page", text, "bench")
            store.save_extraction(article_id, outcome, now, page=page, compressed_page=body)
        return (time.perf_counter() - started) / len(ids) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    os.environ.pop("BRIEFING_DATABASE", None)
    rows: dict[str, list[tuple[float, int]]] = {}
    pg = PostgresServer(durable=True)
    try:
        with LoopbackServer() as server:
            site = build_site(server, args.feeds, args.items)
            for _ in range(args.repeat):
                folder = Path(tempfile.mkdtemp(prefix="briefing-cluster-"))
                sqlite_config = write_config(folder / "sqlite", site.feed_urls, args.items)
                rows.setdefault("SQLite, briefing fetch", []).append(
                    one_machine(sqlite_config, folder / "sqlite" / "data" / "briefing.sqlite3")
                )
                database = pg.new_database()
                pg_config = write_config(folder / "pg", site.feed_urls, args.items, database)
                rows.setdefault("PostgreSQL, briefing fetch", []).append(one_machine(pg_config, database))
                for workers in (1, 2):
                    database = pg.new_database()
                    config = write_config(folder / f"w{workers}", site.feed_urls, args.items, database)
                    label = f"PostgreSQL, {workers} worker{'s' if workers > 1 else ''}"
                    rows.setdefault(label, []).append(cluster(config, database, workers, args.concurrency))
        folder = Path(tempfile.mkdtemp(prefix="briefing-writes-"))
        writes = {
            "SQLite": write_cost(folder / "w.sqlite3"),
            "PostgreSQL": write_cost(pg.new_database()),
        }
    finally:
        pg.stop()
    print(
        f"{args.feeds} feeds x {args.items} items, {os.cpu_count()} CPUs, worker --concurrency "
        f"{args.concurrency}, median of {args.repeat}"
    )
    print("| setup | articles | wall | articles/s | vs SQLite |")
    print("|---|---|---|---|---|")
    base = statistics.median(w for w, _ in rows["SQLite, briefing fetch"])
    for label, runs in rows.items():
        wall = statistics.median(w for w, _ in runs)
        articles = runs[0][1]
        print(f"| {label} | {articles} | {wall:.2f} s | {articles / wall:.1f} | x{base / wall:.2f} |")
    for name, ms in writes.items():
        print(
            f"store writes of one extracted article, {name}: {ms:.2f} ms (ceiling {1000 / ms:.0f} articles/s)"
        )


if __name__ == "__main__":
    main()
