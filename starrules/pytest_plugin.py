"""A pytest plugin (registered by entry point) that collects the examples written in
``.star`` files, so another project's suite runs them: ``pytest schemes/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from starrules import model as m
from starrules.api import Scheme, load
from starrules.errors import StarDiagnosticError
from starrules.examples import run_example


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".star":
        return StarFile.from_parent(parent, path=file_path)
    return None


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
