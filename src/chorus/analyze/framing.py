"""How outlets put it: the same referent named differently by different outlets, with
loaded terms flagged (lexicon: ``data/framing.toml``)."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from chorus.analyze.textsim import common_words, stem
from spacy.language import Language

from chorus.models import AnnotatedArticle, Citation, Framing, FramingVariant

# words that end a describing run before a head noun: articles, prepositions, verbs…
_STOP_BEFORE = frozenset(
    "the a an of and or for to in on at by with from as that this these those its their his her our "
    "some many several hundreds thousands dozens number all other more most certain freeing releasing "
    "release free is are was were be been has have had will would could not no remaining living".split()
)


@dataclass(frozen=True)
class Family:
    name: str
    heads: tuple[str, ...]
    context: frozenset[str]  # stems
    require_modifier: bool
    modifier: re.Pattern[str] | None


@dataclass(frozen=True)
class Lexicon:
    families: tuple[Family, ...]
    loaded: frozenset[str]
    nationality: frozenset[str]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = tomllib.loads(resources.files("chorus.data").joinpath("framing.toml").read_text("utf-8"))
    families = tuple(
        Family(
            f["name"],
            tuple(f["heads"]),
            frozenset(stem(w) for w in f.get("context", ())),
            bool(f.get("require_modifier")),
            re.compile(f["modifier"]) if "modifier" in f else None,
        )
        for f in data["family"]
    )
    return Lexicon(families, frozenset(data["loaded"]["words"]), frozenset(data["nationality"]["words"]))


@dataclass(frozen=True)
class Phrase:
    text: str  # as written
    key: str  # normalised
    family: str
    article: str
    sentence: tuple[str, int]  # (article, sentence index): phrases of one sentence differ
    start: int  # source text
    end: int
    context: frozenset[str]
    nationality: frozenset[str]


# Penn tags of words that describe a noun: adjectives, nouns, names, numbers,
# participles used as adjectives ("detained protesters"), hyphens, "nearly".
_DESCRIBING = frozenset({"JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "CD", "HYPH", "VBN", "RB"})


def find_phrases(doc: AnnotatedArticle, lex: Lexicon, nlp: Language) -> list[Phrase]:
    """Family phrases of an article: a head noun and the run of describing words
    before it (tagged by spaCy's tagger on the sentence)."""
    heads = {h: f for f in lex.families for h in f.heads}
    wanted = [s for s in doc.sentences if any(h in heads for h in re.findall(r"[a-z]+", doc.sentence_text(s)))]
    out = []
    texts = [doc.sentence_text(s) for s in wanted]
    with nlp.select_pipes(enable=["tok2vec", "tagger"]):
        tagged = list(nlp.pipe(texts))
    for s, text, sent in zip(wanted, texts, tagged):
        words = common_words(text)
        for tok in sent:
            family = heads.get(tok.text)
            if family is None or tok.tag_ not in ("NN", "NNS"):
                continue
            first = tok.i
            while first > 0 and first > tok.i - 7 and sent[first - 1].tag_ in _DESCRIBING and sent[first - 1].lower_ not in _STOP_BEFORE:
                first -= 1
            while first < tok.i and (
                (sent[first].tag_ == "RB" and sent[first].lower_ not in ("nearly", "almost")) or sent[first].tag_ == "HYPH"
            ):
                first += 1  # an adverb opens a run only as "nearly"/"almost"; never a hyphen
            mods = sent[first : tok.i]
            mod_text = text[mods.start_char : mods.end_char] if len(mods) else ""
            if family.require_modifier and not mods:
                continue
            if family.modifier is not None and not family.modifier.search(mod_text):
                continue
            phrase = text[sent[first].idx : tok.idx + len(tok.text)]
            start = s.start + sent[first].idx
            o_start, o_end = doc.article.offsets.to_original(start, start + len(phrase))
            lowered = {t.lower_ for t in mods}
            out.append(
                Phrase(
                    text=phrase,
                    key=phrase.casefold(),
                    family=family.name,
                    article=doc.id,
                    sentence=(doc.id, s.index),
                    start=o_start,
                    end=o_end,
                    context=frozenset(words - {stem(w) for w in phrase.split()}),
                    nationality=frozenset(lowered & lex.nationality),
                )
            )
    return out


def framing(docs: Sequence[AnnotatedArticle], nlp: Language) -> list[Framing]:
    """Referents named in at least two ways by at least two articles."""
    lex = lexicon()
    phrases = [p for d in docs for p in find_phrases(d, lex, nlp)]
    out = []
    for family in lex.families:
        fam = [p for p in phrases if p.family == family.name]
        for cluster in _referents(fam, family):
            variants = defaultdict(list)
            for p in cluster:
                variants[p.key].append(p)
            articles = {p.article for p in cluster}
            if len(variants) < 2 or len(articles) < 2:
                continue
            vs = []
            for key, ps in sorted(variants.items(), key=lambda kv: (-len({p.article for p in kv[1]}), kv[0])):
                vs.append(
                    FramingVariant(
                        phrase=ps[0].text,
                        articles=tuple(dict.fromkeys(p.article for p in ps)),
                        loaded=any(w in lex.loaded for w in key.split()),
                        citations=tuple(Citation(p.article, p.start, p.end) for p in ps),
                    )
                )
            neutral = [v for v in vs if not v.loaded] or vs
            out.append(Framing(referent=neutral[0].phrase, variants=tuple(vs)))
    out.sort(key=lambda f: -len({a for v in f.variants for a in v.articles}))
    return out


def _referents(phrases: Sequence[Phrase], family: Family) -> list[list[Phrase]]:
    """Greedy constrained clustering of phrase types: join the most alike first; never
    join types that stand in one sentence or carry different nationality words."""
    types: dict[str, list[Phrase]] = defaultdict(list)
    for p in phrases:
        types[p.key].append(p)
    keys = sorted(types)
    cluster = {k: i for i, k in enumerate(keys)}
    members: dict[int, set[str]] = {i: {k} for i, k in enumerate(keys)}
    sentences = {k: {p.sentence for p in types[k]} for k in keys}
    nations = {k: set().union(*(p.nationality for p in types[k])) for k in keys}
    context = {k: set().union(*(p.context for p in types[k])) for k in keys}
    cues = {k: context[k] & family.context for k in keys}

    def compatible(a: set[str], b: set[str]) -> bool:
        for x in a:
            for y in b:
                if sentences[x] & sentences[y]:
                    return False
                if nations[x] and nations[y] and nations[x] != nations[y]:
                    return False
        return True

    scored = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            union = context[a] | context[b]
            score = len(context[a] & context[b]) / len(union) if union else 0.0
            if family.context and not (cues[a] and cues[b]):
                continue  # "people held" phrases must both appear where people are held or freed
            scored.append((score + 0.2 * len(cues[a] & cues[b]), a, b))
    for _score, a, b in sorted(scored, reverse=True):
        ca, cb = cluster[a], cluster[b]
        if ca == cb or not compatible(members[ca], members[cb]):
            continue
        members[ca] |= members.pop(cb)
        for k in members[ca]:
            cluster[k] = ca
    return [[p for k in sorted(ks) for p in types[k]] for ks in members.values()]
