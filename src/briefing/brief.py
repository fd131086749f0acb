"""Assemble a period's brief from the analysis and the store: what a reader gets, in reading order.

The week in brief first (one line per key development: its lead fact, source, date and class), then the
entries by watch topic and story (why each is here, its lead and at most three further facts, new names),
continuing coverage (repeats), feed health and what each source brought, the method, and an appendix of
everything left out with the reason. Only text and http(s) links go into a brief; nothing third-party is
kept as markup.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from briefing.config import Config
from briefing.models import (
    Article,
    Brief,
    BriefCounts,
    BriefEntry,
    Dropped,
    FeedHealth,
    Finding,
    KeyItem,
    Mention,
    Method,
    NameMention,
    Quote,
    RepeatItem,
    Revision,
    Section,
    SourceActivity,
    SourceHealth,
    SourceYield,
    StoryGroup,
    WatchedName,
    name_forms,
)
from briefing.period import Period
from briefing.urls import is_http_url

OTHER = "Other stories"
MAX_FACTS = 3  # further new facts per entry, after the lead
# The section labels of the Central Asia-Caucasus Analyst's articles; never "NATO: " or "BAKU: ".
_LABEL = re.compile(r"(?:BACKGROUND|IMPLICATIONS|CONCLUSIONS?):\s+(?=\S)")
_USUAL_WEEKS = 8
_FAILED = frozenset(
    {"no_text", "boilerplate", "short", "fetch_error", "timeout", "crashed", "memory", "failed"}
)


def _interleave(new: list[Finding], developments: list[Finding]) -> list[Finding]:
    """New stories and developments alternately, each by score: their scores measure different things
    (everything is new in a new story), so neither class crowds the other out of the key items."""
    out: list[Finding] = []
    for i in range(max(len(new), len(developments))):
        out += new[i : i + 1] + developments[i : i + 1]
    return out


def safe_url(url: str) -> str:
    """The URL if it is http(s), else "" (so it is shown as text, never as a link)."""
    return url.strip() if is_http_url(url) else ""


def assemble(
    config: Config,
    period: Period,
    findings: Sequence[Finding],
    articles: dict[int, Article],
    others: Sequence[Article],
    health: Sequence[FeedHealth],
    history: Sequence[Article],
    method: Method,
    now: datetime,
    *,
    sample: bool = False,
    mentions: Sequence[NameMention] = (),
    revisions: Sequence[Revision] = (),
) -> Brief:
    """The brief for `period`.

    `articles` are the analysed articles by id; `others` the period's excluded or refused entries (for
    the appendix); `history` the articles of the weeks before (for usual rates); `mentions` the sentences
    that mention the watched names (`topics[].names`); `revisions` the changes found during the period.
    """
    report = config.report
    by_kind: dict[str, list[Finding]] = {k: [] for k in ("new", "development", "repeat", "duplicate")}
    for f in findings:
        by_kind[f.kind].append(f)

    def rank(f: Finding) -> tuple[float, tuple[datetime, str, str, int]]:
        return (-f.score, articles[f.article_id].time_order)  # equal scores: what the feeds said, not ids

    ranked = _interleave(sorted(by_kind["new"], key=rank), sorted(by_kind["development"], key=rank))
    # What the analyst marked important comes first, in the key developments and in its section.
    ranked = [f for f in ranked if f.important] + [f for f in ranked if not f.important]
    shown, cut = ranked[: report.max_entries], ranked[report.max_entries :]
    entries = {f.article_id: _entry(f, articles, config) for f in shown}
    key = [key_item(entries[f.article_id]) for f in shown[: report.key_items]]
    # Store ids follow the order concurrent feeds were stored in: order by what the feeds said instead.
    duplicates = sorted(by_kind["duplicate"], key=lambda f: articles[f.article_id].time_order)
    dropped = [_duplicate(f, articles) for f in duplicates]
    dropped += [
        Dropped(
            f.title,
            safe_url(f.url),
            _publisher(articles[f.article_id]),
            "below the cut",
            f"ranked below the {report.max_entries} entries shown in full",
        )
        for f in cut
    ]
    dropped += [_refused(a) for a in sorted(others, key=lambda a: a.time_order)]
    counts = BriefCounts(
        articles=len(findings),
        new=len(by_kind["new"]),
        developments=len(by_kind["development"]),
        repeats=len(by_kind["repeat"]),
        duplicates=len(by_kind["duplicate"]),
        sources=len({a.feed for a in articles.values()}),
    )
    days = _days(period)
    return Brief(
        title=report.title,
        period_label=period.label,
        period_text=period.describe(),
        period_start=period.start,
        period_end=period.end,
        timezone=period.timezone,
        generated=now,
        sample=sample,
        counts=counts,
        key=tuple(key),
        sections=_sections(config, shown, entries, period),
        repeats=tuple(_repeat(f, articles) for f in sorted(by_kind["repeat"], key=lambda f: -f.score)),
        dropped=tuple(dropped),
        health=tuple(
            _health(config, h, articles, history, period)
            for h in health
            if h.enabled or any(a.feed == h.name for a in articles.values())
        ),
        days=tuple(d.isoformat() for d in days),
        activity=_activity(articles, days, period.timezone),
        yields=_yields(findings, articles),
        method=method,
        paper=report.paper,
        watched=_watched(config, mentions, findings, articles),
        revised=tuple(dataclasses.replace(r, url=safe_url(r.url)) for r in revisions),
    )


def _watched(
    config: Config, mentions: Sequence[NameMention], findings: Sequence[Finding], articles: dict[int, Article]
) -> tuple[WatchedName, ...]:
    """Each watched name with every mention of the period, oldest first; a duplicate copy of an article
    is left out (its best copy is there)."""
    by_id = {f.article_id: f for f in findings}
    out = []
    for topic in config.topics:
        for watched in topic.names:
            shown = []
            for m in mentions:
                f = by_id.get(m.article_id)
                if m.watched != watched or f is None or f.kind == "duplicate":
                    continue
                a = articles[m.article_id]
                new = f.kind == "new" or any(q.start == m.quote.start for q in f.new_sentences)
                shown.append(
                    Mention(
                        f"a{a.id}", a.title, safe_url(a.url), _publisher(a), a.published, m.quote, f.kind, new
                    )
                )
            shown.sort(key=lambda x: (x.published, x.anchor, x.quote.start))
            out.append(WatchedName(name_forms(watched)[0], topic.name, tuple(shown)))
    return tuple(out)


def _publisher(a: Article) -> str:
    return a.publisher or a.feed


def _entry(f: Finding, articles: dict[int, Article], config: Config) -> BriefEntry:
    a = articles[f.article_id]
    # A new story builds on nothing, whatever its closest known document (with the model, "new" is
    # decided by meaning, and the closest document of a new story can still share many words).
    known_story = f.kind in ("development", "repeat")
    builds_on = tuple(
        n for n in f.nearest[:2] if known_story and n.similarity >= config.analysis.new_story_similarity
    )
    also = tuple(_repeat_of(articles[i]) for i in f.also_reported_by if i in articles)
    note = ""
    if a.text_source != "page":
        note = (
            f"Read from the feed's own text: {a.extraction_detail}"
            if a.extraction_detail
            else "Read from the feed's own text."
        )
    lead, facts = lead_and_facts(f.new_sentences, f.summary)
    return BriefEntry(
        article_id=a.id,
        anchor=f"a{a.id}",
        title=a.title or "(untitled)",
        url=safe_url(a.url),
        publisher=_publisher(a),
        feed=a.feed,
        authors=a.authors,
        published=a.published,
        kind=f.kind,
        score=f.score,
        lead=lead,
        facts=facts,
        new_names=f.new_names,
        builds_on=builds_on if f.kind != "new" else (),
        also_reported_by=also,
        text_note=note,
        closest=f.nearest[0] if f.kind == "new" and f.nearest else None,
        story=f.story,
        important=f.important,
    )


def lead_and_facts(
    quotes: Sequence[Quote], fallback: Sequence[Quote] = ()
) -> tuple[Quote | None, tuple[Quote, ...]]:
    """The lead fact (the first quote: the analysis puts the article's lead first) and at most
    `MAX_FACTS` further facts in the analysis's order, none repeating another: a quote that overlaps or
    restates (same words) an earlier one is skipped. With no new sentence, the summary's first."""
    chosen: list[Quote] = []
    for q in map(_unlabelled, quotes or fallback[:1]):
        if not any(_repeats(q, c) for c in chosen):
            chosen.append(q)
        if len(chosen) > MAX_FACTS:
            break
    return (chosen[0] if chosen else None), tuple(chosen[1:])


def _unlabelled(q: Quote) -> Quote:
    """The quote without a section label it opens with ("IMPLICATIONS: ..."): still the article's exact
    text, from after the label."""
    m = _LABEL.match(q.text)
    if not m or m.end() >= len(q.text):
        return q
    return dataclasses.replace(q, text=q.text[m.end() :], start=q.start + m.end())


def _repeats(a: Quote, b: Quote) -> bool:
    if a.start < b.end and b.start < a.end:
        return True
    x, y = _words(a.text), _words(b.text)
    return x in y or y in x


def _words(text: str) -> str:
    """The words of `text`, folded and padded, so that one quote's words inside another's are a substring."""
    return " " + " ".join(re.findall(r"\w+", text.casefold())) + " "


def key_item(e: BriefEntry) -> KeyItem:
    """The entry's line in the week in brief."""
    develops = e.builds_on[0].title if e.kind == "development" and e.builds_on else ""
    return KeyItem(
        e.anchor,
        e.title,
        e.publisher,
        e.kind,
        e.lead,
        e.url,
        published=e.published,
        develops=develops,
        last_heard=e.last_heard if develops else None,
    )


def _repeat_of(a: Article) -> RepeatItem:
    return RepeatItem(a.title or "(untitled)", safe_url(a.url), _publisher(a), a.published)


def _repeat(f: Finding, articles: dict[int, Article]) -> RepeatItem:
    a = articles[f.article_id]
    near = f.nearest[0] if f.nearest else None
    note = f"nothing material beyond “{near.title}”" if near else ""
    return RepeatItem(a.title or "(untitled)", safe_url(a.url), _publisher(a), a.published, note)


def _duplicate(f: Finding, articles: dict[int, Article]) -> Dropped:
    a, kept = articles[f.article_id], articles.get(f.duplicate_of or -1)
    detail = (
        f"same story as “{kept.title}” ({_publisher(kept)}), kept as the best copy" if kept else "same story"
    )
    return Dropped(a.title or "(untitled)", safe_url(a.url), _publisher(a), "duplicate", detail)


def _refused(a: Article) -> Dropped:
    reason = {"excluded": "excluded URL", "blocked": "link refused"}.get(
        a.extraction_status, a.extraction_status if a.has_text else "no text yet"
    )
    return Dropped(a.title or "(untitled)", safe_url(a.url), _publisher(a), reason, a.extraction_detail)


def _sections(
    config: Config, shown: Sequence[Finding], entries: dict[int, BriefEntry], period: Period
) -> tuple[Section, ...]:
    by_section: dict[str, list[Finding]] = {}
    for f in shown:
        by_section.setdefault(f.section or OTHER, []).append(f)
    order = [t.name for t in config.topics] + [OTHER]
    first_day = period.first_day.isoformat()
    sections = []
    for n, title in enumerate(t for t in order if t in by_section):
        stories: dict[str, list[Finding]] = {}
        for f in by_section[title]:
            stories.setdefault(f.story or f"article-{f.article_id}", []).append(f)
        groups = [
            StoryGroup(
                id=sid,
                label=members[0].story_label or members[0].title,
                since=members[0].story_since,
                continuing=bool(members[0].story_since) and members[0].story_since < first_day,
                entries=tuple(
                    entries[f.article_id] for f in sorted(members, key=lambda f: (-f.score, f.article_id))
                ),
            )
            for sid, members in stories.items()
        ]
        groups.sort(
            key=lambda g: (not any(e.important for e in g.entries), -max(e.score for e in g.entries), g.id)
        )
        sections.append(Section(title, f"s{n + 1}", tuple(groups)))
    return tuple(sections)


def _health(
    config: Config, h: FeedHealth, articles: dict[int, Article], history: Sequence[Article], period: Period
) -> SourceHealth:
    source = next((f for f in config.feeds if f.name == h.name), None)
    items = [a for a in articles.values() if a.feed == h.name]
    earlier = [
        a for a in history if a.feed == h.name and period.start - timedelta(weeks=_USUAL_WEEKS) <= a.published
    ]
    # The publication rate of the eight weeks before (a first fetch brings those items too); with no
    # earlier item at all the feed is new to us or silent, and the note below says which.
    usual = len(earlier) / _USUAL_WEEKS if earlier else None
    failures = sum(1 for a in items if a.extraction_status in _FAILED)
    notes = []
    if not items:
        last_new = h.last_new.astimezone(ZoneInfo(period.timezone)) if h.last_new else None
        when = f"since {last_new.day} {last_new:%B %Y}" if last_new else "yet"
        notes.append(f"no new items from {h.name} {when}")
    if h.status in ("error", "gone", "rate_limited") and h.last_error:
        notes.append(h.last_error)
    if h.degraded_reason and h.status == "degraded":
        notes.append(h.degraded_reason)
    if h.redirect_target:
        notes.append(f"permanently redirected to {h.redirect_target}")
    return SourceHealth(
        name=h.name,
        publisher=source.publisher if source else "",
        url=safe_url(h.url),
        status=h.status,
        items=len(items),
        usual=usual,
        last_success=h.last_success,
        last_new=h.last_new,
        last_error=h.last_error,
        consecutive_errors=h.consecutive_errors,
        extraction_failures=failures,
        note="; ".join(notes),
    )


def _days(period: Period) -> list[date]:
    first, last = period.first_day, period.last_day
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _activity(
    articles: dict[int, Article], days: Sequence[date], timezone: str
) -> tuple[SourceActivity, ...]:
    tz = ZoneInfo(timezone)
    index = {d: i for i, d in enumerate(days)}
    per_source: dict[str, list[int]] = {}
    for a in sorted(articles.values(), key=lambda a: a.id):
        counts = per_source.setdefault(_publisher(a), [0] * len(days))
        day = a.published.astimezone(tz).date()
        if day in index:
            counts[index[day]] += 1
    return tuple(SourceActivity(name, tuple(c)) for name, c in sorted(per_source.items()))


def _yields(findings: Sequence[Finding], articles: dict[int, Article]) -> tuple[SourceYield, ...]:
    counts: dict[str, Counter[str]] = {}
    for f in findings:
        counts.setdefault(_publisher(articles[f.article_id]), Counter())[f.kind] += 1
    return tuple(
        SourceYield(name, c["new"], c["development"], c["repeat"], c["duplicate"])
        for name, c in sorted(counts.items())
    )
