"""Apportionment: split a whole number of seats among groups in proportion to their sizes.

Takes a mapping of group names to sizes (whole numbers ≥ 0, e.g. each township's number
of party branches), a total number of seats (e.g. the county-wide count of five-star
places a quota allows) and a method; gives a dict with exactly the same keys whose
values are whole numbers summing to the total.

Methods (``method=``):

``"largest-remainder"`` (Hamilton, Hare–Niemeyer)
    Each group's exact quota is ``size * total / sum(sizes)``; every group gets the whole
    part, and the seats left over go one each to the largest fractional parts. Every
    group gets the floor or the ceiling of its quota.
``"dhondt"`` (Jefferson)
    Divisor method with divisors 1, 2, 3, …: seat by seat, the next seat goes to the
    group with the largest ``size / (n + 1)``, ``n`` being the seats it already holds.
``"sainte-lague"`` (Webster)
    Divisor method with divisors 1, 3, 5, …: priority ``size / (2n + 1)``.
``"huntington-hill"`` (equal proportions; the U.S. House since 1941)
    Divisor method with divisors √(n(n+1)): priority ``size / √(n(n+1))``, infinite for
    a group still at 0 seats, so every group of nonzero size gets one seat before any
    group gets a second.

``"adams"`` (smallest divisors), ``"dean"`` (harmonic mean), ``"danish"``, ``"imperiali"``
    Divisor methods with divisors d(n) = n, n(n+1)/(n+½), n+⅓ and n+2: priority
    ``size / d(n)``. Adams and Dean start at d(0) = 0, an infinite priority, like
    Huntington–Hill: every group of nonzero size gets one seat first.
``"modified-sainte-lague"`` (modified Sainte-Laguë), ``"swedish-sainte-lague"``
    Sainte-Laguë with its first divisor raised from 1 to 1.4 (or 1.2) in the 1, 3, 5, …
    scale: d(0) = 0.7 (or 0.6), then n + ½. A small group needs more to win its first seat.
    ``first_divisor=`` sets the first divisor of any of the three Sainte-Laguë methods
    (above 0, at most 3, in the 1, 3, 5, … scale; an ``int``, ``Fraction``, ``Decimal`` or
    decimal text, never a float): ``method="sainte-lague", first_divisor="1.4"`` is
    ``"modified-sainte-lague"``.

The names the literature also uses are accepted and read as the method they name
(:data:`ALIASES`): ``"hamilton"``, ``"hare"`` and ``"vinton"`` are
largest-remainder, ``"jefferson"`` and ``"hagenbach-bischoff"`` D'Hondt, ``"webster"``
Sainte-Laguë, ``"equal-proportions"`` Huntington–Hill, ``"smallest-divisors"`` Adams and
``"harmonic-mean"`` Dean. A name that is none of these is refused, with the nearest one
suggested.

All arithmetic is exact (``int`` and ``fractions.Fraction``); Huntington–Hill priorities
are compared through their squares ``size² / (n(n+1))``, never through floats.

Ties (equal remainders, or equal priorities for the next seat) go to the **larger
group first, then to the group whose name sorts first** (``str`` order). This is a
total order on the groups, so the result never depends on the order of the mapping.
The divisor methods give the result of handing seats out one at a time in that order,
so they are house monotone: one more seat in total never takes a seat from any group.
They do not loop once per seat: every group first gets the seats whose priority is
above an initial divisor (Pukelsheim's jump-and-step), and a heap then adds or removes
the few seats left over, so the time grows with the number of groups, not of seats
(3,000 groups and 300,000 seats in under 0.1 s; ``benchmarks/apportion.py``).

``minimum=m`` guarantees every group at least ``m`` seats:

* divisor methods: every group starts with ``m`` seats and the remaining seats are
  given one at a time by the method's priority computed from the seats a group holds
  (so a group held at ``m`` competes with ``size / d(m)``). This is the standard
  "divisor method with minimum restriction" — it is how the U.S. House gives each state
  its one guaranteed seat — and the result is ``max(m, rounded size / D)`` for a single
  divisor ``D``.
* largest-remainder: the minimum is a lower bound, not a handout. Every group whose
  exact quota is below ``m`` is held at ``m``; the seats left are re-apportioned among
  the other groups by their quotas of what is left, repeating until no remaining group
  falls below ``m``; then the largest-remainder rule splits those seats. A group whose
  fair share already reaches the minimum is not moved by it. The alternative — hand
  everybody ``m`` first and split the rest — gives ``m`` extra seats to large groups
  that needed no guarantee and so pulls the whole result towards equal shares; the
  lower-bound reading is the one that keeps Hamilton's promise (floor or ceiling of the
  quota) for every group the minimum does not bind.

  ``minimum_rule="raise"`` is instead the historical U.S. rule (1850–1900): every group
  whose exact quota of all the seats is below ``m`` is raised to ``m``, the others keep
  the whole parts of those same quotas, and the seats left go to the largest of their
  original remainders; the quotas are not computed again. It is the rule under which the
  Alabama paradox of 1880 was found.

A group of size 0 gets exactly the minimum.

>>> apportion({"城关镇": 120, "河口乡": 45, "石门乡": 35}, 10)
{'城关镇': 6, '河口乡': 2, '石门乡': 2}
>>> apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="dhondt")
{'A': 4, 'B': 3, 'C': 1, 'D': 0}
>>> apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="sainte-lague")
{'A': 3, 'B': 3, 'C': 1, 'D': 1}
>>> apportion({"A": 90, "B": 10, "C": 0}, 10, minimum=1)
{'A': 8, 'B': 1, 'C': 1}
>>> apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="webster")
{'A': 3, 'B': 3, 'C': 1, 'D': 1}
>>> apportion({"A": 100_000, "B": 80_000, "C": 30_000, "D": 20_000}, 8, method="sainte-lague", first_divisor="1.4")
{'A': 4, 'B': 3, 'C': 1, 'D': 0}

Bad input raises :class:`ApportionmentError` (a ``ValueError``) saying what is wrong:

>>> apportion({"A": 1, "B": 2, "C": 3}, 5, minimum=2)
Traceback (most recent call last):
    ...
starrules.apportion.ApportionmentError: 3 groups × minimum 2 = 6 seats, but the total is 5
"""

