"""Running the scheme on Apache Spark through PySpark (extra ``starrules[spark]``).

Takes a program and records, a Spark DataFrame or a file Spark reads; gives the entity
relation (:func:`run`, :func:`entity_rows`), the population steps alone
(:func:`population`: the levels after the quotas and the reports, as a DataFrame), or the
whole :class:`~starrules.population.Rating` (:func:`rate`: the stages of
:mod:`starrules.sql.engine` in Spark's dialect, the outcomes read back when read), from the
same lowered queries as DuckDB, written in Spark's SQL dialect by sqlglot. A county runs it
in local mode on a laptop, a province on a cluster, with one scheme file.

The session is the caller's when given (a cluster's); :func:`session` makes a local one
(``local[2]``, no web UI, bound to 127.0.0.1) with the settings the lowered query needs:
ANSI mode (an overflow or a bad cast is an error, never a silent NULL), decimal
arithmetic that never drops places to fit a type (``allowPrecisionLoss`` off), and Spark's
interpreted evaluation for the query (its generated Java exceeds the JVM's 64 KB method
limit on a scheme of Anyang's size, and Spark would fall back after minutes of trying).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlglot import exp

from starrules import frames
from starrules import model as m
from starrules.errors import StarError
from starrules.i18n import _
from starrules.population import QuotaReport, Rating
from starrules.sql.duck import cell_text, column_kind
from starrules.sql.lower import ROW, col, entity_query
from starrules.sql.reading import MARKED, NUMBER_KINDS, REFUSED, float_repr
from starrules.sql.statements import table

SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.ansi.enabled": "true",
    # a product whose factors' types are together wider than 38 digits keeps every place
    # the lowered query gives it (by default Spark drops places to fit: 0.000001 * 1.000001
    # came out 0.000001000000)
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    # the population steps materialize the entity relation (``localCheckpoint``): with the
    # constraints of its hundreds of columns inferred, Spark's optimizer ran out of a 1 GB
    # heap on the Shuangshixing and Kaifaqu schemes (collecting the same query did not)
    "spark.sql.constraintPropagation.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
}
"""What :func:`session` sets, and what a cluster's session should set for these queries."""


class SparkMissingError(StarError):
    """The Spark engine needs PySpark (and Java) and they are not there."""


