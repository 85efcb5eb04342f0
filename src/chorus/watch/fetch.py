"""A polite asynchronous fetcher on httpx.

Politeness, per host (scheme, host and port, as robots.txt is scoped):
- at most ``per_host_concurrency`` requests in flight, and request starts at least
  ``per_host_delay_s`` apart (or the host's robots.txt ``Crawl-delay``, capped at 60 s);
- robots.txt fetched once per host and kept for a day (RFC 9309): a 4xx or a missing
  file allows everything; a 5xx or an unreachable robots.txt makes the host wait
  (``ROBOTS_RETRY_S``) before anything else is fetched from it;
- conditional GETs from the stored ETag / Last-Modified (a 304 is "not modified");
- retries only for a timeout, a connection failure, a 5xx or a 429, with exponential
  backoff, or the server's Retry-After when it says so (capped at ``max_backoff_s``).

Robustness: a whole-request deadline (a server that drips bytes slowly times out
too), redirects followed by hand (each hop checked against robots.txt, a loop named as
such, at most ``max_redirects``), the body read as a stream and cut off at
``max_bytes`` (a Content-Length over it is refused before reading), and the content
type checked against what the caller expects. Every outcome is a value: ``Fetched``,
``NotModified`` or ``FetchFailed`` with a one-line reason; nothing raises.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
import urllib.robotparser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import httpx

ROBOTS_TTL_S = 24 * 3600.0
ROBOTS_RETRY_S = 300.0  # a host whose robots.txt answered 5xx is left alone this long
MAX_CRAWL_DELAY_S = 60.0
REDIRECTS = frozenset({301, 302, 303, 307, 308})

# What each kind of fetch accepts (the media type, parameters dropped). Feeds are often
# served as text/html or text/plain by misconfigured servers, so feeds accept any text.
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
ROBOTS_TYPES = frozenset({"text/plain"})


@dataclass(frozen=True)
class FetchPolicy:
    per_host_concurrency: int = 2
    per_host_delay_s: float = 1.0
    timeout_s: float = 20.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 3
    user_agent: str = "chorus (news watch)"
    backoff_s: float = 1.0  # first retry waits this long, then twice as long each time
    max_backoff_s: float = 120.0


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked
    final_url: str  # after redirects
    status: int
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class NotModified:
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FetchFailed:
    url: str
    reason: str  # one line: "403 Forbidden", "timed out after 20 s", ...
    status: int | None = None
    permanent: bool = False  # worth no retry on a later poll (404, 410, robots.txt)
    disallowed: bool = False


Outcome = Fetched | NotModified | FetchFailed


class _Failure(Exception):
    def __init__(self, reason: str, *, status: int | None = None, retry: bool = False, retry_after: float | None = None,
                 permanent: bool = False, disallowed: bool = False) -> None:  # fmt: skip
        super().__init__(reason)
        self.reason, self.status, self.retry, self.retry_after = reason, status, retry, retry_after
        self.permanent, self.disallowed = permanent, disallowed


@dataclass
class _Host:
    """One host's politeness state."""

    slots: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0  # monotonic time before which no request may start
    delay_s: float = 0.0
    robots: urllib.robotparser.RobotFileParser | None = None
    robots_until: float = 0.0  # robots.txt is fetched again after this
    robots_failed: str | None = None  # while set (and before robots_until), the host is not fetched
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB" if n >= 1000 else f"{n} bytes"


