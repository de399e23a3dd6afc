"""Golden test of schemes/anyang.star (篇十一) on schemes/examples/anyang.csv.

Every expected value below was worked out by hand from the policy text (seeds, 篇十一,
lines 833-890) and the choices the scheme states (【选择】): ten areas of 10 points each;
bonuses 市级3/省级5/国家级8, the highest counting, for 表彰 and for 创新推广; penalties
工委通报 3 each, 市委通报 5 each, 班子处分 3 each, 班子撤职 5 each, 党员违纪 2 each,
满意率 < 60% 5, 缺席 3 each; bands [90,..) 5, [80,90) 4, [70,80) 3, [60,70) 2, [50,60) 1,
(..,50) 0; then demotion (缺席 >= 3: down 1), caps (缺席 >= 3: at most 4; 换届 not 按期: at
most 4; 逾期超过一年: at most 3), veto (满意率 < 50%: 0); flags 授牌表彰 at 5, 集中整顿 at <= 1.
``reason`` is the override that last changed the level, else None.

Each row's comment reads: 基础 (sum of the ten areas) + 加分 - 扣分 = total → band; overrides.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

import starrules

ROOT = Path(__file__).resolve().parents[1]
SCHEME = ROOT / "schemes" / "anyang.star"
CSV = ROOT / "schemes" / "examples" / "anyang.csv"

# Names of the scheme's overrides and flags, as the scheme writes them.
DEMOTE = "无故缺席累计3次及以上，降低一个星级"
CAP_LATE = "无特殊理由、无请示不按期换届，不得定为五星级"
CAP_YEAR = "超过一年不换届，不得定为四星及以上等级"
VETO = "民主评议满意率50%以下，不定星级"
AWARD = "授牌表彰"
RECTIFY = "集中整顿"


@dataclass(frozen=True)
class Rated:
    """A branch that is rated: 基础分, 加分, 扣分, 得分, band level, final level, reason, flags."""

    name: str
    base: str
    bonus: str
    penalty: str
    total: str
    band: int
    level: int
    reason: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Invalid:
    """A branch whose row holds a bad value: evaluate raises InputError naming ``field``."""

    name: str
    field: str


EXPECTED: list[Rated | Invalid] = [
    # ---- bands and their exact edges, no adjustments --------------------------------
    # 9×10 = 90; total 90 → [90,..) 五星
    Rated("市财政局机关第一党支部", "90", "0", "0", "90", 5, 5, flags=(AWARD,)),
    # 9×9 + 8.9 = 89.9 → [80,90) 四星 (89.9 is below 90)
    Rated("市财政局机关第二党支部", "89.9", "0", "0", "89.9", 4, 4),
    # 8×10 = 80 → [80,90) 四星; count cells written 0
    Rated("市财政局机关第三党支部", "80", "0", "0", "80", 4, 4),
    # 8×9 + 7.9 = 79.9 → [70,80) 三星
    Rated("市财政局机关第四党支部", "79.9", "0", "0", "79.9", 3, 3),
    # 7×10 = 70 → [70,80) 三星
    Rated("市教育局机关第一党支部", "70", "0", "0", "70", 3, 3),
    # 7×9 + 6.9 = 69.9 → [60,70) 二星
    Rated("市教育局机关第二党支部", "69.9", "0", "0", "69.9", 2, 2),
    # 6.0×10 = 60 → [60,70) 二星
    Rated("市教育局机关第三党支部", "60", "0", "0", "60", 2, 2),
    # 6×9 + 5.9 = 59.9 → [50,60) 一星 → 集中整顿 (level <= 1)
    Rated("市教育局机关第四党支部", "59.9", "0", "0", "59.9", 1, 1, flags=(RECTIFY,)),
    # 5×10 = 50 → [50,60) 一星 (“50—59分为一星级”) → 集中整顿
    Rated("市教育局机关后勤党支部", "50", "0", "0", "50", 1, 1, flags=(RECTIFY,)),
    # 5×9 + 4.9 = 49.9 → (..,50) 不定星级 (“50分以下”); 满意率 61% no penalty → 集中整顿
    Rated("市教育局离退休干部党支部", "49.9", "0", "0", "49.9", 0, 0, flags=(RECTIFY,)),
    # ---- bonuses ------------------------------------------------------------------------
    # 9.8×10 = 98 + 表彰 国家级 8 + 创新 省级 5 = 111 → above 100, still [90,..) 五星
    Rated("市卫健委机关第一党支部", "98", "13", "0", "111", 5, 5, flags=(AWARD,)),
    # 8.5×10 = 85 + 表彰 highest(省级5, 市级3) = 5 → 90 → 五星 (not 85+8)
    Rated("市卫健委机关第二党支部", "85", "5", "0", "90", 5, 5, flags=(AWARD,)),
    # 8×9 + 8.5 = 80.5 + 表彰 highest(市级3, 省级5, 国家级8) = 8 → 88.5 → [80,90) 四星
    Rated("市卫健委机关第三党支部", "80.5", "8", "0", "88.5", 4, 4),
    # 7.2×10 = 72 + 表彰 市级 3 + 创新 highest(市级3, 省级5) = 5 (【选择】highest) → 80 → 四星
    Rated("市卫健委机关第四党支部", "72", "8", "0", "80", 4, 4),
    # ---- per-occurrence penalties ----------------------------------------------------
    # 9.2×10 = 92 - 工委通报 2×3 = 6 → 86 → 四星
    Rated("市住建局机关第一党支部", "92", "0", "6", "86", 4, 4),
    # 9.5×10 = 95 - 市委通报 1×5 = 5 → 90 → 五星
    Rated("市住建局机关第二党支部", "95", "0", "5", "90", 5, 5, flags=(AWARD,)),
    # 8.8×10 = 88 - 班子处分 2×3 - 班子撤职 1×5 = 11 → 77 → 三星
    Rated("市住建局机关第三党支部", "88", "0", "11", "77", 3, 3),
    # 6.6×10 = 66 - 党员违纪 3×2 = 6 → 60 → [60,70) 二星
    Rated("市住建局机关第四党支部", "66", "0", "6", "60", 2, 2),
    # 10×10 = 100 + 表彰 国家级 8 = 108 - (工委3 + 市委5 + 处分3 + 撤职5 + 违纪2 = 18) = 90 → 五星
    Rated("市公安局机关第一党支部", "100", "8", "18", "90", 5, 5, flags=(AWARD,)),
    # ---- 民主评议满意率: penalty below 60%, veto below 50% --------------------------------
    # 9.4×10 = 94 - 满意率 59.9% < 60% 5 = 89 → 四星
    Rated("市公安局机关第二党支部", "94", "0", "5", "89", 4, 4),
    # 9.4×10 = 94; 满意率 60% is not below 60%: no penalty → 94 → 五星
    Rated("市公安局机关第三党支部", "94", "0", "0", "94", 5, 5, flags=(AWARD,)),
    # 9.5×10 = 95 - 满意率 49.9% < 60% 5 = 90 → band 五星; 49.9% < 50% veto → 不定星级 → 集中整顿
    Rated("市公安局机关第四党支部", "95", "0", "5", "90", 5, 0, VETO, (RECTIFY,)),
    # 9.5×10 = 95 - 满意率 50% < 60% 5 = 90 → 五星; 50% is not below 50%: no veto
    Rated("市交通运输局机关第一党支部", "95", "0", "5", "90", 5, 5, flags=(AWARD,)),
    # ---- 换届 caps -------------------------------------------------------------------------
    # 9.3×10 = 93 → band 五星; 换届 逾期: at most 4 → 四星
    Rated("市交通运输局机关第二党支部", "93", "0", "0", "93", 5, 4, CAP_LATE),
    # 9×7 + 8 + 8 + 8.5 = 87.5 + 表彰 highest(市级3, 省级5) = 5 - 市委通报 1×5 = 87.5 → 四星;
    # 换届 逾期 at most 4: stays 4, so no reason
    Rated("市交通运输局机关第三党支部", "87.5", "5", "5", "87.5", 4, 4),
    # 9.6×10 = 96 → band 五星; 逾期超过一年 is also not 按期: at most 4 → 四星; then at most 3 → 三星
    Rated("市交通运输局机关第四党支部", "96", "0", "0", "96", 5, 3, CAP_YEAR),
    # 8.5×10 = 85 → band 四星; 逾期 cap (4) changes nothing; 逾期超过一年 at most 3 → 三星
    Rated("市审计局机关第一党支部", "85", "0", "0", "85", 4, 3, CAP_YEAR),
    # 7.5×10 = 75 → band 三星; both 换届 caps already met: stays 3, no reason
    Rated("市审计局机关第二党支部", "75", "0", "0", "75", 3, 3),
    # ---- 无故缺席: penalty, demotion and cap ---------------------------------------------
    # 9.6×10 = 96 - 缺席 2×3 = 6 → 90 → 五星; 2 times: no demotion, no cap
    Rated("市审计局机关第三党支部", "96", "0", "6", "90", 5, 5, flags=(AWARD,)),
    # 10×10 = 100 + 表彰 国家级 8 - 缺席 3×3 = 9 → 99 → band 五星; 3 times: down 1 → 四星;
    # cap at most 4 then changes nothing (demotion first: four stars, not three)
    Rated("市审计局机关第四党支部", "100", "8", "9", "99", 5, 4, DEMOTE),
    # 9.2×10 = 92 - 缺席 3×3 = 9 → 83 → band 四星; down 1 → 三星
    Rated("市统计局机关第一党支部", "92", "0", "9", "83", 4, 3, DEMOTE),
    # 7.5×10 = 75 - 缺席 4×3 = 12 → 63 → band 二星; down 1 → 一星 → 集中整顿
    Rated("市统计局机关第二党支部", "75", "0", "12", "63", 2, 1, DEMOTE, (RECTIFY,)),
    # 6.2×10 = 62 - 缺席 3×3 = 9 → 53 → band 一星; down 1 → 不定星级 → 集中整顿
    Rated("市统计局机关第三党支部", "62", "0", "9", "53", 1, 0, DEMOTE, (RECTIFY,)),
    # 5.5×10 = 55 - 缺席 3×3 = 9 → 46 → band 不定星级; a demotion from the lowest level
    # changes nothing, so nothing changed the level: no reason → 集中整顿
    Rated("市统计局机关第四党支部", "55", "0", "9", "46", 0, 0, None, (RECTIFY,)),
    # ---- everything at once --------------------------------------------------------------
    # 10×10 = 100 + 表彰 国家级 8 - (缺席 3×3 = 9 + 满意率 45% < 60% 5 = 14) = 94 → band 五星;
    # 缺席 3: down 1 → 四星; 缺席 cap 4 and 逾期 cap 4 change nothing; 逾期超过一年 at most 3 → 三星;
    # 满意率 45% < 50% veto → 不定星级 (veto over cap over demotion) → 集中整顿
    Rated("市商务局机关第一党支部", "100", "8", "14", "94", 5, 0, VETO, (RECTIFY,)),
    # 5.3×10 = 53; 表彰 written 无 (none) → 0; - 工委通报 1×3 = 3 → 50 → [50,60) 一星 → 集中整顿
    Rated("市商务局机关第二党支部", "53", "0", "3", "50", 1, 1, flags=(RECTIFY,)),
    # ---- bad values: never a score -------------------------------------------------------
    Invalid("市商务局机关第三党支部", "组织健全"),  # 10.5 is above the 10 points of an area
    Invalid("市商务局机关第四党支部", "设施配套"),  # 9.55 is not on the 0.1 step
    Invalid("市民政局机关第一党支部", "民主评议满意率"),  # abc is not a percentage
]

BY_NAME = {e.name: e for e in EXPECTED}


def read_rows() -> dict[str, dict[str, str]]:
    with CSV.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    names = [r["支部名称"] for r in rows]
    assert len(names) == len(set(names)), "a branch name appears twice in the CSV"
    return {r["支部名称"]: r for r in rows}


SCHEME_OBJ = starrules.load(SCHEME)
ROWS = read_rows()


def test_csv_header_is_the_schemes_inputs() -> None:
    with CSV.open(encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f))
    assert header == [i.name for i in SCHEME_OBJ.inputs]


def test_every_row_is_accounted_for() -> None:
    assert len(BY_NAME) == len(EXPECTED), "a branch is expected twice"
    assert set(ROWS) == set(BY_NAME)
    assert len(ROWS) >= 32


def band_of(total: Decimal) -> int:
    """The band table of 篇十一 with the scheme's half-open reading, to check the table above."""
    return next((lvl for lvl, low in ((5, 90), (4, 80), (3, 70), (2, 60), (1, 50)) if total >= low), 0)


