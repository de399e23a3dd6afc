"""Property testing of schemes: Hypothesis strategies built from a scheme's declarations,
and the invariants every scheme must keep, as plain functions a suite calls in its tests.

Takes a loaded :class:`~starrules.Scheme`; gives

* strategies of valid input records, built by construction (no filtering), shrinking
  towards simple values (the lowest score, no occurrences, the first choice, the empty
  set): :func:`inputs` (``edges=True`` favours the values next to the scheme's
  thresholds), :func:`populations` (lists of records with unique ids), and
  :func:`invalid_inputs` (records with exactly one bad value, and its field);
  :func:`histories` gives earlier outcomes for schemes that read them;
* invariants, each raising ``AssertionError`` naming the entity, the rule and showing
  the trace: :func:`check_determinism`, :func:`check_veto_dominance`,
  :func:`check_caps`, :func:`check_demotion_never_raises`, :func:`check_monotone`
  (for the fields :func:`is_monotone_in` proves monotone), and over populations
  :func:`check_quotas`, :func:`check_order_independence`, :func:`check_accounted`;
* :func:`assert_equivalent`: two versions of a scheme give the same outcomes (see
  :mod:`starrules.diffing`).

Needs the ``testing`` extra (``pip install starrules[testing]``). A guide with examples
is ``docs/testing.md``.

>>> import starrules
>>> from hypothesis import given
>>> scheme = starrules.load("schemes/anyang.star")
>>> @given(record=inputs(scheme))
... def test_every_generated_record_is_rated(record):
...     assert scheme.evaluate(record).status == "rated"
>>> test_every_generated_record_is_rated()
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

import attrs
from hypothesis import strategies as st

from starrules import interpreter
from starrules import model as m
from starrules import nodes as n
from starrules.analysis import ZERO, Ranges
from starrules.api import Scheme
from starrules.errors import StarError
from starrules.population import Outcome, Rating, share_count
from starrules.result import STATUSES, Past, Result, TraceStep
from starrules.runtime import read_history
from starrules.values import coerce, fmt_number, fmt_value

__all__ = [
    "assert_equivalent",
    "check_accounted",
    "check_caps",
    "check_demotion_never_raises",
    "check_determinism",
    "check_monotone",
    "check_order_independence",
    "check_quotas",
    "check_veto_dominance",
    "edge_values",
    "histories",
    "inputs",
    "invalid_inputs",
    "is_monotone_in",
    "populations",
    "value_of",
]

_TRUE = ("是", "yes", "true", "1")
_FALSE = ("否", "no", "false", "0")

History = Iterable[Past | Mapping[str, Any]] | None
Histories = Mapping[str, Iterable[Past | Mapping[str, Any]]] | None


# ---- the numeric grid of an input: values as whole steps ---------------------------------


@attrs.frozen
class _Grid:
    """A numeric input's values as whole numbers ``k`` from ``lo`` to ``hi`` (None:
    unbounded), generated up to ``top``; ``show`` writes step ``k`` as a spreadsheet
    would, ``index`` maps a value back to its (fractional) step."""

    lo: int
    hi: int | None
    top: int
    show: Callable[[int], str]
    index: Callable[[Decimal], Decimal]

    def near(self, c: Decimal) -> set[int]:
        """The steps at ``c`` (or either side of it, when it falls between two) and one
        step further either way, within the declared range."""
        k = self.index(c)
        below, above = math.floor(k), math.ceil(k)
        return {j for j in (below - 1, below, above, above + 1)
                if j >= self.lo and (self.hi is None or j <= self.hi)}


def _grid(inp: m.Input, max_count: int = 20) -> _Grid | None:
    spec = inp.spec
    if isinstance(spec, n.ScoreType):
        low = spec.low
        step = spec.step if spec.step is not None else Decimal("0.01")
        steps = int((spec.high - low) / step)
        return _Grid(0, steps, steps, lambda k: fmt_number(low + k * step), lambda c: (c - low) / step)
    if isinstance(spec, n.CountType):
        top = spec.high if spec.high is not None else spec.low + max_count
        return _Grid(spec.low, spec.high, top, str, lambda c: c)
    if isinstance(spec, n.PercentType):
        return _Grid(0, 1000, 1000, lambda k: fmt_number(Decimal(k) / 10) + "%", lambda c: c * 1000)
    return None


# ---- valid values ----------------------------------------------------------------------


def value_of(inp: m.Input, max_count: int = 20, *, near: Iterable[Decimal] = ()) -> st.SearchStrategy[Any]:
    """Valid raw values of one input, as a spreadsheet would give them (texts).

    ``near``: constants the input is compared with; numeric values at them and one step
    either side are then drawn about half the time (:func:`edge_values`)."""
    grid = _grid(inp, max_count)
    if grid is not None:
        steps: st.SearchStrategy[int] = st.integers(grid.lo, grid.top)
        edges = sorted(set().union(*(grid.near(c) for c in near)))
        if edges:
            steps = st.one_of(steps, st.sampled_from(edges))
        return steps.map(grid.show)
    spec = inp.spec
    if isinstance(spec, n.BoolType):
        return st.sampled_from(_FALSE + _TRUE)
    if isinstance(spec, n.EnumType):
        return st.sampled_from(inp.type.members)
    if isinstance(spec, n.SetType):
        members = inp.type.members
        return st.lists(st.sampled_from(members), unique=True, max_size=len(members)).map("、".join)
    if inp.role == "group":
        return st.sampled_from(["甲", "乙", "丙"])
    return st.text(alphabet="支部党委村社区一二三四五", min_size=1, max_size=6)


# ---- thresholds: the constants each input is compared with -----------------------------


def _walk(node: object) -> Iterator[object]:
    """The node and every node below it."""
    yield node
    if not attrs.has(type(node)):
        return
    for f in attrs.fields(cast(Any, type(node))):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if attrs.has(type(item)):
                yield from _walk(item)


def _conditions(program: m.Program) -> Iterator[m.Expr]:
    """Every expression of the program: scores, entries, badges, rules, selections."""
    for score in program.scores:
        if score.expr is not None:
            yield score.expr
        for entry in score.entries:
            yield entry.expr
            if entry.applies is not None:
                yield entry.applies
    for rule in program.rules:
        yield rule.condition
    for pop in program.population:
        if pop.among is not None:
            yield pop.among


def _constant(e: object) -> Decimal | None:
    if isinstance(e, (n.Number, n.Percent)):
        return e.value
    if isinstance(e, n.Neg):
        c = _constant(e.operand)
        return None if c is None else -c
    return None


def thresholds(program: m.Program) -> set[tuple[str, Decimal]]:
    """(name, constant) for every comparison of an input or a score with a constant,
    and for every finite end of the band's ranges (named after the band's score)."""
    out: set[tuple[str, Decimal]] = set()
    for root in _conditions(program):
        for node in _walk(root):
            if isinstance(node, n.Compare):
                for a, b in ((node.left, node.right), (node.right, node.left)):
                    c = _constant(b)
                    if isinstance(a, m.Ref) and c is not None:
                        out.add((a.name, c))
    band = program.band
    if band is not None and not band.direct:
        for r in band.ranges:
            out |= {(band.score.name, end) for end in (r.low, r.high) if end is not None}
    return out


def _aliases(program: m.Program) -> dict[str, str]:
    """Scores that are an input as it is (``total 得分 = 分数``), mapped to the input."""
    inputs = {i.name for i in program.inputs}
    out: dict[str, str] = {}
    for score in program.scores:  # in dependency order: an alias of an alias resolves
        e = score.expr
        if isinstance(e, n.Call) and e.func in ("sum", "max", "min") and len(e.args) == 1:
            e = e.args[0]
        if isinstance(e, m.Ref):
            target = e.name if e.kind == "input" and e.name in inputs else out.get(e.name)
            if target is not None:
                out[score.name] = target
    return out


def _near_constants(program: m.Program) -> dict[str, set[Decimal]]:
    inputs = {i.name for i in program.inputs}
    aliases = _aliases(program)
    out: dict[str, set[Decimal]] = {}
    for name, c in thresholds(program):
        target = name if name in inputs else aliases.get(name)
        if target is not None:
            out.setdefault(target, set()).add(c)
    return out


def edge_values(scheme: Scheme) -> dict[str, tuple[str, ...]]:
    """The values ``inputs(scheme, edges=True)`` favours, per numeric input: for each
    constant the input is compared with in a condition (a veto's, a cap's, a badge's, a
    ``when``'s...) and each end of a band over the input itself (or over a score that is
    the input as it is), the value there and one step either side, within the declared
    range, lowest first."""
    near = _near_constants(scheme.program)
    out: dict[str, tuple[str, ...]] = {}
    for inp in scheme.inputs:
        grid = _grid(inp)
        if grid is None or inp.name not in near:
            continue
        steps = sorted(set().union(*(grid.near(c) for c in near[inp.name])))
        if steps:
            out[inp.name] = tuple(grid.show(k) for k in steps)
    return out


# ---- strategies ------------------------------------------------------------------------


def inputs(scheme: Scheme, *, edges: bool = False, **pinned: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Valid input records of the scheme; ``pinned`` fixes some fields (a value or a
    strategy). Validity preconditions (``require``) may still fail on generated data:
    such a record is rated ``invalid``, which is a valid outcome.

    ``edges=True`` draws numeric values at the scheme's thresholds about half the time
    (see :func:`edge_values`), still valid by construction."""
    unknown = set(pinned) - {i.name for i in scheme.inputs}
    if unknown:
        names = ", ".join(i.name for i in scheme.inputs)
        raise ValueError(f"{', '.join(sorted(unknown))} is not an input of {scheme.title}; its inputs are {names}")
    near = _near_constants(scheme.program) if edges else {}
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for inp in scheme.inputs:
        if inp.name in pinned:
            value = pinned[inp.name]
            fields[inp.name] = value if isinstance(value, st.SearchStrategy) else st.just(value)
        else:
            fields[inp.name] = value_of(inp, near=sorted(near.get(inp.name, ())))
    return st.fixed_dictionaries(fields)