from __future__ import annotations

import difflib
import heapq
import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import NoReturn

from starrules.errors import StarError

__all__ = ["ALIASES", "METHODS", "ApportionmentError", "apportion", "method_name"]

METHODS: tuple[str, ...] = ("largest-remainder", "dhondt", "sainte-lague", "huntington-hill", "adams", "dean",
                             "danish", "imperiali", "modified-sainte-lague", "swedish-sainte-lague")
MINIMUM_RULES: tuple[str, ...] = ("lower-bound", "raise")  # what minimum= means for largest-remainder

# The divisor of each divisor method but Huntington–Hill (whose √(n(n+1)) is compared
# through its square): the divisor d(n) a group holding n seats is measured by for the
# next one, its priority being size / d(n); d(n) = 0 is an infinite priority.
_HALF, _THIRD = Fraction(1, 2), Fraction(1, 3)


def _sainte_lague(first: Fraction) -> Callable[[int], Fraction]:
    """Sainte-Laguë's divisors n + 1/2 (1, 3, 5, ... halved) with the first, d(0), set to
    half of ``first``."""
    head = first / 2
    return lambda n: head if n == 0 else n + _HALF


# The Sainte-Laguë methods, whose first divisor (1 in the scale 1, 3, 5, ...) ``first_divisor`` may set.
SAINTE_LAGUE: tuple[str, ...] = ("sainte-lague", "modified-sainte-lague", "swedish-sainte-lague")
_FIRST: dict[str, Fraction] = {"sainte-lague": Fraction(1), "modified-sainte-lague": Fraction(7, 5),
                               "swedish-sainte-lague": Fraction(6, 5)}
_DIVISORS: dict[str, Callable[[int], Fraction]] = {
    "dhondt": lambda n: Fraction(n + 1),
    **{method: _sainte_lague(first) for method, first in _FIRST.items()},
    "adams": lambda n: Fraction(n),
    "dean": lambda n: Fraction(n * (n + 1)) / (n + _HALF),  # the harmonic mean of n and n + 1
    "danish": lambda n: n + _THIRD,
    "imperiali": lambda n: Fraction(n + 2),
}
ZERO_FIRST: tuple[str, ...] = ("huntington-hill", "adams", "dean")  # d(0) = 0: a seat for every group of nonzero size first

