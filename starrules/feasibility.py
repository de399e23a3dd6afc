"""Can quotas all hold together? Exact linear feasibility over counts of entities per level.

Takes bounds on how many entities hold some levels — "at least 2 at five stars", "at most
10% at four stars or above" — each a count plus a share of the number of entities n;
gives whether some n >= 1 and some spread of n entities over the levels meets them all,
and, when none does, a smallest set of the quotas that already cannot hold together.

Every level set a quota names is a run of consecutive levels (one level, the levels at or
above one, at or below one), so the levels between the ends of those runs move together:
the unknowns are the numbers of entities in each such segment, one real number >= 0
each. Feasibility over the reals is decided exactly (Fractions) by the first phase of the
simplex method with Bland's rule, which always ends; the systems are small (a row per
bound, a column per segment). A system the reals cannot meet cannot be met by whole
numbers either, so "cannot hold" is certain; the converse need not be (rounding a share
to whole entities is not modelled: shares are read exactly as written).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

import attrs


@attrs.frozen
class Bound:
    """``count(levels low..high) >= count + share * n`` (``lower``) or ``<=`` (upper),
    where n is the number of entities; ``source`` is the quota it comes from."""

    source: int
    low: int
    high: int
    lower: bool
    count: Fraction = Fraction(0)
    share: Fraction = Fraction(0)


def feasible(bounds: Sequence[Bound], levels: int) -> bool:
    """Whether some number of entities n >= 1, spread over ``levels`` levels (as real
    numbers), meets every bound."""
    return spread(bounds, levels) is not None


def spread(bounds: Sequence[Bound], levels: int) -> list[Fraction] | None:
    """A spread that meets every bound: how many entities (a real number >= 0) at each
    level, at least 1 in all; None when there is none."""
    cuts = sorted({0, levels} | {b.low for b in bounds} | {b.high + 1 for b in bounds})
    segments = list(itertools.pairwise(cuts))
    rows: list[tuple[list[Fraction], Fraction]] = [([Fraction(1)] * len(segments), Fraction(1))]  # n >= 1
    for b in bounds:
        inside = [Fraction(int(b.low <= lo and hi - 1 <= b.high)) for lo, hi in segments]
        # count(S) - share * n >= count, or share * n - count(S) >= -count
        sign = 1 if b.lower else -1
        rows.append(([sign * (x - b.share) for x in inside], sign * b.count))
    solution = _solve(rows, len(segments))
    if solution is None:
        return None
    out = [Fraction(0)] * levels  # each segment's entities on its first level
    for (lo, _), y in zip(segments, solution, strict=True):
        out[lo] = y
    return out


def smallest_conflict(bounds: Sequence[Bound], levels: int) -> list[int] | None:
    """The sources of a set of bounds that cannot all hold, none of which can be left out
    (each source kept, in the order given, unless the rest cannot hold without it); None
    when the bounds can all hold."""
    if feasible(bounds, levels):
        return None
    sources = list(dict.fromkeys(b.source for b in bounds))
    kept = list(sources)
    for source in reversed(sources):  # leave out the last quotas first: the first ones stay named
        trial = [s for s in kept if s != source]
        if not feasible([b for b in bounds if b.source in trial], levels):
            kept = trial
    return kept


def _solve(rows: list[tuple[list[Fraction], Fraction]], width: int) -> list[Fraction] | None:
    """A solution y >= 0 of ``a · y >= b`` for every row (a, b), or None: the first phase
    of the simplex method. Each row gets a surplus column and an artificial one; the sum
    of the artificial ones is minimised, and the rows can be met exactly when it comes to 0."""
    count = len(rows)
    cols = width + 2 * count  # y, surpluses, artificials
    table: list[list[Fraction]] = []
    for i, (a, b) in enumerate(rows):
        sign = -1 if b < 0 else 1  # a · y - s_i = b, with its right side made >= 0
        row = [sign * x for x in a] + [Fraction(-sign if j == i else 0) for j in range(count)]
        row += [Fraction(int(j == i)) for j in range(count)] + [sign * b]
        table.append(row)
    basis = [width + count + i for i in range(count)]
    # reduced costs of minimising the artificials' sum, with the artificials basic
    cost = [-sum((r[j] for r in table), Fraction(0)) if j < width + count else Fraction(0) for j in range(cols)]
    cost.append(-sum((r[-1] for r in table), Fraction(0)))
    while True:
        entering = next((j for j in range(cols) if cost[j] < 0), None)  # Bland: the first improving column
        if entering is None:
            if cost[-1] != 0:
                return None
            y = [Fraction(0)] * width
            for i, column in enumerate(basis):
                if column < width:
                    y[column] = table[i][-1]
            return y
        ratios = [(r[-1] / r[entering], basis[i], i) for i, r in enumerate(table) if r[entering] > 0]
        assert ratios, "the first phase is bounded below by 0"
        _, _, leaving = min(ratios)  # the smallest ratio; on a tie the smallest basic column (Bland)
        pivot = table[leaving]
        scale = pivot[entering]
        pivot[:] = [x / scale for x in pivot]
        for r in [*table[:leaving], *table[leaving + 1:], cost]:
            factor = r[entering]
            if factor:
                r[:] = [x - factor * y for x, y in zip(r, pivot, strict=True)]
        basis[leaving] = entering
