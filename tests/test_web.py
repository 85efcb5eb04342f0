"""The web app and HTTP API, in process over httpx's ASGI transport.

The store is built by hand from invented articles (no spaCy): three outlets report a
bridge closure in the made-up town of Dunmere; one article carries hostile markup.
The briefing cached for the story is written here too, so each test knows exactly
which sentence every citation must show.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import httpx
import numpy as np
import pytest

from chorus import pipeline
from chorus.config import Settings
from chorus.models import (
    AnnotatedArticle,
    Article,
    Briefing,
    Citation,
    Claim,
    CoverageRow,
    Dispute,
    DisputeSide,
    Framing,
    FramingVariant,
    Mention,
    OffsetMap,
    Quote,
    Sentence,
    Story,
    StoryBriefing,
    StoryEntity,
    StoryQuote,
    SummarySentence,
    Support,
    TimelineEvent,
    TimeMention,
)
from chorus.render.json import briefing_dict
from chorus.store import open_store
from chorus.store.base import StoryQuery
from chorus.stories import Features, StoryState, day_number, new_story_id
from chorus.web import WebOptions, create_app
from chorus.web.highlight import Span, highlight

TOKEN = "test-token-7c1e"
HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> <a href="javascript:window.__xss=3">see</a>'

LEDGER = (
    "Dunmere closes the Varnow bridge\n\n"
    "The town of Dunmere closed the Varnow bridge on Tuesday after engineers found cracks in two pillars. "
    '"We will not reopen it until every pillar is checked," said mayor Ilse Brannock. '
    "Repairs could take six weeks, the council said.\n"
)
POST = (
    "Varnow bridge shut for repairs\n\n"
    "Dunmere shut the Varnow bridge on Tuesday because engineers found cracks in two pillars. "
    "Mayor Ilse Brannock said the bridge would stay closed until every pillar is checked. "
    "Repairs will take two weeks at most, a contractor said.\n"
)
WIRE = (
    f"Bridge row in Dunmere {HOSTILE}\n\n"
    "Engineers found cracks in two pillars of the Varnow bridge, Dunmere officials said on Tuesday. "
    f"A council spokesman called the closure overdue & long planned {HOSTILE}. "
    "Traffic now runs through Holm, 12 km to the north.\n"
)


def make_doc(outlet: str, text: str, published: str, *, url: str | None, names=(), quotes=(), times=()) -> AnnotatedArticle:
    """An annotated article whose spans are found by searching its own text (this is
    a fixture: the code under test never does that)."""
    title = text.split("\n", 1)[0]
    digest = hashlib.sha256(f"{outlet}\0{text}".encode()).hexdigest()
    body_start = len(title) + 2
    sentences, pos = [], body_start
    for i, part in enumerate(re.split(r"(?<=[.!?\"]) (?=[A-Z\"])", text[body_start:].rstrip("\n"))):
        start = text.index(part, pos)
        sentences.append(Sentence(i, 0, start, start + len(part), start, start + len(part), True))
        pos = start + len(part)

    def span(needle: str) -> tuple[int, int]:
        a = text.index(needle, body_start)
        return a, a + len(needle)

    def sentence_of(a: int) -> int:
        return next(s.index for s in sentences if s.orig_start <= a < s.orig_end)

    mentions = tuple(Mention(n, label, *span(n), *span(n), sentence_of(span(n)[0])) for n, label in names)
    qs = []
    for content, speaker, kind in quotes:
        a, b = span(content)
        sa, sb = span(speaker) if speaker in text else (-1, -1)
        qs.append(Quote(content, kind, a, b, a, b, speaker, "mayor", "said", sentence_of(a), sa, sb))
    ts = tuple(TimeMention(t, "DATE", *span(t), *span(t), sentence_of(span(t)[0])) for t in times)
    article = Article(
        id=digest[:12], content_hash=digest, source=f"{outlet}.txt", kind="text", outlet=outlet, title=title,
        title_source="first-line", source_text=text, text=text, offsets=OffsetMap(((0, 0, len(text)),)),
        published=published, published_source="metadata", url=url,
    )  # fmt: skip
    return AnnotatedArticle(article, tuple(sentences), mentions, ts, tuple(qs))


def sentence_span(doc: AnnotatedArticle, i: int) -> tuple[int, int]:
    s = doc.sentences[i]
    return s.orig_start, s.orig_end


@dataclass(frozen=True)
class World:
    db: str
    story: str
    docs: tuple[AnnotatedArticle, ...]
    briefing: dict
    uploads: str  # where the app keeps uploads (a PostgreSQL URL is no folder to put them beside)


def build(db: str, uploads: str) -> World:
    ledger = make_doc("Harbor Ledger", LEDGER, "2031-03-04", url="https://ledger.example/varnow",
                      names=[("Dunmere", "GPE"), ("Ilse Brannock", "PERSON")],
                      quotes=[("We will not reopen it until every pillar is checked,", "Ilse Brannock", "direct")],
                      times=["Tuesday", "six weeks"])  # fmt: skip
    post = make_doc("Valley Post", POST, "2031-03-05", url="https://post.example/bridge",
                    names=[("Dunmere", "GPE"), ("Ilse Brannock", "PERSON")], times=["Tuesday"])  # fmt: skip
    wire = make_doc(f"Northwind Wire {HOSTILE}", WIRE, "2031-03-05", url="javascript:window.__xss=4",
                    names=[("Dunmere", "GPE"), ("Holm", "GPE")],
                    quotes=[(f"called the closure overdue & long planned {HOSTILE}", "A council spokesman", "indirect")])  # fmt: skip
    docs = (ledger, post, wire)
    with open_store(db) as store:
        story_id = new_story_id(ledger.id)
        state = StoryState(story_id, "", np.zeros(4, dtype=np.float32), 0)
        for k, d in enumerate(docs):
            f = Features(d.id, np.eye(4, dtype=np.float32)[0], frozenset({"dunmere"}), day_number(d.article.published), d.article.title, True)
            state.add(f)
            store.add(d)
            store.save_assignment(f, state, created=k == 0, score=1.0)
        cites = lambda d, i: Citation(d.id, *sentence_span(d, i))  # noqa: E731
        sup = lambda d, i, origin=(): Support(d.id, *sentence_span(d, i), d.article.source_text[slice(*sentence_span(d, i))], origin)  # noqa: E731
        claims = (
            Claim("c0000000001", ledger.article.source_text[slice(*sentence_span(ledger, 0))], "corroborated",
                  (ledger.id, post.id, wire.id), 3, (sup(ledger, 0), sup(post, 0), sup(wire, 0)), corroborated=True),
            Claim("c0000000002", "Repairs could take six weeks, the council said.", "disputed", (ledger.id,), 1,
                  (sup(ledger, 2),), attributed_to="the council"),
            Claim("c0000000003", "Repairs will take two weeks at most, a contractor said.", "disputed", (post.id,), 1,
                  (sup(post, 2),), attributed_to="a contractor"),
            Claim("c0000000004", "=HYPERLINK(\"http://evil.example\") Traffic now runs through Holm.", "single_source",
                  (wire.id,), 1, (sup(wire, 2),)),
        )  # fmt: skip
        sb = StoryBriefing(
            story=Story(story_id, ledger.article.title, tuple(d.id for d in docs)),
            summary=(
                SummarySentence(ledger.article.source_text[slice(*sentence_span(ledger, 0))], (cites(ledger, 0), cites(post, 0))),
                SummarySentence(wire.article.source_text[slice(*sentence_span(wire, 1))], (cites(wire, 1),)),
            ),
            entities=(
                StoryEntity("Dunmere", "GPE", (), tuple(d.id for d in docs), 3),
                StoryEntity("Ilse Brannock", "PERSON", ("Brannock",), (ledger.id, post.id), 2),
            ),
            quotes=(
                StoryQuote("Ilse Brannock", "mayor", "We will not reopen it until every pillar is checked,", "direct",
                           ledger.id, *sentence_span(ledger, 1), "said"),
                StoryQuote(f"A council spokesman {HOSTILE}", None, f"called the closure overdue & long planned {HOSTILE}",
                           "indirect", wire.id, *sentence_span(wire, 1), "called"),
            ),  # fmt: skip
            claims=claims,
            disputes=(
                Dispute("numbers", "how long repairs take", (
                    DisputeSide("six weeks", ("the council",), ("c0000000002",), (sup(ledger, 2),)),
                    DisputeSide("two weeks at most", ("a contractor",), ("c0000000003",), (sup(post, 2),)),
                ), note="different figures for the same work"),
            ),  # fmt: skip
            framing=(Framing("the bridge", (FramingVariant("Varnow bridge", (ledger.id, post.id)),
                                            FramingVariant("bridge row", (wire.id,), loaded=True))),),  # fmt: skip
            coverage=(
                CoverageRow("c0000000001", ("Harbor Ledger", "Valley Post", wire.article.outlet), (), False),
                CoverageRow("c0000000004", (wire.article.outlet,), ("Harbor Ledger", "Valley Post"), True),
            ),
            timeline=(TimelineEvent("2031-03-04", "day", "closed the Varnow bridge", (cites(ledger, 0), cites(post, 0))),),
            articles=tuple(d.article for d in docs),
        )
        data = briefing_dict(Briefing(articles=tuple(d.article for d in docs), stories=(sb,)))
        store.put_briefing(story_id, json.dumps(data), [(c.id, c.text) for c in claims])
    return World(db, story_id, docs, data, uploads)


@pytest.fixture()
def world(store_url, tmp_path) -> World:
    return build(store_url, str(tmp_path / "uploads"))


def app_for(world: World, token: str = "", **options):
    return create_app(Settings(db=world.db), WebOptions(token=token, upload_dir=world.uploads, **options))


def call(app, method: str, url: str, **kw) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(method, url, **kw)

    return asyncio.run(go())


class Marks(HTMLParser):
    """Collects the text inside elements with a given class (nesting-aware)."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls, self.depth, self.found, self.buf = cls, 0, [], []

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif self.cls in (dict(attrs).get("class") or "").split():
            self.depth, self.buf = 1, []

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if not self.depth:
                self.found.append("".join(self.buf))

    def handle_data(self, data):
        if self.depth:
            self.buf.append(data)


