"""The fuzzer's one check: whatever the text, the library answers in its own words.

:func:`check_text` loads a scheme text and, when it loads, evaluates records on both
engines. It fails (``AssertionError``) on an exception that is not the library's own
(``StarSyntaxError``/``StarCheckError`` while loading, ``InputError`` or another
``StarError`` while evaluating), on compiled code that is not valid Python, and on the
engines giving different results. It returns the seconds the load took, which the
caller reports (and, in ``make fuzz`` mode, holds under :data:`SLOW`).
"""

from __future__ import annotations

import glob
import os
import re
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import starrules
from starrules.errors import StarDiagnosticError, StarError

ROOT = Path(__file__).resolve().parents[2]
SLOW = 1.0  # seconds: a load slower than this is a bug (held in `make fuzz` mode)
LONG = os.environ.get("STARRULES_FUZZ_LONG") == "1"  # set by `make fuzz`

# Values no declaration admits, or only oddly written: each must come back as a result
# or an InputError, never an internal error.
ODD_VALUES: list[Any] = [
    "NaN", "nan", "Infinity", "-Infinity", "inf", float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity"),
    Decimal("sNaN"), "９０", "１２.５", "٣", "1e999999", "1e-999999", "9" * 5000, 10**5000, -(10**40), "", " ",
    "\u200b", "ℌ", "x" * 100_000, True, None, [], {}, "1,000,000", "50％", "-0", "0x10", "1_000",
]


def seeds() -> list[str]:
    """Every bundled scheme and every ``star`` example of the docs."""
    out = [Path(f).read_text(encoding="utf-8") for f in sorted(glob.glob(str(ROOT / "schemes" / "**" / "*.star"),
                                                                      recursive=True))]
    for doc in sorted((ROOT / "docs").glob("*.md")):
        out += re.findall(r"^```star[^\n]*\n(.*?)^```", doc.read_text(encoding="utf-8"), re.M | re.S)
    return out


def outcome(scheme: starrules.Scheme, record: dict[str, Any], engine: str) -> object:
    try:
        result = scheme.evaluate(record, engine=engine, period=2024 if scheme.program.in_force else None)
    except StarError as exc:
        return type(exc).__name__
    # numbers compared by value: trailing zeros carry no meaning (docs/language.md §13)
    return (result.status, result.level, result.band_level, result.reason, result.total,
            tuple(sorted(result.scores.items())), result.flags, result.badges)


def check_text(text: str, records: Sequence[dict[str, Any]] = ()) -> float:
    start = time.perf_counter()
    try:
        scheme = starrules.loads(text, "fuzz.star")
    except StarDiagnosticError as exc:
        assert exc.diagnostics, "a diagnostic error with no diagnostic"
        for d in exc.diagnostics:
            assert d.span.line >= 1 and d.span.column >= 1, d
        exc.render()
        return time.perf_counter() - start
    took = time.perf_counter() - start
    if scheme.program.uses_history:
        return took
    compile(scheme.compiled.source, "<compiled>", "exec")  # made and valid Python
    for record in records:
        reference, compiled = outcome(scheme, record, "reference"), outcome(scheme, record, "compiled")
        assert reference == compiled, f"the engines differ on {record!r}: {reference!r} != {compiled!r}\n{text}"
    return took
