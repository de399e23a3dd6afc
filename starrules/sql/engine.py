"""The DuckDB engine: a population rated in SQL, given back as a :class:`~starrules.population.Rating`.

Takes a checked program and the data (Python records, a pandas or polars DataFrame, or a
CSV / Parquet / JSON Lines file that DuckDB reads in place); gives the same ``Rating`` as
:func:`starrules.population.rate`: one :class:`~starrules.population.Outcome` per input
row, in input order, with status, reason, levels before and after the quotas, rank,
moves, flags and the quota reports. The stages:

1. the source table (``#row`` and a column per input) in DuckDB;
2. the entity relation (:func:`starrules.sql.lower.entity_query`) as a temporary table;
3. the population steps (:mod:`starrules.sql.population`) over its rated rows;
4. the main ranking (``ROW_NUMBER``) and the flags at the final level, in one query;
5. Python objects for the results only: one ``Outcome`` (and its ``Result``, built from
   the row: no expression is evaluated again in Python).

An entity's explanation is made on demand by the reference interpreter
(:func:`explain`), from the record itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlglot import exp

from starrules import frames, interpreter
from starrules import model as m
from starrules.errors import InputProblem, StarError
from starrules.i18n import N_, _
from starrules.population import Move, Outcome, Rating
from starrules.result import Lazy, Result
from starrules.sql import duck, lower, statements
from starrules.sql.lower import ROW, SqlUnsupported, col
from starrules.sql.population import AT, CANON, LIM, POP, TEXT_KINDS, Steps, canonical_ranks, check_supported
from starrules.sql.reading import ident
from starrules.values import canonical_text

ENTITY = "#entity"
FILE_READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".jsonl": "read_json", ".ndjson": "read_json"}


def refuse_unsupported(program: m.Program) -> None:
    """Raise :class:`SqlUnsupported` for a scheme this engine cannot rate exactly."""
    lower.entity_query(program)  # the entity relation refuses its own constructs
    kinds = {i.name: i.type.kind for i in program.inputs}
    check_supported(program, kinds)
    for rule in program.quotas + program.selections:
        for field in (rule.per, rule.minimum_per, rule.apportion_by):
            if field is not None and field not in program.group_fields and kinds[field] not in TEXT_KINDS:
                raise SqlUnsupported(N_("grouping by an input that is not a text"), rule.span.line,
                                     program.source_name)


def _load_file(con: Any, program: m.Program, path: Path, extra: str = "ignore") -> dict[str, str]:
    """A data file read by DuckDB in place: CSV (every cell text, as the Python reader
    reads it), Parquet or JSON Lines (typed as stored). Gives the typed columns' kinds."""
    reader = FILE_READERS.get(path.suffix.lower())
    if reader is None:
        raise StarError(_("the DuckDB engine reads CSV, Parquet and JSON Lines files, not {name}").format(
            name=path.name))
    args: list[exp.Expr] = [exp.Literal.string(str(path))]
    if reader == "read_csv":
        args.append(exp.EQ(this=exp.column("all_varchar"), expression=exp.true()))
        args.append(exp.EQ(this=exp.column("header"), expression=exp.true()))
    elif reader == "read_json":
        args.append(exp.EQ(this=exp.column("format"), expression=exp.Literal.string("newline_delimited")))
    raw = exp.select(exp.Star()).from_(exp.Anonymous(this=reader, expressions=args))
    return _from_relation(con, program, raw, extra)


