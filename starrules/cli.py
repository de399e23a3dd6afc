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
    starrules completion bash|zsh           a shell completion script

Exit codes (starrules.exits, the README's table): 0 done; 1 done and the answer is no
(errors found, a quota not met, an example failed, a file would change, a difference);
2 usage; 3 a file cannot be read; 4 the scheme has errors; 5 the data or a value cannot
be used; 141 standard output closed (``| head``). A user's mistake never ends in a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from starrules import model as m
from starrules.api import Scheme, load, on_duckdb, read_scheme_text
from starrules.checker import check as check_tree
from starrules.data import DataError, Row, Table, load_mapping, read_table, write_atomic
from starrules.diagnostics import did_you_mean, name_meant, render, render_all, text_width
from starrules.errors import StarDiagnosticError, StarError
from starrules.exits import Exit, unreadable
from starrules.i18n import LANGUAGES, N_, _, ngettext, using
from starrules.output import OUTPUT_FORMATS, Placed, Results, output_format, write_results
from starrules.parser import parse
from starrules.population import Rating, counts_line, explain_outcome

# argparse's own words ("usage:", "error:", the help of -h, ...) are looked up by argparse
# through the module attributes ``argparse._`` and ``argparse.ngettext`` (bound from the
# stdlib gettext module at import), at the moment each text is made. ``_argparse_in_our_catalog``
# points those two attributes at starrules' catalog while starrules builds and runs its own
# parser, and puts them back after, even on the SystemExit of --help or a usage error. A
# subclass could not do it: the texts are made in module-level code (ArgumentError.__str__)
# and in private methods (_check_value, _parse_known_args) that a subclass would have to copy
# whole. Patching only for the duration of main() leaves every other user of argparse in
# the process (pytest, a program embedding starrules) untouched. The msgids below are
# argparse's, listed so that tools/catalog.py extracts them and the .po gives their Chinese.
ARGPARSE_WORDS = (
    N_("usage: "), N_("%(prog)s: error: %(message)s\n"), N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("show this help message and exit"),
    N_("positional arguments"), N_("options"), N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"), N_("expected one argument"), N_("invalid %(type)s value: %(value)r"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("not allowed with argument %s"),
    N_("expected at least one argument"), N_("expected at most one argument"),
    N_("ignored explicit argument %r"), N_("one of the arguments %s is required"),
    N_("show program's version number and exit"),
)


@contextlib.contextmanager
def _argparse_in_our_catalog() -> Iterator[None]:
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class HelpFormatter(argparse.HelpFormatter):
    """argparse's layout in the reader's language: a section's heading ends with the
    catalog's colon (``选项：``, ``options:``), and the usage and a help text are laid out
    by their width on the screen, a Chinese character taking two columns (argparse counts
    characters, so its Chinese lines would run past the terminal's edge)."""

    class _Section(argparse.HelpFormatter._Section):
        def format_help(self) -> str:
            text: str = super().format_help()
            if self.heading in (None, argparse.SUPPRESS) or not text:
                return text
            indent = " " * self.formatter._current_indent
            plain = f"\n{indent}{self.heading}:\n"
            return text.replace(plain, f"\n{indent}" + _("{heading}:").format(heading=self.heading) + "\n", 1)

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None) -> str:
        # argparse lines the usage up by the prefix's length in characters: a stand-in as
        # wide on the screen as "用法：" (6 columns, 3 characters) keeps the lines aligned
        real = _("usage: ") if prefix is None else prefix
        stand_in = "\0" * text_width(real)
        return str(super()._format_usage(usage, actions, groups, stand_in)).replace(stand_in, real, 1)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_by_width(" ".join(text.split()), width)


WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’"  # CJK and full-width: a line may break between two
WRAP_UNIT = re.compile(rf"\s+|[{WIDE}]|[^\s{WIDE}]+")  # a space, a wide character, or a word
NO_LINE_START = set("，。、；：！？）」』”’》")  # punctuation that never begins a line


def wrap_by_width(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns on the screen: broken at a space, or
    between two Chinese characters (a closing punctuation mark never begins a line: the
    character before it goes down with it); a word longer than the line stays whole."""
    units = WRAP_UNIT.findall(text)
    lines: list[str] = []
    line = ""
    for unit in units:
        if unit.isspace():
            if line:
                line += " "
            continue
        if line and text_width(line + unit) > width:
            carried = ""
            if unit in NO_LINE_START and len(line) > 1 and text_width(line[-1]) == 2:
                line, carried = line[:-1], line[-1]  # the character before goes down with it
            lines.append(line.rstrip())
            line = carried
        line += unit
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _lang_from_argv(argv: Sequence[str]) -> str | None:
    """The value of ``--lang`` wherever it is written (before or after the subcommand), read
    before argparse runs so that even ``--help`` and usage errors are in that language; an
    unknown value is left to argparse to refuse."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else (
            arg.split("=", 1)[1] if arg.startswith("--lang=") else None)
        if value in LANGUAGES:
            return value
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang_from_argv(argv)
    with using(lang) if lang else contextlib.nullcontext(), _argparse_in_our_catalog():
        return _main(argv)


