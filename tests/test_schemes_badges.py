"""Golden tests of the badge-star and history schemes on their example data.

* schemes/shuangshixing.star (篇九 “双十星”, 十星级党员) on schemes/examples/shuangshixing.csv;
* schemes/shuangshixing-zuzhi.star (篇九, 十星级党组织, with the rank exclusion of the bottom
  villages and 镇直部门) on schemes/examples/shuangshixing-zuzhi.csv;
* schemes/wuxing-fuwu.star (篇十六 五星级服务型党组织) on schemes/examples/wuxing-fuwu.csv,
  rated for 2024 with the results of 2022 and 2023 as history
  (schemes/examples/wuxing-fuwu-2022.json, -2023.json, made by ``starrules run --period``
  from wuxing-fuwu-2022.csv and wuxing-fuwu-2023.csv).

Every expected value was worked out by hand from the policy text (seeds, 篇九 lines 635-704,
篇十六 lines 1041-end) and the choices each scheme states (【选择】), never copied from the
program's output. Each row's comment gives the working.

篇九 (both files): a star voted on is won when its share is strictly above 90%; 法纪星 and
an individual star marked 日常管理 come from the records (是 = won); a star not in the
category's set does not count whatever its cell says; the level is the number of stars.
Flags: 10 → 奖励; (members only) ≥ 8 → the category's priority; ≤ 7 → 处置 (members) /
整顿 (organisations). Committee of 5-7 and a window unit needing a service-object
representative are validity rules (invalid, not rated).

篇十六: 得分 = the five contents (20 each); bands [95,..) 5, [90,95) 4, [80,90) 3, [70,80) 2,
[60,70) 1, below 60 none; a star is held at 12 of 20, 经济发展 also needs income ≥ 50,000;
then demote 1 (领导不力), cap 4 (fewer than five stars), the five vetoes and the veto carried
from last year's; flags 限期整改 (领导不力), 五星 (level 5), 调整书记 (无星 this year and in
each of the two years before, all on record).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from example_data import header, read_rows

import starrules
from starrules.cli import load_history

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "schemes" / "examples"
D = Decimal


@dataclass(frozen=True)
class Exp:
    """One row's expected outcome. ``before`` is the level the entity's own rules give,
    ``level`` the final one (after selections); ``badges`` the stars won, in the order of the
    scheme's block; ``reason`` for a rated row is the rule that fixed the level (None when
    nothing changed it), for an invalid row the failed rule; ``field`` the input holding a
    bad value (then evaluate raises InputError)."""

    id: str
    status: str
    level: int | None = None
    badges: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    reason: str | None = None
    before: int | None = None
    field: str | None = None


def rated(id_: str, level: int, badges: tuple[str, ...], flags: tuple[str, ...] = (), reason: str | None = None,
          before: int | None = None) -> Exp:
    return Exp(id_, "rated", level, badges, flags, reason, level if before is None else before)


def invalid(id_: str, reason: str) -> Exp:
    return Exp(id_, "invalid", reason=reason)


def bad(id_: str, field: str) -> Exp:
    return Exp(id_, "invalid", field=field)


def check_outcome(o: starrules.Outcome, exp: Exp) -> None:
    assert o.id == exp.id
    assert o.status == exp.status, (exp.id, o.reason)
    if exp.status != "rated":
        assert (o.level, o.level_before, o.flags) == (None, None, ())
        if exp.field is None:
            assert o.reason == exp.reason
        else:
            assert [p.field for p in o.problems] == [exp.field]
        return
    assert o.result is not None
    got = (o.level_before, o.level, o.result.badges, o.flags, o.reason)
    want = (exp.before, exp.level, exp.badges, exp.flags, exp.reason)
    assert got == want, exp.id


def applied_rules(scheme: starrules.Scheme, rows: list[dict[str, str]], ids: set[str], period: int | None = None,
                  history: dict[str, list[dict[str, Any]]] | None = None) -> set[tuple[str, str]]:
    """(stage, name) of every trace step whose rule applied, over the given rows."""
    out: set[tuple[str, str]] = set()
    id_field = scheme.program.id_field
    assert id_field is not None
    for row in rows:
        if row[id_field] not in ids:
            continue
        past = (history or {}).get(row[id_field], [])
        # the trace: the reference engine's
        r = scheme.evaluate(row, period=period, history=past, trace=True)
        out |= {(s.stage, s.name) for s in r.trace if s.applied}
    return out


def scheme_rules(scheme: starrules.Scheme) -> set[tuple[str, str]]:
    """(stage, name) of every badge and every rule of a scheme, as its trace names them."""
    program = scheme.program
    rules = {("badge", e.label) for s in program.scores if s.kind == "badges" for e in s.entries}
    rules |= {(r.kind, r.name) for r in program.rules}
    return rules


# =====================================================================================
# 篇九 十星级党员: schemes/shuangshixing.star
# =====================================================================================

MEMBER_SCHEME = starrules.load(ROOT / "schemes" / "shuangshixing.star")
MEMBER_CSV = EXAMPLES / "shuangshixing.csv"
MEMBER_ROWS = read_rows(MEMBER_CSV, "姓名")

# stars (as the badges block names them)
ZZ, XX, FJ, ZF, ST, XF, GY, JY, JX, CX = ("宗旨星", "学习星", "法纪星", "致富星", "生态星", "新风星", "公益星",
                                          "敬业星", "绩效星", "创新星")
P1, P2, P3, P4 = (f"个性星{k}（测评）" for k in range(1, 5))
R1, R2, R3, R4 = (f"个性星{k}（日常管理认定）" for k in range(1, 5))
# flags
TEN_M = "十星级党员：进行奖励，纳入优秀共产党员评选范围"
EIGHT_RURAL = "八星级以上：参加实用技术培训、获得创业致富贴息贷款的首要条件"
EIGHT_ORGAN = "八星级以上：参加党校培训、外出学习培训的首要条件"
EIGHT_NONPUB = "八星级以上：优先列入重点扶持对象、优先享受产业发展政策扶持"
DEAL = "七星级以下党员：进行处置"
# validity
COMMITTEE = "评审委员会一般为5~7人"
WINDOW = "窗口单位和服务行业必须有服务对象代表参与"

MEMBERS: list[Exp] = [
    # 农村: 宗旨 95, 学习 92, 法纪 是, 致富 91, 生态 96, 新风 93 (all > 90) = 6 common;
    # 个性 95, 94, 91, 99 = 4 → 10 → 奖励; ≥ 8 and 农村 → 培训贷款
    rated("张伟", 10, (ZZ, XX, FJ, ZF, ST, XF, P1, P2, P3, P4), (TEN_M, EIGHT_RURAL)),
    # 农村: 学习 exactly 90% is not “高于90%” → 5 common; 个性2 90.1% > 90 won → 5 + 4 = 9
    rated("王芳", 9, (ZZ, FJ, ZF, ST, XF, P1, P2, P3, P4), (EIGHT_RURAL,)),
    # 农村: 宗旨, 学习, 法纪, 致富 91; 生态 85 ✗, 新风 80 ✗ → 4; 公益 99% is not a 农村 star;
    # 个性1 from the records (是), 个性2-4 95% → 4 + 4 = 8 (八星级以上 includes 8)
    rated("李强", 8, (ZZ, XX, FJ, ZF, R1, P2, P3, P4), (EIGHT_RURAL,)),
    # 社区: 宗旨 学习 法纪 生态 新风 公益 = 6; 个性 4 → 10; 【选择】社区 takes the 农村 benefit
    rated("刘洋", 10, (ZZ, XX, FJ, ST, XF, GY, P1, P2, P3, P4), (TEN_M, EIGHT_RURAL)),
    # 社区: 法纪 否 → 5 common (致富 99% is not a 社区 star); 个性1 95, 个性2 records 是;
    # 个性3 50% ✗, 个性4 blank (测评 0%) ✗ → 5 + 2 = 7 → 七星级以下 (includes 7) → 处置
    rated("陈静", 7, (ZZ, XX, ST, XF, GY, P1, R2), (DEAL,)),
    # 机关事业单位: 宗旨 学习 法纪 敬业 绩效 创新 = 6; 个性 4 → 10 → 奖励, 党校培训
    rated("杨帆", 10, (ZZ, XX, FJ, JY, JX, CX, P1, P2, P3, P4), (TEN_M, EIGHT_ORGAN)),
    # 机关: 创新 89.9% ✗ → 5 (新风 99% not a 机关 star); 个性1, 2 95, 个性3 records 是,
    # 个性4 records 否 → 5 + 3 = 8
    rated("赵敏", 8, (ZZ, XX, FJ, JY, JX, P1, P2, R3), (EIGHT_ORGAN,)),
    # 非公: 宗旨 学习 法纪 新风 绩效 创新 = 6; 个性 4 → 10
    rated("黄磊", 10, (ZZ, XX, FJ, XF, JX, CX, P1, P2, P3, P4), (TEN_M, EIGHT_NONPUB)),
    # 非公: 创新 90% ✗ → 5; 个性4 90% ✗ → 5 + 3 = 8
    rated("周涛", 8, (ZZ, XX, FJ, XF, JX, P1, P2, P3), (EIGHT_NONPUB,)),
    # 非公: 宗旨 95, 法纪 是; 学习 50, 新风 绩效 创新 60 ✗ → 2; 个性1 95; 个性2 blank 0%;
    # 个性3 blank way (测评) and blank share; 个性4 records, blank (否) → 2 + 1 = 3 → 处置
    rated("吴刚", 3, (ZZ, FJ, P1), (DEAL,)),
    # 非公: 法纪 否; 宗旨 学习 新风 91 绩效 创新 → 5; 个性1 95, 个性2 80 ✗, 个性3 blank ✗,
    # 个性4 records 是 → 5 + 2 = 7 → 处置 (7 is the highest level 处置 takes)
    rated("何洁", 7, (ZZ, XX, XF, JX, CX, P1, R4), (DEAL,)),
    # 农村: every cell blank (votes 0%, 法纪 否) → 0 → 无星 → 处置
    rated("徐丽", 0, (), (DEAL,)),
    # 机关, a window unit with a service-object representative: valid; 宗旨 100% > 90; 6 + 4 = 10
    rated("胡军", 10, (ZZ, XX, FJ, JY, JX, CX, P1, P2, P3, P4), (TEN_M, EIGHT_ORGAN)),
    # a committee of 4 is not 5-7: invalid (10 stars' worth of votes, never counted)
    invalid("孙鹏", COMMITTEE),
    # a committee of 8: invalid
    invalid("马超", COMMITTEE),
    # a window unit without a service-object representative: invalid
    invalid("朱琳", WINDOW),
    # 105% is not a percentage a vote can have
    bad("郭梅", "宗旨星测评"),
    # 街道 is not one of the four categories
    bad("林峰", "类别"),
]


def test_member_csv_header_is_the_schemes_inputs() -> None:
    assert header(MEMBER_CSV) == [i.name for i in MEMBER_SCHEME.inputs]


def test_member_rows_are_all_expected() -> None:
    assert [r["姓名"] for r in MEMBER_ROWS] == [e.id for e in MEMBERS]
    assert len(MEMBER_ROWS) >= 12


@pytest.mark.parametrize("exp", [e for e in MEMBERS if e.status == "rated"], ids=lambda e: e.id)
def test_member_table_is_consistent(exp: Exp) -> None:
    """Checks the hand-worked table itself: the level is the number of stars, and the flags
    follow from the level and the category."""
    assert exp.level == len(exp.badges) and exp.level is not None
    kind = next(r["类别"] for r in MEMBER_ROWS if r["姓名"] == exp.id)
    eight = {"农村": EIGHT_RURAL, "社区": EIGHT_RURAL, "机关事业单位": EIGHT_ORGAN, "非公有制和社会组织": EIGHT_NONPUB}
    want = ((TEN_M,) if exp.level == 10 else ()) + ((eight[kind],) if exp.level >= 8 else ()) + (
        (DEAL,) if exp.level <= 7 else ())
    assert exp.flags == want


def test_members_golden(engine: str) -> None:
    rating = MEMBER_SCHEME.rate(MEMBER_ROWS, engine=engine)
    assert len(rating.outcomes) == len(MEMBERS)
    for o, exp in zip(rating.outcomes, MEMBERS, strict=True):
        check_outcome(o, exp)
    # 13 rated: 张伟 王芳 李强 刘洋 陈静 杨帆 赵敏 黄磊 周涛 吴刚 何洁 徐丽 胡军; 5 invalid
    assert rating.counts()["rated"] == 13 and rating.counts()["invalid"] == 5


def test_members_goal_is_reported_never_enforced(engine: str) -> None:
    # “力争使全镇90%以上的党员达到‘十星’标准”: 90% of 13 rated = 11.7, rounded up: 12;
    # ten-star: 张伟 刘洋 杨帆 黄磊 胡军 = 5 before and after (report only): not met
    rating = MEMBER_SCHEME.rate(MEMBER_ROWS, engine=engine)
    (rep,) = rating.reports
    assert (rep.kind, rep.base, rep.target, rep.before, rep.after, rep.enforced, rep.met) == (
        "quota", 13, 12, 5, 5, False, False)
    assert all(not o.moves for o in rating.outcomes)


@pytest.mark.parametrize("exp", MEMBERS, ids=lambda e: e.id)
def test_member_evaluate_agrees(exp: Exp, engine: str) -> None:
    """Each member rated alone (the goal moves nobody, so alone is the same)."""
    row = next(r for r in MEMBER_ROWS if r["姓名"] == exp.id)
    if exp.field is not None:
        with pytest.raises(starrules.InputError) as info:
            MEMBER_SCHEME.evaluate(row, engine=engine)
        assert [p.field for p in info.value.problems] == [exp.field]
        return
    r = MEMBER_SCHEME.evaluate(row, engine=engine)
    assert (r.status, r.level, r.badges, r.flags, r.reason) == (exp.status, exp.level, exp.badges, exp.flags,
                                                                   exp.reason)
    if r.rated:
        assert r.band_level == r.level == int(r.scores["星数"])


def test_member_star_of_another_category_is_not_counted() -> None:
    # 李强 (农村) has 99% for 公益星, a 社区 star: not a star for him, not won (the
    # trace: the reference engine's)
    row = next(r for r in MEMBER_ROWS if r["姓名"] == "李强")
    step = next(s for s in MEMBER_SCHEME.evaluate(row, trace=True).trace if s.name == GY)
    assert step.applied is False and "not a star for this entity" in step.detail
    # 法纪星 and a 日常管理 individual star say they come from the records
    steps = {s.name: s for s in MEMBER_SCHEME.evaluate(row, trace=True).trace if s.stage == "badge"}
    assert "decided from records" in steps[FJ].detail and "decided from records" in steps[R1].detail


def test_member_rows_exercise_every_rule() -> None:
    applied = applied_rules(MEMBER_SCHEME, MEMBER_ROWS, {e.id for e in MEMBERS if e.field is None})
    rules = scheme_rules(MEMBER_SCHEME)
    assert len(rules) == 18 + 2 + 5  # 18 stars, 2 validity rules, 5 flags
    assert rules - applied == set()
    levels = {e.level for e in MEMBERS if e.status == "rated"}
    assert {10, 9, 8, 7, 0} <= levels


# =====================================================================================
# 篇九 十星级党组织: schemes/shuangshixing-zuzhi.star
# =====================================================================================

ORG_SCHEME = starrules.load(ROOT / "schemes" / "shuangshixing-zuzhi.star")
ORG_CSV = EXAMPLES / "shuangshixing-zuzhi.csv"
ORG_ROWS = read_rows(ORG_CSV, "组织名称")

OXX, OFJ, OZS, OFP, OZD, OST, OTJ, OFW, OJX, OXF = ("学习星", "法纪星", "组织生活星", "扶贫星", "阵地星", "生态星",
                                                    "团结星", "服务星", "绩效星", "新风星")
VILLAGE6 = (OXX, OFJ, OZS, OFP, OZD, OST)  # 村 / 社区
DEPT6 = (OXX, OFJ, OZS, OFP, OFW, OJX)  # 镇直部门
TEN_O = "十星级党组织：进行奖励，纳入党建优胜单位、先进基层党组织评选范围"
RECTIFY = "七星级以下基层党组织：进行整顿"
BOTTOM_VILLAGES = "全镇目标考核后3位的村，不得作为‘十星级党组织’评选对象"
BOTTOM_DEPTS = "全镇目标考核后2位的镇直部门，不得作为‘十星级党组织’评选对象"

# The exclusion. Villages rated, by 全镇目标考核得分 from the bottom: 后村 60.0, 前村 70.0,
# 北村 80.0 and 中村 80.0 (tied), 南村 85.0, 西村 90.0, 东村 95.0. (左村, 30.0, is invalid:
# it takes no part.) The bottom 3 are 后村, 前村 and the third place, shared by 北村 and
# 中村 (ties keep): four picked. Capped at 9: 前村 and 北村 (10 → 9); 后村 (6) and 中村 (8)
# are below 9 already. 城关社区党委 (10.0, lowest of all) is a 社区, not a 村: untouched.
# 镇直部门 rated: 农业服务中心 70.0, 财政所 75.0, 文化站 88.0, 党政办 92.0: the bottom 2
# are 农业服务中心 (7 stars, untouched) and 财政所 (10 → 9).
ORGS: list[Exp] = [
    # 村: 6 common; 个性1 records 是, 个性2-4 95% → 10; assessment 95.0, not in the bottom 3
    rated("东村党支部", 10, (*VILLAGE6, R1, P2, P3, P4), (TEN_O,)),
    # 村: 6; 个性1 95%, 个性2 records 是, 个性3-4 → 10; 90.0, not in the bottom 3
    rated("西村党支部", 10, (*VILLAGE6, P1, R2, P3, P4), (TEN_O,)),
    # 村: 生态 90% ✗ → 5; 个性 4 → 9; 85.0
    rated("南村党支部", 9, (OXX, OFJ, OZS, OFP, OZD, P1, P2, P3, P4)),
    # 村: 6 + 4 = 10; 80.0, tied third from the bottom → at most 9
    rated("北村党支部", 9, (*VILLAGE6, P1, P2, P3, P4), (), BOTTOM_VILLAGES, before=10),
    # 村: 6; 个性1, 2 95%; 个性3 85% ✗; 个性4 blank → 8; 80.0, picked, but 8 is below the cap
    rated("中村党支部", 8, (*VILLAGE6, P1, P2)),
    # 村: 10; 70.0, second from the bottom → 9
    rated("前村党支部", 9, (*VILLAGE6, P1, P2, P3, P4), (), BOTTOM_VILLAGES, before=10),
    # 村: 6 common, no individual star → 6; 60.0, the bottom, already below 9 → 整顿
    rated("后村党支部", 6, VILLAGE6, (RECTIFY,)),
    # committee of 4: invalid (and so not ranked, although its 30.0 is the lowest)
    invalid("左村党支部", COMMITTEE),
    # 社区 (村's star set): 6 + 4 = 10; not a 村, so its 10.0 excludes nothing
    rated("城关社区党委", 10, (*VILLAGE6, P1, P2, P3, P4), (TEN_O,)),
    # 镇直部门, a window unit with a representative: 6; 个性3 records 是 → 10; 92.0, top
    rated("镇党政办党支部", 10, (*DEPT6, P1, P2, R3, P4), (TEN_O,)),
    # 镇直部门: 10; 75.0, second from the bottom → 9
    rated("镇财政所党支部", 9, (*DEPT6, P1, P2, P3, P4), (), BOTTOM_DEPTS, before=10),
    # 镇直部门: 法纪 否 → 5 (阵地 99% is not a 镇直部门 star); 个性1, 2 → 7; the bottom (70.0),
    # already below 9; 七星级以下 → 整顿
    rated("镇农业服务中心党支部", 7, (OXX, OZS, OFP, OFW, OJX, P1, P2), (RECTIFY,)),
    # 镇直部门: 6 + 个性1, 2 = 8; 88.0
    rated("镇文化站党支部", 8, (*DEPT6, P1, P2)),
    # 镇党委: 学习 法纪 组织生活 扶贫 团结 生态 = 6; 个性1-3 95%, 个性4 records 是 → 10;
    # not ranked by the exclusion
    rated("某镇党委", 10, (OXX, OFJ, OZS, OFP, OST, OTJ, P1, P2, P3, R4), (TEN_O,)),
    # 非公: 学习 法纪 组织生活 扶贫 绩效 新风 = 6; 个性1, 2 → 8
    rated("宏达公司党支部", 8, (OXX, OFJ, OZS, OFP, OJX, OXF, P1, P2)),
    # a window unit without a service-object representative: invalid
    invalid("志愿者协会党支部", WINDOW),
    # abc is not a percentage
    bad("个体劳动者协会党支部", "学习星测评"),
]


def test_org_csv_header_is_the_schemes_inputs() -> None:
    assert header(ORG_CSV) == [i.name for i in ORG_SCHEME.inputs]


def test_org_rows_are_all_expected() -> None:
    assert [r["组织名称"] for r in ORG_ROWS] == [e.id for e in ORGS]


@pytest.mark.parametrize("exp", [e for e in ORGS if e.status == "rated"], ids=lambda e: e.id)
def test_org_table_is_consistent(exp: Exp) -> None:
    assert exp.before == len(exp.badges)
    assert exp.level == (min(exp.before, 9) if exp.reason else exp.before)
    assert exp.level is not None
    assert exp.flags == ((TEN_O,) if exp.level == 10 else ()) + ((RECTIFY,) if exp.level <= 7 else ())


def test_orgs_golden(engine: str) -> None:
    rating = ORG_SCHEME.rate(ORG_ROWS, engine=engine)
    for o, exp in zip(rating.outcomes, ORGS, strict=True):
        check_outcome(o, exp)
        if exp.reason in (BOTTOM_VILLAGES, BOTTOM_DEPTS):
            assert [(mv.rule, mv.kind, mv.before, mv.after) for mv in o.moves] == [
                (exp.reason, "select", "十星级党组织", "九星级党组织")]
        elif exp.status == "rated":
            assert o.moves == ()
    assert rating.counts()["rated"] == 14


def test_org_exclusion_reports(engine: str) -> None:
    # base: the 14 rated; villages: 3 places, 7 candidates, 4 picked (the tie at 80.0);
    # 镇直部门: 2 places, 4 candidates, 2 picked
    rating = ORG_SCHEME.rate(ORG_ROWS, engine=engine)
    got = {r.rule: (r.kind, r.base, r.target, r.before, r.after, r.met) for r in rating.reports}
    assert got == {
        BOTTOM_VILLAGES: ("select", 14, 3, 7, 4, True),
        BOTTOM_DEPTS: ("select", 14, 2, 4, 2, True),
    }


def test_org_exclusion_is_a_population_rule(engine: str) -> None:
    # rated alone, a bottom village keeps its ten stars: the exclusion needs the ranking
    row = next(r for r in ORG_ROWS if r["组织名称"] == "前村党支部")
    assert ORG_SCHEME.evaluate(row, engine=engine).level == 10


def test_org_rows_exercise_every_rule(engine: str) -> None:
    applied = applied_rules(ORG_SCHEME, ORG_ROWS, {e.id for e in ORGS if e.field is None})
    rules = scheme_rules(ORG_SCHEME)
    assert len(rules) == 18 + 2 + 2  # 18 stars, 2 validity rules, 2 flags
    assert rules - applied == set()
    moved = {mv.rule for o in ORG_SCHEME.rate(ORG_ROWS, engine=engine).outcomes for mv in o.moves}
    assert moved == {BOTTOM_VILLAGES, BOTTOM_DEPTS}


# =====================================================================================
# 篇十六 五星级服务型党组织: schemes/wuxing-fuwu.star
# =====================================================================================

WX_PATH = ROOT / "schemes" / "wuxing-fuwu.star"
WX_SCHEME = starrules.load(WX_PATH)
WX_CSV = EXAMPLES / "wuxing-fuwu.csv"
WX_ROWS = read_rows(WX_CSV, "村党支部")
WX_JSON = {2022: EXAMPLES / "wuxing-fuwu-2022.json", 2023: EXAMPLES / "wuxing-fuwu-2023.json"}
WX_HISTORY = load_history([str(WX_JSON[2022]), str(WX_JSON[2023])])

CAP = "未获全部五颗服务星（村级集体经济纯收入未达5万元），不得评为五星级"
DEMOTE = "领导不力、重视不够、致使争创工作停滞滑坡，降低星级格次"
FIX = "领导不力、重视不够、致使争创工作停滞滑坡：限期整改"
V_CLEAN = "违反党风廉政建设，一票否决，直接取消星级资格"
V_FAMILY = "违反计划生育，一票否决，直接取消星级资格"
V_SAFETY = "违反安全生产，一票否决，直接取消星级资格"
V_ORDER = "违反综合治理，一票否决，直接取消星级资格"
V_OTHER = "其他一票否决问题，直接取消星级资格"
V_CARRIED = "一票否决问题在一年内不予恢复星级"
FIVE = "五星级：党支部书记优先作为评选‘三十佳’优秀党支部书记的对象"
SECRETARY = "通过三年的争创还没有进入星级行列：支部书记原则上要进行组织调整"
GOAL = "力争通过3-5年，全乡60%以上村党支部达到五星级标准"
STARS = ("服务政策宣传星", "服务法律援助星", "服务技能培训星", "服务民生改善星", "服务经济发展星")


@dataclass(frozen=True)
class Village:
    """A village branch: its total, the number of the five stars it holds, the band's level,
    the final level, the reason, the flags and the vetoes that applied."""

    id: str
    total: str
    stars: int
    band: int
    level: int
    reason: str | None = None
    flags: tuple[str, ...] = ()
    vetoes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BadVillage:
    id: str
    field: str


def band_of(total: Decimal) -> int:
    """The scheme's resolved bands (each shared end to the higher band), to check the table."""
    return next((lvl for lvl, low in ((5, 95), (4, 90), (3, 80), (2, 70), (1, 60)) if total >= low), 0)