# Other names the apportionment literature gives the same methods: accepted wherever a
# method is named (``apportion(method="jefferson")``, ``using webster`` in a scheme) and
# read as the method they name.
ALIASES: dict[str, str] = {
    "hamilton": "largest-remainder",
    "hare": "largest-remainder",
    "vinton": "largest-remainder",
    "jefferson": "dhondt",
    "hagenbach-bischoff": "dhondt",
    "webster": "sainte-lague",
    "equal-proportions": "huntington-hill",
    "smallest-divisors": "adams",
    "harmonic-mean": "dean",
}

# Spellings that are close to a method's name but not one: only used to suggest it.
_MISSPELT: dict[str, str] = {
    "hare-niemeyer": "largest-remainder",  # not accepted: "hare" would be read as a word of its own
    "largest-remainders": "largest-remainder",
    "d'hondt": "dhondt",
    "d-hondt": "dhondt",
    "sainte-laguë": "sainte-lague",
    "saint-lague": "sainte-lague",
    "hill": "huntington-hill",
    "sainte-lague-modified": "modified-sainte-lague",
    "norwegian": "modified-sainte-lague",
    "swedish": "swedish-sainte-lague",
    "sainte-lague-1.4": "modified-sainte-lague",
    "sainte-lague-1.2": "swedish-sainte-lague",
}

def method_name(method: str) -> str:
    """The method's own name for a name :func:`apportion` accepts (``"jefferson"`` ->
    ``"dhondt"``); raises :class:`ApportionmentError` for any other, suggesting the
    nearest method."""
    if isinstance(method, str):
        if method in METHODS:
            return method
        if method in ALIASES:
            return ALIASES[method]
    _unknown(method)


class ApportionmentError(StarError, ValueError):
    """The arguments of :func:`apportion` cannot be apportioned; the message says why.

    ``kind`` names the problem for programs: ``"unknown-method"``, ``"bad-total"``,
    ``"bad-minimum"``, ``"bad-size"``, ``"bad-name"``, ``"no-groups"``,
    ``"minimum-exceeds-total"``, ``"all-sizes-zero"`` or ``"too-few-seats"``.
    """

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


# A heap key: smaller is served first. (tier, -priority, -size, name); tier 0 is an
# infinite priority (Huntington–Hill at 0 seats), tier 1 a finite one.
_Key = tuple[int, Fraction, int, str]
_Priority = Callable[[int, int], tuple[int, Fraction]]


