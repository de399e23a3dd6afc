"""The compiled evaluator computes exactly what the reference interpreter computes.

One suite over both engines: every bundled scheme on its example data and on records
generated from its declarations (Hypothesis), single entities and whole populations;
plus the compiler's own promises: no scheme text reaching the generated code as code,
errors that name the .star line. Generated schemes, and a handler for every node class in
both engines: tests/test_differential.py.
"""

from __future__ import annotations

import csv
import glob
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules.cli import load_history
from starrules.testing import inputs

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = sorted(glob.glob(str(ROOT / "schemes" / "*.star")))


def outcome(scheme: starrules.Scheme, record: Any, engine: str, **kw: Any) -> Any:
    try:
        return scheme.evaluate(record, trace=False, engine=engine, **kw)
    except starrules.StarError as exc:
        return type(exc).__name__, str(exc)


def period_of(scheme: starrules.Scheme) -> int | None:
    force = scheme.program.in_force
    if scheme.program.uses_history or force:
        return 2024 if force is None or force[1] is None else force[1]
    return None


def example(path: str) -> tuple[list[dict[str, str]], dict[str, list[dict[str, Any]]]]:
    name = Path(path).stem
    with open(ROOT / "schemes" / "examples" / f"{name}.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    history = load_history(sorted(glob.glob(str(ROOT / "schemes" / "examples" / f"{name}-20*.json"))))
    return rows, history


@pytest.mark.parametrize("path", SCHEMES, ids=[Path(p).name for p in SCHEMES])
def test_engines_agree_on_the_example_data(path: str) -> None:
    scheme = starrules.load(path)
    rows, history = example(path)
    period = period_of(scheme)
    ident = scheme.program.id_field
    for row in rows:
        past = history.get(row.get(ident or "", ""), [])
        assert outcome(scheme, row, "compiled", period=period, history=past) == \
            outcome(scheme, row, "reference", period=period, history=past), row
    compiled = scheme.rate(rows, period=period, history=history, engine="compiled")
    reference = scheme.rate(rows, period=period, history=history, engine="reference")
    assert compiled.to_dict() == reference.to_dict()


@pytest.mark.parametrize("path", SCHEMES, ids=[Path(p).name for p in SCHEMES])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engines_agree_on_generated_records(path: str, data: st.DataObject) -> None:
    scheme = starrules.load(path)
    record = dict(data.draw(inputs(scheme)))
    # now and then a value is blanked or spoiled, so the error paths are compared too
    if record and data.draw(st.booleans()):
        name = data.draw(st.sampled_from(sorted(record)))
        record[name] = data.draw(st.sampled_from(["", "abc", "-1", "1e3", " 5 ", "0.5", "101%", None]))
    period = period_of(scheme)
    assert outcome(scheme, record, "compiled", period=period) == outcome(scheme, record, "reference", period=period)


def test_anyang_populations_agree() -> None:
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")

    @settings(max_examples=30, deadline=None)
    @given(st.lists(inputs(scheme, 所属单位=st.sampled_from(["甲", "乙"])), max_size=30))
    def check(records: list[dict[str, Any]]) -> None:
        # independent records may share an id: the engines must agree on those too
        assert (scheme.rate(records, engine="compiled", duplicate_ids="allow").to_dict()
                == scheme.rate(records, engine="reference", duplicate_ids="allow").to_dict())

    check()


def test_scheme_text_never_runs_as_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    # names that collide with the generated code's own, and labels full of Python
    text = f"""
scheme "注入') or __import__('os').system('touch {marker}') #" version "1"
levels stars 0..1
input __import__ : bool
input C : score 0..10
input evaluate : score 0..10
flag "x\\rimport os; os.system('touch {marker}')" when __import__
flag "'); __import__('os').system('touch {marker}'); ('" when C > 5
total r = C + evaluate
band r {{ 1: [10, ..)  0: (.., 10) }}
"""
    scheme = starrules.loads(text.replace("\\r", "\r"))
    source = scheme.compiled.source
    result = scheme.evaluate({"__import__": "是", "C": "6", "evaluate": "5"}, trace=False)
    assert not marker.exists()
    assert result.level == 1 and len(result.flags) == 2
    assert result.flags[0].startswith("x\rimport os")
    # the scheme's names appear only inside string literals
    assert "\r" not in source and "def evaluate(raw" in source
    assert result == scheme.evaluate({"__import__": "是", "C": "6", "evaluate": "5"}, trace=False, engine="compiled")
    ref = scheme.evaluate({"__import__": "是", "C": "6", "evaluate": "5"}, trace=True)
    assert (ref.level, ref.flags, ref.total) == (result.level, result.flags, result.total)


def test_errors_in_compiled_code_name_the_star_line() -> None:
    # 30-digit inputs multiplied three times need 90 digits: more than the exact context
    # holds, so the product cannot be exact and evaluation stops, naming line 6.
    text = """scheme "大数"
levels stars 0..1
input a : score 0..999999999999999999999999999999
input b : score 0..999999999999999999999999999999
input c : score 0..999999999999999999999999999999
score p = a * b * c
band p { 1: [1, ..)  0: (.., 1) }
"""
    scheme = starrules.loads(text)
    big = "9" * 30
    with pytest.raises(starrules.EvaluationError, match=r"<string>:6"):
        scheme.evaluate({"a": big, "b": big, "c": big}, trace=False)
    with pytest.raises(starrules.EvaluationError):
        scheme.evaluate({"a": big, "b": big, "c": big}, trace=True)


def test_engine_switch() -> None:
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    with pytest.raises(ValueError, match="keeps no trace"):
        scheme.evaluate({}, trace=True, engine="compiled")
    with pytest.raises(ValueError, match="engine must be one of"):
        scheme.evaluate({}, engine="fast")


def test_generated_source_is_deterministic() -> None:
    a = starrules.load(ROOT / "schemes" / "anyang.star").compiled.source
    b = starrules.load(ROOT / "schemes" / "anyang.star").compiled.source
    assert a == b
    assert "# line 57" in a  # the sum of the ten areas, from line 57 of the scheme
