"""Wait on any of several waitables at once, with no thread and no polling.

This is the one place where the core blocks. A :class:`Waitable` (a context's
``done()`` signal, or a :class:`~hybridwait.Chan`) says whether it is ready
now (``_ready()``), the monotonic time at which it will become ready on its own
(``_due()``, for real-clock timers and context deadlines, which are *lazy*: no
thread fires them) and lets waiters subscribe a wake-up callback for the events
that are explicit (``cancel()``, ``Chan.put_nowait()``, ``FakeClock.step()``).

:func:`wait_any` subscribes one small per-call lock to every waitable and
sleeps on it until a callback releases it or the earliest due time comes.

Example::

    ctx, cancel = with_timeout(background(), 2)
    t = RealClock().new_timer(0.5)
    which = wait_any([ctx.done(), t.c])   # 1: the timer fired first
"""

from __future__ import annotations

import contextlib
import threading
import time
from _thread import allocate_lock
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from hybridwait.core.duration import to_seconds

__all__ = ["Waitable", "wait_any"]

_monotonic = time.monotonic
_TIMEOUT_MAX = min(threading.TIMEOUT_MAX, 365.0 * 86400.0)

Listener = Callable[[], None]


class Waitable:
    """Something :func:`wait_any` can wait on (base of ``Chan`` and context signals).

    Subclasses implement ``_ready()`` and, if they become ready by themselves at
    a known monotonic time, ``_due()``; they call ``_notify()`` whenever they
    become ready (or their due time moves) through an explicit event.
    """

    __slots__ = ("_listeners", "_wlock")

    def __init__(self) -> None:
        # A plain lock; context signals use an RLock (signal-handler reentrancy).
        self._wlock: AbstractContextManager[bool] = allocate_lock()
        self._listeners: dict[Listener, None] = {}

    def _ready(self) -> bool:
        """True if a waiter would not block now (may fire a lazy timer)."""
        raise NotImplementedError

    def _due(self) -> float | None:
        """Monotonic time at which this becomes ready by itself, if known."""
        return None

    def subscribe(self, cb: Listener) -> None:
        """Call ``cb()`` each time this may have become ready, until :meth:`unsubscribe`.

        ``cb`` is not called for a state reached before subscribing: check
        readiness (``ctx.done().is_set()``) *after* subscribing. ``cb`` runs in
        the thread that caused the change (for a ``threading.Event`` ctx, the
        thread calling ``set()``: for a signal handler, the main thread), maybe
        while internal hybridwait locks are held: it must only schedule work
        (release a lock, hand off to a queue), never block, and be idempotent
        (it may be called more than once). Subscribing the same ``cb`` twice
        registers it once.

        Example::

            done = ctx.done()
            done.subscribe(wake)
            try:
                if not done.is_set():
                    ...          # wait for wake()
            finally:
                done.unsubscribe(wake)
        """
        self._subscribe(cb)

    def unsubscribe(self, cb: Listener) -> None:
        """Stop calling ``cb`` (no error if it was not subscribed).

        Example::

            ctx.done().unsubscribe(wake)
        """
        self._unsubscribe(cb)

    def _subscribe(self, cb: Listener) -> None:
        with self._wlock:
            self._listeners[cb] = None

    def _unsubscribe(self, cb: Listener) -> None:
        with self._wlock:
            self._listeners.pop(cb, None)

    def _notify(self) -> None:
        """Call every subscribed listener (outside the lock)."""
        if not self._listeners:
            return
        with self._wlock:
            cbs = list(self._listeners)
        for cb in cbs:
            cb()


def wait_any(waitables: Sequence[Waitable], timeout: float | None = None) -> int:
    """Block until one of ``waitables`` is ready; return its index.

    When several are ready the lowest index wins (callers list cancellation
    first). Returns ``-1`` if ``timeout`` seconds pass first (``None`` waits
    for ever). No thread is started and nothing polls: the caller sleeps on a
    private lock until an explicit event wakes it or the earliest lazy due time
    (timer or deadline) comes.

    Example::

        idx = wait_any([ctx.done(), timer.c], timeout=5)
    """
    for i, w in enumerate(waitables):
        if w._ready():
            return i
    end: float | None = None
    if timeout is not None:
        t = to_seconds(timeout, "timeout", allow_inf=True)
        if t <= 0:
            return -1
        if t < _TIMEOUT_MAX:
            end = _monotonic() + t
    lock = allocate_lock()
    lock.acquire()

    def wake() -> None:
        # RuntimeError: already released by another event, nothing to do.
        with contextlib.suppress(RuntimeError):
            lock.release()

    for w in waitables:
        w._subscribe(wake)
    try:
        while True:
            for i, w in enumerate(waitables):
                if w._ready():
                    return i
            now = _monotonic()
            if end is not None and now >= end:
                return -1
            due = end
            for w in waitables:
                d = w._due()
                if d is not None and (due is None or d < due):
                    due = d
            if due is None:
                lock.acquire()
            elif due > now:
                lock.acquire(True, min(due - now, _TIMEOUT_MAX))
            # else: a lazy due time has come; the next _ready() sees it.
    finally:
        for w in waitables:
            w._unsubscribe(wake)
