"""Reading entity data (CSV, XLSX, JSON, JSON Lines) and writing files, losing nothing.

Takes a data file; gives a :class:`Table`: its rows as :class:`Row` values (the row's
number in the file and its cells by column name), with the file's columns renamed to the
scheme's input names where a mapping says so. CSV files may be UTF-8, UTF-8 with a BOM,
or GB18030 (the usual export of Chinese office software); the encoding is detected
unless given. XLSX workbooks need the optional ``openpyxl`` (``starrules[xlsx]``).

Files are written atomically (:func:`atomic_file`, :func:`write_atomic`): to a temporary
file beside the target, then renamed over it, so a reader sees the old file or the new
one, never half of one.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import itertools
import json
import os
import tempfile
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import attrs

from starrules.diagnostics import did_you_mean
from starrules.errors import StarError
from starrules.i18n import N_, _
from starrules.values import fmt_number


class DataError(StarError):
    """A data file cannot be read at all (as opposed to a bad value in one row)."""


@attrs.frozen
class Row:
    number: int  # the line of the file the row starts on (the header is line 1); the sheet's row; a JSON item's place
    values: Mapping[str, object]


@attrs.frozen
class CellError:
    """A spreadsheet cell holding a formula's error (``#DIV/0!``, ``#N/A``...): no input
    accepts it, so the row comes out invalid with the error shown."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


@attrs.frozen
class Table:
    """The rows of a data file, with their columns named as the scheme names its inputs.

    ``header`` lists the columns in the file's order under those names; ``renamed`` maps
    each name a mapping gave to the file's own header (for messages); ``warnings`` says
    what a mapping named that the file lacks.
    """

    source: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    renamed: Mapping[str, str] = attrs.field(factory=dict)
    sheet: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def records(self) -> list[Mapping[str, object]]:
        """The rows' values, as ``Scheme.rate`` takes them."""
        return [row.values for row in self.rows]


