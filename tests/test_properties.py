"""Property tests: the invariants of the design brief (architecture.md), held by Hypothesis.

a. Parsing never raises anything but StarSyntaxError, and loading anything but
   StarSyntaxError / StarCheckError; every diagnostic points inside the file.
b. Evaluation is deterministic.
c. A veto always wins; a cap is never exceeded; a demotion never raises.
d. Monotonicity of the Anyang scheme in its item scores, its satisfaction and its
   commendations.
e. Weighted ratios are exact: a weighted total that lands on a band edge is that edge.

Inputs are built by construction from the scheme's declarations (no filtering).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules import StarCheckError, StarSyntaxError
from starrules import nodes as n
from starrules.model import Input

ROOT = Path(__file__).resolve().parent.parent
SCHEME_FILES = sorted((ROOT / "schemes").glob("*.star"))
ANYANG_PATH = ROOT / "schemes" / "anyang.star"
ANYANG = starrules.load(ANYANG_PATH)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# for the tests that run under each engine: 100 examples each, 200 in all
ENGINE_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- (a) parsing and loading never raise anything else ---------------------------------

KEYWORDS = (
    "scheme version levels stars grades input score total bonus penalty band require "
    "disqualify veto cap demote flag when each of at most by if then else and or not in "
    "level weighted round highest lookup sum max min all any count percent bool one set "
    "id group text default step yes no true false 是 否"
).split()
PUNCTUATION = list(':,()[]{}<>=!+-*%.#"_') + [
    "..", "<=", ">=", "==", "!=", "“", "”", "‘", "’", "、", "：", "，", "（", "）", "％", "＝",
    "＜", "＞", "［", "］", "｛", "｝", "；", "－", "＋", "\u3000", "\n", "\r\n", " ", "\t", "\r",
]
WORDS = [
    "满意率", "得分", "表彰", "市级", "省级", "国家级", "按期", "逾期", "优秀", "良好", "不合格",
    "9.5", "90", "60%", "0", "10", "0.01", "3:7", '"规则"', "“规则”", "0..5", "[90, ..)", "(.., 50)",
]
CJK = "满意率得分表彰市省国家级按期逾期优秀良好星评定组织健全扣加分"

token_soup = st.lists(
    st.sampled_from(KEYWORDS + PUNCTUATION + WORDS) | st.text(max_size=3),
    max_size=60,
).flatmap(lambda toks: st.lists(st.sampled_from(["", " ", "\n"]), min_size=len(toks), max_size=len(toks))
          .map(lambda seps: "".join(t + s for t, s in zip(toks, seps, strict=True))))

any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(sorted(set(CJK + "0123456789 \n") | {p for p in PUNCTUATION if len(p) == 1})),
            max_size=200),
    token_soup,
)


def lines_in(text: str) -> int:
    """Lines as the parser counts them, at most: '\\n' ends a line, and so does a carriage
    return not followed by one (old Mac line ends; inside a quoted text it does not, so this
    may count more lines than there are, never fewer)."""
    return text.count("\n") + len(re.findall("\r(?!\n)", text)) + 1


def assert_well_placed(diagnostics: list[starrules.Diagnostic], text: str) -> None:
    assert diagnostics, "an error must carry at least one diagnostic"
    for d in diagnostics:
        assert d.severity == "error"
        assert d.code
        assert 1 <= d.span.line <= lines_in(text), (d, text)
        assert d.span.column >= 1, (d, text)
        assert isinstance(starrules.render(d, text), str)  # drawing it never fails either


@SETTINGS
@given(any_text)
def test_parse_raises_only_syntax_errors(text: str) -> None:
    try:
        tree = starrules.parse(text)
    except StarSyntaxError as e:
        assert_well_placed(e.diagnostics, text)
    else:
        assert isinstance(tree, n.SchemeFile)


@SETTINGS
@given(any_text)
def test_loads_raises_only_scheme_errors(text: str) -> None:
    try:
        scheme = starrules.loads(text)
    except (StarSyntaxError, StarCheckError) as e:
        assert_well_placed(e.diagnostics, text)
    else:
        assert isinstance(scheme, starrules.Scheme)


def _tokens(text: str) -> list[str]:
    """The text cut into words (names, keywords, numbers), runs of blanks and single characters."""
    return re.findall(r"\w+|[ \t]+|\n|.", text)


TOKEN_POOL = sorted({t for f in SCHEME_FILES for t in _tokens(f.read_text("utf-8")) if t.strip()})
CHAR_POOL = sorted(set(PUNCTUATION) | set(CJK) | set("0123456789abcz"))


@st.composite
def mutation(draw: st.DrawFn, text: str) -> str:
    """One edit of a valid scheme: delete/duplicate/insert a character or a token, swap lines."""
    kind = draw(st.sampled_from(["del_char", "dup_char", "ins_char", "del_tok", "dup_tok", "ins_tok", "swap"]))
    if kind in ("del_char", "dup_char", "ins_char"):
        i = draw(st.integers(0, len(text) - 1))
        if kind == "del_char":
            return text[:i] + text[i + 1:]
        if kind == "dup_char":
            return text[:i] + text[i] + text[i:]
        return text[:i] + draw(st.sampled_from(CHAR_POOL)) + text[i:]
    if kind == "swap":
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
        return "\n".join(lines)
    toks = _tokens(text)
    i = draw(st.integers(0, len(toks) - 1))
    if kind == "del_tok":
        del toks[i]
    elif kind == "dup_tok":
        toks.insert(i, toks[i])
    else:
        toks.insert(i, draw(st.sampled_from(TOKEN_POOL)))
    return "".join(toks)


@st.composite
def mutated_scheme(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(SCHEME_FILES))
    text = path.read_text("utf-8")
    for _ in range(draw(st.integers(1, 3))):
        text = draw(mutation(text))
    return text


def test_scheme_files_exist_and_load() -> None:
    assert ANYANG_PATH in SCHEME_FILES
    for path in SCHEME_FILES:
        assert isinstance(starrules.load(path), starrules.Scheme)


@SLOW_SETTINGS
@given(mutated_scheme())
def test_mutated_schemes_raise_only_scheme_errors(text: str) -> None:
    try:
        scheme = starrules.loads(text)
    except (StarSyntaxError, StarCheckError) as e:
        assert_well_placed(e.diagnostics, text)
    else:
        assert isinstance(scheme, starrules.Scheme)


# ---- Anyang inputs, built from the declarations -------------------------------------------

def _tenths(k: int) -> str:
    return f"{k // 10}.{k % 10}"


def value_strategy(inp: Input) -> st.SearchStrategy[object]:
    """Valid raw values (as a spreadsheet gives them) for one declared input."""
    spec = inp.spec
    if isinstance(spec, n.ScoreType):
        assert spec.step is not None
        steps = int((spec.high - spec.low) / spec.step)
        return st.integers(0, steps).map(lambda k: str(spec.low + k * spec.step))
    if isinstance(spec, n.CountType):
        top = spec.high if spec.high is not None else spec.low + 5
        return st.integers(spec.low, top).map(str) | st.integers(spec.low, top)
    if isinstance(spec, n.PercentType):
        return st.integers(0, 1000).map(lambda k: _tenths(k) + "%")
    if isinstance(spec, n.EnumType):
        return st.sampled_from(inp.type.members)
    if isinstance(spec, n.SetType):
        members = inp.type.members
        # any subset, its members in any order, joined with 、 ("" is none)
        return st.sets(st.sampled_from(members)).flatmap(lambda s: st.permutations(sorted(s))).map("、".join)
    if isinstance(spec, n.BoolType):
        return st.sampled_from(["是", "否", "yes", "no"])
    return st.text(alphabet=st.sampled_from(list(CJK)), min_size=1, max_size=6)


ANYANG_FIELDS: dict[str, st.SearchStrategy[object]] = {inp.name: value_strategy(inp) for inp in ANYANG.inputs}
ITEMS = tuple(inp.name for inp in ANYANG.inputs if isinstance(inp.spec, n.ScoreType))
SATISFACTION = "民主评议满意率"
ELECTION = "换届情况"
ABSENCES = "缺席次数"
COMMENDATIONS = ("表彰", "创新推广")
COUNTS = tuple(inp.name for inp in ANYANG.inputs if isinstance(inp.spec, n.CountType))
LEVELS_OF_AWARD = ("市级", "省级", "国家级")


def anyang_inputs(**overrides: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    for key in overrides:
        assert key in ANYANG_FIELDS, key
    return st.fixed_dictionaries({**ANYANG_FIELDS, **overrides})


high_item = st.integers(80, 100).map(_tenths)  # 8.0..10.0: a base near or above 90
high_items = {name: high_item for name in ITEMS}
no_penalties = {name: st.just("0") for name in COUNTS}


def test_declarations_are_what_the_strategies_assume() -> None:
    assert len(ITEMS) == 10
    assert ANYANG.levels.values == (0, 1, 2, 3, 4, 5)
    kinds = {inp.name: inp.type.kind for inp in ANYANG.inputs}
    assert kinds[SATISFACTION] == "percent"
    assert kinds[ELECTION] == "enum"
    assert kinds[ABSENCES] == "count"
    assert set(COUNTS) == {"工委通报", "市委通报", "班子处分", "班子撤职", "党员违纪", ABSENCES}
    assert all(kinds[c] == "set" for c in COMMENDATIONS)


def by_hand(raw: dict[str, object]) -> tuple[Decimal, int, int]:
    """The Anyang scheme read by hand from its text: (得分, band level, final level)."""
    base = sum((Decimal(str(raw[i])) for i in ITEMS), Decimal(0))
    points = {"市级": 3, "省级": 5, "国家级": 8}

    def highest(cell: object) -> int:
        return max((points[x] for x in str(cell).split("、") if x), default=0)

    bonus = highest(raw["表彰"]) + highest(raw["创新推广"])
    sat = Decimal(str(raw[SATISFACTION]).rstrip("%")) / 100
    count = {k: int(str(raw[k])) for k in ("工委通报", "市委通报", "班子处分", "班子撤职", "党员违纪", ABSENCES)}
    penalty = (3 * count["工委通报"] + 5 * count["市委通报"] + 3 * count["班子处分"] + 5 * count["班子撤职"]
               + 2 * count["党员违纪"] + (5 if sat < Decimal("0.6") else 0) + 3 * count[ABSENCES])
    total = base + bonus - penalty
    band = next((lv for lv, lo in ((5, 90), (4, 80), (3, 70), (2, 60), (1, 50)) if total >= lo), 0)
    level = band
    if count[ABSENCES] >= 3:
        level = min(max(level - 1, 0), 4)  # demote by one, then the cap at 4
    if raw[ELECTION] != "按期":
        level = min(level, 4)
    if raw[ELECTION] == "逾期超过一年":
        level = min(level, 3)
    if sat < Decimal("0.5"):
        level = 0
    return total, band, level


# ---- (b) determinism ------------------------------------------------------------------------

@ENGINE_SETTINGS
@given(anyang_inputs())
def test_evaluation_is_deterministic(engine: str, raw: dict[str, object]) -> None:
    first = ANYANG.evaluate(raw, engine=engine)
    second = ANYANG.evaluate(dict(raw), engine=engine)
    assert first == second
    assert first.to_dict() == second.to_dict()
    # The order of the fields given does not matter either.
    reordered = dict(reversed(list(raw.items())))
    assert ANYANG.evaluate(reordered, engine=engine).to_dict() == first.to_dict()
    # With the trace or without, the same outcome.
    traced = ANYANG.evaluate(raw, trace=True)
    assert traced.trace != ()
    assert traced.to_dict(trace=False) == first.to_dict(trace=False)
    json.dumps(first.to_dict(), ensure_ascii=False)


def test_a_fresh_load_gives_the_same_results(engine: str) -> None:
    again = starrules.load(ANYANG_PATH)
    raw = {name: "8.5" for name in ITEMS} | {"支部名称": "一支部", "所属单位": "市直", SATISFACTION: "80%"}
    assert again.evaluate(raw, engine=engine).to_dict() == ANYANG.evaluate(raw, engine=engine).to_dict()


@ENGINE_SETTINGS
@given(anyang_inputs() | anyang_inputs(**high_items) | anyang_inputs(**high_items, **{ABSENCES: st.integers(0, 4)}))
def test_evaluation_agrees_with_the_scheme_read_by_hand(engine: str, raw: dict[str, object]) -> None:
    total, band, level = by_hand(raw)
    result = ANYANG.evaluate(raw, engine=engine)
    assert result.status == "rated"
    assert result.total == total
    assert result.band_level == band
    assert result.level == level
    assert ("授牌表彰" in result.flags) == (level == 5)
    assert ("集中整顿" in result.flags) == (level <= 1)


# ---- (c) overrides: veto wins, caps hold, demotion never raises -----------------------------

below_half = st.integers(0, 499).map(lambda k: _tenths(k) + "%")


@ENGINE_SETTINGS
@given(anyang_inputs(**{SATISFACTION: below_half}))
def test_a_veto_always_wins(engine: str, raw: dict[str, object]) -> None:
    result = ANYANG.evaluate(raw, engine=engine)
    assert result.status == "rated"
    assert result.level == 0


@ENGINE_SETTINGS
@given(anyang_inputs(**high_items, **no_penalties, **{SATISFACTION: below_half}))
def test_a_veto_wins_over_a_high_band(engine: str, raw: dict[str, object]) -> None:
    result = ANYANG.evaluate(raw, engine=engine)
    # Items of 8..10 give a base of 80 or more; with no counted penalty only the 5 points
    # for < 60% are taken off: 75 or more, so the band is at least 3 and the veto moves it.
    assert isinstance(result.band_level, int) and result.band_level >= 3
    assert result.level == 0
    assert result.reason == "民主评议满意率50%以下，不定星级"


@ENGINE_SETTINGS
@given(anyang_inputs())
def test_caps_are_never_exceeded_and_demotion_never_raises(engine: str, raw: dict[str, object]) -> None:
    result = ANYANG.evaluate(raw, engine=engine)
    assert isinstance(result.level, int) and isinstance(result.band_level, int)
    if raw[ELECTION] != "按期":
        assert result.level <= 4
    if raw[ELECTION] == "逾期超过一年":
        assert result.level <= 3
    if int(str(raw[ABSENCES])) >= 3:
        assert result.level <= 4
    assert result.level <= result.band_level
    assert result.level_rank is not None and 0 <= result.level_rank <= 5


late = st.sampled_from(["逾期", "逾期超过一年"])
many_absences = st.integers(3, 6).map(str)


@ENGINE_SETTINGS
@given(anyang_inputs(**high_items, **{ELECTION: late, SATISFACTION: st.just("95%")}))
def test_late_election_caps_a_high_total(engine: str, raw: dict[str, object]) -> None:
    result = ANYANG.evaluate(raw, engine=engine)
    assert result.level <= (3 if raw[ELECTION] == "逾期超过一年" else 4)
    assert result.level <= result.band_level


@ENGINE_SETTINGS
@given(anyang_inputs(**high_items, **{ABSENCES: many_absences}))
def test_absences_cap_at_four_and_demote(engine: str, raw: dict[str, object]) -> None:
    result = ANYANG.evaluate(raw, engine=engine)
    assert isinstance(result.level, int) and isinstance(result.band_level, int)
    assert result.level <= 4
    assert result.level <= max(result.band_level - 1, 0)


top_items = {name: st.integers(95, 100).map(_tenths) for name in ITEMS}


@ENGINE_SETTINGS
@given(anyang_inputs(**{**top_items, **no_penalties,
                        ABSENCES: st.sampled_from(["3", "4"]),
                        SATISFACTION: st.integers(600, 1000).map(lambda k: _tenths(k) + "%"),
                        ELECTION: st.just("按期")}))
def test_absences_demote_before_the_cap(engine: str, raw: dict[str, object]) -> None:
    # Base 95..100, bonuses 0..16, the only penalty 3 per absence (9 or 12): the total is
    # 83..107, so the band is 4 or 5. anyang.star: "Demotion applies before the cap, so a
    # five-star band becomes four stars, not three": 5 -> 4 (cap 4 holds), 4 -> 3.
    result = ANYANG.evaluate(raw, engine=engine)
    assert result.band_level in (4, 5)
    assert result.level == result.band_level - 1


# ---- (d) monotonicity -----------------------------------------------------------------------

@st.composite
def raised_item(draw: st.DrawFn) -> tuple[dict[str, object], dict[str, object]]:
    raw = draw(anyang_inputs())
    item = draw(st.sampled_from(ITEMS))
    k = int(Decimal(str(raw[item])) * 10)
    higher = draw(st.integers(k, 100))
    return raw, {**raw, item: _tenths(higher)}


@st.composite
def raised_satisfaction(draw: st.DrawFn) -> tuple[dict[str, object], dict[str, object]]:
    raw = draw(anyang_inputs())
    k = int(Decimal(str(raw[SATISFACTION]).rstrip("%")) * 10)
    higher = draw(st.integers(k, 1000))
    return raw, {**raw, SATISFACTION: _tenths(higher) + "%"}


@st.composite
def added_commendation(draw: st.DrawFn) -> tuple[dict[str, object], dict[str, object]]:
    raw = draw(anyang_inputs())
    field = draw(st.sampled_from(COMMENDATIONS))
    have = {x for x in str(raw[field]).split("、") if x}
    extra = draw(st.sampled_from(LEVELS_OF_AWARD))
    more = have | {extra}
    return raw, {**raw, field: "、".join(x for x in LEVELS_OF_AWARD if x in more)}


def _level(raw: dict[str, object], engine: str) -> int:
    level = ANYANG.evaluate(raw, engine=engine).level
    assert isinstance(level, int)
    return level


def _check_monotone(pair: tuple[dict[str, object], dict[str, object]], engine: str) -> None:
    lower, higher = pair
    assert _level(higher, engine) >= _level(lower, engine)
    assert (ANYANG.evaluate(higher, engine=engine).total or 0) >= (ANYANG.evaluate(lower, engine=engine).total or 0)


@ENGINE_SETTINGS
@given(raised_item())
def test_raising_an_item_score_never_lowers_the_level(engine: str, pair: tuple[dict[str, object], dict[str, object]]) -> None:
    _check_monotone(pair, engine)


@ENGINE_SETTINGS
@given(raised_satisfaction())
def test_raising_satisfaction_never_lowers_the_level(engine: str, pair: tuple[dict[str, object], dict[str, object]]) -> None:
    _check_monotone(pair, engine)


@ENGINE_SETTINGS
@given(added_commendation())
def test_a_further_commendation_never_lowers_the_level(engine: str, pair: tuple[dict[str, object], dict[str, object]]) -> None:
    _check_monotone(pair, engine)


# ---- (e) exactness of weighted ratios at a band edge ----------------------------------------

RATERS = starrules.loads(
    'scheme "两级评分"\n'
    "levels stars 0..2\n"
    "input 自评 : score 0..100 step 0.1\n"
    "input 考评 : score 0..100 step 0.1\n"
    "total 得分 = weighted 3:7 (自评, 考评)\n"
    "band 得分 { 2: [90, ..)  1: [60, 90)  0: (.., 60) }\n"
)


@st.composite
def on_the_edge(draw: st.DrawFn) -> tuple[int, int]:
    """(self, township) in tenths with 0.3 self + 0.7 township == 90 exactly.

    In tenths a, b: 3a + 7b = 9000. Then b = 3k (b must be a multiple of 3) and
    a = 3000 - 7k; 0 <= a <= 1000 and b <= 1000 give 286 <= k <= 333.
    """
    k = draw(st.integers(286, 333))
    return 3000 - 7 * k, 3 * k


@st.composite
def just_below_the_edge(draw: st.DrawFn) -> tuple[int, int, int]:
    """(self, township, d) in tenths with 3a + 7b = 9000 - d, 1 <= d <= 30: a total of
    90 - d/100, between 89.70 and 89.99. a is whole when d = -b (mod 3); with
    857 <= b <= 1000 that keeps 656 <= a <= 1000."""
    b = draw(st.integers(857, 1000))
    d = draw(st.integers(0, 9)) * 3 + (-b) % 3
    d = d if d >= 1 else d + 3
    a = (9000 - d - 7 * b) // 3
    assert 3 * a + 7 * b == 9000 - d and 0 <= a <= 1000
    return a, b, d


@ENGINE_SETTINGS
@given(on_the_edge())
def test_weighted_total_exactly_on_the_edge_is_in_the_upper_band(engine: str, pair: tuple[int, int]) -> None:
    a, b = pair
    assert 0 <= a <= 1000 and 0 <= b <= 1000 and 3 * a + 7 * b == 9000
    result = RATERS.evaluate({"自评": _tenths(a), "考评": _tenths(b)}, engine=engine)
    assert result.total == Decimal("90")
    assert result.to_dict()["total"] == "90"
    assert result.level == 2


@ENGINE_SETTINGS
@given(just_below_the_edge())
def test_weighted_total_just_below_the_edge_is_in_the_lower_band(engine: str, case: tuple[int, int, int]) -> None:
    a, b, d = case
    result = RATERS.evaluate({"自评": _tenths(a), "考评": _tenths(b)}, engine=engine)
    assert result.total == Decimal(9000 - d) / 100
    assert result.total < 90
    assert result.level == 1
