"""Watch topics: the analyst's own sections (a name and the terms that define it)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from briefing.analysis.text import fold
from briefing.models import WatchTopic


def section_for(title: str, text: str, topics: Sequence[WatchTopic]) -> str:
    """The watch topic an article belongs to: the one whose terms it mentions most (a mention in the
    title counts double), if at least `min_mentions`; '' when none applies. Ties go to the topic listed
    first."""
    folded_title, folded_text = fold(title), fold(text)
    best, best_hits = "", 0
    for topic in topics:
        hits = 0
        for term in topic.terms:
            pattern = re.compile(r"(?<!\w)" + re.escape(fold(term)) + r"(?!\w)")
            hits += 2 * len(pattern.findall(folded_title)) + len(pattern.findall(folded_text))
        if hits >= topic.min_mentions and hits > best_hits:
            best, best_hits = topic.name, hits
    return best