SIZES = st.integers(0, 50)
GROUPS = ("甲", "乙", "丙")


def populations(scheme: Scheme, size: int | st.SearchStrategy[int] = SIZES, groups: Sequence[str] = GROUPS, *,
                edges: bool = False, **pinned: Any) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Lists of valid records (``size`` of them: a count or a strategy of counts, 0..50
    by default), with unique ids (``单位007``...) when the scheme has an ``id`` input and
    every ``group`` input drawn from ``groups``, so that groups have several members.
    ``edges`` and ``pinned`` are as for :func:`inputs`."""
    program = scheme.program
    ident = program.id_field
    if ident is not None and ident in pinned:
        raise ValueError(f"{ident} is the id input: populations give every record its own")
    if program.group_fields and not groups:
        raise ValueError("groups must name at least one group")
    fixed = dict(pinned)
    for g in program.group_fields:
        fixed.setdefault(g, st.sampled_from(list(groups)))
    if ident is not None:
        fixed[ident] = ""
    one = inputs(scheme, edges=edges, **fixed)
    sizes = size if isinstance(size, st.SearchStrategy) else st.just(size)

    @st.composite
    def population(draw: st.DrawFn) -> list[dict[str, Any]]:
        count = draw(sizes)
        if ident is None:
            return [dict(draw(one)) for _ in range(count)]
        numbers = draw(st.lists(st.integers(1, max(999, 10 * count)), min_size=count, max_size=count, unique=True))
        return [{**draw(one), ident: f"单位{k:03d}"} for k in numbers]

    return population()


_ABSENT = object()  # the field is left out of the record


def _other_name(members: Sequence[str]) -> str:
    name = "其他"
    while name in members:
        name += "项"
    return name


def _bad_values(inp: m.Input) -> list[st.SearchStrategy[Any]]:
    """Strategies of raw values the input must refuse."""
    spec = inp.spec
    bad: list[st.SearchStrategy[Any]] = []
    if not inp.has_default and inp.type.kind != "set":
        bad.append(st.sampled_from([_ABSENT, "", None, "  "]))
    if isinstance(spec, n.ScoreType):
        low, step = spec.low, spec.step if spec.step is not None else Decimal(1)
        bad.append(st.sampled_from([fmt_number(low - step), fmt_number(spec.high + step), "abc", "8,5"]))
        if spec.step is not None:
            steps = int((spec.high - low) / step)
            bad.append(st.integers(0, steps - 1).map(lambda k: fmt_number(low + (k * 2 + 1) * step / 2)))
    elif isinstance(spec, n.CountType):
        values = [str(spec.low - 1), f"{spec.low}.5", "abc"]
        if spec.high is not None:
            values.append(str(spec.high + 1))
        bad.append(st.sampled_from(values))
    elif isinstance(spec, n.PercentType):
        bad.append(st.sampled_from(["100.1%", "-1%", "abc%", "0.5", "101"]))
    elif isinstance(spec, n.BoolType):
        bad.append(st.sampled_from(["也许", "2", "-1"]))
    elif isinstance(spec, n.EnumType):
        bad.append(st.sampled_from([_other_name(inp.type.members), 1]))
    elif isinstance(spec, n.SetType):
        first = inp.type.members[0]
        bad.append(st.sampled_from([f"{first}、{_other_name(inp.type.members)}", [first, 1]]))
    else:  # id, group, text: anything written is a text, but not a fraction or yes/no
        bad.append(st.sampled_from([1.5, True, ["甲"]]))
    return bad


def invalid_inputs(scheme: Scheme) -> st.SearchStrategy[tuple[dict[str, Any], str]]:
    """(record, field): a valid record but for exactly one value, which evaluation must
    refuse with an ``InputError`` naming ``field``: out of range, off its step, not a
    choice, not a number, or missing with no default (the field left out or blank)."""
    choices = [(inp.name, bad) for inp in scheme.inputs for bad in _bad_values(inp)]
    base = inputs(scheme)

    @st.composite
    def spoiled(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
        field, bad = draw(st.sampled_from(choices))
        record = dict(draw(base))
        value = draw(bad)
        if value is _ABSENT:
            del record[field]
        else:
            record[field] = value
        return record, field

    return spoiled()


def histories(scheme: Scheme, period: int, *, depth: int = 3) -> st.SearchStrategy[list[dict[str, Any]]]:
    """An entity's earlier outcomes, as ``history=`` takes them: for some of the
    ``depth`` periods before ``period``, a status, a level, the scheme's vetoes (a vetoed
    entity is at the lowest level) and its flags."""
    program = scheme.program
    vetoes = [r.name for r in program.rules_of("veto")]
    flags = [r.name for r in program.rules_of("flag")] + [s.flag for s in program.selections if s.flag]
    levels = program.levels.values

    @st.composite
    def past(draw: st.DrawFn) -> list[dict[str, Any]]:
        years = draw(st.lists(st.sampled_from(range(period - depth, period)), unique=True, max_size=depth))
        out = []
        for year in sorted(years):
            status = draw(st.sampled_from(STATUSES))
            level, vetoed, flagged = None, [], []
            if status == "rated":
                vetoed = draw(st.lists(st.sampled_from(vetoes), unique=True)) if vetoes else []
                level = levels[0] if vetoed else draw(st.sampled_from(levels))
                flagged = draw(st.lists(st.sampled_from(flags), unique=True)) if flags else []
            out.append({"period": year, "level": level, "status": status, "vetoes": vetoed, "flags": flagged})
        return out

    return past()


# ---- failure messages ---------------------------------------------------------------


def _raw_id(program: m.Program, record: Mapping[str, object]) -> str | None:
    if program.id_field is None:
        return None
    value = record.get(program.id_field)
    return None if value is None else str(value).strip()


def _who(program: m.Program, record: Mapping[str, object], result: Result | None = None, row: int | None = None) -> str:
    ident = result.id if result is not None and result.id is not None else _raw_id(program, record)
    where = f" (row {row})" if row is not None else ""
    return (f"entity {ident!r}" if ident is not None else "the entity") + where


def _rule_line(rule: m.RuleIR | m.PopRule) -> str:
    return f'rule: {rule.kind} "{rule.name}" (line {rule.span.line})'


def _trace(result: Result | Exception | None, title: str = "trace") -> list[str]:
    if result is None:
        return []
    text = result.explain(all=True, lines=True) if isinstance(result, Result) else f"{type(result).__name__}: {result}"
    return [f"{title}:", *("    " + line for line in text.splitlines())]


def _failure(scheme: Scheme, who: str, what: str, rule: m.RuleIR | m.PopRule | None = None,
             traces: Iterable[tuple[str, Result | Exception | None]] = ()) -> AssertionError:
    lines = [f"{scheme.source_name}: {who}: {what}"]
    if rule is not None:
        lines.append(_rule_line(rule))
    for title, result in traces:
        lines += _trace(result, title)
    return AssertionError("\n".join(lines))


def _listed(history: History) -> list[Past | Mapping[str, Any]] | None:
    return None if history is None else list(history)


def _evaluate(scheme: Scheme, record: Mapping[str, object], period: int | None,
              history: list[Past | Mapping[str, Any]] | None) -> Result:
    return scheme.evaluate(record, trace=True, period=period, history=history)


def _rank(program: m.Program, level: object) -> int:
    return program.levels.values.index(level)


def _steps(result: Result, stage: str, name: str) -> list[Any]:
    return [s for s in result.trace if s.stage == stage and s.name == name]


# ---- invariants of one entity ------------------------------------------------------------


def check_determinism(scheme: Scheme, record: Mapping[str, object], *, period: int | None = None,
                      history: History = None) -> None:
    """The same record gives the same result: evaluated twice, with its fields in
    another order, and by the compiled engine (equal but for the trace it does not keep).
    A refused record must be refused the same way each time."""
    past = _listed(history)

    def run(rec: Mapping[str, object], engine: str) -> Result | StarError:
        try:
            return scheme.evaluate(rec, trace=engine == "reference", engine=engine, period=period, history=past)
        except StarError as exc:
            return exc

    first = run(record, "reference")
    others = {
        "evaluated a second time": run(record, "reference"),
        "with its fields in reverse order": run(dict(reversed(list(record.items()))), "reference"),
        "by the compiled engine": run(record, "compiled"),
    }
    who = _who(scheme.program, record, first if isinstance(first, Result) else None)
    for how, other in others.items():
        if isinstance(first, StarError) or isinstance(other, StarError):
            same = type(first) is type(other) and str(first) == str(other)
            if not same:
                raise _failure(scheme, who, f"{how}, the outcome differs: {_brief(first)} then {_brief(other)}",
                               traces=[("first", first), ("then", other)])
            continue
        mine = first.replace(trace=()) if how == "by the compiled engine" else first
        if mine != other:
            fields = [f for f in Result.FIELDS if getattr(mine, f) != getattr(other, f)]
            raise _failure(scheme, who, f"{how}, the result differs in {', '.join(fields)}",
                           traces=[("first", first), ("then", other)])


def _brief(outcome: Result | Exception) -> str:
    if isinstance(outcome, Exception):
        return f"{type(outcome).__name__} ({outcome})"
    return f"{outcome.status} {outcome.level_label or ''}".strip()


def check_veto_dominance(scheme: Scheme, record: Mapping[str, object], *, period: int | None = None,
                         history: History = None) -> None:
    """A veto whose condition holds leaves the entity at the lowest level, lists the
    veto among the result's ``vetoes`` and shows it applied in the trace. The condition
    is evaluated again on the entity's inputs and scores, apart from the evaluation."""
    program = scheme.program
    past = _listed(history)
    result = _evaluate(scheme, record, period, past)
    if not result.rated:
        return
    who = _who(program, record, result)
    earlier = read_history(program, past)
    for rule in program.rules_of("veto"):
        held = interpreter.holds(program, result, rule.condition, result.level_rank, earlier)
        shown = _steps(result, "veto", rule.name)
        if result.trace and (len(shown) != 1 or bool(shown[0].applied) != held):
            said = "no step" if not shown else f"applied={shown[0].applied}"
            raise _failure(scheme, who, f"the veto's condition is {held} but the trace shows {said}", rule,
                           [("trace", result)])
        if not held:
            continue
        if result.level_rank != 0:
            raise _failure(scheme, who, f"vetoed, yet rated {result.level_label}, not the lowest level "
                           f"{program.levels.label(0)}", rule, [("trace", result)])
        if rule.name not in result.vetoes:
            raise _failure(scheme, who, f"vetoed, yet the veto is not among the result's vetoes {result.vetoes}",
                           rule, [("trace", result)])


