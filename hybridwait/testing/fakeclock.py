"""A clock moved by hand, for testing timing code without sleeping
(Go ``k8s.io/utils/clock/testing.FakeClock``).

Timers, tickers and ``after`` channels created by a :class:`FakeClock` fire
only when :meth:`FakeClock.step` or :meth:`FakeClock.set_time` moves the time
past them; each firing wakes whoever waits on the channel (no sleeps, no
polling).

Example::

    clock = FakeClock()
    done = threading.Event()
    t = threading.Thread(target=lambda: (clock.new_timer(5).c.get(), done.set()))
    t.start()
    clock.wait_for_waiters()     # the thread now waits on its timer
    clock.step(5)                # fires it
    t.join()
"""

from __future__ import annotations

import threading

from hybridwait.core.clock import Chan, ClockTicker, ClockTimer
from hybridwait.core.duration import Duration, to_seconds

__all__ = ["FakeClock"]


class _Waiter:
    __slots__ = ("c", "period", "target")

    def __init__(self, target: float, period: float) -> None:
        self.target = target
        self.period = period
        self.c = Chan()


class _FakeTimer:
    __slots__ = ("_clock", "_w")

    def __init__(self, clock: FakeClock, w: _Waiter) -> None:
        self._clock = clock
        self._w = w

    @property
    def c(self) -> Chan:
        return self._w.c

    def stop(self) -> bool:
        return self._clock._remove(self._w)

    def reset(self, d: Duration) -> bool:
        return self._clock._rearm(self._w, to_seconds(d, "d"))

    def __repr__(self) -> str:
        return f"<FakeClock timer at {self._w.target}>"


class _FakeTicker:
    __slots__ = ("_clock", "_w")

    def __init__(self, clock: FakeClock, w: _Waiter) -> None:
        self._clock = clock
        self._w = w

    @property
    def c(self) -> Chan:
        return self._w.c

    def stop(self) -> None:
        self._clock._remove(self._w)

    def __repr__(self) -> str:
        return f"<FakeClock ticker every {self._w.period}>"


class FakeClock:
    """A :class:`~hybridwait.Clock` whose time only moves when told to.

    * ``now()``/``since(t)``; ``step(d)`` advances by ``d`` and fires, in time
      order, every timer/ticker/``after`` due; ``set_time(t)`` jumps to ``t``;
    * ``sleep(d)`` is ``step(d)`` (as Go's fake clock): it never blocks;
    * ``has_waiters()`` is true while a timer, ticker or ``after`` is pending;
      ``waiters()`` counts them; ``wait_for_waiters(n)`` blocks (really) until
      at least ``n`` are pending — use it to know a loop in another thread has
      reached its wait before stepping.

    Tickers hold one pending tick; extra ticks are dropped. Timer ``stop()``
    and ``reset()`` drop an unreceived firing and return whether the timer was
    still pending.

    Example::

        >>> clock = FakeClock(start=100.0)
        >>> t = clock.new_timer(2)
        >>> clock.step(1.5); t.c.get_nowait()
        Traceback (most recent call last):
        ...
        _queue.Empty
        >>> clock.step(0.5); t.c.get_nowait()
        102.0
    """

    def __init__(self, start: Duration = 0.0) -> None:
        self._time = to_seconds(start, "start")
        self._cond = threading.Condition()
        self._waiters: list[_Waiter] = []

    def __repr__(self) -> str:
        return f"FakeClock(now={self._time!r}, waiters={len(self._waiters)})"

    # -- Clock ------------------------------------------------------------------
    def now(self) -> float:
        """The fake time."""
        return self._time

    def since(self, t: float) -> float:
        """Fake seconds elapsed since ``t``."""
        return self._time - t

    def _add(self, d: float, period: float) -> _Waiter:
        with self._cond:
            w = _Waiter(self._time + d, period)
            self._waiters.append(w)
            self._cond.notify_all()
        return w

    def new_timer(self, d: Duration) -> ClockTimer:
        """A timer firing when the fake time reaches ``now() + d``."""
        return _FakeTimer(self, self._add(to_seconds(d, "d"), 0.0))

    def new_ticker(self, d: Duration) -> ClockTicker:
        """A ticker firing every ``d`` fake seconds; ``d <= 0`` raises ``ValueError``."""
        secs = to_seconds(d, "d")
        if secs <= 0:
            raise ValueError(f"ticker interval d must be positive, got {secs}")
        return _FakeTicker(self, self._add(secs, secs))

    def after(self, d: Duration) -> Chan:
        """A channel receiving the fake time once ``d`` fake seconds have passed."""
        return self._add(to_seconds(d, "d"), 0.0).c

    def sleep(self, d: Duration) -> None:
        """Same as :meth:`step` (never blocks)."""
        self.step(d)

    # -- driving time -------------------------------------------------------------
    def step(self, d: Duration) -> None:
        """Advance the time by ``d`` seconds and fire everything due."""
        secs = to_seconds(d, "d")
        with self._cond:
            fired = self._set_locked(self._time + secs)
        self._deliver(fired)

    def set_time(self, t: Duration) -> None:
        """Set the time to ``t`` and fire everything due."""
        secs = to_seconds(t, "t")
        with self._cond:
            fired = self._set_locked(secs)
        self._deliver(fired)

    def _set_locked(self, t: float) -> list[tuple[Chan, float]]:
        self._time = t
        due = sorted((w for w in self._waiters if w.target <= t), key=lambda w: w.target)
        fired: list[tuple[Chan, float]] = []
        for w in due:
            fired.append((w.c, t))
            if w.period > 0:
                while w.target <= t:
                    w.target += w.period
            else:
                self._waiters.remove(w)
        if due:
            self._cond.notify_all()
        return fired

    @staticmethod
    def _deliver(fired: list[tuple[Chan, float]]) -> None:
        for c, t in fired:
            c.put_nowait(t)  # a full channel drops the firing

    def _remove(self, w: _Waiter) -> bool:
        with self._cond:
            w.c._disarm()  # drop an unreceived firing
            try:
                self._waiters.remove(w)
            except ValueError:
                return False
            self._cond.notify_all()
            return True

    def _rearm(self, w: _Waiter, d: float) -> bool:
        with self._cond:
            w.c._disarm()
            active = w in self._waiters
            w.target = self._time + d
            if not active:
                self._waiters.append(w)
            self._cond.notify_all()
            return active

    # -- inspection ---------------------------------------------------------------
    def has_waiters(self) -> bool:
        """True while any timer, ticker or ``after`` channel is pending."""
        with self._cond:
            return bool(self._waiters)

    def waiters(self) -> int:
        """How many timers/tickers/``after`` channels are pending."""
        with self._cond:
            return len(self._waiters)

    def next_due(self) -> float | None:
        """The fake time at which the soonest pending waiter fires (None: none).

        Lets a test see that a loop in another thread re-armed its timer for a
        new time (``waiters()`` alone cannot tell an old timer from its
        replacement).

        Example::

            >>> clock = FakeClock(start=10.0)
            >>> _ = clock.new_timer(2); _ = clock.new_timer(5)
            >>> clock.next_due()
            12.0
        """
        with self._cond:
            return min((w.target for w in self._waiters), default=None)

    def wait_for_waiters(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block (in real time) until at least ``count`` waiters are pending.

        Returns False if ``timeout`` real seconds pass first.
        """
        with self._cond:
            return self._cond.wait_for(lambda: len(self._waiters) >= count, timeout)
