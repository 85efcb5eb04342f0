"""``chorus eval summary``: the multi-document summary scored with ROUGE on DUC.

Layout (DUC 2003 task 2 and DUC 2004 task 2 alike): ``docs/<cluster>/<DOCNO>`` NIST
SGML files (``<DOC><DOCNO>…<DATE_TIME>…<TEXT>``, paragraphs often in ``<P>``) and
``models/<cluster>.M.100.T.<X>`` human summaries, where the model prefix is
``D30003`` for the folder ``d30003t`` (either case). Models are matched to clusters by
the cluster number, case-insensitively.

Each document goes through chorus's own pipeline (RawDocument -> clean -> annotate)
and :func:`chorus.analyze.summary.summarize` writes a 100-word summary. Baselines run
on the same chorus sentences in the same run: Lead (first sentences of each article in
turn, oldest article first), Lead of the most recent article, and sumy's LexRank and
TextRank (sumy's sentence splitter needs nltk data that cannot be downloaded, so sumy
gets chorus's sentences and a plain word tokenizer).

Scoring (shared/eval/README.md; this set-up reproduces the published ROUGE-1.5.5 DUC
2004 table within 0.06 R-2 points): ``rouge-score`` ROUGE-1 and ROUGE-2 recall with
Porter stemming and stop words kept; the candidate and every reference are cut to
their first 100 whitespace-separated words; recall is averaged over a cluster's
references (not the max), then over clusters. Reported as percentages (x100).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from chorus.analyze.summary import SummaryOptions, summarize
from chorus.clean import clean
from chorus.evaluate import EvalResult
from chorus.models import AnnotatedArticle, Article, RawDocument
from chorus.nlp.annotate import annotate_parallel

DEFAULT_DATA = "shared/eval/duc2003"
WORDS = 100  # the DUC task 2 limit; candidates and references are cut to it
WORKERS = 2

_DOC = re.compile(r"<DOC>(.*?)(?:</DOC>|\Z)", re.S | re.I)
_TAG = re.compile(r"<[^<>]*>")
_ANNOTATION = re.compile(r"<ANNOTATION>.*?</ANNOTATION>", re.S | re.I)
_PARA = re.compile(r"<P>(.*?)(?=</P>|<P>|\Z)", re.S | re.I)
# SGML entities of the wire services (&QL; &UR; …) are typesetting codes, not text.
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_KNOWN_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_NUMBER = re.compile(r"\d+")
_WORD = re.compile(r"\w+")
_ENDS = re.compile(r"[.!?:;][\"'`”’)]*$")


@dataclass(frozen=True)
class DucDocument:
    docno: str
    date: str | None  # YYYY-MM-DD
    headline: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Cluster:
    name: str  # the folder name, e.g. "d30003t"
    number: str  # "30003"
    documents: tuple[DucDocument, ...]
    references: tuple[str, ...]


# -- reading DUC ------------------------------------------------------------------
def _field(body: str, tag: str) -> str | None:
    m = re.search(rf"<{tag}>(.*?)</{tag}>", body, re.S | re.I)
    return m.group(1) if m else None


def _entities(text: str) -> str:
    return html.unescape(_ENTITY.sub(lambda m: _KNOWN_ENTITIES.get(m.group(1).lower(), " "), text))


def _plain(text: str) -> str:
    return " ".join(_entities(_TAG.sub(" ", text)).split())


def _date(value: str | None) -> str | None:
    """YYYY-MM-DD from ``1998-10-18 17:52`` or ``10/17/1998 05:50:00``; the DOCNO
    (``APW19981017.0151``) is the fallback."""
    if not value:
        return None
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        return "-".join(m.groups())
    m = re.search(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if m:
        return f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
    m = re.search(r"(19|20)(\d{2})(\d{2})(\d{2})", value)
    if m:
        return f"{m.group(1)}{m.group(2)}-{m.group(3)}-{m.group(4)}"
    return None


def parse_sgml(text: str, fallback_docno: str = "") -> list[DucDocument]:
    """Every ``<DOC>`` of a NIST SGML file. The article is the ``<TEXT>`` element:
    its ``<P>`` elements when it has them, else its indented lines (wire copy starts
    each paragraph on an indented line), with editorial ``<ANNOTATION>`` notes dropped."""
    docs = []
    for m in _DOC.finditer(text):
        body = m.group(1)
        docno = _plain(_field(body, "DOCNO") or "") or fallback_docno
        raw = _field(body, "TEXT")
        if raw is None:
            start = re.search(r"<TEXT>", body, re.I)
            raw = body[start.end() :] if start else ""
        raw = _ANNOTATION.sub(" ", raw)
        if _PARA.search(raw):
            paragraphs = [_plain(p) for p in _PARA.findall(raw)]
        else:
            paragraphs = [_plain(p) for p in re.split(r"\n\s*\n|\n(?=[ \t])", raw)]
        headline = _plain(_field(body, "HEADLINE") or "") or None
        date = _date(_field(body, "DATE_TIME") or _field(body, "DATE")) or _date(docno)
        docs.append(DucDocument(docno, date, headline, tuple(p for p in paragraphs if p)))
    return docs


def read_clusters(data: Path) -> list[Cluster]:
    """The clusters under ``data/docs`` with their references from ``data/models``,
    matched by cluster number whatever the case of either name."""
    models: dict[str, list[Path]] = {}
    for path in sorted((data / "models").glob("*")):
        m = re.match(r"[a-z]*(\d+)[a-z]*\.m\.", path.name.lower())
        if m and path.is_file():
            models.setdefault(m.group(1), []).append(path)
    clusters = []
    for folder in sorted(p for p in (data / "docs").iterdir() if p.is_dir()):
        m = _NUMBER.search(folder.name)
        if not m:
            continue
        docs = []
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            docs += parse_sgml(path.read_text("utf-8", errors="replace"), path.name)
        refs = tuple(p.read_text("utf-8", errors="replace") for p in models.get(m.group(0), []))
        if docs and refs:
            clusters.append(Cluster(folder.name, m.group(0), tuple(docs), refs))
    return clusters


def raw_document(doc: DucDocument, cluster: str) -> RawDocument:
    return RawDocument(
        source=f"{cluster}/{doc.docno}",
        text="\n\n".join(doc.paragraphs),
        kind="text",
        title=doc.headline,
        outlet=re.match(r"[A-Za-z_]*", doc.docno).group(0) or None,
        published=doc.date,
    )


# -- scoring ------------------------------------------------------------------------
def first_words(text: str, n: int = WORDS) -> str:
    return " ".join(text.split()[:n])


@dataclass(frozen=True)
class Rouge:
    r1: float  # recall, 0-1
    r2: float


def make_scorer() -> Callable[[str, Sequence[str]], Rouge]:
    """ROUGE-1/2 recall of a candidate against references: both cut to 100 words,
    Porter stemming, stop words kept, recall averaged over the references."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)

    def score(candidate: str, references: Sequence[str]) -> Rouge:
        cand = first_words(candidate)
        results = [scorer.score(first_words(ref), cand) for ref in references]
        if not results:
            return Rouge(0.0, 0.0)
        return Rouge(
            sum(r["rouge1"].recall for r in results) / len(results),
            sum(r["rouge2"].recall for r in results) / len(results),
        )

    return score


