"""pflag-style parsing: forms kubectl accepts and its exact error texts."""

from __future__ import annotations

import pytest

from hybridwait.cli.flags import Flag, FlagError, FlagSet, HelpRequested, go_strconv_quote
from hybridwait.cli.wait import WAIT_FLAGS

S = 1_000_000_000


def test_forms() -> None:
    values, args = WAIT_FLAGS.parse([
        "pods", "-Al", "app=web", "--for", "delete", "--for=condition=Ready", "-nfoo",
        "--timeout", "1m", "-o=name", "--all=false", "--no-watch", "x", "--", "-y",
    ])
    assert args == ["pods", "x", "-y"]
    assert values["all-namespaces"] is True and values["selector"] == "app=web"
    assert values["for"] == ["delete", "condition=Ready"]
    assert values["namespace"] == "foo" and values["output"] == "name"
    assert values["timeout"] == 60 * S and values["all"] is False and values["no-watch"] is True


def test_defaults() -> None:
    values, args = WAIT_FLAGS.parse([])
    assert args == [] and values["timeout"] == 30 * S and values["for"] == []
    assert values["poll-interval"] == 5 * S


@pytest.mark.parametrize(("argv", "message"), [
    (["--bogus"], "unknown flag: --bogus"),
    (["-x"], "unknown shorthand flag: 'x' in -x"),
    (["-xyz"], "unknown shorthand flag: 'x' in -xyz"),
    (["-Ax"], "unknown shorthand flag: 'x' in -x"),
    (["---x"], "bad flag syntax: ---x"),
    (["--=x"], "bad flag syntax: --=x"),
    (["--for"], "flag needs an argument: --for"),
    (["-n"], "flag needs an argument: 'n' in -n"),
    (["--timeout=5"], 'invalid argument "5" for "--timeout" flag: '
                      'time: missing unit in duration "5"'),
    (["--all=maybe"], 'invalid argument "maybe" for "--all" flag: '
                      'strconv.ParseBool: parsing "maybe": invalid syntax'),
    (["-A=maybe"], 'invalid argument "maybe" for "-A, --all-namespaces" flag: '
                   'strconv.ParseBool: parsing "maybe": invalid syntax'),
])
def test_errors(argv: list[str], message: str) -> None:
    with pytest.raises(FlagError) as info:
        WAIT_FLAGS.parse(argv)
    assert str(info.value) == message


@pytest.mark.parametrize("argv", [["-h"], ["--help"], ["pods", "-h"]])
def test_help(argv: list[str]) -> None:
    with pytest.raises(HelpRequested):
        WAIT_FLAGS.parse(argv)


def test_int_flag_and_quote() -> None:
    fs = FlagSet([Flag("pods", "int", 200, "How many.")])
    assert fs.parse(["--pods=50"])[0]["pods"] == 50
    with pytest.raises(FlagError, match='invalid argument "x" for "--pods" flag'):
        fs.parse(["--pods", "x"])
    assert go_strconv_quote('a"b\\c\n\u00e9') == '"a\\"b\\\\c\\n\u00e9"'
