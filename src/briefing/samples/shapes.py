"""Sample feeds and pages in the exact shapes of the two publishers (see FORMATS.md). SAMPLE DATA.

No capture of either site could be obtained, so these render our own sample articles the way the sites'
software does: the Central Asia-Caucasus Analyst's Joomla + K2 (RSS 2.0 with only the atom namespace,
``email (Name)`` authors, the body as K2Feed* blocks in a CDATA description, local-offset pubDates; the
K2 item page) and the Atlantic Council's WordPress (feed-rss2.php with content:encoded and dc:creator,
``?p=N`` guids; the ac-single-post page template). Everything rendered is marked as sample data.
Used by the tests, the benchmarks and `briefing demo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from html import escape

SAMPLE_NOTE = "SAMPLE DATA written for briefing's tests and demo; not published by {publisher}."
CACI = "Central Asia-Caucasus Analyst"
AC = "Atlantic Council"


@dataclass(frozen=True)
class SampleArticle:
    """One sample article. `path` is the page's path on the publisher's site."""

    path: str
    title: str
    authors: tuple[str, ...]
    published: datetime
    paragraphs: tuple[str, ...]
    intro: str = ""
    categories: tuple[str, ...] = ()
    post_id: int = 0
    full_text_in_feed: bool = False
    series: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def url(self, base: str) -> str:
        return base.rstrip("/") + self.path


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _paras(paragraphs: Sequence[str]) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def k2_feed(
    base: str,
    section: str,
    section_title: str,
    items: Sequence[SampleArticle],
    built: datetime,
    full_text: bool = False,
) -> bytes:
    """A CACI section feed as Joomla's RssRenderer writes it for K2 (``/publications/<section>.feed``)."""
    base = base.rstrip("/")
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<!-- generator="Joomla! - Open Source Content Management" -->',
        f"<!-- {SAMPLE_NOTE.format(publisher=CACI)} -->",
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
        "\t<channel>",
        f"\t\t<title>{escape(section_title)}</title>",
        f"\t\t<description>{_cdata('SAMPLE DATA. The ' + CACI + ' is a biweekly publication.')}</description>",
        f"\t\t<link>{base}/publications/{section}.html</link>",
        f"\t\t<lastBuildDate>{format_datetime(built)}</lastBuildDate>",
        "\t\t<generator>Joomla! - Open Source Content Management</generator>",
        f'\t\t<atom:link rel="self" type="application/rss+xml" '
        f'href="{base}/publications/{section}.feed?format=feed&amp;type=rss"/>',
        "\t\t<language>en-gb</language>",
    ]
    for a in items:
        link = a.url(base)
        intro = a.intro or (a.paragraphs[0] if a.paragraphs else "")
        blocks = (
            f'<div class="K2FeedImage"><img src="{base}/media/k2/items/cache/sample_S.jpg" '
            f'alt="{escape(a.title)}" /></div>'
            f'<div class="K2FeedIntroText"><p>{escape(intro)}</p></div>'
        )
        if full_text:
            blocks += f'<div class="K2FeedFullText">{_paras(a.paragraphs)}</div>'
        author = a.authors[0] if a.authors else "CACI Analyst"
        out += [
            "\t\t<item>",
            f"\t\t\t<title>{escape(a.title)}</title>",
            f"\t\t\t<link>{escape(link)}</link>",
            f'\t\t\t<guid isPermaLink="true">{escape(link)}</guid>',
            f"\t\t\t<description>{_cdata(blocks)}</description>",
            f"\t\t\t<author>noreply@cacianalyst.org ({escape(author)})</author>",
            f"\t\t\t<category>{escape(section_title)}</category>",
            f"\t\t\t<pubDate>{format_datetime(a.published)}</pubDate>",
            "\t\t</item>",
        ]
    out += ["\t</channel>", "</rss>", ""]
    return "\n".join(out).encode("utf-8")


def k2_page(base: str, a: SampleArticle, section_title: str) -> bytes:
    """A CACI article page in the K2 item-view layout, with the site's furniture around it."""
    base = base.rstrip("/")
    author = a.authors[0] if a.authors else ""
    paragraphs = list(a.paragraphs)
    intro, rest = (a.intro, paragraphs) if a.intro else (paragraphs[0], paragraphs[1:])
    return f"""<!DOCTYPE html>
<html lang="en-gb" dir="ltr">
<head>
<meta charset="utf-8">
<title>{escape(a.title)}</title>
<meta name="author" content="{escape(author)}">
<meta name="description" content="{escape(intro[:150])}">
<!-- {SAMPLE_NOTE.format(publisher=CACI)} -->
</head>
<body class="site com_k2 view-item">
<div id="header"><a href="{base}/">The CACI Analyst</a>
<ul class="menu"><li><a href="{base}/publications/analytical-articles.html">Analytical Articles</a></li>
<li><a href="{base}/publications/feature-articles.html">Feature Articles</a></li>
<li><a href="{base}/publications/field-reports.html">Field Reports</a></li></ul></div>
<div id="k2Container" class="itemView">
<div class="itemHeader">
<span class="itemDateCreated">{a.published:%A, %d %B %Y %H:%M}</span>
<h2 class="itemTitle">{escape(a.title)}</h2>
<span class="itemAuthor">By <a rel="author" href="{base}/publications/itemlist/user/1.html">{escape(author)}</a></span>
</div>
<div class="itemBody">
<div class="itemImageBlock"><span class="itemImage"><img src="{base}/media/k2/items/cache/sample_L.jpg" alt="{escape(a.title)}"></span>
<span class="itemImageCredits">Credit: sample image</span></div>
<div class="itemIntroText"><p>{escape(intro)}</p></div>
<div class="itemFullText">{_paras(rest)}</div>
</div>
<div class="itemCategory">Published in <a href="{base}/publications/{a.extra.get("section", "analytical-articles")}.html">{escape(section_title)}</a></div>
<div class="itemTagsBlock"><span>Tagged under</span><ul class="itemTags">{"".join(f'<li><a href="{base}/publications/itemlist/tag/{escape(c)}.html">{escape(c)}</a></li>' for c in a.categories)}</ul></div>
</div>
<div id="footer">
<div class="moduletable"><h3>Visit also</h3><ul><li>silkroad</li><li>AFPC</li><li>isdp</li><li>turkeyanalyst</li></ul></div>
<div class="moduletable"><h3>Newsletter</h3><p>Sign up for upcoming events, latest news, and articles from the CACI Analyst.</p></div>
<p>SAMPLE DATA. The Central Asia-Caucasus Analyst is a biweekly publication of the Central Asia-Caucasus Institute &amp; Silk Road Studies Program.</p>
</div>
</body>
</html>
""".encode()


