"""Running the entity relation on DuckDB over Python records (extra ``starrules[duckdb]``).

Takes a program and records (mappings of input name to value); loads them into a DuckDB
table ``input`` (every cell as text, as a CSV gives it, and ``#row`` from 0 in the
records' order), runs :func:`starrules.sql.lower.entity_query` and gives its rows as
dicts keyed by the entity relation's column names (DECIMAL columns as ``Decimal``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starrules import model as m
from starrules.errors import StarError
from starrules.i18n import _
from starrules.sql.lower import entity_query


class MissingExtra(StarError):
    """The SQL backend needs a package that is not installed."""


def connect() -> Any:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - the dev extras install it
        raise MissingExtra(_("the DuckDB engine needs the extra: pip install 'starrules[duckdb]'")) from None
    return duckdb.connect()


def cell_text(value: object) -> str | None:
    """A record's value as the text a CSV cell would hold (None stays missing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(x) for x in value)
    return str(value)


def load(con: Any, program: m.Program, records: Iterable[Mapping[str, object]], table: str = "input") -> None:
    names = [i.name for i in program.inputs]
    quoted = ", ".join('"' + x.replace('"', '""') + '" VARCHAR' for x in names)
    table_q = '"' + table.replace('"', '""') + '"'
    con.execute(f'CREATE OR REPLACE TABLE {table_q} ("#row" BIGINT{", " if names else ""}{quoted})')
    rows = [[k] + [cell_text(r.get(x)) for x in names] for k, r in enumerate(records)]
    if rows:
        marks = ", ".join("?" for _x in range(len(names) + 1))
        con.executemany(f"INSERT INTO {table_q} VALUES ({marks})", rows)


def entity_rows(program: m.Program, records: Iterable[Mapping[str, object]]) -> list[dict[str, Any]]:
    """The entity relation of ``records``, one dict per record, in order."""
    query = entity_query(program, "input").sql(dialect="duckdb")
    con = connect()
    try:
        load(con, program, records)
        cur = con.execute(query)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
