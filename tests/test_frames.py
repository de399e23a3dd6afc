"""DataFrames in and out (starrules.frames, Scheme.rate and Scheme.rate_frame).

pandas and polars are in the ``dev`` extra, so these tests run in CI; they are imported
here directly, never skipped. The reference for every comparison is the scheme rating
the same records given as plain mappings (the CSV's rows, or the generated records).
"""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest
from example_data import read_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules import frames
from starrules import nodes as n
from starrules.frames import FrameError, Records, Row
from starrules.population import Rating
from starrules.testing import populations
from starrules.values import coerce

ROOT = Path(__file__).resolve().parent.parent
ANYANG = starrules.load(ROOT / "schemes" / "anyang.star")
ANYANG_CSV = ROOT / "schemes" / "examples" / "anyang.csv"
AREAS = ("组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度", "党建引领群团", "遵章守纪",
         "设施配套", "落实上级工作", "服务意识群众基础")
SCHEMES = sorted((ROOT / "schemes").glob("*.star"))


def csv_rating() -> Rating:
    return ANYANG.rate(read_rows(ANYANG_CSV, "支部名称"))


def text_frames() -> dict[str, Any]:
    """The CSV read with every column as text: blanks are missing cells."""
    return {"pandas": pd.read_csv(ANYANG_CSV, dtype=str),
            "polars": pl.read_csv(ANYANG_CSV, infer_schema_length=0)}


def numeric_frames() -> dict[str, Any]:
    """The CSV read with the libraries' own types: the scores are floats, the counts
    floats with NaN (pandas) or integers with nulls (polars)."""
    return {"pandas": pd.read_csv(ANYANG_CSV), "polars": pl.read_csv(ANYANG_CSV)}


# ---- in: the bundled Anyang data ------------------------------------------------------


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_text_frame_rates_as_the_csv_rows(kind: str) -> None:
    frame = text_frames()[kind]
    expected = csv_rating()
    got = ANYANG.rate(frame)
    assert len(got.outcomes) == len(frame) == 39
    # every field of every outcome, the problems of the invalid rows included
    assert got.outcomes == expected.outcomes
    assert got.reports == expected.reports
    assert got.counts() == expected.counts()
    assert got.summary() == expected.summary()


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_numeric_frame_rates_as_the_csv_rows(kind: str) -> None:
    frame = numeric_frames()[kind]
    assert frame.schema["组织健全"] == pl.Float64 if kind == "polars" else frame["组织健全"].dtype == "float64"
    expected = csv_rating()
    got = ANYANG.rate(frame)
    assert len(got.outcomes) == 39
    # a float cell is handed on as its shortest text, so even the bad values of lines 38
    # and 39 (rows 36 and 37) are shown as the CSV shows them
    assert got.outcomes == expected.outcomes
    assert got.reports == expected.reports
    assert [o.reason for o in got.outcomes[36:38]] == [
        "组织健全: '10.5' is not valid; expected a score from 0 to 10",
        "设施配套: '9.55' is not valid; expected a multiple of 0.1 from 0 to 10"]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("typed", [False, True])
def test_rate_frame_gives_the_outcomes_as_a_frame(kind: str, typed: bool) -> None:
    frame = (numeric_frames() if typed else text_frames())[kind]
    expected = csv_rating()
    out = ANYANG.rate_frame(frame)
    assert type(out) is type(frame)
    assert rows_of(out) == expected_rows(expected, ANYANG)


def test_first_rows_by_hand() -> None:
    """The first two lines of anyang.csv, worked out from the scheme.

    Line 2 (row 0), 市财政局机关第一党支部: ten areas at 9 = 90, no bonus, no penalty
    (satisfaction 95%), 90 is in [90, ..): five stars by the band. Nine of the 36 rated
    branches reach five stars by the band (totals 111, 94, 91.5 and six at 90: summed
    from the CSV by hand, with their bonuses, penalties and caps); the quota allows
    floor(10% × 36) = 3, the three highest totals keep five stars, and the six at 90,
    this branch among them, move to four: four stars, the quota its reason.
    Line 3 (row 1): nine areas at 9 and one at 8.9 = 89.9: four stars by the band."""
    out = ANYANG.rate_frame(pd.read_csv(ANYANG_CSV, dtype=str))
    first = out.iloc[0]
    assert first["id"] == "市财政局机关第一党支部" and first["所属单位"] == "市财政局机关党委"
    assert first["total"] == Decimal("90") and first["score:基础分"] == Decimal("90")
    assert (first["level_before"], first["level"], first["level_label"]) == (5, 4, "四星级")
    assert first["reason"] == "五星级一般不超过总数的10%"
    second = out.iloc[1]
    assert second["total"] == Decimal("89.9") and second["level"] == 4 and pd.isna(second["reason"])
    assert list(out["status"]).count("invalid") == 3 and list(out["status"]).count("rated") == 36
    assert (out["level"] == 5).sum() == 3


