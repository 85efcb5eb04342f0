"""The watch loop: poll each source when it is due, fetch the pages it lists that the
store has not seen, ingest them, log every outcome, sleep until the next source is due.

Threads: the store (SQLite) and the NLP stay on the calling thread; fetching runs on an
asyncio loop in a second thread, so pages keep arriving while a batch is annotated.

Resuming: everything the loop must remember is in the store (``fetch_state``): the
validators of each feed (a restarted watch sends conditional GETs, and waits out the
rest of each source's interval), and every page URL with its outcome and article id,
so a page is fetched once. A page that failed for a reason that may pass (a timeout, a
5xx, a 403) is tried again on later polls, ``MAX_PAGE_ATTEMPTS`` times in all.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import hashlib
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

from chorus.config import Settings
from chorus.errors import InputError
from chorus.models import RawDocument
from chorus.read.common import one_line
from chorus.store import Store
from chorus.store.base import FetchState
from chorus.watch.discover import Link, Listing, page_document, parse_feed, parse_sitemap
from chorus.watch.fetch import Fetched, FetchFailed, Fetcher, FetchPolicy, NotModified, Outcome
from chorus.watch.sources import Defaults, Source, SourcesFile

MAX_PAGE_ATTEMPTS = 3
BATCH = 200  # pages per ingest call: starting the annotation processes costs ~1 s a call
MAX_WAIT_S = 5.0  # a fetched page waits at most this long for its batch to fill
MAX_SITEMAP_DEPTH = 2  # an index of indexes of sitemaps, no deeper
DONE = frozenset({"ok", "rejected", "disallowed", "failed", "unchanged"})  # page states never fetched again

T = TypeVar("T")


@dataclass(frozen=True)
class WatchEvent:
    """One thing the watch did, for the caller to show (the store keeps the log)."""

    kind: str  # polled | not_modified | poll_error | ingested | already | rejected | error | disallowed
    source: str
    url: str
    detail: str = ""  # the article id and title, or the one-line reason
    article_id: str | None = None


@dataclass(frozen=True)
class CycleReport:
    polled: tuple[str, ...]  # source names
    ingested: tuple[str, ...]  # article ids
    events: tuple[WatchEvent, ...]

    @property
    def errors(self) -> tuple[WatchEvent, ...]:
        return tuple(e for e in self.events if e.kind in ("poll_error", "error", "disallowed", "rejected"))


def policy_of(defaults: Defaults) -> FetchPolicy:
    """The fetcher's settings from the sources file's ``[defaults]`` (same names)."""
    return FetchPolicy(**{f.name: getattr(defaults, f.name) for f in fields(FetchPolicy) if hasattr(defaults, f.name)})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class _LoopThread:
    """An asyncio event loop on its own thread; coroutines are submitted to it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="chorus-watch-fetch", daemon=True)
        self.thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> cf.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@dataclass
class _Page:
    """A page to fetch, and where it was found."""

    source: Source
    link: Link
    state: FetchState | None
    conditional: bool = False  # a listed page (kind = "page") is polled with validators


@dataclass
class _PageResult:
    page: _Page
    outcome: Outcome
    document: RawDocument | None = None
    reason: str = ""  # why the fetched page is not an article
    done_at: float = field(default_factory=time.monotonic)


