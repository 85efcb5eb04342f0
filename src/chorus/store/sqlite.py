"""SQLite backend: the only module in chorus that speaks SQLite's SQL."""

from __future__ import annotations

import json
import re
import sqlite3
import time

try:
    import fcntl
except ImportError:  # Windows: one chorus at a time on a store
    fcntl = None  # type: ignore[assignment]
from collections import Counter, OrderedDict

import numpy as np
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

from chorus.errors import ArticleRefused, StoreError
from chorus.models import AnnotatedArticle, Article, Mention, Quote, Sentence, TimeMention
from chorus.store._codec import dump_offsets, dump_removed, load_offsets, load_removed
from chorus.store.base import ArticleNotFound, ArticleRow, Revision, Store, StoryRow
from chorus.store.base import ArticleHit, CachedBriefing, ClaimHit, NameCount, QuoteRow, StoryQuery  # web
from chorus.store.base import FetchLogEntry, FetchState, SourceActivity  # watch
from chorus.stories import Features, StoryState
from chorus.stories import day_number  # web

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
    # v3: stories, assigned incrementally, with their history
    (
        """
        CREATE TABLE stories (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            title_headline INTEGER NOT NULL DEFAULT 0,
            n_articles INTEGER NOT NULL,
            vector_sum BLOB NOT NULL,  -- float32, sum of member vectors
            keys TEXT NOT NULL,  -- JSON {name: count}
            first_day INTEGER,
            last_day INTEGER,
            merged_into TEXT REFERENCES stories (id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX stories_updated ON stories (updated_at)",
        """
        CREATE TABLE story_keys (
            story_id TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            last_day INTEGER,
            PRIMARY KEY (key, story_id)
        )
        """,
        """
        CREATE TABLE story_articles (
            article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
            story_id TEXT NOT NULL REFERENCES stories (id),
            score REAL NOT NULL,
            vector BLOB NOT NULL,  -- float32, the article's own vector
            keys TEXT NOT NULL,  -- JSON list of names
            day INTEGER,
            assigned_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX story_articles_story ON story_articles (story_id)",
        "CREATE TABLE key_df (key TEXT PRIMARY KEY, df INTEGER NOT NULL)",
        """
        CREATE TABLE story_revisions (
            seq INTEGER PRIMARY KEY,
            story_id TEXT NOT NULL,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,  -- created | added | merged
            detail TEXT NOT NULL  -- JSON
        )
        """,
        "CREATE INDEX story_revisions_story ON story_revisions (story_id, seq)",
        "CREATE INDEX story_revisions_at ON story_revisions (at)",
    ),
    # v4: the web app: full-text search over articles and claims, a cache of each
    # story's briefing JSON (pages must not run the analysis per request), and indexes
    # for the story listing's filters and sort orders
    (
        # external content: the index reads title/text from `articles`; triggers keep
        # it in step with every writer (single adds and bulk loads alike)
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='seq',"
        " tokenize='unicode61 remove_diacritics 2')",
        "INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')",
        "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN"
        " INSERT INTO articles_fts (rowid, title, text) VALUES (new.seq, new.title, new.text); END",
        "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN"
        " INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text); END",
        "CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN"
        " INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.seq, old.title, old.text);"
        " INSERT INTO articles_fts (rowid, title, text) VALUES (new.seq, new.title, new.text); END",
        """
        CREATE TABLE story_briefings (
            story_id TEXT PRIMARY KEY,
            computed_at TEXT NOT NULL,  -- ISO 8601 UTC; older than stories.updated_at = stale
            json TEXT NOT NULL  -- chorus.render.json.briefing_dict of the story alone (last: it is big)
        )
        """,
        "CREATE INDEX story_briefings_computed ON story_briefings (computed_at)",
        "CREATE VIRTUAL TABLE claims_fts USING fts5(text, story_id UNINDEXED, claim_id UNINDEXED,"
        " tokenize='unicode61 remove_diacritics 2')",
        "CREATE INDEX mentions_text ON mentions (text COLLATE NOCASE)",
        # the listing's sort orders, over live stories only: a page is read straight off
        # the index (a story row is big, its vectors and names come before these columns)
        "CREATE INDEX stories_live_recent ON stories (last_day, n_articles, updated_at) WHERE merged_into IS NULL AND n_articles > 0",
        "CREATE INDEX stories_live_size ON stories (n_articles, last_day) WHERE merged_into IS NULL AND n_articles > 0",
        "CREATE INDEX stories_live_updated ON stories (updated_at) WHERE merged_into IS NULL AND n_articles > 0",
        # each story's outlets with their article counts, kept by triggers on
        # story_articles (adds, bulk loads, merges, deletes): a listing page would
        # otherwise read every article of its fifty stories
        """
        CREATE TABLE story_outlets (
            story_id TEXT NOT NULL,
            outlet TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (story_id, outlet)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX story_outlets_outlet ON story_outlets (outlet, story_id)",
        "INSERT INTO story_outlets (story_id, outlet, n) SELECT sa.story_id, a.outlet, count(*)"
        " FROM story_articles sa JOIN articles a ON a.id = sa.article_id GROUP BY sa.story_id, a.outlet",
        "CREATE TRIGGER story_outlets_insert AFTER INSERT ON story_articles BEGIN"
        " INSERT INTO story_outlets (story_id, outlet, n) SELECT new.story_id, outlet, 1 FROM articles WHERE id = new.article_id"
        " ON CONFLICT (story_id, outlet) DO UPDATE SET n = n + 1; END",
        # a removal or a move recounts the stories concerned (rare, and right even when
        # the article row is already gone, as under ON DELETE CASCADE)
        "CREATE TRIGGER story_outlets_delete AFTER DELETE ON story_articles BEGIN"
        " DELETE FROM story_outlets WHERE story_id = old.story_id;"
        " INSERT INTO story_outlets (story_id, outlet, n) SELECT sa.story_id, a.outlet, count(*) FROM story_articles sa"
        " JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = old.story_id GROUP BY sa.story_id, a.outlet; END",
        "CREATE TRIGGER story_outlets_move AFTER UPDATE OF story_id ON story_articles WHEN old.story_id != new.story_id BEGIN"
        " UPDATE story_outlets SET n = n - 1 WHERE story_id = old.story_id"
        "  AND outlet = (SELECT outlet FROM articles WHERE id = new.article_id);"
        " DELETE FROM story_outlets WHERE story_id = old.story_id AND n <= 0;"
        " INSERT INTO story_outlets (story_id, outlet, n) SELECT new.story_id, outlet, 1 FROM articles WHERE id = new.article_id"
        " ON CONFLICT (story_id, outlet) DO UPDATE SET n = n + 1; END",
    ),
    # v5: story assignment at scale (measured with bench/scale.py): the time window as
    # an index range per name, a story's own name rows by index, and the number of
    # assigned articles kept instead of counted on every article
    (
        "CREATE INDEX story_keys_window ON story_keys (key, last_day, story_id)",
        "CREATE INDEX story_keys_story ON story_keys (story_id)",
        "CREATE TABLE story_totals (assigned INTEGER NOT NULL)",
        "INSERT INTO story_totals SELECT count(*) FROM story_articles",
        "CREATE TRIGGER story_totals_insert AFTER INSERT ON story_articles BEGIN"
        " UPDATE story_totals SET assigned = assigned + 1; END",
        "CREATE TRIGGER story_totals_delete AFTER DELETE ON story_articles BEGIN"
        " UPDATE story_totals SET assigned = assigned - 1; END",
    ),
    # changes and alerts: a snapshot of a story after each ingest that changed it (with
    # the changes against its previous one), saved watches, their notifications, and
    # webhook deliveries with their retry state
    (
        """
        CREATE TABLE story_snapshots (
            seq INTEGER PRIMARY KEY,
            story_id TEXT NOT NULL,  -- as it was then (a later merge does not rewrite it)
            at TEXT NOT NULL,  -- ISO 8601 UTC
            snapshot TEXT NOT NULL,  -- JSON, chorus.changes.Snapshot
            changes TEXT NOT NULL  -- JSON, chorus.changes.StoryChanges against the previous snapshot
        )
        """,
        "CREATE INDEX story_snapshots_story ON story_snapshots (story_id, at)",
        "CREATE INDEX story_snapshots_at ON story_snapshots (at)",
        """
        CREATE TABLE watches (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('entity', 'query', 'story')),
            value TEXT NOT NULL,
            webhook TEXT,
            created_at TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            watch_id INTEGER NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
            story_id TEXT NOT NULL,
            snapshot_seq INTEGER NOT NULL,
            at TEXT NOT NULL,
            payload TEXT NOT NULL,  -- JSON, the webhook body
            UNIQUE (watch_id, snapshot_seq)
        )
        """,
        "CREATE INDEX notifications_watch ON notifications (watch_id, at)",
        "CREATE INDEX notifications_at ON notifications (at)",
        """
        CREATE TABLE webhook_deliveries (
            notification_id INTEGER PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            delivered_at TEXT,
            last_error TEXT
        )
        """,
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_try_at) WHERE delivered_at IS NULL",
    ),
    # v7: merges at scale (bench/scale.py): a merge leaves the merged story's name rows
    # where they are, filed under its old id (a "keyset"), and records here which live
    # story they now belong to; a story's rows are those under its own id and under
    # every keyset that names it. Moving them meant a delete and an insert in three
    # name-ordered indexes per name: the slowest assignments at 1M articles.
    (
        "CREATE TABLE story_keysets (keyset TEXT PRIMARY KEY, story_id TEXT NOT NULL) WITHOUT ROWID",
        "CREATE INDEX story_keysets_story ON story_keysets (story_id)",
    ),
    # v8: `chorus watch` fetch state: validators and last outcome per URL (so a
    # restarted watch sends conditional GETs and never refetches a page it has), and
    # the log of every fetch outcome per source
    (
        """
        CREATE TABLE fetch_state (
            url TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            status TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            article_id TEXT,  -- no foreign key: deleting an article must not make the watch fetch it again
            content_hash TEXT,
            attempts INTEGER NOT NULL DEFAULT 1,
            reason TEXT NOT NULL DEFAULT ''
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE fetch_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            outcome TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX fetch_log_source ON fetch_log (source, seq)",
        "CREATE INDEX fetch_log_at ON fetch_log (at)",
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
    """A store in one SQLite file (or ``:memory:``).

    Its SQL is written to run on PostgreSQL too (``CAST(? AS TEXT) IS NULL``, ``IS
    DISTINCT FROM``, ``RETURNING``, aliased subqueries): :class:`PostgresStore`
    subclasses it and replaces only what differs, through the hooks below and the
    schema, full-text search and connection handling."""

    _NO_LIMIT: int | None = -1  # the LIMIT parameter that means "no limit"
    _DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, path: str) -> None:
        self.path = path
        self._init_state()
        self._conn: sqlite3.Connection | None = _connect(path)
        try:
            with _open_errors(path):
                _migrate(self._conn, path)
        except BaseException:
            self.close()
            raise

    def _init_state(self) -> None:
        """What an open store keeps besides its connection (every backend)."""
        # story id -> ((n_articles, updated_at) when read, its members): see story_members
        self._members: OrderedDict[str, tuple[tuple[int, str], list[Features]]] = OrderedDict()
        self._members_n = 0
        self._assign_depth = 0  # how deep `assigning` is entered

    # -- writing -----------------------------------------------------------
    def add(self, doc: AnnotatedArticle) -> bool:
        with self._errors(f"storing article {doc.id}", refusable=True), self._transaction() as conn:
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
                (self._NO_LIMIT if limit is None else limit, offset),
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

    # -- stories -------------------------------------------------------------
    def candidate_stories(self, keys: Iterable[str], day: int | None, window_days: int, limit: int) -> list[StoryState]:
        keys = sorted(set(keys))
        with self._errors("finding candidate stories"):
            conn = self._connection()
            ids: list[str] = []
            if keys:
                # two index ranges per name (dated in the window, undated) rather than
                # one OR that scans every story that ever had a common name; a name
                # filed under two of a story's keysets (see v6) counts once
                arms = [("TRUE", ())] if day is None else [("k.last_day >= ?", (day - window_days,)), ("k.last_day IS NULL", ())]
                named = (
                    "SELECT coalesce(ks.story_id, k.story_id) AS sid, k.key AS key FROM story_keys k"
                    " LEFT JOIN story_keysets ks ON ks.keyset = k.story_id WHERE k.key IN ({marks}) AND {test}"
                )
                if len(keys) * len(arms) <= _BATCH:  # the usual case: SQLite ranks, only the top `limit` come back
                    marks = ", ".join("?" * len(keys))
                    union = " UNION ALL ".join(named.format(marks=marks, test=test) for test, _ in arms)
                    ids = [r[0] for r in conn.execute(
                        f"SELECT sid FROM ({union}) AS u GROUP BY sid ORDER BY count(DISTINCT key) DESC, sid LIMIT ?",
                        (*(p for _, extra in arms for p in (*keys, *extra)), limit),
                    )]  # fmt: skip
                else:
                    shared: dict[str, int] = {}
                    for i in range(0, len(keys), _BATCH):
                        batch = keys[i : i + _BATCH]
                        for test, extra in arms:
                            for sid, n in conn.execute(
                                f"SELECT sid, count(DISTINCT key) FROM ({named.format(marks=', '.join('?' * len(batch)), test=test)}) AS u"
                                " GROUP BY sid",
                                (*batch, *extra),
                            ):
                                shared[sid] = shared.get(sid, 0) + n
                    ids = sorted(shared, key=lambda sid: (-shared[sid], sid))[:limit]
            if not ids:  # an article with no (known) names: the most recent stories of its days
                ids = [
                    r[0]
                    for r in conn.execute(
                        "SELECT id FROM stories WHERE merged_into IS NULL"
                        " AND (CAST(? AS TEXT) IS NULL OR last_day IS NULL OR (last_day >= ? AND first_day <= ?))"
                        " ORDER BY updated_at DESC, id LIMIT ?",
                        (day, None if day is None else day - window_days, None if day is None else day + window_days, min(limit, 50)),
                    )
                ]
            if not ids:
                return []
            rows = {
                r[0]: r
                for r in conn.execute(  # every candidate's state in one query
                    "SELECT id, title, vector_sum, n_articles, keys, first_day, last_day, title_headline FROM stories"
                    f" WHERE id IN ({', '.join('?' * len(ids))})",
                    ids,
                )
            }
            return [_state(rows[i]) for i in ids if i in rows]

    def _story_state(self, conn: sqlite3.Connection, story_id: str) -> StoryState:
        return _state(
            conn.execute(
                "SELECT id, title, vector_sum, n_articles, keys, first_day, last_day, title_headline FROM stories WHERE id = ?",
                (story_id,),
            ).fetchone()
        )

    def key_df(self, keys: Iterable[str]) -> tuple[dict[str, int], int]:
        keys = list(dict.fromkeys(keys))
        out: dict[str, int] = {}
        with self._errors("reading name frequencies"):
            conn = self._connection()
            for i in range(0, len(keys), _BATCH):
                batch = keys[i : i + _BATCH]
                out.update(conn.execute(f"SELECT key, df FROM key_df WHERE key IN ({', '.join('?' * len(batch))})", batch))
            (total,) = conn.execute("SELECT assigned FROM story_totals").fetchone()
        return out, int(total)

    def save_assignment(
        self, features: Features, story: StoryState, *, created: bool, score: float, merged: Iterable[StoryState] = ()
    ) -> None:
        now = _utc_now()
        merged = list(merged)
        members = None
        with self._errors(f"assigning article {features.article_id}"), self._transaction() as conn:
            # the story's members as the split check will ask for them next (read here,
            # before a merge moves them, only for stories not already kept)
            members = self._grown_members(conn, features, [] if created else [story.id, *(o.id for o in merged)])
            if created:
                conn.execute(
                    "INSERT INTO stories (id, title, n_articles, vector_sum, keys, first_day, last_day, created_at, updated_at)"
                    " VALUES (?, ?, 0, ?, '{}', NULL, NULL, ?, ?)",
                    (story.id, story.title, np.zeros_like(story.vector_sum).tobytes(), now, now),
                )
                self._revision(conn, story.id, now, "created", {"article": features.article_id})
            conn.execute(
                "INSERT INTO story_articles (article_id, story_id, score, vector, keys, day, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (features.article_id, story.id, score, features.vector.astype(np.float32).tobytes(),
                 json.dumps(sorted(features.keys)), features.day, now),
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO key_df (key, df) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET df = key_df.df + 1",
                [(k,) for k in sorted(features.keys)],
            )
            self._absorb_stories(conn, story, merged, now)
            # only the article's own names are new rows; the story's other rows just
            # move their last day (one indexed UPDATE, not an upsert per name)
            conn.executemany(
                "INSERT INTO story_keys (story_id, key, last_day) VALUES (?, ?, ?)"
                " ON CONFLICT (key, story_id) DO UPDATE SET last_day = excluded.last_day",
                [(story.id, k, story.last_day) for k in sorted(features.keys)],
            )
            _move_last_day(conn, story.id, story.last_day)
            if not created:
                self._revision(conn, story.id, now, "added", {"article": features.article_id, "score": round(score, 4)})
        if members is not None:
            self._cache_members(story.id, (story.n, now), members)

    def merge_stories(self, story: StoryState, merged: Sequence[StoryState], why: str) -> None:
        now = _utc_now()
        with self._errors(f"merging into story {story.id}"), self._transaction() as conn:
            self._absorb_stories(conn, story, merged, now, why)
            _move_last_day(conn, story.id, story.last_day)

    def _absorb_stories(
        self, conn: sqlite3.Connection, story: StoryState, merged: Iterable[StoryState], now: str, why: str = ""
    ) -> None:
        """Stories ``merged`` become part of ``story`` (whose state already counts
        them): their articles and names move, both sides record the merge."""
        note = {"why": why} if why else {}
        for other in merged:
            conn.execute("UPDATE story_articles SET story_id = ? WHERE story_id = ?", (story.id, other.id))
            conn.execute("UPDATE stories SET merged_into = ?, updated_at = ? WHERE id = ?", (story.id, now, other.id))
            _merge_keysets(conn, story.id, other.id)
            self._revision(conn, story.id, now, "merged", {"story": other.id, "articles": other.n, "title": other.title, **note})
            self._revision(conn, other.id, now, "merged_into", {"story": story.id, **note})
        conn.execute(
            "UPDATE stories SET title = ?, title_headline = ?, n_articles = ?, vector_sum = ?, keys = ?, first_day = ?,"
            " last_day = ?, updated_at = ? WHERE id = ?",
            (story.title, int(story.headline), story.n, story.vector_sum.astype(np.float32).tobytes(), json.dumps(dict(story.keys)),
             story.first_day, story.last_day, now, story.id),
        )  # fmt: skip

    @contextmanager
    def assigning(self) -> Iterator[None]:
        if self._assign_depth:  # held already by this store (re-entered): nothing more to take
            self._assign_depth += 1
            try:
                yield
            finally:
                self._assign_depth -= 1
            return
        with self._assignment_lock():
            self._assign_depth = 1
            try:
                yield
            finally:
                self._assign_depth = 0

    @contextmanager
    def _assignment_lock(self) -> Iterator[None]:
        """The lock :meth:`assigning` holds between processes: an exclusive flock on a
        file beside the database (``chorus.db-assign.lock``), since SQLite's own locks
        cannot be held across many transactions without blocking every writer; a memory
        store is private to its object and needs none."""
        if self.path == ":memory:" or fcntl is None:
            yield
            return
        try:
            fh = open(self.path + "-assign.lock", "a+b")  # noqa: SIM115 - held across the yield
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot take the story-assignment lock: {exc.strerror or exc}") from None
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def story_members(self, story_id: str) -> list[Features]:
        # The split check reads every member of a story each time one joins it: for a
        # story of a thousand articles, two thousand scattered rows (the costliest read
        # at 1M articles, bench/scale.py). So a story's members are kept once read, and
        # grown by save_assignment, as long as the story's (n_articles, updated_at) --
        # which every writer of its membership changes, in any process -- still match.
        with self._errors(f"reading story {story_id}"):
            conn = self._connection()
            cached = self._current_members(conn, story_id)
            if cached is not None:
                self._cache_members(story_id, *cached)
                return list(cached[1])
            stamp = conn.execute("SELECT n_articles, updated_at FROM stories WHERE id = ?", (story_id,)).fetchone()
            members = self._read_members(conn, story_id)
        if stamp is not None:
            self._cache_members(story_id, tuple(stamp), members)
        return list(members)

    _MEMBERS_CACHED = 50_000  # members kept in all (about 1.5 KB each), least recently used stories go first

    def _current_members(self, conn: sqlite3.Connection, story_id: str) -> tuple[tuple[int, str], list[Features]] | None:
        """The cached members of a story if nothing has changed it since (taken out of the cache)."""
        entry = self._members.pop(story_id, None)
        if entry is None:
            return None
        self._members_n -= len(entry[1])
        row = conn.execute("SELECT n_articles, updated_at FROM stories WHERE id = ?", (story_id,)).fetchone()
        return entry if row is not None and tuple(row) == entry[0] else None

    def _cache_members(self, story_id: str, stamp: tuple[int, str], members: list[Features]) -> None:
        self._members[story_id] = (stamp, members)
        self._members_n += len(members)
        while self._members_n > self._MEMBERS_CACHED and self._members:
            self._members_n -= len(self._members.popitem(last=False)[1][1])

    def _grown_members(self, conn: sqlite3.Connection, f: Features, stories: list[str]) -> list[Features] | None:
        """The members ``stories`` will have as one story with ``f`` added: what
        story_members would read after the save (None if the article is not stored)."""
        parts = [entry[1] if (entry := self._current_members(conn, sid)) is not None else self._read_members(conn, sid) for sid in stories]
        row = conn.execute("SELECT title, title_source FROM articles WHERE id = ?", (f.article_id,)).fetchone()
        if row is None:
            return None
        member = Features(f.article_id, f.vector.astype(np.float32), frozenset(f.keys), f.day, row[0], row[1] != "first-sentence")
        # story_members' order: ORDER BY coalesce(day, 1e9), article_id
        return sorted([*(m for p in parts for m in p), member], key=lambda m: (1e9 if m.day is None else m.day, m.article_id))

    @staticmethod
    def _read_members(conn: sqlite3.Connection, story_id: str) -> list[Features]:
        rows = conn.execute(
            "SELECT sa.article_id, sa.vector, sa.keys, sa.day, a.title, a.title_source FROM story_articles sa"
            " JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = ? ORDER BY coalesce(sa.day, 1e9), sa.article_id",
            (story_id,),
        ).fetchall()
        return [
            Features(r[0], np.frombuffer(r[1], dtype=np.float32).copy(), frozenset(json.loads(r[2])), r[3], r[4], r[5] != "first-sentence")
            for r in rows
        ]

    def split_story(self, story_id: str, kept: StoryState, new: StoryState, moved: Iterable[str], similarity: float) -> None:
        now = _utc_now()
        moved = list(moved)
        with self._errors(f"splitting story {story_id}"), self._transaction() as conn:
            conn.execute(
                "INSERT INTO stories (id, title, title_headline, n_articles, vector_sum, keys, first_day, last_day, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new.id, new.title, int(new.headline), new.n, new.vector_sum.astype(np.float32).tobytes(), json.dumps(dict(new.keys)),
                 new.first_day, new.last_day, now, now),
            )  # fmt: skip
            conn.executemany("UPDATE story_articles SET story_id = ? WHERE article_id = ?", [(new.id, a) for a in moved])
            conn.execute(
                "UPDATE stories SET title = ?, title_headline = ?, n_articles = ?, vector_sum = ?, keys = ?, first_day = ?,"
                " last_day = ?, updated_at = ? WHERE id = ?",
                (kept.title, int(kept.headline), kept.n, kept.vector_sum.astype(np.float32).tobytes(), json.dumps(dict(kept.keys)),
                 kept.first_day, kept.last_day, now, story_id),
            )  # fmt: skip
            _drop_keysets(conn, story_id)
            for state in (kept, new):
                conn.executemany(
                    "INSERT INTO story_keys (story_id, key, last_day) VALUES (?, ?, ?)",
                    [(state.id, k, state.last_day) for k in sorted(state.keys)],
                )
            detail = {"articles": sorted(moved), "similarity": round(similarity, 4)}
            self._revision(conn, story_id, now, "split", {**detail, "into": new.id})
            self._revision(conn, new.id, now, "split_from", {**detail, "story": story_id})

    def _revision(self, conn: sqlite3.Connection, story_id: str, at: str, kind: str, detail: dict) -> None:
        conn.execute(
            "INSERT INTO story_revisions (story_id, at, kind, detail) VALUES (?, ?, ?, ?)",
            (story_id, at, kind, json.dumps(detail, sort_keys=True)),
        )

    def unassigned_article_ids(self) -> list[str]:
        with self._errors("listing unassigned articles"):
            rows = self._connection().execute(
                "SELECT id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM story_articles sa WHERE sa.article_id = a.id)"
                " ORDER BY seq"
            )
            return [r[0] for r in rows]

    def story_of(self, article_id: str) -> str | None:
        with self._errors("looking up a story"):
            row = self._connection().execute("SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    _STORY_ROW = (
        "SELECT s.id, s.title, s.n_articles,"
        " (SELECT group_concat(outlet, char(31)) FROM (SELECT DISTINCT a.outlet FROM story_articles sa"
        "   JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = s.id ORDER BY a.outlet)),"
        " (SELECT min(a.published) FROM story_articles sa JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = s.id),"
        " (SELECT max(a.published) FROM story_articles sa JOIN articles a ON a.id = sa.article_id WHERE sa.story_id = s.id),"
        " s.created_at, s.updated_at FROM stories s"
    )

    @staticmethod
    def _story_row(row: Sequence) -> StoryRow:
        outlets = tuple(row[3].split("\x1f")) if row[3] else ()
        return StoryRow(row[0], row[1], row[2], outlets, row[4], row[5], row[6], row[7])

    def list_stories(self, *, limit: int | None = None, offset: int = 0) -> list[StoryRow]:
        with self._errors("listing stories"):
            rows = self._connection().execute(
                self._STORY_ROW + " WHERE s.merged_into IS NULL ORDER BY s.updated_at DESC, s.n_articles DESC, s.id"
                " LIMIT ? OFFSET ?",
                (self._NO_LIMIT if limit is None else limit, offset),
            ).fetchall()
        return [self._story_row(r) for r in rows]

    def get_story(self, story_id: str) -> StoryRow:
        with self._errors(f"reading story {story_id}"):
            conn = self._connection()
            for _ in range(100):  # follow merges
                row = conn.execute("SELECT merged_into FROM stories WHERE id = ?", (story_id,)).fetchone()
                if row is None:
                    raise ArticleNotFound(f"no story with id {story_id!r}")
                if row[0] is None:
                    break
                story_id = row[0]
            return self._story_row(conn.execute(self._STORY_ROW + " WHERE s.id = ?", (story_id,)).fetchone())

    def story_article_ids(self, story_id: str) -> list[str]:
        with self._errors(f"reading story {story_id}"):
            rows = self._connection().execute(
                "SELECT sa.article_id FROM story_articles sa JOIN articles a ON a.id = sa.article_id"
                " WHERE sa.story_id = ? ORDER BY coalesce(a.published, '9999'), a.id",
                (story_id,),
            )
            return [r[0] for r in rows]

    def assigned_times(self, story_id: str) -> dict[str, str]:
        with self._errors(f"reading story {story_id}"):
            rows = self._connection().execute("SELECT article_id, assigned_at FROM story_articles WHERE story_id = ?", (story_id,))
            return {r[0]: r[1] for r in rows}

    def revisions(self, story_id: str | None = None, since: str | None = None) -> list[Revision]:
        with self._errors("reading story revisions"):
            rows = self._connection().execute(
                "SELECT story_id, at, kind, detail FROM story_revisions WHERE (CAST(? AS TEXT) IS NULL OR story_id = ?)"
                " AND (CAST(? AS TEXT) IS NULL OR at >= ?) ORDER BY seq",
                (story_id, story_id, since, since),
            )
            return [Revision(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- web -----------------------------------------------------------------
    # The web app's reads (listing filters, full-text search, the briefing cache) and
    # its one delete. FTS5 query syntax never reaches users: _fts_query quotes words.

    _SORTS = {
        # NULLs sort last under DESC in SQLite: undated stories come after dated ones.
        # Each order is an index's (stories_live_*) read backwards, rowid breaking ties.
        "recent": "s.last_day DESC, s.n_articles DESC, s.updated_at DESC, s.rowid DESC",
        "size": "s.n_articles DESC, s.last_day DESC, s.rowid DESC",
        "updated": "s.updated_at DESC, s.rowid DESC",
    }

    def find_stories(self, query: StoryQuery, *, limit: int, offset: int = 0) -> tuple[list[StoryRow], int]:
        if query.sort not in self._SORTS:
            raise ValueError(f"unknown sort {query.sort!r}; choose one of {', '.join(self._SORTS)}")
        where, params = ["s.merged_into IS NULL", "s.n_articles > 0"], []
        if query.text:
            matched = self._text_match(query.text)
            if matched is None:
                return [], 0
            where.append(matched[0])
            params += matched[1]
        if query.outlet:
            where.append("s.id IN (SELECT story_id FROM story_outlets WHERE outlet = ?)")
            params.append(query.outlet)
        if query.entity:
            names = list(dict.fromkeys([query.entity, *query.aliases]))
            where.append(
                "s.id IN (SELECT sa.story_id FROM mentions m JOIN story_articles sa ON sa.article_id = m.article_id"
                f" WHERE {self._nocase_in('m.text', len(names))})"
            )
            params += names
        for value, test in ((query.date_from, "s.last_day >= ?"), (query.date_to, "s.first_day <= ?")):
            if value:
                day = day_number(value)
                if day is None:
                    raise ValueError(f"not a date: {value!r}; write YYYY-MM-DD")
                where.append(test)
                params.append(day)
        clause = " AND ".join(where)
        with self._errors("listing stories"):
            conn = self._connection()
            (total,) = conn.execute(f"SELECT count(*) FROM stories s WHERE {clause}", params).fetchone()
            ids = [r[0] for r in conn.execute(
                f"SELECT s.id FROM stories s WHERE {clause} ORDER BY {self._SORTS[query.sort]} LIMIT ? OFFSET ?",
                (*params, limit, offset),
            )]  # fmt: skip
            outlets: dict[str, list[str]] = {}
            found = []
            for i in range(0, len(ids), _BATCH):
                batch = ids[i : i + _BATCH]
                marks = ", ".join("?" * len(batch))
                for story_id, outlet in conn.execute(
                    f"SELECT story_id, outlet FROM story_outlets WHERE story_id IN ({marks}) ORDER BY story_id, outlet", batch
                ):
                    outlets.setdefault(story_id, []).append(outlet)
                found += conn.execute(
                    f"SELECT id, title, n_articles, first_day, last_day, created_at, updated_at FROM stories WHERE id IN ({marks})",
                    batch,
                ).fetchall()
        rows = {r[0]: StoryRow(r[0], r[1], r[2], tuple(outlets.get(r[0], ())), _iso_day(r[3]), _iso_day(r[4]), r[5], r[6]) for r in found}
        return [rows[i] for i in ids], int(total)

    def search_articles(self, text: str, *, limit: int, offset: int = 0) -> tuple[list[ArticleHit], int]:
        match = _fts_query(text)
        if match is None:
            return [], 0
        with self._errors("searching articles"):
            conn = self._connection()
            (total,) = conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", (match,)).fetchone()
            rows = conn.execute(
                "SELECT a.id, a.outlet, a.title, a.published, sa.story_id,"
                " snippet(articles_fts, 1, char(2), char(3), '…', 24)"
                " FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
                " LEFT JOIN story_articles sa ON sa.article_id = a.id"
                " WHERE articles_fts MATCH ? ORDER BY f.rank LIMIT ? OFFSET ?",
                (match, limit, offset),
            ).fetchall()
        return [ArticleHit(*r) for r in rows], int(total)

    def search_claims(self, text: str, *, limit: int, offset: int = 0) -> tuple[list[ClaimHit], int]:
        match = _fts_query(text)
        if match is None:
            return [], 0
        with self._errors("searching claims"):
            conn = self._connection()
            (total,) = conn.execute("SELECT count(*) FROM claims_fts WHERE claims_fts MATCH ?", (match,)).fetchone()
            rows = conn.execute(
                "SELECT f.story_id, coalesce(s.title, ''), f.claim_id, snippet(claims_fts, 0, char(2), char(3), '…', 32)"
                " FROM claims_fts f LEFT JOIN stories s ON s.id = f.story_id"
                " WHERE claims_fts MATCH ? ORDER BY f.rank LIMIT ? OFFSET ?",
                (match, limit, offset),
            ).fetchall()
        return [ClaimHit(*r) for r in rows], int(total)

    def outlets(self) -> list[tuple[str, int]]:
        with self._errors("listing outlets"):
            rows = self._connection().execute(
                "SELECT outlet, count(*) AS n FROM articles GROUP BY outlet ORDER BY n DESC, outlet"
            )
            return [(r[0], int(r[1])) for r in rows]

    def name_counts(self, names: Sequence[str]) -> list[NameCount]:
        names = list(dict.fromkeys(names))
        with self._errors("counting mentions"):
            rows = self._connection().execute(
                "SELECT label, count(*) AS n, count(DISTINCT article_id) FROM mentions"
                f" WHERE {self._nocase_in('text', len(names))} GROUP BY label ORDER BY n DESC, label",
                names,
            )
            return [NameCount(r[0], int(r[1]), int(r[2])) for r in rows]

    def quotes_by(self, speakers: Sequence[str], *, limit: int, offset: int = 0) -> tuple[list[QuoteRow], int]:
        speakers = list(dict.fromkeys(speakers))
        with self._errors("reading quotes"):
            conn = self._connection()
            (total,) = conn.execute(f"SELECT count(*) FROM quotes WHERE {self._nocase_in('speaker', len(speakers))}", speakers).fetchone()
            rows = conn.execute(
                "SELECT q.article_id, a.outlet, a.title, a.published, sa.story_id, q.speaker, q.speaker_role, q.text,"
                " q.kind, q.cue, q.orig_start, q.orig_end FROM quotes q JOIN articles a ON a.id = q.article_id"
                f" LEFT JOIN story_articles sa ON sa.article_id = q.article_id WHERE {self._nocase_in('q.speaker', len(speakers))}"
                " ORDER BY coalesce(a.published, '') DESC, a.seq DESC, q.pos LIMIT ? OFFSET ?",
                (*speakers, limit, offset),
            ).fetchall()
        return [QuoteRow(*r) for r in rows], int(total)

    def source_texts(self, article_ids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, str] = {}
        with self._errors("reading source texts"):
            conn = self._connection()
            for i in range(0, len(ids), _BATCH):
                batch = ids[i : i + _BATCH]
                out.update(conn.execute(f"SELECT id, source_text FROM articles WHERE id IN ({', '.join('?' * len(batch))})", batch))
        return out

    def story_stamp(self, story_id: str) -> tuple[str, str, str | None]:
        with self._errors(f"reading story {story_id}"):
            conn = self._connection()
            for _ in range(100):  # follow merges
                row = conn.execute(
                    "SELECT s.merged_into, s.updated_at, b.computed_at FROM stories s"
                    " LEFT JOIN story_briefings b ON b.story_id = s.id WHERE s.id = ?",
                    (story_id,),
                ).fetchone()
                if row is None:
                    raise ArticleNotFound(f"no story with id {story_id!r}")
                if row[0] is None:
                    return story_id, row[1], row[2]
                story_id = row[0]
        raise StoreError(f"{self.path}: story {story_id} merges in a loop")

    def generation(self) -> str:
        with self._errors("reading the store's generation"):
            row = self._connection().execute(
                "SELECT (SELECT max(seq) FROM articles), (SELECT max(seq) FROM story_revisions),"
                " (SELECT max(computed_at) FROM story_briefings)"
            ).fetchone()
        return ":".join(str(v) for v in row)

    def briefing_stamp(self, story_id: str) -> str | None:
        with self._errors(f"reading the briefing of story {story_id}"):
            row = self._connection().execute("SELECT computed_at FROM story_briefings WHERE story_id = ?", (story_id,)).fetchone()
        return row[0] if row else None

    def get_briefing(self, story_id: str) -> CachedBriefing | None:
        with self._errors(f"reading the briefing of story {story_id}"):
            row = self._connection().execute(
                "SELECT story_id, json, computed_at FROM story_briefings WHERE story_id = ?", (story_id,)
            ).fetchone()
        return CachedBriefing(*row) if row else None

    def put_briefing(self, story_id: str, briefing_json: str, claims: Iterable[tuple[str, str]] = ()) -> str:
        now = _utc_now()
        with self._errors(f"caching the briefing of story {story_id}"), self._transaction() as conn:
            conn.execute(
                "INSERT INTO story_briefings (story_id, json, computed_at) VALUES (?, ?, ?)"
                " ON CONFLICT (story_id) DO UPDATE SET json = excluded.json, computed_at = excluded.computed_at",
                (story_id, briefing_json, now),
            )
            conn.execute("DELETE FROM claims_fts WHERE story_id = ?", (story_id,))
            conn.executemany(
                "INSERT INTO claims_fts (text, story_id, claim_id) VALUES (?, ?, ?)",
                [(text, story_id, claim_id) for claim_id, text in claims],
            )
        return now

    def delete_article(self, article_id: str) -> str | None:
        now = _utc_now()
        with self._errors(f"deleting article {article_id}"), self._transaction() as conn:
            if conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            placed = conn.execute(
                "SELECT story_id, vector, keys FROM story_articles WHERE article_id = ?", (article_id,)
            ).fetchone()
            conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))  # cascades to its rows
            if placed is None:
                return None
            story_id, vector, keys = placed[0], np.frombuffer(placed[1], dtype=np.float32), json.loads(placed[2])
            conn.executemany("UPDATE key_df SET df = df - 1 WHERE key = ?", [(k,) for k in keys])
            conn.execute("DELETE FROM key_df WHERE df <= 0")
            row = conn.execute("SELECT n_articles, vector_sum, keys FROM stories WHERE id = ?", (story_id,)).fetchone()
            counts = Counter(json.loads(row[2]))
            counts.subtract(keys)
            counts = Counter({k: n for k, n in counts.items() if n > 0})
            first, last = conn.execute(
                "SELECT min(day), max(day) FROM story_articles WHERE story_id = ?", (story_id,)
            ).fetchone()
            if row[0] <= 1:
                # the story is empty: it goes, with the stories merged into it earlier
                chain = [r[0] for r in conn.execute(
                    "WITH RECURSIVE chain(id) AS (SELECT CAST(? AS TEXT) UNION SELECT s.id FROM stories s JOIN chain c ON s.merged_into = c.id)"
                    " SELECT id FROM chain", (story_id,),
                )]  # fmt: skip
                marks = ", ".join("?" * len(chain))
                conn.execute(f"DELETE FROM story_briefings WHERE story_id IN ({marks})", chain)
                conn.execute(f"DELETE FROM claims_fts WHERE story_id IN ({marks})", chain)
                conn.execute(f"DELETE FROM story_keysets WHERE story_id IN ({marks})", chain)  # their rows cascade below
                conn.execute(f"DELETE FROM stories WHERE id IN ({marks})", chain)  # one statement: FKs hold at its end
            else:
                vector_sum = np.frombuffer(row[1], dtype=np.float32) - vector
                conn.execute(
                    "UPDATE stories SET n_articles = n_articles - 1, vector_sum = ?, keys = ?, first_day = ?, last_day = ?,"
                    " updated_at = ? WHERE id = ?",
                    (vector_sum.astype(np.float32).tobytes(), json.dumps(dict(counts)), first, last, now, story_id),
                )
                _drop_keysets(conn, story_id)
                conn.executemany(
                    "INSERT INTO story_keys (story_id, key, last_day) VALUES (?, ?, ?)",
                    [(story_id, k, last) for k in sorted(counts)],
                )
            self._revision(conn, story_id, now, "removed", {"article": article_id})
        return story_id

    # -- internals ---------------------------------------------------------
    @staticmethod
    def _nocase_in(column: str, n: int) -> str:
        """``column`` equal, ignoring case, to one of ``n`` parameters."""
        return f"{column} COLLATE NOCASE IN ({', '.join('?' * n)})"

    def _text_match(self, text: str) -> tuple[str, list[str]] | None:
        """The stories whose articles or claims match a user's search: (``s.id IN
        (...)`` clause, its parameters), or None when the search has no words."""
        match = _fts_query(text)
        if match is None:
            return None
        return (
            "s.id IN (SELECT sa.story_id FROM articles_fts f JOIN articles a ON a.seq = f.rowid"
            " JOIN story_articles sa ON sa.article_id = a.id WHERE articles_fts MATCH ?"
            " UNION SELECT story_id FROM claims_fts WHERE claims_fts MATCH ?)",
            [match, match],
        )

    def _reason(self, exc: Exception) -> str:
        return _sqlite_reason(exc)  # type: ignore[arg-type]

    @contextmanager
    def _bulk_session(self) -> Iterator[None]:
        """Settings for a bulk load, restored after it."""
        conn = self._connection()
        (cache,) = conn.execute("PRAGMA cache_size").fetchone()
        # the default 2 MB page cache thrashes on a million random index keys (ids, hashes)
        conn.execute(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA cache_size = {int(cache)}")

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
    def _errors(self, action: str, *, refusable: bool = False) -> Iterator[None]:
        """Turn database and text-encoding errors into one-line StoreErrors; with
        ``refusable``, an error about the values written (text that cannot be encoded,
        :meth:`_is_data_error`) is an :class:`ArticleRefused` naming the reason."""
        try:
            yield
        except self._DB_ERRORS as exc:
            raise self._failure(action, self._reason(exc), refusable and self._is_data_error(exc)) from exc
        except UnicodeEncodeError as exc:
            reason = f"text is not valid Unicode ({exc.reason} at position {exc.start})"
            raise self._failure(action, reason, refusable) from exc

    def _failure(self, action: str, reason: str, refused: bool) -> StoreError:
        message = f"{self.path}: {action} failed: {reason}"
        return ArticleRefused(message, reason) if refused else StoreError(message)

    @staticmethod
    def _is_data_error(exc: Exception) -> bool:
        """Whether ``exc`` is about the values written (not the database or the SQL)."""
        return isinstance(exc, sqlite3.DataError)  # e.g. a string over SQLITE_MAX_LENGTH


# -- web: full-text query ------------------------------------------------------
def _iso_day(day: int | None) -> str | None:
    """A story's first/last day number (stories.first_day) as YYYY-MM-DD."""
    return date.fromordinal(day).isoformat() if day is not None else None



_FTS_TERM = re.compile(r'"([^"]*)"|([^\W_]+(?:[\'’][^\W_]+)*)')


def _fts_query(text: str) -> str | None:
    """A user's search as an FTS5 query: every word must match ("a quoted phrase" as a
    phrase); punctuation and FTS5 operators are taken as plain text, never syntax."""
    terms = []
    for phrase, word in _FTS_TERM.findall(text[:500]):
        words = re.findall(r"[^\W_]+", phrase) if phrase else re.findall(r"[^\W_]+", word)
        if words:
            terms.append('"' + " ".join(words) + '"')
    return " ".join(terms[:32]) or None


# -- stories: where a story's name rows are filed (schema v6) ----------------------
# a story's own id and the ids of the stories merged into it (two parameters: its id twice)
_KEYSETS = "(SELECT CAST(? AS TEXT) UNION ALL SELECT keyset FROM story_keysets WHERE story_id = ?)"


def _drop_keysets(conn: sqlite3.Connection, story_id: str) -> None:
    """Delete a story's name rows wherever they are filed (to be written again under
    its own id)."""
    conn.execute(f"DELETE FROM story_keys WHERE story_id IN {_KEYSETS}", (story_id, story_id))
    conn.execute("DELETE FROM story_keysets WHERE story_id = ?", (story_id,))


def _merge_keysets(conn: sqlite3.Connection, into: str, other: str) -> None:
    """``other``'s name rows become ``into``'s where they lie (their last day is
    brought in step by :func:`_move_last_day`, as for any growing story)."""
    conn.execute("UPDATE story_keysets SET story_id = ? WHERE story_id = ?", (into, other))
    conn.execute("INSERT INTO story_keysets (keyset, story_id) VALUES (?, ?)", (other, into))


def _move_last_day(conn: sqlite3.Connection, story_id: str, last_day: int | None) -> None:
    """Every name row of a story carries its last day (the time window is an index
    range per name)."""
    conn.execute(
        f"UPDATE story_keys SET last_day = ? WHERE story_id IN {_KEYSETS} AND last_day IS DISTINCT FROM ?",
        (last_day, story_id, story_id, last_day),
    )


def _state(row: Sequence) -> StoryState:
    """A StoryState from (id, title, vector_sum, n_articles, keys, first_day, last_day, title_headline)."""
    return StoryState(
        id=row[0],
        title=row[1],
        vector_sum=np.frombuffer(row[2], dtype=np.float32).copy(),
        n=row[3],
        keys=Counter(json.loads(row[4])),
        first_day=row[5],
        last_day=row[6],
        headline=bool(row[7]),
    )


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


def _sqlite_reason(exc: sqlite3.Error) -> str:
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
            reason = _sqlite_reason(exc)
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
            # PostgreSQL's name for char(), so the SQL shared with PostgresStore runs here too
            conn.create_function("chr", 1, chr, deterministic=True)
            # WAL: readers never block the writer, and a killed writer leaves the file intact.
            _switch_to_wal(conn)
            # NORMAL is crash-safe in WAL mode; a power loss may drop only the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def _switch_to_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode = WAL``, waiting out another connection that is switching
    the same new file at the same moment: SQLite answers that race "database is
    locked" at once, without its busy handler (two stores opened together on a new
    file failed about one time in three, tests/test_store.py)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


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