# History used below (hand-worked in WX_2022 / WX_2023): 八村 无星 in 2022 and 2023;
# 十一村 vetoed (计划生育) in 2023; 十二村 vetoed (综合治理) in 2022 and held at 无星 by the
# carried veto in 2023; 十四村 无星 in 2023, absent in 2022; 十五村 二星 in 2022, 无星 in 2023;
# 十村 三星 both years; 一村 四星 then 五星. The others have no history.
VILLAGES: list[Village | BadVillage] = [
    # 20+19+19+19+18 = 95 → [95,..) 5; every content ≥ 12 and 80,000 ≥ 50,000: 5 stars → 五星
    Village("一村", "95", 5, 5, 5, flags=(FIVE,)),
    # 19×4 + 18.5 = 94.5 → [90,95) 4 (not five: 95 is the edge)
    Village("二村", "94.5", 5, 4, 4),
    # 18×5 = 90 → 4 (90 opens four stars)
    Village("三村", "90", 5, 4, 4),
    # 18×4 + 17.5 = 89.5 → [80,90) 3
    Village("四村", "89.5", 5, 3, 3),
    # 16×5 = 80 → 3 (80 opens three)
    Village("五村", "80", 5, 3, 3),
    # 14×5 = 70 → 2
    Village("六村", "70", 5, 2, 2),
    # 12×5 = 60 → 1 (60 is one star); each content exactly 12 holds its star and income
    # exactly 50,000 is “5万元以上”: five stars held, one-star level (the stars are not the level)
    Village("七村", "60", 5, 1, 1),
    # 11.5×5 = 57.5 → 无星; no content reaches 12: no star. 无星 in 2022 and 2023 too, both
    # on record → 调整书记
    Village("八村", "57.5", 0, 0, 0, flags=(SECRETARY,)),
    # 20×5 = 100 → 5; income 49,999 < 50,000: no 经济发展 star, 4 stars → cap at most 4 → 四星
    Village("九村", "100", 4, 5, 4, CAP),
    # 20+20+19+19+19 = 97 → 5; 违反安全生产 → 无星 (vetoed). History 三星: no 调整书记
    Village("十村", "97", 5, 5, 0, V_SAFETY, vetoes=(V_SAFETY,)),
    # 20+19×4 = 96 → 5; clean this year, vetoed (计划生育) in 2023 → carried veto → 无星.
    # 2022 was 四星, so not three years without a star
    Village("十一村", "96", 5, 5, 0, V_CARRIED, vetoes=(V_CARRIED,)),
    # 19+19+18+18+18 = 92 → 4. Vetoed in 2022, carried in 2023 (under the carried veto's own
    # name), so 2023's vetoes name none of the five: not carried again → 四星. (无星 in 2022
    # and 2023, but starred this year: no 调整书记)
    Village("十二村", "92", 5, 4, 4),
    # 19×5 = 95 → 5; 领导不力 → down one → 四星 → 限期整改
    Village("十三村", "95", 5, 5, 4, DEMOTE, (FIX,)),
    # 12+12+12+11+11 = 58 → 无星; stars: 政策 法律 技能 (民生 11, 经济 11 ✗) = 3; 领导不力:
    # the demotion from 无星 changes nothing (no reason); 限期整改. 2023 无星 but 2022 not
    # on record → no 调整书记
    Village("十四村", "58", 3, 0, 0, None, (FIX,)),
    # 10×5 = 50 → 无星, no star; 2023 无星 but 2022 二星 → no 调整书记
    Village("十五村", "50", 0, 0, 0),
    # 20×5 = 100 → 5; 领导不力: 5 → 4; income 40,000: 4 stars, cap at most 4 finds 4 and
    # changes nothing; the reason is the demotion (demote, then cap: not three stars)
    Village("十六村", "100", 4, 5, 4, DEMOTE, (FIX,)),
    # 19×5 = 95 → 5; 违反党风廉政建设 and 其他: both vetoes apply; the reason is the last in
    # the file, 其他
    Village("十七村", "95", 5, 5, 0, V_OTHER, vetoes=(V_CLEAN, V_OTHER)),
    # 14×5 = 70 → 2; 违反计划生育 and 综合治理 → 无星, reason the last, 综合治理
    Village("十八村", "70", 5, 2, 0, V_ORDER, vetoes=(V_FAMILY, V_ORDER)),
    BadVillage("十九村", "政策宣传得分"),  # 20.5 is above the 20 points of a content
    BadVillage("二十村", "经济发展得分"),  # 15.3 is not a multiple of 0.5
    BadVillage("二十一村", "村级集体经济纯收入"),  # 5万 is not a whole number of yuan
]