class Watcher:
    """The state of one watch run. ``watch()`` is the usual way in."""

    def __init__(
        self,
        sources: SourcesFile,
        store: Store,
        settings: Settings,
        *,
        policy: FetchPolicy | None = None,
        on_event: Callable[[WatchEvent], None] | None = None,
        after_cycle: Callable[[Store], None] | None = None,
        stop: threading.Event | None = None,
        batch: int = BATCH,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        self.sources = sources.enabled
        # Annotation runs in this process: the annotation pool forks, and a process
        # forked while the fetch thread runs can inherit a lock that thread held and
        # hang (seen in bench/watch.py). A pool started before the fetch thread, and
        # kept, would give the second core back to the NLP.
        self.store, self.settings = store, replace(settings, workers=1)
        self.policy = policy or policy_of(sources.defaults)
        self.on_event, self.after_cycle = on_event, after_cycle
        self.stop = stop or threading.Event()
        self.batch, self.max_wait_s = batch, max_wait_s
        states = store.fetch_states(s.url for s in self.sources)
        # a restarted watch waits out what is left of each source's interval
        self.next_due = {
            s.name: _epoch(states[s.url].fetched_at) + s.interval_s if s.url in states else 0.0 for s in self.sources
        }

    # -- the loop -------------------------------------------------------------
    def run(self, *, once: bool = False) -> list[CycleReport]:
        reports: list[CycleReport] = []
        runner = _LoopThread()
        fetcher = runner.submit(_make_fetcher(self.policy)).result()
        try:
            while not self.stop.is_set():
                due = self.sources if once else [s for s in self.sources if self.next_due[s.name] <= time.time()]
                if due:
                    reports.append(self.cycle(due, runner, fetcher))
                if once or not self.sources:
                    break
                wait = min(self.next_due.values()) - time.time()
                if wait > 0:
                    self.stop.wait(wait)
        finally:
            runner.submit(fetcher.__aexit__()).result()
            runner.close()
        return reports

    def cycle(self, due: Sequence[Source], runner: _LoopThread, fetcher: Fetcher) -> CycleReport:
        """Poll ``due`` sources and fetch the new pages each lists as soon as it is
        polled; ingest the fetched pages in batches while the next ones download."""
        events: list[WatchEvent] = []
        ingested: list[str] = []
        for source in due:
            self.next_due[source.name] = time.time() + source.interval_s
        pending: dict[cf.Future, tuple[Source, str, int, FetchState | None] | None] = {}  # None: a page
        seen: set[str] = set()  # page URLs taken this cycle

        def poll(items: list[tuple[Source, str, int]]) -> None:
            states = self.store.fetch_states(url for _s, url, _d in items)
            for source, url, depth in items:
                state = states.get(url)
                future = runner.submit(fetcher.get(url, expect="html" if source.kind == "page" else "xml",
                                                   etag=state.etag if state else None,
                                                   last_modified=state.last_modified if state else None))  # fmt: skip
                pending[future] = (source, url, depth, state)

        def fetch_pages(pages: list[_Page], prefetched: Fetched | None = None) -> None:
            for page in pages:
                pending[runner.submit(_fetch_page(fetcher, page, prefetched))] = None

        def polled(source: Source, url: str, depth: int, state: FetchState | None, outcome: Outcome) -> None:
            if source.kind == "page":
                page = self._poll_page(source, outcome, state, events)
                if page is not None and url not in seen:
                    seen.add(url)
                    fetch_pages([page], outcome if isinstance(outcome, Fetched) else None)
                return
            listing = self._record_poll(source, url, outcome, state, events)
            if listing is None:
                return
            states = self.store.fetch_states(link.url for link in listing.links)
            pages = []
            for link in listing.links:
                old = states.get(link.url)
                if link.url in seen or (old and (old.status in DONE or old.attempts >= MAX_PAGE_ATTEMPTS)):
                    continue
                seen.add(link.url)
                pages.append(_Page(source, link, old))
            fetch_pages(pages)
            if listing.sitemaps and depth < MAX_SITEMAP_DEPTH:
                poll([(source, child, depth + 1) for child in listing.sitemaps])

        poll([(s, s.url, 0) for s in due])
        ready: list[_PageResult] = []
        try:
            while (pending or ready) and not self.stop.is_set():
                timeout = max(0.0, ready[0].done_at + self.max_wait_s - time.monotonic()) if ready else None
                done, _ = cf.wait(list(pending), timeout=timeout, return_when=cf.FIRST_COMPLETED) if pending else (set(), set())
                for future in done:
                    what = pending.pop(future)
                    if what is not None:
                        polled(*what, future.result())
                        continue
                    result = future.result()
                    if isinstance(result.outcome, FetchFailed):
                        self._page_failed(result.page, result.outcome, events)
                    elif result.document is None:
                        self._record(self._page_state(result, "rejected", reason=result.reason), "rejected", events, result.reason)
                    else:
                        ready.append(result)
                if ready and (len(ready) >= self.batch or not pending or time.monotonic() - ready[0].done_at >= self.max_wait_s):
                    ingested += self._ingest(ready[: self.batch], events)
                    ready = ready[self.batch :]
        finally:
            for future in pending:  # stopped: what was not ingested is fetched again next time
                future.cancel()
        if ingested and self.after_cycle is not None:
            self.after_cycle(self.store)
        return CycleReport(tuple(s.name for s in due), tuple(ingested), tuple(events))

    # -- polling --------------------------------------------------------------
    def _record_poll(self, source: Source, url: str, outcome: Outcome, state: FetchState | None, events: list[WatchEvent]) -> Listing | None:
        now = _now()
        if isinstance(outcome, NotModified):
            self._record(FetchState(url, source.name, "not_modified", now, outcome.etag, outcome.last_modified,
                                    content_hash=state.content_hash if state else None), "not_modified", events)  # fmt: skip
            return None
        if isinstance(outcome, FetchFailed):
            previous = state.attempts if state and state.status == "error" else 0
            self._record(FetchState(url, source.name, "error", now, state.etag if state else None,
                                    state.last_modified if state else None, attempts=previous + 1, reason=outcome.reason),
                         "poll_error", events, outcome.reason)  # fmt: skip
            return None
        digest = hashlib.sha256(outcome.body).hexdigest()
        try:
            listing = (parse_sitemap if source.kind == "sitemap" else parse_feed)(outcome.body, outcome.final_url)
        except InputError as exc:
            self._record(FetchState(url, source.name, "error", now, reason=one_line(exc)), "poll_error", events, one_line(exc))
            return None
        n = len(listing.links) or len(listing.sitemaps)
        what = "sitemaps" if listing.sitemaps and not listing.links else "links"
        self._record(FetchState(url, source.name, "ok", now, outcome.etag, outcome.last_modified, content_hash=digest),
                     "polled", events, f"{n} {what}")  # fmt: skip
        return listing

    def _poll_page(self, source: Source, outcome: Outcome, state: FetchState | None, events: list[WatchEvent]) -> _Page | None:
        """A listed page: unchanged (304 or the same bytes) is logged; a changed page is
        returned, to be ingested as a new version; a failure is a poll error."""
        now = _now()
        url = source.url
        if isinstance(outcome, NotModified) or (
            isinstance(outcome, Fetched) and state and state.content_hash == hashlib.sha256(outcome.body).hexdigest()
        ):
            etag = outcome.etag or (state.etag if state else None)
            modified = outcome.last_modified or (state.last_modified if state else None)
            self._record(FetchState(url, source.name, state.status if state else "ok", now, etag, modified,
                                    state.article_id if state else None, state.content_hash if state else None),
                         "not_modified", events)  # fmt: skip
            return None
        if isinstance(outcome, FetchFailed):
            self._page_failed(_Page(source, Link(url), state), outcome, events, poll=True)
            return None
        return _Page(source, Link(url), state, conditional=True)

    # -- pages ----------------------------------------------------------------
    def _ingest(self, results: list[_PageResult], events: list[WatchEvent]) -> list[str]:
        from chorus.pipeline import ingest_documents

        report = ingest_documents([r.document for r in results if r.document], self.store, self.settings)
        added = set(report.added)
        reasons = {r.source: r.reason for r in [*report.rejected, *report.already]}
        for r in results:
            url = r.page.link.url
            article_id = report.article_of.get(url)
            if article_id in added:
                title = r.document.title if r.document and r.document.title else ""
                self._record(self._page_state(r, "ok", article_id), "ingested", events, f"{article_id} {title}".strip(), article_id)
            elif article_id:
                self._record(self._page_state(r, "ok", article_id), "already", events, reasons.get(url, f"already stored as {article_id}"), article_id)
            else:
                reason = reasons.get(url, "not stored")
                kind = "already" if reason.startswith("same article as") else "rejected"
                self._record(self._page_state(r, "rejected", reason=reason), kind, events, reason)
        return [i for i in report.added]

    def _page_state(self, r: _PageResult, status: str, article_id: str | None = None, reason: str = "") -> FetchState:
        out = r.outcome
        assert isinstance(out, Fetched)
        return FetchState(r.page.link.url, r.page.source.name, status, _now(), out.etag, out.last_modified, article_id,
                          hashlib.sha256(out.body).hexdigest(), 1, reason)  # fmt: skip

    def _page_failed(self, page: _Page, outcome: FetchFailed, events: list[WatchEvent], *, poll: bool = False) -> None:
        state = page.state
        if outcome.disallowed:
            status, kind = "disallowed", "disallowed"
        else:
            status, kind = ("failed" if outcome.permanent else "error"), "error"
        previous = state.attempts if state and state.status == "error" else 0
        keep = state if state and state.status in ("ok", "unchanged") else None  # a listed page keeps its last good version
        self._record(
            FetchState(page.link.url, page.source.name, keep.status if keep else status, _now(),
                       keep.etag if keep else None, keep.last_modified if keep else None,
                       keep.article_id if keep else None, keep.content_hash if keep else None,
                       previous + 1, outcome.reason),
            "poll_error" if poll else kind, events, outcome.reason,
        )  # fmt: skip

    def _record(self, state: FetchState, outcome: str, events: list[WatchEvent], detail: str = "", article_id: str | None = None) -> None:
        self.store.record_fetch(state, outcome, detail if outcome not in ("ingested", "already", "polled") else "")
        event = WatchEvent(outcome, state.source, state.url, detail, article_id)
        events.append(event)
        if self.on_event is not None:
            self.on_event(event)


async def _make_fetcher(policy: FetchPolicy) -> Fetcher:
    return Fetcher(policy)


async def _fetch_page(fetcher: Fetcher, page: _Page, prefetched: Fetched | None = None) -> _PageResult:
    if prefetched is not None:
        outcome: Outcome = prefetched
    else:
        outcome = await fetcher.get(page.link.url, expect="html")
    if not isinstance(outcome, Fetched):
        if isinstance(outcome, NotModified):  # only a listed page is asked conditionally, and it is polled, not here
            return _PageResult(page, FetchFailed(page.link.url, "304 Not Modified without a conditional request"))
        return _PageResult(page, outcome)
    try:
        doc = await asyncio.to_thread(page_document, outcome.body, page.link.url, outcome.final_url, page.link, page.source.outlet)
    except InputError as exc:
        return _PageResult(page, outcome, reason=one_line(exc))
    except Exception as exc:  # noqa: BLE001 - one odd page must not stop the watch
        return _PageResult(page, outcome, reason=f"could not be read ({type(exc).__name__}: {one_line(exc)})")
    return _PageResult(page, outcome, doc)


def watch(
    sources: SourcesFile,
    store: Store,
    settings: Settings,
    *,
    once: bool = False,
    stop: threading.Event | None = None,
    on_event: Callable[[WatchEvent], None] | None = None,
    after_cycle: Callable[[Store], None] | None = None,
    policy: FetchPolicy | None = None,
    batch: int = BATCH,
) -> list[CycleReport]:
    """Poll ``sources`` until ``stop`` is set (``once``: every enabled source once,
    now, then return). ``on_event`` sees every outcome as it happens; ``after_cycle``
    is called with the store after each cycle that ingested an article. The store and
    the NLP are used on the calling thread only."""
    watcher = Watcher(sources, store, settings, policy=policy, on_event=on_event, after_cycle=after_cycle, stop=stop, batch=batch)
    return watcher.run(once=once)
