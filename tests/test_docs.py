"""Every example in README.md and docs/*.md is run, so the documentation cannot rot.

The convention (written for authors at the top of docs/language.md):

* a fenced block whose info string is ``star`` is a complete scheme: it must load with
  ``starrules.loads`` with no error and no warning;
* ``star error=E401`` (or ``error=E101,E201``): the scheme must fail to load with a
  StarSyntaxError or StarCheckError whose diagnostics include every code named;
* ``pycon``: a Python session, run with :mod:`doctest` from the repository's root.
  The pycon blocks of one file share one namespace, in the order of the file, so a
  session can use a scheme loaded in an earlier one;
* any other info string (``sh``, ``text``, none) is not run.

One test per block, with an id such as ``language.md:123`` (the line of the opening
fence). The self-tests at the end hold the extractor and the runner to the convention:
a broken example must fail.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import starrules
from starrules.errors import StarCheckError, StarSyntaxError

ROOT = Path(__file__).resolve().parent.parent
RUN_KINDS = ("star", "pycon")
OPTIONS = {"star": {"error"}, "pycon": set()}
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CODE = re.compile(r"[EW]\d{3}")

_OPEN = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a Markdown file."""

    source: str  # the file's name as shown in test ids, e.g. "language.md"
    line: int  # the line of the opening fence, 1-based
    kind: str  # the first word of the info string ("" for none)
    options: tuple[tuple[str, str], ...]
    text: str
    problem: str | None = None  # why the block itself is malformed, if it is

    @property
    def id(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.kind in RUN_KINDS


@dataclass
class Doc:
    """A Markdown file's blocks; ``session`` is the namespace of its pycon blocks."""

    source: str
    blocks: list[Block]
    session: dict[str, object] = field(default_factory=dict)
    done: int = 0  # how many pycon blocks have run in ``session``, in order

    @property
    def sessions(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "pycon"]


def extract(markdown: str, source: str) -> list[Block]:
    """Every fenced block (backticks or tildes, CommonMark style), skipping HTML comments.

    A fence left open, or an option a kind does not take, gives a block with a
    ``problem``, which fails its test rather than being silently skipped.
    """
    lines = markdown.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("<!--"):
            while "-->" not in lines[i] and i + 1 < len(lines):
                i += 1
            i += 1
            continue
        m = _OPEN.match(line)
        if m is None or (m["fence"][0] == "`" and "`" in m["info"]):
            i += 1
            continue
        fence, indent = m["fence"], len(m["indent"])
        words = m["info"].split()
        kind = words[0] if words else ""
        options, problem = _options(kind, words[1:])
        closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            text = lines[j]
            strip = len(text) - len(text.lstrip(" "))
            body.append(text[min(indent, strip):])
            j += 1
        if j == len(lines):
            problem = f"the block opened on line {i + 1} is never closed"
        blocks.append(Block(source, i + 1, kind, options, "\n".join(body) + "\n", problem))
        i = j + 1
    return blocks


def _options(kind: str, words: Sequence[str]) -> tuple[tuple[tuple[str, str], ...], str | None]:
    if kind not in RUN_KINDS:
        return (), None
    out: list[tuple[str, str]] = []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or key not in OPTIONS[kind] or not value:
            allowed = ", ".join(f"{k}=..." for k in sorted(OPTIONS[kind])) or "none"
            return (), f"'{word}' is not an option of a {kind} block (options: {allowed})"
        if key == "error" and not all(CODE.fullmatch(c) for c in value.split(",")):
            return (), f"'{value}' is not a list of codes such as E401 or E101,E201"
        out.append((key, value))
    return tuple(out), None


def load_docs(root: Path = ROOT) -> list[Doc]:
    paths = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    return [Doc(p.name, extract(p.read_text(encoding="utf-8"), p.name)) for p in paths if p.is_file()]


# ---- running one block -----------------------------------------------------------


def check_block(block: Block, doc: Doc) -> None:
    """Run one block; fail (pytest.fail) with a readable message if it does not hold."""
    if block.problem:
        pytest.fail(f"{block.id}: {block.problem}", pytrace=False)
    if block.kind == "star":
        _check_star(block)
    elif block.kind == "pycon":
        _check_pycon(block, doc)


def _check_star(block: Block) -> None:
    codes = [c for key, value in block.options if key == "error" for c in value.split(",")]
    try:
        scheme = starrules.loads(block.text, block.id)
    except (StarSyntaxError, StarCheckError) as exc:
        found = [d.code for d in exc.diagnostics]
        if not codes:
            pytest.fail(f"{block.id}: the example does not load:\n{exc.render()}", pytrace=False)
        missing = [c for c in codes if c not in found]
        if missing:
            pytest.fail(f"{block.id}: expected {', '.join(missing)} among the diagnostics, "
                        f"got {', '.join(found)}:\n{exc.render()}", pytrace=False)
        return
    if codes:
        pytest.fail(f"{block.id}: the example should fail with {', '.join(codes)} but loads clean",
                    pytrace=False)
    if scheme.warnings:
        shown = "\n".join(f"{w.code}: {w.message}" for w in scheme.warnings)
        pytest.fail(f"{block.id}: the example loads with warnings:\n{shown}", pytrace=False)


def _run_session(block: Block, globs: dict[str, object]) -> tuple[int, int, str]:
    """(examples, failures, report) of one pycon block run in ``globs``."""
    test = doctest.DocTestParser().get_doctest(block.text, globs, block.id, block.source, block.line)
    runner = doctest.DocTestRunner(verbose=False, optionflags=DOCTEST_FLAGS)
    out = io.StringIO()
    with contextlib.chdir(ROOT):
        runner.run(test, out=out.write, clear_globs=False)
    globs.update(test.globs)  # DocTest works on a copy: carry the session's names over
    return len(test.examples), runner.failures, out.getvalue()


def _check_pycon(block: Block, doc: Doc) -> None:
    order = doc.sessions
    index = order.index(block)
    if doc.done != index:  # run out of order (e.g. with -k): replay the earlier sessions
        doc.session, doc.done = {}, 0
        for earlier in order[:index]:
            _run_session(earlier, doc.session)
            doc.done += 1
    examples, failures, report = _run_session(block, doc.session)
    doc.done = index + 1
    if examples == 0:
        pytest.fail(f"{block.id}: a pycon block with no '>>>' example", pytrace=False)
    if failures:
        pytest.fail(f"{block.id}: {failures} of {examples} examples failed\n{report}", pytrace=False)


# ---- the documentation's examples ------------------------------------------------

DOCS = load_docs()
CASES = [(doc, b) for doc in DOCS for b in doc.blocks if b.runs or b.problem]


@pytest.mark.parametrize(("doc", "block"), CASES, ids=[b.id for _, b in CASES])
def test_example(doc: Doc, block: Block) -> None:
    check_block(block, doc)


def test_language_reference_has_examples() -> None:
    """The reference exists and shows every kind of example (an empty list of cases
    would otherwise pass in silence)."""
    (ref,) = [d for d in DOCS if d.source == "language.md"]
    kinds = {(b.kind, bool(b.options)) for b in ref.blocks}
    assert {("star", False), ("star", True), ("pycon", False)} <= kinds


def test_every_diagnostic_code_is_documented() -> None:
    """Each diagnostic code the library can give is listed in the reference."""
    sources = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "starrules").rglob("*.py")))
    codes = set(re.findall(r'"([EW]\d{3})"', sources))
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    missing = sorted(c for c in codes if f"`{c}`" not in text)
    assert not missing, f"codes not documented in docs/language.md: {missing}"


