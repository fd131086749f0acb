"""Feed bytes -> FeedUpdate with normalised entries. The only feedparser import.

feedparser always receives bytes, never a URL or path (it would fetch URLs without a timeout and open
local files). Both publishers' shapes are handled: Joomla/K2 (author as ``email (Name)``, body in
``description`` wrapped in K2Feed* blocks) and WordPress (``content:encoded``, ``dc:creator``).
"""

from __future__ import annotations

import calendar
import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from briefing.errors import FeedError
from briefing.htmltext import (
    TITLE_CHARS,
    clean_labels,
    decode_by_bom,
    html_to_text,
    normalise_text,
    shorten,
)
from briefing.models import Entry, FeedUpdate
from briefing.urls import canonical_url, clean_link

# Bozo causes that mean "the server mislabelled the encoding or type", not "the XML is broken".
_HARMLESS_BOZO = ("CharacterEncodingOverride", "NonXMLContentType")
# K2 wraps the image and the tag list in their own blocks; neither is article text.
_K2_FURNITURE = frozenset({"K2FeedImage", "K2FeedTags", "K2FeedAttachments", "K2FeedVideo"})
# The footer many WordPress SEO plugins append to every item.
_APPEARED_FIRST = re.compile(r"\n*The post .{1,400} appeared first on .{1,200}\.?\s*$", re.DOTALL)
_ITEM_START = re.compile(rb"<(?:item|entry)[\s>]")
_ITEM_END = re.compile(rb"</(?:item|entry)\s*>")
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>")
_SAFE_ENTITY = re.compile(rb'<!ENTITY\s+[\w.-]+\s+"[^&%"]*"\s*>')
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
# A date this far ahead of our clock is a broken feed clock, not a scheduled post.
_FUTURE_SLACK = timedelta(minutes=10)


_DECLARED_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def _by_bom(body: bytes) -> bytes | None:
    """UTF-8 bytes of a body that starts with a byte order mark, else None.

    The mark outranks the HTTP charset and the XML declaration (WHATWG "BOM sniff"); feedparser would
    believe a declaration that contradicts it and fail, so the body is decoded here and the declaration
    rewritten to match.
    """
    text = decode_by_bom(body)
    if text is None:
        return None
    return _DECLARED_ENCODING.sub(rb"\1\2utf-8\2", text.encode("utf-8"), count=1)


def parse_feed(
    body: bytes, *, url: str, content_type: str = "", max_entries: int = 50, now: datetime
) -> FeedUpdate:
    """Parse a feed body.

    Returns the newest `max_entries` entries (the number dropped is reported). A malformed feed keeps
    what parsed and is marked `degraded` with the cause. Raises `FeedError` for an empty body or a
    document that is not a feed at all (for example an HTML page).
    """
    if not isinstance(body, bytes):
        raise TypeError("parse_feed takes bytes; feedparser would treat a str as a URL or path")
    if not body.strip():
        raise FeedError("empty response body: the server sent no feed")
    recoded = _by_bom(body)  # first: the byte-level steps below assume an ASCII-compatible body
    body = recoded if recoded is not None else body
    # A newline printed by a plugin before <?xml makes the XML invalid; real WordPress sites do this.
    stripped = body.lstrip(b" \t\r\n")
    if stripped.startswith(b"<?xml"):
        body = stripped
    body = _defuse_char_refs(_defuse_entities(body))
    body, total_items = _first_items(body, max(4 * max_entries, 100))
    headers = {"content-location": url}
    if recoded is None and "charset" in content_type.lower():
        # Without a charset, feedparser applies RFC 3023 (text/xml means us-ascii) and misreads UTF-16
        # feeds; RFC 7303 and every browser let the BOM and XML declaration decide instead.
        headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True)
    except Exception as e:  # a parser bug on hostile input fails this feed, not the run
        raise FeedError(f"feed parser failed: {type(e).__name__}: {_one_line(str(e))}") from e
    version = parsed.get("version") or ""
    raw_entries = list(parsed.get("entries") or [])
    degraded = None
    if parsed.get("bozo"):
        cause = parsed.get("bozo_exception")
        name = type(cause).__name__
        if name not in _HARMLESS_BOZO:
            degraded = f"malformed feed ({name}: {_one_line(str(cause))})"
    if not version and not raw_entries:
        if degraded:
            raise FeedError(f"not a feed: {degraded}")
        raise FeedError("not a feed: the response is not RSS or Atom (is the URL a web page?)")
    feed = parsed.get("feed") or {}
    # Normalising is the costly part: choose the newest first, then normalise only those.
    order = sorted(range(len(raw_entries)), key=lambda i: _sort_key(raw_entries[i], now), reverse=True)
    kept = _entries([raw_entries[i] for i in sorted(order[:max_entries])], url, now)
    kept.sort(key=lambda e: e.published or datetime.min.replace(tzinfo=UTC), reverse=True)
    return FeedUpdate(
        version=version,
        title=shorten(_plain(feed.get("title_detail"), feed.get("title", "")), TITLE_CHARS),
        link=clean_link(feed.get("link", "") or ""),
        entries=tuple(kept),
        degraded=degraded,
        dropped_over_limit=max(total_items, len(raw_entries)) - len(kept),
    )


