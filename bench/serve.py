"""Latency of `chorus serve` under load, on a store of 100k synthetic articles.

    .venv/bin/python bench/serve.py [--articles 100000] [--db PATH] [--clients 50]
                                    [--seconds 15] [--stories 8] [--no-write]

1. Store: ``--articles`` articles of the synthetic stream of ``bench/synth.py`` (wire
   sentences recombined into stories, 2,000 articles a day), bulk-loaded with
   ``Store.bulk_assign`` into ``--db`` (kept and reused when it already holds them).
2. Briefings: ``pipeline.refresh_briefings`` (the full analysis, as `chorus ingest`
   runs it) for ``--stories`` stories of 5 to 40 articles, the ones the load hits.
3. `chorus serve` on 127.0.0.1 (one process, as a user starts it), then a bounded load:
   Debian's ``wrk`` (falls back to a Python client when it is missing), ``--clients``
   connections kept busy for ``--seconds`` per endpoint, no think time:
   the stories page, one story page, a search page, and the API (stories list, story).
   Reported: requests/s, p50/p99 latency, errors (non-2xx answers and socket errors).
Traffic goes to the loopback server this script started, nowhere else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_block  # noqa: E402

TARGET_P99_MS = 100.0


def build(db: str, n: int, seed: int) -> None:
    from synth import DEFAULT_DATA, Plan, build_store, load_source

    from chorus.store import open_store

    with open_store(db) as store:
        have = store.count_articles()
        if have >= n:
            print(f"store {db}: {have:,} articles, reused", file=sys.stderr)
            return
    if have:
        sys.exit(f"{db} holds {have:,} articles, fewer than {n:,}: remove it or pass another --db")
    start = time.perf_counter()
    plan = Plan(load_source(DEFAULT_DATA), n, seed)
    with open_store(db) as store:
        stored = build_store(store, plan, 0, n)
    print(f"store {db}: {stored:,} articles bulk-loaded in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def pick_stories(db: str, count: int) -> list[tuple[str, int]]:
    """Stories of 5 to 40 articles, spread over the listing, with their size."""
    from chorus.store import open_store
    from chorus.store.base import StoryQuery

    with open_store(db) as store:
        rows, _ = store.find_stories(StoryQuery(sort="size"), limit=5000)
    mid = [r for r in rows if 5 <= r.n_articles <= 40]
    step = max(1, len(mid) // max(count, 1))
    return [(r.id, r.n_articles) for r in mid[::step][:count]]


def warm(db: str, stories: list[tuple[str, int]]) -> tuple[float, int]:
    from chorus import pipeline
    from chorus.config import load_settings
    from chorus.store import open_store

    settings = load_settings({"db": db})
    start = time.perf_counter()
    with open_store(db) as store:
        todo = [sid for sid, _ in stories if store.briefing_stamp(sid) is None]
        pipeline.refresh_briefings(store, todo, settings)
    return time.perf_counter() - start, len(todo)


def search_word(db: str, story_id: str) -> str:
    """The longest word of the story's title: what someone following it would type."""
    from chorus.store import open_store

    with open_store(db) as store:
        title = store.get_story(story_id).title
    words = sorted((w for w in title.split() if w.isalpha()), key=lambda w: (-len(w), w))
    return (words[0] if words else "police").lower()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_wrk(url: str, clients: int, seconds: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    sock = sum(int(x) for x in m.groups()) if (m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)) else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"requests": total, "rps": rps, "p50": ms("50"), "p99": ms("99"), "errors": non2xx + sock}


