"""The streaming XLSX writer (starrules.xlsx): what a workbook holds, cell by cell.

Expected values are worked out by hand from the OOXML rules the module follows: cells in
column order without references (an empty one as ``<c/>``), numbers as numbers, texts
inline and XML-escaped, characters XML cannot hold in the ``_xHHHH_`` escape.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl

from starrules import xlsx


def test_texts_are_escaped() -> None:
    assert xlsx.text_xml("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    # a tab is fine in XML; a bell (7) and an escape (27) are not: _x0007_, _x001B_
    assert xlsx.text_xml("a\tb\x07c\x1b") == "a\tb_x0007_c_x001B_"
    # a text that reads like the escape has its underscore escaped (_ is 0x5F)
    assert xlsx.text_xml("_x0041_") == "_x005F_x0041_"
    assert xlsx.text_xml("_x00") == "_x00"


def book(rows: list[list[object]], freeze: str | None = None) -> bytes:
    f = io.BytesIO()
    xlsx.write_workbook(f, [("表一", iter(rows), freeze), ("second", iter([["x"]]), None)])
    return f.getvalue()


def test_a_workbook_reads_back() -> None:
    rows: list[list[object]] = [["name", "n", "score", "ok", "empty"],
                                ["甲", 3, Decimal("8.50"), True, None],
                                [" 乙 ", -2, Decimal("90"), False, ""]]
    data = book(rows, "C2")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["表一", "second"]
    ws = wb["表一"]
    assert ws.freeze_panes == "C2"
    got = list(ws.iter_rows(values_only=True))
    # 8.50 is written as 8.5 (a number, no trailing zero), 90 as the integer 90; None and
    # "" leave the cell empty; the spaces around 乙 are kept
    assert got == [("name", "n", "score", "ok", "empty"), ("甲", 3, 8.5, True, None), (" 乙 ", -2, 90, False, None)]
    assert list(wb["second"].iter_rows(values_only=True)) == [("x",)]


def test_the_sheet_xml() -> None:
    data = book([["a&b", Decimal("0.1"), None, 7, True]])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert zf.testzip() is None
        assert set(zf.namelist()) >= {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                                      "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet2.xml"}
    # a text inline, 0.1 and 7 as numbers, the empty third cell keeping 7 in column D, a boolean
    assert ('<row r="1"><c t="inlineStr"><is><t>a&amp;b</t></is></c><c><v>0.1</v></c><c/><c><v>7</v></c>'
            '<c t="b"><v>1</v></c></row>') in sheet
