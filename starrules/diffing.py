"""Compare two versions of a scheme: which entities does the change rate differently?

Takes two loaded schemes and, optionally, records; gives a :class:`Difference` for each
record whose outcome (status, level, reason, total, flags) differs, with both traces.

* With records (a data file's rows), the records are rated as a population by each
  version (quotas and selections included, as they would be published); every row
  whose outcome differs is reported, in input order.
* Without records, records are generated with Hypothesis from the inputs the two
  versions share, and each kind of difference (a pair of outcomes) is reported by its
  smallest record, found in four steps:

  1. *search*: values drawn on their own (favouring the thresholds of both versions,
     as ``inputs(scheme, edges=True)`` does) or from a profile that sweeps the band's
     score, favouring where it crosses each threshold (:class:`_Records`); Hypothesis
     ``target`` steers towards the thresholds one version has and the other has not;
  2. *shrink*: the search raises on the first record whose outcome differs, and
     Hypothesis shrinks it (lower scores, fewer occurrences, the first choice, fewer
     members) for as long as it differs in the same way;
  3. *polish*: each value, in the order of the inputs, is brought as low as the
     difference allows, by bisection for numbers, and a number's steps are moved to
     later numeric inputs where that keeps it (:func:`_simplest`); so no single value
     can be made simpler without losing the difference;
  4. the search runs again for a kind not yet found, up to ``MAX_KINDS`` times.

  Then, when either version has quotas or selections, *populations* are generated and
  rated by both (:func:`_generated_populations`): ``POPULATION_SIZE`` records along the
  profile above (over the whole sweep, its upper half and its lower half), the other values
  drawn with a seeded generator. An entity the two versions rate alike on its own but
  differently in the population shows a change of the population rules (a share moved
  from 10% to 15%, a tie-break, a minimum per group): each kind of such change is reported
  by its smallest record, with the size of the population and how many of it changed so.

  The search is derandomised and the populations seeded: the same two versions give the
  same report.

``except_where(record)`` marks differences that are intended: they are not reported
(and, for generated records, not searched for).

>>> import starrules
>>> old = starrules.loads('scheme "甲" version "1"\\nlevels stars 0..1\\ninput 分 : score 0..100\\n'
...                       'band 分 { 1: [60, ..)  0: else }\\n')
>>> new = starrules.loads('scheme "甲" version "2"\\nlevels stars 0..1\\ninput 分 : score 0..100\\n'
...                       'band 分 { 1: [65, ..)  0: else }\\n')
>>> [(d.record["分"], d.old.level, d.new.level) for d in diff(old, new, [{"分": 59}, {"分": 62}, {"分": 70}])]
[(62, 1, 0)]
"""

from __future__ import annotations

import difflib
import itertools
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, target
from hypothesis import strategies as st

from starrules import model as m
from starrules import nodes as n
from starrules.api import Scheme
from starrules.errors import StarError
from starrules.i18n import N_, _
from starrules.population import Outcome, QuotaReport, Rating
from starrules.result import STATUS_WORDS, Result, TraceStep
from starrules.testing import _FALSE, _grid, _near_constants, _Polarity, thresholds, value_of
from starrules.values import coerce, fmt_number

__all__ = ["Difference", "Verdict", "diff", "render_differences"]

FIELDS = ("status", "level", "reason", "total", "flags")
FIELD_WORDS = {"status": N_("status"), "level": N_("level"), "reason": N_("reason"), "total": N_("total"),
               "flags": N_("flags")}
MAX_KINDS = 8  # the most kinds of difference a generated search reports
POPULATION_SIZE = 300  # entities in each generated population
POPULATION_MIXES = ("spread", "top", "bottom")  # the levels of each generated population: alike, top- or bottom-heavy
POPULATION_GROUPS = ("甲", "乙", "丙")
PHASES = (Phase.generate, Phase.target, Phase.shrink)


