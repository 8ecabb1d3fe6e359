"""One wait as an object the engine drives: :class:`Wait`.

A :class:`Wait` owns one wait's state (its targets, deadline, retry backoff and
result) and its steps. It has no thread: each step runs on the engine thread
that caused it, and its outcome is delivered through a
``concurrent.futures.Future`` (``Engine.submit``), which ``Engine.wait``
blocks on and ``Engine.wait_async`` awaits.

Steps and who runs them:

* **start** (the caller's thread): put the wait on the sweeper, one entry for
  its poll interval and its deadline (so a timeout fires even if every reader
  is busy), then hand *begin* to a reader.
* **begin** (a reader thread, :mod:`hybridwait.kube.readers`): resolve the
  resource types, LIST a selector's matches, register the targets with the
  waiter registry and the watch manager, listen to ``ctx``; then the first check.
* **check**, caused by a watch event (the watcher thread: *listening path*),
  by the poll interval (the sweeper thread: *polling path*) or by a retry.
  A check that can be answered from the shared cache runs right there; one
  that needs the API (no healthy watch covers an object, ``watch=False``, the
  first check's read-your-writes confirmation) is handed to a reader thread.
* **finish** (whoever ends it: a check, the deadline, ``ctx``, ``close()``,
  ``future.cancel()``): release everything the wait holds, then complete
  the future outside every engine lock.

Only one step of a wait runs at a time: a step that arrives while another
runs is recorded (as a :class:`Trigger` flag) and run by the busy thread right
after, so no wake-up is lost and a wait is never checked by two threads at once.

Example::

    fut = eng.submit("pod/web-0", for_="condition=Ready", timeout=60)
    fut.add_done_callback(lambda f: print(f.result()["metadata"]["name"]))
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import InvalidStateError
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hybridwait.core import Backoff, Canceled, Clock, Context, DeadlineExceeded, WaitTimeout
from hybridwait.core.context import as_context, fresh_err
from hybridwait.kube.cache import ObjectCache, ObjectKey, WaiterRegistry, unpack
from hybridwait.kube.conditions import Condition
from hybridwait.kube.errors import (
    ApiError,
    ConnectionFailed,
    KubeError,
    NoMatchingResources,
    NotFound,
    WaitFailed,
)
from hybridwait.kube.future import Packed, WaitFuture
from hybridwait.kube.kubectl import ResourceArgs, timeout_text
from hybridwait.kube.readers import ReaderPool
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.sharing import Coverage, WatchManager
from hybridwait.kube.stats import Stats
from hybridwait.kube.sweeper import Sweeper
from hybridwait.kube.transform import Untransformable
from hybridwait.kube.transport import Transport

__all__ = [
    "ConditionTimeout",
    "Path",
    "Runtime",
    "Target",
    "Trigger",
    "Wait",
    "WaitOptions",
    "WaitResult",
]

log = logging.getLogger("hybridwait.kube.wait")

_MIN_GET_TIMEOUT = 1.0  # floor of a re-check GET's connect timeout (seconds)
_FAST_FAILURE = 0.5  # a GET failing faster than this was refused/reset, not timed out
#: Retries after a failed read (5xx, 429, refused): 0.1 s doubling, capped at
#: the wait's poll interval; a ``Retry-After`` replaces one step.
RETRY = Backoff(duration=0.1, factor=2.0, steps=30)


class Path(str, enum.Enum):
    """Which path ended a wait (``WaitResult.path``; compares equal to the string)."""

    WATCH = "watch"
    POLL = "poll"

    def __str__(self) -> str:
        return self.value


class Trigger:
    """Why a check runs: bit flags (several may be pending at once). Plain ints,
    not an ``enum.Flag``: they are combined and tested on every check of every
    wait, and enum operations cost microseconds each."""

    NONE = 0
    FIRST = 1  # the wait's first check
    WATCH = 2  # a watch event touched one of its objects (listening path)
    POLL = 4  # its poll interval came (polling path)
    RETRY = 8  # a retry after a failed read


@dataclass(frozen=True)
class WaitResult:
    """What ended a wait: ``objects`` (as :meth:`Engine.wait` returns them),
    ``path`` (:class:`Path`: ``"watch"`` when a watch event's wake-up ran the
    final check on the watch's cache, ``"poll"`` otherwise) and ``elapsed`` seconds.

    Example::

        r = eng.wait_result("pod/web-0", for_="condition=Ready")
        r.path in ("watch", "poll")
    """

    objects: Any
    path: Path
    elapsed: float


class ConditionTimeout(WaitTimeout):
    """A wait's timeout passed (or ``timeout=0`` found the condition unmet).

    ``unmet``: every unmet object as ``resource/name`` (kubectl's plural form);
    ``met``: the objects that did meet the condition. ``str(exc)`` is kubectl's
    text, naming the first unmet object.

    Example::

        try:
            eng.wait(["pod/a", "pod/b"], for_="condition=Ready", timeout=5)
        except ConditionTimeout as e:
            print(e, e.unmet)   # timed out waiting for the condition on pods/b ['pods/b']
    """

    def __init__(
        self,
        message: str,
        unmet: Sequence[str] = (),
        met: Sequence[dict[str, Any] | None] = (),
    ) -> None:
        super().__init__(message)
        self.unmet: list[str] = list(unmet)
        self.met: list[dict[str, Any] | None] = list(met)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.unmet, self.met))


@dataclass(frozen=True, slots=True)
class WaitOptions:
    """The keyword options every wait API takes, validated (see ``Engine.wait``).

    ``timeout``: seconds, ``None`` for none (a ``ctx`` ends it), ``0`` to check
    once; ``poll_interval`` seconds; ``watch``: use shared watches.
    """

    namespace: str
    selector: str | None
    field_selector: str | None
    all: bool
    all_namespaces: bool
    timeout: float | None
    ctx: Context | None
    poll_interval: float
    watch: bool


@dataclass(eq=False, slots=True)
class Target:
    """One object a wait waits on, and what the wait knows about it."""

    rtype: ResourceType
    namespace: str
    name: str
    cond: Condition
    key: ObjectKey = field(init=False)
    checked: bool = False  # its first check found it (or its absence was fine)
    met: bool = False
    last: bytes | dict[str, Any] | None = None  # the latest state seen, packed or not (see _check)

    def __post_init__(self) -> None:
        self.key = ObjectKey(self.rtype.key, self.namespace, self.name)

    def seen(self) -> dict[str, Any] | None:
        """The latest state seen, decoded (None if none)."""
        return None if self.last is None else unpack(self.last)

    @property
    def object_name(self) -> str:
        """kubectl's ``resource/name`` (plural without group), e.g. ``pods/web-0``."""
        return f"{self.rtype.plural}/{self.name}"


@dataclass(frozen=True)
class Runtime:
    """The engine parts a wait uses (the engine builds one and shares it)."""

    clock: Clock
    transport: Transport
    cache: ObjectCache
    registry: WaiterRegistry
    watches: WatchManager
    sweeper: Sweeper
    readers: ReaderPool
    stats: Stats
    resolve: Callable[[str], ResourceType]
    list_objects: Callable[
        [ResourceType, str | None, str | None, str | None], list[dict[str, Any]]
    ]
    ended: Callable[[Wait], None]  # the engine forgets a finished wait


class _Pending:
    """Nothing to judge yet (a watch is doing its first LIST, or a read failed)."""

    __slots__ = ()


class _NeedIO:
    """The check must read the API: hand it to a reader thread."""

    __slots__ = ()


PENDING = _Pending()
NEED_IO = _NeedIO()
_RESOLVED = ResourceArgs([], [])


class _Read(NamedTuple):
    obj: Any  # dict | None | PENDING | NEED_IO
    from_cache: bool
    stored: bytes | dict[str, Any] | None = None  # obj as the cache stores it


def _unframed(exc: BaseException) -> BaseException:
    """``exc`` (caught by a wait's own step) made fit to keep in its future.

    The library's own errors (:class:`KubeError`: NotFound, WaitFailed, ...)
    lose their traceback, and so do the exceptions chained to them: their text
    says what happened (as kubectl's would), and a traceback through the
    engine's frames would hold the wait itself (frame -> wait -> future ->
    exception -> frame), a cycle only the garbage collector frees. Any other
    exception (a bug, or one a condition callable raised) keeps its traceback
    for debugging, and that wait is freed by the collector.
    """
    if not isinstance(exc, KubeError):
        return exc
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        cur.__traceback__ = None
        cur = cur.__cause__ or cur.__context__
    return exc


class Wait:
    """One wait: its targets, deadline, retries and future (see the module doc).

    Created and started by the engine (``Engine.submit``); ``future`` is what
    the caller gets. ``kick()`` is the watch's wake-up, ``sweep()`` the poll
    interval's; ``cancel()`` ends it with :class:`Canceled`.

    Example::

        w = Wait(runtime, args, cond, opts)
        w.start()
        w.future.result()
    """

    __slots__ = (
        "__weakref__",
        "_args",
        "_backoff",
        "_busy",
        "_cond",
        "_ctx_handle",
        "_done",
        "_first",
        "_hold_until",
        "_lock",
        "_once",
        "_registered",
        "_retry_handle",
        "_rt",
        "_single",
        "_sweep_handle",
        "_transient",
        "_trig",
        "api_reads",
        "future",
        "opts",
        "result",
        "start_time",
        "targets",
    )

    def __init__(
        self, runtime: Runtime, args: ResourceArgs, cond: Condition, opts: WaitOptions
    ) -> None:
        self._rt = runtime
        self._args = args
        self._cond = cond
        self.opts = opts
        self.start_time = runtime.clock.now()
        self.future = WaitFuture(self._cancelled)
        self.targets: list[Target] = []
        self.result: WaitResult | None = None
        self.api_reads = 0
        self._single = False
        self._lock = threading.Lock()
        self._done = False
        self._busy = True  # the begin step holds the token until its first check
        self._trig = Trigger.NONE
        self._once = opts.timeout == 0
        self._first = True
        self._registered = False
        self._transient: float | None = None
        self._hold_until = 0.0  # a Retry-After: no read of the API before (engine clock)
        self._backoff: Backoff | None = None
        self._sweep_handle: object = None
        self._retry_handle: object = None
        self._ctx_handle: object = None

    def __repr__(self) -> str:
        names = ",".join(t.object_name for t in self.targets) or "?"
        state = "done" if self._done else "pending"
        return f"<Wait {names} {self._cond!r} {state}>"

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Arm the deadlines on the sweeper, then begin on a reader thread
        (resolution may read the API). The deadlines run from submission, so a
        timeout fires even if every reader is blocked."""
        self._arm_deadlines()
        if not self._rt.readers.submit(self._begin):
            self.finish(error=Canceled("engine is closed"))

    def cancel(self, error: BaseException | None = None) -> None:
        """End the wait with ``error`` (default :class:`Canceled`); harmless once ended."""
        self.finish(error=error if error is not None else Canceled())

    def abandon(self) -> None:
        """End the wait with :class:`Canceled` because the engine is closing: its
        registry, sweeper and watches are torn down as a whole, so only the
        ``ctx`` listener is removed (fast enough for 100,000 pending waits)."""
        with self._lock:
            if self._done:
                return
            self._done = True
            self._trig = Trigger.NONE
            listening = self._registered and self.opts.ctx is not None
            self._registered = False
        if listening and self.opts.ctx is not None:
            _unlisten(self.opts.ctx, self._ctx_fired)
        with contextlib.suppress(InvalidStateError):  # cancelled by the caller meanwhile
            self.future.set_exception(Canceled())

    @property
    def done(self) -> bool:
        return self._done

    def finish(
        self, objects: Any = None, path: Path = Path.POLL, error: BaseException | None = None
    ) -> bool:
        """End the wait once: release what it holds, then complete the future
        (outside every lock). False if it had already ended."""
        if not self._end():
            return False
        if error is None:
            self.result = WaitResult(objects, path, self._rt.clock.since(self.start_time))
            self._rt.stats.add("waits_by_watch" if path is Path.WATCH else "waits_by_poll")
        try:
            if error is None:
                self.future.set_result(objects)
            else:
                self.future.set_exception(error)
        except InvalidStateError:  # cancelled by the caller meanwhile
            pass
        return True

    def _cancelled(self) -> None:
        """``future.cancel()`` by the caller ends the wait and frees its state."""
        self._end()

    def _register(self) -> bool:
        """Register with the registry and the watches (the sweeper has the wait
        since :meth:`start`), before the first check (so no event is missed).
        False if the wait already ended."""
        rt = self._rt
        opts = self.opts
        with self._lock:
            if self._done:
                return False
            self._registered = True
            if opts.watch:
                for t in self.targets:
                    rt.registry.add(t.key, self)
                for t in self.targets:
                    rt.watches.acquire(t.rtype, t.key)
        ctx = opts.ctx
        if ctx is not None:
            _listen(ctx, self._ctx_fired)
            if ctx.err() is not None:
                self._ctx_done()
        return True

    def _arm_deadlines(self) -> None:
        """Put the wait on the sweeper: its poll interval and its timeout in one
        entry (``expire()``), and the ctx's deadline if it has one (not for
        ``timeout=0``: that wait checks once and ends). A sweep before the
        first check only asks for one more check."""
        rt = self._rt
        opts = self.opts
        if self._once:
            return
        deadline = None if opts.timeout is None else self.start_time + opts.timeout
        handle = rt.sweeper.add(self, opts.poll_interval, deadline=deadline)
        ctx_handle: object = None
        ctx_deadline = opts.ctx.deadline() if opts.ctx is not None else None
        if ctx_deadline is not None:  # a context's deadline is lazy: nobody fires it
            ctx_handle = rt.sweeper.once(self._ctx_done, ctx_deadline - time.monotonic())
        with self._lock:
            ended = self._done  # expired or cancelled meanwhile: _end saw no handle
            if not ended:
                self._sweep_handle = handle
                self._ctx_handle = ctx_handle
        if ended:
            for h in (handle, ctx_handle):
                if h is not None:
                    rt.sweeper.remove(h)

    def _end(self) -> bool:
        """Mark the wait ended and undo :meth:`_register` and the sweeper's
        entries (one lock for both). False if it had already ended."""
        rt = self._rt
        with self._lock:
            if self._done:
                return False
            self._done = True
            self._trig = Trigger.NONE
            registered = self._registered
            self._registered = False
            handles = (self._sweep_handle, self._retry_handle, self._ctx_handle)
            self._sweep_handle = self._retry_handle = self._ctx_handle = None
        # the future no longer needs to tell us of a cancel (a done future cannot
        # be cancelled): without this link an ended wait is not a reference
        # cycle (wait -> future -> wait), so it is freed as soon as it is dropped,
        # never left for the garbage collector
        self.future.forget_cancel()
        for h in handles:
            if h is not None:
                rt.sweeper.remove(h)
        if registered:
            if self.opts.ctx is not None:
                _unlisten(self.opts.ctx, self._ctx_fired)
            if self.opts.watch:
                for t in self.targets:
                    rt.registry.remove(t.key, self)
                    rt.watches.release(t.rtype, t.key)
        rt.ended(self)
        return True

    def expire(self) -> None:
        """The timeout came (sweeper thread): end with :class:`ConditionTimeout`."""
        self.finish(error=self._timeout_error())

    def _ctx_fired(self) -> None:
        """``ctx`` is done: a listener that may run inside the context's (or an
        Event's) lock, so it only hands the work to the sweeper."""
        if not self._done:
            self._rt.sweeper.once(self._ctx_done, 0.0)

    def _ctx_done(self) -> None:
        ctx = self.opts.ctx
        if ctx is None or ctx.err() is None:
            return
        if isinstance(ctx.err(), DeadlineExceeded):
            self.finish(error=self._timeout_error())
        else:
            self.finish(error=fresh_err(ctx))

    def _timeout_error(self) -> ConditionTimeout:
        if not self.targets:  # the deadline came before the objects were even resolved
            named = [] if self._args is _RESOLVED else [f"{r}/{n}" for r, n in self._args.named]
            text = timeout_text(named[0], checked_once=False) if named else (
                "timed out waiting for the condition"
            )
            return ConditionTimeout(text, named, [])
        unmet = [t.object_name for t in self.targets if not t.met]
        name = unmet[0] if unmet else (self.targets[0].object_name if self.targets else "")
        text = timeout_text(name, checked_once=self._once)
        return ConditionTimeout(text, unmet, [t.seen() for t in self.targets if t.met])

    # -- wake-ups ------------------------------------------------------------------------
    def kick(self) -> None:
        """A watch event touched one of our objects (watcher thread; cheap)."""
        self._poke(Trigger.WATCH)

    def sweep(self) -> None:
        """The poll interval came (sweeper thread; cheap)."""
        self._poke(Trigger.POLL)

    def _retry(self) -> None:
        self._poke(Trigger.RETRY)

    def _poke(self, trig: int) -> None:
        with self._lock:
            if self._done:
                return
            self._trig |= trig
            if self._busy:
                return  # the busy thread runs it next
            self._busy = True
        self._drain(io=False)

    def _drain_io(self) -> None:
        self._drain(io=True)

    def _begin(self) -> None:
        """Resolve, register, run the first check (reader thread)."""
        try:
            self.targets, self._single = self._resolve()
        except Exception as exc:
            self.finish(error=_unframed(exc))
            return
        finally:
            self._args = _RESOLVED  # the targets hold what is needed now
        if not self.targets:  # delete/create with a selector that matched nothing
            self.finish(objects=[])
            return
        if not self._once and not self._register():
            return
        with self._lock:
            self._trig |= Trigger.FIRST
        self._drain(io=True)

    def _drain(self, io: bool) -> None:
        """Run pending checks while holding the wait's token (see module doc)."""
        while True:
            with self._lock:
                trig = self._trig
                if self._done or not trig:
                    self._busy = False
                    return
                self._trig = Trigger.NONE
            try:
                found = self._check(io, bool(trig & Trigger.RETRY))
            except Exception as exc:
                self.finish(error=_unframed(self._named(exc)))
                continue
            if isinstance(found, _NeedIO):
                with self._lock:
                    self._trig |= trig
                if not self._rt.readers.submit(self._drain_io):
                    with self._lock:
                        self._busy = False
                return
            stats = self._rt.stats
            if trig & (Trigger.WATCH | Trigger.FIRST) == Trigger.WATCH:
                stats.add("wakeups")
            elif io or found is not None or trig & (Trigger.FIRST | Trigger.RETRY):
                stats.add("polls")
            self._first = False
            if found is not None:
                # "watch" only if a watch event caused this check (not the first
                # check) and the watch's cache, not a GET, supplied what it read
                by_watch = trig & (Trigger.WATCH | Trigger.FIRST) == Trigger.WATCH
                by_watch = by_watch and self.api_reads == 0
                self.finish(objects=Packed(found, self._single),
                            path=Path.WATCH if by_watch else Path.POLL)
            elif self._once:
                self.finish(error=self._timeout_error())
            else:
                self._schedule_retry()

    def _named(self, exc: Exception) -> Exception:
        """A condition's ``WaitFailed`` names the object it was raised for."""
        if isinstance(exc, WaitFailed) and not exc.resource:
            for t in self.targets:
                if not t.met:
                    named = exc.named(t.object_name)
                    if named.object is None and t.last is not None:
                        named = WaitFailed(named.reason, t.seen(), named.resource)
                    return named
        return exc

    def _schedule_retry(self) -> None:
        """After a failed read: retry soon (backoff, or ``Retry-After``; at most
        the poll interval), not a whole interval later."""
        hint = self._transient
        if hint is None:
            self._backoff = None
            return
        if self._backoff is None:
            self._backoff = Backoff(
                duration=RETRY.duration, factor=RETRY.factor, steps=RETRY.steps,
                cap=self.opts.poll_interval,
            )
        step = self._backoff.step()
        delay = min(hint if hint > 0 else step, self.opts.poll_interval)
        if hint > 0:
            self._hold_until = self._rt.clock.now() + delay
        handle = self._rt.sweeper.once(self._retry, delay)
        with self._lock:
            old, self._retry_handle = self._retry_handle, handle
            if self._done:
                old, self._retry_handle = handle, None
        if old is not None:
            self._rt.sweeper.remove(old)

    # -- resolution ----------------------------------------------------------------------
    def _resolve(self) -> tuple[list[Target], bool]:
        """The objects to wait on, and whether the result is one object (not a list)."""
        rt = self._rt
        opts = self.opts
        cond = self._cond
        ns = opts.namespace
        named, types = self._args
        if named:
            targets = []
            for rtype_s, name in named:
                rtype = rt.resolve(rtype_s)
                targets.append(Target(rtype, ns if rtype.namespaced else "", name, cond))
            return targets, len(targets) == 1
        targets = []
        for rtype_s in types:
            rtype = rt.resolve(rtype_s)
            list_ns = None if (opts.all_namespaces or not rtype.namespaced) else ns
            for item in rt.list_objects(rtype, list_ns, opts.selector, opts.field_selector):
                meta = item.get("metadata") or {}
                t = Target(rtype, str(meta.get("namespace") or ""), str(meta.get("name")), cond)
                if opts.watch:
                    rt.cache.apply(t.key, rt.watches.transformed(rtype, item))
                targets.append(t)
        if not targets and not cond.absent_ok:
            raise NoMatchingResources()
        return targets, False

    # -- the check -----------------------------------------------------------------------
    def _check(
        self, io: bool, retry: bool = False
    ) -> list[bytes | dict[str, Any] | None] | _NeedIO | None:
        """Check every unmet target: the objects (as the cache stores them) if
        all are met, None if not, ``NEED_IO`` if a read must go to the API and
        ``io`` is False."""
        self.api_reads = 0
        self._transient = None
        all_met = True
        for t in self.targets:
            if t.met:
                continue
            read = self._read(t, self._once, io, retry)
            if isinstance(read.obj, _NeedIO):
                return read.obj
            if not t.checked and read.from_cache and read.obj is not PENDING and _would_end(
                t, read.obj
            ):
                # The shared cache may lag the caller's own latest writes (their
                # events may still be in flight): confirm with a fresh read what
                # would end the wait, or fail it, at its first check.
                read = self._read(t, True, io, retry)
                if isinstance(read.obj, _NeedIO):
                    return read.obj
            obj = read.obj
            if obj is PENDING:
                all_met = False
                continue
            if isinstance(obj, Untransformable):
                raise obj.error  # the engine's transform failed on this object
            if not t.checked:
                t.checked = True
                if obj is None and not t.cond.absent_ok:
                    raise NotFound(404, "NotFound", f'{t.rtype.key} "{t.name}" not found')
                t.cond = t.cond.bind(obj)
            if obj is not None:
                # what the wait returns, or names a failing condition with (see
                # _named): in the cache's packed form when it came from there
                # (shared with the cache, no copy of its own), decoded only by
                # the caller (Packed) or for an error
                t.last = read.stored if read.stored is not None else obj
            if t.cond(obj):
                t.met = True
            else:
                all_met = False
        if not all_met:
            return None
        return [t.last for t in self.targets]

    def _read(self, t: Target, force_api: bool, io: bool, retry: bool = False) -> _Read:
        """The object now (None: absent) from the cache or the API; ``PENDING``
        when there is nothing to judge yet (or the server asked us to retry
        later and this is not that retry); ``NEED_IO`` when the API must be
        read and ``io`` is False."""
        rt = self._rt
        if self.opts.watch and not force_api:
            cov = rt.watches.coverage(t.key)
            if cov is Coverage.CACHE:
                known, stored = rt.cache.peek(t.key)
                if stored is not None:
                    return _Read(unpack(stored), True, stored)
                if known:
                    return _Read(None, True)
                if rt.watches.complete(t.key):
                    return _Read(None, True)
            elif cov is Coverage.PENDING and self._rt.clock.since(self.start_time) < (
                self.opts.poll_interval
            ):
                return _Read(PENDING, False)
        if not retry and self._rt.clock.now() < self._hold_until:
            return _Read(PENDING, False)  # honour the server's Retry-After
        if not io:
            return _Read(NEED_IO, False)
        if self.opts.watch and not force_api and t.checked:
            shared = self._read_scope(t)
            if shared is not None:
                return shared
        return self._get(t)

    def _read_scope(self, t: Target) -> _Read | None:
        """Degraded mode: ``t`` from one LIST of its scope shared by all its
        waits (see ``WatchManager.read_scope``); None when the scope has no
        namespace-wide watch, or the LIST cannot prove ``t`` absent: GET it."""
        rt = self._rt
        got = rt.watches.read_scope(t.key, self.opts.poll_interval)
        if got is None:
            return None
        self.api_reads += 1
        if not got.ok:  # nothing judged: retry soon (the LIST's failure is shared)
            self._transient = max(self._transient or 0.0, got.retry_after or 0.0)
            return _Read(PENDING, False)
        known, stored = rt.cache.peek(t.key)
        if stored is not None:
            return _Read(unpack(stored), False, stored)
        if known:
            return _Read(None, False)
        if got.epoch == rt.cache.evictions:
            return _Read(None, False)
        return None

    def _get(self, t: Target) -> _Read:
        rt = self._rt
        rt.stats.add("direct_gets")
        self.api_reads += 1
        # A re-check's connection attempt is worth no more than the next one, a
        # poll interval later (a lost SYN costs the server nothing). Its read keeps
        # request_timeout: abandoning reads sooner would pile abandoned requests
        # up on an overloaded server (measured: a collapse at 1,000 pollers).
        read = rt.transport.request_timeout
        interval = self.opts.poll_interval
        connect = min(read, max(_MIN_GET_TIMEOUT, interval)) if t.checked else read
        left = self._time_left()
        cut = left is not None and left < read  # no GET outlives the wait's deadline
        if left is not None and cut:
            read = max(0.01, left)
            connect = min(connect, read)
        sent = time.monotonic()
        try:
            obj = rt.transport.get_json(
                t.rtype.path(t.namespace or None, t.name), timeout=(connect, read)
            )
        except NotFound:
            return _Read(None, False)
        except ConnectionFailed:
            if not t.checked and not cut and self._first:
                raise  # an unreachable server fails a wait only at its first check
            log.info("GET %s: server unreachable or slow; will retry", t.object_name)
            if time.monotonic() - sent < _FAST_FAILURE:
                # refused or reset (a restart): retry soon; a timeout (an overloaded
                # server) waits for the next poll, adding no load
                self._transient = self._transient or 0.0
            return _Read(PENDING, False)
        except ApiError as exc:
            if exc.status == 429 or exc.status >= 500:
                log.info("GET %s: %s; will retry", t.object_name, exc.reason)
                self._transient = max(self._transient or 0.0, exc.retry_after or 0.0)
                return _Read(PENDING, False)
            raise
        if self.opts.watch:
            obj = rt.watches.transformed(t.rtype, obj)
            rt.cache.apply(t.key, obj)
        return _Read(obj, False)

    def _time_left(self) -> float | None:
        """Seconds until the wait's deadline (its timeout, its ctx's), if any."""
        left: float | None = None
        if self.opts.timeout is not None:
            left = self.opts.timeout - self._rt.clock.since(self.start_time)
        ctx = self.opts.ctx
        d = ctx.deadline() if ctx is not None else None
        if d is not None:
            c = d - time.monotonic()
            left = c if left is None else min(left, c)
        return left


def _would_end(t: Target, obj: dict[str, Any] | None) -> bool:
    """Would this (cached) state end or fail the wait at its first check?"""
    if obj is None:
        return True  # NotFound, or met for delete: confirm absence
    try:
        return t.cond.bind(obj)(obj)
    except Exception:
        return True  # a condition that raises ends the wait: confirm it too


def as_ctx(ctx: Context | threading.Event | None) -> Context | None:
    """``ctx`` as a Context (an Event is wrapped), or None."""
    return None if ctx is None else as_context(ctx, "ctx")


def _listen(ctx: Context, cb: Callable[[], None]) -> None:
    ctx.done().subscribe(cb)


def _unlisten(ctx: Context, cb: Callable[[], None]) -> None:
    ctx.done().unsubscribe(cb)
