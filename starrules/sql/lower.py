"""Lowering: the checked :class:`~starrules.model.Program` -> one sqlglot ``SELECT``.

Takes a program and the name of a source table (one text column per input, named as
the input, and ``#row``; see the package docstring for the contract); gives the entity
relation: per row, status and reason, every score, the level before quotas, the
overrides that held and the badges — what :func:`starrules.interpreter.evaluate` gives,
computed in exact ``DECIMAL`` arithmetic. Every tree is built from ``sqlglot.exp``
nodes: names are quoted identifiers, texts are string literals.

The query is a chain of CTEs: ``#read`` (each cell read and checked, as
:mod:`starrules.values` reads it: :mod:`starrules.sql.reading`), one CTE per layer of
scores (a score reads only scores of earlier layers), ``#rules`` (require, disqualify,
band and override conditions), then the final projection.

What SQL cannot compute exactly is refused before any query is built
(:class:`SqlUnsupported`, naming the construct and its line).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
from sqlglot import exp

from starrules import analysis
from starrules import model as m
from starrules import nodes as n
from starrules.errors import StarError
from starrules.i18n import N_, _
from starrules.sql import reading
from starrules.sql.reading import dec_type, decimal_const, ident, places

ROW = "#row"
STATUS = "#status"
REASON = "#reason"
RANK = "#rank"
BAND_RANK = "#band_rank"
LIMIT = "#limit"
TOTAL = "#total"
ID = "#id"

MAX_PRECISION = 38
RULE_KINDS = ("require", "disqualify", "demote", "cap", "veto", "flag")  # each handled below


class SqlUnsupported(StarError):  # noqa: N818 - named as the brief names it
    """A construct of the scheme that the SQL backend cannot compute exactly; ``construct``
    names it and ``line`` is its line in the scheme."""

    def __init__(self, construct: str, line: int, source: str = "") -> None:
        self.construct = construct
        self.line = line
        where = f"{source}:{line}" if source else str(line)
        super().__init__(_("{where}: the SQL backend cannot compute {construct}; "
                           "use the Python engine for this scheme").format(where=where, construct=construct))


@attrs.frozen
class Columns:
    """The entity relation's column names for a program (see the package docstring)."""

    inputs: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]  # (input, column)
    groups: tuple[tuple[str, str], ...]  # (group field, column)
    scores: tuple[str, ...]
    overrides: tuple[tuple[str, str, str], ...]  # (kind, rule name, column), in program.overrides order
    badges: tuple[tuple[str, str], ...]  # (label, column), in declared order


def columns(program: m.Program) -> Columns:
    return Columns(
        inputs=tuple(i.name for i in program.inputs),
        problems=tuple((i.name, f"#problem:{i.name}") for i in program.inputs),
        groups=tuple((g, f"#group:{g}") for g in program.group_fields),
        scores=tuple(s.name for s in program.scores),
        overrides=tuple((r.kind, r.name, f"{r.kind}:{r.name}") for r in program.overrides),
        badges=tuple((e.label, f"badge:{s.name}:{e.label}") for s in program.scores if s.kind == "badges"
                     for e in s.entries),
    )


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


# ---- scales and precisions ------------------------------------------------------------


class _Types:
    """The decimal places and the precision of every number the program computes."""

    def __init__(self, program: m.Program) -> None:
        self.program = program
        self.inputs = {i.name: i for i in program.inputs}
        self.ranges = analysis.Ranges(program)
        self.score_places: dict[str, int] = {}
        for score in program.scores:
            self.score_places[score.name] = self._score_places(score)

    def _score_places(self, score: m.Score) -> int:
        if score.expr is not None:
            return self.places(score.expr)
        if score.kind == "badges":
            return 0
        got = [self.places(e.expr) for e in score.entries]
        if score.cap is not None:
            got.append(places(score.cap))
        return max(got, default=0)

    def places(self, e: m.Expr) -> int:
        """An upper bound on the decimal places of a number expression's values."""
        if isinstance(e, (n.Number, n.Percent)):
            return places(e.value)
        if isinstance(e, m.Ref):
            if e.kind == "input":
                return reading.input_places(self.inputs[e.name])
            return self.score_places[e.name]
        if isinstance(e, n.BinOp):
            a, b = self.places(e.left), self.places(e.right)
            return a + b if e.op == "*" else max(a, b)
        if isinstance(e, n.Each):
            return self.places(e.amount) + self.places(e.count)
        if isinstance(e, n.Neg):
            return self.places(e.operand)
        if isinstance(e, n.When):
            return self.places(e.value)
        if isinstance(e, n.IfElse):
            return max(self.places(e.then), self.places(e.otherwise))
        if isinstance(e, n.Call):
            return max(self.places(a) for a in e.args)
        if isinstance(e, n.Table):
            return max((places(x.value) for x in e.entries), default=0)
        if isinstance(e, n.Weighted):
            return weighted_places(self, e)
        return 0

    def score_type(self, score: m.Score) -> exp.DataType:
        s = self.score_places[score.name]
        iv = self.ranges.scores[score.name]
        return dec_type(_precision(iv, s, score.span.line), s)


