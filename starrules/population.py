"""Rate a population: per-entity results -> outcomes under quotas and ranked selections.

Takes the checked model and records (one mapping per entity); gives a :class:`Rating`
with one :class:`Outcome` per record, in input order (rated, ineligible or invalid,
each with its reason), and a :class:`QuotaReport` per quota and group. The steps:

1. every record is evaluated on its own (:mod:`starrules.interpreter`);
2. selections that cap ("the bottom 3 villages cannot be ten-star") apply;
3. quotas apply in the order the scheme writes them; each moves the entities over or
   under its bound one level (overflow down, shortfall filled from the next level),
   so a quota written after another sees what the first moved;
4. selections that flag ("the bottom 10% for rectification") apply to the final levels;
5. flags are evaluated again at the final level.

Nothing here depends on the order of the records: every ranking ends in the scheme's
tie-break keys (the id by default) and then in the entity's own values.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from math import ceil, floor
from typing import Any, Protocol, cast, runtime_checkable

import attrs

from starrules import interpreter, runtime
from starrules import model as m
from starrules.apportion import ApportionmentError, apportion
from starrules.errors import InputError, InputProblem
from starrules.i18n import N_, _
from starrules.result import Lazy, Past, Result, jsonable
from starrules.values import canonical_text, fmt_number


@attrs.frozen
class Tie:
    """A tie at a quota's or selection's boundary that decided an entity's place:
    ``tied`` entities were equal on the ranking's keys (``keys``) for ``places`` of the
    places; ``rule`` is how the scheme settles such ties (``break``: by the tie-break
    keys ``by``, or by the entities' own values when ``by`` is empty; ``keep``: all of
    them stay; ``drop``: none of them stays); ``kept`` whether this entity won one of
    the places (kept its level under a quota, was picked by a selection)."""

    quota: str
    tied: int
    places: int
    keys: tuple[str, ...]
    by: tuple[str, ...]
    rule: str
    kept: bool

    def describe(self) -> str:
        """The tie in words, for the explanation and the report."""
        keys = _(", ").join(self.keys)
        head = _("{tied} tied on {keys} for {places}").format(tied=self.tied, keys=keys, places=_places(self.places))
        if self.rule == "keep":
            how = _("all of the tied keep the level")
        elif self.rule == "drop":
            how = _("none of the tied keeps the level")
        elif self.by:
            how = _("decided by the order of {keys}").format(keys=_(", ").join(self.by))
        else:
            how = _("decided by the rest of their values, in a fixed order")
        return _("{head}, {how}").format(head=head, how=how)


@attrs.frozen
class Move:
    """A quota or selection changed an entity's level: from ``before`` to ``after``.
    ``tie`` says when a tie at the boundary decided that this entity moves."""

    rule: str
    kind: str  # "quota" | "select"
    line: int
    before: str
    after: str
    why: str
    tie: Tie | None = None


_UNSET: Any = object()


class Outcome:
    """One record's outcome. ``row`` is its position in the input (0-based);
    ``level_before`` the level its own evaluation gave, ``level`` the level after the
    quotas; ``rank`` its place (1 = best) in the scheme's main ranking of rated entities;
    ``moves`` what the quotas and selections did to it (each with the :class:`Tie` that
    decided it, if one did); ``ties`` every tie at a quota's or selection's boundary
    the entity was part of, moved or kept (:class:`Tie`); ``result`` its own evaluation
    (None for a record whose inputs are bad: ``problems`` says why).

    Outcomes are values: compare them with ``==``, treat them as read-only. ``id``,
    ``groups`` and ``total`` come from ``result`` when there is one, made on first use.
    """

    __slots__ = ("_canonical", "_groups", "_id", "_total", "at", "flags", "history", "level", "level_before",
                 "level_label", "limit", "moves", "problems", "rank", "reason", "result", "row", "sel_flags",
                 "status", "ties")

    # while the quotas apply (rated entities only): the level rank now, the highest its
    # vetoes and caps allow, its earlier outcomes, and the flags selections gave it
    at: int
    limit: int | None
    history: tuple[Past, ...]
    sel_flags: tuple[str, ...]
    result: Result | None

    FIELDS = ("row", "status", "id", "groups", "level", "level_label", "level_before", "reason", "total", "flags",
              "rank", "moves", "result", "problems")

    def __init__(self, row: int, status: str, id: str | None, groups: dict[str, str] | None,
                 level: int | str | None, level_label: str | None, level_before: int | str | None,
                 reason: str | None, total: Decimal | None, flags: tuple[str, ...], rank: int | None,
                 moves: tuple[Move, ...], result: Result | None, problems: tuple[InputProblem, ...] = ()) -> None:
        self.row = row
        self.status = status
        self._id = id
        self._groups = groups
        self.level = level
        self.level_label = level_label
        self.level_before = level_before
        self.reason = reason
        self._total = total
        self.flags = flags
        self.rank = rank
        self.moves = moves
        self.result = result
        self.problems = problems
        self.ties: tuple[Tie, ...] = ()
        self._canonical: tuple[Any, ...] | None = None

    @classmethod
    def _of(cls, row: int, result: Result, history: tuple[Past, ...]) -> Outcome:
        """A rated entity, before the quotas: its level rank in ``at``, the highest level
        its vetoes and caps allow in ``limit``."""
        self = cls.__new__(cls)
        self.row = row
        self.status = "rated"
        self.result = result
        self._id = self._groups = self._total = _UNSET
        self.at = result.level_rank or 0
        self.limit = result.limit_rank
        self.history = history
        self.moves = ()
        self.sel_flags = ()
        self.problems = ()
        self.ties = ()
        self._canonical = None
        return self

    @property
    def id(self) -> str | None:
        return self.result.id if self._id is _UNSET and self.result is not None else self._id

    @property
    def groups(self) -> dict[str, str]:
        if self._groups is _UNSET and self.result is not None:
            return self.result.groups
        return self._groups or {}

    @property
    def total(self) -> Decimal | None:
        if self._total is _UNSET and self.result is not None:
            return self.result.total
        return self._total

    def replace(self, **changes: Any) -> Outcome:
        """A copy with some fields changed (``attrs.evolve`` for outcomes)."""
        values = {f: getattr(self, f) for f in self.FIELDS}
        values.update(changes)
        return Outcome(**values)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Outcome:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.FIELDS if f != "result")
        return f"Outcome({shown})"

    def value(self, ref: m.Ref) -> Any:
        assert self.result is not None
        return self.result.inputs[ref.name] if ref.kind == "input" else self.result.scores[ref.name]

    @property
    def canonical(self) -> tuple[Any, ...]:
        """The last resort of every ranking: the entity's own values, as text."""
        if self._canonical is None:
            assert self.result is not None
            self._canonical = tuple(sorted((k, canonical_text(v)) for k, v in self.result.inputs.items()))
        return self._canonical

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "id": self.id,
            "groups": dict(self.groups),
            "status": self.status,
            "level": self.level,
            "level_label": self.level_label,
            "level_before": self.level_before,
            "reason": self.reason,
            "total": jsonable(self.total),
            "flags": list(self.flags),
            "rank": self.rank,
            "moves": [attrs.asdict(mv) for mv in self.moves],
            "problems": [str(p) for p in self.problems],
        }


