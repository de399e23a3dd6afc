"""The compiled evaluator's fast path: scaled integers, remembered readers, lazy results.

The fast path computes on integers scaled by the decimal places the declarations allow
and hands anything else to the exact Decimal path. These tests pin the edges of that
promise: each case is one where the integers could go wrong (more places than the scale,
a division that does not come out, numbers longer than the reference's 80 digits, JSON
values whose equal hashes differ in type), and each expected value is worked out by hand.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import starrules
from starrules import compiler, model
from starrules.result import unscale

RATERS = """scheme "两级评分"
levels stars 0..2
input 名称 : id
input 自评 : score 0..100
input 乡镇评 : score 0..100
input 满意率 : percent
input 次数 : count
input 合格 : bool
score 综合 = weighted 3:7 (自评, 乡镇评)
score 平均 = weighted 1:2 (自评, 乡镇评) round 0.01
score 总分 = 综合 + 满意率 * 10 - 次数 * 0.5
band 总分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }
veto "不合格" when not 合格
"""


def both(scheme: starrules.Scheme, record: dict[str, Any]) -> tuple[Any, Any]:
    def run(engine: str) -> Any:
        try:
            return scheme.evaluate(record, trace=engine == "reference", engine=engine)
        except starrules.StarError as exc:
            return type(exc).__name__, str(exc)

    return run("compiled"), run("reference")


def same(a: Any, b: Any) -> None:
    if isinstance(a, tuple):
        assert a == b
        return
    for field in starrules.Result.FIELDS:
        if field != "trace":
            assert getattr(a, field) == getattr(b, field), field


def test_every_model_node_has_a_fast_path_handler() -> None:
    for cls in model.EXPR_NODES:
        assert hasattr(compiler._Fast, "f_" + cls.__name__), f"no fast-path handler for {cls.__name__}"


def test_scales_come_from_the_declarations() -> None:
    scheme = starrules.loads(RATERS)
    scales = dict(zip(scheme.compiled.program.inputs, (compiler.input_scale(i) for i in scheme.inputs), strict=True))
    by_name = {i.name: s for i, s in scales.items()}
    # a score without a step: hundredths; a percentage: hundredths of a percent (4 places
    # of the fraction); a count: whole numbers; texts and yes/no are not numbers
    assert by_name == {"名称": None, "自评": 2, "乡镇评": 2, "满意率": 4, "次数": 0, "合格": None}
    assert "no scaled-integer fast path" not in scheme.compiled.source


def test_weighted_sums_and_rounding_by_hand() -> None:
    scheme = starrules.loads(RATERS)
    record = {"名称": "甲村", "自评": "95", "乡镇评": "80.5", "满意率": "90%", "次数": "3", "合格": "是"}
    got, ref = both(scheme, record)
    same(got, ref)
    # 3:7 of 95 and 80.5 = (285 + 563.5) / 10 = 84.85; 1:2 = (95 + 161) / 3 = 85.333… → 85.33;
    # total = 84.85 + 0.9 × 10 − 3 × 0.5 = 92.35 → two stars
    assert got.scores == {"综合": Decimal("84.85"), "平均": Decimal("85.33"), "总分": Decimal("92.35")}
    assert got.level == 2 and got.total == Decimal("92.35")


def test_half_up_rounding_of_a_negative_free_tie() -> None:
    scheme = starrules.loads(RATERS)
    # 1:2 of 0.01 and 0.01 is 0.01 exactly; of 0.01 and 0.02: 0.05 / 3 = 0.01666… → 0.02
    got, ref = both(scheme, {"名称": "乙", "自评": "0.01", "乡镇评": "0.02", "满意率": "0%", "次数": "0", "合格": "是"})
    same(got, ref)
    assert got.scores["平均"] == Decimal("0.02")


def test_more_places_than_the_scale_go_to_the_exact_path() -> None:
    scheme = starrules.loads(RATERS)
    # 80.555 has three places, one more than a score without a step keeps on the fast
    # path: the exact path takes it. 3:7 of 95 and 80.555 = (285 + 563.885) / 10 = 84.8885
    record = {"名称": "丙", "自评": "95", "乡镇评": "80.555", "满意率": "90.125%", "次数": "0", "合格": "是"}
    got, ref = both(scheme, record)
    same(got, ref)
    # 84.8885 + 0.90125 × 10 = 93.90100 → 93.901
    assert got.scores["综合"] == Decimal("84.8885") and got.total == Decimal("93.901")


def test_the_integer_divisions() -> None:
    from starrules.runtime import Slow, div_exact, div_half_up

    # half away from zero, as round_half_up: 5/2 = 2.5 → 3, 7/3 = 2.33 → 2, -5/2 → -3
    assert [div_half_up(5, 2), div_half_up(7, 3), div_half_up(-5, 2), div_half_up(-7, 3), div_half_up(0, 9)] == \
        [3, 2, -3, -2, 0]
    assert div_exact(84, 4) == 21
    with pytest.raises(Slow):  # 5/3 has no exact decimal: the exact path decides
        div_exact(5, 3)


def test_json_values_of_every_python_type() -> None:
    scheme = starrules.loads(RATERS)
    # JSON gives numbers and booleans, not texts; True == 1 in Python, so the remembered
    # readers must never take one for the other: 合格 True is yes; 次数 True is refused.
    record: dict[str, Any] = {"名称": 7, "自评": 95, "乡镇评": 80.5, "满意率": "90%", "次数": 1, "合格": True}
    got, ref = both(scheme, record)
    same(got, ref)
    assert got.id == "7" and got.level == 2
    bad = dict(record, 次数=True)
    got_bad, ref_bad = both(scheme, bad)
    assert got_bad == ref_bad and got_bad[0] == "InputError"
    # the same raw text twice: the second read comes from the memo, with the same answer
    again, _ = both(scheme, record)
    same(again, got)


def test_bad_values_give_the_reference_messages() -> None:
    scheme = starrules.loads(RATERS)
    record = {"名称": " ", "自评": "101", "乡镇评": "八十", "满意率": "0.9", "次数": "-1", "合格": "也许"}
    got, ref = both(scheme, record)
    assert got == ref and got[0] == "InputError"


def test_results_make_their_values_when_asked() -> None:
    scheme = starrules.load("schemes/anyang.star")
    record = {"支部名称": "甲", "所属单位": "乙", "民主评议满意率": "95%",
              **dict.fromkeys(["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度",
                               "党建引领群团", "遵章守纪", "设施配套", "落实上级工作", "服务意识群众基础"], "8.5")}
    got, ref = both(scheme, record)
    same(got, ref)
    # ten areas of 8.5 = 85, no bonus, no penalty: four stars
    assert got.total == Decimal(85) and got.level == 4
    assert got.inputs["组织健全"] == Decimal("8.5") and got.inputs["民主评议满意率"] == Decimal("0.95")
    assert got.groups == {"所属单位": "乙"} and got.id == "甲"
    assert got == scheme.evaluate(record, trace=False, engine="compiled")


def test_unscale() -> None:
    assert unscale(85, 1) == Decimal("8.5") and str(unscale(80, 1)) == "8" and str(unscale(0, 3)) == "0"
    assert str(unscale(-1234, 2)) == "-12.34" and str(unscale(7, 0)) == "7"


@settings(max_examples=150, deadline=None)
@given(own=st.decimals(0, 100, places=3), town=st.decimals(0, 100, places=2),
       sat=st.decimals(0, 100, places=3), count=st.integers(0, 50), ok=st.booleans())
def test_fast_and_exact_agree_on_numbers_of_any_places(own: Decimal, town: Decimal, sat: Decimal, count: int,
                                                       ok: bool) -> None:
    scheme = starrules.loads(RATERS)
    record = {"名称": "甲", "自评": str(own), "乡镇评": str(town), "满意率": f"{sat}%", "次数": str(count),
              "合格": "是" if ok else "否"}
    got, ref = both(scheme, record)
    same(got, ref)


def test_an_equal_weighting_adds_a_decimal_place() -> None:
    # weights 1:1 divide by 2, which needs one more decimal place than the inputs: 4 and
    # 7 (steps of 1... no step: scale 2) give (4 + 7) / 2 = 5.5
    text = """scheme "零权重"