def apportion(
    sizes: Mapping[str, int],
    total: int,
    *,
    method: str = "largest-remainder",
    minimum: int = 0,
    minimum_rule: str = "lower-bound",
    first_divisor: int | Fraction | Decimal | str | None = None,
) -> dict[str, int]:
    """Split ``total`` seats among the groups of ``sizes`` in proportion to their sizes.

    Returns a new dict with the keys of ``sizes`` (in their order) and seat counts that
    sum to ``total``, each at least ``minimum``. See the module docstring for the
    methods, the tie rule (larger group, then name) and what ``minimum`` means.

    ``method`` may be any name of :data:`METHODS` or :data:`ALIASES`; ``first_divisor``
    sets the first divisor of a Sainte-Laguë method (see the module docstring).

    Raises :class:`ApportionmentError` for an unknown method, a ``first_divisor`` that is
    not an exact number above 0 and at most 3 or is given to another method, a total, minimum or size
    that is not a whole number ≥ 0 (``bool`` is refused), a name that is not a ``str``,
    seats but no groups, ``minimum × groups > total``, seats beyond the minimums when
    every size is 0, and ``"huntington-hill"`` with ``minimum=0`` and fewer seats than
    groups of nonzero size.
    """
    method = method_name(method)
    first = first_divisor_of(method, first_divisor)
    if minimum_rule not in MINIMUM_RULES:
        raise ApportionmentError("bad-minimum-rule", f"minimum_rule must be one of {', '.join(MINIMUM_RULES)}, "
                                                     f"not {minimum_rule!r}")
    if minimum_rule == "raise" and method != "largest-remainder":
        raise ApportionmentError("bad-minimum-rule", "minimum_rule='raise' is a rule of largest-remainder "
                                                     "(Hamilton); a divisor method has one reading of a minimum")
    _check_count("total", total, "bad-total")
    _check_count("minimum", minimum, "bad-minimum")
    for name, size in sizes.items():
        if not isinstance(name, str):
            raise ApportionmentError("bad-name", f"group names must be str, got {type(name).__name__} {name!r}")
        _check_count(f"size of group {name!r}", size, "bad-size")

    groups = len(sizes)
    if groups == 0:
        if total > 0:
            raise ApportionmentError("no-groups", f"there are no groups to apportion {total} seats among")
        return {}
    if minimum * groups > total:
        raise ApportionmentError(
            "minimum-exceeds-total",
            f"{groups} groups × minimum {minimum} = {minimum * groups} seats, but the total is {total}",
        )
    free = total - minimum * groups
    if free > 0 and all(size == 0 for size in sizes.values()):
        raise ApportionmentError(
            "all-sizes-zero",
            f"every one of the {groups} groups has size 0, so the {free} seats beyond the minimums "
            f"({total} - {groups} × {minimum}) cannot be split in proportion",
        )

    if method == "largest-remainder":
        seats = (_raised(sizes, total, minimum) if minimum_rule == "raise" and minimum > 0
                 else _largest_remainder(sizes, total, minimum))
        return {name: seats[name] for name in sizes}
    if method in ZERO_FIRST:
        nonzero = sum(1 for size in sizes.values() if size > 0)
        if minimum == 0 and total < nonzero:
            raise ApportionmentError(
                "too-few-seats",
                f"{method} gives every group of nonzero size one seat before any group gets a second, "
                f"so it needs at least {nonzero} seats for the {nonzero} groups of nonzero size, "
                f"but the total is {total}",
            )
    if method == "huntington-hill":
        seats = _divisor(sizes, total, minimum, method, _huntington_hill, None)
    else:
        divisor = _DIVISORS[method] if first is None or first == _FIRST[method] else _sainte_lague(first)
        seats = _divisor(sizes, total, minimum, method, _by_divisor(divisor), divisor)
    return {name: seats[name] for name in sizes}


# ---- checks ---------------------------------------------------------------------------


def nearest_method(word: str) -> str | None:
    """The name :func:`apportion` accepts (a method's or an alias) that ``word`` is most
    likely a slip for (``"D'Hondt"`` -> ``"dhondt"``, ``"jeferson"`` -> ``"jefferson"``),
    or None when none is close."""
    spelled = word.strip().lower().replace("_", "-").replace(" ", "-")
    if spelled in METHODS or spelled in ALIASES:
        return spelled
    if spelled in _MISSPELT:
        return _MISSPELT[spelled]
    close = difflib.get_close_matches(spelled, [*METHODS, *ALIASES, *_MISSPELT], n=1, cutoff=0.6)
    return _MISSPELT.get(close[0], close[0]) if close else None


def _unknown(method: object) -> NoReturn:
    listing = ", ".join(repr(m) for m in METHODS)
    guess = nearest_method(method) if isinstance(method, str) else None
    hint = f"; did you mean {guess!r}?" if guess is not None else ""
    raise ApportionmentError("unknown-method", f"unknown apportionment method {method!r}{hint} The methods are "
                                               f"{listing} (also named {', '.join(repr(a) for a in ALIASES)})")


def first_divisor_of(method: str, first_divisor: object) -> Fraction | None:
    """The first divisor (in the scale 1, 3, 5, ...) a Sainte-Laguë ``method`` uses:
    ``first_divisor`` when given (an ``int``, ``Fraction``, ``Decimal`` or decimal text
    above 0 and at most 3), else the method's own (1, 1.4 or 1.2); None for the other
    methods, which take none."""
    if first_divisor is None:
        return _FIRST.get(method)
    if method not in SAINTE_LAGUE:
        raise ApportionmentError("bad-first-divisor", f"first_divisor is a setting of the Sainte-Laguë methods "
                                                      f"({', '.join(SAINTE_LAGUE)}), not of {method!r}")
    number = first_divisor
    if isinstance(number, str):
        try:
            number = Decimal(number.strip())
        except ArithmeticError:
            number = None
    value: Fraction | None = None
    if isinstance(number, int | Fraction | Decimal) and not isinstance(number, bool) \
            and not (isinstance(number, Decimal) and not number.is_finite()):
        value = Fraction(number)
    if value is None:
        raise ApportionmentError("bad-first-divisor", f"first_divisor must be an exact number (int, Fraction, "
                                                      f"Decimal or its text), got {type(first_divisor).__name__} "
                                                      f"{first_divisor!r}")
    if not 0 < value <= 3:
        raise ApportionmentError("bad-first-divisor", f"first_divisor must be above 0 and at most 3 (the second "
                                                      f"divisor of 1, 3, 5, ...), got {first_divisor}")
    return value


