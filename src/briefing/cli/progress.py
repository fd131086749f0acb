"""Progress on a terminal (the only rich import): a bar for fetching, a spinner naming the step of a report.
Nothing is shown when output is not a terminal (cron, pipes, --json)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from briefing.models import FeedResult


@contextmanager
def fetch_progress(live: bool, describe: Callable[[FeedResult], str]) -> Iterator[Any]:
    """A progress bar and live per-feed lines on a terminal; nothing otherwise."""
    from briefing.pipeline import Progress

    if not live:
        yield Progress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    console = Console(stderr=True)
    with Bar(
        TextColumn("{task.description:<6}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        feeds = bar.add_task("feeds", total=0)
        pages = bar.add_task("pages", total=0)

        def feed_done(r: FeedResult) -> None:
            bar.advance(feeds)
            bar.console.print(describe(r), markup=False, highlight=False)

        yield Progress(
            feeds_planned=lambda n: bar.update(feeds, total=n),
            feed_done=feed_done,
            pages_planned=lambda n: bar.update(pages, total=(bar.tasks[pages].total or 0) + n),
            page_done=lambda r: bar.advance(pages),
        )


@contextmanager
def steps(live: bool) -> Iterator[Callable[[str], None]]:
    """On a terminal, a spinner naming the step under way (cleared at the end); nothing otherwise."""
    if not live:
        yield lambda _: None
        return
    from rich.console import Console

    with Console(stderr=True).status("starting", spinner="dots") as status:
        yield lambda text: status.update(text + " ...")