def _precision(iv: analysis.Interval, scale: int, line: int) -> int:
    if not (iv.lo.is_finite() and iv.hi.is_finite()):
        p = MAX_PRECISION
    else:
        whole = max(abs(iv.lo), abs(iv.hi)).to_integral_value(rounding="ROUND_CEILING")
        p = len(str(int(whole))) + scale
    if scale > MAX_PRECISION - 1:
        raise SqlUnsupported(_("a number with {places} decimal places").format(places=scale), line)
    if p > MAX_PRECISION:  # never capped in silence: DuckDB would overflow, Spark round
        raise SqlUnsupported(_("a number of up to {digits} digits (SQL's DECIMAL holds {most})").format(
            digits=p, most=MAX_PRECISION), line)
    return max(p, scale + 1)


def _finite_inverse(q: Fraction) -> Decimal | None:
    """1/q as an exact decimal, or None when its expansion does not end."""
    inv = 1 / q
    den = inv.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return None
    return reading.exact(inv)


def weighted_places(types: _Types, e: n.Weighted) -> int:
    if e.round_to is not None:
        return places(e.round_to)
    total = sum((Fraction(w.value) for w in e.weights), Fraction(0))
    inv = _finite_inverse(total)
    if inv is None:
        raise SqlUnsupported(_("weighted raters whose weights do not divide exactly (no round)"), e.span.line)
    return max(places(Decimal(w.value) * inv) + types.places(a) for w, a in zip(e.weights, e.args, strict=True))


# ---- expressions ---------------------------------------------------------------------

Resolve = Callable[[m.Ref], exp.Expr]


class _Lower:
    """Lowers model expressions; ``resolve`` gives the column of an input or a score,
    ``level`` the rank that ``level`` stands for (flags only)."""

    def __init__(self, program: m.Program, types: _Types, resolve: Resolve,
                 level: exp.Expr | None = None) -> None:
        self.program = program
        self.types = types
        self.resolve = resolve
        self.level = level

    def __call__(self, e: m.Expr) -> exp.Expr:
        handler = HANDLERS.get(type(e))
        if handler is None:  # a node class without a handler is a bug, never silent
            raise TypeError(f"the SQL backend has no handler for {type(e).__name__}")
        return handler(self, e)

    def numeric(self, e: m.Expr) -> bool:
        """Whether ``e`` is a number (a DECIMAL in SQL)."""
        if isinstance(e, (n.Number, n.Percent, n.BinOp, n.Each, n.Neg, n.When, n.Weighted, n.Table)):
            return True
        if isinstance(e, m.Ref):
            return e.kind == "score" or self.types.inputs[e.name].type.kind in ("number", "count", "percent")
        if isinstance(e, n.Call):
            return e.func in ("sum", "max", "min")
        if isinstance(e, n.IfElse):
            return self.numeric(e.then)
        return False

    def exact(self, e: m.Expr, places: int | None = None) -> exp.Expr:
        """``e`` lowered, a number cast to DECIMAL(38, its places): where values of several
        types meet (a comparison, CASE, GREATEST) no dialect then picks a type that drops
        places or turns to DOUBLE; a value too large for it is an error, never rounded."""
        out = self(e)
        if not self.numeric(e):
            return out
        return exp.Cast(this=out, to=dec_type(MAX_PRECISION, self.types.places(e) if places is None else places))

    def is_set(self, e: m.Expr) -> bool:
        if isinstance(e, m.Ref) and e.kind == "input":
            return self.types.inputs[e.name].type.kind == "set"
        return False


HANDLERS: dict[type, Callable[[_Lower, Any], exp.Expr]] = {}


