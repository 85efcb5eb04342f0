"""A corpus of hostile inputs, generated on demand (nothing big is committed).

    from hostile import CASES, write_case
    path = write_case(CASES["gzip_bomb_jsonl"], tmp_dir)   # what to hand to `chorus ingest`

Each :class:`Case` says what a user should see: the input ``read`` (every document
lands), ``rejected`` (one one-line reason per bad input, nothing of it lands) or
``partial`` (the good records of a file land, the bad ones are named). ``reason`` is
a fragment of the expected reason; ``docs`` the number of documents that must land.
All text is invented. Used by tests/test_hostile.py and bench/reliability.py.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


def story(n: int, town: str = "Vessby") -> str:
    """A small invented report, distinct per ``n``."""
    return (
        f"Harbour works in {town}, part {n}\n\n"
        f"Officials in {town} said on Monday that repair number {n} on the old harbour wall would finish in May.\n\n"
        f"The council approved {n + 3} new moorings for the fishing fleet after a long debate.\n"
    )


def record(n: int, **fields: object) -> dict:
    return {"url": f"https://gullbay.example/news/{n}", "title": f"Harbour works, part {n}", "text": story(n), **fields}


@dataclass(frozen=True)
class Case:
    name: str
    what: str  # for the table in docs/RELIABILITY.md
    make: Callable[[Path], Path]  # writes the input under the folder given, returns the path to read
    expect: str  # read | rejected | partial
    reason: str = ""  # a fragment of the reason every rejection of this input carries
    docs: int = 0  # documents of this input that land
    posix_only: bool = False
    needs_non_root: bool = False


def _write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))
    else:
        path.write_bytes(data)
    return path


def _jsonl(records: list) -> str:
    return "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in records)


def _gzip_stream(path: Path, head: bytes, filler: bytes, total: int) -> Path:
    """``head`` then ``filler`` repeated up to ``total`` bytes, gzipped chunk by chunk
    (a bomb of hundreds of MB is written in a second and takes ~1/1000 of it on disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(head)
        chunk = filler * (MB // len(filler))
        written = len(head)
        while written < total:
            out.write(chunk)
            written += len(chunk)
    return path


def _truncated_gzip(path: Path, payload: bytes) -> Path:
    packed = gzip.compress(payload)
    return _write(path, packed[: int(len(packed) * 0.6)])


def _words_line(size: int) -> bytes:
    """One line of ``size`` bytes of words, no line break."""
    unit = b"the harbour wall was repaired again "
    return (unit * (size // len(unit) + 1))[:size]


BILLION_LAUGHS_DTD = (
    "<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
    + "".join(f" <!ENTITY lol{i} \"{(('&lol%d;' % (i - 1)) if i > 1 else '&lol;') * 10}\">\n" for i in range(1, 10))
    + "]>\n"
)


def _rss(items: str, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<rss version="2.0"><channel><title>Gull Bay Gazette</title>'
        f"<link>https://gullbay.example/</link>{items}</channel></rss>\n"
    )


def _item(n: int, body: str | None = None, pub: str = "Mon, 26 Aug 2024 10:00:00 +0000") -> str:
    from xml.sax.saxutils import escape

    body = escape(body if body is not None else story(n).replace("\n\n", " "))
    return f"<item><title>Harbour works {n}</title><link>https://gullbay.example/{n}</link><pubDate>{pub}</pubDate><description>{body}</description></item>"


def _atom(entries: str, prolog: str = "") -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<feed xmlns="http://www.w3.org/2005/Atom"><title>Tide Watch</title>{entries}</feed>\n'


def _timeml(body: str, prolog: str = "") -> str:
    return f'<?xml version="1.0"?>\n{prolog}<TimeML><DOCID>APW19990312.0251</DOCID><TEXT>{body}</TEXT></TimeML>\n'


def _warc(path: Path, compress: bool) -> Path:
    payload = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>" + story(1).encode() + b"</p></body></html>"
    record_ = (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://gullbay.example/1\r\n"
        b"WARC-Date: 2024-08-26T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-000000000001>\r\n"
        b"Content-Length: 99999999\r\n\r\n" + payload + b"\r\n\r\n"  # the length lies: far past the end
    )
    return _write(path, gzip.compress(record_) if compress else record_)


def _symlink_loop(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    a, b = folder / "loop_a.txt", folder / "loop_b.txt"
    os.symlink(b, a)
    os.symlink(a, b)
    return a


def _fifo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pipe.txt"
    os.mkfifo(path)
    return path


def _device(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "endless.txt"
    os.symlink("/dev/zero", path)
    return path


def _unreadable(folder: Path) -> Path:
    path = _write(folder / "locked.txt", story(7))
    path.chmod(0)
    return path


def _non_utf8_dir(folder: Path) -> Path:
    top = folder / "names"
    inner = os.path.join(os.fsencode(top), b"caf\xe9 \xff")
    os.makedirs(inner, exist_ok=True)
    with open(os.path.join(inner, b"report.txt"), "wb") as out:
        out.write(story(11).encode())
    return top


def _nested_html(depth: int) -> str:
    return "<html><body>" + "<div>" * depth + f"<p>{story(5)}</p>" + "</div>" * depth + "</body></html>"


RTL = (
    "مجلس مدينة فيسبي يوافق على إصلاح الميناء\n\n"
    "The council of Vessby (مجلس المدينة) approved the harbour repair on Monday, said Noa Levi (נועה לוי).\n\n"
    "בעיר נאמר כי העבודות יסתיימו במאי. Work will finish in May, the mayor said.\n"
)
EMOJI = (
    "Harbour festival draws crowds 🎉\n\n"
    "Families 👨‍👩‍👧‍👦 came to the Vessby harbour festival on Saturday, organisers said 🇳🇴.\n\n"
    "The mayor said the fireworks 🎆 would return next year. 🙂\n"
)
INVISIBLE = (
    "Ferry\u200b timetable\u2060 changes\n\n"
    "The ferry\u200d operator said\u200e on Monday that \u202ewinter\u202c crossings would\u2066 resume\u2069 in\u00ad May.\n\n"
    "Passengers\ufeff welcomed the news, the \u200foperator said.\n"
)


def _cases() -> list[Case]:
    good_rec = [record(n) for n in (101, 102, 103)]
    cases = [
        # -- compression ------------------------------------------------------------
        Case("gzip_truncated_jsonl", "truncated .jsonl.gz (cut at 60 %)",
             lambda d: _truncated_gzip(d / "cut.jsonl.gz", _jsonl([record(n) for n in range(200, 240)]).encode()),
             "partial", "gzip data is truncated", docs=-1),
        Case("gzip_truncated_txt", "truncated .txt.gz (gzipped text is not a supported input)",
             lambda d: _truncated_gzip(d / "cut.txt.gz", story(12).encode() * 50),
             "rejected", "unknown file type '.txt.gz'"),
        Case("gzip_bomb_jsonl", ".jsonl.gz: one good line, then 256 MB of spaces (1/1000 compressed)",
             lambda d: _gzip_stream(d / "bomb.jsonl.gz", _jsonl([record(13)]).encode(), b" ", 256 * MB),
             "partial", "decompressed data is over the", docs=1),
        Case("gzip_bomb_json", ".json.gz: 256 MB of zeros inside a JSON string",
             lambda d: _gzip_stream(d / "bomb.json.gz", b'{"text": "', b"0", 256 * MB),
             "rejected", "decompressed data is over the"),
        Case("gzip_fake", ".jsonl.gz that is not gzip",
             lambda d: _write(d / "fake.jsonl.gz", _jsonl([record(14)])), "rejected", "not a readable gzip file"),
        # -- encodings and bytes ----------------------------------------------------
        Case("invalid_utf8_middle", "UTF-8 text (with accents) and one invalid byte in the middle",
             lambda d: _write(d / "broken_utf8.txt", ("Café owners in Malmö protest\n\n" + story(15)).encode() + b"\xff\xfe\x80" + ("Naïve résumé, said Zoë.\n").encode()),
             "read", docs=1),
        Case("utf16_le_bom", "UTF-16 LE with a byte-order mark",
             lambda d: _write(d / "utf16le_bom.txt", b"\xff\xfe" + story(16).encode("utf-16-le")), "read", docs=1),
        Case("utf16_be_bom", "UTF-16 BE with a byte-order mark",
             lambda d: _write(d / "utf16be_bom.txt", b"\xfe\xff" + story(17).encode("utf-16-be")), "read", docs=1),
        Case("utf16_le_nobom", "UTF-16 LE without a byte-order mark",
             lambda d: _write(d / "utf16le.txt", story(18).encode("utf-16-le")), "read", docs=1),
        Case("utf16_be_nobom", "UTF-16 BE without a byte-order mark",
             lambda d: _write(d / "utf16be.txt", story(19).encode("utf-16-be")), "read", docs=1),
        Case("nul_bytes_txt", "NUL bytes inside a .txt",
             lambda d: _write(d / "nul.txt", story(20).encode().replace(b" wall", b"\x00wall")), "rejected", "binary file"),
        Case("binary_as_txt", "random binary data named .txt",
             lambda d: _write(d / "photo.txt", random.Random(1).randbytes(200_000)), "rejected", "binary file"),
        Case("binary_as_json", "a PNG named .json",
             lambda d: _write(d / "image.json", b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(50_000)), "rejected", "binary file"),
        Case("empty_txt", "0 bytes (.txt)", lambda d: _write(d / "empty.txt", b""), "rejected", "empty file (0 bytes)"),
        Case("empty_jsonl", "0 bytes (.jsonl)", lambda d: _write(d / "empty.jsonl", b""), "rejected", "empty file (0 bytes)"),
        Case("crlf", "CRLF line ends", lambda d: _write(d / "crlf.txt", story(21).replace("\n", "\r\n")), "read", docs=1),
        Case("cr_only", "CR-only line ends (old Mac)", lambda d: _write(d / "cr.txt", story(22).replace("\n", "\r")), "read", docs=1),
        # -- size -------------------------------------------------------------------
        Case("line_100mb_txt", "one 100 MB line (.txt)", lambda d: _write(d / "huge_line.txt", _words_line(100 * MB)),
             "rejected", "over the 20,971,520-byte limit"),
        Case("line_100mb_jsonl", "one 100 MB JSON line (.jsonl)",
             lambda d: _write(d / "huge_line.jsonl", b'{"text": "' + _words_line(100 * MB) + b'"}\n'),
             "rejected", "over the 20,971,520-byte limit"),
        Case("line_8mb_txt", "one 8 MB line under the size cap (.txt)", lambda d: _write(d / "long_line.txt", _words_line(8 * MB)),
             "rejected", "characters long"),
        Case("bullets_40k", "40,000 bullet lines and 40,000 body lines (3.3 MB)",
             lambda d: _write(d / "bullets.txt", "Harbour works\n\n" + "".join(f"- repair {i} of the wall was done\nThe council met for the {i}th time on Monday.\n" for i in range(40_000))),
             "rejected", "characters long"),
        Case("bullet_box_3000", "a 'Key points' box of 3,000 bullets over 3,000 body sentences",
             lambda d: _write(d / "box.txt", "Harbour works\n\nKey points\n\n" + "".join(f"- repair {i} was done\n" for i in range(3000))
                              + "\n" + " ".join(f"Repair {i} was done on Monday." for i in range(3000)) + "\n"),
             "read", docs=1),
        # -- markup -----------------------------------------------------------------
        Case("html_nested_10000", "HTML nested 10,000 <div> deep (the HTML parser stops at 255 levels)",
             lambda d: _write(d / "deep.html", _nested_html(10_000)), "rejected", "no article text found"),
        Case("html_huge_attribute", "HTML with a 15 MB attribute value",
             lambda d: _write(d / "attr.html", f'<html><body><p data-x="{"A" * (15 * MB)}">{story(23)}</p></body></html>'),
             "rejected", "no article text found"),
        Case("rss_billion_laughs", "entity expansion (billion laughs) RSS",
             lambda d: _write(d / "lol.rss", _rss("<item><title>t</title><description>&lol9;</description></item>", BILLION_LAUGHS_DTD)),
             "rejected", "billion laughs"),
        Case("atom_billion_laughs", "entity expansion (billion laughs) Atom",
             lambda d: _write(d / "lol.atom", _atom("<entry><title>t</title><summary>&lol9;</summary></entry>", BILLION_LAUGHS_DTD)),
             "rejected", "billion laughs"),
        Case("rss_xxe", "external entity (XXE) RSS reading /etc/passwd",
             lambda d: _write(d / "xxe.rss", _rss("<item><title>t</title><description>&xxe;</description></item>",
                                                  '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')),
             "rejected", "billion laughs"),
        Case("atom_xxe_parameter", "XXE through a parameter entity (Atom)",
             lambda d: _write(d / "xxe.atom", _atom("<entry><title>t</title><summary>x</summary></entry>",
                                                    '<!DOCTYPE feed [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/evil.dtd"> %ext;]>\n')),
             "rejected", "billion laughs"),
        Case("rss_external_dtd", "RSS naming an external DTD (never fetched)",
             lambda d: _write(d / "dtd.rss", _rss(_item(24), '<!DOCTYPE rss SYSTEM "http://127.0.0.1:9/rss.dtd">\n')), "read", docs=1),
        Case("rss_nested_html", "RSS entry whose HTML is nested 10,000 deep, beside a good entry",
             lambda d: _write(d / "deep.rss", _rss(_item(25, "<div>" * 10_000 + "Deep text here." + "</div>" * 10_000) + _item(26))),
             "partial", "feed entry has no text", docs=1),
        Case("rss_huge_attribute", "RSS with a 12 MB attribute",
             lambda d: _write(d / "attr.rss", _rss(_item(27)).replace("<channel>", f'<channel x="{"A" * (12 * MB)}">')), "read", docs=1),
        Case("feed_dates", "RSS entries dated year 0, 9999, nonsense and a negative year",
             lambda d: _write(d / "dates.rss", _rss("".join(_item(30 + i, pub=p) for i, p in enumerate(
                 ["Mon, 01 Jan 0000 00:00:00 +0000", "Fri, 31 Dec 9999 23:59:59 +0000", "the day after never", "-0001-01-01T00:00:00Z", "-86400"])))),
             "read", docs=5),
        Case("timeml_broken", "TimeML with broken XML", lambda d: _write(d / "broken.tml", _timeml("The <EVENT eid='e1'>ferry</TIMEX3> left.")),
             "rejected", "not well-formed XML"),
        Case("timeml_xxe", "TimeML with an external entity",
             lambda d: _write(d / "xxe.tml", _timeml("&xxe;", '<!DOCTYPE TimeML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')),
             "rejected", "billion laughs"),
        # -- JSON -------------------------------------------------------------------
        Case("json_wrong_types", "JSON items: title a list, text a number, text null, not an object; one good",
             lambda d: _write(d / "types.json", json.dumps([{**record(40), "title": ["a", "b"]}, {**record(41), "text": 42},
                                                            {**record(42), "text": None}, "just a string", record(43)])),
             "partial", "", docs=1),
        Case("json_million_items", "a JSON array of 10^6 tiny items, one good record",
             lambda d: _write(d / "million.json", "[" + "0," * 1_000_000 + json.dumps(record(44)) + "]"),
             "partial", "expected a JSON object", docs=1),
        Case("json_deep", "JSON nested 100,000 deep", lambda d: _write(d / "deep.json", "[" * 100_000 + "]" * 100_000),
             "rejected", "nested"),
        Case("jsonl_deep_line", "JSON Lines: one line nested 100,000 deep between good lines",
             lambda d: _write(d / "deep.jsonl", _jsonl([record(45)]) + "{\"a\":" * 100_000 + "1" + "}" * 100_000 + "\n" + _jsonl([record(46)])),
             "partial", "nested", docs=2),
        Case("json_dates", "JSON dates: year 0, 9999, nonsense, negative epoch (dropped, article kept)",
             lambda d: _write(d / "dates.jsonl", _jsonl([record(50 + i, published=p) for i, p in enumerate(
                 ["0000-01-01", "9999-12-31", "last Thursday-ish", "-0001-01-01", "-86400", "1969-12-31T23:59:59Z"])])),
             "read", docs=6),
        Case("json_lone_surrogates", "JSON text with lone surrogates (\\ud800, \\udfff)",
             lambda d: _write(d / "surrogates.jsonl", _jsonl([record(60, text=story(60) + "Broken \ud800 pair \udfff end.\n",
                                                                   title="Harbour \udc80 works")])),
             "read", docs=1),
        Case("json_nul_char", "JSON text with \\u0000 characters",
             lambda d: _write(d / "nul.jsonl", _jsonl([record(61, text=story(61).replace(" wall", "\u0000wall"))])), "read", docs=1),
        Case("json_duplicate_ids", "JSON Lines: the same id and URL twice with different text, and an exact repeat",
             lambda d: _write(d / "dupes.jsonl", _jsonl([{**record(62), "id": "a1"}, {**record(62), "id": "a1", "text": story(63)},
                                                         {**record(62), "id": "a1"}])),
             "partial", "same article as", docs=2),
        Case("json_invisible", "JSON text with zero-width and bidi control characters",
             lambda d: _write(d / "invisible.json", json.dumps({**record(64), "text": INVISIBLE})), "read", docs=1),
        # -- scripts ----------------------------------------------------------------
        Case("rtl_mixed", "Arabic, Hebrew and English mixed", lambda d: _write(d / "rtl.txt", RTL), "read", docs=1),
        Case("emoji", "emoji, ZWJ sequences and flags", lambda d: _write(d / "emoji.txt", EMOJI), "read", docs=1),
        Case("invisible_txt", "zero-width, bidi overrides and isolates, soft hyphen, BOM mid-text",
             lambda d: _write(d / "invisible.txt", INVISIBLE), "read", docs=1),
        # -- file system ------------------------------------------------------------
        Case("symlink_loop", "a symbolic link loop", _symlink_loop, "rejected", "symbolic link", posix_only=True),
        Case("fifo", "a named pipe called .txt (nobody writes to it)", _fifo, "rejected", "not a regular file", posix_only=True),
        Case("device", "a .txt link to /dev/zero (endless)", _device, "rejected", "not a regular file", posix_only=True),
        Case("unreadable", "a file without read permission", _unreadable, "rejected", "permission denied",
             posix_only=True, needs_non_root=True),
        Case("non_utf8_dir", "a directory whose name is not UTF-8", _non_utf8_dir, "read", docs=1, posix_only=True),
        # -- WARC -------------------------------------------------------------------
        Case("warc_lying_length", "WARC record whose Content-Length runs past the end", lambda d: _warc(d / "crawl.warc", False),
             "rejected", "warc"),
        Case("warc_gz_lying_length", "gzipped WARC record whose Content-Length lies", lambda d: _warc(d / "crawl.warc.gz", True),
             "rejected", "warc"),
    ]
    return cases


CASES: dict[str, Case] = {c.name: c for c in _cases()}


def applicable(case: Case) -> bool:
    if case.posix_only and os.name != "posix":
        return False
    return not (case.needs_non_root and hasattr(os, "geteuid") and os.geteuid() == 0)


def write_case(case: Case, folder: Path) -> Path:
    """Write one case's input into its own folder under ``folder``; return what to read."""
    return case.make(folder / case.name)


GOOD_TEXT = story(900, "Carrow")


def write_good(folder: Path) -> Path:
    """The good file every batch carries: it must always land."""
    return _write(folder / "good" / "carrow_report.txt", GOOD_TEXT)


# -- running a case with bounded time and memory ---------------------------------------


@dataclass(frozen=True)
class Outcome:
    ok: bool  # the child finished (no crash, no timeout, no memory error)
    value: object  # what the function returned (pickled back), or the error text
    seconds: float
    peak_mb: float  # the child's peak resident set growth over what it had after the fork


def _vm_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def run_bounded(fn: Callable[[], object], *, seconds: float, extra_mb: int) -> Outcome:
    """Run ``fn`` in a forked child with an address-space limit of what this process
    maps now plus ``extra_mb``, killed after ``seconds``. Linux only."""
    import pickle
    import resource
    import select
    import signal
    import time

    read_end, write_end = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        code = 0
        try:
            limit = _vm_bytes() + extra_mb * MB
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            _reset_peak()  # a forked child inherits its parent's peak; count from here
            base = _status_kb("VmRSS")
            try:
                result = (True, fn())
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                result = (False, f"{type(exc).__name__}: {exc}"[:500])
            payload = pickle.dumps((*result, (_status_kb("VmHWM") - base) / 1024))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    os.close(write_end)
    chunks, deadline, timed_out = [], started + seconds, False
    with os.fdopen(read_end, "rb") as inp:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([inp], [], [], left)
            if ready:
                chunk = os.read(inp.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    elapsed = time.monotonic() - started
    if timed_out:
        return Outcome(False, f"timed out after {seconds} s", elapsed, float("nan"))
    if not chunks:
        return Outcome(False, f"child died (status {status})", elapsed, float("nan"))
    ok, value, peak = pickle.loads(b"".join(chunks))
    return Outcome(ok, value, elapsed, max(0.0, peak))



def _status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (VmRSS: resident now; VmHWM: peak resident)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current resident set (Linux >= 4.0)
    except OSError:
        pass
