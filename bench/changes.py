"""What story snapshots (`chorus changes`, alerts) add to ingest, against ingest with
snapshots off (`--no-snapshots`, the baseline), in the same run.

    .venv/bin/python bench/changes.py [--data DIR] [--follow DIR] [--repeat N] [--no-write]

Timed in one process (the spaCy model and the embedder loaded once, before timing),
one annotation process, each variant into a fresh store:
bulk: `pipeline.ingest(DIR)` into an empty store, with and without snapshots.
follow: the reports of DIR (default ../shared/seeds: one story told over a week)
ingested one `pipeline.ingest([FILE])` call at a time in one process, as a watcher
adds them; with snapshots each call analyses the story it changed (sentence parses
kept between calls, as in a watcher; `chorus ingest FILE` per file starts cold).
Each variant runs --repeat times, alternating; the median wall time is reported.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, write_block  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))

def cold() -> None:
    """Forget the sentence parses kept from earlier runs: each run starts as a fresh
    process would (within a run, as in a long-running watcher, they are kept)."""
    from chorus.analyze import timeline

    timeline._PARSES.clear()


def ingest_time(paths: list[str], store, snapshots: bool) -> float:
    from chorus import pipeline
    from chorus.config import Settings

    start = time.perf_counter()
    pipeline.ingest(paths, store, Settings(workers=1, snapshots=int(snapshots)))
    return time.perf_counter() - start


def bulk(data: Path, snapshots: bool) -> float:
    from chorus.store import open_store

    cold()
    with open_store(":memory:") as store:
        return ingest_time([str(data)], store, snapshots)


def follow(files: list[Path], snapshots: bool) -> float:
    from chorus.store import open_store

    cold()
    with open_store(":memory:") as store:
        return sum(ingest_time([str(f)], store, snapshots) for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "examples" / "corpus")
    ap.add_argument("--follow", type=Path, default=ROOT.parent / "shared" / "seeds")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    files = sorted(p for p in args.follow.iterdir() if p.is_file()) if args.follow.is_dir() else []
    from chorus.analyze import timeline

    variants = ("off", "on", "on-nocache")
    times: dict[str, list[float]] = {f"{k}-{v}": [] for k in ("bulk", "follow") for v in variants}
    bulk(args.data, True)  # warm-up, untimed: loads the spaCy model and the embedder
    keep = timeline._PARSES_MAX
    for _ in range(args.repeat):
        for v in variants:
            timeline._PARSES_MAX = 0 if v == "on-nocache" else keep  # the parse cache off: as before it existed
            times[f"bulk-{v}"].append(bulk(args.data, v != "off"))
            if files:
                times[f"follow-{v}"].append(follow(files, v != "off"))
    timeline._PARSES_MAX = keep
    med = {k: statistics.median(v) for k, v in times.items() if v}

    def row(label: str, key: str) -> str:
        off, on, nocache = med[f"{key}-off"], med[f"{key}-on"], med[f"{key}-on-nocache"]
        return f"| {label} | {off:.2f} | {on:.2f} | **{on / off:.2f}×** | {nocache:.2f} ({nocache / off:.2f}×) |"

    rows = [row(f"bulk: `chorus ingest {args.data.name}` into an empty store", "bulk")]
    if files:
        rows.append(row(f"follow: the {len(files)} files of `{args.follow.name}` ingested one call each (one story)", "follow"))
    table = "\n".join([
        f"Command: `.venv/bin/python bench/changes.py --repeat {args.repeat}`",
        "",
        f"Median of {args.repeat} alternating runs in one process (models loaded before timing), 1 annotation process, "
        "in-memory stores. The difference is the analysis of each changed story (one per story per ingest call).",
        "",
        "| ingest | `--no-snapshots` (baseline) s | snapshots on (default) s | ratio | snapshots on, without the sentence-parse cache s |",
        "|---|---|---|---|---|",
        *rows,
    ])  # fmt: skip
    print(table)
    if not args.no_write:
        write_block("changes", table)


if __name__ == "__main__":
    main()
