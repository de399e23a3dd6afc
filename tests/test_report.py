"""The HTML report (`starrules report`, starrules.report.render_report).

Two kinds of test:

* the HTML itself, parsed with BeautifulSoup: structure, escaping, and counts worked out
  by hand from a small population (SMALL below, every level counted in its comment) and
  from schemes/examples/anyang.csv;
* the page in headless Chromium (Debian's ``chromium`` package, which ``.ci/run``
  installs): the rendered DOM has the SVG charts and an entity's explanation, the page
  prints on A4, and a screenshot is kept in build/artefacts/report.png.

Where they run: under CI (``CI=true``, where ``.ci/run`` installs Chromium) they are
required, and FAIL without a browser, saying how to install it. Elsewhere they run when a
Chromium is found (``STARRULES_CHROMIUM``, else ``chromium``, ``chromium-browser`` or
``google-chrome`` on the PATH, else /usr/bin/chromium), and are otherwise reported as not
run, with the reason, in the test summary (pytest runs with ``-rs``), so ``make test``
passes on a fresh machine without a browser. STARRULES_NO_BROWSER=1 skips them on purpose.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import struct
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from latin_scan import latin_words, source_words, words

import starrules
from starrules import cli
from starrules.data import read_rows
from starrules.i18n import using
from starrules.population import Rating, explain_outcome
from starrules.report import render_report

ROOT = Path(__file__).resolve().parents[1]
ANYANG = ROOT / "schemes" / "anyang.star"
ANYANG_CSV = ROOT / "schemes" / "examples" / "anyang.csv"
ARTEFACTS = ROOT / "build" / "artefacts"

# A small scheme: 90+ is three stars, 75+ two, 60+ one, below 60 none; at most one
# three-star entity over all (the better total keeps it, then the name); level 1 or
# below is flagged 整顿; 参评 = 否 makes an entity ineligible. The title and version hold
# markup that must come out as text.
SMALL = '''scheme "小测<试>" version "1<u>"
levels stars 0..3 { 0: "无星", 1: "一星", 2: "二星", 3: "三星" }
input 名称 : id
input 单位 : group
input 分数 : score 0..100 step 1
input 参评 : bool default 是
disqualify "不参评" when not 参评
total 得分 = 分数
band 得分 { 3: [90, ..)  2: [75, 90)  1: [60, 75)  0: (.., 60) }
flag "整顿" when level <= 1
quota "三星不超过1名" {
  level 3 at most 1
  over all
  rank by 得分 desc then 名称 asc
}
'''
SCRIPT = "<script>alert(1)</script>"
# Worked out by hand from the bands above:
#   A 甲 95 → 三星 (keeps it: the best total)     B 甲 92 → 三星, moved to 二星 by the quota
#   C 乙 80 → 二星                                D 乙 70 → 一星, 整顿
#   E 乙 50 → 无星, 整顿                          <script> 甲 65 → 一星, 整顿
#   F 乙 120 → invalid (above the score's 100)    G 甲 88, 参评 否 → ineligible (不参评)
# Rows in 8 = rated 6 + ineligible 1 + invalid 1. Final levels: 三星 1 (A), 二星 2 (B, C),
# 一星 2 (D, <script>), 无星 1 (E); before the quota 三星 had 2 (A, B).
SMALL_ROWS: list[dict[str, object]] = [
    {"名称": "A", "单位": "甲", "分数": "95"},
    {"名称": "B", "单位": "甲", "分数": "92"},
    {"名称": "C", "单位": "乙", "分数": "80"},
    {"名称": "D", "单位": "乙", "分数": "70"},
    {"名称": "E", "单位": "乙", "分数": "50"},
    {"名称": SCRIPT, "单位": "甲", "分数": "65"},
    {"名称": "F", "单位": "乙", "分数": "120"},
    {"名称": "G", "单位": "甲", "分数": "88", "参评": "否"},
]


@pytest.fixture(autouse=True)
def chinese(request: pytest.FixtureRequest) -> Any:
    """The report in Chinese, its default language; the command-line tests keep the
    tests' own English (STARRULES_LANG=en)."""
    if "cli" in request.node.name:
        yield
        return
    with using("zh"):
        yield


@pytest.fixture(scope="module")
def small() -> tuple[starrules.Scheme, Rating, str, BeautifulSoup]:
    with using("zh"):
        scheme = starrules.loads(SMALL, "小测.star")
        rating = scheme.rate(SMALL_ROWS, trace=True)
        page = render_report(scheme, rating, data_name="小测.csv", period=2024, inputs=[("备注", "<i>x</i>")])
    return scheme, rating, page, BeautifulSoup(page, "html.parser")


