"""Polling (Go ``poll.go``): thin wrappers around the one loop.

The current API is :func:`poll_until_context_cancel` and
:func:`poll_until_context_timeout` (condition takes ``ctx``; a done context
raises :class:`Canceled`/:class:`DeadlineExceeded`). The deprecated family
(``poll``, ``poll_immediate``, ``poll_until``, ``poll_infinite`` and their
``_with_context`` forms) keeps Go's old contract: when the context ends they
raise :class:`WaitTimeout`, and with a timeout the condition is called one last
time when the timeout expires.

Every function returns the condition's truthy result; an exception raised by
the condition propagates unchanged. All take ``clock=`` for their timers
(context deadlines use real time, as Go's do).

Example::

    ctx, cancel = with_timeout(background(), 30)
    pod = poll_until_context_cancel(ctx, 1.0, True, lambda ctx: ready_pod_or_none())
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from hybridwait.core._check import require_callable
from hybridwait.core.backoff import Backoff
from hybridwait.core.clock import Chan, Clock, ClockTimer, resolve_clock
from hybridwait.core.context import Context, as_context, background, fresh_err, with_timeout
from hybridwait.core.duration import Duration, to_seconds
from hybridwait.core.errors import WaitTimeout
from hybridwait.core.loop import run_loop

__all__ = [
    "poll",
    "poll_immediate",
    "poll_immediate_infinite",
    "poll_immediate_infinite_with_context",
    "poll_immediate_until",
    "poll_immediate_until_with_context",
    "poll_immediate_with_context",
    "poll_infinite",
    "poll_infinite_with_context",
    "poll_until",
    "poll_until_context_cancel",
    "poll_until_context_timeout",
    "poll_until_with_context",
    "poll_with_context",
]

T = TypeVar("T")


def poll_until_context_cancel(
    ctx: Context | Any,
    interval: Duration,
    immediate: bool,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Call ``condition(ctx)`` every ``interval`` until it is truthy or ``ctx`` is done.

    Not ``immediate``: the first call comes after one interval, and a done
    ``ctx`` means no call. ``immediate``: called once before waiting, so at
    least once even if ``ctx`` is done. A condition slower than ``interval``
    is called again at once. ``interval <= 0`` polls without waiting.
    Raises a fresh :class:`Canceled`/:class:`DeadlineExceeded` when ``ctx``
    ends; the condition's own exception as is.

    Example::

        ctx, cancel = with_cancel(background())
        poll_until_context_cancel(ctx, 0.5, True, lambda ctx: job_done())
    """
    c = as_context(ctx, "ctx")
    secs = to_seconds(interval, "interval")
    require_callable(condition, "condition")
    timer = Backoff(duration=secs).timer(clock)
    return run_loop(c, timer, bool(immediate), False, condition, fresh_err)


