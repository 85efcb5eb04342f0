"""Publication dates inferred from content, and the story timeline with citations."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from chorus.analyze.timeline import same_fact
from chorus.models import RawDocument, Removed
from tests.conftest import SEEDS, need

pytestmark = pytest.mark.slow

WIRE = (
    "Vessby dock strike ends\n\n"
    "Dockworkers in Vessby ended their strike on Monday after the union accepted a six percent pay offer, "
    "the port authority said.\n\n"
    "The strike had halted container traffic for nine days. It began after talks broke down last October."
)
LOCAL = (
    "Port of Vessby back at work\n\n"
    "On Monday, dockworkers in Vessby ended their strike when the union accepted a pay offer of six percent, "
    "port officials said.\n\n"
    "Ships queued outside the harbor for days."
)
QUIET = "Ferry timetables\n\nThe ferry to Lindholm leaves from the north pier and takes forty minutes."


def _annotated(nlp, *items):
    from chorus.clean import clean
    from chorus.nlp.annotate import annotate

    articles = []
    for text, published, caption in items:
        article = clean(RawDocument(source=f"{len(articles)}.txt", text=text, kind="text", published=published))
        if caption:
            # a photo caption the cleaner took out: it still dates the report
            start = article.source_text.find(caption)
            article = dataclasses.replace(article, removed=(Removed(start, start + len(caption), "caption", caption),))
        articles.append(article)
    return list(annotate(articles, nlp))


def test_caption_date_and_weekday_give_a_range_not_an_invented_day(nlp):
    from chorus.analyze.timeline import infer_publication_dates

    caption = "Workers leave the port of Vessby on March 9, 2031."  # a Sunday
    [doc] = _annotated(nlp, (LOCAL + "\n\n" + caption, None, caption))
    found = infer_publication_dates([doc], nlp=nlp)[doc.id]
    # Monday after the photo: published that Monday or within the week after it
    assert (found.earliest, found.latest) == ("2031-03-10", "2031-03-16")
    assert found.date == "2031-03-10/2031-03-16" and not found.precise
    assert any(e.startswith("caption: 'on March 9, 2031'") for e in found.evidence)
    assert any("Monday 2031-03-10" in e for e in found.evidence)


def test_story_dates_anchor_a_report_that_only_names_a_weekday(nlp):
    from chorus.analyze.timeline import infer_publication_dates

    wire, local, quiet = _annotated(nlp, (WIRE, "2031-03-12", None), (LOCAL, None, None), (QUIET, None, None))
    found = infer_publication_dates([wire, local, quiet], nlp=nlp)
    assert wire.id not in found  # it has a metadata date
    assert quiet.id not in found  # no evidence, no date
    assert found[local.id].earliest == "2031-03-10"  # the Monday before the wire's Wednesday
    assert any(e.startswith("story:") for e in found[local.id].evidence)


def test_weekday_too_far_from_the_story_is_reported_as_ambiguous(nlp):
    from chorus.analyze.timeline import infer_publication_dates, publication_anchors

    text = "Strike talks\n\nThe union said on Friday that talks with the port would go on."
    # story date: a Monday; the Friday before (3 days) and after (4 days) are both plausible
    wire, other = _annotated(nlp, (WIRE, "2031-03-10", None), (text, None, None))
    found = infer_publication_dates([wire, other], nlp=nlp)[other.id]
    assert found.confidence < 0.3
    assert found.earliest == "2031-03-07" and found.latest == "2031-03-20"
    assert other.id not in publication_anchors([wire, other], {other.id: found})


def test_timeline_merges_one_fact_from_two_reports_and_cites_both(nlp):
    from chorus.analyze.timeline import build_timeline

    wire, local = _annotated(nlp, (WIRE, "2031-03-12", None), (LOCAL, None, None))
    events = build_timeline([wire, local], {wire.id: date(2031, 3, 12), local.id: date(2031, 3, 11)})
    by_date = {e.date: e for e in events}
    strike_end = by_date["2031-03-10"]
    assert {c.article for c in strike_end.citations} == {wire.id, local.id}
    # the clause the date modifies, without the attribution around it
    assert strike_end.text == "Dockworkers in Vessby ended their strike on Monday after the union accepted a six percent pay offer"
    assert by_date["2030-10"].granularity == "month"  # "last October", a month before a year
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert not any(e.date.startswith("P") for e in events)  # "nine days" is no event
    docs = {wire.id: wire, local.id: local}
    for e in events:
        first = e.citations[0]
        cited = docs[first.article].article.source_text[first.start : first.end]
        assert " ".join(cited.split()) == " ".join(e.text.split())  # the cited span reads as the clause
    for c in strike_end.citations:
        assert "ended their strike" in docs[c.article].article.source_text[c.start : c.end]


def test_without_an_anchor_only_dates_with_a_year_are_placed(nlp):
    from chorus.analyze.timeline import build_timeline

    text = "Port history\n\nThe port opened on June 4, 1921, and on Monday it celebrated again in July."
    [doc] = _annotated(nlp, (text, None, None))
    events = build_timeline([doc], {})
    assert [e.date for e in events] == ["1921-06-04"]


def test_same_fact_threshold_on_invented_pairs():
    assert same_fact(
        "two port officials told reporters that talks over a pay deal ended without agreement in Vessby",
        "no agreement was reached regarding the pay deal in Vessby, according to two port officials",
    )
    assert not same_fact(
        "two port officials told reporters that talks over a pay deal ended without agreement in Vessby",
        "the ferry to Lindholm was cancelled because of high winds",
    )


def test_seed_story_places_the_sunday_events_on_the_sunday_before_publication(nlp):
    from chorus.analyze.timeline import build_timeline, infer_publication_dates, publication_anchors
    from chorus.clean import clean
    from chorus.nlp.annotate import annotate
    from chorus.read import read_inputs

    need(SEEDS)
    articles = [clean(r) for r in read_inputs([str(SEEDS)], max_bytes=10**8)]
    docs = list(annotate(articles, nlp))
    inferred = infer_publication_dates(docs, nlp=nlp)
    by_name = {d.article.source.rsplit("/", 1)[-1][:3]: d for d in docs}
    # 003 dates itself: a caption "on August 25, 2024" and "On Monday" -> on or after
    # Monday 26 August, not a day it cannot know
    own = inferred[by_name["003"].id]
    assert own.earliest == "2024-08-26" and not own.precise
    anchors = publication_anchors(docs, inferred)
    events = build_timeline(docs, anchors, nlp=nlp)
    sunday_events = [e for e in events if "agreement" in e.text and "Egyptian" in e.text]
    assert sunday_events
    cited = {c.article for e in sunday_events for c in e.citations}
    assert {by_name["000"].id, by_name["002"].id} <= cited
    for e in sunday_events:
        day = date.fromisoformat(e.date)
        assert day.weekday() == 6  # a Sunday
        for c in e.citations:
            published = date.fromisoformat(inferred[c.article].earliest)
            assert 0 <= (published - day).days < 7  # the Sunday before (or of) publication
            source = next(d for d in docs if d.id == c.article).article.source_text[c.start : c.end]
            assert "Egyptian" in source and "agreement" in source
    # the two reports of the failed Sunday talks are one event
    assert any(len(e.citations) >= 2 for e in sunday_events)


def test_a_clock_time_belongs_to_the_day_its_sentence_names(nlp):
    from chorus.analyze.timeline import build_timeline

    text = ("Hall reopens\n\nThe hall welcomed its first visitors on Saturday since a fire in May last year, "
            "with a queue stretching past the market before the doors opened at 10 a.m.")
    [doc] = _annotated(nlp, (text, "2031-03-17", None))  # published on the Monday after
    events = build_timeline([doc], {doc.id: date(2031, 3, 17)})
    assert "2031-03-17" not in [e.date for e in events]  # "10 a.m." is Saturday's, not the publication day's
    assert "2031-03-15" in [e.date for e in events]
