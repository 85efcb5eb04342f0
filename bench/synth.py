"""A synthetic news stream for scale benches, recombined from real wire copy.

    from synth import load_source, Plan, build_store
    source = load_source(DEFAULT_DATA)            # ../shared/eval/bulk/te3-silver, read at run time
    plan = Plan(source, n=100_000, seed=7)        # article i of the stream: plan.article(i)
    with open_store("big.db") as store:
        build_store(store, plan, 0, plan.n)       # bulk path: articles, features, stories

How the stream is made (nothing of the real text is stored in the repository; it is
read at run time with ``chorus.read.read_inputs``):

* Source. The 2,452 AFP/APW articles are split into sentences (paragraphs, then a
  punctuation rule); each sentence's names are its capitalised phrases (a regex, not
  spaCy: the stream must reach 1M articles). Every sentence and title is embedded once
  with WordLlama, the default embedder (mean-pooled, not normalised), and the articles
  are grouped by subject with k-means over their lead vectors (about ten a group).
* Stories ("topics"). Each topic takes a real group and one or two seed articles of
  it; its articles draw 3/4 of their sentences from the seed articles and the rest from
  the group, and now and then one off-topic sentence from anywhere (noise names, noise
  in the vector). Each topic renames about half of the multi-word names of its group
  (people, organisations) to invented names, consistently, so two topics on the same
  subject are told apart by their names, as two real events would be; single-word
  names (places: "Iraq", "Baghdad") stay, giving the heavy-tailed name frequencies of
  wire copy. Topic sizes are Zipf-distributed (most stories have one to three articles,
  a few hundreds); a topic lives a few days to six weeks, most of its articles early.
* Time. Articles arrive at ``per_day`` a day (default 2,000: a mid-sized monitor), so a
  bigger store is an older one, not a denser one; the stream is in publication order.
* Vectors. A synthetic article's embedding is what WordLlama gives for its lead text
  (title and first five sentences) when that text is made of real sentences:
  mean-pooled token embeddings, so the word-count-weighted sum of the sentences'
  vectors, L2-normalised. Renamed names are the only tokens it misses
  (``bench/scale.py`` prints the measured cosine against WordLlama on the real text).
  Its story features are what ``chorus ingest`` computes from that embedding and the
  article's text: ``pipeline.story_features`` itself is called (the embedding beside
  the hashed words of lead and body, 768 floats; the names and the years the lead
  names as keys), so the stream's stores hold what shipped stores hold.

Everything is deterministic for a seed: ``plan.article(i)`` depends only on (source,
n, seed, options, i).
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from chorus.analyze.entities import MAIN_LABELS
from chorus.models import AnnotatedArticle, Article, Mention, OffsetMap, Sentence
from chorus.read import read_inputs
from chorus.store import Store
from chorus.pipeline import story_features
from chorus.stories import LEAD_SENTENCES, Features, new_story_id

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "bulk" / "te3-silver"

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“]?[A-Z])")
# a capitalised phrase: words starting upper-case, joined by spaces or "of"/"al-"
_NAME = re.compile(r"\b[A-Z][A-Za-z'\-]+(?:\s+(?:of\s+|de\s+|al-)?[A-Z][A-Za-z'\-]+)*")
# capitalised words that are not names (sentence openers, calendar words, titles)
_NOT_NAME = frozenset(
    """a an the he she it they we i in on at of for but and or as if when while after before this that these those
    his her its their our there here what who which some many most more all one two three mr mrs ms dr
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    president minister prime officials police said""".split()
)
_SYLLABLES = "ka lo ren dar mi sol vek tan or bel nu zar hel qui mas tor ael fen gri hal ist jor kel mun pra ros sev ul yan".split()
OUTLETS = ("AFP", "APW", "Reuters", "BBC", "Guardian", "Al Jazeera", "NYT", "Washington Post", "Le Monde", "DW")


@dataclass(frozen=True)
class RealSentence:
    doc: int
    text: str
    names: tuple[tuple[int, int], ...]  # spans of capitalised phrases in ``text``
    words: int


@dataclass(frozen=True)
class Source:
    """Real sentences and titles with their WordLlama vectors, grouped by subject."""

    sentences: tuple[RealSentence, ...]
    titles: tuple[RealSentence, ...]  # per real article
    doc_sentences: tuple[tuple[int, ...], ...]  # per real article: its sentence indexes
    groups: tuple[tuple[int, ...], ...]  # real article indexes per subject group
    sentence_vectors: np.ndarray  # float32, mean-pooled, not normalised
    title_vectors: np.ndarray


def _split_sentences(text: str) -> list[str]:
    out = []
    for para in _PARAGRAPHS.split(text):
        para = " ".join(para.split())
        out += [s for s in _SENTENCE_END.split(para) if 30 <= len(s) <= 400]
    return out


def _names(text: str) -> tuple[tuple[int, int], ...]:
    spans = []
    for m in _NAME.finditer(text):
        start, words = m.start(), m.group().split()
        while words and words[0].casefold() in _NOT_NAME:  # "The Pentagon" -> "Pentagon"
            start += len(words[0]) + 1
            words = words[1:]
        if not words or (start == 0 and len(words) == 1) or len(words) > 5:
            continue  # a lone capitalised opener is usually not a name
        end = start + len(" ".join(words))
        if text.endswith(("'s", "’s"), start, end):  # the tagger's names drop the possessive
            end -= 2
        if text[start:end].casefold() not in _NOT_NAME:
            spans.append((start, end))
    return tuple(spans)


def load_source(data: Path, *, group_size: int = 10, seed: int = 0) -> Source:
    """Read the real articles (at run time), split, embed and group them."""
    from sklearn.cluster import KMeans

    from chorus.embed import WordLlamaEmbedder

    docs = [d for d in read_inputs([str(data)], max_bytes=10**8) if hasattr(d, "text")]
    if not docs:
        raise FileNotFoundError(f"{data}: no articles to build a stream from")
    sentences: list[RealSentence] = []
    doc_sentences, titles = [], []
    for d in docs:
        split = _split_sentences(d.text)
        if len(split) < 3:
            continue
        i = len(titles)
        title = " ".join((d.title or split[0][:80]).split())
        titles.append(RealSentence(i, title, _names(title), len(title.split())))
        first = len(sentences)
        sentences += [RealSentence(i, s, _names(s), len(s.split())) for s in split]
        doc_sentences.append(tuple(range(first, len(sentences))))
    model = WordLlamaEmbedder()._model  # the default embedder's own model, unnormalised means
    s_vec = np.asarray(model.embed([s.text for s in sentences], norm=False), dtype=np.float32)
    t_vec = np.asarray(model.embed([t.text for t in titles], norm=False), dtype=np.float32)
    lead = np.stack([t_vec[i] + s_vec[list(idx[:LEAD_SENTENCES])].sum(0) for i, idx in enumerate(doc_sentences)])
    lead /= np.linalg.norm(lead, axis=1, keepdims=True)
    k = max(1, len(titles) // group_size)
    labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(lead)
    groups = tuple(tuple(int(i) for i in np.flatnonzero(labels == g)) for g in range(k) if (labels == g).any())
    return Source(tuple(sentences), tuple(titles), tuple(doc_sentences), groups, s_vec, t_vec)


@dataclass(frozen=True)
class SynthOptions:
    per_day: int = 2000  # articles a day
    start: date = date(2020, 1, 1)
    zipf: float = 1.8  # story sizes ~ Zipf(zipf), capped at max_story: half are single articles, mean ~9
    max_story: int = 500
    sentences: tuple[int, int] = (4, 9)  # sentences per article, inclusive range
    seed_share: float = 0.75  # of an article's sentences, the share from its topic's seed articles
    noise: float = 0.3  # chance of one off-topic sentence per article
    rename: float = 0.5  # share of a group's multi-word names each topic renames


@dataclass(frozen=True)
class SynthArticle:
    index: int  # position in the stream
    topic: int
    doc: AnnotatedArticle
    embedding: np.ndarray  # L2-normalised float32, as WordLlama would give for the lead text

    def features(self) -> Features:
        """What ``pipeline.assign_stories`` computes for this article from its embedding."""
        return story_features(self.doc, self.embedding)


class Plan:
    """The stream's skeleton: topic and day of each of ``n`` articles, in publication
    order; articles themselves are made on demand by :meth:`article`."""

    def __init__(self, source: Source, n: int, seed: int = 0, options: SynthOptions = SynthOptions()) -> None:
        self.source, self.n, self.seed, self.options = source, n, seed, options
        days = max(1, math.ceil(n / options.per_day))
        lead_in = 45  # topics may start before day 0 so that day 0 is as busy as the rest
        mean = _zipf_mean(options.zipf, options.max_story)
        for margin in (1.1, 1.5, 2.0, 3.0, 5.0):  # Zipf sizes vary: a small stream may need more topics
            rng = np.random.default_rng([seed, 1])
            n_topics = int(n * (days + lead_in) / days / mean * margin) + 10
            sizes = np.minimum(rng.zipf(options.zipf, n_topics), options.max_story)
            starts = rng.integers(-lead_in, days, n_topics)
            # a few days to six weeks, longer for bigger stories
            life = np.clip(2 + 3 * np.log2(sizes) + rng.exponential(4, n_topics), 1, 42)
            topic = np.repeat(np.arange(n_topics), sizes)
            offset = np.floor(rng.beta(1.0, 2.5, topic.size) * life[topic]).astype(np.int64)
            day = starts[topic] + offset
            keep = day >= 0
            topic, day = topic[keep], day[keep]
            order = np.lexsort((rng.random(topic.size), day))[:n]
            if order.size == n:
                break
        else:
            raise ValueError(f"cannot plan {n} articles at {options.per_day} a day")
        self.topic = topic[order]
        self.day = day[order]
        self.topic_group = rng.integers(0, len(source.groups), n_topics)
        self.topic_sizes = sizes

    def story_id(self, topic: int) -> str:
        """The id the generator gives a topic's story (used by the bulk load)."""
        return new_story_id(f"synth:{self.seed}:{topic}")

    def _rng(self, kind: int, i: int) -> random.Random:
        # random.Random, not numpy: seeding one per article is 10x cheaper
        return random.Random((self.seed * 8 + kind) * 2**40 + i)

    @lru_cache(maxsize=1024)
    def _group(self, g: int) -> tuple[int, ...]:
        """The sentences of subject group g."""
        return tuple(s for d in self.source.groups[g] for s in self.source.doc_sentences[d])

    @lru_cache(maxsize=50_000)
    def _topic(self, t: int) -> tuple[tuple[int, ...], tuple[int, ...], _Renames]:
        """(seed-article sentences, group sentences, renames) of topic t."""
        src = self.source
        rng = self._rng(2, t)
        g = int(self.topic_group[t])
        members = src.groups[g]
        seeds = rng.sample(members, min(len(members), 1 + (rng.random() < 0.4)))
        seed_sents = tuple(s for d in seeds for s in src.doc_sentences[d])
        return seed_sents, self._group(g), _Renames((self.seed * 8 + 4) * 2**40 + t, self.options.rename)

    def article(self, i: int) -> SynthArticle:
        """Article ``i`` of the stream (0 <= i < n), the same every time."""
        if not 0 <= i < self.n:
            raise IndexError(i)
        src, opt = self.source, self.options
        t = int(self.topic[i])
        seed_sents, group_sents, renames = self._topic(t)
        rng = self._rng(3, i)
        k = rng.randint(*opt.sentences)
        picks = [rng.choice(seed_sents) if rng.random() < opt.seed_share else rng.choice(group_sents) for _ in range(k)]
        if rng.random() < opt.noise:  # an off-topic sentence, anywhere but the lead's top
            picks.insert(rng.randint(1, k), rng.randrange(len(src.sentences)))
        picks = list(dict.fromkeys(picks))  # a sentence at most once
        title_doc = src.sentences[seed_sents[0]].doc if rng.random() < 0.5 else src.sentences[picks[0]].doc
        title = _apply(src.titles[title_doc], renames)[0]
        # text, sentences and name mentions, with the topic's renames applied
        parts: list[str] = []
        sentences: list[Sentence] = []
        mentions: list[Mention] = []
        pos = 0
        for n_s, s in enumerate(picks):
            real = src.sentences[s]
            text, spans = _apply(real, renames)
            if parts:
                parts.append("\n\n")
                pos += 2
            for a, b in spans:
                name = text[a:b]
                label = "PERSON" if " " in name else "GPE"
                mentions.append(Mention(name, label, pos + a, pos + b, pos + a, pos + b, n_s))
            sentences.append(Sentence(n_s, n_s, pos, pos + len(text), pos, pos + len(text), True))
            parts.append(text)
            pos += len(text)
        body = "".join(parts)
        outlet = rng.choice(OUTLETS)
        published = (opt.start + timedelta(days=int(self.day[i]))).isoformat()
        url = f"https://synthetic.invalid/{self.seed}/{i}"
        digest = hashlib.sha256("\x00".join((outlet, title, url, body)).encode()).hexdigest()
        article = Article(
            id=digest[:12], content_hash=digest, source=url, kind="text", outlet=outlet, title=title,
            title_source="metadata", source_text=body, text=body, offsets=OffsetMap(((0, 0, len(body)),)),
            published=published, published_source="metadata", url=url,
        )  # fmt: skip
        lead = picks[:LEAD_SENTENCES]
        weights = np.array([src.titles[title_doc].words] + [src.sentences[s].words for s in lead], dtype=np.float32)
        vector = weights @ np.vstack((src.title_vectors[title_doc], src.sentence_vectors[lead]))
        vector = (vector / (float(np.sqrt(vector @ vector)) or 1.0)).astype(np.float32)
        doc = AnnotatedArticle(article, tuple(sentences), tuple(m for m in mentions if m.label in MAIN_LABELS))
        return SynthArticle(i, t, doc, vector)

    def articles(self, start: int = 0, stop: int | None = None) -> Iterator[SynthArticle]:
        for i in range(start, self.n if stop is None else stop):
            yield self.article(i)


