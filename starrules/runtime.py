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
from starrules.i18n import _
from starrules.result import Lazy, Past, Result
from starrules.values import coerce

__all__ = [
    "COMPARE",
    "EXACT",
    "MEMO_LIMIT",
    "NUMBER_KEYS",
    "SEQS",
    "SET_KEYS",
    "ZERO",
    "C",
    "D",
    "InputError",
    "Lazy",
    "Memo",
    "Result",
    "Slow",
    "big",
    "check_period",
    "div_exact",
    "div_half_up",
    "each_of",
    "flagged",
    "highest",
    "history_level",
    "input_memo",
    "lookup",
    "read_history",
    "read_values",
    "round_half_up",
    "table_memo",
    "to_decimal",
    "vetoed",
    "weighted",
]

# ---- for compiled code --------------------------------------------------------------

D = Decimal


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
            raise PeriodError(_("{name} reads earlier outcomes, so it needs the period being rated "
                                "(--period 2024, or period=2024 in Python)").format(name=program.source_name))
        return
    if program.in_force is not None:
        first, last = program.in_force
        if period < first or (last is not None and period > last):
            span = (_("{first} to {last}").format(first=first, last=last) if last is not None
                    else _("{first} on").format(first=first))
            raise PeriodError(_("{title} version {version} is in force for {span}, not for {period}").format(
                title=program.title, version=program.version or "-", span=span, period=period))


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


def read_values(inputs: Sequence[m.Input], raw: Mapping[str, object]) -> tuple[object, ...]:
    """Every input read from ``raw`` as the reference interpreter reads it; raises
    InputError listing every bad one."""
    values: list[object] = []
    problems: list[InputProblem] = []
    get = raw.get
    for inp in inputs:
        value, problem = coerce(inp, get(inp.name))
        if problem:
            problems.append(InputProblem(inp.name, get(inp.name), problem))
        values.append(value)
    if problems:
        raise InputError(problems)
    return tuple(values)


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


# ---- the compiled fast path: scaled integers --------------------------------------
#
# The fast path of compiled code keeps every number as an integer scaled by a power of
# ten the compiler fixed from the declarations (a score in steps of 0.1: tenths). It
# takes only what it can compute exactly so; anything else (a value with more decimal
# places than its scale, a bad value, a division that does not come out) raises
# ``Slow``, and the entity is evaluated again on the exact Decimal path, which gives
# the reference interpreter's answer or its error. Reading an input is one dict
# lookup: each input has a ``Memo`` from the raw value to the value as read.

MEMO_LIMIT = 50_000  # values remembered per input and per kind of value; more are read each time

# Kinds of raw value remembered apart from texts: within each of these classes, equal
# values are read alike (for ``Decimal`` because ``values.too_many_digits`` counts
# significant digits, so 1 and 1.0 and 1.000 are one value). Across classes they are not:
# ``True == 1 == 1.0`` but a count refuses ``True``, a yes/no refuses ``1.0``, and a big
# float is read through its shortest text, not as the integer it equals; so each class
# has its own memo. Any other class (a subclass, numpy's numbers) is read every time.
MEMO_CLASSES = frozenset({int, bool, float, Decimal, type(None), frozenset})


# Raw values of a set input read as the frozenset of their items (the reader does just
# that), so remembered under it: a database driver's list, a Python set or tuple.
SEQS = frozenset({list, set, tuple})
# Raw values a number input's memo keeps in ``seen`` (see ``Memo``); ``D`` in compiled code.
NUMBER_KEYS = frozenset({str, int, Decimal})
SET_KEYS = frozenset({str, frozenset})  # and a set input's


class Slow(Exception):  # noqa: N818 - a signal, not an error
    """The fast path does not take this entity: the exact path decides."""


