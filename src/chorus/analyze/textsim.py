"""Sentence similarity for aligning what different articles say.

TF-IDF over lightly stemmed content words, so "released"/"release" and
"prisoners"/"prisoner" meet. A hand-written suffix stripper rather than a stemmer
package: it only has to conflate English inflections (-s, -es, -ed, -ing), and it
keeps chorus's core free of NLTK data files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*")
_EXTRA_STOP = frozenset({"said", "says", "say", "told", "according", "reported", "mr", "ms", "also", "would", "will"})


def stem(word: str) -> str:
    """Conflate inflections of a common word; names (capitalised words) stay whole."""
    w = word.replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if not w[:1].islower():
        return w.casefold()
    for suffix, keep in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not w.endswith("ss"):
            w = w[: len(w) - len(suffix)] + keep
            break
    if w.endswith(("sh", "ch", "x", "z")) is False and w.endswith("e") and len(w) > 3:
        w = w[:-1]  # release/released/releasing -> releas
    return w


def content_words(text: str) -> list[str]:
    return [
        stem(w) for w in _WORD.findall(text) if w.casefold() not in ENGLISH_STOP_WORDS and w.casefold() not in _EXTRA_STOP
    ]


def tfidf_matrix(texts: Sequence[str]) -> np.ndarray:
    """Row-normalised TF-IDF vectors (dense: story-sized inputs only)."""
    if not texts:
        return np.zeros((0, 0))
    vectorizer = TfidfVectorizer(analyzer=content_words, sublinear_tf=True)
    try:
        return vectorizer.fit_transform(texts).toarray()
    except ValueError:  # nothing but stop words
        return np.zeros((len(texts), 1))


def cosine_matrix(texts: Sequence[str]) -> np.ndarray:
    m = tfidf_matrix(texts)
    return m @ m.T


def common_words(text: str) -> set[str]:
    """Stems of the ordinary (lower-case) content words: what a sentence says happens,
    as opposed to the names it mentions."""
    return {stem(w) for w in _WORD.findall(text) if w[:1].islower() and w not in ENGLISH_STOP_WORDS and w not in _EXTRA_STOP}


def shares_predicate(a: set[str], b: set[str]) -> bool:
    return bool(a & b)
