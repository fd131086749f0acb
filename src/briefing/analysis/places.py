"""Countries and their provinces, regions and states (ISO 3166): the only module that imports `pycountry`.

Used to type names ("Shirak" and "Herat" are places) and to keep place names that are also English
words ("Georgia", "Jordan", "Chad") from being dropped as common words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from briefing.analysis.text import fold

_KINDS = re.compile(r"\b(province|region|oblast|district|city|governorate|state|republic|territory)\b")


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    try:
        import pycountry
    except ImportError:  # pragma: no cover - a dependency; names are still found without it
        return frozenset()
    found: set[str] = set()
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                found.update(_forms(value))
    for sub in pycountry.subdivisions:
        found.update(_forms(sub.name))
    found.discard("")
    return frozenset(found - _GENERIC)


def _forms(name: str) -> set[str]:
    """ "Korea, Republic of" is also "Korea"; "Dagestan, Respublika" also "Dagestan"; kinds dropped."""
    head = name.split(",")[0].split("(")[0]
    return {plain(name), plain(head), plain(_KINDS.sub("", fold(head)))}


# Words that ISO lists use as (parts of) subdivision names but that are not places on their own in prose.
_GENERIC = frozenset(
    """central northern southern eastern western north south east west capital coast bay delta mountain
    free upper lower new greater river lake islands island city state centre center interior""".split()
)


def plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def is_place(name: str) -> bool:
    """Whether `name` is a country or a first-level subdivision of one (any common spelling)."""
    key = plain(name)
    if key in _places():
        return True
    # Transliterations differ in the marks pycountry keeps: "Širak" folds to "sirak", "Shirak" here.
    return key.replace("sh", "s").replace("kh", "k").replace("zh", "z") in _loose()


@lru_cache(maxsize=1)
def _loose() -> frozenset[str]:
    return frozenset(p.replace("sh", "s").replace("kh", "k").replace("zh", "z") for p in _places())
