"""Golden tests of two schemes: named grades on a forced curve, and weighted raters.

* schemes/yidong-liuhao.star (篇七, 中国移动"六好"党支部) on schemes/examples/yidong-liuhao.csv,
  rated for 2024 with the earlier years' results schemes/examples/yidong-liuhao-2021/2022/2023.json;
* schemes/cun-zhibu.star (篇十二, 村党支部星级化管理) on schemes/examples/cun-zhibu.csv.

Every expected value was worked out by hand from the policy text and the choices each
scheme states (【选择】), never copied from the program's output; the arithmetic of each row
is in its comment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from example_data import header, read_rows

import starrules
from starrules.cli import load_history

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "schemes" / "examples"
D = Decimal


# =====================================================================================
# 篇七: 中国移动"六好"党支部
# =====================================================================================
#
# The scheme's choices: each standard of a dimension is one yes/no criterion worth an
# equal share of the dimension, all or nothing:
#   班子建设好 20 = 4 × 5       (B1 班子健全分工明确, B2 政治过硬敢于担当, B3 团结协作民主集中制, B4 清正廉洁风险防控)
#   作用发挥好 20 = 7 + 7 + 6   (Z1 完成年度经营任务 7, Z2 党建重点工作落实有力 7, Z3 党建亮点成果显著 6)
#   党员管理好 15 = 5 × 3       (D1 ... D5)
#   组织生活好 15 = 4 × 3.75    (S1 三会一课: 支部大会 >= 4, 党小组会 >= 12, 支委会 >= 12, 党课 >= 4,
#                                all four; S2 组织生活会, S3 民主评议, S4 主题党日)
#   制度落实好 15 = 6 × 2.5     (R1 ... R6)
#   基础工作好 15 = 3 × 5       (J1 活动场所, J2 经费, J3 新闻宣传)
# 总分 = the six, out of 100. Grades: [90,..) 优秀, [80,90) 良好, [60,80) 基本合格, (..,60) 不合格.
# The curve, per 基层党委, ranked by 总分 desc, 作用发挥好 desc, then 支部名称 asc:
#   优秀 at most 15% (floor, enforced), then 良好 at most 35% (floor, enforced; sees the
#   优秀 overflow), 不合格 at least 5% (ceiling, report only).
# Each row's comment: the criteria missed → (班子, 作用, 党员, 组织, 制度, 基础) = 总分 → band.

YIDONG = ROOT / "schemes" / "yidong-liuhao.star"
YIDONG_CSV = EXAMPLES / "yidong-liuhao.csv"
YEARS = (2021, 2022, 2023)
HISTORY_FILES = [EXAMPLES / f"yidong-liuhao-{y}.json" for y in YEARS]
PERIOD = 2024

Q_EXC = "优秀不超过本基层党委所属党支部的15%（正态分布）"
Q_GOOD = "良好不超过本基层党委所属党支部的35%（正态分布）"
Q_FAIL = "不合格不少于本基层党委所属党支部的5%（正态分布）"
NAMED = "授牌命名为党建示范点"
FIX = "示范点未达标，提出整改意见，督促整改提高"
VALID = "党建示范点（授牌命名后三年有效期内）"
LAPSED = "示范点有效期满，重新进行申报和创建"
TA, JN = "泰安分公司党委", "济宁分公司党委"
GRADES = ["不合格", "基本合格", "良好", "优秀"]


@dataclass(frozen=True)
class Grade:
    """One branch's expected outcome: the six dimensions, the band's grade, the grade
    before the quotas (no overrides here, so the band's), the final grade, the quota that
    moved it (the reason) and its flags. ``field``: for a refused row, the bad input."""

    id: str
    status: str = "rated"
    dims: tuple[str, ...] = ()
    total: str | None = None
    band: str | None = None
    level: str | None = None
    reason: str | None = None
    flags: tuple[str, ...] = ()
    field: str | None = None


def g(id_: str, dims: str, total: str, band: str, level: str | None = None, reason: str | None = None,
      flags: tuple[str, ...] = ()) -> Grade:
    return Grade(id_, "rated", tuple(dims.split()), total, band, level or band, reason, flags)


# 泰安分公司党委: 14 rated. 优秀 15% of 14 = 2.1 → 2 places; 良好 35% of 14 = 4.9 → 4 places;
# 不合格 5% of 14 = 0.7 → 1 (report).
#   优秀 before: 综合部 100 (作用 20), 客服部 90 (20), 市场部 90 (20), 办公室 90 (13). The two at
#   (90, 20) tie on both keys: 客 (U+5BA2) sorts before 市 (U+5E02), so 客服部 is 2nd and keeps
#   优秀; 市场部 (3rd) and 办公室 (4th: 作用 13, although 办 U+529E sorts before both) → 良好.
#   良好 then: 市场部 90/20, 办公室 90/13, 政企部 89.5, 人力部 80/20, 财务部 80/20, 网络部 80/6 = 6
#   for 4 places. 人力部 and 财务部 tie on (80, 20): 人 (U+4EBA) before 财 (U+8D22), so 人力部 is
#   4th and keeps 良好; 财务部 (5th) and 网络部 (6th) → 基本合格.
#   不合格: 审计部, 后勤部 = 2 ≥ 1: met.
# 济宁分公司党委: 10 rated. 优秀 15% of 10 = 1.5 → 1; 良好 35% of 10 = 3.5 → 3; 不合格 0.5 → 1.
#   优秀 before: 综合部 96.25, 市场部 92.5, 客服部 90 → 综合部 keeps; the other two → 良好.
#   良好 then: 市场部 92.5, 客服部 90, 政企部 89, 财务部 88.25, 人力部 84.25 = 5 for 3 places:
#   财务部 and 人力部 → 基本合格. 不合格: none, 0 < 1: NOT met, reported, nobody moved.
# 示范点 (2024, with the results of 2021-2023): named 2021 泰安综合部 and 济宁综合部 (济宁市场部
# 未达标); 2022 泰安客服部; 2023 济宁客服部. Valid in 2024 if named in 2024, 2023 or 2022; lapsed
# if named in 2021 (three periods before) and not in 2022/2023 and not named again in 2024.
YIDONG_EXPECTED: list[Grade] = [
    # ---- 泰安分公司党委 --------------------------------------------------------------------
    # none missed → (20, 20, 15, 15, 15, 15) = 100 → 优秀, 1st → 优秀. Named 2021, not since, 示范点
    # blank (未申报): 2021 is within 3 periods of 2024 and not within 2 → lapsed
    g("泰安分公司综合部党支部", "20 20 15 15 15 15", "100", "优秀", flags=(LAPSED,)),
    # B1 B2 → (10, 20, 15, 15, 15, 15) = 90 → 优秀; 3rd (tie lost on the name) → 良好; then 1st of 6
    # at 良好: keeps. 示范点 达标 → named, and valid
    g("泰安分公司市场部党支部", "10 20 15 15 15 15", "90", "优秀", "良好", Q_EXC, (NAMED, VALID)),
    # J1 J2 → (20, 20, 15, 15, 15, 5) = 90 → 优秀; 2nd (tie won on the name) → 优秀. Named 2022:
    # within 2 periods of 2024 (2022, 2023) → valid (its third year)
    g("泰安分公司客服部党支部", "20 20 15 15 15 5", "90", "优秀", flags=(VALID,)),
    # Z1 D1 → (20, 13, 12, 15, 15, 15) = 90 → 优秀; 作用 13 → 4th → 良好; 2nd of 6 at 良好: keeps
    g("泰安分公司办公室党支部", "20 13 12 15 15 15", "90", "优秀", "良好", Q_EXC),
    # R1 R2 R3 D2 → (20, 20, 12, 15, 7.5, 15) = 89.5 → 良好 (below 90); 3rd of 6: keeps
    g("泰安分公司政企部党支部", "20 20 12 15 7.5 15", "89.5", "良好"),
    # B1-B4 → (0, 20, 15, 15, 15, 15) = 80 → 良好 (the edge); 5th of 6 (tie lost) → 基本合格
    g("泰安分公司财务部党支部", "0 20 15 15 15 15", "80", "良好", "基本合格", Q_GOOD),
    # J1 J2 J3 B1 → (15, 20, 15, 15, 15, 0) = 80 → 良好; 4th of 6 (tie won) → keeps
    g("泰安分公司人力部党支部", "15 20 15 15 15 0", "80", "良好"),
    # Z1 Z2 D1 D2 → (20, 6, 9, 15, 15, 15) = 80 → 良好; 作用 6: 6th of 6 → 基本合格
    g("泰安分公司网络部党支部", "20 6 9 15 15 15", "80", "良好", "基本合格", Q_GOOD),
    # S2 Z1 Z2 R1 → (20, 6, 15, 11.25, 12.5, 15) = 79.75 → 基本合格 (below 80)
    g("泰安分公司渠道部党支部", "20 6 15 11.25 12.5 15", "79.75", "基本合格"),
    # B1-B4 Z1-Z3 → (0, 0, 15, 15, 15, 15) = 60 → 基本合格 (the edge)
    g("泰安分公司工程部党支部", "0 0 15 15 15 15", "60", "基本合格"),
    # 党小组会 11 < 12 → S1 missed; S2 S3 S4 J1 Z3 → (20, 14, 15, 0, 15, 10) = 74 → 基本合格
    g("泰安分公司采购部党支部", "20 14 15 0 15 10", "74", "基本合格"),
    # S2 B1-B4 Z1 Z2 R1 → (0, 6, 15, 11.25, 12.5, 15) = 59.75 → 不合格 (below 60)
    g("泰安分公司审计部党支部", "0 6 15 11.25 12.5 15", "59.75", "不合格"),
    # meetings 2/6/8/2 → S1 missed; B1-B4 Z1-Z3 D3 D4 D5 R4 R5 →
    # (0, 0, 6, 11.25, 10, 15) = 42.25 → 不合格
    g("泰安分公司后勤部党支部", "0 0 6 11.25 10 15", "42.25", "不合格"),
    # B1-B4 R4 R5 R6 → (0, 20, 15, 15, 7.5, 15) = 72.5 → 基本合格
    g("泰安分公司运维部党支部", "0 20 15 15 7.5 15", "72.5", "基本合格"),
    # 班子健全分工明确 “部分” is not yes or no: refused
    Grade("泰安分公司物流部党支部", "invalid", field="班子健全分工明确"),
    # ---- 济宁分公司党委 --------------------------------------------------------------------
    # S2 → (20, 20, 15, 11.25, 15, 15) = 96.25 → 优秀, 1st → 优秀. Named 2021 and again in 2024
    # (达标): named, valid, not lapsed
    g("济宁分公司综合部党支部", "20 20 15 11.25 15 15", "96.25", "优秀", flags=(NAMED, VALID)),
    # R1 R2 R3 → (20, 20, 15, 15, 7.5, 15) = 92.5 → 优秀; 2nd of 3 for 1 place → 良好; 1st of 5
    # at 良好: keeps. (未达标 in 2021 carries nothing into 2024.)
    g("济宁分公司市场部党支部", "20 20 15 15 7.5 15", "92.5", "优秀", "良好", Q_EXC),
    # J3 B4 → (15, 20, 15, 15, 15, 10) = 90 → 优秀; 3rd → 良好; 2nd of 5: keeps. Named 2023 → valid
    g("济宁分公司客服部党支部", "15 20 15 15 15 10", "90", "优秀", "良好", Q_EXC, (VALID,)),
    # meetings exactly 4/12/12/4 → S1 met; B1 Z3 → (15, 14, 15, 15, 15, 15) = 89 → 良好; 3rd of 5:
    # keeps. 示范点 未达标 → 整改
    g("济宁分公司政企部党支部", "15 14 15 15 15 15", "89", "良好", flags=(FIX,)),
    # 支部大会 3 < 4 → S1 missed; B1 D1 → (15, 20, 12, 11.25, 15, 15) = 88.25 → 良好; 4th of 5 → 基本合格
    g("济宁分公司财务部党支部", "15 20 12 11.25 15 15", "88.25", "良好", "基本合格", Q_GOOD),
    # 支委会 11 < 12 → S1 missed; Z1 J1 → (20, 13, 15, 11.25, 15, 10) = 84.25 → 良好; 5th → 基本合格
    g("济宁分公司人力部党支部", "20 13 15 11.25 15 10", "84.25", "良好", "基本合格", Q_GOOD),
    # S2 S3 S4 J1 J2 J3 → (20, 20, 15, 3.75, 15, 0) = 73.75 → 基本合格
    g("济宁分公司网络部党支部", "20 20 15 3.75 15 0", "73.75", "基本合格"),
    # S2 Z1 Z2 Z3 B1 B2 D1 D2 → (10, 0, 9, 11.25, 15, 15) = 60.25 → 基本合格
    g("济宁分公司渠道部党支部", "10 0 9 11.25 15 15", "60.25", "基本合格"),
    # 党课 3 < 4 → S1 missed; B1-B4 J1-J3 → (0, 20, 15, 11.25, 15, 0) = 61.25 → 基本合格
    g("济宁分公司工程部党支部", "0 20 15 11.25 15 0", "61.25", "基本合格"),
    # B1-B4 J1 → (0, 20, 15, 15, 15, 10) = 75 → 基本合格; meetings 6/14/12/4 (more is fine)
    g("济宁分公司采购部党支部", "0 20 15 15 15 10", "75", "基本合格"),
    # 完成年度经营任务 “基本完成” is not yes or no; 示范点验收 “已授牌” is not one of the choices
    Grade("济宁分公司审计部党支部", "invalid", field="完成年度经营任务"),
    Grade("济宁分公司后勤部党支部", "invalid", field="示范点验收"),
]

# (rule, group) → (base, target, before, after, met, enforced), from the reasoning above.
YIDONG_REPORTS = {
    (Q_EXC, TA): (14, 2, 4, 2, True, True),
    (Q_EXC, JN): (10, 1, 3, 1, True, True),
    (Q_GOOD, TA): (14, 4, 6, 4, True, True),
    (Q_GOOD, JN): (10, 3, 5, 3, True, True),
    (Q_FAIL, TA): (14, 1, 2, 2, True, False),
    (Q_FAIL, JN): (10, 1, 0, 0, False, False),
}

DIMS = ["班子建设好", "作用发挥好", "党员管理好", "组织生活好", "制度落实好", "基础工作好"]
# criterion inputs and their points, for the consistency check of the hand table
POINTS = {
    "班子建设好": [("班子健全分工明确", "5"), ("政治过硬敢于担当", "5"), ("团结协作民主集中制", "5"), ("清正廉洁风险防控", "5")],
    "作用发挥好": [("完成年度经营任务", "7"), ("党建重点工作落实有力", "7"), ("党建亮点成果显著", "6")],
    "党员管理好": [(c, "3") for c in ("党员教育培训落实", "党员先锋模范作用突出", "党员队伍绩效显著", "党员发展程序规范",
                                   "倾听群众解决难题")],
    "组织生活好": [(c, "3.75") for c in ("组织生活会质量高", "民主评议规范公正", "主题党日丰富")],
    "制度落实好": [(c, "2.5") for c in ("制度体系健全落实", "执行组织生活制度", "执行党员管理制度", "坚持党务公开",
                                    "台账资料齐全", "工作五有")],
    "基础工作好": [(c, "5") for c in ("活动场所达标", "经费保障规范", "新闻宣传到位")],
}

Y_SCHEME = starrules.load(YIDONG)
Y_ROWS = read_rows(YIDONG_CSV, "支部名称")
Y_HISTORY = load_history([str(p) for p in HISTORY_FILES])
Y_BY_ID = {e.id: e for e in YIDONG_EXPECTED}


@pytest.fixture(scope="module")
def y_rating(engine: str) -> starrules.Rating:
    """The example rows rated under each engine in turn."""
    return Y_SCHEME.rate(Y_ROWS, period=PERIOD, history=Y_HISTORY, engine=engine)


def test_yidong_csv_header_and_rows() -> None:
    assert header(YIDONG_CSV) == [i.name for i in Y_SCHEME.inputs]
    assert len(Y_BY_ID) == len(YIDONG_EXPECTED)
    assert [r["支部名称"] for r in Y_ROWS] == [e.id for e in YIDONG_EXPECTED]
    assert sum(e.status == "rated" for e in YIDONG_EXPECTED) >= 20


@pytest.mark.parametrize("exp", [e for e in YIDONG_EXPECTED if e.status == "rated"], ids=lambda e: e.id)
def test_yidong_hand_table_is_consistent(exp: Grade) -> None:
    """Checks the table against the CSV and the scheme's stated points, not the program."""
    row = next(r for r in Y_ROWS if r["支部名称"] == exp.id)
    yes = {"是": True, "否": False}
    meetings = (int(row["支部大会次数"]) >= 4 and int(row["党小组会次数"]) >= 12 and int(row["支委会次数"]) >= 12
                and int(row["党课次数"]) >= 4)
    dims = []
    for dim in DIMS:
        value = sum((D(p) for c, p in POINTS[dim] if yes[row[c]]), D(0))
        if dim == "组织生活好" and meetings:
            value += D("3.75")
        dims.append(value)
    assert dims == [D(x) for x in exp.dims]
    assert sum(dims) == D(exp.total or "0")
    total = D(exp.total or "0")
    band = "优秀" if total >= 90 else "良好" if total >= 80 else "基本合格" if total >= 60 else "不合格"
    assert band == exp.band
    assert (exp.reason is None) == (exp.level == exp.band)


def yidong_moves(o: starrules.Outcome) -> list[tuple[str, str, str]]:
    return [(mv.rule, mv.before, mv.after) for mv in o.moves]


@pytest.mark.parametrize("index", range(len(Y_ROWS)), ids=lambda i: Y_ROWS[i]["支部名称"])
def test_yidong_golden(index: int, y_rating: starrules.Rating) -> None:
    o = y_rating.outcomes[index]
    exp = Y_BY_ID[Y_ROWS[index]["支部名称"]]
    assert o.id == exp.id
    assert o.status == exp.status, o.reason
    if exp.status != "rated":
        assert [p.field for p in o.problems] == [exp.field]
        assert (o.level, o.level_before, o.flags) == (None, None, ())
        return
    assert o.groups == {"基层党委": Y_ROWS[index]["基层党委"]}
    assert o.result is not None
    scores = tuple(o.result.scores[d] for d in DIMS)
    assert scores == tuple(D(x) for x in exp.dims)
    got = (o.total, o.result.band_level, o.level_before, o.level, o.reason, o.flags)
    want = (D(exp.total or "0"), exp.band, exp.band, exp.level, exp.reason, exp.flags)
    assert got == want, exp.id
    assert o.level_label == exp.level
    # a quota moves a branch at most one grade here, once, and is then the reason
    if exp.reason is None:
        assert yidong_moves(o) == []
    else:
        assert yidong_moves(o) == [(exp.reason, exp.band, exp.level)]


def test_yidong_reports(y_rating: starrules.Rating) -> None:
    table = {(r.rule, r.group): (r.base, r.target, r.before, r.after, r.met, r.enforced) for r in y_rating.reports}
    assert table == YIDONG_REPORTS


def test_yidong_counts(y_rating: starrules.Rating) -> None:
    # 优秀: 泰安综合部, 泰安客服部, 济宁综合部 = 3; 良好: 泰安 市场部, 办公室, 政企部, 人力部 + 济宁 市场部,
    # 客服部, 政企部 = 7; 基本合格: 泰安 财务部, 网络部, 渠道部, 工程部, 采购部, 运维部 + 济宁 财务部,
    # 人力部, 网络部, 渠道部, 工程部, 采购部 = 12; 不合格: 泰安 审计部, 后勤部 = 2. 24 rated, 3 refused.
    c = y_rating.counts()
    assert (c["rows"], c["rated"], c["invalid"], c["ineligible"]) == (27, 24, 3, 0)
    assert [c[x] for x in reversed(GRADES)] == [3, 7, 12, 2]


def test_yidong_curve_never_moves_up_and_never_below_the_next_grade(y_rating: starrules.Rating) -> None:
    for o in y_rating.outcomes:
        if o.status == "rated":
            before, after = GRADES.index(str(o.level_before)), GRADES.index(str(o.level))
            assert before - 1 <= after <= before


# ---- the history: demonstration sites valid for three years ------------------------------

# Who was named (达标) in each earlier year, by the earlier years' CSVs
# (schemes/examples/yidong-liuhao-history/YEAR.csv), and who held a valid site that year:
#   2021: named 泰安综合部, 济宁综合部 (济宁市场部 未达标); valid: the two named.
#   2022: named 泰安客服部; valid: 泰安客服部 and the 2021 sites (2021 is within 2 of 2022).
#   2023: named 济宁客服部; valid: it, 泰安客服部 (2022) and the 2021 sites (within 2 of 2023).
#   No site lapses before 2024 (the 2021 naming is 3 periods before 2024).
HIST_NAMED = {2021: {"泰安分公司综合部党支部", "济宁分公司综合部党支部"}, 2022: {"泰安分公司客服部党支部"},
              2023: {"济宁分公司客服部党支部"}}
HIST_VALID = {
    2021: {"泰安分公司综合部党支部", "济宁分公司综合部党支部"},
    2022: {"泰安分公司综合部党支部", "济宁分公司综合部党支部", "泰安分公司客服部党支部"},
    2023: {"泰安分公司综合部党支部", "济宁分公司综合部党支部", "泰安分公司客服部党支部", "济宁分公司客服部党支部"},
}
HIST_FIX = {2021: {"济宁分公司市场部党支部"}, 2022: set(), 2023: set()}


@pytest.mark.parametrize("year", YEARS)
def test_yidong_history_files(year: int, engine: str) -> None:
    doc = json.loads((EXAMPLES / f"yidong-liuhao-{year}.json").read_text(encoding="utf-8"))
    assert doc["period"] == year
    assert (doc["scheme"]["title"], doc["scheme"]["version"]) == (Y_SCHEME.title, Y_SCHEME.version)

    def holding(flag: str) -> set[str]:
        return {r["id"] for r in doc["results"] if flag in r["flags"]}

    assert holding(NAMED) == HIST_NAMED[year]
    assert holding(VALID) == HIST_VALID[year]
    assert holding(FIX) == HIST_FIX[year]
    assert holding(LAPSED) == set()
    # the file is what its year's CSV gives with the years before it (not stale)
    rows = read_rows(EXAMPLES / "yidong-liuhao-history" / f"{year}.csv", "支部名称")
    earlier = load_history([str(EXAMPLES / f"yidong-liuhao-{y}.json") for y in YEARS if y < year])
    again = Y_SCHEME.rate(rows, period=year, history=earlier, engine=engine)
    assert [(o.id, o.level, list(o.flags)) for o in again.outcomes] == \
        [(r["id"], r["level"], r["flags"]) for r in doc["results"]]


def test_yidong_needs_the_period(engine: str) -> None:
    with pytest.raises(starrules.PeriodError):
        Y_SCHEME.evaluate(Y_ROWS[0], engine=engine)


def site_flags(site: str, named_in: list[int], engine: str, period: int = PERIOD) -> tuple[str, ...]:
    """The 示范点 flags of 泰安综合部's row with the given inspection and earlier namings."""
    history = [{"period": y, "level": "优秀", "flags": [NAMED]} for y in named_in]
    r = Y_SCHEME.evaluate(Y_ROWS[0] | {"示范点验收": site}, period=period, history=history, engine=engine)
    return tuple(f for f in r.flags if f in (NAMED, FIX, VALID, LAPSED))


def test_yidong_site_is_valid_for_three_years(engine: str) -> None:
    # named in 2024 itself: named and valid
    assert site_flags("达标", [], engine) == (NAMED, VALID)
    # named 2023 (1 period before) or 2022 (2 before): valid, the second and third years
    assert site_flags("未申报", [2023], engine) == (VALID,)
    assert site_flags("未申报", [2022], engine) == (VALID,)
    # named 2021 (3 before): lapsed — “三年后重新进行申报和创建”
    assert site_flags("未申报", [2021], engine) == (LAPSED,)
    # named 2021, failed again in 2024: lapsed, and to be rectified
    assert site_flags("未达标", [2021], engine) == (FIX, LAPSED)
    # named 2020 (4 before): nothing left to say
    assert site_flags("未申报", [2020], engine) == ()
    # named 2021 and 2022 (a renaming, against “三年后”): still valid from 2022, not lapsed
    assert site_flags("未申报", [2021, 2022], engine) == (VALID,)


def test_yidong_every_rule_is_exercised() -> None:
    """Every criterion is met by some branch and missed by another; both enforced quotas
    move someone; every flag is carried; every grade is reached by the band and in the end.
    (The trace: the reference engine's.)"""
    program = Y_SCHEME.program
    entries = {(s.name, e.label) for s in program.scores if s.kind == "bonus" for e in s.entries}
    assert len(entries) == 4 + 3 + 5 + 4 + 6 + 3
    met: set[tuple[str, str]] = set()
    missed: set[tuple[str, str]] = set()
    for row in Y_ROWS:
        exp = Y_BY_ID[row["支部名称"]]
        if exp.status != "rated":
            continue
        r = Y_SCHEME.evaluate(row, period=PERIOD, history=Y_HISTORY.get(exp.id, []), trace=True)
        owner = {e.label: s.name for s in program.scores if s.kind == "bonus" for e in s.entries}
        for step in r.trace:
            if step.stage == "bonus":
                (met if step.applied else missed).add((owner[step.name], step.name))
    assert met == entries == missed
    reasons = {e.reason for e in YIDONG_EXPECTED}
    assert {Q_EXC, Q_GOOD} <= reasons
    flags = {r.name for r in program.rules if r.kind == "flag"}
    assert flags == {NAMED, FIX, VALID, LAPSED} == {f for e in YIDONG_EXPECTED for f in e.flags}
    rated = [e for e in YIDONG_EXPECTED if e.status == "rated"]
    assert {e.band for e in rated} == {e.level for e in rated} == set(GRADES)


def test_yidong_order_of_records_does_not_matter(engine: str, y_rating: starrules.Rating) -> None:
    again = Y_SCHEME.rate(list(reversed(Y_ROWS)), period=PERIOD, history=Y_HISTORY, engine=engine)

    def key(o: starrules.Outcome) -> tuple[object, ...]:
        return (o.id, o.status, o.level_before, o.level, o.reason, o.flags)

    assert sorted(map(key, again.outcomes), key=str) == sorted(map(key, y_rating.outcomes), key=str)


# =====================================================================================
# 篇十二: 村党支部星级化管理
# =====================================================================================
#
# The scheme's choices: five items (支部建设, 民主管理, 经济发展, 村容整洁, 群众满意), each
# scored 0..100 to one decimal by the branch (自评) and the township (考评); the final
# score of each is (3 × 自评 + 7 × 考评) ÷ 10, exact. An item's star is won at 90 or more;
# the 群众满意星 needs, besides, a survey satisfaction rate above 80% (“80%以下” includes
# 80%). The level is the number of stars. Valid only if 抽样户数 ≥ 10% × 住户总数 and
# 抽样户数 ≤ 住户总数. Flag “未完成创建村容整洁星” when 村容整洁 < 90.

CUN = ROOT / "schemes" / "cun-zhibu.star"
CUN_CSV = EXAMPLES / "cun-zhibu.csv"
ITEMS = ["支部建设", "民主管理", "经济发展", "村容整洁", "群众满意"]
STARS = [f"{i}星" for i in ITEMS]
SAMPLE = "随机抽取不少于10%住户进行群众满意度测评"
OVER = "抽样户数不得超过住户总数"
GOAL = "未完成创建村容整洁星"
C_LABELS = ["无星", "一星级", "二星级", "三星级", "四星级", "五星级"]


@dataclass(frozen=True)
class Village:
    """``finals``: the five final scores; ``stars``: those won (by item name)."""

    id: str
    status: str = "rated"
    finals: tuple[str, ...] = ()
    stars: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    reason: str | None = None
    field: str | None = None

    @property
    def level(self) -> int:
        return len(self.stars)


def v(id_: str, finals: str, stars: str, flags: tuple[str, ...] = ()) -> Village:
    return Village(id_, "rated", tuple(finals.split()), tuple(f"{s}星" for s in stars.split()), flags)


ALL5 = "支部建设 民主管理 经济发展 村容整洁 群众满意"

CUN_EXPECTED: list[Village] = [
    # 300 households, 30 sampled: exactly 10% (30 ≥ 30) → valid. Each item 0.3×95 + 0.7×95 = 95;
    # survey 90% > 80% → five stars
    v("东风村党支部", "95 95 95 95 95", ALL5),
    # 305 households: 10% is 30.5, 31 sampled ≥ 30.5 → valid.
    # 支部建设 0.3×89.9 + 0.7×90.1 = 26.97 + 63.07 = 90.04 ✓; 民主管理 0.3×90.7 + 0.7×89.7 = 27.21 +
    # 62.79 = 90 ✓; 经济发展 0.3×85.8 + 0.7×91.8 = 25.74 + 64.26 = 90 ✓ (in binary floating point
    # 89.99999999999999: no star); 村容整洁 90 ✓; 群众满意 0.3×82.3 + 0.7×93.3 = 24.69 + 65.31 = 90 ✓
    # and 80.1% > 80% ✓ → five stars
    v("红旗村党支部", "90.04 90 90 90 90", ALL5),
    # 200/20: exactly 10% → valid. 支部建设 0.3×89.5 + 0.7×90.2 = 26.85 + 63.14 = 89.99 ✗;
    # 民主管理 0.3×86.5 + 0.7×91.5 = 25.95 + 64.05 = 90 ✓; 经济发展 0.3×100 + 0.7×85.7 = 30 + 59.99 =
    # 89.99 ✗; 村容整洁 0.3×80 + 0.7×94.3 = 24 + 66.01 = 90.01 ✓; 群众满意 95, but the survey is
    # exactly 80%: “80%以下” → no 群众满意星 → two stars
    v("向阳村党支部", "89.99 90 89.99 90.01 95", "民主管理 村容整洁"),
    # 150/16 ≥ 15 → valid. Each 0.3×98 + 0.7×96 = 29.4 + 67.2 = 96.6 ✓; survey 79.9% → no
    # 群众满意星 → four stars
    v("光明村党支部", "96.6 96.6 96.6 96.6 96.6", "支部建设 民主管理 经济发展 村容整洁"),
    # 250/25 → valid. 支部建设 0.3×100 + 0.7×85.8 = 30 + 60.06 = 90.06 ✓; 民主管理 30 + 0.7×85.6 =
    # 30 + 59.92 = 89.92 ✗ (a perfect self score does not make up for the township's);
    # 经济发展 0.3×70 + 0.7×99 = 21 + 69.3 = 90.3 ✓; 村容整洁 0.3×66.6 + 0.7×100 = 19.98 + 70 =
    # 89.98 ✗ → 未完成创建村容整洁星; 群众满意 90 ✓ and 85% ✓ → three stars
    v("胜利村党支部", "90.06 89.92 90.3 89.98 90", "支部建设 经济发展 群众满意", (GOAL,)),
    # 400 households: 10% is 40; 39 sampled < 40 → invalid (its perfect scores are never read)
    Village("新华村党支部", "invalid", reason=SAMPLE),
    # 400/40 → valid. Each 0.3×60 + 0.7×55 = 18 + 38.5 = 56.5 ✗; survey 60% → no star → 无星;
    # 村容整洁 56.5 < 90 → 未完成创建村容整洁星
    v("和平村党支部", "56.5 56.5 56.5 56.5 56.5", "", (GOAL,)),
    # 500 households, 501 sampled: 501 ≥ 50, but 501 > 500 → invalid
    Village("团结村党支部", "invalid", reason=OVER),
    # 120/12 → valid. 村容整洁 0.3×90 + 0.7×90 = 90 ✓; the others 0.3×85 + 0.7×88 = 25.5 + 61.6 =
    # 87.1 ✗ → one star
    v("幸福村党支部", "87.1 87.1 87.1 90 87.1", "村容整洁"),
    # 180/20 ≥ 18 → valid. 村容整洁 0.3×89.9 + 0.7×90.0 = 26.97 + 63 = 89.97 ✗ → 未完成创建村容整洁星;
    # the others 0.3×92 + 0.7×93 = 27.6 + 65.1 = 92.7 ✓, survey 88% → four stars
    v("长青村党支部", "92.7 92.7 92.7 89.97 92.7", "支部建设 民主管理 经济发展 群众满意", (GOAL,)),
    # 220/22 → valid. 支部建设 0.3×83 + 0.7×93 = 24.9 + 65.1 = 90 ✓; 民主管理 0.3×92.1 + 0.7×89.1 =
    # 27.63 + 62.37 = 90 ✓ (floating point: 89.99999999999999); 经济发展 0.3×50 + 0.7×80 = 15 + 56 =
    # 71 ✗; 村容整洁 100 ✓; 群众满意 0.3×99 + 0.7×85.6 = 29.7 + 59.92 = 89.62 ✗ — a 99% survey does
    # not give the star by itself → three stars
    v("前进村党支部", "90 90 71 100 89.62", "支部建设 民主管理 村容整洁"),
    # 10 households, 1 sampled: exactly 10% → valid. 100 everywhere, survey 100% → five stars
    v("建设村党支部", "100 100 100 100 100", ALL5),
    # 95 households: 10% is 9.5; 10 ≥ 9.5 → valid. 支部建设 0.3×91 + 0.7×89 = 27.3 + 62.3 = 89.6 ✗
    # (the self score is the higher one); 民主管理 0.3×89 + 0.7×91 = 26.7 + 63.7 = 90.4 ✓;
    # 经济发展 0.3×0 + 0.7×100 = 70 ✗; 村容整洁 0.3×100 + 0.7×0 = 30 ✗ → 未完成创建村容整洁星;
    # 群众满意 90 ✓ and 81% ✓ → two stars
    v("永安村党支部", "89.6 90.4 70 30 90", "民主管理 群众满意", (GOAL,)),
    # 95 households, 9 sampled: 9 < 9.5 → invalid
    Village("富民村党支部", "invalid", reason=SAMPLE),
    # bad values: 89.95 is off the 0.1 step; 105% is over 100%; “三十” is not a whole number
    Village("兴旺村党支部", "invalid", field="支部建设考评"),
    Village("丰收村党支部", "invalid", field="测评满意率"),
    Village("平安村党支部", "invalid", field="抽样户数"),
]

C_SCHEME = starrules.load(CUN)
C_ROWS = read_rows(CUN_CSV, "村党支部")
C_BY_ID = {e.id: e for e in CUN_EXPECTED}


def test_cun_csv_header_and_rows() -> None:
    assert header(CUN_CSV) == [i.name for i in C_SCHEME.inputs]
    assert [r["村党支部"] for r in C_ROWS] == [e.id for e in CUN_EXPECTED]
    assert sum(e.status == "rated" for e in CUN_EXPECTED) >= 11


@pytest.mark.parametrize("exp", [e for e in CUN_EXPECTED if e.status == "rated"], ids=lambda e: e.id)
def test_cun_hand_table_is_consistent(exp: Village) -> None:
    """Checks the table against the CSV and the text's 3:7 rule, not the program."""
    row = next(r for r in C_ROWS if r["村党支部"] == exp.id)
    finals = [(3 * D(row[f"{i}自评"]) + 7 * D(row[f"{i}考评"])) / 10 for i in ITEMS]
    assert finals == [D(x) for x in exp.finals]
    satisfied = D(row["测评满意率"].rstrip("%")) > 80
    won = tuple(f"{i}星" for i, x in zip(ITEMS, finals, strict=True) if x >= 90 and (i != "群众满意" or satisfied))
    assert won == exp.stars
    assert 10 * int(row["抽样户数"]) >= int(row["住户总数"]) >= int(row["抽样户数"])
    assert (GOAL in exp.flags) == (finals[3] < 90)


@pytest.mark.parametrize("index", range(len(C_ROWS)), ids=lambda i: C_ROWS[i]["村党支部"])
def test_cun_golden(index: int, engine: str) -> None:
    row = C_ROWS[index]
    exp = C_BY_ID[row["村党支部"]]
    if exp.field is not None:
        with pytest.raises(starrules.InputError) as info:
            C_SCHEME.evaluate(row, engine=engine)
        assert [p.field for p in info.value.problems] == [exp.field]
        return
    r = C_SCHEME.evaluate(row, engine=engine)
    assert r.id == exp.id
    assert r.status == exp.status
    if exp.status != "rated":
        assert (r.reason, r.level, r.flags, r.scores) == (exp.reason, None, (), {})
        return
    assert tuple(r.scores[i] for i in ITEMS) == tuple(D(x) for x in exp.finals)
    assert (r.badges, r.level, r.band_level, r.reason, r.flags) == (exp.stars, exp.level, exp.level, None, exp.flags)
    assert r.level_label == C_LABELS[exp.level]
    assert r.scores["星数"] == exp.level


def test_cun_population_run_accounts_for_every_row(engine: str) -> None:
    rating = C_SCHEME.rate(C_ROWS, engine=engine)
    assert [(o.id, o.status, o.level) for o in rating.outcomes] == \
        [(e.id, e.status, e.level if e.status == "rated" else None) for e in CUN_EXPECTED]
    c = rating.counts()
    # 五星 东风, 红旗, 建设; 四星 光明, 长青; 三星 胜利, 前进; 二星 向阳, 永安; 一星 幸福; 无星 和平
    assert (c["rows"], c["rated"], c["invalid"]) == (17, 11, 6)
    assert [c[x] for x in reversed(C_LABELS)] == [3, 2, 2, 2, 1, 1]


def test_cun_weighting_is_exact_where_floats_are_not(engine: str) -> None:
    # 0.3 × 85.8 + 0.7 × 91.8 is exactly 90; in binary floating point it falls short of 90.
    assert 0.3 * 85.8 + 0.7 * 91.8 < 90
    row = next(r for r in C_ROWS if r["村党支部"] == "红旗村党支部")
    r = C_SCHEME.evaluate(row, engine=engine)
    assert r.scores["经济发展"] == 90 and "经济发展星" in r.badges
    # the trace: the reference engine's
    step = next(s for s in C_SCHEME.evaluate(row, trace=True).trace if s.name == "经济发展星")
    assert step.applied is True


@pytest.mark.parametrize(("households", "sampled", "valid"), [
    (300, 30, True), (300, 29, False), (305, 31, True), (305, 30, False), (95, 10, True), (95, 9, False),
    (10, 1, True), (9, 1, True), (10, 0, False), (100, 101, False),
])
def test_cun_sample_is_at_least_a_tenth(households: int, sampled: int, valid: bool, engine: str) -> None:
    # 10% × households, exactly: 305 → 30.5 (31 needed); 95 → 9.5 (10 needed); 9 → 0.9 (1 is
    # enough); a sample larger than the village fails the second rule
    row = C_ROWS[0] | {"住户总数": households, "抽样户数": sampled}
    r = C_SCHEME.evaluate(row, engine=engine)
    assert (r.status == "rated") == valid
    if not valid:
        assert r.reason == (OVER if sampled > households else SAMPLE)


@pytest.mark.parametrize(("rate", "star"), [("80%", False), ("80.1%", True), ("79.9%", False), ("100%", True),
                                            ("0%", False)])
def test_cun_survey_threshold(rate: str, star: bool, engine: str) -> None:
    r = C_SCHEME.evaluate(C_ROWS[0] | {"测评满意率": rate}, engine=engine)  # 东风村: 群众满意 95
    assert ("群众满意星" in r.badges) == star
    assert r.level == 4 + star


def test_cun_every_rule_is_exercised() -> None:
    """Both validity rules fail somewhere; every star is won somewhere and missed elsewhere;
    the flag is raised; every level from 0 to 5 is reached. (The trace: the reference engine's.)"""
    program = C_SCHEME.program
    requires = {r.name for r in program.rules if r.kind == "require"}
    assert requires == {SAMPLE, OVER} == {e.reason for e in CUN_EXPECTED if e.reason}
    won: set[str] = set()
    lost: set[str] = set()
    flagged: set[str] = set()
    for row in C_ROWS:
        exp = C_BY_ID[row["村党支部"]]
        if exp.status != "rated":
            continue
        r = C_SCHEME.evaluate(row, trace=True)
        for step in r.trace:
            if step.stage == "badge":
                (won if step.applied else lost).add(step.name)
            if step.stage == "flag" and step.applied:
                flagged.add(step.name)
    assert won == lost == set(STARS)
    assert flagged == {r.name for r in program.rules if r.kind == "flag"} == {GOAL}
    assert {e.level for e in CUN_EXPECTED if e.status == "rated"} == set(range(6))
