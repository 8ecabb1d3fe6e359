"""Periodic loops and goroutine groups (Go ``wait.go`` and the ``until`` family of ``backoff.go``).

``until``-style loops run a function (not a condition) every period until
``stop``/``ctx`` is done. A function that raises goes through
:mod:`hybridwait.crash` (handlers, then re-raised if ``really_crash``).

Example::

    stop = threading.Event()
    g = Group()
    g.start(lambda: until(refresh_cache, 5.0, stop))
    ...
    stop.set(); g.wait()
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any, TypeAlias

from hybridwait.core import crash
from hybridwait.core._check import require_callable
from hybridwait.core.backoff import BackoffManager, new_jittered_backoff_manager
from hybridwait.core.clock import Clock, ClockTimer
from hybridwait.core.context import Context, _RootContext, as_context
from hybridwait.core.duration import Duration

__all__ = [
    "ConditionFunc",
    "ConditionWithContextFunc",
    "Group",
    "backoff_until",
    "backoff_until_with_context",
    "forever",
    "forever_test_timeout",
    "jitter_until",
    "jitter_until_with_context",
    "never_stop",
    "non_sliding_until",
    "non_sliding_until_with_context",
    "until",
    "until_with_context",
]

#: A condition without context (Go ``ConditionFunc``): truthy when done, raises to abort.
ConditionFunc: TypeAlias = Callable[[], Any]
#: A condition taking the context (Go ``ConditionWithContextFunc``).
ConditionWithContextFunc: TypeAlias = Callable[[Context], Any]

#: "Forever" for tests that must not hang (Go ``ForeverTestTimeout``), seconds.
forever_test_timeout: float = 30.0

#: A stop that is never set (Go ``NeverStop``): pass it to run a loop for ever.
never_stop: Context = _RootContext("never_stop")


def backoff_until_with_context(
    ctx: Context | Any,
    f: Callable[[Context], object],
    backoff_manager: BackoffManager,
    sliding: bool,
) -> None:
    """Run ``f(ctx)`` with waits from ``backoff_manager.backoff()`` until ``ctx`` is done
    (Go ``BackoffUntilWithContext``).

    ``f`` is never run once ``ctx`` is done at the top of the loop. ``sliding``:
    the wait starts after ``f`` returns; otherwise it includes ``f``'s run time.
    A raising ``f`` goes through :mod:`hybridwait.crash`.

    Example::

        backoff_until_with_context(ctx, resync, new_jittered_backoff_manager(5, 0.1), True)
    """
    c = as_context(ctx, "ctx")
    require_callable(f, "f")
    if not callable(getattr(backoff_manager, "backoff", None)):
        raise TypeError(
            f"backoff_manager must be a BackoffManager, not {type(backoff_manager).__name__}"
        )
    done = c.done()
    sliding = bool(sliding)
    t: ClockTimer | None = None
    while True:
        if done._ready():
            return
        if not sliding:
            t = backoff_manager.backoff()
        try:
            f(c)
        except Exception as exc:
            if crash.handle_crash(c, exc):
                raise
        if sliding:
            t = backoff_manager.backoff()
        assert t is not None
        if not t.c._recv_unless(done):
            t.stop()
            return


def backoff_until(
    f: Callable[[], object], backoff_manager: BackoffManager, sliding: bool, stop: Any
) -> None:
    """:func:`backoff_until_with_context` for a ``stop`` Event/Context and ``f()``.

    Example::

        backoff_until(resync, new_exponential_backoff_manager(1, 30, 120, 2, 0.1), True, stop)
    """
    require_callable(f, "f")
    backoff_until_with_context(as_context(stop, "stop"), lambda _c: f(), backoff_manager, sliding)


def jitter_until_with_context(
    ctx: Context | Any,
    f: Callable[[Context], object],
    period: Duration,
    jitter_factor: float,
    sliding: bool,
    *,
    clock: Clock | None = None,
) -> None:
    """Run ``f(ctx)`` every ``period`` (jittered if ``jitter_factor > 0``) until
    ``ctx`` is done (Go ``JitterUntilWithContext``).

    Example::

        jitter_until_with_context(ctx, heartbeat, 10, 0.1, True)
    """
    bm = new_jittered_backoff_manager(period, jitter_factor, clock)
    backoff_until_with_context(ctx, f, bm, sliding)


def jitter_until(
    f: Callable[[], object],
    period: Duration,
    jitter_factor: float,
    sliding: bool,
    stop: Any,
    *,
    clock: Clock | None = None,
) -> None:
    """Run ``f()`` every ``period`` (jittered) until ``stop`` is set (Go ``JitterUntil``).

    Example::

        jitter_until(heartbeat, 10, 0.1, True, stop_event)
    """
    bm = new_jittered_backoff_manager(period, jitter_factor, clock)
    backoff_until(f, bm, sliding, stop)


def until(
    f: Callable[[], object], period: Duration, stop: Any, *, clock: Clock | None = None
) -> None:
    """Run ``f()`` every ``period`` until ``stop`` is set; the period starts after
    ``f`` returns (sliding) (Go ``Until``).

    Example::

        until(flush_metrics, 15, stop_event)
    """
    jitter_until(f, period, 0.0, True, stop, clock=clock)


def until_with_context(
    ctx: Context | Any,
    f: Callable[[Context], object],
    period: Duration,
    *,
    clock: Clock | None = None,
) -> None:
    """Run ``f(ctx)`` every ``period`` (sliding) until ``ctx`` is done (Go ``UntilWithContext``).

    Example::

        until_with_context(ctx, lambda ctx: flush_metrics(), 15)
    """
    jitter_until_with_context(ctx, f, period, 0.0, True, clock=clock)


def non_sliding_until(
    f: Callable[[], object], period: Duration, stop: Any, *, clock: Clock | None = None
) -> None:
    """Run ``f()`` every ``period``, the period including ``f``'s run time, until
    ``stop`` is set (Go ``NonSlidingUntil``).

    Example::

        non_sliding_until(sample, 1.0, stop_event)
    """
    jitter_until(f, period, 0.0, False, stop, clock=clock)


def non_sliding_until_with_context(
    ctx: Context | Any,
    f: Callable[[Context], object],
    period: Duration,
    *,
    clock: Clock | None = None,
) -> None:
    """Non-sliding :func:`until_with_context` (Go ``NonSlidingUntilWithContext``).

    Example::

        non_sliding_until_with_context(ctx, sample, 1.0)
    """
    jitter_until_with_context(ctx, f, period, 0.0, False, clock=clock)


def forever(f: Callable[[], object], period: Duration, *, clock: Clock | None = None) -> None:
    """Run ``f()`` every ``period`` for ever (Go ``Forever``).

    Example::

        threading.Thread(target=forever, args=(report, 60), daemon=True).start()
    """
    until(f, period, never_stop, clock=clock)


class Group:
    """Start functions in threads and wait for all of them (Go ``wait.Group``).

    Threads are daemon threads (like goroutines, they do not keep the process
    alive); :meth:`wait` returns once every started function has returned and
    its thread has ended.

    Example::

        g = Group()
        stop = threading.Event()
        g.start_with_channel(stop, lambda stop: until(work, 1, stop))
        g.start_with_context(ctx, lambda ctx: until_with_context(ctx, work, 1))
        stop.set(); g.wait()
    """

    _ids = itertools.count(1)

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._threads: list[threading.Thread] = []

    def start(self, f: Callable[[], object]) -> None:
        """Run ``f()`` in a new thread of the group."""
        require_callable(f, "f")
        with self._cond:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._running += 1
            t = threading.Thread(
                target=self._run, args=(f,), name=f"hybridwait-group-{next(self._ids)}", daemon=True
            )
            self._threads.append(t)
        try:
            t.start()
        except BaseException:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
            raise

    def _run(self, f: Callable[[], object]) -> None:
        try:
            f()
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def start_with_channel(self, stop: Any, f: Callable[[Any], object]) -> None:
        """Run ``f(stop)`` in a new thread; ``f`` should return once ``stop`` is set."""
        require_callable(f, "f")
        self.start(lambda: f(stop))

    def start_with_context(self, ctx: Context | Any, f: Callable[[Context], object]) -> None:
        """Run ``f(ctx)`` in a new thread; ``f`` should return once ``ctx`` is done."""
        c = as_context(ctx, "ctx")
        require_callable(f, "f")
        self.start(lambda: f(c))

    def wait(self) -> None:
        """Block until every function started so far has returned."""
        with self._cond:
            self._cond.wait_for(lambda: self._running == 0)
            threads, self._threads = self._threads, []
        me = threading.current_thread()
        for t in threads:
            if t is not me:
                t.join()
