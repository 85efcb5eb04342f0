"""The synthetic stream of the scale benches (bench/synth.py): the same for a seed,
stories that read as stories (shared names, close dates), and a bulk-loaded store that
story assignment can build on."""

from __future__ import annotations

import sys
from collections import defaultdict
from itertools import combinations

import numpy as np
import pytest

from chorus.store import open_store
from chorus.pipeline import story_features
from chorus.stories import LEXICAL_DIM, YEAR_KEY, StoryState
from tests.conftest import EVAL, ROOT, need

sys.path.insert(0, str(ROOT / "bench"))
from synth import Plan, SynthOptions, build_store, load_source  # noqa: E402

N = 3000
OPTIONS = SynthOptions(per_day=100)  # a month: stories have room to live


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    files = sorted(need(EVAL / "bulk" / "te3-silver").glob("*.tml"))[::8]  # ~300 articles: seconds, not minutes
    folder = tmp_path_factory.mktemp("wire")
    for f in files:
        (folder / f.name).symlink_to(f)
    return load_source(folder)


@pytest.fixture(scope="module")
def plan(source):
    return Plan(source, N, seed=3, options=OPTIONS)


def test_the_stream_is_the_same_for_a_seed_and_differs_across_seeds(source, plan):
    again, other = Plan(source, N, seed=3, options=OPTIONS), Plan(source, N, seed=4, options=OPTIONS)
    for i in (0, 1234, N - 1):
        a, b = plan.article(i), again.article(i)
        assert (a.doc, a.topic) == (b.doc, b.topic)
        fa, fb = a.features(), b.features()
        assert np.array_equal(fa.vector, fb.vector) and fa.keys == fb.keys
    # the order articles are made in does not matter (renames are decided per name)
    assert Plan(source, N, seed=3, options=OPTIONS).article(2500).doc == plan.article(2500).doc
    assert [plan.article(i).doc.id for i in range(50)] != [other.article(i).doc.id for i in range(50)]


def test_articles_come_in_publication_order_and_a_story_lives_days_to_weeks(plan):
    published = [plan.article(i).doc.article.published for i in range(0, N, 97)]
    assert published == sorted(published)
    spans = defaultdict(list)
    for t, d in zip(plan.topic.tolist(), plan.day.tolist()):
        spans[t].append(d)
    big = [days for days in spans.values() if len(days) >= 10]
    assert big, "no topic of ten articles in the stream"
    assert all(max(d) - min(d) <= 42 for d in spans.values())
    assert np.median([max(d) - min(d) for d in big]) >= 3  # not all on one day


def test_articles_of_a_topic_share_names_that_other_topics_lack(plan):
    by_topic = defaultdict(list)
    for i in range(N):
        by_topic[int(plan.topic[i])].append(i)
    topics = [ids[:6] for ids in by_topic.values() if len(ids) >= 6][:20]
    keys = {i: plan.article(i).features().keys for ids in topics for i in ids}
    within = [len(keys[a] & keys[b]) > 0 for ids in topics for a, b in combinations(ids, 2)]
    across = [len(keys[a[0]] & keys[b[0]]) > 0 for a, b in combinations(topics, 2)]
    assert np.mean(within) >= 0.8
    assert np.mean(within) > np.mean(across) + 0.3
    # a vector is closer to its own topic's articles than to other topics'
    vec = {i: plan.article(i).features().vector for i in keys}
    near = np.mean([vec[a] @ vec[b] for ids in topics for a, b in combinations(ids, 2)])
    far = np.mean([vec[a[0]] @ vec[b[0]] for a, b in combinations(topics, 2)])
    assert near > far + 0.1


def test_story_features_are_those_chorus_ingest_computes_from_the_embedding_and_text(plan):
    """The stream's stores must hold what shipped stores hold: the embedding beside the
    hashed words of the article's own text, and the years its lead names as keys."""
    articles = [plan.article(i) for i in range(0, N, 29)]
    features = [a.features() for a in articles]
    assert {f.vector.shape for f in features} == {(articles[0].embedding.size + LEXICAL_DIM,)}
    assert all(abs(float(np.linalg.norm(f.vector)) - 1.0) < 1e-4 for f in features)
    # the lexical half follows the text: two articles with the same embedding but other words differ
    a, b = articles[0], articles[1]
    swapped = story_features(b.doc, a.embedding)
    assert not np.allclose(swapped.vector, features[0].vector)
    assert np.allclose(swapped.vector[: a.embedding.size], features[0].vector[: a.embedding.size])
    with_years = [(a, f) for a, f in zip(articles, features) if any(k.startswith(YEAR_KEY) for k in f.keys)]
    assert with_years, "no article of the stream names a year in its lead"
    for a, f in with_years:
        for k in f.keys:
            if k.startswith(YEAR_KEY):
                assert k[len(YEAR_KEY) :] in a.doc.article.title + a.doc.article.text


def test_a_bulk_loaded_store_holds_the_stories_that_assignment_builds_on(plan):
    with open_store(":memory:") as store:
        assert build_store(store, plan, 0, 2000, batch=700) == 2000
        assert build_store(store, plan, 0, 10) == 0  # already stored: skipped
        assert store.count_articles() == 2000
        topics = plan.topic[:2000].tolist()
        assert len(store.list_stories()) == len(set(topics))
        # a story grown across batches matches the state the incremental path would hold
        t = max(set(topics), key=topics.count)
        members = [plan.article(i) for i in range(2000) if topics[i] == t]
        expected = StoryState(plan.story_id(t), "", np.zeros_like(members[0].features().vector), 0)
        for a in members:
            expected.add(a.features())
        assert set(store.story_article_ids(expected.id)) == {a.doc.id for a in members}
        later = next(plan.article(i) for i in range(2000, N) if int(plan.topic[i]) == t)
        f = later.features()
        found = {s.id: s for s in store.candidate_stories(f.keys, f.day, 21, 200)}
        assert expected.id in found
        got = found[expected.id]
        assert (got.n, got.keys, got.first_day, got.last_day) == (expected.n, expected.keys, expected.first_day, expected.last_day)
        assert np.allclose(got.vector_sum, expected.vector_sum, atol=1e-4)
        df, total = store.key_df(f.keys)
        assert total == 2000
        assert all(df.get(k, 0) == sum(k in a.features().keys for a in plan.articles(0, 2000)) for k in sorted(f.keys)[:3])
