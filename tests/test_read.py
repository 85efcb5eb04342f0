"""chorus.read: every input kind, and every bad input turned into a Rejected while the batch goes on.

All fixtures are small invented texts written into tmp_path by the tests themselves.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import string
import sys
import time
from pathlib import Path

import pytest

from chorus.errors import InputError
from chorus.models import RawDocument, Rejected
from chorus.read import read_inputs
from chorus.read.decode import decode_bytes
from chorus.read.feeds import html_to_text
from chorus.read.timeml import outlet_for

MB = 1_000_000
GOOD_TEXT = "Gull Bay council approved a new ferry timetable on Monday.\nThe change starts in May.\n"


def read(*paths: object, max_bytes: int = MB, stdin: bytes | None = None) -> list[RawDocument | Rejected]:
    stream = io.BytesIO(stdin) if stdin is not None else None
    return list(read_inputs([str(p) for p in paths], max_bytes=max_bytes, stdin=stream))


def docs(items: list) -> list[RawDocument]:
    return [i for i in items if isinstance(i, RawDocument)]


def rejected(items: list) -> dict[str, str]:
    return {i.source: i.reason for i in items if isinstance(i, Rejected)}


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A valid text file to put in every batch: it must still be read."""
    path = tmp_path / "good_story.txt"
    path.write_text(GOOD_TEXT, encoding="utf-8")
    return path


def assert_good_read(items: list, good: Path) -> None:
    assert [d.source for d in docs(items)] == [str(good)]
    assert docs(items)[0].text == GOOD_TEXT


# -- plain text and decoding ---------------------------------------------------------


def test_text_file_is_read_verbatim_with_stem_as_outlet(tmp_path: Path) -> None:
    path = tmp_path / "reuters_story.txt"
    path.write_bytes("Headline here\r\n\r\nFirst paragraph \u2014 with a dash.\r\n".encode())
    [doc] = read(path)
    assert doc == RawDocument(
        source=str(path),
        text="Headline here\r\n\r\nFirst paragraph \u2014 with a dash.\r\n",  # \r\n kept: offsets index into it
        kind="text",
        title=None,
        outlet="reuters_story",
        path=str(path.resolve()),
        encoding="utf-8",
    )


def test_empty_file_is_rejected_and_batch_continues(tmp_path: Path, good: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    items = read(empty, good)
    assert rejected(items) == {str(empty): "empty file (0 bytes)"}
    assert_good_read(items, good)


def test_whitespace_only_file_is_rejected(tmp_path: Path, good: Path) -> None:
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"  \n\t\r\n  ")
    items = read(blank, good)
    assert rejected(items) == {str(blank): "no text: the file holds only whitespace"}
    assert_good_read(items, good)


def test_binary_file_is_rejected(tmp_path: Path, good: Path) -> None:
    png = tmp_path / "photo.txt"  # misnamed image: the extension says text, the bytes do not
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(64))
    items = read(png, good)
    assert rejected(items) == {str(png): "binary file, not text (NUL bytes / control characters)"}
    assert_good_read(items, good)


def test_control_characters_without_nul_count_as_binary() -> None:
    rng = random.Random(7)
    noise = bytes(rng.choice(range(1, 32)) for _ in range(200)) + b"some words"
    with pytest.raises(InputError, match="binary file"):
        decode_bytes(noise)


def test_cp1252_curly_quotes_and_accents_decode(tmp_path: Path, good: Path) -> None:
    text = "\u201cThe caf\u00e9 stays open,\u201d she said \u2014 it\u2019s the owner\u2019s choice.\r\n"
    path = tmp_path / "cafe.txt"
    path.write_bytes(text.encode("cp1252"))
    items = read(path, good)
    doc = docs(items)[0]
    assert doc.text == text
    assert doc.encoding == "cp1252"
    assert_good_read(items[1:], good)


