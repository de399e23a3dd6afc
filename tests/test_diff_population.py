"""``diff`` of two versions whose difference is a population rule (a quota's share), on
data and on generated populations; rows numbered as ``run`` numbers them; no ``line 0``.

Expected values are worked out by hand from the scheme below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import starrules
from starrules.cli import main
from starrules.diffing import POPULATION_SIZE, diff, render_differences

VERSION = """\
scheme "名额" version "{version}"
levels stars 0..5
input 名称 : id
input 单位 : group
input 分数 : score 0..100 step 0.1
total 得分 = 分数
band 得分 {{ 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  1: [50, 60)  0: (.., 50) }}
quota "五星级不超过" {{
  level 5 at most {share}%  round floor  rank by 得分 desc then 名称 asc
}}
"""
OLD = starrules.loads(VERSION.format(version="1", share=10), "old.star")
NEW = starrules.loads(VERSION.format(version="2", share=20), "new.star")

# Ten branches. Five score 90 or more: 支部00 95, 支部01 93, 支部02 91, 支部03 92, 支部04 96.
# 10% of 10, rounded down, is 1 place: only 支部04 (96) keeps five stars.
# 20% of 10 is 2 places: 支部04 (96) and 支部00 (95). So 支部00 alone changes: four stars
# (moved by the quota) in the old version, five in the new. It is the first data row: line 2.
DATA = "名称,单位,分数\n" + "".join(
    f"支部{i:02d},{'甲乙'[i % 2]},{s}\n" for i, s in enumerate([95, 93, 91, 92, 96, 85, 75, 65, 55, 45]))


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    old, new, data = tmp_path / "old.star", tmp_path / "new.star", tmp_path / "data.csv"
    old.write_text(VERSION.format(version="1", share=10), encoding="utf-8")
    new.write_text(VERSION.format(version="2", share=20), encoding="utf-8")
    data.write_text(DATA, encoding="utf-8")
    return old, new, data


def test_diff_on_data_numbers_rows_as_run_does_and_says_what_the_population_did(
        files: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    old, new, data = files
    assert main(["diff", str(old), str(new), str(data)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("1 difference\n\nrow 2 '支部00': level, reason changed\n")
    assert "  old: rated 4星 (五星级不超过), total 95\n  new: rated 5星, total 95\n" in out  # the levels by name
    assert "line 0" not in out
    # the quota as each version applied it: 10% of 10 is 1 place, 20% is 2; five were five stars
    assert ("  the population's quotas and selections:\n"
            "    old: 五星级不超过 [all]: 5星 at most 10% of 10 = 1; before 5, after 1\n"
            "    new: 五星级不超过 [all]: 5星 at most 20% of 10 = 2; before 5, after 2\n") in out
    # the old version's quota moved it, and the population's part is said in words
    assert "-[quota] ✔ 五星级不超过 (line 8): ranked 2nd of 5 at 5星 overall for 1 place" in out
    assert "-[population] 5星 on its own, 4星 in the population: the quotas and selections above decide it" in out
    # run numbers the same row 2
    assert main(["run", str(old), str(data)]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("2,支部00,甲,4,")


def test_diff_numbers_records_from_one_unless_told() -> None:
    # ten at 90..99, all five stars on their own: 10% of 10 is 1 place (支部09, 99), 20% is 2
    # (支部09 and 支部08, 98): 支部08, the 9th record, changes
    records = [{"名称": f"支部{i:02d}", "单位": "甲", "分数": str(90 + i)} for i in range(10)]
    (found,) = diff(OLD, NEW, records)
    assert (found.row, found.number, found.id) == (8, 9, "支部08")
    (told,) = diff(OLD, NEW, records, numbers=[10 * k for k in range(10)])
    assert told.number == 80
    assert render_differences([told], traces=False).splitlines()[2] == "row 80 '支部08': level, reason changed"


def test_diff_without_data_rates_generated_populations() -> None:
    # Alone, every entity is rated alike by the two versions (they differ in a quota only):
    # a difference shows only in a population. In a generated population of 300, 10% is
    # 30 places and 20% is 60: entities ranked 31st to 60th at five stars keep five stars
    # under the new version only.
    found = diff(OLD, NEW, examples=30)
    assert found, "a change of a quota's share must show without data"
    assert all(d.population == POPULATION_SIZE and d.generated for d in found)
    four_to_five = [d for d in found if (d.old.level, d.new.level) == (4, 5)]
    assert len(four_to_five) == 1
    (d,) = four_to_five
    assert OLD.evaluate(d.record).level == NEW.evaluate(d.record).level == 5  # alone, both five stars
    assert d.affected is not None and 1 <= d.affected <= 30  # at most the 30 more places
    # the quota as each version applied it: the same count before; after, 30 in the old version
    # (it moved some, so more than 30 were five stars), as many as 60 in the new
    old_line, new_line = d.quotas
    assert old_line.startswith("old: 五星级不超过 [all]: 5星 at most 10% of 300 = 30; before ")
    assert new_line.startswith("new: 五星级不超过 [all]: 5星 at most 20% of 300 = 60; before ")
    before = int(old_line.split("before ")[1].split(",")[0])
    assert before > 30 and old_line.endswith(", after 30")
    assert new_line == f"new: 五星级不超过 [all]: 5星 at most 20% of 300 = 60; before {before}, after {min(before, 60)}"
    text = render_differences(found)
    assert "generated record, in a generated population of 300" in text
    assert "line 0" not in text
    assert diff(OLD, NEW, examples=30) == found  # seeded: the same report every time


def test_the_same_quota_gives_no_population_difference() -> None:
    same = starrules.loads(VERSION.format(version="3", share=10), "same.star")
    assert diff(OLD, same, examples=30) == []
