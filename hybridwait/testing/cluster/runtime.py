"""The controller runtime: each controller is one thread driven by the
emulator's own event history (no polling of the store), level-triggered, with
errors isolated per controller.

A controller names the resource keys it watches, maps each stored event to
the work items (:class:`Ref`) it makes dirty, and reconciles one item at a
time in :meth:`Controller.sync`, which reads the *current* state from the
store and writes through :class:`Client` (the emulator's :class:`~..api.Api`,
so admission, validation, defaulting and resourceVersions apply as for any
client). ``sync`` may ask to be called again after some simulated seconds.

The loop registers one store watcher per key whose only job is to set the
loop's wake-up flag; the loop then reads the store's bounded event history
from its cursor (no queue of its own). If it fell out of that history it
re-syncs every item, as an informer re-lists. A ``sync`` that raises is
logged and retried with a growing delay; the other controllers go on.

Example::

    loop = Loop(MyController(ctx), ctx)
    loop.start(); ...; ctx.stopping.set(); loop.wake(); loop.join()
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple

from hybridwait.core.clock import Clock, RealClock
from hybridwait.testing.apiserver.api import Api
from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.resources import ResourceType
from hybridwait.testing.apiserver.store import Event, Store, Watcher, clone
from hybridwait.testing.apiserver.subresources import Subresources
from hybridwait.testing.cluster.events import EventRecorder
from hybridwait.testing.cluster.faults import WorkloadFaults
from hybridwait.testing.cluster.pods import is_active, is_available, is_ready
from hybridwait.testing.cluster.settings import ClusterSettings

__all__ = ["Client", "ClusterContext", "Controller", "Loop", "Ref"]

log = logging.getLogger("hybridwait.testing.cluster")

PODS = "/pods"
NODES = "/nodes"
# Retry delays (real seconds) for a sync that raised.
_ERROR_RETRY_FIRST = 0.05
_ERROR_RETRY_MAX = 5.0


class Ref(NamedTuple):
    """One work item: an object by storage key, namespace and name.

    Example::

        Ref("apps/deployments", "default", "web")
    """

    key: str
    namespace: str
    name: str

    @classmethod
    def of(cls, key: str, obj: dict[str, Any]) -> Ref:
        """The ref of a stored object."""
        meta = obj.get("metadata") or {}
        return cls(key, str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class Client:
    """Reads from the store and writes through the emulator's verbs, as a
    named field manager.

    Example::

        client.create("/pods", "default", pod_body, "kube-controller-manager")
    """

    def __init__(self, api: Api) -> None:
        self.api = api
        self.store: Store = api.store
        self.subresources = Subresources(api)

    def rt(self, key: str) -> ResourceType:
        """The resource type stored under ``key``."""
        rt = self.api.registry.by_key(key)
        if rt is None:
            raise KeyError(key)
        return rt

    def get(self, key: str, namespace: str, name: str) -> dict[str, Any] | None:
        """A deep copy of the stored object, or None."""
        obj = self.store.get(key, namespace, name)
        return clone(obj) if obj is not None else None

    def items(self, key: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """The stored objects (not copies: do not mutate them)."""
        with self.store.lock:
            return self.store.items(key, namespace)

    def create(self, key: str, namespace: str, body: dict[str, Any], manager: str
               ) -> dict[str, Any]:
        """Create ``body`` (a 409 AlreadyExists is raised to the caller)."""
        rt = self.rt(key)
        return self.api.create(rt, rt.versions[0], namespace, body, field_manager=manager)

    def update(self, key: str, obj: dict[str, Any], manager: str, *, status: bool = False
               ) -> dict[str, Any]:
        """Update ``obj`` (its ``resourceVersion`` guards against lost updates)."""
        rt = self.rt(key)
        meta = obj["metadata"]
        return self.api.update(rt, rt.versions[0], str(meta.get("namespace") or ""),
                               str(meta["name"]), obj,
                               subresource="status" if status else "", field_manager=manager)

    def delete(self, key: str, namespace: str, name: str, uid: str = "", *,
               grace_period: int | None = None, foreground: bool = False) -> None:
        """Delete (with a uid precondition when given; ``grace_period``: the
        DeleteOptions' ``gracePeriodSeconds``, 0 for the kubelet's final delete of
        a pod; ``foreground``: ``propagationPolicy: Foreground``); a missing
        object is fine."""
        options: dict[str, Any] = {}
        if uid:
            options["preconditions"] = {"uid": uid}
        if grace_period is not None:
            options["gracePeriodSeconds"] = grace_period
        if foreground:
            options["propagationPolicy"] = "Foreground"
        try:
            self.api.delete(self.rt(key), namespace, name, options or None)
        except StatusError as err:
            if err.code != 404:
                raise

    def bind(self, namespace: str, name: str, node: str) -> None:
        """Bind a pod to a node through ``pods/binding``."""
        self.subresources.bind(namespace, name, {"target": {"kind": "Node", "name": node}})


class ClusterContext:
    """What every controller shares: the client, settings, faults, the
    simulated clock and the stop flag.

    Example::

        ctx.now()          # simulated seconds since the control plane started
    """

    def __init__(self, api: Api, settings: ClusterSettings, faults: WorkloadFaults) -> None:
        self.client = Client(api)
        self.settings = settings
        self.faults = faults
        self.events = EventRecorder(self.client, enabled=settings.events)
        self.stopping = threading.Event()
        self.clock: Clock = settings.clock if settings.clock is not None else RealClock()
        self.fake_clock = settings.clock is not None
        self._t0 = self.clock.now()
        # pod uid -> simulated time the kubelet made it Ready (entries go with the
        # pod or its readiness), so minReadySeconds follows the simulated clock
        self._ready_at: dict[str, float] = {}

    def now(self) -> float:
        """Simulated seconds since start (clock seconds times ``time_scale``)."""
        return (self.clock.now() - self._t0) * self.settings.time_scale

    def real(self, sim_seconds: float) -> float:
        """Clock seconds for ``sim_seconds`` of simulated time."""
        return sim_seconds / self.settings.time_scale

    def mark_ready(self, uid: str, ready: bool) -> None:
        """The kubelet made pod ``uid`` Ready (now) or not Ready (forget it)."""
        if ready:
            self._ready_at[uid] = self.now()
        else:
            self._ready_at.pop(uid, None)

    def forget_pods(self, live: set[str] | None = None, gone: str | None = None) -> None:
        """Drop readiness records of a deleted pod (``gone``) or of every pod not
        in ``live`` (after a re-sync)."""
        if gone is not None:
            self._ready_at.pop(gone, None)
        if live is not None:
            for uid in [u for u in self._ready_at if u not in live]:
                del self._ready_at[uid]

    def available(self, pod: dict[str, Any], min_ready_seconds: float) -> bool:
        """Ready (and not being deleted) for ``min_ready_seconds`` simulated seconds."""
        return is_available(pod, min_ready_seconds, time.time(), self.settings.time_scale,
                            self.ready_for(pod))

    def until_available(self, pods: list[dict[str, Any]], min_ready_seconds: float
                        ) -> float | None:
        """Simulated seconds until the next of ``pods`` that is Ready but not yet
        available becomes available (None: none is waiting)."""
        out: float | None = None
        for pod in pods:
            if not is_ready(pod) or not is_active(pod) or self.available(
                    pod, min_ready_seconds):
                continue
            since = self.ready_for(pod)
            left = min_ready_seconds - since if since is not None else min_ready_seconds
            out = left if out is None else min(out, left)
        return None if out is None else max(out, 0.0)

    def ready_for(self, pod: dict[str, Any]) -> float | None:
        """Simulated seconds since the kubelet made ``pod`` Ready, or None when it
        did not record it (a status written by someone else, a restart)."""
        at = self._ready_at.get(str((pod.get("metadata") or {}).get("uid") or ""))
        return None if at is None else self.now() - at


class Controller:
    """Base of every simulated controller (see module docstring).

    Example::

        class Mine(Controller):
            name = "mine"; watches = ("/configmaps",)
            def sync(self, ref): ...
    """

    name: ClassVar[str] = "controller"
    watches: tuple[str, ...] = ()
    manager: ClassVar[str] = "kube-controller-manager"

    def __init__(self, ctx: ClusterContext) -> None:
        self.ctx = ctx
        self.client = ctx.client

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        """Work items an event makes dirty (default: the object itself, if it is
        of the controller's first watched key)."""
        if ev.key == self.watches[0]:
            yield Ref(ev.key, ev.namespace, ev.name)

    def all_refs(self) -> Iterable[Ref]:
        """Every work item (at start and after falling out of the history)."""
        key = self.watches[0]
        for obj in self.client.items(key):
            yield Ref.of(key, obj)

    def sync(self, ref: Ref) -> float | None:
        """Reconcile one item; return simulated seconds after which to sync it
        again (None: only when an event says so)."""
        raise NotImplementedError

    def start(self) -> None:
        """Called once on the loop's thread before the first sync."""


class Loop:
    """Runs one controller on its own thread (see module docstring).

    Example::

        loop = Loop(controller, ctx); loop.start()
    """

    def __init__(self, controller: Controller, ctx: ClusterContext) -> None:
        self.controller = controller
        self.ctx = ctx
        self._wake = threading.Event()
        self._resync = threading.Event()
        self._dirty: dict[Ref, None] = {}  # at most one entry per object
        self._due: dict[Ref, float] = {}  # ref -> clock time (earliest wins)
        self._failures: dict[Ref, int] = {}
        self._watchers: dict[str, Watcher] = {}  # key -> registration that wakes us
        self.errors = 0
        self.syncs = 0
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"hybridwait-cluster-{controller.name}")

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def wake(self) -> None:
        """Wake the loop (to see the stop flag or new events)."""
        self._wake.set()

    def resync(self) -> None:
        """Sync every item again soon (after a fault changed)."""
        self._resync.set()
        self._wake.set()

    def join(self, timeout: float | None = None) -> None:
        """Join the thread (after the context's stop flag is set)."""
        if self._thread.is_alive() or self._thread.ident is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread.is_alive()

    def _run(self) -> None:
        store = self.ctx.client.store
        try:
            self._rewatch()
            with store.lock:
                cursor = store.revision
            self._guard(None, self.controller.start)
            self._mark_all()
            while not self.ctx.stopping.is_set():
                cursor = self._step(cursor)
                if self._watchers.keys() != set(self.controller.watches):
                    self._rewatch()
        finally:
            for w in self._watchers.values():
                store.remove_watcher(w)
            self._watchers.clear()

    def _rewatch(self) -> None:
        """Wake on events of exactly the controller's ``watches`` (a controller
        may change them, e.g. the garbage collector when a CRD is added)."""
        store = self.ctx.client.store
        wanted = set(self.controller.watches)
        for key in [k for k in self._watchers if k not in wanted]:
            store.remove_watcher(self._watchers.pop(key))
        wake = self._wake
        for key in wanted - self._watchers.keys():
            w = Watcher(key, offer=lambda _ev: wake.set())
            self._watchers[key] = w
            store.add_watcher(w)

    def _step(self, cursor: int) -> int:
        store = self.ctx.client.store
        if not self._dirty:
            timeout = None
            if self._due:
                timeout = max(0.0, min(self._due.values()) - self.ctx.clock.now())
            self._wait(timeout)
        self._wake.clear()
        if self.ctx.stopping.is_set():
            return cursor
        if self._resync.is_set():
            self._resync.clear()
            self._mark_all()
        events = store.events_since(cursor)
        if events is None:  # fell out of the history: re-list, as an informer does
            with store.lock:
                cursor = store.revision
            self._mark_all()
        else:
            for ev in events:
                cursor = ev.rv
                if ev.key in self.controller.watches:  # may change with an event
                    for ref in self._guard_refs(ev):
                        self._dirty[ref] = None
        now = self.ctx.clock.now()
        for ref, due in list(self._due.items()):
            if due <= now:
                del self._due[ref]
                self._dirty[ref] = None
        batch, self._dirty = self._dirty, {}
        for ref in batch:
            if self.ctx.stopping.is_set():
                break
            self._sync_one(ref)
        return cursor

    def _wait(self, timeout: float | None) -> None:
        """Sleep until woken or ``timeout`` clock seconds pass."""
        if timeout is None or not self.ctx.fake_clock:
            self._wake.wait(timeout)
            return
        timer = self.ctx.clock.new_timer(timeout)
        chan = timer.c
        chan.subscribe(self._wake.set)
        try:
            chan.get_nowait()  # fired before the subscription: do not sleep
        except queue.Empty:
            self._wake.wait()
        finally:
            chan.unsubscribe(self._wake.set)
            timer.stop()

    def _mark_all(self) -> None:
        refs = self._guard(None, lambda: list(self.controller.all_refs())) or []
        for ref in refs:
            self._dirty[ref] = None

    def _guard_refs(self, ev: Event) -> list[Ref]:
        return self._guard(None, lambda: list(self.controller.refs_for(ev))) or []

    def _guard(self, ref: Ref | None, fn: Any) -> Any:
        try:
            return fn()
        except Exception:
            self.errors += 1
            log.exception("cluster controller %s failed (%s)", self.controller.name,
                          ref or "event mapping")
            return None

    def _sync_one(self, ref: Ref) -> None:
        self.syncs += 1
        try:
            after = self.controller.sync(ref)
        except StatusError as err:
            if err.code == 409:  # a conflict: read again and retry at once
                self._dirty[ref] = None
                self._wake.set()
                return
            if err.code == 404:
                return
            self._failed(ref)
            return
        except Exception:
            self._failed(ref)
            return
        self._failures.pop(ref, None)
        if after is not None:
            self._schedule(ref, self.ctx.clock.now() + self.ctx.real(max(after, 0.0)))

    def _failed(self, ref: Ref) -> None:
        self.errors += 1
        n = self._failures.get(ref, 0) + 1
        self._failures[ref] = n
        log.exception("cluster controller %s: sync of %s/%s %s failed (retry %d)",
                      self.controller.name, ref.namespace, ref.name, ref.key, n)
        delay = min(_ERROR_RETRY_MAX, _ERROR_RETRY_FIRST * 2 ** (n - 1))
        self._schedule(ref, self.ctx.clock.now() + delay)

    def _schedule(self, ref: Ref, at: float) -> None:
        cur = self._due.get(ref)
        if cur is None or at < cur:
            self._due[ref] = at
