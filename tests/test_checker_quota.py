"""The checker on quotas and selections: what it can decide before any data is read.

Quotas that cannot all hold, for any population, are refused (E503); an enforced quota
that can only be met by raising (or lowering) entities to levels no rating reaches is
refused (E504), a report-only one warned about (W502); a quota or selection that does not
say enough is refused with a hint (E501). Each expected diagnostic is worked out by hand
from the quotas' bounds, written next to it.
"""

from __future__ import annotations

import pytest

import starrules
from starrules import StarCheckError, StarSyntaxError

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