def test_wx_csv_header_is_the_schemes_inputs() -> None:
    assert header(WX_CSV) == [i.name for i in WX_SCHEME.inputs]
    for year in (2022, 2023):
        assert header(EXAMPLES / f"wuxing-fuwu-{year}.csv") == header(WX_CSV)


def test_wx_rows_are_all_expected() -> None:
    assert [r["村党支部"] for r in WX_ROWS] == [e.id for e in VILLAGES]
    assert len(WX_ROWS) >= 12


@pytest.mark.parametrize("exp", [e for e in VILLAGES if isinstance(e, Village)], ids=lambda e: e.id)
def test_wx_table_is_consistent(exp: Village) -> None:
    row = next(r for r in WX_ROWS if r["村党支部"] == exp.id)
    parts = [D(row[c]) for c in ("政策宣传得分", "法律援助得分", "技能培训得分", "民生改善得分", "经济发展得分")]
    assert sum(parts) == D(exp.total)
    assert band_of(D(exp.total)) == exp.band
    assert exp.stars == sum(p >= 12 for p in parts[:4]) + (parts[4] >= 12 and int(row["村级集体经济纯收入"]) >= 50000)
    assert exp.level <= exp.band


def test_wx_golden_2024(engine: str) -> None:
    rating = WX_SCHEME.rate(WX_ROWS, period=2024, history=WX_HISTORY, engine=engine)
    for o, exp in zip(rating.outcomes, VILLAGES, strict=True):
        assert o.id == exp.id
        if isinstance(exp, BadVillage):
            assert o.status == "invalid" and [p.field for p in o.problems] == [exp.field]
            continue
        assert o.status == "rated" and o.result is not None
        got = (o.total, int(o.result.scores["服务星"]), o.result.band_level, o.level_before, o.level, o.reason,
               o.flags, o.result.vetoes)
        want = (D(exp.total), exp.stars, exp.band, exp.level, exp.level, exp.reason, exp.flags, exp.vetoes)
        assert got == want, exp.id
        assert len(o.result.badges) == exp.stars
    assert (rating.counts()["rated"], rating.counts()["invalid"]) == (18, 3)