def _handles(cls: type) -> Callable[[Callable[[_Lower, Any], exp.Expr]],
                                    Callable[[_Lower, Any], exp.Expr]]:
    def register(fn: Callable[[_Lower, Any], exp.Expr]) -> Callable[[_Lower, Any], exp.Expr]:
        HANDLERS[cls] = fn
        return fn

    return register


def _paren(e: exp.Expr) -> exp.Expr:
    return exp.Paren(this=e)


@_handles(n.Number)
def _number(lw: _Lower, e: n.Number) -> exp.Expr:
    return decimal_const(e.value)


@_handles(n.Percent)
def _percent(lw: _Lower, e: n.Percent) -> exp.Expr:
    return decimal_const(e.value)


@_handles(n.Bool)
def _bool(lw: _Lower, e: n.Bool) -> exp.Expr:
    return exp.Boolean(this=e.value)


@_handles(n.String)
def _string(lw: _Lower, e: n.String) -> exp.Expr:
    return exp.Literal.string(e.value)


@_handles(m.Ref)
def _ref(lw: _Lower, e: m.Ref) -> exp.Expr:
    return lw.resolve(e)


@_handles(m.Member)
def _member(lw: _Lower, e: m.Member) -> exp.Expr:
    return exp.Literal.string(e.value)


@_handles(m.LevelConst)
def _level_const(lw: _Lower, e: m.LevelConst) -> exp.Expr:
    return exp.Literal.number(e.rank)


@_handles(n.LevelExpr)
def _level(lw: _Lower, e: n.LevelExpr) -> exp.Expr:
    if lw.level is None:  # the checker lets 'level' only into flag rules
        raise TypeError("'level' read outside a flag rule")
    return lw.level


@_handles(n.SetLiteral)
def _set_literal(lw: _Lower, e: n.SetLiteral) -> exp.Expr:
    # a set literal is only ever the right side of 'in' (handled there) or compared
    raise SqlUnsupported(_("a set of values outside 'in'"), e.span.line)


@_handles(n.BinOp)
def _binop(lw: _Lower, e: n.BinOp) -> exp.Expr:
    if e.op == "*":
        return _product(lw, e, e.left, e.right)
    a, b = _paren(lw(e.left)), _paren(lw(e.right))
    if e.op == "+":
        return exp.Add(this=a, expression=b)
    return exp.Sub(this=a, expression=b)


@_handles(n.Each)
def _each(lw: _Lower, e: n.Each) -> exp.Expr:
    return _product(lw, e, e.amount, e.count)


INT64_DIGITS = 18
"""DuckDB multiplies two DECIMALs of at most 18 digits as DECIMAL(18) (in 64 bits), and a
product of more digits overflows there, though the result type could have held it."""


def _product(lw: _Lower, e: n.BinOp | n.Each, left: m.Expr, right: m.Expr) -> exp.Expr:
    """``e``, the product ``left * right``. When it may need more than 18 digits, both
    factors are cast to their own exact types, the left one at least 19 digits wide: every
    dialect then multiplies in a type wide enough for every value the declarations allow
    (up to 38 digits: a product the declarations allow to be wider is refused up front by
    ``_precision``; Spark must not drop places, see ``spark.SETTINGS``)."""
    a, b = lw(left), lw(right)
    rs = lw.types.ranges
    sa, sb = lw.types.places(left), lw.types.places(right)
    line = e.span.line
    if _precision(rs.of(e), sa + sb, line) > INT64_DIGITS:
        a = exp.Cast(this=a, to=dec_type(max(_precision(rs.of(left), sa, line), INT64_DIGITS + 1), sa))
        b = exp.Cast(this=b, to=dec_type(_precision(rs.of(right), sb, line), sb))
    return exp.Mul(this=_paren(a), expression=_paren(b))


@_handles(n.Neg)
def _neg(lw: _Lower, e: n.Neg) -> exp.Expr:
    return exp.Neg(this=_paren(lw(e.operand)))


_COMPARE: dict[str, type[exp.Expr]] = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
                                             "==": exp.EQ, "!=": exp.NEQ}


@_handles(n.Compare)
def _compare(lw: _Lower, e: n.Compare) -> exp.Expr:
    if lw.is_set(e.left) or lw.is_set(e.right) or isinstance(e.left, n.SetLiteral) \
            or isinstance(e.right, n.SetLiteral):
        raise SqlUnsupported(_("a comparison of sets"), e.span.line)
    sc = max(lw.types.places(e.left), lw.types.places(e.right))
    return _COMPARE[e.op](this=_paren(lw.exact(e.left, sc)), expression=_paren(lw.exact(e.right, sc)))


