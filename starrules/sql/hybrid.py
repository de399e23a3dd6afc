"""A whole population with its entities evaluated on a SQL engine and the population steps
in Python: the same :class:`~starrules.population.Rating`, on any engine that runs the query.

Takes a checked program and records (mappings, as :meth:`Scheme.rate` takes them); gives
the Rating the Python engines give, outcome for outcome. The entity relation (validation,
eligibility, scores, band, vetoes, caps, demotions, badges, and the flags at the entity's
own level) is computed by DuckDB (``backend="duckdb"``) or Spark (``"spark"``) from
:func:`starrules.sql.lower.entity_query`; each row becomes the :class:`~starrules.result.Result`
the interpreter would give (no trace), and the quotas and ranked selections then run as
they do for the Python engines (:func:`starrules.population.rate`), so their moves,
reasons, ties and reports are the same by construction. (The population steps as Spark
window queries, for data that never leaves the cluster, are in
:func:`starrules.sql.spark.population`: the levels and the reports, not yet the outcomes.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import sqlglot.expressions as exp

from starrules import model as m
from starrules import population, runtime
from starrules.errors import InputError, InputProblem
from starrules.i18n import _
from starrules.population import Rating
from starrules.result import Past, Result
from starrules.sql import lower
from starrules.sql.lower import col, entity_query
from starrules.sql.reading import ident

BACKENDS = ("duckdb", "spark")
FLAG = "#flag:"  # the flag columns, by the flag rule's place among the flag rules


def rated_query(program: m.Program, source: str = "input", types: Mapping[str, str] | None = None) -> exp.Select:
    """The entity relation with a BOOLEAN column ``#flag:<i>`` per flag rule: whether the
    i-th flag holds at the entity's own level (NULL unless rated)."""
    inner = entity_query(program, source, types).subquery("e")
    flags = lower.flag_conditions(program, col(lower.RANK, "e"), table="e")
    star = exp.Column(this=exp.Star(), table=ident("e"))
    return exp.select(star, *(exp.alias_(exp.paren(cond), ident(f"{FLAG}{i}")) for i, (_name, cond) in enumerate(flags))
                      ).from_(inner)


def _rows(program: m.Program, records: list[Mapping[str, object]], backend: str, spark: Any) -> list[dict[str, Any]]:
    if backend == "duckdb":
        from starrules.sql import duck

        con = duck.connect()
        try:
            kinds = duck.load(con, program, records)
            cur = con.execute(rated_query(program, "input", kinds).sql(dialect="duckdb"))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            con.close()
    from starrules.sql import spark as sp

    session = spark or sp.session()
    kinds = sp.load(session, program, records)
    out = [r.asDict() for r in session.sql(rated_query(program, "input", kinds).sql(dialect="spark")).collect()]
    out.sort(key=lambda r: r[lower.ROW])
    return out


def _value(kind: str, cell: object) -> object:
    """An input column's value as the interpreter reads it."""
    if cell is None:
        return None
    if kind == "set":
        text = str(cell)
        return frozenset(text.split("、")) if text else frozenset()
    if kind in ("number", "count", "percent"):
        return cell if isinstance(cell, Decimal) else Decimal(str(cell))
    return cell


def _result(program: m.Program, names: lower.Columns, row: Mapping[str, Any], period: int | None) -> Result:
    status = row[lower.STATUS]
    groups = {g: row[c] for g, c in names.groups}
    kinds = {i.name: i.type.kind for i in program.inputs}
    inputs = {x: _value(kinds[x], row[x]) for x in names.inputs if row[x] is not None}
    if status != "rated":
        return Result(status, None, None, None, None, row[lower.REASON], None, {}, (), (), id=row[lower.ID],
                      groups=groups, inputs=inputs, period=period)
    levels = program.levels
    rank = row[lower.RANK]
    flags = tuple(r.name for i, r in enumerate(program.rules_of("flag")) if row[f"{FLAG}{i}"])
    return Result(
        "rated", levels.values[rank], rank, levels.labels[rank], levels.values[row[lower.BAND_RANK]],
        row[lower.REASON], row[lower.TOTAL], {s: row[s] for s in names.scores}, flags, (),
        id=row[lower.ID], groups=groups, inputs=inputs, limit_rank=row[lower.LIMIT],
        badges=tuple(label for label, c in names.badges if row[c]),
        vetoes=tuple(name for kind, name, c in names.overrides if kind == "veto" and row[c]),
        period=period, held=tuple(name for kind, name, c in names.overrides if kind != "veto" and row[c]),
    )


def rate(program: m.Program, records: Iterable[Mapping[str, object]], *, backend: str = "duckdb",
         period: int | None = None, history: Mapping[str, Iterable[Past | Mapping[str, Any]]] | None = None,
         spark: Any = None) -> Rating:
    """Rate ``records`` on ``backend`` (``"duckdb"`` or ``"spark"``; ``spark`` a session to
    use, else a local one): the same Rating as ``Scheme.rate(records)``. A scheme the SQL
    backend cannot compute exactly (one that reads earlier outcomes, so ``history`` is
    never read) raises :class:`~starrules.sql.lower.SqlUnsupported` before any data is read."""
    if backend not in BACKENDS:
        raise ValueError(_("the SQL backend is one of {names}, not {name!r}").format(
            names=", ".join(BACKENDS), name=backend))
    lower.refuse_early(program)  # what SQL cannot compute, said before anything else
    runtime.check_period(program, period)  # before any work, as the Python engines do
    recs = list(records)
    rows = _rows(program, recs, backend, spark)
    names = lower.columns(program)
    def outcome(r: Mapping[str, Any]) -> Result | InputError:
        # a bad cell is an InputError, as the Python engines raise it; a failed `require`
        # is an invalid result with the rule's name
        bad = [InputProblem(x, recs[r[lower.ROW]].get(x), r[c]) for x, c in names.problems if r[c] is not None]
        return InputError(bad) if bad else _result(program, names, r, period)

    results: Iterator[Result | InputError] = (outcome(r) for r in rows)

    def evaluator(record: Mapping[str, object], _period: int | None, _past: tuple[Past, ...]) -> Result:
        found = next(results)
        if isinstance(found, InputError):
            raise found
        return found

    return population.rate(program, recs, period=period, evaluator=evaluator)
