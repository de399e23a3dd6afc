"""Compile: the checked model -> Python source -> a fast evaluator.

Takes a :class:`~starrules.model.Program`; gives :class:`Compiled`, whose ``source`` is
the generated module (readable: ``starrules compile --emit python SCHEME``) and whose
``evaluate`` computes exactly what the reference interpreter computes, without a trace.

Exactness is kept: arithmetic runs on ``Decimal`` through the shared runtime's trapped
context (``C.add``, ``C.multiply``...), so no rounding can happen that the scheme did not
ask for, and the helpers whose meaning must not drift (weights, tables, history) are the
very functions the interpreter calls. What makes it fast is what the interpreter cannot
do: no tree walking, each input read by code specialised to its declaration (a fast path
for the common spelling, the shared reader for everything else, so messages are the
same), constants built once.

Nothing from the scheme text reaches the generated code as code: every variable is
``v<n>`` (inputs) or ``s<n>`` (scores), and every name, label and member appears only
as a Python string literal made by ``repr``; comments carry the ``.star`` line number
only. Errors inside generated code are reported with the ``.star`` line they come from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from starrules import model as m
from starrules import nodes as n
from starrules.errors import EvaluationError
from starrules.result import Past, Result
from starrules.values import MAX_DIGITS

MANY_INPUTS = 100  # up to this many inputs are read from the mapping in one call
# names the batch loop (``evaluate_many``) binds as locals besides the scheme's constants
_LOCAL = ("D", "FAST", "LAZY", "LABELS", "SEQS", "Slow", "VALUES", "big", "dict", "div_exact", "div_half_up",
          "frozenset", "int", "len", "max", "min", "str", "type")


@attrs.frozen
class Compiled:
    program: m.Program
    source: str
    function: Callable[..., Result]
    line_map: dict[int, int]  # generated line -> .star line
    # Whether ``function`` takes a fourth argument, ``strict``: given True, for a dict with
    # as many keys as the scheme has inputs, it gives None when an input is missing (so a
    # key is no input's: see ``Scheme.evaluate``) instead of reading the record.
    counts_keys: bool = False
    # ``evaluate_many(records, period, slow)``: the fast path in one loop over records
    # (see ``Scheme.evaluate_many``), None for a scheme without one.
    many: Callable[..., list[Result]] | None = None

    def evaluate(self, raw: Mapping[str, object], period: int | None = None,
                 history: Iterable[Past | Mapping[str, Any]] | None = None) -> Result:
        try:
            return self.function(raw, period, history)
        except (ArithmeticError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise self.error(exc) from exc

    def error(self, exc: BaseException) -> EvaluationError:
        """An error inside generated code, as the library's error naming the .star line."""
        return EvaluationError(self._where(exc) + f": {exc!r}")

    def _where(self, exc: BaseException) -> str:
        tb = exc.__traceback__
        star_line = None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == _FILENAME:
                star_line = self.line_map.get(tb.tb_lineno, star_line)
            tb = tb.tb_next
        where = self.program.source_name
        return f"{where}:{star_line}" if star_line else where


_FILENAME = "<starrules compiled scheme>"
_OPS = {"+": "add", "-": "subtract", "*": "multiply"}


def compile_program(program: m.Program) -> Compiled:
    gen = _Gen(program)
    source = gen.module()
    # the checked model itself is handed in, not written out: input declarations for the
    # shared reader, the model for periods and history
    namespace: dict[str, Any] = {"PROGRAM": program, "INPUTS": program.inputs}
    lines = source.split("\n")
    start, end = gen.exact_lines
    if not gen.fast:
        exec(compile(source, _FILENAME, "exec"), namespace)
        return Compiled(program, source, namespace["evaluate"], gen.line_map, False)
    # The exact path runs only for what the fast path does not take: it is compiled on
    # first use (most populations never need it), at the line numbers of ``source``.
    eager = "\n".join(lines[:start] + [""] * (end - start) + lines[end:])
    later = "\n" * start + "\n".join(lines[start:end])

    def exact(raw: Mapping[str, object], period: int | None = None, history: Any = None) -> Result:
        if namespace["exact"] is exact:
            exec(compile(later, _FILENAME, "exec"), namespace)
        real: Callable[..., Result] = namespace["exact"]
        return real(raw, period, history)

    exec(compile(eager, _FILENAME, "exec"), namespace)
    namespace["exact"] = exact
    return Compiled(program, source, namespace["evaluate"], gen.line_map, len(program.inputs) <= MANY_INPUTS,
                    namespace.get("evaluate_many"))


