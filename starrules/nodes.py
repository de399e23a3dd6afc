"""The syntax tree of a ``.star`` scheme: frozen attrs classes, one per construct.

Takes nothing; gives the node classes that :mod:`starrules.parser` builds from Lark's
parse tree and that :mod:`starrules.checker` reads. Every node carries the span of the
source text it came from; spans are excluded from equality, so two parses of the same
scheme laid out differently compare equal.
"""

from __future__ import annotations

from decimal import Decimal

import attrs


@attrs.frozen
class Span:
    """A stretch of source text: 1-based line and column (in characters), end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def unknown(cls) -> Span:
        return cls(0, 0, 0, 0)




def _span() -> Span:
    return attrs.field(eq=False, repr=False, default=Span.unknown())


# ---- expressions -------------------------------------------------------------


@attrs.frozen
class Number:
    """A plain number: ``9.5``."""

    value: Decimal
    span: Span = _span()


@attrs.frozen
class Percent:
    """A percentage, stored as a ratio: ``60%`` has value ``0.6``."""

    value: Decimal
    span: Span = _span()


@attrs.frozen
class Bool:
    value: bool
    span: Span = _span()


@attrs.frozen
class String:
    value: str
    span: Span = _span()


@attrs.frozen
class Name:
    """A reference to an input, a score, or (in context) a member of an enumeration."""

    id: str
    span: Span = _span()


@attrs.frozen
class LevelExpr:
    """The keyword ``level``: the entity's level, readable in flags."""

    span: Span = _span()


@attrs.frozen
class SetLiteral:
    """``{市级, 省级}``: members of an enumeration (Names as parsed, Members once checked)."""

    items: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class BinOp:
    """``a + b``, ``a - b``, ``a * b``."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Each:
    """``3 each 通报次数``: a per-occurrence amount times a count."""

    amount: Expr
    count: Expr
    span: Span = _span()


@attrs.frozen
class Neg:
    operand: Expr
    span: Span = _span()


@attrs.frozen
class Compare:
    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Contains:
    """``省级 in 表彰`` (set membership) or ``等级 in {A, B}``; ``negated`` for ``not in``."""

    item: Expr
    collection: Expr
    negated: bool = False
    span: Span = _span()


@attrs.frozen
class And:
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Or:
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class Not:
    operand: Expr
    span: Span = _span()


@attrs.frozen
class When:
    """``20 when 达标``: the value when the condition holds, else zero (all-or-nothing)."""

    value: Expr
    condition: Expr
    span: Span = _span()


@attrs.frozen
class IfElse:
    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = _span()


@attrs.frozen
class Call:
    """``sum(a, b)``, ``max(...)``, ``min(...)``, ``all(...)``, ``any(...)``."""

    func: str
    args: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Weight:
    value: Decimal
    percent: bool
    span: Span = _span()


@attrs.frozen
class Weighted:
    """``weighted 3:7 (自评, 考评)``: raters combined by ratio or percentage weights.

    ``round_to`` is the step to round the result to (half up), needed only when the
    ratio's total does not divide into a finite decimal (``1:2`` gives thirds).
    """

    weights: tuple[Weight, ...]
    args: tuple[Expr, ...]
    round_to: Decimal | None = None
    span: Span = _span()


@attrs.frozen
class TableEntry:
    key: Name
    value: Decimal
    percent: bool = False
    span: Span = _span()


@attrs.frozen
class Table:
    """``highest 表彰 {...}``, ``each of 创新 {...}``, ``lookup 等级 {...}``.

    ``subject`` is the Name as parsed, a Ref once checked."""

    kind: str  # "highest" | "each_of" | "lookup"
    subject: Expr
    entries: tuple[TableEntry, ...]
    span: Span = _span()


# ---- history: the entity's outcomes in earlier periods ---------------------------


@attrs.frozen
class Vetoed:
    """``vetoed ["名"] within N periods``: a veto (that one, or any) applied to the
    entity in one of the N periods before the one being rated."""

    name: String | None
    periods: int
    span: Span = _span()


@attrs.frozen
class Flagged:
    """``flagged "名" within N periods``: the flag was given in one of the N periods before."""

    name: String
    periods: int
    span: Span = _span()


@attrs.frozen
class HistoryLevel:
    """``history level < 1 throughout 3 periods``: in each of the N periods before, the
    entity was rated and its level compared so. A period with no outcome fails it."""

    op: str
    level: LevelRef | LevelConst
    periods: int
    span: Span = _span()


# ---- resolved names: made by the checker, never by the parser ------------------


@attrs.frozen
class Ref:
    """A resolved name: ``kind`` is ``input`` or ``score``."""

    kind: str
    name: str
    span: Span = _span()


@attrs.frozen
class Member:
    """A member of an enumeration, written as a bare name where one is expected."""

    value: str
    span: Span = _span()


@attrs.frozen
class LevelConst:
    """A written level (``4``, ``良好``) as its ordinal (0 = the lowest level)."""

    rank: int
    label: str
    span: Span = _span()


Expr = (
    Number | Percent | Bool | String | Name | LevelExpr | SetLiteral | BinOp | Each | Neg | Compare
    | Contains | And | Or | Not | When | IfElse | Call | Weighted | Table | Ref | Member | LevelConst
    | Vetoed | Flagged | HistoryLevel
)

EXPR_TYPES: tuple[type, ...] = Expr.__args__


# ---- input types -------------------------------------------------------------


@attrs.frozen
class ScoreType:
    low: Decimal
    high: Decimal
    step: Decimal | None = None
    span: Span = _span()


@attrs.frozen
class CountType:
    low: int = 0
    high: int | None = None
    span: Span = _span()


@attrs.frozen
class PercentType:
    span: Span = _span()


@attrs.frozen
class BoolType:
    span: Span = _span()


@attrs.frozen
class EnumType:
    members: tuple[Name, ...]
    span: Span = _span()


@attrs.frozen
class SetType:
    members: tuple[Name, ...]
    span: Span = _span()


@attrs.frozen
class TextType:
    """Free text; ``role`` is ``"id"`` for the identifier, ``"group"`` for a group key."""

    role: str = "text"
    span: Span = _span()


TypeSpec = ScoreType | CountType | PercentType | BoolType | EnumType | SetType | TextType


# ---- statements --------------------------------------------------------------


@attrs.frozen
class SchemeDecl:
    """``scheme "名" version "2017" in force 2017..2020`` (the last year may be left open)."""

    title: String
    version: String | None = None
    first_period: int | None = None
    last_period: int | None = None
    span: Span = _span()


@attrs.frozen
class LevelLabel:
    stars: int
    label: String
    span: Span = _span()


@attrs.frozen
class StarLevels:
    """``levels stars 0..5``."""

    low: int
    high: int
    labels: tuple[LevelLabel, ...] = ()
    span: Span = _span()


@attrs.frozen
class GradeLevels:
    """``levels grades 不合格 < 基本合格 < 良好 < 优秀``, lowest first."""

    names: tuple[Name, ...]
    span: Span = _span()


@attrs.frozen
class InputDecl:
    name: Name
    type: TypeSpec
    default: Expr | None = None
    span: Span = _span()


@attrs.frozen
class ScoreDecl:
    """``score 名 = expr``; ``total`` marks the score reported as the entity's total."""

    name: Name
    expr: Expr
    is_total: bool = False
    span: Span = _span()


