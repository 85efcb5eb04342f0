"""WARC input: archives written by warcio here, with invented pages, some damaged."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from chorus.models import RawDocument, Rejected
from chorus.read import read_inputs
from chorus.read.common import Origin
from chorus.read.warc import read_warc_range

PAGE = """<html><head><title>{title}</title><meta property="og:site_name" content="Coastal Ledger">{meta}</head>
<body><article><h1>{title}</h1><p>The harbour council of Port Mirel voted to approve ferry plan {n}, the mayor,
Ana Velt, told reporters after the meeting.</p><p>Ferries under plan {n} will run from the old pier to Skerry
Island twice a day, starting in the spring, and tickets will cost {n} crowns.</p></article></body></html>"""


def page(n: int, meta: str = "") -> bytes:
    return PAGE.format(title=f"Port Mirel council approves ferry plan {n}", n=n, meta=meta).encode()


def record(writer: WARCWriter, uri: str, body: bytes, ctype: str = "text/html; charset=utf-8", status: str = "200 OK", headers=()):
    http = StatusAndHeaders(status, [("Content-Type", ctype), *headers], protocol="HTTP/1.1")
    return writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict={"WARC-Date": "2024-03-05T10:00:00Z"}
    )


def write_warc(path: Path, gz: bool, items) -> list[int]:
    """Write the records; return each record's byte offset (warcinfo first)."""
    offsets = []
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        offsets.append(fh.tell())
        w.write_record(w.create_warcinfo_record(path.name, {"software": "chorus-tests"}))
        for item in items:
            offsets.append(fh.tell())
            w.write_record(record(w, *item) if isinstance(item, tuple) else item(w))
    return offsets


def pages(k: int) -> list[tuple[str, bytes]]:
    return [(f"https://ledger.example/ferry-{n}", page(n)) for n in range(k)]


def read(path: Path, max_bytes: int = 10_000_000) -> list[RawDocument | Rejected]:
    return list(read_inputs([str(path)], max_bytes=max_bytes))


