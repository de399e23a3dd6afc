"""Messages in the reader's language: Simplified Chinese by default, English on request.

Every string a person reads is written in English in the source, inside ``_()`` (or
``N_()`` where it is only marked, to be translated where it is used), and translated in
the gettext catalog ``starrules/locale/zh_CN/LC_MESSAGES/starrules.po``, compiled to the
``.mo`` file beside it (``make catalog`` extracts, updates and compiles with Babel; a
test fails when a message has no translation, when a translation is stale, or when the
``.mo`` is not the compilation of the ``.po``).

The language, first match wins:

1. an explicit choice: :func:`set_language` / :func:`using` (the CLI's ``--lang``);
2. the environment variable ``STARRULES_LANG`` (``zh`` or ``en``);
3. the locale: the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is
   set and names Chinese or English (``en_US.UTF-8`` gives English);
4. Chinese.

Machine-readable outputs (JSON keys, diagnostic codes, statuses) are never translated.

>>> with using("en"):
...     _("error")
'error'
>>> with using("zh"):
...     _("error")
'错误'
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
DOMAIN = "starrules"
LOCALE_DIR = Path(__file__).parent / "locale"

_chosen: ContextVar[str | None] = ContextVar("starrules_language", default=None)
_catalogs: dict[str, gettext.NullTranslations] = {}


def _normal(name: str | None) -> str | None:
    """``zh``, ``en`` or None for a language or locale name (``zh_CN.UTF-8``, ``en-GB``)."""
    if not name:
        return None
    head = name.strip().lower().replace("-", "_").split(".")[0].split("@")[0].split("_")[0]
    return head if head in LANGUAGES else None


def from_environment(environ: dict[str, str] | None = None) -> str:
    """The language the environment asks for (steps 2 to 4 above)."""
    env = os.environ if environ is None else environ
    explicit = env.get("STARRULES_LANG")
    if explicit and _normal(explicit):
        return _normal(explicit) or DEFAULT
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if not value:
            continue
        for part in value.split(":"):
            found = _normal(part)
            if found:
                return found
    return DEFAULT


_VARIABLES = ("STARRULES_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
# os.environ's own table and its keys as stored there: reading five values from it costs
# a tenth of reading them through os.environ (which encodes every key and value), and
# every message asks (a population's notes ask a hundred thousand times)
_TABLE: dict[object, object] | None = getattr(os.environ, "_data", None)
_KEYS = tuple(os.environ.encodekey(v) for v in _VARIABLES) if _TABLE is not None else ()
_by_environment: dict[tuple[object, ...], str] = {}


def language() -> str:
    """The language messages are given in now: ``"zh"`` or ``"en"``."""
    chosen = _chosen.get()
    if chosen:
        return chosen
    if _TABLE is None:  # pragma: no cover - CPython's os.environ has its table
        return from_environment()
    key = tuple(map(_TABLE.get, _KEYS))  # the environment as it is now
    found = _by_environment.get(key)
    if found is None:
        found = _by_environment[key] = from_environment()
    return found


def check_language(lang: str) -> str:
    found = _normal(lang)
    if found is None:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return found


def set_language(lang: str | None) -> None:
    """Choose the language of every message from now on (None: back to the environment)."""
    _chosen.set(None if lang is None else check_language(lang))


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Messages in ``lang`` inside the ``with`` block."""
    token = _chosen.set(check_language(lang))
    try:
        yield
    finally:
        _chosen.reset(token)


def catalog(lang: str | None = None) -> gettext.NullTranslations:
    lang = lang or language()
    found = _catalogs.get(lang)
    if found is None:
        if lang == "en":
            found = gettext.NullTranslations()
        else:
            found = gettext.translation(DOMAIN, LOCALE_DIR, languages=["zh_CN"], fallback=True)
        _catalogs[lang] = found
    return found


def _(message: str) -> str:
    """``message`` (English, as written in the source) in the current language."""
    return catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for ``n``, in the current language."""
    return catalog().ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a marker
    """Mark ``message`` for translation without translating it here (use ``_()`` later)."""
    return message
