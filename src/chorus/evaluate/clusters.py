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
from collections.abc import Callable, Sequence
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
