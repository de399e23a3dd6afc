"""The checker on constructs the rest of the suite leaves untried (starrules/checker.py, from quotas on).

What a policy author sees for: a quota that counts its level with '==' or '<'; a
selection's 'among' that is not a yes/no condition; a quota grouped by a score, ranked by
what is not a key (an unknown name, a choice, a yes/no input), or written in a scheme with
no band; a look back of 0 periods and a look back at a flag that does not exist; a number
with more digits than a rating can use; every expression whose parts are of the wrong kind
('*', 'each', '-', comparisons, 'level ==', 'in', 'and', 'not', 'when', 'if', all/any,
max/min, 'weighted', 'lookup' / 'highest' / 'each of'); a star level written in Chinese
words (十五星级), for which the hint gives its number; and the score a band's message shows
for an overlap of bands open below, above or both ways, for a band inside a wider one (no
gap it covers is told), or for a gap when the band's score is unknown.

Each expected diagnostic is worked out from the message in checker.py and the text of the
scheme; the line numbers are counted in the text, written next to each line.
"""

from __future__ import annotations

import pytest

import starrules
from starrules import StarCheckError, StarSyntaxError

HEAD = (
    'scheme "覆盖检查"',                                                                   # 1
    'levels stars 0..5 { 0: "不定星级", 5: "五星级" }',                                   # 2
    "input 名称 : id",                                                                     # 3
    "input 支部 : group",                                                                  # 4
    "input 得分 : score 0..100",                                                           # 5
    "input 满意率 : percent",                                                              # 6
    "input 达标 : bool",                                                                   # 7
    "input 次数 : count 0..9",                                                             # 8
    "input 等次 : one of {优秀, 良好, 一般}",                                              # 9
    "input 表彰 : set of {市级, 省级}",                                                    # 10
    "band 得分 { 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  1: [50, 60)  0: (.., 50) }",  # 11
)
FIRST = len(HEAD) + 1  # the line of the first line a test adds: 12


def text(*lines: str) -> str:
    return "\n".join((*HEAD, *lines)) + "\n"


def errors_of(source: str) -> list[starrules.Diagnostic]:
    with pytest.raises((StarCheckError, StarSyntaxError)) as info:
        starrules.loads(source)
    return info.value.diagnostics


def errors(*lines: str) -> list[starrules.Diagnostic]:
    """The errors of HEAD followed by ``lines``."""
    return errors_of(text(*lines))


def only(diagnostics: list[starrules.Diagnostic], code: str) -> starrules.Diagnostic:
    assert [d.code for d in diagnostics] == [code], [(d.code, d.message) for d in diagnostics]
    return diagnostics[0]


def one(line: str, code: str) -> starrules.Diagnostic:
    """The one diagnostic of HEAD plus ``line``: of ``code``, on that line (FIRST)."""
    d = only(errors(line), code)
    assert d.span.line == FIRST
    return d


# ==== quotas and selections =======================================================================

@pytest.mark.parametrize("op", ["==", "<"])
def test_a_quota_counts_its_level_with_neither_at_or_above_nor_at_or_below(op: str) -> None:
    # 'level 5' counts one level, '>= 4' / '<= 1' those at or above / below it: '==' and '<'
    # say neither, so the quota is refused with an example of what it can say
    d = one(f'quota "五星至多10%" {{ level {op} 5 at most 10% }}', "E201")
    assert d.message == ("a quota counts a level, or the levels at or above (>=) or at or below (<=) it, "
                         f"not '{op}'")
    assert d.hint == "e.g. level >= 4 at most 30%"


def test_among_of_a_selection_is_a_condition_not_a_number() -> None:
    # 得分 is a score 0..100: a number, which picks nobody in particular
    d = one('select "倒排整顿" { bottom 10%  among 得分  flag "整顿" }', "E202")
    assert d.message == "'among' takes a yes/no condition, not a number"
    assert d.hint is None


def test_a_quota_grouped_by_a_score() -> None:
    d = only(errors("score 总分 = 得分",                                       # 12
                    'quota "每组五星至多10%" { level 5 at most 10% per 总分 }'),  # 13
             "E201")
    assert d.span.line == FIRST + 1
    assert d.message == "'总分' is a score, so it cannot group entities"
    assert d.hint == "group by an input declared as group (or id, text, one of)"


