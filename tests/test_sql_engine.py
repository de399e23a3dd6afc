"""Whole populations on the SQL engines: ``Scheme.rate(engine="duckdb" | "spark")`` and
``starrules run --engine ...`` give the Rating the Python engines give.

The Python engines define the results; each test here compares with them, outcome for
outcome (status, reason, level before and after the quotas, rank, moves, flags, the
entity's own evaluation with every score) and report for report: every bundled scheme
on its example data, generated schemes and populations (the generators of
tests/test_differential.py and starrules.testing), and the command line, byte for byte.
The hand-worked population tests (tests/test_population.py, tests/test_schemes_population.py)
run under DuckDB too. Spark runs a smaller sample: a query takes it seconds.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules.i18n import LANGUAGES, using
from starrules.sql import spark as sp
from starrules.sql.lower import SqlUnsupported
from starrules.testing import populations
from tests.example_data import read_rows
from tests.test_differential import period_for, schemes

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = ROOT / "schemes"
# the schemes that read earlier outcomes: refused by the SQL backend, naming the construct
REFUSED = {"wuxing-fuwu": "vetoed within", "yidong-liuhao": "flagged within"}
RUN = sorted(p.stem for p in SCHEMES.glob("*.star") if p.stem not in REFUSED)


def _data(name: str) -> tuple[starrules.Scheme, list[dict[str, str]]]:
    scheme = starrules.load(SCHEMES / f"{name}.star")
    return scheme, read_rows(SCHEMES / "examples" / f"{name}.csv", scheme.program.id_field or "")


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_scheme_that_reads_earlier_outcomes_is_refused_up_front(name: str, engine: str) -> None:
    scheme, rows = _data(name)
    with pytest.raises(SqlUnsupported, match=re.escape(REFUSED[name])) as exc:
        scheme.rate(rows, engine=engine)  # (Spark: before a session is started)
    # the refusal names the scheme's line that holds the construct
    line = (SCHEMES / f"{name}.star").read_text(encoding="utf-8").splitlines()[exc.value.line - 1]
    assert REFUSED[name].split()[0] in line


def test_an_unknown_engine_or_a_trace_is_refused() -> None:
    scheme, rows = _data("anyang")
    with pytest.raises(ValueError, match="engine must be one of"):
        scheme.rate(rows, engine="oracle")
    with pytest.raises(ValueError, match="keeps no trace"):
        scheme.rate(rows, engine="duckdb", trace=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=schemes(), data=st.data())
def test_generated_populations_on_duckdb_rate_as_python(text: str, data: st.DataObject) -> None:
    # half the time each cell given as a Python value now and then (typed_value), so a
    # column may hold texts, ints, Decimals and floats together: the same statuses,
    # reasons (a bad value shown as Python shows it), levels and reports
    scheme = starrules.loads(text, "generated.star")
    period = period_for(scheme, data.draw)
    records = drawn_records(scheme, data, 16)
    with using(data.draw(st.sampled_from(LANGUAGES), label="language")):  # reasons and notes in either language
        try:
            got = _rated(lambda: scheme.rate(records, engine="duckdb", period=period))
        except SqlUnsupported:
            return  # what the SQL backend cannot compute exactly (tests/test_sql_entity.py says which)
        assert got == _rated(lambda: scheme.rate(records, period=period))


def drawn_records(scheme: starrules.Scheme, data: st.DataObject, most: int) -> list[dict[str, Any]]:
    """A population of 1 to ``most`` records; half the time with each cell given as a
    Python value now and then (:func:`typed_value`)."""
    records = data.draw(populations(scheme, size=st.integers(1, most), edges=True), label="records")
    if data.draw(st.booleans(), label="typed"):
        inputs = {i.name: i for i in scheme.program.inputs}
        records = [{k: typed_value(inputs[k], v, data.draw) if k in inputs else v for k, v in r.items()}
                   for r in records]
    return records


def typed_value(inp: Any, cell: object, draw: st.DrawFn) -> object:
    """A text cell as one of the Python values a driver or a JSON file could give for it
    (or the text itself): a number as an int, a Decimal or a float (only where the
    float's repr is that number), yes/no as a bool or 1/0, a set's members as a list or a
    set; now and then a value of another kind (True, 1.5, a list). The engines must
    agree on any of them, valid or not."""
    if not isinstance(cell, str) or inp.role == "id":  # (ids stay distinct: sp.rate does not check them)
        return cell
    kind = inp.type.kind
    choices: list[object] = [cell]
    if kind in ("number", "count", "percent") and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", cell):
        d = Decimal(cell)
        choices.append(d)
        if d == d.to_integral_value():
            choices.append(int(d))
        if Decimal(repr(float(d))) == d:
            choices.append(float(d))
    elif kind == "bool" and cell in ("是", "yes", "true", "1", "否", "no", "false", "0"):
        yes = cell in ("是", "yes", "true", "1")
        choices += [yes, int(yes)]
    elif kind == "set":
        members = [x for x in cell.split("、") if x]
        choices += [members, set(members)]
    # now and then a value of a kind the input refuses, or reads its own way
    choices += draw(st.lists(st.sampled_from([True, 1, 1.5, Decimal("1.0"), [cell], [1]]), max_size=1))
    return draw(st.sampled_from(choices))


def _rated(rate: Callable[[], starrules.Rating]) -> object:
    """The outcomes and reports of a rating, or the error it raised (a period out of
    force: the same error from every engine); SqlUnsupported is raised."""
    try:
        rating = rate()
    except SqlUnsupported:
        raise
    except starrules.StarError as exc:
        return type(exc).__name__, str(exc)
    return rating.outcomes, rating.reports


# ---- Spark -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = sp.session()
    yield session
    session.stop()


@pytest.mark.parametrize("name", RUN)
def test_bundled_scheme_on_spark_rates_as_python(spark: Any, name: str) -> None:
    # every bundled scheme that SQL can compute, the whole population in Spark SQL
    scheme, rows = _data(name)
    got = sp.rate(scheme.program, rows, spark)
    expected = scheme.rate(rows)
    assert [o.row for o in got.outcomes] == list(range(len(rows)))  # every row out, in order
    assert got.outcomes == expected.outcomes
    assert got.reports == expected.reports


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(text=schemes(), data=st.data())
def test_generated_populations_on_spark_rate_as_python(spark: Any, text: str, data: st.DataObject) -> None:
    # the property above, a smaller sample: Spark takes seconds a query
    scheme = starrules.loads(text, "generated.star")
    period = period_for(scheme, data.draw)
    records = drawn_records(scheme, data, 8)
    with using(data.draw(st.sampled_from(LANGUAGES), label="language")):
        try:
            got = _rated(lambda: sp.rate(scheme.program, records, spark, period))
        except SqlUnsupported:
            return  # what the SQL backend cannot compute exactly (tests/test_sql_entity.py says which)
        assert got == _rated(lambda: scheme.rate(records, period=period))


# ---- the command line ------------------------------------------------------------------


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "starrules", "run", *args], capture_output=True, text=True)


def test_run_on_duckdb_writes_what_the_default_engine_writes() -> None:
    scheme, data = SCHEMES / "anyang.star", SCHEMES / "examples" / "anyang.csv"
    default = _run(str(scheme), str(data))
    duck = _run("--engine", "duckdb", str(scheme), str(data))
    assert default.returncode == duck.returncode == 0, duck.stderr
    assert duck.stdout == default.stdout  # row for row, byte for byte
    assert duck.stderr == default.stderr


def test_run_on_duckdb_refuses_a_scheme_it_cannot_compute() -> None:
    done = _run("--engine", "duckdb", str(SCHEMES / "wuxing-fuwu.star"), str(SCHEMES / "examples" / "wuxing-fuwu.csv"))
    assert done.returncode == 5
    assert "vetoed within" in done.stderr
    assert done.stdout == ""  # nothing written


def test_numbers_of_unlike_places_keep_theirs_at_full_precision() -> None:
    # Found by the property above: an unbounded count is read as DECIMAL(38, 0), and DuckDB
    # typed max()/min() and if/else over it and a number with places as DECIMAL(38, 0), so
    # 2.1 × 5 = 10.5 came out 11. Worked by hand for 次一 = 5: max(5 − 10, 2.1 × 5, 3) = 10.5,
    # min(5, 0.5 × 5) = 2.5, if 5 > 3 then 10.5 else −5 = 10.5, if 5 < 3 then −5 else 10.5 = 10.5.
    scheme = starrules.loads(
        'scheme "位数" version "1"\n'
        "levels stars 0..1\n"
        "input 次一 : count\n"
        "score 大 = max((次一 - 10), (2.1 each 次一), 3)\n"
        "score 小 = min(次一, 0.5 each 次一)\n"
        "score 甲 = if 次一 > 3 then 2.1 each 次一 else 次一 - 10\n"
        "score 乙 = if 次一 < 3 then 次一 - 10 else 2.1 each 次一\n"
        "total 得分 = 大\n"
        "band 得分 { 1: [10.5, ..)  0: else }\n")
    got = scheme.rate([{"次一": "5"}], engine="duckdb").outcomes[0]
    assert got.result is not None
    assert got.result.scores == {"大": Decimal("10.5"), "小": Decimal("2.5"), "甲": Decimal("10.5"),
                                 "乙": Decimal("10.5"), "得分": Decimal("10.5")}
    assert got.level == 1


# ---- the language of the reasons -----------------------------------------------------------

LANGUAGE_SCHEME = """
scheme "语言" version "1"
levels stars 0..5
input 名称: id
input 分数: score 0..100 step 0.5
input 次数: count
total 得分 = 分数
band 得分 { 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  1: [50, 60)  0: (.., 50) }
quota "零星至多一个" { level 0 at most 1  rank by 得分 desc then 名称 asc  ties break }
"""


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_reasons_and_notes_are_in_the_language_of_each_rating(engine: str, request: pytest.FixtureRequest) -> None:
    # Worked by hand. 支部1 has two bad cells: 分数 'x' is not a number and 次数 '1.5' is
    # not whole, so its reason is both problems joined as the Python InputError joins
    # them: "；" in Chinese, "; " in English. 支部2, 支部3 and 支部4 score 10, 20 and 30:
    # no stars. "level 0 at most 1" keeps the best of them (支部4) and would move the
    # other two down, but there is no level below none: the report's note says so for
    # each, in the order of the cut (支部3, then 支部2), joined the same way. The same
    # scheme is rated in Chinese, English and Chinese again, so a query made for one
    # language and kept must not give the other's texts.
    scheme = starrules.loads(LANGUAGE_SCHEME, "语言.star")
    rows = [{"名称": "支部1", "分数": "x", "次数": "1.5"}] + [
        {"名称": f"支部{k}", "分数": score, "次数": "0"} for k, score in ((2, "10"), (3, "20"), (4, "30"), (5, "95"))]

    def rate() -> starrules.Rating:
        if engine == "spark":
            return sp.rate(scheme.program, rows, request.getfixturevalue("spark"))
        return scheme.rate(rows, engine=engine)

    for lang, sep in (("zh", "；"), ("en", "; "), ("zh", "；")):
        with using(lang):
            got, expected = rate(), scheme.rate(rows)
        assert got.outcomes == expected.outcomes
        assert got.reports == expected.reports
        reason, note = got.outcomes[0].reason, got.reports[0].note
        if lang == "en":
            assert reason == ("分数: 'x' is not valid; expected a score from 0 to 100 in steps of 0.5; "
                              "次数: '1.5' is not valid; expected a whole number")
            assert note == "支部3 cannot move beyond 0星; 支部2 cannot move beyond 0星"
        else:
            assert reason is not None and reason.count(sep) == 1 and reason.index("分数") < reason.index("次数")
            assert note is not None and note.count(sep) == 1 and note.index("支部3") < note.index("支部2")


# ---- floats: DOUBLE columns and Python floats --------------------------------------------

FLOAT_SCHEME = """
scheme "浮点" version "1"
levels stars 0..1
input 名称: id
input 分: score 0..100000000 step 0.00001
input 次数: count
input 比例: percent
total 得分 = 分
band 得分 { 1: [1, ..)  0: (.., 1) }
"""

# (分, 次数, 比例) as floats, and the reason the Python engines give, worked out by hand:
# a float is read as the decimal its repr writes (values._decimal), shown as its repr.
FLOATS = [
    ((1e-05, 0.0, 50.0), None),  # repr '1e-05' is 0.00001: on the step
    ((1e7, 3.0, 85.5), None),  # '10000000.0'
    ((12345678.9, 1.0, 100.0), None),
    ((1.5e-05, 0.0, 50.0), "分: 1.5e-05 is not valid; expected a multiple of 0.00001 from 0 to 100000000"),
    ((0.1 + 0.2, 0.0, 50.0), "分: 0.30000000000000004 is not valid; expected a multiple of 0.00001 from 0 to 100000000"),
    ((1e16, 0.0, 50.0), "分: 1e+16 is not valid; expected a score from 0 to 100000000"),
    ((1.0, 2.5, 50.0), "次数: 2.5 is not valid; expected a whole number"),
    ((1.0, 1e-05, 50.0), "次数: 1e-05 is not valid; expected a whole number"),
    ((1.0, -1.0, 50.0), "次数: -1.0 is not valid; expected a whole number from 0 or more"),
    ((1.0, 0.0, 0.5), "比例: 0.5 is not valid; expected a percentage written with its sign: 0.5 is ambiguous "
                      "(write 50% if it is a fraction, 0.5% if not)"),
    ((1.0, 0.0, 1024.0), "比例: 1024.0 is not valid; expected a percentage from 0% to 100%"),
    ((float("inf"), 0.0, 50.0), "分: inf is not valid; expected a score from 0 to 100000000 in steps of 0.00001"),
]


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("source", ["parquet", "records"])
def test_floats_are_read_as_the_decimals_their_reprs_write(source: str, engine: str, tmp_path: Path,
                                                           request: pytest.FixtureRequest) -> None:
    # A DOUBLE column of a Parquet file, and Python floats handed in as records, are read
    # on DuckDB and Spark as the Python engines read a float: 1e-05 is 0.00001 (DuckDB's
    # text of it, '1e-05', used to be refused as not a number, and Spark's, '1.0E7' for
    # 10000000.0, too), and a bad one is shown as its repr, unquoted, as the Python
    # engines show a number.
    import duckdb

    scheme = starrules.loads(FLOAT_SCHEME, "浮点.star")
    records = [{"名称": f"n{k}", "分": a, "次数": b, "比例": c} for k, ((a, b, c), _) in enumerate(FLOATS)]
    data: Any = records
    if source == "parquet":
        data = tmp_path / "floats.parquet"
        con = duckdb.connect()
        con.execute('CREATE TABLE t ("名称" VARCHAR, "分" DOUBLE, "次数" DOUBLE, "比例" FLOAT)')
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", [list(r.values()) for r in records])
        con.execute(f"COPY t TO '{data}' (FORMAT parquet)")
        # 比例 is a FLOAT (4 bytes), widened exactly to the double Python reads: every
        # value of 比例 above is exact in 4 bytes
        con.close()
    python = scheme.rate(data, engine="python").outcomes
    if engine == "spark":
        duck = sp.rate(scheme.program, data, request.getfixturevalue("spark")).outcomes
    else:
        duck = scheme.rate(data, engine="duckdb").outcomes
    for k, ((_, expected), p, d) in enumerate(zip(FLOATS, python, duck, strict=True)):
        assert d.reason == expected, k
        assert (d.status, d.reason, d.level, d.total) == (p.status, p.reason, p.level, p.total), k


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=40))
def test_duckdb_writes_a_double_as_python_writes_its_repr(floats: list[float]) -> None:
    # what reading a DOUBLE column rests on: DuckDB's text of a DOUBLE is Python's repr
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE t (k INT, x DOUBLE)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(floats)))
    texts = [t for _, t in con.execute("SELECT k, x::VARCHAR FROM t ORDER BY k").fetchall()]
    assert texts == [repr(x) for x in floats]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(short=st.lists(st.builds(lambda m, e: float(f"{m}e{e}"), st.integers(-10**15 + 1, 10**15 - 1),
                                st.integers(-330, 300)), max_size=30),
       other=st.lists(st.floats(), max_size=30))
def test_spark_writes_a_double_as_python_writes_its_repr(spark: Any, short: list[float], other: list[float]) -> None:
    # Spark's own text of a double is Java's (1.0E7; on Java 17 sometimes longer than the
    # shortest); reading.float_repr writes Python's repr instead. Every double of at most
    # 15 significant digits is written exactly as repr writes it; any double at all is
    # written as a text that reads back as the same double. (Of 100,000 random doubles, 28
    # of 16 or 17 digits came out one unit off in the last digit, where two texts of that
    # length read back as the double and repr takes the nearer: docs/engines.md says so.)
    from sqlglot import exp

    from starrules.sql.reading import float_repr

    floats = short + other
    frame = spark.createDataFrame([(k, x) for k, x in enumerate(floats)], "k long, x double")
    text = float_repr(exp.column("x")).sql(dialect="spark")
    got = [t for _, t in sorted(frame.selectExpr("k", f"{text} AS t").collect())]
    for x, t in zip(floats, got, strict=True):
        if x != x:
            assert t == "nan"
            continue
        assert float(t) == x and math.copysign(1, float(t)) == math.copysign(1, x), (x, t)
        if len(Decimal(repr(x)).normalize().as_tuple().digits) <= 15:
            assert t == repr(x)


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_float_in_a_column_of_mixed_values_is_read_as_python_reads_it(engine: str,
                                                                        request: pytest.FixtureRequest) -> None:
    # Records whose 分 column mixes ints, floats, a text and a Decimal (as JSON gives 8 and
    # 8.5) go in as texts, as a CSV file would hold them; a float goes in as the decimal
    # the Python engines read it as: 1e-05 is 0.00001, on the step, so rated with no
    # stars (its text '1e-05' used to be refused). By hand: 8, 8.5, 9 and 7.5 are at
    # least 1, one star; 0.00001 is below, none. A bad value in such a column is shown in
    # the reason as the Python engines show it (True, 1.5e-05, a list), not as the text it
    # went into the table as ('true', '1.5e-05', '1、2').
    scheme = starrules.loads(FLOAT_SCHEME, "浮点.star")
    values: list[object] = [8, 8.5, 1e-05, "9", Decimal("7.5"), True, 1.5e-05, [1, 2]]
    rows = [{"名称": f"n{k}", "分": v, "次数": 0, "比例": "50%"} for k, v in enumerate(values)]
    if engine == "spark":
        got = sp.rate(scheme.program, rows, request.getfixturevalue("spark")).outcomes
    else:
        got = scheme.rate(rows, engine=engine).outcomes
    assert [(o.status, o.level) for o in got] == [("rated", 1), ("rated", 1), ("rated", 0), ("rated", 1),
                                                  ("rated", 1), ("invalid", None), ("invalid", None),
                                                  ("invalid", None)]
    assert [o.reason for o in got[5:]] == [
        "分: True is not valid; expected a score from 0 to 100000000 in steps of 0.00001",
        "分: 1.5e-05 is not valid; expected a multiple of 0.00001 from 0 to 100000000",
        "分: [1, 2] is not valid; expected a score from 0 to 100000000 in steps of 0.00001"]
    assert got == scheme.rate(rows).outcomes


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_json_lines_file_is_read_as_python_reads_it(tmp_path: Path, engine: str,
                                                      request: pytest.FixtureRequest) -> None:
    # DuckDB's and Spark's own JSON readers make 8.50000000000000001 the double 8.5, and
    # DuckDB's gives a text in a column of numbers quoted ('"9"'); the Python reader keeps
    # the number's exact decimal and the text. By hand: 8.50000000000000001 is not a
    # multiple of 0.00001 (invalid); "9" is 9, one star; 8 is one star; 0.5 is below 1, none.
    scheme = starrules.loads(FLOAT_SCHEME, "浮点.star")
    data = tmp_path / "mixed.jsonl"
    data.write_text("\n".join([
        '{"名称": "a", "分": 8.50000000000000001, "次数": 0, "比例": "50%"}',
        '{"名称": "b", "分": "9", "次数": 0, "比例": "50%"}',
        '{"名称": "c", "分": 8, "次数": 0, "比例": "50%"}',
        '{"名称": "d", "分": 0.5, "次数": 0, "比例": "50%"}']) + "\n", encoding="utf-8")
    if engine == "spark":
        spark = request.getfixturevalue("spark")
        got = sp.rate(scheme.program, data, spark).outcomes
        # a file Spark itself reads (not on this machine): every value as written, as text
        frame = sp.read(spark, data)
        assert {f.dataType.simpleString() for f in frame.schema.fields} == {"string"}
        assert [r["分"] for r in frame.collect()] == ["8.50000000000000001", "9", "8", "0.5"]
    else:
        got = scheme.rate(data, engine=engine).outcomes
    assert [(o.status, o.level) for o in got] == [("invalid", None), ("rated", 1), ("rated", 1), ("rated", 0)]
    assert got[0].reason == ("分: Decimal('8.50000000000000001') is not valid; expected a multiple of 0.00001 "
                             "from 0 to 100000000")
    assert got == scheme.rate(data, engine="python").outcomes


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_typed_records_with_values_of_the_wrong_kind_rate_as_in_python(engine: str,
                                                                     request: pytest.FixtureRequest) -> None:
    # Anyang records as a driver or a JSON file gives them (Decimals, ints, a float rate, a
    # set and a list), each but the first with one value of a kind the Python engines refuse
    # for its input, or read otherwise than its text would be. By hand: the first is nine
    # points in each area, 90, five stars before the quotas, and four after them (at most
    # 10% of the one rated entity, rounded down, is no place); a list, a bool, a number for a set, an int for a
    # choice are refused by their kind; 1e-05 for the rate is a bare number in (0, 1],
    # ambiguous; Decimal 7.55 is off the 0.1 step. Each refused row's reason shows the value
    # as the Python engines show it ([1], True, 10.5), not the text it went in as.
    scheme = starrules.load(SCHEMES / "anyang.star")
    areas = ["组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度", "党建引领群团", "遵章守纪",
             "设施配套", "落实上级工作", "服务意识群众基础"]
    base: dict[str, object] = {"所属单位": "党委一", **dict.fromkeys(areas, Decimal(9)), "表彰": set(),
                               "创新推广": [], "工委通报": 0, "市委通报": 0, "班子处分": 0, "班子撤职": 0,
                               "党员违纪": 0, "民主评议满意率": 95.0, "换届情况": "按期", "缺席次数": 0}
    wrong = [{}, {"组织健全": [1]}, {"工委通报": True}, {"表彰": 10.5}, {"换届情况": 1},
             {"民主评议满意率": 1e-05}, {"制度完善落实": Decimal("7.55")}, {"创新推广": [1]}]
    rows = [{"支部名称": f"支部{k}", **base, **w} for k, w in enumerate(wrong)]
    if engine == "spark":
        got = sp.rate(scheme.program, rows, request.getfixturevalue("spark")).outcomes
    else:
        got = scheme.rate(rows, engine=engine).outcomes
    assert [o.status for o in got] == ["rated"] + ["invalid"] * 7
    assert (got[0].level_before, got[0].level) == (5, 4)
    assert got[1].reason == "组织健全: [1] is not valid; expected a score from 0 to 10 in steps of 0.1"
    assert got[2].reason == "工委通报: True is not valid; expected a whole number from 0 or more"
    assert got[6].reason == "制度完善落实: Decimal('7.55') is not valid; expected a multiple of 0.1 from 0 to 10"
    assert got == scheme.rate(rows).outcomes
