"""The outcomes of a population rated in SQL (on DuckDB or Spark), made from its table when asked for.

Takes the connection holding the view ``#out`` (one row per input row: the entity
relation, the level after the population steps, the place in the main ranking, the
flags and, for a row with bad inputs, its raw cells) and the Python-side findings of
the steps (moves, ties, the flags selections gave); gives :class:`TableOutcomes`, the
``outcomes`` of the :class:`~starrules.population.Rating`: a sequence that makes its
:class:`~starrules.population.Outcome` objects ten thousand rows at a time, the first
time a row of the block is read, and keeps them. A population of a million is rated
without a million Python objects until someone reads them; the counts by status and by
level and the ids on more than one row come from SQL, once, without them.

Each row's :class:`~starrules.result.Result` is read from its row (no expression is
evaluated again in Python); its inputs stay the row's tuple until read.
"""

from __future__ import annotations

import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Context, Decimal, Inexact, InvalidOperation
from itertools import compress
from operator import itemgetter
from typing import Any, overload

from sqlglot import exp

from starrules import i18n, values
from starrules import model as m
from starrules.errors import InputError, InputProblem
from starrules.population import Move, Outcome, Tie, collector_paused
from starrules.result import Lazy, Result
from starrules.sql import lower, statements
from starrules.sql.lower import ROW, col
from starrules.sql.population import AT, Steps

OUT = "#out"
ROWS = "#outrows"  # the rows of OUT in order, made when the first outcome is read
INVALID = "#invalid"  # the invalid rows of OUT, numbered in row order (#k from 1), made when first asked for
CELL = "#cell:"  # a row's raw cell of an input, kept for rows with bad inputs
BLOCK = 10_000  # rows fetched and made into outcomes at a time


