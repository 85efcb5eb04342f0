"""Story assignment partitioned by time window (chorus.partition) against the serial
assignment, on a small invented stream of three stories over three weeks: one story
inside the first week, one crossing the edge between the first and second week, one in
the third week, and an undated report. The articles are built by hand here (names
marked as the tagger would), so these tests need no spaCy model; tests/test_ray.py
runs the same stream through the Ray engine and the tagger."""

from __future__ import annotations

import json
import re
from pathlib import Path

from chorus import pipeline
from chorus.config import Settings
from chorus.models import AnnotatedArticle, Mention, Sentence
from chorus.partition import assign_window, cut_windows, serial_runner
from chorus.store import open_store
from chorus.stories import new_story_id

# (story, day of March 2024 or None, title, text); names are found by NAMES below
FERRY = [
    "Port Mirel council approves ferry plan {n}",
    "The harbour council of Port Mirel voted to approve ferry plan {n}, the mayor, Ana Velt, told reporters. "
    "Ferries to Skerry Island will run from the old pier twice a day, and tickets will cost {n} crowns, "
    "Velt said. The council's transport officer, Per Oskarsson, said the first ferry sails in spring.",
]
DROUGHT = [
    "Kaldoria declares drought emergency on the Vell river, day {n}",
    "Kaldoria's farm minister, Teodor Brask, said the Vell river had fallen to its lowest level in forty years "
    "and that {n} villages now depend on water trucks. Brask said the government in Ostrava Nova would pay "
    "farmers who lose their harvest. Wells in the Vell valley have run dry, the Kaldorian Water Board said.",
]
BRIDGE = [
    "Bridge to Lessa collapses in storm, report {n}",
    "A road bridge linking the town of Lessa to Harrow Point collapsed in a storm overnight, the county "
    "engineer, Lina Hald, said, and {n} cars fell into the estuary. Hald said divers from the Harrow Coastguard "
    "had found no one missing. The Lessa bridge was built in 1962 and was due for repairs next year.",
]
STREAM = (
    [("ferry", d, FERRY, n) for n, d in enumerate([1, 2, 3, 4], start=1)]
    + [("drought", d, DROUGHT, n) for n, d in enumerate([5, 6, 9, 10, 12], start=11)]  # crosses March 8
    + [("bridge", d, BRIDGE, n) for n, d in enumerate([15, 16, 17], start=21)]
    + [("ferry", None, FERRY, 30)]  # undated: assigned last
)
NAMES = {
    "PERSON": ["Ana Velt", "Velt", "Per Oskarsson", "Teodor Brask", "Brask", "Lina Hald", "Hald"],
    "GPE": ["Port Mirel", "Skerry Island", "Kaldoria", "Ostrava Nova", "Lessa", "Harrow Point"],
    "LOC": ["Vell"],
    "ORG": ["Kaldorian Water Board", "Harrow Coastguard"],
}


def records() -> list[dict]:
    return [
        {"url": f"https://wire.example/{story}-{n}", "title": t.format(n=n), "text": x.format(n=n), "outlet": "Wire",
         **({"published": f"2024-03-{day:02d}"} if day else {})}
        for story, day, (t, x), n in STREAM
    ]  # fmt: skip


def annotated(record: dict) -> AnnotatedArticle:
    """The record as `chorus ingest` would store it, with the names tagged by hand."""
    from chorus.clean import clean
    from chorus.models import RawDocument

    article = clean(RawDocument(record["url"], record["text"], "json", title=record["title"], outlet="Wire",
                                published=record.get("published"), url=record["url"]))  # fmt: skip
    text = article.text
    bounds = [0] + [m.end() for m in re.finditer(r"\.\s", text)] + [len(text)]
    sentences = tuple(Sentence(i, 0, a, b, a, b, True) for i, (a, b) in enumerate(zip(bounds, bounds[1:])) if b > a)
    mentions = []
    for label, names in NAMES.items():
        for name in names:
            for m in re.finditer(rf"\b{re.escape(name)}\b", text):
                i = next(k for k, s in enumerate(sentences) if s.start <= m.start() < s.end)
                mentions.append(Mention(name, label, m.start(), m.end(), m.start(), m.end(), i))
    return AnnotatedArticle(article, sentences, tuple(sorted(mentions, key=lambda m: m.start)))


