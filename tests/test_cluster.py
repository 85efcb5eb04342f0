"""Story clustering: similar-but-different events stay apart, rewrites of one report
join, the reference reports form one story that unrelated wire copy stays out of."""

from __future__ import annotations

import pytest

from chorus.clean import clean
from chorus.cluster import (
    ClusterOptions,
    cluster_docs,
    group_articles,
    numbers_in,
    profile_of,
    score_candidates,
    similarity_matrix,
)
from chorus.models import AnnotatedArticle, Article, RawDocument
from tests.conftest import EVAL, SEEDS, need

# Invented reports. Two earthquakes told in the same words, with different places,
# dates and tolls; two rewrites of each; and a story of another kind.
QUAKE_A = [
    (
        "Strong quake kills 12 in northern Valdoria",
        "A magnitude 6.4 earthquake struck the mountain town of Kessarin in northern Valdoria on Tuesday, "
        "killing 12 people and injuring 85, the regional governor Amira Tolvan said.\n\n"
        "Rescue teams searched collapsed houses in Kessarin through the night. The quake was felt in the "
        "capital, Port Emery, where buildings swayed for several seconds.\n\n"
        "Governor Tolvan said 300 families had been moved into tents near the Kessarin stadium.",
    ),
    (
        "Valdoria earthquake: 12 dead as rescuers dig through rubble in Kessarin",
        "Rescuers dug through the rubble of Kessarin on Wednesday after a 6.4-magnitude earthquake killed "
        "12 people and injured 85 in northern Valdoria, Governor Amira Tolvan said.\n\n"
        "About 300 families spent the night in tents by the Kessarin stadium. Residents of Port Emery "
        "said they felt the shaking for several seconds.",
    ),
    (
        "Kessarin quake toll stays at 12, governor says",
        "The death toll from Tuesday's 6.4 magnitude earthquake in Kessarin remained at 12, with 85 injured, "
        "Governor Amira Tolvan told reporters in northern Valdoria.\n\n"
        "She said 300 families were sheltering in tents and that aid convoys from Port Emery had arrived.",
    ),
]
QUAKE_B = [
    (
        "Earthquake kills 41 in southern Valdoria coastal city",
        "A magnitude 7.1 earthquake struck the coastal city of Lirremouth in southern Valdoria on Sunday, "
        "killing 41 people and injuring 230, civil defence chief Oren Baskaly said.\n\n"
        "Rescue teams searched collapsed apartment blocks in Lirremouth. The quake was felt in the capital, "
        "Port Emery, where buildings swayed.\n\n"
        "Baskaly said 1,200 people had been moved into emergency shelters near the Lirremouth harbour.",
    ),
    (
        "Lirremouth earthquake: death toll rises to 41",
        "The death toll from Sunday's 7.1-magnitude earthquake in Lirremouth rose to 41 on Monday, with 230 "
        "injured, civil defence chief Oren Baskaly said in southern Valdoria.\n\n"
        "About 1,200 people spent the night in shelters by the harbour. Residents of Port Emery said they "
        "felt strong shaking.",
    ),
    (
        "Rescuers search Lirremouth rubble after deadly quake",
        "Rescuers searched the rubble of Lirremouth on Monday after a 7.1 magnitude earthquake killed 41 "
        "people in southern Valdoria, Oren Baskaly of the civil defence said.\n\n"
        "He said 1,200 residents were in emergency shelters near the harbour and aid was arriving from "
        "Port Emery.",
    ),
]
OTHER = (
    "Orchestra cancels winter tour",
    "The Halvern Philharmonic cancelled its winter tour of twelve cities on Friday after its conductor, "
    "Ilse Marandt, broke her wrist in a fall, the orchestra's manager said.\n\n"
    "Tickets will be refunded, and the tour is to be rescheduled for the spring.",
)
DATES_A = ("2031-03-04", "2031-03-05", "2031-03-06")
DATES_B = ("2031-09-14", "2031-09-15", "2031-09-15")


def _raw(title: str, body: str, n: int, published: str | None = None) -> RawDocument:
    return RawDocument(source=f"fixture-{n}.txt", text=f"{title}\n\n{body}", kind="text", published=published)


def _articles(raws: list[RawDocument]) -> list[Article]:
    out = []
    for raw in raws:
        article = clean(raw)
        assert isinstance(article, Article), article
        out.append(article)
    return out