@attrs.frozen
class Verdict:
    """One version's outcome for a record, and its trace as text (``Result.explain``;
    in a population, followed by what the quotas and selections did)."""

    status: str
    level: int | str | None
    reason: str | None
    total: Decimal | None
    flags: tuple[str, ...]
    trace: str
    label: str | None = None  # the level's name, as the scheme writes it

    def describe(self) -> str:
        status = _(STATUS_WORDS.get(self.status, self.status))
        level = self.level if self.label is None else self.label
        what = _("{status} {level}").format(status=status, level=level) if self.status == "rated" else status
        if self.reason:
            what += _(" ({reason})").format(reason=self.reason)
        if self.total is not None:
            what += _(", total {total}").format(total=fmt_number(self.total))
        if self.flags:
            what += _(", flags {flags}").format(flags=_(", ").join(self.flags))
        return what


@attrs.frozen
class Difference:
    """A record the two versions rate differently. ``row`` is its place in the records
    given, from 0 (None for a generated record), ``number`` the row's number as ``run``
    gives it (the file's line; the ``numbers`` given to :func:`diff`, else ``row + 1``);
    ``changed`` names the fields that differ. A generated record rated in a generated
    population (a difference the population rules make) has ``population``, the number of
    entities rated together, and ``affected``, how many of them changed in this way."""

    record: Mapping[str, object]
    id: str | None
    row: int | None
    old: Verdict
    new: Verdict
    changed: tuple[str, ...]
    number: int | None = None
    population: int | None = None
    affected: int | None = None
    quotas: tuple[str, ...] = ()  # the quotas and selections as each version applied them there, where they differ

    @property
    def generated(self) -> bool:
        return self.row is None


def _same(a: Verdict, b: Verdict, name: str) -> bool:
    if name == "flags":
        return set(a.flags) == set(b.flags)  # the order of flags is not an outcome
    return bool(getattr(a, name) == getattr(b, name))


def _changed(a: Verdict, b: Verdict) -> tuple[str, ...]:
    return tuple(name for name in FIELDS if not _same(a, b, name))


def _of_result(result: Result, extra: Sequence[str] = ()) -> Verdict:
    text = result.explain(all=True, lines=True) if result.trace else ""
    if extra:
        text += "\n" + "\n".join(extra)
    return Verdict(result.status, result.level, result.reason, result.total, tuple(result.flags), text,
                   result.level_label)


def _of_error(exc: StarError) -> Verdict:
    return Verdict("invalid", None, str(exc), None, (), _("=> refused: {problem}").format(problem=exc))


def _evaluate(scheme: Scheme, record: Mapping[str, object], trace: bool, period: int | None,
              history: Iterable[Any] | None) -> tuple[Verdict, Result | None]:
    try:
        result = scheme.evaluate(record, trace=trace, period=period, history=history, extra="ignore")
    except StarError as exc:
        return _of_error(exc), None
    return _of_result(result), result


# ---- records given: rated as a population ---------------------------------------------


def _population(old: Scheme, new: Scheme, records: list[Mapping[str, object]],
                except_where: Callable[[Mapping[str, object]], bool] | None, period: int | None,
                history: Mapping[str, Iterable[Any]] | None, numbers: Sequence[int] | None = None) -> list[Difference]:
    def rate(scheme: Scheme) -> Rating | StarError:
        try:
            return scheme.rate(records, period=period, history=history, extra="ignore")
        except StarError as exc:  # a period the version is not in force for
            return exc

    rated_old, rated_new = rate(old), rate(new)
    before = rated_old if isinstance(rated_old, StarError) else rated_old.outcomes
    after = rated_new if isinstance(rated_new, StarError) else rated_new.outcomes
    out = []
    for row, record in enumerate(records):
        a = _outcome_verdict(before if isinstance(before, StarError) else before[row])
        b = _outcome_verdict(after if isinstance(after, StarError) else after[row])
        changed = _changed(a, b)
        if not changed or (except_where is not None and except_where(record)):
            continue
        ident = _ident(before, after, row)
        past = list(history.get(ident, ())) if history and ident is not None else None
        moved_by = {mv.rule for o in (before, after) if not isinstance(o, StarError) for mv in o[row].moves}
        quotas: tuple[str, ...] = ()
        if moved_by and not isinstance(rated_old, StarError) and not isinstance(rated_new, StarError):
            quotas = _quota_changes(rated_old.reports, rated_new.reports, moved_by)
        out.append(Difference(record, ident, row,
                              _traced(old, record, before, row, period, past),
                              _traced(new, record, after, row, period, past), changed,
                              number=numbers[row] if numbers is not None else row + 1, quotas=quotas))
    return out