def test_wx_badges_named(engine: str) -> None:
    rows = {r["村党支部"]: r for r in WX_ROWS}
    # 九村: every content 20 but income 49,999: all but the 经济发展 star
    r = WX_SCHEME.evaluate(rows["九村"], period=2024, history=WX_HISTORY.get("九村", []), engine=engine)
    assert r.badges == STARS[:4]
    # 十四村: 12, 12, 12, 11, 11 → the first three
    r = WX_SCHEME.evaluate(rows["十四村"], period=2024, history=WX_HISTORY["十四村"], engine=engine)
    assert r.badges == STARS[:3]
    # 七村: 12 each and income exactly 50,000: all five
    assert WX_SCHEME.evaluate(rows["七村"], period=2024, engine=engine).badges == STARS


def test_wx_goal_is_reported_never_enforced(engine: str) -> None:
    # 60% of 18 rated = 10.8, rounded up: 11; five-star: 一村 alone → not met, nobody moved
    rating = WX_SCHEME.rate(WX_ROWS, period=2024, history=WX_HISTORY, engine=engine)
    (rep,) = rating.reports
    assert (rep.rule, rep.base, rep.target, rep.before, rep.after, rep.enforced, rep.met) == (
        GOAL, 18, 11, 1, 1, False, False)
    assert all(not o.moves for o in rating.outcomes)


