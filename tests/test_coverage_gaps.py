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

from decimal import Decimal

import lark
import pytest

import starrules
from starrules import StarCheckError, StarSyntaxError
from starrules.parser import _FRIENDLY, _lark


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


def test_statements_that_parse_alone_but_not_together() -> None:
    # Python's splitlines (with which the parser finds where statements start) breaks
    # the comment of line 5 at its form feed, so "score 乙 = 得分 +" and the "2" of line 6
    # make a statement that parses alone, and so does every other. For the language the
    # comment runs to the newline: the score is part of it, and the "2" is left over.
    source = "\n".join([*HEAD, BAND,                                 # 1-4
                        "# 说明\fscore 乙 = 得分 +",                  # 5
                        "2"]) + "\n"                                 # 6
    (d,) = errors_of(source)
    assert (d.code, d.span.line, d.span.column, d.message) == ("E001", 6, 1, "unexpected '2' here")
    # a statement may start there: the keywords, first in alphabetical order
    assert d.hint is not None and d.hint.startswith("expected 'badges', 'band', 'bonus'")


def test_a_number_literal_of_over_4000_characters_is_refused_by_the_parser() -> None:
    # 4,001 digits: over the parser's limit of 4,000 characters (before Python's 4,300
    # digit limit on whole numbers); the message gives the checker's limit, 30 digits
    digits = "1" * 4001
    (d,) = errors_of("\n".join([*HEAD, BAND,                         # 1-4
                                f"score 乙 = 得分 + {digits}"]) + "\n")   # 5
    # 'score 乙 = 得分 + ' is 15 characters: the number starts in column 16
    assert (d.code, d.span.line, d.span.column) == ("E301", 5, 16)
    assert (d.message, d.hint) == ("a number with more than 30 digits", "ratings need far fewer digits")


def test_every_terminal_the_parser_can_expect_has_words() -> None:
    # What keeps parser._terminal_name's last line (the terminal's own name) unreached:
    # a terminal is in _FRIENDLY, or a keyword or punctuation, written as itself, or one
    # the parser ignores (spaces, comments), which it never expects.
    unnamed = [t.name for t in _lark().terminals
               if t.name not in _FRIENDLY and not isinstance(t.pattern, lark.lexer.PatternStr)]
    assert sorted(unnamed) == ["COMMENT", "WS"]
    assert set(unnamed) <= set(_lark().lexer_conf.ignore)


# ==== the checker =================================================================================

def test_an_empty_band_block() -> None:
    diags = errors_of("\n".join([*HEAD, "band 得分 { }"]) + "\n")    # 4: no entry
    assert seen(diags) == [("E401", 4, "the band block is empty: every score falls in no band",
                            "give each level its interval, e.g. 5: [90, ..)")]


def test_if_between_two_conditions_is_a_condition(engine: str) -> None:
    # both branches are yes/no, so the 'if' is a yes/no condition a flag can take
    scheme = starrules.loads("\n".join([*HEAD, BAND,
                                        "input 达标 : bool",
                                        "input 满意率 : percent",
                                        'flag "满意率偏低" when if 达标 then 满意率 < 60% else 满意率 < 80%']) + "\n")
    # 达标: the bar is 60%, and 70% is above it; not 达标: the bar is 80%, and 70% is below it
    assert scheme.evaluate({"得分": 70, "达标": "是", "满意率": "70%"}, engine=engine).flags == ()
    assert scheme.evaluate({"得分": 70, "达标": "否", "满意率": "70%"}, engine=engine).flags == ("满意率偏低",)


# ==== the engines and the runtime =================================================================

def test_a_band_open_both_ways_is_shown_as_written_in_the_trace() -> None:
    # one band for every score: the trace's words ("at least 60 and below 90") have no form
    # for a range with neither end, so the band is shown as written, (.., ..)
    scheme = starrules.loads("\n".join([*HEAD, "band 得分 { 1: (.., ..) }"]) + "\n")
    result = scheme.evaluate({"得分": 70}, engine="reference", trace=True)
    (step,) = [s for s in result.trace if s.stage == "band"]
    assert step.detail == "得分 70 is (.., ..): 1星"


HISTORY = "\n".join([*HEAD, BAND,                                    # 1-4
                     'flag "连续一星" when level == 1 and history level == 1 throughout 1 period']) + "\n"


