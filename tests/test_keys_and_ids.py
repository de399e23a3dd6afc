"""Nothing silent in the API (issue 13): a key no input has, an id on two records, and a
tie that the spelling of names would decide.

Expected values are worked out by hand from the small scheme below.
"""

from __future__ import annotations

import pytest

import starrules
from starrules.errors import DuplicateIdError, InputError, UnknownInputsError
from starrules.i18n import using

SCHEME = starrules.loads("""\
scheme "小测试" version "1"
levels stars 0..3 { 0: "无星" }
input 名称 : id
input 分数 : score 0..100 step 0.5
input 通报批评 : count default 0
penalty 扣分 { "通报（每次扣5分）": 5 each 通报批评 }
total 得分 = 分数 - 扣分
band 得分 { 3: [90, ..)  2: [75, 90)  1: [60, 75)  0: (.., 60) }
quota "三星不超过一半" { level 3 at most 50%  ties break }
""")


def test_a_misspelt_key_is_refused_with_the_input_it_likely_means() -> None:
    # 通报次数 is not an input: read in silence, 通报批评 would take its default 0 and 甲
    # would keep 92 (three stars) instead of 92 - 2×5 = 82 (two). The error names the key,
    # and the absent input it is likely meant to be (they share 通报).
    record = {"名称": "甲", "分数": "92", "通报次数": "2"}
    with pytest.raises(UnknownInputsError) as caught:
        SCHEME.evaluate(record)
    exc = caught.value
    assert isinstance(exc, InputError)  # caught by whoever catches bad input
    assert exc.keys == ["通报次数"] and exc.hints == ["通报批评"] and exc.record is None
    assert exc.problems[0].field == "通报次数" and exc.problems[0].value == "2"
    with using("en"):
        text = str(UnknownInputsError(exc.keys, exc.hints))
    assert text.startswith("no input of the scheme is named '通报次数' (did you mean '通报批评'?)")
    assert 'extra="ignore"' in text
    # the reference interpreter refuses it the same way
    with pytest.raises(UnknownInputsError):
        SCHEME.evaluate(record, trace=True)
    # opting out reads the known keys only: 通报批评 takes its default, 92 → three stars
    assert SCHEME.evaluate(record, extra="ignore").level == 3
    assert SCHEME.evaluate({"名称": "甲", "分数": "92", "通报批评": "2"}).level == 2


def test_rate_refuses_a_record_with_an_unknown_key_naming_its_place() -> None:
    records = [{"名称": "甲", "分数": "92"}, {"名称": "乙", "分数": "80", "备注": "新建"}]
    with pytest.raises(UnknownInputsError) as caught:
        SCHEME.rate(records)
    assert caught.value.keys == ["备注"] and caught.value.record == 1
    with using("en"):
        assert str(UnknownInputsError(["备注"], [None], 1)).startswith("record 1 (counting from 0): no input of the "
                                                                       "scheme is named '备注':")
    rating = SCHEME.rate(records, extra="ignore")
    assert [o.level for o in rating.outcomes] == [3, 2]  # 92 → [90, ..); 80 → [75, 90)


def test_the_option_values_are_checked() -> None:
    with pytest.raises(ValueError, match="extra must be one of forbid, ignore"):
        SCHEME.evaluate({"名称": "甲", "分数": "92"}, extra="allow")
    with pytest.raises(ValueError, match="duplicate_ids must be one of forbid, allow"):
        SCHEME.rate([], duplicate_ids="ignore")


def test_a_frame_with_a_column_no_input_reads_is_refused() -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"名称": ["甲"], "分数": ["92"], "获得表彰": ["省级"]})
    with pytest.raises(UnknownInputsError) as caught:
        SCHEME.rate(frame)
    assert caught.value.keys == ["获得表彰"]
    # read, 92 → three stars by the band; the quota allows 50% of 1, rounded down, 0 places
    # at three stars: moved to two
    assert [(o.level_before, o.level) for o in SCHEME.rate(frame, extra="ignore").outcomes] == [(3, 2)]


def test_the_duckdb_engine_refuses_a_file_column_no_input_reads(tmp_path: object) -> None:
    pytest.importorskip("duckdb")
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    data = tmp_path / "data.csv"
    data.write_text("名称,分数,通报次数\n甲,92,2\n", encoding="utf-8")
    with pytest.raises(UnknownInputsError) as caught:
        SCHEME.rate(str(data), engine="duckdb")
    assert caught.value.keys == ["通报次数"] and caught.value.hints == ["通报批评"]
    # read in silence 通报批评 takes its default 0: 92 → three stars by the band (then moved to
    # two by the quota: 50% of 1 is 0 places, rounded down)
    rated = SCHEME.rate(str(data), engine="duckdb", extra="ignore").outcomes
    assert [(o.level_before, o.level) for o in rated] == [(3, 2)]
    # and records given to the DuckDB engine are checked as for the Python one
    with pytest.raises(UnknownInputsError):
        SCHEME.rate([{"名称": "甲", "分数": "92", "通报次数": "2"}], engine="duckdb")


