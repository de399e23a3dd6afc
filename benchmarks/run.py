"""Benchmarks: starrules against a hand-written baseline, in one process, on one core.

    python benchmarks/run.py [--entities 20000] [--population 200000] [--write]

Times, on the same generated Anyang data (篇十一: ten one-decimal areas, two
take-the-highest bonuses, per-occurrence penalties, a satisfaction penalty and veto,
three caps and a demotion):

* per entity: hand-written plain Python with exact integer tenths (the baseline),
  the starrules compiled evaluator, the reference interpreter (no trace, and with the
  full trace), and peer engines when the ``bench`` extra installed them;
* a population with two quotas over 3,000 groups (the Anyang 10% five-star quota, and a
  per-group at-most quota), with peak traced memory;
* load + check + compile of every scheme in ``schemes/``.

Every engine's levels are checked against the baseline's before any time is printed.
Prints entities/s and the ratio to the baseline; ``--write`` also writes the table to
``docs/performance.md``. Timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import glob
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import starrules  # noqa: E402

AREAS = ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度",
         "党建引领群团", "遵章守纪", "设施配套", "落实上级工作", "服务意识群众基础"]
LEVELS_BONUS = {"市级": 30, "省级": 50, "国家级": 80}  # tenths


def make_records(n: int, groups: int, seed: int = 2017) -> list[dict[str, str]]:
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        r = {"支部名称": f"支部{k:07d}", "所属单位": f"党委{k % groups:04d}"}
        base = rnd.randint(55, 100)
        for a in AREAS:
            r[a] = str(max(0, min(100, base + rnd.randint(-8, 8))) / 10).removesuffix(".0")
        r["表彰"] = rnd.choice(["", "", "", "市级", "省级", "市级、省级", "国家级"])
        r["创新推广"] = rnd.choice(["", "", "", "", "市级", "省级"])
        for c in ("工委通报", "市委通报", "班子处分", "班子撤职", "党员违纪", "缺席次数"):
            r[c] = str(rnd.choice([0, 0, 0, 0, 1, 2, 3, 4]))
        r["民主评议满意率"] = f"{rnd.randint(450, 1000) / 10}%"
        r["换届情况"] = rnd.choice(["按期"] * 8 + ["逾期", "逾期超过一年"])
        out.append(r)
    return out


def tenths(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 10 + (int(frac) if frac else 0)


def baseline(r: dict[str, str]) -> int:
    """The Anyang scheme by hand, in integer tenths: the level 0..5 (no quotas)."""
    return baseline_full(r)[0]


def baseline_full(r: dict[str, str]) -> tuple[int, int]:
    """The level 0..5 and the total in tenths."""
    total = sum(tenths(r[a]) for a in AREAS)
    honours = [x for x in r["表彰"].split("、") if x]
    total += max((LEVELS_BONUS[x] for x in honours), default=0)
    innov = [x for x in r["创新推广"].split("、") if x]
    total += max((LEVELS_BONUS[x] for x in innov), default=0)
    total -= 30 * int(r["工委通报"]) + 50 * int(r["市委通报"]) + 30 * int(r["班子处分"])
    total -= 50 * int(r["班子撤职"]) + 20 * int(r["党员违纪"]) + 30 * int(r["缺席次数"])
    satisfaction = tenths(r["民主评议满意率"][:-1])  # tenths of a percent
    if satisfaction < 600:
        total -= 50
    level = 5 if total >= 900 else 4 if total >= 800 else 3 if total >= 700 else 2 if total >= 600 else \
        1 if total >= 500 else 0
    absent = int(r["缺席次数"]) >= 3
    if absent:
        level = max(0, level - 1)
        level = min(level, 4)
    if r["换届情况"] != "按期":
        level = min(level, 4)
    if r["换届情况"] == "逾期超过一年":
        level = min(level, 3)
    if satisfaction < 500:
        level = 0
    return level, total


def baseline_population(records: list[dict[str, str]]) -> list[int]:
    """The population by hand: each entity as ``baseline``, then the two enforced
    quotas. Five stars at most 10% of all (floor), best by total then name; then four
    stars or more at most 50% of each 党委 (floor), the others down to three stars."""
    rows = []
    for r in records:
        level, total = baseline_full(r)
        rows.append([level, -total, r["支部名称"], r["所属单位"]])
    five = [x for x in rows if x[0] == 5]
    target = len(rows) * 10 // 100
    if len(five) > target:
        five.sort(key=lambda x: (x[1], x[2]))
        for x in five[target:]:
            x[0] = 4
    groups: dict[str, list[list[Any]]] = {}
    for x in rows:
        groups.setdefault(x[3], []).append(x)
    for members in groups.values():
        top = [x for x in members if x[0] >= 4]
        target = len(members) * 50 // 100
        if len(top) > target:
            top.sort(key=lambda x: (x[1], x[2]))
            for x in top[target:]:
                x[0] = 3
    return [x[0] for x in rows]


def rate_per_second(fn: Callable[[dict[str, str]], Any], records: list[dict[str, str]], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        for r in records:
            fn(r)
        best = min(best, time.perf_counter() - t)
    return len(records) / best


def typed(r: dict[str, str]) -> dict[str, int]:
    """A record as the integers (tenths) the peer engines compute on; the string parsing
    is done here in Python, as for the baseline, and timed with them."""
    honours = [x for x in r["表彰"].split("、") if x]
    innov = [x for x in r["创新推广"].split("、") if x]
    out = {f"a{i}": tenths(r[a]) for i, a in enumerate(AREAS)}
    out.update(
        hb=max((LEVELS_BONUS[x] for x in honours), default=0), ib=max((LEVELS_BONUS[x] for x in innov), default=0),
        c1=int(r["工委通报"]), c2=int(r["市委通报"]), c3=int(r["班子处分"]), c4=int(r["班子撤职"]),
        c5=int(r["党员违纪"]), c6=int(r["缺席次数"]), sat=tenths(r["民主评议满意率"][:-1]),
        hj={"按期": 0, "逾期": 1, "逾期超过一年": 2}[r["换届情况"]],
    )
    return out


TOTAL = ("a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + hb + ib - 30 * c1 - 50 * c2 - 30 * c3 - 50 * c4"
         " - 20 * c5 - 30 * c6 - (sat < 600 ? 50 : 0)")
BAND = "(t >= 900 ? 5 : (t >= 800 ? 4 : (t >= 700 ? 3 : (t >= 600 ? 2 : (t >= 500 ? 1 : 0)))))"
# demotion, then caps, then the veto, as ternaries
DEMOTED = f"(c6 >= 3 ? ({BAND} > 0 ? {BAND} - 1 : 0) : {BAND})"
CAP = "(hj == 2 ? 3 : ((hj == 1 or c6 >= 3) ? 4 : 5))"
LEVEL = f"(sat < 500 ? 0 : ({DEMOTED} < {CAP} ? {DEMOTED} : {CAP}))"


def peers() -> list[tuple[str, Callable[[dict[str, str]], Any] | None, str]]:
    """Peer engines, if the bench extra installed them: the same Anyang rules as two
    expressions (the total, then the level), on the integers of ``typed``."""
    out: list[tuple[str, Callable[[dict[str, str]], Any] | None, str]] = []
    try:
        import rule_engine  # type: ignore[import-not-found]

        ctx = rule_engine.Context(default_value=0)
        total_rule = rule_engine.Rule(TOTAL, context=ctx)
        level_rule = rule_engine.Rule(LEVEL, context=ctx)

        def with_rule_engine(r: dict[str, str]) -> int:
            v = typed(r)
            v["t"] = total_rule.evaluate(v)
            return int(level_rule.evaluate(v))

        out.append(("rule-engine 5 (two expressions)", with_rule_engine, ""))
    except ImportError:
        out.append(("rule-engine", None, "not installed (pip install '.[bench]')"))
    try:
        import zen  # type: ignore[import-not-found]

        total_expr = zen.compile_expression(TOTAL)
        level_expr = zen.compile_expression(LEVEL)

        def with_zen(r: dict[str, str]) -> int:
            v: dict[str, Any] = typed(r)
            v["t"] = total_expr.evaluate(v)
            return int(level_expr.evaluate(v))

        out.append(("zen-engine 2 (compiled expressions)", with_zen, ""))
    except ImportError:
        out.append(("zen-engine", None, "not installed (pip install '.[bench]')"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entities", type=int, default=20_000)
    ap.add_argument("--population", type=int, default=200_000)
    ap.add_argument("--groups", type=int, default=3_000)
    ap.add_argument("--write", action="store_true", help="write the tables to docs/performance.md")
    args = ap.parse_args()

    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    records = make_records(args.entities, args.groups)
    # the same answers first
    for r in records:
        level = baseline(r)
        assert scheme.evaluate(r, trace=False).level_rank == level, r
        assert scheme.evaluate(r, trace=False, engine="reference").level_rank == level, r
    sample = records[: max(1, len(records) // 10)]

    rows: list[tuple[str, str, str]] = []
    base = rate_per_second(baseline, records)
    rows.append(("hand-written Python, integer tenths (baseline)", f"{base:,.0f}", "1.00"))
    for label, fn, recs in (
        ("starrules compiled", lambda r: scheme.evaluate(r, trace=False), records),
        ("starrules reference, no trace", lambda r: scheme.evaluate(r, trace=False, engine="reference"), sample),
        ("starrules reference, full trace", lambda r: scheme.evaluate(r, trace=True), sample),
    ):
        rate = rate_per_second(fn, recs)
        rows.append((label, f"{rate:,.0f}", f"{rate / base:.3f}"))
    for label, fn, note in peers():
        if fn is None:
            rows.append((label, note, "—"))
        else:
            for r in sample:
                assert fn(r) == baseline(r), (label, r)
            rate = rate_per_second(fn, sample)
            rows.append((label, f"{rate:,.0f}", f"{rate / base:.3f}"))

    # a population with two quotas over the groups
    text = (ROOT / "schemes" / "anyang.star").read_text(encoding="utf-8")
    text += '\nquota "每个党委四星级以上不超过一半" { level >= 4 at most 50% per 所属单位 }\n'
    pop_scheme = starrules.loads(text, "anyang+per-group-quota.star")
    population = make_records(args.population, args.groups, seed=1)
    gc.collect()
    t = time.perf_counter()
    by_hand = baseline_population(population)
    hand_elapsed = time.perf_counter() - t
    gc.collect()
    t = time.perf_counter()
    rating = pop_scheme.rate(population)
    elapsed = time.perf_counter() - t
    assert len(rating.outcomes) == len(population)
    assert [o.level for o in rating.outcomes] == by_hand, "starrules and the hand-written population disagree"
    unmet = sum(1 for r in rating.reports if r.met is False)
    reports = len(rating.reports)
    del rating
    # memory on a tenth of the population (tracing allocations slows the run severalfold)
    sample_pop = population[: max(1, args.population // 10)]
    gc.collect()
    tracemalloc.start()
    kept = pop_scheme.rate(sample_pop)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    per_entity = peak / len(sample_pop)
    input_bytes = sum(sys.getsizeof(r) + sum(sys.getsizeof(v) for v in r.values()) for r in population[:1000]) / 1000

    loads = []
    starrules.load(ROOT / "schemes" / "anyang.star")  # the first load also builds the parser
    for path in sorted(glob.glob(str(ROOT / "schemes" / "*.star"))):
        best = float("inf")
        for _ in range(3):  # best of three: the machine is shared
            t = time.perf_counter()
            s = starrules.load(path)
            s.compiled  # noqa: B018 - compile now, to time it
            best = min(best, time.perf_counter() - t)
        loads.append((Path(path).name, best * 1000))

    lines = [
        "# Performance",
        "",
        f"Measured with `python benchmarks/run.py --entities {args.entities} --population {args.population}` "
        f"on {platform.machine()}, Python {platform.python_version()}, one core. Every engine's levels were "
        "checked against the hand-written baseline first. These are measurements, not assertions: "
        "no unit test times anything.",
        "",
        "## One entity at a time (Anyang, 篇十一)",
        "",
        "| engine | entities/s | ratio to the baseline |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        "",
        f"## A population of {args.population:,} with two quotas over {args.groups:,} groups",
        "",
        f"* starrules `Scheme.rate`: {elapsed:.1f} s ({args.population / elapsed:,.0f} entities/s), reading and "
        "evaluation included",
        f"* the same by hand in plain Python (integer tenths, two sorts; the baseline): {hand_elapsed:.1f} s "
        f"({args.population / hand_elapsed:,.0f} entities/s); starrules takes {elapsed / hand_elapsed:.2f} times as "
        "long, and gives the same level to every entity",
        f"* memory allocated while rating (traced on {len(sample_pop):,} entities): {per_entity:,.0f} bytes per "
        f"entity beyond its inputs (which take about {input_bytes:,.0f} bytes each as Python strings)",
        f"* quotas: {unmet} of {reports} reports not met",
        "",
        "## Load + check + compile of each scheme",
        "",
        "After the first load (which also builds the parser), best of three:",
        "",
        "| scheme | ms |",
        "|---|---|",
        *(f"| {name} | {ms:.1f} |" for name, ms in loads),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        compiled_ratio = float(rows[1][2])
        (ROOT / "docs" / "performance.md").write_text(
            report + targets(compiled_ratio, args.population, elapsed, hand_elapsed, per_entity, loads), encoding="utf-8")


def targets(compiled_ratio: float, population: int, elapsed: float, hand_elapsed: float, per_entity: float,
            loads: list[tuple[str, float]]) -> str:
    """The performance issue's targets against this run's measurements."""
    slowest_name, slowest = max(loads, key=lambda x: x[1])
    def verdict(ok: bool) -> str:
        return "met" if ok else "missed"
    million = elapsed * 1_000_000 / population
    hand_million = hand_elapsed * 1_000_000 / population
    return f"""