@attrs.frozen
class Entry:
    label: String
    expr: Expr
    span: Span = _span()


@attrs.frozen
class RuleGroup:
    """``bonus 加分 at most 10 {...}`` or ``penalty 扣分 {...}``: a labelled, capped sum."""

    kind: str  # "bonus" | "penalty"
    name: Name
    entries: tuple[Entry, ...]
    cap: Number | None = None
    span: Span = _span()


@attrs.frozen
class Badge:
    """One badge star: won when ``condition`` holds; ``applies`` limits it to some
    entities (a category's star set); ``from_records`` notes it is decided from records."""

    label: String
    condition: Expr
    from_records: bool = False
    applies: Expr | None = None
    span: Span = _span()


@attrs.frozen
class BadgesDecl:
    """``badges 星数 {...}``: a count of the badge stars won, usable as a score."""

    name: Name
    badges: tuple[Badge, ...]
    span: Span = _span()


@attrs.frozen
class LevelRef:
    """A level as written: a star count (``4``) or a grade name (``良好``)."""

    value: int | str
    span: Span = _span()


@attrs.frozen
class Bound:
    """One end of an interval; ``value`` None means unbounded (``..``)."""

    value: Decimal | None
    closed: bool
    span: Span = _span()


@attrs.frozen
class BandEntry:
    """``4: [80, 90)``, or ``0: else`` when ``low`` and ``high`` are None."""

    level: LevelRef
    low: Bound | None
    high: Bound | None
    span: Span = _span()

    @property
    def is_else(self) -> bool:
        return self.low is None


@attrs.frozen
class BandDecl:
    """``band 得分 {...}``, or ``level from 星数`` (``direct``: the level is the value)."""

    score: Name
    entries: tuple[BandEntry, ...]
    direct: bool = False
    span: Span = _span()


