"""Who said what: direct, partial and indirect quotes with their speakers.

Fixtures are invented stories; the seed test reads the five real reports in
../shared/seeds at run time.
"""

from __future__ import annotations

import pytest

from chorus.clean import clean
from chorus.models import Article, Quote, RawDocument
from chorus.nlp.annotate import annotate_doc
from chorus.nlp.quotes import extract_quotes, find_marked, quote_pieces

from tests.conftest import SEEDS, need


def article_of(text: str) -> Article:
    a = clean(RawDocument(source="story.txt", text=text, kind="text", outlet="t", title="Flood story"))
    assert isinstance(a, Article)
    return a


def quotes_of(nlp, text: str) -> tuple[Article, tuple[Quote, ...]]:
    a = article_of(text)
    doc = nlp(a.text)
    ann = annotate_doc(a, doc)
    return a, extract_quotes(a, doc, [s.start for s in ann.sentences])


def the(quotes: tuple[Quote, ...], words: str) -> Quote:
    found = [q for q in quotes if words in q.text]
    assert len(found) == 1, f"{words!r} in {[q.text for q in quotes]}"
    return found[0]


# -- quotation marks (no model) ------------------------------------------------------
def test_marks_pair_straight_and_curly_quotes_within_a_paragraph():
    text = 'He said "first one" and then “second one” here.'
    spans = [text[m.start : m.end] for m in find_marked(text)]
    assert spans == ["first one", "second one"]


def test_unclosed_quote_continued_by_next_paragraph_is_one_group():
    text = "“We lost the barn in an hour.\n\n“Then the house went,” she said.\n\nLater it rained."
    spans = find_marked(text)
    assert len(spans) == 2
    assert spans[0].group == spans[1].group
    assert not spans[0].closed and spans[1].closed


def test_apostrophes_are_not_single_quotes():
    text = "The farmers’ union said it’s ‘too early’ to count the losses."
    assert [text[m.start : m.end] for m in find_marked(text)] == ["too early"]


# -- direct quotes -------------------------------------------------------------------
@pytest.mark.slow
def test_quote_split_by_its_cue_is_one_quote_with_the_speaker(nlp):
    a, quotes = quotes_of(
        nlp,
        "Floodwater reached the old town on Tuesday.\n\n"
        "“The river is still rising,” Mayor Ellen Varga said, “but the levees are holding.”\n",
    )
    q = the(quotes, "The river is still rising")
    assert q.kind == "direct"
    assert "but the levees are holding" in q.text
    assert q.speaker == "Ellen Varga" and q.speaker_role == "Mayor"
    assert q.cue == "said"
    pieces = [a.text[s:e] for s, e in quote_pieces(a, q)]
    assert pieces == ["The river is still rising,", "but the levees are holding."]
    # offsets point into the source text
    assert a.source_text[q.orig_start : q.orig_end].startswith("The river is still rising")
    assert a.source_text[q.speaker_orig_start : q.speaker_orig_end] == "Ellen Varga"


@pytest.mark.slow
def test_straight_quotes_and_inverted_cue(nlp):
    _, quotes = quotes_of(nlp, 'Crews worked overnight.\n\n"We moved four hundred people to the school gym," said Tomas Reyes, a volunteer.\n')
    q = the(quotes, "four hundred people")
    assert (q.kind, q.speaker, q.speaker_role) == ("direct", "Tomas Reyes", "volunteer")


@pytest.mark.slow
def test_quote_running_over_two_paragraphs_is_one_quote(nlp):
    _, quotes = quotes_of(
        nlp,
        "Lena Holt, who farms by the river, watched the water come in.\n\n"
        "“We lost the barn in the first hour. The animals were already out.\n\n"
        "“Then the kitchen went, and the road,” Holt said.\n",
    )
    q = the(quotes, "We lost the barn")
    assert "Then the kitchen went" in q.text
    assert q.speaker == "Lena Holt"


