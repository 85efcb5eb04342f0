"""`chorus eval time`: time-expression detection and resolution on TimeBank + AQUAINT.

Each ``.tml`` document's ``<TEXT>`` is read with its inline tags dropped (character
offsets kept, so the gold TIMEX3 spans map onto the text); the ``<DCT>`` TIMEX3 is the
anchor. Scores follow TempEval-3: detection P/R/F1 strict (exact span) and relaxed
(overlap, one-to-one), and value F1 over all gold and predicted timexes (a true positive
needs an overlapping span AND the same normalized value). Sub-corpora (the folders under
the data directory, TimeBank and AQUAINT) are scored separately and pooled, so rules
tuned on one and failing on the other would show.

Baseline, same run, same scorer: plain spaCy DATE/TIME entity spans, values from
dateparser (RELATIVE_BASE = DCT, PREFER_DATES_FROM = past).

Options: ``limit`` (documents per sub-corpus, in name order; default all).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from lxml import etree

from chorus.errors import ChorusError
from chorus.evaluate import EvalResult

DEFAULT_DATA = "shared/eval/timebank"
SUBCORPORA = ("TimeBank", "AQUAINT")


@dataclass(frozen=True)
class Timex:
    start: int
    end: int
    type: str
    value: str
    text: str


@dataclass(frozen=True)
class GoldDoc:
    name: str
    corpus: str
    text: str
    dct: date
    timexes: tuple[Timex, ...]


def read_tml(path: Path, corpus: str = "") -> GoldDoc:
    """One TimeML document: the <TEXT> with tags dropped and the gold TIMEX3 offsets."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    root = etree.parse(str(path), parser).getroot()
    body = next(root.iter("{*}TEXT"), None)
    if body is None:
        raise ChorusError(f"{path}: no <TEXT> element")
    parts: list[str] = []
    gold: list[Timex] = []
    size = 0

    def add(s: str | None) -> None:
        nonlocal size
        if s:
            parts.append(s)
            size += len(s)

    def walk(el: etree._Element) -> None:
        if etree.QName(el).localname == "TIMEX3":
            start = size
            add("".join(el.itertext()))
            gold.append(Timex(start, size, el.get("type", ""), el.get("value", ""), "".join(el.itertext())))
        else:
            add(el.text)
            for child in el:
                walk(child)
                add(child.tail)

    walk(body)
    dct_el = next(root.iter("{*}DCT"), None)
    dct_timex = next(dct_el.iter("{*}TIMEX3"), None) if dct_el is not None else None
    value = dct_timex.get("value", "") if dct_timex is not None else ""
    try:
        dct = date.fromisoformat(value[:10])
    except ValueError:
        raise ChorusError(f"{path}: no usable <DCT> date ({value!r})") from None
    return GoldDoc(path.stem, corpus, "".join(parts), dct, tuple(gold))


def load(data: Path, limit: int | None = None) -> list[GoldDoc]:
    docs: list[GoldDoc] = []
    subdirs = [data / name for name in SUBCORPORA if (data / name).is_dir()]
    if not subdirs:
        subdirs = [data]
    for sub in subdirs:
        files = sorted(sub.glob("*.tml"))
        if limit is not None:
            files = files[:limit]
        docs.extend(read_tml(f, sub.name if sub != data else data.name) for f in files)
    if not docs:
        raise ChorusError(f"no .tml files under {data}")
    return docs


# ----------------------------------------------------------------------------- scoring
def _prf(tp_p: int, n_pred: int, tp_g: int, n_gold: int) -> tuple[float, float, float]:
    p = tp_p / n_pred if n_pred else 0.0
    r = tp_g / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _match(gold: Sequence[Timex], pred: Sequence[Timex]) -> list[tuple[int, int]]:
    """One-to-one overlap matching, largest overlap first (then earliest)."""
    pairs = []
    for i, g in enumerate(gold):
        for j, p in enumerate(pred):
            ov = min(g.end, p.end) - max(g.start, p.start)
            if ov > 0:
                pairs.append((-ov, g.start, i, j))
    pairs.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, _, i, j in pairs:
        if i in used_g or j in used_p:
            continue
        used_g.add(i)
        used_p.add(j)
        out.append((i, j))
    return out


@dataclass
class Counts:
    gold: int = 0
    pred: int = 0
    strict: int = 0
    relaxed: int = 0
    value: int = 0
    type: int = 0

    def add(self, other: Counts) -> None:
        for f in ("gold", "pred", "strict", "relaxed", "value", "type"):
            setattr(self, f, getattr(self, f) + getattr(other, f))

    def metrics(self) -> dict[str, float]:
        sp, sr, sf = _prf(self.strict, self.pred, self.strict, self.gold)
        rp, rr, rf = _prf(self.relaxed, self.pred, self.relaxed, self.gold)
        vp, vr, vf = _prf(self.value, self.pred, self.value, self.gold)
        return {
            "strict_p": sp, "strict_r": sr, "strict_f1": sf,
            "relaxed_p": rp, "relaxed_r": rr, "relaxed_f1": rf,
            "value_p": vp, "value_r": vr, "value_f1": vf,
            "type_accuracy": self.type / self.relaxed if self.relaxed else 0.0,
        }  # fmt: skip