## Against the targets

The targets of the performance issue, measured in this run:

* **Compiled per-entity throughput at least 0.67 of the hand-written baseline: {verdict(compiled_ratio >= 0.67)}**
  ({compiled_ratio:.2f}). The compiled evaluator computes on integers scaled by the decimal
  places the declarations allow (tenths for a score in steps of 0.1), reads each input
  with one lookup in a table of the values already seen (a column holds few distinct
  values), and makes the result's dicts and `Decimal`s only when they are asked for.
  Anything the integers cannot do exactly (a value with more places than its scale, a
  number beyond the reference's 80 digits) goes to the exact `Decimal` path, so results
  stay those of the reference interpreter. The baseline parses every cell each time,
  which is why the compiled evaluator can be faster than it.
* **1,000,000 entities with two quotas over 3,000 groups in at most 6 s on one core:
  {verdict(million <= 6)}** ({million:.1f} s for a million at this run's rate,
  {million / 6:.1f} times the target; the hand-written Python population takes
  {hand_million:.1f} s on the same machine in the same process, so 6 s here would need
  {hand_million / 6:.1f} times the speed of plain Python). The issue's 6 s assumed a machine on which plain Python rates about
  250,000 entities/s; the ratio to the hand-written population is the figure that
  carries over between machines. "Well under a minute" (the population issue): {verdict(million < 60)}.
* **Load + check + compile of any scheme at most 50 ms after the first import:
  {verdict(slowest <= 50)}** (slowest: `{slowest_name}`, {slowest:.1f} ms). Lark's parse of the
  text (the lexer most of it) is the larger part; the exact path of the compiled code is
  compiled only when an entity first needs it.
* **Memory per entity in a population run under 1 KB beyond its inputs:
  {verdict(per_entity < 1024)}** ({per_entity:,.0f} bytes, peak traced while rating, the
  outcomes and results kept included).

Reproduce with `make bench` (installs the `bench` extra: rule-engine and zen-engine), or
`python benchmarks/run.py --entities 20000 --population 1000000 --write`. The machine
is shared (two cores, other work running), so absolute figures vary between runs by a
factor of two or more; the ratios, measured in one process on the same data, are the
useful part.
"""


if __name__ == "__main__":
    main()
