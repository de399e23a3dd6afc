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

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from starrules import model as m
from starrules import nodes as n
from starrules.errors import EvaluationError
from starrules.result import Past, Result


@attrs.frozen
class Compiled:
    program: m.Program
    source: str
    function: Callable[..., Result]
    line_map: dict[int, int]  # generated line -> .star line

    def evaluate(self, raw: Mapping[str, object], period: int | None = None,
                 history: Iterable[Past | Mapping[str, Any]] | None = None) -> Result:
        try:
            return self.function(raw, period, history)
        except (ArithmeticError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise EvaluationError(self._where(exc) + f": {exc!r}") from exc

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
    exec(compile(source, _FILENAME, "exec"), namespace)
    return Compiled(program, source, namespace["evaluate"], gen.line_map)


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

    # ---- inputs ------------------------------------------------------------------

    def read_input(self, i: int, inp: m.Input) -> None:
        v = f"v{i}"
        line = inp.span.line
        self.emit(f"r = get({inp.name!r})", line)
        slow = f"{v} = slow(INPUTS[{i}], r, problems)"
        spec = inp.spec
        empty = None
        if inp.has_default:
            empty = self.const(f"INPUTS[{i}].default")
        elif isinstance(spec, n.SetType):
            empty = "EMPTY"
        if empty is not None:  # a blank cell takes the default (a set: no choices)
            self.emit('if r is None or r == "":', line)
            self.emit(f"{v} = {empty}", line, 2)
            self.emit("else:", line)
            self.indent += 1
        self._read(v, slow, spec, inp, line)
        if empty is not None:
            self.indent -= 1

    def _read(self, v: str, slow: str, spec: n.TypeSpec, inp: m.Input, line: int) -> None:
        if isinstance(spec, n.ScoreType):
            lo, hi = self.dec(spec.low), self.dec(spec.high)
            offset = v if spec.low == 0 else f"C.subtract({v}, {lo})"
            on_step = f" and not C.remainder({offset}, {self.dec(spec.step)})" if spec.step else ""
            self.emit('if r.__class__ is str and len(r) <= 30 and r.replace(".", "", 1).isdigit():', line)
            self.emit(f"{v} = D(r)", line, 2)
            self.emit(f"if not ({lo} <= {v} <= {hi}{on_step}):", line, 2)
            self.emit(slow, line, 3)
            self.emit("else:", line)
            self.emit(slow, line, 2)
        elif isinstance(spec, n.CountType):
            top = f" and {v} <= {spec.high}" if spec.high is not None else ""
            self.emit("if r.__class__ is str and len(r) <= 30 and r.isdigit():", line)
            self.emit(f"{v} = D(r)", line, 2)
            self.emit(f"if not ({v} >= {spec.low}{top}):", line, 2)
            self.emit(slow, line, 3)
            self.emit("else:", line)
            self.emit(slow, line, 2)
        elif isinstance(spec, n.PercentType):
            self.emit('if r.__class__ is str and len(r) <= 30 and r[-1:] == "%" and r[:-1].replace(".", "", 1).isdigit():',
                      line)
            self.emit(f"{v} = C.divide(D(r[:-1]), HUNDRED)", line, 2)
            self.emit(f"if {v} > ONE:", line, 2)
            self.emit(slow, line, 3)
            self.emit("else:", line)
            self.emit(slow, line, 2)
        elif isinstance(spec, n.BoolType):
            self.emit(f"{v} = BOOLS.get(r) if r.__class__ is str or r.__class__ is bool else None", line)
            self.emit(f"if {v} is None:", line)
            self.emit(slow, line, 2)
        elif isinstance(spec, n.EnumType):
            members = self.const(f"frozenset({sorted(inp.type.members)!r})")
            self.emit(f"if r.__class__ is str and r in {members}:", line)
            self.emit(f"{v} = r", line, 2)
            self.emit("else:", line)
            self.emit(slow, line, 2)
        elif isinstance(spec, n.TextType):
            self.emit("if r.__class__ is str and r and r.strip() == r:", line)
            self.emit(f"{v} = r", line, 2)
            self.emit("else:", line)
            self.emit(slow, line, 2)
        else:  # sets: the shared reader
            self.emit(slow, line)

    # ---- the module --------------------------------------------------------------

    def module(self) -> str:
        p = self.p
        body_start = len(self.lines)
        self.emit("def evaluate(raw, period=None, history=None):", indent=0)
        self.emit("check_period(PROGRAM, period)")
        self.emit("problems = []")
        self.emit("get = raw.get")
        for i, inp in enumerate(p.inputs):
            self.read_input(i, inp)
        self.emit("if problems:")
        self.emit("raise InputError(problems)", indent=2)
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
                  f"{{{scores}}}, tuple(flags), (), ident, groups, inputs, limit, {badges}, tuple(vetoes), period)")
        body = self.lines[body_start:]
        header = [
            f"# starrules compiled evaluator for {p.title!r} version {p.version!r}",
            f"# from {p.source_name!r}; generated code: do not edit. Every name of the scheme",
            "# appears only as a string literal. PROGRAM (the checked model) and INPUTS (its input",
            "# declarations) are handed in by the compiler.",
            "from starrules.runtime import (C, D, ZERO, ONE, HUNDRED, BOOLS, EMPTY, Result, InputError, slow,",
            "    check_period, read_history, weighted, highest, each_of, lookup, vetoed, flagged, history_level)",
            "",
            f"VALUES = {tuple(p.levels.values)!r}",
            f"LABELS = {tuple(p.levels.labels)!r}",
            *self.consts,
            "",
            "",
        ]
        shift = len(header)
        self.line_map = {k + shift - body_start: v for k, v in self.line_map.items()}
        return "\n".join(header + body) + "\n"

    def score(self, j: int, score: m.Score, badge_vars: list[str]) -> None:
        line = score.span.line
        if score.expr is not None:
            self.emit(f"s{j} = {self.expr(score.expr)}", line)
            return
        if score.kind == "badges":
            self.emit(f"b{j} = []", line)
            for entry in score.entries:
                cond = self.expr(entry.expr)
                if entry.applies is not None:
                    cond = f"{self.expr(entry.applies)} and {cond}"
                self.emit(f"if {cond}:", entry.span.line)
                self.emit(f"b{j}.append({entry.label!r})", entry.span.line, 2)
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
            first = True
            for r in band.ranges:
                conds = []
                if r.low is not None:
                    conds.append(f"x {'>=' if r.low_closed else '>'} {self.dec(r.low)}")
                if r.high is not None:
                    conds.append(f"x {'<=' if r.high_closed else '<'} {self.dec(r.high)}")
                self.emit(f"{'if' if first else 'elif'} {' and '.join(conds) or 'True'}:", r.span.line)
                self.emit(f"rank = {int(r.rank)}", r.span.line, 2)
                first = False
            fallback = f"rank = {int(band.else_rank)}" if band.else_rank is not None else \
                "raise ValueError('the score falls in no band')"
            if first:
                self.emit(fallback, line)
            else:
                self.emit("else:", line)
                self.emit(fallback, line, 2)
        self.emit("band_rank = rank", line)

    def override(self, rule: m.RuleIR) -> None:
        line = rule.span.line
        self.emit(f"if {self.expr(rule.condition)}:", line)
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


