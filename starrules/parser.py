"""Parse: ``.star`` text -> :class:`~starrules.nodes.SchemeFile`.

Takes the scheme text; gives the syntax tree with a span on every node, or raises
:class:`~starrules.errors.StarSyntaxError` carrying every syntax error of the file.
The Lark transformer here only builds nodes; it checks nothing.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from starrules import nodes as n
from starrules.diagnostics import Diagnostic, listing
from starrules.errors import StarSyntaxError
from starrules.i18n import N_, _
from starrules.values import MAX_DIGITS

STATEMENT_KEYWORDS = (
    "scheme levels input score total bonus penalty band "
    "require disqualify veto cap demote flag quota select badges level example"
).split()

# Punctuation typed with a Chinese input method, read as its ASCII twin outside strings.
# Each replacement is one character for one, so columns stay where they were.
FULL_WIDTH = str.maketrans("：，（）％＝＜＞［］｛｝【】－＋　", ":,()%=<>[]{}[]-+ ")


def grammar_text() -> str:
    """The text of ``star.lark``: from the installed package, else from the checkout."""
    packaged = resources.files("starrules").joinpath("grammars/star.lark")
    if packaged.is_file():  # pragma: no cover - only in an installed wheel; the suite runs the checkout
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parent.parent / "grammars" / "star.lark"
    return checkout.read_text(encoding="utf-8")


def cache_file(grammar: str) -> str | None:
    """Where Lark keeps the built parser between processes (building it takes a fifth of a
    second; reading it back a thirtieth): ``STARRULES_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/starrules``, else ``~/.cache/starrules``; an empty
    ``STARRULES_CACHE_DIR`` turns it off. Never the shared temporary directory, Lark's
    default: the file is a pickle, so only its owner may write where it lies. The name
    carries the grammar's hash and the Lark and Python versions; Lark checks the hash
    again inside. None (no cache) where the directory cannot be made."""
    setting = os.environ.get("STARRULES_CACHE_DIR")
    if setting == "":
        return None
    if setting is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        setting = os.path.join(base, "starrules")
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    name = f"star-{digest}-lark{lark.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}.parser"
    try:
        os.makedirs(setting, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return os.path.join(setting, name)


@functools.cache
def _lark() -> Lark:
    grammar = grammar_text()
    # Lark reads a cache it cannot load as none and rebuilds (it logs only at its
    # default level CRITICAL, so nothing is printed); a cache it cannot write is skipped.
    return Lark(
        grammar,
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=cache_file(grammar) or False,
    )


def normalise(text: str, drop_comments: bool = False) -> str:
    """Full-width punctuation and Chinese quotes outside strings become ASCII.
    ``drop_comments`` leaves out the text of comments (each ``#`` to the end of its
    line): nothing before them on their line moves, so every position stays the same,
    and the parser has less to read. Outside strings, a carriage return not followed by
    a newline (a file saved with old Mac line ends) ends its line, as it does for Python
    and for editors: it becomes a newline, one character for one, or a comment would run
    to the end of the file. (Inside a string it stays: a label may hold one.)"""
    out: list[str] = []
    closing: str | None = None  # the quote that ends the string we are in
    comment = False
    cr = False  # the character before was a carriage return outside a string
    for ch in text:
        if cr:
            cr = False
            if ch == "\n":  # CR LF: both kept
                out.append("\r")
            else:  # a CR alone: a newline, which ends a comment
                out.append("\n")
                comment = False
        if ch == "\r" and closing is None:
            cr = True
            continue
        if comment:
            if ch == "\n":
                out.append(ch)
                comment = False
            elif not drop_comments:
                out.append(ch)
            continue
        if closing is not None:
            if ch == closing:
                out.append('"')
                closing = None
            else:
                out.append(ch)
                if ch == "\n":
                    closing = None
            continue
        if ch == '"':
            closing = '"'
            out.append(ch)
        elif ch == "“":
            closing = "”"
            out.append('"')
        elif ch == "#":
            comment = True
            if not drop_comments:
                out.append(ch)
        else:
            out.append(ch.translate(FULL_WIDTH))
    if cr:
        out.append("\n")
    return "".join(out)


def flatten_parentheses(text: str) -> str:
    """``((e))`` read as ``(e)``: of two pairs of parentheses that open and close side by
    side, the inner one is blanked when it holds an expression (something, and no comma of
    its own), so that the parser's work no longer grows with the depth of redundant
    brackets (10,000 of them took half a second) and every position stays where it was.
    Texts in quotes and comments (of a ``normalise``d text) are skipped."""
    if "((" not in text:
        return text
    opens: list[int] = []
    pairs: dict[int, int] = {}
    listed: set[int] = set()  # the pairs holding a comma of their own
    i, end = 0, len(text)
    while i < end:
        ch = text[i]
        if ch == '"' or ch == "#":  # a text ends at its quote or its line, a comment at its line
            ends = [k for k in (text.find("\n", i + 1), text.find('"', i + 1) if ch == '"' else -1) if k != -1]
            i = min(ends) + 1 if ends else end
            continue
        if ch == "(":
            opens.append(i)
        elif ch == ")" and opens:
            pairs[opens.pop()] = i
        elif ch == "," and opens:
            listed.add(opens[-1])
        i += 1
    blank = [o for o, c in pairs.items()
             if text[o + 1] == "(" and pairs.get(o + 1) == c - 1 and o + 1 not in listed and text[o + 2:c - 1].strip()]
    if not blank:
        return text
    chars = list(text)
    for o in blank:
        chars[o + 1] = chars[pairs[o + 1]] = " "
    return "".join(chars)


def parse(text: str, source_name: str = "<string>") -> n.SchemeFile:
    """Parse a scheme; raise StarSyntaxError with every syntax error found."""
    try:
        # comments are ignored by the grammar: the parser reads the text without them
        # (twice as fast on a well-commented scheme), positions unchanged
        tree = _lark().parse(flatten_parentheses(normalise(text, drop_comments=True)))
    except UnexpectedInput:
        clean = normalise(text)
        diagnostics = _collect_errors(clean, source_name)
        raise StarSyntaxError(diagnostics, text) from None
    too_deep = _too_deep(tree, source_name)
    if too_deep is not None:
        raise StarSyntaxError([too_deep], text)
    statements = _ToAst().transform(tree)
    return n.SchemeFile(tuple(statements.children), source_name=source_name)


# How deep an expression may nest (brackets kept by the tree, operators chained: `a + b +
# c` is 2 deep). Far above what any rating needs, and low enough that every later stage,
# which walks expressions recursively, and the compiled Python (at most 200 nested
# brackets) stay within their limits.
MAX_DEPTH = 60


# A number literal this long is refused here (the checker refuses more than MAX_DIGITS
# significant digits, with the other diagnostics); Python cannot turn more than 4,300
# digits into a whole number.
MAX_LITERAL = 4000


def _too_deep(tree: lark.Tree[Token], source_name: str) -> Diagnostic | None:
    """The first node nested deeper than MAX_DEPTH, or the first number of more digits
    than a rating can use (which Python could not even turn into a whole number past
    4,300 digits), as a diagnostic; found without recursion, in time linear in the tree."""
    stack: list[tuple[lark.Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH + 3:  # the statement and its declaration add 3 levels
            meta = node.meta
            line = getattr(meta, "line", 1)
            column = getattr(meta, "column", 1)
            span = n.Span(line, column, line, column + 1)
            return Diagnostic("E002", "error", span,
                              _("this expression nests more than {depth} levels deep").format(depth=MAX_DEPTH),
                              _("split it into several scores (score part = ...) and add those"), source_name)
        for child in node.children:
            if isinstance(child, lark.Tree):
                stack.append((child, depth + 1))
            elif child.type in ("INT", "DECIMAL", "PERCENT") and len(child) > MAX_LITERAL:
                return Diagnostic("E301", "error", _tspan(child),
                                  _("a number with more than {digits} digits").format(digits=MAX_DIGITS),
                                  _("ratings need far fewer digits"), source_name)
    return None


# ---- syntax errors ------------------------------------------------------------

_STATEMENT_START = re.compile(
    r"^[ \t]*(" + "|".join(STATEMENT_KEYWORDS) + r")(?![\w])", re.MULTILINE
)


# Keywords that also begin clauses inside a block (a quota's `level 5 at most 10%`, a
# selection's `cap at most 4` and `flag "整顿"`): there they start no statement.
_CLAUSE_KEYWORDS = {"level", "cap", "flag"}


def _statement_starts(text: str) -> list[int]:
    """Where the statements begin: a line starting with a statement keyword, outside any
    block; or one starting with a keyword no block holds, which ends a block left open."""
    starts: list[int] = []
    depth = 0
    pos = 0
    for line in text.splitlines(keepends=True):
        found = _STATEMENT_START.match(line)
        if found and (depth == 0 or found.group(1) not in _CLAUSE_KEYWORDS):
            starts.append(pos)
            depth = 0
        for ch in _code(line):
            depth = depth + 1 if ch == "{" else max(depth - 1, 0) if ch == "}" else depth
        pos += len(line)
    return starts


def _code(line: str) -> str:
    """A line with its quoted texts blanked and its comment cut (braces there are not
    brackets); what is left keeps its columns."""
    return re.sub(r'"[^"\n]*"?', lambda q: " " * len(q.group()), line).split("#", 1)[0]


def _unclosed_brace(text: str, lo: int, hi: int) -> int | None:
    """The position of the innermost '{' that text[lo:hi] opens and does not close."""
    stack: list[int] = []
    pos = lo
    for line in text[lo:hi].splitlines(keepends=True):
        for i, ch in enumerate(_code(line)):
            if ch == "{":
                stack.append(pos + i)
            elif ch == "}" and stack:
                stack.pop()
        pos += len(line)
    return stack[-1] if stack else None


def _collect_errors(text: str, source_name: str) -> list[Diagnostic]:
    """Every statement is parsed alone (the rest blanked out, so positions hold) to
    report one error per broken statement rather than only the first of the file."""
    starts = _statement_starts(text)
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = list(zip(starts, starts[1:] + [len(text)]))
    out: list[Diagnostic] = []
    for lo, hi in bounds:
        chunk = _blank(text[:lo]) + text[lo:hi] + _blank(text[hi:])
        try:
            _lark().parse(flatten_parentheses(chunk))
        except UnexpectedInput as e:
            # LALR says the text ran out with the token $END (UnexpectedEOF is Earley's)
            ended = isinstance(e, UnexpectedToken) and e.token.type == "$END"
            brace = _unclosed_brace(text, lo, hi) if ended else None
            out.append(_diagnostic(e, text, source_name) if brace is None
                       else _unclosed(text, brace, lo, hi, source_name))
    if not out:  # the statements parse alone but not together: report the whole error
        try:
            _lark().parse(text)
        except UnexpectedInput as e:
            out.append(_diagnostic(e, text, source_name))
    return out


def _blank(s: str) -> str:
    return re.sub(r"[^\n]", " ", s)


# What a terminal is, in words (translated where the hint is drawn).
_FRIENDLY = {
    "NAME": N_("a name"),
    "INT": N_("a whole number"),
    "DECIMAL": N_("a number"),
    "PERCENT": N_("a percentage such as 60%"),
    "STRING": N_('a quoted text such as "规则名"'),
    "COMP_OP": N_("a comparison (< <= > >= == !=)"),
    "ADD_OP": N_("+ or -"),
    "$END": N_("the end of the file"),
}


def _terminal_name(name: str) -> str:
    if name in _FRIENDLY:
        return _(_FRIENDLY[name])
    for term in _lark().terminals:
        if term.name == name and isinstance(term.pattern, lark.lexer.PatternStr):
            return f"'{term.pattern.value}'"
    return name  # pragma: no cover - every regex terminal but the ignored WS and COMMENT is in _FRIENDLY


def _describe_expected(expected: set[str]) -> str:
    names = sorted({_terminal_name(x) for x in expected})
    if len(names) > 8:
        names = names[:8] + ["..."]
    return listing(names)


def _diagnostic(e: UnexpectedInput, text: str, source_name: str) -> Diagnostic:
    line = getattr(e, "line", 1) or 1
    column = getattr(e, "column", 1) or 1
    hint: str | None = None
    if isinstance(e, UnexpectedCharacters):
        pos = e.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        message = _("this character is not part of the language: '{char}'").format(char=ch)
        if ch in "”’‘":
            hint = _('write texts between straight quotes: "..."')
        elif ch == "、":
            hint = _("separate names with commas: {市级, 省级}")
        else:
            hint = _("remove it, or put it inside a quoted text")
        span = n.Span(line, column, line, column + 1)
    else:
        # the LALR parser raises only these two (the end of the text is the token $END)
        assert isinstance(e, UnexpectedToken)
        tok = e.token
        if tok.type == "$END":
            message = _("this statement is not finished")
            span = _last_token_span(text, line, column)
        else:
            message = _("unexpected '{token}' here").format(token=tok)
            end_col = (tok.end_column or column + len(str(tok)))
            span = n.Span(line, column, tok.end_line or line, end_col)
        hint = _("expected {expected}").format(expected=_describe_expected(set(e.expected)))
        hint = _slip_hint(e, tok) or hint
    return Diagnostic("E001", "error", span, message, hint, source_name)


def _unclosed(text: str, brace: int, lo: int, hi: int, source_name: str) -> Diagnostic:
    """A '{' the statement never closes: named with its line, and where to close it."""
    line = text.count("\n", 0, brace) + 1
    column = brace - text.rfind("\n", 0, brace)
    last = _last_token_span(text, text.count("\n", 0, max(hi - 1, lo)) + 1, 1)
    if hi >= len(text):
        hint = _("close it with '}}' after its last entry (line {last}), before the end of the file").format(
            last=last.line)
    else:
        hint = _("close it with '}}' after its last entry (line {last}), before line {next}").format(
            last=last.line, next=text.count(chr(10), 0, hi) + 1)
    return Diagnostic("E001", "error", n.Span(line, column, line, column + 1),
                      _("the '{{' on line {line} is never closed").format(line=line), hint, source_name)


def _last_token_span(text: str, line: int, column: int) -> n.Span:
    """Where a chunk ran out: the last non-blank character before (line, column). Lines
    are counted as the parser counts them, by newlines (str.splitlines would also break
    at a form feed or U+2028 in a comment)."""
    lines = text.split("\n")
    for ln in range(min(line, len(lines)), 0, -1):
        stripped = lines[ln - 1].split("#", 1)[0].rstrip()
        if stripped:
            return n.Span(ln, len(stripped), ln, len(stripped) + 1)
    return n.Span(line, column, line, column + 1)  # pragma: no cover - the line of the last token has code


def _slip_hint(e: UnexpectedToken, tok: Token) -> str | None:
    """Name the common slips of policy authors rather than the parser's state."""
    expected = set(e.expected)
    if str(tok) == "-" and "COMMA" in expected:
        return _("write a band as an interval with a comma, e.g. [90, 100] or [80, 90)")
    if tok.type in ("INT", "DECIMAL") and expected & {"LSQB", "LPAR"} and "ELSE" in expected:
        return _("write the band as an interval in brackets, e.g. [{number}, 100] or [{number}, ..)").format(number=tok)
    if tok.type == "NAME" and "DHONDT" in expected:  # after 'using': an apportionment method
        from starrules.apportion import ALIASES, METHODS, nearest_method

        guess = nearest_method(str(tok))
        methods = listing([f"'{name}'" for name in (*METHODS, *ALIASES)], "or")
        if guess is not None:
            return _("did you mean the method '{method}'? The methods are {methods}").format(method=guess,
                                                                                            methods=methods)
        return _("the apportionment methods are {methods}").format(methods=methods)
    if tok.type == "NAME":  # a misspelt keyword is likelier than a missing bracket
        close = _close_keyword(str(tok))
        if close:
            return _("did you mean the keyword '{keyword}'?").format(keyword=close)
    if tok.type == "NAME" and expected & {"RBRACE", "RPAR", "RSQB"}:
        closing = {"RBRACE": "}", "RPAR": ")", "RSQB": "]"}
        missing = listing([f"'{closing[x]}'" for x in sorted(expected & set(closing))], "or")
        return _("a bracket may be missing: close the open one with {brackets} before this").format(brackets=missing)
    return None


