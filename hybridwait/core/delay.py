"""Delay functions (Go ``delay.go``).

A :class:`DelayFunc` returns the next interval to wait, in seconds, each time
it is called. :meth:`Backoff.delay_func` and :meth:`Backoff.delay_with_reset`
make them; any zero-argument callable returning seconds can be wrapped.

Example::

    delays = Backoff(duration=0.1, factor=2, steps=4).delay_func()
    [delays() for _ in range(5)]   # [0.1, 0.2, 0.4, 0.8, 0.8]
    delays.until(ctx, True, False, lambda ctx: ready())
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from hybridwait.core._check import require_callable
from hybridwait.core.clock import Clock
from hybridwait.core.context import Context, as_context, fresh_err
from hybridwait.core.loop import run_loop
from hybridwait.core.timer import Timer, VariableTimer

__all__ = ["DelayFunc"]

T = TypeVar("T")


class DelayFunc:
    """A callable returning the next delay in seconds (Go ``wait.DelayFunc``).

    Example::

        >>> d = DelayFunc(lambda: 0.25)
        >>> d()
        0.25
    """

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[[], float]) -> None:
        self._fn: Callable[[], float] = require_callable(fn, "fn")

    def __call__(self) -> float:
        """The next delay, in seconds."""
        return self._fn()

    def timer(self, clock: Clock | None = None) -> Timer:
        """A :class:`VariableTimer` taking each interval from this function.

        Example::

            t = Backoff(duration=1, factor=2, steps=3).delay_func().timer(fake_clock)
        """
        return VariableTimer(self._fn, clock)

    def until(
        self,
        ctx: Context | Any,
        immediate: bool,
        sliding: bool,
        condition: Callable[[Context], T],
        *,
        clock: Clock | None = None,
    ) -> T:
        """Run ``condition(ctx)`` with these delays until it is truthy or ``ctx`` ends.

        Same semantics as :func:`~hybridwait.loop_condition_until_context`
        (``immediate``/``sliding``, exceptions, :class:`Canceled`/:class:`DeadlineExceeded`).

        Example::

            Backoff(duration=0.1, factor=2, steps=5).delay_func().until(
                ctx, True, True, lambda ctx: try_connect())
        """
        ctx = as_context(ctx, "ctx")
        require_callable(condition, "condition")
        timer = VariableTimer(self._fn, clock)
        return run_loop(ctx, timer, bool(immediate), bool(sliding), condition, fresh_err)

    def concurrent(self) -> DelayFunc:
        """A version safe to share between threads (calls serialised by a lock).

        Example::

            shared = Backoff(duration=1, factor=2, steps=8).delay_func().concurrent()
        """
        lock = threading.Lock()
        fn = self._fn

        def locked() -> float:
            with lock:
                return fn()

        return DelayFunc(locked)

    def __repr__(self) -> str:
        return f"DelayFunc({self._fn!r})"
