"""chorus eval clusters: the B-cubed scorer, the two corpus readers, and a gate on DUC."""

from __future__ import annotations

import pytest

from chorus.evaluate.clusters import (
    bcubed,
    detect_layout,
    detokenize,
    read_duc,
    read_ecbplus,
    split_parts,
)
from tests.conftest import EVAL, need


def test_bcubed_on_a_hand_worked_example():
    # gold x = {1,2,3}, y = {4,5}; predicted A = {1,2}, B = {3,4,5}
    # precision per item: 1, 1, 1/3, 2/3, 2/3 -> 11/15; recall: 2/3, 2/3, 1/3, 1, 1 -> 11/15
    p, r, f = bcubed(["A", "A", "B", "B", "B"], ["x", "x", "x", "y", "y"])
    assert p == pytest.approx(11 / 15)
    assert r == pytest.approx(11 / 15)
    assert f == pytest.approx(11 / 15)


def test_bcubed_extremes():
    gold = ["x", "x", "x", "y", "y"]
    # one big cluster: precision (3*3/5 + 2*2/5) / 5 = 13/25, recall 1
    assert bcubed([0] * 5, gold)[:2] == pytest.approx((13 / 25, 1.0))
    # all singletons: precision 1, recall (3*1/3 + 2*1/2) / 5 = 2/5
    assert bcubed([0, 1, 2, 3, 4], gold)[:2] == pytest.approx((1.0, 2 / 5))
    assert bcubed(["a", "a", "b", "c", "c"], gold) != bcubed(["a", "a", "a", "c", "c"], gold)
    assert bcubed(["a", "a", "a", "c", "c"], gold) == pytest.approx((1.0, 1.0, 1.0))
    with pytest.raises(ValueError):
        bcubed([1, 2], ["x"])


def test_detokenize_undoes_token_spacing():
    tokens = "The 6 . 1 - magnitude quake left 1 , 300 homeless on May 2 , 2031 ( officials ) , at 12 : 48".split()
    assert detokenize(tokens) == "The 6.1 - magnitude quake left 1,300 homeless on May 2, 2031 (officials), at 12:48"
    assert detokenize(["Kessarin", "'s", "mayor", "did", "n't", "say", "."]) == "Kessarin's mayor didn't say."


def _ecb_file(path, tokens_by_sentence):
    rows = ['<Document doc_name="%s">' % path.name]
    t = 1
    for s, sentence in enumerate(tokens_by_sentence):
        for k, tok in enumerate(sentence.split()):
            rows.append(f'<token t_id="{t}" sentence="{s}" number="{k}">{tok}</token>')
            t += 1
    rows.append("<Markables></Markables></Document>")
    path.write_text("\n".join(rows), encoding="utf-8")


def test_ecbplus_reader_labels_subtopics_and_moves_urls(tmp_path):
    topic = tmp_path / "3"
    topic.mkdir()
    _ecb_file(topic / "3_1ecb.xml", ["A quake hit Kessarin on Tuesday .", "Twelve people died ."])
    _ecb_file(
        topic / "3_2ecbplus.xml",
        ["http : / / news . example / quake", "A quake hit Lirremouth on Sunday .", "It was 7 . 1 strong ."],
    )
    assert detect_layout(tmp_path) == "ecbplus"
    docs = read_ecbplus(tmp_path)
    assert [(d.gold, d.group) for d in docs] == [("3.1", 3), ("3.2", 3)]
    assert docs[0].raw.text == "A quake hit Kessarin on Tuesday.\nTwelve people died."
    assert docs[1].raw.url == "http://news.example/quake"
    assert "http" not in docs[1].raw.text and "7.1 strong" in docs[1].raw.text
    assert docs[0].raw.published is None


def test_duc_reader_takes_text_date_and_cluster(tmp_path):
    base = tmp_path / "docs"
    for cluster, docno, date in (("d1t", "APW20310304.0001", "03/04/2031 05:50:00"), ("d2t", "NYT20310914.0002", "2031-09-14 16:00")):
        (base / cluster).mkdir(parents=True)
        (base / cluster / docno).write_text(
            f"<DOC>\n<DOCNO> {docno} </DOCNO>\n<DATE_TIME> {date} </DATE_TIME>\n<BODY>\n<TEXT>\n"
            "   KESSARIN, Valdoria (AP) _ A quake struck the town on\nTuesday, officials said.\n"
            "   Rescuers searched the rubble &amp; the stadium.\n</TEXT>\n</BODY>\n</DOC>\n",
            encoding="latin-1",
        )
    assert detect_layout(base) == "duc"
    docs = read_duc(tmp_path)
    assert [(d.gold, d.raw.published) for d in docs] == [("d1t", "2031-03-04"), ("d2t", "2031-09-14")]
    assert docs[0].raw.text == (
        "KESSARIN, Valdoria (AP) _ A quake struck the town on Tuesday, officials said.\n\n"
        "Rescuers searched the rubble & the stadium."
    )
    parts = dict(split_parts(docs, "duc"))
    assert parts["dev"] == [0] and parts["test"] == [1] and parts["all"] == [0, 1]


def test_detect_layout_refuses_other_folders(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        detect_layout(tmp_path)


@pytest.mark.slow
def test_duc_gate_batch_clusterer_beats_tfidf_baseline():
    """The first twelve DUC 2003 clusters (about 120 articles) through the real
    pipeline: chorus's batch clusterer at least matches the dev-tuned TF-IDF baselines,
    and the incremental stories (what ingest uses) stay well above chance."""
    from chorus.evaluate.clusters import evaluate

    data = need(EVAL / "duc2003" / "docs")
    result = evaluate(data, {"limit": "12"})
    assert result.task == "clusters" and result.n >= 100
    batch = result.baselines["chorus-batch-complete"]
    for baseline in ("tfidf-complete", "tfidf-average"):
        assert batch["bcubed_f1"] >= result.baselines[baseline]["bcubed_f1"]
        assert batch["test_bcubed_f1"] >= result.baselines[baseline]["test_bcubed_f1"]
    assert batch["bcubed_f1"] > 0.85
    assert result.metrics["bcubed_f1"] > 0.75
