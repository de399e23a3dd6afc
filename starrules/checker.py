"""Check and lower: :class:`~starrules.nodes.SchemeFile` -> diagnostics and the model.

Takes a syntax tree; :func:`check` gives every problem of the file at once (unknown
names with a did-you-mean, type errors, duplicates, constants outside declared ranges,
bands with gaps or overlaps); :func:`lower` gives the checked
:class:`~starrules.model.Program`, or raises :class:`~starrules.errors.StarCheckError`.
Both run the same single pass, so what checks clean always lowers.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from starrules import model as m
from starrules import nodes as n
from starrules.analysis import Ranges, expressions, references, truth
from starrules.apportion import SAINTE_LAGUE, ZERO_FIRST, method_name
from starrules.diagnostics import Diagnostic, listing, sort_diagnostics, suggestion
from starrules.errors import StarCheckError
from starrules.feasibility import Bound, smallest_conflict
from starrules.i18n import N_, _
from starrules.nodes import Span
from starrules.result import STATUSES
from starrules.values import MAX_DIGITS, coerce, fmt_number, on_step, range_problem, too_many_digits

FUNCTIONS = {"sum", "max", "min", "all", "any"}
_ORDER_OPS = ("<", "<=", ">", ">=")
MAX_LEVELS = 100
PIPELINE_ORDER = ("require", "disqualify", "demote", "cap", "veto", "flag")  # the order they apply
# a quota's bound in words (the .star keyword in English): translated where a message says it
BOUND_WORDS = {"at most": N_("at most"), "at least": N_("at least"), "exactly": N_("exactly"), "about": N_("about")}


def _bound_words(bound: str | None) -> str:
    return _(BOUND_WORDS[bound]) if bound in BOUND_WORDS else (bound or "")


def check(tree: n.SchemeFile) -> list[Diagnostic]:
    """Every diagnostic of the file (errors and warnings), in source order."""
    return _Checker(tree).run()[0]


def check_and_lower(tree: n.SchemeFile) -> tuple[list[Diagnostic], m.Program | None]:
    """Every diagnostic, and the checked model when there is no error: one pass."""
    diagnostics, program = _Checker(tree).run()
    return diagnostics, (None if any(d.is_error for d in diagnostics) else program)


def lower(tree: n.SchemeFile, source: str = "") -> m.Program:
    """The checked model; raises StarCheckError with every error if there is any."""
    diagnostics, program = _Checker(tree).run()
    errors = [d for d in diagnostics if d.is_error]
    if errors or program is None:
        raise StarCheckError(errors, source)
    return program


def finite_decimal(q: Fraction) -> bool:
    """True when q has a finite decimal expansion (its denominator is 2^a 5^b)."""
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


@attrs.frozen
class _Gap:
    """Scores no band holds: from low to high (None: unbounded), each end open or closed."""

    low: Decimal | None
    low_closed: bool
    high: Decimal | None
    high_closed: bool
    span: Span
    message: str  # for a gap between two bands, only "(between A and B)": see text()
    hint: str
    between: bool = False

    def text(self, witness: Decimal | None = None) -> str:
        """The message; a gap between two bands shows a score that falls in it (by default
        the middle of the gap)."""
        if not self.between:
            return self.message
        if witness is None:
            witness = _between(self.low, self.high) if self.low != self.high else self.low
        assert witness is not None  # a gap between two bands has both ends
        return _("a score of {witness} falls in no band {message}").format(witness=fmt_number(witness), message=self.message)


@attrs.define
class _Scope:
    """What an expression may read: ``rule`` names the construct for messages."""

    rule: str
    allow_scores: bool = True
    allow_level: bool = False


class _Checker:
    def __init__(self, tree: n.SchemeFile) -> None:
        self.tree = tree
        self.diags: list[Diagnostic] = []
        self.inputs: dict[str, m.Input] = {}
        self.score_decls: dict[str, n.ScoreDecl | n.RuleGroup | n.BadgesDecl] = {}
        self.uses_history = False
        self.gaps: list[_Gap] = []  # band gaps: errors where the band's score can fall in them
        self.score_types: dict[str, m.Type] = {}
        self.levels: m.Levels | None = None
        self.deps: dict[str, set[str]] = {}
        self._current_deps: set[str] | None = None
        self.total: str | None = None  # the total: the score declared 'total', else the band's score

    # ---- reporting ---------------------------------------------------------

    def error(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, "error", span, message, hint, self.tree.source_name))

    def warning(self, code: str, span: Span, message: str, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, "warning", span, message, hint, self.tree.source_name))

    # ---- driver ------------------------------------------------------------

    def run(self) -> tuple[list[Diagnostic], m.Program | None]:
        st = self.tree.statements
        header = [d for d in st if isinstance(d, n.SchemeDecl)]
        level_decls = [d for d in st if isinstance(d, (n.StarLevels, n.GradeLevels))]
        if not header:
            self.error("E103", Span(1, 1, 1, 2), _("the file has no 'scheme' line"),
                       _("start the file with: scheme \"方案名称\" version \"2024\""))
        for dup in header[1:]:
            self.error("E102", dup.span, _("a second 'scheme' line"), _("keep only one"))
        if not level_decls:
            self.error("E103", Span(1, 1, 1, 2), _("the file does not say its levels"),
                       _("add a line such as: levels stars 0..5\nor: levels grades 不合格 < 基本合格 < 良好 < 优秀"))
        else:
            self.levels = self._levels(level_decls[0])
            for dup_levels in level_decls[1:]:
                self.error("E102", dup_levels.span, _("a second 'levels' line"), _("keep only one"))

        for decl in st:
            if isinstance(decl, n.InputDecl):
                self._declare_input(decl)
        for decl in st:
            if isinstance(decl, (n.ScoreDecl, n.RuleGroup, n.BadgesDecl)):
                self._declare_score(decl)

        scores: dict[str, m.Score] = {}
        for decl in st:
            if isinstance(decl, n.ScoreDecl):
                scores[decl.name.id] = self._score(decl)
            elif isinstance(decl, n.RuleGroup):
                scores[decl.name.id] = self._group(decl)
            elif isinstance(decl, n.BadgesDecl):
                scores[decl.name.id] = self._badges(decl)
        ordered = self._order_scores(scores)

        totals = [d for d in st if isinstance(d, n.ScoreDecl) and d.is_total]
        for dup_total in totals[1:]:
            self.error("E102", dup_total.name.span, _("a second total: '{name}'").format(name=dup_total.name.id),
                       _("only one score is the total; write 'score {name} = ...'").format(name=dup_total.name.id))
        total = totals[0].name.id if totals else None

        bands = [d for d in st if isinstance(d, n.BandDecl)]
        band = self._band(bands[0]) if bands else None
        for dup_band in bands[1:]:
            self.error("E102", dup_band.span, _("a second 'band' block"), _("keep only one"))
        if not bands:
            self.error("E405", header[0].span if header else Span(1, 1, 1, 2),
                       _("the file has no 'band' block nor 'level from', so no level can be given"),
                       _("add one, e.g.: band 得分 { 5: [90, ..)  4: [80, 90)  0: (.., 80) }\nor, for a count of "
                         "badge stars: level from 星数"))

        rules = self._rules([d for d in st if isinstance(d, n.Rule)])
        if total is None and band is not None:
            total = band.score.name
        self.total = total
        population = tuple(
            rule for d in st if isinstance(d, n.PopulationRule)
            if (rule := self._population_rule(d, band)) is not None
        )
        self._quotas_together([q for q in population if q.kind == "quota"])
        examples = self._examples([d for d in st if isinstance(d, n.ExampleDecl)], scores)

        diagnostics = sort_diagnostics(self.diags)
        if any(d.is_error for d in diagnostics) or self.levels is None:
            # No model, but the ranges and steps of what did check still say which gaps the
            # score can fall in; where even they cannot be worked out, every gap counts.
            ranges: Ranges | None = None
            if self.levels is not None and band is not None:
                partial = m.Program(title="", version=None, in_force=None, uses_history=self.uses_history,
                                    examples=(), source_name=self.tree.source_name, levels=self.levels,
                                    inputs=tuple(self.inputs.values()), scores=tuple(scores[x] for x in ordered),
                                    total=total, band=band, rules=rules, population=population)
                with contextlib.suppress(ArithmeticError):  # e.g. weights refused for adding up to 0
                    ranges = Ranges(partial)
            for gap in self.gaps:
                witness = None if ranges is None or band is None else \
                    ranges.value_in(band.score, gap.low, gap.low_closed, gap.high, gap.high_closed)
                if ranges is None or witness is not None:
                    self.error("E401", gap.span, gap.text(witness), gap.hint)
            return sort_diagnostics(self.diags), None
        title = header[0].title.value if header else ""
        version = header[0].version.value if header and header[0].version else None
        first = header[0].first_period if header else None
        last = header[0].last_period if header else None
        if first is not None and last is not None and first > last:
            self.error("E302", header[0].span, _("the scheme is in force from {first} to {last}, which is no "
                                                 "period").format(first=first, last=last),
                       _("write the earlier year first: in force {last}..{first}").format(last=last, first=first))
            return sort_diagnostics(self.diags), None
        program = m.Program(
            title=title,
            version=version,
            in_force=(first, last) if first is not None else None,
            uses_history=self.uses_history,
            examples=examples,
            source_name=self.tree.source_name,
            levels=self.levels,
            inputs=tuple(self.inputs.values()),
            scores=tuple(scores[name] for name in ordered),
            total=total,
            band=band,
            rules=rules,
            population=population,
        )
        self._reachability(program, bands[0] if bands else None,
                           [d for d in st if isinstance(d, n.PopulationRule)])
        diagnostics = sort_diagnostics(self.diags)
        return diagnostics, (None if any(d.is_error for d in diagnostics) else program)

    # ---- examples ----------------------------------------------------------

    def _examples(self, decls: list[n.ExampleDecl], scores: dict[str, m.Score]) -> tuple[m.Example, ...]:
        out = []
        names: dict[str, n.ExampleDecl] = {}
        for decl in decls:
            if decl.name.value in names:
                self.error("E102", decl.name.span, _("two examples are named '{name}'").format(name=decl.name.value),
                           _("the first is on line {line}; give each its own name").format(
                               line=names[decl.name.value].span.line))
            names[decl.name.value] = decl
            given = []
            seen: set[str] = set()
            for name, value in decl.given:
                if name.id in seen:
                    self.error("E102", name.span, _("the example gives '{id}' twice").format(id=name.id))
                seen.add(name.id)
                inp = self.inputs.get(name.id)
                if inp is None:
                    self._unknown(name, _("an input"))
                    continue
                raw = self._example_value(value, inp)
                if raw is not None:
                    given.append((name.id, raw))
            unknown = any(name.id not in self.inputs for name, _v in decl.given)  # already reported
            for inp in self.inputs.values():
                if not unknown and inp.name not in seen and not inp.has_default and inp.type.kind != "set":
                    self.error("E601", decl.name.span, _("the example '{name}' gives no value for '{input}'").format(
                                   name=decl.name.value, input=inp.name),
                               _("add it to 'given', e.g. {name}: ..., or give the input a default").format(name=inp.name))
            checks = [c for e in decl.expect if (c := self._check(e, scores)) is not None]
            out.append(m.Example(decl.name.value, tuple(given), decl.period, tuple(checks), decl.span))
        return tuple(out)

    def _example_value(self, e: n.Expr, inp: m.Input) -> object | None:
        """A literal of an example as the raw value a data file would hold."""
        raw: object
        if isinstance(e, n.Number):
            raw = fmt_number(e.value)
        elif isinstance(e, n.Percent):
            raw = fmt_number(e.value * 100) + "%"
        elif isinstance(e, n.Bool):
            raw = e.value
        elif isinstance(e, (n.Name, n.String)):
            raw = e.id if isinstance(e, n.Name) else e.value
        elif isinstance(e, n.SetLiteral):
            raw = [x.id for x in e.items if isinstance(x, n.Name)]
        else:
            self.error("E201", _span_of(e), _("an example gives values, not calculations: write the value of "
                                              "'{name}'").format(name=inp.name))
            return None
        _v, problem = coerce(inp, raw)
        if problem:
            self.error("E301", _span_of(e), _("the example's value for '{name}' does not fit its declaration").format(
                           name=inp.name),
                       _("expected {problem}").format(problem=problem))
            return None
        return raw

    def _check(self, e: n.Expectation, scores: dict[str, m.Score]) -> m.Check | None:
        span = e.span
        if isinstance(e.key, n.LevelExpr):
            assert isinstance(e.value, n.LevelRef)
            const = self._level_const(e.value)
            return m.Check("level", "level", const.rank, const.label, span) if const else None
        key = e.key.id
        value = e.value
        if key == "total" and "total" not in scores and "total" not in self.inputs:
            key = self.total or key  # what the result's total is: the band's score if none is declared
        numeric_input = key in self.inputs and self.inputs[key].type.kind in ("number", "count", "percent")
        if key in scores or key == "total" or numeric_input:
            number = value.value if isinstance(value, (n.Number, n.Percent)) else None
            if number is None or not (key in scores or numeric_input):
                self.error("E201", span, _("expect {key} = a number").format(key=key), _("e.g. expect 得分 = 93.5"))
                return None
            kind = "score" if key in scores else "input"
            return m.Check(kind, key, number, fmt_number(number), span)
        if key == "status":
            word = value.id if isinstance(value, n.Name) else None
            if word not in STATUSES:
                self.error("E201", span, _("a status is rated, invalid or ineligible"))
                return None
            return m.Check("status", key, word, word, span)
        if key == "reason":
            if not isinstance(value, n.String):
                self.error("E201", span, _("a reason is a quoted text: the name of a rule, e.g. reason = \"...\""))
                return None
            return m.Check("reason", key, value.value, value.value, span)
        if key in ("flags", "badges"):
            if not isinstance(value, tuple):
                self.error("E201", span, _("{key} are a list of names: {key} = [\"...\"]").format(key=key))
                return None
            known = self.flag_names if key == "flags" else [
                b.label.value for d in self.tree.statements if isinstance(d, n.BadgesDecl) for b in d.badges]
            for item in value:
                if item.value not in known:
                    close = suggestion(item.value, known)
                    missing = _("there is no flag named '{name}'") if key == "flags" else _("there is no badge named '{name}'")
                    self.error("E101", item.span, missing.format(name=item.value), close)
            names = tuple(sorted(x.value for x in value))
            return m.Check(key, key, names, "[" + ", ".join(names) + "]", span)
        self._unknown(e.key, _("a score, or level, status, reason, flags or badges"),
                      ["level", "status", "reason", "flags", "badges", "total"])
        return None

    # ---- reachability ------------------------------------------------------

    def _reachability(self, program: m.Program, band: n.BandDecl | None, pops: list[n.PopulationRule]) -> None:
        """Band gaps where the score can fall (E401); levels the band never gives over the
        scores' reachable range (W401); quotas that ask for at least some of a level no
        entity's own rating reaches: an error when enforced (E504), else a warning (W502)."""
        # A program is built only when there is no error, and every way of having no band
        # is one (no band block: E405; its score unknown or not a number: E101, E201).
        assert band is not None and program.band is not None
        ranges = Ranges(program)
        for gap in self.gaps:  # a gap the score can fall in is an error; one it cannot is not
            # a score the band's score can take (within its range, on its steps) in the gap
            witness = ranges.value_in(program.band.score, gap.low, gap.low_closed, gap.high, gap.high_closed)
            if witness is not None:
                self.error("E401", gap.span, gap.text(witness), gap.hint)
        self._lint(program, ranges)
        band_ranks = ranges.reachable_ranks()
        assert band_ranks is not None  # None only without a band
        reachable = _with_overrides(program, band_ranks)
        levels = program.levels
        x = ranges.of(program.band.score)
        span_text = _("{low} to {high}").format(low=fmt_number(x.lo) if x.lo.is_finite() else "-∞",
                                                high=fmt_number(x.hi) if x.hi.is_finite() else "∞")
        for rank in range(len(levels.values)):
            if rank in reachable:
                continue
            entry = next((e for e in band.entries if not band.direct and self._names_rank(e.level, rank)), None)
            where = entry.span if entry is not None else band.span
            self.warning("W401", where, _("no entity can reach {label}: {name} runs from {range}").format(
                             label=levels.label(rank), name=program.band.score.name, range=span_text),
                         _("check the band's ends against the scores' declared ranges, or drop the level"))
        for decl, rule in zip(pops, program.population, strict=False):
            if rule.kind != "quota" or rule.bound not in ("at least", "exactly") or rule.rank is None or not rule.amount:
                continue
            hits = {"==": {rule.rank}, ">=": set(range(rule.rank, len(levels.values))),
                    "<=": set(range(rule.rank + 1))}[rule.scope] & reachable
            if hits:
                continue
            runs = _("{name} runs from {range}").format(name=program.band.score.name, range=span_text)
            if rule.enforced:
                would = _("'{name}' would lower entities to {levels}, which no entity's own rating reaches ({runs})") \
                    if rule.scope == "<=" else \
                    _("'{name}' would raise entities to {levels}, which no entity's own rating reaches ({runs})")
                self.error("E504", decl.name.span, would.format(name=rule.name, levels=self._levels_text(rule), runs=runs),
                           _("check the level and the band against the scores' ranges; a quota that is only a "
                             "target says 'report only'"))
            else:
                self.warning("W502", decl.name.span,
                             _("no entity's own rating reaches the levels of '{name}' ({runs})").format(
                                 name=rule.name, runs=runs),
                             _("it moves nobody, so only another quota can meet it; check the level and the band"))

    def _lint(self, program: m.Program, ranges: Ranges) -> None:
        """Warnings: inputs and scores nobody reads; conditions that always or never hold."""
        used: set[tuple[str, str]] = set()
        for _k, expr in expressions(program):
            used |= references(expr)
        used |= {("input", f) for p in program.population for f in (p.per, p.minimum_per, p.apportion_by) if f}
        for inp in program.inputs:
            if inp.role == "value" and ("input", inp.name) not in used:
                self.warning("W301", inp.span, _("the input '{name}' is declared but nothing reads it").format(name=inp.name),
                             _("use it in a score or a rule, or remove it (a column to carry along: declare it "
                               "text)"))
        for score in program.scores:
            if ("score", score.name) not in used and score.name != program.total:
                self.warning("W302", score.span, _("the score '{name}' is computed but nothing reads it").format(
                                 name=score.name),
                             _("use it in the total, a band or a rule, or remove it"))
        for rule in program.rules:
            held = truth(ranges, rule.condition)
            if held is None:
                continue
            what = f"{rule.kind} '{rule.name}'"
            if held:
                self.warning("W303", rule.span, _("the condition of {what} holds for every entity").format(what=what),
                             _("check the constant against the inputs' declared ranges"))
            else:
                self.warning("W304", rule.span, _("the condition of {what} holds for no entity: the rule never "
                                                  "applies").format(what=what),
                             _("check the constant against the inputs' declared ranges"))
        reachable = ranges.reachable_ranks()
        if reachable:
            for rule in program.rules_of("cap"):
                assert rule.rank is not None
                if max(reachable) <= rule.rank:
                    self.warning("W305", rule.span,
                                 _("cap '{name}' can never lower a level: no band gives more than {label}").format(
                                     name=rule.name, label=program.levels.label(max(reachable))),
                                 _("check the cap's level"))

    def _names_rank(self, ref: n.LevelRef, rank: int) -> bool:
        return self.levels is not None and ref.value in self.levels.values \
            and self.levels.values.index(ref.value) == rank

    # ---- levels ------------------------------------------------------------

    def _levels(self, decl: n.StarLevels | n.GradeLevels) -> m.Levels | None:
        if isinstance(decl, n.StarLevels):
            if decl.low > decl.high:
                self.error("E302", decl.span, _("levels run from {low} down to {high}").format(low=decl.low, high=decl.high),
                           _("write the lowest first: levels stars {high}..{low}").format(high=decl.high, low=decl.low))
                return None
            if decl.high - decl.low > MAX_LEVELS:
                self.error("E302", decl.span, _("{number} levels are more than a rating can use").format(
                               number=decl.high - decl.low + 1),
                           _("star levels run at most {most} steps, e.g. levels stars 0..10").format(most=MAX_LEVELS))
                return None
            values = tuple(range(decl.low, decl.high + 1))
            labels = {v: f"{v}星" for v in values}
            for lab in decl.labels:
                if lab.stars not in labels:
                    self.error("E104", lab.span, _("{stars} is not one of the levels {low}..{high}").format(
                                   stars=lab.stars, low=decl.low, high=decl.high))
                labels[lab.stars] = lab.label.value
            return m.Levels(True, tuple(values), tuple(labels[v] for v in values))
        seen: set[str] = set()
        for name in decl.names:
            if name.id in seen:
                self.error("E102", name.span, _("the grade '{id}' is listed twice").format(id=name.id))
            seen.add(name.id)
        names = tuple(dict.fromkeys(x.id for x in decl.names))
        return m.Levels(False, names, names)

    def _level_const(self, ref: n.LevelRef) -> m.LevelConst | None:
        if self.levels is None:
            return None
        levels = self.levels
        if ref.value in levels.values:
            rank = levels.values.index(ref.value)
            return m.LevelConst(rank, levels.label(rank), ref.span)
        if levels.stars:
            hint = _("levels run {low}..{high}").format(low=levels.values[0], high=levels.values[-1])
            meant = _stars_named(str(ref.value), levels)
            if meant is not None:
                hint = _("write {meant}: a star level is written as its number of stars ({hint})").format(
                    meant=meant, hint=hint)
        else:
            close = suggestion(str(ref.value), [str(v) for v in levels.values])
            hint = close or _("grades are: {grades}").format(grades=listing([str(v) for v in levels.values]))
        self.error("E104", ref.span, _("'{value}' is not one of the levels").format(value=ref.value), hint)
        return None

    # ---- declarations ------------------------------------------------------

    def _declare_input(self, decl: n.InputDecl) -> None:
        name = decl.name.id
        if name in self.inputs:
            first = self.inputs[name].span
            self.error("E102", decl.name.span, _("the input '{name}' is declared twice").format(name=name),
                       _("it was first declared on line {line}; remove one or rename it").format(line=first.line))
            return
        spec = decl.type
        typ, role = self._input_type(spec)
        default: object | None = None
        has_default = decl.default is not None
        if decl.default is not None:
            default = self._constant_for(decl.default, name, typ, spec)
        self.inputs[name] = m.Input(name, typ, spec, default, has_default, role, decl.name.span)

    def _input_type(self, spec: n.TypeSpec) -> tuple[m.Type, str]:
        if isinstance(spec, n.ScoreType):
            if any(too_many_digits(x) for x in (spec.low, spec.high, spec.step) if x is not None):
                self.error("E301", spec.span, _("a number with more than {digits} digits").format(digits=MAX_DIGITS),
                           _("ratings need far fewer digits; check the range"))
                return m.NUMBER, "value"
            if spec.low > spec.high:
                self.error("E302", spec.span, _("the range {low}..{high} is empty").format(low=spec.low, high=spec.high),
                           _("write the smaller end first: {high}..{low}").format(high=spec.high, low=spec.low))
            if spec.step is not None:
                if spec.step <= 0:
                    self.error("E302", spec.span, _("a step must be more than 0"), _("e.g. step 0.1"))
                elif not on_step(spec.low, spec.step) or not on_step(spec.high, spec.step):
                    self.error("E302", spec.span,
                               _("the ends {low} and {high} are not multiples of the step {step}").format(
                                   low=spec.low, high=spec.high, step=spec.step),
                               _("make the range's ends multiples of the step"))
            return m.NUMBER, "value"
        if isinstance(spec, n.CountType):
            if spec.high is not None and spec.low > spec.high:
                self.error("E302", spec.span, _("the range {low}..{high} is empty").format(low=spec.low, high=spec.high))
            return m.COUNT, "value"
        if isinstance(spec, n.PercentType):
            return m.PERCENT, "value"
        if isinstance(spec, n.BoolType):
            return m.BOOL, "value"
        if isinstance(spec, (n.EnumType, n.SetType)):
            seen: set[str] = set()
            for mem in spec.members:
                if mem.id in seen:
                    self.error("E102", mem.span, _("'{id}' is listed twice").format(id=mem.id))
                seen.add(mem.id)
            members = tuple(dict.fromkeys(x.id for x in spec.members))
            return m.Type("enum" if isinstance(spec, n.EnumType) else "set", members), "value"
        assert isinstance(spec, n.TextType)
        return m.TEXT, spec.role

    def _constant_for(self, expr: n.Expr, name: str, typ: m.Type, spec: n.TypeSpec) -> object | None:
        """A default value, checked against its input's declaration."""
        span = getattr(expr, "span", Span.unknown())
        try:
            if isinstance(expr, n.Number) and typ.kind in ("number", "count"):
                value: object = expr.value
            elif isinstance(expr, n.Number) and typ.kind == "percent":
                value = expr.value / 100
            elif isinstance(expr, n.Percent) and typ.kind == "percent":
                value = expr.value
            elif isinstance(expr, n.Bool) and typ.kind == "bool":
                value = expr.value
            elif isinstance(expr, n.Name) and typ.kind == "enum":
                value = expr.id
            elif isinstance(expr, n.SetLiteral) and typ.kind == "set":
                value = frozenset(x.id for x in expr.items if isinstance(x, n.Name))
            elif isinstance(expr, n.String) and typ.kind == "text":
                value = expr.value
            else:
                self.error("E201", span, _("the default of '{name}' must be {type}").format(name=name, type=typ.describe()))
                return None
        except Exception:  # pragma: no cover - defensive; literals are well formed
            return None
        problem = range_problem(value, typ, spec)
        if problem:
            self.error("E301", span, _("the default of '{name}' is outside its declaration: {problem}").format(
                           name=name, problem=problem),
                       _("'{name}' is declared as {declared}").format(name=name, declared=_describe_spec(spec, typ)))
            return None
        return value

    @contextlib.contextmanager
    def _reading(self, name: str) -> Iterator[None]:
        """Record the scores read while checking score ``name``, for dependency order."""
        self._current_deps = set()
        try:
            yield
        finally:
            self.deps.setdefault(name, set()).update(self._current_deps)
            self._current_deps = None

    def _declare_score(self, decl: n.ScoreDecl | n.RuleGroup | n.BadgesDecl) -> None:
        name = decl.name.id
        if name in self.inputs:
            self.error("E102", decl.name.span, _("'{name}' is already declared as an input").format(name=name),
                       _("give the score another name"))
        elif name in self.score_decls:
            first = self.score_decls[name].name.span
            self.error("E102", decl.name.span, _("'{name}' is defined twice").format(name=name),
                       _("it was first defined on line {line}; remove one or rename it").format(line=first.line))
        else:
            self.score_decls[name] = decl
            self.score_types[name] = m.COUNT if isinstance(decl, n.BadgesDecl) else m.NUMBER

    def _score(self, decl: n.ScoreDecl) -> m.Score:
        with self._reading(decl.name.id):
            scope = _Scope(_("score '{name}'").format(name=decl.name.id))
            expr, typ = self._expr(decl.expr, scope)
            if typ is not None and not typ.numeric:
                self.error("E203", _span_of(decl.expr), _("the score '{name}' must be a number, not {type}").format(
                               name=decl.name.id, type=typ.describe()),
                           _("a yes/no item is scored with 'when', e.g. 20 when 达标"))
        return m.Score(decl.name.id, "total" if decl.is_total else "score", expr, span=decl.span)

    def _group(self, decl: n.RuleGroup) -> m.Score:
        with self._reading(decl.name.id):
            entries = []
            labels: set[str] = set()
            for entry in decl.entries:
                if entry.label.value in labels:
                    self.error("E102", entry.label.span, _("two entries of '{name}' are labelled '{label}'").format(
                                   name=decl.name.id, label=entry.label.value),
                               _("give each entry its own label"))
                labels.add(entry.label.value)
                scope = _Scope(f"{decl.kind} '{entry.label.value}'")
                expr, typ = self._expr(entry.expr, scope)
                if typ is not None and not typ.numeric:
                    self.error("E203", _span_of(entry.expr),
                               _("the {kind} '{label}' must be a number of points, not {type}").format(
                                   kind=decl.kind, label=entry.label.value, type=typ.describe()),
                               _("e.g. 5 when 条件, or 3 each 次数"))
                entries.append(m.GroupEntry(entry.label.value, expr, entry.span))
        # no check that the cap is not negative: the grammar reads it as a number without a sign
        return m.Score(decl.name.id, decl.kind, None, tuple(entries),
                       decl.cap.value if decl.cap else None, decl.span)

    def _badges(self, decl: n.BadgesDecl) -> m.Score:
        with self._reading(decl.name.id):
            entries = []
            labels: set[str] = set()
            for badge in decl.badges:
                if badge.label.value in labels:
                    self.error("E102", badge.label.span, _("two stars of '{name}' are named '{label}'").format(
                                   name=decl.name.id, label=badge.label.value),
                               _("give each star its own name"))
                labels.add(badge.label.value)
                scope = _Scope(_("star '{label}'").format(label=badge.label.value))
                cond, typ = self._expr(badge.condition, scope)
                if typ is not None and typ.kind != "bool":
                    self.error("E202", _span_of(badge.condition),
                               _("the star '{label}' is won on a yes/no condition, not {type}").format(
                                   label=badge.label.value, type=typ.describe()),
                               _("e.g. 民主测评 > 90%"))
                applies: m.Expr | None = None
                if badge.applies is not None:
                    applies, at = self._expr(badge.applies, scope)
                    if at is not None and at.kind != "bool":
                        self.error("E202", _span_of(badge.applies),
                                   _("'for' says which entities the star is for, with a yes/no condition, not "
                                     "{type}").format(type=at.describe()),
                                   _("e.g. for 类别 in {农村, 社区}"))
                entries.append(m.GroupEntry(badge.label.value, cond, badge.span, badge.from_records, applies))
        return m.Score(decl.name.id, "badges", None, tuple(entries), None, decl.span)

    def _order_scores(self, scores: dict[str, m.Score]) -> list[str]:
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = path[path.index(name):] + [name]
                decl = self.score_decls[name]
                self.error("E107", decl.name.span, _("these scores are defined in terms of each other: {cycle}").format(
                               cycle=" -> ".join(cycle)), _("break the circle: one of them must not use the others"))
                return
            state[name] = 1
            for dep in sorted(self.deps.get(name, ())):  # each a declared score: see _x_Name
                visit(dep, path + [name])
            state[name] = 2
            order.append(name)

        for name in scores:
            visit(name, [])
        return order

    # ---- bands -------------------------------------------------------------

    def _band(self, decl: n.BandDecl) -> m.Band | None:
        if decl.direct:
            return self._level_from(decl)
        name = decl.score.id
        ref: m.Ref | None = None
        if name in self.score_decls:
            ref = m.Ref("score", name, decl.score.span)
        elif name in self.inputs and self.inputs[name].type.numeric:
            ref = m.Ref("input", name, decl.score.span)
        elif name in self.inputs:
            self.error("E201", decl.score.span, _("bands need a number, but '{name}' is {type}").format(
                           name=name, type=self.inputs[name].type.describe()))
        else:
            self._unknown(decl.score, _("a score"))
        ranges: list[m.BandRange] = []
        else_rank: int | None = None
        refused = False  # an entry already reported: gaps around it would only repeat it
        for entry in decl.entries:
            const = self._level_const(entry.level)
            refused |= const is None
            if entry.is_else:
                if else_rank is not None:
                    self.error("E102", entry.span, _("a second 'else' band"), _("keep only one"))
                if const is not None:
                    else_rank = const.rank
                continue
            assert entry.low is not None and entry.high is not None
            lo, hi = entry.low, entry.high
            if lo.value is not None and hi.value is not None and (
                lo.value > hi.value or (lo.value == hi.value and not (lo.closed and hi.closed))
            ):
                self.error("E403", entry.span, _("the interval {interval} holds no score").format(
                               interval=_interval_text(lo, hi)),
                           _("write the lower end first, e.g. [80, 90)"))
                refused = True
                continue
            if const is not None:
                ranges.append(m.BandRange(const.rank, lo.value, lo.closed and lo.value is not None,
                                          hi.value, hi.closed and hi.value is not None,
                                          _interval_text(lo, hi), entry.span))
        if self.levels is not None and not refused:  # without levels every entry was already refused
            self._band_coverage(decl, ranges, else_rank)
        if ref is None:
            return None
        return m.Band(ref, tuple(ranges), else_rank, decl.span)

    def _level_from(self, decl: n.BandDecl) -> m.Band | None:
        """``level from 星数``: the level is the count itself (star levels only)."""
        name = decl.score.id
        if self.levels is None:
            return None
        if not self.levels.stars:
            self.error("E201", decl.span, _("'level from' gives a number of stars, but the levels are grades"),
                       _("map the count to grades with a band: band {name} {{ {top}: [{count}, ..) ... }}").format(
                           name=name, top=self.levels.labels[-1], count=len(self.levels.labels) - 1))
            return None
        target = self.score_decls.get(name)
        if name in self.inputs and self.inputs[name].type == m.COUNT:
            ref = m.Ref("input", name, decl.score.span)
            spec = self.inputs[name].spec
            top: int | None = spec.high if isinstance(spec, n.CountType) else None
            least = spec.low if isinstance(spec, n.CountType) else 0
        elif isinstance(target, n.BadgesDecl):
            ref = m.Ref("score", name, decl.score.span)
            top, least = self._most_badges(target), 0
        elif target is not None or name in self.inputs:
            self.error("E201", decl.score.span, _("'level from' needs a count of stars, and '{name}' is not one").format(
                           name=name),
                       _("count stars with a 'badges' block, or use a band"))
            return None
        else:
            self._unknown(decl.score, _("a count of stars (a 'badges' block)"))
            return None
        low, high = self.levels.values[0], self.levels.values[-1]
        assert isinstance(low, int) and isinstance(high, int)
        if least < low:  # the count can be below the lowest level (a count input may say it cannot)
            self.error("E401", decl.span, _("a count of {least} stars falls in no level: the levels start at {low}").format(
                           least=least, low=low),
                       _("write 'levels stars {least}..{high}', or map counts with a band").format(least=least, high=high))
        if top is None:
            self.error("E401", decl.span, _("'{name}' can count any number of stars, more than the top level {high}").format(
                           name=name, high=high),
                       _("bound the count: input {name} : count {least}..{high}, or map counts with a band").format(
                           name=name, least=least, high=high))
        elif top > high:
            self.error("E401", decl.span, _("'{name}' can count {top} stars, more than the top level {high}").format(
                           name=name, top=top, high=high),
                       _("write 'levels stars {least}..{top}', or map counts with a band").format(least=min(least, low), top=top))
        return m.Band(ref, (), None, decl.span, direct=True)

    def _most_badges(self, decl: n.BadgesDecl) -> int:
        """The most stars one entity can win. Stars limited by 'for' to some choices of
        one input (a category's star set) are counted per choice; any other 'for' is
        assumed to allow every star."""
        field: str | None = None
        allowed: list[set[str] | None] = []
        for badge in decl.badges:
            cond = badge.applies
            names: set[str] | None = None
            subject: n.Expr | None = None
            if isinstance(cond, n.Compare) and cond.op == "==" and isinstance(cond.right, n.Name):
                subject, names = cond.left, {cond.right.id}
            elif isinstance(cond, n.Contains) and not cond.negated and isinstance(cond.collection, n.SetLiteral):
                subject = cond.item
                names = {x.id for x in cond.collection.items if isinstance(x, n.Name)}
            if cond is None:
                allowed.append(None)
                continue
            if not isinstance(subject, n.Name) or (field is not None and subject.id != field) \
                    or subject.id not in self.inputs or self.inputs[subject.id].type.kind != "enum":
                return len(decl.badges)
            field = subject.id
            allowed.append(names)
        if field is None:
            return len(decl.badges)
        members = self.inputs[field].type.members
        return max(sum(1 for a in allowed if a is None or member in a) for member in members)

    def _band_coverage(self, decl: n.BandDecl, ranges: list[m.BandRange], else_rank: int | None) -> None:
        """Gaps and overlaps over the whole number line, each with a witness value."""
        levels = self.levels

        def label(rank: int) -> str:
            return levels.label(rank) if levels is not None else str(rank)

        key: Callable[[m.BandRange], tuple[int, Decimal, int]] = lambda r: (  # noqa: E731
            0 if r.low is None else 1, r.low if r.low is not None else Decimal(0), 0 if r.low_closed else 1)
        srt = sorted(ranges, key=key)
        # One sweep in order of lower ends: ``a`` is the band seen so far that reaches
        # highest, so a band starting before ``a`` ends overlaps it (not only the band just
        # before), and a gap is a gap beyond every band seen, never one a wider band covers.
        reach = srt[0] if srt else None
        for b in srt[1:]:
            assert reach is not None
            a = reach
            reach = max(reach, b, key=_reach)
            if a.high is None or b.low is None or b.low < a.high or (
                b.low == a.high and a.high_closed and b.low_closed
            ):
                self.error("E402", b.span,
                           _("bands overlap: a score of {witness} is in both {label} {text} and {label2} {text2}").format(
                               witness=fmt_number(_in_both(a, b)), label=label(a.rank), text=a.text,
                               label2=label(b.rank), text2=b.text),
                           _("make each end belong to one band only, e.g. [80, 90) then [90, 100]"))
            elif b.low > a.high or (b.low == a.high and not a.high_closed and not b.low_closed):
                if else_rank is not None:
                    continue
                # the lower band ends where this one starts: with that end if this one leaves it out
                end_mark = ")" if b.low_closed else "]"
                lower = f"[{fmt_number(a.low)}, {fmt_number(b.low)}{end_mark}" if a.low is not None else \
                    f"(.., {fmt_number(b.low)}{end_mark}"
                self.gaps.append(_Gap(a.high, not a.high_closed, b.low, not b.low_closed, b.span,
                                      _("(between {label} {text} and {label2} {text2})").format(
                                          label=label(a.rank), text=a.text, label2=label(b.rank), text2=b.text),
                                      _("make the bands meet: end the lower one where this one starts, {label}: "
                                        "{lower}").format(label=label(a.rank), lower=lower), between=True))
        if else_rank is None and srt:
            first, last = srt[0], max(srt, key=_reach)
            if first.low is not None:
                self.gaps.append(_Gap(None, False, first.low, not first.low_closed, first.span,
                                      _("a score below {low} falls in no band").format(low=fmt_number(first.low)),
                                      _("add a lowest band, e.g. 0: (.., {low}), or '0: else'").format(
                                          low=fmt_number(first.low))))
            if last.high is not None:
                top = f"[{fmt_number(last.low)}, ..)" if last.low is not None else "(.., ..)"
                self.gaps.append(_Gap(last.high, not last.high_closed, None, False, last.span,
                                      _("a score above {high} falls in no band").format(high=fmt_number(last.high)),
                                      _("write {top} for the top band").format(top=top)))
        if not srt and else_rank is None:
            # no entry at all: an entry gives a range or an 'else', or was refused (then this
            # is not called)
            assert not decl.entries
            self.error("E401", decl.span, _("the band block is empty: every score falls in no band"),
                       _("give each level its interval, e.g. 5: [90, ..)"))

    # ---- rules -------------------------------------------------------------

    def _rules(self, rules: list[n.Rule]) -> tuple[m.RuleIR, ...]:
        out: list[m.RuleIR] = []
        names: dict[tuple[str, str], n.Rule] = {}
        for rule in rules:
            key = (rule.kind, rule.name.value)
            if key in names:
                self.error("E102", rule.name.span, _("two {kind} rules are named '{name}'").format(
                               kind=rule.kind, name=rule.name.value),
                           _("the first is on line {line}; give each rule its own name").format(line=names[key].span.line))
            names[key] = rule
            early = rule.kind in ("require", "disqualify")
            scope = _Scope(f"{rule.kind} '{rule.name.value}'", allow_scores=not early,
                           allow_level=rule.kind == "flag")
            cond, typ = self._expr(rule.condition, scope)
            if typ is not None and typ.kind != "bool":
                self.error("E202", _span_of(rule.condition),
                           _("the condition of {kind} '{name}' must be yes/no, not {type}").format(
                               kind=rule.kind, name=rule.name.value, type=typ.describe()),
                           _("compare it with something, e.g. 满意率 < 50%"))
            rank = None
            if rule.kind == "cap" and rule.level is not None:
                const = self._level_const(rule.level)
                rank = const.rank if const else None
            if rule.kind == "demote" and (rule.steps or 0) < 1:
                self.error("E302", rule.span, _("a demotion must lower by at least 1 level"))
            out.append(m.RuleIR(rule.kind, rule.name.value, cond, rank, rule.steps, rule.span))
        out.sort(key=lambda r: PIPELINE_ORDER.index(r.kind))
        return tuple(out)

    # ---- population rules --------------------------------------------------

    _QUOTA_ONLY = (n.QTarget, n.QEnforce, n.QMinimum, n.QApportion)
    _SELECT_ONLY = (n.QPick, n.QAmong, n.QFlag, n.QCap)

    def _population_rule(self, decl: n.PopulationRule, band: m.Band | None) -> m.PopRule | None:
        what = f"{decl.kind} '{decl.name.value}'"
        seen: dict[type, n.Clause] = {}
        ok = True
        for clause in decl.clauses:
            kind = type(clause)
            if kind in (n.QFlag, n.QCap):
                kind = n.QFlag  # one effect per selection
            if kind in seen:
                self.error("E502", clause.span, _("the {what} says this twice").format(what=what),
                           _("the first is on line {line}; keep one").format(line=seen[kind].span.line))
                ok = False
            seen[kind] = clause
            wrong = self._SELECT_ONLY if decl.kind == "quota" else self._QUOTA_ONLY
            if isinstance(clause, wrong):
                other = "select" if decl.kind == "quota" else "quota"
                self.error("E502", clause.span, _("this belongs in a '{other}' block, not in the {what}").format(
                               other=other, what=what),
                           _("a quota says 'level K at most/at least/exactly/about N'; a select says 'top/bottom "
                             "N' and 'flag \"名\"' or 'cap at most K'"))
                ok = False

        def get(cls: type) -> Any:
            return seen.get(cls)

        target: n.QTarget | None = get(n.QTarget)
        pick: n.QPick | None = get(n.QPick)
        effect = get(n.QFlag)
        if decl.kind == "quota" and target is None:
            top = self.levels.values[-1] if self.levels is not None else 5
            self.error("E501", decl.name.span, _("the {what} does not say which level it bounds").format(what=what),
                       _("add a line such as: level {top} at most 10%").format(top=top))
            return None
        if decl.kind == "select" and (pick is None or effect is None):
            values = self.levels.values if self.levels is not None else (4, 5)
            below_top = values[-2] if len(values) > 1 else values[0]
            if pick is None:
                missing = _("which entities it picks (e.g. bottom 10%)")
                hint = _("add a line such as: bottom 10%  (or: top 3)  to say whom it picks")
            else:
                missing = _("what happens to them (flag \"整顿\" or cap at most {below_top})").format(below_top=below_top)
                hint = (_("add a line such as: flag \"整顿\" to mark them, or: cap at most {below_top} to hold them "
                          "at {below_top} or below").format(below_top=below_top))
            self.error("E501", decl.name.span, _("the {what} does not say {missing}").format(what=what, missing=missing), hint)
            return None

        amount = target.amount if target is not None else pick.amount if pick is not None else None
        assert amount is not None
        if amount.percent and not 0 <= amount.value <= 1:
            self.error("E301", amount.span, _("a share must be between 0% and 100%"))
            ok = False

        rank: int | None = None
        scope = "=="
        bound: str | None = None
        if target is not None:
            const = self._level_const(target.level)
            rank = const.rank if const else None
            ok &= const is not None
            if target.scope is not None and target.scope not in (">=", "<="):
                self.error("E201", target.span, _("a quota counts a level, or the levels at or above (>=) or at "
                                                  "or below (<=) it, not '{scope}'").format(
                                                      scope=target.scope), _("e.g. level >= 4 at most 30%"))
                ok = False
            scope = target.scope or "=="
            bound = target.bound

        per_clause: n.QPer | None = get(n.QPer)
        per = self._group_key(per_clause.group) if per_clause and per_clause.group else None
        minimum_clause: n.QMinimum | None = get(n.QMinimum)
        minimum_per = self._group_key(minimum_clause.per) if minimum_clause else None
        apportion_clause: n.QApportion | None = get(n.QApportion)
        apportion_by = self._group_key(apportion_clause.by) if apportion_clause else None
        # a group key already refused: the quota is not checked further (read over all, it
        # would clash with other quotas for no reason of its own)
        ok &= not ((per_clause and per_clause.group and per is None) or (minimum_clause and minimum_per is None)
                   or (apportion_clause and apportion_by is None))
        if apportion_clause is not None and per_clause is not None and per_clause.group is not None:
            self.error("E502", apportion_clause.span, _("a quota is either per group or apportioned among "
                                                        "groups, not both"),
                       _("'apportion by G' already applies the quota within each group of G"))
            ok = False
        enforce_clause: n.QEnforce | None = get(n.QEnforce)
        enforced = bound != "about"
        if enforce_clause is not None:
            if enforce_clause.enforced and bound == "about":
                self.error("E502", enforce_clause.span, _("an 'about' (左右) quota is a target, it cannot be "
                                                          "enforced"),
                           _("use 'at most' or 'at least' to enforce it"))
                ok = False
            enforced = enforce_clause.enforced
        if minimum_clause is not None and bound not in ("at most", "exactly"):
            self.error("E502", minimum_clause.span, _("a per-group minimum protects places under an 'at most' "
                                                      "quota"),
                       _("write it in a quota that says 'at most' or 'exactly'"))
            ok = False

        method, first_divisor = self._method(apportion_clause, amount, bound)
        ok &= method is not None

        round_clause: n.QRound | None = get(n.QRound)
        default_rounding = {"at most": "floor", "at least": "ceiling"}.get(bound or "", "half-up")
        rounding = round_clause.mode if round_clause else default_rounding

        rank_clause: n.QRank | None = get(n.QRank)
        keys, tiebreak = self._rank_keys(rank_clause, band, decl)
        ties_clause: n.QTies | None = get(n.QTies)

        among: m.Expr | None = None
        among_clause: n.QAmong | None = get(n.QAmong)
        if among_clause is not None:
            scope_ = _Scope(what, allow_level=True)
            among, typ = self._expr(among_clause.condition, scope_)
            if typ is not None and typ.kind != "bool":
                self.error("E202", among_clause.span, _("'among' takes a yes/no condition, not {type}").format(
                               type=typ.describe()))
                ok = False
        flag = effect.name.value if isinstance(effect, n.QFlag) else None
        cap: int | None = None
        if isinstance(effect, n.QCap):
            const = self._level_const(effect.level)
            cap = const.rank if const else None
            ok &= const is not None
        if not ok or keys is None:
            return None
        if ties_clause is None and (decl.kind == "select" or enforced):  # a report moves nobody: no tie decides
            self._text_tiebreak(decl, keys + tiebreak)
        return m.PopRule(
            kind=decl.kind, name=decl.name.value, amount=amount.value, percent=amount.percent, rounding=rounding,
            keys=keys, tiebreak=tiebreak, ties=ties_clause.mode if ties_clause else "break", per=per,
            scope=scope, rank=rank, bound=bound, enforced=enforced,
            minimum=minimum_clause.count if minimum_clause else 0, minimum_per=minimum_per,
            apportion_by=apportion_by, method=method or "largest-remainder", first_divisor=first_divisor,
            end=pick.end if pick else None, among=among, flag=flag, cap=cap, span=decl.span,
        )

    def _method(self, clause: n.QApportion | None, amount: n.Amount, bound: str | None,
                ) -> tuple[str | None, Decimal | None]:
        """The apportionment method of ``apportion by G using M first divisor F`` (its own
        name for an alias) and the first divisor, or (None, None) after an error: a first
        divisor on a method that takes none (E502) or outside (0, 3] (E302); a method that
        gives every group a place first (Huntington–Hill, Adams, Dean) with no places to
        give (E503): it could never apportion them."""
        if clause is None:
            return "largest-remainder", None
        method = method_name(clause.method) if clause.method else "largest-remainder"  # the grammar's names only
        first = clause.first_divisor
        where = clause.first_span or clause.span
        if first is not None and method not in SAINTE_LAGUE:
            self.error("E502", where, _("'first divisor' is a setting of the Sainte-Laguë methods, not of "
                                        "{method}").format(method=clause.method or method),
                       _("write: using sainte-lague first divisor {first}").format(first=fmt_number(first)))
            return None, None
        if first is not None and not 0 < first <= 3:
            self.error("E302", where, _("a first divisor must be above 0 and at most 3, the second divisor of "
                                        "1, 3, 5, …"),
                       _("modified Sainte-Laguë uses 1.4; Sweden uses 1.2"))
            return None, None
        if method in ZERO_FIRST and amount.value == 0 and bound is not None:
            self.error("E503", clause.span, _("{method} gives every group of {by} a place before any group a "
                                              "second, so it cannot apportion 0 places: every run would report "
                                              "this quota NOT MET").format(method=clause.method, by=clause.by.id),
                       _("with no places, leave 'apportion by' out ('at most 0' already gives every group none), "
                         "or give places"))
            return None, None
        return method, first

    def _text_tiebreak(self, decl: n.PopulationRule, keys: tuple[m.SortKey, ...]) -> None:
        """W503: a ranking whose last key is a name compared as text, with no ``ties``
        clause: at the line, equal entities are then told apart by how their names are
        spelt (their characters' code points), which nobody chose. Writing ``ties break``
        says the order of the names is meant to decide."""
        last = keys[-1].ref if keys else None
        if last is None or last.kind != "input":
            return
        inp = self.inputs.get(last.name)
        if inp is None or inp.type.kind != "text":
            return
        self.warning("W503", decl.name.span,
                     _("entities tied at the line of '{rule}' are told apart by '{key}', a name compared as text: "
                       "who keeps the place is decided by how the names are spelt").format(
                         rule=decl.name.value, key=last.name),
                     _("rank by a key that means something as well (then 出勤率 desc), or write 'ties keep' (all the "
                       "tied keep it) or 'ties drop' (none does); 'ties break' says the names' order is meant to "
                       "decide"))

    def _group_key(self, name: n.Name) -> str | None:
        inp = self.inputs.get(name.id)
        if inp is None and name.id in self.score_decls:
            self.error("E201", name.span, _("'{id}' is a score, so it cannot group entities").format(id=name.id),
                       _("group by an input declared as group (or id, text, one of)"))
            return None
        if inp is None:
            self._unknown(name, _("a group key (an input declared as group, id, text or one of)"))
            return None
        if inp.type.kind not in ("text", "enum"):
            self.error("E201", name.span, _("'{id}' is {type}, so it cannot group entities").format(
                           id=name.id, type=inp.type.describe()),
                       _("declare it as: input {id} : group").format(id=name.id))
            return None
        return name.id

    def _rank_keys(self, clause: n.QRank | None, band: m.Band | None, decl: n.PopulationRule
                   ) -> tuple[tuple[m.SortKey, ...] | None, tuple[m.SortKey, ...]]:
        id_field = next((i.name for i in self.inputs.values() if i.role == "id"), None)
        default_tiebreak = (m.SortKey(m.Ref("input", id_field), False),) if id_field else ()
        if clause is None:
            if band is None:
                return None, ()
            return (m.SortKey(band.score, True),), default_tiebreak
        out: list[list[m.SortKey]] = [[], []]
        ok = True
        for i, keys in enumerate((clause.keys, clause.tiebreak)):
            for key in keys:
                expr, typ = self._expr(key.name, _Scope(f"{decl.kind} '{decl.name.value}'"))
                if not isinstance(expr, m.Ref) or typ is None:
                    ok = False
                    continue
                if typ.kind not in ("number", "count", "percent", "text"):
                    self.error("E201", key.span, _("entities cannot be ranked by {type}").format(type=typ.describe()),
                               _("rank by a score, a number or a name"))
                    ok = False
                    continue
                descending = key.descending if key.descending is not None else typ.kind != "text"
                out[i].append(m.SortKey(expr, descending))
        if not ok:
            return None, ()
        tiebreak = tuple(out[1]) if clause.tiebreak else default_tiebreak
        return tuple(out[0]), tiebreak

    def _quotas_together(self, quotas: list[m.PopRule]) -> None:
        """Enforced quotas that cannot all hold, whatever the number of entities rated
        (E503): bounds on nested or disjoint levels, over all and per group (see
        :mod:`starrules.feasibility`), and a per-group minimum above the quota's own count."""
        if self.levels is None:
            return
        size = len(self.levels.values)
        held = [q for q in quotas if q.enforced and q.rank is not None and q.bound in ("at most", "at least", "exactly")]
        for q in held:
            if q.minimum and q.minimum_per and not q.percent and q.bound in ("at most", "exactly") and q.minimum > q.amount:
                where = _(" in each {per}").format(per=q.per) if q.per else ""
                self.error("E503", q.span,
                           _("'{name}' keeps the best {minimum} of each {minimum_per} at {levels} by its minimum, "
                             "but allows {bound} {amount} there{where}: whenever it must move entities, "
                             "the minimum keeps more than it allows").format(
                                 name=q.name, minimum=q.minimum, minimum_per=q.minimum_per, levels=self._levels_text(q),
                               bound=_bound_words(q.bound), amount=fmt_number(q.amount), where=where),
                           _("lower the minimum to {amount} or less, or raise the count to {minimum} or more").format(
                               amount=fmt_number(q.amount), minimum=q.minimum))
        reported: set[frozenset[int]] = set()
        scopes: list[tuple[str | None, list[Bound]]] = [(None, self._bounds(held, None))]
        scopes += [(key, self._bounds(held, key)) for key in dict.fromkeys(q.per for q in held if q.per)]
        for key, bounds in scopes:
            while True:
                conflict = smallest_conflict(bounds, size)
                if not conflict:
                    break
                if frozenset(conflict) not in reported:
                    reported.add(frozenset(conflict))
                    self._report_conflict([held[i] for i in conflict], key)
                last = max(conflict, key=lambda i: held[i].span.line)
                bounds = [b for b in bounds if b.source != last]

    def _bounds(self, quotas: list[m.PopRule], key: str | None) -> list[Bound]:
        """The bounds the quotas set on the whole population (``key`` None) or on any one
        group of ``key``, counts and shares read exactly. A share per group bounds the
        whole population by the same share; an at-least count per group bounds it by that
        count (there is at least one group); an at-most count over all bounds every group."""
        out: list[Bound] = []
        top = len(self.levels.values) - 1 if self.levels is not None else 0
        for i, q in enumerate(quotas):
            assert q.rank is not None
            low, high = {"==": (q.rank, q.rank), ">=": (q.rank, top), "<=": (0, q.rank)}[q.scope]
            amount = Fraction(q.amount)
            count, share = (Fraction(0), amount) if q.percent else (amount, Fraction(0))
            whole = q.per is None  # over all, or apportioned among groups from a count over all
            sides = [side for side, bounds in ((True, ("at least", "exactly")), (False, ("at most", "exactly")))
                     if q.bound in bounds]
            for lower in sides:
                if key is None and (whole or q.percent or lower):
                    out.append(Bound(i, low, high, lower, count, share))
                elif key is not None and (q.per == key or (whole and not q.percent and not lower)):
                    out.append(Bound(i, low, high, lower, count, share))
        return out

    def _levels_text(self, q: m.PopRule) -> str:
        assert self.levels is not None and q.rank is not None
        label = self.levels.label(q.rank)
        if q.scope == ">=":
            return _("{label} or above").format(label=label)
        if q.scope == "<=":
            return _("{label} or below").format(label=label)
        return label

    def _quota_text(self, q: m.PopRule) -> str:
        """'at least 2 at 五星级 in each 支部': what a quota asks."""
        amount = f"{fmt_number(q.amount * 100)}%" if q.percent else fmt_number(q.amount)
        if q.per:
            where = _(" in each {per}").format(per=q.per)
        elif q.apportion_by:
            where = _(" over all (apportioned by {by})").format(by=q.apportion_by)
        else:
            where = ""
        if q.percent:  # a share, or a count ("5 个" in Chinese)
            text = _("{bound} {share} at {levels}{where}")
        else:
            text = _("{bound} {count} at {levels}{where}")
        return text.format(bound=_bound_words(q.bound), share=amount, count=amount, levels=self._levels_text(q),
                           where=where)

    def _report_conflict(self, group: list[m.PopRule], key: str | None) -> None:
        assert self.levels is not None
        top = len(self.levels.values) - 1
        group = sorted(group, key=lambda q: q.span.line)
        last = group[-1]

        def levels_of(q: m.PopRule) -> set[int]:
            assert q.rank is not None
            return {"==": {q.rank}, ">=": set(range(q.rank, top + 1)), "<=": set(range(q.rank + 1))}[q.scope]

        def asks(q: m.PopRule) -> bool:
            return q.bound in ("at least", "exactly")

        def allows(q: m.PopRule) -> bool:
            return q.bound in ("at most", "exactly")

        named = [_("'{name}' (line {line})").format(name=q.name, line=q.span.line) for q in group]
        lines = "\n".join(_("line {line}: {quota}").format(line=q.span.line, quota=self._quota_text(q)) for q in group)
        if len(group) == 2:
            a, b = group
            pair = next(((lo, hi) for lo, hi in ((a, b), (b, a)) if asks(lo) and allows(hi)
                         and levels_of(lo) <= levels_of(hi)), None)
            if pair is not None:
                lo, hi = pair
                within = "" if levels_of(lo) == levels_of(hi) else \
                    _(", which include {levels}").format(levels=self._levels_text(lo))
                self.error("E503", last.span,
                           _("'{name}' (line {line}) asks for {quota}, but '{other}' (line {other_line}) allows "
                             "{other_quota}{within}").format(
                                 name=lo.name, line=lo.span.line, quota=self._quota_text(lo), other=hi.name,
                               other_line=hi.span.line, other_quota=self._quota_text(hi), within=within),
                           _("no number of entities can meet both: one of the two must change"))
                return
        if all(asks(q) for q in group) and all(not (levels_of(x) & levels_of(y))
                                                 for x, y in itertools.combinations(group, 2)) \
                and all(q.percent for q in group):
            total = sum((q.amount for q in group), Decimal(0))
            self.error("E503", last.span, _("these quotas ask for at least {share}% of all entities on "
                                            "different levels, more than 100%").format(share=fmt_number(total * 100)),
                       _("lower the shares; they must add up to 100% or less: {quotas}").format(quotas=listing(named)))
            return
        if not any(asks(q) for q in group) and all(not (levels_of(x) & levels_of(y))
                                                   for x, y in itertools.combinations(group, 2)) \
                and all(q.percent and q.per is None and q.apportion_by is None for q in group):
            total = sum((q.amount for q in group), Decimal(0))
            self.error("E503", last.span, _("these quotas allow at most {share}% of all entities on levels that "
                                            "between them hold every entity, less than 100%").format(
                                                share=fmt_number(total * 100)),
                       _("raise the shares; they must add up to 100% or more: {quotas}").format(quotas=listing(named)))
            return
        scope = _("whatever the number of entities") if key is None else _("in any {key}, whatever its size").format(key=key)
        if len(named) == 1:
            where = _("once anything is rated") if key is None else _("in any {key} with anyone rated").format(key=key)
            self.error("E503", last.span, _("this quota cannot hold {where}: {quota}").format(where=where, quota=named[0]),
                       _("it must change:\n{lines}").format(lines=lines))
            return
        self.error("E503", last.span, _("these quotas cannot all hold, {scope}: {quotas}").format(
                       scope=scope, quotas=listing(named, "and")),
                   _("no number of entities can meet them together; one of them must change:\n{lines}").format(lines=lines))

    # ---- expressions -------------------------------------------------------

    def _unknown(self, name: n.Name, what: str, extra: Iterable[str] = ()) -> None:
        pool = list(self.inputs) + list(self.score_decls) + list(extra)
        close = suggestion(name.id, pool)
        hint = close or _("declare it first, e.g.: input {id} : score 0..10").format(id=name.id)
        self.error("E101", name.span, _("'{id}' is not defined; expected {what}").format(id=name.id, what=what), hint)

    def _expr(self, e: n.Expr, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        """The lowered expression and its type (None where an error was reported)."""
        method = getattr(self, "_x_" + type(e).__name__)
        result: tuple[m.Expr, m.Type | None] = method(e, scope)
        return result

    def _x_Vetoed(self, e: n.Vetoed, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        self._history(e.periods, e.span)
        if e.name is not None and e.name.value not in self.veto_names:
            close = suggestion(e.name.value, self.veto_names)
            self.error("E101", e.name.span, _("there is no veto named '{name}'").format(name=e.name.value),
                       close or _("name one of the scheme's vetoes, or leave the name out"))
        return e, m.BOOL

    def _x_Flagged(self, e: n.Flagged, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        self._history(e.periods, e.span)
        flags = self.flag_names
        if e.name.value not in flags:
            close = suggestion(e.name.value, flags)
            self.error("E101", e.name.span, _("there is no flag named '{name}'").format(name=e.name.value),
                       close or _("name one of the scheme's flags"))
        return e, m.BOOL

    def _x_HistoryLevel(self, e: n.HistoryLevel, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        self._history(e.periods, e.span)
        assert isinstance(e.level, n.LevelRef)
        const = self._level_const(e.level)
        if e.op not in _ORDER_OPS + ("==", "!="):  # pragma: no cover - the grammar allows only these
            self.error("E201", e.span, _("'{op}' cannot compare levels").format(op=e.op))
        return (attrs.evolve(e, level=const) if const else e), m.BOOL

    def _history(self, periods: int, span: Span) -> None:
        self.uses_history = True
        if periods < 1:
            self.error("E302", span, _("a look back needs at least 1 period"), _("e.g. within 1 period"))

    @property
    def veto_names(self) -> list[str]:
        return [r.name.value for r in self.tree.statements if isinstance(r, n.Rule) and r.kind == "veto"]

    @property
    def flag_names(self) -> list[str]:
        names = [r.name.value for r in self.tree.statements if isinstance(r, n.Rule) and r.kind == "flag"]
        for d in self.tree.statements:
            if isinstance(d, n.PopulationRule):
                names += [c.name.value for c in d.clauses if isinstance(c, n.QFlag)]
        return names

    def _x_Number(self, e: n.Number, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        if too_many_digits(e.value):
            self.error("E301", e.span, _("a number with more than {digits} digits").format(digits=MAX_DIGITS),
                       _("ratings need far fewer digits"))
            return e, None
        return e, (m.COUNT if e.value == e.value.to_integral_value() and e.value >= 0 else m.NUMBER)

    def _x_Percent(self, e: n.Percent, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        return e, m.PERCENT

    def _x_Bool(self, e: n.Bool, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        return e, m.BOOL

    def _x_String(self, e: n.String, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        return e, m.TEXT

    def _x_Name(self, e: n.Name, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        if e.id in self.inputs:
            return m.Ref("input", e.id, e.span), self.inputs[e.id].type
        if e.id in self.score_decls:
            if not scope.allow_scores:
                self.error("E205", e.span, _("the {rule} cannot read the score '{id}'").format(rule=scope.rule, id=e.id),
                           _("validity and eligibility are decided from the inputs, before any score"))
                return m.Ref("score", e.id, e.span), None
            if self._current_deps is not None:
                self._current_deps.add(e.id)
            return m.Ref("score", e.id, e.span), self.score_types[e.id]
        members = {mem for i in self.inputs.values() for mem in i.type.members}
        if e.id in members:
            self.error("E201", e.span, _("'{id}' is a choice of an input, not a value on its own").format(id=e.id),
                       _("compare it with its input, e.g. '{id} in 输入名' for a set, or '输入名 == {id}'").format(id=e.id))
            return e, None
        self._unknown(e, _("an input or a score"))
        return e, None

    def _x_LevelExpr(self, e: n.LevelExpr, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        if not scope.allow_level:
            self.error("E204", e.span, _("the {rule} cannot read the level: it is not known yet").format(rule=scope.rule),
                       _("'level' can be read in flag rules, which come after the level is fixed"))
            return e, None
        return e, m.LEVEL

    def _x_SetLiteral(self, e: n.SetLiteral, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        self.error("E201", e.span, _("a list of choices can only follow 'in'"), _("e.g. 等次 in {优秀, 良好}"))
        return e, None

    def _numeric_pair(self, op: str, span: Span, lt: m.Type | None, rt: m.Type | None) -> m.Type | None:
        if lt is None or rt is None:
            return None
        if op in "+-":
            if lt.numeric and rt.numeric:
                return m.COUNT if lt == rt == m.COUNT else m.NUMBER
            if lt == rt == m.PERCENT:
                return m.PERCENT
        else:
            assert op == "*"  # the grammar's only other operator on two numbers ('each' is not a BinOp)
            if lt.numeric and rt.numeric:
                return m.COUNT if lt == rt == m.COUNT else m.NUMBER
            if {lt.kind, rt.kind} <= {"percent", "number", "count"}:
                return m.PERCENT if lt == rt == m.PERCENT else m.NUMBER
        hint = _("a percentage and a number cannot be added: write 60% for a share, 60 for points") \
            if {lt.kind, rt.kind} == {"percent", "number"} or {lt.kind, rt.kind} == {"percent", "count"} else None
        self.error("E201", span, _("'{op}' needs two numbers, but got {left} and {right}").format(
                       op=op, left=lt.describe(), right=rt.describe()), hint)
        return None

    def _x_BinOp(self, e: n.BinOp, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        left, lt = self._expr(e.left, scope)
        right, rt = self._expr(e.right, scope)
        return attrs.evolve(e, left=left, right=right), self._numeric_pair(e.op, e.span, lt, rt)

    def _x_Each(self, e: n.Each, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        amount, at = self._expr(e.amount, scope)
        count, ct = self._expr(e.count, scope)
        typ: m.Type | None = m.NUMBER
        if at is not None and not at.numeric:
            self.error("E201", _span_of(e.amount), _("the amount before 'each' must be a number, not {type}").format(
                           type=at.describe()))
            typ = None
        if ct is not None and ct != m.COUNT:
            self.error("E201", _span_of(e.count), _("'each' counts occurrences, so it needs a count, not {type}").format(
                           type=ct.describe()),
                       _("declare the input as 'count', or multiply with '*'"))
            typ = None
        return attrs.evolve(e, amount=amount, count=count), typ

    def _x_Neg(self, e: n.Neg, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        operand, t = self._expr(e.operand, scope)
        if t is not None and not (t.numeric or t == m.PERCENT):
            self.error("E201", e.span, _("'-' needs a number, not {type}").format(type=t.describe()))
            return attrs.evolve(e, operand=operand), None
        return attrs.evolve(e, operand=operand), (m.NUMBER if t == m.COUNT else t)

    def _enum_side(self, other: n.Expr, typ: m.Type | None, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        """Resolve a bare name against an enumeration's members (``等次 == 优秀``)."""
        if typ is not None and typ.kind == "enum" and isinstance(other, n.Name) \
                and other.id not in self.inputs and other.id not in self.score_decls:
            if other.id in typ.members:
                return m.Member(other.id, other.span), typ
            close = suggestion(other.id, typ.members)
            self.error("E106", other.span, _("'{id}' is not one of the choices {{{choices}}}").format(
                           id=other.id, choices=", ".join(typ.members)),
                       close)
            return other, None
        return self._expr(other, scope)

    def _x_Compare(self, e: n.Compare, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        if isinstance(e.left, n.LevelExpr) or isinstance(e.right, n.LevelExpr):
            return self._level_compare(e, scope)
        left, lt = self._expr(e.left, scope) if not isinstance(e.left, n.Name) or e.left.id in self.inputs \
            or e.left.id in self.score_decls else (e.left, None)
        if isinstance(left, n.Name):  # maybe a member on the left: resolve after the right
            right, rt = self._expr(e.right, scope)
            left, lt = self._enum_side(e.left, rt, scope)
        else:
            right, rt = self._enum_side(e.right, lt, scope)
        out = attrs.evolve(e, left=left, right=right)
        if lt is None or rt is None:
            return out, m.BOOL
        if e.op in ("<", "<=", ">", ">="):
            ok = (lt.numeric and rt.numeric) or lt == rt == m.PERCENT
            if not ok:
                hint = None
                if {lt.kind, rt.kind} in ({"percent", "number"}, {"percent", "count"}):
                    plain = next((x for x in (e.left, e.right) if isinstance(x, n.Number)), None)
                    shown = fmt_number(plain.value) if plain is not None else "60"
                    hint = _("write the number as a percentage: {shown}%").format(shown=shown)
                self.error("E201", e.span, _("'{op}' compares numbers, but got {left} and {right}").format(
                               op=e.op, left=lt.describe(), right=rt.describe()), hint)
        else:
            same = (lt.numeric and rt.numeric) or lt == rt or (
                lt.kind == rt.kind == "enum" and lt.members == rt.members)
            if not same:
                self.error("E201", e.span, _("'{op}' compares two values of one kind, but got {left} and {right}").format(
                               op=e.op, left=lt.describe(), right=rt.describe()))
        self._range_check(left, right, lt, rt)
        return out, m.BOOL

    def _range_check(self, left: m.Expr, right: m.Expr, lt: m.Type, rt: m.Type) -> None:
        """A constant compared with an input must lie within the input's declared range."""
        for ref, const in ((left, right), (right, left)):
            if isinstance(ref, m.Ref) and ref.kind == "input" and isinstance(const, (n.Number, n.Percent)):
                inp = self.inputs[ref.name]
                if isinstance(const, n.Percent) != (inp.type == m.PERCENT):
                    continue  # a type error, reported as such
                value = const.value
                problem = range_problem(value, inp.type, inp.spec, literal=True)
                if problem:
                    self.error("E301", const.span, _("{constant} is outside what '{name}' can be: {problem}").format(
                                   constant=_fmt_const(const), name=inp.name, problem=problem),
                               _("'{name}' is declared as {declared}").format(
                                   name=inp.name, declared=_describe_spec(inp.spec, inp.type)))

    def _level_compare(self, e: n.Compare, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        sides: list[m.Expr] = []
        for side in (e.left, e.right):
            if isinstance(side, n.LevelExpr):
                expr, _t = self._expr(side, scope)
                sides.append(expr)
            elif isinstance(side, n.Number) and side.value == side.value.to_integral_value():
                const = self._level_const(n.LevelRef(int(side.value), side.span))
                sides.append(const if const else side)
            elif isinstance(side, n.Name):
                const = self._level_const(n.LevelRef(side.id, side.span))
                sides.append(const if const else side)
            else:
                self.error("E201", _span_of(side), _("the level is compared with a level, e.g. level <= 1 or "
                                                     "level == 良好"))
                sides.append(side)
        return attrs.evolve(e, left=sides[0], right=sides[1]), m.BOOL

    def _x_Contains(self, e: n.Contains, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        if isinstance(e.collection, n.SetLiteral):
            item, it = self._expr(e.item, scope)
            if it is not None and it.kind != "enum":
                self.error("E201", _span_of(e.item), _("'in {{...}}' needs one of a list of choices, not {type}").format(
                               type=it.describe()))
                return attrs.evolve(e, item=item), None
            members: list[m.Expr] = []
            for x in e.collection.items:
                mem, _t = self._enum_side(x, it, scope) if it is not None else (x, None)
                members.append(mem)
            coll = attrs.evolve(e.collection, items=tuple(members))
            return attrs.evolve(e, item=item, collection=coll), m.BOOL
        coll_expr, ct = self._expr(e.collection, scope)
        if ct is not None and ct.kind != "set":
            self.error("E201", _span_of(e.collection), _("'in' needs a set of choices on its right, not {type}").format(
                           type=ct.describe()))
            return attrs.evolve(e, collection=coll_expr), None
        if ct is None:
            return attrs.evolve(e, collection=coll_expr), None
        as_enum = m.Type("enum", ct.members)
        item, _t = self._enum_side(e.item, as_enum, scope)
        return attrs.evolve(e, item=item, collection=coll_expr), m.BOOL

    def _bool_op(self, e: n.And | n.Or, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        left, lt = self._expr(e.left, scope)
        right, rt = self._expr(e.right, scope)
        word = "and" if isinstance(e, n.And) else "or"
        for side, t in ((e.left, lt), (e.right, rt)):
            if t is not None and t != m.BOOL:
                self.error("E202", _span_of(side), _("'{word}' joins yes/no conditions, not {type}").format(
                               word=word, type=t.describe()))
        return attrs.evolve(e, left=left, right=right), m.BOOL

    _x_And = _bool_op
    _x_Or = _bool_op

    def _x_Not(self, e: n.Not, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        operand, t = self._expr(e.operand, scope)
        if t is not None and t != m.BOOL:
            self.error("E202", _span_of(e.operand), _("'not' needs a yes/no condition, not {type}").format(type=t.describe()))
        return attrs.evolve(e, operand=operand), m.BOOL

    def _x_When(self, e: n.When, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        if isinstance(e.value, n.BinOp) and e.value.op in "+-" and isinstance(e.value.right, (n.Number, n.Percent)):
            # `基础分 - 5 when c` is `(基础分 - 5) when c`: the whole sum drops to 0
            left = e.value.left.id if isinstance(e.value.left, n.Name) else "..."
            amount = _fmt_const(e.value.right)
            self.warning("W201", e.span, _("'when' applies to the whole sum before it: when the condition fails, "
                                           "all of it counts 0"),
                         _("if only the last amount depends on the condition, put it in brackets: {left} {op} "
                           "({amount} when ...)").format(left=left, op=e.value.op, amount=amount))
        value, vt = self._expr(e.value, scope)
        cond, ct = self._expr(e.condition, scope)
        if ct is not None and ct != m.BOOL:
            self.error("E202", _span_of(e.condition), _("the condition after 'when' must be yes/no, not {type}").format(
                           type=ct.describe()),
                       _("e.g. 5 when 满意率 < 60%"))
        if vt is not None and not (vt.numeric or vt == m.PERCENT):
            self.error("E201", _span_of(e.value), _("'when' gives points, so a number comes before it, not {type}").format(
                           type=vt.describe()))
            vt = None
        return attrs.evolve(e, value=value, condition=cond), vt

    def _x_IfElse(self, e: n.IfElse, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        cond, ct = self._expr(e.condition, scope)
        a, at = self._expr(e.then, scope)
        b, bt = self._expr(e.otherwise, scope)
        if ct is not None and ct != m.BOOL:
            self.error("E202", _span_of(e.condition), _("the condition after 'if' must be yes/no, not {type}").format(
                           type=ct.describe()))
        typ: m.Type | None = at
        if at is not None and bt is not None:
            if at.numeric and bt.numeric:
                typ = m.COUNT if at == bt == m.COUNT else m.NUMBER
            elif at != bt:
                self.error("E201", e.span, _("both branches must be of one kind, but got {left} and {right}").format(
                               left=at.describe(), right=bt.describe()))
                typ = None
        return attrs.evolve(e, condition=cond, then=a, otherwise=b), typ

    def _x_Call(self, e: n.Call, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        lowered = [self._expr(a, scope) for a in e.args]
        out = attrs.evolve(e, args=tuple(x for x, _t in lowered))
        types = [t for _x, t in lowered]
        if e.func not in FUNCTIONS:
            close = suggestion(e.func, FUNCTIONS)
            self.error("E105", e.span, _("there is no function '{func}'").format(func=e.func),
                       close or _("functions are: {functions}").format(functions=listing(sorted(FUNCTIONS))))
            return out, None
        if any(t is None for t in types):
            return out, None
        if e.func in ("all", "any"):
            for a, t in zip(e.args, types):
                if t != m.BOOL:
                    assert t is not None
                    self.error("E202", _span_of(a), _("{func}(...) takes yes/no conditions, not {type}").format(
                                   func=e.func, type=t.describe()))
            return out, m.BOOL
        if all(t is not None and t.numeric for t in types):
            return out, (m.COUNT if all(t == m.COUNT for t in types) else m.NUMBER)
        if all(t == m.PERCENT for t in types):
            return out, m.PERCENT
        self.error("E201", e.span, _("{func}(...) takes numbers of one kind, but got {types}").format(
                       func=e.func, types=listing([t.describe() for t in types if t is not None])))
        return out, None

    def _x_Weighted(self, e: n.Weighted, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        lowered = [self._expr(a, scope) for a in e.args]
        out = attrs.evolve(e, args=tuple(x for x, _t in lowered))
        ok = True
        for a, (_x, t) in zip(e.args, lowered):
            if t is not None and not t.numeric:
                self.error("E201", _span_of(a), _("raters' scores must be numbers, not {type}").format(type=t.describe()))
                ok = False
        if len(e.weights) != len(e.args):
            self.error("E303", e.span,
                       _("{weights} weights for {raters} raters").format(weights=len(e.weights), raters=len(e.args)),
                       _("give one weight per rater, e.g. weighted 3:7 (自评, 考评)"))
            return out, None
        if len({w.percent for w in e.weights}) > 1:
            self.error("E303", e.span, _("weights mix percentages and plain numbers"),
                       _("write all as ratios (3:7) or all as percentages (30%:70%)"))
            return out, None
        for w in e.weights:
            if w.value <= 0:
                self.error("E303", w.span, _("a weight must be more than 0"))
                ok = False
        total = sum((w.value for w in e.weights), Decimal(0))
        if e.weights[0].percent and total != 100:
            self.error("E303", e.span, _("percentage weights add up to {total}%, not 100%").format(total=fmt_number(total)),
                       _("make them add up to 100%, or write them as a ratio such as 3:7"))
            ok = False
        if ok and total > 0 and e.round_to is None:
            for w in e.weights:
                if not finite_decimal(Fraction(w.value) / Fraction(total)):
                    self.error("E303", e.span,
                               _("the weights {weights} give shares with no exact decimal (such as thirds)").format(
                                   weights=':'.join(fmt_number(x.value) for x in e.weights)),
                               _("say how to round the result, e.g. add 'round 0.01' after the raters"))
                    ok = False
                    break
        if e.round_to is not None and e.round_to <= 0:
            self.error("E302", e.span, _("the rounding step must be more than 0"), _("e.g. round 0.01"))
            ok = False
        return out, (m.NUMBER if ok else None)

    def _x_Table(self, e: n.Table, scope: _Scope) -> tuple[m.Expr, m.Type | None]:
        assert isinstance(e.subject, n.Name)
        written = e.subject
        subject, st = self._expr(written, scope)
        out = attrs.evolve(e, subject=subject)
        want = "enum" if e.kind == "lookup" else "set"
        if st is None:
            return out, None
        if st.kind != want:
            word = {"lookup": _("'lookup' needs an input that is one of a list"),
                    "highest": _("'highest' needs a set of choices"),
                    "each_of": _("'each of' needs a set of choices")}[e.kind]
            hint = _("use 'lookup' for a one-of input") if st.kind == "enum" else (
                _("use 'highest' or 'each of' for a set") if st.kind == "set" else None)
            self.error("E201", written.span, _("{word}, but '{id}' is {type}").format(
                           word=word, id=written.id, type=st.describe()), hint)
            return out, None
        seen: set[str] = set()
        for entry in e.entries:
            if entry.key.id not in st.members:
                close = suggestion(entry.key.id, st.members)
                self.error("E106", entry.key.span, _("'{key}' is not one of the choices of '{id}'").format(
                               key=entry.key.id, id=written.id),
                           close or _("choices are: {choices}").format(choices=listing(st.members)))
            if entry.key.id in seen:
                self.error("E102", entry.key.span, _("'{key}' is given twice").format(key=entry.key.id))
            if entry.percent:
                self.error("E201", entry.span, _("table entries are points, not percentages"))
            seen.add(entry.key.id)
        return out, m.NUMBER


def _with_overrides(program: m.Program, band_ranks: set[int]) -> set[int]:
    """The levels an entity's own rating can end at: the band's, and what demotions,
    caps and vetoes can make of them."""
    out = set(band_ranks)
    for rule in program.overrides:  # demotions, caps and vetoes, nothing else
        if rule.kind == "demote":
            assert rule.steps is not None  # the grammar's 'demote ... by INT'
            out |= {max(0, r - rule.steps) for r in out}
        elif rule.kind == "cap":
            assert rule.rank is not None  # a cap at no level is an error (E104): no program
            out |= {min(r, rule.rank) for r in out}
        else:
            out.add(0)  # a veto
    return out


_NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_STARS_WORD = re.compile(r"^(?P<n>[零〇一二两三四五六七八九十]+)\s*(?:星级?|颗星)$")


def _stars_named(text: str, levels: m.Levels) -> int | None:
    """The star level a word names: one of the level labels (三星级 declared for 3), or a
    number of stars written in Chinese numerals (三星级, 三星, 十星级). No digits: a level
    written as a number is read as one, and a name cannot start with a digit (3星 is no
    token of the language)."""
    if text in levels.labels:
        value = levels.values[levels.labels.index(text)]
        return value if isinstance(value, int) else None
    found = _STARS_WORD.match(text)
    if found is None:
        return None
    word = found["n"]
    if "十" in word:  # 十, 十五, 二十, 二十五
        tens, _sep, units = word.partition("十")
        if len(tens) > 1 or len(units) > 1:
            return None
        count = (_NUMERALS.get(tens, -100) if tens else 1) * 10 + (_NUMERALS.get(units, -100) if units else 0)
    elif len(word) == 1:
        count = _NUMERALS[word]
    else:
        return None
    return count if count in levels.values else None


def _span_of(e: object) -> Span:
    span = getattr(e, "span", None)
    return span if isinstance(span, Span) else Span.unknown()


def _reach(r: m.BandRange) -> tuple[int, Decimal, int]:
    """How far up a band reaches: unbounded above all, then by its upper end, closed above open."""
    return (1, Decimal(0), 0) if r.high is None else (0, r.high, 1 if r.high_closed else 0)


def _in_both(a: m.BandRange, b: m.BandRange) -> Decimal:
    """A score in two overlapping bands, ``b`` starting no lower than ``a``: the lowest of
    their common part when it holds it, else the middle of that part."""
    low, low_closed = (a.low, a.low_closed) if b.low is None else (b.low, b.low_closed and (
        a.low is None or a.low < b.low or a.low_closed))
    high = min((r.high for r in (a, b) if r.high is not None), default=None)
    return low if low is not None and low_closed else _between(low, high)


def _between(a: Decimal | None, b: Decimal | None) -> Decimal:
    if a is None and b is None:
        return Decimal(0)
    if a is None:
        assert b is not None
        return b - 1
    if b is None:
        return a + 1
    return (a + b) / 2


def _interval_text(lo: n.Bound, hi: n.Bound) -> str:
    left = "(" if lo.value is None or not lo.closed else "["
    right = ")" if hi.value is None or not hi.closed else "]"
    a = ".." if lo.value is None else fmt_number(lo.value)
    b = ".." if hi.value is None else fmt_number(hi.value)
    return f"{left}{a}, {b}{right}"


def _fmt_const(c: n.Number | n.Percent) -> str:
    return f"{fmt_number(c.value * 100)}%" if isinstance(c, n.Percent) else fmt_number(c.value)


def _describe_spec(spec: n.TypeSpec, typ: m.Type) -> str:
    if isinstance(spec, n.ScoreType):
        step = f" step {fmt_number(spec.step)}" if spec.step is not None else ""
        return f"score {fmt_number(spec.low)}..{fmt_number(spec.high)}{step}"
    if isinstance(spec, n.CountType):
        return f"count {spec.low}..{spec.high}" if spec.high is not None else "count"
    return typ.describe()