@attrs.frozen
class QuotaReport:
    """How one quota (or selection) fared in one group (``group`` None: the whole
    population). ``target`` is the count its share came to; ``before``/``after`` the
    counts on its levels before and after it applied; ``met`` None for 'about' quotas."""

    rule: str
    kind: str
    line: int
    group: str | None
    text: str
    base: int
    target: int
    before: int
    after: int
    enforced: bool
    met: bool | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def counts_line(counts: Mapping[str, int]) -> str:
    """``rows in: 36, rated: 36, invalid: 0, ineligible: 0`` in the reader's language."""
    return _("rows in: {rows}, rated: {rated}, invalid: {invalid}, ineligible: {ineligible}").format(
        rows=counts["rows"], rated=counts["rated"], invalid=counts["invalid"], ineligible=counts["ineligible"])


@runtime_checkable
class Tallied(Protocol):
    """Outcomes kept elsewhere (a database table) that count themselves without being
    made: rows by status, rated rows by level rank, and the ids on more than one row."""

    statuses: Mapping[str, int]
    level_ranks: Mapping[int, int]

    def duplicate_ids(self) -> dict[str, list[int]]: ...

    def levels(self) -> list[int | str | None]: ...

    def tie_counts(self) -> list[tuple[Tie, int]]: ...

    def invalid(self) -> Iterator[Outcome]: ...