def test_a_quota_in_a_scheme_without_a_band_is_not_checked_further() -> None:
    # with no band there is no level to count nor a score to rank by: the file's one error
    # is the missing band (E405, on the scheme line); the quota adds nothing of its own,
    # not even that the two quotas cannot both hold (at least 20% and at most 10% at five
    # stars), which is told once there is a band
    source = "\n".join([
        'scheme "无分档"',                                     # 1
        "levels stars 0..5",                                   # 2
        "input 名称 : id",                                     # 3
        "input 得分 : score 0..100",                           # 4
        'quota "五星至少20%" { level 5 at least 20% }',        # 5
        'quota "五星至多10%" { level 5 at most 10% }',         # 6
    ]) + "\n"
    d = only(errors_of(source), "E405")
    assert d.span.line == 1
    assert d.message == "the file has no 'band' block nor 'level from', so no level can be given"
    banded = source + "band 得分 { 5: [90, ..)  0: else }\n"
    assert [(d.code, d.span.line) for d in errors_of(banded)] == [("E503", 6)]


def test_a_quota_ranked_by_an_unknown_name() -> None:
    d = one('quota "五星至多10%" { level 5 at most 10% rank by 分值 }', "E101")
    assert d.message == "'分值' is not defined; expected an input or a score"
    # nothing declared is close to 分值 (得分 shares one character of two): the hint says to declare it
    assert d.hint == "declare it first, e.g.: input 分值 : score 0..10"


def test_a_quota_ranked_by_a_choice() -> None:
    # 优秀 is one of the choices of 等次, not a value an entity has
    d = one('quota "五星至多10%" { level 5 at most 10% rank by 优秀 }', "E201")
    assert d.message == "'优秀' is a choice of an input, not a value on its own"
    assert d.hint == "compare it with its input, e.g. '优秀 in 输入名' for a set, or '输入名 == 优秀'"


def test_a_quota_ranked_by_a_yes_no_input() -> None:
    d = one('quota "五星至多10%" { level 5 at most 10% rank by 得分 desc then 达标 }', "E201")
    assert d.message == "entities cannot be ranked by yes/no"
    assert d.hint == "rank by a score, a number or a name"


# ==== history: looking back ======================================================================

def test_a_look_back_of_no_period() -> None:
    d = one('flag "连续" when vetoed within 0 periods', "E302")
    assert d.message == "a look back needs at least 1 period"
    assert d.hint == "e.g. within 1 period"


def test_a_look_back_at_a_flag_that_does_not_exist() -> None:
    # the only flag is "复查" itself, nothing like 列入整顿: the hint names no flag
    d = one('flag "复查" when flagged "列入整顿" within 1 period', "E101")
    assert d.message == "there is no flag named '列入整顿'"
    assert d.hint == "name one of the scheme's flags"
    # with a flag one character away, the hint names it
    d = only(errors('flag "列入整顿" when not 达标',                            # 12
                    'flag "复查" when flagged "列入整改" within 2 periods'),     # 13
             "E101")
    assert (d.span.line, d.message, d.hint) == (FIRST + 1, "there is no flag named '列入整改'", "did you mean '列入整顿'?")


# ==== numbers =====================================================================================

def test_a_number_with_more_digits_than_a_rating_can_use() -> None:
    # 31 digits, one more than MAX_DIGITS (30); short enough for the parser (4000)
    d = one('flag "高分" when 得分 > ' + "1" * 31, "E301")
    assert d.message == "a number with more than 30 digits"
    assert d.hint == "ratings need far fewer digits"


# ==== expressions of the wrong kind ===============================================================

def test_a_list_of_choices_on_its_own() -> None:
    d = one("score 分值 = {市级}", "E201")
    assert d.message == "a list of choices can only follow 'in'"
    assert d.hint == "e.g. 等次 in {优秀, 良好}"


def test_times_a_yes_no_value() -> None:
    # yes/no times a count: neither two numbers nor a percentage with a number, and no
    # percentage is involved, so no hint about percentages
    d = one("score 分值 = 达标 * 2", "E201")
    assert d.message == "'*' needs two numbers, but got yes/no and a count (whole number)"
    assert d.hint is None


def test_each_after_a_yes_no_amount() -> None:
    d = one("score 分值 = 达标 each 次数", "E201")
    assert d.message == "the amount before 'each' must be a number, not yes/no"
    assert d.hint is None


def test_minus_a_yes_no_value() -> None:
    # '-' before a name (not a number literal, which the parser negates) is a Neg
    d = one("score 分值 = -达标", "E201")
    assert d.message == "'-' needs a number, not yes/no"


def test_an_order_between_a_yes_no_value_and_a_count() -> None:
    # no percentage on either side, so no hint to write a percentage
    d = one('flag "异常" when 达标 < 3', "E201")
    assert d.message == "'<' compares numbers, but got yes/no and a count (whole number)"
    assert d.hint is None


