"""What the pages show, computed from the cached briefing JSON and the store: plain
dataclasses the templates lay out. Every text stays plain text here; the templates
(autoescaped) and ``highlight`` turn it into HTML."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote, urlsplit

from markupsafe import Markup

from chorus.models import AnnotatedArticle
from chorus.web.highlight import Span, highlight, shorten

COVERAGE_ROWS = 40  # claims shown in the matrix before "show all"
COVERAGE_OUTLETS = 16  # outlet columns (the outlets reporting most claims)
SINGLE_ROWS = 12
ENTITY_CHIPS = 30


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL, else None: a stored ``javascript:``
    or ``data:`` URL must never become a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def article_href(article_id: str, start: int | None = None, end: int | None = None) -> str:
    if start is None or end is None:
        return f"/articles/{quote(article_id, safe='')}"
    return f"/articles/{quote(article_id, safe='')}?hl={start}-{end}#hl"


def entity_href(name: str) -> str:
    return f"/entities/{quote(name, safe='')}"


def date_label(a: Mapping) -> str:
    if a.get("published"):
        return a["published"] + (" (inferred)" if a.get("published_source") == "inferred" else "")
    if a.get("published_range"):
        lo, _, hi = a["published_range"].partition("/")
        return f"{lo} to {hi} (inferred)" if hi and hi != ".." else f"on or after {lo} (inferred)"
    return "—"


# -- the story page -------------------------------------------------------------
@dataclass(frozen=True)
class Cite:
    key: str  # unique on the page: ties the marker to its popover
    n: int  # the article's number in the story's article table
    article: str
    start: int
    end: int
    outlet: str
    title: str
    text: str  # the exact cited characters of the source text
    href: str


@dataclass(frozen=True)
class ArticleLine:
    n: int
    id: str
    outlet: str
    title: str
    date: str
    url: str | None
    href: str
    author: str | None


@dataclass(frozen=True)
class Cited:
    """A text with its citations (a summary sentence, a claim, a quote...)."""

    text: str
    cites: tuple[Cite, ...]
    note: str = ""
    extra: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Side:
    position: str
    who: tuple[str, ...]
    support: tuple[Cited, ...]


@dataclass(frozen=True)
class DisputeView:
    kind: str
    topic: str
    note: str
    sides: tuple[Side, ...]


@dataclass(frozen=True)
class CoverageRowView:
    claim_id: str
    text: str
    cells: tuple[bool, ...]
    alone: bool
    status: str


@dataclass(frozen=True)
class Variant:
    phrase: str
    loaded: bool
    outlets: tuple[str, ...]
    cites: tuple[Cite, ...]


@dataclass(frozen=True)
class Speaker:
    name: str
    roles: tuple[str, ...]
    quotes: tuple[Cited, ...]
    href: str | None


@dataclass(frozen=True)
class ChartMark:
    n: int
    x: float
    y: float
    width: float  # 0: a day (a dot); else a month or a year (a bar)
    strong: bool  # stated by two reports or more
    label: str  # tooltip
    text: str = ""  # drawn on the mark (the event's number, or a range for a group)
    href: str = ""


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    axis_y: float
    ticks: tuple[tuple[float, str], ...]
    marks: tuple[ChartMark, ...]


@dataclass(frozen=True)
class EntityChip:
    name: str
    type: str
    articles: int
    mentions: int
    aliases: tuple[str, ...]
    href: str


@dataclass(frozen=True)
class StoryView:
    id: str
    title: str
    outlets: tuple[str, ...]
    first: str | None
    last: str | None
    computed_at: str
    summary_mode: str
    articles: tuple[ArticleLine, ...]
    summary: tuple[Cited, ...]
    confirmed: tuple[Cited, ...]
    disputes: tuple[DisputeView, ...]
    single: tuple[Cited, ...]
    n_single: int
    coverage_outlets: tuple[str, ...]
    coverage: tuple[CoverageRowView, ...]
    framing: tuple[tuple[str, tuple[Variant, ...]], ...]
    speakers: tuple[Speaker, ...]
    timeline: tuple[Cited, ...]
    charts: tuple[tuple[str, Chart], ...]  # (title, chart); the title is empty when there is one
    entities: tuple[EntityChip, ...]


class _Citer:
    """Makes Cite objects for one page, numbering them."""

    def __init__(self, story: Mapping, articles: Mapping[str, Mapping], sources: Mapping[str, str], prefix: str = "") -> None:
        self.number = {aid: k for k, aid in enumerate(story["articles"], 1)}
        self.articles = articles
        self.sources = sources
        self.count = 0
        self.prefix = prefix  # keeps keys unique when two citers number one page

    def __call__(self, article: str, start: int, end: int) -> Cite | None:
        a = self.articles.get(article)
        if a is None:
            return None
        self.count += 1
        source = self.sources.get(article, "")
        return Cite(
            key=f"{self.prefix}c{self.count}",
            n=self.number.get(article, 0),
            article=article,
            start=start,
            end=end,
            outlet=a["outlet"],
            title=a["title"],
            text=" ".join(source[start:end].split()),
            href=article_href(article, start, end),
        )

    def many(self, items: Sequence[Mapping]) -> tuple[Cite, ...]:
        return tuple(c for c in (self(i["article"], i["start"], i["end"]) for i in items) if c is not None)


def story_view(data: Mapping, sources: Mapping[str, str], computed_at: str) -> StoryView:
    """The story page from one cached briefing (``briefing_dict`` of the story alone)
    and the source texts of its articles."""
    story = data["stories"][0]
    articles = {a["id"]: a for a in data["articles"]}
    cite = _Citer(story, articles, sources)
    outlets_of = {aid: a["outlet"] for aid, a in articles.items()}
    lines = tuple(
        ArticleLine(
            n, aid, articles[aid]["outlet"], articles[aid]["title"], date_label(articles[aid]),
            safe_url(articles[aid].get("url")), article_href(aid), articles[aid].get("author"),
        )  # fmt: skip
        for n, aid in enumerate(story["articles"], 1)
        if aid in articles
    )
    summary = tuple(Cited(s["text"], cite.many(s["citations"])) for s in story["summary"])
    claims = story["claims"]

    def claim_cited(c: Mapping) -> Cited:
        outlets = tuple(dict.fromkeys(outlets_of.get(a, a) for a in c["sources"]))
        return Cited(
            c["text"],
            cite.many(c["support"]),
            extra={
                "id": c["id"],
                "attributed_to": c.get("attributed_to"),
                "independent": c["independent_sources"],
                "reports": len(c["sources"]),
                "outlets": outlets,
            },
        )

    confirmed = tuple(claim_cited(c) for c in claims if c.get("corroborated") and c["status"] != "disputed")
    singles = [c for c in claims if c["status"] == "single_source"]
    disputes = tuple(
        DisputeView(
            d["kind"],
            d["topic"],
            d.get("note", ""),
            tuple(
                Side(
                    side["position"],
                    tuple(side["who"]),
                    tuple(
                        Cited(s["text"], cite.many([s]), extra={"outlet": outlets_of.get(s["article"], "")})
                        for s in side["support"]
                    ),
                )
                for side in d["sides"]
            ),
        )
        for d in story["disputes"]
    )
    coverage_outlets, coverage = _coverage(story, claims)
    framing = tuple(
        (
            f["referent"],
            tuple(
                Variant(
                    v["phrase"], bool(v.get("loaded")), tuple(dict.fromkeys(outlets_of.get(a, a) for a in v["articles"])),
                    cite.many(v.get("citations", [])[:6]),
                )  # fmt: skip
                for v in f["variants"]
            ),
        )
        for f in story["framing"]
    )
    timeline = tuple(
        Cited(e["text"], cite.many(e["citations"]), note=e["date"], extra={"granularity": e["granularity"]})
        for e in sorted(story["timeline"], key=lambda e: e["date"])
    )
    entities = tuple(
        EntityChip(e["name"], e["type"], len(e["articles"]), e["mentions"], tuple(e["aliases"]), entity_href(e["name"]))
        for e in story["entities"][:ENTITY_CHIPS]
    )
    return StoryView(
        id=story["id"],
        title=story["title"],
        outlets=tuple(story["outlets"]),
        first=story.get("first_published"),
        last=story.get("last_published"),
        computed_at=computed_at,
        summary_mode=story.get("summary_mode", "extractive"),
        articles=lines,
        summary=summary,
        confirmed=confirmed,
        disputes=disputes,
        single=tuple(claim_cited(c) for c in singles[:SINGLE_ROWS]),
        n_single=len(singles),
        coverage_outlets=coverage_outlets,
        coverage=coverage,
        framing=framing,
        speakers=_speakers(story["quotes"], cite),
        timeline=timeline,
        charts=timeline_charts(story["timeline"]),
        entities=entities,
    )


def _coverage(story: Mapping, claims: Sequence[Mapping]) -> tuple[tuple[str, ...], tuple[CoverageRowView, ...]]:
    rows = story["coverage"]
    if not rows:
        return (), ()
    reported = Counter(o for r in rows for o in r["reported_by"])
    outlets = tuple(sorted(story["outlets"], key=lambda o: (-reported[o], o))[:COVERAGE_OUTLETS])
    by_id = {c["id"]: c for c in claims}
    views = []
    for r in rows:
        c = by_id.get(r["claim"])
        if c is None:
            continue
        have = set(r["reported_by"])
        views.append(CoverageRowView(r["claim"], c["text"], tuple(o in have for o in outlets), bool(r["alone"]), c["status"]))
    return outlets, tuple(views)


def _speakers(quotes: Sequence[Mapping], cite: _Citer) -> tuple[Speaker, ...]:
    groups: dict[str, list[Mapping]] = {}
    for q in quotes:
        groups.setdefault(q["speaker"] or "", []).append(q)
    order = sorted(groups.items(), key=lambda kv: (kv[0] == "", -len(kv[1]), kv[0].lower()))
    out = []
    for name, qs in order:
        roles = tuple(sorted({q["speaker_role"] for q in qs if q.get("speaker_role")}))
        cited = []
        for q in qs:
            c = cite(q["article"], q["start"], q["end"])
            cited.append(Cited(q["text"], (c,) if c else (), note=q["kind"], extra={"cue": q.get("cue") or ""}))
        out.append(Speaker(name or "Unattributed", roles, tuple(cited), entity_href(name) if name else None))
    return tuple(out)


# -- the timeline chart -----------------------------------------------------------
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def _date_range(value: str, granularity: str) -> tuple[int, int] | None:
    """[first, last + 1) ordinal days a timeline date covers."""
    try:
        if granularity == "day" or len(value) == 10:
            d = date.fromisoformat(value[:10])
            return d.toordinal(), d.toordinal() + 1
        if granularity == "month" or len(value) == 7:
            y, m = int(value[:4]), int(value[5:7])
            first = date(y, m, 1)
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            return first.toordinal(), nxt.toordinal()
        y = int(value[:4])
        return date(y, 1, 1).toordinal(), date(y + 1, 1, 1).toordinal()
    except ValueError:
        return None


def timeline_charts(events: Sequence[Mapping], width: int = 760) -> tuple[tuple[str, Chart], ...]:
    """The whole timeline as a chart and, when most events crowd into a few weeks of a
    long span (a story with background dates), a second chart of those weeks."""
    spans = []
    for n, e in enumerate(sorted(events, key=lambda e: e["date"]), 1):
        r = _date_range(e["date"], e.get("granularity", ""))
        if r:
            spans.append((n, e, r))
    if not spans:
        return ()
    charts = [("", _chart(spans, width))]
    lo, hi = min(r[0] for _, _, r in spans), max(r[1] for _, _, r in spans)
    days = sorted(r[0] for _, _, r in spans if r[1] - r[0] == 1)
    if hi - lo > 90 and days:
        # the 31-day window holding the most single-day events
        best, j = (0, days[0]), 0
        for i, d in enumerate(days):
            while days[j] < d - 30:
                j += 1
            best = max(best, (i - j + 1, days[j]))
        count, w_lo = best
        if count >= 5 and count >= 0.4 * len(spans):
            inside = [(n, e, r) for n, e, r in spans if r[0] >= w_lo and r[1] <= w_lo + 31]
            first, last = date.fromordinal(w_lo), date.fromordinal(max(r[1] for _, _, r in inside) - 1)
            title = f"Close-up: {_MONTHS[first.month - 1]} {first.day} – {_MONTHS[last.month - 1]} {last.day}, {last.year}"
            # the full chart shows the crowded weeks as one bar pointing to the close-up
            numbers = [n for n, _, _ in inside]
            group = {"citations": [], "date": title, "text": f"events {numbers[0]}–{numbers[-1]}, in the close-up below",
                     "mark": f"{numbers[0]}–{numbers[-1]}", "href": "#closeup"}
            outside = [t for t in spans if t[0] not in set(numbers)]
            covered = (min(r[0] for _, _, r in inside), max(r[1] for _, _, r in inside))
            whole = sorted([*outside, (numbers[0], group, covered)], key=lambda t: t[2][0])
            charts = [(f"All {len(spans)} dated events", _chart(whole, width)), (title, _chart(inside, width))]
    return tuple(charts)


def _chart(spans: Sequence[tuple[int, Mapping, tuple[int, int]]], width: int) -> Chart:
    """Dated events on one time axis: a dot for a day, a bar for a month or a year;
    events that would overlap go on separate lanes."""
    lo, hi = min(r[0] for _, _, r in spans), max(r[1] for _, _, r in spans)
    if hi - lo < 14:  # at least two weeks wide, centred
        mid = (lo + hi) // 2
        lo, hi = mid - 7, mid + 7
    pad = (hi - lo) * 0.03
    lo_f, hi_f = lo - pad, hi + pad
    margin = 12
    scale = (width - 2 * margin) / (hi_f - lo_f)

    def x(day: float) -> float:
        return round(margin + (day - lo_f) * scale, 1)

    lane_ends: list[float] = []
    lane_h, top = 20, 10
    placed = []
    for n, e, (a, b) in spans:
        w = 0.0 if b - a <= 1 else max(x(b) - x(a), 4.0)
        x0 = x(a + 0.5) if w == 0 else x(a)  # a dot sits mid-day; a bar starts with its period
        x_start, x_end = (x0 - 9, x0 + 9) if w == 0 else (x0, x0 + max(w, 9.0 * len(str(e.get("mark", n))) + 8))
        lane = next((i for i, end in enumerate(lane_ends) if end + 2 <= x_start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(x_end)
        else:
            lane_ends[lane] = x_end
        n_sources = len({c["article"] for c in e["citations"]})
        label = f"{e.get('mark', n)}. {e['date']} — {shorten(e['text'], 140)}"
        text, href = str(e.get("mark", n)), e.get("href", f"#ev-{n}")
        if w:
            w = max(w, 9.0 * len(text) + 8)
        placed.append(ChartMark(n, x0, top + lane * lane_h + lane_h / 2, w, n_sources >= 2, label, text, href))
    axis_y = top + len(lane_ends) * lane_h + 6
    return Chart(width, int(axis_y + 26), axis_y, _ticks(lo, hi, x), tuple(placed))


def _ticks(lo: int, hi: int, x) -> tuple[tuple[float, str], ...]:
    first, last = date.fromordinal(lo), date.fromordinal(hi)
    span = hi - lo
    out: list[tuple[float, str]] = []
    if span <= 60:
        step = 1 if span <= 10 else 2 if span <= 21 else 7
        d = first
        while d <= last:
            out.append((x(d.toordinal()), f"{_MONTHS[d.month - 1]} {d.day}"))
            d += timedelta(days=step)
        return tuple(out)
    if span <= 3 * 366:
        every = 1 if span <= 400 else 3
        y, m = first.year, first.month
        while date(y, m, 1) <= last:
            d = date(y, m, 1)
            if d.toordinal() >= lo and (m - 1) % every == 0:
                out.append((x(d.toordinal()), f"{_MONTHS[m - 1]}{' ' + str(y) if m == 1 or not out else ''}"))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return tuple(out)
    step = max(1, (last.year - first.year) // 8)
    for y in range(first.year, last.year + 1, step):
        d = date(y, 1, 1)
        if lo <= d.toordinal() <= hi:
            out.append((x(d.toordinal()), str(y)))
    return tuple(out)


# -- the article page -------------------------------------------------------------
@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    outlet: str
    published: str | None
    published_source: str | None
    author: str | None
    url: str | None  # safe to link (http/https) or None
    raw_url: str | None  # as stored, shown as text when it is not safe to link
    source: str
    kind: str
    story_id: str | None
    story_title: str | None
    body: Markup
    quotes: tuple[Mapping, ...]
    entities: tuple[tuple[str, str, int], ...]  # (name, label, mentions)
    times: tuple[tuple[str, str], ...]  # (text, label)
    removed: tuple[tuple[str, int], ...]  # (kind, characters)
    cited: tuple[int, int] | None


def article_view(
    doc: AnnotatedArticle, story_id: str | None, story_title: str | None, cited: tuple[int, int] | None = None
) -> ArticleView:
    """The article page: its source text with entities, quotes, time expressions, what
    the cleaner removed and (from a citation link) the cited span, each a <mark>."""
    a = doc.article
    n = len(a.source_text)
    spans: list[Span] = [
        Span(r.start, r.end, "removed", "removed", f"removed by the cleaner: {r.kind}") for r in a.removed
    ]
    if cited and 0 <= cited[0] < cited[1] <= n:
        spans.append(Span(cited[0], cited[1], "cited", "cited", "the cited passage", anchor="hl"))
    quotes = []
    for i, q in enumerate(doc.quotes, 1):
        who = q.speaker or "unknown speaker"
        spans.append(Span(q.orig_start, q.orig_end, "quote", f"quote quote-{q.kind}", f"{q.kind} quote · {who}" + (f" ({q.cue})" if q.cue else ""), anchor=f"q{i}"))
        if q.speaker_orig_start >= 0 and q.speaker_orig_end > q.speaker_orig_start:
            spans.append(Span(q.speaker_orig_start, q.speaker_orig_end, "speaker", "speaker", f"speaker of quote {i}"))
        quotes.append({"n": i, "speaker": q.speaker, "role": q.speaker_role, "kind": q.kind, "cue": q.cue, "text": q.text,
                       "href": entity_href(q.speaker) if q.speaker else None})  # fmt: skip
    for m in doc.mentions:
        spans.append(Span(m.orig_start, m.orig_end, "entity", f"ent ent-{m.label}", f"{m.label}: {m.text}"))
    for t in doc.times:
        spans.append(Span(t.orig_start, t.orig_end, "time", "time", f"time expression ({t.label})"))
    counts = Counter((m.text, m.label) for m in doc.mentions)
    entities = tuple((name, label, k) for (name, label), k in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0])))
    return ArticleView(
        id=a.id,
        title=a.title,
        outlet=a.outlet,
        published=a.published,
        published_source=a.published_source,
        author=a.author,
        url=safe_url(a.url),
        raw_url=a.url,
        source=a.source,
        kind=a.kind,
        story_id=story_id,
        story_title=story_title,
        body=highlight(a.source_text, spans),
        quotes=tuple(quotes),
        entities=entities,
        times=tuple(dict.fromkeys((t.text, t.label) for t in doc.times)),
        removed=tuple((r.kind, r.end - r.start) for r in a.removed),
        cited=cited if cited and 0 <= cited[0] < cited[1] <= n else None,
    )


def article_json(doc: AnnotatedArticle, story_id: str | None) -> dict:
    """The API's article: metadata, source text, and every annotation with its
    source-text offsets."""
    from chorus.render.json import article_dict

    out = article_dict(doc.article)
    out["story"] = story_id
    out["source_text"] = doc.article.source_text
    out["entities"] = [
        {"text": m.text, "label": m.label, "start": m.orig_start, "end": m.orig_end, "sentence": m.sentence} for m in doc.mentions
    ]
    out["quotes"] = [
        {"text": q.text, "kind": q.kind, "start": q.orig_start, "end": q.orig_end, "speaker": q.speaker,
         "speaker_role": q.speaker_role, "cue": q.cue,
         "speaker_span": [q.speaker_orig_start, q.speaker_orig_end] if q.speaker_orig_start >= 0 else None}
        for q in doc.quotes
    ]  # fmt: skip
    out["times"] = [{"text": t.text, "label": t.label, "start": t.orig_start, "end": t.orig_end} for t in doc.times]
    out["sentences"] = [{"start": s.orig_start, "end": s.orig_end, "paragraph": s.paragraph} for s in doc.sentences]
    return out


# -- CSV exports --------------------------------------------------------------------
def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: text starting with a formula character
    gets a leading apostrophe (OWASP's CSV-injection advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def claims_csv(data: Mapping) -> str:
    story = data["stories"][0]
    outlets_of = {a["id"]: a["outlet"] for a in data["articles"]}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["claim_id", "status", "corroborated", "independent_sources", "reports", "attributed_to", "text", "outlets", "citations"])
    for c in story["claims"]:
        w.writerow([_cell(v) for v in (
            c["id"], c["status"], c.get("corroborated", False), c["independent_sources"], len(c["sources"]),
            c.get("attributed_to") or "", c["text"], "; ".join(dict.fromkeys(outlets_of.get(a, a) for a in c["sources"])),
            "; ".join(f"{s['article']}:{s['start']}-{s['end']}" for s in c["support"]),
        )])  # fmt: skip
    return buf.getvalue()


def quotes_csv(data: Mapping) -> str:
    story = data["stories"][0]
    outlets_of = {a["id"]: a["outlet"] for a in data["articles"]}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["speaker", "speaker_role", "kind", "cue", "text", "article", "outlet", "start", "end"])
    for q in story["quotes"]:
        w.writerow([_cell(v) for v in (
            q["speaker"], q.get("speaker_role") or "", q["kind"], q.get("cue") or "", q["text"], q["article"],
            outlets_of.get(q["article"], ""), q["start"], q["end"],
        )])  # fmt: skip
    return buf.getvalue()


# -- what's new on the story page -------------------------------------------------
@dataclass(frozen=True)
class ChangesView:
    since: str | None  # the snapshot compared against (None: the story is new)
    at: str
    is_new: bool
    notes: tuple[str, ...]  # merges and splits, in words
    articles: tuple[ArticleLine, ...]  # new reports
    outlets: tuple[str, ...]  # new outlets
    groups: tuple[tuple[str, tuple[Cited, ...]], ...]  # (heading, items): claims by kind, disputes, quotes, events
    empty: bool


def changes_view(ch: Mapping, data: Mapping, sources: Mapping[str, str]) -> ChangesView:
    """The "What's new" section from a story's changes JSON (``StoryChanges.to_dict``)
    and its cached briefing (for article numbers, outlets and titles); every item cited
    with the same numbers as the rest of the page."""
    from chorus.render.changes import STATUS

    story = data["stories"][0]
    articles = {a["id"]: a for a in data["articles"]}
    cite = _Citer(story, articles, sources, prefix="n")
    lines = tuple(
        ArticleLine(cite.number.get(a["id"], 0), a["id"], a["outlet"], a["title"], date_label(articles.get(a["id"], a)),
                    safe_url(a.get("url")), article_href(a["id"]), None)  # fmt: skip
        for a in ch["new_articles"]
    )

    def claim(c: Mapping) -> Cited:
        before = f"was {STATUS.get(c['before'], c['before'])}" if c["before"] else "new"
        note = f"{STATUS.get(c['status'], c['status'])} · {c['independent_sources']} independent · {before}"
        return Cited(c["text"], cite.many(c["citations"]), note=note, extra={"attributed_to": c.get("attributed_to")})

    listed = {c["id"] for c in (*ch["newly_corroborated"], *ch["newly_disputed"])}
    groups = [
        ("Newly corroborated", tuple(claim(c) for c in ch["newly_corroborated"])),
        ("Newly disputed", tuple(claim(c) for c in ch["newly_disputed"])),
        ("Status changed", tuple(claim(c) for c in ch["status_changed"] if c["id"] not in listed)),
        ("New disputes", tuple(
            Cited(f"{d['topic']}: " + " vs ".join(s["position"] for s in d["sides"]), cite.many([x for s in d["sides"] for x in s["support"]]))
            for d in ch["new_disputes"]
        )),
        ("New speakers", tuple(Cited(s["speaker"], cite.many([q["cite"] for q in s["quotes"]])) for s in ch["new_speakers"])),
        ("New quotes", tuple(
            Cited(q["text"], cite.many([q["cite"]]), note=q["kind"], extra={"attributed_to": q["speaker"] or "unattributed"})
            for q in ch["new_quotes"]
        )),
        ("New timeline events", tuple(Cited(e["text"], cite.many(e["citations"]), note=e["date"]) for e in ch["new_events"])),
        ("New single-source claims", tuple(claim(c) for c in ch["new_single_source"])),
    ]  # fmt: skip
    words = {
        "merged": "Story {story} joined this story: its reports count as new here.",
        "merged_into": "This story joined story {story}.",
        "split": "Some reports moved to a story of their own: {story}.",
        "split_from": "Split off story {story}.",
        "removed": "An article was removed.",
    }
    notes = tuple(words.get(n["kind"], n["kind"]).format(story=n.get("story")) for n in ch["history"])
    return ChangesView(
        since=ch["since"], at=ch["at"], is_new=ch["is_new"], notes=notes, articles=lines,
        outlets=tuple(o["outlet"] for o in ch["new_outlets"]), groups=tuple((h, items) for h, items in groups if items),
        empty=ch["empty"],
    )  # fmt: skip
