"""`chorus ingest --engine ray`: the pipeline's stage functions as Ray Data operators.

    splits ─▶ read + clean (tasks) ─▶ annotate + dedup signature + embedding (actors) ─▶ driver
                                       spaCy and the embedder loaded once per actor        store, or Parquet

* **Splits** (planned on the driver without loading any file): a plain ``.jsonl`` is
  cut into byte ranges at line boundaries (one streaming pass counts the lines before
  each cut, so sources keep their ``file.jsonl:LINE``); a ``.warc``/``.warc.gz`` into
  byte ranges, each reading the records that start inside it
  (:func:`chorus.read.warc.read_warc_range`); a ``.jsonl.gz`` is one split streamed
  line by line (gzip cannot be entered mid-stream); every other file is one split
  read by the ordinary readers. A split never has to fit in memory: its reader yields
  small batches.
* **Stages**: exactly the functions the single-process path runs —
  :func:`chorus.pipeline.clean_document`, :func:`chorus.nlp.annotate.annotate`,
  :func:`chorus.dedup.signature`, :func:`chorus.pipeline.story_vectors`.
* **Order**: Ray Data runs with ``preserve_order``, so the driver sees articles in
  input order and keeps the first of two identical articles, as ``prepare`` does.
* **Output**: to the store, one transaction per article (:func:`pipeline.store_article`)
  and then the same incremental story assignment in publication order
  (:func:`pipeline.assign_unassigned`, with the embeddings computed on the workers); or
  to Parquet (``--out DIR``), which `chorus load-parquet` bulk-loads into a store.
  With ``partition_days`` (``--partition-days``) story assignment is cut into windows of
  publication days, each a Ray task (:func:`ray_windows`), stitched on the driver
  (:mod:`chorus.partition`).

Differences from the single-process path, by design: ``max_bytes`` bounds each line
and each WARC record, not a whole JSONL/WARC file (those are what the engine is for);
a JSONL line that is not UTF-8 is decoded alone, not with the whole file's guess; and
articles already stored are annotated before the store turns them away (workers do not
see the store), so a re-run costs annotation time but stores nothing twice.
"""

from __future__ import annotations

import gzip
import json
import logging
import pickle
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chorus import pipeline
from chorus.config import Settings
from chorus.dedup import signature, signature_to_bytes
from chorus.errors import ChorusError, InputError
from chorus.models import AnnotatedArticle, Article, RawDocument, Rejected
from chorus.nlp.annotate import annotate, default_workers
from chorus.partition import Placement, Window, assign_window
from chorus.read import read_inputs
from chorus.read.common import Origin, one_line, over_limit
from chorus.read.decode import decode_bytes
from chorus.read.jsonl import TOO_DEEP
from chorus.read.jsonl import _record as jsonl_record
from chorus.read.sources import STDIN, expand, kind_of, stem_of
from chorus.read.warc import read_warc_range
from chorus.store import Store
from chorus.stories import StoryOptions

SPLIT_BYTES = 32 * 1024 * 1024  # a split is one read task: big enough to amortise a task, small enough to spread
ITEMS_PER_BLOCK = 64  # a reader yields its items in blocks of this many
ANNOTATE_BATCH = 32  # articles per actor call (= the spaCy pipe batch of the single-process path)
BLOCK_BYTES = 64 * 1024  # Ray Data block size after reading (see annotated_stream)
_CHUNK = 1 << 20
_UTF8_BOM = b"\xef\xbb\xbf"

Item = RawDocument | Rejected


# -- splits ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """One read task: a whole file, or a byte range of a JSONL or WARC file."""

    source: str  # the file as the user named it (joined to a directory)
    path: str
    mode: str  # file | lines | gzlines | warc
    start: int = 0
    end: int = 0
    first_line: int = 1  # lines: the line number at ``start``
    encoding: str = "utf-8"  # lines, gzlines: "utf-8-sig" when the file starts with a BOM


def plan_splits(paths: Sequence[str], split_bytes: int = SPLIT_BYTES) -> tuple[list[Split], list[Rejected]]:
    """The read tasks for the inputs, in input order, and what could not be planned."""
    splits: list[Split] = []
    rejected: list[Rejected] = []
    for arg in paths:
        for found in expand(arg):
            if isinstance(found, Rejected):
                rejected.append(found)
            elif found.path is None:
                rejected.append(Rejected(STDIN, "the Ray engine reads files, not stdin (save it to a file first)"))
            else:
                splits += _splits_of(found.source, found.path, split_bytes)
    return splits, rejected


