"""An extractive multi-document summary with citations.

What it maximizes (concept coverage, after Gillick & Favre's ICSISumm, the best DUC
2004 system): a *concept* is a word bigram (lower-cased, not two stop words) and it
weighs (number of articles that use it) ** 3, so what several reports say far
outweighs what one says; bigrams used by fewer than a third of the articles count
nothing. The summary is the set of
readable sentences, within the word budget, that covers the most concept weight; each
concept counts once however many chosen sentences repeat it, so redundancy earns
nothing, and two near-identical sentences are never chosen together. On top of that a
sentence earns a bonus for standing early in its article (news puts the gist first)
and, through ``boost``, for being confirmed by other sources. The choice is an exact
integer program (scipy's HiGHS ``milp``), with a greedy fallback.

Every sentence is cited to its source span first, then to the same sentence in every
other article that carries it word for word (syndicated copies).

Sentences an editor could not read on their own are left out: a bare quotation with
no speaker, one that opens with a pronoun or a connective pointing at text before it,
a "he"/"she" before the sentence names anyone, "here" (the dateline's place),
"however", a quotation cut in two, questions, exclamations, fragments, and sentences
that were not one unbroken run of the source text (something was cut out of them).

Measured with ``chorus eval summary`` (DUC 2003, 30 clusters, 100 words, ROUGE-2
recall): this model 11.68, sumy LexRank 8.62, Lead 8.11; the previous centroid + MMR
summarizer 10.55. Tried and not kept (no gain on the tuning half): Porter-stemmed
concepts, bigrams of content words only, extra weight for concepts of lead sentences,
a wordllama embedding-centrality bonus.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from chorus.models import AnnotatedArticle, Citation, Sentence, SummarySentence

_DANGLING = re.compile(
    r"^(he|she|it|they|this|these|those|that|his|her|their|its|but|and|or|so|also|however|meanwhile|"
    r"still|yet|then|later|there|here|such|both|the (sources|official|spokesman|spokeswoman|statement))\b",
    re.IGNORECASE,
)
# A pronoun or "here" that points outside the sentence: "On Saturday, he traveled…",
# "…, he said.", "Mubarak flew here" (here = the dateline), "In Bangkok, however, …",
# "Seventeen others died". Text inside quotation marks is not checked (the speaker's
# "he" is the speaker's business).
_PRONOUN = re.compile(r"\b(he|she|him|his|her|hers|himself|herself)\b", re.IGNORECASE)
_DEICTIC = re.compile(r"\b(here|others|however|in turn|nevertheless|nonetheless)\b", re.IGNORECASE)
# nouns a "he"/"she" may point back to inside the sentence ("the president said his…")
_ROLE = re.compile(
    r"\b(president|minister|premier|leader|chief|spokes(man|woman|person)|official|secretary|judge|"
    r"chairman|director|officer|man|woman|boy|girl|father|mother|son|daughter|husband|wife|king|queen|"
    r"senator|governor|mayor|general|commander|ambassador|envoy|candidate|suspect|victim|author|lawyer|"
    r"prosecutor|police(man|woman)?|doctor|executive|founder|head|aide|adviser|advisor|dictator|pope)\b",
    re.IGNORECASE,
)
_QUOTES = "\"“”‘’'«»`"
_QUOTED = re.compile(r"\"[^\"]*\"")
_TOKEN = re.compile(r"[a-z0-9]+")  # the words ROUGE and an editor count alike
_STOP = frozenset(ENGLISH_STOP_WORDS)


@dataclass(frozen=True)
class SummaryOptions:
    words: int = 150  # the budget: the summary never has more words (whitespace-separated)
    min_words: int = 7
    max_words: int = 60
    redundancy: float = 0.5  # TF-IDF cosine at which two sentences say the same thing
    # Tuned on the 1st, 3rd, 5th, ... of DUC 2003's 30 clusters (15; see evaluate/summary.py).
    position: float = 0.5  # bonus of a lead sentence, in units of a typical sentence's concept weight
    min_share: float = 1 / 3  # a concept must be used by this share of the articles (at least 2)
    df_power: float = 3.0  # concept weight = (articles using it) ** df_power
    boost_weight: float = 1.0  # a boost of 1.0 is worth this many typical sentences' concept weight
    time_limit: float = 5.0  # seconds for the exact solver before the best solution found is used
    max_candidates: int = 400  # only the most valuable sentences enter the solver (big stories)


@dataclass(frozen=True)
class _Candidate:
    doc: AnnotatedArticle
    sentence: Sentence
    text: str


def _normalize_quotes(text: str) -> str:
    """Wire copy writes quotation marks as ``…''; curly marks become straight ones."""
    return re.sub(r"``|''|[“”«»]", '"', text)


def _readable(text: str, options: SummaryOptions) -> bool:
    words = text.split()
    if not options.min_words <= len(words) <= options.max_words:
        return False
    plain = _normalize_quotes(text)
    if plain.endswith("?") or plain[0].islower() or _DANGLING.match(plain.lstrip(_QUOTES)):
        return False
    if plain.count('"') % 2:
        return False  # a quotation cut in two by the sentence splitter
    outside = _QUOTED.sub(" ", plain)
    if plain[0] in _QUOTES and len(outside.split()) < 3:
        return False  # a quotation with nobody saying it
    return plain.rstrip(_QUOTES + " ")[-1:] == "."  # not "!": an exclamation is a quotation or a cry


def _self_contained(c: _Candidate, people: Sequence[int]) -> bool:
    """No "he"/"his"/"she"/"her" before the sentence names a person (a PERSON mention or
    a role noun), and no "here"/"others" that only the article around it explains.
    ``people``: cleaned-text starts of the sentence's PERSON mentions."""
    plain = _normalize_quotes(c.text)
    outside = _QUOTED.sub(lambda m: " " * len(m.group(0)), plain)  # same length: offsets hold
    if _DEICTIC.search(outside):
        return False
    for m in _PRONOUN.finditer(outside):
        named = any(p < c.sentence.start + m.start() for p in people) or _ROLE.search(outside[: m.start()])
        if not named:
            return False
    return True


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.casefold()).split())


