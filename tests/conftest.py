"""Shared fixtures.

``engine`` runs a test once under each evaluator: ``"reference"`` (the interpreter,
which keeps the trace) and ``"compiled"`` (the generated code, no trace). A test that
checks levels, scores, statuses or outcomes takes it and passes ``engine=engine`` to
``Scheme.evaluate`` / ``Scheme.rate``, so both engines are held to the same expected
values. Tests of the trace or of explanations call the reference engine (``trace=True``)
and say so. The fixture is session-scoped (it is a plain name) so that Hypothesis tests
may take it too. ``population_engine`` adds ``"duckdb"`` for tests that only rate
populations (``Scheme.rate``).
"""

from __future__ import annotations

import os

import pytest

ENGINES = ("reference", "compiled")
POPULATION_ENGINES = (*ENGINES, "duckdb")  # Scheme.rate also runs the population in SQL


@pytest.fixture(params=ENGINES, scope="session")
def engine(request: pytest.FixtureRequest) -> str:
    """The engine a test runs under; each test that takes it runs once per engine."""
    name: str = request.param
    return name


@pytest.fixture(params=POPULATION_ENGINES, scope="session")
def population_engine(request: pytest.FixtureRequest) -> str:
    """The engines ``Scheme.rate`` takes: the two evaluators and DuckDB (the whole
    population in SQL). The population golden tests take it under the name ``engine``
    (their module's ``engine`` fixture asks for this one)."""
    name: str = request.param
    return name


# The suite's older expectations are written in English; the Chinese of every message is
# held by tests/test_i18n.py and by the tests that choose it (i18n.using("zh") or
# STARRULES_LANG=zh for a command). Set before any test runs, so commands the tests start
# inherit it too.
os.environ["STARRULES_LANG"] = "en"
