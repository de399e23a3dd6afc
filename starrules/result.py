"""Results of evaluation: typed, serialisable, with the trace that explains them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from starrules.values import fmt_number

STATUSES = ("rated", "invalid", "ineligible")


@attrs.frozen
class TraceStep:
    """One step of an evaluation.

    ``stage`` is the pipeline step (input, require, disqualify, score, total, bonus,
    penalty, badge, band, demote, cap, veto, flag); ``name`` the rule's or score's name as the
    scheme writes it; ``line`` its line in the scheme; ``value`` what the step gave;
    ``applied`` whether a rule's condition held (None for steps that are not rules);
    ``detail`` the step in words, with every value that went into it.
    """

    stage: str
    name: str
    line: int
    value: object
    detail: str
    applied: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "name": self.name,
            "line": self.line,
            "value": jsonable(self.value),
            "applied": self.applied,
            "detail": self.detail,
        }

    def describe(self) -> str:
        mark = {True: "✔ ", False: "· ", None: ""}[self.applied]
        if self.stage == "require":  # a precondition: ✔ when it holds, ✘ when it fails
            mark = "✘ " if self.applied else "✔ "
        return f"[{self.stage}] {mark}{self.name} (line {self.line}): {self.detail}"


@attrs.frozen
class Result:
    """The outcome for one entity.

    ``level`` is the star count (``levels stars``) or the grade's name (``levels
    grades``), None unless ``status`` is ``"rated"``; ``level_rank`` its ordinal (0 is
    the lowest level); ``band_level`` the level the band gave before vetoes, caps and
    demotions. ``scores`` maps every score's name to its exact value; ``inputs`` the
    input values as read. ``limit_rank`` is the highest level the entity's vetoes and
    caps allow (None where none applied): a quota never raises it above that.
    """

    status: str
    level: int | str | None
    level_rank: int | None
    level_label: str | None
    band_level: int | str | None
    reason: str | None
    total: Decimal | None
    scores: dict[str, Decimal]
    flags: tuple[str, ...]
    trace: tuple[TraceStep, ...]
    id: str | None = None
    groups: dict[str, str] = attrs.field(factory=dict)
    inputs: dict[str, object] = attrs.field(factory=dict, repr=False)
    limit_rank: int | None = None  # the highest level a veto or cap allows; None: no limit
    badges: tuple[str, ...] = ()  # the badge stars won
    vetoes: tuple[str, ...] = ()  # the vetoes that applied
    period: int | None = None

    @property
    def rated(self) -> bool:
        return self.status == "rated"

    def to_dict(self, trace: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; numbers are strings so no digit is lost."""
        out: dict[str, Any] = {
            "id": self.id,
            "groups": dict(self.groups),
            "status": self.status,
            "level": self.level,
            "level_label": self.level_label,
            "band_level": self.band_level,
            "reason": self.reason,
            "total": jsonable(self.total),
            "scores": {k: jsonable(v) for k, v in self.scores.items()},
            "flags": list(self.flags),
            "badges": list(self.badges),
            "vetoes": list(self.vetoes),
            "period": self.period,
        }
        if trace:
            out["trace"] = [s.to_dict() for s in self.trace]
        return out

    def explain(self) -> str:
        """The trace as readable text, one step a line, then the outcome."""
        lines = [s.describe() for s in self.trace]
        if self.status == "rated":
            lines.append(f"=> {self.level_label}" + (f" ({self.reason})" if self.reason else ""))
        else:
            lines.append(f"=> {self.status}: {self.reason}")
        return "\n".join(lines)


@attrs.frozen
class Past:
    """The entity's outcome in an earlier period, as history for conditions such as
    ``vetoed within 1 period``. ``level`` is the level as the scheme writes it (a star
    count or a grade name), None when the entity was not rated."""

    period: int
    level: int | str | None = None
    status: str = "rated"
    vetoes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "level": self.level, "status": self.status,
                "vetoes": list(self.vetoes), "flags": list(self.flags)}


def jsonable(value: object) -> object:
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        return fmt_number(value)
    if isinstance(value, frozenset):
        return sorted(value)
    return str(value)