levels stars 0..1
input a : score 0..10
input b : score 0..10
score w = weighted 1:1 (a, b)
band w { 1: [5, ..)  0: (.., 5) }
"""
    scheme = starrules.loads(text)
    got, ref = both(scheme, {"a": "4", "b": "7"})
    same(got, ref)
    assert got.scores["w"] == Decimal("5.5") and got.level == 1


@pytest.mark.parametrize("memo_limit", [0, 3])
def test_memo_limit_only_changes_speed(monkeypatch: pytest.MonkeyPatch, memo_limit: int) -> None:
    from starrules import runtime

    monkeypatch.setattr(runtime, "MEMO_LIMIT", memo_limit)
    scheme = starrules.loads(RATERS)
    for own in ("10", "20", "30", "40", "10"):
        got, ref = both(scheme, {"名称": "甲", "自评": own, "乡镇评": "50", "满意率": "50%", "次数": "0", "合格": "是"})
        same(got, ref)


def test_a_scheme_the_fast_path_does_not_take_runs_on_the_exact_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any) -> None:
        raise compiler._NoFast("not this one")

    monkeypatch.setattr(compiler._Fast, "function", refuse)
    scheme = starrules.loads(RATERS)
    assert "no scaled-integer fast path: not this one" in scheme.compiled.source
    record = {"名称": "甲村", "自评": "95", "乡镇评": "80.5", "满意率": "90%", "次数": "3", "合格": "是"}
    got, ref = both(scheme, record)
    same(got, ref)
    assert got.total == Decimal("92.35")


@pytest.mark.parametrize("engine", ["reference", "compiled"])
def test_held_names_the_caps_and_demotions_whose_conditions_held(engine: str) -> None:
    scheme = starrules.load("schemes/anyang.star")
    areas = ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度",
             "党建引领群团", "遵章守纪", "设施配套", "落实上级工作", "服务意识群众基础"]
    record = {"支部名称": "甲", "所属单位": "乙", "民主评议满意率": "95%", "换届情况": "逾期",
              **dict.fromkeys(areas, "7.5")}
    got = scheme.evaluate(record, trace=engine == "reference", engine=engine)
    # ten areas of 7.5 = 75: three stars; late re-election (逾期) caps at four stars, which
    # holds but changes nothing: it is in `held`, not the reason
    assert got.level == 3 and got.reason is None and got.limit_rank == 4
    assert got.held == ("无特殊理由、无请示不按期换届，不得定为五星级",)
    # three absences: 3 points each off (75 - 9 = 66: two stars), then down one star (to
    # one) and capped at four; both held, the demotion is the reason
    got = scheme.evaluate(dict(record, 换届情况="按期", 缺席次数="3"), trace=engine == "reference", engine=engine)
    assert got.total == Decimal(66) and got.level == 1 and got.reason == "无故缺席累计3次及以上，降低一个星级"
    assert got.held == ("无故缺席累计3次及以上，降低一个星级", "无故缺席累计3次及以上，不得定为五星级")


# ---- typed cells: Python numbers, booleans and collections on the fast path ------------

ANYANG_AREAS = ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度",
                "党建引领群团", "遵章守纪", "设施配套", "落实上级工作", "服务意识群众基础"]


def anyang_record(area: object, honours: object, satisfaction: object, absences: object) -> dict[str, object]:
    return {"支部名称": "示例一支部", "所属单位": "示例党委", **dict.fromkeys(ANYANG_AREAS, area),
            "表彰": honours, "民主评议满意率": satisfaction, "缺席次数": absences}


@pytest.mark.parametrize("typed", [
    anyang_record(Decimal("8.9"), {"市级", "省级"}, 91.0, 0),
    anyang_record(Decimal("8.90"), ["省级", "市级"], Decimal("91"), 0),
    anyang_record(8.9, ("市级", "省级"), 91, 0.0),
    anyang_record(Decimal("8.9"), frozenset({"市级", "省级"}), "91%", Decimal("0")),
])
def test_typed_cells_give_what_text_cells_give(typed: dict[str, object]) -> None:
    scheme = starrules.load("schemes/anyang.star")
    text = anyang_record("8.9", "市级、省级", "91%", "0")
    # ten areas of 8.9 = 89; the highest honour of {市级 3, 省级 5} = 5; total 94: five
    # stars (the scheme's own first example, by hand)
    for _ in range(2):  # the second time every value comes from the memos
        for record in (text, typed):
            got, ref = both(scheme, record)
            same(got, ref)
            assert (got.scores["基础分"], got.scores["加分"], got.total, got.level) == (89, 5, 94, 5)
            assert got.inputs["表彰"] == frozenset({"市级", "省级"}) and got.inputs["民主评议满意率"] == Decimal("0.91")


def test_true_one_and_one_point_zero_stay_apart() -> None:
    scheme = starrules.loads(RATERS)
    base = {"名称": "甲", "自评": 50, "乡镇评": 50, "满意率": 50, "合格": True}

    def run(**changes: object) -> Any:
        got, ref = both(scheme, {**base, **changes})
        same(got, ref)
        return got

    # 次数 is a count: 1 is one; True is no count (refused), though True == 1 and the
    # memo has just read 1; 1.0 is the decimal 1.0, one again
    assert run(次数=1).inputs["次数"] == 1
    assert run(次数=True)[0] == "InputError"
    assert run(次数=1.0).inputs["次数"] == 1
    assert run(次数=Decimal(1)).inputs["次数"] == 1
    # 合格 is yes/no: True and 1 (and Decimal 1) are yes; the float 1.0 is refused
    assert run(次数=0, 合格=True).vetoes == ()
    assert run(次数=0, 合格=1).vetoes == ()
    assert run(次数=0, 合格=1.0)[0] == "InputError"
    assert run(次数=0, 合格=Decimal(1)).vetoes == ()
    assert run(次数=0, 合格=0).vetoes == ("不合格",)


def test_a_float_is_read_as_the_decimal_it_prints_as() -> None:
    text = """scheme "浮点"
