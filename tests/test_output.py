"""The JSON writers' fast path (``Results.json_texts``) against its definition
(``json.dumps`` of each of ``Results.records()``), and the workbook's shared tail of
cells against the cells written one by one.

The expected texts are not copied from the program: they are what the standard
library's own encoder makes of the records, which tests/test_data.py checks cell by
cell against the data."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules import xlsx
from starrules.data import read_table
from starrules.output import Results, write_jsonl, write_xlsx
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
