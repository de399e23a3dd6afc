"""The tutorials (docs/tutorial.zh.md and docs/tutorial.en.md) are run as a reader would.

Every file the reader writes and every command the reader types is in a fenced block,
and this test replays them in order in an empty folder:

* ```starrules file=教程/村支部.star (any language word, with ``file=PATH``): the whole
  file as it stands at that step. It is written at PATH; a later block of the same file
  replaces the earlier content, so the reader always sees the whole file;
* ```sh: commands, one a line, each starting with ``starrules ``. Each is run through
  ``starrules.cli.main`` in the folder. The exit code must be 0, or the one written at
  the end of the line as ``# exit 1``;
* ```text right after an ``sh`` block: what the commands print (standard output, then
  standard error, the folder's path taken out). The block must be exactly that output,
  except that a line ``...`` stands for any number of lines left out;
* ```csv output=教程/结果.csv (any language word, with ``output=PATH``): what a
  command wrote to PATH, compared in the same way.

Any other fenced block fails the test: a tutorial shows nothing that is not run. Each
tutorial is replayed in its readers' language (the Chinese one as the program speaks on a
Chinese machine, by default). Both must hold the same files and commands in the same
order (the prose and what the commands print differ), the final
scheme must mean what schemes/cun-zhibu.star means for the items it keeps, and the 公示
table of each tutorial must be what the published results say.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

import starrules
from starrules.cli import main
from starrules.data import read_rows
from starrules.examples import run_examples
from starrules.i18n import using

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ("tutorial.zh.md", "tutorial.en.md")
SCHEME_PATH = "教程/村支部.star"
DATA_PATH = "教程/村支部.csv"

_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_EXIT = re.compile(r"\s+#\s*exit\s+(?P<code>\d+)\s*$")
ELLIPSIS = ("...", "…")


@dataclass(frozen=True)
class Block:
    """One fenced block of a tutorial, as the replay reads it."""

    source: str
    line: int  # the line of the opening fence, 1-based
    kind: str  # "file", "run", "expect" or "output"
    text: str
    path: str | None = None  # the file written (file) or read (output)
    problem: str | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def same_content(self) -> tuple[str, str | None, str | None]:
        """What both languages hold alike: the files and the commands; of what the
        commands print and write (in the tutorial's language), the place only."""
        return (self.kind, self.path, self.text if self.kind in ("file", "run") else None)


def extract(markdown: str, source: str) -> list[Block]:
    """The fenced blocks of a tutorial, skipping HTML comments; a block of a kind the
    replay does not know comes back with a ``problem``."""
    lines = markdown.splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("<!--"):
            while "-->" not in lines[i] and i + 1 < len(lines):
                i += 1
            i += 1
            continue
        m = _OPEN.match(lines[i])
        if m is None:
            i += 1
            continue
        fence = m["fence"]
        closing = re.compile("^" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            j += 1
        text = "\n".join(lines[i + 1:j]) + "\n"
        blocks.append(_block(source, i + 1, m["info"].split(), text, closed=j < len(lines)))
        i = j + 1
    return blocks


def _block(source: str, line: int, words: list[str], text: str, closed: bool) -> Block:
    if not closed:
        return Block(source, line, "", text, problem="the block is never closed")
    lang = words[0] if words else ""
    options = dict(w.partition("=")[::2] for w in words[1:])
    if lang == "sh" and not options:
        return Block(source, line, "run", text)
    if lang == "text" and not options:
        return Block(source, line, "expect", text)
    if set(options) == {"file"} and options["file"]:
        return Block(source, line, "file", text, options["file"])
    if set(options) == {"output"} and options["output"]:
        return Block(source, line, "output", text, options["output"])
    return Block(source, line, "", text, problem=f"'{' '.join(words)}' is not a block the tutorial's test can run "
                                                  "(sh, text, or a language with file=PATH or output=PATH)")


def load_tutorial(name: str) -> list[Block]:
    return extract((ROOT / "docs" / name).read_text(encoding="utf-8"), name)


# ---- replaying a tutorial --------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    command: str
    code: int
    output: str


def run_command(line: str, folder: Path, lang: str = "en") -> Ran:
    """Run one ``starrules ...`` line through the CLI's main, in ``folder``, speaking
    ``lang`` (as on a machine whose language it is: no --lang on the command line)."""
    out, err = io.StringIO(), io.StringIO()
    argv = shlex.split(line)[1:]
    with contextlib.chdir(folder), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), using(lang):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse refusing the command line
            code = exc.code if isinstance(exc.code, int) else 1
    text = out.getvalue() + err.getvalue()
    text = text.replace(str(folder) + "/", "").replace(str(folder), ".")
    return Ran(line, code, text)


def commands(block: Block) -> list[tuple[str, int]]:
    """The (command, expected exit code) of each line of an ``sh`` block."""
    out: list[tuple[str, int]] = []
    for raw in block.text.splitlines():
        if not raw.strip():
            continue
        m = _EXIT.search(raw)
        line, code = (raw[:m.start()], int(m["code"])) if m else (raw, 0)
        if not line.startswith("starrules "):
            pytest.fail(f"{block.where}: '{raw}' is not a starrules command", pytrace=False)
        out.append((line.strip(), code))
    if not out:
        pytest.fail(f"{block.where}: an sh block with no command", pytrace=False)
    return out


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def mismatch(shown: str, actual: str) -> str | None:
    """Why ``shown`` (a text block) is not ``actual``: None when it is. A line ``...``
    in ``shown`` stands for any number of actual lines, and then its neighbours are
    looked for in order; without one, the two must be equal line for line."""
    want, got = _lines(shown), _lines(actual)
    segments: list[list[str]] = [[]]
    for line in want:
        if line.strip() in ELLIPSIS:
            segments.append([])
        else:
            segments[-1].append(line)
    if len(segments) == 1:
        return None if want == got else f"the output differs, from line {_first_difference(want, got) + 1}"
    pos = 0
    for k, seg in enumerate(segments):
        if not seg:
            continue
        if k == 0:  # before the first '...': the output starts with it
            if got[:len(seg)] != seg:
                return f"the output differs, from line {_first_difference(seg, got) + 1}"
            pos = len(seg)
            continue
        last = k == len(segments) - 1
        starts = [s for s in range(pos, len(got) - len(seg) + 1) if got[s:s + len(seg)] == seg]
        if last:  # after the last '...': the output ends with it
            starts = [s for s in starts if s + len(seg) == len(got)]
        if not starts:
            return f"not found in order{' at the end' if last else ''}: {seg[0]!r}"
        pos = starts[0] + len(seg)
    return None


def _first_difference(want: list[str], got: list[str]) -> int:
    return next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))


