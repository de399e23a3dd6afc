"""Benchmark of the population steps on Spark in local mode.

    python benchmarks/spark.py [--population 1000000] [--groups 3000] [--driver-memory 10g]
    python benchmarks/spark.py --national [--population 10000000]

Anyang (the default): on the generated Anyang records of ``benchmarks/run.py`` (written
once to a CSV file), with the Anyang 10% five-star quota and a per-党委 at-most-50% quota
(as ``benchmarks/sql.py``): Spark reads the CSV file (every cell text), numbers the rows
(``monotonically_increasing_id``: increasing in the file's order, not consecutive), and
``starrules.sql.spark.population`` computes the entity relation and runs the quotas as
Spark SQL window steps, in a local session (``local[2]``, ``starrules.sql.spark.SETTINGS``).
The rated rows' levels after the quotas are collected with their ids and checked against
the scheme written by hand (``baseline_population``) before the time is printed; the
seconds include reading the file and collecting the levels.

``--national``: the scheme and data of ``benchmarks/national.py`` (篇十五,
``schemes/feigong-dangyuan.star``: badge stars, disqualifications, three quotas over all
members with at least one five-star member per 支部), N members generated as a typed
Parquet file; Spark reads it (its DECIMAL, INTEGER and BOOLEAN columns as such), rates it
as above and writes every rated member's id and level after the quotas as Parquet. The
seconds are those of reading, rating and writing. Then the DuckDB engine rates the same
file (``Scheme.rate(path, engine="duckdb")``), and every member's level and every quota
report must be the same on both (the DuckDB engine is held equal to the reference by the
test suite); its time is printed beside Spark's. Never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from national import SCHEME, generate  # noqa: E402
from run import baseline_population, make_records  # noqa: E402
from sql import population_scheme, write_csv  # noqa: E402

import starrules  # noqa: E402
from starrules.sql import spark as sp  # noqa: E402


def start(driver_memory: str) -> Any:
    """A local Spark session with the settings the lowered queries need."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("starrules-bench").config(
        "spark.driver.memory", driver_memory).config("spark.ui.showConsoleProgress", "false")
    for key, value in sp.SETTINGS.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def anyang(args: argparse.Namespace) -> None:
    from pyspark.sql import functions as f

    scheme = population_scheme()
    records = make_records(args.population, args.groups, seed=1)
    want = dict(zip((r["支部名称"] for r in records), baseline_population(records), strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "population.csv", records)
        del records
        spark = start(args.driver_memory)
        t0 = time.perf_counter()
        frame = spark.read.csv(str(path), header=True, inferSchema=False)
        frame.withColumn("#row", f.monotonically_increasing_id()).createOrReplaceTempView("input")
        rated, reports = sp.population(spark, scheme.program, "input", None)
        got = rated.join(spark.table("input").select("#row", "支部名称"), "#row").select("支部名称", "#at").collect()
        elapsed = time.perf_counter() - t0
        spark.stop()
    values = scheme.program.levels.values
    levels = {name: values[at] for name, at in got}
    differ = sum(1 for name, level in want.items() if levels.get(name) != level)
    assert differ == 0, f"{differ} levels differ from the hand-written population"
    print(f"Spark local[2], {args.population:,} Anyang rows, two quotas over {args.groups:,} groups: "
          f"{elapsed:.1f} s ({args.population / elapsed:,.0f} rows/s), {len(reports):,} quota reports, "
          "every level as by hand")


def national(args: argparse.Namespace) -> None:
    import polars as pl
    from pyspark.sql import functions as f

    scheme = starrules.load(SCHEME)
    program = scheme.program
    n = args.population
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / f"members-{n}.parquet", Path(tmp) / "spark-levels"
        generate(data, n)
        print(f"{n:,} members of 篇十五 generated: {data.stat().st_size / 2**20:,.0f} MiB of Parquet", flush=True)
        spark = start(args.driver_memory)
        t0 = time.perf_counter()
        frame = spark.read.parquet(str(data))
        frame.withColumn("#row", f.monotonically_increasing_id()).createOrReplaceTempView("input")
        rated, reports = sp.population(spark, program, "input", sp.kinds_of(frame))
        rated.join(spark.table("input").select("#row", "党员"), "#row").select("党员", "#at").write.parquet(str(out))
        elapsed = time.perf_counter() - t0
        spark.stop()
        print(f"Spark local[2]: {elapsed:.1f} s ({n / elapsed:,.0f} members/s), {len(reports):,} quota reports",
              flush=True)

        t0 = time.perf_counter()
        rating = scheme.rate(data, engine="duckdb", duplicate_ids="allow")
        want = rating.level_column()
        duck = time.perf_counter() - t0
        got: list[Any] = [None] * n
        values = program.levels.values
        levels = pl.read_parquet(str(out / "*.parquet"))
        for ident, at in levels.iter_rows():
            got[int(ident[len("党员"):])] = values[at]
        differ = sum(1 for a, b in zip(got, want, strict=True) if a != b)
        rated_n = sum(1 for x in want if x is not None)
        same_reports = list(reports) == list(rating.reports)
    print(f"the DuckDB engine on the same file: {duck:.1f} s; Spark / DuckDB time: {elapsed / duck:.1f}")
    print(f"{rated_n:,} members rated; levels differing from the DuckDB engine's: {differ}; "
          f"quota reports the same: {same_reports}")
    for report in rating.reports:
        print(" ", report)
    assert differ == 0 and len(levels) == rated_n and same_reports, "Spark and DuckDB differ"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=None, help="rows (default 1,000,000; --national: 10,000,000)")
    ap.add_argument("--groups", type=int, default=3000, help="Anyang's 党委 (not with --national)")
    ap.add_argument("--national", action="store_true", help="the 篇十五 scheme on typed Parquet (benchmarks/national.py)")
    ap.add_argument("--driver-memory", default="10g", help="the local Spark driver's memory (it runs the executors)")
    args = ap.parse_args()
    if args.population is None:
        args.population = 10_000_000 if args.national else 1_000_000
    (national if args.national else anyang)(args)


if __name__ == "__main__":
    main()
