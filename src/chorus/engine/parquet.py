"""Annotated articles as Parquet: one row per article, written atomically part by part,
read back losslessly (``annotated_from_json(annotated_to_json(doc)) == doc``).

Columns: ``id``, ``content_hash``, ``source``, ``outlet``, ``title``, ``published``
(for filtering without parsing), ``annotated`` (the whole AnnotatedArticle as JSON),
``vector`` (the story embedding, float32), ``embedder`` (which model made it) and
``minhash`` (the dedup signature, :func:`chorus.dedup.signature_to_bytes`).
A directory holds ``part-00000.parquet``, ``part-00001.parquet``, ... in input order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np

from chorus.errors import ChorusError
from chorus.models import AnnotatedArticle, Article, Mention, OffsetMap, Quote, Removed, Sentence, TimeMention

PART_ROWS = 2000  # rows per part file: a part is one atomic write


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ChorusError("Parquet needs pyarrow: pip install 'chorus-news[ray]'") from None
    return pa, pq


def annotated_to_json(doc: AnnotatedArticle) -> str:
    return json.dumps(asdict(doc), ensure_ascii=False, separators=(",", ":"))


def annotated_from_json(data: str) -> AnnotatedArticle:
    d = json.loads(data)
    a = dict(d["article"])
    a["offsets"] = OffsetMap(tuple(tuple(p) for p in a["offsets"]["pieces"]))
    a["removed"] = tuple(Removed(**r) for r in a["removed"])
    a["published_evidence"] = tuple(a["published_evidence"])
    return AnnotatedArticle(
        Article(**a),
        tuple(Sentence(**s) for s in d["sentences"]),
        tuple(Mention(**m) for m in d["mentions"]),
        times=tuple(TimeMention(**t) for t in d["times"]),
        quotes=tuple(Quote(**q) for q in d["quotes"]),
    )


def _schema(pa):
    return pa.schema([
        ("id", pa.string()), ("content_hash", pa.string()), ("source", pa.string()), ("outlet", pa.string()),
        ("title", pa.string()), ("published", pa.string()), ("annotated", pa.large_string()),
        ("vector", pa.list_(pa.float32())), ("embedder", pa.string()), ("minhash", pa.binary()),
    ])  # fmt: skip


class ParquetWriter:
    """Buffers rows and writes ``part-NNNNN.parquet`` files (temp file + rename), so a
    reader never sees half a part and an interrupted run leaves whole parts only."""

    def __init__(self, out: Path, embedder: str, part_rows: int = PART_ROWS) -> None:
        self.out, self.embedder, self.part_rows = Path(out), embedder, part_rows
        self.out.mkdir(parents=True, exist_ok=True)
        if any(self.out.glob("part-*.parquet")):
            raise ChorusError(f"{self.out} already holds part-*.parquet files; give an empty or new directory")
        self.rows: list[dict] = []
        self.parts = 0
        self.written = 0

    def add(self, doc: AnnotatedArticle, vector: np.ndarray, minhash: bytes) -> None:
        a = doc.article
        self.rows.append({
            "id": a.id, "content_hash": a.content_hash, "source": a.source, "outlet": a.outlet, "title": a.title,
            "published": a.published, "annotated": annotated_to_json(doc),
            "vector": np.asarray(vector, dtype=np.float32).tolist(), "embedder": self.embedder, "minhash": minhash,
        })  # fmt: skip
        if len(self.rows) >= self.part_rows:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        pa, pq = _pyarrow()
        path = self.out / f"part-{self.parts:05d}.parquet"
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(pa.Table.from_pylist(self.rows, schema=_schema(pa)), tmp)
        os.replace(tmp, path)
        self.written += len(self.rows)
        self.parts += 1
        self.rows = []

    def close(self) -> None:
        self.flush()


def parquet_parts(path: Path) -> list[Path]:
    path = Path(path)
    parts = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    if not parts:
        raise ChorusError(f"{path}: no part-*.parquet files here (write them with `chorus ingest --engine ray --out DIR`)")
    return parts


def read_parquet(path: Path, batch_rows: int = 500) -> Iterator[tuple[AnnotatedArticle, np.ndarray, str]]:
    """(article, story vector, embedder name) per row, streamed part by part."""
    _pa, pq = _pyarrow()
    for part in parquet_parts(path):
        try:
            pf = pq.ParquetFile(part)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a bad file
            raise ChorusError(f"{part}: not a readable Parquet file ({' '.join(str(exc).split())})") from None
        for batch in pf.iter_batches(batch_size=batch_rows, columns=["annotated", "vector", "embedder"]):
            for row in batch.to_pylist():
                yield annotated_from_json(row["annotated"]), np.asarray(row["vector"], dtype=np.float32), row["embedder"]
