"""Every command that reads data takes the same options (issue 13.5): --map, --sheet,
--encoding, --header-row and --allow-duplicate-ids, read by one implementation
(``starrules.cli.read_data``); a title above a sheet's header is skipped out loud.

Expected values are worked out by hand from the small scheme below.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from test_cli import SCHEME

from starrules.cli import main
from starrules.data import find_header, read_table

# The scheme of tests/test_cli.py: 分数 less 5 a 通报, vetoed below 50% satisfaction.
# 甲: 92 - 0 = 92 → [90, ..) → 3.  乙: 92 - 2×5 = 82 → [75, 90) → 2.  丙: 61 → [60, 75) → 1.
HEADER = ["名称", "分数", "通报", "满意率"]
ROWS = [["甲", 92, 0, "90%"], ["乙", 92, 2, "85%"], ["丙", 61, None, "75%"]]
LEVELS = {"甲": "3", "乙": "2", "丙": "1"}
TITLE = "2024年度党支部星级评定汇总表"


@pytest.fixture
def scheme(tmp_path: Path) -> Path:
    path = tmp_path / "test.star"
    path.write_text(SCHEME, encoding="utf-8")
    return path


def titled_workbook(path: Path, header: list[str] = HEADER, sheet: str = "汇总") -> Path:
    """The usual government sheet: a title merged across the columns in row 1, a blank
    row 2, the header in row 3, the data from row 4; a first sheet of notes before it."""
    wb = openpyxl.Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "说明"
    notes.append(["本表由各党委填报"])
    ws = wb.create_sheet(sheet)
    ws.append([TITLE])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append([])
    ws.append(header)
    for row in ROWS:
        ws.append(row)
    wb.save(path)
    return path


def levels(out: Path) -> dict[str, str]:
    return {r["id"]: r["level"] for r in csv.DictReader(out.open(encoding="utf-8-sig"))}


def test_a_title_above_a_sheets_header_is_skipped_and_said(scheme: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # Before: row 1 (the title) was taken as the header: no input had its column, nothing was
    # rated, exit 0. Now the header is found in row 3 (the first row naming an input), the
    # rows above are skipped with a warning, and every row is rated.
    book = titled_workbook(tmp_path / "data.xlsx")
    out = tmp_path / "out.csv"
    assert main(["--lang", "en", "run", str(scheme), str(book), "--sheet", "汇总", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert (f"warning: {book}: row 1 above the header (row 3) skipped as a title: {TITLE}; give --header-row N "
            "to choose the header yourself") in err
    assert "no input reads" not in err and "has no column" not in err
    assert levels(out) == LEVELS
    # the rows keep the sheet's numbers: 甲 is on row 4
    assert [r["row"] for r in csv.DictReader(out.open(encoding="utf-8-sig"))] == ["4", "5", "6"]
    # --strict fails on the guess; --header-row says where the header is, and nothing is guessed
    out.unlink()
    assert main(["run", str(scheme), str(book), "--sheet", "汇总", "-o", str(out), "--strict"]) == 1
    assert not out.exists()
    capsys.readouterr()
    assert main(["--lang", "en", "run", str(scheme), str(book), "--sheet", "汇总", "--header-row", "3",
                 "-o", str(out), "--strict"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert levels(out) == LEVELS


def test_a_title_line_above_a_csv_header_is_skipped_too(scheme: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.csv"
    data.write_text(f"{TITLE},,,\n名称,分数,通报,满意率\n甲,92,0,90%\n乙,92,2,85%\n丙,61,,75%\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["--lang", "en", "run", str(scheme), str(data), "-o", str(out)]) == 0
    assert "row 1 above the header (row 2) skipped as a title" in capsys.readouterr().err
    assert levels(out) == LEVELS


def test_the_header_found_without_the_schemes_names() -> None:
    # A title row of one cell above a header of several: the header, though it names no input
    first = [(1, [TITLE, "", ""]), (2, ["姓名", "得分", "备注"]), (3, ["甲", "92", ""])]
    assert find_header(first, set()) == 1
    # a first row of several cells is the header, even when a later row names an input
    assert find_header([(1, ["a", "b"]), (2, ["名称", "分数"])], set()) == 0
    # a single column: its first row
    assert find_header([(1, ["名称"]), (2, ["甲"])], set()) == 0
    # the row naming an input wins over the shape of the rows
    assert find_header([(1, ["填报单位：", "某某党委"]), (2, ["名称", "分数"])], {"名称"}) == 1


def test_header_row_refused_where_it_means_nothing(scheme: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.json"
    data.write_text('[{"名称": "甲", "分数": 92}]', encoding="utf-8")
    assert main(["--lang", "en", "run", str(scheme), str(data), "--header-row", "2"]) == 5
    assert "--header-row is for CSV files and workbooks" in capsys.readouterr().err
    csv_data = tmp_path / "data.csv"
    csv_data.write_text("名称,分数\n甲,92\n", encoding="utf-8")
    assert main(["--lang", "en", "run", str(scheme), str(csv_data), "--header-row", "7"]) == 5
    assert "has no row 7 to take as the header" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # a usage error, as argparse gives them
        main(["run", str(scheme), str(csv_data), "--header-row", "0"])
    assert usage.value.code == 2
    assert read_table(csv_data, header_row=2).header == ("甲", "92")  # the row it is told


def test_report_explain_and_diff_read_data_as_run_does(scheme: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # The sheet's own headers (党支部, 得分, 通报次数) mapped to the inputs by one mapping,
    # the sheet chosen by name, the title skipped: each command rates the same three rows.
    book = titled_workbook(tmp_path / "data.xlsx", header=["党支部", "得分", "通报次数", "满意率"])
    mapping = tmp_path / "map.csv"
    mapping.write_text("column,input\n党支部,名称\n得分,分数\n通报次数,通报\n", encoding="utf-8")
    common = ["--sheet", "汇总", "--map", str(mapping), "--header-row", "3"]
    report = tmp_path / "report.html"
    assert main(["report", str(scheme), str(book), "-o", str(report), *common]) == 0
    assert "乙" in report.read_text(encoding="utf-8")
    capsys.readouterr()
    # explain: 乙 is 92 - 2×5 = 82, two stars
    assert main(["--lang", "en", "explain", str(scheme), str(book), "--id", "乙", *common]) == 0
    out = capsys.readouterr().out
    assert "row 5: 乙" in out and "Outcome: 2星" in out
    # diff: the same scheme with a penalty of 10 a time: 乙 92 - 20 = 72 → [60, 75) → 1 (and
    # flagged 整顿, at one star); 甲 has no 通报 and 丙 none either: unchanged
    harsher = tmp_path / "harsher.star"
    harsher.write_text(SCHEME.replace(": 5 each 通报", ": 10 each 通报"), encoding="utf-8")
    assert main(["--lang", "en", "diff", str(scheme), str(harsher), str(book), *common]) == 1
    out = capsys.readouterr().out
    assert "乙" in out and "甲" not in out
    # without the mapping every command says which columns it cannot read
    assert main(["--lang", "en", "explain", str(scheme), str(book), "--id", "乙", "--sheet", "汇总"]) == 5
    err = capsys.readouterr().err
    assert "no input reads the column '通报次数' (is it '通报'?)" in err


def test_report_refuses_duplicate_ids_and_fails_strict_on_columns(scheme: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.csv"
    data.write_text("名称,分数,通报,满意率\n甲,92,0,90%\n甲,80,0,90%\n", encoding="utf-8")
    report = tmp_path / "report.html"
    assert main(["--lang", "en", "report", str(scheme), str(data), "-o", str(report)]) == 5
    assert "error: the id '甲' is on rows 2, 3" in capsys.readouterr().err
    assert not report.exists()
    assert main(["--lang", "en", "report", str(scheme), str(data), "-o", str(report), "--allow-duplicate-ids"]) == 0
    assert "warning: the id '甲' is on rows 2, 3" in capsys.readouterr().err
    report.unlink()
    data.write_text("名称,分数,通报次数,满意率\n甲,92,0,90%\n", encoding="utf-8")
    assert main(["--lang", "en", "report", str(scheme), str(data), "-o", str(report), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "no input reads the column '通报次数' (is it '通报'?)" in err
    assert not report.exists()
