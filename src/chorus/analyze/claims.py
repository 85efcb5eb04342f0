"""Claims: what the articles of a story say, aligned across articles, with how many
independent sources stand behind each.

1. Units: every readable sentence of every article (a quotation stays inside the
   sentence that attributes it).
2. Alignment: units of different articles that say the same thing are joined by
   average-linkage clustering over a sentence similarity (TF-IDF of stemmed content
   words, blended with sentence embeddings when available), never joining two units
   of the same article. The threshold was set on the reference reports'
   paraphrases (the Sunday "no agreement" reports, the Blinken, McGurk and Sullivan
   statements must align; the same people doing different things must not); it is
   cautious: on FNC-1 only a fifth of "agree" pairs reach it, so ``chorus eval stance``
   uses the similarity as one feature rather than as a cut.
3. Independence: two supporting articles are one source when they belong to the same
   syndication group, or take the fact from the same origin: the same wire named in
   the sentence ("told Reuters"), the same anonymous sources ("two Egyptian security
   sources"), the same wire credited for the whole article, or the same outlet (two
   reports of one newsroom confirm nothing to each other).
4. Status: ``corroborated`` with >= 2 independent sources, else ``single_source``;
   ``disputed`` (set by chorus.analyze.disputes) overrides both in ``status``, and
   ``corroborated`` keeps the count's verdict.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from chorus.analyze.textsim import common_words, cosine_matrix
from chorus.models import AnnotatedArticle, Claim, CoverageRow, Sentence, Support

Similarity = Callable[[Sequence[str]], np.ndarray]

# Wires named inside a sentence as where it comes from.
_WIRE_NAMES = {
    "reuters": "Reuters",
    "ap": "AP",
    "the ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "xinhua": "Xinhua",
    "bloomberg": "Bloomberg",
}
_WIRE = r"(reuters|(?:the\s+)?ap|(?:the\s+)?associated press|afp|agence france-presse|xinhua|bloomberg)"
_WIRE_CUES = [
    re.compile(rf"\b(?:told|to|tells)\s+{_WIRE}\b", re.I),
    re.compile(rf"\b{_WIRE}\s+(?:\(ap\)\s+)?(?:reported|reports|said|says|learned)\b", re.I),
    re.compile(rf"\baccording\s+to\s+{_WIRE}\b", re.I),
    re.compile(rf"\(\s*{_WIRE}\s*\)", re.I),
]
# Unnamed sources described by the article: "two Egyptian security sources".
_ANON = re.compile(
    r"\b(?:(?:one|two|three|four|five|several|a|an|the|other)\s+)?"
    r"((?:(?:senior|top|high-ranking|local|western|egyptian|israeli|american|u\.s\.|us|palestinian|security|"
    r"government|military|diplomatic|[A-Z][a-z]+)\s+){0,3})"
    r"(sources?|officials?|diplomats?|people\s+familiar\s+with[\w\s]{0,40}?|insiders?)\b"
    r"(?=[^.]{0,60}\b(?:said|told|say|says|added|according|briefed|who\s+spoke))",
    re.I,
)
_ACCORDING_ANON = re.compile(r"\baccording\s+to\s+(?:one|two|three|several|a|an|the)?\s*([\w.\s-]{0,40}?)(sources?|officials?|diplomats?)\b", re.I)


@dataclass(frozen=True)
class ClaimOptions:
    threshold: float = 0.42  # similarity at which two sentences state the same claim
    min_words: int = 6
    embed_weight: float = 0.5  # share of the embedding similarity when embeddings are given
    min_shared_words: int = 1  # ordinary content words two wordings of one claim share


@dataclass(frozen=True)
class Unit:
    doc: AnnotatedArticle
    sentence: Sentence
    text: str
    attribution: str = ""  # who the sentence says said it, and how ("union leader", "said")


def units_of(docs: Sequence[AnnotatedArticle], options: ClaimOptions = ClaimOptions()) -> list[Unit]:
    """Sentences that can stand as a claim: not a question, not a piece of a quotation
    that runs over several sentences (its quote marks do not pair up; the quotation
    itself is kept whole among the story's quotes)."""
    out = []
    for d in docs:
        who: dict[int, list[str]] = {}
        for q in d.quotes:
            who.setdefault(q.sentence, []).extend(x for x in (q.speaker_role, q.cue) if x)
        for s in d.sentences:
            text = d.sentence_text(s)
            if (
                s.contiguous
                and len(text.split()) >= options.min_words
                and not text.rstrip().endswith("?")
                and text.count('"') % 2 == 0
                and text.count("“") == text.count("”")
            ):
                out.append(Unit(d, s, text, " ".join(who.get(s.index, ()))))
    return out


def sentence_origins(text: str) -> set[str]:
    """Origins a sentence names for itself: wires and described unnamed sources."""
    keys = set()
    for cue in _WIRE_CUES:
        for m in cue.finditer(text):
            keys.add("wire:" + _WIRE_NAMES[" ".join(m.group(1).lower().split())])
    for m in list(_ANON.finditer(text)) + list(_ACCORDING_ANON.finditer(text)):
        words = [w for w in m.group(1).lower().split() if w not in {"the", "a", "an"}]
        noun = m.group(2).lower().split()[0].rstrip("s")
        if words:  # "sources" alone is too vague to identify anyone
            keys.add("anon:" + " ".join(words + [noun]))
    return keys


def align(units: Sequence[Unit], similarity: Similarity | None = None, options: ClaimOptions = ClaimOptions()) -> list[list[int]]:
    """Groups of unit indices that state the same claim (each group at most one unit
    per article), largest first."""
    n = len(units)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    sim = similarity_matrix([u.text for u in units], similarity, options, [u.attribution for u in units])
    owner = np.array([hash(u.doc.id) for u in units])
    same_doc = owner[:, None] == owner[None, :]
    dist = np.clip(1.0 - sim, 0.0, 1.0)
    dist[same_doc] = 1.0  # never the same claim twice from one article
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    labels = fcluster(tree, t=1.0 - options.threshold, criterion="distance")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    out = []
    for members in groups.values():
        # one unit per article: keep the one closest to the rest of the group
        best: dict[str, int] = {}
        for i in members:
            aid = units[i].doc.id
            if aid not in best or sim[i, members].sum() > sim[best[aid], members].sum():
                best[aid] = i
        kept = sorted(best.values())
        out.append(kept)
        out.extend([i] for i in members if i not in kept)
    out.sort(key=lambda g: (-len(g), g[0]))
    return out


def similarity_matrix(
    texts: Sequence[str], similarity: Similarity | None, options: ClaimOptions, attributions: Sequence[str] = ()
) -> np.ndarray:
    """Blend of word overlap and embeddings, halved for pairs that share names but
    fewer than two ordinary content words ("Netanyahu sent a delegation" /
    "Netanyahu's hopes of keeping forces"): the same people doing different things are
    different claims. Words of the attribution (a speaker's role, the reporting verb)
    are not content: "union leader Olufsen said we are glad" and "union leader Olufsen
    said members voted" share none."""
    sim = cosine_matrix(texts)
    if similarity is not None:
        w = options.embed_weight
        sim = (1 - w) * sim + w * np.clip(similarity(texts), 0.0, 1.0)
    words = [common_words(t) - common_words(a) for t, a in zip(texts, [*attributions, *[""] * (len(texts) - len(attributions))])]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if len(words[i] & words[j]) < options.min_shared_words:
                sim[i, j] = sim[j, i] = sim[i, j] * 0.5
    return sim


class _Union:
    def __init__(self, items: Sequence[int]) -> None:
        self.parent = {i: i for i in items}

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def independent_count(supports: Sequence[Support]) -> int:
    """Supports sharing any origin key are one source."""
    union = _Union(range(len(supports)))
    seen: dict[str, int] = {}
    for i, s in enumerate(supports):
        for key in s.origin:
            if key in seen:
                union.join(i, seen[key])
            else:
                seen[key] = i
    return len({union.find(i) for i in range(len(supports))})


def build_claims(
    docs: Sequence[AnnotatedArticle],
    *,
    groups: Mapping[str, str] | None = None,  # article id -> syndication group id
    article_origins: Mapping[str, Sequence[str]] | None = None,  # article id -> wires credited
    speakers: Mapping[tuple[str, int], str] | None = None,  # (article, sentence) -> speaker
    similarity: Similarity | None = None,
    options: ClaimOptions = ClaimOptions(),
) -> list[Claim]:
    """Claims of one story, most widely and independently reported first."""
    groups = groups or {}
    article_origins = article_origins or {}
    speakers = speakers or {}
    units = units_of(docs, options)
    aligned = align(units, similarity, options)
    position = {d.id: k for k, d in enumerate(docs)}
    claims = []
    for members in aligned:
        supports = []
        for i in sorted(members, key=lambda i: position[units[i].doc.id]):
            u = units[i]
            origin = set(sentence_origins(u.text))
            if not any(k.startswith("wire:") for k in origin):
                origin |= {"wire:" + w for w in article_origins.get(u.doc.id, ())}
            origin.add("group:" + groups.get(u.doc.id, u.doc.id))
            if u.doc.article.outlet:  # two reports of one outlet are one source
                origin.add("outlet:" + " ".join(u.doc.article.outlet.casefold().split()))
            supports.append(Support(u.doc.id, u.sentence.orig_start, u.sentence.orig_end, u.text, tuple(sorted(origin))))
        independent = independent_count(supports)
        rep = _representative(members, units)
        speaker = speakers.get((units[rep].doc.id, units[rep].sentence.index))
        claims.append(
            Claim(
                id=_claim_id(supports),
                text=units[rep].text,
                status="corroborated" if independent >= 2 else "single_source",
                sources=tuple(dict.fromkeys(s.article for s in supports)),
                independent_sources=independent,
                support=tuple(supports),
                attributed_to=speaker,
                corroborated=independent >= 2,
            )
        )
    claims.sort(key=lambda c: (-c.independent_sources, -len(c.sources), position[c.sources[0]], c.support[0].start))
    return claims


def _representative(members: Sequence[int], units: Sequence[Unit]) -> int:
    """The member that best stands for the group: the earliest-placed sentence among
    the longest-but-not-overlong ones (lead sentences state facts most fully)."""
    return min(members, key=lambda i: (units[i].sentence.paragraph, -min(len(units[i].text.split()), 40)))


def _claim_id(supports: Sequence[Support]) -> str:
    first = min((s.article, s.start) for s in supports)
    return "c" + hashlib.sha1(f"{first[0]}:{first[1]}".encode()).hexdigest()[:10]


def mark_disputed(claims: Sequence[Claim], disputed: set[str]) -> list[Claim]:
    return [replace(c, status="disputed") if c.id in disputed else c for c in claims]


def coverage(claims: Sequence[Claim], outlets: Mapping[str, str], limit: int | None = None) -> list[CoverageRow]:
    """Claim x outlet: who reports each claim, who leaves it out, who is alone with it."""
    everyone = sorted(set(outlets.values()))
    rows = []
    for c in claims[:limit] if limit else claims:
        reported = tuple(sorted({outlets[a] for a in c.sources}))
        rows.append(
            CoverageRow(c.id, reported, tuple(o for o in everyone if o not in reported), alone=len(reported) == 1)
        )
    return rows
