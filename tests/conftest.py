from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Fuzzing: CI runs a fixed, derandomized set of examples (the same every run, fast);
# HYPOTHESIS_PROFILE=explore looks for new failures with more, random examples.
settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None, print_blob=True)
settings.register_profile("explore", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
EVAL = ROOT.parent / "shared" / "eval"
EXAMPLES = ROOT / "examples" / "corpus"


@pytest.fixture(scope="session")
def nlp():
    from chorus.nlp.model import load_model

    return load_model()


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not here (it sits in ../shared beside the repository)")
    return path


# -- PostgreSQL: one throwaway server per test session, a fresh database per test ------
@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server on a loopback port (tests/pgserver.py). Skipped when the
    server binaries are missing, unless CHORUS_REQUIRE_POSTGRES=1 (set by .ci/run:
    there a missing server is a failure, not a skip)."""
    from pgserver import PgServer, pg_bin

    if pg_bin() is None:
        message = "PostgreSQL server binaries not installed (scripts/install-system-deps.sh installs them)"
        if os.environ.get("CHORUS_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server):
    """The URL of a new, empty PostgreSQL database (dropped after the test)."""
    url = pg_server.create_db()
    yield url
    pg_server.drop_db(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path: Path) -> str:
    """A store location on each backend in turn: an SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "chorus.db")
    return request.getfixturevalue("pg_url")