def texts_of(html: str, cls: str) -> list[str]:
    p = Marks(cls)
    p.feed(html)
    return p.found


# -- pages ----------------------------------------------------------------------
def test_stories_page_lists_the_story_with_outlets_and_dates(world):
    html = call(app_for(world), "GET", "/stories").text
    assert "Dunmere closes the Varnow bridge" in html
    assert "3 articles · 3 outlets · 2031-03-04 – 2031-03-05" in html


def test_story_page_citation_shows_the_exact_source_sentence_and_outlet(world):
    html = call(app_for(world), "GET", f"/stories/{world.story}").text
    ledger, post = world.docs[0], world.docs[1]
    pops = texts_of(html, "pop-text")
    assert pops[0] == LEDGER[slice(*sentence_span(ledger, 0))]
    assert pops[1] == POST[slice(*sentence_span(post, 0))]
    heads = texts_of(html, "pop-outlet")
    assert heads[:2] == ["Harbor Ledger", "Valley Post"]
    assert f"/articles/{ledger.id}?hl={ledger.sentences[0].orig_start}-{ledger.sentences[0].orig_end}#hl" in html


def test_story_page_shows_claims_dispute_sides_coverage_quotes_and_timeline(world):
    html = call(app_for(world), "GET", f"/stories/{world.story}").text
    assert texts_of(html, "position") == ["six weeks", "two weeks at most"]
    support = texts_of(html, "support-text")
    assert "Repairs could take six weeks, the council said." in support
    assert "Repairs will take two weeks at most, a contractor said." in support
    assert html.count('<td class="on">') == 4  # claim 1 by all three outlets, claim 4 by the wire alone
    speakers = [" ".join(t.split()) for t in texts_of(html, "speaker")]
    assert any(t.startswith("Ilse Brannock mayor 1") for t in speakers), speakers
    assert '<svg class="chart"' in html and "closed the Varnow bridge" in html


