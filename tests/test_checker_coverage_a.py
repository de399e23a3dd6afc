"""The checker on constructs the rest of the suite leaves untried (starrules/checker.py, up to the rules).

What a policy author sees for: a second ``scheme``, ``levels``, ``total`` or ``band``; a
scheme in force for years written the wrong way round; grades, choices and count ranges
that make no sense; defaults of the wrong kind (and a bare number as a percentage's
default); scores clashing with inputs or with each other; bonus entries and badge stars
given twice, badge stars on conditions that are not yes/no, and how many stars ``level
from`` counts; ``level from`` over what is not a count of stars, or onto levels that cannot
hold the count; bands over a choice, a second ``else``, the score shown for an overlap or a
gap; a demotion by 0 levels; and the examples of a scheme: names and values given twice,
values that are calculations, and expectations that are not what their key needs.

Each expected diagnostic is worked out from the message in checker.py and the text of the
scheme; the line numbers are counted in the text, written next to each line.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import starrules
from starrules import StarCheckError, StarSyntaxError
from starrules.examples import run_examples


def text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def errors(*lines: str) -> list[starrules.Diagnostic]:
    with pytest.raises((StarCheckError, StarSyntaxError)) as info:
        starrules.loads(text(*lines))
    return info.value.diagnostics


def only(diagnostics: list[starrules.Diagnostic], code: str) -> starrules.Diagnostic:
    assert [d.code for d in diagnostics] == [code], [(d.code, d.message) for d in diagnostics]
    return diagnostics[0]


def seen(diagnostics: list[starrules.Diagnostic]) -> list[tuple[str, int, str, str | None]]:
    """Code, line, message and hint of each diagnostic, in the order they are reported."""
    return [(d.code, d.span.line, d.message, d.hint) for d in diagnostics]


# A scheme that loads clean, to which each test adds or changes a line or two.
SCORE = "input 得分 : score 0..100"
BAND = "band 得分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"


# ==== the header: one scheme, one levels line, one total, one band ===============================

def test_a_second_scheme_line_and_a_second_levels_line() -> None:
    diags = errors('scheme "甲"',          # 1
                   'scheme "乙"',          # 2: the second 'scheme' line
                   "levels stars 0..2",    # 3
                   "levels stars 0..3",    # 4: the second 'levels' line
                   SCORE,                  # 5
                   BAND)                   # 6
    assert seen(diags) == [("E102", 2, "a second 'scheme' line", "keep only one"),
                           ("E102", 4, "a second 'levels' line", "keep only one")]


def test_the_first_levels_line_is_the_one_that_counts() -> None:
    # the band gives 3 stars, which only the second (refused) levels line has: the band is
    # read against the first, 0..2, so 3 is no level there (E104, line 5)
    diags = errors('scheme "甲"', "levels stars 0..2", "levels stars 0..3", SCORE,
                   "band 得分 { 3: [90, ..)  0: else }")
    assert seen(diags) == [("E102", 3, "a second 'levels' line", "keep only one"),
                           ("E104", 5, "'3' is not one of the levels", "levels run 0..2")]


def test_a_second_total_and_a_second_band() -> None:
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,   # 1-3
                   "total 甲 = 得分",                              # 4
                   "total 乙 = 得分",                              # 5: a second total, named 乙
                   "band 甲 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }",   # 6
                   "band 乙 { 1: [60, ..)  0: else }")            # 7: a second band block
    assert seen(diags) == [
        ("E102", 5, "a second total: '乙'", "only one score is the total; write 'score 乙 = ...'"),
        ("E102", 7, "a second 'band' block", "keep only one"),
    ]


def test_in_force_from_a_later_year_to_an_earlier_one() -> None:
    # 2020..2016 holds no year; the hint writes the same two years the other way round
    d = only(errors('scheme "甲" version "1" in force 2020..2016', "levels stars 0..2", SCORE, BAND), "E302")
    assert d.span.line == 1
    assert d.message == "the scheme is in force from 2020 to 2016, which is no period"
    assert d.hint == "write the earlier year first: in force 2016..2020"


def test_in_force_for_one_year_is_a_period() -> None:
    # first == last is one year, not a reversed range: the scheme loads
    loaded = starrules.loads(text('scheme "甲" in force 2020..2020', "levels stars 0..2", SCORE, BAND))
    assert loaded.program.in_force == (2020, 2020)


# ==== levels and input declarations ===============================================================

def test_a_grade_listed_twice() -> None:
    # 合格 is the lowest grade and listed again at the end; the band uses both grades
    d = only(errors('scheme "甲"', "levels grades 合格 < 优秀 < 合格", SCORE, "band 得分 { 优秀: [90, ..)  合格: else }"),
             "E102")
    assert (d.span.line, d.message, d.hint) == (2, "the grade '合格' is listed twice", None)


def test_an_empty_count_range_and_a_choice_listed_twice() -> None:
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,
                   "input 次数 : count 5..3",                   # 4: 5..3 holds no count
                   "input 类别 : one of {农村, 社区, 农村}",       # 5: 农村 twice
                   BAND)
    assert seen(diags) == [("E302", 4, "the range 5..3 is empty", None),
                           ("E102", 5, "'农村' is listed twice", None)]


def test_a_set_choice_listed_twice() -> None:
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE, "input 表彰 : set of {市级, 省级, 市级}", BAND), "E102")
    assert (d.span.line, d.message) == (4, "'市级' is listed twice")


def test_a_bare_number_as_the_default_of_a_percentage_is_a_number_of_percent() -> None:
    # docs/language.md: "a bare `default 80` is also 80%"; 100 × 80% = 80, one star
    loaded = starrules.loads(text('scheme "甲"', "levels stars 0..2", "input 满意率 : percent default 80",
                                  "score 满意分 = 100 * 满意率", "band 满意分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"))
    (rate,) = loaded.inputs
    assert (rate.has_default, rate.default) == (True, Decimal("0.8"))
    result = loaded.evaluate({})
    assert (result.scores["满意分"], result.level) == (Decimal("80"), 1)


def test_a_bare_number_default_of_a_percentage_over_100_is_outside() -> None:
    # default 120 is 120%, beyond what a percentage can be
    d = only(errors('scheme "甲"', "levels stars 0..2", "input 满意率 : percent default 120",
                    "score 满意分 = 100 * 满意率", "band 满意分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"), "E301")
    assert d.span.line == 3 and d.message.startswith("the default of '满意率' is outside its declaration: ")


@pytest.mark.parametrize(("declaration", "kind"), [
    ("count default 是", "a count (whole number)"),        # a yes/no for a count
    ("bool default 1", "yes/no"),                          # a number for a yes/no
    ("percent default 是", "a percentage"),
    ("text default 5", "a text"),                          # a text's default is quoted
    ("one of {按期, 逾期} default \"按期\"", "one of {按期, 逾期}"),   # a choice is a name, not a text
])
def test_a_default_of_the_wrong_kind(declaration: str, kind: str) -> None:
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE, f"input 项 : {declaration}", BAND), "E201")
    assert (d.span.line, d.message, d.hint) == (4, f"the default of '项' must be {kind}", None)


# ==== scores, bonus and penalty blocks ============================================================

def test_a_score_named_as_an_input_and_a_score_defined_twice() -> None:
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,   # 1-3: 得分 is an input
                   "score 得分 = 1",                               # 4
                   "score 乙 = 2",                                 # 5: 乙 first
                   "score 乙 = 3",                                 # 6: 乙 again
                   BAND)
    assert seen(diags) == [
        ("E102", 4, "'得分' is already declared as an input", "give the score another name"),
        ("E102", 6, "'乙' is defined twice", "it was first defined on line 5; remove one or rename it"),
    ]


def test_a_bonus_block_defined_twice_names_the_first_line() -> None:
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,
                   'bonus 加分 { "甲": 1 }',              # 4
                   'penalty 加分 { "乙": 1 }',            # 5: the same name as the bonus
                   "total 总分 = 得分 + 加分",
                   "band 总分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }")
    assert seen(diags) == [("E102", 5, "'加分' is defined twice", "it was first defined on line 4; remove one or rename it")]


def test_two_bonus_entries_with_one_label() -> None:
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE,
                    "bonus 加分 {",               # 4
                    '  "表彰": 1',                # 5
                    '  "表彰": 2',                # 6: the label again
                    "}",
                    "total 总分 = 得分 + 加分",
                    "band 总分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }"), "E102")
    assert (d.span.line, d.message, d.hint) == (6, "two entries of '加分' are labelled '表彰'", "give each entry its own label")


# ==== badge stars =================================================================================

BADGE_INPUTS = ("input 宗旨 : percent",                       # 3
                "input 类别 : one of {农村, 机关}")            # 4


def test_two_stars_with_one_name_and_stars_on_conditions_that_are_not_yes_no() -> None:
    diags = errors('scheme "十星"', "levels stars 0..3", *BADGE_INPUTS,
                   "badges 星数 {",                          # 5
                   '  "宗旨星": 宗旨 > 90%',                  # 6
                   '  "宗旨星": 宗旨 > 80%',                  # 7: the name again
                   '  "满意星": 宗旨',                        # 8: a percentage, not a condition
                   '  "类别星": 宗旨 > 50% for 类别',          # 9: 'for' a choice input, not a condition
                   "}",
                   "score 星分 = 星数",
                   "band 星分 { 3: [3, ..)  0: else }")
    assert seen(diags) == [
        ("E102", 7, "two stars of '星数' are named '宗旨星'", "give each star its own name"),
        ("E202", 8, "the star '满意星' is won on a yes/no condition, not a percentage", "e.g. 民主测评 > 90%"),
        ("E202", 9, "'for' says which entities the star is for, with a yes/no condition, not one of {农村, 机关}",
         "e.g. for 类别 in {农村, 社区}"),
    ]


def test_stars_for_the_choices_of_one_input_are_counted_per_choice() -> None:
    # 甲 for all, 乙 only for 农村, 丙 only for 机关: nobody can win more than 2 stars, the top level
    loaded = starrules.loads(text('scheme "十星"', "levels stars 0..2", *BADGE_INPUTS,
                                  "badges 星数 {",
                                  '  "甲": 宗旨 > 50%',
                                  '  "乙": 宗旨 > 60% for 类别 == 农村',
                                  '  "丙": 宗旨 > 70% for 类别 in {机关}',
                                  "}",
                                  "level from 星数"))
    assert loaded.evaluate({"宗旨": "95%", "类别": "机关"}).level == 2


@pytest.mark.parametrize("applies", [
    "for 宗旨 > 10%",                  # a condition on a percentage: not a choice of one input
    "for 类别 != 机关",                 # '!=' names no choices the star is for
    "for 类别 not in {机关}",           # nor does 'not in'
    "for 地区 == 城区",                 # choices of another input than the other 'for'
])
def test_stars_limited_by_any_other_for_count_every_star(applies: str) -> None:
    # with 丙 limited otherwise than to choices of 类别, all three stars count: 3 is more
    # than the top level 2 (line 11 is 'level from')
    d = only(errors('scheme "十星"', "levels stars 0..2", "input 宗旨 : percent",   # 1-3
                    "input 类别 : one of {农村, 机关}",                                # 4
                    "input 地区 : one of {城区, 郊区}",                                # 5
                    "badges 星数 {",                                                   # 6
                    '  "甲": 宗旨 > 50%',                                              # 7
                    '  "乙": 宗旨 > 60% for 类别 == 农村',                              # 8
                    f'  "丙": 宗旨 > 70% {applies}',                                   # 9
                    "}",                                                               # 10
                    "level from 星数"), "E401")                                        # 11
    assert d.span.line == 11
    assert d.message == "'星数' can count 3 stars, more than the top level 2"
    assert d.hint == "write 'levels stars 0..3', or map counts with a band"


# ==== level from ==================================================================================

def test_level_from_with_levels_refused_says_nothing_more() -> None:
    # the levels are written high to low (E302): 'level from' cannot be checked against
    # them and adds no diagnostic of its own (no E405 either: there is a 'level from')
    d = only(errors('scheme "甲"', "levels stars 3..1", "input 星数 : count 0..3", "level from 星数"), "E302")
    assert (d.span.line, d.message, d.hint) == (2, "levels run from 3 down to 1", "write the lowest first: levels stars 1..3")


def test_level_from_onto_grades() -> None:
    # the hint's band is over the count named (数) and gives the top grade (好) from as many
    # stars as there are grades above the lowest (1), not a fixed 星数 and 优秀 from 5
    d = only(errors('scheme "甲"', "levels grades 差 < 好", "input 数 : count 0..1", "level from 数"), "E201")
    assert d.span.line == 4
    assert d.message == "'level from' gives a number of stars, but the levels are grades"
    assert d.hint == "map the count to grades with a band: band 数 { 好: [1, ..) ... }"


def test_level_from_a_count_input_is_the_count_itself() -> None:
    loaded = starrules.loads(text('scheme "甲"', "levels stars 0..3", "input 星数 : count 0..3", "level from 星数"))
    assert [loaded.evaluate({"星数": k}).level for k in (0, 2, 3)] == [0, 2, 3]


def test_level_from_a_count_input_above_the_top_level() -> None:
    # the count runs to 5, the levels to 3: the hint offers levels up to the count's top
    d = only(errors('scheme "甲"', "levels stars 0..3", "input 星数 : count 0..5", "level from 星数"), "E401")
    assert d.span.line == 4
    assert d.message == "'星数' can count 5 stars, more than the top level 3"
    assert d.hint == "write 'levels stars 0..5', or map counts with a band"


def test_level_from_a_count_input_without_a_top() -> None:
    # a plain 'count' has no top: no levels can hold every count it may be, so the hint is
    # to bound the count at the top level, 3 (not to write the levels already written)
    d = only(errors('scheme "甲"', "levels stars 0..3", "input 星数 : count", "level from 星数"), "E401")
    assert d.span.line == 4
    assert d.message == "'星数' can count any number of stars, more than the top level 3"
    assert d.hint == "bound the count: input 星数 : count 0..3, or map counts with a band"


def test_level_from_a_count_that_cannot_be_0_onto_levels_from_1() -> None:
    # the count is declared 1..3 and the levels run 1..3: every count has its level, so
    # no "a count of 0 stars falls in no level" (the count cannot be 0); 2 gives level 2
    loaded = starrules.loads(text('scheme "甲"', "levels stars 1..3", "input 星数 : count 1..3", "level from 星数"))
    assert loaded.evaluate({"星数": "2"}).level == 2
    # a count from 0 onto the same levels: 0 has no level, and the hint starts the levels at 0
    d = only(errors('scheme "甲"', "levels stars 1..3", "input 星数 : count 0..3", "level from 星数"), "E401")
    assert d.message == "a count of 0 stars falls in no level: the levels start at 1"
    assert d.hint == "write 'levels stars 0..3', or map counts with a band"


@pytest.mark.parametrize("declaration", ["input 分 : score 0..3", "input 分 : percent",
                                         "input 项 : score 0..3\nscore 分 = 项"])
def test_level_from_what_is_not_a_count_of_stars(declaration: str) -> None:
    # a score input, a percentage, a score: none is a count of stars ('level from' is the last line)
    diags = errors('scheme "甲"', "levels stars 0..3", declaration, "level from 分")
    d = only(diags, "E201")
    assert d.span.line == 3 + declaration.count("\n") + 1
    assert d.message == "'level from' needs a count of stars, and '分' is not one"
    assert d.hint == "count stars with a 'badges' block, or use a band"


def test_level_from_an_unknown_name() -> None:
    d = only(errors('scheme "甲"', "levels stars 0..3", "input 星数 : count 0..3", "level from 星树"), "E101")
    assert (d.span.line, d.message) == (4, "'星树' is not defined; expected a count of stars (a 'badges' block)")
    assert d.hint == "did you mean '星数'?"   # 星树 is one character from 星数


def test_level_from_onto_levels_that_do_not_start_at_0() -> None:
    # a badge count is 0 for an entity that wins no star: levels 1..3 have no level for it
    d = only(errors('scheme "甲"', "levels stars 1..3", "input 宗旨 : percent",
                    'badges 星数 { "甲": 宗旨 > 50%  "乙": 宗旨 > 60% }', "level from 星数"), "E401")
    assert d.span.line == 5
    assert d.message == "a count of 0 stars falls in no level: the levels start at 1"
    assert d.hint == "write 'levels stars 0..3', or map counts with a band"


# ==== bands =======================================================================================

def test_a_band_over_a_choice_input() -> None:
    d = only(errors('scheme "甲"', "levels stars 0..2", "input 类别 : one of {农村, 机关}",
                    "band 类别 { 1: [1, ..)  0: else }"), "E201")
    assert (d.span.line, d.message, d.hint) == (4, "bands need a number, but '类别' is one of {农村, 机关}", None)


def test_a_second_else_in_a_band() -> None:
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE,
                    "band 得分 {",        # 4
                    "  1: [60, ..)",      # 5
                    "  0: else",          # 6
                    "  0: else",          # 7: the second else
                    "}"), "E102")
    assert (d.span.line, d.message, d.hint) == (7, "a second 'else' band", "keep only one")


def test_an_overlap_that_starts_open_shows_a_score_inside_both() -> None:
    # (70, ..) starts after 70, inside [60, 80]: 75, half way from 70 to 80, is in both
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE,
                    "band 得分 {",        # 4
                    "  2: (70, ..)",      # 5
                    "  1: [60, 80]",      # 6
                    "  0: (.., 60)",      # 7
                    "}"), "E402")
    assert d.span.line == 5   # reported on the band that starts inside the other
    assert d.message == "bands overlap: a score of 75 is in both 1星 [60, 80] and 2星 (70, ..)"
    assert d.hint == "make each end belong to one band only, e.g. [80, 90) then [90, 100]"


def test_a_gap_in_a_band_over_an_unknown_score_is_shown_with_a_score_in_the_middle() -> None:
    # 总分 is not declared (E101), so nothing says which scores it can take: the gap from 70
    # to 80 is reported with the score half way, 75, on the line of the band after it (5)
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,
                   "band 总分 {",         # 4
                   "  2: [80, ..)",       # 5
                   "  1: [60, 70)",       # 6
                   "  0: (.., 60)",       # 7
                   "}")
    assert seen(diags) == [
        ("E101", 4, "'总分' is not defined; expected a score", "did you mean '得分'?"),
        ("E401", 5, "a score of 75 falls in no band (between 1星 [60, 70) and 2星 [80, ..))",
         "make the bands meet: end the lower one where this one starts, 1星: [60, 80)"),
    ]


def test_a_gap_of_one_score_in_a_band_over_an_unknown_score() -> None:
    # [60, 70) and (70, ..) both leave out 70 itself: the gap is that one score
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,
                   "band 总分 {",         # 4
                   "  2: (70, ..)",       # 5
                   "  1: [60, 70)",       # 6
                   "  0: (.., 60)",       # 7
                   "}")
    assert [(d.code, d.span.line) for d in diags] == [("E101", 4), ("E401", 5)]
    assert diags[1].message == "a score of 70 falls in no band (between 1星 [60, 70) and 2星 (70, ..))"


def test_the_one_score_gap_is_closed_by_the_hint() -> None:
    # [60, 70) then (70, ..) leave out 70: the hint must take 70 into the lower band,
    # [60, 70] (writing [60, 70) again, as it once said, would leave the gap)
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,
                   "band 得分 { 2: (70, ..)  1: [60, 70)  0: (.., 60) }")   # 4
    assert seen(diags) == [("E401", 4, "a score of 70 falls in no band (between 1星 [60, 70) and 2星 (70, ..))",
                            "make the bands meet: end the lower one where this one starts, 1星: [60, 70]")]


@pytest.mark.parametrize(("bands", "witness", "first", "second"), [
    # each witness is worked out as a score inside both bands named:
    # (.., 80) and (.., 60) share everything below 60; the common part has no lowest
    # score, so one below its top: 59
    ("1: (.., 80)  0: (.., 60)  2: [80, ..)", "59", "1星 (.., 80)", "0星 (.., 60)"),
    # [60, ..) and (70, ..) share everything above 70: 71 (70 itself is not in (70, ..))
    ("1: [60, ..)  2: (70, ..)  0: else", "71", "1星 [60, ..)", "2星 (70, ..)"),
    # [60, 80] and (70, 71) share (70, 71): its middle, 70.5 (not 75: 75 is not in (70, 71))
    ("2: (70, 71)  1: [60, 80]  0: else", "70.5", "1星 [60, 80]", "2星 (70, 71)"),
    # everything and (.., -5): -6 (0 is not below -5)
    ("1: (.., ..)  0: (.., -5)", "-6", "1星 (.., ..)", "0星 (.., -5)"),
])
def test_an_overlap_is_shown_with_a_score_in_both_bands(bands: str, witness: str, first: str, second: str) -> None:
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE, f"band 得分 {{ {bands} }}"), "E402")
    assert d.message == f"bands overlap: a score of {witness} is in both {first} and {second}"


def test_a_band_inside_a_wider_one_is_an_overlap_and_leaves_no_gap() -> None:
    # [0, 100] holds [10, 20] and [30, 40]: both overlap it (at their lowest scores, 10
    # and 30), and no score falls in no band: not 25 (between the two inside) nor above
    # 40 (only 40 < x <= 100 is above them, and [0, 100] holds it), as was said before the
    # bands were compared with the widest band before them rather than the one just before
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,
                   "band 得分 { 1: [0, 100]  2: [10, 20]  0: [30, 40] }")   # 4
    assert [(d.code, d.span.line, d.message) for d in diags] == [
        ("E402", 4, "bands overlap: a score of 10 is in both 1星 [0, 100] and 2星 [10, 20]"),
        ("E402", 4, "bands overlap: a score of 30 is in both 1星 [0, 100] and 0星 [30, 40]"),
    ]


def test_the_top_gap_is_above_the_band_that_reaches_highest() -> None:
    # (.., 80) reaches higher than (.., 60): the scores nothing holds are those above 80
    # (not above 60, the end of the band listed last in order of lower ends)
    diags = errors('scheme "甲"', "levels stars 0..2", SCORE,
                   "band 得分 { 1: (.., 80)  0: (.., 60) }")   # 4
    assert [(d.code, d.message, d.hint) for d in diags if d.code == "E401"] == [
        ("E401", "a score above 80 falls in no band", "write (.., ..) for the top band")]


def test_a_band_no_score_reaches_with_a_cap() -> None:
    # 得分 runs 0..100 and the only band starts at 200: every score falls below it (E401),
    # no band level is reached at all, and the cap is not judged against the levels reached
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE, "input 按期 : bool",
                    "band 得分 { 1: [200, ..) }",                       # 5
                    'cap "未按期换届" at most 1 when not 按期'), "E401")
    assert (d.span.line, d.message) == (5, "a score below 200 falls in no band")
    assert d.hint == "add a lowest band, e.g. 0: (.., 200), or '0: else'"


# ==== rules =======================================================================================

def test_a_demotion_by_0_levels() -> None:
    d = only(errors('scheme "甲"', "levels stars 0..2", SCORE, BAND, 'demote "缺席" by 0 when 得分 < 95'), "E302")
    assert (d.span.line, d.message, d.hint) == (5, "a demotion must lower by at least 1 level", None)


def test_a_demotion_by_1_level_loads() -> None:
    loaded = starrules.loads(text('scheme "甲"', "levels stars 0..2", SCORE, BAND, 'demote "缺席" by 1 when 得分 < 95'))
    assert loaded.evaluate({"得分": 92}).level == 1   # banded at 2 (92 ≥ 90), demoted by one


# ==== examples inside a scheme ====================================================================

def example_head(band: str = BAND) -> tuple[str, ...]:
    return ('scheme "例"', "levels stars 0..2",      # 1-2
            SCORE,                                   # 3
            "input 按期 : bool default 是",          # 4
            band,                                    # 5
            'flag "未按期" when not 按期')             # 6


EX = len(example_head()) + 1  # the line of the first example


def test_two_examples_with_one_name_and_a_value_given_twice() -> None:
    diags = errors(*example_head(),
                   'example "高分" { given { 得分: 95 } }',               # 7
                   'example "高分" { given { 得分: 96, 得分: 97 } }')     # 8: the name again, 得分 twice
    assert seen(diags) == [
        ("E102", EX + 1, "two examples are named '高分'", f"the first is on line {EX}; give each its own name"),
        ("E102", EX + 1, "the example gives '得分' twice", None),
    ]


def test_an_example_gives_a_yes_no_and_expects_the_total() -> None:
    # with a total declared, 'expect total' checks it: 95 − 0 (按期: 是, no flag) is 95, two stars
    loaded = starrules.loads(text(*example_head(BAND.replace("得分", "总分")), "total 总分 = 得分 - (5 when not 按期)",
                                  'example "按期" { given { 得分: 95, 按期: 是 } expect total = 95, level = 2 }',
                                  'example "逾期" { given { 得分: 95, 按期: 否 } expect total = 90, flags = ["未按期"] }'))
    first, second = loaded.program.examples
    assert first.given == (("得分", "95"), ("按期", True))
    assert second.given == (("得分", "95"), ("按期", False))
    assert [(c.kind, c.key, c.value) for c in first.checks] == [("score", "总分", Decimal("95")), ("level", "level", 2)]
    assert [o.failures for o in run_examples(loaded)] == [(), ()]


def test_expect_total_without_a_total_line_is_the_bands_score() -> None:
    # no 'total' line: the result's total is the band's score, 得分, so 'expect total = 95'
    # checks 得分 (it was refused as "expect total = a number", though 95 is one)
    loaded = starrules.loads(text(*example_head(), 'example "高分" { given { 得分: 95 } expect total = 95, level = 2 }',
                                  'example "错的" { given { 得分: 95 } expect total = 94 }'))
    assert [(c.kind, c.key, c.value) for c in loaded.program.examples[0].checks] == [
        ("input", "得分", Decimal("95")), ("level", "level", 2)]
    passed, failed = run_examples(loaded)
    assert passed.failures == () and failed.failures[0].startswith("得分: expected 94, got 95")


@pytest.mark.parametrize("value", ["(90 + 5)", "-得分", "max(90, 95)", "lookup 得分 { 甲: 1 }"])
def test_an_example_gives_a_calculation(value: str) -> None:
    d = only(errors(*example_head(), f'example "算式" {{ given {{ 得分: {value} }} }}'), "E201")
    assert (d.span.line, d.message, d.hint) == (
        EX, "an example gives values, not calculations: write the value of '得分'", None)


def test_expectations_that_are_not_what_their_key_needs() -> None:
    diags = errors(*example_head(),
                   'example "期望" {',            # 7
                   "  given { 得分: 95 }",         # 8
                   "  expect 得分 = 是",           # 9: a score is a number
                   '  expect reason = 5',          # 10: a reason is a rule's name, quoted
                   "  expect flags = 未按期",       # 11: flags are a list
                   '  expect badges = "星"',       # 12: so are badges
                   "}")
    assert seen(diags) == [
        ("E201", EX + 2, "expect 得分 = a number", "e.g. expect 得分 = 93.5"),
        ("E201", EX + 3, 'a reason is a quoted text: the name of a rule, e.g. reason = "..."', None),
        ("E201", EX + 4, 'flags are a list of names: flags = ["..."]', None),
        ("E201", EX + 5, 'badges are a list of names: badges = ["..."]', None),
    ]
