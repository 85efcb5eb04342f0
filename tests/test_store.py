"""The store: round trips, idempotence, atomicity, crashes, concurrency, migrations.

Every test that is not about SQLite files runs on both backends (``store_url``: an
SQLite file, then a database on the throwaway PostgreSQL server of conftest.py)."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from pathlib import Path

import pytest

import chorus.store.postgres as postgres_backend
import chorus.store.sqlite as sqlite_backend
from chorus.errors import StoreError
from chorus.models import AnnotatedArticle, Article, Mention, OffsetMap, Removed, Sentence
from chorus.store import AddResult, ArticleRow, open_store
from chorus.store.sqlite import SQLiteStore

pytestmark = pytest.mark.timeout(60)  # lock waits must never hang the suite


def make_doc(n: int, *, n_sentences: int = 3, published: str | None = "2024-03-05") -> AnnotatedArticle:
    """Invented report number ``n``: a title line and a photo caption the cleaner
    removed, then one sentence per paragraph, each naming Alice Novak and Riverton."""
    title = f"Flood report {n}"
    caption = "Photo: Jan Kowalski / Example Agency"
    lines = [f"Sentence {i} of report {n}: Alice Novak left Riverton ☔ at 𝟗 a.m." for i in range(n_sentences)]
    source_text = f"{title}\n{caption}\n" + "\n".join(lines) + "\n"
    pieces: list[tuple[int, int, int]] = []
    sentences: list[Sentence] = []
    mentions: list[Mention] = []
    clean = ""
    orig = len(title) + 1 + len(caption) + 1
    for i, line in enumerate(lines):
        if i:
            clean += "\n\n"  # paragraph separator inserted by the cleaner: no original position
        start = len(clean)
        pieces.append((start, orig, len(line)))
        # contiguous alternates so both bool values go through the round trip
        sentences.append(Sentence(i, i, start, start + len(line), orig, orig + len(line), i % 2 == 0))
        for name, label in (("Alice Novak", "PERSON"), ("Riverton", "GPE")):
            k = line.index(name)
            mentions.append(Mention(name, label, start + k, start + k + len(name), orig + k, orig + k + len(name), i))
        clean += line
        orig += len(line) + 1
    content_hash = sha256(source_text.encode("utf-8")).hexdigest()
    article = Article(
        id=content_hash[:16],
        content_hash=content_hash,
        source=f"reports/{n}.txt",
        kind="text",
        outlet="The Daily Example",
        title=title,
        title_source="first-line",
        source_text=source_text,
        text=clean,
        offsets=OffsetMap(tuple(pieces)),
        removed=(
            Removed(0, len(title), "title", title),
            Removed(len(title) + 1, len(title) + 1 + len(caption), "caption", caption),
        ),
        author="Maria López" if n % 2 else None,
        published=published,
        published_source="metadata" if published else None,
        path=f"/data/reports/{n}.txt",
        encoding="utf-8",
    )
    return AnnotatedArticle(article, tuple(sentences), tuple(mentions))


def _raw(db: Path) -> contextlib.closing[sqlite3.Connection]:
    """A plain sqlite3 connection for looking under the store's hood."""
    return contextlib.closing(sqlite3.connect(db, isolation_level=None))


def _is_pg(url: str) -> bool:
    return url.startswith("postgresql://")


