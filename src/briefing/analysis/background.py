"""How ordinary a word is in English at large: the only module that imports `wordfreq`.

A handful of baseline documents cannot say whether "calm" or "megawatts" is a telling word; the word
frequencies of English can. Zipf scale: 7 for "the", about 4 for "detention", under 2 for "Karapetyan".
Without the package every word counts as rare, which is the lexical analysis as it was.
"""

from __future__ import annotations

from functools import lru_cache

COMMON = 4.5  # zipf from which a word is everyday English ("calm", "world", "police")
TELLING = 4.0  # zipf under which a new word says something specific ("detention", "megawatts")


@lru_cache(maxsize=262144)
def zipf(word: str) -> float:
    """The word's frequency in English on the Zipf scale (0 for unknown words)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - a dependency; the analysis still runs without it
        return 0.0
    return float(zipf_frequency(word, "en", wordlist="best"))


def is_common(word: str) -> bool:
    return zipf(word.lower()) >= COMMON


def is_telling(word: str) -> bool:
    return zipf(word.lower()) < TELLING
