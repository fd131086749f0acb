"""Names in text (people, organisations, places, events) and whether the reader already knows them.

No model and no download: candidates are runs of capitalised words and acronyms, cleaned of titles,
demonyms and sentence-initial words; a gazetteer of the region (`gazetteer.yaml`) folds spellings,
transliterations and contested names onto one canonical name; other names are compared by a
transliteration-tolerant skeleton, so "Mirziyoev" matches "Mirziyoyev" and "Nakhichevan" matches
"Nakhchivan", and a surname matches the full name it belongs to.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from briefing import yamltext
from briefing.analysis.background import is_common
from briefing.analysis.places import is_place
from briefing.analysis.text import STOPWORDS, Sentence, fold, sentences, word_spans
from briefing.models.vocabulary import NameKind

_TITLES = frozenset(
    """president prime minister deputy foreign defence defense interior economy energy finance minister
    ministers secretary general gen lt col colonel major maj captain sgt sergeant admiral adm chairman
    chairwoman chair speaker ambassador envoy special representative senator sen rep congressman
    congresswoman governor gov mayor king queen prince princess sheikh emir ayatollah patriarch
    archbishop bishop pope dr mr mrs ms prof professor judge justice commander chief spokesman
    spokeswoman spokesperson leader former acting vice first lady sir lord dame mp director
    director-general associate executive senior head adviser advisor counsellor catholicos
    journalist journalists editor editor-in-chief lawyer attorney""".split()
)
_CONNECTORS = frozenset("of the for de del da al el bin ibn von van der den la le du di y".split())
_NOT_NAMES = frozenset(
    """background implications conclusions conclusons author bio monday tuesday wednesday thursday
    friday saturday sunday january february march april may june july august september october november
    december however meanwhile moreover furthermore although despite after before during since while
    when where if yet still also then thus therefore nonetheless nevertheless instead indeed today
    yesterday tomorrow according read published sign visit newsletter image credit photo alongside amid
    following given unlike like including regarding concerning besides beyond within without toward
    finally ultimately initially recently currently notably similarly conversely likewise overall
    west east north south two three four five six seven eight nine ten later earlier""".split()
)
# Not names when they stand alone ("Nov", "Second"), but parts of names ("Jan Egeland", "Second World War").
_LONE_NOT_NAMES = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec second third fourth fifth".split()
)
_DEMONYMS = frozenset(
    """american russian chinese european western eastern soviet turkish iranian persian israeli georgian
    armenian azerbaijani azeri kazakh kazakhstani uzbek kyrgyz tajik turkmen afghan ukrainian belarusian
    arab arabic kurdish muslim christian sunni shia shiite jewish caucasian asian african british french
    german italian indian pakistani japanese korean syrian iraqi saudi emirati qatari egyptian polish
    baltic nordic central eurasian turkic slavic orthodox catholic islamic western-backed pro-russian
    pro-western post-soviet""".split()
)
_ORG_WORDS = frozenset(
    """ministry council party organization organisation union bank fund institute university agency
    company corporation corp group committee commission parliament assembly court army forces service
    office authority front movement alliance center centre foundation association network airways
    railways guard police navy republic program programme forum bureau board cabinet government senate
    congress duma majlis mejlis""".split()
)
_EVENT_WORDS = frozenset(
    """summit agreement declaration accords accord treaty conference corridor route pipeline railway
    railroad initiative plan project games olympics war elections election referendum process format
    dialogue talks deal crisis canal dam port""".split()
)
_PLACE_WORDS = frozenset(
    "city region province district valley river lake sea mountains oblast village".split()
)


_POSSESSIVE = re.compile(r"['’]s$")
_LABEL = re.compile(r"[A-Z’' ]+:\s*")


@dataclass(frozen=True)
class Name:
    """A name as it first appears in a text, its matching key, its kind and how often it occurs."""

    text: str
    key: str
    kind: NameKind
    start: int
    end: int
    count: int = 1


@dataclass(frozen=True)
class _Entry:
    canonical: str
    kind: NameKind


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, _Entry]:
    raw = yamltext.load(resources.files("briefing.analysis").joinpath("gazetteer.yaml").read_text("utf-8"))
    table: dict[str, _Entry] = {}
    for item in raw:
        entry = _Entry(item["name"], item["kind"])
        for alias in [item["name"], *item["aliases"]]:
            table[_plain(alias)] = entry
    return table


def _plain(text: str) -> str:
    """Folded, possessive and punctuation removed, single spaces: the form names are compared in."""
    text = re.sub(r"['’]s\b", "", fold(text))
    return " ".join(re.findall(r"[a-z0-9]+", text))


_SKELETON_RULES = (
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("ch", "c"),
    ("sh", "s"),
    ("ts", "c"),
    ("tz", "c"),
    ("ph", "f"),
    ("ou", "u"),
    ("w", "v"),
    ("q", "k"),
    ("x", "ks"),
    ("y", "i"),
)


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """A transliteration-tolerant key for one folded word: first letter, then consonants, no doubles."""
    for a, b in _SKELETON_RULES:
        word = word.replace(a, b)
    if not word:
        return ""
    rest = re.sub(r"[aeiou]", "", word[1:])
    return re.sub(r"(.)\1+", r"\1", word[0] + rest)


@lru_cache(maxsize=1)
def _aliases() -> dict[str, tuple[str, ...]]:
    """Each gazetteer entry's canonical name (plain) -> every spelling it lists."""
    raw = yamltext.load(resources.files("briefing.analysis").joinpath("gazetteer.yaml").read_text("utf-8"))
    return {_plain(item["name"]): (item["name"], *item["aliases"]) for item in raw}


