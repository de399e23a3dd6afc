"""The population steps on Apache Spark (``starrules.sql.spark.population``).

The bundled schemes with quotas and selections (Anyang's two quotas, a minimum per branch
in Feigong-dangyuan, Kaifaqu's about-quotas per field and flagging selection,
Shuangshixing-zuzhi's capping selections with ties kept) run on Spark from their example
data: the entity relation, then every quota and selection as Spark SQL window queries.
The level of every rated row after the quotas, the quota reports and the number of moves
equal ``Scheme.rate``'s. Spark takes tens of seconds a scheme in local mode (most of it
the entity query), so each scheme runs once; nothing is timed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import starrules
from starrules.sql import spark as sp
from starrules.sql.population import MOVES, PICKED
from starrules.sql.reading import ident
from tests.example_data import read_rows

ROOT = Path(__file__).resolve().parent.parent
WITH_STEPS = ("anyang", "feigong-dangyuan", "kaifaqu", "shuangshixing-zuzhi")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = sp.session()
    yield session
    session.stop()


@pytest.mark.parametrize("name", WITH_STEPS)
def test_population_steps_on_spark_equal_scheme_rate(spark: Any, name: str) -> None:
    scheme = starrules.load(ROOT / "schemes" / f"{name}.star")
    program = scheme.program
    rows = read_rows(ROOT / "schemes" / "examples" / f"{name}.csv", program.id_field or "")
    want = scheme.rate(rows)
    kinds = sp.load(spark, program, rows)
    frame, reports = sp.population(spark, program, types=kinds)
    got = {int(r[0]): program.levels.values[r[1]] for r in frame.collect()}
    assert got == {k: o.level for k, o in enumerate(want.outcomes) if o.status == "rated"}
    assert list(reports) == list(want.reports)
    assert want.reports  # every one of these schemes has a quota or a selection
    moves = spark.table(ident(MOVES).sql(dialect="spark")).count()
    assert moves == sum(len(o.moves) for o in want.outcomes)
    # the flags selections gave: on each row as many as Scheme.rate's outcome holds
    picked = Counter(int(r[0]) for r in spark.table(ident(PICKED).sql(dialect="spark")).collect())
    named = {s.flag for s in program.selections if s.flag is not None}
    assert picked == Counter({k: n for k, o in enumerate(want.outcomes) if (n := sum(f in named for f in o.flags))})