@attrs.frozen
class Rating:
    """The outcomes of a population, one per record in input order, and the quota
    reports. ``outcomes`` is a tuple, or for a population rated in SQL a sequence that
    makes each outcome when it is first read (equal to the tuple of the same outcomes)."""

    outcomes: Sequence[Outcome]
    reports: tuple[QuotaReport, ...]
    levels: m.Levels

    def counts(self) -> dict[str, int]:
        """Rows by status, and rated rows by level label."""
        if isinstance(self.outcomes, Tallied):  # counted where the outcomes are kept
            statuses, ranks = self.outcomes.statuses, self.outcomes.level_ranks
        else:
            statuses = Counter(o.status for o in self.outcomes)
            by_value = Counter(o.level for o in self.outcomes if o.status == "rated")
            ranks = Counter({rank: by_value[self.levels.value(rank)] for rank in range(len(self.levels.labels))})
        out = {"rows": len(self.outcomes)}
        for status in ("rated", "invalid", "ineligible"):
            out[status] = statuses[status]
        for rank, label in enumerate(self.levels.labels):
            out[label] = ranks[rank]
        return out

    def level_column(self) -> list[int | str | None]:
        """Every outcome's level (after the quotas; None where not rated), in row order:
        for a population rated in SQL, one column read without making the outcomes."""
        if isinstance(self.outcomes, Tallied):
            return self.outcomes.levels()
        return [o.level for o in self.outcomes]

    def duplicate_ids(self) -> dict[str, list[int]]:
        """The ids on more than one outcome, each with the records' places (0-based), in
        the order the ids first appear; outcomes without an id (or with an empty one) are
        never duplicates."""
        if isinstance(self.outcomes, Tallied):
            return self.outcomes.duplicate_ids()
        seen: dict[str, list[int]] = {}
        for o in self.outcomes:
            ident = o.id
            if ident is not None and ident != "":
                seen.setdefault(ident, []).append(o.row)
        return {k: v for k, v in seen.items() if len(v) > 1}

    def tie_counts(self) -> list[tuple[Tie, int]]:
        """Every tie at a quota's or selection's boundary with the number of outcomes that
        were in it, in the order the outcomes first meet each (rows in order, each row's
        ties in the order of the steps)."""
        if isinstance(self.outcomes, Tallied):
            return self.outcomes.tie_counts()
        seen: dict[Tie, int] = {}
        for o in self.outcomes:
            for tie in o.ties:
                seen[tie] = seen.get(tie, 0) + 1
        return list(seen.items())

    def invalid(self) -> Iterator[Outcome]:
        """The outcomes of the invalid records, in order (for a population rated in SQL,
        only theirs are made, a block at a time, and none kept)."""
        if isinstance(self.outcomes, Tallied):
            return self.outcomes.invalid()
        return (o for o in self.outcomes if o.status == "invalid")

    def unmet(self) -> tuple[QuotaReport, ...]:
        return tuple(r for r in self.reports if r.met is False)

    def summary(self) -> str:
        """A table of the quotas per group: target, before, after, and why not met."""
        lines = []
        counts = self.counts()
        lines.append(counts_line(counts))
        lines.append(_("levels: {levels}").format(
            levels=_(", ").join(f"{label} {counts[label]}" for label in reversed(self.levels.labels))))
        for r in self.reports:
            where = _("all") if r.group is None else r.group
            state = _({True: N_("met"), False: N_("NOT MET"), None: N_("target")}[r.met])
            mode = "" if r.enforced else _(" (report only)")
            if r.kind == "select":
                line = _("select {rule} [{where}]: {text}; {after} picked of {before} candidates").format(
                    rule=r.rule, where=where, text=r.text, after=r.after, before=r.before)
            else:
                line = _("quota {rule} [{where}]: {text}; before {before}, after {after}: {state}{mode}").format(
                    rule=r.rule, where=where, text=r.text, before=r.before, after=r.after, state=state, mode=mode)
            if r.note:
                line += _(" — {note}").format(note=r.note)
            lines.append(line)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "quotas": [r.to_dict() for r in self.reports],
        }


class _Desc:
    """Reverses the order of a value in a sort key (for texts, which cannot be negated)."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.v == other.v

    def __hash__(self) -> int:
        return hash(self.v)


_Entity = Outcome  # a rated entity while the quotas apply


def _rated(e: _Entity) -> Result:
    """A rated entity's own result (never None)."""
    return e.result  # type: ignore[return-value]


class _Last:
    """Compares entities by their own values, computed only when everything else ties."""

    __slots__ = ("e",)

    def __init__(self, e: _Entity) -> None:
        self.e = e

    def __lt__(self, other: _Last) -> bool:
        return self.e is not other.e and self.e.canonical < other.e.canonical

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Last) and (self.e is other.e or self.e.canonical == other.e.canonical)

    def __hash__(self) -> int:  # pragma: no cover - never hashed
        return id(self.e)


def _key_part(value: Any, descending: bool) -> Any:
    if isinstance(value, Decimal):
        return -value if descending else value
    text = str(value)
    return _Desc(text) if descending else text


def _part(k: m.SortKey, lazy: Lazy | None) -> Callable[[_Entity], Any]:
    """One key of a ranking for an entity: its value, negated (or reversed) when the
    ranking is best first. When every entity comes from the compiled fast path
    (``lazy``), numbers compare as the scaled integers it keeps, all at one scale."""
    ref, descending = k.ref, k.descending
    if lazy is not None:
        if ref.kind == "input":
            i = lazy.input_index[ref.name]
            if lazy.input_scales[i] is not None:
                return (lambda e: -e.result._values[i]) if descending else (lambda e: e.result._values[i])  # type: ignore[union-attr]
            return (lambda e: _Desc(str(e.result._values[i]))) if descending else (lambda e: str(e.result._values[i]))  # type: ignore[union-attr]
        j = lazy.score_index[ref.name]
        return (lambda e: -e.result._scaled[j]) if descending else (lambda e: e.result._scaled[j])  # type: ignore[union-attr]
    return lambda e: _key_part(e.value(ref), descending)


class _Ranking:
    """What every ranking of one population shares: ``lazy`` when every entity comes
    from the compiled fast path (numbers then compare as its scaled integers), and
    ``unique`` the id field when no two entities share an id (a ranking that ends in it
    is then total, and the entities' own values are never needed)."""

    __slots__ = ("lazy", "unique")

    def __init__(self, lazy: Lazy | None, unique: str | None) -> None:
        self.lazy = lazy
        self.unique = unique

    @classmethod
    def of(cls, program: m.Program, entities: list[_Entity]) -> _Ranking:
        lazy = entities[0].result._lazy if entities and entities[0].result is not None else None
        if lazy is not None and any(e.result is None or e.result._lazy is not lazy for e in entities):
            lazy = None
        unique = None
        if program.id_field is not None:
            if lazy is not None and lazy.id_index is not None:
                i = lazy.id_index
                ids = {str(e.result._values[i]) for e in entities}  # type: ignore[union-attr]
            else:
                ids = {str(e.id) for e in entities}
            unique = program.id_field if len(ids) == len(entities) else None
        return cls(lazy, unique)