class TableOutcomes(Sequence[Outcome]):
    """The outcomes of the rows of ``#out``, made a block at a time on first use. Equal
    to any sequence of the same outcomes (a tuple of them, as the Python engine gives)."""

    def __init__(self, con: Any, build: Builder, ids: str = OUT, release: Callable[[], None] | None = None) -> None:
        self._con = con
        self._steps = steps = build.steps  # every query goes through the steps' connection, in their dialect
        self._spark = steps.dialect == "spark"
        # the connection closed (and its database file removed) once every outcome is made,
        # or when this sequence is dropped, or at exit
        self._release = weakref.finalize(self, release or con.close)
        self._ids = ids  # the table of every row's #row and #id
        self._values = build.values
        self._duplicates: dict[str, list[int]] | None = None
        self._ties: list[tuple[Tie, int]] | None = None
        self._invalid: int | None = None  # how many rows are invalid, once their table is made
        self._builder = build
        self._blocks: dict[int, list[Outcome]] = {}
        self._sorted = False
        statuses: Counter[str] = Counter()
        levels: Counter[int] = Counter()
        for status, level, count in steps.run(exp.select(col(lower.STATUS), col(AT), exp.Count(
                this=exp.Star())).from_(self._levels_from()).group_by(col(lower.STATUS), col(AT))):
            statuses[status] += count
            if status == "rated":
                levels[int(level)] += count
        self.statuses, self.level_ranks = statuses, levels
        self._rows = sum(statuses.values())  # every row has a status
        self._last = (self._rows - 1) // BLOCK if self._rows else -1

    # ---- what the rating asks without every outcome ------------------------------

    def _levels_from(self) -> exp.Expr:
        """Every row's status, ``#row`` and final level: the entity table joined to the final
        levels only (``OUT`` joins the source too)."""
        final = exp.select(col(ROW), col(AT)).from_(statements.table("#final")).subquery("#fl")
        return exp.select(col(ROW, self._ids), col(lower.STATUS), col(AT, "#fl")).from_(
            statements.table(self._ids)).join(final, on=exp.EQ(this=col(ROW, "#fl"), expression=col(
                ROW, self._ids)), join_type="LEFT").subquery("#lv")

    @property
    def open(self) -> bool:
        """Whether the rows are still in SQL (on DuckDB, the connection is closed once every
        outcome has been made)."""
        return len(self._blocks) != self._last + 1

    @property
    def builder(self) -> Builder:
        return self._builder

    def duplicate_ids(self) -> dict[str, list[int]]:
        """The ids on more than one row, each with its rows, in the order ids first appear."""
        if self._duplicates is None:
            self._duplicates = self._find_duplicates()
        return self._duplicates

    def _find_duplicates(self) -> dict[str, list[int]]:
        ident_ = col(lower.ID)
        q = (exp.select(ident_, exp.alias_(exp.Min(this=col(ROW)), "#first"), exp.ArrayAgg(this=col(ROW)))
             .from_(statements.table(self._ids))
             .where(exp.and_(exp.Not(this=exp.Is(this=ident_.copy(), expression=exp.Null())),
                             exp.NEQ(this=ident_.copy(), expression=exp.Literal.string(""))))
             .group_by(ident_.copy()).having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
             .order_by(col("#first")))
        return {str(i): sorted(int(r) for r in rows) for i, _first, rows in self._steps.run(q)}

    def tie_counts(self) -> list[tuple[Tie, int]]:
        """The ties of the population steps with their numbers of rows, from their table."""
        if self._ties is None:
            self._ties = self._builder.steps.tie_counts()
        return self._ties

    def invalid(self) -> Iterator[Outcome]:
        """The outcomes of the invalid rows, in row order: made for those rows only, a
        block at a time, and not kept (a hundred million rows may have a million)."""
        if len(self._blocks) == self._last + 1:
            yield from (o for o in self if o.status == "invalid")
            return
        if self._invalid is None:  # the invalid rows once, in order, numbered
            invalid = exp.EQ(this=col(lower.STATUS), expression=exp.Literal.string("invalid"))
            body = exp.select(exp.Star(), exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(
                expressions=[exp.Ordered(this=col(ROW))])), "#k")).from_(statements.table(OUT)).where(invalid)
            self._steps.make(INVALID, body)
            self._invalid = self._steps.run(exp.select(exp.Count(this=exp.Star())).from_(statements.table(INVALID)))[0][0]
        for low in range(1, self._invalid + 1, BLOCK):
            span = exp.Between(this=col("#k"), low=exp.Literal.number(low), high=exp.Literal.number(low + BLOCK - 1))
            yield from self._made(INVALID, span, "#k", None)  # an invalid row is in no step

    def _made(self, table: str, span: exp.Expr, order: str, rows_of_steps: tuple[int, int] | None) -> list[Outcome]:
        """The outcomes of the rows of ``table`` in ``span``, in ``order``: the columns every
        outcome reads in one query; the problems and raw cells only of those with bad inputs
        (NULL on every other row: half the columns) in another; what the steps did to the
        rows ``low <= #row < high`` of ``rows_of_steps``."""
        builder = self._builder
        invalid = exp.EQ(this=col(lower.STATUS), expression=exp.Literal.string("invalid"))
        with collector_paused():
            rows = self._steps.run(exp.select(*[col(h) for h in builder.heads]).from_(statements.table(table)).where(
                span.copy()).order_by(col(order)))
            if self._spark:  # Spark gives Decimals: as the integers of their digits, as DuckDB gives them
                rows = [builder.digits(r) for r in rows]
            detail = {r[0]: r for r in self._steps.run(exp.select(*[col(h) for h in builder.detail]).from_(
                statements.table(table)).where(exp.and_(span, invalid)))}
            builder.moves, builder.ties, builder.sel_flags = (
                builder.steps.block(*rows_of_steps) if rows_of_steps else ({}, {}, {}))
            return [builder.outcome(r, detail) for r in rows]

    def levels(self) -> list[int | str | None]:
        """Every row's level after the population steps (None for a row not rated), in
        row order, as one column: no outcome is made."""
        if len(self._blocks) == self._last + 1:
            return [o.level for o in self]
        values = self._values
        rank = exp.Case(ifs=[exp.If(this=exp.EQ(this=col(lower.STATUS), expression=exp.Literal.string("rated")),
                                    true=col(AT))])
        q = exp.select(rank).from_(self._levels_from()).order_by(col(ROW))
        return [None if r is None else values[r] for (r,) in self._steps.run(q)]

    # ---- the sequence ---------------------------------------------------------------

    def _block(self, k: int) -> list[Outcome]:
        got = self._blocks.get(k)
        if got is None:
            if not self._sorted:  # the rows once, in order: each block then reads its own
                body = exp.select(exp.Star()).from_(statements.table(OUT)).order_by(col(ROW))
                self._steps.make(ROWS, body)
                self._sorted = True
            low, high = k * BLOCK, min((k + 1) * BLOCK, self._rows)
            span = exp.and_(exp.GTE(this=col(ROW), expression=exp.Literal.number(low)),
                            exp.LT(this=col(ROW), expression=exp.Literal.number(high)))
            got = self._blocks[k] = self._made(ROWS, span, ROW, (low, high))
            assert len(got) == high - low, (k, len(got))
            if len(self._blocks) == self._last + 1:  # every outcome made: the table is no longer needed
                self.duplicate_ids()
                self.tie_counts()
                self._release()
        return got

    def __len__(self) -> int:
        return self._rows

    @overload
    def __getitem__(self, i: int) -> Outcome: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[Outcome, ...]: ...

    def __getitem__(self, i: int | slice) -> Outcome | tuple[Outcome, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(self._rows)))
        if i < 0:
            i += self._rows
        if not 0 <= i < self._rows:
            raise IndexError("outcome index out of range")
        return self._block(i // BLOCK)[i % BLOCK]

    def __iter__(self) -> Iterator[Outcome]:
        for k in range(self._last + 1):
            yield from self._block(k)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # equal to tuples, which hash otherwise

    def __repr__(self) -> str:
        return f"<{len(self)} outcomes rated on {'Spark' if self._spark else 'DuckDB'}>"


class Builder:
    """The :class:`Outcome` of a row of ``#out``: every field read by a column index
    found once; the steps' moves, ties and selection flags of the block's rows from
    :meth:`Steps.block`.
    ``scales`` gives the decimal places of each DECIMAL column (None for the others),
    whose values come as the integers of their digits (:func:`digits`). ``records``, the
    rows as Python held them before they went into the table (None for a file read in
    place), give a bad row's values as the Python engines show them in its problems and
    reason: a float, a bool or a list went into the table as a text."""

    def __init__(self, program: m.Program, names: lower.Columns, heads: list[str], flag_names: list[str],
                 period: int | None, scales: Mapping[str, int | None], steps: Steps,
                 records: Sequence[Mapping[str, object]] | None = None) -> None:
        self.records = records
        self.inputs_by_name = {i.name: i for i in program.inputs}
        self.detail = [ROW] + [c for _x, c in names.problems] + [CELL + x for x, _c in names.problems]
        self.heads = [h for h in heads if h == ROW or h not in self.detail]
        at = {h: i for i, h in enumerate(self.heads)}
        seen = {h: i for i, h in enumerate(self.detail)}
        self.period = period
        levels = program.levels
        self.values, self.labels = levels.values, levels.labels
        kinds = {i.name: i.type.kind for i in program.inputs}
        score_scales = tuple(scales[x] or 0 for x in names.scores)
        self.lazy = Lazy(tuple(names.inputs), tuple(scales[x] for x in names.inputs), tuple(names.scores),
                         score_scales, scales[lower.TOTAL], None, ())
        self.inputs = _getter([at[x] for x in names.inputs])
        self.sets = [k for k, x in enumerate(names.inputs) if kinds[x] == "set"]
        self.scores = _getter([at[x] for x in names.scores])
        self.before = _picker(list(flag_names), [at[f"#b{k}"] for k in range(len(flag_names))])
        self.now = _picker(list(flag_names), [at[f"#f{k}"] for k in range(len(flag_names))])
        self.badges = _picker([label for label, _c in names.badges], [at[c] for _l, c in names.badges])
        vetoes = [(name, c) for kind, name, c in names.overrides if kind == "veto"]
        held = [(name, c) for kind, name, c in names.overrides if kind != "veto"]
        self.vetoes = _picker([name for name, _c in vetoes], [at[c] for _n, c in vetoes])
        self.held = _picker([name for name, _c in held], [at[c] for _n, c in held])
        self.problems = [(x, seen[c], seen[CELL + x]) for x, c in names.problems]
        self.groups = [(g, at[c]) for g, c in names.groups]
        self._scaled = [(at[x], scale) for x, scale in scales.items() if scale is not None and x in at]
        self.i_row, self.i_status, self.i_id = at[ROW], at[lower.STATUS], at[lower.ID]
        self.i_rank, self.i_band, self.i_limit = at[lower.RANK], at[lower.BAND_RANK], at[lower.LIMIT]
        self.i_total, self.i_reason, self.i_at, self.i_place = at[lower.TOTAL], at[lower.REASON], at[AT], \
            at["#place"]
        self.steps = steps
        self.flag_names, self.scales = flag_names, scales
        # what the steps did to the rows of the block being made (Steps.block)
        self.moves: dict[int, tuple[Move, ...]] = {}
        self.ties: dict[int, tuple[Tie, ...]] = {}
        self.sel_flags: dict[int, tuple[str, ...]] = {}

    def digits(self, r: tuple[Any, ...]) -> tuple[Any, ...]:
        """Row ``r`` with each DECIMAL column's value as the integer of its digits (as
        :func:`digits` makes them in SQL): 8.5 of DECIMAL(8, 6) as 8500000, exactly."""
        cells = list(r)
        for k, scale in self._scaled:
            v = cells[k]
            if v is not None:
                cells[k] = int(Decimal(v).scaleb(scale, _WIDE))
        return tuple(cells)

    def outcome(self, r: tuple[Any, ...], detail: Mapping[int, tuple[Any, ...]]) -> Outcome:
        """The outcome of row ``r`` (the columns ``heads``); ``detail`` holds the problems
        and raw cells (the columns ``detail``) of the rows with status invalid, by row."""
        row, status = r[self.i_row], r[self.i_status]
        groups = {g: r[j] for g, j in self.groups}
        ident_ = r[self.i_id]
        d = detail.get(row) if status == "invalid" else None
        if d is not None and any(d[j] is not None for _x, j, _c in self.problems):
            if self.records is None:
                problems = tuple(InputProblem(x, d[c], d[j]) for x, j, c in self.problems if d[j] is not None)
                reason = r[self.i_reason]
            else:  # the values as the records held them, and the reason the Python engines make of them
                held = self.records[row]
                with i18n.using(self.steps.language):
                    problems = tuple(InputProblem(x, held.get(x), self.expected(x, held.get(x), d[j]))
                                     for x, j, _c in self.problems if d[j] is not None)
                    reason = str(InputError(problems))
            return Outcome(row, "invalid", ident_, groups, None, None, None, reason, None, (), None, (),
                           None, problems)
        res = self.result(r, status, ident_, groups)
        if status != "rated":
            return Outcome(row, status, ident_, groups, None, None, None, r[self.i_reason], None, (), None, (), res)
        now = r[self.i_at]
        moves = self.moves.get(row, ())
        flags = self.now(r)
        if row in self.sel_flags:
            flags += self.sel_flags[row]
        reason = moves[-1].rule if moves else r[self.i_reason]
        outcome = Outcome(row, "rated", ident_, groups, self.values[now], self.labels[now], res.level, reason,
                          res.total, flags, r[self.i_place], moves, res)
        if row in self.ties:
            outcome.ties = self.ties[row]
        return outcome

    def expected(self, name: str, value: object, found: str) -> str:
        """What the input ``name`` expects, as said of ``value`` held in a record: for a
        value that is not a text (it went into the table as the text of a CSV cell), what
        the Python engines say of the value itself; else ``found``, what SQL found."""
        if value is None or value.__class__ is str:
            return found
        said = values.coerce(self.inputs_by_name[name], value)[1]
        return found if said is None else said

    def result(self, r: tuple[Any, ...], status: str, ident_: str | None, groups: dict[str, str]) -> Result:
        vals = self.inputs(r)
        if self.sets:
            cells = list(vals)
            for k in self.sets:  # the table holds a set as its members joined by 、
                v = cells[k]
                cells[k] = None if v is None else frozenset(x for x in str(v).split("、") if x)
            vals = tuple(cells)
        if status != "rated":
            res = Result.fast(self.lazy, status, None, None, None, None, r[self.i_reason], (), None, (), (),
                              self.period, vals, (), None)
            res._scores, res._total = {}, None
        else:
            rank = r[self.i_rank]
            res = Result.fast(self.lazy, "rated", self.values[rank], rank, self.labels[rank],
                              self.values[r[self.i_band]], r[self.i_reason], self.before(r), r[self.i_limit],
                              self.badges(r), self.vetoes(r), self.period, vals, self.scores(r), r[self.i_total],
                              self.held(r))
        res._id, res._groups = ident_, groups
        return res


_WIDE = Context(prec=80, traps=[Inexact, InvalidOperation])  # a DECIMAL has at most 38 digits: exact


def decimal_type(sql_type: str) -> tuple[int, int] | None:
    """(precision, scale) of a DECIMAL(p, s) column's type, None for another type."""
    found = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", sql_type.strip().upper())
    return (int(found.group(1)), int(found.group(2))) if found else None


def digits(x: exp.Expr, precision: int, scale: int) -> exp.Expr:
    """A DECIMAL(precision, scale) as the integer of its digits (-8.5 in DECIMAL(8, 6) is
    -8500000), exact. Up to 18 digits: the value times 10^scale, a BIGINT (DuckDB
    multiplies in 64 bits when both sides have at most 18 digits, so a wider product is
    first made DECIMAL(38, scale)). Above: its text (DuckDB writes every place of the
    scale) without the point, a HUGEINT, which a DuckDB cursor gives three times slower."""
    if precision <= 18:
        if precision + scale > 18:
            x = exp.Cast(this=x, to=exp.DataType.build(f"DECIMAL(38, {scale})"))
        power = exp.Cast(this=exp.Literal.number(10 ** scale), to=exp.DataType.build(f"DECIMAL({scale + 1}, 0)"))
        return exp.Cast(this=exp.Mul(this=x, expression=power), to=exp.DataType.build("BIGINT"))
    text = exp.Cast(this=x, to=exp.DataType.build("VARCHAR"))
    return exp.Cast(this=exp.Replace(this=text, expression=exp.Literal.string("."), replacement=exp.Literal.string("")),
                    to=exp.DataType.build("HUGEINT"))


def _picker(names: list[str], indices: list[int]) -> Callable[[tuple[Any, ...]], tuple[str, ...]]:
    """A function giving the ``names`` whose columns at ``indices`` hold true, in order."""
    if not names:
        return lambda r: ()
    flags = _getter(indices)
    return lambda r: tuple(compress(names, flags(r)))


def _getter(indices: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A function giving the row's values at ``indices``, always as a tuple."""
    if not indices:
        return lambda r: ()
    if len(indices) == 1:
        k = indices[0]
        return lambda r: (r[k],)
    return itemgetter(*indices)
