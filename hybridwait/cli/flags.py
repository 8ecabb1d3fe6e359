"""Command-line flags parsed the way kubectl's (spf13/pflag) are, errors included.

argparse words its errors differently, exits 2 and cannot take ``--all=false``, so
``hybridwait wait`` parses its own arguments with this small pflag work-alike:
``--name=value``, ``--name value``, ``-n value``, ``-nvalue``, ``-n=value``, bool
flags with an optional ``=true|false``, combined short bools (``-Al app=web``),
repeated string-array flags, flags interleaved with arguments, ``--`` ending flags.

Example::

    >>> fs = FlagSet([Flag("timeout", "duration", "30s", "How long."),
    ...               Flag("all-namespaces", "bool", False, "All.", shorthand="A")])
    >>> values, args = fs.parse(["pods", "-A", "--timeout=1m"])
    >>> values["timeout"], values["all-namespaces"], args
    (60000000000, True, ['pods'])
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from hybridwait.cli.goduration import DurationError, parse_duration

__all__ = [
    "Flag",
    "FlagError",
    "FlagSet",
    "HelpRequested",
    "add_pflag_command",
    "go_strconv_quote",
    "parse_command_line",
]

Kind = Literal["bool", "int", "string", "string_array", "duration"]

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_strconv_quote(s: str) -> str:
    """Quote ``s`` like Go's ``%q`` / ``strconv.Quote`` (printable text kept as is).

    Example::

        >>> print(go_strconv_quote('a"b\\tc'))
        "a\\"b\\tc"
    """
    out = ['"']
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


class FlagError(Exception):
    """A command line pflag would reject; ``str()`` is pflag's message.

    Example::

        try:
            FlagSet([]).parse(["--bogus"])
        except FlagError as exc:
            print(f"Error: {exc}")  # Error: unknown flag: --bogus
    """


class HelpRequested(Exception):
    """``-h`` or ``--help`` was given.

    Example::

        try:
            FlagSet([]).parse(["--help"])
        except HelpRequested:
            print("usage...")
    """


@dataclass(frozen=True)
class Flag:
    """One flag: long name (no dashes), kind, default (as text for durations), usage.

    Example::

        Flag("for", "string_array", [], "The condition to wait on.")
    """

    name: str
    kind: Kind
    default: object
    usage: str
    shorthand: str | None = None

    @property
    def display(self) -> str:
        """The name pflag shows in errors: ``--timeout`` or ``-A, --all-namespaces``."""
        if self.shorthand:
            return f"-{self.shorthand}, --{self.name}"
        return f"--{self.name}"


def _parse_bool(text: str) -> bool:
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"strconv.ParseBool: parsing {go_strconv_quote(text)}: invalid syntax")


def _parse_int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        quoted = go_strconv_quote(text)
        raise ValueError(f"strconv.ParseInt: parsing {quoted}: invalid syntax") from None


def _parse_duration(text: str) -> int:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise ValueError(str(exc)) from None


class FlagSet:
    """A set of :class:`Flag`; :meth:`parse` returns ``(values, positional args)``.

    Durations come back as integer nanoseconds; the default of a duration flag is
    given as Go text (``"30s"``). Example::

        fs = FlagSet([Flag("for", "string_array", [], "Condition.")])
        values, args = fs.parse(["pod/x", "--for", "delete"])
    """

    def __init__(self, flags: Sequence[Flag]) -> None:
        self.flags = list(flags)
        self._long = {f.name: f for f in flags}
        self._short = {f.shorthand: f for f in flags if f.shorthand}
        self._seen: set[str] = set()

    def defaults(self) -> dict[str, object]:
        """Every flag's default value, parsed."""
        values: dict[str, object] = {}
        for f in self.flags:
            if f.kind == "duration":
                values[f.name] = _parse_duration(str(f.default))
            elif f.kind == "string_array":
                values[f.name] = list(f.default)  # type: ignore[call-overload]
            else:
                values[f.name] = f.default
        return values

    def _set(self, values: dict[str, object], flag: Flag, text: str) -> None:
        parse: Callable[[str], object]
        if flag.kind == "bool":
            parse = _parse_bool
        elif flag.kind == "duration":
            parse = _parse_duration
        elif flag.kind == "int":
            parse = _parse_int
        else:
            parse = str
        try:
            value = parse(text)
        except ValueError as exc:
            raise FlagError(
                f"invalid argument {go_strconv_quote(text)} for "
                f"{go_strconv_quote(flag.display)} flag: {exc}"
            ) from None
        if flag.kind == "string_array":
            if flag.name not in self._seen:
                values[flag.name] = []
            current = values[flag.name]
            assert isinstance(current, list)
            current.append(value)
        else:
            values[flag.name] = value
        self._seen.add(flag.name)

    def parse(self, argv: Sequence[str]) -> tuple[dict[str, Any], list[str]]:
        """Parse ``argv``; raise :class:`FlagError` or :class:`HelpRequested`."""
        values = self.defaults()
        self._seen = set()
        positional: list[str] = []
        args = list(argv)
        while args:
            s = args.pop(0)
            if len(s) < 2 or s[0] != "-":
                positional.append(s)
            elif s == "--":
                positional.extend(args)
                break
            elif s[1] == "-":
                args = self._parse_long(s, args, values)
            else:
                shorthands = s[1:]
                while shorthands:
                    shorthands, args = self._parse_short(shorthands, args, values)
        return values, positional

    def _parse_long(self, s: str, args: list[str], values: dict[str, object]) -> list[str]:
        name = s[2:]
        if not name or name[0] in "-=":
            raise FlagError(f"bad flag syntax: {s}")
        name, eq, text = name.partition("=")
        flag = self._long.get(name)
        if flag is None:
            if name == "help":
                raise HelpRequested
            raise FlagError(f"unknown flag: --{name}")
        if eq:
            value = text
        elif flag.kind == "bool":
            value = "true"
        elif args:
            value = args.pop(0)
        else:
            raise FlagError(f"flag needs an argument: {s}")
        self._set(values, flag, value)
        return args

    def _parse_short(
        self, shorthands: str, args: list[str], values: dict[str, object]
    ) -> tuple[str, list[str]]:
        c = shorthands[0]
        rest = shorthands[1:]
        flag = self._short.get(c)
        if flag is None:
            if c == "h":
                raise HelpRequested
            raise FlagError(f"unknown shorthand flag: {_rune_quote(c)} in -{shorthands}")
        if len(shorthands) > 2 and shorthands[1] == "=":
            value, rest = shorthands[2:], ""
        elif flag.kind == "bool":
            value = "true"
        elif len(shorthands) > 1:
            value, rest = shorthands[1:], ""
        elif args:
            value = args.pop(0)
        else:
            raise FlagError(f"flag needs an argument: {_rune_quote(c)} in -{shorthands}")
        self._set(values, flag, value)
        return rest, args

    def usage(self) -> str:
        """The flags section of ``--help``, laid out like kubectl's."""
        lines = []
        for f in sorted(self.flags, key=lambda f: f.name):
            if f.kind == "string_array":
                default = "[]"
            elif f.kind == "bool":
                default = "true" if f.default else "false"
            elif f.kind == "string":
                default = f"'{f.default}'"
            else:
                default = str(f.default)
            short = f"-{f.shorthand}, " if f.shorthand else ""
            lines.append(f"    {short}--{f.name}={default}:\n\t{f.usage}\n")
        return "\n".join(lines)