def _concepts(text: str) -> set[tuple[str, str]]:
    tokens = _TOKEN.findall(text.lower())
    return {(a, b) for a, b in zip(tokens, tokens[1:]) if not (a in _STOP and b in _STOP)}


def summarize(
    docs: Sequence[AnnotatedArticle],
    options: SummaryOptions = SummaryOptions(),
    boost: Mapping[tuple[str, int], float] | None = None,
    same_claim: Mapping[tuple[str, int], str] | None = None,
) -> list[SummarySentence]:
    """The summary of a story: readable sentences within ``options.words`` words.

    ``boost`` maps (article id, sentence index) to a bonus (e.g. how many other
    sources confirm the sentence; negative values count as 0). It is added to the sentence's value in the
    objective, scaled so that a boost of 1.0 is worth ``options.boost_weight`` times the
    concept weight of a typical (median) candidate sentence: a boosted sentence wins
    over an unboosted one of similar coverage, but not over one that covers much more.
    A sentence carried verbatim by several articles takes the largest boost of its copies.
    """
    boost = boost or {}
    everything = [_Candidate(d, s, d.sentence_text(s)) for d in docs for s in d.sentences]
    people: dict[tuple[str, int], list[int]] = defaultdict(list)
    for d in docs:
        for mention in d.mentions:
            if mention.label == "PERSON":
                people[(d.id, mention.sentence)].append(mention.start)
    readable = [
        c
        for c in everything
        if c.sentence.contiguous
        and _readable(c.text, options)
        and _self_contained(c, people[(c.doc.id, c.sentence.index)])
    ]
    if not readable:  # short items, captions-only pages: relax length and context, never the quotation rules
        relaxed = SummaryOptions(words=options.words, min_words=3, max_words=max(options.words, 1))
        readable = [c for c in everything if c.sentence.contiguous and _readable(c.text, relaxed)]
    if not readable:
        return []

    # one candidate per distinct text (syndicated copies are cited, not repeated)
    by_key: dict[str, _Candidate] = {}
    bonus_of: dict[str, float] = defaultdict(float)
    for c in readable:
        k = _key(c.text)
        by_key.setdefault(k, c)
        bonus_of[k] = max(bonus_of[k], max(0.0, float(boost.get((c.doc.id, c.sentence.index), 0.0))))
    candidates = [c for c in by_key.values() if len(c.text.split()) <= options.words]
    if not candidates:
        return []
    weights = _concept_weights(docs, options)
    cand_concepts = [{k: weights[k] for k in sorted(_concepts(c.text)) if k in weights} for c in candidates]
    coverage = np.array([sum(cc.values()) for cc in cand_concepts])
    typical = float(np.median(coverage[coverage > 0])) if (coverage > 0).any() else 1.0
    lead_rank = _lead_rank(candidates)
    bonus = np.array(
        [
            typical * (options.position / (1.0 + lead_rank[i]) + options.boost_weight * bonus_of[_key(c.text)])
            for i, c in enumerate(candidates)
        ]
    )
    if len(candidates) > options.max_candidates:  # keeps the integer program small
        keep = sorted(np.argsort(-(coverage + bonus), kind="stable")[: options.max_candidates])
        candidates = [candidates[i] for i in keep]
        cand_concepts = [cand_concepts[i] for i in keep]
        bonus = bonus[keep]
    lengths = np.array([len(c.text.split()) for c in candidates], dtype=float)
    pairs = _near_duplicates([c.text for c in candidates], options.redundancy)
    # two wordings of one claim (aligned across articles) never both go in
    if same_claim:
        claim_of = [same_claim.get((c.doc.id, c.sentence.index)) for c in candidates]
        pairs = sorted(
            set(pairs)
            | {(i, j) for i in range(len(candidates)) for j in range(i + 1, len(candidates)) if claim_of[i] and claim_of[i] == claim_of[j]}
        )
    chosen = _select(cand_concepts, bonus, lengths, pairs, options)
    # read in story order: lead sentences first, older articles before newer ones
    dates = {d.id: (d.article.published or "", i) for i, d in enumerate(docs)}
    chosen.sort(key=lambda i: (candidates[i].sentence.paragraph, dates[candidates[i].doc.id], candidates[i].sentence.index))
    return [SummarySentence(candidates[i].text, _citations(candidates[i], everything)) for i in chosen]


