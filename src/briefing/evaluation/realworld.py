"""The analysis judged on real articles: `../shared/data/realworld-dev/articles.json` (45 articles
labelled by hand against the seed corpus; see its README).

The articles go through the product's own path: each record becomes an `Article` as the store would
hold it, the baseline is the seed corpus split by the configured rules, and `findings.analyse` (the
function a run calls) files all of them in one period. Only the scoring of its findings against the
labels is evaluation code.

Folds are fixed: within each kind (development, new, repeat, duplicate pair) units are ordered by a
hash of their id and dealt alternately to `tune` and `holdout`, so both folds hold every kind and a
duplicate pair never straddles them. Thresholds are chosen on `tune`; figures are reported on
`holdout`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from briefing.analysis.findings import Analysis, analyse
from briefing.analysis.index import BaselineIndex
from briefing.analysis.params import DEFAULTS, Params
from briefing.models import Article, BaselineDoc, Finding

FOLDS = ("tune", "holdout")
TOP_FACTS = 5

# The goals of issue #12 (EVALUATION.md "Goals now").
GOALS = {
    "class accuracy": 0.85,
    "new-fact recall (top 5)": 0.85,
    "lead fact quoted first": 0.70,
    "name recall": 0.85,
    "name precision": 0.90,
    "builds_on right": 0.80,
}


@dataclass(frozen=True)
class Record:
    """One labelled article (the fields of articles.json this evaluation reads)."""

    id: str
    url: str
    publisher: str
    author: str
    date: str
    title: str
    paragraphs: tuple[str, ...]
    kind: str
    expect_class: tuple[str, ...]
    dup_group: str | None
    feed: str
    lead_fact: str
    builds_on_seed_id: str | None
    new_facts: tuple[str, ...]
    known: tuple[str, ...]
    new_names: tuple[tuple[str, ...], ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def load_records(path: Path) -> list[Record]:
    raw = json.loads(path.read_text("utf-8"))
    return [
        Record(
            id=r["id"],
            url=r["url"],
            publisher=r.get("publisher", ""),
            author=r.get("author", ""),
            date=r["date"],
            title=r["title"],
            paragraphs=tuple(r["paragraphs"]),
            kind=r["kind"],
            expect_class=tuple(r["expect_class"]),
            dup_group=r.get("dup_group"),
            feed=r.get("feed", ""),
            lead_fact=r.get("lead_fact", ""),
            builds_on_seed_id=r.get("builds_on_seed_id"),
            new_facts=tuple(r.get("new_facts", ())),
            known=tuple(r.get("known", ())),
            new_names=tuple(tuple(v) for v in r.get("new_names", ())),
        )
        for r in raw
    ]


def fold_of(records: Sequence[Record]) -> dict[str, str]:
    """The fixed fold of each record id: stratified by kind, pairs kept together."""
    units: dict[str, dict[str, list[str]]] = {}
    for r in records:
        units.setdefault(r.kind, {}).setdefault(r.dup_group or r.id, []).append(r.id)
    out: dict[str, str] = {}
    for kind in sorted(units):
        keys = sorted(units[kind], key=lambda k: hashlib.sha256(k.encode()).hexdigest())
        for n, key in enumerate(keys):
            for rid in units[kind][key]:
                out[rid] = FOLDS[n % 2]
    return out


def to_articles(records: Sequence[Record]) -> list[Article]:
    """The records as stored articles (ids 1..n in file order), with the text a page extraction gives."""
    out = []
    for n, r in enumerate(records, start=1):
        published = _date(r.date)
        text = r.text
        out.append(
            Article(
                id=n,
                feed=r.feed or "realworld",
                publisher=r.publisher,
                url=r.url,
                canonical_url=r.url,
                title=r.title,
                authors=tuple(a.strip() for a in re.split(r",| and ", r.author) if a.strip()),
                published=published,
                date_source="page",
                first_seen=published,
                text=text,
                text_source="page",
                extraction_status="ok",
                extraction_detail="",
                word_count=len(text.split()),
            )
        )
    return out


def _date(value: str) -> datetime:
    parts = [int(p) for p in value.split("-")]
    return datetime(parts[0], parts[1], parts[2] if len(parts) > 2 else 15, 12, tzinfo=UTC)


# ---- judging ----------------------------------------------------------------------------------------


def norm(text: str) -> str:
    """Unicode, quote, dash and whitespace normalisation, lower case: the form facts are matched in."""
    text = unicodedata.normalize("NFKC", text)
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-"), ("\u00a0", " ")):
        text = text.replace(a, b)
    return " ".join(text.split()).lower()


_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_DAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_OFFICES = frozenset(
    """president prime minister deputy director associate secretary chairman chairwoman chair speaker
    ambassador envoy senator governor mayor spokesman spokeswoman spokesperson adviser advisor fellow
    professor commander chief head ceo founder editor correspondent analyst researcher vice general
    minister's president's""".split()
)
# Bare abbreviations a reader knows as organisations or places: acceptable as names on their own.
_KNOWN_ACRONYMS = frozenset(
    """eu un us usa uk nato osce csto cis sco brics imf wto iaea opec cpc ena psrc tripp tapi fsb gru
    who usaid oecd ebrd adb eaeu uae cia fbi azal""".split()
)


def junk_reason(name: str) -> str:
    """Why a reported name is not a real new name ('' when it looks like one). Independent of the
    product's own name rules, so that the measure can fail."""
    words = name.replace("’", "'").split()
    plain = [w.strip(".,'\"()").lower() for w in words]
    if not plain or not any(plain):
        return "empty"
    if len(plain) == 1:
        w = plain[0]
        if w in _MONTHS or w in _DAYS:
            return "a month or day"
        if words[0].isupper() and len(w) <= 4 and w not in _KNOWN_ACRONYMS:
            return "a bare abbreviation"
        if _common_word(w):
            return "a common word"
    if any(w in _OFFICES for w in plain):
        return "carries a title or office"
    if "of" in plain and len(words) >= 4 and all(w[:1].isupper() for w in words[-2:]):
        # "Republic of Uzbekistan Shavkat Mirziyoyev": an office or institution glued to a person
        at = plain.index("of")
        if at >= 1 and len(words) - at - 1 >= 3:
            return "an institution glued to a name"
    return ""


