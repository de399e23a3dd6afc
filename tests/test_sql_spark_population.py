"""Whole populations on Apache Spark: ``Scheme.rate(engine="spark")`` (``starrules.sql.spark.rate``)
and the population steps alone (``starrules.sql.spark.population``).

The bundled schemes with quotas and selections (Anyang's two quotas, a minimum per branch
in Feigong-dangyuan, Kaifaqu's about-quotas per field and flagging selection,
Shuangshixing-zuzhi's capping selections with ties kept) run on Spark from their example
data: the entity relation, then every quota and selection as Spark SQL window queries,
then the outcomes read back from Spark. Each is compared with ``Scheme.rate`` on the
Python engine, outcome for outcome and report for report, and so is what the Rating
answers without its outcomes (counts, the column of levels, ties, duplicate ids, the
invalid rows). Spark takes tens of seconds a scheme in local mode (most of it the entity
query), so each scheme runs once; nothing is timed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import starrules
from starrules.errors import UnknownInputsError
from starrules.output import Results, write_parquet
from starrules.sql import spark as sp
from starrules.sql.population import MOVES, PICKED
from starrules.sql.reading import ident
from tests.example_data import read_rows
from tests.test_sql_population import anyang_parquet, run, written
from tests.test_sql_spark import WIDE

ROOT = Path(__file__).resolve().parent.parent
WITH_STEPS = ("anyang", "feigong-dangyuan", "kaifaqu", "shuangshixing-zuzhi")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = sp.session()
    yield session
    session.stop()


def _data(name: str) -> tuple[starrules.Scheme, list[dict[str, str]]]:
    scheme = starrules.load(ROOT / "schemes" / f"{name}.star")
    return scheme, read_rows(ROOT / "schemes" / "examples" / f"{name}.csv", scheme.program.id_field or "")


@pytest.mark.parametrize("name", WITH_STEPS)
def test_a_population_rated_on_spark_equals_scheme_rate(spark: Any, name: str) -> None:
    scheme, rows = _data(name)
    want = scheme.rate(rows)
    got = sp.rate(scheme.program, rows, spark)
    assert want.reports  # every one of these schemes has a quota or a selection
    # what the rating answers from Spark without making an outcome
    assert got.counts() == want.counts()
    assert got.level_column() == [o.level for o in want.outcomes]
    assert got.tie_counts() == want.tie_counts()
    assert got.duplicate_ids() == want.duplicate_ids()
    assert list(got.invalid()) == [o for o in want.outcomes if o.status == "invalid"]
    # then every outcome (moves, ties, flags, each entity's own result) and report
    assert [o.row for o in got.outcomes] == list(range(len(rows)))
    assert got.outcomes == want.outcomes
    assert got.reports == want.reports
    assert got.summary() == want.summary()
    assert "on Spark" in repr(got.outcomes)


def test_scheme_rate_takes_a_spark_dataframe_and_a_file_on_the_spark_engine(spark: Any, tmp_path: Path) -> None:
    # Feigong-dangyuan's example as a Spark DataFrame of texts, and as the CSV file Spark
    # reads itself: the Rating the Python engine gives on the same rows. A frame's column
    # that no input reads is refused unless extra="ignore", as for the other engines.
    scheme, rows = _data("feigong-dangyuan")
    want = scheme.rate(rows)
    names = list(rows[0])
    frame = spark.createDataFrame([[r[x] for x in names] for r in rows], names)

    def shared() -> list[str]:  # the global views of frames of another session
        return [r.viewName for r in spark.sql("SHOW VIEWS IN global_temp LIKE 'starrules_input_*'").collect()]

    before = shared()
    assert scheme.rate(frame, engine="spark").outcomes == want.outcomes
    assert shared() == before  # the frame's view is dropped once every outcome is made
    assert scheme.rate(ROOT / "schemes" / "examples" / "feigong-dangyuan.csv", engine="spark").outcomes == \
        scheme.rate(ROOT / "schemes" / "examples" / "feigong-dangyuan.csv", engine="duckdb").outcomes
    with pytest.raises(UnknownInputsError, match="备注"):
        scheme.rate(frame.withColumn("备注", frame[names[0]]), engine="spark")
    with pytest.raises(starrules.StarError, match=r"reads CSV, Parquet and JSON Lines files, not 党员\.xlsx"):
        scheme.rate(tmp_path / "党员.xlsx", engine="spark")


def test_two_ratings_on_one_session_keep_their_own_tables(spark: Any) -> None:
    # each rating has a session of its own (its temporary views are its own): the first
    # rating's outcomes, read after a second rating ran, are still the first's
    scheme, rows = _data("anyang")
    first = sp.rate(scheme.program, rows, spark)
    second = sp.rate(scheme.program, rows[:3], spark)
    assert len(second.outcomes) == 3
    assert first.outcomes == scheme.rate(rows).outcomes


def test_population_steps_alone_on_spark_equal_scheme_rate(spark: Any) -> None:
    # the steps without the outcomes: the levels after the quotas, the reports, and what
    # the steps did in their views (Kaifaqu: about-quotas per field, a flagging selection)
    scheme, rows = _data("kaifaqu")
    program = scheme.program
    want = scheme.rate(rows)
    kinds = sp.load(spark, program, rows)
    frame, reports = sp.population(spark, program, types=kinds)
    got = {int(r[0]): program.levels.values[r[1]] for r in frame.collect()}
    assert got == {k: o.level for k, o in enumerate(want.outcomes) if o.status == "rated"}
    assert list(reports) == list(want.reports)
    moves = spark.table(ident(MOVES).sql(dialect="spark")).count()
    assert moves == sum(len(o.moves) for o in want.outcomes)
    # the flags selections gave: on each row as many as Scheme.rate's outcome holds
    picked = Counter(int(r[0]) for r in spark.table(ident(PICKED).sql(dialect="spark")).collect())
    named = {s.flag for s in program.selections if s.flag is not None}
    assert picked == Counter({k: n for k, o in enumerate(want.outcomes) if (n := sum(f in named for f in o.flags))})
    assert spark.conf.get("spark.sql.decimalOperations.allowPrecisionLoss") == "false"


def test_decimals_past_eighteen_digits_come_back_exact_from_spark(spark: Any) -> None:
    # Spark gives the outcomes' DECIMALs as Decimals, made the integers of their digits
    # exactly (a context of 80 digits) before the results read them. By hand:
    # 0.999999 * 9999999999998.999999 = 9999989999999.000000000001 (25 digits, 12 places);
    # 0.000001 * 1.000001 = 0.000001000001
    scheme = starrules.loads(WIDE)
    rows = [{"编号": "a", "甲": "0.000001", "乙": "1.000001"},
            {"编号": "b", "甲": "0.999999", "乙": "9999999999998.999999"}]
    got = sp.rate(scheme.program, rows, spark)
    assert [o.result and o.result.scores["积"] for o in got.outcomes] == [Decimal("0.000001000001"),
                                                                  Decimal("9999989999999.000000000001")]
    assert got.outcomes == scheme.rate(rows).outcomes


@pytest.mark.parametrize("name", ["anyang", "shuangshixing-zuzhi"])
def test_results_written_by_spark_are_the_python_writers(spark: Any, tmp_path: Path, name: str) -> None:
    # every cell made in Spark SQL (the query of starrules.sql.writing in Spark's dialect),
    # only the bad inputs' reasons in Python: the Parquet file the Python writer makes of
    # the default engine's rating, cell for cell (Anyang: three bad rows and a tie;
    # Shuangshixing-zuzhi: selections that flag and cap)
    scheme, rows = _data(name)
    want, got = scheme.rate(rows), sp.rate(scheme.program, rows, spark)
    a, b = tmp_path / "python.parquet", tmp_path / "spark.parquet"
    write_parquet(a, Results(scheme, want, rows, period=None))
    write_parquet(b, Results(scheme, got, rows, period=None))
    assert got.outcomes.open  # type: ignore[attr-defined]  # written by Spark: no outcome was made
    assert written(b) == written(a)
    assert not list(tmp_path.glob(".*"))  # the directory Spark wrote is gone


def test_run_on_spark_in_place_says_and_writes_what_the_default_engine_does(tmp_path: Path) -> None:
    # the typed Anyang Parquet file of tests/test_sql_population.py (a column no input
    # reads, a duplicate id, three bad rows, a tie): read by Spark where it lies, rated,
    # and written by Spark; what is said and written is what the default engine says and
    # writes reading the same file in Python
    data = anyang_parquet(tmp_path)
    args = ("schemes/anyang.star", str(data), "--allow-duplicate-ids")
    outs = [tmp_path / f"{name}.parquet" for name in ("python", "spark")]
    said = [run("run", *args, "-o", str(out), *engine)
            for out, engine in zip(outs, ((), ("--engine", "spark")), strict=True)]
    assert said[0].returncode == said[1].returncode == 0, said[1].stderr
    assert ours(said[1].stderr) == said[0].stderr.splitlines()
    assert "no input reads the column '备注'" in said[1].stderr
    assert "rows in: 40, rated: 37, invalid: 3, ineligible: 0" in said[1].stderr
    assert written(outs[1]) == written(outs[0])
    bad = tmp_path / "broken.parquet"
    bad.write_text("not parquet", encoding="utf-8")
    got = run("run", "--engine", "spark", "schemes/anyang.star", str(bad))
    assert got.returncode != 0 and "Traceback" not in got.stderr
    assert f"cannot read {bad}" in got.stderr


JVM = re.compile(r"\d\d/\d\d/\d\d \d\d:\d\d:\d\d |WARNING: Using incubator modules|Using Spark's default log4j|"
                 r"Setting default log level|To adjust logging level|\S+: FutureWarning: PySpark|  require_minimum_pandas")


def ours(stderr: str) -> list[str]:
    """The lines of ``stderr`` that starrules wrote: not what Java and Spark say as they start."""
    return [line for line in stderr.splitlines() if not JVM.match(line)]
