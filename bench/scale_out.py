"""Scale-out of the Ray engine: articles/s with 1 and 2 Ray workers, the scaling
efficiency rate_2 / (2 x rate_1), beside the plain single-process `chorus ingest`,
all on the same input in the same run; and the per-stage throughput of one core
(the basis of docs/SCALING.md).

    .venv/bin/python bench/scale_out.py [--data DIR] [--limit N] [--no-write]

Input: the first N te3-silver wire articles (AFP/APW, TimeML), read by chorus's
reader outside the timing and written as one JSON Lines file, so the Ray engine
splits it by line ranges as it would a large dump.

* single process: `chorus ingest FILE.jsonl --workers 1 --no-snapshots --db <temp>`, timed
  as a whole process (both sides load in bulk: no per-story snapshots);
* Ray, N workers: the Ray engine into a SQLite store (the same code as
  `chorus ingest --engine ray --workers N`), in a fresh process with a fresh local
  Ray; timed as a whole process and from the moment Ray is up (the run itself: model
  load in the actors, read, clean, annotate, signatures, embeddings, store, stories).
* stages: each stage function alone over the same articles in this process, one core.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, run_measured, write_block  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "bulk" / "te3-silver"

RAY_RUN = """
import json, sys, time
from chorus.config import Settings
from chorus.engine.ray_engine import ingest_ray, start_ray
from chorus.store import open_store
path, db, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
start_ray(None, workers)
t1 = time.perf_counter()
with open_store(db) as store:
    report = ingest_ray([path], Settings(workers=workers, snapshots=0), store=store, split_bytes=256 * 1024)
t2 = time.perf_counter()
print(json.dumps({"n": len(report.added), "init": t1 - t0, "run": t2 - t1, "assigned": report.assigned,
                  "steady": report.last_at - report.first_at, "first_n": report.first_n, "first": report.first_at - t1,
                  "cpu": report.worker_cpu}))