def check_caps(scheme: Scheme, record: Mapping[str, object], *, period: int | None = None,
               history: History = None) -> None:
    """No level above a cap that applied: every trace step ``cap`` applied holds the
    level at or below that cap's level (from the scheme's rules); a cap whose condition
    holds (evaluated again) shows as applied; the result's ``limit_rank`` is within it."""
    program = scheme.program
    past = _listed(history)
    result = _evaluate(scheme, record, period, past)
    if not result.rated:
        return
    assert result.level_rank is not None
    who = _who(program, record, result)
    caps = {r.name: r for r in program.rules_of("cap")}
    earlier = read_history(program, past)
    for rule in caps.values():
        held = interpreter.holds(program, result, rule.condition, result.level_rank, earlier)
        applied = any(s.applied for s in _steps(result, "cap", rule.name))
        if result.trace and held and not applied:
            raise _failure(scheme, who, "the cap's condition holds but the trace does not show it applied", rule,
                           [("trace", result)])
    for step in result.trace:
        if step.stage != "cap" or not step.applied:
            continue
        cap_rule = caps.get(step.name)
        if cap_rule is None:
            raise _failure(scheme, who, f"the trace applies a cap {step.name!r} the scheme does not have",
                           traces=[("trace", result)])
        assert cap_rule.rank is not None
        cap = program.levels.label(cap_rule.rank)
        if result.level_rank > cap_rule.rank:
            raise _failure(scheme, who, f"capped at {cap}, yet rated {result.level_label}", cap_rule,
                           [("trace", result)])
        if result.limit_rank is None or result.limit_rank > cap_rule.rank:
            limit = "none" if result.limit_rank is None else program.levels.label(result.limit_rank)
            raise _failure(scheme, who, f"capped at {cap}, yet the result's limit is {limit}: a quota could "
                           "lift it past the cap", cap_rule, [("trace", result)])