def test_latin1_decodes(tmp_path: Path) -> None:
    text = "Le gar\u00e7on a pay\u00e9 12 \u00a3 pour la cr\u00e8me br\u00fbl\u00e9e \u00e0 No\u00ebl.\n"
    path = tmp_path / "latin.txt"
    path.write_bytes(text.encode("latin-1"))
    [doc] = read(path)
    assert doc.text == text


def test_short_cp1252_text_is_not_taken_for_a_cyrillic_code_page() -> None:
    # charset_normalizer alone guesses cp1125 here and turns the quotes into Cyrillic letters.
    assert decode_bytes("Caf\u00e9 \u201copen\u201d".encode("cp1252")) == ("Caf\u00e9 \u201copen\u201d", "cp1252")


def test_non_western_text_uses_the_detected_encoding() -> None:
    text = "\u041f\u0440\u0435\u0437\u0438\u0434\u0435\u043d\u0442 \u0437\u0430\u044f\u0432\u0438\u043b \u0432\u043e \u0432\u0442\u043e\u0440\u043d\u0438\u043a, \u0447\u0442\u043e \u043f\u0435\u0440\u0435\u0433\u043e\u0432\u043e\u0440\u044b \u043f\u0440\u043e\u0434\u043e\u043b\u0436\u0430\u0442\u0441\u044f."
    decoded, encoding = decode_bytes(text.encode("cp1251"))
    assert decoded == text
    assert encoding == "cp1251"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_byte_order_mark_decodes_and_is_dropped(tmp_path: Path, codec: str) -> None:
    text = "Caf\u00e9 \u201cQuote\u201d \u2014 \u65e5\u672c\r\nSecond line\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data  # the -be codec writes no BOM itself
    path = tmp_path / "bom.txt"
    path.write_bytes(data)
    [doc] = read(path)
    assert doc.text == text
    assert not doc.text.startswith("\ufeff")


# -- paths: missing, globs, directories, types, size, stdin --------------------------


def test_nonexistent_path_is_rejected(tmp_path: Path, good: Path) -> None:
    missing = tmp_path / "nope.txt"
    items = read(missing, good)
    assert rejected(items) == {str(missing): "no such file or directory"}
    assert_good_read(items, good)


def test_glob_reads_matches_in_sorted_order_and_reports_no_match(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "c.json"):
        (tmp_path / name).write_text(f"Story {name} about the harbour.", encoding="utf-8")
    items = read(tmp_path / "*.txt", tmp_path / "*.md")
    assert [d.source for d in docs(items)] == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]
    assert rejected(items) == {str(tmp_path / "*.md"): "no file matches this pattern"}


def test_directory_walk_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for rel in ("b.txt", "a.txt", "sub/c.txt", "sub/deeper/d.txt", ".hidden.txt", ".git/config.txt"):
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(f"Text of {rel} about the ferry.", encoding="utf-8")
    items = read(str(corpus) + "/")
    assert [d.source for d in docs(items)] == [
        f"{corpus}/a.txt",
        f"{corpus}/b.txt",
        f"{corpus}/sub/c.txt",
        f"{corpus}/sub/deeper/d.txt",
    ]
    assert not rejected(items)


def test_unknown_extension_is_rejected(tmp_path: Path, good: Path) -> None:
    pdf = tmp_path / "report.PDF"
    pdf.write_bytes(b"%PDF-1.7 not really")
    items = read(pdf, good)
    assert rejected(items) == {
        str(pdf): "unknown file type '.pdf' (chorus reads .txt, .html, .htm, .json, .jsonl, .rss, .atom, .xml, .tml, .warc, .warc.gz)"
    }
    assert_good_read(items, good)


def test_file_over_size_limit_is_rejected(tmp_path: Path, good: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"word " * 1000)
    items = read(big, good, max_bytes=4096)
    assert rejected(items) == {
        str(big): "file is 5,000 bytes, over the 4,096-byte limit (raise max_bytes in chorus.toml or CHORUS_MAX_BYTES)"
    }
    assert_good_read(items, good)