# -- bulk load ---------------------------------------------------------------------
# Store.bulk_assign for SQLite: articles, features and stories many per transaction
# (one per article, as in add + save_assignment, builds 1M articles in hours; this in
# minutes). Kept at the end of the module, apart from the sections others edit, and
# attached to SQLiteStore below.
from abc import update_abstractmethods  # noqa: E402
from itertools import islice  # noqa: E402

# Story states kept in memory between batches; one evicted is read back if it grows again.
_BULK_STATES = 20_000
_BULK_CACHE_KIB = 256 * 1024


def _bulk_assign(
    self: SQLiteStore, rows: Iterable[tuple[AnnotatedArticle, Features, str]], *, batch: int = 20_000
) -> int:
    states: dict[str, StoryState] = {}  # least recently grown first
    stored = 0
    rows = iter(rows)
    with self._bulk_session():
        while chunk := list(islice(rows, batch)):
            with self._errors("bulk loading articles"), self._transaction() as conn:
                stored += _bulk_batch(self, conn, chunk, states)
            for story_id in list(islice(states, max(0, len(states) - _BULK_STATES))):
                del states[story_id]
    return stored


def _bulk_batch(
    self: SQLiteStore, conn: sqlite3.Connection, chunk: list[tuple[AnnotatedArticle, Features, str]], states: dict[str, StoryState]
) -> int:
    now = _utc_now()
    sentences, mentions, times, quotes, placed, revisions = [], [], [], [], [], []
    df: Counter[str] = Counter()
    grown: dict[str, StoryState] = {}
    for doc, f, story_id in chunk:
        inserted = conn.execute(
            f"INSERT INTO articles ({', '.join(_ARTICLE_FIELDS)}, n_sentences, ingested_at)"
            f" VALUES ({', '.join('?' * (len(_ARTICLE_FIELDS) + 2))}) ON CONFLICT DO NOTHING",
            (*_article_values(doc.article), len(doc.sentences), now),
        ).rowcount
        if not inserted:
            continue
        sentences += [(doc.id, pos, s.index, s.paragraph, s.start, s.end, s.orig_start, s.orig_end, int(s.contiguous))
                      for pos, s in enumerate(doc.sentences)]  # fmt: skip
        mentions += [(doc.id, pos, m.text, m.label, m.start, m.end, m.orig_start, m.orig_end, m.sentence)
                     for pos, m in enumerate(doc.mentions)]  # fmt: skip
        times += [(doc.id, pos, t.text, t.label, t.start, t.end, t.orig_start, t.orig_end, t.sentence)
                  for pos, t in enumerate(doc.times)]  # fmt: skip
        quotes += [(doc.id, pos, q.text, q.kind, q.start, q.end, q.orig_start, q.orig_end, q.speaker, q.speaker_role,
                    q.cue, q.sentence, q.speaker_orig_start, q.speaker_orig_end) for pos, q in enumerate(doc.quotes)]  # fmt: skip
        story = states.pop(story_id, None)
        if story is None:
            if conn.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone():
                story = self._story_state(conn, story_id)
            else:
                story = StoryState(story_id, "", np.zeros_like(f.vector, dtype=np.float32), 0)
                revisions.append((story_id, now, "created", json.dumps({"article": f.article_id})))
        if story.n:
            revisions.append((story_id, now, "added", json.dumps({"article": f.article_id, "score": 1.0}, sort_keys=True)))
        story.add(f)
        states[story_id] = grown[story_id] = story
        placed.append((f.article_id, story_id, 1.0, f.vector.astype(np.float32).tobytes(), json.dumps(sorted(f.keys)), f.day, now))
        df.update(f.keys)
    conn.executemany(
        "INSERT INTO stories (id, title, title_headline, n_articles, vector_sum, keys, first_day, last_day, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET title = excluded.title,"
        " title_headline = excluded.title_headline, n_articles = excluded.n_articles, vector_sum = excluded.vector_sum,"
        " keys = excluded.keys, first_day = excluded.first_day, last_day = excluded.last_day, updated_at = excluded.updated_at",
        [(s.id, s.title, int(s.headline), s.n, s.vector_sum.astype(np.float32).tobytes(), json.dumps(dict(s.keys)),
          s.first_day, s.last_day, now, now) for s in grown.values()],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO story_keys (story_id, key, last_day) VALUES (?, ?, ?)"
        " ON CONFLICT (key, story_id) DO UPDATE SET last_day = excluded.last_day",
        [(s.id, k, s.last_day) for s in grown.values() for k in sorted(s.keys)],
    )
    for s in grown.values():  # a story grown here after earlier merges: its other keysets too
        if conn.execute("SELECT 1 FROM story_keysets WHERE story_id = ?", (s.id,)).fetchone():
            _move_last_day(conn, s.id, s.last_day)
    conn.executemany(
        "INSERT INTO story_articles (article_id, story_id, score, vector, keys, day, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        placed,
    )
    conn.executemany(
        "INSERT INTO key_df (key, df) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET df = key_df.df + excluded.df", sorted(df.items())
    )
    conn.executemany("INSERT INTO story_revisions (story_id, at, kind, detail) VALUES (?, ?, ?, ?)", revisions)
    for table, columns, values in (
        ("sentences", _SENTENCE_COLUMNS, sentences),
        ("mentions", _MENTION_COLUMNS, mentions),
        ("time_mentions", _TIME_COLUMNS, times),
        ("quotes", _QUOTE_COLUMNS, quotes),
    ):
        width = len(columns.split(",")) + 2
        conn.executemany(f"INSERT INTO {table} (article_id, pos, {columns}) VALUES ({', '.join('?' * width)})", values)
    return len(placed)


