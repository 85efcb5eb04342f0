"""`chorus eval quotes`: the PolNeAR reader and scorer on an invented brat fixture,
and a run on the real dev split (read from ../shared at run time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chorus.evaluate.quotes import GoldAttribution, Prediction, load_polnear, read_brat, score, speaker_matches
from tests.conftest import EVAL, need

TEXT = (
    "Storm closes harbor\n"
    "\n"
    "The harbor will stay closed until Friday, port director Ana Ruiz said on Monday.\n"
    "\n"
    '"We have never seen waves like this," she said. "Nobody should sail."\n'
)


def pos(sub: str, nth: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = TEXT.index(sub, start + 1)
    return start, start + len(sub)


def brat() -> str:
    """Two attributions: an indirect one, and a direct quote in two pieces whose T
    text column holds a line break (as PolNeAR's do)."""
    c1 = pos("The harbor will stay closed until Friday")
    s1 = pos("port director Ana Ruiz")
    q1 = pos('"We have never seen waves like this,"')
    q2 = pos('"Nobody should sail."')
    s2 = pos("she")
    return (
        f"T1\tContent {c1[0]} {c1[1]}\tThe harbor will stay closed until Friday\n"
        f"T2\tSource {s1[0]} {s1[1]}\tport director Ana Ruiz\n"
        f"T3\tCue {s1[1] + 1} {s1[1] + 5}\tsaid\n"
        f"E1\tAttribution:T3 Content:T1 Source:T2 Cue:T3\n"
        f"T4\tContent {q1[0]} {q1[1]};{q2[0]} {q2[1]}\t\"We have never seen waves like this,\"\n\"Nobody should sail.\"\n"
        f"T5\tSource {s2[0]} {s2[1]}\tshe\n"
        f"E2\tAttribution:T4 Content:T4 Source:T5\n"
        f"T6\tContent {pos('Storm closes harbor')[0]} {pos('Storm closes harbor')[1]}\tStorm closes harbor\n"
        f"E3\tAttribution-no-source Content:T6\n"
    )


def gold() -> tuple[GoldAttribution, ...]:
    return read_brat(brat(), TEXT)


def test_read_brat_spans_sources_and_pieces():
    g = gold()
    assert len(g) == 3
    assert TEXT[slice(*g[0].content[0])] == "The harbor will stay closed until Friday"
    assert g[0].source_text == "port director Ana Ruiz"
    assert len(g[1].content) == 2 and g[1].source_text == "she"
    assert g[2].source == () and g[2].source_text == ""


def test_exact_and_overlap_matching():
    g = gold()
    # words equal to gold (without the closing comma): an exact match
    exact = Prediction((pos("The harbor will stay closed until Friday"),), "Ana Ruiz", pos("Ana Ruiz"))
    # the first quoted piece only: 29 of the gold's 50 non-space characters, an
    # overlap (>= 50 %) but not exact
    partial = Prediction((pos("We have never seen waves like this,"),), "Ana Ruiz", pos("she"))
    # mostly outside any gold content: no match at all
    stray = Prediction(((0, len(TEXT)),), "", None)
    m = score([(TEXT, g, [exact, partial, stray])])
    assert m["exact_p"] == pytest.approx(1 / 3) and m["exact_r"] == pytest.approx(1 / 3)
    assert m["overlap_p"] == pytest.approx(2 / 3) and m["overlap_r"] == pytest.approx(2 / 3)
    # speakers: right on both matches; two gold attributions have a source; two predictions name one
    assert m["speaker_p"] == pytest.approx(1.0) and m["speaker_r"] == pytest.approx(1.0)


def test_that_and_quotation_marks_do_not_break_exact_match():
    text = 'Ruiz said that "the port is shut."'
    g = (GoldAttribution(((10, len(text)),), ((0, 4),), "Ruiz"),)
    p = Prediction(((16, len(text) - 2),), "Ana Ruiz", (0, 4))
    m = score([(text, g, [p])])
    assert m["exact_f1"] == 1.0 and m["speaker_f1"] == 1.0


def test_speaker_match_by_span_or_shared_name_word():
    g = gold()[1]  # source "she"
    by_span = Prediction(g.content, "Ana Ruiz", pos("she"))
    assert speaker_matches(TEXT, by_span, g)
    elsewhere = Prediction(g.content, "Ana Ruiz", pos("Ana Ruiz"))
    assert not speaker_matches(TEXT, elsewhere, g)  # "Ana Ruiz" shares no word with "she"
    named = gold()[0]  # "port director Ana Ruiz"
    assert speaker_matches(TEXT, Prediction(named.content, "Ruiz", None), named)
    assert speaker_matches(TEXT, Prediction(named.content, "the director of the port", None), named)
    assert not speaker_matches(TEXT, Prediction(named.content, "the mayor", None), named)


def test_load_polnear_takes_the_first_annotator(tmp_path: Path):
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    (tmp_path / "text" / "story.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "attributions" / "story_aaaa.ann").write_text(brat(), encoding="utf-8")
    (tmp_path / "attributions" / "story_bbbb.ann").write_text("", encoding="utf-8")
    docs = load_polnear(tmp_path)
    assert [d.name for d in docs] == ["story"] and len(docs[0].gold) == 3


@pytest.mark.slow
def test_chorus_beats_textacy_on_polnear_dev():
    pytest.importorskip("textacy")
    from chorus.evaluate.quotes import evaluate

    data = need(EVAL / "polnear" / "dev")
    result = evaluate(data, {})
    ours, theirs = result.metrics, result.baselines["textacy"]
    assert result.n == 2192
    assert ours["overlap_f1"] > theirs["overlap_f1"] + 0.1
    assert ours["speaker_f1"] > theirs["speaker_f1"] + 0.1
    assert ours["exact_f1"] > theirs["exact_f1"]
