"""The DuckDB engine equals ``Scheme.rate``: levels before and after, moves, flags, quota reports.

Every bundled scheme on its example data (those that read earlier outcomes are refused,
naming the construct and its line), the data given as records, a polars frame, a CSV file
and a Parquet file read by DuckDB in place; generated schemes and populations (the
generator of ``tests/test_differential.py``); ``starrules run --engine duckdb`` against
the default engine, row for row, and Parquet written and read back. The hand-worked
population cases of ``tests/test_population.py`` and ``tests/test_schemes_population.py``
run on DuckDB too (their ``engine`` fixture includes it). The reference here is always
``Scheme.rate`` on the same records: the expected values are the Python engine's, whose
own expectations are worked by hand in those golden tests.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules.sql.lower import SqlUnsupported
from starrules.testing import populations
from tests.example_data import read_rows
from tests.test_differential import load, schemes

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = ROOT / "schemes"

# the schemes that read earlier outcomes: refused, with the construct and its line
REFUSED = {
    "wuxing-fuwu": ("'vetoed within' (earlier outcomes)", 114),  # the veto's when-line
    "yidong-liuhao": ("'flagged within' (earlier outcomes)", 208),
}
RUN = sorted(p.stem for p in SCHEMES.glob("*.star") if p.stem not in REFUSED)


def shown(rating: starrules.Rating) -> tuple[Any, ...]:
    """Everything a rating answers but the entities' inputs: the outcomes (with their
    levels, moves, flags, problems), their evaluations' scores and overrides, the reports."""
    outcomes = []
    for o in rating.outcomes:
        res = o.result
        own = None if res is None else (res.status, res.level, res.level_rank, res.band_level, res.reason,
                                        res.total, res.scores, res.flags, res.limit_rank, res.badges,
                                        res.vetoes, res.held, res.id, res.groups)
        outcomes.append((o.to_dict(), own))
    return tuple(outcomes), rating.reports, rating.counts(), rating.summary()


def assert_same(scheme: starrules.Scheme, records: list[dict[str, Any]], data: object = None) -> starrules.Rating:
    want = scheme.rate(records)
    got = scheme.rate(records if data is None else data, engine="duckdb")  # type: ignore[arg-type]
    a, b = shown(want), shown(got)
    for k, (x, y) in enumerate(zip(a[0], b[0], strict=True)):
        assert x == y, f"row {k}"
    assert a[1:] == b[1:]
    return got


def example(name: str) -> tuple[starrules.Scheme, list[dict[str, Any]]]:
    scheme = starrules.load(SCHEMES / f"{name}.star")
    return scheme, read_rows(SCHEMES / "examples" / f"{name}.csv", scheme.program.id_field or "")


@pytest.mark.parametrize("name", RUN)
def test_bundled_scheme_on_duckdb_equals_scheme_rate(name: str) -> None:
    scheme, rows = example(name)
    got = assert_same(scheme, rows)
    assert got.counts()["rated"] > 0


def test_the_bundled_population_rules_are_all_exercised() -> None:
    # anyang (two quotas), feigong-dangyuan (a minimum per branch), kaifaqu (about quotas per
    # field, a flagging selection among the low levels), shuangshixing-zuzhi (capping
    # selections, ties kept): each moves someone or reports a quota on DuckDB
    moved = 0
    for name in ("anyang", "feigong-dangyuan", "kaifaqu", "shuangshixing-zuzhi"):
        scheme, rows = example(name)
        got = assert_same(scheme, rows)
        assert got.reports
        moved += sum(1 for o in got.outcomes if o.moves)
    assert moved > 0


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_schemes_reading_earlier_outcomes_are_refused_with_the_construct_and_line(name: str) -> None:
    scheme, rows = example(name)
    construct, line = REFUSED[name]
    with pytest.raises(SqlUnsupported) as info:
        scheme.rate(rows, period=2024, engine="duckdb")
    assert info.value.line == line and info.value.construct == construct