def _ident(before: Sequence[Outcome] | StarError, after: Sequence[Outcome] | StarError, row: int) -> str | None:
    for outcomes in (before, after):
        if not isinstance(outcomes, StarError) and outcomes[row].id is not None:
            return outcomes[row].id
    return None


def _outcome_verdict(o: Outcome | StarError) -> Verdict:
    if isinstance(o, StarError):
        return _of_error(o)
    return Verdict(o.status, o.level, o.reason, o.total, tuple(o.flags), "", o.level_label)


def _traced(scheme: Scheme, record: Mapping[str, object], outcomes: Sequence[Outcome] | StarError, row: int,
            period: int | None, history: list[Any] | None) -> Verdict:
    """The outcome of one row with its trace: the entity evaluated again with the
    reference interpreter, then the moves the quotas and selections made."""
    if isinstance(outcomes, StarError):
        return _of_error(outcomes)
    o = outcomes[row]
    plain = _outcome_verdict(o)
    traced, result = _evaluate(scheme, record, True, period, history)
    if result is None:
        return attrs.evolve(plain, trace=traced.trace)
    moves = [TraceStep(mv.kind, mv.rule, mv.line, mv.after, mv.why, True).describe() for mv in o.moves]
    if o.status == "rated" and o.level != result.level:
        moves.append(_("[population] {own} on its own, {final} in the population: the quotas and selections "
                       "above decide it").format(own=result.level_label, final=o.level_label))
    return attrs.evolve(plain, trace=_of_result(result, moves).trace)


# ---- records generated: search, then shrink --------------------------------------------------


class _Found(Exception):  # noqa: N818 - not an error: the search's way out
    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__("a record the two versions rate differently")
        self.record = record


def _common(old: Scheme, new: Scheme) -> list[tuple[m.Input, m.Input]]:
    """The inputs both versions read (old's order), each with its declaration in each."""
    theirs = {i.name: i for i in new.inputs}
    return [(inp, theirs[inp.name]) for inp in old.inputs if inp.name in theirs]


def _simplest_value(inp: m.Input) -> object:
    """What the strategies shrink a value to."""
    grid = _grid(inp)
    if grid is not None:
        return grid.show(grid.lo)
    if isinstance(inp.spec, (n.BoolType, n.SetType)):
        return "否" if isinstance(inp.spec, n.BoolType) else ""
    if isinstance(inp.spec, n.EnumType):
        return inp.type.members[0]
    return "甲" if inp.role == "group" else "支"