def test_extensionless_file_is_text_unless_it_is_markup(tmp_path: Path) -> None:
    (tmp_path / "NOTES").write_text("A plain note about the bridge works.", encoding="utf-8")
    (tmp_path / "PAGE").write_text(HTML_ARTICLE, encoding="utf-8")
    notes, page = read(tmp_path / "NOTES", tmp_path / "PAGE")
    assert (notes.kind, notes.text) == ("text", "A plain note about the bridge works.")
    assert page.kind == "html" and page.title == "Harbour bridge reopens after repairs"


def test_stdin_is_sniffed(tmp_path: Path) -> None:
    [text] = read("-", stdin=b"Just a short wire story from stdin.\n")
    assert (text.source, text.kind, text.text, text.outlet) == ("<stdin>", "text", "Just a short wire story from stdin.\n", None)
    [page] = read("-", stdin=HTML_ARTICLE.encode())
    assert page.kind == "html" and "eight months of repairs" in page.text
    lines = b'{"text": "First record."}\n{"text": "Second record."}\n'
    assert [d.text for d in read("-", stdin=lines)] == ["First record.", "Second record."]
    entries = read("-", stdin=RSS_FEED.encode())
    assert [type(i).__name__ for i in entries] == ["RawDocument", "Rejected"]


def test_stdin_defaults_to_sys_stdin_and_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Piped text about the tide.")))
    items = list(read_inputs(["-", "-"], max_bytes=MB))
    assert docs(items)[0].text == "Piped text about the tide."
    assert rejected(items) == {"<stdin>": "stdin was already read ('-' given more than once)"}


def test_stdin_over_size_limit_is_rejected() -> None:
    items = read("-", stdin=b"x" * 100, max_bytes=50)
    assert rejected(items) == {
        "<stdin>": "input is over the 50-byte limit (raise max_bytes in chorus.toml or CHORUS_MAX_BYTES)"
    }


# -- HTML -----------------------------------------------------------------------------