@pytest.mark.parametrize("name", ["news.warc.gz", "news.warc"])
def test_html_responses_become_documents_with_uri_and_dates(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_warc(path, name.endswith(".gz"), [
        *pages(2),
        ("https://ledger.example/old", page(7), "text/html", "200 OK", [("Last-Modified", "Mon, 01 Jan 2024 08:00:00 GMT")]),
    ])  # fmt: skip
    docs = read(path)
    assert [type(d) for d in docs] == [RawDocument] * 3
    first = docs[0]
    assert re.fullmatch(rf"{re.escape(str(path))}#urn:uuid:[0-9a-f-]+", first.source)
    assert first.url == "https://ledger.example/ferry-0"
    assert first.outlet == "Coastal Ledger" and first.kind == "html"
    assert "ferry plan 0" in first.text and "<p>" not in first.text
    assert first.published == "2024-03-05"  # no date in the page: the crawl date
    assert docs[2].published == "2024-01-01"  # HTTP Last-Modified before the crawl date
    assert len({d.source for d in docs}) == 3


def test_page_date_wins_over_crawl_date(tmp_path: Path) -> None:
    path = tmp_path / "dated.warc.gz"
    write_warc(path, True, [("https://ledger.example/d", page(1, '<meta property="article:published_time" content="2023-11-20">'))])
    (doc,) = read(path)
    assert doc.published == "2023-11-20"


def test_non_html_and_error_pages_are_rejected_and_the_rest_lands(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    write_warc(path, True, [
        ("https://ledger.example/a", page(1)),
        ("https://ledger.example/logo.png", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("https://ledger.example/gone", page(2), "text/html", "404 Not Found"),
        ("https://ledger.example/b", page(3)),
    ])  # fmt: skip
    items = read(path)
    assert [type(i).__name__ for i in items] == ["RawDocument", "Rejected", "Rejected", "RawDocument"]
    assert items[1].reason == "the payload is image/png, not an HTML page"
    assert items[2].reason.startswith("HTTP status 404")
    assert all("\n" not in i.reason for i in items if isinstance(i, Rejected))


def test_lying_content_length_in_a_plain_warc_rejects_that_record_only(tmp_path: Path) -> None:
    path = tmp_path / "lying.warc"
    offsets = write_warc(path, False, pages(4))
    data = bytearray(path.read_bytes())
    second = offsets[2]  # warcinfo, page 0, page 1 <- this one lies
    m = re.compile(rb"Content-Length: (\d+)").search(data, second)
    data[m.start(1) : m.end(1)] = str(int(m.group(1)) + 40).encode()
    path.write_bytes(bytes(data))
    items = read(path)
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["RawDocument", "Rejected", "RawDocument", "RawDocument"]
    assert "Content-Length" in items[1].reason and f"byte {second:,}" in items[1].reason
    assert ["ferry-0", "ferry-2", "ferry-3"] == [i.url.rsplit("/", 1)[1] for i in items if isinstance(i, RawDocument)]


def test_lying_content_length_inside_a_gzip_member_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "lying.warc.gz"
    offsets = write_warc(path, True, pages(3))
    data = path.read_bytes()
    a, b = offsets[2], offsets[3]
    member = gzip.decompress(data[a:b])
    m = re.search(rb"Content-Length: (\d+)", member)
    member = member[: m.start(1)] + str(int(m.group(1)) + 500).encode() + member[m.end(1) :]
    path.write_bytes(data[:a] + gzip.compress(member) + data[b:])
    items = read(path)
    assert [type(i).__name__ for i in items] == ["RawDocument", "Rejected", "RawDocument"]
    assert "damaged" in items[1].reason or "Content-Length" in items[1].reason


def test_corrupt_and_truncated_gzip_members(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.warc.gz"
    offsets = write_warc(path, True, pages(4))
    data = bytearray(path.read_bytes())
    bad = offsets[2]
    for i in range(bad + 20, bad + 60):  # scramble the deflate data of page 1
        data[i] ^= 0x5A
    path.write_bytes(bytes(data[: offsets[4] + 30]))  # and cut the file inside page 3
    items = read(path)
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["RawDocument", "Rejected", "RawDocument", "Rejected"]
    assert "corrupt" in items[1].reason and f"{bad:,}" in items[1].reason
    assert "truncated" in items[3].reason


def test_not_a_warc_is_one_clear_reason(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc.gz"
    path.write_bytes(b"hello, this is not gzip")
    (item,) = read(path)
    assert isinstance(item, Rejected) and item.reason.startswith("not a gzip file")
    plain = tmp_path / "fake.warc"
    plain.write_text("<html>not a warc</html>")
    (item,) = read(plain)
    assert isinstance(item, Rejected) and "WARC" in item.reason


@pytest.mark.parametrize("name", ["split.warc.gz", "split.warc", "blank-lines.warc"])
def test_byte_ranges_tile_the_archive(tmp_path: Path, name: str) -> None:
    """Any split into byte ranges reads each record exactly once (the Ray engine's splits)."""
    path = tmp_path / name
    offsets = write_warc(path, name.endswith(".gz"), pages(9))
    if name.startswith("blank"):  # some writers leave extra blank lines between records
        data = path.read_bytes()
        cuts = [0, *offsets[1:], len(data)]
        path.write_bytes(b"\r\n\r\n".join(data[a:b] for a, b in zip(cuts, cuts[1:])))
    origin = Origin(str(path), str(path), "split")
    whole = list(read_warc_range(path, origin, 0, path.stat().st_size, max_bytes=10_000_000))
    size = path.stat().st_size
    for parts in (2, 3, 7, 25, 101):
        cuts = [size * k // parts for k in range(parts)] + [size]
        pieces = [i for a, b in zip(cuts, cuts[1:]) for i in read_warc_range(path, origin, a, b, max_bytes=10_000_000)]
        assert pieces == whole, parts
    assert len(whole) == 9
    if name.startswith("blank"):  # a cut inside the blank lines before every record
        data = path.read_bytes()
        inside = [m.start() + 6 for m in re.finditer(rb"\r\n\r\n\r\n\r\nWARC/1\.", data)]
        cuts = [0, *inside, size]
        assert len(inside) == 9
        pieces = [i for a, b in zip(cuts, cuts[1:]) for i in read_warc_range(path, origin, a, b, max_bytes=10_000_000)]
        assert pieces == whole


def test_resource_and_conversion_records_with_text_are_read(tmp_path: Path) -> None:
    """WET-style conversion records (plain text) and resource records (HTML or text)."""
    text = b"Ferry plan approved\n\nThe harbour council of Port Mirel approved the ferry plan on Tuesday, the mayor said.\n"

    def typed(kind: str, uri: str, body: bytes, ctype: str):
        return lambda w: w.create_warc_record(uri, kind, payload=io.BytesIO(body), length=len(body), warc_content_type=ctype)

    path = tmp_path / "wet.warc.gz"
    write_warc(path, True, [
        typed("conversion", "https://ledger.example/ferry", text, "text/plain"),
        typed("resource", "https://ledger.example/page", page(4), "text/html"),
        typed("resource", "https://ledger.example/photo.jpg", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg"),
    ])  # fmt: skip
    items = read(path)
    assert [type(i).__name__ for i in items] == ["RawDocument", "RawDocument", "Rejected"]
    assert items[0].kind == "text" and items[0].url == "https://ledger.example/ferry" and items[0].outlet == "ledger.example"
    assert items[0].text.startswith("Ferry plan approved")
    assert items[1].kind == "html" and "ferry plan 4" in items[1].text
    assert items[2].reason == "the payload is image/jpeg, not HTML or plain text"
