"""A streaming XLSX writer: rows in, an Office Open XML workbook out, one row at a time.

Takes sheets as (name, rows) with cells of the kinds results hold (texts, integers,
``Decimal``s, booleans, None) and a binary file; gives a workbook that Excel, LibreOffice
and openpyxl read: one ZIP member per sheet, written as the rows come, with numbers as
numbers and texts inline (no shared-strings table to gather first), so writing takes
about as long as making the rows. openpyxl is not needed to write (only to read).

A text keeps every character: those XML 1.0 cannot hold (control characters) are
written in the workbook's own escape, ``_xHHHH_``, and a text that itself reads like
that escape has its underscore escaped, so a spreadsheet shows exactly the text.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO

from starrules.values import fmt_number

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<sheets>{sheets}</sheets></workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{views}<sheetData>'
)
_FROZEN = ('<sheetViews><sheetView workbookViewId="0"><pane xSplit="{x}" ySplit="{y}" topLeftCell="{cell}" '
           'activePane="bottomRight" state="frozen"/></sheetView></sheetViews>')
_SHEET_TAIL = "</sheetData></worksheet>"

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def _escape_char(m: re.Match[str]) -> str:
    return f"_x{ord(m.group()):04X}_"


def text_xml(text: str) -> str:
    """A text as the content of a cell's ``<t>``: XML-escaped, characters XML cannot
    hold (and a literal ``_xHHHH_``) in the workbook's escape."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(_escape_char, text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # a text without them: as it is


_LIMIT = 100_000  # distinct values remembered per sheet


class _Cells(dict[object, str]):
    """Value -> its cell's XML, each distinct value made once (a results column holds few
    distinct values). Cells carry no reference: they fall in column order, an empty
    one as ``<c/>``. Equal numbers are one number (``8``, ``8.0`` and ``Decimal(8)``);
    ``True`` and ``False`` are booleans, never the numbers they equal."""

    def __missing__(self, v: object) -> str:
        xml = cell_xml(v)
        if len(self) < _LIMIT and v.__class__ is not bool:
            self[v] = xml
        return xml

    def row(self, number: int, values: Sequence[object]) -> str:
        try:
            inner = "".join([(_BOOLS[v] if v.__class__ is bool else self[v]) for v in values])
        except TypeError:  # an unhashable value: made on its own
            inner = "".join([cell_xml(v) for v in values])
        return f'<row r="{number}">{inner}</row>'


class Cells:
    """Several cells, made into XML once, standing in a row's values for all of them
    (a tail of cells that many rows share). Equal only to itself: no value of the data
    is ever mistaken for it."""

    __slots__ = ("xml",)
    xml: str

    def __init__(self, values: Sequence[object]) -> None:
        self.xml = "".join([cell_xml(v) for v in values])


def cell_xml(v: object) -> str:
    """One cell: a text inline, a number as a number, a boolean as one, nothing as an
    empty cell."""
    if v.__class__ is str and v:  # the commonest, first
        return text_cell(v)
    if v is None or v == "":
        return "<c/>"
    if isinstance(v, Cells):
        return v.xml
    if v.__class__ is bool:
        return _BOOLS[v]
    if isinstance(v, Decimal):
        return f"<c><v>{fmt_number(v)}</v></c>"
    if isinstance(v, (int, float)):
        return f"<c><v>{v!r}</v></c>"
    return text_cell(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                     if isinstance(v, (dict, list, tuple)) else str(v))


def text_cell(text: str) -> str:
    """A text that is not empty, as a cell: inline, its spaces at either end kept."""
    t = text_xml(text)
    space = ' xml:space="preserve"' if t[0].isspace() or t[-1].isspace() else ""
    return f'<c t="inlineStr"><is><t{space}>{t}</t></is></c>'


_BOOLS = {True: '<c t="b"><v>1</v></c>', False: '<c t="b"><v>0</v></c>'}


def write_workbook(f: IO[bytes], sheets: Iterable[tuple[str, Iterable[Sequence[object]], str | None]]) -> None:
    """Write the sheets, each (name, rows, the cell its panes freeze at or None), to
    ``f`` as an XLSX workbook. The rows of each sheet are written as they come. A row is
    its values, or one text: its cells' XML made already (:func:`cell_xml` of each
    value, joined), for a writer that joins rows from pieces it made once."""
    names: list[str] = []
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, rows, freeze in sheets:
            names.append(name)
            views = ""
            if freeze:
                col = len(freeze.rstrip("0123456789"))
                x = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(freeze[:col]))) - 1
                views = _FROZEN.format(x=x, y=int(freeze[col:]) - 1, cell=freeze)
            with zf.open(f"xl/worksheets/sheet{len(names)}.xml", "w", force_zip64=True) as member:
                cells = _Cells()
                buffer: list[str] = [_SHEET_HEAD.format(views=views)]
                size = 0
                for number, values in enumerate(rows, 1):
                    line = f'<row r="{number}">{values}</row>' if values.__class__ is str else cells.row(number, values)
                    buffer.append(line)
                    size += len(line)
                    if size > 1 << 18:
                        member.write("".join(buffer).encode("utf-8"))
                        buffer, size = [], 0
                buffer.append(_SHEET_TAIL)
                member.write("".join(buffer).encode("utf-8"))
        sheet_types = "".join(_SHEET_TYPE.format(n=n) for n in range(1, len(names) + 1))
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets=sheet_types))
        zf.writestr("_rels/.rels", _RELS)
        entries = "".join(f'<sheet name="{text_xml(name)}" sheetId="{n}" r:id="rId{n}"/>'
                          for n, name in enumerate(names, 1))
        zf.writestr("xl/workbook.xml", _WORKBOOK.format(sheets=entries))
        rels = "".join(f'<Relationship Id="rId{n}" '
                       'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                       f'Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(names) + 1))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(rels=rels))
        zf.writestr("xl/styles.xml", _STYLES)
