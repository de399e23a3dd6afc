"""The reference interpreter: :class:`~starrules.model.Program` + inputs -> Result.

It defines what a scheme means. Every step of the pipeline is recorded in the trace
with the rule's name and source line: validity, eligibility, each score with every
value that went into it, each bonus and penalty entry, the band, then demotions, caps
and vetoes (veto over cap over demotion over the band), then flags.

Arithmetic is exact: ``Decimal`` in a context that traps any inexact result, so a
rounding the scheme did not ask for is an error, never a silent difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Any

from starrules import (
    i18n,  # i18n._(): the name ``_`` is taken by the functions registered for each node below
    runtime,
)
from starrules import model as m
from starrules import nodes as n
from starrules.errors import EvaluationError, InputError, InputProblem
from starrules.i18n import N_
from starrules.result import STATUS_WORDS, Past, Result, TraceStep
from starrules.runtime import EXACT, ZERO, check_period, read_history
from starrules.values import coerce, fmt_number, fmt_value


def read_inputs(program: m.Program, raw: Mapping[str, object]) -> dict[str, object]:
    """Every declared input read from ``raw``; raises InputError listing every bad one."""
    values: dict[str, object] = {}
    problems: list[InputProblem] = []
    for inp in program.inputs:
        value, problem = coerce(inp, raw.get(inp.name))
        if problem:
            problems.append(InputProblem(inp.name, raw.get(inp.name), problem))
        else:
            values[inp.name] = value
    if problems:
        raise InputError(problems)
    return values


class _Env:
    __slots__ = ("history", "inputs", "level", "period", "program", "scores")

    def __init__(self, program: m.Program, inputs: dict[str, object], period: int | None = None,
                 history: tuple[Past, ...] = ()) -> None:
        self.program = program
        self.inputs = inputs
        self.scores: dict[str, Decimal] = {}
        self.level: int | None = None
        self.period = period
        self.history = history

    def past(self, periods: int) -> list[Past]:
        """The outcomes of the ``periods`` periods before the one being rated."""
        assert self.period is not None
        return [p for p in self.history if self.period - periods <= p.period < self.period]


# ---- expression evaluation: one handler per node class ---------------------------

_EVAL: dict[type, Callable[[Any, _Env], Any]] = {}
_SHOW: dict[type, Callable[[Any, _Env], str]] = {}


def _handles(cls: type) -> Callable[[Callable[[Any, _Env], Any]], Callable[[Any, _Env], Any]]:
    def register(fn: Callable[[Any, _Env], Any]) -> Callable[[Any, _Env], Any]:
        _EVAL[cls] = fn
        return fn

    return register


def _shows(cls: type) -> Callable[[Callable[[Any, _Env], str]], Callable[[Any, _Env], str]]:
    def register(fn: Callable[[Any, _Env], str]) -> Callable[[Any, _Env], str]:
        _SHOW[cls] = fn
        return fn

    return register


def eval_expr(e: m.Expr, env: _Env) -> Any:
    try:
        handler = _EVAL[type(e)]
    except KeyError:  # a node class without a handler is a bug, never silent
        raise TypeError(f"the interpreter has no handler for {type(e).__name__}") from None
    return handler(e, env)


def show(e: m.Expr, env: _Env) -> str:
    """The expression in words, each name followed by its value."""
    try:
        handler = _SHOW[type(e)]
    except KeyError:
        raise TypeError(f"the interpreter cannot show {type(e).__name__}") from None
    return handler(e, env)


@_handles(n.Number)
def _(e: n.Number, env: _Env) -> Decimal:
    return e.value


@_handles(n.Percent)
def _(e: n.Percent, env: _Env) -> Decimal:
    return e.value


@_handles(n.Bool)
def _(e: n.Bool, env: _Env) -> bool:
    return e.value


@_handles(n.String)
def _(e: n.String, env: _Env) -> str:
    return e.value


@_handles(m.Ref)
def _(e: m.Ref, env: _Env) -> object:
    return env.inputs[e.name] if e.kind == "input" else env.scores[e.name]


@_handles(m.Member)
def _(e: m.Member, env: _Env) -> str:
    return e.value


@_handles(m.LevelConst)
def _(e: m.LevelConst, env: _Env) -> int:
    return e.rank


@_handles(n.LevelExpr)
def _(e: n.LevelExpr, env: _Env) -> int | None:
    return env.level


@_handles(n.SetLiteral)
def _(e: n.SetLiteral, env: _Env) -> frozenset[object]:
    return frozenset(eval_expr(x, env) for x in e.items)


@_handles(n.BinOp)
def _(e: n.BinOp, env: _Env) -> Decimal:
    a, b = eval_expr(e.left, env), eval_expr(e.right, env)
    if e.op == "+":
        return a + b  # type: ignore[no-any-return]
    if e.op == "-":
        return a - b  # type: ignore[no-any-return]
    return a * b  # type: ignore[no-any-return]


@_handles(n.Each)
def _(e: n.Each, env: _Env) -> Decimal:
    return eval_expr(e.amount, env) * eval_expr(e.count, env)  # type: ignore[no-any-return]


@_handles(n.Neg)
def _(e: n.Neg, env: _Env) -> Decimal:
    return -eval_expr(e.operand, env)  # type: ignore[no-any-return]


_COMPARE = runtime.COMPARE


@_handles(n.Compare)
def _(e: n.Compare, env: _Env) -> bool:
    return _COMPARE[e.op](eval_expr(e.left, env), eval_expr(e.right, env))


@_handles(n.Contains)
def _(e: n.Contains, env: _Env) -> bool:
    found = eval_expr(e.item, env) in eval_expr(e.collection, env)
    return not found if e.negated else found


@_handles(n.And)
def _(e: n.And, env: _Env) -> bool:
    return bool(eval_expr(e.left, env)) and bool(eval_expr(e.right, env))


@_handles(n.Or)
def _(e: n.Or, env: _Env) -> bool:
    return bool(eval_expr(e.left, env)) or bool(eval_expr(e.right, env))


@_handles(n.Not)
def _(e: n.Not, env: _Env) -> bool:
    return not eval_expr(e.operand, env)


@_handles(n.When)
def _(e: n.When, env: _Env) -> Decimal:
    return eval_expr(e.value, env) if eval_expr(e.condition, env) else ZERO


@_handles(n.IfElse)
def _(e: n.IfElse, env: _Env) -> object:
    return eval_expr(e.then, env) if eval_expr(e.condition, env) else eval_expr(e.otherwise, env)


@_handles(n.Call)
def _(e: n.Call, env: _Env) -> object:
    args = [eval_expr(a, env) for a in e.args]
    if e.func == "sum":
        return sum(args, ZERO)
    if e.func == "max":
        return max(args)
    if e.func == "min":
        return min(args)
    if e.func == "all":
        return all(args)
    if e.func == "any":
        return any(args)
    raise TypeError(f"unknown function {e.func}")  # the checker lets none through


@_handles(n.Weighted)
def _(e: n.Weighted, env: _Env) -> Decimal:
    return runtime.weighted([w.value for w in e.weights], [eval_expr(a, env) for a in e.args], e.round_to)


_TABLES = {"highest": runtime.highest, "each_of": runtime.each_of, "lookup": runtime.lookup}


@_handles(n.Table)
def _(e: n.Table, env: _Env) -> Decimal:
    table = {entry.key.id: entry.value for entry in e.entries}
    return _TABLES[e.kind](table, eval_expr(e.subject, env))


@_handles(n.Vetoed)
def _(e: n.Vetoed, env: _Env) -> bool:
    return runtime.vetoed(env.history, env.period, e.periods, e.name.value if e.name else None)


@_handles(n.Flagged)
def _(e: n.Flagged, env: _Env) -> bool:
    return runtime.flagged(env.history, env.period, e.periods, e.name.value)


@_handles(n.HistoryLevel)
def _(e: n.HistoryLevel, env: _Env) -> bool:
    assert isinstance(e.level, m.LevelConst)
    return runtime.history_level(env.history, env.period, e.periods, e.op, e.level.rank, env.program.levels.values)


# ---- showing expressions with their values ----------------------------------------

_COMPARE_TEXT = {"==": N_("{left} is {right}"), "!=": N_("{left} is not {right}"), ">=": N_("{left} is at least {right}"),
            "<=": N_("{left} is at most {right}"), ">": N_("{left} is above {right}"), "<": N_("{left} is below {right}")}
_HISTORY_LEVEL = {op: text for op, text in (
    ("==", N_("the level was {level} in each of the last {periods} ({history})")),
    ("!=", N_("the level was never {level} in the last {periods} ({history})")),
    (">=", N_("the level was {level} or higher in each of the last {periods} ({history})")),
    ("<=", N_("the level was {level} or lower in each of the last {periods} ({history})")),
    (">", N_("the level was above {level} in each of the last {periods} ({history})")),
    ("<", N_("the level was below {level} in each of the last {periods} ({history})")))}
_CALL_TEXT = {"sum": N_("the sum of {args}"), "max": N_("the highest of {args}"), "min": N_("the lowest of {args}"),
              "all": N_("all of {args} hold"), "any": N_("at least one of {args} holds")}
_TABLE_WORDS = {"highest": N_("the highest of {name} ({picked})"), "each_of": N_("each of {name} ({picked})"),
                "lookup": N_("{name} in the table ({picked})")}


@_shows(n.Number)
def _(e: n.Number, env: _Env) -> str:
    return fmt_number(e.value)


@_shows(n.Percent)
def _(e: n.Percent, env: _Env) -> str:
    return fmt_number(e.value * 100) + "%"


@_shows(n.Bool)
def _(e: n.Bool, env: _Env) -> str:
    return fmt_value(e.value)


@_shows(n.String)
def _(e: n.String, env: _Env) -> str:
    return f'"{e.value}"'


@_shows(m.Ref)
def _(e: m.Ref, env: _Env) -> str:
    if e.kind == "input":
        typ = next(i.type for i in env.program.inputs if i.name == e.name)
        return i18n._("{name} ({value})").format(name=e.name, value=fmt_value(env.inputs[e.name], typ))
    return f"{e.name} {fmt_number(env.scores[e.name])}"


@_shows(m.Member)
def _(e: m.Member, env: _Env) -> str:
    return e.value


@_shows(m.LevelConst)
def _(e: m.LevelConst, env: _Env) -> str:
    return e.label


@_shows(n.LevelExpr)
def _(e: n.LevelExpr, env: _Env) -> str:
    return i18n._("the level ({label})").format(label=env.program.levels.label(env.level) if env.level is not None else "?")


@_shows(n.SetLiteral)
def _(e: n.SetLiteral, env: _Env) -> str:
    return i18n._(", ").join(show(x, env) for x in e.items) or i18n._("none")


def _periods(n_: int) -> str:
    return (i18n._("{count} period") if n_ == 1 else i18n._("{count} periods")).format(count=n_)


def _history_text(env: _Env, periods: int) -> str:
    past = env.past(periods)
    if not past:
        return i18n._("no outcome on record")
    levels = env.program.levels

    def level(value: object) -> str:  # the label (四星级), not the number the results file records (4)
        return levels.labels[levels.values.index(value)] if value in levels.values else str(value)

    return i18n._("; ").join(
        i18n._("{period}: {outcome}").format(
            period=p.period,
            outcome=level(p.level) if p.level is not None else i18n._(STATUS_WORDS.get(p.status, p.status)))
        + (i18n._(", vetoed ({rules})").format(rules=i18n._(", ").join(p.vetoes)) if p.vetoes else "")
        + (i18n._(", flags {flags}").format(flags=i18n._(", ").join(p.flags)) if p.flags else "")
        for p in past)


@_shows(n.Vetoed)
def _(e: n.Vetoed, env: _Env) -> str:
    which = i18n._(' "{name}"').format(name=e.name.value) if e.name else ""
    return i18n._("vetoed{which} within the last {periods} ({history})").format(
        which=which, periods=_periods(e.periods), history=_history_text(env, e.periods))


@_shows(n.Flagged)
def _(e: n.Flagged, env: _Env) -> str:
    return i18n._('flagged "{name}" within the last {periods} ({history})').format(
        name=e.name.value, periods=_periods(e.periods), history=_history_text(env, e.periods))


@_shows(n.HistoryLevel)
def _(e: n.HistoryLevel, env: _Env) -> str:
    assert isinstance(e.level, m.LevelConst)
    return i18n._(_HISTORY_LEVEL[e.op]).format(level=e.level.label, periods=_periods(e.periods),
                                             history=_history_text(env, e.periods))


def _paren(child: m.Expr, env: _Env) -> str:
    text = show(child, env)
    return f"({text})" if isinstance(child, (n.BinOp, n.When, n.IfElse)) else text


@_shows(n.BinOp)
def _(e: n.BinOp, env: _Env) -> str:
    op = "×" if e.op == "*" else e.op
    left = show(e.left, env) if e.op != "*" else _paren(e.left, env)
    right = _paren(e.right, env) if e.op in "-*" else show(e.right, env)
    return f"{left} {op} {right}"


@_shows(n.Each)
def _(e: n.Each, env: _Env) -> str:
    return f"{_paren(e.amount, env)} × {_paren(e.count, env)}"


@_shows(n.Neg)
def _(e: n.Neg, env: _Env) -> str:
    return f"-{_paren(e.operand, env)}"


@_shows(n.Compare)
def _(e: n.Compare, env: _Env) -> str:
    return i18n._(_COMPARE_TEXT[e.op]).format(left=show(e.left, env), right=show(e.right, env))


@_shows(n.Contains)
def _(e: n.Contains, env: _Env) -> str:
    text = i18n._("{item} is not among {collection}") if e.negated else i18n._("{item} is among {collection}")
    return text.format(item=show(e.item, env), collection=show(e.collection, env))


@_shows(n.And)
def _(e: n.And, env: _Env) -> str:
    return i18n._("{left} and {right}").format(left=show(e.left, env), right=show(e.right, env))


@_shows(n.Or)
def _(e: n.Or, env: _Env) -> str:
    return i18n._("({left} or {right})").format(left=show(e.left, env), right=show(e.right, env))


@_shows(n.Not)
def _(e: n.Not, env: _Env) -> str:
    return i18n._("not {operand}").format(operand=_paren(e.operand, env))


@_shows(n.When)
def _(e: n.When, env: _Env) -> str:
    held = fmt_value(bool(eval_expr(e.condition, env)))
    return i18n._("{value} if {condition} (condition met: {held})").format(
        value=show(e.value, env), condition=show(e.condition, env), held=held)


@_shows(n.IfElse)
def _(e: n.IfElse, env: _Env) -> str:
    held = fmt_value(bool(eval_expr(e.condition, env)))
    return i18n._("if {condition} (condition met: {held}), {then}, otherwise {otherwise}").format(
        condition=show(e.condition, env), held=held, then=show(e.then, env), otherwise=show(e.otherwise, env))


@_shows(n.Call)
def _(e: n.Call, env: _Env) -> str:
    args = i18n._(", ").join(show(a, env) for a in e.args)
    return i18n._(_CALL_TEXT[e.func]).format(args=args) if e.func in _CALL_TEXT else f"{e.func}({args})"


@_shows(n.Weighted)
def _(e: n.Weighted, env: _Env) -> str:
    ws = ":".join(fmt_number(w.value) + ("%" if w.percent else "") for w in e.weights)
    rnd = i18n._(", rounded to {step}").format(step=fmt_number(e.round_to)) if e.round_to is not None else ""
    return i18n._("weighted {weights} of {values}{round}").format(
        weights=ws, values=i18n._(", ").join(show(a, env) for a in e.args), round=rnd)


@_shows(n.Table)
def _(e: n.Table, env: _Env) -> str:
    subject = eval_expr(e.subject, env)
    table = {entry.key.id: entry.value for entry in e.entries}
    if e.kind == "lookup":
        picked = f"{subject} {fmt_number(table.get(subject, ZERO))}"
    else:
        members = [x for x in (mem.key.id for mem in e.entries) if x in subject]
        others = sorted(x for x in subject if x not in table)
        picked = i18n._(", ").join(f"{x} {fmt_number(table[x])}" for x in members) or i18n._("none")
        if others:
            picked += i18n._("; not in the table: {names}").format(names=i18n._(", ").join(others))
    assert isinstance(e.subject, m.Ref)
    return i18n._(_TABLE_WORDS[e.kind]).format(name=e.subject.name, picked=picked)


# ---- the pipeline -------------------------------------------------------------------


def evaluate(program: m.Program, raw: Mapping[str, object], trace: bool = True, period: int | None = None,
             history: Iterable[Past | Mapping[str, Any]] | None = None) -> Result:
    """Evaluate one entity. Raises InputError when any input (or history) is bad."""
    check_period(program, period)
    inputs = read_inputs(program, raw)
    past = read_history(program, history)
    with localcontext(EXACT):
        try:
            return _pipeline(program, inputs, trace, period, past)
        except (ArithmeticError, KeyError, TypeError) as exc:  # pragma: no cover - a bug
            raise EvaluationError(f"evaluation of {program.source_name} failed: {exc!r}") from exc


def _pipeline(program: m.Program, inputs: dict[str, object], want_trace: bool, period: int | None = None,
              history: tuple[Past, ...] = ()) -> Result:
    env = _Env(program, inputs, period, history)
    steps: list[TraceStep] = []
    levels = program.levels
    ident = str(inputs[program.id_field]) if program.id_field else None
    groups = {g: str(inputs[g]) for g in program.group_fields}

    if want_trace:
        for inp in program.inputs:
            steps.append(TraceStep("input", inp.name, inp.span.line, inputs[inp.name],
                                   fmt_value(inputs[inp.name], inp.type)))

    # 1. validity: a failed precondition makes the entity invalid; 2. eligibility
    for rule in program.rules_of("require") + program.rules_of("disqualify"):
        held = bool(eval_expr(rule.condition, env))
        failed = held if rule.kind == "disqualify" else not held
        if want_trace:
            verdict = {("require", False): N_("holds"), ("require", True): N_("does not hold: invalid"),
                       ("disqualify", False): N_("no"), ("disqualify", True): N_("ineligible")}[(rule.kind, failed)]
            steps.append(TraceStep(rule.kind, rule.name, rule.span.line, held,
                                   _verdict(show(rule.condition, env), i18n._(verdict)), failed))
        if failed:
            status = "invalid" if rule.kind == "require" else "ineligible"
            return Result(status, None, None, None, None, rule.name, None, {}, (), tuple(steps), ident, groups,
                          inputs, period=period)

    # 3-5. scores, bonuses, penalties, in dependency order
    for score in program.scores:
        env.scores[score.name] = _score(score, env, steps if want_trace else None)

    # 6. the level from the band
    band = program.band
    assert band is not None
    x = eval_expr(band.score, env)
    chosen = next((r for r in band.ranges if r.contains(x)), None)
    if band.direct:
        rank, where, line = levels.values.index(int(x)), "", band.span.line
    elif chosen is not None:
        rank, where, line = chosen.rank, _range_text(chosen), chosen.span.line
    elif band.else_rank is not None:
        rank, where, line = band.else_rank, "", band.span.line
    else:  # pragma: no cover - the checker rejects bands with gaps
        raise EvaluationError(f"{band.score.name} = {fmt_number(x)} falls in no band")
    band_rank = rank
    if want_trace:
        if band.direct:
            won = i18n._("{count} star won: {level}") if x == 1 else i18n._("{count} stars won: {level}")
            detail = won.format(count=fmt_number(x), level=levels.label(rank))
        else:
            detail = (i18n._("{score} {value} is {band}: {level}") if where
                      else i18n._("{score} {value} is in none of the bands above: {level}"))
            detail = detail.format(score=band.score.name, value=fmt_number(x), band=where, level=levels.label(rank))
        steps.append(TraceStep("band", band.score.name, line, levels.value(rank), detail))

    # 7. overrides: demotions, then caps, then vetoes, so a veto beats a cap and a
    # cap beats a demotion whatever their order in the file.
    reason: str | None = None
    limit: int | None = None
    vetoes: list[str] = []
    conditions_held: list[str] = []
    for rule in program.overrides:
        hit = bool(eval_expr(rule.condition, env))
        before = rank
        if hit:
            rank = _override(rule, rank)
            if rule.kind != "demote":
                limit = _override(rule, levels.top if limit is None else limit)
            if rule.kind == "veto":
                vetoes.append(rule.name)
            else:
                conditions_held.append(rule.name)
            # the reason is the rule that fixed the level: a veto whenever it applies,
            # a cap or a demotion when it changed the level
            if rank != before or rule.kind == "veto":
                reason = rule.name
        if want_trace:
            effect = _override_text(rule, levels, before, rank) if hit else i18n._("does not apply")
            steps.append(TraceStep(rule.kind, rule.name, rule.span.line, levels.value(rank),
                                   _verdict(show(rule.condition, env), effect), hit))

    # 8. flags, which may read the final level
    flags = _flags(program, env, rank, steps if want_trace else None)

    total = x if program.total is None or program.total not in env.scores else env.scores[program.total]
    return Result(
        status="rated",
        level=levels.value(rank),
        level_rank=rank,
        level_label=levels.label(rank),
        band_level=levels.value(band_rank),
        reason=reason,
        total=total,
        scores=dict(env.scores),
        flags=tuple(flags),
        trace=tuple(steps),
        id=ident,
        groups=groups,
        inputs=inputs,
        limit_rank=limit,
        badges=tuple(b for s in program.scores if s.kind == "badges" for b in _won(s, env)),
        vetoes=tuple(vetoes),
        period=period,
        held=tuple(conditions_held),
    )


def _won(score: m.Score, env: _Env) -> tuple[str, ...]:
    """The badge stars of a ``badges`` block that the entity won."""
    return tuple(e.label for e in score.entries
                 if (e.applies is None or eval_expr(e.applies, env)) and eval_expr(e.expr, env))


def _flags(program: m.Program, env: _Env, rank: int, steps: list[TraceStep] | None) -> tuple[str, ...]:
    env.level = rank
    flags: list[str] = []
    for rule in program.rules_of("flag"):
        hit = bool(eval_expr(rule.condition, env))
        if hit:
            flags.append(rule.name)
        if steps is not None:
            steps.append(TraceStep("flag", rule.name, rule.span.line, hit,
                                   _verdict(show(rule.condition, env), i18n._("yes") if hit else i18n._("no")), hit))
    return tuple(flags)


def _env_of(program: m.Program, result: Result, history: tuple[Past, ...]) -> _Env:
    env = _Env(program, dict(result.inputs), result.period, history)
    env.scores = dict(result.scores)
    env.level = result.level_rank
    return env


def flags_at(program: m.Program, result: Result, rank: int, history: tuple[Past, ...] = ()) -> tuple[str, ...]:
    """The entity's flags were its level ``rank`` (after a quota moved it). ``history``
    is the entity's earlier outcomes, as read for its evaluation."""
    with localcontext(EXACT):
        return _flags(program, _env_of(program, result, history), rank, None)


