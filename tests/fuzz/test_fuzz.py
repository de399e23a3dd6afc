"""The fuzzer: mutated scheme texts and odd input values (see harness.py for the check).

Texts are the bundled schemes and the docs' examples, mutated by Hypothesis: tokens
deleted, duplicated or swapped, numbers blown up to thousands of digits, expressions
nested deep, names replaced by odd Unicode, blocks emptied. Each loaded scheme is then
evaluated on generated records (both engines, compared) and on odd values (NaN, huge
numbers, full-width digits, long texts) that must come back as a result or an
InputError.

The normal suite runs a small budget; ``make fuzz`` sets ``STARRULES_FUZZ_LONG=1`` and
``STARRULES_FUZZ_EXAMPLES`` (many) so that it runs for ``STARRULES_FUZZ_MINUTES``, and
there a load over 1 s fails. Every bug found keeps its minimal text in
``tests/fuzz/regressions/*.txt`` (test_regressions.py).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from fuzz.harness import LONG, ODD_VALUES, SLOW, check_text, seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules.errors import StarDiagnosticError, StarError
from starrules.testing import inputs

SEEDS = seeds()
EXAMPLES = int(os.environ.get("STARRULES_FUZZ_EXAMPLES", "40"))
MINUTES = float(os.environ.get("STARRULES_FUZZ_MINUTES", "0") or 0)  # the whole budget (`make fuzz`)
TOKEN = re.compile(r'"[^"\n]*"|\d+(?:\.\d+)?%?|\w+|\S')
ODD_NAMES = ["ℌ", "ﬁ", "Ⅸ", "ｘ", "x\u0301", "__import__", "os.system", "'\"", "_\\n", "a" * 300, "数量²", "ℍ", "K"]


MAX_TEXT = 100_000  # characters: longer texts are cut (the 1 s budget is for a scheme's size; test_regressions loads 5 MB)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        if len(text) > MAX_TEXT:  # the 1 s budget is for texts of a scheme's size: see test_bounds.py
            break
        tokens = [m.span() for m in TOKEN.finditer(text)]
        if not tokens:
            break
        lo, hi = tokens[draw(st.integers(0, len(tokens) - 1))]
        word = text[lo:hi]
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "number", "nest", "chain", "name", "empty",
                                     "unicode"]))
        if kind == "delete":
            text = text[:lo] + text[hi:]
        elif kind == "duplicate":
            text = text[:hi] + " " + word + text[hi:]
        elif kind == "swap":
            lo2, hi2 = tokens[draw(st.integers(0, len(tokens) - 1))]
            if hi <= lo2:
                text = text[:lo] + text[lo2:hi2] + text[hi:lo2] + word + text[hi2:]
        elif kind == "number" and word[:1].isdigit():
            big = draw(st.sampled_from(["9" * 31, "9" * 4301, "1" + "0" * 40, "0." + "0" * 40 + "1", "1e9", "-0"]))
            text = text[:lo] + big + text[hi:]
        elif kind == "nest":
            depth = draw(st.sampled_from([10, 70, 300, 3000]))
            text = text[:lo] + "(" * depth + word + ")" * depth + text[hi:]
        elif kind == "chain":
            text = text[:lo] + " + ".join([word] * draw(st.sampled_from([5, 70, 1000]))) + text[hi:]
        elif kind == "name" and word[:1].isalpha():
            text = text.replace(word, draw(st.sampled_from(ODD_NAMES)))
        elif kind == "empty" and word == "{":
            end = text.find("}", hi)
            if end > 0:
                text = text[:hi] + " " + text[end:]
        elif kind == "unicode":
            text = text[:lo] + draw(st.text(min_size=1, max_size=3)) + text[hi:]
    return text[:MAX_TEXT] if len(text) > MAX_TEXT else text


def _report(took: float, text: str) -> None:
    if took > SLOW:
        print(f"\nslow load ({took:.2f} s):\n{text[:2000]}")
        assert not LONG, f"a load took {took:.2f} s"


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(text=mutated(), data=st.data())
def fuzz_texts(text: str, data: st.DataObject) -> None:
    records: list[dict[str, Any]] = []
    try:
        scheme = starrules.loads(text, "fuzz.star")
    except StarDiagnosticError:
        scheme = None
    if scheme is not None and not scheme.program.uses_history:
        records = [data.draw(inputs(scheme, edges=True)) for _ in range(3)]
    _report(check_text(text, records), text)


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(index=st.integers(0, len(SEEDS) - 1), data=st.data())
def fuzz_values(index: int, data: st.DataObject) -> None:
    try:
        scheme = starrules.loads(SEEDS[index], "seed.star")
    except StarDiagnosticError:
        return  # a docs example that is wrong on purpose
    assert scheme.inputs  # every loaded seed reads inputs
    if scheme.program.uses_history:
        return
    record = dict(data.draw(inputs(scheme)))
    field = data.draw(st.sampled_from([i.name for i in scheme.inputs]))
    record[field] = data.draw(st.sampled_from(ODD_VALUES))
    for engine in ("reference", "compiled"):
        try:
            scheme.evaluate(record, engine=engine, period=2024 if scheme.program.in_force else None)
        except StarError:
            pass  # InputError (or PeriodError): the library's own words


def rounds(run: Callable[[], None], share: float) -> int:
    """Runs a fuzz target once (EXAMPLES examples, fresh ones each time), then again
    until its share of the time budget is spent; gives the number of rounds."""
    end = time.monotonic() + 60 * MINUTES * share
    count = 0
    while True:
        run()
        count += 1
        if time.monotonic() >= end:
            return count


def test_mutated_texts_load_or_raise_a_diagnostic() -> None:
    assert rounds(fuzz_texts, 2 / 3) >= 1


def test_odd_values_give_a_result_or_an_input_error() -> None:
    assert rounds(fuzz_values, 1 / 3) >= 1