@attrs.frozen
class Rule:
    """A named rule of the pipeline.

    ``kind`` is one of ``require`` (validity: must hold), ``disqualify`` (eligibility),
    ``veto`` (level forced to the floor), ``cap`` (at most ``level``), ``demote`` (down
    ``steps``), ``flag`` (a named consequence).
    """

    kind: str
    name: String
    condition: Expr
    level: LevelRef | None = None
    steps: int | None = None
    span: Span = _span()


# ---- population rules: quotas and ranked selections ------------------------------


@attrs.frozen
class Amount:
    """A count (``3``) or a share (``10%``, stored as the ratio 0.1)."""

    value: Decimal
    percent: bool
    span: Span = _span()


@attrs.frozen
class QTarget:
    """``level 5 at most 10%``; ``scope`` is None (exactly that level), ``>=`` or ``<=``."""

    scope: str | None
    level: LevelRef
    bound: str  # "at most" | "at least" | "exactly" | "about"
    amount: Amount
    span: Span = _span()


@attrs.frozen
class QPick:
    """``bottom 10%`` / ``top 3`` in a selection."""

    end: str  # "top" | "bottom"
    amount: Amount
    span: Span = _span()


@attrs.frozen
class QPer:
    """``per 单位``; ``group`` None for ``over all``."""

    group: Name | None
    span: Span = _span()


@attrs.frozen
class QRound:
    mode: str  # "floor" | "ceiling" | "half-up"
    span: Span = _span()


@attrs.frozen
class RankKey:
    name: Name
    descending: bool | None  # None: not written (scores default to desc, texts to asc)
    span: Span = _span()


@attrs.frozen
class QRank:
    """``rank by 得分 desc then 名称 asc``: ties are judged on ``keys`` only; the
    ``tiebreak`` keys order the tied."""

    keys: tuple[RankKey, ...]
    tiebreak: tuple[RankKey, ...] = ()
    span: Span = _span()


@attrs.frozen
class QTies:
    mode: str  # "break" | "keep" | "drop"
    span: Span = _span()


@attrs.frozen
class QEnforce:
    enforced: bool
    span: Span = _span()


@attrs.frozen
class QMinimum:
    """``minimum 1 per 支部``: each group keeps its best qualified entities."""

    count: int
    per: Name
    span: Span = _span()


@attrs.frozen
class QApportion:
    """``apportion by 乡镇 using sainte-lague``: the whole count split among groups;
    ``first divisor 1.4`` after a Sainte-Laguë method sets its first divisor. ``method``
    is the name as written (an alias too: ``jefferson``)."""

    by: Name
    method: str | None
    span: Span = _span()
    first_divisor: Decimal | None = None
    first_span: Span | None = attrs.field(eq=False, repr=False, default=None)


@attrs.frozen
class QAmong:
    condition: Expr
    span: Span = _span()


@attrs.frozen
class QFlag:
    name: String
    span: Span = _span()


@attrs.frozen
class QCap:
    level: LevelRef
    span: Span = _span()


Clause = (
    QTarget | QPick | QPer | QRound | QRank | QTies | QEnforce | QMinimum | QApportion | QAmong | QFlag | QCap
)


@attrs.frozen
class PopulationRule:
    """A ``quota`` or ``select`` block: its clauses as written, in order."""

    kind: str  # "quota" | "select"
    name: String
    clauses: tuple[Clause, ...]
    span: Span = _span()


# ---- examples ------------------------------------------------------------------


@attrs.frozen
class Expectation:
    """``得分 = 93.5``, ``level = 5``, ``status = invalid``, ``reason = "..."``,
    ``flags = ["..."]``, ``badges = [...]``: ``key`` as written, ``value`` an
    expression (a literal) or, for lists, a tuple of texts."""

    key: Name | LevelExpr
    value: Expr | LevelRef | tuple[String, ...]
    span: Span = _span()


@attrs.frozen
class ExampleDecl:
    """``example "名" { given {...} period 2024 expect ... }``: inputs and the outcome
    the scheme must give for them."""

    name: String
    given: tuple[tuple[Name, Expr], ...]
    period: int | None
    expect: tuple[Expectation, ...]
    span: Span = _span()


Statement = (
    SchemeDecl | StarLevels | GradeLevels | InputDecl | ScoreDecl | RuleGroup | BadgesDecl | BandDecl | Rule
    | PopulationRule | ExampleDecl
)


@attrs.frozen
class SchemeFile:
    statements: tuple[Statement, ...]
    source_name: str = attrs.field(default="<string>", eq=False)