def _fail(block: Block, why: str, shown: str, actual: str) -> None:
    pytest.fail(f"{block.where}: {why}\n--- the tutorial shows:\n{shown}--- the command printed:\n{actual}",
                pytrace=False)


def replay(blocks: list[Block], folder: Path, lang: str = "en") -> list[Ran]:
    """Write each file and run each command of a tutorial in ``folder``, in order, in
    the tutorial's language, failing at the first block that does not hold."""
    ran: list[Ran] = []
    pending: tuple[Block, str] | None = None  # an sh block still waiting for its text block
    unused: dict[str, Block] = {}  # files written that no command has read yet
    for block in blocks:
        if block.problem:
            pytest.fail(f"{block.where}: {block.problem}", pytrace=False)
        if pending and block.kind != "expect":
            pytest.fail(f"{pending[0].where}: the commands are not followed by a text block showing their output",
                        pytrace=False)
        if block.kind == "file":
            assert block.path is not None
            if block.path in unused:
                pytest.fail(f"{unused[block.path].where}: no command reads this version of {block.path}", pytrace=False)
            unused[block.path] = block
            target = folder / block.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
        elif block.kind == "run":
            printed = []
            for line, code in commands(block):
                for path in set(unused) & set(shlex.split(line)):
                    del unused[path]
                result = run_command(line, folder, lang)
                ran.append(result)
                if result.code != code:
                    pytest.fail(f"{block.where}: '{line}' exited with {result.code}, not {code}:\n{result.output}",
                                pytrace=False)
                printed.append(result.output)
            pending = (block, "".join(printed))
        elif block.kind == "expect":
            if pending is None:
                pytest.fail(f"{block.where}: a text block that follows no command", pytrace=False)
            why = mismatch(block.text, pending[1])
            if why:
                _fail(block, why, block.text, pending[1])
            pending = None
        elif block.kind == "output":
            assert block.path is not None
            target = folder / block.path
            if not target.is_file():
                pytest.fail(f"{block.where}: no command wrote {block.path}", pytrace=False)
            written = target.read_text(encoding="utf-8-sig")
            why = mismatch(block.text, written)
            if why:
                _fail(block, f"{block.path}: {why}", block.text, written)
    if pending:
        pytest.fail(f"{pending[0].where}: the commands are not followed by a text block showing their output",
                    pytrace=False)
    for path, block in unused.items():
        pytest.fail(f"{block.where}: no command reads this version of {path}", pytrace=False)
    return ran


