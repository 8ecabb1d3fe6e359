"""The hybrid watch-and-poll engine: :class:`Engine`, the front door of every wait.

``Engine`` keeps the lifecycle (threads, ``close()``), resolution (discovery)
and sharing (watches, cache, sweeper, reader pool). Each wait is a
:class:`~hybridwait.kube.wait.Wait` object the engine's threads drive; the
wait APIs differ only in how the caller gets the outcome:

* :meth:`Engine.submit` returns its ``concurrent.futures.Future``;
* :meth:`Engine.wait_async` awaits that future (asyncio);
* :meth:`Engine.wait` / :meth:`Engine.wait_result` block the calling thread on it.

Two things make a wait check its condition: a watch event on one of its
objects (the **listening path**, run on the watcher thread right after the
event is applied to the shared cache) and its poll interval (the **polling
path**, run by the engine's one sweeper thread). A check answered by the cache
runs right there; one that must read the API (no healthy watch covers the
object, ``watch=False``) goes to a small reader pool. No thread per wait.

Example::

    from hybridwait import Engine, conditions as c

    with Engine() as eng:
        pod = eng.wait("pod/web-0", for_="condition=Ready", namespace="default", timeout=60)
        r = eng.wait_result("pods", for_=c.phase("Running"), selector="app=web")
        print(r.path, r.elapsed, len(r.objects))
        fut = eng.submit("job/pi", for_="condition=Complete", fail_for="condition=Failed")
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import logging
import math
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from datetime import timedelta
from typing import Any, NamedTuple

from hybridwait.core import Canceled, Clock, Context, RealClock
from hybridwait.core.duration import Duration, to_seconds
from hybridwait.kube.cache import ObjectCache, WaiterRegistry
from hybridwait.kube.conditions import ConditionLike, as_condition, fail_when
from hybridwait.kube.future import on_engine_thread
from hybridwait.kube.kubectl import ResourceArgs, resource_args
from hybridwait.kube.readers import ReaderPool
from hybridwait.kube.resources import (
    Discovery,
    ResourceType,
    check_path_segment,
    parse_resource_arg,
)
from hybridwait.kube.sharing import WatchManager, WatchStatus
from hybridwait.kube.stats import Stats
from hybridwait.kube.sweeper import Sweeper
from hybridwait.kube.transform import Transform, drop_managed_fields
from hybridwait.kube.transport import Transport
from hybridwait.kube.wait import (
    ConditionTimeout,
    Path,
    Runtime,
    Wait,
    WaitOptions,
    WaitResult,
    as_ctx,
)

__all__ = ["ConditionTimeout", "Engine", "Path", "WaitResult"]

log = logging.getLogger("hybridwait.kube.engine")

_WEEK = 7 * 24 * 3600.0
_DEFAULT_TIMEOUT = 30.0


class _Options(NamedTuple):
    """The keyword options of one wait call, as given (validated by ``Engine._start``)."""

    namespace: str | None
    selector: str | None
    field_selector: str | None
    all: bool
    all_namespaces: bool
    timeout: Duration | None
    ctx: Context | threading.Event | None
    poll_interval: Duration | None
    watch: bool | None


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
    ``readers``: threads for the steps of waits that block (discovery, a
    selector's LIST, GETs while no healthy watch covers an object); default 1
    with ``watch=True`` (a shared watch + its widening + the sweeper + 1 reader:
    at most 4 threads for one namespace), 3 with ``watch=False`` (no watcher
    threads: the sweeper + 3 readers). They start on demand and end after a
    second idle.
    ``transform`` (default :func:`~hybridwait.kube.transform.drop_managed_fields`):
    what the cache keeps of each object, and so what waits return; None keeps
    objects whole (see :mod:`hybridwait.kube.transform`).
    Durations may be seconds or ``datetime.timedelta``.

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
        poll_interval: Duration = 5.0,
        stall_timeout: Duration = 90.0,
        cache_size: int = 100_000,
        watch: bool = True,
        namespace: str | None = None,
        kubeconfig: str | None = None,
        context: str | None = None,
        clock: Clock | None = None,
        tombstone_ttl: Duration = 60.0,
        discovery_ttl: Duration = 600.0,
        request_timeout: Duration = 10.0,
        watch_linger: Duration = 5.0,
        readers: int | None = None,
        transform: Transform | None = drop_managed_fields,
    ) -> None:
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be a function or None, got {transform!r}")
        poll_interval = _seconds(poll_interval, "poll_interval", positive=True)
        stall_timeout = _seconds(stall_timeout, "stall_timeout", positive=True)
        tombstone_ttl = _seconds(tombstone_ttl, "tombstone_ttl", positive=True)
        discovery_ttl = _seconds(discovery_ttl, "discovery_ttl", positive=True)
        request_timeout = _seconds(request_timeout, "request_timeout", positive=True)
        watch_linger = _seconds(watch_linger, "watch_linger", positive=False)
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
            transform=transform,
        )
        self._sweeper = Sweeper(self.clock)
        self._readers = ReaderPool(readers if readers is not None else (1 if watch else 3))
        self._runtime = Runtime(
            clock=self.clock,
            transport=self._transport,
            cache=self._cache,
            registry=self._registry,
            watches=self._watches,
            sweeper=self._sweeper,
            readers=self._readers,
            stats=self._stats,
            resolve=self.resolve,
            list_objects=self._list,
            ended=self._ended,
        )
        self._lock = threading.Lock()
        self._waits: dict[Wait, None] = {}  # pending waits (close() cancels them)
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
            waits = list(self._waits)
            self._waits.clear()
        for w in waits:
            w.abandon()  # the registry, sweeper and watches go as a whole below
        read = self._readers.close(timeout=0.5)
        swept = self._sweeper.close(timeout=0.3)
        if not self._watches.close(timeout=1.0) or not swept or not read:
            log.warning("some engine threads did not stop in time")
        self._transport.close()  # the watch streams' own pool
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
        (watch connections in use), ``cached_objects``, ``discovery_requests``,
        ``sweeps`` (poll-path re-checks made in bulk by the sweeper thread) and
        ``waits_pending`` (waits started and not ended, all APIs).

        Example::

            eng.stats()["waits_by_watch"]
        """
        s = self._stats.snapshot()
        s["watchers"] = self._watches.active_count()
        s["cached_objects"] = len(self._cache)
        s["discovery_requests"] = self._discovery.requests
        s["sweeps"] = self._sweeper.sweeps
        s["waits_pending"] = self.pending()
        return s

    def watch_status(self) -> builtins.list[WatchStatus]:
        """How each watch in use is doing: one
        :class:`~hybridwait.kube.watcher.WatchStatus` per connection (narrow or
        namespace-wide, lingering ones included): its scope, state, whether waits
        read the cache for it (``healthy``), how many waits it serves, and its
        own counts (events, relists, reconnects, stalls). Watches idle for longer
        than ``watch_linger`` are stopped first, so they are not reported.

        Example::

            for st in eng.watch_status():
                print(st.resource, st.namespace or "*", st.name, st.state.value, st.healthy)
        """
        self._watches.reap()
        return self._watches.statuses()

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

    # -- waiting -----------------------------------------------------------------------
    def submit(
        self,
        resource: str | Sequence[str],
        for_: ConditionLike | Iterable[ConditionLike],
        *,
        namespace: str | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
        all: bool = False,
        all_namespaces: bool = False,
        timeout: Duration | None = None,
        ctx: Context | threading.Event | None = None,
        poll_interval: Duration | None = None,
        watch: bool | None = None,
        fail_for: ConditionLike | Iterable[ConditionLike] | None = None,
    ) -> Future[Any]:
        """Start a wait and return its ``concurrent.futures.Future`` at once.

        Same arguments as :meth:`wait`. The future's result is what
        :meth:`wait` returns; its exception what :meth:`wait` raises. Bad input
        (``for_``, ``fail_for``, the resource string, durations) raises here;
        everything the API says (unknown type, NotFound, Forbidden, ...)
        arrives through the future. A pending future costs no thread: the
        engine's watcher, sweeper and reader threads drive it.

        ``future.cancel()`` ends the wait and frees everything it held;
        :meth:`close` ends every pending future with ``Canceled``. Done-callbacks
        run on an engine thread, outside every engine lock: keep them short
        and never block in them (hand slow work to your own executor); one that
        raises is logged (logger ``concurrent.futures``) and affects no other wait.

        Example::

            futs = [eng.submit(f"pod/web-{i}", for_="condition=Ready", timeout=60)
                    for i in range(100)]
            concurrent.futures.wait(futs)
        """
        return self._start(
            resource, for_, fail_for,
            _Options(
                namespace=namespace, selector=selector, field_selector=field_selector,
                all=all, all_namespaces=all_namespaces, timeout=timeout, ctx=ctx,
                poll_interval=poll_interval, watch=watch,
            ),
        ).future

    async def wait_async(
        self,
        resource: str | Sequence[str],
        for_: ConditionLike | Iterable[ConditionLike],
        *,
        namespace: str | None = None,
        selector: str | None = None,
        field_selector: str | None = None,
        all: bool = False,
        all_namespaces: bool = False,
        timeout: Duration | None = None,
        ctx: Context | threading.Event | None = None,
        poll_interval: Duration | None = None,
        watch: bool | None = None,
        fail_for: ConditionLike | Iterable[ConditionLike] | None = None,
    ) -> Any:
        """:meth:`wait` for asyncio: the same wait, awaited from any running loop.

        No thread per await (the wait is a :meth:`submit` future, bridged with
        ``asyncio.wrap_future``); cancelling the awaiting task cancels the wait.

        Example::

            pod = await eng.wait_async("pod/web-0", for_="condition=Ready", timeout=60)
        """
        import asyncio

        fut = self.submit(
            resource, for_, namespace=namespace, selector=selector,
            field_selector=field_selector, all=all, all_namespaces=all_namespaces,
            timeout=timeout, ctx=ctx, poll_interval=poll_interval, watch=watch,
            fail_for=fail_for,
        )
        try:
            return await asyncio.wrap_future(fut)
        finally:
            fut.cancel()  # harmless once done; ends the wait if the task was cancelled

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
        timeout: Duration | None = None,
        ctx: Context | threading.Event | None = None,
        poll_interval: Duration | None = None,
        watch: bool | None = None,
        fail_for: ConditionLike | Iterable[ConditionLike] | None = None,
    ) -> Any:
        """Wait until ``for_`` holds for every object named by ``resource``.

        ``resource``: ``TYPE/NAME`` (one or a list), or ``TYPE`` with
        ``selector``/``field_selector``/``all``/``all_namespaces`` (the matching
        objects are listed once, at the start, as kubectl does). ``for_``: a
        kubectl ``--for`` string, a list of them (all must hold), a
        :class:`~hybridwait.conditions.Condition` or a callable ``obj_or_None -> bool``.
        ``fail_for``: the same forms; when any of them holds the wait ends with
        :class:`~hybridwait.WaitFailed` (a condition that raises ends the wait
        with its exception). ``timeout`` seconds or a ``timedelta`` (default 30
        without ``ctx``; 0 = check once via the API; negative = one week);
        ``ctx`` (a Context or threading.Event) cancels. The first check runs at once.

        Returns the object (a ``dict``) for one named object — ``None`` for a
        ``delete`` wait on an object that never existed, the last seen state
        for a deleted one — otherwise a ``list`` in kubectl's order.

        Raises :class:`~hybridwait.kube.wait.ConditionTimeout` (a ``WaitTimeout``:
        ``timed out waiting for the condition on pods/web-0``; ``.unmet`` lists
        every unmet ``resource/name``, ``.met`` the objects met), ``WaitFailed``,
        ``Canceled`` (ctx, ``close()``, Ctrl-C in the waiting thread),
        ``ValueError`` (bad ``for_``/resource), ``UnknownResourceType``,
        ``NotFound`` (a named object missing at start, except for
        ``delete``/``create``), ``NoMatchingResources``, ``ApiError`` (e.g.
        ``Forbidden``), ``ConnectionFailed``, ``ConditionError``.

        Example::

            eng.wait(["pod/a", "pod/b"], for_="condition=Ready", timeout=120)
        """
        return self._block(
            self._start(
                resource, for_, fail_for,
                _Options(
                    namespace=namespace, selector=selector, field_selector=field_selector,
                    all=all, all_namespaces=all_namespaces, timeout=timeout, ctx=ctx,
                    poll_interval=poll_interval, watch=watch,
                ),
            )
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
        timeout: Duration | None = None,
        ctx: Context | threading.Event | None = None,
        poll_interval: Duration | None = None,
        watch: bool | None = None,
        fail_for: ConditionLike | Iterable[ConditionLike] | None = None,
    ) -> WaitResult:
        """Like :meth:`wait`, returning :class:`WaitResult` (objects, path, elapsed).

        Example::

            r = eng.wait_result("pod/web-0", for_="delete", timeout=60)
            print(r.path)   # "watch" when a DELETED event ended it
        """
        return self._block(
            self._start(
                resource, for_, fail_for,
                _Options(
                    namespace=namespace, selector=selector, field_selector=field_selector,
                    all=all, all_namespaces=all_namespaces, timeout=timeout, ctx=ctx,
                    poll_interval=poll_interval, watch=watch,
                ),
            )
        )

    def wait_objects(
        self,
        manifests: Iterable[dict[str, Any]],
        for_: ConditionLike | Iterable[ConditionLike] = "ready",
        *,
        namespace: str | None = None,
        timeout: Duration | None = None,
        fail_for: ConditionLike | Iterable[ConditionLike] | None = None,
        ctx: Context | threading.Event | None = None,
        poll_interval: Duration | None = None,
        watch: bool | None = None,
    ) -> builtins.list[dict[str, Any]]:
        """Wait on every object of ``manifests`` (dicts as ``yaml.safe_load_all``
        gives them; resolved by ``apiVersion``/``kind``), by default until each is
        ready (kstatus Current). The namespace is the manifest's, else
        ``namespace``, else the engine's. Returns the objects in manifest order.
        Options as :meth:`wait`; see :mod:`hybridwait.kube.objects`.

        Example::

            docs = [d for d in yaml.safe_load_all(open("app.yaml")) if d]
            # ... apply them with your client, then:
            eng.wait_objects(docs, timeout=300)
        """
        from hybridwait.kube.objects import wait_objects

        return wait_objects(
            self, manifests, for_=for_, namespace=namespace,
            timeout=None if timeout is None else _seconds(timeout, "timeout", positive=False),
            fail_for=fail_for, ctx=ctx, poll_interval=poll_interval, watch=watch,
        )

    def _block(self, w: Wait) -> WaitResult:
        """Block the calling thread on a wait; an interrupt (Ctrl-C) cancels it.

        Refused on an engine thread (a done-callback): the wait could need the
        very thread that is blocked on it."""
        if on_engine_thread():
            w.future.cancel()
            raise RuntimeError(
                "Engine.wait() called from an engine thread (a done-callback); "
                "use submit() and add_done_callback instead"
            )
        try:
            objects = w.future.result()
        except BaseException:
            w.future.cancel()
            raise
        assert w.result is not None
        return WaitResult(objects, w.result.path, w.result.elapsed)

    def _start(
        self,
        resource: str | Sequence[str],
        for_: ConditionLike | Iterable[ConditionLike],
        fail_for: ConditionLike | Iterable[ConditionLike] | None,
        o: _Options,
    ) -> Wait:
        """Validate (raising at once), then start a :class:`Wait`."""
        if not isinstance(for_, str) and not callable(for_) and isinstance(for_, Iterable):
            for_ = list(for_)  # read twice below
        cond = as_condition(for_)  # a bad --for fails before any request
        if fail_for is not None:
            cond = fail_when(for_, fail_for)  # refuses a fail_for that is also a for_
        interval = self.poll_interval if o.poll_interval is None else o.poll_interval
        interval = _seconds(interval, "poll_interval", positive=True)
        timeout = None if o.timeout is None else _seconds(o.timeout, "timeout", positive=False)
        ctx = as_ctx(o.ctx)
        if o.namespace:
            check_path_segment(o.namespace, "namespace")
        args = _resource_args(resource, o.selector, o.field_selector, o.all, o.all_namespaces)
        if timeout is None:
            timeout = _DEFAULT_TIMEOUT if ctx is None else None
        elif timeout < 0:
            timeout = _WEEK
        opts = WaitOptions(
            namespace=o.namespace or self.namespace,
            selector=o.selector,
            field_selector=o.field_selector,
            all=bool(o.all),
            all_namespaces=bool(o.all_namespaces),
            timeout=timeout,
            ctx=ctx,
            poll_interval=interval,
            watch=self.watch if o.watch is None else bool(o.watch),
        )
        if ctx is None:  # waits submitted alike share one (100,000 pending waits)
            opts = _shared_options(opts)
        w = Wait(self._runtime, args, cond, opts)
        with self._lock:
            if self._closed:
                raise Canceled("engine is closed")
            self._waits[w] = None
        w.start()
        return w

    def _ended(self, w: Wait) -> None:
        with self._lock:
            self._waits.pop(w, None)

    def pending(self) -> int:
        """Waits started and not ended yet (all APIs).

        Example::

            eng.submit("pod/a", for_="delete"); eng.pending()   # 1
        """
        with self._lock:
            return len(self._waits)


def _seconds(value: object, name: str, *, positive: bool) -> float:
    """A duration option as seconds (``float``, ``int`` or ``timedelta``, through
    the core's one converter), with the engine's messages for bad values."""
    if isinstance(value, bool) or not isinstance(value, (int, float, timedelta)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise ValueError(f"{name} must be finite, got {value}")
    seconds = to_seconds(value, name)
    if positive and seconds <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return seconds


def _resource_args(
    resource: str | Sequence[str],
    selector: str | None,
    field_selector: str | None,
    all_: bool,
    all_namespaces: bool,
) -> ResourceArgs:
    """Each argument's form and names (``ValueError`` quoting the bad one), then
    kubectl's rules for the whole (:func:`hybridwait.kube.kubectl.resource_args`)."""
    args = [resource] if isinstance(resource, str) else list(resource)
    for a in args:
        parse_resource_arg(a)
    return resource_args(
        [a.strip() for a in args], selector=selector, field_selector=field_selector,
        all_=all_, all_namespaces=all_namespaces,
    )


@functools.lru_cache(maxsize=256)
def _shared_options(opts: WaitOptions) -> WaitOptions:
    """One instance of equal options (a frozen value; never with a ``ctx``,
    which the cache would keep alive)."""
    return opts
