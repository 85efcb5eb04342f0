"""The store: round trips, idempotence, atomicity, crashes, concurrency, migrations."""

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


def _rows_left(db: Path, article_id: str) -> int:
    with _raw(db) as conn:
        return sum(
            conn.execute(f"SELECT count(*) FROM {table} WHERE {col} = ?", (article_id,)).fetchone()[0]
            for table, col in (("articles", "id"), ("sentences", "article_id"), ("mentions", "article_id"))
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "chorus.db"


@pytest.fixture
def store(db: Path):
    with open_store(str(db)) as s:
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
def test_article_comes_back_exactly_as_added_after_reopening(db: Path) -> None:
    docs = [make_doc(1), make_doc(2, published=None), make_doc(3, n_sentences=0)]
    with open_store(str(db)) as store:
        for doc in docs:
            assert store.add(doc) is True
    with open_store(str(db)) as store:
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
    db: Path, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = make_doc(1)

    def explode(*args: object) -> None:
        raise RuntimeError("simulated failure while writing mentions")

    with monkeypatch.context() as m:
        m.setattr(SQLiteStore, "_insert_mentions", explode)
        with pytest.raises(RuntimeError):
            store.add(doc)
    assert _rows_left(db, doc.id) == 0
    assert not store.has_hash(doc.article.content_hash)
    assert store.add(doc) is True  # the failed attempt did not block a retry
    assert store.get(doc.id) == doc


def test_a_bad_mention_rejects_the_whole_article_with_a_store_error(db: Path, store: SQLiteStore) -> None:
    doc = make_doc(1)
    broken = replace(doc, mentions=(*doc.mentions[:-1], replace(doc.mentions[-1], text=None)))
    with pytest.raises(StoreError, match=f"storing article {doc.id} failed"):
        store.add(broken)
    assert _rows_left(db, doc.id) == 0
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
def test_killed_writer_leaves_a_sound_database(db: Path) -> None:
    rng = random.Random()
    seen = 0
    for _run in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", _CRASH_WRITER, str(db), str(Path(__file__).parent)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n", proc.communicate()[1]
        time.sleep(rng.uniform(0.05, 1.0))
        os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL, err  # killed mid-loop, not dead of its own error

        with _raw(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            partial = conn.execute(
                "SELECT id FROM articles a"
                " WHERE n_sentences != (SELECT count(*) FROM sentences s WHERE s.article_id = a.id)"
            ).fetchall()
            assert partial == []
        with open_store(str(db)) as store:
            rows = store.list_articles()
            assert len(rows) >= seen  # nothing committed earlier was lost
            seen = len(rows)
            for row in rows:
                n = int(row.title.rsplit(" ", 1)[1])
                assert store.get(row.id) == make_doc(n, n_sentences=CRASH_SENTENCES)
    assert seen > 0


# -- concurrency ------------------------------------------------------------
def test_two_stores_on_one_file_add_and_read_at_the_same_time(db: Path) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2, timeout=30)

    def work(first: int) -> None:
        try:
            with open_store(str(db)) as store:
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
    with open_store(str(db)) as store:
        assert store.count_articles() == 80


def test_add_waits_for_another_writer_instead_of_failing(db: Path, store: SQLiteStore) -> None:
    locked, release_after = threading.Event(), 0.5

    def hold_write_lock() -> None:
        with _raw(db) as conn:
            conn.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(release_after)
            conn.execute("COMMIT")

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


def test_a_long_reader_does_not_block_adding(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Short timeout: without WAL the add below would fail with "database is locked".
    monkeypatch.setattr(sqlite_backend, "BUSY_TIMEOUT_MS", 100)
    with open_store(str(db)) as store, _raw(db) as reader:
        store.add(make_doc(1))
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        assert store.add(make_doc(2)) is True
        assert reader.execute("SELECT count(*) FROM articles").fetchone() == (1,)  # its snapshot
        reader.execute("COMMIT")
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)


# -- schema versions --------------------------------------------------------
def test_old_database_is_upgraded_and_keeps_its_articles(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = make_doc(1)
    with open_store(str(db)) as store:
        store.add(doc)
    with _raw(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (len(sqlite_backend.MIGRATIONS),)

    v2 = (
        "ALTER TABLE articles ADD COLUMN language TEXT",
        "UPDATE articles SET language = 'en'",
    )
    monkeypatch.setattr(sqlite_backend, "MIGRATIONS", [*sqlite_backend.MIGRATIONS, v2])
    with open_store(str(db)) as store:
        assert store.get(doc.id) == doc
        assert store.add(make_doc(2)) is True
    with _raw(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (len(sqlite_backend.MIGRATIONS),)
        assert conn.execute("SELECT language FROM articles WHERE id = ?", (doc.id,)).fetchone() == ("en",)


def test_failed_upgrade_leaves_the_old_database_untouched(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = make_doc(1)
    with open_store(str(db)) as store:
        store.add(doc)
    broken = ("ALTER TABLE articles ADD COLUMN language TEXT", "UPDATE no_such_table SET x = 1")
    with monkeypatch.context() as m:
        m.setattr(sqlite_backend, "MIGRATIONS", [*sqlite_backend.MIGRATIONS, broken])
        with pytest.raises(StoreError, match="no_such_table"):
            open_store(str(db))
    with _raw(db) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
        assert "language" not in columns
    with open_store(str(db)) as store:
        assert store.get(doc.id) == doc


def test_database_from_a_newer_chorus_is_refused(db: Path) -> None:
    open_store(str(db)).close()
    newer = len(sqlite_backend.MIGRATIONS) + 3
    with _raw(db) as conn:
        conn.execute(f"PRAGMA user_version = {newer}")
    current = len(sqlite_backend.MIGRATIONS)
    with pytest.raises(StoreError) as info:
        open_store(str(db))
    assert str(info.value).endswith(
        f"database schema version {newer} is newer than this chorus ({current}); upgrade chorus"
    )


def test_someone_elses_database_is_refused_and_left_alone(db: Path) -> None:
    with _raw(db) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(StoreError, match="not a chorus database"):
        open_store(str(db))
    with _raw(db) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


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
        ("postgresql://localhost/chorus", "unsupported scheme 'postgresql'"),
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


def test_a_closed_store_says_so(db: Path) -> None:
    with open_store(str(db)) as store:
        store.add(make_doc(1))
    with pytest.raises(StoreError, match="closed"):
        store.count_articles()
    store.close()  # closing twice is harmless


def test_quotes_and_time_expressions_round_trip(db: Path) -> None:
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
    with open_store(str(db)) as s:
        assert s.add(doc)
    with open_store(str(db)) as s:
        back = s.get(doc.id)
    assert back == doc
    assert back.quotes[0].speaker == "Mara Lindqvist" and back.quotes[1].speaker_orig_start == -1
