"""Format: ``.star`` text -> the same scheme in the one canonical layout.

Takes a scheme's text; gives it back laid out one way, whoever typed it and however:
:func:`format_text`. :func:`format_paths` is ``starrules fmt FILE...`` and
``starrules fmt --check FILE...``.

The layout:

* one statement per line; a statement too long for :data:`WIDTH` columns (a Chinese
  character is two; ``starrules fmt --width N`` for another width) is broken: inside its
  brackets (as many items a line as fit, the further lines under the first item), before
  ``when``, ``then``/``else`` and ``for``, and before ``and``, ``or``, ``+``, ``-`` (as
  many operands a line as fit); a line that fits is never broken;
* the blocks of statements (``bonus``, ``penalty``, ``badges``, ``band``, ``quota``,
  ``select``, ``example``) hold one entry a line, indented two spaces, without commas;
  the blocks of short entries (``levels stars`` labels, an example's ``given`` values)
  hold as many entries a line as fit, with commas; lists inside expressions stay on the
  line when they fit: ``{市级, 省级}``, ``{ 市级: 3, 省级: 5 }``, ``sum(a, b)``;
* single spaces around operators and after commas; ``:`` with no space before and one
  after, except in the weights of ``weighted 3:7 (...)``; no space inside ``0..5``,
  ``(a)``, ``[90, ..)``, ``-5``, ``sum(``;
* consecutive ``input`` declarations line their types up (more than one space after
  the ``:``), as the bundled schemes are written;
* full-width punctuation and curly quotes outside texts become their ASCII twins
  (:func:`starrules.parser.normalise`); texts and comments are kept as written;
* every comment is kept: one on its own line stays above what it preceded, at that
  thing's indentation; one at the end of a line stays at the end of the line of the
  token it followed, and the end-of-line comments of consecutive lines are aligned;
* blank lines between statements, entries and comments are kept, at most one at a
  time; none at the top of the file or of a block; a final newline.

How: the text is parsed with the grammar (``grammars/star.lark``) keeping every token;
comments, which the grammar ignores, are read from the gaps between tokens and tied to
the token before them (end of line) or after them (own line). Each node of the parse
tree becomes a layout document (text, spaces, optional line breaks, groups that break
together, indentation), printed Wadler/Prettier-style: a group stays on one line when it
fits, else its breaks become newlines. The result is parsed again and must give the
same syntax tree as the input, or :class:`FormatError` is raised rather than a scheme
that means something else.
"""

from __future__ import annotations

import difflib
import functools
import sys
from collections.abc import Iterator, Sequence
from os import PathLike
from typing import TextIO

import attrs
from lark import Lark, Token, Tree

from starrules.data import write_atomic
from starrules.diagnostics import text_width
from starrules.errors import StarDiagnosticError
from starrules.exits import Exit, unreadable
from starrules.i18n import _
from starrules.parser import grammar_text, normalise, parse

__all__ = ["INDENT", "MIN_WIDTH", "WIDTH", "FormatError", "comments_of", "format_paths", "format_text"]

WIDTH = 100
"""The columns a line may take before it is broken (a Chinese character takes two), unless
another width is given (``starrules fmt --width N``)."""

MIN_WIDTH = 20
"""The narrowest width the formatter accepts."""

INDENT = 2
"""Spaces per level of indentation."""


class FormatError(RuntimeError):
    """The formatter's output would not mean what its input meant (a bug: report it)."""


def format_text(text: str, *, width: int = WIDTH) -> str:
    """The scheme ``text`` in the canonical layout for lines of ``width`` columns (a
    Chinese character takes two); raises StarSyntaxError if it does not parse."""
    if width < MIN_WIDTH:
        raise ValueError(f"a line width of {width} is too narrow: give {MIN_WIDTH} or more")
    before = parse(text)
    out = _format(normalise(text), width)
    if parse(out) != before:
        raise FormatError("the formatted scheme would read differently; the input is left as it is")
    return out