def _from_relation(con: Any, program: m.Program, raw: exp.Select, extra: str = "ignore") -> dict[str, str]:
    """The source table from any relation: ``#row`` by its order, a column per input
    (NULL where the relation has none); the kinds of its typed columns."""
    con.execute(statements.create_as("#raw", raw.select(exp.alias_(
        exp.Window(this=exp.RowNumber(), over="OVER"), "#n"), append=True)).sql(dialect="duckdb"))
    present = {r[0]: str(r[1]).upper() for r in con.execute(
        statements.table_columns("#raw").sql(dialect="duckdb")).fetchall()}
    names = [i.name for i in program.inputs]
    if extra != "ignore" and any(c != "#n" and c not in names for c in present):
        from starrules.errors import UnknownInputsError

        raise UnknownInputsError.of({c: None for c in present if c != "#n"}, names)
    cols: list[exp.Expr] = [exp.alias_(exp.Sub(this=col("#n"), expression=exp.Literal.number(1)), ident(ROW))]
    kinds: dict[str, str] = {}
    for inp in program.inputs:
        if inp.name not in present:
            cols.append(exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR")), ident(inp.name)))
            continue
        t = present[inp.name]
        if t == "BOOLEAN":
            kinds[inp.name] = "boolean"
        elif t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
            kinds[inp.name] = "integer"
        elif t.startswith("DECIMAL"):
            kinds[inp.name] = "decimal"
        if inp.name in kinds:
            cols.append(col(inp.name))
        else:  # anything else (a DOUBLE too) as its text
            cols.append(exp.alias_(exp.Cast(this=col(inp.name), to=exp.DataType.build("VARCHAR")), ident(inp.name)))
    con.execute(statements.create_as("input", exp.select(*cols).from_(statements.table("#raw"))).sql(dialect="duckdb"))
    return kinds


def load(con: Any, program: m.Program, data: object, extra: str = "ignore") -> dict[str, str]:
    """The source table ``input`` from records, a DataFrame or a file path; a file's
    column that no input reads raises UnknownInputsError unless ``extra="ignore"``."""
    if isinstance(data, (str, os.PathLike)):
        return _load_file(con, program, Path(data), extra)
    if frames.is_frame(data):
        return duck.load(con, program, frames.records(data, program.inputs))
    assert isinstance(data, Iterable)
    return duck.load(con, program, data)


def rate(program: m.Program, data: Iterable[Mapping[str, object]] | frames.Frame | str | os.PathLike[str],
         period: int | None = None, extra: str = "ignore") -> Rating:
    """Rate ``data`` on DuckDB (see the module docstring). ``extra="forbid"`` refuses a
    data file with a column no input reads (records and frames: see ``Scheme.rate``)."""
    refuse_unsupported(program)
    con = duck.connect()
    try:
        kinds = load(con, program, data, extra)
        return _rate(con, program, kinds, period)
    finally:
        con.close()


def _needs_canon(con: Any, program: m.Program) -> bool:
    """Whether a ranking may reach the reference's last resort (the entity's own values):
    unless every ranking holds the id and no two rated entities share one."""
    ident_ = program.id_field
    if ident_ is None:
        return True
    rankings = [r.keys + r.tiebreak for r in program.quotas + program.selections]
    if not all(any(k.ref.kind == "input" and k.ref.name == ident_ for k in ks) for ks in rankings):
        return True
    n, distinct = con.execute(exp.select(exp.Count(this=exp.Star()), exp.Count(
        this=exp.Distinct(expressions=[col(ident_)]))).from_(statements.table(POP)).sql(dialect="duckdb")).fetchone()
    return bool(n != distinct)


def _canon(con: Any, program: m.Program) -> None:
    names = [i.name for i in program.inputs]
    sets = {i.name for i in program.inputs if i.type.kind == "set"}

    def text(name: str, v: Any) -> str:
        if name in sets:  # the table holds a set as its members joined by 、
            return canonical_text(frozenset(x for x in (v or "").split("、") if x))
        return canonical_text(v)

    rows = con.execute(exp.select(col(ROW), *[col(x) for x in names]).from_(statements.table(POP)).sql(
        dialect="duckdb")).fetchall()
    ranks = canonical_ranks(rows, names, text)
    con.execute(statements.create_columns("#cr", [("r", "BIGINT"), ("p", "BIGINT")], temporary=True).sql(dialect="duckdb"))
    if not ranks:
        return
    con.execute(statements.insert_columns("#cr", ["BIGINT", "BIGINT"]).sql(dialect="duckdb"),
                [[r for r, _p in ranks], [p for _r, p in ranks]])
    con.execute(exp.Update(this=statements.table(POP), expressions=[exp.EQ(this=col(CANON), expression=col("p", "#cr"))],
                           from_=exp.From(this=statements.table("#cr")),
                           where=exp.Where(this=exp.EQ(this=col(ROW, POP), expression=col("r", "#cr")))
                           ).sql(dialect="duckdb"))


def _rate(con: Any, program: m.Program, kinds: dict[str, str], period: int | None) -> Rating:
    from starrules import runtime
    runtime.check_period(program, period)
    levels = program.levels
    q = lower.entity_query(program, "input", kinds)
    con.execute(statements.create_as(ENTITY, q).sql(dialect="duckdb"))
    rated = exp.EQ(this=col(lower.STATUS), expression=exp.Literal.string("rated"))
    pop = exp.select(exp.Star(), exp.alias_(col(lower.RANK), ident(AT)), exp.alias_(col(lower.LIMIT), ident(LIM)),
                     exp.alias_(exp.Cast(this=exp.Literal.number(0), to=exp.DataType.build("BIGINT")), ident(CANON))
                     ).from_(statements.table(ENTITY)).where(rated)
    con.execute(statements.create_as(POP, pop).sql(dialect="duckdb"))
    if _needs_canon(con, program):
        _canon(con, program)
    steps = Steps(con, program)
    if program.quotas or program.selections:
        steps.ids = {int(r[0]): r[1] for r in con.execute(exp.select(col(ROW), col(lower.ID)).from_(
            statements.table(POP)).sql(dialect="duckdb")).fetchall()}
    reports = steps.all() if program.quotas or program.selections else []

    # the main ranking and the flags at the final level (and at the level before)
    main = program.quotas[0].keys if program.quotas else (
        (m.SortKey(program.band.score, True),) if program.band else ())
    id_key = (m.SortKey(m.Ref("input", program.id_field), False),) if program.id_field else ()
    order = [exp.Ordered(this=col(k.ref.name), desc=k.descending, nulls_first=False) for k in main + id_key]
    order += [exp.Ordered(this=col(CANON)), exp.Ordered(this=col(ROW))]
    flags_now = lower.flag_conditions(program, col(AT))
    flags_before = lower.flag_conditions(program, col(lower.RANK))
    final = exp.select(col(ROW), col(AT), exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(
        expressions=order)), "#place"),
        *[exp.alias_(exp.paren(c), f"#f{i}") for i, (_n, c) in enumerate(flags_now)],
        *[exp.alias_(exp.paren(c), f"#b{i}") for i, (_n, c) in enumerate(flags_before)]).from_(statements.table(POP))
    con.execute(statements.create_as("#final", final).sql(dialect="duckdb"))
    names = lower.columns(program)
    # DECIMALs come back as their text, read by Decimal() in Python: a DuckDB cursor
    # makes each Decimal about ten times slower (most of the time of fetching a row)
    typed = con.execute(statements.table_columns(ENTITY).sql(dialect="duckdb")).fetchall()
    decimals = {name for name, sql_type in typed if str(sql_type).upper().startswith("DECIMAL")}
    picked: list[exp.Expr] = [exp.alias_(exp.Cast(this=col(name, ENTITY), to=exp.DataType.build("VARCHAR")),
                                         ident(name)) if name in decimals else col(name, ENTITY) for name, _t in typed]
    final_cols = [AT, "#place", *[f"#f{i}" for i in range(len(flags_now))], *[f"#b{i}" for i in range(len(flags_before))]]
    out = exp.select(*picked, *[col(c, "#final") for c in final_cols]).from_(statements.table(ENTITY)).join(
        statements.table("#final"), using=[ident(ROW)], join_type="LEFT").order_by(col(ROW, ENTITY))
    bad = exp.select(col(ROW, "input"), *[col(x, "input") for x in names.inputs]).from_(statements.table("input")).join(
        statements.table(ENTITY), on=exp.EQ(this=col(ROW, "input"), expression=col(ROW, ENTITY))).where(
        exp.EQ(this=col(lower.STATUS, ENTITY), expression=exp.Literal.string("invalid")))
    cells = {int(c[0]): dict(zip(names.inputs, c[1:], strict=True))
             for c in con.execute(bad.sql(dialect="duckdb")).fetchall()}
    cur = con.execute(out.sql(dialect="duckdb"))
    heads = [d[0] for d in cur.description]
    build = _Builder(program, names, {h: i for i, h in enumerate(heads)}, [n for n, _c in flags_now], period,
                     decimals)
    at = build.at
    outcomes: list[Outcome] = []
    values, labels = levels.values, levels.labels
    i_row, i_status, i_reason, i_id, i_at, i_place = at[ROW], at[lower.STATUS], at[lower.REASON], at[lower.ID], \
        at[AT], at["#place"]
    i_groups = [(g, at[c]) for g, c in names.groups]
    i_problems = [(x, at[c]) for x, c in names.problems]
    i_flags = [(n, at[f"#f{k}"]) for k, n in enumerate(build.flag_names)]
    moves_of, sel_flags, ties_of = steps.moves, steps.sel_flags, steps.ties
    while True:
        batch = cur.fetchmany(10000)
        if not batch:
            break
        for r in batch:
            row, status = int(r[i_row]), r[i_status]
            groups = {g: r[j] for g, j in i_groups}
            ident_ = r[i_id]
            if status == "invalid" and any(r[j] is not None for _x, j in i_problems):
                problems = tuple(InputProblem(x, cells[row][x], r[j]) for x, j in i_problems if r[j] is not None)
                outcomes.append(Outcome(row, "invalid", ident_, groups, None, None, None, r[i_reason], None, (),
                                        None, (), None, problems))
                continue
            res = build.result(r, status, ident_, groups)
            if status != "rated":
                outcomes.append(Outcome(row, status, ident_, groups, None, None, None, r[i_reason], None, (), None,
                                        (), res))
                continue
            now = int(r[i_at])
            moves: tuple[Move, ...] = tuple(moves_of.get(row, ()))
            flags = tuple(n for n, j in i_flags if r[j]) + tuple(sel_flags.get(row, ()))
            reason = moves[-1].rule if moves else r[i_reason]
            outcome = Outcome(row, "rated", ident_, groups, values[now], labels[now], res.level, reason,
                              res._total, flags, int(r[i_place]), moves, res)
            outcome.ties = tuple(ties_of.get(row, ()))
            outcomes.append(outcome)
    return Rating(tuple(outcomes), tuple(reports), levels)