def session(master: str = "local[2]") -> Any:
    """A Spark session for the lowered queries (the active one if there is one)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkMissingError(_("the Spark engine needs the extra: pip install 'starrules[spark]' (and Java 17)")) from None
    # no progress bars on the terminal (starrules run says what it did itself), and the
    # address it binds to said, not guessed aloud
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(master).appName("starrules").config("spark.ui.showConsoleProgress", "false")
    if master.startswith("local") and "SPARK_DRIVER_MEMORY" not in os.environ:
        # local mode runs in the driver, whose own default (1 GB) fails on a few million
        # rows: half the machine's memory, as the DuckDB engine takes on disk
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
        builder = builder.config("spark.driver.memory", f"{memory // 2**20}m")
    for key, value in SETTINGS.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _spark_type(sql_type: str) -> Any:
    from pyspark.sql import types as t

    if sql_type == "BOOLEAN":
        return t.BooleanType()
    if sql_type == "BIGINT":
        return t.LongType()
    if sql_type.startswith("DECIMAL"):
        precision, scale = (int(x) for x in sql_type[len("DECIMAL("):-1].split(","))
        return t.DecimalType(precision, scale)
    return t.StringType()


def load(spark: Any, program: m.Program, records: Iterable[Mapping[str, object]], view: str = "input") -> dict[str, str]:
    """Load ``records`` as the temporary view ``view``, typed as :func:`starrules.sql.duck.load`
    types them (``#row`` from 0 in the records' order); gives each input column's kind."""
    from pyspark.sql import types as t

    recs = list(records)
    kinds: dict[str, str] = {}
    fields = [t.StructField("#row", t.LongType(), nullable=False)]
    for inp in program.inputs:
        x = inp.name
        kinds[x], sql_type = column_kind([r.get(x) for r in recs], inp.type.kind in NUMBER_KINDS)
        # a column of floats as their reprs: the text the reading SQL takes for a DOUBLE on
        # Spark (see :func:`_source`), made here where Python has the floats in hand
        fields.append(t.StructField(x, t.StringType() if kinds[x] == "double" else _spark_type(sql_type)))

    def cell(inp: m.Input, v: object) -> object:
        kind = kinds[inp.name]
        return cell_text(v, inp) if kind == "text" else repr(v) if kind == "double" and v is not None else v

    rows = [[k] + [cell(inp, r.get(inp.name)) for inp in program.inputs] for k, r in enumerate(recs)]
    for j, inp in enumerate(program.inputs, start=1):  # a text input's column holding a marked value
        if kinds[inp.name] == "text" and inp.type.kind == "text" and any(
                isinstance(c, str) and c[:1] == REFUSED for c in (row[j] for row in rows)):
            kinds[inp.name] = MARKED
    spark.createDataFrame(rows, t.StructType(fields)).createOrReplaceTempView(view)
    return kinds


def query_text(program: m.Program, view: str = "input", types: Mapping[str, str] | None = None) -> str:
    """The entity query in Spark SQL."""
    return entity_query(program, view, types).sql(dialect="spark")


def run(spark: Any, program: m.Program, view: str = "input", types: Mapping[str, str] | None = None
        ) -> list[dict[str, Any]]:
    """The entity relation of the rows in ``view``, one dict per row, in ``#row`` order."""
    rows = spark.sql(query_text(program, view, types)).collect()
    out = [row.asDict() for row in rows]
    out.sort(key=lambda r: r["#row"])
    return [{k: (Decimal(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in out]


def entity_rows(program: m.Program, records: Iterable[Mapping[str, object]], spark: Any | None = None
                ) -> list[dict[str, Any]]:
    """The entity relation of ``records`` on Spark, one dict per record, in order."""
    spark = spark or session()
    kinds = load(spark, program, records)
    return run(spark, program, types=kinds)


def kinds_of(frame: Any, numbers: Collection[str] = ()) -> dict[str, str]:
    """The kinds of a Spark DataFrame's typed columns (``boolean``, ``integer``,
    ``decimal``, and ``double`` for a DOUBLE or FLOAT column named in ``numbers``), as the
    DuckDB engine reads a Parquet file's; the others are read as text."""
    from pyspark.sql import types as t

    kinds = {}
    for field in frame.schema.fields:
        if isinstance(field.dataType, (t.DoubleType, t.FloatType)) and field.name in numbers:
            kinds[field.name] = "double"
        elif isinstance(field.dataType, t.BooleanType):
            kinds[field.name] = "boolean"
        elif isinstance(field.dataType, (t.LongType, t.IntegerType, t.ShortType, t.ByteType)):
            kinds[field.name] = "integer"
        elif isinstance(field.dataType, t.DecimalType):
            kinds[field.name] = "decimal"
    return kinds


def _source(spark: Any, program: m.Program, frame: Any) -> dict[str, str]:
    """The view ``input`` of a Spark DataFrame: ``#row`` numbered 0, 1, ... in the frame's
    order, a column per input (NULL where the frame has none; a column that is not a
    boolean, an integer or a decimal as its text; a DOUBLE or FLOAT read by a number input
    as Python's repr of it, :func:`starrules.sql.reading.float_repr`, since Spark's own
    text of a double is Java's); gives the kinds of the typed columns."""
    from pyspark.sql import functions as f
    from pyspark.sql.window import Window

    numbers = {i.name for i in program.inputs if i.type.kind in NUMBER_KINDS}
    kinds = {k: v for k, v in kinds_of(frame, numbers).items() if k in {i.name for i in program.inputs}}
    place = f.row_number().over(Window.orderBy(f.monotonically_increasing_id())) - 1
    cols = [place.alias(ROW)]
    for inp in program.inputs:
        if inp.name not in frame.columns:
            cols.append(f.lit(None).cast("string").alias(inp.name))
        else:
            c = f.col(f"`{inp.name.replace('`', '``')}`")
            if kinds.get(inp.name) == "double":
                c = f.expr(float_repr(exp.Cast(this=col(inp.name), to=exp.DataType.build("DOUBLE"))).sql(dialect="spark"))
            elif inp.name not in kinds:
                c = c.cast("string")
            cols.append(c.alias(inp.name))
    frame.select(*cols).createOrReplaceTempView("input")
    return kinds


READERS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "json", ".ndjson": "json"}


def read(spark: Any, path: str | os.PathLike[str]) -> Any:
    """A CSV (every cell text, a header line), Parquet or JSON Lines file as a Spark
    DataFrame. A JSON Lines file's numbers, booleans and texts all as texts, a number as
    written (``primitivesAsString``: Spark's own reading makes 8.50000000000000001 the
    double 8.5); :func:`rate` reads a JSON Lines file on this machine in Python instead."""
    kind = READERS.get(Path(path).suffix.lower())
    if kind is None:
        raise StarError(_("the Spark engine reads CSV, Parquet and JSON Lines files, not {name}").format(
            name=Path(path).name))
    if kind == "csv":
        return spark.read.csv(str(path), header=True, inferSchema=False, multiLine=True, escape='"')
    if kind == "json":
        return spark.read.json(str(path), primitivesAsString=True)
    return getattr(spark.read, kind)(str(path))


def file_columns(path: str | os.PathLike[str]) -> list[str]:
    """The columns of a data file as Spark reads it (:func:`read`); a file that cannot be
    read raises DataError."""
    from starrules.data import DataError

    try:
        return list(read(session(), path).columns)
    except StarError:
        raise
    except Exception as exc:  # Spark's AnalysisException: no such file, or not of its format
        raise DataError(_("cannot read {name}: {problem}").format(name=str(path), problem=str(exc).strip())) from None


def rate(program: m.Program, data: Any, spark: Any | None = None, period: int | None = None,
         extra: str = "ignore") -> Rating:
    """Rate ``data`` on Spark: records (mappings, as ``Scheme.rate`` takes them), a Spark
    DataFrame with a column per input (rows in its order), or the path of a CSV, Parquet
    or JSON Lines file that Spark reads (:func:`read`); a frame's or file's column that no
    input reads raises UnknownInputsError unless ``extra="ignore"``. The entity relation and
    every population step run as Spark SQL (:func:`population`'s steps); the same
    :class:`~starrules.population.Rating` as the Python engines give, whose outcomes are
    read from Spark ten thousand at a time when asked (the counts, levels, ties and
    duplicate ids without any outcome). Each rating has a session of its own
    (``newSession()`` of ``spark``, or of a local one: its temporary views are its own),
    with the settings of :data:`SETTINGS` that a running session takes."""
    from starrules.sql import engine

    engine.refuse_unsupported(program)  # before any data is read
    own = (spark or session()).newSession()
    for key, value in SETTINGS.items():
        if not key.startswith(("spark.ui.", "spark.driver.")):
            own.conf.set(key, value)
    if isinstance(data, (str, os.PathLike)):
        if READERS.get(Path(data).suffix.lower()) == "json" and Path(data).is_file():
            # a JSON Lines file on this machine: read as starrules run reads it (numbers as
            # exact decimals, texts as texts), as the DuckDB engine reads it
            from starrules.data import read_table

            table = read_table(data)
            engine.refuse_unread(program, table.header, extra)
            data = table.records
        else:
            data = read(own, data)
    shared: list[str] = []  # the global view of a frame of another session, while the rating needs it
    records: list[Mapping[str, object]] | None = None  # the records, if given: for the bad rows' reasons

    def release() -> None:
        for name in shared:
            try:
                own.catalog.dropGlobalTempView(name)
            except Exception:  # the session has stopped (at exit): its views went with it
                pass
        shared.clear()

    try:
        if frames.is_spark(data):
            engine.refuse_unread(program, data.columns, extra)
            if data.sparkSession is not own:  # a frame of another session: through a view all sessions see
                shared.append(f"starrules_input_{id(own)}")
                data.createOrReplaceGlobalTempView(shared[0])
                data = own.table(f"global_temp.{shared[0]}")
            kinds = _source(own, program, data)
        else:
            records = data if isinstance(data, list) else list(data)
            kinds = load(own, program, records)
        query = entity_query(program, "input", {k: v for k, v in kinds.items() if v != "text"})
        query.set("order", None)
        # the view is dropped once every outcome is made (or the rating is dropped)
        return engine._rate(own, program, query, period, release, dialect="spark", records=records)
    except BaseException:
        release()
        raise


def population(spark: Any, program: m.Program, view: str = "input", types: Mapping[str, str] | None = None
               ) -> tuple[Any, list[QuotaReport]]:
    """The population steps on Spark over the rows in ``view`` (``#row`` and a column per
    input; ``types`` the kinds of its typed columns, as :func:`load` gives them): the
    entity relation, then every quota and selection as Spark SQL window queries
    (:class:`starrules.sql.population.Steps` in Spark's dialect). Gives a DataFrame of the
    rated rows (``#row``, ``#at``: the level rank after the quotas, ``#lim``) and the quota
    reports, as ``Scheme.rate`` makes them, without making any outcome (:func:`rate` makes
    them). The moves, ties and flags stay in the temporary views ``#moves``, ``#ties`` and
    ``#picked``. (When a ranking may reach the reference's last resort, the entity's own
    values, the rated rows' inputs are read into Python once to place them.)"""
    from starrules.sql import engine
    from starrules.sql.population import AT, LIM, POP

    engine.refuse_unsupported(program)
    query = entity_query(program, view, types)
    query.set("order", None)
    steps, reports = engine.run_steps(spark, program, query, dialect="spark")
    out = spark.sql(steps.sql(exp.select(col(ROW), col(AT), col(LIM)).from_(table(POP))))
    return out, reports
