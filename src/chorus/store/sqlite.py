"""SQLite backend: the only module in chorus that speaks SQLite's SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from chorus.errors import StoreError
from chorus.models import AnnotatedArticle, Article, Mention, Quote, Sentence, TimeMention
from chorus.store._codec import dump_offsets, dump_removed, load_offsets, load_removed
from chorus.store.base import ArticleNotFound, ArticleRow, Store

# Writers hold the lock for one article at a time, so a concurrent chorus waits
# milliseconds; the margin is for slow disks.
BUSY_TIMEOUT_MS = 10_000
# Bound parameters per query: stays under SQLITE_MAX_VARIABLE_NUMBER (999 on old builds).
_BATCH = 500

# MIGRATIONS[i] brings the schema from version i to i + 1 (kept in PRAGMA user_version).
# Never edit a step that has shipped: append a new one.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """
        CREATE TABLE articles (
            seq INTEGER PRIMARY KEY,  -- ingest order; an explicit rowid survives VACUUM
            id TEXT NOT NULL UNIQUE,
            content_hash TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            outlet TEXT NOT NULL,
            title TEXT NOT NULL,
            title_source TEXT NOT NULL,
            author TEXT,
            published TEXT,
            published_source TEXT,
            url TEXT,
            path TEXT,
            encoding TEXT,
            source_text TEXT NOT NULL,
            text TEXT NOT NULL,
            offsets TEXT NOT NULL,  -- JSON, see chorus.store._codec
            removed TEXT NOT NULL,  -- JSON, see chorus.store._codec
            n_sentences INTEGER NOT NULL,
            ingested_at TEXT NOT NULL  -- ISO 8601 UTC
        )
        """,
        "CREATE INDEX articles_published ON articles (published)",
        "CREATE INDEX articles_outlet ON articles (outlet)",
        "CREATE INDEX articles_ingested ON articles (ingested_at, id)",
        """
        CREATE TABLE sentences (
            article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            pos INTEGER NOT NULL,  -- position in AnnotatedArticle.sentences
            idx INTEGER NOT NULL,  -- Sentence.index
            paragraph INTEGER NOT NULL,
            clean_start INTEGER NOT NULL,
            clean_end INTEGER NOT NULL,
            orig_start INTEGER NOT NULL,
            orig_end INTEGER NOT NULL,
            contiguous INTEGER NOT NULL CHECK (contiguous IN (0, 1)),
            PRIMARY KEY (article_id, pos)
        )
        """,
        """
        CREATE TABLE mentions (
            article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            pos INTEGER NOT NULL,  -- position in AnnotatedArticle.mentions
            text TEXT NOT NULL,
            label TEXT NOT NULL,
            clean_start INTEGER NOT NULL,
            clean_end INTEGER NOT NULL,
            orig_start INTEGER NOT NULL,
            orig_end INTEGER NOT NULL,
            sentence INTEGER NOT NULL,
            PRIMARY KEY (article_id, pos)
        )
        """,
    ),
    # v2: time expressions and quotes found at annotation
    (
        """
        CREATE TABLE time_mentions (
            article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            pos INTEGER NOT NULL,
            text TEXT NOT NULL,
            label TEXT NOT NULL,
            clean_start INTEGER NOT NULL,
            clean_end INTEGER NOT NULL,
            orig_start INTEGER NOT NULL,
            orig_end INTEGER NOT NULL,
            sentence INTEGER NOT NULL,
            PRIMARY KEY (article_id, pos)
        )
        """,
        """
        CREATE TABLE quotes (
            article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            pos INTEGER NOT NULL,
            text TEXT NOT NULL,
            kind TEXT NOT NULL,
            clean_start INTEGER NOT NULL,
            clean_end INTEGER NOT NULL,
            orig_start INTEGER NOT NULL,
            orig_end INTEGER NOT NULL,
            speaker TEXT NOT NULL,
            speaker_role TEXT,
            cue TEXT,
            sentence INTEGER NOT NULL,
            speaker_orig_start INTEGER NOT NULL,
            speaker_orig_end INTEGER NOT NULL,
            PRIMARY KEY (article_id, pos)
        )
        """,
        "CREATE INDEX quotes_speaker ON quotes (speaker)",
    ),
]

# Article fields stored in columns of the same name, in this order.
_ARTICLE_FIELDS = (
    "id", "content_hash", "source", "kind", "outlet", "title", "title_source", "author",
    "published", "published_source", "url", "path", "encoding", "source_text", "text",
    "offsets", "removed",
)  # fmt: skip
_SENTENCE_COLUMNS = "idx, paragraph, clean_start, clean_end, orig_start, orig_end, contiguous"
_MENTION_COLUMNS = "text, label, clean_start, clean_end, orig_start, orig_end, sentence"
_TIME_COLUMNS = "text, label, clean_start, clean_end, orig_start, orig_end, sentence"
_QUOTE_COLUMNS = (
    "text, kind, clean_start, clean_end, orig_start, orig_end, speaker, speaker_role, cue, sentence,"
    " speaker_orig_start, speaker_orig_end"
)
_ROW_COLUMNS = "id, outlet, title, published, published_source, source, kind, ingested_at, n_sentences"


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class SQLiteStore(Store):
    """A store in one SQLite file (or ``:memory:``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = _connect(path)
        try:
            with _open_errors(path):
                _migrate(self._conn, path)
        except BaseException:
            self.close()
            raise

    # -- writing -----------------------------------------------------------
    def add(self, doc: AnnotatedArticle) -> bool:
        with self._errors(f"storing article {doc.id}"), self._transaction() as conn:
            # No conflict target: a clash on id or on content_hash both mean "already stored".
            inserted = conn.execute(
                f"INSERT INTO articles ({', '.join(_ARTICLE_FIELDS)}, n_sentences, ingested_at)"
                f" VALUES ({', '.join('?' * (len(_ARTICLE_FIELDS) + 2))})"
                " ON CONFLICT DO NOTHING",
                (*_article_values(doc.article), len(doc.sentences), _utc_now()),
            ).rowcount
            if not inserted:
                return False
            self._insert_sentences(conn, doc.id, doc.sentences)
            self._insert_mentions(conn, doc.id, doc.mentions)
            self._insert_rows(conn, "time_mentions", _TIME_COLUMNS, doc.id, [
                (t.text, t.label, t.start, t.end, t.orig_start, t.orig_end, t.sentence) for t in doc.times
            ])  # fmt: skip
            self._insert_rows(conn, "quotes", _QUOTE_COLUMNS, doc.id, [
                (q.text, q.kind, q.start, q.end, q.orig_start, q.orig_end, q.speaker, q.speaker_role, q.cue,
                 q.sentence, q.speaker_orig_start, q.speaker_orig_end)
                for q in doc.quotes
            ])  # fmt: skip
        return True

    def _insert_rows(
        self, conn: sqlite3.Connection, table: str, columns: str, article_id: str, rows: Sequence[tuple]
    ) -> None:
        width = len(columns.split(","))
        conn.executemany(
            f"INSERT INTO {table} (article_id, pos, {columns}) VALUES (?, ?, {', '.join('?' * width)})",
            ((article_id, pos, *row) for pos, row in enumerate(rows)),
        )

    def _insert_sentences(self, conn: sqlite3.Connection, article_id: str, sentences: Sequence[Sentence]) -> None:
        conn.executemany(
            f"INSERT INTO sentences (article_id, pos, {_SENTENCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (article_id, pos, s.index, s.paragraph, s.start, s.end, s.orig_start, s.orig_end, int(s.contiguous))
                for pos, s in enumerate(sentences)
            ),
        )

    def _insert_mentions(self, conn: sqlite3.Connection, article_id: str, mentions: Sequence[Mention]) -> None:
        conn.executemany(
            f"INSERT INTO mentions (article_id, pos, {_MENTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (article_id, pos, m.text, m.label, m.start, m.end, m.orig_start, m.orig_end, m.sentence)
                for pos, m in enumerate(mentions)
            ),
        )

    # -- reading -----------------------------------------------------------
    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(hashes))
        found: set[str] = set()
        with self._errors("looking up content hashes"):
            for i in range(0, len(wanted), _BATCH):
                batch = wanted[i : i + _BATCH]
                rows = self._connection().execute(
                    f"SELECT content_hash FROM articles WHERE content_hash IN ({', '.join('?' * len(batch))})",
                    batch,
                )
                found.update(h for (h,) in rows)
        return found

    def list_articles(self, *, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        if (limit is not None and limit < 0) or offset < 0:
            raise ValueError(f"limit and offset must not be negative (got {limit}, {offset})")
        with self._errors("listing articles"):
            rows = self._connection().execute(
                f"SELECT {_ROW_COLUMNS} FROM articles ORDER BY ingested_at DESC, id LIMIT ? OFFSET ?",
                (-1 if limit is None else limit, offset),  # LIMIT -1: no limit
            )
            return [ArticleRow(*row) for row in rows]

    def count_articles(self) -> int:
        with self._errors("counting articles"):
            (n,) = self._connection().execute("SELECT count(*) FROM articles").fetchone()
        return int(n)

    def get(self, article_id: str) -> AnnotatedArticle:
        with self._errors(f"reading article {article_id}"):
            conn = self._connection()
            row = conn.execute(
                f"SELECT {', '.join(_ARTICLE_FIELDS)} FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
            if row is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            sentences = conn.execute(
                f"SELECT {_SENTENCE_COLUMNS} FROM sentences WHERE article_id = ? ORDER BY pos", (article_id,)
            ).fetchall()
            mentions = conn.execute(
                f"SELECT {_MENTION_COLUMNS} FROM mentions WHERE article_id = ? ORDER BY pos", (article_id,)
            ).fetchall()
            times = conn.execute(
                f"SELECT {_TIME_COLUMNS} FROM time_mentions WHERE article_id = ? ORDER BY pos", (article_id,)
            ).fetchall()
            quotes = conn.execute(
                f"SELECT {_QUOTE_COLUMNS} FROM quotes WHERE article_id = ? ORDER BY pos", (article_id,)
            ).fetchall()
        try:
            article = _article_from_row(row)
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{self.path}: article {article_id} is stored corrupt ({exc})") from None
        return AnnotatedArticle(
            article=article,
            sentences=tuple(
                Sentence(index, paragraph, start, end, o_start, o_end, bool(contiguous))
                for index, paragraph, start, end, o_start, o_end, contiguous in sentences
            ),
            mentions=tuple(Mention(*m) for m in mentions),
            times=tuple(TimeMention(*t) for t in times),
            quotes=tuple(Quote(*q) for q in quotes),
        )

    def iter_annotated(self) -> Iterator[AnnotatedArticle]:
        # Ids first, then one article at a time: no read cursor stays open while the
        # caller works (it would hold back WAL checkpoints and could see later writes).
        with self._errors("listing articles"):
            ids = [i for (i,) in self._connection().execute("SELECT id FROM articles ORDER BY seq")]
        for article_id in ids:
            yield self.get(article_id)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- internals ---------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.path}: the store is closed")
        return self._conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        # IMMEDIATE takes the write lock up front, so waiting for another writer goes
        # through busy_timeout instead of failing on a read-to-write lock upgrade.
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn sqlite3 and text-encoding errors into one-line StoreErrors."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {action} failed: {_reason(exc)}") from exc
        except UnicodeEncodeError as exc:
            raise StoreError(
                f"{self.path}: {action} failed: text is not valid Unicode ({exc.reason} at position {exc.start})"
            ) from exc


