"""The SQL text of a scheme for a database team: ``starrules compile --emit sql``.

Takes a loaded :class:`~starrules.api.Scheme` and a dialect; gives the entity query
(:func:`starrules.sql.lower.entity_query`) as readable SQL of that dialect, led by line
comments naming the scheme, its version and sha256 and the table it reads.
"""

from __future__ import annotations

from starrules.api import Scheme
from starrules.errors import StarError
from starrules.i18n import _

DIALECTS = ("duckdb", "spark", "hive", "postgres", "mysql")


def sql_text(scheme: Scheme, dialect: str = "duckdb", source: str = "input") -> str:
    try:
        import sqlglot  # noqa: F401 - present: the lowering needs it
    except ImportError:  # pragma: no cover - the dev extras install it
        raise StarError(_("emitting SQL needs the extra: pip install 'starrules[sql]'")) from None
    from starrules.sql.lower import entity_query

    if dialect not in DIALECTS:
        raise StarError(_("unknown SQL dialect '{dialect}'; choose one of {choices}").format(
            dialect=dialect, choices=", ".join(DIALECTS)))
    body = entity_query(scheme.program, source).sql(dialect=dialect, pretty=True)
    names = ", ".join(i.name for i in scheme.inputs)
    head = [
        f"-- starrules: {scheme.title} version {scheme.version or '-'}",
        f"-- sha256 {scheme.sha256}",
        f"-- dialect {dialect}; reads the table {source}: a text column per input ({names}) and \"#row\"",
    ]
    # a line comment ends at the line's end, and no scheme text holds a newline
    return "\n".join(line.replace("\n", " ").replace("\r", " ") for line in head) + "\n" + body + ";\n"