def check_demotion_never_raises(scheme: Scheme, record: Mapping[str, object], *, period: int | None = None,
                                history: History = None) -> None:
    """Overrides only lower: following the trace from the band's level, no demotion
    step raises the level; the final level is at most the band's less the steps of the
    demotions whose conditions hold (never below the lowest level)."""
    program = scheme.program
    past = _listed(history)
    result = _evaluate(scheme, record, period, past)
    if not result.rated:
        return
    assert result.level_rank is not None
    who = _who(program, record, result)
    band = _rank(program, result.band_level)
    demotes = {r.name: r for r in program.rules_of("demote")}
    rank = band
    for step in result.trace:
        if step.stage not in ("demote", "cap", "veto"):
            continue
        after = _rank(program, step.value)
        if after > rank:
            rule = demotes.get(step.name) if step.stage == "demote" else None
            what = f"{step.stage} step raises the level from {program.levels.label(rank)} to " \
                   f"{program.levels.label(after)}"
            raise _failure(scheme, who, what, rule, [("trace", result)])
        rank = after
    earlier = read_history(program, past)
    held = [r for r in demotes.values() if interpreter.holds(program, result, r.condition, result.level_rank, earlier)]
    most = max(0, band - sum(r.steps or 0 for r in held))
    if result.level_rank > most:
        rule = held[-1] if held else None
        what = (f"the band gives {program.levels.label(band)}"
                + (f", the demotions that hold take it down to {program.levels.label(most)}" if held else "")
                + f", yet it is rated {result.level_label}")
        raise _failure(scheme, who, what, rule, [("trace", result)])