"""


def load() -> float:
    return os.getloadavg()[0]


def make_jsonl(files: list[str], out: Path) -> int:
    from chorus.read import read_inputs

    n = 0
    with open(out, "w", encoding="utf-8") as fh:
        for doc in read_inputs(files, max_bytes=10**8):
            if hasattr(doc, "text"):
                fh.write(json.dumps({"title": doc.title, "text": doc.text, "published": doc.published,
                                     "outlet": doc.outlet, "url": doc.url}, ensure_ascii=False) + "\n")  # fmt: skip
                n += 1
    return n


NAV = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(60))
SCRIPT = "<script>" + "var t=1;" * 2000 + "</script>"


def page_of(title: str, text: str) -> str:
    """A news page around the text: menus, a sidebar, related links, scripts, a footer
    (the weight of a real page; CC-News pages are tens of KB of HTML)."""
    body = "".join(f"<p>{p}</p>" for p in text.split("\n\n") if p.strip())
    related = "".join(f'<li><a href="/story/{i}">Another story headline number {i}</a></li>' for i in range(30))
    return (
        f"<html><head><title>{title}</title>{SCRIPT}<meta property='og:site_name' content='Wire'></head><body>"
        f"<header><nav><ul>{NAV}</ul></nav></header><main><article><h1>{title}</h1>{body}</article>"
        f"<aside><h2>Related</h2><ul>{related}</ul></aside></main><footer><ul>{NAV}</ul>© Wire</footer>{SCRIPT}</body></html>"
    )


def stages(path: Path, tmp: Path, sizes: dict) -> list[tuple[str, int, float]]:
    """(stage, items, seconds) for each stage function alone, in this process."""
    from chorus import pipeline
    from chorus.config import Settings
    from chorus.dedup import signature, signature_to_bytes
    from chorus.embed import get_embedder
    from chorus.nlp.annotate import annotate
    from chorus.nlp.model import load_model
    from chorus.store import open_store

    settings = Settings(workers=1, snapshots=0)
    out = []
    from chorus.read.common import Origin
    from chorus.read.html import read_html

    raws = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:200]]
    pages = [page_of(r["title"] or "", r["text"]).encode() for r in raws]
    t = time.perf_counter()
    for i, page in enumerate(pages):
        list(read_html(page, Origin(f"p{i}.html", None, "p")))
    out.append((f"HTML extraction (trafilatura + htmldate), synthetic {sum(map(len, pages)) / len(pages) / 1024:.0f} KB pages", len(pages), time.perf_counter() - t))
    t = time.perf_counter()
    prepared = pipeline.prepare([str(path)], settings)
    out.append(("read + clean", len(prepared.articles), time.perf_counter() - t))
    nlp = load_model()
    t = time.perf_counter()
    docs = list(annotate(prepared.articles, nlp))
    out.append(("annotate (spaCy sm, quotes, times)", len(docs), time.perf_counter() - t))
    t = time.perf_counter()
    sigs = [signature_to_bytes(signature(d.article.text)) for d in docs]
    out.append(("dedup signature (MinHash)", len(sigs), time.perf_counter() - t))
    get_embedder(settings.embedder)
    t = time.perf_counter()
    vectors = pipeline.story_vectors(docs, settings)
    out.append(("embedding (wordllama)", len(docs), time.perf_counter() - t))
    with open_store(str(tmp / "stages.db")) as store:
        t = time.perf_counter()
        for d in docs:
            store.add(d)
        out.append(("store (SQLite, one transaction per article)", len(docs), time.perf_counter() - t))
        t = time.perf_counter()
        n = len(store.unassigned_article_ids())
        pipeline.assign_unassigned(store, settings, vectors=dict(zip((d.id for d in docs), vectors)))
        out.append(("story assignment (incremental, date order)", n, time.perf_counter() - t))
    from chorus.engine.parquet import ParquetWriter

    t = time.perf_counter()
    writer = ParquetWriter(tmp / "parquet", settings.embedder)
    for d, v, sig in zip(docs, vectors, sigs):
        writer.add(d, v, sig)
    writer.close()
    out.append(("Parquet rows (lossless JSON + vector + MinHash)", len(docs), time.perf_counter() - t))
    sizes["text"] = sum(len(d.article.source_text.encode()) for d in docs) / len(docs)
    sizes["sqlite"] = sum(p.stat().st_size for p in tmp.glob("stages.db*")) / len(docs)
    sizes["parquet"] = sum(p.stat().st_size for p in (tmp / "parquet").glob("*.parquet")) / len(docs)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=500, help="use the first N files (default 500)")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/EVALUATION.md")
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"{args.data}: not found (it sits in ../shared/eval beside the repository)")
    files = sorted(str(p) for p in args.data.iterdir() if p.is_file())[: args.limit]
    python = sys.executable
    chorus = str(Path(python).with_name("chorus"))
    env = dict(os.environ)
    load_before = load()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "te3.jsonl"
        n_in = make_jsonl(files, data)
        runs: dict[str, dict] = {}
        wall, rss, _ = run_measured([chorus, "ingest", str(data), "--workers", "1", "--no-snapshots", "--db", str(tmp / "local.db")], env=env)
        runs["single"] = {"wall": wall, "rss": rss, "n": n_in}
        for workers in (1, 2):
            wall, rss, out = run_measured([python, "-c", RAY_RUN, str(data), str(tmp / f"ray{workers}.db"), str(workers)], env=env)
            result = json.loads(out.strip().splitlines()[-1])
            runs[f"ray{workers}"] = {"wall": wall, "rss": rss, **result}
        sizes: dict[str, float] = {}
        stage_rows = stages(data, tmp, sizes)
    load_after = load()

    def rate(run: dict, key: str = "wall") -> float:
        return run["n"] / run[key]

    def steady(run: dict) -> float:
        n = run["n"] - run["first_n"]
        return n / run["steady"] if run["steady"] > 0 and n > 0 else float("nan")  # nan: all came in one batch

    eff_steady = steady(runs["ray2"]) / (2 * steady(runs["ray1"])) if steady(runs["ray1"]) > 0 else float("nan")
    eff_run = rate(runs["ray2"], "run") / (2 * rate(runs["ray1"], "run"))
    eff_wall = rate(runs["ray2"]) / (2 * rate(runs["ray1"]))
    cmd = f"python bench/scale_out.py --limit {args.limit}"
    lines = [
        f"Ray scale-out, {n_in} te3-silver articles as one JSONL file, store output (SQLite), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Command: `{cmd}`.",
        "",
        f"**The machine was shared** (2 cores, other engineers' jobs running): load average {load_before:.1f} "
        f"before, {load_after:.1f} after. Absolute rates are low and noisy, and two workers compete with those "
        "jobs for the same two cores; compare within this run only.",
        "",
        "| run | articles/s whole process | after Ray start | steady state | wall s | Ray start s | first article after s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| single process: `chorus ingest --workers 1 --no-snapshots` | {rate(runs['single']):.1f} | — | — | {runs['single']['wall']:.1f} | — | — | {runs['single']['rss'] / 2**20:.0f} |",
    ]
    for w in (1, 2):
        r = runs[f"ray{w}"]
        lines.append(
            f"| Ray engine, {w} worker{'s' * (w > 1)} | {rate(r):.1f} | {rate(r, 'run'):.1f} | {steady(r):.1f} | {r['wall']:.1f} | {r['init']:.1f} | {r['first']:.1f} | {r['rss'] / 2**20:.0f} |"
        )
    lines += [
        "",
        f"Scaling efficiency rate_2 / (2 × rate_1): **{eff_steady:.2f}** in steady state, {eff_run:.2f} after Ray "
        f"start (actor start and model load included), {eff_wall:.2f} whole process (target ≥ 0.8). "
        f"Ray with 1 worker against the single process, whole process: {rate(runs['ray1']) / rate(runs['single']):.2f}×. "
        "Steady state: articles after the first batch over the time between the first and the last "
        "reaching the driver (what a long run sees, once Ray is up and the models are loaded).",
        "",
        f"Work per article on the workers (annotate, signature, embedding; CPU seconds measured inside each "
        f"worker): {1000 * runs['ray1']['cpu'] / runs['ray1']['n']:.0f} ms with 1 worker, "
        f"{1000 * runs['ray2']['cpu'] / runs['ray2']['n']:.0f} ms with 2, so articles per worker-CPU-second "
        f"scale by {(runs['ray1']['cpu'] / runs['ray1']['n']) / (runs['ray2']['cpu'] / runs['ray2']['n']):.2f} "
        "(1.00 = the second worker adds no overhead per article); a wall-clock efficiency below that is CPU "
        "the two workers did not get on this shared machine.",
        "",
        "Per stage, one core, in one process (the figures docs/SCALING.md extrapolates from):",
        "",
        "| stage | items | s | items/s |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {n} | {s:.2f} | {n / s:.0f} |" for name, n, s in stage_rows],
        "",
        f"Bytes per article: source text {sizes['text']:,.0f}; SQLite store (articles, annotations, "
        f"stories, search index) {sizes['sqlite']:,.0f}; Parquet {sizes['parquet']:,.0f}.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_block("scale_out", text)


if __name__ == "__main__":
    main()
