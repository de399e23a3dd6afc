"""DataFrames in and out: rate a pandas or polars DataFrame, get one back.

Neither library is a dependency (``pip install 'starrules[pandas]'`` or
``'starrules[polars]'``), and neither is imported unless the object handed in comes
from it: a frame is told by the module of its class.

In: :func:`records` turns a frame into records without making a dict per row. Each
column the scheme reads is converted once to a Python list (``tolist()``/``to_list()``)
and a :class:`Row` is a position in those lists, so the evaluators, which read a record
only through ``get(name)``, read a cell as ``columns[name][i]``. A missing cell —
pandas' ``NaN``/``None``/``NA``/``NaT``, polars' null — is ``None``: missing, exactly as
a blank CSV cell (its default, an empty set, or "the value is missing"). A polars
floating ``NaN`` is not null: it is a value, and refused as a number.

Numbers arrive as ``int`` and ``float``. A float is read through its shortest text
(``repr``), as :func:`starrules.values.coerce` reads every float: a cell holding 8.5 is
exactly 8.5, and a cell holding the float ``0.1 + 0.2`` is read as what it holds,
0.30000000000000004, never silently rounded to 0.3 (off the step of a ``score 0..10 step
0.1``, such a cell makes its row invalid). Read a file's numbers as text (pandas
``dtype=str``, polars ``infer_schema_length=0``) or as decimals to keep every digit.

Out: :func:`to_frame` writes a :class:`~starrules.population.Rating` as a frame of the
same library, one row per record in input order; see its docstring for the columns.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Context, Decimal, Inexact, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any, overload

from starrules import model as m
from starrules.errors import StarError
from starrules.values import fmt_number

if TYPE_CHECKING:
    from starrules.api import Scheme
    from starrules.population import Rating

Frame = Any  # a pandas.DataFrame or a polars.DataFrame: neither library is imported to type it
KINDS = ("pandas", "polars")
POLARS_DECIMAL_DIGITS = 38  # the most digits a polars Decimal column holds


class FrameError(StarError, ValueError):
    """A DataFrame cannot be read or written (as opposed to a bad value in one row)."""


def _library(obj: object) -> str | None:
    """``"pandas"`` or ``"polars"`` when some class of ``obj`` comes from it (a subclass
    such as geopandas' counts), without importing either."""
    for cls in type(obj).__mro__:
        top = cls.__module__.partition(".")[0]
        if top in KINDS:
            return top
    return None


def kind_of(obj: object) -> str | None:
    """``"pandas"`` or ``"polars"`` for a DataFrame of that library, else None. Nothing is
    imported for an object of another module (a list, a generator, a csv reader)."""
    library = _library(obj)
    if library is None:
        return None
    module = importlib.import_module(library)
    if isinstance(obj, module.DataFrame):
        return library
    if library == "polars" and isinstance(obj, module.LazyFrame):
        raise FrameError("a polars LazyFrame is a query, not data: rate frame.collect()")
    return None


def is_frame(obj: object) -> bool:
    return kind_of(obj) is not None


def is_spark(obj: object) -> bool:
    """Whether ``obj`` is a Spark DataFrame (rated where it lies by the Spark engine, not
    converted to records); nothing is imported."""
    return type(obj).__module__.startswith("pyspark.sql") and hasattr(obj, "sparkSession")


class Row(Mapping[str, object]):
    """One row of a frame as a read-only record: ``get(name)`` is ``columns[name][i]``
    (None for a column the frame lacks, or a missing cell). It is a Mapping over the
    columns that were converted."""

    __slots__ = ("_columns", "_i")

    def __init__(self, columns: Mapping[str, Sequence[object]], i: int) -> None:
        self._columns = columns
        self._i = i

    def get(self, name: str, default: object = None) -> object:
        column = self._columns.get(name)
        return default if column is None else column[self._i]

    def __getitem__(self, name: str) -> object:
        return self._columns[name][self._i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        return f"Row({self._i}, {dict(self)!r})"


class Records(Sequence[Row]):
    """A frame's rows as records: a sequence of :class:`Row`, made as they are read."""

    __slots__ = ("columns", "length")

    def __init__(self, columns: dict[str, list[object]], length: int) -> None:
        self.columns = columns
        self.length = length

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, i: int) -> Row: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Row]: ...

    def __getitem__(self, i: int | slice) -> Row | Sequence[Row]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.length))]
        if not -self.length <= i < self.length:
            raise IndexError(i)
        return Row(self.columns, i % self.length)

    def __iter__(self) -> Iterator[Row]:
        columns = self.columns
        return (Row(columns, i) for i in range(self.length))