class Raw:
    """Plain SQL (``?`` parameters) on a store's database, either backend, for looking
    under the store's hood; autocommit."""

    def __init__(self, url: str) -> None:
        self.pg = _is_pg(url)
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
        else:
            self.conn = sqlite3.connect(url, isolation_level=None)

    def __enter__(self) -> "Raw":
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        return [tuple(r) for r in self.conn.execute(sql.replace("?", "%s") if self.pg and params else sql, params).fetchall()]

    def run(self, sql: str) -> None:
        self.conn.execute(sql)

    def version(self) -> int:
        sql = "SELECT max(version) FROM chorus_schema" if self.pg else "PRAGMA user_version"
        return int(self.rows(sql)[0][0])

    def set_version(self, version: int) -> None:
        self.run(f"UPDATE chorus_schema SET version = {version}" if self.pg else f"PRAGMA user_version = {version}")

    def tables(self) -> list[str]:
        if self.pg:
            return [r[0] for r in self.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        return [r[0] for r in self.rows("SELECT name FROM sqlite_master")]

    def columns(self, table: str) -> list[str]:
        if self.pg:
            return [r[0] for r in self.rows("SELECT column_name FROM information_schema.columns WHERE table_name = ?", (table,))]
        return [r[1] for r in self.rows(f"PRAGMA table_info({table})")]


def _migrations(url: str) -> tuple[object, str]:
    """(module, name) of the backend's migration list, for monkeypatching."""
    return (postgres_backend, "PG_MIGRATIONS") if _is_pg(url) else (sqlite_backend, "MIGRATIONS")


def _rows_left(url: str, article_id: str) -> int:
    with Raw(url) as raw:
        return sum(
            raw.rows(f"SELECT count(*) FROM {table} WHERE {col} = ?", (article_id,))[0][0]
            for table, col in (("articles", "id"), ("sentences", "article_id"), ("mentions", "article_id"))
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An SQLite file (tests of SQLite's own behaviour)."""
    return tmp_path / "chorus.db"


@pytest.fixture
def url(store_url: str) -> str:
    return store_url


@pytest.fixture
def store(url: str):
    with open_store(url) as s:
        yield s


@pytest.fixture
def ticking_clock(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each add gets the next ingest time, one minute apart; ``times.append`` overrides."""
    start = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    minutes = itertools.count()
    times: list[str] = []

    def now() -> str:
        return times.pop(0) if times else (start + timedelta(minutes=next(minutes))).isoformat()

    monkeypatch.setattr(sqlite_backend, "_utc_now", now)
    return times


# -- round trips ------------------------------------------------------------
def test_article_comes_back_exactly_as_added_after_reopening(url: str) -> None:
    docs = [make_doc(1), make_doc(2, published=None), make_doc(3, n_sentences=0)]
    with open_store(url) as store:
        for doc in docs:
            assert store.add(doc) is True
    with open_store(url) as store:
        for doc in docs:
            back = store.get(doc.id)
            assert back == doc  # frozen dataclasses: lists instead of tuples would not compare equal


def test_memory_store_round_trips_and_is_private_to_its_object() -> None:
    doc = make_doc(1)
    with open_store("sqlite:///:memory:") as a, open_store("sqlite:///:memory:") as b:
        assert a.add(doc)
        assert a.get(doc.id) == doc
        assert b.count_articles() == 0


def test_get_unknown_id_names_it(store: SQLiteStore) -> None:
    with pytest.raises(StoreError) as info:
        store.get("nope")
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "no article with id 'nope'"


def test_iter_annotated_yields_everything_in_ingest_order(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same ingest time for all three: order must come from the order of adding, not from ids.
    monkeypatch.setattr(sqlite_backend, "_utc_now", lambda: "2024-05-01T12:00:00+00:00")
    docs = sorted((make_doc(n) for n in range(3)), key=lambda d: d.id, reverse=True)
    for doc in docs:
        store.add(doc)
    assert list(store.iter_annotated()) == docs


# -- idempotence ------------------------------------------------------------
def test_adding_the_same_article_twice_stores_it_once(store: SQLiteStore) -> None:
    doc = make_doc(1)
    assert store.add(doc) is True
    assert store.add(doc) is False
    assert store.count_articles() == 1
    assert [row.id for row in store.list_articles()] == [doc.id]


@pytest.mark.parametrize("clash", ["content_hash", "id"])
def test_a_clash_on_id_or_hash_counts_as_already_stored(store: SQLiteStore, clash: str) -> None:
    doc = make_doc(1)
    other = make_doc(2).article
    twin = replace(doc, article=replace(other, **{clash: getattr(doc.article, clash)}))
    store.add(doc)
    assert store.add(twin) is False
    assert store.count_articles() == 1
    assert store.get(doc.id) == doc


def test_add_many_reports_added_and_skipped_in_input_order(store: SQLiteStore) -> None:
    d1, d2, d3 = make_doc(1), make_doc(2), make_doc(3)
    store.add(d2)
    result = store.add_many(iter([d1, d2, d1, d3]))
    assert result == AddResult(added=(d1.id, d3.id), skipped=(d2.id, d1.id))
    assert store.count_articles() == 3


def test_known_hashes_finds_stored_ones_among_many(store: SQLiteStore) -> None:
    docs = [make_doc(n) for n in range(3)]
    store.add_many(docs)
    stored = [d.article.content_hash for d in docs]
    # more hashes than SQLite accepts parameters in one query, asked for through a generator
    max_params = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    unknown = [sha256(str(i).encode()).hexdigest() for i in range(max_params + 1000)]
    asked = unknown[:10] + [stored[0]] + unknown[10:700] + [stored[1]] + unknown[700:] + [stored[2], stored[0]]
    assert store.known_hashes(h for h in asked) == set(stored)
    assert store.known_hashes([]) == set()
    assert store.has_hash(stored[1]) is True
    assert store.has_hash(unknown[0]) is False


# -- listing ----------------------------------------------------------------
def test_list_articles_newest_first_with_metadata(store: SQLiteStore, ticking_clock: list[str]) -> None:
    docs = [make_doc(n, n_sentences=n + 1) for n in range(4)]
    for doc in docs:
        store.add(doc)
    rows = store.list_articles()
    assert [r.id for r in rows] == [d.id for d in reversed(docs)]
    a = docs[1].article
    assert rows[2] == ArticleRow(
        id=a.id,
        outlet=a.outlet,
        title=a.title,
        published=a.published,
        published_source=a.published_source,
        source=a.source,
        kind=a.kind,
        ingested_at="2024-05-01T12:01:00+00:00",
        n_sentences=2,
    )
    assert store.list_articles(limit=2) == rows[:2]
    assert store.list_articles(limit=2, offset=3) == rows[3:]
    assert store.list_articles(offset=1) == rows[1:]
    assert store.count_articles() == 4
    with pytest.raises(ValueError):
        store.list_articles(limit=-1)


def test_list_articles_breaks_ingest_time_ties_by_id(store: SQLiteStore, ticking_clock: list[str]) -> None:
    docs = [make_doc(n) for n in range(4)]
    ticking_clock.extend(["2024-05-01T09:00:00+00:00"] + ["2024-05-01T10:00:00+00:00"] * 3)
    store.add_many(docs)
    tied = sorted(d.id for d in docs[1:])
    assert [r.id for r in store.list_articles()] == [*tied, docs[0].id]


def test_ingested_at_is_the_current_utc_time(store: SQLiteStore) -> None:
    before = datetime.now(timezone.utc)
    store.add(make_doc(1))
    (row,) = store.list_articles()
    stamp = datetime.fromisoformat(row.ingested_at)
    assert stamp.utcoffset() == timedelta(0)
    assert before <= stamp <= datetime.now(timezone.utc)


# -- atomicity --------------------------------------------------------------
def test_failure_after_the_article_row_leaves_nothing_behind(
    url: str, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = make_doc(1)

    def explode(*args: object) -> None:
        raise RuntimeError("simulated failure while writing mentions")

    with monkeypatch.context() as m:
        m.setattr(SQLiteStore, "_insert_mentions", explode)
        with pytest.raises(RuntimeError):
            store.add(doc)
    assert _rows_left(url, doc.id) == 0
    assert not store.has_hash(doc.article.content_hash)
    assert store.add(doc) is True  # the failed attempt did not block a retry
    assert store.get(doc.id) == doc


def test_a_bad_mention_rejects_the_whole_article_with_a_store_error(url: str, store: SQLiteStore) -> None:
    doc = make_doc(1)
    broken = replace(doc, mentions=(*doc.mentions[:-1], replace(doc.mentions[-1], text=None)))
    with pytest.raises(StoreError, match=f"storing article {doc.id} failed"):
        store.add(broken)
    assert _rows_left(url, doc.id) == 0
    assert store.add(make_doc(2)) is True


@pytest.mark.parametrize("field", ["outlet", "title", "source_text"])
def test_an_incomplete_article_is_an_error_not_already_stored(store: SQLiteStore, field: str) -> None:
    doc = make_doc(1)
    with pytest.raises(StoreError, match=f"storing article {doc.id} failed"):
        store.add(replace(doc, article=replace(doc.article, **{field: None})))
    assert store.count_articles() == 0


def test_text_that_cannot_be_encoded_is_a_store_error(store: SQLiteStore) -> None:
    doc = make_doc(1)
    bad = replace(doc, article=replace(doc.article, text=doc.article.text + "\udcff"))
    with pytest.raises(StoreError, match="not valid Unicode"):
        store.add(bad)
    assert store.count_articles() == 0


CRASH_SENTENCES = 200  # big articles: a kill often lands inside a transaction

_CRASH_WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
from test_store import CRASH_SENTENCES, make_doc
from chorus.store import open_store

with open_store(sys.argv[1]) as store:
    print("ready", flush=True)
    for n in range(10**9):
        store.add(make_doc(n, n_sentences=CRASH_SENTENCES))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
@pytest.mark.timeout(120)
def test_killed_writer_leaves_a_sound_database(url: str) -> None:
    rng = random.Random()
    seen = 0
    for _run in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", _CRASH_WRITER, url, str(Path(__file__).parent)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n", proc.communicate()[1]
        time.sleep(rng.uniform(0.05, 1.0))
        os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, err  # killed mid-loop, not dead of its own error

        with Raw(url) as raw:
            if not raw.pg:
                assert raw.rows("PRAGMA integrity_check") == [("ok",)]
            partial = raw.rows(
                "SELECT id FROM articles a"
                " WHERE n_sentences != (SELECT count(*) FROM sentences s WHERE s.article_id = a.id)"
            )
            assert partial == []
        with open_store(url) as store:
            rows = store.list_articles()
            assert len(rows) >= seen  # nothing committed earlier was lost
            seen = len(rows)
            for row in rows:
                n = int(row.title.rsplit(" ", 1)[1])
                assert store.get(row.id) == make_doc(n, n_sentences=CRASH_SENTENCES)
    assert seen > 0


# -- concurrency ------------------------------------------------------------
def test_two_stores_on_one_database_add_and_read_at_the_same_time(url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2, timeout=30)

    def work(first: int) -> None:
        try:
            with open_store(url) as store:
                start.wait()
                for n in range(first, first + 40):
                    doc = make_doc(n, n_sentences=20)
                    assert store.add(doc)
                    store.list_articles(limit=5)
                    assert store.get(doc.id) == doc
                    store.known_hashes([doc.article.content_hash])
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(first,)) for first in (0, 1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(url) as store:
        assert store.count_articles() == 80


def test_add_waits_for_another_writer_instead_of_failing(url: str, store: SQLiteStore) -> None:
    locked, release_after = threading.Event(), 0.5

    def hold_write_lock() -> None:
        with Raw(url) as raw:
            # what another chorus writing holds: SQLite's write lock, PostgreSQL chorus's advisory lock
            raw.run("BEGIN")
            raw.run(f"SELECT pg_advisory_xact_lock({postgres_backend._WRITE_LOCK})" if raw.pg else "INSERT INTO key_df VALUES ('x', 1)")
            locked.set()
            time.sleep(release_after)
            raw.run("COMMIT")

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    assert locked.wait(timeout=30)
    started = time.monotonic()
    assert store.add(make_doc(1)) is True
    waited = time.monotonic() - started
    holder.join()
    assert waited >= release_after / 2  # it really waited for the lock


def test_a_writer_holding_the_lock_too_long_gives_a_store_error(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_MS", 100)
    with open_store(str(db)) as store, _raw(db) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked.*try again"):
            store.add(make_doc(1))
        other.execute("ROLLBACK")
        assert store.add(make_doc(1)) is True


def test_a_long_reader_does_not_block_adding(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Short timeout: without WAL the add below would fail with "database is locked".
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_MS", 100)
    with open_store(url) as store, Raw(url) as reader:
        store.add(make_doc(1))
        reader.run("BEGIN ISOLATION LEVEL REPEATABLE READ" if reader.pg else "BEGIN")
        assert reader.rows("SELECT count(*) FROM articles") == [(1,)]
        assert store.add(make_doc(2)) is True
        assert reader.rows("SELECT count(*) FROM articles") == [(1,)]  # its snapshot
        reader.run("COMMIT")
        assert reader.rows("SELECT count(*) FROM articles") == [(2,)]
        if not reader.pg:
            assert reader.rows("PRAGMA journal_mode") == [("wal",)]


# -- schema versions --------------------------------------------------------
def test_old_database_is_upgraded_and_keeps_its_articles(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module, name = _migrations(url)
    doc = make_doc(1)
    with open_store(url) as store:
        store.add(doc)
    with Raw(url) as raw:
        assert raw.version() == len(getattr(module, name))

    v2 = (
        "ALTER TABLE articles ADD COLUMN language TEXT",
        "UPDATE articles SET language = 'en'",
    )
    monkeypatch.setattr(module, name, [*getattr(module, name), v2])
    with open_store(url) as store:
        assert store.get(doc.id) == doc
        assert store.add(make_doc(2)) is True
    with Raw(url) as raw:
        assert raw.version() == len(getattr(module, name))
        assert raw.rows("SELECT language FROM articles WHERE id = ?", (doc.id,)) == [("en",)]


def test_failed_upgrade_leaves_the_old_database_untouched(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module, name = _migrations(url)
    doc = make_doc(1)
    with open_store(url) as store:
        store.add(doc)
    broken = ("ALTER TABLE articles ADD COLUMN language TEXT", "UPDATE no_such_table SET x = 1")
    with monkeypatch.context() as m:
        m.setattr(module, name, [*getattr(module, name), broken])
        with pytest.raises(StoreError, match="no_such_table") as info:
            open_store(url)
        assert "\n" not in str(info.value)
    with Raw(url) as raw:
        assert "language" not in raw.columns("articles")
    with open_store(url) as store:
        assert store.get(doc.id) == doc


def test_database_from_a_newer_chorus_is_refused(url: str) -> None:
    module, name = _migrations(url)
    open_store(url).close()
    newer = len(getattr(module, name)) + 3
    with Raw(url) as raw:
        raw.set_version(newer)
    current = len(getattr(module, name))
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert str(info.value).endswith(
        f"database schema version {newer} is newer than this chorus ({current}); upgrade chorus"
    )


def test_someone_elses_database_is_refused_and_left_alone(url: str) -> None:
    with Raw(url) as raw:
        raw.run("CREATE TABLE notes (body TEXT)")
    with pytest.raises(StoreError, match="not a chorus database"):
        open_store(url)
    with Raw(url) as raw:
        assert raw.tables() == ["notes"]


# -- opening ----------------------------------------------------------------
def test_url_and_plain_path_open_the_same_file_creating_parents(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "chorus.db"
    doc = make_doc(1)
    with open_store(f"sqlite://{path}") as store:  # tmp_path is absolute: sqlite:///...
        store.add(doc)
    assert path.is_file()
    with open_store(str(path)) as store:
        assert store.get(doc.id) == doc


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://localhost/chorus", "unsupported scheme 'mysql'"),
        ("sqlite://somehost/chorus.db", "names a host"),
        ("", "no store location"),
    ],
)
def test_bad_urls_get_a_one_line_reason(url: str, expected: str) -> None:
    with pytest.raises(StoreError, match=expected) as info:
        open_store(url)
    assert "\n" not in str(info.value)


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory") as info:
        open_store(str(tmp_path))
    assert str(tmp_path) in str(info.value)


def test_a_path_below_a_file_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="not a directory"):
        open_store(str(blocker / "chorus.db"))


def test_a_file_that_is_not_sqlite_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list: milk, eggs\n" * 100)
    with pytest.raises(StoreError, match="not an SQLite database") as info:
        open_store(str(path))
    assert str(path) in str(info.value)


def test_an_unreadable_store_is_a_store_error(tmp_path: Path) -> None:
    locked_dir = tmp_path / "locked"
    locked_dir.mkdir()
    open_store(str(locked_dir / "chorus.db")).close()
    locked_dir.chmod(0)
    try:
        if os.access(locked_dir / "chorus.db", os.R_OK):
            pytest.skip("this user ignores file permissions (root?)")
        with pytest.raises(StoreError, match="cannot open store") as info:
            open_store(str(locked_dir / "chorus.db"))
        assert str(locked_dir) in str(info.value)
    finally:
        locked_dir.chmod(0o755)


def test_a_closed_store_says_so(url: str) -> None:
    with open_store(url) as store:
        store.add(make_doc(1))
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()
    store.close()  # closing twice is harmless


def test_quotes_and_time_expressions_round_trip(url: str) -> None:
    from dataclasses import replace

    from chorus.models import Quote, TimeMention

    doc = make_doc(7)
    first = doc.sentences[0]
    doc = replace(
        doc,
        times=(TimeMention("on Monday", "DATE", first.start, first.start + 9, first.orig_start, first.orig_start + 9, 0),),
        quotes=(
            Quote("the ferry will run", "indirect", 3, 21, 3, 21, "Mara Lindqvist", "port chief", "said", 0, 30, 44),
            Quote("late", "partial", 40, 44, 40, 44, "", None, None, 1),
        ),
    )
    with open_store(url) as s:
        assert s.add(doc)
    with open_store(url) as s:
        back = s.get(doc.id)
    assert back == doc
    assert back.quotes[0].speaker == "Mara Lindqvist" and back.quotes[1].speaker_orig_start == -1


# -- PostgreSQL's own ------------------------------------------------------------
def test_an_unreachable_server_is_a_one_line_store_error_without_the_password() -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError) as info:
        open_store(f"postgresql://chorus:s3cret-pw@127.0.0.1:{port}/news")
    message = str(info.value)
    assert message.startswith(f"cannot open store postgresql://chorus@127.0.0.1:{port}/news: ")
    assert "s3cret-pw" not in message and "\n" not in message


def test_a_missing_database_names_it(pg_server) -> None:
    with pytest.raises(StoreError, match='database "no_such_db" does not exist') as info:
        open_store(pg_server.url("no_such_db"))
    assert "\n" not in str(info.value)


def test_two_processes_creating_the_schema_at_once_both_succeed(pg_url: str) -> None:
    code = "import sys; sys.path.insert(0, sys.argv[2]); from chorus.store import open_store; open_store(sys.argv[1]).close()"
    src = str(Path(__file__).resolve().parents[1] / "src")
    procs = [subprocess.Popen([sys.executable, "-c", code, pg_url, src], stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with Raw(pg_url) as raw:
        assert raw.version() == len(postgres_backend.PG_MIGRATIONS)
