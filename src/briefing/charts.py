"""Chart geometry for the brief: numbers in, rectangles and labels out (the template draws the SVG).

Keeping the maths here and the drawing in the template means every label still goes through the
template's autoescaping; nothing here produces markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from briefing.models import SourceActivity

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#a5a5a5", "#bf9000")
KIND_COLOURS = {"new": "#0f6e6b", "development": "#b45309", "repeat": "#8a8f98"}


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
    size: float = 9


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
    width, height, left, bottom, top = 520.0, 150.0, 34.0, 28.0, 12.0
    plot_h = height - bottom - top
    totals = [sum(a.per_day[i] for a in activity) for i in range(len(days))]
    peak = max([*totals, 1])
    step = _nice_step(peak)
    ymax = step * -(-peak // step)
    slot = (width - left - 8) / max(1, len(days))
    bar = slot * 0.62
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
        labels.append(Label(x + bar / 2, height - bottom + 13, f"{d:%a} {d.day}"))
        if totals[i]:
            labels.append(
                Label(x + bar / 2, height - bottom - plot_h * totals[i] / ymax - 3, str(totals[i]), size=8)
            )
    for tick in range(0, int(ymax) + 1, int(step)):
        labels.append(
            Label(left - 6, height - bottom - plot_h * tick / ymax + 3, str(tick), anchor="end", size=8)
        )
    legend = tuple((PALETTE[n % len(PALETTE)], s.name) for n, s in enumerate(activity))
    total = sum(totals)
    return Chart(
        "Articles per day by source",
        f"{total} articles over {len(days)} days, by source.",
        width,
        height,
        tuple(rects),
        tuple(labels),
        legend,
    )


def novelty_chart(novelty: Sequence[tuple[str, Sequence[int]]]) -> Chart:
    """How the period's articles scored: ten bins of the information score, by class."""
    width, height, left, bottom, top = 520.0, 140.0, 34.0, 30.0, 12.0
    plot_h = height - bottom - top
    totals = [sum(counts[i] for _, counts in novelty) for i in range(10)]
    peak = max([*totals, 1])
    step = _nice_step(peak)
    ymax = step * -(-peak // step)
    slot = (width - left - 8) / 10
    bar = slot * 0.8
    rects, labels = [], []
    for i in range(10):
        x = left + i * slot + (slot - bar) / 2
        y = height - bottom
        for kind, counts in novelty:
            if counts[i]:
                h = plot_h * counts[i] / ymax
                y -= h
                rects.append(
                    Rect(
                        x,
                        y,
                        bar,
                        h,
                        KIND_COLOURS.get(kind, "#777777"),
                        f"{counts[i]} {kind} with scores {i / 10:.1f} to {(i + 1) / 10:.1f}",
                    )
                )
        labels.append(Label(x + bar / 2, height - bottom + 12, f"{i / 10:.1f}", size=8))
    labels.append(
        Label(
            left + (width - left) / 2,
            height - 3,
            "information score: share of new content per sentence",
            size=8,
        )
    )
    for tick in range(0, int(ymax) + 1, int(step)):
        labels.append(
            Label(left - 6, height - bottom - plot_h * tick / ymax + 3, str(tick), anchor="end", size=8)
        )
    legend = tuple((KIND_COLOURS[k], k) for k, _ in novelty if k in KIND_COLOURS)
    described = ", ".join(f"{sum(c)} {k}" for k, c in novelty)
    return Chart(
        "How new was this period's reading",
        f"Scores of the articles analysed: {described}.",
        width,
        height,
        tuple(rects),
        tuple(labels),
        legend,
    )


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if peak / step <= 5:
            return step
    return 1000