def spellings(text: str) -> tuple[str, ...]:
    """Every spelling the gazetteer knows for the name `text` (Pashinian -> Nikol Pashinyan, Pashinyan,
    ...), or () when it is not in the gazetteer: what a search for one should also find."""
    entry = _gazetteer().get(_plain(text))
    if entry is None:
        return ()
    return tuple(dict.fromkeys(_aliases()[_plain(entry.canonical)]))


SAME_NAME = 0.8  # how alike two spellings of one name are (difflib ratio) besides sharing a skeleton


def same_name(word: str, other: str) -> bool:
    """Whether two folded words are one name in two transliterations (Mirziyoev, Mirziyoyev): the same
    skeleton, and spelled alike."""
    return (
        skeleton(word) == skeleton(other) and difflib.SequenceMatcher(None, word, other).ratio() >= SAME_NAME
    )


def name_key(text: str) -> str:
    """The key a name is matched by: the gazetteer's canonical name, else its word skeletons."""
    plain = _plain(text)
    entry = _gazetteer().get(plain)
    if entry is not None:
        return "g:" + _plain(entry.canonical)
    return "n:" + " ".join(skeleton(w) for w in plain.split())


def extract_names(
    text: str,
    spans: Iterable[Sentence] | None = None,
    *,
    strict: bool = True,
    defined: dict[str, str] | None = None,
) -> list[Name]:
    """The names in `text`, one per key, in order of first appearance, with mention counts.

    `strict` (for names reported to the reader) drops everyday words, bare abbreviations the text never
    spells out, and counts a surname alone as the person named before. Without it (for similarity, where
    every specific helps tell two events apart) those stay as they are written.

    A capitalised word that opens a sentence counts as a name only when the text also capitalises it
    mid-sentence (so "Moscow" is a name and "Officials" is not).
    """
    found: dict[str, Name] = {}
    spans = list(spans if spans is not None else sentences(text))
    tokens = [word_spans(s.text) for s in spans]
    mid_caps = {
        fold(t).removesuffix("'s")
        for s, spans_of in zip(spans, tokens, strict=True)
        for t, start, _ in spans_of
        if t[:1].isupper() and not _opens(s.text, start)
    }
    defined = defined_acronyms(text) if defined is None else defined
    for sentence, sentence_tokens in zip(spans, tokens, strict=True):
        for name in _sentence_names(sentence, sentence_tokens, mid_caps, strict):
            if strict and _acronym(name.text) and _plain(name.text) not in _gazetteer():
                if text[name.start - 1 : name.start] == "(" and name.text in defined:
                    continue  # "(PSRC)" right after its expansion: the same mention
                expansion = defined.get(name.text)
                if expansion is None:
                    continue  # a bare abbreviation the article never spells out: not a name to report
                # The name is where the text spells it out, so its offsets slice exactly that text.
                at = text.find(expansion)
                start, end = (at, at + len(expansion)) if at >= 0 else (name.start, name.end)
                kind = "organisation" if fold(expansion.split()[-1]) in _ORG_WORDS else name.kind
                name = Name(expansion, name_key(expansion), kind, start, end)
            seen = found.get(name.key) or (_full_name(found, name) if strict else None)
            if seen is not None and seen.key != name.key:
                found[seen.key] = Name(seen.text, seen.key, seen.kind, seen.start, seen.end, seen.count + 1)
                continue
            found[name.key] = (
                name
                if seen is None
                else Name(seen.text, seen.key, seen.kind, seen.start, seen.end, seen.count + 1)
            )
    return list(found.values())