def _bars(figure: Tag) -> dict[str, int]:
    """A chart's rows: label -> the count drawn."""
    return {g.find("text").get_text(): int(g["data-count"]) for g in figure.select("g.bar")}


def _text(node: Tag) -> str:
    return re.sub(r"\s+", " ", node.get_text(" "))


# ---- the page as a whole -------------------------------------------------------------


def test_page_is_utf8_chinese_and_self_contained(small: Any) -> None:
    _, _, page, soup = small
    assert page.startswith("<!DOCTYPE html>")
    assert soup.html["lang"] == "zh-CN"
    assert soup.find("meta", charset=True)["charset"] == "utf-8"
    assert "WenQuanYi Micro Hei" in soup.style.get_text() and "Noto Sans CJK SC" in soup.style.get_text()
    # nothing to fetch: no URL, no src, links only within the page, no script at all
    assert "http://" not in page and "https://" not in page
    assert not soup.find_all(src=True)
    assert all(a["href"].startswith("#") for a in soup.find_all(href=True))
    assert not soup.find_all("script") and not soup.find_all("link")
    # printable: an A4 page rule, and nothing folded away (a <details> would not print)
    assert "@page { size: A4" in page and "@media print" in page
    assert not soup.find_all("details")


def test_what_it_was_made_from(small: Any) -> None:
    scheme, _, _, soup = small
    meta = {tr.th.get_text(): tr.td.get_text() for tr in soup.select("table.meta tr")}
    assert meta["方案"] == "小测<试>"
    assert meta["版本"] == "1<u>"
    assert meta["年度"] == "2024"
    assert meta["方案文件"] == "小测.star"
    assert meta["方案 SHA-256"] == hashlib.sha256(SMALL.encode("utf-8")).hexdigest() == scheme.sha256
    assert meta["数据"] == "小测.csv"
    assert meta["备注"] == "<i>x</i>"  # an extra input, escaped: shown as text
    assert meta["生成工具"] == f"starrules {starrules.__version__}"


def test_nothing_lost_count(small: Any) -> None:
    _, _, _, soup = small
    # 8 rows in = 6 rated + 1 ineligible (G) + 1 invalid (F), by hand above
    line = _text(soup.find(id="counts"))
    assert "数据行 8 = 已评定 6 + 不参评 1 + 无效 1 ✔" in line


def test_escaping_makes_markup_harmless(small: Any) -> None:
    _, _, page, soup = small
    assert SCRIPT not in page and "<u>" not in page and "<i>x</i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not soup.find_all(["script", "u", "i"])
    assert soup.title.get_text() == "小测<试> · 评定结果"
    # the name is shown as text wherever the entity appears: results, flags, explanation
    assert SCRIPT in _text(soup.find(id="results"))
    assert SCRIPT in _text(soup.find(id="flags"))
    assert soup.find(id="e-5").h3.get_text().startswith(SCRIPT)


# ---- the charts ----------------------------------------------------------------------


def test_overall_chart_counts_and_quota_mark(small: Any) -> None:
    _, _, _, soup = small
    overall = soup.select_one("figure.overall")
    assert overall.svg is not None and "chart" in overall.svg["class"]
    # final levels by hand: 三星 1, 二星 2, 一星 2, 无星 1 (top level first)
    assert list(_bars(overall).items()) == [("三星", 1), ("二星", 2), ("一星", 2), ("无星", 1)]
    three = overall.select("g.bar")[0]
    # the quota's target (at most 1), met: a mark on the 三星 bar; before it, 2 (A and B)
    assert len(three.select("line.target.ok")) == 1
    assert len(three.select("rect.before")) == 1
    assert three.select("text")[-1].get_text() == "1（原 2）  目标 ≤1✔"
    assert not overall.select("g.bar")[2].select("line.target, rect.before")  # 一星 untouched


def test_quota_table(small: Any) -> None:
    _, _, _, soup = small
    rows = soup.select("table.quotas tbody tr")
    assert len(rows) == 1
    cells = [td.get_text() for td in rows[0].find_all("td")]
    # at most 1 of 6 rated = 1; before 2 (A, B), after 1
    assert cells[1].startswith("三星不超过1名") and cells[4:7] == ["1", "2", "1"]
    assert cells[7] == "已满足"


