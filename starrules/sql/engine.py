"""The DuckDB engine: a population rated in SQL, given back as a :class:`~starrules.population.Rating`.

Takes a checked program and the data (Python records, a pandas or polars DataFrame, a
CSV or Parquet file that DuckDB reads in place, or a JSON Lines file, read in Python as
``starrules run`` reads it); gives the same ``Rating`` as
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
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from starrules import frames, i18n, interpreter
from starrules import model as m
from starrules.errors import StarError
from starrules.i18n import N_, _
from starrules.population import QuotaReport, Rating, collector_paused
from starrules.sql import duck, lower, outcomes, statements
from starrules.sql.lower import ROW, SqlUnsupported, col
from starrules.sql.population import AT, CANON, LIM, POP, TEXT_KINDS, Steps, canonical_ranks, check_supported
from starrules.sql.reading import NUMBER_KINDS, ident
from starrules.values import canonical_text

ENTITY = "#entity"
FILE_READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".jsonl": "read_json", ".ndjson": "read_json"}


_MADE: dict[tuple[int, tuple[tuple[str, str], ...], str], tuple[weakref.ref[m.Program], str]] = {}


def entity_table_sql(program: m.Program, kinds: Mapping[str, str]) -> str:
    """``CREATE TABLE #entity AS`` the entity query of ``program`` over a source whose
    typed columns have ``kinds``, as DuckDB's SQL; made once per program and kinds (for a
    scheme of Anyang's size the query is 130 KB of SQL, half a second to build and write),
    after :func:`refuse_unsupported`, which it calls first. Its reason texts are in the
    language of the moment, so the language is part of what it is made for."""
    key = (id(program), tuple(sorted(kinds.items())), i18n.language())
    hit = _MADE.get(key)
    if hit is not None and hit[0]() is program:
        return hit[1]
    query = refuse_unsupported(program) if not kinds else lower.entity_query(program, "input", kinds)
    query.set("order", None)  # a table's rows need no order: every read of it orders by #row
    text = statements.create_as(ENTITY, query).sql(dialect="duckdb")
    if len(_MADE) >= 64:  # programs come and go: keep the last few
        _MADE.clear()
    _MADE[key] = (weakref.ref(program), text)
    return text


def refuse_unsupported(program: m.Program) -> exp.Select:
    """Raise :class:`SqlUnsupported` for a scheme this engine cannot rate exactly; give
    its entity query over text columns (which it builds to find out)."""
    query = lower.entity_query(program)  # the entity relation refuses its own constructs
    kinds = {i.name: i.type.kind for i in program.inputs}
    check_supported(program, kinds)
    for rule in program.quotas + program.selections:
        for field in (rule.per, rule.minimum_per, rule.apportion_by):
            if field is not None and field not in program.group_fields and kinds[field] not in TEXT_KINDS:
                raise SqlUnsupported(N_("grouping by an input that is not a text"), rule.span.line,
                                     program.source_name)
    return query


def file_columns(path: str | os.PathLike[str]) -> list[str]:
    """The columns of a data file as DuckDB reads it in place (its schema only); a file
    that cannot be read raises DataError."""
    from starrules.data import DataError

    con = duck.connect()
    try:
        return [r[0] for r in con.execute(exp.Describe(this=_reader(Path(path))).sql(dialect="duckdb")).fetchall()]
    except Exception as exc:  # a duckdb.Error: no such file, or not of its format
        import duckdb

        if not isinstance(exc, duckdb.Error):
            raise
        raise DataError(_("cannot read {name}: {problem}").format(name=str(path), problem=str(exc).strip())) from None
    finally:
        con.close()


def _reader(path: Path) -> exp.Select:
    """``SELECT * FROM`` the file read in place: CSV (every cell text, as the Python
    reader reads it), Parquet or JSON Lines (typed as stored)."""
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
    return exp.select(exp.Star()).from_(exp.Anonymous(this=reader, expressions=args))


def refuse_unread(program: m.Program, columns: Iterable[str], extra: str) -> None:
    """UnknownInputsError for the columns no input reads, unless ``extra="ignore"``."""
    columns = list(columns)
    names = [i.name for i in program.inputs]
    if extra != "ignore" and any(c not in names for c in columns):
        from starrules.errors import UnknownInputsError

        raise UnknownInputsError.of(dict.fromkeys(columns), names)


def _load_file(con: Any, program: m.Program, path: Path, extra: str = "ignore"
               ) -> tuple[dict[str, str], Sequence[Mapping[str, object]] | None]:
    """A data file read by DuckDB in place (see :func:`_reader`); a JSON Lines file read
    in Python, as ``starrules run`` reads it (DuckDB's JSON reader makes a number a
    double, 8.50000000000000001 is 8.5, and quotes a text in a column of numbers, '"9"',
    where the Python reader keeps the number's exact decimal and the text). Gives the
    typed columns' kinds, and the records where Python read them (see :func:`load`)."""
    if FILE_READERS.get(path.suffix.lower()) == "read_json":
        from starrules.data import read_table

        table = read_table(path)
        refuse_unread(program, table.header, extra)
        return duck.load(con, program, table.records), table.records
    return _from_relation(con, program, _reader(path), extra), None


def _from_relation(con: Any, program: m.Program, raw: exp.Select, extra: str = "ignore") -> dict[str, str]:
    """The source table from any relation: ``#row`` by its order, a column per input
    (NULL where the relation has none); the kinds of its typed columns."""
    # the columns and their types first (DESCRIBE reads no more than a CSV's sample), then
    # the table in one pass over the relation
    present = {r[0]: str(r[1]).upper() for r in con.execute(exp.Describe(this=raw).sql(dialect="duckdb")).fetchall()}
    refuse_unread(program, present, extra)
    place = exp.Sub(this=exp.Window(this=exp.RowNumber(), over="OVER"), expression=exp.Literal.number(1))
    cols: list[exp.Expr] = [exp.alias_(place, ident(ROW))]
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
        elif t in ("DOUBLE", "FLOAT") and inp.type.kind in NUMBER_KINDS:
            kinds[inp.name] = "double"  # (a FLOAT widened exactly, as Python holds it)
            cols.append(exp.alias_(exp.Cast(this=col(inp.name), to=exp.DataType.build("DOUBLE")), ident(inp.name)))
            continue
        if inp.name in kinds:
            cols.append(col(inp.name))
        else:  # anything else (a DOUBLE read by a text, choice or yes/no input too) as its text
            cols.append(exp.alias_(exp.Cast(this=col(inp.name), to=exp.DataType.build("VARCHAR")), ident(inp.name)))
    con.execute(statements.create_as("input", exp.select(*cols).from_(raw.subquery("#raw"))).sql(dialect="duckdb"))
    return kinds


def load(con: Any, program: m.Program, data: object, extra: str = "ignore"
         ) -> tuple[dict[str, str], Sequence[Mapping[str, object]] | None]:
    """The source table ``input`` from records, a DataFrame or a file path; a file's
    column that no input reads raises UnknownInputsError unless ``extra="ignore"``. Gives
    the kinds of the typed columns, and the records themselves where they passed through
    Python (records, a frame, a JSON Lines file): a bad value in them is shown in its row's
    reason as the Python engines show it (``1.5``, ``True``, a list), not as the text it
    went into the table as."""
    if isinstance(data, (str, os.PathLike)):
        return _load_file(con, program, Path(data), extra)
    if frames.is_frame(data):
        data = frames.records(data, program.inputs)
    assert isinstance(data, Iterable)
    records = data if isinstance(data, list) else list(data)
    return duck.load(con, program, records), records


def rate(program: m.Program, data: Iterable[Mapping[str, object]] | frames.Frame | str | os.PathLike[str],
         period: int | None = None, extra: str = "ignore") -> Rating:
    """Rate ``data`` on DuckDB (see the module docstring). ``extra="forbid"`` refuses a
    data file with a column no input reads (records and frames: see ``Scheme.rate``)."""
    with collector_paused():  # the query trees and the outcomes too, often beside a million records
        return _run(program, data, period, extra)


def _run(program: m.Program, data: Iterable[Mapping[str, object]] | frames.Frame | str | os.PathLike[str],
         period: int | None, extra: str) -> Rating:
    entity_table_sql(program, {})  # refused before any data is read
    where = tempfile.mkdtemp(prefix="starrules-duckdb-") if _on_disk(data) else None
    con = duck.connect(where)

    def release() -> None:
        con.close()
        if where is not None:
            shutil.rmtree(where, ignore_errors=True)

    try:
        kinds, records = load(con, program, data, extra)
        typed = {name: kind for name, kind in kinds.items() if kind != "text"}
        # its outcomes keep the connection
        return _rate(con, program, entity_table_sql(program, typed), period, release, records=records)
    except BaseException:
        release()
        raise


AUTO_FROM = 50_000
"""Rows from which ``engine="auto"`` (``Scheme.rate`` given a Parquet file's path, and
``starrules run`` from a Parquet file to a Parquet file) rates on DuckDB rather than in
Python, when DuckDB is installed and can compute the scheme: the same results, and no
Python object per row (docs/engines.md has the measurement)."""


def chooses(program: m.Program, data: object) -> bool:
    """Whether ``engine="auto"`` rates ``data`` on DuckDB: a Parquet file of
    :data:`AUTO_FROM` rows or more, DuckDB installed, a scheme SQL computes exactly."""
    if not isinstance(data, (str, os.PathLike)) or Path(data).suffix.lower() != ".parquet":
        return False
    try:
        import duckdb  # noqa: F401

        refuse_unsupported(program)
    except (ImportError, SqlUnsupported):
        return False
    rows = parquet_rows(Path(data))
    return rows is not None and rows >= AUTO_FROM


ON_DISK_FROM = 20_000_000
"""Rows from which a data file is rated in a database file on disk (in a new temporary
directory, removed with the connection) rather than in memory: slower by about half, but
its tables are compressed and need not fit in memory. A Parquet file's rows are counted
from its metadata; a CSV or JSON Lines file's estimated at one per 100 bytes."""


def _on_disk(data: object) -> bool:
    if not isinstance(data, (str, os.PathLike)):
        return False
    path = Path(data)
    if not path.is_file():
        return False
    if path.suffix.lower() != ".parquet":
        return path.stat().st_size // 100 >= ON_DISK_FROM
    rows = parquet_rows(path)
    return rows is not None and rows >= ON_DISK_FROM


def parquet_rows(path: Path) -> int | None:
    """The rows of a Parquet file, from its metadata; None when it is not one (the
    reading then says why)."""
    if not path.is_file():
        return None
    con = duck.connect()
    try:
        rows = con.execute(exp.select(exp.Sum(this=exp.column("num_rows"))).from_(exp.Anonymous(
            this="parquet_file_metadata", expressions=[exp.Literal.string(str(path))])).sql(dialect="duckdb")).fetchone()
    except Exception:  # not a Parquet file after all
        return None
    finally:
        con.close()
    return None if rows is None or rows[0] is None else int(rows[0])


def pop_query(program: m.Program) -> exp.Select:
    """``#pop`` from ``#entity``: the rated rows with what the steps read (rankings, groups,
    conditions, flags: inputs and scores by name), not the problems and rule columns (half
    the columns to copy), and the level rank now, the limit and the canonical place (0)."""
    rated = exp.EQ(this=col(lower.STATUS), expression=exp.Literal.string("rated"))
    names = lower.columns(program)
    kept = [ROW, lower.ID, lower.RANK, *[c for _g, c in names.groups], *names.inputs, *names.scores]
    return exp.select(*[col(c) for c in dict.fromkeys(kept)], exp.alias_(col(lower.RANK), ident(AT)),
                      exp.alias_(col(lower.LIMIT), ident(LIM)),
                      exp.alias_(exp.Cast(this=exp.Literal.number(0), to=exp.DataType.build("BIGINT")), ident(CANON))
                      ).from_(statements.table(ENTITY)).where(rated)


def needs_canon(program: m.Program, run: Callable[[exp.Select], Any]) -> bool:
    """Whether a ranking may reach the reference's last resort (the entity's own values):
    unless every ranking holds the id and no two rated entities share one (``run`` gives
    the one row of a query on ``#pop``)."""
    ident_ = program.id_field
    if ident_ is None:
        return True
    rankings = [r.keys + r.tiebreak for r in program.quotas + program.selections]
    if not all(any(k.ref.kind == "input" and k.ref.name == ident_ for k in ks) for ks in rankings):
        return True
    n, distinct = run(exp.select(exp.Count(this=exp.Star()), exp.Count(
        this=exp.Distinct(expressions=[col(ident_)]))).from_(statements.table(POP)))
    return bool(n != distinct)


def canon_query(program: m.Program) -> exp.Select:
    """The rows of ``#pop`` with the inputs :func:`canon_ranks` reads."""
    return exp.select(col(ROW), *[col(i.name) for i in program.inputs]).from_(statements.table(POP))


def canon_ranks(program: m.Program, rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, int]]:
    """(row, place) of the rows of :func:`canon_query` by the reference's last resort."""
    names = [i.name for i in program.inputs]
    sets = {i.name for i in program.inputs if i.type.kind == "set"}

    def text(name: str, v: Any) -> str:
        if name in sets:  # the table holds a set as its members joined by 、
            return canonical_text(frozenset(x for x in (v or "").split("、") if x))
        return canonical_text(v)

    return canonical_ranks(rows, names, text)


