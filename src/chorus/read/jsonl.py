"""JSON records: a .json object or list of objects, or JSON Lines (.jsonl/.ndjson), maybe gzipped.

Fields (all strings, all optional except ``text``): url, title, text, published, outlet, author.
Other fields are ignored.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from chorus.errors import InputError
from chorus.models import RawDocument, Rejected
from chorus.read.common import Origin, clean, host_of, normalize_date, one_line, over_limit
from chorus.read.decode import decode_bytes

FIELDS = ("url", "title", "text", "published", "outlet", "author")
TOO_DEEP = "JSON nested too deeply (arrays or objects inside one another more than a thousand levels)"
# JSON's \uD800-style escapes can encode half a surrogate pair, which no UTF-8 writer
# (the store, the terminal) accepts: each becomes U+FFFD, one code point for one, so
# citations into the text keep their offsets.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}


def read_json(data: bytes, origin: Origin) -> Iterator[RawDocument | Rejected]:
    """A .json file: one record, or a list of records (sources "file.json[i]")."""
    text, encoding = decode_bytes(data)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise InputError(TOO_DEEP) from None
    yield from _records_of(value, origin, encoding)


def read_jsonl(data: bytes, origin: Origin) -> Iterator[RawDocument | Rejected]:
    """JSON Lines: one record per line (sources "file.jsonl:lineno"); bad lines are rejected alone."""
    text, encoding = decode_bytes(data)
    # Split on "\n" only: str.splitlines() would also split on U+2028 etc., legal inside JSON strings.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where, label = f"{origin.source}:{lineno}", f"line {lineno}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejected(where, f"{label}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:  # this line alone: the lines after it are still read
            yield Rejected(where, f"{label}: {TOO_DEEP}")
            continue
        yield _record(value, where, label, origin, encoding)


def read_json_auto(data: bytes, origin: Origin) -> Iterator[RawDocument | Rejected]:
    """Stdin: one JSON value, or JSON Lines when a first value is followed by more."""
    text, _ = decode_bytes(data)
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            yield from read_jsonl(data, origin)
            return
    except RecursionError:
        pass  # read_json says so
    yield from read_json(data, origin)


def read_gzipped(path: Path, origin: Origin, *, max_bytes: int, lines: bool) -> Iterator[RawDocument | Rejected]:
    """.json.gz / .jsonl.gz: a damaged or oversized stream keeps the complete lines before the damage."""
    data, stop = _gunzip_lines(path, max_bytes)
    if stop is None:
        yield from (read_jsonl if lines else read_json)(data, origin)
        return
    lineno, reason = stop
    if not lines:
        raise InputError(reason)
    if data.strip():
        yield from read_jsonl(data, origin)
    kept = "the lines before it were read" if data.strip() else "nothing could be read"
    yield Rejected(f"{origin.source}:{lineno}", f"line {lineno}: {reason}; {kept}")


def _gunzip_lines(path: Path, max_bytes: int) -> tuple[bytes, tuple[int, str] | None]:
    """Decompress whole lines, at most ``max_bytes``; on failure also return (line number, reason)."""
    out = bytearray()
    lineno = 1
    try:
        with gzip.open(path, "rb") as stream:
            while True:
                # A size-limited readline, so a newline-free gzip bomb cannot fill memory.
                line = stream.readline(max_bytes - len(out) + 1)
                if not line:
                    return bytes(out), None
                if len(out) + len(line) > max_bytes:
                    return bytes(out), (lineno, over_limit(max_bytes, what="decompressed data"))
                out += line
                lineno += 1
    except EOFError:
        return bytes(out), (lineno, "the gzip data is truncated (the file ends before the end-of-stream marker)")
    except (gzip.BadGzipFile, zlib.error) as exc:
        if not out:
            raise InputError(f"not a readable gzip file ({one_line(exc)})") from None
        return bytes(out), (lineno, f"the gzip data is corrupt ({one_line(exc)})")


def _records_of(value: object, origin: Origin, encoding: str) -> Iterator[RawDocument | Rejected]:
    if isinstance(value, dict):
        yield _record(value, origin.source, "the record", origin, encoding)
    elif isinstance(value, list):
        if not value:
            raise InputError("the JSON list is empty: no records")
        for i, item in enumerate(value):
            yield _record(item, f"{origin.source}[{i}]", f"item {i}", origin, encoding)
    else:
        raise InputError(f"expected a JSON object or a list of objects, found {_json_type(value)}")


def _record(value: object, where: str, label: str, origin: Origin, encoding: str) -> RawDocument | Rejected:
    """One record -> a document, or a Rejected naming the field at fault."""
    if not isinstance(value, dict):
        return Rejected(where, f"{label}: expected a JSON object, found {_json_type(value)}")
    for name in FIELDS:
        field = value.get(name)
        if field is not None and not isinstance(field, str):
            return Rejected(where, f"{label}: field '{name}' must be a string, not {_json_type(field)}")
    if any(isinstance(value.get(name), str) and _LONE_SURROGATE.search(value[name]) for name in FIELDS):
        value = {name: _LONE_SURROGATE.sub("\ufffd", value[name]) if isinstance(value.get(name), str) else value.get(name) for name in FIELDS}
    text = value.get("text")
    if text is None:
        return Rejected(where, f"{label}: no 'text' field (each record needs the article text in \"text\")")
    if not text.strip():
        return Rejected(where, f"{label}: the 'text' field is empty")
    url = clean(value.get("url"))
    return RawDocument(
        source=where,
        text=text,  # verbatim: citations index into it
        kind="json",
        title=clean(value.get("title")),
        outlet=clean(value.get("outlet")) or host_of(url) or origin.stem,
        author=clean(value.get("author")),
        published=normalize_date(value.get("published")),  # unusable dates are dropped, not fatal
        url=url,
        path=origin.path,
        encoding=encoding,
    )


def _json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)
