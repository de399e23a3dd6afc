"""The Pygments lexer of starrules.highlight: every token of every real scheme, and the
keyword list checked against the grammar so the two cannot drift apart."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import lark
import pytest
from lark.lexer import PatternStr
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from starrules import highlight
from starrules.highlight import KEYWORDS, StarLexer

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "grammars" / "star.lark"
SCHEMES = sorted((ROOT / "schemes").glob("*.star"))

Tokens = list[tuple[_TokenType, str]]


def grammar_keywords(text: str) -> set[str]:
    """Every quoted word of a Lark grammar: "scheme", "half-up", "是"..., not "..", "<=".

    Comments (``// ...``) and regular expressions (``/.../``) are removed first, so the
    quotes of ``STRING: /"[^"\\n]*"/`` and of the prose are not read as keywords.
    """
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/(?:\\.|[^/\n])+/[imslux]*", "", text)
    return {w for w in re.findall(r'"([^"\n]*)"', text) if re.fullmatch(r"[^\W\d][\w-]*", w)}


def lark_keywords(text: str) -> set[str]:
    """The same set from Lark itself: the word-like anonymous string terminals."""
    parser = lark.Lark(text, parser="lalr")
    return {
        t.pattern.value
        for t in parser.terminals
        if isinstance(t.pattern, PatternStr) and re.fullmatch(r"[^\W\d][\w-]*", t.pattern.value)
    }


def tokens(text: str) -> Tokens:
    """(type, text) of every token but whitespace."""
    out = [(t, v) for _, t, v in StarLexer(stripnl=False).get_tokens_unprocessed(text)]
    assert "".join(v for _, v in out) == text  # the lexer drops nothing and adds nothing
    return [(t, v) for t, v in out if t not in Whitespace]


def type_of(text: str, word: str, nth: int = 0) -> _TokenType:
    """The token type of the ``nth`` token whose text is ``word``."""
    found = [t for t, v in tokens(text) if v == word]
    assert len(found) > nth, f"{word!r} is not a token of {text!r}: {tokens(text)}"
    return found[nth]


# ---- keywords against the grammar ------------------------------------------------------


def test_grammar_keywords_are_read_from_the_grammar() -> None:
    text = GRAMMAR.read_text(encoding="utf-8")
    words = grammar_keywords(text)
    assert words == lark_keywords(text)
    assert {"scheme", "levels", "half-up", "是", "否", "at", "most", "each", "of"} <= words
    assert not {"STRING", "NAME", "expr", "stars_"} & words


def test_lexer_keywords_are_the_grammars_keywords() -> None:
    words = grammar_keywords(GRAMMAR.read_text(encoding="utf-8"))
    assert sorted(words - KEYWORDS) == [], "keywords of star.lark missing from starrules/highlight.py"
    assert sorted(KEYWORDS - words) == [], "keywords of starrules/highlight.py no longer in star.lark"


@pytest.mark.parametrize("word", sorted(grammar_keywords(GRAMMAR.read_text(encoding="utf-8"))))
def test_every_grammar_keyword_is_a_keyword_token(word: str) -> None:
    assert tokens(word) == [(tokens(word)[0][0], word)], "a keyword is one token"
    assert tokens(word)[0][0] in Keyword
    # and still one keyword token between names, and next to full-width punctuation
    assert type_of(f"甲 {word} 乙", word) in Keyword
    assert type_of(f"（{word}，", word) in Keyword


def test_hyphenated_keywords_accept_a_full_width_hyphen() -> None:
    # the parser reads － as -, so half－up is half-up
    assert tokens("round half－up") == [(Keyword, "round"), (Keyword.Pseudo, "half－up")]


def test_keywords_are_whole_words() -> None:
    assert tokens("是否合格") == [(Name, "是否合格")]
    assert tokens("levels2 inputs 否决") == [(Name, "levels2"), (Name, "inputs"), (Name, "否决")]
    assert tokens("level-1") == [(Keyword, "level"), (Operator, "-"), (Number.Integer, "1")]


# ---- classes of tokens -----------------------------------------------------------------

SAMPLE = """\
# 示例方案：注释到行尾 "不是文本"
scheme "示例" version "2024" in force 2021..
levels stars 0..3 { 0: "不定星级", 3: “三星级” }
input 支部名称 : id
input 得分 : score 0..100 step 0.5 default 0
input 满意率：percent
input 表彰 : set of {市级, 省级}
input 合格 : bool default 是
score 合计 = sum(得分, 1.5) + max(0, 得分 - 10)
total 总分 ＝ 合计 －（5 when 满意率 ＜ 60％）
band 总分 ｛ 3：［90，..）  2: [75, 90)  1: 【60, 75) 0: else ｝
cap "不按期换届" at most 2 when not 合格
flag "整顿" when level <= 1 and 满意率 != 12.5%
quota "五星" { level 3 at most 10% round half-up rank by 总分 desc then 支部名称 asc flag "超额" cap at most 2 }
"""


def test_sample_token_classes() -> None:
    got = tokens(SAMPLE)
    assert all(t not in Error for t, _ in got), [v for t, v in got if t in Error]
    assert got[0] == (Comment.Single, '# 示例方案：注释到行尾 "不是文本"')
    # statements, and the names they declare
    for word in ("scheme", "levels", "input", "total", "band", "cap", "flag", "quota"):
        assert type_of(SAMPLE, word) is Keyword.Declaration, word
    assert type_of(SAMPLE, "score", 1) is Keyword.Declaration  # score 合计 = ...
    assert type_of(SAMPLE, "支部名称") is Name.Variable
    assert type_of(SAMPLE, "合计") is Name.Variable
    assert type_of(SAMPLE, "合计", 1) is Name  # a use, not the declaration
    assert type_of(SAMPLE, "总分", 1) is Name  # band 总分: a reference
    # clauses, types, constants, options
    for word in ("version", "in", "force", "stars", "step", "default", "of", "when", "at", "most", "not", "and", "else"):
        assert type_of(SAMPLE, word) is Keyword, word
    for word in ("id", "score", "percent", "set", "bool"):
        assert type_of(SAMPLE, word) is Keyword.Type, word  # the first score is a type
    assert type_of(SAMPLE, "是") is Keyword.Constant
    for word in ("half-up", "desc", "asc"):
        assert type_of(SAMPLE, word) is Keyword.Pseudo, word
    # inside the quota's braces, level, flag and cap are clauses; outside, level is a value
    quota = SAMPLE[SAMPLE.index("quota") :]
    for word in ("level", "flag", "cap"):
        assert type_of(quota, word) is Keyword, word
    assert type_of(SAMPLE, "level") is Keyword
    # literals
    assert type_of(SAMPLE, '"示例"') is String.Double
    assert type_of(SAMPLE, "“三星级”") is String.Double
    assert type_of(SAMPLE, "0.5") is Number.Float
    assert type_of(SAMPLE, "100") is Number.Integer
    assert type_of(SAMPLE, "60％") is Number.Percent
    assert type_of(SAMPLE, "12.5%") is Number.Percent
    assert type_of(SAMPLE, "10%") is Number.Percent
    # names, Chinese and called
    assert type_of(SAMPLE, "满意率", 1) is Name
    assert type_of(SAMPLE, "市级") is Name
    assert type_of(SAMPLE, "sum") is Name.Builtin
    assert type_of(SAMPLE, "max") is Name.Builtin
    # operators and punctuation, ASCII and full-width
    for op in ("..", "=", "＝", "+", "-", "－", "＜", "<=", "!="):
        assert type_of(SAMPLE, op) is Operator, op
    for p in (":", "：", ",", "，", "(", "（", ")", "）", "[", "［", "【", "{", "}", "｛", "｝"):
        assert type_of(SAMPLE, p) is Punctuation, p


def test_ranges_are_not_decimals() -> None:
    assert tokens("0..10") == [(Number.Integer, "0"), (Operator, ".."), (Number.Integer, "10")]
    assert tokens("0.5..1.5") == [(Number.Float, "0.5"), (Operator, ".."), (Number.Float, "1.5")]
    assert tokens("(.., 50)")[1] == (Operator, "..")


def test_strings() -> None:
    # no escapes and no line breaks, as in the grammar; # inside a text is not a comment
    assert tokens('"加分#1：（市级）"') == [(String.Double, '"加分#1：（市级）"')]
    assert tokens("“他说‘好’”") == [(String.Double, "“他说‘好’”")]
    assert tokens('"引用“原文”"') == [(String.Double, '"引用“原文”"')]
    # an unclosed text is an error at its quote
    assert tokens('"未闭合\n')[0] == (Error, '"')
    # the parser ends a curly text at ” only, and a " inside it would end it early
    assert tokens('“混用"引号”')[0] == (Error, "“")


def test_calls_and_the_all_keyword() -> None:
    # all is a keyword in `over all`, a function in all(...)
    assert type_of('quota "q" { over all }', "all") is Keyword
    assert type_of("score 全部 = all(甲, 乙)", "all") is Name.Builtin
    assert type_of("score 全部 = all （甲）", "all") is Name.Builtin
    assert type_of("score 平均 = avg(甲, 乙)", "avg") is Name.Function
    assert type_of('flag "x" when (甲)', "when") is Keyword


def test_characters_outside_the_language_are_errors() -> None:
    # 、 。 ； 《 are not read as ASCII (docs/language.md, section 14)
    for ch in ("、", "。", "；", "《", "!", "？", "%"):
        assert (Error, ch) in tokens(f"甲 {ch} 乙"), ch


def test_an_unclosed_brace_ends_at_the_next_statement() -> None:
    text = 'bonus 加分 {\n  "a": 1\ninput 乙 : count\nflag "x" when 乙 > 1\n'
    assert type_of(text, "input") is Keyword.Declaration
    assert type_of(text, "乙") is Name.Variable
    assert type_of(text, "flag") is Keyword.Declaration  # back at the top level


def test_examples_blocks() -> None:
    text = 'example "e" {\n  given { 甲: 1, 乙: {市级} }\n  period 2022\n  expect 得分 = 94, level = 5, flags = ["授牌表彰"]\n}\n'
    assert type_of(text, "example") is Keyword.Declaration
    for word in ("given", "period", "expect", "level"):
        assert type_of(text, word) is Keyword, word
    assert type_of(text, '"授牌表彰"') is String.Double
    assert all(t not in Error for t, _ in tokens(text))


# ---- the real schemes --------------------------------------------------------------------


def test_there_are_schemes() -> None:
    assert len(SCHEMES) >= 10


@pytest.mark.parametrize("path", SCHEMES, ids=[p.name for p in SCHEMES])
def test_no_error_tokens_in_a_real_scheme(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    got = tokens(text)
    errors = [v for t, v in got if t in Error]
    assert errors == [], f"{path.name}: {errors}"
    kinds = {t for t, _ in got}
    assert {Comment.Single, String.Double, Keyword.Declaration, Name} <= kinds
    assert any(t in Number for t in kinds)
    # every word the lexer calls a keyword is a keyword of the grammar
    assert {v.replace("－", "-") for t, v in got if t in Keyword} <= KEYWORDS


def test_anyang_tokens() -> None:
    text = (ROOT / "schemes" / "anyang.star").read_text(encoding="utf-8")
    got = tokens(text)
    assert got[0][0] is Comment.Single and got[0][1].startswith("# 安阳市直机关")
    code = [(t, v) for t, v in got if t not in Comment]
    assert code[:2] == [(Keyword.Declaration, "scheme"), (String.Double, '"安阳市直机关基层服务型党组织星级评定"')]
    assert type_of(text, "stars") is Keyword
    assert type_of(text, '"不定星级"') is String.Double
    assert type_of(text, "组织健全") is Name.Variable
    assert type_of(text, "0.1") is Number.Float
    assert type_of(text, "60%") is Number.Percent
    assert type_of(text, "each") is Keyword
    assert type_of(text, "highest") is Keyword
    assert type_of(text, "sum") is Name.Builtin
    assert type_of(text, "demote") is Keyword.Declaration
    assert type_of(text, "floor") is Keyword.Pseudo
    assert type_of(text, "市级") is Name
    assert (Operator, ">=") in got and (Operator, "!=") in got


def test_doc_examples_have_no_errors() -> None:
    """The ```star blocks of the documentation that load cleanly lex cleanly."""
    blocks = []
    for md in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        blocks += re.findall(r"^```star\n(.*?)^```", md.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    assert len(blocks) > 10
    for block in blocks:
        assert [v for t, v in tokens(block) if t in Error] == [], block


# ---- registration ------------------------------------------------------------------------


def test_lexer_class() -> None:
    assert StarLexer.name == "Star"
    assert StarLexer.aliases == ["star", "starrules"]
    assert StarLexer.filenames == ["*.star"]
    assert StarLexer.analyse_text((ROOT / "schemes" / "anyang.star").read_text(encoding="utf-8")) > 0.5
    assert StarLexer.analyse_text("def f():\n    return 1\n") == 0.0


def test_found_by_pygments_when_the_entry_point_is_installed() -> None:
    installed = [ep for ep in importlib.metadata.entry_points(group="pygments.lexers") if ep.name == "star"]
    if installed:
        assert installed[0].value == "starrules.highlight:StarLexer"
        assert isinstance(get_lexer_by_name("star"), StarLexer)
        assert isinstance(get_lexer_by_name("starrules"), StarLexer)
        assert isinstance(get_lexer_for_filename("x.star"), StarLexer)
    else:
        # not installed yet (pyproject without the entry point, or not reinstalled):
        # the class itself is what the entry point will name
        assert installed == []
        assert highlight.StarLexer is StarLexer
        assert "*.star" in StarLexer.filenames and "star" in StarLexer.aliases


def test_starrules_does_not_import_pygments() -> None:
    init = (ROOT / "starrules" / "__init__.py").read_text(encoding="utf-8")
    assert "highlight" not in init and "pygments" not in init
    for path in (ROOT / "starrules").glob("*.py"):
        if path.name != "highlight.py":
            source = path.read_text(encoding="utf-8")
            assert not re.search(r"^\s*(from|import)\s+(pygments|starrules\.highlight)", source, re.M), path
