"""Contexts: cancellation trees with deadlines and values (Go ``context``).

A :class:`Context` is a read-only handle; ``with_cancel``/``with_timeout``/…
return ``(ctx, cancel)``. Cancelling a context cancels all its descendants;
deadlines are absolute :func:`time.monotonic` times and a parent's earlier
deadline wins. Contexts cost no thread: a deadline is *lazy* (checked by
whoever looks, and waiters sleep exactly until it), so thousands of live
``with_timeout`` contexts add nothing but memory.

A :class:`threading.Event` is accepted wherever a context is taken: it is
wrapped by :func:`context_for_channel` (set == cancelled). Waits on it wake as
soon as it is set, however ``set()`` is reached (a bound ``ev.set`` taken
earlier, ``threading.Event.set(ev)``, a signal handler): see
:mod:`hybridwait.core.eventhook` for how (the event keeps working as before).

Contexts are context managers: leaving the block cancels them.

Example::

    with with_timeout(background(), 5)[0] as ctx:
        poll_until_context_cancel(ctx, 0.5, True, lambda ctx: ready())

    ctx, cancel = with_cancel(background())
    threading.Thread(target=lambda: (time.sleep(1), cancel())).start()
    ctx.wait()               # True after ~1 s
    ctx.err()                # Canceled('context canceled')
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeAlias

from hybridwait.core.duration import Duration, to_seconds
from hybridwait.core.errors import Canceled, DeadlineExceeded
from hybridwait.core.eventhook import listeners_of
from hybridwait.core.waitable import Listener, Waitable, wait_any

__all__ = [
    "CancelCauseFunc",
    "CancelFunc",
    "Context",
    "Done",
    "as_context",
    "background",
    "context_for_channel",
    "todo",
    "with_cancel",
    "with_cancel_cause",
    "with_deadline",
    "with_timeout",
    "with_value",
]

_monotonic = time.monotonic

#: ``cancel()`` returned by :func:`with_cancel`, :func:`with_timeout`, :func:`with_deadline`.
CancelFunc: TypeAlias = Callable[[], None]
#: ``cancel(cause=None)`` returned by :func:`with_cancel_cause`.
CancelCauseFunc: TypeAlias = Callable[..., None]


class Done(Waitable):
    """What ``ctx.done()`` returns: ``wait(timeout=None) -> bool`` and ``is_set()``.

    Example::

        if ctx.done().wait(timeout=1.0):
            print("cancelled:", ctx.err())
    """

    __slots__ = ()

    def is_set(self) -> bool:
        """True once the context is done."""
        return self._ready()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done or ``timeout`` seconds pass; True if done."""
        return wait_any((self,), timeout) == 0


class _NeverDone(Done):
    """The done signal of a root context: never ready."""

    __slots__ = ()

    def _ready(self) -> bool:
        return False

    def _subscribe(self, cb: Listener) -> None:  # nothing will ever fire
        pass

    def _unsubscribe(self, cb: Listener) -> None:
        pass


_NEVER = _NeverDone()


class _CancelDone(Done):
    """Done signal of a cancellable context; its deadline (if any) is lazy."""

    __slots__ = ("_ctx", "_deadline", "_set", "_sweep_at")

    def __init__(self, ctx: _CancelContext, deadline: float | None) -> None:
        super().__init__()
        # Reentrant: an Event set by a signal handler cancels child contexts in
        # the main thread, which may be inside this lock at that moment.
        self._wlock = threading.RLock()
        self._ctx = ctx
        self._deadline = deadline
        self._set = False
        self._sweep_at = 64

    def _ready(self) -> bool:
        if self._set:
            return True
        d = self._deadline
        if d is not None and _monotonic() >= d:
            self._ctx._cancel(DeadlineExceeded(), None, True)
            return True
        return False

    def _due(self) -> float | None:
        return None if self._set else self._deadline

    def _subscribe(self, cb: Listener) -> None:
        with self._wlock:
            self._listeners[cb] = None
            sweep = len(self._listeners) > self._sweep_at
        if sweep:
            self._sweep()

    def _sweep(self) -> None:
        """Let children whose deadline passed unobserved cancel (and deregister)."""
        with self._wlock:
            cbs = list(self._listeners)
        now = _monotonic()
        for cb in cbs:
            child = getattr(cb, "__self__", None)
            if isinstance(child, _CancelContext):
                d = child._done._deadline
                if d is not None and now >= d:
                    child._done._ready()
        with self._wlock:
            self._sweep_at = max(64, 2 * len(self._listeners))


