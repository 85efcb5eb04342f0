"""Stories as a stream: each new article lands in the right story, ids stay put, a
re-run changes nothing, and merges are recorded."""

from __future__ import annotations

import numpy as np
import pytest

from chorus import pipeline
from chorus.config import Settings
from chorus.store import open_store
from chorus.stories import Features, StoryOptions, StoryState, decide, fit, idf, new_story_id
from tests.conftest import EVAL, SEEDS, need

pytestmark = pytest.mark.slow
SETTINGS = Settings(workers=1)


def ingest(store, paths):
    return pipeline.ingest([str(p) for p in paths], store, SETTINGS)


def story_sets(store):
    return {s.id: set(s.article_ids) for s in pipeline.stored_stories(store)}


def test_seeds_form_one_story_and_wire_copy_stays_apart():
    seeds = sorted(need(SEEDS).glob("*.txt"))
    wire = sorted(need(EVAL / "bulk" / "te3-silver").glob("*.tml"))[::245][:10]
    with open_store(":memory:") as store:
        report = ingest(store, [*seeds, *wire])
        assert len(report.added) == 15
        stories = story_sets(store)
        seed_ids = {store.get(i).article.id for i in report.added if store.get(i).article.kind == "text"}
        assert seed_ids in stories.values()
        assert len(stories) == 11  # the seeds, and each wire article on its own


def test_ids_stay_stable_as_articles_arrive_and_a_rerun_changes_nothing(store_url):
    seeds = sorted(need(SEEDS).glob("*.txt"))
    db = store_url
    with open_store(db) as store:
        ingest(store, seeds[:2])
        first = story_sets(store)
        assert len(first) == 1
        ingest(store, seeds)
        grown = story_sets(store)
        assert list(grown) == list(first) and len(next(iter(grown.values()))) == 5
        revisions = store.revisions()
    with open_store(db) as store:
        report = ingest(store, seeds)
        assert report.added == [] and len(report.already) == 5
        assert story_sets(store) == grown and store.revisions() == revisions
    kinds = [r.kind for r in revisions]
    assert kinds.count("created") == 1 and kinds.count("added") == 4


def test_brief_and_ingest_group_the_same_way(tmp_path):
    seeds = sorted(need(SEEDS).glob("*.txt"))
    briefing = pipeline.brief([str(p) for p in seeds], SETTINGS)
    with open_store(str(tmp_path / "s.db")) as store:
        ingest(store, seeds)
        assert [set(s.story.article_ids) for s in briefing.stories] == list(story_sets(store).values())


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_an_article_fitting_two_alike_stories_merges_them_and_far_dates_damp_the_fit():
    a = StoryState("sa", "A", unit(1, 0.1, 0), 1)
    b = StoryState("sb", "B", unit(1, -0.1, 0), 1)
    f = Features("x", unit(1, 0, 0), frozenset(), None)
    d = decide(f, [a, b], {}, StoryOptions(threshold=0.4, merge=0.9, text_weight=1.0))
    assert d.story == "sa" and d.merge == ("sb",)
    near = StoryState("sn", "N", unit(1, 0, 0), 1, first_day=1000, last_day=1000)
    assert fit(Features("y", unit(1, 0, 0), frozenset(), 1005), near, {}) > 2 * fit(Features("z", unit(1, 0, 0), frozenset(), 1100), near, {})


def test_distinctive_shared_names_weigh_more_than_common_ones():
    story = StoryState("s", "S", unit(0, 1, 0), 2)
    story.keys.update({"philadelphi corridor": 2, "united states": 2})
    weights = idf(frozenset({"philadelphi corridor", "united states"}), {"philadelphi corridor": 1, "united states": 900}, 1000)
    rare = fit(Features("r", unit(1, 0, 0), frozenset({"philadelphi corridor", "gaza city"}), None), story, weights)
    common = fit(Features("c", unit(1, 0, 0), frozenset({"united states", "gaza city"}), None), story, weights)
    assert rare > common