def test_group_charts_and_table(small: Any) -> None:
    _, _, _, soup = small
    charts = soup.select("figure.group")
    assert [c.figcaption.get_text() for c in charts] == ["甲（3）", "乙（3）"]  # rated A, B, <script> / C, D, E
    assert _bars(charts[0]) == {"三星": 1, "二星": 1, "一星": 1, "无星": 0}
    assert _bars(charts[1]) == {"三星": 0, "二星": 1, "一星": 1, "无星": 1}
    # one shared scale: 甲's largest count is 2 (三星 before the quota), 乙's 1; both axes go to 2
    ticks = [[t.get_text() for t in c.svg.find_all("text", recursive=False)] for c in charts]
    assert ticks == [["0", "1", "2"], ["0", "1", "2"]]
    table = {tr.td.get_text(): [td.get_text() for td in tr.find_all("td")] for tr in soup.select("table.groups tbody tr")}
    # columns: group, rated, 三星 二星 一星 无星, ineligible, invalid, bar, quotas
    assert table["甲"][:8] == ["甲", "3", "1", "1", "1", "", "1", ""]  # G ineligible
    assert table["乙"][:8] == ["乙", "3", "", "1", "1", "1", "", "1"]  # F invalid
    assert table["甲"][-1] == "—"  # the quota is over all, not per group


def test_group_charts_are_capped(small: Any) -> None:
    scheme, rating, _, _ = small
    soup = BeautifulSoup(render_report(scheme, rating, group_charts=1), "html.parser")
    assert [c.figcaption.get_text() for c in soup.select("figure.group")] == ["甲（3）"]
    assert len(soup.select("table.groups tbody tr")) == 2  # the table still lists both groups
    assert "图中列出前 1 个分组，全部 2 个分组见下表" in _text(soup)


# ---- flags, moves, rows not rated, results ---------------------------------------------


def test_flagged_and_moved(small: Any) -> None:
    _, _, _, soup = small
    block = soup.select_one("div.flag-block")
    assert block.h3.get_text() == "整顿（3）"
    # listed by rank: D (70), <script> (65), E (50)
    assert [tr.find_all("td")[1].get_text() for tr in block.select("tbody tr")] == ["D", SCRIPT, "E"]
    moved = soup.select("table.moved tbody tr")
    assert len(moved) == 1
    cells = [td.get_text() for td in moved[0].find_all("td")]
    assert cells[:4] == ["B", "三星", "二星", "三星不超过1名"]
    assert "全体三星共 2 个，名额 1 个，排第 2 名" in cells[4] and "调整为二星" in cells[4]


def test_rows_not_rated_with_reasons(small: Any) -> None:
    _, _, _, soup = small
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in soup.select("table.not-rated tbody tr")]
    # row positions from 1 (no file line numbers given): F is the 7th, G the 8th
    assert rows[0][:3] == ["7", "F", "无效"] and "分数：'120' 无效" in rows[0][3]
    assert rows[1] == ["8", "G", "不参评", "不参评"]


def test_results_table_in_input_order(small: Any) -> None:
    _, _, _, soup = small
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in soup.select("table.results tbody tr")]
    assert [r[1] for r in rows] == ["A", "B", "C", "D", "E", SCRIPT, "F", "G"]
    # line, id, 单位, level, total, status, reason, flags, before quotas, rank
    assert rows[1] == ["2", "B", "甲", "二星", "92", "已评定", "三星不超过1名", "", "三星", "2"]
    assert rows[3][3:8] == ["一星", "70", "已评定", "", "整顿"]


def test_row_numbers_from_the_file(small: Any) -> None:
    scheme, rating, _, _ = small
    soup = BeautifulSoup(render_report(scheme, rating, row_numbers=range(2, 10)), "html.parser")
    assert soup.select("table.results tbody tr")[0].td.get_text() == "2"
    assert "数据第 9 行" in _text(soup.find(id="e-7"))
    with pytest.raises(ValueError, match="3 row numbers for 8 outcomes"):
        render_report(scheme, rating, row_numbers=[1, 2, 3])


# ---- explanations ----------------------------------------------------------------------


