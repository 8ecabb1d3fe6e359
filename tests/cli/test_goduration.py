"""Go duration parsing: values and error texts as Go's time.ParseDuration (checked
against kubectl 1.32's --timeout errors)."""

from __future__ import annotations

import pytest

from hybridwait.cli.goduration import DurationError, go_quote, parse_duration, parse_seconds

S = 1_000_000_000


@pytest.mark.parametrize(("text", "ns"), [
    ("0", 0), ("+0", 0), ("-0", 0), ("0s", 0), ("30s", 30 * S), ("1m30s", 90 * S),
    ("500ms", S // 2), ("-1s", -S), ("1.5h", 5400 * S), (".5s", S // 2), ("1.s", S),
    ("1h2m3s4ms5us6ns", 3723 * S + 4_005_006), ("1\u00b5s", 1000), ("1\u03bcs", 1000),
    ("9223372036854775807ns", 2**63 - 1), ("-9223372036854775808ns", -(2**63)),
    ("2562047h", 2562047 * 3600 * S), ("00000000000000000000000001s", S),
    ("1.0000000000000000000001s", S), ("1s1s", 2 * S),
])
def test_valid(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(("text", "message"), [
    ("5", 'time: missing unit in duration "5"'),
    (".5", 'time: missing unit in duration ".5"'),
    ("1h1", 'time: missing unit in duration "1h1"'),
    ("abc", 'time: invalid duration "abc"'),
    ("", 'time: invalid duration ""'),
    ("-.s", 'time: invalid duration "-.s"'),
    ("1x", 'time: unknown unit "x" in duration "1x"'),
    ("1e3s", 'time: unknown unit "e" in duration "1e3s"'),
    ("1d", 'time: unknown unit "d" in duration "1d"'),
    ("1h-1s", 'time: unknown unit "h-" in duration "1h-1s"'),
    ("2562048h", 'time: invalid duration "2562048h"'),
    ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    ("99999999999999999999s", 'time: invalid duration "99999999999999999999s"'),
    ("\u00e9", 'time: invalid duration "\\xc3\\xa9"'),
    ('"x', 'time: invalid duration "\\"x"'),
    ("\t5", 'time: invalid duration "\\x095"'),
])
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert str(info.value) == message


def test_seconds_and_quote() -> None:
    assert parse_seconds("1m30s") == 90.0
    assert go_quote('a\\b') == '"a\\\\b"'