def test_a_story_that_is_really_two_is_split_and_one_that_is_not_stays():
    def f(aid, *xs):
        return Features(aid, unit(*xs), frozenset(), None)

    from chorus.stories import propose_split

    quake_a = [f("a1", 1, 0.1, 0), f("a2", 1, 0, 0.1), f("a3", 1, 0.05, 0.05)]
    quake_b = [f("b1", 0, 1, 0.1), f("b2", 0.1, 1, 0), f("b3", 0.05, 1, 0.05)]
    split = propose_split([*quake_a, *quake_b], "b2")
    assert split is not None and set(split.keep) == {"b1", "b2", "b3"} and set(split.move) == {"a1", "a2", "a3"}
    one = [f("c1", 1, 0.1, 0), f("c2", 1, 0.2, 0), f("c3", 1, 0, 0.2), f("c4", 0.9, 0.1, 0.1)]
    assert propose_split(one, "c1") is None


def _drifted(store, story_id="sa1"):
    """Four stored articles that drifted into one story: two about a quake, two about a fire."""
    members = [_art("a1", 1, 0.1, 0), _art("a2", 1, 0, 0.1), _art("b1", 0, 1, 0.1), _art("b2", 0.1, 1, 0)]
    story = StoryState(story_id, "", np.zeros(3, dtype=np.float32), 0)
    for k, m in enumerate(members):
        store_add_stub(store, m.article_id)
        story.add(m)
        store.save_assignment(m, story, created=k == 0, score=1.0)
    return story


def _art(aid, *xs):
    return Features(aid, unit(*xs), frozenset({"vessby"}), None, f"title {aid}", True)


def test_a_story_found_to_be_two_is_split_in_the_store_and_recorded(store_url):
    with open_store(store_url) as store:
        split = pipeline.split_if_two(store, _drifted(store), StoryOptions())
        assert split is not None
        kept, moved = store.story_article_ids("sa1"), store.story_of("b1")
        assert set(kept) == {"a1", "a2"} and moved != "sa1" and store.story_of("b2") == moved
        kinds = [(r.story_id, r.kind) for r in store.revisions()]
        assert ("sa1", "split") in kinds and (moved, "split_from") in kinds


def test_a_split_whose_natural_id_is_taken_gets_a_free_one(store_url):
    """The part split off is named after its earliest article, unless a story (here
    one an earlier split or re-check made) already has that name: it must not fail."""
    with open_store(store_url) as store:
        taken = StoryState(new_story_id("b1"), "", np.zeros(3, dtype=np.float32), 0)
        z = _art("z9", 0, 0, 1)
        store_add_stub(store, "z9")
        taken.add(z)
        store.save_assignment(z, taken, created=True, score=1.0)
        assert pipeline.split_if_two(store, _drifted(store), StoryOptions()) is not None
        moved = store.story_of("b1")
        assert moved not in ("sa1", taken.id) and store.story_of("b2") == moved
        assert store.story_article_ids(taken.id) == ["z9"]


def test_a_merged_storys_names_lead_to_the_story_it_joined_counted_once_and_in_its_time_window(store_url):
    from chorus.stories import Features as F

    def place(store, story, aid, keys, day, merged=()):
        f = F(aid, unit(1, 0.1 * len(aid), 0), frozenset(keys), day, f"title {aid}", True)
        store_add_stub(store, aid)
        created = story.n == 0
        for other in merged:
            story.absorb(other)
        story.add(f)
        store.save_assignment(f, story, created=created, score=1.0, merged=merged)

    def candidates(store, keys, day):
        return [s.id for s in store.candidate_stories(keys, day, 60, 10)]

    def new(sid):
        return StoryState(sid, "", np.zeros(3, dtype=np.float32), 0)

    with open_store(store_url) as store:
        sa, sb, sd = new("sa"), new("sb"), new("sd")
        place(store, sa, "a1", {"yarrow", "xenon"}, 100)
        place(store, sb, "b1", {"yarrow", "zircon"}, 100)
        place(store, sb, "b2", {"zircon", "quartz"}, 100)
        place(store, sd, "d1", {"yarrow", "wolfram"}, 100)
        place(store, sa, "c1", {"xenon"}, 100, merged=[sb])  # the bigger sb is folded into sa
        assert store.get_story("sb").id == "sa"
        # sb's names now lead to sa, never to sb
        assert candidates(store, {"zircon", "quartz"}, 100) == ["sa"]
        # "yarrow" was in both sa and sb: sa shares one name with this article, sd two
        assert candidates(store, {"yarrow", "wolfram"}, 100) == ["sd", "sa"]
        place(store, sa, "e1", {"xenon"}, 150)  # sa goes on; sd does not
        assert candidates(store, {"zircon", "yarrow"}, 200) == ["sa"]  # window: day 140 on
        store.delete_article("a1")  # sa's names are counted again from its articles
        assert candidates(store, {"zircon", "yarrow", "xenon"}, 200) == ["sa"]
        assert candidates(store, {"yarrow", "wolfram"}, 150) == ["sd", "sa"]  # "yarrow" now from b1 alone


