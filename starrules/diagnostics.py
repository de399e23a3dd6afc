"""Diagnostics as data, and the one place they are drawn as text.

Takes problems found by the parser and the checker; gives :class:`Diagnostic` values and
:func:`render`, which draws each one in the style of the Rust and Elm compilers: the
file, line and column, the source line, a caret under the offending text (aligned under
wide Chinese characters too), the message and a hint saying what to write instead.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence

import attrs

from starrules.nodes import Span


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


def render(diagnostic: Diagnostic, source: str) -> str:
    """Draw one diagnostic against the text of its file."""
    d = diagnostic
    out = [f"{d.severity}[{d.code}]: {d.message}", f"  --> {d.location()}"]
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
            f" {pad} |",
            f" {gutter} | {shown}",
            f" {pad} | {' ' * before}{'^' * marked}",
        ]
    if d.hint:
        hint_lines = d.hint.splitlines()
        out.append(f"  = hint: {hint_lines[0]}")
        out += [f"          {h}" for h in hint_lines[1:]]
    return "\n".join(out)


def render_all(diagnostics: Iterable[Diagnostic], source: str) -> str:
    return "\n\n".join(render(d, source) for d in diagnostics)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt name, if any is close enough."""
    pool = sorted(set(candidates))
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=0.5)
    if matches:
        return matches[0]
    # Chinese names are short: one wrong character out of four is a ratio of 0.75,
    # but a one-character name shares nothing; also try "same length, one char off".
    for cand in pool:
        if len(cand) == len(name) and sum(a != b for a, b in zip(cand, name)) == 1:
            return cand
    return None


def sort_diagnostics(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.source_name, d.span.line, d.span.column, d.code))
