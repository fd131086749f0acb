"""Has an article changed materially since it was stored? Sentence by sentence, trivia ignored.

Two texts are compared as sets of sentences, each folded (case, diacritics, quotes and dashes) with its
whitespace collapsed. Sentences that are only page furniture do not count: a date or time alone, an
"Updated ..." or "Published ..." line, reading times, share, like, comment and view counts. What is left
over on either side is the change: added sentences are quoted from the new text, removed ones from the
earlier text, each with its offsets there. A new title alone is a change too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefing.analysis.text import fold, sentences
from briefing.models import Quote

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = rf"(?:\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
_TRIVIAL = re.compile(
    rf"^(?:(?:updated|published|posted|last (?:updated|modified)|modified)\b.*"
    rf"|(?:{_DATE})(?:\s*(?:at\s*)?\d{{1,2}}[:.]\d{{2}}\s*(?:am|pm|utc|gmt)?)?"
    r"|\d+\s*min(?:ute)?s?\s+read"
    r"|[\d.,]+\s*[km]?\s+(?:shares?|likes?|comments?|views?|reads?|reactions?)"
    r"|(?:shares?|likes?|comments?|views?)\s*[:(]?\s*[\d.,]+\s*[km]?\)?)[\s.·|]*$"
)


@dataclass(frozen=True)
class Change:
    title_changed: bool
    added: tuple[Quote, ...]
    removed: tuple[Quote, ...]


def compare(old_title: str, old_text: str, new_title: str, new_text: str) -> Change | None:
    """The material change from the old title and text to the new ones, or None when there is none."""
    old = _sentences(old_text)
    new = _sentences(new_text)
    added = tuple(q for key, q in new.items() if key not in old)
    removed = tuple(q for key, q in old.items() if key not in new)
    title_changed = _plain(old_title) != _plain(new_title)
    if not (added or removed or title_changed):
        return None
    return Change(title_changed, added, removed)


def _sentences(text: str) -> dict[str, Quote]:
    out: dict[str, Quote] = {}
    for s in sentences(text):
        key = _plain(s.text)
        if key and not _TRIVIAL.match(key):
            out.setdefault(key, Quote(s.text, s.start, s.end))
    return out


def _plain(text: str) -> str:
    return " ".join(fold(text).split())
