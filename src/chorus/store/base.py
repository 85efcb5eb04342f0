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