# ---- the tutorials ---------------------------------------------------------------


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs(name: str, tmp_path: Path) -> None:
    blocks = load_tutorial(name)
    ran = replay(blocks, tmp_path, "zh" if name == "tutorial.zh.md" else "en")  # each in its readers' language
    kinds = {b.kind for b in blocks}
    assert {"file", "run", "expect", "output"} <= kinds
    used = {r.command.split()[1] for r in ran}
    assert {"check", "test", "run", "explain"} <= used
    assert any(r.code == 1 for r in ran), "the tutorial shows no mistake"


def test_both_languages_show_the_same_files_and_commands() -> None:
    zh, en = (load_tutorial(name) for name in TUTORIALS)
    assert [b.same_content() for b in zh] == [b.same_content() for b in en]


def final_version(path: str) -> str:
    """The last version of a file the (Chinese) tutorial writes."""
    texts = [b.text for b in load_tutorial(TUTORIALS[0]) if b.kind == "file" and b.path == path]
    assert texts, f"the tutorial never writes {path}"
    return texts[-1]


def test_final_scheme_is_clean_and_its_examples_pass() -> None:
    scheme = starrules.loads(final_version(SCHEME_PATH), SCHEME_PATH)
    assert not scheme.warnings
    outcomes = run_examples(scheme)
    assert len(outcomes) >= 3 and all(o.passed for o in outcomes)


# The tutorial keeps three of the five items of schemes/cun-zhibu.star. Give a village of
# the tutorial's data the two other items at 100 (both raters): under cun-zhibu.star it
# then wins those two stars, so it must come out with two stars more, the same flags, and
# invalid for the same reason.
EXTRA = {"民主管理自评": "100", "民主管理考评": "100", "经济发展自评": "100", "经济发展考评": "100"}


def test_final_scheme_means_what_cun_zhibu_means(tmp_path: Path) -> None:
    tutorial = starrules.loads(final_version(SCHEME_PATH), SCHEME_PATH)
    full = starrules.load(ROOT / "schemes" / "cun-zhibu.star")
    data = tmp_path / "data.csv"
    data.write_text(final_version(DATA_PATH), encoding="utf-8")
    _, rows = read_rows(str(data), None)
    # the data of the tutorial's first run too: it has the invalid values
    assert len(rows) >= 8
    for row in rows:
        small = tutorial.evaluate(row.values, trace=False)
        big = full.evaluate(row.values | EXTRA, trace=False)
        assert (small.status, small.reason) == (big.status, big.reason), row.values
        if small.rated:
            assert big.level == small.level + 2
            assert big.flags == small.flags
            assert set(big.badges) == set(small.badges) | {"民主管理星", "经济发展星"}
    statuses = {tutorial.evaluate(r.values, trace=False).status for r in rows}
    assert statuses == {"rated", "invalid"}


