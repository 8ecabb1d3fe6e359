"""Clocks, channels, timers and tickers (Go ``k8s.io/utils/clock``).

Time in hybridwait is seconds as ``float``. :class:`RealClock` reads
:func:`time.monotonic`; :class:`hybridwait.testing.FakeClock` is moved by hand.
Every core API that measures time takes ``clock=`` (default :class:`RealClock`).

A :class:`Chan` is Go's ``<-chan time.Time`` with capacity 1: thread-safe,
``get(timeout=None)`` returns the fire time. Real-clock timers and tickers
start no thread: their channel is *lazy* (it holds a value once
``monotonic() >= due``) and waiters compute how long to sleep.

Example::

    clock = RealClock()
    t = clock.new_timer(0.05)
    fired_at = t.c.get()          # blocks ~50 ms
    tick = clock.new_ticker(1.0)
    tick.stop()
"""

from __future__ import annotations

import math
import queue
import time
from typing import Protocol, runtime_checkable

from hybridwait.core.duration import Duration, to_seconds
from hybridwait.core.waitable import Waitable, wait_any

__all__ = [
    "Chan",
    "Clock",
    "ClockTicker",
    "ClockTimer",
    "RealClock",
    "real_timer",
    "resolve_clock",
]

_monotonic = time.monotonic


class Chan(Waitable):
    """A thread-safe channel of fire times with capacity 1 (Go ``<-chan time.Time``).

    * ``get(timeout=None)`` blocks until a value is there and returns it, or
      raises :class:`queue.Empty` when ``timeout`` seconds pass first;
    * ``get_nowait()`` returns a value or raises :class:`queue.Empty`;
    * ``put_nowait(value)`` stores a value and wakes waiters; it returns
      ``False`` (value dropped) when the channel is full — like a ticker that
      drops extra ticks;
    * ``close()``: a closed channel is always ready and yields ``0.0`` for ever
      (Go's closed channel; :class:`~hybridwait.NoopTimer` uses one).

    ``put_nowait`` lets other code *kick* a timer from another thread: a wait
    loop blocked on ``timer.c`` wakes up and runs its condition at once (see
    :class:`~hybridwait.KickTimer`).

    Example::

        >>> c = Chan()
        >>> c.put_nowait(1.5), c.put_nowait(2.0)
        (True, False)
        >>> c.get_nowait()
        1.5
    """

    __slots__ = ("_closed", "_due_at", "_period", "_value")

    def __init__(self) -> None:
        super().__init__()
        self._value: float | None = None
        self._due_at: float | None = None  # lazy real-clock fire time
        self._period = 0.0  # > 0 for a ticker
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("full" if self._value is not None else "empty")
        return f"<Chan {state}>"

    # -- lazy real-clock firing ------------------------------------------------
    def _fire_due_locked(self, now: float) -> None:
        """Deliver a lazy tick whose due time has come (lock held)."""
        due = self._due_at
        if due is None or now < due:
            return
        if self._value is None:
            self._value = due
        if self._period > 0.0:
            # Next tick on the grid, dropping the ones a slow receiver missed.
            self._due_at = due + self._period * (math.floor((now - due) / self._period) + 1)
        else:
            self._due_at = None

    def _arm(self, due: float, period: float) -> None:
        with self._wlock:
            self._value = None
            self._due_at = due
            self._period = period
        self._notify()  # waiters recompute how long to sleep

    def _disarm(self) -> bool:
        """Stop firing and drop any unreceived value; True if it had not fired yet."""
        with self._wlock:
            due = self._due_at
            pending = due is not None and _monotonic() < due
            self._due_at = None
            self._value = None
            return pending

    # -- Waitable ---------------------------------------------------------------
    def _ready(self) -> bool:
        if self._value is not None or self._closed:
            return True
        due = self._due_at
        if due is not None:
            now = _monotonic()
            if now >= due:
                with self._wlock:
                    self._fire_due_locked(now)
                return True
        return False

    def _due(self) -> float | None:
        if self._value is not None or self._closed:
            return None
        return self._due_at

    def _take(self) -> float | None:
        """Receive a value if one is there (fires a lazy due tick first)."""
        if self._closed:
            return 0.0
        if self._value is None:
            due = self._due_at
            if due is None or _monotonic() < due:
                return None
        with self._wlock:
            if self._value is None:
                self._fire_due_locked(_monotonic())
            v = self._value
            self._value = None
            return v

    def _try_recv(self) -> bool:
        """Receive and discard a value if one is there; True if received."""
        if self._closed:
            return True
        if self._value is None:
            due = self._due_at
            if due is None or _monotonic() < due:
                return False
        return self._take() is not None

    def _recv_unless(self, done: Waitable) -> bool:
        """Block until a value is received (True) or ``done`` is ready (False).

        ``done`` has priority when both are ready, and is checked again after a
        receive, so a cancelled wait never runs its condition once more.
        """
        while True:
            if done._ready():
                return False
            if self._try_recv():
                return not done._ready()
            wait_any((done, self))

    # -- public API -------------------------------------------------------------
    def get(self, timeout: float | None = None) -> float:
        """Return the next value, blocking up to ``timeout`` seconds (``None``: for ever).

        Raises :class:`queue.Empty` when the timeout passes first.

        Example::

            fired_at = RealClock().new_timer(0.01).c.get(timeout=1)
        """
        end = None
        if timeout is not None:
            end = _monotonic() + to_seconds(timeout, "timeout", allow_inf=True)
        while True:
            v = self._take()
            if v is not None:
                return v
            remaining = None if end is None else end - _monotonic()
            if remaining is not None and remaining <= 0:
                raise queue.Empty
            wait_any((self,), remaining)

    def get_nowait(self) -> float:
        """Return a value if one is there, else raise :class:`queue.Empty`."""
        v = self._take()
        if v is None:
            raise queue.Empty
        return v

    def put_nowait(self, value: float) -> bool:
        """Store ``value`` and wake waiters; ``False`` (dropped) if full or closed.

        Example::

            timer.c.put_nowait(clock.now())   # wake the loop waiting on timer.c
        """
        v = float(value)
        with self._wlock:
            if self._closed:
                return False
            self._fire_due_locked(_monotonic())
            if self._value is not None:
                return False
            self._value = v
        self._notify()
        return True

    def close(self) -> None:
        """Close the channel: it is ready for ever and yields ``0.0``."""
        with self._wlock:
            self._closed = True
            self._due_at = None
        self._notify()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed


