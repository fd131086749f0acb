"""The analysis parameters, with the values chosen on labelled data (no heavy imports here).

The lexical ones: `benchmarks/tune_analysis.py` shows how each was chosen, on the ECB+ train and dev
topics, except `development_novelty`, for which ECB+ has no labels and the TAP-DLND slice was used.
The semantic ones (`semantic_*`, `restated_sentence`, `lead_sentence`): on the tune fold of the
real-world set (`briefing eval --dataset realworld --fold tune`), never on the fold that is reported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    new_story_similarity: float = 0.21  # below this similarity to every known document: a new story
    development_novelty: float = 0.33  # mean share of new terms per sentence that makes a development
    # A known story is also a development when this many sentences each bring a new name and a new
    # figure or date: material news in an article that is mostly background.
    development_facts: int = 2
    novel_sentence: float = 0.40  # sentence score from which a sentence is quoted as new information
    duplicate_similarity: float = 0.6  # two articles of one period this similar: the same story
    story_similarity: float = 0.35  # similarity from which an article joins a story
    story_lookback_days: int = 120  # how far back stories are traced
    semantic: bool = True  # use the sentence-embedding model when it loads
    # With the semantic model (chosen on the tune fold of the real-world set, `briefing eval`):
    semantic_new_story: float = 0.22  # story match (meaning and terms) under which an article is a new story
    semantic_match_blend: float = 0.3  # share of meaning in that match (the rest: terms and specifics)
    semantic_blend: float = 0.7  # share of meaning (against terms) in ranking the closest known documents
    restated_sentence: float = 0.75  # cosine to a known sentence from which a sentence only retells it
    semantic_duplicate: float = 0.85  # best paragraph-pair cosine from which two articles may be one event
    duplicate_specifics: float = 0.3  # ...if their names and figures agree this much (two earthquakes do not)
    lead_sentence: float = 0.3  # novelty a sentence needs to be quoted first as the article's lead
    max_quotes: int = 5
    max_names: int = 8


DEFAULTS = Params()