def test_wx_history_is_needed(engine: str) -> None:
    # without the history, 八村 is not flagged and 十一村 keeps its five stars
    rating = WX_SCHEME.rate(WX_ROWS, period=2024, engine=engine)
    by_id = {o.id: o for o in rating.outcomes}
    assert by_id["八村"].flags == () and by_id["十一村"].level == 5
    with pytest.raises(starrules.PeriodError):
        WX_SCHEME.evaluate(WX_ROWS[0], engine=engine)


def test_wx_veto_holds_one_year_only(engine: str) -> None:
    row = next(r for r in WX_ROWS if r["村党支部"] == "十一村")  # 96, clean this year
    vetoed_2023 = WX_HISTORY["十一村"]
    assert WX_SCHEME.evaluate(row, period=2024, history=vetoed_2023, engine=engine).level == 0
    # in 2025 the 2023 veto is two periods back: 96 → 五星 again
    r = WX_SCHEME.evaluate(row, period=2025, history=vetoed_2023, engine=engine)
    assert (r.level, r.vetoes) == (5, ())


def test_wx_rows_exercise_every_rule(engine: str) -> None:
    applied = applied_rules(WX_SCHEME, WX_ROWS, {e.id for e in VILLAGES if isinstance(e, Village)}, period=2024,
                            history=WX_HISTORY)
    rules = scheme_rules(WX_SCHEME)
    assert len(rules) == 5 + 1 + 1 + 6 + 3  # 5 stars, cap, demote, 6 vetoes, 3 flags
    assert rules - applied == set()
    bands = {e.band for e in VILLAGES if isinstance(e, Village)}
    assert bands == {0, 1, 2, 3, 4, 5}
    # 无星 in both earlier years: 八村 and 十二村 (无星 in 2022, vetoed, and in 2023, carried);
    # 十二村 is at 四星 this year, so only 八村 is flagged
    both_zero = {i for i, past in WX_HISTORY.items()
                 if [p["level"] for p in sorted(past, key=lambda p: p["period"])][-2:] == [0, 0] and len(past) >= 2}
    assert both_zero == {"八村", "十二村"}
    rating = WX_SCHEME.rate(WX_ROWS, period=2024, history=WX_HISTORY, engine=engine)
    flagged = {o.id for o in rating.outcomes if SECRETARY in o.flags}
    assert flagged == {"八村"}


