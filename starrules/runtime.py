"""The runtime both evaluators share: exact arithmetic and the helpers whose meaning
must be identical in the reference interpreter and in compiled code.

Takes values already read from the inputs; gives exact ``Decimal`` results. Compiled
code imports only the names listed in ``__all__``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow, localcontext
from fractions import Fraction
from math import floor
from typing import Any

import attrs

from starrules import model as m
from starrules.errors import InputError, InputProblem, PeriodError
from starrules.result import Past, Result
from starrules.values import coerce

__all__ = [
    "BOOLS",
    "COMPARE",
    "EXACT",
    "HUNDRED",
    "ONE",
    "ZERO",
    "C",
    "D",
    "InputError",
    "Result",
    "check_period",
    "each_of",
    "flagged",
    "highest",
    "history_level",
    "lookup",
    "read_history",
    "round_half_up",
    "slow",
    "to_decimal",
    "vetoed",
    "weighted",
]

# ---- for compiled code --------------------------------------------------------------

D = Decimal
ONE = Decimal(1)
HUNDRED = Decimal(100)
EMPTY: frozenset[str] = frozenset()
# the spellings of yes and no the compiled fast path reads; all others go to the shared reader
BOOLS: dict[object, bool] = {True: True, False: False, "是": True, "否": False, "yes": True, "no": False,
                             "true": True, "false": False, "1": True, "0": False}


def slow(inp: m.Input, raw: object, problems: list[InputProblem]) -> object:
    """The shared reader (:func:`starrules.values.coerce`), for every value the fast
    path of compiled code does not take: same values, same messages."""
    value, problem = coerce(inp, raw)
    if problem:
        problems.append(InputProblem(inp.name, raw, problem))
    return value


# Wide enough that no sum or product of declared inputs is ever rounded; any inexact
# result is trapped, so a rounding the scheme did not ask for is an error, never silent.
EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])
ZERO = Decimal(0)
C = EXACT

COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def check_period(program: m.Program, period: int | None) -> None:
    """The period must be given when the scheme reads history, and lie in force."""
    if period is None:
        if program.uses_history:
            raise PeriodError(f"{program.source_name} reads earlier outcomes, so it needs the period "
                              "being rated (period=2024, or --period 2024)")
        return
    if program.in_force is not None:
        first, last = program.in_force
        if period < first or (last is not None and period > last):
            span = f"{first}..{last}" if last is not None else f"{first} on"
            raise PeriodError(f"{program.title} version {program.version or '-'} is in force for {span}, "
                              f"not for {period}")


def read_history(program: m.Program, items: Iterable[Past | Mapping[str, Any]] | None) -> tuple[Past, ...]:
    """Earlier outcomes as :class:`Past` values; raises InputError for a malformed one."""
    out: list[Past] = []
    problems: list[InputProblem] = []
    for item in items or ():
        if isinstance(item, Past):
            past = item
        else:
            try:
                past = Past(
                    period=int(str(item["period"])),
                    level=item.get("level"),
                    status=str(item.get("status") or "rated"),
                    vetoes=tuple(str(v) for v in item.get("vetoes") or ()),
                    flags=tuple(str(f) for f in item.get("flags") or ()),
                )
            except (KeyError, ValueError, TypeError):
                problems.append(InputProblem("history", item, "an earlier outcome with its period, level, "
                                             "status, vetoes and flags"))
                continue
        level = past.level
        if isinstance(level, str) and program.levels.stars and level.strip().isdigit():
            past = attrs.evolve(past, level=int(level))
        if past.level is not None and past.level not in program.levels.values:
            problems.append(InputProblem("history", past.level, "a level of this scheme: "
                                         + ", ".join(str(v) for v in program.levels.values)))
            continue
        out.append(past)
    if problems:
        raise InputError(problems)
    return tuple(sorted(out, key=lambda p: p.period))


def to_decimal(q: Fraction) -> Decimal:
    """An exact Decimal for a fraction with a finite decimal expansion."""
    with localcontext(EXACT):
        return Decimal(q.numerator) / Decimal(q.denominator)


def round_half_up(q: Fraction, step: Decimal) -> Decimal:
    scaled = q / Fraction(step)
    r = floor(scaled + Fraction(1, 2)) if scaled >= 0 else -floor(-scaled + Fraction(1, 2))
    with localcontext(EXACT):
        return Decimal(r) * step


def weighted(weights: Sequence[Decimal], values: Sequence[Decimal], round_to: Decimal | None) -> Decimal:
    """Raters combined by weights (a ratio, or percentages summing to 100%)."""
    total = sum((Fraction(w) for w in weights), Fraction(0))
    combined = sum((Fraction(w) * Fraction(v) for w, v in zip(weights, values, strict=True)), Fraction(0)) / total
    if round_to is not None:
        return round_half_up(combined, round_to)
    return to_decimal(combined)


def highest(table: Mapping[str, Decimal], members: Iterable[str]) -> Decimal:
    """The largest entry among the members of a set that the table lists (0 for none)."""
    return max((table[x] for x in members if x in table), default=ZERO)


def each_of(table: Mapping[str, Decimal], members: Iterable[str]) -> Decimal:
    """The sum of the entries of the members of a set."""
    with localcontext(EXACT):
        return sum((table[x] for x in members if x in table), ZERO)


def lookup(table: Mapping[str, Decimal], value: str) -> Decimal:
    return table.get(value, ZERO)


def _past(history: Sequence[Past], period: int | None, periods: int) -> list[Past]:
    assert period is not None
    return [p for p in history if period - periods <= p.period < period]


def vetoed(history: Sequence[Past], period: int | None, periods: int, name: str | None) -> bool:
    """A veto (that one, or any) applied in one of the ``periods`` periods before."""
    return any(name in p.vetoes if name is not None else bool(p.vetoes) for p in _past(history, period, periods))


def flagged(history: Sequence[Past], period: int | None, periods: int, name: str) -> bool:
    return any(name in p.flags for p in _past(history, period, periods))


def history_level(history: Sequence[Past], period: int | None, periods: int, op: str, rank: int,
                  values: Sequence[int | str]) -> bool:
    """Rated, with the level compared so, in each of the ``periods`` periods before."""
    assert period is not None
    by_period = {p.period: p for p in history}
    for year in range(period - periods, period):
        past = by_period.get(year)
        if past is None or past.level is None or past.status != "rated":
            return False
        if not COMPARE[op](values.index(past.level), rank):
            return False
    return True
