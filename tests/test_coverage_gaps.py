"""Paths of the parser, checker, engines and runtime that the rest of the suite left untried.

What a policy author sees for: a scheme saved with old Mac line ends (a carriage return
alone ends a line; a comment used to run to the end of the file); a comment with a form
feed in it, which Python's str.splitlines breaks but the language does not, so that each
statement parses alone and only the whole text shows the error; a number literal of over
4,000 characters; an empty band block; an 'if' whose branches are both conditions; a band
open both ways, as the trace shows it; and earlier outcomes (history) given with no period,
a period that is not a number, or a star level written as a text.

Each expected value is worked out by hand from the scheme's text and the message in the
source; line numbers are counted in the text, written next to each line.
"""

from __future__ import annotations

import pytest

import starrules
from starrules import StarCheckError, StarSyntaxError


def errors_of(source: str) -> list[starrules.Diagnostic]:
    with pytest.raises((StarCheckError, StarSyntaxError)) as info:
        starrules.loads(source)
    return info.value.diagnostics


def seen(diagnostics: list[starrules.Diagnostic]) -> list[tuple[str, int, str, str | None]]:
    """Code, line, message and hint of each diagnostic, in the order they are reported."""
    return [(d.code, d.span.line, d.message, d.hint) for d in diagnostics]


HEAD = ('scheme "覆盖缺口"',                                        # 1
        "levels stars 0..2",                                         # 2
        "input 得分 : score 0..100")                                 # 3
BAND = "band 得分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"


# ==== the parser ==================================================================================

def test_a_scheme_with_old_mac_line_ends_keeps_what_follows_a_comment(engine: str) -> None:
    # Every line ends with a carriage return alone. The comment on line 3 ends there, as
    # in any editor: before, it ran to the end of the text (the parser's comments end at
    # a newline), so the score and the band were lost and the file had no band (E405).
    source = "\r".join([*HEAD[:2],                                   # 1-2
                        "# 旧式 Mac 文件：每行以回车结尾",              # 3
                        HEAD[2],                                     # 4
                        "score 乙 = 得分 + 5",                        # 5
                        "band 乙 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"]) + "\r"   # 6
    scheme = starrules.loads(source)
    # 88 + 5 = 93, in [90, ..): 2 stars
    result = scheme.evaluate({"得分": 88}, engine=engine)
    assert (result.scores["乙"], result.level) == (93, 2)


def test_a_diagnostic_counts_the_lines_of_old_mac_line_ends() -> None:
    source = "\r".join([*HEAD,                                       # 1-3
                        "# 注释",                                     # 4
                        "score 乙 = 得份",                            # 5: 得份 for 得分
                        "band 乙 { 2: [90, ..)  0: (.., 90) }"]) + "\r"   # 6
    (d,) = errors_of(source)
    assert (d.code, d.span.line, d.span.column) == ("E101", 5, 11)  # 得份 is the 11th character of line 5
    assert d.message == "'得份' is not defined; expected an input or a score"