# ---- self-tests: the extractor and runner catch broken examples ------------------

SAMPLE = """\
# title

<!--
```star
not a scheme: inside an HTML comment
```
-->

```star
scheme "甲"
levels stars 0..1
input 分 : score 0..10
band 分 { 1: [6, ..)  0: else }
```

```star error=E401
scheme "乙"
levels stars 0..1
input 分 : score 0..10
band 分 { 1: [6, ..)  0: (.., 5) }
```

````text
```star
shown, not run
```
````

```sh
starrules check 方案.star
```

```pycon
>>> import starrules
>>> s = starrules.loads('''
... scheme "甲"
... levels stars 0..1
... input 分 : score 0..10
... band 分 { 1: [6, ..)  0: else }
... ''')
```

```pycon
>>> s.evaluate({"分": 6}).level
1
```
"""


def _doc(markdown: str, name: str) -> Doc:
    return Doc(name, extract(markdown, name))


def test_extractor_finds_blocks_lines_and_options() -> None:
    blocks = extract(SAMPLE, "sample.md")
    assert [(b.kind, b.line, b.options) for b in blocks] == [
        ("star", 9, ()),
        ("star", 16, (("error", "E401"),)),
        ("text", 23, ()),
        ("sh", 29, ()),
        ("pycon", 33, ()),
        ("pycon", 43, ()),
    ]
    assert blocks[0].text.startswith('scheme "甲"\n') and blocks[0].text.endswith("else }\n")
    assert blocks[2].text == '```star\nshown, not run\n```\n'
    assert [b.id for b in blocks if b.runs] == ["sample.md:9", "sample.md:16", "sample.md:33", "sample.md:43"]
    assert all(b.problem is None for b in blocks)


