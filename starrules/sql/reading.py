"""Reading cells in SQL as :mod:`starrules.values` reads them, and the reason texts.

Takes the program's inputs and the source table (text cells, as CSV gives them); gives
CTEs that trim every cell as ``str.strip`` does, read it by its declaration (numbers
with thousands grouping and full-width digits, ``85%``, 是/否 and the other yes/no
words, choices, sets written ``市级、省级``, defaults for missing cells) and give, per
input, the value or the problem — the ``expected`` text of the ``InputProblem`` the
Python engines raise. The texts come from the Python message functions themselves
(``values._expected``, ``values.range_problem``, ``InputProblem.__str__``), filled with
sentinels and split around them, so they follow the language.

A number cell is read through ``DECIMAL(38, 6)``: a value with more than six decimal
places after its trailing zeros comes out invalid with a reason saying so (the Python
engines read any number of places), never rounded.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from sqlglot import exp

from starrules import model as m
from starrules import nodes as n
from starrules import values
from starrules.errors import InputProblem
from starrules.i18n import _

READ_PLACES = 6  # decimal places a number cell may have in SQL
REFUSED = "\x00"  # the text a record's value goes in as when the Python engines refuse it for its input by its kind
SET_JOIN = "、"  # a set's members as one text, in declared order
_EVERY = "".join(map(chr, range(sys.maxunicode + 1)))  # scanned by re at C speed (a loop took 0.5 s)
WHITESPACE = "".join(re.findall(r"\s", _EVERY))  # re's \s is str.isspace, \d is Unicode category Nd
# every digit Python's \d and Decimal read (Unicode category Nd), translated to 0-9
_OTHER_DIGITS = "".join(re.findall(r"[^0-9]", "".join(re.findall(r"\d", _EVERY))))
del _EVERY
_ASCII_DIGITS = "".join(str(unicodedata.decimal(c)) for c in _OTHER_DIGITS)


# ---- small builders -----------------------------------------------------------------


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


def s(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def places(d: Decimal) -> int:
    exponent = d.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def exact(q: Fraction) -> Decimal:
    from starrules.runtime import to_decimal
    return to_decimal(q)


def dec_type(precision: int, scale: int) -> exp.DataType:
    return exp.DataType(this=exp.DataType.Type.DECIMAL, expressions=[
        exp.DataTypeParam(this=exp.Literal.number(precision)), exp.DataTypeParam(this=exp.Literal.number(scale))])


def decimal_const(d: Decimal) -> exp.Expr:
    """An exact decimal constant (a CAST, so no dialect reads it as a double)."""
    d = Decimal(d)
    sc = places(d)
    text = values.fmt_number(d)
    digits = len(text.lstrip("-").replace(".", "").lstrip("0")) or 1
    return exp.Cast(this=exp.Literal.string(text), to=dec_type(max(digits, sc + 1), sc))


def _cat(*parts: exp.Expr) -> exp.Expr:
    out = parts[0]
    for p in parts[1:]:
        out = exp.DPipe(this=out, expression=p, safe=True)
    return out


def _case(*pairs: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in pairs], default=default)


def _full(text: exp.Expr, pattern: str) -> exp.Expr:
    return exp.RegexpLike(this=text, expression=s("^(" + pattern + ")$"))


def _strip(x: exp.Expr) -> exp.Expr:
    """``str.strip()`` of a text. A text whose first and last characters are not
    whitespace (nearly every cell) is left as it is, without the two regular expressions."""
    # the class as escapes (RE2, Java and ICU spell a character \x{hhhh})
    cls = "[" + "".join(c if c == " " else f"\\x{{{ord(c):04x}}}" for c in WHITESPACE) + "]+"
    inner = exp.RegexpReplace(this=x.copy(), expression=s("^" + cls), replacement=s(""))
    stripped = exp.RegexpReplace(this=inner, expression=s(cls + "$"), replacement=s(""))
    spaces = [s(c) for c in WHITESPACE]
    one = exp.Literal.number(1)
    bare = exp.and_(exp.Not(this=exp.In(this=exp.Left(this=x.copy(), expression=one), expressions=spaces)),
                    exp.Not(this=exp.In(this=exp.Right(this=x.copy(), expression=one.copy()),
                                        expressions=[c.copy() for c in spaces])))
    return _case((bare, x.copy()), default=stripped)


def _len(x: exp.Expr) -> exp.Expr:
    return exp.Length(this=x)


# ---- declarations ---------------------------------------------------------------------


def input_places(inp: m.Input) -> int:
    """The decimal places of a numeric input's values as read."""
    spec = inp.spec
    extra = [places(inp.default)] if isinstance(inp.default, Decimal) else []
    if isinstance(spec, n.ScoreType):
        if spec.step is not None:
            return max(places(spec.step), places(spec.low), places(spec.high), *extra)
        return READ_PLACES
    if isinstance(spec, n.CountType):
        return 0
    if isinstance(spec, n.PercentType):
        return READ_PLACES + 2
    return 0


