"""What a policy author reads while writing and checking a scheme, in both languages.

Golden drawings of representative diagnostics (an unknown name with its did-you-mean, a
band gap with the score that falls in it, a type error, a syntax slip named, the text of
a bad input value) in Chinese and in English, written by hand; carets under Chinese
text in both; and no English left in the Chinese of any bundled scheme's diagnostics and
bad values, nor of any wrong example of docs/diagnostics.md (tests/latin_scan.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from latin_scan import keywords, latin_words, source_words

import starrules
from starrules import i18n
from starrules import model as m
from starrules.checker import check
from starrules.diagnostics import Diagnostic, render, render_all, text_width
from starrules.errors import InputError, InputProblem, StarDiagnosticError
from starrules.nodes import Span
from starrules.parser import parse
from starrules.values import coerce

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = sorted((ROOT / "schemes").glob("*.star"))


def drawn(text: str, lang: str, name: str = "测试.star") -> str:
    """Every diagnostic of a scheme (syntax errors, or the checker's errors and
    warnings), drawn as ``starrules check`` draws them, in ``lang``."""
    with i18n.using(lang):
        try:
            diagnostics = check(parse(text, name))
        except StarDiagnosticError as exc:
            return exc.render()
        return render_all(diagnostics, text)


# ---- golden drawings -----------------------------------------------------------------

UNKNOWN = """\
scheme "测试" version "2024"
levels stars 0..5
input 民主评议满意率 : percent
total 得分 = 10 when 民主测评满意率 > 60%
band 得分 { 5: [10, ..)  0: (.., 10) }
"""
# 民主测评满意率 starts at column 20 of line 4; before it, "total " (6 columns), 得分
# (2 wide characters, 4 columns), " = 10 when " (11): 21 columns of spaces, then 7 wide
# characters, 14 carets. 测评 for 评议 is 2 changes in 7 characters: close enough.
UNKNOWN_ZH = """\
错误[E101]：'民主测评满意率' 没有定义；应为指标或得分
  --> 测试.star:4:20
   |
 4 | total 得分 = 10 when 民主测评满意率 > 60%
   |                      ^^^^^^^^^^^^^^
  = 提示：是不是想写 '民主评议满意率'？"""
UNKNOWN_EN = """\
error[E101]: '民主测评满意率' is not defined; expected an input or a score
  --> 测试.star:4:20
   |
 4 | total 得分 = 10 when 民主测评满意率 > 60%
   |                      ^^^^^^^^^^^^^^
  = hint: did you mean '民主评议满意率'?"""

GAP = """\
scheme "测试" version "2024"
levels stars 3..5 { 5: "五星级" }
input 得分 : score 0..100 step 0.5
band 得分 { 5: [90, 100]  4: [80, 89]  3: (.., 80) }
"""
# Between 4星 [80, 89] and 五星级 [90, 100] no band holds (89, 90); on steps of 0.5 the
# score can be 89.5 there. The error is on the upper band, "5: [90, 100]", column 11
# (after "band 得分 { ": 5 + 4 + 3 = 12 columns), 12 characters long.
GAP_ZH = """\
错误[E401]：得分 89.5 不在任何分档内（在 4星 [80, 89] 与 五星级 [90, 100] 之间）
  --> 测试.star:4:11
   |
 4 | band 得分 { 5: [90, 100]  4: [80, 89]  3: (.., 80) }
   |             ^^^^^^^^^^^^
  = 提示：让分档首尾相接：低的那一档在这一档开始处结束，4星: [80, 90)"""
GAP_EN = """\
error[E401]: a score of 89.5 falls in no band (between 4星 [80, 89] and 五星级 [90, 100])
  --> 测试.star:4:11
   |
 4 | band 得分 { 5: [90, 100]  4: [80, 89]  3: (.., 80) }
   |             ^^^^^^^^^^^^
  = hint: make the bands meet: end the lower one where this one starts, 4星: [80, 90)"""

TYPE = """\
scheme "测试" version "2024"
levels stars 0..5
input 基础分 : score 0..100
input 满意率 : percent
total 得分 = 基础分 - (5 when 满意率 < 60)
band 得分 { 5: [90, ..)  0: (.., 90) }
"""
# 满意率 < 60 compares a percentage with 60, a count: the hint writes 60 as 60%. The
# comparison starts at column 26, the 26th character ("total 得分 = 基础分 - (5 when " is
# 25 characters, 6 + 4 + 3 + 6 + 3 + 1 + 7 = 30 columns wide) and runs to the ')'
# (满意率 < 60: 6 + 5 = 11 columns).
TYPE_ZH = """\
错误[E201]：'<' 比较的是数值，实际为百分比和计数（整数）
  --> 测试.star:5:26
   |
 5 | total 得分 = 基础分 - (5 when 满意率 < 60)
   |                               ^^^^^^^^^^^
  = 提示：把这个数写成百分比：60%"""
TYPE_EN = """\
error[E201]: '<' compares numbers, but got a percentage and a count (whole number)
  --> 测试.star:5:26
   |
 5 | total 得分 = 基础分 - (5 when 满意率 < 60)
   |                               ^^^^^^^^^^^
  = hint: write the number as a percentage: 60%"""

SLIP = """\
scheme "测试" version "2024"
levels stars 0..5
input 次数 : count
penality 扣分 { "缺席": 2 each 次数 }
total 得分 = 10 - 扣分
band 得分 { 5: [10, ..)  0: (.., 10) }
"""
# "penality" is no keyword: the parser meets a name where a statement begins, and the
# closest keyword (penalty, one letter off) is named.
SLIP_ZH = """\
错误[E001]：这里不应出现 'penality'
  --> 测试.star:4:1
   |
 4 | penality 扣分 { "缺席": 2 each 次数 }
   | ^^^^^^^^
  = 提示：是不是想写关键字 'penalty'？"""
SLIP_EN = """\
error[E001]: unexpected 'penality' here
  --> 测试.star:4:1
   |
 4 | penality 扣分 { "缺席": 2 each 次数 }
   | ^^^^^^^^
  = hint: did you mean the keyword 'penalty'?"""


@pytest.mark.parametrize(("scheme", "zh", "en"), [
    (UNKNOWN, UNKNOWN_ZH, UNKNOWN_EN),
    (GAP, GAP_ZH, GAP_EN),
    (TYPE, TYPE_ZH, TYPE_EN),
    (SLIP, SLIP_ZH, SLIP_EN),
], ids=["unknown-name", "band-gap", "type-error", "syntax-slip"])
def test_a_diagnostic_in_both_languages(scheme: str, zh: str, en: str) -> None:
    assert drawn(scheme, "zh") == zh
    assert drawn(scheme, "en") == en


BAD_VALUES = """\
scheme "测试" version "2024"
levels stars 0..5
input 组织健全 : score 0..10
input 按期换届 : bool
input 等次 : one of {优秀, 良好, 一般}
total 得分 = 组织健全 + (5 when 按期换届)
band 得分 { 5: [10, ..)  0: (.., 10) }
"""


@pytest.mark.parametrize(("given", "zh", "en"), [
    # 10.5 is above the declared 0..10: the reason column of an invalid row
    ({"组织健全": "10.5", "按期换届": "是", "等次": "优秀"},
     "组织健全：'10.5' 无效，应为从 0 到 10 的得分",
     "组织健全: '10.5' is not valid; expected a score from 0 to 10"),
    # an empty cell: missing, and what would have been valid
    ({"组织健全": "", "按期换届": "是", "等次": "优秀"},
     "组织健全：无效，应为从 0 到 10 的得分（未填写）",
     "组织健全: (missing) is not valid; expected a score from 0 to 10 (the value is missing)"),
    # a yes/no cell with neither: the Chinese names only the Chinese ways of writing it
    ({"组织健全": "8", "按期换届": "也许", "等次": "优秀"},
     "按期换届：'也许' 无效，应为是或否（可写 是/否、有/无、√/×、1/0）",
     "按期换届: '也许' is not valid; expected yes or no (是/否, yes/no, true/false, 1/0)"),
    # a choice not in the list: the list, said in each language's way
    ({"组织健全": "8", "按期换届": "是", "等次": "较好"},
     "等次：'较好' 无效，应为以下之一：优秀、良好、一般",
     "等次: '较好' is not valid; expected one of 优秀, 良好, 一般"),
], ids=["out-of-range", "missing", "yes-no", "one-of"])
def test_the_text_of_a_bad_value_in_both_languages(given: dict[str, str], zh: str, en: str) -> None:
    for lang, expected in (("zh", zh), ("en", en)):
        with i18n.using(lang):
            scheme = starrules.loads(BAD_VALUES, "测试.star")
            with pytest.raises(InputError) as caught:
                scheme.evaluate(given)
            assert str(caught.value) == expected


@pytest.mark.parametrize(("kind", "zh", "en"), [
    (m.Type("enum", ("优秀", "良好")), "{优秀, 良好} 之一", "one of {优秀, 良好}"),
    (m.Type("set", ("市级", "省级")), "{市级, 省级} 中的多选项", "set of {市级, 省级}"),
    (m.BOOL, "是/否", "yes/no"),
    (m.COUNT, "计数（整数）", "a count (whole number)"),
], ids=["enum", "set", "bool", "count"])
def test_type_descriptions_in_both_languages(kind: m.Type, zh: str, en: str) -> None:
    with i18n.using("zh"):
        assert kind.describe() == zh
    with i18n.using("en"):
        assert kind.describe() == en


# ---- carets under Chinese text -------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_carets_stay_under_chinese_text_in_both_languages(lang: str) -> None:
    # 组织健全 is the 3rd to 6th character of "得分 组织健全 + 1" (column 4 to 7): under
    # it, "得分 " is 5 columns wide and the 4 wide characters take 8 carets. The
    # message is Chinese whichever the language: only the words around it change.
    source = "得分 组织健全 + 1\n"
    d = Diagnostic("E101", "error", Span(1, 4, 1, 8), "'组织健全' 未定义", "组织健全", "甲.star")
    with i18n.using(lang):
        lines = render(d, source).splitlines()
    assert lines[3] == " 1 | 得分 组织健全 + 1"
    assert lines[4] == "   |      ^^^^^^^^"
    # the caret line is as wide, in terminal columns, as the text it marks ends
    assert text_width(lines[4]) == text_width(" 1 | 得分 组织健全")


@pytest.mark.parametrize(("lang", "head", "hint"), [("zh", "错误[E103]：甲", "  = 提示：第一行"),
                                                  ("en", "error[E103]: 甲", "  = hint: 第一行")])
def test_a_hint_of_several_lines_keeps_its_indent_in_both_languages(lang: str, head: str, hint: str) -> None:
    # "  = 提示：" and "  = hint: " are both 10 columns wide: the next lines start there; the
    # colons are the language's (full-width in Chinese, as in every other Chinese message)
    d = Diagnostic("E103", "error", Span(1, 1, 1, 2), "甲", "第一行\n第二行", "甲.star")
    with i18n.using(lang):
        lines = render(d, "x\n").splitlines()
    assert lines[0] == head
    assert lines[-2] == hint
    assert text_width(hint[:-len("第一行")]) == 10
    assert lines[-1] == " " * 10 + "第二行"


# ---- no English left in the Chinese --------------------------------------------------

def test_the_scanner_finds_english_and_lets_keywords_codes_and_names_through() -> None:
    assert latin_words("错误[E101]：'x' is not defined") == ["'x' in: 错误[E101]：'x' is not defined",
                                                              "'is' in: 错误[E101]：'x' is not defined",
                                                              "'defined' in: 错误[E101]：'x' is not defined"]
    # keywords of the language, a code, numbers, and a name the caller allows
    assert latin_words("警告[W305]：cap '甲' 在 band 中最高定为 4，at most 10% 见 Alpha", {"Alpha"}) == []
    # a source line a diagnostic draws, and the file's name, are the author's text
    assert latin_words(" 4 | penality 扣分\n  --> scheme.star:4:1") == []
    assert {"band", "cap", "most", "when", "rated", "sum"} <= keywords()


def scheme_outputs(path: Path) -> list[tuple[str, str]]:
    """What a bundled scheme makes the library say in Chinese, each with a label: its
    own diagnostics; those of the scheme with its first input declared under another
    name (every use of it then unknown, with a did-you-mean); and, for every input, the
    text of a bad and of a missing value."""
    text = path.read_text(encoding="utf-8")
    out = [(f"{path.name}: check", drawn(text, "zh", path.name))]
    scheme = starrules.load(path)
    # the first input read by a score or rule: its name is written more than once
    first = next(i.name for i in scheme.inputs if i.role == "value" and text.count(i.name) > 1)
    renamed = re.sub(rf"^(\s*input\s+){re.escape(first)}(?=[\s:])", rf"\g<1>{first}甲", text, count=1, flags=re.M)
    assert renamed != text
    out.append((f"{path.name}: {first} renamed", drawn(renamed, "zh", path.name)))
    with i18n.using("zh"):
        for inp in scheme.inputs:
            for raw in ("？？", "", "-1", "100000"):
                _, expected = coerce(inp, raw)
                if expected is not None:
                    out.append((f"{path.name}: {inp.name} = {raw!r}", str(InputProblem(inp.name, raw, expected))))
    return out


@pytest.mark.parametrize("path", SCHEMES, ids=[p.name for p in SCHEMES])
def test_no_english_in_the_chinese_of_a_bundled_scheme(path: Path) -> None:
    names = source_words(path.read_text(encoding="utf-8"))
    outputs = scheme_outputs(path)
    assert any("E101" in o for _, o in outputs)  # the renamed input was reported
    found = [f"{label}: {w}" for label, o in outputs for w in latin_words(o, names)]
    assert found == []


def wrong_examples() -> list[tuple[str, str]]:
    """(id, scheme text) of every wrong example of docs/diagnostics.md."""
    from test_docs import extract

    blocks = extract((ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8"), "diagnostics.md")
    return [(b.id, b.text) for b in blocks if b.kind == "star" and (b.codes("error") or b.codes("warn"))]


WRONG = wrong_examples()


@pytest.mark.parametrize(("ident", "text"), WRONG, ids=[i for i, _ in WRONG])
def test_no_english_in_the_chinese_of_a_wrong_example(ident: str, text: str) -> None:
    output = drawn(text, "zh", "示例.star")
    assert "[" in output  # it does give its diagnostics
    assert latin_words(output, source_words(text)) == []


# ---- examples inside a scheme --------------------------------------------------------

WRONG_EXAMPLE = """\
scheme "测试" version "2024"
levels stars 0..1
input 分 : score 0..100
total 得分 = 分
band 得分 { 1: [60, ..)  0: (.., 60) }
example "及格" {
  given { 分: 59 }
  expect 得分 = 60, level = 1
}
"""


def test_a_failed_example_in_both_languages() -> None:
    # 分 59 gives 得分 59 (not the 60 expected) and level 0 (59 < 60), not 1. The first
    # line of each failure is the examples' own; the lines after it are the trace.
    from starrules.examples import run_examples

    expected = {
        "zh": ["得分：应为 60，实际为 59", "等级：应为 1星，实际为 0星", "✘ 示例“及格”（测试.star:6）"],
        "en": ["得分: expected 60, got 59", "level: expected 1星, got 0星", "✘ example \"及格\" (测试.star:6)"],
    }
    for lang, (score, level, head) in expected.items():
        with i18n.using(lang):
            (outcome,) = run_examples(starrules.loads(WRONG_EXAMPLE, "测试.star"))
            assert [f.splitlines()[0] for f in outcome.failures] == [score, level]
            assert outcome.describe("测试.star").splitlines()[0] == head


CHECKING_MODULES = ("parser", "checker", "analysis", "feasibility", "diagnostics", "errors", "values", "model",
                    "nodes", "examples")


def test_no_english_in_the_chinese_of_any_message_of_checking() -> None:
    # every message of the modules that parse and check a scheme, as translated: the
    # placeholders ({name}) are filled in at run time and not counted
    from babel.messages.extract import extract_from_file

    ids = {msg if isinstance(msg, str) else msg[0]
           for module in CHECKING_MODULES
           for _, msg, _, _ in extract_from_file("python", str(ROOT / "starrules" / f"{module}.py"))}
    assert len(ids) > 250
    with i18n.using("zh"):
        found = {msgid: latin_words(re.sub(r"\{[^{}]*\}", " ", i18n._(msgid))) for msgid in sorted(ids)}
    assert {k: v for k, v in found.items() if v} == {}


def test_several_bad_values_of_one_row_in_both_languages() -> None:
    # both values bad: each said, in the order declared, joined the way each language does
    given = {"组织健全": "11", "按期换届": "也许", "等次": "优秀"}
    for lang, expected in (
        ("zh", "组织健全：'11' 无效，应为从 0 到 10 的得分；按期换届：'也许' 无效，应为是或否（可写 是/否、有/无、√/×、1/0）"),
        ("en", "组织健全: '11' is not valid; expected a score from 0 to 10; "
               "按期换届: '也许' is not valid; expected yes or no (是/否, yes/no, true/false, 1/0)"),
    ):
        with i18n.using(lang):
            with pytest.raises(InputError) as caught:
                starrules.loads(BAD_VALUES, "测试.star").evaluate(given)
            assert str(caught.value) == expected
