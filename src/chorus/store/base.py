"""The backend-neutral store interface and the rows it returns.

Backends (SQLite now, PostgreSQL later) subclass :class:`Store`; nothing here
knows any SQL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
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


class Store(ABC):
    """Annotated articles, kept by content hash. Use one Store per thread."""

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
    def revisions(self, story_id: str | None = None, since: str | None = None) -> list[Revision]: ...

    @abstractmethod
    def unassigned_article_ids(self) -> list[str]:
        """Stored articles that are in no story yet, in ingest order."""