# -- systems ------------------------------------------------------------------------
def _sentences(doc: AnnotatedArticle) -> list[str]:
    """The article's sentences for the baselines: chorus's sentences less the
    fragments that end without sentence punctuation (a dateline "LONDON (AP) _",
    which spaCy splits off; a "(scl)" sign-off). Every system then reads the same
    sentences; on DUC 2003 this is the strongest of the variants tried for Lead and
    LexRank (joining the dateline to the next sentence instead: Lead R-2 -0.2, LexRank
    -0.5)."""
    return [t for t in (doc.sentence_text(s) for s in doc.sentences) if _ENDS.search(t)]


def _fill(sentences: Sequence[str], words: int = WORDS) -> str:
    out, total = [], 0
    for s in sentences:
        if total >= words:
            break
        out.append(s)
        total += len(s.split())
    return " ".join(out)


def _by_date(docs: Sequence[AnnotatedArticle]) -> list[AnnotatedArticle]:
    return sorted(docs, key=lambda d: (d.article.published or "", d.article.source))


def lead(docs: Sequence[AnnotatedArticle]) -> str:
    """First sentence of each article (oldest first), then the second of each, …"""
    lists = [_sentences(d) for d in _by_date(docs)]
    longest = max((len(x) for x in lists), default=0)
    return _fill([x[i] for i in range(longest) for x in lists if i < len(x)])


def lead_recent(docs: Sequence[AnnotatedArticle]) -> str:
    """The opening of the most recent article."""
    ordered = _by_date(docs)
    return _fill(_sentences(ordered[-1])) if ordered else ""


class _Tokenizer:
    """sumy's tokenizer interface over a plain word regex (sumy's own needs nltk punkt)."""

    def to_words(self, text: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(text))