def test_explanation_of_each_row(small: Any) -> None:
    _, rating, _, soup = small
    sections = soup.select("section.entity")
    assert [s["id"] for s in sections] == [f"e-{i}" for i in range(8)]
    a = _text(soup.find(id="e-0"))
    # A: 分数 95 → 得分 95, at least 90 → 三星; the flag 整顿 (level <= 一星) does not apply and,
    # as in `starrules explain`, is not shown; the rank is shown, the scheme ranks by 得分
    assert "得分 95，不低于 90，定为三星" in a and "结果：三星" in a and "总分 95；排名第 1；标记：无" in a
    assert "整顿" not in a
    b = _text(soup.find(id="e-1"))
    assert "得分 92，不低于 90，定为三星" in b
    assert "三星不超过1名：全体三星共 2 个，名额 1 个，排第 2 名" in b and "结果：二星（三星不超过1名）" in b
    d = _text(soup.find(id="e-3"))
    assert "整顿：当前等级（一星） 不高于 一星：是" in d and "标记：整顿" in d  # the flag's condition, with the level
    f = _text(soup.find(id="e-6"))
    assert "分数：'120' 无效，应为从 0 到 100 的得分" in f and "结果：无效" in f
    g = _text(soup.find(id="e-7"))
    assert "不参评" in g and "结果：不参评" in g
    # no programmer notation, no line numbers: the words for people
    assert not re.search(r"line \d|\(line|\[none\]|==|→ no|\{\}", _text(soup.find(id="explanations")))
    # every row's page says what `starrules explain` says of it, line for line
    for o in rating.outcomes:
        if o.result is None:
            continue
        told = [_text(li).strip() for li in soup.find(id=f"e-{o.row}").select("ol.steps li, p.verdict, p.after")]
        assert told == [re.sub(r"\s+", " ", line).strip() for line in explain_outcome(o, o.result, True)]


def test_links_reach_explanations(small: Any) -> None:
    _, _, _, soup = small
    ids = {s["id"] for s in soup.select("section.entity")}
    targets = {a["href"][1:] for a in soup.find_all("a", href=True)}
    assert {t for t in targets if t.startswith("e-")} == ids


def test_needs_a_trace() -> None:
    scheme = starrules.loads(SMALL, "小测.star")
    with pytest.raises(ValueError, match="trace=True"):
        render_report(scheme, scheme.rate(SMALL_ROWS))


# ---- other kinds of scheme -------------------------------------------------------------

GRADES = '''scheme "等级示例" version "1"
levels grades 差 < 中 < 好
input 名称 : id
input 分数 : score 0..100
band 分数 { 好: [80, ..)  中: [60, 80)  差: (.., 60) }
'''


def test_grades_without_quotas_or_groups() -> None:
    scheme = starrules.loads(GRADES, "等级.star")
    # 85 → 好, 61 → 中, 60 → 中, 10 → 差; "x" is not a number: invalid
    rows = [{"名称": n, "分数": s} for n, s in [("甲", "85"), ("乙", "61"), ("丙", "60"), ("丁", "10"), ("戊", "x")]]
    soup = BeautifulSoup(render_report(scheme, scheme.rate(rows, trace=True)), "html.parser")
    assert list(_bars(soup.select_one("figure.overall")).items()) == [("好", 1), ("中", 2), ("差", 1)]
    assert "等级评定结果报告" in _text(soup.select_one("p.subtitle"))
    assert "本方案没有名额限制或排名选取规则" in _text(soup)
    assert "本方案没有标记" in _text(soup)
    assert not soup.select("figure.group") and not soup.select("table.quotas, table.groups")
    assert "数据行 5 = 已评定 4 + 不参评 0 + 无效 1 ✔" in _text(soup.find(id="counts"))
    # nothing is ranked by the scheme: no rank column, no rank in the explanations
    # (排名选取, "selection", is the name of a kind of rule, named in the headings)
    assert "排名" not in _text(soup).replace("排名选取", "")


def test_range_quota_gets_its_own_row() -> None:
    # 一星级以下 (level <= 1) is a range: drawn as a row of its own, under the levels
    scheme = starrules.load(ANYANG)
    _, rows = _anyang_rows()
    soup = BeautifulSoup(render_report(scheme, scheme.rate(rows, trace=True)), "html.parser")
    bars = _bars(soup.select_one("figure.overall"))
    # one-star and below after the quotas: the 9 branches the golden test lists at 一星级 or
    # 不定星级 (4 + 5); the 五星级 quota moves nobody there
    assert bars["一星级及以下"] == 9 == bars["一星级"] + bars["不定星级"]


def test_quota_per_group_marks_the_group_charts() -> None:
    # kaifaqu.star: four 'about' quotas per 领域 (an input that is not a group input)
    scheme = starrules.load(ROOT / "schemes" / "kaifaqu.star")
    rows = [r.values for r in read_rows(ROOT / "schemes" / "examples" / "kaifaqu.csv")[1]]
    soup = BeautifulSoup(render_report(scheme, scheme.rate(rows, trace=True)), "html.parser")
    captions = [c.figcaption.get_text() for c in soup.select("figure.group")]
    assert [c.split("（")[0] for c in captions] == ["农村", "机关单位", "非公企业"]
    # 'about' targets: marked as targets only (neither met nor unmet), one per quota and field
    assert len(soup.select("figure.group line.target.neutral")) == 12
    assert not soup.select("figure.overall line.target")


# ---- anyang: the example data ----------------------------------------------------------


