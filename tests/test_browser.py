"""The HTML brief and the e-mail's HTML part in a real browser (headless Chromium): on a 390 px phone nothing
scrolls sideways and chart text is at least 10 px; on a 1280 px screen the same.

Chromium loads a copy of the page, with a measuring script added (the brief itself has no script), in a
frame as wide as the screen (headless Chromium's window is at least 500 px wide) and prints the DOM with the
measurements. CI installs Debian's `chromium` (.ci/run); elsewhere the test is
skipped when no Chromium is installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest

from briefing.mail import build_message
from briefing.render import email_html, render_html
from test_mail import bodies, settings
from test_render import golden_brief

BROWSERS = ("chromium", "chromium-browser", "google-chrome")

MEASURE = """<script>
window.addEventListener("load", () => {
  const root = document.documentElement;
  const width = root.clientWidth;  // the viewport without a vertical scroll bar
  const texts = [];
  for (const svg of document.querySelectorAll("svg")) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll("text")) texts.push(parseFloat(t.getAttribute("font-size")) * scale);
  }
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName + "." + e.className);
  parent.document.body.setAttribute("data-measured", JSON.stringify({
    viewport: window.innerWidth, width: width, scroll: root.scrollWidth, wide: wide.slice(0, 5),
    smallest_chart_text: texts.length ? Math.min(...texts) : null, charts: texts.length,
  }));
});
</script>"""


def chromium() -> str:
    found = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("no Chromium installed (apt-get install chromium)")
    return found


def measure(html: str, width: int, tmp_path: Path) -> dict[str, object]:
    measured = html.replace("</body>", MEASURE + "</body>")
    page = tmp_path / f"page-{width}.html"
    page.write_text(
        f'<!DOCTYPE html><html><body style="margin: 0"><iframe style="border: 0; width: {width}px; '
        f'height: 900px" srcdoc="{escape(measured, quote=True)}"></iframe></body></html>',
        encoding="utf-8",
    )
    out = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={max(width, 500) + 40},1000",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = re.search(r"data-measured=\"([^\"]+)\"", out.stdout)
    assert found, out.stderr[-2000:]
    data: dict[str, object] = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return data


@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 640, 1280])  # a phone, a phone on its side, a desktop
def test_the_html_brief_fits_the_screen_and_its_charts_are_legible(width: int, tmp_path: Path) -> None:
    got = measure(render_html(golden_brief()), width, tmp_path)
    assert got["viewport"] == width
    assert got["scroll"] == got["width"] and got["wide"] == [], got  # nothing scrolls sideways
    assert got["charts"] and float(got["smallest_chart_text"]) >= 10, got  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_e_mail_fits_a_phone(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    brief = golden_brief()
    message = build_message(
        brief,
        None,
        settings(25),
        message_id="<t@example.org>",
        now=datetime(2026, 11, 23, tzinfo=UTC),
        html_part=email_html,
    ).message
    _, markup = bodies(message)
    got = measure(markup, 390, tmp_path)
    assert got["viewport"] == 390 and got["scroll"] == got["width"] and got["wide"] == [], got
