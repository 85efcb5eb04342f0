"""Read inputs of every supported kind into RawDocuments; bad inputs become Rejected.

    for item in read_inputs(["corpus/", "feed.rss", "-"], max_bytes=settings.max_bytes):
        ...  # RawDocument | Rejected, in a deterministic order

One module per source kind: text, html, jsonl (JSON and JSON Lines), feeds, timeml, warc.
"""

from __future__ import annotations

import re
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from chorus.errors import InputError
from chorus.models import RawDocument, Rejected
from chorus.read.common import Origin, one_line, over_limit
from chorus.read.decode import decode_bytes
from chorus.read.feeds import read_feed
from chorus.read.html import read_html
from chorus.read.jsonl import read_gzipped, read_json, read_json_auto, read_jsonl
from chorus.read.sources import STDIN, SUPPORTED, expand, kind_of, printable, stem_of
from chorus.read.text import read_text
from chorus.read.timeml import read_timeml
from chorus.read.warc import read_warc_file

__all__ = ["read_inputs"]

Item = RawDocument | Rejected
Reader = Callable[[bytes, Origin], Iterator[Item]]

READERS: dict[str, Reader] = {
    "text": read_text,
    "html": read_html,
    "json": read_json,
    "jsonl": read_jsonl,
    "json-auto": read_json_auto,
    "feed": read_feed,
    "timeml": read_timeml,
}

_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF)\b")
_TIMEML_ROOT = re.compile(r"<TimeML\b")


def read_inputs(paths: Sequence[str], *, max_bytes: int, stdin: BinaryIO | None = None) -> Iterator[Item]:
    """One item per document (a JSONL file or a feed yields many); never raises for a bad input."""
    stdin_read = False
    for arg in paths:
        for found in expand(arg):
            if isinstance(found, Rejected):
                yield found
            elif found.path is None:
                if stdin_read:
                    yield Rejected(STDIN, "stdin was already read ('-' given more than once)")
                    continue
                stdin_read = True
                yield from _capped(STDIN, _guarded(STDIN, _read_stdin(stdin, max_bytes)))
            else:
                yield from _capped(found.source, _guarded(found.source, _read_file(found.source, found.path, max_bytes)))


def _read_file(source: str, path: Path, max_bytes: int) -> Iterator[Item]:
    kind, gzipped, suffix = kind_of(path)
    if kind is None:
        raise InputError(f"unknown file type '{suffix}' (chorus reads {SUPPORTED})")
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        # a pipe would block forever and /dev/zero never ends: only regular files are read
        raise InputError("not a regular file (a pipe, device or socket); chorus reads files")
    origin = Origin(source, printable(str(path.resolve())), stem_of(path))
    if kind == "warc":  # archives are streamed record by record; max_bytes bounds each record
        yield from read_warc_file(path, origin, max_bytes=max_bytes)
        return
    if info.st_size > max_bytes:  # before reading: an oversized file is never loaded
        raise InputError(over_limit(max_bytes, size=info.st_size))
    if gzipped:
        yield from read_gzipped(path, origin, max_bytes=max_bytes, lines=kind == "jsonl")
        return
    with path.open("rb") as stream:
        data = stream.read(max_bytes + 1)  # bounded even if the file grows meanwhile
    if len(data) > max_bytes:
        raise InputError(over_limit(max_bytes))
    if kind == "":
        kind = _sniff(data, markup_only=True)
    elif kind == "feed" and path.suffix.lower() == ".xml" and _sniff(data) == "timeml":
        kind = "timeml"  # TimeML is often saved as .xml
    yield from READERS[kind](data, origin)


def _read_stdin(stream: BinaryIO | None, max_bytes: int) -> Iterator[Item]:
    data = (stream if stream is not None else sys.stdin.buffer).read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(over_limit(max_bytes, what="input"))
    yield from READERS[_sniff(data)](data, Origin(STDIN, None, None))


def _sniff(data: bytes, *, markup_only: bool = False) -> str:
    """Kind from the content: feed, timeml or html for markup; json-auto; else text."""
    head = decode_bytes(data)[0][:4096].lstrip()  # whole data: a cut could split a character
    if head.startswith("<"):
        if _FEED_ROOT.search(head):
            return "feed"
        return "timeml" if _TIMEML_ROOT.search(head) else "html"
    if not markup_only and head[:1] in ("{", "["):
        return "json-auto"
    return "text"


MAX_REJECTIONS_PER_INPUT = 20


def _capped(source: str, items: Iterator[Item], limit: int = MAX_REJECTIONS_PER_INPUT) -> Iterator[Item]:
    """At most ``limit`` rejections of one input are reported one by one; the rest are
    counted into one last line (a file of a million bad records must not print a
    million lines, nor keep a million reasons in memory)."""
    shown = more = 0
    example = ""
    for item in items:
        if isinstance(item, Rejected):
            if shown < limit:
                shown += 1
                yield item
                continue
            more += 1
            example = example or item.reason
            continue
        yield item
    if more:
        yield Rejected(source, f"{more:,} more records of this input rejected, the first of them: {example}")


def _guarded(source: str, items: Iterator[Item]) -> Iterator[Item]:
    """Turn whatever a reader raises into one Rejected, so the batch goes on."""
    try:
        yield from items
    except InputError as exc:
        yield Rejected(source, one_line(exc))
    except PermissionError:
        yield Rejected(source, "cannot read the file: permission denied")
    except OSError as exc:
        yield Rejected(source, f"cannot read the file: {one_line(exc.strerror or exc)}")
    except Exception as exc:  # noqa: BLE001 - a parser bug on one odd input must not sink the batch
        yield Rejected(source, f"could not be read ({type(exc).__name__}: {one_line(exc)})")
