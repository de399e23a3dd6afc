"""Diagnostics as data, and the one place they are drawn as text.

Takes problems found by the parser and the checker; gives :class:`Diagnostic` values and
:func:`render`, which draws each one in the style of the Rust and Elm compilers: the
file, line and column, the source line, a caret under the offending text (aligned under
wide Chinese characters too), the message and a hint saying what to write instead.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterable, Sequence

import attrs

from starrules.i18n import N_, _
from starrules.nodes import Span

# The words for a severity, translated where drawn (the data keeps "error"/"warning").
SEVERITY_WORDS = {"error": N_("error"), "warning": N_("warning")}


@attrs.frozen
class Diagnostic:
    code: str
    severity: str  # "error" | "warning"
    span: Span
    message: str
    hint: str | None = None
    source_name: str = "<string>"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def location(self) -> str:
        return f"{self.source_name}:{self.span.line}:{self.span.column}"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.source_name,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "message": self.message,
            "hint": self.hint,
        }


def char_width(ch: str) -> int:
    """Columns a character takes in a terminal: 2 for wide (CJK) characters."""
    if ch == "\t":
        return 4
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(char_width(c) for c in text)


# ANSI colours, as compilers draw them on a terminal (the CLI decides when: --color, NO_COLOR).
PAINT = {"error": "\033[1;31m", "warning": "\033[1;33m", "frame": "\033[1;34m", "hint": "\033[1;36m",
         "bold": "\033[1m"}
RESET = "\033[0m"


def _painter(color: bool) -> Callable[[str, str], str]:
    def paint(kind: str, text: str) -> str:
        return f"{PAINT[kind]}{text}{RESET}" if color and text else text

    return paint


def render(diagnostic: Diagnostic, source: str, *, color: bool = False) -> str:
    """Draw one diagnostic against the text of its file; ``color``: with ANSI colours
    (the kind and caret red for an error, yellow for a warning; the frame blue; the
    hint cyan), the same text otherwise."""
    d = diagnostic
    paint = _painter(color)
    colon = _("{name}: {value}").format(name="", value="")  # the language's: ": " in English, "：" in Chinese
    head = paint(d.severity, f"{_(SEVERITY_WORDS[d.severity])}[{d.code}]")
    out = [head + paint("bold", f"{colon}{d.message}"), f"  {paint('frame', '-->')} {d.location()}"]
    lines = source.splitlines()
    if 1 <= d.span.line <= len(lines):
        text = lines[d.span.line - 1]
        gutter = str(d.span.line)
        pad = " " * len(gutter)
        start = max(d.span.column - 1, 0)
        if d.span.end_line == d.span.line and d.span.end_column > d.span.column:
            end = min(d.span.end_column - 1, len(text))
        else:
            end = len(text.rstrip())
        end = max(end, start + 1)
        shown = text.replace("\t", "    ")
        before = text_width(text[:start])
        marked = max(text_width(text[start:end]), 1)
        out += [
            paint("frame", f" {pad} |"),
            paint("frame", f" {gutter} |") + f" {shown}",
            paint("frame", f" {pad} |") + f" {' ' * before}" + paint(d.severity, "^" * marked),
        ]
    if d.hint:
        hint_lines = d.hint.splitlines()
        head = "  = " + _("hint") + colon
        out.append(paint("hint", head) + hint_lines[0])
        out += [" " * text_width(head) + h for h in hint_lines[1:]]
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], source: str, *, color: bool = False) -> str:
    return "\n\n".join(render(d, source, color=color) for d in diagnostics)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions of characters."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def close_matches(name: str, candidates: Iterable[str]) -> list[str]:
    """The candidates closest to a misspelt name, if any is close enough, in sorted order.

    Chinese names are short, so closeness is counted in characters: at most a third
    of the longer name may differ (at least one character). Among equally distant
    candidates, those sharing the longer beginning with the name are closer; candidates
    still equally close are all given (超期 is as close to 按期 as to 逾期).
    """
    best: tuple[int, int] | None = None
    found: list[str] = []
    pool = sorted(set(candidates))
    for cand in pool:
        if cand == name:
            continue
        dist = edit_distance(name, cand)
        if dist > max(1, max(len(name), len(cand)) // 3):
            continue
        prefix = next((i for i, (x, y) in enumerate(zip(name, cand)) if x != y), min(len(name), len(cand)))
        key = (dist, -prefix)
        if best is None or key < best:
            best, found = key, [cand]
        elif key == best:
            found.append(cand)
    if not found:  # a transposition or a case slip in a longer name
        return difflib.get_close_matches(name, pool, n=1, cutoff=0.75)
    return found


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name (the first in sorted order on a tie)."""
    matches = close_matches(name, candidates)
    return matches[0] if matches else None


def name_meant(name: str, candidates: Sequence[str]) -> str | None:
    """The name meant by a misspelt or reworded ``name`` (a column's header, a record's
    key): a close spelling, or the one candidate that contains it or is contained in it
    (``获得表彰`` for ``表彰``), or the one that shares a word with it."""
    close = did_you_mean(name, candidates)
    if close:
        return close
    containing = [c for c in candidates if name in c or c in name]
    if containing:
        return containing[0] if len(containing) == 1 else None
    # the one candidate sharing the longest run of characters with it, at least two and half
    # the shorter name (``通报次数`` for ``工委通报``: 通报 is the word they share)
    def shared(c: str) -> int:
        return difflib.SequenceMatcher(None, name, c, autojunk=False).find_longest_match().size

    runs = {c: shared(c) for c in candidates}
    best = max(runs.values(), default=0)
    sharing = [c for c, k in runs.items() if k == best]
    if best >= 2 and len(sharing) == 1 and 2 * best >= min(len(name), len(sharing[0])):
        return sharing[0]
    return None


def listing(items: Sequence[str], last: str | None = None) -> str:
    """Items one after another in the reader's language: ``a, b, c`` (``a、b、c``), or with
    ``last`` "and" / "or" before the last item: ``a, b and c`` (``a、b 和 c``)."""
    items = list(items)
    if len(items) < 2 or last is None:
        return _(", ").join(items)
    head = _(", ").join(items[:-1])
    if last == "or":
        return _("{items} or {last}").format(items=head, last=items[-1])
    return _("{items} and {last}").format(items=head, last=items[-1])


def suggestion(name: str, candidates: Iterable[str]) -> str | None:
    """A hint naming every closest candidate: "did you mean '按期' or '逾期'?"."""
    matches = [f"'{c}'" for c in close_matches(name, candidates)]
    if not matches:
        return None
    return _("did you mean {names}?").format(names=listing(matches, "or"))


def sort_diagnostics(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.source_name, d.span.line, d.span.column, d.code))
