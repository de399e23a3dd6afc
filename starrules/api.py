"""The public API: load a scheme, evaluate an entity.

The pipeline, top to bottom: ``parse`` (text -> syntax tree), ``check``/``lower``
(syntax tree -> diagnostics and the checked model), then one of two engines (model +
inputs -> result): the compiled evaluator (the default: fast, no trace) or the reference
interpreter (``trace=True``: every step recorded). They give the same results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from starrules import frames, interpreter, population
from starrules import model as m
from starrules.checker import check_and_lower
from starrules.compiler import Compiled, compile_program
from starrules.diagnostics import Diagnostic
from starrules.errors import DuplicateIdError, StarCheckError, StarError, UnknownInputsError
from starrules.i18n import _
from starrules.parser import parse
from starrules.population import Rating
from starrules.result import Past, Result


class Scheme:
    """A checked scheme, ready to evaluate. Make one with :func:`load` or :func:`loads`."""

    def __init__(self, program: m.Program, source: str, warnings: list[Diagnostic]) -> None:
        self.program = program
        self.source = source
        self.warnings = warnings
        self._compiled: Compiled | None = None
        self._known = frozenset(i.name for i in program.inputs)
        self._count = len(self._known)

    @property
    def compiled(self) -> Compiled:
        """The compiled evaluator (made on first use): same results, no trace, faster."""
        if self._compiled is None:
            self._compiled = compile_program(self.program)
        return self._compiled

    @property
    def title(self) -> str:
        return self.program.title

    @property
    def version(self) -> str | None:
        return self.program.version

    @property
    def source_name(self) -> str:
        return self.program.source_name

    @property
    def sha256(self) -> str:
        """The hash of the scheme's text, to tie published results to it."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def inputs(self) -> tuple[m.Input, ...]:
        return self.program.inputs

    @property
    def levels(self) -> m.Levels:
        return self.program.levels

    def evaluate(self, inputs: Mapping[str, object], *, trace: bool | None = None, period: int | None = None,
                 history: Iterable[Past | Mapping[str, Any]] | None = None, engine: str = "auto",
                 extra: str = "forbid") -> Result:
        """Rate one entity. Raises :class:`~starrules.errors.InputError` for bad inputs.

        A key of ``inputs`` that no input of the scheme has raises
        :class:`~starrules.errors.UnknownInputsError` (a subclass of ``InputError``) naming
        it, with the input it is likely meant to be: a misspelt key would otherwise leave
        its input absent in silence. ``extra="ignore"`` leaves such keys unread.

        ``period`` is the period (year) being rated: required when the scheme reads
        ``history`` (its earlier outcomes) and checked against the scheme's ``in force``.

        By default the compiled engine rates the entity: fast, and with no trace, so
        ``result.trace`` is empty and ``result.explain()`` gives the outcome alone.
        ``trace=True`` (or ``engine="reference"``) runs the reference interpreter, which
        records every step. ``engine`` is ``"auto"`` (the default: the interpreter when a
        trace is asked for, else compiled), ``"reference"`` or ``"compiled"``; with
        ``engine="reference"``, ``trace=False`` drops the trace. Both engines give equal
        results but for the trace.
        """
        if type(inputs) is dict and len(inputs) == self._count and not trace and engine == "auto" \
                and extra == "forbid":  # the common case: a dict of as many keys as the scheme has inputs
            compiled = self._compiled or self.compiled
            if compiled.counts_keys:
                # Its keys are the inputs' names exactly when the compiled code finds every
                # input in it; when it does not, a key is no input's and it gives None.
                try:
                    result: Result | None = compiled.function(inputs, period, history, True)
                except (ArithmeticError, KeyError, TypeError, ValueError, IndexError) as exc:
                    raise compiled.error(exc) from exc
                if result is None:
                    raise self.unknown_keys(inputs)
                return result
        if not self._known.issuperset(inputs) or extra not in EXTRA:  # else one set test
            _option("extra", extra, EXTRA)
            if extra == "forbid":
                raise self.unknown_keys(inputs)
        if not trace and engine == "auto":  # the common case, compiled: kept to one call
            compiled = self._compiled or self.compiled
            try:
                return compiled.function(inputs, period, history)
            except (ArithmeticError, KeyError, TypeError, ValueError, IndexError) as exc:
                raise compiled.error(exc) from exc
        chosen, want_trace = _engine(engine, trace)
        if chosen == "compiled":
            return self.compiled.evaluate(inputs, period=period, history=history)
        return interpreter.evaluate(self.program, inputs, trace=want_trace, period=period, history=history)

    def evaluate_many(self, records: Iterable[Mapping[str, object]], *, period: int | None = None,
                      extra: str = "forbid") -> list[Result]:
        """Rate many entities one by one, each on its own (no quotas: see :meth:`rate`):
        the list ``[scheme.evaluate(r, period=period, extra=extra) for r in records]``,
        result for result, and the same error (the first record's that has one), made
        faster by the compiled engine's loop over the records inside its generated code.

        A record that loop does not take whole (not a ``dict`` of exactly one key per
        input, a value not met before in its column, anything the compiled engine leaves
        to its exact path) is rated by :meth:`evaluate` itself, so every check and every
        message are those of :meth:`evaluate`. A scheme that reads ``history`` rates each
        record with :meth:`evaluate`, without history. The garbage collector is paused while
        the list is made (results make no reference cycles), as :meth:`rate` does. An
        ``extra`` other than ``"forbid"`` or ``"ignore"`` raises ValueError at once, even
        for no records.
        """
        _option("extra", extra, EXTRA)
        compiled = self.compiled
        if compiled.many is None:
            return [self.evaluate(r, period=period, extra=extra) for r in records]

        def slow(record: Mapping[str, object]) -> Result:
            return self.evaluate(record, period=period, extra=extra)

        with population.collector_paused():
            return compiled.many(records, period, slow)

    def rate(self, records: Iterable[Mapping[str, object]] | frames.Frame, *, period: int | None = None,
             history: Mapping[str, Iterable[Past | Mapping[str, Any]]] | None = None,
             trace: bool = False, engine: str = "auto", extra: str = "forbid",
             duplicate_ids: str = "forbid") -> Rating:
        """Rate a population under the scheme's quotas and selections. Every record
        comes out, in input order, as rated, ineligible or invalid with its reason;
        the result does not depend on the order of the records. ``history`` maps an
        entity's id to its earlier outcomes. The compiled engine rates the entities (in
        one loop, as :meth:`evaluate_many`, when the scheme reads no history) unless
        ``trace=True`` or ``engine="reference"`` asks for the interpreter; the
        entities' traces are kept only with ``trace=True`` (a population's traces are
        large). ``records`` may be a pandas or polars DataFrame, one row per entity (see
        :mod:`starrules.frames`).

        ``engine="duckdb"`` rates the whole population in SQL on DuckDB
        (:mod:`starrules.sql.engine`, docs/engines.md): the same ``Rating``; there ``records``
        may also be the path of a CSV, Parquet or JSON Lines file. ``engine="spark"`` rates
        it in Spark SQL, the entities and the population steps (:func:`starrules.sql.spark.rate`,
        a local session): the same ``Rating``; there ``records`` may also be a Spark DataFrame
        or a file's path. ``"python"`` is the
        default (``"auto"``). Given a data file's path (CSV, XLSX, JSON, JSON Lines, Parquet),
        ``"auto"`` rates a Parquet file of ``starrules.sql.engine.AUTO_FROM`` rows or more on
        DuckDB when it is installed and can compute the scheme, and reads any other file in
        Python as ``starrules run`` does.

        A record with a key that no input has raises
        :class:`~starrules.errors.UnknownInputsError` (for a DataFrame or a file: a column
        that no input has), unless ``extra="ignore"``. An id (the scheme's ``id`` input) on
        more than one record raises :class:`~starrules.errors.DuplicateIdError` naming the
        records, unless ``duplicate_ids="allow"`` rates them apart (each counts in the
        quotas' base); records without an id are never duplicates."""
        _option("extra", extra, EXTRA)
        _option("duplicate_ids", duplicate_ids, DUPLICATE_IDS)
        if extra == "forbid":
            if frames.is_frame(records):
                frame: Any = records
                columns = [str(c) for c in frame.columns]
                if not self._known.issuperset(columns):
                    raise self.unknown_keys(dict.fromkeys(columns))
            elif not isinstance(records, (str, PathLike)) and not frames.is_spark(records):
                records = self._known_keys(records)  # (a Spark DataFrame's columns: starrules.sql.spark.rate)
        rating = self._rate(records, period, history, trace, engine, extra)
        if duplicate_ids == "forbid" and self.program.id_field is not None:
            twice = duplicates(rating)
            if twice:
                raise DuplicateIdError(twice)
        return rating

    def unknown_keys(self, record: Mapping[str, object], place: int | None = None) -> UnknownInputsError:
        """The error for the keys of ``record`` that no input has (see :meth:`evaluate`)."""
        return UnknownInputsError.of(record, [i.name for i in self.inputs], place)

    def _known_keys(self, records: Iterable[Mapping[str, object]]) -> Iterator[Mapping[str, object]]:
        known = self._known
        for place, record in enumerate(records):
            if not known.issuperset(record):
                raise self.unknown_keys(record, place=place)
            yield record

    def _rate(self, records: Any, period: int | None, history: Any, trace: bool, engine: str,
              extra: str) -> Rating:
        if engine in SQL_ENGINES and trace:
            raise ValueError(f"the {engine} engine keeps no trace: explain one entity with engine='reference'")
        if engine == "duckdb":  # the population in SQL (starrules.sql.engine; extra starrules[duckdb])
            from starrules.sql import engine as duckdb_engine

            return duckdb_engine.rate(self.program, records, period=period, extra=extra)
        if engine == "spark":  # the population in Spark SQL (starrules.sql.spark; extra starrules[spark])
            from starrules.sql import spark

            if frames.is_frame(records):
                records = frames.records(records, self.inputs)
            return spark.rate(self.program, records, period=period, extra=extra)
        if isinstance(records, (str, PathLike)):  # a data file's path
            if engine == "auto" and not trace and history is None and on_duckdb(self.program, records):
                from starrules.sql import engine as sql_engine

                return sql_engine.rate(self.program, records, period=period, extra=extra)
            from starrules.data import read_table

            records = read_table(records).records  # in Python, as starrules run reads it
            if extra == "forbid":
                records = self._known_keys(records)
        chosen, want_trace = _engine("auto" if engine == "python" else engine, trace)
        evaluator = self.compiled.evaluate if chosen == "compiled" else None
        batch = self.compiled.many if chosen == "compiled" else None
        if frames.is_frame(records):
            records = frames.records(records, self.inputs)
        return population.rate(self.program, records, trace=want_trace, period=period, history=history,
                               evaluator=evaluator, batch=batch)

    def rate_frame(self, frame: frames.Frame, *, period: int | None = None,
                   history: Mapping[str, Iterable[Past | Mapping[str, Any]]] | None = None,
                   engine: str = "auto", extra: str = "forbid", duplicate_ids: str = "forbid") -> frames.Frame:
        """:meth:`rate` a pandas or polars DataFrame and give the outcomes as a DataFrame of
        the same library, one row per row in, in order (:func:`starrules.frames.to_frame`)."""
        if not frames.is_frame(frame):
            raise frames.FrameError(f"rate_frame takes a pandas or polars DataFrame, not {type(frame).__name__}: "
                                    "rate other records with rate()")
        rating = self.rate(frame, period=period, history=history, engine=engine, extra=extra,
                           duplicate_ids=duplicate_ids)
        return frames.to_frame(rating, self, like=frame)

    def __repr__(self) -> str:
        return f"<Scheme {self.title!r} version {self.version!r} from {self.source_name}>"


