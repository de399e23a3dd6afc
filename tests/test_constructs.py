"""One or more tests per construct of the .star language, on tiny inline schemes.

Every expected value is worked out by hand from the language's semantics (the grammar,
the design brief's pipeline) and the working is written next to it. Then the checker:
each error code on a minimal bad scheme, with its line and hint, and the rendering of a
diagnostic under a line of Chinese.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import starrules
from starrules import InputError, StarCheckError, StarSyntaxError


def lines(*text: str) -> str:
    """A scheme written one line per argument: line N is the N-th argument."""
    return "\n".join(text) + "\n"


def load(*text: str) -> starrules.Scheme:
    return starrules.loads(lines(*text))


MISSING = object()


def read(decl: str, raw: object = MISSING, engine: str = "reference") -> object:
    """The value an input declared as ``decl`` takes for ``raw`` (as the result's inputs
    give it; the reference engine's trace step for the input must show the same)."""
    scheme = load(
        'scheme "读值"',
        "levels stars 0..1",
        f"input v : {decl}",
        "score s = 0",
        "band s { 0: else }",
    )
    result = scheme.evaluate({} if raw is MISSING else {"v": raw}, engine=engine)
    if engine == "reference":  # only the reference engine keeps a trace
        (step,) = [s for s in result.trace if s.stage == "input" and s.name == "v"]
        assert step.line == 3
        assert step.value == result.inputs["v"]
    return result.inputs["v"]


def trace_of(scheme: starrules.Scheme, record: dict[str, object]) -> tuple[starrules.TraceStep, ...]:
    """The steps of the record's evaluation, from the reference engine: the compiled one
    keeps no trace, so the tests of the trace run on the reference engine alone."""
    return scheme.evaluate(record, trace=True).trace


def read_error(decl: str, raw: object = MISSING, engine: str = "reference") -> InputError:
    with pytest.raises(InputError) as info:
        read(decl, raw, engine)
    return info.value


def errors(*text: str) -> list[starrules.Diagnostic]:
    """The diagnostics of a scheme that must not load."""
    with pytest.raises((StarCheckError, StarSyntaxError)) as info:
        load(*text)
    return info.value.diagnostics


def one(diagnostics: list[starrules.Diagnostic], code: str) -> starrules.Diagnostic:
    """The one diagnostic with this code (others may come with it)."""
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diagnostics]
    return found[0]


def only(diagnostics: list[starrules.Diagnostic], code: str) -> starrules.Diagnostic:
    assert [d.code for d in diagnostics] == [code], [(d.code, d.message) for d in diagnostics]
    return diagnostics[0]


D = Decimal


# ==== inputs: types and how values are read ======================================================

@pytest.mark.parametrize(("raw", "expected"), [
    ("9.5", D("9.5")),
    (" 8.0 ", D("8.0")),      # blanks around a cell are ignored
    (7, D(7)),
    (9.5, D("9.5")),
    (0.1, D("0.1")),          # a binary float is read through its shortest text: exactly 0.1
    ("10", D(10)),            # the top end is in range
    ("0", D(0)),
])
def test_score_values(raw: object, expected: Decimal, engine: str) -> None:
    value = read("score 0..10 step 0.1", raw, engine=engine)
    assert value == expected and isinstance(value, Decimal)


@pytest.mark.parametrize("raw", ["10.1", "-0.1", "9.55", "0.05", "abc", "九", True])
def test_score_out_of_range_off_step_or_not_a_number(raw: object, engine: str) -> None:
    # 10.1 and -0.1 are outside 0..10; 9.55 and 0.05 are not multiples of 0.1 from 0.
    e = read_error("score 0..10 step 0.1", raw, engine=engine)
    assert e.field == "v"
    assert [p.field for p in e.problems] == ["v"]
    assert "v" in str(e)


def test_score_without_step_takes_any_decimal(engine: str) -> None:
    assert read("score 0..100", "0.015", engine=engine) == D("0.015")


@pytest.mark.parametrize(("raw", "expected"), [
    ("85%", D("0.85")),
    ("85", D("0.85")),        # a bare number is read as a percentage: 85 means 85%
    (85, D("0.85")),
    ("85.5%", D("0.855")),
    ("85％", D("0.85")),      # full-width percent sign
    ("100%", D(1)),
    ("0%", D(0)),
])
def test_percent_values(raw: object, expected: Decimal, engine: str) -> None:
    assert read("percent", raw, engine=engine) == expected


@pytest.mark.parametrize("raw", ["101%", "-1%", "百分之八十", "85%%"])
def test_percent_out_of_range_or_malformed(raw: str, engine: str) -> None:
    assert read_error("percent", raw, engine=engine).field == "v"


@pytest.mark.parametrize(("raw", "expected"), [
    ("是", True), ("否", False), ("yes", True), ("no", False), ("YES", True), ("No", False),
    ("true", True), ("false", False), (True, True), (False, False), (1, True), (0, False),
])
def test_bool_values(raw: object, expected: bool, engine: str) -> None:
    assert read("bool", raw, engine=engine) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", 2])
def test_bool_rejects_other_values(raw: object, engine: str) -> None:
    assert read_error("bool", raw, engine=engine).field == "v"


SET = "set of {市级, 省级, 国家级}"


@pytest.mark.parametrize(("raw", "expected"), [
    ("市级、省级", {"市级", "省级"}),
    ("市级,省级", {"市级", "省级"}),
    ("市级，省级", {"市级", "省级"}),
    ("市级, 国家级", {"市级", "国家级"}),
    ("省级", {"省级"}),
    ("无", set()),             # 无 means none
    ("", set()),               # an empty cell means none
    (MISSING, set()),          # so does a missing one, for a set
    (["省级", "国家级"], {"省级", "国家级"}),
])
def test_set_values(raw: object, expected: set[str], engine: str) -> None:
    assert read(SET, raw, engine=engine) == frozenset(expected)


@pytest.mark.parametrize("raw", ["区级", "市级、区级", 5])
def test_set_rejects_unknown_members(raw: object, engine: str) -> None:
    assert read_error(SET, raw, engine=engine).field == "v"


ENUM = "one of {按期, 逾期, 逾期超过一年}"


def test_enum_values(engine: str) -> None:
    assert read(ENUM, "逾期", engine=engine) == "逾期"
    assert read(ENUM, " 按期 ", engine=engine) == "按期"
    assert read_error(ENUM, "晚了", engine=engine).field == "v"
    assert read_error(ENUM, 3, engine=engine).field == "v"


@pytest.mark.parametrize(("decl", "raw", "expected"), [
    ("count", "3", D(3)),
    ("count", 3, D(3)),
    ("count", "0", D(0)),
    ("count 0..5", "5", D(5)),
])
def test_count_values(decl: str, raw: object, expected: Decimal, engine: str) -> None:
    assert read(decl, raw, engine=engine) == expected


@pytest.mark.parametrize(("decl", "raw"), [
    ("count", "2.5"),          # not whole
    ("count", "-1"),           # below 0
    ("count 0..5", "6"),       # above the declared top
    ("count 1..5", "0"),       # below the declared bottom
    ("count", "三"),
])
def test_count_rejects(decl: str, raw: object, engine: str) -> None:
    assert read_error(decl, raw, engine=engine).field == "v"


@pytest.mark.parametrize(("decl", "expected"), [
    ("count default 0", D(0)),
    ("score 0..10 step 0.5 default 7.5", D("7.5")),
    ("percent default 100%", D(1)),
    ("bool default 否", False),
    ("bool default yes", True),
    (f"{ENUM} default 按期", "按期"),
    (f"{SET} default {{市级}}", frozenset({"市级"})),
])
def test_defaults_fill_missing_values(decl: str, expected: object, engine: str) -> None:
    assert read(decl, engine=engine) == expected
    assert read(decl, "", engine=engine) == expected  # a blank cell is missing too
    assert read(decl, None, engine=engine) == expected


