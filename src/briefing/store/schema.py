"""The store's schema, as numbered migrations. Each migration runs in one transaction.

One schema for both databases: a step is SQL both read (`store.postgres.translate` adapts types and
parameters), or a `Dialects` pair where they differ (random ids, full-text search).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class Dialects:
    sqlite: tuple[str, ...] = ()
    postgresql: tuple[str, ...] = ()


Step = str | Dialects


def statements(steps: list[Step], dialect: Dialect) -> list[str]:
    """A migration's statements for one database."""
    out: list[str] = []
    for step in steps:
        out.extend([step] if isinstance(step, str) else getattr(step, dialect))
    return out


APPLICATION_ID = 0x42524647  # "BRFG": refuse databases that are not ours
TOKENIZER = "unicode61 remove_diacritics 2"  # Türkiye finds Turkiye, Əliyev finds Aliyev
_FTS_ADD = (
    "INSERT INTO {table} (rowid, title, feed_text, text)"
    " VALUES ({row}.id, {row}.title, {row}.feed_text, {row}.text);"
)
_FTS_DROP = (
    "INSERT INTO {table} ({table}, rowid, title, feed_text, text)"
    " VALUES ('delete', {row}.id, {row}.title, {row}.feed_text, {row}.text);"
)


def _fts_index(name: str, content: str, *, follow_updates: bool) -> list[str]:
    """An FTS5 index `name` of `content`'s title, feed_text and text (external content: the text is
    read from the table), kept in step by triggers in the same transaction as every write."""
    add = _FTS_ADD.format(table=name, row="new")
    drop = _FTS_DROP.format(table=name, row="old")
    statements = [
        f"""CREATE VIRTUAL TABLE {name} USING fts5(
            title, feed_text, text, content='{content}', content_rowid='id', tokenize='{TOKENIZER}'
        )""",
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON {content} BEGIN {add} END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON {content} BEGIN {drop} END",
    ]
    if follow_updates:
        statements.append(
            f"""CREATE TRIGGER {name}_update AFTER UPDATE OF title, feed_text, text ON {content}
            WHEN old.title IS NOT new.title OR old.feed_text IS NOT new.feed_text OR old.text IS NOT new.text
            BEGIN {drop} {add} END"""
        )
    return statements


# PostgreSQL's search configuration `briefing`: the simple parser, words folded by unaccent when the
# server has the extension (a trusted one since PostgreSQL 13), lower-cased only when it has not.
_PG_SEARCH_CONFIG = (
    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS unaccent;"
    " EXCEPTION WHEN others THEN RAISE NOTICE 'unaccent is not available: search folds case only'; END $$",
    "CREATE TEXT SEARCH CONFIGURATION briefing (COPY = simple)",
    "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'unaccent') THEN"
    " ALTER TEXT SEARCH CONFIGURATION briefing"
    " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;"
    " END IF; END $$",
)
# Characters of a text indexed: a tsvector holds at most 1 MB, lexemes (up to 4 bytes a character) and
# positions included; 100,000 characters stay under it whatever the script.
_PG_TEXT_LIMIT = 100_000


def _pg_search_column(table: str) -> list[str]:
    text = f"left(coalesce(feed_text, '') || ' ' || coalesce(text, ''), {_PG_TEXT_LIMIT})"
    return [
        f"ALTER TABLE {table} ADD COLUMN search tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('briefing'::regconfig, coalesce(title, '')), 'A') ||"
        f" setweight(to_tsvector('briefing'::regconfig, {text}), 'D')) STORED",
        f"CREATE INDEX {table}_search ON {table} USING gin (search)",
    ]


