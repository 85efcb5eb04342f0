"""`chorus watch` throughput and latency, against loopback servers, politeness on.

    .venv/bin/python bench/watch.py [--hosts 200] [--feeds 500] [--pages 20000]
                                    [--subset 2] [--interval 5] [--trials 3] [--no-write]

Served (by a separate process, on 127.0.0.1 only): ``--hosts`` HTTP servers, one per
port, each a host with its own robots.txt; ``--feeds`` RSS feeds spread over them;
``--pages`` article pages, each listed by one feed. The articles are the synthetic
stream of ``bench/synth.py`` (real wire sentences from ../shared/eval/bulk/te3-silver,
recombined into stories, names renamed), rendered as HTML pages with a date and a site
name; nothing of the text is stored in the repository.

Measured, politeness as shipped (the sources file's defaults: 2 requests in flight and
1 s between request starts per host, robots.txt honoured):
(a) fetch + extract: every feed polled, every page fetched and read by chorus's HTML
    reader (trafilatura + htmldate), no NLP: pages/s, against the politeness cap
    (hosts / per-host delay) and against the NLP rate below;
(b) NLP only, the baseline: `chorus ingest` of the same extracted texts of a subset
    (``--subset`` pages per feed) from a JSONL file, timed as a whole process;
(c) full watch on that subset: `chorus watch SOURCES --once` (all feeds, limited to
    the subset's items), timed as a whole process: pages/s, and its ratio to (b);
(b) and (c) run twice: with story snapshots (the default: every ingest analyses the
    stories it changed, for `chorus changes` and alerts) and without;
(d) latency: a running `chorus watch` on one live feed polled every ``--interval``
    seconds; an article is added to the feed, and the time until the watch reports it
    stored (it is then in its story: checked in the store) is measured ``--trials``
    times, against the poll interval.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import multiprocessing as mp
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, run_measured, write_block  # noqa: E402

Article = tuple[str, str, str, str]  # title, body (paragraphs split by blank lines), published, outlet


# -- content ------------------------------------------------------------------------
def make_articles(n: int) -> list[Article]:
    """The synthetic stream (real wire sentences recombined into stories); invented
    sentences when ../shared is not here."""
    from synth import DEFAULT_DATA, OUTLETS, Plan, load_source

    if not DEFAULT_DATA.is_dir():
        sys.path.insert(0, str(ROOT / "tests"))
        from loopback import invented_paragraphs

        print(f"note: {DEFAULT_DATA} not found; using invented sentences", file=sys.stderr)
        return [(f"Kessel dam report {i}", "\n\n".join(invented_paragraphs(i)), "2024-05-01", OUTLETS[i % len(OUTLETS)]) for i in range(n)]
    plan = Plan(load_source(DEFAULT_DATA), n=n, seed=11)
    out = []
    for i in range(n):
        a = plan.article(i).doc.article
        out.append((a.title, a.text, a.published or "", a.outlet))
    return out


def page_html(a: Article) -> bytes:
    title, body, published, outlet = a
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in body.split("\n\n"))
    return (
        f'<!DOCTYPE html><html><head><title>{escape(title)}</title><meta property="og:site_name" content="{escape(outlet)}">'
        f'<meta property="article:published_time" content="{published}"></head><body><nav><a href="/">Home</a></nav>'
        f"<article><h1>{escape(title)}</h1>{paragraphs}</article><footer>Synthetic page for benchmarks.</footer></body></html>"
    ).encode()


def rss_xml(title: str, links: list[tuple[str, str]]) -> bytes:
    items = "".join(f"<item><title>{escape(t)}</title><link>{escape(u)}</link></item>" for u, t in links)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(title)}</title>{items}</channel></rss>'.encode()


# -- the servers (a separate process) -------------------------------------------------
def serve(articles: list[Article], hosts: int, feeds: int, ports: mp.Queue, stop: mp.Event) -> None:
    """``hosts`` servers; feed f on host f % hosts lists pages i with i % feeds == f.
    Host 0 also serves /live.xml, which gains the next reserve article on /control/add."""
    n_pages = len(articles) - 100  # the last 100 are the live feed's reserve
    live: list[int] = [n_pages]
    servers = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            host = self.server.index  # type: ignore[attr-defined]
            parts = urlsplit(self.path)
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            if parts.path == "/robots.txt":
                return self._send(b"User-agent: *\nDisallow: /private/\n", "text/plain")
            if parts.path.startswith("/feeds/"):
                f = int(parts.path.rsplit("/", 1)[1].split(".")[0])
                limit = int(parse_qs(parts.query).get("limit", ["0"])[0]) or None
                pages = list(range(f, n_pages, feeds))[:limit]
                return self._send(rss_xml(f"Feed {f}", [(f"{base}/a/{i}", articles[i][0]) for i in pages]), "application/rss+xml")
            if parts.path.startswith("/a/"):
                i = int(parts.path.rsplit("/", 1)[1])
                return self._send(page_html(articles[i]), "text/html; charset=utf-8")
            if host == 0 and parts.path == "/live.xml":
                return self._send(rss_xml("Live", [(f"{base}/a/{i}", articles[i][0]) for i in live]), "application/rss+xml")
            if host == 0 and parts.path == "/control/add":
                live.append(live[-1] + 1)
                return self._send(f"{base}/a/{live[-1]}".encode(), "text/plain")
            self._send(b"not found", "text/plain", 404)

        def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
            tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", tag)
            self.end_headers()
            self.wfile.write(body)

    for h in range(hosts):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.index = h  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    ports.put([s.server_address[1] for s in servers])
    stop.wait()


# -- (a) fetch + extract --------------------------------------------------------------
async def fetch_extract(feed_urls: list[str], keep: set[str]) -> tuple[int, int, float, dict]:
    from chorus.watch.discover import page_document, parse_feed
    from chorus.watch.fetch import Fetched, Fetcher
    from chorus.watch.loop import policy_of
    from chorus.watch.sources import Defaults

    start = time.perf_counter()
    kept: dict[str, dict] = {}
    failed = 0
    async with Fetcher(policy_of(Defaults())) as fetcher:
        feeds = await asyncio.gather(*(fetcher.get(u, expect="xml") for u in feed_urls))
        links = [link for f in feeds if isinstance(f, Fetched) for link in parse_feed(f.body, f.final_url).links]

        async def one(link) -> bool:
            out = await fetcher.get(link.url)
            if not isinstance(out, Fetched):
                return False
            doc = await asyncio.to_thread(page_document, out.body, link.url, out.final_url, link)
            if link.url in keep:
                kept[link.url] = {"url": doc.url, "title": doc.title, "text": doc.text, "published": doc.published, "outlet": doc.outlet}
            return True

        done = await asyncio.gather(*(one(link) for link in links))
        failed = done.count(False)
    return len(links), failed, time.perf_counter() - start, kept


def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--feeds", type=int, default=500)
    ap.add_argument("--pages", type=int, default=20_000)
    ap.add_argument("--subset", type=int, default=2, help="pages per feed in (b) and (c)")
    ap.add_argument("--interval", type=float, default=5.0, help="poll interval of the live feed in (d), seconds")
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="do not update docs/EVALUATION.md")
    args = ap.parse_args()
    python = sys.executable
    chorus = str(Path(python).with_name("chorus"))
    t0 = time.perf_counter()
    articles = make_articles(args.pages + 100)
    print(f"made {len(articles)} articles in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    ctx = mp.get_context("fork")
    ports_q, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=serve, args=(articles, args.hosts, args.feeds, ports_q, stop), daemon=True)
    server.start()
    try:
        ports = ports_q.get(timeout=60)
        feed_urls = [f"http://127.0.0.1:{ports[f % args.hosts]}/feeds/{f}.xml" for f in range(args.feeds)]
        subset = {f"http://127.0.0.1:{ports[(i % args.feeds) % args.hosts]}/a/{i}" for i in range(min(args.pages, args.subset * args.feeds))}
        # (a)
        n_links, failed, a_wall, kept = asyncio.run(fetch_extract(feed_urls, subset))
        a_rate = (n_links - failed) / a_wall
        print(f"(a) {n_links} pages ({failed} failed) in {a_wall:.1f} s: {a_rate:.1f} pages/s", file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            jsonl = Path(tmp) / "subset.jsonl"
            jsonl.write_text("".join(json.dumps(kept[u], ensure_ascii=False) + "\n" for u in sorted(kept)), encoding="utf-8")
            runs = {}
            sources = Path(tmp) / "sources.toml"
            sources.write_text(
                "".join(f'[[source]]\nname = "feed-{f}"\nurl = "{u}?limit={args.subset}"\n\n' for f, u in enumerate(feed_urls)),
                encoding="utf-8",
            )
            # with story snapshots (the default: each ingest analyses the stories it
            # changed, for `chorus changes`) and without (CHORUS_SNAPSHOTS=0)
            for snap in ("1", "0"):
                env = {**os.environ, "CHORUS_SNAPSHOTS": snap}
                # (b) the same texts from a file, then (c) the full watch of the subset
                b = run_measured([chorus, "ingest", str(jsonl), "--db", str(Path(tmp) / f"b{snap}.db")], env=env)
                c = run_measured([chorus, "watch", str(sources), "--once", "--db", str(Path(tmp) / f"c{snap}.db")], env=env)
                b_added = int(b[2].split("added ", 1)[1].split(" ", 1)[0])
                c_added = sum(1 for line in c[2].splitlines() if line.startswith("ingested"))
                runs[snap] = (b_added, b[0], b[1], c_added, c[0], c[1])
                print(f"snapshots={snap}: (b) {b_added} in {b[0]:.1f} s, (c) {c_added} in {c[0]:.1f} s", file=sys.stderr)
            # (d) latency
            latencies, in_story = latency(chorus, ports[0], Path(tmp), args.interval, args.trials)
    finally:
        stop.set()
        server.join(5)
        if server.is_alive():
            server.terminate()
    cap = args.hosts / 1.0
    lat = ", ".join(f"{x:.1f}" for x in latencies)
    mean = sum(latencies) / len(latencies) if latencies else float("nan")
    rows, ratios = [], []
    for snap, label in (("1", "snapshots on (default)"), ("0", "snapshots off (`CHORUS_SNAPSHOTS=0`)")):
        b_added, b_wall, b_rss, c_added, c_wall, c_rss = runs[snap]
        b_rate, c_rate = b_added / b_wall, c_added / c_wall
        rows.append(f"| (b) baseline: `chorus ingest` of the same extracted texts (subset, JSONL file), {label} | {b_added} | {b_rate:.1f} | {b_wall:.1f} | {b_rss / 2**20:.0f} |\n")
        rows.append(f"| (c) `chorus watch --once`: {args.feeds} feeds limited to {args.subset} items, fetch + extract + NLP + store, {label} | {c_added} | {c_rate:.1f} | {c_wall:.1f} | {c_rss / 2**20:.0f} |\n")
        ratios.append((label, a_rate / b_rate, c_rate / b_rate, 1 / (1 / b_rate + 1 / a_rate), c_rate))
    table = (
        f"Served from loopback: {args.hosts} hosts (one server per port, each with a robots.txt), {args.feeds} RSS feeds, "
        f"{n_links} article pages (synthetic stream of `bench/synth.py`). Politeness as shipped: 2 requests in flight and "
        f"1 s between request starts per host (a cap of {cap:.0f} requests/s over {args.hosts} hosts). Machine: {os.cpu_count()} cores.\n\n"
        "| run | pages | pages/s | wall s | peak RSS MB |\n|---|---|---|---|---|\n"
        f"| (a) fetch + extract (trafilatura, htmldate), no NLP, all pages | {n_links - failed} | {a_rate:.1f} | {a_wall:.1f} | — |\n"
        + "".join(rows) + "\n"
        + "".join(
            f"- {label}: **fetching vs NLP (a) / (b) = {ab:.1f}×**; **full watch vs NLP alone (c) / (b) = {cb:.2f}×**; "
            f"NLP and extraction one after the other would give {serial:.1f} pages/s, the watch gives {c_rate:.1f}.\n"
            for label, ab, cb, serial, c_rate in ratios
        )
        + f"\n(d) From an article appearing in a feed polled every {args.interval:g} s to `chorus watch` reporting it stored "
        f"(snapshots on): {lat} s (mean {mean:.1f} s; {in_story} of {len(latencies)} already in their story when reported). "
        f"Target: within one poll interval plus its processing.\n"
    )
    print(table)
    if not args.no_write:
        write_block("watch", "Command: `.venv/bin/python bench/watch.py`\n\n" + table)


def latency(chorus: str, port: int, tmp: Path, interval: float, trials: int) -> tuple[list[float], int]:
    """Seconds from /control/add to the watch printing the new article, per trial."""
    import httpx

    from chorus.store import open_store

    sources = tmp / "live.toml"
    sources.write_text(f'[[source]]\nname = "live"\nurl = "http://127.0.0.1:{port}/live.xml"\ninterval = "{interval:g}s"\n', encoding="utf-8")
    db = tmp / "d.db"
    proc = subprocess.Popen([chorus, "watch", str(sources), "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    threading.Thread(target=lambda: [lines.put((time.perf_counter(), line)) for line in proc.stdout], daemon=True).start()
    out, stored = [], 0
    try:
        lines.get(timeout=120)  # the first article (model loaded, first poll done)
        for _ in range(trials):
            time.sleep(interval * 0.37)  # land anywhere in the poll cycle, not just after a poll
            start = time.perf_counter()
            url = httpx.get(f"http://127.0.0.1:{port}/control/add", trust_env=False).text
            while True:
                at, line = lines.get(timeout=interval * 4 + 60)
                if line.startswith("ingested") and line.rstrip().endswith(url):
                    out.append(at - start)
                    article_id = line.split()[2]
                    with open_store(str(db)) as store:
                        stored += store.story_of(article_id) is not None
                    break
    finally:
        proc.terminate()
        proc.wait(30)
    return out, stored


if __name__ == "__main__":
    main()