def set_has(members: exp.Expr, item: exp.Expr) -> exp.Expr:
    """Whether a set (its members joined by 、, see reading.py) holds ``item``."""
    sep = exp.Literal.string(reading.SET_JOIN)
    hay = exp.DPipe(this=exp.DPipe(this=sep, expression=members, safe=True), expression=sep, safe=True)
    needle = exp.DPipe(this=exp.DPipe(this=sep, expression=item, safe=True), expression=sep, safe=True)
    return exp.GT(this=exp.StrPosition(this=hay, substr=needle), expression=exp.Literal.number(0))


@_handles(n.Contains)
def _contains(lw: _Lower, e: n.Contains) -> exp.Expr:
    item = lw(e.item)
    if isinstance(e.collection, n.SetLiteral):
        sc = max([lw.types.places(e.item)] + [lw.types.places(x) for x in e.collection.items])
        item = lw.exact(e.item, sc)
        found: exp.Expr = exp.or_(*[exp.EQ(this=_paren(item.copy()), expression=_paren(lw.exact(x, sc)))
                                    for x in e.collection.items]) if e.collection.items \
            else exp.Boolean(this=False)
    elif lw.is_set(e.collection):
        found = set_has(lw(e.collection), item)
    else:
        raise SqlUnsupported(_("'in' over this kind of value"), e.span.line)
    found = _paren(found)
    return exp.Not(this=found) if e.negated else found


@_handles(n.And)
def _and(lw: _Lower, e: n.And) -> exp.Expr:
    return exp.And(this=_paren(lw(e.left)), expression=_paren(lw(e.right)))


@_handles(n.Or)
def _or(lw: _Lower, e: n.Or) -> exp.Expr:
    return exp.Or(this=_paren(lw(e.left)), expression=_paren(lw(e.right)))


@_handles(n.Not)
def _not(lw: _Lower, e: n.Not) -> exp.Expr:
    return exp.Not(this=_paren(lw(e.operand)))


@_handles(n.When)
def _when(lw: _Lower, e: n.When) -> exp.Expr:
    sc = lw.types.places(e.value)
    return exp.Case(ifs=[exp.If(this=lw(e.condition), true=lw.exact(e.value, sc))],
                    default=exp.Cast(this=decimal_const(Decimal(0)), to=dec_type(MAX_PRECISION, sc)))


@_handles(n.IfElse)
def _ifelse(lw: _Lower, e: n.IfElse) -> exp.Expr:
    sc = lw.types.places(e)
    return exp.Case(ifs=[exp.If(this=lw(e.condition), true=lw.exact(e.then, sc))], default=lw.exact(e.otherwise, sc))


def _extreme(values: list[exp.Expr], largest: bool) -> exp.Expr:
    """max/min: NULL when any value is NULL. (The values are never NULL on a row that
    reads, but SQL's GREATEST and LEAST skip a NULL, and Spark may compute a score of a row
    with bad values, masked or not: min(次一 + 甲, 7.2 × 率一) with 率一 bad was 次一 + 甲,
    20, which the score's DECIMAL(10, 9) cannot hold: an error, in ANSI mode.)"""
    if len(values) == 1:
        return values[0]
    cls = exp.Greatest if largest else exp.Least
    null = exp.or_(*[exp.Is(this=v.copy(), expression=exp.Null()) for v in values])
    return exp.Case(ifs=[exp.If(this=null, true=exp.Null())], default=cls(this=values[0], expressions=values[1:]))


@_handles(n.Call)
def _call(lw: _Lower, e: n.Call) -> exp.Expr:
    args = [lw(a) for a in e.args]
    if e.func == "sum":
        out = _paren(args[0])
        for a in args[1:]:
            out = exp.Add(this=out, expression=_paren(a))
        return out
    if e.func in ("max", "min"):
        sc = lw.types.places(e)
        return _extreme([lw.exact(a, sc) for a in e.args], e.func == "max")
    if e.func == "all":
        return exp.and_(*[_paren(a) for a in args])
    if e.func == "any":
        return exp.or_(*[_paren(a) for a in args])
    raise TypeError(f"unknown function {e.func}")  # the checker lets none through


