"""Reliability figures for docs/RELIABILITY.md: the hostile corpus, the fuzzing run and
the kill -9 crash test, measured in one run.

    PYTHONPATH=src .venv/bin/python bench/reliability.py [--skip-crash] [--skip-fuzz] [--explore] [--no-write]

hostile: each case of tests/hostile.py read and cleaned (`pipeline.prepare`) in a batch
with one good file, in a forked child (address-space limit +1.5 GB, 30 s timeout):
outcome, wall time, peak RSS growth of the child over the parent. Then the whole corpus
(without the pipe, device and link loop) as one `chorus ingest` (read, clean, annotate,
store) and one `chorus brief`, timed, peak RSS of the process tree.
fuzz: tests/test_fuzz.py under HYPOTHESIS_PROFILE=ci (and =explore with --explore).
crash: tests/test_crash.py's procedure (20 seeded kill -9 moments, then a re-run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from _report import ROOT, run_measured, write_block  # noqa: E402

import hostile  # noqa: E402
from chorus.config import Settings  # noqa: E402
from chorus.pipeline import prepare  # noqa: E402

DOC = ROOT / "docs" / "RELIABILITY.md"
COMMAND = "PYTHONPATH=src .venv/bin/python bench/reliability.py"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def hostile_table(tmp: Path) -> str:
    good = hostile.write_good(tmp)
    rows = ["| case | input | expected | outcome (reason as the user sees it) | time s | peak MB |", "|---|---|---|---|---:|---:|"]
    for case in hostile.CASES.values():
        if not hostile.applicable(case):
            rows.append(f"| {case.name} | {_cell(case.what)} | {case.expect} | not run here (needs a non-root user) | | |")
            continue
        path = hostile.write_case(case, tmp)

        def run(path: Path = path) -> tuple[int, list[str]]:
            p = prepare([str(path), str(good)], Settings())
            mine = [a for a in p.articles if a.source != str(good)]
            reasons = [r.reason for r in p.rejected + p.duplicates]
            return len(mine), reasons

        out = hostile.run_bounded(run, seconds=30, extra_mb=1500)
        if not out.ok:
            outcome = f"FAILED: {out.value}"
        else:
            n, reasons = out.value
            shown = reasons[0] if len(reasons) == 1 else (f"{len(reasons)} reasons, e.g. {reasons[0]}; last: {reasons[-1]}" if reasons else "")
            outcome = f"{n} read" + (f"; {shown}" if shown else "")
        rows.append(f"| {case.name} | {_cell(case.what)} | {case.expect} | {_cell(outcome[:300])} | {out.seconds:.2f} | {out.peak_mb:.0f} |")
    return "\n".join(rows)


def end_to_end(tmp: Path) -> str:
    folder = tmp / "in"
    skip = {"fifo", "device", "symlink_loop", "bullet_box_3000"}  # as tests/test_hostile.py
    for case in hostile.CASES.values():
        if hostile.applicable(case) and case.name not in skip:
            hostile.write_case(case, folder)
    hostile.write_good(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    lines = ["| command | exit | wall s | peak RSS MB | stdout |", "|---|---:|---:|---:|---|"]
    for name, cmd in (
        ("ingest", [sys.executable, "-m", "chorus", "ingest", str(folder), "--db", str(tmp / "h.db"), "--workers", "1"]),
        ("brief", [sys.executable, "-m", "chorus", "brief", str(folder), "--format", "json", "--out", str(tmp / "b.json"), "--workers", "1"]),
    ):
        seconds, peak, out, code = _measured(cmd, env)
        lines.append(f"| chorus {name} (whole corpus) | {code} | {seconds:.1f} | {peak / 1e6:.0f} | {_cell(out.strip()[:160])} |")
    return "\n".join(lines)


def _measured(cmd: list[str], env: dict) -> tuple[float, int, str, int]:
    # run_measured exits on a non-zero status; exit 3 (partial) is the expected one here
    wrapped = [sys.executable, "-c", "import subprocess,sys; r=subprocess.run(sys.argv[1:]); print('exit', r.returncode)", *cmd]
    seconds, peak, out = run_measured(wrapped, env=env)
    code = int(out.strip().rsplit("exit ", 1)[-1])
    return seconds, peak, out.rsplit("exit ", 1)[0], code


def fuzz(explore: bool) -> str:
    lines = ["| profile | examples per test | tests | wall s | result |", "|---|---:|---:|---:|---|"]
    for profile, examples in (("ci", 60), *((("explore", 1000),) if explore else ())):
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HYPOTHESIS_PROFILE": profile}
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py"],
                             capture_output=True, text=True, env=env, cwd=ROOT)
        summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-200:]
        lines.append(f"| {profile} | {examples} | 13 | {time.perf_counter() - started:.0f} | {_cell(summary)} |")
    return "\n".join(lines)


def crash(tmp: Path) -> str:
    from test_crash import RUNS, SEED, crash_runs

    started = time.perf_counter()
    f = crash_runs(tmp)
    rows = [f"{RUNS} runs, seed {SEED}, total {time.perf_counter() - started:.0f} s; corpus grows by 20 reports per run "
            f"(12 to {f.total}); re-run after the last kill: {f.recover_seconds} s, all {f.total} articles stored once, "
            "every check passed after every kill.", "",
            "| run | killed at s | articles in corpus | seen committed before the kill | stored after the kill (all found, once) | of them not yet in a story |",
            "|---:|---:|---:|---:|---:|---:|"]
    for i, (k, n, c, s, u) in enumerate(zip(f.kills, f.corpus_size, f.committed_before, f.stored_after, f.unassigned_after), start=1):
        rows.append(f"| {i} | {k if k >= 0 else 'finished first'} | {n} | {c} | {s} | {u} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--skip-crash", action="store_true")
    ap.add_argument("--skip-fuzz", action="store_true")
    ap.add_argument("--explore", action="store_true", help="also run the fuzz suite with 1000 random examples per test")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    blocks = {}
    with tempfile.TemporaryDirectory() as tmp:
        blocks["hostile"] = hostile_table(Path(tmp, "cases")) + f"\n\nMeasured with `{COMMAND}`."
        blocks["hostile-e2e"] = end_to_end(Path(tmp, "e2e")) + f"\n\nMeasured with `{COMMAND}`."
        if not args.skip_fuzz:
            blocks["fuzz"] = fuzz(args.explore) + f"\n\nMeasured with `{COMMAND}{' --explore' if args.explore else ''}`."
        if not args.skip_crash:
            Path(tmp, "crash").mkdir()
            blocks["crash"] = crash(Path(tmp, "crash")) + f"\n\nMeasured with `{COMMAND}` (the same procedure as `pytest tests/test_crash.py`)."
    for name, markdown in blocks.items():
        print(markdown, end="\n\n")
        if not args.no_write:
            write_block(name, markdown, doc=DOC)


if __name__ == "__main__":
    main()
