"""From what the user typed (files, directories, globs, "-") to a sorted list of inputs."""

from __future__ import annotations

import errno
import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chorus.models import Rejected

STDIN = "<stdin>"

KINDS = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".rss": "feed",
    ".atom": "feed",
    ".xml": "feed",
    ".tml": "timeml",
    ".warc": "warc",
}
GZIP_KINDS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".warc": "warc"}
SUPPORTED = ".txt, .html, .htm, .json, .jsonl, .rss, .atom, .xml, .tml, .warc, .warc.gz"


@dataclass(frozen=True)
class Input:
    """One file (or stdin) to read."""

    source: str  # the path as the user gave it, joined to the file; "<stdin>" for "-"
    path: Path | None  # None for stdin


def printable(name: str) -> str:
    """A file name as text that can be printed and stored: bytes that are not UTF-8
    (kept by Python as lone surrogates, which no UTF-8 writer accepts) become \\xNN."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def expand(arg: str) -> Iterator[Input | Rejected]:
    """Inputs named by one command-line argument, in a stable order."""
    if arg == "-":
        yield Input(STDIN, None)
        return
    path = Path(arg)
    if path.is_dir():
        yield from _walk(arg)
    elif path.exists():
        yield Input(printable(arg), path)
    elif path.is_symlink():
        yield Rejected(printable(arg), _dangling(path))
    elif glob.has_magic(arg):
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            yield Rejected(arg, "no file matches this pattern")
        for match in matches:
            if os.path.isdir(match):
                yield from _walk(match)
            else:
                yield Input(printable(match), Path(match))
    else:
        yield Rejected(printable(arg), "no such file or directory")


def _dangling(path: Path) -> str:
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop: the link leads back to itself"
    return "broken symbolic link: its target does not exist"


def kind_of(path: Path) -> tuple[str | None, bool, str]:
    """(kind, gzipped, suffix) by file name; kind None = unknown type, "" = no suffix."""
    name = path.name.lower()
    if name.endswith(".gz"):
        inner = Path(name[:-3]).suffix
        return GZIP_KINDS.get(inner), True, inner + ".gz"
    suffix = path.suffix.lower()
    if not suffix:
        return "", False, ""
    return KINDS.get(suffix), False, suffix


def stem_of(path: Path) -> str:
    """'reuters_story.txt' -> 'reuters_story'; 'dump.jsonl.gz' -> 'dump'."""
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return printable(Path(name).stem or name)


def _walk(top: str) -> Iterator[Input]:
    """Files under a directory, hidden files and directories skipped, sorted by path parts."""
    found: list[tuple[str, ...]] = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = Path(dirpath).relative_to(top).parts
        found += [(*rel, f) for f in filenames if not f.startswith(".")]
    for parts in sorted(found):
        yield Input(printable(os.path.join(top, *parts)), Path(top, *parts))
