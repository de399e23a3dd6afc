"""Real data in and out: every input format, encodings, column mappings, validation,
--strict, the nothing-lost accounting, every output format with its metadata, atomic
writes under interruption, and progress.

Expected values are worked out by hand from the small scheme below; each row's working
is written next to it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules import cli
from starrules.cli import main
from starrules.data import PAUSE_ENV, DataError, load_mapping, read_table
from starrules.output import Results, write_results
from starrules.testing import invalid_inputs, populations
from starrules.values import fmt_number

ROOT = Path(__file__).resolve().parent.parent

SCHEME = """\
scheme "读写测试" version "3"
levels stars 0..3 { 0: "无星" }
input 名称 : id
input 单位 : group
input 分数 : score 0..100 step 0.5
input 通报 : count 0..10 default 0
input 满意率 : percent
input 按期换届 : bool
input 类别 : one of {机关, 企业}
input 荣誉 : set of {市级, 省级}
input 备注 : text default "无"
bonus 加分 { "荣誉（以最高的为准）": highest 荣誉 { 市级: 2, 省级: 4 } }
penalty 扣分 { "通报（每次扣5分）": 5 each 通报 }
total 得分 = 分数 + 加分 - 扣分
band 得分 { 3: [90, ..)  2: [75, 90)  1: [60, 75)  0: (.., 60) }
disqualify "企业不参评" when 类别 == 企业
cap "未按期换届不得定为三星" at most 2 when not 按期换届
veto "满意率低于50%" when 满意率 < 50%
flag "整顿" when level <= 1
quota "三星级不超过1个" { level 3 at most 1 }
"""

HEADER = ["名称", "单位", "分数", "通报", "满意率", "按期换届", "类别", "荣誉", "备注"]
ROWS = [
    # 甲: 88 + 4 (省级, the highest) - 0 = 92 -> [90, ..) -> 3星; the only 3星, so the quota (at most 1) holds.
    ["甲", "一组", "88", "0", "90%", "是", "机关", "省级", ""],
    # 乙: 92 + 0 - 2×5 = 82 -> 2星; not 按期换届: the cap at 2 holds but changes nothing (no reason).
    ["乙", "一组", "92", "2", "85%", "否", "机关", "", ""],
    # 丙: 95 + 2 = 97 -> 3星 by the band, vetoed (40% < 50%) -> 无星, flag 整顿 (level 0 <= 1).
    ["丙", "二组", "95", "0", "40%", "是", "机关", "市级", ""],
    # 丁: 101 is outside 0..100 -> invalid, on line 5 of the file (the header is line 1).
    ["丁", "二组", "101", "0", "90%", "是", "机关", "", ""],
    # 戊: 类别 企业 -> ineligible (企业不参评), whatever its score.
    ["戊", "二组", "70", "0", "75%", "是", "企业", "", ""],
    # 己: 60.5 + 4 (省级 beats 市级) - 5 = 59.5 -> (.., 60) -> 无星, flag 整顿.
    ["己", "一组", "60.5", "1", "80%", "是", "机关", "市级、省级", "有备注"],
]
# Ranked by 得分 descending (the quota's default keys), rated rows only:
# 丙 97 (1st), 甲 92 (2nd), 乙 82 (3rd), 己 59.5 (4th).
EXPECTED = {
    #      row, status,       level, label,  total,  reason,           flags,  rank
    "甲": (2, "rated", 3, "3星", "92", None, "", 2),
    "乙": (3, "rated", 2, "2星", "82", None, "", 3),
    "丙": (4, "rated", 0, "无星", "97", "满意率低于50%", "整顿", 1),
    "丁": (5, "invalid", None, None, None, "column 分数: '101' is not valid; expected a score from 0 to 100", "", None),
    "戊": (6, "ineligible", None, None, None, "企业不参评", "", None),
    "己": (7, "rated", 0, "无星", "59.5", None, "整顿", 4),
}
IDS = list(EXPECTED)
# rows 6 = rated 4 (甲 乙 丙 己) + invalid 1 (丁) + ineligible 1 (戊); by level: 3星 甲, 2星 乙, 无星 丙 己
COUNTS = {"rows": 6, "rated": 4, "invalid": 1, "ineligible": 1, "无星": 2, "1星": 0, "2星": 1, "3星": 1}
SHA = hashlib.sha256(SCHEME.encode("utf-8")).hexdigest()


def csv_data(header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


@pytest.fixture
def scheme_file(tmp_path: Path) -> Path:
    path = tmp_path / "test.star"
    path.write_text(SCHEME, encoding="utf-8")
    return path


def json_items() -> list[dict[str, Any]]:
    """The same rows as JSON would carry them: numbers as numbers, yes/no as booleans,
    sets as lists, blank cells left out."""
    items = []
    for row in ROWS:
        item: dict[str, Any] = {}
        for h, v in zip(HEADER, row):
            if v == "":
                continue
            if h in ("分数", "通报"):
                item[h] = json.loads(v)
            elif h == "按期换届":
                item[h] = v == "是"
            elif h == "荣誉":
                item[h] = v.split("、")
            else:
                item[h] = v
        items.append(item)
    return items


def write_workbook(path: Path, header: list[str], rows: list[list[Any]], title: str = "数据",
                   formats: Mapping[str, str] | None = None, extra_sheets: tuple[str, ...] = ()) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    ws.append(header)
    for row in rows:
        ws.append(row)
    for coord, number_format in (formats or {}).items():
        ws[coord].number_format = number_format
    for name in extra_sheets:
        wb.create_sheet(name).append(["别的表"])
    wb.save(path)


def xlsx_rows() -> list[list[Any]]:
    """The rows as a workbook holds them: numbers as numbers, the percentages as the
    fractions a percent-formatted cell holds (0.9 shown as 90%), blank cells empty."""
    out: list[list[Any]] = []
    for row in ROWS:
        cells: list[Any] = []
        for h, v in zip(HEADER, row):
            if v == "":
                cells.append(None)
            elif h in ("分数", "通报"):
                cells.append(json.loads(v))
            elif h == "满意率":
                cells.append(float(Decimal(v[:-1]) / 100))
            else:
                cells.append(v)
        out.append(cells)
    return out


PERCENT_CELLS = {f"E{i}": "0%" for i in range(2, 8)}  # 满意率 is column E, rows 2..7


def data_file(tmp_path: Path, kind: str) -> Path:
    """The six rows in one of the input formats."""
    if kind == "csv":
        path = tmp_path / "data.csv"
        path.write_text(csv_data(), encoding="utf-8")
    elif kind == "csv-bom":
        path = tmp_path / "data-bom.csv"
        path.write_bytes(csv_data().encode("utf-8-sig"))
    elif kind == "csv-gb18030":
        path = tmp_path / "data-gb.csv"
        path.write_bytes(csv_data().encode("gb18030"))
    elif kind == "json":
        path = tmp_path / "data.json"
        path.write_text(json.dumps(json_items(), ensure_ascii=False), encoding="utf-8")
    elif kind == "jsonl":
        path = tmp_path / "data.jsonl"
        path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in json_items()), encoding="utf-8")
    else:
        path = tmp_path / "data.xlsx"
        write_workbook(path, HEADER, xlsx_rows(), formats=PERCENT_CELLS)
    return path


INPUT_KINDS = ["csv", "csv-bom", "csv-gb18030", "json", "jsonl", "xlsx"]


# ---- reading -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", INPUT_KINDS)
def test_every_input_format_gives_the_same_results(kind: str, scheme_file: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = data_file(tmp_path, kind)
    assert main(["run", str(scheme_file), str(data)]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == IDS
    # the JSON item's place, the JSONL line, the sheet row: all 2..7 here (CSV and sheet: the header is 1)
    numbers = list(range(1, 7)) if kind in ("json", "jsonl") else list(range(2, 8))
    assert [int(r["row"]) for r in rows] == numbers
    for r in rows:
        _, status, level, label, total, reason, flags, rank = EXPECTED[r["id"]]
        assert (r["status"], r["level"], r["level_label"], r["total"]) == (
            status, "" if level is None else str(level), label or "", total or "")
        if kind in ("json", "jsonl", "xlsx") and r["id"] == "丁":  # a number cell, no text: shown unquoted
            reason = "column 分数: 101 is not valid; expected a score from 0 to 100"
        assert (r["reason"], r["flags"], r["rank"]) == (reason or "", flags, "" if rank is None else str(rank))
    assert err.strip().splitlines()[-1] == "rows in: 6, rated: 4, invalid: 1, ineligible: 1"


def test_encoding_given_and_wrong(scheme_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gb = data_file(tmp_path, "csv-gb18030")
    assert main(["run", str(scheme_file), str(gb), "--encoding", "gb18030"]) == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))] == IDS
    # GB18030 bytes are not UTF-8: said plainly, with exit 2, never a traceback
    assert main(["run", str(scheme_file), str(gb), "--encoding", "utf-8"]) == 5
    err = capsys.readouterr().err
    assert "cannot read the file as utf-8" in err and "Traceback" not in err


def test_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    table = read_table(data_file(tmp_path, "csv-bom"))
    assert table.header[0] == "名称"  # not "\ufeff名称"
    assert table.rows[0].values["名称"] == "甲"


def test_json_numbers_are_read_exactly(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('[{"a": 0.1, "b": 12345678901234567890.5, "c": 3}]', encoding="utf-8")
    values = read_table(path).rows[0].values
    # a binary float could not hold 12345678901234567890.5: the text is kept as a Decimal
    assert values == {"a": Decimal("0.1"), "b": Decimal("12345678901234567890.5"), "c": 3}


def test_duplicate_input_column_is_refused(scheme_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "dup.csv"
    data.write_text(csv_data(HEADER + ["分数", "备用"], [r + ["50", "x"] for r in ROWS]), encoding="utf-8")
    assert main(["run", str(scheme_file), str(data)]) == 5
    assert "the columns 3 and 10 both give '分数'" in capsys.readouterr().err
    # a duplicated column the scheme does not read is no problem
    other = tmp_path / "dup-other.csv"
    other.write_text(csv_data(HEADER + ["备用", "备用"], [r + ["1", "2"] for r in ROWS]), encoding="utf-8")
    assert main(["run", str(scheme_file), str(other)]) == 0


# ---- workbooks ---------------------------------------------------------------------------


def test_sheet_by_name(scheme_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "说明"
    first.append(["这一页不是数据"])
    ws = wb.create_sheet("2024年")
    ws.append(HEADER)
    for row in xlsx_rows():
        ws.append(row)
    for coord, number_format in PERCENT_CELLS.items():
        ws[coord].number_format = number_format
    wb.save(book)
    assert main(["run", str(scheme_file), str(book), "--sheet", "2024年"]) == 0
    assert [r["id"] for r in csv.DictReader(io.StringIO(capsys.readouterr().out))] == IDS
    assert main(["run", str(scheme_file), str(book), "--sheet", "2024"]) == 5
    err = capsys.readouterr().err
    assert "has no sheet '2024'; did you mean '2024年'?" in err and "(its sheets: 说明, 2024年)" in err
    data = data_file(tmp_path, "csv")
    assert main(["run", str(scheme_file), str(data), "--sheet", "2024年"]) == 5
    assert "--sheet is for workbooks" in capsys.readouterr().err


# One row per column type with exactly one bad cell, then a row bad in all seven; each
# expectation is the declaration's own rule applied to the cell by hand.
BAD_CELLS: list[tuple[str, Any, str]] = [
    # column, the bad cell, what the input expects
    ("分数", "九十", "a score from 0 to 100 in steps of 0.5"),  # score: not a number
    ("通报", 2.5, "a whole number"),  # count: not whole
    ("满意率", 0.9, "a percentage written with its sign: 0.9 is ambiguous (write 90% if it is a fraction, "
                  "0.9% if not)"),  # percent: a bare fraction in a General cell
    ("按期换届", "也许", "yes or no (是/否, yes/no, true/false, 1/0)"),  # yes/no
    ("类别", "学校", "one of 机关, 企业"),  # choice
    ("荣誉", "市级、国家级", "choices among 市级, 省级"),  # set: 国家级 is no choice
    ("备注", "#DIV/0!", "a text"),  # text: a formula's error is no text
]


def test_workbook_with_a_bad_cell_in_every_column_type(scheme_file: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    good = ["好", "一组", 88, 0, 0.9, "是", "机关", "省级", "备注"]  # 88 + 4 = 92 -> 3星 (90% from a 0% cell)
    rows = []
    for k, (column, bad, _) in enumerate(BAD_CELLS):
        row = list(good)
        row[0] = f"坏{k + 1}"
        row[HEADER.index(column)] = bad
        rows.append(row)
    every = list(good)
    every[0] = "全坏"
    for column, bad, _ in BAD_CELLS:
        every[HEADER.index(column)] = bad
    book = tmp_path / "bad.xlsx"
    # the good row's 满意率 (E2) shows 90%; the bad rows' 0.9 are General cells, except where 满意率 is fine
    formats = {"E2": "0%"} | {f"E{i}": "0%" for i in range(3, 3 + len(BAD_CELLS)) if i - 3 != 2}
    write_workbook(book, HEADER, [good, *rows, every], formats=formats)
    out = tmp_path / "out.xlsx"
    assert main(["run", str(scheme_file), str(book), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    for k, (column, bad, expected) in enumerate(BAD_CELLS):
        shown = bad if isinstance(bad, str) and bad.startswith("#") else repr(bad)  # an error cell shows as itself
        assert f"row {k + 3}: column {column}: {shown} is not valid; expected {expected}" in err
    assert err.strip().splitlines()[-1] == "rows in: 9, rated: 1, invalid: 8, ineligible: 0"
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["results", "summary", "invalid", "scheme"]
    results = list(wb["results"].iter_rows(values_only=True))
    head = list(results[0])
    assert [r[head.index("status")] for r in results[1:]] == ["rated"] + ["invalid"] * 8
    assert results[1][head.index("level")] == 3
    invalid = list(wb["invalid"].iter_rows(values_only=True))
    assert invalid[0] == ("row", "id", "column", "input", "value", "expected")
    # every problem of every row, the all-bad row (sheet row 10) with all seven, in column order
    assert [(r[0], r[2], r[5]) for r in invalid[1:]] == (
        [(k + 3, column, expected) for k, (column, _, expected) in enumerate(BAD_CELLS)]
        + [(10, column, expected) for column, _, expected in BAD_CELLS])
    assert [r[4] for r in invalid[1:8]] == ["九十", "2.5", "0.9", "也许", "学校", "市级、国家级", "#DIV/0!"]


def test_strict_fails_listing_every_problem_and_writes_nothing(scheme_file: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.csv"
    rows = [list(r) for r in ROWS]
    rows[0][2], rows[0][4] = "abc", "150%"  # 甲: two problems
    data.write_text(csv_data(HEADER, rows), encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_bytes(b"old results\n")
    assert main(["run", str(scheme_file), str(data), "-o", str(out), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "row 2: column 分数: 'abc' is not valid; expected a score from 0 to 100 in steps of 0.5" in err
    assert "row 2: column 满意率: '150%' is not valid; expected a percentage from 0% to 100%" in err
    assert "row 5: column 分数: '101' is not valid" in err
    assert "error: 2 of 6 rows are invalid (--strict): 3 problem(s) above; no results written" in err
    assert out.read_bytes() == b"old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv", "test.star"]
    # with every row valid, --strict changes nothing
    data.write_text(csv_data(HEADER, [r for r in ROWS if r[0] != "丁"]), encoding="utf-8")
    assert main(["run", str(scheme_file), str(data), "-o", str(out), "--strict"]) == 0


def test_requirement_failures_are_problems_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme = tmp_path / "r.star"
    scheme.write_text('scheme "r"\nlevels stars 0..1\ninput 名称 : id\ninput 分 : score 0..10\n'
                      'require "分数须为整数": 分 == 0 or 分 >= 1\nband 分 { 1: [5, ..)  0: (.., 5) }\n',
                      encoding="utf-8")
    data = tmp_path / "r.csv"
    data.write_text("名称,分\n甲,0.5\n乙,6\n", encoding="utf-8")  # 0.5: neither 0 nor at least 1
    assert main(["run", str(scheme), str(data), "--strict"]) == 1
    assert "row 2: the requirement '分数须为整数' does not hold" in capsys.readouterr().err


def test_missing_openpyxl_is_a_clear_error(scheme_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = data_file(tmp_path, "xlsx")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now raises ImportError
    assert main(["run", str(scheme_file), str(data)]) == 5
    assert "install starrules[xlsx]" in capsys.readouterr().err
    # writing a workbook needs no openpyxl (starrules.xlsx writes it): only reading does
    csv_in = data_file(tmp_path, "csv")
    out = tmp_path / "out.xlsx"
    assert main(["run", str(scheme_file), str(csv_in), "-o", str(out)]) == 0
    monkeypatch.setitem(sys.modules, "openpyxl", openpyxl)
    assert openpyxl.load_workbook(out).sheetnames == ["results", "summary", "invalid", "scheme"]


def test_the_core_does_not_import_openpyxl() -> None:
    code = ("import sys, starrules, starrules.cli, starrules.data, starrules.output; "
            "print('openpyxl' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


# ---- column mappings ----------------------------------------------------------------------


OTHER_HEADER = ["支部", "单位", "得分（百分制）", "通报", "满意率", "按期换届", "类别", "荣誉", "备注"]


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_map_file_renames_columns(kind: str, scheme_file: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "other.csv"
    data.write_text(csv_data(OTHER_HEADER), encoding="utf-8")
    mapping = tmp_path / f"map.{kind}"
    if kind == "csv":
        mapping.write_text("表头,输入项\n支部,名称\n得分（百分制）,分数\n", encoding="utf-8")
    else:
        mapping.write_text('{"支部": "名称", "得分（百分制）": "分数"}', encoding="utf-8")
    assert main(["run", str(scheme_file), str(data), "--map", str(mapping)]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == IDS and [r["level"] for r in rows] == ["3", "2", "0", "", "", "0"]
    # a problem names the data's own column, and the input it gives
    assert "row 5: column 得分（百分制） (→ 分数): '101' is not valid" in err
    # without the mapping the two inputs are missing: said once each, before the rows; no row is
    # rated, so the run exits 1
    assert main(["run", str(scheme_file), str(data)]) == 1
    err = capsys.readouterr().err
    assert "warning: the data has no column '名称'" in err
    assert "warning: the data has no column '分数'" in err


def test_mapping_in_python(tmp_path: Path) -> None:
    data = tmp_path / "other.csv"
    data.write_text(csv_data(OTHER_HEADER), encoding="utf-8")
    scheme = starrules.loads(SCHEME)
    table = read_table(data, mapping={"支部": "名称", "得分（百分制）": "分数"}, inputs=[i.name for i in scheme.inputs])
    assert table.header[:3] == ("名称", "单位", "分数")
    assert table.renamed == {"名称": "支部", "分数": "得分（百分制）"}
    rating = scheme.rate(table.records)
    assert [o.level for o in rating.outcomes] == [3, 2, 0, None, None, 0]


def test_mapping_mistakes(scheme_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "other.csv"
    data.write_text(csv_data(OTHER_HEADER), encoding="utf-8")
    inputs = [i.name for i in starrules.loads(SCHEME).inputs]
    with pytest.raises(DataError, match="'分树', which is not an input of the scheme; did you mean '分数'"):
        read_table(data, mapping={"得分（百分制）": "分树"}, inputs=inputs)
    # 单位 is already a column: mapping another column onto it would hide one of them
    with pytest.raises(DataError, match="'支部' is mapped to '单位', but the file has a column '单位' as well"):
        read_table(data, mapping={"支部": "单位"}, inputs=inputs)
    # a mapping may name columns another year's file lacks: a warning, not an error
    table = read_table(data, mapping={"支部": "名称", "得分（百分制）": "分数", "党组织名称": "备注"}, inputs=inputs)
    assert table.warnings == (f"the mapping names the column '党组织名称', which {data} does not have",)
    bad = tmp_path / "bad-map.csv"
    bad.write_text("column,input\n支部,名称\n得分（百分制）,名称\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 3: the columns '支部' and '得分（百分制）' are both mapped to '名称'"):
        load_mapping(bad)
    bad.write_text("column,input\n支部\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: expected two cells"):
        load_mapping(bad)
    assert main(["run", str(scheme_file), str(data), "--map", str(tmp_path / "none.csv")]) == 3
    assert "cannot read" in capsys.readouterr().err


# ---- writing -----------------------------------------------------------------------------


def read_output(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The result rows of an output file, every value as text ("" for none), and what
    the file says about its scheme and counts."""
    suffix = path.suffix
    if suffix == ".csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so that spreadsheets read UTF-8
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        if not rows:
            return rows, {}
        first = rows[0]
        meta = {"title": first["scheme"], "version": first["scheme_version"], "sha256": first["scheme_sha256"],
                "period": first["period"]}
        assert all({k: r[k] for k in ("scheme", "scheme_version", "scheme_sha256", "period")}
                   == {k: first[k] for k in ("scheme", "scheme_version", "scheme_sha256", "period")} for r in rows)
        return rows, meta
    if suffix == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        rows = [_flat(r) for r in doc["results"]]
        meta = {**doc["scheme"], "period": "" if doc["period"] is None else str(doc["period"]), "counts": doc["counts"]}
        return rows, meta
    if suffix == ".jsonl":
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        rows = [_flat(r) for r in lines]
        if not rows:
            return rows, {}
        meta = {**lines[0]["scheme"], "period": "" if lines[0]["period"] is None else str(lines[0]["period"])}
        assert all(line["scheme"] == lines[0]["scheme"] for line in lines)
        return rows, meta
    wb = openpyxl.load_workbook(path)
    table = list(wb["results"].iter_rows(values_only=True))
    rows = [{h: _show(v) for h, v in zip(table[0], r)} for r in table[1:]]
    about = {str(k): v for k, v in wb["scheme"].iter_rows(values_only=True)}
    meta = {"title": about["scheme"], "version": about["scheme_version"], "sha256": about["scheme_sha256"],
            "period": _show(about["period"]), "counts": {k: about[k] for k in COUNTS}}
    return rows, meta