class _Gen:
    def __init__(self, program: m.Program) -> None:
        self.p = program
        self.consts: list[str] = []
        self.const_index: dict[str, str] = {}
        self.lines: list[str] = []
        self.indent = 0  # extra indentation of the block being emitted
        self.commented = 0  # the .star line last named in a comment
        self.line_map: dict[int, int] = {}
        self.inputs = {inp.name: i for i, inp in enumerate(program.inputs)}
        self.scores = {s.name: j for j, s in enumerate(program.scores)}

    # ---- output helpers ----------------------------------------------------------

    def const(self, expr: str) -> str:
        """A module-level constant, built once: its name."""
        if expr not in self.const_index:
            name = f"K{len(self.consts)}"
            self.consts.append(f"{name} = {expr}")
            self.const_index[expr] = name
        return self.const_index[expr]

    def dec(self, value: Decimal) -> str:
        return self.const(f"D({str(value)!r})")

    def emit(self, text: str, star_line: int | None = None, indent: int = 1) -> None:
        line = "    " * (indent + self.indent) + text
        if star_line and star_line != self.commented:  # the .star line, once per statement
            line += f"  # line {int(star_line)}"
            self.commented = star_line
        self.lines.append(line)
        if star_line:
            self.line_map[len(self.lines)] = star_line

    # ---- expressions -------------------------------------------------------------

    def expr(self, e: m.Expr) -> str:
        method = getattr(self, "x_" + type(e).__name__, None)
        if method is None:  # a node class without a handler is a bug, never silent
            raise TypeError(f"the compiler has no handler for {type(e).__name__}")
        result: str = method(e)
        return result

    def x_Number(self, e: n.Number) -> str:  # noqa: N802
        return self.dec(e.value)

    def x_Percent(self, e: n.Percent) -> str:  # noqa: N802
        return self.dec(e.value)

    def x_Bool(self, e: n.Bool) -> str:  # noqa: N802
        return "True" if e.value else "False"

    def x_String(self, e: n.String) -> str:  # noqa: N802
        return repr(e.value)

    def x_Ref(self, e: m.Ref) -> str:  # noqa: N802
        return f"v{self.inputs[e.name]}" if e.kind == "input" else f"s{self.scores[e.name]}"

    def x_Member(self, e: m.Member) -> str:  # noqa: N802
        return repr(e.value)

    def x_LevelConst(self, e: m.LevelConst) -> str:  # noqa: N802
        return str(int(e.rank))

    def x_LevelExpr(self, e: n.LevelExpr) -> str:  # noqa: N802
        return "level"

    def x_SetLiteral(self, e: n.SetLiteral) -> str:  # noqa: N802
        items = sorted(x.value for x in e.items if isinstance(x, m.Member))
        return self.const(f"frozenset({items!r})")

    def x_BinOp(self, e: n.BinOp) -> str:  # noqa: N802
        return f"C.{_OPS[e.op]}({self.expr(e.left)}, {self.expr(e.right)})"

    def x_Each(self, e: n.Each) -> str:  # noqa: N802
        return f"C.multiply({self.expr(e.amount)}, {self.expr(e.count)})"

    def x_Neg(self, e: n.Neg) -> str:  # noqa: N802
        return f"C.minus({self.expr(e.operand)})"

    def x_Compare(self, e: n.Compare) -> str:  # noqa: N802
        return f"({self.expr(e.left)} {e.op} {self.expr(e.right)})"

    def x_Contains(self, e: n.Contains) -> str:  # noqa: N802
        word = "not in" if e.negated else "in"
        return f"({self.expr(e.item)} {word} {self.expr(e.collection)})"

    def x_And(self, e: n.And) -> str:  # noqa: N802
        return f"({self.expr(e.left)} and {self.expr(e.right)})"

    def x_Or(self, e: n.Or) -> str:  # noqa: N802
        return f"({self.expr(e.left)} or {self.expr(e.right)})"

    def x_Not(self, e: n.Not) -> str:  # noqa: N802
        return f"(not {self.expr(e.operand)})"

    def x_When(self, e: n.When) -> str:  # noqa: N802
        return f"({self.expr(e.value)} if {self.expr(e.condition)} else ZERO)"

    def x_IfElse(self, e: n.IfElse) -> str:  # noqa: N802
        return f"({self.expr(e.then)} if {self.expr(e.condition)} else {self.expr(e.otherwise)})"

    def x_Call(self, e: n.Call) -> str:  # noqa: N802
        args = [self.expr(a) for a in e.args]
        if e.func == "sum":
            out = "ZERO"
            for a in args:
                out = f"C.add({out}, {a})"
            return out
        if e.func in ("max", "min"):
            return f"{e.func}({', '.join(args)})" if len(args) > 1 else args[0]
        return f"{e.func}(({', '.join(args)},))"  # all / any

    def x_Weighted(self, e: n.Weighted) -> str:  # noqa: N802
        weights = self.const("(" + "".join(f"D({str(w.value)!r}), " for w in e.weights) + ")")
        round_to = self.dec(e.round_to) if e.round_to is not None else "None"
        return f"weighted({weights}, ({''.join(self.expr(a) + ', ' for a in e.args)}), {round_to})"

    def x_Table(self, e: n.Table) -> str:  # noqa: N802
        table = self.const("{" + "".join(f"{t.key.id!r}: D({str(t.value)!r}), " for t in e.entries) + "}")
        return f"{e.kind}({table}, {self.expr(e.subject)})"

    def x_Vetoed(self, e: n.Vetoed) -> str:  # noqa: N802
        name = repr(e.name.value) if e.name else "None"
        return f"vetoed(hist, period, {int(e.periods)}, {name})"

    def x_Flagged(self, e: n.Flagged) -> str:  # noqa: N802
        return f"flagged(hist, period, {int(e.periods)}, {e.name.value!r})"

    def x_HistoryLevel(self, e: n.HistoryLevel) -> str:  # noqa: N802
        assert isinstance(e.level, m.LevelConst)
        return f"history_level(hist, period, {int(e.periods)}, {e.op!r}, {int(e.level.rank)}, VALUES)"

    # ---- the module --------------------------------------------------------------

    def module(self) -> str:
        p = self.p
        body_start = len(self.lines)
        self.emit("def exact(raw, period=None, history=None):", indent=0)
        if p.in_force is not None or p.uses_history:
            self.emit("check_period(PROGRAM, period)")
        # every input through the reference's reader: the same values, the same messages
        first = p.inputs[0].span.line if p.inputs else None
        self.emit("(" + "".join(f"v{i}, " for i in range(len(p.inputs))) + ") = read_values(INPUTS, raw)", first)
        self.emit("hist = read_history(PROGRAM, history)" if p.uses_history else "hist = ()")
        names = "".join(f"{inp.name!r}: v{i}, " for i, inp in enumerate(p.inputs))
        self.emit(f"inputs = {{{names}}}")
        ident = f"str(v{self.inputs[p.id_field]})" if p.id_field else "None"
        groups = "".join(f"{g!r}: str(v{self.inputs[g]}), " for g in p.group_fields)
        self.emit(f"ident = {ident}")
        self.emit(f"groups = {{{groups}}}")
        for rule in p.rules_of("require") + p.rules_of("disqualify"):
            cond = self.expr(rule.condition)
            test = f"not {cond}" if rule.kind == "require" else cond
            status = "invalid" if rule.kind == "require" else "ineligible"
            self.emit(f"if {test}:", rule.span.line)
            self.emit(f"return Result({status!r}, None, None, None, None, {rule.name!r}, None, {{}}, (), (), "
                      "ident, groups, inputs, period=period)", rule.span.line, 2)
        badge_vars: list[str] = []
        for j, score in enumerate(p.scores):
            self.score(j, score, badge_vars)
        self.band()
        self.emit("reason = None")
        self.emit("limit = None")
        self.emit("vetoes = []")
        self.emit("held = []")
        for rule in p.overrides:
            self.override(rule)
        self.emit("level = rank")
        self.emit("flags = []")
        for rule in p.rules_of("flag"):
            self.emit(f"if {self.expr(rule.condition)}:", rule.span.line)
            self.emit(f"flags.append({rule.name!r})", rule.span.line, 2)
        scores = "".join(f"{s.name!r}: s{j}, " for j, s in enumerate(p.scores))
        band_score = self.expr(p.band.score) if p.band else "None"
        total = f"s{self.scores[p.total]}" if p.total in self.scores else band_score
        badges = " + ".join(badge_vars) if badge_vars else "()"
        self.emit(f"return Result('rated', VALUES[rank], rank, LABELS[rank], VALUES[band_rank], reason, {total}, "
                  f"{{{scores}}}, tuple(flags), (), ident, groups, inputs, limit, {badges}, tuple(vetoes), period, "
                  "tuple(held))")
        self.emit("")
        self.emit("")
        fast_start = len(self.lines)
        try:
            _Fast(self).function()
            self.fast = True
        except _NoFast as exc:  # a construct the fast path does not take: the exact path alone
            del self.lines[fast_start:]
            self.line_map = {k: v for k, v in self.line_map.items() if k <= fast_start}
            self.emit(f"# no scaled-integer fast path: {exc}", indent=0)
            self.emit("evaluate = exact", indent=0)
            self.fast = False
        body = self.lines[body_start:]
        self.exact_lines = (0, fast_start - body_start)  # shifted by the header below
        header = [
            f"# starrules compiled evaluator for {p.title!r} version {p.version!r}",
            f"# from {p.source_name!r}; generated code: do not edit. Every name of the scheme",
            "# appears only as a string literal. PROGRAM (the checked model) and INPUTS (its input",
            "# declarations) are handed in by the compiler.",
            "from operator import itemgetter",
            "from starrules.runtime import (C, D, ZERO, Result, read_values,",
            "    check_period, read_history, weighted, highest, each_of, lookup, vetoed, flagged, history_level,",
            "    Lazy, Memo, Slow, SEQS, input_memo, table_memo, div_half_up, div_exact, big)",
            "",
            f"VALUES = {tuple(p.levels.values)!r}",
            f"LABELS = {tuple(p.levels.labels)!r}",
            *self.consts,
            "",
            "",
        ]
        shift = len(header)
        self.exact_lines = (shift, shift + self.exact_lines[1])
        self.line_map = {k + shift - body_start: v for k, v in self.line_map.items()}
        return "\n".join(header + body) + "\n"

    def score(self, j: int, score: m.Score, badge_vars: list[str]) -> None:
        line = score.span.line
        if score.expr is not None:
            self.emit(f"s{j} = {self.expr(score.expr)}", line)
            return
        if score.kind == "badges":
            self.badges(j, score, self.expr, 1)
            self.emit(f"s{j} = D(len(b{j}))", line)
            badge_vars.append(f"tuple(b{j})")
            return
        total = "ZERO"
        for entry in score.entries:
            total = f"C.add({total}, {self.expr(entry.expr)})"
        self.emit(f"s{j} = {total}", line)
        if score.cap is not None:
            self.emit(f"s{j} = min(s{j}, {self.dec(score.cap)})", line)

    def band(self) -> None:
        band = self.p.band
        assert band is not None
        line = band.span.line
        self.emit(f"x = {self.expr(band.score)}", line)
        if band.direct:
            self.emit("rank = VALUES.index(int(x))", line)
        else:
            self.band_chain(band, self.dec, "raise ValueError('the score falls in no band')", 1)
        self.emit("band_rank = rank", line)

    def badges(self, j: int, score: m.Score, cond: Callable[[m.Expr], str], indent: int) -> None:
        """A badges block: ``b<j>`` lists the badge stars won; ``cond`` writes a condition."""
        self.emit(f"b{j} = []", score.span.line, indent)
        for entry in score.entries:
            test = cond(entry.expr)
            if entry.applies is not None:
                test = f"{cond(entry.applies)} and {test}"
            self.emit(f"if {test}:", entry.span.line, indent)
            self.emit(f"b{j}.append({entry.label!r})", entry.span.line, indent + 1)

    def band_chain(self, band: m.Band, bound: Callable[[Decimal], str], fallback: str, indent: int) -> None:
        """The band's ranges as an if/elif chain on ``x`` that sets ``rank``; ``bound``
        writes a range's end as code; ``fallback`` where no range holds ``x``."""
        first = True
        # the earlier branches cover x from ``covered`` up (closed or not): a later
        # branch's upper end that this already implies is not tested again
        covered: tuple[Decimal, bool] | None = None
        for r in band.ranges:
            conds = []
            if r.low is not None:
                conds.append(f"x {'>=' if r.low_closed else '>'} {bound(r.low)}")
            implied = r.high is None or (covered is not None and (
                covered[0] < r.high or (covered[0] == r.high and (r.high_closed or covered[1]))))
            if not implied:
                assert r.high is not None
                conds.append(f"x {'<=' if r.high_closed else '<'} {bound(r.high)}")
            if implied and r.low is not None:
                covered = (r.low, r.low_closed)
            self.emit(f"{'if' if first else 'elif'} {' and '.join(conds) or 'True'}:", r.span.line, indent)
            self.emit(f"rank = {int(r.rank)}", r.span.line, indent + 1)
            first = False
        if band.else_rank is not None:
            fallback = f"rank = {int(band.else_rank)}"
        if first:
            self.emit(fallback, band.span.line, indent)
        else:
            self.emit("else:", band.span.line, indent)
            self.emit(fallback, band.span.line, indent + 1)

    def override(self, rule: m.RuleIR) -> None:
        line = rule.span.line
        self.emit(f"if {self.expr(rule.condition)}:", line)
        if rule.kind != "veto":
            self.emit(f"held.append({rule.name!r})", line, 2)
        if rule.kind == "demote":
            assert rule.steps is not None
            self.emit(f"new = max(0, rank - {int(rule.steps)})", line, 2)
        elif rule.kind == "cap":
            assert rule.rank is not None
            self.emit(f"new = min(rank, {int(rule.rank)})", line, 2)
            self.emit(f"limit = {int(rule.rank)} if limit is None else min(limit, {int(rule.rank)})", line, 2)
        else:
            self.emit("new = 0", line, 2)
            self.emit("limit = 0", line, 2)
            self.emit(f"vetoes.append({rule.name!r})", line, 2)
        cond = "True" if rule.kind == "veto" else "new != rank"
        self.emit(f"if {cond}:", line, 2)
        self.emit(f"reason = {rule.name!r}", line, 3)
        self.emit("rank = new", line, 2)