SQLiteStore.bulk_assign = _bulk_assign  # type: ignore[method-assign]
update_abstractmethods(SQLiteStore)


# -- changes and alerts --------------------------------------------------------------
# Store's snapshot, watch, notification and webhook-delivery methods for SQLite, kept
# together and attached to SQLiteStore below (like the bulk load above).
from chorus.store.base import DeliveryRow, NewNotification, NotificationRow, StoredSnapshot, WatchRow  # noqa: E402

_SNAPSHOT_COLUMNS = "seq, story_id, at, snapshot, changes"
_DELIVERY_SELECT = (
    "SELECT d.notification_id, d.url, d.attempts, d.next_try_at, d.delivered_at, d.last_error, n.payload"
    " FROM webhook_deliveries d JOIN notifications n ON n.id = d.notification_id"
)


def _put_snapshot(
    self: SQLiteStore, story_id: str, at: str, snapshot_json: str, changes_json: str, notifications: Iterable[NewNotification] = ()
) -> int:
    notifications = list(notifications)
    with self._errors(f"recording a snapshot of story {story_id}"), self._transaction() as conn:
        seq = conn.execute(
            "INSERT INTO story_snapshots (story_id, at, snapshot, changes) VALUES (?, ?, ?, ?) RETURNING seq",
            (story_id, at, snapshot_json, changes_json),
        ).fetchone()[0]
        for n in notifications:
            nid = conn.execute(
                "INSERT INTO notifications (watch_id, story_id, snapshot_seq, at, payload) VALUES (?, ?, ?, ?, ?) RETURNING id",
                (n.watch_id, story_id, seq, at, n.payload),
            ).fetchone()[0]
            if n.webhook:
                conn.execute(
                    "INSERT INTO webhook_deliveries (notification_id, url, attempts, next_try_at) VALUES (?, ?, 0, ?)",
                    (nid, n.webhook, at),
                )
    return int(seq)