def _show(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return fmt_number(Decimal(repr(v)))
    return str(v)


SCORE_COLUMNS = {"加分": "bonus:加分", "扣分": "penalty:扣分"}  # the total, 得分, is the column "total"


def _flat(r: dict[str, Any]) -> dict[str, Any]:
    return {**{k: _show(v) for k, v in r.items() if not isinstance(v, (dict, list))},
            "flags": "、".join(r["flags"]), "level_before_quotas": _show(r["level_before"]),
            **{SCORE_COLUMNS[k]: _show(v) for k, v in r["scores"].items()},
            **{rule: "✔" for rule in r["rules"]}}


OUTPUT_KINDS = ["csv", "json", "jsonl", "xlsx"]


@pytest.mark.parametrize("out_kind", OUTPUT_KINDS)
@pytest.mark.parametrize("in_kind", ["csv", "xlsx"])
def test_round_trip_through_every_output(in_kind: str, out_kind: str, scheme_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = data_file(tmp_path, in_kind)
    out = tmp_path / f"out.{out_kind}"
    assert main(["run", str(scheme_file), str(data), "-o", str(out), "--period", "2024"]) == 0
    assert capsys.readouterr().err.strip().splitlines()[-1] == "rows in: 6, rated: 4, invalid: 1, ineligible: 1"
    rows, meta = read_output(out)
    assert (meta["title"], meta["version"], meta["sha256"], meta["period"]) == ("读写测试", "3", SHA, "2024")
    if "counts" in meta:
        assert meta["counts"] == COUNTS
    assert [r["id"] for r in rows] == IDS and [r["row"] for r in rows] == ["2", "3", "4", "5", "6", "7"]
    for r in rows:
        _, status, level, label, total, reason, flags, rank = EXPECTED[r["id"]]
        if in_kind == "xlsx" and r["id"] == "丁":  # a number cell, no text: shown unquoted
            reason = "column 分数: 101 is not valid; expected a score from 0 to 100"
        assert (r["status"], r["level"], r["level_label"], r["total"], r["reason"], r["flags"], r["rank"]) == (
            status, "" if level is None else str(level), label or "", total or "", reason or "", flags,
            "" if rank is None else str(rank))
    by_id = {r["id"]: r for r in rows}
    # the bonus and penalty of each rated row: 甲 4 and 0, 乙 0 and 10, 丙 2 and 0, 己 4 and 5
    assert [(by_id[i]["bonus:加分"], by_id[i]["penalty:扣分"]) for i in ("甲", "乙", "丙", "己")] == [
        ("4", "0"), ("0", "10"), ("2", "0"), ("4", "5")]
    # the rules that applied: 乙's cap (not 按期换届), 丙's veto and flag, 戊's disqualification, 己's flag
    rule_columns = ["disqualify:企业不参评", "cap:未按期换届不得定为三星", "veto:满意率低于50%", "flag:整顿",
                    "quota:三星级不超过1个"]
    applied = {i: [c for c in rule_columns if by_id[i].get(c) == "✔"] for i in IDS}
    assert applied == {"甲": [], "乙": ["cap:未按期换届不得定为三星"], "丙": ["veto:满意率低于50%", "flag:整顿"],
                       "丁": [], "戊": ["disqualify:企业不参评"], "己": ["flag:整顿"]}
    # the output reads back as data: the results of one run can be the input of another tool
    if out_kind != "json":
        back = read_table(out)
        assert [str(r.values["id"]) for r in back.rows] == IDS


def _trimmed(row: tuple[object, ...]) -> tuple[object, ...]:
    """A sheet's row without the empty cells after its last value."""
    cells = list(row)
    while cells and cells[-1] is None:
        cells.pop()
    return tuple(cells)


def test_xlsx_summary_sheet_against_the_quota(scheme_file: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.xlsx"
    assert main(["run", str(scheme_file), str(data_file(tmp_path, "csv")), "-o", str(out)]) == 0
    rows = [_trimmed(r) for r in openpyxl.load_workbook(out)["summary"].iter_rows(values_only=True)]
    assert rows[0] == ("group_by", "group", "rows", "rated", "invalid", "ineligible", "3星", "2星", "1星", "无星")
    # 一组: 甲 3星, 乙 2星, 己 无星; 二组: 丙 无星, 丁 invalid, 戊 ineligible
    assert rows[1:4] == [(None, "all", 6, 4, 1, 1, 1, 1, 0, 2),
                         ("单位", "一组", 3, 3, 0, 0, 1, 1, 0, 1),
                         ("单位", "二组", 3, 1, 1, 1, 0, 0, 0, 1)]
    assert rows[4] == ()  # the blank row between the two tables
    quota = dict(zip(rows[5], rows[6]))
    # at most 1 at 3星 among the 4 rated: 1 before (甲), 1 after: met
    assert (quota["rule"], quota["group"], quota["target"], quota["before"], quota["after"], quota["met"]) == (
        "三星级不超过1个", "all", 1, 1, 1, "met")


def test_format_option_and_xlsx_to_stdout(scheme_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = data_file(tmp_path, "csv")
    assert main(["run", str(scheme_file), str(data), "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == IDS
    out = tmp_path / "results.txt"
    assert main(["run", str(scheme_file), str(data), "-o", str(out), "--format", "json"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["counts"] == COUNTS
    assert main(["run", str(scheme_file), str(data), "--format", "xlsx"]) == 2
    assert "cannot go to standard output" in capsys.readouterr().err


def test_new_file_mode_follows_the_umask(scheme_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.csv"
    old = os.umask(0o022)
    try:
        assert main(["run", str(scheme_file), str(data_file(tmp_path, "csv")), "-o", str(out)]) == 0
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # not the 0600 of a temporary file


def test_results_in_python(tmp_path: Path) -> None:
    scheme = starrules.loads(SCHEME)
    table = read_table(data_file(tmp_path, "csv"))
    rating = scheme.rate(table.records, period=2024)
    results = Results(scheme, rating, table.rows, period=2024)
    assert results.counts() == COUNTS
    assert [str(p) for p in results.problems()] == [
        "row 5: column 分数: '101' is not valid; expected a score from 0 to 100"]
    buf = io.StringIO()
    assert write_results(results, fmt="jsonl", stream=buf) == "jsonl"
    assert [json.loads(line)["status"] for line in buf.getvalue().splitlines()] == [
        "rated", "rated", "rated", "invalid", "ineligible", "rated"]
    with pytest.raises(ValueError, match="6 rows but 5 outcomes"):
        Results(scheme, scheme.rate(table.records[:5]), table.rows)


# ---- nothing lost: any population, any format --------------------------------------------


PROPERTY_SCHEME = starrules.loads(SCHEME)
INPUTS = {i.name: i for i in PROPERTY_SCHEME.inputs}


def cell_text(name: str, value: object) -> str:
    """A value as a CSV cell writes it (a percentage with its sign, a set as 、-separated)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, frozenset):
        return "、".join(sorted(value))
    if isinstance(value, Decimal):
        return fmt_number(value * 100) + "%" if INPUTS[name].type.kind == "percent" else fmt_number(value)
    return "" if value is None else str(value)


@st.composite
def mixed_populations(draw: st.DrawFn) -> list[dict[str, str]]:
    """Valid records with some invalid ones among them (ids kept unique)."""
    rows = draw(populations(PROPERTY_SCHEME, size=st.integers(0, 25)))
    bad = draw(st.lists(invalid_inputs(PROPERTY_SCHEME), max_size=5))
    for k, (record, _) in enumerate(bad):
        record["名称"] = f"坏{k}"
        rows.insert(draw(st.integers(0, len(rows))), record)
    return [{h: cell_text(h, r.get(h)) for h in HEADER} for r in rows]


def _rows_out(out: Path) -> list[dict[str, Any]]:
    return read_output(out)[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed_populations(), st.sampled_from(OUTPUT_KINDS))
def test_every_row_comes_out_once_in_order(rows: list[dict[str, str]], out_kind: str) -> None:
    scheme = PROPERTY_SCHEME
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.csv"
        data.write_text(csv_data(HEADER, [[r[h] for h in HEADER] for r in rows]), encoding="utf-8")
        table = read_table(data)
        rating = scheme.rate(table.records)
        results = Results(scheme, rating, table.rows)
        out = Path(tmp) / f"out.{out_kind}"
        write_results(results, out)
        back = _rows_out(out)
    counts = rating.counts()
    assert counts["rows"] == len(rows) == len(back)
    assert counts["rated"] + counts["ineligible"] + counts["invalid"] == counts["rows"]
    # each input row once, in order: the file's lines 2, 3, ... and the ids as written
    assert [r["row"] for r in back] == [str(k) for k in range(2, len(rows) + 2)]
    assert [r["id"] for r in back] == [r["名称"] for r in rows]
    assert sum(1 for r in back if r["status"] == "rated") == counts["rated"]
    assert sum(1 for r in back if r["status"] == "invalid") == counts["invalid"]
    assert all(r["status"] == "rated" or r["reason"] for r in back)  # every row not rated says why


# ---- interrupted writes ----------------------------------------------------------------------


def big_data(path: Path, n: int) -> None:
    # every row valid: 分数 k mod 100 in steps of 0.5, the rest fixed
    rows = [[f"单位{k:05d}", "一组" if k % 2 else "二组", fmt_number(Decimal(k % 200) / 2), "0", "90%", "是", "机关",
             "", ""] for k in range(n)]
    path.write_text(csv_data(HEADER, rows), encoding="utf-8")


def _start(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "starrules.cli", *args], cwd=ROOT, **kw)


def _wait_for(path: Path, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, "the run ended before it reached the write"
        assert time.monotonic() < deadline, "the run never reached the write"
        time.sleep(0.01)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_write_leaves_the_old_file_and_no_temporary(how: signal.Signals, scheme_file: Path,
                                                                tmp_path: Path) -> None:
    data = tmp_path / "big.csv"
    big_data(data, 1000)
    out = tmp_path / "out.csv"
    old = "id,level\n旧,3\n".encode("utf-8-sig")
    out.write_bytes(old)
    marker = tmp_path / "paused"
    proc = _start(["run", str(scheme_file), str(data), "-o", str(out)], env={**os.environ, PAUSE_ENV: str(marker)},
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_for(marker, proc)
    # the writer stopped with its temporary file complete and not yet renamed: interrupt it there
    tmp = Path(marker.read_text(encoding="utf-8"))
    assert tmp.parent == tmp_path and tmp.name.startswith(".out.csv.") and tmp.stat().st_size > 1000 * 50
    proc.send_signal(how)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert b"Traceback" not in err
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "out.csv", "paused", "test.star"]


def test_sigkill_mid_write_never_leaves_a_half_file(scheme_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "big.csv"
    big_data(data, 500)
    out = tmp_path / "out.csv"
    out.write_bytes(b"old\n")
    marker = tmp_path / "paused"
    proc = _start(["run", str(scheme_file), str(data), "-o", str(out)], env={**os.environ, PAUSE_ENV: str(marker)},
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(marker, proc)
    tmp = Path(marker.read_text(encoding="utf-8"))
    proc.kill()
    proc.wait(timeout=60)
    # nothing can run after SIGKILL: the temporary file stays (a hidden .out.csv.*.tmp), the target is intact
    assert out.read_bytes() == b"old\n"
    assert tmp.exists()


def test_the_pause_hook_lets_the_write_finish(scheme_file: Path, tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    big_data(data, 10)
    out = tmp_path / "out.csv"
    marker = tmp_path / "paused"
    proc = _start(["run", str(scheme_file), str(data), "-o", str(out)], env={**os.environ, PAUSE_ENV: str(marker)},
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(marker, proc)
    assert not out.exists()  # not before the rename
    marker.unlink()
    assert proc.wait(timeout=60) == 0
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 11


def test_killed_while_rating_with_progress_on_a_terminal(scheme_file: Path, tmp_path: Path) -> None:
    """More than 10,000 rows, stderr a terminal: progress shows; the run is stopped as
    soon as it does (mid-rating), and the old output is untouched, with no temporary file."""
    import pty

    data = tmp_path / "big.csv"
    big_data(data, 12_000)
    out = tmp_path / "out.csv"
    out.write_bytes(b"old\n")
    leader, follower = pty.openpty()
    proc = _start(["run", str(scheme_file), str(data), "-o", str(out)], stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    try:
        while b"of 12,000 rows" not in seen:
            chunk = os.read(leader, 1024)
            assert chunk, "stderr closed before any progress"
            seen += chunk
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) != 0
    finally:
        if proc.poll() is None:  # pragma: no cover - only when an assertion above failed
            proc.kill()
        os.close(leader)
    assert b"\rrated 1,000 of 12,000 rows" in seen
    assert out.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.csv", "out.csv", "test.star"]


# ---- progress ----------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("terminal", "quiet", "shown"), [(True, False, True), (True, True, False), (False, False, False)])
def test_progress_only_on_a_terminal_and_not_quiet(terminal: bool, quiet: bool, shown: bool, scheme_file: Path,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "PROGRESS_FROM", 4)  # six rows count as a large run here
    monkeypatch.setattr(cli, "PROGRESS_EVERY", 2)
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    args = ["run", str(scheme_file), str(data_file(tmp_path, "csv"))] + (["--quiet"] if quiet else [])
    assert main(args) == 0
    text = err.getvalue()
    assert ("\rrated 2 of 6 rows" in text and "\rrated 6 of 6 rows" in text and "\rwritten 4 of 6 rows" in text) is shown
    assert ("\r" in text) is shown
    assert text.strip().splitlines()[-1] == "rows in: 6, rated: 4, invalid: 1, ineligible: 1"