def format_paths(
    paths: Sequence[str | PathLike[str]],
    *,
    check: bool = False,
    diff: bool = False,
    width: int = WIDTH,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """``starrules fmt FILE...`` and, with ``check``, ``starrules fmt --check FILE...``.

    Rewrites every file not in the canonical layout (``reformatted FILE`` on ``err``);
    with ``check`` changes nothing and lists on ``out`` each file that would change
    (with ``diff``, the change itself as a unified diff instead).
    ``-`` reads standard input and writes the result to ``out``. Line ends become
    ``\n``. Returns the exit code (:class:`starrules.exits.Exit`, the highest met): 70 if a
    file could not be formatted faithfully (a bug), 4 if a file does not parse (its
    diagnostics on ``err``), 3 if a file cannot be read, 1 with ``check`` if a file would
    change, else 0. A file that is not formatted is left as it is.
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    code = Exit.OK
    for path in paths:
        name = str(path)
        try:
            if name == "-":
                source = sys.stdin.read()
            else:
                with open(path, encoding="utf-8-sig", newline="") as f:
                    source = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            problem = (unreadable(path) or exc.strerror) if isinstance(exc, OSError) else exc
            print(_("error: cannot read {name}: {problem}").format(name=name, problem=problem), file=err)
            code = max(code, Exit.NO_FILE)
            continue
        try:
            formatted = format_text(source, width=width)
        except StarDiagnosticError as exc:
            print(exc.render(), file=err)
            code = max(code, Exit.SCHEME)
            continue
        except FormatError as exc:
            print(_("error: {name}: {problem}").format(name=name, problem=exc), file=err)
            code = max(code, Exit.INTERNAL)
            continue
        changed = formatted != source
        if check:
            if changed and diff:
                out.writelines(difflib.unified_diff(source.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                                    name, _("{name} (formatted)").format(name=name)))
                code = max(code, Exit.FAILED)
            elif changed:
                print(name, file=out)
                code = max(code, Exit.FAILED)
        elif name == "-":
            out.write(formatted)
        elif changed:
            write_atomic(path, formatted)
            print(_("reformatted {name}").format(name=name), file=err)
    return code


# ---- the layout document ------------------------------------------------------------


@attrs.frozen
class _Text:
    text: str
    width: int


@attrs.frozen
class _Space:
    """One space, dropped at the start of a line."""


@attrs.frozen
class _Line:
    """A place to break: a newline when its group breaks, else a space (none if soft)."""

    soft: bool


@attrs.frozen
class _Hard:
    """A newline at the current indentation."""


@attrs.frozen
class _Blank:
    """A blank line before the next line, if the next line is not the first of a block."""


@attrs.frozen
class _Eol:
    """A comment at the end of the current line; what follows goes on a new line."""

    text: str


@attrs.frozen
class _Own:
    """A comment on a line of its own."""

    text: str
    blank: bool


@attrs.define(eq=False)
class _Group:
    """Breaks all its lines or none; ``broken`` when a comment or newline forces it."""

    parts: list[_Doc]
    broken: bool = False


@attrs.frozen
class _Indent:
    parts: list[_Doc]


@attrs.frozen
class _IfBreak:
    """``broken`` when the enclosing group breaks, else ``flat``."""

    broken: list[_Doc]
    flat: list[_Doc]


@attrs.frozen
class _Align:
    """Its lines, when broken, start at the column where it starts (under the first item
    after an opening bracket)."""

    parts: list[_Doc]


@attrs.define(eq=False)
class _Fill:
    """Items with a separator (a ``_Line``) between each two: all on one line if they fit;
    else each separator breaks only when the item after it would not fit on the line
    (as many items a line as fit, as authors write a long ``sum(...)``)."""

    parts: list[_Doc]  # item, separator, item, separator, ..., item


@attrs.frozen
class _FillAt:
    """The printer's place in a broken ``_Fill``: the separator before item ``at``."""

    fill: _Fill
    at: int


_Doc = (_Text | _Space | _Line | _Hard | _Blank | _Eol | _Own | _Group | _Indent | _IfBreak | _Align | _Fill | _FillAt
        | list["_Doc"])

SP = _Space()
LINE = _Line(False)
SOFTLINE = _Line(True)
HARD = _Hard()
BLANK = _Blank()


def _text(s: str) -> _Text:
    return _Text(s, text_width(s))


# ---- comments, tied to tokens ------------------------------------------------------


@attrs.define
class _Comment:
    text: str
    blank: bool  # a blank line before it


@attrs.define
class _Info:
    """The comments around one token: own-line ones before it, an end-of-line one after."""

    leading: list[_Comment] = attrs.field(factory=list)
    trailing: str | None = None
    blank: bool = False  # a blank line right before the token (after its leading comments)


@functools.cache
def _lark() -> Lark:
    """The grammar of the parser, keeping every token (keywords and punctuation too)."""
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=False, keep_all_tokens=True)


def _leaves(node: Tree[Token] | Token) -> Iterator[Token]:
    if isinstance(node, Token):
        yield node
        return
    for child in node.children:
        yield from _leaves(child)


def _scan_gap(gap: str) -> tuple[list[tuple[str, int]], int]:
    """The comments of a gap between tokens, each with the newlines before it, and the
    newlines after the last one."""
    comments: list[tuple[str, int]] = []
    newlines = 0
    i = 0
    while i < len(gap):
        if gap[i] == "#":
            j = gap.find("\n", i)
            j = len(gap) if j < 0 else j
            comments.append((gap[i:j].rstrip(), newlines))
            newlines = 0
            i = j
        else:
            newlines += gap[i] == "\n"
            i += 1
    return comments, newlines


