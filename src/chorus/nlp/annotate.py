"""annotate: Article -> AnnotatedArticle (sentences and named entities, with source offsets).

Runs spaCy over the cleaned text (paragraphs split before sentences). For batches the
work is spread over a process pool whose workers load the model once and send back
plain dataclasses; that beats ``nlp.pipe(n_process=2)``, which pickles whole Docs.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import re
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from chorus.clean import after_dateline
from chorus.models import AnnotatedArticle, Article, Mention, Sentence
from chorus.nlp.model import load_model
from chorus.nlp.quotes import extract_quotes
from chorus.nlp.timex import find_times

log = logging.getLogger(__name__)
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "LAW", "WORK_OF_ART"})
BATCH = 32
# A name glued to a photo credit by a lost line break: "John KirbyREUTERS".
_GLUED_CAPS = re.compile(r"(?<=[a-z])[A-Z]{3,}.*$")
_POSSESSIVE = re.compile(r"[’']s?$")
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Jr|Sr|St|Inc|Corp|Co|Ltd)\.$")
_EDGE_JUNK = " \t\"“”‘’'()[]{}.,;:-–—•*"


def clean_name(text: str) -> tuple[int, int]:
    """The span of the real name inside a tagged entity, as (start, end) offsets into
    ``text``: drops possessives, glued credits, a leading "the", edge punctuation."""
    start, end = 0, len(text)
    m = _GLUED_CAPS.search(text)
    if m:
        end = m.start()
    m = _POSSESSIVE.search(text[:end])
    if m and m.start() > 0:
        end = m.start()
    while end > start and text[end - 1] in _EDGE_JUNK and not _ABBREVIATION.search(text[:end]):
        end -= 1
    while start < end and text[start] in _EDGE_JUNK:
        start += 1
    if text[start:end].lower().startswith("the ") and end - start > 4:
        start += 4
    return start, end


def annotate_doc(article: Article, doc: Doc, extras: bool = True) -> AnnotatedArticle:
    """Turn a processed spaCy Doc of ``article.text`` into an AnnotatedArticle."""
    spans: list[list[int]] = []
    for sent in doc.sents:
        text = sent.text
        if not text.strip():
            continue
        start = sent.start_char + len(text) - len(text.lstrip())
        end = sent.end_char - (len(text) - len(text.rstrip()))
        # a closing quote mark split off on its own belongs to the sentence before it
        if spans and not any(c.isalnum() for c in article.text[start:end]) and "\n" not in article.text[spans[-1][1] : start]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    para_starts = [0] + [m.end() for m in re.finditer(r"\n\n", article.text)]
    sentences: list[Sentence] = []
    sent_starts = [start for start, _ in spans]  # a name in a dateline belongs to the sentence after it
    para = -1
    for start, end in spans:
        if para + 1 < len(para_starts) and para_starts[para + 1] <= start:
            while para + 1 < len(para_starts) and para_starts[para + 1] <= start:
                para += 1
            # A dateline ("CAIRO (Reuters) - ", "LONDON (AP) _ ") says where the report
            # was filed: the paragraph's first sentence starts after it, so a claim or a
            # summary sentence reads (and cites) the same words whatever the dateline style.
            start = after_dateline(article.text, start, end)
        o_start, o_end = article.offsets.to_original(start, end)
        sentences.append(
            Sentence(len(sentences), max(para, 0), start, end, o_start, o_end, article.offsets.is_contiguous(start, end))
        )
    mentions: list[Mention] = []
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS or "\n" in ent.text:
            continue
        a, b = clean_name(ent.text)
        if b - a < 2:
            continue
        start, end = ent.start_char + a, ent.start_char + b
        o_start, o_end = article.offsets.to_original(start, end)
        idx = max(0, _bisect(sent_starts, start))
        mentions.append(Mention(article.text[start:end], ent.label_, start, end, o_start, o_end, idx))
    return AnnotatedArticle(
        article,
        tuple(sentences),
        tuple(mentions),
        times=_guarded("time expressions", find_times, article, doc, sent_starts) if extras else (),
        quotes=_guarded("quotes", extract_quotes, article, doc, sent_starts) if extras else (),
    )


def _guarded(what: str, step, article: Article, doc: Doc, starts: list[int]) -> tuple:
    """Quotes and time expressions are extras: a fault in them on one odd article is
    logged with the article's source and leaves the article, its sentences and
    entities intact, instead of losing it or the batch."""
    try:
        return step(article, doc, starts)
    except Exception as exc:  # noqa: BLE001 - any fault here must not cost the article
        log.warning("%s: finding %s failed (%s: %s); the article is kept without them", article.source, what, type(exc).__name__, exc)
        return ()


def _bisect(starts: list[int], pos: int) -> int:
    lo, hi = 0, len(starts)
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= pos:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def annotate(articles: Iterable[Article], nlp: Language, extras: bool = True) -> Iterator[AnnotatedArticle]:
    """Annotate in this process."""
    pairs = ((a.text, a) for a in articles)
    for doc, article in nlp.pipe(pairs, as_tuples=True, batch_size=BATCH):
        yield annotate_doc(article, doc, extras)


_worker_model: str = ""
_worker_extras: bool = True


def _init_worker(model: str, extras: bool) -> None:
    global _worker_model, _worker_extras
    _worker_model, _worker_extras = model, extras
    load_model(model)


def _annotate_chunk(chunk: list[Article]) -> list[AnnotatedArticle]:
    return list(annotate(chunk, load_model(_worker_model), _worker_extras))


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def annotate_parallel(
    articles: Iterable[Article], *, workers: int = 0, model: str = "", min_parallel: int = 24, extras: bool = True
) -> Iterator[AnnotatedArticle]:
    """Annotate, in order, with ``workers`` processes (0 = default). Small batches run
    in this process: starting workers and loading the model in each costs ~1 s."""
    articles = list(articles)
    workers = workers or default_workers()
    if workers <= 1 or len(articles) < min_parallel:
        yield from annotate(articles, load_model(model), extras)
        return
    chunks = [articles[i : i + BATCH] for i in range(0, len(articles), BATCH)]
    # fork: workers inherit the imported modules (fast start) and never re-run the
    # caller's __main__; the parent has not loaded the model on this path.
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(workers, initializer=_init_worker, initargs=(model, extras)) as pool:
        for done in pool.imap(_annotate_chunk, chunks):
            yield from done
