"""OPML in and out: subscription lists exchanged with other feed readers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from briefing.errors import ConfigError
from briefing.htmltext import clean_line
from briefing.models import FeedSource
from briefing.urls import clean_link, is_http_url


@dataclass(frozen=True)
class OpmlFeed:
    title: str
    url: str
    category: str = ""


def read_opml(data: bytes, source: str) -> list[OpmlFeed]:
    """Feeds listed in an OPML document (outlines with an xmlUrl), with their folder as category.

    Raises `ConfigError` naming `source` when the document is not OPML.
    """
    try:
        root = ET.fromstring(data)  # noqa: S314 - expat refuses entity expansion bombs
    except ET.ParseError as e:
        raise ConfigError(source, [f"not a valid OPML file: {e}"]) from e
    if root.tag.lower() != "opml" or root.find("body") is None:
        raise ConfigError(source, ["not an OPML file (no <opml><body>)"])
    body = root.find("body")
    assert body is not None
    out: list[OpmlFeed] = []
    # Depth first in document order, without recursion: a file nested 100,000 deep is only a file.
    stack: list[tuple[ET.Element, str]] = [(o, "") for o in reversed(body.findall("outline"))]
    while stack:
        outline, category = stack.pop()
        url = clean_link(outline.get("xmlUrl") or outline.get("xmlurl") or "")
        title = clean_line(outline.get("title") or outline.get("text") or "")
        if url:
            out.append(OpmlFeed(title or url, url, category))
        inner = category if url else title
        stack.extend((o, inner) for o in reversed(outline.findall("outline")))
    return out


def write_opml(feeds: Iterable[FeedSource], title: str = "briefing feeds") -> str:
    """An OPML 2.0 document listing `feeds`."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for f in feeds:
        ET.SubElement(
            body,
            "outline",
            type="rss",
            text=f.title or f.name,
            title=f.title or f.name,
            xmlUrl=f.url,
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def new_sources(
    found: Sequence[OpmlFeed], existing: Sequence[FeedSource]
) -> tuple[list[FeedSource], list[str]]:
    """Feed entries for the OPML feeds not configured yet, with unique names; plus one note per skip."""
    names = {f.name.lower() for f in existing}
    urls = {f.url for f in existing}
    added: list[FeedSource] = []
    notes: list[str] = []
    for item in found:
        if not is_http_url(item.url):
            notes.append(f"skipped {item.title!r}: {item.url!r} is not an http(s) URL")
            continue
        if item.url in urls:
            notes.append(f"skipped {item.title!r}: already configured")
            continue
        base = slug(item.title) or "feed"
        name, n = base, 2
        while name.lower() in names:
            name, n = f"{base}-{n}", n + 1
        names.add(name.lower())
        urls.add(item.url)
        tags = (slug(item.category),) if item.category else ()
        added.append(FeedSource(name=name, url=item.url, title=item.title, tags=tags))
    return added, notes


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
