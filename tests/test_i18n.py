"""The message catalog and the choice of language (starrules/i18n.py, tools/catalog.py).

Every message in the sources has its Chinese; the .po and .mo are what ``make catalog``
writes; placeholders survive translation; the language follows --lang, STARRULES_LANG,
the locale, then Chinese, in that order.
"""

from __future__ import annotations

import importlib.util
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

from starrules import i18n

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("catalog_tool", ROOT / "tools" / "catalog.py")
assert spec is not None and spec.loader is not None
catalog_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(catalog_tool)


def test_every_message_has_a_translation_and_the_files_are_current() -> None:
    current = catalog_tool.read()
    new = catalog_tool.updated(current)
    assert catalog_tool.stale(current, new) == []
    assert catalog_tool.untranslated(new) == []


def _fields(text: str) -> list[str]:
    return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f is not None)


def test_placeholders_are_kept_in_every_translation() -> None:
    for message in catalog_tool.read():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            assert _fields(translated) == _fields(ids[0]), (message.id, translated)


def test_a_known_message_in_each_language() -> None:
    with i18n.using("zh"):
        assert i18n._("error") == "错误"
    with i18n.using("en"):
        assert i18n._("error") == "error"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "zh"),  # no locale settings at all: Chinese
        ({"LANG": "C.UTF-8"}, "zh"),
        ({"LANG": "POSIX"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "fr_FR.UTF-8"}, "zh"),  # neither language: the default
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL before LANG
        ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),  # LC_MESSAGES before LANG
        ({"LANGUAGE": "fr:en", "LANG": "zh_CN.UTF-8"}, "en"),  # LANGUAGE first, first known entry
        ({"STARRULES_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),  # STARRULES_LANG before the locale
        ({"STARRULES_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
        ({"STARRULES_LANG": "xx", "LANG": "en_US.UTF-8"}, "en"),  # an unknown value is passed over
    ],
)
def test_language_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert i18n.from_environment(environ) == expected


def test_an_explicit_choice_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARRULES_LANG", "en")
    with i18n.using("zh"):
        assert i18n.language() == "zh"
    assert i18n.language() == "en"
    i18n.set_language("zh")
    try:
        assert i18n.language() == "zh"
    finally:
        i18n.set_language(None)
    assert i18n.language() == "en"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.set_language("fr")


def test_a_fresh_process_without_locale_settings_speaks_chinese() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("STARRULES_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    out = subprocess.run([sys.executable, "-c", "from starrules.i18n import _; print(_('error'))"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "错误"


def test_the_language_follows_the_environment_each_time_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    # language() remembers what each state of the five variables gives: a change of any
    # of them is seen at once, and a state met before gives what it gave
    from starrules import i18n
    for var in ("STARRULES_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert i18n.language() == "zh"  # nothing set: Chinese
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n.language() == "en"
    monkeypatch.setenv("STARRULES_LANG", "zh")  # the explicit variable wins over the locale
    assert i18n.language() == "zh" and i18n._("error") == "错误"
    monkeypatch.setenv("STARRULES_LANG", "en")
    assert i18n.language() == "en" and i18n._("error") == "error"
    monkeypatch.delenv("STARRULES_LANG")
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # LC_ALL comes before LANG
    assert i18n.language() == "zh"
    monkeypatch.delenv("LC_ALL")
    assert i18n.language() == "en"  # LANG again, as before
    with i18n.using("zh"):
        assert i18n.language() == "zh"