def _splits_of(source: str, path: Path, split_bytes: int) -> list[Split]:
    kind, gz, _ = kind_of(path)
    try:
        size = path.stat().st_size
    except OSError:
        return [Split(source, str(path), "file")]  # the ordinary reader reports why
    if kind == "warc":
        cuts = list(range(0, size, split_bytes)) or [0]
        return [Split(source, str(path), "warc", a, min(a + split_bytes, size)) for a in cuts]
    if kind == "jsonl" and size:
        encoding = _bom_encoding(path)
        if gz:
            return [Split(source, str(path), "gzlines", encoding=encoding)]
        starts = line_starts(path, split_bytes)
        ends = [s for s, _ in starts[1:]] + [size]
        return [Split(source, str(path), "lines", s, e, n, encoding) for (s, n), e in zip(starts, ends)]
    return [Split(source, str(path), "file")]


def _bom_encoding(path: Path) -> str:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            return "utf-8-sig" if fh.read(3) == _UTF8_BOM else "utf-8"
    except (OSError, EOFError, zlib.error):
        return "utf-8"


def line_starts(path: Path, split_bytes: int) -> list[tuple[int, int]]:
    """(byte offset, line number) of each split start: the first line beginning at or
    after every multiple of ``split_bytes``. One streaming pass over the file."""
    size = path.stat().st_size
    starts = [(0, 1)]
    target, pos, lines = split_bytes, 0, 0
    with open(path, "rb") as fh:
        while target < size:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            while target < pos + len(chunk):
                i = chunk.find(b"\n", max(0, target - pos))
                if i == -1:
                    break
                start = pos + i + 1
                if start < size:
                    starts.append((start, lines + chunk.count(b"\n", 0, i + 1) + 1))
                target = max(target + split_bytes, start)
            lines += chunk.count(b"\n")
            pos += len(chunk)
    return starts


# -- reading a split --------------------------------------------------------------------


def read_split(split: Split, max_bytes: int) -> Iterator[Item]:
    """The documents of one split, streamed; a bad record or line is a Rejected."""
    path = Path(split.path)
    origin = Origin(split.source, str(path.resolve()), stem_of(path))
    try:
        if split.mode == "file":
            yield from read_inputs([split.source], max_bytes=max_bytes)
        elif split.mode == "warc":
            yield from read_warc_range(path, origin, split.start, split.end, max_bytes=max_bytes)
        elif split.mode == "lines":
            with open(path, "rb") as fh:
                fh.seek(split.start)
                yield from _jsonl_lines(_lines(fh, split.first_line, split.end - split.start, max_bytes), origin, split.encoding, max_bytes)
        elif split.mode == "gzlines":
            yield from _gz_lines(path, origin, split.encoding, max_bytes)
        else:
            raise ValueError(f"unknown split mode {split.mode!r}")
    except InputError as exc:
        yield Rejected(split.source, one_line(exc))
    except OSError as exc:
        yield Rejected(split.source, f"cannot read the file: {one_line(exc.strerror or exc)}")