# ---- in: missing cells ----------------------------------------------------------------


def null_rows() -> list[dict[str, Any]]:
    """Four branches with missing cells (None), worked out by hand below."""
    nine = dict.fromkeys(AREAS, 9.0)
    eight = dict.fromkeys(AREAS, 8.0)
    blank = dict.fromkeys(("表彰", "创新推广", "工委通报", "市委通报", "班子处分", "班子撤职", "党员违纪", "换届情况",
                           "缺席次数"))
    return [
        # 90, defaulted cells all blank (no commendation, no penalty, 按期): five stars by the band
        {"支部名称": "甲支部", "所属单位": "一党委", **nine, **blank, "民主评议满意率": "95%"},
        # 组织健全 blank: a score has no default, so the row is invalid
        {"支部名称": "乙支部", "所属单位": "一党委", **nine, **blank, "组织健全": None, "民主评议满意率": "95%"},
        # 民主评议满意率 blank: a percent with no default, invalid
        {"支部名称": "丙支部", "所属单位": "二党委", **nine, **blank, "民主评议满意率": None},
        # 80 − 3 × 3 absences = 71: three stars by the band, down one for 3 absences: two stars
        {"支部名称": "丁支部", "所属单位": "二党委", **eight, **blank, "缺席次数": 3.0, "民主评议满意率": "88%"},
    ]


def null_frame(kind: str) -> Any:
    rows = null_rows()
    if kind == "pandas":
        return pd.DataFrame(rows)  # None in a float column is NaN, in a text column None
    return pl.DataFrame(rows, infer_schema_length=None)  # None is null


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_missing_cells_are_blank_cells(kind: str) -> None:
    frame = null_frame(kind)
    if kind == "pandas":
        assert pd.isna(frame.loc[1, "组织健全"]) and pd.isna(frame.loc[0, "工委通报"])
    rating = ANYANG.rate(frame)
    assert rating.outcomes == ANYANG.rate(null_rows()).outcomes
    o = rating.outcomes
    assert [x.status for x in o] == ["rated", "invalid", "invalid", "rated"]
    # 甲: 90 → five stars by the band; two branches are rated, floor(10% × 2) = 0 may be
    # five-star, so the quota moves it to four: level_before 5, level 4.
    assert (o[0].total, o[0].level_before, o[0].level, o[0].reason) == (Decimal(90), 5, 4, "五星级一般不超过总数的10%")
    assert o[0].rank == 1
    assert o[1].reason == "组织健全: (missing) is not valid; expected a score from 0 to 10 in steps of 0.1 (the value is missing)"
    assert o[1].id == "乙支部" and o[1].groups == {"所属单位": "一党委"}
    assert o[2].reason.startswith("民主评议满意率: (missing) is not valid; expected a percentage")  # type: ignore[union-attr]
    # 丁: 80 − 9 = 71 → [70, 80) three stars, demoted one: two stars; 2 > 1, no flag
    assert (o[3].total, o[3].level_before, o[3].level) == (Decimal(71), 2, 2)
    assert o[3].reason == "无故缺席累计3次及以上，降低一个星级" and o[3].rank == 2 and o[3].flags == ()
    out = rows_of(ANYANG.rate_frame(frame))
    assert [r["status"] for r in out] == ["rated", "invalid", "invalid", "rated"]
    assert out[1]["total"] is None and out[1]["level"] is None and out[1]["rank"] is None
    assert out[1]["score:基础分"] is None and out[1]["所属单位"] == "一党委"
    assert out[3]["penalty:扣分"] == Decimal(9) and out[3]["score:基础分"] == Decimal(80)


# ---- in: floats ------------------------------------------------------------------------