def decode(data: bytes, encoding: str | None = None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise DataError(_("cannot read the file as {encoding}: {problem}").format(encoding=encoding, problem=exc)) from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError(_("the file is neither UTF-8 nor GB18030 text; give --encoding"))  # pragma: no cover


INPUT_FORMATS = {".csv": "csv", ".txt": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
                 ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet"}


def read_rows(path: str | os.PathLike[str], encoding: str | None = None) -> tuple[list[str], list[Row]]:
    """The column names and the rows of a CSV, XLSX (its first sheet), JSON (a list of
    objects) or JSONL file."""
    table = read_table(path, encoding)
    return list(table.header), list(table.rows)


def read_table(path: str | os.PathLike[str], encoding: str | None = None, *, sheet: str | None = None,
               mapping: Mapping[str, str] | None = None, inputs: Collection[str] | None = None,
               header_row: int | None = None) -> Table:
    """Read a data file: CSV, XLSX, JSON or JSONL, by its suffix (anything else is read as CSV).

    ``encoding`` is the text encoding (detected when None; not used for XLSX), ``sheet``
    the workbook's sheet (the first when None), ``mapping`` renames the file's columns
    (its header -> an input name; see :func:`load_mapping`). ``inputs``, the scheme's
    input names, lets the mapping be checked against them: a name no input has is an
    error, as is a column that gives an input twice.

    The header of a CSV file or a sheet is its line (row) ``header_row`` when given;
    otherwise the first row with anything in it, unless that row and the few below it
    look like a title above the header (see :func:`find_header`): then the rows above
    the header are skipped and a warning in ``warnings`` says so.
    """
    p = Path(path)
    name = str(path)
    suffix = p.suffix.lower()
    kind = INPUT_FORMATS.get(suffix, "csv")
    if sheet is not None and kind != "xlsx":
        raise DataError(_("--sheet is for workbooks (.xlsx); {name} is not one").format(name=name))
    if header_row is not None and kind not in ("xlsx", "csv"):
        raise DataError(_("--header-row is for CSV files and workbooks; {name} is not one").format(name=name))
    if header_row is not None and header_row < 1:
        raise DataError(_("--header-row counts rows from 1, not {n}").format(n=header_row))
    names = set(inputs or ()) | set(mapping or ())
    skipped: list[str] = []
    if kind == "xlsx":
        header, rows, sheet = _xlsx_rows(p, sheet, header_row, names, skipped)
    elif kind == "parquet":
        header, rows = _parquet_rows(p)
    else:
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise DataError(_("cannot read {name}: {problem}").format(name=name, problem=exc.strerror or exc)) from None
        text = decode(raw, encoding)
        if kind == "json":
            header, rows = _json_rows(text, name)
        elif kind == "jsonl":
            header, rows = _jsonl_rows(text, name)
        else:
            header, rows = _csv_rows(text, name, header_row, names, skipped)
    table = _mapped(name, header, rows, mapping or {}, inputs, sheet)
    return attrs.evolve(table, warnings=tuple(skipped) + table.warnings) if skipped else table


TITLE_ROWS = 5  # at most this many rows above the header are taken for a title without --header-row


def find_header(first: Sequence[tuple[int, Sequence[str]]], names: Collection[str]) -> int:
    """Which of the first non-empty rows of a sheet or CSV file (each its number and its
    cells as text) is the header: the first that names a column the scheme reads
    (``names``: its inputs and the mapping's columns), when one does within the first
    TITLE_ROWS + 1; otherwise, when the first rows each have a single cell written (a
    title, often merged across the sheet) and a later one has more, that one; otherwise
    the first row. Gives its index in ``first``."""
    rows = [cells for _n, cells in first[:TITLE_ROWS + 1]]
    named = next((i for i, cells in enumerate(rows) if any(c in names for c in cells)), None)
    if named is not None:
        return named
    written = [sum(1 for c in cells if c) for cells in rows]
    wide = next((i for i, k in enumerate(written) if k > 1), None)
    return wide if wide is not None and all(k == 1 for k in written[:wide]) else 0


def _pick_header(numbered: Iterator[tuple[int, list[object]]], name: str, header_row: int | None,
                 names: Collection[str], skipped: list[str]) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """The header row's cells, and the rows read ahead of the iteration's place that
    come after it; ``skipped`` gets a warning for rows taken as a title."""
    def text(cells: Sequence[object]) -> list[str]:
        return ["" if c is None else str(c).strip() for c in cells]

    def filled(cells: Sequence[object]) -> bool:
        return any(c is not None and str(c).strip() for c in cells)

    if header_row is not None:
        for number, cells in numbered:
            if number == header_row:
                if not filled(cells):
                    raise DataError(_("{name}: row {n}, given as the header (--header-row), is empty")
                                    .format(name=name, n=header_row))
                return text(cells), []
            if number > header_row:
                break
        raise DataError(_("{name} has no row {n} to take as the header (--header-row)").format(name=name, n=header_row))
    first: list[tuple[int, list[object]]] = []
    for number, cells in numbered:
        if filled(cells):
            first.append((number, cells))
            if len(first) > TITLE_ROWS:
                break
    if not first:
        return [], []
    shown = [(n, text(cs)) for n, cs in first]
    at = find_header(shown, names)
    if at:
        titles = " / ".join(next(c for c in cs if c) for _n, cs in shown[:at])  # each row has a cell written
        above = (_("row {first}").format(first=first[0][0]) if at == 1 else
                 _("rows {first}-{last}").format(first=first[0][0], last=first[at - 1][0]))
        skipped.append(_("{name}: {rows} above the header (row {header}) skipped as a title: {titles}; "
                         "give --header-row N to choose the header yourself").format(
            name=name, rows=above, header=first[at][0], titles=titles))
    return shown[at][1], first[at + 1:]


def _mapped(name: str, header: list[str], rows: list[Row], mapping: Mapping[str, str],
            inputs: Collection[str] | None, sheet: str | None) -> Table:
    if inputs is not None:
        for target in sorted(set(mapping.values()) - set(inputs)):
            close = did_you_mean(target, list(inputs))
            hint = _("; did you mean '{close}'?").format(close=close) if close else ""
            raise DataError(_("the mapping names '{target}', which is not an input of the scheme{hint}")
                    .format(target=target, hint=hint))
    present = [h for h in header if h]
    warnings = tuple(_("the mapping names the column '{column}', which {name} does not have").format(column=h, name=name)
                     for h in mapping if h not in present)
    renamed = {target: source for source, target in mapping.items() if source in present and source != target}
    for target, source in renamed.items():
        if target in present and target not in mapping:
            raise DataError(_("{name}: the column '{source}' is mapped to '{target}', but the file has a "
                              "column '{target}' as well: map or remove one of them").format(
                                  name=name, source=source, target=target))
    names = [mapping.get(h, h) if h else h for h in header]
    seen: dict[str, int] = {}
    for i, h in enumerate(names, start=1):
        if not h:
            continue
        if h in seen and (inputs is None or h in inputs):
            raise DataError(_("{name}: the columns {first} and {i} both give '{h}': remove or rename one")
                    .format(name=name, first=seen[h], i=i, h=h))
        seen.setdefault(h, i)
    if renamed:
        rows = [Row(r.number, {mapping.get(k, k): v for k, v in r.values.items()}) for r in rows]
    return Table(name, tuple(names), tuple(rows), renamed, sheet, warnings)


def _csv_rows(text: str, name: str, header_row: int | None, names: Collection[str],
              skipped: list[str]) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(text, newline=""))

    def numbered() -> Iterator[tuple[int, list[object]]]:
        line = 1  # the line each row starts on: a quoted cell may hold line breaks
        try:
            for cells in reader:
                yield line, list(cells)
                line = reader.line_num + 1
        except csv.Error as exc:
            raise DataError(_("{name}, line {line}: {problem}").format(name=name, line=reader.line_num,
                                                                        problem=exc)) from None

    lines = numbered()
    header, ahead = _pick_header(lines, name, header_row, names, skipped)
    if not header:
        raise DataError(_("{name} is empty: it needs a header row with the input names").format(name=name))
    rows: list[Row] = []
    for line, cells in itertools.chain(ahead, lines):
        if not any(str(c).strip() for c in cells):
            continue
        rows.append(Row(line, {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header) if h}))
    return header, rows