@runtime_checkable
class ClockTimer(Protocol):
    """A one-shot timer (Go ``clock.Timer``): ``.c`` receives the fire time once.

    ``stop()`` and ``reset(d)`` return True if the timer had not fired yet; both
    drop a fired-but-unreceived value (Go >= 1.23 semantics), so after
    ``reset(d)`` the next value on ``.c`` is the new firing.

    Example::

        t = clock.new_timer(1.0)
        t.reset(2.0)
        t.c.get()
    """

    @property
    def c(self) -> Chan: ...

    def stop(self) -> bool: ...

    def reset(self, d: Duration) -> bool: ...


@runtime_checkable
class ClockTicker(Protocol):
    """A periodic ticker (Go ``clock.Ticker``): ``.c`` holds at most one pending
    tick; ticks a slow receiver misses are dropped.

    Example::

        tk = clock.new_ticker(0.5)
        tk.c.get(); tk.c.get()
        tk.stop()
    """

    @property
    def c(self) -> Chan: ...

    def stop(self) -> None: ...


@runtime_checkable
class Clock(Protocol):
    """What the core needs from a clock (Go ``clock.Clock``).

    Implemented by :class:`RealClock` and :class:`hybridwait.testing.FakeClock`.

    Example::

        def backoff_delay(clock: Clock = RealClock()) -> float:
            start = clock.now()
            clock.sleep(0.1)
            return clock.since(start)
    """

    def now(self) -> float: ...

    def since(self, t: float) -> float: ...

    def new_timer(self, d: Duration) -> ClockTimer: ...

    def new_ticker(self, d: Duration) -> ClockTicker: ...

    def after(self, d: Duration) -> Chan: ...

    def sleep(self, d: Duration) -> None: ...


class _RealTimer:
    __slots__ = ("c",)

    def __init__(self, d: float) -> None:
        self.c = Chan()
        self.c._arm(_monotonic() + d, 0.0)

    def stop(self) -> bool:
        return self.c._disarm()

    def reset(self, d: Duration) -> bool:
        secs = to_seconds(d, "d")
        was = self.c._disarm()
        self.c._arm(_monotonic() + secs, 0.0)
        return was

    def __repr__(self) -> str:
        return f"<RealClock timer {self.c!r}>"


class _RealTicker:
    __slots__ = ("c",)

    def __init__(self, d: float) -> None:
        self.c = Chan()
        self.c._arm(_monotonic() + d, d)

    def stop(self) -> None:
        self.c._disarm()

    def __repr__(self) -> str:
        return f"<RealClock ticker {self.c!r}>"


class RealClock:
    """The real clock: :func:`time.monotonic` seconds; timers start no thread.

    Example::

        >>> c = RealClock()
        >>> c.since(c.now()) >= 0
        True
    """

    __slots__ = ()

    def now(self) -> float:
        """Current monotonic time in seconds."""
        return _monotonic()

    def since(self, t: float) -> float:
        """Seconds elapsed since ``t`` (a value of :meth:`now`)."""
        return _monotonic() - t

    def new_timer(self, d: Duration) -> ClockTimer:
        """A timer firing once after ``d`` seconds (at once if ``d <= 0``)."""
        return _RealTimer(to_seconds(d, "d"))

    def new_ticker(self, d: Duration) -> ClockTicker:
        """A ticker firing every ``d`` seconds; ``d <= 0`` raises ``ValueError``
        (Go panics: "non-positive interval for NewTicker")."""
        secs = to_seconds(d, "d")
        if secs <= 0:
            raise ValueError(f"ticker interval d must be positive, got {secs}")
        return _RealTicker(secs)

    def after(self, d: Duration) -> Chan:
        """A channel receiving the fire time once, after ``d`` seconds."""
        return _RealTimer(to_seconds(d, "d")).c

    def sleep(self, d: Duration) -> None:
        """Sleep ``d`` seconds (no-op for ``d <= 0``)."""
        secs = to_seconds(d, "d")
        if secs > 0:
            time.sleep(secs)

    def __repr__(self) -> str:
        return "RealClock()"


_REAL_CLOCK = RealClock()


def resolve_clock(clock: Clock | None) -> Clock:
    """``clock``, or the shared :class:`RealClock` when ``None``."""
    return _REAL_CLOCK if clock is None else clock


def real_timer(d: Duration) -> ClockTimer:
    """A real-clock timer firing after ``d`` seconds (Go ``wait.RealTimer``).

    Example::

        real_timer(0.01).c.get()
    """
    return _REAL_CLOCK.new_timer(d)