levels stars 0..1
input 分 : score 0..10 step 0.1
input 户数 : count
score 总 = 分 + 户数
band 总 { 1: [5, ..)  0: (.., 5) }
"""
    scheme = starrules.loads(text)
    for _ in range(2):  # the memo must keep each reading apart
        # 0.3 prints as 0.3: read as exactly 0.3 (not 0.299999999999999988897769753748…)
        got, ref = both(scheme, {"分": 0.3, "户数": 0})
        same(got, ref)
        assert got.inputs["分"] == Decimal("0.3")
        # 0.1 + 0.2 prints as 0.30000000000000004: not a multiple of 0.1, refused
        got, ref = both(scheme, {"分": 0.1 + 0.2, "户数": 0})
        assert got == ref and got[0] == "InputError" and "multiple of 0.1" in got[1]
        # 2**64 as an int is 18446744073709551616; as a float it equals that integer but
        # prints as 1.8446744073709552e+19, and is read as 18446744073709552000
        got, ref = both(scheme, {"分": 1, "户数": 2**64})
        same(got, ref)
        assert got.inputs["户数"] == 18446744073709551616
        got, ref = both(scheme, {"分": 1, "户数": float(2**64)})
        same(got, ref)
        assert got.inputs["户数"] == 18446744073709552000


def test_equal_decimals_are_judged_alike() -> None:
    scheme = starrules.loads(RATERS)
    base = {"名称": "甲", "自评": 50, "乡镇评": 50, "满意率": 50, "合格": True}
    # trailing zeros are not significant: 1, 1.0 and 1 followed by forty zeros are one
    # value, read alike whichever the memo met first; zero however written is zero
    for count in (Decimal("1"), Decimal("1." + "0" * 40), Decimal("1.0")):
        got, ref = both(scheme, {**base, "次数": count})
        same(got, ref)
        assert got.inputs["次数"] == 1
    got, ref = both(scheme, {**base, "次数": Decimal("0E-40")})
    same(got, ref)
    assert got.inputs["次数"] == 0
    # 31 significant digits are more than any rating needs: refused by both engines
    got, ref = both(scheme, {**base, "次数": Decimal("1" * 31)})
    assert got == ref and got[0] == "InputError"


def test_values_of_other_classes_are_read_every_time() -> None:
    class Count(int):
        """An int subclass: read by the shared reader each time, never remembered."""

    scheme = starrules.loads(RATERS)
    base = {"名称": "甲", "自评": 50, "乡镇评": 50, "满意率": 50, "合格": True}
    for raw, expected in ((Count(2), 2), (2, 2), (Count(3), 3)):
        got, ref = both(scheme, {**base, "次数": raw})
        same(got, ref)
        assert got.inputs["次数"] == expected
    # a list where a number belongs is unhashable: the exact path says what is wrong
    got, ref = both(scheme, {**base, "次数": [1]})
    assert got == ref and got[0] == "InputError"
    # an integer id is its digits
    got, ref = both(scheme, {**base, "名称": 1024, "次数": 0})
    same(got, ref)
    assert got.id == "1024"


def _memos(scheme: starrules.Scheme) -> list[Any]:
    from starrules.runtime import Memo

    return [v for v in scheme.compiled.function.__globals__.values() if isinstance(v, Memo)]


@pytest.mark.parametrize("memo_limit", [0, 3])
def test_memo_limit_holds_for_typed_values(monkeypatch: pytest.MonkeyPatch, memo_limit: int) -> None:
    from starrules import runtime

    monkeypatch.setattr(runtime, "MEMO_LIMIT", memo_limit)
    scheme = starrules.loads(RATERS)
    # five distinct Decimal scores (10, 20, 30, 40, 50) for 自评, 10 again at the end
    for own in (10, 20, 30, 40, 50, 10):
        got, ref = both(scheme, {"名称": "甲", "自评": Decimal(own), "乡镇评": Decimal(50), "满意率": 50.0,
                                 "次数": 0, "合格": True})
        same(got, ref)
        assert got.inputs["自评"] == own
    # two inputs met Decimals: 乡镇评 one value (50), 自评 five; each memo keeps at most
    # the limit: none, or 50 and the first three of 自评 (10, 20, 30). A number input's
    # memo keeps texts, ints and Decimals itself; the float 50.0 of 满意率 goes to the
    # memo of floats (one value, or none)
    memos = _memos(scheme)
    decimals = sorted(n for m in memos if (n := sum(k.__class__ is Decimal for k in m.seen)))
    floats = [len(m.by[float]) for m in memos if float in m.by]
    assert decimals == ([] if memo_limit == 0 else [1, 3])
    assert floats == ([0] if memo_limit == 0 else [1])
    assert not any(Decimal in m.by for m in memos)


def test_cells_read_in_one_call_or_one_by_one() -> None:
    """The inputs are read from the mapping in one call, and cell by cell when some are
    missing (a default then applies) or when a scheme has more than MANY_INPUTS inputs.
    By hand: 次数 missing is 0 (its default), so 总分 = 60 + 5 = 65, band 1; with 次数 =
    3 it is 65 - 3 = 62, still band 1; 项{k} are counts summed, here each 1."""
    scheme = starrules.loads('scheme "缺省"\nlevels stars 0..2\ninput 名称 : id\ninput 分 : score 0..100\n'
                             'input 加 : count\ninput 次数 : count default 0\n'
                             'score 总分 = 分 + 加 - 次数\nband 总分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }\n')
    full, ref = both(scheme, {"名称": "甲", "分": "60", "加": "5", "次数": "3"})
    same(full, ref)
    assert (full.total, full.level) == (Decimal(62), 1)
    missing, ref = both(scheme, {"名称": "乙", "分": "60", "加": "5"})
    same(missing, ref)
    assert (missing.total, missing.level) == (Decimal(65), 1)
    n = compiler.MANY_INPUTS + 1
    many = starrules.loads('scheme "多项"\nlevels stars 0..1\n' + "".join(f"input 项{k} : count\n" for k in range(n))
                           + "score 总分 = sum(" + ", ".join(f"项{k}" for k in range(n)) + ")"
                           + f"\nband 总分 {{ 1: [{n}, ..)  0: (.., {n}) }}\n")
    assert "get = raw.get" in many.compiled.source
    got, ref = both(many, {f"项{k}": "1" for k in range(n)})
    same(got, ref)
    assert (got.total, got.level) == (Decimal(n), 1)


# ---- unknown keys: counted, not tested one by one ----------------------------------------


def _raised(scheme: starrules.Scheme, record: Any) -> str | None:
    from starrules.errors import UnknownInputsError

    try:
        scheme.evaluate(record)
    except UnknownInputsError as exc:
        return str(exc)
    return None


def test_a_dict_of_as_many_keys_as_inputs_with_one_unknown_is_refused_as_before() -> None:
    """Scheme.evaluate skips the set test for a dict of exactly as many keys as the scheme
    has inputs when the compiled code finds every input in it; when one is missing, a key
    is no input's: the same UnknownInputsError, with the same message, as the set test."""
    from collections import UserDict

    scheme = starrules.loads(RATERS)
    assert scheme.compiled.counts_keys
    full = {"名称": "甲村", "自评": "95", "乡镇评": "80.5", "满意率": "90%", "次数": "3", "合格": "是"}
    assert scheme.evaluate(full).level == 2
    # as many keys as inputs, one misspelt (次 for 次数): refused, naming it and its likely input
    swapped = {k if k != "次数" else "次": v for k, v in full.items()}
    expected = str(scheme.unknown_keys(swapped))
    assert _raised(scheme, swapped) == expected and "次" in expected
    # the same record as another mapping, or with a key more or less, takes the set test
    assert _raised(scheme, UserDict(swapped)) == expected
    assert _raised(scheme, {**swapped, "备注": "x"}) == str(scheme.unknown_keys({**swapped, "备注": "x"}))
    fewer = {k: v for k, v in swapped.items() if k != "合格"}
    assert _raised(scheme, fewer) == str(scheme.unknown_keys(fewer))
    # an input missing and no unknown key: rated (or refused) exactly as before
    missing = {k: v for k, v in full.items() if k != "次数"}
    got, ref = both(scheme, missing)
    assert got == ref and got[0] == "InputError"
    # extra="ignore" reads the known keys of the same dict: 次数 is missing
    with pytest.raises(starrules.InputError) as caught:
        scheme.evaluate(swapped, extra="ignore")
    assert type(caught.value) is starrules.InputError and "次数" in str(caught.value)
    # a bad value and an unknown key: the unknown key is said first, as before
    assert _raised(scheme, dict(swapped, 自评="101")) == str(scheme.unknown_keys(dict(swapped, 自评="101")))


