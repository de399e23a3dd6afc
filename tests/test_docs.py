"""Every example in README.md and docs/*.md is run, so the documentation cannot rot.

The convention (written for authors at the top of docs/language.md):

* a fenced block whose info string is ``star`` is a complete scheme: it must load with
  ``starrules.loads`` with no error and no warning;
* ``star error=E401`` (or ``error=E101,E201``): the scheme must fail to load with a
  StarSyntaxError or StarCheckError whose diagnostics include every code named;
* ``star warn=W301`` (or ``warn=W401,W502``): the scheme must load with no error, with
  every warning named among its warnings and no other warning;
* ``star error=E504 warn=W401``: the scheme must fail to load with the errors named, and
  the warnings named must come with them (a warning about the same slip);
* ``text check-output``, directly after a star block (only blank lines between): what
  ``starrules check 示例.star`` prints (stderr and stdout) for that star block written to
  a file of that name in an empty directory, compared line by line with trailing
  whitespace stripped; in English, or in Chinese with ``lang=zh`` (``text check-output
  lang=zh``). Several check-output blocks may follow one star block (one per language),
  each directly after the one before;
* ``pycon``: a Python session, run with :mod:`doctest` from the repository's root.
  The pycon blocks of one file share one namespace, in the order of the file, so a
  session can use a scheme loaded in an earlier one;
* any other info string (``sh``, ``text`` without options, none) is not run.

One test per block, with an id such as ``language.md:123`` (the line of the opening
fence). docs/diagnostics.md is held to its plan as well: a section for every code the
library can give, each with a wrong example, its output and a corrected example. The
self-tests at the end hold the extractor, the runner and that plan to the convention:
a broken example must fail.
"""

from __future__ import annotations

import contextlib
import difflib
import doctest
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

import starrules
from starrules import cli
from starrules.checker import check as check_tree
from starrules.errors import StarCheckError, StarSyntaxError
from starrules.parser import parse