class UsageError(StarError):
    """Options that cannot go together (argparse cannot see it): exit 2, as argparse's own."""


def _main(argv: list[str]) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.color_on = _color_wanted(getattr(args, "color", None) or "auto", sys.stderr)
    try:
        for name in _named_files(args):
            problem = unreadable(name)
            if problem is not None:
                print(_("error: cannot read {name}: {problem}").format(name=name, problem=problem), file=sys.stderr)
                return Exit.NO_FILE
        code = int(args.func(args))
        sys.stdout.flush()  # a reader gone away (| head) shows here, inside the try
        return code
    except BrokenPipeError:
        _stdout_to_devnull()
        return Exit.BROKEN_PIPE
    except RefusedError as exc:  # read_data said why on stderr
        return exc.code
    except StarDiagnosticError as exc:
        print(render_all(exc.diagnostics, exc.source, color=args.color_on), file=sys.stderr)
        return Exit.SCHEME
    except UsageError as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return Exit.USAGE
    except StarError as exc:
        print(_("error: {message}").format(message=exc), file=sys.stderr)
        return Exit.DATA
    except OSError as exc:
        print(_("error: {message}").format(message=f"{exc.filename or ''}: {exc.strerror or exc}"), file=sys.stderr)
        return Exit.NO_FILE
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
    except Exception:  # a bug, not a user's mistake: the traceback, and a code of its own
        traceback.print_exc()
        print(_("internal error: a bug in starrules {version}; please report it with the traceback above")
              .format(version=_version()), file=sys.stderr)
        return Exit.INTERNAL


def _named_files(args: argparse.Namespace) -> list[str]:
    """The files a one-scheme command reads (``check``, ``test`` and ``fmt`` take each of
    their files in turn and say which cannot be read)."""
    names = [getattr(args, a, None) for a in ("scheme", "old", "new", "data", "mapping")]
    return [str(x) for x in names + list(getattr(args, "history", None) or []) if x is not None]


def _stdout_to_devnull() -> None:
    """Standard output's reader has gone: what is still buffered goes nowhere, so that
    Python's last flush at exit does not complain ("Exception ignored ... Broken pipe")."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _color_wanted(choice: str, stream: TextIO) -> bool:
    """``--color always|never``; ``auto`` (the default): on a terminal, unless ``NO_COLOR``
    is set to something (no-color.org) or the terminal is ``dumb``."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("starrules")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree never installed
        return "unknown"