def comments_of(text: str) -> list[str]:
    """Every comment of a scheme text, in order, without trailing blanks (for tests)."""
    clean = normalise(text)
    tokens = list(_leaves(_lark().parse(clean)))
    out: list[str] = []
    pos = 0
    for tok in [*tokens, None]:
        end = len(clean) if tok is None else tok.start_pos
        assert end is not None
        out += [c for c, _ in _scan_gap(clean[pos:end])[0]]
        if tok is not None:
            assert tok.end_pos is not None
            pos = tok.end_pos
    return out


# Commas that the layout drops: between the entries of blocks (optional there) and the
# trailing comma of a name list.
_COMMA_BLOCKS = frozenset(
    "label_block bonus_decl penalty_decl badges_decl band_decl highest lookup each_of ex_given".split()
)
_BLOCKS = frozenset(
    "label_block bonus_decl penalty_decl badges_decl band_decl quota_decl select_decl example_decl ex_given".split()
)
# Blocks of short entries (level labels, an example's given values): as many entries a line
# as fit, with commas, as authors write them; the other blocks hold one entry a line.
_FILLED_BLOCKS = frozenset({"label_block", "ex_given"})
_TABLES = frozenset("highest lookup each_of".split())
_WHEN_RULES = frozenset("disqualify_decl veto_decl cap_decl demote_decl flag_decl".split())
_CHAINS = frozenset({"binop", "and_", "or_"})
_BREAKS_AT_WORD = _WHEN_RULES | {"when", "if_else", "applies"}
_NUMBERS = frozenset({"INT", "DECIMAL", "PERCENT"})
_OPENING = ("{", "(", "[")


def _is_comma(node: Tree[Token] | Token) -> bool:
    return isinstance(node, Token) and str(node) == ","


def _dropped(tree: Tree[Token]) -> set[int]:
    """Start positions of the commas the layout leaves out."""
    out: set[int] = set()
    for sub in tree.iter_subtrees():
        kids = sub.children
        if str(sub.data) in _COMMA_BLOCKS:
            out |= {c.start_pos for c in kids if isinstance(c, Token) and _is_comma(c) and c.start_pos is not None}
        elif str(sub.data) == "name_list" and kids and isinstance(kids[-1], Token) and _is_comma(kids[-1]):
            assert kids[-1].start_pos is not None
            out.add(kids[-1].start_pos)
    return out


def _breaking(tree: Tree[Token]) -> set[int]:
    """Start positions of the keywords and operators that begin a line when their
    statement is broken: ``+ - and or when then else for``."""
    out: set[int] = set()
    for sub in tree.iter_subtrees():
        kind = str(sub.data)
        words = ("when", "then", "else", "for") if kind in _BREAKS_AT_WORD else ()
        for i, child in enumerate(sub.children):
            if not isinstance(child, Token):
                continue
            if str(child) in words or (kind in _CHAINS and i == 1):
                out.add(_pos(child))
    return out


def _attach(text: str, tokens: list[Token], dropped: set[int], breaking: set[int]) -> tuple[dict[int, _Info], list[_Comment]]:
    """The comments of ``text`` tied to its kept tokens (by start position), and those
    after the last token."""
    infos = {_pos(t): _Info() for t in tokens}
    eof: list[_Comment] = []
    prev: Token | None = None
    pos = 0
    for tok in [*tokens, None]:
        end = len(text) if tok is None else _pos(tok)
        comments, newlines_after = _scan_gap(text[pos:end])
        leading = eof if tok is None else infos[_pos(tok)].leading
        for k, (comment, newlines) in enumerate(comments):
            if k == 0 and prev is not None and newlines == 0:
                infos[_pos(prev)].trailing = comment
            else:
                leading.append(_Comment(comment, newlines >= 2 and (prev is not None or k > 0)))
        if tok is not None:
            infos[_pos(tok)].blank = newlines_after >= 2 and (prev is not None or bool(comments))
            assert tok.end_pos is not None
            pos = tok.end_pos
        prev = tok
    # a dropped comma hands its comments on: to the token before it when it can take an
    # end-of-line comment, else to the token after it
    kept = [t for t in tokens if _pos(t) not in dropped]
    for i, tok in enumerate(tokens):
        if _pos(tok) not in dropped:
            continue
        info = infos[_pos(tok)]
        before = next((t for t in reversed(tokens[:i]) if _pos(t) not in dropped), None)
        after = next((t for t in tokens[i + 1:] if _pos(t) not in dropped), None)
        moved = list(info.leading)
        if info.trailing is not None:
            if before is not None and infos[_pos(before)].trailing is None and not moved:
                infos[_pos(before)].trailing = info.trailing
            else:
                moved.append(_Comment(info.trailing, False))
        target = eof if after is None else infos[_pos(after)].leading
        target[:0] = moved
        infos[_pos(tok)] = _Info()
    # a kept comma goes on the line of the item before it, with that item's comment
    for i, tok in enumerate(kept):
        if not _is_comma(tok) or i == 0:
            continue
        info = infos[_pos(tok)]
        after_info = infos[_pos(kept[i + 1])] if i + 1 < len(kept) else None
        if info.leading and after_info is not None:
            moved = list(info.leading)
            if info.trailing is not None:
                moved.append(_Comment(info.trailing, False))
                info.trailing = None
            after_info.leading[:0] = moved
            info.leading = []
        before_info = infos[_pos(kept[i - 1])]
        if before_info.trailing is not None and info.trailing is None:
            info.trailing, before_info.trailing = before_info.trailing, None
    # a keyword that begins a line when broken leaves its comment on the line before
    for i, tok in enumerate(kept):
        info = infos[_pos(tok)]
        if _pos(tok) in breaking and i > 0 and info.trailing is not None and not info.leading:
            before_info = infos[_pos(kept[i - 1])]
            if before_info.trailing is None:
                info.trailing, before_info.trailing = None, info.trailing
    return infos, eof


