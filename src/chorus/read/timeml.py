"""TimeML (TempEval-3 .tml): the <TEXT> with its inline annotation tags dropped, whitespace kept."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from chorus.errors import InputError
from chorus.models import RawDocument
from chorus.read.common import ENTITY_REASON, Origin, clean, declares_entities, normalize_date, one_line
from chorus.read.decode import decode_bytes

# DOCID prefixes of the TimeBank / TempEval corpora (newswire services and papers).
OUTLETS = {
    "AFP": "AFP",
    "AFP_ENG": "AFP",
    "APW": "AP",
    "APW_ENG": "AP",
    "NYT": "The New York Times",
    "NYT_ENG": "The New York Times",
    "XIE": "Xinhua",
    "XIN_ENG": "Xinhua",
    "WSJ": "The Wall Street Journal",
}

_PREFIX = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)*")


def read_timeml(data: bytes, origin: Origin) -> Iterator[RawDocument]:
    text, _ = decode_bytes(data)  # empty / binary / whitespace-only checks
    if declares_entities(text):
        raise InputError(ENTITY_REASON)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"not well-formed XML, so not TimeML ({one_line(exc)})") from None
    body = _first(root, "TEXT")
    if body is None:
        raise InputError("no <TEXT> element: not a TimeML document")
    article = "".join(body.itertext())  # tag text kept, tags dropped, whitespace exact
    if not article.strip():
        raise InputError("the TimeML <TEXT> element holds no text")
    docid = _text_of(root, "DOCID")
    title = _text_of(root, "TITLE")
    yield RawDocument(
        source=origin.source,
        text=article,
        kind="timeml",
        title=title,
        outlet=outlet_for(docid) if docid else origin.stem,
        published=_creation_date(root),
        path=origin.path,
        encoding=(root.getroottree().docinfo.encoding or "utf-8").lower(),
    )


def outlet_for(docid: str) -> str:
    """'AFP_ENG_19970401.0006' -> 'AFP'; an unknown prefix is returned as is."""
    match = _PREFIX.match(docid)
    prefix = match.group(0) if match else docid
    return OUTLETS.get(prefix.upper(), prefix)


def _creation_date(root: etree._Element) -> str | None:
    """The document creation time: the TIMEX3 inside <DCT>, else one marked CREATION_TIME."""
    dct = _first(root, "DCT")
    candidates = list(dct.iter("{*}TIMEX3")) if dct is not None else []
    candidates += [t for t in root.iter("{*}TIMEX3") if t.get("functionInDocument") == "CREATION_TIME"]
    for timex in candidates:
        if found := normalize_date(timex.get("value")):
            return found
    return None


def _first(root: etree._Element, name: str) -> etree._Element | None:
    return next(root.iter("{*}" + name), None)


def _text_of(root: etree._Element, name: str) -> str | None:
    element = _first(root, name)
    return clean("".join(element.itertext())) if element is not None else None