def poll_until_context_timeout(
    ctx: Context | Any,
    interval: Duration,
    timeout: Duration,
    immediate: bool,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """:func:`poll_until_context_cancel` under ``with_timeout(ctx, timeout)``.

    The deadline context is cancelled on return. When the timeout passes,
    :class:`DeadlineExceeded` is raised (not :class:`WaitTimeout`).

    Example::

        poll_until_context_timeout(background(), 0.2, 10, True, lambda ctx: healthy())
    """
    c = as_context(ctx, "ctx")
    secs = to_seconds(interval, "interval")
    tmo = to_seconds(timeout, "timeout")
    require_callable(condition, "condition")
    deadline_ctx, cancel = with_timeout(c, tmo)
    try:
        timer = Backoff(duration=secs).timer(clock)
        return run_loop(deadline_ctx, timer, bool(immediate), False, condition, fresh_err)
    finally:
        cancel()


# -- the deprecated family ------------------------------------------------------


class _PollerTimer:
    """Timer reproducing Go's deprecated ``poller(interval, timeout)``.

    Ticks every ``interval`` from its start; ticks that come while the
    condition runs are dropped (the loop is sliding, so ``next()`` schedules the
    next grid tick after the call). When ``timeout`` (if non-zero) expires the
    timer fires one last time with ``closing`` set: the final call.
    """

    __slots__ = ("_clock", "_end", "_interval", "_start", "_t", "_timeout", "closing")

    def __init__(self, interval: float, timeout: float, clock: Clock) -> None:
        self._interval = interval
        self._timeout = timeout
        self._clock = clock
        self._t: ClockTimer | None = None
        self._start = 0.0
        self._end: float | None = None
        self.closing = False

    def _delay(self, now: float) -> float:
        iv = self._interval
        k = math.floor((now - self._start) / iv + 1e-9) + 1
        tick = self._start + k * iv
        if self._end is not None and tick >= self._end:
            self.closing = True
            return max(self._end - now, 0.0)
        return tick - now

    @property
    def c(self) -> Chan:
        if self._t is None:
            if self._interval <= 0:
                # Go's ticker panics ("non-positive interval for NewTicker").
                raise ValueError(f"interval must be positive, got {self._interval}")
            now = self._start = self._clock.now()
            self._end = now + self._timeout if self._timeout != 0 else None
            self._t = self._clock.new_timer(self._delay(now))
        return self._t.c

    def next(self) -> None:
        if self._t is not None and not self.closing:
            self._t.reset(self._delay(self._clock.now()))

    def stop(self) -> None:
        if self._t is not None:
            self._t.stop()
            self._t = None


def _wait_timeout(_ctx: Context) -> BaseException:
    return WaitTimeout()


def _poll(
    ctx: object,
    immediate: bool,
    interval: Duration,
    timeout: Duration,
    condition: Callable[[Context], T],
    clock: Clock | None,
) -> T:
    """Go's deprecated ``poll()``: WaitTimeout on every interruption."""
    c = as_context(ctx, "ctx")
    iv = to_seconds(interval, "interval")
    tmo = to_seconds(timeout, "timeout")
    require_callable(condition, "condition")
    clk = resolve_clock(clock)
    if immediate:
        result = condition(c)
        if result:
            return result
    if c.done()._ready():
        raise WaitTimeout()
    timer = _PollerTimer(iv, tmo, clk)

    def checked(ctx: Context) -> T:
        final = timer.closing
        result = condition(ctx)
        if not result and final:
            raise WaitTimeout()
        return result

    return run_loop(c, timer, False, True, checked, _wait_timeout)


def _no_ctx(condition: Callable[[], T]) -> Callable[[Context], T]:
    require_callable(condition, "condition")
    return lambda _ctx: condition()


def poll(
    interval: Duration, timeout: Duration, condition: Callable[[], T], *, clock: Clock | None = None
) -> T:
    """Deprecated (use :func:`poll_until_context_timeout`). Call ``condition()``
    every ``interval`` for ``timeout`` (Go ``wait.Poll``).

    Waits one interval before the first call; when the timeout expires the
    condition is called once more (so at least once), then :class:`WaitTimeout`.
    ``timeout == 0`` means no timeout. ``interval`` must be positive (Go panics).

    Example::

        poll(0.5, 10, lambda: os.path.exists("/tmp/ready"))
    """
    return _poll(background(), False, interval, timeout, _no_ctx(condition), clock)


def poll_with_context(
    ctx: Context | Any,
    interval: Duration,
    timeout: Duration,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Deprecated. :func:`poll` with ``condition(ctx)``; a done ``ctx`` raises
    :class:`WaitTimeout` (not :class:`Canceled`), as in Go.

    Example::

        poll_with_context(ctx, 0.5, 10, lambda ctx: ready())
    """
    return _poll(ctx, False, interval, timeout, condition, clock)


def poll_until(
    interval: Duration, condition: Callable[[], T], stop: Any, *, clock: Clock | None = None
) -> T:
    """Deprecated (use :func:`poll_until_context_cancel`). Call ``condition()``
    every ``interval`` until truthy or ``stop`` (Event or Context) is set; then
    :class:`WaitTimeout`. Waits one interval before the first call.

    Example::

        stop = threading.Event()
        poll_until(0.5, lambda: ready(), stop)
    """
    return _poll(as_context(stop, "stop"), False, interval, 0, _no_ctx(condition), clock)


def poll_until_with_context(
    ctx: Context | Any,
    interval: Duration,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Deprecated. :func:`poll_until` with a context; done ``ctx`` -> :class:`WaitTimeout`.

    Example::

        poll_until_with_context(ctx, 0.5, lambda ctx: ready())
    """
    return _poll(ctx, False, interval, 0, condition, clock)


def poll_infinite(
    interval: Duration, condition: Callable[[], T], *, clock: Clock | None = None
) -> T:
    """Deprecated. Call ``condition()`` every ``interval`` until it is truthy
    (first call after one interval).

    Example::

        poll_infinite(1.0, lambda: ready())
    """
    return _poll(background(), False, interval, 0, _no_ctx(condition), clock)


def poll_infinite_with_context(
    ctx: Context | Any,
    interval: Duration,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Deprecated. :func:`poll_infinite` with ``condition(ctx)``; done ``ctx`` ->
    :class:`WaitTimeout`.

    Example::

        poll_infinite_with_context(ctx, 1.0, lambda ctx: ready())
    """
    return _poll(ctx, False, interval, 0, condition, clock)


def poll_immediate(
    interval: Duration, timeout: Duration, condition: Callable[[], T], *, clock: Clock | None = None
) -> T:
    """Deprecated. :func:`poll`, but the condition is called once before waiting
    (the timeout starts after that first call, as in Go).

    Example::

        poll_immediate(0.5, 10, lambda: ready())
    """
    return _poll(background(), True, interval, timeout, _no_ctx(condition), clock)


def poll_immediate_with_context(
    ctx: Context | Any,
    interval: Duration,
    timeout: Duration,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Deprecated. :func:`poll_immediate` with ``condition(ctx)``; done ``ctx`` ->
    :class:`WaitTimeout` (after the immediate call).

    Example::

        poll_immediate_with_context(ctx, 0.5, 10, lambda ctx: ready())
    """
    return _poll(ctx, True, interval, timeout, condition, clock)


def poll_immediate_until(
    interval: Duration, condition: Callable[[], T], stop: Any, *, clock: Clock | None = None
) -> T:
    """Deprecated. :func:`poll_until`, calling the condition once before waiting.

    Example::

        poll_immediate_until(0.5, lambda: ready(), stop_event)
    """
    return _poll(as_context(stop, "stop"), True, interval, 0, _no_ctx(condition), clock)


def poll_immediate_until_with_context(
    ctx: Context | Any,
    interval: Duration,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Deprecated. Immediate :func:`poll_until_with_context`; done ``ctx`` ->
    :class:`WaitTimeout` (after the immediate call).

    Example::

        poll_immediate_until_with_context(ctx, 0.001, lambda ctx: ready())
    """
    return _poll(ctx, True, interval, 0, condition, clock)


def poll_immediate_infinite(
    interval: Duration, condition: Callable[[], T], *, clock: Clock | None = None
) -> T:
    """Deprecated. :func:`poll_infinite`, calling the condition once before waiting.

    Example::

        poll_immediate_infinite(1.0, lambda: ready())
    """
    return _poll(background(), True, interval, 0, _no_ctx(condition), clock)


def poll_immediate_infinite_with_context(
    ctx: Context | Any,
    interval: Duration,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Deprecated. Immediate :func:`poll_infinite_with_context`.

    Example::

        poll_immediate_infinite_with_context(ctx, 1.0, lambda ctx: ready())
    """
    return _poll(ctx, True, interval, 0, condition, clock)