def test_equality_between_a_yes_no_value_and_a_count() -> None:
    d = one('flag "异常" when 达标 == 3', "E201")
    assert d.message == "'==' compares two values of one kind, but got yes/no and a count (whole number)"
    assert d.hint is None


@pytest.mark.parametrize("other", ["1.5", '"五星级"', "50%"])
def test_the_level_compared_with_what_is_not_a_level(other: str) -> None:
    # a level is a whole number of stars or a grade's name; 1.5, a quoted label and a
    # percentage are none of these
    d = one(f'flag "异常" when level == {other}', "E201")
    assert d.message == "the level is compared with a level, e.g. level <= 1 or level == 良好"


def test_in_a_list_of_choices_for_a_number() -> None:
    d = one('flag "异常" when 得分 in {优秀, 良好}', "E201")
    assert d.message == "'in {...}' needs one of a list of choices, not a number"


def test_in_a_number() -> None:
    d = one('flag "异常" when 优秀 in 得分', "E201")
    assert d.message == "'in' needs a set of choices on its right, not a number"


def test_in_an_unknown_name() -> None:
    # the unknown name is the one error: the choice before 'in' is not judged against it
    d = one('flag "异常" when 优秀 in 奖项', "E101")
    assert d.message == "'奖项' is not defined; expected an input or a score"
    assert d.hint == "declare it first, e.g.: input 奖项 : score 0..10"


def test_and_joining_a_number() -> None:
    d = one('flag "异常" when 得分 and 达标', "E202")
    assert d.message == "'and' joins yes/no conditions, not a number"


def test_not_of_a_number() -> None:
    d = one('flag "异常" when not 得分', "E202")
    assert d.message == "'not' needs a yes/no condition, not a number"


def test_when_with_a_number_for_its_condition() -> None:
    d = one("score 加分 = 5 when 得分", "E202")
    assert d.message == "the condition after 'when' must be yes/no, not a number"
    assert d.hint == "e.g. 5 when 满意率 < 60%"


def test_when_with_a_yes_no_value_for_its_points() -> None:
    d = one("score 加分 = 达标 when 达标", "E201")
    assert d.message == "'when' gives points, so a number comes before it, not yes/no"


def test_if_with_a_number_for_its_condition() -> None:
    d = one("score 加分 = if 得分 then 1 else 2", "E202")
    assert d.message == "the condition after 'if' must be yes/no, not a number"


def test_if_with_an_unknown_branch_reports_only_the_name() -> None:
    # the branch of unknown kind is not compared with the other one
    d = one("score 加分 = if 达标 then 分值 else 2", "E101")
    assert d.message == "'分值' is not defined; expected an input or a score"


def test_if_with_branches_of_two_kinds() -> None:
    # 5 is a count, 10% a percentage: not both numbers, and not the same kind
    d = one("score 加分 = if 达标 then 5 else 10%", "E201")
    assert d.message == "both branches must be of one kind, but got a count (whole number) and a percentage"


@pytest.mark.parametrize(("call", "kind"), [("all(达标, 得分)", "a number"),
                                            ("any(得分 > 1, 次数)", "a count (whole number)")])
def test_all_and_any_of_what_is_not_yes_no(call: str, kind: str) -> None:
    d = one(f'flag "异常" when {call}', "E202")
    func = call[:3]
    assert d.message == f"{func}(...) takes yes/no conditions, not {kind}"


def test_max_of_percentages_is_a_percentage(engine: str) -> None:
    # max of two percentages is a percentage, so comparing it with 50% is right (were it a
    # number, '<' would refuse a number and a percentage)
    scheme = starrules.loads("\n".join([
        'scheme "双测评"',
        "levels stars 0..1",
        "input 满意率 : percent",
        "input 测评率 : percent",
        "input 得分 : score 0..100",
        "band 得分 { 1: [60, ..)  0: else }",
        'flag "两项均低" when max(满意率, 测评率) < 50%',
    ]) + "\n")
    assert scheme.warnings == []
    # 40% and 45%: the higher is 45%, below 50%; 40% and 60%: the higher is 60%, not below
    assert scheme.evaluate({"满意率": "40%", "测评率": "45%", "得分": 80}, engine=engine).flags == ("两项均低",)
    assert scheme.evaluate({"满意率": "40%", "测评率": "60%", "得分": 80}, engine=engine).flags == ()


@pytest.mark.parametrize(("call", "kinds"), [("max(满意率, 得分)", "a percentage, a number"),
                                             ("min(达标, 得分)", "yes/no, a number")])
