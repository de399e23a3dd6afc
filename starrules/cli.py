"""The command line: a thin layer over the API.

    starrules check FILE...                 diagnostics on stderr; exit 1 on errors
    starrules run SCHEME DATA [-o OUT]      one result row per input row, in order
    starrules explain SCHEME DATA --id ID   the trace of one entity, in words
    starrules report SCHEME DATA -o R.html  a self-contained HTML report, printable for 公示
    starrules compile --emit python SCHEME  the code the compiled evaluator runs
    starrules compile --emit sql --dialect duckdb SCHEME   the entity query as SQL
    starrules test FILE...                  run the examples written inside schemes
    starrules fmt [--check] FILE...         the one canonical layout
    starrules diff OLD NEW [DATA]           the entities whose outcome a new version changes

Exit codes: 0 success, 1 the scheme has errors (check) , 2 a usage or file problem.
A user's mistake never ends in a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from starrules.api import Scheme, load, read_scheme_text
from starrules.checker import check as check_tree
from starrules.data import DataError, Row, load_mapping, read_rows, read_table, require_openpyxl, write_atomic
from starrules.diagnostics import did_you_mean, render
from starrules.errors import StarDiagnosticError, StarError
from starrules.output import OUTPUT_FORMATS, Results, output_format, write_results
from starrules.parser import parse
from starrules.population import Rating
from starrules.values import fmt_number


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except StarDiagnosticError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    except StarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="starrules", description="Star-rating schemes: check, run, explain.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check", help="check scheme files and report every problem")
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--format", choices=["text", "json"], default="text")
    c.add_argument("--strict", action="store_true", help="fail on warnings too")
    c.set_defaults(func=cmd_check)

    r = sub.add_parser("run", help="rate every row of a data file")
    r.add_argument("scheme", metavar="SCHEME")
    r.add_argument("data", metavar="DATA", help="CSV (UTF-8 or GB18030), XLSX, JSON, JSONL or Parquet")
    r.add_argument("-o", "--output", metavar="OUT",
                   help="write results here, atomically (default: standard output)")
    r.add_argument("--format", choices=list(OUTPUT_FORMATS), default=None,
                   help="output format (default: from the suffix of OUT: .csv .json .jsonl .xlsx .parquet; else csv)")
    r.add_argument("--encoding", default=None, help="the data file's encoding (default: detect UTF-8 or GB18030)")
    r.add_argument("--sheet", metavar="NAME", default=None, help="the workbook's sheet to read (default: the first)")
    r.add_argument("--map", metavar="FILE", dest="mapping", default=None,
                   help="rename the data's columns to input names: a CSV (column,input) or a JSON object")
    r.add_argument("--strict", action="store_true",
                   help="fail (exit 1, nothing written) if any row is invalid, listing every problem")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress report on stderr")
    r.add_argument("--summary", metavar="FILE", help="write the quota summary here instead of stderr")
    r.add_argument("--engine", choices=("python", "duckdb"), default="python",
                   help="python (default) or duckdb: the whole population in SQL (pip install 'starrules[duckdb]')")
    _history_args(r)
    r.set_defaults(func=cmd_run)

    f = sub.add_parser("fmt", help="lay scheme files out in the one canonical layout")
    f.add_argument("files", nargs="+", metavar="FILE", help="scheme files, or - for standard input")
    f.add_argument("--check", action="store_true",
                   help="change nothing; list the files that would change; exit 1 if any")
    f.set_defaults(func=cmd_fmt)

    d = sub.add_parser("diff", help="compare two versions of a scheme: on data, or on generated records")
    d.add_argument("old", metavar="OLD")
    d.add_argument("new", metavar="NEW")
    d.add_argument("data", metavar="DATA", nargs="?", help="rate these rows with both (default: generate records)")
    d.add_argument("--encoding", default=None)
    _history_args(d)
    d.set_defaults(func=cmd_diff)

    t = sub.add_parser("test", help="run the examples written inside scheme files")
    t.add_argument("files", nargs="+", metavar="FILE")
    t.set_defaults(func=cmd_test)

    c2 = sub.add_parser("compile", help="show the Python the compiled evaluator runs for a scheme")
    c2.add_argument("scheme", metavar="SCHEME")
    c2.add_argument("--emit", choices=["python", "sql"], default="python")
    c2.add_argument("--dialect", choices=["duckdb", "spark", "hive", "postgres", "mysql"], default="duckdb")
    c2.set_defaults(func=cmd_compile)

    e = sub.add_parser("explain", help="explain one entity's result step by step")
    e.add_argument("scheme", metavar="SCHEME")
    e.add_argument("data", metavar="DATA")
    e.add_argument("--id", required=True, dest="entity", metavar="ID")
    e.add_argument("--encoding", default=None)
    _history_args(e)
    e.set_defaults(func=cmd_explain)

    rp = sub.add_parser("report", help="write a self-contained HTML report: charts, flags, every row explained")
    rp.add_argument("scheme", metavar="SCHEME")
    rp.add_argument("data", metavar="DATA", help="CSV (UTF-8 or GB18030), JSON or JSONL")
    rp.add_argument("-o", "--output", required=True, metavar="REPORT.html", help="the HTML file to write")
    rp.add_argument("--encoding", default=None, help="the data file's encoding (default: detect)")
    _history_args(rp)
    rp.set_defaults(func=cmd_report)
    return p


def _history_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", type=int, default=None, metavar="YEAR",
                   help="the period (year) being rated; needed when the scheme reads earlier outcomes")
    p.add_argument("--history", action="append", default=[], metavar="RESULTS.json",
                   help="the JSON results of an earlier period's run (repeat for several periods)")


def load_history(paths: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Earlier outcomes by entity id, from the JSON files that ``starrules run -o X.json``
    writes (each records its period)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
            period = doc["period"]
            results = doc["results"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"{path} is not the JSON results of an earlier run with its period ({exc})") from None
        if period is None:
            raise DataError(f"{path} records no period: run that period again with --period")
        for r in results:
            if r.get("id") is None:
                continue
            out.setdefault(str(r["id"]), []).append({
                "period": period, "level": r.get("level"), "status": r.get("status"),
                "vetoes": r.get("vetoes") or [], "flags": r.get("flags") or []})
    return out


# ---- check ---------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    failed = False
    report: list[dict[str, Any]] = []
    for name in args.files:
        try:
            source = read_scheme_text(name)
        except (OSError, StarError) as exc:
            print(f"error: cannot read {name}: {exc}", file=sys.stderr)
            failed = True
            continue
        try:
            diagnostics = check_tree(parse(source, name))
        except StarDiagnosticError as exc:
            diagnostics = exc.diagnostics
        errors = [d for d in diagnostics if d.is_error]
        failed |= bool(errors) or (args.strict and bool(diagnostics))
        if args.format == "json":
            report += [d.to_dict() for d in diagnostics]
            continue
        for d in diagnostics:
            print(render(d, source) + "\n", file=sys.stderr)
        warnings = len(diagnostics) - len(errors)
        status = "ok" if not errors else f"{len(errors)} error(s)"
        if warnings:
            status += f", {warnings} warning(s)"
        print(f"{name}: {status}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return 1 if failed else 0


# ---- run -----------------------------------------------------------------------------


def _missing_columns(scheme: Scheme, header: list[str], err: TextIO) -> None:
    present = set(header)
    for inp in scheme.inputs:
        if inp.name in present or inp.has_default or inp.type.kind == "set":
            continue
        close = did_you_mean(inp.name, [h for h in header if h not in {i.name for i in scheme.inputs}])
        hint = f" (is '{close}' meant to be it?)" if close else ""
        print(f"warning: the data has no column '{inp.name}'{hint}; every row will be invalid", file=err)


def _rate(scheme: Scheme, rows: list[Row], err: TextIO, args: argparse.Namespace) -> Rating:
    history = load_history(args.history) if args.history else None
    rating = scheme.rate([row.values for row in rows], period=args.period, history=history)
    for row, outcome in zip(rows, rating.outcomes, strict=True):
        for p in outcome.problems:
            shown = "(missing)" if p.value is None or p.value == "" else repr(p.value)
            print(f"row {row.number}: column {p.field}: {shown} is not valid; expected {p.expected}", file=err)
    return rating


def _row_id(scheme: Scheme, row: Row) -> str:
    field = scheme.program.id_field
    value = row.values.get(field) if field else None
    if value is None or str(value).strip() == "":
        return f"row {row.number}"
    return str(value).strip()


PROGRESS_FROM = 10_000  # rows: smaller runs take a moment and need no progress report
PROGRESS_EVERY = 1_000
SHOWN_PROBLEMS = 100  # on stderr, when not --strict; the output lists them all


def _progress(enabled: bool, total: int, verb: str, err: TextIO) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """Wraps an iteration over the rows to report on stderr, on one line rewritten with a
    carriage return, every PROGRESS_EVERY rows; the line is cleared at the end."""
    def wrap(items: Iterator[Any]) -> Iterator[Any]:
        if not enabled:
            yield from items
            return
        for done, item in enumerate(items, start=1):
            if done % PROGRESS_EVERY == 0:
                print(f"\r{verb} {done:,} of {total:,} rows", end="", file=err, flush=True)
            yield item
        print("\r" + " " * (len(verb) + 40) + "\r", end="", file=err, flush=True)

    return wrap


@contextlib.contextmanager
def _terminated_as_interrupt() -> Iterator[None]:
    """A SIGTERM (``kill PID``) ends the run as Ctrl-C does, by an exception, so that a
    half-written temporary file is removed on the way out (a SIGKILL cannot be caught:
    it leaves the temporary file, never a half-written target)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_run(args: argparse.Namespace) -> int:
    with _terminated_as_interrupt():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    err = sys.stderr
    scheme = load(args.scheme)
    fmt = output_format(args.output, args.format)
    if fmt == "xlsx":
        require_openpyxl()  # before the work, not after it
        if not args.output:
            raise DataError("an .xlsx workbook cannot go to standard output: give -o FILE.xlsx")
    mapping = load_mapping(args.mapping) if args.mapping else None
    table = read_table(args.data, args.encoding, sheet=args.sheet, mapping=mapping,
                       inputs=[i.name for i in scheme.inputs])
    for warning in table.warnings:
        print(f"warning: {warning}", file=err)
    _missing_columns(scheme, list(table.header), err)
    total = len(table.rows)
    show = total > PROGRESS_FROM and not args.quiet and err.isatty()
    history = load_history(args.history) if args.history else None
    records = _progress(show, total, "rated", err)(iter(table.records))
    if args.engine == "duckdb":
        rating = scheme.rate(table.records, period=args.period, history=history, engine="duckdb")
    else:
        rating = scheme.rate(records, period=args.period, history=history)
    results = Results(scheme, rating, table.rows, period=args.period, history=history, renamed=table.renamed,
                      source=table.source)
    problems = list(results.problems())
    counts = rating.counts()
    if args.strict and counts["invalid"]:
        for p in problems:
            print(p, file=err)
        print(f"error: {counts['invalid']} of {counts['rows']} rows are invalid (--strict): "
              f"{len(problems)} problem(s) above; no results written", file=err)
        return 1
    values = [p for p in problems if p.column]  # the requirements that fail are told in the output's reason
    for p in values[:SHOWN_PROBLEMS]:
        print(p, file=err)
    if len(values) > SHOWN_PROBLEMS:
        print(f"... and {len(values) - SHOWN_PROBLEMS} more: the output lists every invalid row with its reasons",
              file=err)
    write_results(results, args.output, fmt, wrap=_progress(show, total, "written", err))
    summary = rating.summary()
    if args.summary:
        write_atomic(args.summary, summary + "\n")
    elif rating.reports:
        print("\n".join(summary.splitlines()[1:]), file=err)
    print(f"rows in: {counts['rows']}, rated: {counts['rated']}, invalid: {counts['invalid']}, "
          f"ineligible: {counts['ineligible']}", file=err)
    return 0


