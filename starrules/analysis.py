"""Static analysis over the declared input domains: the range every score can take.

Takes the checked :class:`~starrules.model.Program`; gives the closed interval each score
can reach (interval arithmetic over the declared ranges of the inputs, sound but not
always tight: the true range lies inside), and from it the levels a band can give. The
checker uses it to warn about levels no entity can reach and quotas that ask for them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal, localcontext
from typing import Any

import attrs

from starrules import model as m
from starrules import nodes as n

INF = Decimal("Infinity")
# Scheme numbers have at most 30 digits; products of a few stay far inside 400. A result
# that would need more is rounded, which only matters for ranges no rating reaches.
WIDE = Context(prec=400, Emax=10**6, Emin=-(10**6))


def _mul(a: Decimal, b: Decimal) -> Decimal:
    return Decimal(0) if a == 0 or b == 0 else a * b  # 0 × ∞ is 0 here: no occurrence, no points


@attrs.frozen
class Interval:
    """[lo, hi]; an unbounded end is -Infinity or Infinity."""

    lo: Decimal
    hi: Decimal

    def hull(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def __add__(self, other: Interval) -> Interval:
        lo = -INF if -INF in (self.lo, other.lo) else self.lo + other.lo
        hi = INF if INF in (self.hi, other.hi) else self.hi + other.hi
        return Interval(lo, hi)

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __mul__(self, other: Interval) -> Interval:
        products = [_mul(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(products), max(products))

    def meets(self, low: Decimal | None, low_closed: bool, high: Decimal | None, high_closed: bool) -> bool:
        """Whether some value of the interval lies in the band [low, high] (ends as declared)."""
        if low is not None and (self.hi < low or (self.hi == low and not low_closed)):
            return False
        return not (high is not None and (self.lo > high or (self.lo == high and not high_closed)))


ZERO = Interval(Decimal(0), Decimal(0))
EVERYTHING = Interval(-INF, INF)


def _point(v: Decimal) -> Interval:
    return Interval(v, v)


def input_range(inp: m.Input) -> Interval:
    spec = inp.spec
    if isinstance(spec, n.ScoreType):
        return Interval(spec.low, spec.high)
    if isinstance(spec, n.CountType):
        return Interval(Decimal(spec.low), INF if spec.high is None else Decimal(spec.high))
    if isinstance(spec, n.PercentType):
        return Interval(Decimal(0), Decimal(1))
    return EVERYTHING


class Ranges:
    """The interval of every score of a program, computed in dependency order."""

    def __init__(self, program: m.Program) -> None:
        self.program = program
        self.inputs = {i.name: input_range(i) for i in program.inputs}
        self.scores: dict[str, Interval] = {}
        with localcontext(WIDE):  # exact for any numbers a scheme can declare
            for score in program.scores:
                self.scores[score.name] = self._score(score)

    def _score(self, score: m.Score) -> Interval:
        if score.expr is not None:
            return self.of(score.expr)
        if score.kind == "badges":
            return Interval(Decimal(0), Decimal(len(score.entries)))
        total = ZERO
        for entry in score.entries:
            total = total + self.of(entry.expr)
        if score.cap is not None:
            total = Interval(min(total.lo, score.cap), min(total.hi, score.cap))
        return total

    def of(self, e: m.Expr) -> Interval:
        handler: Callable[[Any], Interval] | None = getattr(self, "_" + type(e).__name__, None)
        with localcontext(WIDE):
            return handler(e) if handler is not None else EVERYTHING

    def _Number(self, e: n.Number) -> Interval:  # noqa: N802
        return _point(e.value)

    def _Percent(self, e: n.Percent) -> Interval:  # noqa: N802
        return _point(e.value)

    def _Ref(self, e: m.Ref) -> Interval:  # noqa: N802
        return self.inputs[e.name] if e.kind == "input" else self.scores.get(e.name, EVERYTHING)

    def _BinOp(self, e: n.BinOp) -> Interval:  # noqa: N802
        a, b = self.of(e.left), self.of(e.right)
        return a + b if e.op == "+" else a + (-b) if e.op == "-" else a * b

    def _Each(self, e: n.Each) -> Interval:  # noqa: N802
        return self.of(e.amount) * self.of(e.count)

    def _Neg(self, e: n.Neg) -> Interval:  # noqa: N802
        return -self.of(e.operand)

    def _When(self, e: n.When) -> Interval:  # noqa: N802
        return self.of(e.value).hull(ZERO)

    def _IfElse(self, e: n.IfElse) -> Interval:  # noqa: N802
        return self.of(e.then).hull(self.of(e.otherwise))

    def _Call(self, e: n.Call) -> Interval:  # noqa: N802
        parts = [self.of(a) for a in e.args]
        if e.func == "sum":
            total = ZERO
            for p in parts:
                total = total + p
            return total
        if e.func in ("max", "min"):
            pick = max if e.func == "max" else min
            return Interval(pick(p.lo for p in parts), pick(p.hi for p in parts))
        return EVERYTHING

    def _Weighted(self, e: n.Weighted) -> Interval:  # noqa: N802
        total = sum((w.value for w in e.weights), Decimal(0))
        result = ZERO
        for w, a in zip(e.weights, e.args, strict=True):
            # a share w / total of each rater's range; outward rounding keeps it sound
            result = result + self.of(a) * Interval(w.value / total, w.value / total)
        if e.round_to is not None:  # rounding moves a value by at most half a step
            half = e.round_to / 2
            result = result + Interval(-half, half)
        return result

    def _Table(self, e: n.Table) -> Interval:  # noqa: N802
        values = [t.value for t in e.entries] + [Decimal(0)]
        if e.kind == "each_of":
            return Interval(sum((v for v in values if v < 0), Decimal(0)), sum((v for v in values if v > 0), Decimal(0)))
        return Interval(min(values), max(values))

    def reachable_ranks(self) -> set[int] | None:
        """The levels the band (or 'level from') can give, before any override; None when
        the band's score is unbounded both ways and nothing can be said."""
        band = self.program.band
        if band is None:
            return None
        x = self.of(band.score)
        if band.direct:
            values = self.program.levels.values
            lo = 0 if x.lo.is_infinite() else max(0, int(x.lo))
            hi = len(values) - 1 if x.hi.is_infinite() else min(len(values) - 1, int(x.hi))
            return {values.index(v) for v in values if isinstance(v, int) and lo <= v <= hi}
        ranks = {r.rank for r in band.ranges if x.meets(r.low, r.low_closed, r.high, r.high_closed)}
        if band.else_rank is not None:
            ranks.add(band.else_rank)
        return ranks