class _Records:
    """How records are generated for two versions.

    Each record is drawn one of two ways: every value on its own (favouring the
    thresholds of both versions, as ``inputs(scheme, edges=True)`` does), or from a
    *profile*: one number ``q`` (0..1000) places each numeric input that raises the
    band's score (in both versions) at ``q`` thousandths of its range, and each that
    lowers it at ``1000 - q`` (yes/no inputs: yes more often as ``q`` rises), a little
    apart; the other inputs are drawn on their own. As ``q`` rises, the band's score
    sweeps its range. Before the search, the ``q`` where each threshold of either version
    is crossed (a band's end, a constant a score is compared with) is found by bisection,
    and the profiles favour those ``q``: a band edge over a computed total, which values
    drawn on their own seldom reach, is then within reach."""

    def __init__(self, old: Scheme, new: Scheme, period: int | None, history: list[Any] | None) -> None:
        self.old, self.new, self.period, self.history = old, new, period, history
        self._along: dict[int, list[int]] | None = None
        near_old, near_new = _near_constants(old.program), _near_constants(new.program)
        self.fields: dict[str, st.SearchStrategy[Any]] = {}
        self.inputs: dict[str, m.Input] = {}
        self.signs: dict[str, int | None] = {}
        for inp, other in _common(old, new):
            near = sorted(near_old.get(inp.name, set()) | near_new.get(inp.name, set()))
            same = (inp.spec, inp.type) == (other.spec, other.type)
            if same:
                self.fields[inp.name] = value_of(inp, near=near)
            else:  # declared differently: values of either declaration
                self.fields[inp.name] = st.one_of(value_of(inp, near=near), value_of(other, near=near))
            self.inputs[inp.name] = inp
            a, b = _band_sign(old.program, inp.name), _band_sign(new.program, other.name)
            self.signs[inp.name] = a if a == b and same else None

    def record(self, q: int, draw: st.DrawFn | None = None) -> dict[str, Any]:
        """The profile at ``q``: values drawn a little apart with ``draw``, else exactly
        there, the inputs outside the profile at their simplest."""
        record: dict[str, Any] = {}
        for name, strategy in self.fields.items():
            sign, inp = self.signs[name], self.inputs[name]
            grid = _grid(inp)
            share = q if sign == 1 else 1000 - q
            if sign in (1, -1) and grid is not None:
                span = grid.top - grid.lo
                spread = max(1, span // 50)
                k = grid.lo + share * span // 1000 + (draw(st.integers(-spread, spread)) if draw else 0)
                record[name] = grid.show(min(grid.top, max(grid.lo, k)))
            elif sign in (1, -1) and isinstance(inp.spec, n.BoolType):
                record[name] = "是" if (draw(st.integers(0, 999)) if draw else 500) < share else "否"
            else:
                record[name] = draw(strategy) if draw else _simplest_value(inp)
        return record

    def levels_along(self) -> dict[int, list[int]]:
        """The ``q`` of the profile (every 5th) at which the old version gives each level
        (by its rank, 0 the lowest); found once."""
        if self._along is not None:
            return self._along
        out: dict[int, list[int]] = {}
        for q in range(0, 1001, 5):
            try:
                result = self.old.evaluate(self.record(q), trace=False, period=self.period, history=self.history,
                                           extra="ignore")
            except StarError:
                continue
            if result.status == "rated" and result.level_rank is not None:
                out.setdefault(result.level_rank, []).append(q)
        self._along = out
        return out

    def population(self, size: int, mix: str, rng: random.Random) -> list[dict[str, Any]]:
        """``size`` records along the profile: each at a ``q`` where the old version gives
        a level (``mix`` "spread": every level reached alike; "top": half of them at the
        highest; "bottom": half at the lowest), a little apart; the values outside the
        profile at their simplest seven times in ten, else drawn over their range; each
        group input one of ``POPULATION_GROUPS``, each id its own (``生成001``...)."""
        along = self.levels_along()
        ranks = sorted(along)
        reached = [along[r] for r in ranks] or [list(range(0, 1001, 5))]
        ends = {"top": reached[-1], "bottom": reached[0]}
        out = []
        for k in range(size):
            qs = ends[mix] if mix in ends and rng.random() < 0.5 else rng.choice(reached)
            q = rng.choice(qs)
            record: dict[str, Any] = {}
            for name, inp in self.inputs.items():
                sign, grid, spec = self.signs[name], _grid(inp), inp.spec
                share = q if sign == 1 else 1000 - q
                if grid is not None and sign in (1, -1):
                    span = grid.top - grid.lo
                    spread = max(1, span // 50)
                    step = grid.lo + share * span // 1000 + rng.randint(-spread, spread)
                    record[name] = grid.show(min(grid.top, max(grid.lo, step)))
                elif isinstance(spec, n.BoolType) and sign in (1, -1):
                    record[name] = "是" if rng.randrange(1000) < share else "否"
                elif inp.role == "group":
                    record[name] = rng.choice(POPULATION_GROUPS)
                elif inp.role == "id":
                    record[name] = f"生成{k + 1:03d}"
                elif rng.random() < 0.7:
                    record[name] = _simplest_value(inp)
                elif grid is not None:
                    record[name] = grid.show(rng.randint(grid.lo, grid.top))
                elif isinstance(spec, n.BoolType):
                    record[name] = rng.choice(["是", "否"])
                elif isinstance(spec, n.EnumType):
                    record[name] = rng.choice(inp.type.members)
                elif isinstance(spec, n.SetType):
                    record[name] = "、".join(m for m in inp.type.members if rng.random() < 0.5)
                else:
                    record[name] = _simplest_value(inp)
            out.append(record)
        return out

    def _value(self, scheme: Scheme, q: int, name: str) -> Decimal | None:
        try:
            result = scheme.evaluate(self.record(q), trace=False, period=self.period, history=self.history,
                                         extra="ignore")
        except StarError:
            return None
        value = result.scores.get(name, result.inputs.get(name))
        return value if isinstance(value, Decimal) else None

    def crossings(self) -> list[int]:
        """The ``q`` (and one either side) where the profile crosses each threshold."""
        out: set[int] = set()
        for scheme in (self.old, self.new):
            for name, c in sorted(thresholds(scheme.program)):
                low, high = self._value(scheme, 0, name), self._value(scheme, 1000, name)
                if low is None or high is None or low == high or not min(low, high) < c <= max(low, high):
                    continue
                rising = low < high
                a, b = 0, 1000  # beyond(b) holds, beyond(a) does not
                while b - a > 1:
                    mid = (a + b) // 2
                    v = self._value(scheme, mid, name)
                    if v is None:
                        break
                    a, b = (a, mid) if (v >= c if rising else v < c) else (mid, b)
                out |= {q for q in (b - 1, b, b + 1) if 0 <= q <= 1000}
        return sorted(out)

    def strategy(self) -> st.SearchStrategy[dict[str, Any]]:
        crossings = self.crossings()
        qs: st.SearchStrategy[int] = st.integers(0, 1000)
        if crossings:
            qs = st.one_of(qs, st.sampled_from(crossings))

        @st.composite
        def profile(draw: st.DrawFn) -> dict[str, Any]:
            return self.record(draw(qs), draw)

        return st.one_of(st.fixed_dictionaries(self.fields), profile())


def _band_sign(program: m.Program, field: str) -> int | None:
    """How the band's score moves as the input rises (+1, -1, 0; None: unknown)."""
    if program.band is None:
        return None
    return _Polarity(program, field).of(program.band.score)


def _moved(old: m.Program, new: m.Program) -> list[tuple[str, Decimal]]:
    """Thresholds one version has and the other has not (a band edge moved, a veto's
    threshold changed): the search is steered towards them."""
    return sorted(thresholds(old) ^ thresholds(new))


def _distance(result: Result | None, name: str, c: Decimal) -> float | None:
    if result is None:
        return None
    value = result.scores.get(name, result.inputs.get(name))
    if isinstance(value, Decimal) and not isinstance(value, bool):
        return float(abs(value - c))
    return None


def _search(old: Scheme, new: Scheme, strategy: st.SearchStrategy[dict[str, Any]], examples: int,
            wanted: Callable[[dict[str, Any], Verdict, Verdict], bool], period: int | None,
            history: Iterable[Any] | None, steer: list[tuple[str, Decimal]]) -> dict[str, Any] | None:
    """The smallest generated record for which ``wanted`` holds, or None."""
    past = list(history) if history is not None else None

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True, verbosity=Verbosity.quiet,
              phases=PHASES, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def probe(record: dict[str, Any]) -> None:
        a, ra = _evaluate(old, record, False, period, past)
        b, rb = _evaluate(new, record, False, period, past)
        for name, c in steer:
            d = _distance(ra, name, c)
            d = _distance(rb, name, c) if d is None else d
            if d is not None:
                target(-d, label=f"{name} near {c}")
        if wanted(record, a, b):
            raise _Found(dict(record))

    try:
        probe()
    except _Found as found:
        return found.record
    return None


def _simpler(inp: m.Input, value: object) -> list[object]:
    """Values of a non-numeric input simpler than ``value``, simplest first, as the
    strategies shrink: no, the first choices, fewer members, the shortest text."""
    spec = inp.spec
    if isinstance(spec, n.BoolType):
        simpler: list[object] = [v for v in ("否", "是") if v != value]
        return simpler[: 1 if value in _FALSE else 2]
    if isinstance(spec, n.EnumType):
        members = list(inp.type.members)
        earlier: list[object] = list(members[: members.index(value)] if value in members else members)
        return earlier
    if isinstance(spec, n.SetType):
        items = [x for x in str(value or "").split("、") if x]
        fewer: list[object] = ["", *("、".join(items[:i] + items[i + 1:]) for i in range(len(items)))]
        return fewer if items else []
    simplest = "甲" if inp.role == "group" else "支"
    return [simplest] if value != simplest else []


def _step(inp: m.Input, value: object) -> int | None:
    """The step of a numeric value on its input's grid (None: not numeric, or off it)."""
    grid = _grid(inp)
    number, problem = coerce(inp, value)
    if grid is None or problem or not isinstance(number, Decimal):
        return None
    k = grid.index(number)
    return int(k) if k == int(k) else None


def _lower(inp: m.Input, record: dict[str, Any], still: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """One value made as simple as ``still`` allows: a numeric one to its lowest step,
    or by bisection to the lowest step that keeps it (one step lower loses it)."""
    grid, high = _grid(inp), _step(inp, record.get(inp.name))
    if grid is None or high is None:
        for candidate in _simpler(inp, record.get(inp.name)):
            trial = {**record, inp.name: candidate}
            if still(trial):
                return trial
        return record
    low = grid.lo
    if high <= low:
        return record
    if still({**record, inp.name: grid.show(low)}):
        return {**record, inp.name: grid.show(low)}
    while high - low > 1:  # still at high, not at low
        mid = (low + high) // 2
        low, high = (low, mid) if still({**record, inp.name: grid.show(mid)}) else (mid, high)
    return {**record, inp.name: grid.show(high)}


def _transfer(inp: m.Input, later: Sequence[m.Input], record: dict[str, Any],
              still: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Steps moved from one numeric value to later ones (the last first), as many as
    keep ``still``: a sum that must stay where it is ends up in the last inputs."""
    grid = _grid(inp)
    assert grid is not None
    for other in reversed(later):
        k, j, their = _step(inp, record.get(inp.name)), _step(other, record.get(other.name)), _grid(other)
        if k is None or k <= grid.lo:
            break
        if j is None or their is None:
            continue
        d = min(k - grid.lo, (their.hi if their.hi is not None else their.top) - j)
        while d >= 1:
            trial = {**record, inp.name: grid.show(k - d), other.name: their.show(j + d)}
            if still(trial):
                record = trial
                break
            d //= 2
    return record


def _simplest(old: Scheme, new: Scheme, record: dict[str, Any], still: Callable[[dict[str, Any]], bool]
              ) -> dict[str, Any]:
    """The record made simpler while ``still`` holds, in the order of the inputs: each
    value as simple as it can be on its own (:func:`_lower`), then a numeric value's
    steps moved to later numeric inputs (:func:`_transfer`); passes repeat until none
    changes anything. Inputs declared differently by the two versions are left alone."""
    fields = [inp for inp, other in _common(old, new) if (inp.spec, inp.type) == (other.spec, other.type)]
    numeric = [inp for inp in fields if _grid(inp) is not None]
    for _round in range(5):
        before = dict(record)
        for inp in fields:
            record = _lower(inp, record, still)
            if inp in numeric:
                record = _transfer(inp, numeric[numeric.index(inp) + 1:], record, still)
        if record == before:
            break
    return record


def _generated(old: Scheme, new: Scheme, examples: int, except_where: Callable[[Mapping[str, object]], bool] | None,
               period: int | None, history: Iterable[Any] | None) -> list[Difference]:
    past = list(history) if history is not None else None
    generator = _Records(old, new, period, past)
    strategy = generator.strategy()
    steer = _moved(old.program, new.program)
    seen: set[tuple[Any, ...]] = set()
    out: list[Difference] = []

    def kind(a: Verdict, b: Verdict) -> tuple[Any, ...]:
        return (_changed(a, b), a.status, a.level, b.status, b.level)

    def wanted(record: dict[str, Any], a: Verdict, b: Verdict) -> bool:
        if not _changed(a, b) or kind(a, b) in seen:
            return False
        return except_where is None or not except_where(record)

    for _kind in range(MAX_KINDS):
        found = _search(old, new, strategy, examples, wanted, period, past, steer)
        if found is None:
            break
        first = kind(*_verdicts(old, new, found, period, past))

        def still(record: dict[str, Any], first: tuple[Any, ...] = first) -> bool:
            a, b = _verdicts(old, new, record, period, past)
            return bool(_changed(a, b)) and kind(a, b) == first and (except_where is None or not except_where(record))

        record = _simplest(old, new, found, still)
        a, ra = _evaluate(old, record, True, period, past)
        b, rb = _evaluate(new, record, True, period, past)
        seen.add(kind(a, b))
        ident = next((r.id for r in (ra, rb) if r is not None and r.id is not None), None)
        out.append(Difference(record, ident, None, a, b, _changed(a, b)))
    return sorted(out, key=lambda d: _size(d.record)) + _generated_populations(old, new, generator, except_where,
                                                                                 period, past)


def _generated_populations(old: Scheme, new: Scheme, records: _Records,
                           except_where: Callable[[Mapping[str, object]], bool] | None, period: int | None,
                           history: list[Any] | None) -> list[Difference]:
    """The differences the population rules make, on generated populations (see the
    module's docstring): each kind once, by its smallest record."""
    if not (old.program.population or new.program.population):
        return []
    rng = random.Random(0)  # seeded: the same two versions give the same populations
    seen: set[tuple[Any, ...]] = set()
    out: list[Difference] = []
    for mix in POPULATION_MIXES:
        population = records.population(POPULATION_SIZE, mix, rng)
        ident = old.program.id_field
        past = ({str(r[ident]): history for r in population if ident in r}
                if history is not None and ident is not None else None)
        try:
            rated_old = old.rate(population, period=period, history=past, extra="ignore")
            rated_new = new.rate(population, period=period, history=past, extra="ignore")
        except StarError:  # a period a version is not in force for: the search above reports it
            return out
        before, after = rated_old.outcomes, rated_new.outcomes
        quotas = _quota_changes(rated_old.reports, rated_new.reports)
        kinds: dict[tuple[Any, ...], list[int]] = {}
        for i, record in enumerate(population):
            a, b = _outcome_verdict(before[i]), _outcome_verdict(after[i])
            changed = _changed(a, b)
            if not changed or (except_where is not None and except_where(record)):
                continue
            if _changed(*_verdicts(old, new, record, period, history)):
                continue  # rated differently on its own: the search above finds such records
            kinds.setdefault((changed, a.status, a.level, b.status, b.level), []).append(i)
        for kind, members in kinds.items():
            if kind in seen:
                continue
            seen.add(kind)
            i = min(members, key=lambda j: _size(population[j]))
            out.append(Difference(population[i], before[i].id or after[i].id, None,
                                  _traced(old, population[i], before, i, period, history),
                                  _traced(new, population[i], after, i, period, history), kind[0],
                                  population=len(population), affected=len(members), quotas=quotas))
    return out


def _quota_changes(old: Sequence[QuotaReport], new: Sequence[QuotaReport],
                   rules: set[str] | None = None) -> tuple[str, ...]:
    """Each quota or selection whose target or counts differ, as the two versions applied
    it: ``old: …`` and ``new: …`` lines (the reports of the run's summary); ``rules``: only
    those (by name, in either version)."""
    def line(r: QuotaReport) -> str:
        where = _("all") if r.group is None else r.group
        return _("{rule} [{where}]: {text}; before {before}, after {after}").format(
            rule=r.rule, where=where, text=r.text, before=r.before, after=r.after)

    out: list[str] = []
    for a, b in itertools.zip_longest(old, new):
        if a is not None and b is not None and (a.text, a.before, a.after) == (b.text, b.before, b.after):
            continue
        if rules is not None and not ({r.rule for r in (a, b) if r is not None} & rules):
            continue
        if a is not None:
            out.append(_("old: {quota}").format(quota=line(a)))
        if b is not None:
            out.append(_("new: {quota}").format(quota=line(b)))
    return tuple(out)


def _verdicts(old: Scheme, new: Scheme, record: dict[str, Any], period: int | None,
              history: list[Any] | None) -> tuple[Verdict, Verdict]:
    return _evaluate(old, record, False, period, history)[0], _evaluate(new, record, False, period, history)[0]


def _size(record: Mapping[str, object]) -> tuple[int, str]:
    """Smallest first: the fewest characters written, then the text."""
    text = repr(sorted((k, str(v)) for k, v in record.items()))
    return len(text), text


# ---- the entry point ---------------------------------------------------------------------


def diff(old: Scheme, new: Scheme, records: Iterable[Mapping[str, object]] | None = None, *, examples: int = 200,
         except_where: Callable[[Mapping[str, object]], bool] | None = None, period: int | None = None,
         history: Any = None, numbers: Sequence[int] | None = None) -> list[Difference]:
    """The records whose outcome (status, level, reason, total, flags) differs between
    ``old`` and ``new``.

    ``records``: rated as a population by each version; every row that differs, in
    order. ``history`` then maps an entity's id to its earlier outcomes; ``numbers``, the
    rows' numbers as ``run`` gives them (``Row.number``: the file's lines), number the
    differences (default: the place in ``records`` from 1).
    Without records: records generated from the inputs both versions share, ``examples``
    per search, each difference shrunk to its smallest record, one per kind of change
    (smallest first); then, when either version has quotas or selections, generated
    populations of ``POPULATION_SIZE`` rated by both, each kind of change the population
    rules make once; ``history`` is then one entity's earlier outcomes.
    ``period``: the period rated, for versions in force for some periods or reading
    history. ``except_where(record)`` true: an intended difference, left out.
    Generation uses Hypothesis: do not call it inside a ``@given`` test."""
    if records is not None:
        return _population(old, new, list(records), except_where, period, history, numbers)
    return _generated(old, new, examples, except_where, period, history)


def _record_text(record: Mapping[str, object]) -> str:
    """A record's cells as ``name: value`` pairs split by ``;`` (a set's members are joined
    by 、, so the pairs are not), an empty cell as (empty)."""
    def cell(v: object) -> str:
        if isinstance(v, (list, tuple, set, frozenset)):
            v = "、".join(sorted(str(x) for x in v))
        return _("(empty)") if v is None or v == "" else str(v)

    return _("; ").join(_("{name}: {value}").format(name=k, value=cell(v)) for k, v in record.items())


def render_differences(diffs: Sequence[Difference], *, traces: bool = True) -> str:
    """The differences as text: each record, its outcome under each version, and the
    steps of the two traces that differ (a unified diff of the traces)."""
    if not diffs:
        return _("no differences")
    blocks = [(_("{count} difference") if len(diffs) == 1 else _("{count} differences")).format(count=len(diffs))]
    for d in diffs:
        if d.population is not None:
            where = _("generated record, in a generated population of {size} ({affected} of them changed so)").format(
                size=d.population, affected=d.affected)
        elif d.row is None:
            where = _("generated record")
        else:
            where = _("row {number}").format(number=d.number if d.number is not None else d.row + 1)
        named = _("{where} '{id}'").format(where=where, id=d.id) if d.id is not None else where
        changed = _(", ").join(_(FIELD_WORDS.get(name, name)) for name in d.changed)
        head = _("{where}: {fields} changed").format(where=named, fields=changed)
        lines = [head, _("  record: {record}").format(record=_record_text(d.record)),
                 _("  old: {outcome}").format(outcome=d.old.describe()),
                 _("  new: {outcome}").format(outcome=d.new.describe())]
        if d.quotas:
            lines.append(_("  the population's quotas and selections:"))
            lines += ["    " + q for q in d.quotas]
        if traces and (d.old.trace or d.new.trace):
            delta = difflib.unified_diff(d.old.trace.splitlines(), d.new.trace.splitlines(), _("old"), _("new"),
                                         lineterm="", n=0)
            lines += ["  " + line for line in delta if not line.startswith("@@")]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
