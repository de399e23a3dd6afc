"""Results of evaluation: typed, serialisable, with the trace that explains them."""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow
from typing import Any

import attrs

from starrules.i18n import N_, _
from starrules.values import fmt_number

STATUSES = ("rated", "invalid", "ineligible")

# The words for people of the stages of a trace and of the statuses; the machine names
# (``bonus``, ``rated``) stay as they are in JSON and result files.
STAGE_WORDS = {"input": N_("input"), "require": N_("require"), "disqualify": N_("disqualify"),
          "score": N_("score"), "total": N_("total"),
          "bonus": N_("bonus"), "penalty": N_("penalty"), "band": N_("band"), "demote": N_("demote"),
          "cap": N_("cap"), "veto": N_("veto"), "flag": N_("flag"), "badge": N_("badge"), "badges": N_("badges"),
          "quota": N_("quota"), "select": N_("select")}
STATUS_WORDS = {"rated": N_("rated"), "invalid": N_("invalid"), "ineligible": N_("ineligible")}


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

    def describe(self, lines: bool = True) -> str:
        """The step in words: its kind, a mark (✔ applied, · did not), its name, the line
        of the scheme that says it (for the scheme's author; not with ``lines=False``) and
        what it gave."""
        mark = {True: "✔ ", False: "· ", None: ""}[self.applied]
        if self.stage == "require":  # a precondition: ✔ when it holds, ✘ when it fails
            mark = "✘ " if self.applied else "✔ "
        stage = _(STAGE_WORDS.get(self.stage, self.stage))
        if not lines:
            return _("[{stage}] {mark}{name}: {detail}").format(stage=stage, mark=mark, name=self.name,
                                                                detail=self.detail)
        return _("[{stage}] {mark}{name} (line {line}): {detail}").format(
            stage=stage, mark=mark, name=self.name, line=self.line, detail=self.detail)

    @property
    def shown(self) -> bool:
        """Whether an explanation shows the step without ``all``: every score and the
        band, every star of a checklist (won or not: the ones missed say why the level
        is not higher), and the rules and entries that applied; not the inputs, nor the
        rules whose conditions did not hold."""
        if self.stage == "input":
            return False
        if self.stage == "badge":
            return True
        if self.stage == "require":  # a precondition is worth telling when it failed
            return bool(self.applied)
        return self.applied is not False


class Lazy:
    """How to read a compiled evaluator's raw values back as the values the reference
    interpreter gives: made once per compiled scheme and shared by its results. The
    compiled fast path keeps numbers as scaled integers (``scales``: the number of
    decimal places, None for values that are not numbers); a result turns them into
    exact ``Decimal``s only when asked."""

    __slots__ = ("group_index", "id_index", "input_index", "input_names", "input_scales", "score_index",
                 "score_names", "score_scales", "total_scale")

    def __init__(self, input_names: tuple[str, ...], input_scales: tuple[int | None, ...],
                 score_names: tuple[str, ...], score_scales: tuple[int, ...], total_scale: int | None,
                 id_index: int | None, group_index: tuple[tuple[str, int], ...]) -> None:
        self.input_names = input_names
        self.input_scales = input_scales
        self.score_names = score_names
        self.score_scales = score_scales
        self.total_scale = total_scale
        self.id_index = id_index
        self.group_index = group_index
        self.input_index = {name: i for i, name in enumerate(input_names)}
        self.score_index = {name: j for j, name in enumerate(score_names)}


def unscale(value: int, scale: int) -> Decimal:
    """A scaled integer as the exact Decimal it stands for, without trailing zeros after
    the point (``85, 1`` -> ``8.5``; ``80, 1`` -> ``8``)."""
    while scale and not value % 10:
        value //= 10
        scale -= 1
    return Decimal(value).scaleb(-scale, _EXACT) if scale else Decimal(value)


_EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, Overflow])
_UNSET: Any = object()


