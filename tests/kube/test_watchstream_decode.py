"""Watch lines decode the same with orjson (when installed) and the standard
library: what one refuses the other is asked, and bad lines stay MalformedLine."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybridwait.kube import watchstream
from hybridwait.kube.watchstream import EventType, MalformedLine, decode, loads

LINES = [
    b'{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"7"}}}',
    # 64-bit limits, unicode, escapes, floats
    b'{"type":"MODIFIED","object":{"spec":{"n":9223372036854775807,"m":-9223372036854775808,'
    b'"u":18446744073709551615,"f":1.5e300,"s":"\\u00e9\\n\\ud83d\\ude00"},'
    b'"metadata":{"name":"b"}}}',
    # NaN: orjson refuses it, the standard library takes it
    b'{"type":"DELETED","object":{"metadata":{"name":"c"},"x":NaN}}',
]


@pytest.fixture(params=["fast", "stdlib"])
def decoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stdlib":
        monkeypatch.setattr(watchstream, "_fast_loads", None)
    elif watchstream._fast_loads is None:
        pytest.skip("orjson not installed")
    return str(request.param)


@pytest.mark.parametrize("line", LINES)
def test_every_decoder_gives_what_the_standard_library_gives(decoder: str, line: bytes) -> None:
    want: Any = json.loads(line)
    got = decode(line)
    assert got.type is EventType(want["type"])
    assert json.dumps(got.object, sort_keys=True) == json.dumps(want["object"], sort_keys=True)


@pytest.mark.parametrize(
    "line", [b"not json", b'{"type":"ADDED","object":{}', b"\xff\xfe{}", b"[1,2]", b'"x"']
)
def test_bad_lines_are_malformed_with_every_decoder(decoder: str, line: bytes) -> None:
    with pytest.raises(MalformedLine):
        decode(line)


def test_integers_beyond_64_bits_may_come_back_as_floats(decoder: str) -> None:
    # documented: with orjson a number beyond 64 bits is a float (the API server
    # itself keeps such numbers as float64, so a real server never sends one)
    n = 123456789012345678901234567890
    got = loads(b'{"n":%d}' % n)["n"]
    assert got == n if decoder == "stdlib" else float(got) == float(n)


def test_loads_refuses_non_json_with_malformed_line(decoder: str) -> None:
    assert loads(b'{"a":[1,2]}') == {"a": [1, 2]}
    with pytest.raises(MalformedLine, match="not JSON"):
        loads(b"{")
