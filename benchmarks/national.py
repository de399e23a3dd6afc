"""Benchmark at the national scale: the 篇十五 scheme (界首市非公有制企业“星级党员”评比,
``schemes/feigong-dangyuan.star``) on N generated members, from Parquet to Parquet, on DuckDB.

    python benchmarks/national.py [--members 100000000] [--dir DIR] [--keep] [--engine duckdb|spark|python|auto]

1. writes N members as a Parquet file, generated in SQL by DuckDB (typed as a warehouse
   gives them: the five scores DECIMAL(3, 1), the counts INTEGER, the yes/no BOOLEAN,
   blank where the record holds nothing), about 25 members per branch;
2. runs ``starrules run --engine duckdb schemes/feigong-dangyuan.star members.parquet
   -o results.parquet --allow-duplicate-ids --allow-unmet`` in a child process (the file is
   read where it lies, rated and written by DuckDB; from ``ON_DISK_FROM`` rows in a
   database file, with half the machine's memory); ``--engine spark``: the same on Spark
   in local mode (read, rated and written by Spark; the driver, which runs everything in
   local mode, takes half the machine's memory unless ``SPARK_DRIVER_MEMORY`` says
   otherwise) — the peak memory is then the JVM's as well; ``python`` and ``auto``: the
   same command with that engine (to find where DuckDB overtakes Python:
   ``starrules.sql.engine.AUTO_FROM``);
3. prints the seconds, the members/s, the child's peak resident memory (``ru_maxrss``),
   the sizes of the two files, and what the run said (counts, quotas) on stderr.

The data: every member's five scores from one quality per branch (4.0 to 9.9) give or
take up to 2.0, in tenths, capped at 10; about 1 in 10,000 cells off the 0.1 step (9.55:
invalid); 1 branch in 100 with too few non-party representatives (the requirement fails:
invalid); 2% of members not in service and 1% with a disqualifying record (ineligible).
Deterministic: every value is a hash of the member's number. Never asserted anywhere.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "schemes" / "feigong-dangyuan.star"
PER_BRANCH = 25


def generate(path: Path, members: int) -> None:
    """``members`` generated members as a Parquet file (see the module docstring)."""
    import duckdb

    def h(salt: int, mod: int) -> str:  # a deterministic value 0..mod-1 of the member's number
        return f"(hash(i * 7919 + {salt}) % {mod})"

    branch = f"(i // {PER_BRANCH})"
    quality = f"(40 + hash({branch} * 31 + 7) % 60)"  # the branch's quality, tenths 40..99

    def score(salt: int) -> str:
        tenths = f"LEAST(100, GREATEST(0, {quality} + {h(salt, 41)} - 20))"
        off = f"{h(salt + 100, 10000)} = 0"  # 1 in 10,000: off the step
        exact = f"CAST(CAST({tenths} AS DECIMAL(5, 0)) * 0.1 AS DECIMAL(4, 2))"  # tenths, no float
        return f"CASE WHEN {off} THEN CAST(9.55 AS DECIMAL(4, 2)) ELSE {exact} END"

    few = f"(hash({branch} * 17 + 3) % 100 = 0)"  # 1 branch in 100: too few representatives
    cols = [
        "'党员' || CAST(i AS VARCHAR) AS 党员",
        f"'支部' || CAST({branch} AS VARCHAR) AS 支部",
        f"CAST(CASE WHEN {few} THEN 10 ELSE 13 END AS INTEGER) AS 党外职工代表人数",
        f"CAST({PER_BRANCH} AS INTEGER) AS 支部党员总数",
        f"CASE WHEN {h(1, 50)} = 0 THEN false WHEN {h(2, 3)} = 0 THEN NULL ELSE true END AS 在职正式党员",
        f"CAST(CASE WHEN {h(3, 400)} = 0 THEN 6 WHEN {h(4, 20)} = 0 THEN 1 ELSE 0 END AS INTEGER) AS 连续不参加组织生活月数",
        f"CAST(CASE WHEN {h(5, 400)} = 0 THEN 7 ELSE 0 END AS INTEGER) AS 连续不交纳党费月数",
        "CAST(0 AS INTEGER) AS 连续不做分配工作月数",
        f"CASE WHEN {h(6, 1000)} = 0 THEN true ELSE NULL END AS 非法上访",
        "CAST(NULL AS BOOLEAN) AS 参加非法组织",
        f"CASE WHEN {h(7, 1000)} = 0 THEN true ELSE false END AS 受警告及以上处分",
        "false AS 被立案侦察或取保候审",
        "CAST(NULL AS BOOLEAN) AS 其他违反党纪国法行为",
        *[f"{score(10 + k)} AS {name}" for k, name in enumerate(("爱岗敬业", "技术创新", "安全生产", "奉献爱心",
                                                                 "诚实守信"))],
        f"CASE WHEN {h(8, 200)} = 0 THEN true ELSE false END AS 推荐优秀共产党员",
    ]
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT {', '.join(cols)} FROM range({members}) AS t(i)) TO '{path}' "
                    "(FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=100_000_000)
    ap.add_argument("--dir", type=Path, default=None, help="where the two files go (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the files")
    ap.add_argument("--engine", choices=["duckdb", "spark", "python", "auto"], default="duckdb")
    args = ap.parse_args()
    where = args.dir or Path(tempfile.mkdtemp(prefix="starrules-national-"))
    where.mkdir(parents=True, exist_ok=True)
    data, out = where / f"members-{args.members}.parquet", where / "results.parquet"
    t = time.perf_counter()
    if not data.exists():
        generate(data, args.members)
    made = time.perf_counter() - t
    print(f"{args.members:,} members generated in {made:.1f} s: {data} ({data.stat().st_size / 2**30:.2f} GiB)")
    command = [sys.executable, "-m", "starrules", "run", "--engine", args.engine, str(SCHEME), str(data), "-o", str(out),
               "--allow-duplicate-ids", "--allow-unmet"]
    t = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=where, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux gives KiB
    print(f"starrules run --engine {args.engine}: exit {done.returncode}, {elapsed:.1f} s, "
          f"{args.members / elapsed:,.0f} members/s, peak resident memory {peak / 2**30:.2f} GiB")
    if out.exists():
        print(f"results: {out} ({out.stat().st_size / 2**30:.2f} GiB)")
    print("what the run said (stderr, its last lines):")
    print("\n".join(done.stderr.splitlines()[-12:]))
    if not args.keep and args.dir is None:
        for p in (data, out):
            p.unlink(missing_ok=True)
        where.rmdir()


if __name__ == "__main__":
    main()
