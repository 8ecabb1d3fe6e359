"""Timers that drive wait loops (Go ``timer.go``).

A :class:`Timer` is what :func:`~hybridwait.loop_condition_until_context`
waits on: ``.c`` (a :class:`~hybridwait.Chan` receiving each firing),
``next()`` (start the next interval, after ``.c`` was drained) and ``stop()``.
Timers are not meant to be shared between threads (except
:meth:`KickTimer.kick`).

The three kinds Go has, chosen for you by :meth:`Backoff.timer`:

* :class:`NoopTimer` — a closed channel: fires at once, every time (interval 0);
* :class:`FixedTimer` — a clock ticker (fixed interval, extra ticks dropped);
* :class:`VariableTimer` — a one-shot clock timer re-armed with a new delay
  from a :class:`~hybridwait.DelayFunc` by each ``next()``.

And :class:`KickTimer`, which wraps any of them so another thread can make the
loop run its condition *now* (``kick()``), e.g. when a watch event arrives.

Example::

    t = KickTimer(Backoff(duration=5.0).timer())
    # in a watcher thread:  t.kick()
    loop_condition_until_context(ctx, t, True, False, condition)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from hybridwait.core._check import require_callable
from hybridwait.core.clock import Chan, Clock, ClockTicker, ClockTimer, resolve_clock
from hybridwait.core.duration import Duration, to_seconds

__all__ = ["FixedTimer", "KickTimer", "NoopTimer", "Timer", "VariableTimer"]


def is_timer(obj: object) -> bool:
    """True if ``obj`` has ``next()`` and ``stop()`` (``c`` is not touched: reading
    it may start the timer)."""
    return callable(getattr(obj, "next", None)) and callable(getattr(obj, "stop", None))


@runtime_checkable
class Timer(Protocol):
    """How wait loops interact with time (Go ``wait.Timer``).

    * ``c``: the channel receiving each firing (may be cached for the timer's life);
    * ``next()``: begin the next interval; only after ``c`` was drained;
    * ``stop()``: release the timer; safe even if nothing else was called.

    Note: on Python < 3.12, ``isinstance(obj, Timer)`` reads ``obj.c``, which
    starts a lazy timer; the core checks timers without touching ``c``.

    Example::

        t = Backoff(duration=1.0).timer()
        t.c.get(); t.next(); t.stop()
    """

    @property
    def c(self) -> Chan: ...

    def next(self) -> None: ...

    def stop(self) -> None: ...


class NoopTimer:
    """A timer that is always ready (a closed channel): interval zero.

    Example::

        >>> t = NoopTimer()
        >>> t.c.get_nowait()
        0.0
    """

    __slots__ = ("c",)

    def __init__(self) -> None:
        self.c = Chan()
        self.c.close()

    def next(self) -> None:
        """Nothing to do: the channel is always ready."""

    def stop(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return "NoopTimer()"


class FixedTimer:
    """A fixed-interval timer backed by a clock ticker, created on first ``.c``.

    ``next()`` does nothing: the ticker keeps its own schedule (so a slow
    condition makes the next call happen at once, and missed ticks drop).

    Example::

        t = FixedTimer(0.5)        # or FixedTimer(0.5, clock=fake_clock)
        t.c.get(); t.stop()
    """

    __slots__ = ("_clock", "_interval", "_t")

    def __init__(self, interval: Duration, clock: Clock | None = None) -> None:
        self._interval = to_seconds(interval, "interval")
        if self._interval <= 0:
            raise ValueError(f"interval must be positive, got {self._interval}")
        self._clock = resolve_clock(clock)
        self._t: ClockTicker | None = None

    @property
    def c(self) -> Chan:
        """The ticker's channel (the ticker starts on first access)."""
        t = self._t
        if t is None:
            t = self._t = self._clock.new_ticker(self._interval)
        return t.c

    def next(self) -> None:
        """No-op for fixed timers."""

    def stop(self) -> None:
        """Stop the ticker (a later ``.c`` starts a new one)."""
        if self._t is not None:
            self._t.stop()
            self._t = None

    def __repr__(self) -> str:
        return f"FixedTimer({self._interval!r})"


class VariableTimer:
    """A timer whose every interval comes from ``fn()`` (Go ``variableTimer``).

    The clock timer is created on first ``.c`` with ``fn()``; each ``next()``
    resets it to a fresh ``fn()``.

    Example::

        t = VariableTimer(Backoff(duration=0.1, factor=2, steps=5).delay_func())
    """

    __slots__ = ("_clock", "_fn", "_t")

    def __init__(self, fn: Callable[[], float], clock: Clock | None = None) -> None:
        self._fn = require_callable(fn, "fn")
        self._clock = resolve_clock(clock)
        self._t: ClockTimer | None = None

    @property
    def c(self) -> Chan:
        """The current clock timer's channel (created with ``fn()`` on first access)."""
        t = self._t
        if t is None:
            t = self._t = self._clock.new_timer(self._fn())
        return t.c

    def next(self) -> None:
        """Re-arm the timer with the next ``fn()`` interval."""
        if self._t is None:
            return
        self._t.reset(self._fn())

    def stop(self) -> None:
        """Stop the clock timer (a later ``.c`` starts a new one)."""
        if self._t is not None:
            self._t.stop()
            self._t = None

    def __repr__(self) -> str:
        return f"VariableTimer({self._fn!r})"


class KickTimer:
    """Wrap a :class:`Timer` so another thread can fire it early with :meth:`kick`.

    The loop waiting on ``.c`` wakes up and runs its condition at once; then the
    inner timer's own schedule goes on. A kick while a firing is already
    pending is dropped (one wake-up is enough). ``KickTimer()`` with no inner
    timer fires only when kicked. ``kick()`` is thread-safe; the rest follows
    the :class:`Timer` rules.

    Note: a zero interval gives a :class:`NoopTimer`, which is always ready, so
    kicks change nothing there.

    Example::

        timer = KickTimer(Backoff(duration=2.0).timer())
        watcher = threading.Thread(target=lambda: on_event(timer.kick))
        poll_result = loop_condition_until_context(ctx, timer, True, False, cond)
    """

    __slots__ = ("_c", "_clock", "_inner", "_lock")

    def __init__(self, inner: Timer | None = None, clock: Clock | None = None) -> None:
        if inner is not None and not is_timer(inner):
            raise TypeError(f"inner must be a Timer, not {type(inner).__name__}")
        self._inner = inner
        self._clock = resolve_clock(clock)
        self._lock = threading.Lock()
        self._c: Chan | None = None

    @property
    def c(self) -> Chan:
        """The channel the loop waits on (the inner timer's)."""
        c = self._c
        if c is None:
            with self._lock:
                if self._c is None:
                    self._c = self._inner.c if self._inner is not None else Chan()
                c = self._c
        return c

    def kick(self) -> bool:
        """Make the waiting loop run its condition now; False if a firing was pending."""
        return self.c.put_nowait(self._clock.now())

    def next(self) -> None:
        """Begin the inner timer's next interval."""
        if self._inner is not None:
            self._inner.next()

    def stop(self) -> None:
        """Stop the inner timer."""
        with self._lock:
            self._c = None
        if self._inner is not None:
            self._inner.stop()

    def __repr__(self) -> str:
        return f"KickTimer({self._inner!r})"