HTML_ARTICLE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Harbour bridge reopens after repairs | Gull Bay Gazette</title>
<meta property="og:site_name" content="Gull Bay Gazette">
<meta property="og:title" content="Harbour bridge reopens after repairs">
<meta property="og:url" content="https://www.gullbaygazette.example/news/bridge-reopens">
<meta name="author" content="Mara Quill">
<meta property="article:published_time" content="2024-03-14T08:30:00+01:00">
<script>window.dataLayer = [{"page": "article"}];</script>
</head>
<body>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience. <button>Accept all cookies</button></div>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main>
<article>
<h1>Harbour bridge reopens after repairs</h1>
<p>The old harbour bridge in Gull Bay reopened to traffic on Thursday after eight months of repairs to its rusted steel frame.</p>
<p>Town engineer Oskar Lind said the work had cost 4.2 million crowns, slightly less than planned, and would keep the bridge safe for another forty years.</p>
<p>"We were lucky with the weather this winter," Lind said, adding that the final coat of paint went on only last week.</p>
<p>Ferry services that ran during the closure will stop on Sunday, the harbour office said.</p>
</article>
</main>
<aside><h2>Most read</h2><ul><li><a href="/a">Storm warning for the coast</a></li><li><a href="/b">New school opens</a></li></ul></aside>
<footer><p>Copyright 2024 Gull Bay Gazette. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body>
</html>
"""


def test_html_article_yields_paragraphs_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "bridge.html"
    path.write_text(HTML_ARTICLE, encoding="utf-8")
    [doc] = read(path)
    assert doc.kind == "html"
    assert doc.title == "Harbour bridge reopens after repairs"
    assert doc.outlet == "Gull Bay Gazette"
    assert doc.published == "2024-03-14"
    assert doc.author == "Mara Quill"
    assert doc.url == "https://www.gullbaygazette.example/news/bridge-reopens"
    paragraphs = [p for p in doc.text.split("\n") if p.strip()]
    assert paragraphs[-4:] == [
        "The old harbour bridge in Gull Bay reopened to traffic on Thursday after eight months of repairs to its rusted steel frame.",
        "Town engineer Oskar Lind said the work had cost 4.2 million crowns, slightly less than planned, and would keep the bridge safe for another forty years.",
        '"We were lucky with the weather this winter," Lind said, adding that the final coat of paint went on only last week.',
        "Ferry services that ran during the closure will stop on Sunday, the harbour office said.",
    ]
    for boilerplate in ("cookies", "Home", "Most read", "Copyright", "Privacy", "dataLayer"):
        assert boilerplate not in doc.text


def test_html_outlet_falls_back_to_url_host_then_file_stem(tmp_path: Path) -> None:
    body = "".join(f"<p>Paragraph {i} of a story about the new ferry timetable in the bay area, told at length.</p>" for i in range(4))
    with_url = tmp_path / "with_url.html"
    with_url.write_text(f'<html><head><link rel="canonical" href="https://www.tidewatch.example/a/1"></head><body><article>{body}</article></body></html>')
    bare = tmp_path / "bare_page.htm"
    bare.write_text(f"<html><body><article>{body}</article></body></html>")
    first, second = read(with_url, bare)
    assert (first.outlet, first.url) == ("tidewatch.example", "https://www.tidewatch.example/a/1")
    assert (second.outlet, second.published, second.title) == ("bare_page", None, None)


def test_html_declared_charset_is_honoured(tmp_path: Path) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body><article>'
        "<p>\u041f\u0440\u0435\u0437\u0438\u0434\u0435\u043d\u0442 \u0437\u0430\u044f\u0432\u0438\u043b \u043e \u043d\u043e\u0432\u043e\u043c \u043f\u0430\u0440\u043e\u043c\u0435 \u0432 \u0437\u0430\u043b\u0438\u0432\u0435 \u0432\u043e \u0432\u0442\u043e\u0440\u043d\u0438\u043a.</p>"
        "</article></body></html>"
    )
    path = tmp_path / "ru.html"
    path.write_bytes(page.encode("cp1251"))
    [doc] = read(path)
    assert "\u041f\u0440\u0435\u0437\u0438\u0434\u0435\u043d\u0442" in doc.text
    assert doc.encoding == "cp1251"


def test_html_fragment_with_one_paragraph_is_read(tmp_path: Path) -> None:
    # trafilatura alone discards a single-block fragment as "dubious HTML".
    path = tmp_path / "snippet.html"
    path.write_text("<p>The council voted on Monday to close the old library on Elm Street, citing repair costs.</p>")
    [doc] = read(path)
    assert doc.text == "The council voted on Monday to close the old library on Elm Street, citing repair costs."


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Nothing</title></head><body></body></html>",
        '<html><head><title>Home | Site</title><script>var s = "long script text that is not an article at all, no";</script></head>'
        '<body><nav><ul><li><a href="/">Home</a></li><li><a href="/about">About the newsroom team</a></li>'
        '<li><a href="/contact">Contact us today</a></li></ul></nav><footer><a href="/privacy">Privacy policy</a></footer></body></html>',
    ],
    ids=["empty-body", "nav-only"],
)
def test_html_without_article_text_is_rejected(tmp_path: Path, good: Path, page: str) -> None:
    path = tmp_path / "menu.html"
    path.write_text(page, encoding="utf-8")
    items = read(path, good)
    assert rejected(items) == {str(path): "no article text found in the HTML page"}
    assert_good_read(items, good)


# -- JSON and JSON Lines --------------------------------------------------------------


def test_jsonl_malformed_line_reports_line_number_and_keeps_the_rest(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "wire.jsonl"
    lines = [
        json.dumps({"text": "Record one.", "title": "One", "outlet": "Tide Wire"}),
        "",
        '{"text": "broken" "title": 3}',
        json.dumps({"text": "Record four.", "url": "https://www.tidewatch.example/x"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = read(path, good)
    assert rejected(items) == {f"{path}:3": "line 3: not valid JSON (Expecting ',' delimiter at column 19)"}
    records = [d for d in docs(items) if d.kind == "json"]
    assert [(d.source, d.text, d.title, d.outlet) for d in records] == [
        (f"{path}:1", "Record one.", "One", "Tide Wire"),
        (f"{path}:4", "Record four.", None, "tidewatch.example"),
    ]
    assert_good_read([d for d in docs(items) if d.kind == "text"], good)


def test_json_record_with_wrong_field_types_is_rejected_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    records = [
        {"text": "A fine record about the pier.", "title": "Pier", "published": "2024-08-26T10:00:00Z"},
        {"text": "Has a numeric title.", "title": 5},
        {"text": []},
        {"title": "No text at all"},
        {"text": "   "},
        "just a string",
    ]
    path.write_text(json.dumps(records), encoding="utf-8")
    items = read(path)
    assert rejected(items) == {
        f"{path}[1]": "item 1: field 'title' must be a string, not a number",
        f"{path}[2]": "item 2: field 'text' must be a string, not an array",
        f"{path}[3]": "item 3: no 'text' field (each record needs the article text in \"text\")",
        f"{path}[4]": "item 4: the 'text' field is empty",
        f"{path}[5]": "item 5: expected a JSON object, found a string",
    }
    [doc] = docs(items)
    assert (doc.source, doc.title, doc.published, doc.outlet) == (f"{path}[0]", "Pier", "2024-08-26", "batch")


def test_jsonl_wrong_type_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "wire.ndjson"
    path.write_text('{"text": "ok"}\n{"text": "x", "author": {"name": "A"}}\n', encoding="utf-8")
    items = read(path)
    assert rejected(items) == {f"{path}:2": "line 2: field 'author' must be a string, not an object"}
    assert [d.text for d in docs(items)] == ["ok"]


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2024-08-26", "2024-08-26"),
        ("2024-08-26T23:30:00-05:00", "2024-08-26"),  # the day as written, not shifted to UTC
        ("Mon, 26 Aug 2024 10:00:00 +0000", "2024-08-26"),
        ("last Tuesday", None),
        ("0024-08-26", None),
        ("2999-01-01", None),
    ],
)
def test_json_published_is_normalised_and_bad_dates_are_dropped(tmp_path: Path, published: str, expected: str | None) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"text": "Body of the story.", "published": published}), encoding="utf-8")
    [doc] = read(path)
    assert (doc.source, doc.published) == (str(path), expected)


def test_invalid_json_file_is_rejected(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"text": "unterminated', encoding="utf-8")
    items = read(path, good)
    assert rejected(items) == {str(path): "not valid JSON (Unterminated string starting at at line 1 column 10)"}
    assert_good_read(items, good)


def test_gzipped_jsonl_is_read(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "Zipped one."}\n{"text": "Zipped two."}\n'))
    items = read(path)
    assert [(d.source, d.text, d.outlet) for d in items] == [
        (f"{path}:1", "Zipped one.", "dump"),
        (f"{path}:2", "Zipped two.", "dump"),
    ]


def test_truncated_gzip_keeps_records_read_and_rejects_the_rest(tmp_path: Path, good: Path) -> None:
    noise = "".join(random.Random(3).choices(string.ascii_letters + " ", k=40_000))  # incompressible
    payload = ('{"text": "First."}\n{"text": "Second."}\n' + json.dumps({"text": noise}) + "\n").encode()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(payload)[:15_000])
    items = read(path, good)
    assert [d.text for d in docs(items)][:2] == ["First.", "Second."]
    assert rejected(items) == {
        f"{path}:3": "line 3: the gzip data is truncated (the file ends before the end-of-stream marker); "
        "the lines before it were read"
    }
    assert_good_read(docs(items)[2:], good)


def test_gzipped_json_that_is_not_gzip_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "fake.json.gz"
    path.write_bytes(b'{"text": "not compressed"}')
    [item] = read(path)
    assert isinstance(item, Rejected)
    assert item.reason.startswith("not a readable gzip file (")


def test_gzip_bomb_stops_at_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"text": "ok"}\n' + b" " * 5_000_000))
    items = read(path, max_bytes=100_000)
    assert [d.text for d in docs(items)] == ["ok"]
    assert rejected(items) == {
        f"{path}:2": "line 2: decompressed data is over the 100,000-byte limit "
        "(raise max_bytes in chorus.toml or CHORUS_MAX_BYTES); the lines before it were read"
    }


# -- feeds ----------------------------------------------------------------------------

RSS_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>Gull Bay Gazette</title>
<link>https://www.gullbaygazette.example/</link>
<item>
<title>Bridge reopens</title>
<link>https://www.gullbaygazette.example/news/bridge</link>
<pubDate>Mon, 26 Aug 2024 23:30:00 -0500</pubDate>
<dc:creator>Mara Quill</dc:creator>
<content:encoded><![CDATA[<p>The bridge reopened on <b>Thursday</b>.</p><p>It cost 4.2 million.<br>Ferries stop Sunday.</p><script>alert(1)</script>]]></content:encoded>
</item>
<item>
<title>Photo gallery</title>
<link>https://www.gullbaygazette.example/gallery</link>
</item>
</channel>
</rss>
"""