ENGINES = ("auto", "reference", "compiled")
SQL_ENGINES = ("duckdb", "spark")  # for whole populations: Scheme.rate, starrules run --engine
POPULATION_ENGINES = (*ENGINES, "python", *SQL_ENGINES)
EXTRA = ("forbid", "ignore")  # what evaluate and rate do with a key no input has
DUPLICATE_IDS = ("forbid", "allow")  # what rate does with an id on more than one record


def _option(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


def duplicates(rating: Rating) -> dict[str, list[int]]:
    """The ids on more than one outcome of ``rating`` (:meth:`Rating.duplicate_ids`)."""
    return rating.duplicate_ids()


def on_duckdb(program: m.Program, path: str | PathLike[str]) -> bool:
    """Whether ``engine="auto"`` rates the file at ``path`` on DuckDB
    (:func:`starrules.sql.engine.chooses`; never without the extras it needs)."""
    try:
        from starrules.sql import engine as sql_engine
    except ImportError:  # sqlglot, the SQL extra, is not installed
        return False
    return sql_engine.chooses(program, path)


def _engine(engine: str, trace: bool | None) -> tuple[str, bool]:
    """The engine to run and whether it keeps a trace. ``trace`` None: a trace exactly
    when the engine is the reference interpreter."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "compiled" and trace:
        raise ValueError("the compiled engine keeps no trace: ask for trace=False, or engine='reference'")
    if engine == "auto":
        engine = "reference" if trace else "compiled"
    return engine, engine == "reference" and trace is not False


def loads(text: str, name: str = "<string>") -> Scheme:
    """Parse and check a scheme's text; raises StarSyntaxError or StarCheckError."""
    tree = parse(text, name)
    diagnostics, program = check_and_lower(tree)
    errors = [d for d in diagnostics if d.is_error]
    if errors or program is None:
        raise StarCheckError(errors, text)
    return Scheme(program, text, [d for d in diagnostics if not d.is_error])


def read_scheme_text(path: str | PathLike[str]) -> str:
    """A scheme file's text: UTF-8 (with or without a BOM), else GB18030, which Chinese
    editors save by default ("ANSI")."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise StarError(_("{path} is neither UTF-8 nor GB18030 text: save it as UTF-8").format(path=path)) from None


def load(path: str | PathLike[str]) -> Scheme:
    """Read a ``.star`` file (UTF-8 or GB18030) and load it."""
    return loads(read_scheme_text(path), str(path))
