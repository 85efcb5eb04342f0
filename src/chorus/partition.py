"""Story assignment of a bulk load, partitioned by publication window (docs/SCALING.md).

    dated articles ─▶ windows of N days ─▶ assign_window (each in its own in-memory store, in parallel)
                                        ─▶ write_window, oldest first: each window story's first article
                                           decided against the stories stored before the window
                                           (stitching across the edge), then written to the store

The incremental assignment decides one article after another, each decision seeing the
stories made before it, so it does not parallelise by itself. Cut by publication day,
the windows are independent: each runs the unchanged assignment
(:func:`chorus.pipeline.assign_features`: candidates, ``decide``, live merges, split
checks) over its own articles, in its own in-memory store, starting empty.

What a window cannot see is the stories of the windows before it. The **stitching**
pass makes up for that: windows are written to the target store oldest first, and the
first article of each window story is decided, with the same candidates, fit score,
threshold and merge rule as a live assignment (``decide``), against the stories stored
before that window (earlier windows, and whatever the store held already; a window's
own stories are left out: the window run has decided on those). When the article
joins a story there — what the serial run would have done with it — the whole window
story joins that story (a "stitched" story keeps the older story's id, and stories that
``decide`` merges are recorded as ``merged`` revisions, as live); otherwise the window
story is stored as the window made it. The pass costs one candidate look-up per window
story, not per article.

What differs from a serial run, by design: inside a window the name frequencies (idf)
count that window's articles only; an article of a window story other than its first
is never compared with older stories itself (it follows its story); and a story split
inside a window is written as the two stories it ended as, without the split revision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from chorus.models import AnnotatedArticle, Article, OffsetMap
from chorus.store import Store, open_store
from chorus.stories import Features, RecheckOptions, StoryOptions


@dataclass(frozen=True)
class Window:
    first_day: int  # day number (date.toordinal) of the window's first day
    features: tuple[Features, ...]  # its articles, in assignment order (day, then id)


@dataclass(frozen=True)
class Placement:
    """Where a window run put one article: its story within the window, and the fit."""

    article_id: str
    story_id: str
    score: float


# runs assign_window over the windows (in parallel, or not) and yields the results in window order
WindowRunner = Callable[[Sequence[Window], StoryOptions], Iterable[list[Placement]]]


def cut_windows(features: Iterable[Features], days: int) -> tuple[list[Window], list[Features]]:
    """The dated articles cut into windows of ``days`` publication days (counted from
    the first article's day; empty windows left out), and the undated ones, each list
    in assignment order."""
    if days < 1:
        raise ValueError(f"a window is at least one day, not {days}")
    ordered = sorted(features, key=lambda f: (f.day is None, f.day or 0, f.article_id))
    dated = [f for f in ordered if f.day is not None]
    undated = [f for f in ordered if f.day is None]
    windows: dict[int, list[Features]] = {}
    for f in dated:
        windows.setdefault((f.day - dated[0].day) // days, []).append(f)
    return [Window(dated[0].day + k * days, tuple(fs)) for k, fs in windows.items()], undated


def serial_runner(windows: Sequence[Window], options: StoryOptions) -> Iterator[list[Placement]]:
    """One window after another, in this process (tests, and a machine without Ray)."""
    for window in windows:
        yield assign_window(window, options)


def assign_window(window: Window, options: StoryOptions) -> list[Placement]:
    """The unchanged incremental assignment over one window's articles, in an in-memory
    store of its own that holds only what story assignment reads of an article."""
    from chorus import pipeline  # (pipeline imports this module)

    with open_store(":memory:") as store:
        for f in window.features:
            store.add(_stand_in(f))
        # no re-check here: the window's stand-in articles carry no text; the driver
        # re-checks each story as it writes it (write_window)
        decisions = pipeline.assign_features(window.features, store, options, recheck=None)
        return [Placement(f.article_id, store.story_of(f.article_id) or "", d.score) for f, d in zip(window.features, decisions)]


def _stand_in(f: Features) -> AnnotatedArticle:
    """An article row for the window store: its id and title (a split check reads them)."""
    article = Article(
        id=f.article_id, content_hash=f.article_id, source=f.article_id, kind="text", outlet="", title=f.title,
        title_source="metadata" if f.headline else "first-sentence", source_text="", text="", offsets=OffsetMap(()),
    )  # fmt: skip
    return AnnotatedArticle(article, (), ())


def write_window(window: Window, placed: Sequence[Placement], store: Store, options: StoryOptions) -> int:
    """Write one window's stories into ``store`` (windows oldest first), stitching each
    to the story stored before the window that its first article joins, if any (see the
    module's doc). Returns how many window stories were stitched."""
    from chorus import pipeline

    by_id = {f.article_id: f for f in window.features}
    stories: dict[str, list[tuple[Features, float]]] = {}  # in the order of their first article
    for p in placed:
        stories.setdefault(p.story_id, []).append((by_id[p.article_id], p.score))
    made_here: set[str] = set()
    stitched = 0
    for story_id, members in stories.items():
        first = members[0][0]
        # a window's own stories are left out: the window run has decided on those
        decision, candidates = pipeline.decide_in_store(store, first, options, skip=made_here)
        if decision.story is None:
            made_here.add(story_id)
        else:
            stitched += 1
        story = pipeline.chosen_story(decision, candidates, story_id, first)
        merged = [c for c in candidates if c.id in decision.merge]
        scored = [(f, decision.score if i == 0 else score) for i, (f, score) in enumerate(members)]
        # the serial assignment's split check and re-check, here on the articles' text
        pipeline.place(store, story, decision, merged, scored, options, RecheckOptions())
    return stitched