def test_an_id_on_two_records_is_refused_naming_them() -> None:
    # 甲 twice: each would count in the quota's base, 4 entities instead of 3.
    records = [{"名称": "甲", "分数": "92"}, {"名称": "乙", "分数": "95"}, {"名称": "丙", "分数": "70"},
               {"名称": "甲 ", "分数": "91"}]  # the id is read stripped, as the outputs write it
    with pytest.raises(DuplicateIdError) as caught:
        SCHEME.rate(records)
    assert caught.value.ids == {"甲": [0, 3]}
    with using("en"):
        assert "'甲' on records 0, 3" in str(DuplicateIdError({"甲": [0, 3]}))
    # allowed, they are rated apart: 4 rated, three-star at most 50% of 4 = 2 places for the
    # three at 95, 92, 91: 乙 (95) and 甲 (92) keep them, the second 甲 (91) goes to two stars.
    rating = SCHEME.rate(records, duplicate_ids="allow")
    assert [o.level for o in rating.outcomes] == [3, 3, 1, 2]
    # records without an id are never duplicates of each other
    assert len(SCHEME.rate([{"分数": "92"}, {"分数": "90"}]).outcomes) == 2


def test_duplicates_are_found_among_invalid_records_too() -> None:
    # the second 乙 is invalid (101 is above 100): it still carries the id twice
    with pytest.raises(DuplicateIdError) as caught:
        SCHEME.rate([{"名称": "乙", "分数": "80"}, {"名称": "乙", "分数": "101"}])
    assert caught.value.ids == {"乙": [0, 1]}


# ---- W503: the last tie-break a name compared as text -------------------------------------

HEAD = """\
scheme "安阳" version "1"
levels stars 0..5
input 支部名称 : id
input 出勤率 : percent
input 得分 : score 0..100 step 0.1
band 得分 { 5: [90, ..)  4: [80, 90)  3: [70, 80)  2: [60, 70)  1: [50, 60)  0: (.., 50) }
"""


def codes(text: str) -> list[tuple[str, int]]:
    """The W503 warnings of the scheme (出勤率, read by no rule but one, gives W301 too)."""
    return [(w.code, w.span.line) for w in starrules.loads(HEAD + text).warnings if w.code == "W503"]


@pytest.mark.parametrize(("rule", "expected"), [
    # by default a quota ranks by the band's score then the id input: a name decides the tie
    ('quota "五星不超过10%" { level 5 at most 10% }', [("W503", 7)]),
    # a name the author wrote last, and no ties clause
    ('quota "五星不超过10%" { level 5 at most 10%  rank by 得分 desc then 支部名称 asc }', [("W503", 7)]),
    # a selection decides flags: the same
    ('select "倒排10%" { bottom 10%  flag "整顿" }', [("W503", 7)]),
    # the author says what a tie does: no warning
    ('quota "五星不超过10%" { level 5 at most 10%  ties break }', []),
    ('quota "五星不超过10%" { level 5 at most 10%  ties keep }', []),
    ('quota "五星不超过10%" { level 5 at most 10%  ties drop }', []),
    # a key that means something last: no name decides
    ('quota "五星不超过10%" { level 5 at most 10%  rank by 得分 desc then 出勤率 desc }', []),
    # a report moves nobody: no tie decides anything
    ('quota "五星不超过10%" { level 5 at most 10%  report only }', []),
])
def test_w503_warns_where_the_spelling_of_names_would_decide_a_tie(rule: str, expected: list[tuple[str, int]]) -> None:
    assert codes(rule + "\n") == expected


def test_w503_has_both_languages_and_a_hint() -> None:
    scheme_text = HEAD + 'quota "五星不超过10%" { level 5 at most 10% }\n'
    with using("en"):
        (warning,) = [w for w in starrules.loads(scheme_text).warnings if w.code == "W503"]
    assert warning.message == ("entities tied at the line of '五星不超过10%' are told apart by '支部名称', a name "
                               "compared as text: who keeps the place is decided by how the names are spelt")
    assert warning.hint is not None and "ties keep" in warning.hint and "ties break" in warning.hint
    with using("zh"):
        (warning,) = [w for w in starrules.loads(scheme_text).warnings if w.code == "W503"]
    assert warning.message.startswith("在 '五星不超过10%' 的分界线上得分相同的参评对象，靠 '支部名称' 区分")