# ---- diff ----------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    from starrules.diffing import diff, render_differences

    old, new = load(args.old), load(args.new)
    if args.data:
        records: list[Any] | None = [row.values for row in read_rows(args.data, args.encoding)[1]]
        history: Any = load_history(args.history) if args.history else None
    else:
        records, history = None, None
    found = diff(old, new, records, period=args.period, history=history)
    print(render_differences(found))
    return 1 if found else 0


# ---- fmt -----------------------------------------------------------------------------


def cmd_fmt(args: argparse.Namespace) -> int:
    from starrules.formatter import format_paths

    return format_paths(args.files, check=args.check)


# ---- test ----------------------------------------------------------------------------


def cmd_test(args: argparse.Namespace) -> int:
    from starrules.examples import run_examples

    failed = passed = 0
    for name in args.files:
        try:
            scheme = load(name)
        except StarDiagnosticError as exc:
            print(exc.render(), file=sys.stderr)
            failed += 1
            continue
        outcomes = run_examples(scheme)
        if not outcomes:
            print(f"{name}: no examples")
        for o in outcomes:
            print(o.describe(name))
        passed += sum(1 for o in outcomes if o.passed)
        failed += sum(1 for o in outcomes if not o.passed)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


# ---- compile -------------------------------------------------------------------------


