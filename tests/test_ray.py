"""The Ray engine against the single-process pipeline on the same invented input
(text, JSON Lines and WARC, split into many small ranges): the same articles,
annotations, rejections and stories, through the store and through Parquet."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from chorus import pipeline
from chorus.config import Settings
from chorus.engine.ray_engine import line_starts, plan_splits, read_split
from chorus.models import RawDocument, Rejected
from chorus.store import open_store

from conftest import EXAMPLES

ray = pytest.importorskip("ray")

FERRY = (
    "Port Mirel council approves ferry plan {n}",
    "The harbour council of Port Mirel voted on Tuesday to approve ferry plan {n}, the mayor, Ana Velt, told "
    "reporters after the meeting. \u201cThis ferry will bring Skerry Island within reach of every family,\u201d "
    "Velt said.\n\nFerries under plan {n} will run from the old pier twice a day from March 2024, and tickets "
    "will cost {n} crowns, the council's transport officer, Per Oskarsson, said on Wednesday.",
)


def write_inputs(root: Path) -> list[str]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    root.mkdir()
    (root / "velt_interview.txt").write_text(
        "Mayor defends ferry plan costs\n\nPort Mirel's mayor, Ana Velt, said on Thursday that the ferry plan "
        "would pay for itself within ten years. \u201cThe island has waited long enough,\u201d she said.\n",
        encoding="utf-8",
    )
    lines = [json.dumps({"url": f"https://islandnews.example/ferry-{n}", "title": FERRY[0].format(n=n),
                         "text": FERRY[1].format(n=n), "published": f"2024-03-0{n}", "outlet": "Island News"})
             for n in range(1, 5)]  # fmt: skip
    lines.insert(2, "{not json")
    lines.insert(4, json.dumps({"text": 7}))
    (root / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(root / "crawl.warc.gz", "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        pages = [(f"https://ledger.example/ferry-{n}", FERRY[0].format(n=n), FERRY[1].format(n=n + 10)) for n in range(3)]
        pages.append(pages[0])  # crawled twice: the same article
        for uri, title, text in pages:
            body = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
            html = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(uri, "response", payload=io.BytesIO(html.encode()), http_headers=http,
                                                warc_headers_dict={"WARC-Date": "2024-03-04T09:00:00Z"}))  # fmt: skip
        http = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        w.write_record(w.create_warc_record("https://ledger.example/logo.png", "response", payload=io.BytesIO(b"\x89PNG..."), http_headers=http))
    return [str(EXAMPLES), str(root / "velt_interview.txt"), str(root / "wire.jsonl"), str(root / "crawl.warc.gz")]


def snapshot(db: str) -> dict:
    """Everything a user can see of an ingest: articles with their annotations, stories."""
    with open_store(db) as store:
        ids = sorted(r.id for r in store.list_articles())
        docs = {i: store.get(i) for i in ids}
        stories = {r.id: sorted(store.story_article_ids(r.id)) for r in store.list_stories()}
    return {"docs": docs, "stories": stories}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    return write_inputs(tmp_path_factory.mktemp("ray") / "in")


@pytest.fixture(scope="module")
def single(inputs, tmp_path_factory) -> tuple[dict, pipeline.IngestReport]:
    db = str(tmp_path_factory.mktemp("single") / "single.db")
    with open_store(db) as store:
        report = pipeline.ingest(inputs, store, Settings(workers=1))
    return snapshot(db), report


@pytest.fixture(scope="module")
def local_ray():
    from chorus.engine.ray_engine import start_ray

    start_ray(None, workers=2)
    yield
    ray.shutdown()


def test_splits_tile_a_jsonl_file_at_line_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    lines = [json.dumps({"text": f"record {i} " + "word " * (i % 7)}) for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = [(d.source, d.text) for d in read_split(plan_splits([str(path)], 1 << 30)[0][0], 10_000)]
    splits, _ = plan_splits([str(path)], 97)
    assert len(splits) > 10 and [s.start for s in splits] == [s for s, _ in line_starts(path, 97)]
    pieces = [(d.source, d.text) for s in splits for d in read_split(s, 10_000)]
    assert pieces == whole and whole[-1][0] == f"{path}:40"


def test_gzipped_jsonl_is_streamed_with_the_same_items_as_the_reader(tmp_path: Path) -> None:
    import gzip

    from chorus.read import read_inputs

    lines = [json.dumps({"text": f"record {i} " + " ".join(str(i * k * 7919 % 10007) for k in range(40)), "outlet": "Wire"}) for i in range(30)]
    lines[7] = "{broken"
    lines[12] = "[" * 5000 + "]" * 5000  # nested too deep for the JSON parser: that line alone
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "dump.jsonl.gz"
    path.write_bytes(data)
    (split,), _ = plan_splits([str(path)])
    assert split.mode == "gzlines"
    assert list(read_split(split, 1_000_000)) == list(read_inputs([str(path)], max_bytes=1_000_000))
    path.write_bytes(data[: len(data) // 2])  # cut: the lines before the damage still land
    items = list(read_split(split, 1_000_000))
    assert isinstance(items[-1], Rejected) and "truncated" in items[-1].reason
    assert items == list(read_inputs([str(path)], max_bytes=1_000_000))


def test_a_line_over_the_limit_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": "short one"}) + "\n" + json.dumps({"text": "x" * 5000}) + "\n" + json.dumps({"text": "after"}) + "\n")
    items = [i for s in plan_splits([str(path)], 1 << 30)[0] for i in read_split(s, 1000)]
    assert [type(i) for i in items] == [RawDocument, Rejected, RawDocument]
    assert items[1].source == f"{path}:2" and "limit" in items[1].reason and items[2].source == f"{path}:3"


def test_cli_refuses_ray_options_without_the_ray_engine_and_empty_parquet_dirs(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from chorus.cli import cli

    result = CliRunner().invoke(cli, ["ingest", "--out", str(tmp_path / "pq"), str(EXAMPLES)])
    assert result.exit_code == 2 and "--engine ray" in result.output
    result = CliRunner().invoke(cli, ["load-parquet", str(tmp_path), "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1 and "no part-*.parquet files" in result.output


@pytest.mark.slow
def test_ray_store_path_equals_single_process(inputs, single, local_ray, tmp_path: Path) -> None:
    from chorus.engine.ray_engine import ingest_ray

    expected, expected_report = single
    db = str(tmp_path / "ray.db")
    with open_store(db) as store:
        # tiny splits: the JSONL and the WARC are read as many ranges by parallel tasks
        report = ingest_ray(inputs, Settings(workers=2), store=store, split_bytes=700)
    got = snapshot(db)
    assert len(expected["docs"]) >= 12 and len(expected["stories"]) >= 3  # the input is not trivial
    assert sorted(got["docs"]) == sorted(expected["docs"])
    for article_id, doc in expected["docs"].items():  # text, offsets, sentences, mentions, quotes, times
        assert got["docs"][article_id] == doc, article_id
    assert any(d.quotes for d in got["docs"].values()) and any(d.times for d in got["docs"].values())
    assert got["stories"] == expected["stories"]
    assert sorted(report.added) == sorted(expected_report.added)
    assert sorted(report.rejected, key=repr) == sorted(expected_report.rejected, key=repr)
    assert sorted(report.already, key=repr) == sorted(expected_report.already, key=repr)
    assert any("same article as" in r.reason for r in report.already)


@pytest.mark.slow
def test_ray_parquet_then_load_equals_single_process(inputs, single, local_ray, tmp_path: Path, store_url: str) -> None:
    from click.testing import CliRunner

    from chorus.cli import cli

    out, db = tmp_path / "parquet", store_url  # loaded into SQLite, then into PostgreSQL
    written = CliRunner().invoke(cli, ["ingest", "--engine", "ray", "--workers", "2", "--out", str(out), *inputs])
    assert written.exit_code == 3, written.output  # 3: some inputs were skipped (the bad lines, the PNG)
    assert "Parquet file(s)" in written.output and sorted(out.glob("part-*.parquet"))
    loaded = CliRunner().invoke(cli, ["load-parquet", str(out), "--db", db])
    assert loaded.exit_code == 0, loaded.output
    assert snapshot(db) == single[0]
    again = CliRunner().invoke(cli, ["load-parquet", str(out), "--db", db])
    assert "added 0 articles" in again.output and snapshot(db) == single[0]


@pytest.mark.slow
def test_an_article_that_breaks_annotation_is_rejected_alone(monkeypatch) -> None:
    """A worker's batch with one article that makes annotation fail: that article is
    reported with the reason, the others of the batch are annotated."""
    import pickle

    import numpy as np

    from chorus.clean import clean
    from chorus.engine import ray_engine
    from chorus.pipeline import raw_from_text

    articles = [
        clean(raw_from_text(f"Mayor Ana Velt said on Tuesday that ferry plan {i} was approved.\n\nIt starts in spring.", source=f"plan{i}.txt"))
        for i in range(3)
    ]
    real = ray_engine.annotate

    def breaks_on_plan1(batch, nlp, extras):
        if any(a.source == "plan1.txt" for a in batch):
            raise RuntimeError("tagger fault")
        return real(batch, nlp, extras)

    monkeypatch.setattr(ray_engine, "annotate", breaks_on_plan1)
    column = np.empty(3, dtype=object)
    column[:] = [pickle.dumps(a) for a in articles]
    rows = [pickle.loads(b) for b in ray_engine.Annotator(Settings())({"item": column})["item"]]
    assert [r[0] for r in rows] == ["doc", "rejected", "doc"]
    assert rows[1][1] == Rejected("plan1.txt", "annotation failed (RuntimeError: tagger fault)")
    assert rows[0][1].article.source == "plan0.txt" and rows[0][1].sentences and len(rows[0][2]) > 0


@pytest.mark.slow
def test_partitioned_assignment_on_ray_gives_the_serial_stories(local_ray, tmp_path: Path) -> None:
    """The stream of tests/test_partition.py (three stories over three weeks, one
    crossing a week's edge, one undated report) through the tagger: `ingest --engine
    ray --partition-days 7` and `load-parquet --partition-days 7` store the same
    stories as the serial `chorus ingest`."""
    from click.testing import CliRunner

    from chorus.cli import cli
    from chorus.engine.ray_engine import ingest_ray
    from test_partition import records

    path = tmp_path / "wire.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records()) + "\n", encoding="utf-8")

    def stories(db: str) -> set[frozenset[str]]:
        return {frozenset(ids) for ids in snapshot(db)["stories"].values()}

    serial = str(tmp_path / "serial.db")
    with open_store(serial) as store:
        pipeline.ingest([str(path)], store, Settings(workers=1))
    assert len(stories(serial)) == 3 and max(len(s) for s in stories(serial)) == 5
    windows = str(tmp_path / "windows.db")
    with open_store(windows) as store:
        ingest_ray([str(path)], Settings(workers=2, partition_days=7), store=store)
    assert snapshot(windows)["stories"] == snapshot(serial)["stories"]  # the same article sets, the same ids
    out, loaded = tmp_path / "pq", str(tmp_path / "loaded.db")
    written = CliRunner().invoke(cli, ["ingest", "--engine", "ray", "--workers", "2", "--out", str(out), str(path)])
    assert written.exit_code == 0, written.output
    result = CliRunner().invoke(cli, ["load-parquet", str(out), "--db", loaded, "--partition-days", "7"])
    assert result.exit_code == 0, result.output
    assert stories(loaded) == stories(serial)
