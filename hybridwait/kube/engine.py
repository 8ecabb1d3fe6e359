"""The hybrid watch-and-poll engine: :class:`Engine` and :class:`WaitResult`.

Each wait runs the core's single loop, ``loop_condition_until_context``, on a
kick-only :class:`~hybridwait.KickTimer`. Two things make that loop run the check:

* the **listening path**: a watcher thread applies an event to the shared
  cache and kicks the timers of the waiters of that object only;
* the **polling path**: every ``poll_interval`` the engine's one sweeper thread
  (:mod:`hybridwait.kube.sweeper`) re-checks the wait from the cache, waking it
  only if its condition now holds, or wakes it to GET the API when no healthy
  watch covers it. (``watch=False`` waits tick a ``poll_interval`` timer of their own.)

The check reads the cache while a healthy watch covers the object and the API
itself (GET) when none does (watch down, stalled, Forbidden, or ``watch=False``).
Waiters register before their first check and a kick is latched in the
timer's capacity-1 channel, so no wake-up is lost between check and sleep.
No thread is started per wait; one watcher thread serves each shared watch
(see :mod:`hybridwait.kube.sharing` for the sharing policy).

Example::

    from hybridwait import Engine, conditions as c

    with Engine() as eng:
        pod = eng.wait("pod/web-0", for_="condition=Ready", namespace="default", timeout=60)
        r = eng.wait_result("pods", for_=c.phase("Running"), selector="app=web")
        print(r.path, r.elapsed, len(r.objects))
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hybridwait.core import (
    Canceled,
    Clock,
    Context,
    DeadlineExceeded,
    FixedTimer,
    KickTimer,
    RealClock,
    WaitTimeout,
    background,
    context_for_channel,
    loop_condition_until_context,
    with_cancel,
    with_timeout,
)
from hybridwait.kube.cache import Key, ObjectCache, WaiterRegistry
from hybridwait.kube.conditions import Condition, ConditionLike, as_condition
from hybridwait.kube.errors import ApiError, ConnectionFailed, NoMatchingResources, NotFound
from hybridwait.kube.resources import (
    Discovery,
    ResourceType,
    check_path_segment,
    parse_resource_arg,
)
from hybridwait.kube.sharing import WatchManager
from hybridwait.kube.stats import Stats
from hybridwait.kube.sweeper import Sweeper
from hybridwait.kube.transport import Transport

__all__ = ["Engine", "WaitResult"]

log = logging.getLogger("hybridwait.kube.engine")

_WEEK = 7 * 24 * 3600.0
_DEFAULT_TIMEOUT = 30.0
_PENDING = object()
_MIN_GET_TIMEOUT = 1.0  # floor of a re-check GET's connect timeout (seconds)
_RETRY_FIRST = 0.1  # first retry delay after a failed read (doubling to poll_interval)
_FAST_FAILURE = 0.5  # a GET failing faster than this was refused/reset, not timed out


@dataclass(frozen=True)
class WaitResult:
    """What ended a wait: ``objects`` (as :meth:`Engine.wait` returns them),
    ``path`` (``"watch"`` when a watch event's wake-up ran the final check,
    ``"poll"`` when a timed or first check did) and ``elapsed`` seconds.

    Example::

        r = eng.wait_result("pod/web-0", for_="condition=Ready")
        r.path in ("watch", "poll")
    """

    objects: Any
    path: str
    elapsed: float


@dataclass(eq=False)
class _Target:
    rtype: ResourceType
    namespace: str
    name: str
    cond: Condition
    key: Key = field(init=False)
    checked: bool = False
    met: bool = False
    last: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.key = (self.rtype.key, self.namespace, self.name)

    @property
    def object_name(self) -> str:
        """kubectl's ``resource/name`` (plural without group), e.g. ``pods/web-0``."""
        return f"{self.rtype.plural}/{self.name}"


class _Waiter:
    """One wait: its targets, its timer, and whether the last wake was a watch's.

    ``kick()`` is the watch's wake-up (listening path); ``sweep()`` is called
    by the engine's :class:`~hybridwait.kube.sweeper.Sweeper` every poll
    interval (polling path).
    """

    __slots__ = ("api_reads", "kicked", "retries", "sweep", "timer", "transient")

    def __init__(self, timer: KickTimer, sweep: Callable[[], None] | None = None) -> None:
        self.timer = timer
        self.kicked = False
        self.api_reads = 0  # direct reads made by the current check
        self.transient: float | None = None  # a read failed: retry after (0: backoff)
        self.retries = 0  # consecutive checks with a failed read
        self.sweep: Callable[[], None] = sweep or self._wake

    def _wake(self) -> None:
        self.timer.kick()

    def kick(self) -> None:
        self.kicked = True
        self.timer.kick()

    def take_kick(self) -> bool:
        k = self.kicked
        self.kicked = False
        return k