def _order(keys: tuple[m.SortKey, ...], tiebreak: tuple[m.SortKey, ...],
           ctx: _Ranking | None = None) -> Callable[[_Entity], tuple[Any, ...]]:
    lazy = ctx.lazy if ctx else None
    parts = [_part(k, lazy) for k in keys + tiebreak]
    if ctx and ctx.unique and any(k.ref.kind == "input" and k.ref.name == ctx.unique for k in keys + tiebreak):
        if len(parts) == 1:
            return lambda e: (parts[0](e),)
        if len(parts) == 2:
            p0, p1 = parts
            return lambda e: (p0(e), p1(e))
        return lambda e: tuple(p(e) for p in parts)
    if len(parts) == 1:
        (p0,) = parts
        return lambda e: (p0(e), _Last(e))
    if len(parts) == 2:
        p0, p1 = parts
        return lambda e: (p0(e), p1(e), _Last(e))
    return lambda e: (*(p(e) for p in parts), _Last(e))


def _primary(keys: tuple[m.SortKey, ...], lazy: Lazy | None = None) -> Callable[[_Entity], tuple[Any, ...]]:
    parts = [_part(k, lazy) for k in keys]
    return lambda e: tuple(p(e) for p in parts)


def share_count(amount: Decimal, percent: bool, base: int, rounding: str) -> int:
    """How many entities a share of ``base`` comes to, rounded as declared."""
    if not percent:
        return int(amount)
    exact = Fraction(amount) * base
    if rounding == "floor":
        return floor(exact)
    if rounding == "ceiling":
        return ceil(exact)
    return floor(exact + Fraction(1, 2))


Evaluator = Callable[[Mapping[str, object], "int | None", "tuple[Past, ...]"], Result]
# the compiled loop over records (``Compiled.many``): records, period, the per-record path
Batch = Callable[[Iterable[Mapping[str, object]], "int | None", Callable[[Mapping[str, object]], Any]], list[Any]]


def rate(program: m.Program, records: Iterable[Mapping[str, object]], trace: bool = False,
         period: int | None = None, history: Mapping[str, Iterable[Past | Mapping[str, Any]]] | None = None,
         evaluator: Evaluator | None = None, batch: Batch | None = None) -> Rating:
    """``evaluator`` rates one record (the compiled one, by default the reference
    interpreter); ``trace`` asks the reference interpreter for every entity's trace.
    ``batch`` (the compiled engine's ``Compiled.many``) rates the records in one loop,
    handing each it does not take whole to ``evaluator``; not used with history."""
    with collector_paused():
        return _rate(program, records, trace, period, history, evaluator, batch)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off inside the block, then as it was found. Rating a
    population makes millions of small objects and no reference cycles: the collector
    would only scan them again and again (a third of the time of a large run)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rate(program: m.Program, records: Iterable[Mapping[str, object]], trace: bool, period: int | None,
          history: Mapping[str, Iterable[Past | Mapping[str, Any]]] | None, evaluator: Evaluator | None,
          batch: Batch | None = None) -> Rating:
    runtime.check_period(program, period)
    if evaluator is None or trace:
        def evaluator(record: Mapping[str, object], period: int | None, past: tuple[Past, ...]) -> Result:
            return interpreter.evaluate(program, record, trace=trace, period=period, history=past)
    outcomes: list[Outcome] = []
    entities: list[_Entity] = []
    reads_history = program.uses_history and bool(history)
    evaluated: Iterable[tuple[Result | _Refused, tuple[Past, ...]]]
    if batch is not None and not reads_history and not trace:
        def refusing(record: Mapping[str, object]) -> Result | _Refused:
            try:
                return evaluator(record, period, ())
            except InputError as exc:
                return _Refused(record, exc)

        # the compiled loop over the records, each it does not take whole by ``refusing``:
        # the same results, record by record, as the loop below
        evaluated = zip(batch(records, period, refusing), repeat(()))
    else:
        evaluated = _each(program, records, evaluator, period, history if reads_history else None)
    for row, (got, past) in enumerate(evaluated):
        if got.__class__ is _Refused:
            record, exc = got.record, got.error
            ident = _raw_id(program, record)
            groups = {g: _text(record.get(g)) for g in program.group_fields}
            outcomes.append(Outcome(row, "invalid", ident, groups, None, None, None, str(exc), None, (), None, (),
                                    None, tuple(exc.problems)))
            continue
        result = cast(Result, got)
        if result.status != "rated":
            outcomes.append(Outcome(row, result.status, _UNSET, _UNSET, None, None, None, result.reason,
                                    None, (), None, (), result))
            continue
        e = Outcome._of(row, result, past)
        entities.append(e)
        outcomes.append(e)

    levels = program.levels
    ctx = _Ranking.of(program, entities)
    reports: list[QuotaReport] = []
    for sel in program.selections:
        if sel.cap is not None:
            reports += _select(program, sel, entities, ctx)
    for quota in program.quotas:
        reports += _quota(program, quota, entities, ctx)
    for sel in program.selections:
        if sel.cap is None:
            reports += _select(program, sel, entities, ctx)
    reports = _final_counts(program, reports, entities)

    main_keys = program.quotas[0].keys if program.quotas else (
        (m.SortKey(program.band.score, True),) if program.band else ())
    id_key = (m.SortKey(m.Ref("input", program.id_field), False),) if program.id_field else ()
    entities.sort(key=_order(main_keys, id_key, ctx))
    values, labels = levels.values, levels.labels
    for place, e in enumerate(entities, start=1):
        res = e.result
        assert res is not None
        at = e.at
        own = res.flags if at == res.level_rank else interpreter.flags_at(program, res, at, e.history)
        e.flags = own + e.sel_flags if e.sel_flags else own
        e.reason = e.moves[-1].rule if e.moves else res.reason
        e.level, e.level_label, e.level_before, e.rank = values[at], labels[at], res.level, place
    return Rating(tuple(outcomes), tuple(reports), levels)