def _check_count(what: str, value: object, kind: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApportionmentError(
            kind,
            f"{what} must be a whole number (int), got {type(value).__name__} {value!r}"
            + (" (bool is not accepted as a number here)" if isinstance(value, bool) else ""),
        )
    if value < 0:
        raise ApportionmentError(kind, f"{what} must be ≥ 0, got {value}")


# ---- largest remainder ----------------------------------------------------------------


def _largest_remainder(sizes: Mapping[str, int], total: int, minimum: int) -> dict[str, int]:
    seats = {name: minimum for name in sizes}
    # Groups not (yet) held at the minimum. A group of size 0 has quota 0: it keeps its minimum.
    active = {name: size for name, size in sizes.items() if size > 0}
    left = total - minimum * (len(sizes) - len(active))
    while minimum > 0 and active:
        population = sum(active.values())
        # exact quota left * size / population < minimum  <=>  left * size < minimum * population
        held = [name for name, size in active.items() if left * size < minimum * population]
        if not held:
            break
        for name in held:
            del active[name]
        left -= minimum * len(held)
    if not active:  # only when every nonzero group is held at the minimum and no seat is left
        return seats
    population = sum(active.values())
    floors = {name: left * size // population for name, size in active.items()}
    # Remainders share the denominator `population`, so compare their numerators.
    order = sorted(active, key=lambda name: (-(left * active[name] % population), -active[name], name))
    extra = left - sum(floors.values())
    for rank, name in enumerate(order):
        seats[name] = floors[name] + (1 if rank < extra else 0)
    return seats


def _raised(sizes: Mapping[str, int], total: int, minimum: int) -> dict[str, int]:
    """Hamilton's method with the historical U.S. minimum rule (1850–1900): every group
    whose exact quota of all the seats is below the minimum is raised to it; every other
    group takes the whole part of that same quota, and the seats left go one each to
    the largest of those original remainders (ties: larger group, then name). Unlike
    the lower-bound reading, the quotas are never computed again for what is left."""
    population = sum(sizes.values())
    raised = {name for name, size in sizes.items() if total * size < minimum * population}
    seats = {name: minimum if name in raised else total * size // population for name, size in sizes.items()}
    left = total - sum(seats.values())
    if left < 0:
        raise ApportionmentError(
            "minimum-exceeds-total",
            f"raising {len(raised)} groups to the minimum {minimum} leaves {-left} seats too many: "
            f"the historical rule takes no seat back; use the default minimum_rule='lower-bound'")
    order = sorted((name for name in sizes if name not in raised),
                   key=lambda name: (-(total * sizes[name] % population), -sizes[name], name))
    for name in order[:left]:
        seats[name] += 1
    return seats


# ---- divisor methods ------------------------------------------------------------------


def _by_divisor(divisor: Callable[[int], Fraction]) -> _Priority:
    def priority(size: int, held: int) -> tuple[int, Fraction]:
        d = divisor(held)
        if d == 0:  # an infinite priority, for a group of nonzero size; none for one of size 0
            return (0, Fraction(0)) if size > 0 else (1, Fraction(0))
        return 1, size / d
    return priority


def _huntington_hill(size: int, held: int) -> tuple[int, Fraction]:
    # size / sqrt(held * (held + 1)) is ordered like its square; at 0 seats it is infinite.
    if held == 0:
        return (0, Fraction(0)) if size > 0 else (1, Fraction(0))
    return 1, Fraction(size * size, held * (held + 1))


# The initial divisor of the jump-and-step procedure (Pukelsheim, "Proportional
# Representation", 2014): for divisors d(n) = n + c, the divisor
# population / (free + groups × (c - 1/2)) lands within about half a seat per group of the
# answer. Huntington–Hill's d(n) = √(n(n+1)) is close to n + 1/2.
_SHIFT: dict[str, Fraction] = {"dhondt": Fraction(1), "sainte-lague": _HALF, "huntington-hill": _HALF,
                               "adams": Fraction(0), "dean": _HALF, "danish": _THIRD, "imperiali": Fraction(2),
                               "modified-sainte-lague": _HALF, "swedish-sainte-lague": _HALF}


def _count_below(method: str, size: int, num: int, den: int,
                 divisor: Callable[[int], Fraction] | None) -> int:
    """How many of a group's seats (from 0) have a priority strictly above the divisor ``D``.

    ``num / den`` is ``1 / D``, so the group's "quota" is ``q = size * num / den``; its
    ``n``-th divisor ``d(n)`` is below ``q`` exactly when the priority ``size / d(n)`` is
    above ``D``. The seats counted form a prefix 0, 1, …, so the count is a whole number.
    """
    if size == 0:
        return 0
    num = size * num  # q = num / den
    standard = divisor is _DIVISORS.get(method)
    if method == "dhondt" and standard:  # d(n) = n + 1 < q  <=>  n < q - 1
        return max(0, -((den - num) // den))
    if method == "sainte-lague" and standard:  # d(n) = n + 1/2 < q  <=>  n < q - 1/2
        return max(0, -((den - 2 * num) // (2 * den)))
    if divisor is not None:  # n <= d(n) <= n + 2: the count is within a few of q
        q = Fraction(num, den)
        n = max(0, q.numerator // q.denominator - 3)  # every n below this has d(n) <= n + 2 < q
        while divisor(n) < q:
            n += 1
        return n
    # huntington-hill: d(0) = 0 < q always; d(n)² = n(n + 1) < q²  <=>  den² n(n+1) < num²
    n = math.isqrt(num * num // (den * den))  # near the answer; step down, then up
    while n > 0 and den * den * n * (n + 1) >= num * num:
        n -= 1
    while den * den * (n + 1) * (n + 2) < num * num:
        n += 1
    return n + 1  # n = 0, 1, …, n all have n(n+1) < q²


class _Worst:
    """A heap entry ordered backwards, so heapq pops the seat with the lowest priority."""

    __slots__ = ("key",)

    def __init__(self, key: _Key) -> None:
        self.key = key

    def __lt__(self, other: _Worst) -> bool:
        return self.key > other.key


def _divisor(sizes: Mapping[str, int], total: int, minimum: int, method: str, priority: _Priority,
             divisor: Callable[[int], Fraction] | None) -> dict[str, int]:
    """The divisor method in time that grows with the number of groups, not of seats.

    Seat by seat, the greedy rule gives the ``total - minimum × groups`` best seats of the
    total order "priority, then larger group, then name" (each group's priorities fall
    as it holds more seats, so its seats are taken in order). Here every group first
    gets the seats whose priority is strictly above a jump-start divisor (or its minimum,
    if more): that set is a prefix of the same order, so it is contained in the answer or
    contains it. Then a heap adds the next best seats one at a time, or removes the
    worst held ones, until the count is right; the number of steps is at most about
    the number of groups. The result is the same as the per-seat loop's, ties included.
    """
    free = total - minimum * len(sizes)
    population = sum(sizes.values())
    if free > 0 and population > 0:
        target = max(Fraction(1), free + len(sizes) * (_SHIFT[method] - Fraction(1, 2)))  # seats the divisor aims at
        num, den = target.numerator, target.denominator * population  # 1 / D = target / population
        seats = {name: max(minimum, _count_below(method, size, num, den, divisor)) for name, size in sizes.items()}
    else:
        seats = {name: minimum for name in sizes}

    def key(name: str, held: int) -> _Key:
        tier, value = priority(sizes[name], held)
        return tier, -value, -sizes[name], name

    given = sum(seats.values())
    if given > total:
        worst = [_Worst(key(name, seats[name] - 1)) for name in sizes if seats[name] > minimum]
        heapq.heapify(worst)
        for _ in range(given - total):
            name = heapq.heappop(worst).key[3]
            seats[name] -= 1
            if seats[name] > minimum:
                heapq.heappush(worst, _Worst(key(name, seats[name] - 1)))
    elif given < total:
        best = [key(name, seats[name]) for name in sizes]
        heapq.heapify(best)
        for _ in range(total - given):
            name = heapq.heappop(best)[3]
            seats[name] += 1
            heapq.heappush(best, key(name, seats[name]))
    return seats
