"""``Scheme.evaluate_many``: the compiled engine's loop over many records is the
per-record ``Scheme.evaluate``, result for result and error for error.

A property over the schemes Hypothesis writes (``tests/test_differential.py``) and the
records ``starrules.testing`` draws (valid, at the edges, bad, with a key no input has
or an input missing, typed as a database driver gives them), each list rated twice: once
with values not met before (the loop leaves those records to ``evaluate``), once with
every value met. Then hand-worked cases on ``schemes/anyang.star``, their expected
values worked out from the scheme's text, and checks that the loop itself (not
``evaluate``) rates the records it can.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules import population
from starrules.errors import InputError, StarError, UnknownInputsError
from starrules.result import Result
from starrules.testing import invalid_inputs, populations
from tests.test_differential import load, period_for, schemes

AREAS = ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度",
         "党建引领群团", "遵章守纪", "设施配套", "落实上级工作", "服务意识群众基础"]


def one_by_one(scheme: starrules.Scheme, records: list[Any], **options: Any) -> list[Result] | tuple[str, str]:
    """``[scheme.evaluate(r) for r in records]``, or the first error's class and text."""
    try:
        return [scheme.evaluate(r, **options) for r in records]
    except StarError as exc:
        return type(exc).__name__, str(exc)


def many(scheme: starrules.Scheme, records: list[Any], **options: Any) -> list[Result] | tuple[str, str]:
    try:
        return scheme.evaluate_many(records, **options)
    except StarError as exc:
        return type(exc).__name__, str(exc)


def typed(scheme: starrules.Scheme, record: dict[str, Any]) -> dict[str, Any]:
    """A record as a database driver may give it: numbers as ``Decimal``, ``int`` or
    ``float`` where their text allows, sets as lists."""
    out: dict[str, Any] = {}
    kinds = {i.name: i.type.kind for i in scheme.inputs}
    for key, value in record.items():
        kind = kinds.get(key)
        if isinstance(value, str) and kind in ("number", "count"):
            try:
                d = Decimal(value.strip())
            except ArithmeticError:
                out[key] = value
                continue
            out[key] = int(d) if d == d.to_integral_value() and kind == "count" else float(d) if len(
                value) % 2 else d
        elif isinstance(value, str) and kind == "set":
            out[key] = [x for x in value.replace(",", "、").split("、") if x]
        else:
            out[key] = value
    return out


@st.composite
def record_lists(draw: st.DrawFn, scheme: starrules.Scheme) -> list[Any]:
    records: list[Any] = list(draw(populations(scheme, size=st.integers(0, 8), edges=True), label="records"))
    names = [i.name for i in scheme.inputs]
    for _ in range(draw(st.integers(0, 3))):
        what = draw(st.sampled_from(["bad", "typed", "extra", "missing", "renamed", "not a dict"]))
        if what == "bad":
            record: Any = draw(invalid_inputs(scheme))[0]
        elif not records:
            continue
        else:
            record = dict(draw(st.sampled_from(records)))
            if what == "typed":
                record = typed(scheme, record)
            elif what == "extra":
                record["不是输入"] = "1"
            elif what == "missing" and names:
                record.pop(draw(st.sampled_from(names)), None)
            elif what == "renamed" and names and names[0] in record:
                record[names[0] + "x"] = record.pop(names[0])  # as many keys, one no input's
            elif what == "not a dict":
                record = _Mapping(record)
        records.insert(draw(st.integers(0, len(records))), record)
    return records


class _Mapping(dict[str, Any]):
    """A mapping that is not a plain dict: the loop leaves it to ``evaluate``."""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=schemes(), data=st.data())
def test_evaluate_many_is_evaluate_on_each_record(text: str, data: st.DataObject) -> None:
    scheme = load(text)
    period = period_for(scheme, data.draw)
    records = data.draw(record_lists(scheme), label="records")
    extra = data.draw(st.sampled_from(["forbid", "ignore"]), label="extra")
    # the values not met before (left to evaluate, which remembers them), then all met
    for _ in range(2):
        got = many(load(text) if _ == 0 else scheme, records, period=period, extra=extra)
        assert got == one_by_one(scheme, records, period=period, extra=extra), scheme.source


