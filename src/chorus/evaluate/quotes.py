"""``chorus eval quotes``: who said what, scored on PolNeAR (brat standoff attributions).

Each article's raw text is read verbatim as a ``RawDocument(kind="text")``, cleaned and
parsed by chorus's own pipeline, and :func:`chorus.nlp.quotes.extract_quotes` runs on
it. Predicted contents come back in source coordinates (``orig_start``/``orig_end``),
so they are compared with the gold attributions in the coordinates of the raw file,
whatever the cleaner dropped (a headline, a photo credit).

The baseline, textacy's ``direct_quotations`` (textacy 0.13), runs paragraph by
paragraph on the same parse (on a whole article one unbalanced quotation mark makes
it give up) and is scored by the same code.

Scoring:

* A span is the set of its **non-space character positions** in the source text (a
  gold content may come in pieces: "“A,” he said, “B.”" is one attribution).
* **overlap match**: |pred ∩ gold| / |pred ∪ gold| ≥ 0.5 (intersection over union,
  so a prediction may neither be much shorter nor much longer than the gold content).
  Pairs are matched one to one, best overlap first. Precision = matched predictions /
  predictions; recall = matched gold contents / gold contents.
* **exact match**: the two spans hold the same alphanumeric characters once a leading
  complementizer "that" is dropped from both (PolNeAR includes it and its closing
  quotation marks and punctuation, chorus's contents do not; the words are what count).
* **speaker** (on overlap-matched pairs whose gold attribution has a Source): right when
  the predicted speaker mention overlaps the gold Source span in the source text (so
  "he" resolved to "John Kirby" counts when the gold Source is that "he"), or when the
  predicted speaker string and the gold Source text share a word that is not a
  function word or a title ("John Kirby" vs "Kirby", "two Egyptian security sources"
  vs "the sources"). Speaker precision = right speakers / predictions that name a
  speaker; recall = right speakers / gold attributions that have a Source.

Gold: the first annotator's file per article (sorted by name; two dev articles were
annotated by six people), every ``E`` event that has a Content; that is PolNeAR's
2,192 dev attributions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chorus.evaluate import EvalResult
from chorus.models import Article

if TYPE_CHECKING:  # spaCy loads only when an evaluation runs
    from spacy.tokens import Doc

DEFAULT_DATA = "shared/eval/polnear/dev"
OVERLAP = 0.5  # the published "overlap >= 50 %" criterion (README of shared/eval)

_T_LINE = re.compile(r"^(T\d+)\t(\S+) ([\d ;]+)\t", re.M)
_E_LINE = re.compile(r"^E\d+\t(.*)$", re.M)
_WORD = re.compile(r"[^\W_]+")
# words that never identify a speaker on their own
_NOT_NAMES = frozenset(
    "a an the of and or in on at for to by from with his her its their our my your this that these those "
    "mr mrs ms miss dr sen rep gov president former u s us".split()
)

Span = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class GoldAttribution:
    content: Span  # source-text pieces
    source: Span  # empty when the annotator marked no source
    source_text: str


@dataclass(frozen=True)
class Prediction:
    content: Span
    speaker: str
    speaker_span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    gold: tuple[GoldAttribution, ...]


# -- reading PolNeAR ---------------------------------------------------------------
def read_brat(ann: str, text: str) -> tuple[GoldAttribution, ...]:
    """Attributions of one brat ``.ann`` file. T lines may hold newlines in their
    text column, so spans are read from the offsets and the text, never from the
    column; E lines link Content, Source and Cue (and Content2 for extra pieces)."""
    spans: dict[str, Span] = {}
    for m in _T_LINE.finditer(ann):
        pieces = tuple(tuple(int(x) for x in part.split()) for part in m.group(3).split(";"))
        spans[m.group(1)] = tuple((a, b) for a, b in pieces)  # type: ignore[misc]
    out = []
    for m in _E_LINE.finditer(ann):
        args = dict(a.split(":", 1) for a in m.group(1).split()[1:] if ":" in a)
        content = tuple(p for role, t in sorted(args.items()) if role.startswith("Content") for p in spans.get(t, ()))
        if not content:
            continue
        source = spans.get(args.get("Source", ""), ())
        source_text = " ".join(text[a:b] for a, b in source)
        out.append(GoldAttribution(tuple(sorted(content)), source, source_text))
    return tuple(out)


def load_polnear(data: Path, limit: int = 0) -> list[Document]:
    """Articles of one PolNeAR split (``text/`` and ``attributions/`` under ``data``)."""
    text_dir, ann_dir = data / "text", data / "attributions"
    if not text_dir.is_dir() or not ann_dir.is_dir():
        raise FileNotFoundError(f"{data} does not look like a PolNeAR split (need text/ and attributions/)")
    first: dict[str, Path] = {}
    for path in sorted(ann_dir.glob("*.ann")):
        first.setdefault(path.stem.rsplit("_", 1)[0], path)
    docs = []
    for name, ann_path in sorted(first.items()):
        text_path = text_dir / f"{name}.txt"
        if not text_path.exists():
            continue
        # newline="" keeps the text verbatim: brat offsets count every character
        with open(text_path, encoding="utf-8", newline="") as fh:
            text = fh.read()
        docs.append(Document(name, text, read_brat(ann_path.read_text("utf-8"), text)))
        if limit and len(docs) >= limit:
            break
    return docs


# -- scoring -----------------------------------------------------------------------
def _chars(text: str, span: Span) -> frozenset[int]:
    return frozenset(i for a, b in span for i in range(a, min(b, len(text))) if not text[i].isspace())


def _words_chars(text: str, span: Span) -> frozenset[int]:
    """Alphanumeric positions of a span, without a leading complementizer "that"."""
    chars = sorted(i for a, b in span for i in range(a, min(b, len(text))) if text[i].isalnum())
    if len(chars) > 4 and "".join(text[i] for i in chars[:4]).lower() == "that":
        # only when "that" is a whole word in the text
        if chars[3] + 1 >= len(text) or not text[chars[3] + 1].isalnum():
            chars = chars[4:]
    return frozenset(chars)


def _name_words(text: str) -> set[str]:
    return {w for w in (x.lower() for x in _WORD.findall(text)) if w not in _NOT_NAMES and len(w) > 1}


def speaker_matches(text: str, pred: Prediction, gold: GoldAttribution) -> bool:
    """Does the predicted speaker refer to the gold Source? (see the module docstring)"""
    if not gold.source or not pred.speaker:
        return False
    if pred.speaker_span is not None:
        a, b = pred.speaker_span
        if any(a < gb and ga < b for ga, gb in gold.source):
            return True
    return bool(_name_words(pred.speaker) & _name_words(gold.source_text))


def _prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> tuple[float, float, float]:
    p = tp_pred / n_pred if n_pred else 0.0
    r = tp_gold / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _match(text: str, preds: Sequence[Prediction], gold: Sequence[GoldAttribution]) -> list[tuple[int, int, float]]:
    """One-to-one pairs (pred, gold, overlap) with overlap >= OVERLAP, best first."""
    p_chars = [_chars(text, p.content) for p in preds]
    g_chars = [_chars(text, g.content) for g in gold]
    pairs = []
    for i, pc in enumerate(p_chars):
        for j, gc in enumerate(g_chars):
            inter = len(pc & gc)
            if inter:
                ratio = inter / len(pc | gc)
                if ratio >= OVERLAP:
                    pairs.append((ratio, i, j))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for ratio, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j, ratio))
    return out


def score(docs: Iterable[tuple[str, Sequence[GoldAttribution], Sequence[Prediction]]]) -> dict[str, float]:
    """Content precision/recall/F1 (exact and overlap) and speaker scores over documents
    given as (source text, gold, predictions)."""
    n_pred = n_gold = n_pred_speaker = n_gold_source = 0
    exact_tp = overlap_tp = speaker_tp = matched_with_source = 0
    for text, gold, preds in docs:
        n_pred += len(preds)
        n_gold += len(gold)
        n_pred_speaker += sum(1 for p in preds if p.speaker)
        n_gold_source += sum(1 for g in gold if g.source)
        # exact: one to one on equal word-character sets
        g_words: dict[frozenset[int], int] = {}
        for g in gold:
            key = _words_chars(text, g.content)
            g_words[key] = g_words.get(key, 0) + 1
        for p in preds:
            key = _words_chars(text, p.content)
            if g_words.get(key, 0) > 0:
                g_words[key] -= 1
                exact_tp += 1
        for i, j, _ in _match(text, preds, gold):
            overlap_tp += 1
            if gold[j].source:
                matched_with_source += 1
                if speaker_matches(text, preds[i], gold[j]):
                    speaker_tp += 1
    ep, er, ef = _prf(exact_tp, n_pred, exact_tp, n_gold)
    op, or_, of = _prf(overlap_tp, n_pred, overlap_tp, n_gold)
    sp, sr, sf = _prf(speaker_tp, n_pred_speaker, speaker_tp, n_gold_source)
    return {
        "overlap_p": op,
        "overlap_r": or_,
        "overlap_f1": of,
        "exact_p": ep,
        "exact_r": er,
        "exact_f1": ef,
        "speaker_p": sp,
        "speaker_r": sr,
        "speaker_f1": sf,
        "speaker_acc": speaker_tp / matched_with_source if matched_with_source else 0.0,
        "n_predicted": float(n_pred),
    }


# -- systems -----------------------------------------------------------------------
def _prepare(docs: Sequence[Document], nlp) -> list[tuple[Article | None, Doc | None]]:
    """chorus's own pipeline up to the parse: each raw text read verbatim as a
    ``RawDocument(kind="text")``, cleaned, and parsed once (both systems use it)."""
    from chorus.clean import clean
    from chorus.models import RawDocument

    articles = []
    for d in docs:
        a = clean(RawDocument(source=d.name, text=d.text, kind="text", outlet="polnear"))
        articles.append(a if isinstance(a, Article) else None)
    parsed = nlp.pipe((a.text if a else "" for a in articles), batch_size=16)
    return [(a, doc if a else None) for a, doc in zip(articles, parsed)]


def chorus_predictions(article: Article, doc: Doc) -> list[Prediction]:
    """Quotes found by :func:`chorus.nlp.quotes.extract_quotes`, in source offsets."""
    from chorus.nlp.quotes import extract_quotes, quote_pieces

    preds = []
    for q in extract_quotes(article, doc):
        pieces = tuple(article.offsets.to_original(a, b) for a, b in quote_pieces(article, q))
        span = (q.speaker_orig_start, q.speaker_orig_end) if q.speaker_orig_start >= 0 else None
        preds.append(Prediction(pieces, q.speaker, span))
    return preds


def textacy_predictions(article: Article, doc: Doc) -> list[Prediction]:
    """textacy's ``direct_quotations`` run paragraph by paragraph on the same parse
    (on a whole article one unbalanced quotation mark makes it give up), spans
    mapped back to the raw text like chorus's."""
    from textacy.extract.triples import direct_quotations

    def orig(start: int, end: int) -> tuple[int, int]:
        return article.offsets.to_original(start, end)

    preds = []
    pos = 0
    for para in article.text.split("\n\n"):
        span = doc.char_span(pos, pos + len(para), alignment_mode="contract")
        pos += len(para) + 2
        if span is None or not len(span):
            continue
        try:
            triples = list(direct_quotations(span.as_doc()))
        except ValueError:  # unbalanced quotation marks in this paragraph
            continue
        base = span.start_char
        for triple in triples:
            c = triple.content
            speaker = triple.speaker
            who = (base + speaker[0].idx, base + speaker[-1].idx + len(speaker[-1])) if speaker else None
            preds.append(
                Prediction(
                    (orig(base + c.start_char, base + c.end_char),),
                    " ".join(t.text for t in speaker),
                    orig(*who) if who else None,
                )
            )
    return preds