@pytest.mark.parametrize("decl", ["score 0..10", "percent", "bool", "count", ENUM, "text"])
def test_missing_value_without_default_names_the_field(decl: str, engine: str) -> None:
    e = read_error(decl, engine=engine)
    assert e.field == "v"
    assert "v" in str(e) and "missing" in str(e)


def test_every_bad_field_is_reported_at_once(engine: str) -> None:
    scheme = load(
        'scheme "多个错误"',
        "levels stars 0..1",
        "input 甲 : score 0..10",
        "input 乙 : percent",
        "input 丙 : bool",
        "band 甲 { 1: [5, ..)  0: else }",
    )
    with pytest.raises(InputError) as info:
        scheme.evaluate({"甲": "11", "丙": "也许"}, engine=engine)  # 甲 out of range, 乙 missing, 丙 not yes/no
    assert [p.field for p in info.value.problems] == ["甲", "乙", "丙"]


def test_id_group_and_text_inputs(engine: str) -> None:
    scheme = load(
        'scheme "标识"',
        "levels stars 0..1",
        "input 编号 : id",
        "input 单位 : group",
        "input 备注 : text",
        "input 得分 : score 0..10",
        "band 得分 { 1: [5, ..)  0: else }",
    )
    result = scheme.evaluate({"编号": " A-01 ", "单位": "一支部", "备注": "无", "得分": "6"}, engine=engine)
    assert result.id == "A-01"
    assert result.groups == {"单位": "一支部"}
    assert result.level == 1
    with pytest.raises(InputError) as info:
        scheme.evaluate({"单位": "一支部", "备注": "", "得分": "6"}, engine=engine)
    assert [p.field for p in info.value.problems] == ["编号", "备注"]


# ==== expressions ===================================================================================

def value(decls: list[str], expr: str, inputs: dict[str, object], engine: str = "reference") -> Decimal:
    """The value of ``score s = expr`` over the given input declarations."""
    scheme = starrules.loads(lines(
        'scheme "表达式"',
        "levels stars 0..1",
        *decls,
        f"score s = {expr}",
        "band s { 1: [0, ..)  0: else }",
    ))
    result = scheme.evaluate(inputs, engine=engine)
    return result.scores["s"]


ABC = ["input a : score 0..10", "input b : score 0..10", "input c : score 0..10"]
ABC_VALUES = {"a": "1.5", "b": "2.25", "c": "0.5"}


@pytest.mark.parametrize(("expr", "expected"), [
    ("a + b", D("3.75")),             # 1.5 + 2.25
    ("a - c", D("1.0")),              # 1.5 - 0.5
    ("a + b * 2 - c", D("5.5")),      # 1.5 + 4.5 - 0.5: * binds tighter than + and -
    ("(a + b) * 2", D("7.5")),        # 3.75 * 2
    ("a - b - c", D("-1.25")),        # (1.5 - 2.25) - 0.5: left to right
    ("-a + 10", D("8.5")),            # -1.5 + 10
    ("a * b", D("3.375")),            # 1.5 * 2.25, exact
    ("sum(a, b, c)", D("4.25")),      # 1.5 + 2.25 + 0.5
    ("max(a, b, c)", D("2.25")),
    ("min(a, b, c)", D("0.5")),
    ("sum(a)", D("1.5")),
])
def test_arithmetic_and_functions(expr: str, expected: Decimal, engine: str) -> None:
    assert value(ABC, expr, ABC_VALUES, engine=engine) == expected


def test_decimal_arithmetic_is_exact(engine: str) -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary floats; here it is exactly 0.3.
    assert value(ABC, "a + b", {"a": "0.1", "b": "0.2", "c": "0"}, engine=engine) == D("0.3")
    assert value(ABC, "a * 3 - b", {"a": "0.1", "b": "0.3", "c": "0"}, engine=engine) == 0


def test_percent_times_a_number_is_a_number(engine: str) -> None:
    # 85% * 100 = 0.85 * 100 = 85
    assert value(["input p : percent"], "p * 100", {"p": "85%"}, engine=engine) == 85


@pytest.mark.parametrize(("n", "expected"), [("0", D(0)), ("1", D(3)), ("4", D(12))])
def test_each(n: str, expected: Decimal, engine: str) -> None:
    # 3 points for each occurrence: 3 × n
    assert value(["input n : count"], "3 each n", {"n": n}, engine=engine) == expected


def test_each_with_a_decimal_amount(engine: str) -> None:
    # 2.5 × 3 = 7.5
    assert value(["input n : count"], "2.5 each n", {"n": 3}, engine=engine) == D("7.5")


@pytest.mark.parametrize(("ok", "expected"), [("是", D(5)), ("否", D(0))])
def test_when_is_all_or_nothing(ok: str, expected: Decimal, engine: str) -> None:
    assert value(["input ok : bool"], "5 when ok", {"ok": ok}, engine=engine) == expected


def test_when_binds_looser_than_arithmetic(engine: str) -> None:
    # The grammar reads `a + 5 when ok` as `(a + 5) when ok`: with ok false the whole is 0,
    # not a = 1.5. Brackets give the other reading: 1.5 + 0.
    decls = ["input a : score 0..10", "input ok : bool"]
    assert value(decls, "a + 5 when ok", {"a": "1.5", "ok": "否"}, engine=engine) == 0
    assert value(decls, "a + 5 when ok", {"a": "1.5", "ok": "是"}, engine=engine) == D("6.5")
    assert value(decls, "a + (5 when ok)", {"a": "1.5", "ok": "否"}, engine=engine) == D("1.5")


@pytest.mark.parametrize(("a", "expected"), [("6", D(10)), ("5.9", D(2)), ("10", D(10))])
def test_if_then_else(a: str, expected: Decimal, engine: str) -> None:
    # 6 >= 6 holds -> 10; 5.9 >= 6 does not -> 2
    assert value(["input a : score 0..10"], "if a >= 6 then 10 else 2", {"a": a}, engine=engine) == expected


@pytest.mark.parametrize(("p", "q", "all_", "any_"), [
    ("是", "是", D(10), D(5)),
    ("是", "否", D(0), D(5)),
    ("否", "否", D(0), D(0)),
])
def test_all_and_any(p: str, q: str, all_: Decimal, any_: Decimal, engine: str) -> None:
    decls = ["input p : bool", "input q : bool"]
    assert value(decls, "10 when all(p, q)", {"p": p, "q": q}, engine=engine) == all_
    assert value(decls, "5 when any(p, q)", {"p": p, "q": q}, engine=engine) == any_


@pytest.mark.parametrize(("cond", "expected"), [
    ("p and q", D(0)),            # yes and no
    ("p or q", D(1)),
    ("not q", D(1)),
    ("not p or q", D(0)),         # (not yes) or no
    ("a == 1.5", D(1)),
    ("a != 1.5", D(0)),
    ("a > 1.5", D(0)),
    ("a >= 1.5", D(1)),
    ("a < 2", D(1)),
    ("a <= 1", D(0)),
    ("r < 60%", D(1)),            # 55% < 60%
    ("r >= 55%", D(1)),
    ("e == 逾期", D(1)),
    ("e != 按期", D(1)),
    ("e in {逾期, 逾期超过一年}", D(1)),
    ("e not in {逾期, 逾期超过一年}", D(0)),
    ("省级 in s2", D(1)),
    ("国家级 in s2", D(0)),
    ("国家级 not in s2", D(1)),
])
def test_conditions(cond: str, expected: Decimal, engine: str) -> None:
    decls = [
        "input p : bool", "input q : bool", "input a : score 0..10", "input r : percent",
        f"input e : {ENUM}", f"input s2 : {SET}",
    ]
    inputs = {"p": "是", "q": "否", "a": "1.5", "r": "55%", "e": "逾期", "s2": "市级、省级"}
    assert value(decls, f"1 when {cond}", inputs, engine=engine) == expected


