"""Story updates: a snapshot of a story's analysed state each time an ingest changes
it, and what changed between two snapshots. Pure functions over frozen dataclasses;
the store keeps snapshots as JSON (``Snapshot.to_dict``), the pipeline decides when.

Claims are recomputed on every analysis and their ids move when an earlier sentence
joins them, so a claim is identified by its supporting sentences: ``(article, start)``
spans. An old and a new claim are the same claim when they share a span. Quotes are
identified by ``(article, start)``, timeline events by their date and cited spans,
disputes by the spans their sides cite.

Every item of a :class:`StoryChanges` carries citations into the source texts (article
id, start, end, and the cited words), as the briefing does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone

from chorus.errors import ChorusError

SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class Cited:
    """One cited passage: ``start``/``end`` index the article's source text."""

    article: str
    start: int
    end: int
    text: str = ""


@dataclass(frozen=True)
class SnapArticle:
    id: str
    outlet: str
    title: str
    published: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SnapClaim:
    id: str
    text: str
    status: str  # corroborated | single_source | disputed
    independent_sources: int
    support: tuple[Cited, ...]
    attributed_to: str | None = None

    @property
    def spans(self) -> frozenset[tuple[str, int]]:
        return frozenset((s.article, s.start) for s in self.support)


@dataclass(frozen=True)
class SnapQuote:
    speaker: str  # canonical name; "" unknown
    text: str
    kind: str
    cite: Cited  # the whole attribution, cue included (as in the briefing)
    speaker_role: str | None = None


@dataclass(frozen=True)
class SnapEvent:
    date: str
    text: str
    citations: tuple[Cited, ...]


@dataclass(frozen=True)
class SnapSide:
    position: str
    who: tuple[str, ...]
    support: tuple[Cited, ...]


@dataclass(frozen=True)
class SnapDispute:
    kind: str
    topic: str
    sides: tuple[SnapSide, ...]

    @property
    def spans(self) -> frozenset[tuple[str, int]]:
        return frozenset((s.article, s.start) for side in self.sides for s in side.support)


@dataclass(frozen=True)
class SnapEntity:
    name: str
    type: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """A story's analysed state at one time (UTC, ISO 8601)."""

    story_id: str
    title: str
    at: str
    articles: tuple[SnapArticle, ...] = ()
    claims: tuple[SnapClaim, ...] = ()
    quotes: tuple[SnapQuote, ...] = ()
    events: tuple[SnapEvent, ...] = ()
    disputes: tuple[SnapDispute, ...] = ()
    entities: tuple[SnapEntity, ...] = ()

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(sorted({a.outlet for a in self.articles}))

    @property
    def speakers(self) -> tuple[str, ...]:
        return tuple(sorted({q.speaker for q in self.quotes if q.speaker}))

    def to_dict(self) -> dict:
        return {"version": SNAPSHOT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, d: Mapping) -> Snapshot:
        cites = lambda items: tuple(Cited(**c) for c in items)  # noqa: E731
        return cls(
            story_id=d["story_id"],
            title=d["title"],
            at=d["at"],
            articles=tuple(SnapArticle(**a) for a in d["articles"]),
            claims=tuple(SnapClaim(**{**c, "support": cites(c["support"])}) for c in d["claims"]),
            quotes=tuple(SnapQuote(**{**q, "cite": Cited(**q["cite"])}) for q in d["quotes"]),
            events=tuple(SnapEvent(e["date"], e["text"], cites(e["citations"])) for e in d["events"]),
            disputes=tuple(
                SnapDispute(x["kind"], x["topic"], tuple(SnapSide(s["position"], tuple(s["who"]), cites(s["support"])) for s in x["sides"]))
                for x in d["disputes"]
            ),
            entities=tuple(SnapEntity(e["name"], e["type"], tuple(e["aliases"])) for e in d["entities"]),
        )