def _concept_weights(docs: Sequence[AnnotatedArticle], options: SummaryOptions) -> dict[tuple[str, str], float]:
    """Concept -> (number of articles using it) ** df_power, for concepts used by at
    least ``min_share`` of the articles and by two (copies of one text count once). A
    lone article counts the sentences that use a concept instead."""
    texts = {_key(d.article.text): d for d in docs}
    df: dict[tuple[str, str], int] = defaultdict(int)
    if len(texts) == 1:
        d = next(iter(texts.values()))
        units = [d.sentence_text(s) for s in d.sentences]
    else:
        units = [d.article.text for d in texts.values()]
    for text in units:
        for k in _concepts(text):
            df[k] += 1
    need = 2 if len(texts) == 1 else max(2, int(len(units) * options.min_share))
    return {k: float(v) ** options.df_power for k, v in df.items() if v >= need}


def _lead_rank(candidates: Sequence[_Candidate]) -> list[int]:
    """Each candidate's rank among its article's candidates (0 = its first readable
    sentence): datelines and captions before the lead do not push it down."""
    order: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(candidates):
        order[c.doc.id].append(i)
    rank = [0] * len(candidates)
    for idx in order.values():
        for r, i in enumerate(sorted(idx, key=lambda i: candidates[i].sentence.index)):
            rank[i] = r
    return rank