class _Builder:
    """The :class:`Result` of a row of the final query: its inputs kept as the row's
    tuple of values (the dict made on first use, as the compiled evaluator's results do),
    every other field read by a column index found once."""

    def __init__(self, program: m.Program, names: lower.Columns, at: dict[str, int], flag_names: list[str],
                 period: int | None, decimals: set[str]) -> None:
        self.at = at
        self.flag_names = flag_names
        self.period = period
        levels = program.levels
        self.values, self.labels = levels.values, levels.labels
        kinds = {i.name: i.type.kind for i in program.inputs}
        self.lazy = Lazy(tuple(names.inputs), (None,) * len(names.inputs), (), (), None, None, ())
        self.inputs = _getter([at[x] for x in names.inputs])
        self.sets = [k for k, x in enumerate(names.inputs) if kinds[x] == "set"]
        self.numbers = [k for k, x in enumerate(names.inputs) if x in decimals]
        self.score_names = tuple(names.scores)
        self.scores = _getter([at[x] for x in names.scores])
        self.before = [(n, at[f"#b{k}"]) for k, n in enumerate(flag_names)]
        self.badges = [(label, at[c]) for label, c in names.badges]
        self.vetoes = [(name, at[c]) for kind, name, c in names.overrides if kind == "veto"]
        self.held = [(name, at[c]) for kind, name, c in names.overrides if kind != "veto"]
        self.i_rank, self.i_band, self.i_limit = at[lower.RANK], at[lower.BAND_RANK], at[lower.LIMIT]
        self.i_total, self.i_reason = at[lower.TOTAL], at[lower.REASON]

    def result(self, r: tuple[Any, ...], status: str, ident_: str | None, groups: dict[str, str]) -> Result:
        vals = self.inputs(r)
        if self.sets or self.numbers:
            cells = list(vals)
            for k in self.sets:  # the table holds a set as its members joined by 、
                v = cells[k]
                cells[k] = None if v is None else frozenset(x for x in str(v).split("、") if x)
            for k in self.numbers:
                v = cells[k]
                if v is not None:
                    cells[k] = Decimal(v)
            vals = tuple(cells)
        if status != "rated":
            res = Result.fast(self.lazy, status, None, None, None, None, r[self.i_reason], (), None, (), (),
                              self.period, vals, (), None)
            res._scores, res._total = {}, None
        else:
            rank = int(r[self.i_rank])
            lim = r[self.i_limit]
            res = Result.fast(self.lazy, "rated", self.values[rank], rank, self.labels[rank],
                              self.values[int(r[self.i_band])], r[self.i_reason], tuple(n for n, j in self.before if r[j]),
                              None if lim is None else int(lim), tuple(b for b, j in self.badges if r[j]),
                              tuple(v for v, j in self.vetoes if r[j]), self.period, vals, (), None,
                              tuple(h for h, j in self.held if r[j]))
            res._scores = {name: Decimal(v) for name, v in zip(self.score_names, self.scores(r), strict=True)}
            total = r[self.i_total]
            res._total = None if total is None else Decimal(total)
        res._id, res._groups = ident_, groups
        return res


def _getter(indices: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """A function giving the row's values at ``indices``, always as a tuple."""
    if not indices:
        return lambda r: ()
    if len(indices) == 1:
        k = indices[0]
        return lambda r: (r[k],)
    return itemgetter(*indices)


def explain(program: m.Program, record: Mapping[str, object], period: int | None = None) -> str:
    """One entity's explanation, by the reference interpreter (its own evaluation, every
    step with its line), for a record of a population rated on DuckDB."""
    return interpreter.evaluate(program, record, trace=True, period=period).explain()
