"""The message catalog: extract, update, compile (``make catalog``), and check (the tests).

    python tools/catalog.py            # add new messages to the .po, drop gone ones, compile the .mo
    python tools/catalog.py --check    # exit 1 if a message lacks a translation or the files are stale

The source of every message is the English text inside ``_()``, ``N_()`` or ``ngettext()``
in ``starrules/``; its Chinese is in ``starrules/locale/zh_CN/LC_MESSAGES/starrules.po``.
New messages come in with an empty translation, to be filled in by hand; nothing is
machine-translated. The files are written without dates or source locations, sorted, so
that they change only when a message does.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "starrules/locale/zh_CN/LC_MESSAGES/starrules.po"
MO = PO.with_suffix(".mo")
HEADER = """\
# Simplified Chinese messages of starrules: the default language of every message.
# msgid: the English text as written in the source (inside _() or N_()); msgstr: the Chinese.
# Keep placeholders ({name}) exactly as in the msgid. `make catalog` extracts, updates and compiles.
# A new message comes in with an empty msgstr: fill it in here."""


def extracted() -> dict[str | tuple[str, str], set[str]]:
    """Every message id in the package (a tuple for a plural), with the flags Babel gives."""
    found: dict[str | tuple[str, str], set[str]] = {}
    method_map = [("**.py", "python")]
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "starrules"), method_map=method_map
    ):
        key = message if isinstance(message, str) else (message[0], message[1])
        found.setdefault(key, set())
    return found


def read() -> Catalog:
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def updated(current: Catalog) -> Catalog:
    new = Catalog(locale="zh_CN", project="starrules", version="0", header_comment=HEADER, fuzzy=False,
                  msgid_bugs_address="-", last_translator="starrules developers", language_team="starrules developers")
    new.creation_date = current.creation_date.replace(year=2026, month=1, day=1, hour=0, minute=0, second=0)
    new.revision_date = new.creation_date
    for key in sorted(extracted(), key=lambda k: k if isinstance(k, str) else k[0]):
        old = current.get(key if isinstance(key, str) else key[0])
        string: str | tuple[str, ...] = ("", "") if isinstance(key, tuple) else ""
        if old is not None and old.string:
            string = old.string
        new.add(key, string)
    return new


def po_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, cat, width=0, omit_header=False, no_location=True, sort_output=True)
    return buf.getvalue()


def mo_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, cat)
    return buf.getvalue()


def messages(cat: Catalog) -> dict[object, object]:
    """A catalog's messages as id -> translation (the header left out)."""
    return {m.id: m.string for m in cat if m.id}


def stale(current: Catalog, new: Catalog) -> list[str]:
    """What makes the files on disk differ from what ``make catalog`` would write: messages
    gone from or new to the sources, and a .mo that is not the compilation of the .po.
    (Compared as messages, not bytes, so a Babel version's header does not count.)"""
    problems = []
    have, want = messages(current), messages(new)
    for key in sorted(set(want) - set(have), key=str):
        problems.append(f"new in the sources, not in {PO.name}: {key!r} (run make catalog, then translate it)")
    for key in sorted(set(have) - set(want), key=str):
        problems.append(f"in {PO.name} but no longer in the sources: {key!r} (run make catalog)")
    if not MO.exists():
        problems.append(f"{MO.name} is missing: run make catalog")
    else:
        with MO.open("rb") as fh:
            compiled = read_mo(fh)
        if messages(compiled) != {k: v for k, v in have.items() if (all(v) if isinstance(v, tuple) else v)}:
            problems.append(f"{MO.name} is not the compilation of {PO.name}: run make catalog")
    return problems


def untranslated(cat: Catalog) -> list[str]:
    out = []
    for msg in cat:
        if not msg.id:
            continue
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        if not all(strings):
            out.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return out


def main(argv: list[str]) -> int:
    current = read()
    new = updated(current)
    if "--check" in argv:
        problems = stale(current, new)
        problems += [f"no translation: {m!r}" for m in untranslated(new)]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    PO.write_bytes(po_bytes(new))
    MO.write_bytes(mo_bytes(new))
    missing = untranslated(new)
    print(f"{len(new)} messages, {len(missing)} without a translation", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
