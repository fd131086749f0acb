"""Chart geometry for the brief: numbers in, rectangles and labels out (the template draws the SVG).

Keeping the maths here and the drawing in the template means every label still goes through the
template's autoescaping; nothing here produces markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from briefing.models import SourceActivity, SourceYield
from briefing.wording import plural

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#a5a5a5", "#bf9000")
# Charts are drawn 400 units wide and shown at most 28em (about 390 px) wide, one per row on screens
# (brief.css): text of 13 units is at least 10 px on a 390 px phone, and about 8 pt in the PDF, where the
# two charts sit side by side.
WIDTH = 400.0
TEXT = 13.0
KIND_COLOURS = {"new": "#0f6e6b", "development": "#b45309", "repeat": "#8a8f98", "duplicate": "#c9ced6"}


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    size: float = TEXT


@dataclass(frozen=True)
class Chart:
    title: str
    description: str  # what the chart shows, for readers who cannot see it
    width: float
    height: float
    rects: tuple[Rect, ...]
    labels: tuple[Label, ...]
    legend: tuple[tuple[str, str], ...]  # (colour, name)


def activity_chart(days: Sequence[str], activity: Sequence[SourceActivity]) -> Chart:
    """Articles per day, stacked by source."""
    width, height, left, bottom, top = WIDTH, 150.0, 30.0, 22.0, 16.0
    plot_h = height - bottom - top
    totals = [sum(a.per_day[i] for a in activity) for i in range(len(days))]
    peak = max([*totals, 1])
    step = _nice_step(peak)
    ymax = step * -(-peak // step)
    slot = (width - left - 4) / max(1, len(days))
    bar = slot * 0.62
    # More than a week has no room for a label under every day: label every k-th day.
    every = max(1, -(-len(days) // 7))
    rects, labels = [], []
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar) / 2
        y = height - bottom
        for n, source in enumerate(activity):
            count = source.per_day[i]
            if not count:
                continue
            h = plot_h * count / ymax
            y -= h
            rects.append(Rect(x, y, bar, h, PALETTE[n % len(PALETTE)], f"{source.name}: {count} on {day}"))
        d = date.fromisoformat(day)
        if i % every == 0:
            text = f"{d:%a}" if len(days) <= 7 else f"{d.day} {d:%b}"
            labels.append(Label(x + bar / 2, height - bottom + 15, text, size=TEXT))
        if totals[i] and len(days) <= 14:
            labels.append(
                Label(x + bar / 2, height - bottom - plot_h * totals[i] / ymax - 4, str(totals[i]), size=TEXT)
            )
    for tick in range(0, int(ymax) + 1, int(step)):
        labels.append(
            Label(left - 6, height - bottom - plot_h * tick / ymax + 4, str(tick), anchor="end", size=TEXT)
        )
    legend = tuple((PALETTE[n % len(PALETTE)], s.name) for n, s in enumerate(activity))
    total = sum(totals)
    first, last = (date.fromisoformat(days[0]), date.fromisoformat(days[-1])) if days else (None, None)
    span = f" from {first.day} {first:%b} to {last.day} {last:%b %Y}" if first and last else ""
    return Chart(
        "Articles per day by source",
        f"{total} articles over {len(days)} days{span}, by source.",
        width,
        height,
        tuple(rects),
        tuple(labels),
        legend,
    )


def sources_chart(yields: Sequence[SourceYield]) -> Chart:
    """What each source brought: its articles by class, one bar a source, its name above it."""
    row, bar_h, left = 40.0, 16.0, 4.0
    height = max(1, len(yields)) * row + 4
    peak = max([sum(_classes(y)) for y in yields] + [1])
    scale = (WIDTH - left - 40) / peak
    rects, labels = [], []
    for i, y in enumerate(yields):
        top = i * row + 4
        labels.append(Label(left, top + 12, y.name, anchor="start", size=TEXT))
        x = left
        for kind, count in zip(CLASSES, _classes(y), strict=True):
            if count:
                w = scale * count
                rects.append(Rect(x, top + 17, w, bar_h, KIND_COLOURS[kind], f"{y.name}: {count} {kind}"))
                x += w
        labels.append(Label(x + 5, top + 30, str(sum(_classes(y))), anchor="start", size=TEXT))
    legend = tuple((KIND_COLOURS[k], CLASS_NAMES[k][1]) for k in CLASSES)
    described = "; ".join(
        f"{y.name}: "
        + ", ".join(plural(c, *CLASS_NAMES[k]) for k, c in zip(CLASSES, _classes(y), strict=True) if c)
        for y in yields
        if sum(_classes(y))
    )
    return Chart(
        "What each source brought",
        f"Articles of the period by source and class. {described or 'No article.'}",
        WIDTH,
        height,
        tuple(rects),
        tuple(labels),
        legend,
    )


CLASSES = ("new", "development", "repeat", "duplicate")
CLASS_NAMES = {  # (one, many)
    "new": ("new story", "new stories"),
    "development": ("development", "developments"),
    "repeat": ("repeat", "repeats"),
    "duplicate": ("duplicate", "duplicates"),
}


def _classes(y: SourceYield) -> tuple[int, int, int, int]:
    return (y.new, y.developments, y.repeats, y.duplicates)


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if peak / step <= 5:
            return step
    return 1000
