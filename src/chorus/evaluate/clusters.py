"""Story clustering measured against gold event clusters: ``chorus eval clusters``.

Two layouts are recognised by the files found under ``--data``:

* ECB+ (``<topic>/<topic>_<n>ecb.xml`` and ``..ecbplus.xml``): every topic holds two
  different real events of the same kind; gold = sub-topic (``ecb`` = 1, ``ecbplus``
  = 2). All documents are clustered together, with no topic hint. The documents carry
  no publication dates.
* DUC 2003 (``docs/<cluster>/<DOCNO>``, NIST SGML): gold = the cluster folder; dates
  come from ``<DATE_TIME>``.

Every document goes through chorus's real pipeline (clean -> annotate) and is then
clustered by :func:`chorus.cluster.cluster_docs`. Scores are pooled B-cubed precision,
recall and F1 (Bagga & Baldwin 1998) over all documents.

Honest protocol: gold groups (ECB+ topics, DUC clusters) are split into a dev half and
a test half (ECB+: odd / even topic numbers; DUC: alternating clusters in name order).
Baseline thresholds are tuned here on the dev half at run time; chorus's constants
were tuned once on the same dev halves (see chorus.cluster). We report the test half
(``test_*``), the dev half (``dev_*``) and all documents clustered together (plain
names, the headline figure).
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chorus.evaluate import EvalResult
from chorus.models import AnnotatedArticle, RawDocument

DEFAULT_DATA = "shared/eval/ecbplus"

_ECB_NAME = re.compile(r"^(\d+)_(\d+)(ecb|ecbplus)\.xml$")
_URL_LINE = re.compile(r"^\s*https?\s*:\s*/\s*/\S*", re.I)


@dataclass(frozen=True)
class GoldDoc:
    """One evaluation document: its raw text, its gold cluster, and its split group."""

    raw: RawDocument
    gold: str  # gold cluster label
    group: int  # ECB+ topic number / DUC cluster index: decides dev vs test


# -- reading -----------------------------------------------------------------------


def detect_layout(data: Path) -> str:
    """``"ecbplus"`` or ``"duc"``, from the files found."""
    if not data.is_dir():
        raise FileNotFoundError(f"{data} is not a directory")
    if any(_ECB_NAME.match(p.name) for p in data.glob("*/*.xml")):
        return "ecbplus"
    for base in (data, data / "docs"):
        folders = [p for p in base.iterdir() if p.is_dir()] if base.is_dir() else []
        for folder in folders[:3]:
            for f in list(folder.iterdir())[:3]:
                if f.is_file() and "<DOCNO>" in f.read_text("latin-1")[:2000]:
                    return "duc"
    raise FileNotFoundError(f"{data}: neither ECB+ topic folders nor DUC cluster folders found")


def read_ecbplus(data: Path) -> list[GoldDoc]:
    """ECB+ token XML -> text: tokens joined by spaces, one sentence per line.

    ECB+ (not ECB) files open with the article's URL as sentence 0; it is metadata, so
    it goes to ``RawDocument.url`` rather than into the text (left in, its tokens
    "http", "www" would mark every ECB+ sub-topic 2 document: a corpus artefact)."""
    from lxml import etree

    docs = []
    for path in sorted(data.glob("*/*.xml"), key=_ecb_sort_key):
        m = _ECB_NAME.match(path.name)
        if not m:
            continue
        topic, sub = int(m.group(1)), 1 if m.group(3) == "ecb" else 2
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        sentences: dict[int, list[str]] = defaultdict(list)
        for tok in root.iter("token"):
            sentences[int(tok.get("sentence"))].append(tok.text or "")
        lines = [detokenize(toks) for _, toks in sorted(sentences.items())]
        url = None
        if lines and _URL_LINE.match(lines[0]):
            url = re.sub(r"\s+", "", lines.pop(0))
        text = "\n".join(line for line in lines if line.strip())
        raw = RawDocument(source=str(path), text=text, kind="text", outlet="ECB+", url=url, path=str(path))
        docs.append(GoldDoc(raw, f"{topic}.{sub}", topic))
    return docs


_NO_SPACE_BEFORE = re.compile(r" (?=[,.;:!?)\]%]|'s\b|n't\b|'re\b|'ve\b|'m\b|'d\b|'ll\b)")
_NO_SPACE_AFTER = re.compile(r"(?<=[(\[$]) ")
# ECB+ (not ECB) split numbers into tokens: "6 . 1", "1 , 300", "12 : 48", "11 / 28"
_SPLIT_NUMBER = re.compile(r"(?<=\d) (?:([.:/]) (?=\d)|(,) (?=\d{3}(?!\d)))")


def detokenize(tokens: Sequence[str]) -> str:
    """Tokens back to plain text: spaces joined, then the spaces a tokenizer adds
    before punctuation and inside numbers taken out again (the same rules for ECB and
    ECB+ files, so that neither is marked by its tokenizer)."""
    text = " ".join(t for t in tokens if t)
    text = _SPLIT_NUMBER.sub(lambda m: m.group(1) or m.group(2), text)
    text = text.replace("``", '"').replace("''", '"')
    text = _NO_SPACE_BEFORE.sub("", text)
    return _NO_SPACE_AFTER.sub("", text)


def _ecb_sort_key(path: Path) -> tuple[int, int, str]:
    m = _ECB_NAME.match(path.name)
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (10**9, 0, path.name)


_SGML_TAG = re.compile(r"<[^>]+>")


def read_duc(data: Path) -> list[GoldDoc]:
    """DUC NIST SGML: the <TEXT> paragraphs (``<P>`` or indented lines), the
    <DATE_TIME> day, the <HEADLINE> when there is one."""
    base = data / "docs" if (data / "docs").is_dir() else data
    docs = []
    for index, folder in enumerate(sorted(p for p in base.iterdir() if p.is_dir())):
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            sgml = path.read_text("latin-1")
            body = _tag(sgml, "TEXT")
            if body is None:
                continue
            raw = RawDocument(
                source=str(path),
                text=_duc_paragraphs(body),
                kind="text",
                title=_clean_sgml(_tag(sgml, "HEADLINE") or "") or None,
                outlet=_duc_outlet(path.name),
                published=_duc_date(_tag(sgml, "DATE_TIME") or ""),
                path=str(path),
            )
            docs.append(GoldDoc(raw, folder.name, index))
    return docs


def _tag(sgml: str, name: str) -> str | None:
    m = re.search(rf"<{name}>(.*?)</{name}>", sgml, re.S)
    return m.group(1) if m else None


def _clean_sgml(text: str) -> str:
    return " ".join(html.unescape(_SGML_TAG.sub(" ", text)).split())


def _duc_paragraphs(body: str) -> str:
    if "<P>" in body:
        parts = re.findall(r"<P>(.*?)</P>", body, re.S)
    else:  # AP copy: a paragraph starts with an indented line
        parts = re.split(r"\n(?=[ \t]{2,}\S)", body)
    paragraphs = [_clean_sgml(p) for p in parts]
    return "\n\n".join(p for p in paragraphs if p)


def _duc_date(value: str) -> str | None:
    value = value.strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        return "-".join(m.groups())
    m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if m:
        return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
    return None


def _duc_outlet(docno: str) -> str:
    return {"APW": "AP", "NYT": "The New York Times", "XIE": "Xinhua"}.get(docno[:3], docno[:3])


def read_gold(data: Path) -> tuple[str, list[GoldDoc]]:
    layout = detect_layout(data)
    return layout, read_ecbplus(data) if layout == "ecbplus" else read_duc(data)


def annotate_gold(gold: Sequence[GoldDoc]) -> tuple[list[AnnotatedArticle], list[GoldDoc]]:
    """clean -> annotate every document (chorus's own pipeline); documents the cleaner
    rejects are dropped (and counted by the caller)."""
    from chorus.clean import clean
    from chorus.models import Article
    from chorus.nlp.annotate import annotate_parallel

    kept_articles, kept_gold = [], []
    for g in gold:
        article = clean(g.raw)
        if isinstance(article, Article):
            kept_articles.append(article)
            kept_gold.append(g)
    return list(annotate_parallel(kept_articles)), kept_gold


# -- scoring -----------------------------------------------------------------------


def bcubed(predicted: Sequence[object], gold: Sequence[object]) -> tuple[float, float, float]:
    """Pooled B-cubed precision, recall, F1 of item labels ``predicted`` vs ``gold``.

    Per item: precision = |own predicted cluster ∩ own gold cluster| / |own predicted
    cluster|; recall the same over the gold cluster; both averaged over all items.
    Written out (a few lines) because no kept library ships B-cubed."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold label different numbers of items")
    if not gold:
        return 0.0, 0.0, 0.0
    pairs: dict[tuple[object, object], int] = defaultdict(int)
    pred_size: dict[object, int] = defaultdict(int)
    gold_size: dict[object, int] = defaultdict(int)
    for p, g in zip(predicted, gold):
        pairs[(p, g)] += 1
        pred_size[p] += 1
        gold_size[g] += 1
    n = len(gold)
    # every item of the (p, g) cell shares the same overlap, so sum cell-wise
    precision = sum(c * c / pred_size[p] for (p, _), c in pairs.items()) / n
    recall = sum(c * c / gold_size[g] for (_, g), c in pairs.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def labels_of(clusters: Sequence[Sequence[int]], n: int) -> list[int]:
    labels = [-1] * n
    for k, members in enumerate(clusters):
        for i in members:
            labels[i] = k
    return labels


# -- systems -------------------------------------------------------------------------

THRESHOLDS = tuple(round(0.02 + 0.01 * i, 2) for i in range(49))  # 0.02 .. 0.50
MIN_CLUSTER_SIZES = (2, 3, 4, 5, 6, 8, 10)
Part = tuple[str, list[int]]  # ("dev" | "test" | "all", document indexes)


def split_parts(gold: Sequence[GoldDoc], layout: str) -> list[Part]:
    """dev = odd ECB+ topics / even-indexed DUC clusters; test = the rest; all = every
    document clustered together."""
    if layout == "ecbplus":
        dev = [i for i, g in enumerate(gold) if g.group % 2 == 1]
    else:
        dev = [i for i, g in enumerate(gold) if g.group % 2 == 0]
    dev_set = set(dev)
    test = [i for i in range(len(gold)) if i not in dev_set]
    return [("dev", dev), ("test", test), ("all", list(range(len(gold))))]


def tfidf_similarity(docs: Sequence[AnnotatedArticle]) -> np.ndarray:
    """The README's baseline: TF-IDF (sublinear tf, English stop words) cosine."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [f"{d.article.title}\n{d.article.text}" for d in docs]
    )
    return (vectors @ vectors.T).toarray()


def _scores(labels: Sequence[object], gold: Sequence[str]) -> dict[str, float]:
    p, r, f = bcubed(labels, gold)
    return {"bcubed_p": p, "bcubed_r": r, "bcubed_f1": f}


def _tuned_agglomerative(
    sims: dict[str, np.ndarray], golds: dict[str, list[str]], method: str
) -> dict[str, float]:
    """Cut threshold chosen on the dev part (best B-cubed F1), then applied as is."""
    from chorus.cluster import ClusterOptions, cluster_matrix

    def run(part: str, t: float) -> dict[str, float]:
        clusters = cluster_matrix(sims[part], ClusterOptions(threshold=t, linkage=method))
        return _scores(labels_of(clusters, len(golds[part])), golds[part])

    best = max(THRESHOLDS, key=lambda t: (run("dev", t)["bcubed_f1"], -t))
    out = {"threshold": best}
    for part in ("dev", "test", "all"):
        out.update(_prefixed(part, run(part, best)))
    return out


def _tuned_hdbscan(vectors: dict[str, np.ndarray], golds: dict[str, list[str]]) -> dict[str, float]:
    """sklearn's HDBSCAN (BERTopic's clusterer) on the given vectors; min_cluster_size
    chosen on dev; noise points count as clusters of one."""
    from sklearn.cluster import HDBSCAN

    def run(part: str, size: int) -> dict[str, float]:
        x = vectors[part]
        if len(x) <= size:
            labels = np.zeros(len(x), dtype=int)
        else:
            labels = HDBSCAN(min_cluster_size=size, min_samples=1, metric="euclidean", copy=True).fit_predict(x)
        named = [f"c{l}" if l >= 0 else f"noise{i}" for i, l in enumerate(labels)]
        return _scores(named, golds[part])

    best = max(MIN_CLUSTER_SIZES, key=lambda s: run("dev", s)["bcubed_f1"])
    out = {"min_cluster_size": float(best)}
    for part in ("dev", "test", "all"):
        out.update(_prefixed(part, run(part, best)))
    return out


def _prefixed(part: str, scores: dict[str, float]) -> dict[str, float]:
    return {(k if part == "all" else f"{part}_{k}"): v for k, v in scores.items()}


def _svd(docs: Sequence[AnnotatedArticle], dims: int = 100) -> np.ndarray:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    x = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(
        [f"{d.article.title}\n{d.article.text}" for d in docs]
    )
    k = max(2, min(dims, x.shape[1] - 1, len(docs) - 1))
    return normalize(TruncatedSVD(n_components=k, random_state=0).fit_transform(x))


def evaluate(data: Path, options: dict[str, str]) -> EvalResult:
    """Pooled B-cubed of chorus's story clustering and of the baselines, on the dev
    half, the test half and all documents together."""
    from chorus.cluster import AVERAGE_OPTIONS, ClusterOptions, cluster_docs
    from chorus.embed import get_embedder

    layout, gold_docs = read_gold(data)
    if not gold_docs:
        raise FileNotFoundError(f"{data}: no documents found")
    limit = int(options.get("limit", "0") or 0)
    if limit:  # a quicker run over the first gold groups (tests)
        keep = sorted({g.group for g in gold_docs})[:limit]
        gold_docs = [g for g in gold_docs if g.group in keep]
    docs, kept = annotate_gold(gold_docs)
    parts = split_parts(kept, layout)
    golds = {name: [kept[i].gold for i in idx] for name, idx in parts}
    subsets = {name: [docs[i] for i in idx] for name, idx in parts}

    # chorus = the stories `chorus ingest` and `chorus brief` make (incremental
    # assignment); the batch clusterer of chorus.cluster is reported beside it
    metrics: dict[str, float] = {}
    batch: dict[str, float] = {}
    batch_avg: dict[str, float] = {}
    for name, sub in subsets.items():
        metrics.update(_prefixed(name, _scores(incremental_labels(sub), golds[name])))
        batch.update(_prefixed(name, _scores(labels_of(cluster_docs(sub, ClusterOptions()), len(sub)), golds[name])))
        batch_avg.update(_prefixed(name, _scores(labels_of(cluster_docs(sub, AVERAGE_OPTIONS), len(sub)), golds[name])))
    baselines: dict[str, dict[str, float]] = {"chorus-batch-complete": batch, "chorus-batch-average": batch_avg}
    tfidf = {name: tfidf_similarity(sub) for name, sub in subsets.items()}
    baselines["tfidf-complete"] = _tuned_agglomerative(tfidf, golds, "complete")
    baselines["tfidf-average"] = _tuned_agglomerative(tfidf, golds, "average")
    embedder = get_embedder(options.get("embedder", "wordllama"))
    emb_all = embedder.embed([f"{d.article.title}\n{d.article.text}" for d in docs])
    emb = {name: emb_all[idx] for name, idx in parts}
    baselines[f"hdbscan-{embedder.name}"] = _tuned_hdbscan(emb, golds)
    baselines[f"{embedder.name}-average"] = _tuned_agglomerative({k: v @ v.T for k, v in emb.items()}, golds, "average")
    baselines["hdbscan-tfidf-svd100"] = _tuned_hdbscan({name: _svd(sub) for name, sub in subsets.items()}, golds)

    notes = [
        f"layout {layout}: {len(kept)} documents in {len(set(golds['all']))} gold clusters, clustered together (no topic hints)",
        "parts: dev = " + ("odd ECB+ topics" if layout == "ecbplus" else "even-indexed DUC clusters (name order)")
        + f" ({len(golds['dev'])} docs), test = the other half ({len(golds['test'])} docs), "
        "plain metric names = all documents clustered together",
        "chorus = incremental story assignment (chorus.stories), as ingest and brief use it, "
        "with its re-check of a story as it grows (split in two when its articles form two unlike groups); "
        "its weights and threshold, and those of the batch clusterer, were tuned on the dev halves of ECB+ and DUC 2003 together; "
        "baseline thresholds / min_cluster_size are tuned here on the dev part and applied unchanged",
    ]
    if len(kept) < len(gold_docs):
        notes.append(f"{len(gold_docs) - len(kept)} documents rejected by the cleaner and not scored")
    if layout == "ecbplus":
        notes.append("ECB+ documents carry no publication dates: the date signal is silent on this data")
    duplicates = _cross_cluster_duplicates(kept)
    if duplicates:
        notes.append(
            f"{duplicates} documents have an identical copy in another gold cluster: "
            "no clustering can score 1.0 (the copies always land together)"
        )
    return EvalResult(task="clusters", metrics=metrics, baselines=baselines, n=len(kept), data=str(data), notes=notes)


def incremental_labels(docs: Sequence[AnnotatedArticle]) -> list[str]:
    """The stories `chorus ingest` and `chorus brief` would make: each document assigned
    in turn (publication order, then id) to a stored story or a new one."""
    from chorus import pipeline
    from chorus.config import Settings
    from chorus.store import open_store

    with open_store(":memory:") as store:
        for d in docs:
            store.add(d)
        pipeline.assign_stories(docs, store, Settings())
        return [store.story_of(d.id) or d.id for d in docs]


def _cross_cluster_duplicates(gold: Sequence[GoldDoc]) -> int:
    clusters_of: dict[str, set[str]] = defaultdict(set)
    for g in gold:
        clusters_of[g.raw.text].add(g.gold)
    return sum(1 for g in gold if len(clusters_of[g.raw.text]) > 1)
