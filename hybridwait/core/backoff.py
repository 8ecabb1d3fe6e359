"""Exponential backoff and jitter (Go ``backoff.go``, ``Jitter`` from ``wait.go``).

Example::

    b = Backoff(duration=0.1, factor=2.0, jitter=0.1, steps=5, cap=1.0)
    obj = exponential_backoff(b, lambda: fetch_or_none())   # up to 5 tries

    ctx, cancel = with_timeout(background(), 30)
    exponential_backoff_with_context(ctx, b, lambda ctx: fetch_or_none())
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from hybridwait.core._check import require_callable, require_factor, require_int
from hybridwait.core.clock import Clock, ClockTimer, resolve_clock
from hybridwait.core.context import Context, as_context, fresh_err
from hybridwait.core.delay import DelayFunc
from hybridwait.core.duration import Duration, to_seconds
from hybridwait.core.errors import WaitTimeout
from hybridwait.core.timer import FixedTimer, NoopTimer, Timer, VariableTimer

__all__ = [
    "Backoff",
    "BackoffManager",
    "exponential_backoff",
    "exponential_backoff_with_context",
    "jitter",
    "new_exponential_backoff_manager",
    "new_jittered_backoff_manager",
]

T = TypeVar("T")

#: Source of U[0, 1) for jitter; a module attribute so tests can make it deterministic.
jitter_rand: Callable[[], float] = random.random

_MAX_INT32 = 2**31 - 1


def jitter(duration: Duration, max_factor: float) -> float:
    """``duration + U[0,1) * max_factor * duration`` (Go ``wait.Jitter``).

    A ``max_factor <= 0`` is replaced by 1.0.

    Example::

        >>> 1.0 <= jitter(1.0, 0.5) < 1.5
        True
    """
    d = to_seconds(duration, "duration")
    f = require_factor(max_factor, "max_factor")
    if f <= 0.0:
        f = 1.0
    return d + jitter_rand() * f * d


def _delay(
    steps: int, duration: float, cap: float, factor: float, jitter_: float
) -> tuple[float, float, int]:
    """Go's ``delay()``: (this wait, next base duration, remaining steps)."""
    if steps < 1:  # non-positive steps: the base duration does not change
        if jitter_ > 0:
            return duration + jitter_rand() * jitter_ * duration, duration, 0
        return duration, duration, 0
    steps -= 1
    if factor != 0:
        nxt = duration * factor
        if cap > 0 and nxt > cap:
            nxt = cap
            steps = 0
    else:
        nxt = duration
    if jitter_ > 0:
        duration = duration + jitter_rand() * jitter_ * duration
    return duration, nxt, steps


@dataclass
class Backoff:
    """Parameters of an exponential backoff (Go ``wait.Backoff``).

    * ``duration``: the initial wait (seconds or ``timedelta``);
    * ``factor``: ``duration`` is multiplied by it at each step (0: constant);
    * ``jitter``: each wait gets ``+ U[0,1) * jitter * duration`` (not cumulative);
    * ``steps``: how many times the duration may still change; when it reaches
      0 the duration stops growing (and :func:`exponential_backoff` stops);
    * ``cap``: when ``duration * factor`` would exceed it, the duration becomes
      ``cap`` and ``steps`` 0.

    Example::

        >>> b = Backoff(duration=1, factor=2, steps=3, cap=3)
        >>> [b.step() for _ in range(4)]
        [1.0, 2.0, 3.0, 3.0]
    """

    duration: float = 0.0
    factor: float = 0.0
    jitter: float = 0.0
    steps: int = 0
    cap: float = 0.0

    def __post_init__(self) -> None:
        self.duration = to_seconds(self.duration, "duration")
        self.factor = require_factor(self.factor, "factor")
        self.jitter = require_factor(self.jitter, "jitter")
        self.steps = require_int(self.steps, "steps")
        self.cap = to_seconds(self.cap, "cap")

    def step(self) -> float:
        """Return the next wait and advance ``duration``/``steps`` exactly as Go's ``Step``.

        Example::

            >>> b = Backoff(duration=1, factor=2, steps=2)
            >>> b.step(), b.step(), b.step()
            (1.0, 2.0, 4.0)
        """
        nxt, self.duration, self.steps = _delay(
            self.steps, self.duration, self.cap, self.factor, self.jitter
        )
        return nxt

    def delay_func(self) -> DelayFunc:
        """A :class:`DelayFunc` following this backoff; ``self`` is not changed.

        Example::

            >>> d = Backoff(duration=1, factor=3, steps=2).delay_func()
            >>> d(), d(), d()
            (1.0, 3.0, 9.0)
        """
        steps, duration = self.steps, self.duration
        cap, factor, jit = self.cap, self.factor, self.jitter

        def next_delay() -> float:
            nonlocal steps, duration
            nxt, duration, steps = _delay(steps, duration, cap, factor, jit)
            return nxt

        return DelayFunc(next_delay)

    def timer(self, clock: Clock | None = None) -> Timer:
        """The cheapest :class:`Timer` for these parameters (Go ``Backoff.Timer``).

        ``steps > 1`` or a jitter -> :class:`VariableTimer`; else ``duration > 0``
        -> :class:`FixedTimer` (a ticker); else :class:`NoopTimer` (no wait).

        Example::

            >>> type(Backoff(duration=0).timer()).__name__
            'NoopTimer'
        """
        if self.steps > 1 or self.jitter != 0:
            return VariableTimer(self.delay_func(), clock)
        if self.duration > 0:
            return FixedTimer(self.duration, clock)
        return NoopTimer()

    def delay_with_reset(self, clock: Clock | None, reset_interval: Duration) -> DelayFunc:
        """A thread-safe :class:`DelayFunc` that returns to the initial backoff
        every ``reset_interval`` seconds (Go ``Backoff.DelayWithReset``).

        With ``factor <= 0`` it is :meth:`delay_func`; with ``reset_interval <= 0``
        it always returns ``duration`` (jittered).

        Example::

            d = Backoff(duration=1, factor=2, steps=10, cap=10).delay_with_reset(clock, 60)
        """
        reset = to_seconds(reset_interval, "reset_interval")
        if self.factor <= 0:
            return self.delay_func()
        if reset <= 0:
            return dataclasses.replace(self, steps=0, factor=0.0).delay_func()
        return DelayFunc(_ResetBackoffManager(self, reset, resolve_clock(clock)).step)