def round_half_up(x: exp.Expr, step: Decimal, line: int) -> exp.Expr:
    """``runtime.round_half_up``: x to a multiple of ``step``, halves away from zero."""
    inv = _finite_inverse(Fraction(step))
    if inv is None:
        raise SqlUnsupported(_("rounding to a step of {step}").format(step=step), line)
    scaled = exp.Mul(this=_paren(x), expression=decimal_const(inv))
    half = decimal_const(Decimal("0.5"))
    up = exp.Floor(this=exp.Add(this=exp.Abs(this=scaled), expression=half))
    signed = exp.Case(ifs=[exp.If(this=exp.LT(this=scaled.copy(), expression=decimal_const(Decimal(0))),
                                  true=exp.Neg(this=_paren(up)))], default=up.copy())
    return exp.Mul(this=_paren(signed), expression=decimal_const(step))


@_handles(n.Weighted)
def _weighted(lw: _Lower, e: n.Weighted) -> exp.Expr:
    total = sum((Fraction(w.value) for w in e.weights), Fraction(0))
    inv = _finite_inverse(total)
    if inv is None:
        raise SqlUnsupported(_("weighted raters whose weights do not divide exactly"), e.span.line)
    parts = [exp.Mul(this=decimal_const(Decimal(w.value) * inv), expression=_paren(lw(a)))
             for w, a in zip(e.weights, e.args, strict=True)]
    out: exp.Expr = parts[0]
    for p in parts[1:]:
        out = exp.Add(this=out, expression=p)
    if e.round_to is not None:
        return round_half_up(out, e.round_to, e.span.line)
    return out


@_handles(n.Table)
def _table(lw: _Lower, e: n.Table) -> exp.Expr:
    subject = lw(e.subject)
    zero = decimal_const(Decimal(0))
    if e.kind == "lookup":
        return exp.Case(ifs=[exp.If(this=exp.EQ(this=subject.copy(), expression=exp.Literal.string(x.key.id)),
                                    true=decimal_const(x.value)) for x in e.entries] or None, default=zero) \
            if e.entries else zero
    if e.kind == "highest":  # the best entry the set holds, 0 for none
        best = sorted(e.entries, key=lambda x: x.value, reverse=True)
        ifs = [exp.If(this=set_has(subject.copy(), exp.Literal.string(x.key.id)), true=decimal_const(x.value))
               for x in best]
        return exp.Case(ifs=ifs, default=zero) if ifs else zero
    out: exp.Expr = zero
    for x in e.entries:
        out = exp.Add(this=out, expression=exp.Case(
            ifs=[exp.If(this=set_has(subject.copy(), exp.Literal.string(x.key.id)), true=decimal_const(x.value))],
            default=zero.copy()))
    return out


def _history(what: str) -> Callable[[_Lower, Any], exp.Expr]:
    def refuse(lw: _Lower, e: Any) -> exp.Expr:
        raise SqlUnsupported(_(what), e.span.line)
    return refuse


HANDLERS[n.Vetoed] = _history(N_("'vetoed within' (earlier outcomes)"))
HANDLERS[n.Flagged] = _history(N_("'flagged within' (earlier outcomes)"))
HANDLERS[n.HistoryLevel] = _history(N_("'history level' (earlier outcomes)"))


# ---- the query -----------------------------------------------------------------------


def refuse_early(program: m.Program) -> None:
    """Refuse before building anything: constructs with no exact SQL."""
    try:
        for _name, e in analysis.expressions(program):
            for node in _walk(e):
                if isinstance(node, (n.Vetoed, n.Flagged, n.HistoryLevel)):
                    HANDLERS[type(node)](_Lower(program, _Types.__new__(_Types), lambda r: col(r.name)), node)
        for inp in program.inputs:
            reading.check_supported(inp)
        _Types(program)  # weighted raters and roundings that do not divide exactly
    except SqlUnsupported as exc:
        if exc.construct and program.source_name:
            raise SqlUnsupported(exc.construct, exc.line, program.source_name) from None
        raise


def _walk(e: Any) -> list[object]:
    out = [e]
    if attrs.has(type(e)):
        for f in attrs.fields(type(e)):
            v = getattr(e, f.name)
            if isinstance(v, tuple):
                for x in v:
                    out += _walk(x)
            elif attrs.has(type(v)) and not isinstance(v, n.Span):
                out += _walk(v)
    return out