def _zipf_mean(a: float, cap: int) -> float:
    k = np.arange(1, cap + 1, dtype=np.float64)
    p = k**-a
    # Zipf mass beyond the cap is moved onto the cap (np.minimum above)
    tail = sum(j**-a for j in range(cap + 1, cap * 200))
    return float((k * p).sum() + cap * tail) / float(p.sum() + tail)


def _invented(rng: random.Random, words: int) -> str:
    return " ".join("".join(rng.choices(_SYLLABLES, k=rng.randint(2, 3))).capitalize() for _ in range(words))


class _Renames(dict):
    """A topic's renames, decided name by name when first met: whether a multi-word
    name is renamed, and to what, depends only on the topic's seed and the name."""

    def __init__(self, seed: int, share: float) -> None:
        super().__init__()
        self.seed, self.share = seed, share

    def __missing__(self, name: str) -> str:
        rng = random.Random(self.seed ^ zlib.crc32(name.encode()))
        new = _invented(rng, name.count(" ") + 1) if " " in name and rng.random() < self.share else name
        self[name] = new
        return new


def _apply(real: RealSentence, renames: _Renames) -> tuple[str, list[tuple[int, int]]]:
    """The sentence with renamed names, and the spans of its names after renaming."""
    if not real.names:
        return real.text, []
    out, spans, last, shift = [], [], 0, 0
    for a, b in real.names:
        name = real.text[a:b]
        new = renames[name]
        out.append(real.text[last:a])
        out.append(new)
        spans.append((a + shift, a + shift + len(new)))
        shift += len(new) - len(name)
        last = b
    out.append(real.text[last:])
    return "".join(out), spans


class StreamVectors:
    """Stands in for the embedder in benches: hands ``pipeline.assign_stories`` the
    stream's vector of the article being assigned (set ``next`` before each call)."""

    name = "stream"

    def __init__(self) -> None:
        self.next = None

    def embed(self, texts):  # noqa: ANN001, ANN201
        return self.next.reshape(1, -1)


def build_store(store: Store, plan: Plan, start: int = 0, stop: int | None = None, *, batch: int = 20_000) -> int:
    """Store articles ``start``..``stop`` of the stream, each in its generator topic's
    story, through the store's bulk path; returns how many were stored. (Making the
    articles in forked workers was slower: pickling them back costs what making them does.)"""

    def rows() -> Iterator[tuple[AnnotatedArticle, Features, str]]:
        for a in plan.articles(start, stop):
            yield a.doc, a.features(), plan.story_id(a.topic)

    return store.bulk_assign(rows(), batch=batch)


def topic_names(plan: Plan, indexes: Sequence[int]) -> Counter:
    """How many of the given articles mention each name (for tests and reports)."""
    return Counter(k for i in indexes for k in plan.article(i).features().keys)