def test_max_and_min_of_values_of_two_kinds(call: str, kinds: str) -> None:
    # neither all numbers nor all percentages; the kinds are listed as the arguments give them
    d = one(f"score 分值 = {call}", "E201")
    assert d.message == f"{call[:3]}(...) takes numbers of one kind, but got {kinds}"
    assert d.hint is None


# ==== weighted ====================================================================================

def test_weighted_raters_that_are_not_numbers() -> None:
    d = one("score 评议 = weighted 3:7 (达标, 得分)", "E201")
    assert d.message == "raters' scores must be numbers, not yes/no"


def test_weighted_mixing_percentages_and_ratios() -> None:
    d = one("score 评议 = weighted 30%:7 (得分, 得分)", "E303")
    assert d.message == "weights mix percentages and plain numbers"
    assert d.hint == "write all as ratios (3:7) or all as percentages (30%:70%)"


def test_weighted_with_a_weight_of_0() -> None:
    # the weight 0 is refused at the weight itself: column 20 of 'score 评议 = weighted 0:1 ...';
    # with it refused, 0:1 is not also judged for its shares
    d = one("score 评议 = weighted 0:1 (得分, 得分)", "E303")
    assert d.message == "a weight must be more than 0"
    assert d.span.column == len("score 评议 = weighted ") + 1


def test_weighted_rounding_to_0() -> None:
    # 1:2 gives thirds, so a rounding step is needed, but 0 is no step
    d = one("score 评议 = weighted 1:2 (得分, 得分) round 0", "E302")
    assert d.message == "the rounding step must be more than 0"
    assert d.hint == "e.g. round 0.01"


# ==== lookup, highest, each of ===================================================================

@pytest.mark.parametrize(("table", "message", "hint"), [
    ("lookup 表彰 { 市级: 1 }", "'lookup' needs an input that is one of a list, but '表彰' is set of {市级, 省级}",
     "use 'highest' or 'each of' for a set"),
    ("highest 等次 { 优秀: 1 }", "'highest' needs a set of choices, but '等次' is one of {优秀, 良好, 一般}",
     "use 'lookup' for a one-of input"),
    ("each of 等次 { 优秀: 1 }", "'each of' needs a set of choices, but '等次' is one of {优秀, 良好, 一般}",
     "use 'lookup' for a one-of input"),
    # a number is neither: no other table to suggest
    ("lookup 得分 { 优秀: 1 }", "'lookup' needs an input that is one of a list, but '得分' is a number", None),
])
def test_a_table_over_an_input_of_the_wrong_kind(table: str, message: str, hint: str | None) -> None:
    d = one(f"score 分值 = {table}", "E201")
    assert (d.message, d.hint) == (message, hint)


def test_a_table_key_given_twice() -> None:
    d = one("score 分值 = lookup 等次 { 优秀: 1  优秀: 2 }", "E102")
    assert d.message == "'优秀' is given twice"


def test_a_table_entry_as_a_percentage() -> None:
    d = one("score 分值 = lookup 等次 { 优秀: 5% }", "E201")
    assert d.message == "table entries are points, not percentages"


# ==== a star level written in words ==============================================================

TWENTY = (
    'scheme "二十星"',                                                      # 1
    "levels stars 0..20",                                                   # 2
    "input 得分 : score 0..100",                                            # 3
    "input 达标 : bool",                                                    # 4
    "band 得分 { 20: [95, ..)  10: [60, 95)  0: (.., 60) }",                # 5
)


@pytest.mark.parametrize(("word", "hint"), [
    ("十星", "write 10: a star level is written as its number of stars (levels run 0..20)"),      # 十 alone: 10
    ("十五星级", "write 15: a star level is written as its number of stars (levels run 0..20)"),  # 十 then 五
    ("二十颗星", "write 20: a star level is written as its number of stars (levels run 0..20)"),  # 二 then 十
    ("五星", "write 5: a star level is written as its number of stars (levels run 0..20)"),      # one numeral: 5
    ("二二十星", "levels run 0..20"),    # two digits before 十: no number
    ("二三星", "levels run 0..20"),      # two digits and no 十: no number
    ("三十星", "levels run 0..20"),      # 30, not one of the levels
])
def test_a_star_level_written_in_chinese_words(word: str, hint: str) -> None:
    d = only(errors_of("\n".join((*TWENTY, f'cap "未达标" at most {word} when not 达标')) + "\n"), "E104")
    assert d.span.line == 6
    assert d.message == f"'{word}' is not one of the levels"
    assert d.hint == hint


# ==== the score shown for an overlap or a gap ====================================================