def _snapshot_at(self: SQLiteStore, story_id: str, at: str | None = None) -> StoredSnapshot | None:
    with self._errors(f"reading the snapshots of story {story_id}"):
        row = self._connection().execute(
            f"SELECT {_SNAPSHOT_COLUMNS} FROM story_snapshots WHERE story_id = ? AND (CAST(? AS TEXT) IS NULL OR at <= ?)"
            " ORDER BY at DESC, seq DESC LIMIT 1",
            (story_id, at, at),
        ).fetchone()
    return StoredSnapshot(*row) if row else None


def _snapshotted_since(self: SQLiteStore, since: str) -> list[str]:
    with self._errors("listing changed stories"):
        rows = self._connection().execute(
            "SELECT story_id, max(at) AS last FROM story_snapshots WHERE at > ? GROUP BY story_id ORDER BY last DESC, story_id",
            (since,),
        )
        return [r[0] for r in rows]


def _recent_snapshots(self: SQLiteStore, limit: int, story_id: str | None = None) -> list[StoredSnapshot]:
    with self._errors("reading snapshots"):
        rows = self._connection().execute(
            f"SELECT {_SNAPSHOT_COLUMNS} FROM story_snapshots WHERE (CAST(? AS TEXT) IS NULL OR story_id = ?) ORDER BY at DESC, seq DESC LIMIT ?",
            (story_id, story_id, limit),
        )
        return [StoredSnapshot(*r) for r in rows]