def _pos(tok: Token) -> int:
    assert tok.start_pos is not None
    return tok.start_pos


# ---- parse tree -> layout document --------------------------------------------------


class _Builder:
    def __init__(self, infos: dict[int, _Info], eof: list[_Comment], dropped: set[int], width: int) -> None:
        self.width = width
        self.infos = infos
        self.eof = eof
        self.dropped = dropped
        self.pads: dict[int, int] = {}  # id(input_decl) -> spaces after its ':'
        self.led: set[int] = set()  # tokens whose leading comments are already placed

    # tokens
    def kept(self, node: Tree[Token] | Token) -> bool:
        return not (isinstance(node, Token) and _pos(node) in self.dropped)

    def first(self, node: Tree[Token] | Token) -> Token:
        return next(t for t in _leaves(node) if self.kept(t))

    def last(self, node: Tree[Token] | Token) -> Token:
        return [t for t in _leaves(node) if self.kept(t)][-1]

    def leading(self, tok: Token, *, blanks: bool = False, last_blank: bool = True) -> list[_Doc]:
        """The own-line comments before a token. With ``blanks`` (the token starts a
        statement or an entry, or closes a block), the blank lines between them are kept,
        and the one after them if ``last_blank``."""
        if _pos(tok) in self.led:
            return []
        self.led.add(_pos(tok))
        info = self.infos[_pos(tok)]
        out: list[_Doc] = [_Own(c.text, c.blank and blanks) for c in info.leading]
        if info.leading and info.blank and blanks and last_blank:
            out.append(BLANK)
        return out

    def tok(self, tok: Token, *, lead: bool = True) -> list[_Doc]:
        out = self.leading(tok) if lead else []
        out.append(_text(str(tok)))
        trailing = self.infos[_pos(tok)].trailing
        if trailing is not None:
            out.append(_Eol(trailing))
        return out

    def starts_line(self, node: Tree[Token] | Token) -> list[_Doc]:
        """A newline before a statement or an entry, the comments above it, and a blank
        line if there was one (outside the statement's groups: they stay unbroken)."""
        first = self.first(node)
        info = self.infos[_pos(first)]
        if info.leading:
            return [HARD, *self.leading(first, blanks=True)]
        return [HARD, BLANK] if info.blank else [HARD]

    def blank_before(self, node: Tree[Token] | Token) -> bool:
        info = self.infos[_pos(self.first(node))]
        return info.blank or any(c.blank for c in info.leading)

    # nodes
    def build(self, node: Tree[Token] | Token) -> _Doc:
        if isinstance(node, Token):
            return self.tok(node)
        kind = str(node.data)
        if kind in _BLOCKS:
            return self.block(node)
        if kind in _TABLES:
            return self.table(node)
        if kind in _WHEN_RULES:
            return self.when_rule(node)
        if kind in _CHAINS:
            return self.chain(node)
        handler = getattr(self, "n_" + kind, None)
        if handler is not None:
            doc: _Doc = handler(node)
            return doc
        return self.join(node.children)

    def join(self, children: Sequence[Tree[Token] | Token]) -> list[_Doc]:
        """The children on one line, with the spaces the layout puts between them."""
        out: list[_Doc] = []
        prev: Token | None = None
        for child in children:
            if not self.kept(child):
                continue
            if prev is not None and _spaced(prev, self.first(child)):
                out.append(SP)
            out.append(self.build(child))
            prev = self.last(child)
        return out

    def n_start(self, node: Tree[Token]) -> _Doc:
        statements = node.children
        self.align_inputs(statements)
        out: list[_Doc] = []
        for stmt in statements:
            out += self.starts_line(stmt)
            out.append(self.build(stmt))
        for comment in self.eof:
            out += [HARD, _Own(comment.text, comment.blank)]
        return out

    def align_inputs(self, statements: Sequence[Tree[Token] | Token]) -> None:
        """Consecutive one-line input declarations (no blank line between them) line up
        their types, unless that would make one of them too long for its line."""
        runs: list[list[tuple[Tree[Token], int, int]]] = []  # (statement, name width, width)
        run: list[tuple[Tree[Token], int, int]] = []
        for stmt in statements:
            width = self.one_line_width(stmt) if isinstance(stmt, Tree) and str(stmt.data) == "input_decl" else None
            if width is None or width > self.width:
                run = []
                continue
            assert isinstance(stmt, Tree)
            if not run or self.blank_before(stmt):
                run = []
                runs.append(run)
            run.append((stmt, text_width(str(stmt.children[1])), width))
        for run in runs:
            while run:
                widest = max(name for _, name, _ in run)
                fitting = [m for m in run if m[2] + widest - m[1] <= self.width]
                if len(fitting) == len(run):
                    break
                run = fitting
            for stmt, name, _width in run:
                self.pads[id(stmt)] = 1 + widest - name

    def one_line_width(self, stmt: Tree[Token]) -> int | None:
        """The width of a statement on one line; None if a comment is inside it."""
        tokens = [t for t in _leaves(stmt) if self.kept(t)]
        if any(self.infos[_pos(t)].leading for t in tokens[1:]):
            return None
        if any(self.infos[_pos(t)].trailing is not None for t in tokens[:-1]):
            return None
        led = set(self.led)
        width = _flat_width(self.build(stmt))
        self.led = led
        return width

    def n_input_decl(self, node: Tree[Token]) -> _Doc:
        keyword, name, colon, type_, *default = node.children
        assert isinstance(keyword, Token) and isinstance(name, Token) and isinstance(colon, Token)
        pad = self.pads.get(id(node), 1)
        out: list[_Doc] = [*self.tok(keyword), SP, *self.tok(name), *self.tok(colon), _text(" " * pad), self.build(type_)]
        for part in default:
            out += [SP, self.build(part)]
        return out

    def block(self, node: Tree[Token]) -> _Doc:
        """``head { entry ... }``: one entry a line, indented (filled blocks: as many
        entries a line as fit)."""
        kids = node.children
        open_at = next(i for i, c in enumerate(kids) if isinstance(c, Token) and str(c) == "{")
        close = kids[-1]
        assert isinstance(close, Token) and str(close) == "}"
        opening = kids[open_at]
        assert isinstance(opening, Token)
        entries = [c for c in kids[open_at + 1:-1] if self.kept(c)]
        out = self.join(kids[:open_at])
        if out:
            out.append(SP)
        out += self.tok(opening)
        close_info = self.infos[_pos(close)]
        if not entries and not close_info.leading and self.infos[_pos(opening)].trailing is None:
            return out + self.tok(close)
        inner: list[_Doc] = []
        if str(node.data) in _FILLED_BLOCKS and entries:
            parts: list[_Doc] = []
            for i, entry in enumerate(entries):
                if i:
                    first = self.infos[_pos(self.first(entry))]
                    parts.append(self.starts_line(entry) if first.leading or first.blank else LINE)
                comma: list[_Doc] = [_text(",")] if i + 1 < len(entries) else []
                parts.append([self.build(entry), *comma])
            inner += [*self.starts_line(entries[0]), _Fill(parts)]
        else:
            for entry in entries:
                inner += self.starts_line(entry)
                inner.append(self.build(entry))
        if close_info.leading:
            inner += [HARD, *self.leading(close, blanks=True, last_blank=False)]
        return [*out, _Indent(inner), HARD, *self.tok(close, lead=False)]

    def bracket(self, opening: Token, items: Sequence[Tree[Token] | Token], close: Token, *, padded: bool = False,
                commas: bool = True) -> _Doc:
        """``(a, b)``, ``{a, b}``, ``{ a: 1, b: 2 }`` on one line; when too long, as many
        items a line as fit, the lines after the first lined up under the first item.

        ``items`` holds the items and the commas between them (if ``commas``); else the
        items alone, and commas are written between them."""
        kept = [c for c in items if self.kept(c)]
        if not kept and not self.infos[_pos(close)].leading:
            return [*self.tok(opening), *self.tok(close)]
        parts: list[_Doc] = []
        for item in kept:
            if _is_comma(item):
                parts[-1] = [parts[-1], self.build(item)]
                continue
            if parts:
                parts.append(LINE)
            parts.append(self.build(item) if commas or item is kept[-1] else [self.build(item), _text(",")])
        inner: list[_Doc] = [_Fill(parts)]
        if self.infos[_pos(close)].leading:
            inner += [LINE, *self.leading(close)]
        pad: list[_Doc] = [SP] if padded else []
        return _Group([*self.tok(opening), *pad, _Align([*inner, *pad, *self.tok(close, lead=False)])])

    def table(self, node: Tree[Token]) -> _Doc:
        kids = node.children
        open_at = next(i for i, c in enumerate(kids) if isinstance(c, Token) and str(c) == "{")
        opening, close = kids[open_at], kids[-1]
        assert isinstance(opening, Token) and isinstance(close, Token)
        return [*self.join(kids[:open_at]), SP, self.bracket(opening, kids[open_at + 1:-1], close, padded=True, commas=False)]

    def enclosed(self, node: Tree[Token], opening: str, *, spaced: bool = True) -> _Doc:
        """A node whose children are ``head... ( items ) tail...``; ``spaced``: a space
        between the head and the bracket."""
        kids = node.children
        open_at = next(i for i, c in enumerate(kids) if isinstance(c, Token) and str(c) == opening)
        close_at = open_at + 1 + next(
            i for i, c in enumerate(kids[open_at + 1:]) if isinstance(c, Token) and str(c) in ")]}"
        )
        opening_tok, close_tok = kids[open_at], kids[close_at]
        assert isinstance(opening_tok, Token) and isinstance(close_tok, Token)
        items: list[Tree[Token] | Token] = []
        for c in kids[open_at + 1:close_at]:
            items += c.children if isinstance(c, Tree) and str(c.data) == "name_list" else [c]
        head = self.join(kids[:open_at])
        if head and spaced:
            head.append(SP)
        out: list[_Doc] = [*head, self.bracket(opening_tok, items, close_tok)]
        tail = self.join(kids[close_at + 1:])
        if tail:
            out += [SP, *tail]
        return out

    def n_t_enum(self, node: Tree[Token]) -> _Doc:
        return self.enclosed(node, "{")

    def n_t_set(self, node: Tree[Token]) -> _Doc:
        return self.enclosed(node, "{")

    def n_set_literal(self, node: Tree[Token]) -> _Doc:
        return self.enclosed(node, "{")

    def n_call(self, node: Tree[Token]) -> _Doc:
        return self.enclosed(node, "(", spaced=False)

    def n_atom(self, node: Tree[Token]) -> _Doc:
        return self.enclosed(node, "(")

    def n_expect_names(self, node: Tree[Token]) -> _Doc:
        return self.enclosed(node, "[")

    def n_weighted(self, node: Tree[Token]) -> _Doc:
        """``weighted 3:7 (a, b) round 0.5``: the weights written as a ratio."""
        kids = node.children
        open_at = next(i for i, c in enumerate(kids) if isinstance(c, Token) and str(c) == "(")
        keyword, *weights = kids[:open_at]
        out: list[_Doc] = [self.build(keyword), SP, *(self.build(w) for w in weights), SP]
        tree = Tree(node.data, kids[open_at:])
        return out + [self.enclosed(tree, "(")]

    def n_neg(self, node: Tree[Token]) -> _Doc:
        return [self.build(c) for c in node.children]

    def n_signed_number(self, node: Tree[Token]) -> _Doc:
        return [self.build(c) for c in node.children]

    def chain(self, node: Tree[Token]) -> _Doc:
        """``a + b - c``, ``a and b and c``: one line, else as many operands a line as
        fit, each further line indented and starting with its operator."""
        kind = str(node.data)
        rest: list[_Doc] = []
        while isinstance(node, Tree) and str(node.data) == kind:
            left, op, right = node.children
            assert isinstance(op, Token)
            rest[:0] = [_Indent([LINE]), _Indent([*self.tok(op), SP, self.build(right)])]
            node = left  # type: ignore[assignment]
        return _Group([_Fill([self.build(node), *rest])])

    def n_when(self, node: Tree[Token]) -> _Doc:
        value, keyword, cond = node.children
        assert isinstance(keyword, Token)
        return _Group([self.build(value), _Indent([LINE, *self.tok(keyword), SP, self.build(cond)])])

    def n_if_else(self, node: Tree[Token]) -> _Doc:
        if_, cond, then, a, else_, b = node.children
        assert isinstance(if_, Token) and isinstance(then, Token) and isinstance(else_, Token)
        return _Group([
            *self.tok(if_), SP, self.build(cond),
            _Indent([LINE, *self.tok(then), SP, self.build(a), LINE, *self.tok(else_), SP, self.build(b)]),
        ])

    def when_rule(self, node: Tree[Token]) -> _Doc:
        """``veto "名" when cond``: broken before ``when`` when too long."""
        kids = node.children
        at = max(i for i, c in enumerate(kids) if isinstance(c, Token) and str(c) == "when")
        keyword = kids[at]
        assert isinstance(keyword, Token)
        tail: list[_Doc] = [LINE, *self.tok(keyword), SP, *self.join(kids[at + 1:])]
        return _Group([*self.join(kids[:at]), _Indent(tail)])

    def n_badge(self, node: Tree[Token]) -> _Doc:
        """``"名": cond from records for applies``: broken before ``for`` when too long."""
        kids = node.children
        applies = kids[-1] if isinstance(kids[-1], Tree) and str(kids[-1].data) == "applies" else None
        if applies is None:
            return self.join(kids)
        assert isinstance(applies, Tree)
        keyword, *cond = applies.children
        assert isinstance(keyword, Token)
        tail: list[_Doc] = [LINE, *self.tok(keyword), SP, *self.join(cond)]
        return _Group([*self.join(kids[:-1]), _Indent(tail)])

    def n_ex_expect(self, node: Tree[Token]) -> _Doc:
        """``expect a = 1, level = 5``: one line, else one expectation a line."""
        keyword, first, *rest = node.children
        assert isinstance(keyword, Token)
        tail: list[_Doc] = []
        for c in rest:
            tail += [self.build(c), LINE] if _is_comma(c) else [self.build(c)]
        return _Group([*self.tok(keyword), SP, self.build(first), _Indent(tail)])


