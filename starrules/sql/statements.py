"""The statements the SQL engines run around the lowered queries, built with sqlglot.

Tables made from a query or from typed columns, rows inserted through placeholders, the
columns of a table read back: every name is quoted as an identifier by sqlglot (a name
from scheme text is data, never SQL), so nothing here pastes text into a statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from starrules.sql.reading import ident


def table(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def create_as(name: str, body: exp.Select) -> exp.Create:
    """``CREATE OR REPLACE TABLE name AS body``: not a temporary table, so that on a
    connection to a database file (:func:`starrules.sql.duck.connect`) DuckDB compresses it
    and may leave it on disk; every connection of the engine is its own, and removed after."""
    return exp.Create(this=table(name), kind="TABLE", expression=body, replace=True)


def create_view(name: str, body: exp.Select) -> exp.Create:
    """``CREATE OR REPLACE TEMPORARY VIEW name AS body``."""
    return exp.Create(this=table(name), kind="VIEW", expression=body, replace=True,
                      properties=exp.Properties(expressions=[exp.TemporaryProperty()]))


def create_columns(name: str, columns: Sequence[tuple[str, str]], temporary: bool = False) -> exp.Create:
    """``CREATE OR REPLACE [TEMPORARY] TABLE name (column type, ...)``; each type is a SQL
    type the program chose (``BIGINT``, ``DECIMAL(38, 2)``...), parsed by sqlglot."""
    schema = exp.Schema(this=table(name), expressions=[
        exp.ColumnDef(this=ident(column), kind=exp.DataType.build(sql_type)) for column, sql_type in columns])
    properties = exp.Properties(expressions=[exp.TemporaryProperty()]) if temporary else None
    return exp.Create(this=schema, kind="TABLE", replace=True, properties=properties)


def insert_placeholders(name: str, width: int) -> exp.Insert:
    """``INSERT INTO name VALUES (?, ..., ?)``: the rows go in as parameters."""
    return exp.insert(exp.values([tuple(exp.Placeholder() for _i in range(width))]), table(name))


def insert_columns(name: str, types: Sequence[str]) -> exp.Insert:
    """``INSERT INTO name SELECT UNNEST(CAST(? AS type[])), ...``: each parameter is one
    whole column as a list, the lists unnested side by side (row k of each together),
    each cast to its column's SQL type. A million rows go in about a thousand times
    faster than row by row through ``insert_placeholders``."""
    cells = [exp.Unnest(expressions=[exp.Cast(this=exp.Placeholder(), to=exp.DataType.build(
        f"{sql_type}[]", dialect="duckdb"))]) for sql_type in types]
    return exp.insert(exp.select(*cells), table(name))


PACK_SEP, PACK_NULL = "\x1f", "\x1e"  # between a packed column's texts; a missing one


def pack(texts: Sequence[str | None]) -> str | None:
    """A column of texts as one text for :func:`insert_columns` (each text between
    ``PACK_SEP``s, a missing one as ``PACK_NULL``), or None when a text holds the
    separator or is the missing mark (then the column goes in as a list)."""
    if PACK_NULL in texts:
        return None
    joined = PACK_SEP.join([PACK_NULL if t is None else t for t in texts])
    return joined if joined.count(PACK_SEP) == len(texts) - 1 else None


def insert_packed(name: str, types: Sequence[str], packed: Sequence[bool]) -> exp.Insert:
    """As :func:`insert_columns`, but each column marked ``packed`` is given as one text
    made by :func:`pack`, split back into its texts in SQL (a column of a million texts
    goes in four times faster than as a list) and cast to its type."""
    cells: list[exp.Expr] = []
    out: list[exp.Expr] = []
    for k, (sql_type, one_text) in enumerate(zip(types, packed, strict=True)):
        if one_text:
            split = exp.Anonymous(this="STRING_SPLIT", expressions=[exp.Placeholder(), exp.Literal.string(PACK_SEP)])
            cells.append(exp.alias_(exp.Unnest(expressions=[split]), f"c{k}"))
            out.append(exp.Cast(this=exp.Nullif(this=exp.column(f"c{k}"), expression=exp.Literal.string(PACK_NULL)),
                                to=exp.DataType.build(sql_type, dialect="duckdb")))
        else:
            cells.append(exp.alias_(exp.Unnest(expressions=[exp.Cast(this=exp.Placeholder(), to=exp.DataType.build(
                f"{sql_type}[]", dialect="duckdb"))]), f"c{k}"))
            out.append(exp.column(f"c{k}"))
    return exp.insert(exp.select(*out).from_(exp.select(*cells).subquery("cells")), table(name))


def table_columns(name: str) -> exp.Select:
    """The name and type of each column of the table ``name``, in the table's order."""
    return (exp.select(exp.column("column_name"), exp.column("data_type"))
            .from_(exp.table_("columns", db="information_schema"))
            .where(exp.EQ(this=exp.column("table_name"), expression=exp.Literal.string(name)))
            .order_by(exp.column("ordinal_position")))