_COMMON = frozenset(
    """let way house new old one two first last next may will can today now here there this that these
    those they we he she it its his her our their what which who how why when where read more see also
    about after before during part group state people government country region power court party news
    week year month day time world international national security war peace deal talks city church
    president minister office ministry""".split()
)


def _common_word(w: str) -> bool:
    if w in _COMMON:
        return True
    from briefing.analysis.background import zipf  # English word frequencies: data, not a rule
    from briefing.analysis.places import is_place  # ISO countries and provinces: data, not a rule

    # Frequent as an English word and not the name of a country or a province ("London", "Georgia").
    return zipf(w) >= 5.0 and not is_place(w)


@dataclass
class Judged:
    """What the product said about one record, and how it compares with the labels."""

    record: Record
    fold: str
    finding: Finding
    class_right: bool
    said_class: str
    facts_found: int = 0
    facts_total: int = 0
    known_quoted: list[str] = field(default_factory=list)
    lead_first: bool | None = None
    names_expected: int = 0
    names_found: int = 0
    names_reported: list[str] = field(default_factory=list)
    names_junk: list[tuple[str, str]] = field(default_factory=list)
    builds_on_right: bool | None = None
    said_builds_on: str = ""


def judge(records: Sequence[Record], analysis: Analysis, folds: dict[str, str]) -> list[Judged]:
    by_article = {f.article_id: f for f in analysis.findings}
    partner: dict[str, int] = {}
    ids = {r.id: n for n, r in enumerate(records, start=1)}
    for r in records:
        if r.dup_group:
            found = [ids[o.id] for o in records if o.dup_group == r.dup_group and o.id != r.id]
            if found:  # a group of one (an incomplete data file) has no partner to be filed against
                partner[r.id] = found[0]
    out = []
    for n, r in enumerate(records, start=1):
        f = by_article[n]
        as_dup = f.kind == "duplicate"
        dup_of_partner = as_dup and r.id in partner and f.duplicate_of == partner[r.id]
        if as_dup:
            right = dup_of_partner and "duplicate" in r.expect_class
            said = "duplicate" + ("" if dup_of_partner else f" of article {f.duplicate_of}")
        else:
            allowed = [c for c in r.expect_class if c != "duplicate"]
            right = f.kind in allowed
            said = f.kind
        j = Judged(r, folds[r.id], f, right, said)
        quotes = [norm(q.text) for q in f.new_sentences[:TOP_FACTS]]
        scored_facts = not as_dup and not (f.kind == "repeat" and "repeat" in r.expect_class)
        if scored_facts and r.new_facts:
            j.facts_total = len(r.new_facts)
            j.facts_found = sum(1 for fact in r.new_facts if any(norm(fact) in q for q in quotes))
        j.known_quoted = [k for k in r.known if any(norm(k) in norm(q.text) for q in f.new_sentences)]
        if not as_dup and f.kind != "repeat" and r.lead_fact:
            j.lead_first = bool(quotes) and _same_sentence(norm(r.lead_fact), quotes[0])
        if not as_dup:
            reported = [n.name for n in f.new_names]
            j.names_reported = reported
            j.names_expected = len(r.new_names)
            j.names_found = sum(
                1 for variants in r.new_names if any(_name_match(v, reported) for v in variants)
            )
            j.names_junk = [(name, why) for name in reported if (why := junk_reason(name))]
        rightly_new = f.kind == "new" and "new" in r.expect_class
        if r.builds_on_seed_id and "development" in r.expect_class and not as_dup and not rightly_new:
            j.said_builds_on = f.nearest[0].doc_id if f.nearest and f.kind != "new" else ""
            j.builds_on_right = j.said_builds_on == r.builds_on_seed_id
        out.append(j)
    return out


