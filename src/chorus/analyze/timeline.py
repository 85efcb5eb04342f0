"""Dates of a story: when each undated report was published, and what happened when.

:func:`infer_publication_dates` dates the reports of ONE story that carry no
``published`` metadata, from what they say: full dates in the text and in removed
captions ("on August 25, 2024"), weekday references ("On Monday"), and the other
reports of the story (their metadata dates, or their own inferred dates: a story's
events happen within days). It reports only what that evidence supports: a day when it
fixes one, otherwise a range, written as an ISO 8601 interval
"2024-08-26/2024-09-01" (on or after the first day, on or before the second), or
"2024-08-25/.." when only a lower bound is known.

:func:`build_timeline` resolves each report's time expressions against its anchor
(publication) date, attaches each dated expression to the clause it modifies, merges
the same dated fact told by several reports, and cites every report's clause in its
source text.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rapidfuzz import fuzz
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from chorus.models import AnnotatedArticle, Citation, TimelineEvent, TimeMention
from chorus.nlp.timex import WEEKDAYS, detect, resolve, tense_at

TimesFor = Callable[[AnnotatedArticle], Sequence[TimeMention]]

# Two clauses with the same date state the same fact when the rapidfuzz token-set
# ratio of their content words reaches this. Set by hand on invented pairs and the
# seed story (no labelled data for this): paraphrases of one reported fact ("talks
# ended without agreement in Cairo" / "no agreement was reached ... in Cairo") score
# 60-75 on content words; different facts of the same day in the same story score
# below 50.
SAME_FACT_RATIO = 55.0
# A weekday named in a report lies within the six days before publication (past
# tense) or the six days after (future tense).
WEEK = 6
# A weekday resolved against a story date is ambiguous when its two candidate dates
# (the one before and the one after) are nearly equally far from that date.
AMBIGUOUS_MARGIN_DAYS = 1
_KEPT = {"day", "month", "year"}
_STOP = frozenset(
    "a an the of in on at to for from by with and or but that this these those is are was were be been has have had "
    "it its as into over about after before than then there their they he she his her we our you your i said says "
    "told according also not no".split()
)


@dataclass(frozen=True)
class InferredDate:
    """A publication date inferred from a report's content.

    ``date``: "YYYY-MM-DD" when the evidence fixes the day; otherwise an ISO 8601
    interval "YYYY-MM-DD/YYYY-MM-DD", or "YYYY-MM-DD/.." when only the earliest day is
    known. ``earliest``/``latest`` repeat the bounds (``latest`` None: open)."""

    date: str
    evidence: tuple[str, ...]
    confidence: float  # 0-1, how much the evidence pins the date (not a probability)
    earliest: str
    latest: str | None

    @property
    def precise(self) -> bool:
        return "/" not in self.date


# ----------------------------------------------------------------------------- parsing helpers
# Sentence parses shared by every _Parser of the process, least recently used first.
# Inferring dates and building the timeline parse the same sentences, and a story is
# analysed again after each ingest that changes it (snapshots, a long-running watcher,
# the web app): with the cache only new articles' sentences are parsed (measured in
# bench/changes.py). Keys hold the model and the article id, a hash of its content.
_PARSES: OrderedDict[tuple[int, str, int], Doc] = OrderedDict()
_PARSES_MAX = 4096  # a parsed sentence is ~10-20 kB
_PARSES_LOCK = threading.Lock()


class _Parser:
    """Parses sentences on demand (only those holding a time expression), once each."""

    def __init__(self, nlp: Language | None) -> None:
        self._nlp = nlp
        self._cache = _PARSES

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            from chorus.nlp.model import load_model

            self._nlp = load_model()
        return self._nlp

    def sentence(self, doc: AnnotatedArticle, index: int) -> tuple[Doc, int] | None:
        """The parse of sentence ``index`` and its start in the cleaned text."""
        if not 0 <= index < len(doc.sentences):
            return None
        key = (id(self.nlp), doc.id, index)
        s = doc.sentences[index]
        with _PARSES_LOCK:  # the web app analyses in several threads
            parsed = self._cache.get(key)
            if parsed is not None:
                self._cache.move_to_end(key)
        if parsed is None:
            parsed = self.nlp(doc.article.text[s.start : s.end])
            with _PARSES_LOCK:
                self._cache[key] = parsed
                while len(self._cache) > _PARSES_MAX:
                    self._cache.popitem(last=False)
        return parsed, s.start

    def text(self, text: str) -> Doc:
        return self.nlp(text)


def default_times(parser: _Parser) -> TimesFor:
    """AnnotatedArticle.times when annotation filled them; otherwise found here
    (a full parse of the article: slower, for callers that annotated without them)."""
    from chorus.nlp.timex import find_times

    def times_for(doc: AnnotatedArticle) -> Sequence[TimeMention]:
        if doc.times:
            return doc.times
        return find_times(doc.article, parser.text(doc.article.text), [s.start for s in doc.sentences])

    return times_for


def _tense(parser: _Parser, doc: AnnotatedArticle, t: TimeMention) -> str | None:
    got = parser.sentence(doc, t.sentence)
    if got is None:
        return None
    parsed, offset = got
    return tense_at(parsed, t.start - offset, t.end - offset)


# ----------------------------------------------------------------------------- evidence
@dataclass(frozen=True)
class _Weekday:
    weekday: int
    tense: str | None
    quote: str  # as written, with a little context


@dataclass(frozen=True)
class _Evidence:
    explicit: tuple[tuple[date, str], ...]  # full dates (with a year) the report looks back on
    weekdays: tuple[_Weekday, ...]


_BARE_WEEKDAY = re.compile(
    r"(?i)^(?:(?:on|last|this|early|late|earlier|later)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:['’]s)?"
    r"(?:\s+(?:morning|afternoon|evening|night))?$"
)


def _explicit_day(text: str, label: str) -> date | None:
    """A date that needs no anchor: "August 25, 2024" (not "August 25", not "2024")."""
    got = resolve(text, label, None)
    if got is None or got.granularity not in {"day", "time"}:
        return None
    try:
        return date.fromisoformat(got.value[:10])
    except ValueError:
        return None


def _context(text: str, start: int, end: int, width: int = 3) -> str:
    """The expression with the word before it: "on August 25, 2024"."""
    before = text[:start].split()[-1:] if width else []
    snippet = " ".join(before + [text[start:end]])
    return snippet.strip()


def _gather(doc: AnnotatedArticle, parser: _Parser, times_for: TimesFor) -> _Evidence:
    explicit: list[tuple[date, str]] = []
    weekdays: list[_Weekday] = []
    text = doc.article.text
    for t in times_for(doc):
        if t.label not in {"DATE", "TIME"}:
            continue
        tense = _tense(parser, doc, t)
        day = _explicit_day(t.text, t.label)
        if day is not None:
            if tense != "future":
                explicit.append((day, f"text: '{_context(text, t.start, t.end)}'"))
            continue
        m = _BARE_WEEKDAY.match(t.text.strip())
        if m:
            weekdays.append(_Weekday(WEEKDAYS[m.group(1).lower()], tense, _context(text, t.start, t.end)))
    # captions and credits the cleaner removed still date the photo, hence the report
    for removed in doc.article.removed:
        if removed.kind not in {"caption", "credit"}:
            continue
        parsed = parser.text(removed.text)
        for d in detect(parsed):
            day = _explicit_day(d.text, d.label)
            if day is not None:
                explicit.append((day, f"{removed.kind}: '{_context(removed.text, d.start, d.end)}'"))
    return _Evidence(tuple(explicit), tuple(weekdays))


def _nearest(weekday: int, ref: date) -> tuple[date, bool]:
    """The occurrence of ``weekday`` nearest ``ref`` and whether that is clear."""
    after = ref + timedelta(days=(weekday - ref.weekday()) % 7)
    before = after - timedelta(days=7) if after != ref else after
    d_after, d_before = (after - ref).days, (ref - before).days
    if after == ref:
        return ref, True
    best = after if d_after < d_before else before
    return best, abs(d_after - d_before) > AMBIGUOUS_MARGIN_DAYS


def _infer_one(ev: _Evidence, story_ref: date | None, story_why: str) -> InferredDate | None:
    notes: list[str] = []
    earliest: date | None = None
    ref: date | None = None
    confidence = 0.0
    if ev.explicit:
        latest_explicit = max(ev.explicit)
        earliest = ref = latest_explicit[0]
        notes.extend(f"{why} → {d.isoformat()} (published on or after)" for d, why in sorted(set(ev.explicit)))
        confidence = 0.5
    elif story_ref is not None and ev.weekdays:
        ref = story_ref
        notes.append(story_why)
        confidence = 0.3
    if ref is None:
        return None
    latest: date | None = None
    ambiguous: list[tuple[_Weekday, date, date]] = []
    for w in ev.weekdays:
        day, clear = _nearest(w.weekday, ref)
        name = day.strftime("%A")
        if not clear:
            other = day - timedelta(days=7) if day > ref else day + timedelta(days=7)
            ambiguous.append((w, min(day, other), max(day, other)))
            continue
        if w.tense == "future":
            lo, hi = day - timedelta(days=WEEK), day
        else:
            lo, hi = day, day + timedelta(days=WEEK)
        earliest = lo if earliest is None else max(earliest, lo)
        latest = hi if latest is None else min(latest, hi)
        notes.append(f"text: '{w.quote}' → {name} {day.isoformat()}")
        confidence = max(confidence, 0.7 if ev.explicit else 0.5)
    if earliest is None and ambiguous:
        # only ambiguous weekdays: report the span that holds either reading
        w, first, second = ambiguous[0]
        notes.append(
            f"text: '{w.quote}' → {first.strftime('%A')} {first.isoformat()} or {second.isoformat()} (the story's dates do not decide)"
        )
        lo = first if w.tense != "future" else first - timedelta(days=WEEK)
        hi = second + timedelta(days=WEEK) if w.tense != "future" else second
        return InferredDate(f"{lo.isoformat()}/{hi.isoformat()}", tuple(notes), 0.15, lo.isoformat(), hi.isoformat())
    if earliest is None:
        return None
    if latest is not None and latest < earliest:
        notes.append("the weekday references disagree; keeping the earliest bound only")
        latest = None
        confidence = min(confidence, 0.3)
    if latest is None:
        value = f"{earliest.isoformat()}/.."
    elif latest == earliest:
        value = earliest.isoformat()
        confidence = max(confidence, 0.8)
    else:
        value = f"{earliest.isoformat()}/{latest.isoformat()}"
    return InferredDate(value, tuple(notes), round(confidence, 2), earliest.isoformat(), latest.isoformat() if latest else None)


def infer_publication_dates(
    docs: Sequence[AnnotatedArticle],
    *,
    times_for: TimesFor | None = None,
    nlp: Language | None = None,
) -> dict[str, InferredDate]:
    """Publication dates for the reports of ONE story that have none, by article id.

    Reports with their own full dates are dated first; their dates and any metadata
    dates of the story then anchor the weekday references of the rest. A report with
    no evidence gets no entry."""
    parser = _Parser(nlp)
    times_for = times_for or default_times(parser)
    evidence = {d.id: _gather(d, parser, times_for) for d in docs if not d.article.published}
    out: dict[str, InferredDate] = {}
    for doc_id, ev in evidence.items():
        if ev.explicit:
            found = _infer_one(ev, None, "")
            if found is not None:
                out[doc_id] = found
    anchors: list[tuple[date, str]] = []
    for d in docs:
        meta = _iso(d.article.published)
        if meta is not None:
            anchors.append((meta, f"metadata date of '{d.article.title[:40]}'"))
    for doc_id, found in out.items():
        title = next(d.article.title for d in docs if d.id == doc_id)
        anchors.append((date.fromisoformat(found.earliest), f"inferred date of '{title[:40]}'"))
        # the full dates a report gives are dates of the story's events too
        anchors.extend((day, f"{why} in '{title[:40]}'") for day, why in evidence[doc_id].explicit)
    if not anchors:
        return out
    ordered = sorted(a[0] for a in anchors)
    story_ref = ordered[(len(ordered) - 1) // 2]  # lower median: a real date of the story
    why = "story: other reports date its events around " + story_ref.isoformat() + " (" + "; ".join(
        sorted({w for a, w in anchors if a == story_ref})
    ) + ")"
    for doc_id, ev in evidence.items():
        if doc_id in out:
            continue
        found = _infer_one(ev, story_ref, why)
        if found is not None:
            out[doc_id] = found
    return out


def publication_anchors(docs: Sequence[AnnotatedArticle], inferred: dict[str, InferredDate]) -> dict[str, date]:
    """The date to resolve each report's relative expressions against: its metadata
    date, else the earliest day of an inferred date that is known to within a week
    (a weekday named in the report resolves the same way anywhere in that week). A
    report dated more loosely gets no anchor, so its "Monday" stays unresolved."""
    out: dict[str, date] = {}
    for d in docs:
        meta = _iso(d.article.published)
        if meta is not None:
            out[d.id] = meta
            continue
        found = inferred.get(d.id)
        if found is None or found.latest is None:
            continue
        lo, hi = date.fromisoformat(found.earliest), date.fromisoformat(found.latest)
        if (hi - lo).days <= WEEK:
            out[d.id] = lo
    return out


def _iso(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


# ----------------------------------------------------------------------------- timeline
@dataclass(frozen=True)
class _Event:
    date: str
    granularity: str
    text: str
    article: str
    orig_start: int
    orig_end: int
    order: int


_LEAD_JUNK = re.compile(r"^(?:[\s,;:—–-]|and\b|but\b|so\b|then\b|also\b|while\b)+", re.I)
_TRAIL_JUNK = " \t\n,;:.!?\"'“”‘’—–-"


def _clause(parsed: Doc, start: int, end: int) -> tuple[int, int]:
    """The clause a time expression at [start, end) modifies: the subtree of the verb
    it hangs on (a reporting verb keeps its reported clause), without the expression
    itself when it sits at either edge ("On Sunday, ..." / "... in Cairo on Sunday")."""
    span = parsed.char_span(start, end, alignment_mode="expand")
    if span is None:
        return 0, len(parsed.text)
    verb = _verb_of(span.root)
    if verb is None:
        sent = span.sent
        lo, hi = sent.start_char, sent.end_char
    else:
        lo, hi = verb.left_edge.idx, verb.right_edge.idx + len(verb.right_edge)
    lo, hi = _trim_edges(parsed, lo, hi, span)
    return lo, hi


def _verb_of(tok: Token) -> Token | None:
    steps = 0
    while tok.pos_ not in {"VERB", "AUX"} and tok.head is not tok and steps < 8:
        tok = tok.head
        steps += 1
    if tok.pos_ not in {"VERB", "AUX"}:
        return None
    # "he added that ... on Sunday" attached to a verb inside a quote keeps that verb
    return tok


def _trim_edges(parsed: Doc, lo: int, hi: int, time: Span) -> tuple[int, int]:
    text = parsed.text
    if time.root.dep_ in {"poss", "compound", "nmod", "amod"}:
        # "Thursday's conversations were constructive": the date belongs to the subject
        return _tidy(text, lo, hi)
    # the expression (and its preposition) at the left edge: "On Sunday, two sources told..."
    left = time
    if left.start > 0 and parsed[left.start - 1].pos_ == "ADP" and parsed[left.start - 1].idx >= lo:
        left = parsed[left.start - 1 : left.end]
    if left.start_char <= lo + 1 or text[lo : left.start_char].strip() == "":
        lo = max(lo, left.end_char)
    # ... or at the right edge: "talks resumed in Cairo on Thursday."
    tail = text[time.end_char : hi]
    if tail.strip(_TRAIL_JUNK) == "" and left.start_char > lo:
        hi = left.start_char
    return _tidy(text, lo, hi)


_OPEN, _CLOSE = "“‘", "”’"


def _tidy(text: str, lo: int, hi: int) -> tuple[int, int]:
    """Strip joining words and edge punctuation, keeping quotation marks paired."""
    m = _LEAD_JUNK.match(text[lo:hi])
    if m:
        lo += m.end()
    while hi > lo and text[hi - 1] in _TRAIL_JUNK:
        hi -= 1
    while lo < hi and text[lo] in _TRAIL_JUNK:
        lo += 1
    inner = text[lo:hi]
    if inner.count("“") > inner.count("”") or inner.count('"') % 2:
        m = re.match(r"[.,!?]?[”\"]", text[hi:])
        if m:
            hi += m.end()
    return lo, hi


_DEICTIC = re.compile(
    r"(?i)\b(?:today|tonight|yesterday|tomorrow|now|ago|this|last|next|earlier|later|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
)


def _quoted_deictic(text: str, start: int, end: int) -> bool:
    """'today' inside a quotation is the day it was said, not the publication day."""
    if not _DEICTIC.search(text[start:end]):
        return False
    para = text.rfind("\n\n", 0, start) + 1
    before = text[para:start]
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1


def _content(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(w for w in words if w not in _STOP and w not in WEEKDAYS)


def same_fact(a: str, b: str) -> bool:
    """Two clauses (with the same date) state the same fact."""
    return fuzz.token_set_ratio(_content(a), _content(b)) >= SAME_FACT_RATIO


def build_timeline(
    docs: Sequence[AnnotatedArticle],
    anchors: dict[str, date],
    *,
    times_for: TimesFor | None = None,
    nlp: Language | None = None,
) -> tuple[TimelineEvent, ...]:
    """Dated events of a story, earliest first, each citing every report that states it.

    ``anchors`` maps article id -> publication date (see :func:`publication_anchors`).
    A report without an anchor contributes only dates that carry their own year
    ("August 25, 2024", "in 2023"): "July 2" or "Monday" would need the publication
    date, and chorus does not invent one. Durations, sets, weeks, quarters and vague
    references (PRESENT_REF...) are not events."""
    parser = _Parser(nlp)
    times_for = times_for or default_times(parser)
    events: list[_Event] = []
    for order, doc in enumerate(docs):
        anchor = anchors.get(doc.id)
        reference: str | None = None
        dated: set[int] = set()  # sentences that already gave a dated event
        for t in times_for(doc):
            if t.label not in {"DATE", "TIME"}:
                continue
            # "on Saturday … before the doors opened at 10 a.m.": a bare clock time
            # belongs to the day its sentence names, not to the publication day
            if t.sentence in dated and _CLOCK_ONLY.fullmatch(t.text):
                continue
            got_sentence = parser.sentence(doc, t.sentence)
            if got_sentence is None:
                continue
            parsed, offset = got_sentence
            tense = tense_at(parsed, t.start - offset, t.end - offset)
            got = resolve(t.text, t.label, anchor, tense=tense, reference=reference)
            if got is None:
                continue
            if _quoted_deictic(doc.article.text, t.start, t.end):
                continue
            value, grain = got.value, got.granularity
            if grain == "time" and re.match(r"\d{4}-\d{2}-\d{2}", value):
                value, grain = value[:10], "day"
            if grain not in _KEPT:
                continue
            reference = value
            lo, hi = _clause(parsed, t.start - offset, t.end - offset)
            if hi <= lo:
                continue
            event = _cite(doc, offset + lo, offset + hi, value, grain, order)
            if event is not None:
                events.append(event)
                dated.add(t.sentence)
    return _merge(events)


_CLOCK_ONLY = re.compile(r"(?i)(?:at\s+)?(?:\d{1,2}(?::\d\d)?\s*(?:[ap]\.?m\.?|o'clock)?|noon|midnight)(?:\s+[a-z]{2,4})?")


def _cite(doc: AnnotatedArticle, start: int, end: int, value: str, grain: str, order: int) -> _Event | None:
    """The clause as written and its source span; None when the cleaner removed
    something inside it (the source span would then not read as the clause)."""
    article = doc.article
    clause = article.text[start:end]
    try:
        o_start, o_end = article.offsets.to_original(start, end)
    except ValueError:
        return None
    if " ".join(article.source_text[o_start:o_end].split()) != " ".join(clause.split()):
        return None
    return _Event(value, grain, clause, doc.id, o_start, o_end, order)


def _merge(events: Sequence[_Event]) -> tuple[TimelineEvent, ...]:
    groups: list[list[_Event]] = []
    for e in events:
        for g in groups:
            if g[0].date == e.date and any(same_fact(e.text, other.text) for other in g):
                if all(other.article != e.article or other.text != e.text for other in g):
                    g.append(e)
                break
        else:
            groups.append([e])
    out = []
    for g in groups:
        first = min(g, key=lambda e: (e.order, e.orig_start))
        cites: dict[tuple[str, int, int], Citation] = {}
        for e in sorted(g, key=lambda e: (e.order, e.orig_start)):
            cites.setdefault((e.article, e.orig_start, e.orig_end), Citation(e.article, e.orig_start, e.orig_end))
        out.append(TimelineEvent(first.date, first.granularity, first.text, tuple(cites.values())))
    out.sort(key=lambda ev: (ev.date, ev.citations[0].article, ev.citations[0].start))
    return tuple(out)


def story_timeline(
    docs: Sequence[AnnotatedArticle], *, times_for: TimesFor | None = None, nlp: Language | None = None
) -> tuple[dict[str, InferredDate], tuple[TimelineEvent, ...]]:
    """Both steps for one story: infer the missing publication dates, then the timeline."""
    inferred = infer_publication_dates(docs, times_for=times_for, nlp=nlp)
    anchors = publication_anchors(docs, inferred)
    return inferred, build_timeline(docs, anchors, times_for=times_for, nlp=nlp)