@pytest.fixture(scope="module")
def quakes(nlp) -> list[AnnotatedArticle]:
    from chorus.nlp.annotate import annotate

    raws = [_raw(t, b, i, d) for i, ((t, b), d) in enumerate(zip(QUAKE_A, DATES_A))]
    raws += [_raw(t, b, 10 + i, d) for i, ((t, b), d) in enumerate(zip(QUAKE_B, DATES_B))]
    raws.append(_raw(*OTHER, 20, "2031-03-05"))
    return list(annotate(_articles(raws), nlp))


def test_numbers_leave_out_years():
    assert numbers_in("In 2024, 1,200 people and 41 dead; magnitude 7.1; $2.6 million; 40% of 1998") == [
        "1200",
        "41",
        "7.1",
        "2.6",
        "40%",
    ]


@pytest.mark.slow
def test_two_earthquakes_stay_apart_and_rewrites_join(quakes):
    clusters = cluster_docs(quakes)
    as_sets = sorted(sorted(c) for c in clusters)
    assert as_sets == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.slow
def test_earthquakes_stay_apart_without_dates(quakes):
    """ECB+-like: no publication dates at all; places, names and tolls still differ."""
    from dataclasses import replace

    undated = [replace(d, article=replace(d.article, published=None)) for d in quakes]
    as_sets = sorted(sorted(c) for c in cluster_docs(undated))
    assert [0, 1, 2] in as_sets and [3, 4, 5] in as_sets


@pytest.mark.slow
def test_plain_text_similarity_alone_would_join_the_quakes(quakes):
    """The fixture is hard for the reason ECB+ is: the two quakes share their words.
    Complete linkage joins two groups when their least alike pair reaches the
    threshold; the number signal is what keeps that pair below it."""
    full = similarity_matrix(quakes)
    plain = similarity_matrix(quakes, ClusterOptions(entity_weight=0.0, number_conflict=0.0, same_day=0.0))
    cross = [(i, j) for i in range(3) for j in range(3, 6)]
    assert min(full[i, j] for i, j in cross) < ClusterOptions().threshold
    assert min(full[i, j] for i, j in cross) < min(plain[i, j] for i, j in cross) / 2


@pytest.mark.slow
def test_group_articles_returns_stories_with_ids_and_titles(quakes):
    stories = group_articles(quakes)
    assert [len(s.article_ids) for s in stories] == [3, 3, 1]
    by_id = {d.id: d for d in quakes}
    for story in stories:
        assert story.id.startswith("s")
        assert story.title in {by_id[i].article.title for i in story.article_ids}
    assert group_articles([]) == []
    assert len(group_articles(quakes[:1])) == 1


@pytest.mark.slow
def test_incremental_scoring_prefers_the_right_story(quakes):
    profiles = [profile_of("quake-a", quakes[:2]), profile_of("quake-b", quakes[3:5])]
    ranked = score_candidates(profiles, quakes[2])
    assert ranked[0][0] == "quake-a"
    assert ranked[0][1] > ranked[1][1]
    ranked = score_candidates(profiles, quakes[5])
    assert ranked[0][0] == "quake-b"
    assert all(score < ClusterOptions().threshold * 2 for _, score in score_candidates(profiles, quakes[6]))


def _read_clean(paths: list[str]) -> list[Article]:
    from chorus.read import read_inputs

    out = []
    for item in read_inputs(paths, max_bytes=10**8):
        if isinstance(item, RawDocument):
            article = clean(item)
            if isinstance(article, Article):
                out.append(article)
    return out


@pytest.fixture(scope="module")
def seeds(nlp) -> list[AnnotatedArticle]:
    from chorus.nlp.annotate import annotate

    return list(annotate(_read_clean([str(need(SEEDS))]), nlp))


@pytest.mark.slow
def test_seeds_form_one_story(seeds):
    assert len(seeds) == 5
    assert cluster_docs(seeds) == [[0, 1, 2, 3, 4]]


@pytest.mark.slow
def test_seeds_keep_their_own_story_among_wire_copy(seeds, nlp):
    from chorus.nlp.annotate import annotate

    folder = need(EVAL / "bulk" / "te3-silver")
    wire_paths = sorted(str(p) for p in folder.glob("*.tml"))[:10]
    wire = list(annotate(_read_clean(wire_paths), nlp))
    assert len(wire) == 10
    docs = seeds + wire
    clusters = cluster_docs(docs)
    seed_clusters = [c for c in clusters if any(i < 5 for i in c)]
    assert seed_clusters == [[0, 1, 2, 3, 4]]
