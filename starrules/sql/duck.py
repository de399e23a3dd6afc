"""Running the entity relation on DuckDB over Python records (extra ``starrules[duckdb]``).

Takes a program and records (mappings of input name to value); loads them into a DuckDB
table (``#row`` from 0 in the records' order, a column per input: BOOLEAN when every
value given is a bool, BIGINT when every one is an int, DECIMAL when every one is a
Decimal, else text as a CSV cell holds it), runs :func:`starrules.sql.lower.entity_query`
and gives its rows as dicts keyed by the entity relation's column names (DECIMAL columns
as ``Decimal``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from sqlglot import exp

from starrules import model as m
from starrules.errors import StarError
from starrules.i18n import _
from starrules.sql import statements
from starrules.sql.lower import col, entity_query
from starrules.sql.reading import MARKED, NUMBER_KINDS, REFUSED


class MissingExtraError(StarError):
    """The SQL backend needs a package that is not installed."""


def connect(directory: str | None = None) -> Any:
    """A new DuckDB connection: in memory, or to a new database file in ``directory``,
    whose tables DuckDB compresses and can leave on disk (a population larger than memory:
    a hundred million members take about 9 GB there, against 55 GB in memory)."""
    try:
        import duckdb
    except ImportError:  # pragma: no cover - the dev extras install it
        raise MissingExtraError(_("the DuckDB engine needs the extra: pip install 'starrules[duckdb]'")) from None
    if directory is None:
        return duckdb.connect()
    # half the machine's memory: the process's Python objects live beside DuckDB's, which it
    # does not count (with its default, 80%, a hundred million rows were killed for memory)
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    return duckdb.connect(os.path.join(directory, "rating.duckdb"), config={"memory_limit": f"{memory // 2**20}MB"})


def cell_text(value: object, inp: m.Input | None = None) -> str | None:
    """A record's value as the text a CSV cell would hold (None stays missing). For the
    input ``inp`` reads it, a value that is not a text goes in as the Python engines read
    it: a float for a number as the decimal of its repr, written without an exponent
    (1e-05 as 0.00001), and a value they refuse by its kind alone (a list or a bool for a
    number; a float, a list or a number other than 0 and 1 for a yes/no; anything but a
    text for a choice; anything but a text or a collection of texts for a set, or one
    holding a text that is not a choice; anything but a text or a whole number for a
    text, name or group, marked before its text) as ``REFUSED``, which no reading takes.
    (The reason of a row holding one is made in Python, from the record: see
    :class:`starrules.sql.outcomes.Builder`.)"""
    if value is None:
        return None
    kind = None if inp is None or value.__class__ is str else inp.type.kind
    if kind in ("number", "count", "percent"):
        if value.__class__ is float:
            return format(Decimal(repr(value)), "f")
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            return REFUSED
    elif kind == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and value in (0, 1):
            return "1" if value else "0"
        return REFUSED
    elif kind == "enum":
        return REFUSED
    elif kind == "set":
        if isinstance(value, (bytes, dict)) or not isinstance(value, Iterable) or \
                not all(isinstance(x, str) for x in value):
            return REFUSED
        assert inp is not None
        members = set(inp.type.members)
        if any(x.strip() not in members for x in value):  # ('' or 无 would read as no choice once joined)
            return REFUSED
    elif kind in ("text", "id", "group") and (isinstance(value, bool) or not isinstance(value, int)):
        return REFUSED + str(value)  # (its own text still names the row: reading._unmarked)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(x) for x in value)
    return str(value)


def column_kind(cells: Sequence[object], number: bool = False) -> tuple[str, str]:
    """(kind, DuckDB type) of a column holding ``cells`` (see reading.COLUMN_KINDS);
    ``number`` if a number input reads it (only then are floats a DOUBLE column)."""
    if all(c.__class__ is str for c in cells):  # nearly every column of text data: one pass
        return "text", "VARCHAR"
    given = [c for c in cells if c is not None]
    if number and given and all(c.__class__ is float for c in given):
        return "double", "DOUBLE"
    if given and all(isinstance(c, bool) for c in given):
        return "boolean", "BOOLEAN"
    if given and all(isinstance(c, int) and not isinstance(c, bool) and -2**63 <= c < 2**63 for c in given):
        return "integer", "BIGINT"
    decimals = [c for c in given if isinstance(c, Decimal) and c.is_finite()]
    if given and len(decimals) == len(given):
        scale = max(max(0, -int(d.as_tuple().exponent)) for d in decimals)
        whole = max(len(str(abs(int(d)))) for d in decimals)
        if scale + whole <= 38:
            return "decimal", f"DECIMAL(38, {min(scale, 38 - whole)})"
    return "text", "VARCHAR"


LOAD_ROWS = 100_000  # rows put in at a time (one statement of a million rows is slower)


def load(con: Any, program: m.Program, records: Iterable[Mapping[str, object]],
         table: str = "input") -> dict[str, str]:
    """Load ``records`` into ``table``; gives each input column's kind."""
    names = [i.name for i in program.inputs]
    recs = list(records)
    kinds: dict[str, str] = {}
    decls = [("#row", "BIGINT")]
    columns: list[list[object]] = [list(range(len(recs)))]
    for inp, cells in zip(program.inputs, _columns(recs, names), strict=True):
        # column by column, each a list: a decimal as its plain text, cast exactly in SQL
        x = inp.name
        kinds[x], sql_type = column_kind(cells, inp.type.kind in NUMBER_KINDS)
        decls.append((x, sql_type))
        if kinds[x] == "text":
            cells = [v if v.__class__ is str else cell_text(v, inp) for v in cells]
            if inp.type.kind == "text" and any(v.__class__ is str and v[:1] == REFUSED for v in cells):
                kinds[x] = MARKED
        elif kinds[x] == "decimal":
            cells = [None if v is None else format(v, "f") for v in cells]
        columns.append(cells)
    con.execute(statements.create_columns(table, decls).sql(dialect="duckdb"))
    types = [t for _x, t in decls]
    texts = [False] + [kinds[x] in ("text", MARKED, "decimal") for x in names]
    for low in range(0, len(recs), LOAD_ROWS):
        # a column of texts as one text where it can be (see statements.pack), else a list
        part = [c[low:low + LOAD_ROWS] for c in columns]
        packed = [statements.pack(cast("list[str | None]", c)) if text else None for c, text in zip(
            part, texts, strict=True)]
        params = [c if p is None else p for c, p in zip(part, packed, strict=True)]
        con.execute(statements.insert_packed(table, types, [p is not None for p in packed]).sql(dialect="duckdb"),
                    params)
    return kinds