def evaluate(data: Path, options: dict[str, str]) -> EvalResult:
    """Score chorus and textacy on one PolNeAR split. Options: ``limit`` (articles)."""
    from chorus.nlp.model import load_model

    docs = load_polnear(data, int(options.get("limit", "0") or 0))
    if not docs:
        raise FileNotFoundError(f"no PolNeAR articles under {data}")
    prepared = _prepare(docs, load_model())
    ours = [(d.text, d.gold, chorus_predictions(a, doc) if a else []) for d, (a, doc) in zip(docs, prepared)]
    notes = []
    baselines: dict[str, dict[str, float]] = {}
    try:
        theirs = [(d.text, d.gold, textacy_predictions(a, doc) if a else []) for d, (a, doc) in zip(docs, prepared)]
        baselines["textacy"] = score(theirs)
    except ImportError:
        notes.append("textacy is not installed (pip install textacy==0.13.0): baseline not run")
    notes.append(
        "overlap = |pred∩gold|/|pred∪gold| over non-space characters >= 0.5, one-to-one; "
        "exact = same alphanumeric characters (leading 'that' dropped); gold = first annotator per article"
    )
    n = sum(len(d.gold) for d in docs)
    return EvalResult(task="quotes", metrics=score(ours), baselines=baselines, n=n, notes=notes, data=str(data))
