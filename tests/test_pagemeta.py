"""Title, authors, date and language read from a page's JSON-LD, meta tags and byline (`pagemeta`)."""

from __future__ import annotations

import json

import pytest

from briefing.extract import extract_page
from briefing.htmltext import decode_html, parse_page
from briefing.pagemeta import page_metadata
from conftest import FIXTURES, needs_fixtures

BODY = (
    "<p>" + " ".join(["The corridor opened to freight in November after two years of talks."] * 12) + "</p>"
)


def meta_of(
    head: str, body: str = BODY, url: str = ""
) -> tuple[str, tuple[str, ...], str | None, str | None]:
    page = page_metadata(parse_page(f"<html lang='en'><head>{head}</head><body>{body}</body></html>"), url)
    return page.title, page.authors, page.date, page.language


def test_json_ld_article_wins_over_the_meta_tags() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Site home"},
            {
                "@type": ["NewsArticle"],
                "headline": "Baku and Yerevan sign the transit protocol",
                "author": [{"@type": "Person", "name": "Ana Beridze"}, {"name": "Rustam Aliyev"}],
                "datePublished": "2026-11-20T09:30:00+04:00",
            },
        ],
    }
    head = (
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        '<meta property="og:title" content="Transit protocol | Site">'
        '<meta name="author" content="Someone Else">'
    )
    assert meta_of(head) == (
        "Baku and Yerevan sign the transit protocol",
        ("Ana Beridze", "Rustam Aliyev"),
        "2026-11-20",
        "en",
    )


def test_meta_tags_when_there_is_no_json_ld() -> None:
    head = (
        '<meta property="og:title" content="Mexico&amp;#8217;s tariffs">'
        '<meta name="citation_author" content="Doe, Jane"><meta name="citation_author" content="Ivan Petrov">'
        '<meta property="article:author" content="https://example.org/people/x">'
        '<meta property="article:published_time" content="2026-11-02">'
    )
    title, authors, date, _ = meta_of(head)
    assert title == "Mexico\u2019s tariffs"  # escaped twice by the template, read once more
    assert "Ivan Petrov" in authors and not any("http" in a for a in authors)
    assert date == "2026-11-02"


def test_visible_headline_and_byline_when_declarations_differ_or_are_missing() -> None:
    head = '<meta property="og:title" content="Shared title"><title>Real headline | The Site</title>'
    body = (
        '<h1>Real headline</h1><div class="byline">By Lena Sargsyan, Senior Fellow - 3 March 2026</div>'
        + BODY
    )
    title, authors, date, _ = meta_of(head, body, url="https://example.org/2026/03/03/real-headline/")
    assert title == "Shared title"  # the h1 is not among the declared titles: keep the declared one
    assert authors == ("Lena Sargsyan",)
    assert date == "2026-03-03"  # from the address
    title, *_ = meta_of('<meta property="og:title" content="Real headline">', body)
    assert title == "Real headline"
    title, *_ = meta_of("<title>Only a title | The Site</title>", BODY)
    assert title == "Only a title"


@pytest.mark.parametrize(
    "script",
    [
        "{not json",
        "[" * 5000 + "]" * 5000,
        json.dumps({"@type": "Article", "headline": "x" * 10, "pad": "y" * 400_000}),
        json.dumps({"@type": "Article", "author": {"name": "<script>alert(1)</script>"}}),
        json.dumps({"@type": "Article", "datePublished": "2026-02-31"}),
    ],
)
def test_hostile_json_ld_is_skipped_not_fatal(script: str) -> None:
    title, authors, date, _ = meta_of(
        f'<script type="application/ld+json">{script}</script><title>Kept</title>'
    )
    assert title in ("Kept", "x" * 10) and title != "x" * 10  # the oversized script is not read
    assert authors == () and date is None


def test_extraction_reports_the_declared_metadata_with_trafilatura_text() -> None:
    head = (
        '<meta property="og:title" content="The corridor opens">'
        '<meta name="author" content="Ana Beridze and Rustam Aliyev">'
        '<meta property="article:published_time" content="2026-11-20T09:30:00Z">'
    )
    markup = f"<html lang='en'><head>{head}</head><body><article><h1>The corridor opens</h1>{BODY}</article></body></html>"
    page = extract_page(markup.encode(), "text/html; charset=utf-8", "https://example.org/a")
    assert page is not None
    assert (page.title, page.authors, page.date, page.language) == (
        "The corridor opens",
        ("Ana Beridze", "Rustam Aliyev"),
        "2026-11-20",
        "en",
    )
    assert page.text.startswith("The corridor opened to freight")


@needs_fixtures("real-pages", "standins")
@pytest.mark.parametrize(
    "name",
    ["bostonherald-wordpress64-en", "kas-country-report-de", "legrandcontinent-geopolitics-wordpress-fr"],
)
def test_real_pages_give_their_recorded_title_and_author(name: str) -> None:
    folder = FIXTURES / "real-pages" / "standins"
    truth = json.loads((folder / f"{name}.expected.json").read_text())
    page = page_metadata(parse_page(decode_html((folder / f"{name}.html").read_bytes())), truth["url"])
    assert " ".join(page.title.split()).casefold() == " ".join(truth["title"].split()).casefold()
    if name != "legrandcontinent-geopolitics-wordpress-fr":  # its author is only a link to a staff page
        first_author = truth["author"].split(",")[0].casefold()
        assert any(a.casefold() == first_author for a in page.authors), page.authors