def _parquet_rows(path: Path) -> tuple[list[str], list[Row]]:
    """A Parquet file's columns and rows, read by DuckDB (extra ``starrules[duckdb]``):
    values as stored (DECIMAL as Decimal, integers, booleans, texts); row k is number k."""
    from sqlglot import exp

    from starrules.sql.duck import connect

    if not path.exists():
        raise DataError(f"cannot read {path}: no such file")
    con = connect()
    try:
        query = exp.select(exp.Star()).from_(exp.Anonymous(this="read_parquet",
                                                           expressions=[exp.Literal.string(str(path))]))
        try:
            cur = con.execute(query.sql(dialect="duckdb"))
        except Exception as exc:
            raise DataError(f"cannot read {path} as Parquet: {exc}") from None
        header = [d[0] for d in cur.description]
        rows = [Row(k, dict(zip(header, r, strict=True))) for k, r in enumerate(cur.fetchall(), start=1)]
    finally:
        con.close()
    return header, rows


def _check_object(obj: object, where: str) -> Mapping[str, object]:
    if not isinstance(obj, dict):
        raise DataError(_("{where}: expected an object of input names and values").format(where=where))
    return obj


def _json_rows(text: str, name: str) -> tuple[list[str], list[Row]]:
    try:
        data = json.loads(text, parse_float=Decimal)  # 0.1 stays exactly 0.1, and 20 digits stay 20
    except json.JSONDecodeError as exc:
        raise DataError(_("{name}: not valid JSON ({problem}, line {line})")
                .format(name=name, problem=exc.msg, line=exc.lineno)) from None
    if not isinstance(data, list):
        raise DataError(_("{name}: expected a list of objects, one per entity").format(name=name))
    rows = [Row(i + 1, _check_object(obj, _("{name}, item {number}")
            .format(name=name, number=i + 1))) for i, obj in enumerate(data)]
    return _columns(rows), rows


def _jsonl_rows(text: str, name: str) -> tuple[list[str], list[Row]]:
    rows = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise DataError(_("{name}, line {i}: not valid JSON ({problem})").format(name=name, i=i, problem=exc.msg)) from None
        rows.append(Row(i, _check_object(obj, _("{name}, line {number}").format(name=name, number=i))))
    return _columns(rows), rows


def _columns(rows: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r.values))


# ---- workbooks ------------------------------------------------------------------------


XLSX_HINT = "install starrules[xlsx] (pip install 'starrules[xlsx]'), which brings openpyxl"


def require_openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        raise DataError(_("reading and writing .xlsx workbooks needs openpyxl: {XLSX_HINT}")
                .format(XLSX_HINT=XLSX_HINT)) from None
    return openpyxl


def _xlsx_rows(path: Path, sheet: str | None, header_row: int | None, names: Collection[str],
               skipped: list[str]) -> tuple[list[str], list[Row], str]:
    openpyxl = require_openpyxl()
    from zipfile import BadZipFile

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise DataError(_("cannot read {path}: {problem}").format(path=path, problem=exc.strerror or exc)) from None
    except (BadZipFile, KeyError, ValueError) as exc:
        raise DataError(_("{path} is not an .xlsx workbook ({problem})").format(path=path, problem=exc)) from None
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in names:
            ws = wb[sheet]
        else:
            close = did_you_mean(sheet, names)
            hint = _("; did you mean '{close}'?").format(close=close) if close else ""
            raise DataError(_("{path} has no sheet '{sheet}'{hint} (its sheets: {sheets})")
                    .format(path=path, sheet=sheet, hint=hint, sheets=', '.join(names)))
        ws.reset_dimensions()  # some writers record wrong dimensions: read every row there is
        lines = ((number, [_cell(c) for c in line]) for number, line in enumerate(ws.iter_rows(), start=1))
        header, ahead = _pick_header(lines, str(path), header_row, names, skipped)
        if not any(header):
            raise DataError(_("the sheet '{sheet}' of {path} is empty: it needs a header row with the input names")
                    .format(sheet=ws.title, path=path))
        rows: list[Row] = []
        for number, values in itertools.chain(ahead, lines):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            rows.append(Row(number, {h: (values[i] if i < len(values) else None) for i, h in enumerate(header) if h}))
        return header, rows, str(ws.title)
    finally:
        wb.close()


