"""The sources file of `chorus watch`: what to poll, how often, and how politely.

    [defaults]                  # every key optional; these are the defaults
    interval = "15m"            # how often each source is polled ("90s", "15m", "2h", "1h30m")
    per_host_concurrency = 2    # requests in flight to one host (scheme + host + port)
    per_host_delay_s = 1.0      # at least this long between two requests to one host
    timeout_s = 20              # one request, headers and body, start to end
    max_bytes = 5000000         # a larger response is cut off and reported
    max_redirects = 5
    retries = 3                 # after a timeout, a 5xx or a 429, with exponential backoff
    user_agent = "chorus/0.1 (news watch; +https://example.org/chorus)"

    [[source]]
    name = "example-world"      # optional: made from the URL when absent
    url = "https://example.org/world/rss.xml"
    kind = "feed"               # feed | sitemap | page
    interval = "10m"            # optional, overrides [defaults]
    outlet = "Example News"     # optional: the outlet of its articles
    enabled = true              # optional

Parsed with tomllib into frozen dataclasses. A bad entry is skipped with a one-line
reason naming it (``SourcesFile.problems``); the others are used. Adding and removing a
source edits the file as text (appending or cutting out one ``[[source]]`` block), so
comments and the rest of the file stay as the user wrote them; each write is atomic.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from chorus import __version__
from chorus.errors import ChorusError

KINDS = ("feed", "sitemap", "page")
MIN_INTERVAL_S = 1.0
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?")
_SOURCE_HEADER = re.compile(r"^\s*\[\[\s*source\s*\]\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


@dataclass(frozen=True)
class Defaults:
    interval_s: float = 15 * 60.0
    per_host_concurrency: int = 2
    per_host_delay_s: float = 1.0
    timeout_s: float = 20.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 3
    user_agent: str = f"chorus/{__version__} (news watch)"


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    kind: str = "feed"  # feed | sitemap | page
    interval_s: float = Defaults.interval_s
    outlet: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class SourcesFile:
    path: Path | None
    defaults: Defaults = Defaults()
    sources: tuple[Source, ...] = ()
    problems: tuple[str, ...] = field(default=())  # one line per entry that was skipped

    @property
    def enabled(self) -> tuple[Source, ...]:
        return tuple(s for s in self.sources if s.enabled)


def parse_duration(value: object) -> float:
    """'15m', '90s', '2h', '1h30m' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.fullmatch(value.strip().lower())) and any(m.groups()):
        h, mnt, s = (float(g) if g else 0.0 for g in m.groups())
        seconds = h * 3600 + mnt * 60 + s
    else:
        raise ValueError(f"{value!r} is not a duration (write e.g. \"90s\", \"15m\", \"2h\" or \"1h30m\")")
    if seconds < MIN_INTERVAL_S:
        raise ValueError(f"{value!r} is shorter than {MIN_INTERVAL_S:g} s")
    return seconds


def format_duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


def name_from_url(url: str) -> str:
    """'https://www.example.org/world/rss.xml' -> 'example.org-world-rss'."""
    parts = urlsplit(url)
    host = (parts.hostname or "source").removeprefix("www.")
    if parts.port:
        host += f"-{parts.port}"
    path = re.sub(r"\.(xml|rss|atom|html?|php)$", "", parts.path.strip("/"), flags=re.I)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-").lower()
    return f"{host}-{slug}"[:80].strip("-") if slug else host


def check_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValueError("url is missing")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"url {url!r} is not an http(s) URL with a host")
    return url


