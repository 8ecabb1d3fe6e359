"""One shared watch: list, then watch from the list's resourceVersion, for ever.

A :class:`Watcher` owns one thread and one HTTP stream. It feeds every event
into the shared :class:`~hybridwait.kube.cache.ObjectCache` and wakes only the
waiters of the object an event touched. The bytes of the stream are framed and
decoded by :mod:`hybridwait.kube.watchstream`; what to do about each thing that
happens is decided here, as a small state machine in the style of client-go's
Reflector: every :class:`Outcome` maps to exactly one :class:`Action` in
:data:`TRANSITIONS` (the next step, the delay before it, and what happens to the
cache's trust). :func:`read_stream`, :func:`outcome_of_error`, :func:`settle`,
:func:`delay_for` and :func:`trusted_after` are the pure decision functions the
thread uses; they can be tested on plain bytes and exceptions, no server needed.

==================  ======================================  ===========  ===========
outcome             next step                               delay        cache trust
==================  ======================================  ===========  ===========
``listed``          watch from the list's resourceVersion   none         gained
``list_failed``     list                                    backoff      lost
``list_throttled``  list (429/5xx)                          Retry-After  lost
``opened``          read (headers arrived)                  none         kept
``event``           read                                    none         gained
``bookmark``        read                                    none         gained
``ended``           re-watch from the last version          none         kept
``expired``         relist (410, HTTP or ERROR event)       none         lost
``forbidden``       re-watch (403 on watch)                 backoff      lost
``throttled``       re-watch (429/5xx on watch)             Retry-After  lost
``refused``         re-watch (no connection, other HTTP)    backoff      lost
``broken``          re-watch (connection cut)               none         lost
``malformed``       re-watch (a line that is not an event)  none         lost
``error_event``     re-watch (ERROR event, not 410)         none         lost
``too_long``        re-watch (a line over 16 MiB)           backoff      lost
``short``           re-watch (< 1 s, no event)              backoff      lost
``stalled``         re-watch (no byte for stall_timeout)    none         lost
``stop``            end the thread                          none         lost
==================  ======================================  ===========  ===========

*Kept* trust means: trusted afterwards only if it was before. So a stream
re-opened after a failure (a drop, a stall, a 429) is **not** trusted when its
headers arrive: a stalled server answers headers and then sends nothing. The
cache is trusted again once the stream proves live, by its first event or
bookmark (or by a LIST). Meanwhile waiters read the API (D13 in
docs/reliability.md).

The backoff is client-go's reflector backoff built on the core's
:class:`~hybridwait.Backoff`: 0.8 s doubling to a 30 s cap, jitter 1.0,
back to 0.8 s after 2 minutes without failure; ``Retry-After`` (at most 30 s)
replaces it after a 429/5xx that carries one. A stream that delivers no byte
(bookmarks included) for ``stall_timeout`` seconds is ``stalled``. The
server-side ``timeoutSeconds`` is randomized in [5, 10) minutes like client-go,
and bookmarks are requested.

Objects are cached as the watcher's ``transform`` returns them (default:
without ``metadata.managedFields``; see :mod:`hybridwait.kube.transform`).

``stop()`` ends the thread promptly, even while it is blocked in a read (the
socket is shut down under it). :meth:`Watcher.status` reports how the watch is
doing as a :class:`WatchStatus`.

Example::

    w = Watcher(transport, rtype, "default", "web-0", cache, registry, stats)
    w.start(); ...; w.status().healthy; w.stop(); w.join(2)
"""

from __future__ import annotations

import enum
import itertools
import logging
import random
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from hybridwait.core import Backoff, Clock, RealClock, with_cancel
from hybridwait.core import background as _background
from hybridwait.core.waitable import wait_any
from hybridwait.kube import watchstream
from hybridwait.kube.cache import (
    Key,
    ObjectCache,
    ObjectKey,
    WaiterRegistry,
    as_key,
    key_in,
    pack,
    rv_of,
    version,
)
from hybridwait.kube.errors import ApiError, ConnectionFailed
from hybridwait.kube.future import hand_over, mark_engine_thread
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.stats import Stats
from hybridwait.kube.transform import Transform, drop_managed_fields
from hybridwait.kube.transform import apply as _transform
from hybridwait.kube.transport import Transport
from hybridwait.kube.watchstream import EventType, LineTooLong, MalformedLine, WatchEvent

__all__ = [
    "TRANSITIONS",
    "Action",
    "Delay",
    "Outcome",
    "ScopeRead",
    "State",
    "Step",
    "Trust",
    "WatchStatus",
    "Watcher",
    "delay_for",
    "outcome_of_error",
    "read_stream",
    "settle",
    "trusted_after",
]

log = logging.getLogger("hybridwait.kube.watcher")

