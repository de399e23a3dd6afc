"""Benchmark of the population steps on Spark in local mode: the Anyang scheme with two quotas.

    python benchmarks/spark.py [--population 1000000] [--groups 3000] [--driver-memory 10g]

On the generated Anyang records of ``benchmarks/run.py`` (written once to a CSV file), with
the Anyang 10% five-star quota and a per-党委 at-most-50% quota (as ``benchmarks/sql.py``):
Spark reads the CSV file (every cell text), numbers the rows
(``monotonically_increasing_id``: increasing in the file's order, not consecutive), and
``starrules.sql.spark.population`` computes the entity relation and runs the quotas as
Spark SQL window steps, in a local session (``local[2]``, ``starrules.sql.spark.SETTINGS``).
The rated rows' levels after the quotas are collected with their ids and checked against
the scheme written by hand (``baseline_population``) before the time is printed; the
seconds include reading the file and collecting the levels. Never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import baseline_population, make_records  # noqa: E402
from sql import population_scheme, write_csv  # noqa: E402

from starrules.sql import spark as sp  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=3000)
    ap.add_argument("--driver-memory", default="10g", help="the local Spark driver's memory (it runs the executors)")
    args = ap.parse_args()
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as f

    scheme = population_scheme()
    records = make_records(args.population, args.groups, seed=1)
    want = dict(zip((r["支部名称"] for r in records), baseline_population(records), strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "population.csv", records)
        del records
        builder = SparkSession.builder.master("local[2]").appName("starrules-bench").config(
            "spark.driver.memory", args.driver_memory)
        for key, value in sp.SETTINGS.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
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


if __name__ == "__main__":
    main()
