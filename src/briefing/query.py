"""The search query language, turned into an SQLite FTS5 expression (or a PostgreSQL tsquery) that
cannot be a syntax error.

A query is words and "quoted phrases", all required; `OR` between two terms accepts either; `-term`
leaves out documents that have it; `word*` matches words that start so. Case and diacritics do not
matter (Türkiye finds Turkiye). Names are folded as the analysis folds them: a name the gazetteer knows
also finds its other spellings (Pashinian finds Pashinyan, Turkey finds Türkiye), and a capitalised word
also finds the indexed words that are the same name in another transliteration (Mirziyoev finds
Mirziyoyev; for the first three such words of a query, which keeps a query under 100 ms at 50,000
articles).

Every term reaches FTS5 as a quoted string, so no punctuation in a query can break the expression; what
a query cannot mean (an unbalanced quote, OR with nothing beside it, only exclusions) is a `QueryError`
naming the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from briefing.analysis.names import same_name, spellings
from briefing.analysis.text import fold
from briefing.errors import QueryError

_TOKEN = re.compile(r'\s*(-?)(?:"([^"]*)"|(\S+))')
_WORD = re.compile(r"\w+")
MAX_SCANS = 3  # capitalised words per query whose transliterations are looked up in the index


@dataclass(frozen=True)
class Term:
    """One thing to look for: its words (a phrase when several), a prefix, and whether the user wrote it
    capitalised (then it may be a name in another spelling)."""

    words: tuple[str, ...]
    prefix: bool = False
    capitalised: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Query:
    """Groups that must all match, each one of its alternatives (`a OR b`), and terms to exclude."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...] = ()


def parse(text: str) -> Query:
    """Parse a query; raises `QueryError` for one that cannot mean anything."""
    if text.count('"') % 2:
        raise QueryError("QUERY", [f'unbalanced quote in {text!r}: close the phrase with another "'])
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    joining = False
    for minus, phrase, word in _TOKEN.findall(text):
        if word == "OR" and not minus:
            if not groups or joining:
                raise QueryError("QUERY", [f"OR needs a term on each side in {text!r}"])
            joining = True
            continue
        term = _term(phrase if word == "" else word, quoted=word == "")
        if term is None:
            continue
        if minus:
            excluded.append(term)
        elif joining:
            groups[-1].append(term)
        else:
            groups.append([term])
        joining = False
    if joining:
        raise QueryError("QUERY", [f"OR needs a term on each side in {text!r}"])
    if not groups:
        what = "only exclusions" if excluded else "no words"
        raise QueryError("QUERY", [f"{text!r} has {what}: give at least one word to look for"])
    return Query(tuple(tuple(g) for g in groups), tuple(excluded))


def _term(raw: str, *, quoted: bool) -> Term | None:
    prefix = not quoted and raw.endswith("*")
    words = tuple(_WORD.findall(raw))
    if not words:
        return None  # punctuation alone: nothing to look for
    return Term(words, prefix=prefix and len(words) == 1, capitalised=raw[:1].isupper())


def expression(query: Query, indexed: Callable[[str, str], Sequence[str]] | None = None) -> str:
    """The FTS5 MATCH expression for `query`. `indexed(low, high)` lists the index's terms in a range,
    for the transliteration variants of capitalised words (none are looked up without it)."""
    scans = [t for group in query.groups for t in group if t.capitalised and len(t.words) == 1]
    scanned = set(scans[:MAX_SCANS])
    required = " AND ".join(
        "(" + " OR ".join(_alternatives(t, indexed if t in scanned else None) for t in group) + ")"
        for group in query.groups
    )
    if not query.excluded:
        return required
    return f"({required}) NOT (" + " OR ".join(_alternatives(t, None) for t in query.excluded) + ")"


def _alternatives(term: Term, indexed: Callable[[str, str], Sequence[str]] | None) -> str:
    if term.prefix:
        return _quoted(term.words) + "*"
    found = [term.words, *(tuple(_WORD.findall(s)) for s in spellings(term.text))]
    if indexed is not None and term.capitalised and len(term.words) == 1:
        found += [(w,) for w in _same_name(term.words[0], indexed)]
    forms = {fold(" ".join(words)): _quoted(words) for words in reversed(found)}  # one per folded form
    ordered = sorted(forms.values())
    return ordered[0] if len(ordered) == 1 else "(" + " OR ".join(ordered) + ")"


def tsquery(query: Query) -> str:
    """The PostgreSQL `to_tsquery` text for `query` (the store's `briefing` configuration folds case and
    diacritics on both sides). Names' other spellings from the gazetteer are included; transliteration
    variants read from the index are SQLite's only."""
    required = " & ".join(
        "(" + " | ".join(_ts_alternatives(t) for t in group) + ")" for group in query.groups
    )
    if not query.excluded:
        return required
    return f"({required}) & !(" + " | ".join(_ts_alternatives(t) for t in query.excluded) + ")"


def _ts_alternatives(term: Term) -> str:
    if term.prefix:
        return _ts_phrase(term.words) + ":*"
    found = [term.words, *(tuple(_WORD.findall(s)) for s in spellings(term.text))]
    forms = {fold(" ".join(words)): _ts_phrase(words) for words in reversed(found)}
    ordered = sorted(forms.values())
    return ordered[0] if len(ordered) == 1 else "(" + " | ".join(ordered) + ")"


def _ts_phrase(words: Sequence[str]) -> str:
    quoted = ["'" + w.replace("'", "''").replace("\\", "") + "'" for w in words]
    return quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")"


def _same_name(word: str, indexed: Callable[[str, str], Sequence[str]]) -> list[str]:
    """Indexed words that are `word` in another transliteration: the same skeleton, spelled alike."""
    plain = fold(word)
    if len(plain) < 4:
        return []
    # Variants share their first two letters (Mirziyoev, Mirziyoyev; Pashinian, Pashinyan): listing only
    # those keeps the index scan to a few thousand terms at 50,000 articles, about 20 ms.
    low = plain[:2]
    high = low[:-1] + chr(ord(low[-1]) + 1)
    return [
        t for t in indexed(low, high) if t != plain and abs(len(t) - len(plain)) <= 3 and same_name(t, plain)
    ]


def _quoted(words: Sequence[str]) -> str:
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'
