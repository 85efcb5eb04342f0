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