# "(PSRC)" is found first; the words before it are read from a short window only, with bounded word
# lengths, so a hostile run of capitals costs linear time.
_PARENTHESISED = re.compile(r"\(([A-Z][A-Z0-9&-]{1,7})\)")
_EXPANSION = re.compile(
    r"((?:[A-Z][\w’'&.-]{0,40}\s+)(?:(?:of|for|and|the|de|on)\s+|[A-Z][\w’'&.-]{0,40}\s+){0,8})$"
)
_WINDOW = 400


def _full_name(found: dict[str, Name], name: Name) -> Name | None:
    """The person already found whose surname `name` is ("Gasparyan" after "Liana Gasparyan")."""
    if " " in name.text or not name.key.startswith("n:"):
        return None
    for seen in found.values():
        if seen.kind == "person" and seen.key.split()[-1] == name.key[2:]:
            return seen
    return None


def _acronym(text: str) -> bool:
    """A bare abbreviation: one word in capitals ("PSRC", "A7A5", "RL")."""
    return " " not in text and len(text) <= 8 and text.upper() == text and any(c.isalpha() for c in text)


def defined_acronyms(text: str) -> dict[str, str]:
    """ "Public Services Regulatory Commission (PSRC)": abbreviations the text spells out."""
    out: dict[str, str] = {}
    for m in _PARENTHESISED.finditer(text):
        before = _EXPANSION.search(text, max(0, m.start() - _WINDOW), m.start())
        if before is None:
            continue
        words, acronym = before.group(1).split(), m.group(1)
        letters = [c for c in acronym if c.isalpha()]
        # The expansion: the longest tail of words that starts with the acronym's first letter and has
        # about one capitalised word per letter ("China National Nuclear Corporation (CNNC)").
        for k in range(len(words)):
            capitals = [w for w in words[k:] if fold(w) not in _CONNECTORS]
            if words[k][:1].upper() == letters[0] and abs(len(capitals) - len(letters)) <= 1:
                out.setdefault(acronym, " ".join(words[k:]))
                break
    return out