def _add_watch(self: SQLiteStore, kind: str, value: str, webhook: str | None = None) -> WatchRow:
    now = _utc_now()
    with self._errors("saving a watch"), self._transaction() as conn:
        wid = conn.execute(
            "INSERT INTO watches (kind, value, webhook, created_at) VALUES (?, ?, ?, ?) RETURNING id", (kind, value, webhook, now)
        ).fetchone()[0]
    return WatchRow(int(wid), kind, value, webhook, now)


def _list_watches(self: SQLiteStore) -> list[WatchRow]:
    with self._errors("listing watches"):
        return [WatchRow(*r) for r in self._connection().execute("SELECT id, kind, value, webhook, created_at FROM watches ORDER BY id")]


def _get_watch(self: SQLiteStore, watch_id: int) -> WatchRow | None:
    with self._errors(f"reading watch {watch_id}"):
        row = self._connection().execute(
            "SELECT id, kind, value, webhook, created_at FROM watches WHERE id = ?", (watch_id,)
        ).fetchone()
    return WatchRow(*row) if row else None


def _remove_watch(self: SQLiteStore, watch_id: int) -> bool:
    with self._errors(f"removing watch {watch_id}"), self._transaction() as conn:
        return conn.execute("DELETE FROM watches WHERE id = ?", (watch_id,)).rowcount > 0  # cascades