# ---- monotonicity: decided from the model -------------------------------------------------

_Sign = int | None  # +1: never falls as the field rises; -1: never rises; 0: does not depend; None: unknown


def _join(a: _Sign, b: _Sign) -> _Sign:
    if a is None or b is None:
        return None
    if a == 0 or a == b:
        return b
    return a if b == 0 else None


def _flip(a: _Sign) -> _Sign:
    return None if a is None else -a


class _Polarity:
    """How each expression moves as one numeric input rises (a conservative analysis:
    None whenever it cannot tell). A condition's sign is that of the set where it holds:
    +1 when it can only turn true as the input rises, -1 when it can only turn false."""

    def __init__(self, program: m.Program, field: str) -> None:
        self.field = field
        self.ranges = Ranges(program)
        self.scores: dict[str, _Sign] = {}
        for score in program.scores:  # in dependency order
            self.scores[score.name] = self._score(score)

    def _score(self, score: m.Score) -> _Sign:
        if score.expr is not None:
            return self.of(score.expr)
        sign: _Sign = 0
        for entry in score.entries:  # a badge counts when it applies and holds; a block sums
            sign = _join(sign, self.of(entry.expr))
            if entry.applies is not None:
                sign = _join(sign, self.of(entry.applies))
        return sign  # a block's cap (the lesser of the sum and the cap) keeps the direction

    def _nonneg(self, e: m.Expr) -> bool:
        return self.ranges.of(e).lo >= 0

    def _nonpos(self, e: m.Expr) -> bool:
        return self.ranges.of(e).hi <= 0

    def _product(self, a: m.Expr, b: m.Expr) -> _Sign:
        sa, sb = self.of(a), self.of(b)
        if sa is None or sb is None or (sa != 0 and sb != 0):
            return None
        if sa == 0 and sb == 0:
            return 0
        fixed, sign = (a, sb) if sa == 0 else (b, sa)
        if self._nonneg(fixed):
            return sign
        return _flip(sign) if self._nonpos(fixed) else None

    def _switch(self, cond: _Sign, on: m.Expr, off: m.Expr | None) -> _Sign:
        """The move of ``on if cond else off`` (``off`` None: zero) when the condition turns."""
        if cond == 0:
            return 0
        if cond is None:
            return None
        r_on = self.ranges.of(on)
        r_off = self.ranges.of(off) if off is not None else ZERO
        if r_on.lo >= r_off.hi:
            return cond
        return _flip(cond) if r_on.hi <= r_off.lo else None

    def _at_an_end(self, e: n.Compare) -> str:
        """``x == c`` where c is the most x can be is ``x >= c``; where it is the least,
        ``x <= c`` (``!=``: the other way round). ``x`` written on the left."""
        c = _constant(e.right)
        if c is None:
            return e.op
        r = self.ranges.of(e.left)
        if r.hi == c:
            return ">=" if e.op == "==" else "<"
        if r.lo == c:
            return "<=" if e.op == "==" else ">"
        return e.op

    def of(self, e: m.Expr) -> _Sign:
        if isinstance(e, (n.Number, n.Percent, n.Bool, n.String, m.Member, m.LevelConst, n.SetLiteral,
                          n.Vetoed, n.Flagged, n.HistoryLevel)):
            return 0
        if isinstance(e, m.Ref):
            if e.kind == "input":
                return 1 if e.name == self.field else 0
            return self.scores.get(e.name)
        if isinstance(e, n.BinOp):
            if e.op == "*":
                return self._product(e.left, e.right)
            right = self.of(e.right)
            return _join(self.of(e.left), right if e.op == "+" else _flip(right))
        if isinstance(e, n.Each):
            return self._product(e.amount, e.count)
        if isinstance(e, (n.Neg, n.Not)):
            return _flip(self.of(e.operand))
        if isinstance(e, n.Compare):
            d = _join(self.of(e.left), _flip(self.of(e.right)))
            op = self._at_an_end(e) if e.op in ("==", "!=") and d != 0 else e.op
            if op in (">", ">="):
                return d
            if op in ("<", "<="):
                return _flip(d)
            return 0 if d == 0 else None
        if isinstance(e, n.Contains):
            return 0 if _join(self.of(e.item), self.of(e.collection)) == 0 else None
        if isinstance(e, (n.And, n.Or)):
            return _join(self.of(e.left), self.of(e.right))
        if isinstance(e, n.When):
            return _join(self.of(e.value), self._switch(self.of(e.condition), e.value, None))
        if isinstance(e, n.IfElse):
            both = _join(self.of(e.then), self.of(e.otherwise))
            return _join(both, self._switch(self.of(e.condition), e.then, e.otherwise))
        if isinstance(e, n.Call):
            sign: _Sign = 0
            for arg in e.args:  # sum, max, min, all, any: each keeps its arguments' direction
                sign = _join(sign, self.of(arg))
            return sign
        if isinstance(e, n.Weighted):
            if any(w.value < 0 for w in e.weights):
                return None
            sign = 0
            for arg in e.args:  # positive weights; rounding half up keeps the direction
                sign = _join(sign, self.of(arg))
            return sign
        if isinstance(e, n.Table):
            return 0 if self.of(e.subject) == 0 else None
        return None  # the level, or anything new: unknown


