"""A real HTTP server on 127.0.0.1, in a thread, for tests (and bench/watch.py).

    with Loopback() as site:
        site.route("/feed.xml", rss([...]), content_type="application/rss+xml", etag='"v1"')
        site.route("/robots.txt", "User-agent: *\\nDisallow: /private/\\n", content_type="text/plain")
        ... site.url("/feed.xml") ...
        site.requests  # every request: time, path, headers, requests in flight when it came

It honours conditional GETs (If-None-Match / If-Modified-Since against a route's
``etag`` / ``last_modified``), and a route can answer with any status, after a delay,
as a redirect, or with a large body streamed without Content-Length. It only ever binds
127.0.0.1 and never connects anywhere.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # before the status line: a slow server
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # for 3xx
    stream_bytes: int = 0  # send this many bytes without Content-Length, in 64 kB chunks


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic() when it arrived
    path: str
    headers: dict[str, str]
    in_flight: int  # requests being served at that moment, this one included
    port: int


class Loopback:
    def __init__(self, hold_s: float = 0.0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.posts: list[tuple[str, bytes]] = []  # (path, body) of every POST
        self.hold_s = hold_s  # every response waits this long (to observe concurrency)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- setup ------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, body: str | bytes = b"", **options: object) -> Route:
        route = Route(body.encode("utf-8") if isinstance(body, str) else body, **options)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- serving ----------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: simple and honest counts

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                with site._lock:
                    site._in_flight += 1
                    site.requests.append(Request(time.monotonic(), self.path, dict(self.headers), site._in_flight, site.port))
                try:
                    self._serve(site.routes.get(self.path.split("?", 1)[0]))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (size cap, timeout): that is the point of some tests
                finally:
                    with site._lock:
                        site._in_flight -= 1

            def do_POST(self) -> None:  # noqa: N802 - a webhook receiver: records the body, answers the route's status
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with site._lock:
                    site.requests.append(Request(time.monotonic(), self.path, dict(self.headers), 1, site.port))
                    site.posts.append((self.path, body))
                route = site.routes.get(self.path)
                self._send(route.status if route else 204, b"", "text/plain")

            def _serve(self, route: Route | None) -> None:
                if site.hold_s:
                    time.sleep(site.hold_s)
                if route is None:
                    self._send(404, b"not found", "text/plain")
                    return
                if route.delay_s:
                    time.sleep(route.delay_s)
                if route.status == 200 and self._not_modified(route):
                    self.send_response(304)
                    self._validators(route)
                    self.end_headers()
                    return
                if route.stream_bytes:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.end_headers()
                    sent = 0
                    while sent < route.stream_bytes:
                        n = min(65536, route.stream_bytes - sent)
                        self.wfile.write(b"x" * n)
                        sent += n
                    return
                self.send_response(route.status)
                if route.location:
                    self.send_header("Location", route.location)
                self._validators(route)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def _not_modified(self, route: Route) -> bool:
                tag = self.headers.get("If-None-Match")
                since = self.headers.get("If-Modified-Since")
                if route.etag and tag:
                    return tag == route.etag
                return bool(route.last_modified and since and since == route.last_modified)

            def _validators(self, route: Route) -> None:
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


# -- invented content --------------------------------------------------------------
def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 feed: items are (link, title, RFC 2822 date)."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><pubDate>{d}</pubDate></item>" for link, t, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{escape(title)}</title><link>http://127.0.0.1/</link>{entries}</channel></rss>'


def sitemap(urls: list[tuple[str, str]]) -> str:
    """A urlset: (loc, lastmod YYYY-MM-DD)."""
    body = "".join(f"<url><loc>{escape(u)}</loc><lastmod>{d}</lastmod></url>" for u, d in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'


def sitemap_index(children: list[str]) -> str:
    body = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>" for u in children)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>'


def article_page(title: str, paragraphs: list[str], *, date: str | None = None, site: str | None = None) -> str:
    meta = ""
    if date:
        meta += f'<meta property="article:published_time" content="{date}">'
    if site:
        meta += f'<meta property="og:site_name" content="{escape(site)}">'
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{escape(title)}</title>{meta}</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{escape(title)}</h1>{body}</article><footer>Invented for tests.</footer></body></html>"
    )


# Invented sentences about an invented place; recombined into articles.
SENTENCES = [
    "Negotiators from Varland and Ostrevia met in the lakeside town of Meridal on Tuesday to resume talks over the Kessel river dam.",
    "The dam, finished last spring, has cut the flow of water reaching farms downstream by nearly a third, according to the Ostrevian water ministry.",
    "Varland's chief negotiator, Anna Koval, told reporters that her delegation had come with new proposals on seasonal release quotas.",
    "Ostrevian officials said they would study the proposals but warned that no agreement was likely before the harvest season.",
    "Farmers in the Brenna valley have staged protests for three weeks, blocking the main road to the capital with tractors.",
    "A spokesman for the regional council, Piet Draaver, said the blockade would continue until water deliveries were restored.",
    "Observers from the Northern Rivers Commission attended the session and described the atmosphere as constructive.",
    "The commission has offered to monitor water levels at the dam independently if both governments agree.",
    "Previous rounds of talks collapsed in March after the two sides disagreed over how to measure the river's flow.",
    "Koval said the talks would continue on Thursday and that both delegations had agreed not to brief the press in the meantime.",
    "Ostrevia's deputy foreign minister, Lena Marsh, said her government remained committed to a settlement based on shared data.",
    "Engineers estimate that the reservoir behind the dam will be full by the end of the summer.",
]


def invented_paragraphs(seed: int, n: int = 5) -> list[str]:
    """Paragraphs recombined from SENTENCES, different for each seed (and tagged with it,
    so every article's text is unique)."""
    k = len(SENTENCES)
    out = []
    for i in range(n):
        a, b = SENTENCES[(seed * 7 + i * 3) % k], SENTENCES[(seed * 5 + i * 2 + 1) % k]
        out.append(f"{a} {b}")
    out.append(f"This report, number {seed}, was filed from Meridal.")
    return out