def _layers(program: m.Program) -> list[list[m.Score]]:
    """Scores in layers: each reads only scores of earlier layers."""
    depth: dict[str, int] = {}
    for s in program.scores:
        refs = set()
        for e in ([s.expr] if s.expr is not None else []) + [x.expr for x in s.entries] + \
                [x.applies for x in s.entries if x.applies is not None]:
            refs |= {name for kind, name in analysis.references(e) if kind == "score"}
        depth[s.name] = 1 + max((depth[r] for r in refs if r in depth), default=-1)
    out: list[list[m.Score]] = []
    for s in program.scores:
        while len(out) <= depth[s.name]:
            out.append([])
        out[depth[s.name]].append(s)
    return out


def _badge_won(lw: _Lower, entry: m.GroupEntry) -> exp.Expr:
    won = _paren(lw(entry.expr))
    if entry.applies is not None:
        won = exp.And(this=_paren(lw(entry.applies)), expression=won)
    return won


def _score_expr(lw: _Lower, types: _Types, score: m.Score) -> exp.Expr:
    zero = decimal_const(Decimal(0))
    if score.expr is not None:
        value = lw(score.expr)
    elif score.kind == "badges":
        value = zero
        for entry in score.entries:
            value = exp.Add(this=value, expression=exp.Case(
                ifs=[exp.If(this=_badge_won(lw, entry), true=decimal_const(Decimal(1)))], default=zero.copy()))
    else:
        value = zero
        for entry in score.entries:
            value = exp.Add(this=value, expression=_paren(lw(entry.expr)))
        if score.cap is not None:
            sc = types.score_places[score.name]
            cap: exp.Expr = exp.Cast(this=decimal_const(score.cap), to=dec_type(MAX_PRECISION, sc))
            value = exp.Cast(this=value, to=dec_type(MAX_PRECISION, sc))
            value = exp.Case(ifs=[exp.If(this=exp.GT(this=_paren(value), expression=cap), true=cap.copy())],
                             default=value.copy())
    return exp.Cast(this=value, to=types.score_type(score))


def entity_query(program: m.Program, source: str = "input", types: reading.Kinds | None = None) -> exp.Select:
    """The entity relation of ``program`` over the table ``source`` (package docstring);
    ``types`` names the kind of each typed column (``reading.COLUMN_KINDS``), text if not."""
    if source.startswith("#"):
        raise ValueError(f"the source table's name {source!r} starts with '#', the prefix of the query's own tables")
    refuse_early(program)
    for rule in program.rules:
        if rule.kind not in RULE_KINDS:  # a rule kind without a handler is a bug, never silent
            raise TypeError(f"the SQL backend has no handler for {rule.kind} rules")
    decl = _Types(program)
    names = columns(program)
    resolve: Resolve = lambda r: col(r.name)  # noqa: E731 - inputs and scores are columns by name
    lw = _Lower(program, decl, resolve)

    ctes: list[tuple[str, exp.Select]] = reading.read_ctes(program, source, types)
    prev = "#read"
    for i, layer in enumerate(_layers(program)):
        name = f"#scores{i}"
        sel = exp.select(exp.Star()).from_(exp.Table(this=ident(prev)))
        for score in layer:
            sel = sel.select(exp.alias_(_score_expr(lw, decl, score), ident(score.name)), append=True, copy=False)
        ctes.append((name, sel))
        prev = name

    # conditions of rules, badges, the band
    rules = exp.select(exp.Star()).from_(exp.Table(this=ident(prev)))
    conds: dict[str, str] = {}
    for k, rule in enumerate(program.rules):
        if rule.kind == "flag":
            continue
        cname = f"#cond{k}"
        conds[f"{rule.kind}\x00{rule.name}"] = cname
        rules = rules.select(exp.alias_(_paren(lw(rule.condition)), ident(cname)), append=True, copy=False)
    for _label, bcol in names.badges:
        entry = next(e for s in program.scores if s.kind == "badges" for e in s.entries
                     if f"badge:{s.name}:{e.label}" == bcol)
        rules = rules.select(exp.alias_(_paren(_badge_won(lw, entry)), ident(bcol)), append=True, copy=False)
    assert program.band is not None
    rules = rules.select(exp.alias_(_band_rank(program, lw), ident(BAND_RANK)), append=True, copy=False)
    ctes.append(("#rules", rules))

    start = exp.select(exp.Star(), exp.alias_(col(BAND_RANK), ident("#r0")),
                       exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build("INT")), ident("#l0")))
    ctes.append(("#over", start.from_(exp.Table(this=ident("#rules")))))
    prev = "#over"
    for i, rule in enumerate(program.overrides):
        name = f"#over{i}"
        ctes.append((name, _override_step(program, i, rule, conds, prev)))
        prev = name
    more, final = _final(program, names, conds, prev)
    ctes += more
    for cname, body in ctes:
        final = final.with_(ident(cname), as_=body, copy=False)
    return final