@pytest.mark.parametrize("exp", [e for e in EXPECTED if isinstance(e, Rated)], ids=lambda e: e.name)
def test_hand_worked_table_is_consistent(exp: Rated) -> None:
    """Checks the arithmetic of the table itself, not the program."""
    total = Decimal(exp.total)
    assert Decimal(exp.base) + Decimal(exp.bonus) - Decimal(exp.penalty) == total
    assert band_of(total) == exp.band
    assert exp.level <= exp.band
    assert (exp.reason is None) == (exp.level == exp.band)
    assert exp.flags == tuple(f for f, on in ((AWARD, exp.level == 5), (RECTIFY, exp.level <= 1)) if on)


@pytest.mark.parametrize("exp", EXPECTED, ids=lambda e: e.name)
def test_golden(exp: Rated | Invalid, engine: str) -> None:
    row = ROWS[exp.name]
    if isinstance(exp, Invalid):
        with pytest.raises(starrules.InputError) as info:
            SCHEME_OBJ.evaluate(row, engine=engine)
        assert [p.field for p in info.value.problems] == [exp.field]
        assert info.value.field == exp.field
        assert info.value.value == row[exp.field]
        return
    r = SCHEME_OBJ.evaluate(row, engine=engine)
    assert r.status == "rated"
    assert r.id == exp.name
    assert r.groups == {"所属单位": row["所属单位"]}
    got = (r.scores["基础分"], r.scores["加分"], r.scores["扣分"], r.total, r.band_level, r.level, r.reason, r.flags)
    want = (Decimal(exp.base), Decimal(exp.bonus), Decimal(exp.penalty), Decimal(exp.total),
            exp.band, exp.level, exp.reason, exp.flags)
    assert got == want, r.explain()
    assert r.level_label == ["不定星级", "一星级", "二星级", "三星级", "四星级", "五星级"][exp.level]


