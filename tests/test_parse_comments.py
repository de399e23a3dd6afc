"""The parser reads a scheme without its comments' text (for speed): the syntax tree,
and every position in it, must be what parsing the text with its comments gives."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import attrs
import pytest

import starrules
from starrules import nodes as n
from starrules import parser as p
from starrules.api import read_scheme_text

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = sorted(glob.glob(str(ROOT / "schemes" / "*.star")))


def spans(node: Any, out: list[Any]) -> list[Any]:
    if attrs.has(type(node)):
        for f in attrs.fields(type(node)):
            value = getattr(node, f.name)
            if f.name == "span":
                out.append(value)
            else:
                spans(value, out)
    elif isinstance(node, tuple):
        for item in node:
            spans(item, out)
    return out


def with_comments(text: str, name: str) -> n.SchemeFile:
    tree = p._ToAst().transform(p._lark().parse(p.normalise(text)))
    return n.SchemeFile(tuple(tree.children), source_name=name)


@pytest.mark.parametrize("path", SCHEMES, ids=[Path(x).name for x in SCHEMES])
def test_the_tree_and_its_positions_are_those_of_the_text_with_comments(path: str) -> None:
    text = read_scheme_text(path)
    assert "#" in text  # every bundled scheme cites its source in comments
    got, want = p.parse(text, path), with_comments(text, path)
    assert got == want
    assert spans(got, []) == spans(want, [])


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    text = '''scheme "第#1号方案"  # 注释：“引号”与#号
levels stars 0..1
input 得分 : score 0..10  # 满分10分
flag "#重点" when 得分 >= 9
band 得分 { 1: [6, ..)  0: (.., 6) }  # 6分以上一星
'''
    scheme = starrules.loads(text)
    assert scheme.title == "第#1号方案"
    assert scheme.evaluate({"得分": "9"}).flags == ("#重点",)
    assert p.normalise(text, drop_comments=True).splitlines()[0] == 'scheme "第#1号方案"  '
