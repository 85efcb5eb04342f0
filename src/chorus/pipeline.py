"""The whole data flow of chorus, in order. Each stage is a plain function over
dataclasses; this module is the only place that knows the order.

    read -> clean -> annotate -> [store] -> group -> analyze -> (render, in render/)
                                                     `-> snapshot -> changes -> notifications (alerts)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import numpy as np

from chorus import partition
from chorus.analyze.abstractive import LLMOptions, summarize_abstractive
from chorus.analyze.claims import build_claims, coverage, mark_disputed
from chorus.analyze.disputes import find_disputes
from chorus.analyze.entities import canonical_speaker, entity_keys, story_entities
from chorus.analyze.framing import framing
from chorus.analyze.summary import SummaryOptions, summarize
from chorus.analyze.timeline import InferredDate, story_timeline
from chorus.changes import Snapshot, StoryChanges, diff, history_notes, iso, snapshot_of, utc_now
from chorus.clean import clean
from chorus.config import Settings
from chorus.errors import ArticleRefused
from chorus.dedup import origins, syndication_groups
from chorus.embed import get_embedder
from chorus.models import AnnotatedArticle, Article, Briefing, RawDocument, Claim, Quote, Rejected, Story, StoryBriefing, StoryEntity, StoryQuote, SummarySentence
from chorus.nlp.annotate import annotate_parallel
from chorus.nlp.model import load_model
from chorus.nlp.quotes import quote_pieces
from chorus.read import read_inputs
from chorus.store import Store, open_store
from chorus.store.base import NewNotification
from chorus.stories import (
    Decision,
    Features,
    LEAD_SENTENCES,
    LEXICAL_LEAD_SENTENCES,
    RecheckOptions,
    Split,
    StoryOptions,
    StoryState,
    article_vector,
    candidate_keys,
    day_number,
    decide,
    fit,
    idf,
    lead_text,
    lexical_vector,
    new_story_id,
    propose_regroup,
    propose_split,
    recheck_due,
    stray_home,
    year_keys,
)



@dataclass(frozen=True)
class Prepared:
    """Cleaned articles ready to annotate, and what was turned away on the way."""

    articles: list[Article]
    rejected: list[Rejected]
    duplicates: list[Rejected] = field(default_factory=list)  # same content twice in one batch


def prepare(paths: Sequence[str], settings: Settings, stdin: BinaryIO | None = None) -> Prepared:
    """read -> clean, keeping every rejection with its reason."""
    return prepare_documents(read_inputs(paths, max_bytes=settings.max_bytes, stdin=stdin), settings)


def prepare_documents(items: Iterable[RawDocument | Rejected], settings: Settings) -> Prepared:
    """clean, keeping every rejection with its reason (documents already read: from
    files by ``prepare``, from the web by ``chorus.watch``)."""
    articles: list[Article] = []
    rejected: list[Rejected] = []
    duplicates: list[Rejected] = []
    seen: dict[str, str] = {}
    for item in items:
        if isinstance(item, Rejected):
            rejected.append(item)
            continue
        article = clean_document(item, settings)
        if isinstance(article, Rejected):
            rejected.append(article)
        elif article.content_hash in seen:
            duplicates.append(Rejected(article.source, f"same article as {seen[article.content_hash]}"))
        else:
            seen[article.content_hash] = article.source
            articles.append(article)
    return Prepared(articles, rejected, duplicates)


def clean_document(raw: RawDocument, settings: Settings) -> Article | Rejected:
    """The clean stage for one document (the Ray engine's read tasks run it too)."""
    if len(raw.text) > settings.max_chars:
        return Rejected(raw.source, too_long(len(raw.text), settings.max_chars))
    return clean(raw)


def too_long(chars: int, limit: int) -> str:
    return (
        f"the text is {chars:,} characters long, over the {limit:,}-character limit for one article "
        "(raise max_chars in chorus.toml or CHORUS_MAX_CHARS)"
    )


def annotate_all(articles: Iterable[Article], settings: Settings) -> Iterator[AnnotatedArticle]:
    return annotate_parallel(articles, workers=settings.workers, model=settings.model, extras=settings.extras)


def analyze(docs: Sequence[AnnotatedArticle], stories: Sequence[Story], settings: Settings) -> list[StoryBriefing]:
    """Per story: entities, claims, disputes, framing, coverage, timeline, summary."""
    by_id = {d.id: d for d in docs}
    return [analyze_story(story, [by_id[i] for i in story.article_ids], settings) for story in stories]


def with_inferred_date(article: Article, found: InferredDate | None) -> Article:
    """The article with its inferred publication date: ``published`` only when the
    evidence pins the day, else the range it supports."""
    if found is None or article.published:
        return article
    return replace(
        article,
        published=found.date if found.precise else None,
        published_source="inferred",
        published_range=None if found.precise else found.date,
        published_evidence=found.evidence,
    )


def story_quote(doc: AnnotatedArticle, quote: Quote, entities: Sequence[StoryEntity]) -> StoryQuote:
    """A quote under the story's name for its speaker. A quote interrupted by its cue
    ("“A,” he said, “B.”") shows its pieces joined by " … ", each piece cited."""
    spans = [doc.article.offsets.to_original(a, b) for a, b in quote_pieces(doc.article, quote)]
    source = doc.article.source_text
    text = " … ".join(" ".join(source[a:b].split()) for a, b in spans) if len(spans) > 1 else quote.text
    return StoryQuote(
        canonical_speaker(quote.speaker, entities),
        quote.speaker_role,
        text,
        quote.kind,
        doc.id,
        quote.orig_start,
        quote.orig_end,
        quote.cue,
        tuple(spans),
    )


def with_support(summary: Sequence[SummarySentence], claims: Sequence[Claim]) -> list[SummarySentence]:
    """Each summary sentence with the other articles' wordings of the same claim."""
    claim_at = {(s.article, s.start): c for c in claims for s in c.support}
    out = []
    for sentence in summary:
        first = sentence.citations[0]
        claim = claim_at.get((first.article, first.start))
        cited = {(c.article, c.start) for c in sentence.citations}
        extra = tuple(s for s in claim.support if (s.article, s.start) not in cited) if claim else ()
        out.append(replace(sentence, support=extra))
    return out


def _cosines(rows: np.ndarray) -> np.ndarray:
    return rows @ rows.T


def analyze_story(story: Story, members: Sequence[AnnotatedArticle], settings: Settings) -> StoryBriefing:
    embedder = get_embedder(settings.embedder)
    entities = story_entities(members)
    speakers = {(d.id, q.sentence): canonical_speaker(q.speaker, entities) for d in members for q in d.quotes if q.speaker}
    claims = build_claims(
        members,
        groups=syndication_groups(members),
        article_origins={d.id: origins(d.article) for d in members},
        speakers=speakers,
        similarity=lambda texts: _cosines(embedder.embed(texts)),
    )
    starts = {(d.id, s.index): s.orig_start for d in members for s in d.sentences}
    disputes = find_disputes(claims, members, speaker_at={(a, starts[(a, i)]): who for (a, i), who in speakers.items() if (a, i) in starts})
    claims = mark_disputed(claims, {cid for d in disputes for side in d.sides for cid in side.claims})
    sentence_at = {(d.id, s.orig_start): s.index for d in members for s in d.sentences}
    # the summary prefers what independent sources confirm, and what is disputed
    boost: dict[tuple[str, int], float] = {}
    for c in claims:
        bonus = float(c.independent_sources - 1) + (1.0 if c.status == "disputed" else 0.0)
        if bonus > 0:
            for s in c.support:
                key = (s.article, sentence_at[(s.article, s.start)])
                boost[key] = max(boost.get(key, 0.0), bonus)
    # a fair summary of a dispute states each side once: its first-cited sentence
    for d in disputes:
        for side in d.sides:
            if side.support:
                s = side.support[0]
                key = (s.article, sentence_at[(s.article, s.start)])
                boost[key] = max(boost.get(key, 0.0), 3.0)
    nlp = load_model(settings.model)
    inferred, timeline = story_timeline(members, nlp=nlp)
    same_claim = {(s.article, sentence_at[(s.article, s.start)]): c.id for c in claims if len(c.support) > 1 for s in c.support}
    summary = with_support(
        summarize(members, SummaryOptions(words=settings.summary_words), boost=boost, same_claim=same_claim), claims
    )
    mode, dropped = "extractive", ()
    if settings.llm_url:
        ranked = sorted(claims, key=lambda c: (not c.corroborated, -c.independent_sources))
        result = summarize_abstractive(ranked, LLMOptions(settings.llm_url, settings.llm_model, settings.summary_words))
        summary, mode, dropped = result.sentences, "abstractive", result.dropped
    return StoryBriefing(
        story=story,
        summary_mode=mode,
        summary_dropped=tuple(dropped),
        articles=tuple(with_inferred_date(d.article, inferred.get(d.id)) for d in members),
        timeline=timeline,
        summary=tuple(summary),
        entities=tuple(entities),
        quotes=tuple(story_quote(d, q, entities) for d in members for q in d.quotes),
        claims=tuple(claims),
        disputes=tuple(disputes),
        framing=tuple(framing(members, nlp)),
        coverage=tuple(coverage(claims, {d.id: d.article.outlet for d in members})),
    )


def brief(paths: Sequence[str], settings: Settings, stdin: BinaryIO | None = None) -> Briefing:
    """The one-shot job: inputs in, a briefing per story out (nothing is stored)."""
    prepared = prepare(paths, settings, stdin)
    docs = list(annotate_all(prepared.articles, settings))
    with open_store(":memory:") as store:  # the same story assignment as `chorus ingest`
        for doc in docs:
            store.add(doc)
        assign_stories(docs, store, settings)
        stories = stored_stories(store)
    briefings = analyze(docs, stories, settings)
    return Briefing(articles=_articles_of(briefings), stories=tuple(briefings), rejected=tuple(prepared.rejected))


def _articles_of(stories: Sequence[StoryBriefing]) -> tuple[Article, ...]:
    return tuple(a for sb in stories for a in sb.articles)


@dataclass(frozen=True)
class IngestReport:
    added: list[str]  # article ids
    already: list[Rejected]  # inputs whose article was stored before
    rejected: list[Rejected]
    article_of: dict[str, str] = field(default_factory=dict)  # source -> article id, stored now or before
    deferred: tuple[str, ...] = ()  # changed stories not analysed now (a bulk load; see update_stories)


@dataclass(frozen=True)
class StoryUpdates:
    analysed: tuple[str, ...]  # stories analysed (briefing cached, snapshot recorded)
    deferred: tuple[str, ...] = ()  # changed stories left for their next change or first view


def ingest(paths: Sequence[str], store: Store, settings: Settings, stdin: BinaryIO | None = None) -> IngestReport:
    """read -> clean -> (skip what is stored) -> annotate -> store, one article per
    transaction, so an interruption never leaves half an article."""
    return _ingest_prepared(prepare(paths, settings, stdin), store, settings)


def ingest_documents(raws: Sequence[RawDocument], store: Store, settings: Settings) -> IngestReport:
    """The same as ``ingest`` for documents already read (``chorus watch`` reads them
    from the web); a document's ``source`` names it in the report."""
    return _ingest_prepared(prepare_documents(raws, settings), store, settings)


def _ingest_prepared(prepared: Prepared, store: Store, settings: Settings) -> IngestReport:
    known = store.known_hashes(a.content_hash for a in prepared.articles)
    already = [Rejected(a.source, f"already stored as {a.id}") for a in prepared.articles if a.content_hash in known]
    already += prepared.duplicates
    new = [a for a in prepared.articles if a.content_hash not in known]
    added, refused = [], []
    for doc in annotate_all(new, settings):
        if store_article(doc, store, already, refused):
            added.append(doc)
    updates = assign_unassigned(store, settings)
    return IngestReport(
        [d.id for d in added], already, [*prepared.rejected, *refused], {a.source: a.id for a in prepared.articles}, updates.deferred
    )


def store_article(doc: AnnotatedArticle, store: Store, already: list[Rejected], rejected: list[Rejected]) -> bool:
    """Store one annotated article in its own transaction; False (noted in ``already``)
    when it is stored already, e.g. by another process meanwhile, or (noted in
    ``rejected``) when the store refuses what it holds: the batch goes on."""
    try:
        if store.add(doc):
            return True
    except ArticleRefused as exc:
        rejected.append(Rejected(doc.article.source, f"the store refused it: {exc.reason}"))
        return False
    already.append(Rejected(doc.article.source, f"already stored as {doc.id}"))
    return False


def assign_unassigned(
    store: Store, settings: Settings, vectors: Mapping[str, np.ndarray] | None = None, windows: partition.WindowRunner | None = None
) -> StoryUpdates:
    """Give every stored article without a story its story (articles stored by an
    interrupted run too), in publication order, then update the stories that changed.
    ``vectors``: see :func:`assign_stories`. ``windows``: with ``settings.partition_days``,
    assign by time window, the windows run by this runner (:func:`assign_partitioned`)."""
    started = iso(utc_now())
    unassigned = [store.get(i) for i in store.unassigned_article_ids()]
    if windows is not None and settings.partition_days:
        assign_partitioned(unassigned, store, settings, windows, vectors=vectors)
    else:
        assign_stories(unassigned, store, settings, vectors=vectors)
    return update_stories(store, started, settings)


def assign_partitioned(
    docs: Sequence[AnnotatedArticle],
    store: Store,
    settings: Settings,
    run_windows: partition.WindowRunner = partition.serial_runner,
    options: StoryOptions = StoryOptions(),
    vectors: Mapping[str, np.ndarray] | None = None,
) -> int:
    """:func:`assign_stories` for a bulk load, cut by publication day into windows of
    ``settings.partition_days``: each window assigned alone (in parallel, by
    ``run_windows``), then written oldest first, each window story stitched to the
    stored story its first article joins; undated articles last, serially. Returns how
    many window stories were stitched (chorus.partition says what differs from serial)."""
    with store.assigning():  # a bulk load: other chorus processes assign after it
        todo = unassigned_in_order(docs, store)
        features = [story_features(d, v) for d, v in zip(todo, lead_vectors(todo, settings, vectors))]
        windows, undated = partition.cut_windows(features, settings.partition_days)
        stitched = 0
        for window, placed in zip(windows, run_windows(windows, options)):
            stitched += partition.write_window(window, placed, store, options)
        assign_features(undated, store, options)
    return stitched


def story_vectors(docs: Sequence[AnnotatedArticle], settings: Settings) -> np.ndarray:
    """The embedding stage: one L2-normalised row per article, of its title and lead."""
    return get_embedder(settings.embedder).embed(
        [lead_text(d.article.title, d.opening(LEAD_SENTENCES)) for d in docs]
    )


def update_stories(store: Store, since: str, settings: Settings) -> StoryUpdates:
    """After story assignment: analyse once each story changed since ``since`` (created,
    added to, merged, split). With ``snapshots`` on (the default) a snapshot records
    what changed, for `chorus changes` and alerts; with ``briefings`` or snapshots on,
    the briefing is cached for the web app. With both off the web app computes a stale
    briefing on its first view and ingest stays as fast as annotation.

    A bulk load (more changed stories than ``snapshot_limit``, and ``briefings`` not
    asked for) is not analysed now: that would cost more than annotating. A story left
    so gets, at its next change, a baseline snapshot of the articles it had before it
    (dated when the last of them joined), so that change is reported as a change and
    not as a new story. Every ingest path calls this once per batch."""
    changed = changed_stories(store, since)
    if not (settings.briefings or settings.snapshots):
        return StoryUpdates((), tuple(changed))
    if not settings.briefings and len(changed) > settings.snapshot_limit:
        return StoryUpdates((), tuple(changed))
    return StoryUpdates(tuple(refresh_briefings(store, changed, settings, baseline_before=since)))


def changed_stories(store: Store, since: str) -> list[str]:
    """The live stories changed since ``since`` (a merged-away id counts as the story it
    joined; a story emptied by a delete is gone)."""
    from chorus.alerts import live_stories

    return live_stories(store, (r.story_id for r in store.revisions(since=since)))


def refresh_briefings(
    store: Store, story_ids: Iterable[str], settings: Settings, *, baseline_before: str | None = None
) -> list[str]:
    """Compute each story's briefing and cache its JSON (``briefing_dict``) and claims
    in the store, for the web app and API to read; with ``settings.snapshots`` on, also
    record what changed (:func:`record_snapshot`), after a baseline snapshot of the
    articles it had before ``baseline_before`` when it has none (a story a bulk load
    did not analyse). Returns the story ids cached (a merged-away id is cached under
    the story it joined)."""
    from chorus.render.json import briefing_dict

    done: list[str] = []
    for story_id in dict.fromkeys(story_ids):
        data = briefing_dict(story_briefing(store, story_id, settings))
        story = data["stories"][0]
        claims = [(c["id"], c["text"]) for c in story["claims"]]
        store.put_briefing(story["id"], json.dumps(data, ensure_ascii=False), claims)
        if settings.snapshots:
            if baseline_before and store.snapshot_at(story["id"]) is None:
                _baseline_snapshot(store, story["id"], baseline_before, settings)
            record_snapshot(store, data)
        done.append(story["id"])
    return done


def _baseline_snapshot(store: Store, story_id: str, before: str, settings: Settings) -> None:
    """The story as it was before ``before`` (its articles that joined earlier), dated
    when the last of them joined; nothing when it had none (a new story)."""
    from chorus.render.json import briefing_dict

    joined = store.assigned_times(story_id)
    earlier = {a for a, at in joined.items() if at < before}
    if earlier:
        data = briefing_dict(story_briefing(store, story_id, settings, only=earlier))
        record_snapshot(store, data, at=max(joined[a] for a in earlier))


# -- story updates and alerts -----------------------------------------------------
def record_snapshot(store: Store, briefing: dict, at: str | None = None) -> StoryChanges | None:
    """Snapshot a story from its briefing JSON and store it with what changed since its
    previous snapshot and the notifications of the watches that concern it, in one
    transaction. Nothing is stored when nothing changed (None)."""
    from chorus import alerts

    snap = snapshot_of(briefing, at or iso(utc_now()))
    row = store.snapshot_at(snap.story_id)
    previous = Snapshot.from_dict(json.loads(row.snapshot)) if row else None
    found = diff(previous, snap, history_notes(store.revisions(snap.story_id, since=previous.at if previous else None)))
    if previous is not None and found.empty:
        return None
    notes = [
        NewNotification(w.id, json.dumps(body, ensure_ascii=False), w.webhook)
        for w, body in alerts.notify_for(store, store.list_watches(), found, snap)
    ]
    dump = lambda d: json.dumps(d, ensure_ascii=False)  # noqa: E731
    store.put_snapshot(snap.story_id, snap.at, dump(snap.to_dict()), dump(found.to_dict()), notes)
    return found


def changes_since(store: Store, since: str, story_id: str | None = None) -> list[StoryChanges]:
    """What is new in each story (or in one; a merged-away id stands for the story it
    joined) since ``since``: its latest snapshot against its last one at or before
    ``since``; a story born after ``since`` shows everything as new. Latest first."""
    from chorus.alerts import live_stories

    if story_id is not None:
        candidates = [store.get_story(story_id).id]
    else:
        candidates = live_stories(store, store.snapshotted_since(since))
    out = []
    for sid in candidates:
        latest = store.snapshot_at(sid)
        if latest is None or latest.at <= since:
            continue
        base = store.snapshot_at(sid, since)
        old = Snapshot.from_dict(json.loads(base.snapshot)) if base else None
        found = diff(old, Snapshot.from_dict(json.loads(latest.snapshot)), history_notes(store.revisions(sid, since=since)))
        if not found.empty:
            out.append(found)
    return sorted(out, key=lambda c: c.at, reverse=True)


def assign_stories(
    docs: Sequence[AnnotatedArticle],
    store: Store,
    settings: Settings,
    options: StoryOptions = StoryOptions(),
    vectors: Mapping[str, np.ndarray] | None = None,
    recheck: RecheckOptions | None = RecheckOptions(),
) -> list[Decision]:
    """Put each article not yet in a story into the story it fits, or a new one; in
    publication order (undated last), then by id, so a re-run decides the same.
    ``vectors``: lead embeddings already computed by :func:`story_vectors` (the Ray
    engine computes them on its workers), by article id; the others are computed here.
    A story that grows past one of its re-check sizes is re-read as a whole
    (:func:`regroup_if_two`, ``recheck``; None: never)."""
    todo = unassigned_in_order(docs, store)
    if not todo:
        return []
    features = (story_features(d, v) for d, v in zip(todo, lead_vectors(todo, settings, vectors)))
    return assign_features(features, store, options, recheck)


def unassigned_in_order(docs: Iterable[AnnotatedArticle], store: Store) -> list[AnnotatedArticle]:
    """The articles not yet in a story, each once, in publication order (undated last), then by id."""
    unique = {d.id: d for d in docs}  # the same article named twice is assigned once
    return sorted((d for d in unique.values() if store.story_of(d.id) is None), key=lambda d: (d.article.published or "9999", d.id))


def lead_vectors(docs: Sequence[AnnotatedArticle], settings: Settings, given: Mapping[str, np.ndarray] | None) -> list[np.ndarray]:
    """Each article's lead embedding: from ``given`` (by article id) when there, else computed."""
    given = given or {}
    missing = [d for d in docs if d.id not in given]
    computed = dict(zip((d.id for d in missing), story_vectors(missing, settings))) if missing else {}
    return [given[d.id] if d.id in given else computed[d.id] for d in docs]


def assign_features(
    features: Iterable[Features],
    store: Store,
    options: StoryOptions = StoryOptions(),
    recheck: RecheckOptions | None = RecheckOptions(),
) -> list[Decision]:
    """The incremental assignment proper, one article at a time in the order given:
    candidates by shared names in the time window, the best fit (or a new story), live
    merges, a split check of the story it joined, and its re-check when it grows past
    one of its re-check sizes; then, once the run is placed, a second look at the
    small stories it started or grew (:func:`gather_strays`)."""
    decisions = []
    small: dict[str, None] = {}  # small stories to look at again, in the order met
    # one process assigns at a time: each decision reads the stories it then rewrites
    with store.assigning():
        for f in features:
            if store.story_of(f.article_id) is not None:  # another chorus on the store placed it meanwhile
                continue
            decision, candidates = decide_in_store(store, f, options)
            story = chosen_story(decision, candidates, new_story_id(f.article_id), f)
            merged = [c for c in candidates if c.id in decision.merge]
            place(store, story, decision, merged, [(f, decision.score)], options, recheck)
            decisions.append(decision)
            if recheck is not None and story.n <= recheck.stray_max:
                small[story.id] = None
        if small:
            gather_strays(store, small, options, recheck)
    return decisions


def gather_strays(
    store: Store, story_ids: Iterable[str], options: StoryOptions, recheck: RecheckOptions
) -> list[tuple[str, str]]:
    """The second look: each small story (``recheck.stray_max`` articles at most,
    still live) beside the ``stray_candidates`` bigger stories it fits best, each
    represented by its ``stray_sample`` latest articles, clustered together by
    the batch clusterer (:func:`chorus.cluster.similarity_matrix`: words weighted
    over just these articles, names, numbers; complete linkage). When the small
    story's articles cluster with most of one story's and are alike to them, they
    join it, recorded as a merge (:func:`chorus.stories.stray_home`). Returns the
    (small story, story it joined) pairs. Reads at most ``stray_max`` +
    ``stray_candidates`` x ``stray_sample`` articles a small story, none when no
    story fits it ``stray_home_fit``; bigger stories are never re-read whole."""
    from chorus.cluster import cluster_matrix, similarity_matrix

    joined = []
    for story_id in story_ids:
        row = store.get_story(story_id)
        if row.id != story_id or row.n_articles > recheck.stray_max:  # merged away meanwhile, or grown
            continue
        members = store.story_members(story_id)
        mine = StoryState(story_id, row.title, np.zeros_like(members[0].vector), 0)
        for m in members:
            mine.add(m)
        summary = Features(story_id, mine.centroid, frozenset(mine.keys), mine.last_day)
        found, weights = candidates_in_store(store, summary, options, skip={story_id})
        scored = sorted(
            ((fit(summary, c, weights, options), c) for c in found if c.n > mine.n),
            key=lambda x: (-x[0], x[1].id),
        )
        near_scored = [(score, c) for score, c in scored if score >= recheck.stray_fit][: recheck.stray_candidates]
        homes = {c.id for score, c in near_scored if score >= recheck.stray_home_fit}
        if not homes:  # nothing it could join: no articles read
            continue
        near = [c for _, c in near_scored]
        ids: list[str] = [m.article_id for m in members]
        owners: list[str | None] = [None] * len(ids)
        for c in near:
            sample = [m.article_id for m in reversed(store.story_members(c.id)[-recheck.stray_sample :])]  # the latest
            ids += sample
            owners += [c.id] * len(sample)
        sim = similarity_matrix([store.get(i) for i in ids])
        home = stray_home(cluster_matrix(sim), sim, owners, recheck, homes)
        if home is None:
            continue
        into = next(c for c in near if c.id == home)
        into.absorb(mine)
        store.merge_stories(into, [mine], "stray")
        joined.append((story_id, home))
    return joined


def candidates_in_store(
    store: Store, f: Features, options: StoryOptions, skip: Collection[str] = ()
) -> tuple[list[StoryState], dict[str, float]]:
    """The stories the store offers ``f`` by shared names in the time window (less
    those in ``skip``), and the weights of ``f``'s names over the stored articles."""
    found = store.candidate_stories(candidate_keys(f.keys), f.day, options.window_days, options.candidates)
    df, total = store.key_df(f.keys)
    return [c for c in found if c.id not in skip], idf(f.keys, df, total)


def decide_in_store(
    store: Store, f: Features, options: StoryOptions, skip: Collection[str] = ()
) -> tuple[Decision, list[StoryState]]:
    """Where ``f`` goes among the stories :func:`candidates_in_store` offers: the
    decision, and the candidates it chose among."""
    candidates, weights = candidates_in_store(store, f, options, skip)
    return decide(f, candidates, weights, options), candidates


def chosen_story(decision: Decision, candidates: Sequence[StoryState], new_id: str, f: Features) -> StoryState:
    """The candidate ``decision`` chose, or a new empty story ``new_id``."""
    if decision.story is None:
        return StoryState(new_id, "", np.zeros_like(f.vector), 0)
    return next(c for c in candidates if c.id == decision.story)


def place(
    store: Store,
    story: StoryState,
    decision: Decision,
    merged: Sequence[StoryState],
    members: Sequence[tuple[Features, float]],
    options: StoryOptions,
    recheck: RecheckOptions | None,
) -> None:
    """Write ``members`` (features, fit score) into ``story`` — created with the first
    when ``decision`` made a new story — with the stories ``merged`` into it, then look
    at the grown story: a split check, and the re-check when it passed a re-check size."""
    before = story.n
    for other in merged:
        story.absorb(other)
    for i, (f, score) in enumerate(members):
        story.add(f)
        created = decision.story is None and i == 0
        store.save_assignment(f, story, created=created, score=score, merged=merged if i == 0 else ())
    if decision.story is not None and story.n >= SPLIT_CHECK_MIN:
        split_if_two(store, story, options)
    if recheck is not None and recheck_due(before, story.n, recheck):
        regroup_if_two(store, story.id, recheck)


def story_features(doc: AnnotatedArticle, embedding: np.ndarray) -> Features:
    """What story assignment knows of an article: its lead embedding beside its hashed
    words, its names and the years its lead names, its publication day."""
    lead = f"{doc.article.title}\n{doc.opening(LEXICAL_LEAD_SENTENCES)}"
    return Features(
        doc.id,
        article_vector(embedding, lexical_vector(lead, doc.article.text)),
        frozenset(entity_keys(doc)) | year_keys(lead),
        day_number(doc.article.published),
        doc.article.title,
        headline=doc.article.title_source != "first-sentence",
    )


SPLIT_CHECK_MIN = 4  # a story is re-checked for being two stories once it has this many articles


def split_if_two(store: Store, story: StoryState, options: StoryOptions) -> Split | None:
    """Later evidence can show that a story is two: re-check its articles and split
    off the group that does not hold the article that started it, recorded as such."""
    members = store.story_members(story.id)
    first = next((m.article_id for m in members if new_story_id(m.article_id) == story.id), members[0].article_id)
    split = propose_split(members, first, options)
    if split is None:
        return None
    apply_split(store, story.id, members, split, free_story_id(store, split.move))
    return split


def apply_split(store: Store, story_id: str, members: Sequence[Features], split: Split, new_id: str) -> None:
    """Record ``split``: ``split.move`` leaves ``story_id`` for a new story ``new_id``."""
    states = []
    for ids, sid in ((split.keep, story_id), (split.move, new_id)):
        state = StoryState(sid, "", np.zeros_like(members[0].vector), 0)
        for m in members:
            if m.article_id in ids:
                state.add(m)
        states.append(state)
    store.split_story(story_id, states[0], states[1], split.move, split.similarity)


def regroup_if_two(store: Store, story_id: str, recheck: RecheckOptions = RecheckOptions()) -> Split | None:
    """The periodic re-check: the story's articles compared with each other on their
    words and numbers (:func:`chorus.cluster.static_similarity`), not only on
    the story vectors that joined them one at a time; when they form two groups
    unlike each other (:func:`propose_regroup`), the smaller leaves for a new story,
    recorded as a split. Reads the story's articles: run when it grows past a
    re-check size (:func:`chorus.stories.recheck_due`), never on a big story."""
    from chorus.cluster import static_similarity

    members = store.story_members(story_id)
    if not 2 * recheck.min_group <= len(members) <= recheck.max_members:
        return None
    ids = [m.article_id for m in members]
    first = next((i for i in ids if new_story_id(i) == story_id), ids[0])
    split = propose_regroup(ids, static_similarity([store.get(i) for i in ids]), first, recheck, [m.day for m in members])
    if split is None:
        return None
    apply_split(store, story_id, members, split, free_story_id(store, split.move))
    return split


def free_story_id(store: Store, article_ids: Iterable[str]) -> str:
    """The id of a story split off: named after its earliest article id, unless a
    story (live or merged away) already has that name."""
    from chorus.store.base import ArticleNotFound

    ordered = sorted(article_ids)
    for candidate in [*(new_story_id(a) for a in ordered), new_story_id("split:" + ",".join(ordered))]:
        try:
            store.get_story(candidate)
        except ArticleNotFound:
            return candidate
    raise ValueError("no free story id")  # unreachable: the last candidate names this very set


def stored_stories(store: Store) -> list[Story]:
    rows = sorted(store.list_stories(), key=lambda r: (-r.n_articles, r.id))
    return [Story(r.id, r.title, tuple(store.story_article_ids(r.id))) for r in rows]


def story_briefing(store: Store, story_id: str, settings: Settings, *, only: Collection[str] | None = None) -> Briefing:
    """The briefing of one stored story (a merged-away id leads to the story it joined);
    ``only``: of those of its articles alone (the story as it was before some joined)."""
    row = store.get_story(story_id)
    ids = store.story_article_ids(row.id)
    story = Story(row.id, row.title, tuple(i for i in ids if only is None or i in only))
    docs = [store.get(i) for i in story.article_ids]
    briefings = analyze(docs, [story], settings)
    return Briefing(articles=_articles_of(briefings), stories=tuple(briefings))


def stored_briefing(store: Store, settings: Settings) -> Briefing:
    briefings = analyze(list(store.iter_annotated()), stored_stories(store), settings)
    return Briefing(articles=_articles_of(briefings), stories=tuple(briefings))


def raw_from_text(text: str, source: str = "<text>", outlet: str | None = None) -> RawDocument:
    """A RawDocument from a string (for tests and library users)."""
    return RawDocument(source=source, text=text, kind="text", outlet=outlet)