def _canon(steps: Steps, program: m.Program) -> None:
    """``#pop``'s canonical places (:func:`canon_ranks`), when a ranking may reach them."""
    if not needs_canon(program, lambda q: steps.run(q)[0]):
        return
    steps.load("#cr", [("r", "BIGINT"), ("p", "BIGINT")], canon_ranks(program, steps.run(canon_query(program))))
    steps.set_rows(CANON, col("p", "#x"), exp.select(exp.alias_(col("r"), ident(ROW)), col("p")).from_(
        statements.table("#cr")))


def run_steps(con: Any, program: m.Program, entity: str | exp.Select, dialect: str = "duckdb"
              ) -> tuple[Steps, list[QuotaReport]]:
    """``#entity`` made by ``entity`` on ``con`` (a DuckDB connection: the statement's text,
    :func:`entity_table_sql`; a Spark session with ``dialect="spark"``: the entity query),
    then ``#pop``, its canonical places and every quota and selection: the steps and the
    quota reports."""
    steps = Steps(con, program, dialect=dialect)
    if isinstance(entity, str):
        con.execute(entity)
    else:
        steps.make(ENTITY, entity)
    steps.make(POP, pop_query(program))
    _canon(steps, program)
    return steps, steps.all() if program.quotas or program.selections else []


