"""Values: reading raw input values against their declarations, and writing numbers.

Takes what a caller or a spreadsheet gives (strings, numbers, booleans, lists) and a
declared input; gives the exact value the evaluators use (``Decimal`` for numbers and
counts, a ``Decimal`` ratio for percentages, ``bool``, ``str``, ``frozenset``) or a
message saying what was expected. Binary floats are read through their shortest text,
so ``0.1`` is exactly 0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Context, Decimal, InvalidOperation, localcontext

from starrules import model as m
from starrules import nodes as n
from starrules.diagnostics import listing
from starrules.i18n import _

TRUE_WORDS = {"yes", "y", "true", "t", "1", "是", "有", "√", "✓", "对"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "否", "无", "没有", "×", "✗", "x", "错"}
EMPTY_SET_WORDS = {"无", "-", "—", "没有", "none"}
SET_SEPARATORS = re.compile(r"[,，、;；|/\s]+")


def fmt_number(value: Decimal | int | None) -> str:
    """A number as a person writes it: no exponent, no trailing zeros after the point."""
    if value is None:
        return ""
    d = Decimal(value)
    if not d.is_finite():
        return "∞" if d > 0 else "-∞"
    if d == d.to_integral_value():
        return str(int(d))
    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, len(d.as_tuple().digits) + 2)
        return format(d.normalize(), "f")


def fmt_percent(ratio: Decimal) -> str:
    return fmt_number(ratio * 100) + "%"


def fmt_value(value: object, typ: m.Type | None = None) -> str:
    if typ is not None and typ.kind == "percent" and isinstance(value, Decimal):
        return fmt_percent(value)
    """A value in words for people, in the language of the run: 是/否 (yes/no), the
    members of a set (甲、乙; English: 甲, 乙) or 无 (none)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (Decimal, int)):
        return fmt_number(value)
    if isinstance(value, frozenset):
        order = typ.members if typ is not None else tuple(sorted(value))
        return _(", ").join(x for x in order if x in value) or _("none")
    return str(value)