ROOT = Path(__file__).resolve().parent.parent
RUN_KINDS = ("star", "pycon")
# options written key=value, and flags written alone; a text block runs only as check-output
OPTIONS = {"star": {"error", "warn"}, "pycon": set(), "text": {"lang"}}
FLAGS = {"star": set(), "pycon": set(), "text": {"check-output"}}
OPTION_CODES = {"error": re.compile(r"E\d{3}"), "warn": re.compile(r"W\d{3}")}
LANGUAGES = ("en", "zh")  # of a check-output block: lang=zh, English without it
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
CHECKED_FILE = "示例.star"  # the name check-output blocks show the star block under

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
    end: int = 0  # the line of the closing fence
    subject: Block | None = None  # for a check-output block: the star block it shows

    @property
    def id(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.kind in RUN_KINDS or self.check_output

    @property
    def check_output(self) -> bool:
        return self.kind == "text" and ("check-output", "") in self.options

    @property
    def lang(self) -> str:
        """The language of a check-output block: ``lang=zh``, else English."""
        return dict(self.options).get("lang", "en")

    def codes(self, key: str) -> list[str]:
        """The codes named by an option (error= or warn=), in the order written."""
        return [c for k, value in self.options if k == key for c in value.split(",")]


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

    A fence left open, an option a kind does not take, or a check-output block that does
    not directly follow a star block gives a block with a ``problem``, which fails its
    test rather than being silently skipped.
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
        block = Block(source, i + 1, kind, options, "\n".join(body) + "\n", problem, end=j + 1)
        if block.check_output:
            block = _attach(block, blocks[-1] if blocks else None, lines)
        blocks.append(block)
        i = j + 1
    return blocks


def _attach(block: Block, previous: Block | None, lines: Sequence[str]) -> Block:
    """A check-output block with the star block it shows, or with a problem."""
    between = lines[previous.end:block.line - 1] if previous is not None else ["(no block)"]
    if previous is not None and previous.check_output and previous.subject is not None \
            and not any(x.strip() for x in between):
        return replace(block, subject=previous.subject)  # the same star block, in another language
    if previous is None or previous.kind != "star" or any(x.strip() for x in between):
        return replace(block, problem=block.problem or "a check-output block must come directly after "
                       "a star block, with only blank lines between")
    return replace(block, subject=previous)


def _options(kind: str, words: Sequence[str]) -> tuple[tuple[tuple[str, str], ...], str | None]:
    if kind not in OPTIONS:
        return (), None
    out: list[tuple[str, str]] = []
    for word in words:
        key, eq, value = word.partition("=")
        if key in FLAGS[kind] and not eq:
            out.append((key, ""))
            continue
        if not eq or key not in OPTIONS[kind] or not value:
            allowed = ", ".join([f"{k}=..." for k in sorted(OPTIONS[kind])] + sorted(FLAGS[kind])) or "none"
            return (), f"'{word}' is not an option of a {kind} block (options: {allowed})"
        if key == "lang" and value not in LANGUAGES:
            return (), f"'{value}' is not a language of the output (lang= takes {' or '.join(LANGUAGES)})"
        pattern = OPTION_CODES.get(key)
        if pattern is not None and not all(pattern.fullmatch(c) for c in value.split(",")):
            letter = pattern.pattern[0]
            return (), (f"'{value}' is not a list of codes such as {letter}401 or "
                        f"{letter}101,{letter}201 ({key}= takes {letter} codes)")
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
    elif block.check_output:
        _check_output(block)


def _check_star(block: Block) -> None:
    codes = block.codes("error")
    warned = block.codes("warn")
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
        given = diagnostics_of(block.text)  # with the errors, the warnings that come with them
        unseen = [c for c in warned if c not in given]
        if unseen:
            pytest.fail(f"{block.id}: expected the warning {', '.join(unseen)} with the errors, "
                        f"got {', '.join(given)}", pytrace=False)
        return
    if codes:
        pytest.fail(f"{block.id}: the example should fail with {', '.join(codes)} but loads clean",
                    pytrace=False)
    shown = "\n".join(f"{w.code}: {w.message}" for w in scheme.warnings)
    warnings = {w.code for w in scheme.warnings}
    missing = [c for c in warned if c not in warnings]
    if missing:
        pytest.fail(f"{block.id}: expected the warning {', '.join(missing)}, got "
                    f"{', '.join(sorted(warnings)) or 'none'}:\n{shown}", pytrace=False)
    others = sorted(warnings - set(warned))
    if others:
        pytest.fail(f"{block.id}: the example loads with warnings it does not name "
                    f"({', '.join(others)}):\n{shown}", pytrace=False)


def check_output(text: str, lang: str = "en") -> str:
    """What ``starrules check 示例.star`` prints (stderr and stdout, in order) for a scheme,
    run with ``STARRULES_LANG=lang``."""
    out = io.StringIO()
    with tempfile.TemporaryDirectory() as tmp, _language(lang):
        (Path(tmp) / CHECKED_FILE).write_text(text, encoding="utf-8")
        with contextlib.chdir(tmp), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            cli.main(["check", CHECKED_FILE])
    return out.getvalue()


@contextlib.contextmanager
def _language(lang: str) -> Iterator[None]:
    """The command run as with ``STARRULES_LANG=lang`` in its environment."""
    before = os.environ.get("STARRULES_LANG")
    os.environ["STARRULES_LANG"] = lang
    try:
        yield
    finally:
        if before is None:
            del os.environ["STARRULES_LANG"]
        else:
            os.environ["STARRULES_LANG"] = before


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def _check_output(block: Block) -> None:
    assert block.subject is not None  # extract() gives a problem otherwise
    printed = check_output(block.subject.text, block.lang)
    if _lines(printed) != _lines(block.text):
        diff = "\n".join(difflib.unified_diff(_lines(block.text), _lines(printed), "the block",
                                              "starrules check", lineterm=""))
        pytest.fail(f"{block.id}: `STARRULES_LANG={block.lang} starrules check {CHECKED_FILE}` on the star block of line "
                    f"{block.subject.line} prints something else:\n{diff}\n\nIt prints:\n{printed}",
                    pytrace=False)


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


def library_codes(root: Path = ROOT) -> set[str]:
    """Every diagnostic code the library can give: each "E..." or "W..." in its source."""
    sources = "".join(p.read_text(encoding="utf-8") for p in sorted((root / "starrules").rglob("*.py")))
    return set(re.findall(r'"([EW]\d{3})"', sources))


def test_every_diagnostic_code_is_documented() -> None:
    """Each diagnostic code the library can give is listed in the reference."""
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    missing = sorted(c for c in library_codes() if f"`{c}`" not in text)
    assert not missing, f"codes not documented in docs/language.md: {missing}"


# ---- docs/diagnostics.md: a section for every code ---------------------------------

_SECTION = re.compile(r"^## (?P<code>[EW]\d{3})\b")


def code_order(code: str) -> tuple[str, str, str]:
    """The order of the sections: by family (the first digit), a family's errors before
    its warnings, then by number: E001, E101, ..., E205, W201, E301, ..., W305, E401, ..."""
    return code[1], code[0], code[2:]


def diagnostics_of(text: str) -> list[str]:
    """The codes of every diagnostic of a scheme, errors and warnings, as check gives them."""
    try:
        return [d.code for d in check_tree(parse(text, CHECKED_FILE))]
    except (StarSyntaxError, StarCheckError) as exc:
        return [d.code for d in exc.diagnostics]


def plan_problems(markdown: str, codes: Iterable[str], source: str = "diagnostics.md") -> list[str]:
    """Where a page of diagnostics falls short of its plan: a section '## CODE: ...' for
    every code, in code_order, none for a code the library does not give; in each, at
    least one wrong example (star error=CODE, or warn=CODE for a warning) followed by its
    check-output in each language (Chinese, lang=zh, and English), which gives exactly the
    codes it names, and one corrected example (a plain star block)."""
    blocks = extract(markdown, source)
    inside = {n for b in blocks for n in range(b.line, b.end + 1)}
    heads = [(n, line) for n, line in enumerate(markdown.splitlines(), start=1)
             if line.startswith("## ") and n not in inside]
    sections: list[tuple[str, int, int]] = []  # code, first line, last line
    for (n, line), (after, _) in zip(heads, heads[1:] + [(len(markdown.splitlines()) + 1, "")], strict=True):
        m = _SECTION.match(line)
        if m:
            sections.append((m["code"], n, after - 1))
    found = [code for code, _, _ in sections]
    problems = [f"{c}: no section '## {c}: ...'" for c in sorted(set(codes) - set(found), key=code_order)]
    problems += [f"{c}: a section for a code the library does not give" for c in sorted(set(found) - set(codes))]
    problems += [f"{c}: more than one section" for c in sorted({c for c in found if found.count(c) > 1})]
    if found != sorted(found, key=code_order):
        problems.append("the sections are not in order; expected " + ", ".join(sorted(found, key=code_order)))
    for code, first, last in sections:
        mine = [b for b in blocks if first <= b.line <= last]
        key = "warn" if code.startswith("W") else "error"
        wrong = [b for b in mine if b.kind == "star" and code in b.codes(key)]
        if not wrong:
            problems.append(f"{code}: no wrong example (a block fenced ```star {key}={code})")
        for w in wrong:
            for lang in LANGUAGES:
                if not any(b.check_output and b.subject == w and b.lang == lang for b in mine):
                    fence = "```text check-output" + (f" lang={lang}" if lang != "en" else "")
                    problems.append(f"{code}: the wrong example of line {w.line} is not followed by {fence}")
            named, given = set(w.codes("error") + w.codes("warn")), set(diagnostics_of(w.text))
            if given != named:
                problems.append(f"{code}: the wrong example of line {w.line} gives {', '.join(sorted(given))} "
                                f"but names {', '.join(sorted(named))}")
        if not any(b.kind == "star" and not b.options for b in mine):
            problems.append(f"{code}: no corrected example (a block fenced ```star)")
    return problems


def test_diagnostics_page_has_a_section_for_every_code() -> None:
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    problems = plan_problems(text, library_codes())
    assert not problems, "docs/diagnostics.md:\n" + "\n".join(problems)


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

```star warn=W301
scheme "丙"
levels stars 0..1
input 分 : score 0..10
input 备用 : count
band 分 { 1: [6, ..)  0: else }
```

```text check-output
warning[W301]: the input '备用' is declared but nothing reads it
  --> 示例.star:4:7
   |
 4 | input 备用 : count
   |       ^^^^
  = hint: use it in a score or a rule, or remove it (a column to carry along: declare it text)

示例.star: ok, 1 warning(s)
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
        ("star", 48, (("warn", "W301"),)),
        ("text", 56, (("check-output", ""),)),
    ]
    assert blocks[0].text.startswith('scheme "甲"\n') and blocks[0].text.endswith("else }\n")
    assert blocks[2].text == '```star\nshown, not run\n```\n'
    assert [b.id for b in blocks if b.runs] == ["sample.md:9", "sample.md:16", "sample.md:33", "sample.md:43",
                                                "sample.md:48", "sample.md:56"]
    assert all(b.problem is None for b in blocks)
    assert blocks[7].subject == blocks[6] and all(b.subject is None for b in blocks[:7])
    assert blocks[6].codes("warn") == ["W301"] and blocks[1].codes("error") == ["E401"]


def test_good_sample_passes_and_sessions_share_a_namespace() -> None:
    doc = _doc(SAMPLE, "good.md")
    for block in doc.blocks:
        check_block(block, doc)
    # run alone, the second session replays the first
    alone = _doc(SAMPLE, "alone.md")
    check_block(alone.sessions[1], alone)


CLEAN = 'scheme "甲"\nlevels stars 0..1\ninput 分 : score 0..10\nband 分 { 1: [6, ..) 0: else }\n'
UNUSED = 'scheme "甲"\nlevels stars 0..1\ninput 分 : score 0..10\ninput 备用 : count\nband 分 { 1: [6, ..) 0: else }\n'
TWO_WARNINGS = UNUSED + "score 闲置 = 分\n"  # W301 and W302
UNKNOWN = 'scheme "甲"\nlevels stars 0..1\nband 总分 { 1: [6, ..) 0: else }\n'


def _fence(info: str, text: str) -> str:
    return f"```{info}\n{text}```\n"


# two stars are out of reach of 分 (0..10): W401, and the enforced quota on them, E504
UNREACHED = ('scheme "甲"\nlevels stars 0..2\ninput 分 : score 0..10\nband 分 { 2: [20, ..) 1: [6, 20) 0: else }\n'
             'quota "二星" { level 2 at least 1 }\n')


def test_an_error_block_may_name_the_warnings_that_come_with_it() -> None:
    doc = _doc(_fence("star error=E504 warn=W401", UNREACHED), "both.md")
    (block,) = doc.blocks
    check_block(block, doc)


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
    "plain block with a warning": _fence("star", UNUSED),
    "error block naming a warning": _fence("star error=W301", UNUSED),
    "warn block that loads clean": _fence("star warn=W301", CLEAN),
    "warn block with another warning": _fence("star warn=W302", UNUSED),
    "warn block with a warning it does not name": _fence("star warn=W301", TWO_WARNINGS),
    "warn block that does not load": _fence("star warn=W301", UNKNOWN),
    "warn block naming an error": _fence("star warn=E101", UNKNOWN),
    "malformed warning code": _fence("star warn=301", UNUSED),
    "error block naming a warning that does not come": _fence("star error=E101 warn=W301", UNKNOWN),
    "error block naming a warning of another code": _fence("star error=E504 warn=W302", UNREACHED),
    "check-output that differs": _fence("star error=E101", UNKNOWN)
    + "\n" + _fence("text check-output", "error[E101]: '总分' is not defined\n\n示例.star: 1 error(s)\n"),
    "check-output missing its last line": _fence("star warn=W301", UNUSED) + "\n"
    + _fence("text check-output", "".join(line + "\n" for line in SAMPLE.split("```text check-output\n")[1]
                                         .split("```")[0].splitlines()[:-1])),
    "check-output of a clean scheme left empty": _fence("star", CLEAN) + "\n" + _fence("text check-output", ""),
    "check-output with no star block": _fence("text check-output", "示例.star: ok\n"),
    "check-output after a pycon block": '```pycon\n>>> 1\n1\n```\n\n' + _fence("text check-output", "1\n"),
    "check-output with prose between": _fence("star", CLEAN) + "\nIt prints:\n\n"
    + _fence("text check-output", "示例.star: ok\n"),
    "check-output misspelt": _fence("star", CLEAN) + "\n" + _fence("text check-ouput", "示例.star: ok\n"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_examples_fail(name: str) -> None:
    """The last block of each sample fails; the blocks before it (a check-output's star
    block) pass, so it is the block under test that is caught."""
    doc = _doc(BROKEN[name], f"broken-{name}.md")
    *before, block = doc.blocks
    for earlier in before:
        check_block(earlier, doc)
    with pytest.raises(pytest.fail.Exception):
        check_block(block, doc)


def test_check_output_of_a_clean_scheme() -> None:
    """The same blocks pass when the output is the command's own."""
    doc = _doc(_fence("star", CLEAN) + "\n\n" + _fence("text check-output", "示例.star: ok  \n"), "clean.md")
    for block in doc.blocks:
        check_block(block, doc)
    assert doc.blocks[1].runs and doc.blocks[1].subject == doc.blocks[0]


def test_check_output_in_each_language() -> None:
    """A second check-output block after the first shows the same star block; lang=zh runs
    the command in Chinese, and the English block does not pass for the Chinese one."""
    zh = check_output(UNKNOWN, "zh")
    en = check_output(UNKNOWN, "en")
    assert "错误[E101]" in zh and "error[E101]" in en  # the library's own words, in each language
    doc = _doc(_fence("star error=E101", UNKNOWN) + "\n" + _fence("text check-output lang=zh", zh) + "\n"
               + _fence("text check-output", en), "both.md")
    for block in doc.blocks:
        check_block(block, doc)
    assert doc.blocks[1].subject == doc.blocks[2].subject == doc.blocks[0]
    assert [b.lang for b in doc.blocks[1:]] == ["zh", "en"]
    swapped = _doc(_fence("star error=E101", UNKNOWN) + "\n" + _fence("text check-output lang=zh", en), "swapped.md")
    with pytest.raises(pytest.fail.Exception):
        check_block(swapped.blocks[1], swapped)
    unknown = _doc(_fence("star error=E101", UNKNOWN) + "\n" + _fence("text check-output lang=fr", en), "fr.md")
    assert unknown.blocks[1].problem is not None and "lang=" in unknown.blocks[1].problem


# ---- self-tests: the plan of docs/diagnostics.md ------------------------------------

WRONG_E101 = (_fence("star error=E101", UNKNOWN) + "\n" + _fence("text check-output lang=zh", "...\n") + "\n"
              + _fence("text check-output", "...\n"))
RIGHT = _fence("star", CLEAN)
WRONG_W301 = (_fence("star warn=W301", UNUSED) + "\n" + _fence("text check-output lang=zh", "...\n") + "\n"
              + _fence("text check-output", "...\n"))
PLAN = f"# 诊断\n\n## E101: 未声明\n\n{WRONG_E101}\n{RIGHT}\n## W301: 未使用\n\n{WRONG_W301}\n{RIGHT}"


def test_plan_of_a_good_page_holds() -> None:
    assert plan_problems(PLAN, {"E101", "W301"}) == []


def test_a_code_added_to_the_library_needs_a_section(tmp_path: Path) -> None:
    """A new code in starrules/ without a section in diagnostics.md fails the plan."""
    (tmp_path / "starrules").mkdir()
    (tmp_path / "starrules" / "new.py").write_text('self.error("E999", span, "新的问题")\n', encoding="utf-8")
    codes = library_codes() | library_codes(tmp_path)
    assert "E999" in codes
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    assert plan_problems(text, codes) == ["E999: no section '## E999: ...'"]


PLAN_BROKEN = {
    "a section missing": (PLAN.split("## W301")[0], "W301: no section"),
    "a section for a code the library does not give": (PLAN.replace("E101", "E109"), "E109: a section for a code"),
    "a section twice": (PLAN + "\n## E101: again\n\n" + WRONG_E101 + "\n" + RIGHT, "E101: more than one section"),
    "sections out of order": ("# x\n\n## W301: 未使用\n\n" + WRONG_W301 + "\n" + RIGHT + "\n## E101: 未声明\n\n"
                              + WRONG_E101 + "\n" + RIGHT, "not in order"),
    "no wrong example": (PLAN.replace(WRONG_E101, ""), "E101: no wrong example"),
    "a wrong example naming another code": (PLAN.replace("warn=W301", "warn=W302"), "W301: no wrong example"),
    "no output after a wrong example": (PLAN.replace(WRONG_W301, _fence("star warn=W301", UNUSED)),
                                        "W301: the wrong example of line"),
    "no Chinese output after a wrong example": (
        PLAN.replace(WRONG_W301, _fence("star warn=W301", UNUSED) + "\n" + _fence("text check-output", "...\n")),
        "is not followed by ```text check-output lang=zh"),
    "a wrong example giving a code it does not name": (PLAN.replace(UNUSED, TWO_WARNINGS),
                                                       "gives W301, W302 but names W301"),
    "no corrected example": (PLAN.replace(RIGHT, ""), "E101: no corrected example"),
}


@pytest.mark.parametrize("name", list(PLAN_BROKEN))
def test_plan_catches_a_page_that_falls_short(name: str) -> None:
    markdown, expected = PLAN_BROKEN[name]
    problems = plan_problems(markdown, {"E101", "W301"})
    assert any(expected in p for p in problems), problems


def _kinds(blocks: Iterable[Block]) -> list[str]:
    return [b.kind for b in blocks]


def test_other_languages_are_not_run() -> None:
    text = "```text\nnot a scheme\n```\n\n```\nno info\n```\n\n```python\nraise SystemExit\n```\n"
    doc = _doc(text, "others.md")
    assert _kinds(doc.blocks) == ["text", "", "python"]
    assert not any(b.runs for b in doc.blocks)
