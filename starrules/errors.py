"""The library's exceptions. Each carries data, never only a formatted string."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from starrules.diagnostics import Diagnostic, render_all
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
