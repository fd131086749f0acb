"""The load generator the benchmarks and the crash test use (SAMPLE DATA)."""

from __future__ import annotations

import re

import httpx

from briefing.samples.load import PAGE_BYTES, build_site
from briefing.samples.server import LoopbackServer


def test_pages_weigh_what_real_pages_weigh_in_both_shapes(server: LoopbackServer) -> None:
    site = build_site(server, feeds=2, items=12)
    sizes, links = [], []
    for url in site.feed_urls:
        for page in re.findall(r"<link>(http[^<]+/[^<]*)</link>", httpx.get(url).text)[1:]:
            body = httpx.get(page).content
            sizes.append(len(body))
            links.append(body.count(b"<a "))
    assert len(sizes) == 24 and sum(sizes) == site.page_bytes
    low, high = PAGE_BYTES
    assert all(low * 0.9 <= s <= high * 1.05 for s in sizes), sizes
    assert min(sizes) < low + (high - low) / 3 and max(sizes) > high - (high - low) / 3  # spread out
    assert all(20 <= n <= 300 for n in links), links  # like the real pages in the fixtures
