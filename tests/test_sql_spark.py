"""The SQL backend on Apache Spark (PySpark in local mode; Java 17 is on these machines).

The same lowered query as DuckDB runs, in Spark's SQL dialect: the entity relation of a
sample of bundled schemes on their example data (text cells as the CSV gives them, and
typed records) equals ``Scheme.evaluate`` row for row (the reference and the reading of
SQL rows are those of tests/test_sql_entity.py), and a few generated schemes and records
give on Spark exactly what they give on DuckDB. Spark takes seconds a query, so it runs a
smaller sample than DuckDB does (tests/test_sql_entity.py runs every scheme).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules.sql import duck
from starrules.sql import spark as sp
from starrules.sql.lower import SqlUnsupported
from starrules.testing import inputs, invalid_inputs
from tests.example_data import read_rows
from tests.test_differential import schemes
from tests.test_sql_entity import from_sql, reference

ROOT = Path(__file__).resolve().parent.parent
# quotas and a group (feigong-dangyuan), weighted raters (cun-zhibu), every construct of
# Anyang's plan (bonuses, penalties, caps, a demotion, a veto)
SAMPLE = ("anyang", "cun-zhibu", "feigong-dangyuan")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = sp.session()
    yield session
    session.stop()


def _typed(value: str) -> object:
    """A CSV cell as a database driver would give it: whole numbers as int, decimals as
    Decimal, the rest as text."""
    if value.isdigit():
        return int(value)
    try:
        return Decimal(value) if value.replace(".", "", 1).isdigit() else value
    except ArithmeticError:
        return value


@pytest.mark.parametrize("name", SAMPLE)
def test_bundled_scheme_on_spark_equals_the_reference(spark: Any, name: str) -> None:
    scheme = starrules.load(ROOT / "schemes" / f"{name}.star")
    program = scheme.program
    rows = read_rows(ROOT / "schemes" / "examples" / f"{name}.csv", program.id_field or "")
    got = sp.entity_rows(program, rows, spark)
    assert [r["#row"] for r in got] == list(range(len(rows)))  # every row comes out, in order
    assert [from_sql(program, r) for r in got] == [reference(scheme, r) for r in rows]


def test_typed_records_on_spark_equal_the_reference(spark: Any) -> None:
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    program = scheme.program
    rows = [{k: _typed(v) for k, v in r.items()}
            for r in read_rows(ROOT / "schemes" / "examples" / "anyang.csv", "支部名称")]
    got = sp.entity_rows(program, rows, spark)
    # the reference reads each value as the Spark table holds it (DuckDB's typing, the same)
    con = duck.connect()
    duck.load(con, program, rows)
    held = duck.held(con, program)
    assert [from_sql(program, r) for r in got] == [reference(scheme, r) for r in held]


WIDE = """scheme "精度" version "1"
levels stars 0..1
input 编号 : id
input 甲 : score 0..1 step 0.000001
input 乙 : score 0..9999999999999 step 0.000001
score 积 = 甲 * 乙
band 积 { 1: (0, ..)  0: [.., 0] }
"""


def test_a_product_of_wide_factors_keeps_every_place_on_spark(spark: Any) -> None:
    # 甲 is DECIMAL(19, 6) in the product (widened for a product past 18 digits), 乙
    # DECIMAL(19, 6): Spark types the product DECIMAL(39, 12), one digit too many, and by
    # default drops places to fit (0.000001 * 1.000001 came out 0.000001000000). By hand:
    # 0.000001 * 1.000001 = 0.000001000001; 0.999999 * 9999999999998.999999
    # = 9999999999998.999999 - 0.000001 * 9999999999998.999999 = 9999989999999.000000000001
    scheme = starrules.loads(WIDE)
    rows = [{"编号": "a", "甲": "0.000001", "乙": "1.000001"},
            {"编号": "b", "甲": "0.999999", "乙": "9999999999998.999999"}]
    got = [from_sql(scheme.program, r) for r in sp.entity_rows(scheme.program, rows, spark)]
    assert [g["scores"]["积"] for g in got] == [Decimal("0.000001000001"), Decimal("9999989999999.000000000001")]
    assert spark.conf.get("spark.sql.decimalOperations.allowPrecisionLoss") == "false"


def test_the_query_is_written_in_sparks_dialect() -> None:
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    text = sp.query_text(scheme.program)
    assert "`#row`" in text and '"#row"' not in text  # Spark quotes names with backticks


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_schemes_give_on_spark_what_they_give_on_duckdb(spark: Any, data: st.DataObject) -> None:
    scheme = starrules.loads(data.draw(schemes(), label="scheme"), "generated.star")
    records = [dict(data.draw(inputs(scheme, edges=True), label="record")) for _ in range(3)]
    records += [data.draw(invalid_inputs(scheme), label="bad record")[0]]
    try:
        expected = duck.entity_rows(scheme.program, records)
    except SqlUnsupported as exc:  # refused up front (e.g. history): refused alike on Spark
        with pytest.raises(SqlUnsupported, match=re.escape(exc.construct)):
            sp.entity_rows(scheme.program, records, spark)
        return
    assert sp.entity_rows(scheme.program, records, spark) == expected


def test_a_bad_value_under_min_or_max_is_no_error_on_spark(spark: Any) -> None:
    # Found by the property above. With 率一 bad (-1%), min(次一, 7.2 × 率一) is NULL, not
    # 次一: SQL's LEAST skips a NULL, and Spark computed the score of the bad row too, 20,
    # which the score's DECIMAL(10, 9) (at most 7.2) cannot hold: ANSI mode raised. By
    # hand: the row is invalid for 率一 (below 0%); the other, 次一 3 and 率一 50%, scores
    # min(3, 3.6) = 3.
    text = """scheme "最小" version "1"
levels stars 0..1
input 编号 : id
input 次一 : count default 0
input 率一 : percent
score 分0 = min(次一, 7.2 * 率一)
band 分0 { 1: [3, ..)  0: (.., 3) }
"""
    scheme = starrules.loads(text, "最小.star")
    records = [{"编号": "一", "次一": "20", "率一": "-1%"}, {"编号": "二", "次一": "3", "率一": "50%"}]
    rows = sp.entity_rows(scheme.program, records, spark)
    assert [r["#status"] for r in rows] == ["invalid", "rated"]
    assert rows[1]["分0"] == Decimal(3)
    assert rows == duck.entity_rows(scheme.program, records)
