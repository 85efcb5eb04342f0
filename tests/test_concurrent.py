"""Two `chorus ingest` processes write one store while `chorus serve` reads it, on
both backends: no article lost or stored twice, every article in exactly one story
with the stories' counts right, and no error on either side."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from chorus.store import open_store
from test_crash import write_report

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CHORUS_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)
    return env


def _serve(url: str, work: Path) -> tuple[subprocess.Popen, str, object]:
    port = _free_port()
    log = (work / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "chorus", "serve", "--db", url, "--port", str(port)],
                            env=_env(), cwd=work, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/v1/outlets", timeout=2).status_code == 200:
                return proc, base, log
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.close()
            pytest.fail(f"chorus serve did not start: {(work / 'serve.log').read_text()}")
        time.sleep(0.2)


def test_two_ingests_and_a_reader_at_once_lose_and_duplicate_nothing(store_url: str, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    for i in range(0, 40):
        write_report(first, i)
    for i in range(25, 65):  # reports 25-39 are in both inputs
        write_report(second, i)
    open_store(store_url).close()  # the schema, before the server and both writers start

    server, base, log = _serve(store_url, tmp_path)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:  # what a user browsing meanwhile asks for
        with httpx.Client(base_url=base, timeout=30) as client:
            while not stop.is_set():
                try:
                    stories = client.get("/api/v1/stories", params={"limit": 20})
                    statuses[stories.status_code] += 1
                    for path in ("/api/v1/search?q=bridge", "/", "/api/v1/outlets"):
                        statuses[client.get(path).status_code] += 1
                    items = stories.json().get("items", []) if stories.status_code == 200 else []
                    if items:
                        statuses[client.get(f"/stories/{items[0]['id']}").status_code] += 1
                except (httpx.HTTPError, ValueError) as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        cmd = [sys.executable, "-m", "chorus", "ingest", "--db", store_url, "--workers", "1"]
        writers = [subprocess.Popen([*cmd, str(folder)], env=_env(), cwd=tmp_path, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for folder in (first, second)]  # fmt: skip
        outputs = [w.communicate(timeout=500) for w in writers]
    finally:
        stop.set()
        reader.join(timeout=60)
        server.terminate()
        server.wait(timeout=30)
        log.close()

    for writer, (out, err) in zip(writers, outputs):
        assert writer.returncode == 0, err
    added = [int(re.search(r"added (\d+) article", out).group(1)) for out, _ in outputs]
    assert sum(added) == 65  # each shared report stored by exactly one of them
    assert failures == []
    assert set(statuses) == {200}, (statuses, (tmp_path / "serve.log").read_text()[-3000:])
    assert sum(statuses.values()) >= 5

    with open_store(store_url) as store:
        articles = store.list_articles()
        assert len(articles) == 65 and len({a.id for a in articles}) == 65
        assert {a.title for a in articles} == {f"Bridge works in {t}, report {i}" for i in range(65) for t in [_town(i)]}
        assert store.unassigned_article_ids() == []
        live = store.list_stories()
        members = [i for s in live for i in store.story_article_ids(s.id)]
        assert sorted(members) == sorted(a.id for a in articles)  # each article in exactly one story
        for s in live:  # the running counts agree with the rows: no interleaved assignment
            assert s.n_articles == len(store.story_article_ids(s.id)), s
        placed = Counter(r.detail["article"] for r in store.revisions() if r.kind in ("created", "added"))
        assert set(placed.values()) == {1} and len(placed) == 65


def _town(i: int) -> str:
    from test_crash import TOWNS

    return TOWNS[i % len(TOWNS)]


def test_two_processes_assigning_at_once_place_each_article_once(store_url: str) -> None:
    """Two chorus processes (two stores on one database, in threads here) assigning the
    same unassigned articles at once: each article is placed once, and the story's
    running count matches its rows (an interleaved decision would overwrite it)."""
    import numpy as np

    from chorus import pipeline
    from chorus.config import Settings
    from test_store import make_doc

    docs = [make_doc(n) for n in range(60)]  # one story: every report names Alice Novak and Riverton
    rng = np.random.default_rng(7)
    base = rng.normal(size=32)
    vectors = {}
    for d in docs:
        v = base + rng.normal(scale=0.2, size=32)
        vectors[d.id] = (v / np.linalg.norm(v)).astype(np.float32)
    with open_store(store_url) as store:
        store.add_many(docs)
    errors: list[BaseException] = []
    start = threading.Barrier(2, timeout=30)

    def assign() -> None:
        try:
            with open_store(store_url) as store:
                start.wait()
                pipeline.assign_stories(docs, store, Settings(workers=1), vectors=vectors)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=assign) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(store_url) as store:
        assert store.unassigned_article_ids() == []
        live = store.list_stories()
        assert sorted(i for s in live for i in store.story_article_ids(s.id)) == sorted(d.id for d in docs)
        for s in live:
            assert s.n_articles == len(store.story_article_ids(s.id)), s
        placed = Counter(r.detail["article"] for r in store.revisions() if r.kind in ("created", "added"))
        assert set(placed.values()) == {1} and len(placed) == 60
