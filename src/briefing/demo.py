"""`briefing demo`: the whole pipeline on the bundled sample snapshot, served from loopback.

A loopback server plays both publishers (feeds and pages in their real shapes, see `samples/`), a
configuration pointing at it is written into the data folder, and the real fetch, analysis against the
shipped seed corpus, and rendering run on it. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from briefing import yamltext
from briefing.clock import Clock, utc_now
from briefing.config import Config, load_config
from briefing.corpus import packaged_corpus
from briefing.errors import BriefingError
from briefing.models import FetchReport
from briefing.period import Period, iso_week
from briefing.samples.server import LoopbackServer
from briefing.samples.site import SampleSite, sample_site
from briefing.wording import plural
from briefing.write import atomic_write_text

DEMO_YEAR, DEMO_WEEK = 2026, 47  # the week the sample snapshot is set in
PORT_FILE = "demo-port"
AC_EXCLUDE = ["/in-the-news/", "/insight-impact/", "/event/", "/podcast"]
TOPICS = (
    {
        "name": "South Caucasus",
        "terms": ["Armenia", "Azerbaijan", "Georgia", "Syunik", "Zangezur", "Nakhchivan", "Caucasus"],
        "names": ["Nikol Pashinyan"],
    },
    {
        "name": "Central Asia",
        "terms": ["Kazakhstan", "Uzbekistan", "Turkmenistan", "Kyrgyzstan", "Tajikistan", "Central Asia"],
        "names": ["Shavkat Mirziyoyev"],
    },
)


class DemoError(BriefingError):
    """The demo cannot run as asked."""


@dataclass(frozen=True)
class DemoResult:
    config: Config
    period: Period
    fetched: FetchReport
    files: list[Path]
    index: list[Path]
    server: str  # the loopback address the sample site was served on


def run_demo(
    output: Path,
    data_dir: Path | None = None,
    *,
    clock: Clock = utc_now,
    say: Callable[[str], None] = lambda _: None,
) -> DemoResult:
    """Serve the snapshot, fetch it, analyse it against the seed corpus and write the brief to `output`.

    The data folder is temporary unless `data_dir` is given (then the same port is reused, so the
    stored feed and article URLs stay the same and a second demo finds nothing new to fetch).
    """
    from briefing.pipeline import fetch, report

    with _data_folder(data_dir) as folder, _server(folder if data_dir else None) as server:
        site = sample_site(server, demo=True)
        say(f"Serving the sample snapshot (SAMPLE DATA) on {server.base}")
        config = load_config(write_config(folder, site, output), env={})
        fetched = fetch(config, clock=clock)
        failing = [f.name for f in fetched.feeds if f.error]
        say(
            f"Fetched {plural(len(fetched.feeds), 'feed', 'feeds')}: "
            f"{plural(fetched.new, 'new entry', 'new entries')}"
            + (f"; failing on purpose: {', '.join(failing)}" if failing else "")
        )
        period = iso_week(DEMO_YEAR, DEMO_WEEK, config.settings.timezone)
        say(f"Analysing {period.label} against the seed corpus and rendering the brief ...")
        result = report(config, period, sample=True, refresh=True, clock=clock)
        return DemoResult(config, period, fetched, result.files, result.index, server.base)


def write_config(folder: Path, site: SampleSite, output: Path) -> Path:
    """The demo's feeds.yaml: the sample feeds, loopback allowed, the packaged seed corpus."""
    publishers = {"caci": "Central Asia-Caucasus Analyst", "ac": "Atlantic Council"}
    feeds: list[dict[str, Any]] = [
        {
            "name": name,
            "title": name.replace("-", " ").title(),
            "publisher": publishers[name.split("-", 1)[0]],
            "url": url,
            **({"exclude": AC_EXCLUDE} if name.startswith("ac-") else {}),
        }
        for name, url in site.feeds.items()
    ]
    document = {
        "settings": {
            "data_dir": str(folder.resolve()),
            "reports_dir": str(output.resolve()),
            "allow_private_networks": True,  # the sample site is on loopback
            "contact": "https://github.com/briefing/briefing (demo)",
            "timezone": "UTC",
            "timeout": 20,
            "max_backoff_hours": 0,  # a rerun tries the failing feed again
        },
        "report": {"title": "Weekly brief: South Caucasus and Central Asia"},
        "corpus": {"paths": [str(packaged_corpus())]},
        "topics": [dict(t) for t in TOPICS],
        "feeds": feeds,
    }
    path = folder / "feeds.yaml"
    header = "# Written by `briefing demo`: the bundled SAMPLE DATA served on loopback.\n"
    atomic_write_text(path, header + yamltext.dump(document))
    return path


@contextlib.contextmanager
def _data_folder(data_dir: Path | None) -> Iterator[Path]:
    if data_dir is not None:
        if data_dir.is_dir() and any(data_dir.iterdir()) and not (data_dir / PORT_FILE).exists():
            # Never mix sample articles into a real store or overwrite a real feeds.yaml.
            raise DemoError(f"{data_dir} is not empty and not a demo folder; give a new or empty --data-dir")
        data_dir.mkdir(parents=True, exist_ok=True)
        yield data_dir
        return
    with tempfile.TemporaryDirectory(prefix="briefing-demo-") as tmp:
        yield Path(tmp)


@contextlib.contextmanager
def _server(keep_port_in: Path | None) -> Iterator[LoopbackServer]:
    """A loopback server; with a kept data folder, on the port it used last time if that is free."""
    port = 0
    port_file = keep_port_in / PORT_FILE if keep_port_in else None
    if port_file and port_file.exists():
        with contextlib.suppress(ValueError):
            port = int(port_file.read_text().strip())
    try:
        server = LoopbackServer(port=port)
    except OSError:
        # The stored articles carry the old port in their URLs: a new one would store them all again.
        raise DemoError(
            f"port {port} (kept in {port_file}) is in use; free it or give a new --data-dir"
        ) from None
    if port_file:
        atomic_write_text(port_file, f"{server.port}\n")
    with server:
        yield server