def holds(program: m.Program, result: Result, condition: m.Expr, rank: int | None,
          history: tuple[Past, ...] = ()) -> bool:
    """A condition (a selection's ``among``) on a rated entity at level ``rank``."""
    env = _env_of(program, result, history)
    env.level = rank
    with localcontext(EXACT):
        return bool(eval_expr(condition, env))


def _score(score: m.Score, env: _Env, steps: list[TraceStep] | None) -> Decimal:
    """One score's value; a bonus or penalty block is the capped sum of its entries."""
    if score.expr is not None:
        value: Decimal = eval_expr(score.expr, env)
        if steps is not None:
            steps.append(TraceStep(score.kind, score.name, score.span.line, value,
                                   i18n._("{expression} = {value}").format(expression=show(score.expr, env),
                                                                       value=fmt_number(value))))
        return value
    if score.kind == "badges":
        won = _won(score, env)
        if steps is not None:
            for entry in score.entries:
                applies = entry.applies is None or bool(eval_expr(entry.applies, env))
                held = applies and bool(eval_expr(entry.expr, env))
                how = i18n._(" (decided from records)") if entry.from_records else ""
                if not applies:
                    assert entry.applies is not None
                    verdict = i18n._("not a star for this entity: {condition}").format(condition=show(entry.applies, env))
                else:
                    verdict = _verdict(show(entry.expr, env), (i18n._("won") if held else i18n._("not won")) + how)
                steps.append(TraceStep("badge", entry.label, entry.span.line, held, verdict, held))
            count = i18n._("{count} star won: {stars}") if len(won) == 1 else i18n._("{count} stars won: {stars}")
            steps.append(TraceStep("score", score.name, score.span.line, Decimal(len(won)),
                                   count.format(count=len(won), stars=i18n._(", ").join(won) or i18n._("none"))))
        return Decimal(len(won))
    subtotal = ZERO
    for entry in score.entries:
        part: Decimal = eval_expr(entry.expr, env)
        subtotal += part
        if steps is not None:
            steps.append(TraceStep(score.kind, entry.label, entry.span.line, part,
                                   i18n._("{expression} = {value}").format(expression=show(entry.expr, env),
                                                                       value=fmt_number(part)), part != 0))
    capped = subtotal if score.cap is None else min(subtotal, score.cap)
    if steps is not None:
        steps.append(TraceStep("score", score.name, score.span.line, capped, _group_detail(score, subtotal, capped)))
    return capped