def input_type(inp: m.Input) -> exp.DataType:
    spec = inp.spec
    sc = input_places(inp)
    if isinstance(spec, n.ScoreType):
        top = max(abs(spec.low), abs(spec.high))
        return dec_type(min(38, len(str(int(top))) + sc), sc)
    if isinstance(spec, n.CountType):
        return dec_type(38 if spec.high is None else max(len(str(abs(spec.high))), len(str(abs(spec.low)))), 0)
    if isinstance(spec, n.PercentType):
        return dec_type(sc + 1, sc)
    if isinstance(spec, n.BoolType):
        return exp.DataType.build("BOOLEAN")
    return exp.DataType.build("VARCHAR")


def check_supported(inp: m.Input) -> None:
    from starrules.sql.lower import SqlUnsupported
    spec = inp.spec
    if isinstance(inp.default, Decimal) and places(inp.default) > input_places(inp):
        raise SqlUnsupported(_("a default with {places} decimal places").format(places=places(inp.default)),
                             inp.span.line)
    if isinstance(spec, n.ScoreType):
        if input_places(inp) > READ_PLACES:
            raise SqlUnsupported(_("an input with more than {places} decimal places").format(places=READ_PLACES),
                                 inp.span.line)
        if spec.step is not None and spec.step > 0:
            inv = 1 / Fraction(spec.step)
            den = inv.denominator
            for p in (2, 5):
                while den % p == 0:
                    den //= p
            if den != 1:
                raise SqlUnsupported(_("an input in steps of {step}").format(step=values.fmt_number(spec.step)),
                                     inp.span.line)


# ---- messages from the Python functions, split around sentinels -------------------------

_V, _E = "\x01", "\x02"


class _Shown:
    def __repr__(self) -> str:
        return _V


def _problem_text(field: str, missing: bool, expected: exp.Expr, shown: exp.Expr) -> exp.Expr:
    """``str(InputProblem(field, raw, expected))`` in SQL."""
    text = str(InputProblem(field, None if missing else _Shown(), _E))
    parts: list[exp.Expr] = []
    rest = text
    while rest:
        cut = min((rest.index(c) for c in (_V, _E) if c in rest), default=len(rest))
        if cut:
            parts.append(s(rest[:cut]))
        if cut < len(rest):
            parts.append(shown.copy() if rest[cut] == _V else expected.copy())
            cut += 1
        rest = rest[cut:]
    return _cat(*parts)


def _filled(message: str, samples: list[tuple[str, exp.Expr]]) -> exp.Expr:
    """A message that a Python function wrote with the sample texts, with each sample
    replaced by its SQL expression (wherever the language put it)."""
    found = sorted((message.index(t), t, e) for t, e in samples)
    parts: list[exp.Expr] = []
    at = 0
    for pos, t, e in found:
        if pos > at:
            parts.append(s(message[at:pos]))
        parts.append(e)
        at = pos + len(t)
    if at < len(message):
        parts.append(s(message[at:]))
    return _cat(*parts)


# the characters repr escapes that data cells hold in practice (others are shown as is)
_REPR_ESCAPES = [(c, repr(c)[1:-1]) for c in ("\\", "\t", "\n", "\r", "\xa0", "\u3000", "\ufeff", REFUSED)]


def py_repr(x: exp.Expr) -> exp.Expr:
    """``repr`` of a text: quoted as Python quotes it, backslashes, tabs, newlines and the
    other whitespace escaped (other unprintable characters are shown as they are)."""
    body: exp.Expr = x
    for c, esc in _REPR_ESCAPES:
        body = exp.Replace(this=body, expression=s(c), replacement=s(esc))
    has_single = exp.GT(this=exp.StrPosition(this=x.copy(), substr=s("'")), expression=exp.Literal.number(0))
    has_double = exp.GT(this=exp.StrPosition(this=x.copy(), substr=s('"')), expression=exp.Literal.number(0))
    both = exp.Replace(this=body.copy(), expression=s("'"), replacement=s("\\'"))
    return _case((exp.and_(has_single, exp.Not(this=has_double)), _cat(s('"'), body, s('"'))),
                 (has_single.copy(), _cat(s("'"), both, s("'"))),
                 default=_cat(s("'"), body.copy(), s("'")))


# ---- the CTEs -------------------------------------------------------------------------

RAW, TEXT, NUM, DEC, PROBLEM, WHY = "#raw:", "#t:", "#n:", "#d:", "#problem:", "#why:"