def test_counting_keys_needs_the_compiled_code_to_find_them() -> None:
    # more inputs than are read in one call, or no fast path: the set test alone
    n = compiler.MANY_INPUTS + 1
    many = starrules.loads('scheme "多项"\nlevels stars 0..1\n' + "".join(f"input 项{k} : count\n" for k in range(n))
                           + "score 总分 = sum(" + ", ".join(f"项{k}" for k in range(n)) + ")"
                           + f"\nband 总分 {{ 1: [{n}, ..)  0: (.., {n}) }}\n")
    assert not many.compiled.counts_keys
    record = {f"项{k}": "1" for k in range(n)}
    assert many.evaluate(record).level == 1
    record[f"项{n}"] = record.pop("项0")
    assert _raised(many, record) == str(many.unknown_keys(record))


def test_the_memos_keep_each_class_where_the_compiled_lookups_find_it() -> None:
    """Compiled code looks values up in each memo's ``seen`` (texts; for a number also
    ints and Decimals; for a set also frozensets) and ``by[class]``; a value not there is
    read through the memo, which remembers it there, so the next lookup finds it."""
    scheme = starrules.load("schemes/anyang.star")
    memos = {m.read.__closure__[0].cell_contents.name: m for m in _memos(scheme)}  # type: ignore[union-attr]
    record = anyang_record(Decimal("8.9"), frozenset({"市级"}), 91.0, True)
    got, ref = both(scheme, record)  # True is no count: refused by both
    assert got == ref and got[0] == "InputError"
    assert True not in memos["缺席次数"].seen and not memos["缺席次数"].by[bool]
    for absences in (1, True, 1.0, "1", Decimal("1.0")):  # True still refused after 1 is remembered
        for _ in range(2):
            got, ref = both(scheme, dict(record, 缺席次数=absences))
            assert (got == ref and got[0] == "InputError") if absences is True else got.inputs["缺席次数"] == 1
    assert set(memos["缺席次数"].seen) == {1, "1"} and set(memos["缺席次数"].by) == {bool, float}
    assert Decimal("8.9") in memos["组织健全"].seen and 91.0 in memos["民主评议满意率"].by[float]
    assert frozenset({"市级"}) in memos["表彰"].seen and None in memos["创新推广"].by[type(None)]  # absent
    # a list is looked up as the frozenset it holds
    got, ref = both(scheme, dict(record, 缺席次数=0, 表彰=["市级"]))
    same(got, ref)
    assert got.scores["加分"] == 3
