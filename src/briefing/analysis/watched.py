"""Mentions of the names the analyst watches (`topics[].names`), sentence by sentence.

A watched name is written "Nikol Pashinyan | Pashinian": the first form is how the brief names it, the
others are variants. A sentence mentions it when, case and diacritics folded, it contains any of those forms
or a spelling the gazetteer gives for them (Türkiye for Turkey), or a capitalised word that is the same
name in another transliteration (Mirziyoev for Mirziyoyev: the same skeleton, spelled alike). Each mention
is the whole sentence, with its offsets in the article's text, so the brief quotes it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from briefing.analysis.names import same_name, spellings
from briefing.analysis.text import fold, sentences
from briefing.models import Article, NameMention, Quote, name_forms

_WORD = re.compile(r"\w+")


def forms(watched: str) -> tuple[str, ...]:
    """The forms a watched name is matched in: its own, its variants, and the gazetteer's spellings."""
    own = name_forms(watched)
    found = [*own, *(s for f in own for s in spellings(f))]
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class _Matcher:
    watched: str
    phrases: re.Pattern[str]  # every form, folded, as whole words
    surnames: tuple[str, ...]  # folded last words, for transliterations

    def matches(self, text: str, folded: str) -> bool:
        """Whether sentence `text` (`folded`: the same, folded) mentions the name."""
        if self.phrases.search(folded):
            return True
        for word in _WORD.findall(text):
            if not word[:1].isupper() or len(word) < 5:
                continue
            if any(same_name(fold(word), surname) for surname in self.surnames):
                return True
        return False


def _matcher(watched: str) -> _Matcher:
    folded = sorted({" ".join(_WORD.findall(fold(f))) for f in forms(watched)} - {""}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(f).replace(r"\ ", r"\W+") for f in folded) + r")\b")
    last_words = {_WORD.findall(f)[-1] for f in folded}
    surnames = tuple(w for w in sorted(last_words) if len(w) >= 5)
    return _Matcher(watched, pattern, surnames)


def mentions(articles: Sequence[Article], watched: Sequence[str]) -> list[NameMention]:
    """Every sentence of `articles` that mentions a watched name, by name, then article order."""
    matchers = [_matcher(w) for w in dict.fromkeys(watched) if forms(w)]
    if not matchers:
        return []
    out: list[NameMention] = []
    for article in articles:
        text = article.text or article.feed_text
        spans = [(s, fold(s.text)) for s in sentences(text)]  # each sentence folded once, for every name
        for m in matchers:
            out += [
                NameMention(m.watched, article.id, Quote(s.text, s.start, s.end))
                for s, folded in spans
                if m.matches(s.text, folded)
            ]
    order = {w: i for i, w in enumerate(dict.fromkeys(watched))}
    return sorted(out, key=lambda n: order[n.watched])