MIN_WATCH_TIMEOUT = 300.0  # client-go's minWatchTimeout (5 min)
#: Items per page of a watch's LIST (its start, a relist, a degraded read).
#: Larger than kubectl's and client-go's 500: the engine keeps the whole list
#: anyway (its cache), so a page only bounds one response's bytes, and at
#: 10,000 objects 500 would cost 20 round trips where 5,000 costs 2.
LIST_PAGE = 5000
SHORT_WATCH = 1.0  # client-go: a watch ending this fast with no event is an error
MAX_RETRY_AFTER = 30.0  # a server's Retry-After is honoured up to the backoff cap
CONNECT_TIMEOUT = 10.0  # opening a watch stream


class State(enum.Enum):
    """Where the watcher is (``Watcher.state``, ``WatchStatus.state``).

    Example::

        eng.watch_status()[0].state is State.WATCHING
    """

    STARTING = "starting"
    LISTING = "listing"
    CONNECTING = "connecting"
    WATCHING = "watching"
    BACKOFF = "backoff"
    STOPPED = "stopped"


class Outcome(enum.Enum):
    """What happened: how a LIST or a watch stream ended, or what a stream delivered.

    Example::

        TRANSITIONS[Outcome.STALLED]   # Action(Step.WATCH, Delay.NONE, Trust.LOSE)
    """

    LISTED = "listed"
    LIST_FAILED = "list_failed"
    LIST_THROTTLED = "list_throttled"
    OPENED = "opened"
    EVENT = "event"
    BOOKMARK = "bookmark"
    ENDED = "ended"
    EXPIRED = "expired"
    FORBIDDEN = "forbidden"
    THROTTLED = "throttled"
    REFUSED = "refused"
    BROKEN = "broken"
    MALFORMED = "malformed"
    ERROR_EVENT = "error_event"
    TOO_LONG = "too_long"
    SHORT = "short"
    STALLED = "stalled"
    STOP = "stop"


class Step(enum.Enum):
    """The watcher's next request.

    Example::

        TRANSITIONS[Outcome.EXPIRED].step is Step.LIST
    """

    LIST = "list"
    WATCH = "watch"
    READ = "read"  # keep reading the open stream
    STOP = "stop"


class Delay(enum.Enum):
    """How long to wait before the next step (see :func:`delay_for`).

    Example::

        TRANSITIONS[Outcome.THROTTLED].delay is Delay.RETRY_AFTER
    """

    NONE = "none"
    BACKOFF = "backoff"  # the reflector backoff
    RETRY_AFTER = "retry_after"  # the server's Retry-After, else the backoff


class Trust(enum.Enum):
    """What an outcome does to the cache's trust for this watch's scope (see
    :func:`trusted_after`).

    Example::

        TRANSITIONS[Outcome.OPENED].trust is Trust.KEEP   # headers prove nothing (D13)
    """

    KEEP = "keep"  # trusted afterwards only if trusted before
    GAIN = "gain"  # trusted (the stream or a LIST proved the cache current)
    LOSE = "lose"  # not trusted: waiters read the API


class Action(NamedTuple):
    """What the watcher does after an outcome: its next ``step``, the ``delay``
    before it, and what happens to the cache's ``trust``.

    Example::

        step, delay, trust = TRANSITIONS[Outcome.FORBIDDEN]
    """

    step: Step
    delay: Delay
    trust: Trust


_A = Action
#: Every outcome and its one action (see the module doc's table).
TRANSITIONS: Mapping[Outcome, Action] = MappingProxyType(
    {
        Outcome.LISTED: _A(Step.WATCH, Delay.NONE, Trust.GAIN),
        Outcome.LIST_FAILED: _A(Step.LIST, Delay.BACKOFF, Trust.LOSE),
        Outcome.LIST_THROTTLED: _A(Step.LIST, Delay.RETRY_AFTER, Trust.LOSE),
        Outcome.OPENED: _A(Step.READ, Delay.NONE, Trust.KEEP),
        Outcome.EVENT: _A(Step.READ, Delay.NONE, Trust.GAIN),
        Outcome.BOOKMARK: _A(Step.READ, Delay.NONE, Trust.GAIN),
        Outcome.ENDED: _A(Step.WATCH, Delay.NONE, Trust.KEEP),
        Outcome.EXPIRED: _A(Step.LIST, Delay.NONE, Trust.LOSE),
        Outcome.FORBIDDEN: _A(Step.WATCH, Delay.BACKOFF, Trust.LOSE),
        Outcome.THROTTLED: _A(Step.WATCH, Delay.RETRY_AFTER, Trust.LOSE),
        Outcome.REFUSED: _A(Step.WATCH, Delay.BACKOFF, Trust.LOSE),
        Outcome.BROKEN: _A(Step.WATCH, Delay.NONE, Trust.LOSE),
        Outcome.MALFORMED: _A(Step.WATCH, Delay.NONE, Trust.LOSE),
        Outcome.ERROR_EVENT: _A(Step.WATCH, Delay.NONE, Trust.LOSE),
        Outcome.TOO_LONG: _A(Step.WATCH, Delay.BACKOFF, Trust.LOSE),
        Outcome.SHORT: _A(Step.WATCH, Delay.BACKOFF, Trust.LOSE),
        Outcome.STALLED: _A(Step.WATCH, Delay.NONE, Trust.LOSE),
        Outcome.STOP: _A(Step.STOP, Delay.NONE, Trust.LOSE),
    }
)