def _notifications(
    self: SQLiteStore, watch_id: int | None = None, since: str | None = None, limit: int | None = None
) -> list[NotificationRow]:
    with self._errors("reading notifications"):
        rows = self._connection().execute(
            "SELECT id, watch_id, story_id, at, payload FROM notifications WHERE (CAST(? AS TEXT) IS NULL OR watch_id = ?)"
            " AND (CAST(? AS TEXT) IS NULL OR at >= ?) ORDER BY at DESC, id DESC LIMIT ?",
            (watch_id, watch_id, since, since, self._NO_LIMIT if limit is None else limit),
        )
        return [NotificationRow(*r) for r in rows]


def _due_deliveries(self: SQLiteStore, now: str, max_attempts: int, limit: int = 100) -> list[DeliveryRow]:
    with self._errors("reading webhook deliveries"):
        rows = self._connection().execute(
            _DELIVERY_SELECT + " WHERE d.delivered_at IS NULL AND d.next_try_at <= ? AND d.attempts < ?"
            " ORDER BY d.next_try_at, d.notification_id LIMIT ?",
            (now, max_attempts, limit),
        )
        return [DeliveryRow(*r) for r in rows]


def _record_delivery(
    self: SQLiteStore, notification_id: int, *, at: str, ok: bool, error: str | None = None, next_try_at: str | None = None
) -> None:
    with self._errors(f"recording webhook delivery {notification_id}"), self._transaction() as conn:
        if ok:
            conn.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?, last_error = NULL"
                " WHERE notification_id = ? AND delivered_at IS NULL",
                (at, notification_id),
            )
        else:
            conn.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?, next_try_at = coalesce(?, next_try_at)"
                " WHERE notification_id = ? AND delivered_at IS NULL",
                (error, next_try_at, notification_id),
            )