def normalize_value(value: str) -> str:
    """Gold and predicted values are compared case-insensitively, without a trailing
    time zone or seconds that the TIMEX3 value syntax allows but do not change it."""
    v = value.strip().upper()
    if len(v) > 13 and v[10:11] == "T":  # 1989-11-06T17:00:00 = 1989-11-06T17:00 = 1989-11-06T17
        v = re.sub(r"(T\d\d)(?::00){1,2}$", r"\1", v)
    # "2000-W7" (sic, in AQUAINT) is week 07
    return re.sub(r"-W(\d)(?!\d)", r"-W0\1", v)


def score_doc(gold: Sequence[Timex], pred: Sequence[Timex]) -> Counts:
    c = Counts(gold=len(gold), pred=len(pred))
    exact = {(t.start, t.end) for t in gold}
    c.strict = len({(p.start, p.end) for p in pred} & exact)
    for i, j in _match(gold, pred):
        c.relaxed += 1
        if pred[j].value and normalize_value(gold[i].value) == normalize_value(pred[j].value):
            c.value += 1
        if gold[i].type == pred[j].type:
            c.type += 1
    return c


def score(docs: Sequence[GoldDoc], predictions: Sequence[Sequence[Timex]]) -> dict[str, Counts]:
    """Counts per sub-corpus and pooled ("all")."""
    out: dict[str, Counts] = {"all": Counts()}
    for doc, pred in zip(docs, predictions, strict=True):
        c = score_doc(doc.timexes, pred)
        out.setdefault(doc.corpus, Counts()).add(c)
        out["all"].add(c)
    return out


# ----------------------------------------------------------------------------- systems
def predict_chorus(doc, dct: date) -> list[Timex]:  # doc: spacy Doc
    from chorus.nlp.timex import detect, resolve_in_doc

    found = detect(doc)
    values = resolve_in_doc(doc, found, dct)
    return [Timex(d.start, d.end, d.label, v.value if v else "", d.text) for d, v in zip(found, values, strict=True)]


def predict_baseline(doc, dct: date) -> list[Timex]:
    """spaCy DATE/TIME spans as they come; dateparser for the value."""
    from dateparser.date import DateDataParser

    ddp = DateDataParser(
        languages=["en"], settings={"RELATIVE_BASE": datetime(dct.year, dct.month, dct.day), "PREFER_DATES_FROM": "past"}
    )
    out = []
    for ent in doc.ents:
        if ent.label_ not in {"DATE", "TIME"}:
            continue
        value = ""
        data = ddp.get_date_data(ent.text)
        if data.date_obj is not None:
            d = data.date_obj
            value = {
                "year": f"{d.year}",
                "month": f"{d.year}-{d.month:02d}",
                "week": f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}",
                "time": d.strftime("%Y-%m-%dT%H:%M"),
            }.get(data.period or "day", d.date().isoformat())
        out.append(Timex(ent.start_char, ent.end_char, ent.label_, value, ent.text))
    return out


def _metrics(counts: dict[str, Counts]) -> dict[str, float]:
    """Pooled metrics under their plain names, each sub-corpus under a prefix."""
    out = dict(counts["all"].metrics())
    for name, c in counts.items():
        if name == "all":
            continue
        m = c.metrics()
        for key in ("strict_f1", "relaxed_f1", "value_f1"):
            out[f"{name.lower()}_{key}"] = m[key]
    return out


def evaluate(data: Path, options: dict[str, str]) -> EvalResult:
    from chorus.nlp.model import load_model

    limit = int(options["limit"]) if options.get("limit") else None
    docs = load(Path(data), limit)
    nlp = load_model()
    systems: dict[str, Callable] = {"chorus": predict_chorus, "spacy+dateparser": predict_baseline}
    preds: dict[str, list[list[Timex]]] = {name: [] for name in systems}
    for doc, parsed in zip(docs, nlp.pipe([d.text for d in docs], batch_size=16), strict=True):
        for name, fn in systems.items():
            preds[name].append(fn(parsed, doc.dct))
    counts = {name: score(docs, p) for name, p in preds.items()}
    notes = []
    by_type = _per_type(docs, preds["chorus"])
    notes.append("chorus value recall by gold type: " + ", ".join(f"{t} {r:.2f} (n={n})" for t, (r, n) in by_type.items()))
    for name in ("chorus", "spacy+dateparser"):
        for corpus, c in counts[name].items():
            m = c.metrics()
            notes.append(
                f"{name} {corpus}: strict F1 {m['strict_f1']:.3f}, relaxed F1 {m['relaxed_f1']:.3f}, "
                f"value F1 {m['value_f1']:.3f} (gold {c.gold}, predicted {c.pred})"
            )
    return EvalResult(
        task="time",
        metrics=_metrics(counts["chorus"]),
        baselines={"spacy+dateparser": _metrics(counts["spacy+dateparser"])},
        n=counts["chorus"]["all"].gold,
        notes=notes,
        data=str(data),
    )


def _per_type(docs: Sequence[GoldDoc], preds: Sequence[Sequence[Timex]]) -> dict[str, tuple[float, int]]:
    """Value recall per gold TimeML type (DATE, TIME, DURATION, SET)."""
    hit: dict[str, int] = {}
    total: dict[str, int] = {}
    for doc, pred in zip(docs, preds, strict=True):
        for t in doc.timexes:
            total[t.type] = total.get(t.type, 0) + 1
        for i, j in _match(doc.timexes, pred):
            g = doc.timexes[i]
            if normalize_value(g.value) == normalize_value(pred[j].value):
                hit[g.type] = hit.get(g.type, 0) + 1
    return {t: (hit.get(t, 0) / n, n) for t, n in sorted(total.items())}
