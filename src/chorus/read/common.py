"""Helpers shared by the readers: where a document came from, dates, hosts, limits."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

MIN_YEAR, MAX_YEAR = 1900, 2100  # outside this a "date" is a typo or a placeholder

ENTITY_REASON = (
    "refused: the XML declares <!ENTITY> definitions in its DOCTYPE, which can expand "
    "without bound (a 'billion laughs' attack); remove the DOCTYPE"
)

# XML declaration / comments, then a DOCTYPE with an internal subset [ ... ].
_DOCTYPE = re.compile(r"\A\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*<!DOCTYPE\b[^\[>]*(\[.*?\]\s*)?>", re.S)


@dataclass(frozen=True)
class Origin:
    """Where the bytes came from."""

    source: str  # as the user named it, e.g. "corpus/a.txt" or "<stdin>"
    path: str | None  # absolute path; None for stdin
    stem: str | None  # file name without its type suffixes: the outlet of last resort


def one_line(message: object) -> str:
    """Collapse a (library) message onto one line."""
    return " ".join(str(message).split())


def over_limit(max_bytes: int, *, size: int | None = None, what: str = "file") -> str:
    amount = f"is {size:,} bytes, over" if size is not None else "is over"
    return f"{what} {amount} the {max_bytes:,}-byte limit (raise max_bytes in chorus.toml or CHORUS_MAX_BYTES)"


def normalize_date(value: str | None) -> str | None:
    """ISO 8601 or RFC 2822 date/datetime -> YYYY-MM-DD as written (no time-zone shift)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed: date | None = None
    for parse in (date.fromisoformat, datetime.fromisoformat, parsedate_to_datetime):
        try:
            parsed = parse(value)
            break
        except (ValueError, TypeError, IndexError):
            continue
    if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR or not year_written(value, parsed.year):
        return None
    return f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"


WRITTEN_YEAR = re.compile(r"(?<![\d+:-])\d{4}(?!\d)")  # not a "+0000" zone or a "-0001" sign


def year_written(value: str, year: int) -> bool:
    """False when the text writes a four-digit year and it is not ``year``: RFC 2822
    parsing reads "0000" as 2000 (two-digit-year rules), and lenient feed parsers turn
    "-86400" into 2086; such a date is made up, not read."""
    written = WRITTEN_YEAR.findall(value)
    return not written or f"{year:04d}" in written


def date_from_struct(value: time.struct_time | None) -> str | None:
    if value is None or not MIN_YEAR <= value.tm_year <= MAX_YEAR:
        return None
    return time.strftime("%Y-%m-%d", value)


def host_of(url: str | None) -> str | None:
    """'https://www.example.com/x' -> 'example.com'."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def clean(value: object) -> str | None:
    """A metadata string, stripped; None when absent or blank."""
    if not isinstance(value, str):
        return None
    return value.strip() or None


def declares_entities(text: str) -> bool:
    """True when the XML prolog's DOCTYPE defines entities (checked before any parser sees it)."""
    match = _DOCTYPE.match(text)
    return bool(match and match.group(1) and "<!ENTITY" in match.group(1))
