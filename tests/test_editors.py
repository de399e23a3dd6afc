"""The VS Code extension of editors/vscode: its JSON files, and its TextMate grammar run
over the real schemes by a small TextMate engine, class for class against the Pygments
lexer of starrules.highlight."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
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
from test_highlight import GRAMMAR, SAMPLE, grammar_keywords

from starrules.highlight import StarLexer

ROOT = Path(__file__).resolve().parent.parent
VSCODE = ROOT / "editors" / "vscode"
TM_PATH = VSCODE / "syntaxes" / "star.tmLanguage.json"
SCHEMES = sorted((ROOT / "schemes").glob("*.star"))

Json = dict[str, Any]


def load(path: Path) -> Json:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def tm_grammar() -> Json:
    return load(TM_PATH)


# ---- the JSON files ------------------------------------------------------------------


def test_json_files_parse() -> None:
    for name in ("package.json", "language-configuration.json", "syntaxes/star.tmLanguage.json"):
        assert load(VSCODE / name), name


def test_package_contributes_the_star_language() -> None:
    package = load(VSCODE / "package.json")
    assert package["engines"]["vscode"]
    (language,) = package["contributes"]["languages"]
    assert language["id"] == "star"
    assert language["extensions"] == [".star"]
    assert (VSCODE / language["configuration"]).is_file()
    (grammar,) = package["contributes"]["grammars"]
    assert grammar["language"] == "star"
    assert grammar["scopeName"] == "source.star" == tm_grammar()["scopeName"]
    assert (VSCODE / grammar["path"]).resolve() == TM_PATH.resolve()


def test_language_configuration() -> None:
    config = load(VSCODE / "language-configuration.json")
    assert config["comments"] == {"lineComment": "#"}
    brackets = {tuple(pair) for pair in config["brackets"]}
    assert {("{", "}"), ("[", "]"), ("(", ")"), ("｛", "｝"), ("［", "］"), ("（", "）")} <= brackets
    closing = {pair["open"]: pair["close"] for pair in config["autoClosingPairs"]}
    assert closing['"'] == '"' and closing["“"] == "”"
    assert all(closing[a] == b for a, b in brackets)
    words = re.compile(config["wordPattern"])
    assert [m.group() for m in words.finditer("input 满意率：percent ＜ 60％，half")] == [
        "input",
        "满意率",
        "percent",
        "60％",
        "half",
    ]


# ---- the TextMate grammar --------------------------------------------------------------

# Oniguruma syntax that Python's re does not read: such a regex is not run here.
ONIGURUMA_ONLY = re.compile(r"\\[GhHKRXyY]|\\[pP]\{|\(\?~|\(\?<[A-Za-z]|\\g<|\[\[:|\(\?[imx]*-?[imx]*\)")


def regexes(node: Any, path: str = "") -> list[tuple[str, str]]:
    """(where, regex) of every match, begin, end and while of a grammar."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end", "while") and isinstance(value, str):
                out.append((f"{path}/{key}", value))
            else:
                out += regexes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += regexes(value, f"{path}/{i}")
    return out


def test_scope_name() -> None:
    assert tm_grammar()["scopeName"] == "source.star"
    assert tm_grammar()["fileTypes"] == ["star"]


def test_includes_resolve() -> None:
    repository = tm_grammar()["repository"]
    includes = re.findall(r'"include": "([^"]*)"', TM_PATH.read_text(encoding="utf-8"))
    assert includes
    for target in includes:
        assert target == "$self" or target.lstrip("#") in repository, target


def test_regexes_compile_and_run_over_the_schemes() -> None:
    found = regexes(tm_grammar())
    compatible = [(where, rx) for where, rx in found if not ONIGURUMA_ONLY.search(rx)]
    assert len(compatible) >= 20
    texts = [p.read_text(encoding="utf-8") for p in SCHEMES]
    for where, rx in compatible:
        try:
            compiled = re.compile(rx)
        except re.error as e:  # pragma: no cover - the message is the point
            pytest.fail(f"{where}: {rx!r}: {e}")
        for text in texts:
            for line in text.splitlines():
                for m in compiled.finditer(line + "\n"):
                    assert m.end() >= m.start()


