"""``chorus eval summary``: the ROUGE set-up, reading both DUC namings, and the gate
on DUC 2003. Fixtures are invented; the real data is read from ../shared at run time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chorus.evaluate import summary as ev
from tests.conftest import EVAL, need

pytest.importorskip("rouge_score", reason="chorus eval summary needs rouge-score")

WORDS_A = "the harbour ferry ran aground near the northern pier after its engine failed in a storm".split()
WORDS_B = "voters chose one new council while turnout fell sharply across every rural district".split()


def _words(n: int, vocabulary: list[str]) -> str:
    return " ".join(vocabulary[i % len(vocabulary)] + (str(i // len(vocabulary)) if i >= len(vocabulary) else "")
                    for i in range(n))  # fmt: skip


def test_scorer_cuts_candidate_and_reference_to_100_words():
    score = ev.make_scorer()
    ref = _words(150, WORDS_A)
    # the reference's words past the 100th do not count: its first 100 words recall all of it
    assert score(_words(100, WORDS_A), [ref]).r1 == pytest.approx(1.0)
    # the candidate's words past the 100th do not count: the right words come too late
    late = _words(100, WORDS_B) + " " + ref
    assert score(late, [ref]).r1 < 0.05
    assert score(ref + " " + _words(100, WORDS_B), [ref]).r1 == pytest.approx(1.0)


def test_scorer_averages_recall_over_references_and_stems():
    score = ev.make_scorer()
    a, b = " ".join(WORDS_A), " ".join(WORDS_B)
    both = score(a, [a, b])
    assert both.r1 == pytest.approx(0.5) and both.r2 == pytest.approx(0.5)  # mean, not max
    # Porter stemming: "failed"/"fails", "storm"/"storms" match
    assert score("the engine fails in storms", ["the engine failed in a storm"]).r1 == pytest.approx(5 / 6)


SGML_P = """<DOC>
<DOCNO> APW19990301.0101 </DOCNO>
<DATE_TIME> 03/01/1999 10:15:00 </DATE_TIME>
<BODY>
<HEADLINE> Ferry runs aground off Norrvik </HEADLINE>
<TEXT>
<P>
   NORRVIK, Eastland (AP) _ A passenger ferry ran aground near the northern pier
of Norrvik on Monday after its engine failed in a storm, the coast guard said.
</P>
<ANNOTATION> (STORY CAN END HERE. OPTIONAL MATERIAL FOLLOWS) </ANNOTATION>
<P>
   All 212 passengers were taken ashore by lifeboats, Smith &AMP; Sons, the
ferry's owner, said in a statement.
</P>
</TEXT>
</BODY>
</DOC>
"""

SGML_LINES = """<DOC>
<DOCNO> NYT19990302.0042 </DOCNO>
<DATE_TIME> 1999-03-02 08:01 </DATE_TIME>
<BODY>
<TEXT>
	   NORRVIK, Eastland _ The coast guard of Eastland said Tuesday that the
ferry that ran aground near the northern pier of Norrvik had lost its engine
in a storm.
	   All 212 passengers were taken ashore by lifeboats on Monday night, and
the ferry's owner said it would pay for their hotels &QL; in the town.
</TEXT>
</BODY>
</DOC>
"""

SGML_OTHER = """<DOC>
<DOCNO> APW19990310.0007 </DOCNO>
<DATE_TIME> 03/10/1999 07:00:00 </DATE_TIME>
<TEXT>
	   ALDEN, Westland (AP) _ Voters in the farming district of Alden chose a new
council on Sunday, and turnout fell sharply across every rural ward, the election
office said.
	   The new council will meet for the first time next month to set the budget
for roads and schools, the election office said.
"""  # no </TEXT></DOC>: a truncated file still reads

REF_FERRY = "A ferry ran aground near Norrvik after its engine failed in a storm . All 212 passengers were taken ashore ."
REF_VOTE = "Voters in Alden chose a new council . Turnout fell sharply in rural wards ."


def duc_layout(root: Path, lowercase: bool) -> Path:
    """Two clusters in the DUC 2004 layout; references named D30001.M.100.T.A (DUC's
    capitals) or d30001.m.100.t.a (as some copies have it)."""
    for folder, files in {"d30001t": {"APW19990301.0101": SGML_P, "NYT19990302.0042": SGML_LINES},
                          "d30010t": {"APW19990310.0007": SGML_OTHER}}.items():  # fmt: skip
        (root / "docs" / folder).mkdir(parents=True)
        for name, text in files.items():
            (root / "docs" / folder / name).write_text(text, encoding="utf-8")
    (root / "models").mkdir()
    for name, text in {"D30001.M.100.T.A": REF_FERRY, "D30001.M.100.T.B": REF_FERRY + " The coast guard reported it .",
                       "D30010.M.100.T.C": REF_VOTE}.items():  # fmt: skip
        (root / "models" / (name.lower() if lowercase else name)).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("lowercase", [False, True])
def test_reads_duc_sgml_and_matches_models_by_cluster_number_in_either_case(tmp_path, lowercase):
    clusters = ev.read_clusters(duc_layout(tmp_path, lowercase))
    assert [c.name for c in clusters] == ["d30001t", "d30010t"]
    ferry, vote = clusters
    assert len(ferry.references) == 2 and len(vote.references) == 1  # 30001 does not take 30010's
    assert vote.references[0].startswith("Voters in Alden")
    p, lines = ferry.documents
    assert (p.docno, p.date, p.headline) == ("APW19990301.0101", "1999-03-01", "Ferry runs aground off Norrvik")
    assert len(p.paragraphs) == 2 and "Smith & Sons" in p.paragraphs[1]
    assert not any("STORY CAN END" in x for x in p.paragraphs)  # editorial notes dropped
    assert lines.date == "1999-03-02" and len(lines.paragraphs) == 2  # indented lines start paragraphs
    assert "&QL;" not in lines.paragraphs[1] and "hotels in the town" in " ".join(lines.paragraphs[1].split())
    assert vote.documents[0].paragraphs[0].startswith("ALDEN, Westland (AP) _ Voters")


@pytest.mark.slow
@pytest.mark.parametrize("lowercase", [False, True])
def test_eval_runs_unchanged_on_the_duc_2004_layout(tmp_path, lowercase):
    result = ev.evaluate(duc_layout(tmp_path, lowercase), {"systems": "chorus,lead"})
    assert result.task == "summary" and result.n == 2
    assert set(result.metrics) == {"rouge1_recall", "rouge2_recall"} and set(result.baselines) == {"lead"}
    # percentages: the summaries share most of their words with the invented references
    assert 30.0 < result.metrics["rouge1_recall"] <= 100.0
    assert 0.0 < result.metrics["rouge2_recall"] <= result.metrics["rouge1_recall"]


@pytest.mark.slow
def test_duc2003_subset_chorus_beats_lead_and_lexrank_on_rouge2():
    data = need(EVAL / "duc2003")
    started = time.monotonic()
    result = ev.evaluate(data, {"limit": "8"})
    assert result.n == 8
    assert set(result.baselines) == {"lead", "lead_recent", "lexrank", "textrank"}
    r2 = result.metrics["rouge2_recall"]
    assert r2 >= result.baselines["lead"]["rouge2_recall"]
    assert r2 >= result.baselines["lexrank"]["rouge2_recall"]
    assert time.monotonic() - started < 180  # budget 90 s; generous for a loaded machine