@attrs.frozen
class _Refused:
    """A record whose inputs the evaluator refused, with its error."""

    record: Mapping[str, object]
    error: InputError


def _each(program: m.Program, records: Iterable[Mapping[str, object]], evaluator: Evaluator, period: int | None,
          history: Mapping[str, Iterable[Past | Mapping[str, Any]]] | None,
          ) -> Iterator[tuple[Result | _Refused, tuple[Past, ...]]]:
    """Each record evaluated (with its earlier outcomes, when ``history`` is given),
    or refused, in order."""
    read_history = runtime.read_history
    past: tuple[Past, ...] = ()
    for record in records:
        result: Result | _Refused
        try:
            if history is not None:
                ident = _raw_id(program, record)
                past = read_history(program, history.get(ident, ()) if ident is not None else ())
            result = evaluator(record, period, past)
        except InputError as exc:
            result = _Refused(record, exc)
        yield result, past


def _text(value: object) -> str:
    """A group key's cell as text: a missing cell is empty, not "None"."""
    return "" if value is None else str(value).strip()


def _raw_id(program: m.Program, record: Mapping[str, object]) -> str | None:
    if program.id_field is None:
        return None
    value = record.get(program.id_field)
    return None if value is None else str(value).strip()


def _groups(entities: list[_Entity], field: str | None) -> dict[str | None, list[_Entity]]:
    if field is None:
        return {None: list(entities)}
    out: dict[str | None, list[_Entity]] = {}
    lazy = entities[0].result._lazy if entities and entities[0].result is not None else None
    i = lazy.input_index.get(field) if lazy is not None else None
    if lazy is not None and i is not None and lazy.input_scales[i] is None:  # a text: as the fast path read it
        for e in entities:
            r = _rated(e)
            out.setdefault(str(r._values[i]) if r._lazy is lazy else r.text(field), []).append(e)
    else:
        for e in entities:
            out.setdefault(_rated(e).text(field), []).append(e)
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def _bounds(q: m.PopRule, top: int) -> tuple[int, int]:
    """The level ranks a quota counts, lowest and highest."""
    assert q.rank is not None
    return {"==": (q.rank, q.rank), ">=": (q.rank, top), "<=": (0, q.rank)}[q.scope]


def _count(q: m.PopRule, members: list[_Entity], top: int) -> int:
    """How many of ``members`` are at the levels the quota counts."""
    lo, hi = _bounds(q, top)
    return sum(1 for e in members if lo <= e.at <= hi)


def _scope_text(q: m.PopRule, levels: m.Levels) -> str:
    assert q.rank is not None
    label = levels.label(q.rank)
    return {"==": label, ">=": _("{label} or above").format(label=label),
            "<=": _("{label} or below").format(label=label)}[q.scope]


def apportioned(q: m.PopRule, sizes: dict[str, int], whole: int) -> dict[str, int]:
    """The ``whole`` places of quota ``q`` split among its groups of ``sizes`` by its method
    (none when nobody was rated: as a quota ``per`` group, it then bounds no group)."""
    if not sizes:
        return {}
    return apportion(sizes, whole, method=q.method, first_divisor=q.first_divisor)


def not_applied(q: m.PopRule, exc: ApportionmentError, groups: int, whole: int) -> str:
    """The note of a quota whose places could not be apportioned, in the rating's language."""
    if exc.kind == "too-few-seats":
        problem = _("{method} gives every group a place before any group a second: the {groups} groups of {by} "
                    "need {groups} places, but there are {whole}").format(method=q.method, groups=groups,
                                                                            by=q.apportion_by, whole=whole)
    else:  # pragma: no cover - the checker and share_count leave no other problem to a run
        problem = str(exc)
    return _("not applied: {problem}").format(problem=problem)


def _apportion_how(q: m.PopRule, count: int, whole: int) -> str:
    method = q.method if q.first_divisor is None else _("{method}, first divisor {first}").format(
        method=q.method, first=fmt_number(q.first_divisor))
    return _("{amount} of {count} = {whole}, apportioned by {by} ({method})").format(
        amount=_amount_text(q), count=count, whole=whole, by=q.apportion_by, method=method)


def _amount_text(q: m.PopRule) -> str:
    return f"{fmt_number(q.amount * 100)}%" if q.percent else fmt_number(q.amount)


def _places(n: int) -> str:
    return (_("{count} place") if n == 1 else _("{count} places")).format(count=n)