class Engine:
    """Waits on Kubernetes objects with kubectl's semantics, sharing watches.

    ``api_client``: a ``kubernetes.client.ApiClient`` (default: loaded like
    kubectl from ``kubeconfig``/``context``, see :mod:`hybridwait.kube.kubeconfig`).
    ``poll_interval`` (5 s): the polling path's period (also per wait).
    ``stall_timeout`` (90 s): a watch silent that long is broken.
    ``cache_size`` (100,000): objects kept in the shared cache (LRU).
    ``watch`` (True): False polls the API only (the CLI's ``--no-watch``).
    ``namespace``: default namespace (else the kubeconfig context's, else "default").
    ``clock``: drives poll timers and backoff (tests).
    ``request_timeout`` (10 s): connect and read timeout of one-shot GET/LIST
    requests; a wait's later GETs (its poll path against the API) connect
    within ``poll_interval`` (at least 1 s), and no GET outlives the wait's
    deadline. A GET that fails is retried at the next check (soon after a
    5xx, 429 or refused connection).
    ``watch_linger`` (5 s): how long a watch with no waiter left is kept for
    the next wait (0: stop at once).

    Thread-safe for any number of calling threads. ``close()`` (or leaving a
    ``with`` block) cancels every wait (``Canceled``), stops every watcher and
    joins its threads within 2 s.

    Example::

        with Engine(api_client=srv.api_client(), poll_interval=1.0) as eng:
            eng.wait("pod/web-0", for_="condition=Ready", timeout=60)
    """

    def __init__(
        self,
        api_client: Any = None,
        *,
        poll_interval: float = 5.0,
        stall_timeout: float = 90.0,
        cache_size: int = 100_000,
        watch: bool = True,
        namespace: str | None = None,
        kubeconfig: str | None = None,
        context: str | None = None,
        clock: Clock | None = None,
        tombstone_ttl: float = 60.0,
        discovery_ttl: float = 600.0,
        request_timeout: float = 10.0,
        watch_linger: float = 5.0,
    ) -> None:
        _check_seconds(poll_interval, "poll_interval", positive=True)
        _check_seconds(stall_timeout, "stall_timeout", positive=True)
        if not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"cache_size must be a positive int, got {cache_size!r}")
        self._owns_client = api_client is None
        ctx_namespace = "default"
        if api_client is None:
            from hybridwait.kube.kubeconfig import load

            api_client, ctx_namespace = load(kubeconfig, context)
        self.api_client = api_client
        self.namespace = namespace or ctx_namespace
        self.poll_interval = float(poll_interval)
        self.stall_timeout = float(stall_timeout)
        self.watch = bool(watch)
        self.clock: Clock = clock or RealClock()
        self._stats = Stats()
        self._transport = Transport(api_client, request_timeout=request_timeout)
        self._discovery = Discovery(self._transport, ttl=discovery_ttl, timer=self.clock.now)
        self._cache = ObjectCache(cache_size, tombstone_ttl=tombstone_ttl, timer=self.clock.now)
        self._registry = WaiterRegistry()
        self._watches = WatchManager(
            self._transport,
            self._cache,
            self._registry,
            self._stats,
            stall_timeout=self.stall_timeout,
            clock=self.clock,
            linger=watch_linger,
        )
        self._sweeper = Sweeper(self.clock)
        self._lock = threading.Lock()
        self._active: dict[Any, None] = {}  # cancel functions of running waits
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"<Engine {self._transport.host} watch={self.watch} "
            f"poll_interval={self.poll_interval}>"
        )

    # -- lifecycle ----------------------------------------------------------------
    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Cancel every wait (they raise ``Canceled``), stop every watcher and
        join their threads (within 2 s). Idempotent.

        Example::

            eng = Engine(); ...; eng.close()
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            cancels = list(self._active)
        for cancel in cancels:
            cancel()
        swept = self._sweeper.close(timeout=0.5)
        if not self._watches.close(timeout=1.3) or not swept:
            log.warning("some engine threads did not stop in time")
        if self._owns_client:
            with contextlib.suppress(Exception):  # best effort at shutdown
                self.api_client.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def stats(self) -> dict[str, int]:
        """Counters: ``events``, ``relists``, ``reconnects``, ``polls``,
        ``direct_gets``, ``waits_by_watch``, ``waits_by_poll`` and more
        (see :data:`hybridwait.kube.stats.STAT_NAMES`), plus ``watchers``
        (watch connections in use), ``cached_objects``, ``discovery_requests`` and
        ``sweeps`` (poll-path re-checks made in bulk by the sweeper thread).

        Example::

            eng.stats()["waits_by_watch"]
        """
        s = self._stats.snapshot()
        s["watchers"] = self._watches.active_count()
        s["cached_objects"] = len(self._cache)
        s["discovery_requests"] = self._discovery.requests
        s["sweeps"] = self._sweeper.sweeps
        return s

    # -- resolution ----------------------------------------------------------------
    def resolve(self, resource_type: str) -> ResourceType:
        """Resolve a type string through discovery (see :mod:`hybridwait.kube.resources`).

        Example::

            eng.resolve("deploy").key   # 'deployments.apps'
        """
        return self._discovery.resolve(resource_type)

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
        all_namespaces: bool = False,
    ) -> builtins.list[dict[str, Any]]:
        """LIST objects of a type (server order), each with ``kind``/``apiVersion``.

        Example::

            eng.list("pods", selector="app=web")
        """
        rtype_s, name = parse_resource_arg(resource)
        if namespace:
            check_path_segment(namespace, "namespace")
        if name is not None:
            raise ValueError(f'list takes a resource type, not a name: "{resource}"')
        rtype = self.resolve(rtype_s)
        ns = None if all_namespaces else (namespace or self.namespace)
        return self._list(rtype, ns, selector, field_selector)

    def _list(
        self,
        rtype: ResourceType,
        namespace: str | None,
        selector: str | None,
        field_selector: str | None,
    ) -> builtins.list[dict[str, Any]]:
        out: builtins.list[dict[str, Any]] = []
        cont = ""
        while True:
            q: dict[str, Any] = {
                "labelSelector": selector,
                "fieldSelector": field_selector,
                "limit": 500,
                "continue": cont or None,
            }
            self._stats.add("direct_gets")
            doc = self._transport.get_json(rtype.path(namespace), q)
            kind = str(doc.get("kind") or "")
            for item in doc.get("items") or []:
                if isinstance(item, dict):
                    if kind.endswith("List"):
                        item.setdefault("kind", kind[: -len("List")])
                    if doc.get("apiVersion"):
                        item.setdefault("apiVersion", doc["apiVersion"])
                    out.append(item)
            cont = str((doc.get("metadata") or {}).get("continue") or "")
            if not cont:
                return out

    def _targets(
        self,
        resource: str | Sequence[str],
        cond: Condition,
        namespace: str | None,
        selector: str | None,
        field_selector: str | None,
        all_: bool,
        all_namespaces: bool,
    ) -> tuple[builtins.list[_Target], bool]:
        """The objects to wait on, and whether the result is one object (not a list)."""
        args = [resource] if isinstance(resource, str) else list(resource)
        if not args:
            raise ValueError("at least one resource is required")
        parsed = [parse_resource_arg(a) for a in args]
        named = [p for p in parsed if p[1] is not None]
        ns = namespace or self.namespace
        if named:
            if len(named) != len(parsed):
                raise ValueError(
                    "there is no need to specify a resource type as a separate argument "
                    f"when passing arguments in resource/name form: {args!r}"
                )
            if selector or field_selector or all_:
                raise ValueError("name cannot be provided when a selector is specified")
            targets = []
            for rtype_s, name in parsed:
                rtype = self.resolve(rtype_s)
                tns = ns if rtype.namespaced else ""
                targets.append(_Target(rtype, tns, str(name), cond))
            return targets, len(targets) == 1
        if not (selector or field_selector or all_ or all_namespaces):
            raise ValueError("resource(s) were provided, but no name was specified")
        targets = []
        for rtype_s, _ in parsed:
            rtype = self.resolve(rtype_s)
            list_ns = None if (all_namespaces or not rtype.namespaced) else ns
            for item in self._list(rtype, list_ns, selector, field_selector):
                meta = item.get("metadata") or {}
                t = _Target(rtype, str(meta.get("namespace") or ""), str(meta.get("name")), cond)
                if self.watch:
                    self._cache.apply(t.key, item)
                targets.append(t)
        if not targets and not cond.absent_ok:
            raise NoMatchingResources()
        return targets, False

    # -- waiting -----------------------------------------------------------------------
    def wait(
        self,
        resource: str | Sequence[str],
        for_: ConditionLike | Iterable[ConditionLike],
        *,
        namespace: str | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
        all: bool = False,
        all_namespaces: bool = False,
        timeout: float | None = None,
        ctx: Context | threading.Event | None = None,
        poll_interval: float | None = None,
        watch: bool | None = None,
    ) -> Any:
        """Wait until ``for_`` holds for every object named by ``resource``.

        ``resource``: ``TYPE/NAME`` (one or a list), or ``TYPE`` with
        ``selector``/``field_selector``/``all``/``all_namespaces`` (the matching
        objects are listed once, at the start, as kubectl does). ``for_``: a
        kubectl ``--for`` string, a list of them (all must hold), a
        :class:`~hybridwait.conditions.Condition` or a callable ``obj_or_None -> bool``.
        ``timeout`` seconds (default 30 without ``ctx``; 0 = check once via
        the API; negative = one week); ``ctx`` (a Context or threading.Event)
        cancels. The first check runs at once.

        Returns the object (a ``dict``) for one named object — ``None`` for a
        ``delete`` wait on an object that never existed, the last seen state
        for a deleted one — otherwise a ``list`` in kubectl's order.

        Raises ``WaitTimeout`` (``timed out waiting for the condition on
        pods/web-0``; ``.unmet`` lists every unmet ``resource/name``, ``.met``
        the objects met), ``Canceled`` (ctx or ``close()``), ``ValueError``
        (bad ``for_``/resource), ``UnknownResourceType``, ``NotFound`` (a named
        object missing at start, except for ``delete``/``create``),
        ``NoMatchingResources``, ``ApiError`` (e.g. ``Forbidden``),
        ``ConnectionFailed``, ``ConditionError``.

        Example::

            eng.wait(["pod/a", "pod/b"], for_="condition=Ready", timeout=120)
        """
        return self.wait_result(
            resource,
            for_,
            namespace=namespace,
            selector=selector,
            field_selector=field_selector,
            all=all,
            all_namespaces=all_namespaces,
            timeout=timeout,
            ctx=ctx,
            poll_interval=poll_interval,
            watch=watch,
        ).objects

    def wait_result(
        self,
        resource: str | Sequence[str],
        for_: ConditionLike | Iterable[ConditionLike],
        *,
        namespace: str | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
        all: bool = False,
        all_namespaces: bool = False,
        timeout: float | None = None,
        ctx: Context | threading.Event | None = None,
        poll_interval: float | None = None,
        watch: bool | None = None,
    ) -> WaitResult:
        """Like :meth:`wait`, returning :class:`WaitResult` (objects, path, elapsed).

        Example::

            r = eng.wait_result("pod/web-0", for_="delete", timeout=60)
            print(r.path)   # "watch" when a DELETED event ended it
        """
        start = self.clock.now()
        cond = as_condition(for_)  # a bad --for fails before any request
        interval = self.poll_interval if poll_interval is None else poll_interval
        _check_seconds(interval, "poll_interval", positive=True)
        if timeout is not None:
            _check_seconds(timeout, "timeout", positive=False)
        if self._closed:
            raise Canceled("engine is closed")
        use_watch = self.watch if watch is None else bool(watch)
        if namespace:
            check_path_segment(namespace, "namespace")
        targets, single = self._targets(
            resource, cond, namespace, selector, field_selector, all, all_namespaces
        )

        def shape(objs: builtins.list[dict[str, Any] | None] | None) -> Any:
            assert objs is not None
            return objs[0] if single else objs

        if not targets:  # delete/create with a selector that matched nothing
            return WaitResult([], "poll", self.clock.since(start))

        if timeout is None:
            timeout = _DEFAULT_TIMEOUT if ctx is None else None
        elif timeout < 0:
            timeout = _WEEK
        if timeout == 0:
            found = self._check(targets, None, start, interval, force_api=True)
            if not found:
                unmet = [t.object_name for t in targets if not t.met]
                raise _timeout(f"condition not met for {unmet[0]}", targets)
            self._stats.add("waits_by_poll")
            return WaitResult(shape(found), "poll", self.clock.since(start))

        parent: Context = background() if ctx is None else (
            context_for_channel(ctx) if isinstance(ctx, threading.Event) else ctx
        )
        wctx, cancel = with_cancel(parent)
        cancel_timeout = None
        if timeout is not None:
            wctx, cancel_timeout = with_timeout(wctx, timeout)
        with self._lock:
            if self._closed:
                cancel()
                raise Canceled("engine is closed")
            self._active[cancel] = None

        watching = use_watch
        sweep_handle: object = None
        if watching:
            # No timer of its own: the watch kicks it (listening path) and the
            # engine's one sweeper thread runs its poll path every interval.
            waiter = _Waiter(KickTimer(None, self.clock))
            waiter.sweep = lambda: self._sweep(waiter, targets)
            for t in targets:
                self._registry.add(t.key, waiter)
            for t in targets:
                self._watches.acquire(t.rtype, t.key)
            sweep_handle = self._sweeper.add(waiter, interval)
        else:
            waiter = _Waiter(KickTimer(FixedTimer(interval, self.clock), self.clock))
        path = ["poll"]
        calls = [0]

        def condition(ctx_: Context) -> builtins.list[dict[str, Any] | None] | None:
            calls[0] += 1
            by_watch = waiter.take_kick()
            self._stats.add("wakeups" if by_watch else "polls")
            waiter.api_reads = 0
            waiter.transient = None
            found = self._check(
                targets,
                waiter if watching else None,
                start,
                interval,
                deadline=ctx_.deadline(),
                failures=waiter,
                connect_fatal=calls[0] == 1,
            )
            if found or waiter.transient is None:
                waiter.retries = 0
            else:
                # a read failed (5xx, 429, timeout): retry soon, not a whole interval
                # later (0.1 s doubling, or Retry-After; at most the interval)
                delay = waiter.transient or _RETRY_FIRST * 2**waiter.retries
                waiter.retries = min(waiter.retries + 1, 30)
                self._sweeper.once(waiter._wake, min(delay, interval))
            if found:
                # "watch" only if a watch wake-up ran this check and the watch's
                # cache (not a GET) supplied what it read
                path[0] = "watch" if by_watch and waiter.api_reads == 0 else "poll"
            return found

        try:
            objs = loop_condition_until_context(wctx, waiter.timer, True, False, condition)
        except DeadlineExceeded:
            unmet = [t.object_name for t in targets if not t.met]
            raise _timeout(
                "timed out waiting for the condition on "
                + (unmet[0] if unmet else targets[0].object_name),
                targets,
            ) from None
        finally:
            if watching:
                self._sweeper.remove(sweep_handle)
                for t in targets:
                    self._registry.remove(t.key, waiter)
                    self._watches.release(t.rtype, t.key)
            waiter.timer.stop()
            with self._lock:
                self._active.pop(cancel, None)
            if cancel_timeout is not None:
                cancel_timeout()
            cancel()
        self._stats.add("waits_by_watch" if path[0] == "watch" else "waits_by_poll")
        return WaitResult(shape(objs), path[0], self.clock.since(start))

    def _read(
        self,
        t: _Target,
        waiter: _Waiter | None,
        start: float,
        interval: float,
        force_api: bool,
        deadline: float | None = None,
        failures: _Waiter | None = None,
        connect_fatal: bool = True,
    ) -> tuple[Any, bool]:
        """``(object now or None if absent, read from the cache?)``, or
        ``(_PENDING, ...)`` when there is nothing to judge yet."""
        if waiter is not None and not force_api:
            cov = self._watches.coverage(t.key)
            if cov == "cache":
                known, obj = self._cache.lookup(t.key)
                if obj is not None or known:
                    return obj, True
                if self._watches.complete(t.key):
                    return None, True
            elif cov == "pending" and self.clock.since(start) < interval:
                return _PENDING, False
        self._stats.add("direct_gets")
        if waiter is not None:
            waiter.api_reads += 1
        # A re-check's connection attempt is worth no more than the next one, a
        # poll interval later (a lost SYN costs the server nothing). Its read keeps
        # request_timeout: abandoning reads sooner would pile abandoned requests
        # up on an overloaded server (measured: a collapse at 1,000 pollers).
        read = self._transport.request_timeout
        connect = min(read, max(_MIN_GET_TIMEOUT, interval)) if t.checked else read
        # and no GET outlives the wait's deadline
        cut = deadline is not None and deadline - time.monotonic() < read
        if deadline is not None and cut:
            read = max(0.01, deadline - time.monotonic())
            connect = min(connect, read)
        timeout = (connect, read)
        sent = time.monotonic()
        try:
            obj = self._transport.get_json(
                t.rtype.path(t.namespace or None, t.name), timeout=timeout
            )
        except NotFound:
            return None, False
        except ConnectionFailed:
            if not t.checked and not cut and connect_fatal:
                raise
            log.info("GET %s: server unreachable or slow; will retry", t.object_name)
            if failures is not None and time.monotonic() - sent < _FAST_FAILURE:
                # refused or reset (a restart): retry soon; a timeout (an overloaded
                # server) waits for the next poll, adding no load
                failures.transient = failures.transient or 0.0
            return _PENDING, False
        except ApiError as exc:
            if exc.status == 429 or exc.status >= 500:
                log.info("GET %s: %s; will retry", t.object_name, exc.reason)
                if failures is not None:
                    failures.transient = max(failures.transient or 0.0, exc.retry_after or 0.0)
                return _PENDING, False
            raise
        if waiter is not None:
            self._cache.apply(t.key, obj)
        return obj, False

    def _sweep(self, waiter: _Waiter, targets: builtins.list[_Target]) -> None:
        """The poll path of a watched wait, run by the sweeper thread every poll
        interval: while healthy watches cover every unmet object, re-check the
        condition on the cached objects and wake the wait only if one now holds;
        otherwise wake it, so that its own thread reads the API."""
        for t in targets:
            if t.met:
                continue
            if not t.checked or self._watches.coverage(t.key) != "cache":
                waiter.timer.kick()  # first check not done yet, or the API must be read
                return
            known, obj = self._cache.lookup(t.key)
            if obj is None and not known and not self._watches.complete(t.key):
                waiter.timer.kick()  # evicted from the cache: GET it
                return
            try:
                met = t.cond(obj)
            except Exception:
                met = True  # let the wait's own check raise it
            if met:
                waiter.timer.kick()
                return

    @staticmethod
    def _would_end(t: _Target, obj: dict[str, Any] | None) -> bool:
        """Would this (cached) state end or fail the wait at its first check?"""
        if obj is None:
            return True  # NotFound, or met for delete: confirm absence
        try:
            return t.cond.bind(obj)(obj)
        except ValueError:
            return True

    def _check(
        self,
        targets: builtins.list[_Target],
        waiter: _Waiter | None,
        start: float,
        interval: float,
        force_api: bool = False,
        deadline: float | None = None,
        failures: _Waiter | None = None,
        connect_fatal: bool = True,
    ) -> builtins.list[dict[str, Any] | None] | None:
        """Check every unmet target; ``deadline`` (monotonic) bounds each GET; a
        transient read failure is noted in ``failures.transient``. A server that
        cannot be reached fails the wait only at its immediate first check
        (``connect_fatal``); once a wait is under way (e.g. its first read was
        deferred to a watch's LIST), that is transient too."""
        all_met = True
        for t in targets:
            if t.met:
                continue
            obj, from_cache = self._read(
                t, waiter, start, interval, force_api, deadline, failures, connect_fatal
            )
            if not t.checked and from_cache and obj is not _PENDING and self._would_end(t, obj):
                # The shared cache may lag the caller's own latest writes (their
                # events may still be in flight): confirm with a fresh read what
                # would end the wait, or fail it, at its first check.
                obj, _ = self._read(
                    t, waiter, start, interval, True, deadline, failures, connect_fatal
                )
            if obj is _PENDING:
                all_met = False
                continue
            if not t.checked:
                t.checked = True
                if obj is None and not t.cond.absent_ok:
                    raise NotFound(404, "NotFound", f'{t.rtype.key} "{t.name}" not found')
                t.cond = t.cond.bind(obj)
            if obj is not None:
                t.last = obj
            if t.cond(obj):
                t.met = True
                if obj is not None:
                    t.last = obj
            else:
                all_met = False
        if not all_met:
            return None
        return [t.last for t in targets]


def _timeout(message: str, targets: list[_Target]) -> WaitTimeout:
    exc = WaitTimeout(message)
    exc.unmet = [t.object_name for t in targets if not t.met]  # type: ignore[attr-defined]
    exc.met = [t.last for t in targets if t.met]  # type: ignore[attr-defined]
    return exc


def _check_seconds(value: object, name: str, *, positive: bool) -> None:
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
