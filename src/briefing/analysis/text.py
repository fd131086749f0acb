"""Text primitives for the analysis: sentences with character offsets, word tokens, folding, stems.

Everything here is deterministic and pure. Offsets always refer to the text as stored, so a quote can
be cut back out of its article: ``text[s.start:s.end] == s.text``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen col lt sgt capt cpt maj adm gov sen rep rev st jr sr mt ft inc ltd co corp
    plc llc bros no nos vol vols pp fig figs approx est dept univ assn ave blvd rd
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    e.g i.e etc vs cf al viz u.s u.k u.n e.u u.s.s.r a.m p.m d.c n.y""".split()
)
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’»)\]]*(?=\s+["'“‘«(\[]?[A-ZÀ-ÖØ-ÞА-ЯЁ\d])""")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]")
_WORD = re.compile(r"\w+(?:[-'’.]\w+)*", re.UNICODE)
# A run-on "sentence" longer than this (a page without punctuation, a hostile feed) is cut into pieces,
# at spaces where it has any (see _cut), so one quote can never fill pages of the brief. Real sentences
# stay well under it.
MAX_SENTENCE = 1000

# Latin transliteration of Cyrillic (a practical blend of the common schemes), for folding names.
_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch  y  e yu ya a g q n o u u h i".split(
            " "
        ),
        strict=True,
    )
)
_FOLD_TABLE = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "ı": "i",
        "ə": "a",
        "ß": "ss",
        "ø": "o",
        "đ": "d",
        "ł": "l",
        **{k: v for k, v in _CYRILLIC.items()},
    }
)