def _tie_at(ranked: list[_Entity], slots: int,
            primary: Callable[[_Entity], Any]) -> tuple[list[_Entity], int] | None:
    """The entities tied on the ranking's keys across the boundary after ``slots``
    places of ``ranked`` (in ranking order), with the number of places left to them;
    None when the boundary falls between two entities that differ."""
    if not 0 < slots < len(ranked) or primary(ranked[slots - 1]) != primary(ranked[slots]):
        return None
    edge = primary(ranked[slots - 1])
    first = next(i for i, e in enumerate(ranked) if primary(e) == edge)
    return [e for e in ranked if primary(e) == edge], slots - first


def _tie(q: m.PopRule, tied: int, places: int, settle: str, kept: bool) -> Tie:
    return Tie(q.name, tied, places, tuple(k.ref.name for k in q.keys), tuple(k.ref.name for k in q.tiebreak),
               settle, kept)


def _move(e: _Entity, to: int, rule: m.PopRule, levels: m.Levels, why: str, tie: Tie | None = None) -> None:
    if tie is not None:
        why = _("{why}; {tie}").format(why=why, tie=tie.describe())
    e.moves += (Move(rule.name, rule.kind, rule.span.line, levels.label(e.at), levels.label(to), why, tie),)
    e.at = to


def _ordinal(i: int) -> str:
    """``8th`` in English, ``第8名`` in Chinese: the suffixes are messages of their own."""
    suffix = N_("{n}th") if 10 <= i % 100 <= 20 else {1: N_("{n}st"), 2: N_("{n}nd"), 3: N_("{n}rd")}.get(i % 10, N_("{n}th"))
    return _(suffix).format(n=i)


def _where(group: object) -> str:
    return _("overall") if group is None else _("in {group}").format(group=group)


def _bound_text(bound: str) -> str:
    return _({"at most": N_("at most"), "at least": N_("at least"), "exactly": N_("exactly"),
              "about": N_("about")}.get(bound, bound))


def _quota(program: m.Program, q: m.PopRule, entities: list[_Entity], ctx: _Ranking) -> list[QuotaReport]:
    levels = program.levels
    assert q.rank is not None and q.bound is not None
    if q.apportion_by is not None:
        groups = _groups(entities, q.apportion_by)
        whole = share_count(q.amount, q.percent, len(entities), q.rounding)
        how = _apportion_how(q, len(entities), whole)
        try:
            shares = apportioned(q, {str(g): len(es) for g, es in groups.items()}, whole)
        except ApportionmentError as exc:  # e.g. Huntington-Hill with fewer places than groups
            before = _count(q, entities, levels.top)
            return [QuotaReport(q.name, "quota", q.span.line, None, how, len(entities), whole, before, before,
                                q.enforced, False, not_applied(q, exc, len(groups), whole))]
        targets = {g: shares[str(g)] for g in groups}
    else:
        groups = _groups(entities, q.per)
        targets = {g: share_count(q.amount, q.percent, len(es), q.rounding) for g, es in groups.items()}
        how = ""
    order = _order(q.keys, q.tiebreak, ctx)
    primary = _primary(q.keys, ctx.lazy)
    reports = []
    for g, members in groups.items():
        target = targets[g]
        scope = _scope_text(q, levels)
        where = _where(g)
        before = _count(q, members, levels.top)
        note: str | None = None
        if q.enforced and q.bound in ("at most", "exactly") and before > target:
            note = _cut(q, members, target, order, primary, levels, where)
        count = _count(q, members, levels.top)
        if q.enforced and q.bound in ("at least", "exactly") and count < target:
            note = _fill(q, members, target, count, order, primary, levels, where) or note
        after = _count(q, members, levels.top)
        met: bool | None = {"at most": after <= target, "at least": after >= target,
                            "exactly": after == target, "about": None}[q.bound]
        if not how:
            text = _("{scope} {bound} {amount} of {count} = {target}").format(
                scope=scope, bound=_bound_text(q.bound), amount=_amount_text(q), count=len(members), target=target)
        else:
            text = _("{scope} {bound} {how}: {target} here").format(
                scope=scope, bound=_bound_text(q.bound), how=how, target=target)
        if met is False and note is None:
            note = _("report only: nobody was moved") if not q.enforced else _("cannot be met")
        reports.append(QuotaReport(q.name, "quota", q.span.line, None if g is None else str(g), text,
                                   len(members), target, before, after, q.enforced, met, note))
    return reports


def _final_counts(program: m.Program, reports: list[QuotaReport], entities: list[_Entity]) -> list[QuotaReport]:
    """A later quota may undo what an earlier one did: each quota's report is checked
    again against the final levels, and says so when they no longer meet it."""
    by_name = {q.name: q for q in program.quotas}
    finals: dict[str, dict[str | None, int]] = {}  # quota -> group -> count on its levels
    for q in program.quotas:
        field = q.apportion_by or q.per
        counts: dict[str | None, int] = {}
        lo, hi = _bounds(q, program.levels.top)
        for e in entities:
            if lo <= e.at <= hi:
                group = None if field is None else _rated(e).text(field)
                counts[group] = counts.get(group, 0) + 1
        finals[q.name] = counts
    out = []
    for r in reports:
        quota = by_name.get(r.rule) if r.kind == "quota" else None
        not_applied = _("not applied: {problem}").split("{")[0]  # in the language the note was written in
        if quota is None or quota.bound is None or (r.note and r.note.startswith(not_applied)):
            out.append(r)
            continue
        final = finals[quota.name].get(r.group, 0)
        if final != r.after:
            met = {"at most": final <= r.target, "at least": final >= r.target,
                   "exactly": final == r.target, "about": None}[quota.bound]
            note = _("a later quota changed it: {count} at the end").format(count=final)
            out.append(attrs.evolve(r, after=final, met=met, note=_("; ").join((r.note, note)) if r.note else note))
        else:
            out.append(r)
    return out


