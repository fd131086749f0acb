"""Wall time and peak memory of `briefing fetch` on N feeds x M items served from loopback.

    python benchmarks/fetch_bench.py --feeds 20 --items 25 --repeat 3

Runs the real CLI in a subprocess against a fresh data folder: a first run (every feed new, every
page fetched and extracted) and a second run (every feed answers 304). Peak memory is the sum of the
resident sizes of the CLI process and its workers, sampled every 20 ms from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from briefing.samples.load import build_site
from briefing.samples.server import LoopbackServer


def tree_rss(root: int) -> tuple[int, int]:
    """(total RSS of root and its descendants, RSS of root) in bytes."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for proc in Path("/proc").iterdir():
        entry = proc.name
        if not entry.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry)] = int(fields.get("PPid", "0").strip() or 0)
        rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0] or 0) * 1024
    family = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    return sum(rss.get(p, 0) for p in family), rss.get(root, 0)


def run_cli(config: Path) -> dict[str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "briefing", "fetch", "--json", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_total = peak_main = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_total, peak_main
        while not stop.is_set():
            total, main = tree_rss(proc.pid)
            peak_total, peak_main = max(peak_total, total), max(peak_main, main)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"briefing fetch failed: {err}")
    report = json.loads(out)
    ok = sum(1 for a in report["articles"] if a["status"] == "ok")
    return {
        "wall": wall,
        "peak_total": peak_total,
        "peak_main": peak_main,
        "new": report["new"],
        "pages_ok": ok,
        "not_modified": sum(f["status"] == "not_modified" for f in report["feeds"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    firsts, seconds = [], []
    with LoopbackServer() as server:
        site = build_site(server, args.feeds, args.items)
        for _ in range(args.repeat):
            folder = Path(tempfile.mkdtemp(prefix="briefing-bench-"))
            config = folder / "feeds.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "settings": {
                            "data_dir": "data",
                            "allow_private_networks": True,
                            "max_entries_per_feed": args.items,
                        },
                        "feeds": [{"name": f"feed-{i}", "url": u} for i, u in enumerate(site.feed_urls)],
                    }
                )
            )
            firsts.append(run_cli(config))
            seconds.append(run_cli(config))
    n = args.feeds * args.items
    print(
        f"briefing fetch, {args.feeds} feeds x {args.items} items = {n} articles "
        f"({site.page_bytes / n / 1024:.0f} KiB per page on average), {os.cpu_count()} CPUs, "
        f"median of {args.repeat} runs"
    )
    for label, runs in (("first run (all new)", firsts), ("second run (all 304)", seconds)):
        wall = statistics.median(r["wall"] for r in runs)
        total = statistics.median(r["peak_total"] for r in runs) / 2**20
        main_rss = statistics.median(r["peak_main"] for r in runs) / 2**20
        print(
            f"  {label:<22} wall {wall:6.2f} s   peak RSS {total:6.0f} MiB total "
            f"({main_rss:.0f} MiB main process)   new {runs[0]['new']:.0f}, "
            f"pages ok {runs[0]['pages_ok']:.0f}, not modified {runs[0]['not_modified']:.0f}"
        )
    print(f"  throughput (first run): {n / statistics.median(r['wall'] for r in firsts):.1f} articles/s")


if __name__ == "__main__":
    main()
