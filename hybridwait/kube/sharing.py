"""The watch-sharing policy: how many watch connections serve how many waits.

* A wait on one object, alone in its resource and namespace, gets a **narrow**
  watch (``fieldSelector=metadata.name=NAME``): it never lists the namespace.
* As soon as waits on **two or more distinct objects** of the same resource
  and namespace are active (``widen_at``), one **namespace-wide** watch is
  started for that scope. Once it has synced (its LIST stored, every wait of
  the scope woken to read the cache), the narrow watches of the scope are
  stopped: from then on N waits share O(1) connections. The hand-over itself
  reads nothing; a wait whose first look at its object is the LIST's copy
  confirms by a GET what would end it, as every first check (docs/engine.md).
* Cluster-scoped resources use the same rule with namespace ``""``.
* A watch with no waiter left **lingers** ``linger`` seconds (default 5) before
  it stops, so sequential waits (the CLI visits objects one by one, as kubectl)
  reuse it: a narrow watch that lingers counts as an object of its scope, so a
  second object soon widens the scope too. The wide watch stays while any waiter
  of its scope remains, plus the linger. Idle watches are stopped at the next
  wait, as events or bookmarks arrive, or at ``close()``.

``statuses()`` reports how each watch in use is doing (a
:class:`~hybridwait.kube.watcher.WatchStatus` each: state, health, waiters,
counts, resourceVersion).

``coverage(key)`` tells a waiter how to read ``key``: ``"cache"`` (a healthy
watch covers it), ``"pending"`` (a watch covering it is doing its first LIST:
wait for its wake-up) or ``"api"`` (no trustworthy watch: read the API).

**Degraded mode.** While a namespace-wide watch cannot be trusted (its stream
dropped, stalled or was refused, and has not proved live again), the waits of
its scope do not GET their objects one by one: ``read_scope(key, max_age)``
serves them all from one paged LIST of the scope, shared (at most four LISTs
per ``max_age``, the waits' poll interval), and the watch resumes from that
LIST's resourceVersion. A scope with one waited object (a narrow watch) still
GETs that object.

Example::

    mgr = WatchManager(transport, cache, registry, stats)
    mgr.acquire(rtype, ("pods", "default", "web-0"))
    mgr.coverage(("pods", "default", "web-0"))      # "pending", then "cache"
    mgr.release(rtype, ("pods", "default", "web-0"))
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from typing import Any, cast

from hybridwait.core import Clock, RealClock
from hybridwait.kube.cache import Key, ObjectCache, ObjectKey, Scope, WaiterRegistry, as_key
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.stats import Stats
from hybridwait.kube.transform import Transform, drop_managed_fields
from hybridwait.kube.transform import apply as _transform
from hybridwait.kube.transport import Transport
from hybridwait.kube.watcher import ScopeRead, Watcher, WatchStatus

__all__ = ["Coverage", "WatchManager", "WatchStatus"]

log = logging.getLogger("hybridwait.kube.sharing")


class Coverage(str, enum.Enum):
    """How a waiter reads an object now (compares equal to the string)."""

    CACHE = "cache"  # a healthy watch covers it: read the cache
    PENDING = "pending"  # a covering watch is doing its first LIST: wait for its wake-up
    API = "api"  # no trustworthy watch: GET it

    def __str__(self) -> str:
        return self.value


class WatchManager:
    """Starts, shares and stops :class:`~hybridwait.kube.watcher.Watcher` s (thread-safe)."""

    def __init__(
        self,
        transport: Transport,
        cache: ObjectCache,
        registry: WaiterRegistry,
        stats: Stats,
        *,
        stall_timeout: float = 90.0,
        clock: Clock | None = None,
        widen_at: int = 2,
        linger: float = 5.0,
        transform: Transform | None = drop_managed_fields,
    ) -> None:
        self.transport = transport
        self.transform = transform
        self.cache = cache
        self.registry = registry
        self.stats = stats
        self.stall_timeout = stall_timeout
        self.clock: Clock = clock or RealClock()
        self.widen_at = max(1, widen_at)
        self.linger = max(0.0, linger)
        self._lock = threading.Lock()
        self._refs: dict[Scope, dict[str, int]] = {}
        self._narrow: dict[ObjectKey, Watcher] = {}
        self._wide: dict[Scope, Watcher] = {}
        self._stopped: list[Watcher] = []
        self._idle: dict[Watcher, float] = {}  # watchers without waiters -> since when
        self._closed = False

    def _new(self, rtype: ResourceType, namespace: str, name: str | None) -> Watcher:
        w = Watcher(
            self.transport,
            rtype,
            namespace,
            name,
            self.cache,
            self.registry,
            self.stats,
            stall_timeout=self.stall_timeout,
            clock=self.clock,
            on_synced=self._synced,
            on_activity=self.reap,
            transform=self.transform,
        )
        w.start()
        return w

    def _retire(self, w: Watcher) -> None:
        w.stop()
        self._idle.pop(w, None)
        self._stopped = [x for x in self._stopped if x.alive]
        self._stopped.append(w)

    def _reap_locked(self) -> None:
        now = self.clock.now()
        for w, since in list(self._idle.items()):
            if now - since < self.linger:
                continue
            scope = Scope(w.rtype.key, w.namespace)
            if w.wide:
                if self._wide.get(scope) is w:
                    del self._wide[scope]
            else:
                key = ObjectKey(w.rtype.key, w.namespace, str(w.name))
                if self._narrow.get(key) is w:
                    del self._narrow[key]
            self._retire(w)

    def reap(self) -> None:
        """Stop the watches that have had no waiter for ``linger`` seconds
        (called on every acquire/release and, at most once a second, by
        watcher threads as events or bookmarks arrive)."""
        with self._lock:
            if self._idle:
                self._reap_locked()

    def _names_locked(self, scope: Scope) -> set[str]:
        """Objects of a scope waited on now, or whose narrow watch still lingers."""
        names = set(self._refs.get(scope, ()))
        names.update(k.name for k in self._narrow if k.scope == scope)
        return names

    def acquire(self, rtype: ResourceType, key: Key) -> None:
        """A waiter on ``key`` arrived: make sure a watch covers it."""
        key = as_key(key)
        scope = key.scope
        with self._lock:
            if self._closed:
                return
            self._reap_locked()
            names = self._refs.setdefault(scope, {})
            names[key.name] = names.get(key.name, 0) + 1
            wide = self._wide.get(scope)
            if wide is not None:
                self._idle.pop(wide, None)
                return
            narrow = self._narrow.get(key)
            if narrow is not None:
                self._idle.pop(narrow, None)
            distinct = self._names_locked(scope)
            if len(distinct) >= self.widen_at:
                log.debug("widening %s/%s: %d objects waited on", *scope, len(distinct))
                self._wide[scope] = self._new(rtype, key.namespace, None)
            elif narrow is None:
                self._narrow[key] = self._new(rtype, key.namespace, key.name)

    def release(self, rtype: ResourceType, key: Key) -> None:
        """A waiter on ``key`` left: stop watches nobody needs any more."""
        key = as_key(key)
        scope = key.scope
        with self._lock:
            names = self._refs.get(scope)
            if names is None or key.name not in names:
                return
            names[key.name] -= 1
            now = self.clock.now()
            if names[key.name] <= 0:
                del names[key.name]
                narrow = self._narrow.get(key)
                if narrow is not None:
                    self._idle[narrow] = now
            if not names:
                del self._refs[scope]
                wide = self._wide.get(scope)
                if wide is not None:
                    self._idle[wide] = now
            if self._idle:
                self._reap_locked()

    def _synced(self, w: Watcher) -> None:
        """A wide watch synced: the scope's narrow watches are redundant now."""
        if not w.wide:
            return
        scope = Scope(w.rtype.key, w.namespace)
        with self._lock:
            if self._wide.get(scope) is not w:
                return
            for key in [k for k in self._narrow if k.scope == scope]:
                self._retire(self._narrow.pop(key))

    def coverage(self, key: Key) -> Coverage:
        """How a waiter should read ``key`` now (see :class:`Coverage`)."""
        scope = cast(Scope, (key[0], key[1]))  # equal to the Scope key, cheaper to build
        with self._lock:  # called for every check of every wait: kept lean
            wide = self._wide.get(scope)
            narrow = self._narrow.get(cast(ObjectKey, key))
        if (wide is not None and wide.healthy) or (narrow is not None and narrow.healthy):
            return Coverage.CACHE
        if (wide is not None and wide.pending) or (narrow is not None and narrow.pending):
            return Coverage.PENDING
        return Coverage.API

    def transformed(self, rtype: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """``obj`` (read by a GET or a LIST outside the watches) as the watches
        cache it: through the engine's transform (see
        :mod:`hybridwait.kube.transform`; an
        :class:`~hybridwait.kube.transform.Untransformable` if it failed).

        Example::

            mgr.transformed(rtype, pod)["metadata"].get("managedFields")   # None
        """
        return _transform(self.transform, obj, rtype.plural)

    def read_scope(self, key: Key, max_age: float) -> ScopeRead | None:
        """Degraded mode: read ``key``'s whole scope with one LIST shared by every
        wait of the scope (see :meth:`Watcher.read_scope
        <hybridwait.kube.watcher.Watcher.read_scope>`; blocks). None when no
        namespace-wide watch serves the scope: a lone wait GETs its one object.

        Example::

            got = mgr.read_scope(("pods", "default", "web-0"), max_age=2.0)
            if got is not None and got.ok:
                cache.lookup(("pods", "default", "web-0"))
        """
        key = as_key(key)
        with self._lock:
            wide = self._wide.get(key.scope)
        return None if wide is None else wide.read_scope(max_age)

    def complete(self, key: Key) -> bool:
        """A healthy covering watch saw no eviction since its LIST."""
        with self._lock:
            key = as_key(key)
            watchers = [w for w in (self._wide.get(key.scope), self._narrow.get(key)) if w]
        return any(w.healthy and w.complete for w in watchers)

    def watchers(self) -> list[Watcher]:
        """Every live watcher (active or stopping)."""
        with self._lock:
            stopping = [w for w in self._stopped if w.alive]
            return [*self._narrow.values(), *self._wide.values(), *stopping]

    def statuses(self) -> list[WatchStatus]:
        """How every watch in use is doing (narrow and wide, lingering ones
        included, not those being stopped): one :class:`WatchStatus
        <hybridwait.kube.watcher.WatchStatus>` each, with the number of waits it
        serves (a wide watch serves every wait of its scope).

        Example::

            [(s.resource, s.namespace, s.name, s.healthy) for s in mgr.statuses()]
        """
        with self._lock:
            rows = [(w, self._refs.get(Scope(w.rtype.key, w.namespace), {}).get(str(w.name), 0))
                    for w in self._narrow.values()]
            rows += [(w, sum(self._refs.get(Scope(w.rtype.key, w.namespace), {}).values()))
                     for w in self._wide.values()]
        return [w.status(waiters=n) for w, n in rows]

    def active_count(self) -> int:
        """Watch connections in use (not stopping)."""
        with self._lock:
            return len(self._narrow) + len(self._wide)

    def close(self, timeout: float = 1.5) -> bool:
        """Stop every watcher and join them within ``timeout``; True if all ended."""
        with self._lock:
            self._closed = True
            all_w = [*self._narrow.values(), *self._wide.values(), *self._stopped]
            self._narrow.clear()
            self._wide.clear()
            self._refs.clear()
            self._stopped = []
            self._idle.clear()
        for w in all_w:
            w.stop()
        deadline = time.monotonic() + timeout
        ok = True
        for w in all_w:
            ok = w.join(max(0.0, deadline - time.monotonic())) and ok
        return ok
