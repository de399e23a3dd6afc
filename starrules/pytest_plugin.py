"""A pytest plugin (registered by entry point) that collects the examples written in
``.star`` files, so another project's suite runs them: ``pytest schemes/``.

``.star`` is also the suffix of Bazel's and other Starlark files, so a file is collected
only when it is a scheme: its first line that is neither blank nor a ``#`` comment begins
with ``scheme "`` (every scheme begins so; a Starlark file begins with ``load(``, ``def``,
a docstring or an assignment), or when the project names it in the ``starrules_paths``
ini option (files, directories or globs, relative to the rootdir), which collects a file
there even when its first line is wrong, so that its error is reported (docs/testing.md).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from starrules import model as m
from starrules.api import Scheme, load
from starrules.errors import StarDiagnosticError
from starrules.examples import run_example

SCHEME_LINE = re.compile(r'scheme\s+"')
SNIFF_BYTES = 65_536  # comments before the scheme line fit in this many bytes


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("starrules_paths", type="linelist", default=[],
                  help="scheme files, directories or globs (relative to the rootdir) whose .star files are "
                       "collected even when they do not begin with a scheme line")


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix != ".star":
        return None
    if looks_like_scheme(file_path) or _listed(parent.config, file_path):
        return StarFile.from_parent(parent, path=file_path)
    return None


def looks_like_scheme(path: Path) -> bool:
    """The first line that is neither blank nor a comment begins with ``scheme "``."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = head.decode("gb18030", errors="replace")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return SCHEME_LINE.match(stripped) is not None
    return False


def _listed(config: pytest.Config, path: Path) -> bool:
    """The file is named by ``starrules_paths``: itself, a directory above it, or a glob
    (``fnmatch``: ``*`` matches across ``/`` too) matching its path from the rootdir."""
    patterns: list[str] = config.getini("starrules_paths")
    if not patterns:
        return False
    root = config.rootpath
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    for pattern in patterns:
        pattern = pattern.strip().rstrip("/")
        if pattern and (fnmatch.fnmatch(rel, pattern) or rel == pattern or rel.startswith(pattern + "/")):
            return True
    return False


class StarFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            scheme = load(self.path)
        except StarDiagnosticError as exc:
            yield BrokenScheme.from_parent(self, name="check", message=exc.render())
            return
        for example in scheme.program.examples:
            yield StarExample.from_parent(self, name=example.name, scheme=scheme, example=example)


class StarExample(pytest.Item):
    def __init__(self, *, scheme: Scheme, example: m.Example, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scheme = scheme
        self.example = example

    def runtest(self) -> None:
        outcome = run_example(self.scheme, self.example)
        if not outcome.passed:
            raise ExampleError(outcome.describe(str(self.path)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ExampleError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.example.span.line - 1, f"example {self.example.name}"


class BrokenScheme(pytest.Item):
    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def runtest(self) -> None:
        raise ExampleError(self.message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "the scheme does not check"


class ExampleError(Exception):
    """An example's outcome differs from what it expects (the message says how)."""