def _anyang_rows() -> tuple[list[int], list[Any]]:
    _, rows = read_rows(ANYANG_CSV)
    return [r.number for r in rows], [r.values for r in rows]


def test_anyang_counts() -> None:
    scheme = starrules.load(ANYANG)
    numbers, rows = _anyang_rows()
    soup = BeautifulSoup(render_report(scheme, scheme.rate(rows, trace=True), row_numbers=numbers), "html.parser")
    # anyang.csv: 40 lines, the header and 39 branches; the last three hold 10.5 (above
    # 10), 9.55 (not a multiple of 0.1) and 'abc' (not a percentage): invalid.
    assert "数据行 39 = 已评定 36 + 不参评 0 + 无效 3 ✔" in _text(soup.find(id="counts"))
    assert [tr.td.get_text() for tr in soup.select("table.not-rated tbody tr")] == ["38", "39", "40"]
    # the 五星级 quota: at most 10% of the 36 rated, rounded down: 3
    five = soup.select_one("figure.overall g.bar")
    assert five.find("text").get_text() == "五星级" and five["data-count"] == "3"
    assert "目标 ≤3✔" in five.select("text")[-1].get_text()


@pytest.mark.parametrize(("lang", "said"), [
    # anyang.csv: 36 rated over all; 市财政局机关党委 has 4 rated branches; 3 end five-star and
    # are flagged 授牌表彰; the second quota (一星级以下 at least 10%) only reports. The counts,
    # the group's "name: value" and the note are in the punctuation of the language.
    ("zh", ["全部已评定（36）", "市财政局机关党委（4）", "授牌表彰（3）", "所属单位：市财政局机关党委",
            "已满足（仅报告）"]),
    ("en", ["All rated (36)", "市财政局机关党委 (4)", "授牌表彰 (3)", "所属单位: 市财政局机关党委",
            "met (report only)"]),
])
def test_the_reports_punctuation_is_the_languages(lang: str, said: list[str]) -> None:
    scheme = starrules.load(ANYANG)
    numbers, rows = _anyang_rows()
    with using(lang):
        text = BeautifulSoup(render_report(scheme, scheme.rate(rows, trace=True), row_numbers=numbers),
                             "html.parser").get_text()
    for expected in said:
        assert expected in text, expected
    if lang == "en":
        assert not re.search(r"[A-Za-z]（|[（）：]\d|\d）", text)  # no full-width mark around the program's words


def test_a_tie_at_the_quotas_line_is_said_in_the_report() -> None:
    # The Anyang rows without the three invalid ones: 36 rated, 3 five-star places (10% of
    # 36, rounded down). Six branches tie at 90 for the third (worked out by hand in
    # tests/test_cli.py::test_a_tie_that_decided_places_is_said_and_fails_strict); the
    # scheme's `ties break` gives it by 支部名称 ascending, so the one of the six whose name
    # sorts first keeps it and five go to 四星级.
    scheme = starrules.load(ANYANG)
    numbers, rows = _anyang_rows()
    rating = scheme.rate(rows[:36], trace=True)
    soup = BeautifulSoup(render_report(scheme, rating, row_numbers=numbers[:36]), "html.parser")
    (row,) = soup.select("table.ties tbody tr")
    rule, text, kept, lost = (td.get_text() for td in row.find_all("td"))
    assert rule == "五星级一般不超过总数的10%"
    assert "6" in text and "支部名称" in text
    tied = sorted([kept, *lost.split("、")])
    assert len(tied) == 6 and kept == min(tied)
    # each of the six says so in its own explanation; a branch away from the line does not
    page = _text(soup.find(id=f"e-{next(o.row for o in rating.outcomes if o.id == kept)}"))
    assert "［并列］五星级一般不超过总数的10%：在名额边界上并列，得到名额：得分相同的 6 个争 1 个名额" in page
    loser = next(o for o in rating.outcomes if o.id == lost.split("、")[0])
    assert "得分相同的 6 个争 1 个名额，按 支部名称 排序决定" in _text(soup.find(id=f"e-{loser.row}"))
    away = next(o for o in rating.outcomes if o.status == "rated" and not o.ties)
    assert "并列" not in _text(soup.find(id=f"e-{away.row}"))


def test_a_report_without_ties_says_none() -> None:
    scheme = starrules.load(ANYANG)
    numbers, rows = _anyang_rows()
    soup = BeautifulSoup(render_report(scheme, scheme.rate(rows[:5], trace=True), row_numbers=numbers[:5]),
                         "html.parser")
    assert not soup.select("table.ties")
    assert "没有一个结果是由并列决定的" in soup.get_text()


