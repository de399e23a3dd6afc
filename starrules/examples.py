"""Run the examples written inside a scheme: given inputs, the outcome it must give.

Takes a loaded scheme; gives one :class:`ExampleOutcome` per ``example`` block, passed
or failed, and for a failure the expected and actual values with the trace of the step
that differs. ``starrules test`` and the pytest plugin use it.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from starrules import model as m
from starrules.api import Scheme
from starrules.errors import InputError, StarError
from starrules.i18n import _
from starrules.result import STATUS_WORDS, Result
from starrules.values import fmt_number


@attrs.frozen
class ExampleOutcome:
    name: str
    line: int
    failures: tuple[str, ...]
    result: Result | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    def describe(self, source_name: str) -> str:
        mark = "✔" if self.passed else "✘"
        head = _("{mark} example \"{name}\" ({source_name}:{line})").format(
            mark=mark, name=self.name, source_name=source_name, line=self.line)
        return "\n".join([head, *("    " + f for f in self.failures)])


def run_examples(scheme: Scheme) -> list[ExampleOutcome]:
    return [run_example(scheme, ex) for ex in scheme.program.examples]


def run_example(scheme: Scheme, example: m.Example) -> ExampleOutcome:
    line = example.span.line
    try:
        result = scheme.evaluate(dict(example.given), trace=True, period=example.period)
    except InputError as exc:  # as in a data file: the row comes out invalid
        return ExampleOutcome(example.name, line, tuple(_compare_status(example, "invalid", str(exc))))
    except StarError as exc:
        return ExampleOutcome(example.name, line, (_("cannot be run: {exc}").format(exc=exc),))
    failures: list[str] = []
    for check in example.checks:
        failure = _compare(check, result)
        if failure:
            failures.append(failure)
    return ExampleOutcome(example.name, line, tuple(failures), result)


def _status(status: str) -> str:
    """A status in words (已评定, not rated, in Chinese)."""
    return _(STATUS_WORDS.get(status, status))


def _names(names: tuple[str, ...] | list[str]) -> str:
    """Flags or stars as a list in the language's way; none as the word."""
    return _(", ").join(names) or _("none")


def _quoted(text: object) -> str:
    return _("'{text}'").format(text=text) if text is not None else _("none")


def _compare_status(example: m.Example, status: str, reason: str) -> list[str]:
    out = []
    for check in example.checks:
        if check.kind == "status" and check.value != status:
            out.append(_("status: expected {value}, got {status}: {reason}").format(
                value=_status(str(check.value)), status=_status(status), reason=reason))
        elif check.kind == "reason" and check.value != reason:
            out.append(_("reason: expected {value}, got {reason}").format(value=_quoted(check.value),
                                                                           reason=_quoted(reason)))
        elif check.kind not in ("status", "reason"):
            out.append(_("{key}: expected {text}, but the entity was not rated ({status}: {reason})").format(
                key=check.key, text=check.text, status=_status(status), reason=reason))
    return out


def _steps(result: Result, *names: str, stages: tuple[str, ...] = ()) -> str:
    lines = [s.describe() for s in result.trace if s.name in names or s.stage in stages]
    return "".join("\n      " + line for line in lines)


def _compare(check: m.Check, r: Result) -> str | None:
    if check.kind in ("score", "input"):
        source = r.scores if check.kind == "score" else r.inputs
        actual = source.get(check.key) if r.rated or check.kind == "input" else None
        if actual is None:
            return _("{key}: expected {text}, but it was not computed ({status}: {reason})").format(
                key=check.key, text=check.text, status=_status(r.status), reason=r.reason or _("none"))
        assert isinstance(check.value, Decimal) and isinstance(actual, Decimal)
        if actual != check.value:
            return _("{key}: expected {text}, got {actual}").format(
                key=check.key, text=check.text, actual=fmt_number(actual)) + _steps(r, check.key)
        return None
    if check.kind == "level":
        if r.level_rank != check.value:
            got = r.level_label if r.rated else _("no level ({status}: {reason})").format(
                status=_status(r.status), reason=r.reason or _("none"))
            return _("level: expected {text}, got {got}").format(text=check.text, got=got) + _steps(
                r, stages=("badge", "band", "demote", "cap", "veto", "require", "disqualify"))
        return None
    if check.kind == "status":
        if r.status != check.value:
            got = _status(r.status) if r.reason is None else _("{status} ({reason})").format(
                status=_status(r.status), reason=r.reason)
            return _("status: expected {value}, got {got}").format(value=_status(str(check.value)), got=got) + _steps(
                r, stages=("require", "disqualify"))
        return None
    if check.kind == "reason":
        if r.reason != check.value:
            return _("reason: expected {value}, got {reason}").format(
                value=_quoted(check.value), reason=_quoted(r.reason)) + _steps(
                r, stages=("demote", "cap", "veto", "require", "disqualify"))
        return None
    actual_names = tuple(sorted(r.flags if check.kind == "flags" else r.badges))
    if actual_names != check.value:
        assert isinstance(check.value, tuple)
        stage = "flag" if check.kind == "flags" else "badge"
        return _("{kind}: expected {expected}, got {actual}").format(
            kind=_(check.kind), expected=_names(check.value), actual=_names(actual_names)) + _steps(r, stages=(stage,))
    return None


__all__ = ["ExampleOutcome", "run_example", "run_examples"]