def test_first_data_has_bad_values_like_cun_zhibu(tmp_path: Path) -> None:
    """The first data file (before the reader fixes it) has rows with bad values: they
    are refused by both schemes with the same message."""
    texts = [b.text for b in load_tutorial(TUTORIALS[0]) if b.kind == "file" and b.path == DATA_PATH]
    assert len(texts) >= 2
    data = tmp_path / "first.csv"
    data.write_text(texts[0], encoding="utf-8")
    _, rows = read_rows(str(data), None)
    tutorial = starrules.loads(final_version(SCHEME_PATH), SCHEME_PATH)
    full = starrules.load(ROOT / "schemes" / "cun-zhibu.star")
    small = tutorial.rate([r.values for r in rows])
    big = full.rate([r.values | EXTRA for r in rows])
    assert [(o.status, o.reason) for o in small.outcomes] == [(o.status, o.reason) for o in big.outcomes]
    assert any(o.problems for o in small.outcomes)


_ROW = re.compile(r"^\|\s*(?P<id>\S+村党支部)\s*\|\s*(?P<level>[^|]*?)\s*\|\s*(?P<stars>[^|]*?)\s*\|")


@pytest.mark.parametrize("name", TUTORIALS)
def test_notice_table_is_the_published_results(name: str, tmp_path: Path) -> None:
    """The 公示 table each tutorial shows: a row per village, its level (or 暂缓评定 for a
    village not rated) and the stars it won, as the final results give them."""
    markdown = (ROOT / "docs" / name).read_text(encoding="utf-8")
    table = {m["id"]: (m["level"], m["stars"]) for m in map(_ROW.match, markdown.splitlines()) if m}
    scheme = starrules.loads(final_version(SCHEME_PATH), SCHEME_PATH)
    data = tmp_path / "data.csv"
    data.write_text(final_version(DATA_PATH), encoding="utf-8")
    _, rows = read_rows(str(data), None)
    rating = scheme.rate([r.values for r in rows])
    expected = {}
    for o in rating.outcomes:
        assert o.id is not None
        if o.status == "rated":
            assert o.result is not None
            expected[o.id] = (o.level_label, "、".join(o.result.badges) or "—")
        else:
            expected[o.id] = ("暂缓评定", "—")
    assert table == expected


def test_hand_arithmetic_of_the_tutorial() -> None:
    """The sums the tutorial works out by hand, done again in exact decimals."""
    d = Decimal
    assert d("0.3") * d("89.9") + d("0.7") * d("90.1") == d("90.04")
    assert d("0.3") * d("82.3") + d("0.7") * d("93.3") == d("90")
    assert d("0.3") * d("89.5") + d("0.7") * d("90.2") == d("89.99")
    assert d("0.3") * d("80") + d("0.7") * d("94.3") == d("90.01")
    assert d("0.3") * d("100") + d("0.7") * d("85.8") == d("90.06")
    assert d("0.3") * d("66.6") + d("0.7") * d("100") == d("89.98")
    assert d("0.3") * d("95") + d("0.7") * d("89.9") == d("91.43")
    assert d("0.3") * d("88") + d("0.7") * d("91") == d("90.1")
    assert d("0.3") * d("60") + d("0.7") * d("55") == d("56.5")
    assert d("0.1") * 305 == d("30.5")


# ---- self-tests: the replay catches a tutorial that disagrees with the program ---