def _close_keyword(word: str) -> str | None:
    import difflib

    keywords = STATEMENT_KEYWORDS + ["when", "each", "highest", "lookup", "weighted", "most", "least", "given",
                                     "expect", "round", "rank", "among", "minimum", "within", "throughout"]
    m = difflib.get_close_matches(word, keywords, n=1, cutoff=0.75)
    return m[0] if m else None


# ---- parse tree -> syntax tree -------------------------------------------------


def _span(meta: Any) -> n.Span:
    if getattr(meta, "empty", True):  # pragma: no cover - only 'start' can match no token, and it keeps no span
        return n.Span.unknown()
    return n.Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tspan(tok: Token) -> n.Span:
    return n.Span(tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0)


def _name(tok: Token) -> n.Name:
    return n.Name(str(tok), _tspan(tok))


def _string(tok: Token) -> n.String:
    return n.String(str(tok)[1:-1], _tspan(tok))


def _decimal(tok: Token) -> Decimal:
    return Decimal(str(tok).rstrip("%"))


def _number(tok: Token) -> n.Number:
    return n.Number(_decimal(tok), _tspan(tok))


@v_args(meta=True, inline=True)
class _ToAst(Transformer[Token, Any]):
    # header
    @v_args(meta=True)
    def scheme_decl(self, meta: Any, children: list[Any]) -> n.SchemeDecl:
        title = _string(children[0])
        version = _string(children[1]) if len(children) > 1 and isinstance(children[1], Token) else None
        force = children[-1] if isinstance(children[-1], tuple) else (None, None)
        return n.SchemeDecl(title, version, force[0], force[1], _span(meta))

    @v_args(meta=True)
    def in_force(self, meta: Any, children: list[Token]) -> tuple[int, int | None]:
        return int(children[0]), (int(children[1]) if len(children) > 1 else None)

    # badges
    @v_args(meta=True)
    def badges_decl(self, meta: Any, children: list[Any]) -> n.BadgesDecl:
        return n.BadgesDecl(_name(children[0]), tuple(children[1:]), _span(meta))

    @v_args(meta=True)
    def badge(self, meta: Any, children: list[Any]) -> n.Badge:
        label, cond, *rest = children
        from_records = any(r is True for r in rest)
        applies = next((r for r in rest if r is not True), None)
        return n.Badge(_string(label), cond, from_records, applies, _span(meta))

    def from_records(self, meta: Any) -> bool:
        return True

    def applies(self, meta: Any, cond: n.Expr) -> n.Expr:
        return cond

    def level_from(self, meta: Any, name: Token) -> n.BandDecl:
        return n.BandDecl(_name(name), (), True, _span(meta))

    # history
    @v_args(meta=True)
    def hist_vetoed(self, meta: Any, children: list[Any]) -> n.Vetoed:
        name = _string(children[0]) if children[0].type == "STRING" else None
        return n.Vetoed(name, int(children[-2]), _span(meta))

    def hist_flagged(self, meta: Any, name: Token, periods: Token, _word: Any) -> n.Flagged:
        return n.Flagged(_string(name), int(periods), _span(meta))

    def hist_level(self, meta: Any, op: Token, level: n.LevelRef, periods: Token, _word: Any) -> n.HistoryLevel:
        return n.HistoryLevel(str(op), level, int(periods), _span(meta))

    def period_word(self, meta: Any, tok: Token) -> str:
        return str(tok)

    def levels_stars(self, meta: Any, lo: Token, hi: Token, labels: Any = ()) -> n.StarLevels:
        return n.StarLevels(int(lo), int(hi), tuple(labels), _span(meta))

    @v_args(meta=True)
    def label_block(self, meta: Any, children: list[n.LevelLabel]) -> tuple[n.LevelLabel, ...]:
        return tuple(children)

    def label_entry(self, meta: Any, stars: Token, label: Token) -> n.LevelLabel:
        return n.LevelLabel(int(stars), _string(label), _span(meta))

    @v_args(meta=True)
    def levels_grades(self, meta: Any, names: list[Token]) -> n.GradeLevels:
        return n.GradeLevels(tuple(_name(t) for t in names), _span(meta))

    # inputs
    def input_decl(self, meta: Any, name: Token, type_: n.TypeSpec, default: Any = None) -> n.InputDecl:
        return n.InputDecl(_name(name), type_, default, _span(meta))

    def default(self, meta: Any, value: n.Expr) -> n.Expr:
        return value

    def t_score(self, meta: Any, lo: Token, hi: Token, step: Token | None = None) -> n.ScoreType:
        return n.ScoreType(_decimal(lo), _decimal(hi), _decimal(step) if step else None, _span(meta))

    def t_count(self, meta: Any, lo: Token | None = None, hi: Token | None = None) -> n.CountType:
        if lo is None:
            return n.CountType(span=_span(meta))
        return n.CountType(int(lo), int(hi) if hi is not None else None, _span(meta))

    def t_percent(self, meta: Any) -> n.PercentType:
        return n.PercentType(_span(meta))

    def t_bool(self, meta: Any) -> n.BoolType:
        return n.BoolType(_span(meta))

    def t_enum(self, meta: Any, names: tuple[n.Name, ...]) -> n.EnumType:
        return n.EnumType(names, _span(meta))

    def t_set(self, meta: Any, names: tuple[n.Name, ...]) -> n.SetType:
        return n.SetType(names, _span(meta))

    def t_id(self, meta: Any) -> n.TextType:
        return n.TextType("id", _span(meta))

    def t_group(self, meta: Any) -> n.TextType:
        return n.TextType("group", _span(meta))

    def t_text(self, meta: Any) -> n.TextType:
        return n.TextType("text", _span(meta))

    @v_args(meta=True)
    def name_list(self, meta: Any, names: list[Token]) -> tuple[n.Name, ...]:
        return tuple(_name(t) for t in names)

    # scores
    def score_decl(self, meta: Any, name: Token, expr: n.Expr) -> n.ScoreDecl:
        return n.ScoreDecl(_name(name), expr, False, _span(meta))

    def total_decl(self, meta: Any, name: Token, expr: n.Expr) -> n.ScoreDecl:
        return n.ScoreDecl(_name(name), expr, True, _span(meta))

    @v_args(meta=True)
    def bonus_decl(self, meta: Any, children: list[Any]) -> n.RuleGroup:
        return self._group("bonus", meta, children)

    @v_args(meta=True)
    def penalty_decl(self, meta: Any, children: list[Any]) -> n.RuleGroup:
        return self._group("penalty", meta, children)

    def _group(self, kind: str, meta: Any, children: list[Any]) -> n.RuleGroup:
        name, *rest = children
        cap = rest.pop(0) if rest and isinstance(rest[0], n.Number) else None
        return n.RuleGroup(kind, _name(name), tuple(rest), cap, _span(meta))

    def at_most(self, meta: Any, value: Token) -> n.Number:
        return n.Number(_decimal(value), _span(meta))

    def entry(self, meta: Any, label: Token, expr: n.Expr) -> n.Entry:
        return n.Entry(_string(label), expr, _span(meta))

    # bands
    @v_args(meta=True)
    def band_decl(self, meta: Any, children: list[Any]) -> n.BandDecl:
        name, *entries = children
        return n.BandDecl(_name(name), tuple(entries), span=_span(meta))

    def band_entry(self, meta: Any, level: n.LevelRef, interval: tuple[n.Bound, n.Bound]) -> n.BandEntry:
        return n.BandEntry(level, interval[0], interval[1], _span(meta))

    def band_else(self, meta: Any, level: n.LevelRef) -> n.BandEntry:
        return n.BandEntry(level, None, None, _span(meta))

    def interval(self, meta: Any, lbr: Token, low: Any, high: Any, rbr: Token) -> tuple[n.Bound, n.Bound]:
        lo = n.Bound(low[0], str(lbr) == "[", low[1])
        hi = n.Bound(high[0], str(rbr) == "]", high[1])
        return lo, hi

    def lbr(self, meta: Any, tok: Token) -> Token:
        return tok

    def rbr(self, meta: Any, tok: Token) -> Token:
        return tok

    def bound(self, meta: Any, value: tuple[Decimal, bool]) -> tuple[Decimal | None, n.Span]:
        return value[0], _span(meta)

    def unbounded(self, meta: Any) -> tuple[Decimal | None, n.Span]:
        return None, _span(meta)

    @v_args(meta=True)
    def signed_number(self, meta: Any, children: list[Token]) -> tuple[Decimal, bool]:
        sign = -1 if str(children[0]) == "-" else 1
        tok = children[-1]
        value = _decimal(tok)
        percent = tok.type == "PERCENT"
        if percent:
            value = value / 100
        return sign * value, percent

    def level_ref(self, meta: Any, tok: Token) -> n.LevelRef:
        return n.LevelRef(int(tok) if tok.type == "INT" else str(tok), _span(meta))

    # rules
    def require_decl(self, meta: Any, name: Token, cond: n.Expr) -> n.Rule:
        return n.Rule("require", _string(name), cond, span=_span(meta))

    def disqualify_decl(self, meta: Any, name: Token, cond: n.Expr) -> n.Rule:
        return n.Rule("disqualify", _string(name), cond, span=_span(meta))

    def veto_decl(self, meta: Any, name: Token, cond: n.Expr) -> n.Rule:
        return n.Rule("veto", _string(name), cond, span=_span(meta))

    def cap_decl(self, meta: Any, name: Token, level: n.LevelRef, cond: n.Expr) -> n.Rule:
        return n.Rule("cap", _string(name), cond, level=level, span=_span(meta))

    def demote_decl(self, meta: Any, name: Token, steps: Token, cond: n.Expr) -> n.Rule:
        return n.Rule("demote", _string(name), cond, steps=int(steps), span=_span(meta))

    def flag_decl(self, meta: Any, name: Token, cond: n.Expr) -> n.Rule:
        return n.Rule("flag", _string(name), cond, span=_span(meta))

    # population rules
    @v_args(meta=True)
    def quota_decl(self, meta: Any, children: list[Any]) -> n.PopulationRule:
        return n.PopulationRule("quota", _string(children[0]), tuple(children[1:]), _span(meta))

    @v_args(meta=True)
    def select_decl(self, meta: Any, children: list[Any]) -> n.PopulationRule:
        return n.PopulationRule("select", _string(children[0]), tuple(children[1:]), _span(meta))

    @v_args(meta=True)
    def q_target(self, meta: Any, children: list[Any]) -> n.QTarget:
        scope = str(children.pop(0)) if isinstance(children[0], Token) else None
        level, bound, amount = children
        return n.QTarget(scope, level, bound, amount, _span(meta))

    @v_args(meta=True)
    def bound_kind(self, meta: Any, children: list[Token]) -> str:
        return " ".join(str(t) for t in children)

    def amount(self, meta: Any, tok: Token) -> n.Amount:
        if tok.type == "PERCENT":
            return n.Amount(_decimal(tok) / 100, True, _span(meta))
        return n.Amount(_decimal(tok), False, _span(meta))

    def q_pick(self, meta: Any, end: str, amount: n.Amount) -> n.QPick:
        return n.QPick(end, amount, _span(meta))

    def pick(self, meta: Any, tok: Token) -> str:
        return str(tok)

    def q_over_all(self, meta: Any) -> n.QPer:
        return n.QPer(None, _span(meta))

    def q_per(self, meta: Any, name: Token) -> n.QPer:
        return n.QPer(_name(name), _span(meta))

    def q_round(self, meta: Any, mode: str) -> n.QRound:
        return n.QRound(mode, _span(meta))

    def rounding(self, meta: Any, tok: Token) -> str:
        return str(tok)

    def q_rank(self, meta: Any, keys: tuple[n.RankKey, ...], tiebreak: tuple[n.RankKey, ...] = ()) -> n.QRank:
        return n.QRank(keys, tiebreak, _span(meta))

    @v_args(meta=True)
    def rank_keys(self, meta: Any, children: list[n.RankKey]) -> tuple[n.RankKey, ...]:
        return tuple(children)

    def rank_key(self, meta: Any, name: Token, direction: str | None = None) -> n.RankKey:
        return n.RankKey(_name(name), None if direction is None else direction == "desc", _span(meta))

    def direction(self, meta: Any, tok: Token) -> str:
        return str(tok)

    def q_ties(self, meta: Any, mode: str) -> n.QTies:
        return n.QTies(mode, _span(meta))

    def ties_mode(self, meta: Any, tok: Token) -> str:
        return str(tok)

    def q_report_only(self, meta: Any) -> n.QEnforce:
        return n.QEnforce(False, _span(meta))

    def q_enforce(self, meta: Any) -> n.QEnforce:
        return n.QEnforce(True, _span(meta))

    def q_minimum(self, meta: Any, count: Token, per: Token) -> n.QMinimum:
        return n.QMinimum(int(count), _name(per), _span(meta))

    def q_apportion(self, meta: Any, by: Token, method: str | None = None,
                    first: tuple[Decimal, n.Span] | None = None) -> n.QApportion:
        return n.QApportion(_name(by), method, _span(meta), first[0] if first else None,
                            first[1] if first else None)

    def first_divisor(self, meta: Any, value: Token) -> tuple[Decimal, n.Span]:
        return Decimal(str(value)), _span(meta)

    def method(self, meta: Any, tok: Token) -> str:
        return str(tok)

    def q_among(self, meta: Any, cond: n.Expr) -> n.QAmong:
        return n.QAmong(cond, _span(meta))

    def q_flag(self, meta: Any, name: Token) -> n.QFlag:
        return n.QFlag(_string(name), _span(meta))

    def q_cap(self, meta: Any, level: n.LevelRef) -> n.QCap:
        return n.QCap(level, _span(meta))

    # examples
    @v_args(meta=True)
    def example_decl(self, meta: Any, children: list[Any]) -> n.ExampleDecl:
        name, *clauses = children
        given: list[tuple[n.Name, n.Expr]] = []
        period: int | None = None
        expect: list[n.Expectation] = []
        for kind, value in clauses:
            if kind == "given":
                given += value
            elif kind == "period":
                period = value
            else:
                expect += value
        return n.ExampleDecl(_string(name), tuple(given), period, tuple(expect), _span(meta))

    @v_args(meta=True)
    def ex_given(self, meta: Any, children: list[tuple[n.Name, n.Expr]]) -> tuple[str, Any]:
        return "given", children

    def ex_period(self, meta: Any, year: Token) -> tuple[str, Any]:
        return "period", int(year)

    @v_args(meta=True)
    def ex_expect(self, meta: Any, children: list[n.Expectation]) -> tuple[str, Any]:
        return "expect", children

    def given_entry(self, meta: Any, name: Token, value: n.Expr) -> tuple[n.Name, n.Expr]:
        return _name(name), value

    def expect_value(self, meta: Any, key: Token, value: n.Expr) -> n.Expectation:
        return n.Expectation(_name(key), value, _span(meta))

    @v_args(meta=True)
    def expect_names(self, meta: Any, children: list[Token | None]) -> n.Expectation:
        key, *names = children
        assert key is not None
        return n.Expectation(_name(key), tuple(_string(t) for t in names if t is not None), _span(meta))

    def expect_level(self, meta: Any, level: n.LevelRef) -> n.Expectation:
        return n.Expectation(n.LevelExpr(_span(meta)), level, _span(meta))

    # expressions
    def if_else(self, meta: Any, c: n.Expr, a: n.Expr, b: n.Expr) -> n.IfElse:
        return n.IfElse(c, a, b, _span(meta))

    def when(self, meta: Any, value: n.Expr, cond: n.Expr) -> n.When:
        return n.When(value, cond, _span(meta))

    def or_(self, meta: Any, a: n.Expr, b: n.Expr) -> n.Or:
        return n.Or(a, b, _span(meta))

    def and_(self, meta: Any, a: n.Expr, b: n.Expr) -> n.And:
        return n.And(a, b, _span(meta))

    def not_(self, meta: Any, a: n.Expr) -> n.Not:
        return n.Not(a, _span(meta))

    def compare(self, meta: Any, a: n.Expr, op: Token, b: n.Expr) -> n.Compare:
        return n.Compare(str(op), a, b, _span(meta))

    def contains(self, meta: Any, a: n.Expr, b: n.Expr) -> n.Contains:
        return n.Contains(a, b, False, _span(meta))

    def not_contains(self, meta: Any, a: n.Expr, b: n.Expr) -> n.Contains:
        return n.Contains(a, b, True, _span(meta))

    def binop(self, meta: Any, a: n.Expr, op: Token, b: n.Expr) -> n.BinOp:
        return n.BinOp(str(op), a, b, _span(meta))

    def mul(self, meta: Any, a: n.Expr, b: n.Expr) -> n.BinOp:
        return n.BinOp("*", a, b, _span(meta))

    def each(self, meta: Any, a: n.Expr, b: n.Expr) -> n.Each:
        return n.Each(a, b, _span(meta))

    def neg(self, meta: Any, a: n.Expr) -> n.Expr:
        if isinstance(a, n.Number):
            return n.Number(-a.value, _span(meta))
        return n.Neg(a, _span(meta))

    def name(self, meta: Any, tok: Token) -> n.Name:
        return _name(tok)

    def level_expr(self, meta: Any) -> n.LevelExpr:
        return n.LevelExpr(_span(meta))

    @v_args(meta=True)
    def call(self, meta: Any, children: list[Any]) -> n.Call:
        func, *args = children
        return n.Call(str(func), tuple(args), _span(meta))

    @v_args(meta=True)
    def weighted(self, meta: Any, children: list[Any]) -> n.Weighted:
        weights = []
        args: list[n.Expr] = []
        round_to: Decimal | None = None
        for c in children:
            if isinstance(c, Token):
                if args:  # a number after the arguments: the rounding step
                    round_to = _decimal(c)
                else:
                    pct = c.type == "PERCENT"
                    weights.append(n.Weight(_decimal(c), pct, _tspan(c)))
            else:
                args.append(c)
        return n.Weighted(tuple(weights), tuple(args), round_to, _span(meta))

    @v_args(meta=True)
    def highest(self, meta: Any, children: list[Any]) -> n.Table:
        return n.Table("highest", _name(children[0]), tuple(children[1:]), _span(meta))

    @v_args(meta=True)
    def lookup(self, meta: Any, children: list[Any]) -> n.Table:
        return n.Table("lookup", _name(children[0]), tuple(children[1:]), _span(meta))

    @v_args(meta=True)
    def each_of(self, meta: Any, children: list[Any]) -> n.Table:
        return n.Table("each_of", _name(children[0]), tuple(children[1:]), _span(meta))

    def table_entry(self, meta: Any, key: Token, value: tuple[Decimal, bool]) -> n.TableEntry:
        return n.TableEntry(_name(key), value[0], value[1], _span(meta))

    @v_args(meta=True)
    def set_literal(self, meta: Any, children: list[Token]) -> n.SetLiteral:
        return n.SetLiteral(tuple(_name(t) for t in children if t is not None), _span(meta))

    def num(self, meta: Any, tok: Token) -> n.Number:
        return _number(tok)

    def percent(self, meta: Any, tok: Token) -> n.Percent:
        return n.Percent(_decimal(tok) / 100, _tspan(tok))

    def true(self, meta: Any, *_: Token) -> n.Bool:
        return n.Bool(True, _span(meta))

    def false(self, meta: Any, *_: Token) -> n.Bool:
        return n.Bool(False, _span(meta))

    def string(self, meta: Any, tok: Token) -> n.String:
        return _string(tok)
