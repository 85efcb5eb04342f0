from __future__ import annotations

from pathlib import Path

import pytest

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