def _cell(cell: Any) -> object:
    """A cell's value as the scheme's inputs read it. A number formatted as a percentage
    (the cell shows 85%, and holds 0.85) is read as the text it shows, ``85%``; a date
    as its ISO text; a formula's error as a :class:`CellError`."""
    value = cell.value
    if value is None:
        return None
    if getattr(cell, "data_type", None) == "e":
        return CellError(str(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "%" in str(getattr(cell, "number_format", "") or ""):
            ratio = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            return fmt_number(ratio * 100) + "%"
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat()
    return value


# ---- column mappings ------------------------------------------------------------------


def load_mapping(path: str | os.PathLike[str], encoding: str | None = None) -> dict[str, str]:
    """A column mapping from a file: a JSON object ``{"the file's header": "input name"}``,
    or a CSV of two columns, the file's header then the input name, under a header row
    of its own (``column,input`` or ``表头,输入项``: any words; it is skipped)."""
    p = Path(path)
    name = str(path)
    try:
        text = decode(p.read_bytes(), encoding)
    except OSError as exc:
        raise DataError(_("cannot read {name}: {problem}").format(name=name, problem=exc.strerror or exc)) from None
    out: dict[str, str] = {}
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(_("{name}: not valid JSON ({problem}, line {line})")
                    .format(name=name, problem=exc.msg, line=exc.lineno)) from None
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise DataError(_('{name}: expected an object of texts, {{"the file\'s header": "input name", ...}}')
                            .format(name=name))
        pairs = [(i, k, v) for i, (k, v) in enumerate(data.items(), start=1)]
        where = N_("entry")
    else:
        try:
            lines = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise DataError(_("{name}: {problem}").format(name=name, problem=exc)) from None
        pairs = []
        for i, cells in enumerate(lines[1:], start=2):
            cells = [c.strip() for c in cells]
            while cells and not cells[-1]:
                cells.pop()
            if not cells:
                continue
            if len(cells) != 2 or not all(cells):
                raise DataError(_("{name}, line {i}: expected two cells, the data's column and the input it gives")
                        .format(name=name, i=i))
            pairs.append((i, cells[0], cells[1]))
        where = N_("line")
    targets: dict[str, str] = {}
    for i, source, target in pairs:
        source, target = source.strip(), target.strip()
        if not source or not target:
            raise DataError(_("{name}, {where} {i}: a column and an input name must both be written")
                    .format(name=name, where=_(where), i=i))
        if source in out:
            raise DataError(_("{name}, {where} {i}: the column '{source}' is mapped twice")
                    .format(name=name, where=_(where), i=i, source=source))
        if target in targets:
            raise DataError(_("{name}, {where} {number}: the columns '{other}' and '{source}' are both mapped to "
                              "'{target}'").format(name=name, where=_(where), number=i, other=targets[target],
                                                   source=source, target=target))
        out[source] = target
        targets[target] = source
    return out


# ---- writing ---------------------------------------------------------------------------


PAUSE_ENV = "STARRULES_TEST_PAUSE_BEFORE_RENAME"


def _pause_for_tests(tmp: str) -> None:
    """For tests of interrupted writes only: with ``STARRULES_TEST_PAUSE_BEFORE_RENAME``
    set to a path, the writer, its temporary file complete but not yet renamed, writes
    that temporary file's path to the marker path and waits (up to 60 s) until the marker
    is removed, so that a test can interrupt it at exactly that point."""
    marker = os.environ.get(PAUSE_ENV)
    if not marker:
        return
    Path(marker + ".part").write_text(tmp, encoding="utf-8")
    os.replace(marker + ".part", marker)  # the marker appears with its text, never empty
    deadline = time.monotonic() + 60
    while Path(marker).exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _new_file_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], binary: bool = False, encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """A file to write ``path`` through: a temporary file beside it, renamed over it when
    the block ends without an error, removed when it ends with one (or is interrupted)."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DataError(_("cannot write {path}: {problem}").format(path=path, problem=exc.strerror or exc)) from None
    try:
        os.chmod(tmp, _new_file_mode(target))
        f: IO[Any]
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding=encoding, newline="")) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _pause_for_tests(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write text to path so that a reader sees the old file or the new one, never half."""
    with atomic_file(path, encoding=encoding) as f:
        f.write(text)


def csv_text(header: Sequence[str], rows: Iterator[Sequence[object]] | Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()