def canonical_text(value: object) -> str:
    """A value as fixed text, the same in every language: the last key of every ranking
    (an entity's own values), so the language of a run never changes an outcome."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (Decimal, int)):
        return fmt_number(value)
    if isinstance(value, frozenset):
        return "{" + "、".join(sorted(value)) + "}"
    return str(value)


MAX_DIGITS = 30  # more significant digits than any rating needs: refused, never rounded
_THOUSANDS = re.compile(r"[+-]?\d{1,3}([,，]\d{3})+(\.\d*)?")


def too_many_digits(d: Decimal) -> bool:
    """More than ``MAX_DIGITS`` significant digits, or a magnitude beyond 10**±MAX_DIGITS.
    Trailing zeros are not significant, so equal numbers are judged alike (1, 1.0 and
    1.000 are one value), and zero, however written, is never too long."""
    if not d:
        return False
    digits = d.as_tuple().digits
    significant = len(digits)
    while digits[significant - 1] == 0:
        significant -= 1
    return significant > MAX_DIGITS or abs(d.adjusted()) > MAX_DIGITS


# Wide enough that the remainder of any two numbers of at most MAX_DIGITS digits (the
# quotient may have 4 * MAX_DIGITS digits) is exact; the default 28 digits are not.
_REMAINDER = Context(prec=8 * MAX_DIGITS + 20, Emax=10**6, Emin=-(10**6))


def on_step(value: Decimal, step: Decimal) -> bool:
    """Whether ``value`` is a whole multiple of ``step`` (> 0), exactly, for any sizes."""
    with localcontext(_REMAINDER):
        return value % step == 0


def _decimal(raw: object) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        d = raw
    elif isinstance(raw, int):
        d = Decimal(raw)
    elif isinstance(raw, float):
        d = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip()
        if _THOUSANDS.fullmatch(text):  # 1,000 or 1，000: thousands grouping, and only that
            text = text.replace(",", "").replace("，", "")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            return None  # "8,5" is not guessed to be 8.5 or 85
        try:
            d = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    else:
        return None
    if not d.is_finite() or too_many_digits(d):
        return None
    return d


def range_problem(value: object, typ: m.Type, spec: n.TypeSpec, literal: bool = False) -> str | None:
    """Why a value lies outside its declaration, or None. ``literal`` is for a
    constant in a comparison: it must be in range but need not be on a step."""
    if isinstance(spec, n.ScoreType) and isinstance(value, Decimal):
        if not spec.low <= value <= spec.high:
            return _("a score from {low} to {high}").format(low=fmt_number(spec.low), high=fmt_number(spec.high))
        # a step of 0 or less is the checker's E302; a value is then not held to it
        if spec.step is not None and spec.step > 0 and not literal and not on_step(value - spec.low, spec.step):
            return _("a multiple of {step} from {low} to {high}").format(
                step=fmt_number(spec.step), low=fmt_number(spec.low), high=fmt_number(spec.high))
        return None
    if isinstance(spec, n.CountType) and isinstance(value, Decimal):
        if value != value.to_integral_value() and not literal:
            return _("a whole number")
        if value < spec.low or (spec.high is not None and value > spec.high):
            return _whole_number(spec)
        return None
    if isinstance(spec, n.PercentType) and isinstance(value, Decimal):
        if not 0 <= value <= 1:
            return _("a percentage from 0% to 100%")
        return None
    if isinstance(spec, n.EnumType) and isinstance(value, str):
        return None if value in typ.members else _("one of {choices}").format(choices=listing(typ.members))
    if isinstance(spec, n.SetType) and isinstance(value, frozenset):
        bad = sorted(value - set(typ.members))
        return None if not bad else _("choices among {choices}").format(choices=listing(typ.members))
    return None


def coerce(inp: m.Input, raw: object) -> tuple[object, str | None]:
    """The exact value of a raw input, or (None, what was expected)."""
    typ, spec = inp.type, inp.spec
    missing = raw is None or (isinstance(raw, str) and not raw.strip())
    if missing:
        if inp.has_default:
            return inp.default, None
        if typ.kind == "set":
            return frozenset(), None
        return None, _("{expected} (the value is missing)").format(expected=_expected(inp))
    kind = typ.kind
    value: object
    if kind in ("number", "count"):
        d = _decimal(raw)
        if d is None:
            return None, _expected(inp)
        value = d
    elif kind == "percent":
        if isinstance(raw, str) and raw.strip().endswith(("%", "％")):
            d = _decimal(raw.strip()[:-1])
        else:
            d = _decimal(raw)
            # A bare 0.85 is what a spreadsheet's percent cell holds for 85%, but a
            # bare number here means percent (85 = 85%): refuse to guess.
            if d is not None and 0 < d <= 1:
                return None, _("a percentage written with its sign: {raw} is ambiguous "
                               "(write {percent}% if it is a fraction, {number}% if not)").format(
                                   raw=raw, percent=fmt_number(d * 100), number=fmt_number(d))
        if d is None:
            return None, _expected(inp)
        value = d / 100
    elif kind == "bool":
        if isinstance(raw, bool):
            value = raw
        elif (isinstance(raw, int) or (isinstance(raw, Decimal) and raw.is_finite())) and raw in (0, 1):
            value = bool(raw)
        elif isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS:
            value = True
        elif isinstance(raw, str) and raw.strip().lower() in FALSE_WORDS:
            value = False
        else:
            return None, _expected(inp)
    elif kind == "enum":
        if not isinstance(raw, str):
            return None, _expected(inp)
        value = raw.strip()
    elif kind == "set":
        if isinstance(raw, str):
            text = raw.strip()
            if text.lower() in EMPTY_SET_WORDS and text not in typ.members:
                value = frozenset()
            else:
                value = frozenset(x for x in SET_SEPARATORS.split(text) if x)
        elif isinstance(raw, Iterable) and not isinstance(raw, (bytes, dict)):
            items = list(raw)
            if not all(isinstance(x, str) for x in items):
                return None, _expected(inp)
            value = frozenset(x.strip() for x in items)
        else:
            return None, _expected(inp)
    else:  # text, id, group
        if isinstance(raw, (str, int)) and not isinstance(raw, bool):
            try:
                value = str(raw).strip()
            except ValueError:  # a whole number of over 4,300 digits: no text Python writes
                return None, _expected(inp)
        else:
            return None, _expected(inp)
    problem = range_problem(value, typ, spec)
    if problem:
        return None, problem
    return value, None


def _expected(inp: m.Input) -> str:
    spec = inp.spec
    if isinstance(spec, n.ScoreType):
        low, high = fmt_number(spec.low), fmt_number(spec.high)
        if spec.step is not None:
            return _("a score from {low} to {high} in steps of {step}").format(
                low=low, high=high, step=fmt_number(spec.step))
        return _("a score from {low} to {high}").format(low=low, high=high)
    if isinstance(spec, n.CountType):
        return _whole_number(spec)
    if isinstance(spec, n.PercentType):
        return _("a percentage such as 85% (a bare number is read as percent: 85 = 85%)")
    if isinstance(spec, n.BoolType):
        return _("yes or no (是/否, yes/no, true/false, 1/0)")
    if isinstance(spec, n.EnumType):
        return _("one of {choices}").format(choices=listing(inp.type.members))
    if isinstance(spec, n.SetType):
        return _("choices among {choices} separated by 、 or commas (or empty)").format(
            choices=listing(inp.type.members))
    return _("a text")


def _whole_number(spec: n.CountType) -> str:
    if spec.high is not None:
        return _("a whole number from {low} to {high}").format(low=spec.low, high=spec.high)
    return _("a whole number from {low} or more").format(low=spec.low)