def _defaults(table: object) -> Defaults:
    if not isinstance(table, dict):
        raise ChorusError("[defaults] must be a table")
    known = {f.name for f in fields(Defaults)} - {"interval_s"} | {"interval"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ChorusError(f"[defaults]: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values: dict[str, object] = {}
    try:
        if "interval" in table:
            values["interval_s"] = parse_duration(table["interval"])
        for key in ("per_host_concurrency", "max_bytes", "max_redirects", "retries"):
            if key in table:
                v = table[key]
                if isinstance(v, bool) or not isinstance(v, int) or v < (0 if key in ("retries", "max_redirects") else 1):
                    raise ValueError(f"{key} must be a whole number {'≥ 0' if key in ('retries', 'max_redirects') else '≥ 1'}, got {v!r}")
                values[key] = v
        for key in ("per_host_delay_s", "timeout_s"):
            if key in table:
                v = table[key]
                if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or (key == "timeout_s" and v == 0):
                    raise ValueError(f"{key} must be a number of seconds {'> 0' if key == 'timeout_s' else '≥ 0'}, got {v!r}")
                values[key] = float(v)
        if "user_agent" in table:
            if not isinstance(table["user_agent"], str) or not table["user_agent"].strip():
                raise ValueError("user_agent must be a non-empty string")
            values["user_agent"] = table["user_agent"].strip()
    except ValueError as exc:
        raise ChorusError(f"[defaults]: {exc}") from None
    return replace(Defaults(), **values)


def _source(entry: object, defaults: Defaults) -> Source:
    if not isinstance(entry, dict):
        raise ValueError("must be a table")
    known = {"name", "url", "kind", "interval", "outlet", "enabled"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    url = check_url(entry.get("url"))
    kind = entry.get("kind", "feed")
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    name = entry.get("name", name_from_url(url))
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name must be a non-empty string")
    outlet = entry.get("outlet")
    if outlet is not None and (not isinstance(outlet, str) or not outlet.strip()):
        raise ValueError("outlet must be a non-empty string")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"enabled must be true or false, got {enabled!r}")
    interval = parse_duration(entry["interval"]) if "interval" in entry else defaults.interval_s
    return Source(name.strip(), url, kind, interval, outlet.strip() if outlet else None, enabled)


def parse_sources(text: str, path: Path | None = None) -> SourcesFile:
    """The sources file's text -> SourcesFile; a file-level problem raises ChorusError,
    a bad [[source]] entry is skipped and named in ``problems``."""
    where = str(path) if path else "sources"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChorusError(f"{where}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"defaults", "source"})
    if unknown:
        raise ChorusError(f"{where}: unknown top-level key(s) {', '.join(unknown)}; expected [defaults] and [[source]] entries")
    try:
        defaults = _defaults(data.get("defaults", {}))
    except ChorusError as exc:
        raise ChorusError(f"{where}: {exc}") from None
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise ChorusError(f"{where}: 'source' must be [[source]] entries")
    sources: list[Source] = []
    problems: list[str] = []
    names: dict[str, int] = {}
    urls: dict[str, int] = {}
    for n, entry in enumerate(entries, start=1):
        label = f"source {n}" + (f" ({entry.get('name') or entry.get('url')!r})" if isinstance(entry, dict) and (entry.get("name") or entry.get("url")) else "")
        try:
            source = _source(entry, defaults)
            if source.name in names:
                raise ValueError(f"name {source.name!r} is already used by source {names[source.name]}")
            if source.url in urls:
                raise ValueError(f"url is already listed as source {urls[source.url]}")
        except (ValueError, TypeError) as exc:
            problems.append(f"{where}: {label}: {exc}; skipped")
            continue
        names[source.name] = urls[source.url] = n
        sources.append(source)
    return SourcesFile(path, defaults, tuple(sources), tuple(problems))


def load_sources(path: Path) -> SourcesFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChorusError(f"{path}: no such sources file; create one with `chorus sources add URL --file {path}`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ChorusError(f"{path}: cannot read the sources file ({exc})") from None
    return parse_sources(text, path)


def _toml_string(value: str) -> str:
    # JSON string escapes (\", \\, \n, \uXXXX) are all valid TOML basic-string escapes
    return json.dumps(value, ensure_ascii=False)


def source_block(source: Source, defaults: Defaults = Defaults()) -> str:
    """One [[source]] entry as TOML, with only what differs from the defaults."""
    lines = ["[[source]]", f"name = {_toml_string(source.name)}", f"url = {_toml_string(source.url)}", f"kind = {_toml_string(source.kind)}"]
    if source.interval_s != defaults.interval_s:
        lines.append(f"interval = {_toml_string(format_duration(source.interval_s))}")
    if source.outlet:
        lines.append(f"outlet = {_toml_string(source.outlet)}")
    if not source.enabled:
        lines.append("enabled = false")
    return "\n".join(lines) + "\n"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ChorusError(f"{path}: cannot write the sources file ({exc.strerror or exc})") from None


def add_source(path: Path, source: Source) -> SourcesFile:
    """Append ``source`` to the file (created if absent); refuses a name or URL already listed."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    current = parse_sources(text, path)
    for s in current.sources:
        if s.name == source.name:
            raise ChorusError(f"{path}: a source named {source.name!r} is already listed ({s.url})")
        if s.url == source.url:
            raise ChorusError(f"{path}: {source.url} is already listed as {s.name!r}")
    if not text.strip():
        text = "# chorus watch sources; see `chorus sources --help` and docs/WATCH.md\n"
    new_text = text.rstrip("\n") + "\n\n" + source_block(source, current.defaults)
    result = parse_sources(new_text, path)  # what we write must read back
    if source.name not in {s.name for s in result.sources}:
        raise ChorusError(f"{path}: could not add {source.url}: {'; '.join(result.problems[-1:]) or 'it does not read back'}")
    _write_atomically(path, new_text)
    return result


def remove_source(path: Path, name_or_url: str) -> Source:
    """Cut the [[source]] block whose name or URL is ``name_or_url`` out of the file."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _SOURCE_HEADER.match(line)]
    for start in starts:
        end = next((j for j in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[j])), len(lines))
        try:
            entry = tomllib.loads("".join(lines[start + 1 : end]))
        except tomllib.TOMLDecodeError:
            continue
        url = str(entry.get("url", "")).strip()
        name = str(entry.get("name", name_from_url(url) if url else "")).strip()
        if name_or_url in (name, url):
            # keep comment lines that end the block: they usually introduce the next one
            while end - 1 > start and lines[end - 1].lstrip().startswith("#"):
                end -= 1
            new_text = "".join(lines[:start] + lines[end:])
            new_text = re.sub(r"\n{3,}", "\n\n", new_text)
            parse_sources(new_text, path)  # still valid
            _write_atomically(path, new_text)
            defaults = parse_sources(text, path).defaults
            return _source(entry, defaults)
    raise ChorusError(f"{path}: no source named {name_or_url!r} or with that URL")