def _rune_quote(c: str) -> str:
    """Go's ``%q`` of a rune: ``'x'``."""
    if c == "'":
        return "'\\''"
    inner = go_strconv_quote(c)[1:-1]
    return f"'{inner}'"


def add_pflag_command(
    subparsers: Any, name: str, help: str, run: Callable[[Sequence[str]], int]
) -> None:
    """Add subcommand ``name`` whose arguments all go, unparsed, to ``run(argv)``
    (which parses them kubectl-style with a :class:`FlagSet`).

    Example::

        add_pflag_command(sub, "wait", "kubectl wait drop-in", run)
    """
    parser = subparsers.add_parser(name, help=help, add_help=False, prefix_chars="\x00")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    parser.set_defaults(func=lambda args: run(args.argv))


def parse_command_line(
    flags: FlagSet, argv: Sequence[str], command: str, help_text: str, out: TextIO, err: TextIO
) -> tuple[dict[str, Any], list[str]] | int:
    """Parse ``argv`` as kubectl does: ``(values, args)``, or the exit code once
    ``--help`` was printed (0) or a flag error reported in pflag's two lines (1).

    Example::

        parsed = parse_command_line(WAIT_FLAGS, argv, "wait", _HELP, sys.stdout, sys.stderr)
        if isinstance(parsed, int):
            return parsed
    """
    try:
        return flags.parse(argv)
    except HelpRequested:
        out.write(help_text.format(flags=flags.usage()))
        return 0
    except FlagError as exc:
        err.write(f"Error: {exc}\nSee 'hybridwait {command} --help' for usage.\n")
        return 1
