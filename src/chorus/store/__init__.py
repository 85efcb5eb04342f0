"""Where annotated articles are kept between runs.

All of chorus's SQL lives in this package, one module per backend; callers see
only :class:`Store`. Open one with :func:`open_store`::

    with open_store("sqlite:///home/me/chorus.db") as store:
        if not store.has_hash(article.content_hash):
            store.add(annotated)
"""

from __future__ import annotations

import os
import re

from chorus.errors import StoreError
from chorus.store.base import AddResult, ArticleNotFound, ArticleRow, Store
from chorus.store.sqlite import SQLiteStore

__all__ = ["AddResult", "ArticleNotFound", "ArticleRow", "Store", "display_location", "open_store"]

_URL_HINT = "use sqlite:///absolute/path.db, sqlite:///:memory:, a plain file path or postgresql://user@host/dbname"


def open_store(url: str) -> Store:
    """Open (creating it and its parent directories if needed) the store at ``url``.

    ``url`` is ``sqlite:///abs/path.db``, ``sqlite:///:memory:``, a file path, or
    ``postgresql://user[:password]@host[:port]/dbname`` (an existing database; its
    tables are created on first use).
    """
    if _is_postgres(url):
        from chorus.store.postgres import PostgresStore

        return PostgresStore(url)
    return SQLiteStore(_sqlite_path(url))


def display_location(url: str) -> str:
    """``url`` as messages may show it: a PostgreSQL URL without its password."""
    if _is_postgres(url):
        from chorus.store.postgres import display_url

        return display_url(url)
    return url


def _is_postgres(url: str) -> bool:
    return url.lower().startswith(("postgresql://", "postgres://"))


def _sqlite_path(url: str) -> str:
    if not url:
        raise StoreError(f"no store location given; {_URL_HINT}")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url if url == ":memory:" else os.path.expanduser(url)
    if scheme.lower() != "sqlite":
        raise StoreError(f"store URL {url!r}: unsupported scheme {scheme!r}; {_URL_HINT}")
    if rest in ("", "/:memory:"):  # "sqlite://" is in-memory too, as in SQLAlchemy
        return ":memory:"
    if not rest.startswith("/"):
        raise StoreError(f"store URL {url!r} names a host, not a path; {_URL_HINT}")
    if re.match(r"/[A-Za-z]:[\\/]", rest):  # sqlite:///C:/data/chorus.db on Windows
        return rest[1:]
    return "/" + rest.lstrip("/")