def test_feed_entries_become_documents_and_empty_entries_are_rejected(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "gazette.rss"
    path.write_text(RSS_FEED, encoding="utf-8")
    items = read(path, good)
    assert rejected(items) == {f"{path} entry 2": "feed entry has no text"}
    entry = docs(items)[0]
    assert entry.source == f"{path} entry 1"
    assert entry.text == "The bridge reopened on Thursday.\n\nIt cost 4.2 million.\nFerries stop Sunday."
    assert (entry.kind, entry.title, entry.outlet, entry.author) == ("feed", "Bridge reopens", "Gull Bay Gazette", "Mara Quill")
    assert entry.url == "https://www.gullbaygazette.example/news/bridge"
    assert entry.published == "2024-08-26"  # the publisher's day; feedparser's UTC struct says the 27th
    assert_good_read(docs(items)[1:], good)


def test_atom_feed_summary_is_used_when_there_is_no_content(tmp_path: Path) -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Tide Watch</title>
  <link href="https://tidewatch.example/"/>
  <entry>
    <title>Low tide record</title>
    <link href="https://tidewatch.example/low"/>
    <updated>2023-11-02T06:00:00Z</updated>
    <summary type="html">&lt;p&gt;The lowest tide in a decade.&lt;/p&gt;&lt;p&gt;Boats sat on the mud.&lt;/p&gt;</summary>
  </entry>
</feed>
"""
    path = tmp_path / "tides.atom"
    path.write_text(atom, encoding="utf-8")
    [doc] = read(path)
    assert (doc.text, doc.published, doc.outlet, doc.url) == (
        "The lowest tide in a decade.\n\nBoats sat on the mud.",
        "2023-11-02",
        "Tide Watch",
        "https://tidewatch.example/low",
    )


def test_xml_that_is_not_a_feed_is_rejected(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "catalog.xml"
    path.write_text("<?xml version='1.0'?><catalog><book id='1'><title>Tides</title></book></catalog>")
    items = read(path, good)
    assert rejected(items) == {str(path): "not an RSS/Atom feed: found <catalog>, expected <rss>, <feed> or <rdf:RDF>"}
    assert_good_read(items, good)


def test_html_to_text_separates_blocks_and_drops_scripts() -> None:
    fragment = "<div>Intro <i>line</i><ul><li>one</li><li>two</li></ul></div><script>x()</script>tail &amp; end"
    assert html_to_text(fragment) == "Intro line\n\none\n\ntwo\n\ntail & end"


# -- TimeML ---------------------------------------------------------------------------

TIMEML = """<?xml version="1.0" ?>
<TimeML xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<DOCID>APW19990312.0251</DOCID>
<DCT><TIMEX3 tid="t0" type="DATE" value="1999-03-12" functionInDocument="CREATION_TIME">March 12, 1999</TIMEX3></DCT>
<TITLE>Ferry line adds winter crossings</TITLE>
<TEXT>
The ferry line <EVENT eid="e1" class="OCCURRENCE">added</EVENT>  two crossings <TIMEX3 tid="t1" type="DATE" value="1999-03-12">Friday</TIMEX3>,
<SIGNAL sid="s1">after</SIGNAL> a   month of complaints &amp; delays.
</TEXT>
</TimeML>
"""


def test_timeml_text_has_inline_tags_stripped_and_dct_date(tmp_path: Path) -> None:
    path = tmp_path / "APW19990312.0251.tml"
    path.write_text(TIMEML, encoding="utf-8")
    [doc] = read(path)
    assert doc.text == "\nThe ferry line added  two crossings Friday,\nafter a   month of complaints & delays.\n"
    assert (doc.kind, doc.title, doc.published, doc.outlet) == ("timeml", "Ferry line adds winter crossings", "1999-03-12", "AP")


def test_timeml_saved_as_xml_is_read_as_timeml(tmp_path: Path) -> None:
    path = tmp_path / "APW19990312.0251.xml"
    path.write_text(TIMEML, encoding="utf-8")
    [doc] = read(path)
    assert (doc.kind, doc.published) == ("timeml", "1999-03-12")


@pytest.mark.parametrize(
    ("docid", "outlet"),
    [("AFP_ENG_19970401.0006", "AFP"), ("APW19980227.0489", "AP"), ("NYT19980206.0460", "The New York Times"),
     ("XIE19980808.0031", "Xinhua"), ("CNN19980126.1600", "CNN")],
)
def test_timeml_outlet_from_docid_prefix(docid: str, outlet: str) -> None:
    assert outlet_for(docid) == outlet


def test_malformed_timeml_is_rejected(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "bad.tml"
    path.write_text("<TimeML><TEXT>unclosed</TimeML>", encoding="utf-8")
    items = read(path, good)
    assert rejected(items)[str(path)].startswith("not well-formed XML, so not TimeML (")
    assert_good_read(items, good)


# -- hostile XML ----------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol%d;" % (i - 1) if i > 1 else "&lol;") * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("name", "root"),
    [
        ("lol.xml", '<rss version="2.0"><channel><title>t</title><item><description>&lol9;</description></item></channel></rss>'),
        ("lol.rss", "<rss><channel><item><description>&lol9;</description></item></channel></rss>"),
        ("lol.tml", "<TimeML><TEXT>&lol9;</TEXT></TimeML>"),
    ],
)
def test_entity_expansion_xml_is_rejected_quickly(tmp_path: Path, good: Path, name: str, root: str) -> None:
    path = tmp_path / name
    path.write_text(BILLION_LAUGHS + root, encoding="utf-8")
    started = time.monotonic()
    items = read(path, good)
    assert time.monotonic() - started < 2
    assert rejected(items) == {
        str(path): "refused: the XML declares <!ENTITY> definitions in its DOCTYPE, which can expand "
        "without bound (a 'billion laughs' attack); remove the DOCTYPE"
    }
    assert_good_read(items, good)


# -- containment ----------------------------------------------------------------------


def test_a_parser_crash_on_one_file_becomes_a_rejection(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("lxml went\nsideways")

    monkeypatch.setattr("chorus.read.html.trafilatura.bare_extraction", explode)
    page = tmp_path / "page.html"
    page.write_text(HTML_ARTICLE, encoding="utf-8")
    items = read(page, good)
    assert rejected(items) == {str(page): "could not be read (RuntimeError: lxml went sideways)"}
    assert_good_read(items, good)
