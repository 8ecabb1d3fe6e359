"""Contexts and conditions shared by the core tests (Go's test tables use the same)."""

from __future__ import annotations

from collections.abc import Callable

import hybridwait as hw

CONDITION_ERR = RuntimeError("condition failed")


def cancelled() -> tuple[hw.Context, Callable[[], None]]:
    """A context already cancelled."""
    ctx, cancel = hw.with_cancel(hw.background())
    cancel()
    return ctx, cancel


def deadlined() -> tuple[hw.Context, Callable[[], None]]:
    """A context whose deadline has already passed."""
    ctx, cancel = hw.with_timeout(hw.background(), 0.001)
    ctx.wait()
    return ctx, cancel


def fails(_n: int) -> bool:
    """A condition that always raises the same error object."""
    raise CONDITION_ERR