def test_a_storys_members_are_current_after_merges_and_after_another_process_writes(store_url):
    from chorus.stories import Features as F

    def place(store, story, aid, day, merged=()):
        f = F(aid, unit(1, 0.01 * int(aid[1:]), 0.5), frozenset({aid}), day, f"title {aid}", True)
        store_add_stub(store, aid)
        created = story.n == 0
        for other in merged:
            story.absorb(other)
        story.add(f)
        store.save_assignment(f, story, created=created, score=1.0, merged=merged)

    def ids(members):
        return [m.article_id for m in members]

    db = store_url
    with open_store(db) as one, open_store(db) as two:
        sa, sb = StoryState("sa", "", np.zeros(3, dtype=np.float32), 0), StoryState("sb", "", np.zeros(3, dtype=np.float32), 0)
        place(one, sa, "a3", 12)
        place(one, sa, "a1", 10)
        place(one, sb, "a2", 11)
        place(one, sb, "a9", None)  # undated: last
        assert ids(one.story_members("sa")) == ["a1", "a3"]
        place(one, sa, "a4", 10, merged=[sb])
        assert ids(one.story_members("sa")) == ["a1", "a4", "a2", "a3", "a9"]  # by day, then id
        # another chorus on the same file adds to the story: the first one sees it
        place(two, sa, "a5", 11)
        got = one.story_members("sa")
        assert ids(got) == ["a1", "a4", "a2", "a5", "a3", "a9"]
        with open_store(db) as fresh:  # what a new process reads, field by field
            want = fresh.story_members("sa")
        assert [(m.article_id, m.vector.tobytes(), m.keys, m.day, m.title, m.headline) for m in got] == [
            (m.article_id, m.vector.tobytes(), m.keys, m.day, m.title, m.headline) for m in want
        ]


def test_an_article_with_hundreds_of_names_ranks_candidates_as_one_with_few(store_url):
    from chorus.stories import Features as F

    with open_store(store_url) as store:
        many = [f"name {i:03d}" for i in range(400)]  # more than one query's worth of names
        for sid, keys in (("sa", many[:3]), ("sb", many[100:110]), ("sc", many[:2] + ["elsewhere"])):
            story = StoryState(sid, "", np.zeros(3, dtype=np.float32), 0)
            f = F(f"{sid}-1", unit(1, 0, 0), frozenset(keys), 10, "t", True)
            store_add_stub(store, f.article_id)
            story.add(f)
            store.save_assignment(f, story, created=True, score=1.0)
        ranked = [s.id for s in store.candidate_stories(many, 10, 60, 10)]
        few = [s.id for s in store.candidate_stories(many[:3] + many[100:110], 10, 60, 10)]
        assert ranked == few == ["sb", "sa", "sc"]  # by shared names: 10, 3, 2


def store_add_stub(store, article_id):
    """A minimal stored article (the story tables reference articles)."""
    from chorus.models import AnnotatedArticle, Article, OffsetMap

    text = f"Article {article_id}."
    article = Article(
        id=article_id, content_hash=article_id * 8, source=article_id, kind="text", outlet="o", title=f"title {article_id}",
        title_source="metadata", source_text=text, text=text, offsets=OffsetMap(((0, 0, len(text)),)),
    )  # fmt: skip
    store.add(AnnotatedArticle(article, (), ()))


# invented reports: one quake, a rewrite of it, and another quake of the same kind
QUAKE = ("Magnitude 6.1 quake shakes Varnholm coast",
         "A magnitude 6.1 earthquake struck off the Varnholm coast on Tuesday, killing 12 people in the fishing town of Ostrel.")
QUAKE_REWRITE = ("Deadly quake hits Ostrel",
                 "Twelve people died in Ostrel when a 6.1-magnitude earthquake hit the Varnholm coast on Tuesday, officials said.")
OTHER_QUAKE = ("Earthquake rattles Kessin valley",
               "An earthquake of magnitude 5.4 struck the Kessin valley on Tuesday, damaging homes in the village of Brudow.")