class Result:
    """The outcome for one entity.

    ``level`` is the star count (``levels stars``) or the grade's name (``levels
    grades``), None unless ``status`` is ``"rated"``; ``level_rank`` its ordinal (0 is
    the lowest level); ``band_level`` the level the band gave before vetoes, caps and
    demotions. ``scores`` maps every score's name to its exact value; ``inputs`` the
    input values as read. ``limit_rank`` is the highest level the entity's vetoes and
    caps allow (None where none applied): a quota never raises it above that.
    ``vetoes`` names the vetoes that applied; ``held`` the demotions and caps whose
    conditions held, whether or not they changed the level.

    Results are values: compare them with ``==``; treat them as read-only. A result of
    the compiled evaluator keeps its numbers as scaled integers and makes ``inputs``,
    ``scores``, ``total``, ``id`` and ``groups`` on first use (the same values the
    reference interpreter gives), which keeps a population of a million small.
    """

    __slots__ = ("_groups", "_id", "_inputs", "_lazy", "_scaled", "_scores", "_total", "_values", "_x", "badges", "band_level",
                 "flags", "held", "level", "level_label", "level_rank", "limit_rank", "period", "reason", "status",
                 "trace", "vetoes")

    def __init__(self, status: str, level: int | str | None, level_rank: int | None, level_label: str | None,
                 band_level: int | str | None, reason: str | None, total: Decimal | None,
                 scores: dict[str, Decimal], flags: tuple[str, ...], trace: tuple[TraceStep, ...],
                 id: str | None = None, groups: dict[str, str] | None = None,
                 inputs: dict[str, object] | None = None, limit_rank: int | None = None,
                 badges: tuple[str, ...] = (), vetoes: tuple[str, ...] = (), period: int | None = None,
                 held: tuple[str, ...] = ()) -> None:
        self.status = status
        self.level = level
        self.level_rank = level_rank
        self.level_label = level_label
        self.band_level = band_level
        self.reason = reason
        self._total = total
        self._scores = scores
        self.flags = flags
        self.trace = trace
        self._id = id
        self._groups = {} if groups is None else groups
        self._inputs = {} if inputs is None else inputs
        self.limit_rank = limit_rank
        self.badges = badges
        self.vetoes = vetoes
        self.period = period
        self.held = held
        self._lazy: Lazy | None = None
        self._values: tuple[Any, ...] = ()
        self._scaled: tuple[int, ...] = ()
        self._x: int | None = None

    @classmethod
    def fast(cls, lazy: Lazy, status: str, level: int | str | None, level_rank: int | None,
             level_label: str | None, band_level: int | str | None, reason: str | None,
             flags: tuple[str, ...], limit_rank: int | None, badges: tuple[str, ...], vetoes: tuple[str, ...],
             period: int | None, values: tuple[Any, ...], scores: tuple[int, ...], total: int | None,
             held: tuple[str, ...] = ()) -> Result:
        """A result of the compiled fast path (``values``, ``scores`` and ``total`` as
        the scaled integers ``lazy`` describes)."""
        self = cls.__new__(cls)
        self.status = status
        self.level = level
        self.level_rank = level_rank
        self.level_label = level_label
        self.band_level = band_level
        self.reason = reason
        self.flags = flags
        self.trace = ()
        self.limit_rank = limit_rank
        self.badges = badges
        self.vetoes = vetoes
        self.period = period
        self.held = held
        self._lazy = lazy
        self._values = values
        self._scaled = scores
        self._x = total
        self._total = self._scores = self._id = self._groups = self._inputs = _UNSET
        return self

    # ---- the values a compiled result makes on first use ---------------------------

    @property
    def inputs(self) -> dict[str, object]:
        if self._inputs is _UNSET:
            lazy = self._lazy
            assert lazy is not None
            self._inputs = {name: (unscale(v, s) if s is not None and v is not None else v)
                            for name, s, v in zip(lazy.input_names, lazy.input_scales, self._values, strict=True)}
        return self._inputs

    @property
    def scores(self) -> dict[str, Decimal]:
        if self._scores is _UNSET:
            lazy = self._lazy
            assert lazy is not None
            if self.status != "rated":
                self._scores = {}
            else:
                self._scores = {name: unscale(v, s)
                                for name, s, v in zip(lazy.score_names, lazy.score_scales, self._scaled, strict=True)}
        return self._scores

    @property
    def total(self) -> Decimal | None:
        if self._total is _UNSET:
            lazy = self._lazy
            assert lazy is not None
            raw = self._x
            self._total = None if raw is None or lazy.total_scale is None else unscale(raw, lazy.total_scale)
        return self._total

    @property
    def id(self) -> str | None:
        if self._id is _UNSET:
            lazy = self._lazy
            assert lazy is not None
            self._id = None if lazy.id_index is None else str(self._values[lazy.id_index])
        return self._id

    @property
    def groups(self) -> dict[str, str]:
        if self._groups is _UNSET:
            lazy = self._lazy
            assert lazy is not None
            self._groups = {g: str(self._values[i]) for g, i in lazy.group_index}
        return self._groups

    def scaled_scores(self) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """The scores as the compiled fast path keeps them: scaled integers and their
        scales (in the scheme's order of scores), or None for a result that does not keep
        them so. For writers that turn them into texts without making ``Decimal``s."""
        if self._lazy is None or self._scores is not _UNSET or self.status != "rated":
            return None
        return self._scaled, self._lazy.score_scales

    def text(self, name: str) -> str:
        """An input's value as text (a group key), without making the ``inputs`` dict."""
        lazy = self._lazy
        if lazy is not None and self._inputs is _UNSET:
            i = lazy.input_index[name]
            scale = lazy.input_scales[i]
            value = self._values[i]
            return str(value) if scale is None or value is None else str(unscale(value, scale))
        return str(self.inputs[name])

    FIELDS = ("status", "level", "level_rank", "level_label", "band_level", "reason", "total", "scores", "flags",
              "trace", "id", "groups", "inputs", "limit_rank", "badges", "vetoes", "period", "held")

    def replace(self, **changes: Any) -> Result:
        """A copy with some fields changed (``attrs.evolve`` for results)."""
        values = {f: getattr(self, f) for f in self.FIELDS}
        values.update(changes)
        return Result(**values)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.FIELDS if f != "inputs")
        return f"Result({shown})"

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

    def explain(self, all: bool = False, lines: bool = False) -> str:
        """The trace in words, one step a line, then the outcome. Without ``all`` the
        inputs and the rules that did not apply are left out; with ``lines`` each step
        says its line in the scheme."""
        out = [s.describe(lines) for s in self.trace if all or s.shown]
        out.append(self.outcome_text())
        return "\n".join(out)

    def outcome_text(self) -> str:
        """The outcome in one line: ``结果：四星级（无故缺席……）``."""
        if self.status == "rated":
            if self.reason:
                return _("Outcome: {level} ({reason})").format(level=self.level_label, reason=self.reason)
            return _("Outcome: {level}").format(level=self.level_label)
        if self.status == "invalid":
            return _("Outcome: invalid, {reason}").format(reason=self.reason)
        return _("Outcome: not rated, {reason}").format(reason=self.reason)


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
