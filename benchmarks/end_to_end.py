"""The product end to end beside its dependency floor, on the same inputs.

    python benchmarks/end_to_end.py [--feeds 20] [--items 25] [--repeat 3]

N feeds x M items (half in each publisher's shape, pages of 50 to 300 KB, `briefing.samples.load`)
are served from loopback. Each repeat, in a fresh data folder:

- product, first run: `briefing run` with the clock set to Monday 23 November 2026, 08:00 UTC, so
  the brief of 2026-W47 is due: every feed and page fetched, extracted, stored, analysed against the
  shipped corpus, the brief written as PDF, HTML and JSON;
- product, second run: `briefing run` again: every feed answers 304 and the week is already done;
- floor: in a fresh process, what the libraries alone cost on the same inputs: feedparser on each
  feed body, trafilatura (`extract`, default options) on each page, spread over all cores like the
  product's extraction, then WeasyPrint on the HTML of the brief the product made.

Each is a subprocess measured the same way (`measure.py`: wall time, CPU time including workers, peak
resident memory of the process and its workers). The product's steps are timed from its trace points.
Figures are medians of the repeats; the ratios are product / floor.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import yaml

from briefing.samples.load import build_site
from briefing.samples.server import LoopbackServer
from measure import Measured, measure

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-23T08:00:00+00:00"
PERIOD = "2026-W47"
MiB = 2**20


def download(feed_urls: list[str], folder: Path) -> None:
    """The exact bytes the product will be served: feed bodies and article pages (not timed)."""
    with httpx.Client() as client:
        for i, url in enumerate(feed_urls):
            body = client.get(url).content
            (folder / f"feed-{i:04d}.xml").write_bytes(body)
            for j, link in enumerate(re.findall(rb"<link>(http[^<]+/[^<]*)</link>", body)[1:]):
                (folder / f"page-{i:04d}-{j:03d}.html").write_bytes(client.get(link.decode()).content)


def write_config(folder: Path, feed_urls: list[str], items: int) -> Path:
    config = folder / "feeds.yaml"
    document = {
        "settings": {
            "data_dir": "data",
            "reports_dir": "reports",
            "allow_private_networks": True,
            "max_entries_per_feed": items,
        },
        "corpus": {"paths": [str(ROOT / "corpus")]},
        "feeds": [{"name": f"feed-{i}", "url": u} for i, u in enumerate(feed_urls)],
    }
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return config


def product(config: Path, trace: Path | None = None) -> Measured:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env["BRIEFING_TEST_NOW"] = NOW
    if trace is not None:
        env["BRIEFING_TEST_TRACE"] = str(trace)
    return measure([sys.executable, "-m", "briefing", "--config", str(config), "run", "--json"], env)


def steps(trace: Path, started: float, wall: float) -> dict[str, float]:
    """Seconds per step of the run, from its trace points."""
    points: list[tuple[float, str]] = []
    for line in trace.read_text(encoding="utf-8").splitlines():
        _, when, point, *_ = line.split(" ", 3)
        if point != "extract":  # the one point the extraction workers reach
            points.append((float(when) - started, point))
    fetched = max(t for t, p in points if p in ("after_commit", "after_extraction"))
    analysed = max(t for t, p in points if p == "after_analysis")
    rendered = max(t for t, p in points if p == "after_render")
    first = min(t for t, _ in points)
    return {
        "start-up": first,
        "fetch, extract, store": fetched - first,
        "analysis": analysed - fetched,
        "brief (HTML, PDF, JSON)": rendered - analysed,
        "ledger, index, feed": wall - rendered,
    }


def floor_child(inputs: Path, brief_html: Path) -> None:
    """In a fresh process: the libraries alone, printing seconds per library as JSON."""
    import feedparser
    import weasyprint

    feeds = sorted(inputs.glob("feed-*.xml"))
    pages = sorted(inputs.glob("page-*.html"))
    out = {}
    start = time.perf_counter()
    for f in feeds:
        feedparser.parse(f.read_bytes())
    out["feedparser"] = time.perf_counter() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        extracted = list(pool.map(_extract, pages, chunksize=4))
    out["trafilatura"] = time.perf_counter() - start
    out["pages with text"] = sum(extracted)
    start = time.perf_counter()
    weasyprint.HTML(string=brief_html.read_text(encoding="utf-8")).write_pdf()
    out["weasyprint"] = time.perf_counter() - start
    print(json.dumps(out))


def _extract(page: Path) -> bool:
    import trafilatura

    return bool(trafilatura.extract(page.read_bytes()))


def stored_ok(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM articles WHERE extraction_status = 'ok'").fetchone()[0])


def pdf_html(reports: Path) -> str:
    """The HTML the product hands WeasyPrint for its brief (rebuilt from brief.json, not timed)."""
    from briefing.render import render_html
    from briefing.serialize import brief_from_dict

    brief = brief_from_dict(json.loads((reports / PERIOD / "brief.json").read_text(encoding="utf-8")))
    return render_html(brief, for_pdf=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--floor", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_child(*args.floor)
        return
    firsts, seconds, floors, step_runs, floor_steps = [], [], [], [], []
    entries = pages_ok = 0
    with LoopbackServer() as server, tempfile.TemporaryDirectory(prefix="briefing-e2e-") as tmp:
        site = build_site(server, args.feeds, args.items)
        inputs = Path(tmp) / "inputs"
        inputs.mkdir()
        download(site.feed_urls, inputs)
        for r in range(args.repeat):
            folder = Path(tmp) / f"run-{r}"
            folder.mkdir()
            config = write_config(folder, site.feed_urls, args.items)
            trace = folder / "trace"
            first = product(config, trace)
            result = json.loads(first.stdout)
            if result["action"] != "written":
                raise SystemExit(f"the first run did not write the brief: {result}")
            firsts.append(first)
            step_runs.append(steps(trace, first.started, first.wall))
            pages_ok = stored_ok(folder / "data" / "briefing.sqlite3")
            second = product(config)
            if json.loads(second.stdout)["action"] != "already_done":
                raise SystemExit(f"the second run did something: {second.stdout[:500]}")
            seconds.append(second)
            html = folder / "brief-for-pdf.html"
            html.write_text(pdf_html(folder / "reports"), encoding="utf-8")
            entries = len(re.findall(r'<article class="entry', html.read_text(encoding="utf-8")))
            floor = measure([sys.executable, __file__, "--floor", str(inputs), str(html)])
            floors.append(floor)
            floor_steps.append(json.loads(floor.stdout.strip().splitlines()[-1]))
        n = args.feeds * args.items
        print(
            f"end to end: {args.feeds} feeds x {args.items} items = {n} articles "
            f"({site.page_bytes / n / 1024:.0f} KiB per page on average, 50 to 300 KB), "
            f"{pages_ok} pages extracted, a brief of {entries} entries; "
            f"{os.cpu_count()} CPUs, median of {args.repeat} runs"
        )
    _table(firsts, seconds, floors)
    print()
    print("where the first run's time goes (product, from its trace) beside the floor's parts:")
    for name in step_runs[0]:
        print(f"  product  {name:<26} {statistics.median(s[name] for s in step_runs):6.2f} s")
    for name in ("feedparser", "trafilatura", "weasyprint"):
        print(f"  floor    {name:<26} {statistics.median(s[name] for s in floor_steps):6.2f} s")
    print(f"  floor    pages with text            {floor_steps[0]['pages with text']:.0f} of {n}")


def _table(firsts: list[Measured], seconds: list[Measured], floors: list[Measured]) -> None:
    def med(runs: list[Measured], field: str) -> float:
        return float(statistics.median(getattr(m, field) for m in runs))

    print("| | wall s | CPU s | cores busy | peak MiB (with workers) |")
    print("|---|---|---|---|---|")
    for label, runs in (
        ("product, first run (brief included)", firsts),
        ("dependency floor (feedparser + trafilatura + WeasyPrint)", floors),
        ("product, second run (all 304, week done)", seconds),
    ):
        wall, cpu = med(runs, "wall"), med(runs, "cpu")
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {cpu / wall:.2f} | {med(runs, 'peak') / MiB:.0f} |")
    wall_ratio = med(firsts, "wall") / med(floors, "wall")
    cpu_ratio = med(firsts, "cpu") / med(floors, "cpu")
    peak_ratio = med(firsts, "peak") / med(floors, "peak")
    print(f"| ratio product / floor | {wall_ratio:.2f} | {cpu_ratio:.2f} | | {peak_ratio:.2f} |")


if __name__ == "__main__":
    main()
