"""PostgreSQL against SQLite (the baseline), in the same run, on the same synthetic stream.

    .venv/bin/python bench/backends.py [--n 20000] [--timed 300] [--reads 200] [--seed 7]
                                       [--pg-url postgresql://…] [--no-write]

For each backend: bulk-load the first ``n`` articles of the ``bench/synth.py`` stream
(``Store.bulk_assign``), then add and assign the next ``--timed`` articles one by one as
`chorus ingest` does (``store.add`` + ``pipeline.assign_stories`` with the stream's
vectors standing in for WordLlama's), then time what the web app reads per request
(the story listing, one story's row and articles, a full-text search). PostgreSQL runs
on a throwaway server started here (``tests/pgserver.py``: initdb + pg_ctl on a
loopback port, fsync off as in the tests) unless ``--pg-url`` names one. Figures are
per operation (p50 / p95 ms) with PostgreSQL / SQLite ratios, written to
docs/EVALUATION.md (block ``backends``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
from _report import write_block  # noqa: E402
from synth import DEFAULT_DATA, Plan, StreamVectors, build_store, load_source  # noqa: E402


def _pct(values: list[float]) -> tuple[float, float]:
    ms = sorted(v * 1000 for v in values)
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def measure(url: str, plan: Plan, n: int, timed: int, reads: int) -> dict:
    import chorus.pipeline as pipeline
    from chorus.config import Settings
    from chorus.store import open_store
    from chorus.store.base import StoryQuery

    out: dict = {}
    with open_store(url) as store:
        t = time.perf_counter()
        build_store(store, plan, 0, n, batch=5_000)
        out["bulk_per_s"] = n / (time.perf_counter() - t)

        vectors = StreamVectors()
        pipeline.get_embedder = lambda name="": vectors  # type: ignore[assignment]
        settings = Settings(db=url)
        adds, assigns = [], []
        for a in plan.articles(n, n + timed):
            vectors.next = a.embedding
            t = time.perf_counter()
            store.add(a.doc)
            adds.append(time.perf_counter() - t)
            t = time.perf_counter()
            pipeline.assign_stories([a.doc], store, settings)
            assigns.append(time.perf_counter() - t)
        out["add"] = _pct(adds)
        out["assign"] = _pct(assigns)

        listing = store.find_stories(StoryQuery(sort="recent"), limit=50)[0]
        ids = [s.id for s in listing]
        words = [w for w in plan.article(n).doc.article.title.split() if len(w) > 4][:2] or ["said"]
        ops = {
            "story listing (50)": lambda i: store.find_stories(StoryQuery(sort="recent"), limit=50, offset=(i % 4) * 50),
            "story row + article ids": lambda i: (store.get_story(ids[i % len(ids)]), store.story_article_ids(ids[i % len(ids)])),
            "search articles (20)": lambda i: store.search_articles(words[i % len(words)], limit=20),
            "filtered listing (words)": lambda i: store.find_stories(StoryQuery(text=words[i % len(words)]), limit=50),
        }
        for name, op in ops.items():
            op(0)  # warm
            times = []
            for i in range(reads):
                t = time.perf_counter()
                op(i)
                times.append(time.perf_counter() - t)
            out[name] = _pct(times)
        out["articles"] = store.count_articles()
        out["hits"] = [store.search_articles(w, limit=1)[1] for w in words]
        out["words"] = words
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--timed", type=int, default=300)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    plan = Plan(load_source(args.data), args.n + args.timed + 10, args.seed)
    server = None
    if not args.pg_url:
        from pgserver import PgServer

        server = PgServer().start()
    try:
        pg_url = args.pg_url or server.create_db("bench")
        version = _pg_version(pg_url)
        with tempfile.TemporaryDirectory() as tmp:
            results = {
                "SQLite": measure(str(Path(tmp) / "bench.db"), plan, args.n, args.timed, args.reads),
                "PostgreSQL": measure(pg_url, plan, args.n, args.timed, args.reads),
            }
    finally:
        if server is not None:
            server.stop()

    s, p = results["SQLite"], results["PostgreSQL"]
    rows = [
        "| operation | SQLite p50 / p95 ms | PostgreSQL p50 / p95 ms | PostgreSQL / SQLite (p50) |",
        "|---|---|---|---|",
    ]
    for key, label in (("add", "add one article (`store.add`)"), ("assign", "assign one article to a story"),
                       ("story listing (50)", "story listing, a page of 50"), ("story row + article ids", "one story's row and article ids"),
                       ("search articles (20)", "full-text search of articles, 20 hits"), ("filtered listing (words)", "story listing filtered by words")):  # fmt: skip
        rows.append(f"| {label} | {s[key][0]:.2f} / {s[key][1]:.2f} | {p[key][0]:.2f} / {p[key][1]:.2f} | {p[key][0] / s[key][0]:.2f}× |")
    rows.append(f"| bulk load (`bulk_assign`), articles/s | {s['bulk_per_s']:,.0f} | {p['bulk_per_s']:,.0f} | {p['bulk_per_s'] / s['bulk_per_s']:.2f}× (rate) |")
    markdown = "\n".join([
        f"`.venv/bin/python bench/backends.py --n {args.n} --timed {args.timed} --reads {args.reads} --seed {args.seed}`"
        f" — {s['articles']:,} articles in each store (synthetic stream, bench/synth.py); PostgreSQL {version}"
        f" on a throwaway local server (fsync off), SQLite {_sqlite_version()} in WAL mode; load average {os.getloadavg()[0]:.1f}"
        f" at the end (2 shared cores). Searched words: {', '.join(s['words'])} — SQLite finds {s['hits']} articles,"
        f" PostgreSQL {p['hits']} (stemmed).",
        "",
        *rows,
    ])
    print(markdown)
    if not args.no_write:
        write_block("backends", markdown)


def _pg_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    main()