# ---- languages, sizes, print ----------------------------------------------------------


def test_the_report_in_english() -> None:
    with using("en"):
        scheme = starrules.loads(SMALL, "小测.star")
        soup = BeautifulSoup(render_report(scheme, scheme.rate(SMALL_ROWS, trace=True)), "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.title.get_text() == "小测<试> · rating results"
    assert "rows in 8 = rated 6 + ineligible 1 + invalid 1 ✔" in _text(soup.find(id="counts"))
    assert {tr.th.get_text() for tr in soup.select("table.meta tr")} >= {"Scheme", "Version", "Data SHA-256"} - {
        "Data SHA-256"}
    # B: 92, three stars by the band, second of two for one place: two stars
    assert "Outcome: 二星 (三星不超过1名)" in _text(soup.find(id="e-1"))
    # the report's own words are English: the Chinese left is the scheme's and the data's
    own = _text(soup)
    for word in ("评定结果", "数据行", "已评定", "名额限制与排名选取", "逐一说明", "结果："):
        assert word not in own


def _latin_free(text: str, allowed: set[str]) -> list[str]:
    """The Latin words of a Chinese report's text, but its hashes (64 hex digits)."""
    return latin_words(re.sub(r"\b[0-9a-f]{64}\b", " ", text), allowed)


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "schemes").glob("*.star")))
def test_the_chinese_report_of_every_bundled_scheme_has_no_english(name: str) -> None:
    # issue 14: no English and no programmer notation in what a rated branch reads
    scheme_path, data = ROOT / "schemes" / f"{name}.star", ROOT / "schemes" / "examples" / f"{name}.csv"
    scheme = starrules.load(scheme_path)
    numbers, rows = zip(*((r.number, r.values) for r in read_rows(data)[1]), strict=True)
    period = {"wuxing-fuwu": 2022, "yidong-liuhao": 2021}.get(name)
    rating = scheme.rate(list(rows), trace=True, period=period, extra="ignore")
    text = _text(BeautifulSoup(render_report(scheme, rating, row_numbers=numbers, period=period), "html.parser"))
    allowed = source_words(scheme_path.read_text(encoding="utf-8")) | words(
        data.read_text(encoding="utf-8-sig")) | {"starrules", "SHA"} | words(str(scheme_path))
    assert _latin_free(text, allowed) == []
    assert not re.search(r"\(line \d|\[none\]|== |→ no\b", text)


def test_without_details_and_one_entitys_page(small: Any) -> None:
    scheme, rating, page, _ = small
    brief = render_report(scheme, rating, details=False)
    soup = BeautifulSoup(brief, "html.parser")
    assert not soup.select("section.entity") and soup.find(id="explanations") is None
    assert not soup.select('a[href^="#e-"]')  # nothing to link to
    assert [tr.find_all("td")[1].get_text() for tr in soup.select("table.results tbody tr")][:2] == ["A", "B"]
    assert len(brief) < len(page)
    # without details no trace is needed
    assert "table" in render_report(scheme, scheme.rate(SMALL_ROWS), details=False)
    # one entity's page: the head (with its nothing-lost count), then B's explanation alone
    one = BeautifulSoup(render_report(scheme, rating, entity=1), "html.parser")
    assert [s["id"] for s in one.select("section.entity")] == ["e-1"]
    assert one.find(id="counts") is not None and one.find(id="results") is None
    assert "单个参评对象" in _text(one.select_one("p.subtitle"))
    with pytest.raises(ValueError, match="no outcome 8"):
        render_report(scheme, rating, entity=8)