FLOATS = """
scheme "小数" version "1"
levels stars 0..1
input 编号 : id
input 步进 : score 0..10 step 0.1
input 自由 : score 0..10
total 合计 = 步进 + 自由
band 合计 { 1: [5, ..)  0: (.., 5) }
"""


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_floats_are_read_through_their_shortest_text(kind: str) -> None:
    scheme = starrules.loads(FLOATS)
    third = 0.1 + 0.2  # the float nearest 0.3 is another one: its shortest text is 0.30000000000000004
    assert repr(third) == "0.30000000000000004"
    data = {"编号": ["a", "b", "c"], "步进": [8.5, 1.0, third], "自由": [0.1, third, 1.0]}
    frame = pd.DataFrame(data) if kind == "pandas" else pl.DataFrame(data)
    o = scheme.rate(frame).outcomes
    # a: 8.5 + 0.1, both exact: 8.6 (a float sum would give 8.6 too, but 8.5 + 0.1 are read
    # as the decimals they print as)
    assert o[0].total == Decimal("8.6") and o[0].level == 1
    # b: 自由 has no step, and holds the float printed 0.30000000000000004: it is read as
    # that, not as 0.3: 1 + 0.30000000000000004
    assert o[1].total == Decimal("1.30000000000000004")
    # c: 步进 must be a multiple of 0.1, and 0.30000000000000004 is not: invalid, not rounded
    assert o[2].status == "invalid"
    assert o[2].reason == "步进: '0.30000000000000004' is not valid; expected a multiple of 0.1 from 0 to 10"


NUMERIC_INPUTS = [i for i in starrules.loads("""
scheme "数" version "1"
levels stars 0..1
input 分 : score 0..1000
input 次 : count
input 率 : percent
band 分 { 1: [5, ..)  0: (.., 5) }
""").inputs]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(NUMERIC_INPUTS),
       st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**45, 10**45), st.booleans(),
                 st.decimals(allow_nan=False, places=3), st.none(), st.text(max_size=4)))
def test_numbers_handed_on_as_text_read_as_the_same_value(inp: Any, raw: Any) -> None:
    """A number in a numeric input's column is handed on as text only where
    coerce reads the text as the very value it reads the number as (or refuses both)."""
    (handed,) = frames._numbers_as_text([raw])
    if handed is not raw:
        assert isinstance(handed, str) and type(raw) in (int, float)
    before, problem_before = coerce(inp, raw)
    after, problem_after = coerce(inp, handed)
    assert before == after and (problem_before is None) == (problem_after is None)


def test_numbers_handed_on_as_text() -> None:
    assert frames._numbers_as_text([8.5, 9.0, 3, -3, 1e-05, float("inf"), True, Decimal("1.5"), None, 10**50]) == [
        "8.5", "9.0", "3", "-3", 1e-05, float("inf"), True, Decimal("1.5"), None, 10**50]


def test_text_inputs_take_no_floats() -> None:
    """An id read as a number column with a blank is a float column (1.0, NaN): a float
    is no text, and the rows are invalid rather than named '1.0'. Read ids as text."""
    scheme = starrules.loads(FLOATS)
    frame = pd.DataFrame({"编号": [1.0, None], "步进": [1.0, 1.0], "自由": [5.0, 5.0]})
    assert [o.status for o in scheme.rate(frame).outcomes] == ["invalid", "invalid"]
    frame = pd.DataFrame({"编号": [1, 2], "步进": [1.0, 1.0], "自由": [5.0, 5.0]})  # integers are texts: "1", "2"
    assert [o.id for o in scheme.rate(frame).outcomes] == ["1", "2"]


def test_decimal_and_integer_columns() -> None:
    scheme = starrules.loads(FLOATS)
    frame = pl.DataFrame({"编号": ["a"], "步进": [Decimal("2.5")], "自由": [3]},
                         schema={"编号": pl.String, "步进": pl.Decimal(10, 1), "自由": pl.Int64})
    # 2.5 + 3 = 5.5 → [5, ..) level 1
    (o,) = scheme.rate(frame).outcomes
    assert o.total == Decimal("5.5") and o.level == 1


def test_polars_nan_is_a_bad_value_not_a_blank() -> None:
    scheme = starrules.loads(FLOATS)
    frame = pl.DataFrame({"编号": ["a"], "步进": [float("nan")], "自由": [1.0]})
    (o,) = scheme.rate(frame).outcomes
    assert o.status == "invalid" and o.reason is not None and o.reason.startswith("步进: nan is not valid")