def _sentence_names(
    sentence: Sentence, tokens: list[tuple[str, int, int]], mid_caps: set[str], strict: bool
) -> list[Name]:
    content = [t for t, _, _ in tokens if fold(t) not in STOPWORDS]
    capitals = sum(1 for t in content if t[:1].isupper())
    shouting = sum(1 for t, _, _ in tokens if t.isupper() and len(t) > 1) > 0.6 * max(1, len(tokens))
    # A headline in title case ("Russia Reengages with Armenia") capitalises ordinary words too.
    headline = (
        len(content) >= 3 and capitals >= 0.75 * len(content) and not sentence.text.rstrip().endswith(".")
    )
    out: list[Name] = []
    run: list[tuple[str, int, int]] = []

    def close() -> None:
        if run:
            out.extend(_split_run(sentence, list(run), shouting or headline, mid_caps, strict))
        run.clear()

    for i, (token, start, end) in enumerate(tokens):
        gap = sentence.text[tokens[i - 1][2] : start] if i else ""
        joins = gap.strip(" -") == "&" and len(run) >= 2  # "Korea Hydro & Nuclear Power"
        if run and gap.strip(" -") and not joins:  # punctuation between words ends a name
            close()
        folded = fold(token)
        if _capitalised(token) or (run and (folded in _CONNECTORS or folded == "and")):
            run.append((token, start, end))
            if _POSSESSIVE.search(token):  # "Russia's Federation Council": two names
                close()
        else:
            close()
    close()
    return out


def _split_run(
    sentence: Sentence, run: list[tuple[str, int, int]], cautious: bool, mid_caps: set[str], strict: bool
) -> list[Name]:
    """A run kept whole if the gazetteer knows it ("...Peace and Prosperity"), else split at "and".

    In a headline or an all-caps line (`cautious`) only the known names and acronyms in it count.
    """
    while run and fold(run[-1][0]) in (_CONNECTORS | {"and"}):
        run.pop()
    if not run:
        return []
    whole = _plain(sentence.text[run[0][1] : run[-1][2]])
    parts: list[list[tuple[str, int, int]]] = [[]]
    if whole not in _gazetteer() and not cautious and _has_inner_title(run):
        return [
            n for part in _split_titles(run) for n in _split_run(sentence, part, cautious, mid_caps, strict)
        ]
    if whole not in _gazetteer() and not cautious and (cut := _person_after(run)):
        return [
            n
            for part in (run[:cut], run[cut:])
            for n in _split_run(sentence, part, cautious, mid_caps, strict)
        ]
    if whole in _gazetteer() or _one_institution(run):
        parts = [run]
    elif cautious:
        parts = [[t] for t in run if _plain(t[0]) in _gazetteer() or (t[0].isupper() and 1 < len(t[0]) <= 6)]
    else:
        for token in run:
            if fold(token[0]) == "and":
                parts.append([])
            else:
                parts[-1].append(token)
    names = [_make_name(sentence, part, cautious, mid_caps, strict) for part in parts if part]
    return [n for n in names if n is not None]


# Title words that qualify another title ("Foreign Minister", "Associate Director") or a portfolio
# ("Energy"): never where a name is split.
_QUALIFIERS = frozenset(
    """foreign defence defense interior economy energy finance first lady former acting vice special
    associate senior executive general chief deputy""".split()
)


def _is_title(token: str) -> bool:
    folded = fold(token).strip(".").removesuffix("'s").removesuffix("’s")
    return folded in _TITLES and folded not in _QUALIFIERS


def _has_inner_title(run: list[tuple[str, int, int]]) -> bool:
    """A title after other words ("OSCE Secretary General ..."), or followed by "of" ("Director of ...")."""
    for k in range(1, len(run)):
        if _is_title(run[k][0]) and not _is_title(run[k - 1][0]):
            return True
        if fold(run[k][0]) == "of" and _is_title(run[k - 1][0]):
            return True
    return False


def _split_titles(run: list[tuple[str, int, int]]) -> list[list[tuple[str, int, int]]]:
    """ "OSCE Secretary General Feridun Sinirlioğlu" -> "OSCE", "Secretary General Feridun Sinirlioğlu";
    "Director of the Atomic Energy Agency" keeps its "of" part as the institution. The title words stay
    at the head of the part they introduce, where `_make_name` reads them as context."""
    parts: list[list[tuple[str, int, int]]] = [[]]
    for k, token in enumerate(run):
        if _is_title(token[0]) and parts[-1] and not _is_title(run[k - 1][0]):
            parts.append([])
        if fold(token[0]) in ("of", "the") and parts[-1] and _is_title(parts[-1][-1][0]):
            parts.append([])  # "Director of the Agency": the agency is a name of its own
            continue
        if parts[-1] or fold(token[0]) not in _CONNECTORS:
            parts[-1].append(token)
    return [p for p in parts if p]