def test_a_scheme_without_the_loop_rates_each_record_with_evaluate() -> None:
    # a scheme that reads earlier outcomes has no loop: each record without history
    scheme = starrules.load("schemes/wuxing-fuwu.star")
    assert scheme.compiled.many is None
    scores = dict.fromkeys(["政策宣传得分", "法律援助得分", "技能培训得分", "民生改善得分", "经济发展得分"], "18.5")
    records = [{"村党支部": "甲村", **scores, "村级集体经济纯收入": "12"},
               {"村党支部": "乙村", **scores, "村级集体经济纯收入": "12", "违反安全生产": "是"}]
    got = scheme.evaluate_many(records, period=2024)
    assert got == [scheme.evaluate(r, period=2024) for r in records] and len(got) == 2


# ---- hand-worked: schemes/anyang.star ------------------------------------------------


@pytest.fixture(scope="module")
def anyang() -> starrules.Scheme:
    return starrules.load("schemes/anyang.star")


def branch(name: str, area: str, **cells: Any) -> dict[str, Any]:
    """A record with every input given (as a CSV file gives it): ten areas at ``area``."""
    record: dict[str, Any] = {"支部名称": name, "所属单位": "示例党委", **dict.fromkeys(AREAS, area), "表彰": "",
                              "创新推广": "", "工委通报": "0", "市委通报": "0", "班子处分": "0", "班子撤职": "0",
                              "党员违纪": "0", "民主评议满意率": "91%", "换届情况": "按期", "缺席次数": "0"}
    record.update(cells)
    return record


def test_hand_worked_records_of_anyang(anyang: starrules.Scheme) -> None:
    records = [
        # ten areas at 8.9 = 89, commendations 市级 and 省级: the highest, 5: 94, five stars
        branch("一支部", "8.9", 表彰="市级、省级"),
        # ten areas at 9.5 = 95, three absences: 95 - 3 × 3 = 86, four stars by the band,
        # down one for the absences: three stars
        branch("二支部", "9.5", 缺席次数="3"),
        # 90, satisfaction 59%: 90 - 5 = 85, four stars by the band; 逾期超过一年 caps it at three
        branch("三支部", "9", 民主评议满意率="59%", 换届情况="逾期超过一年"),
        # the same as a database driver gives it: Decimals, ints, a float percentage
        branch("四支部", Decimal("8.9"), 表彰=["省级", "市级"], 缺席次数=0, 民主评议满意率=91.0),
        # satisfaction 49.9% (below 50%: the veto), 90 - 5 = 85 all the same
        branch("五支部", "9", 民主评议满意率=49.9),
    ]
    for _ in range(2):  # values not met before, then every value met
        got = anyang.evaluate_many(records)
        assert [(r.total, r.level, r.reason) for r in got] == [
            (Decimal("94"), 5, None),
            (Decimal("86"), 3, "无故缺席累计3次及以上，降低一个星级"),
            (Decimal("85"), 3, "超过一年不换届，不得定为四星及以上等级"),
            (Decimal("94"), 5, None),
            (Decimal("85"), 0, "民主评议满意率50%以下，不定星级"),
        ]
        assert [r.flags for r in got] == [("授牌表彰",), (), (), ("授牌表彰",), ("集中整顿",)]
        assert got[1].held == ("无故缺席累计3次及以上，降低一个星级", "无故缺席累计3次及以上，不得定为五星级")
        assert got[2].limit_rank == 3 and got[4].vetoes == ("民主评议满意率50%以下，不定星级",)
        assert got[3].inputs["表彰"] == frozenset({"省级", "市级"}) and got[3].id == "四支部"
        assert got == [anyang.evaluate(r) for r in records]


def test_a_float_is_read_as_the_decimal_it_prints_as_or_refused(anyang: starrules.Scheme) -> None:
    # 59.99999999999999 (a float whose binary value is not that decimal) is read as the
    # decimal it prints as: 59.99999999999999%, more places than the loop's integers keep
    # (the exact path); below 60%: 90 - 5 = 85, four stars, not below 50%: no veto
    record = branch("六支部", "9", 民主评议满意率=59.99999999999999)
    got = anyang.evaluate_many([record, record])
    assert got[0].inputs["民主评议满意率"] == Decimal("0.5999999999999999")
    assert (got[0].level, got[0].total, got[0].vetoes) == (4, Decimal("85"), ())
    assert got == [anyang.evaluate(record)] * 2
    # 0.1 + 0.2 prints as 0.30000000000000004: a bare number from 0 to 1 is refused as
    # ambiguous (30% or 0.3%?), with evaluate's message
    ambiguous = branch("六支部", "9", 民主评议满意率=0.1 + 0.2)
    with pytest.raises(InputError) as refused:
        anyang.evaluate_many([record, ambiguous])
    with pytest.raises(InputError) as alone:
        anyang.evaluate(ambiguous)
    assert str(refused.value) == str(alone.value)
    assert "0.30000000000000004 is ambiguous" in str(refused.value)