# ---- in: order, and the records themselves ------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(39)), st.sampled_from(["pandas", "polars"]))
def test_order_of_rows_does_not_matter(order: list[int], kind: str) -> None:
    frame = text_frames()[kind]
    shuffled = frame.iloc[order] if kind == "pandas" else frame[order]
    base = {r["id"]: r for r in rows_of(ANYANG.rate_frame(frame))}
    got = rows_of(ANYANG.rate_frame(shuffled))
    assert [r["id"] for r in got] == [base[r["id"]]["id"] for r in got]  # in the shuffled order
    for i, r in enumerate(got):
        assert {**r, "row": order[i]} == base[r["id"]]


def test_rows_are_records() -> None:
    recs = frames.records(pd.DataFrame({"a": [1, None], "b": ["x", "y"]}))
    assert isinstance(recs, Records) and len(recs) == 2
    row = recs[1]
    assert isinstance(row, Row)
    assert row.get("a") is None and row.get("b") == "y" and row.get("c") is None and row.get("c", 5) == 5
    assert dict(row) == {"a": None, "b": "y"} and row["b"] == "y" and len(row) == 2
    with pytest.raises(KeyError):
        row["c"]
    assert recs[-1] == row and [dict(r) for r in recs[0:1]] == [{"a": 1.0, "b": "x"}]
    with pytest.raises(IndexError):
        recs[2]
    # only the columns asked for are converted
    assert set(frames.records(pd.DataFrame({"a": [1], "b": [2]}), ["b", "z"]).columns) == {"b"}


def test_pandas_missing_values_of_every_kind() -> None:
    frame = pd.DataFrame({
        "f": [1.5, float("nan")],
        "i": pd.array([1, None], dtype="Int64"),
        "s": pd.array(["x", None], dtype="string"),
        "o": ["x", None],
        "t": [pd.Timestamp("2024-01-01"), pd.NaT],
    })
    first, second = frames.records(frame)
    assert dict(second) == dict.fromkeys("fisot")
    assert (first.get("f"), first.get("i"), first.get("s"), first.get("o")) == (1.5, 1, "x", "x")
    assert type(first.get("i")) is int and type(first.get("f")) is float


