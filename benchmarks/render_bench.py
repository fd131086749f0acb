"""Render time and peak memory of a brief of 10, 60 (and more) entries, beside WeasyPrint alone.

    python benchmarks/render_bench.py [--entries 10,60,200] [--repeat 3]

The brief is the demo's brief (tests/golden/brief.json, SAMPLE DATA) with its entries repeated until it
has N of them. Each measurement runs in a fresh process, so its peak memory (max RSS) is its own:
- html:     Jinja2 renders the brief to HTML;
- product:  briefing's PDF path (`render.pdf_bytes`: embedded fonts, deny-all fetcher, tagged PDF);
- floor:    WeasyPrint alone on the same HTML (`HTML(string=...).write_pdf()`), the dependency floor.
Times are the median of --repeat runs; the ratio is product / floor.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "brief.json"


def brief_with(entries: int):  # type: ignore[no-untyped-def]
    from briefing.serialize import brief_from_dict

    brief = brief_from_dict(json.loads(GOLDEN.read_text(encoding="utf-8")))
    pool = [(s, st, e) for s in brief.sections for st in s.stories for e in st.entries]
    sections = {}
    first_copy = {}  # the week in brief links to the first copy of each entry
    for i in range(entries):
        section, story, entry = pool[i % len(pool)]
        copy = dataclasses.replace(entry, anchor=f"a{i}", article_id=i)
        first_copy.setdefault(entry.anchor, copy.anchor)
        sections.setdefault(section.title, (section, {}))[1].setdefault(
            f"{story.id}-{i // len(pool)}", (story, [])
        )[1].append(copy)
    built = tuple(
        dataclasses.replace(
            section,
            stories=tuple(
                dataclasses.replace(story, id=key, entries=tuple(items))
                for key, (story, items) in stories.items()
            ),
        )
        for section, stories in sections.values()
    )
    key = tuple(
        dataclasses.replace(k, anchor=first_copy[k.anchor]) for k in brief.key if k.anchor in first_copy
    )
    return dataclasses.replace(brief, sections=built, key=key)


def measure(kind: str, entries: int) -> None:
    """In a fresh process: print seconds and max RSS of one render."""
    from briefing.render import _weasyprint, page_count, pdf_bytes, render_html

    brief = brief_with(entries)
    weasyprint = _weasyprint()
    html = render_html(brief, for_pdf=kind != "html")
    pages = 0
    start = time.perf_counter()
    if kind == "html":
        size = len(render_html(brief))
    elif kind == "product":
        size = len(pdf_bytes(html, brief.paper))
    else:
        size = len(weasyprint.HTML(string=html).write_pdf())
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if kind == "product":
        pages = page_count(html, brief.paper)  # laid out again, after the timing
    print(json.dumps({"seconds": seconds, "rss_mib": rss, "bytes": size, "pages": pages}))


def run(kind: str, entries: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(entries)], capture_output=True, text=True, check=True
    )
    data: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", default="10,60")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.child[0], int(args.child[1]))
        return
    print(
        "| entries | HTML s | PDF s (product) | PDF s (WeasyPrint alone) | ratio "
        "| peak MiB (product) | PDF KiB | pages |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in (int(x) for x in args.entries.split(",")):
        rows = {k: [run(k, n) for _ in range(args.repeat)] for k in ("html", "product", "floor")}
        med = {k: statistics.median(r["seconds"] for r in v) for k, v in rows.items()}
        peak = max(r["rss_mib"] for r in rows["product"])
        size = rows["product"][0]["bytes"] / 1024
        pages = int(rows["product"][0]["pages"])
        print(
            f"| {n} | {med['html']:.2f} | {med['product']:.2f} | {med['floor']:.2f} | "
            f"{med['product'] / med['floor']:.2f} | {peak:.0f} | {size:.0f} | {pages or '?'} |"
        )


if __name__ == "__main__":
    main()