# ---- the fast path: scaled integers ------------------------------------------------


class _NoFast(Exception):  # noqa: N818 - a signal, not an error
    """A construct the scaled-integer fast path does not take."""


def _places(d: Decimal) -> int:
    """Decimal places of a number: 8.5 -> 1, 10 -> 0."""
    exponent = d.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _int_at(d: Decimal, scale: int) -> int:
    return int(d.scaleb(scale))


def _align(code: str, scale: int, to: int) -> str:
    if scale == to:
        return code
    if code.lstrip("-").isdigit():  # a constant: scaled here, not at run time
        return str(int(code) * 10 ** (to - scale))
    return f"({code} * {10 ** (to - scale)})"


def input_scale(inp: m.Input) -> int | None:
    """The scale of an input on the fast path: the decimal places its declaration
    allows (a score in steps of 0.1: 1; a count: 0; a percentage: hundredths of a
    percent, 4), None for inputs that are not numbers. A value with more places than
    that goes to the exact path."""
    spec = inp.spec
    extra = [_places(inp.default)] if isinstance(inp.default, Decimal) else []
    if isinstance(spec, n.ScoreType):
        given = [_places(spec.low), _places(spec.high), *extra]
        if spec.step is not None:
            return max(_places(spec.step), *given)
        return max(2, *given)
    if isinstance(spec, n.CountType):
        return 0
    if isinstance(spec, n.PercentType):
        return max([4, *extra])
    return None