RATERS = ["input x : score 0..100 step 0.1", "input y : score 0..100 step 0.1"]


@pytest.mark.parametrize(("expr", "x", "y", "expected"), [
    ("weighted 3:7 (x, y)", "80", "90", D(87)),                 # 0.3×80 + 0.7×90 = 24 + 63
    ("weighted 30%:70% (x, y)", "80", "90", D(87)),             # the same as percentages
    ("weighted 3:7 (x, y)", "89.9", "90.1", D("90.04")),        # 26.97 + 63.07
    ("weighted 1:1 (x, y)", "80.1", "90", D("85.05")),          # (80.1 + 90) / 2
    ("weighted 1:2 (x, y) round 0.01", "90.1", "85.1", D("86.77")),  # 260.3/3 = 86.766… -> 86.77
    ("weighted 1:2 (x, y) round 0.01", "90.2", "85", D("86.73")),    # 260.2/3 = 86.733… -> 86.73
    ("weighted 1:2 (x, y) round 0.01", "90.1", "85", D("86.7")),     # 260.1/3 = 86.7 exactly
    ("weighted 1:2 (x, y) round 1", "90", "85.2", D(87)),            # 260.4/3 = 86.8 -> 87
    ("weighted 2:3:5 (x, y, 10)", "50", "60", D(33)),                # (100 + 180 + 50) / 10
])
def test_weighted(expr: str, x: str, y: str, expected: Decimal, engine: str) -> None:
    assert value(RATERS, expr, {"x": x, "y": y}, engine=engine) == expected


@pytest.mark.parametrize(("x", "expected"), [
    ("0.015", D("0.01")),   # 0.015/3 = 0.005: half-up gives 0.01 (half-even would give 0.00)
    ("0.075", D("0.03")),   # 0.075/3 = 0.025: half-up gives 0.03 (half-even would give 0.02)
    ("0.012", D("0.00")),   # 0.004 -> 0.00
    ("0.018", D("0.01")),   # 0.006 -> 0.01
])
def test_weighted_round_is_half_up(x: str, expected: Decimal, engine: str) -> None:
    decls = ["input x : score 0..100", "input y : score 0..100"]
    assert value(decls, "weighted 1:2 (x, y) round 0.01", {"x": x, "y": "0"}, engine=engine) == expected


TABLE = "{市级: 3, 省级: 5, 国家级: 8}"


@pytest.mark.parametrize(("cell", "highest", "each_of"), [
    ("", D(0), D(0)),
    ("市级", D(3), D(3)),
    ("市级、省级", D(5), D(8)),           # highest: max(3, 5); each of: 3 + 5
    ("省级、国家级、市级", D(8), D(16)),   # 8; 3 + 5 + 8
])
def test_highest_and_each_of(cell: str, highest: Decimal, each_of: Decimal, engine: str) -> None:
    decls = [f"input 表彰 : {SET}"]
    assert value(decls, f"highest 表彰 {TABLE}", {"表彰": cell}, engine=engine) == highest
    assert value(decls, f"each of 表彰 {TABLE}", {"表彰": cell}, engine=engine) == each_of


@pytest.mark.parametrize(("choice", "expected"), [("按期", D(10)), ("逾期", D(5)), ("逾期超过一年", D(0))])
def test_lookup(choice: str, expected: Decimal, engine: str) -> None:
    # 逾期超过一年 is not in the table: 0
    decls = [f"input e : {ENUM}"]
    assert value(decls, "lookup e {按期: 10, 逾期: 5}", {"e": choice}, engine=engine) == expected


def test_negative_table_entries(engine: str) -> None:
    decls = [f"input e : {ENUM}"]
    assert value(decls, "lookup e {按期: 0, 逾期: -3, 逾期超过一年: -5.5}", {"e": "逾期超过一年"}, engine=engine) == D("-5.5")


# ==== bonus and penalty blocks =====================================================================

BLOCKS = starrules.loads(lines(
    'scheme "加减分"',                                   # 1
    "levels stars 0..5",                                 # 2
    "input 基础 : score 0..100 step 0.5",                # 3
    f"input 表彰 : {SET}",                               # 4
    "input 创新 : bool default 否",                      # 5
    "input 通报 : count default 0",                      # 6
    "input 满意率 : percent",                            # 7
    "bonus 加分 at most 10 {",                           # 8
    f'  "表彰": highest 表彰 {TABLE}',                   # 9
    '  "创新": 5 when 创新',                             # 10
    "}",                                                 # 11
    "penalty 扣分 {",                                    # 12
    '  "通报（每次3分）": 3 each 通报',                  # 13
    '  "满意率低于60%": 5 when 满意率 < 60%',            # 14
    "}",                                                 # 15
    "total 得分 = 基础 + 加分 - 扣分",                   # 16
    "band 得分 { 5: [90, ..)  4: [80, 90)  0: (.., 80) }",  # 17
))


def test_bonus_cap_applies_to_the_sum(engine: str) -> None:
    # 国家级 8 + 创新 5 = 13, capped at 10: 80 + 10 - 0 = 90
    r = BLOCKS.evaluate({"基础": "80", "表彰": "国家级", "创新": "是", "满意率": "90%"}, engine=engine)
    assert r.scores["加分"] == 10
    assert r.total == 90 and r.level == 5
    trace = trace_of(BLOCKS, {"基础": "80", "表彰": "国家级", "创新": "是", "满意率": "90%"})
    entries = {s.name: (s.value, s.line, s.applied) for s in trace if s.stage == "bonus"}
    assert entries == {"表彰": (8, 9, True), "创新": (5, 10, True)}
    (group,) = [s for s in trace if s.name == "加分"]
    assert (group.value, group.line) == (10, 8)


def test_bonus_below_its_cap_is_the_plain_sum(engine: str) -> None:
    # 省级 5 + 创新 0 = 5 (cap 10 not reached): 80 + 5 = 85
    r = BLOCKS.evaluate({"基础": "80", "表彰": "市级、省级", "满意率": "90%"}, engine=engine)
    assert r.scores["加分"] == 5
    assert r.total == 85 and r.level == 4


def test_penalty_block(engine: str) -> None:
    # 通报 2 × 3 = 6; 满意率 55% < 60% -> 5; 扣分 11: 90.5 + 0 - 11 = 79.5
    r = BLOCKS.evaluate({"基础": "90.5", "通报": "2", "满意率": "55%"}, engine=engine)
    assert r.scores["扣分"] == 11
    assert r.total == D("79.5") and r.level == 0
    trace = trace_of(BLOCKS, {"基础": "90.5", "通报": "2", "满意率": "55%"})
    entries = {s.name: (s.value, s.line) for s in trace if s.stage == "penalty"}
    assert entries == {"通报（每次3分）": (6, 13), "满意率低于60%": (5, 14)}


def test_penalty_at_the_threshold_does_not_apply(engine: str) -> None:
    # 60% < 60% does not hold: no penalty; 90 + 0 - 0 = 90
    r = BLOCKS.evaluate({"基础": "90", "满意率": "60%"}, engine=engine)
    assert r.scores["扣分"] == 0 and r.level == 5


def test_penalty_block_with_a_cap(engine: str) -> None:
    scheme = load(
        'scheme "扣分上限"',
        "levels stars 0..1",
        "input 基础 : score 0..100",
        "input 通报 : count",
        'penalty 扣分 at most 10 { "通报": 3 each 通报 }',
        "total 得分 = 基础 - 扣分",
        "band 得分 { 1: [60, ..)  0: (.., 60) }",
    )
    # 5 × 3 = 15, at most 10: 75 - 10 = 65
    r = scheme.evaluate({"基础": "75", "通报": "5"}, engine=engine)
    assert r.scores["扣分"] == 10 and r.total == 65 and r.level == 1


