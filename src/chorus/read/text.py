"""Plain text files: the decoded file is the document."""

from __future__ import annotations

from collections.abc import Iterator

from chorus.models import RawDocument
from chorus.read.common import Origin
from chorus.read.decode import decode_bytes


def read_text(data: bytes, origin: Origin) -> Iterator[RawDocument]:
    """One document; the title is left to the cleaner (it looks at the first line)."""
    text, encoding = decode_bytes(data)
    yield RawDocument(
        source=origin.source,
        text=text,
        kind="text",
        outlet=origin.stem,
        path=origin.path,
        encoding=encoding,
    )
