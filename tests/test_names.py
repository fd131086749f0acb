"""Names in text and whether the reader knows them, through spellings and transliterations."""

from __future__ import annotations

import pytest

from briefing.analysis.names import NameBook, extract_names, name_key


def names(text: str) -> list[tuple[str, str]]:
    return [(n.text, n.kind) for n in extract_names(text)]


def test_names_titles_demonyms_and_sentence_starts() -> None:
    text = (
        "Armenian Prime Minister Nikol Pashinyan met Azerbaijani President Ilham Aliyev in Abu Dhabi. "
        "After the meeting, the Collective Security Treaty Organization said nothing. "
        "Officials from Rosatom and the Eurasian Development Bank attended. "
        "BACKGROUND: Freight volumes grew."
    )
    found = names(text)
    assert ("Nikol Pashinyan", "person") in found
    assert ("Ilham Aliyev", "person") in found
    assert ("Abu Dhabi", "place") in found
    assert ("Collective Security Treaty Organization", "organisation") in found
    assert ("Rosatom", "organisation") in found and ("Eurasian Development Bank", "organisation") in found
    assert not {n for n, _ in found} & {
        "Armenian",
        "Azerbaijani",
        "After",
        "Officials",
        "Freight",
        "BACKGROUND",
    }


def test_and_joins_only_names_the_gazetteer_knows() -> None:
    found = [
        n
        for n, _ in names(
            "Putin and Pashinyan discussed the Trump Route for International Peace and Prosperity."
        )
    ]
    assert found == ["Putin", "Pashinyan", "Trump Route for International Peace and Prosperity"]


def test_possessives_and_counts() -> None:
    found = extract_names(
        "Russia’s Federation Council met. Russia agreed. Moscow’s Victory Day parade followed."
    )
    by_text = {n.text: n.count for n in found}
    assert by_text == {"Russia": 2, "Federation Council": 1, "Moscow": 1, "Victory Day": 1}


@pytest.mark.parametrize(
    ("known", "variant"),
    [
        ("Turkey", "Türkiye"),
        ("Nakhchivan", "Nakhichevan"),
        ("Zangezur corridor", "Syunik corridor"),
        ("Kiev", "Kyiv"),
        ("Nur-Sultan", "Astana"),
        ("Nagorno-Karabakh", "Artsakh"),
        ("Shavkat Mirziyoyev", "Mirziyoev"),
        ("Казахстан", "Kazakhstan"),
        ("Winston Blackmore", "Blackmore"),
        ("Blackmore", "Winston Blackmore"),
        ("Sadyr Zhaparov", "Sadyr Japarov"),
        ("Gulnara Karimova", "Gulnara Karimowa"),  # not in the gazetteer: the skeleton matches
    ],
)
def test_spelling_variants_are_known(known: str, variant: str) -> None:
    book = NameBook([name_key(known)])
    assert book.knows(name_key(variant)), (known, variant)


@pytest.mark.parametrize(
    ("known", "other"),
    [
        ("Blackmore", "Blackwell"),
        ("Armenia", "Romania"),
        ("Winston Blackmore", "James Oler"),
        ("Baku", "Batumi"),
    ],
)
def test_different_names_are_not_confused(known: str, other: str) -> None:
    assert not NameBook([name_key(known)]).knows(name_key(other))


def test_headlines_in_title_case_give_no_spurious_names() -> None:
    assert names("Russia Reengages with Armenia (and Azerbaijan)") == [
        ("Russia", "place"),
        ("Armenia", "place"),
        ("Azerbaijan", "place"),
    ]


def test_an_and_inside_an_institution_name_does_not_split_it() -> None:
    found = [
        n for n, _ in names("The European Bank for Reconstruction and Development will lend to Georgia.")
    ]
    assert "European Bank for Reconstruction and Development" in found and "Development" not in found
    found = [n for n, _ in names("Officials said Armenia and Azerbaijan signed the deal in Washington.")]
    assert {"Armenia", "Azerbaijan", "Washington"} <= set(found)