def _same_sentence(lead: str, quote: str) -> bool:
    return lead in quote or (len(quote) > 40 and quote in lead)


def _name_match(variant: str, reported: Sequence[str]) -> bool:
    v = norm(variant)
    for name in reported:
        r = norm(name)
        if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", r) or re.search(rf"(?<!\w){re.escape(r)}(?!\w)", v):
            return True
    return False


# ---- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    name: str
    value: float | None
    count: str
    goal: float | None


def measures(judged: Sequence[Judged], records: Sequence[Record], fold: str) -> list[Measure]:
    js = [j for j in judged if fold == "all" or j.fold == fold]

    def ratio(name: str, hits: int, total: int) -> Measure:
        return Measure(name, hits / total if total else None, f"{hits}/{total}", GOALS.get(name))

    facts = sum(j.facts_found for j in js), sum(j.facts_total for j in js)
    leads = [j.lead_first for j in js if j.lead_first is not None]
    reported = sum(len(j.names_reported) for j in js)
    junk = sum(len(j.names_junk) for j in js)
    builds = [j.builds_on_right for j in js if j.builds_on_right is not None]
    groups = {j.record.dup_group for j in js if j.record.dup_group}
    grouped = sum(1 for g in groups if _grouped(g, judged))
    known = sum(len(j.known_quoted) for j in js)
    return [
        ratio("class accuracy", sum(j.class_right for j in js), len(js)),
        ratio("new-fact recall (top 5)", *facts),
        Measure("restatements quoted as new", float(known), str(known), None),
        ratio("lead fact quoted first", sum(leads), len(leads)),
        ratio("name recall", sum(j.names_found for j in js), sum(j.names_expected for j in js)),
        ratio("name precision", reported - junk, reported),
        ratio("duplicate pairs grouped", grouped, len(groups)),
        ratio("builds_on right", sum(builds), len(builds)),
    ]


