"""The quality gate: every pinned evaluation is re-run with its pinned options and must
not score below its pin (src/chorus/evaluate/baselines.json)."""

from __future__ import annotations

import pytest

from chorus import evaluate

pytestmark = pytest.mark.slow

PINS = [(task, pin) for task, pins in evaluate.pinned().items() for pin in pins if pin.get("ci", True)]


def pin_id(task: str, pin: dict) -> str:
    data = [pin["data"].removeprefix("shared/eval/").replace("/", "-")] if "data" in pin else []
    return "-".join([task, *data, "subset" if pin.get("options") else "full"])


@pytest.mark.parametrize("task,pin", PINS, ids=[pin_id(t, p) for t, p in PINS])
def test_score_does_not_drop_below_its_pin(task, pin):
    module = __import__(evaluate.TASKS[task], fromlist=["DEFAULT_DATA"])
    data = evaluate.default_data(pin.get("data", module.DEFAULT_DATA))
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


def test_a_pin_holds_for_the_data_it_was_measured_on(monkeypatch, tmp_path):
    # one task, two corpora: a run on the second corpus is checked against its own pin,
    # and a run on a third, unpinned corpus is reported as unpinned, not passed
    monkeypatch.setattr(evaluate, "default_data", lambda relative: (tmp_path / relative).resolve())
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    pins = {"time": [{"options": {}, "metrics": {"value_f1": 0.8}}, {"options": {}, "data": "b", "metrics": {"value_f1": 0.5}}]}
    monkeypatch.setattr(evaluate, "pinned", lambda: pins)
    on_b = evaluate.EvalResult("time", {"value_f1": 0.6}, data=str(tmp_path / "b"))
    assert evaluate.regressions(on_b, {}) == []
    on_default = evaluate.EvalResult("time", {"value_f1": 0.6})
    assert evaluate.regressions(on_default, {}) == ["time value_f1: 0.6000 < pinned 0.8000"]
    on_a = evaluate.EvalResult("time", {"value_f1": 0.9}, data=str(tmp_path / "a"))
    assert evaluate.regressions(on_a, {}) == [f"time: no pinned baseline for options {{}} on {tmp_path / 'a'}"]