def test_story_page_reads_the_cache_and_recomputes_only_when_the_story_changed(world, monkeypatch):
    calls = []

    def fake_refresh(store, ids, settings):
        calls.append(list(ids))
        store.put_briefing(ids[0], json.dumps(world.briefing), [])
        return list(ids)

    monkeypatch.setattr(pipeline, "refresh_briefings", fake_refresh)
    app = app_for(world)
    assert call(app, "GET", f"/stories/{world.story}").status_code == 200
    assert calls == []  # fresh cache: no analysis on a request
    with open_store(world.db) as store:  # a new article joins the story after the cache was made
        extra = make_doc("Lakeside Daily", "Varnow bridge update\n\nThe Varnow bridge in Dunmere stays shut.\n", "2031-03-06", url=None)
        state = StoryState(world.story, "", np.zeros(4, dtype=np.float32), 3)
        store.add(extra)
        store.save_assignment(Features(extra.id, np.eye(4, dtype=np.float32)[0], frozenset(), None), state, created=False, score=1.0)
    assert call(app, "GET", f"/stories/{world.story}").status_code == 200
    assert calls == [[world.story]]
    call(app, "GET", f"/stories/{world.story}")
    assert calls == [[world.story]]


def test_article_page_marks_quotes_names_and_times_from_the_stored_offsets(world):
    ledger = world.docs[0]
    q = ledger.sentences[0]
    page = call(app_for(world), "GET", f"/articles/{ledger.id}?hl={q.orig_start}-{q.orig_end}").text
    html = page[page.index('class="source-text"') :]  # the article body, not the legend
    assert texts_of(html, "quote") == ["We will not reopen it until every pillar is checked,"]
    assert "Ilse Brannock" in texts_of(html, "ent")
    assert texts_of(html, "time") [:2] == ["Tuesday", "six weeks"]
    assert texts_of(html, "cited") and "".join(texts_of(html, "cited")) == LEDGER[q.orig_start : q.orig_end]
    assert 'href="https://ledger.example/varnow"' in page
    assert f'href="/stories/{world.story}"' in page