def _deliveries(self: SQLiteStore, notification_id: int | None = None) -> list[DeliveryRow]:
    with self._errors("reading webhook deliveries"):
        rows = self._connection().execute(
            _DELIVERY_SELECT + " WHERE (CAST(? AS TEXT) IS NULL OR d.notification_id = ?) ORDER BY d.notification_id",
            (notification_id, notification_id),
        )
        return [DeliveryRow(*r) for r in rows]


for _fn in (_put_snapshot, _snapshot_at, _snapshotted_since, _recent_snapshots, _add_watch, _list_watches, _get_watch,
            _remove_watch, _notifications, _due_deliveries, _record_delivery, _deliveries):  # fmt: skip
    setattr(SQLiteStore, _fn.__name__[1:], _fn)
update_abstractmethods(SQLiteStore)


# -- watch: fetch state ------------------------------------------------------------
# Store.fetch_states / record_fetch / fetch_log / source_activity for SQLite (the
# FetchStateStore part of the interface), attached to SQLiteStore below.
_FETCH_COLUMNS = "url, source, status, fetched_at, etag, last_modified, article_id, content_hash, attempts, reason"
# outcomes of fetching a source's own URL (feed, sitemap, listed page), and failures
_POLL_OUTCOMES = ("polled", "not_modified", "poll_error")
_ERROR_OUTCOMES = ("error", "poll_error", "disallowed")


