"""The quality gate: every pinned evaluation is re-run with its pinned options and must
not score below its pin (src/chorus/evaluate/baselines.json)."""

from __future__ import annotations

import pytest

from chorus import evaluate

pytestmark = pytest.mark.slow

PINS = [(task, pin) for task, pins in evaluate.pinned().items() for pin in pins if pin.get("ci", True)]


@pytest.mark.parametrize("task,pin", PINS, ids=[f"{t}-{'full' if not p.get('options') else 'subset'}" for t, p in PINS])
def test_score_does_not_drop_below_its_pin(task, pin):
    module = __import__(evaluate.TASKS[task], fromlist=["DEFAULT_DATA"])
    data = evaluate.default_data(module.DEFAULT_DATA)
    if not data.exists():
        pytest.skip(f"{data} is not here")
    result = evaluate.run(task, data, pin.get("options", {}))
    assert evaluate.regressions(result, pin.get("options", {})) == []


def test_regressions_are_reported_against_the_pin_for_the_same_options(monkeypatch):
    monkeypatch.setattr(evaluate, "pinned", lambda: {"time": [{"options": {}, "metrics": {"value_f1": 0.8}}]})
    good = evaluate.EvalResult("time", {"value_f1": 0.81})
    bad = evaluate.EvalResult("time", {"value_f1": 0.70})
    assert evaluate.regressions(good, {}) == []
    assert evaluate.regressions(bad, {}) == ["time value_f1: 0.7000 < pinned 0.8000"]
    assert evaluate.regressions(good, {"limit": "5"}) == ["time: no pinned baseline for options {'limit': '5'}"]
