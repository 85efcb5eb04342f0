"""Quality measured on real annotated data: one module per analysis stage.

Each task module defines ``evaluate(data: Path, options: dict) -> EvalResult`` and
``DEFAULT_DATA`` (a path relative to the repository's parent, where ../shared lives).
Scores are pinned in ``baselines.json`` beside this file; ``chorus eval TASK --check``
fails when a score drops below its pinned value by more than the tolerance.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

TASKS = {
    "quotes": "chorus.evaluate.quotes",
    "time": "chorus.evaluate.time",
    "clusters": "chorus.evaluate.clusters",
    "dedup": "chorus.evaluate.dedup",
    "summary": "chorus.evaluate.summary",
    "stance": "chorus.evaluate.stance",
}
TOLERANCE = 0.005  # scores are deterministic; this only absorbs float noise


@dataclass
class EvalResult:
    task: str
    metrics: dict[str, float]  # chorus's scores, 0-1 unless the name says otherwise
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> metrics, same run
    n: int = 0  # items scored
    notes: list[str] = field(default_factory=list)
    data: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def available() -> list[str]:
    out = []
    for name, module in TASKS.items():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        out.append(name)
    return out


def run(task: str, data: Path | None = None, options: dict | None = None) -> EvalResult:
    module = importlib.import_module(TASKS[task])
    data = data or default_data(module.DEFAULT_DATA)
    return module.evaluate(Path(data), options or {})


def default_data(relative: str) -> Path:
    """Shared data sits beside the repository (../shared) or beside the current directory."""
    repo = Path(__file__).resolve().parents[3]  # src/chorus/evaluate/__init__.py -> the checkout
    for base in (repo.parent, Path.cwd().parent, Path.cwd()):
        candidate = (base / relative).resolve()
        if candidate.exists():
            return candidate
    return (repo.parent / relative).resolve()


def pinned() -> dict[str, dict]:
    return json.loads(resources.files("chorus.evaluate").joinpath("baselines.json").read_text("utf-8"))


def pin_for(task: str, options: dict | None, data: str | Path | None = None) -> dict | None:
    """The pinned scores for a task run with exactly these options on this data (the
    task's default data when ``data`` is empty), if any. A task may pin its full run,
    a quicker one (a subset) that CI runs on every change, and runs on other data
    (a pin's ``"data"``, relative like ``DEFAULT_DATA``)."""
    default = importlib.import_module(TASKS[task]).DEFAULT_DATA if task in TASKS else ""
    ran = Path(data).resolve() if data else default_data(default)
    for pin in pinned().get(task, []):
        if pin.get("options", {}) == (options or {}) and default_data(pin.get("data", default)) == ran:
            return pin
    return None


def regressions(result: EvalResult, options: dict | None = None) -> list[str]:
    """Metrics that fell below the pinned baseline (an empty list is a pass)."""
    pin = pin_for(result.task, options, result.data)
    if pin is None:
        where = f" on {result.data}" if result.data else ""
        return [f"{result.task}: no pinned baseline for options {options or {}}{where}"]
    return [
        f"{result.task} {name}: {result.metrics.get(name, float('nan')):.4f} < pinned {floor:.4f}"
        for name, floor in pin["metrics"].items()
        if not result.metrics.get(name, float("-inf")) >= floor - TOLERANCE
    ]