def keyword_patterns() -> list[re.Pattern[str]]:
    return [re.compile(p["match"]) for p in tm_grammar()["repository"]["keywords"]["patterns"]]


@pytest.mark.parametrize("word", sorted(grammar_keywords(GRAMMAR.read_text(encoding="utf-8"))))
def test_keyword_regex_covers_every_grammar_keyword(word: str) -> None:
    assert any(p.fullmatch(word) for p in keyword_patterns()), word
    # a keyword, not the start of a longer name
    assert not any(p.match(word + "甲") for p in keyword_patterns()), word


def test_keyword_regex_names_only_grammar_keywords() -> None:
    keywords = grammar_keywords(GRAMMAR.read_text(encoding="utf-8"))
    words: set[str] = set()
    for p in keyword_patterns():
        alternatives = re.fullmatch(r"\(\?:(.*)\)\(\?!\\w\)", p.pattern)
        assert alternatives, p.pattern
        words |= {w.replace("[-－]", "-") for w in alternatives.group(1).split("|")}
    assert words == keywords


# ---- a small TextMate engine ------------------------------------------------------------
# Enough of vscode-textmate for this grammar: match and begin/end rules, captures,
# includes of the repository, lines scanned one at a time with "\n" at the end; at each
# position the rule whose match starts first wins, ties go to the end of the enclosing
# begin/end rule and then to the order of the patterns.


@dataclass
class Frame:
    patterns: list[Json]
    end: re.Pattern[str] | None = None
    end_captures: Json = field(default_factory=dict)
    scopes: tuple[str, ...] = ()


def expand(patterns: list[Json]) -> list[Json]:
    out: list[Json] = []
    for p in patterns:
        if "include" in p:
            target = p["include"]
            if target == "$self":
                out += expand(tm_grammar()["patterns"])
            else:
                entry = tm_grammar()["repository"][target.lstrip("#")]
                out += expand(entry["patterns"]) if "patterns" in entry and "begin" not in entry else [entry]
        else:
            out.append(p)
    return out


def _paint(out: list[list[str]], offset: int, limit: int, m: re.Match[str], name: str | None, captures: Json) -> None:
    """Add the scopes of a match to the characters it covers (before ``limit``)."""
    for i in range(m.start(), min(m.end(), limit)):
        if name:
            out[offset + i].append(name)
    for group, spec in captures.items():
        g = int(group)
        if m.group(g) is not None:
            for i in range(m.start(g), min(m.end(g), limit)):
                out[offset + i].append(spec["name"])


def tm_scopes(text: str) -> list[list[str]]:
    """The scopes of every character of text, outermost first."""
    out: list[list[str]] = [[] for _ in text]
    stack = [Frame(tm_grammar()["patterns"])]
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line if line.endswith("\n") else line + "\n"
        pos = 0
        while pos < len(body):
            frame = stack[-1]
            best: tuple[int, int, Json | None, re.Match[str]] | None = None
            if frame.end is not None and (m := frame.end.search(body, pos)):
                best = (m.start(), -1, None, m)
            for order, rule in enumerate(expand(frame.patterns)):
                m = re.compile(rule.get("match") or rule["begin"]).search(body, pos)
                if m and (best is None or (m.start(), order) < best[:2]):
                    best = (m.start(), order, rule, m)
            if best is None:
                break
            _, _, rule, m = best
            for i in range(m.start(), min(m.end(), len(line))):
                out[offset + i] += list(frame.scopes)
            if rule is None:  # the end of a begin/end rule
                _paint(out, offset, len(line), m, None, frame.end_captures)
                stack.pop()
            elif "match" in rule:
                _paint(out, offset, len(line), m, rule.get("name"), rule.get("captures", {}))
            else:
                _paint(out, offset, len(line), m, rule.get("name"), rule.get("beginCaptures", {}))
                scopes = frame.scopes + ((rule["name"],) if "name" in rule else ())
                stack.append(Frame(rule.get("patterns", []), re.compile(rule["end"]), rule.get("endCaptures", {}), scopes))
            assert m.end() > pos or rule is None, f"no progress at {line!r}:{pos}"
            pos = m.end()
        offset += len(line)
    return out


