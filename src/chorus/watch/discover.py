"""From a fetched feed or sitemap to the article links it lists; from a fetched page
to a RawDocument (through chorus's own HTML reader: trafilatura + htmldate)."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, replace
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from chorus.errors import InputError
from chorus.models import RawDocument
from chorus.read.common import ENTITY_REASON, Origin, clean, date_from_struct, declares_entities, host_of, normalize_date, one_line
from chorus.read.decode import decode_bytes
from chorus.read.html import read_html

MAX_GUNZIPPED = 50_000_000  # a gzipped sitemap may not expand beyond this (sitemaps.org caps at 50 MB)
_SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@dataclass(frozen=True)
class Link:
    """An article page a feed or sitemap points at, with what the listing says of it."""

    url: str
    title: str | None = None
    published: str | None = None  # YYYY-MM-DD
    outlet: str | None = None  # the feed's title / the news sitemap's publication name


@dataclass(frozen=True)
class Listing:
    links: tuple[Link, ...]
    sitemaps: tuple[str, ...] = ()  # a sitemap index's child sitemaps


def normal_url(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without its #fragment; None when it is not one."""
    url = (url or "").strip()
    if not url:
        return None
    absolute = urldefrag(urljoin(base, url) if base else url).url
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def parse_feed(body: bytes, base_url: str) -> Listing:
    """Entry links of an RSS/Atom feed; InputError with a one-line reason if it is none."""
    text, _ = decode_bytes(body)
    if declares_entities(text):
        raise InputError(ENTITY_REASON)
    parsed = feedparser.parse(io.BytesIO(body), resolve_relative_uris=False, sanitize_html=False, response_headers={"content-location": base_url})
    if not parsed.get("version") and not parsed.entries:
        exc = parsed.get("bozo_exception")
        raise InputError(f"not an RSS/Atom feed ({one_line(exc) if exc else 'no feed elements'})")
    outlet = clean(parsed.feed.get("title"))
    links: dict[str, Link] = {}
    for entry in parsed.entries:
        url = normal_url(entry.get("link") or "", base_url)
        if url is None or url in links:
            continue
        published = (
            normalize_date(entry.get("published"))
            or normalize_date(entry.get("updated"))
            or date_from_struct(entry.get("published_parsed"))
            or date_from_struct(entry.get("updated_parsed"))
        )
        links[url] = Link(url, clean(entry.get("title")), published, outlet)
    return Listing(tuple(links.values()))


def parse_sitemap(body: bytes, base_url: str) -> Listing:
    """A sitemap's <url> pages (with news:title / news:publication_date / lastmod when
    given) or a sitemap index's child sitemaps; parsed with defusedxml (no entity
    expansion, no external entities); a gzipped sitemap is expanded first."""
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as gz:
                body = gz.read(MAX_GUNZIPPED + 1)
        except (OSError, EOFError) as exc:
            raise InputError(f"not a gzipped sitemap ({one_line(exc)})") from None
        if len(body) > MAX_GUNZIPPED:
            raise InputError(f"gzipped sitemap expands beyond {MAX_GUNZIPPED:,} bytes")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise InputError("refused: the sitemap has a DOCTYPE or entity declarations") from None
    except SafeET.ParseError as exc:
        raise InputError(f"the sitemap XML does not parse ({one_line(exc)})") from None
    tag = root.tag.rsplit("}", 1)[-1]
    if tag == "sitemapindex":
        children = [normal_url(el.text or "", base_url) for el in root.iter(f"{_SM}loc")] or [
            normal_url(el.text or "", base_url) for el in root.iter("loc")
        ]
        return Listing((), tuple(dict.fromkeys(c for c in children if c)))
    if tag != "urlset":
        raise InputError(f"not a sitemap: found <{tag}>, expected <urlset> or <sitemapindex>")
    links: dict[str, Link] = {}
    for item in [*root.findall(f"{_SM}url"), *root.findall("url")]:
        loc = item.find(f"{_SM}loc")
        loc = loc if loc is not None else item.find("loc")
        url = normal_url(loc.text or "" if loc is not None else "", base_url)
        if url is None or url in links:
            continue
        title = item.findtext(f"{_NEWS}news/{_NEWS}title")
        published = normalize_date(item.findtext(f"{_NEWS}news/{_NEWS}publication_date")) or normalize_date(
            item.findtext(f"{_SM}lastmod") or item.findtext("lastmod")
        )
        outlet = item.findtext(f"{_NEWS}news/{_NEWS}publication/{_NEWS}name")
        links[url] = Link(url, clean(title), published, clean(outlet))
    return Listing(tuple(links.values()))


def page_document(body: bytes, url: str, final_url: str, link: Link | None = None, outlet: str | None = None) -> RawDocument:
    """The article of a fetched page, read by chorus's HTML reader. The source is the
    URL; the outlet is the source's configured ``outlet``, else the page's site name,
    else the feed's title, else the host; the title and date come from the page, else
    from the feed entry. Raises InputError when the page has no article text."""
    doc = next(read_html(body, Origin(url, None, None)))
    page_url = doc.url or final_url
    # read_html falls back to the host of the page's own URL when it names no site
    named_site = doc.outlet if doc.outlet and doc.outlet != host_of(doc.url) else None
    return replace(
        doc,
        url=page_url,
        outlet=outlet or named_site or (link.outlet if link else None) or host_of(final_url) or "unknown",
        title=doc.title or (link.title if link else None),
        published=doc.published or (link.published if link else None),
    )
