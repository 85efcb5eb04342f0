"""Claims, corroboration by independent origin, disputes and framing, on an invented
story told by four outlets."""

from __future__ import annotations

import pytest

from chorus.analyze.claims import build_claims, independent_count, sentence_origins
from chorus.analyze.disputes import find_disputes, lexicon, side_in
from chorus.analyze.framing import framing
from chorus.clean import clean
from chorus.models import RawDocument, Support
from chorus.nlp.annotate import annotate

pytestmark = pytest.mark.slow

REPORTS = {
    "harbor_wire": (
        "Port talks end without a deal\n\n"
        "Talks between the dockers' union and the port authority in Vessby ended without agreement on Sunday, "
        "two union sources told Reuters.\n\n"
        "Police said 14 people were injured in clashes outside the terminal on Saturday.\n\n"
        "The union wants the release of the detained protesters held since the clashes.\n"
    ),
    "coast_daily": (
        "Vessby port dispute unresolved\n\n"
        "Negotiations between the dockers' union and the port authority in Vessby ended on Sunday without agreement, "
        "according to two union sources.\n\n"
        "The union is demanding the release of jailed activists arrested after the clashes.\n"
    ),
    "ledger": (
        "Port authority sees progress\n\n"
        "Port authority chief Mara Lindqvist said on Monday that the talks with the union had made real progress "
        "and were constructive.\n\n"
        "Hospital officials said 17 people were injured in the clashes outside the terminal on Saturday.\n\n"
        "The authority has refused to free the rioters in custody before the inquiry ends.\n"
    ),
    "evening_post": (
        "Ferry timetable changes\n\n"
        "The ferry company will add a late sailing to Harwick on Fridays from next month, it said on Monday.\n"
    ),
}


@pytest.fixture(scope="module")
def docs(nlp):
    articles = [clean(RawDocument(source=k, text=v, kind="text", outlet=k)) for k, v in REPORTS.items()]
    return list(annotate(articles, nlp))


def by_outlet(docs, claim):
    outlets = {d.id: d.article.outlet for d in docs}
    return sorted(outlets[a] for a in claim.sources)


def test_two_reports_citing_the_same_unnamed_sources_count_once(docs):
    claims = build_claims(docs)
    ended = next(c for c in claims if "without agreement" in c.text)
    assert by_outlet(docs, ended) == ["coast_daily", "harbor_wire"]
    assert ended.independent_sources == 1 and ended.status == "single_source"
    for s in ended.support:  # every support cites its own source text exactly
        doc = next(d for d in docs if d.id == s.article)
        assert " ".join(doc.article.source_text[s.start : s.end].split()) == " ".join(s.text.split())


def test_independent_outlets_corroborate(docs):
    claims = build_claims(docs)
    injured = [c for c in claims if "injured" in c.text]
    assert len(injured) == 1, [c.text for c in claims]
    assert by_outlet(docs, injured[0]) == ["harbor_wire", "ledger"]
    assert injured[0].independent_sources == 2 and injured[0].status == "corroborated"


def test_unrelated_sentences_are_not_one_claim(docs):
    for c in build_claims(docs):
        if any("ferry" in s.text for s in c.support):
            assert len(c.sources) == 1


def test_same_syndication_group_counts_once(docs):
    claims = build_claims(docs, groups={d.id: "g1" for d in docs})
    assert max(c.independent_sources for c in claims) == 1


def test_contradiction_and_number_disputes_name_both_sides(docs):
    claims = build_claims(docs)
    disputes = find_disputes(claims, docs)
    talks = next(d for d in disputes if d.kind == "contradiction")
    negative, positive = talks.sides
    assert any("without agreement" in s.text for s in negative.support)
    assert any("progress" in s.text for s in positive.support)
    assert "union sources" in " ".join(negative.who)
    numbers = next(d for d in disputes if d.kind == "numbers")
    assert numbers.topic == "injured" and [s.position for s in numbers.sides] == ["14 injured", "17 injured"]


