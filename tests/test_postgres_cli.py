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