def _band_rank(program: m.Program, lw: _Lower) -> exp.Expr:
    band = program.band
    assert band is not None
    sc = max([lw.types.places(band.score)] + [places(v) for r in band.ranges for v in (r.low, r.high)
                                               if v is not None])
    x = lw.exact(band.score, sc)
    if band.direct:
        low = program.levels.values[0]
        assert isinstance(low, int)
        return exp.Sub(this=exp.Cast(this=x, to=exp.DataType.build("INT")), expression=exp.Literal.number(low))
    ifs = []
    for r in band.ranges:
        parts: list[exp.Expr] = []
        if r.low is not None:
            at_low = exp.GTE if r.low_closed else exp.GT
            parts.append(at_low(this=x.copy(), expression=exp.Cast(this=decimal_const(r.low),
                                                                   to=dec_type(MAX_PRECISION, sc))))
        if r.high is not None:
            at_high = exp.LTE if r.high_closed else exp.LT
            parts.append(at_high(this=x.copy(), expression=exp.Cast(this=decimal_const(r.high),
                                                                     to=dec_type(MAX_PRECISION, sc))))
        ifs.append(exp.If(this=exp.and_(*parts) if parts else exp.Boolean(this=True),
                          true=exp.Literal.number(r.rank)))
    default = exp.Literal.number(band.else_rank) if band.else_rank is not None else exp.Null()
    return exp.Case(ifs=ifs, default=default)


def _override_step(program: m.Program, i: int, rule: m.RuleIR, conds: dict[str, str], prev: str) -> exp.Select:
    """One override: the rank ``#r{i+1}`` from ``#r{i}``, whether it fixed the level
    (``#fix{i}``: a veto whenever it held, a cap or demotion when it moved the level),
    and the limit ``#l{i+1}`` (the highest rank held caps and vetoes allow, NULL for none)."""
    hit = col(conds[f"{rule.kind}\x00{rule.name}"])
    was, lim = col(f"#r{i}"), col(f"#l{i}")
    zero = exp.Literal.number(0)
    if rule.kind == "demote":
        assert rule.steps is not None
        moved: exp.Expr = exp.Greatest(this=exp.Sub(this=was.copy(), expression=exp.Literal.number(rule.steps)),
                                             expressions=[zero.copy()])
    elif rule.kind == "cap":
        assert rule.rank is not None
        moved = exp.Least(this=was.copy(), expressions=[exp.Literal.number(rule.rank)])
    else:
        moved = zero.copy()
    rank = exp.Case(ifs=[exp.If(this=hit.copy(), true=moved)], default=was.copy())
    if rule.kind == "veto":
        fixed: exp.Expr = hit.copy()
    else:
        fixed = exp.and_(hit.copy(), exp.NEQ(this=_paren(rank.copy()), expression=was.copy()))
    if rule.kind == "demote":
        limit: exp.Expr = lim.copy()
    else:
        now = exp.Coalesce(this=lim.copy(), expressions=[exp.Literal.number(program.levels.top)])
        moved_limit = exp.Least(this=now, expressions=[exp.Literal.number(rule.rank)]) if rule.kind == "cap" \
            else zero.copy()
        limit = exp.Case(ifs=[exp.If(this=hit.copy(), true=moved_limit)], default=lim.copy())
    return exp.select(exp.Star(), exp.alias_(rank, ident(f"#r{i + 1}")), exp.alias_(fixed, ident(f"#fix{i}")),
                      exp.alias_(limit, ident(f"#l{i + 1}"))).from_(exp.Table(this=ident(prev)))