def _lines(fh, first: int, budget: int | None, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) of each line; bytes None for a line over ``max_bytes``
    (skipped without holding it). ``budget``: stop after this many bytes (a range)."""
    lineno, used = first, 0
    while budget is None or used < budget:
        line = fh.readline(max_bytes + 1)
        if not line:
            return
        used += len(line)
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # the rest of the long line, in pieces
                line = fh.readline(_CHUNK)
                used += len(line)
            yield lineno, None
        else:
            yield lineno, line
        lineno += 1


def _gz_lines(path: Path, origin: Origin, encoding: str, max_bytes: int) -> Iterator[Item]:
    last = 0  # the last line read whole
    try:
        with gzip.open(path, "rb") as fh:
            for last, line in _lines(fh, 1, None, max_bytes):
                yield from _jsonl_lines([(last, line)], origin, encoding, max_bytes)
            return
    except EOFError:
        reason = "the gzip data is truncated (the file ends before the end-of-stream marker)"
    except (gzip.BadGzipFile, zlib.error) as exc:
        if not last:
            raise InputError(f"not a readable gzip file ({one_line(exc)})") from None
        reason = f"the gzip data is corrupt ({one_line(exc)})"
    kept = "the lines before it were read" if last else "nothing could be read"
    yield Rejected(f"{origin.source}:{last + 1}", f"line {last + 1}: {reason}; {kept}")


def _jsonl_lines(lines: Iterable[tuple[int, bytes | None]], origin: Origin, encoding: str, max_bytes: int) -> Iterator[Item]:
    """JSON Lines records, each through the JSONL reader's own record check."""
    for lineno, raw in lines:
        where, label = f"{origin.source}:{lineno}", f"line {lineno}"
        if raw is None:
            yield Rejected(where, f"{label}: " + over_limit(max_bytes, what="the line"))
            continue
        if lineno == 1 and raw.startswith(_UTF8_BOM):
            raw = raw[len(_UTF8_BOM) :]
        raw = raw.rstrip(b"\n")
        if not raw.strip():
            continue
        try:
            text, enc = raw.decode("utf-8"), encoding
        except UnicodeDecodeError:
            try:
                text, enc = decode_bytes(raw)
            except InputError as exc:
                yield Rejected(where, f"{label}: {one_line(exc)}")
                continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Rejected(where, f"{label}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:  # this line alone, as the JSONL reader does
            yield Rejected(where, f"{label}: {TOO_DEEP}")
            continue
        yield jsonl_record(value, where, label, origin, enc)


# -- the Ray stages -----------------------------------------------------------------------


def _column(items: list[bytes]) -> dict[str, np.ndarray]:
    column = np.empty(len(items), dtype=object)
    column[:] = items
    return {"item": column}


def read_and_clean(batch: dict[str, np.ndarray], settings: Settings) -> Iterator[dict[str, np.ndarray]]:
    """Ray task: splits in, cleaned Articles (or Rejected) out, in small blocks."""
    for blob in batch["split"]:
        out: list[bytes] = []
        for item in read_split(pickle.loads(blob), settings.max_bytes):
            out.append(pickle.dumps(item if isinstance(item, Rejected) else pipeline.clean_document(item, settings)))
            if len(out) >= ITEMS_PER_BLOCK:
                yield _column(out)
                out = []
        if out:
            yield _column(out)


class Annotator:
    """Ray actor: the spaCy model and the embedder are loaded once, in ``__init__``."""

    def __init__(self, settings: Settings) -> None:
        from chorus.embed import get_embedder
        from chorus.nlp.model import load_model

        self.settings = settings
        self.nlp = load_model(settings.model)
        get_embedder(settings.embedder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cpu = time.process_time()
        items = [pickle.loads(b) for b in batch["item"]]
        extras = bool(self.settings.extras)
        articles = [i for i in items if isinstance(i, Article)]
        try:
            docs: list[AnnotatedArticle | Rejected] = list(annotate(articles, self.nlp, extras))
        except Exception:  # noqa: BLE001 - one odd article must not sink its batch: redo one by one
            docs = [self._one(a, extras) for a in articles]
        good = [d for d in docs if isinstance(d, AnnotatedArticle)]
        vectors = iter(pipeline.story_vectors(good, self.settings) if good else [])
        sigs = iter([signature_to_bytes(signature(d.article.text)) for d in good])
        share = (time.process_time() - cpu) / max(1, len(good))  # this worker's CPU seconds per article
        done = iter(docs)
        out = []
        for item in items:
            result = next(done) if isinstance(item, Article) else item
            if isinstance(result, AnnotatedArticle):
                out.append(pickle.dumps(("doc", result, np.asarray(next(vectors), dtype=np.float32), next(sigs), share)))
            else:
                out.append(pickle.dumps(("rejected", result)))
        return _column(out)

    def _one(self, article: Article, extras: bool) -> AnnotatedArticle | Rejected:
        try:
            return next(iter(annotate([article], self.nlp, extras)))
        except Exception as exc:  # noqa: BLE001 - reported as this article's reason
            return Rejected(article.source, f"annotation failed ({type(exc).__name__}: {one_line(exc)})")


# -- the run -------------------------------------------------------------------------------


@dataclass
class RayReport:
    added: list[str] = field(default_factory=list)  # article ids (stored, or written to Parquet)
    already: list[Rejected] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    assigned: int = 0  # articles given a story (store output)
    parts: int = 0  # Parquet files written
    first_at: float = 0.0  # time.perf_counter() when the first annotated article reached the driver
    last_at: float = 0.0  # ... and the last
    worker_cpu: float = 0.0  # CPU seconds the annotation workers spent (read/clean tasks not counted)
    first_n: int = 0  # articles that came with the first batch: (n - first_n) / (last_at - first_at) is the steady rate


def start_ray(address: str | None, workers: int, object_store_mb: int = 512, read_cpus: int = 1) -> None:
    """Join the cluster at ``address``, or start a local Ray on the loopback interface
    with ``workers`` CPUs for the annotation actors (or window tasks) and ``read_cpus``
    for the read/clean tasks."""
    try:
        import ray
    except ImportError:
        raise ChorusError("the Ray engine needs Ray: pip install 'chorus-news[ray]'") from None
    if ray.is_initialized():
        return
    logging.getLogger("ray").setLevel(logging.WARNING)
    quiet = {"log_to_driver": False, "configure_logging": True, "logging_level": logging.WARNING}
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            # one CPU per annotation actor, one more for the read/clean tasks
            ray.init(num_cpus=workers + read_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                     object_store_memory=object_store_mb * 1024 * 1024, **quiet)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - Ray raises many kinds; the user needs one line
        raise ChorusError(f"cannot start or join Ray{f' at {address}' if address else ''}: {one_line(exc)}") from None


def annotated_stream(paths: Sequence[str], settings: Settings, workers: int, split_bytes: int = SPLIT_BYTES) -> tuple[Iterator[tuple], list[Rejected]]:
    """The Ray Data pipeline over the inputs; yields ("doc", doc, vector, minhash, worker CPU s) or
    ("rejected", Rejected) in input order."""
    import ray
    import ray.data

    splits, rejected = plan_splits(paths, split_bytes)
    if not splits:
        return iter(()), rejected
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    # progress bars on a terminal; Ray Data's INFO lines (plans, progress logged when
    # stderr is not a terminal) stay out of the user's way
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    # Small blocks: an actor takes whole blocks, so a block is the unit that spreads
    # annotation over the actors (8-30 articles; a block costs
    # milliseconds of scheduling against seconds of annotation).
    ctx.target_max_block_size = BLOCK_BYTES
    ds = ray.data.from_items([{"split": pickle.dumps(s)} for s in splits], override_num_blocks=len(splits))
    ds = ds.map_batches(read_and_clean, batch_size=1, batch_format="numpy", fn_kwargs={"settings": settings}, num_cpus=0.5)
    ds = ds.map_batches(
        Annotator,
        batch_size=ANNOTATE_BATCH,
        batch_format="numpy",
        fn_constructor_kwargs={"settings": settings},
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,
    )

    def rows() -> Iterator[tuple]:
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy"):
            for blob in batch["item"]:
                yield pickle.loads(blob)

    return rows(), rejected


def ingest_ray(
    paths: Sequence[str],
    settings: Settings,
    *,
    store: Store | None = None,
    out: Path | None = None,
    address: str | None = None,
    split_bytes: int = SPLIT_BYTES,
) -> RayReport:
    """Run the pipeline on Ray; write to ``store`` (then assign stories) or to Parquet in ``out``."""
    if (store is None) == (out is None):
        raise ValueError("give exactly one of store and out")
    from chorus.engine.parquet import ParquetWriter

    workers = settings.workers or default_workers()
    writer = ParquetWriter(out, settings.embedder) if out is not None else None
    start_ray(address, workers)
    report = RayReport()
    stream, report.rejected = annotated_stream(paths, settings, workers, split_bytes)
    seen: dict[str, str] = {}
    vectors: dict[str, np.ndarray] = {}
    for row in stream:
        if row[0] == "rejected":
            report.rejected.append(row[1])
            continue
        _, doc, vector, minhash, cpu = row
        report.worker_cpu += cpu
        report.last_at = time.perf_counter()
        report.first_at = report.first_at or report.last_at
        if report.last_at - report.first_at < 0.05:
            report.first_n += 1
        a: AnnotatedArticle = doc
        if a.article.content_hash in seen:  # same content twice in this run: the first one counts
            report.already.append(Rejected(a.article.source, f"same article as {seen[a.article.content_hash]}"))
            continue
        seen[a.article.content_hash] = a.article.source
        if writer is not None:
            writer.add(a, vector, minhash)
            report.added.append(a.id)
        elif pipeline.store_article(a, store, report.already, report.rejected):
            vectors[a.id] = vector
            report.added.append(a.id)
    if writer is not None:
        writer.close()
        report.parts = writer.parts
    else:
        report.assigned = len(store.unassigned_article_ids())
        pipeline.assign_unassigned(store, settings, vectors=vectors, windows=ray_windows)
    return report


def ray_windows(windows: Sequence[Window], options: StoryOptions) -> Iterator[list[Placement]]:
    """Window runner for :func:`pipeline.assign_partitioned`: one Ray task per window
    (one CPU each; Ray runs as many at once as the cluster has CPUs), the results
    yielded in window order, so the driver writes window k while later ones still run."""
    import ray

    task = ray.remote(num_cpus=1)(assign_window)
    pending = deque(task.remote(w, options) for w in windows)
    while pending:
        yield ray.get(pending.popleft())


def load_parquet(path: Path, store: Store, settings: Settings) -> RayReport:
    """Bulk-load Parquet written by ``--out`` into a store, then assign stories (the
    vectors in the files are used when they come from the configured embedder)."""
    from chorus.engine.parquet import read_parquet

    report = RayReport()
    vectors: dict[str, np.ndarray] = {}
    for doc, vector, embedder in read_parquet(path):
        if pipeline.store_article(doc, store, report.already, report.rejected):
            report.added.append(doc.id)
            if embedder == settings.embedder:
                vectors[doc.id] = vector
    report.assigned = len(store.unassigned_article_ids())
    if settings.partition_days:  # the windows run as Ray tasks
        start_ray(None, settings.workers or default_workers(), read_cpus=0)
    pipeline.assign_unassigned(store, settings, vectors=vectors, windows=ray_windows)
    return report