def run_python(url: str, clients: int, seconds: int) -> dict:
    """The same closed loop as wrk, in Python (slower: it shares the 2 cores)."""
    import httpx

    async def main() -> dict:
        times: list[float] = []
        errors = 0
        stop = time.perf_counter() + seconds
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < stop:
                    t = time.perf_counter()
                    try:
                        r = await client.get(url)
                        ok = r.status_code < 400
                    except httpx.HTTPError:
                        ok = False
                    times.append(time.perf_counter() - t)
                    errors += not ok

            await asyncio.gather(*(worker() for _ in range(clients)))
        times.sort()
        q = statistics.quantiles(times, n=100)
        return {"requests": len(times), "rps": len(times) / seconds, "p50": q[49] * 1000, "p99": q[98] * 1000, "errors": errors}

    return asyncio.run(main())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--db", default=str(Path(os.environ.get("TMPDIR", "/tmp")) / "chorus-bench-serve.db"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--stories", type=int, default=8, help="stories whose briefing is computed (the load hits the first)")
    ap.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/EVALUATION.md")
    args = ap.parse_args()

    build(args.db, args.articles, args.seed)
    stories = pick_stories(args.db, args.stories)
    if not stories:
        sys.exit("no story of 5 to 40 articles in the store")
    warm_s, computed = warm(args.db, stories)
    story, size = stories[0]
    word = search_word(args.db, story)
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    load = run_wrk if use_wrk else run_python

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CHORUS_TOKEN"}
    chorus = str(Path(sys.executable).with_name("chorus"))
    server = subprocess.Popen([chorus, "serve", "--db", args.db, "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    endpoints = [
        ("stories page", "/stories"),
        (f"story page ({size} articles)", f"/stories/{story}"),
        (f"search page (\u201c{word}\u201d)", f"/search?q={word}"),
        ("API: stories list", "/api/v1/stories?limit=50"),
        ("API: story briefing", f"/api/v1/stories/{story}"),
    ]
    results = []
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/api/v1/outlets", timeout=2)
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("chorus serve did not start")
                time.sleep(0.3)
        for name, path in endpoints:
            t = time.perf_counter()  # the first request renders (and fills the answer cache)
            httpx.get(base + path, timeout=60).raise_for_status()
            cold = (time.perf_counter() - t) * 1000
            for _ in range(3):  # warm: the answer cache, SQLite's page cache
                r = httpx.get(base + path, timeout=30)
                r.raise_for_status()
            res = load(base + path, args.clients, args.seconds)
            res.update(name=name, path=path, bytes=len(r.content), cold=cold)
            results.append(res)
            print(f"{name:34} {res['rps']:8.0f} req/s  p50 {res['p50']:7.1f} ms  p99 {res['p99']:7.1f} ms  errors {res['errors']}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=20)

    from chorus.store import open_store
    from chorus.store.base import StoryQuery

    with open_store(args.db) as s:
        n_articles, n_stories = s.count_articles(), s.find_stories(StoryQuery(), limit=1)[1]
    story_p99 = next(r["p99"] for r in results if r["path"] == f"/stories/{story}")
    errors = sum(r["errors"] for r in results)
    rows = "\n".join(
        f"| {r['name']} | `{r['path']}` | {r['bytes'] / 1024:.0f} | {r['cold']:.0f} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |"
        for r in results
    )
    verdict = "met" if story_p99 < TARGET_P99_MS and errors == 0 else "NOT met"
    md = f"""Command: `.venv/bin/python bench/serve.py --articles {args.articles} --clients {args.clients} --seconds {args.seconds}`

Store: {n_articles:,} synthetic articles in {n_stories:,} stories (`bench/synth.py`, bulk-loaded); briefings
computed for {len(stories)} stories of 5–40 articles (the analysis `chorus ingest` runs; {f"{warm_s:.0f} s for {computed}" if computed else "kept from an earlier run on this store"}).
Server: `chorus serve` (one uvicorn process) on 127.0.0.1. Load: {"wrk" if use_wrk else "Python httpx client"}, {args.clients} connections
kept busy (no think time) for {args.seconds} s per row, on the same 2 cores as the server. Machine: {os.cpu_count()} cores.

| endpoint | path | KiB | first request ms | req/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|---|---|
{rows}

**Story page p99: {story_p99:.1f} ms, {errors} errors** (target < {TARGET_P99_MS:.0f} ms, 0 errors: {verdict}).

"First request" renders the answer (reading the cached briefing or running the query) and
keeps it in the server's answer cache, keyed by the briefing's or the store's change stamp;
the load then measures what every later reader gets until the data changes. Sizes are
uncompressed (wrk does not ask for gzip; browsers get the page compressed, about a tenth)."""
    print(md)
    if not args.no_write:
        write_block("serve", md)


if __name__ == "__main__":
    main()