class Memo:
    """An input's reader with memory: raw value -> value as read. A spreadsheet column
    holds few distinct values, so reading one is a dict lookup, which compiled code makes
    itself in ``seen`` and ``by`` (plain dicts, the fastest to look up) and, for a value
    they do not hold, calls the memo: ``memo(raw)`` reads it and remembers it where it may.
    A value the declaration refuses raises :class:`Slow` and is not remembered; ``read``
    reads without remembering.

    ``seen`` holds values of the classes ``keep``: texts, and for a number input (a score,
    a count, a percentage) ints and Decimals too, so a typed column is one lookup: an
    ``int`` reads as the ``Decimal`` of its value, and a ``Decimal``'s reading depends on
    its value alone (range, step, digits), so equal ints and Decimals read alike; for a set
    input, frozensets (no text equals one). Values of the other classes of
    ``MEMO_CLASSES`` go to ``by[value.__class__]``, a dict of that class alone, so
    ``True``, ``1``, ``1.0`` and ``Decimal(1)`` never meet (``True == 1``; a float is read
    through its shortest text, which is not always the value it equals). Values of any
    other class (a subclass, numpy's numbers) are read every time."""

    __slots__ = ("by", "keep", "read", "seen")

    def __init__(self, read: Callable[[Any], Any], keep: frozenset[type] = frozenset({str})) -> None:
        self.read = read
        self.keep = keep
        self.seen: dict[Any, Any] = {}
        self.by: dict[type, dict[Any, Any]] = {}

    def __call__(self, raw: Any) -> Any:
        cls = type(raw)
        if cls in self.keep:
            memo = self.seen
        elif cls in MEMO_CLASSES:
            memo = self.by.setdefault(cls, {})
        else:
            return self.read(raw)
        value = memo.get(raw, _NOT_MET)
        if value is not _NOT_MET:
            return value
        value = self.read(raw)
        if len(memo) < MEMO_LIMIT:
            memo[raw] = value
        return value


_NOT_MET: Any = object()


class _Table(dict[Any, Any]):
    """A set's ``highest`` or ``each_of`` over a table, remembered per set (frozenset)."""

    __slots__ = ("find",)

    def __init__(self, find: Callable[[Any], Any]) -> None:
        super().__init__()
        self.find = find

    def __missing__(self, members: Any) -> Any:
        value = self.find(members)
        if len(self) < MEMO_LIMIT:
            self[members] = value
        return value


def _scaled(d: Decimal, scale: int) -> int:
    n = d.scaleb(scale, EXACT)
    if n != n.to_integral_value():
        raise Slow
    return int(n)


def input_memo(inp: m.Input, scale: int | None) -> Memo:
    """The reader of one input for the fast path: numbers as integers scaled by
    ``10**scale``, other values as the reference interpreter reads them."""

    def read(raw: object) -> object:
        value, problem = coerce(inp, raw)
        if problem:
            raise Slow
        if scale is not None:
            assert isinstance(value, Decimal)
            return _scaled(value, scale)
        return value

    if inp.type.kind in ("number", "count", "percent"):
        return Memo(read, NUMBER_KEYS)
    if inp.type.kind == "set":
        return Memo(read, SET_KEYS)
    return Memo(read)


def table_memo(kind: str, table: Mapping[str, int]) -> dict[Any, int]:
    """``highest`` or ``each_of`` over a table of scaled integers, remembered per set."""
    if kind == "highest":
        return _Table(lambda members: max((table[x] for x in members if x in table), default=0))
    return _Table(lambda members: sum(table[x] for x in members if x in table))


def div_half_up(num: int, den: int) -> int:
    """num / den rounded half away from zero (den > 0), as ``round_half_up`` does."""
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


def div_exact(num: int, den: int) -> int:
    q, r = divmod(num, den)
    if r:
        raise Slow
    return q


_BIG = 10**80


def big(value: int) -> int:
    """A value on the fast path that may be too long for the reference's 80 digits."""
    if -_BIG < value < _BIG:
        return value
    raise Slow