def test_errors_are_those_of_evaluate_in_record_order(anyang: starrules.Scheme) -> None:
    good = branch("七支部", "9")
    misspelt = dict(good)
    misspelt["通报次数"] = misspelt.pop("工委通报")  # as many keys, one no input's
    bad = branch("八支部", "10.5")  # above the 0..10 of 组织健全
    with pytest.raises(UnknownInputsError) as unknown:
        anyang.evaluate_many([good, misspelt, bad])
    with pytest.raises(UnknownInputsError) as alone:
        anyang.evaluate(misspelt)
    assert str(unknown.value) == str(alone.value)
    with pytest.raises(InputError) as refused:
        anyang.evaluate_many([good, bad, misspelt])
    assert "组织健全" in str(refused.value) and "a score from 0 to 10" in str(refused.value)
    # extra="ignore": the misspelt key is left unread, 工委通报 takes its default, 0
    got = anyang.evaluate_many([good, misspelt], extra="ignore")
    assert got[1].total == Decimal("90") and got == [anyang.evaluate(good), anyang.evaluate(misspelt, extra="ignore")]
    with pytest.raises(ValueError, match="extra must be one of"):
        anyang.evaluate_many([good], extra="keep")
    assert anyang.evaluate_many([]) == []
    assert anyang.evaluate_many(iter([good])) == [anyang.evaluate(good)]  # any iterable


def test_the_loop_rates_the_records_it_can_itself(anyang: starrules.Scheme) -> None:
    compiled = anyang.compiled
    assert compiled.many is not None
    records = [branch(f"{k}支部", a, 缺席次数=str(k % 4)) for k, a in enumerate(["8.1", "9.3", "7.7", "9.9"])]
    anyang.evaluate_many(records)  # every value met now
    left: list[dict[str, Any]] = []

    def slow(record: Any) -> Result:
        left.append(record)
        return anyang.evaluate(record)

    assert compiled.many(records, None, slow) == [anyang.evaluate(r) for r in records]
    assert left == []  # none left to evaluate
    odd = branch("九支部", "8.5", 工委通报=True)  # a yes/no where a count is due: refused by evaluate
    with pytest.raises(InputError):
        compiled.many([*records, odd], None, slow)
    assert left == [odd]


# ---- Scheme.rate through the loop -----------------------------------------------------


def outcomes(rating: Any) -> Any:
    return [(o.to_dict(), o.result) for o in rating.outcomes], [r.to_dict() for r in rating.reports]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=schemes(), data=st.data())
def test_rate_through_the_loop_is_rate_record_by_record(text: str, data: st.DataObject) -> None:
    scheme = load(text)
    period = period_for(scheme, data.draw)
    records = [r for r in data.draw(record_lists(scheme), label="records") if type(r) is dict]
    compiled = scheme.compiled
    try:
        by_record = outcomes(population.rate(scheme.program, records, period=period, evaluator=compiled.evaluate))
    except StarError as exc:
        by_record = (type(exc).__name__, str(exc))
    try:
        looped = outcomes(population.rate(scheme.program, records, period=period, evaluator=compiled.evaluate,
                                          batch=compiled.many))
    except StarError as exc:
        looped = (type(exc).__name__, str(exc))
    assert looped == by_record, scheme.source


def test_scheme_rate_rates_through_the_loop(anyang: starrules.Scheme, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [branch("一支部", "8.9", 表彰="市级、省级"), branch("二支部", "9.5", 缺席次数="3"),
               branch("三支部", "10.5")]
    expected = anyang.rate(records)

    def unused(*args: Any) -> Any:
        raise AssertionError("the record-by-record loop ran")

    monkeypatch.setattr(population, "_each", unused)
    rating = anyang.rate(records)
    assert outcomes(rating) == outcomes(expected)
    # by hand: 94 is five stars by itself, but five stars at most 10% of the 2 rated,
    # rounded down, is no place: four stars; 86 three stars (the demotion); 10.5 in each
    # of the ten areas, above their 0..10: refused, each named
    assert [(o.status, o.level_before, o.level) for o in rating.outcomes] == [
        ("rated", 5, 4), ("rated", 3, 3), ("invalid", None, None)]
    assert rating.outcomes[0].reason == "五星级一般不超过总数的10%"
    assert [p.field for p in rating.outcomes[2].problems] == AREAS
