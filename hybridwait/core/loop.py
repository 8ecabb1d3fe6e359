"""The one wait loop (Go ``loop.go``). Every poll function calls it.

Example::

    ctx, cancel = with_timeout(background(), 10)
    pod = loop_condition_until_context(
        ctx, Backoff(duration=0.5).timer(), True, False, lambda ctx: get_pod_if_ready()
    )
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hybridwait.core._check import require_callable
from hybridwait.core.context import Context, as_context, fresh_err
from hybridwait.core.timer import Timer, is_timer

__all__ = ["loop_condition_until_context"]

T = TypeVar("T")


def loop_condition_until_context(
    ctx: Context | Any,
    timer: Timer,
    immediate: bool,
    sliding: bool,
    condition: Callable[[Context], T],
) -> T:
    """Run ``condition(ctx)`` each time ``timer`` fires until it returns a truthy value.

    * ``immediate``: the condition runs once before any wait, and therefore at
      least once even if ``ctx`` is already done; otherwise the first wait
      comes first and a done ``ctx`` means no call at all.
    * ``sliding``: the interval starts after the condition returns (``timer.c``
      is first read after the immediate call and ``timer.next()`` runs after
      each call); otherwise it includes the condition's run time (``timer.c``
      read at entry, ``next()`` before each call).
    * Returns the condition's truthy result. An exception raised by the
      condition propagates unchanged (the very same object). When ``ctx`` is
      done the loop raises a fresh :class:`Canceled` or
      :class:`DeadlineExceeded`, and never runs the condition again once it
      has seen ``ctx`` done. ``timer.stop()`` is always called on exit.

    The loop sleeps on the earlier of the timer and the cancellation; it starts
    no thread. ``ctx`` may be a :class:`threading.Event`.

    Example::

        loop_condition_until_context(ctx, Backoff(duration=1).timer(), True, False, cond)
    """
    ctx = as_context(ctx, "ctx")
    if not is_timer(timer):
        raise TypeError(f"timer must be a Timer (c, next, stop), not {type(timer).__name__}")
    require_callable(condition, "condition")
    return run_loop(ctx, timer, bool(immediate), bool(sliding), condition, fresh_err)


def run_loop(
    ctx: Context,
    timer: Timer,
    immediate: bool,
    sliding: bool,
    condition: Callable[[Context], T],
    on_done: Callable[[Context], BaseException],
) -> T:
    """The loop itself, arguments already checked; ``on_done(ctx)`` makes the
    exception raised when ``ctx`` is done (the deprecated poll family raises
    ``WaitTimeout`` there, as Go does)."""
    try:
        c = None if sliding else timer.c
        if immediate:
            result = condition(ctx)
            if result:
                return result
        if c is None:
            c = timer.c
        done = ctx.done()
        ready = done._ready
        try_recv = c._try_recv
        next_ = timer.next
        while True:
            # Fast path (no allocation) when the timer is already due; else sleep
            # on the earlier of the timer and the cancellation.
            if ready() or not (try_recv() or c._recv_unless(done)) or ready():
                raise on_done(ctx)
            if not sliding:
                next_()
            result = condition(ctx)
            if result:
                return result
            if sliding:
                next_()
    finally:
        timer.stop()
