"""How far can per-record compiled evaluation go in pure Python? The same generated code
with its safeguards taken out, one at a time, against the hand-written baseline.

    python benchmarks/ceiling.py [--entities 20000]

On the Anyang records of ``benchmarks/run.py`` (text, as a CSV file gives them, and
typed, as a database driver gives them), in one process, best of nine rounds, the
functions taking turns, times:

* the hand-written baseline of ``benchmarks/run.py`` (integer tenths, each distinct value
  converted once through a dict, nothing checked; it gives the level and the total);
* the compiled evaluator's generated function as starrules runs it (``Scheme.evaluate``'s
  call included, and without it);
* the same generated code without the class check before each memo lookup (so ``True``
  would be read as ``1``: wrong, only measured here);
* the same code giving the level alone instead of a ``Result`` (no reason, flags, limit,
  vetoes, inputs or scores kept);
* both removed.

The variants are made by editing the generated source; each edit must change it, and every
variant's levels are checked against the baseline before any time is printed. The
variants exist only in this script: they are not correct evaluators (see the second
bullet). Prints microseconds per record and the ratio of the baseline's time to each, so
1.0 is "as fast as the baseline". Timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (benchmarks/run.py: the records and the baselines)

import starrules  # noqa: E402
from starrules import compiler  # noqa: E402

# the class check before a memo lookup: `K35[r2] if (c := type(r2)) is str or ... else K36[c][r2]`
CHECKED = re.compile(r"(v\d+ = )(K\d+)\[(r\d+)\] if \(c := type\(r\d+\)\).*?(  # line)")
RESULT = re.compile(r"return FAST\(LAZY, 'rated'.*")


def variant(scheme: starrules.Scheme, *edits: tuple[re.Pattern[str], str]) -> Callable[[dict[str, Any]], Any]:
    """The scheme's generated ``evaluate`` with each pattern replaced; each must match."""
    source = compiler._Gen(scheme.program).module()
    for pattern, replacement in edits:
        source, count = pattern.subn(replacement, source)
        if count == 0:
            raise SystemExit(f"the generated code no longer has {pattern.pattern!r}: update this script")
    namespace: dict[str, Any] = {"PROGRAM": scheme.program, "INPUTS": scheme.program.inputs}
    exec(compile(source, "<variant>", "exec"), namespace)
    function: Callable[[dict[str, Any]], Any] = namespace["evaluate"]
    return function


def level_of(answer: Any) -> int:
    return answer if isinstance(answer, int) else answer.level_rank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=20_000)
    args = parser.parse_args()
    scheme = starrules.load(ROOT / "schemes" / "anyang.star")
    records = bench.make_records(args.entities, 3_000)
    typed = [bench.typed_record(r) for r in records]
    text_baseline, typed_baseline = bench.make_baselines()
    as_is = scheme.compiled.function
    unchecked = variant(scheme, (CHECKED, r"\1\2[\3]\4"))
    level_only = variant(scheme, (RESULT, "return rank"))
    neither = variant(scheme, (CHECKED, r"\1\2[\3]\4"), (RESULT, "return rank"))
    rows = [("starrules: Scheme.evaluate", scheme.evaluate), ("starrules: its generated function", as_is),
            ("  without the class checks", unchecked), ("  giving the level, no Result", level_only),
            ("  both", neither)]
    print(f"{args.entities:,} Anyang records; microseconds per record, and the baseline's time over each")
    for kind, recs, baseline in (("text", records, text_baseline), ("typed", typed, typed_baseline)):
        # Without the class checks a set of honours (typed) is looked up as it is, unhashable,
        # and the record goes to the exact path: those variants are measured on texts only.
        chosen = [("hand-written baseline", baseline)] + [
            (label, fn) for label, fn in rows if kind == "text" or fn not in (unchecked, neither)]
        for r in recs:  # the same levels first
            expected = baseline(r)[0]
            assert all(level_of(fn(r)) == expected for _label, fn in chosen[1:]), r
        times = [1e6 / rate for rate in bench.rates([fn for _label, fn in chosen], recs, 9)]  # µs a record
        print(f"{kind}:")
        for (label, _fn), t in zip(chosen, times, strict=True):
            print(f"  {label:<38} {t:6.2f} µs  {times[0] / t:5.2f}")


if __name__ == "__main__":
    main()
