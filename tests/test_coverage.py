"""docs/coverage.md: every row that says a rule is encoded points at the line that does.

Each row is `| 篇 | rule quoted from the source | schemes/x.star:N | `fragment` | note |`;
the fragment must stand on line N of that file, so the table cannot drift from the
schemes. Rows for rules that cannot be expressed say so in the third column.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COVERAGE = ROOT / "docs" / "coverage.md"
ROW = re.compile(r"^\|\s*(篇\S+?)\s*\|(.*?)\|\s*(.*?)\s*\|\s*(.*?)\s*\|(.*)\|\s*$")

# The plans of the source document that carry rating rules (see the seed digest).
SECTIONS_WITH_RULES = {"篇五", "篇七", "篇九", "篇十", "篇十一", "篇十二", "篇十三", "篇十四", "篇十五", "篇十六"}


def rows() -> list[tuple[int, str, str, str, str, str]]:
    out = []
    for number, line in enumerate(COVERAGE.read_text(encoding="utf-8").splitlines(), start=1):
        m = ROW.match(line)
        if m:
            section, rule, where, fragment, note = (g.strip() for g in m.groups())
            out.append((number, section, rule, where, fragment, note))
    return out


def encoded() -> list[tuple[int, str, str, str]]:
    return [(n, s, where, frag) for n, s, _, where, frag, _ in rows() if where.startswith("schemes/")]


def test_the_table_has_rows() -> None:
    assert len(rows()) >= 50


@pytest.mark.parametrize(("row", "section", "where", "fragment"), encoded(),
                         ids=[f"coverage.md:{r[0]}" for r in encoded()])
def test_each_row_points_at_the_line_that_encodes_it(row: int, section: str, where: str, fragment: str) -> None:
    path, _, line = where.partition(":")
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    assert line.isdigit() and 1 <= int(line) <= len(lines), f"row {row}: {where} is not a line of {path}"
    text = fragment.strip("`")
    assert text, f"row {row}: no fragment to find on {where}"
    assert text in lines[int(line) - 1], f"row {row}: `{text}` is not on {where}: {lines[int(line) - 1]!r}"


def test_rows_that_are_not_encoded_say_why() -> None:
    for number, _, _, where, _, note in rows():
        if not where.startswith("schemes/"):
            assert where in ("not expressed", "process"), f"row {number}: '{where}'"
            assert note, f"row {number}: a rule that is not encoded must say why"


def test_every_plan_with_rules_and_every_scheme_is_covered() -> None:
    sections = {s for _, s, *_ in rows()}
    assert SECTIONS_WITH_RULES <= sections
    schemes = {p.relative_to(ROOT).as_posix() for p in (ROOT / "schemes").glob("*.star")}
    cited = {where.partition(":")[0] for _, _, where, _ in encoded()}
    assert schemes <= cited, f"schemes with no row in docs/coverage.md: {sorted(schemes - cited)}"
