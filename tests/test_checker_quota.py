"""The checker on quotas and selections: what it can decide before any data is read.

Quotas that cannot all hold, for any population, are refused (E503); an enforced quota
that can only be met by raising (or lowering) entities to levels no rating reaches is
refused (E504), a report-only one warned about (W502); a quota or selection that does not
say enough is refused with a hint (E501). Each expected diagnostic is worked out by hand
from the quotas' bounds, written next to it.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import starrules
from starrules import StarCheckError, StarSyntaxError
from starrules.feasibility import Bound, feasible, smallest_conflict, spread

HEAD = (
    'scheme "配额检查" version "1"',                                                       # 1
    'levels stars 0..5 { 0: "不定星级", 3: "三星级", 4: "四星级", 5: "五星级" }',         # 2
    "input 名称 : id",                                                                     # 3
    "input 支部 : group",                                                                  # 4
    "input 单位 : group",                                                                  # 5
    "input 分数 : score 0..100 step 0.1",                                                  # 6
    "band 分数 { 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  1: [50, 60)  0: (.., 50) }",  # 7
)
FIRST = len(HEAD) + 1  # the line of the first quota


def text(*rules: str) -> str:
    return "\n".join((*HEAD, *rules)) + "\n"


def scheme(*rules: str) -> starrules.Scheme:
    return starrules.loads(text(*rules))


def errors(*rules: str) -> list[starrules.Diagnostic]:
    with pytest.raises((StarCheckError, StarSyntaxError)) as info:
        starrules.loads(text(*rules))
    return info.value.diagnostics


def only(diagnostics: list[starrules.Diagnostic], code: str) -> starrules.Diagnostic:
    assert [d.code for d in diagnostics] == [code], [(d.code, d.message) for d in diagnostics]
    return diagnostics[0]


# ==== E501: the hint says what to add ===========================================================

def test_e501_select_without_an_effect_hints_both_effects() -> None:
    d = only(errors('select "倒排10%整顿" { bottom 10% }'), "E501")
    # the levels run 0..5, so the cap suggested is the one below the top: 4
    assert d.hint == 'add a line such as: flag "整顿" to mark them, or: cap at most 4 to hold them at 4 or below'


def test_e501_select_without_a_pick_hints_one() -> None:
    d = only(errors('select "整顿" { flag "整顿" }'), "E501")
    assert d.hint is not None and d.hint.startswith("add a line such as: bottom 10%")


def test_e501_quota_without_a_target_names_the_top_level() -> None:
    d = only(errors('quota "无目标" { over all }'), "E501")
    assert d.hint == "add a line such as: level 5 at most 10%"
    # with grades, the top grade
    with pytest.raises(StarCheckError) as info:
        starrules.loads('scheme "x"\nlevels grades 合格 < 优秀\ninput s : score 0..100\n'
                        'band s { 优秀: [90, ..)  合格: else }\nquota "无目标" { over all }\n')
    assert [d.hint for d in info.value.diagnostics] == ["add a line such as: level 优秀 at most 10%"]


# ==== E503: quotas that cannot all hold ==========================================================

def test_e503_share_above_share_on_the_same_level() -> None:
    d = only(errors('quota "五星至多10%" { level 5 at most 10% }',       # 8
                    'quota "五星至少15%" { level 5 at least 15% }'),     # 9: 15% of n > 10% of n for any n
             "E503")
    assert d.span.line == FIRST + 1
    assert d.message == ("'五星至少15%' (line 9) asks for at least 15% at 五星级, "
                         "but '五星至多10%' (line 8) allows at most 10% at 五星级")


def test_e503_counts_on_nested_levels() -> None:
    # five-star entities are among those at four stars or above: 5 of them cannot fit in 3
    d = only(errors('quota "五星至少5个" { level 5 at least 5 }',          # 8
                    'quota "四星以上至多3个" { level >= 4 at most 3 }'),   # 9
             "E503")
    assert d.span.line == FIRST + 1
    assert d.message == ("'五星至少5个' (line 8) asks for at least 5 at 五星级, but '四星以上至多3个' (line 9) "
                         "allows at most 3 at 四星级 or above, which include 五星级")


def test_e503_exactly_on_nested_levels() -> None:
    # exactly 3 at five stars, but exactly 2 at four or above (which holds the five-star ones)
    d = only(errors('quota "四星以上恰好2个" { level >= 4 exactly 2 }',
                    'quota "五星恰好3个" { level 5 exactly 3 }'), "E503")
    assert "asks for exactly 3 at 五星级" in d.message and "allows exactly 2 at 四星级 or above" in d.message
    # exactly 10% at five stars, at most 5% at four or above
    d = only(errors('quota "五星恰好10%" { level 5 exactly 10% }',
                    'quota "四星以上至多5%" { level >= 4 at most 5% }'), "E503")
    assert "exactly 10% at 五星级" in d.message and "at most 5% at 四星级 or above" in d.message


def test_e503_at_least_in_every_group_above_at_most_over_all() -> None:
    # every 支部 needs 2 five-star entities, and there is at least one 支部: at least 2 over
    # all, more than the 1 allowed
    d = only(errors('quota "每支部至少2名五星" { level 5 at least 2 per 支部 }',
                    'quota "五星至多1名" { level 5 at most 1 }'), "E503")
    assert d.message == ("'每支部至少2名五星' (line 8) asks for at least 2 at 五星级 in each 支部, "
                         "but '五星至多1名' (line 9) allows at most 1 at 五星级")


def test_e503_per_group_counts_on_the_same_key() -> None:
    d = only(errors('quota "每支部至少2名五星" { level 5 at least 2 per 支部 }',
                    'quota "每支部四星以上至多1名" { level >= 4 at most 1 per 支部 }'), "E503")
    assert "in each 支部" in d.message and "which include 五星级" in d.message


def test_e503_per_group_share_against_a_share_over_all() -> None:
    # at least 20% of every 支部 is at least 20% of all, above the 10% allowed
    d = only(errors('quota "每支部五星至少20%" { level 5 at least 20% per 支部 }',
                    'quota "五星至多10%" { level 5 at most 10% }'), "E503")
    assert "at least 20% at 五星级 in each 支部" in d.message and "at most 10% at 五星级" in d.message


def test_e503_apportioned_share_is_a_share_of_all() -> None:
    d = only(errors('quota "五星10%分配" { level 5 at most 10%  apportion by 单位 }',
                    'quota "五星至少20%" { level 5 at least 20% }'), "E503")
    assert "at most 10% at 五星级 over all (apportioned by 单位)" in d.message


def test_e503_three_quotas_none_of_which_clash_in_pairs() -> None:
    # 三星级 or below at least 60%, 三星级 or above at least 60%: together 120% of the
    # entities, so at least 20% must be counted twice, that is be at 三星级; but at most 10%
    # may be there. Any two of the three can hold (e.g. 60% at 2 and 40% at 4).
    d = only(errors('quota "三星及以下至少60%" { level <= 3 at least 60% }',   # 8
                    'quota "三星及以上至少60%" { level >= 3 at least 60% }',   # 9
                    'quota "三星至多10%" { level 3 at most 10% }'),           # 10
             "E503")
    assert d.span.line == FIRST + 2
    assert d.message == ("these quotas cannot all hold, whatever the number of entities: '三星及以下至少60%' (line 8), "
                         "'三星及以上至少60%' (line 9) and '三星至多10%' (line 10)")
    assert d.hint is not None and d.hint.splitlines()[1:] == [
        "line 8: at least 60% at 三星级 or below", "line 9: at least 60% at 三星级 or above",
        "line 10: at most 10% at 三星级"]
    for left_out in range(3):  # without any one of them, the others hold
        rules = ['quota "三星及以下至少60%" { level <= 3 at least 60% }', 'quota "三星及以上至少60%" { level >= 3 at least 60% }',
                 'quota "三星至多10%" { level 3 at most 10% }']
        scheme(*(r for i, r in enumerate(rules) if i != left_out))


def test_e503_at_least_shares_over_100_percent_name_every_quota() -> None:
    d = only(errors('quota "五星至少40%" { level 5 at least 40% }', 'quota "四星至少40%" { level 4 at least 40% }',
                    'quota "三星至少40%" { level 3 at least 40% }'), "E503")   # 120% on three levels
    assert "120%" in d.message and d.span.line == FIRST + 2
    assert d.hint is not None and all(f"(line {FIRST + i})" in d.hint for i in range(3))


def test_e503_at_most_shares_on_every_level_under_100_percent() -> None:
    # every entity is at 三星级 or below, or at 四星级 or above: 40% + 40% cannot hold them all
    d = only(errors('quota "三星以下至多40%" { level <= 3 at most 40% }',
                    'quota "四星以上至多40%" { level >= 4 at most 40% }'), "E503")
    assert "at most 80%" in d.message and "less than 100%" in d.message


def test_e503_two_separate_clashes_are_both_reported() -> None:
    diags = errors('quota "五星至多1名" { level 5 at most 1 }', 'quota "五星至少2名" { level 5 at least 2 }',
                   'quota "一星至多1名" { level 1 at most 1 }', 'quota "一星至少3名" { level 1 at least 3 }')
    assert [(d.code, d.span.line) for d in diags] == [("E503", FIRST + 1), ("E503", FIRST + 3)]


def test_e503_minimum_above_the_quotas_own_count() -> None:
    # two protected per 单位, one place in all: when the quota must cut, a 单位 with two
    # or more at five stars keeps two, and 单位 with one each keep every one of them
    d = only(errors('quota "五星至多1名" { level 5 at most 1  minimum 2 per 单位 }'), "E503")
    assert d.span.line == FIRST and "minimum" in d.message
    assert d.hint == "lower the minimum to 1 or less, or raise the count to 2 or more"
    scheme('quota "五星至多2名" { level 5 at most 2  minimum 2 per 单位 }')   # as many as the count: fine


@pytest.mark.parametrize("rules", [
    # a count against a share: both hold from 50 entities on (5 <= 10% of n)
    ('quota "五星至少5名" { level 5 at least 5 }', 'quota "五星至多10%" { level 5 at most 10% }'),
    # and the other way: both hold up to 50 entities
    ('quota "五星至多5名" { level 5 at most 5 }', 'quota "五星至少10%" { level 5 at least 10% }'),
    # per group against over all: hold when the 支部 have 20 members each on average
    ('quota "每支部至少2名五星" { level 5 at least 2 per 支部 }', 'quota "五星至多10%" { level 5 at most 10% }'),
    # at most one per 支部, at least ten over all: hold with ten 支部 or more
    ('quota "每支部至多1名五星" { level 5 at most 1 per 支部 }', 'quota "五星至少10名" { level 5 at least 10 }'),
    # two different group keys: a 支部's two five-star members may be in two 单位
    ('quota "每支部至少2名五星" { level 5 at least 2 per 支部 }', 'quota "每单位至多1名五星" { level 5 at most 1 per 单位 }'),
    # a minimum of 1 per 单位 under a share: holds while there are few enough 单位
    ('quota "五星至多10%" { level 5 at most 10%  minimum 1 per 单位 }',),
    # report-only quotas are targets, not held to the others
    ('quota "五星至多10%" { level 5 at most 10%  report only }', 'quota "五星至少20%" { level 5 at least 20% }'),
    ('quota "五星约10%" { level 5 about 10% }', 'quota "五星至少20%" { level 5 at least 20% }'),
    # shares up to 100% on different levels, and an at-least under an at-most on levels around it
    ('quota "五星至少60%" { level 5 at least 60% }', 'quota "四星至少40%" { level 4 at least 40% }'),
    ('quota "五星至少10%" { level 5 at least 10% }', 'quota "四星以上至多30%" { level >= 4 at most 30% }'),
])
def test_quotas_that_can_hold_for_some_population_load(rules: tuple[str, ...]) -> None:
    scheme(*rules)


# ==== E504 and W502: levels no rating reaches ===================================================

LOW = tuple(line.replace("score 0..100", "score 0..85") for line in HEAD)  # 分数 never reaches 90: no 五星级


def low(*rules: str) -> str:
    return "\n".join((*LOW, *rules)) + "\n"


@pytest.mark.parametrize(("rule", "move", "where"), [
    ('quota "五星至少1名" { level 5 at least 1 }', "raise", "五星级"),
    ('quota "每支部至少1名五星" { level 5 at least 1 per 支部 }', "raise", "五星级"),
    ('quota "五星恰好10%" { level 5 exactly 10% }', "raise", "五星级"),
])
def test_e504_enforced_quota_on_a_level_no_rating_reaches(rule: str, move: str, where: str) -> None:
    with pytest.raises(StarCheckError) as info:
        starrules.loads(low(rule))
    d = only(info.value.diagnostics, "E504")
    assert d.span.line == FIRST
    assert d.message.startswith(f"'{d.message.split(chr(39))[1]}' would {move} entities to {where}, "
                                "which no entity's own rating reaches (分数 runs from 0 to 85)")


def test_e504_lowering_to_levels_below_every_rating() -> None:
    # 分数 from 55: one star (50..60) is the lowest a rating gives; 不定星级 (0) is reached by none
    text_ = "\n".join(line.replace("score 0..100", "score 55..100") for line in HEAD) + \
        '\nquota "不定星级至少1名" { level <= 0 at least 1 }\n'
    with pytest.raises(StarCheckError) as info:
        starrules.loads(text_)
    d = only(info.value.diagnostics, "E504")
    assert "would lower entities to 不定星级 or below" in d.message


def test_w502_report_only_quota_on_a_level_no_rating_reaches() -> None:
    loaded = starrules.loads(low('quota "五星至少1名" { level 5 at least 1  report only }'))
    assert [(w.code, w.span.line) for w in loaded.warnings] == [("W401", 7), ("W502", FIRST)]


def test_no_e504_for_a_quota_asking_for_none_or_only_bounding_from_above() -> None:
    loaded = starrules.loads(low('quota "五星至少0名" { level 5 at least 0  ties break }',
                                 'quota "五星至多1名" { level 5 at most 1  ties break }'))
    assert [w.code for w in loaded.warnings] == ["W401"]


# ==== the feasibility test against brute force ==================================================

LEVELS = 3
BOUND = st.builds(
    lambda source, ends, lower, count, share: Bound(source, min(ends), max(ends), lower, Fraction(count), share),
    st.integers(0, 3), st.tuples(st.integers(0, LEVELS - 1), st.integers(0, LEVELS - 1)), st.booleans(),
    st.integers(0, 4), st.sampled_from([Fraction(0), Fraction(1, 10), Fraction(1, 4), Fraction(1, 2), Fraction(3, 5)]),
)


def met_by_some_spread(bounds: list[Bound], n: int) -> bool:
    """Whether n entities can be spread over the levels (whole numbers) to meet them all."""
    for a in range(n + 1):
        for b in range(n + 1 - a):
            spread = (a, b, n - a - b)
            if all((sum(spread[bd.low:bd.high + 1]) >= bd.count + bd.share * n) if bd.lower
                   else (sum(spread[bd.low:bd.high + 1]) <= bd.count + bd.share * n) for bd in bounds):
                return True
    return False


@settings(max_examples=400, deadline=None)
@given(bounds=st.lists(BOUND, max_size=6))
def test_feasibility_against_brute_force_and_its_own_witness(bounds: list[Bound]) -> None:
    # Sound: a population that meets the bounds (searched up to 20 entities) means the
    # test must not say they cannot hold.
    verdict = feasible(bounds, LEVELS)
    found = any(met_by_some_spread(bounds, n) for n in range(1, 21))
    if found:
        assert verdict is True
    # Complete over the reals: when it says they can hold, the spread it gives meets them.
    solution = spread(bounds, LEVELS)
    assert (solution is not None) == verdict
    if solution is not None:
        n = sum(solution)
        assert n >= 1 and all(x >= 0 for x in solution)
        for bd in bounds:
            held = sum(solution[bd.low:bd.high + 1])
            limit = bd.count + bd.share * n
            assert held >= limit if bd.lower else held <= limit, (bd, solution)
    conflict = smallest_conflict(bounds, LEVELS)
    if conflict is not None:  # the smallest set cannot hold, and each of its quotas is needed
        kept = [b for b in bounds if b.source in conflict]
        assert feasible(kept, LEVELS) is False
        for source in conflict:
            assert feasible([b for b in kept if b.source != source], LEVELS) is True


def test_feasibility_by_hand() -> None:
    # 60% at level 2 and 50% at level 1: 110% of the entities
    assert feasible([Bound(0, 2, 2, True, share=Fraction(3, 5)), Bound(1, 1, 1, True, share=Fraction(1, 2))], 3) is False
    # 60% and 40%: all of them, 3 of 5 at level 2 and 2 at level 1
    assert feasible([Bound(0, 2, 2, True, share=Fraction(3, 5)), Bound(1, 1, 1, True, share=Fraction(2, 5))], 3) is True
    # at least 5 at level 2, at most 10%: from 50 entities on
    assert feasible([Bound(0, 2, 2, True, count=Fraction(5)), Bound(1, 2, 2, False, share=Fraction(1, 10))], 3) is True


def test_a_refused_group_key_does_not_make_the_quota_clash_over_all() -> None:
    # 支布 is not declared (E101). Read over all, 'at least 2' would clash with 'at most 1';
    # it is not read at all, so the one error is the name.
    d = only(errors('quota "每支部至少2名五星" { level 5 at least 2 per 支布 }', 'quota "五星至多1名" { level 5 at most 1 }'),
             "E101")
    assert d.hint == "did you mean '支部'?"


def test_a_single_quota_that_cannot_hold_is_named_alone() -> None:
    # "at most 0" of the lowest level or above is at most 0 of everyone: no population
    # with anyone rated meets it. One quota, so the message names it alone.
    text = ('scheme "x"\nlevels grades 差 < 中\ninput 甲 : score 0..10\nband 甲 { 中: [5, ..)  差: (.., 5) }\n'
            'quota "配额0" { level >= 差 at most 0 }\n')
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads(text)
    message = str(info.value)
    assert "error[E503]: this quota cannot hold once anything is rated: '配额0' (line 5)" in message
    assert " and '" not in message


# ---- apportionment: the method, its first divisor, and a quota it can never apportion ----------


@pytest.mark.parametrize("method", ["huntington-hill", "equal-proportions", "adams", "dean", "harmonic-mean"])
@pytest.mark.parametrize("amount", ["0", "0%"])
def test_e503_a_method_giving_every_group_a_place_first_cannot_apportion_none(method: str, amount: str) -> None:
    # Each of these methods gives every group a place before any group a second: with 0
    # places (at most 0, or 0% of any number) a run that rates anyone cannot apportion them.
    d = only(errors(f'quota "五星名额分配" {{ level 5 at most {amount}  apportion by 单位 using {method} }}'), "E503")
    assert d.message == (f"{method} gives every group of 单位 a place before any group a second, so it cannot "
                         "apportion 0 places: every run would report this quota NOT MET")
    assert d.span.line == FIRST


@pytest.mark.parametrize("method", ["largest-remainder", "hamilton", "dhondt", "sainte-lague", "imperiali"])
def test_zero_places_are_fine_for_the_other_methods(method: str) -> None:
    # Every group simply gets 0 places: the quota takes five stars from everyone.
    scheme(f'quota "五星名额分配" {{ level 5 at most 0  apportion by 单位 using {method} }}')


def test_huntington_hill_with_places_loads() -> None:
    # Whether 3 places are enough depends on the number of 单位 a run meets: left to the run.
    scheme('quota "五星名额分配" { level 5 at most 3  apportion by 单位 using huntington-hill }')


def test_e502_a_first_divisor_on_a_method_that_takes_none() -> None:
    d = only(errors('quota "五星分配" { level 5 at most 10%  apportion by 单位 using jefferson first divisor 1.4 }'),
             "E502")
    assert d.message == "'first divisor' is a setting of the Sainte-Laguë methods, not of jefferson"
    assert d.hint == "write: using sainte-lague first divisor 1.4"


@pytest.mark.parametrize("first", ["0", "0.0", "3.5", "10"])
def test_e302_a_first_divisor_out_of_range(first: str) -> None:
    d = only(errors(f'quota "五星分配" {{ level 5 at most 10%  apportion by 单位 using sainte-lague first divisor {first} }}'),
             "E302")
    assert d.message == "a first divisor must be above 0 and at most 3, the second divisor of 1, 3, 5, …"


@pytest.mark.parametrize(("written", "method", "first"), [
    ("using webster", "sainte-lague", None),
    ("using hare", "largest-remainder", None),
    ("using equal-proportions", "huntington-hill", None),
    ("using sainte-lague first divisor 1.4", "sainte-lague", "1.4"),
    ("using webster first divisor 3", "sainte-lague", "3"),
    ("using modified-sainte-lague first divisor 1.5", "modified-sainte-lague", "1.5"),
    ("using swedish-sainte-lague", "swedish-sainte-lague", None),
])
def test_the_model_holds_the_methods_own_name_and_the_first_divisor(written: str, method: str,
                                                                       first: str | None) -> None:
    (q,) = scheme(f'quota "五星分配" {{ level 5 at most 10%  apportion by 单位 {written} }}').program.population
    assert (q.method, q.first_divisor) == (method, None if first is None else Decimal(first))


def test_an_unknown_method_is_a_syntax_error_that_lists_the_methods() -> None:
    with pytest.raises(StarSyntaxError) as info:
        scheme('quota "五星分配" { level 5 at most 10%  apportion by 单位 using jeferson }')
    (d,) = info.value.diagnostics
    assert (d.code, d.span.line) == ("E001", FIRST)
    assert d.hint is not None and d.hint.startswith("did you mean the method 'jefferson'? The methods are "
                                                    "'largest-remainder', 'dhondt',")
    assert "'swedish-sainte-lague', 'hamilton'" in d.hint and d.hint.endswith("or 'harmonic-mean'")
