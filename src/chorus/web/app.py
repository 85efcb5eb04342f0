"""The FastAPI app: server-rendered pages and the JSON API under /api/v1/.

Reads never run the analysis when the store has a fresh cached briefing (computed at
ingest); writes (ingest, delete) need ``Authorization: Bearer $CHORUS_TOKEN`` and are
off when no token is configured.
"""

from __future__ import annotations

import gc
import gzip
import hmac
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from dataclasses import replace
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from chorus import __version__, pipeline
from chorus.config import Settings, default_db
from chorus.errors import ChorusError, StoreError
from chorus.analyze.entities import name_forms
from chorus.store import open_store
from chorus.store.base import ArticleNotFound, CachedBriefing, Store, StoryQuery, StoryRow
from chorus.web import export as exports
from chorus.web import ingest as ingesting
from chorus.web import schemas as m
from chorus.web.highlight import snippet_html
from chorus.changes import iso, parse_since
from chorus.render.changes import AtomEntry, atom_feed, story_markdown, summary_line, tag_uri
from chorus.web.views import article_json, article_view, changes_view, entity_href, story_view

log = logging.getLogger("chorus.web")

API = "/api/v1"
MAX_LIMIT = 200
SORTS = ("recent", "size", "updated")
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]
PageNo = Annotated[int, Query(alias="page", ge=1, le=100_000)]
# Pages link only to themselves; no inline script or style runs, whatever an article says.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


@dataclass(frozen=True)
class WebOptions:
    """How the server behaves beyond the store settings."""

    token: str = ""  # CHORUS_TOKEN; empty: writes are disabled
    max_body_bytes: int = 64 * 1024 * 1024  # a whole request (uploads included)
    max_urls: int = 50  # URLs fetched by one ingest request
    fetch_timeout: float = 20.0  # seconds per URL
    upload_dir: str = ""  # where accepted uploads are kept; empty: "<db>-uploads" beside the store
    page_size: int = 50  # rows per listing page
    rendered_pages: int = 256  # story pages kept rendered in memory

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebOptions:
        env = os.environ if env is None else env
        return cls(token=env.get("CHORUS_TOKEN", "").strip())


class ApiError(StarletteHTTPException):
    """An error with a stable machine-readable ``code`` (see docs/WEB.md)."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None) -> None:
        super().__init__(status_code=status, detail=message)
        self.code = code
        self.details = details


_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid_request",
    500: "internal", 503: "unavailable",
}  # fmt: skip


class _BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "too_large", f"request body over the {limit:,}-byte limit; send fewer or smaller files")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes: at once from Content-Length, else
    while streaming (the parser then stops; nothing more is read or written)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await _send_error(scope, send, _BodyTooLarge(self.limit))
            return
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


class SecurityHeaders:
    """CSP and friends on every response (a pure ASGI wrapper: no per-request task)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, with_headers)


