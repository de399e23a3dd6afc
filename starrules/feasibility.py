"""Can quotas all hold together? Exact linear feasibility over counts of entities per level.

Takes bounds on how many entities hold some levels — "at least 2 at five stars", "at most
10% at four stars or above" — each a count plus a share of the number of entities n;
gives whether some n >= 1 and some spread of n entities over the levels meets them all,
and, when none does, a smallest set of the quotas that already cannot hold together.

Every level set a quota names is a run of consecutive levels (one level, the levels at or
above one, at or below one), so the levels between the ends of those runs move together:
the unknowns are the numbers of entities in each such segment, one real number >= 0
each. Feasibility over the reals is decided exactly (Fractions) by Fourier–Motzkin
elimination, which is small here: a few quotas make a few segments. A system the reals
cannot meet cannot be met by whole numbers either, so "cannot hold" is certain; the
converse need not be (rounding a share to whole entities is not modelled: shares are
read exactly as written).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from fractions import Fraction

import attrs

# Past this many inequalities the elimination gives up and says nothing (never seen in
# practice: a scheme has a handful of quotas).
MAX_INEQUALITIES = 5000


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


def feasible(bounds: Sequence[Bound], levels: int) -> bool | None:
    """Whether some number of entities n >= 1, spread over ``levels`` levels (as real
    numbers), meets every bound; None when the elimination grew too large to finish."""
    cuts = sorted({0, levels} | {b.low for b in bounds} | {b.high + 1 for b in bounds})
    segments = list(itertools.pairwise(cuts))
    width = len(segments)
    rows: dict[tuple[Fraction, ...], Fraction] = {}

    def add(coeffs: Iterable[Fraction], rhs: Fraction) -> None:
        _keep(rows, tuple(coeffs), rhs)

    for j in range(width):  # no segment holds fewer than no entities
        add((Fraction(int(i == j)) for i in range(width)), Fraction(0))
    add((Fraction(1) for _ in range(width)), Fraction(1))  # n >= 1
    for b in bounds:
        inside = [Fraction(int(b.low <= lo and hi - 1 <= b.high)) for lo, hi in segments]
        # count(S) - share * n >= count, or share * n - count(S) >= -count
        sign = 1 if b.lower else -1
        add((sign * (x - b.share) for x in inside), sign * b.count)
    return _eliminate(rows, width)


def smallest_conflict(bounds: Sequence[Bound], levels: int) -> list[int] | None:
    """The sources of a set of bounds that cannot all hold, none of which can be left out
    (each source kept, in the order given, unless the rest cannot hold without it); None
    when the bounds can all hold or it cannot be decided."""
    if feasible(bounds, levels) is not False:
        return None
    sources = list(dict.fromkeys(b.source for b in bounds))
    kept = list(sources)
    for source in reversed(sources):  # leave out the last quotas first: the first ones stay named
        trial = [s for s in kept if s != source]
        if feasible([b for b in bounds if b.source in trial], levels) is False:
            kept = trial
    return kept


def _keep(rows: dict[tuple[Fraction, ...], Fraction], coeffs: tuple[Fraction, ...], rhs: Fraction) -> None:
    """Add ``coeffs · y >= rhs``, scaled so its first non-zero coefficient is ±1; of two
    rows with the same coefficients only the stronger is kept."""
    lead = next((abs(c) for c in coeffs if c), None)
    if lead is not None:
        coeffs = tuple(c / lead for c in coeffs)
        rhs = rhs / lead
    if coeffs not in rows or rows[coeffs] < rhs:
        rows[coeffs] = rhs


def _cost(rows: dict[tuple[Fraction, ...], Fraction], k: int) -> int:
    """How many rows eliminating unknown k adds, less those it removes."""
    pos = sum(1 for c in rows if c[k] > 0)
    neg = sum(1 for c in rows if c[k] < 0)
    return pos * neg - pos - neg


def _eliminate(rows: dict[tuple[Fraction, ...], Fraction], width: int) -> bool | None:
    remaining = set(range(width))
    while remaining:
        if any(rhs > 0 and not any(c) for c, rhs in rows.items()):
            return False

        k = min(sorted(remaining), key=lambda v: _cost(rows, v))
        remaining.discard(k)
        pos = [(c, r) for c, r in rows.items() if c[k] > 0]
        neg = [(c, r) for c, r in rows.items() if c[k] < 0]
        nxt: dict[tuple[Fraction, ...], Fraction] = {}
        for c, r in rows.items():
            if c[k] == 0:
                _keep(nxt, c, r)
        for cp, rp in pos:
            for cn, rn in neg:
                a, b = cp[k], -cn[k]  # b·(cp·y >= rp) + a·(cn·y >= rn): y_k cancels
                _keep(nxt, tuple(b * x + a * y for x, y in zip(cp, cn, strict=True)), b * rp + a * rn)
        if len(nxt) > MAX_INEQUALITIES:
            return None
        rows = nxt
    return not any(rhs > 0 for rhs in rows.values())