def _person_after(run: list[tuple[str, int, int]]) -> int:
    """Where a person's name starts after an institution or place written just before it
    ("Republic of Uzbekistan Shavkat Mirziyoyev", "Eurasia Center Andrew D'Anieri"); 0 if nowhere."""
    for k in range(1, len(run) - 1):
        word = fold(run[k - 1][0])
        if word in _CONNECTORS or fold(run[k][0]) in _CONNECTORS:
            continue
        tail = run[k:]
        ends_institution = word in _ORG_WORDS or (is_place(run[k - 1][0]) and len(run[:k]) > 1)
        if ends_institution and 2 <= len(tail) <= 3 and all(_personal(t[0]) for t in tail):
            return k
    return 0


def _personal(token: str) -> bool:
    """A word that can be part of a person's name: capitalised, not an institution, place or title."""
    folded = fold(token)
    return (
        token[:1].isupper()
        and not token.isupper()
        and folded not in _ORG_WORDS | _EVENT_WORDS | _PLACE_WORDS | _CONNECTORS | _TITLES
        and not is_place(token)
    )


def _one_institution(run: list[tuple[str, int, int]]) -> bool:
    """ "Bank for Reconstruction and Development", "Ministry of Foreign and European Affairs": one "and"
    after an "of" or "for", with a short tail, joins parts of one name rather than two names."""
    folded = [fold(t[0]) for t in run]
    if folded.count("and") != 1:
        return False
    at = folded.index("and")
    return any(w in ("of", "for") for w in folded[1:at]) and len(folded) - at - 1 <= 2


def _opens(text: str, start: int) -> bool:
    """Whether the word at `start` opens its sentence (also after a label such as "BACKGROUND:")."""
    before = text[:start]
    return not before.strip("“\"'‘( ") or bool(_LABEL.fullmatch(before))


def _capitalised(token: str) -> bool:
    return token[:1].isupper() or (len(token) > 1 and token[0].isdigit() and any(c.isupper() for c in token))


def _make_name(
    sentence: Sentence, run: list[tuple[str, int, int]], cautious: bool, mid_caps: set[str], strict: bool
) -> Name | None:
    words = list(run)
    kind: NameKind | None = None
    at_start = _opens(sentence.text, words[0][1])
    # Sentence-initial ordinary words ("After", "The"), leading demonyms and titles are not the name.
    while words:
        folded = fold(words[0][0]).strip(".")
        following = fold(words[1][0]).strip(".") if len(words) > 1 else ""
        if folded in _TITLES:
            kind = "person"
        elif folded in _DEMONYMS and following and following not in _TITLES:
            break  # part of the name: "Eurasian Development Bank"
        elif (
            strict
            and at_start
            and len(words) > 2
            and is_common(folded)
            and not _known_word(words[0][0])
            and not _institutional(sentence.text, words)
            and folded not in mid_caps
            and not any(is_common(fold(t)) for t, _, _ in words[1:])  # a person's name follows
        ):
            pass  # "Journalists Nargiz Absalamova" at the head of a sentence: the word is not the name
        elif not (
            folded in _DEMONYMS or folded in STOPWORDS or folded in _NOT_NAMES or folded in _CONNECTORS
        ):
            break
        words.pop(0)
        at_start = False
    while words and (fold(words[-1][0]).strip(".") in (_CONNECTORS | _TITLES | _NOT_NAMES)):
        words.pop()
    if not words or (len(words) == 1 and fold(words[0][0]).split("-")[0] in _DEMONYMS):
        return None
    possessive = bool(_POSSESSIVE.search(words[-1][0]))
    start, end = words[0][1], words[-1][2]
    text = _POSSESSIVE.sub("", sentence.text[start:end])
    end = start + len(text)
    plain = _plain(text)
    entry = _gazetteer().get(plain)
    if entry is None:
        if cautious and not (len(words) == 1 and words[0][0].isupper() and len(words[0][0]) <= 6):
            return None  # a headline: only acronyms and known names count
        last = fold(words[-1][0])
        if len(words) == 1 and (
            last in _NOT_NAMES | _LONE_NOT_NAMES or last in _DEMONYMS or last in STOPWORDS
        ):
            return None
        if (
            len(words) == 1
            and at_start
            and not possessive
            and not words[0][0][1:].isupper()
            and _plain(text) not in mid_caps
        ):
            return None  # a capitalised first word is usually just a first word
        if len(plain) < 2 or plain.isdigit():
            return None
        if strict and len(words) == 1 and (last in _ORG_WORDS or last in _EVENT_WORDS):
            return None  # "Corporation", "Ministry": a word of a name, not a name
        if strict and len(words) == 1 and is_common(last) and not is_place(text) and not possessive:
            return None  # "Police", "World", "Let": everyday English, capitalised by position or style
        if last in _ORG_WORDS:
            kind = "organisation"
        elif last in _EVENT_WORDS:
            kind = "event"
        elif last in _PLACE_WORDS or is_place(text):
            kind = "place"
        elif (
            not kind
            and 2 <= len(words) <= 3
            and all(_personal(t[0]) for t in words)
            and not is_common(fold(words[-1][0]))  # a surname, not "Human Rights Watch"
        ):
            kind = "person"  # "Liana Gasparyan": two or three personal words
        kind = kind or "name"
    else:
        kind = entry.kind
    return Name(text, name_key(text), kind, sentence.start + start, sentence.start + end)


