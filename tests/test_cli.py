"""The command line as a user meets it: exit codes, reasons on stderr, the store."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from chorus.cli import cli

pytestmark = pytest.mark.slow

GOOD = (
    "Harbor strike ends after pay deal\n\n"
    "Dockworkers at the port of Vessby returned to work on Tuesday after union leaders accepted a pay offer of six percent.\n\n"
    "The strike had halted container traffic for nine days, the port authority said.\n"
)
OTHER = (
    "Dock strike over as workers accept offer\n\n"
    "Port workers in Vessby went back to work on Tuesday when their union accepted a six percent pay rise, ending a strike.\n\n"
    "Container traffic had been stopped for nine days, according to the port authority.\n"
)


@pytest.fixture()
def batch(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "vessby_post.txt").write_text(GOOD, encoding="utf-8")
    (d / "harbor_times.txt").write_text(OTHER, encoding="cp1252")
    (d / "empty.txt").write_bytes(b"")
    (d / "scan.pdf").write_bytes(b"%PDF-1.4 binary")
    return d


def test_brief_partial_batch_reports_each_bad_file_and_exits_3(batch):
    result = CliRunner().invoke(cli, ["brief", str(batch), "--format", "json"])
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert {a["outlet"] for a in data["articles"]} == {"vessby_post", "harbor_times"}
    assert len(data["stories"]) == 1  # the two reports of the strike are one story
    reasons = {r["source"].rsplit("/", 1)[-1]: r["reason"] for r in data["rejected"]}
    assert reasons["empty.txt"] == "empty file (0 bytes)"
    assert reasons["scan.pdf"].startswith("unknown file type '.pdf'")
    assert "empty.txt: empty file (0 bytes)" in result.stderr


def test_brief_with_nothing_usable_exits_4(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    result = CliRunner().invoke(cli, ["brief", str(tmp_path / "a.txt")])
    assert result.exit_code == 4


def test_ingest_is_idempotent_and_says_so(batch, tmp_path):
    db = str(tmp_path / "s.db")
    first = CliRunner().invoke(cli, ["ingest", str(batch), "--db", db])
    assert first.exit_code == 3
    assert first.stdout.startswith("added 2 articles, 0 already stored, 2 skipped")
    second = CliRunner().invoke(cli, ["ingest", str(batch), "--db", db])
    assert second.stdout.startswith("added 0 articles, 2 already stored, 2 skipped")
    assert "already stored as" in second.stderr
    listing = CliRunner().invoke(cli, ["articles", "--db", db, "--json"])
    rows = [json.loads(line) for line in listing.stdout.splitlines()]
    assert sorted(r["outlet"] for r in rows) == ["harbor_times", "vessby_post"]


def test_chorus_db_environment_variable_picks_the_store(batch, tmp_path):
    db = tmp_path / "env.db"
    result = CliRunner().invoke(cli, ["ingest", str(batch / "vessby_post.txt")], env={"CHORUS_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert db.exists()
    assert "1 in " + str(db) in result.stdout


def test_out_file_is_written_and_stdout_stays_clean(batch, tmp_path):
    out = tmp_path / "b.md"
    result = CliRunner().invoke(cli, ["brief", str(batch / "vessby_post.txt"), "--out", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("# chorus briefing: 1 story from 1 article")


def test_python_dash_m_chorus_and_stdin(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "chorus", "brief", "-", "--format", "json"],
        input=GOOD.encode(),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["articles"][0]["title"] == "Harbor strike ends after pay deal"


def test_usage_error_exits_2():
    result = subprocess.run([sys.executable, "-m", "chorus", "brief"], capture_output=True, timeout=60)
    assert result.returncode == 2
    assert b"Missing argument" in result.stderr


def test_help_shows_examples():
    for command in ("brief", "ingest", "articles"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert "Example" in result.stdout
