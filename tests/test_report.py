"""The brief end to end: the demo over loopback, the PDF read back, re-rendering, failures, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from click.testing import CliRunner

from briefing.cli import cli
from briefing.config import load_config
from briefing.demo import DemoResult, run_demo
from briefing.errors import ConfigError
from briefing.period import iso_week
from briefing.pipeline import report
from briefing.pipeline.analysing import baseline
from briefing.reports_folder import read_brief
from briefing.samples.server import Reply
from briefing.store import Store
from conftest import FakeClock, SampleSite, run_cli, site_feeds, write_config

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # the Monday after the sample week


@dataclass
class Demo:
    result: DemoResult
    output: Path
    data: Path

    @property
    def folder(self) -> Path:
        return self.output / "2026-W47"

    def brief_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "brief.json").read_text(encoding="utf-8"))
        return data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo")
    result = run_demo(root / "reports", root / "data", clock=lambda: MONDAY)
    yield Demo(result, root / "reports", root / "data")


def test_the_demo_shows_every_kind_of_finding(demo: Demo) -> None:
    brief = demo.brief_json()
    entries = {e["title"]: e for s in brief["sections"] for st in s["stories"] for e in st["entries"]}
    kinds = {e["kind"] for e in entries.values()}
    assert kinds == {"new", "development"}
    assert entries["Construction Begins on the Trump Route in Syunik"]["kind"] == "development"
    assert [r["title"] for r in brief["repeats"]] == [
        "The Washington Declaration and the New Caucasus Balance"
    ]
    reasons = {d["reason"] for d in brief["dropped"]}
    assert {"duplicate", "excluded URL"} <= reasons
    duplicates = [d for d in brief["dropped"] if d["reason"] == "duplicate"]
    assert len(duplicates) == 3 and all("kept as the best copy" in d["detail"] for d in duplicates)
    health = {h["name"]: h for h in brief["health"]}
    assert health["caci-feature"]["status"] == "error" and "500" in health["caci-feature"]["note"]
    stub = entries["Turkmenistan Offers Its Gas to European Buyers"]
    assert stub["text_note"].startswith("Read from the feed's own text")
    assert [s["title"] for s in brief["sections"]][:2] == ["South Caucasus", "Central Asia"]
    assert brief["sample"] is True and brief["counts"]["sources"] == 3
    quotes = [q["text"] for e in entries.values() for q in [e["lead"], *e["facts"]] if q]
    assert not [q for q in quotes if "is a sample author" in q]  # biographies are not news
    # The articles are briefed from the end of the period: next week's baseline knows them.
    config = demo.result.config
    with Store.open(config.settings.store_location) as store:
        docs = baseline(config, store, iso_week(2026, 48, "UTC").start)
    assert sum(1 for d in docs if d.origin == "briefed") == 14


def test_every_quote_is_the_articles_own_text_at_its_position(demo: Demo) -> None:
    config = demo.result.config
    with Store.open(config.settings.store_location) as store:
        texts = {a.url: a.text for a in store.articles(include_excluded=True)}
    brief = demo.brief_json()
    checked = 0
    for section in brief["sections"]:
        for story in section["stories"]:
            for e in story["entries"]:
                for q in [e["lead"], *e["facts"]]:
                    assert texts[e["url"]][q["start"] : q["end"]] == q["text"]
                    checked += 1
    assert checked > 30


def test_the_pdf_reads_back(demo: Demo) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO((demo.folder / "brief.pdf").read_bytes()))
    assert 3 <= len(reader.pages) <= 5  # ten entries: the week on page one, then the entries
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    meta = reader.metadata
    assert meta is not None and meta.title and "Week 47, 2026" in meta.title

    def titles(outline: list[Any]) -> list[str]:
        out: list[str] = []
        for item in outline:
            out += titles(item) if isinstance(item, list) else [item.title]
        return out

    outline = titles(reader.outline)
    for heading in ("The week in brief", "South Caucasus", "Central Asia", "Sources", "What was left out"):
        assert heading in outline, outline
    assert "Construction Begins on the Trump Route in Syunik" in outline
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "SAMPLE DATA" in text and "Page 1 of" in text
    assert "Uzbekistan and Tajikistan signed an accord on November 17" in text
    root: Any = reader.trailer["/Root"]
    assert "/EmbeddedFiles" not in root.get("/Names", {}) and "/StructTreeRoot" in root  # tagged
    uris, internal = [], 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            action = a.get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
            elif "/Dest" in a or (action is not None and "/D" in action):
                internal += 1
    assert uris and all(u.startswith("http://127.0.0.1:") for u in uris)
    assert internal >= 10  # table of contents and key items jump to their entries
    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in reader.pages
        for f in (cast(Any, page["/Resources"]).get("/Font") or {}).values()
    }
    assert fonts and all("+IBM-Plex-" in f for f in fonts), fonts  # only the bundled fonts, subset


def test_a_past_period_renders_again_with_the_same_content(demo: Demo) -> None:
    before = {p.name: p.read_bytes() for p in demo.folder.iterdir()}
    result = report(demo.result.config, demo.result.period, clock=lambda: datetime(2026, 12, 1, tzinfo=UTC))
    assert result.reused
    after = {p.name: p.read_bytes() for p in demo.folder.iterdir()}
    assert after["brief.json"] == before["brief.json"] and after["brief.html"] == before["brief.html"]
    assert read_brief(demo.folder) == result.brief


def test_a_failed_render_keeps_the_previous_files(demo: Demo, tmp_path: Path) -> None:
    config_file = tmp_path / "feeds.yaml"
    document = yaml.safe_load((demo.data / "feeds.yaml").read_text(encoding="utf-8"))
    document["report"]["render_timeout"] = 2
    config_file.write_text(yaml.safe_dump(document), encoding="utf-8")
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo.folder.iterdir()}
    done = run_cli(
        ["--config", str(config_file), "report", "--period", "2026-W47", "--refresh"],
        env={"BRIEFING_TEST_HANG_AT": "during_render"},
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "render" in done.stderr and "Traceback" not in done.stderr
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in demo.folder.iterdir()} == digests


def test_cli_report_formats_periods_and_errors(demo: Demo, tmp_path: Path) -> None:
    config = str(demo.data / "feeds.yaml")
    out = tmp_path / "out"
    done = run_cli(
        [
            "--config",
            config,
            "report",
            "--period",
            "2026-W47",
            "--format",
            "html,json",
            "--output",
            str(out),
            "--json",
        ]
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["period"] == "2026-W47"
    written = json.loads((out / "2026-W47" / "brief.json").read_text())
    assert printed["counts"] == written["counts"]
    # The demo shows every kind of finding (the sample site is written to have each).
    assert all(printed["counts"][kind] > 0 for kind in ("new", "developments", "repeats", "duplicates"))
    assert sorted(Path(p).name for p in printed["files"]) == ["brief.html", "brief.json"]
    assert (out / "2026-W47" / "brief.json").exists()
    assert (
        (out / "index.html").exists()
        and (out / "feed.xml").exists()
        and not (out / "2026-W47" / "brief.pdf").exists()
    )

    done = run_cli(
        [
            "--config",
            config,
            "report",
            "--since",
            "2026-10-05",
            "--until",
            "2026-10-11",
            "--format",
            "html",
            "--output",
            str(out),
        ]
    )
    assert done.returncode == 0, done.stderr
    html = (out / "2026-10-05_2026-10-11" / "brief.html").read_text(encoding="utf-8")
    assert "No new stories or developments in this period" in html and "caci-feature" in html
    assert "2026-10-05_2026-10-11" in (out / "index.html").read_text(encoding="utf-8")

    for args, fragment in (
        (["--period", "2026-W99"], "--period"),
        (["--period", "2026-W47", "--since", "2026-11-16"], "--period"),
        (["--until", "2026-11-16"], "--until: give --since too"),
        (["--since", "2026-11-20", "--until", "2026-11-16"], "--until: '2026-11-16' is not after --since"),
        (["--since", "9999999d"], "--since: '9999999d' is outside the dates briefing can handle"),
        (["--since", "2031-01-01"], "--since: '2031-01-01' is in the future"),
        (["--format", "docx"], "--format"),
        (["--period", "2031-W01"], "has not started yet"),
    ):
        refused = CliRunner().invoke(cli, ["--config", config, "report", "--output", str(out), *args])
        assert refused.exit_code == 2 and fragment in refused.stderr, (args, refused.stderr)
        assert "Traceback" not in refused.stderr and refused.stdout == ""


def test_a_brief_of_a_week_in_progress_is_a_preview(demo: Demo, tmp_path: Path) -> None:
    config = demo.result.config
    thursday = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    out = tmp_path / "preview"
    with pytest.raises(ConfigError, match="not started"):
        report(config, iso_week(2026, 48, "UTC"), formats=("json",), output=out, clock=lambda: thursday)
    first = report(config, demo.result.period, formats=("html", "json"), output=out, clock=lambda: thursday)
    assert "Preview: this period ends" in (out / "2026-W47" / "brief.html").read_text(encoding="utf-8")
    again = report(config, demo.result.period, formats=("json",), output=out, clock=lambda: MONDAY)
    assert not first.reused and not again.reused  # a preview is rebuilt, not reused


@pytest.mark.slow
def test_briefing_demo_as_a_new_user_runs_it(tmp_path: Path) -> None:
    done = run_cli(["demo"], cwd=tmp_path, timeout=180)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(":", 1) for line in done.stdout.splitlines() if line.startswith(("PDF", "HTML")))
    pdf, html = Path(lines["PDF"].strip()), Path(lines["HTML"].strip())
    assert pdf == tmp_path / "reports" / "demo" / "2026-W47" / "brief.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and "SAMPLE DATA" in html.read_text(encoding="utf-8")
    assert not (tmp_path / "data").exists() and not (tmp_path / "feeds.yaml").exists()
    assert done.stderr == ""


def test_the_demo_never_writes_into_a_real_data_folder(tmp_path: Path) -> None:
    real = tmp_path / "data"
    real.mkdir()
    (real / "briefing.sqlite3").write_bytes(b"real data")
    done = CliRunner().invoke(cli, ["demo", "--data-dir", str(real), "--output", str(tmp_path / "r")])
    assert done.exit_code == 1 and "not a demo folder" in done.stderr
    assert sorted(p.name for p in real.iterdir()) == ["briefing.sqlite3"]


def test_a_busy_demo_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "demo-port").write_text(f"{s.getsockname()[1]}\n")
        done = run_cli(["demo", "--data-dir", str(tmp_path / "data"), "--output", str(tmp_path / "r")])
    assert done.returncode == 1 and "is in use" in done.stderr and "Traceback" not in done.stderr


def test_the_demo_config_is_valid_and_uses_the_packaged_corpus(demo: Demo) -> None:
    config = load_config(demo.data / "feeds.yaml", env={})
    assert config.settings.allow_private_networks and len(config.feeds) == 4
    assert all(p.name == "corpus" for p in config.corpus.paths)


def test_an_article_without_text_waits_in_the_appendix_and_is_analysed_once_it_has_text(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    from briefing.pipeline import fetch

    clock.now = MONDAY
    config = write_config(tmp_path, site_feeds(sample_site))
    water = next(a for a in sample_site.caci if "Water" in a.title)
    page = sample_site.server.routes[water.path]
    sample_site.server.route(water.path, Reply(503, {"Retry-After": "60"}, b"busy"))
    fetch(config, clock=clock)
    period = iso_week(2026, 47, "UTC")
    first = report(config, period, formats=("json",), clock=clock).brief
    waiting = [d for d in first.dropped if d.title == water.title]
    assert [d.reason for d in waiting] == ["no text yet"]
    assert water.title not in [e.title for s in first.sections for e in s.entries]

    sample_site.server.route(water.path, page)
    clock.advance(hours=2)
    fetch(config, clock=clock)
    second = report(config, period, formats=("json",), refresh=True, clock=clock).brief
    assert water.title in [e.title for s in second.sections for e in s.entries]
    assert not [d for d in second.dropped if d.title == water.title]


def test_one_hostile_item_cannot_fill_the_brief(
    tmp_path: Path, sample_site: SampleSite, clock: FakeClock
) -> None:
    # A 5,000-word title, 300 authors and a 30,000-word sentence without a full stop, in an item of
    # 300 KB (far under the byte cap): it used to put all of it into the brief, whose PDF then took
    # minutes, past the render deadline, so one item cost the whole week's brief.
    from briefing.pipeline import fetch

    server = sample_site.server
    title = " ".join(f"Title{i}" for i in range(5_000))
    authors = "".join(f"<dc:creator>Author {i}</dc:creator>" for i in range(300))
    run_on = " ".join(f"Word{i % 997}" for i in range(30_000))
    rss = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>H</title><link>{server.base}/</link><item><title>{title}</title>{authors}"
        f"<link>{server.base}/hostile-item</link><guid>h1</guid>"
        f"<pubDate>{clock.now:%a, %d %b %Y %H:%M:%S} +0000</pubDate><description>{run_on}</description>"
        "</item></channel></rss>"
    )
    server.route("/hostile-feed", Reply(200, {"Content-Type": "application/rss+xml"}, rss.encode()))
    feeds = [
        *site_feeds(sample_site),
        {"name": "hostile", "url": server.url("/hostile-feed"), "fetch_pages": False},
    ]
    config = write_config(tmp_path, feeds)
    fetch(config, clock=clock)
    result = report(config, iso_week(2026, 47, "UTC"), formats=("html", "json"), clock=clock)
    entry = next(
        e for s in result.brief.sections for st in s.stories for e in st.entries if e.feed == "hostile"
    )
    assert len(entry.title) <= 400 and entry.title.endswith("…") and len(entry.authors) == 20
    quotes = [q for q in (entry.lead, *entry.facts) if q is not None]
    assert quotes and all(len(q.text) <= 1000 for q in quotes)
    html = next(p for p in result.files if p.name == "brief.html")
    assert html.stat().st_size < 200_000  # the sample brief alone is about 45 KB