def _band_direction(band: m.Band) -> _Sign:
    """+1 when a higher band score never gives a lower level, -1 when it never gives a
    higher one, 0 when every score gives the same level, None otherwise."""
    if band.direct:
        return 1
    ranges = sorted(band.ranges, key=lambda r: (r.low is not None, r.low or 0, not r.low_closed))
    seq: list[int | None] = []
    prev: m.BandRange | None = None
    for r in ranges:
        if prev is None:
            gap = r.low is not None
        else:
            gap = prev.high is not None and r.low is not None and (
                r.low > prev.high or (r.low == prev.high and not prev.high_closed and not r.low_closed))
        if gap:
            seq.append(band.else_rank)
        seq.append(r.rank)
        prev = r
    if prev is None or prev.high is not None:
        seq.append(band.else_rank)
    ranks = [x for x in seq if x is not None]
    rises = all(a <= b for a, b in itertools.pairwise(ranks))
    falls = all(a >= b for a, b in itertools.pairwise(ranks))
    return 0 if rises and falls else 1 if rises else -1 if falls else None


_LOWERING = ("demote", "cap", "veto", "disqualify")


def is_monotone_in(scheme: Scheme, field: str) -> bool:
    """Whether raising the numeric input ``field`` can never lower an entity's own level
    (before quotas), decided from the model, conservatively (False when unsure):

    * ``field`` is a score, count or percentage;
    * the band's score moves one way only as ``field`` rises, worked out through every
      score it feeds: ``field`` added, or subtracted inside what is subtracted (a
      penalty that shrinks as it rises), multiplied only by what cannot be negative,
      inside ``sum``, ``max``, ``min``, ``weighted``; an amount ``when`` a condition
      holds moves with the condition (a condition ``x >= c`` turns true as ``x`` rises;
      ``x == c`` counts as ``x >= c`` when ``c`` is the most ``x`` can be); a badge
      count rises when each badge can only be won as it rises;
    * the band gives levels that move the same way as its score (higher levels for
      higher scores, or for lower ones when the band counts what is missing); ``level
      from`` gives higher levels to more stars;
    * no ``veto``, ``cap``, ``demote`` or ``disqualify`` condition can turn true as it
      rises, and no ``require`` condition can turn false (so a rated entity stays rated).

    Flags and population rules are not read: they do not set the entity's own level.
    A field that nothing reads is monotone.
    """
    program = scheme.program
    inp = next((i for i in program.inputs if i.name == field), None)
    if inp is None:
        raise ValueError(f"{field} is not an input of {scheme.title}")
    if not isinstance(inp.spec, (n.ScoreType, n.CountType, n.PercentType)) or program.band is None:
        return False
    polarity = _Polarity(program, field)
    score, band = polarity.of(program.band.score), _band_direction(program.band)
    if score is None or (score != 0 and (band is None or score * band < 0)):
        return False
    for rule in program.rules:
        sign = polarity.of(rule.condition)
        if rule.kind in _LOWERING and sign not in (0, -1):
            return False
        if rule.kind == "require" and sign not in (0, 1):
            return False
    return True


def check_monotone(scheme: Scheme, record: Mapping[str, object], field: str, higher_value: object, *,
                   period: int | None = None, history: History = None, force: bool = False) -> None:
    """Raising the input ``field`` to ``higher_value`` never lowers the level, nor turns
    a rated entity invalid or ineligible. The two values are put in order first (a
    lower ``higher_value`` swaps them). Raises ``ValueError`` unless
    :func:`is_monotone_in` proves the scheme monotone in ``field`` (``force=True``
    checks anyway), or when a value is not valid for the field."""
    program = scheme.program
    if not force and not is_monotone_in(scheme, field):
        raise ValueError(f"{scheme.source_name} is not known to be monotone in {field} (is_monotone_in is "
                         "False): pass force=True to check it anyway")
    inp = next(i for i in program.inputs if i.name == field)
    here, problem = coerce(inp, record.get(field))
    there, problem2 = coerce(inp, higher_value)
    if problem or problem2:
        raise ValueError(f"{field}: {problem or problem2}")
    low, high = dict(record), {**record, field: higher_value}
    shown = (fmt_value(here, inp.type), fmt_value(there, inp.type))
    if there < here:  # type: ignore[operator]
        low, high, shown = high, low, shown[::-1]
    past = _listed(history)
    before = _evaluate(scheme, low, period, past)
    after = _evaluate(scheme, high, period, past)
    if not before.rated:
        return
    assert before.level_rank is not None
    who = _who(program, record, before)
    move = f"raising {field} from {shown[0]} to {shown[1]}"
    traces: list[tuple[str, Result | Exception | None]] = [("trace before", before), ("trace after", after)]
    if not after.rated:
        rule = next((r for r in program.rules if r.name == after.reason), None)
        raise _failure(scheme, who, f"{move} makes it {after.status} ({after.reason})", rule, traces)
    assert after.level_rank is not None
    if after.level_rank < before.level_rank:
        rule = next((r for r in program.rules if r.name == after.reason), None)
        raise _failure(scheme, who, f"{move} lowers the level from {before.level_label} to {after.level_label}",
                       rule, traces)