def test_words_tell_two_quakes_apart_where_a_rewrite_stays_close():
    from chorus.stories import lexical_vector

    a, rewrite, other = (lexical_vector(title, body) for title, body in (QUAKE, QUAKE_REWRITE, OTHER_QUAKE))
    assert float(a @ rewrite) > 2 * float(a @ other)
    assert lexical_vector("", "") @ a == 0.0  # no words: no pull towards anything


def test_lead_years_are_scored_but_never_used_to_find_candidates():
    from chorus.stories import candidate_keys, year_keys

    years = year_keys("Floods of 2008 and 1997 along the Kessin; 12,000 people moved")
    assert years == {"year:2008", "year:1997"}
    assert candidate_keys(frozenset({"kessin", *years})) == ["kessin"]


def test_a_story_stored_with_embedding_only_vectors_still_takes_new_articles():
    """A store written before articles carried words holds shorter vectors; a new
    article is compared on the part both have, and joins without error."""
    from chorus.stories import article_vector, lexical_vector

    old = StoryState("so", "Old", unit(1, 0.2, 0), 1)
    new = Features("n", article_vector(unit(1, 0.2, 0), lexical_vector(*QUAKE)), frozenset(), None)
    assert fit(new, old, {}, StoryOptions(text_weight=1.0)) > 0.4
    old.add(new)
    assert old.n == 2 and old.vector_sum.shape == new.vector.shape


def test_regroup_splits_two_unlike_groups_and_the_larger_keeps_the_story():
    from chorus.stories import RecheckOptions, propose_regroup

    def block(sizes, within, across):
        labels = [k for k, n in enumerate(sizes) for _ in range(n)]
        sim = np.array([[1.0 if i == j else within if a == b else across for j, b in enumerate(labels)] for i, a in enumerate(labels)])
        return [f"{'ab'[a]}{i}" for i, a in enumerate(labels)], sim

    options = RecheckOptions(min_group=5, ratio=0.5)
    ids, sim = block((6, 5), within=0.4, across=0.05)
    split = propose_regroup(ids, sim, "b7", options)  # the story began with a "b" article
    assert split is not None and set(split.keep) == set(ids[:6]) and set(split.move) == set(ids[6:])
    ids, sim = block((6, 5), within=0.4, across=0.3)  # one story told from two angles
    assert propose_regroup(ids, sim, ids[0], options) is None
    ids, sim = block((8, 3), within=0.4, across=0.05)  # a stray few are left for the vector check
    assert propose_regroup(ids, sim, ids[0], options) is None


def test_regroup_also_cuts_a_story_at_a_long_quiet_spell_when_the_two_sides_are_unlike():
    from chorus.stories import RecheckOptions, propose_regroup, quiet_spell_cut

    # a border crisis (10 reports over two days), then, after 17 quiet days, an arrest
    # it led to (5 reports). The reports of the crisis differ among themselves about as
    # much as they differ from the arrest, so complete linkage cuts off two crisis
    # reports, not the arrest; the quiet spell cuts where the events change.
    days = [100] * 5 + [101] * 5 + [118, 119, 120, 125, 131]
    ids = [f"c{i}" for i in range(10)] + [f"a{i}" for i in range(5)]
    sim = np.full((15, 15), 0.06)
    sim[:10, :10] = 0.25
    sim[10:, 10:] = 0.3
    sim[:2, 2:10] = sim[2:10, :2] = 0.05  # two crisis reports drift off on their own ...
    sim[:2, 10:] = sim[10:, :2] = 0.04  # ... unlike the arrest too
    np.fill_diagonal(sim, 1.0)
    options = RecheckOptions(min_group=5, ratio=0.5, quiet_days=7)
    split = propose_regroup(ids, sim, "c0", options, days)
    assert split is not None and set(split.keep) == set(ids[:10]) and set(split.move) == set(ids[10:])
    assert propose_regroup(ids, sim, "c0", options) is None  # no days: no quiet-spell cut
    assert propose_regroup(ids, sim, "c0", RecheckOptions(min_group=5, ratio=0.5, quiet_days=0), days) is None
    assert propose_regroup(ids, sim, "c0", RecheckOptions(min_group=5, ratio=0.5, quiet_days=21), days) is None
    # the same story picked up again after the lull, in the same words: one story
    alike = np.full((15, 15), 0.25)
    np.fill_diagonal(alike, 1.0)
    assert propose_regroup(ids, alike, "c0", options, days) is None
    # one unknown day: no cut by time at all
    assert quiet_spell_cut([*days[:-1], None], 7) is None
    left, right = quiet_spell_cut([5, 1, 30, 2], 7)
    assert left.tolist() == [0, 1, 3] and right.tolist() == [2]


