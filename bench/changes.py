"""What story snapshots (`chorus changes`, alerts) add to ingest, against ingest with
snapshots off (`--no-snapshots`, the baseline), in the same run.

    .venv/bin/python bench/changes.py [--data DIR] [--follow DIR] [--repeat N] [--no-write]

bulk: `chorus ingest DIR` into an empty store, as a whole process (model load
included), with and without snapshots.
follow: the reports of DIR (default ../shared/seeds: one story told over a week)
ingested one `chorus ingest FILE` at a time into one store, as a watcher adds them;
with snapshots each call analyses the story it changed.
Each variant runs --repeat times, alternating; the median wall time is reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, run_measured, write_block  # noqa: E402

CHORUS = [sys.executable, "-m", "chorus"]


def ingest(paths: list[str], db: str, snapshots: bool) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CHORUS_WORKERS": "1"}
    flag = "--snapshots" if snapshots else "--no-snapshots"
    wall, _peak, _out = run_measured([*CHORUS, "ingest", *paths, "--db", db, flag], env=env)
    return wall


def bulk(data: Path, snapshots: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return ingest([str(data)], str(Path(tmp) / "b.db"), snapshots)


def follow(files: list[Path], snapshots: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "f.db")
        return sum(ingest([str(f)], db, snapshots) for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "examples" / "corpus")
    ap.add_argument("--follow", type=Path, default=ROOT.parent / "shared" / "seeds")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    files = sorted(p for p in args.follow.iterdir() if p.is_file()) if args.follow.is_dir() else []
    times: dict[str, list[float]] = {k: [] for k in ("bulk-off", "bulk-on", "follow-off", "follow-on")}
    for _ in range(args.repeat):
        for on in (False, True):
            times[f"bulk-{'on' if on else 'off'}"].append(bulk(args.data, on))
            if files:
                times[f"follow-{'on' if on else 'off'}"].append(follow(files, on))
    med = {k: statistics.median(v) for k, v in times.items() if v}
    rows = [
        f"| bulk: `chorus ingest {args.data.name}` into an empty store | {med['bulk-off']:.2f} | {med['bulk-on']:.2f} | {med['bulk-on'] / med['bulk-off']:.2f}× |"
    ]
    if files:
        rows.append(
            f"| follow: the {len(files)} files of `{args.follow.name}` ingested one call each (one story) | {med['follow-off']:.2f} | "
            f"{med['follow-on']:.2f} | {med['follow-on'] / med['follow-off']:.2f}× |"
        )
    table = "\n".join([
        f"Command: `.venv/bin/python bench/changes.py --repeat {args.repeat}`",
        "",
        f"Median of {args.repeat} alternating runs, whole `chorus ingest` processes (model load included), 1 annotation process.",
        "",
        "| ingest | `--no-snapshots` (baseline) s | snapshots on (default) s | ratio |",
        "|---|---|---|---|",
        *rows,
    ])  # fmt: skip
    print(table)
    if not args.no_write:
        write_block("changes", table)


if __name__ == "__main__":
    main()
