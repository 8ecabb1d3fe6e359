"""Argument checks shared by the core (internal)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any


def require_callable(value: object, name: str) -> Callable[..., Any]:
    """Return ``value`` if callable, else raise ``TypeError`` naming ``name``."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, not {type(value).__name__}")
    return value


def require_int(value: object, name: str) -> int:
    """Return ``value`` as an ``int`` (``bool`` rejected), else ``TypeError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return int(value)


def require_factor(value: object, name: str) -> float:
    """Return a finite real ``value`` as ``float`` (for factors and jitters)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v