def _global_options(p: argparse.ArgumentParser, default: Any) -> None:
    p.add_argument("--lang", choices=list(LANGUAGES), default=default,
                   help=_("the language of messages: zh (Chinese, the default) or en (English)"))
    p.add_argument("--color", choices=["auto", "always", "never"], default=default,
                   help=_("colour the diagnostics: auto (the default: on a terminal, unless NO_COLOR is set), "
                          "always or never"))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="starrules", description=_("Star-rating schemes: check, run, explain."),
                                formatter_class=HelpFormatter)
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                   help=_("show program's version number and exit"))  # argparse 3.11 does not translate its own
    _global_options(p, None)
    sub = p.add_subparsers(dest="command", required=True)
    add_parser = sub.add_parser

    def sub_parser(name: str, **kw: Any) -> argparse.ArgumentParser:
        q = add_parser(name, formatter_class=HelpFormatter, **kw)
        _global_options(q, argparse.SUPPRESS)  # after the subcommand too, without undoing one before it
        return q

    sub.add_parser = sub_parser  # type: ignore[method-assign]

    c = sub.add_parser("check", help=_("check scheme files and report every problem"))
    c.add_argument("files", nargs="+", metavar="FILE")
    c.add_argument("--format", choices=["text", "json"], default="text",
                   help=_("text (default): each problem with its line and a hint; json: the diagnostics as JSON"))
    c.add_argument("--strict", action="store_true", help=_("fail on warnings too"))
    c.set_defaults(func=cmd_check)

    r = sub.add_parser("run", help=_("rate every row of a data file"))
    r.add_argument("scheme", metavar="SCHEME")
    r.add_argument("data", metavar="DATA", help=_("CSV (UTF-8 or GB18030), XLSX, JSON, JSONL or Parquet"))
    r.add_argument("-o", "--output", metavar="OUT",
                   help=_("write results here, atomically (default: standard output)"))
    r.add_argument("--format", choices=list(OUTPUT_FORMATS), default=None,
                   help=_("output format (default: from the suffix of OUT: .csv .json .jsonl .xlsx .parquet; else csv)"))
    _data_args(r)
    r.add_argument("--strict", action="store_true",
                   help=_("fail (exit 1, nothing written) if any row is invalid, listing every problem"))
    r.add_argument("--quiet", "-q", action="store_true", help=_("no progress report on stderr"))
    r.add_argument("--allow-unmet", action="store_true",
                   help=_("exit 0 even when an enforced quota is not met (the summary still says NOT MET)"))
    r.add_argument("--summary", metavar="FILE", help=_("write the quota summary here instead of stderr"))
    r.add_argument("--engine", choices=["auto", "python", "duckdb", "spark"], default="auto",
                   help=_("auto (default): duckdb from a Parquet file of 50,000 rows or more to a Parquet file, "
                          "python otherwise; python; duckdb: the whole population in SQL on DuckDB; spark: the "
                          "whole population in Spark SQL (the same results; docs/engines.md)"))
    _history_args(r)
    r.set_defaults(func=cmd_run)

    f = sub.add_parser("fmt", help=_("lay scheme files out in the one canonical layout"))
    f.add_argument("files", nargs="+", metavar="FILE", help=_("scheme files, or - for standard input"))
    f.add_argument("--check", action="store_true",
                   help=_("change nothing; list the files that would change; exit 1 if any"))
    f.add_argument("--diff", action="store_true", help=_("with --check: show each change as a unified diff"))
    f.add_argument("--width", type=_width, default=None, metavar="N",
                   help=_("break lines longer than N columns (a Chinese character takes two; default 100)"))
    f.set_defaults(func=cmd_fmt)

    d = sub.add_parser("diff", help=_("compare two versions of a scheme: on data, or on generated records"))
    d.add_argument("old", metavar="OLD")
    d.add_argument("new", metavar="NEW")
    d.add_argument("data", metavar="DATA", nargs="?", help=_("rate these rows with both (default: generate records)"))
    _data_args(d)
    _history_args(d)
    d.set_defaults(func=cmd_diff)

    t = sub.add_parser("test", help=_("run the examples written inside scheme files"))
    t.add_argument("files", nargs="+", metavar="FILE")
    t.set_defaults(func=cmd_test)

    c2 = sub.add_parser("compile", help=_("show the code a scheme compiles to: the Python evaluator or SQL"))
    c2.add_argument("scheme", metavar="SCHEME")
    c2.add_argument("--emit", choices=["python", "sql"], default="python",
                    help=_("python (default): the compiled evaluator's code; sql: the query that rates a table"))
    c2.add_argument("--dialect", choices=["duckdb", "spark", "hive", "postgres", "mysql"], default="duckdb",
                    help=_("with --emit sql: the database the SQL is written for (default duckdb)"))
    c2.set_defaults(func=cmd_compile)

    e = sub.add_parser("explain", help=_("explain one entity's result step by step"))
    e.add_argument("scheme", metavar="SCHEME")
    e.add_argument("data", metavar="DATA")
    e.add_argument("--id", required=True, dest="entity", metavar="ID")
    _data_args(e)
    e.add_argument("--all", action="store_true", dest="show_all",
                   help=_("show every step: the inputs and the rules that did not apply too"))
    e.add_argument("--lines", action="store_true", help=_("show the line of the scheme each step comes from"))
    _history_args(e)
    e.set_defaults(func=cmd_explain)

    rp = sub.add_parser("report", help=_("write a self-contained HTML report: charts, flags, every row explained"))
    rp.add_argument("scheme", metavar="SCHEME")
    rp.add_argument("data", metavar="DATA", help=_("CSV (UTF-8 or GB18030), XLSX, JSON, JSONL or Parquet"))
    rp.add_argument("-o", "--output", required=True, metavar="REPORT.html", help=_("the HTML file to write"))
    _data_args(rp)
    rp.add_argument("--strict", action="store_true",
                    help=_("fail (exit 1, nothing written) on any warning about the data's columns"))
    rp.add_argument("--no-details", action="store_false", dest="details",
                    help=_("leave out each row's explanation (a large population's report is mostly explanations)"))
    rp.add_argument("--id", dest="entity", metavar="ID", default=None,
                    help=_("the page of this one entity alone: the head of the report, then its explanation"))
    _history_args(rp)
    rp.set_defaults(func=cmd_report)

    cp = sub.add_parser("completion", help=_("print a shell completion script: eval \"$(starrules completion bash)\""))
    cp.add_argument("shell", choices=["bash", "zsh"], metavar="{bash,zsh}")
    cp.set_defaults(func=cmd_completion)
    # a missing or unknown command is named by the commands, as usage shows them ("command"
    # would be the attribute's name, in English)
    sub.metavar = "{" + ",".join(sub.choices) + "}"
    return p