SAMPLE = """\
# 示例

<!--
```sh
starrules not-run
```
-->

```starrules file=甲/方案.star
scheme "甲"
levels stars 0..1
input 分 : score 0..10
band 分 { 1: [6, ..)  0: (.., 5) }
```

```sh
starrules check 甲/方案.star   # exit 1
```

```text
error[E401]: a score of 5.5 falls in no band (between 0星 (.., 5) and 1星 [6, ..))
...
甲/方案.star: 1 error(s)
```

```starrules file=甲/方案.star
scheme "甲"
levels stars 0..1
input 名称 : id
input 分 : score 0..10
band 分 { 1: [6, ..)  0: (.., 6) }
```

```csv file=甲/数据.csv
名称,分
子,7
丑,5
```

```sh
starrules check 甲/方案.star
starrules run 甲/方案.star 甲/数据.csv -o 甲/结果.csv
```

```text
甲/方案.star: ok
rows in: 2, rated: 2, invalid: 0, ineligible: 0
```

```csv output=甲/结果.csv
row,id,level,level_label,total,status,reason,flags,level_before_quotas,rank,scheme,scheme_version,period,scheme_sha256
2,子,1,1星,7,rated,,,1,1,甲,,,52d19a2b9ffd262a4b1cedf1be4bb315a75ac97ec5f87962f275092ed69d5eac
...
```
"""


def test_sample_replays(tmp_path: Path) -> None:
    ran = replay(extract(SAMPLE, "sample.md"), tmp_path)
    assert [(r.command.split()[1], r.code) for r in ran] == [("check", 1), ("check", 0), ("run", 0)]
    assert (tmp_path / "甲" / "结果.csv").is_file()


BROKEN = {
    "wrong output": SAMPLE.replace("甲/方案.star: ok", "甲/方案.star: fine"),
    "wrong exit code": SAMPLE.replace("   # exit 1", ""),
    "output line not printed": SAMPLE.replace("rows in: 2,", "rows: 2,"),
    "output shown but never printed": SAMPLE.replace("...\n甲/方案.star: 1 error(s)", "...\n甲/方案.star: 2 error(s)"),
    "wrong file written": SAMPLE.replace("子,1,1星,7", "子,1,1星,8"),
    "output of a file never written": SAMPLE.replace("output=甲/结果.csv", "output=甲/别的.csv"),
    "not a starrules command": SAMPLE.replace("starrules check 甲/方案.star\n", "cat 甲/方案.star\n"),
    "command without its output": SAMPLE.replace("```text\n甲/方案.star: ok\nrows in: 2, rated: 2, invalid: 0, "
                                                 "ineligible: 0\n```\n", ""),
    "text block after no command": SAMPLE.replace("```csv file=甲/数据.csv", "```text\nshown\n```\n\n```csv file=甲/数据.csv"),
    "block the test cannot run": SAMPLE + "\n```python\nprint(1)\n```\n",
    "fence never closed": SAMPLE + "\n```sh\nstarrules check 甲/方案.star\n",
    "file version never used": SAMPLE.replace("```starrules file=甲/方案.star\nscheme \"甲\"\nlevels stars 0..1\ninput 名称",
                                              "```starrules file=甲/方案.star\nscheme \"乙\"\n```\n\n"
                                              "```starrules file=甲/方案.star\nscheme \"甲\"\nlevels stars 0..1\ninput 名称"),
    "file never used": SAMPLE + "\n```csv file=甲/别的.csv\n名称,分\n```\n",
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_sample_fails(name: str, tmp_path: Path) -> None:
    assert BROKEN[name] != SAMPLE
    with pytest.raises(pytest.fail.Exception):
        replay(extract(BROKEN[name], f"broken-{name}.md"), tmp_path)


def test_mismatch_reads_ellipses() -> None:
    out = "a\nb\nc\nd\n"
    assert mismatch("a\nb\nc\nd\n", out) is None
    assert mismatch("a\n...\nd\n", out) is None
    assert mismatch("...\nb\nc\n...\n", out) is None
    assert mismatch("a\n...\nc\n", out) is not None  # c is not the last line
    assert mismatch("b\n...\n", out) is not None  # b is not the first
    assert mismatch("a\nc\n", out) is not None  # without '...', every line
    assert mismatch("...\nc\nb\n...\n", out) is not None
