"""`chorus eval time`: the TimeML reader and scorer on an invented document, and the
evaluation itself on a slice of TimeBank + AQUAINT."""

from __future__ import annotations

import time

import pytest

from chorus.evaluate.time import Timex, evaluate, normalize_value, read_tml, score, score_doc

from tests.conftest import EVAL, need

TML = """<?xml version="1.0" ?>
<TimeML>
<DOCID>INV19990302.0001</DOCID>
<DCT><TIMEX3 tid="t0" type="DATE" value="1999-03-02" temporalFunction="false" functionInDocument="CREATION_TIME">03/02/1999</TIMEX3></DCT>
<TEXT>
The ferry union in Vessby <EVENT eid="e1" class="OCCURRENCE">voted</EVENT> <TIMEX3 tid="t1" type="DATE" value="1999-03-01">Monday</TIMEX3> to end a strike that lasted <TIMEX3 tid="t2" type="DURATION" value="P9D">nine days</TIMEX3>.
Talks resume <TIMEX3 tid="t3" type="DATE" value="1999-W10">next week</TIMEX3> &amp; fares rise <TIMEX3 tid="t4" type="SET" value="P1Y">annually</TIMEX3>.
</TEXT>
</TimeML>
"""


@pytest.fixture()
def tml(tmp_path):
    path = tmp_path / "TimeBank" / "INV19990302.0001.tml"
    path.parent.mkdir()
    path.write_text(TML, encoding="utf-8")
    return path


def test_reader_keeps_offsets_so_gold_spans_read_as_written(tml):
    doc = read_tml(tml, "TimeBank")
    assert str(doc.dct) == "1999-03-02"
    assert [t.text for t in doc.timexes] == ["Monday", "nine days", "next week", "annually"]
    for t in doc.timexes:
        assert doc.text[t.start : t.end] == t.text
    assert "& fares" in doc.text  # entities decoded, tags dropped
    assert doc.timexes[1].type == "DURATION" and doc.timexes[1].value == "P9D"


def test_scorer_strict_relaxed_and_value(tml):
    doc = read_tml(tml, "TimeBank")
    g = {t.text: t for t in doc.timexes}
    pred = [
        Timex(g["Monday"].start, g["Monday"].end, "DATE", "1999-03-01", "Monday"),  # exact, right value
        Timex(g["nine days"].start + 5, g["nine days"].end, "DURATION", "P9D", "days"),  # overlap, right value
        Timex(g["next week"].start, g["next week"].end, "DATE", "1999-W11", "next week"),  # exact, wrong value
        Timex(0, 3, "DATE", "1999", "The"),  # false positive
    ]
    c = score_doc(doc.timexes, pred)
    assert (c.gold, c.pred, c.strict, c.relaxed, c.value) == (4, 4, 2, 3, 2)
    m = score([doc], [pred])["all"].metrics()
    assert m["strict_f1"] == pytest.approx(0.5)
    assert m["relaxed_f1"] == pytest.approx(0.75)
    assert m["value_f1"] == pytest.approx(0.5)
    assert set(score([doc], [pred])) == {"all", "TimeBank"}


def test_one_prediction_matches_one_gold_only():
    gold = [Timex(0, 6, "DATE", "1999-03-01", "Monday"), Timex(7, 14, "TIME", "1999-03-01TMO", "morning")]
    pred = [Timex(0, 14, "TIME", "1999-03-01TMO", "Monday morning")]
    c = score_doc(gold, pred)
    assert (c.relaxed, c.value) == (1, 1)  # not two matches for one prediction


def test_value_comparison_ignores_notation_only():
    assert normalize_value("2000-W7") == normalize_value("2000-W07")
    assert normalize_value("1989-11-06T17") == normalize_value("1989-11-06T17:00")
    assert normalize_value("1989-11-06") != normalize_value("1989-11-07")


@pytest.mark.slow
def test_chorus_beats_spacy_plus_dateparser_on_timebank_and_aquaint():
    data = need(EVAL / "timebank")
    began = time.monotonic()
    result = evaluate(data, {"limit": "40"})  # 40 documents of each sub-corpus
    assert time.monotonic() - began < 90
    base = result.baselines["spacy+dateparser"]
    assert result.n > 300
    assert result.metrics["value_f1"] > base["value_f1"] + 0.2
    assert result.metrics["relaxed_f1"] >= base["relaxed_f1"]
    # both sub-corpora hold up, not only the one the rules were written on
    assert result.metrics["timebank_value_f1"] > 0.7
    assert result.metrics["aquaint_value_f1"] > 0.65
