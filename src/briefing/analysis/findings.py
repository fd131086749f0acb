"""Articles -> findings: the library function the product and the evaluation share.

For a set of new articles (a period's), against the baseline: group copies of the same story that
arrived from several feeds (the best copy is kept, the others are duplicates of it), score each kept
article (new story, development or repeat, and why), quote its new sentences and a summary, list the
names the reader has not met, file it under a watch topic and a story tracked across periods.
Deterministic: the same articles and baseline give the same findings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from briefing.analysis import semantic
from briefing.analysis.index import BaselineIndex, Queries, column
from briefing.analysis.linking import Linking, VectorCache, link
from briefing.analysis.names import extract_names, name_key
from briefing.analysis.novelty import Context, SentenceFeatures, pairwise_similarities
from briefing.analysis.params import DEFAULTS, Params
from briefing.analysis.scoring import (
    LEAD_WINDOW,
    NOT_CHECKED,
    DocumentScore,
    is_restatement,
    quote_rank,
    score_documents,
)
from briefing.analysis.stories import Story, StoryTracker
from briefing.analysis.summary import key_terms, summary
from briefing.analysis.text import Sentence, content_terms, sentences
from briefing.analysis.topics import section_for
from briefing.models import Article, Finding, KnownSentence, NearDoc, NewName, Quote, WatchTopic

CONTRAST_SIMILARITY = 0.3  # a known sentence shown for contrast must be at least this close


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]
    stories: list[Story]
    method: str = "lexical"  # "semantic" when the sentence-embedding model took part
    method_detail: str = ""  # the model used, or why it was not


def analyse(
    index: BaselineIndex,
    articles: Sequence[Article],
    *,
    topics: Sequence[WatchTopic] = (),
    stories: Sequence[Story] = (),
    all_sentences: bool = False,
    params: Params = DEFAULTS,
    vectors: VectorCache | None = None,
) -> Analysis:
    """Findings for `articles` (in their order) against the baseline `index`, and the updated stories.

    The sentence-embedding model is used when it loads (and `params.semantic`); `vectors` keeps the
    baseline's vectors between runs. Without the model the analysis is lexical, and
    `Analysis.method` says so."""
    articles = list(articles)
    use_model = params.semantic
    embedder = semantic.load() if use_model and articles else None
    model = semantic.status() if use_model and articles else semantic.Status(False, "switched off")
    method = "semantic" if embedder is not None else "lexical"
    if not articles:
        return Analysis([], list(stories), method, model.detail)
    texts = [_full_text(a) for a in articles]
    queries = index.queries(texts)  # vectorised once, for duplicates and nearest documents
    linking = link(embedder, index.docs, texts, vectors) if embedder is not None else None
    primary = _duplicates(articles, queries, params, linking)
    kept = [i for i in range(len(articles)) if primary[i] == i]
    bodies = [sentences(_body(articles[i])) for i in kept]
    scored = score_documents(
        index,
        [texts[i] for i in kept],
        spans=bodies,
        params=params,
        queries=queries.rows(kept),
        linking=linking.rows(kept) if linking is not None else None,
    )
    if vectors is not None:
        vectors.save()
    scores = dict(zip(kept, scored, strict=True))
    tracker = _tracker(index, params, stories)
    story_by_id = _follow(tracker, [articles[i] for i in kept])
    story_of = {i: story_by_id[articles[i].id] for i in kept}
    findings = []
    for i, article in enumerate(articles):
        p = primary[i]
        if p != i:
            findings.append(_duplicate_finding(article, articles[p], story_of[p]))
            continue
        copies = tuple(articles[j].id for j in range(len(articles)) if primary[j] == i and j != i)
        findings.append(
            _finding(index, article, scores[i], copies, story_of[i], topics, all_sentences, params)
        )
    return Analysis(findings, tracker.stories, method, model.detail)


def trace_stories(
    index: BaselineIndex, articles: Sequence[Article], params: Params = DEFAULTS
) -> list[Story]:
    """The stories earlier articles form (oldest first), to continue them in a new analysis."""
    tracker = _tracker(index, params, ())
    _follow(tracker, articles)
    return tracker.stories


def _tracker(index: BaselineIndex, params: Params, stories: Sequence[Story]) -> StoryTracker:
    idf = index.idf("terms")
    copies = [Story(s.id, dict(s.centroid), s.size, s.first_seen, s.last_seen, s.label) for s in stories]
    return StoryTracker(params.story_similarity, idf=lambda t: float(idf[column(t)]), stories=copies)


def _follow(tracker: StoryTracker, articles: Sequence[Article]) -> dict[int, Story]:
    """Add articles to the tracker in date order; the story of each article, by article id."""
    out = {}
    for a in sorted(articles, key=lambda a: a.time_order):
        story, _, created = tracker.add(
            content_terms(_full_text(a)), seen=a.published.date().isoformat(), new_id=f"story-{a.id}"
        )
        if created:
            story.label = a.title
        out[a.id] = story
    return out


def _full_text(a: Article) -> str:
    return f"{a.title}\n\n{_body(a)}"


def _body(a: Article) -> str:
    return a.text or a.feed_text


def _duplicates(
    articles: Sequence[Article], queries: Queries, params: Params, linking: Linking | None
) -> list[int]:
    """For each article, the index of the copy kept for its story (itself when it is the best copy).

    Two articles are one story when their terms and specifics are close (`duplicate_similarity`),
    or, with the model, when a paragraph of each says the same thing in other words
    (`semantic_duplicate`) and their specifics agree enough that they are the same event."""
    n = len(articles)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    sims = pairwise_similarities(queries)
    specifics = (queries.specifics @ queries.specifics.T).toarray() if n else sims
    for i in range(n):
        for j in range(i + 1, n):
            same_page = articles[i].canonical_url and articles[i].canonical_url == articles[j].canonical_url
            told_otherwise = (
                linking is not None
                and linking.pairwise[i, j] >= params.semantic_duplicate
                and specifics[i, j] >= params.duplicate_specifics
            )
            if same_page or sims[i, j] >= params.duplicate_similarity or told_otherwise:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    best = {}
    for members in groups.values():
        chosen = min(members, key=lambda i: _copy_rank(articles[i]))
        for m in members:
            best[m] = chosen
    return [best[i] for i in range(n)]


def _copy_rank(a: Article) -> tuple[int, int, tuple[datetime, str, str, int]]:
    # The best copy: full text from the page, then the longest, then the earliest.
    return (0 if a.text_source == "page" else 1, -a.word_count, a.time_order)


def _duplicate_finding(article: Article, kept: Article, story: Story) -> Finding:
    return Finding(
        article_id=article.id,
        url=article.url,
        title=article.title,
        kind="duplicate",
        score=0.0,
        nearest=(),
        new_sentences=(),
        new_names=(),
        summary=(),
        key_terms=(),
        section="",
        story=story.id,
        story_label=story.label,
        story_since=story.first_seen,
        duplicate_of=kept.id,
        reasons=(f"same story as article {kept.id} ({kept.publisher or kept.feed}), kept as the best copy",),
    )


def _finding(
    index: BaselineIndex,
    article: Article,
    score: DocumentScore,
    copies: tuple[int, ...],
    story: Story,
    topics: Sequence[WatchTopic],
    all_sentences: bool,
    params: Params,
) -> Finding:
    body = _body(article)
    nearest = tuple(
        NearDoc(
            index.docs[r].id,
            index.docs[r].title or _untitled(index.docs[r].text),
            index.docs[r].date,
            round(sim, 4),
            index.docs[r].origin,
            index.docs[r].url,
        )
        for r, sim in score.nearest
    )
    quotes = [
        _quote(s, sc, f, score.context)
        for s, sc, f in zip(score.spans, score.sentence_scores, score.features, strict=True)
    ]
    restated = score.restated or (0.0,) * len(quotes)
    # Not checked against known sentences (never a candidate to show): treated as retold, not quoted.
    retold = {
        k
        for k, (f, r) in enumerate(zip(score.features, restated, strict=True))
        if r == NOT_CHECKED or is_restatement(f, r, params)
    }
    new = (
        [
            (k, q)
            for k, q in enumerate(quotes)
            if q.score >= params.novel_sentence
            and k not in retold
            and not _author_note(q.text, article.authors)
        ]
        if score.kind != "repeat"
        else []
    )
    rank = {k: quote_rank(score.features[k], q.score, restated[k]) for k, q in new}
    ranked = [q for k, q in sorted(new, key=lambda kq: (-rank[kq[0]], kq[1].start))]
    lead = _lead(quotes, retold, article, params) if score.kind != "repeat" else None
    if lead is not None:
        ranked = [lead, *(q for q in ranked if q is not lead)]
    ranked = ranked[: params.max_quotes]
    return Finding(
        article_id=article.id,
        url=article.url,
        title=article.title,
        kind=score.kind,
        score=round(score.score, 4),
        nearest=nearest,
        new_sentences=tuple(ranked),
        new_names=tuple(_new_names(index, article, body)[: params.max_names]),
        summary=tuple(Quote(s.text, s.start, s.end) for s in summary(index, sentences(body))),
        key_terms=tuple(key_terms(index, body)),
        section=section_for(article.title, body, topics),
        story=story.id,
        story_label=story.label,
        story_since=story.first_seen,
        also_reported_by=copies,
        reasons=_reasons(score, nearest),
        sentences=tuple(quotes) if all_sentences else (),
    )


_LABEL = re.compile(r"^[A-Z][A-Z’' ]{3,}:")


def _lead(quotes: Sequence[Quote], retold: set[int], article: Article, params: Params) -> Quote | None:
    """The article's news, quoted first: news writing puts it in the first sentences, so the first
    of them that says something the reader does not know (not a retelling, not background under a
    "BACKGROUND:" label, not the author's biography)."""
    for k, q in enumerate(quotes[:LEAD_WINDOW]):
        if k in retold or q.score < params.lead_sentence:
            continue
        if _LABEL.match(q.text) or _author_note(q.text, article.authors):
            continue
        return q
    return None


def _author_note(text: str, authors: Sequence[str]) -> bool:
    """ "Jane Roe is a senior fellow at ...": the author's biography, never news."""
    for author in authors:
        rest = text[len(author) :].lstrip() if author and text.startswith(author) else ""
        if rest.startswith(("is ", "was ", "has ", "serves ", "leads ", "directs ", "heads ")):
            return True
    return False


def _untitled(text: str) -> str:
    words = text.split()
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")


def _quote(s: Sentence, score: float, f: SentenceFeatures, ctx: Context) -> Quote:
    reasons = []
    if f.new_name_texts:
        reasons.append("new names: " + ", ".join(f.new_name_texts))
    if f.new_number_texts:
        reasons.append("new figures: " + ", ".join(f.new_number_texts))
    if f.new_term_texts:
        reasons.append("new terms: " + ", ".join(f.new_term_texts))
    known = None
    if f.closest >= 0 and 1.0 - f.unmatched >= CONTRAST_SIMILARITY:
        doc, sentence = ctx.sentences[f.closest]
        known = KnownSentence(
            doc.id,
            doc.title or _untitled(doc.text),
            sentence.text,
            sentence.start,
            sentence.end,
            round(1.0 - f.unmatched, 4),
        )
    return Quote(s.text, s.start, s.end, round(score, 4), tuple(reasons), known)


def _new_names(index: BaselineIndex, article: Article, body: str) -> list[NewName]:
    book = index.name_book()
    own = {name_key(a) for a in (*article.authors, article.publisher) if a}  # bylines are not news
    names = [
        n for n in extract_names(body) if not book.knows(n.key) and n.key not in own and n.kind != "outlet"
    ]
    names.sort(key=lambda n: (-n.count, n.start))
    return [NewName(n.text, n.kind, n.start, n.end, n.count) for n in names]


def _reasons(score: DocumentScore, nearest: tuple[NearDoc, ...]) -> tuple[str, ...]:
    closest = nearest[0] if nearest else None
    if score.kind == "new":
        if closest is None:
            return ("no known document to compare with",)
        closest_text = f"closest: {closest.title!r}, similarity {closest.similarity:.2f}"
        return (f"no known document covers this story ({closest_text})",)
    info = f"{score.information:.0%} of the content terms per sentence are new to the closest known documents"
    assert closest is not None
    builds = f"builds on {closest.title!r} (similarity {closest.similarity:.2f})"
    return (builds, info)