# ==== bands ==========================================================================================

EDGES = starrules.loads(lines(
    'scheme "开闭区间"',
    "levels stars 0..3",
    "input s : score 0..100 step 0.1",
    "band s {",
    "  3: (90, ..)",      # 5
    "  2: (80, 90]",      # 6
    "  1: [60, 80]",      # 7
    "  0: (.., 60)",      # 8
    "}",
))


@pytest.mark.parametrize(("s", "level", "line"), [
    ("100", 3, 5), ("90.1", 3, 5),
    ("90", 2, 6),          # (80, 90] holds 90; (90, ..) does not
    ("80.1", 2, 6),
    ("80", 1, 7),          # [60, 80] holds 80; (80, 90] does not
    ("60", 1, 7),
    ("59.9", 0, 8), ("0", 0, 8),
])
def test_band_ends_open_and_closed(s: str, level: int, line: int, engine: str) -> None:
    r = EDGES.evaluate({"s": s}, engine=engine)
    assert r.level == level == r.band_level
    (band,) = [t for t in trace_of(EDGES, {"s": s}) if t.stage == "band"]
    assert (band.name, band.line, band.value) == ("s", line, level)


def test_band_else_takes_what_no_interval_holds(engine: str) -> None:
    scheme = load(
        'scheme "其余"',
        "levels stars 0..2",
        "input s : score 0..100 step 0.1",
        "band s { 2: [90, ..)  0: (.., 60)  1: else }",
    )
    # 75 and 60 and 89.9 are in neither interval: else gives 1
    assert [scheme.evaluate({"s": s}, engine=engine).level for s in ("95", "89.9", "75", "60", "59.9")] == [2, 1, 1, 1, 0]


GRADES = starrules.loads(lines(
    'scheme "等次"',
    "levels grades 不合格 < 基本合格 < 良好 < 优秀",
    "input 得分 : score 0..100",
    "input 违纪 : bool default 否",
    "input 整改 : bool default 否",
    "band 得分 { 优秀: [90, ..)  良好: [80, 90)  基本合格: [60, 80)  不合格: else }",
    'cap "未整改最高良好" at most 良好 when 整改',
    'veto "违纪定为不合格" when 违纪',
    'flag "优秀表彰" when level == 优秀',
    'flag "需帮扶" when level <= 基本合格',
))


@pytest.mark.parametrize(("inputs", "level", "rank", "flags"), [
    ({"得分": "95"}, "优秀", 3, ("优秀表彰",)),
    ({"得分": "85"}, "良好", 2, ()),
    ({"得分": "60"}, "基本合格", 1, ("需帮扶",)),
    ({"得分": "59"}, "不合格", 0, ("需帮扶",)),
    ({"得分": "95", "整改": "是"}, "良好", 2, ()),        # capped at 良好
    ({"得分": "95", "违纪": "是"}, "不合格", 0, ("需帮扶",)),  # vetoed to the floor
])
def test_grades(inputs: dict[str, object], level: str, rank: int, flags: tuple[str, ...], engine: str) -> None:
    r = GRADES.evaluate(inputs, engine=engine)
    assert r.level == level and r.level_rank == rank and r.level_label == level
    assert r.flags == flags
    assert r.to_dict()["level"] == level


# ==== validity and eligibility =========================================================================

GATES = starrules.loads(lines(
    'scheme "前置条件"',                                # 1
    "levels stars 0..2",                                # 2
    "input 样本率 : percent",                           # 3
    "input 违纪 : bool default 否",                     # 4
    "input 得分 : score 0..100",                        # 5
    'require "样本不少于10%": 样本率 >= 10%',            # 6
    'disqualify "发生违纪" when 违纪',                  # 7
    "band 得分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }",  # 8
))


def test_a_failed_requirement_makes_the_entity_invalid(engine: str) -> None:
    # 9.9% >= 10% fails. require comes before disqualify, so invalid although 违纪 too.
    r = GATES.evaluate({"样本率": "9.9%", "违纪": "是", "得分": "95"}, engine=engine)
    assert r.status == "invalid" and not r.rated
    assert r.reason == "样本不少于10%"
    assert r.level is None and r.band_level is None and r.total is None
    trace = trace_of(GATES, {"样本率": "9.9%", "违纪": "是", "得分": "95"})
    (req,) = [s for s in trace if s.stage == "require"]
    assert (req.name, req.line, req.applied) == ("样本不少于10%", 6, True)
    assert not [s for s in trace if s.stage in ("disqualify", "band")]  # never scored


def test_a_disqualification_makes_the_entity_ineligible(engine: str) -> None:
    # 10% >= 10% holds (the end is included), then 违纪 disqualifies.
    r = GATES.evaluate({"样本率": "10%", "违纪": "是", "得分": "95"}, engine=engine)
    assert r.status == "ineligible"
    assert r.reason == "发生违纪"
    assert r.level is None
    (dq,) = [s for s in trace_of(GATES, {"样本率": "10%", "违纪": "是", "得分": "95"}) if s.stage == "disqualify"]
    assert (dq.line, dq.applied) == (7, True)


def test_passing_the_gates_is_rated(engine: str) -> None:
    r = GATES.evaluate({"样本率": "10%", "得分": "95"}, engine=engine)
    assert (r.status, r.level, r.reason) == ("rated", 2, None)


# ==== overrides: veto over cap over demotion over the band ================================================

OVERRIDES = starrules.loads(lines(
    'scheme "优先级"',                                   # 1
    "levels stars 0..5",                                 # 2
    "input 得分 : score 0..100",                         # 3
    "input 降级 : bool default 否",                      # 4
    "input 限级 : bool default 否",                      # 5
    "input 否决 : bool default 否",                      # 6
    'veto "一票否决" when 否决',                         # 7  (written first: order in the file
    'cap "最高四星" at most 4 when 限级',                # 8   does not change precedence)
    'demote "降一级" by 1 when 降级',                    # 9
    "band 得分 { 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  0: (.., 60) }",  # 10
    'flag "授牌" when level == 5',                       # 11
    'flag "整顿" when level <= 1',                       # 12
))


@pytest.mark.parametrize(("score", "demote", "cap", "veto", "level", "reason"), [
    ("95", "否", "否", "否", 5, None),
    ("95", "否", "是", "否", 4, "最高四星"),      # band 5, at most 4
    ("95", "是", "否", "否", 4, "降一级"),        # band 5, down one
    ("95", "是", "是", "否", 4, "降一级"),        # band 5, down one to 4, at most 4 holds: 4
    ("85", "是", "是", "否", 3, "降一级"),        # band 4, down one to 3; the cap does not raise
    ("75", "否", "是", "否", 3, None),            # band 3: a cap at 4 never raises
    ("65", "是", "否", "否", 1, "降一级"),        # band 2 (60..70), down one: 1
    ("95", "否", "否", "是", 0, "一票否决"),      # veto: the floor
    ("95", "否", "是", "是", 0, "一票否决"),      # veto with cap: 0
    ("95", "是", "是", "是", 0, "一票否决"),      # veto over everything
])
def test_override_precedence(score: str, demote: str, cap: str, veto: str, level: int, reason: str | None, engine: str) -> None:
    r = OVERRIDES.evaluate({"得分": score, "降级": demote, "限级": cap, "否决": veto}, engine=engine)
    band = {"95": 5, "85": 4, "75": 3, "65": 2}[score]
    assert r.band_level == band
    assert r.level == level
    assert r.reason == reason


