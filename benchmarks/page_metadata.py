"""Page metadata: briefing's own reader (JSON-LD and meta tags) beside trafilatura's, against truth.

    python benchmarks/page_metadata.py [--fixtures ../shared/fixtures] [--repeat 3]

Pages with recorded title, author and date truth (fundus, Readability, trafilatura's evaluation set;
about 60 real pages, read from the shared fixtures and never copied here). For each page: does the
title, the first author and the publication day agree with the truth, for `briefing.pagemeta` and
for trafilatura's metadata; and how long extraction takes with trafilatura's metadata pass and with
briefing's (text alone from trafilatura, plus the reader).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import trafilatura

from briefing.htmltext import decode_html, parse_page
from briefing.pagemeta import page_metadata


@dataclass
class Truth:
    name: str
    html: str
    title: str | None
    author: str | None
    day: str | None


def load(fixtures: Path) -> list[Truth]:
    base = fixtures / "extraction-benchmark"
    pages: list[Truth] = []
    for spec in sorted((base / "fundus/test_data").glob("*/*.json")):
        versions = json.loads(spec.read_text())
        truth = next(iter(versions.values()))
        html_files = sorted(spec.parent.glob(f"{spec.stem}_*.html.gz"))
        if not html_files:
            continue
        html = decode_html(gzip.decompress(html_files[0].read_bytes()))
        authors = truth.get("authors") or []
        pages.append(
            Truth(
                f"fundus/{spec.stem}",
                html,
                truth.get("title"),
                authors[0] if authors else None,
                (truth.get("publishing_date") or "")[:10] or None,
            )
        )
    for folder in sorted((base / "mozilla-readability/test-pages").iterdir()):
        meta = json.loads((folder / "expected-metadata.json").read_text())
        html = decode_html((folder / "source.html").read_bytes())
        byline = meta.get("byline") or None
        pages.append(
            Truth(
                f"readability/{folder.name}",
                html,
                meta.get("title"),
                byline,
                (meta.get("publishedTime") or "")[:10] or None,
            )
        )
    subset = json.loads((base / "trafilatura-eval/evaldata-subset.json").read_text())
    for entry in subset.values():
        path = base / "trafilatura-eval/pages" / entry["file"]
        if not path.exists():
            continue
        pages.append(
            Truth(
                f"trafilatura/{entry['file']}",
                decode_html(path.read_bytes()),
                entry.get("title") or None,
                (entry.get("author") or "").split(";")[0].strip() or None,
                entry.get("date") or None,
            )
        )
    return pages


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return " ".join(re.findall(r"\w+", text))


def same_title(found: str | None, truth: str) -> bool:
    a, b = _fold(found or ""), _fold(truth)
    return bool(a) and (a == b or (len(b) > 20 and (a.startswith(b) or b.startswith(a))))


def same_author(found: tuple[str, ...] | str | None, truth: str) -> bool:
    names = found if isinstance(found, tuple) else tuple(re.split(r";|\band\b", found or ""))
    want = set(_fold(truth).split())
    return bool(want) and any(len(want & set(_fold(n).split())) >= min(2, len(want)) for n in names)


def trafilatura_meta(html: str) -> tuple[str | None, str | None, str | None]:
    doc = trafilatura.bare_extraction(html, with_metadata=True, include_tables=True, deduplicate=False)
    if doc is None:
        return None, None, None
    data = doc if isinstance(doc, dict) else doc.as_dict()
    return data.get("title"), data.get("author"), data.get("date")


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).parents[2] / "shared/fixtures")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = load(args.fixtures)
    counts = {k: [0, 0] for k in ("title", "author", "date")}  # [ours, trafilatura]
    totals = {"title": 0, "author": 0, "date": 0}
    with_meta, text_only = [], []
    misses: list[str] = []
    for page in pages:
        tree = parse_page(page.html)
        ours = page_metadata(tree)
        theirs = trafilatura_meta(page.html)
        for key, truth, mine, other in (
            ("title", page.title, ours.title, theirs[0]),
            ("author", page.author, ours.authors, theirs[1]),
            ("date", page.day, ours.date, theirs[2]),
        ):
            if not truth:
                continue
            totals[key] += 1
            match = (
                same_title if key == "title" else same_author if key == "author" else (lambda f, t: f == t)
            )
            ok_mine, ok_other = match(mine, truth), match(other, truth)
            counts[key][0] += ok_mine
            counts[key][1] += ok_other
            if ok_other and not ok_mine:
                misses.append(f"  {page.name} {key}: ours {mine!r}, trafilatura {other!r}, truth {truth!r}")
        with_meta.append(
            timed(
                lambda html=page.html: trafilatura.bare_extraction(
                    parse_page(html), with_metadata=True, include_tables=True, deduplicate=False
                ),
                args.repeat,
            )
        )
        text_only.append(
            timed(
                lambda html=page.html: (
                    page_metadata(tree := parse_page(html)),
                    trafilatura.bare_extraction(
                        tree, with_metadata=False, include_tables=True, deduplicate=False
                    ),
                ),
                args.repeat,
            )
        )
    print(f"{len(pages)} real pages with truth (fundus, Readability, trafilatura eval)")
    print("| field | pages with truth | briefing.pagemeta | trafilatura metadata |")
    print("|---|---|---|---|")
    for key in ("title", "author", "date"):
        print(f"| {key} | {totals[key]} | {counts[key][0]} | {counts[key][1]} |")
    print(
        "extraction per page, median: trafilatura with metadata"
        f" {statistics.median(with_meta) * 1000:.1f} ms;"
        f" text only + pagemeta {statistics.median(text_only) * 1000:.1f} ms"
        f" (x{statistics.median(with_meta) / statistics.median(text_only):.2f})"
    )
    if misses:
        print("trafilatura right where briefing.pagemeta is not:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
