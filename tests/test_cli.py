"""The command line, run as a user would: check, run, explain.

Expected values are worked out by hand from the small scheme below.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from starrules.cli import main

SCHEME = """\
scheme "小测试" version "1"
levels stars 0..3 { 0: "无星" }
input 名称 : id
input 分数 : score 0..100 step 0.5
input 通报 : count default 0
input 满意率 : percent
penalty 扣分 { "通报（每次扣5分）": 5 each 通报 }
total 得分 = 分数 - 扣分
band 得分 { 3: [90, ..)  2: [75, 90)  1: [60, 75)  0: (.., 60) }
veto "满意率低于50%" when 满意率 < 50%
flag "整顿" when level <= 1
"""

# 甲: 92 - 0 = 92 -> [90, ..) -> 3.
# 乙: 92 - 2×5 = 82 -> [75, 90) -> 2.
# 丙: 88 with satisfaction 40% -> band 2, vetoed to 0, flag 整顿.
# 丁: score 101 is outside 0..100 -> invalid (row 5 of the file, column 分数).
# 戊: 74.5 -> [60, 75) -> 1, flag 整顿; 通报 blank -> default 0.
DATA = """\
名称,分数,通报,满意率
甲,92,0,90%
乙,92,2,85%
丙,88,0,40%
丁,101,0,90%
戊,74.5,,75
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    scheme = tmp_path / "test.star"
    scheme.write_text(SCHEME, encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_text(DATA, encoding="utf-8")
    return scheme, data


def test_check_clean_scheme_exits_0(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scheme, _ = files
    assert main(["check", str(scheme)]) == 0
    assert "ok" in capsys.readouterr().err


def test_check_reports_every_error_with_line_caret_and_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.star"
    bad.write_text(SCHEME.replace("total 得分 = 分数 - 扣分", "total 得分 = 分树 - 扣分")
                   .replace("veto \"满意率低于50%\" when 满意率 < 50%", "veto \"满意率低于50%\" when 满意率 < 150%"),
                   encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    # the misspelt name on line 8, with a did-you-mean
    assert f"{bad}:8:" in err
    assert "'分树' is not defined" in err
    assert "did you mean '分数'?" in err
    # the constant outside the percent range on line 10
    assert f"{bad}:10:" in err
    assert "150%" in err
    assert "2 error(s)" in err
    # the caret line sits under 分树: "total " is 6 columns, "得分" 4 (two wide characters), " = " 3: 13
    lines = err.splitlines()
    i = next(k for k, line in enumerate(lines) if "total 得分 = 分树" in line)
    caret = lines[i + 1]
    prefix = caret.index("|") + 2
    assert caret[prefix:].index("^") == 13
    assert caret.count("^") == 4  # two wide characters


def test_check_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.star"
    bad.write_text(SCHEME.replace("band 得分 { 3: [90, ..)  2: [75, 90)", "band 得分 { 3: [90, ..)  2: [75, 89]"),
                   encoding="utf-8")
    assert main(["check", "--format", "json", str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    # [75, 89] then [90, ..): a total of 89.5 falls in no band
    assert [d["code"] for d in report] == ["E401"]
    assert "89.5" in report[0]["message"]
    assert report[0]["line"] == 9


def test_check_syntax_error_never_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.star"
    bad.write_text(SCHEME.replace("[75, 90)", "[75-90)"), encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "E001" in err and "interval with a comma" in err


def test_run_accounts_for_every_row(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scheme, data = files
    assert main(["run", str(scheme), str(data)]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["甲", "乙", "丙", "丁", "戊"]  # same order as the input
    assert [r["status"] for r in rows] == ["rated", "rated", "rated", "invalid", "rated"]
    assert [r["level"] for r in rows] == ["3", "2", "0", "", "1"]
    assert [r["total"] for r in rows] == ["92", "82", "88", "", "74.5"]
    assert rows[2]["reason"] == "满意率低于50%"
    assert rows[2]["flags"] == "整顿" and rows[4]["flags"] == "整顿"
    assert "分数" in rows[3]["reason"]
    # the bad row is named on stderr with its row number, column and what was expected
    assert "row 5: column 分数: '101' is not valid; expected a score from 0 to 100" in err
    assert err.strip().splitlines()[-1] == "rows in: 5, rated: 4, invalid: 1, ineligible: 0"


def test_run_json_output_to_file(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme, data = files
    out = tmp_path / "out.json"
    assert main(["run", str(scheme), str(data), "-o", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    # 甲 3星, 乙 2星, 丙 vetoed to 无星, 戊 1星; 丁 invalid
    assert doc["counts"] == {"rows": 5, "rated": 4, "invalid": 1, "ineligible": 0,
                             "无星": 1, "1星": 1, "2星": 1, "3星": 1}
    assert doc["scheme"]["title"] == "小测试" and len(doc["scheme"]["sha256"]) == 64
    assert [r["total"] for r in doc["results"]] == ["92", "82", "88", None, "74.5"]


def test_run_reads_gb18030(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme, _ = files
    data = tmp_path / "gbk.csv"
    data.write_bytes(DATA.encode("gb18030"))
    assert main(["run", str(scheme), str(data)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == ["甲", "乙", "丙", "丁", "戊"]


def test_explain_shows_the_trace_in_words(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scheme, data = files
    assert main(["explain", str(scheme), str(data), "--id", "乙"]) == 0
    out = capsys.readouterr().out
    assert "通报（每次扣5分）" in out and "5 × 通报 (2) = 10" in out
    assert "得分 82 is at least 75 and below 90: 2星" in out
    assert out.strip().splitlines()[-2] == "Outcome: 2星"


def test_explain_veto_names_the_rule(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scheme, data = files
    assert main(["explain", str(scheme), str(data), "--id", "丙"]) == 0
    out = capsys.readouterr().out
    assert "满意率 (40%) is below 50%: vetoed: 2星 → 无星" in out
    assert "Outcome: 无星 (满意率低于50%)" in out


def test_explain_unknown_id_suggests(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    scheme, data = files
    assert main(["explain", str(scheme), str(data), "--id", "甲乙"]) == 5  # a value that cannot be used
    assert "no row" in capsys.readouterr().err


def test_missing_files_are_reported_not_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "none.star"), str(tmp_path / "none.csv")]) == 3  # no such file
    assert "Traceback" not in capsys.readouterr().err


def test_console_script_runs(files: tuple[Path, Path]) -> None:
    scheme, data = files
    proc = subprocess.run([sys.executable, "-m", "starrules.cli", "run", str(scheme), str(data)],
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 6  # header + 5 rows


def test_warnings_pass_check_but_fail_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `分数 - 5 when 通报 > 0` is `(分数 - 5) when 通报 > 0`: the whole total drops to 0
    # for a branch with no criticism, which is almost never meant: warning W201.
    warned = tmp_path / "warned.star"
    warned.write_text(SCHEME.replace("total 得分 = 分数 - 扣分", "total 得分 = 分数 - 5 when 通报 > 0"),
                      encoding="utf-8")
    assert main(["check", str(warned)]) == 0
    err = capsys.readouterr().err
    assert "warning[W201]" in err and "分数 - (5 when ...)" in err
    assert main(["check", "--strict", str(warned)]) == 1


def test_percentage_fraction_is_refused_not_guessed(files: tuple[Path, Path], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    scheme, _ = files
    data = tmp_path / "fraction.csv"
    data.write_text("名称,分数,通报,满意率\n甲,92,0,0.9\n", encoding="utf-8")
    assert main(["run", str(scheme), str(data)]) == 1  # its one row is invalid: no row rated
    out, err = capsys.readouterr()
    assert "invalid" in out
    assert "0.9 is ambiguous (write 90% if it is a fraction, 0.9% if not)" in err


HISTORY_SCHEME = """\
scheme "一年内不予恢复" version "1" in force 2020..
levels stars 0..1
input 名称 : id
input 分数 : score 0..100
input 违规 : bool
band 分数 { 1: [60, ..)  0: (.., 60) }
veto "违反一票否决事项" when 违规
veto "一年内不予恢复" when vetoed "违反一票否决事项" within 1 period
"""


def test_history_from_an_earlier_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme = tmp_path / "h.star"
    scheme.write_text(HISTORY_SCHEME, encoding="utf-8")
    y2023 = tmp_path / "2023.csv"
    y2023.write_text("名称,分数,违规\n甲,80,是\n乙,80,否\n", encoding="utf-8")
    y2024 = tmp_path / "2024.csv"
    y2024.write_text("名称,分数,违规\n甲,80,否\n乙,80,否\n", encoding="utf-8")
    out2023 = tmp_path / "2023.json"
    assert main(["run", str(scheme), str(y2023), "--period", "2023", "-o", str(out2023)]) == 0
    # without the period the scheme cannot run: it reads history
    assert main(["run", str(scheme), str(y2024)]) == 5
    assert "needs the period" in capsys.readouterr().err
    assert main(["run", str(scheme), str(y2024), "--period", "2024", "--history", str(out2023)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # 甲 was vetoed in 2023, so in 2024 the veto still holds; 乙 was not
    assert [(r["id"], r["level"], r["reason"]) for r in rows] == [("甲", "0", "一年内不予恢复"), ("乙", "1", "")]
    assert main(["explain", str(scheme), str(y2024), "--id", "甲", "--period", "2024", "--history", str(out2023)]) == 0
    # the earlier level by its label (0星), not the number the results file records (0)
    assert 'vetoed "违反一票否决事项" within the last 1 period (2023: 0星, vetoed (违反一票否决事项))' in capsys.readouterr().out


def test_explain_tells_the_quota_step_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    # 36 Anyang branches are rated; 10% of 36 = 3.6, rounded down: 3 five-star places.
    # 市财政局机关第一党支部 totals exactly 90 (ten items at 9), five-star by its band, but
    # eight branches reach five stars and it is not among the best three by 得分 then name.
    root = Path(__file__).resolve().parent.parent
    assert main(["explain", str(root / "schemes/anyang.star"), str(root / "schemes/examples/anyang.csv"),
                 "--id", "市财政局机关第一党支部"]) == 0
    out = capsys.readouterr().out
    move = next(line for line in out.splitlines() if line.startswith("[quota]"))
    assert "of 8 at 五星级 overall for 3 places (五星级一般不超过总数的10%): moved to 四星级" in move
    assert "Outcome: 四星级 (五星级一般不超过总数的10%)" in out
    # its flags are told at the final level: 授牌表彰 is for five-star branches only
    assert "flags at the final level: none" in out
    assert "[flag]" not in out


def test_fmt_check_and_rewrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = tmp_path / "messy.star"
    messy.write_text('scheme "x"\nlevels stars 0..1\ninput  分 :score 0..10  # 分数\nband 分{1:[5,..) 0:(..,5)}\n',
                     encoding="utf-8")
    assert main(["fmt", "--check", str(messy)]) == 1
    assert str(messy) in capsys.readouterr().out
    before = starrules_parse(messy)
    assert main(["fmt", str(messy)]) == 0
    assert main(["fmt", "--check", str(messy)]) == 0
    text = messy.read_text(encoding="utf-8")
    assert "# 分数" in text and starrules_parse(messy) == before


def starrules_parse(path: Path) -> object:
    from starrules import parse

    return parse(path.read_text(encoding="utf-8"))


def test_diff_on_data(files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scheme, data = files
    # raising the three-star line from 90 to 93: 甲 (92) drops to two stars, the rest keep theirs
    new = tmp_path / "new.star"
    new.write_text(SCHEME.replace("3: [90, ..)  2: [75, 90)", "3: [93, ..)  2: [75, 93)"), encoding="utf-8")
    assert main(["diff", str(scheme), str(new), str(data)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("1 difference")
    assert "甲" in out and "乙" not in out.split("\n\n")[1]
    assert main(["diff", str(scheme), str(scheme), str(data)]) == 0
    assert "no differences" in capsys.readouterr().out


def test_renamed_headers_are_told_and_fail_under_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # issue 13: the Anyang data with two headers renamed, 工委通报 -> 通报次数 (a count with
    # default 0) and 表彰 -> 获得表彰 (a set of input). Before, both were taken as absent in
    # silence. Now each missing input is told with what it took, each unread column is told,
    # 获得表彰 contains 表彰 so a did-you-mean is given, and --strict fails writing nothing.
    root = Path(__file__).resolve().parent.parent
    lines = (root / "schemes/examples/anyang.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].replace("工委通报", "通报次数").replace(",表彰,", ",获得表彰,")
    data = tmp_path / "renamed.csv"
    data.write_text(header + "".join(lines[1:]), encoding="utf-8")
    out = tmp_path / "out.csv"
    scheme = str(root / "schemes/anyang.star")
    assert main(["run", scheme, str(data), "-o", str(out), "--strict"]) == 1
    err = capsys.readouterr().err
    assert not out.exists()
    assert "the data has no column '表彰' (is '获得表彰' meant to be it?); every row takes it as empty" in err
    assert "the data has no column '工委通报' (is '通报次数' meant to be it?); every row takes its default 0" in err
    assert "no input reads the column '获得表彰' (is it '表彰'?)" in err
    assert "no input reads the column '通报次数' (is it '工委通报'?)" in err  # they share 通报
    assert "error: 4 warning(s) about the data above (--strict); nothing was rated" in err
    # without --strict the same warnings, and the run goes on
    assert main(["run", scheme, str(data), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "the data has no column '表彰' (is '获得表彰' meant to be it?)" in err
    assert out.exists()
    # the bundled data as shipped: every column is read, nothing is warned about columns
    assert main(["run", scheme, str(root / "schemes/examples/anyang.csv"), "-o", str(tmp_path / "ok.csv")]) == 0
    err = capsys.readouterr().err
    assert "no input reads" not in err
    assert "the data has no column" not in err


def test_a_tie_that_decided_places_is_said_and_fails_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The Anyang example without its three invalid rows (38 to 40): 36 rated, 3 five-star
    # places (10% of 36, rounded down); 111 and 94 take two, and six branches at 90 tie on 得分
    # for the third, which the scheme's `ties break` gives by 支部名称. The tie is said once,
    # with the six rows it decided; --strict refuses to publish a result a tie decided.
    root = Path(__file__).resolve().parent.parent
    lines = (root / "schemes/examples/anyang.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    data = tmp_path / "anyang.csv"
    data.write_text("".join(lines[:37]), encoding="utf-8")
    out = tmp_path / "out.csv"
    scheme = str(root / "schemes/anyang.star")
    assert main(["run", scheme, str(data), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert ("warning: a tie at the line of 五星级一般不超过总数的10%: 6 tied on 得分 for 1 place, "
            "decided by the order of 支部名称 (6 rows)\n") in err
    assert err.count("warning: a tie") == 1
    out.unlink()
    assert main(["run", scheme, str(data), "-o", str(out), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "error: 1 tie(s) at a quota's or selection's line decided outcomes (--strict); no results written" in err
    assert not out.exists()


def test_duplicate_ids_are_refused_naming_the_rows(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    # 甲 on file lines 2 and 5 (the header is line 1): refused, nothing written, exit 5; with
    # --allow-duplicate-ids the two are rated apart (92 → 3 stars; 101 is out of range, invalid)
    # and the duplicate is still said.
    scheme, data = files
    data.write_text(DATA.replace("丁,101", "甲,101"), encoding="utf-8")
    out = data.parent / "out.csv"
    assert main(["run", str(scheme), str(data), "-o", str(out)]) == 5
    err = capsys.readouterr().err
    assert "error: the id '甲' is on rows 2, 5\n" in err
    assert "error: 1 id(s) on more than one row:" in err and "nothing was rated" in err
    assert not out.exists()
    assert main(["run", str(scheme), str(data), "-o", str(out), "--allow-duplicate-ids"]) == 0
    assert "warning: the id '甲' is on rows 2, 5\n" in capsys.readouterr().err
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert [(r["id"], r["status"]) for r in rows if r["id"] == "甲"] == [("甲", "rated"), ("甲", "invalid")]
    # explain refuses the data as run does; allowed, it still cannot tell which 甲 is meant
    assert main(["explain", str(scheme), str(data), "--id", "甲"]) == 5
    assert "error: the id '甲' is on rows 2, 5\n" in capsys.readouterr().err
    assert main(["explain", str(scheme), str(data), "--id", "甲", "--allow-duplicate-ids"]) == 5
    assert "the id '甲' is on rows 2, 5 of" in capsys.readouterr().err
    # rows without an id are never duplicates of each other
    data.write_text(DATA.replace("甲,92", ",92").replace("乙,92", ",92"), encoding="utf-8")
    assert main(["run", str(scheme), str(data), "-o", str(out)]) == 0
