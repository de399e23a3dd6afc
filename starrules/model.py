"""The checked model (IR): what the evaluators run.

Built by :func:`starrules.checker.lower` from a syntax tree that checked clean. Names are
resolved (inputs, scores, enumeration members, levels), every expression's type is
known, scores are in dependency order, and levels are ordinals (0 = the floor).
Expressions reuse the syntax-tree node classes, with names replaced by :class:`Ref`,
enumeration members by :class:`Member` and written levels by :class:`LevelConst`.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from starrules import nodes as n
from starrules.i18n import N_, _
from starrules.nodes import Span

# ---- types -------------------------------------------------------------------


@attrs.frozen
class Type:
    """``kind`` is number, count, percent, bool, text, level, enum or set;
    ``members`` lists an enumeration's (or a set's) members in declared order."""

    kind: str
    members: tuple[str, ...] = ()

    def describe(self) -> str:
        """What a value of this type is, in words that fit into a message ("a number")."""
        if self.kind in ("enum", "set"):
            inner = ", ".join(self.members)
            text = _("one of {{{members}}}") if self.kind == "enum" else _("set of {{{members}}}")
            return text.format(members=inner)
        return _(_TYPE_WORDS[self.kind])

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "count")


_TYPE_WORDS = {
    "number": N_("a number"),
    "count": N_("a count (whole number)"),
    "percent": N_("a percentage"),
    "bool": N_("yes/no"),
    "text": N_("a text"),
    "level": N_("a level"),
}

NUMBER = Type("number")
COUNT = Type("count")
PERCENT = Type("percent")
BOOL = Type("bool")
TEXT = Type("text")
LEVEL = Type("level")


# ---- expressions: the syntax-tree classes, with names resolved -----------------

Ref = n.Ref
Member = n.Member
LevelConst = n.LevelConst
Expr = n.Expr

# Every expression node an evaluator must handle (a test holds each backend to it);
# Name never reaches an evaluator: the checker resolves each one.
EXPR_NODES: tuple[type, ...] = tuple(t for t in n.EXPR_TYPES if t is not n.Name)


# ---- declarations ------------------------------------------------------------


@attrs.frozen
class Levels:
    """Ordered levels, lowest first. ``stars`` is true for ``levels stars lo..hi``:
    then ``values`` holds the star counts; for grades, the names."""

    stars: bool
    values: tuple[int | str, ...]
    labels: tuple[str, ...]

    def value(self, rank: int) -> int | str:
        return self.values[rank]

    def label(self, rank: int) -> str:
        return self.labels[rank]

    @property
    def top(self) -> int:
        return len(self.values) - 1


@attrs.frozen
class Input:
    name: str
    type: Type
    spec: n.TypeSpec
    default: object | None = None
    has_default: bool = False
    role: str = "value"  # "value" | "id" | "group" | "text"
    span: Span = attrs.field(eq=False, default=Span.unknown())


@attrs.frozen
class GroupEntry:
    """An entry of a bonus or penalty block (points), or a badge star (a condition;
    ``applies`` limits it to some entities, ``from_records`` notes how it is decided)."""

    label: str
    expr: Expr
    span: Span = attrs.field(eq=False, default=Span.unknown())
    from_records: bool = False
    applies: Expr | None = None


@attrs.frozen
class Score:
    """A named score. ``entries`` is set for bonus and penalty blocks (then ``expr`` is
    None and the value is the capped sum of the entries)."""

    name: str
    kind: str  # "score" | "total" | "bonus" | "penalty" | "badges"
    expr: Expr | None
    entries: tuple[GroupEntry, ...] = ()
    cap: Decimal | None = None
    span: Span = attrs.field(eq=False, default=Span.unknown())


@attrs.frozen
class BandRange:
    rank: int
    low: Decimal | None
    low_closed: bool
    high: Decimal | None
    high_closed: bool
    text: str
    span: Span = attrs.field(eq=False, default=Span.unknown())

    def contains(self, x: Decimal) -> bool:
        if self.low is not None and (x < self.low or (x == self.low and not self.low_closed)):
            return False
        if self.high is not None and (x > self.high or (x == self.high and not self.high_closed)):
            return False
        return True


@attrs.frozen
class Band:
    """How the level is found: the first range holding the score (or ``else_rank``);
    with ``direct`` (``level from 星数``) the level is the count itself."""

    score: Ref
    ranges: tuple[BandRange, ...]
    else_rank: int | None = None
    span: Span = attrs.field(eq=False, default=Span.unknown())
    direct: bool = False


@attrs.frozen
class RuleIR:
    kind: str  # require | disqualify | veto | cap | demote | flag
    name: str
    condition: Expr
    rank: int | None = None
    steps: int | None = None
    span: Span = attrs.field(eq=False, default=Span.unknown())


@attrs.frozen
class SortKey:
    """One key of a ranking: a score or an input, best first when ``descending``."""

    ref: Ref
    descending: bool


@attrs.frozen
class PopRule:
    """A checked ``quota`` or ``select`` block, every default filled in.

    A quota bounds the number of entities whose level is ``rank`` (``scope`` ``==``),
    at least it (``>=``) or at most it (``<=``). A selection picks the ``top`` or
    ``bottom`` ``amount`` of the ranking (among those meeting ``among``) and gives them
    ``flag`` or caps them at ``cap``.
    """

    kind: str  # "quota" | "select"
    name: str
    amount: Decimal  # a count, or a ratio when ``percent``
    percent: bool
    rounding: str  # "floor" | "ceiling" | "half-up"
    keys: tuple[SortKey, ...]
    tiebreak: tuple[SortKey, ...]
    ties: str  # "break" | "keep" | "drop"
    per: str | None = None
    scope: str = "=="
    rank: int | None = None
    bound: str | None = None  # "at most" | "at least" | "exactly" | "about"
    enforced: bool = True
    minimum: int = 0
    minimum_per: str | None = None
    apportion_by: str | None = None
    method: str = "largest-remainder"  # the method's own name, never an alias
    first_divisor: Decimal | None = None  # a Sainte-Laguë method's first divisor, when the scheme sets it
    end: str | None = None  # "top" | "bottom"
    among: Expr | None = None
    flag: str | None = None
    cap: int | None = None
    span: Span = attrs.field(eq=False, default=Span.unknown())


@attrs.frozen
class Check:
    """One expectation of an example: ``kind`` is score, level, status, reason, flags or
    badges; ``key`` the score's name (else the kind); ``value`` the expected value (a
    Decimal, a level's rank, a text, or a tuple of names); ``text`` as written."""

    kind: str
    key: str
    value: object
    text: str
    span: Span = attrs.field(eq=False, default=Span.unknown())


