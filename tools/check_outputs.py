"""Rewrite the ``text check-output`` blocks of a Markdown page with what the command prints now.

    python tools/check_outputs.py docs/diagnostics.md           # rewrite the blocks in place
    python tools/check_outputs.py --check docs/diagnostics.md   # exit 1 if a block is stale

Each check-output block gets what ``starrules check 示例.star`` prints for its star block
in the block's language (``lang=zh``: Chinese, else English), as tests/test_docs.py runs
it. On docs/diagnostics.md, a wrong example that shows its English output only gets its
Chinese output too, in a ``text check-output lang=zh`` block just before the English one
(Chinese first: it is what the command speaks by default). Run it after a message
changes, read the diff, commit it.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_docs import Block, check_output, extract  # noqa: E402 - the tests' own reader and runner


def _body(block: Block) -> list[str]:
    assert block.subject is not None
    return [line.rstrip() for line in check_output(block.subject.text, block.lang).splitlines()]


def rewritten(text: str, source: str) -> str:
    lines = text.splitlines()
    blocks = extract(text, source)
    edits: list[tuple[int, int, list[str]]] = []  # (first, last) 0-based lines replaced by new ones
    for i, block in enumerate(blocks):
        if not block.check_output or block.subject is None or block.problem:
            continue
        # block.line is the opening fence (1-based), block.end the closing one
        new = [lines[block.line - 1], *_body(block), lines[block.end - 1]]
        earlier = blocks[i - 1] if i else None
        shown_in_chinese = earlier is not None and earlier.check_output and earlier.lang == "zh"
        wrong = block.subject.codes("error") or block.subject.codes("warn")
        if source == "diagnostics.md" and wrong and block.lang == "en" and not shown_in_chinese \
                and block.subject is earlier:
            chinese = Block(block.source, block.line, "text", (("check-output", ""), ("lang", "zh")), "",
                            subject=block.subject)
            new = ["```text check-output lang=zh", *_body(chinese), "```", "", *new]
        edits.append((block.line - 1, block.end - 1, new))
    for first, last, new in reversed(edits):
        lines[first:last + 1] = new
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in (a for a in argv if a != "--check"):
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        new = rewritten(text, path.name)
        if new != text:
            stale.append(name)
            if not check:
                path.write_text(new, encoding="utf-8")
    for name in stale:
        print(f"{name}: {'stale' if check else 'rewritten'}", file=sys.stderr)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
