"""Brief -> HTML (Jinja2) and PDF (WeasyPrint). The only jinja2 and weasyprint imports.

Safety (RELIABILITY.md section D): autoescaping is forced on whatever the template's file name; briefs
carry only text and http(s) links; the PDF renderer is given every stylesheet as a string and a URL
fetcher that refuses everything but `data:` (our fonts), with redirects off; the PDF is rendered in a
worker process with a wall-clock and memory limit, so a pathological document costs the render, not
the machine.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from briefing import __version__, wording
from briefing.charts import activity_chart, sources_chart
from briefing.errors import RenderError
from briefing.models import Brief, Listed
from briefing.testing_hooks import crash_point
from briefing.urls import text_fragment_link

log = logging.getLogger(__name__)

BRIEF_TEMPLATE = "brief.html"
STYLESHEET = "brief.css"
# Five faces: every @font-face costs WeasyPrint a font-map rebuild on every render, so bold text (700)
# uses the semi-bold faces and there is no semi-bold italic.
_FONTS = (
    ("IBM Plex Serif", 400, "normal", "IBMPlexSerif-Regular.woff"),
    ("IBM Plex Serif", 400, "italic", "IBMPlexSerif-Italic.woff"),
    ("IBM Plex Serif", 600, "normal", "IBMPlexSerif-SemiBold.woff"),
    ("IBM Plex Sans", 400, "normal", "IBMPlexSans-Regular.woff"),
    ("IBM Plex Sans", 600, "normal", "IBMPlexSans-SemiBold.woff"),
)


def packaged_templates() -> Path:
    """The templates shipped in the wheel, or the repository's `templates/` in a development install."""
    packaged = resources.files("briefing").joinpath("templates")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


@cache  # one per templates folder: templates compile once per process, not once per file written
def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja environment: the user's templates first, then ours; autoescaping always on."""
    folders = [str(p) for p in (templates_dir, packaged_templates()) if p is not None]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        autoescape=True,  # forced: select_autoescape() would miss "brief.html.j2"
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["http_only"] = _http_only
    env.filters["quote_link"] = text_fragment_link
    env.filters["names_by_kind"] = wording.names_by_kind
    env.filters["shortened"] = wording.shortened
    env.globals["class_in_words"] = wording.class_in_words
    env.globals["counts_in_words"] = wording.counts_in_words
    env.globals["failing_in_words"] = wording.failing_in_words
    env.globals["empty_baseline"] = wording.empty_baseline
    env.globals["plural"] = wording.plural
    env.globals["version"] = __version__
    return env


def _when(value: datetime | None, timezone: str = "UTC") -> str:
    if value is None:
        return "never"
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%B %Y, %H:%M} {local:%Z}"


def _day(value: datetime | None, timezone: str = "UTC") -> str:
    """A day as the reader's calendar has it (baseline dates are plain dates: leave them in UTC)."""
    return wording.day(value, timezone)


def _http_only(url: str) -> str:
    """Belt and braces: a link target that is not http(s) becomes empty (the template then shows text)."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def render_html(brief: Brief, templates_dir: Path | None = None, *, for_pdf: bool = False) -> str:
    """The brief as one self-contained HTML document (inline CSS and SVG, no scripts)."""
    return render_template(
        BRIEF_TEMPLATE,
        templates_dir,
        brief=brief,
        for_pdf=for_pdf,
        activity=activity_chart(brief.days, brief.activity),
        sources=sources_chart(brief.yields),
        tz=brief.timezone,
    )


def render_template(name: str, templates_dir: Path | None = None, **context: Any) -> str:
    """Render one of the templates; a template that does not fit the brief (for example a copy in
    `settings.templates_dir` made for an earlier version) is a `RenderError` naming it."""
    try:
        return environment(templates_dir).get_template(name).render(**context)
    except jinja2.TemplateError as e:
        where = _template_file(name, templates_dir)
        line = f", line {e.lineno}" if isinstance(e, jinja2.TemplateSyntaxError) else ""
        raise RenderError(
            f"template {where}{line}: {e.message or type(e).__name__}; compare it with the packaged "
            f"{packaged_templates() / name} (see CHANGELOG)"
        ) from e


def _template_file(name: str, templates_dir: Path | None) -> Path:
    if templates_dir is not None and (templates_dir / name).is_file():
        return templates_dir / name
    return packaged_templates() / name


def index_pages(
    briefs: Sequence[Listed], now: datetime, templates_dir: Path | None = None
) -> dict[str, bytes]:
    """The reports folder's index.html (every brief) and feed.xml (an Atom feed of briefs)."""
    return {
        name: render_template(name, templates_dir, briefs=briefs, now=now).encode()
        for name in ("index.html", "feed.xml")
    }