def _article_values(article: Article) -> tuple[object, ...]:
    values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
    values["offsets"] = dump_offsets(article.offsets)
    values["removed"] = dump_removed(article.removed)
    return tuple(values[name] for name in _ARTICLE_FIELDS)


def _article_from_row(row: Sequence[object]) -> Article:
    values = dict(zip(_ARTICLE_FIELDS, row, strict=True))
    values["offsets"] = load_offsets(str(values["offsets"]))
    values["removed"] = load_removed(str(values["removed"]))
    return Article(**values)  # type: ignore[arg-type]


def _reason(exc: sqlite3.Error) -> str:
    message = str(exc)
    if "locked" in message or "busy" in message:
        return f"{message} (another chorus is using it); try again"
    return message


@contextmanager
def _open_errors(path: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        message = str(exc)
        if "file is not a database" in message:
            reason = "not an SQLite database; choose another path"
        elif "unable to open" in message:
            reason = f"{message}; check that you may read and write it and its directory"
        else:
            reason = _reason(exc)
        raise StoreError(f"cannot open store {path}: {reason}") from None


def _connect(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        target = Path(path)
        try:
            if target.is_dir():
                hint = f"give a file path such as {target / 'chorus.db'}"
                raise StoreError(f"cannot open store {path}: it is a directory; {hint}")
            target.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise StoreError(f"cannot open store {path}: {target.parent} is a file, not a directory") from None
        except OSError as exc:  # e.g. no permission to look inside the directory
            raise StoreError(f"cannot open store {path}: {exc.strerror or exc}") from None
    with _open_errors(path):
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (see _transaction).
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        with _open_errors(path):
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
            conn.execute("PRAGMA foreign_keys = ON")
            # WAL: readers never block the writer, and a killed writer leaves the file intact.
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            # NORMAL is crash-safe in WAL mode; a power loss may drop only the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _user_version(conn: sqlite3.Connection) -> int:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    return int(version)


def _migrate(conn: sqlite3.Connection, path: str) -> None:
    """Apply the missing MIGRATIONS steps, all in one transaction."""
    target = len(MIGRATIONS)
    if _user_version(conn) == target:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = _user_version(conn)
        if version > target:
            raise StoreError(
                f"{path}: database schema version {version} is newer than this chorus ({target}); upgrade chorus"
            )
        if version == 0 and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(f"{path}: not a chorus database (it has tables but no chorus schema); choose another path")
        for step in MIGRATIONS[version:]:
            for statement in step:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {target}")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