def test_files_and_frames_read_in_place_rate_as_the_records(tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    scheme, rows = example("anyang")
    # a CSV file read by DuckDB, every cell as text: the same as the CSV's rows
    src = SCHEMES / "examples" / "anyang.csv"
    assert_same(scheme, rows, str(src))
    # a polars frame of the rows' texts
    assert_same(scheme, rows, pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}))
    # a Parquet file of the same texts (written by DuckDB), read in place
    import duckdb

    out = tmp_path / "anyang.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{out}' (FORMAT parquet)")
    assert_same(scheme, rows, out)


def test_trace_is_refused_on_duckdb() -> None:
    scheme, rows = example("anyang")
    with pytest.raises(ValueError, match="no trace"):
        scheme.rate(rows, engine="duckdb", trace=True)


def test_explain_of_one_entity_is_the_reference_interpreters() -> None:
    from starrules.sql.engine import explain

    scheme, rows = example("anyang")
    # the first row: its own evaluation, every step with its line, as the interpreter tells it
    assert explain(scheme.program, rows[0]) == scheme.evaluate(rows[0], trace=True).explain()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=schemes(), data=st.data())
def test_duckdb_agrees_with_python_on_generated_populations(text: str, data: st.DataObject) -> None:
    scheme = load(text)
    if scheme.program.uses_history:  # refused up front: held by the test above
        with pytest.raises(SqlUnsupported):
            scheme.rate([], period=2024, engine="duckdb")
        return
    records = data.draw(populations(scheme, size=st.integers(0, 16), edges=True), label="records")
    try:
        assert_same(scheme, records)
        assert_written_alike(scheme, records)
    except SqlUnsupported as exc:  # a construct the backend refuses: it names one and a line
        assert exc.construct and exc.line > 0


def written(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    import duckdb

    rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}')")
    return rel.columns, rel.fetchall()


def assert_written_alike(scheme: starrules.Scheme, records: list[dict[str, Any]]) -> None:
    """The results of the DuckDB rating written by DuckDB (``output._write_in_sql``: every
    cell made in SQL, only the bad inputs' reasons in Python) are the Parquet file the
    Python writer makes of the default engine's rating, cell for cell; the ties counted
    in SQL are those counted over the outcomes."""
    import tempfile

    from starrules.output import Results, write_parquet

    want, got = scheme.rate(records), scheme.rate(records, engine="duckdb")
    assert got.tie_counts() == want.tie_counts()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "python.parquet", Path(tmp) / "duckdb.parquet"
        write_parquet(a, Results(scheme, want, records, period=None))
        results = Results(scheme, got, records, period=None)
        write_parquet(b, results)
        assert got.outcomes.open or not records  # type: ignore[attr-defined]  # written in SQL
        assert written(b) == written(a)


@pytest.mark.parametrize("name", RUN)
def test_bundled_results_written_by_duckdb_are_the_python_writers(name: str) -> None:
    scheme, rows = example(name)
    assert_written_alike(scheme, rows)


# ---- the command line -------------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from starrules.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT,
                          check=False)


def test_run_engine_duckdb_gives_the_default_engines_output_row_for_row() -> None:
    args = ("schemes/anyang.star", "schemes/examples/anyang.csv")
    want, got = run("run", *args), run("run", "--engine", "duckdb", *args)
    assert want.returncode == got.returncode == 0
    assert got.stdout.splitlines() == want.stdout.splitlines()
    assert got.stderr == want.stderr
    # 39 rows in the example file (+ the header), the three bad ones reported on stderr
    assert len(got.stdout.splitlines()) == 40
    assert "rows in: 39, rated: 36, invalid: 3, ineligible: 0" in got.stderr


def test_run_writes_parquet_with_the_csvs_columns_and_cells(tmp_path: Path) -> None:
    import duckdb

    args = ("schemes/anyang.star", "schemes/examples/anyang.csv")
    out = tmp_path / "results.parquet"
    assert run("run", "--engine", "duckdb", *args, "-o", str(out)).returncode == 0
    lines = list(csv.reader(run("run", *args).stdout.splitlines()))
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{out}')")
    assert rel.columns == lines[0]
    assert [["" if v is None else v for v in r] for r in rel.fetchall()] == lines[1:]


