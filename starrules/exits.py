"""The exit codes of the command line, the same for every command (README, "Exit codes").

Takes nothing; gives the codes and :func:`unreadable`, which says why a file named on
the command line cannot be read (or None when it can), in the reader's language.

When one command meets several of these (``check`` or ``test`` over several files), it
exits with the highest.
"""

from __future__ import annotations

import enum
from os import PathLike

from starrules.i18n import _


class Exit(enum.IntEnum):
    OK = 0  # done, nothing to report
    FAILED = 1  # done, and the answer is no: check found errors, a quota not met, an example failed, ...
    USAGE = 2  # the command line is wrong (argparse's code)
    NO_FILE = 3  # a file named cannot be read: missing, a directory, no permission
    SCHEME = 4  # the scheme has errors, so the command could not do its work
    DATA = 5  # the data or a value given cannot be used: not a table, an id not in it, a period outside the scheme's
    BROKEN_PIPE = 141  # the reader of standard output went away (``| head``): 128 + SIGPIPE, as the shell's tools
    INTERNAL = 70  # a bug in starrules (sysexits' EX_SOFTWARE): the traceback is printed, please report it


def unreadable(path: str | PathLike[str]) -> str | None:
    """Why ``path`` cannot be opened for reading, in words; None when it can."""
    try:
        with open(path, "rb"):
            return None
    except FileNotFoundError:
        return _("no such file")
    except IsADirectoryError:
        return _("it is a directory, not a file")
    except PermissionError:
        return _("permission denied")
    except OSError as exc:
        return exc.strerror or str(exc)