class _EventDone(Done):
    """Done signal of a :class:`threading.Event` (see :mod:`hybridwait.core.eventhook`)."""

    __slots__ = ("_event", "_reg")

    def __init__(self, event: threading.Event) -> None:
        super().__init__()
        self._event = event
        self._reg = listeners_of(event)

    def _ready(self) -> bool:
        return self._event.is_set()

    def _subscribe(self, cb: Listener) -> None:
        self._reg.add(cb)

    def _unsubscribe(self, cb: Listener) -> None:
        self._reg.discard(cb)


class Context:
    """A read-only cancellation handle (Go ``context.Context``).

    * ``done()`` -> :class:`Done` (``wait(timeout=None)``, ``is_set()``);
    * ``err()`` -> ``None`` while live, then :class:`Canceled` or
      :class:`DeadlineExceeded` (stable once set);
    * ``deadline()`` -> monotonic time or ``None``; ``value(key)``;
    * ``cause()`` -> the cancel cause (:func:`with_cancel_cause`), else ``err()``;
    * ``wait(timeout=None) -> bool`` blocks until done;
    * ``with ctx:`` cancels the context (if cancellable) when the block ends.

    Example::

        ctx, cancel = with_timeout(background(), 0.01)
        ctx.wait()                            # True after ~10 ms
        isinstance(ctx.err(), DeadlineExceeded)
    """

    __slots__ = ("__weakref__",)

    def done(self) -> Done:
        """The signal that becomes set when this context is done."""
        raise NotImplementedError

    def err(self) -> BaseException | None:
        """``None`` while live; :class:`Canceled` or :class:`DeadlineExceeded` after."""
        raise NotImplementedError

    def deadline(self) -> float | None:
        """The monotonic time at which this context expires, or ``None``."""
        return None

    def value(self, key: Hashable) -> Any:
        """The value stored for ``key`` by :func:`with_value` up the tree, or ``None``."""
        return None

    def cause(self) -> BaseException | None:
        """Why the context was cancelled (``cancel(cause)``); ``err()`` if no cause."""
        return self.err()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done or ``timeout`` seconds pass; True if done."""
        return self.done().wait(timeout)

    def is_set(self) -> bool:
        """True once done (so a Context reads like a ``threading.Event`` stop)."""
        return self.done().is_set()

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _RootContext(Context):
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def done(self) -> Done:
        return _NEVER

    def err(self) -> BaseException | None:
        return None

    def __repr__(self) -> str:
        return f"{self._name}()"


_BACKGROUND = _RootContext("background")
_TODO = _RootContext("todo")


def background() -> Context:
    """The never-cancelled root context (Go ``context.Background()``).

    Example::

        >>> background().err() is None
        True
    """
    return _BACKGROUND


def todo() -> Context:
    """A never-cancelled root for code not yet given a context (Go ``context.TODO()``)."""
    return _TODO


class _CancelContext(Context):
    __slots__ = ("_cause", "_done", "_err", "_kind", "_on_parent", "_parent")

    def __init__(self, parent: Context, deadline: float | None, kind: str) -> None:
        self._parent = parent
        self._kind = kind
        pd = parent.deadline()
        if pd is not None and (deadline is None or pd < deadline):
            deadline = pd  # the parent's earlier deadline wins
        self._err: BaseException | None = None
        self._cause: BaseException | None = None
        self._done = _CancelDone(self, deadline)
        self._on_parent: Listener | None = None
        pdone = parent.done()
        if pdone is not _NEVER:
            self._on_parent = self._parent_done
            pdone._subscribe(self._on_parent)
            if pdone._ready():  # done before we subscribed: do not stay registered
                pdone._unsubscribe(self._on_parent)
                self._parent_done()
        if deadline is not None and not self._done._set and _monotonic() >= deadline:
            self._cancel(DeadlineExceeded(), None, True)

    def _parent_done(self) -> None:
        p = self._parent
        err = p.err()
        # Detach: a context parent forgets its listeners when cancelled, but an
        # Event keeps them (it may be cleared and set again).
        self._cancel(err if err is not None else Canceled(), p.cause(), True)

    def _cancel(self, err: BaseException, cause: BaseException | None, detach: bool) -> None:
        sig = self._done
        with sig._wlock:
            if sig._set:
                return
            self._err = err
            self._cause = cause if cause is not None else err
            sig._set = True
            cbs = list(sig._listeners)
            sig._listeners.clear()
        if detach and self._on_parent is not None:
            self._parent.done()._unsubscribe(self._on_parent)
        for cb in cbs:
            cb()

    def cancel(self, cause: BaseException | None = None) -> None:
        """Cancel this context and its descendants (idempotent)."""
        if cause is not None and not isinstance(cause, BaseException):
            raise TypeError(f"cause must be an exception, not {type(cause).__name__}")
        self._cancel(Canceled(), cause, True)

    def _cancel_no_cause(self) -> None:
        self._cancel(Canceled(), None, True)

    def done(self) -> Done:
        return self._done

    def err(self) -> BaseException | None:
        if self._done._ready():
            return self._err
        return None

    def cause(self) -> BaseException | None:
        if self._done._ready():
            return self._cause
        return None

    def deadline(self) -> float | None:
        return self._done._deadline

    def value(self, key: Hashable) -> Any:
        return self._parent.value(key)

    def __exit__(self, *exc: object) -> None:
        self._cancel_no_cause()

    def __repr__(self) -> str:
        state = "live" if not self._done._set else type(self._err).__name__
        d = self._done._deadline
        dl = "" if d is None else f", deadline in {d - _monotonic():.3f}s"
        return f"<Context {self._kind} {state}{dl}>"


class _ValueContext(Context):
    __slots__ = ("_key", "_parent", "_value")

    def __init__(self, parent: Context, key: Hashable, value: Any) -> None:
        self._parent = parent
        self._key = key
        self._value = value

    def done(self) -> Done:
        return self._parent.done()

    def err(self) -> BaseException | None:
        return self._parent.err()

    def cause(self) -> BaseException | None:
        return self._parent.cause()

    def deadline(self) -> float | None:
        return self._parent.deadline()

    def value(self, key: Hashable) -> Any:
        if key == self._key:
            return self._value
        return self._parent.value(key)

    def __repr__(self) -> str:
        return f"<Context with_value {self._key!r} of {self._parent!r}>"


class _ChannelContext(Context):
    __slots__ = ("_done", "_err", "_event")

    def __init__(self, event: threading.Event) -> None:
        self._event = event
        self._done = _EventDone(event)
        self._err: BaseException | None = None

    def done(self) -> Done:
        return self._done

    def err(self) -> BaseException | None:
        if not self._event.is_set():
            return None
        if self._err is None:
            self._err = Canceled()
        return self._err

    def __repr__(self) -> str:
        return f"<Context for_channel {'set' if self._event.is_set() else 'live'}>"


def context_for_channel(event: threading.Event) -> Context:
    """A context done when ``event`` is set (Go ``wait.ContextForChannel``).

    ``err()`` is :class:`Canceled` if and only if the event is set; it has no
    deadline and no values.

    Example::

        stop = threading.Event()
        ctx = context_for_channel(stop)
        stop.set()
        assert ctx.done().is_set()
    """
    if not isinstance(event, threading.Event):
        raise TypeError(f"event must be a threading.Event, not {type(event).__name__}")
    return _ChannelContext(event)


def as_context(ctx: object, name: str = "ctx") -> Context:
    """``ctx`` as a :class:`Context`: a ``threading.Event`` is wrapped, else ``TypeError``.

    Example::

        as_context(threading.Event(), "stop")
    """
    if isinstance(ctx, Context):
        return ctx
    if isinstance(ctx, threading.Event):
        return _ChannelContext(ctx)
    raise TypeError(
        f"{name} must be a hybridwait Context or a threading.Event, not {type(ctx).__name__}"
    )


def with_cancel(parent: Context | threading.Event) -> tuple[Context, CancelFunc]:
    """A child of ``parent`` and its ``cancel()`` (Go ``context.WithCancel``).

    ``cancel()`` is idempotent and cancels all descendants; the child is also
    done when ``parent`` is.

    Example::

        ctx, cancel = with_cancel(background())
        cancel()
        assert isinstance(ctx.err(), Canceled)
    """
    ctx = _CancelContext(as_context(parent, "parent"), None, "with_cancel")
    return ctx, ctx._cancel_no_cause


def with_cancel_cause(parent: Context | threading.Event) -> tuple[Context, CancelCauseFunc]:
    """Like :func:`with_cancel`, but ``cancel(cause)`` records why; ``ctx.cause()`` returns it.

    Example::

        ctx, cancel = with_cancel_cause(background())
        cancel(RuntimeError("shutting down"))
        str(ctx.cause())   # 'shutting down'; ctx.err() is Canceled
    """
    ctx = _CancelContext(as_context(parent, "parent"), None, "with_cancel_cause")
    return ctx, ctx.cancel


def with_deadline(parent: Context | threading.Event, when: Duration) -> tuple[Context, CancelFunc]:
    """A child done at ``when`` (a :func:`time.monotonic` value) (Go ``WithDeadline``).

    An earlier parent deadline wins; a deadline already past gives a context
    that is done at once with :class:`DeadlineExceeded`.

    Example::

        ctx, cancel = with_deadline(background(), time.monotonic() + 2)
    """
    when_s = to_seconds(when, "when")
    ctx = _CancelContext(as_context(parent, "parent"), when_s, "with_deadline")
    return ctx, ctx._cancel_no_cause


def with_timeout(
    parent: Context | threading.Event, seconds: Duration
) -> tuple[Context, CancelFunc]:
    """A child done after ``seconds`` (Go ``context.WithTimeout``); no thread is started.

    ``seconds <= 0`` gives a context already past its deadline.

    Example::

        ctx, cancel = with_timeout(background(), 5)
        try:
            ...
        finally:
            cancel()
    """
    secs = to_seconds(seconds, "seconds")
    ctx = _CancelContext(as_context(parent, "parent"), _monotonic() + secs, "with_timeout")
    return ctx, ctx._cancel_no_cause


def with_value(parent: Context | threading.Event, key: Hashable, value: Any) -> Context:
    """A child carrying ``value`` for ``key`` (Go ``context.WithValue``).

    Example::

        >>> with_value(background(), "user", "ada").value("user")
        'ada'
    """
    return _ValueContext(as_context(parent, "parent"), key, value)


def fresh_err(ctx: Context) -> BaseException:
    """A new instance of ``ctx.err()`` to raise (its ``__cause__`` is the cancel cause)."""
    err = ctx.err()
    if err is None:  # pragma: no cover - callers check done first
        return Canceled()
    exc = type(err)(*err.args)
    cause = ctx.cause()
    if cause is not None and cause is not err:
        exc.__cause__ = cause
    return exc