# The scope the TextMate grammar gives for each class of the Pygments lexer.
SCOPES: dict[_TokenType, str] = {
    Comment.Single: "comment.line.number-sign.star",
    String.Double: "string.quoted.double.star",
    Number.Percent: "constant.numeric.percent.star",
    Number.Float: "constant.numeric.decimal.star",
    Number.Integer: "constant.numeric.integer.star",
    Keyword.Declaration: "keyword.control.declaration.star",
    Keyword.Type: "storage.type.star",
    Keyword.Constant: "constant.language.boolean.star",
    Keyword.Pseudo: "keyword.other.option.star",
    Keyword: "keyword.other.star",
    Name.Variable: "entity.name.variable.star",
    Name.Builtin: "support.function.builtin.star",
    Name.Function: "entity.name.function.star",
    Name: "variable.other.star",
    Operator: "keyword.operator.",  # .range, .comparison, .assignment, .arithmetic
    Punctuation: "punctuation.",  # .separator..., .section...
    Error: "invalid.illegal.star",
}


def disagreements(text: str) -> list[str]:
    """Where the TextMate grammar and the Pygments lexer classify a character apart."""
    scopes = tm_scopes(text)
    out = []
    for pos, ttype, value in StarLexer(stripnl=False).get_tokens_unprocessed(text):
        if ttype in Whitespace:
            continue
        want = SCOPES[ttype]
        for i in range(pos, pos + len(value)):
            got = [s for s in scopes[i] if not s.startswith("meta.")]
            innermost = got[-1] if got else ""
            ok = want in got if want.endswith(".star") else innermost.startswith(want)
            if not ok:
                line = text.count("\n", 0, i) + 1
                out.append(f"line {line}: {value!r} is {ttype} but {text[i]!r} has {got}")
                break
    return out


def test_engine_on_a_small_text() -> None:
    text = "input 得分 : score 0..100  # 注释\nband 得分 { 1: [60, ..) 0: else }\n"
    scopes = tm_scopes(text)
    assert scopes[0] == ["keyword.control.declaration.star"]
    assert scopes[text.index("得分")] == ["entity.name.variable.star"]
    assert scopes[text.index("score")] == ["storage.type.star"]
    assert scopes[text.index("#")] == ["comment.line.number-sign.star", "punctuation.definition.comment.star"]
    assert scopes[text.index("{")] == ["meta.block.star", "punctuation.section.block.begin.star"]
    assert scopes[text.index("else")] == ["meta.block.star", "keyword.other.star"]
    assert scopes[text.index("}")] == ["meta.block.star", "punctuation.section.block.end.star"]


def test_same_classes_as_the_lexer_on_the_sample() -> None:
    assert disagreements(SAMPLE) == []


def test_same_classes_as_the_lexer_with_an_unclosed_brace() -> None:
    text = 'bonus 加分 {\n  "a": 1 { 市级: 1\ninput 乙 : count\nflag "x" when 乙 > 1 or 是\n}'
    assert disagreements(text) == []
    assert tm_scopes(text)[text.index("flag")] == ["keyword.control.declaration.star"]


def test_same_classes_as_the_lexer_on_errors() -> None:
    assert disagreements('甲、乙。丙；"未闭合\n“混用"引号” ! % all（1） 是否 half－up') == []


@pytest.mark.parametrize("path", SCHEMES, ids=[p.name for p in SCHEMES])
def test_same_classes_as_the_lexer_on_a_real_scheme(path: Path) -> None:
    assert disagreements(path.read_text(encoding="utf-8")) == []