@pytest.mark.slow
def test_quote_paragraph_without_cue_takes_the_previous_speaker(nlp):
    _, quotes = quotes_of(
        nlp,
        "Harbor master Sarah Cole said the port would reopen on Friday, calling the repairs “steady.”\n\n"
        "“We have cleared the main channel and the cranes are working again.”\n\n"
        "Shipping firms were not convinced.\n",
    )
    q = the(quotes, "cleared the main channel")
    assert q.kind == "direct" and q.speaker == "Sarah Cole"


@pytest.mark.slow
def test_quote_after_cue_sentence_in_same_paragraph_joins_it(nlp):
    _, quotes = quotes_of(nlp, "“That figure is wrong,” Cole told reporters. “The damage is smaller.”\n")
    q = the(quotes, "That figure is wrong")
    assert "The damage is smaller" in q.text and q.cue == "told reporters"


# -- partial and indirect ------------------------------------------------------------
@pytest.mark.slow
def test_partial_quotes_inside_narration(nlp):
    _, quotes = quotes_of(
        nlp,
        "Harbor master Sarah Cole spoke on Monday.\n\n"
        "Cole called the damage “manageable.”\n\n"
        "Cole said the crews were working “around the clock” to clear the docks.\n",
    )
    called = the(quotes, "manageable")
    assert called.kind == "partial" and called.speaker == "Sarah Cole"
    assert called.text == "the damage “manageable.”"
    clause = the(quotes, "around the clock")
    assert clause.kind == "partial" and clause.speaker == "Sarah Cole"
    assert clause.text.startswith("the crews were working")


@pytest.mark.slow
def test_indirect_speech_with_role_and_cue(nlp):
    _, quotes = quotes_of(
        nlp,
        "Fire chief Rob Lanning told reporters that two warehouses had burned down overnight.\n\n"
        "According to the port authority, three cargo ships were damaged in the storm.\n\n"
        "Two city officials told the Daily Courier that the damage exceeded five million dollars.\n\n"
        "The bridge will stay closed until Monday, Lanning added.\n",
    )
    q = the(quotes, "two warehouses")
    assert q.kind == "indirect" and q.text == "two warehouses had burned down overnight"
    assert (q.speaker, q.speaker_role, q.cue) == ("Rob Lanning", "Fire chief", "told reporters")
    acc = the(quotes, "three cargo ships")
    assert acc.cue == "according to" and "port authority" in acc.speaker
    anon = the(quotes, "five million dollars")
    assert anon.speaker == "two city officials"
    par = the(quotes, "bridge will stay closed")
    assert par.speaker == "Rob Lanning" and par.cue == "added"


# -- speakers ------------------------------------------------------------------------
@pytest.mark.slow
def test_people_sharing_a_surname_are_not_merged(nlp):
    _, quotes = quotes_of(
        nlp,
        "Anna Berg, the city's chief engineer, said the pumps had failed at midnight.\n\n"
        "Her brother, shop owner Lars Berg, said the shops on the quay were flooded.\n\n"
        "Ms. Berg said the repairs would take a week.\n\n"
        "Mr. Berg said he would reopen his shop on Saturday.\n",
    )
    assert the(quotes, "pumps had failed").speaker == "Anna Berg"
    assert the(quotes, "shops on the quay").speaker == "Lars Berg"
    assert the(quotes, "repairs would take a week").speaker == "Anna Berg"
    assert the(quotes, "reopen his shop").speaker == "Lars Berg"


@pytest.mark.slow
def test_pronoun_resolves_to_the_person_of_matching_gender(nlp):
    _, quotes = quotes_of(
        nlp,
        "Relief worker Paul Okafor said his team needed more boats.\n\n"
        "Governor Maria Santos said her office would send them by noon.\n\n"
        "Okafor thanked the governor's staff. She added that the National Guard would help with the evacuation.\n",
    )
    assert the(quotes, "National Guard").speaker == "Maria Santos"
    assert the(quotes, "more boats").speaker == "Paul Okafor"