# ---- the history files -----------------------------------------------------------------

# 2022 (no history before): 一村 18×5 = 90 → 四星; 八村 10×5 = 50 → 无星; 十村 16×5 = 80 → 三星;
# 十一村 18×5 = 90 → 四星; 十二村 19×5 = 95 but 违反综合治理 → 无星 (vetoed); 十五村 14×5 = 70 → 二星.
WX_2022 = {
    "一村": (4, [], []), "八村": (0, [], []), "十村": (3, [], []), "十一村": (4, [], []),
    "十二村": (0, [V_ORDER], []), "十五村": (2, [], []),
}
# 2023 (history: 2022): 一村 19×5 = 95, income 70,000 → 五星 → 五星 flag; 八村 11×5 = 55 → 无星,
# no 调整书记 (2021 not on record); 十村 16×5 = 80 → 三星; 十一村 19×5 = 95, 违反计划生育 → 无星;
# 十二村 18.5×5 = 92.5, clean, but vetoed in 2022 → carried veto → 无星; 十四村 11×5 = 55 → 无星;
# 十五村 10×5 = 50 → 无星 (2022 二星: no flag).
WX_2023 = {
    "一村": (5, [], [FIVE]), "八村": (0, [], []), "十村": (3, [], []), "十一村": (0, [V_FAMILY], []),
    "十二村": (0, [V_CARRIED], []), "十四村": (0, [], []), "十五村": (0, [], []),
}