def _final(program: m.Program, names: Columns, conds: dict[str, str],
           source: str) -> tuple[list[tuple[str, exp.Select]], exp.Select]:
    """The CTEs ``#valid`` (every cell reads), ``#outcome`` (status and reason) and the
    final projection."""
    def c(kind: str, name: str) -> exp.Column:
        return col(conds[f"{kind}\x00{name}"])

    all_read = exp.and_(*[exp.Is(this=col(p), expression=exp.Null()) for _i, p in names.problems]) \
        if names.problems else exp.Boolean(this=True)
    valid = col("#valid")
    # status and reason of rows that do not get rated
    gates = [(r, exp.Not(this=_paren(c(r.kind, r.name))) if r.kind == "require" else c(r.kind, r.name))
             for r in program.rules_of("require") + program.rules_of("disqualify")]
    status_ifs = [exp.If(this=exp.Not(this=_paren(valid)), true=exp.Literal.string("invalid"))]
    status_ifs += [exp.If(this=g, true=exp.Literal.string("invalid" if r.kind == "require" else "ineligible"))
                   for r, g in gates]
    status = exp.Case(ifs=status_ifs, default=exp.Literal.string("rated"))
    rated = exp.EQ(this=col(STATUS), expression=exp.Literal.string("rated"))

    # overrides (interpreter step 7) are computed in the "#over" CTEs: the rank after each
    reason_ifs = [exp.If(this=col(f"#fix{i}"), true=exp.Literal.string(rule.name))
                  for i, rule in reversed(list(enumerate(program.overrides)))]
    last = len(program.overrides)
    rank = col(f"#r{last}")
    limit = col(f"#l{last}")
    band = col(BAND_RANK)

    problem_reason = reading.reason_expr(program)
    gate_reason = [exp.If(this=g, true=exp.Literal.string(r.name)) for r, g in gates]
    reason = exp.Case(ifs=[exp.If(this=exp.Not(this=_paren(valid.copy())), true=problem_reason), *gate_reason,
                           *reason_ifs], default=exp.Null())

    def when_rated(e: exp.Expr) -> exp.Expr:
        return exp.Case(ifs=[exp.If(this=rated.copy(), true=e)], default=exp.Null())

    ctes = [("#valid", exp.select(exp.Star(), exp.alias_(all_read, ident("#valid"))).from_(
        exp.Table(this=ident(source)))),
        ("#outcome", exp.select(exp.Star(), exp.alias_(status, ident(STATUS)), exp.alias_(reason, ident(REASON)))
         .from_(exp.Table(this=ident("#valid"))))]
    out = exp.select(col(ROW), col(STATUS), col(REASON))
    out = out.select(*[col(p) for _i, p in names.problems], col(ID), *[col(g) for _f, g in names.groups],
                     append=True, copy=False)
    out = out.select(exp.alias_(when_rated(rank), ident(RANK)), exp.alias_(when_rated(band), ident(BAND_RANK)),
                     exp.alias_(when_rated(limit), ident(LIMIT)), append=True, copy=False)
    assert program.band is not None
    total_name = program.total if program.total is not None and program.total in names.scores \
        else program.band.score.name
    out = out.select(exp.alias_(when_rated(col(total_name)), ident(TOTAL)), append=True, copy=False)
    out = out.select(*[exp.alias_(exp.Case(ifs=[exp.If(this=valid.copy(), true=col(i))], default=exp.Null()),
                                  ident(i)) for i in names.inputs], append=True, copy=False)
    out = out.select(*[exp.alias_(when_rated(col(s)), ident(s)) for s in names.scores], append=True, copy=False)
    for kind, name, ocol in names.overrides:
        out = out.select(exp.alias_(when_rated(c(kind, name)), ident(ocol)), append=True, copy=False)
    out = out.select(*[exp.alias_(when_rated(col(b)), ident(b)) for _l, b in names.badges], append=True, copy=False)
    return ctes, out.from_(exp.Table(this=ident("#outcome"))).order_by(col(ROW))


# ---- over the entity relation -----------------------------------------------------------


def condition(program: m.Program, expr: m.Expr, level: exp.Expr | None,
              table: str | None = None) -> exp.Expr:
    """A model condition over the entity relation's columns (``table`` qualifies them),
    ``level`` standing for ``level``."""
    refuse_early(program)
    lw = _Lower(program, _Types(program), lambda r: col(r.name, table), level)
    return lw(expr)


def flag_conditions(program: m.Program, level: exp.Expr,
                    table: str | None = None) -> list[tuple[str, exp.Expr]]:
    """Each flag rule's condition at the rank ``level``, in declared order."""
    return [(r.name, condition(program, r.condition, level, table)) for r in program.rules_of("flag")]
