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
from starrules.result import Result
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
        head = f"{mark} example \"{self.name}\" ({source_name}:{self.line})"
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
        return ExampleOutcome(example.name, line, (f"cannot be run: {exc}",))
    failures: list[str] = []
    for check in example.checks:
        failure = _compare(check, result)
        if failure:
            failures.append(failure)
    return ExampleOutcome(example.name, line, tuple(failures), result)


def _compare_status(example: m.Example, status: str, reason: str) -> list[str]:
    out = []
    for check in example.checks:
        if check.kind == "status" and check.value != status:
            out.append(f"status: expected {check.value}, got {status}: {reason}")
        elif check.kind == "reason" and check.value != reason:
            out.append(f"reason: expected {check.value!r}, got {reason!r}")
        elif check.kind not in ("status", "reason"):
            out.append(f"{check.key}: expected {check.text}, but the entity was not rated ({status}: {reason})")
    return out


def _steps(result: Result, *names: str, stages: tuple[str, ...] = ()) -> str:
    lines = [s.describe() for s in result.trace if s.name in names or s.stage in stages]
    return "".join("\n      " + line for line in lines)


def _compare(check: m.Check, r: Result) -> str | None:
    if check.kind in ("score", "input"):
        source = r.scores if check.kind == "score" else r.inputs
        actual = source.get(check.key) if r.rated or check.kind == "input" else None
        if actual is None:
            return f"{check.key}: expected {check.text}, but it was not computed ({r.status}: {r.reason})"
        assert isinstance(check.value, Decimal) and isinstance(actual, Decimal)
        if actual != check.value:
            return f"{check.key}: expected {check.text}, got {fmt_number(actual)}" + _steps(r, check.key)
        return None
    if check.kind == "level":
        if r.level_rank != check.value:
            got = r.level_label if r.rated else f"no level ({r.status}: {r.reason})"
            return f"level: expected {check.text}, got {got}" + _steps(
                r, stages=("badge", "band", "demote", "cap", "veto", "require", "disqualify"))
        return None
    if check.kind == "status":
        if r.status != check.value:
            return f"status: expected {check.value}, got {r.status} ({r.reason})" + _steps(
                r, stages=("require", "disqualify"))
        return None
    if check.kind == "reason":
        if r.reason != check.value:
            return f"reason: expected {check.value!r}, got {r.reason!r}" + _steps(
                r, stages=("demote", "cap", "veto", "require", "disqualify"))
        return None
    actual_names = tuple(sorted(r.flags if check.kind == "flags" else r.badges))
    if actual_names != check.value:
        stage = "flag" if check.kind == "flags" else "badge"
        return f"{check.kind}: expected {check.text}, got [{', '.join(actual_names)}]" + _steps(r, stages=(stage,))
    return None


__all__ = ["ExampleOutcome", "run_example", "run_examples"]
