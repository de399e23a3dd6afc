"""Reachable ranges of scores and the grids their values lie on, and the diagnostics built on
them (W401, W502, E504, gaps of E401)."""

from __future__ import annotations

import glob
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules.analysis import INF, Grid, Interval, Ranges
from starrules.testing import inputs

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = sorted(glob.glob(str(ROOT / "schemes" / "*.star")))


def test_anyang_ranges_by_hand() -> None:
    ranges = Ranges(starrules.load(ROOT / "schemes" / "anyang.star").program)
    # ten areas of 0..10
    assert ranges.scores["基础分"] == Interval(Decimal(0), Decimal(100))
    # two take-the-highest tables of 3/5/8 (or none): 0..8 each
    assert ranges.scores["加分"] == Interval(Decimal(0), Decimal(16))
    # counts have no upper bound, so the penalty has none either
    assert ranges.scores["扣分"] == Interval(Decimal(0), INF)
    assert ranges.scores["得分"] == Interval(-INF, Decimal(116))


def test_anyang_grids_by_hand() -> None:
    grids = Ranges(starrules.load(ROOT / "schemes" / "anyang.star").program).grids
    # ten areas scored 0..10 in steps of 0.1: the sum is on multiples of 0.1
    assert grids["基础分"] == Grid(Fraction(0), Fraction(1, 10))
    # the highest of 3/5/8 or none (0), twice: whole numbers (gcd of 3, 5 and 8 is 1)
    assert grids["加分"] == Grid(Fraction(0), Fraction(1))
    # 3, 5, 3, 5, 2 points per count, 5 or 0, 3 per count: gcd 1
    assert grids["扣分"] == Grid(Fraction(0), Fraction(1))
    assert grids["得分"] == Grid(Fraction(0), Fraction(1, 10))


def test_grids_of_offsets_caps_and_weights_by_hand() -> None:
    scheme = starrules.loads("""
scheme "x"
levels stars 0..1
input a : score 0..10 step 1
input b : score 0..10 step 0.2
input c : score 0..10
input n : count 0..4
score 半 = a + 0.5
score 封顶 = 0
bonus 加分 at most 2.5 { "每次2分": 2 each n }
score 权 = weighted 1:3 (半, b)
score 自由 = a + c
total t = 半 + 加分
band t { 1: [50, ..)  0: (.., 50) }
""")
    grids = Ranges(scheme.program).grids
    # an input's ends are multiples of its step, so its grid starts at 0; 0.5 moves it
    assert grids["半"] == Grid(Fraction(1, 2), Fraction(1))
    assert grids["封顶"] == Grid(Fraction(0), Fraction(0))
    # 0, 2, 4, 6, 8, or the cap 2.5: gcd(2, 2.5) = 0.5 from 0
    assert grids["加分"] == Grid(Fraction(0), Fraction(1, 2))
    # 半/4 is on 1/8 + k/4, 3b/4 on multiples of 0.15: gcd(1/4, 3/20) = 1/20, and the offset
    # 1/8 is 1/40 past a multiple of 1/20
    assert grids["权"] == Grid(Fraction(1, 40), Fraction(1, 20))
    # c has no step: any value
    assert grids["自由"] is None
    # 0.5 + k plus multiples of 0.5: multiples of 0.5
    assert grids["t"] == Grid(Fraction(0), Fraction(1, 2))


def test_weighted_and_capped_ranges_by_hand() -> None:
    scheme = starrules.loads("""
scheme "x"
levels stars 0..1
input a : score 60..100
input b : score 0..50
input n : count 0..4
score w = weighted 3:7 (a, b)
bonus 加分 at most 5 { "每次2分": 2 each n }
total t = w + 加分
band t { 1: [50, ..)  0: (.., 50) }
""")
    ranges = Ranges(scheme.program)
    # 0.3 × [60, 100] + 0.7 × [0, 50] = [18, 65]
    assert ranges.scores["w"] == Interval(Decimal(18), Decimal(65))
    # 2 × [0, 4] = [0, 8], capped at 5
    assert ranges.scores["加分"] == Interval(Decimal(0), Decimal(5))
    assert ranges.scores["t"] == Interval(Decimal(18), Decimal(70))


UNREACHABLE = """
scheme "x"
levels stars 0..2
input 名称 : id
input 分 : score 0..80
total 得分 = 分
band 得分 {
  2: [90, ..)
  1: [60, 90)
  0: (.., 60)
}
quota "二星不少于10%" { level 2 at least 10% }
"""