def snapshot_of(briefing: Mapping, at: str) -> Snapshot:
    """The snapshot of a story from its briefing JSON (``render.json.briefing_dict`` of
    the story alone, as cached for the web app): nothing is analysed twice."""
    story = briefing["stories"][0]
    articles = {a["id"]: a for a in briefing["articles"]}
    cite = lambda c: Cited(c["article"], c["start"], c["end"], c.get("text", ""))  # noqa: E731
    return Snapshot(
        story_id=story["id"],
        title=story["title"],
        at=at,
        articles=tuple(
            SnapArticle(aid, articles[aid]["outlet"], articles[aid]["title"], articles[aid].get("published"), articles[aid].get("url"))
            for aid in story["articles"]
            if aid in articles
        ),
        claims=tuple(
            SnapClaim(c["id"], c["text"], c["status"], c["independent_sources"], tuple(cite(s) for s in c["support"]), c.get("attributed_to"))
            for c in story["claims"]
        ),
        quotes=tuple(
            SnapQuote(q["speaker"], q["text"], q["kind"], Cited(q["article"], q["start"], q["end"]), q.get("speaker_role"))
            for q in story["quotes"]
        ),
        events=tuple(SnapEvent(e["date"], e["text"], tuple(cite(c) for c in e["citations"])) for e in story["timeline"]),
        disputes=tuple(
            SnapDispute(d["kind"], d["topic"], tuple(SnapSide(s["position"], tuple(s["who"]), tuple(cite(x) for x in s["support"])) for s in d["sides"]))
            for d in story["disputes"]
        ),
        entities=tuple(SnapEntity(e["name"], e["type"], tuple(e["aliases"])) for e in story["entities"]),
    )


# -- what changed ----------------------------------------------------------------
@dataclass(frozen=True)
class OutletChange:
    outlet: str
    articles: tuple[str, ...]  # the story's articles from this outlet that are new


@dataclass(frozen=True)
class ClaimChange:
    """A claim that is new or whose status changed; ``before`` is None for a new claim."""

    id: str
    text: str
    status: str
    before: str | None
    independent_sources: int
    independent_before: int
    citations: tuple[Cited, ...]  # every supporting sentence now
    new_citations: tuple[Cited, ...]  # the supporting sentences that were not there before
    attributed_to: str | None = None


@dataclass(frozen=True)
class SpeakerChange:
    speaker: str
    quotes: tuple[SnapQuote, ...]


@dataclass(frozen=True)
class HistoryNote:
    """A change to the story itself, from its recorded revisions (merges, splits)."""

    kind: str  # merged | merged_into | split | split_from | removed
    at: str
    story: str | None  # the other story
    articles: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class StoryChanges:
    story_id: str
    title: str
    since: str | None  # the snapshot compared against (None: the story is new)
    at: str  # the latest snapshot
    new_articles: tuple[SnapArticle, ...] = ()
    removed_articles: tuple[SnapArticle, ...] = ()
    new_outlets: tuple[OutletChange, ...] = ()
    newly_corroborated: tuple[ClaimChange, ...] = ()
    newly_disputed: tuple[ClaimChange, ...] = ()
    new_single_source: tuple[ClaimChange, ...] = ()
    status_changed: tuple[ClaimChange, ...] = ()  # every known claim whose status moved (before -> status)
    new_quotes: tuple[SnapQuote, ...] = ()
    new_speakers: tuple[SpeakerChange, ...] = ()
    new_events: tuple[SnapEvent, ...] = ()
    new_disputes: tuple[SnapDispute, ...] = ()
    history: tuple[HistoryNote, ...] = ()
    articles: tuple[SnapArticle, ...] = field(default=())  # every article of the story now (to name cited outlets)

    @property
    def is_new(self) -> bool:
        return self.since is None

    @property
    def empty(self) -> bool:
        return not any(
            (self.new_articles, self.removed_articles, self.new_outlets, self.newly_corroborated, self.newly_disputed,
             self.new_single_source, self.status_changed, self.new_quotes, self.new_speakers, self.new_events,
             self.new_disputes, self.history)
        )  # fmt: skip

    def outlet_of(self, article_id: str) -> str:
        return next((a.outlet for a in self.articles if a.id == article_id), article_id)

    def claim_texts(self) -> list[str]:
        """The texts of every new or changed claim (what a keyword alert reads)."""
        seen = {}
        for c in (*self.newly_corroborated, *self.newly_disputed, *self.new_single_source, *self.status_changed):
            seen[c.id] = c.text
        return list(seen.values())

    def to_dict(self) -> dict:
        out = asdict(self)
        out["is_new"] = self.is_new
        out["empty"] = self.empty
        out["outlets"] = sorted({a.outlet for a in self.articles})
        del out["articles"]
        out["articles"] = [{"id": a.id, "outlet": a.outlet} for a in self.articles]
        return out


