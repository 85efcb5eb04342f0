"""The backend-neutral store interface and the rows it returns.

Backends (SQLite now, PostgreSQL later) subclass :class:`Store`; nothing here
knows any SQL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from chorus.errors import StoreError
from chorus.models import AnnotatedArticle
from chorus.stories import Features, StoryState


class ArticleNotFound(StoreError, KeyError):
    """No stored article has the requested id."""

    def __str__(self) -> str:
        # KeyError.__str__ would wrap the message in quotes.
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ArticleRow:
    """One line of the article listing: metadata only, no text."""

    id: str
    outlet: str
    title: str
    published: str | None
    published_source: str | None
    source: str
    kind: str
    ingested_at: str  # ISO 8601, UTC
    n_sentences: int


@dataclass(frozen=True)
class AddResult:
    """What :meth:`Store.add_many` did, ids in input order."""

    added: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # already stored (same content hash or id)


@dataclass(frozen=True)
class StoryRow:
    """One line of the story listing."""

    id: str
    title: str
    n_articles: int
    outlets: tuple[str, ...]
    first_published: str | None
    last_published: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Revision:
    """A recorded change to a story: created, added, merged."""

    story_id: str
    at: str
    kind: str
    detail: dict


# -- web ----------------------------------------------------------------------
# Rows for the web app and HTTP API (chorus.web): listing filters, search hits,
# the briefing cache.


@dataclass(frozen=True)
class StoryQuery:
    """Filters and order of a story listing; every filter is optional."""

    text: str = ""  # full-text search over the stories' articles and claims
    outlet: str = ""  # stories with at least one article from this outlet
    entity: str = ""  # stories whose articles mention this name (case-insensitive)
    date_from: str = ""  # YYYY-MM-DD: stories active on or after this day
    date_to: str = ""  # YYYY-MM-DD: stories active on or before this day
    sort: str = "recent"  # recent (latest publication day, then size) | size | updated
    aliases: tuple[str, ...] = ()  # other names of that entity, matched as well


@dataclass(frozen=True)
class ArticleHit:
    """An article matching a full-text search; ``snippet`` marks matches with
    \x02 ... \x03 (control characters, never found in stored text)."""

    id: str
    outlet: str
    title: str
    published: str | None
    story_id: str | None
    snippet: str


@dataclass(frozen=True)
class ClaimHit:
    """A claim of a cached briefing matching a full-text search (snippet as above)."""

    story_id: str
    story_title: str
    claim_id: str
    snippet: str


@dataclass(frozen=True)
class QuoteRow:
    """A quote as stored with its article (offsets into the article's source text)."""

    article_id: str
    outlet: str
    title: str
    published: str | None
    story_id: str | None
    speaker: str
    speaker_role: str | None
    text: str
    kind: str
    cue: str | None
    start: int
    end: int


@dataclass(frozen=True)
class NameCount:
    """How often a name is mentioned, under one entity label."""

    label: str
    mentions: int
    articles: int


@dataclass(frozen=True)
class CachedBriefing:
    story_id: str
    json: str  # chorus.render.json.briefing_dict of the story alone
    computed_at: str


# -- watch: fetch state --------------------------------------------------------
# What `chorus watch` remembers between runs (chorus.watch): per URL the validators
# for conditional GETs and the outcome of the last fetch, and a log of every outcome.


@dataclass(frozen=True)
class FetchState:
    """The last fetch of one URL (a feed, a sitemap or an article page)."""

    url: str
    source: str  # the name of the source that led to it
    status: str  # ok | not_modified | unchanged | rejected | error | disallowed
    fetched_at: str  # ISO 8601, UTC
    etag: str | None = None
    last_modified: str | None = None
    article_id: str | None = None  # the article the page became (ok, or already stored)
    content_hash: str | None = None  # sha256 of the fetched body
    attempts: int = 1  # fetches that ended in an error since the last success
    reason: str = ""  # one line, for status error/rejected/disallowed


@dataclass(frozen=True)
class FetchLogEntry:
    """One outcome in the watch log."""

    seq: int
    at: str  # ISO 8601, UTC
    source: str
    url: str
    outcome: str  # ingested | already | not_modified | unchanged | polled | rejected | error | disallowed
    reason: str


@dataclass(frozen=True)
class SourceActivity:
    """What the watch log says about one source."""

    source: str
    last_poll: str | None  # the last time its own URL was fetched (any outcome)
    last_error_at: str | None
    last_error: str | None  # "url: reason"
    ingested: int  # articles ingested from it, ever
    errors: int  # error outcomes, ever


class FetchStateStore(ABC):
    """The watch's part of the store interface (mixed into :class:`Store`)."""

    @abstractmethod
    def fetch_states(self, urls: Iterable[str]) -> dict[str, FetchState]:
        """The recorded state of each of ``urls`` that has one."""

    @abstractmethod
    def record_fetch(self, state: FetchState, outcome: str, reason: str = "") -> None:
        """In one transaction: replace the URL's state and append ``outcome`` to the log."""

    @abstractmethod
    def fetch_log(self, *, source: str | None = None, since: str | None = None, limit: int | None = None) -> list[FetchLogEntry]:
        """Log entries, newest first, of one source and/or at or after ``since`` (ISO)."""

    @abstractmethod
    def source_activity(self) -> dict[str, SourceActivity]:
        """Per source name: last poll, last error and counts, from the log."""


class Store(FetchStateStore):
    """Annotated articles, kept by content hash. Use one Store per thread. The watch's
    fetch state is the :class:`FetchStateStore` part."""

    @abstractmethod
    def add(self, doc: AnnotatedArticle) -> bool:
        """Store one article with its sentences and mentions, all or nothing.

        Returns False (and changes nothing) if it is already stored."""

    def add_many(self, docs: Iterable[AnnotatedArticle]) -> AddResult:
        """Add each article in its own transaction.

        If one fails, the error propagates; the articles before it stay stored."""
        added: list[str] = []
        skipped: list[str] = []
        for doc in docs:
            (added if self.add(doc) else skipped).append(doc.id)
        return AddResult(tuple(added), tuple(skipped))

    def has_hash(self, content_hash: str) -> bool:
        """True if an article with this content hash is stored."""
        return content_hash in self.known_hashes([content_hash])

    @abstractmethod
    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """The subset of ``hashes`` already stored."""

    @abstractmethod
    def list_articles(self, *, limit: int | None = None, offset: int = 0) -> list[ArticleRow]:
        """Article metadata, newest-ingested first, ties by id."""

    @abstractmethod
    def count_articles(self) -> int:
        """How many articles are stored."""

    @abstractmethod
    def get(self, article_id: str) -> AnnotatedArticle:
        """The article exactly as added; :class:`ArticleNotFound` if unknown."""

    @abstractmethod
    def iter_annotated(self) -> Iterator[AnnotatedArticle]:
        """Every stored article, in ingest order."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; calling it again does nothing."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- stories -------------------------------------------------------------
    @abstractmethod
    def candidate_stories(self, keys: Iterable[str], day: int | None, window_days: int, limit: int) -> list[StoryState]:
        """Stories that share a name with the article and were active within the
        window around its day (undated stories and articles match any day); the most
        recently updated first when there are more than ``limit``."""

    @abstractmethod
    def key_df(self, keys: Iterable[str]) -> tuple[dict[str, int], int]:
        """Document frequency of each name among assigned articles, and their number."""

    @abstractmethod
    def save_assignment(
        self, features: Features, story: StoryState, *, created: bool, score: float, merged: Iterable[StoryState] = ()
    ) -> None:
        """In one transaction: the article's features, its story (new or updated),
        stories merged into it, and the revisions recording all of that."""

    @abstractmethod
    def merge_stories(self, story: StoryState, merged: Sequence[StoryState], why: str) -> None:
        """In one transaction: stories ``merged`` join ``story`` (its state given with
        theirs absorbed), recorded on both with the reason ``why``."""

    @abstractmethod
    def assigning(self) -> AbstractContextManager[None]:
        """Held while a process assigns stories: the next holder waits. Decisions read
        the stories they then rewrite (running sums, counts), so two chorus processes
        on one store must not interleave them; adding articles goes on meanwhile."""

    @abstractmethod
    def story_members(self, story_id: str) -> list[Features]:
        """The stored features of a story's articles (for re-checking a story)."""

    @abstractmethod
    def split_story(self, story_id: str, kept: StoryState, new: StoryState, moved: Iterable[str], similarity: float) -> None:
        """In one transaction: move ``moved`` articles to the new story ``new``, update
        the old story to ``kept``, and record the split on both."""

    @abstractmethod
    def story_of(self, article_id: str) -> str | None: ...

    @abstractmethod
    def list_stories(self, *, limit: int | None = None, offset: int = 0) -> list[StoryRow]:
        """Live stories (not merged away), most recently updated first."""

    @abstractmethod
    def get_story(self, story_id: str) -> StoryRow:
        """A story by id; the id of a story merged away leads to the one it joined."""

    @abstractmethod
    def story_article_ids(self, story_id: str) -> list[str]: ...

    @abstractmethod
    def assigned_times(self, story_id: str) -> dict[str, str]:
        """Article id -> when it joined a story (ISO 8601 UTC), for a story's articles."""

    @abstractmethod
    def revisions(self, story_id: str | None = None, since: str | None = None) -> list[Revision]: ...

    @abstractmethod
    def unassigned_article_ids(self) -> list[str]:
        """Stored articles that are in no story yet, in ingest order."""

    # -- web ----------------------------------------------------------------------
    @abstractmethod
    def find_stories(self, query: StoryQuery, *, limit: int, offset: int = 0) -> tuple[list[StoryRow], int]:
        """Live stories matching ``query``, in its order, and how many match in all."""

    @abstractmethod
    def search_articles(self, text: str, *, limit: int, offset: int = 0) -> tuple[list[ArticleHit], int]:
        """Articles whose title or text match the words of ``text`` (all of them; a
        "quoted phrase" as a phrase), best first, and how many match. Any input is
        safe: punctuation is not query syntax."""

    @abstractmethod
    def search_claims(self, text: str, *, limit: int, offset: int = 0) -> tuple[list[ClaimHit], int]:
        """Claims of cached briefings matching ``text`` (as above), best first."""

    @abstractmethod
    def outlets(self) -> list[tuple[str, int]]:
        """Every outlet with its number of articles, most articles first."""

    @abstractmethod
    def name_counts(self, names: Sequence[str]) -> list[NameCount]:
        """How the name is mentioned (case-insensitive), per entity label."""

    @abstractmethod
    def quotes_by(self, speakers: Sequence[str], *, limit: int, offset: int = 0) -> tuple[list[QuoteRow], int]:
        """Quotes whose speaker is ``speaker`` (case-insensitive), newest first."""

    @abstractmethod
    def source_texts(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The source text of each known article id (what citations index into)."""

    @abstractmethod
    def story_stamp(self, story_id: str) -> tuple[str, str, str | None]:
        """(id, updated_at, briefing computed_at or None) of a story, following merges:
        one cheap read that says whether a cached briefing is fresh."""

    @abstractmethod
    def generation(self) -> str:
        """A token that changes whenever articles, stories or cached briefings change
        (cheap to read: listings cached under it stay right)."""

    @abstractmethod
    def briefing_stamp(self, story_id: str) -> str | None:
        """When the cached briefing of the story was computed; None if there is none."""

    @abstractmethod
    def get_briefing(self, story_id: str) -> CachedBriefing | None: ...

    @abstractmethod
    def put_briefing(self, story_id: str, briefing_json: str, claims: Iterable[tuple[str, str]] = ()) -> str:
        """Cache the story's briefing JSON and index its claims ``(id, text)`` for
        search, replacing what was cached; returns the new stamp."""

    @abstractmethod
    def delete_article(self, article_id: str) -> str | None:
        """Remove the article, its annotations and its place in its story (the story's
        counts, names and dates follow; an emptied story leaves the listings); returns
        the story it was in. :class:`ArticleNotFound` if unknown."""

    # -- bulk load ----------------------------------------------------------------
    @abstractmethod
    def bulk_assign(self, rows: Iterable[tuple[AnnotatedArticle, Features, str]], *, batch: int = 20_000) -> int:
        """Store many articles, each already placed in a story ``(doc, features,
        story_id)``, ``batch`` per transaction: for building big stores fast (scale
        benches, importing an archive clustered elsewhere). Stories are created or
        grown as :meth:`save_assignment` would (score 1.0, revisions "created" and
        "added"); an article already stored is skipped. Returns how many were stored."""

    # -- changes and alerts ---------------------------------------------------------
    # Snapshots, watches, notifications, webhook deliveries (rows at the end of this module).
    @abstractmethod
    def put_snapshot(self, story_id: str, at: str, snapshot_json: str, changes_json: str,
                     notifications: Iterable[NewNotification] = ()) -> int:  # fmt: skip
        """In one transaction: the snapshot, the changes against the story's previous
        one, and the notifications (with their pending webhook deliveries); returns the
        snapshot's sequence number."""

    @abstractmethod
    def snapshot_at(self, story_id: str, at: str | None = None) -> StoredSnapshot | None:
        """The story's last snapshot taken at or before ``at`` (None: its latest)."""

    @abstractmethod
    def snapshotted_since(self, since: str) -> list[str]:
        """Ids of the stories with a snapshot taken after ``since``, latest first."""

    @abstractmethod
    def recent_snapshots(self, limit: int, story_id: str | None = None) -> list[StoredSnapshot]:
        """The latest snapshots (of one story, or of all), latest first."""

    @abstractmethod
    def add_watch(self, kind: str, value: str, webhook: str | None = None) -> WatchRow: ...

    @abstractmethod
    def list_watches(self) -> list[WatchRow]: ...

    @abstractmethod
    def get_watch(self, watch_id: int) -> WatchRow | None: ...

    @abstractmethod
    def remove_watch(self, watch_id: int) -> bool:
        """Remove a watch with its notifications and deliveries; False if unknown."""

    @abstractmethod
    def notifications(self, watch_id: int | None = None, since: str | None = None, limit: int | None = None) -> list[NotificationRow]:
        """Notifications (of one watch, or all), at or after ``since``, latest first."""

    @abstractmethod
    def due_deliveries(self, now: str, max_attempts: int, limit: int = 100) -> list[DeliveryRow]:
        """Webhook deliveries not yet made, due at ``now``, tried fewer than
        ``max_attempts`` times; oldest first."""

    @abstractmethod
    def record_delivery(self, notification_id: int, *, at: str, ok: bool, error: str | None = None,
                        next_try_at: str | None = None) -> None:  # fmt: skip
        """Record one attempt: delivered at ``at``, or failed with ``error`` and due
        again at ``next_try_at``."""

    @abstractmethod
    def deliveries(self, notification_id: int | None = None) -> list[DeliveryRow]:
        """Every delivery (of one notification), oldest first."""


# -- changes and alerts ----------------------------------------------------------
# Story snapshots (what a story looked like after each ingest that changed it), saved
# watches, their notifications and webhook deliveries. Rows here; SQL in the backend's
# section of the same name; the logic in chorus.changes and chorus.alerts.


@dataclass(frozen=True)
class StoredSnapshot:
    seq: int
    story_id: str
    at: str  # ISO 8601 UTC
    snapshot: str  # JSON: chorus.changes.Snapshot.to_dict
    changes: str  # JSON: chorus.changes.StoryChanges.to_dict against the story's previous snapshot


@dataclass(frozen=True)
class WatchRow:
    id: int
    kind: str  # entity | query | story
    value: str
    webhook: str | None
    created_at: str


@dataclass(frozen=True)
class NewNotification:
    """A notification to store with its snapshot: for ``watch_id``, with this payload
    (JSON), POSTed to ``webhook`` when there is one."""

    watch_id: int
    payload: str
    webhook: str | None = None


@dataclass(frozen=True)
class NotificationRow:
    id: int
    watch_id: int
    story_id: str
    at: str
    payload: str  # JSON, the webhook body


@dataclass(frozen=True)
class DeliveryRow:
    notification_id: int
    url: str
    attempts: int
    next_try_at: str
    delivered_at: str | None
    last_error: str | None
    payload: str