def test_highlight_nests_overlaps_and_escapes_every_slice():
    text = 'a <b>"x & y"</b> z'
    out = str(highlight(text, [Span(2, 16, "quote", "quote"), Span(6, 11, "entity", "ent", title='t"<'), Span(0, 99, "time", "time")]))
    assert out == 'a <mark class="quote">&lt;b&gt;&#34;<mark class="ent" title="t&#34;&lt;">x &amp; y</mark>&#34;&lt;/b&gt;</mark> z'


def test_article_text_markup_is_shown_as_text_and_never_linked(world):
    app = app_for(world)
    wire = world.docs[2]
    pages = [
        call(app, "GET", "/stories").text,
        call(app, "GET", f"/stories/{world.story}").text,
        call(app, "GET", f"/articles/{wire.id}").text,
        call(app, "GET", "/search?q=overdue").text,
        call(app, "GET", "/entities/Holm").text,
    ]
    for html in pages:
        assert "<script>window" not in html and "onerror=" not in html.replace("onerror=&#34;", "")
        assert "javascript:" not in re.sub(r"&[^;]+;", "", " ".join(re.findall(r'href="([^"]*)"', html)))
    article = pages[2]
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in article
    assert "javascript:window.__xss=4" in article  # the stored address is shown, as text
    joined = "".join(pages)
    assert joined.count("<script") == joined.count('<script src="/static/chorus.js?') == len(pages)


def test_security_headers_forbid_inline_script(world):
    resp = call(app_for(world), "GET", "/stories")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_unknown_pages_answer_with_an_error_page(world):
    resp = call(app_for(world), "GET", "/stories/s00000000000")
    assert resp.status_code == 404 and "not found" in resp.text