@runtime_checkable
class BackoffManager(Protocol):
    """Hands out the timer to wait on before the next run (Go ``wait.BackoffManager``).

    ``backoff()`` returns a shared :class:`~hybridwait.ClockTimer`, reset on
    every call; not safe for use from several threads.

    Example::

        bm = new_jittered_backoff_manager(1.0, 0.1)
        bm.backoff().c.get()
    """

    def backoff(self) -> ClockTimer: ...


class _ResetBackoffManager:
    """Go's ``backoffManager``: a backoff that resets every ``reset_interval``."""

    def __init__(self, backoff: Backoff, reset_interval: float, clock: Clock) -> None:
        self._initial = dataclasses.replace(backoff)
        self._backoff = dataclasses.replace(backoff)
        self._reset_interval = reset_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last_start = clock.now()
        self._timer: ClockTimer | None = None

    def _step_locked(self) -> float:
        if self._reset_interval == 0:
            self._backoff = dataclasses.replace(self._initial)
        elif self._clock.now() - self._last_start > self._reset_interval:
            self._backoff = dataclasses.replace(self._initial)
            self._last_start = self._clock.now()
        return self._backoff.step()

    def step(self) -> float:
        """The next delay (resetting first if ``reset_interval`` has passed)."""
        with self._lock:
            return self._step_locked()

    def backoff(self) -> ClockTimer:
        """The shared timer, reset to the next delay."""
        with self._lock:
            d = self._step_locked()
            if self._timer is None:
                self._timer = self._clock.new_timer(d)
            else:
                self._timer.reset(d)
            return self._timer

    def timer(self) -> Timer:
        """A :class:`Timer` sharing this manager's clock and reset behaviour."""
        return VariableTimer(self.step, self._clock)


class _TimerBackoffManager:
    """What both Go managers share: one timer, reset to the next delay on each call."""

    _clock: Clock
    _timer: ClockTimer | None

    def _next(self) -> float:
        raise NotImplementedError

    def backoff(self) -> ClockTimer:
        d = self._next()
        if self._timer is None:
            self._timer = self._clock.new_timer(d)
        else:
            self._timer.reset(d)
        return self._timer


class _ExponentialBackoffManager(_TimerBackoffManager):
    def __init__(
        self, init: float, max_: float, reset: float, factor: float, jit: float, clock: Clock
    ) -> None:
        # Go sets Steps to MaxInt32 so the duration never stops growing before the cap.
        self._backoff = Backoff(
            duration=init, factor=factor, jitter=jit, steps=_MAX_INT32, cap=max_
        )
        self._initial = init
        self._reset = reset
        self._clock = clock
        self._last_start = clock.now()
        self._timer: ClockTimer | None = None

    def _next(self) -> float:
        if self._clock.now() - self._last_start > self._reset:
            self._backoff.steps = _MAX_INT32
            self._backoff.duration = self._initial
        self._last_start = self._clock.now()
        return self._backoff.step()


