"""The JSON writers' fast path (``Results.json_texts``) against its definition
(``json.dumps`` of each of ``Results.records()``), and the workbook's shared tail of
cells against the cells written one by one.

The expected texts are not copied from the program: they are what the standard
library's own encoder makes of the records, which tests/test_data.py checks cell by
cell against the data."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules import xlsx
from starrules.data import read_table
from starrules.output import Results, write_csv, write_json, write_jsonl, write_xlsx
from starrules.testing import invalid_inputs, populations

ROOT = Path(__file__).resolve().parent.parent
# every bundled scheme with example data that it rates without earlier periods (the two
# that read history are written out in tests/test_badges_history.py)
EXAMPLES = sorted(p for p in (ROOT / "schemes").glob("*.star")
                  if (ROOT / "schemes" / "examples" / f"{p.stem}.csv").exists()
                  and not starrules.load(p).program.uses_history)


def results_of(scheme_path: Path) -> Results:
    scheme = starrules.load(scheme_path)
    table = read_table(ROOT / "schemes" / "examples" / f"{scheme_path.stem}.csv")
    return Results(scheme, scheme.rate(table.records), table.rows)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_json_texts_are_the_records_encoded(path: Path) -> None:
    results = results_of(path)
    expected = [json.dumps(r, ensure_ascii=False) for r in results.records()]
    assert list(results.json_texts()) == expected


PROPERTY = starrules.load(ROOT / "schemes" / "anyang.star")  # caps, a veto, flags, two quotas
ID = PROPERTY.program.id_field or ""


@st.composite
def mixed(draw: st.DrawFn) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = draw(populations(PROPERTY, size=st.integers(0, 20)))
    for k, (record, _why) in enumerate(draw(st.lists(invalid_inputs(PROPERTY), max_size=4))):
        record[ID] = f"坏{k}"
        rows.insert(draw(st.integers(0, len(rows))), record)
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed())
def test_json_texts_equal_the_records_on_generated_populations(rows: list[dict[str, object]]) -> None:
    results = Results(PROPERTY, PROPERTY.rate(rows), rows)
    assert list(results.json_texts()) == [json.dumps(r, ensure_ascii=False) for r in results.records()]
    out = io.StringIO()
    write_jsonl(out, results)
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["row"] for line in lines] == list(range(1, len(rows) + 1))


def sheet_cells(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("xl/worksheets/sheet1.xml").decode("utf-8")


@pytest.mark.parametrize("path", EXAMPLES[:4], ids=lambda p: p.stem)
def test_workbook_rows_are_the_cells_one_by_one(path: Path) -> None:
    """The results sheet made with the rules' marks and the scheme's columns as one
    shared piece of XML is the sheet whose every cell is written on its own."""
    results = results_of(path)
    out = io.BytesIO()
    write_xlsx(out, results)
    one_by_one = io.BytesIO()
    xlsx.write_workbook(one_by_one, [("results", [list(results.columns), *results.lines()], "C2")])
    assert sheet_cells(out.getvalue()) == sheet_cells(one_by_one.getvalue())


def test_a_shared_tail_is_never_a_value_of_the_data() -> None:
    """A text that reads like XML is escaped even when a shared tail of cells holds the
    very same characters."""
    tail = xlsx.Cells(["✔", None])
    cells = xlsx._Cells()
    row = cells.row(1, [tail.xml, tail])
    assert row == ('<row r="1"><c t="inlineStr"><is><t>&lt;c t="inlineStr"&gt;&lt;is&gt;&lt;t&gt;✔&lt;/t&gt;'
                   '&lt;/is&gt;&lt;/c&gt;&lt;c/&gt;</t></is></c><c t="inlineStr"><is><t>✔</t></is></c><c/></row>')


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mixed())
def test_workbook_rows_are_the_cells_one_by_one_on_generated_populations(rows: list[dict[str, object]]) -> None:
    """Each row's XML joined from the pieces made once per kind, group and number
    (``Results.xlsx_rows``) is the row of ``Results.lines()`` written cell by cell: rated
    rows with flags, vetoes, caps and quotas moving them, invalid rows with their problems."""
    results = Results(PROPERTY, PROPERTY.rate(rows), rows)
    assert list(results.counts().items()) == list(results.rating.counts().items())  # read from the level table
    out = io.BytesIO()
    write_xlsx(out, results)
    one_by_one = io.BytesIO()
    xlsx.write_workbook(one_by_one, [("results", [list(results.columns), *results.lines()], "C2")])
    assert sheet_cells(out.getvalue()) == sheet_cells(one_by_one.getvalue())


# ---- every writer on rows worked out by hand -------------------------------------------

TWO_GROUPS = starrules.loads("""\
scheme "Writers test" version "2"
levels stars 0..3 { 0: "none", 1: "one star", 2: "two stars", 3: "three stars" }
input name : id
input region : group
input team : group
input points : score 0..100 step 0.5
input warnings : count 0..10 default 0
input members : count
input sampled : count
input kind : one of {office, firm}
penalty minus { "each warning": 5 each warnings }
total result = points - minus
band result { 3: [90, ..)  2: [75, 90)  1: [60, 75)  0: (.., 60) }
require "sample within members": sampled <= members
disqualify "firms are not rated" when kind == firm
flag "review" when level <= 1
quota "at most one three-star" { level 3 at most 1 }
""", "two-groups.star")
TWO_GROUPS_ROWS = [dict(zip(["name", "region", "team", "points", "warnings", "members", "sampled", "kind"], r,
                            strict=True)) for r in [
    ["a", "north", "x", "95", "0", "10", "5", "office"],    # 95 -> three stars, the higher of the two: kept
    ["b", "north", "y", "93", "0", "10", "5", "office"],    # 93 -> three stars, moved to two by the quota
    ["c", "south", "x", "70", "2", "10", "5", "office"],    # 70 - 2 x 5 = 60 -> one star, flagged review
    ["d", "south", "x", "80", "0", "4", "5", "office"],     # 5 sampled of 4 members: invalid
    ["e", "south", "y", "99", "0", "10", "5", "firm"],      # a firm: ineligible
    ["f", "north", "x", "120", "0", "10", "5", "office"],   # 120 beyond 0..100: invalid
]]
POINTS_PROBLEM = "column points: '120' is not valid; expected a score from 0 to 100"
# (row, id, level, level_label, total, status, reason, flags, level_before, rules applied);
# the reason of a row a quota moved is that quota
TWO_GROUPS_EXPECTED = [
    (1, "a", 3, "three stars", "95", "rated", None, [], 3, []),
    (2, "b", 2, "two stars", "93", "rated", "at most one three-star", [], 3, ["quota:at most one three-star"]),
    (3, "c", 1, "one star", "60", "rated", None, ["review"], 1, ["flag:review"]),
    (4, "d", None, None, None, "invalid", "sample within members", [], None, ["require:sample within members"]),
    (5, "e", None, None, None, "ineligible", "firms are not rated", [], None, ["disqualify:firms are not rated"]),
    (6, "f", None, None, None, "invalid", POINTS_PROBLEM, [], None, []),
]
# group_by, group, rows, rated, invalid, ineligible, then rated rows by level, highest first
TWO_GROUPS_LEVELS = [
    ["", "all", 6, 3, 2, 1, 1, 1, 1, 0],
    ["region", "north", 3, 2, 1, 0, 1, 1, 0, 0],   # a, b, f
    ["region", "south", 3, 1, 1, 1, 0, 0, 1, 0],   # c, d, e
    ["team", "x", 4, 2, 2, 0, 1, 0, 1, 0],         # a, c, d, f
    ["team", "y", 2, 1, 0, 1, 0, 1, 0, 0],         # b, e
]


def two_groups_results() -> Results:
    return Results(TWO_GROUPS, TWO_GROUPS.rate(TWO_GROUPS_ROWS), TWO_GROUPS_ROWS)


def test_every_writer_on_rows_worked_out_by_hand() -> None:
    """Rated rows (one moved by a quota, one flagged), a failed requirement, a
    disqualification and a value out of range, over two groups, in each format."""
    results = two_groups_results()
    header, levels = results.level_table()
    assert header[2:] == ["rows", "rated", "invalid", "ineligible", "three stars", "two stars", "one star", "none"]
    assert levels == TWO_GROUPS_LEVELS
    assert results.counts() == {"rows": 6, "rated": 3, "invalid": 2, "ineligible": 1,
                                "none": 0, "one star": 1, "two stars": 1, "three stars": 1}

    out = io.StringIO()
    write_jsonl(out, results)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    got = [(r["row"], r["id"], r["level"], r["level_label"], r["total"], r["status"], r["reason"], r["flags"],
            r["level_before"], r["rules"]) for r in records]
    assert got == TWO_GROUPS_EXPECTED
    assert [r["groups"] for r in records[:2]] == [{"region": "north", "team": "x"}, {"region": "north", "team": "y"}]
    assert records[2]["scores"] == {"minus": "10"}
    assert [r["problems"] for r in records[5:]] == [[
        {"row": 6, "id": "f", "column": "points", "input": "points", "value": "120",
         "expected": "a score from 0 to 100"}]]
    assert all(r["scheme"]["title"] == "Writers test" and r["period"] is None for r in records)

    doc = io.StringIO()
    write_json(doc, results)
    whole = json.loads(doc.getvalue())
    assert [dict(r, scheme=records[i]["scheme"], period=None) for i, r in enumerate(whole["results"])] == records
    assert whole["counts"] == results.counts()
    assert [list(line.values()) for line in whole["levels"]] == TWO_GROUPS_LEVELS

    text = io.StringIO()
    write_csv(text, results)
    table = list(csv.reader(io.StringIO(text.getvalue())))
    assert table[0][:14] == ["row", "id", "region", "team", "level", "level_label", "total", "status", "reason",
                             "flags", "level_before_quotas", "rank", "penalty:minus", "require:sample within members"]
    assert [line[7] for line in table[1:]] == ["rated", "rated", "rated", "invalid", "ineligible", "invalid"]
    assert [line[4] for line in table[1:]] == ["3", "2", "1", "", "", ""]

    book = io.BytesIO()
    write_xlsx(book, results)
    wb = openpyxl.load_workbook(io.BytesIO(book.getvalue()))
    assert wb.sheetnames == ["results", "summary", "invalid", "scheme"]
    sheet = list(wb["results"].iter_rows(values_only=True))
    assert list(sheet[0]) == table[0]
    # numbers as numbers, texts as texts, nothing as an empty cell
    assert [line[:11] for line in sheet[1:4]] == [
        (1, "a", "north", "x", 3, "three stars", 95, "rated", None, None, 3),
        (2, "b", "north", "y", 2, "two stars", 93, "rated", "at most one three-star", None, 3),
        (3, "c", "south", "x", 1, "one star", 60, "rated", None, "review", 1)]
    assert [line[:9] for line in sheet[4:]] == [
        (4, "d", "south", "x", None, None, None, "invalid", "sample within members"),
        (5, "e", "south", "y", None, None, None, "ineligible", "firms are not rated"),
        (6, "f", "north", "x", None, None, None, "invalid", POINTS_PROBLEM)]
    marks = {h: [line[k] for line in sheet[1:]] for k, h in enumerate(sheet[0])}
    assert marks["quota:at most one three-star"] == [None, "✔", None, None, None, None]
    assert marks["disqualify:firms are not rated"] == [None, None, None, None, "✔", None]
    summary = wb["summary"].iter_rows(min_row=2, max_row=6, max_col=10, values_only=True)
    assert [["" if v is None else v for v in line] for line in summary] == TWO_GROUPS_LEVELS  # "" is an empty cell
    assert list(wb["invalid"].iter_rows(min_row=2, values_only=True)) == [
        (4, "d", None, None, None, "the requirement 'sample within members' does not hold"),
        (6, "f", "points", "points", "120", "a score from 0 to 100")]


def test_plain_records_are_numbered_from_one() -> None:
    """Records given as plain mappings are rows 1, 2, 3... wherever they are reached."""
    results = two_groups_results()
    assert len(results.rows) == 6
    assert [row.number for row in results.rows] == [1, 2, 3, 4, 5, 6]
    assert (results.rows[0].number, results.rows[5].number, results.rows[-1].number) == (1, 6, 6)
    assert results.rows[-1].values["name"] == "f"
