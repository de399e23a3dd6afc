"""Shell completion: ``starrules completion bash|zsh`` prints a script for that shell.

Takes the command line's argparse parser; gives the text of a completion script that
completes the subcommands, each one's options, the values of options with choices
(``--format``, ``--lang``, ``--color``, ...) and file names elsewhere. The scripts are
written from the parser itself, so a new option is completed without editing anything
here; they need nothing installed but starrules.

Written by hand rather than with a library (``shtab``, ``argcomplete``): the parser is
small and flat (one level of subcommands), the two scripts are a page each, and the
command works on every installation instead of only where an optional extra is.
Installing them: docs in the README ("Shell completion").
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

__all__ = ["SHELLS", "script"]

SHELLS = ("bash", "zsh")
FILE_VALUES = {"output", "mapping", "history", "summary"}  # option values that name a file


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help(parser: argparse.ArgumentParser, name: str) -> str:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == name:
                    return choice.help or ""
    return ""


def _options(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        if action.option_strings and action.help is not argparse.SUPPRESS:
            yield action


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


# ---- bash --------------------------------------------------------------------------------


def _bash(parser: argparse.ArgumentParser) -> str:
    prog = parser.prog
    func = "_" + prog.replace("-", "_")
    subs = _subcommands(parser)
    value_cases: list[str] = []
    option_cases: list[str] = []
    for name, sub in [("", parser), *subs.items()]:
        opts = [s for a in _options(sub) for s in a.option_strings]
        option_cases.append(f'        "{name}") opts="{" ".join(opts)}" ;;')
        for action in _options(sub):
            if not _takes_value(action):
                continue
            if action.choices:
                reply = f'COMPREPLY=($(compgen -W "{" ".join(map(str, action.choices))}" -- "$cur")); return'
            elif action.dest in FILE_VALUES:
                reply = "COMPREPLY=(); return"  # -o default: file names
            else:
                reply = "COMPREPLY=(); return 0"  # a value to type: an id, a year, a width
            patterns = "|".join(f'"{name}:{s}"' for s in action.option_strings)
            value_cases.append(f"        {patterns}) {reply} ;;")
    positional_cases = []
    for name, sub in subs.items():
        for action in sub._actions:
            if not action.option_strings and action.choices:
                words = " ".join(map(str, action.choices))
                positional_cases.append(f'        {name}) COMPREPLY=($(compgen -W "{words}" -- "$cur")) ;;')
    names = " ".join(subs)
    return "\n".join([
        f"# bash completion for {prog}: eval \"$({prog} completion bash)\" in ~/.bashrc",
        f"{func}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" opts="" i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        f'        case " {names} " in *" ${{COMP_WORDS[i]}} "*) cmd="${{COMP_WORDS[i]}}"; break ;; esac',
        "    done",
        '    case "$cmd:$prev" in',
        *value_cases,
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        case "$cmd" in',
        *option_cases,
        "        esac",
        '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
        "        return",
        "    fi",
        '    if [[ -z "$cmd" ]]; then',
        f'        COMPREPLY=($(compgen -W "{names}" -- "$cur"))',
        "        return",
        "    fi",
        '    case "$cmd" in',
        *positional_cases,
        "        *) COMPREPLY=() ;;  # -o default: file names",
        "    esac",
        "}",
        f"complete -o bashdefault -o default -F {func} {prog}",
        "",
    ])


# ---- zsh ---------------------------------------------------------------------------------


def _zsh_text(text: str) -> str:
    """A help text inside a single-quoted ``_arguments`` spec: brackets and colons escaped."""
    text = " ".join(text.split()).replace("'", "'\\''")
    for ch in "[]:":
        text = text.replace(ch, "\\" + ch)
    return text


def _quoted(text: str) -> str:
    """``text`` as one single-quoted shell word."""
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh_spec(action: argparse.Action) -> list[str]:
    helptext = _zsh_text(action.help or "")
    if not _takes_value(action):
        value = ""
    elif action.choices:
        value = f":{action.dest}:({' '.join(map(str, action.choices))})"
    elif action.dest in FILE_VALUES:
        value = f":{action.dest}:_files"
    else:
        value = f":{action.dest}: "
    repeat = "*" if isinstance(action, argparse._AppendAction) else ""
    if len(action.option_strings) > 1:
        group = " ".join(action.option_strings)
        return [f"'({group})'{{{','.join(action.option_strings)}}}'[{helptext}]{value}'"] if not repeat else [
            f"'{repeat}{s}[{helptext}]{value}'" for s in action.option_strings]
    return [f"'{repeat}{action.option_strings[0]}[{helptext}]{value}'"]


def _zsh(parser: argparse.ArgumentParser) -> str:
    prog = parser.prog
    func = "_" + prog.replace("-", "_")
    subs = _subcommands(parser)
    described = [_quoted(f"{name}:{' '.join(_help(parser, name).split())}") for name in subs]
    top = [spec for a in _options(parser) for spec in _zsh_spec(a)]
    cases = []
    for name, sub in subs.items():
        specs = [spec for a in _options(sub) for spec in _zsh_spec(a)]
        positional = [a for a in sub._actions if not a.option_strings]
        if any(a.choices for a in positional):
            words = " ".join(str(c) for a in positional for c in (a.choices or ()))
            specs.append(f"'1:{positional[0].dest}:({words})'")
        elif positional:
            specs.append("'*:file:_files'")
        body = " \\\n                ".join(specs)
        cases.append(f"            {name}) _arguments -s \\\n                {body} ;;")
    return "\n".join([
        f"#compdef {prog}",
        f"# zsh completion for {prog}: put this in a directory of $fpath as {func},",
        f"# or source <({prog} completion zsh) in ~/.zshrc",
        f"{func}() {{",
        "    local curcontext=\"$curcontext\" state line",
        "    local -a commands",
        f"    commands=({' '.join(described)})",
        "    _arguments -C \\",
        *[f"        {spec} \\" for spec in top],
        "        '1:command:->command' \\",
        "        '*::argument:->argument'",
        "    case $state in",
        "        command) _describe -t commands command commands ;;",
        "        argument)",
        "            case $words[1] in",
        *cases,
        "            esac ;;",
        "    esac",
        "}",
        'if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then',
        f'    {func} "$@"',
        "else",
        f"    compdef {func} {prog}",
        "fi",
        "",
    ])


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell`` ("bash" or "zsh") of the command ``parser`` parses."""
    if shell == "bash":
        return _bash(parser)
    if shell == "zsh":
        return _zsh(parser)
    raise ValueError(f"no completion for {shell!r}: choose from {', '.join(SHELLS)}")
