"""`chorus eval stance`: the FNC-1 scorer and reader on invented data, the baseline's
features, and the evaluation itself on a sample of the FNC-1 training data."""

from __future__ import annotations

import csv

import pytest

from chorus.evaluate.stance import (
    REFUTING,
    Pair,
    baseline_features,
    evaluate,
    fnc_score,
    read_fnc,
    split_by_body,
)

from tests.conftest import EVAL, need


def test_fnc_score_weights_related_labels_above_relatedness():
    gold = ["agree", "disagree", "discuss", "unrelated", "unrelated"]
    pred = ["agree", "discuss", "unrelated", "unrelated", "agree"]
    # best: 1 + 1 + 1 + 0.25 + 0.25 = 3.5
    # got: agree right 1; disagree called discuss 0.25 (related right); discuss called
    # unrelated 0; unrelated right 0.25; unrelated called agree 0  -> 1.5
    assert fnc_score(gold, pred) == pytest.approx(100 * 1.5 / 3.5)
    assert fnc_score(gold, gold) == pytest.approx(100.0)
    assert fnc_score(gold, ["unrelated"] * 5) == pytest.approx(100 * 0.5 / 3.5)


def _write(folder, name, rows, header):
    with (folder / name).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_reader_finds_the_pair_of_files_by_their_suffix(tmp_path):
    _write(tmp_path, "competition_test_bodies.csv", [[7, "Ferries stopped.\n\nA second line."]], ["Body ID", "articleBody"])
    _write(tmp_path, "competition_test_stances.csv", [["Ferries halted", 7, "agree"]], ["Headline", "Body ID", "Stance"])
    split = read_fnc(tmp_path)
    assert split.bodies == {7: "Ferries stopped.\n\nA second line."}
    assert split.pairs == [Pair("Ferries halted", 7, "agree")]


def test_reader_refuses_a_folder_without_the_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_fnc(tmp_path)


def test_hold_out_split_never_puts_one_body_on_both_sides():
    pairs = [Pair(f"headline {i}", i % 50, "unrelated") for i in range(500)]
    train, held = split_by_body(pairs, 0.2, seed=3)
    assert len(train) + len(held) == 500
    assert not {p.body for p in train} & {p.body for p in held}
    assert len({p.body for p in held}) == 10
    assert split_by_body(pairs, 0.2, seed=3) == (train, held)  # seeded


def test_baseline_features_count_overlap_and_refuting_words():
    f = baseline_features("Ferry strike is a hoax, union says", "The ferry strike went ahead on Monday. Union leaders spoke.")
    assert len(f) == 56
    assert f[1 + REFUTING.index("hoax")] == 1.0  # refuting word in the headline
    assert f[1 + REFUTING.index("fake")] == 0.0
    assert 0 < f[0] < 1  # word overlap (Jaccard)
    unrelated = baseline_features("Moose seen in forest", "The ferry strike went ahead on Monday.")
    assert unrelated[0] == 0.0


@pytest.mark.slow
def test_eval_on_a_sample_of_fnc1_beats_calling_everything_unrelated():
    data = need(EVAL / "fnc1")
    result = evaluate(data, {"sample_bodies": "200"})
    assert result.task == "stance" and result.n > 500
    assert set(result.metrics) == {"fnc_score", "f1_agree", "f1_disagree", "f1_discuss", "f1_unrelated", "accuracy"}
    trivial = result.baselines["all-unrelated"]["fnc_score"]
    assert result.metrics["fnc_score"] > trivial + 25
    assert result.metrics["f1_unrelated"] > 0.9
    assert "fnc-baseline" in result.baselines
    assert any("split by body" in n for n in result.notes)