def wordpress_feed(
    base: str,
    title: str,
    feed_path: str,
    items: Sequence[SampleArticle],
    built: datetime,
    full_text: bool = True,
) -> bytes:
    """An Atlantic Council feed as WordPress's feed-rss2.php writes it."""
    base = base.rstrip("/")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"',
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"',
        '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"',
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"',
        '\txmlns:atom="http://www.w3.org/2005/Atom"',
        '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"',
        '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"',
        "\t>",
        f"<!-- {SAMPLE_NOTE.format(publisher=AC)} -->",
        "<channel>",
        f"\t<title>{escape(title)}</title>",
        f'\t<atom:link href="{base}{feed_path}" rel="self" type="application/rss+xml" />',
        f"\t<link>{base}/</link>",
        "\t<description>SAMPLE DATA. Shaping the global future together</description>",
        f"\t<lastBuildDate>{format_datetime(built)}</lastBuildDate>",
        "\t<language>en-US</language>",
        "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>",
        "\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>",
        "\t<generator>https://wordpress.org/?v=6.8.3</generator>",
    ]
    for a in items:
        link = a.url(base)
        excerpt = a.intro or (a.paragraphs[0] if a.paragraphs else "")
        out += [
            "\t<item>",
            f"\t\t<title>{escape(a.title)}</title>",
            f"\t\t<link>{escape(link)}</link>",
            f"\t\t<dc:creator>{_cdata(a.authors[0] if a.authors else 'Atlantic Council')}</dc:creator>",
            f"\t\t<pubDate>{format_datetime(a.published)}</pubDate>",
            *(f"\t\t<category>{_cdata(c)}</category>" for c in a.categories),
            f'\t\t<guid isPermaLink="false">{base}/?p={a.post_id}</guid>',
            f"\t\t<description>{_cdata(escape(excerpt[:300]) + ' [&#8230;]')}</description>",
        ]
        if full_text or a.full_text_in_feed:
            out.append(f"\t\t<content:encoded>{_cdata(_paras(a.paragraphs))}</content:encoded>")
        out.append("\t</item>")
    out += ["\t</channel>", "</rss>", ""]
    return "\n".join(out).encode("utf-8")


def ac_page(base: str, a: SampleArticle) -> bytes:
    """An Atlantic Council article page in the ac-single-post template, with site furniture."""
    base = base.rstrip("/")
    experts = "".join(
        f'<a class="gta-site-banner--tax--expert" href="{base}/expert/{escape(n.lower().replace(" ", "-"))}/">'
        f"{escape(n)}</a>"
        for n in a.authors
    )
    return f"""<!doctype html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(a.title)} - Atlantic Council</title>
<meta property="og:title" content="{escape(a.title)}">
<meta property="article:published_time" content="{a.published.isoformat()}">
<meta name="author" content="{escape(", ".join(a.authors))}">
<!-- {SAMPLE_NOTE.format(publisher=AC)} -->
</head>
<body class="post-template-default single single-post">
<header class="ac-header"><nav><ul><li><a href="{base}/programs/">Programs</a></li><li><a href="{base}/issue/">Issues</a></li>
<li><a href="{base}/region/">Regions</a></li><li><a href="{base}/support/">Support</a></li></ul></nav></header>
<main id="main">
<article class="ac-single-post">
<div class="ac-single-post--marquee">
<p class="ac-single-post--marquee--expert-author"><span><a href="{base}/category/blogs/new-atlanticist/">{escape(a.series or "New Atlanticist")}</a></span> by {experts}</p>
<h2 class="ac-single-post--marquee--title">{escape(a.title)}</h2>
<p class="ac-single-post--marquee--heading--date">{a.published:%B} {a.published.day}, {a.published:%Y}</p>
</div>
<div class="ac-single-post--content">
{_paras(a.paragraphs)}
<p><em>{"".join(escape(n) + " is a sample author. " for n in a.authors)}</em></p>
</div>
</article>
<aside class="ac-related"><h3>Related content</h3><ul><li><a href="{base}/blogs/new-atlanticist/">More from New Atlanticist</a></li></ul></aside>
<section class="ac-newsletter"><h3>Stay connected</h3><p>Sign up for our newsletter to receive the latest analysis.</p></section>
</main>
<footer class="ac-footer"><p>SAMPLE DATA. &copy; Atlantic Council sample page.</p></footer>
</body>
</html>
""".encode()


def stub_page(base: str, a: SampleArticle) -> bytes:
    """What a bot-protection layer serves instead of the article: no article text at all."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Just a moment...</title>
<!-- SAMPLE DATA: a bot-check page standing in for {escape(a.url(base))} -->
</head><body><div class="main-wrapper"><h1>Checking your browser before accessing the site.</h1>
<p>Please verify you are a human. Enable JavaScript and cookies to continue.</p></div></body></html>
""".encode()