def diff(old: Snapshot | None, new: Snapshot, history: Sequence[HistoryNote] = ()) -> StoryChanges:
    """What is new in ``new`` since ``old`` (``None``: the story is new, everything is)."""
    old = old or Snapshot(new.story_id, new.title, "")
    old_ids = {a.id for a in old.articles}
    new_ids = {a.id for a in new.articles}
    new_articles = tuple(a for a in new.articles if a.id not in old_ids)
    removed = tuple(a for a in old.articles if a.id not in new_ids)
    old_outlets = set(old.outlets)
    by_outlet: dict[str, list[str]] = {}
    for a in new_articles:
        if a.outlet not in old_outlets:
            by_outlet.setdefault(a.outlet, []).append(a.id)
    new_outlets = tuple(OutletChange(o, tuple(ids)) for o, ids in sorted(by_outlet.items()))

    old_by_span: dict[tuple[str, int], SnapClaim] = {}
    for c in old.claims:
        for span in c.spans:
            old_by_span.setdefault(span, c)
    old_spans = set(old_by_span)
    corroborated, disputed, single, changed = [], [], [], []
    for c in new.claims:
        matched = [old_by_span[s] for s in c.spans if s in old_by_span]
        before = None
        if matched:
            # the old claim sharing most sentences with it (then the best supported)
            best = max(set(matched), key=lambda o: (len(o.spans & c.spans), o.independent_sources, o.id))
            before = best
        fresh = tuple(s for s in c.support if (s.article, s.start) not in old_spans)
        item = ClaimChange(
            c.id, c.text, c.status, before.status if before else None, c.independent_sources,
            before.independent_sources if before else 0, c.support, fresh, c.attributed_to,
        )  # fmt: skip
        if before is None:
            {"corroborated": corroborated, "disputed": disputed}.get(c.status, single).append(item)
            continue
        if before.status != c.status:
            changed.append(item)
            if c.status == "corroborated":
                corroborated.append(item)
            elif c.status == "disputed":
                disputed.append(item)

    old_quotes = {(q.cite.article, q.cite.start) for q in old.quotes}
    new_quotes = tuple(q for q in new.quotes if (q.cite.article, q.cite.start) not in old_quotes)
    old_speakers = set(old.speakers)
    new_speakers = tuple(
        SpeakerChange(name, tuple(q for q in new.quotes if q.speaker == name)) for name in new.speakers if name not in old_speakers
    )
    old_event_keys = {(e.date, c.article, c.start) for e in old.events for c in e.citations}
    new_events = tuple(e for e in new.events if not any((e.date, c.article, c.start) in old_event_keys for c in e.citations))
    old_dispute_spans = set().union(*(d.spans for d in old.disputes)) if old.disputes else set()
    new_disputes = tuple(d for d in new.disputes if not (d.spans & old_dispute_spans))
    return StoryChanges(
        story_id=new.story_id,
        title=new.title,
        since=old.at or None,
        at=new.at,
        new_articles=new_articles,
        removed_articles=removed,
        new_outlets=new_outlets,
        newly_corroborated=tuple(corroborated),
        newly_disputed=tuple(disputed),
        new_single_source=tuple(single),
        status_changed=tuple(changed),
        new_quotes=new_quotes,
        new_speakers=new_speakers,
        new_events=new_events,
        new_disputes=new_disputes,
        history=tuple(history),
        articles=new.articles,
    )


def history_notes(revisions: Iterable) -> tuple[HistoryNote, ...]:
    """Merges, splits and removals among a story's revisions (``store.base.Revision``)."""
    notes = []
    for r in revisions:
        d = r.detail
        if r.kind == "merged":
            notes.append(HistoryNote("merged", r.at, d.get("story"), title=d.get("title", "")))
        elif r.kind == "merged_into":
            notes.append(HistoryNote("merged_into", r.at, d.get("story")))
        elif r.kind in ("split", "split_from"):
            notes.append(HistoryNote(r.kind, r.at, d.get("into") or d.get("story"), tuple(d.get("articles", ()))))
        elif r.kind == "removed":
            notes.append(HistoryNote("removed", r.at, None, (d.get("article"),)))
    return tuple(notes)


# -- time -------------------------------------------------------------------------
_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """The store's time format: ISO 8601, UTC, microseconds (compares as text)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``24h``, ``2d``, ``30m``, ``1w`` (that long ago) or an ISO date/datetime (naive
    means UTC); a clear ChorusError otherwise."""
    now = now or utc_now()
    m = _AGO.match(text)
    if m:
        return now - timedelta(**{_UNIT[m.group(2).lower()]: float(m.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ChorusError(f"since={text!r}: write a duration (30m, 24h, 2d, 1w) or an ISO date/time (2026-11-20T08:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