def _sort_key(raw: Any, now: datetime) -> datetime:
    return _date(raw, now) or datetime.min.replace(tzinfo=UTC)


def _first_items(body: bytes, limit: int) -> tuple[bytes, int]:
    """Cut a feed after its first `limit` items, closing the document; returns (body, items seen).

    feedparser needs about half a millisecond per item, so a valid 50,000-item feed would take half a
    minute; publishers list newest first, so the items kept are the ones a brief can use.
    """
    count = len(_ITEM_START.findall(body))
    if count <= limit:
        return body, count
    end = next((m for i, m in enumerate(_ITEM_END.finditer(body), 1) if i == limit), None)
    if end is None:  # more openings than closings: not a shape we can cut safely
        return body, count
    cut = end.end()
    head = body[:400].lower()
    closing = (
        b"</feed>" if b"<feed" in head else b"</rdf:RDF>" if b"<rdf:rdf" in head else b"</channel></rss>"
    )
    return body[:cut] + closing, count


def _entries(raw_entries: list[Any], feed_url: str, now: datetime) -> list[Entry]:
    out: list[Entry] = []
    guid_links: dict[str, str] = {}
    for raw in raw_entries:
        url = clean_link(raw.get("link") or "")
        canonical = canonical_url(url)
        title = shorten(_plain(raw.get("title_detail"), raw.get("title", "")), TITLE_CHARS)
        text = _entry_text(raw)
        content_hash = _hash(title, text)
        guid = (raw.get("id") or "").strip() or None
        key = entry_key(guid, canonical, content_hash)
        if guid is not None:
            # Some CMSs reuse one guid for several items; the first keeps it (as Miniflux does).
            first = guid_links.setdefault(guid, canonical)
            if first != canonical:
                key = f"guid:{guid}|{canonical or content_hash}"
        out.append(
            Entry(
                key=key,
                guid=guid,
                url=url,
                canonical_url=canonical,
                title=title,
                authors=clean_labels(_authors(raw)),
                categories=clean_labels(t.get("term") or "" for t in raw.get("tags") or []),
                published=_date(raw, now),
                text=text,
                content_hash=content_hash,
            )
        )
    return out


def _defuse_entities(body: bytes) -> bytes:
    """Drop entity declarations other than plain literals.

    feedparser strips nested and external entities only when each declaration starts a line; on one
    line they reach expat, which expands megabytes before its amplification limit stops it. The whole
    body is scanned, since a comment can hide where the prolog ends.
    """
    if b"<!ENTITY" not in body:
        return body
    return _ENTITY_DECL.sub(lambda m: m.group(0) if _SAFE_ENTITY.fullmatch(m.group(0)) else b"", body)


def _defuse_char_refs(body: bytes) -> bytes:
    """Replace character references to no character (a surrogate, past U+10FFFF) by U+FFFD.

    feedparser's loose parser calls chr() on them unguarded, and one such reference in one item would
    lose the whole feed. U+FFFD is what an HTML parser makes of them.
    """
    if b"&#" not in body:
        return body

    def replace(m: re.Match[bytes]) -> bytes:
        digits = (m.group(1) or m.group(2)).lstrip(b"0")
        code = 0x110000 if len(digits) > 8 else int(digits or b"0", 16 if m.group(1) else 10)
        return b"&#xFFFD;" if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF else m.group(0)

    return _CHAR_REF.sub(replace, body)


def entry_key(guid: str | None, canonical: str, content_hash: str) -> str:
    """An entry's identity within its feed: guid, else canonical link, else a hash of its content."""
    if guid:
        return f"guid:{guid}"
    if canonical:
        return f"link:{canonical}"
    return f"hash:{content_hash}"


def _entry_text(raw: Any) -> str:
    candidates = [c for c in raw.get("content") or [] if c.get("value")]
    if raw.get("summary_detail"):
        candidates.append(raw["summary_detail"])
    elif raw.get("summary"):
        candidates.append({"type": "text/html", "value": raw["summary"]})
    texts = [_plain(c, c.get("value", "")) for c in candidates]
    text = max(texts, key=len, default="")
    return _APPEARED_FIRST.sub("", text).strip()


def _plain(detail: Any, fallback: str) -> str:
    """Text of a feedparser text construct; markup in text/plain fields is kept as literal text."""
    value = (detail or {}).get("value", fallback) or ""
    kind = (detail or {}).get("type", "text/html")
    if kind == "text/plain":
        return normalise_text(value)
    return html_to_text(value, drop_classes=_K2_FURNITURE)


def _authors(raw: Any) -> list[str]:
    """The entry's author names as the feed gives them, e-mail addresses left out (`clean_labels`
    cleans them and drops repeats)."""
    names = [n for a in raw.get("authors") or [] if (n := a.get("name") or "").strip() and "@" not in n]
    if not names and raw.get("author"):
        # "email (Name)" that feedparser could not split, or a bare name
        m = re.search(r"\(([^()]+)\)\s*$", raw["author"])
        name = m.group(1) if m else raw["author"]
        if name.strip() and "@" not in name:
            names.append(name)
    return names


def _date(raw: Any, now: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(key)
        if value:
            try:
                when = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
            return None if when > now + _FUTURE_SLACK else when
    return None


def _hash(title: str, text: str) -> str:
    normal = " ".join((title + "\n" + text).lower().split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:32]


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
