"""Static analysis over the declared input domains: the range every score can take.

Takes the checked :class:`~starrules.model.Program`; gives the closed interval each score
can reach (interval arithmetic over the declared ranges of the inputs, sound but not
always tight: the true range lies inside), and from it the levels a band can give. The
checker uses it to warn about levels no entity can reach and quotas that ask for them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from math import gcd
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


def _add(a: Grid | None, b: Grid | None) -> Grid | None:
    return None if a is None or b is None else a + b


def _union(a: Grid | None, b: Grid | None) -> Grid | None:
    return None if a is None or b is None else a.union(b)


def _tighter(a: Decimal | None, a_closed: bool, b: Decimal | None, b_closed: bool,
             pick: Callable[[Decimal, Decimal], Decimal]) -> tuple[Decimal | None, bool]:
    """Of two ends of the same side (None: unbounded), the one ``pick`` (max for low ends,
    min for high ends) keeps; on a tie the end is closed only if both are."""
    if a is None or b is None:
        return (b, b_closed) if a is None else (a, a_closed)
    if a == b:
        return a, a_closed and b_closed
    return (a, a_closed) if pick(a, b) == a else (b, b_closed)


def _decimal(q: Fraction) -> Decimal:
    """A fraction as a Decimal: exact when it has a finite decimal expansion, else to 28 places."""
    with localcontext(WIDE):
        return Decimal(q.numerator) / Decimal(q.denominator)


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


@attrs.frozen
class Grid:
    """The values a number can take lie on ``offset + k * step`` for whole k: a score input
    declared ``step 0.1`` from 0 is on 0 + 0.1k, a count on 0 + 1k; ``step`` 0 is a single
    value. Sums of values on grids lie on the grid of the greatest common step, so the
    band's score has one too. None (where a grid is expected) means any value."""

    offset: Fraction
    step: Fraction

    def __attrs_post_init__(self) -> None:
        if self.step:  # the offset reduced to [0, step), so equal grids compare equal
            object.__setattr__(self, "offset", self.offset % self.step)

    def union(self, other: Grid) -> Grid:
        """The coarsest grid holding the values of both."""
        return Grid(self.offset, _gcd(_gcd(self.step, other.step), other.offset - self.offset))

    def __add__(self, other: Grid) -> Grid:
        return Grid(self.offset + other.offset, _gcd(self.step, other.step))

    def __neg__(self) -> Grid:
        return Grid(-self.offset, self.step)

    def __mul__(self, other: Grid) -> Grid:
        # (a + sx)(b + ty) = ab + a·ty + b·sx + st·xy
        return Grid(self.offset * other.offset,
                    _gcd(_gcd(self.offset * other.step, other.offset * self.step), self.step * other.step))

    def nearest(self, target: Fraction, lo: Fraction | None, lo_closed: bool,
                hi: Fraction | None, hi_closed: bool) -> Fraction | None:
        """The value of the grid nearest ``target`` (the lower on a tie) within the given
        ends (None: unbounded), or None when no value of the grid lies between them."""
        def inside(v: Fraction) -> bool:
            return (lo is None or v > lo or (lo_closed and v == lo)) and \
                (hi is None or v < hi or (hi_closed and v == hi))

        if not self.step:
            return self.offset if inside(self.offset) else None
        k = (target - self.offset) // self.step
        below, above = self.offset + k * self.step, self.offset + (k + 1) * self.step
        if lo is not None:  # the first value of the grid at or past the low end
            first = self.offset + -((self.offset - lo) // self.step) * self.step
            if first == lo and not lo_closed:
                first += self.step
            below, above = max(below, first), max(above, first)
        if hi is not None:
            last = self.offset + ((hi - self.offset) // self.step) * self.step
            if last == hi and not hi_closed:
                last -= self.step
            below, above = min(below, last), min(above, last)
        best = below if abs(target - below) <= abs(above - target) else above
        return best if inside(best) else None


def _gcd(a: Fraction, b: Fraction) -> Fraction:
    """The greatest common step of two exact numbers: every multiple of either is a whole
    multiple of it (gcd(0.3, 0.5) = 0.1; gcd(x, 0) = |x|)."""
    a, b = abs(a), abs(b)
    den = a.denominator * b.denominator // gcd(a.denominator, b.denominator)
    return Fraction(gcd(int(a * den), int(b * den)), den)


def _exact(v: Decimal) -> Fraction:
    return Fraction(v)


def _grid_point(v: Decimal) -> Grid:
    return Grid(_exact(v), Fraction(0))


INTEGERS = Grid(Fraction(0), Fraction(1))


def input_grid(inp: m.Input) -> Grid | None:
    spec = inp.spec
    if isinstance(spec, n.ScoreType):  # (a step that is not positive is refused, E302)
        return Grid(_exact(spec.low), _exact(spec.step)) if spec.step is not None and spec.step > 0 else None
    if isinstance(spec, n.CountType):
        return INTEGERS
    return None


class Ranges:
    """The interval of every score of a program, computed in dependency order, and the
    grid its values lie on (see :class:`Grid`)."""

    def __init__(self, program: m.Program) -> None:
        self.program = program
        self.inputs = {i.name: input_range(i) for i in program.inputs}
        self.declared = {i.name: i for i in program.inputs}  # looked up by name: linear, not quadratic
        self.scores: dict[str, Interval] = {}
        self.grids: dict[str, Grid | None] = {}
        with localcontext(WIDE):  # exact for any numbers a scheme can declare
            for score in program.scores:
                self.scores[score.name] = self._score(score)
                self.grids[score.name] = self._score_grid(score)

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

    def _score_grid(self, score: m.Score) -> Grid | None:
        if score.expr is not None:
            return self.grid(score.expr)
        if score.kind == "badges":
            return INTEGERS
        total: Grid | None = _grid_point(Decimal(0))
        for entry in score.entries:
            total = _add(total, self.grid(entry.expr))
        if score.cap is not None:  # the capped sum is the sum or the cap
            total = _union(total, _grid_point(score.cap))
        return total

    def grid(self, e: m.Expr) -> Grid | None:
        """The grid the values of a number lie on; None when it can be any value."""
        if isinstance(e, (n.Number, n.Percent)):
            return _grid_point(e.value)
        if isinstance(e, m.Ref):
            if e.kind == "input":
                inp = self.declared.get(e.name)
                return input_grid(inp) if inp is not None else None
            return self.grids.get(e.name)
        if isinstance(e, n.BinOp):
            a, b = self.grid(e.left), self.grid(e.right)
            if e.op == "+":
                return _add(a, b)
            if e.op == "-":
                return _add(a, None if b is None else -b)
            return None if a is None or b is None else a * b
        if isinstance(e, n.Each):
            a, b = self.grid(e.amount), self.grid(e.count)
            return None if a is None or b is None else a * b
        if isinstance(e, n.Neg):
            inner = self.grid(e.operand)
            return None if inner is None else -inner
        if isinstance(e, n.When):  # the value, or 0
            return _union(self.grid(e.value), _grid_point(Decimal(0)))
        if isinstance(e, n.IfElse):
            return _union(self.grid(e.then), self.grid(e.otherwise))
        if isinstance(e, n.Call) and e.func in ("sum", "max", "min"):
            grids = [self.grid(a) for a in e.args]
            out = grids[0]
            for g in grids[1:]:
                out = _add(out, g) if e.func == "sum" else _union(out, g)
            return out
        if isinstance(e, n.Weighted):
            if e.round_to is not None:  # rounded half up to multiples of the step
                return Grid(Fraction(0), _exact(e.round_to))
            total = sum((_exact(w.value) for w in e.weights), Fraction(0))
            if len(e.weights) != len(e.args):  # refused (E303)
                return None
            combined: Grid | None = _grid_point(Decimal(0))
            for w, arg in zip(e.weights, e.args, strict=True):
                part = self.grid(arg)
                combined = _add(combined, None if part is None else part * Grid(_exact(w.value) / total, Fraction(0)))
            return combined
        if isinstance(e, n.Table):  # one entry, a sum of entries, or 0: multiples of their common step
            step = Fraction(0)
            for t in e.entries:
                step = _gcd(step, _exact(t.value))
            return Grid(Fraction(0), step)
        return None

    def value_in(self, e: m.Expr, low: Decimal | None, low_closed: bool,
                 high: Decimal | None, high_closed: bool) -> Decimal | None:
        """A value the number can take between ``low`` and ``high`` (ends as declared; None:
        unbounded) that lies within its range and on its grid: the one nearest the middle of
        what is left, or None when there is none. Sound: None is certain."""
        x = self.of(e)
        lo, lo_closed = _tighter(low, low_closed, None if x.lo.is_infinite() else x.lo, True, max)
        hi, hi_closed = _tighter(high, high_closed, None if x.hi.is_infinite() else x.hi, True, min)
        if lo is not None and hi is not None and (lo > hi or (lo == hi and not (lo_closed and hi_closed))):
            return None
        if lo is not None and hi is not None:
            target = (_exact(lo) + _exact(hi)) / 2
        elif lo is not None:
            target = _exact(lo) + (0 if lo_closed else 1)
        elif hi is not None:
            target = _exact(hi) - (0 if hi_closed else 1)
        else:
            target = Fraction(0)
        grid = self.grid(e)
        if grid is None:
            found = target
        else:
            point = grid.nearest(target, None if lo is None else _exact(lo), lo_closed,
                                 None if hi is None else _exact(hi), hi_closed)
            if point is None:
                return None
            found = point
        return _decimal(found)

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
        if len(e.weights) != len(e.args):  # refused (E303); ranges are still asked for its gaps
            return EVERYTHING
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
