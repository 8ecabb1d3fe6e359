"""Durations: one validator that turns ``float``/``int``/``timedelta`` into seconds.

Every hybridwait API that takes a duration runs it through :func:`to_seconds`,
so bad input fails the same way everywhere, before any waiting, with a message
that names the argument.

Example::

    >>> from datetime import timedelta
    >>> to_seconds(timedelta(milliseconds=250), "interval")
    0.25
    >>> to_seconds(float("nan"), "interval")
    Traceback (most recent call last):
    ...
    ValueError: interval must not be NaN
"""

from __future__ import annotations

import math
import numbers
from datetime import timedelta
from typing import TypeAlias

__all__ = ["Duration", "to_seconds"]

#: A duration: seconds as ``float`` or ``int``, or a :class:`datetime.timedelta`.
Duration: TypeAlias = "float | int | timedelta"

_INF = math.inf


def to_seconds(value: object, name: str, *, allow_inf: bool = False) -> float:
    """Return ``value`` as seconds (a ``float``).

    Accepts ``int``, ``float`` (or any :class:`numbers.Real` except ``bool``) and
    :class:`datetime.timedelta`. Zero and negative values are returned as they
    are (Go gives them a meaning: "no delay" / "already expired").

    Raises ``TypeError`` for a non-number (``bool`` included) and ``ValueError``
    for NaN, and for ±infinity unless ``allow_inf`` is true. Both messages name
    ``name``.

    Example::

        >>> to_seconds(2, "timeout")
        2.0
    """
    t = type(value)
    if t is float:
        v: float = value  # type: ignore[assignment]
    elif t is int:
        try:
            v = float(value)  # type: ignore[arg-type]
        except OverflowError:
            raise ValueError(f"{name} is too large: {value!r}") from None
    elif isinstance(value, timedelta):
        v = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number of seconds or a datetime.timedelta, "
            f"not {type(value).__name__}"
        )
    else:
        try:
            v = float(value)
        except (OverflowError, ValueError):
            raise ValueError(f"{name} is not a usable number: {value!r}") from None
    if v != v:
        raise ValueError(f"{name} must not be NaN")
    if (v == _INF or v == -_INF) and not allow_inf:
        raise ValueError(f"{name} must be finite, got {v}")
    return v