# -- API -------------------------------------------------------------------------
def test_api_lists_filters_and_paginates_stories(world):
    app = app_for(world)
    page = call(app, "GET", "/api/v1/stories", params={"limit": 1}).json()
    assert page["total"] == 1 and page["items"][0]["id"] == world.story and page["next"] is None
    assert page["items"][0]["outlets"][0] == "Harbor Ledger"
    for params, expected in [
        ({"outlet": "Valley Post"}, 1), ({"outlet": "Nobody Times"}, 0),
        ({"entity": "ilse brannock"}, 1), ({"entity": "Ilse"}, 0),
        ({"from": "2031-03-05"}, 1), ({"from": "2031-03-06"}, 0), ({"to": "2031-03-03"}, 0),
        ({"q": "pillars cracks"}, 1), ({"q": "\"pillars cracks\""}, 0), ({"q": "NEAR( OR \" *"}, 0),
    ]:  # fmt: skip
        assert call(app, "GET", "/api/v1/stories", params=params).json()["total"] == expected, params


def test_api_story_is_the_cached_briefing(world):
    body = call(app_for(world), "GET", f"/api/v1/stories/{world.story}").json()
    assert body["briefing"] == json.loads(json.dumps(world.briefing))
    assert body["story"]["id"] == world.story


def test_api_errors_are_stable_objects(world):
    app = app_for(world)
    cases = [
        ("/api/v1/stories/s00000000000", 404, "not_found"),
        ("/api/v1/articles/000000000000", 404, "not_found"),
        ("/api/v1/stories?limit=0", 422, "invalid_request"),
        ("/api/v1/stories?from=2031-02-30", 400, "invalid_parameter"),
        ("/api/v1/nothing-here", 404, "not_found"),
        ("/api/v1/entities/Nobody%20Atall", 404, "not_found"),
    ]
    for url, status, code in cases:
        resp = call(app, "GET", url)
        assert resp.status_code == status, url
        error = resp.json()["error"]
        assert error["code"] == code and error["status"] == status and error["message"], url


def test_api_article_has_source_text_and_annotation_offsets(world):
    ledger = world.docs[0]
    body = call(app_for(world), "GET", f"/api/v1/articles/{ledger.id}").json()
    assert body["story"] == world.story
    for q in body["quotes"]:
        assert body["source_text"][q["start"] : q["end"]] == q["text"]
    assert {e["text"] for e in body["entities"]} == {"Dunmere", "Ilse Brannock"}


def test_api_search_finds_articles_and_claims_with_match_offsets(world):
    body = call(app_for(world), "GET", "/api/v1/search", params={"q": "pillars"}).json()
    assert body["articles_total"] == 3 and body["claims_total"] == 1
    # PostgreSQL's text search is stemmed: "pillars" finds "pillar" too; SQLite's is not
    words = {"pillars", "pillar"} if world.db.startswith("postgresql://") else {"pillars"}
    for hit in body["articles"] + body["claims"]:
        found = [hit["snippet"][a:b].lower() for a, b in hit["matches"]]
        assert "pillars" in found and set(found) <= words


def test_api_entity_has_its_stories_and_quotes(world):
    body = call(app_for(world), "GET", "/api/v1/entities/Ilse Brannock").json()
    assert [s["id"] for s in body["stories"]] == [world.story]
    assert [q["text"] for q in body["quotes"]] == ["We will not reopen it until every pillar is checked,"]
    assert {(c["label"], c["articles"]) for c in body["labels"]} == {("PERSON", 2)}


def test_openapi_schema_describes_the_api():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(db=f"{tmp}/x.db"), WebOptions())
        paths = call(app, "GET", "/api/v1/openapi.json").json()["paths"]
    for path in ["/api/v1/stories", "/api/v1/stories/{story_id}", "/api/v1/articles/{article_id}", "/api/v1/search",
                 "/api/v1/entities/{name}", "/api/v1/ingest", "/api/v1/stories/{story_id}/export"]:  # fmt: skip
        assert path in paths, path
    assert not any(p.startswith("/stories") for p in paths)  # pages stay out of the API schema


