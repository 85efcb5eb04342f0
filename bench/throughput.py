"""Ingest throughput against a bare spaCy baseline, in the same run.

    .venv/bin/python bench/throughput.py [--data DIR] [--limit N] [--no-write]

chorus: `chorus ingest DIR --db <temp>` as a user runs it (read, clean, annotate with
a 2-process pool, store in SQLite), timed as a whole process.
baseline: the same texts (read by chorus's reader, outside the timing) through a bare
single-process `nlp.pipe` with the full pipeline of the same model, timed as a whole
process including the model load and the file reading.
Both report articles/s, wall time and the peak RSS of the whole process tree.
Default data: ../shared/eval/bulk/te3-silver (2,452 AFP/APW wire articles).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import ROOT, run_measured, write_block  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval" / "bulk" / "te3-silver"

BASELINE = """
import sys, json
from chorus.read import read_inputs
from chorus.nlp.model import choose_model
import spacy
paths = json.loads(sys.argv[1])
texts = [d.text for d in read_inputs(paths, max_bytes=10**8) if hasattr(d, 'text')]
nlp = spacy.load(choose_model())
n = sum(1 for _ in nlp.pipe(texts, batch_size=32))
print(n)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N files (0 = all)")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/EVALUATION.md")
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"{args.data}: not found (it sits in ../shared/eval beside the repository)")
    files = sorted(str(p) for p in args.data.iterdir() if p.is_file())
    if args.limit:
        files = files[: args.limit]
    python = sys.executable
    chorus = str(Path(python).with_name("chorus"))
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "inputs"
        listing.mkdir()
        for f in files:  # a directory of links, so both runs read exactly these files
            os.symlink(f, listing / Path(f).name)
        db = str(Path(tmp) / "bench.db")
        c_wall, c_rss, c_out = run_measured([chorus, "ingest", str(listing), "--db", db])
        env = {**os.environ, "CHORUS_EXTRAS": "0"}
        p_wall, p_rss, p_out = run_measured([chorus, "ingest", str(listing), "--db", str(Path(tmp) / "plain.db")], env=env)
        b_wall, b_rss, b_out = run_measured([python, "-c", BASELINE, json.dumps([str(listing)])])
    n = len(files)
    added = int(c_out.split("added ", 1)[1].split(" ", 1)[0])
    c_rate, b_rate = added / c_wall, int(b_out.strip()) / b_wall
    p_rate = int(p_out.split("added ", 1)[1].split(" ", 1)[0]) / p_wall
    table = (
        f"Inputs: {n} files from `{args.data.name}`; chorus stored {added} articles. Machine: {os.cpu_count()} cores.\n\n"
        "| run | articles/s | wall s | peak RSS (MB, whole process tree) |\n|---|---|---|---|\n"
        f"| chorus ingest: read, clean, annotate (sentences, entities, quotes, time expressions) on 2 processes, store, assign stories | {c_rate:.1f} | {c_wall:.1f} | {c_rss / 2**20:.0f} |\n"
        f"| chorus ingest without quotes and time expressions (`CHORUS_EXTRAS=0`) | {p_rate:.1f} | {p_wall:.1f} | {p_rss / 2**20:.0f} |\n"
        f"| bare spaCy `nlp.pipe`, full pipeline, 1 process | {b_rate:.1f} | {b_wall:.1f} | {b_rss / 2**20:.0f} |\n\n"
        f"**Ratio chorus / bare spaCy: {c_rate / b_rate:.2f}×** (target ≥ 1.0×). "
        f"Quotes and time expressions add **{(p_rate / c_rate - 1) * 100:.0f} %** to ingest time (target ≤ 25 %).\n"
    )
    print(table)
    if not args.no_write and not args.limit:
        write_block("throughput", "Command: `.venv/bin/python bench/throughput.py`\n\n" + table)


if __name__ == "__main__":
    main()
