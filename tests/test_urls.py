"""Canonical links: the same article under www/bare host, http/https or tracking parameters is one link."""

from __future__ import annotations

import pytest

from briefing.urls import canonical_url, host_of, is_http_url


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.cacianalyst.org/publications/analytical-articles/item/13917-x.html",
        "http://cacianalyst.org/publications/analytical-articles/item/13917-x.html",
        "https://WWW.CACIANALYST.ORG:443/publications/analytical-articles/item/13917-x.html#comments",
        "https://cacianalyst.org/publications/analytical-articles/item/13917-x.html?utm_source=rss&utm_medium=rss",
        "https://cacianalyst.org/publications/analytical-articles/item/13917-x.html?fbclid=abc",
    ],
)
def test_variants_of_one_article_share_a_canonical_link(variant: str) -> None:
    assert (
        canonical_url(variant) == "https://cacianalyst.org/publications/analytical-articles/item/13917-x.html"
    )


def test_meaningful_query_and_path_case_are_kept() -> None:
    assert canonical_url("https://a.example/p?b=2&a=1&utm_campaign=x") == "https://a.example/p?a=1&b=2"
    assert canonical_url("https://a.example/Path") != canonical_url("https://a.example/path")
    assert canonical_url("https://a.example:8443") == "https://a.example:8443/"


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "mailto:x@y.z",
        "ftp://a.example/",
        "",
        "//a.example/x",
        "http://[::1",
    ],
)
def test_non_http_links_have_no_canonical_form(bad: str) -> None:
    assert canonical_url(bad) == ""
    assert not is_http_url(bad)


def test_host_of() -> None:
    assert host_of("https://Www.Example.org:8080/x") == "www.example.org"
    assert host_of("not a url") == ""
