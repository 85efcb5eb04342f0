"""Story assignment partitioned by time window against the serial assignment: wall
time with the windows run in this process, on 1 and on 2 Ray workers, and how far the
partitioned stories agree with the serial ones (B-cubed F1 of partitioned vs serial
labels) and with the stream's generator topics (gold).

    .venv/bin/python bench/partition.py [--n 10000] [--per-day 300] [--days 7] [--no-write]

Input: the synthetic stream of bench/synth.py (recombined te3-silver wire copy, read
at run time from ../shared/eval/bulk/te3-silver), ``--n`` articles at ``--per-day`` a
day, with its WordLlama-equivalent lead vectors (handed to the assignment as the Ray
engine hands the workers' embeddings). Every variant starts from a fresh SQLite file
holding the articles unassigned (stored first, outside the timing, as `ingest --engine
ray` and `load-parquet` do), then runs, timed:

* serial: ``pipeline.assign_stories`` (what `assign_unassigned` runs today);
* reordered: the same serial assignment with the articles of each day taken in another
  (fixed, arbitrary) order: how far the serial stories themselves move when nothing but
  the order within a day changes (the yardstick for the agreement figures);
* partitioned, inline: ``pipeline.assign_partitioned`` with the windows one after
  another in this process (``partition.serial_runner``): the cost of partitioning alone;
* partitioned, Ray N workers: the same with ``ray_engine.ray_windows`` on a local Ray
  of N CPUs (started and its workers warmed before the timing; the start is reported).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core per process, workers too
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_block  # noqa: E402
from synth import DEFAULT_DATA, Plan, SynthOptions, load_source  # noqa: E402

from chorus import pipeline  # noqa: E402
from chorus.config import Settings  # noqa: E402
from chorus.evaluate.clusters import bcubed  # noqa: E402
from chorus.partition import serial_runner  # noqa: E402
from chorus.store import open_store  # noqa: E402


DAYS = [7]  # the default window length of this run (--days)


def _warm(_: int) -> int:
    import chorus.partition  # noqa: F401 - the import a window task pays once per worker
    import chorus.pipeline  # noqa: F401

    return os.getpid()


def run(variant: str, docs, vectors, settings: Settings, tmp: Path) -> dict:
    """One variant; "inline:14" is the inline variant with 14-day windows."""
    db = tmp / f"{variant.replace(':', '_')}.db"
    if ":" in variant:
        variant, days = variant.split(":")
        settings = replace(settings, partition_days=int(days))
    with open_store(str(db)) as store:
        store.add_many(docs)
        ray_start = 0.0
        if variant.startswith("ray"):
            import ray

            from chorus.engine.ray_engine import ray_windows, start_ray

            workers = int(variant[3:])
            t = time.perf_counter()
            start_ray(None, workers, read_cpus=0)  # as `chorus load-parquet --partition-days D --workers N`
            task = ray.remote(num_cpus=1)(_warm)
            pids = set(ray.get([task.remote(i) for i in range(workers * 4)]))
            ray_start = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        stitched = None
        if variant == "serial":
            pipeline.assign_stories(docs, store, settings, vectors=vectors)
        elif variant == "reordered":  # the serial assignment, each day's articles in another order
            features = [pipeline.story_features(d, vectors[d.id]) for d in docs]
            pipeline.assign_features(sorted(features, key=lambda f: (f.day, hashlib.sha1(f.article_id.encode()).digest())), store)
        else:
            runner = serial_runner if variant == "inline" else ray_windows
            stitched = pipeline.assign_partitioned(docs, store, settings, runner, vectors=vectors)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        labels = {d.id: store.story_of(d.id) for d in docs}
        n_stories = len(store.list_stories())
        merged = sum(1 for r in store.revisions() if r.kind == "merged")
    if variant.startswith("ray"):
        ray.shutdown()
    out = {"variant": variant if settings.partition_days == DAYS[0] else f"{variant}:{settings.partition_days}", "wall_s": round(wall, 2), "driver_cpu_s": round(cpu, 2), "stories": n_stories,
           "merged_revisions": merged, "labels": labels}  # fmt: skip
    if stitched is not None:
        out["stitched"] = stitched
    if ray_start:
        out["ray_start_s"] = round(ray_start, 1)
        out["ray_workers_seen"] = len(pids)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--per-day", type=int, default=300)
    parser.add_argument("--days", type=int, default=7, help="window length (partition_days)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--variants", default="serial,reordered,inline,ray1,ray2")
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/EVALUATION.md")
    args = parser.parse_args()

    t = time.perf_counter()
    plan = Plan(load_source(args.data), args.n, args.seed, SynthOptions(per_day=args.per_day))
    stream = list(plan.articles())
    docs = [a.doc for a in stream]
    vectors = {a.doc.id: a.embedding for a in stream}
    gold = {a.doc.id: int(a.topic) for a in stream}
    print(f"stream: {len(docs)} articles over {int(plan.day[-1]) + 1} days, {len(set(gold.values()))} topics "
          f"({time.perf_counter() - t:.0f} s to make)", file=sys.stderr)  # fmt: skip
    for d in docs:  # word weights are cached per word: warm them before any variant is timed
        pipeline.story_features(d, vectors[d.id])
    with open_store(":memory:") as warm:  # and the first assignment's one-off costs
        warm.add_many(docs[:300])
        pipeline.assign_stories(docs[:300], warm, Settings(), vectors=vectors)
    settings = Settings(partition_days=args.days)
    DAYS[0] = args.days
    load = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants.split(","):
            r = run(variant, docs, vectors, settings, Path(tmp))
            print(json.dumps({k: v for k, v in r.items() if k != "labels"}), file=sys.stderr)
            results.append(r)
    ids = sorted(gold)
    serial = next((r for r in results if r["variant"] == "serial"), None)
    rows = []
    for r in results:
        labels = [r["labels"][i] for i in ids]
        f_gold = bcubed(labels, [gold[i] for i in ids])
        p_serial, r_serial, f_serial = bcubed(labels, [serial["labels"][i] for i in ids]) if serial else (float("nan"),) * 3
        speed = serial["wall_s"] / r["wall_s"] if serial else float("nan")
        rows.append((r, f_gold, (p_serial, r_serial, f_serial), speed))
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load average {load:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after (2 shared cores). Command: `python bench/partition.py --n {args.n} "
        f"--per-day {args.per_day} --days {args.days}`. Stream: {len(docs)} synthetic articles over "
        f"{int(plan.day[-1]) + 1} days, {len(set(gold.values()))} generator topics; windows of {args.days} days.",
        "",
        "| assignment | wall s | speed-up vs serial | driver CPU s | stories | window stories stitched | merged revisions | B³ vs serial: P / R / F1 | B³ vs gold topics: P / R / F1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"serial": "serial (`assign_stories`)", "reordered": "serial, each day's articles in another order", "inline": "partitioned, windows inline (1 process)",
             "ray1": "partitioned, Ray 1 worker", "ray2": "partitioned, Ray 2 workers"}  # fmt: skip
    for r, f_gold, f_serial, speed in rows:
        lines.append(
            f"| {names.get(r['variant'], r['variant'].replace('inline:', 'partitioned inline, windows of ') + ' days')} | {r['wall_s']:.1f} | {speed:.2f}× | {r['driver_cpu_s']:.1f} | {r['stories']} "
            f"| {r.get('stitched', '—')} | {r['merged_revisions']} | {f_serial[0]:.3f} / {f_serial[1]:.3f} / **{f_serial[2]:.3f}** | {f_gold[0]:.3f} / {f_gold[1]:.3f} / **{f_gold[2]:.3f}** |"
        )
    starts = [f"{r['variant']} {r['ray_start_s']} s" for r in results if "ray_start_s" in r]
    if starts:
        lines += ["", f"Ray start and worker warm-up, not in the wall times above: {', '.join(starts)}."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_block("partition", text)


if __name__ == "__main__":
    main()