def _rate(con: Any, program: m.Program, entity: str | exp.Select, period: int | None, release: Callable[[], None],
          dialect: str = "duckdb", records: Sequence[Mapping[str, object]] | None = None) -> Rating:
    """The population of the source table ``input`` on ``con``: :func:`run_steps`, then the
    final levels and flags, and the view the outcomes are read from (``records``: the
    rows as Python holds them, if they passed through Python, for the bad rows' reasons)."""
    from starrules import runtime
    runtime.check_period(program, period)
    levels = program.levels
    steps, reports = run_steps(con, program, entity, dialect)
    names = lower.columns(program)

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
    steps.make("#final", final)
    # DECIMALs come back as the integers of their digits (8.5 in DECIMAL(8, 6): 8500000),
    # scaled as the compiled evaluator's numbers are: a DuckDB cursor makes each Decimal
    # about ten times slower, and a result makes its Decimals only when they are read.
    # (Spark gives its Decimals, and the outcomes turn them into their digits.)
    decimals = {name: outcomes.decimal_type(sql_type) for name, sql_type in steps.columns(ENTITY)}
    picked: list[exp.Expr] = [col(name, ENTITY) if d is None or dialect != "duckdb" else exp.alias_(
        outcomes.digits(col(name, ENTITY), *d), ident(name)) for name, d in decimals.items()]
    scales = {name: None if d is None else d[1] for name, d in decimals.items()}
    final_cols = [AT, "#place", *[f"#f{i}" for i in range(len(flags_now))], *[f"#b{i}" for i in range(len(flags_before))]]
    invalid = exp.EQ(this=col(lower.STATUS, ENTITY), expression=exp.Literal.string("invalid"))
    cells = [exp.alias_(exp.Case(ifs=[exp.If(this=invalid.copy(), true=col(x, "input"))]), ident(outcomes.CELL + x))
             for x in names.inputs]  # the raw cells of a row with bad inputs, for its problems
    out = exp.select(*picked, *[col(c, "#final") for c in final_cols], *cells).from_(statements.table(ENTITY)).join(
        statements.table("#final"), using=[ident(ROW)], join_type="LEFT").join(
        statements.table("input"), on=exp.EQ(this=col(ROW, "input"), expression=col(ROW, ENTITY)),
        join_type="LEFT")
    # a view, not a table: a block of outcomes reads its rows when it is made (a table of
    # every column of a million rows took longer to write than the entity query)
    steps.view(outcomes.OUT, out)
    steps.drop(POP)
    heads = [name for name, _t in steps.columns(outcomes.OUT)]
    build = outcomes.Builder(program, names, heads, [n for n, _c in flags_now], period, scales, steps, records)
    return Rating(outcomes.TableOutcomes(con, build, ENTITY, release), tuple(reports), levels)


def explain(program: m.Program, record: Mapping[str, object], period: int | None = None) -> str:
    """One entity's explanation, by the reference interpreter (its own evaluation, every
    step with its line), for a record of a population rated on DuckDB."""
    return interpreter.evaluate(program, record, trace=True, period=period).explain()
