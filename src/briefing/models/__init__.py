"""Frozen dataclasses exchanged between the pipeline's stages. No I/O here.

Datetimes are timezone-aware UTC. Ids are stable: a feed is known by its configured name, an entry by
the key computed in `feeds.entry_key`, an article by its row id in the store, a baseline document by
``<file>#<n>`` or ``article:<id>``.
"""

from briefing.models.analysis import (
    BaselineDoc,
    Finding,
    KnownSentence,
    NameMention,
    NearDoc,
    NewName,
    Quote,
)
from briefing.models.brief import (
    Brief,
    BriefCounts,
    BriefEntry,
    Delivery,
    Dropped,
    KeyItem,
    Listed,
    Mention,
    Method,
    RepeatItem,
    Section,
    SourceActivity,
    SourceHealth,
    SourceYield,
    StoryGroup,
    WatchedName,
)
from briefing.models.feedback import Mark
from briefing.models.ingest import (
    Article,
    ArticleResult,
    Entry,
    ExtractedPage,
    ExtractionOutcome,
    FeedCheck,
    FeedHealth,
    FeedResult,
    FeedSource,
    FeedState,
    FeedUpdate,
    FetchReport,
    Retrieved,
    WatchTopic,
)
from briefing.models.search import SearchHit

__all__ = [
    "Article",
    "ArticleResult",
    "BaselineDoc",
    "Brief",
    "BriefCounts",
    "BriefEntry",
    "Delivery",
    "Dropped",
    "Entry",
    "ExtractedPage",
    "ExtractionOutcome",
    "FeedCheck",
    "FeedHealth",
    "FeedResult",
    "FeedSource",
    "FeedState",
    "FeedUpdate",
    "FetchReport",
    "Finding",
    "KeyItem",
    "KnownSentence",
    "Listed",
    "Mark",
    "Mention",
    "Method",
    "NameMention",
    "NearDoc",
    "NewName",
    "Quote",
    "RepeatItem",
    "Retrieved",
    "SearchHit",
    "Section",
    "SourceActivity",
    "SourceHealth",
    "SourceYield",
    "StoryGroup",
    "WatchTopic",
    "WatchedName",
]