def test_exports_in_every_format(world):
    app = app_for(world)
    base = f"/api/v1/stories/{world.story}/export"
    assert json.loads(call(app, "GET", base, params={"format": "json"}).text) == json.loads(json.dumps(world.briefing))
    md = call(app, "GET", base, params={"format": "md"}).text
    assert "## 1. Dunmere closes the Varnow bridge" in md
    html = call(app, "GET", f"/stories/{world.story}/export/html")
    assert html.headers["content-disposition"].startswith("attachment")
    assert "<script>window" not in html.text and "&lt;script&gt;" in html.text
    rows = list(csv.DictReader(io.StringIO(call(app, "GET", base, params={"format": "claims.csv"}).text)))
    assert [r["claim_id"] for r in rows] == ["c0000000001", "c0000000002", "c0000000003", "c0000000004"]
    assert rows[3]["text"].startswith("'=HYPERLINK")  # a spreadsheet must not run it
    quotes = list(csv.DictReader(io.StringIO(call(app, "GET", base, params={"format": "quotes.csv"}).text)))
    assert quotes[0]["speaker"] == "Ilse Brannock" and quotes[0]["outlet"] == "Harbor Ledger"


# -- writes ----------------------------------------------------------------------
def test_writes_are_disabled_without_a_token(world):
    app = app_for(world)
    resp = call(app, "POST", "/api/v1/ingest", files={"files": ("a.txt", b"Title\n\nText.")})
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "writes_disabled"
    assert "CHORUS_TOKEN" in resp.json()["error"]["message"]
    assert call(app, "DELETE", f"/api/v1/articles/{world.docs[0].id}").status_code == 403
    assert "Writes are disabled" in call(app, "GET", "/ingest").text