def _status_reason(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _retry_after(value: str | None) -> float | None:
    """Retry-After: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def accepts(expect: str, media_type: str) -> bool:
    """Whether a response of ``media_type`` can be what the caller expects: "html"
    (article pages), "xml" (feeds and sitemaps; any text or XML type), "robots"."""
    if not media_type:
        return True  # no Content-Type: let the parser decide
    if expect == "html":
        return media_type in HTML_TYPES
    if expect == "robots":
        return media_type.startswith("text/")
    return media_type.startswith("text/") or media_type.endswith(("/xml", "+xml")) or media_type in (
        "application/x-gzip", "application/gzip", "application/octet-stream")  # fmt: skip  # gzipped sitemaps


class Fetcher:
    """Use as ``async with Fetcher(policy) as f: outcome = await f.get(url)``; one per
    event loop. ``transport`` is for tests (an httpx transport)."""

    def __init__(self, policy: FetchPolicy = FetchPolicy(), *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.policy = policy
        self._hosts: dict[str, _Host] = {}
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=200)
        self._client = httpx.AsyncClient(
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(policy.timeout_s),
            follow_redirects=False,
            limits=limits,
            transport=transport,
            trust_env=False,  # never send a watched site's requests through an env proxy by surprise
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    # -- public ---------------------------------------------------------------
    async def get(self, url: str, *, expect: str = "html", etag: str | None = None, last_modified: str | None = None) -> Outcome:
        """Fetch ``url`` politely; never raises for a network or HTTP problem."""
        try:
            return await self._get(url, expect, etag, last_modified)
        except _Failure as f:
            return FetchFailed(url, f.reason, f.status, f.permanent, f.disallowed)
        except httpx.InvalidURL as exc:
            return FetchFailed(url, f"invalid URL ({exc})", permanent=True)

    async def allowed(self, url: str) -> bool:
        """Whether robots.txt lets us fetch ``url`` (fetching robots.txt if needed).
        A host whose robots.txt failed with a 5xx counts as not allowed for now."""
        try:
            await self._check_robots(url)
        except _Failure:
            return False
        return True

    # -- internals ------------------------------------------------------------
    def _host(self, url: str) -> _Host:
        key = host_key(url)
        if key not in self._hosts:
            self._hosts[key] = _Host(asyncio.Semaphore(self.policy.per_host_concurrency), delay_s=self.policy.per_host_delay_s)
        return self._hosts[key]

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots, starting no sooner than its delay allows."""
        host = self._host(url)
        async with host.slots:
            async with host.lock:
                loop = asyncio.get_running_loop()
                wait = host.next_start - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                host.next_start = loop.time() + host.delay_s
            yield

    async def _get(self, url: str, expect: str, etag: str | None, last_modified: str | None) -> Outcome:
        seen = [url]
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            await self._check_robots(current)
            headers = {}
            if current == url:  # validators belong to the URL they were stored for
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
            result = await self._with_retries(current, expect, headers)
            if isinstance(result, str):  # a redirect
                target = urljoin(current, result)
                if urlsplit(target).scheme not in ("http", "https"):
                    raise _Failure(f"redirected to a non-HTTP URL {target}", permanent=True)
                if target in seen:
                    raise _Failure(f"redirect loop ({' -> '.join([*seen[seen.index(target):], target])})", permanent=True)
                seen.append(target)
                current = target
                continue
            if isinstance(result, NotModified):
                return NotModified(url, result.etag or etag, result.last_modified or last_modified)
            return Fetched(url, current, result.status, result.body, result.content_type, result.etag, result.last_modified)
        raise _Failure(f"more than {self.policy.max_redirects} redirects", permanent=True)

    async def _with_retries(self, url: str, expect: str, headers: dict[str, str]) -> Fetched | NotModified | str:
        attempt = 0
        while True:
            try:
                return await self._once(url, expect, headers)
            except _Failure as f:
                if not f.retry or attempt >= self.policy.retries:
                    if attempt:
                        f.reason += f" (after {attempt + 1} tries)"
                    raise
                wait = self.policy.backoff_s * 2**attempt
                if f.retry_after is not None:
                    wait = max(wait, f.retry_after)
                await asyncio.sleep(min(wait, self.policy.max_backoff_s))
                attempt += 1

    async def _once(self, url: str, expect: str, headers: dict[str, str]) -> Fetched | NotModified | str:
        limit = self.policy.max_bytes
        async with self._slot(url):
            try:
                async with asyncio.timeout(self.policy.timeout_s):
                    async with self._client.stream("GET", url, headers=headers) as response:
                        status = response.status_code
                        if status in REDIRECTS:
                            location = response.headers.get("Location")
                            if not location:
                                raise _Failure(f"{_status_reason(status)} without a Location header", status=status)
                            return location
                        if status == 304:
                            return NotModified(url, response.headers.get("ETag"), response.headers.get("Last-Modified"))
                        if status == 429 or status >= 500:
                            raise _Failure(_status_reason(status), status=status, retry=True,
                                           retry_after=_retry_after(response.headers.get("Retry-After")))  # fmt: skip
                        if status >= 400 or status < 200 or status == 204:
                            raise _Failure(_status_reason(status), status=status, permanent=status in (404, 410))
                        media_type = _media_type(response.headers.get("Content-Type"))
                        if not accepts(expect, media_type):
                            what = {"html": "an HTML page", "robots": "a robots.txt"}.get(expect, "a feed or sitemap")
                            raise _Failure(f"content type {media_type} is not {what}", status=status, permanent=True)
                        declared = response.headers.get("Content-Length", "")
                        if declared.isdigit() and int(declared) > limit:
                            raise _Failure(f"body over {_size(limit)} (Content-Length {int(declared):,})", status=status)
                        chunks, size = [], 0
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > limit:
                                raise _Failure(f"body over {_size(limit)}", status=status)
                            chunks.append(chunk)
                        return Fetched(url, url, status, b"".join(chunks), media_type,
                                       response.headers.get("ETag"), response.headers.get("Last-Modified"))  # fmt: skip
            except TimeoutError:
                raise _Failure(f"timed out after {self.policy.timeout_s:g} s", retry=True) from None
            except httpx.TimeoutException:
                raise _Failure(f"timed out after {self.policy.timeout_s:g} s", retry=True) from None
            except httpx.ConnectError as exc:
                raise _Failure(f"cannot connect ({_one_line(exc) or 'connection refused'})", retry=True) from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                raise _Failure(f"connection broken ({_one_line(exc) or type(exc).__name__})", retry=True) from None
            except httpx.DecodingError as exc:
                raise _Failure(f"cannot decode the body ({_one_line(exc)})") from None

    async def _check_robots(self, url: str) -> None:
        host = self._host(url)
        loop = asyncio.get_running_loop()
        if loop.time() >= host.robots_until:
            await self._load_robots(url, host)
        if host.robots_failed:
            raise _Failure(host.robots_failed)
        if host.robots is not None and not host.robots.can_fetch(self.policy.user_agent, url):
            raise _Failure("disallowed by robots.txt", permanent=True, disallowed=True)

    async def _load_robots(self, url: str, host: _Host) -> None:
        async with host.robots_lock:  # one robots.txt fetch per host at a time
            loop = asyncio.get_running_loop()
            if loop.time() < host.robots_until:  # another task loaded it meanwhile
                return
            robots_url = urljoin(host_key(url) + "/", "/robots.txt")
            result: Fetched | NotModified | str | _Failure = robots_url
            try:
                for _hop in range(6):  # RFC 9309: follow at least five redirects
                    if not isinstance(result, str):
                        break
                    robots_url = urljoin(robots_url, result)
                    result = await self._with_retries(robots_url, "robots", {})
            except _Failure as f:
                result = f
            host.robots, host.robots_failed = None, None
            if isinstance(result, _Failure) and (result.status is None or result.status >= 500 or result.status == 429):
                # a 5xx, a 429, a timeout, no connection: the site may be down or overloaded
                host.robots_failed = f"robots.txt unavailable ({result.reason}); host skipped for now"
                host.robots_until = loop.time() + ROBOTS_RETRY_S
                return
            if isinstance(result, Fetched):
                parser = urllib.robotparser.RobotFileParser(robots_url)
                parser.parse(result.body.decode("utf-8", "replace").splitlines())
                host.robots = parser
                delay = parser.crawl_delay(self.policy.user_agent)
                if delay:
                    host.delay_s = max(self.policy.per_host_delay_s, min(float(delay), MAX_CRAWL_DELAY_S))
            # otherwise a 4xx (no robots.txt: everything allowed), endless redirects, or
            # an answer that is no robots.txt (oversized, not text): no rules either
            host.robots_until = loop.time() + ROBOTS_TTL_S


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