# ---- conditions: always, never, or it depends ---------------------------------------

_ORDER = {"<", "<=", ">", ">=", "==", "!="}


def truth(ranges: Ranges, e: m.Expr) -> bool | None:
    """Whether a condition holds for every entity (True), for none (False), or depends
    (None), judged over the declared ranges. Sound: True and False are certain."""
    if isinstance(e, n.Bool):
        return e.value
    if isinstance(e, n.Not):
        inner = truth(ranges, e.operand)
        return None if inner is None else not inner
    if isinstance(e, (n.And, n.Or)):
        a, b = truth(ranges, e.left), truth(ranges, e.right)
        if isinstance(e, n.And):
            return False if False in (a, b) else (True if a is True and b is True else None)
        return True if True in (a, b) else (False if a is False and b is False else None)
    if isinstance(e, n.Compare) and e.op in _ORDER and not _is_level(e.left) and not _is_level(e.right):
        left, right = ranges.of(e.left), ranges.of(e.right)
        if EVERYTHING in (left, right):
            return None
        return _compare(e.op, left, right)
    return None


def _is_level(e: m.Expr) -> bool:
    return isinstance(e, (n.LevelExpr, m.LevelConst))


def _compare(op: str, a: Interval, b: Interval) -> bool | None:
    if op == "<":
        return True if a.hi < b.lo else False if a.lo >= b.hi else None
    if op == "<=":
        return True if a.hi <= b.lo else False if a.lo > b.hi else None
    if op == ">":
        return _compare("<", b, a)
    if op == ">=":
        return _compare("<=", b, a)
    if op == "==":
        if a.lo == a.hi == b.lo == b.hi:
            return True
        return False if a.hi < b.lo or b.hi < a.lo else None
    equal = _compare("==", a, b)
    return None if equal is None else not equal


def expressions(program: m.Program) -> list[tuple[str, m.Expr]]:
    """Every expression of a program, with what it belongs to (for finding references)."""
    out: list[tuple[str, m.Expr]] = []
    for s in program.scores:
        if s.expr is not None:
            out.append((f"score {s.name}", s.expr))
        for entry in s.entries:
            out.append((f"score {s.name}", entry.expr))
            if entry.applies is not None:
                out.append((f"score {s.name}", entry.applies))
    if program.band is not None:
        out.append(("band", program.band.score))
    for r in program.rules:
        out.append((f"{r.kind} {r.name}", r.condition))
    for p in program.population:
        if p.among is not None:
            out.append((f"{p.kind} {p.name}", p.among))
        for k in p.keys + p.tiebreak:
            out.append((f"{p.kind} {p.name}", k.ref))
    return out


def references(e: object) -> set[tuple[str, str]]:
    """The inputs and scores an expression reads, as (kind, name)."""
    found: set[tuple[str, str]] = set()

    def walk(x: object) -> None:
        if isinstance(x, m.Ref):
            found.add((x.kind, x.name))
        elif attrs.has(type(x)):
            for name in attrs.fields_dict(type(x)):  # type: ignore[arg-type]
                walk(getattr(x, name))
        elif isinstance(x, tuple):
            for value in x:
                walk(value)

    walk(e)
    return found