@pytest.mark.parametrize(("year", "expected"), [(2022, WX_2022), (2023, WX_2023)])
def test_wx_history_files(year: int, expected: dict[str, tuple[int, list[str], list[str]]]) -> None:
    doc = json.loads(WX_JSON[year].read_text(encoding="utf-8"))
    assert doc["period"] == year
    assert doc["scheme"]["title"] == WX_SCHEME.title
    got = {r["id"]: (r["level"], r["vetoes"], r["flags"]) for r in doc["results"]}
    assert got == expected
    assert all(r["status"] == "rated" for r in doc["results"])


@pytest.mark.parametrize("year", [2022, 2023])
def test_wx_history_files_are_current(year: int, engine: str) -> None:
    """The stored results are what the scheme gives today for that year's data."""
    rows = read_rows(EXAMPLES / f"wuxing-fuwu-{year}.csv", "村党支部")
    history = load_history([str(WX_JSON[y]) for y in WX_JSON if y < year])
    rating = WX_SCHEME.rate(rows, period=year, history=history, engine=engine)
    doc = json.loads(WX_JSON[year].read_text(encoding="utf-8"))
    stored = {r["id"]: (r["level"], r["vetoes"], r["flags"]) for r in doc["results"]}
    assert {o.id: (o.level, list(o.result.vetoes) if o.result else [], list(o.flags))
            for o in rating.outcomes} == stored