def _near_duplicates(texts: Sequence[str], threshold: float) -> list[tuple[int, int]]:
    try:
        vecs = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    except ValueError:  # only stop words
        return []
    sim = (vecs @ vecs.T).tocoo()
    return [(int(i), int(j)) for i, j, v in zip(sim.row, sim.col, sim.data) if i < j and v >= threshold]


def _select(
    concepts: Sequence[Mapping[tuple[str, str], float]],
    bonus: np.ndarray,
    lengths: np.ndarray,
    pairs: Sequence[tuple[int, int]],
    options: SummaryOptions,
) -> list[int]:
    """Maximize covered concept weight + sentence bonuses under the word budget, with
    no near-duplicate pair, as a 0/1 integer program: sentence variables s_i, concept
    variables c_j, c_j <= sum of the s_i that contain j."""
    n = len(concepts)
    index: dict[tuple[str, str], int] = {}
    rows, cols = [], []
    for i, cc in enumerate(concepts):
        for k in sorted(cc):  # a fixed column order: the same summary on every run
            j = index.setdefault(k, len(index))
            rows.append(j)
            cols.append(i)
    m = len(index)
    weight = np.zeros(m)
    for cc in concepts:
        for k, w in cc.items():
            weight[index[k]] = w
    if (weight.sum() + bonus.sum()) <= 0:
        return _greedy(concepts, bonus, lengths, pairs, options)
    # coverage: c_j - sum_i a_ij s_i <= 0
    a_cov = coo_matrix(
        (np.r_[-np.ones(len(rows)), np.ones(m)], (np.r_[rows, np.arange(m)], np.r_[cols, n + np.arange(m)])),
        shape=(m, n + m),
    )
    constraints = [LinearConstraint(np.r_[lengths, np.zeros(m)][None, :], -np.inf, options.words)]
    if m:
        constraints.append(LinearConstraint(a_cov.tocsr(), -np.inf, 0.0))
    if pairs:
        p = len(pairs)
        a_pair = coo_matrix(
            (np.ones(2 * p), (np.repeat(np.arange(p), 2), np.array(pairs).ravel())), shape=(p, n + m)
        )
        constraints.append(LinearConstraint(a_pair.tocsr(), -np.inf, 1.0))
    result = milp(
        c=-np.r_[bonus, weight],
        constraints=constraints,
        integrality=np.ones(n + m),
        bounds=Bounds(0, 1),
        options={"time_limit": options.time_limit, "mip_rel_gap": 0.0},
    )
    if result.x is None:
        return _greedy(concepts, bonus, lengths, pairs, options)
    return [i for i in range(n) if result.x[i] > 0.5]


def _greedy(
    concepts: Sequence[Mapping[tuple[str, str], float]],
    bonus: np.ndarray,
    lengths: np.ndarray,
    pairs: Sequence[tuple[int, int]],
    options: SummaryOptions,
) -> list[int]:
    """Fallback: add the sentence with the best new value per word while it fits."""
    clash: dict[int, set[int]] = defaultdict(set)
    for i, j in pairs:
        clash[i].add(j)
        clash[j].add(i)
    covered: set[tuple[str, str]] = set()
    chosen: list[int] = []
    total = 0.0
    while True:
        best, best_value = None, 0.0
        for i, cc in enumerate(concepts):
            if i in chosen or total + lengths[i] > options.words or clash[i] & set(chosen):
                continue
            value = (sum(w for k, w in cc.items() if k not in covered) + bonus[i]) / lengths[i]
            if value > best_value or (best is None and not chosen):
                best, best_value = i, value
        if best is None:
            return chosen
        chosen.append(best)
        covered |= set(concepts[best])
        total += lengths[best]


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
