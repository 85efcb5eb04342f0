"""HTML article pages: trafilatura finds the article text and its metadata (offline)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import trafilatura

from chorus.errors import InputError
from chorus.models import RawDocument
from chorus.read.common import Origin, clean, host_of, normalize_date
from chorus.read.decode import decode_bytes

NO_ARTICLE = "no article text found in the HTML page"

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_DOCUMENT_TAG = re.compile(r"<(?:html|body)\b", re.I)

# trafilatura runs htmldate itself; extensive search guesses dates from free text
# (copyright lines, "updated" stamps), so keep to the markup and prefer the original date.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


def read_html(data: bytes, origin: Origin) -> Iterator[RawDocument]:
    """One document whose text is the extracted article (citations point into it)."""
    declared = _META_CHARSET.search(data[:4096])
    page, encoding = decode_bytes(data, declared=declared.group(1).decode("ascii") if declared else None)
    if not _DOCUMENT_TAG.search(page):
        # trafilatura drops a fragment with a single block as "dubious HTML"; a saved
        # snippet ("<p>...</p>") is still an article, so give it a document around it.
        page = f"<html><body>{page}</body></html>"
    doc = trafilatura.bare_extraction(
        page,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
        favor_precision=True,
        date_extraction_params=dict(_DATE_PARAMS),
    )
    text = getattr(doc, "text", None) or ""
    if not text.strip():
        raise InputError(NO_ARTICLE)
    url = clean(doc.url)
    yield RawDocument(
        source=origin.source,
        text=text,
        kind="html",
        title=clean(doc.title),
        outlet=clean(doc.sitename) or host_of(url) or origin.stem,
        author=clean(doc.author),
        published=normalize_date(doc.date),
        url=url,
        path=origin.path,
        encoding=encoding,
    )
