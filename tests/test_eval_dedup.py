"""``chorus eval dedup``: the generated near-duplicate set, its scorer, and a small run."""

from __future__ import annotations

import random

from chorus.clean import PARAGRAPH_SEP, clean
from chorus.evaluate import dedup as ev
from chorus.models import Article, RawDocument
from tests.conftest import EVAL, need

PARAGRAPHS = [
    "The Lindqvist ferry line will add a night crossing between Orrholm and Kessa from June, "
    "the operator said on Tuesday, after bookings rose 18 percent last summer.",
    "The new service will leave Orrholm at 23:40 and arrive in Kessa shortly after dawn, "
    "chief executive Tove Arnell told a news conference at the harbour.",
    "\"Families asked for it and freight companies asked for it,\" Arnell said, adding that two "
    "cabins on each crossing would be kept for drivers.",
    "The company also plans to replace its oldest vessel, the Saga Vinter, by 2027.",
    "Port officials said the harbour would need a longer quay, which the city council is "
    "expected to approve next month.",
    "Environmental groups welcomed the move but asked the operator to publish the ship's fuel use.",
]
DONOR = [
    "Farmers on the northern plain began the barley harvest two weeks early after a dry and warm "
    "spring, the agriculture board said.",
    "Yields were expected to be slightly below average, the board added in its weekly report, "
    "which it publishes every Friday during the harvest season.",
    "Grain prices at the Orrholm exchange were unchanged on the week, traders said, as buyers "
    "waited for the first quality tests from the southern districts.",
]


def make(paragraphs: list[str], source: str) -> Article:
    a = clean(RawDocument(source=source, text=PARAGRAPH_SEP.join(paragraphs), kind="text", title="Night ferry", outlet="O"))
    assert isinstance(a, Article)
    return a


ORIGINAL = make(PARAGRAPHS, "orig.txt")
DONOR_ARTICLE = make(DONOR, "donor.txt")


def copy(edit: str, seed: int = 1) -> tuple[str, str]:
    return ev.make_copy(ORIGINAL, edit, random.Random(seed), DONOR_ARTICLE)


def test_exact_and_headline_copies_keep_the_body():
    assert copy("exact") == (ORIGINAL.title, ORIGINAL.text)
    title, text = copy("headline")
    assert text == ORIGINAL.text and title != ORIGINAL.title


def test_trimmed_copy_drops_30_to_60_percent_of_paragraphs_from_the_end():
    for seed in range(20):
        _, text = copy("trimmed", seed)
        kept = text.split(PARAGRAPH_SEP)
        assert kept == PARAGRAPHS[: len(kept)]
        assert 0.3 <= 1 - len(kept) / len(PARAGRAPHS) <= 0.6 + 1 / len(PARAGRAPHS)


def test_inserted_copy_keeps_every_paragraph_in_order_and_adds_the_donors():
    _, text = copy("inserted")
    paras = text.split(PARAGRAPH_SEP)
    assert [p for p in paras if p in PARAGRAPHS] == PARAGRAPHS
    added = [p for p in paras if p not in PARAGRAPHS]
    assert 1 <= len(added) <= 2 and all(p in DONOR[1:] for p in added)  # never the donor's lead
    assert paras[0] == PARAGRAPHS[0]  # the lead stays first


def test_reworded_copy_changes_about_a_fifth_of_sentences_and_rewritten_all():
    _, text = copy("reworded")
    original = [s for p in ORIGINAL.text.split(PARAGRAPH_SEP) for s in ev.sentences(p)]
    changed = [s for p in text.split(PARAGRAPH_SEP) for s in ev.sentences(p) if s not in original]
    assert 1 <= len(changed) <= round(0.2 * len(original)) + 1
    _, text = copy("rewritten")
    changed = [s for p in text.split(PARAGRAPH_SEP) for s in ev.sentences(p) if s not in original]
    assert len(changed) >= len(original) - 1
    assert copy("rewritten", 5) == copy("rewritten", 5)  # seeded


def test_reword_swaps_synonyms_and_keeps_case():
    rng = random.Random(0)
    out = ev.reword("Officials said the talks began after noon.", rng)
    assert "stated" in out and "negotiations" in out.lower()
    assert out[0].isupper() and out.endswith(".")


def _item(edit: str | None, family: int) -> ev.Item:
    return ev.Item(ORIGINAL, family, edit)


def test_score_counts_pairs_per_edit_and_skips_unknown_gold():
    # pool: three corpus articles (0, 1, 2), copies of 0 (exact, trimmed) and of 1 (exact)
    pool = [_item(None, 0), _item(None, 1), _item(None, 2), _item("exact", 0), _item("trimmed", 0), _item("exact", 1)]
    # predicted: {0, exact-0, 2} and {1} and {trimmed-0} and {exact-1}
    labels = ["a", "b", "a", "a", "c", "d"]
    unknown: set[tuple[int, int]] = set()
    negatives = {"same_day": {(0, 2), (1, 2)}}
    metrics, grouped_unknown = ev.score(labels, pool, unknown, negatives, edits=("exact", "trimmed"))
    # predicted pairs: (0,2) false, (0,3) true, (2,3) false -> precision 1/3
    assert metrics["precision"] == 1 / 3
    assert metrics["recall"] == 1 / 3  # exact-0 found; trimmed-0 and exact-1 missed
    assert metrics["recall_exact"] == 0.5 and metrics["recall_trimmed"] == 0.0
    assert metrics["precision_exact"] == 0.5  # (0,3) true, (2,3) false
    assert metrics["apart_same_day"] == 0.5
    assert grouped_unknown == 0
    # declared unknown, the (0, 2) corpus pair and its copy's pair leave the score
    metrics, grouped_unknown = ev.score(labels, pool, {(0, 2)}, negatives, edits=("exact", "trimmed"))
    assert metrics["precision"] == 1.0 and grouped_unknown == 1  # corpus pairs only


def test_eval_on_a_small_sample():
    data = need(EVAL / "bulk" / "te3-silver")
    result = ev.evaluate(data, {"sample": "60"})
    m = result.metrics
    assert result.task == "dedup" and result.n >= 6 * 60
    assert m["recall_exact"] == 1.0
    assert m["precision"] >= 0.95
    assert m["recall_trimmed"] >= 0.9  # containment finds what a Jaccard rule cannot
    assert result.baselines["minhash_jaccard_0.8"]["recall_trimmed"] < m["recall_trimmed"]
    assert result.baselines["exact_hash"]["recall_trimmed"] == 0.0
    assert any("seed 13" in note for note in result.notes)
