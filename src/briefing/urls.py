"""URL helpers: the http(s) allowlist and the canonical form used to recognise the same article."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that only track the click; dropping them cannot change the page.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "cmpid",
        "ncid",
        "sr_share",
    }
)


# Characters a link may not carry as they are: controls, spaces, bidi controls (RFC 3987 section 4.1).
_UNSAFE_IN_LINK = re.compile("[\x00-\x20\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_link(url: str) -> str:
    """A link from a feed as a browser reads it (surrounding whitespace, tabs and line breaks dropped),
    with the characters above percent-encoded: it points to the same place, and a terminal or log that
    shows it shows only text."""
    url = url.strip().replace("\t", "").replace("\n", "").replace("\r", "")
    return _UNSAFE_IN_LINK.sub(lambda m: quote(m.group(0), safe=""), url)


def is_http_url(url: str | None) -> bool:
    """True for an absolute http:// or https:// URL with a host."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def host_of(url: str) -> str:
    """The lower-cased host of a URL, or '' when it has none."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def canonical_url(url: str) -> str:
    """The form of `url` used to decide whether two links name the same article.

    Scheme folded to https, host lower-cased without a leading ``www.``, default port, fragment and
    tracking parameters (utm_*, fbclid, ...) dropped, the remaining query sorted. Returns '' for
    anything that is not an http(s) URL, so such links never match each other.
    """
    if not is_http_url(url):
        return ""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        return ""
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING_PARAMS
    )
    return urlunsplit(("https", netloc, parts.path or "/", urlencode(query), ""))


_FRAGMENT_WORDS = 4  # words of each end of a quote in its text fragment


def text_fragment_link(url: str, quote_text: str) -> str:
    """`url` with a text fragment (`#:~:text=start,end`) that scrolls a browser to the quoted sentence
    and highlights it, so a quote's link carries its position. Words are percent-encoded, `-`, `,` and
    `&` included, as the fragment's syntax needs. A URL that is not http(s) gives ""."""
    if not is_http_url(url):
        return ""
    words = quote_text.split()
    if not words:
        return url

    def part(chosen: list[str]) -> str:
        return quote(" ".join(chosen), safe="").replace("-", "%2D")

    if len(words) <= 2 * _FRAGMENT_WORDS:
        directive = part(words)
    else:
        directive = f"{part(words[:_FRAGMENT_WORDS])},{part(words[-_FRAGMENT_WORDS:])}"
    # After an existing fragment the directive follows it; after an existing directive, another text=.
    if ":~:" in url.partition("#")[2]:
        return f"{url}&text={directive}"
    return f"{url}{'' if '#' in url else '#'}:~:text={directive}"