def _fetch_states(self: SQLiteStore, urls: Iterable[str]) -> dict[str, FetchState]:
    urls = list(dict.fromkeys(urls))
    found: dict[str, FetchState] = {}
    with self._errors("reading fetch state"):
        conn = self._connection()
        for i in range(0, len(urls), _BATCH):
            chunk = urls[i : i + _BATCH]
            rows = conn.execute(
                f"SELECT {_FETCH_COLUMNS} FROM fetch_state WHERE url IN ({', '.join('?' * len(chunk))})", chunk
            )
            for row in rows:
                found[row[0]] = FetchState(*row)
    return found


def _record_fetch(self: SQLiteStore, state: FetchState, outcome: str, reason: str = "") -> None:
    with self._errors(f"recording the fetch of {state.url}"), self._transaction() as conn:
        conn.execute(
            f"INSERT INTO fetch_state ({_FETCH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in _FETCH_COLUMNS.split(", ")[1:]),
            (state.url, state.source, state.status, state.fetched_at, state.etag, state.last_modified,
             state.article_id, state.content_hash, state.attempts, state.reason),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO fetch_log (at, source, url, outcome, reason) VALUES (?, ?, ?, ?, ?)",
            (state.fetched_at, state.source, state.url, outcome, reason),
        )


def _fetch_log(
    self: SQLiteStore, *, source: str | None = None, since: str | None = None, limit: int | None = None
) -> list[FetchLogEntry]:
    with self._errors("reading the fetch log"):
        rows = self._connection().execute(
            "SELECT seq, at, source, url, outcome, reason FROM fetch_log WHERE (CAST(? AS TEXT) IS NULL OR source = ?)"
            " AND (CAST(? AS TEXT) IS NULL OR at >= ?) ORDER BY seq DESC LIMIT ?",
            (source, source, since, since, self._NO_LIMIT if limit is None else limit),
        )
        return [FetchLogEntry(*r) for r in rows]


def _source_activity(self: SQLiteStore) -> dict[str, SourceActivity]:
    polls = ", ".join(f"'{o}'" for o in _POLL_OUTCOMES)
    errors = ", ".join(f"'{o}'" for o in _ERROR_OUTCOMES)
    with self._errors("reading the fetch log"):
        rows = self._connection().execute(
            f"SELECT source, max(CASE WHEN outcome IN ({polls}) THEN at END),"
            " (SELECT at || chr(31) || url || chr(31) || reason FROM fetch_log e WHERE e.source = l.source"
            f"   AND e.outcome IN ({errors}) ORDER BY seq DESC LIMIT 1),"
            " sum(CASE WHEN outcome = 'ingested' THEN 1 ELSE 0 END),"
            f" sum(CASE WHEN outcome IN ({errors}) THEN 1 ELSE 0 END)"
            " FROM fetch_log l GROUP BY source ORDER BY source"
        ).fetchall()
    out = {}
    for name, last_poll, error, ingested, n_errors in rows:
        at, url, reason = error.split("\x1f", 2) if error else (None, None, None)
        out[name] = SourceActivity(name, last_poll, at, f"{url}: {reason}" if error else None, ingested or 0, n_errors or 0)
    return out


SQLiteStore.fetch_states = _fetch_states  # type: ignore[method-assign]
SQLiteStore.record_fetch = _record_fetch  # type: ignore[method-assign]
SQLiteStore.fetch_log = _fetch_log  # type: ignore[method-assign]
SQLiteStore.source_activity = _source_activity  # type: ignore[method-assign]
update_abstractmethods(SQLiteStore)
