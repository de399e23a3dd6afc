"""The library's exceptions. Each carries data, never only a formatted string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from starrules.diagnostics import Diagnostic, name_meant, render_all
from starrules.i18n import _


class StarError(Exception):
    """Base class of every error starrules raises for a user's mistake."""


class StarDiagnosticError(StarError):
    """A scheme text has problems; ``diagnostics`` lists all of them."""

    def __init__(self, diagnostics: Sequence[Diagnostic], source: str) -> None:
        self.diagnostics = list(diagnostics)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        return render_all(self.diagnostics, self.source)


class StarSyntaxError(StarDiagnosticError):
    """The text is not a well-formed scheme (it does not parse)."""


class StarCheckError(StarDiagnosticError):
    """The text parses but the checker found errors (unknown names, type errors, ...)."""


class InputError(StarError):
    """Input values do not fit their declarations; bad input never gets a silent score.

    ``problems`` lists every bad field of the entity; ``field``, ``value`` and
    ``expected`` are those of the first, for the common case of one.
    """

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        self.field = first.field
        self.value = first.value
        self.expected = first.expected
        super().__init__(_("; ").join(str(p) for p in self.problems))  # "；" between them in Chinese


class InputProblem:
    """One bad value: the input's name, what was given, what its declaration allows."""

    __slots__ = ("expected", "field", "value")

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected

    def __str__(self) -> str:
        if value_missing(self.value):
            return _("{field}: (missing) is not valid; expected {expected}").format(
                field=self.field, expected=self.expected)
        return _("{field}: {value} is not valid; expected {expected}").format(
            field=self.field, value=shown(self.value), expected=self.expected)

    def __repr__(self) -> str:
        return f"InputProblem({self.field!r}, {self.value!r}, {self.expected!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputProblem) and (self.field, self.value, self.expected) == (
            other.field,
            other.value,
            other.expected,
        )

    def __hash__(self) -> int:
        return hash((self.field, shown(self.value), self.expected))


def shown(value: object) -> str:
    """A bad value as a message shows it: its repr, but a whole number too long for
    Python to write out (over 4,300 digits) in scientific form, and a long text cut
    to its first 200 characters."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value).bit_length() > 10_000:
        return f"{Decimal(value):.6E}"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def value_missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class PeriodError(StarError):
    """The period asked for is outside the scheme's 'in force' years, or a scheme that
    reads history was run without a period."""


class EvaluationError(StarError):
    """A checked scheme could not be evaluated on these inputs (a bug or a gap the
    checker could not see); carries the rule's name and line."""


class UnknownInputsError(InputError):
    """Keys of a record that no input of the scheme has (a misspelt column, say): raised
    by ``Scheme.evaluate`` and ``Scheme.rate`` unless they are given ``extra="ignore"``.

    ``keys`` lists them in the record's order, ``hints`` the input each one is likely
    meant to be (None where none is close), ``record`` the record's place (0-based) in
    the records given to ``rate`` (None for ``evaluate``). As an :class:`InputError`,
    ``problems`` has one :class:`InputProblem` per key.
    """

    def __init__(self, keys: Sequence[str], hints: Sequence[str | None], record: int | None = None,
                 values: Sequence[object] | None = None) -> None:
        self.keys = list(keys)
        self.hints = list(hints)
        self.record = record
        given = list(values) if values is not None else [None] * len(self.keys)
        self.problems = [InputProblem(k, v, _("the name of one of the scheme's inputs")) for k, v in
                         zip(self.keys, given, strict=True)]
        first = self.problems[0]
        self.field, self.value, self.expected = first.field, first.value, first.expected
        named = _(", ").join(
            _("'{key}' (did you mean '{hint}'?)").format(key=k, hint=h) if h else f"'{k}'"
            for k, h in zip(self.keys, self.hints, strict=True))
        text = _("no input of the scheme is named {keys}: a key no input reads would be left out in silence; "
                 "correct it, or give {option} to leave such keys unread").format(keys=named, option='extra="ignore"')
        if record is not None:
            text = _("record {number} (counting from 0): {problem}").format(number=record, problem=text)
        StarError.__init__(self, text)

    @classmethod
    def of(cls, given: Mapping[str, object], inputs: Sequence[str], record: int | None = None) -> UnknownInputsError:
        """The error for the keys of ``given`` (a record, or a file's columns) that are
        not among ``inputs``, each with the absent input it is likely meant to be."""
        keys = [k for k in given if k not in inputs]
        absent = [x for x in inputs if x not in given]
        return cls([str(k) for k in keys], [name_meant(str(k), absent) for k in keys], record, [given[k] for k in keys])


class DuplicateIdError(StarError):
    """A population in which one id is on more than one record: each would count in the
    quotas' base as another entity. ``ids`` maps each such id to its records' places
    (0-based), in the order the ids first appear. ``Scheme.rate(...,
    duplicate_ids="allow")`` rates them apart instead."""

    def __init__(self, ids: dict[str, list[int]]) -> None:
        self.ids = ids
        shown_ids = _("; ").join(_("'{id}' on records {rows}").format(id=k, rows=_(", ").join(map(str, v)))
                                 for k, v in list(ids.items())[:10])
        more = len(ids) - 10
        if more > 0:
            shown_ids += _(" and {count} more").format(count=more)
        super().__init__(_("{count} id(s) on more than one record (counting from 0): {ids}; correct the records, "
                           "or give {option} to rate them apart").format(count=len(ids), ids=shown_ids,
                                                                         option='duplicate_ids="allow"'))