# -- the pure decisions --------------------------------------------------------------
def outcome_of_error(exc: BaseException, step: Step) -> Outcome:
    """The outcome of a LIST (``step`` LIST) or a watch request (WATCH) that failed
    with ``exc`` before a stream was open.

    Example::

        outcome_of_error(api_error(410, b"{}"), Step.WATCH)   # Outcome.EXPIRED
    """
    listing = step is Step.LIST
    if isinstance(exc, ApiError):
        if exc.status == 429 or exc.status >= 500:
            return Outcome.LIST_THROTTLED if listing else Outcome.THROTTLED
        if listing:
            return Outcome.LIST_FAILED
        if exc.status == 410:
            return Outcome.EXPIRED
        if exc.status == 403:
            return Outcome.FORBIDDEN
        return Outcome.REFUSED
    if not listing and _is_read_timeout(exc):
        return Outcome.STALLED  # headers did not come within stall_timeout
    return Outcome.LIST_FAILED if listing else Outcome.REFUSED


def read_stream(
    chunks: Iterable[bytes],
    apply: Callable[[Iterable[WatchEvent]], None],
    *,
    stopping: Callable[[], bool] = lambda: False,
    max_line: int | None = None,
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Outcome:
    """Read a watch stream's body to its end and say how it ended.

    Each chunk's complete lines are handed to ``apply`` as one batch: an
    iterator that decodes each line as it is asked for, which ``apply`` must
    consume (the events before a bad line are applied, the bad line ends the
    stream). A consumer that stores each event before taking the next never
    holds a chunk's worth of decoded objects.
    ``prepare`` (the cache's transform) runs on each ADDED/MODIFIED object as
    soon as its line is decoded, before the next line is: what it drops is freed
    young, never reaching the garbage collector's older generations (measured:
    ~4x the dispatch rate with managedFields dropped there rather than after
    the batch).
    Returns ``ended`` (clean end), ``expired`` (ERROR 410), ``error_event``
    (another ERROR), ``malformed``, ``too_long`` (a line over ``max_line``,
    default :data:`~hybridwait.kube.watchstream.MAX_LINE`), ``stalled`` (urllib3's
    read timeout), ``broken`` (the connection failed) or ``stop`` (``stopping()``).

    Example::

        read_stream([b'{"type":"BOOKMARK","object":{}}\\n'], print)   # Outcome.ENDED
    """
    framer = watchstream.LineFramer(max_line)
    try:
        for chunk in chunks:
            if stopping():
                return Outcome.STOP
            out = _decode_batch(framer.feed(chunk), apply, prepare)
            if out is not None:
                return out
        if stopping():
            return Outcome.STOP
        tail = framer.end()
        out = _decode_batch([tail] if tail else [], apply, prepare)
        return Outcome.ENDED if out is None else out
    except LineTooLong as exc:
        log.warning("%s; giving up on the stream", exc)
        return Outcome.TOO_LONG
    except Exception as exc:
        if stopping():
            return Outcome.STOP
        if _is_read_timeout(exc):
            return Outcome.STALLED
        if _is_connection_error(exc):
            log.info("watch stream broken: %s", type(exc).__name__)
            return Outcome.BROKEN
        raise


_CHANGES = (EventType.ADDED, EventType.MODIFIED)

_Listed = tuple[ObjectKey, "int | None", "bytes | dict[str, Any]"]
"""A listed object as the cache will store it: key, version, packed object."""


def _decode_batch(
    lines: list[bytes],
    apply: Callable[[Iterable[WatchEvent]], None],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Outcome | None:
    """Hand ``apply`` the events of ``lines`` as an iterator, decoded one at a
    time as it asks (so a consumer that stores each object in a compact form
    frees its decoded dicts young, never holding a whole chunk of them); returns
    how a bad line or an ERROR event ended the batch, or None."""
    ended: list[Outcome] = []
    events = _events(lines, prepare, ended)
    first = next(events, None)
    if first is not None:
        apply(itertools.chain((first,), events))
        if next(events, None) is not None:
            raise RuntimeError("apply returned without consuming every event")
    return ended[0] if ended else None


def _events(
    lines: list[bytes],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None,
    ended: list[Outcome],
) -> Iterator[WatchEvent]:
    """The events of ``lines`` up to the first bad line or ERROR event (whose
    outcome is appended to ``ended``)."""
    for line in lines:
        try:
            ev = watchstream.decode(line)
        except MalformedLine as exc:
            log.info("malformed watch line (%s); reconnecting", exc)
            ended.append(Outcome.MALFORMED)
            return
        if ev.type is EventType.ERROR:
            log.info("watch ERROR event %s %s", ev.code, ev.object.get("reason"))
            ended.append(Outcome.EXPIRED if ev.code == 410 else Outcome.ERROR_EVENT)
            return
        if prepare is not None and ev.type in _CHANGES:
            obj = prepare(ev.object)
            if obj is not ev.object:  # most transforms change the object in place
                ev = WatchEvent(ev.type, obj)
        yield ev


def settle(outcome: Outcome, events: int, lasted: float) -> Outcome:
    """client-go's "very short watch": a stream that ended or broke within
    :data:`SHORT_WATCH` (1 s) without one event or bookmark is ``short`` (the
    server is unhappy: back off instead of hammering it).

    Example::

        settle(Outcome.ENDED, 0, 0.2)    # Outcome.SHORT
        settle(Outcome.ENDED, 3, 0.2)    # Outcome.ENDED
    """
    if outcome in (Outcome.ENDED, Outcome.BROKEN) and events == 0 and lasted < SHORT_WATCH:
        return Outcome.SHORT
    return outcome


def delay_for(delay: Delay, retry_after: float | None, backoff: float) -> float:
    """Seconds to wait: 0 for NONE, the server's ``Retry-After`` (clamped to
    [0, 30]) for RETRY_AFTER when it sent one, else the ``backoff`` step.

    Example::

        delay_for(Delay.RETRY_AFTER, 1.0, 3.2)   # 1.0
        delay_for(Delay.RETRY_AFTER, None, 3.2)  # 3.2
    """
    if delay is Delay.NONE:
        return 0.0
    if delay is Delay.RETRY_AFTER and retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    return backoff


def trusted_after(trust: Trust, trusted: bool, synced: bool) -> bool:
    """Whether the cache is trusted after an outcome with ``trust``, given that
    it was ``trusted`` before and whether a LIST ever completed (``synced``).

    Example::

        trusted_after(Trust.KEEP, False, True)   # False: a re-opened stream is not trusted yet
        trusted_after(Trust.GAIN, False, True)   # True: its first event proved it live
    """
    if trust is Trust.GAIN:
        return synced
    if trust is Trust.KEEP:
        return trusted
    return False


def _rv_newer(new: str, old: str) -> bool:
    """True if resourceVersion ``new`` is known to be newer than ``old``."""
    try:
        return int(new) > int(old)
    except ValueError:
        return False


def _is_read_timeout(exc: BaseException) -> bool:
    import urllib3

    return isinstance(exc, urllib3.exceptions.ReadTimeoutError)


def _is_connection_error(exc: BaseException) -> bool:
    import urllib3

    # ValueError: reading a response closed under us (a cut or stop())
    return isinstance(exc, (urllib3.exceptions.HTTPError, OSError, ValueError))


class ScopeRead(NamedTuple):
    """What :meth:`Watcher.read_scope` did: ``ok`` (the cache holds the scope as
    a LIST gave it), ``epoch`` (the cache's eviction count before that LIST: if
    it is unchanged, an object absent from the cache does not exist),
    ``retry_after`` (a failed LIST's ``Retry-After``) and ``at`` (when the
    LIST ended, engine clock).

    Example::

        ScopeRead(True, 0, None, 12.5).ok
    """

    ok: bool
    epoch: int
    retry_after: float | None
    at: float


# -- the status record -----------------------------------------------------------------
@dataclass(frozen=True)
class WatchStatus:
    """How one watch connection is doing (see :meth:`WatchManager.statuses
    <hybridwait.kube.sharing.WatchManager.statuses>`).

    ``resource`` (e.g. ``pods``, ``deployments.apps``) and ``namespace`` (``""``:
    cluster-scoped or all namespaces) name its scope; ``name`` is the one object
    of a narrow watch (``fieldSelector=metadata.name=NAME``), None for a
    namespace-wide one. ``healthy``: waiters read the cache for this scope
    (else the API); ``since``: the engine clock's time (monotonic seconds) at
    which ``healthy`` took its current value. ``waiters``: waits using it (0 while
    it lingers). ``events``, ``bookmarks``, ``lists``, ``relists``,
    ``reconnects`` (streams opened after the first), ``stalls``: its own
    counts. ``resource_version``: where it would resume. ``last_outcome``: how
    its last LIST or stream ended.

    Example::

        st = eng.watch_status()[0]
        st.healthy, st.state is State.WATCHING, st.reconnects
    """

    resource: str
    namespace: str
    name: str | None
    state: State
    healthy: bool
    since: float
    waiters: int
    events: int
    bookmarks: int
    lists: int
    relists: int
    reconnects: int
    stalls: int
    resource_version: str
    last_outcome: Outcome | None

    @property
    def wide(self) -> bool:
        """True for a namespace-wide (or cluster-wide) watch."""
        return self.name is None


def _abort(resp: Any) -> None:
    """Unblock a thread reading ``resp`` (shut the socket down under it)."""
    try:
        resp.shutdown()  # urllib3 >= 2.3
        return
    except Exception:  # noqa: S110 - older urllib3, or the stream already ended
        pass
    try:
        sock = getattr(getattr(resp, "connection", None), "sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # noqa: S110 - nothing left to unblock
        pass


class Watcher:
    """One watch connection (namespace-wide, or narrowed to one ``name``) and its thread.

    ``healthy`` says whether the cache can be trusted for objects in this
    watch's scope, ``pending`` that the first LIST has not finished and nothing
    failed yet, ``complete`` that no object of the cache was evicted since the
    last LIST (so "not in the cache" means "does not exist").

    Example::

        w = Watcher(transport, rtype, "default", None, cache, registry, stats, stall_timeout=30)
        w.start(); ...; w.status().healthy; w.stop(); w.join(2)
    """

    def __init__(
        self,
        transport: Transport,
        rtype: ResourceType,
        namespace: str,
        name: str | None,
        cache: ObjectCache,
        registry: WaiterRegistry,
        stats: Stats,
        *,
        stall_timeout: float = 90.0,
        clock: Clock | None = None,
        on_synced: Callable[[Watcher], None] | None = None,
        on_activity: Callable[[], None] | None = None,
        transform: Transform | None = drop_managed_fields,
    ) -> None:
        self.transport = transport
        self.transform = transform
        self.rtype = rtype
        self.namespace = namespace if rtype.namespaced else ""
        self.name = name
        self.cache = cache
        self.registry = registry
        self.stats = stats
        self.stall_timeout = stall_timeout
        self.clock = clock or RealClock()
        self._on_synced = on_synced
        self._on_activity = on_activity
        self._last_activity_call = 0.0
        self._ctx, self._cancel = with_cancel(_background())
        self._lock = threading.Lock()
        self._resp: Any = None
        self._rv = ""
        self._healthy = False
        self._since = self.clock.now()
        self._ever_synced = False
        self._failed = False
        self._epoch = -1
        self.state = State.STARTING
        self.last_outcome: Outcome | None = None
        self._lists = 0
        self._watches = 0
        self._events = 0
        self._bookmarks = 0
        self._stalls = 0
        self._stream_events = 0  # events + bookmarks of the open stream
        self._retry_after: float | None = None
        self._scope_lock = threading.Lock()  # one degraded LIST at a time
        self._scope_last: ScopeRead | None = None
        self._scope_backoff: Backoff | None = None  # after failed degraded LISTs
        self._scope_retry = 0.0  # how long a failed degraded LIST is reused
        self._listed: tuple[str, int] | None = None  # a degraded LIST's (rv, epoch)
        self._delay = Backoff(
            duration=0.8, factor=2.0, jitter=1.0, steps=2**31 - 1, cap=30.0
        ).delay_with_reset(self.clock, 120.0)
        label = f"{rtype.key}/{self.namespace or '*'}" + (f"/{name}" if name else "")
        self._thread = threading.Thread(
            target=self._run, name=f"hybridwait-watch-{label}", daemon=True
        )

    def __repr__(self) -> str:
        return f"<Watcher {self._thread.name} {self.state.value}>"

    # -- public ------------------------------------------------------------------
    @property
    def healthy(self) -> bool:
        """The cache reflects this watch's scope up to the stream's latest event."""
        return self._healthy

    @property
    def pending(self) -> bool:
        """Still doing its first LIST, with no failure so far."""
        return not self._ever_synced and not self._failed and self.state != State.STOPPED

    @property
    def complete(self) -> bool:
        """No cache eviction since the last LIST: absence from the cache is real."""
        return self._epoch == self.cache.evictions

    @property
    def wide(self) -> bool:
        """True for a namespace-wide (or cluster-wide) watch."""
        return self.name is None

    def covers(self, key: Key) -> bool:
        """True if ``key`` is in this watch's scope."""
        k = as_key(key)
        return (
            k.resource == self.rtype.key
            and (not self.namespace or k.namespace == self.namespace)
            and (self.name is None or k.name == self.name)
        )

    def status(self, waiters: int = 0) -> WatchStatus:
        """A snapshot of how this watch is doing (``waiters``: told by the caller).

        Example::

            w.status().healthy
        """
        return WatchStatus(
            resource=self.rtype.key,
            namespace=self.namespace,
            name=self.name,
            state=self.state,
            healthy=self._healthy,
            since=self._since,
            waiters=waiters,
            events=self._events,
            bookmarks=self._bookmarks,
            lists=self._lists,
            relists=max(self._lists - 1, 0),
            reconnects=max(self._watches - 1, 0),
            stalls=self._stalls,
            resource_version=self._rv,
            last_outcome=self.last_outcome,
        )

    def start(self) -> None:
        """Start the thread."""
        self.stats.add("watchers_started")
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (prompt even while blocked reading the stream)."""
        self._cancel()
        with self._lock:
            resp = self._resp
        if resp is not None:
            _abort(resp)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True if it ended."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        """True while the thread runs (also while a stopped watcher winds down)."""
        return self._thread.is_alive()

    def feed(self, chunks: Iterable[bytes]) -> Outcome:
        """Apply the bytes of a watch response body as the thread does with the
        stream's (decode, store in the cache, wake the waiters of what changed)
        and say how the body ended (see :func:`read_stream`). For benchmarks and
        tests: the dispatch path without a socket.

        Example::

            w.feed([b'{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n'])
        """
        return read_stream(chunks, self._apply, prepare=self._prepare)

    def _prepare(self, obj: dict[str, Any]) -> dict[str, Any]:
        return _transform(self.transform, obj, self.rtype.plural)

    # -- the state machine ---------------------------------------------------------
    def _stopping(self) -> bool:
        return self._ctx.err() is not None

    def _run(self) -> None:
        mark_engine_thread()
        step = Step.LIST
        try:
            while not self._stopping():
                step = self._adopt_listed(step)
                action = self._list() if step is Step.LIST else self._watch()
                if self._stopping() or action.step is Step.STOP:
                    break
                step = action.step
                if action.delay is not Delay.NONE:
                    self._sleep(delay_for(action.delay, self._retry_after, self._delay()))
        except Exception:  # a bug must not kill waiters silently: they fall back to polling
            log.exception("%r crashed; waits on it fall back to polling", self)
        finally:
            self.state = State.STOPPED
            self.last_outcome = Outcome.STOP
            self._trust(Trust.LOSE)

    def _decide(self, outcome: Outcome) -> Action:
        """The one place an outcome becomes an action (and the cache's trust)."""
        action = TRANSITIONS[outcome]
        self._trust(action.trust)
        if action.step is not Step.READ:
            self.last_outcome = outcome
            if outcome is Outcome.STALLED:
                self._stalls += 1
                self.stats.add("stalls")
            if outcome is not Outcome.LISTED:
                log.debug("%r: %s -> %s (%s)", self, outcome.value, action.step.value,
                          action.delay.value)
        return action

    def _trust(self, trust: Trust) -> None:
        was = self._healthy
        now = trusted_after(trust, was, self._ever_synced)
        if now != was:
            self._healthy = now
            self._since = self.clock.now()
        if trust is Trust.LOSE:
            if not self._ever_synced:
                self._failed = True
            if was or not self._ever_synced:
                self._wake_scope()  # let waiters switch to reading the API now

    def _wake_scope(self) -> None:
        if self.name is not None:
            self.registry.wake(ObjectKey(self.rtype.key, self.namespace, self.name))
        else:
            self.registry.wake_scope(self.rtype.key, self.namespace)

    def _sleep(self, seconds: float) -> None:
        self.state = State.BACKOFF
        timer = self.clock.new_timer(seconds)
        try:
            wait_any([self._ctx.done(), timer.c])
        finally:
            timer.stop()

    def _query(self) -> dict[str, Any]:
        q: dict[str, Any] = {}
        if self.name is not None:
            q["fieldSelector"] = f"metadata.name={self.name}"
        return q

    def _fetch(self) -> tuple[list[_Listed], str]:
        """One whole LIST of the scope, page by page: its items and resourceVersion.

        Each item is transformed and packed as its page arrives (see
        :meth:`_slim`), so a LIST of 100,000 objects never holds them all
        decoded at once.

        A page that fails with 410 (the continue token expired: the server
        compacted the snapshot it pointed into) restarts the LIST from the
        first page, once; any other failure raises. Items of a LIST that did not
        finish are never returned (half a list would make absent objects look
        deleted)."""
        path = self.rtype.path(self.namespace or None)
        restarted = False
        while True:
            items: list[_Listed] = []
            cont = ""
            try:
                while True:
                    q = self._query()
                    q["limit"] = LIST_PAGE
                    if cont:
                        q["continue"] = cont
                    doc = self.transport.get_json(path, q)
                    kind = str(doc.get("kind") or "")
                    api_version = doc.get("apiVersion")
                    for item in doc.get("items") or []:
                        if isinstance(item, dict):
                            if kind.endswith("List"):
                                item.setdefault("kind", kind[: -len("List")])
                            if api_version:
                                item.setdefault("apiVersion", api_version)
                            items.append(self._slim(item))
                    meta = doc.get("metadata") or {}
                    del doc  # the page's decoded objects: only their packed forms stay
                    cont = str(meta.get("continue") or "")
                    if not cont:
                        return items, str(meta.get("resourceVersion") or "")
            except ApiError as exc:
                if exc.status != 410 or not cont or restarted:
                    raise
                restarted = True
                log.info("%r: continue token expired mid-list; listing again", self)

    def _list(self) -> Action:
        self.state = State.LISTING
        self._lists += 1
        self.stats.add("lists")
        if self._lists > 1:
            self.stats.add("relists")
        try:
            items, rv = self._fetch()
        except (ApiError, ConnectionFailed) as exc:
            self._retry_after = exc.retry_after if isinstance(exc, ApiError) else None
            log.info("%r: list failed: %s", self, exc)
            return self._decide(outcome_of_error(exc, Step.LIST))
        if self._stopping():
            return self._decide(Outcome.STOP)
        self._epoch = self._store(items, rv)
        self._rv = rv
        self._ever_synced = True
        action = self._decide(Outcome.LISTED)
        self._wake_scope()
        if self._on_synced is not None:
            self._on_synced(self)
        return action

    def _slim(self, item: dict[str, Any]) -> _Listed:
        """A listed item as the cache will store it: its key, its version after
        the transform, and the transformed object packed."""
        key = key_in(self.rtype.key, item.get("metadata") or {})
        obj = _transform(self.transform, item, self.rtype.plural)
        return key, rv_of(obj), pack(obj)

    def _store(self, items: list[_Listed], rv: str) -> int:
        """Apply a LIST: store every item, delete what the cache has in scope but
        the list lacks (waking the waiters of what changed). Returns the cache's
        eviction count from before the items were stored."""
        rkey = self.rtype.key
        seen: set[Key] = set()
        epoch = self.cache.evictions
        touched: dict[Key, None] = {}
        store = self.cache.store
        for listed_key, listed_rv, stored in items:
            seen.add(listed_key)
            if store(listed_key, listed_rv, stored):
                touched[listed_key] = None
        try:
            rv_int: int | None = int(rv)
        except ValueError:
            rv_int = None
        if self.name is not None:
            in_scope: list[Key] = [ObjectKey(rkey, self.namespace, self.name)]
        else:
            in_scope = self.cache.keys_in(rkey, self.namespace)
        for key in in_scope:
            if key not in seen and self.cache.apply_delete(key, rv_int):
                touched[key] = None
        if touched:
            self.registry.wake_many(touched)
            hand_over()
        return epoch

    # -- degraded mode: the scope read by one shared LIST ------------------------------
    def read_scope(self, max_age: float) -> ScopeRead:
        """Bring the cache up to date for this watch's whole scope with one LIST,
        for waits that cannot trust the watch now (degraded mode; any thread; blocks).

        Callers share it: a LIST that ended less than ``max_age / 4`` seconds
        ago is reused (callers arriving while one is in flight queue behind it
        and take its outcome), so the scope costs at most four LISTs per
        ``max_age`` however many waits read it, and what a wait reads is at
        most a quarter of its poll interval old. Objects that changed wake their
        waiters. A LIST that fails on any page stores nothing; its failure is
        reused for a backoff (0.1 s doubling, at most ``max_age / 4``; the
        server's ``Retry-After``, at most 30 s, instead when it sent one), then the next read
        lists again from the first page. A successful LIST's resourceVersion is
        handed to the watch thread, which resumes watching from it instead of
        listing again.

        Example::

            got = watcher.read_scope(2.0)
            if got.ok:
                known, obj = cache.lookup(key)
        """
        with self._scope_lock:
            last = self._scope_last
            if last is not None:
                if last.ok:
                    reuse = max_age / 4
                elif last.retry_after:  # honoured: no LIST before it has passed
                    reuse = self._scope_retry
                else:
                    reuse = min(self._scope_retry, max_age / 4)
                if self.clock.since(last.at) < reuse:
                    return last
            self.stats.add("direct_gets")
            try:
                items, rv = self._fetch()
            except (ApiError, ConnectionFailed) as exc:
                log.info("%r: degraded list failed: %s", self, exc)
                retry = exc.retry_after if isinstance(exc, ApiError) else None
                if self._scope_backoff is None:
                    self._scope_backoff = Backoff(duration=0.1, factor=2.0, steps=30,
                                                  cap=MAX_RETRY_AFTER)
                step = self._scope_backoff.step()
                self._scope_retry = min(retry, MAX_RETRY_AFTER) if retry else step
                self._scope_last = ScopeRead(False, -1, retry, self.clock.now())
                return self._scope_last
            self._scope_backoff = None
            log.debug("%r: degraded list of %d objects at %s", self, len(items), rv)
            epoch = self._store(items, rv)
            with self._lock:
                self._listed = (rv, epoch)
            self._scope_last = ScopeRead(True, epoch, None, self.clock.now())
            return self._scope_last

    def _adopt_listed(self, step: Step) -> Step:
        """Resume from a degraded LIST's resourceVersion, if one came since: a
        LIST step becomes a WATCH from it; a WATCH from an older version starts
        at it instead (the LIST's state is in the cache already)."""
        with self._lock:
            listed, self._listed = self._listed, None
        if listed is None:
            return step
        rv, epoch = listed
        if rv and (step is Step.LIST or _rv_newer(rv, self._rv)):
            log.debug("%r: resuming from a degraded LIST at %s", self, rv)
            first = not self._ever_synced
            self._rv = rv
            self._epoch = epoch
            self._ever_synced = True
            if first and self._on_synced is not None:
                self._on_synced(self)
            return Step.WATCH
        return step

    def _watch(self) -> Action:
        q = self._query()
        q.update(
            watch="true",
            allowWatchBookmarks="true",
            resourceVersion=self._rv,
            timeoutSeconds=int(MIN_WATCH_TIMEOUT * (random.random() + 1.0)),
        )
        path = self.rtype.path(self.namespace or None)
        self.state = State.CONNECTING
        self._watches += 1
        self.stats.add("watches")
        if self._watches > 1:
            self.stats.add("reconnects")
        try:
            resp = self.transport.open(
                path, q, timeout=(CONNECT_TIMEOUT, self.stall_timeout), stream=True
            )
        except Exception as exc:
            if not isinstance(exc, (ApiError, ConnectionFailed)) and not _is_read_timeout(exc):
                raise
            self._retry_after = exc.retry_after if isinstance(exc, ApiError) else None
            log.info("%r: watch refused: %s", self, exc)
            return self._decide(outcome_of_error(exc, Step.WATCH))
        opened = self.clock.now()
        self._stream_events = 0
        with self._lock:
            self._resp = resp
        if self._stopping():
            _abort(resp)
        self.state = State.WATCHING
        self._decide(Outcome.OPENED)
        try:
            out = read_stream(watchstream.chunks_of(resp), self._apply, stopping=self._stopping,
                              prepare=self._prepare)
        finally:
            with self._lock:
                self._resp = None
            try:
                resp.close()
                resp.release_conn()
            except Exception:  # noqa: S110 - the connection is discarded anyway
                pass
        if out is Outcome.STALLED:
            log.info("%r: no byte for %.1fs: stalled", self, self.stall_timeout)
        return self._decide(settle(out, self._stream_events, self.clock.since(opened)))

    def _apply(self, events: Iterable[WatchEvent]) -> None:
        """Apply one chunk's events to the cache as a batch; then the stream has
        proved live (trusted again), and the waiters it touched are woken once,
        after the batch (a burst is not slowed by the threads it wakes).
        ``events`` is consumed once, each event stored before the next is
        decoded (the cache packs it: its decoded form is freed at once)."""
        touched: dict[Key, None] = {}
        rkey = self.rtype.key
        changes = total = 0
        position = ""
        store, delete = self.cache.store, self.cache.apply_delete
        for ev in events:
            total += 1
            obj = ev.object
            meta = obj.get("metadata")  # read once: the position, the key, the version
            if type(meta) is not dict:
                meta = {}
            rv = meta.get("resourceVersion")
            if rv:  # the stream's position: the last version given
                position = str(rv)
            etype = ev.type
            if etype is EventType.BOOKMARK:
                continue
            changes += 1
            key = key_in(rkey, meta)
            if etype is EventType.DELETED:
                changed = delete(key, version(rv))
            else:  # transformed as decoded (read_stream's prepare)
                changed = store(key, version(rv), obj)
            if changed:
                touched[key] = None
        if position:
            self._rv = position
        bookmarks = total - changes
        self._events += changes
        self._bookmarks += bookmarks
        self._stream_events += total
        if changes:
            self.stats.add("events", changes)
        if bookmarks:
            self.stats.add("bookmarks", bookmarks)
        self._decide(Outcome.EVENT if changes else Outcome.BOOKMARK)
        if touched:
            self.registry.wake_many(touched)
            hand_over()  # callers blocked in eng.wait that this chunk met run now
        if self._on_activity is not None:
            now = self.clock.now()
            if now - self._last_activity_call >= 1.0:
                self._last_activity_call = now
                self._on_activity()