def _override(rule: m.RuleIR, rank: int) -> int:
    if rule.kind == "demote":
        assert rule.steps is not None
        return max(0, rank - rule.steps)
    if rule.kind == "cap":
        assert rule.rank is not None
        return min(rank, rule.rank)
    return 0  # veto: the floor


def _override_text(rule: m.RuleIR, levels: m.Levels, before: int, after: int) -> str:
    move = i18n._("{before} → {after}").format(before=levels.label(before), after=levels.label(after))
    if rule.kind == "demote":
        return i18n._("down {steps}: {move}").format(steps=rule.steps, move=move)
    if rule.kind == "cap":
        assert rule.rank is not None
        return i18n._("at most {level}: {move}").format(level=levels.label(rule.rank), move=move)
    return i18n._("vetoed: {move}").format(move=move)


_RANGES = {  # a band's range in words: at least 80 and below 90 (不低于 80、低于 90)
    (True, True, True, False): N_("at least {low} and below {high}"), (True, True, True, True): N_("from {low} to {high}"),
    (True, False, True, False): N_("above {low} and below {high}"),
    (True, False, True, True): N_("above {low} and at most {high}"),
    (True, True, False, False): N_("at least {low}"), (True, False, False, False): N_("above {low}"),
    (False, False, True, False): N_("below {high}"), (False, False, True, True): N_("at most {high}"),
}


