"""Stance of an article towards a claim (chorus.analyze.stance) on invented
headline/body pairs: unrelated, agreeing, denying and hedging reports."""

from __future__ import annotations

import numpy as np

from chorus.analyze.stance import (
    FEATURES,
    LABELS,
    PairFeatures,
    StanceModel,
    decide,
    pair_features,
    split_sentences,
    stance,
    stance_many,
    train_stance_model,
)

HEADLINE = "Vessby mayor Anna Lind resigns over harbour contract scandal"

AGREE = (
    "Anna Lind resigned as mayor of Vessby on Monday over the harbour contract scandal.\n\n"
    "The city council confirmed her resignation in a statement. Lind had led the town for six years.\n\n"
    "Her deputy takes over until an election in the spring."
)
DISAGREE = (
    "The mayor of Vessby, Anna Lind, has denied that she resigned over the harbour contract scandal.\n\n"
    '"I have not resigned and I am not going anywhere," Lind told the council on Monday.\n\n'
    "Her office called the story false. A council spokesman said the mayor remains in office."
)
DISCUSS = (
    "Vessby mayor Anna Lind could resign over the harbour contract scandal, according to a local newspaper.\n\n"
    "The report, which cites unnamed sources, claims Lind offered her resignation on Sunday.\n\n"
    "The mayor's office has not commented. It is unclear whether the council would accept it."
)
UNRELATED = (
    "A rare white moose was spotted near a forest road in the north of the country.\n\n"
    "Hikers filmed the animal as it crossed the gravel track. "
    "Wildlife officers said only a few such moose live in the region."
)


def test_splitter_keeps_abbreviations_and_quotes_inside_sentences():
    body = 'Mr. Holm spoke first. "We will not sign," he said. "Never." Talks resume Friday.\n\nA new paragraph starts here.'
    assert split_sentences(body) == [
        "Mr. Holm spoke first.",
        '"We will not sign," he said.',
        '"Never."',
        "Talks resume Friday.",
        "A new paragraph starts here.",
    ]


def test_a_body_about_something_else_is_unrelated():
    r = stance(HEADLINE, split_sentences(UNRELATED))
    assert r.label == "unrelated"
    assert r.evidence == ()
    assert r.related < 0.19


def test_a_body_stating_the_claim_as_fact_agrees_and_cites_the_sentence_that_does():
    r = stance(HEADLINE, split_sentences(AGREE))
    assert r.label == "agree"
    assert r.evidence[0] == 0  # "Anna Lind resigned as mayor ..."
    assert r.related > 0.5


def test_a_denial_makes_the_body_disagree():
    r = stance(HEADLINE, split_sentences(DISAGREE))
    assert r.label == "disagree"
    assert "denied" in r.cues and "false" in r.cues


def test_hedged_reporting_discusses_without_taking_a_side():
    r = stance(HEADLINE, split_sentences(DISCUSS))
    assert r.label == "discuss"
    assert {"could", "according to"} <= set(r.cues)


def test_many_headlines_against_one_body_match_one_at_a_time():
    sentences = split_sentences(DISAGREE)
    other = "White moose filmed crossing a forest road"
    many = stance_many([HEADLINE, other], sentences)
    assert [r.label for r in many] == [stance(HEADLINE, sentences).label, stance(other, sentences).label]
    assert [r.label for r in many] == ["disagree", "unrelated"]


def test_the_negated_predicate_and_denials_are_features_of_the_aligned_sentences():
    values = dict(zip(FEATURES, pair_features([HEADLINE], split_sentences(DISAGREE))[0].values, strict=True))
    assert values["negated_predicate"] >= 1  # "I have not resigned" against "resigns"
    assert values["deny_evidence"] >= 2
    agree = dict(zip(FEATURES, pair_features([HEADLINE], split_sentences(AGREE))[0].values, strict=True))
    assert agree["negated_predicate"] == 0 and agree["deny_evidence"] == 0


def test_an_empty_body_is_unrelated():
    assert stance(HEADLINE, []).label == "unrelated"


def test_the_decision_maximises_the_expected_fnc_score():
    classes = ("agree", "disagree", "discuss", "unrelated")
    # 0.75 * 0.4 + 0.25 * 0.4 = 0.40 for "discuss" beats 0.25 * 0.6 = 0.15 for "unrelated"
    assert decide(np.array([0.0, 0.0, 0.4, 0.6]), classes) == "discuss"
    # 0.25 * 0.9 = 0.225 beats 0.75 * 0.05 + 0.25 * 0.1 = 0.0625
    assert decide(np.array([0.05, 0.05, 0.0, 0.9]), classes) == "unrelated"
    # among related labels the likeliest wins
    assert decide(np.array([0.3, 0.35, 0.25, 0.1]), classes) == "disagree"


def test_a_trained_model_decides_from_what_it_learned():
    rng = np.random.default_rng(0)
    pairs = [(HEADLINE, AGREE, "agree"), (HEADLINE, DISAGREE, "disagree"), (HEADLINE, DISCUSS, "discuss"), (HEADLINE, UNRELATED, "unrelated")]
    feats, labels = [], []
    for headline, body, label in pairs:
        f = pair_features([headline], split_sentences(body), embedder=None)[0]
        for _ in range(30):  # jittered copies: enough rows for the classifier to fit
            feats.append(PairFeatures(f.values + rng.normal(0, 0.01, len(FEATURES)), f.evidence, f.cues))
            labels.append(label)
    model = train_stance_model(feats, labels, embed=False)
    assert isinstance(model, StanceModel) and set(model.classes) == set(LABELS)
    assert [stance(h, split_sentences(b), model).label for h, b, _ in pairs] == [label for *_, label in pairs]