def cmd_compile(args: argparse.Namespace) -> int:
    if args.emit == "sql":
        from starrules.sql.emit import sql_text
        sys.stdout.write(sql_text(load(args.scheme), args.dialect))
        return 0
    sys.stdout.write(load(args.scheme).compiled.source)
    return 0


# ---- explain -------------------------------------------------------------------------


def cmd_explain(args: argparse.Namespace) -> int:
    scheme = load(args.scheme)
    _, rows = read_rows(args.data, args.encoding)
    wanted = str(args.entity).strip()
    index = next((i for i, r in enumerate(rows) if _row_id(scheme, r) == wanted), None)
    if index is None:
        ids = [_row_id(scheme, r) for r in rows]
        containing = [i for i in ids if wanted in i]
        close = containing[0] if len(containing) == 1 else did_you_mean(wanted, ids)
        hint = f"; did you mean '{close}'?" if close else ""
        raise DataError(f"no row of {args.data} has the id '{wanted}'{hint}")
    row = rows[index]
    print(f"{scheme.title} (version {scheme.version or '-'}), {args.data} row {row.number}: {wanted}")
    outcome = _rate(scheme, rows, io.StringIO(), args).outcomes[index]
    if outcome.result is None or outcome.problems:
        print("=> invalid: the row's values do not fit the scheme")
        for p in outcome.problems:
            print(f"   {p}")
        return 0
    past = load_history(args.history).get(wanted, []) if args.history else None
    result = scheme.evaluate(row.values, trace=True, period=args.period, history=past)  # with its trace
    moved = bool(outcome.moves)
    for step in result.trace:
        if not (moved and step.stage == "flag"):  # flags are told again at the final level below
            print(step.describe())
    for mv in outcome.moves:
        print(f"[{mv.kind}] ✔ {mv.rule} (line {mv.line}): {mv.why}")
    if outcome.status == "rated":
        reason = f" ({outcome.reason})" if outcome.reason else ""
        print(f"=> {outcome.level_label}{reason}")
        when = " at the final level" if moved else ""
        print(f"   total {fmt_number(outcome.total)}; rank {outcome.rank}; "
              f"flags{when}: {'、'.join(outcome.flags) or 'none'}")
    else:
        print(result.explain().splitlines()[-1])
    return 0