def test_rows_exercise_every_rule() -> None:
    """Every bonus and penalty entry, demotion, cap, veto and flag of the scheme applies to
    at least one row; every band and every final level is reached."""
    program = SCHEME_OBJ.program
    rules = {(s.kind, e.label) for s in program.scores for e in s.entries}
    rules |= {(r.kind, r.name) for r in program.rules if r.kind in ("demote", "cap", "veto", "flag")}
    applied: set[tuple[str, str]] = set()
    bands: set[object] = set()
    levels: set[object] = set()
    for exp in EXPECTED:
        if isinstance(exp, Invalid):
            continue
        r = SCHEME_OBJ.evaluate(ROWS[exp.name], trace=True)  # the trace: the reference engine's
        applied |= {(s.stage, s.name) for s in r.trace if s.applied}
        bands.add(r.band_level)
        levels.add(r.level)
    assert len(rules) == 2 + 7 + 1 + 3 + 1 + 2
    assert rules - applied == set()
    assert bands == levels == {0, 1, 2, 3, 4, 5}


def test_rows_exercise_every_input_form() -> None:
    """Blank count cells (default 0), blank 换届情况 (default 按期), several levels in a set
    cell, and a reason-changing override of each kind all occur in the table."""
    rated = [ROWS[e.name] for e in EXPECTED if isinstance(e, Rated)]
    counts = ["工委通报", "市委通报", "班子处分", "班子撤职", "党员违纪", "缺席次数"]
    assert any(all(not row[c].strip() for c in counts) for row in rated)
    assert any(not row["换届情况"].strip() for row in rated)
    assert any("、" in row["表彰"] for row in rated) and any("、" in row["创新推广"] for row in rated)
    reasons = {e.reason for e in EXPECTED if isinstance(e, Rated)}
    assert {DEMOTE, CAP_LATE, CAP_YEAR, VETO} <= reasons