def _columns(recs: list[Mapping[str, object]], names: list[str]) -> list[list[object]]:
    """The records' values, one list per name (None where a record has no such key)."""
    if not names:
        return []
    if len(names) > 1 and all(r.__class__ is dict for r in recs):
        try:  # plain dicts with every key (nearly always): turned over in C
            return [list(c) for c in zip(*map(itemgetter(*names), recs), strict=True)] if recs else \
                [[] for _x in names]
        except KeyError:
            pass
    return [[r.get(x) for r in recs] for x in names]


def held(con: Any, program: m.Program, table: str = "input") -> list[dict[str, object]]:
    """The records as the table holds them (the values a reference run should read)."""
    names = [i.name for i in program.inputs]
    columns: list[exp.Expr] = [col(x) for x in names] or [exp.Literal.number(1)]
    query = exp.select(*columns).from_(
        statements.table(table)).order_by(col("#row"))
    cur = con.execute(query.sql(dialect="duckdb"))
    return [dict(zip(names, row, strict=False)) for row in cur.fetchall()]


def run(con: Any, program: m.Program, table: str = "input", types: Mapping[str, str] | None = None
        ) -> list[dict[str, Any]]:
    """The entity relation of the records in ``table``, one dict per row, in order."""
    cur = con.execute(entity_query(program, table, types).sql(dialect="duckdb"))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def entity_rows(program: m.Program, records: Iterable[Mapping[str, object]]) -> list[dict[str, Any]]:
    """The entity relation of ``records``, one dict per record, in order."""
    con = connect()
    try:
        kinds = load(con, program, records)
        return run(con, program, types=kinds)
    finally:
        con.close()
