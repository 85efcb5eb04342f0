"""The whole data flow of chorus, in order. Each stage is a plain function over
dataclasses; this module is the only place that knows the order.

    read -> clean -> annotate -> [store] -> group -> analyze -> (render, in render/)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from chorus.analyze.entities import story_entities
from chorus.analyze.summary import SummaryOptions, summarize
from chorus.clean import clean
from chorus.cluster import GroupOptions, group_articles
from chorus.config import Settings
from chorus.models import AnnotatedArticle, Article, Briefing, RawDocument, Rejected, StoryBriefing
from chorus.nlp.annotate import annotate_parallel
from chorus.read import read_inputs
from chorus.store import Store



@dataclass(frozen=True)
class Prepared:
    """Cleaned articles ready to annotate, and what was turned away on the way."""

    articles: list[Article]
    rejected: list[Rejected]
    duplicates: list[Rejected] = field(default_factory=list)  # same content twice in one batch


def prepare(paths: Sequence[str], settings: Settings, stdin: BinaryIO | None = None) -> Prepared:
    """read -> clean, keeping every rejection with its reason."""
    articles: list[Article] = []
    rejected: list[Rejected] = []
    duplicates: list[Rejected] = []
    seen: dict[str, str] = {}
    for item in read_inputs(paths, max_bytes=settings.max_bytes, stdin=stdin):
        if isinstance(item, Rejected):
            rejected.append(item)
            continue
        article = clean(item)
        if isinstance(article, Rejected):
            rejected.append(article)
        elif article.content_hash in seen:
            duplicates.append(Rejected(article.source, f"same article as {seen[article.content_hash]}"))
        else:
            seen[article.content_hash] = article.source
            articles.append(article)
    return Prepared(articles, rejected, duplicates)


def annotate_all(articles: Iterable[Article], settings: Settings) -> Iterator[AnnotatedArticle]:
    return annotate_parallel(articles, workers=settings.workers, model=settings.model)


def analyze(docs: Sequence[AnnotatedArticle], settings: Settings) -> list[StoryBriefing]:
    """group -> per story: entities, summary."""
    by_id = {d.id: d for d in docs}
    briefings = []
    for story in group_articles(docs, GroupOptions()):
        members = [by_id[i] for i in story.article_ids]
        briefings.append(
            StoryBriefing(
                story=story,
                summary=tuple(summarize(members, SummaryOptions(words=settings.summary_words))),
                entities=tuple(story_entities(members)),
            )
        )
    return briefings


def brief(paths: Sequence[str], settings: Settings, stdin: BinaryIO | None = None) -> Briefing:
    """The one-shot job: inputs in, a briefing per story out (nothing is stored)."""
    prepared = prepare(paths, settings, stdin)
    docs = list(annotate_all(prepared.articles, settings))
    return Briefing(
        articles=tuple(d.article for d in docs),
        stories=tuple(analyze(docs, settings)),
        rejected=tuple(prepared.rejected),
    )


@dataclass(frozen=True)
class IngestReport:
    added: list[str]  # article ids
    already: list[Rejected]  # inputs whose article was stored before
    rejected: list[Rejected]


def ingest(paths: Sequence[str], store: Store, settings: Settings, stdin: BinaryIO | None = None) -> IngestReport:
    """read -> clean -> (skip what is stored) -> annotate -> store, one article per
    transaction, so an interruption never leaves half an article."""
    prepared = prepare(paths, settings, stdin)
    known = store.known_hashes(a.content_hash for a in prepared.articles)
    already = [Rejected(a.source, f"already stored as {a.id}") for a in prepared.articles if a.content_hash in known]
    already += prepared.duplicates
    new = [a for a in prepared.articles if a.content_hash not in known]
    added = []
    for doc in annotate_all(new, settings):
        if store.add(doc):
            added.append(doc.id)
        else:  # another process stored it meanwhile
            already.append(Rejected(doc.article.source, f"already stored as {doc.id}"))
    return IngestReport(added, already, prepared.rejected)


def stored_briefing(store: Store, settings: Settings) -> Briefing:
    docs = list(store.iter_annotated())
    return Briefing(articles=tuple(d.article for d in docs), stories=tuple(analyze(docs, settings)))


def raw_from_text(text: str, source: str = "<text>", outlet: str | None = None) -> RawDocument:
    """A RawDocument from a string (for tests and library users)."""
    return RawDocument(source=source, text=text, kind="text", outlet=outlet)