def _spaced(a: Token, b: Token) -> bool:
    """Whether one space goes between two tokens written on one line."""
    av, bv = str(a), str(b)
    if av in ("(", "[") or bv in (")", "]", ",", ":"):
        return False
    if (bv == ".." and a.type in _NUMBERS) or (av == ".." and b.type in _NUMBERS):
        return False
    return a.type != "MINUS"  # a sign: -5, -a


def _flat_width(doc: _Doc) -> int | None:
    """The width of a document on one line, comments left out; None if it cannot be."""
    if isinstance(doc, list):
        total = 0
        for d in doc:
            w = _flat_width(d)
            if w is None:
                return None
            total += w
        return total
    if isinstance(doc, _Text):
        return doc.width
    if isinstance(doc, _Space):
        return 1
    if isinstance(doc, _Line):
        return 0 if doc.soft else 1
    if isinstance(doc, _Hard):
        return None
    if isinstance(doc, _Group | _Indent | _Align | _Fill):
        return _flat_width(doc.parts)
    if isinstance(doc, _IfBreak):
        return _flat_width(doc.flat)
    return 0  # _Blank, _Eol, _Own (a _FillAt exists only while printing)


def _force_breaks(doc: _Doc) -> None:
    """Mark the groups that cannot be on one line: those with a newline or an own-line
    comment inside, or an end-of-line comment followed by more of the group."""
    open_groups: list[_Group] = []
    after_comment: set[int] = set()  # ids of the open groups that hold an end-of-line comment

    def walk(d: _Doc) -> None:
        if isinstance(d, list):
            for x in d:
                walk(x)
        elif isinstance(d, _Group):
            open_groups.append(d)
            walk(d.parts)
            open_groups.pop()
        elif isinstance(d, _Indent | _Align | _Fill):
            walk(d.parts)
        elif isinstance(d, _IfBreak):
            walk(d.flat)
        elif isinstance(d, _Text):
            for group in open_groups:
                group.broken = group.broken or id(group) in after_comment
        elif isinstance(d, _Eol):
            after_comment.update(id(group) for group in open_groups)
        elif isinstance(d, _Own | _Hard):
            for group in open_groups:
                group.broken = True

    walk(doc)