# invented reports of two quakes of one kind in one country, six and five rewrites
QUAKE_KESSARIN = [
    "A magnitude 6.4 earthquake struck the mountain town of Kessarin in northern Valdoria on Tuesday, killing 12 people.",
    "Governor Amira Tolvan said 85 people were injured in Kessarin.",
    "Rescue teams searched collapsed houses in Kessarin through the night, Tolvan said.",
    "About 300 families were moved into tents near the Kessarin stadium.",
    "The quake was felt in the capital, Port Emery, where buildings swayed.",
    "Aid convoys reached Kessarin on Wednesday as aftershocks rattled the valley.",
]
QUAKE_LIRREMOUTH = [
    "A magnitude 7.1 earthquake struck the coastal city of Lirremouth in southern Valdoria on Sunday, killing 41 people.",
    "Civil defence chief Oren Baskaly said 230 people were injured in Lirremouth.",
    "Rescuers searched collapsed apartment blocks by the Lirremouth harbour, Baskaly said.",
    "About 1,200 residents spent the night in shelters near the harbour.",
    "The quake was felt in the capital, Port Emery, where buildings swayed.",
    "Fishing boats stayed in the Lirremouth harbour as aftershocks shook the coast.",
]


def _rewrites(sentences, n, place):
    out = []
    for i in range(n):
        body = [sentences[0], *(sentences[1 + (i + k) % (len(sentences) - 1)] for k in range(3))]
        out.append((f"Earthquake in {place}: report {i + 1}", " ".join(body)))
    return out


def test_a_story_holding_two_quakes_is_split_on_recheck_and_a_second_recheck_changes_nothing(nlp):
    from chorus.clean import clean
    from chorus.models import RawDocument
    from chorus.nlp.annotate import annotate
    from chorus.stories import RecheckOptions

    texts = _rewrites(QUAKE_KESSARIN, 6, "Kessarin") + _rewrites(QUAKE_LIRREMOUTH, 5, "Lirremouth")
    raws = [RawDocument(source=f"q{i}.txt", text=f"{t}\n\n{b}", kind="text", published="2031-03-04") for i, (t, b) in enumerate(texts)]
    docs = list(annotate([clean(r) for r in raws], nlp))
    kessarin = {d.id for d in docs[:6]}
    with open_store(":memory:") as store:
        for d in docs:
            store.add(d)
        # everything joins one story (as two sibling events can, one article at a time)
        pipeline.assign_stories(docs, store, SETTINGS, StoryOptions(threshold=-1.0), recheck=None)
        (story,) = story_sets(store)
        split = pipeline.regroup_if_two(store, story, RecheckOptions())
        assert split is not None
        stories = story_sets(store)
        assert stories[story] == kessarin  # the larger part keeps the id
        assert sorted(map(sorted, stories.values())) == sorted([sorted(kessarin), sorted(d.id for d in docs[6:])])
        kinds = [r.kind for r in store.revisions()]
        assert kinds.count("split") == 1 and kinds.count("split_from") == 1
        revisions = store.revisions()
        for sid in stories:
            assert pipeline.regroup_if_two(store, sid, RecheckOptions()) is None
        assert store.revisions() == revisions


def _kessarin_with_a_stray(nlp):
    """Five rewrites of one quake, a sixth that leads with the aftermath (so its lead
    looks less like the story's), a seventh, and one report of another quake."""
    from chorus.clean import clean
    from chorus.models import RawDocument
    from chorus.nlp.annotate import annotate

    texts = _rewrites(QUAKE_KESSARIN, 7, "Kessarin") + _rewrites(QUAKE_LIRREMOUTH, 1, "Lirremouth")
    texts[5] = ("Families shelter in tents after the quake", " ".join(QUAKE_KESSARIN[i] for i in (3, 5, 2, 1, 0)))
    raws = [RawDocument(source=f"q{i}.txt", text=f"{t}\n\n{b}", kind="text", published="2031-03-04") for i, (t, b) in enumerate(texts)]
    return list(annotate([clean(r) for r in raws], nlp))


