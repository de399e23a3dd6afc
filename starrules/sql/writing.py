"""The results of a population rated in SQL, written by its engine: no Python object per row.

Takes the :class:`Steps` of a :class:`~starrules.sql.outcomes.TableOutcomes` (their
connection holds the entity relation ``#entity``, the final levels and flags ``#final``,
the source ``input``, and what the population steps did in ``#moves`` and ``#picked``);
gives :func:`results_query`, one row per input row in row order under the columns of
:class:`starrules.output.Results`, every cell the text the Parquet writer gives it
(numbers without trailing zeros, ``✔`` marks, the levels as the scheme writes them), and
:func:`write_parquet`, which writes that query to a file: DuckDB by ``COPY``, Spark by its
Parquet writer. A hundred million rows go from a Parquet file to a Parquet file this way
on DuckDB, out of core.

Only the reasons of rows with bad inputs are made in Python (their problems' words, with
the cell as Python shows it); they go in as a small table ``#why``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlglot import exp

from starrules import model as m
from starrules.sql import lower, statements
from starrules.sql.lower import ROW, col
from starrules.sql.population import AT, MOVES, PICKED, Steps

WHY = "#why"
_TEXT = exp.DataType.build("VARCHAR")


def _s(text: str) -> exp.Expr:
    return exp.Literal.string(text)


def _n(value: int) -> exp.Expr:
    return exp.Literal.number(value)


def _text(x: exp.Expr) -> exp.Expr:
    return exp.Cast(this=x, to=_TEXT)


def number_text(x: exp.Expr, scale: int) -> exp.Expr:
    """A DECIMAL of ``scale`` places as ``fmt_number`` writes it: no trailing zeros, no
    point when it is whole (DuckDB writes every place of the scale, never an exponent)."""
    text = _text(x)
    if scale == 0:
        return text
    zeros = exp.RegexpReplace(this=text, expression=_s("0+$"), replacement=_s(""))
    return exp.RegexpReplace(this=zeros, expression=_s("\\.$"), replacement=_s(""))


def _when(cond: exp.Expr, value: exp.Expr, default: exp.Expr | None = None) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=cond, true=value)], default=default)


def _by_rank(rank: exp.Expr, values: list[Any]) -> exp.Expr:
    """The text of ``values[rank]``."""
    return exp.Case(ifs=[exp.If(this=exp.EQ(this=rank.copy(), expression=_n(k)), true=_s(str(v)))
                         for k, v in enumerate(values)])


def _joined(parts: list[tuple[exp.Expr, str]]) -> exp.Expr:
    """The names whose conditions hold, joined by 、 ('' when none)."""
    if not parts:
        return _s("")
    # DuckDB's CONCAT_WS skips NULLs (sqlglot's ConcatWs would make the whole NULL)
    return exp.Anonymous(this="CONCAT_WS", expressions=[_s("、"), *[_when(c, _s(name)) for c, name in parts]])


def _any(conds: list[exp.Expr]) -> exp.Expr:
    if not conds:
        return exp.false()
    return exp.or_(*[exp.Coalesce(this=exp.paren(c), expressions=[exp.false()]) for c in conds])


def results_query(program: m.Program, steps: Steps, flag_names: list[str], scales: Mapping[str, int | None],
                  meta: tuple[str, str | None, int | None, str], first: int = 1) -> exp.Select:
    """The results of every row, in row order, as texts (see the module docstring).
    ``flag_names`` are the flag rules in the order of ``#final``'s ``#f<i>`` columns;
    ``scales`` the decimal places of each DECIMAL column of ``#entity``; ``meta`` the
    scheme's title, version, the period and its sha256; row ``#row`` is number
    ``#row + first``."""
    from starrules.output import APPLIED, result_columns, rule_columns

    names = lower.columns(program)
    e, f, mv, pk = "#entity", "#final", "#mv", "#pk"
    status = col(lower.STATUS, e)
    rated = exp.EQ(this=status.copy(), expression=_s("rated"))
    at = col(AT, f)
    done = steps.done

    # what the steps did: per row, the last step that moved it and the steps that picked it
    moved_by = {(s.rule.kind, s.rule.name) for s in done}
    mv_cols: list[exp.Expr] = [col("r"), exp.alias_(exp.Max(this=col("s")), "#last")]
    mark_of_move: dict[tuple[str, str], str] = {}
    for j, key in enumerate(sorted(moved_by)):
        ks = [k for k, s in enumerate(done) if (s.rule.kind, s.rule.name) == key]
        mark_of_move[key] = f"#m{j}"
        mv_cols.append(exp.alias_(exp.func("BOOL_OR", exp.In(this=col("s"), expressions=[_n(k) for k in ks])),
                                  f"#m{j}"))
    moves = exp.select(*mv_cols).from_(statements.table(MOVES)).group_by(col("r")).subquery(mv)
    flag_steps = [k for k, s in enumerate(done) if s.rule.flag is not None]
    picks = exp.select(col("r"), *[exp.alias_(exp.func("BOOL_OR", exp.EQ(this=col("s"), expression=_n(k))), f"#p{k}")
                                   for k in flag_steps]).from_(statements.table(PICKED)).group_by(col("r")).subquery(pk)

    # the flags: the flag rules' at the final level, then the selections' in step order
    flags: list[tuple[exp.Expr, str]] = [(col(f"#f{i}", f), name) for i, name in enumerate(flag_names)]
    flags += [(col(f"#p{k}", pk), str(done[k].rule.flag)) for k in flag_steps]

    def has_flag(name: str) -> exp.Expr:
        return _any([c.copy() for c, n in flags if n == name])

    problems: list[exp.Expr] = [exp.Not(this=exp.Is(this=col(c, e), expression=exp.Null())) for _x, c in names.problems]
    no_problem = exp.Not(this=exp.paren(_any(problems))) if problems else exp.true()
    held_kinds = {r.name: r.kind for r in program.rules_of("demote") + program.rules_of("cap")}
    marks: list[exp.Expr] = []
    for kind, name in rule_columns(program):
        if kind == "require":
            cond: exp.Expr = exp.and_(exp.EQ(this=status.copy(), expression=_s("invalid")), no_problem.copy(),
                                      exp.EQ(this=col(lower.REASON, e), expression=_s(name)))
        elif kind == "disqualify":
            cond = exp.and_(exp.EQ(this=status.copy(), expression=_s("ineligible")),
                            exp.EQ(this=col(lower.REASON, e), expression=_s(name)))
        else:
            if kind == "veto":
                holds = _any([col(c, e) for k, n, c in names.overrides if k == "veto" and n == name])
            elif kind in ("cap", "demote"):
                holds = _any([col(c, e) for k, n, c in names.overrides
                              if k != "veto" and n == name and held_kinds[n] == kind])
            elif kind == "flag":
                holds = has_flag(name)
            else:  # a quota or a selection: it moved the row, or a selection's flag is the row's
                holds = _any(([col(mark_of_move[(kind, name)], mv)] if (kind, name) in mark_of_move else [])
                             + [has_flag(str(s.flag)) for s in program.selections
                                if kind == "select" and s.name == name and s.flag is not None])
            cond = exp.and_(rated.copy(), exp.paren(holds))
        marks.append(_when(cond, _s(APPLIED)))

    number = exp.Add(this=col(ROW, e), expression=_n(first))
    ident = col(lower.ID, e)
    ident_text = _when(exp.or_(exp.Is(this=ident.copy(), expression=exp.Null()), exp.EQ(this=ident.copy(),
                                                                                      expression=_s(""))),
                       exp.DPipe(this=_s("row "), expression=_text(number.copy())), ident.copy())
    last_rule = exp.Case(ifs=[exp.If(this=exp.EQ(this=col("#last", mv), expression=_n(k)), true=_s(s.rule.name))
                              for k, s in enumerate(done)]) if done else exp.Null()
    reason = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=col("reason", WHY), expression=exp.Null())),
                                  true=col("reason", WHY)),
                           exp.If(this=exp.and_(rated.copy(), exp.Not(this=exp.Is(this=col("#last", mv),
                                                                                  expression=exp.Null()))),
                                  true=last_rule)],
                      default=col(lower.REASON, e))
    levels = program.levels
    cells: list[exp.Expr] = [
        _text(number), ident_text,
        *[col(c, e) for _g, c in names.groups],
        _when(rated.copy(), _by_rank(at, list(levels.values))),
        _when(rated.copy(), _by_rank(at, list(levels.labels))),
        _when(rated.copy(), number_text(col(lower.TOTAL, e), scales[lower.TOTAL] or 0)),
        status.copy(), reason,
        _when(rated.copy(), _joined(flags), _s("")),
        _when(rated.copy(), _by_rank(col(lower.RANK, e), list(levels.values))),
        _when(rated.copy(), _text(col("#place", f))),
    ]
    if names.badges:
        cells.append(_when(rated.copy(), _joined([(col(c, e), label) for label, c in names.badges])))
    cells += [_when(rated.copy(), number_text(col(s.name, e), scales[s.name] or 0))
              for s in program.scores if s.name != program.total]
    cells += marks
    title, version, period, sha = meta
    cells += [_s(title), exp.Null() if version is None else _s(version),
              exp.Null() if period is None else _s(str(period)), _s(sha)]
    heads = result_columns(program)
    assert len(heads) == len(cells), (heads, len(cells))

    def on_row(t: str, c: str) -> exp.Expr:
        return exp.EQ(this=col(c, t), expression=col(ROW, e))

    return (exp.select(*[exp.alias_(x, exp.to_identifier(h, quoted=True)) for x, h in zip(cells, heads, strict=True)])
            .from_(exp.alias_(statements.table(e), e, table=True))
            .join(exp.alias_(statements.table(f), f, table=True), on=on_row(f, ROW), join_type="LEFT")
            .join(moves, on=on_row(mv, "r"), join_type="LEFT")
            .join(picks, on=on_row(pk, "r"), join_type="LEFT")
            .join(exp.alias_(statements.table(WHY), WHY, table=True), on=on_row(WHY, "r"), join_type="LEFT")
            .order_by(col(ROW, e)))


def put_reasons(steps: Steps, reasons: list[tuple[int, str]]) -> None:
    """The table ``#why``: the reason written for each row with bad inputs (by ``#row``)."""
    steps.load(WHY, [("r", "BIGINT"), ("reason", "VARCHAR")], reasons)


def write_parquet(steps: Steps, query: exp.Select, path: str | os.PathLike[str]) -> None:
    """``query``'s rows written as a Parquet file beside ``path``, then moved over it (a
    half-written file never takes its place): by DuckDB's ``COPY``, or by Spark as one
    part (its rows in ``query``'s order) moved out of the directory Spark writes."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        if steps.dialect == "spark":
            steps.con.sql(steps.sql(query)).coalesce(1).write.mode("overwrite").parquet(str(tmp))
            (part,) = tmp.glob("part-*.parquet")
            os.replace(part, target)
        else:
            copy = exp.Copy(this=exp.Subquery(this=query), kind=False, files=[exp.Literal.string(str(tmp))],
                            params=[exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("PARQUET"))])
            steps.con.execute(copy.sql(dialect="duckdb"))
            os.replace(tmp, target)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
