"""Syntax highlighting of ``.star`` schemes with Pygments.

Pygments is an optional dependency (the ``highlight`` extra): nothing else in starrules
imports this module, so ``import starrules`` works without it. Installed, the lexer is
found by the names ``star`` and ``starrules`` and for ``*.star`` files.

The lexer reads what the parser reads (see ``grammars/star.lark`` and
``starrules.parser.normalise``), token by token:

============================  ==========================================================
``Comment.Single``            ``#`` to the end of the line
``String.Double``             ``"..."`` and ``“...”`` (no line breaks, no escapes)
``Number.Percent``            ``60%``, ``12.5％``
``Number.Float``              ``0.5``
``Number.Integer``            ``90``
``Keyword.Declaration``       the keyword that starts a statement: ``scheme``, ``input``,
                              ``band``, ``veto``, ``quota``... (``level`` only in
                              ``level from``; ``cap`` and ``flag`` only outside braces)
``Keyword.Type``              ``score count percent bool one set id group text``
``Keyword.Constant``          ``yes no true false 是 否``
``Keyword.Pseudo``            the options of a clause: ``floor``, ``half-up``, ``asc``,
                              ``dhondt``...
``Keyword``                   every other keyword (``when``, ``at``, ``most``, ``and``...)
``Operator``                  ``.. < <= > >= == != = + - *`` and their full-width twins
``Punctuation``               ``: , ( ) [ ] { }`` and ``：，（）［］｛｝【】``
``Name.Variable``             the name a statement declares (``input 得分``)
``Name.Builtin``              ``sum max min all any`` called with ``(``
``Name.Function``             any other name called with ``(``
``Name``                      every other name, Chinese or not
``Error``                     anything the grammar has no token for
============================  ==========================================================

Keywords are whole words: ``是否合格`` is a name, not ``是`` and ``否``.

>>> from starrules.highlight import StarLexer
>>> [(str(t), v) for t, v in StarLexer().get_tokens('veto "低" when 满意率 ＜ 50％') if v.strip()]
[('Token.Keyword.Declaration', 'veto'), ('Token.Literal.String.Double', '"低"'),
 ('Token.Keyword', 'when'), ('Token.Name', '满意率'), ('Token.Operator', '＜'),
 ('Token.Literal.Number.Percent', '50％')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups, include  # type: ignore[import-untyped, unused-ignore]
from pygments.token import (  # type: ignore[import-untyped, unused-ignore]
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

__all__ = ["KEYWORDS", "StarLexer"]

# ---- the keywords of grammars/star.lark, by what they do ----------------------------
# tests/test_highlight.py checks that KEYWORDS is exactly the set of quoted words of the
# grammar, so a keyword added there fails the tests until it is added here.

# Keywords that start a statement and can appear nowhere else.
STATEMENT_ONLY = (
    "scheme levels input total bonus penalty badges band require disqualify veto demote quota select example"
).split()
# Statements whose keyword is followed by the name they declare.
DECLARING = "input score total bonus penalty badges".split()
# Keywords that start a statement outside braces and a clause or an expression inside:
# ``cap``/``flag`` in quota and select blocks, ``level`` in expressions (``level from``
# is the statement).
STATEMENT_OR_CLAUSE = "cap flag level".split()
TYPES = "score count percent bool one set id group text".split()
CONSTANTS = "yes true 是 no false 否".split()
# The words that follow ``round``, ``ties``, ``using`` and a ranking key.
OPTIONS = ("floor ceiling half-up break keep drop asc desc largest-remainder dhondt sainte-lague huntington-hill "
           "adams dean danish imperiali modified-sainte-lague swedish-sainte-lague hamilton hare vinton "
           "jefferson hagenbach-bischoff webster equal-proportions smallest-divisors harmonic-mean").split()
CLAUSES = (
    # header and levels
    "version in force stars grades "
    # inputs
    "of default step "
    # bonus, penalty, badges, rules
    "at most least when by from records for "
    # quotas and selections
    "exactly about top bottom over all per round rank then ties report only enforce "
    "minimum apportion using first divisor among "
    # examples
    "given expect period "
    # expressions
    "if else or and not each highest lookup weighted vetoed flagged within history "
    "throughout periods"
).split()

KEYWORDS = frozenset(STATEMENT_ONLY + DECLARING + STATEMENT_OR_CLAUSE + TYPES + CONSTANTS + OPTIONS + CLAUSES)

BUILTIN_FUNCTIONS = "sum max min all any".split()

NAME = r"[^\W\d]\w*"  # as NAME in the grammar: Chinese letters are \w
GAP = r"[^\S\n]+"  # spaces within a line


def keyword_regex(words: Iterable[str]) -> str:
    """One regex matching any of ``words`` as a whole word; ``-`` also as ``－``.

    >>> keyword_regex(["in", "half-up", "input"])
    '(?:half[-－]up|input|in)(?!\\\\w)'
    """
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w).replace(r"\-", "[-－]") for w in ordered) + r")(?!\w)"


def _nothing(lexer: Any, match: re.Match[str]) -> Iterator[tuple[int, Any, str]]:
    """The action of a zero-width rule: no token."""
    return iter(())


_GENERAL = [w for w in sorted(KEYWORDS) if w not in TYPES and w not in CONSTANTS and w not in OPTIONS]


class StarLexer(RegexLexer):  # type: ignore[misc, unused-ignore]
    """Pygments lexer for starrules ``.star`` rating schemes (星级评定方案)."""

    name = "Star"
    aliases: ClassVar[list[str]] = ["star", "starrules"]
    filenames: ClassVar[list[str]] = ["*.star"]
    mimetypes: ClassVar[list[str]] = ["text/x-star"]

    tokens: ClassVar[dict[str, list[Any]]] = {
        "root": [
            (
                rf"({keyword_regex(DECLARING)})({GAP})({NAME})",
                bygroups(Keyword.Declaration, Whitespace, Name.Variable),
            ),
            (keyword_regex(STATEMENT_ONLY), Keyword.Declaration),
            (rf"(level)({GAP})(from)(?!\w)", bygroups(Keyword.Declaration, Whitespace, Keyword)),
            (keyword_regex(["cap", "flag"]), Keyword.Declaration),
            include("common"),
        ],
        # Inside braces. A keyword that only starts a statement means a brace was left
        # open: go back to the top level, where it is read as the statement it starts.
        "block": [
            (rf"(?={keyword_regex(STATEMENT_ONLY)}|score{GAP}[^\W\d])", _nothing, "#pop:1000"),
            include("common"),
        ],
        "common": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"[^"\n]*"', String.Double),
            (r"“[^”\"\n]*”", String.Double),  # the parser ends a “ string at ” only
            (r"[{｛]", Punctuation, "block"),
            (r"[}｝]", Punctuation, "#pop"),
            (rf"{keyword_regex(BUILTIN_FUNCTIONS)}(?=[^\S\n]*[(（])", Name.Builtin),
            (keyword_regex(CONSTANTS), Keyword.Constant),
            (keyword_regex(TYPES), Keyword.Type),
            (keyword_regex(OPTIONS), Keyword.Pseudo),
            (keyword_regex(_GENERAL), Keyword),
            (rf"{NAME}(?=[^\S\n]*[(（])", Name.Function),
            (NAME, Name),
            (r"\d+(?:\.\d+)?[%％]", Number.Percent),
            (r"\d+\.\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r"\.\.", Operator),
            (r"[<>＜＞][=＝]?|[=＝!][=＝]|[=＝+＋\-－*]", Operator),
            (r"[:：,，(（)）\[［\]］【】]", Punctuation),
            (r".", Error),
        ],
    }

    @staticmethod
    def analyse_text(text: str) -> float:
        """A scheme starts with ``scheme "名称"`` (after comments) and declares levels."""
        score = 0.0
        if re.search(r'^[ \t]*scheme[ \t]+["“]', text, re.MULTILINE):
            score += 0.4
        if re.search(r"^[ \t]*levels[ \t]+(?:stars|grades)(?!\w)", text, re.MULTILINE):
            score += 0.4
        return score
