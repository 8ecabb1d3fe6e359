"""The future of a wait: :class:`WaitFuture`, a slim ``concurrent.futures.Future``.

``Engine.submit`` returns one per wait. A process may keep 100,000 pending
waits, and a pending wait is mostly its future, so the future's internal
condition is :class:`_SlimCondition` (about 100 bytes) instead of a
``threading.Condition`` (about 1.2 KB: a deque and five bound methods per
instance). Everything else is the standard Future: ``result(timeout)``,
``add_done_callback``, ``concurrent.futures.wait``/``as_completed`` and
``asyncio.wrap_future`` work as usual.

A met wait's objects are handed to its future as :class:`Packed` (the
cache's stored form, see ``hybridwait.kube.cache.pack``): the engine thread
that ends the wait does not build them, and ``result()`` decodes them once,
in the thread that asks (later calls return the same objects).

Example::

    fut = WaitFuture(on_cancel=lambda: print("wait cancelled"))
    fut.cancel()          # True; prints
"""

from __future__ import annotations

import contextlib
import threading
import time
from _thread import allocate_lock as _allocate_lock
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from hybridwait.kube.cache import unpack

__all__ = ["HAND_OVER_PAUSE", "WaitFuture", "hand_over", "mark_engine_thread", "on_engine_thread"]

_local = threading.local()


def mark_engine_thread() -> None:
    """Mark the calling thread as one of an engine's own (reader, sweeper,
    watcher): done-callbacks may run on it, so a blocking wait there is refused.

    Example::

        threading.Thread(target=lambda: (mark_engine_thread(), loop())).start()
    """
    _local.engine = True


def on_engine_thread() -> bool:
    """True on a thread marked by :func:`mark_engine_thread`.

    Example::

        assert not on_engine_thread()   # the main thread
    """
    return bool(getattr(_local, "engine", False))


#: How long an engine thread pauses after waking blocked callers (seconds): long
#: enough for a woken thread to be scheduled and take the GIL (the sweeper's
#: yield, measured by tests/benchmarks/bench_gil_yield.py: 0.37 ms p99 wait for
#: the GIL against up to the 5 ms switch interval with no pause).
HAND_OVER_PAUSE = 0.0002


def hand_over() -> bool:
    """Give the GIL to the callers this thread woke since its last call, if any.

    A caller blocked in ``eng.wait`` is woken by an engine thread completing
    its future; without a pause the engine thread goes on with the next chunk
    or sweep while holding the GIL, and the caller waits up to the interpreter's
    switch interval (5 ms) to run. Engine threads call this once per chunk,
    read or sweep batch (not per wait), so a burst pays one pause, not one per
    woken thread; a thread that woke nobody pays nothing. Returns True if it
    paused.

    Example::

        fut.set_result(obj)   # a caller blocked in fut.result() is woken
        hand_over()           # ... and runs now, not 5 ms later
    """
    if not getattr(_local, "woke", False):
        return False
    _local.woke = False
    time.sleep(HAND_OVER_PAUSE)
    return True


class _SlimCondition:
    """The ``threading.Condition`` interface a ``concurrent.futures.Future``
    uses (``with``, ``acquire``/``release``, ``wait``, ``notify``/``notify_all``)
    in about 100 bytes instead of about 1.2 KB (``threading.Condition`` keeps a
    deque and five bound methods per instance). Reentrant, as the stdlib
    Future's condition is: ``concurrent.futures.wait(..., FIRST_EXCEPTION)``
    holds every future's condition and then calls ``f.cancelled()``, which
    takes it again (with a plain lock that call never returned)."""

    __slots__ = ("_lock", "_waiters")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._waiters: list[Any] | None = None  # locks of blocked waiters, made on first wait

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, block until notified or ``timeout``, re-acquire."""
        waiter = _allocate_lock()
        waiter.acquire()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        saved = self._lock._release_save()  # type: ignore[attr-defined]  # every level, as Condition does
        got = False
        try:
            got = waiter.acquire() if timeout is None else waiter.acquire(True, max(timeout, 0))
            return got
        finally:
            self._lock._acquire_restore(saved)  # type: ignore[attr-defined]
            if not got and self._waiters is not None:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)

    def notify(self, n: int = 1) -> None:
        waiters = self._waiters
        if not waiters:
            return
        _local.woke = True  # see hand_over()
        for waiter in waiters[:n]:
            waiter.release()
        del waiters[:n]

    def notify_all(self) -> None:
        self.notify(len(self._waiters or ()))


class Packed:
    """A met wait's objects in the cache's stored form, decoded by
    :meth:`WaitFuture.result`: ``stored`` one per target (``None``: absent),
    ``single`` for a wait on one named object (its result is that object, not
    a list).

    Example::

        Packed([pack({"a": 1})], single=True).decode()   # {'a': 1}
    """

    __slots__ = ("single", "stored")

    def __init__(self, stored: list[bytes | dict[str, Any] | None], single: bool) -> None:
        self.stored = stored
        self.single = single

    def decode(self) -> Any:
        """The objects: one dict (or None) if ``single``, else a list."""
        objs = [None if s is None else unpack(s) for s in self.stored]
        return objs[0] if self.single else objs


def _ignore() -> None:
    """What a future calls on cancel once its wait has ended: nothing."""


class WaitFuture(Future[Any]):
    """The ``concurrent.futures.Future`` of a wait (what ``Engine.submit``
    returns): a standard Future in every way, whose internal condition is a
    slim one (a pending wait is mostly its future: 10,000s of them are kept).
    ``cancel()`` also ends the wait and frees what it held.

    Example::

        fut = eng.submit("pod/a", for_="condition=Ready")
        fut.cancel()       # True while pending; the wait is gone
    """

    def __init__(self, on_cancel: Callable[[], None]) -> None:
        super().__init__()
        self._condition = _SlimCondition()  # type: ignore[assignment]
        self._on_cancel = on_cancel

    def result(self, timeout: float | None = None) -> Any:
        """``concurrent.futures.Future.result``; a met wait's objects are
        decoded at the first call, in the calling thread (see :class:`Packed`),
        and every later call returns the same objects."""
        value = super().result(timeout)
        if not isinstance(value, Packed):
            return value
        objects = value.decode()  # outside the lock: another caller may be decoding too
        with self._condition:
            if self._result is value:  # the first caller's objects are everyone's
                self._result = objects
            return self._result

    def __repr__(self) -> str:
        text = super().__repr__()
        got = self._result
        if isinstance(got, Packed):  # say what result() returns, not how it is kept
            kind = "dict" if got.single else "list"
            return text.replace("returned Packed", f"returned {kind}")
        return text

    def forget_cancel(self) -> None:
        """Drop the ``on_cancel`` callback: the wait has ended (it is called once
        the wait no longer needs to hear of a cancel, which breaks the reference
        from this future back to the wait)."""
        self._on_cancel = _ignore

    def cancel(self) -> bool:
        """Cancel the wait (see ``concurrent.futures.Future.cancel``); harmless
        once it is done. Unlike a bare stdlib Future (whose executor would say
        so later), a cancelled wait counts as done for ``concurrent.futures.wait``
        and ``as_completed`` at once."""
        already = self.cancelled()
        cancelled = super().cancel()
        if cancelled and not already:  # the wait's own end is idempotent besides
            # no executor will pick it up to say so: tell concurrent.futures.wait()
            # and as_completed() now that it is done (state CANCELLED_AND_NOTIFIED)
            self.set_running_or_notify_cancel()
            self._on_cancel()
        return cancelled