def _digits(t: exp.Expr) -> exp.Expr:
    """The cell with every digit an ASCII digit. A cell of printable ASCII alone (nearly
    every cell) is left as it is: TRANSLATE over the hundreds of other digits costs a
    DuckDB thirty times the whole rest of reading a number."""
    plain = exp.RegexpLike(this=t.copy(), expression=s("^[ -~]*$"))
    return _case((plain, t.copy()), default=exp.Translate(this=t, from_=s(_OTHER_DIGITS), to=s(_ASCII_DIGITS)))


def _number_text(tr: exp.Expr) -> exp.Expr:
    """The cell (its digits ASCII) as a plain number text: thousands grouping removed."""
    grouped = r"[+-]?[0-9]{1,3}([,，][0-9]{3})+(\.[0-9]*)?"
    plain = exp.Replace(this=exp.Replace(this=tr.copy(), expression=s(","), replacement=s("")),
                        expression=s("，"), replacement=s(""))
    txt = _case((_full(tr.copy(), grouped), plain), default=tr.copy())
    return txt


def _number_parts(nt: exp.Expr) -> list[tuple[str, exp.Expr]]:
    """From a number text column: the form check, the sign, whole and fraction digits."""
    return [
        ("#form:", _full(nt, r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")),
        ("#sign:", _case((exp.Like(this=nt.copy(), expression=s("-%")), s("-")), default=s(""))),
        ("#whole:", exp.RegexpExtract(this=nt.copy(), expression=s(r"^[+-]?([0-9]*)"), group=exp.Literal.number(1))),
        ("#frac:", _case((exp.GT(this=exp.StrPosition(this=nt.copy(), substr=s(".")), expression=exp.Literal.number(0)),
                          exp.RegexpExtract(this=nt.copy(), expression=s(r"\.([0-9]*)$"),
                                            group=exp.Literal.number(1))), default=s(""))),
    ]


def _number_checks(name: str) -> list[tuple[str, exp.Expr]]:
    """From the parts: readable (values._decimal takes it: the form, at most MAX_DIGITS
    digits), more places than SQL reads, and the DECIMAL value."""
    whole, frac, sign = col("#whole:" + name), col("#frac:" + name), col("#sign:" + name)
    digits = exp.Trim(this=_cat(whole.copy(), frac.copy()), expression=s("0"), position="LEADING")
    n_digits = _case((exp.EQ(this=digits, expression=s("")), exp.Literal.number(1)), default=_len(digits.copy()))
    adjusted = exp.Sub(this=exp.Sub(this=n_digits.copy(), expression=_len(frac.copy())),
                       expression=exp.Literal.number(1))
    too_many = exp.or_(exp.GT(this=n_digits.copy(), expression=exp.Literal.number(values.MAX_DIGITS)),
                       exp.GT(this=exp.Abs(this=adjusted), expression=exp.Literal.number(values.MAX_DIGITS)))
    readable = exp.and_(col("#form:" + name), exp.Not(this=exp.Paren(this=too_many)))
    kept = exp.Trim(this=frac.copy(), expression=s("0"), position="TRAILING")
    too_fine = exp.GT(this=_len(kept), expression=exp.Literal.number(READ_PLACES))
    whole0 = _case((exp.EQ(this=whole.copy(), expression=s("")), s("0")), default=whole.copy())
    canon = _cat(sign.copy(), whole0, s("."), exp.Left(this=_cat(frac.copy(), s("0" * READ_PLACES)),
                                                       expression=exp.Literal.number(READ_PLACES)))
    value = exp.TryCast(this=canon, to=dec_type(38, READ_PLACES))
    return [("#ok:", readable), ("#fine:", too_fine), (DEC, _case((readable.copy(), value)))]


COLUMN_KINDS = ("text", "integer", "decimal", "boolean", "double", "marked")
MARKED = "marked"  # a text column with a record's value marked REFUSED for a text input: read as text, marks refused
TEXTS = ("text", MARKED)
NUMBER_KINDS = ("number", "count", "percent")  # the inputs a DOUBLE column is read by as a number (else as text)
Kinds = Mapping[str, str]


def _py_str(raw: exp.Expr, kind: str) -> exp.Expr:
    """``str(value)`` of a cell as Python holds it (text, int, Decimal, bool or float: a
    DOUBLE's text in DuckDB is Python's ``repr``, the shortest that reads back as it,
    ``1e-05``, ``10000000.0``, ``nan``)."""
    if kind in TEXTS:
        return raw
    if kind == "boolean":
        return _case((raw, s("True")), (exp.Not(this=raw.copy()), s("False")))
    return exp.Cast(this=raw, to=exp.DataType.build("VARCHAR"))


def _repr(raw: exp.Expr, kind: str) -> exp.Expr:
    """``repr(value)`` of a cell as Python holds it."""
    if kind in TEXTS:
        return py_repr(raw)
    if kind == "decimal":
        return _cat(s("Decimal('"), _py_str(raw, kind), s("')"))
    return _py_str(raw, kind)


def read_ctes(program: m.Program, source: str, types: Kinds | None = None) -> list[tuple[str, exp.Select]]:
    """The CTEs that read the source's cells, ending in ``#read``: per row ``#row``,
    ``#id``, the groups and, per input, its value (NULL when it has a problem), its
    problem (``#problem:``) and the piece of the row's reason it gives (``#why:``).
    ``types`` gives the kind of a typed column (see COLUMN_KINDS); text by default.

    A text input is read on each row (trimming it is all there is to it). Every other
    input is read once per distinct cell (``#text@k`` .. ``#value@k``, k its place among
    the inputs) and joined back: a column of a population holds few distinct values, and
    reading a number takes some thirty string operations."""
    kinds = {i.name: (types or {}).get(i.name, "text") for i in program.inputs}
    src = exp.Table(this=ident(source))
    per_row = [i for i in program.inputs if i.type.kind == "text"]
    text = exp.select(col("#row"))
    for inp in program.inputs:
        text = text.select(exp.alias_(col(inp.name), ident(RAW + inp.name)), append=True, copy=False)
        if inp in per_row:
            text = text.select(exp.alias_(_cell(inp, kinds[inp.name]), ident(TEXT + inp.name)), append=True, copy=False)
    ident_field = program.id_field
    text = text.select(exp.alias_(_unmarked(_strip(_py_str(col(ident_field), kinds[ident_field])), kinds[ident_field])
                                  if ident_field else exp.Cast(
        this=exp.Null(), to=exp.DataType.build("VARCHAR")), ident("#id")), append=True, copy=False)
    for g in program.group_fields:
        text = text.select(exp.alias_(exp.Coalesce(this=_unmarked(_strip(_py_str(col(g), kinds[g])), kinds[g]),
                                                   expressions=[s("")]),
                                      ident("#group:" + g)), append=True, copy=False)
    ctes, rows = _chain(per_row, kinds, [("#text", text.from_(src))], "")
    out = exp.select(*[col(c, "#r") for c in ["#row", "#id"] + ["#group:" + g for g in program.group_fields]])
    joins: list[tuple[str, int]] = []
    for k, inp in enumerate(program.inputs):
        if inp in per_row:
            out = out.select(*[col(c + inp.name, "#r") for c in (PROBLEM, "", WHY)], append=True, copy=False)
            continue
        cell = exp.select(exp.alias_(col(inp.name), ident(RAW + inp.name)),
                          exp.alias_(_cell(inp, kinds[inp.name]), ident(TEXT + inp.name))).from_(
            exp.select(col(inp.name)).distinct().from_(src.copy()).subquery("#cells"))
        more, last = _chain([inp], kinds, [(f"#text@{k}", cell)], f"@{k}")
        ctes += more
        ctes.append((f"#value@{k}", _values([inp], kinds, last, [RAW + inp.name])))
        out = out.select(*[col(c + inp.name, f"#v{k}") for c in (PROBLEM, "", WHY)], append=True, copy=False)
        joins.append((inp.name, k))
    ctes.append(("#rows", _values(per_row, kinds, rows, ["#row", "#id"] + [RAW + i.name for i in program.inputs]
                                 + ["#group:" + g for g in program.group_fields])))
    out = out.from_(exp.Table(this=ident("#rows"), alias=exp.TableAlias(this=ident("#r"))))
    for name, k in joins:
        out = out.join(exp.Table(this=ident(f"#value@{k}"), alias=exp.TableAlias(this=ident(f"#v{k}"))),
                       on=exp.NullSafeEQ(this=col(RAW + name, "#r"), expression=col(RAW + name, f"#v{k}")),
                       join_type="LEFT", copy=False)
    return ctes + [("#read", out)]


def _unmarked(x: exp.Expr, kind: str) -> exp.Expr:
    """A name or group as the Python engines name the row: in a ``MARKED`` column, a
    record's value they refuse, marked with ``REFUSED`` as it went in, by its own text
    (``1.5``, ``True``). (Only a column with a mark pays for it: a name is read on each row.)"""
    return exp.Replace(this=x, expression=s(REFUSED), replacement=s("")) if kind == MARKED else x


def _cell(inp: m.Input, kind: str) -> exp.Expr:
    """The cell as text: trimmed, NULL when blank (a typed cell: its text)."""
    raw = col(inp.name)
    if kind in TEXTS:
        return exp.Nullif(this=_strip(raw), expression=s(""))
    if kind == "double":
        return _plain(exp.Cast(this=raw, to=exp.DataType.build("VARCHAR")))
    return exp.Cast(this=raw, to=exp.DataType.build("VARCHAR"))


def float_repr(x: exp.Expr) -> exp.Expr:
    """Python's ``repr`` of a DOUBLE, for an engine whose own text of a double is not it
    (Spark writes Java's ``Double.toString``: ``1.0E7`` for ``10000000.0``, and on Java
    17 sometimes more digits than the shortest). The digits are the fewest that read back
    as the same double (``FORMAT_STRING('%.{p}e')`` for p = 0 .. 16, the first that does:
    the digits Python's repr writes wherever they are fewer than 16), laid out as repr lays
    them out: plain from 1e-4 up to 1e16, ``1e-05`` and ``1.5e+16`` outside; ``nan``,
    ``inf``, ``-inf``."""
    tries = [exp.Format(this=s(f"%.{p}e"), expressions=[x.copy()]) for p in range(17)]
    sci = _case(*[(exp.EQ(this=exp.Cast(this=f, to=exp.DataType.build("DOUBLE")), expression=x.copy()), f.copy())
                  for f in tries])
    form = r"^(-?)([0-9])\.?([0-9]*)e([+-][0-9]+)$"

    def part(k: int) -> exp.Expr:
        return exp.RegexpExtract(this=sci.copy(), expression=s(form), group=exp.Literal.number(k))

    digits, sign, one = _cat(part(2), part(3)), part(1), exp.Literal.number(1)
    power = exp.Cast(this=part(4), to=exp.DataType.build("INT"))
    n = _len(digits.copy())
    zeros = exp.Add(this=exp.Sub(this=power.copy(), expression=n.copy()), expression=one.copy())  # after the digits
    whole = _cat(digits.copy(), exp.Repeat(this=s("0"), times=zeros), s(".0"))
    split = _cat(exp.Left(this=digits.copy(), expression=exp.Add(this=power.copy(), expression=one.copy())), s("."),
                 exp.Substring(this=digits.copy(), start=exp.Add(this=power.copy(), expression=exp.Literal.number(2))))
    small = _cat(s("0."), exp.Repeat(this=s("0"), times=exp.Sub(this=exp.Neg(this=power.copy()), expression=one.copy())),
                 digits.copy())
    mantissa = _cat(part(2), _case((exp.GT(this=_len(part(3)), expression=exp.Literal.number(0)),
                                    _cat(s("."), part(3))), default=s("")))
    magnitude = exp.Abs(this=power.copy())
    exponent = _cat(s("e"), _case((exp.LT(this=power.copy(), expression=exp.Literal.number(0)), s("-")), default=s("+")),
                    _case((exp.LT(this=magnitude.copy(), expression=exp.Literal.number(10)), s("0")), default=s("")),
                    exp.Cast(this=magnitude, to=exp.DataType.build("VARCHAR")))
    laid = _case(
        (exp.or_(exp.LT(this=power.copy(), expression=exp.Literal.number(-4)),
                 exp.GTE(this=power.copy(), expression=exp.Literal.number(16))), _cat(mantissa, exponent)),
        (exp.LT(this=power.copy(), expression=exp.Literal.number(0)), small),
        (exp.GTE(this=power.copy(), expression=exp.Sub(this=n, expression=one.copy())), whole),
        default=split)
    nan = exp.IsNan(this=x.copy())  # (Spark holds NaN = NaN true)
    big = exp.Cast(this=s("Infinity"), to=exp.DataType.build("DOUBLE"))
    return _case((exp.Is(this=x.copy(), expression=exp.Null()), exp.Null()),
                 (nan, s("nan")), (exp.EQ(this=x.copy(), expression=big.copy()), s("inf")),
                 (exp.EQ(this=x.copy(), expression=exp.Neg(this=big)), s("-inf")),
                 default=_cat(sign, laid))


def _plain(t: exp.Expr) -> exp.Expr:
    """A float's ``repr`` written without an exponent, the decimal ``Decimal(repr(f))``
    is (as the Python engines read a float): ``1.234e-05`` -> ``0.00001234``, ``1e+16``
    -> ``10000000000000000``. ``repr`` writes an exponent only below 1e-4 and from 1e16
    up, with at most 17 digits, so the point moves left of them all or right past them
    all. Any other text (``8.5``, ``nan``, ``inf``) is left as it is."""
    form = r"^(-?)([0-9])\.?([0-9]*)e([+-][0-9]+)$"

    def part(k: int) -> exp.Expr:
        return exp.RegexpExtract(this=t.copy(), expression=s(form), group=exp.Literal.number(k))

    digits = _cat(part(2), part(3))
    power = exp.Cast(this=part(4), to=exp.DataType.build("INT"))
    left = _cat(s("0."), exp.Repeat(this=s("0"), times=exp.Sub(this=exp.Neg(this=power.copy()),
                                                                   expression=exp.Literal.number(1))), digits.copy())
    right = _cat(digits.copy(), exp.Repeat(this=s("0"), times=exp.Sub(this=power.copy(), expression=exp.Sub(
        this=_len(digits.copy()), expression=exp.Literal.number(1)))))
    shifted = _cat(part(1), _case((exp.LT(this=power, expression=exp.Literal.number(0)), left), default=right))
    return _case((exp.RegexpLike(this=t.copy(), expression=s(form)), shifted), default=t.copy())


def _chain(inputs: list[m.Input], kinds: Kinds, ctes: list[tuple[str, exp.Select]],
           suffix: str) -> tuple[list[tuple[str, exp.Select]], str]:
    """The steps that read ``inputs`` from the last of ``ctes`` (which holds their raw
    and trimmed cells): numbers in four steps (each reads the columns of the one before:
    the cell with ASCII digits, the number text, its parts, its checks and value), sets
    with every separator a comma, then every input's problem and value. Each step is
    ``SELECT *`` and its columns; a step with none is left out. Gives the CTEs and the
    name of the last."""
    steps: list[list[exp.Expr]] = [[], [], [], []]
    for inp in inputs:
        if inp.type.kind in ("number", "count", "percent"):
            t: exp.Expr = col(TEXT + inp.name)
            if inp.type.kind == "percent":
                signed = exp.In(this=exp.Right(this=t.copy(), expression=exp.Literal.number(1)),
                                expressions=[s("%"), s("％")])
                inner = _strip(exp.Substring(this=t.copy(), start=exp.Literal.number(1),
                                             length=exp.Sub(this=_len(t.copy()), expression=exp.Literal.number(1))))
                steps[0].append(exp.alias_(signed, ident("#pct:" + inp.name)))
                t = _case((signed.copy(), inner), default=t.copy())
            steps[0].append(exp.alias_(_digits(t), ident("#ascii:" + inp.name)))
            steps[1].append(exp.alias_(_number_text(col("#ascii:" + inp.name)), ident(NUM + inp.name)))
            steps[2] += [exp.alias_(e, ident(prefix + inp.name)) for prefix, e in _number_parts(col(NUM + inp.name))]
            steps[3] += [exp.alias_(e, ident(prefix + inp.name)) for prefix, e in _number_checks(inp.name)]
        elif inp.type.kind == "set":
            seps = ",，、;；|/" + WHITESPACE
            norm = _cat(s(","), exp.Replace(this=exp.Translate(this=col(TEXT + inp.name), from_=s(seps),
                                                               to=s("," * len(seps))),
                                            expression=s(","), replacement=s(",,")), s(","))
            steps[1].append(exp.alias_(norm, ident("#norm:" + inp.name)))
    read: list[exp.Expr] = []
    for inp in inputs:
        problem, value = _read(inp, kinds[inp.name])
        read += [exp.alias_(problem, ident(PROBLEM + inp.name)), exp.alias_(value, ident(inp.name))]
    steps.append(read)
    ctes = list(ctes)
    for i, columns in enumerate(steps):
        if columns:
            prev = ctes[-1][0]
            ctes.append((f"#read{i}{suffix}", exp.select(exp.Star(), *columns).from_(exp.Table(this=ident(prev)))))
    return ctes, ctes[-1][0]


def _values(inputs: list[m.Input], kinds: Kinds, source: str, keep: list[str]) -> exp.Select:
    """The columns ``keep`` and, per input, its problem, its value (NULL when it has a
    problem; a number cast to its input's exact type only here, where it has none: a value
    out of range may not fit that type, 150 in DECIMAL(8, 6) of ``score 0..10``) and the
    piece of the row's reason it gives (``#why:``: the text of its ``InputProblem``)."""
    out = exp.select(*[col(c) for c in keep])
    for inp in inputs:
        problem = col(PROBLEM + inp.name)
        value: exp.Expr = col(inp.name)
        if inp.type.kind in ("number", "count", "percent"):
            value = exp.Cast(this=value, to=input_type(inp))
        shown = _repr(col(RAW + inp.name), kinds[inp.name])
        why = _case((exp.Is(this=problem.copy(), expression=exp.Null()), exp.Null()),
                    (exp.Is(this=col(TEXT + inp.name), expression=exp.Null()),
                     _problem_text(inp.name, True, problem.copy(), shown.copy())),
                    default=_problem_text(inp.name, False, problem.copy(), shown.copy()))
        out = out.select(problem, exp.alias_(_case((exp.Is(this=problem.copy(), expression=exp.Null()), value)),
                                             ident(inp.name)), exp.alias_(why, ident(WHY + inp.name)),
                         append=True, copy=False)
    return out.from_(exp.Table(this=ident(source)))


def _default(inp: m.Input) -> exp.Expr:
    d = inp.default
    if isinstance(d, bool):
        return exp.Boolean(this=d)
    if isinstance(d, Decimal):
        return exp.Cast(this=decimal_const(d), to=input_type(inp))
    if isinstance(d, frozenset):
        return s(SET_JOIN.join(x for x in inp.type.members if x in d))
    return s(str(d))


def _read(inp: m.Input, column: str = "text") -> tuple[exp.Expr, exp.Expr]:
    """(the problem's expected text or NULL, the value) of one input whose column is of
    the kind ``column``."""
    t = col(TEXT + inp.name)
    missing = exp.Is(this=t.copy(), expression=exp.Null())
    kind, spec, typ = inp.type.kind, inp.spec, inp.type
    no_default = m.Input(inp.name, inp.type, inp.spec)
    missing_msg = values.coerce(no_default, None)[1]
    expected = values._expected(inp)
    problems: list[tuple[exp.Expr, exp.Expr]] = []
    value: exp.Expr
    if inp.has_default:
        value_missing: exp.Expr | None = _default(inp)
    elif kind == "set":
        value_missing = s("")
    else:
        value_missing = None
    if kind in ("number", "count", "percent"):
        # d is the cell truncated to READ_PLACES; ``fine`` says digits were cut (then the
        # exact value lies just beyond d, away from zero), which decides every check but
        # "in range" of an input with no step: that one gets the SQL engine's own reason
        d = col(DEC + inp.name)
        fine = col("#fine:" + inp.name)
        positive = exp.NEQ(this=col("#sign:" + inp.name), expression=s("-"))
        negative = exp.EQ(this=col("#sign:" + inp.name), expression=s("-"))
        too_fine = s(_("a number with at most {places} decimal places (the SQL engine reads no more)").format(
            places=READ_PLACES))

        def below(low: Decimal) -> exp.Expr:
            return exp.or_(exp.LT(this=d.copy(), expression=decimal_const(low)),
                           exp.and_(fine.copy(), negative.copy(), exp.EQ(this=d.copy(), expression=decimal_const(low))))

        def above(high: Decimal) -> exp.Expr:
            return exp.or_(exp.GT(this=d.copy(), expression=decimal_const(high)),
                           exp.and_(fine.copy(), positive.copy(), exp.EQ(this=d.copy(),
                                                                          expression=decimal_const(high))))

        problems.append((exp.Not(this=col("#ok:" + inp.name)), s(expected)))
        v: exp.Expr = d
        if kind == "percent":
            sample = "０.１２３４５６７８９"
            amb = values.coerce(no_default, sample)[1]
            assert amb is not None
            bare = exp.Not(this=col("#pct:" + inp.name))
            ambiguous = exp.and_(bare, exp.Not(this=exp.Paren(this=below(Decimal(0)))),
                                 exp.or_(exp.GT(this=d.copy(), expression=decimal_const(Decimal(0))), fine.copy()),
                                 exp.Not(this=exp.Paren(this=above(Decimal(1)))))
            hundred = exp.Mul(this=d.copy(), expression=decimal_const(Decimal(100)))
            problems.append((exp.and_(ambiguous, exp.Not(this=fine.copy())), _filled(amb, [
                (sample, col(RAW + inp.name)), ("12.3456789", _fmt(hundred)), ("0.123456789", _fmt(d.copy()))])))
            problems.append((ambiguous.copy(), too_fine.copy()))
            v = exp.Mul(this=d.copy(), expression=decimal_const(Decimal("0.01")))
            problems.append((exp.or_(below(Decimal(0)), above(Decimal(100))), s(_range(inp, Decimal(2)))))
            problems.append((fine.copy(), too_fine.copy()))
        elif isinstance(spec, n.ScoreType):
            problems.append((exp.or_(below(spec.low), above(spec.high)), s(_range(inp, spec.low - 1))))
            if spec.step is not None and spec.high > spec.low:
                off = min(spec.low + spec.step / 2, (spec.low + spec.high) / 2)
                inv = exact(1 / Fraction(spec.step))
                k = exp.Mul(this=exp.Paren(this=exp.Sub(this=d.copy(), expression=decimal_const(spec.low))),
                            expression=decimal_const(inv))
                problems.append((exp.or_(fine.copy(), exp.NEQ(this=k, expression=exp.Floor(this=k.copy()))),
                                 s(_range(inp, off))))
            problems.append((fine.copy(), too_fine.copy()))  # no step: any places are allowed
        elif isinstance(spec, n.CountType):
            problems.append((exp.or_(fine.copy(), exp.NEQ(this=d.copy(), expression=exp.Floor(this=d.copy()))),
                             s(_range(inp, Decimal(spec.low) + Decimal("0.5")))))
            bounds = [below(Decimal(spec.low))]
            if spec.high is not None:
                bounds.append(above(Decimal(spec.high)))
            problems.append((exp.or_(*bounds), s(_range(inp, Decimal(spec.low) - 1))))
        value = v  # cast to the input's type in #read, once the row's problems are known
    elif kind == "bool":
        low = exp.Lower(this=t.copy())
        yes: exp.Expr = exp.In(this=low.copy(), expressions=[s(w) for w in sorted(values.TRUE_WORDS)])
        no: exp.Expr = exp.In(this=low.copy(), expressions=[s(w) for w in sorted(values.FALSE_WORDS)])
        if column == "decimal":  # a number cell is yes/no when it is 1 or 0
            yes = exp.EQ(this=col(RAW + inp.name), expression=exp.Literal.number(1))
            no = exp.EQ(this=col(RAW + inp.name), expression=exp.Literal.number(0))
        problems.append((exp.Not(this=exp.Paren(this=exp.or_(yes, no))), s(expected)))
        value = yes.copy()
    elif kind == "enum":
        problems.append((exp.Not(this=exp.In(this=t.copy(), expressions=[s(x) for x in typ.members])),
                         s(_range(inp, "\x00"))))
        value = t.copy()
    elif kind == "set":
        norm = col("#norm:" + inp.name)
        rest: exp.Expr = norm.copy()
        for x in typ.members:
            rest = exp.Replace(this=rest, expression=s(f",{x},"), replacement=s(""))
        empty_word = exp.and_(exp.In(this=exp.Lower(this=t.copy()), expressions=[
            s(w) for w in sorted(values.EMPTY_SET_WORDS)]), exp.Not(this=exp.In(
                this=t.copy(), expressions=[s(x) for x in typ.members])))
        unknown = exp.NEQ(this=exp.Replace(this=rest, expression=s(","), replacement=s("")), expression=s(""))
        problems.append((exp.and_(exp.Not(this=exp.Paren(this=empty_word)), unknown),
                         s(_range(inp, frozenset({"\x00"})))))
        joined = join_texts(SET_JOIN, [
            _case((exp.GT(this=exp.StrPosition(this=norm.copy(), substr=s(f",{x},")),
                          expression=exp.Literal.number(0)), s(x))) for x in typ.members])
        value = _case((empty_word.copy(), s("")), default=joined)
    else:  # text, id, group
        if column == MARKED:  # a record's value that is neither a text nor a whole number (duck.cell_text)
            problems.append((exp.EQ(this=exp.Left(this=t.copy(), expression=exp.Literal.number(1)),
                                    expression=s(REFUSED)), s(expected)))
        value = t.copy()
    refused = {"enum": ("integer", "decimal", "boolean"), "set": ("integer", "decimal", "boolean"),
               "text": ("decimal", "boolean")}
    if column in refused.get(kind, ()):  # a typed cell a choice, a set or a text never takes
        problems = [(exp.Not(this=missing.copy()), s(expected))]
    ifs: list[tuple[exp.Expr, exp.Expr]] = [(missing.copy(), s(missing_msg or ""))] if value_missing is None else []
    ifs += problems  # on a missing cell with a default these are NULL: no problem
    problem = _case(*ifs) if ifs else exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR"))
    if value_missing is not None:
        value = _case((missing.copy(), value_missing), default=value)
    return problem, value


def _range(inp: m.Input, sample: object) -> str:
    got = values.range_problem(sample, inp.type, inp.spec)
    assert got is not None, (inp, sample)
    return got


def _fmt(x: exp.Expr) -> exp.Expr:
    """``values.fmt_number`` of a DECIMAL with places: no trailing zeros after the point."""
    txt = exp.Cast(this=x, to=exp.DataType.build("VARCHAR"))
    return exp.RegexpReplace(this=exp.RegexpReplace(this=txt, expression=s("0+$"), replacement=s("")),
                             expression=s(r"\.$"), replacement=s(""))


def reason_expr(program: m.Program) -> exp.Expr:
    """The text of the InputError of a row with bad values: its inputs' problems
    (``#why:``, in declared order) joined as the InputError joins them (``"；"`` in
    Chinese, ``"; "`` in English)."""
    return join_texts(_("; "), [col(WHY + inp.name) for inp in program.inputs])


def join_texts(sep: str, parts: list[exp.Expr]) -> exp.Expr:
    """The non-NULL texts joined by ``sep`` ('' for none), the same in every dialect."""
    if not parts:
        return s("")
    each = [_case((exp.Is(this=p, expression=exp.Null()), s("")), default=_cat(s(sep), p.copy())) for p in parts]
    return exp.Substring(this=_cat(*each), start=exp.Literal.number(len(sep) + 1))