def _cut(q: m.PopRule, members: list[_Entity], target: int, order: Callable[[_Entity], Any],
         primary: Callable[[_Entity], Any], levels: m.Levels, where: str) -> str | None:
    """Overflow of an at-most quota: the lowest-ranked move one level out of its scope."""
    assert q.rank is not None
    lo, hi = _bounds(q, levels.top)
    cands = sorted((e for e in members if lo <= e.at <= hi), key=order)
    if q.scope == "<=":  # too many at the bottom: the best of them rise
        cands.reverse()
    protected: list[_Entity] = []
    if q.minimum and q.minimum_per:
        for _key, grp in _groups(cands, q.minimum_per).items():
            protected += sorted(grp, key=order)[: q.minimum]
    keep_set = set(map(id, protected))
    rest = [e for e in cands if id(e) not in keep_set]
    slots = max(target - len(protected), 0)
    keep = rest[:slots]
    if q.ties != "break" and 0 < slots < len(rest) and primary(rest[slots - 1]) == primary(rest[slots]):
        edge = primary(rest[slots - 1])
        if q.ties == "keep":
            keep = keep + [e for e in rest[slots:] if primary(e) == edge]
        else:
            keep = [e for e in keep if primary(e) != edge]
    keep_set |= set(map(id, keep))
    # a tie across the boundary: who was in it, and for how many places (recorded on
    # the moves and on the entities it kept; it changes nobody's level)
    ties: dict[int, Tie] = {}
    boundary = _tie_at(rest, slots, primary)
    if boundary is not None:
        tied, left = boundary
        for e in tied:
            tie = _tie(q, len(tied), left, q.ties, id(e) in keep_set)
            ties[id(e)] = tie
            e.ties += (tie,)
    to = q.rank + 1 if q.scope == "<=" else q.rank - 1
    notes = []
    if len(protected) > target:
        notes.append(_("the minimum of {minimum} per {per} keeps {kept}, more than {target}").format(
            minimum=q.minimum, per=q.minimum_per, kept=len(protected), target=target))
    if q.ties == "keep" and len(keep) > slots:
        notes.append(_("{count} tied at the boundary kept the level").format(count=len(keep) - slots))
    places = _places(target)
    scope = _scope_text(q, levels)
    ranked = sorted(cands, key=order)  # positions are told best first, whichever end moves
    position = {id(e): i for i, e in enumerate(ranked, start=1)}
    for e in cands:
        if id(e) in keep_set:
            continue
        if not 0 <= to <= levels.top or (e.limit is not None and to > e.limit):
            notes.append(_("{entity} cannot move beyond {level}").format(entity=e.id or e.row, level=levels.label(e.at)))
            continue
        taken = (_(", {count} of them kept by the minimum of {minimum} per {per}").format(
            count=len(protected), minimum=q.minimum, per=q.minimum_per) if protected else "")
        why = _("ranked {position} of {count} at {scope} {where} for {places}{taken} ({rule}): moved to {level}").format(
            position=_ordinal(position[id(e)]), count=len(cands), scope=scope, where=where, places=places,
            taken=taken, rule=q.name, level=levels.label(to))
        _move(e, to, q, levels, why, ties.get(id(e)))
    return _("; ").join(notes) or None


def _fill(q: m.PopRule, members: list[_Entity], target: int, count: int, order: Callable[[_Entity], Any],
          primary: Callable[[_Entity], Any], levels: m.Levels, where: str) -> str | None:
    """Shortfall of an at-least quota: the next in the ranking move into its scope."""
    assert q.rank is not None
    need = target - count
    if q.scope == "<=":  # too few at the bottom: the lowest-ranked above it come down
        pool = sorted((e for e in members if e.at > q.rank), key=order, reverse=True)
    else:  # too few at (or above) the level: the best-ranked below it go up, within their caps
        pool = sorted((e for e in members if e.at < q.rank and (e.limit is None or e.limit >= q.rank)), key=order)
    line = (_("{position} in line above {scope} {where}, which needs {target} ({rule}): moved to {level}")
            if q.scope == "<=" else
            _("{position} in line below {scope} {where}, which needs {target} ({rule}): moved to {level}"))
    boundary = _tie_at(pool, need, primary)
    ties: dict[int, Tie] = {}
    if boundary is not None:
        tied = {id(e) for e in boundary[0]}
        for i, e in enumerate(pool):
            if id(e) in tied:
                ties[id(e)] = _tie(q, len(boundary[0]), boundary[1], "break", i < need)
                e.ties += (ties[id(e)],)
    for pos, e in enumerate(pool[:need], start=1):
        why = line.format(position=_ordinal(pos), scope=_scope_text(q, levels), where=where, target=target,
                          rule=q.name, level=levels.label(q.rank))
        _move(e, q.rank, q, levels, why, ties.get(id(e)))
    if len(pool) < need:
        held = "" if q.scope == "<=" else _(" (the others there are vetoed or capped below it)")
        return _("only {moved} of the {need} missing could be moved{held}").format(moved=len(pool), need=need, held=held)
    return None