def test_unreachable_level_and_report_only_quota_warn() -> None:
    # 得分 runs 0..80, so [90, ..) is never reached: 2星 cannot be given (line 8), and the
    # report-only at-least quota on it (line 12) moves nobody: it can never be met by itself.
    scheme = starrules.loads(UNREACHABLE.replace("at least 10% }", "at least 10%  report only }"))
    assert [(w.code, w.span.line) for w in scheme.warnings] == [("W401", 8), ("W502", 12)]
    assert "runs from 0 to 80" in scheme.warnings[0].message


def test_enforced_quota_on_an_unreachable_level_is_an_error() -> None:
    # The same quota enforced would raise entities to 2星, which their scores never earn.
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads(UNREACHABLE)
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line) == ("E504", 12)
    assert d.message == "'二星不少于10%' would raise entities to 2星, which no entity's own rating reaches " \
        "(得分 runs from 0 to 80)"


def test_bundled_schemes_reach_every_level() -> None:
    for path in SCHEMES:
        assert starrules.load(path).warnings == [], path


@pytest.mark.parametrize("path", SCHEMES, ids=[Path(p).name for p in SCHEMES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_score_lies_in_its_range(path: str, data: st.DataObject) -> None:
    scheme = starrules.load(path)
    ranges = Ranges(scheme.program)
    force = scheme.program.in_force
    period = (force[1] or 2024) if force else (2024 if scheme.program.uses_history else None)
    result = scheme.evaluate(data.draw(inputs(scheme)), trace=False, period=period)
    for name, value in result.scores.items():
        r = ranges.scores[name]
        assert r.lo <= value <= r.hi, (name, value, r)
        grid = ranges.grids[name]
        if grid is not None:  # the value is on the score's grid
            assert (Fraction(value) - grid.offset) % grid.step == 0 if grid.step else Fraction(value) == grid.offset, \
                (name, value, grid)
    if result.rated:
        assert result.band_level is not None
        assert scheme.levels.values.index(result.band_level) in (ranges.reachable_ranks() or set())


LINT = """
scheme "x"
levels stars 0..2
input 分 : score 0..80
input 备用 : count
input 满意率 : percent
score 闲置 = 分 + 1
total 得分 = 分
band 得分 { 2: [70, ..)  1: [60, 70)  0: (.., 60) }
veto "满意率超过100%" when 满意率 > 100%
cap "永远" at most 1 when 分 >= 0
cap "无用" at most 2 when 满意率 < 50%
"""


def test_lint_warnings_by_hand() -> None:
    # 备用 is read by nothing (W301, line 5); 闲置 is computed and read by nothing (W302,
    # line 7); a rate above 100% cannot happen, so the veto never applies (W304, line 10);
    # 分 >= 0 holds for every score in 0..80 (W303, line 11); the top level is 2, so a cap
    # at 2 can never lower anything (W305, line 12).
    scheme = starrules.loads(LINT)
    assert sorted((w.code, w.span.line) for w in scheme.warnings) == [
        ("W301", 5), ("W302", 7), ("W303", 11), ("W304", 10), ("W305", 12)]


def test_conditions_that_depend_are_not_flagged() -> None:
    scheme = starrules.loads(LINT.replace("满意率 > 100%", "满意率 > 90%").replace("分 >= 0", "分 >= 75")
                             .replace("at most 2", "at most 1").replace("score 闲置 = 分 + 1\n", "")
                             .replace("input 备用 : count\n", ""))
    assert scheme.warnings == []


FRACTIONS = st.fractions(min_value=-50, max_value=50, max_denominator=12)


@settings(max_examples=300, deadline=None)
@given(offset=FRACTIONS, step=st.fractions(min_value=0, max_value=10, max_denominator=12), target=FRACTIONS,
       lo=st.none() | FRACTIONS, lo_closed=st.booleans(), hi=st.none() | FRACTIONS, hi_closed=st.booleans())
def test_nearest_point_of_a_grid(offset: Fraction, step: Fraction, target: Fraction, lo: Fraction | None,
                                 lo_closed: bool, hi: Fraction | None, hi_closed: bool) -> None:
    grid = Grid(offset, step)

    def inside(v: Fraction) -> bool:
        return (lo is None or v > lo or (lo_closed and v == lo)) and (hi is None or v < hi or (hi_closed and v == hi))

    # every point of the grid within reach of the bounds and the target, by brute force
    points = [offset] if not step else [offset + k * step for k in range(-400 * 12, 400 * 12)]
    candidates = [p for p in points if inside(p) and abs(p - target) <= 120]
    found = grid.nearest(target, lo, lo_closed, hi, hi_closed)
    if not candidates:
        assert found is None or abs(found - target) > 120
        return
    best = min(candidates, key=lambda p: (abs(p - target), p))
    assert found == best
