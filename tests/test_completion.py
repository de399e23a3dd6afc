"""``starrules completion bash|zsh``: the scripts parse, and the bash one completes what
the parser takes (each expected list read off the parser's options in starrules/cli.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from starrules.cli import _parser, main
from starrules.completion import script


def _bash_script(tmp_path: Path) -> Path:
    path = tmp_path / "starrules.bash"
    path.write_text(script(_parser(), "bash"), encoding="utf-8")
    return path


def test_the_command_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    out = capsys.readouterr().out
    assert out == script(_parser(), "bash")
    assert out.rstrip().endswith("complete -o bashdefault -o default -F _starrules starrules")
    with pytest.raises(SystemExit) as exc:
        main(["completion", "fish"])
    assert exc.value.code == 2


def test_the_bash_script_parses(tmp_path: Path) -> None:
    done = subprocess.run(["bash", "-n", str(_bash_script(tmp_path))], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _complete(script_path: Path, words: list[str]) -> list[str]:
    """What bash offers for the last of ``words`` (the word being typed, "" for a new one)."""
    quoted = " ".join("'" + w + "'" for w in words)
    program = (f"source '{script_path}'; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
               'COMP_LINE="${COMP_WORDS[*]}"; _starrules; printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.parametrize(("words", "offered"), [
    (["starrules", ""], ["check", "run", "fmt", "diff", "test", "compile", "explain", "report", "completion"]),
    (["starrules", "r"], ["run", "report"]),
    (["starrules", "--lang", ""], ["zh", "en"]),
    (["starrules", "--co"], ["--color"]),
    (["starrules", "--v"], ["--version"]),
    (["starrules", "run", "--fo"], ["--format"]),
    (["starrules", "run", "--format", ""], ["csv", "json", "jsonl", "xlsx", "parquet"]),
    (["starrules", "run", "--engine", "d"], ["duckdb"]),
    (["starrules", "run", "--al"], ["--allow-unmet", "--allow-duplicate-ids"]),
    (["starrules", "check", "--format", ""], ["text", "json"]),  # check's own --format, not run's
    (["starrules", "--lang", "en", "check", "--st"], ["--strict"]),  # the subcommand found after an option
    (["starrules", "explain", "--"], ["--help", "--lang", "--color", "--id", "--encoding", "--sheet", "--map",
                                    "--header-row", "--allow-duplicate-ids", "--all", "--lines",
                                    "--period", "--history"]),
    (["starrules", "completion", ""], ["bash", "zsh"]),
    (["starrules", "run", "--period", ""], []),  # a year to type
])
def test_bash_completes_subcommands_options_and_values(tmp_path: Path, words: list[str], offered: list[str]) -> None:
    assert sorted(_complete(_bash_script(tmp_path), words)) == sorted(offered)


def test_the_zsh_script_names_every_subcommand_and_option(tmp_path: Path) -> None:
    text = script(_parser(), "zsh")
    assert text.startswith("#compdef starrules\n")
    assert "compdef _starrules starrules" in text
    for name in ("check", "run", "fmt", "diff", "test", "compile", "explain", "report", "completion"):
        assert f"            {name}) _arguments -s " in text
        assert f"'{name}:" in text  # described for the first word
    # check's, with its help text (the words of `check --help`, in the language in force)
    assert re.search(r"'--format\[[^]']+\]:format:\(text json\)'", text)
    assert "]:format:(csv json jsonl xlsx parquet)'" in text  # run's
    assert ":output:_files'" in text and "'*--history[" in text  # a file value; a repeated option
    zsh = shutil.which("zsh")
    if zsh is not None:  # where zsh is installed, the script must parse
        path = tmp_path / "_starrules"
        path.write_text(text, encoding="utf-8")
        done = subprocess.run([zsh, "-n", str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        # sourced after compinit, it registers itself for the command
        program = f"autoload -U compinit; compinit -u -d '{tmp_path}/zcompdump'; source '{path}'; print ${{_comps[starrules]}}"
        done = subprocess.run([zsh, "-f", "-c", program], capture_output=True, text=True)
        assert done.stdout.strip() == "_starrules", done.stderr
