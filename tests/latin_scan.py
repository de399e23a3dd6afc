"""Find English left in a Chinese output: the Latin words that are not names, codes,
keywords of the .star language or numbers. Shared by the tests of every Chinese output.

    from latin_scan import latin_words, source_words, words

    assert latin_words(text) == []                      # nothing but Chinese, codes, keywords
    assert latin_words(text, source_words(scheme)) == []  # and the names the author wrote
    assert latin_words(text, words(data)) == []         # and the words of the data

A word is a run of Latin letters (``a-z``, ``A-Z``); digits, punctuation and CJK text
never count. Allowed without being asked for:

* the keywords of the .star language, read from ``grammars/star.lark`` (every quoted
  literal of the grammar: ``band``, ``cap``, ``at``, ``most``, ``when``, ...), and the
  words a scheme author writes that the grammar takes as names: the functions (``sum``,
  ``max``, ...), the keys and statuses of an ``expect`` line (``status``, ``rated``, ...);
* diagnostic codes such as ``E101``, ``W401`` (a letter followed by digits is a code).

``allowed`` adds more words, compared case-sensitively: a scheme's own names, written in
Latin letters (:func:`source_words` gives every word of a scheme's text but its comments;
:func:`words` every word of a data file). A line drawn
from the source by a diagnostic (`` 5 | total 得分 = ...``) and the ``-->`` line naming
the file are the author's text, not the program's, and are skipped by
:func:`program_lines`; :func:`latin_words` reads only those lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammars" / "star.lark"

WORD = re.compile(r"[A-Za-z]+")
CODE = re.compile(r"[EW]\d{3}")
SOURCE_LINE = re.compile(r"^\s*\d*\s*\|")  # the gutter of a source line drawn by a diagnostic
LOCATION_LINE = re.compile(r"^\s*-->\s")

# Words a scheme author writes that are names to the grammar, not its literals.
AUTHOR_WORDS = frozenset({
    "sum", "max", "min", "all", "any",  # functions
    "status", "reason", "flags", "badges", "total", "level",  # keys of an expect line
    "rated", "invalid", "ineligible",  # statuses
})


@cache
def keywords() -> frozenset[str]:
    """Every word of a quoted literal of the grammar (``"from records"`` gives two)."""
    text = GRAMMAR.read_text(encoding="utf-8")
    literals = re.findall(r'"([^"\\]*)"i?', text)
    return frozenset(w for lit in literals for w in WORD.findall(lit)) | AUTHOR_WORDS


# A string of the .star language, or a comment (from '#' to the end of the line, as the grammar's COMMENT)
STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def source_words(source: str) -> set[str]:
    """Every Latin word of a scheme's text outside its comments: its keywords and any name
    written in Latin. The comments are the author's notes, often in English ("the band runs
    from ..."): their words are not names the program may repeat, and allowing them would
    let English slip through a scan unseen."""
    code = STRING_OR_COMMENT.sub(lambda m: "" if m.group().startswith("#") else m.group(), source)
    return set(WORD.findall(code))


def words(text: str) -> set[str]:
    """Every Latin word of a text that has no comments (a data file, a file's name)."""
    return set(WORD.findall(text))


def program_lines(text: str) -> list[str]:
    """The lines of an output that the program wrote: not source lines a diagnostic
    draws, nor the ``-->`` line with the file's name."""
    return [line for line in text.splitlines() if not SOURCE_LINE.match(line) and not LOCATION_LINE.match(line)]


def latin_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The Latin words of ``text`` (its program lines) that are neither keywords, codes
    nor ``allowed``, each with its line: ``["'is' in: x is 3"]``; empty when clean."""
    ok = keywords() | set(allowed)
    found = []
    for line in program_lines(text):
        # a code is a letter and digits: take codes out first so E101 leaves no "E"
        for word in WORD.findall(CODE.sub(" ", line)):
            if word not in ok and word.lower() not in ok:
                found.append(f"{word!r} in: {line.strip()}")
    return found