def test_a_report_that_started_a_story_of_its_own_joins_its_story_on_the_second_look(nlp, store_url):
    from chorus.stories import RecheckOptions

    docs = _kessarin_with_a_stray(nlp)
    kessarin, stray, other = docs[:5], docs[5], docs[7]
    with open_store(store_url) as store:
        for d in docs:
            store.add(d)
        pipeline.assign_stories(kessarin, store, SETTINGS, StoryOptions(threshold=-1.0), recheck=None)
        # a rewrite and the other quake each start a story of their own
        pipeline.assign_stories([stray, other], store, SETTINGS, StoryOptions(threshold=2.0), recheck=None)
        (main,) = [sid for sid, ids in story_sets(store).items() if len(ids) == 5]
        small = [store.story_of(stray.id), store.story_of(other.id)]
        joined = pipeline.gather_strays(store, small, StoryOptions(), RecheckOptions())
        assert joined == [(small[0], main)]
        stories = story_sets(store)
        assert stories[main] == {d.id for d in [*kessarin, stray]}  # the stray joined, the id stayed
        assert {other.id} in stories.values()  # the other quake did not
        (merge,) = [r for r in store.revisions(main) if r.kind == "merged"]
        assert merge.detail["story"] == small[0] and merge.detail["why"] == "stray"
        assert store.get_story(small[0]).id == main  # the old id leads to the story it joined
        # the stray's names now find the story it joined
        found = store.candidate_stories(sorted(next(m for m in store.story_members(main) if m.article_id == stray.id).keys), None, 60, 5)
        assert main in [c.id for c in found]
        # looking again changes nothing
        revisions = store.revisions()
        assert pipeline.gather_strays(store, small, StoryOptions(), RecheckOptions()) == []
        assert store.revisions() == revisions


def test_a_run_looks_again_at_the_small_stories_it_started(nlp):
    from chorus.stories import RecheckOptions

    docs = _kessarin_with_a_stray(nlp)
    kessarin, stray, other = docs[:5], docs[5], docs[7]
    # the stray and the other quake arrive in a later run and (forced here: a threshold
    # no fit reaches) each start a story; the second look then takes the stray home
    for recheck, stray_at_home in ((RecheckOptions(stray_max=0), False), (RecheckOptions(), True)):
        with open_store(":memory:") as store:
            for d in docs:
                store.add(d)
            pipeline.assign_stories(kessarin, store, SETTINGS, StoryOptions(threshold=-1.0), recheck=None)
            (main,) = story_sets(store)
            decisions = pipeline.assign_stories([stray, other], store, SETTINGS, StoryOptions(threshold=2.0), recheck=recheck)
            assert [d.story for d in decisions] == [None, None]
            stories = story_sets(store)
            assert (stories[main] == {d.id for d in [*kessarin, stray]}) is stray_at_home
            assert {other.id} in stories.values()


def test_a_small_story_goes_where_all_its_articles_cluster_with_most_of_a_sample():
    from chorus.stories import stray_home

    owners = [None, None, "a", "a", "a", "b", "b"]
    alike = np.full((7, 7), 0.5)
    assert stray_home([[0, 1, 5, 6], [2, 3, 4]], alike, owners) == "b"
    assert stray_home([[0, 1, 2, 5], [3, 4], [6]], alike, owners) == "b"  # a: 1 of 3, b: 1 of 2 (half)
    assert stray_home([[0, 2, 3], [1, 4, 5, 6]], alike, owners) is None  # its own articles fall apart
    assert stray_home([[0, 1], [2, 3, 4, 5, 6]], alike, owners) is None  # with nobody's sample
    assert stray_home([[0, 1, 2, 3, 5, 6], [4]], alike, owners) == "b"  # all of b beats two thirds of a
    assert stray_home([[0, 1, 2, 3, 4, 5, 6]], alike, owners) == "a"  # a tie goes to the better fit (listed first)
    # clustered together, but far less alike to b's articles than those are to each other
    faint = alike.copy()
    faint[np.ix_([0, 1], [5, 6])] = faint[np.ix_([5, 6], [0, 1])] = 0.05
    assert stray_home([[0, 1, 5, 6], [2, 3, 4]], faint, owners) is None
    assert stray_home([[0, 1, 2, 3, 4, 5, 6]], faint, owners) == "a"