def input_bound(inp: m.Input, scale: int | None) -> int | None:
    """A bound on the absolute value of a numeric input, scaled: from its declared range,
    else from the digits the reader accepts (``values.MAX_DIGITS``)."""
    if scale is None:
        return None
    spec = inp.spec
    default = abs(_int_at(inp.default, scale)) if isinstance(inp.default, Decimal) else 0
    if isinstance(spec, n.ScoreType):
        return max(abs(_int_at(spec.low, scale)), abs(_int_at(spec.high, scale)), default)
    unit = int(10 ** scale)
    if isinstance(spec, n.CountType) and spec.high is not None:
        return max(abs(spec.high), abs(spec.low), default) * unit
    if isinstance(spec, n.PercentType):
        return max(unit, default)
    return int(10 ** (MAX_DIGITS + 1)) * unit


_BIG = 10 ** 80  # the reference computes to 80 significant digits (runtime.EXACT)
_Code = tuple[str, "int | None", "int | None"]


class _Fast:
    """Emits the fast path into the generator's lines: the body of ``evaluate``, which
    falls back to ``exact`` on anything it does not take (see ``runtime.Slow``)."""

    def __init__(self, gen: _Gen) -> None:
        self.g = gen
        self.p = gen.p
        self.in_scales = [input_scale(inp) for inp in self.p.inputs]
        self.in_bounds = [input_bound(inp, scale) for inp, scale in zip(self.p.inputs, self.in_scales, strict=True)]
        self.score_scales: list[int] = []
        self.score_bounds: list[int] = []
        self.total_scale: int | None = None

    # ---- expressions -----------------------------------------------------------------
    # Each handler gives (code, scale, bound): the Python expression, the power of ten its
    # integer is scaled by, and a bound on its absolute value; scale and bound are None
    # for values that are not numbers. The reference interpreter computes to at most 80
    # significant digits and stops beyond; where the bound says a value could reach
    # that, the code checks it at run time (``big``) and leaves such an entity to the
    # exact path, which gives the reference's answer (or its error).

    def expr(self, e: m.Expr) -> _Code:
        method = getattr(self, "f_" + type(e).__name__, None)
        if method is None:
            raise TypeError(f"the compiler's fast path has no handler for {type(e).__name__}")
        code, scale, bound = method(e)
        if bound is not None and bound >= _BIG:
            code = f"big({code})"
            bound = _BIG
        return code, scale, bound

    def num(self, e: m.Expr) -> tuple[str, int, int]:
        code, scale, bound = self.expr(e)
        if scale is None or bound is None:
            raise _NoFast(f"a number was expected at line {e.span.line}")
        return code, scale, bound

    def cond(self, e: m.Expr) -> str:
        return self.expr(e)[0]

    def f_Number(self, e: n.Number) -> _Code:  # noqa: N802
        scale = _places(e.value)
        value = _int_at(e.value, scale)
        return str(value), scale, abs(value)

    f_Percent = f_Number  # noqa: N815

    def f_Bool(self, e: n.Bool) -> _Code:  # noqa: N802
        return ("True" if e.value else "False"), None, None

    def f_String(self, e: n.String) -> _Code:  # noqa: N802
        return repr(e.value), None, None

    def f_Ref(self, e: m.Ref) -> _Code:  # noqa: N802
        if e.kind == "input":
            i = self.g.inputs[e.name]
            return f"v{i}", self.in_scales[i], self.in_bounds[i]
        j = self.g.scores[e.name]
        return f"s{j}", self.score_scales[j], self.score_bounds[j]

    def f_Member(self, e: m.Member) -> _Code:  # noqa: N802
        return repr(e.value), None, None

    def f_LevelConst(self, e: m.LevelConst) -> _Code:  # noqa: N802
        return str(int(e.rank)), None, None

    def f_LevelExpr(self, e: n.LevelExpr) -> _Code:  # noqa: N802
        return "level", None, None

    def f_SetLiteral(self, e: n.SetLiteral) -> _Code:  # noqa: N802
        return self.g.x_SetLiteral(e), None, None

    def f_BinOp(self, e: n.BinOp) -> _Code:  # noqa: N802
        (a, sa, ba), (b, sb, bb) = self.num(e.left), self.num(e.right)
        if e.op == "*":
            return f"({a} * {b})", sa + sb, ba * bb
        t = max(sa, sb)
        return f"({_align(a, sa, t)} {e.op} {_align(b, sb, t)})", t, ba * 10 ** (t - sa) + bb * 10 ** (t - sb)

    def f_Each(self, e: n.Each) -> _Code:  # noqa: N802
        (a, sa, ba), (c, sc, bc) = self.num(e.amount), self.num(e.count)
        return f"({a} * {c})", sa + sc, ba * bc

    def f_Neg(self, e: n.Neg) -> _Code:  # noqa: N802
        a, sa, ba = self.num(e.operand)
        return f"(-{a})", sa, ba

    def f_Compare(self, e: n.Compare) -> _Code:  # noqa: N802
        (a, sa, _), (b, sb, _) = self.expr(e.left), self.expr(e.right)
        if (sa is None) != (sb is None):
            raise _NoFast(f"a comparison of a number with a value that is not one (line {e.span.line})")
        if sa is not None and sb is not None:
            t = max(sa, sb)
            a, b = _align(a, sa, t), _align(b, sb, t)
        return f"({a} {e.op} {b})", None, None

    def f_Contains(self, e: n.Contains) -> _Code:  # noqa: N802
        (item, si, _), (coll, _, _) = self.expr(e.item), self.expr(e.collection)
        if si is not None:
            raise _NoFast(f"a number looked up in a set (line {e.span.line})")
        return f"({item} {'not in' if e.negated else 'in'} {coll})", None, None

    def f_And(self, e: n.And) -> _Code:  # noqa: N802
        return f"({self.cond(e.left)} and {self.cond(e.right)})", None, None

    def f_Or(self, e: n.Or) -> _Code:  # noqa: N802
        return f"({self.cond(e.left)} or {self.cond(e.right)})", None, None

    def f_Not(self, e: n.Not) -> _Code:  # noqa: N802
        return f"(not {self.cond(e.operand)})", None, None

    def f_When(self, e: n.When) -> _Code:  # noqa: N802
        v, sv, bv = self.num(e.value)
        return f"({v} if {self.cond(e.condition)} else 0)", sv, bv

    def f_IfElse(self, e: n.IfElse) -> _Code:  # noqa: N802
        (a, sa, ba), (b, sb, bb) = self.expr(e.then), self.expr(e.otherwise)
        if (sa is None) != (sb is None):
            raise _NoFast(f"branches of different kinds (line {e.span.line})")
        if sa is not None and sb is not None and ba is not None and bb is not None:
            t = max(sa, sb)
            code = f"({_align(a, sa, t)} if {self.cond(e.condition)} else {_align(b, sb, t)})"
            return code, t, max(ba * 10 ** (t - sa), bb * 10 ** (t - sb))
        return f"({a} if {self.cond(e.condition)} else {b})", None, None

    def f_Call(self, e: n.Call) -> _Code:  # noqa: N802
        if e.func in ("all", "any"):
            return f"{e.func}(({''.join(self.cond(a) + ', ' for a in e.args)}))", None, None
        parts = [self.num(a) for a in e.args]
        if not parts:
            return "0", 0, 0
        t = max(s for _, s, _ in parts)
        args = [_align(c, s, t) for c, s, _ in parts]
        bounds = [b * 10 ** (t - s) for _, s, b in parts]
        if e.func == "sum":
            return "(" + " + ".join(args) + ")", t, sum(bounds)
        return (f"{e.func}({', '.join(args)})" if len(args) > 1 else args[0]), t, max(bounds)

    def f_Weighted(self, e: n.Weighted) -> _Code:  # noqa: N802
        sw = max(_places(w.value) for w in e.weights)
        ws = [_int_at(w.value, sw) for w in e.weights]
        total = sum(ws)
        if total <= 0 or any(w < 0 for w in ws):
            raise _NoFast(f"weights that are not positive (line {e.span.line})")
        parts = [self.num(a) for a in e.args]
        sa = max(s for _, s, _ in parts)
        top = max(b * 10 ** (sa - s) for _, s, b in parts)
        num = " + ".join(f"{w} * {_align(c, s, sa)}" for w, (c, s, _) in zip(ws, parts, strict=True))
        # the combined value is (num / total) / 10**sa, exactly
        if e.round_to is not None:
            sr = _places(e.round_to)
            r = _int_at(e.round_to, sr)
            # round_half_up(combined / round_to) * round_to, in units of 10**-sr
            code = f"(div_half_up({self.guard(f'({num}) * {10 ** sr}', total * top * 10 ** sr)}, " \
                   f"{total * r * 10 ** sa}) * {r})"
            return code, sr, (top * 10 ** sr // (r * 10 ** sa) + 1) * r
        twos = fives = 0
        rest = total
        while rest % 2 == 0:
            rest //= 2
            twos += 1
        while rest % 5 == 0:
            rest //= 5
            fives += 1
        places = max(twos, fives)
        code = f"div_exact({self.guard(f'({num}) * {10 ** places}', total * top * 10 ** places)}, {total})"
        return code, sa + places, top * 10 ** places

    def guard(self, code: str, bound: int) -> str:
        return f"big({code})" if bound >= _BIG else code

    def f_Table(self, e: n.Table) -> _Code:  # noqa: N802
        st = max((_places(t.value) for t in e.entries), default=0)
        values = [_int_at(t.value, st) for t in e.entries]
        table = "{" + "".join(f"{t.key.id!r}: {v}, " for t, v in zip(e.entries, values, strict=True)) + "}"
        subject = self.cond(e.subject)
        top = max((abs(v) for v in values), default=0)
        if e.kind == "lookup":
            return f"{self.g.const(table)}.get({subject}, 0)", st, top
        bound = top * len(values) if e.kind == "each_of" else top
        return f"{self.g.const(f'table_memo({e.kind!r}, {table})')}[{subject}]", st, bound

    def f_Vetoed(self, e: n.Vetoed) -> _Code:  # noqa: N802
        return self.g.x_Vetoed(e), None, None

    def f_Flagged(self, e: n.Flagged) -> _Code:  # noqa: N802
        return self.g.x_Flagged(e), None, None

    def f_HistoryLevel(self, e: n.HistoryLevel) -> _Code:  # noqa: N802
        return self.g.x_HistoryLevel(e), None, None

    # ---- the function ---------------------------------------------------------------

    def emit(self, text: str, star_line: int | None = None, indent: int = 2) -> None:
        self.g.emit(text, star_line, indent)

    def function(self) -> None:
        p, g = self.p, self.g
        g.emit("def evaluate(raw, period=None, history=None, strict=False):", indent=0)
        g.emit("try:")
        if p.in_force is not None or p.uses_history:
            self.emit("check_period(PROGRAM, period)")
        # every input's cell in one call (a mapping without some of them: cell by cell);
        # a scheme of very many inputs reads them one a line, keeping lines short
        cells = "".join(f"r{i}, " for i in range(len(p.inputs)))
        if len(p.inputs) > MANY_INPUTS:
            self.emit("get = raw.get")
            for i, inp in enumerate(p.inputs):
                self.emit(f"r{i} = get({inp.name!r})", inp.span.line)
        elif p.inputs:
            self.emit("try:")
            self.emit(f"({cells}) = {self.getter()}(raw){'' if len(p.inputs) > 1 else ','}", indent=3)
            self.emit("except KeyError:")
            # strict: a dict of as many keys as inputs, one of them missing, has a key that
            # is no input's (Compiled.counts_keys)
            self.emit("if strict:", indent=3)
            self.emit("return None", indent=4)
            self.emit(f"({cells}) = map(raw.get, {self.names()})", indent=3)
        self.read_inputs()
        if p.uses_history:
            self.emit("hist = read_history(PROGRAM, history)")
        self.body("return ")
        g.emit("except Exception:  # anything the fast path does not take: the exact path decides")
        g.emit("return exact(raw, period, history)", indent=2)
        # how results turn the scaled integers back into the values the reference gives
        lazy = (f"Lazy({tuple(inp.name for inp in p.inputs)!r}, {tuple(self.in_scales)!r}, "
                f"{tuple(s.name for s in p.scores)!r}, {tuple(self.score_scales)!r}, {self.total_scale!r}, "
                f"{g.inputs[p.id_field] if p.id_field else None!r}, "
                f"{tuple((name, g.inputs[name]) for name in p.group_fields)!r})")
        g.const_index["LAZY"] = "LAZY"
        g.consts.append(f"LAZY = {lazy}")
        g.consts.append("FAST = Result.fast")
        if p.inputs and len(p.inputs) <= MANY_INPUTS and not p.uses_history:
            self.many()

    def names(self) -> str:
        return self.g.const(f"{tuple(inp.name for inp in self.p.inputs)!r}")

    def getter(self) -> str:
        return self.g.const(f"itemgetter(*{self.names()})")

    def many(self) -> None:
        """``evaluate_many(records, period, slow)``: the fast path in one loop over the
        records, for ``Scheme.evaluate_many``. A record it does not take whole (not a dict
        of exactly one key per input, a value not met before, anything the fast path
        leaves to the exact path) is rated by ``slow(record)``, the per-record path, so
        every result (and the first error) is the one ``evaluate`` gives."""
        p, g = self.p, self.g
        g.emit("", indent=0)
        g.emit("", indent=0)
        head = len(g.lines)
        g.emit("def evaluate_many(records, period, slow):", indent=0)
        g.emit("out = []")
        g.emit("append = out.append")
        if p.in_force is not None:
            g.emit("try:")
            self.emit("check_period(PROGRAM, period)")
            g.emit("except Exception:  # the period is refused: each record says so as evaluate does")
            self.emit("return [slow(rec) for rec in records]")
        g.emit("for rec in records:")
        self.emit(f"if rec.__class__ is not dict or len(rec) != {len(p.inputs)}:")
        self.emit("append(slow(rec))", indent=3)
        self.emit("continue", indent=3)
        self.emit("try:")
        cells = "".join(f"r{i}, " for i in range(len(p.inputs)))
        g.indent += 1
        try:
            self.emit(f"({cells}) = {self.getter()}(rec){'' if len(p.inputs) > 1 else ','}")
            self.read_inputs(batch=True)
            self.body("append(", ")\ncontinue")
        finally:
            g.indent -= 1
        self.emit("except Exception:  # slow(rec) below: the per-record path decides")
        self.emit("pass", indent=3)
        self.emit("append(slow(rec))")
        g.emit("return out")
        # the constants and builtins the loop reads, as the function's own locals (a
        # local is read faster than a global): keyword defaults, bound once
        consts = set(g.const_index.values())
        used = {k for k in re.findall(r"\b(K\d+)\b", "\n".join(g.lines[head:])) if k in consts} | set(_LOCAL)
        bound = ", ".join(f"{name}={name}" for name in sorted(used, key=lambda k: (len(k), k)))
        g.lines[head] = f"def evaluate_many(records, period, slow, *, {bound}):"

    def body(self, before: str, after: str = "") -> None:
        """From the rules to the result, on ``v<i>``: each result as ``before`` +
        ``FAST(...)`` + ``after`` (the lines of ``after`` one a line)."""
        p, g = self.p, self.g
        self.score_scales, self.score_bounds = [], []

        def give(call: str, line: int | None = None, indent: int = 2) -> None:
            first, *rest = (before + call + after).split("\n")
            self.emit(first, line, indent)
            for more in rest:
                self.emit(more, line, indent)

        values = "(" + "".join(f"v{i}, " for i in range(len(p.inputs))) + ")"
        for rule in p.rules_of("require") + p.rules_of("disqualify"):
            test = self.cond(rule.condition)
            test = f"not {test}" if rule.kind == "require" else test
            status = "invalid" if rule.kind == "require" else "ineligible"
            self.emit(f"if {test}:", rule.span.line)
            give(f"FAST(LAZY, {status!r}, None, None, None, None, {rule.name!r}, (), None, (), (), "
                 f"period, {values}, (), None)", rule.span.line, 3)
        badge_vars: list[str] = []
        for j, score in enumerate(p.scores):
            self.score(j, score, badge_vars)
        band = p.band
        assert band is not None
        x, sx, _ = self.num(band.score)
        bounds = [b for r in band.ranges for b in (r.low, r.high) if b is not None]
        sb = max([sx, *(_places(b) for b in bounds)])
        line = band.span.line
        self.emit(f"x = {_align(x, sx, sb)}", line)
        if band.direct:
            whole = "x" if sb == 0 else f"(x // {10 ** sb} if x >= 0 else -(-x // {10 ** sb}))"
            self.emit(f"rank = VALUES.index({whole})", line)
        else:
            self.g.band_chain(band, lambda b: str(_int_at(b, sb)), "raise Slow", 2)
        self.emit("band_rank = rank", line)
        self.emit("reason = None")
        self.emit("limit = None")
        has_veto = any(r.kind == "veto" for r in p.overrides)
        if has_veto:
            self.emit("vetoes = ()")
        has_held = any(r.kind != "veto" for r in p.overrides)
        if has_held:
            self.emit("held = ()")
        for rule in p.overrides:
            self.override(rule)
        flag_rules = p.rules_of("flag")
        if flag_rules:
            self.emit("level = rank")
            self.emit("flags = ()")
            for rule in flag_rules:
                self.emit(f"if {self.cond(rule.condition)}:", rule.span.line)
                self.emit(f"flags += ({rule.name!r},)", rule.span.line, 3)
        scores = "(" + "".join(f"s{j}, " for j in range(len(p.scores))) + ")"
        if p.total in g.scores:
            total, self.total_scale = f"s{g.scores[p.total]}", self.score_scales[g.scores[p.total]]
        else:
            total, self.total_scale = "x", sb
        badges = " + ".join(badge_vars) if badge_vars else "()"
        give(f"FAST(LAZY, 'rated', VALUES[rank], rank, LABELS[rank], VALUES[band_rank], reason, "
             f"{'flags' if flag_rules else '()'}, limit, {badges}, {'vetoes' if has_veto else '()'}, "
             f"period, {values}, {scores}, {total}{', held' if has_held else ''})")

    def read_inputs(self, batch: bool = False) -> None:
        """Every input's value from its cell ``r<i>`` into ``v<i>``: an id or a group as
        it is when it is a clean text; any other input by a lookup in its memo's dicts
        (``runtime.Memo``), each value met before being there; when one is not, every
        value again through its memo, which reads it and remembers it (``batch``: the
        lookups alone; a value not met before raises KeyError, and the record goes to
        the per-record path, which reads it)."""
        remembered: list[tuple[int, m.Input, str]] = []
        for i, inp in enumerate(self.p.inputs):
            memo = self.g.const(f"input_memo(INPUTS[{i}], {self.in_scales[i]!r})")
            if isinstance(inp.spec, n.TextType):
                # an id or a group: a text as it is (no memo: ids are all different), an
                # integer as its digits, anything else through the reader
                line, v = inp.span.line, f"v{i}"
                self.emit(f"{v} = r{i}", line)
                self.emit(f"if type({v}) is not str or not {v} or {v}.strip() != {v}:", line)
                self.emit(f"{v} = str({v}) if type({v}) is int else {memo}.read({v})", line, 3)
            else:
                remembered.append((i, inp, memo))
        if not remembered:
            return
        if batch:
            for i, inp, memo in remembered:
                self.emit(f"v{i} = {self.lookup(i, inp, memo)}", inp.span.line)
            return
        self.emit("try:  # each value met before: one lookup")
        for i, inp, memo in remembered:
            self.emit(f"v{i} = {self.lookup(i, inp, memo)}", inp.span.line, 3)
        self.emit("except KeyError:  # a value not met before, or of a class not remembered: read (and remembered)")
        for i, inp, memo in remembered:
            r = f"r{i}"
            code = f"{memo}(frozenset({r}) if type({r}) in SEQS else {r})" if isinstance(inp.spec, n.SetType) \
                else f"{memo}({r})"
            self.emit(f"v{i} = {code}", inp.span.line, 3)

    def lookup(self, i: int, inp: m.Input, memo: str) -> str:
        """The value of input ``i`` from its cell ``r<i>`` by one lookup in its memo's
        dicts: a KeyError when the value was not met before."""
        seen, by, r = self.g.const(f"{memo}.seen"), self.g.const(f"{memo}.by"), f"r{i}"
        if isinstance(inp.spec, n.SetType):
            # a list, set or tuple of choices is remembered as the frozenset it holds
            return (f"{seen}[{r}] if (c := type({r})) is str or c is frozenset else {seen}[frozenset({r})] "
                    f"if c in SEQS else {by}[c][{r}]")
        if inp.type.kind in ("number", "count", "percent"):
            # a text, an int or a Decimal in ``seen`` (runtime.NUMBER_KEYS); any other
            # value (a bool, a float) in the dict of its class
            return f"{seen}[{r}] if (c := type({r})) is str or c is D or c is int else {by}[c][{r}]"
        return f"{seen}[{r}] if (c := type({r})) is str else {by}[c][{r}]"

    def score(self, j: int, score: m.Score, badge_vars: list[str]) -> None:
        line = score.span.line
        if score.expr is not None:
            code, scale, bound = self.num(score.expr)
            self.score_scales.append(scale)
            self.score_bounds.append(bound)
            self.emit(f"s{j} = {code}", line)
            return
        if score.kind == "badges":
            self.g.badges(j, score, self.cond, 2)
            self.score_scales.append(0)
            self.score_bounds.append(len(score.entries))
            self.emit(f"s{j} = len(b{j})", line)
            badge_vars.append(f"tuple(b{j})")
            return
        parts = [self.num(entry.expr) for entry in score.entries]
        scales = [s for _, s, _ in parts] + ([_places(score.cap)] if score.cap is not None else [])
        t = max(scales, default=0)
        self.score_scales.append(t)
        bound = sum(b * 10 ** (t - s) for _, s, b in parts)
        total = self.guard(" + ".join(_align(c, s, t) for c, s, _ in parts) or "0", bound)
        self.score_bounds.append(min(bound, _BIG))
        self.emit(f"s{j} = {total}", line)
        if score.cap is not None:
            cap = _int_at(score.cap, t)
            self.emit(f"if s{j} > {cap}:", line)
            self.emit(f"s{j} = {cap}", line, 3)

    def override(self, rule: m.RuleIR) -> None:
        line = rule.span.line
        self.emit(f"if {self.cond(rule.condition)}:", line)
        if rule.kind != "veto":
            self.emit(f"held += ({rule.name!r},)", line, 3)
        if rule.kind == "demote":
            assert rule.steps is not None
            self.emit("if rank > 0:", line, 3)
            self.emit(f"rank = max(0, rank - {int(rule.steps)})", line, 4)
            self.emit(f"reason = {rule.name!r}", line, 4)
        elif rule.kind == "cap":
            assert rule.rank is not None
            cap = int(rule.rank)
            self.emit(f"limit = {cap} if limit is None or limit > {cap} else limit", line, 3)
            self.emit(f"if rank > {cap}:", line, 3)
            self.emit(f"rank = {cap}", line, 4)
            self.emit(f"reason = {rule.name!r}", line, 4)
        else:
            self.emit("rank = 0", line, 3)
            self.emit("limit = 0", line, 3)
            self.emit(f"vetoes += ({rule.name!r},)", line, 3)
            self.emit(f"reason = {rule.name!r}", line, 3)
