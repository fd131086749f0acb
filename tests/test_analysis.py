"""The analysis on small hand-made corpora: a repeat, a development with two new facts, a new story, a
duplicate from another feed, and names spelled differently from the baseline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from briefing.analysis.findings import analyse, trace_stories
from briefing.analysis.index import BaselineIndex
from briefing.analysis.scoring import score_documents
from briefing.models import Article, BaselineDoc, WatchTopic
from conftest import stored_article as article

PEACE = BaselineDoc(
    "seed#1",
    "Armenia and Azerbaijan initial a peace deal",
    ("A. Analyst",),
    datetime(2025, 8, 20, tzinfo=UTC),
    "Armenia and Azerbaijan initialed a peace agreement at the White House on August 8, 2025. "
    "The agreement establishes the Trump Route for International Peace and Prosperity, a corridor that will "
    "link Azerbaijan with its exclave Nakhchivan through the Syunik region of Armenia.\n\n"
    "Turkey welcomed the deal, and Russia was left out of the talks. The route would be developed by American "
    "companies under a long lease.\n\n"
    "Critics in Yerevan warned that the corridor could erode Armenian sovereignty. The parties agreed to "
    "continue work on the delimitation of their border.",
    "seed.txt",
)
NUCLEAR = BaselineDoc(
    "seed#2",
    "Kazakhstan votes for nuclear power",
    ("B. Analyst",),
    datetime(2024, 10, 20, tzinfo=UTC),
    "Kazakhstan held a referendum in October 2024 in which voters approved the construction of the country's "
    "first nuclear power plant. The plant is planned near the village of Ulken on the shore of Lake Balkhash.\n\n"
    "Rosatom, the China National Nuclear Corporation and the French utility EDF were invited to bid. The "
    "government wants to reduce the share of coal in electricity generation.",
    "seed.txt",
)
GEORGIA = BaselineDoc(
    "seed#3",
    "Georgia's parliament and the opposition",
    (),
    None,
    "The Georgian parliament extended the mandate of the government commission on elections. Opposition "
    "parties boycotted the vote and called protests in Tbilisi. Observers from the OSCE criticised the "
    "conduct of the campaign and the pressure on independent media.",
    "seed.txt",
)

REPEAT = (
    "Leaders of Armenia and Azerbaijan initialed a peace agreement at the White House on August 8. "
    "The agreement establishes the Trump Route for International Peace and Prosperity, a corridor to link "
    "Azerbaijan with its exclave Nakhchivan through the Syunik region of Armenia.\n\n"
    "Russia was left out of the talks, while Turkey welcomed the deal. American companies would develop the "
    "route under a long lease.\n\n"
    "Critics in Yerevan warned that the corridor could erode Armenian sovereignty."
)
DEVELOPMENT = (
    "Armenia and Azerbaijan, which initialed a peace agreement at the White House in August, have taken the "
    "first step to implement the deal on the ground.\n\n"
    "On November 13, their border commissions published a jointly agreed map of a twelve-kilometer section "
    "between the Tavush and Gazakh districts.\n\n"
    "The European Union pledged 30 million euros for demining along the Nakhichevan road.\n\n"
    "The Trump Route for International Peace and Prosperity through Syunik, which Türkiye supports, remains "
    "the centrepiece of the agreement."
)
NEW_STORY = (
    "Uzbekistan and Tajikistan signed an accord that sets seasonal release schedules for the reservoirs of "
    "the Vakhsh cascade. A joint commission will publish flow data on the Amu Darya every ten days.\n\n"
    "Under the accord, Dushanbe guarantees minimum releases during the irrigation season, while Tashkent "
    "commits to buy a fixed share of the electricity generated in winter."
)


@pytest.fixture(scope="module")
def index() -> BaselineIndex:
    return BaselineIndex.build([PEACE, NUCLEAR, GEORGIA])


def run(index: BaselineIndex, *articles: Article, **kw: object) -> dict[int, object]:
    return {f.article_id: f for f in analyse(index, list(articles), **kw).findings}  # type: ignore[arg-type]


def test_the_four_kinds(index: BaselineIndex) -> None:
    findings = run(
        index,
        article(1, "Peace deal initialed", REPEAT),
        article(2, "First border map agreed", DEVELOPMENT),
        article(3, "Water accord on the Amu Darya", NEW_STORY),
        article(4, "First border map agreed", DEVELOPMENT, feed="ac", url="https://other.example/map"),
    )
    kinds = {i: f.kind for i, f in findings.items()}  # type: ignore[attr-defined]
    assert kinds == {1: "repeat", 2: "development", 3: "new", 4: "duplicate"}
    assert findings[4].duplicate_of == 2 and findings[2].also_reported_by == (4,)  # type: ignore[attr-defined]
    assert findings[2].nearest[0].doc_id == "seed#1"  # type: ignore[attr-defined]
    assert findings[1].new_sentences == ()  # type: ignore[attr-defined]


def test_a_development_quotes_its_new_facts_and_names(index: BaselineIndex) -> None:
    dev = article(2, "First border map agreed", DEVELOPMENT)
    finding = run(index, dev)[2]
    quotes = finding.new_sentences  # type: ignore[attr-defined]
    texts = [q.text for q in quotes]
    assert any("November 13" in t for t in texts) and any("30 million euros" in t for t in texts)
    for q in quotes:
        assert dev.text[q.start : q.end] == q.text  # every quote traces back to its place in the article
    assert [q.score for q in quotes] == sorted((q.score for q in quotes), reverse=True)
    names = {n.name for n in finding.new_names}  # type: ignore[attr-defined]
    assert {"Tavush", "Gazakh", "European Union"} <= names
    # spelled differently from the baseline, but known: not new
    assert not names & {"Nakhichevan", "Türkiye", "Syunik", "Armenia", "Azerbaijan", "White House"}
    for s in finding.summary:  # type: ignore[attr-defined]
        assert dev.text[s.start : s.end] == s.text


def test_the_score_does_not_reward_length(index: BaselineIndex) -> None:
    short = article(2, "First border map agreed", DEVELOPMENT)
    padded = article(5, "First border map agreed", DEVELOPMENT + "\n\n" + REPEAT + "\n\n" + REPEAT)
    doubled = article(6, "First border map agreed", DEVELOPMENT + "\n\n" + DEVELOPMENT)
    scores = [s.score for s in score_documents(index, [a.text for a in (short, padded, doubled)])]
    assert scores[1] < scores[0]  # more words, but what was added is known
    assert scores[2] == pytest.approx(scores[0], abs=0.02)  # the same content twice is not more news


def test_deterministic(index: BaselineIndex) -> None:
    articles = [
        article(1, "Peace deal initialed", REPEAT),
        article(2, "First border map agreed", DEVELOPMENT),
        article(3, "Water accord", NEW_STORY),
    ]
    assert analyse(index, articles) == analyse(index, articles)
    assert analyse(index, articles) == analyse(BaselineIndex.build([PEACE, NUCLEAR, GEORGIA]), articles)


def test_watch_topics_and_stories(index: BaselineIndex) -> None:
    topics = [
        WatchTopic("Water", ("water", "Amu Darya", "reservoir")),
        WatchTopic("Caucasus peace", ("Armenia", "Azerbaijan")),
    ]
    earlier = article(7, "Border talks resume", DEVELOPMENT.replace("November 13", "October 2"), day=3)
    stories = trace_stories(index, [earlier])
    findings = analyse(
        index,
        [article(2, "First border map agreed", DEVELOPMENT), article(3, "Water accord", NEW_STORY)],
        topics=topics,
        stories=stories,
    ).findings
    by_id = {f.article_id: f for f in findings}
    assert by_id[2].section == "Caucasus peace" and by_id[3].section == "Water"
    assert by_id[2].story == "story-7"  # continues the story that started with the earlier article
    assert by_id[2].story_since == "2026-11-03" and by_id[3].story_since == "2026-11-17"
    assert by_id[3].story == "story-3"


def test_an_empty_baseline_makes_everything_new() -> None:
    findings = analyse(BaselineIndex.build([]), [article(2, "First border map agreed", DEVELOPMENT)]).findings
    assert findings[0].kind == "new" and findings[0].nearest == ()
    assert findings[0].new_sentences  # everything is new information


def test_all_sentences_on_request(index: BaselineIndex) -> None:
    finding = analyse(index, [article(2, "x", DEVELOPMENT)], all_sentences=True).findings[0]
    assert len(finding.sentences) == 4 and all(0 <= q.score <= 1 for q in finding.sentences)


def test_same_canonical_link_from_two_feeds_is_one_story(index: BaselineIndex) -> None:
    a = article(8, "Water accord", NEW_STORY, feed="ac-main", url="https://ac.example/water")
    b = replace(
        article(9, "Water accord", NEW_STORY + " Updated.", feed="ac-na", url="https://ac.example/water")
    )
    findings = run(index, a, b)
    assert {findings[8].kind, findings[9].kind} == {"new", "duplicate"}  # type: ignore[attr-defined]


def test_ties_in_time_do_not_follow_the_order_articles_were_stored_in(index: BaselineIndex) -> None:
    """Concurrent feeds are stored in whatever order they finish, so article ids must not decide a
    story's label or which of two equal copies is kept (found by the crash-and-rerun test)."""
    when = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)

    def outcome(first: int, second: int) -> tuple[set[tuple[str, str, str]], str]:
        story = [
            replace(article(first, "Water accord signed", NEW_STORY, feed="ac"), published=when),
            replace(
                article(second, "Water accord reactions", NEW_STORY + " Kabul wants a seat.", feed="caci"),
                published=when,
            ),
        ]
        copies = [
            replace(
                article(first + 10, "Border map", DEVELOPMENT, feed="ac", url="https://a.example/m"),
                published=when,
            ),
            replace(
                article(second + 10, "Border map", DEVELOPMENT, feed="caci", url="https://c.example/m"),
                published=when,
            ),
        ]
        findings = analyse(index, story + copies).findings
        feed_of = {a.id: a.feed for a in story + copies}
        labels: set[tuple[str, str, str]] = {
            (feed_of[f.article_id], f.kind, f.story_label) for f in findings if f.kind != "duplicate"
        }
        kept = next(
            feed_of[f.article_id] for f in findings if f.title == "Border map" and f.kind != "duplicate"
        )
        return labels, kept

    assert outcome(1, 2) == outcome(2, 1)