class _JitteredBackoffManager(_TimerBackoffManager):
    def __init__(self, duration: float, jit: float, clock: Clock) -> None:
        self._duration = duration
        self._jitter = jit
        self._clock = clock
        self._timer: ClockTimer | None = None

    def _next(self) -> float:
        if self._jitter > 0.0:
            return jitter(self._duration, self._jitter)
        return self._duration


def new_exponential_backoff_manager(
    init: Duration,
    max: Duration,  # the contract's name (shadows the builtin here only)
    reset: Duration,
    factor: float,
    jitter: float,
    clock: Clock | None = None,
) -> BackoffManager:
    """Exponential backoff from ``init`` (multiplied by ``factor``, jittered,
    capped at ``max``) that resets after ``reset`` seconds without a call
    (Go ``NewExponentialBackoffManager``; deprecated there in favour of
    ``Backoff(...).delay_with_reset(clock, reset).timer()``).

    Example::

        bm = new_exponential_backoff_manager(0.8, 30, 120, 2.0, 1.0, clock)
        backoff_until(sync_once, bm, True, stop)
    """
    return _ExponentialBackoffManager(
        to_seconds(init, "init"),
        to_seconds(max, "max"),
        to_seconds(reset, "reset"),
        require_factor(factor, "factor"),
        require_factor(jitter, "jitter"),
        resolve_clock(clock),
    )


def new_jittered_backoff_manager(
    duration: Duration, jitter: float, clock: Clock | None = None
) -> BackoffManager:
    """Backoff of ``duration`` plus jitter (none if ``jitter <= 0``)
    (Go ``NewJitteredBackoffManager``).

    Example::

        bm = new_jittered_backoff_manager(1.0, 0.2)
    """
    return _JitteredBackoffManager(
        to_seconds(duration, "duration"), require_factor(jitter, "jitter"), resolve_clock(clock)
    )


def _check_backoff(backoff: object) -> Backoff:
    if not isinstance(backoff, Backoff):
        raise TypeError(f"backoff must be a Backoff, not {type(backoff).__name__}")
    if backoff.steps < 0:
        raise ValueError(f"backoff.steps must not be negative, got {backoff.steps}")
    return dataclasses.replace(backoff)  # Go passes Backoff by value


def exponential_backoff(
    backoff: Backoff, condition: Callable[[], T], *, clock: Clock | None = None
) -> T:
    """Call ``condition()`` up to ``backoff.steps`` times, sleeping ``backoff.step()``
    between calls (Go ``ExponentialBackoff``); ``backoff`` itself is not changed.

    Returns the first truthy result; an exception from the condition
    propagates unchanged. Raises :class:`WaitTimeout` once ``steps`` calls
    failed (``steps == 0``: no call at all) or a cap truncated the steps.
    Negative ``steps`` raise ``ValueError``.

    Example::

        node = exponential_backoff(Backoff(duration=0.1, factor=2, steps=5), find_node)
    """
    b = _check_backoff(backoff)
    require_callable(condition, "condition")
    clk = resolve_clock(clock)
    while b.steps > 0:
        result = condition()
        if result:
            return result
        if b.steps == 1:
            break
        clk.sleep(b.step())
    raise WaitTimeout()


def exponential_backoff_with_context(
    ctx: Context | Any,
    backoff: Backoff,
    condition: Callable[[Context], T],
    *,
    clock: Clock | None = None,
) -> T:
    """Like :func:`exponential_backoff` with ``condition(ctx)``, stopping when ``ctx``
    is done (Go ``ExponentialBackoffWithContext``).

    ``ctx`` is checked before every call (a done context: no call, a fresh
    :class:`Canceled`/:class:`DeadlineExceeded`) and interrupts the sleeps.
    The condition runs at most ``backoff.steps`` times, then
    :class:`WaitTimeout`.

    Example::

        ctx, cancel = with_timeout(background(), 10)
        exponential_backoff_with_context(ctx, Backoff(0.1, 2, 0, 8), lambda ctx: ping())
    """
    c = as_context(ctx, "ctx")
    b = _check_backoff(backoff)
    require_callable(condition, "condition")
    clk = resolve_clock(clock)
    done = c.done()
    while b.steps > 0:
        if done._ready():
            raise fresh_err(c)
        result = condition(c)
        if result:
            return result
        if b.steps == 1:
            break
        t = clk.new_timer(b.step())
        try:
            if not t.c._recv_unless(done):
                raise fresh_err(c)
        finally:
            t.stop()
    raise WaitTimeout()
