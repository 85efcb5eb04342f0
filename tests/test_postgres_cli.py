"""Every command that reads or writes a store answers the same on PostgreSQL as on
SQLite (``--db postgresql://…``), on the bundled example corpus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from chorus.cli import cli
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ][\d:.]+(\+00:00| UTC)?")


def _masked(text: str, db: str) -> str:
    """Output with the store's location and the wall-clock times taken out."""
    return _TIME.sub("TIME", text.replace(db, "DB"))


def test_every_store_command_answers_the_same_on_postgresql_as_on_sqlite(pg_url: str, tmp_path: Path) -> None:
    sqlite = str(tmp_path / "chorus.db")
    outputs: dict[str, list[str]] = {sqlite: [], pg_url: []}
    for db in (sqlite, pg_url):
        def run(*args: str, db: str = db) -> str:
            result = CliRunner().invoke(cli, [*args, "--db", db])
            assert result.exit_code == 0, (args, result.output)
            outputs[db].append(_masked(result.output, db))
            return result.output

        assert "added 8 articles" in run("ingest", str(EXAMPLES))
        stories = [json.loads(line) for line in run("stories", "--json").splitlines()]
        assert len(stories) == 2
        run("articles", "--json")
        biggest = max(stories, key=lambda s: s["n_articles"])["id"]
        assert json.loads(run("show", biggest, "--format", "json"))["stories"][0]["claims"]
        run("changes", "--since", "1h", "--format", "json")
        run("alerts", "add", "--entity", "Selvania")
        assert "Selvania" in run("alerts", "list")
        run("digest", "--since", "1h")
        run("fetch-log")
        run("alerts", "remove", "1")
        assert "already stored" in run("ingest", str(EXAMPLES))
    assert outputs[pg_url] == outputs[sqlite]


def test_an_article_over_a_postgresql_limit_is_skipped_with_its_reason_and_the_rest_land(pg_url: str, tmp_path: Path) -> None:
    import random

    rng = random.Random(3)
    # an outlet name over the 2,704 bytes a btree index row may hold (random: no compression)
    huge = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(12_000))
    body = "The harbour authority of Velmora said on Tuesday that the north pier would reopen in May after repairs."
    records = [
        {"title": f"Velmora pier report {i}", "text": f"{body} Report number {i} adds that ferries resume soon.",
         "outlet": huge if i == 1 else f"Outlet {i}", "published": "2031-04-0" + str(i + 1)}
        for i in range(3)
    ]  # fmt: skip
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", str(path), "--db", pg_url, "--workers", "1"])
    assert result.exit_code == 3, result.output  # partial
    refused = [line for line in result.output.splitlines() if "the store refused it" in line]
    assert len(refused) == 1 and "batch.jsonl:2" in refused[0] and "index row" in refused[0], result.output
    assert "added 2 articles" in result.output
