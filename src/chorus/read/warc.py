"""WARC archives (``.warc``, ``.warc.gz``; CC-News is distributed this way).

Each ``response`` record whose HTTP payload is HTML goes through the same HTML path
as a saved page (:func:`chorus.read.html.read_html`: trafilatura + htmldate); a
``resource`` or ``conversion`` record holding HTML or plain text (WET files) is read
as HTML or as text. Other record types (``request``, ``warcinfo``, ``metadata``,
``revisit``) hold no article and are passed over silently.

* source: ``archive.warc.gz#urn:uuid:…`` (the WARC-Record-ID); ``archive.warc.gz@1234``
  (the record's byte offset) for a record too damaged to name;
* url: the WARC-Target-URI unless the page names its canonical URL; outlet: the page's
  site name, else the target host;
* date: the page's own date (htmldate), else the HTTP ``Last-Modified`` header, else
  the ``WARC-Date`` (the crawl time: a crawler fetches news within hours or days, and
  a story without any date cannot be placed in a time window at all).

A damaged record (a corrupt gzip member, a Content-Length that does not match the
record, a non-HTML payload, an HTTP error page) becomes one Rejected with a one-line
reason and reading goes on with the next record.

Why the record framing is done here and not by ``warcio.ArchiveIterator``: the
iterator cannot go on after a damaged record (it stops with an exception, or prints to
stderr and misreads what follows), and it cannot start at an arbitrary byte offset.
Both are needed: the rest of a damaged archive must still land, and the Ray engine
splits a big archive into byte ranges read in parallel (:func:`read_warc_range`: the
records that *start* inside the range). warcio still parses every record's WARC and
HTTP headers.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from chorus.errors import InputError
from chorus.models import RawDocument, Rejected
from chorus.read.common import Origin, host_of, normalize_date, one_line, over_limit
from chorus.read.html import read_html
from chorus.read.text import read_text

Item = RawDocument | Rejected

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
CHUNK = 1 << 16
MAX_HEADER = 1 << 16  # a WARC header block is a few hundred bytes; more is not a header
SKIPPED_TYPES = frozenset({"request", "warcinfo", "metadata", "revisit", "continuation"})
HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_gzipped(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def read_warc_file(path: Path, origin: Origin, *, max_bytes: int) -> Iterator[Item]:
    """Every record of the archive, in order."""
    yield from read_warc_range(path, origin, 0, path.stat().st_size, max_bytes=max_bytes)


def read_warc_range(path: Path, origin: Origin, start: int, end: int, *, max_bytes: int) -> Iterator[Item]:
    """The records that start at a byte offset in [start, end). Ranges that tile the
    file yield, together, exactly what :func:`read_warc_file` yields."""
    gz = is_gzipped(path)
    with open(path, "rb") as fh:
        if start == 0:
            magic = GZIP_MAGIC if gz else WARC_MAGIC
            if _peek(fh, 0, len(magic)) != magic:
                what = "a gzip file (a .warc.gz starts with the gzip magic bytes)" if gz else "a WARC file (it does not start with a 'WARC/1.x' header)"
                raise InputError(f"not {what}")
            pos: int | None = 0
        else:
            pos = _next_boundary(fh, start, gz)
        while pos is not None and pos < end:
            record, problem, after = _gzip_member(fh, pos, max_bytes) if gz else _plain_record(fh, pos, max_bytes)
            if problem is not None:
                yield Rejected(f"{origin.source}@{pos}", problem)
            elif record is not None:
                yield from _items_of(record, pos, origin, max_bytes)
            if after is None:
                pos = _next_boundary(fh, pos + 1, gz)
            else:  # past blank lines, so the next record's start is its header (as a later range finds it)
                pos = after if gz else _skip_blank(fh, after)


# -- framing -------------------------------------------------------------------------
# Each returns (record bytes, problem, offset of the next record); the next offset is
# None when the damage leaves it unknown (the caller scans for the next record start).


def _peek(fh: BinaryIO, pos: int, n: int) -> bytes:
    fh.seek(pos)
    return fh.read(n)


def _skip_blank(fh: BinaryIO, pos: int) -> int:
    while True:
        chunk = _peek(fh, pos, CHUNK)
        rest = chunk.lstrip(b"\r\n")
        pos += len(chunk) - len(rest)
        if rest or not chunk:
            return pos


def _gzip_member(fh: BinaryIO, pos: int, max_bytes: int) -> tuple[bytes | None, str | None, int | None]:
    """One gzip member (a record, as WARC writers compress them) from ``pos``."""
    fh.seek(pos)
    inflater = zlib.decompressobj(wbits=31)
    out = bytearray()
    consumed = 0
    while not inflater.eof:
        chunk = fh.read(CHUNK)
        if not chunk:
            if consumed == 0:
                return None, None, None
            return None, f"the WARC gzip member at byte {pos:,} is truncated (the file ends inside it)", None
        try:
            out += inflater.decompress(chunk, max_bytes + 1 - len(out))
            while inflater.unconsumed_tail and len(out) <= max_bytes:
                out += inflater.decompress(inflater.unconsumed_tail, max_bytes + 1 - len(out))
        except zlib.error as exc:
            return None, f"the WARC gzip member at byte {pos:,} is corrupt ({one_line(exc)})", None
        if len(out) > max_bytes:
            return None, f"the WARC record at byte {pos:,}: " + over_limit(max_bytes, what="its decompressed data"), None
        consumed += len(chunk)
    after = pos + consumed - len(inflater.unused_data)
    head_end = out.find(b"\r\n\r\n")
    length = _content_length(bytes(out[: head_end + 4])) if head_end != -1 else None
    if length is None:
        return None, f"the WARC gzip member at byte {pos:,} holds no WARC header with a valid Content-Length", after
    block = len(out) - head_end - 4 - (4 if out.endswith(b"\r\n\r\n") else 0)
    if block != length:
        return None, f"the WARC record at byte {pos:,} declares Content-Length {length:,} but holds {block:,} bytes", after
    return bytes(out), None, after


def _plain_record(fh: BinaryIO, pos: int, max_bytes: int) -> tuple[bytes | None, str | None, int | None]:
    """One uncompressed record: header, Content-Length bytes of block, then CRLF CRLF."""
    fh.seek(pos)
    head = bytearray()
    while not head.endswith(b"\r\n\r\n"):
        line = fh.readline(MAX_HEADER)
        if not line:
            if not head.strip():
                return None, None, None  # blank lines at the end of the file
            return None, f"the WARC record at byte {pos:,} is truncated inside its header", None
        if not head and not line.strip():
            pos += len(line)  # blank lines between records
            continue
        head += line
        if len(head) > MAX_HEADER:
            return None, f"the WARC record at byte {pos:,} has no end of header within {MAX_HEADER:,} bytes", None
    length = _content_length(bytes(head))
    if length is None:
        return None, f"the WARC record at byte {pos:,} has no valid Content-Length header", None
    fh.seek(0, 2)
    left = fh.tell() - (pos + len(head))
    if length > left:
        return None, f"the WARC record at byte {pos:,} declares Content-Length {length:,} but the file ends after {left:,} bytes", None
    fh.seek(pos + len(head))
    if length > max_bytes:
        return None, f"the WARC record at byte {pos:,}: " + over_limit(max_bytes, size=length, what="its block"), None
    block = fh.read(length)
    trailer = fh.read(4)
    if len(block) < length:
        return None, f"the WARC record at byte {pos:,} declares Content-Length {length:,} but the file ends after {len(block):,} bytes", None
    if trailer != b"\r\n\r\n":
        return None, f"the WARC record at byte {pos:,} declares Content-Length {length:,}, which does not end where the record ends", None
    return bytes(head) + block + trailer, None, pos + len(head) + length + 4


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                n = int(value.strip())
            except ValueError:
                return None
            return n if n >= 0 else None
    return None


def _next_boundary(fh: BinaryIO, start: int, gz: bool) -> int | None:
    """The first record start at or after ``start``: a gzip member that inflates to a
    WARC header, or a 'WARC/1.x' line with a Content-Length."""
    magic = GZIP_MAGIC if gz else WARC_MAGIC
    pos = start
    while True:
        fh.seek(pos)
        window = fh.read(CHUNK + len(magic))
        if len(window) < len(magic):
            return None
        i = window.find(magic)
        while i != -1:
            candidate = pos + i
            if _looks_like_record(fh, candidate, gz):
                return candidate
            i = window.find(magic, i + 1)
        pos += CHUNK


def _looks_like_record(fh: BinaryIO, pos: int, gz: bool) -> bool:
    if gz:
        fh.seek(pos)
        try:
            head = zlib.decompressobj(wbits=31).decompress(fh.read(4096), 64)
        except zlib.error:
            return False
        return head.startswith(WARC_MAGIC)
    if pos > 0 and _peek(fh, pos - 1, 1) != b"\n":
        return False
    fh.seek(pos)
    head = fh.read(4096)
    end = head.find(b"\r\n\r\n")
    return end != -1 and _content_length(head[: end + 4]) is not None


# -- records -------------------------------------------------------------------------


def _items_of(data: bytes, pos: int, origin: Origin, max_bytes: int) -> Iterator[Item]:
    """The document in one framed record, a Rejected, or nothing (not an article record)."""
    where = f"{origin.source}@{pos}"
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(data), ensure_http_headers=False)), None)
        if record is None:
            yield Rejected(where, f"the WARC record at byte {pos:,} could not be parsed as WARC")
            return
        kind = record.rec_type
        if kind in SKIPPED_TYPES:
            return
        record_id = (record.rec_headers.get_header("WARC-Record-ID") or "").strip("<> ")
        source = f"{origin.source}#{record_id}" if record_id else where
        uri = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ") or None
        crawled = normalize_date(record.rec_headers.get_header("WARC-Date"))
        modified = None
        if kind == "response":
            if record.http_headers is None:
                yield Rejected(source, "response record without an HTTP response (not a crawled web page)")
                return
            status = record.http_headers.get_statuscode()
            if status != "200":
                yield Rejected(source, f"HTTP status {status} for {uri or 'the page'}: not an article page")
                return
            ctype = record.http_headers.get_header("Content-Type") or ""
            modified = normalize_date(record.http_headers.get_header("Last-Modified"))
        elif kind in ("resource", "conversion"):
            ctype = record.rec_headers.get_header("Content-Type") or ""
        else:
            yield Rejected(source, f"unknown WARC record type {kind!r}")
            return
        body = record.content_stream().read(max_bytes + 1)
    except (ArchiveLoadFailed, ValueError, OSError, zlib.error, EOFError) as exc:
        yield Rejected(where, f"the WARC record at byte {pos:,} is damaged ({one_line(exc) or type(exc).__name__})")
        return
    if len(body) > max_bytes:
        yield Rejected(source, over_limit(max_bytes, what="record payload"))
        return
    media = ctype.split(";")[0].strip().lower()
    is_html = media in HTML_TYPES or (not media and body.lstrip()[:1] == b"<")
    if not is_html and not (kind != "response" and media == "text/plain"):
        wanted = "an HTML page" if kind == "response" else "HTML or plain text"
        yield Rejected(source, f"the payload is {media or 'of no declared type'}, not {wanted}")
        return
    inner = Origin(source, origin.path, host_of(uri) or origin.stem)
    try:
        docs = list(read_html(body, inner) if is_html else read_text(body, inner))
    except InputError as exc:
        yield Rejected(source, one_line(exc))
        return
    for doc in docs:
        yield replace(
            doc,
            url=doc.url or uri,
            outlet=doc.outlet or host_of(uri),
            published=doc.published or modified or crawled,
        ) if isinstance(doc, RawDocument) else doc