# ---- layout document -> lines -------------------------------------------------------


@attrs.define
class _OutLine:
    indent: int
    code: list[str] = attrs.field(factory=list)
    comment: str | None = None
    own: bool = False  # a comment on a line of its own

    @property
    def text(self) -> str:
        return "".join(self.code)


class _Printer:
    """Prints a document: each group flat if it fits, else broken (Wadler, Prettier).

    Newlines are asked for, not written: a request waits for the next text, a later
    request replaces it (``_Hard``, a broken ``_Line``), and a newline forced by a
    comment waits only if none is asked for already (continuation indent)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[_OutLine] = []
        self.cur: _OutLine | None = None
        self.pending: int | None = None  # the indentation of the newline asked for
        self.blank = False

    def column(self) -> int:
        if self.pending is not None:
            return self.pending
        if self.cur is None:
            return 0
        return self.cur.indent + text_width(self.cur.text)

    def emit(self, text: str) -> None:
        if self.cur is None or self.pending is not None:
            if self.cur is not None:
                self.lines.append(self.cur)
            previous = self.lines[-1] if self.lines else None
            if self.blank and previous is not None and previous.code \
                    and (previous.own or not previous.text.endswith(_OPENING)):
                self.lines.append(_OutLine(0))
            self.cur = _OutLine(self.pending or 0)
            self.pending = None
            self.blank = False
        self.cur.code.append(text)

    def space(self) -> None:
        if self.pending is None and self.cur is not None and self.cur.code:
            self.cur.code.append(" ")

    def newline(self, indent: int) -> None:
        self.pending = indent

    def print(self, doc: _Doc) -> list[_OutLine]:
        cmds: list[tuple[int, bool, _Doc]] = [(0, False, doc)]
        while cmds:
            indent, flat, d = cmds.pop()
            if isinstance(d, list):
                cmds += [(indent, flat, x) for x in reversed(d)]
            elif isinstance(d, _Text):
                self.emit(d.text)
            elif isinstance(d, _Space):
                self.space()
            elif isinstance(d, _Line):
                if not flat:
                    self.newline(indent)
                elif not d.soft:
                    self.space()
            elif isinstance(d, _Hard):
                self.newline(indent)
            elif isinstance(d, _Blank):
                self.blank = self.blank or self.pending is not None
            elif isinstance(d, _Eol):
                assert self.cur is not None
                self.cur.comment = d.text
                if self.pending is None:
                    self.pending = indent + INDENT
            elif isinstance(d, _Own):
                if self.pending is None:
                    self.pending = indent + INDENT
                self.blank = self.blank or d.blank
                self.emit(d.text)
                assert self.cur is not None
                self.cur.own = True
                self.pending = self.cur.indent
            elif isinstance(d, _Group):
                group_flat = flat or (not d.broken and self.fits(d.parts, cmds))
                cmds.append((indent, group_flat, d.parts))
            elif isinstance(d, _Indent):
                cmds.append((indent + INDENT, flat, d.parts))
            elif isinstance(d, _Align):
                cmds.append((self.column(), flat, d.parts))
            elif isinstance(d, _Fill):
                if flat or self.fits(d.parts, cmds):
                    cmds.append((indent, True, d.parts))
                else:
                    cmds.append((indent, False, _FillAt(d, 0)))
            elif isinstance(d, _FillAt):
                parts, at = d.fill.parts, d.at
                if at + 2 < len(parts):
                    cmds.append((indent, False, _FillAt(d.fill, at + 2)))
                item = parts[at]
                if at == 0:
                    cmds.append((indent, self.fits([item], []), item))
                else:
                    together = self.fits([parts[at - 1], item], cmds)
                    cmds += [(indent, together or self.fits([item], []), item), (indent, together, parts[at - 1])]
            elif isinstance(d, _IfBreak):
                cmds.append((indent, flat, d.flat if flat else d.broken))
        if self.cur is not None:
            self.lines.append(self.cur)
        return self.lines

    def fits(self, parts: list[_Doc], rest: list[tuple[int, bool, _Doc]]) -> bool:
        """Whether ``parts`` on one line, and what follows up to the next newline, fit."""
        room = self.width - self.column()
        stack: list[tuple[bool, _Doc]] = [(True, parts)]
        at = len(rest)
        while room >= 0:
            if not stack:
                if at == 0:
                    return True
                at -= 1
                stack.append((rest[at][1], rest[at][2]))
                continue
            flat, d = stack.pop()
            if isinstance(d, list):
                stack += [(flat, x) for x in reversed(d)]
            elif isinstance(d, _Text):
                room -= d.width
            elif isinstance(d, _Space):
                room -= 1
            elif isinstance(d, _Line):
                if not flat:
                    return True
                room -= 0 if d.soft else 1
            elif isinstance(d, _Hard | _Eol | _Own | _FillAt):
                return True  # a newline (or, in a broken fill, a place where one may go)
            elif isinstance(d, _Group):
                stack.append((flat and not d.broken, d.parts))
            elif isinstance(d, _Indent | _Align | _Fill):
                stack.append((flat, d.parts))
            elif isinstance(d, _IfBreak):
                stack.append((flat, d.flat if flat else d.broken))
        return False


def _lines_text(lines: list[_OutLine]) -> str:
    """The lines as text; the end-of-line comments of consecutive lines aligned."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j].comment is not None:
            j += 1
        if j == i:
            line = lines[i]
            out.append((" " * line.indent + line.text).rstrip() if line.code else "")
            i += 1
            continue
        run = [(" " * ln.indent + ln.text).rstrip() for ln in lines[i:j]]
        column = max(text_width(code) for code in run) + 2
        for code, ln in zip(run, lines[i:j]):
            out.append(code + " " * (column - text_width(code)) + (ln.comment or ""))
        i = j
    return "".join(line + "\n" for line in out)


def _format(clean: str, width: int) -> str:
    """The layout of a normalised scheme text that parses."""
    tree = _lark().parse(clean)
    tokens = list(_leaves(tree))
    dropped = _dropped(tree)
    infos, eof = _attach(clean, tokens, dropped, _breaking(tree))
    builder = _Builder(infos, eof, dropped, width)
    doc = builder.build(tree)
    _force_breaks(doc)
    lines = _Printer(width).print(doc)
    written = sum(ln.own for ln in lines) + sum(ln.comment is not None for ln in lines)
    if written != len(eof) + sum(len(i.leading) + (i.trailing is not None) for i in infos.values()):
        raise FormatError("a comment would be lost; the input is left as it is")
    return _lines_text(lines)