def test_good_sample_passes_and_sessions_share_a_namespace() -> None:
    doc = _doc(SAMPLE, "good.md")
    for block in doc.blocks:
        check_block(block, doc)
    # run alone, the second session replays the first
    alone = _doc(SAMPLE, "alone.md")
    check_block(alone.sessions[1], alone)


BROKEN = {
    "syntax error": '```star\nscheme "甲"\nlevels stars 0..1\nband 分 { 1: [6, ..) 0: else\n```\n',
    "unknown name": '```star\nscheme "甲"\nlevels stars 0..1\nband 总分 { 1: [6, ..) 0: else }\n```\n',
    "error block that loads": '```star error=E401\nscheme "甲"\nlevels stars 0..1\n'
                              'input 分 : score 0..10\nband 分 { 1: [6, ..) 0: else }\n```\n',
    "error block with another code": '```star error=E402\nscheme "甲"\nlevels stars 0..1\n'
                                     'input 分 : score 0..10\nband 分 { 1: [6, ..) 0: (.., 5) }\n```\n',
    "wrong value in a session": '```pycon\n>>> 1 + 1\n3\n```\n',
    "exception in a session": '```pycon\n>>> import starrules\n>>> starrules.loads("scheme")\n```\n',
    "session using a name never defined": '```pycon\n>>> scheme.evaluate({})\n```\n',
    "empty session": '```pycon\nprint(1)\n```\n',
    "fence never closed": '```star\nscheme "甲"\n',
    "unknown option": '```star eror=E401\nscheme "甲"\n```\n',
    "malformed code": '```star error=401\nscheme "甲"\n```\n',
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_examples_fail(name: str) -> None:
    doc = _doc(BROKEN[name], f"broken-{name}.md")
    (block,) = doc.blocks
    with pytest.raises(pytest.fail.Exception):
        check_block(block, doc)


def _kinds(blocks: Iterable[Block]) -> list[str]:
    return [b.kind for b in blocks]


def test_other_languages_are_not_run() -> None:
    text = "```text\nnot a scheme\n```\n\n```\nno info\n```\n\n```python\nraise SystemExit\n```\n"
    doc = _doc(text, "others.md")
    assert _kinds(doc.blocks) == ["text", "", "python"]
    assert not any(b.runs for b in doc.blocks)