BANDED = ('scheme "分档"', "levels stars 0..2", "input 得分 : score 0..100")   # lines 1-3; the band is line 4


def band_errors(band: str) -> list[starrules.Diagnostic]:
    return errors_of("\n".join((*BANDED, band)) + "\n")


def test_an_overlap_of_two_bands_open_below() -> None:
    # both bands run from minus infinity: every score below 60 is in both; the score shown
    # is just below the end of the first, 59
    d = only(band_errors("band 得分 { 0: (.., 60)  1: (.., 70)  2: [70, ..) }"), "E402")
    assert d.span.line == 4
    assert d.message == "bands overlap: a score of 59 is in both 0星 (.., 60) and 1星 (.., 70)"
    assert d.hint == "make each end belong to one band only, e.g. [80, 90) then [90, 100]"


def test_an_overlap_of_two_bands_open_below_the_wider_first() -> None:
    # the same overlap written the other way round: (.., 80) then (.., 50). The score shown
    # must lie in both, so below the lower of the two ends: 49 (not 79, which (.., 50) does
    # not hold). Nothing covers 80 to 90: that gap is told beyond the wider band (.., 80),
    # at its middle 85
    diags = {d.code: d for d in band_errors("band 得分 { 2: [90, ..)  1: (.., 80)  0: (.., 50) }")}
    assert sorted(diags) == ["E401", "E402"]
    assert diags["E402"].message == "bands overlap: a score of 49 is in both 1星 (.., 80) and 0星 (.., 50)"
    assert diags["E401"].message == "a score of 85 falls in no band (between 1星 (.., 80) and 2星 [90, ..))"


def test_a_band_inside_a_wider_one_leaves_no_false_gap() -> None:
    # [10, 50) lies inside [0, 80): an overlap at 10, where both start to hold scores; the
    # scores 50 to 80 are in [0, 80), so the only gap is 80 to 90, told at its middle 85
    diags = {d.code: d for d in band_errors("band 得分 { 2: [90, ..)  1: [0, 80)  0: [10, 50) }")}
    assert sorted(diags) == ["E401", "E402"]
    assert diags["E402"].message == "bands overlap: a score of 10 is in both 1星 [0, 80) and 0星 [10, 50)"
    assert diags["E401"].message == "a score of 85 falls in no band (between 1星 [0, 80) and 2星 [90, ..))"
    assert diags["E401"].hint == "make the bands meet: end the lower one where this one starts, 1星: [0, 90)"


def test_an_overlap_of_two_bands_open_above() -> None:
    # (50, ..) and (60, ..) both hold every score above 60, but not 60 itself: the score
    # shown is one above the open start of the second, 61; (.., 50] then (50, ..) meet
    # exactly, with neither gap nor overlap
    d = only(band_errors("band 得分 { 0: (.., 50]  1: (50, ..)  2: (60, ..) }"), "E402")
    assert d.message == "bands overlap: a score of 61 is in both 1星 (50, ..) and 2星 (60, ..)"


def test_an_overlap_of_two_bands_open_both_ways() -> None:
    # both bands hold every score: 0 is as good a witness as any
    d = only(band_errors("band 得分 { 1: (.., ..)  0: (.., ..) }"), "E402")
    assert d.message == "bands overlap: a score of 0 is in both 1星 (.., ..) and 0星 (.., ..)"


def test_an_overlap_starting_at_an_open_end() -> None:
    # (60, 80] starts just above 60, which [50, 70) holds: the score shown is halfway
    # between the start of the second and the end of the first, (60 + 70) / 2 = 65
    d = only(band_errors("band 得分 { 2: [50, 70)  1: (60, 80]  0: else }"), "E402")
    assert d.message == "bands overlap: a score of 65 is in both 2星 [50, 70) and 1星 (60, 80]"


def test_a_gap_when_the_bands_score_is_unknown() -> None:
    # 总分 is not declared, so its range is unknown and any score may fall in the gap
    # between [60, 70) and [80, ..): the score shown is its middle, 75
    diags = band_errors("band 总分 { 2: [80, ..)  1: [60, 70)  0: (.., 60) }")
    assert [(d.code, d.span.line) for d in diags] == [("E101", 4), ("E401", 4)]
    assert diags[0].message == "'总分' is not defined; expected a score"
    assert diags[0].hint == "did you mean '得分'?"
    assert diags[1].message == "a score of 75 falls in no band (between 1星 [60, 70) and 2星 [80, ..))"
    assert diags[1].hint == "make the bands meet: end the lower one where this one starts, 1星: [60, 80)"
