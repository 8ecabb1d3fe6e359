"""Learn that a :class:`threading.Event` was set, however ``set()`` was reached.

A ``threading.Event`` used as a stop/ctx must wake the waits on it at once,
also when its ``set`` was taken earlier (``Timer(5, ev.set)``, a signal
handler, an ``atexit`` hook, another library) or called unbound
(``threading.Event.set(ev)``). Replacing the instance's ``set`` attribute
misses all of those, so hybridwait hooks the one step every path goes through.

CPython's ``Event.set`` is::

    with self._cond:              # Condition.__exit__ -> self._cond._lock.__exit__
        self._flag = True
        self._cond.notify_all()   # looked up on the instance at call time

The first time an Event is watched, its Condition *instance* gets two
attributes (the Condition object itself is unchanged, so threads already
blocked in ``ev.wait()`` keep working):

* ``_lock``: a :class:`_NotifyingLock` around the real lock, which forwards
  every call and, when it is released by ``with`` after a ``notify_all``,
  calls the listeners;
* ``notify_all``: the original, then "listeners are due".

So listeners run in the thread that called ``set()`` (for a signal handler:
the main thread), right **after** the Event's own lock is released: a
listener may read the Event, and must only schedule work (release a lock,
cancel a context, kick a timer), never block. A listener may be called more
than once for one ``set()``; it must be idempotent. No thread is started.

Limits (documented in docs/guide.md): an Event whose class does not keep a
``threading.Condition`` in ``_cond`` (a subclass that never calls
``Event.__init__``), or whose ``set()`` never reaches ``Event.set``, is hooked
by replacing the instance's ``set`` instead: a ``set`` taken *before* the
first wait is then seen at the wait's next check (its interval, timeout or
deadline), not at once.

Example::

    ev = threading.Event()
    listeners = listeners_of(ev)
    listeners.add(lambda: print("set!"))
    threading.Timer(0.1, threading.Event.set, (ev,)).start()   # prints "set!"
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, cast

__all__ = ["EventListeners", "listeners_of"]

_log = logging.getLogger("hybridwait.core")

Listener = Callable[[], None]

_ATTR = "_hybridwait_listeners"
_HOOK_LOCK = threading.Lock()  # serialises installing hooks (once per Event)


class EventListeners:
    """The callbacks to run when one Event is set (see the module docstring).

    ``add``/``discard`` are thread-safe and may be called from a listener or a
    signal handler (the lock is reentrant). A listener that raises is logged
    on ``hybridwait.core`` and the others still run; ``set()`` never raises
    because of a listener.

    Example::

        ls = listeners_of(stop)
        ls.add(wake)
        ...
        ls.discard(wake)
    """

    __slots__ = ("_cbs", "_lock")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cbs: dict[Listener, None] = {}

    def add(self, cb: Listener) -> None:
        """Call ``cb()`` whenever the Event is set from now on."""
        with self._lock:
            self._cbs[cb] = None

    def discard(self, cb: Listener) -> None:
        """Stop calling ``cb`` (no error if it was not added)."""
        with self._lock:
            self._cbs.pop(cb, None)

    def __len__(self) -> int:
        return len(self._cbs)

    def fire(self) -> None:
        """Call every listener (outside every lock of ours)."""
        if not self._cbs:
            return
        with self._lock:
            cbs = list(self._cbs)
        for cb in cbs:
            try:
                cb()
            except Exception:
                _log.exception("listener %r of a threading.Event raised", cb)

    def __repr__(self) -> str:
        return f"<EventListeners {len(self._cbs)}>"


class _NotifyingLock:
    """Stands in for an Event Condition's lock: forwards everything to the real
    lock, and after a ``with`` block in which ``notify_all`` ran (that is,
    ``Event.set``) releases it and then fires the listeners.

    ``_pending`` is only read and written while the real lock is held.
    """

    __slots__ = ("_cond_notify_all", "_listeners", "_lock", "_pending", "acquire", "locked",
                 "release")

    def __init__(self, lock: Any, cond_notify_all: Callable[[], None],
                 listeners: EventListeners) -> None:
        self._lock = lock
        self._listeners = listeners
        self._cond_notify_all = cond_notify_all
        self._pending = False
        self.acquire = lock.acquire
        self.release = lock.release
        self.locked = lock.locked

    def notify_all(self) -> None:
        """The Condition's ``notify_all``, then mark the listeners due."""
        self._cond_notify_all()  # raises RuntimeError if the lock is not held
        self._pending = True

    def __enter__(self) -> bool:
        return cast("bool", self._lock.__enter__())

    def __exit__(self, *exc: object) -> None:
        fire = self._pending
        self._pending = False
        self._lock.release()
        if fire:
            self._listeners.fire()

    def _at_fork_reinit(self) -> None:
        self._lock._at_fork_reinit()
        self._pending = False

    def __repr__(self) -> str:
        return repr(self._lock)


def _hook_condition(event: threading.Event, listeners: EventListeners) -> bool:
    """Hook ``event._cond``; False if the Event does not keep a Condition there."""
    cond = event.__dict__.get("_cond")
    if not isinstance(cond, threading.Condition):
        return False
    lock = cond.__dict__.get("_lock")
    if lock is None or isinstance(lock, _NotifyingLock):
        return False
    wrapper = _NotifyingLock(lock, cond.notify_all, listeners)
    # Order matters: a set() that sees the new notify_all must also leave
    # through the new lock, so the lock goes in first.
    cond._lock = wrapper  # type: ignore[attr-defined]
    cond.notify_all = wrapper.notify_all  # type: ignore[method-assign]
    return True


class _SetThenFire:
    """Fallback: replaces an instance's ``set`` (catches only ``ev.set()`` looked up later)."""

    __slots__ = ("_listeners", "_set")

    def __init__(self, original: Callable[[], None], listeners: EventListeners) -> None:
        self._set = original
        self._listeners = listeners

    def __call__(self) -> None:
        self._set()
        self._listeners.fire()


def listeners_of(event: threading.Event) -> EventListeners:
    """The :class:`EventListeners` of ``event``, hooking it the first time.

    Raises ``TypeError`` for an Event that can carry no hook (no ``__dict__``).

    Example::

        listeners_of(stop).add(timer.kick)
    """
    existing = getattr(event, "__dict__", {}).get(_ATTR)
    if existing is not None:
        return cast("EventListeners", existing)
    with _HOOK_LOCK:
        existing = getattr(event, "__dict__", {}).get(_ATTR)
        if existing is not None:
            return cast("EventListeners", existing)
        listeners = EventListeners()
        try:
            hooked = _hook_condition(event, listeners)
            if not hooked or type(event).set is not threading.Event.set:
                # set() overridden (it may never reach Event.set) or no Condition.
                event.set = _SetThenFire(event.set, listeners)  # type: ignore[method-assign]
            setattr(event, _ATTR, listeners)
        except AttributeError:
            raise TypeError(
                f"cannot watch {type(event).__name__} instances (no __dict__); "
                "pass a hybridwait Context instead"
            ) from None
        return listeners
