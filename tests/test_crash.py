"""kill -9 in the middle of `chorus ingest` never leaves half an article, and a re-run
completes the rest."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow

TOWNS = ["Vessby", "Harwick", "Carrow", "Mirel", "Ostrand", "Pellam", "Quarry Hill", "Rensa"]


def write_corpus(folder, n: int) -> None:
    for i in range(n):
        town = TOWNS[i % len(TOWNS)]
        body = "\n\n".join(
            f"Officials in {town} said on Monday that repair work number {i}-{k} on the old bridge would finish by the end of the month."
            for k in range(6)
        )
        (folder / f"report_{i:03d}.txt").write_text(f"Bridge works in {town}, report {i}\n\n{body}\n", encoding="utf-8")


def count(db) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_during_ingest_leaves_whole_articles_and_rerun_completes(tmp_path):
    corpus = tmp_path / "in"
    corpus.mkdir()
    n = 90
    write_corpus(corpus, n)
    db = tmp_path / "s.db"
    cmd = [sys.executable, "-m", "chorus", "ingest", str(corpus), "--db", str(db), "--workers", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while count(db) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = count(db)
    assert 0 < before < n, "the kill should land mid-ingest"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = conn.execute(
            "SELECT a.n_sentences, (SELECT count(*) FROM sentences s WHERE s.article_id = a.id) FROM articles a"
        ).fetchall()
    assert all(expected == stored and stored > 0 for expected, stored in rows)
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith(f"added {n - before} articles, {before} already stored")
    assert count(db) == n