def test_a_star_level_of_history_written_as_a_text(engine: str) -> None:
    scheme = starrules.loads(HISTORY)
    # 得分 70 is in [60, 90): 1 star; the year before, "1" (as a data file gives it) is 1 star,
    # so the run of one-star years holds and the flag is raised; " 2 " is 2 stars, and it is not
    once = scheme.evaluate({"得分": 70}, period=2018, history=[{"period": 2017, "level": "1"}], engine=engine)
    assert (once.level, once.flags) == (1, ("连续一星",))
    other = scheme.evaluate({"得分": 70}, period=2018, history=[{"period": "2017", "level": " 2 "}], engine=engine)
    assert (other.level, other.flags) == (1, ())


@pytest.mark.parametrize("item", [{"level": 1}, {"period": "去年", "level": 1}, {"period": 2017, "vetoes": 5}],
                         ids=["no period", "a period that is no number", "vetoes that are no list"])
def test_an_earlier_outcome_that_cannot_be_read(item: dict[str, object], engine: str) -> None:
    scheme = starrules.loads(HISTORY)
    with pytest.raises(starrules.InputError) as info:
        scheme.evaluate({"得分": 70}, period=2018, history=[item], engine=engine)
    (problem,) = info.value.problems
    assert (problem.field, problem.value) == ("history", item)
    assert problem.expected == "an earlier outcome with its period, level, status, vetoes and flags"


def test_a_scheme_with_no_inputs(engine: str) -> None:
    # nothing to read: the score is a constant, 95, in [90, ..): 2 stars for any record
    scheme = starrules.loads("\n".join([*HEAD[:2], "score 乙 = 95",
                                        "band 乙 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"]) + "\n")
    result = scheme.evaluate({}, engine=engine)
    assert (result.scores["乙"], result.level) == (95, 2)


def test_a_product_beyond_80_digits_leaves_the_fast_path(engine: str) -> None:
    # three inputs of up to 30 digits: their product may reach 10^90, past the 10^80 the
    # compiled fast path keeps to, so it is checked there at run time (runtime.big) and an
    # entity beyond it is handed to the exact path. 10^29 three times is 10^87: at least
    # 90, 2 stars; 10 * 3 * 2 = 60 stays on the fast path: [60, 90), 1 star.
    most = "9" * 30
    scheme = starrules.loads("\n".join([*HEAD[:2],
                                        f"input 甲 : score 0..{most}", f"input 乙 : score 0..{most}",
                                        f"input 丙 : score 0..{most}",
                                        "score 积 = 甲 * 乙 * 丙",
                                        "band 积 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"]) + "\n")
    e29 = "1" + "0" * 29
    far = scheme.evaluate({"甲": e29, "乙": e29, "丙": e29}, engine=engine)
    assert (far.scores["积"], far.level) == (Decimal(10) ** 87, 2)
    near = scheme.evaluate({"甲": 10, "乙": 3, "丙": 2}, engine=engine)
    assert (near.scores["积"], near.level) == (60, 1)


def test_a_name_where_a_bracket_should_close_is_told_the_bracket() -> None:
    # parser._slip_hint: after max(x the parser wants ',' or ')'; a name there (qq, no
    # keyword close to it) more likely follows a bracket left open than a missing comma
    text = ('scheme "p"\nlevels stars 0..5\ninput x : score 0..10\nscore s = max(x qq)\n'
            "band s { 5: [5, ..) 0: else }\n")
    with pytest.raises(StarSyntaxError) as caught:
        starrules.loads(text)
    [d] = caught.value.diagnostics
    assert (d.code, d.span.line, d.span.column, d.message) == ("E001", 4, 17, "unexpected 'qq' here")
    assert d.hint is not None and d.hint.startswith("a bracket may be missing: close the open one with")
    assert "')'" in d.hint


def test_flattening_brackets_stops_a_text_left_open_at_its_line() -> None:
    # parser.flatten_parentheses: a quote left open ends at its line (as the grammar's
    # STRING cannot cross one), so the brackets on the next line are still flattened
    from starrules.parser import flatten_parentheses

    assert flatten_parentheses('"((x))\n((y))') == '"((x))\n( y )'