# ---- report --------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace) -> int:
    import hashlib

    from starrules.report import render_report

    scheme = load(args.scheme)
    header, rows = read_rows(args.data, args.encoding)
    _missing_columns(scheme, header, sys.stderr)
    history = load_history(args.history) if args.history else None
    rating = scheme.rate([row.values for row in rows], period=args.period, history=history, trace=True)
    for row, outcome in zip(rows, rating.outcomes, strict=True):
        for p in outcome.problems:
            shown = "(missing)" if p.value is None or p.value == "" else repr(p.value)
            print(f"row {row.number}: column {p.field}: {shown} is not valid; expected {p.expected}", file=sys.stderr)
    inputs = [("数据 SHA-256", hashlib.sha256(Path(args.data).read_bytes()).hexdigest()),
              ("编码 Encoding", args.encoding or "detected")]
    inputs += [("往期结果 History", path) for path in args.history]
    text = render_report(scheme, rating, data_name=args.data, row_numbers=[row.number for row in rows],
                         period=args.period, inputs=inputs)
    write_atomic(args.output, text)
    counts = rating.counts()
    print(f"wrote {args.output}; rows in: {counts['rows']}, rated: {counts['rated']}, invalid: {counts['invalid']}, "
          f"ineligible: {counts['ineligible']}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
