"""Property-based fuzzing (hypothesis) of every reader and of the cleaner's offset map.

Readers: whatever the bytes, a reader yields RawDocument or Rejected items, or raises
InputError (which read_inputs turns into one Rejected); never any other exception, a
reason is always one non-empty line, and every text is valid Unicode that the store
and a terminal can write (no lone surrogates).

Cleaner: for any text, each run of the OffsetMap is the source text character for
character (whitespace made plain spaces); a cleaned span nothing was removed from maps
to a source span with the same words; mapping one character and back is exact; every
Removed span quotes the source verbatim.

Examples per test are bounded (see conftest.py: HYPOTHESIS_PROFILE=ci is derandomized).
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chorus.clean import PARAGRAPH_SEP, clean
from chorus.errors import InputError
from chorus.models import Article, RawDocument, Rejected
from chorus.read import READERS
from chorus.read.common import Origin, normalize_date
from chorus.read.decode import decode_bytes

ORIGIN = Origin("fuzz.in", "/tmp/fuzz.in", "fuzz")
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text with what trips parsers: markup and JSON punctuation, line and paragraph
# separators, controls, NUL, bidi and zero-width marks, emoji, RTL letters, surrogates.
SPICE = list("<>&;\"'{}[]:,\\/=!?-#\n\r\t \x00\x0b\x0c\x85\u2028\u2029\u200b\u200e\u202e\u2066\ufeff\ufffd") + [
    "é", "ß", "ع", "ש", "中", "🎉", "👨‍👩‍👧", "\ud800", "\udfff", "&lt;", "&amp;", "&#0;", "&#xD800;", "]]>", "<!--", "<![CDATA[",
]
texts = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(SPICE)), max_size=40).map("".join)
words = st.lists(st.sampled_from(["Harbour", "works", "in", "Vessby", "said", "the", "council", ".", ",", "“", "”", "Monday", "- ", "•"]), max_size=30).map(" ".join)
any_text = st.one_of(texts, words)


def encodings(text_strategy):
    """Text as bytes in an encoding chorus decodes (and some it should refuse)."""
    codecs = st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-16", "cp1252", "latin-1", "utf-32"])
    return st.tuples(text_strategy, codecs).map(lambda tc: tc[0].encode(tc[1], "surrogatepass" if "utf" in tc[1] else "replace"))


def check_items(reader: str, data: bytes) -> list:
    """Run one reader; assert the contract; return its items."""
    try:
        items = list(READERS[reader](data, ORIGIN))
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return []
    for item in items:
        assert isinstance(item, RawDocument | Rejected), item
        if isinstance(item, Rejected):
            assert item.reason and "\n" not in item.reason
        else:
            assert item.text.strip()
            for value in (item.text, item.title, item.outlet, item.author, item.url, item.published):
                if value is not None:
                    value.encode("utf-8")  # no lone surrogates
            if item.published is not None:
                assert normalize_date(item.published) == item.published
    return items


@FUZZ
@given(st.one_of(st.binary(max_size=400), encodings(any_text)))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_readers_take_any_bytes(reader: str, data: bytes) -> None:
    check_items(reader, data)


@FUZZ
@given(encodings(any_text))
def test_decode_returns_valid_text_or_a_reason(data: bytes) -> None:
    try:
        text, encoding = decode_bytes(data)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert text.strip() and encoding
    text.encode("utf-8", "surrogatepass")  # a str; lone surrogates only come from JSON escapes


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), any_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)), max_leaves=12)
records = st.fixed_dictionaries(
    {},
    optional={name: st.one_of(any_text, json_values) for name in ("url", "title", "text", "published", "outlet", "author")},
)


@FUZZ
@given(st.lists(st.one_of(records, json_values), max_size=5), st.booleans())
def test_json_readers_take_any_records(values: list, ascii_only: bool) -> None:
    dumped = [json.dumps(v, ensure_ascii=ascii_only) for v in values]
    check_items("json", ("[" + ",".join(dumped) + "]").encode("utf-8", "surrogatepass"))
    items = check_items("jsonl", "\n".join(dumped).encode("utf-8", "surrogatepass"))
    if ascii_only and dumped:  # JSON Lines: one item per non-blank line, good or bad
        assert len(items) == sum(1 for d in dumped if d.strip())


def _feed(kind: str, title: str, body: str, date: str, raw: bool) -> str:
    body = body if raw else escape(body)
    if kind == "rss":
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(title)}</title><item><title>{escape(title)}</title><pubDate>{escape(date)}</pubDate><description>{body}</description></item></channel></rss>'
    return f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}</title><entry><title>{escape(title)}</title><updated>{escape(date)}</updated><content type="html">{body}</content></entry></feed>'


@FUZZ
@given(st.sampled_from(["rss", "atom"]), any_text, any_text, st.one_of(any_text, st.sampled_from(["Mon, 01 Jan 0000 00:00:00 +0000", "9999-12-31", "-86400", "2024-08-26"])), st.booleans())
def test_feed_reader_takes_any_entry(kind: str, title: str, body: str, date: str, raw: bool) -> None:
    check_items("feed", _feed(kind, title, body, date, raw).encode("utf-8", "surrogatepass"))


tags = st.sampled_from(["p", "div", "b", "script", "br", "li", "ul", "article", "h1", "title", "meta", "!--", "table", "td"])


@st.composite
def html_pages(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        tag = draw(tags)
        parts.append(draw(st.sampled_from([f"<{tag}>", f"</{tag}>", f'<{tag} class="{escape(draw(texts))}">', draw(any_text)])))
    return "".join(parts)


@FUZZ
@given(html_pages(), st.booleans())
def test_html_reader_takes_any_page(page: str, wrap: bool) -> None:
    if wrap:
        page = f"<html><head><title>t</title></head><body>{page}</body></html>"
    check_items("html", page.encode("utf-8", "surrogatepass"))


@FUZZ
@given(html_pages(), any_text, st.booleans())
def test_timeml_reader_takes_any_text(inner: str, dct: str, escaped: bool) -> None:
    body = escape(inner) if escaped else inner
    doc = f'<?xml version="1.0"?><TimeML><DOCID>{escape(dct)}</DOCID><DCT><TIMEX3 value="{escape(dct)}">x</TIMEX3></DCT><TEXT>{body}</TEXT></TimeML>'
    check_items("timeml", doc.encode("utf-8", "surrogatepass"))


# -- the cleaner's offset map --------------------------------------------------------


def plain(text: str) -> str:
    return "".join(" " if c.isspace() else c for c in text)


paragraph_texts = st.lists(
    st.one_of(words, texts, st.sampled_from(["\n", "\n\n", "\r\n", "\r", "\u2028", "  ", "By Mara Quill", "- a bullet", "Key points", "Photo: REUTERS/Jim Bourg", "© 2024 Gull Bay Gazette"])),
    max_size=30,
).map("".join)


@FUZZ
@given(paragraph_texts, st.one_of(st.none(), words), st.data())
def test_offset_map_is_exact_for_any_text(source: str, title: str | None, data) -> None:
    result = clean(RawDocument(source="fuzz.txt", text=source, kind="text", title=title, outlet="o"))
    if isinstance(result, Rejected):
        assert result.reason and "\n" not in result.reason
        return
    article: Article = result
    # the text citations index: the input itself, but for NUL characters (U+FFFD, same offsets)
    assert article.source_text == source.replace("\x00", "\ufffd")
    source = article.source_text
    pieces = article.offsets.pieces
    covered = 0
    for cs, os_, n in pieces:
        assert n > 0 and cs >= covered and 0 <= os_ and os_ + n <= len(source)
        assert article.text[cs : cs + n] == plain(source[os_ : os_ + n])  # the run is the source
        gap = article.text[covered:cs]
        assert gap in ("", PARAGRAPH_SEP), gap  # only paragraph separators are inserted
        covered = cs + n
    assert covered == len(article.text)
    for r in article.removed:
        assert source[r.start : r.end] == r.text
    # one character there and back
    for cs, os_, n in pieces:
        k = data.draw(st.integers(0, n - 1))
        assert article.offsets.to_original(cs + k, cs + k + 1) == (os_ + k, os_ + k + 1)
    # any span: its mapped characters, in order, inside the source span it maps to
    a = data.draw(st.integers(0, len(article.text) - 1))
    b = data.draw(st.integers(a + 1, len(article.text)))
    try:
        o_start, o_end = article.offsets.to_original(a, b)
    except ValueError:  # the span holds only an inserted separator
        assert article.text[a:b].strip() == "" and set(article.text[a:b]) <= set(PARAGRAPH_SEP)
        return
    assert 0 <= o_start < o_end <= len(source)
    if article.offsets.is_contiguous(a, b):
        assert " ".join(article.text[a:b].split()) == " ".join(source[o_start:o_end].split())
    # with or without removals inside, the cleaned characters come from that source span
    assert {c for c in article.text[a:b] if not c.isspace()} <= set(source[o_start:o_end])