def anyang_parquet(tmp_path: Path) -> Path:
    """The Anyang example as a Parquet file a database would give: the ten areas as
    DECIMAL(4, 2) (the bad 10.5 and 9.55 stay bad), the counts as INTEGER, a column no input
    reads (备注), and the first row's branch once more at the end (a duplicate id)."""
    import duckdb

    src, out = SCHEMES / "examples" / "anyang.csv", tmp_path / "anyang.parquet"
    areas = ("组织健全", "制度完善落实", "战斗堡垒作用", "党员模范带头", "服务满意度", "党建引领群团", "遵章守纪",
             "设施配套", "落实上级工作", "服务意识群众基础")
    counts = ("工委通报", "市委通报", "班子处分", "班子撤职", "党员违纪", "缺席次数")
    typed = ", ".join([f'CAST("{a}" AS DECIMAL(4, 2)) AS "{a}"' for a in areas]
                      + [f'CAST("{c}" AS INTEGER) AS "{c}"' for c in counts])
    body = f"SELECT * REPLACE ({typed}), '' AS 备注 FROM read_csv('{src}', all_varchar=true)"
    duckdb.sql(f"COPY (({body}) UNION ALL (SELECT * FROM ({body}) LIMIT 1)) TO '{out}' (FORMAT parquet)")
    return out


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_run_on_duckdb_in_place_says_and_writes_what_the_default_engine_does(tmp_path: Path, fmt: str) -> None:
    # A Parquet file is read by DuckDB where it lies (no row passes through Python), rated,
    # and for a Parquet output written by DuckDB; everything said and written is what the
    # default engine says and writes reading the same file in Python: the column no input
    # reads, the duplicate id (refused, then allowed), the three bad rows with their cells
    # as Python shows them, the tie, the quota lines, the counts (39 + 1 rows, 3 invalid).
    data = anyang_parquet(tmp_path)
    args = ("schemes/anyang.star", str(data))
    refused = [run("run", *args, *engine) for engine in ((), ("--engine", "duckdb"))]
    assert refused[0].returncode == refused[1].returncode == 5
    assert refused[1].stderr == refused[0].stderr
    assert "'市财政局机关第一党支部' is on rows 1, 40" in refused[1].stderr
    outs = [tmp_path / f"{name}.{fmt}" for name in ("python", "duckdb")]
    said = [run("run", *args, "--allow-duplicate-ids", "-o", str(out), *engine)
            for out, engine in zip(outs, ((), ("--engine", "duckdb")), strict=True)]
    assert said[0].returncode == said[1].returncode == 0
    assert said[1].stderr == said[0].stderr
    assert "no input reads the column '备注'" in said[1].stderr
    assert "column 组织健全: Decimal('10.50') is not valid" in said[1].stderr
    assert "rows in: 40, rated: 37, invalid: 3, ineligible: 0" in said[1].stderr
    if fmt == "parquet":
        assert written(outs[1]) == written(outs[0])
    else:
        assert outs[1].read_bytes() == outs[0].read_bytes()


def test_run_on_duckdb_in_place_refuses_a_file_it_cannot_read(tmp_path: Path) -> None:
    bad = tmp_path / "broken.parquet"
    bad.write_text("not parquet", encoding="utf-8")
    got = run("run", "--engine", "duckdb", "schemes/anyang.star", str(bad))
    assert got.returncode != 0 and "Traceback" not in got.stderr
    assert f"cannot read {bad}" in got.stderr


