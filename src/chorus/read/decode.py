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
    if (utf16 := _utf16_without_bom(data)) is not None:
        return utf16
    if _looks_binary(data):
        raise InputError(BINARY)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if (damaged := _damaged_utf8(data)) is not None:
        return damaged
    if declared and (found := _try_declared(data, declared)):
        return found
    return _guess(data)


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a byte-order mark: text in Latin script has a NUL in every other
    byte (the high byte), on the odd positions for LE and the even ones for BE;
    binary data has NULs anywhere. Decoded only when it then reads as text."""
    sample = data[: _SNIFF_BYTES & ~1]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    for zeros, other, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.6 * half and other.count(0) == 0:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            controls = sum(1 for c in text[:_SNIFF_BYTES] if ord(c) in _CONTROL_BYTES)
            return (text, encoding) if controls <= _MAX_CONTROL_SHARE * len(text[:_SNIFF_BYTES]) else None
    return None


# Text with at least as many valid multi-byte UTF-8 characters as invalid bytes is UTF-8
# with damage (each bad byte becomes U+FFFD), not a legacy code page: one stray byte must
# not turn every "é" of a UTF-8 article into "Ã©" or "Ă©". In cp1252/latin-1 text a
# valid UTF-8 sequence almost never occurs by chance ("é" alone is an invalid lead byte).
_MAX_DAMAGE = 1.0


def _damaged_utf8(data: bytes) -> tuple[str, str] | None:
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")  # U+FFFD written in the file is not damage
    non_ascii = len(text) - len(text.encode("ascii", "ignore")) - bad
    if non_ascii > 0 and bad <= _MAX_DAMAGE * non_ascii:
        return text, "utf-8 (invalid bytes replaced)"
    return None


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
