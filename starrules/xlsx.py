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
_XML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _escape_char(m: re.Match[str]) -> str:
    return f"_x{ord(m.group()):04X}_"


def text_xml(text: str) -> str:
    """A text as the content of a cell's ``<t>``: XML-escaped, characters XML cannot
    hold (and a literal ``_xHHHH_``) in the workbook's escape."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(_escape_char, text)
    return text.translate(_XML)


def column_letters(n: int) -> str:
    """The letters of the ``n``-th column, from 0: A, B, ..., Z, AA, AB, ..."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


_LIMIT = 100_000  # distinct texts and numbers remembered per sheet


class _Cells:
    """Rows as XML; the XML of each distinct text and ``Decimal`` made once (a results
    column holds few distinct values; equal numbers have one text)."""

    def __init__(self) -> None:
        self.letters: list[str] = []
        self.numbers: dict[Decimal, str] = {}
        self.texts: dict[object, str] = {}

    def row(self, number: int, values: Sequence[object]) -> str:
        letters = self.letters
        while len(letters) < len(values):
            letters.append(column_letters(len(letters)))
        parts = [f'<row r="{number}">']
        append = parts.append
        texts = self.texts
        for k, v in enumerate(values):
            if v is None or v == "":
                continue
            cls = v.__class__
            if cls is str:
                t = texts.get(v)
                if t is None:
                    t = text_xml(v)  # type: ignore[arg-type]
                    if t[0].isspace() or t[-1].isspace():
                        t = f'<t xml:space="preserve">{t}</t>'
                    else:
                        t = f"<t>{t}</t>"
                    if len(texts) < _LIMIT:
                        texts[v] = t
                append(f'<c r="{letters[k]}{number}" t="inlineStr"><is>{t}</is></c>')
            elif cls is bool:
                append(f'<c r="{letters[k]}{number}" t="b"><v>{int(v)}</v></c>')  # type: ignore[call-overload]
            elif cls is int:
                append(f'<c r="{letters[k]}{number}"><v>{v}</v></c>')
            elif isinstance(v, Decimal):
                text = self.numbers.get(v)
                if text is None:
                    text = fmt_number(v)
                    if len(self.numbers) < _LIMIT:
                        self.numbers[v] = text
                append(f'<c r="{letters[k]}{number}"><v>{text}</v></c>')
            else:
                t = text_xml(str(v))
                append(f'<c r="{letters[k]}{number}" t="inlineStr"><is><t>{t}</t></is></c>')
        append("</row>")
        return "".join(parts)


def write_workbook(f: IO[bytes], sheets: Iterable[tuple[str, Iterable[Sequence[object]], str | None]]) -> None:
    """Write the sheets, each (name, rows, the cell its panes freeze at or None), to
    ``f`` as an XLSX workbook. The rows of each sheet are written as they come."""
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
                    line = cells.row(number, values)
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