def test_demotion_stops_at_the_floor(engine: str) -> None:
    scheme = load(
        'scheme "降级到底"',
        "levels stars 0..5",
        "input 得分 : score 0..100",
        "input 次数 : count",
        'demote "降两级" by 2 when 次数 >= 1',
        "band 得分 { 1: [50, ..)  0: (.., 50) }",
    )
    # band 1, down two: max(0, 1 - 2) = 0
    r = scheme.evaluate({"得分": "60", "次数": "1"}, engine=engine)
    assert (r.band_level, r.level) == (1, 0)


def test_flags_read_the_final_level(engine: str) -> None:
    # band 5, no override: 授牌. Band 5 vetoed to 0: 整顿, not 授牌.
    assert OVERRIDES.evaluate({"得分": "95"}, engine=engine).flags == ("授牌",)
    vetoed = OVERRIDES.evaluate({"得分": "95", "否决": "是"}, engine=engine)
    assert vetoed.flags == ("整顿",)
    flag_steps = {s.name: (s.line, s.applied) for s in trace_of(OVERRIDES, {"得分": "95", "否决": "是"})
                  if s.stage == "flag"}
    assert flag_steps == {"授牌": (11, False), "整顿": (12, True)}


def test_override_steps_are_traced_with_names_and_lines() -> None:
    # the trace: the reference engine's
    r = OVERRIDES.evaluate({"得分": "95", "限级": "是"}, trace=True)
    steps = {s.stage: (s.name, s.line, s.applied, s.value) for s in r.trace if s.stage in ("veto", "cap", "demote")}
    # Each step's value is the level after it: the demotion does not apply (5), the cap
    # lowers 5 to 4, the veto does not apply (4).
    assert steps == {
        "demote": ("降一级", 9, False, 5),
        "cap": ("最高四星", 8, True, 4),
        "veto": ("一票否决", 7, False, 4),
    }
    assert r.level == 4


# ==== the trace ===========================================================================================

TRACED = starrules.loads(lines(
    'scheme "追踪"',                                  # 1
    "levels stars 0..5",                              # 2
    "input 得分 : score 0..100",                      # 3
    "input 违纪 : bool",                              # 4
    "bonus 加分 {",                                   # 5
    '  "高分奖励": 5 when 得分 >= 95',                # 6
    "}",                                              # 7
    "total 总分 = 得分 + 加分",                       # 8
    "band 总分 {",                                    # 9
    "  5: [90, ..)",                                  # 10
    "  0: (.., 90)",                                  # 11
    "}",                                              # 12
    'cap "违纪不得五星" at most 4 when 违纪',         # 13
    'flag "授牌" when level == 5',                    # 14
))


def test_trace_steps_carry_names_lines_and_values() -> None:
    # the trace: the reference engine's.
    # 95 >= 95: bonus 5; 总分 = 95 + 5 = 100 -> band 5 (line 10); 违纪 caps at 4; no 授牌.
    r = TRACED.evaluate({"得分": "95", "违纪": "是"}, trace=True)
    got = [(s.stage, s.name, s.line, s.value, s.applied) for s in r.trace]
    assert got[:2] == [("input", "得分", 3, D(95), None), ("input", "违纪", 4, True, None)]
    rest = [(stage if stage != "total" else "score", name, line, val, applied)
            for stage, name, line, val, applied in got[2:]]
    assert rest == [
        ("bonus", "高分奖励", 6, D(5), True),
        ("score", "加分", 5, D(5), None),
        ("score", "总分", 8, D(100), None),
        ("band", "总分", 10, 5, None),
        ("cap", "违纪不得五星", 13, 4, True),
        ("flag", "授牌", 14, False, False),
    ]
    assert r.level == 4 and r.band_level == 5 and r.total == 100
    assert all(s.detail for s in r.trace)
    assert "违纪不得五星" in r.explain()


# ==== serialisation ==========================================================================================

def test_to_dict_is_json_and_keeps_digits(engine: str) -> None:
    scheme = load(
        'scheme "序列化"',
        "levels stars 0..2",
        "input 编号 : id",
        "input 单位 : group",
        "input 得分 : score 0..100 step 0.05",
        f"input 表彰 : {SET}",
        "input 满意率 : percent",
        "band 得分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }",
    )
    record = {"编号": "A1", "单位": "一支部", "得分": "89.95", "表彰": "省级、市级", "满意率": "85.5%"}
    r = scheme.evaluate(record, engine=engine)
    # 89.95 is in [60, 90): 1 star; the total is the banded score itself
    assert r.total == D("89.95")
    d = r.to_dict()
    text = json.dumps(d, ensure_ascii=False)
    assert json.loads(text) == d
    assert d["total"] == "89.95" and d["level"] == 1 and d["status"] == "rated"
    assert d["id"] == "A1" and d["groups"] == {"单位": "一支部"}
    # the compiled engine keeps no trace; the reference engine's shows the inputs
    assert d["trace"] == ([] if engine == "compiled" else [s.to_dict() for s in r.trace])
    values = {s["name"]: s["value"] for s in scheme.evaluate(record, trace=True).to_dict()["trace"] if s["stage"] == "input"}
    assert values["得分"] == "89.95"
    assert values["满意率"] == "0.855"       # 85.5% as the exact ratio
    assert values["表彰"] == ["市级", "省级"]
    assert "trace" not in r.to_dict(trace=False)


def test_to_dict_of_an_invalid_entity_is_json(engine: str) -> None:
    r = GATES.evaluate({"样本率": "5%", "得分": "95"}, engine=engine)
    d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert d["status"] == "invalid" and d["reason"] == "样本不少于10%" and d["level"] is None


# ==== full-width punctuation and curly quotes ===================================================================

FULL_WIDTH = starrules.loads(lines(
    "scheme “全角符号” version “2024”",
    "levels stars 0..2",
    "input 满意率：percent",
    "input 得分：score 0..100",
    "penalty 扣分 ｛ “满意率低（扣5分）”：5 when 满意率 ＜ 60％ ｝",
    "total 总分 ＝ sum（得分，10） - 扣分",
    "band 总分 ｛ 2：［80， ..）， 1：[60，80)， 0：else ｝",
    "veto “满意率过低” when 满意率 ＜ 50％",
))


def test_full_width_punctuation_and_curly_quotes(engine: str) -> None:
    assert FULL_WIDTH.title == "全角符号" and FULL_WIDTH.version == "2024"
    # 55% < 60%: 扣分 5; 总分 = 70 + 10 - 5 = 75 -> [60, 80): 1
    r = FULL_WIDTH.evaluate({"满意率": "55％", "得分": "70"}, engine=engine)
    assert r.total == 75 and r.level == 1
    # texts in curly quotes keep their own full-width characters
    trace = trace_of(FULL_WIDTH, {"满意率": "55％", "得分": "70"})
    assert [s.name for s in trace if s.stage == "penalty"] == ["满意率低（扣5分）"]
    # 45% < 50%: vetoed, by the rule named in curly quotes
    vetoed = FULL_WIDTH.evaluate({"满意率": "45%", "得分": "100"}, engine=engine)
    assert vetoed.level == 0 and vetoed.reason == "满意率过低"


# ==== the checker: one minimal bad scheme per error ============================================================