# ---- the bands as written -------------------------------------------------------------------

def test_wx_bands_as_written_overlap() -> None:
    """“95-100分为五星级，95-90分为四星级，90-80分为三星级，80-70分为二星级，70-60分为一星级，
    60分以下无星”, transcribed literally (each range closed at both ends, “以下” including 60):
    the checker refuses it, naming each score that falls in two bands."""
    text = WX_PATH.read_text(encoding="utf-8")
    literal = ("band 得分 {\n  5: [95, 100]\n  4: [90, 95]\n  3: [80, 90]\n  2: [70, 80]\n  1: [60, 70]\n"
               "  0: (.., 60]\n}\n")
    text, n = re.subn(r"band 得分 \{.*?\n\}\n", literal, text, count=1, flags=re.S)
    assert n == 1
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads(text)
    overlaps = [d for d in info.value.diagnostics if d.code == "E402"]
    shared = {re.search(r"a score of (\d+) is in both", d.message).group(1)  # type: ignore[union-attr]
              for d in overlaps}
    assert shared == {"95", "90", "80", "70", "60"}
    assert len(overlaps) == 5
    # The top is closed at 100, but 得分 is the sum of five contents scored 0..20, so it never
    # passes 100: no score falls above the top band, and no E401 says one does (as none does
    # once the overlaps are resolved).
    assert not any(d.code == "E401" for d in info.value.diagnostics)


def test_wx_history_flag_in_a_population(engine: str) -> None:
    """The 调整书记 flag reads history inline; rating the population evaluates it again at
    the final level, with the same period and history (a bug once lost them)."""
    row = next(r for r in WX_ROWS if r["村党支部"] == "八村")
    assert WX_SCHEME.evaluate(row, period=2024, history=WX_HISTORY["八村"], engine=engine).flags == (SECRETARY,)
    rating = WX_SCHEME.rate([row], period=2024, history=WX_HISTORY, engine=engine)
    assert rating.outcomes[0].flags == (SECRETARY,)