def _grouped(group: str, judged: Sequence[Judged]) -> bool:
    members = [j for j in judged if j.record.dup_group == group]
    ids = {j.finding.article_id for j in members}
    return any(j.finding.duplicate_of in ids for j in members)


def evaluate(
    records: Sequence[Record], docs: Sequence[BaselineDoc], params: Params = DEFAULTS
) -> tuple[list[Judged], Analysis]:
    """Analyse every record in one period against `docs` and judge the findings."""
    index = BaselineIndex.build(docs)
    articles = to_articles(records)
    analysis = analyse(index, sorted(articles, key=lambda a: a.time_order), params=params)
    return judge(records, analysis, fold_of(records)), analysis


def table(rows: Sequence[Measure], fold: str) -> str:
    lines = [f"real-world set, fold: {fold}", f"{'measure':<30} {'value':>7} {'count':>8} {'goal':>6}"]
    for m in rows:
        if m.name == "restatements quoted as new":
            value = f"{int(m.value or 0):>7}"
            goal = "<= 2"
        else:
            value = f"{m.value:>7.0%}" if m.value is not None else f"{'-':>7}"
            goal = f"{m.goal:.0%}" if m.goal is not None else ("100%" if "pairs" in m.name else "")
        lines.append(f"{m.name:<30} {value} {m.count:>8} {goal:>6}")
    return "\n".join(lines)


def errors(judged: Sequence[Judged], fold: str, limit: int = 3) -> str:
    """Real examples of each kind of error: what the product said and what it should have said."""
    js = [j for j in judged if fold == "all" or j.fold == fold]
    sections = [
        ("class wrong", [_class_error(j) for j in js if not j.class_right]),
        ("new facts missed", [_facts_error(j) for j in js if j.facts_found < j.facts_total]),
        ("restatements quoted as new", [f"{j.record.id}: {k!r}" for j in js for k in j.known_quoted]),
        ("lead not first", [_lead_error(j) for j in js if j.lead_first is False]),
        ("names missed", [_names_error(j) for j in js if j.names_found < j.names_expected]),
        ("junk names", [f"{j.record.id}: {n!r} ({why})" for j in js for n, why in j.names_junk]),
        ("builds_on wrong", [_builds_on_error(j) for j in js if j.builds_on_right is False]),
    ]
    out: list[str] = []
    for title, items in sections:
        if items:
            out.append(f"\n{title} ({len(items)})")
            out.extend(f"  - {i}" for i in items[:limit])
    return "\n".join(out)


def _class_error(j: Judged) -> str:
    return f"{j.record.id}: said {j.said_class}, expected {'/'.join(j.record.expect_class)}"


def _facts_error(j: Judged) -> str:
    quotes = [norm(q.text) for q in j.finding.new_sentences[:TOP_FACTS]]
    missed = [x for x in j.record.new_facts if not any(norm(x) in q for q in quotes)]
    return f"{j.record.id}: missed {missed}"


def _lead_error(j: Judged) -> str:
    first = j.finding.new_sentences[0].text[:90] if j.finding.new_sentences else "(none)"
    return f"{j.record.id}: first {first!r}; lead {j.record.lead_fact[:90]!r}"


def _names_error(j: Judged) -> str:
    missed = [v[0] for v in j.record.new_names if not any(_name_match(x, j.names_reported) for x in v)]
    return f"{j.record.id}: missed {missed}; reported {j.names_reported}"


def _builds_on_error(j: Judged) -> str:
    return f"{j.record.id}: said {j.said_builds_on or '(none)'}, expected {j.record.builds_on_seed_id}"