def test_level_colours_tell_apart_in_greyscale() -> None:
    # printed in black and white, each level's colour must still differ from its neighbours'
    # in lightness: relative luminance (ITU-R BT.709 on linear sRGB) rising from the highest
    # level (darkest) to the lowest, by at least 3% of white a step for up to 11 levels (十星)
    def luminance(colour: str) -> float:
        def linear(c: int) -> float:
            v = c / 255
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b = (linear(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    from starrules.report import _palette

    for n in range(2, 12):
        lum = [luminance(c) for c in _palette(n)]  # lowest level first
        assert all(a - b >= 0.03 for a, b in itertools.pairwise(lum)), (n, lum)


# ---- the command line ------------------------------------------------------------------


def test_cli_report_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full, brief, one = tmp_path / "full.html", tmp_path / "brief.html", tmp_path / "one.html"
    assert cli.main(["report", str(ANYANG), str(ANYANG_CSV), "-o", str(full)]) == 0
    assert cli.main(["report", str(ANYANG), str(ANYANG_CSV), "-o", str(brief), "--no-details"]) == 0
    assert not BeautifulSoup(brief.read_text(encoding="utf-8"), "html.parser").select("section.entity")
    assert brief.stat().st_size < full.stat().st_size * 0.7  # 39 explanations: a third of the page
    assert cli.main(["report", str(ANYANG), str(ANYANG_CSV), "-o", str(one), "--id", "市财政局机关第一党支部"]) == 0
    page = BeautifulSoup(one.read_text(encoding="utf-8"), "html.parser")
    assert [s.h3.get_text() for s in page.select("section.entity")] == ["市财政局机关第一党支部→ 四星级"]
    capsys.readouterr()
    assert cli.main(["report", str(ANYANG), str(ANYANG_CSV), "-o", str(one), "--id", "市财政局"]) == 5
    assert "no row of" in capsys.readouterr().err




def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "报告.html"
    assert cli.main(["report", str(ANYANG), str(ANYANG_CSV), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "row 38: column 组织健全: '10.5' is not valid" in err
    assert err.rstrip().endswith(f"wrote {out}; rows in: 39, rated: 36, invalid: 3, ineligible: 0")
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    meta = {tr.th.get_text(): tr.td.get_text() for tr in soup.select("table.meta tr")}
    assert meta["Data"] == str(ANYANG_CSV)  # the command speaks the tests' English (STARRULES_LANG=en)
    assert meta["Data SHA-256"] == hashlib.sha256(ANYANG_CSV.read_bytes()).hexdigest()
    assert meta["Period"] == "—"
    # line numbers of the file: the first branch is on line 2
    assert soup.select("table.results tbody tr")[0].td.get_text() == "2"
    assert list(tmp_path.iterdir()) == [out]  # written atomically: no temporary file left


def test_cli_report_with_history(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    ex = ROOT / "schemes" / "examples"
    assert cli.main(["report", str(ROOT / "schemes" / "wuxing-fuwu.star"), str(ex / "wuxing-fuwu-2023.csv"),
                     "--period", "2023", "--history", str(ex / "wuxing-fuwu-2022.json"), "-o", str(out)]) == 0
    meta = {tr.th.get_text(): tr.td.get_text() for tr in BeautifulSoup(out.read_text(encoding="utf-8"),
                                                                        "html.parser").select("table.meta tr")}
    assert meta["Period"] == "2023" and meta["History"] == str(ex / "wuxing-fuwu-2022.json")


def test_cli_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["report", str(ANYANG), str(ANYANG_CSV)])  # -o is required
    assert exc.value.code == 2
    assert cli.main(["report", str(ANYANG), str(tmp_path / "none.csv"), "-o", str(tmp_path / "r.html")]) == 3
    assert "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


# ---- property: whatever the names, nothing is lost and nothing is markup ----------------

NAMES = st.text(alphabet=st.sampled_from(list("<>&\"'/ab甲 =")), min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(NAMES, st.sampled_from(["甲", "<乙>", "&"]), st.integers(0, 110)), min_size=1, max_size=8))
def test_property_every_row_explained_and_escaped(rows: list[tuple[str, str, int]]) -> None:
    scheme = starrules.loads(SMALL, "小测.star")
    records = [{"名称": f"{i}{n}", "单位": g, "分数": str(s)} for i, (n, g, s) in enumerate(rows)]
    rating = scheme.rate(records, trace=True)
    soup = BeautifulSoup(render_report(scheme, rating), "html.parser")
    allowed = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "span", "b", "table",
               "thead", "tbody", "tr", "th", "td", "code", "nav", "ol", "ul", "li", "a", "section", "figure",
               "figcaption", "svg", "g", "text", "rect", "line", "div", "dl", "dt", "dd", "br"}
    assert {t.name for t in soup.find_all(True)} <= allowed
    rated = sum(1 for o in rating.outcomes if o.status == "rated")
    assert sum(_bars(soup.select_one("figure.overall")).values()) == rated
    sections = soup.select("section.entity")
    assert len(sections) == len(records)
    for section, record in zip(sections, records, strict=True):
        assert section.h3.get_text().startswith(str(record["名称"]).strip())
    counts = rating.counts()
    assert counts["rows"] == len(records) == counts["rated"] + counts["ineligible"] + counts["invalid"]


def test_decimal_totals_shown_exactly() -> None:
    scheme = starrules.loads(GRADES.replace("score 0..100", "score 0..100 step 0.05"), "等级.star")
    rating = scheme.rate([{"名称": "甲", "分数": "79.95"}], trace=True)
    assert rating.outcomes[0].total == Decimal("79.95")
    row = BeautifulSoup(render_report(scheme, rating), "html.parser").select_one("table.results tbody tr")
    assert [td.get_text() for td in row.find_all("td")][2:4] == ["中", "79.95"]


# ---- in the browser ----------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # no network: every host name fails to resolve, and any proxy is a closed port
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=socks5://127.0.0.1:9",
]


DEBIAN_CHROMIUM = Path("/usr/bin/chromium")


BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The Chromium to test with: STARRULES_CHROMIUM, else one on the PATH, else Debian's."""
    configured = os.environ.get("STARRULES_CHROMIUM")
    if configured:
        return configured
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.exists() else None


def _chromium() -> str:
    if os.environ.get("STARRULES_NO_BROWSER") == "1":
        pytest.skip("STARRULES_NO_BROWSER=1: the headless Chromium tests are skipped on request")
    path = find_chromium()
    if path is not None:
        return path
    how = "install Debian's package (apt-get install --no-install-recommends chromium) or set STARRULES_CHROMIUM"
    if os.environ.get("CI") == "true":
        pytest.fail(f"the report's browser tests are required under CI and need Chromium: {how}")
    pytest.skip(f"not run: no Chromium found ({', '.join(BROWSER_NAMES)} or STARRULES_CHROMIUM); to run them, {how}")


@pytest.fixture
def chromium() -> str:
    return _chromium()


def _browse(chromium: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


def _no_browser_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STARRULES_NO_BROWSER", raising=False)
    monkeypatch.delenv("STARRULES_CHROMIUM", raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(globals(), "DEBIAN_CHROMIUM", tmp_path / "no-chromium")


def test_no_browser_under_ci_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_browser_anywhere(monkeypatch, tmp_path)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"required under CI.*install Debian's package"):
        _chromium()


def test_no_browser_elsewhere_is_reported_as_not_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_browser_anywhere(monkeypatch, tmp_path)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not run: no Chromium found"):
        _chromium()


def test_a_browser_is_found_by_any_of_its_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_browser_anywhere(monkeypatch, tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: f"/opt/bin/{name}" if name == "google-chrome" else None)
    assert find_chromium() == "/opt/bin/google-chrome"
    monkeypatch.setenv("STARRULES_CHROMIUM", "/somewhere/chrome")
    assert find_chromium() == "/somewhere/chrome"


@pytest.fixture(scope="module")
def anyang_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "anyang.html"
    assert cli.main(["--lang", "zh", "report", str(ANYANG), str(ANYANG_CSV), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text  # nothing to fetch
    return out


def test_browser_renders_charts_and_explanations(chromium: str, anyang_page: Path, tmp_path: Path) -> None:
    done = _browse(chromium, tmp_path, "--dump-dom", anyang_page.as_uri())
    soup = BeautifulSoup(done.stdout, "html.parser")
    assert soup.title.get_text() == "安阳市直机关基层服务型党组织星级评定 · 评定结果"
    charts = soup.select("svg.chart")
    # the overall chart and one per 所属单位 with a rated branch: anyang.csv has 10 units,
    # and 市民政局机关党委's only row is invalid, so 9 group charts
    assert len(charts) == 1 + 9
    assert all(c.select("g.bar rect") or c.select("g.bar") for c in charts)
    first = _text(soup.find(id="e-0"))
    # 市财政局机关第一党支部: ten areas at 9 = 90, no bonus, no penalty: 90 in [90, ..) is
    # 五星级; the 五星级 quota (3 places) moves it, tied at 90 and last by name, to 四星级
    assert first.startswith("市财政局机关第一党支部 → 四星级")
    assert "得分：基础分 90 + 加分 0 - 扣分 0 = 90" in first
    assert "得分 90，不低于 90，定为五星级" in first
    assert "五星级一般不超过总数的10%" in first and "调整为四星级" in first


def test_browser_screenshot_artefact(chromium: str, anyang_page: Path, tmp_path: Path) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTEFACTS / "report.png"
    png.unlink(missing_ok=True)
    _browse(chromium, tmp_path, f"--screenshot={png}", "--window-size=1280,2000", anyang_page.as_uri())
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    assert struct.unpack(">II", head[16:24]) == (1280, 2000)
    assert png.stat().st_size > 50_000  # a page of charts and tables, not a blank one
    assert "build/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()  # the artefact is never committed


def test_browser_prints_on_a4(chromium: str, anyang_page: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    _browse(chromium, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", anyang_page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    # A4 is 210 × 297 mm = 595.28 × 841.89 pt; Chromium rounds to whole device pixels
    boxes = {tuple(round(float(v)) for v in m.split()) for m in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", data)}
    assert boxes == {(0, 0, 595, 842)}