def test_framing_groups_the_four_names_of_the_held_people(docs, nlp):
    entries = framing(docs, nlp)
    held = next(f for f in entries if any(v.phrase == "detained protesters" for v in f.variants))
    phrases = {v.phrase for v in held.variants}
    assert {"detained protesters", "jailed activists", "rioters"} <= phrases
    assert next(v for v in held.variants if v.phrase == "rioters").loaded


def test_origins_named_in_a_sentence():
    assert sentence_origins("Two Egyptian security sources told Reuters that the talks ended.") == {
        "wire:Reuters",
        "anon:egyptian security source",
    }
    assert sentence_origins("The talks ended, according to the AP.") == {"wire:AP"}
    assert sentence_origins("Reuters is a news agency.") == set()


def test_shared_origin_links_supports_transitively():
    s = [Support("a", 0, 1, "", ("wire:Reuters",)), Support("b", 0, 1, "", ("wire:Reuters", "group:b")), Support("c", 0, 1, "", ("group:b",))]
    assert independent_count(s) == 1
    assert independent_count([Support("a", 0, 1, "", ("group:a",)), Support("b", 0, 1, "", ("group:b",))]) == 2


def test_denial_turns_the_denied_side_around():
    frame = lexicon().frames[0]
    assert side_in(frame, "He pushed back on suggestions that the talks have broken down.", "", lexicon().denial)[0] == 1
    assert side_in(frame, "No agreement was reached on Sunday in the talks.", "", lexicon().denial)[0] == -1
    assert side_in(frame, "“That is not accurate,” he said.", "Reports said talks are near collapse.", lexicon().denial)[0] == 1


def test_a_dispute_side_names_each_position_once():
    from chorus.analyze.disputes import _side
    from chorus.models import Claim

    a = Claim("c1", "Talks were constructive, the spokesman said.", "disputed", ("x",), 1, (Support("x", 0, 44, "t"),))
    b = Claim("c2", "He pushed back on reports the talks broke down: they were constructive.", "disputed", ("y",), 1,
              (Support("y", 0, 70, "t"),))  # fmt: skip
    side = _side([(a, "constructive", ""), (b, "pushed back: broken down; constructive", ""), (a, "Constructive", "")], {})
    assert side.position == "pushed back: broken down; constructive"
    assert side.claims == ("c1", "c2")


def test_two_reports_of_one_outlet_are_one_source(nlp):
    docs = []
    for i, (outlet, text) in enumerate([
        ("Harbor Wire", "Strike ends\n\nDockworkers in Vessby ended their strike on Monday after the union accepted a pay offer."),
        ("Harbor Wire", "Dockers return\n\nDockworkers in Vessby ended their strike on Monday when the union accepted a pay offer."),
        ("Valley Post", "Back at work\n\nOn Monday dockworkers in Vessby ended their strike after the union accepted a pay offer."),
    ]):  # fmt: skip
        article = clean(RawDocument(source=f"{i}.txt", text=text, kind="text", outlet=outlet))
        docs.append(next(annotate([article], nlp)))
    [claim] = [c for c in build_claims(docs[:2]) if len(c.sources) == 2]
    assert claim.independent_sources == 1 and claim.status == "single_source"
    [claim] = [c for c in build_claims(docs) if len(c.sources) == 3]
    assert claim.independent_sources == 2 and claim.status == "corroborated"


def test_one_speaker_saying_two_things_is_two_claims(nlp):
    """The words of an attribution ("union leader …, said") are not what a claim says."""
    docs = []
    for i, (outlet, text) in enumerate([
        ("Harbor Wire", 'Strike ends\n\n"We are glad to be back at work," union leader Maren Olufsen said on Monday.'),
        ("Valley Post", "Dockers return\n\nUnion leader Maren Olufsen said on Monday that members voted by a large margin to accept."),
    ]):  # fmt: skip
        article = clean(RawDocument(source=f"{i}.txt", text=text, kind="text", outlet=outlet))
        docs.append(next(annotate([article], nlp)))
    assert all(len(c.sources) == 1 for c in build_claims(docs))