def test_e101_unknown_name_with_did_you_mean() -> None:
    d = only(errors(
        'scheme "拼错"',
        "levels stars 0..1",
        "input 满意率 : percent",
        "score 得分 = 10 when 满意度 > 60%",
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E101")
    # "score 得分 = 10 when " is 19 characters: 满意度 starts at column 20
    assert (d.span.line, d.span.column) == (4, 20)
    assert "满意度" in d.message
    assert d.hint is not None and "满意率" in d.hint


def test_e101_unknown_band_score() -> None:
    d = only(errors('scheme "t"', "levels stars 0..1", "input 得分 : score 0..10",
                    "band 得份 { 1: [5, ..)  0: else }"), "E101")
    assert d.span.line == 4 and d.hint is not None and "得分" in d.hint


def test_e102_duplicate_input() -> None:
    d = only(errors(
        'scheme "重复"',
        "levels stars 0..1",
        "input 得分 : score 0..10",
        "input 得分 : percent",
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E102")
    assert d.span.line == 4
    assert d.hint is not None and "line 3" in d.hint


def test_e102_duplicate_rule_name() -> None:
    d = only(errors(
        'scheme "重复"', "levels stars 0..1", "input 得分 : score 0..10",
        'veto "否决" when 得分 < 1',
        'veto "否决" when 得分 < 2',
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E102")
    assert d.span.line == 5 and d.hint is not None and "line 4" in d.hint


def test_e103_no_scheme_line_and_no_levels() -> None:
    d = only(errors("levels stars 0..1", "input 得分 : score 0..10", "band 得分 { 1: [5, ..)  0: else }"), "E103")
    assert d.span.line == 1 and d.hint is not None and "scheme" in d.hint
    d = one(errors('scheme "t"', "input 得分 : score 0..10", "band 得分 { 1: [5, ..)  0: else }"), "E103")
    assert d.span.line == 1 and d.hint is not None and "levels stars" in d.hint


def test_e104_level_that_is_not_declared() -> None:
    d = only(errors(
        'scheme "级别"', "levels stars 0..5", "input 得分 : score 0..100",
        'cap "不存在的级别" at most 7 when 得分 < 10',
        "band 得分 { 5: [90, ..)  0: else }",
    ), "E104")
    assert d.span.line == 4 and d.hint is not None and "0..5" in d.hint


@pytest.mark.parametrize(("labels", "written", "meant"), [
    ('{ 3: "三星级" }', "三星级", 3),    # the label declared for 3
    ('{ 4: "优秀" }', "优秀", 4),        # any declared label names its level
    ("", "三星级", 3),                   # 三 is 3 in words, though no label says so
    ("", "两星", 2),
    ("", "五颗星", 5),
])
def test_e104_level_written_as_its_label_says_which_number(labels: str, written: str, meant: int) -> None:
    d = only(errors(
        'scheme "级别"', f"levels stars 0..5 {labels}", "input 得分 : score 0..100",
        f'cap "超过一年不换届" at most {written} when 得分 < 10',
        "band 得分 { 5: [90, ..)  0: else }",
    ), "E104")
    assert d.span.line == 4 and d.hint is not None
    assert d.hint.startswith(f"write {meant}: a star level is written as its number of stars"), d.hint


def test_e104_a_word_naming_no_level_keeps_the_range_hint() -> None:
    # 七星级 is seven stars, which levels 0..5 do not have: no number to suggest.
    d = only(errors(
        'scheme "级别"', "levels stars 0..5", "input 得分 : score 0..100",
        'cap "七星" at most 七星级 when 得分 < 10',
        "band 得分 { 5: [90, ..)  0: else }",
    ), "E104")
    assert d.hint == "levels run 0..5"


def test_e104_misspelt_grade() -> None:
    d = only(errors(
        'scheme "级别"', "levels grades 不合格 < 合格 < 优秀", "input 得分 : score 0..100",
        "band 得分 { 优秀: [90, ..)  合格: [60, 90)  不合格: else }",
        'flag "表彰" when level == 忧秀',
    ), "E104")
    assert d.span.line == 5 and d.hint is not None and "优秀" in d.hint


def test_e105_unknown_function() -> None:
    d = only(errors(
        'scheme "函数"', "levels stars 0..1", "input a : score 0..10",
        "score s = summ(a, 1)",
        "band s { 1: [5, ..)  0: else }",
    ), "E105")
    assert d.span.line == 4 and d.hint is not None and "sum" in d.hint


def test_e106_not_one_of_the_choices() -> None:
    d = only(errors(
        'scheme "选项"', "levels stars 0..5", "input 得分 : score 0..100",
        f"input 换届 : {ENUM}",
        'cap "未按期换届" at most 4 when 换届 != 按时',
        "band 得分 { 5: [90, ..)  0: else }",
    ), "E106")
    assert d.span.line == 5 and d.hint is not None and "按期" in d.hint


def test_e106_names_every_choice_equally_close() -> None:
    d = only(errors(
        'scheme "选项"', "levels stars 0..5", "input 得分 : score 0..100",
        "input 换届 : one of {按期, 逾期, 逾期超过一年} default 按期",
        'cap "超期换届" at most 4 when 换届 == 超期',
        "band 得分 { 5: [90, ..)  0: else }",
    ), "E106")
    # 超期 is one character away from 按期 and from 逾期 (and shares no first character with
    # either): neither is closer, so both are named, not the first in sorted order.
    assert d.hint == "did you mean '按期' or '逾期'?"


def test_e101_names_every_name_equally_close() -> None:
    d = only(errors(
        'scheme "拼错"', "levels stars 0..1",
        "input 基础分 : score 0..10", "input 基础值 : score 0..10",
        "score 得分 = 基础份 + 基础值",
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E101")
    # 基础份 is one character from 基础分 and from 基础值; both share 基础, so it is a tie.
    assert d.hint == "did you mean '基础值' or '基础分'?"


def test_e106_table_key_not_a_choice() -> None:
    d = only(errors(
        'scheme "选项"', "levels stars 0..1", f"input 表彰 : {SET}",
        "score s = highest 表彰 {市级: 3, 省极: 5}",
        "band s { 1: [5, ..)  0: else }",
    ), "E106")
    assert d.span.line == 4 and d.hint is not None and "省级" in d.hint


def test_e107_scores_in_a_circle() -> None:
    diags = errors(
        'scheme "循环"', "levels stars 0..1",
        "score 甲 = 乙 + 1",
        "score 乙 = 甲",
        "band 甲 { 1: [5, ..)  0: else }",
    )
    assert {d.code for d in diags} == {"E107"}
    assert diags[0].span.line in (3, 4)
    assert "甲" in diags[0].message and "乙" in diags[0].message


def test_e201_type_error_percent_plus_number() -> None:
    d = only(errors(
        'scheme "类型"', "levels stars 0..1", "input 满意率 : percent",
        "score s = 满意率 + 5",
        "band s { 1: [5, ..)  0: else }",
    ), "E201")
    assert d.span.line == 4 and d.hint is not None and "60%" in d.hint


def test_e201_percent_compared_with_a_bare_number() -> None:
    d = one(errors(
        'scheme "类型"', "levels stars 0..1", "input 满意率 : percent", "input 得分 : score 0..10",
        'veto "满意率低" when 满意率 < 50',
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E201")
    assert d.span.line == 5 and d.hint is not None and "%" in d.hint


def test_e201_each_needs_a_count() -> None:
    d = only(errors(
        'scheme "类型"', "levels stars 0..1", "input a : score 0..10",
        "score s = 3 each a",
        "band s { 1: [5, ..)  0: else }",
    ), "E201")
    assert d.span.line == 4 and d.hint is not None and "count" in d.hint


def test_e202_condition_that_is_not_yes_no() -> None:
    d = only(errors(
        'scheme "条件"', "levels stars 0..1", "input 得分 : score 0..10",
        'veto "否决" when 得分',
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E202")
    assert d.span.line == 4 and d.hint is not None


def test_e203_score_that_is_not_a_number() -> None:
    d = only(errors(
        'scheme "分数"', "levels stars 0..1", "input 达标 : bool",
        "score s = 达标",
        "band s { 1: [5, ..)  0: else }",
    ), "E203")
    assert d.span.line == 4 and d.hint is not None and "when" in d.hint


def test_e204_level_outside_flags() -> None:
    d = only(errors(
        'scheme "级别"', "levels stars 0..5", "input 得分 : score 0..100",
        'veto "低级别" when level < 2',
        "band 得分 { 5: [90, ..)  0: else }",
    ), "E204")
    assert d.span.line == 4 and d.hint is not None and "flag" in d.hint


def test_e205_scores_read_in_require() -> None:
    d = only(errors(
        'scheme "前置"', "levels stars 0..1", "input a : score 0..10",
        "score 得分 = a * 2",
        'require "得分够高": 得分 > 5',
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E205")
    assert d.span.line == 5 and d.hint is not None


def test_e301_percentage_outside_its_range() -> None:
    d = only(errors(
        'scheme "范围"', "levels stars 0..1", "input 满意率 : percent", "input 得分 : score 0..10",
        'veto "不可能" when 满意率 < 150%',
        "band 得分 { 1: [5, ..)  0: else }",
    ), "E301")
    # 'veto "不可能" when 满意率 < ' is 22 characters: 150% starts at column 23
    assert (d.span.line, d.span.column) == (5, 23)
    assert "150%" in d.message and d.hint is not None and "percent" in d.hint


def test_e301_constant_above_a_score_range() -> None:
    d = only(errors(
        'scheme "范围"', "levels stars 0..1", "input x : score 0..10",
        'flag "不可能" when x >= 12',
        "band x { 1: [5, ..)  0: else }",
    ), "E301")
    assert d.span.line == 4 and "12" in d.message
    assert d.hint is not None and "0..10" in d.hint


def test_e301_default_outside_its_range() -> None:
    d = only(errors(
        'scheme "范围"', "levels stars 0..1", "input n : count 0..5 default 6",
        "band n { 1: [5, ..)  0: else }",
    ), "E301")
    assert d.span.line == 3 and d.hint is not None and "0..5" in d.hint


@pytest.mark.parametrize(("decl", "hint_part"), [
    ("input x : score 10..0", "0..10"),
    ("input x : score 0..10 step 3", "multiple"),
    ("input x : score 0..10 step 0", "step"),
])
def test_e302_bad_range_or_step(decl: str, hint_part: str) -> None:
    d = only(errors('scheme "范围"', "levels stars 0..1", decl, "band x { 1: [5, ..)  0: else }"), "E302")
    assert d.span.line == 3 and d.hint is not None and hint_part in d.hint


def test_e302_levels_written_backwards() -> None:
    diags = errors('scheme "级别"', "levels stars 5..0", "input x : score 0..10", "band x { 0: else }")
    assert diags[0].code == "E302" and diags[0].span.line == 2
    assert diags[0].hint is not None and "0..5" in diags[0].hint


def test_e303_percentage_weights_must_add_to_100() -> None:
    d = only(errors(
        'scheme "权重"', "levels stars 0..1", *RATERS,
        "score s = weighted 30%:60% (x, y)",
        "band s { 1: [5, ..)  0: else }",
    ), "E303")
    assert d.span.line == 5 and "90%" in d.message and d.hint is not None and "100%" in d.hint


def test_e303_thirds_need_a_rounding() -> None:
    d = only(errors(
        'scheme "权重"', "levels stars 0..1", *RATERS,
        "score s = weighted 1:2 (x, y)",
        "band s { 1: [5, ..)  0: else }",
    ), "E303")
    assert d.span.line == 5 and d.hint is not None and "round" in d.hint


def test_e303_one_weight_per_rater() -> None:
    d = only(errors(
        'scheme "权重"', "levels stars 0..1", *RATERS,
        "score s = weighted 3:7 (x, y, 5)",
        "band s { 1: [5, ..)  0: else }",
    ), "E303")
    assert d.span.line == 5 and d.hint is not None


def test_e401_gap_between_bands_has_a_witness() -> None:
    d = only(errors(
        'scheme "缺口"', "levels stars 0..5", "input s : score 0..100",
        "band s {",
        "  5: [90, ..)",
        "  4: [80, 89]",
        "  0: (.., 80)",
        "}",
    ), "E401")
    # nothing holds 89 < s < 90; the middle, 89.5, is the witness; the fix is to end the
    # four-star band where five stars start: [80, 90)
    assert "89.5" in d.message
    assert d.span.line in (5, 6)
    assert d.hint is not None and "4星: [80, 90)" in d.hint


def test_e401_integer_ranges_as_the_text_writes_them() -> None:
    # "90—100分为五星级，80—89分为四星级" written literally: 89.5 falls between 4 and 5, and
    # bonuses can lift a total past 100, where no band is either.
    # (the total is the score plus a bonus of up to 8, so it can reach 108)
    diags = errors(
        'scheme "整数区间"', "levels stars 0..5", "input s : score 0..100 step 0.5", "input b : count 0..1",
        "total t = s + 8 each b",
        "band t {",
        "  5: [90, 100]",
        "  4: [80, 89]",
        "  0: (.., 80)",
        "}",
    )
    assert {d.code for d in diags} == {"E401"}
    gap = [d for d in diags if "89.5" in d.message]
    top = [d for d in diags if "above 100" in d.message]
    assert len(gap) == 1 and len(top) == 1 and len(diags) == 2
    assert gap[0].span.line in (7, 8) and top[0].span.line == 7


def test_e401_witness_is_a_score_the_steps_allow() -> None:
    # s is a whole number (step 1): [80, 89) leaves 89 <= s < 90 in no band, and the only
    # whole number there is 89, so 89 is the score shown, not the middle 89.5.
    d = only(errors(
        'scheme "缺口"', "levels stars 0..5", "input s : score 0..100 step 1",
        "band s { 5: [90, ..)  4: [80, 89)  0: (.., 80) }",
    ), "E401")
    assert d.message.startswith("a score of 89 falls in no band"), d.message


def test_no_gap_between_whole_numbers() -> None:
    # [80, 89] then [90, ..): nothing holds 89 < s < 90, but a whole-number score (step 1),
    # even plus 3 points per count, is never there: every score falls in a band.
    scheme = load('scheme "整数"', "levels stars 0..2", "input s : score 0..100 step 1", "input n : count 0..3",
                  "total t = s + 3 each n", "band t { 2: [90, ..)  1: [80, 89]  0: (.., 80) }")
    assert scheme.warnings == []


@pytest.mark.parametrize(("total", "witness"), [
    ("s + 0.5 each n", "89.5"),               # whole numbers and halves: 89.5 lies in (89, 90)
    ("s + 0.3 each n", "89.5"),               # steps of 0.1 (gcd of 1 and 0.3): the middle, 89.5
    ("s + 0.25", "89.25"),                    # a quarter past whole numbers: only 89.25 in (89, 90)
    ("weighted 1:1 (s, s2)", "89.5"),         # half of a whole number plus half of one
    ("weighted 1:2 (s, s2) round 0.01", "89.5"),  # rounded to hundredths: the middle is one
])
def test_e401_witness_on_the_grid_of_a_computed_total(total: str, witness: str) -> None:
    d = only(errors(
        'scheme "缺口"', "levels stars 0..5", "input s : score 0..100 step 1", "input s2 : score 0..100 step 1",
        "input n : count 0..3", f"total t = {total}", "band t { 5: [90, ..)  4: [80, 89]  0: (.., 80) }",
    ), "E401")
    assert d.message.startswith(f"a score of {witness} falls in no band"), d.message


@pytest.mark.parametrize(("step", "gap"), [("1", None), ("0.1", "89.5")])
def test_e401_with_another_error_still_respects_the_steps(step: str, gap: str | None) -> None:
    # An unknown name elsewhere (E101) leaves no model, but the band's score is still known:
    # a whole-number score never falls between [80, 89] and [90, ..); one in tenths does.
    diags = errors('scheme "缺口"', "levels stars 0..2", f"input s : score 0..100 step {step}",
                   "band s { 2: [90, ..)  1: [80, 89]  0: (.., 80) }", 'flag "标记" when 未声明 > 1')
    assert [d.code for d in diags] == (["E401", "E101"] if gap else ["E101"])
    if gap:
        assert diags[0].message.startswith(f"a score of {gap} falls in no band")


def test_e401_top_band_closed_above() -> None:
    # s + b reaches 105, past the closed top of [90, 100]
    d = only(errors(
        'scheme "缺口"', "levels stars 0..5", "input s : score 0..100", "input b : score 0..5",
        "band t { 5: [90, 100]  0: (.., 90) }", "total t = s + b",
    ), "E401")
    assert d.span.line == 5 and "100" in d.message and d.hint is not None and "[90, ..)" in d.hint


def test_no_gap_where_the_score_cannot_go() -> None:
    # s runs 0..100: nothing lies above the closed top, and nothing below 60 but (.., 60)
    scheme = load('scheme "x"', "levels stars 0..1", "input s : score 0..100", "band s { 1: [60, 100]  0: [0, 60) }")
    assert scheme.warnings == []


def test_e402_overlapping_bands_name_the_shared_value() -> None:
    d = only(errors(
        'scheme "重叠"', "levels stars 0..5", "input s : score 0..100",
        "band s {",
        "  5: [90, ..)",
        "  4: [80, 90]",
        "  0: (.., 80)",
        "}",
    ), "E402")
    # 90 is in both [80, 90] and [90, ..)
    assert "90" in d.message and d.span.line in (5, 6)
    assert d.hint is not None


def test_e403_empty_interval() -> None:
    diags = errors(
        'scheme "空区间"', "levels stars 0..5", "input s : score 0..100",
        "band s { 5: [90, ..)  4: [90, 80)  0: (.., 90) }",
    )
    d = only(diags, "E403")
    assert d.span.line == 4 and d.hint is not None and "lower end first" in d.hint


def test_e405_no_band() -> None:
    d = only(errors('scheme "无档"', "levels stars 0..5", "input s : score 0..100"), "E405")
    assert d.hint is not None and "band" in d.hint


def test_all_problems_of_a_file_are_reported_at_once() -> None:
    diags = errors(
        'scheme "三个错误"',                     # 1
        "levels stars 0..1",                     # 2
        "input x : score 0..10",                 # 3
        "input x : percent",                     # 4  duplicate input
        "score s = x + y",                       # 5  unknown name
        'veto "不可能" when x >= 12',            # 6  outside 0..10
        "band s { 1: [5, ..)  0: else }",        # 7
    )
    assert [(d.code, d.span.line) for d in diags] == [("E102", 4), ("E101", 5), ("E301", 6)]


def test_all_syntax_errors_of_a_file_are_reported_at_once() -> None:
    diags = errors(
        'scheme "语法"',                          # 1
        "levels stars 0..1",                      # 2
        "input x : score 0..10",                  # 3
        "score s = x +",                          # 4  unfinished
        "band x { 1: [5, ..)  0: else }",         # 5
        'veto "v" whem x < 1',                    # 6  misspelt keyword
    )
    assert [d.code for d in diags] == ["E001", "E001"]
    assert [d.span.line for d in diags] == [4, 6]
    assert diags[1].hint is not None and "when" in diags[1].hint


def test_e001_a_brace_never_closed_is_named_with_its_line() -> None:
    diags = errors(
        'scheme "括号"',                                   # 1
        "levels stars 0..1",                               # 2
        "input 表彰 : set of {市级, 省级}",                # 3
        "bonus 加分 {",                                    # 4  never closed
        '  "表彰": highest 表彰 { 市级: 3, 省级: 5 }',    # 5  the last entry
        "total 得分 = 加分",                               # 6  the next statement
        "band 得分 { 1: [5, ..)  0: else }",               # 7
    )
    d = only(diags, "E001")
    # "bonus 加分 " is 9 characters: the brace is column 10 of line 4
    assert (d.span.line, d.span.column) == (4, 10)
    assert d.message == "the '{' on line 4 is never closed"
    assert d.hint == "close it with '}' after its last entry (line 5), before line 6"


def test_e001_a_brace_open_at_the_end_of_the_file() -> None:
    d = only(errors(
        'scheme "括号"', "levels stars 0..5", "input s : score 0..100", "band s { 5: [90, ..)  0: (.., 90) }",
        'quota "五星" {',                                  # 5
        "  level 5 at most 10%",                           # 6
    ), "E001")
    # 'quota "五星" ' is 11 characters: the brace is column 12
    assert (d.span.line, d.span.column) == (5, 12)
    assert d.hint == "close it with '}' after its last entry (line 6), before the end of the file"


def test_e001_braces_in_texts_and_comments_are_not_brackets() -> None:
    d = only(errors(
        'scheme "括号"', "levels stars 0..1", "input s : score 0..100",
        'flag "标记{" when s > 50  # 注释 {',              # 4: neither brace opens anything
        "band s { 1: [5, ..)  0: else",                    # 5  never closed
    ), "E001")
    assert (d.span.line, d.message) == (5, "the '{' on line 5 is never closed")


def test_e001_clauses_of_a_block_on_their_own_lines_are_not_statements() -> None:
    # A quota and a selection written a clause a line (their 'level', 'cap' and 'flag'
    # lines begin like statements), and one slip elsewhere: that slip is the only error.
    d = only(errors(
        'scheme "多行"', "levels stars 0..5", "input 名称 : id", "input s : score 0..100",
        "band s { 5: [90, ..)  0: (.., 90) }",
        'quota "五星" {', "  level 5 at most 10%", "  round floor", "}",
        'select "倒排" {', "  bottom 10%", '  flag "整顿"', "}",
        'select "封顶" {', "  bottom 1", "  cap at most 4", "}",
        'veto "v" when s < < 3',                           # 18
    ), "E001")
    assert d.span.line == 18


# ==== rendering under Chinese ====================================================================================

def test_render_puts_the_caret_under_chinese_names() -> None:
    source = lines(
        'scheme "拼错"',
        "levels stars 0..1",
        "input 满意率 : percent",
        "score 得分 = 10 when 满意度 > 60%",
        "band 得分 { 1: [5, ..)  0: else }",
    )
    with pytest.raises(StarCheckError) as info:
        starrules.loads(source)
    (d,) = info.value.diagnostics
    out = starrules.render(d, source).splitlines()
    # "score " is 6 columns, 得分 is 4, " = 10 when " is 11: the caret starts 21 columns
    # in, under 满意度, which is 3 wide characters: 6 carets.
    at = out.index(" 4 | score 得分 = 10 when 满意度 > 60%")
    assert out[at + 1] == "   | " + " " * 21 + "^" * 6
    assert any("满意率" in line for line in out[at + 2:])


def test_render_a_syntax_error_after_chinese() -> None:
    source = lines('scheme "顿号"', "levels stars 0..1", "input 表彰 : set of {市级、省级}")
    with pytest.raises(StarSyntaxError) as info:
        starrules.loads(source)
    (d,) = info.value.diagnostics
    # "input 表彰 : set of {市级" is 21 characters: 、 is column 22
    assert (d.code, d.span.line, d.span.column) == ("E001", 3, 22)
    assert d.hint is not None and "," in d.hint
    out = starrules.render(d, source).splitlines()
    at = out.index(" 3 | input 表彰 : set of {市级、省级}")
    # 6 + 4 + 11 + 4 = 25 columns before 、, which is 2 wide
    assert out[at + 1] == "   | " + " " * 25 + "^^"