MIGRATIONS: list[tuple[int, list[Step]]] = [
    (
        1,
        [
            """CREATE TABLE feeds (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                url TEXT NOT NULL,
                publisher TEXT NOT NULL DEFAULT '',
                title TEXT,
                site_link TEXT,
                created_at TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'new',
                degraded_reason TEXT,
                etag TEXT,
                last_modified TEXT,
                validators_url TEXT,
                last_checked TEXT,
                last_success TEXT,
                last_new TEXT,
                last_error TEXT,
                last_error_at TEXT,
                consecutive_errors INTEGER NOT NULL DEFAULT 0,
                next_attempt TEXT,
                redirect_target TEXT,
                redirect_first_seen TEXT
            )""",
            """CREATE TABLE articles (
                id INTEGER PRIMARY KEY,
                feed_id INTEGER NOT NULL REFERENCES feeds(id),
                entry_key TEXT NOT NULL,
                guid TEXT,
                url TEXT NOT NULL,
                canonical_url TEXT NOT NULL,
                title TEXT NOT NULL,
                feed_authors TEXT NOT NULL DEFAULT '[]',
                page_authors TEXT NOT NULL DEFAULT '[]',
                categories TEXT NOT NULL DEFAULT '[]',
                feed_published TEXT,
                published TEXT NOT NULL,
                date_source TEXT NOT NULL,
                first_seen TEXT NOT NULL,
                last_seen TEXT NOT NULL,
                revised_at TEXT,
                first_fetch INTEGER NOT NULL DEFAULT 0,
                feed_text TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                text TEXT NOT NULL DEFAULT '',
                text_source TEXT NOT NULL DEFAULT 'none',
                word_count INTEGER NOT NULL DEFAULT 0,
                extraction_status TEXT NOT NULL DEFAULT 'pending',
                extraction_detail TEXT NOT NULL DEFAULT '',
                extracted_at TEXT,
                page_attempts INTEGER NOT NULL DEFAULT 0,
                page_title TEXT,
                page_date TEXT,
                UNIQUE (feed_id, entry_key)
            )""",
            "CREATE INDEX articles_published ON articles (published)",
            "CREATE INDEX articles_canonical ON articles (canonical_url)",
            "CREATE INDEX articles_feed_hash ON articles (feed_id, content_hash)",
            "CREATE INDEX articles_status ON articles (extraction_status)",
            """CREATE TABLE pages (
                article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
                url TEXT NOT NULL,
                final_url TEXT NOT NULL,
                fetched_at TEXT NOT NULL,
                http_status INTEGER NOT NULL,
                content_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                body BLOB NOT NULL
            )""",
            # Bodies are zlib-compressed already: PostgreSQL should not try to compress them again.
            Dialects(postgresql=("ALTER TABLE pages ALTER COLUMN body SET STORAGE EXTERNAL",)),
            """CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                command TEXT NOT NULL,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                status TEXT NOT NULL,
                summary TEXT
            )""",
            """CREATE TABLE feed_results (
                run_id INTEGER NOT NULL REFERENCES runs(id),
                feed TEXT NOT NULL,
                status TEXT NOT NULL,
                http_status INTEGER,
                new INTEGER NOT NULL DEFAULT 0,
                error TEXT,
                detail TEXT NOT NULL DEFAULT '',
                checked_at TEXT NOT NULL,
                elapsed REAL NOT NULL DEFAULT 0,
                PRIMARY KEY (run_id, feed)
            )""",
        ],
    ),
    (
        2,
        [
            "ALTER TABLE articles ADD COLUMN briefed_at TEXT",
            "CREATE INDEX articles_briefed ON articles (briefed_at)",
            """CREATE TABLE findings (
                article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                baseline TEXT NOT NULL,
                analysed_at TEXT NOT NULL,
                kind TEXT NOT NULL,
                score REAL NOT NULL,
                section TEXT NOT NULL,
                story TEXT NOT NULL,
                payload TEXT NOT NULL,
                PRIMARY KEY (article_id, baseline)
            )""",
        ],
    ),
    (
        3,
        [
            # The run ledger: one row per period, what was rendered where and whom it was sent to.
            """CREATE TABLE deliveries (
                period TEXT PRIMARY KEY,
                rendered_at TEXT NOT NULL,
                files TEXT NOT NULL DEFAULT '[]',
                status TEXT NOT NULL,
                message_id TEXT,
                recipients TEXT NOT NULL DEFAULT '[]',
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                last_attempt_at TEXT,
                sent_at TEXT,
                reply TEXT
            )""",
        ],
    ),
    (
        4,
        [
            # This data folder's identity, in the Message-IDs it sends: two folders sending the same
            # week never share one.
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            Dialects(
                sqlite=("INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(8))))",),
                postgresql=(
                    "INSERT INTO meta (key, value)"
                    " VALUES ('instance', substr(md5(random()::text || clock_timestamp()::text), 1, 16))",
                ),
            ),
            # The Message-ID a period's brief was first sent with: a deliberate resend refers to it.
            "ALTER TABLE deliveries ADD COLUMN first_message_id TEXT",
            "UPDATE deliveries SET first_message_id = message_id WHERE status = 'sent'",
            # A host that asked us to wait (429/503 with Retry-After): its feeds and pages wait too,
            # across runs.
            "CREATE TABLE host_waits (host TEXT PRIMARY KEY, until TEXT NOT NULL)",
        ],
    ),
    (
        5,
        [
            # Full-text search; diacritics fold as in the analysis. SQLite: FTS5 indexes. PostgreSQL: a
            # text search configuration that folds with unaccent (when the server has it), a stored
            # tsvector column (the title weighted over the text) and a GIN index.
            Dialects(
                sqlite=(
                    *_fts_index("articles_fts", "articles", follow_updates=True),
                    "INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')",
                    "CREATE VIRTUAL TABLE articles_terms USING fts5vocab(articles_fts, 'row')",
                ),
                postgresql=(*_PG_SEARCH_CONFIG, *_pg_search_column("articles")),
            ),
            # The seed corpus's documents, copied here for search (they live in files): replaced as a
            # whole when the corpus changes (meta 'baseline_search' holds its fingerprint).
            """CREATE TABLE baseline_docs (
                id INTEGER PRIMARY KEY,
                doc_id TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL,
                authors TEXT NOT NULL DEFAULT '[]',
                date TEXT,
                source TEXT NOT NULL,
                feed_text TEXT NOT NULL DEFAULT '',
                text TEXT NOT NULL
            )""",
            Dialects(
                sqlite=(
                    # replaced as a whole, never updated
                    *_fts_index("baseline_fts", "baseline_docs", follow_updates=False),
                    "CREATE VIRTUAL TABLE baseline_terms USING fts5vocab(baseline_fts, 'row')",
                ),
                postgresql=tuple(_pg_search_column("baseline_docs")),
            ),
        ],
    ),
    (
        6,
        [
            # The analyst's marks (`briefing mark`), applied from the next analysis; an undone mark is
            # kept, with when it was undone. A not-new quote keeps its sentence, so it stays known even if
            # the article goes.
            """CREATE TABLE marks (
                id INTEGER PRIMARY KEY,
                target TEXT NOT NULL,
                action TEXT NOT NULL,
                value TEXT NOT NULL DEFAULT '',
                article_id INTEGER,
                text TEXT NOT NULL DEFAULT '',
                "by" TEXT NOT NULL,
                at TEXT NOT NULL,
                undone_at TEXT
            )""",
            "CREATE INDEX marks_active ON marks (undone_at, action)",
        ],
    ),
    (
        7,
        [
            # Revisions: recent pages are fetched again (conditional GET) and a material change is kept,
            # the earlier text with it.
            "ALTER TABLE pages ADD COLUMN etag TEXT",
            "ALTER TABLE pages ADD COLUMN last_modified TEXT",
            "ALTER TABLE pages ADD COLUMN checked_at TEXT",
            """CREATE TABLE revisions (
                id INTEGER PRIMARY KEY,
                article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
                found_at TEXT NOT NULL,
                old_title TEXT NOT NULL,
                new_title TEXT NOT NULL,
                old_text TEXT NOT NULL,
                new_text TEXT NOT NULL,
                added TEXT NOT NULL,
                removed TEXT NOT NULL
            )""",
            "CREATE INDEX revisions_found ON revisions (found_at)",
        ],
    ),
    (
        8,
        [
            # Politeness shared by a cluster's workers: the next moment (seconds since the epoch, by the
            # database's clock) a request to each host may start.
            "CREATE TABLE host_slots (host TEXT PRIMARY KEY, next_start REAL NOT NULL)",
        ],
    ),
]
