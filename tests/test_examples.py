"""Examples inside schemes: `starrules test`, the pytest plugin, and their checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import starrules
from starrules.cli import main
from starrules.examples import run_examples

ROOT = Path(__file__).resolve().parent.parent

SMALL = """
scheme "例"
levels stars 0..2 { 0: "无星" }
input 名称 : id
input 分 : score 0..100 step 0.5
input 满意率 : percent
input 通报 : count default 0
penalty 扣分 { "通报（每次扣5分）": 5 each 通报 }
total 得分 = 分 - 扣分
band 得分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }
veto "满意率低于50%" when 满意率 < 50%
flag "整顿" when level == 0
"""


def test_the_bundled_examples_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(ROOT / "schemes" / "anyang.star")]) == 0
    assert capsys.readouterr().out.strip().endswith("4 passed, 0 failed")


def test_a_failing_example_shows_expected_actual_and_the_step() -> None:
    # 92 − 2 × 5 = 82: one star, not two; the failure names both and shows the steps
    text = SMALL + """
example "通报两次" {
  given { 名称: 甲, 分: 92, 满意率: 90%, 通报: 2 }
  expect 得分 = 87, level = 2, flags = []
}
"""
    scheme = starrules.loads(text, "例.star")
    (outcome,) = run_examples(scheme)
    assert not outcome.passed
    first, second = outcome.failures
    assert first.startswith("得分: expected 87, got 82")
    assert "[total] 得分 (line 9): 分 (92) - 扣分 10 = 82" in first
    assert second.startswith("level: expected 2星, got 1星")
    assert "[band] 得分 (line 10): 得分 82 is at least 60 and below 90: 1星" in second


def test_examples_of_invalid_and_vetoed_entities() -> None:
    text = SMALL.replace('veto "满意率', 'require "满意率有效": 满意率 > 0%\nveto "满意率') + """
example "满意率为零" { given { 名称: 乙, 分: 95, 满意率: 0% } expect status = invalid, reason = "满意率有效" }
example "否决" {
  given { 名称: 丙, 分: 95, 满意率: 40% }
  expect level = 0, reason = "满意率低于50%", flags = ["整顿"], 满意率 = 40%
}
"""
    # a rate of 0% fails the precondition: invalid, with the rule's name as the reason;
    # 95 is two stars by the band, and 40% < 50% vetoes it to 无星, flagged 整顿
    assert [o.passed for o in run_examples(starrules.loads(text))] == [True, True]
    # a value outside its declaration is refused when the scheme is checked
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads(text.replace("满意率: 0%", "满意率: 120%"))
    assert [d.code for d in info.value.diagnostics] == ["E301"]


def test_checker_reports_bad_examples() -> None:
    text = SMALL + """
example "错" {
  given { 名称: 丁, 分数: 80, 满意率: 90% }
  expect 得份 = 80, flags = ["正顿"], status = good
}
"""
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads(text)
    found = [(d.code, d.message, d.hint) for d in info.value.diagnostics]
    assert [c for c, _, _ in found] == ["E101", "E101", "E101", "E201"]
    hints = " ".join(h or "" for _, _, h in found)
    assert "did you mean '分'?" in hints and "did you mean '得分'?" in hints and "did you mean '整顿'?" in hints


def test_pytest_collects_examples_from_star_files(tmp_path: Path) -> None:
    good = tmp_path / "good.star"
    good.write_text(SMALL + '\nexample "二星" { given { 名称: 甲, 分: 95, 满意率: 90% } expect level = 2 }\n',
                    encoding="utf-8")
    bad = tmp_path / "bad.star"
    bad.write_text(SMALL + '\nexample "错的期望" { given { 名称: 甲, 分: 95, 满意率: 90% } expect level = 1 }\n',
                   encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, check=False)
    assert proc.returncode == 1, proc.stdout
    assert "1 failed, 1 passed" in proc.stdout
    assert "level: expected 1星, got 2星" in proc.stdout


def test_an_example_must_give_every_input_without_a_default() -> None:
    # 满意率 has no default and the example does not give it; 通报 has a default
    with pytest.raises(starrules.StarCheckError) as info:
        starrules.loads(SMALL + '\nexample "缺" { given { 名称: 甲, 分: 95 } expect level = 2 }\n')
    (d,) = info.value.diagnostics
    assert d.code == "E601" and "gives no value for '满意率'" in d.message