@attrs.frozen
class Example:
    """A checked example: the raw inputs (as a data file would give them), the period,
    and what the scheme must give."""

    name: str
    given: tuple[tuple[str, object], ...]
    period: int | None
    checks: tuple[Check, ...]
    span: Span = attrs.field(eq=False, default=Span.unknown())


@attrs.frozen
class Program:
    title: str
    version: str | None
    source_name: str
    levels: Levels
    inputs: tuple[Input, ...]
    scores: tuple[Score, ...]  # in dependency order
    total: str | None
    band: Band | None
    rules: tuple[RuleIR, ...]
    population: tuple[PopRule, ...] = ()
    in_force: tuple[int, int | None] | None = None  # the first and last period, if declared
    uses_history: bool = False
    examples: tuple[Example, ...] = ()

    def rules_of(self, kind: str) -> tuple[RuleIR, ...]:
        return tuple(r for r in self.rules if r.kind == kind)

    @property
    def overrides(self) -> tuple[RuleIR, ...]:
        """Demotions, then caps, then vetoes: the order they apply, so that a veto beats
        a cap and a cap beats a demotion whatever their order in the file."""
        return self.rules_of("demote") + self.rules_of("cap") + self.rules_of("veto")

    @property
    def quotas(self) -> tuple[PopRule, ...]:
        return tuple(r for r in self.population if r.kind == "quota")

    @property
    def selections(self) -> tuple[PopRule, ...]:
        return tuple(r for r in self.population if r.kind == "select")

    @property
    def id_field(self) -> str | None:
        return next((i.name for i in self.inputs if i.role == "id"), None)

    @property
    def group_fields(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.role == "group")