def email_html(
    brief: Brief, links: Sequence[tuple[str, str]], attachment_line: str, templates_dir: Path | None = None
) -> str:
    """The e-mail's HTML part (templates/email.html): the brief's first page, styled inline."""
    return render_template(
        "email.html", templates_dir, brief=brief, links=links, attachment_line=attachment_line
    )


@cache
def font_faces() -> str:
    """@font-face rules with the bundled fonts as data: URLs (the only URLs the PDF renderer accepts)."""
    folder = resources.files("briefing").joinpath("fonts")
    rules = []
    for family, weight, style, file in _FONTS:
        data = base64.b64encode(folder.joinpath(file).read_bytes()).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
            f'src: url("data:font/woff;base64,{data}") format("woff"); }}'
        )
    return "\n".join(rules)


def _weasyprint() -> Any:
    import warnings

    with warnings.catch_warnings():
        # Without the system's libharfbuzz-subset WeasyPrint warns on import; it still subsets fonts.
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
        import weasyprint

    return weasyprint


def deny_all_fetcher() -> Any:
    """WeasyPrint's URL fetcher, refusing every URL but data: (our embedded fonts), never redirecting."""
    _weasyprint()
    from weasyprint.urls import URLFetcher

    class DenyAllFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not url.startswith("data:"):
                log.info("refused to fetch %s while rendering", url[:120])
                raise ValueError(f"briefing renders no external resource: {url[:80]}")
            return super().fetch(url, headers)

    return DenyAllFetcher(allowed_protocols=["data"], allow_redirects=False)


def pdf_bytes(html: str, paper: str = "A4") -> bytes:
    """Render `html` to PDF bytes. Runs in a worker (see `workers.py`); fetches nothing.

    Raises `RenderError` when the document cannot be laid out (for example nesting too deep).
    """
    crash_point("during_render")
    document, options = _layout(html, paper)
    try:
        return bytes(document.write_pdf(**options))
    except RecursionError:
        raise RenderError("the document is nested too deeply to lay out") from None


def page_count(html: str, paper: str = "A4") -> int:
    """How many pages `html` makes as a PDF, laid out exactly as `pdf_bytes` lays it out."""
    return len(_layout(html, paper)[0].pages)


def _layout(html: str, paper: str) -> tuple[Any, dict[str, Any]]:
    """The laid-out WeasyPrint document and the options to write it with (tagged, compressed)."""
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    fetcher = deny_all_fetcher()
    page = f"@page {{ size: {'letter' if paper.lower() == 'letter' else 'A4'}; }}"
    fonts = FontConfiguration()  # @font-face rules only take effect through a shared FontConfiguration
    options = {"pdf_tags": True, "uncompressed_pdf": False}
    try:
        source = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
        css = font_faces() + "\n" + page
        stylesheets = [weasyprint.CSS(string=css, url_fetcher=fetcher, font_config=fonts)]
        return source.render(font_config=fonts, stylesheets=stylesheets, **options), options
    except RecursionError:
        raise RenderError("the document is nested too deeply to lay out") from None


def render_pdf(html: str, paper: str, *, timeout: float, memory_mb: int) -> bytes:
    """`pdf_bytes` in a worker process with a deadline and a memory limit; raises `RenderError`."""
    import asyncio

    from briefing.errors import ExtractError
    from briefing.workers import WorkerPool

    pool = WorkerPool(1, timeout, memory_mb)
    try:
        return asyncio.run(pool.run(pdf_bytes, html, paper))
    except ExtractError as e:
        raise RenderError(f"PDF rendering failed: {e}") from e
    finally:
        pool.close()