async def _send_error(scope: dict, send: Any, exc: ApiError) -> None:
    body = json.dumps(_error_body(exc.status_code, exc.code, str(exc.detail))).encode()
    await send({"type": "http.response.start", "status": exc.status_code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *SECURITY_HEADERS]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _error_body(status: int, code: str, message: str, details: list | None = None) -> dict:
    error: dict[str, Any] = {"status": status, "code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


@dataclass(frozen=True)
class Packed:
    """A rendered answer kept in memory, with its gzip form for clients that take it."""

    body: bytes
    gz: bytes | None
    media_type: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Packed:
        # compressed once when rendered, not per request; small answers are not worth it
        return cls(body, gzip.compress(body, 6) if len(body) > 2048 else None, media_type)

    def response(self, request: Request, status: int = 200) -> Response:
        headers = {"vary": "accept-encoding"}
        if self.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
            headers["content-encoding"] = "gzip"
            return Response(self.gz, status_code=status, media_type=self.media_type, headers=headers)
        return Response(self.body, status_code=status, media_type=self.media_type, headers=headers)


HTML = "text/html; charset=utf-8"


def upload_dir_for(db: str) -> Path:
    """Where uploads are kept by default: beside an SQLite file (``chorus-uploads`` for
    ``chorus.db``); for a PostgreSQL database, in chorus's data directory, one folder
    per server and database."""
    from chorus.store import display_location

    if db.lower().startswith(("postgresql://", "postgres://")):
        name = re.sub(r"[^\w.-]+", "_", display_location(db).partition("://")[2]).strip("_")
        return Path(default_db()).parent / "uploads" / (name or "postgresql")
    path = Path(db[len("sqlite://"):] if db.lower().startswith("sqlite://") else db)
    return path.with_name(path.stem + "-uploads")


class Backend:
    """The app's state: one store connection per worker thread, the rendered-page
    cache, and locks so one story's briefing is computed once at a time."""

    def __init__(self, settings: Settings, options: WebOptions) -> None:
        self.settings, self.options = settings, options
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()
        self._story_locks: dict[str, threading.Lock] = {}
        self._pages: OrderedDict[tuple, Packed] = OrderedDict()
        self.ingest_lock = threading.Lock()
        self.upload_root = Path(options.upload_dir) if options.upload_dir else upload_dir_for(settings.db_path)

    def store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.settings.db_path)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        with self._lock:
            for store in self._opened:
                try:
                    store.close()
                except Exception:  # another thread's connection: the process ends anyway
                    pass
            self._opened.clear()

    def lock_for(self, key: str) -> threading.Lock:
        """One lock per key (a story id, "render:<id>"), made on first use."""
        with self._lock:
            return self._story_locks.setdefault(key, threading.Lock())

    def briefing(self, story_id: str) -> tuple[StoryRow, CachedBriefing]:
        """The story and its cached briefing, computed now if missing or stale."""
        store = self.store()
        row = store.get_story(story_id)
        cached = store.get_briefing(row.id)
        if cached is not None and cached.computed_at >= row.updated_at:
            return row, cached
        with self.lock_for(row.id):  # others wanting the same story wait for this one
            row = store.get_story(row.id)
            cached = store.get_briefing(row.id)
            if cached is None or cached.computed_at < row.updated_at:
                log.info("computing the briefing of story %s (not cached yet)", row.id)
                pipeline.refresh_briefings(store, [row.id], self.settings)
                cached = store.get_briefing(row.id)
        assert cached is not None
        return row, cached

    def rendered(self, key: tuple) -> Packed | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def keep_rendered(self, key: tuple, page: Packed) -> Packed:
        with self._lock:
            self._pages[key] = page
            while len(self._pages) > self.options.rendered_pages:
                self._pages.popitem(last=False)
        return page

    def forget_rendered(self) -> None:
        with self._lock:
            self._pages.clear()


def create_app(settings: Settings, options: WebOptions | None = None) -> FastAPI:
    """The web app over the store ``settings.db_path`` (a file: each worker thread
    opens its own connection). ``options`` default to :meth:`WebOptions.from_env`."""
    options = WebOptions.from_env() if options is None else options
    if settings.db_path in (":memory:", "sqlite://", "sqlite:///:memory:"):
        raise ChorusError("chorus serve needs a store file (--db PATH); an in-memory store would be empty")
    backend = Backend(settings, options)
    env = Environment(
        loader=PackageLoader("chorus", "web/templates"), autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True
    )
    env.globals.update(version=__version__, writes_enabled=bool(options.token), entity_href=entity_href, api=API)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Iterator[None]:  # type: ignore[misc]
        # the modules loaded so far live as long as the server: keeping them out of the
        # collector's full passes shortens the pauses that make the latency tail
        gc.collect()
        gc.freeze()
        yield
        backend.close()

    app = FastAPI(
        title="chorus",
        version=__version__,
        summary="Many news reports of the same events, one cited account.",
        description="Read-only by default. Write endpoints need `Authorization: Bearer $CHORUS_TOKEN`. "
        "Errors are `{\"error\": {\"status\", \"code\", \"message\", \"details\"?}}`. See docs/WEB.md.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN; chorus stays offline
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.backend = backend
    app.add_middleware(BodyLimit, limit=options.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    _errors(app, env)

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**context), status_code=status)

    # -- shared readers (the pages and the API show the same things) --------------
    def story_query(q: str, outlet: str, entity: str, date_from: str, date_to: str, sort: str) -> StoryQuery:
        for name, value in (("from", date_from), ("to", date_to)):
            if value and _day(value) is None:
                raise ApiError(400, "invalid_parameter", f"{name}={value!r} is not a date; write YYYY-MM-DD")
        if sort not in SORTS:
            raise ApiError(400, "invalid_parameter", f"sort={sort!r}: choose one of {', '.join(SORTS)}")
        return StoryQuery(q.strip(), outlet.strip(), entity.strip(), date_from, date_to, sort)

    def story_item(r: StoryRow) -> dict:
        return {**asdict(r), "outlets": list(r.outlets), "page": f"/stories/{r.id}", "api": f"{API}/stories/{r.id}"}

    def next_link(request: Request, offset: int, limit: int, total: int) -> str | None:
        if offset + limit >= total:
            return None
        params = dict(request.query_params)
        params.update(offset=str(offset + limit), limit=str(limit))
        return f"{request.url.path}?{urlencode(params)}"

    def cached_sources(data: Mapping) -> dict[str, str]:
        return backend.store().source_texts(a["id"] for a in data["articles"])

    def require_writer(request: Request, form_token: str | None = None) -> None:
        if not options.token:
            raise ApiError(
                403, "writes_disabled",
                "writes are disabled on this server: restart it with CHORUS_TOKEN=<a secret> to allow ingest and delete",
            )  # fmt: skip
        given = form_token
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            given = header[7:].strip()
        if not given:
            raise ApiError(401, "unauthorized", "this needs Authorization: Bearer <token> (the server's CHORUS_TOKEN)")
        if not hmac.compare_digest(given.encode(), options.token.encode()):
            raise ApiError(401, "unauthorized", "the token does not match the server's CHORUS_TOKEN")

    async def read_ingest_form(request: Request, *, with_token: bool) -> tuple[list[ingesting.Upload], str, str]:
        kind = request.headers.get("content-type", "")
        if not kind.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            raise ApiError(415, "unsupported_media_type", "send multipart/form-data with files and/or a urls field")
        form = await request.form(max_files=200, max_fields=20)
        uploads = [
            ingesting.Upload(f.filename or "", f.file) for f in form.getlist("files") if isinstance(f, UploadFile)
        ]
        urls = form.get("urls", "")
        token = form.get("token", "") if with_token else ""
        return uploads, urls if isinstance(urls, str) else "", token if isinstance(token, str) else ""

    def do_ingest(uploads: list[ingesting.Upload], urls_text: str) -> tuple[int, ingesting.IngestOutcome]:
        urls, refused = ingesting.parse_urls(urls_text, options.max_urls)
        if not uploads and not urls and not refused:
            raise ApiError(400, "no_input", "nothing to ingest: attach files (field 'files') or list URLs (field 'urls')")
        with backend.ingest_lock:  # one ingest at a time: annotation already uses every core
            folder = ingesting.batch_dir(backend.upload_root)
            try:
                saved, bad = ingesting.save_uploads(uploads, folder, backend.settings.max_bytes)
                fetched, unfetched = ingesting.fetch_urls(urls, folder, backend.settings.max_bytes, options.fetch_timeout) if urls else ([], [])
                outcome = ingesting.run_ingest(backend.store(), backend.settings, saved + fetched, [*refused, *bad, *unfetched])
            except ChorusError as exc:
                ingesting.discard(folder)
                raise ApiError(400, "ingest_failed", str(exc)) from None
            if not outcome.added:
                ingesting.discard(folder)
        backend.forget_rendered()
        if outcome.added:
            threading.Thread(target=deliver_alerts, name="chorus-webhooks", daemon=True).start()
        if not outcome.added and not outcome.already:
            return 422, outcome
        return (201 if outcome.added else 200), outcome

    def deliver_alerts() -> None:
        """Send the alert webhooks an upload made due, off the request (a slow or
        failing endpoint never holds the answer up), on a connection of its own."""
        from chorus.alerts import deliver_webhooks

        try:
            with open_store(backend.settings.db_path) as store:
                deliver_webhooks(store, backend.settings)
        except ChorusError as exc:
            log.warning("alert webhooks not sent: %s", exc)

    # -- pages ---------------------------------------------------------------------
    # Hot pages run on the event loop when their answer is cached (one or two indexed
    # reads decide that), and in the thread pool only to render: under load this keeps
    # the latency tail short (no convoy of threads waiting for the GIL).
    @app.get("/", include_in_schema=False)
    @app.get("/stories", include_in_schema=False)
    async def stories_page(
        request: Request,
        q: str = "",
        outlet: str = "",
        entity: str = "",
        date_from: Annotated[str, Query(alias="from")] = "",
        date_to: Annotated[str, Query(alias="to")] = "",
        sort: str = "recent",
        page_no: PageNo = 1,
    ) -> Response:
        query = story_query(q, outlet, entity, date_from, date_to, sort)
        key = ("stories", str(request.url.query), backend.store().generation())
        hit = backend.rendered(key)
        if hit is None:
            params = {k: v for k, v in request.query_params.items() if k != "page"}
            hit = backend.keep_rendered(key, await run_in_threadpool(render_stories, query, page_no, params))
        return hit.response(request)

    def render_stories(query: StoryQuery, page_no: int, params: dict) -> Packed:
        size = options.page_size
        rows, total = backend.store().find_stories(query, limit=size, offset=(page_no - 1) * size)
        html = env.get_template("stories.html").render(
            query=query, rows=rows, total=total, page_no=page_no, pages=max(1, -(-total // size)),
            params=params, outlets=_outlets(backend), sorts=SORTS,
        )  # fmt: skip
        return Packed.of(html.encode(), HTML)

    @app.get("/stories/{story_id}", include_in_schema=False)
    async def story_page(request: Request, story_id: str, since: str = "") -> Response:
        sid, updated, computed = backend.store().story_stamp(story_id)
        if sid != story_id:  # merged away: the story it joined
            return RedirectResponse(f"/stories/{sid}" + (f"?{urlencode({'since': since})}" if since else ""), status_code=301)
        moment = since_param(since) if since else ""
        hit = backend.rendered(page_key(sid, computed, moment)) if computed and computed >= updated else None
        if hit is None:
            hit = await run_in_threadpool(render_story, sid, since, moment)
        return hit.response(request)

    def page_key(sid: str, computed: str | None, moment: str) -> tuple:
        # the latest snapshot is part of the page ("What's new"); a relative ?since=
        # moves with the clock, so such a page is kept for the minute
        latest = backend.store().snapshot_at(sid)
        return ("story", sid, computed, latest.seq if latest else None, moment[:16])

    def render_story(story_id: str, since: str = "", moment: str = "") -> Packed:
        with backend.lock_for(f"render:{story_id}"):  # many readers of a new story: one renders
            sid, updated, computed = backend.store().story_stamp(story_id)
            hit = backend.rendered(page_key(sid, computed, moment)) if computed and computed >= updated else None
            return hit or _render_story(sid, since, moment)

    def _render_story(story_id: str, since: str = "", moment: str = "") -> Packed:
        row, cached = backend.briefing(story_id)
        data = json.loads(cached.json)
        sources = cached_sources(data)
        view = story_view(data, sources, cached.computed_at)
        news_state, news = "", None
        found = story_changes(row.id, moment or None)
        if found is None:
            news_state = "missing" if not moment else "empty"
        elif found["empty"]:
            news_state = "empty"
        else:
            news_state, news = "ok", changes_view(found, data, sources)
            if not moment and news.is_new:  # the whole page is new: the section just says so
                news = replace(news, groups=())
        choices = [("", "the previous update"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")]
        if since and since not in dict(choices):
            choices.append((since, since))
        body = env.get_template("story.html").render(
            story=view, row=row, news=news, news_state=news_state, since=since, since_choices=choices
        ).encode()
        return backend.keep_rendered(page_key(row.id, cached.computed_at, moment), Packed.of(body, HTML))

    def since_param(text: str) -> str:
        try:
            return iso(parse_since(text))
        except ChorusError as exc:
            raise ApiError(400, "invalid_parameter", str(exc)) from None

    def story_changes(story_id: str, since: str | None) -> dict | None:
        """A story's changes since a time, or (``since`` None) since its previous
        snapshot; None when no snapshot of it is recorded."""
        store = backend.store()
        latest = store.snapshot_at(story_id)
        if latest is None:
            return None
        if since is None:
            return json.loads(latest.changes)
        found = pipeline.changes_since(store, since, story_id)
        if found:
            return found[0].to_dict()
        return {**json.loads(latest.changes), "empty": True}

    @app.get("/stories/{story_id}/export/{fmt}", include_in_schema=False)
    def story_export_page(story_id: str, fmt: str) -> Response:
        return _export(story_id, fmt)

    def _export(story_id: str, fmt: str) -> Response:
        if fmt not in exports.FORMATS:
            raise ApiError(404, "not_found", f"no export format {fmt!r}; formats: {', '.join(exports.FORMATS)}")
        row, cached = backend.briefing(story_id)
        data = json.loads(cached.json)
        text = exports.export(data, cached_sources(data), fmt)
        media, suffix = exports.FORMATS[fmt]
        return Response(
            text, media_type=media, headers={"content-disposition": f'attachment; filename="chorus-{row.id}.{suffix}"'}
        )

    @app.get("/articles/{article_id}", include_in_schema=False)
    def article_page(article_id: str, hl: str = "") -> HTMLResponse:
        store = backend.store()
        doc = store.get(article_id)
        story_id = store.story_of(article_id)
        story_title = store.get_story(story_id).title if story_id else None
        return page("article.html", a=article_view(doc, story_id, story_title, _span(hl)))

    @app.get("/entities/{name:path}", include_in_schema=False)
    def entity_page(name: str, page_no: PageNo = 1) -> HTMLResponse:
        data = entity_data(name, limit=options.page_size, offset=(page_no - 1) * options.page_size)
        return page("entity.html", e=data, page_no=page_no, size=options.page_size)

    @app.get("/search", include_in_schema=False)
    async def search_page(request: Request, q: str = "", page_no: PageNo = 1) -> Response:
        key = ("search", q, page_no, backend.store().generation())
        hit = backend.rendered(key)
        if hit is None:
            hit = backend.keep_rendered(key, await run_in_threadpool(render_search, q, page_no))
        return hit.response(request)

    def render_search(q: str, page_no: int) -> Packed:
        size = 20
        found = search_data(q, limit=size, offset=(page_no - 1) * size) if q.strip() else None
        html = env.get_template("search.html").render(q=q, found=found, page_no=page_no, size=size, snippet=snippet_html)
        return Packed.of(html.encode(), HTML)

    @app.get("/ingest", include_in_schema=False)
    def ingest_form() -> HTMLResponse:
        return page("ingest.html", outcome=None, error=None, max_bytes=backend.settings.max_bytes)

    @app.post("/ingest", include_in_schema=False)
    async def ingest_submit(request: Request) -> HTMLResponse:
        try:
            uploads, urls, token = await read_ingest_form(request, with_token=True)
            require_writer(request, token)
            status, outcome = await run_in_threadpool(do_ingest, uploads, urls)
        except ApiError as exc:
            return page("ingest.html", status=exc.status_code, outcome=None, error=str(exc.detail), max_bytes=backend.settings.max_bytes)
        return page("ingest.html", status=status, outcome=outcome, error=None, max_bytes=backend.settings.max_bytes)

    # -- API -------------------------------------------------------------------------
    api = APIRouter(prefix=API, responses={400: {"model": m.ErrorBody}, 404: {"model": m.ErrorBody}, 422: {"model": m.ErrorBody}})

    @api.get("/stories", response_model=None, tags=["stories"], responses={200: {"model": m.StoryList}})
    async def list_stories(
        request: Request,
        q: Annotated[str, Query(description="full-text search over the stories' articles and claims")] = "",
        outlet: Annotated[str, Query(description="only stories with an article from this outlet")] = "",
        entity: Annotated[str, Query(description="only stories whose articles mention this name")] = "",
        date_from: Annotated[str, Query(alias="from", description="YYYY-MM-DD: active on or after")] = "",
        date_to: Annotated[str, Query(alias="to", description="YYYY-MM-DD: active on or before")] = "",
        sort: Annotated[Literal["recent", "size", "updated"], Query()] = "recent",
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response:
        """Stories, filtered and sorted; `next` is the URL of the following page."""
        query = story_query(q, outlet, entity, date_from, date_to, sort)
        key = ("api-stories", str(request.url.query), backend.store().generation())
        hit = backend.rendered(key)
        if hit is None:
            hit = backend.keep_rendered(key, await run_in_threadpool(list_json, request, query, limit, offset))
        return hit.response(request)

    def list_json(request: Request, query: StoryQuery, limit: int, offset: int) -> Packed:
        rows, total = backend.store().find_stories(query, limit=limit, offset=offset)
        body = {"items": [story_item(r) for r in rows], "total": total, "limit": limit, "offset": offset,
                "next": next_link(request, offset, limit, total)}  # fmt: skip
        return Packed.of(json.dumps(body, ensure_ascii=False).encode(), "application/json")

    @api.get("/stories/{story_id}", response_model=None, tags=["stories"],
             responses={200: {"model": m.StoryBriefingOut, "description": "the story's briefing (docs/briefing.md)"}})  # fmt: skip
    async def get_story(request: Request, story_id: str) -> Response:
        """One story's briefing, as `chorus show --format json` writes it, with when it
        was computed. A merged-away id answers with the story it joined."""
        sid, updated, computed = backend.store().story_stamp(story_id)
        hit = backend.rendered(("api-story", story_id, computed)) if computed and computed >= updated else None
        if hit is None:
            hit = await run_in_threadpool(story_json, story_id)
        return hit.response(request)

    def story_json(story_id: str) -> Packed:
        row, cached = backend.briefing(story_id)
        meta = json.dumps({"id": row.id, "requested": story_id, "computed_at": cached.computed_at, "page": f"/stories/{row.id}"})
        # the cached JSON goes out as stored: never parsed and serialised again
        body = f'{{"story": {meta}, "briefing": {cached.json}}}'.encode()
        return backend.keep_rendered(("api-story", story_id, cached.computed_at), Packed.of(body, "application/json"))

    @api.get("/stories/{story_id}/export", tags=["stories"], response_model=None,
             responses={200: {"content": {"text/markdown": {}, "text/html": {}, "text/csv": {}}}})  # fmt: skip
    def export_story(story_id: str, format: Literal["json", "md", "html", "claims.csv", "quotes.csv"] = "json") -> Response:
        """The story as a file: JSON, Markdown, self-contained HTML, or CSV of claims or quotes."""
        return _export(story_id, format)

    @api.get("/articles/{article_id}", response_model=m.ArticleOut, tags=["articles"])
    def get_article(article_id: str) -> dict:
        """An article: metadata, source text, and entities, quotes, time expressions
        and sentences with their source-text offsets."""
        store = backend.store()
        return article_json(store.get(article_id), store.story_of(article_id))

    @api.delete("/articles/{article_id}", response_model=m.Deleted, tags=["articles"],
                responses={401: {"model": m.ErrorBody}, 403: {"model": m.ErrorBody}})  # fmt: skip
    def delete_article(request: Request, article_id: str) -> dict:
        """Remove an article (needs the token); its story's briefing is computed again."""
        require_writer(request)
        store = backend.store()
        story_id = store.delete_article(article_id)
        backend.forget_rendered()
        live = None
        if story_id:
            try:
                live = store.get_story(story_id).id
            except ArticleNotFound:
                live = None  # the story emptied and is gone
        if live:
            pipeline.refresh_briefings(store, [live], backend.settings)
        return {"deleted": article_id, "story": live}

    @api.get("/entities/{name:path}", response_model=m.EntityOut, tags=["entities"])
    def get_entity(name: str, limit: Limit = 50, offset: Offset = 0) -> dict:
        """Everything about a name: how it is tagged, the stories that mention it, and
        the quotes its bearer gave (exact, case-insensitive match)."""
        return entity_data(name, limit=limit, offset=offset)

    @api.get("/search", response_model=m.SearchOut, tags=["search"])
    def search(
        q: Annotated[str, Query(min_length=1, max_length=500, description="words (all must match); \"a phrase\" in quotes")],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> dict:
        """Full-text search over articles (title and text) and the claims of stories."""
        found = search_data(q, limit=limit, offset=offset)
        return {
            "query": q,
            "stories": [story_item(r) for r in found["stories"]],
            "stories_total": found["stories_total"],
            "articles": [_hit(h) for h in found["articles"]],
            "articles_total": found["articles_total"],
            "claims": [_hit(h) for h in found["claims"]],
            "claims_total": found["claims_total"],
            "limit": limit,
            "offset": offset,
        }

    @api.get("/outlets", response_model=list[m.OutletOut], tags=["stories"])
    def list_outlets() -> list[dict]:
        """Every outlet with its number of articles (for the outlet filter)."""
        return [{"outlet": o, "articles": n} for o, n in _outlets(backend)]

    @api.post(
        "/ingest", tags=["ingest"], status_code=201, response_model=m.IngestOut,
        responses={200: {"model": m.IngestOut, "description": "nothing new: every input was stored before"},
                   401: {"model": m.ErrorBody}, 403: {"model": m.ErrorBody}, 413: {"model": m.ErrorBody},
                   415: {"model": m.ErrorBody}},
        openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                          "description": ".txt, .html, .json/.jsonl, RSS/Atom, .tml files"},
                "urls": {"type": "string", "description": "http(s) URLs to fetch, one a line"}}}}}}},
    )  # fmt: skip
    async def ingest(request: Request) -> Response:
        """Add files and/or fetched pages to the store (needs the token). 201 when
        something was added, 200 when all was stored before, 422 when nothing was
        usable; each refused input comes with its reason."""
        require_writer(request)  # before reading a byte of the body
        uploads, urls, _ = await read_ingest_form(request, with_token=False)
        status, outcome = await run_in_threadpool(do_ingest, uploads, urls)
        if status == 422:
            raise ApiError(422, "nothing_usable", "no input could be used; see details", details=outcome.to_dict()["rejected"])
        return JSONResponse(outcome.to_dict(), status_code=status)

    @api.get("/stories/{story_id}/changes", tags=["changes"], response_model=m.StoryChangesOut)
    def get_story_changes(
        story_id: str,
        since: Annotated[str, Query(description="30m, 24h, 2d, 1w or an ISO date/time; default: since the story's previous update")] = "",
    ) -> dict:
        """What is new in one story (docs/ALERTS.md): new reports and outlets, claims
        newly corroborated or disputed, status changes, new quotes, speakers and
        timeline events, each cited. `changes` is null when no update is recorded."""
        sid = backend.store().get_story(story_id).id
        moment = since_param(since) if since else None
        return {"story": sid, "requested": story_id, "since": moment, "changes": story_changes(sid, moment), "page": f"/stories/{sid}"}

    @api.get("/changes", tags=["changes"], response_model=m.ChangesOut)
    def list_changes(
        since: Annotated[str, Query(description="30m, 24h, 2d, 1w or an ISO date/time")] = "24h",
    ) -> dict:
        """Every story that changed since a time, latest first, with what is new in it."""
        moment = since_param(since)
        return {"since": moment, "stories": [c.to_dict() for c in pipeline.changes_since(backend.store(), moment)]}

    app.include_router(api)

    # -- feeds --------------------------------------------------------------------------
    FEED_ENTRIES = 50
    ATOM_TYPE = "application/atom+xml; charset=utf-8"

    @app.get("/feeds/changes.atom", include_in_schema=False)
    def changes_feed(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        rows = backend.store().recent_snapshots(FEED_ENTRIES)
        entries = []
        for r in rows:
            ch = json.loads(r.changes)
            entries.append(AtomEntry(
                tag_uri("story", r.story_id, r.at), f"{ch['title']}: {summary_line(ch)}", r.at,
                f"{base}/stories/{quote(r.story_id, safe='')}", story_markdown(ch),
            ))  # fmt: skip
        body = atom_feed(tag_uri("changes"), "chorus: what changed in the stories", f"{base}/feeds/changes.atom",
                         f"{base}/stories", entries, rows[0].at if rows else "")  # fmt: skip
        return Response(body, media_type=ATOM_TYPE)

    @app.get("/feeds/alerts/{watch_id}.atom", include_in_schema=False)
    def alert_feed(request: Request, watch_id: int) -> Response:
        store = backend.store()
        watch = store.get_watch(watch_id)
        if watch is None:
            raise ApiError(404, "not_found", f"no watch {watch_id}; see `chorus alerts list`")
        base = str(request.base_url).rstrip("/")
        rows = store.notifications(watch_id, limit=FEED_ENTRIES)
        entries = []
        for n in rows:
            body = json.loads(n.payload)
            ch = body["changes"]
            entries.append(AtomEntry(
                tag_uri("alert", str(watch_id), str(n.id)), f"{ch['title']}: {summary_line(ch)}", n.at,
                f"{base}/stories/{quote(n.story_id, safe='')}", story_markdown(ch),
            ))  # fmt: skip
        title = f"chorus alert {watch.id}: {watch.kind} “{watch.value}”"
        doc = atom_feed(tag_uri("alert", str(watch_id)), title, f"{base}/feeds/alerts/{watch_id}.atom", f"{base}/stories",
                        entries, rows[0].at if rows else watch.created_at)  # fmt: skip
        return Response(doc, media_type=ATOM_TYPE)

    def entity_data(name: str, *, limit: int, offset: int) -> dict:
        store = backend.store()
        forms = name_forms(name)  # "U.S." finds "United States" too
        counts = store.name_counts(forms)
        rows, n_stories = store.find_stories(StoryQuery(entity=name, aliases=forms, sort="recent"), limit=limit, offset=offset)
        quotes, n_quotes = store.quotes_by(forms, limit=limit, offset=offset)
        if not counts and not n_quotes:
            raise ApiError(404, "not_found", f"no article mentions {name!r} and nobody of that name is quoted")
        return {
            "name": name,
            "aliases": [f for f in forms if f != name],
            "labels": [asdict(c) for c in counts],
            "stories": [story_item(r) for r in rows],
            "stories_total": n_stories,
            "quotes": [{**asdict(q), "page": f"/articles/{q.article_id}?hl={q.start}-{q.end}#hl"} for q in quotes],
            "quotes_total": n_quotes,
            "limit": limit,
            "offset": offset,
        }

    def search_data(q: str, *, limit: int, offset: int) -> dict:
        store = backend.store()
        stories, n_stories = store.find_stories(StoryQuery(text=q, sort="size"), limit=min(limit, 10), offset=0)
        articles, n_articles = store.search_articles(q, limit=limit, offset=offset)
        claims, n_claims = store.search_claims(q, limit=limit, offset=offset)
        return {"stories": stories, "stories_total": n_stories, "articles": articles, "articles_total": n_articles,
                "claims": claims, "claims_total": n_claims}  # fmt: skip

    return app


def _day(value: str) -> int | None:
    from chorus.stories import day_number

    return day_number(value) if len(value) == 10 else None


def _span(hl: str) -> tuple[int, int] | None:
    a, sep, b = hl.partition("-")
    if sep and a.isdigit() and b.isdigit() and int(a) < int(b):
        return int(a), int(b)
    return None


def _hit(hit: Any) -> dict:
    """A search hit for JSON: the snippet as plain text, matches as offsets into it."""
    out = asdict(hit)
    text, marks, pos = [], [], 0
    for i, part in enumerate(hit.snippet.split("\x02")):
        match, _, rest = part.partition("\x03") if i else ("", "", part)
        if match:
            marks.append([pos, pos + len(match)])
            text.append(match)
            pos += len(match)
        rest = rest.replace("\x03", "")
        text.append(rest)
        pos += len(rest)
    out["snippet"] = "".join(text)
    out["matches"] = marks
    return out


_OUTLETS: dict[str, Any] = {}


def _outlets(backend: Backend) -> list[tuple[str, int]]:
    """The outlet list changes only with new articles: kept for 60 s per server."""
    import time

    now = time.monotonic()
    hit = _OUTLETS.get(backend.settings.db_path)
    if hit and now - hit[0] < 60:
        return hit[1]
    value = backend.store().outlets()
    _OUTLETS[backend.settings.db_path] = (now, value)
    return value


def _errors(app: FastAPI, env: Environment) -> None:
    """Stable error objects under /api/, an error page elsewhere; never a traceback."""

    def respond(request: Request, status: int, code: str, message: str, details: list | None = None) -> Response:
        if request.url.path.startswith(API):
            return JSONResponse(_error_body(status, code, message, details), status_code=status)
        html = env.get_template("error.html").render(status=status, code=code, message=message)
        return HTMLResponse(html, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = getattr(exc, "code", None) or _CODES.get(exc.status_code, "error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        if exc.status_code == 404 and not isinstance(exc, ApiError):
            message = f"no page at {request.url.path}"
        response = respond(request, exc.status_code, code, message, getattr(exc, "details", None))
        if exc.status_code == 401:
            response.headers["www-authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        first = details[0] if details else {"where": "request", "problem": "invalid"}
        return respond(request, 422, "invalid_request", f"{first['where']}: {first['problem']}", details)

    @app.exception_handler(ArticleNotFound)
    async def not_found(request: Request, exc: ArticleNotFound) -> Response:
        return respond(request, 404, "not_found", str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        log.warning("store error on %s: %s", request.url.path, exc)
        return respond(request, 503, "store_unavailable", str(exc))

    @app.exception_handler(ChorusError)
    async def chorus_error(request: Request, exc: ChorusError) -> Response:
        return respond(request, 400, "bad_request", str(exc))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        return respond(request, 500, "internal", "internal error; the server log has the details")
