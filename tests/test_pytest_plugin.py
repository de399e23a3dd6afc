"""The pytest plugin collects a ``.star`` file only when it is a scheme (its first line
that is neither blank nor a comment begins with ``scheme "``) or when the project lists it
in ``starrules_paths``: a Bazel/Starlark ``defs.star`` beside the schemes is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from starrules.pytest_plugin import looks_like_scheme

pytest_plugins = ["pytester"]

# One example that holds: 95 is in [90, ..), five stars.
SCHEME = """\
# 示例方案（注释在前也可以）

scheme "示例" version "1"
levels stars 0..5
input 得分 : score 0..100
band 得分 { 5: [90, ..)  0: (.., 90) }
example "九十五分" {
  given { 得分: 95 }
  expect level = 5
}
"""

BAZEL = '''\
"""Macros for the build."""

load("@rules_python//python:defs.bzl", "py_library")

def starrules_library(name, srcs):
    py_library(name = name, srcs = srcs)
'''

# begins as a scheme does, but its band leaves 60..90 nowhere: the checker refuses it (E401)
BROKEN = 'scheme "坏" version "1"\nlevels stars 0..5\ninput 得分 : score 0..100\nband 得分 { 5: [90, ..)  0: (.., 60) }\n'

# the scheme line misspelt: it does not look like a scheme
MISSPELT = SCHEME.replace('scheme "示例"', 'schem "示例"')


def test_a_starlark_file_beside_a_scheme_is_not_collected(pytester: pytest.Pytester) -> None:
    pytester.makefile(".star", defs=BAZEL, rating=SCHEME)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)  # the one example of rating.star; defs.star not collected
    assert "defs.star" not in result.stdout.str()
    assert "E001" not in result.stdout.str()


def test_a_scheme_with_errors_is_still_collected_and_fails(pytester: pytest.Pytester) -> None:
    pytester.makefile(".star", broken=BROKEN)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*E401*"])


def test_starrules_paths_opts_files_in(pytester: pytest.Pytester) -> None:
    pytester.mkdir("rules")
    (pytester.path / "rules" / "misspelt.star").write_text(MISSPELT, encoding="utf-8")
    pytester.makefile(".star", defs=BAZEL)
    # without the option the misspelt file is taken for some other kind of .star file
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes()
    pytester.makeini("[pytest]\nstarrules_paths =\n    rules/*.star\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)  # listed: collected, and its syntax error reported
    result.stdout.fnmatch_lines(["*misspelt.star*", "*E001*"])
    assert "defs.star" not in result.stdout.str()
    pytester.makeini("[pytest]\nstarrules_paths = rules\n")  # a directory: everything under it
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(failed=1)


@pytest.mark.parametrize(("text", "expected"), [
    (SCHEME, True),
    ('\ufeffscheme  "甲" version "1"\n', True),  # a BOM, two spaces
    ("#!/not/a/shebang\n\n  # 注释\nscheme \"甲\"\n", True),
    (BAZEL, False),
    ('scheme = "a variable in Starlark"\n', False),
    (MISSPELT, False),
    ("", False),
    ("# only comments\n", False),
])
def test_what_looks_like_a_scheme(tmp_path: Path, text: str, expected: bool) -> None:
    path = tmp_path / "x.star"
    path.write_text(text, encoding="utf-8")
    assert looks_like_scheme(path) is expected