STOPWORDS = frozenset(
    """a about above across after afterwards again against all almost alone along already also although
    always am among amongst an and another any anyhow anyone anything anyway anywhere are around as at be
    became because become becomes becoming been before beforehand behind being below beside besides
    between beyond both but by can cannot could did do does doing done down due during each either else
    elsewhere enough even ever every everyone everything everywhere except few for former formerly from
    further had has have having he hence her here hereafter hereby herein hers herself him himself his how
    however i if in indeed into is it its itself just last latter latterly least less many may me
    meanwhile might mine more moreover most mostly much must my myself namely neither never nevertheless
    next no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own per perhaps rather same seem seemed seeming seems
    several she should since so some somehow someone something sometime sometimes somewhere still such
    than that the their theirs them themselves then thence there thereafter thereby therefore therein
    thereupon these they this those though through throughout thru thus to together too toward towards
    under until up upon us very via was we well were what whatever when whence whenever where whereafter
    whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom whose
    why will with within without would yet you your yours yourself yourselves s t said says say also
    mr mrs ms dr new""".split()
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text: its words and where it sits (character offsets, paragraph, order)."""

    text: str
    start: int
    end: int
    index: int
    paragraph: int


def sentences(text: str) -> list[Sentence]:
    """The sentences of `text` (paragraphs are separated by blank lines), with exact offsets.

    Full stops after abbreviations and initials ("U.S.", "Gen.", "Winston K. Blackmore") do not end a
    sentence; a line break inside a paragraph does not either.
    """
    out: list[Sentence] = []
    paragraph_starts = [0] + [m.end() for m in PARAGRAPH_BREAK.finditer(text)]
    paragraph_ends = [m.start() for m in PARAGRAPH_BREAK.finditer(text)] + [len(text)]
    for p, (p_start, p_end) in enumerate(zip(paragraph_starts, paragraph_ends, strict=True)):
        start = p_start
        for m in _SENTENCE_END.finditer(text, p_start, p_end):
            if _is_abbreviation(text, p_start, m.start()):
                continue
            _add(out, text, start, m.end(), p)
            start = m.end()
        _add(out, text, start, p_end, p)
    return out


def _is_abbreviation(text: str, floor: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = re.search(r"[\w.]+$", text[max(floor, dot - 20) : dot])
    if word is None:
        return False
    token = word.group(0).lower().rstrip(".")
    # Dotted initials ("J.D. Vance", "U.S. Army"): part of the sentence unless a sentence plainly starts
    # next ("... in the U.K. It rains").
    if _INITIALS.fullmatch(token) and text[dot - 1].isupper():
        following = re.match(r"\s+[\"'“‘(]?(\w+)", text[dot + 1 : dot + 40])
        return following is not None and following.group(1).lower() not in STOPWORDS
    if token in _ABBREVIATIONS:
        return True
    # A single capital letter: an initial ("K." in "Winston K. Blackmore") or part of "U.S."
    return len(token) == 1 and token.isalpha() and text[dot - 1].isupper()


def _add(out: list[Sentence], text: str, start: int, end: int, paragraph: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    while end - start > MAX_SENTENCE:
        cut = _cut(text, start)
        _add(out, text, start, cut, paragraph)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start and any(c.isalnum() for c in text[start:end]):
        out.append(Sentence(text[start:end], start, end, len(out), paragraph))


def _cut(text: str, start: int) -> int:
    """Where to cut a run-on sentence starting at `start`: the last space in its second half, else
    before `MAX_SENTENCE`, stepping back over combining marks and joiners so no letter is split."""
    for i in range(start + MAX_SENTENCE - 1, start + MAX_SENTENCE // 2, -1):
        if text[i].isspace():
            return i
    cut = start + MAX_SENTENCE
    while cut > start + 1 and (unicodedata.combining(text[cut]) or text[cut] in "\u200c\u200d"):
        cut -= 1
    return cut


def fold(text: str) -> str:
    """Lower-cased, accents removed, Cyrillic transliterated, quotes and dashes made plain."""
    return _fold_word(text) if len(text) <= 40 else _fold(text)


@lru_cache(maxsize=131072)
def _fold_word(text: str) -> str:  # names and words repeat: worth remembering
    return _fold(text)


def _fold(text: str) -> str:
    text = text.lower()
    if text.isascii():
        return text
    bmp_marks, astral_marks, foldable = _patterns()
    if foldable.search(text):
        text = text.translate(_FOLD_TABLE)
    text = unicodedata.normalize("NFKD", text)
    text = bmp_marks.sub("", text)
    return astral_marks.sub("", text) if max(text) >= "\U00010000" else text


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    # Every combining mark of the Unicode database (all lie below U+20000), and the characters of
    # _FOLD_TABLE, as character classes: one pass in C instead of a Python test per character, which
    # dominated the analysis of long texts. Classes of BMP characters are bitmaps; astral ones are not,
    # so they get a pattern of their own, used only when the text has such characters.
    marks = [chr(cp) for cp in range(0x20000) if unicodedata.combining(chr(cp))]
    bmp = re.compile("[" + re.escape("".join(c for c in marks if c < "\U00010000")) + "]")
    astral = re.compile("[" + re.escape("".join(c for c in marks if c >= "\U00010000")) + "]")
    foldable = re.compile("[" + re.escape("".join(chr(cp) for cp in _FOLD_TABLE)) + "]")
    return bmp, astral, foldable


def words(text: str) -> list[str]:
    """Folded word tokens (hyphenated and dotted words kept whole: "al-assad"; possessives dropped)."""
    out = []
    for w in _WORD.findall(fold(text)):
        w = w.removesuffix("'s").strip(".'")
        if w:
            out.append(w)
    return out


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Word tokens of `text` as written, with their offsets."""
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """A light suffix-stripping stem, enough to match "sanctions"/"sanctioned"/"sanctioning"."""
    for suffix in ("ations", "ation", "ings", "ing", "edly", "ies", "ied", "ed", "es", "ly", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            root = word[: -len(suffix)]
            return root + "y" if suffix in ("ies", "ied") else root
    return word


def content_terms(text: str) -> list[str]:
    """Stems of the words that carry content: no stopwords, no one-letter words, numbers kept."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


_NUMBER = re.compile(r"\d[\d,.]*")


def is_number(word: str) -> bool:
    return word[:1].isdigit() and bool(_NUMBER.fullmatch(word))
