"""Benchmark of the DuckDB engine: a population with two quotas over 3,000 groups.

    python benchmarks/sql.py [--population 1000000] [--groups 3000]

On the same generated Anyang data as ``benchmarks/run.py`` (written once to a CSV file),
with the Anyang 10% five-star quota and a per-group at-most-50% quota, in one process:

* the DuckDB engine: ``Scheme.rate(csv_path, engine="duckdb")`` (the file read by DuckDB
  in place) and every entity's level after the quotas as one column
  (``rating.level_column()``), as polars gives its column of levels;
* the same, every outcome made as a Python object (``[o.level for o in rating.outcomes]``);
* the same scheme written by hand in polars (integer tenths, a window quota), from the
  same file;
* the DuckDB engine on the same records in memory (``Scheme.rate(records, engine="duckdb")``:
  loaded column by column), and the column of levels;
* today's ``Scheme.rate(records)`` (the compiled evaluator and the Python population step,
  the records already in memory).

The three give the same levels (checked before any time is printed). Polars and the
DuckDB engine take turns for ``--rounds`` rounds (3) and the best time of each is kept (the
first DuckDB round also builds the scheme's SQL, which later ratings of the same scheme
reuse); the other lines run once. Prints the seconds, the entities/s and the ratios;
never asserted.
"""

from __future__ import annotations

import argparse
import csv
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import AREAS, baseline_population, make_records  # noqa: E402

import starrules  # noqa: E402

QUOTA = '\nquota "每个党委四星级以上不超过一半" { level >= 4 at most 50% per 所属单位 }\n'


def population_scheme() -> starrules.Scheme:
    """The Anyang scheme with the per-党委 quota added."""
    text = (ROOT / "schemes" / "anyang.star").read_text(encoding="utf-8") + QUOTA
    return starrules.loads(text, "anyang+per-group-quota.star")


def write_csv(path: Path, records: list[dict[str, str]]) -> Path:
    """The records as a CSV file at ``path`` (a header, then a line each)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    return path


def by_polars(path: Path) -> Any:
    """The scheme by hand in polars: integer tenths, the two quotas as window ranks."""
    import polars as pl

    df = pl.read_csv(path, infer_schema_length=0)

    def tenths(e: Any) -> Any:
        return e.str.replace(r"^(\d+)$", "${1}.0").str.replace(".", "", literal=True).cast(pl.Int64)

    def bonus(name: str) -> Any:
        c = pl.col(name).fill_null("")
        return (pl.when(c.str.contains("国家级")).then(80).when(c.str.contains("省级")).then(50)
                .when(c.str.contains("市级")).then(30).otherwise(0))

    n = {c: pl.col(c).cast(pl.Int64) for c in ("工委通报", "市委通报", "班子处分", "班子撤职", "党员违纪", "缺席次数")}
    sat = tenths(pl.col("民主评议满意率").str.strip_suffix("%"))
    total = (pl.sum_horizontal([tenths(pl.col(a)) for a in AREAS]) + bonus("表彰") + bonus("创新推广")
             - 30 * n["工委通报"] - 50 * n["市委通报"] - 30 * n["班子处分"] - 50 * n["班子撤职"]
             - 20 * n["党员违纪"] - 30 * n["缺席次数"] - pl.when(sat < 600).then(50).otherwise(0))
    df = df.with_columns(total.alias("t"), sat.alias("sat"))
    t = pl.col("t")
    level = (pl.when(t >= 900).then(5).when(t >= 800).then(4).when(t >= 700).then(3).when(t >= 600).then(2)
             .when(t >= 500).then(1).otherwise(0))
    df = df.with_columns(level.alias("lv"))
    absent = pl.col("缺席次数").cast(pl.Int64) >= 3
    lv = pl.col("lv")
    df = df.with_columns(pl.when(absent).then(pl.min_horizontal(pl.max_horizontal(lv - 1, 0), 4)).otherwise(lv)
                         .alias("lv"))
    df = df.with_columns(pl.when(pl.col("换届情况") != "按期").then(pl.min_horizontal(lv, 4)).otherwise(lv).alias("lv"))
    df = df.with_columns(pl.when(pl.col("换届情况") == "逾期超过一年").then(pl.min_horizontal(lv, 3)).otherwise(lv)
                         .alias("lv"))
    df = df.with_columns(pl.when(pl.col("sat") < 500).then(0).otherwise(lv).alias("lv"))
    # quota 1: five stars at most 10% of all (floor), best by total then name
    target = df.height * 10 // 100
    order = pl.struct((-t).alias("k"), pl.col("支部名称"))
    place = order.rank("ordinal").over(lv == 5)
    df = df.with_columns(pl.when((lv == 5) & (place > target)).then(4).otherwise(lv).alias("lv"))
    # quota 2: four stars or more at most 50% of each 党委 (floor)
    size = pl.len().over("所属单位")
    place = order.rank("ordinal").over(["所属单位", lv >= 4])
    df = df.with_columns(pl.when((lv >= 4) & (place > size * 50 // 100)).then(3).otherwise(lv).alias("lv"))
    return df["lv"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of polars and the DuckDB engine (best kept)")
    args = ap.parse_args()
    scheme = population_scheme()
    records = make_records(args.population, args.groups, seed=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "population.csv", records)
        want = baseline_population(records)
        times: dict[str, float] = {"polars by hand": float("inf"), "DuckDB engine": float("inf")}
        for _round in range(args.rounds):  # the two take turns; the best of each is kept
            gc.collect()
            t0 = time.perf_counter()
            levels = by_polars(path)
            times["polars by hand"] = min(times["polars by hand"], time.perf_counter() - t0)
            assert levels.to_list() == want, "polars and the hand-written population disagree"
            del levels
            gc.collect()
            t0 = time.perf_counter()
            rating = scheme.rate(path, engine="duckdb")
            duck_levels = rating.level_column()
            times["DuckDB engine"] = min(times["DuckDB engine"], time.perf_counter() - t0)
            assert duck_levels == want, "the DuckDB engine and the hand-written disagree"
            del rating, duck_levels
        gc.collect()
        t0 = time.perf_counter()
        rating = scheme.rate(path, engine="duckdb")
        made = [o.level for o in rating.outcomes]
        times["DuckDB, outcomes"] = time.perf_counter() - t0
        assert made == want, "the DuckDB engine's outcomes and the hand-written disagree"
        del rating, made
        gc.collect()
        t0 = time.perf_counter()
        rating = scheme.rate(records, engine="duckdb")
        duck_levels = rating.level_column()
        times["DuckDB, records"] = time.perf_counter() - t0
        assert duck_levels == want, "the DuckDB engine on records and the hand-written disagree"
        del rating
        gc.collect()
        t0 = time.perf_counter()
        rating = scheme.rate(records)
        times["Scheme.rate"] = time.perf_counter() - t0
        assert [o.level for o in rating.outcomes] == want, "Scheme.rate and the hand-written disagree"
    n = args.population
    print(f"{n:,} Anyang entities, two quotas over {args.groups:,} groups")
    for label, secs in times.items():
        print(f"  {label:18} {secs:8.2f} s  {n / secs:12,.0f} entities/s")
    duck = times["DuckDB engine"]
    print(f"  DuckDB engine / polars by hand: {times['polars by hand'] / duck:.2f} of its speed (target >= 0.33)")
    print(f"  DuckDB engine / Scheme.rate:    {times['Scheme.rate'] / duck:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