def records(frame: Frame, inputs: Iterable[m.Input | str] | None = None) -> Records:
    """The rows of a pandas or polars DataFrame as records. ``inputs``: the columns to
    convert (the scheme's inputs, or their names; the other columns are never read), by
    default all of them. In the column of a numeric input (score, count, percent), a
    float or an integer is handed on as its shortest text (``repr``), which is how
    :func:`~starrules.values.coerce` reads it anyway: the compiled evaluator's fast path
    takes texts, so typed columns rate as fast as text ones (a bad value is then shown
    quoted, ``'10.5'``, as from a CSV file)."""
    kind = kind_of(frame)
    if kind is None:
        raise FrameError(f"expected a pandas or polars DataFrame, not {type(frame).__name__}")
    labels = {str(label): label for label in frame.columns}
    if len(labels) != len(frame.columns):
        twice = next(name for name, n in Counter(str(x) for x in frame.columns).items() if n > 1)
        raise FrameError(f"the DataFrame has two columns named {twice!r}: which one gives the input is not guessed")
    if inputs is None:
        wanted: dict[str, bool] = dict.fromkeys(labels, False)
    else:
        wanted = {}
        for inp in inputs:
            name = inp if isinstance(inp, str) else inp.name
            if name in labels:
                wanted[name] = not isinstance(inp, str) and inp.type.kind in NUMERIC
    convert = _pandas_column if kind == "pandas" else _polars_column
    columns = {}
    for name, numeric in wanted.items():
        values = convert(frame, labels[name])
        columns[name] = _numbers_as_text(values) if numeric else values
    return Records(columns, len(frame))


NUMERIC = ("number", "count", "percent")


def _numbers_as_text(values: list[object]) -> list[object]:
    """Floats and integers as their shortest texts, when that text is a plain decimal
    (``1e-05``, ``inf`` and ``nan`` stay floats: coerce reads those as floats). Anything
    else (texts, Decimals, bools, None) as it is."""
    for i, v in enumerate(values):
        cls = v.__class__
        if cls is float:
            text = repr(v)
            if "e" not in text and "n" not in text:
                values[i] = text
        elif cls is int and -MAX_INT < v < MAX_INT:  # type: ignore[operator]
            values[i] = repr(v)
    return values


MAX_INT = 10**40  # a longer integer stays an int: coerce refuses it for its digits either way


def _pandas_column(frame: Frame, label: object) -> list[object]:
    series = frame[label]
    values: list[object] = series.tolist()
    missing = series.isna()
    if missing.any():  # NaN, None, pd.NA and NaT are all missing cells in pandas
        for i in missing.to_numpy().nonzero()[0].tolist():
            values[i] = None
    return values


def _polars_column(frame: Frame, label: object) -> list[object]:
    values: list[object] = frame.get_column(label).to_list()  # nulls are None
    return values


# ---- out ---------------------------------------------------------------------------------


