"""RSS/Atom feeds: one document per entry that carries text (feedparser, bytes only, no network)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import feedparser
import lxml.html
from lxml import etree

from chorus.errors import InputError
from chorus.models import RawDocument, Rejected
from chorus.read.common import ENTITY_REASON, Origin, clean, date_from_struct, declares_entities, host_of, normalize_date, WRITTEN_YEAR, year_written
from chorus.read.decode import decode_bytes

NO_TEXT = "feed entry has no text"

_BLOCKS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main ol p pre section table tbody thead tr ul".split()
)
_SKIP = frozenset({"script", "style", "noscript", "template", "head"})
_SPACE = re.compile(r"[ \t\r\n\f]+")  # HTML whitespace; a no-break space is content
_ROOT_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def read_feed(data: bytes, origin: Origin) -> Iterator[RawDocument | Rejected]:
    """Entries in feed order; sources are "file.rss entry N" (N from 1)."""
    text, _ = decode_bytes(data)
    if declares_entities(text):
        raise InputError(ENTITY_REASON)
    # A file object: given bytes, feedparser would first try them as a file name.
    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=True)
    if not parsed.get("version") and not parsed.entries:
        raise InputError(f"not an RSS/Atom feed: {_why_not_feed(parsed, text)}")
    if not parsed.entries:
        raise InputError("the feed has no entries")
    feed = parsed.feed
    outlet = clean(feed.get("title")) or host_of(feed.get("link")) or origin.stem
    for n, entry in enumerate(parsed.entries, start=1):
        where = f"{origin.source} entry {n}"
        body = _entry_text(entry)
        if not body:
            yield Rejected(where, NO_TEXT)
            continue
        yield RawDocument(
            source=where,
            text=body,
            kind="feed",
            title=_plain(entry.get("title_detail")) or clean(entry.get("title")),
            outlet=outlet,
            author=clean(entry.get("author")),
            published=_entry_date(entry),
            url=clean(entry.get("link")),
            path=origin.path,
            encoding=parsed.get("encoding") or None,
        )


def html_to_text(fragment: str) -> str:
    """HTML fragment -> plain text: block elements become paragraphs separated by a blank line."""
    if not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        lines = (_SPACE.sub(" ", line).strip() for line in "".join(current).split("\n"))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            paragraphs.append(paragraph)
        current.clear()

    def walk(element: etree._Element) -> None:
        tag = element.tag.lower() if isinstance(element.tag, str) else None  # None: comment / PI
        if tag is None or tag in _SKIP:
            return
        if tag == "br":
            current.append("\n")
            return
        if tag in _BLOCKS:
            flush()
        current.append(_SPACE.sub(" ", element.text or ""))
        for child in element:
            walk(child)
            current.append(_SPACE.sub(" ", child.tail or ""))
        if tag in _BLOCKS:
            flush()

    walk(root)
    flush()
    return "\n\n".join(paragraphs)


def _plain(detail: dict | None) -> str | None:
    """Text of a feedparser value, converting it from HTML when the feed says it is HTML."""
    if not detail or not detail.get("value"):
        return None
    value = detail["value"]
    if "html" in (detail.get("type") or ""):
        return html_to_text(value) or None
    return value.strip() or None


def _entry_text(entry: feedparser.FeedParserDict) -> str | None:
    """The full content when the feed has it, else the summary."""
    for detail in [*entry.get("content", ()), entry.get("summary_detail")]:
        if text := _plain(detail):
            return text
    return None


def _entry_date(entry: feedparser.FeedParserDict) -> str | None:
    # The date as written keeps the publisher's local day; feedparser's *_parsed is shifted to UTC.
    # feedparser's own parse only when the year it found is the one written
    return (
        normalize_date(entry.get("published"))
        or normalize_date(entry.get("updated"))
        or _checked(entry.get("published"), entry.get("published_parsed"))
        or _checked(entry.get("updated"), entry.get("updated_parsed"))
    )


def _checked(written: str | None, parsed: object) -> str | None:
    found = date_from_struct(parsed)  # type: ignore[arg-type]
    if found and written and WRITTEN_YEAR.search(written) and year_written(written, int(found[:4])):
        return found
    return None


def _why_not_feed(parsed: feedparser.FeedParserDict, text: str) -> str:
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        return f"the XML does not parse ({clean(str(parsed.bozo_exception)) or type(parsed.bozo_exception).__name__})"
    root = _ROOT_TAG.search(text)
    found = f"<{root.group(1)}>" if root else "no root element"
    return f"found {found}, expected <rss>, <feed> or <rdf:RDF>"
