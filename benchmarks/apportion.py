"""Benchmark: D'Hondt on 3,000 groups and 300,000 seats, starrules against the per-seat loop.

    python benchmarks/apportion.py [--groups 3000] [--seats 300000] [--seed 16]

The baseline is the divisor method as it was written before (one heap step per seat),
kept here only to be timed against. Both results are compared before any time is
printed. Timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starrules.apportion import apportion


def per_seat_dhondt(sizes: dict[str, int], total: int) -> dict[str, int]:
    """The old loop: every seat in turn to the largest size / (n + 1), ties to the larger group, then the name."""
    seats = {name: 0 for name in sizes}
    heap = [(-Fraction(size, 1), -size, name) for name, size in sizes.items()]
    heapq.heapify(heap)
    for _ in range(total):
        name = heapq.heappop(heap)[2]
        seats[name] += 1
        heapq.heappush(heap, (-Fraction(sizes[name], seats[name] + 1), -sizes[name], name))
    return seats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=3000)
    parser.add_argument("--seats", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sizes = {f"g{i:05d}": rng.randint(1, 100_000) for i in range(args.groups)}

    start = time.perf_counter()
    fast = apportion(sizes, args.seats, method="dhondt")
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    slow = per_seat_dhondt(sizes, args.seats)
    slow_s = time.perf_counter() - start
    if fast != slow:
        raise SystemExit("the results differ: the benchmark is void")
    print(f"D'Hondt, {args.groups:,} groups, {args.seats:,} seats (same result):")
    print(f"  starrules.apportion  {fast_s * 1000:9.1f} ms")
    print(f"  per-seat loop        {slow_s * 1000:9.1f} ms")
    print(f"  ratio                {slow_s / fast_s:9.1f}x faster")


if __name__ == "__main__":
    main()
