"""starrules.testing and starrules.diffing, dogfooded.

1. The strategies and invariants on every scheme in schemes/: generated records (biased
   to the edges) keep determinism, veto dominance, caps and demotion; every field that
   is_monotone_in proves monotone is; invalid_inputs are refused naming their field;
   populations are accounted for, keep their quotas and do not depend on order.
2. Edge values, populations and invalid inputs on hand-made schemes, worked by hand.
3. is_monotone_in on hand-made schemes, each rule of the analysis.
4. Each invariant FAILS on a deliberately broken evaluator (a monkeypatched Result or
   Rating), and its message names the entity, the rule and shows the trace.
5. diff: two schemes differing in one band edge; the rows that differ, worked by hand;
   the generated counterexample is the smallest on the changed field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import starrules
from starrules import InputError, Rating, Result, Scheme
from starrules import nodes as n
from starrules.diffing import Difference, diff, render_differences
from starrules.testing import (
    assert_equivalent,
    check_accounted,
    check_caps,
    check_demotion_never_raises,
    check_determinism,
    check_monotone,
    check_order_independence,
    check_quotas,
    check_veto_dominance,
    edge_values,
    histories,
    inputs,
    invalid_inputs,
    is_monotone_in,
    populations,
    value_of,
)

ROOT = Path(__file__).resolve().parent.parent
PATHS = sorted((ROOT / "schemes").glob("*.star"))
SCHEMES = {p.name: starrules.load(p) for p in PATHS}
NAMES = list(SCHEMES)
ANYANG = SCHEMES["anyang.star"]

SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(max_examples=10, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def period_of(scheme: Scheme) -> int | None:
    """2024 for a scheme in force for some periods or reading history."""
    return 2024 if scheme.program.in_force is not None or scheme.program.uses_history else None


NUMERIC = (n.ScoreType, n.CountType, n.PercentType)
MONOTONE = {name: [i.name for i in s.inputs if isinstance(i.spec, NUMERIC) and is_monotone_in(s, i.name)]
            for name, s in SCHEMES.items()}


def test_every_scheme_is_covered() -> None:
    assert len(NAMES) >= 13 and "anyang.star" in NAMES
    assert any(s.program.uses_history for s in SCHEMES.values())
    assert any(s.program.in_force for s in SCHEMES.values())


# ---- 1. every scheme ----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_entity_invariants_hold_on_every_scheme(name: str, data: st.DataObject) -> None:
    scheme = SCHEMES[name]
    period = period_of(scheme)
    record = data.draw(inputs(scheme, edges=True), label="record")
    history = data.draw(histories(scheme, period), label="history") if scheme.program.uses_history else None
    assert period is not None or history is None
    check_determinism(scheme, record, period=period, history=history)
    check_veto_dominance(scheme, record, period=period, history=history)
    check_caps(scheme, record, period=period, history=history)
    check_demotion_never_raises(scheme, record, period=period, history=history)


@pytest.mark.parametrize("name", [name for name in NAMES if MONOTONE[name]])
@SETTINGS
@given(data=st.data())
def test_fields_proved_monotone_are_monotone(name: str, data: st.DataObject) -> None:
    scheme = SCHEMES[name]
    period = period_of(scheme)
    record = data.draw(inputs(scheme, edges=True), label="record")
    field = data.draw(st.sampled_from(MONOTONE[name]), label="field")
    inp = next(i for i in scheme.inputs if i.name == field)
    edges = edge_values(scheme).get(field, ())
    other = data.draw(st.one_of(value_of(inp), st.sampled_from(edges)) if edges else value_of(inp), label="other")
    history = data.draw(histories(scheme, period), label="history") if scheme.program.uses_history else None
    check_monotone(scheme, record, field, other, period=period, history=history)


def test_the_monotone_fields_of_the_bundled_schemes() -> None:
    # anyang: the ten items and the satisfaction rate (its penalty below 60% and its veto
    # below 50% both turn off as it rises); never the counted penalties or absences.
    assert MONOTONE["anyang.star"] == ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度",
                                       "党建引领群团", "遵章守纪", "设施配套", "落实上级工作", "服务意识群众基础",
                                       "民主评议满意率"]
    # cun-zhibu: 抽样户数 must stay at most 住户总数 (require), 住户总数 raises the 10% bar.
    assert "抽样户数" not in MONOTONE["cun-zhibu.star"] and "住户总数" not in MONOTONE["cun-zhibu.star"]
    # wuxing-fuwu: the income feeds a badge, and the cap "fewer than 5 badges" turns off.
    assert "村级集体经济纯收入" in MONOTONE["wuxing-fuwu.star"]
    # wenming-danwei: the band counts what is missing, lowest best.
    assert MONOTONE["wenming-danwei.star"] == ["创建标志处数"]


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_invalid_inputs_are_refused_naming_their_field(name: str, data: st.DataObject) -> None:
    scheme = SCHEMES[name]
    record, field = data.draw(invalid_inputs(scheme))
    for engine in ("reference", "compiled"):
        with pytest.raises(InputError) as caught:
            scheme.evaluate(record, trace=False, engine=engine, period=period_of(scheme))
        assert [p.field for p in caught.value.problems] == [field]


def population_histories(scheme: Scheme, records: list[dict[str, Any]], data: st.DataObject
                         ) -> dict[str, list[dict[str, Any]]] | None:
    ident, period = scheme.program.id_field, period_of(scheme)
    if not scheme.program.uses_history or ident is None or period is None:
        return None
    return {r[ident]: data.draw(histories(scheme, period), label="history") for r in records[:5]}


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(data=st.data())
def test_population_invariants_hold_on_every_scheme(name: str, data: st.DataObject) -> None:
    scheme = SCHEMES[name]
    period = period_of(scheme)
    records = data.draw(populations(scheme, size=st.integers(0, 15), edges=True), label="records")
    history = population_histories(scheme, records, data)
    permutation = data.draw(st.permutations(range(len(records))), label="permutation")
    check_accounted(scheme, records, period=period, history=history)
    check_quotas(scheme, records, period=period, history=history)
    check_order_independence(scheme, records, permutation, period=period, history=history)


def test_quotas_hold_on_a_crowded_top_level() -> None:
    # anyang: 10% of 20 is 2 five-star places; 20 branches at 9.5 everywhere (95) all band
    # at five stars: 18 move down to four, the two kept are the first by name.
    rows = [{"支部名称": f"支部{i:02d}", "所属单位": "甲", "民主评议满意率": "95%",
             **{k: "9.5" for k in ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度",
                                   "党建引领群团", "遵章守纪", "设施配套", "落实上级工作", "服务意识群众基础"]}}
            for i in range(20)]
    check_quotas(ANYANG, rows)
    check_accounted(ANYANG, rows)
    check_order_independence(ANYANG, rows, list(reversed(range(20))))
    assert [o.level for o in ANYANG.rate(rows).outcomes].count(5) == 2


APPORTIONED = starrules.loads("""
scheme "分配" version "1"
levels stars 0..5
input 名称 : id
input 单位 : group
input 分数 : score 0..100 step 0.5
total 得分 = 分数
band 得分 { 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  1: [50, 60)  0: (.., 50) }
quota "五星不超过10%" { level 5 at most 10% apportion by 单位 using huntington-hill }
quota "三星以上至少一半" { level >= 3 at least 50% per 单位 }
""", "apportioned.star")


def test_check_quotas_on_apportioned_quotas() -> None:
    # 40 at 95 in A (14), B (13), C (13): 4 five-star places split 2, 1, 1.
    rows = [{"名称": f"甲{i:02d}", "单位": "ABC"[i % 3], "分数": "95"} for i in range(40)]
    check_quotas(APPORTIONED, rows)
    assert [o.level for o in APPORTIONED.rate(rows).outcomes].count(5) == 4
    # 10 of them: one place cannot go to three groups by Huntington-Hill; the report says so
    check_quotas(APPORTIONED, rows[:10])


@FEW
@given(data=st.data())
def test_population_invariants_with_apportionment(data: st.DataObject) -> None:
    records = data.draw(populations(APPORTIONED, size=st.integers(0, 30), groups=["A", "B", "C"], edges=True))
    check_accounted(APPORTIONED, records)
    check_quotas(APPORTIONED, records)
    check_order_independence(APPORTIONED, records, data.draw(st.permutations(range(len(records)))))


# ---- 2. the strategies, worked by hand ----------------------------------------------------

EDGES = starrules.loads("""
scheme "边界" version "1"
levels stars 0..3
input 名称 : id
input 单位 : group
input 分数 : score 0..100 step 0.5
input 满意率 : percent
input 通报 : count default 0
input 次数 : count 0..4
input 换届 : one of {按期, 逾期}
total 得分 = 分数
band 得分 { 3: [90, ..)  2: [80.2, 90)  1: [60, 80.2)  0: (.., 60) }
veto "满意率低于50%" when 满意率 < 50%
cap "通报3次以上" at most 1 when 通报 >= 3
cap "满分" at most 2 when 满意率 >= 100%
demote "次数" by 1 when 次数 == 4
""", "edges.star")


def test_edge_values_worked_by_hand() -> None:
    assert edge_values(EDGES) == {
        # the band over 得分, which is 分数 as it is: 60 and 90 on the grid of 0.5, and
        # 80.2 between 80 and 80.5; each with one step either side.
        "分数": ("59.5", "60", "60.5", "79.5", "80", "80.5", "81", "89.5", "90", "90.5"),
        # 50% in steps of 0.1%, and 100%, the top of the range
        "满意率": ("49.9%", "50%", "50.1%", "99.9%", "100%"),
        "通报": ("2", "3", "4"),
        # 4 is the most 次数 can be
        "次数": ("3", "4"),
    }


def test_edge_biased_records_are_valid_and_reach_far_thresholds() -> None:
    @SETTINGS
    @given(inputs(EDGES, edges=True))
    def valid(record: dict[str, Any]) -> None:
        assert EDGES.evaluate(record, trace=False).status == "rated"

    valid()
    fuwu = SCHEMES["wuxing-fuwu.star"]  # a badge needs 村级集体经济纯收入 >= 50000
    assert "50000" in edge_values(fuwu)["村级集体经济纯收入"]
    seen: set[str] = set()

    @settings(max_examples=50, database=None, derandomize=True)
    @given(inputs(fuwu, edges=True))
    def income(record: dict[str, Any]) -> None:
        seen.add(record["村级集体经济纯收入"])

    income()
    assert {"49999", "50000", "50001"} & seen
    assert max(int(v) for v in seen) >= 49999 > 20  # drawn on its own, a count stays within 0..20


def test_inputs_keeps_pinned_fields_and_refuses_unknown_ones() -> None:
    record = find(inputs(EDGES, 分数="88", 换届=st.just("逾期")), lambda r: True)
    assert record["分数"] == "88" and record["换届"] == "逾期"
    with pytest.raises(ValueError, match="不存在 is not an input"):
        inputs(EDGES, 不存在=1)


@FEW
@given(populations(EDGES, size=st.integers(3, 12), groups=["东区", "西区"]))
def test_populations_have_unique_ids_and_few_groups(records: list[dict[str, Any]]) -> None:
    ids = [r["名称"] for r in records]
    assert 3 <= len(records) <= 12 and len(set(ids)) == len(ids)
    assert {r["单位"] for r in records} <= {"东区", "西区"}
    assert all(EDGES.evaluate(r, trace=False).rated for r in records)


def test_populations_of_a_fixed_size_and_their_refusals() -> None:
    assert len(find(populations(EDGES, size=7), lambda rs: True)) == 7
    with pytest.raises(ValueError, match="id input"):
        populations(EDGES, 名称="甲")


def test_invalid_inputs_cover_every_kind_of_mistake() -> None:
    seen: set[tuple[str, str]] = set()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(invalid_inputs(EDGES))
    def refused(case: tuple[dict[str, Any], str]) -> None:
        record, field = case
        with pytest.raises(InputError) as caught:
            EDGES.evaluate(record)
        (problem,) = caught.value.problems
        assert problem.field == field
        seen.add((field, "missing" if record.get(field) is None or not str(record[field]).strip() else "bad"))

    refused()
    # 通报 has a default: never missing; 名称, 分数, 满意率, 次数, 换届 can be
    assert {f for f, how in seen if how == "missing"} == {"名称", "单位", "分数", "满意率", "次数", "换届"}
    assert {f for f, how in seen if how == "bad"} == {"名称", "单位", "分数", "满意率", "通报", "次数", "换届"}


FUWU = SCHEMES["wuxing-fuwu.star"]


@FEW
@given(histories(FUWU, 2024), inputs(FUWU))
def test_histories_are_earlier_periods_the_scheme_reads(past: list[dict[str, Any]], record: dict[str, Any]) -> None:
    assert all(2021 <= p["period"] < 2024 for p in past)
    assert all(p["level"] == 0 for p in past if p["vetoes"])
    assert FUWU.evaluate(record, period=2024, history=past).rated


# ---- 3. is_monotone_in, rule by rule ---------------------------------------------------------


def scheme_of(*lines: str) -> Scheme:
    return starrules.loads('scheme "单调" version "1"\nlevels stars 0..2\n' + "\n".join(lines) + "\n", "mono.star")


BAND = "band 得分 { 2: [80, ..)  1: [60, 80)  0: (.., 60) }"


@pytest.mark.parametrize(("lines", "field", "monotone"), [
    # added: yes; subtracted: no
    (["input a : score 0..100", "input b : score 0..10", "total 得分 = a - b", BAND], "a", True),
    (["input a : score 0..100", "input b : score 0..10", "total 得分 = a - b", BAND], "b", False),
    # a penalty that turns off as the rate rises, subtracted: yes
    (["input a : score 0..100", "input r : percent", "penalty 扣 { \"低\": 5 when r < 60% }",
      "total 得分 = a - 扣", BAND], "r", True),
    # a bonus that turns on as a count rises: yes; one that turns off: no
    (["input a : score 0..100", "input c : count", "total 得分 = a + (5 when c >= 3)", BAND], "c", True),
    (["input a : score 0..100", "input c : count", "total 得分 = a + (5 when c < 3)", BAND], "c", False),
    # multiplied by what cannot be negative: yes; by a possibly negative amount: no
    (["input a : score 0..10", "total 得分 = a * 10", BAND], "a", True),
    (["input a : score 0..10", "input b : score 0..10", "total 得分 = a * (b - 5)", BAND], "a", False),
    # weighted raters: yes
    (["input a : score 0..100", "input b : score 0..100", "total 得分 = weighted 3:7 (a, b)", BAND], "b", True),
    # if/else: the branch taken as it rises is the higher one: yes; the lower one: no
    (["input a : score 0..100", "total 得分 = if a >= 50 then 100 else a", BAND], "a", True),
    (["input a : score 0..100", "total 得分 = if a >= 50 then 0 else a", BAND], "a", False),
    # a veto, cap or demotion that turns on as it rises: no; that turns off: yes
    (["input a : score 0..100", "total 得分 = a", BAND, 'veto "过高" when a > 95'], "a", False),
    (["input a : score 0..100", "total 得分 = a", BAND, 'cap "过低" at most 1 when a < 70'], "a", True),
    (["input a : score 0..100", "input c : count", "total 得分 = a", BAND, 'demote "多" by 1 when c >= 2'], "c", False),
    # a requirement that can fail as it rises: no; a disqualification that can start: no
    (["input a : score 0..100", "input c : count", "total 得分 = a", BAND, 'require "c不超过a": c <= a'], "c", False),
    (["input a : score 0..100", "input c : count", "total 得分 = a", BAND, 'require "c不少于a": c >= a'], "c", True),
    (["input a : score 0..100", "input c : count", "total 得分 = a", BAND, 'disqualify "多" when c > 5'], "c", False),
    # == at the most a count can be is >=; elsewhere it is not monotone
    (["input c : count 0..2", "total 得分 = 80 when c == 2", BAND], "c", True),
    (["input c : count 0..5", "total 得分 = 80 when c == 2", BAND], "c", False),
    # a band that counts what is missing (higher score, lower level), over a falling score
    (["input c : count 0..5", "total 缺 = 5 - c", "band 缺 { 2: (.., 0]  1: (0, 2]  0: else }"], "c", True),
    (["input c : count 0..5", "total 缺 = c", "band 缺 { 2: (.., 0]  1: (0, 2]  0: else }"], "c", False),
    # a band whose levels go down and up again
    (["input a : score 0..100", "total 得分 = a", "band 得分 { 1: [80, ..)  2: [60, 80)  0: (.., 60) }"], "a", False),
    # badges won as it rises, level from their count
    (["input a : score 0..10", "input b : score 0..10", 'badges 星 { "甲": a >= 8  "乙": b >= 8 and a >= 5 }',
      "level from 星"], "a", True),
    # a field nothing reads, and a field that is not a number
    (["input a : score 0..100", "input z : score 0..1", "total 得分 = a", BAND], "z", True),
    (["input a : score 0..100", "input y : bool", "total 得分 = a + (5 when y)", BAND], "y", False),
])
def test_is_monotone_in(lines: list[str], field: str, monotone: bool) -> None:
    assert is_monotone_in(scheme_of(*lines), field) is monotone


def test_is_monotone_in_an_unknown_field() -> None:
    with pytest.raises(ValueError, match="不存在 is not an input"):
        is_monotone_in(ANYANG, "不存在")


# ---- 4. each invariant fails on a broken evaluator ----------------------------------------

ITEMS = ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度", "党建引领群团", "遵章守纪",
         "设施配套", "落实上级工作", "服务意识群众基础"]


def branch(score: str = "9.5", **more: str) -> dict[str, Any]:
    return {"支部名称": "测试支部", "所属单位": "甲", "民主评议满意率": "95%", **dict.fromkeys(ITEMS, score), **more}


def broken(monkeypatch: pytest.MonkeyPatch, change: Callable[[Result, Mapping[str, object]], Result]) -> Scheme:
    """A fresh anyang whose evaluate passes every result through ``change``."""
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    real = scheme.evaluate

    def evaluate(record: Mapping[str, object], **kw: Any) -> Result:
        return change(real(record, **kw), record)

    monkeypatch.setattr(scheme, "evaluate", evaluate)
    return scheme


def at(scheme: Scheme, result: Result, level: int) -> Result:
    return result.replace(level=level, level_rank=level, level_label=scheme.levels.label(level))


def test_the_invariants_pass_on_the_sound_evaluator() -> None:
    for record in (branch(), branch(民主评议满意率="40%"), branch(换届情况="逾期"), branch("8.5", 缺席次数="3")):
        check_determinism(ANYANG, record)
        check_veto_dominance(ANYANG, record)
        check_caps(ANYANG, record)
        check_demotion_never_raises(ANYANG, record)


def test_check_determinism_fails_when_results_vary(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def flaky(result: Result, record: Mapping[str, object]) -> Result:
        calls.append(1)
        return result.replace(total=result.total + len(calls) if result.total is not None else None)

    scheme = broken(monkeypatch, flaky)
    with pytest.raises(AssertionError) as caught:
        check_determinism(scheme, branch())
    text = str(caught.value)
    assert "'测试支部'" in text and "differs in total" in text and "[band] 得分" in text


def test_check_veto_dominance_fails_when_a_veto_does_not_win(monkeypatch: pytest.MonkeyPatch) -> None:
    def ignore_vetoes(result: Result, record: Mapping[str, object]) -> Result:
        return at(ANYANG, result, ANYANG.levels.values.index(result.band_level)) if result.vetoes else result

    scheme = broken(monkeypatch, ignore_vetoes)
    check_veto_dominance(scheme, branch())  # no veto: nothing to see
    with pytest.raises(AssertionError) as caught:
        check_veto_dominance(scheme, branch(民主评议满意率="40%"))
    text = str(caught.value)
    # 95 - 5 (below 60%) = 90: five stars by the band, vetoed
    assert "entity '测试支部'" in text and "yet rated 五星级" in text
    assert 'rule: veto "民主评议满意率50%以下，不定星级" (line 115)' in text
    assert "[veto] ✔ 民主评议满意率50%以下，不定星级 (line 115)" in text


def test_check_veto_dominance_fails_when_the_trace_hides_a_veto(monkeypatch: pytest.MonkeyPatch) -> None:
    def hide(result: Result, record: Mapping[str, object]) -> Result:
        return result.replace(trace=tuple(s for s in result.trace if s.stage != "veto"))

    with pytest.raises(AssertionError, match="condition is True but the trace shows no step"):
        check_veto_dominance(broken(monkeypatch, hide), branch(民主评议满意率="40%"))


def test_check_caps_fails_when_a_cap_is_exceeded(monkeypatch: pytest.MonkeyPatch) -> None:
    def uncapped(result: Result, record: Mapping[str, object]) -> Result:
        return at(ANYANG, result, ANYANG.levels.values.index(result.band_level))

    scheme = broken(monkeypatch, uncapped)
    check_caps(scheme, branch())  # 95: five stars, no cap
    with pytest.raises(AssertionError) as caught:
        check_caps(scheme, branch(换届情况="逾期"))
    text = str(caught.value)
    assert "entity '测试支部'" in text and "capped at 四星级, yet rated 五星级" in text
    assert 'rule: cap "无特殊理由、无请示不按期换届，不得定为五星级" (line 111)' in text
    assert "[cap] ✔ 无特殊理由、无请示不按期换届，不得定为五星级 (line 111)" in text


def test_check_caps_fails_when_the_limit_is_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_limit(result: Result, record: Mapping[str, object]) -> Result:
        return result.replace(limit_rank=None)

    with pytest.raises(AssertionError, match="a quota could lift it past the cap"):
        check_caps(broken(monkeypatch, no_limit), branch(换届情况="逾期"))


def test_check_demotion_never_raises_fails_on_a_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    def raise_instead(result: Result, record: Mapping[str, object]) -> Result:
        if result.reason != "无故缺席累计3次及以上，降低一个星级":
            return result
        band = ANYANG.levels.values.index(result.band_level)
        steps = tuple(attrs.evolve(s, value=band + 1) if s.stage == "demote" else s for s in result.trace)
        return at(ANYANG, result, band + 1).replace(trace=steps)

    scheme = broken(monkeypatch, raise_instead)
    with pytest.raises(AssertionError) as caught:
        # 85 - 9 (three absences) = 76: three stars by the band, down one to two
        check_demotion_never_raises(scheme, branch("8.5", 缺席次数="3"))
    text = str(caught.value)
    assert "demote step raises the level from 三星级 to 四星级" in text
    assert 'rule: demote "无故缺席累计3次及以上，降低一个星级" (line 107)' in text and "entity '测试支部'" in text


def test_check_demotion_never_raises_fails_when_a_demotion_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    def skip(result: Result, record: Mapping[str, object]) -> Result:
        steps = tuple(s for s in result.trace if s.stage != "demote")
        return at(ANYANG, result, ANYANG.levels.values.index(result.band_level)).replace(trace=steps)

    with pytest.raises(AssertionError, match="the demotions that hold take it down to 二星级, yet it is rated 三星级"):
        check_demotion_never_raises(broken(monkeypatch, skip), branch("8.5", 缺席次数="3"))


def test_check_monotone_fails_when_a_higher_score_lowers_the_level(monkeypatch: pytest.MonkeyPatch) -> None:
    def envious(result: Result, record: Mapping[str, object]) -> Result:
        return at(ANYANG, result, 0) if record["组织健全"] == "10" else result

    scheme = broken(monkeypatch, envious)
    check_monotone(scheme, branch(), "组织健全", "9.8")
    with pytest.raises(AssertionError) as caught:
        check_monotone(scheme, branch(), "组织健全", "10")
    text = str(caught.value)
    assert "raising 组织健全 from 9.5 to 10 lowers the level from 五星级 to 不定星级" in text
    assert "trace before:" in text and "trace after:" in text
    # the values are put in order: the same failure, given the other way round
    with pytest.raises(AssertionError, match=r"raising 组织健全 from 9\.5 to 10"):
        check_monotone(scheme, branch(组织健全="10"), "组织健全", "9.5")


def test_check_monotone_refuses_fields_not_proved_monotone() -> None:
    with pytest.raises(ValueError, match="not known to be monotone in 缺席次数"):
        check_monotone(ANYANG, branch(), "缺席次数", "1")
    with pytest.raises(AssertionError, match="raising 缺席次数 from 0 to 3 lowers the level"):
        check_monotone(ANYANG, branch(缺席次数="0"), "缺席次数", "3", force=True)
    with pytest.raises(ValueError, match="组织健全"):
        check_monotone(ANYANG, branch(), "组织健全", "11")


def anyang_rows(count: int = 20) -> list[dict[str, Any]]:
    """Branches scoring 80, 81, ... 99: of twenty, ten band at five stars, and the top 2
    (10% of 20) keep them."""
    return [branch(str(Decimal(8) + Decimal(i) / 10), 支部名称=f"支部{i:02d}") for i in range(count)]


def broken_rate(monkeypatch: pytest.MonkeyPatch, change: Callable[[Rating, list[Mapping[str, object]]], Rating]
                ) -> Scheme:
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    real = scheme.rate

    def rate(records: Any, **kw: Any) -> Rating:
        rows = list(records)
        return change(real(rows, **kw), rows)

    monkeypatch.setattr(scheme, "rate", rate)
    return scheme


def test_the_population_invariants_pass_on_the_sound_evaluator() -> None:
    rows = anyang_rows()
    check_quotas(ANYANG, rows)
    check_accounted(ANYANG, rows)
    check_order_independence(ANYANG, rows, list(range(19, -1, -1)))


def test_check_quotas_fails_when_the_overflow_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_moves(rating: Rating, rows: list[Mapping[str, object]]) -> Rating:
        outcomes = tuple(o.replace(level=o.level_before) for o in rating.outcomes)
        return attrs.evolve(rating, outcomes=outcomes)

    with pytest.raises(AssertionError) as caught:
        check_quotas(broken_rate(monkeypatch, no_moves), anyang_rows())
    text = str(caught.value)
    assert 'rule: quota "五星级一般不超过总数的10%" (line 131)' in text
    assert "the report counts 2 on its levels, the final levels give" in text
    # the entities the quota moved, with their traces and moves
    assert "entities over all ('支部10', '支部11'," in text and "trace of '支部10' (row 10):" in text
    assert "[quota] ✔ 五星级一般不超过总数的10% (line 131): ranked 10th of 10" in text


def test_check_quotas_fails_when_a_report_hides_a_shortfall(monkeypatch: pytest.MonkeyPatch) -> None:
    def claims_met(rating: Rating, rows: list[Mapping[str, object]]) -> Rating:
        return attrs.evolve(rating, reports=tuple(attrs.evolve(r, met=True) for r in rating.reports))

    # nobody at one star or below: the report-only quota is not met and says so
    with pytest.raises(AssertionError, match="the report says met=True"):
        check_quotas(broken_rate(monkeypatch, claims_met), anyang_rows())


def test_check_quotas_fails_when_a_capped_entity_rises(monkeypatch: pytest.MonkeyPatch) -> None:
    def lift(rating: Rating, rows: list[Mapping[str, object]]) -> Rating:
        return attrs.evolve(rating, outcomes=tuple(
            o.replace(level=5, level_label="五星级") if o.result is not None and o.result.limit_rank is not None
            else o
            for o in rating.outcomes))

    rows = anyang_rows()
    rows[5]["换届情况"] = "逾期"
    with pytest.raises(AssertionError, match="entity '支部05' \\(row 5\\): rated 五星级 after the quotas, above 四星级"):
        check_quotas(broken_rate(monkeypatch, lift), rows)


def test_check_order_independence_fails_when_order_matters(monkeypatch: pytest.MonkeyPatch) -> None:
    def first_is_last(rating: Rating, rows: list[Mapping[str, object]]) -> Rating:
        first = rating.outcomes[0].replace(level=0, level_label="不定星级")
        return attrs.evolve(rating, outcomes=(first, *rating.outcomes[1:]))

    scheme = broken_rate(monkeypatch, first_is_last)
    with pytest.raises(AssertionError) as caught:
        check_order_independence(scheme, anyang_rows(3), [1, 2, 0])
    text = str(caught.value)
    assert "entity '支部00' (row 0): moved from row 0 to row 2, its outcome changes in level, level_label" in text
    assert "[band] 得分" in text


def test_check_accounted_fails_when_a_record_is_lost_or_misplaced(monkeypatch: pytest.MonkeyPatch) -> None:
    def drop(rating: Rating, rows: list[Mapping[str, object]]) -> Rating:
        return attrs.evolve(rating, outcomes=rating.outcomes[:-1])

    with pytest.raises(AssertionError, match="4 records: 3 outcomes came out"):
        check_accounted(broken_rate(monkeypatch, drop), anyang_rows(4))
    monkeypatch.undo()

    def swap(rating: Rating, rows: list[Mapping[str, object]]) -> Rating:
        a, b, *rest = rating.outcomes
        return attrs.evolve(rating, outcomes=(b, a, *rest))

    with pytest.raises(AssertionError, match="the outcome at position 0 is for row 1"):
        check_accounted(broken_rate(monkeypatch, swap), anyang_rows(4))


# ---- 5. two versions of a scheme ----------------------------------------------------------

VERSION = """
scheme "边沿" version "{version}"
levels stars 0..5
input 名称 : id
input 满意率 : percent
input 分数 : score 0..100 step 0.5
total 得分 = 分数
band 得分 {{ 5: [90, ..)  4: [{edge}, 90)  3: [70, {edge})  2: [60, 70)  1: [50, 60)  0: (.., 50) }}
veto "满意率低于50%" when 满意率 < 50%
"""
OLD = starrules.loads(VERSION.format(version="1", edge=80), "old.star")
NEW = starrules.loads(VERSION.format(version="2", edge=81), "new.star")


def test_diff_on_records_finds_the_rows_worked_by_hand() -> None:
    # The four-star band starts at 80 in the old version, 81 in the new: 80 and 80.5 go
    # from four stars to three; 79.5 is three stars and 81, 85 four stars in both; 95 is
    # five stars; the vetoed one is 0 in both.
    scores = ["79.5", "80", "80.5", "81", "85", "95", "80"]
    records = [{"名称": f"甲{i}", "满意率": "40%" if i == 6 else "90%", "分数": s} for i, s in enumerate(scores)]
    found = diff(OLD, NEW, records)
    assert [(d.row, d.id, d.old.level, d.new.level, d.changed) for d in found] == [
        (1, "甲1", 4, 3, ("level",)), (2, "甲2", 4, 3, ("level",))]
    assert "[band] 得分 (line 8): 得分 80 is at least 80 and below 90: 4星" in found[0].old.trace
    assert "[band] 得分 (line 8): 得分 80 is at least 70 and below 81: 3星" in found[0].new.trace
    assert diff(OLD, NEW, records, except_where=lambda r: Decimal(str(r["分数"])) < 81) == []


def test_diff_generates_the_smallest_record_that_differs() -> None:
    (found,) = diff(OLD, NEW, examples=60)
    assert found.generated and found.changed == ("level",)
    assert (found.old.level, found.new.level) == (4, 3)
    # the smallest on the changed field: 80, the first score the versions disagree on;
    # the satisfaction at 50%, the lowest that the veto lets through; the id at its simplest
    assert found.record == {"名称": "支", "满意率": "50%", "分数": "80"}
    assert diff(OLD, NEW, examples=60, except_where=lambda r: r["分数"] in ("80", "80.5")) == []


def test_diff_finds_a_moved_edge_over_a_computed_total() -> None:
    text = (ROOT / "schemes" / "anyang.star").read_text(encoding="utf-8")
    moved = starrules.loads(text.replace("4: [80, 90)", "4: [81, 90)").replace("3: [70, 80)", "3: [70, 81)"),
                            "anyang-81.star")
    found = diff(ANYANG, moved, examples=100)
    assert found and all(d.old.total is not None and 80 <= d.old.total < 81 for d in found)
    (four_to_three,) = [d for d in found if d.changed == ("level",)]
    assert (four_to_three.old.level, four_to_three.new.level) == (4, 3)
    # shrunk: any item one step (0.1) lower takes the total below 80, where both agree
    record = four_to_three.record
    for item in ITEMS:
        if record[item] != "0":
            lower = {**record, item: str(Decimal(record[item]) - Decimal("0.1"))}
            assert ANYANG.evaluate(lower).level == moved.evaluate(lower).level == 3, item


def test_identical_versions_are_equivalent() -> None:
    assert diff(OLD, starrules.loads(VERSION.format(version="1", edge=80)), examples=30) == []
    assert_equivalent(OLD, OLD, [{"名称": "甲", "满意率": "90%", "分数": "80"}])


def test_assert_equivalent_lists_the_differences() -> None:
    with pytest.raises(AssertionError) as caught:
        assert_equivalent(OLD, NEW, examples=60)
    text = str(caught.value)
    assert text.startswith("old.star and new.star differ:\n1 difference\n")
    assert "record: 名称: 支; 满意率: 50%; 分数: 80" in text
    assert "old: rated 4星, total 80" in text and "new: rated 3星, total 80" in text  # the levels' labels
    assert "-[band] 得分 (line 8): 得分 80 is at least 80 and below 90: 4星" in text
    assert_equivalent(OLD, NEW, examples=60, except_where=lambda r: Decimal(r["分数"]) in (80, Decimal("80.5")))


def test_render_differences() -> None:
    assert render_differences([]) == "no differences"
    (d,) = diff(OLD, NEW, [{"名称": "甲", "满意率": "90%", "分数": "80.5"}])
    assert isinstance(d, Difference)
    assert render_differences([d], traces=False) == (
        "1 difference\n\n"
        "row 1 '甲': level changed\n"  # numbered from 1, as run numbers JSON items
        "  record: 名称: 甲; 满意率: 90%; 分数: 80.5\n"
        "  old: rated 4星, total 80.5\n"
        "  new: rated 3星, total 80.5")


def test_diff_across_inputs_added_and_a_period() -> None:
    # the new version reads a new input with no default: every record is refused by it
    extra = starrules.loads(VERSION.format(version="3", edge=80) + "input 新增 : bool\n", "extra.star")
    found = diff(OLD, extra, examples=30)
    assert all(d.new.status == "invalid" and "新增" in (d.new.reason or "") for d in found)
    # one difference per kind of change: each level of the old version, at its smallest
    # record (the lowest score of its band; 50%, the lowest satisfaction the veto lets through)
    assert [(d.old.level, d.record["满意率"], d.record["分数"]) for d in found] == [
        (0, "0%", "0"), (1, "50%", "50"), (2, "50%", "60"), (3, "50%", "70"), (4, "50%", "80"), (5, "50%", "90")]
    # a version in force from 2025 refuses 2024 for every row
    later = starrules.loads(VERSION.format(version="4", edge=80).replace('version "4"', 'version "4" in force 2025..'))
    rows = diff(OLD, later, [{"名称": "甲", "满意率": "90%", "分数": "85"}], period=2024)
    assert [(d.old.status, d.new.status) for d in rows] == [("rated", "invalid")]
