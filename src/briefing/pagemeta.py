"""Title, authors, date and language of an article page, read from its JSON-LD and meta tags.

Publishers declare these for search engines and social cards (schema.org JSON-LD, Open Graph,
Highwire `citation_*`, Dublin Core), so reading the declarations is both cheaper than trafilatura's
metadata pass (about half its time on these pages) and at least as right on the pages measured in
`benchmarks/page_metadata.py`. The tree comes from `htmltext.parse_page`; this module only reads it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Types whose headline, author and date are the article's (a WebPage or Organization is not).
_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "report",
        "scholarlyarticle",
        "techarticle",
        "liveblogposting",
    }
)
_JSON_LD_BYTES = 300_000  # one script; a page's real JSON-LD is a few KB
_TITLE_META = ("og:title", "citation_title", "twitter:title", "dc.title", "parsely-title", "title")
_AUTHOR_META = (
    "citation_author",
    "author",
    "article:author",
    "dc.creator",
    "parsely-author",
    "sailthru.author",
    "byl",
)
_DATE_META = (
    "article:published_time",
    "citation_publication_date",
    "citation_date",
    "datepublished",
    "dc.date.issued",
    "dc.date",
    "date",
    "pubdate",
    "publishdate",
    "parsely-pub-date",
    "sailthru.date",
    "og:published_time",
    "published_time",
)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SLASH_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})")
_BY = re.compile(r"^\s*by\s+", re.IGNORECASE)
_NOT_A_NAME = re.compile(r"https?:|www\.|@|\.com\b|[<>{}|]")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{2})[/-](\d{2})(?:/|$|[^\d])")
_BYLINE = (
    '//*[@rel="author" or @itemprop="author" or contains(@class, "byline") or contains(@class, "author")]'
)
_ROLE_WORDS = re.compile(
    r"\b(editor|staff|reporter|correspondent|writer|columnist|fellow|director|professor|analyst|senior|"
    r"contributor|technologist|follow|team|desk|news|press|agency|updated|published)\b",
    re.IGNORECASE,
)
_BY_WORDS = re.compile(r"^\s*(by|von|par|de|door|por|di)\s+", re.IGNORECASE)
_SITE_SUFFIX = re.compile(r"\s+[|\u2013\u2014\u00b7:-]\s+[^|\u2013\u2014\u00b7]{2,40}$")


@dataclass(frozen=True)
class PageMeta:
    title: str
    authors: tuple[str, ...]
    date: str | None  # YYYY-MM-DD, as trafilatura gives it
    language: str | None


def page_metadata(tree: Any, url: str = "") -> PageMeta:
    """What the page declares about its article. `tree` is an lxml HTML element (or None); `url`
    gives a date when the page declares none but its address has one (/2026/11/20/)."""
    if tree is None:
        return PageMeta("", (), None, None)
    ld = list(_json_ld_articles(tree))
    meta = _meta_tags(tree)
    declared = [_text(o.get("headline")) or _text(o.get("name")) for o in ld]
    declared += [meta.get(k, "") for k in _TITLE_META]
    title = _without_site_name(_visible_title(tree, [d for d in declared if d]), meta)
    authors = _ld_authors(ld) or _meta_authors(tree) or _byline(tree)
    date = _first(_day(_text(o.get("datePublished") or o.get("dateCreated"))) for o in ld)
    date = date or _first(_day(meta.get(k, "")) for k in _DATE_META) or _time_element(tree) or _url_day(url)
    language = _first(_text(o.get("inLanguage")) for o in ld) or _language(tree, meta)
    return PageMeta(title.strip(), authors, date or None, language or None)


def _first(values: Iterator[str] | Any) -> str:
    for value in values:
        if value:
            return str(value)
    return ""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return _unescape(value)
    if isinstance(value, list) and value and isinstance(value[0], str):
        return _unescape(value[0])
    return ""


def _json_ld_articles(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        raw = script.text or ""
        if len(raw) > _JSON_LD_BYTES:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        yield from _article_objects(data, depth=0)


def _article_objects(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 6:  # hostile nesting; real graphs are two or three deep
        return
    if isinstance(data, list):
        for item in data[:200]:
            yield from _article_objects(item, depth + 1)
    elif isinstance(data, dict):
        kind = data.get("@type")
        kinds = kind if isinstance(kind, list) else [kind]
        if any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
            yield data
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in data:
                yield from _article_objects(data[key], depth + 1)


def _meta_tags(tree: Any) -> dict[str, str]:
    """First value of each <meta> by lower-cased name or property (the first is the page's own)."""
    found: dict[str, str] = {}
    for el in tree.xpath("//head//meta | //meta[@itemprop]"):
        key = (
            (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "")
            .strip()
            .lower()
        )
        value = _unescape(el.get("content") or "")
        if key and value and key not in found:
            found[key] = value
    return found


def _unescape(value: str) -> str:
    # Some templates escape twice, so the attribute still holds "&#8216;" after parsing.
    value = " ".join(value.split())
    return html.unescape(value) if "&" in value else value


def _ld_authors(objects: list[dict[str, Any]]) -> tuple[str, ...]:
    for o in objects:
        raw = o.get("author") or o.get("creator")
        items = raw if isinstance(raw, list) else [raw]
        names = [_text(i.get("name")) if isinstance(i, dict) else _text(i) for i in items[:20]]
        cleaned = _names(names)
        if cleaned:
            return cleaned
    return ()


def _meta_authors(tree: Any) -> tuple[str, ...]:
    # Every value of the first author key present: citation_author repeats once per author.
    for key in _AUTHOR_META:
        values = [
            " ".join((el.get("content") or "").split())
            for el in tree.xpath("//head//meta")
            if (el.get("name") or el.get("property") or "").strip().lower() == key
        ]
        cleaned = _names(v for part in values for v in re.split(r"\s*(?:,|;|\band\b|&)\s*", part))
        if cleaned:
            return cleaned
    return ()


def _names(values: Any) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        name = _BY.sub("", value or "").strip()
        if not name or len(name) > 80 or _NOT_A_NAME.search(name) or not re.search(r"[^\W\d_]", name):
            continue
        if name not in out:
            out.append(name)
    return tuple(out[:10])


def _day(value: str) -> str:
    """YYYY-MM-DD from an ISO or slashed date, or '' when there is none or it is not a real day."""
    value = value.strip()
    match = _ISO_DATE.search(value[:40]) or _SLASH_DATE.match(value)
    if not match:
        return ""
    try:
        day = datetime(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return ""
    return day.strftime("%Y-%m-%d") if 1990 <= day.year <= 2100 else ""


def _time_element(tree: Any) -> str:
    found = tree.xpath(
        '(//*[@itemprop="datePublished"] | //article//time[@datetime] | //time[@datetime])[position()<=3]'
    )
    for el in found:
        day = _day(el.get("content") or el.get("datetime") or "")
        if day:
            return day
    return ""


def _url_day(url: str) -> str:
    match = _URL_DATE.search(url)
    return _day("-".join(match.groups())) if match else ""


def _byline(tree: Any) -> tuple[str, ...]:
    """Names from the page's visible byline, the shortest first: "By A, Senior Editor" gives A."""
    texts = [" ".join(el.text_content().split()) for el in tree.xpath(_BYLINE)[:12]]
    for text in texts:
        if len(text) > 200:
            continue
        text = _BY_WORDS.sub("", re.split(r"\s[-|\u2013\u2014]\s|\d", text)[0])
        parts = [p.strip() for p in re.split(r",|;|\band\b|&|\bund\b|\bet\b", text)]
        names = [p for p in parts if _looks_like_name(p)]
        if names:
            return _names(names)
    return ()


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not _ROLE_WORDS.search(text)


def _visible_title(tree: Any, declared: list[str]) -> str:
    """The page's own headline when it is one of the declared titles, else the first declared one.

    Titles are sometimes rewritten for search or sharing; the <h1> is what a reader sees."""
    headings = [" ".join(h.text_content().split()) for h in tree.xpath("//h1")[:5]]
    headings = [h for h in headings if h]
    folded = {_fold(d) for d in declared}
    for heading in headings:
        if _fold(heading) in folded:
            return heading
    if declared:
        return declared[0]
    return headings[0] if len(headings) == 1 else _title_element(tree)


def _without_site_name(title: str, meta: dict[str, str]) -> str:
    """ "Headline - Le Grand Continent" without the site's name, when the page names its site."""
    site = meta.get("og:site_name") or meta.get("application-name") or ""
    for sep in (" - ", " | ", " \u2013 ", " \u2014 ", " · ", ": "):
        if site and title.casefold().endswith((sep + site).casefold()) and len(title) > len(site) + 10:
            return title[: -len(sep + site)].rstrip()
    return title


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _title_element(tree: Any) -> str:
    title = tree.xpath("//title")
    if not title:
        return ""
    text = " ".join(title[0].text_content().split())
    return _SITE_SUFFIX.sub("", text)


def _language(tree: Any, meta: dict[str, str]) -> str:
    lang = tree.get("lang") if hasattr(tree, "get") else None
    value = lang or meta.get("content-language") or meta.get("og:locale") or ""
    return value.strip().replace("_", "-")[:20]
