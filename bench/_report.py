"""Shared by the bench scripts: sample a process tree's memory, and write a figures
block into docs/EVALUATION.md between markers, replacing the previous run's block."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
EVALUATION = ROOT / "docs" / "EVALUATION.md"


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, int, str]:
    """Run a command; return (wall seconds, peak RSS of its whole process tree in
    bytes, sampled every 50 ms, and its stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    done.set()
    thread.join()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed with status {proc.returncode}")
    return time.perf_counter() - start, peak, out


def write_block(name: str, markdown: str, doc: Path = EVALUATION) -> None:
    """Replace the block between <!-- bench:NAME --> and <!-- /bench:NAME --> of ``doc``."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# {doc.stem.title()}\n"
    block = f"{begin}\n{markdown.rstrip()}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    tmp = doc.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(doc)
