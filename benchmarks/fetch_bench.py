"""Wall time, CPU time and peak memory of `briefing fetch` on N feeds x M items served from loopback.

    python benchmarks/fetch_bench.py --feeds 20 --items 25 --repeat 3
    python benchmarks/fetch_bench.py --feeds 200,1000,5000 --items 2 --repeat 1     # scale

Runs the real CLI in a subprocess against a fresh data folder: a first run (every feed new, every
page fetched and extracted) and a second run (every feed answers 304). Pages weigh 50 to 300 KB
(`briefing.samples.load`). Peak memory is the sum of the resident sizes of the CLI process and its
workers, sampled every 20 ms from /proc (`measure.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

from briefing.samples.load import build_site
from briefing.samples.server import LoopbackServer
from measure import measure


def fetch(config: Path) -> dict[str, float]:
    m = measure([sys.executable, "-m", "briefing", "fetch", "--json", "--config", str(config)])
    report = json.loads(m.stdout)
    return {
        "wall": m.wall,
        "cpu": m.cpu,
        "peak_total": m.peak,
        "peak_main": m.peak_main,
        "new": report["new"],
        "pages_ok": sum(1 for a in report["articles"] if a["status"] == "ok"),
        "not_modified": sum(f["status"] == "not_modified" for f in report["feeds"]),
    }


def write_config(folder: Path, feed_urls: list[str], items: int) -> Path:
    config = folder / "feeds.yaml"
    settings = {"data_dir": "data", "allow_private_networks": True, "max_entries_per_feed": items}
    feeds = [{"name": f"feed-{i}", "url": u} for i, u in enumerate(feed_urls)]
    config.write_text(yaml.safe_dump({"settings": settings, "feeds": feeds}))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--feeds", default="20", help="one number, or several (200,1000,5000) for a scale table"
    )
    parser.add_argument("--items", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(x) for x in args.feeds.split(",")]
    rows = []
    for feeds in sizes:
        firsts, seconds = [], []
        with LoopbackServer() as server:
            site = build_site(server, feeds, args.items)
            for _ in range(args.repeat):
                config = write_config(
                    Path(tempfile.mkdtemp(prefix="briefing-bench-")), site.feed_urls, args.items
                )
                firsts.append(fetch(config))
                seconds.append(fetch(config))
        rows.append((feeds, site.page_bytes, firsts, seconds))
    if len(sizes) == 1:
        _detail(*rows[0], args.items, args.repeat)
    else:
        _scale(rows, args.items, args.repeat)


def _detail(
    feeds: int,
    page_bytes: int,
    firsts: list[dict[str, float]],
    seconds: list[dict[str, float]],
    items: int,
    repeat: int,
) -> None:
    n = feeds * items
    print(
        f"briefing fetch, {feeds} feeds x {items} items = {n} articles "
        f"({page_bytes / n / 1024:.0f} KiB per page on average), {os.cpu_count()} CPUs, "
        f"median of {repeat} runs"
    )
    for label, runs in (("first run (all new)", firsts), ("second run (all 304)", seconds)):
        wall = statistics.median(r["wall"] for r in runs)
        cpu = statistics.median(r["cpu"] for r in runs)
        total = statistics.median(r["peak_total"] for r in runs) / 2**20
        main_rss = statistics.median(r["peak_main"] for r in runs) / 2**20
        print(
            f"  {label:<22} wall {wall:6.2f} s   CPU {cpu:6.2f} s   peak RSS {total:6.0f} MiB total "
            f"({main_rss:.0f} MiB main process)   new {runs[0]['new']:.0f}, "
            f"pages ok {runs[0]['pages_ok']:.0f}, not modified {runs[0]['not_modified']:.0f}"
        )
    print(f"  throughput (first run): {n / statistics.median(r['wall'] for r in firsts):.1f} articles/s")


def _scale(
    rows: list[tuple[int, int, list[dict[str, float]], list[dict[str, float]]]], items: int, repeat: int
) -> None:
    print(f"briefing fetch at scale, {items} items per feed, {os.cpu_count()} CPUs, median of {repeat} runs")
    print(
        "| feeds | articles | first run: wall | CPU | articles/s | peak MiB | all-304 run: wall | peak MiB "
        "| growth of first-run wall (x feeds) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    base = None
    for feeds, _, firsts, seconds in rows:
        wall = statistics.median(r["wall"] for r in firsts)
        cpu = statistics.median(r["cpu"] for r in firsts)
        peak = statistics.median(r["peak_total"] for r in firsts) / 2**20
        quiet_wall = statistics.median(r["wall"] for r in seconds)
        quiet_peak = statistics.median(r["peak_total"] for r in seconds) / 2**20
        base = base or (feeds, wall)
        growth = f"x{wall / base[1]:.1f} (x{feeds / base[0]:.0f})"
        print(
            f"| {feeds:,} | {feeds * items:,} | {wall:.1f} s | {cpu:.1f} s | {feeds * items / wall:.0f} "
            f"| {peak:.0f} | {quiet_wall:.2f} s | {quiet_peak:.0f} | {growth} |"
        )


if __name__ == "__main__":
    main()