# ---- invariants of a population ----------------------------------------------------------


def _rate(scheme: Scheme, records: Sequence[Mapping[str, object]], period: int | None, history: Histories) -> Rating:
    return scheme.rate(records, period=period, history=history)


def _entity_traces(scheme: Scheme, records: Sequence[Mapping[str, object]], outcomes: Iterable[Outcome],
                   period: int | None, history: Histories, most: int = 3) -> list[tuple[str, Result | Exception | None]]:
    """The traces of a few entities, for a message: each evaluated again with its trace,
    followed by what the quotas and selections did to it."""
    out: list[tuple[str, Result | Exception | None]] = []
    for o in list(outcomes)[:most]:
        past = list(history.get(o.id, ())) if history and o.id is not None else None
        try:
            result: Result | Exception = _evaluate(scheme, records[o.row], period, past)
        except StarError as exc:
            result = exc
        if isinstance(result, Result) and o.moves:
            moves = tuple(TraceStep(mv.kind, mv.rule, mv.line, mv.after, mv.why, True) for mv in o.moves)
            result = result.replace(trace=result.trace + moves, level=o.level, level_label=o.level_label)
        out.append((f"trace of {o.id!r} (row {o.row})", result))
    return out


def _in_scope(q: m.PopRule, rank: int) -> bool:
    assert q.rank is not None
    return {"==": rank == q.rank, ">=": rank >= q.rank, "<=": rank <= q.rank}[q.scope]


def _holds(bound: str, count: int, target: int) -> bool | None:
    return {"at most": count <= target, "at least": count >= target, "exactly": count == target,
            "about": None}[bound]


def check_quotas(scheme: Scheme, records: Iterable[Mapping[str, object]], *, period: int | None = None,
                 history: Histories = None) -> None:
    """After a population is rated, every enforced quota holds in every group, or its
    report says ``met=False`` with a note saying why. Each report's counts are checked
    against the final levels (and, unless apportioned, its target against the share of
    the group's rated entities); no entity ends above what its vetoes and caps allow."""
    program = scheme.program
    rows = list(records)
    rating = _rate(scheme, rows, period, history)
    rated = [o for o in rating.outcomes if o.status == "rated"]
    for o in rated:
        assert o.result is not None
        limit = o.result.limit_rank
        if limit is not None and _rank(program, o.level) > limit:
            rule = next((q for q in program.population if o.moves and q.name == o.moves[-1].rule), None)
            raise _failure(scheme, _who(program, rows[o.row], o.result, o.row),
                           f"rated {o.level_label} after the quotas, above {program.levels.label(limit)}, the most "
                           "its vetoes and caps allow", rule,
                           _entity_traces(scheme, rows, [o], period, history))
    for q in program.quotas:
        assert q.bound is not None
        field = q.apportion_by or q.per
        groups: dict[str | None, list[Outcome]] = {} if field is not None else {None: []}
        for o in rated:
            assert o.result is not None
            groups.setdefault(None if field is None else str(o.result.inputs[field]), []).append(o)
        reports = {r.group: r for r in rating.reports if r.kind == "quota" and r.rule == q.name}
        whole = reports.get(None)
        if field is not None and whole is not None:  # an apportionment that could not be made
            if whole.met is not False or not whole.note:
                raise _failure(scheme, f"{len(rated)} rated entities", f"one report for all groups, yet it does "
                               f"not say why the quota was not applied: {whole}", q)
            continue
        for group, members in groups.items():
            where = "over all" if group is None else f"in {group}"
            inside = [o for o in members if _in_scope(q, _rank(program, o.level))]
            moved = [o for o in members if o.moves] or inside
            report = reports.get(group)
            if report is None:
                raise _failure(scheme, f"{len(members)} entities {where}", "the quota has no report for them", q)

            def fail(what: str, report: Any = report, where: str = where, moved: list[Outcome] = moved,
                     q: m.PopRule = q) -> AssertionError:
                ids = ", ".join(repr(o.id) for o in moved[:10]) or "none"
                return _failure(scheme, f"entities {where} ({ids})", f"{what}\nreport: {report}", q,
                                _entity_traces(scheme, rows, moved, period, history))

            if report.after != len(inside):
                raise fail(f"the report counts {report.after} on its levels, the final levels give {len(inside)}")
            if q.apportion_by is None:
                target = share_count(q.amount, q.percent, len(members), q.rounding)
                if (report.base, report.target) != (len(members), target):
                    raise fail(f"the report's base and target are {report.base} and {report.target}; "
                               f"{len(members)} rated entities give a target of {target}")
            holds = _holds(q.bound, len(inside), report.target)
            if holds is None:
                continue
            if report.met != holds:
                raise fail(f"{len(inside)} on its levels for a target of {report.target} "
                           f"({q.bound}): the report says met={report.met}")
            if q.enforced and not holds and not report.note:
                raise fail(f"an enforced quota is not met ({len(inside)} {q.bound} {report.target}) "
                           "and the report does not say why")


