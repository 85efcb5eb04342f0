"""Sentence boundaries chorus sets around the statistical splitter: paragraphs, datelines,
and the typed dashes of old wire copy ("_", "--"), which the splitter takes for sentence
ends."""

from __future__ import annotations

import pytest

from chorus.clean import clean
from chorus.models import RawDocument
from chorus.nlp.annotate import annotate

pytestmark = pytest.mark.slow


def sentences(nlp, text: str) -> list[str]:
    article = clean(RawDocument(source="t.txt", text=text, kind="text", title="A title", outlet="T"))
    (doc,) = annotate([article], nlp)
    return [doc.sentence_text(s) for s in doc.sentences]


@pytest.mark.parametrize(
    "dateline, lede",
    [
        ("NORRHAVEN, Veldland (AP) _", "Norrhaven stocks dropped sharply Monday in the lowest trading volume of the year."),
        ("NORRHAVEN (AP) --", "The council voted on Tuesday to close the port."),
        ("NEW YORK _", "Anyone following the city council race knows it."),
        ("KESSARIN (Reuters) -", "Rescuers reached the village on Monday."),
    ],
)
def test_a_dateline_is_never_a_sentence_nor_part_of_one_whatever_its_dash(nlp, dateline, lede):
    # the splitter alone leaves "NORRHAVEN (AP) --" as a sentence of its own, and
    # keeps "KESSARIN (Reuters) -" inside the first sentence
    article = clean(RawDocument(source="t.txt", text=f"{dateline} {lede} Turnout was high.", kind="text", title="A title", outlet="T"))
    (doc,) = annotate([article], nlp)
    assert [doc.sentence_text(s) for s in doc.sentences] == [lede, "Turnout was high."]
    first = doc.sentences[0]
    assert article.source_text[first.orig_start : first.orig_end] == lede  # its citation is the lede's words
    place = doc.mentions[0]  # the dateline's place belongs to the sentence it heads
    assert dateline.startswith(place.text) and place.sentence == 0


def test_the_opening_that_story_assignment_reads_keeps_the_dateline(nlp):
    # no sentence holds "NORRHAVEN, Veldland (AP) _", but where a report was filed
    # says which story it tells: the lead that story vectors read keeps it
    text = "NORRHAVEN, Veldland (AP) _ The council voted on Tuesday to close the port. Turnout was high. Ships left."
    article = clean(RawDocument(source="t.txt", text=text, kind="text", title="A title", outlet="T"))
    (doc,) = annotate([article], nlp)
    assert doc.opening(2) == "NORRHAVEN, Veldland (AP) _ The council voted on Tuesday to close the port. Turnout was high."
    assert doc.opening(9) == text


def test_an_aside_after_a_typed_dash_does_not_cut_the_sentence(nlp):
    text = "``It is beyond a tragedy _ it is a crime,'' the mayor said. The council meets on Friday."
    assert sentences(nlp, text) == [
        "``It is beyond a tragedy _ it is a crime,'' the mayor said.",
        "The council meets on Friday.",
    ]


def test_a_sentence_never_runs_across_two_paragraphs(nlp):
    got = sentences(nlp, "The port reopened on Monday\n\nShips queued outside the harbor.")
    assert got == ["The port reopened on Monday", "Ships queued outside the harbor."]