def test_writes_need_the_right_token(world):
    app = app_for(world, token=TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        resp = call(app, "DELETE", f"/api/v1/articles/{world.docs[0].id}", headers=headers)
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "unauthorized"
        assert resp.headers["www-authenticate"] == "Bearer"


def test_bad_uploads_get_a_4xx_with_a_reason(world):
    app = app_for(world, token=TOKEN, max_body_bytes=4096)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    resp = call(app, "POST", "/api/v1/ingest", headers=auth, files={"files": ("tool.exe", b"MZ\x90\x00binary")})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "nothing_usable"
    assert resp.json()["error"]["details"][0]["source"] == "tool.exe"
    resp = call(app, "POST", "/api/v1/ingest", headers=auth, files={"files": ("../../etc/empty.txt", b"")})
    assert resp.status_code == 422 and resp.json()["error"]["details"][0]["reason"] == "empty file"
    resp = call(app, "POST", "/api/v1/ingest", headers=auth, files={"files": ("big.txt", b"x" * 10_000)})
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
    resp = call(app, "POST", "/api/v1/ingest", headers=auth, data={"urls": "ftp://example.com/x\njavascript:alert(1)"})
    assert resp.status_code == 422 and {d["reason"] for d in resp.json()["error"]["details"]} == {"not an http(s) URL"}
    resp = call(app, "POST", "/api/v1/ingest", headers=auth, data={"urls": ""})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "no_input"
    resp = call(app, "POST", "/api/v1/ingest", headers=auth, json={"urls": "https://example.com"})
    assert resp.status_code == 415
    # a body over the limit without Content-Length (chunked) is cut off too
    async def chunks():
        yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="x.txt"\r\n\r\n'
        for _ in range(10):
            yield b"y" * 1000

    resp = call(app, "POST", "/api/v1/ingest", headers={**auth, "content-type": "multipart/form-data; boundary=b"}, content=chunks())
    assert resp.status_code == 413


def test_delete_removes_the_article_from_its_story(world, monkeypatch):
    refreshed = []
    monkeypatch.setattr(pipeline, "refresh_briefings", lambda store, ids, settings: refreshed.append(list(ids)))
    app = app_for(world, token=TOKEN)
    wire = world.docs[2]
    resp = call(app, "DELETE", f"/api/v1/articles/{wire.id}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200 and resp.json() == {"deleted": wire.id, "story": world.story}
    assert refreshed == [[world.story]]
    item = call(app, "GET", "/api/v1/stories").json()["items"][0]
    assert item["n_articles"] == 2 and wire.article.outlet not in item["outlets"]
    assert call(app, "GET", "/api/v1/search", params={"q": "Holm"}).json()["articles_total"] == 0
    assert call(app, "GET", f"/api/v1/articles/{wire.id}").status_code == 404


@pytest.mark.slow
def test_ingest_over_http_stores_analyses_and_shows_a_story(tmp_path):
    db = str(tmp_path / "ingest.db")
    app = create_app(Settings(db=db, workers=1), WebOptions(token=TOKEN, upload_dir=str(tmp_path / "up")))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    text = LEDGER.encode()
    resp = call(app, "POST", "/api/v1/ingest", headers=auth,
                files=[("files", ("ledger.txt", text)), ("files", ("notes.exe", b"\x00\x01"))])  # fmt: skip
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert len(body["added"]) == 1 and body["rejected"][0]["source"] == "notes.exe"
    story = body["stories"][0]
    with open_store(db) as store:
        assert store.briefing_stamp(story) is not None  # computed at ingest, not on the first view
    html = call(app, "GET", f"/stories/{story}").text
    assert "Dunmere closes the Varnow bridge" in html
    again = call(app, "POST", "/api/v1/ingest", headers=auth, files={"files": ("ledger.txt", text)})
    assert again.status_code == 200 and again.json()["added"] == [] and len(again.json()["already"]) == 1
    form = call(app, "POST", "/ingest", data={"token": "nope"}, files={"files": ("ledger.txt", text)})
    assert form.status_code == 401 and "does not match" in form.text


def test_listing_follows_merges_outlets_and_dates(tmp_path):
    """Story rows in listings come from tables kept by triggers: a merge moves the
    merged story's outlets and dates into the story it joins."""
    db = str(tmp_path / "merge.db")
    a = make_doc("Harbor Ledger", LEDGER, "2031-03-04", url=None)
    b = make_doc("Valley Post", POST, "2031-03-09", url=None)
    c = make_doc("Lakeside Daily", "Bridge news\n\nThe Varnow bridge stays shut.\n", "2031-03-06", url=None)
    vec = np.eye(4, dtype=np.float32)[0]
    with open_store(db) as store:
        states = []
        for d in (a, b):
            st = StoryState(new_story_id(d.id), "", np.zeros(4, dtype=np.float32), 0)
            f = Features(d.id, vec, frozenset(), day_number(d.article.published), d.article.title, True)
            st.add(f)
            store.add(d)
            store.save_assignment(f, st, created=True, score=1.0)
            states.append(st)
        assert store.find_stories(StoryQuery(), limit=10)[1] == 2
        f = Features(c.id, vec, frozenset(), day_number(c.article.published), c.article.title, True)
        target, other = states
        target.absorb(other)
        target.add(f)
        store.add(c)
        store.save_assignment(f, target, created=False, score=1.0, merged=[other])
        rows, total = store.find_stories(StoryQuery(), limit=10)
        assert total == 1
        assert rows[0].outlets == ("Harbor Ledger", "Lakeside Daily", "Valley Post")
        assert (rows[0].first_published, rows[0].last_published, rows[0].n_articles) == ("2031-03-04", "2031-03-09", 3)
        assert store.find_stories(StoryQuery(outlet="Valley Post"), limit=10)[0][0].id == target.id


def test_entity_page_follows_aliases(tmp_path):
    """"U.N." and "United Nations" are one entity: its page counts both spellings."""
    short = make_doc("Harbor Ledger", "Aid convoy reaches Dunmere\n\nA U.N. convoy reached Dunmere on Tuesday.\n",
                     "2031-03-04", url=None, names=[("U.N.", "ORG")])  # fmt: skip
    long = make_doc("Valley Post", "Convoy in Dunmere\n\nA United Nations convoy reached Dunmere on Tuesday.\n",
                    "2031-03-04", url=None, names=[("United Nations", "ORG")])  # fmt: skip
    db = str(tmp_path / "aliases.db")
    with open_store(db) as store:
        store.add(short)
        store.add(long)
    app = create_app(Settings(db=db), WebOptions())
    body = call(app, "GET", "/api/v1/entities/UN").json()
    assert {(c["label"], c["articles"]) for c in body["labels"]} == {("ORG", 2)}
    assert "United Nations" in body["aliases"] and "U.N." in body["aliases"]
    assert "also written" in call(app, "GET", "/entities/UN").text
    # a name without aliases matches only itself
    assert call(app, "GET", "/api/v1/entities/Dunmere").status_code == 404
