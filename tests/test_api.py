"""The public Python API: names, types, errors and serialisation."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import starrules
from starrules import interpreter
from starrules.parser import cache_file, grammar_text

ROOT = Path(__file__).resolve().parent.parent

SMALL = """
scheme "示例" version "2024"
levels grades 不合格 < 基本合格 < 良好 < 优秀
input 编号 : id
input 单位 : group
input 自评 : score 0..100 step 0.1
input 考评 : score 0..100 step 0.1
total 得分 = weighted 3:7 (自评, 考评)
band 得分 { 优秀: [90, ..)  良好: [80, 90)  基本合格: [60, 80)  不合格: (.., 60) }
"""


def test_all_names_exist() -> None:
    for name in starrules.__all__:
        assert hasattr(starrules, name), name
    assert {"load", "loads", "Scheme", "Result", "StarSyntaxError", "StarCheckError", "InputError"} <= set(
        starrules.__all__)


def test_py_typed_is_shipped() -> None:
    assert (ROOT / "starrules" / "py.typed").exists()


def test_grammar_is_the_one_file() -> None:
    assert grammar_text() == (ROOT / "grammars" / "star.lark").read_text(encoding="utf-8")


PARSE_ANYANG = ("import starrules, pathlib; "
                "print(starrules.load(pathlib.Path('schemes/anyang.star')).levels.labels[0])")


def test_the_parser_is_cached_in_a_private_directory_and_a_bad_cache_is_rebuilt(tmp_path: Path) -> None:
    where = tmp_path / "cache"
    env = {**os.environ, "STARRULES_CACHE_DIR": str(where)}
    first = subprocess.run([sys.executable, "-c", PARSE_ANYANG], env=env, cwd=ROOT, capture_output=True, text=True)
    assert (first.returncode, first.stdout, first.stderr) == (0, "不定星级\n", "")
    [cached] = where.iterdir()
    # only the owner may write there (the file is a pickle); its name carries the grammar's hash
    assert stat.S_IMODE(where.stat().st_mode) == 0o700
    assert cached.name == Path(cache_file(grammar_text()) or "").name and cached.stat().st_size > 0
    cached.write_bytes(b"not a parser\n")  # a cache spoilt: the next process builds the parser afresh
    again = subprocess.run([sys.executable, "-c", PARSE_ANYANG], env=env, cwd=ROOT, capture_output=True, text=True)
    assert (again.returncode, again.stdout, again.stderr) == (0, "不定星级\n", "")
    assert cached.read_bytes() != b"not a parser\n" and cached.stat().st_size > 1000  # written anew


def test_the_parser_cache_can_be_turned_off_and_never_lies_in_the_shared_temporary_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STARRULES_CACHE_DIR", "")
    assert cache_file(grammar_text()) is None
    monkeypatch.delenv("STARRULES_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert Path(cache_file(grammar_text()) or "").parent == tmp_path / "starrules"
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("STARRULES_CACHE_DIR", str(blocked / "sub"))  # under a file: cannot be made
    assert cache_file(grammar_text()) is None


def test_load_and_evaluate_grades(engine: str) -> None:
    scheme = starrules.loads(SMALL, name="small.star")
    assert scheme.title == "示例" and scheme.version == "2024"
    # 0.3 × 89.9 + 0.7 × 90.1 = 26.97 + 63.07 = 90.04 -> [90, ..) -> 优秀
    result = scheme.evaluate({"编号": "A1", "单位": "一支部", "自评": "89.9", "考评": "90.1"}, engine=engine)
    assert result.status == "rated"
    assert result.level == "优秀" and result.level_rank == 3
    assert result.total == Decimal("90.04")
    assert result.id == "A1" and result.groups == {"单位": "一支部"}


def test_evaluate_runs_the_compiled_engine_unless_a_trace_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    scheme = starrules.loads(SMALL)
    record = {"编号": "A1", "单位": "一支部", "自评": "89.9", "考评": "90.1"}
    traced = scheme.evaluate(record, trace=True)
    # trace=True, or engine="reference": the reference interpreter, with every step
    # (the four inputs, the total, the band)
    assert [s.stage for s in traced.trace] == ["input"] * 4 + ["total", "band"]
    assert scheme.evaluate(record, engine="reference") == traced
    # engine="reference" with trace=False: the interpreter, without the trace
    assert scheme.evaluate(record, engine="reference", trace=False).trace == ()
    # rate keeps the entities' traces only when asked, whichever engine runs
    by_reference = scheme.rate([record], engine="reference").outcomes[0].result
    with_traces = scheme.rate([record], trace=True).outcomes[0].result
    assert by_reference is not None and with_traces is not None
    assert by_reference.trace == () and with_traces.trace == traced.trace

    def no_interpreter(*args: object, **kwargs: object) -> None:
        raise AssertionError("the reference interpreter ran")

    monkeypatch.setattr(interpreter, "evaluate", no_interpreter)
    # by default, and with trace=False or engine="compiled": the compiled engine, no trace
    plain = scheme.evaluate(record)
    assert plain.trace == ()
    assert plain == scheme.evaluate(record, trace=False) == scheme.evaluate(record, engine="compiled")
    # equal to the interpreter's result but for the trace
    assert plain.to_dict() == traced.to_dict(trace=False) | {"trace": []}
    # rate runs the compiled engine by default too
    assert scheme.rate([record]).outcomes[0].level == "优秀"
    with pytest.raises(AssertionError, match="the reference interpreter ran"):
        scheme.evaluate(record, trace=True)


def test_explain_without_a_trace_gives_the_outcome_alone() -> None:
    # A result of the compiled engine keeps no steps: explain() gives the outcome line,
    # the same line that ends the reference engine's explanation.
    scheme = starrules.loads(SMALL)
    record = {"编号": "A1", "单位": "一支部", "自评": "89.9", "考评": "90.1"}
    assert scheme.evaluate(record).explain() == "Outcome: 优秀"
    full = scheme.evaluate(record, trace=True).explain()
    assert full.endswith("\nOutcome: 优秀") and "[band]" in full
    # an entity that is not rated: its status and reason
    gated = starrules.loads(SMALL + 'require "自评不低于60分": 自评 >= 60\n')
    low = {"编号": "B", "单位": "x", "自评": "59.9", "考评": "60"}
    assert gated.evaluate(low).explain() == "Outcome: invalid, 自评不低于60分"
    assert gated.evaluate(low, trace=True).explain().endswith("\nOutcome: invalid, 自评不低于60分")


def test_load_from_path(tmp_path: Path) -> None:
    path = tmp_path / "s.star"
    path.write_text(SMALL, encoding="utf-8")
    scheme = starrules.load(path)
    assert scheme.source_name == str(path)
    assert len(scheme.sha256) == 64


def test_to_dict_is_json_and_exact(engine: str) -> None:
    scheme = starrules.loads(SMALL)
    # 0.3 × 59.9 + 0.7 × 60 = 17.97 + 42 = 59.97 -> 不合格
    result = scheme.evaluate({"编号": "B", "单位": "x", "自评": "59.9", "考评": "60"}, engine=engine)
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["total"] == "59.97"
    assert data["level"] == "不合格"
    # the trace: the reference engine keeps one (its last step the band), the compiled none
    assert [step["stage"] for step in data["trace"][-1:]] == (["band"] if engine == "reference" else [])


def test_input_error_names_field_value_and_expectation(engine: str) -> None:
    scheme = starrules.loads(SMALL)
    with pytest.raises(starrules.InputError) as info:
        scheme.evaluate({"编号": "C", "单位": "x", "自评": "100.5", "考评": "abc"}, engine=engine)
    err = info.value
    assert [p.field for p in err.problems] == ["自评", "考评"]
    assert err.field == "自评" and err.value == "100.5"
    assert "from 0 to 100" in err.expected


def test_missing_input_is_an_input_error(engine: str) -> None:
    scheme = starrules.loads(SMALL)
    with pytest.raises(starrules.InputError) as info:
        scheme.evaluate({"编号": "C", "单位": "x", "自评": "80"}, engine=engine)
    assert info.value.field == "考评"
    assert "missing" in info.value.expected


def test_syntax_and_check_errors_carry_all_diagnostics() -> None:
    with pytest.raises(starrules.StarSyntaxError) as syn:
        starrules.loads('scheme "x"\nlevels stars 0..5\ninput a : score 0..10\nscore b = (a\n')
    assert syn.value.diagnostics[0].code == "E001"
    with pytest.raises(starrules.StarCheckError) as chk:
        starrules.loads('scheme "x"\nlevels stars 0..1\ninput a : score 0..10\n'
                        "score b = c\nscore d = e\nband b { 1: [5, ..) 0: (.., 5) }\n")
    assert [d.code for d in chk.value.diagnostics] == ["E101", "E101"]
    assert [d.span.line for d in chk.value.diagnostics] == [4, 5]


def test_parse_check_and_lower_are_the_steps_of_loads() -> None:
    # The three lower-level steps a tool can call one by one: parse gives the tree,
    # check every diagnostic of it, lower the model or StarCheckError with the errors only.
    good = starrules.parse(SMALL)
    assert starrules.check(good) == []
    program = starrules.lower(good)
    assert [i.name for i in program.inputs] == ["编号", "单位", "自评", "考评"]
    assert program.total == "得分"
    unread = starrules.parse(SMALL + "input 未用 : count\n")
    # nothing reads the count 未用: a warning (line 10, after SMALL's nine), and still a model
    assert [(d.code, d.severity, d.span.line) for d in starrules.check(unread)] == [("W301", "warning", 10)]
    assert starrules.lower(unread).inputs[-1].name == "未用"
    bad = starrules.parse('scheme "x"\nlevels stars 0..1\ninput a : score 0..10\n'
                          "score b = c\nband b { 1: [5, ..) 0: (.., 5) }\n")
    assert [(d.code, d.severity) for d in starrules.check(bad)] == [("E101", "error")]  # 'c' is not declared
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.lower(bad)
    assert [(d.code, d.span.line) for d in info.value.diagnostics] == [("E101", 4)]


# Every node class has a handler in both engines: tests/test_differential.py.


def test_unknown_node_fails_loudly() -> None:
    class Strange:
        pass

    with pytest.raises(TypeError, match="no handler"):
        interpreter.eval_expr(Strange(), None)  # type: ignore[arg-type]


def test_bundled_scheme_checks_clean() -> None:
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    assert scheme.warnings == []
    assert scheme.levels.labels[0] == "不定星级"


def test_huge_numbers_in_a_scheme_are_diagnostics_not_crashes() -> None:
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads('scheme "a"\nlevels stars 0..1\ninput x : score 0..100000000000000000000000000000000 step 0.1\n'
                        "band x {1: [5, ..) 0: else}\n")
    assert [d.code for d in info.value.diagnostics] == ["E301"]
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads('scheme "a"\nlevels stars 0..1000\ninput x : score 0..10\nband x {1: [5, ..) 0: else}\n')
    assert [d.code for d in info.value.diagnostics] == ["E302"]


def test_numbers_with_commas_and_too_many_digits(engine: str) -> None:
    scheme = starrules.loads('scheme "a"\nlevels stars 0..1\ninput 户数 : count\ninput 分 : score 0..10 step 0.1\n'
                             "band 分 {1: [5, ..) 0: else}\n")
    # "1,000" is thousands grouping: 1000 households
    assert scheme.evaluate({"户数": "1,000", "分": "6"}, engine=engine).inputs["户数"] == 1000
    # "8,5" is a decimal comma or a slip: refused, never read as 85 or 8.5
    with pytest.raises(starrules.InputError) as info:
        scheme.evaluate({"户数": "10", "分": "8,5"}, engine=engine)
    assert info.value.field == "分"
    # 90 digits is no count anyone means: an input error, not an arithmetic one
    with pytest.raises(starrules.InputError) as info:
        scheme.evaluate({"户数": "9" * 90, "分": "6"}, engine=engine)
    assert info.value.field == "户数"
