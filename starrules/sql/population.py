"""The population steps in SQL: the entity relation -> final levels, moves and quota reports.

Takes a DuckDB connection holding the entity relation (``starrules.sql.lower``) of a
population in a table, and the checked program; gives, per rated row, the final level
rank, the moves (:class:`starrules.population.Move`), the flags selections gave, and the
:class:`starrules.population.QuotaReport` of every quota and selection per group. The
semantics are those of :mod:`starrules.population`, step for step:

1. selections that cap, then every quota in the scheme's order, then selections that flag;
2. a quota per group (``per``; the whole population without it): the target from the
   group's count (rounded as declared, computed in ``DECIMAL``), the overflow of an
   at-most/exactly quota cut from the lowest ranked (the minimum per group protected, ties
   kept, dropped or broken at the boundary), the shortfall of an at-least/exactly quota
   filled from the next in line, each a window query (``ROW_NUMBER``/``MIN``/``MAX``/
   ``COUNT`` ``OVER (PARTITION BY group ...)``) whose result is a temporary table, then an
   ``UPDATE`` of the levels (on Spark, which has no UPDATE, ``#pop`` made anew);
3. ``apportion by``: the group counts by ``GROUP BY``, only the apportionment of those
   totals in Python (:func:`starrules.apportion.apportion`), the targets joined back;
4. every quota's report checked again against the final levels.

Every ranking ends in the scheme's tie-break keys, then, when those may tie (no unique id
among the keys), in the entity's own values as text (the reference's last resort,
computed once in Python into ``#canon``), then in the input row. Only the per-group
counts (and the rare rows a quota cannot move, named in its note) come back to Python,
where the reports are made with the reference's own words. What each step did to each
row stays in SQL: ``#moves`` (the row, the step, from and to which level, its place and
the count it was ranked in, its group), ``#ties`` and ``#picked`` (the flags selections
gave). :meth:`Steps.block` makes a range of rows' moves (their reasons in the rating's
language), ties and flags when their outcomes are made; a hundred million rows can be
rated and written without them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs
from sqlglot import exp

from starrules import i18n
from starrules import model as m
from starrules.apportion import ApportionmentError
from starrules.i18n import N_, _
from starrules.population import (
    Move,
    QuotaReport,
    Tie,
    _amount_text,
    _apportion_how,
    _bound_text,
    _ordinal,
    _places,
    _scope_text,
    _tie,
    _where,
    apportioned,
    not_applied,
    share_count,
)
from starrules.sql import statements
from starrules.sql.lower import ID, ROW, SqlUnsupported, col, condition
from starrules.sql.reading import ident
from starrules.values import canonical_text

AT = "#at"  # the level rank now
LIM = "#lim"  # the highest rank vetoes, caps and capping selections allow (NULL: none)
CANON = "#canon"  # the entity's place by its own values (0 when never needed)
POP = "#pop"
TEXT_KINDS = ("text", "enum")  # id and group inputs are texts too


def _lit(v: int) -> exp.Expr:
    return exp.Literal.number(v)


def check_supported(program: m.Program, key_kinds: dict[str, str]) -> None:
    """Refuse, before any query runs, a population rule the SQL steps cannot rank exactly:
    a ranking key that is a yes/no or a set (``key_kinds`` names each input's type kind)."""
    for rule in program.quotas + program.selections:
        for k in rule.keys + rule.tiebreak:
            if k.ref.kind == "input" and key_kinds.get(k.ref.name) in ("bool", "set"):
                raise SqlUnsupported(N_("a ranking by a yes/no or set input"), rule.span.line, program.source_name)


MOVES = "#moves"  # (r, s, at, t, p, n, g): row r moved by step s from rank at to t, ranked p of n in group g
TIES = "#ties"  # (r, s, tied, places, k): row r was in a tie of step s (see population.Tie)
PICKED = "#picked"  # (r, s): row r was given the flag of selection step s
RECORDS = {MOVES: [("r", "BIGINT"), ("s", "INTEGER"), ("at", "INTEGER"), ("t", "INTEGER"), ("p", "BIGINT"),
                   ("n", "BIGINT"), ("g", "VARCHAR")],
           TIES: [("r", "BIGINT"), ("s", "INTEGER"), ("tied", "BIGINT"), ("places", "BIGINT"), ("k", "BOOLEAN")],
           PICKED: [("r", "BIGINT"), ("s", "INTEGER")]}


@attrs.frozen
class Step:
    """One step that moves or flags rows (a quota's cut or fill, a selection): its rule,
    how its ties are settled, and the text of a move's reason from the numbers kept for
    it in ``#moves`` (from rank, to rank, place, count, group)."""

    rule: m.PopRule
    settle: str
    why: Callable[[int, int, int, int | None, str], str]


@attrs.define
class Steps:
    """The population steps over ``#pop`` on connection ``con`` (see the module docstring):
    a DuckDB connection, or a Spark session with ``dialect="spark"`` (see :meth:`make`).
    What they do to each row stays in three tables (``#moves``, ``#ties``, ``#picked``),
    numbered by the :class:`Step` in ``done``; :meth:`block` makes the rows' moves, ties and
    selection flags for a range of rows, when their outcomes are made."""

    con: Any
    program: m.Program
    dialect: str = "duckdb"
    done: list[Step] = attrs.field(factory=list)
    language: str = attrs.field(factory=i18n.language)  # the moves' reasons are said in the rating's language

    parts: dict[str, list[Any]] = attrs.field(factory=dict)  # Spark: each record table's per-step DataFrames

    def __attrs_post_init__(self) -> None:
        for name, columns in RECORDS.items():
            if self.dialect == "spark":  # an empty view of the columns; each step's rows are unioned to it
                empty = exp.select(*[exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build(t)), ident(c))
                                     for c, t in columns]).where(exp.false())
                self.parts[name] = [self.con.sql(self.sql(empty))]
                self._view(name, self.parts[name][0])
            else:
                self.execute(statements.create_columns(name, columns))

    def step(self, rule: m.PopRule, settle: str, why: Callable[[int, int, int, int | None, str], str]) -> int:
        """Number a new step (its rows in the three tables carry the number)."""
        self.done.append(Step(rule, settle, why))
        return len(self.done) - 1

    # ---- running ------------------------------------------------------------------

    def sql(self, e: exp.Expr) -> str:
        return e.sql(dialect=self.dialect)

    def run(self, e: exp.Expr) -> list[tuple[Any, ...]]:
        """The rows of the query ``e`` (a SELECT: it always has a result, so any error is raised)."""
        if self.dialect == "spark":
            return [tuple(r) for r in self.con.sql(self.sql(e)).collect()]
        return list(self.con.execute(self.sql(e)).fetchall())

    def execute(self, e: exp.Expr) -> None:
        self.con.execute(self.sql(e))

    # ---- the tables the steps make and change: DuckDB's tables, Spark's views ---------
    # Spark's default catalog has no UPDATE and no CREATE OR REPLACE TABLE AS: there each
    # table is a DataFrame, computed once (``localCheckpoint``: its plan does not grow step
    # after step) and named by a temporary view; a changed table is a new one made from
    # the old, the record tables the union of their steps' rows.

    def _view(self, name: str, frame: Any) -> None:
        frame.createOrReplaceTempView(self.sql(ident(name)))

    def make(self, name: str, body: exp.Select) -> None:
        """The table ``name`` (replaced) from ``body``."""
        if self.dialect == "spark":
            self._view(name, self.con.sql(self.sql(body)).localCheckpoint())
        else:
            self.execute(statements.create_as(name, body))

    def load(self, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]]) -> None:
        """The table ``name`` (replaced) of ``rows`` from Python, its ``columns`` (name, SQL type)."""
        if self.dialect == "spark":
            schema = ", ".join(f"{self.sql(ident(c))} {exp.DataType.build(t).sql(dialect='spark')}" for c, t in columns)
            self._view(name, self.con.createDataFrame(list(rows), schema))
            return
        self.execute(statements.create_columns(name, columns))
        if rows:
            self.con.execute(statements.insert_columns(name, [t for _c, t in columns]).sql(dialect="duckdb"),
                             [list(column) for column in zip(*rows, strict=True)])

    def view(self, name: str, body: exp.Select) -> None:
        """The view ``name`` (replaced) of ``body``: its rows computed when read."""
        if self.dialect == "spark":
            self._view(name, self.con.sql(self.sql(body)))
        else:
            self.execute(statements.create_view(name, body))

    def drop(self, name: str) -> None:
        """The table ``name`` no longer needed."""
        if self.dialect == "spark":
            self.con.catalog.dropTempView(self.sql(ident(name)))
        else:
            self.execute(exp.Drop(tables=[statements.table(name)], kind="TABLE"))

    def columns(self, name: str) -> list[tuple[str, str]]:
        """The name and SQL type (upper case: ``DECIMAL(4,1)``) of each column of ``name``."""
        if self.dialect == "spark":
            return [(c, t.upper()) for c, t in self.con.table(self.sql(ident(name))).dtypes]
        return [(c, str(t).upper()) for c, t in self.run(statements.table_columns(name))]

    def append(self, name: str, body: exp.Select) -> None:
        """The rows of ``body`` (its columns in the order of the record table's) added to
        the record table ``name``."""
        if self.dialect != "spark":
            self.execute(exp.insert(body, statements.table(name)))
            return
        typed = body.copy()
        typed.set("expressions", [exp.alias_(exp.Cast(this=e.unalias() if isinstance(e, exp.Alias) else e,
                                                      to=exp.DataType.build(t)), ident(c))
                                  for e, (c, t) in zip(body.expressions, RECORDS[name], strict=True)])
        self.parts[name].append(self.con.sql(self.sql(typed)).localCheckpoint())
        whole = self.parts[name][0]
        for part in self.parts[name][1:]:
            whole = whole.unionByName(part)
        self._view(name, whole)

    def set_rows(self, column: str, new: exp.Expr, rows: exp.Select) -> None:
        """``column`` of ``#pop`` set to ``new`` (an expression of ``#pop``'s columns and
        of ``#x``, the row of ``rows`` (``#row`` first) with the same ``#row``) on the rows
        of ``rows``."""
        if self.dialect != "spark":
            self.execute(exp.Update(this=statements.table(POP), expressions=[exp.EQ(this=col(column), expression=new)],
                                    from_=exp.From(this=rows.subquery("#x")),
                                    where=exp.Where(this=exp.EQ(this=col(ROW, POP), expression=col(ROW, "#x")))))
            return
        names = self.con.table(self.sql(ident(POP))).columns
        changed = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=col(ROW, "#x"), expression=exp.Null())),
                                       true=new)], default=col(column, POP))
        body = exp.select(*[exp.alias_(changed.copy(), ident(c)) if c == column else col(c, POP) for c in names]
                          ).from_(statements.table(POP)).join(rows.subquery("#x"), on=exp.EQ(
                              this=col(ROW, POP), expression=col(ROW, "#x")), join_type="LEFT")
        self.make(POP, body)

    # ---- rankings -----------------------------------------------------------------

    def order(self, rule: m.PopRule, reverse: bool = False, stable_reverse: bool = False) -> list[exp.Ordered]:
        """ORDER BY of the rule's ranking, best first (``reverse``: worst first; the input
        row then stays ascending when ``stable_reverse``, as Python's stable sort with
        ``reverse=True`` keeps equal elements, else it is reversed too, as ``list.reverse``)."""
        out = [exp.Ordered(this=col(k.ref.name), desc=k.descending != reverse, nulls_first=False)
               for k in rule.keys + rule.tiebreak]
        out.append(exp.Ordered(this=col(CANON), desc=reverse))
        out.append(exp.Ordered(this=col(ROW), desc=reverse and not stable_reverse))
        return out

    def primary(self, rule: m.PopRule) -> list[exp.Expr]:
        return [col(k.ref.name) for k in rule.keys]

    def group(self, field: str | None) -> exp.Expr:
        """A group's key as text: the group field's column, or a text input's value."""
        if field is None:
            return exp.Literal.string("")
        return col(f"#group:{field}") if field in self.program.group_fields else col(field)

    def bounds(self, q: m.PopRule) -> tuple[int, int]:
        assert q.rank is not None
        return {"==": (q.rank, q.rank), ">=": (q.rank, self.program.levels.top), "<=": (0, q.rank)}[q.scope]

    def in_scope(self, q: m.PopRule) -> exp.Expr:
        lo, hi = self.bounds(q)
        return exp.Between(this=col(AT), low=_lit(lo), high=_lit(hi))

    def counts(self, field: str | None, where: exp.Expr | None = None) -> dict[str, tuple[int, int]]:
        """Per group (the text; '' for the whole population): members, and those ``where``."""
        g = self.group(field)
        inside = exp.Count(this=exp.Star()) if where is None else exp.Sum(
            this=exp.Case(ifs=[exp.If(this=where, true=_lit(1))], default=_lit(0)))
        q = exp.select(exp.alias_(g, "g"), exp.alias_(exp.Count(this=exp.Star()), "n"),
                       exp.alias_(exp.Coalesce(this=inside, expressions=[_lit(0)]), "k")
                       ).from_(statements.table(POP)).group_by(g.copy())
        out = {str(r[0]): (int(r[1]), int(r[2])) for r in self.run(q)}
        if field is None and not out:  # the whole population is one group, even when empty
            out[""] = (0, 0)
        return out

    def record_ties(self, step: int, table: str, where: exp.Expr, slots: exp.Expr, kept: exp.Expr) -> None:
        """The rows of ``table`` tied on the rule's keys across a boundary (``where``: their
        block of positions ``#bmin``..``#bmax`` spans ``slots`` and the next place) into
        ``#ties``, each with its tie (see ``population._tie_at``): how many tied, for how
        many of the places (``slots - #bmin + 1``), and whether this row won one (``kept``)."""
        one = _lit(1)
        q = (exp.select(col(ROW), _lit(step), exp.Add(this=exp.Sub(this=col("#bmax"), expression=col("#bmin")),
                                                        expression=one.copy()),
                        exp.Add(this=exp.Sub(this=slots.copy(), expression=col("#bmin")), expression=one.copy()),
                        exp.Coalesce(this=exp.paren(kept), expressions=[exp.false()]))
             .from_(statements.table(table))
             .where(exp.and_(where, exp.LTE(this=col("#bmin"), expression=slots.copy()),
                             exp.GT(this=col("#bmax"), expression=slots.copy()))))
        self.append(TIES, q)

    def record_moves(self, step: int, table: str, where: exp.Expr, to: exp.Expr, place: str, count: str | None) -> None:
        """The rows of ``table`` that ``where`` picks move to ``to``: into ``#moves`` with
        their place (column ``place``) and count (column ``count``) for the reason's text,
        then ``#at`` of ``#pop`` set."""
        q = (exp.select(col(ROW), _lit(step), col(AT), to, col(place), exp.Null() if count is None else col(count),
                        col("#g"))
             .from_(statements.table(table)).where(where))
        self.append(MOVES, q)
        self.set_rows(AT, col("t", "#x"), exp.select(exp.alias_(col("r"), ident(ROW)), col("t")).from_(
            statements.table(MOVES)).where(exp.EQ(this=col("s"), expression=_lit(step))))

    # ---- what the steps did, for the outcomes --------------------------------------

    def block(self, low: int, high: int) -> tuple[dict[int, tuple[Move, ...]], dict[int, tuple[Tie, ...]],
                                                   dict[int, tuple[str, ...]]]:
        """The moves, ties and selection flags of the rows ``low <= #row < high``, each row's
        in the order of the steps; a move's reason made now, in the language of the rating."""
        with i18n.using(self.language):
            return self._block(low, high)

    def _block(self, low: int, high: int) -> tuple[dict[int, tuple[Move, ...]], dict[int, tuple[Tie, ...]],
                                                    dict[int, tuple[str, ...]]]:
        span = exp.Between(this=col("r"), low=_lit(low), high=_lit(high - 1))
        labels = self.program.levels
        ties: dict[int, list[Tie]] = {}
        tie_at: dict[tuple[int, int], Tie] = {}
        for r, s, tied, places, k in self.run(exp.select("r", "s", "tied", "places", "k").from_(
                statements.table(TIES)).where(span.copy()).order_by("r", "s")):
            step = self.done[s]
            tie = tie_at[(r, s)] = _tie(step.rule, int(tied), int(places), step.settle, bool(k))
            ties.setdefault(r, []).append(tie)
        moves: dict[int, list[Move]] = {}
        for r, s, at, t, p, n, g in self.run(exp.select("r", "s", "at", "t", "p", "n", "g").from_(
                statements.table(MOVES)).where(span.copy()).order_by("r", "s")):
            step = self.done[s]
            rule = step.rule
            why = step.why(at, t, int(p), None if n is None else int(n), str(g))
            decided = tie_at.get((r, s))
            if decided is not None:  # the tie at the boundary that decided the move, as population._move says it
                why = _("{why}; {tie}").format(why=why, tie=decided.describe())
            moves.setdefault(r, []).append(Move(rule.name, rule.kind, rule.span.line, labels.label(at),
                                                labels.label(t), why, decided))
        flags: dict[int, list[str]] = {}
        for r, s in self.run(exp.select("r", "s").from_(statements.table(PICKED)).where(span).order_by("r", "s")):
            flag = self.done[s].rule.flag
            assert flag is not None
            flags.setdefault(r, []).append(flag)
        return ({r: tuple(x) for r, x in moves.items()}, {r: tuple(x) for r, x in ties.items()},
                {r: tuple(x) for r, x in flags.items()})

    def tie_counts(self) -> list[tuple[Tie, int]]:
        """Each tie of any row with the number of rows in it alike, in the order the rows
        first meet it (as a walk over the outcomes in row order would count them)."""
        q = exp.select("s", "tied", "places", "k", exp.Min(this=col("r")), exp.Count(this=exp.Star())).from_(
            statements.table(TIES)).group_by("s", "tied", "places", "k")
        found = sorted(self.run(q), key=lambda x: (x[4], x[0]))
        return [(_tie(self.done[s].rule, int(tied), int(places), self.done[s].settle, bool(k)), int(count))
                for s, tied, places, k, _first, count in found]

    # ---- quotas -------------------------------------------------------------------

    def quota(self, q: m.PopRule) -> list[QuotaReport]:
        levels = self.program.levels
        assert q.rank is not None and q.bound is not None
        field = q.apportion_by if q.apportion_by is not None else q.per
        sizes = self.counts(field, self.in_scope(q))
        groups = sorted(sizes)
        total = sum(n for n, _k in sizes.values())
        how = ""
        if q.apportion_by is not None:
            whole = share_count(q.amount, q.percent, total, q.rounding)
            how = _apportion_how(q, total, whole)
            try:
                targets = apportioned(q, {g: sizes[g][0] for g in groups}, whole)
            except ApportionmentError as exc:
                before = sum(k for _n, k in sizes.values())
                return [QuotaReport(q.name, "quota", q.span.line, None, how, total, whole, before, before,
                                    q.enforced, False, not_applied(q, exc, len(groups), whole))]
        else:
            targets = {g: share_count(q.amount, q.percent, sizes[g][0], q.rounding) for g in groups}
        notes: dict[str, str | None] = dict.fromkeys(groups)
        if q.enforced and q.bound in ("at most", "exactly"):
            over = [g for g in groups if sizes[g][1] > targets[g]]
            if over:
                notes.update(self.cut(q, field, {g: targets[g] for g in over}))
        if q.enforced and q.bound in ("at least", "exactly"):
            now = self.counts(field, self.in_scope(q))
            short = {g: targets[g] for g in groups if now[g][1] < targets[g]}
            if short:
                for g, note in self.fill(q, field, short, {g: now[g][1] for g in short}).items():
                    notes[g] = note or notes[g]
        after = self.counts(field, self.in_scope(q))
        reports = []
        scope = _scope_text(q, levels)
        for g in groups:
            target, base = targets[g], sizes[g][0]
            a = after[g][1]
            met: bool | None = {"at most": a <= target, "at least": a >= target,
                                "exactly": a == target, "about": None}[q.bound]
            if not how:
                text = _("{scope} {bound} {amount} of {count} = {target}").format(
                    scope=scope, bound=_bound_text(q.bound), amount=_amount_text(q), count=base, target=target)
            else:
                text = _("{scope} {bound} {how}: {target} here").format(
                    scope=scope, bound=_bound_text(q.bound), how=how, target=target)
            note = notes[g]
            if met is False and note is None:
                note = _("report only: nobody was moved") if not q.enforced else _("cannot be met")
            reports.append(QuotaReport(q.name, "quota", q.span.line, None if field is None else g, text, base,
                                       target, sizes[g][1], a, q.enforced, met, note))
        return reports

    def _targets(self, targets: dict[str, int]) -> exp.Expr:
        if not targets:  # no group: a relation with no rows
            return exp.select(exp.alias_(exp.Literal.string(""), "g"), exp.alias_(_lit(0), "target")).where(
                exp.false()).subquery("#tg")
        return exp.Values(expressions=[exp.Tuple(expressions=[exp.Literal.string(g), _lit(t)])
                                       for g, t in targets.items()],
                          alias=exp.TableAlias(this=ident("#tg"), columns=[ident("g"), ident("target")]))

    def cut(self, q: m.PopRule, field: str | None, targets: dict[str, int]) -> dict[str, str | None]:
        """Overflow of an at-most quota in the groups of ``targets``: the lowest ranked move
        one level out of its scope (see ``population._cut``)."""
        levels = self.program.levels
        assert q.rank is not None
        g = self.group(field)
        reverse = q.scope == "<="
        part = [g.copy()]
        # candidates with their place best first and in the cutting order
        cands = (exp.select(col(ROW), col(AT), col(LIM), exp.alias_(g.copy(), "#g"), *self.primary(q),
                            exp.alias_(exp.Window(this=exp.RowNumber(), partition_by=part,
                                                  order=exp.Order(expressions=self.order(q))), "#best"),
                            exp.alias_(exp.Window(this=exp.RowNumber(), partition_by=[x.copy() for x in part],
                                                  order=exp.Order(expressions=self.order(q, reverse))), "#cutpos"),
                            exp.alias_(exp.Window(this=exp.Count(this=exp.Star()),
                                                  partition_by=[x.copy() for x in part]), "#n"))
                 .from_(statements.table(POP))
                 .join(self._targets(targets), on=exp.EQ(this=g.copy(), expression=col("g", "#tg")))
                 .where(self.in_scope(q)))
        if q.minimum and q.minimum_per:
            prot: exp.Expr = exp.LTE(this=exp.Window(this=exp.RowNumber(),
                                           partition_by=[g.copy(), self.group(q.minimum_per)],
                                           order=exp.Order(expressions=self.order(q))), expression=_lit(q.minimum))
        else:
            prot = exp.false()
        cands = cands.select(exp.alias_(prot, "#prot"), col("target", "#tg"), append=True)
        self.make("#c", cands)
        # the others in cutting order, with the span of their tie block
        gcol = col("#g")
        not_prot = exp.Not(this=col("#prot"))
        rest_order = exp.Order(expressions=[exp.Ordered(this=col("#cutpos"))])
        nprot = exp.Window(this=exp.Sum(this=exp.Case(ifs=[exp.If(this=col("#prot"), true=_lit(1))],
                                                      default=_lit(0))), partition_by=[gcol.copy()])
        c2 = exp.select(exp.Star(), exp.alias_(exp.Case(
            ifs=[exp.If(this=not_prot.copy(), true=exp.Window(this=exp.RowNumber(), partition_by=[
                gcol.copy(), col("#prot")], order=rest_order))], default=exp.Null()), "#rp"),
            exp.alias_(nprot, "#np")).from_(statements.table("#c"))
        self.make("#c2", c2)
        block = [gcol.copy(), col("#prot"), *self.primary(q)]
        slots = exp.Greatest(this=exp.Sub(this=col("target"), expression=col("#np")), expressions=[_lit(0)])
        c3 = exp.select(exp.Star(), exp.alias_(slots, "#slots"),
                        exp.alias_(exp.Window(this=exp.Min(this=col("#rp")), partition_by=block), "#bmin"),
                        exp.alias_(exp.Window(this=exp.Max(this=col("#rp")), partition_by=[x.copy() for x in block]),
                                   "#bmax")).from_(statements.table("#c2"))
        self.make("#c3", c3)
        s = col("#slots")
        if q.ties == "keep":
            kept_rest: exp.Expr = exp.and_(exp.GT(this=s.copy(), expression=_lit(0)),
                                           exp.LTE(this=col("#bmin"), expression=s.copy()))
        elif q.ties == "drop":
            kept_rest = exp.and_(exp.LTE(this=col("#rp"), expression=s.copy()),
                                 exp.LTE(this=col("#bmax"), expression=s.copy()))
        else:
            kept_rest = exp.LTE(this=col("#rp"), expression=s.copy())
        kept = exp.or_(col("#prot"), exp.paren(kept_rest))
        summary = exp.select(col("#g"), exp.Max(this=col("#np")), exp.Max(this=col("#slots")),
                             exp.Sum(this=exp.Case(ifs=[exp.If(this=exp.and_(not_prot.copy(), kept.copy()),
                                                               true=_lit(1))], default=_lit(0))),
                             exp.Max(this=col("#n"))).from_(statements.table("#c3")).group_by(col("#g"))
        info = {str(r[0]): (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in self.run(summary)}
        to = q.rank + 1 if reverse else q.rank - 1

        def why(at: int, to: int, best: int, n: int | None, gname: str) -> str:
            np_, target = info[gname][0], targets[gname]
            taken = (_(", {count} of them kept by the minimum of {minimum} per {per}").format(
                count=np_, minimum=q.minimum, per=q.minimum_per) if np_ else "")
            return _("ranked {position} of {count} at {scope} {where} for {places}{taken} ({rule}): moved to {level}"
                     ).format(position=_ordinal(best), count=n, scope=_scope_text(q, levels),
                              where=_where(None if field is None else gname), places=_places(target), taken=taken,
                              rule=q.name, level=levels.label(to))

        step = self.step(q, q.ties, why)
        self.record_ties(step, "#c3", not_prot.copy(), s.copy(), kept.copy())
        notes: dict[str, list[str]] = {}
        for gname, (np_, slots_, kept_n, _n) in info.items():
            target = targets[gname]
            ns = notes.setdefault(gname, [])
            if np_ > target:
                ns.append(_("the minimum of {minimum} per {per} keeps {kept}, more than {target}").format(
                    minimum=q.minimum, per=q.minimum_per, kept=np_, target=target))
            if q.ties == "keep" and kept_n > slots_:
                ns.append(_("{count} tied at the boundary kept the level").format(count=kept_n - slots_))
        # a row moves unless the level it would go to is beyond the levels or its limit
        can: exp.Expr = exp.or_(exp.Is(this=col(LIM), expression=exp.Null()), exp.LTE(
            this=_lit(to), expression=col(LIM))) if 0 <= to <= levels.top else exp.false()
        out = exp.Not(this=exp.paren(kept))
        stuck = self.run(exp.select(col(ROW), col("#g"), col(AT)).from_(statements.table("#c3"))
                         .where(exp.and_(out.copy(), exp.Not(this=exp.paren(can.copy()))))
                         .order_by(col("#g"), col("#cutpos")))
        for row, gname, at in stuck:
            ident_ = self.ident(int(row))
            notes[str(gname)].append(_("{entity} cannot move beyond {level}").format(entity=ident_ or row,
                                                                                    level=levels.label(at)))
        self.record_moves(step, "#c3", exp.and_(out, exp.paren(can)), _lit(to), "#best", "#n")
        return {gname: _("; ").join(ns) or None for gname, ns in notes.items()}

    def ident(self, row: int) -> str | None:
        """The id of the entity on ``row`` (asked for only in a rare note)."""
        found = self.run(exp.select(col(ID)).from_(statements.table(POP)).where(
            exp.EQ(this=col(ROW), expression=_lit(row))))
        return found[0][0] if found else None

    def fill(self, q: m.PopRule, field: str | None, targets: dict[str, int],
             counts: dict[str, int]) -> dict[str, str | None]:
        """Shortfall of an at-least quota: the next in line move into its scope."""
        levels = self.program.levels
        assert q.rank is not None
        g = self.group(field)
        if q.scope == "<=":
            pool_where: exp.Expr = exp.GT(this=col(AT), expression=_lit(q.rank))
            order = self.order(q, reverse=True, stable_reverse=True)
        else:
            pool_where = exp.and_(exp.LT(this=col(AT), expression=_lit(q.rank)),
                                  exp.or_(exp.Is(this=col(LIM), expression=exp.Null()),
                                          exp.GTE(this=col(LIM), expression=_lit(q.rank))))
            order = self.order(q)
        need = {gname: targets[gname] - counts[gname] for gname in targets}
        pool = (exp.select(col(ROW), exp.alias_(g.copy(), "#g"), col(AT), *self.primary(q),
                           exp.alias_(exp.Window(this=exp.RowNumber(), partition_by=[g.copy()],
                                                 order=exp.Order(expressions=order)), "#pos"),
                           exp.alias_(exp.Window(this=exp.Count(this=exp.Star()), partition_by=[g.copy()]), "#n"),
                           col("target", "#tg"))
                .from_(statements.table(POP)).join(self._targets(need), on=exp.EQ(this=g.copy(), expression=col("g", "#tg")))
                .where(pool_where))
        self.make("#f0", pool)
        block = [col("#g"), *self.primary(q)]
        self.make("#f", exp.select(
            exp.Star(), exp.alias_(exp.Window(this=exp.Min(this=col("#pos")), partition_by=block), "#bmin"),
            exp.alias_(exp.Window(this=exp.Max(this=col("#pos")), partition_by=[x.copy() for x in block]), "#bmax"),
        ).from_(statements.table("#f0")))
        sizes = {str(r[0]): int(r[1]) for r in self.run(
            exp.select(col("#g"), exp.Max(this=col("#n"))).from_(statements.table("#f")).group_by(col("#g")))}
        line = (N_("{position} in line above {scope} {where}, which needs {target} ({rule}): moved to {level}")
                if q.scope == "<=" else
                N_("{position} in line below {scope} {where}, which needs {target} ({rule}): moved to {level}"))

        def why(at: int, to: int, pos: int, n: int | None, gname: str) -> str:
            return _(line).format(position=_ordinal(pos), scope=_scope_text(q, levels),
                                  where=_where(None if field is None else gname), target=targets[gname], rule=q.name,
                                  level=levels.label(to))

        step = self.step(q, "break", why)
        chosen = exp.LTE(this=col("#pos"), expression=col("target"))
        self.record_ties(step, "#f", exp.true(), col("target"), chosen.copy())
        self.record_moves(step, "#f", chosen, _lit(q.rank), "#pos", None)
        out: dict[str, str | None] = {}
        held = "" if q.scope == "<=" else _(" (the others there are vetoed or capped below it)")
        for gname, n_need in need.items():
            have = sizes.get(gname, 0)
            out[gname] = (_("only {moved} of the {need} missing could be moved{held}").format(
                moved=have, need=n_need, held=held) if have < n_need else None)
        return out

    # ---- selections ---------------------------------------------------------------

    def select(self, s: m.PopRule) -> list[QuotaReport]:
        levels = self.program.levels
        g = self.group(s.per)
        sizes = self.counts(s.per)
        groups = sorted(sizes)
        ns = {gname: share_count(s.amount, s.percent, sizes[gname][0], s.rounding) for gname in groups}
        among = condition(self.program, s.among, col(AT)) if s.among is not None else exp.true()
        ranked = (exp.select(col(ROW), exp.alias_(g.copy(), "#g"), col(AT), *self.primary(s),
                             exp.alias_(exp.Window(this=exp.RowNumber(), partition_by=[g.copy()], order=exp.Order(
                                 expressions=self.order(s, reverse=s.end == "bottom", stable_reverse=True))), "#pos"),
                             col("target", "#tg"))
                  .from_(statements.table(POP)).join(self._targets(ns), on=exp.EQ(this=g.copy(), expression=col("g", "#tg")))
                  .where(exp.paren(among)))
        self.make("#s", ranked)
        block = [col("#g"), *self.primary(s)]
        s2 = exp.select(exp.Star(),
                        exp.alias_(exp.Window(this=exp.Min(this=col("#pos")), partition_by=block), "#bmin"),
                        exp.alias_(exp.Window(this=exp.Max(this=col("#pos")), partition_by=[x.copy() for x in block]),
                                   "#bmax")).from_(statements.table("#s"))
        self.make("#s2", s2)
        n = col("target")
        if s.ties == "keep":
            chosen: exp.Expr = exp.and_(exp.GT(this=n.copy(), expression=_lit(0)),
                                        exp.LTE(this=col("#bmin"), expression=n.copy()))
        elif s.ties == "drop":
            chosen = exp.and_(exp.LTE(this=col("#pos"), expression=n.copy()),
                              exp.LTE(this=col("#bmax"), expression=n.copy()))
        else:
            chosen = exp.LTE(this=col("#pos"), expression=n.copy())
        line = (N_("{position} from the top {where} ({rule}): at most {level}") if s.end == "top" else
                N_("{position} from the bottom {where} ({rule}): at most {level}"))

        def why(at: int, to: int, pos: int, n: int | None, gname: str) -> str:
            return _(line).format(position=_ordinal(pos), where=_where(None if s.per is None else gname), rule=s.name,
                                  level=levels.label(to))

        step = self.step(s, s.ties, why)
        self.record_ties(step, "#s2", exp.true(), n.copy(), chosen.copy())
        picked = {str(r[0]): int(r[1]) for r in self.run(
            exp.select(col("#g"), exp.Count(this=exp.Star())).from_(statements.table("#s2")).where(
                chosen.copy()).group_by(col("#g")))}
        pools = {str(r[0]): int(r[1]) for r in self.run(
            exp.select(col("#g"), exp.Count(this=exp.Star())).from_(statements.table("#s")).group_by(col("#g")))}
        if s.flag is not None:
            self.append(PICKED, exp.select(col(ROW), _lit(step)).from_(statements.table("#s2")).where(
                chosen.copy()))
        elif s.cap is not None:
            new = exp.Least(this=exp.Coalesce(this=col(LIM), expressions=[_lit(s.cap)]), expressions=[_lit(s.cap)])
            self.set_rows(LIM, new, exp.select(col(ROW)).from_(statements.table("#s2")).where(chosen.copy()))
            self.record_moves(step, "#s2", exp.and_(exp.paren(chosen), exp.GT(this=col(AT), expression=_lit(s.cap))),
                              _lit(s.cap), "#pos", None)
        effect = (_("flag {flag}").format(flag=s.flag) if s.flag is not None
                  else _("at most {level}").format(level=levels.label(s.cap or 0)))
        reports = []
        for gname in groups:
            base, nn = sizes[gname][0], ns[gname]
            pool, got = pools.get(gname, 0), picked.get(gname, 0)
            reports.append(QuotaReport(s.name, "select", s.span.line, None if s.per is None else gname,
                                       (_("top {amount} of {count} = {n}, {effect}") if s.end == "top" else
                                        _("bottom {amount} of {count} = {n}, {effect}")).format(
                                           amount=_amount_text(s), count=base, n=nn, effect=effect),
                                       base, nn, pool, got,
                                       True, got >= min(nn, pool)))
        return reports

    # ---- the whole -----------------------------------------------------------------

    def final_counts(self, reports: list[QuotaReport]) -> list[QuotaReport]:
        """Each quota's report checked again against the final levels."""
        by_name = {q.name: q for q in self.program.quotas}
        finals = {q.name: self.counts(q.apportion_by or q.per, self.in_scope(q)) for q in self.program.quotas}
        out = []
        for r in reports:
            quota = by_name.get(r.rule) if r.kind == "quota" else None
            if quota is None or quota.bound is None or (r.note and r.note.startswith(_("not applied: {problem}").split("{")[0])):
                out.append(r)
                continue
            final = finals[quota.name].get("" if r.group is None else r.group, (0, 0))[1]
            if final != r.after:
                met = {"at most": final <= r.target, "at least": final >= r.target,
                       "exactly": final == r.target, "about": None}[quota.bound]
                note = _("a later quota changed it: {count} at the end").format(count=final)
                out.append(attrs.evolve(r, after=final, met=met, note=_("; ").join((r.note, note)) if r.note else note))
            else:
                out.append(r)
        return out

    def all(self) -> list[QuotaReport]:
        """Every step, in the reference's order; gives the reports."""
        reports: list[QuotaReport] = []
        for sel in self.program.selections:
            if sel.cap is not None:
                reports += self.select(sel)
        for quota in self.program.quotas:
            reports += self.quota(quota)
        for sel in self.program.selections:
            if sel.cap is None:
                reports += self.select(sel)
        return self.final_counts(reports)


def canonical_ranks(rows: Sequence[tuple[Any, ...]], names: Sequence[str],
                    text: Callable[[str, Any], str] | None = None) -> list[tuple[int, int]]:
    """(row, place) of each rated row by the reference's last resort: its inputs as text,
    sorted by name (``rows`` are ``(#row, value of names[0], ...)``)."""
    def as_text(name: str, v: Any) -> str:
        return text(name, v) if text is not None else canonical_text(v)

    order = sorted(range(len(names)), key=lambda i: names[i])
    keyed = [(tuple((names[i], as_text(names[i], r[1 + i])) for i in order), int(r[0])) for r in rows]
    keyed.sort()
    out = []
    place = 0
    last: tuple[tuple[str, str], ...] | None = None
    for key, row in keyed:
        if key != last:
            place += 1
            last = key
        out.append((row, place))
    return out

