"""Bytes to text: byte-order marks, then UTF-8, then a plausible guess, then cp1252.

The returned text is the exact source text (no newline or Unicode normalisation):
citations index into it by code point.
"""

from __future__ import annotations

import codecs

import charset_normalizer
from charset_normalizer.md import mess_ratio

from chorus.errors import InputError

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE mark.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# C0 controls that never occur in prose (tab, LF, VT, FF, CR and ESC are tolerated).
_CONTROL_BYTES = frozenset(range(0x01, 0x09)) | frozenset(range(0x0E, 0x1B)) | frozenset(range(0x1C, 0x20)) | {0x7F}
_SNIFF_BYTES = 65536
_MAX_CONTROL_SHARE = 0.05  # random binary data has ~11%; real text has ~0
_MAX_CHAOS = 0.2  # charset_normalizer "mess" above this is not a plausible decoding

# Labels that browsers (WHATWG) read as windows-1252 anyway.
_WINDOWS_1252_ALIASES = frozenset({"ascii", "us-ascii", "latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1", "cp819"})

BINARY = "binary file, not text (NUL bytes / control characters)"


def decode_bytes(data: bytes, *, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data``; return (text, encoding name). Raise InputError for no usable text.

    ``declared`` is an encoding the container names (e.g. an HTML <meta charset>);
    it is tried when the bytes are not UTF-8.
    """
    if not data:
        raise InputError("empty file (0 bytes)")
    text, encoding = _decode(data, declared)
    if not text.strip():
        raise InputError("no text: the file holds only whitespace")
    return text, encoding


def _decode(data: bytes, declared: str | None) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding.removesuffix("-sig")), encoding
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {encoding} text despite its byte-order mark ({exc.reason} at byte {exc.start})") from None
    if _looks_binary(data):
        raise InputError(BINARY)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if declared and (found := _try_declared(data, declared)):
        return found
    return _guess(data)


def _looks_binary(data: bytes) -> bool:
    sample = data[:_SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b in _CONTROL_BYTES)
    return controls > _MAX_CONTROL_SHARE * len(sample)


def _try_declared(data: bytes, declared: str) -> tuple[str, str] | None:
    label = declared.strip().lower()
    if label in _WINDOWS_1252_ALIASES:
        label = "cp1252"
    try:
        name = codecs.lookup(label).name
        return data.decode(name), name
    except (LookupError, UnicodeDecodeError):
        return None


def _guess(data: bytes) -> tuple[str, str]:
    """Not UTF-8: take charset_normalizer's guess only when it reads better than cp1252.

    On short Western text the detector often names an exotic code page (cp1125,
    cp1250) that turns curly quotes into Cyrillic; cp1252 wins every tie.
    """
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.chaos <= _MAX_CHAOS:
        if western is None or best.chaos < mess_ratio(western[:_SNIFF_BYTES]) - 0.01:
            return str(best), best.encoding
    if western is not None:
        return western, "cp1252"
    return data.decode("latin-1"), "latin-1"  # every byte is a latin-1 character
