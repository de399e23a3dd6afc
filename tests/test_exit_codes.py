"""The exit codes of every command (the README's table, starrules.exits), a closed pipe,
``--version`` and coloured diagnostics.

Each case is worked out from the small schemes below; the codes are those of the table:
0 done, 1 done and the answer is no, 2 usage, 3 a file cannot be read, 4 the scheme has
errors, 5 the data or a value cannot be used, 141 standard output closed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from starrules import cli
from starrules.cli import main

ROOT = Path(__file__).resolve().parent.parent
ANYANG = ROOT / "schemes" / "anyang.star"
ANYANG_CSV = ROOT / "schemes" / "examples" / "anyang.csv"

QUOTA = """\
scheme "名额" version "1"
levels stars 0..5
input 名称 : id
input 单位 : group
input 分数 : score 0..100 step 0.1
total 得分 = 分数
band 得分 { 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  1: [50, 60)  0: (.., 50) }
quota "五星级不超过10%" {
  level 5 at most 10%  round floor  rank by 得分 desc then 名称 asc  ties break{minimum}
}
"""
# Ten branches, 单位 甲 for the even ones, 乙 for the odd ones. Five score 90 or more
# (95, 93, 91, 92, 96); 10% of 10, rounded down, is one place.
# Without a minimum the best (支部04, 96) keeps five stars: 1 of 1, met.
# With "minimum 1 per 单位" the best of 甲 (支部04, 96) and of 乙 (支部01, 93) both keep it:
# 2 > 1, NOT MET.
QUOTA_DATA = "名称,单位,分数\n" + "".join(
    f"支部{i:02d},{'甲乙'[i % 2]},{s}\n" for i, s in enumerate([95, 93, 91, 92, 96, 85, 75, 65, 55, 45]))

BROKEN = 'scheme "坏" version "1"\nlevels stars 0..1\ninput 分 : score 0..100\nband 分 { 1: [60, ..)  0: else \n'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def quota_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    met = write(tmp_path / "met.star", QUOTA.replace("{minimum}", ""))
    unmet = write(tmp_path / "unmet.star", QUOTA.replace("{minimum}", "  minimum 1 per 单位"))
    return met, unmet, write(tmp_path / "data.csv", QUOTA_DATA)


# ---- run: the answer is no -------------------------------------------------------------


def test_run_exits_1_when_an_enforced_quota_is_not_met(quota_files: tuple[Path, Path, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    met, unmet, data = quota_files
    assert main(["run", str(met), str(data), "-o", str(tmp_path / "met.csv")]) == 0
    assert ": met" in capsys.readouterr().err
    out = tmp_path / "unmet.csv"
    assert main(["run", str(unmet), str(data), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "before 5, after 2: NOT MET" in err
    assert "1 enforced quota(s) NOT MET: 五星级不超过10%; --allow-unmet accepts" in err
    assert out.exists()  # the results are written all the same, to be read
    assert main(["run", str(unmet), str(data), "--allow-unmet"]) == 0
    assert "NOT MET" in capsys.readouterr().err  # still said, no longer a failure


def test_run_exits_1_when_no_row_is_rated(quota_files: tuple[Path, Path, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    met, _, _ = quota_files
    invalid = write(tmp_path / "invalid.csv", "名称,单位,分数\n甲,一,101\n乙,一,abc\n")  # 101 > 100; abc no number
    assert main(["run", str(met), str(invalid)]) == 1
    err = capsys.readouterr().err
    assert "rows in: 2, rated: 0, invalid: 2, ineligible: 0" in err
    assert "error: no row was rated (2 rows in)" in err
    empty = write(tmp_path / "empty.csv", "名称,单位,分数\n")  # a header, no rows
    assert main(["run", str(met), str(empty)]) == 1
    assert "error: no row was rated (0 rows in)" in capsys.readouterr().err
    one = write(tmp_path / "one.csv", "名称,单位,分数\n甲,一,101\n乙,一,50\n")  # one valid row is enough
    assert main(["run", str(met), str(one)]) == 0


# ---- the same codes in every command ---------------------------------------------------


def _argv(command: str, scheme: Path, data: Path, tmp: Path) -> list[str]:
    return {
        "check": ["check", str(scheme)],
        "run": ["run", str(scheme), str(data)],
        "explain": ["explain", str(scheme), str(data), "--id", "支部00"],
        "report": ["report", str(scheme), str(data), "-o", str(tmp / "r.html")],
        "diff": ["diff", str(scheme), str(scheme), str(data)],
        "compile": ["compile", str(scheme)],
        "test": ["test", str(scheme)],
        "fmt": ["fmt", "--check", str(scheme)],
    }[command]


COMMANDS = ["check", "run", "explain", "report", "diff", "compile", "test", "fmt"]
READS_DATA = ["run", "explain", "report", "diff"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_scheme_is_3_a_broken_one_4_in_every_command(
        command: str, quota_files: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, _, data = quota_files
    assert main(_argv(command, tmp_path / "missing.star", data, tmp_path)) == 3
    err = capsys.readouterr().err
    assert "missing.star" in err and "no such file" in err and "Traceback" not in err
    broken = write(tmp_path / "broken.star", BROKEN)  # the band's brace is never closed: E001
    # check reports a scheme's errors as its answer (1); the others could not do their work (4)
    assert main(_argv(command, broken, data, tmp_path)) == (1 if command == "check" else 4)
    assert "E001" in capsys.readouterr().err
    assert main(_argv(command, tmp_path, data, tmp_path)) == 3  # a directory is not a file
    assert "it is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_usage_error_is_2_in_every_command(command: str, quota_files: tuple[Path, Path, Path], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    met, _, data = quota_files
    with pytest.raises(SystemExit) as exc:
        main([*_argv(command, met, data, tmp_path), "--no-such-option"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


@pytest.mark.parametrize("command", READS_DATA)
def test_missing_data_is_3_unusable_data_5(command: str, quota_files: tuple[Path, Path, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    met, _, _ = quota_files
    assert main(_argv(command, met, tmp_path / "none.csv", tmp_path)) == 3
    assert "none.csv: no such file" in capsys.readouterr().err
    bad = write(tmp_path / "bad.json", "[{")  # not JSON
    assert main(_argv(command, met, bad, tmp_path)) == 5
    assert "not valid JSON" in capsys.readouterr().err


def test_an_xlsx_to_standard_output_is_a_usage_error(quota_files: tuple[Path, Path, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    met, _, data = quota_files
    assert main(["run", str(met), str(data), "--format", "xlsx"]) == 2
    assert "give -o FILE.xlsx" in capsys.readouterr().err


def test_check_and_test_over_several_files_exit_with_the_highest(quota_files: tuple[Path, Path, Path], tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    met, _, _ = quota_files
    broken = write(tmp_path / "broken.star", BROKEN)
    assert main(["check", str(met), str(broken)]) == 1
    assert main(["check", str(broken), str(tmp_path / "missing.star"), str(met)]) == 3  # 3 > 1
    assert main(["test", str(met), str(tmp_path / "missing.star"), str(broken)]) == 4  # 4 > 3
    err = capsys.readouterr().err
    assert "met.star: ok" in err  # each file is still taken in turn


def test_check_json_reports_a_missing_file_as_a_diagnostic(quota_files: tuple[Path, Path, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    met, _, _ = quota_files
    missing = tmp_path / "missing.star"
    assert main(["check", "--format", "json", str(missing), str(met)]) == 3
    out = capsys.readouterr().out
    assert json.loads(out) == [{
        "code": "file", "severity": "error", "file": str(missing), "line": None, "column": None,
        "end_line": None, "end_column": None, "message": f"cannot read {missing}: no such file", "hint": None}]


# ---- a closed pipe ---------------------------------------------------------------------


def test_a_closed_pipe_ends_quietly() -> None:
    # The reading end is closed before the command writes anything: its first write meets
    # EPIPE. It ends with 141 (128 + SIGPIPE), nothing on stderr but the run's own report.
    read, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-m", "starrules", "run", str(ANYANG), str(ANYANG_CSV)],
                            stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    os.close(write_end)
    os.close(read)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141, err
    assert "Broken pipe" not in err and "Traceback" not in err and "Exception ignored" not in err
    assert "rows in" not in err  # the last report comes after the results: the run stopped before it


def test_head_takes_the_first_line_and_the_run_ends_quietly(tmp_path: Path) -> None:
    # `| head -1` as a user types it, on a file large enough that the results outgrow the
    # pipe's buffer (64 KiB): 2,000 rows of the small quota scheme.
    scheme = write(tmp_path / "met.star", QUOTA.replace("{minimum}", ""))
    data = write(tmp_path / "big.csv", "名称,单位,分数\n" + "".join(f"支部{i:04d},甲,{i % 100}\n" for i in range(2000)))
    done = subprocess.run(f'"{sys.executable}" -m starrules run "{scheme}" "{data}" | head -1', shell=True,
                          capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.startswith("row,id,单位,level,") and done.stdout.count("\n") == 1
    assert "Broken pipe" not in done.stderr and "Traceback" not in done.stderr, done.stderr


# ---- --version, colours ------------------------------------------------------------------


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"starrules {version}\n"


ANSI = re.compile(r"\033\[[0-9;]*m")


def test_diagnostics_in_colour_only_when_asked_or_on_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    broken = write(tmp_path / "broken.star", BROKEN)
    assert main(["check", "--color", "never", str(broken)]) == 1
    plain = capsys.readouterr().err
    assert "error[E001]" in plain and not ANSI.search(plain)
    assert main(["check", str(broken), "--color", "always"]) == 1  # after the subcommand too
    coloured = capsys.readouterr().err
    assert "\033[1;31merror[E001]\033[0m" in coloured  # the kind in bold red
    assert ANSI.sub("", coloured) == plain  # the same text, coloured
    assert main(["check", str(broken)]) == 1  # auto: standard error is not a terminal here
    assert not ANSI.search(capsys.readouterr().err)
    assert main(["--color", "always", "run", str(broken), str(broken)]) == 4  # a scheme error of run, coloured
    assert "\033[1;31m" in capsys.readouterr().err


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_auto_colour_honours_no_color_and_dumb_terminals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert cli._color_wanted("auto", _Terminal()) is True  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli._color_wanted("auto", _Terminal()) is False  # type: ignore[arg-type]
    assert cli._color_wanted("always", _Terminal()) is True  # type: ignore[arg-type]  # the flag wins
    monkeypatch.setenv("NO_COLOR", "")  # set but empty: no effect (no-color.org)
    assert cli._color_wanted("auto", _Terminal()) is True  # type: ignore[arg-type]
    monkeypatch.setenv("TERM", "dumb")
    assert cli._color_wanted("auto", _Terminal()) is False  # type: ignore[arg-type]
    assert cli._color_wanted("never", _Terminal()) is False  # type: ignore[arg-type]


def test_a_bug_is_70_with_its_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(args: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "cmd_compile", broken)  # the parser is built by main(), after this
    assert main(["compile", str(ANYANG)]) == 70
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: a bug" in err
    assert "internal error: a bug in starrules" in err
