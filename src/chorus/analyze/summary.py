"""A first extractive multi-document summary with citations.

Sentences are scored by how central they are to the story (TF-IDF cosine with the
mean of the article vectors, so each article weighs the same), how many other
articles say something close to them, and how early they stand in their article.
Selection is greedy with a redundancy penalty (maximal marginal relevance) until the
word budget is reached. Every sentence is cited to its source span, and to the same
sentence in every other article that carries it word for word (syndicated copies).

Sentences an editor could not read on their own are left out: a bare quotation with
no speaker, one that opens with a pronoun or a connective pointing at text before it,
questions, fragments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from chorus.models import AnnotatedArticle, Citation, Sentence, SummarySentence

_DANGLING = re.compile(
    r"^(he|she|it|they|this|these|those|that|his|her|their|its|but|and|or|so|also|however|meanwhile|"
    r"still|yet|then|later|there|here|such|both|the (sources|official|spokesman|spokeswoman|statement))\b",
    re.IGNORECASE,
)
_QUOTES = "\"“”‘’'«»"
_QUOTED = re.compile(r"[\"“][^\"“”]*[\"”]")


@dataclass(frozen=True)
class SummaryOptions:
    words: int = 150
    min_words: int = 7
    max_words: int = 60
    redundancy: float = 0.5  # a candidate this similar to a chosen sentence is skipped
    support: float = 0.35  # cosine at which another article "says something close"


@dataclass(frozen=True)
class _Candidate:
    doc: AnnotatedArticle
    sentence: Sentence
    text: str


def _readable(text: str, options: SummaryOptions) -> bool:
    words = text.split()
    if not options.min_words <= len(words) <= options.max_words:
        return False
    if text.endswith("?") or text[0].islower() or _DANGLING.match(text.lstrip(_QUOTES)):
        return False
    if text.count('"') % 2 or text.count("“") != text.count("”"):
        return False  # a quotation cut in two by the sentence splitter
    outside = _QUOTED.sub(" ", text)
    if text[0] in _QUOTES and len(outside.split()) < 3:
        return False  # a quotation with nobody saying it
    return text.rstrip(_QUOTES + " ")[-1:] in ".!"


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.casefold()).split())


def summarize(docs: Sequence[AnnotatedArticle], options: SummaryOptions = SummaryOptions()) -> list[SummarySentence]:
    everything = [_Candidate(d, s, d.sentence_text(s)) for d in docs for s in d.sentences]
    candidates = [c for c in everything if c.sentence.contiguous and _readable(c.text, options)]
    if not candidates:
        candidates = [c for c in everything if c.sentence.contiguous][:3]
    if not candidates:
        return []
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    try:
        vectorizer.fit([c.text for c in everything])
    except ValueError:  # only stop words
        return [SummarySentence(c.text, _citations(c, everything)) for c in candidates[:1]]
    cand_vecs = vectorizer.transform([c.text for c in candidates])
    doc_vecs = vectorizer.transform([d.article.text for d in docs])
    centroid = np.asarray(doc_vecs.mean(axis=0)).ravel()
    norm = np.linalg.norm(centroid) or 1.0
    centrality = cand_vecs @ (centroid / norm)
    pair = (cand_vecs @ cand_vecs.T).toarray()
    doc_index = {d.id: i for i, d in enumerate(docs)}
    owners = np.array([doc_index[c.doc.id] for c in candidates])
    scores = []
    for i, c in enumerate(candidates):
        close = {owners[j] for j in np.nonzero(pair[i] >= options.support)[0] if owners[j] != owners[i]}
        position = 1.0 / (1.0 + c.sentence.paragraph)
        scores.append(float(centrality[i]) + 0.08 * len(close) + 0.1 * position)
    chosen: list[int] = []
    total = 0
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    while order and total < options.words:
        best, best_value = None, -1e9
        for i in order:
            length = len(candidates[i].text.split())
            if total and total + length > options.words * 1.2:
                continue
            overlap = max((pair[i, j] for j in chosen), default=0.0)
            if overlap >= options.redundancy:
                continue
            value = scores[i] - 0.5 * overlap
            if value > best_value:
                best, best_value = i, value
        if best is None:
            break
        chosen.append(best)
        total += len(candidates[best].text.split())
        order.remove(best)
    # read in story order: earlier paragraphs first, then higher scores
    chosen.sort(key=lambda i: (candidates[i].sentence.paragraph, -scores[i]))
    return [SummarySentence(candidates[i].text, _citations(candidates[i], everything)) for i in chosen]


def _citations(chosen: _Candidate, everything: Sequence[_Candidate]) -> tuple[Citation, ...]:
    """The chosen sentence's own span first, then every verbatim copy elsewhere."""
    key = _key(chosen.text)
    cites = [Citation(chosen.doc.id, chosen.sentence.orig_start, chosen.sentence.orig_end)]
    seen = {chosen.doc.id}
    for c in everything:
        if c.doc.id not in seen and _key(c.text) == key:
            cites.append(Citation(c.doc.id, c.sentence.orig_start, c.sentence.orig_end))
            seen.add(c.doc.id)
    return tuple(cites)