@pytest.mark.slow
def test_fullest_name_and_role_carry_to_later_mentions(nlp):
    _, quotes = quotes_of(
        nlp,
        "Port director John Malloy visited the docks on Sunday.\n\n"
        "Malloy said the cranes would be inspected this week.\n\n"
        "The director said insurance would cover most of the losses.\n",
    )
    q = the(quotes, "cranes would be inspected")
    assert (q.speaker, q.speaker_role) == ("John Malloy", "Port director")
    assert the(quotes, "insurance would cover").speaker == "John Malloy"


@pytest.mark.slow
def test_anonymous_source_is_kept_with_its_description(nlp):
    a, quotes = quotes_of(
        nlp,
        "A senior port official, who spoke on condition of anonymity, said the strike was over.\n\n"
        "“We expect the first ships on Thursday,” the official said.\n",
    )
    first = the(quotes, "strike was over")
    assert first.speaker == "a senior port official" and first.speaker_role is None
    later = the(quotes, "first ships on Thursday")
    assert later.speaker == "a senior port official"
    # the speaker span is the mention in that sentence
    assert a.source_text[later.speaker_orig_start : later.speaker_orig_end] == "the official"


@pytest.mark.slow
def test_sentence_index_matches_chorus_sentences(nlp):
    a = article_of("The storm passed.\n\nNobody was hurt. Rescuers said the last family had been found.\n")
    doc = nlp(a.text)
    ann = annotate_doc(a, doc)
    quotes = extract_quotes(a, doc, [s.start for s in ann.sentences])
    q = the(quotes, "last family")
    s = ann.sentences[q.sentence]
    assert s.start <= q.start < s.end
    # without sentence starts the index is the same
    assert extract_quotes(a, doc)[0].sentence == q.sentence


@pytest.mark.slow
def test_scare_quotes_and_titles_are_not_quotes(nlp):
    _, quotes = quotes_of(nlp, "The so-called “storm of the century” closed the port. Residents watched “Flood Night” on television.\n")
    assert quotes == ()


# -- the seeds -----------------------------------------------------------------------
SEED_SPEAKERS = {
    "We need to get down to the brass tacks": ("John Kirby",),
    "There was not an impact on the talks in Cairo": ("John Kirby",),
    "bearing down on the details": ("Jake Sullivan",),
    "Israel supports the bridging proposal": ("Antony Blinken",),
    "Israel has set new conditions": ("Osama Hamdan",),
    "The Americans are offering promises, not guarantees": ("the Egyptian official", "an Egyptian official"),
}


@pytest.mark.slow
def test_seed_quotes_have_the_right_speakers(nlp):
    from chorus.read import read_inputs

    seeds = sorted(need(SEEDS).glob("*.txt"))
    quotes = []
    for path in seeds:
        for raw in read_inputs([str(path)], max_bytes=10**8):
            a = clean(raw)
            assert isinstance(a, Article)
            doc = nlp(a.text)
            ann = annotate_doc(a, doc)
            quotes += extract_quotes(a, doc, [s.start for s in ann.sentences])
    for words, speakers in SEED_SPEAKERS.items():
        found = [q for q in quotes if words in q.text]
        assert found, f"no quote with {words!r}"
        for q in found:
            assert q.kind == "direct", (words, q.kind)
            assert q.speaker in speakers, (words, q.speaker)


def test_a_fault_in_quote_extraction_keeps_the_article(nlp, monkeypatch, caplog):
    from chorus.clean import clean
    from chorus.models import RawDocument
    from chorus.nlp import annotate as annotate_module

    def broken(*args):
        raise IndexError("list index out of range")

    monkeypatch.setattr(annotate_module, "extract_quotes", broken)
    article = clean(RawDocument("odd.txt", "Ferry resumes\n\nThe ferry resumed on Monday, the operator said.\n", "text", outlet="odd"))
    doc = next(annotate_module.annotate([article], nlp))
    assert doc.quotes == () and len(doc.sentences) == 1 and doc.times
    assert "odd.txt: finding quotes failed (IndexError" in caplog.text