def _canonical(record: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), repr(v)) for k, v in record.items()))


def check_order_independence(scheme: Scheme, records: Iterable[Mapping[str, object]], permutation: Sequence[int],
                             *, period: int | None = None, history: Histories = None) -> None:
    """Rating the records in another order (``permutation[j]`` is the index of the
    record put at position ``j``) gives every record the same outcome, and the same
    quota reports. Identical records may swap outcomes among themselves."""
    program = scheme.program
    rows = list(records)
    if sorted(permutation) != list(range(len(rows))):
        raise ValueError(f"permutation must reorder range({len(rows)}), not {list(permutation)}")
    first = _rate(scheme, rows, period, history)
    second = _rate(scheme, [rows[i] for i in permutation], period, history)
    moved_to = {i: j for j, i in enumerate(permutation)}

    def plain(o: Outcome) -> dict[str, Any]:
        d = o.to_dict()
        del d["row"]
        return d

    alike: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for i, rec in enumerate(rows):
        alike.setdefault(_canonical(rec), []).append(i)
    for indices in alike.values():
        before = Counter(repr(plain(first.outcomes[i])) for i in indices)
        after = Counter(repr(plain(second.outcomes[moved_to[i]])) for i in indices)
        if before != after:
            i = indices[0]
            a, b = plain(first.outcomes[i]), plain(second.outcomes[moved_to[i]])
            keys = [k for k in a if a[k] != b[k]]
            o = first.outcomes[i]
            rule = next((q for q in program.population for mv in (o.moves + second.outcomes[moved_to[i]].moves)
                         if q.name == mv.rule), None)
            raise _failure(scheme, _who(program, rows[i], o.result, i),
                           f"moved from row {i} to row {moved_to[i]}, its outcome changes in {', '.join(keys)}: "
                           f"{', '.join(f'{k} {a[k]!r} → {b[k]!r}' for k in keys)}", rule,
                           _entity_traces(scheme, rows, [o], period, history))
    a_reports = [r.to_dict() for r in first.reports]
    b_reports = [r.to_dict() for r in second.reports]
    if a_reports != b_reports:
        bad = next(x for x, y in zip(a_reports, b_reports + [{}] * len(a_reports)) if x != y)
        rule = next((q for q in program.population if q.name == bad.get("rule")), None)
        raise _failure(scheme, f"{len(rows)} entities", f"reordered, the report changes: {bad}", rule)


def check_accounted(scheme: Scheme, records: Iterable[Mapping[str, object]], *, period: int | None = None,
                    history: Histories = None) -> None:
    """Every record comes out, once, in input order, with its id: rated with a level of
    the scheme, or invalid or ineligible with a reason; the counts by status add up."""
    program = scheme.program
    rows = list(records)
    rating = _rate(scheme, rows, period, history)
    if len(rating.outcomes) != len(rows):
        raise _failure(scheme, f"{len(rows)} records", f"{len(rating.outcomes)} outcomes came out")
    for i, (rec, o) in enumerate(zip(rows, rating.outcomes)):
        who = _who(program, rec, o.result, i)
        traces = _entity_traces(scheme, rows, [o], period, history) if o.row in range(len(rows)) else []
        if o.row != i:
            raise _failure(scheme, who, f"the outcome at position {i} is for row {o.row}", traces=traces)
        if o.id != _raw_id(program, rec):
            raise _failure(scheme, who, f"its outcome names {o.id!r}", traces=traces)
        if o.status not in STATUSES:
            raise _failure(scheme, who, f"status {o.status!r} is none of {', '.join(STATUSES)}", traces=traces)
        if o.status == "rated":
            if o.level not in program.levels.values or o.level_before not in program.levels.values:
                raise _failure(scheme, who, f"rated, with level {o.level!r} (before the quotas "
                               f"{o.level_before!r}), not a level of the scheme", traces=traces)
        elif not o.reason or o.level is not None:
            raise _failure(scheme, who, f"{o.status} with reason {o.reason!r} and level {o.level!r}", traces=traces)
    counts = rating.counts()
    if counts["rated"] + counts["invalid"] + counts["ineligible"] != counts["rows"] or counts["rows"] != len(rows):
        raise _failure(scheme, f"{len(rows)} records", f"the counts do not add up: {counts}")
    by_level = sum(counts[label] for label in program.levels.labels)
    if by_level != counts["rated"]:
        raise _failure(scheme, f"{len(rows)} records", f"levels count {by_level} entities, {counts['rated']} are rated")


# ---- two versions of a scheme --------------------------------------------------------------


def assert_equivalent(old: Scheme, new: Scheme, records: Iterable[Mapping[str, object]] | None = None, *,
                      except_where: Callable[[Mapping[str, object]], bool] | None = None, examples: int = 200,
                      period: int | None = None, history: Any = None) -> None:
    """The two schemes give the same outcomes (status, level, reason, total, flags) on
    ``records`` (rated as a population), or on records generated from their common inputs
    (:func:`starrules.diffing.diff`); ``except_where(record)`` marks intended changes.
    Raises ``AssertionError`` listing the differences, smallest generated record first."""
    from starrules.diffing import diff, render_differences

    found = diff(old, new, records, examples=examples, except_where=except_where, period=period, history=history)
    if found:
        raise AssertionError(f"{old.source_name} and {new.source_name} differ:\n" + render_differences(found))