def story_sets(store) -> set[frozenset[str]]:
    return {frozenset(store.story_article_ids(r.id)) for r in store.list_stories()}


def run(docs: list[AnnotatedArticle], settings: Settings, partitioned: bool, db: str = ":memory:"):
    store = open_store(db)
    for d in docs:
        store.add(d)
    if partitioned:
        stitched = pipeline.assign_partitioned(docs, store, settings, serial_runner)
    else:
        stitched = None
        pipeline.assign_stories(docs, store, settings)
    return store, stitched


def test_partitioned_assignment_gives_the_serial_stories_and_stitches_the_one_crossing_a_week() -> None:
    docs = [annotated(r) for r in records()]
    by_story = {}
    for (story, *_), d in zip(STREAM, docs):
        by_story.setdefault(story, set()).add(d.id)
    with run(docs, Settings(), partitioned=False)[0] as serial:
        expected = story_sets(serial)
        serial_ids = {r.id for r in serial.list_stories()}
    assert expected == {frozenset(ids) for ids in by_story.values()}  # the fixture is what it says
    store, stitched = run(docs, Settings(partition_days=7), partitioned=True)
    with store:
        assert story_sets(store) == expected
        assert {r.id for r in store.list_stories()} == serial_ids  # a stitched story keeps the older story's id
        drought = store.story_of(docs[4].id)
        assert all(store.story_of(d.id) == drought for d in docs[4:9])
        assert store.story_of(docs[-1].id) == store.story_of(docs[0].id)  # the undated report joined the ferry story
    assert stitched == 1


def test_without_stitching_the_second_week_would_start_its_own_drought_story() -> None:
    """What the stitching pass repairs: the second window, run alone, cannot see the
    drought story begun in the first and starts another."""
    docs = [annotated(r) for r in records()]
    features = [pipeline.story_features(d, v) for d, v in zip(docs, pipeline.lead_vectors(docs, Settings(), None))]
    windows, undated = cut_windows(features, 7)
    assert [len(w.features) for w in windows] == [6, 3, 3] and [f.article_id for f in undated] == [docs[-1].id]
    placed = {p.article_id: p.story_id for p in assign_window(windows[1], pipeline.StoryOptions())}
    first_week = new_story_id(docs[4].id)  # the drought story as the serial run names it
    later = {placed[d.id] for d in docs[6:9]}
    assert len(later) == 1 and first_week not in later


def test_partitioned_articles_join_stories_stored_before(tmp_path: Path) -> None:
    """A bulk load into a store that already holds the first week: the windows start
    empty, and stitching puts the new drought and ferry reports into the stored stories."""
    docs = [annotated(r) for r in records()]
    db = str(tmp_path / "s.db")
    with open_store(db) as store:
        for d in docs[:6]:
            store.add(d)
        pipeline.assign_stories(docs[:6], store, Settings())
        before = {r.id: r.n_articles for r in store.list_stories()}
        for d in docs[6:]:
            store.add(d)
        stitched = pipeline.assign_partitioned(docs[6:], store, Settings(partition_days=7), serial_runner)
        after = {r.id: r.n_articles for r in store.list_stories()}
        assert set(before) <= set(after) and len(after) == 3
        assert after[store.story_of(docs[4].id)] == 5 and after[store.story_of(docs[0].id)] == 5
        bridge = after[store.story_of(docs[-2].id)]
    # windows count from the load's first day (March 9): the drought reports join the
    # stored story, and the bridge story, cut at March 16, is stitched back together
    assert stitched == 2 and bridge == 3


def test_the_cli_refuses_a_partition_without_the_ray_engine(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from chorus.cli import cli

    path = tmp_path / "wire.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records()) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", "--partition-days", "7", "--db", str(tmp_path / "x.db"), str(path)])
    assert result.exit_code == 2 and "--engine ray" in result.output