def to_frame(rating: Rating, scheme: Scheme, like: Frame | str = "pandas") -> Frame:
    """The outcomes of ``rating`` as a DataFrame of the library of ``like`` (a DataFrame,
    or ``"pandas"``/``"polars"``): one row per record, in input order (a pandas frame
    keeps the index of ``like`` when it has one row per record). The columns:

    ``row`` (0-based position), ``id``, one per ``group`` input (named as the input;
    ``group:名`` if that name is taken by a column below), ``status``, ``level``,
    ``level_label``, ``level_before`` (the level before the quotas), ``reason``,
    ``total``, ``rank``, ``flags`` (joined with ``、``), then one per score, bonus and
    penalty but the total, named ``score:名``, ``bonus:名``, ``penalty:名``.

    Numbers are exact: ``total`` and the scores are ``Decimal`` objects in pandas
    (object dtype), a polars ``Decimal`` column at the scale of its longest value (or,
    if a value needs more than 38 digits there, a ``String`` column of the exact
    numbers). Levels are integers (nullable) for star levels, text for grades; text
    columns are pandas ``string`` (missing: ``pd.NA``) or polars ``String``."""
    kind = like if isinstance(like, str) else kind_of(like)
    if kind not in KINDS:
        raise FrameError(f"like must be a pandas or polars DataFrame, or one of {', '.join(KINDS)}, not {like!r}")
    program = scheme.program
    outcomes = rating.outcomes
    fixed = ("row", "id", "status", "level", "level_label", "level_before", "reason", "total", "rank", "flags")
    levels = "int" if program.levels.stars else "text"
    columns: list[tuple[str, str, list[Any]]] = [
        ("row", "row", [o.row for o in outcomes]),
        ("id", "text", [o.id for o in outcomes]),
    ]
    for g in program.group_fields:
        name = f"group:{g}" if g in fixed else g
        columns.append((name, "text", [o.groups.get(g) for o in outcomes]))
    columns += [
        ("status", "text", [o.status for o in outcomes]),
        ("level", levels, [o.level for o in outcomes]),
        ("level_label", "text", [o.level_label for o in outcomes]),
        ("level_before", levels, [o.level_before for o in outcomes]),
        ("reason", "text", [o.reason for o in outcomes]),
        ("total", "decimal", [o.total for o in outcomes]),
        ("rank", "int", [o.rank for o in outcomes]),
        ("flags", "text", ["、".join(o.flags) for o in outcomes]),
    ]
    for s in program.scores:
        if s.name != program.total:
            columns.append((f"{s.kind}:{s.name}", "decimal",
                            [o.result.scores.get(s.name) if o.result is not None else None for o in outcomes]))
    if kind == "pandas":
        return _pandas_frame(columns, like)
    return _polars_frame(columns)


def _pandas_frame(columns: list[tuple[str, str, list[Any]]], like: Frame | str) -> Frame:
    pd = importlib.import_module("pandas")
    dtypes = {"row": "int64", "int": "Int64", "text": "string", "decimal": object}
    length = len(columns[0][2])
    index = like.index if not isinstance(like, str) and len(like.index) == length else None
    data = {name: pd.Series(values, dtype=dtypes[kind], index=index) for name, kind, values in columns}
    return pd.DataFrame(data, index=index)


def _polars_frame(columns: list[tuple[str, str, list[Any]]]) -> Frame:
    pl = importlib.import_module("polars")
    series = []
    for name, kind, values in columns:
        if kind in ("row", "int"):
            dtype = pl.Int64
        elif kind == "text":
            dtype = pl.String
        else:
            scale = _decimal_scale(values)
            if scale is None:
                dtype = pl.String
                values = [None if v is None else fmt_number(v) for v in values]
            else:  # every value at the column's scale (older polars refuses mixed scales)
                dtype = pl.Decimal(POLARS_DECIMAL_DIGITS, scale)
                unit = Decimal(1).scaleb(-scale)
                with localcontext(Context(prec=POLARS_DECIMAL_DIGITS, traps=[Inexact, InvalidOperation])):
                    values = [None if v is None else v.quantize(unit) for v in values]
        series.append(pl.Series(name, values, dtype=dtype))
    return pl.DataFrame(series)


def _decimal_scale(values: list[Decimal | None]) -> int | None:
    """The scale of a polars Decimal column that holds every value exactly (polars rounds
    a value with more places than its column's scale), or None if none does."""
    scale = whole = 0
    for v in values:
        if v is not None:
            if not v.is_finite():
                return None
            t = v.as_tuple()
            places = -t.exponent if isinstance(t.exponent, int) else 0
            scale = max(scale, places)
            whole = max(whole, len(t.digits) - places)
    if scale + max(whole, 1) > POLARS_DECIMAL_DIGITS:
        return None
    return scale
