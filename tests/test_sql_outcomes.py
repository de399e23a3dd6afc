"""The outcomes of a population rated on DuckDB, kept in its table and made when read
(starrules.sql.outcomes), and each input read once per distinct cell (starrules.sql.reading).

Expected values are worked out by hand from the scheme texts below; the Python engine
is the reference for the rest (tests/test_sql_population.py compares every bundled scheme).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

import starrules
from starrules.errors import DuplicateIdError
from starrules.result import unscale
from starrules.sql import outcomes
from starrules.sql.lower import SqlUnsupported
from starrules.sql.reading import ident

SCHEME = """
scheme "小测" version "1"
levels stars 0..3
input 名称 : id
input 分 : score 0..10 step 0.5
input 组 : group
score 得分 = 分
band 得分 { 3: [9, ..)  2: [6, 9)  1: [3, 6)  0: (.., 3) }
quota "三星不超过一半" {
  level 3 at most 50%
  per 组
  round floor
  rank by 得分 desc then 名称 asc
  ties break
}
flag "优秀" when level == 3
"""


def records() -> list[dict[str, str]]:
    # 7 rows: A 9.5 (3), B 9 (3), C 9 (3) in 甲: 50% of 3 is 1 (floor), so the best (A)
    # keeps three stars and B, C go down to two; D 2 (0) and E 6.5 (2) in 乙; F 'x' is
    # invalid (not a number); G 10 (3) in 乙: 50% of 3 is 1, G keeps it
    return [{"名称": "A", "分": "9.5", "组": "甲"}, {"名称": "B", "分": "9", "组": "甲"},
            {"名称": "C", "分": "9.0", "组": "甲"}, {"名称": "D", "分": "2", "组": "乙"},
            {"名称": "E", "分": "6.5", "组": "乙"}, {"名称": "F", "分": "x", "组": "乙"},
            {"名称": "G", "分": "10", "组": "乙"}]


EXPECTED_LEVELS = [3, 2, 2, 0, 2, None, 3]


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outcomes, "BLOCK", 3)  # 7 rows: three blocks, the last of one row


def test_outcomes_are_made_a_block_at_a_time_and_equal_the_python_engines(small_blocks: None) -> None:
    scheme = starrules.loads(SCHEME)
    rating = scheme.rate(records(), engine="duckdb")
    kept = rating.outcomes
    assert isinstance(kept, outcomes.TableOutcomes)
    assert len(kept) == 7
    assert rating.level_column() == EXPECTED_LEVELS  # one column, no outcome made
    assert kept._blocks == {}
    assert kept[-1].id == "G" and kept[-1].level == 3 and kept[-1].flags == ("优秀",)
    assert set(kept._blocks) == {2}  # only the last block was made
    assert [o.id for o in kept[1:5]] == ["B", "C", "D", "E"]
    assert kept[5].status == "invalid" and kept[5].problems[0].value == "x"
    with pytest.raises(IndexError):
        kept[7]
    expected = scheme.rate(records())
    assert kept == expected.outcomes and expected.outcomes == kept
    assert kept != expected.outcomes[:6]
    assert [o.level for o in kept] == EXPECTED_LEVELS
    assert kept[1].result is not None and kept[1].result.scores == {"得分": Decimal("9")}
    assert kept[0].total == Decimal("9.5") and kept[4].result.inputs["分"] == Decimal("6.5")
    # every block made: the table is let go, and the column is read from the outcomes
    with pytest.raises(duckdb.ConnectionException):
        kept._con.execute("SELECT 1")
    assert rating.level_column() == EXPECTED_LEVELS


def test_counts_and_duplicate_ids_come_from_the_table_without_making_outcomes() -> None:
    scheme = starrules.loads(SCHEME)
    rows = records() + [{"名称": "B", "分": "1", "组": "乙"}, {"名称": "", "分": "1", "组": "乙"},
                        {"名称": "", "分": "2", "组": "乙"}, {"名称": "A", "分": "3", "组": "甲"}]
    rating = scheme.rate(rows, engine="duckdb", duplicate_ids="allow")
    # the 11 rows: the two blank names are invalid (an id is required), F too. 甲 rates
    # A 9.5, B 9, C 9.0, A 3 (band 3, 3, 3, 1): 50% of 4 is 2, so A and B keep three stars
    # and C goes to two; 乙 rates D 2, E 6.5, G 10, B 1 (0, 2, 3, 0): G keeps three stars
    assert rating.counts() == {"rows": 11, "rated": 8, "invalid": 3, "ineligible": 0,
                               "0星": 2, "1星": 1, "2星": 2, "3星": 3}
    assert rating.counts() == scheme.rate(rows, duplicate_ids="allow").counts()
    assert rating.duplicate_ids() == {"A": [0, 10], "B": [1, 7]}  # in the order the ids first appear
    assert rating.outcomes._blocks == {}  # type: ignore[attr-defined]
    with pytest.raises(DuplicateIdError) as raised:
        scheme.rate(rows, engine="duckdb")
    assert raised.value.ids == {"A": [0, 10], "B": [1, 7]}


@pytest.mark.parametrize(("value", "precision", "scale", "expected"), [
    ("8.5", 8, 6, 8_500_000),  # 8.500000: its digits
    ("-8.5", 8, 6, -8_500_000),
    ("0", 4, 1, 0),
    ("12", 4, 0, 12),
    ("999999.999999999999", 18, 12, 999_999_999_999_999_999),  # 18 digits, 30 in the product
    ("-0.000000000001", 18, 12, -1),
    ("12345678901234567890.123456", 26, 6, 12_345_678_901_234_567_890_123_456),  # a HUGEINT
])
def test_a_decimal_comes_back_as_the_integer_of_its_digits(value: str, precision: int, scale: int,
                                                          expected: int) -> None:
    con = duckdb.connect()
    from sqlglot import exp
    x = exp.Cast(this=exp.Literal.string(value), to=exp.DataType.build(f"DECIMAL({precision}, {scale})"))
    got = con.execute(exp.select(exp.alias_(outcomes.digits(x, precision, scale), ident("d"))).sql(
        dialect="duckdb")).fetchone()[0]
    assert got == expected and unscale(got, scale) == Decimal(value)
    assert outcomes.decimal_type(f"DECIMAL({precision},{scale})") == (precision, scale)
    assert outcomes.decimal_type("BIGINT") is None


def test_each_number_input_is_read_once_per_distinct_cell() -> None:
    from starrules.sql import emit
    text = emit.sql_text(starrules.loads(SCHEME))
    assert 'SELECT DISTINCT\n      "分"\n    FROM "input"' in text
    assert 'LEFT JOIN "#value@1" AS "#v1"' in text
    assert '"#r"."#raw:分" IS NOT DISTINCT FROM "#v1"."#raw:分"' in text
    # the same cell read alike on every row, a bad one refused on every row
    scheme = starrules.loads(SCHEME)
    rows = [{"名称": f"N{i}", "分": v, "组": "甲"} for i, v in enumerate(["9.5", " 9.5", "x", "9.5", "x", None])]
    got = scheme.rate(rows, engine="duckdb")
    assert [o.status for o in got.outcomes] == ["rated", "rated", "invalid", "rated", "invalid", "invalid"]
    assert got.outcomes == scheme.rate(rows).outcomes


def test_the_garbage_collector_is_on_again_after_a_rating_and_after_a_refusal() -> None:
    import gc
    scheme = starrules.loads(SCHEME)
    assert gc.isenabled()
    scheme.rate(records(), engine="duckdb")
    assert gc.isenabled()
    power = " * ".join(["分"] * 22)
    wide = starrules.loads(SCHEME.replace("score 得分 = 分", f"score 得分 = 分\nscore 大 = {power}"))
    with pytest.raises(SqlUnsupported):  # up to 10^22 with a place for each of 22 factors: past 38 digits
        wide.rate(records(), engine="duckdb")
    assert gc.isenabled()
    gc.disable()
    try:
        scheme.rate(records(), engine="duckdb")
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


@pytest.mark.parametrize("engine", ["auto", "duckdb"])
def test_ties_and_invalid_rows_are_told_without_every_outcome(engine: str) -> None:
    # The Anyang example (schemes/examples/anyang.csv): eight branches reach five stars, the
    # 10% quota of the 36 rated leaves 3 places; two score above 90 and take two, the six at
    # 90 tie for the last one, and the name (支部名称, the tie-break) decides: one keeps the
    # level, five move down. Rows 37-39 of the file (places 36-38) have a bad cell each.
    from starrules.data import read_table

    root = Path(__file__).resolve().parent.parent
    scheme = starrules.load(root / "schemes" / "anyang.star")
    rating = scheme.rate(read_table(root / "schemes" / "examples" / "anyang.csv").records, engine=engine)
    ties = rating.tie_counts()
    assert {t.describe() for t, _n in ties} == {"6 tied on 得分 for 1 place, decided by the order of 支部名称"}
    assert sorted((t.kept, n) for t, n in ties) == [(False, 5), (True, 1)]
    assert [o.row for o in rating.invalid()] == [36, 37, 38]
    assert all(o.problems for o in rating.invalid())
    if engine == "duckdb":  # told from SQL: no outcome made, the connection still open
        assert rating.outcomes.open  # type: ignore[attr-defined]
