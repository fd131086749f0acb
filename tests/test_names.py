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


def test_everyday_words_months_and_bare_abbreviations_are_not_names() -> None:
    text = (
        "Police said the World was watching. Let us see. Talks resumed on Nov. 7 in Baku. "
        "The FO and RL said so. The Public Services Regulatory Commission (PSRC) voted on Monday. "
        "The PSRC then fined the company."
    )
    found = dict(names(text))
    assert not set(found) & {"Police", "World", "Let", "Nov", "FO", "RL"}
    # An abbreviation the article spells out is the name it stands for, counted once.
    assert "Public Services Regulatory Commission" in found and "PSRC" not in found
    psrc = next(n for n in extract_names(text) if n.text == "Public Services Regulatory Commission")
    assert psrc.count == 2


def test_titles_and_offices_are_split_from_the_person() -> None:
    text = (
        "OSCE Secretary General Feridun Sinirlioğlu spoke in Vienna. "
        "He met the Director of the Atomic Energy Agency on Friday. "
        "President of the Republic of Uzbekistan Shavkat Mirziyoyev welcomed the plan. "
        "Associate Director of the Eurasia Center Andrew D'Anieri disagreed."
    )
    found = dict(names(text))
    assert found.get("Feridun Sinirlioğlu") == "person"
    assert found.get("Shavkat Mirziyoyev") == "person" and found.get("Andrew D'Anieri") == "person"
    assert "Atomic Energy Agency" in found
    assert found.get("Republic of Uzbekistan") == "place" and found.get("Eurasia Center") == "organisation"
    assert not [n for n in found if n.split()[0] in {"Secretary", "Director", "Associate"}]
    assert not [n for n in found if "Mirziyoyev" in n and n != "Shavkat Mirziyoyev"]


def test_outlets_cited_as_sources_are_not_news_names() -> None:
    found = dict(names("Ukraine struck the terminal, Reuters and TASS reported, citing the Interfax agency."))
    assert found.get("Reuters") == "outlet" and found.get("TASS") == "outlet"


def test_places_are_typed_from_the_iso_lists() -> None:
    found = dict(names("Ajapahyan heads the diocese in Shirak province and visited Herat and Dagestan."))
    assert (
        found.get("Shirak") == "place" and found.get("Herat") == "place" and found.get("Dagestan") == "place"
    )


def test_a_surname_alone_counts_as_the_person_named_before() -> None:
    found = extract_names("Lawyer Liana Gasparyan spoke. Gasparyan said the case was weak. Gasparyan left.")
    assert [(n.text, n.count) for n in found] == [("Liana Gasparyan", 3)]


def test_another_first_name_with_a_similar_surname_is_another_person() -> None:
    book = NameBook([name_key("Samvel Karapetyan")])
    assert book.knows(name_key("Samvel Karapetian"))  # a spelling variant of the known person
    assert book.knows(name_key("Karapetian"))  # the surname alone: the known person
    assert not book.knows(name_key("Narek Karapetian"))  # another member of the family


def test_institutions_and_names_keep_their_words() -> None:
    text = (
        "World Health Organization officials met. Human Rights Watch objected. Jan Egeland spoke on Nov. 5. "
        "The Second World War ended. Talks between Armenia & Azerbaijan resumed. "
        "Korea Hydro & Nuclear Power bid."
    )
    found = dict(names(text))
    assert {"World Health Organization", "Human Rights Watch", "Jan Egeland", "Second World War"} <= set(
        found
    )
    assert found.get("Armenia") == "place" and found.get("Azerbaijan") == "place"
    assert "Korea Hydro & Nuclear Power" in found and "Nov" not in found
    assert found.get("Human Rights Watch") != "person"


def test_an_arabic_article_is_part_of_the_name_known_without_it() -> None:
    assert NameBook([name_key("Assad")]).knows(name_key("Bashar al-Assad"))
    assert not NameBook([name_key("Armenia")]).knows(name_key("Electric Networks of Armenia"))


def test_a_spelled_out_abbreviation_keeps_exact_offsets_and_hostile_capitals_are_cheap() -> None:
    text = "The PSRC met first. Later the Public Services Regulatory Commission (PSRC) voted."
    (psrc,) = extract_names(text)
    assert text[psrc.start : psrc.end] == psrc.text == "Public Services Regulatory Commission"
    # A page of capitals before a parenthesis: the definition search was quadratic (hours), now linear.
    assert extract_names("A" * 200_000 + " (AB) and more.") == []
