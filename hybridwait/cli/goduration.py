"""Go duration strings (``time.ParseDuration``), as kubectl's ``--timeout`` reads them.

Why not ``durationpy`` (already installed with the ``kubernetes`` client)? It accepts
what Go rejects (``1d``, ``1w``, ``1y``, ``1h-1s``, full-width digits), rounds to
microseconds and words its errors differently, so ``--timeout`` would not be a
drop-in. This module follows Go's grammar, int64 nanosecond range and messages.

Example::

    >>> parse_duration("1m30s")
    90000000000
    >>> parse_seconds("500ms")
    0.5
    >>> try:
    ...     parse_duration("5")
    ... except DurationError as exc:
    ...     print(exc)
    time: missing unit in duration "5"
"""

from __future__ import annotations

__all__ = ["DurationError", "go_quote", "parse_duration", "parse_seconds"]

_NS = 1
_US = 1_000 * _NS
_MS = 1_000 * _US
_S = 1_000 * _MS
_UNITS = {
    "ns": _NS,
    "us": _US,
    "\u00b5s": _US,  # micro sign
    "\u03bcs": _US,  # Greek small letter mu
    "ms": _MS,
    "s": _S,
    "m": 60 * _S,
    "h": 3600 * _S,
}
_MAX = 1 << 63  # Go works in uint64 and checks against 1<<63


class DurationError(ValueError):
    """A string that Go's ``time.ParseDuration`` rejects; ``str()`` is Go's message.

    Example::

        try:
            parse_duration("1x")
        except DurationError as exc:
            print(exc)  # time: unknown unit "x" in duration "1x"
    """


def go_quote(s: str) -> str:
    """Quote ``s`` as Go's ``time`` package does in its errors.

    Bytes outside printable ASCII become ``\\xNN`` (per UTF-8 byte); ``"`` and
    ``\\`` are backslash-escaped.

    Example::

        >>> go_quote("\u00e9")
        '"\\\\xc3\\\\xa9"'
    """
    out = ['"']
    for ch in s:
        if ord(ch) >= 0x80 or ch < " ":
            out.extend(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))
        else:
            if ch in '"\\':
                out.append("\\")
            out.append(ch)
    out.append('"')
    return "".join(out)


def _invalid(orig: str) -> DurationError:
    return DurationError("time: invalid duration " + go_quote(orig))


def _leading_int(s: str, orig: str) -> tuple[int, str]:
    i, x = 0, 0
    while i < len(s) and "0" <= s[i] <= "9":
        if x > _MAX // 10:
            raise _invalid(orig)
        x = x * 10 + ord(s[i]) - 48
        if x > _MAX:
            raise _invalid(orig)
        i += 1
    return x, s[i:]


def _leading_fraction(s: str) -> tuple[int, float, str]:
    i, x, scale, overflow = 0, 0, 1.0, False
    while i < len(s) and "0" <= s[i] <= "9":
        if not overflow:
            if x > (_MAX - 1) // 10:
                overflow = True
            else:
                y = x * 10 + ord(s[i]) - 48
                if y > _MAX:
                    overflow = True
                else:
                    x = y
                    scale *= 10
        i += 1
    return x, scale, s[i:]


def parse_duration(s: str) -> int:
    """Parse a Go duration string into integer nanoseconds, exactly as Go does.

    Accepts ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+`` with units ns, us, µs, ms, s, m, h,
    and the bare ``0``; raises :class:`DurationError` with Go's message otherwise.

    Example::

        >>> parse_duration("-1.5h")
        -5400000000000
    """
    orig = s
    neg = False
    if s and s[0] in "-+":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise _invalid(orig)
    d = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise _invalid(orig)
        before = len(s)
        v, s = _leading_int(s, orig)
        pre = before != len(s)
        post = False
        f, scale = 0, 1.0
        if s and s[0] == ".":
            s = s[1:]
            before = len(s)
            f, scale, s = _leading_fraction(s)
            post = before != len(s)
        if not pre and not post:
            raise _invalid(orig)
        i = 0
        while i < len(s) and not (s[i] == "." or "0" <= s[i] <= "9"):
            i += 1
        if i == 0:
            raise DurationError("time: missing unit in duration " + go_quote(orig))
        unit_name, s = s[:i], s[i:]
        unit = _UNITS.get(unit_name)
        if unit is None:
            raise DurationError(
                f"time: unknown unit {go_quote(unit_name)} in duration {go_quote(orig)}"
            )
        if v > _MAX // unit:
            raise _invalid(orig)
        v *= unit
        if f > 0:
            v += int(float(f) * (float(unit) / scale))
            if v > _MAX:
                raise _invalid(orig)
        d += v
        if d > _MAX:
            raise _invalid(orig)
    if neg:
        return -d
    if d > _MAX - 1:
        raise _invalid(orig)
    return d


def parse_seconds(s: str) -> float:
    """Parse a Go duration string into seconds (``float``).

    Example::

        >>> parse_seconds("1m30s")
        90.0
    """
    return parse_duration(s) / _S
