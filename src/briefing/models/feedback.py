"""An analyst's corrections to the analysis (`briefing mark`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from briefing.models.vocabulary import MarkAction


@dataclass(frozen=True)
class Mark:
    """One correction, as stored. `target` is what it is about, as the brief prints it: an article
    ("a123"), a quote ("a123:456", the sentence's offset in the article's text), a story ("story-6"), or
    for `ignore-name` the name as written. `value`: the class (`class`) or the story merged into the
    target (`merge-story`). `text` keeps a not-new quote's sentence as it was."""

    id: int
    target: str
    action: MarkAction
    value: str
    article_id: int | None
    text: str
    by: str
    at: datetime
    undone_at: datetime | None = None

    @property
    def command(self) -> str:
        """The mark as it was typed."""
        if self.action in ("ignore-name", "merge-story"):
            return f"{self.action} {' '.join(filter(None, (self.target, self.value)))}"
        return f"{self.target} {self.action}" + (f" {self.value}" if self.action == "class" else "")
