"""Sentences with exact offsets, folding, stems: the primitives every quote depends on."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.analysis.text import _FOLD_TABLE, MAX_SENTENCE, content_terms, fold, sentences, stem, words


def test_sentences_respect_abbreviations_initials_and_quotes() -> None:
    text = (
        "Winston K. Blackmore met Gen. Smith in the U.S. Capitol on Jan. 5. He left at 3 p.m. on Monday.\n\n"
        "“Why now?” she asked. The vote passed 52.5 to 47.5 percent."
    )
    got = [s.text for s in sentences(text)]
    assert got == [
        "Winston K. Blackmore met Gen. Smith in the U.S. Capitol on Jan. 5.",
        "He left at 3 p.m. on Monday.",
        "“Why now?” she asked.",
        "The vote passed 52.5 to 47.5 percent.",
    ]
    assert [s.paragraph for s in sentences(text)] == [0, 0, 1, 1]


def test_dotted_initials_end_a_sentence_only_when_a_sentence_starts_next() -> None:
    text = (
        "Trump was joined by his Vice President J.D. Vance at the signing. The U.S. Army left. "
        "He studied in the U.K. It rained. Resolution No. 2 passed with 3.5 percent."
    )
    assert [s.text for s in sentences(text)] == [
        "Trump was joined by his Vice President J.D. Vance at the signing.",
        "The U.S. Army left.",
        "He studied in the U.K.",
        "It rained.",
        "Resolution No. 2 passed with 3.5 percent.",
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abc ABC.!?\n“”'1")), max_size=200))
def test_every_sentence_is_an_exact_slice_of_the_text(text: str) -> None:
    for s in sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.sampled_from(["word", "x" * 700, " ", "  ", ".", "\n\n", "Z", "e\u0301", "\u200c", "\u0301"]),
        max_size=400,
    ).map("".join)
)
def test_run_on_sentences_are_cut_into_exact_slices_that_lose_nothing(text: str) -> None:
    found = sentences(text)
    covered: set[int] = set()
    for s in found:
        assert text[s.start : s.end] == s.text and len(s.text) <= MAX_SENTENCE
        covered.update(range(s.start, s.end))
        if s.end < len(text) and not text[s.end].isspace() and text[s.end - 1].isalnum():
            assert not unicodedata.combining(text[s.end]), "a letter was split from its accent"
    assert all(i in covered for i, c in enumerate(text) if c.isalnum())


def test_a_hostile_run_on_sentence_is_cut_at_spaces() -> None:
    text = " ".join(f"word{i}" for i in range(20_000)) + ". Then a real one."
    found = sentences(text)
    assert found[-1].text == "Then a real one."
    assert all(MAX_SENTENCE // 2 <= len(s.text) <= MAX_SENTENCE for s in found[:-2])
    assert all(text[s.end] == " " for s in found[:-2])  # never inside a word


def test_folding_covers_accents_transliteration_and_punctuation() -> None:
    assert fold("Türkiye’s Naxçıvan — Казахстан Əliyev") == "turkiye's naxcivan - kazakhstan aliyev"
    assert words("The U.S. deal, signed by Ilham Aliyev’s team on Aug. 8, costs $1.5 billion.") == [
        "the",
        "u.s",
        "deal",
        "signed",
        "by",
        "ilham",
        "aliyev",
        "team",
        "on",
        "aug",
        "8",
        "costs",
        "1.5",
        "billion",
    ]


def _fold_by_definition(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD_TABLE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from("ÀéîõüçşğıəÇŞĞİƏ“”’—–ʼ"),
            st.characters(min_codepoint=0x400, max_codepoint=0x4FF),
            st.characters(min_codepoint=0x300, max_codepoint=0x36F),
            st.characters(min_codepoint=0x1D165, max_codepoint=0x1D16D),  # astral combining marks
        ),
        min_size=41,  # past the per-word cache: the long-text path
    )
)
def test_fast_folding_is_exactly_the_definition(text: str) -> None:
    """Folding runs through C-level patterns for speed; it must equal the per-character definition."""
    assert fold(text) == _fold_by_definition(text)


def test_stems_group_inflections() -> None:
    assert stem("sanctions") == stem("sanctioned") == stem("sanctioning") == "sanction"
    assert stem("policies") == "policy"
    assert content_terms("The ministers were meeting in Baku") == ["minister", "meet", "baku"]