def cmd_completion(args: argparse.Namespace) -> int:
    from starrules.completion import script

    sys.stdout.write(script(_parser(), args.shell))
    return 0


def _header_row(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(_("expected a row number, 1 or more, got {text}").format(text=repr(text)))
    return int(text)


def _year(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(_("expected a year such as 2024, got {text}").format(text=repr(text)))
    return int(text)


def _data_args(p: argparse.ArgumentParser) -> None:
    """The options of every command that reads a data file (run, report, explain, diff):
    read by :func:`read_data`, the one implementation."""
    g = p.add_argument_group(_("reading the data"))
    g.add_argument("--encoding", default=None, help=_("the data file's encoding (default: detect UTF-8 or GB18030)"))
    g.add_argument("--sheet", metavar="NAME", default=None, help=_("the workbook's sheet to read (default: the first)"))
    g.add_argument("--map", metavar="FILE", dest="mapping", default=None,
                   help=_("rename the data's columns to input names: a CSV (column,input) or a JSON object"))
    g.add_argument("--header-row", type=_header_row, default=None, metavar="N",
                   help=_("the row (line) of a CSV file or sheet that holds the header; the rows above are skipped "
                          "(default: the first, or the first below a title)"))
    g.add_argument("--allow-duplicate-ids", action="store_true",
                   help=_("rate rows that share an id as separate entities (each duplicate is still said)"))


def _history_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", type=_year, default=None, metavar="YEAR",
                   help=_("the period (year) being rated; needed when the scheme reads earlier outcomes"))
    p.add_argument("--history", action="append", default=[], metavar="RESULTS.json",
                   help=_("the JSON results of an earlier period's run (repeat for several periods)"))


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
            raise DataError(_("{path} is not the JSON results of an earlier run with its period ({problem})")
                            .format(path=path, problem=exc)) from None
        if period is None:
            raise DataError(_("{path} records no period: run that period again with --period").format(path=path))
        for r in results:
            if r.get("id") is None:
                continue
            out.setdefault(str(r["id"]), []).append({
                "period": period, "level": r.get("level"), "status": r.get("status"),
                "vetoes": r.get("vetoes") or [], "flags": r.get("flags") or []})
    return out


# ---- check ---------------------------------------------------------------------------


def _unreadable_scheme(name: str) -> tuple[str, Exit] | None:
    """Why a scheme file named on the command line cannot be read, and the exit code."""
    problem = unreadable(name)
    if problem is not None:
        return problem, Exit.NO_FILE
    try:
        read_scheme_text(name)
    except StarError as exc:  # neither UTF-8 nor GB18030
        return str(exc), Exit.SCHEME
    return None


def _file_diagnostic(name: str, problem: str) -> dict[str, Any]:
    """A file that cannot be read, as ``check --format json`` reports it: a diagnostic of
    code "file" with no line (the JSON keys of every diagnostic)."""
    return {"code": "file", "severity": "error", "file": name, "line": None, "column": None, "end_line": None,
            "end_column": None, "message": _("cannot read {name}: {problem}").format(name=name, problem=problem),
            "hint": None}


def cmd_check(args: argparse.Namespace) -> int:
    code = Exit.OK
    report: list[dict[str, Any]] = []
    for name in args.files:
        cannot = _unreadable_scheme(name)
        if cannot is not None:
            code = max(code, cannot[1])
            if args.format == "json":
                report.append(_file_diagnostic(name, cannot[0]))
            else:
                print(_("error: cannot read {name}: {problem}").format(name=name, problem=cannot[0]), file=sys.stderr)
            continue
        source = read_scheme_text(name)
        try:
            diagnostics = check_tree(parse(source, name))
        except StarDiagnosticError as exc:
            diagnostics = exc.diagnostics
        errors = [d for d in diagnostics if d.is_error]
        if errors or (args.strict and diagnostics):
            code = max(code, Exit.FAILED)
        if args.format == "json":
            report += [d.to_dict() for d in diagnostics]
            continue
        for d in diagnostics:
            print(render(d, source, color=args.color_on) + "\n", file=sys.stderr)
        warnings = len(diagnostics) - len(errors)
        status = _("ok") if not errors else _("{count} error(s)").format(count=len(errors))
        if warnings:
            status += _(", {count} warning(s)").format(count=warnings)
        print(_("{name}: {value}").format(name=name, value=status), file=sys.stderr)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    return code


# ---- run -----------------------------------------------------------------------------


def column_warnings(inputs: Sequence[m.Input], header: Sequence[str], renamed: Iterable[str] = ()) -> list[str]:
    """A warning for every input without its column (also those with a default, and
    ``set of`` inputs, which would otherwise be taken as absent in silence) and for every
    column no input reads, each with the name it is likely meant to be."""
    present = set(header)
    names = {i.name for i in inputs}
    skip = names | set(renamed)
    unread = [h for h in header if h not in skip and h.strip()]
    out = []
    for inp in inputs:
        if inp.name in present:
            continue
        close = name_meant(inp.name, unread)
        hint = _(" (is '{close}' meant to be it?)").format(close=close) if close else ""
        if inp.has_default:
            message = _("warning: the data has no column '{name}'{hint}; every row takes its default {default}").format(
                name=inp.name, hint=hint, default=inp.default)
        elif inp.type.kind == "set":
            message = _("warning: the data has no column '{name}'{hint}; every row takes it as empty").format(
                name=inp.name, hint=hint)
        else:
            message = _("warning: the data has no column '{name}'{hint}; every row will be invalid").format(
                name=inp.name, hint=hint)
        out.append(message)
    for column in unread:
        close = name_meant(column, [n for n in names if n not in present])
        hint = _(" (is it '{close}'?)").format(close=close) if close else ""
        out.append(_("warning: no input reads the column '{column}'{hint}").format(column=column, hint=hint))
    return out


class RefusedError(Exception):
    """The data is refused before any row is rated (the reasons are on stderr); ``main``
    exits with ``code``."""

    def __init__(self, code: int) -> None:
        self.code = code


def read_data(args: argparse.Namespace, schemes: Sequence[Scheme], err: TextIO) -> Table:
    """The data file of a command, read with the options every such command takes
    (``--encoding --sheet --map --header-row --allow-duplicate-ids``, and ``--strict``
    where the command has it): every warning about its rows and columns said on ``err``
    (for the inputs of all ``schemes``: diff reads for two); duplicate ids refused
    (exit 5) unless allowed; with ``--strict`` any warning refuses it (exit 1)."""
    inputs = list({i.name: i for s in reversed(schemes) for i in s.inputs}.values())
    mapping = load_mapping(args.mapping) if args.mapping else None
    table = read_table(args.data, args.encoding, sheet=args.sheet, mapping=mapping,
                       inputs=[i.name for i in inputs], header_row=args.header_row)
    warnings = [_("warning: {message}").format(message=w) for w in table.warnings]
    warnings += column_warnings(inputs, list(table.header), table.renamed)
    for line in warnings:
        print(line, file=err)
    if getattr(args, "strict", False) and warnings:
        print(_("error: {count} warning(s) about the data above (--strict); nothing was rated").format(
            count=len(warnings)), file=err)
        raise RefusedError(Exit.FAILED)
    duplicated: dict[str, list[int]] = {}
    for scheme in schemes:
        for ident_, numbers in duplicate_ids(scheme, table.rows).items():
            duplicated.setdefault(ident_, numbers)
    _say_duplicates(duplicated, args, err)
    return table


def _say_duplicates(duplicated: dict[str, list[int]], args: argparse.Namespace, err: TextIO) -> None:
    """Each id on more than one row (the rows' numbers), as a warning with
    ``--allow-duplicate-ids``, else as an error that refuses the data (exit 5)."""
    for ident_, numbers in duplicated.items():
        print(_("{level}: the id '{id}' is on rows {rows}").format(
            level=_("warning") if args.allow_duplicate_ids else _("error"), id=ident_,
            rows=_(", ").join(map(str, numbers))), file=err)
    if duplicated and not args.allow_duplicate_ids:
        print(_("error: {count} id(s) on more than one row: each would count in the quotas' base as another "
                "entity; correct the data, or give --allow-duplicate-ids; nothing was rated")
              .format(count=len(duplicated)), file=err)
        raise RefusedError(Exit.DATA)


def _rate(scheme: Scheme, rows: list[Row], err: TextIO, args: argparse.Namespace) -> Rating:
    history = load_history(args.history) if args.history else None
    rating = scheme.rate([row.values for row in rows], period=args.period, history=history, extra="ignore",
                         duplicate_ids="allow")  # the columns and the ids are told by read_data
    for row, outcome in zip(rows, rating.outcomes, strict=True):
        for p in outcome.problems:
            print(_bad_value(row.number, p), file=err)
    return rating


def duplicate_ids(scheme: Scheme, rows: Sequence[Row]) -> dict[str, list[int]]:
    """The ids (the scheme's id input, as the output writes it) on more than one row,
    each with the rows' numbers, in the order the ids first appear; rows without an id
    are told apart by their number and are never duplicates."""
    if scheme.program.id_field is None:
        return {}
    seen: dict[str, list[int]] = {}
    for row in rows:
        seen.setdefault(_row_id(scheme, row), []).append(row.number)
    return {k: v for k, v in seen.items() if len(v) > 1}


def _row_id(scheme: Scheme, row: Row) -> str:
    field = scheme.program.id_field
    value = row.values.get(field) if field else None
    if value is None or str(value).strip() == "":
        return f"row {row.number}"  # as the id column of the output writes it, in every language
    return str(value).strip()


def _bad_value(number: int, p: Any) -> str:
    """One bad value of a row, as ``run`` and ``report`` list it on stderr."""
    shown = _("(missing)") if p.value is None or p.value == "" else repr(p.value)
    return _("row {number}: column {column}: {value} is not valid; expected {expected}").format(
        number=number, column=p.field, value=shown, expected=p.expected)


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
                print("\r" + _("{verb} {done} of {total} rows").format(verb=_(verb), done=f"{done:,}", total=f"{total:,}"),
                      end="", file=err, flush=True)
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
    if fmt == "xlsx":  # written by starrules.xlsx: no openpyxl needed to write
        if not args.output:
            raise UsageError(_("an .xlsx workbook cannot go to standard output: give -o FILE.xlsx"))
    engine = _chosen_engine(args, scheme, fmt)
    if engine in ("duckdb", "spark") and _in_place(args):
        rating = _rate_in_place(args, scheme, engine, err)
        total, show = len(rating.outcomes), False  # no row passes through Python to count
        results = Results(scheme, rating, Placed(total), period=args.period, source=str(args.data))
    else:
        table = read_data(args, [scheme], err)
        total = len(table.rows)
        show = total > PROGRESS_FROM and not args.quiet and err.isatty()
        history = load_history(args.history) if args.history else None
        records = _progress(show, total, N_("rated"), err)(iter(table.records))
        if engine == "python":
            rating = scheme.rate(records, period=args.period, history=history, extra="ignore", duplicate_ids="allow")
        else:
            rating = scheme.rate(table.records, period=args.period, history=history, engine=engine,
                                 extra="ignore", duplicate_ids="allow")
        results = Results(scheme, rating, table.rows, period=args.period, history=history, renamed=table.renamed,
                          source=table.source)
    counts = rating.counts()
    if args.strict and counts["invalid"]:
        told = 0
        for p in results.problems():
            print(p, file=err)
            told += 1
        print(_("error: {invalid} of {rows} rows are invalid (--strict): {problems} problem(s) above; "
                "no results written").format(invalid=counts["invalid"], rows=counts["rows"], problems=told),
              file=err)
        return 1
    values = 0  # the bad values, the first few told (the requirements that fail are in the output's reason)
    for p in results.problems() if counts["invalid"] else ():  # as they come: a million need not be kept
        if p.column:
            values += 1
            if values <= SHOWN_PROBLEMS:
                print(p, file=err)
    if values > SHOWN_PROBLEMS:
        print(_("... and {count} more: the output lists every invalid row with its reasons")
              .format(count=values - SHOWN_PROBLEMS), file=err)
    ties = tie_warnings(rating)
    for line in ties:
        print(line, file=err)
    if args.strict and ties:
        print(_("error: {count} tie(s) at a quota's or selection's line decided outcomes (--strict); "
                "no results written").format(count=len(ties)), file=err)
        return 1
    write_results(results, args.output, fmt, wrap=_progress(show, total, N_("written"), err))
    summary = rating.summary()
    if args.summary:
        write_atomic(args.summary, summary + "\n")
    elif rating.reports:
        print("\n".join(summary.splitlines()[1:]), file=err)
    print(counts_line(counts), file=err)
    return _run_verdict(rating, counts, args, err)


def _in_place(args: argparse.Namespace) -> bool:
    """Whether a SQL engine may read the data where it lies: a Parquet file, with no
    ``--map``, ``--history``, ``--sheet`` or ``--header-row`` (the file is then read where
    it lies, rated and, for a Parquet output, written by the engine; a Parquet row's number
    is its place, as the Python reader numbers it)."""
    return (str(args.data).lower().endswith(".parquet") and not args.mapping and not args.history
            and args.sheet is None and args.header_row is None)


def _chosen_engine(args: argparse.Namespace, scheme: Scheme, fmt: str) -> str:
    """``--engine``, with ``auto`` made ``duckdb`` from a Parquet file that DuckDB reads in
    place to a Parquet output (``starrules.sql.engine.chooses``: 50,000 rows or more, DuckDB
    installed, a scheme SQL computes), ``python`` otherwise: the same results either way."""
    if args.engine != "auto":
        return str(args.engine)
    return "duckdb" if fmt == "parquet" and _in_place(args) and on_duckdb(scheme.program, args.data) else "python"


def _rate_in_place(args: argparse.Namespace, scheme: Scheme, engine: str, err: TextIO) -> Rating:
    """The file rated on its SQL engine where it lies, with what ``read_data`` says about a
    file read in Python: its columns' warnings (refused by ``--strict``), then the ids on
    more than one row (refused unless ``--allow-duplicate-ids``), found in SQL."""
    if engine == "spark":
        from starrules.sql.spark import file_columns
    else:
        from starrules.sql.engine import file_columns

    warnings = column_warnings(scheme.inputs, file_columns(args.data))
    for line in warnings:
        print(line, file=err)
    if args.strict and warnings:
        print(_("error: {count} warning(s) about the data above (--strict); nothing was rated").format(
            count=len(warnings)), file=err)
        raise RefusedError(Exit.FAILED)
    rating = scheme.rate(args.data, period=args.period, engine=engine, extra="ignore", duplicate_ids="allow")
    _say_duplicates({i: [r + 1 for r in rows] for i, rows in rating.duplicate_ids().items()}, args, err)
    return rating


def tie_warnings(rating: Rating) -> list[str]:
    """One warning per tie at a quota's or selection's line: who tied, for how many
    places, and what decided it (the scheme's tie rule), with how many rows it decided."""
    seen: dict[tuple[str, str], int] = {}
    for tie, count in rating.tie_counts():  # counted where the outcomes are kept
        key = (tie.quota, tie.describe())
        seen[key] = seen.get(key, 0) + count
    return [_("warning: a tie at the line of {rule}: {tie} ({count} rows)").format(rule=rule, tie=text, count=n)
            for (rule, text), n in seen.items()]


def _run_verdict(rating: Rating, counts: dict[str, int], args: argparse.Namespace, err: TextIO) -> int:
    """1 when nothing was rated, or when an enforced quota is not met (unless
    ``--allow-unmet``): the results are written all the same, to be read."""
    if counts["rated"] == 0:
        print(_("error: no row was rated ({rows} rows in): there is nothing to publish")
              .format(rows=counts["rows"]), file=err)
        return Exit.FAILED
    unmet = [r for r in rating.unmet() if r.enforced]
    if unmet and not args.allow_unmet:
        names = _(", ").join(dict.fromkeys(r.rule if r.group is None else f"{r.rule} [{r.group}]" for r in unmet))
        print(_("error: {count} enforced quota(s) NOT MET: {names}; --allow-unmet accepts the results as they are")
              .format(count=len(unmet), names=names), file=err)
        return Exit.FAILED
    return Exit.OK


# ---- diff ----------------------------------------------------------------------------


def cmd_diff(args: argparse.Namespace) -> int:
    from starrules.diffing import diff, render_differences

    old, new = load(args.old), load(args.new)
    numbers: list[int] | None = None
    if args.data:
        rows = list(read_data(args, [old, new], sys.stderr).rows)
        records: list[Any] | None = [row.values for row in rows]
        numbers = [row.number for row in rows]  # as run numbers them: the file's lines
        history: Any = load_history(args.history) if args.history else None
    else:
        records, history = None, None
    found = diff(old, new, records, period=args.period, history=history, numbers=numbers)
    print(render_differences(found))
    return 1 if found else 0


# ---- fmt -----------------------------------------------------------------------------


def _width(text: str) -> int:
    from starrules.formatter import MIN_WIDTH

    if not text.isdigit() or int(text) < MIN_WIDTH:
        raise argparse.ArgumentTypeError(_("expected a whole number of columns, {least} or more, got {text}")
                                         .format(least=MIN_WIDTH, text=repr(text)))
    return int(text)


def cmd_fmt(args: argparse.Namespace) -> int:
    from starrules.formatter import WIDTH, format_paths

    return format_paths(args.files, check=args.check, diff=args.diff, width=args.width or WIDTH)


# ---- test ----------------------------------------------------------------------------


def cmd_test(args: argparse.Namespace) -> int:
    from starrules.examples import run_examples

    failed = passed = 0
    code = Exit.OK
    for name in args.files:
        cannot = _unreadable_scheme(name)
        if cannot is not None:
            print(_("error: cannot read {name}: {problem}").format(name=name, problem=cannot[0]), file=sys.stderr)
            code = max(code, cannot[1])
            continue
        try:
            scheme = load(name)
        except StarDiagnosticError as exc:
            print(render_all(exc.diagnostics, exc.source, color=args.color_on), file=sys.stderr)
            code = max(code, Exit.SCHEME)
            failed += 1
            continue
        outcomes = run_examples(scheme)
        if not outcomes:
            print(_("{name}: no examples").format(name=name))
        for o in outcomes:
            print(o.describe(name))
        passed += sum(1 for o in outcomes if o.passed)
        failed += sum(1 for o in outcomes if not o.passed)
    print(_("{passed} passed, {failed} failed").format(passed=passed, failed=failed))
    return max(code, Exit.FAILED if failed else Exit.OK)


# ---- compile -------------------------------------------------------------------------


def cmd_compile(args: argparse.Namespace) -> int:
    if args.emit == "sql":
        from starrules.sql.emit import sql_text
        sys.stdout.write(sql_text(load(args.scheme), args.dialect))
        return 0
    sys.stdout.write(load(args.scheme).compiled.source)
    return 0


# ---- explain -------------------------------------------------------------------------


def _row_of(scheme: Scheme, rows: Sequence[Row], wanted: str, data: str) -> int:
    """The place of the one row whose id is ``wanted``; a DataError, with a guess, when
    no row has it or several do."""
    ids = [_row_id(scheme, r) for r in rows]
    matches = [i for i, ident_ in enumerate(ids) if ident_ == wanted]
    if len(matches) > 1:
        raise DataError(_("the id '{id}' is on rows {rows} of {data}: which one is meant cannot be told; "
                          "give each entity its own id").format(
            id=wanted, rows=_(", ").join(str(rows[i].number) for i in matches), data=data))
    if not matches:
        containing = [i for i in ids if wanted in i]
        close = containing[0] if len(containing) == 1 else did_you_mean(wanted, ids)
        hint = _("; did you mean '{close}'?").format(close=close) if close else ""
        raise DataError(_("no row of {data} has the id '{id}'{hint}").format(data=data, id=wanted, hint=hint))
    return matches[0]


def cmd_explain(args: argparse.Namespace) -> int:
    scheme = load(args.scheme)
    rows = list(read_data(args, [scheme], sys.stderr).rows)
    wanted = str(args.entity).strip()
    index = _row_of(scheme, rows, wanted, args.data)
    row = rows[index]
    print(_("{title} (version {version}), {data} row {number}: {id}").format(
        title=scheme.title, version=scheme.version or "-", data=args.data, number=row.number, id=wanted))
    outcome = _rate(scheme, rows, io.StringIO(), args).outcomes[index]
    if outcome.result is None or outcome.problems:
        print(_("Outcome: invalid, the row's values do not fit the scheme"))
        for p in outcome.problems:
            print(f"   {p}")
        return 0
    past = load_history(args.history).get(wanted, []) if args.history else None
    result = scheme.evaluate(row.values, trace=True, period=args.period, history=past, extra="ignore")  # its trace
    ranked = bool(scheme.program.quotas or scheme.program.selections)
    print("\n".join(explain_outcome(outcome, result, ranked, all=args.show_all, lines=args.lines)))
    return 0


# ---- report --------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace) -> int:
    import hashlib

    from starrules.report import render_report

    scheme = load(args.scheme)
    rows = list(read_data(args, [scheme], sys.stderr).rows)
    history = load_history(args.history) if args.history else None
    entity = _row_of(scheme, rows, str(args.entity).strip(), args.data) if args.entity is not None else None
    rating = scheme.rate([row.values for row in rows], period=args.period, history=history,
                         trace=args.details or entity is not None, extra="ignore", duplicate_ids="allow")
    for row, outcome in zip(rows, rating.outcomes, strict=True):
        for p in outcome.problems:
            print(_bad_value(row.number, p), file=sys.stderr)
    inputs = [(_("Data SHA-256"), hashlib.sha256(Path(args.data).read_bytes()).hexdigest()),
              (_("Encoding"), args.encoding or _("detected"))]
    if args.sheet:
        inputs.append((_("Sheet"), args.sheet))
    if args.mapping:
        inputs.append((_("Column mapping"), args.mapping))
    inputs += [(_("History"), path) for path in args.history]
    text = render_report(scheme, rating, data_name=args.data, row_numbers=[row.number for row in rows],
                         period=args.period, inputs=inputs, details=args.details, entity=entity)
    write_atomic(args.output, text)
    counts = rating.counts()
    print(_("wrote {path}; {counts}").format(path=args.output, counts=counts_line(counts)), file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