def sumy_summary(docs: Sequence[AnnotatedArticle], method: str) -> str:
    """sumy LexRank/TextRank over chorus's sentences, English stemmer and stop words;
    best-rated sentences are taken until 100 words, and read in document order."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    tokenizer = _Tokenizer()
    paragraphs = []
    for d in _by_date(docs):
        paragraphs.append(Paragraph([Sentence(s, tokenizer) for s in _sentences(d)]))
    document = ObjectDocumentModel(paragraphs)
    summarizer = (LexRankSummarizer if method == "lexrank" else TextRankSummarizer)(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")

    def until_budget(infos: list) -> list:  # infos come best-rated first
        out, total = [], 0
        for info in infos:
            if total >= WORDS:
                break
            out.append(info)
            total += len(str(info.sentence).split())
        return out

    return " ".join(str(s) for s in summarizer(document, until_budget))


def chorus_summary(docs: Sequence[AnnotatedArticle]) -> str:
    return " ".join(s.text for s in summarize(docs, SummaryOptions(words=WORDS)))


SYSTEMS: dict[str, Callable[[Sequence[AnnotatedArticle]], str]] = {
    "chorus": chorus_summary,
    "lead": lead,
    "lead_recent": lead_recent,
    "lexrank": lambda docs: sumy_summary(docs, "lexrank"),
    "textrank": lambda docs: sumy_summary(docs, "textrank"),
}


# -- the run --------------------------------------------------------------------------
def annotate_clusters(clusters: Sequence[Cluster], workers: int = WORKERS) -> list[list[AnnotatedArticle]]:
    """Clean and annotate every document of every cluster in one pass (the process
    pool starts once)."""
    owners: list[int] = []
    articles: list[Article] = []
    for i, c in enumerate(clusters):
        for doc in c.documents:
            article = clean(raw_document(doc, c.name))
            if isinstance(article, Article):
                owners.append(i)
                articles.append(article)
    out: list[list[AnnotatedArticle]] = [[] for _ in clusters]
    for i, annotated in zip(owners, annotate_parallel(articles, workers=workers)):
        out[i].append(annotated)
    return out


def _mean(values: Sequence[float]) -> float:
    return 100.0 * sum(values) / len(values) if values else 0.0


def evaluate(data: Path, options: dict[str, str]) -> EvalResult:
    """Options: ``limit`` (first N clusters), ``systems`` (comma list; default all)."""
    clusters = read_clusters(data)
    if not clusters:
        raise FileNotFoundError(f"no DUC clusters with reference summaries under {data}")
    limit = int(options.get("limit", "0") or 0)
    if limit:
        clusters = clusters[:limit]
    names = [s.strip() for s in options.get("systems", ",".join(SYSTEMS)).split(",") if s.strip()]
    unknown = sorted(set(names) - set(SYSTEMS))
    if unknown:
        raise ValueError(f"unknown summary system(s) {', '.join(unknown)}; known: {', '.join(SYSTEMS)}")
    if "chorus" not in names:
        names.insert(0, "chorus")
    score = make_scorer()
    annotated = annotate_clusters(clusters)
    per: dict[str, list[Rouge]] = {name: [] for name in names}
    for cluster, docs in zip(clusters, annotated):
        for name in names:
            per[name].append(score(SYSTEMS[name](docs), cluster.references))

    def metrics(rows: Sequence[Rouge]) -> dict[str, float]:
        return {"rouge1_recall": _mean([r.r1 for r in rows]), "rouge2_recall": _mean([r.r2 for r in rows])}

    notes = [
        "ROUGE-1/ROUGE-2 recall in percent (x100): rouge-score, Porter stemming, stop words kept; "
        f"candidate and each reference cut to {WORDS} words; recall averaged over references, then clusters.",
        f"{len(clusters)} clusters, {sum(len(c.references) for c in clusters)} references, "
        f"{sum(len(d) for d in annotated)} articles.",
        "Baselines read chorus's sentences less unterminated fragments (datelines); Lead takes the oldest "
        "article first; sumy gets English stemming and stop words and its best sentences up to 100 words.",
    ]
    # The summarizer's constants were tuned on the 1st, 3rd, 5th, ... cluster of DUC
    # 2003's sorted folder list ("dev"); the 2nd, 4th, ... were held out ("test").
    for label, idx in (("dev half (1st, 3rd, ... cluster)", range(0, len(clusters), 2)),
                       ("test half (2nd, 4th, ... cluster)", range(1, len(clusters), 2))):  # fmt: skip
        if not idx:
            continue
        parts = []
        for name in names:
            m = metrics([per[name][i] for i in idx])
            parts.append(f"{name} {m['rouge1_recall']:.2f}/{m['rouge2_recall']:.2f}")
        notes.append(f"{label}, n={len(idx)}, R-1/R-2: " + ", ".join(parts))
    return EvalResult(
        task="summary",
        metrics=metrics(per["chorus"]),
        baselines={name: metrics(per[name]) for name in names if name != "chorus"},
        n=len(clusters),
        notes=notes,
        data=str(data),
    )