def _range_text(r: m.BandRange) -> str:
    """A band's range in words for the trace (the checker's ``_interval_text`` writes it as
    an interval, [80, 90), for the scheme's author)."""
    has_low, has_high = r.low is not None, r.high is not None
    key = (has_low, has_low and r.low_closed, has_high, has_high and r.high_closed)
    if key not in _RANGES:
        return r.text
    low = fmt_number(r.low) if r.low is not None else ""
    high = fmt_number(r.high) if r.high is not None else ""
    return i18n._(_RANGES[key]).format(low=low, high=high)


def _verdict(condition: str, verdict: str) -> str:
    """A condition with its values, and what came of it: ``A (3) is at least 2: yes``."""
    return i18n._("{condition}: {verdict}").format(condition=condition, verdict=verdict)


def _group_detail(score: m.Score, subtotal: Decimal, capped: Decimal) -> str:
    parts = " + ".join(e.label for e in score.entries) or i18n._("no entries")
    text = i18n._("sum of {parts} = {total}").format(parts=parts, total=fmt_number(subtotal))
    if score.cap is not None:
        text += (i18n._(", capped at {cap}: {value}").format(cap=fmt_number(score.cap), value=fmt_number(capped))
                 if capped != subtotal else i18n._(" (cap {cap} not reached)").format(cap=fmt_number(score.cap)))
    return text