def test_a_large_file_is_rated_in_a_database_file_removed_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # From ON_DISK_FROM rows (here: any) a file is rated in a DuckDB database file in a new
    # temporary directory, not in memory: the same outcomes, and the directory is gone once
    # every outcome has been made (the connection closed).
    import tempfile

    from starrules.sql import engine

    made: list[Path] = []
    real = tempfile.mkdtemp

    def mkdtemp(**kwargs: Any) -> str:
        made.append(Path(real(dir=tmp_path, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(engine, "ON_DISK_FROM", 1)
    monkeypatch.setattr(engine.tempfile, "mkdtemp", mkdtemp)
    scheme, rows = example("anyang")
    data = tmp_path / "anyang.parquet"
    src = SCHEMES / "examples" / "anyang.csv"
    import duckdb

    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{data}' (FORMAT parquet)")
    got = scheme.rate(data, engine="duckdb")
    assert len(made) == 1 and (made[0] / "rating.duckdb").exists()
    assert got.outcomes == scheme.rate(rows).outcomes  # every outcome made: the connection closes
    assert not made[0].exists()
    # a CSV file counts at 100 bytes a row: this one is far below a million rows
    monkeypatch.setattr(engine, "ON_DISK_FROM", 1_000_000)
    scheme.rate(src, engine="duckdb")
    assert len(made) == 1


def _text_parquet(name: str, tmp_path: Path) -> Path:
    """A bundled example as a Parquet file of texts."""
    import duckdb

    src, data = SCHEMES / "examples" / f"{name}.csv", tmp_path / f"{name}-texts.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{data}' (FORMAT parquet)")
    return data


def test_auto_rates_a_large_parquet_file_on_duckdb_and_any_other_file_in_python(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # engine="auto" given a path: a Parquet file of AUTO_FROM rows or more on DuckDB (the
    # outcomes read from its table), a smaller one, a CSV file, or a scheme SQL refuses read
    # in Python as `starrules run` reads them; the same outcomes either way. A column no
    # input reads is refused on both paths.
    from starrules.errors import UnknownInputsError
    from starrules.sql import engine
    from starrules.sql.outcomes import TableOutcomes

    scheme, rows = example("anyang")
    want = scheme.rate(rows).outcomes
    data = _text_parquet("anyang", tmp_path)  # 39 rows
    monkeypatch.setattr(engine, "AUTO_FROM", 39)
    big = scheme.rate(data)
    assert isinstance(big.outcomes, TableOutcomes) and big.outcomes == want
    with pytest.raises(UnknownInputsError, match="备注"):
        scheme.rate(anyang_parquet(tmp_path), duplicate_ids="allow")
    monkeypatch.setattr(engine, "AUTO_FROM", 40)
    small = scheme.rate(data)
    assert isinstance(small.outcomes, tuple) and small.outcomes == want
    with pytest.raises(UnknownInputsError, match="备注"):
        scheme.rate(anyang_parquet(tmp_path), duplicate_ids="allow")
    assert scheme.rate(SCHEMES / "examples" / "anyang.csv").outcomes == want
    monkeypatch.setattr(engine, "AUTO_FROM", 1)
    refused, records = example("wuxing-fuwu")  # reads earlier outcomes: SQL refuses it
    got = refused.rate(_text_parquet("wuxing-fuwu", tmp_path), period=2024)
    assert isinstance(got.outcomes, tuple) and got.outcomes == refused.rate(records, period=2024).outcomes


def test_run_chooses_duckdb_from_a_large_parquet_file_to_a_parquet_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # starrules run's default engine (auto) leaves a Parquet file of AUTO_FROM rows or more
    # going to a Parquet file to DuckDB, and writes what --engine python writes; to a CSV
    # output, or below AUTO_FROM rows, it rates in Python
    from starrules import cli
    from starrules.sql import engine

    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert f"{engine.AUTO_FROM:,} rows or more" in " ".join(capsys.readouterr().out.split())  # the help says the size
    data = _text_parquet("anyang", tmp_path)
    chosen: list[str] = []
    real = cli._rate_in_place

    def spy(args: Any, scheme: Any, name: str, err: Any) -> Any:
        chosen.append(name)
        return real(args, scheme, name, err)

    monkeypatch.setattr(cli, "_rate_in_place", spy)
    monkeypatch.setattr(engine, "AUTO_FROM", 39)
    auto, python = tmp_path / "auto.parquet", tmp_path / "python.parquet"
    assert cli.main(["run", "schemes/anyang.star", str(data), "-o", str(auto)]) == 0
    assert chosen == ["duckdb"]
    assert cli.main(["run", "--engine", "python", "schemes/anyang.star", str(data), "-o", str(python)]) == 0
    assert chosen == ["duckdb"]
    assert written(auto) == written(python)
    assert cli.main(["run", "schemes/anyang.star", str(data), "-o", str(tmp_path / "auto.csv")]) == 0
    monkeypatch.setattr(engine, "AUTO_FROM", 40)
    assert cli.main(["run", "schemes/anyang.star", str(data), "-o", str(auto)]) == 0
    assert chosen == ["duckdb"]  # neither of the last two went to DuckDB
    capsys.readouterr()