def _select(program: m.Program, s: m.PopRule, entities: list[_Entity], ctx: _Ranking) -> list[QuotaReport]:
    levels = program.levels
    order = _order(s.keys, s.tiebreak, ctx)
    primary = _primary(s.keys, ctx.lazy)
    reports = []
    for g, members in _groups(entities, s.per).items():
        n = share_count(s.amount, s.percent, len(members), s.rounding)
        pool = [e for e in members
                if s.among is None or interpreter.holds(program, _rated(e), s.among, e.at, e.history)]
        ranked = sorted(pool, key=order, reverse=s.end == "bottom")
        chosen = ranked[:n]
        if s.ties != "break" and 0 < n < len(ranked) and primary(ranked[n - 1]) == primary(ranked[n]):
            edge = primary(ranked[n - 1])
            chosen = (chosen + [e for e in ranked[n:] if primary(e) == edge] if s.ties == "keep"
                      else [e for e in chosen if primary(e) != edge])
        where = _where(g)
        boundary = _tie_at(ranked, n, primary)
        chosen_ids = {id(e) for e in chosen}
        ties: dict[int, Tie] = {}
        if boundary is not None:
            for e in boundary[0]:
                ties[id(e)] = _tie(s, len(boundary[0]), boundary[1], s.ties, id(e) in chosen_ids)
                e.ties += (ties[id(e)],)
        for pos, e in enumerate(chosen, start=1):
            if s.flag is not None:
                e.sel_flags += (s.flag,)
            elif s.cap is not None:
                e.limit = s.cap if e.limit is None else min(e.limit, s.cap)
                if e.at > s.cap:
                    why = (_("{position} from the top {where} ({rule}): at most {level}") if s.end == "top" else
                           _("{position} from the bottom {where} ({rule}): at most {level}")).format(
                        position=_ordinal(pos), where=where, rule=s.name, level=levels.label(s.cap))
                    _move(e, s.cap, s, levels, why, ties.get(id(e)))
        effect = (_("flag {flag}").format(flag=s.flag) if s.flag is not None
                  else _("at most {level}").format(level=levels.label(s.cap or 0)))
        text = (_("top {amount} of {count} = {n}, {effect}") if s.end == "top" else
                _("bottom {amount} of {count} = {n}, {effect}")).format(
                    amount=_amount_text(s), count=len(members), n=n, effect=effect)
        reports.append(QuotaReport(s.name, "select", s.span.line, None if g is None else str(g), text,
                                   len(members), n, len(pool), len(chosen), True, len(chosen) >= min(n, len(pool))))
    return reports


def explain_outcome(outcome: Outcome, result: Result, ranked: bool, all: bool = False, lines: bool = False) -> list[str]:
    """An outcome in words, one line each: the entity's own evaluation (``result``, with
    its trace; flags left for the end when a quota moved it), what the quotas and
    selections did to it, the ties at a boundary it was in, then the final level, the
    total, the place in the ranking (when the scheme ranks: ``ranked``) and the flags.
    ``all`` and ``lines`` as for :meth:`Result.explain`."""
    from starrules.result import STAGE_WORDS

    moved = bool(outcome.moves)
    out = [s.describe(lines) for s in result.trace
           if (all or s.shown) and not (moved and s.stage == "flag")]  # flags: told at the final level
    for mv in outcome.moves:
        kind = _(STAGE_WORDS.get(mv.kind, mv.kind))
        out.append((_("[{kind}] ✔ {rule} (line {line}): {why}") if lines else _("[{kind}] ✔ {rule}: {why}"))
                   .format(kind=kind, rule=mv.rule, line=mv.line, why=mv.why))
    moved_by = {mv.rule for mv in outcome.moves if mv.tie is not None}
    for tie in outcome.ties:
        if tie.quota not in moved_by:
            text = _("in a tie at the boundary, kept its place: {tie}") if tie.kept else \
                _("in a tie at the boundary, did not get a place: {tie}")
            out.append(_("[{kind}] {rule}: {why}").format(kind=_("tie"), rule=tie.quota,
                                                          why=text.format(tie=tie.describe())))
    if outcome.status != "rated":
        out.append(result.outcome_text())
        return out
    if outcome.reason:
        out.append(_("Outcome: {level} ({reason})").format(level=outcome.level_label, reason=outcome.reason))
    else:
        out.append(_("Outcome: {level}").format(level=outcome.level_label))
    flags = _(", ").join(outcome.flags) or _("none")
    parts = [_("total {total}").format(total=fmt_number(outcome.total)) if outcome.total is not None else ""]
    if ranked and outcome.rank is not None:
        parts.append(_("place {rank} in the ranking").format(rank=outcome.rank))
    parts.append((_("flags at the final level: {flags}") if moved else _("flags: {flags}")).format(flags=flags))
    out.append(_("; ").join(p for p in parts if p))
    return out