def _institutional(text: str, words: list[tuple[str, int, int]]) -> bool:
    """ "World Health Organization", "Human Rights Watch": the whole run is known or names an institution."""
    whole = _plain(text[words[0][1] : words[-1][2]])
    return whole in _gazetteer() or any(fold(t) in _ORG_WORDS for t, _, _ in words)


def _known_word(token: str) -> bool:
    return _plain(token) in _gazetteer() or is_place(token)


_INSTITUTION_SKELETONS = frozenset({"of", "fr"})  # skeletons of "of" and "for" ("al-Assad" is a person)


class NameBook:
    """The names the reader already knows, for telling which names in an article are new."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.keys: set[str] = set()
        self._by_last: dict[str, set[str]] = {}
        self._by_first_letter: dict[str, list[str]] = {}
        for key in keys:
            self.add(key)

    def add(self, key: str) -> None:
        if key in self.keys:
            return
        self.keys.add(key)
        parts = key[2:].split()
        if key.startswith("n:") and parts:
            self._by_last.setdefault(parts[-1], set()).add(key)
            self._by_first_letter.setdefault(parts[-1][:1], []).append(key)

    def knows(self, key: str) -> bool:
        """True if `key`, or a spelling variant, a surname of it or a full name for it is known."""
        if key in self.keys:
            return True
        if key.startswith("g:"):
            return False
        parts = key[2:].split()
        if not parts or _INSTITUTION_SKELETONS & set(parts[:-1]):
            return False  # "Electric Networks of Armenia" is not a person whose surname is Armenia
        last = parts[-1]
        if len(last) >= 3 and last in self._by_last:
            for known in self._by_last[last]:
                known_parts = known[2:].split()
                # "Blackmore" and "Winston Blackmore" name the same person; so do "W Blackmore" and it.
                if len(parts) == 1 or len(known_parts) == 1 or parts[0][:1] == known_parts[0][:1]:
                    return True
        if len(last) >= 4:
            for known in self._by_first_letter.get(last[:1], ()):
                known_parts = known[2:].split()
                known_last = known_parts[-1]
                # Narek Karapetian is not Samvel Karapetyan: with both first names given, they must agree.
                if len(parts) > 1 and len(known_parts) > 1 and parts[0][:1] != known_parts[0][:1]:
                    continue
                if len(known_last) >= 4 and difflib.SequenceMatcher(None, last, known_last).ratio() >= 0.85:
                    return True
        return False
