"""Every bug the fuzzer found keeps its minimal text in ``regressions/`` (``.txt``: the
pytest plugin would run a ``.star`` there as a scheme that must check), run here.

Each file's first line says what must happen: ``# expect: loads`` (it loads, and the
engines agree on a record), or ``# expect: E302`` (it is refused with that code among
its diagnostics). Either way :func:`fuzz.harness.check_text` must pass: no internal
error, a located diagnostic, valid compiled Python.

Also here, the bounds of docs/testing.md: a 5 MB scheme loads, 10,000 nested
parentheses load, the work of loading grows linearly, and names from the scheme reach
the compiled Python only as string literals.
"""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from fuzz.harness import check_text

import starrules
from starrules.errors import InputError, StarDiagnosticError
from starrules.parser import flatten_parentheses

HERE = Path(__file__).parent / "regressions"
CASES = sorted(HERE.glob("*.txt"))


def test_there_are_regressions() -> None:
    assert len(CASES) >= 7


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_regression(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expect = text.splitlines()[0].removeprefix("# expect: ").strip()
    if expect == "loads":
        scheme = starrules.loads(text, path.name)
        record = {i.name: "2" for i in scheme.inputs}  # within, and on the steps of, each fixture's inputs
        check_text(text, [record])
    else:
        with pytest.raises(StarDiagnosticError) as caught:
            starrules.loads(text, path.name)
        assert expect in [d.code for d in caught.value.diagnostics]
        check_text(text)


@pytest.mark.parametrize(("text", "flat"), [
    ("((x))", "( x )"),  # the inner pair blanked, positions kept
    ("(((x)))", "(  x  )"),
    ("max((a))", "max( a )"),  # the call's own parentheses stay
    ("max((a, b))", "max((a, b))"),  # a list of two is not one expression: left alone
    ("(( ))", "(( ))"),  # nothing inside: left for the parser to refuse
    ("((a) + (b))", "((a) + (b))"),  # the inner pair does not close where the outer does
    ('f(("((x))"))', 'f( "((x))" )'),  # a text in quotes is not read
    ("((x)) # ((y))\n((z))", "( x ) # ((y))\n( z )"),  # nor a comment
    ("(.., 60] ((x))", "(.., 60] ( x )"),  # an interval's unclosed bracket does not pair
])
def test_redundant_parentheses_are_blanked(text: str, flat: str) -> None:
    assert flatten_parentheses(text) == flat


def test_redundant_parentheses_change_nothing_but_the_work() -> None:
    # found by make fuzz: 3,000 brackets around a name, then one more '(' copied in, took
    # over a second to refuse (each level of brackets is ten reductions, read twice); the
    # same scheme with one pair of brackets loads to the same program, and the broken
    # one is refused at the same place as before
    plain = "scheme \"p\"\nlevels stars 0..5\ninput x : score 0..10\nscore s = max((x), 1)\nband s { 5: [5, ..) 0: else }\n"
    deep = plain.replace("(x)", "(" * 3000 + "x" + ")" * 3000)
    assert starrules.loads(deep).program == starrules.loads(plain).program
    broken = deep.replace("x)", "x))", 1)
    with pytest.raises(StarDiagnosticError) as caught:
        starrules.loads(broken)
    [d] = caught.value.diagnostics
    assert (d.code, d.span.line) == ("E001", 4)  # the line of the score, as before


def test_deep_parentheses_evaluate_alike() -> None:
    # 10,000 brackets around x: the score is x itself, 7 gives 7 (>= 5: five stars)
    text = (HERE / "deep-parentheses.txt").read_text(encoding="utf-8")
    scheme = starrules.loads(text)
    for engine in ("reference", "compiled"):
        result = scheme.evaluate({"x": "7"}, engine=engine)
        assert (result.total, result.level) == (Decimal(7), 5)


def test_a_5_mb_scheme_loads() -> None:
    # 5 MB: 200 inputs, each with a long comment and a long rule name, summed in
    # chunks of 50 (depth stays under the limit); all at 10 gives 2000 -> 5 stars
    filler = "说明" * 12_000  # 24,000 characters of comment per input
    lines = ['scheme "大"', "levels stars 0..5"]
    for i in range(200):
        lines += [f"# {filler}", f"input x{i} : score 0..10"]
    parts = [" + ".join(f"x{i}" for i in range(k, k + 50)) for k in range(0, 200, 50)]
    lines += [f"score p{j} = {p}" for j, p in enumerate(parts)]
    lines += ["total t = p0 + p1 + p2 + p3", "band t { 5: [2000, ..)  0: else }"]
    text = "\n".join(lines) + "\n"
    assert len(text.encode("utf-8")) > 5_000_000
    scheme = starrules.loads(text)
    result = scheme.evaluate({f"x{i}": "10" for i in range(200)}, engine="compiled")
    assert (result.total, result.level) == (Decimal(2000), 5)


def _nodes(n_inputs: int) -> int:
    """The checked model's size for a scheme of n inputs, each read by one score."""
    lines = ['scheme "g"', "levels stars 0..5"] + [f"input x{i} : score 0..10" for i in range(n_inputs)]
    lines += [f"score s{i} = x{i} * 2 + 1" for i in range(n_inputs)]
    lines += ["total t = s0", "band t { 5: [0, ..) }"]
    scheme = starrules.loads("\n".join(lines) + "\n")
    return len(scheme.program.inputs) + len(scheme.program.scores)


def test_the_work_of_loading_grows_linearly() -> None:
    # counted, not timed: twice the statements give twice the model (n inputs + n scores,
    # plus the total), so the stages that walk it once each stay linear
    assert _nodes(400) == 2 * 400 + 1
    assert _nodes(800) == 2 * 800 + 1


ADVERSARIAL = ["__import__", "exec", "eval", "os", "evaluate", "PROGRAM", "INPUTS", "raw", "ZERO", "self",
               "ℌ", "ﬁ", "Ⅸ"]


def test_names_reach_the_compiled_code_only_as_string_literals() -> None:
    # inputs named like the generated code's own names and Python builtins: the score
    # adds them, all at 1 give 13 (13 inputs) -> band [10, ..) gives 5 stars
    declared = [f"input {name} : score 0..10" for name in ADVERSARIAL]
    text = "\n".join(['scheme "g"', "levels stars 0..5", *declared,
                      "score 和 = " + " + ".join(ADVERSARIAL), "band 和 { 5: [10, ..)  0: else }"]) + "\n"
    scheme = starrules.loads(text)
    record = {i.name: "1" for i in scheme.inputs}
    for engine in ("reference", "compiled"):
        result = scheme.evaluate(record, engine=engine)
        assert (result.total, result.level) == (Decimal(13), 5)
    tree = ast.parse(scheme.compiled.source)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not used & {"__import__", "exec", "eval", "os", "ℌ", "H", "fi", "IX"}
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert {"__import__", "exec"} <= literals


def test_a_huge_whole_number_is_refused_in_words() -> None:
    # 10^5000 is far above 0..10: an InputError whose text Python can write (repr() of
    # an int over 4,300 digits raised ValueError), the number in scientific form
    scheme = starrules.loads((HERE / "deep-parentheses.txt").read_text(encoding="utf-8"))
    for engine in ("reference", "compiled"):
        with pytest.raises(InputError) as caught:
            scheme.evaluate({"x": 10**5000}, engine=engine)
        assert "1.000000E+5000" in str(caught.value)
        assert hash(caught.value.problems[0]) == hash(caught.value.problems[0])


@pytest.mark.parametrize("raw", [Decimal("sNaN"), Decimal("NaN"), Decimal("Infinity")])
def test_a_decimal_that_is_not_a_number_is_refused_for_a_yes_no_input(raw: Decimal) -> None:
    # Found by `make fuzz`: a yes/no input given Decimal('sNaN') raised InvalidOperation
    # (comparing a signalling NaN with 0 and 1). Only the whole numbers 0 and 1 are yes/no;
    # a NaN or an infinity is not, so both engines refuse the record in words.
    scheme = starrules.loads('scheme "是否" version "1"\nlevels stars 0..1\ninput 按期 : bool\n'
                             "score 分 = 1 when 按期\nband 分 { 1: [1, ..)  0: else }\n")
    for engine in ("reference", "compiled"):
        with pytest.raises(InputError) as caught:
            scheme.evaluate({"按期": raw}, engine=engine)
        assert "按期" in str(caught.value) and "yes or no" in str(caught.value)
        assert scheme.evaluate({"按期": Decimal(1)}, engine=engine).level == 1


def test_a_huge_whole_number_given_as_an_id_is_refused() -> None:
    # Found by `make fuzz`: an id (text) input given 10^5000 raised ValueError, since
    # Python will not write a whole number of over 4,300 digits as text. Such a number
    # is no one's id: both engines refuse the record with the input's name.
    scheme = starrules.loads('scheme "编号" version "1"\nlevels stars 0..1\ninput 名称 : id\ninput 分 : score 0..10\n'
                             "band 分 { 1: [5, ..)  0: else }\n")
    for engine in ("reference", "compiled"):
        with pytest.raises(InputError) as caught:
            scheme.evaluate({"名称": 10**5000, "分": "6"}, engine=engine)
        assert "名称" in str(caught.value)
        assert scheme.evaluate({"名称": 10**40, "分": "6"}, engine=engine).id == str(10**40)
