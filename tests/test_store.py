"""The store: setup, refusal of foreign files, dedupe, validators order, locks (section F).

The behaviour tests take `store`, which runs each once on SQLite and once on PostgreSQL; the tests of
SQLite's own setup (WAL, application id, file locks) take `sqlite_store`."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from briefing.errors import StorageError
from briefing.models import Entry, FeedSource, Retrieved
from briefing.store import NewEntry, Store
from briefing.store.schema import APPLICATION_ID, MIGRATIONS
from conftest import run_cli

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
FEED = FeedSource("f", "https://f.example/feed")
GOT = Retrieved(url=FEED.url, final_url=FEED.url, status=200, etag='"e1"', last_modified="Fri, 20 Nov 2026")


def entry(n: int, *, guid: str | None = None, url: str | None = None, text: str = "body") -> NewEntry:
    link = url if url is not None else f"https://f.example/{n}"
    return NewEntry(
        Entry(
            key=f"guid:{guid}" if guid else f"link:{link}",
            guid=guid,
            url=link,
            canonical_url=link,
            title=f"title {n}",
            authors=("A",),
            categories=(),
            published=datetime(2026, 11, 20, n, tzinfo=UTC),
            text=text,
            content_hash=f"hash-{n}-{text}",
        ),
        "pending",
    )


@pytest.fixture
def store(store_target: Path | str) -> Iterator[Store]:
    s = Store.open(store_target)
    s.sync_feeds([FEED], NOW)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "briefing.sqlite3")
    s.sync_feeds([FEED], NOW)
    return s


def test_new_database_is_set_up(sqlite_store: Store) -> None:
    c = sqlite_store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert c.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1][0]
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_foreign_and_corrupt_files_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE notes (x)")
    with pytest.raises(StorageError, match="is not a briefing database"):
        Store.open(foreign)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="is not a usable SQLite database"):
        Store.open(garbage)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    Store.open(path).close()
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA user_version = 999")
    with pytest.raises(StorageError, match="schema version 999, newer than this briefing"):
        Store.open(path)


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="cannot create data folder"):
        Store.open(tmp_path / "file" / "sub" / "briefing.sqlite3")


def test_entries_are_stored_once_across_repeats_and_guid_churn(store: Store) -> None:
    first = store.save_entries("f", [entry(1, guid="g1"), entry(2, guid="g2")], GOT, NOW)
    assert len(first.new_ids) == 2
    again = store.save_entries("f", [entry(1, guid="g1"), entry(2, guid="g2")], GOT, NOW)
    assert again.new_ids == () and again.unchanged == 2
    churn = store.save_entries("f", [entry(1, guid="new-g1"), entry(2, guid="new-g2")], GOT, NOW)
    assert churn.new_ids == ()  # same links, new guids: not new articles (B8)
    edited = store.save_entries("f", [entry(1, guid="g1", text="corrected body")], GOT, NOW)
    assert edited.new_ids == () and edited.updated == 1
    assert store.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


def test_same_text_under_different_guids_and_links_is_three_entries(store: Store) -> None:
    same = [entry(n, guid=f"g{n}", text="Weekly podcast") for n in (1, 2, 3)]
    same = [
        NewEntry(replace(i.entry, title="Weekly podcast", content_hash="one-hash"), "pending") for i in same
    ]
    assert len(store.save_entries("f", same, GOT, NOW).new_ids) == 3


def test_a_guid_reused_for_another_link_is_a_new_article(store: Store) -> None:
    store.save_entries("f", [entry(1, guid="g", url="https://f.example/one", text="story one")], GOT, NOW)
    reused = entry(2, guid="g", url="https://f.example/two", text="story two")
    saved = store.save_entries("f", [reused], GOT, NOW)
    assert len(saved.new_ids) == 1
    rows = store.conn.execute("SELECT entry_key, url, feed_text FROM articles ORDER BY id").fetchall()
    assert rows == [
        ("guid:g", "https://f.example/one", "story one"),
        ("guid:g|https://f.example/two", "https://f.example/two", "story two"),
    ]
    again = store.save_entries("f", [reused], GOT, NOW)  # and it is recognised next time
    assert again.new_ids == () and again.unchanged == 1


def test_a_304_after_errors_clears_the_error_status(store: Store) -> None:
    store.save_entries("f", [entry(1)], GOT, NOW)
    store.record_feed_error("f", "HTTP 500", NOW, status="error", next_attempt=None)
    store.record_not_modified("f", GOT, NOW)
    state = store.feed_state("f")
    assert state and state.status == "ok" and state.consecutive_errors == 0
    store.save_entries("f", [entry(2)], GOT, NOW, degraded="malformed feed")
    store.record_not_modified("f", GOT, NOW)
    state = store.feed_state("f")
    assert state and state.status == "degraded"  # a 304 says nothing new about the body


def test_validators_are_written_with_the_entries(store: Store) -> None:
    store.save_entries("f", [entry(1)], GOT, NOW)
    state = store.feed_state("f")
    assert state and state.etag == '"e1"' and state.validators_url == FEED.url
    assert state.last_success == NOW and state.consecutive_errors == 0 and state.status == "ok"


def test_failed_transaction_leaves_neither_entries_nor_validators(store: Store) -> None:
    bad = entry(2)
    bad = NewEntry(bad.entry, "pending")
    object.__setattr__(bad.entry, "title", None)  # violates NOT NULL inside the transaction
    import psycopg

    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        store.save_entries("f", [entry(1), bad], GOT, NOW)
    assert store.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    state = store.feed_state("f")
    assert state and state.etag is None


def test_changed_feed_url_forgets_validators(store: Store) -> None:
    store.save_entries("f", [entry(1)], GOT, NOW)
    store.sync_feeds([FeedSource("f", "https://f.example/new-feed")], NOW)
    state = store.feed_state("f")
    assert state and state.etag is None and state.url == "https://f.example/new-feed"
    assert store.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1  # articles kept


def test_f3_writer_lock_held_elsewhere_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite3"
    store = Store.open(path, busy_timeout=0.3)
    store.sync_feeds([FEED], NOW)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageError, match="database is locked"):
            store.save_entries("f", [entry(1)], GOT, NOW)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert store.save_entries("f", [entry(1)], GOT, NOW).new_ids  # the next attempt succeeds


def test_f4_long_reader_does_not_block_writes(sqlite_store: Store) -> None:
    store = sqlite_store
    reader = sqlite3.connect(store.path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    done = threading.Event()

    def write() -> None:
        store2 = Store.open(store.path, busy_timeout=1)
        store2.save_entries("f", [entry(1)], GOT, NOW)
        store2.close()
        done.set()

    t = threading.Thread(target=write)
    t.start()
    t.join(5)
    assert done.is_set()
    assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 0  # its snapshot
    reader.execute("COMMIT")
    assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    reader.close()


def test_f8_interrupted_migration_leaves_the_old_version(tmp_path: Path) -> None:
    db = tmp_path / "data" / "briefing.sqlite3"
    (tmp_path / "feeds.yaml").write_text("feeds: []\n")
    done = run_cli(
        ["status", "--config", str(tmp_path / "feeds.yaml")], env={"BRIEFING_TEST_CRASH_AT": "migration"}
    )
    assert done.returncode == 137
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    Store.open(db).close()  # and a normal start migrates fully
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1][0]


def test_dates_with_offsets_compare_as_utc(store: Store) -> None:
    store.save_entries("f", [entry(10)], GOT, NOW)  # published 2026-11-20 10:00 UTC
    plus_two = timezone(timedelta(hours=2))
    assert len(store.articles(since=datetime(2026, 11, 20, 11, 30, tzinfo=plus_two))) == 1  # 09:30 UTC
    assert store.articles(since=datetime(2026, 11, 20, 12, 30, tzinfo=plus_two)) == []  # 10:30 UTC


def test_stale_running_runs_are_marked_aborted(store: Store) -> None:
    first = store.begin_run("fetch", NOW)
    second = store.begin_run("fetch", NOW)
    runs = {r["id"]: r["status"] for r in store.runs()}
    assert runs[first] == "aborted" and runs[second] == "running"


def test_postgresql_migrates_once_and_refuses_what_is_not_its_own(postgres_url: str) -> None:
    import psycopg

    Store.open(postgres_url).close()
    with Store.open(postgres_url) as again:  # a second open finds the schema in place
        assert again.postgres and again.instance()
        assert again._one("SELECT version FROM briefing_schema")[0] == MIGRATIONS[-1][0]
    with psycopg.connect(postgres_url, autocommit=True) as c:
        c.execute("UPDATE briefing_schema SET version = 999")
    with pytest.raises(StorageError, match="newer than this briefing"):
        Store.open(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as c:
        c.execute("DROP TABLE briefing_schema")
    with pytest.raises(StorageError, match="not a briefing database"):
        Store.open(postgres_url)
    bad = postgres_url.rsplit("/", 1)[0].replace("briefing@", "briefing:secret@") + "/no_such_db"
    with pytest.raises(StorageError, match=r"cannot connect to database .*:\*\*\*@.*no_such_db") as e:
        Store.open(bad)
    assert "secret" not in str(e.value)


def test_sqlite_dialect_is_translated_for_postgresql() -> None:
    from briefing.store.postgres import translate

    assert (
        translate("SELECT * FROM t WHERE a = ? AND b LIKE '%x'")
        == "SELECT * FROM t WHERE a = %s AND b LIKE '%%x'"
    )
    assert translate("UPDATE t SET a = :now WHERE id = :id") == "UPDATE t SET a = %(now)s WHERE id = %(id)s"
    assert translate("SELECT 'x'::regconfig") == "SELECT 'x'::regconfig"  # a cast is not a parameter
    assert (
        translate("WHERE (:since IS NULL OR d >= :since)")
        == "WHERE (%(since)s::text IS NULL OR d >= %(since)s)"
    )
    assert translate("WHEN a IS :b THEN 1 WHEN a IS NOT ? THEN 2 WHEN a IS NULL THEN 3") == (
        "WHEN a IS NOT DISTINCT FROM %(b)s THEN 1 WHEN a IS DISTINCT FROM %s THEN 2 WHEN a IS NULL THEN 3"
    )
    assert translate("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL, b BLOB)") == (
        "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT,"
        " r DOUBLE PRECISION, b BYTEA)"
    )
