"""Reading entity data (CSV, JSON, JSON Lines) and writing results, losing nothing.

Takes a data file; gives its rows as ``Row`` values (the row's number in the file and
its cells by column name). CSV files may be UTF-8, UTF-8 with a BOM, or GB18030 (the
usual export of Chinese office software); the encoding is detected unless given.
Results are written atomically: to a temporary file, then renamed over the target.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs

from starrules.errors import StarError


class DataError(StarError):
    """A data file cannot be read at all (as opposed to a bad value in one row)."""


@attrs.frozen
class Row:
    number: int  # the line of the file the row starts on (the header is line 1)
    values: Mapping[str, object]


def decode(data: bytes, encoding: str | None = None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read the file as {encoding}: {exc}") from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError("the file is neither UTF-8 nor GB18030 text; give --encoding")  # pragma: no cover


def read_rows(path: str | os.PathLike[str], encoding: str | None = None) -> tuple[list[str], list[Row]]:
    """The column names and the rows of a CSV, JSON (a list of objects) or JSONL file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    text = decode(raw, encoding)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return _json_rows(text, str(path))
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(text, str(path))
    return _csv_rows(text, str(path))


def _csv_rows(text: str, name: str) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{name} is empty: it needs a header row with the input names") from None
    except csv.Error as exc:
        raise DataError(f"{name}: {exc}") from None
    header = [h.strip() for h in header]
    rows: list[Row] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                line = reader.line_num + 1
                continue
            values = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header) if h}
            rows.append(Row(line, values))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{name}, line {reader.line_num}: {exc}") from None
    return header, rows


def _check_object(obj: object, where: str) -> Mapping[str, object]:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected an object of input names and values")
    return obj


def _json_rows(text: str, name: str) -> tuple[list[str], list[Row]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{name}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, list):
        raise DataError(f"{name}: expected a list of objects, one per entity")
    rows = [Row(i + 1, _check_object(obj, f"{name}, item {i + 1}")) for i, obj in enumerate(data)]
    return _columns(rows), rows


def _jsonl_rows(text: str, name: str) -> tuple[list[str], list[Row]]:
    rows = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name}, line {i}: not valid JSON ({exc.msg})") from None
        rows.append(Row(i, _check_object(obj, f"{name}, line {i}")))
    return _columns(rows), rows


def _columns(rows: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r.values))


def write_atomic(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write text to path so that a reader sees the old file or the new one, never half."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(header: Sequence[str], rows: Iterator[Sequence[object]] | Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()