def test_no_import_unless_a_frame_comes() -> None:
    code = ("import sys, starrules; s = starrules.load('schemes/anyang.star'); s.rate(iter([{}])); "
            "s.rate([]); assert 'pandas' not in sys.modules and 'polars' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_clear_errors() -> None:
    with pytest.raises(FrameError, match="rate_frame takes a pandas or polars DataFrame, not list"):
        ANYANG.rate_frame([{"支部名称": "甲"}])
    twice = pd.DataFrame([[1, 2]], columns=["组织健全", "组织健全"])
    with pytest.raises(FrameError, match="two columns named '组织健全'"):
        ANYANG.rate(twice)
    with pytest.raises(FrameError, match="LazyFrame"):
        ANYANG.rate(pl.DataFrame({"a": [1]}).lazy())
    with pytest.raises(FrameError, match="like must be"):
        frames.to_frame(ANYANG.rate([]), ANYANG, like="excel")
    assert isinstance(FrameError("x"), starrules.StarError)
    assert frames.kind_of(pd.Series([1])) is None and frames.kind_of([1]) is None


# ---- out --------------------------------------------------------------------------------


def test_pandas_output_keeps_the_index_and_the_types() -> None:
    frame = pd.read_csv(ANYANG_CSV, dtype=str, index_col="支部名称")
    frame["支部名称"] = frame.index
    out = ANYANG.rate_frame(frame)
    assert list(out.index) == list(frame.index)
    assert str(out["level"].dtype) == "Int64" and str(out["total"].dtype) == "object"
    assert str(out["status"].dtype) == "string" and str(out["row"].dtype) == "int64"
    statuses = list(out["status"])
    assert [type(v) for v in out["total"]] == [Decimal if s == "rated" else type(None) for s in statuses]


def test_empty_frames_give_empty_frames_with_every_column() -> None:
    for kind, frame in (("pandas", pd.DataFrame(columns=["支部名称"])), ("polars", pl.DataFrame({"支部名称": []}))):
        out = ANYANG.rate_frame(frame)
        assert len(out) == 0 and list(out.columns)[:3] == ["row", "id", "所属单位"], kind
    assert len(frames.to_frame(ANYANG.rate([]), ANYANG, like="polars").columns) == 14


BIG = """
scheme "大数" version "1"
levels grades 低 < 高
input 名称 : id
input status : group
input 甲 : score 0..10
input 乙 : count
total 合计 = 甲 + 乙
band 合计 { 高: [5, ..)  低: (.., 5) }
"""


def test_polars_decimals_that_do_not_fit_are_exact_text() -> None:
    scheme = starrules.loads(BIG)
    data = {"名称": ["a", "b"], "status": ["x", "y"], "甲": ["1.23456789012345678901234567890", "1.5"],
            "乙": ["123456789012345678901234567890", "2"]}
    out = scheme.rate_frame(pl.DataFrame(data))
    # 1.234…890 (29 places) + a 30-digit count: 59 digits, more than a polars Decimal's 38;
    # written as the number is written everywhere (no trailing zero after the point)
    assert out.schema["total"] == pl.String
    assert out["total"].to_list() == ["123456789012345678901234567891.2345678901234567890123456789", "3.5"]
    # grades are text; a group named like a column of the output is renamed
    assert out.schema["level"] == pl.String and out["level"].to_list() == ["高", "低"]
    assert out["group:status"].to_list() == ["x", "y"] and out["status"].to_list() == ["rated", "rated"]
    small = scheme.rate_frame(pl.DataFrame({**data, "甲": ["1.25", "1.5"], "乙": ["3", "2"]}))
    assert small.schema["total"] == pl.Decimal(38, 2) and small["total"].to_list() == [Decimal("4.25"), Decimal("3.50")]


# ---- the property: a frame rates as its records ------------------------------------------------


def rows_of(out: Any) -> list[dict[str, Any]]:
    """An output frame's rows as dicts, missing cells as None."""
    if isinstance(out, pl.DataFrame):
        return out.to_dicts()
    return [{k: (None if v is pd.NA else v) for k, v in r.items()} for r in out.to_dict("records")]


def expected_rows(rating: Rating, scheme: starrules.Scheme) -> list[dict[str, Any]]:
    """What to_frame should hold for a rating, written from the Outcome fields."""
    program = scheme.program
    out = []
    for o in rating.outcomes:
        row: dict[str, Any] = {"row": o.row, "id": o.id}
        row.update({g: o.groups.get(g) for g in program.group_fields})
        row.update(status=o.status, level=o.level, level_label=o.level_label, level_before=o.level_before,
                   reason=o.reason, total=o.total, rank=o.rank, flags="、".join(o.flags))
        for s in program.scores:
            if s.name != program.total:
                row[f"{s.kind}:{s.name}"] = o.result.scores.get(s.name) if o.result is not None else None
        out.append(row)
    return out


def numeric(scheme: starrules.Scheme, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with counts as ints and scores as floats, as a typed frame holds them.
    The generated scores have at most a few places, so each float prints as its text."""
    kinds = {i.name: i.spec for i in scheme.inputs}
    out = []
    for r in records:
        new = dict(r)
        for name, value in r.items():
            if isinstance(kinds[name], n.CountType) and value.strip():
                new[name] = int(value)
            elif isinstance(kinds[name], n.ScoreType) and value.strip():
                new[name] = float(value)
                assert Decimal(repr(new[name])) == Decimal(value)
        out.append(new)
    return out


def make_frame(kind: str, records: list[dict[str, Any]], scheme: starrules.Scheme) -> Any:
    names = [i.name for i in scheme.inputs]
    if kind == "pandas":
        return pd.DataFrame(records, columns=names)
    return pl.DataFrame(records, schema=names if not records else None, infer_schema_length=None)


@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_a_frame_rates_as_its_records(path: Path) -> None:
    scheme = starrules.load(path)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(populations(scheme, size=st.integers(0, 30)), st.sampled_from(["pandas", "polars"]), st.booleans())
    def check(records: list[dict[str, Any]], kind: str, typed: bool) -> None:
        given_records = numeric(scheme, records) if typed else records
        frame = make_frame(kind, given_records, scheme)
        expected = scheme.rate(records, period=2024)
        got = scheme.rate(frame, period=2024)
        assert len(got.outcomes) == len(records)  # rows in == rows out
        assert got.outcomes == expected.outcomes and got.reports == expected.reports
        out = scheme.rate_frame(frame, period=2024)
        assert len(out) == len(records)
        assert rows_of(out) == expected_rows(expected, scheme)

    check()
