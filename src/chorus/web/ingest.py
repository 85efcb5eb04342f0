"""Ingest over HTTP: uploaded files and fetched URLs are written to disk, then go
through ``pipeline.ingest`` exactly as files named on the command line do."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from chorus import pipeline
from chorus.config import Settings
from chorus.models import Rejected
from chorus.read.common import over_limit
from chorus.store import Store

_CHUNK = 1 << 16
_UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as the client gave it and its (spooled) content."""

    filename: str
    file: BinaryIO


@dataclass(frozen=True)
class IngestOutcome:
    added: tuple[str, ...]  # article ids
    already: tuple[Rejected, ...]
    rejected: tuple[Rejected, ...]
    stories: tuple[str, ...]  # stories the added articles are in

    def to_dict(self) -> dict:
        return {
            "added": list(self.added),
            "already": [{"source": r.source, "reason": r.reason} for r in self.already],
            "rejected": [{"source": r.source, "reason": r.reason} for r in self.rejected],
            "stories": list(self.stories),
        }


def safe_name(name: str, fallback: str = "upload") -> str:
    """A file name safe to create: the last path component, odd characters folded to
    "_", the suffix kept (readers dispatch on it)."""
    base = Path(name.replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip("._") or fallback
    if len(base) > 120:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: 110 - len(suffix)] + dot + suffix) if dot and len(suffix) <= 10 else base[:120]
    return base


def batch_dir(root: Path) -> Path:
    """A new directory for one ingest request's inputs, kept when something was added
    (an article's ``path`` then points at the file it came from)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    path = root / f"{stamp}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def save_uploads(uploads: Sequence[Upload], dest: Path, max_bytes: int) -> tuple[list[tuple[str, str]], list[Rejected]]:
    """Copy each upload to ``dest/NNN/name`` in chunks (never whole in memory); returns
    (path, name as uploaded) pairs and the uploads refused, each with a reason."""
    saved: list[tuple[str, str]] = []
    rejected: list[Rejected] = []
    for i, up in enumerate(uploads):
        shown = up.filename or f"upload {i + 1}"
        folder = dest / f"{i:03d}"
        folder.mkdir()
        target = folder / safe_name(up.filename or "", f"upload{i + 1}")
        size = 0
        with target.open("wb") as out:
            while chunk := up.file.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    break
                out.write(chunk)
        if size > max_bytes:
            target.unlink()
            rejected.append(Rejected(shown, over_limit(max_bytes)))
        elif size == 0:
            target.unlink()
            rejected.append(Rejected(shown, "empty file"))
        else:
            saved.append((str(target), shown))
    return saved, rejected


_SUFFIX_BY_TYPE = (
    ("html", ".html"),
    ("xhtml", ".html"),
    ("rss", ".xml"),
    ("atom", ".xml"),
    ("xml", ".xml"),
    ("json", ".json"),
    ("text/plain", ".txt"),
)


def parse_urls(text: str, limit: int) -> tuple[list[str], list[Rejected]]:
    """One URL a line (blank lines and # comments skipped); only http(s) URLs."""
    urls, bad = [], []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parts = urlsplit(line)
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            bad.append(Rejected(line[:200], "not an http(s) URL"))
        elif len(urls) >= limit:
            bad.append(Rejected(line[:200], f"more than {limit} URLs in one request; send the rest in another"))
        else:
            urls.append(line)
    return urls, bad


def fetch_urls(urls: Iterable[str], dest: Path, max_bytes: int, timeout: float) -> tuple[list[tuple[str, str]], list[Rejected]]:
    """Download each URL to ``dest`` (streamed, at most ``max_bytes``); the page keeps
    its address as a canonical link so the article records where it came from."""
    import httpx

    saved: list[tuple[str, str]] = []
    rejected: list[Rejected] = []
    with httpx.Client(follow_redirects=True, timeout=timeout, headers={"User-Agent": "chorus (news briefing)"}) as client:
        for i, url in enumerate(urls):
            try:
                with client.stream("GET", url) as resp:
                    if resp.status_code != 200:
                        rejected.append(Rejected(url, f"the server answered HTTP {resp.status_code}"))
                        continue
                    body = bytearray()
                    for chunk in resp.iter_bytes(_CHUNK):
                        body += chunk
                        if len(body) > max_bytes:
                            break
                    kind = resp.headers.get("content-type", "").lower()
            except httpx.HTTPError as exc:
                rejected.append(Rejected(url, f"could not fetch it: {type(exc).__name__}: {exc}".strip(": ")))
                continue
            if len(body) > max_bytes:
                rejected.append(Rejected(url, over_limit(max_bytes, what="page")))
                continue
            suffix = next((s for key, s in _SUFFIX_BY_TYPE if key in kind), "")
            path_suffix = Path(urlsplit(url).path).suffix.lower()
            if not suffix:
                suffix = path_suffix if path_suffix in (".html", ".htm", ".xml", ".rss", ".atom", ".json", ".jsonl", ".txt") else ".html"
            data = bytes(body)
            if suffix == ".html" and b"canonical" not in data[:200_000].lower() and b"og:url" not in data[:200_000].lower():
                from markupsafe import escape

                data = f'<link rel="canonical" href="{escape(url)}">\n'.encode() + data
            host = urlsplit(url).hostname or "page"
            folder = dest / f"url{i:03d}"
            folder.mkdir()
            target = folder / (safe_name(host.removeprefix("www."), "page") + suffix)
            target.write_bytes(data)
            saved.append((str(target), url))
    return saved, rejected


def run_ingest(store: Store, settings: Settings, inputs: Sequence[tuple[str, str]], refused: Sequence[Rejected]) -> IngestOutcome:
    """Ingest saved inputs ``(path, name shown to the user)``; reasons name the input
    as the user knows it, not the path on the server."""

    def shown(r: Rejected) -> Rejected:
        for path, name in inputs:
            if r.source.startswith(path):
                return Rejected(name + r.source[len(path) :], r.reason.replace(path, name))
        return r

    if not inputs:
        return IngestOutcome((), (), tuple(refused), ())
    # a server computes the changed stories' briefings at once: the next page view is fast
    report = pipeline.ingest([p for p, _ in inputs], store, replace(settings, briefings=1))
    stories = tuple(dict.fromkeys(s for s in (store.story_of(a) for a in report.added) if s))
    return IngestOutcome(
        tuple(report.added),
        tuple(shown(r) for r in report.already),
        tuple(refused) + tuple(shown(r) for r in report.rejected),
        stories,
    )


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
