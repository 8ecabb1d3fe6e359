"""The condition cache (latest object per key) and the waiter registry.

:class:`ObjectCache` keeps, per object key ``(resource, namespace, name)``, the
newest object seen by any watch or direct read, ordered by
``metadata.resourceVersion``: an older version never replaces a newer one,
and a deletion leaves a brief tombstone (``cachetools.TTLCache``) so a stale
ADDED cannot resurrect the object. Live objects are bounded by a
``cachetools.LRUCache``; every eviction bumps :attr:`ObjectCache.evictions`,
which the watch manager uses to know when "not in the cache" no longer
proves "does not exist".

:class:`WaiterRegistry` maps keys to the waiters interested in them, so an
event costs O(waiters of that object). A waiter registers *before* its first
check, and a wake-up is a ``put_nowait`` into its timer channel (capacity 1,
level-latched): an event between "check" and "sleep" is never lost.

Example::

    cache = ObjectCache(maxsize=1000)
    cache.apply(("pods", "default", "web-0"), {"metadata": {"resourceVersion": "7"}})
    cache.get(("pods", "default", "web-0"))   # the object
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple, Protocol, Union, cast

import cachetools

__all__ = [
    "Key",
    "ObjectCache",
    "ObjectKey",
    "Scope",
    "WaiterRegistry",
    "Wakeable",
    "as_key",
    "object_key",
    "rv_of",
]



class Scope(NamedTuple):
    """A resource in a namespace: ``Scope("pods", "default")``; namespace ``""``
    is all namespaces / cluster scope. Equal to the plain tuple."""

    resource: str
    namespace: str


class ObjectKey(NamedTuple):
    """One object: ``ObjectKey("pods", "default", "web-0")`` (resource key as in
    ``ResourceType.key``, namespace or ``""``, name). Equal to the plain tuple,
    so ``("pods", "default", "web-0")`` works wherever a key is taken."""

    resource: str
    namespace: str
    name: str

    @property
    def scope(self) -> Scope:
        """The resource and namespace this object belongs to."""
        return Scope(self.resource, self.namespace)


Key = tuple[str, str, str]
"""What methods taking a key accept: an :class:`ObjectKey` or the plain 3-tuple."""


def as_key(key: Key) -> ObjectKey:
    """``key`` as an :class:`ObjectKey` (a plain 3-tuple is accepted)."""
    return key if isinstance(key, ObjectKey) else ObjectKey(*key)

_MISSING = object()


def rv_of(obj: Mapping[str, Any] | None) -> int | None:
    """``metadata.resourceVersion`` as an int (None if absent or not numeric)."""
    if obj is None:
        return None
    meta = obj.get("metadata")
    if type(meta) is not dict and not isinstance(meta, Mapping):  # dict: no ABC check
        return None
    rv = meta.get("resourceVersion")
    try:
        return int(rv) if rv is not None else None
    except (TypeError, ValueError):
        return None


def object_key(resource: str, obj: Mapping[str, Any]) -> Key:
    """The cache key of ``obj`` (a served object of type ``resource``): an :class:`ObjectKey`."""
    meta = obj.get("metadata") or {}
    return ObjectKey(resource, str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _newer(new: int | None, old: int | None) -> bool:
    """True unless both versions are known and ``new`` is older than ``old``."""
    return new is None or old is None or new >= old


class _LRU(cachetools.LRUCache[ObjectKey, tuple[int | None, dict[str, Any]]]):
    def __init__(self, maxsize: int, on_evict: Callable[[Key], None]) -> None:
        super().__init__(maxsize=maxsize)
        self._on_evict = on_evict

    def popitem(self) -> tuple[ObjectKey, tuple[int | None, dict[str, Any]]]:
        key, value = super().popitem()
        self._on_evict(key)
        return key, value


class ObjectCache:
    """Latest object per key with its resourceVersion; thread-safe; size-bounded.

    ``maxsize`` live objects (LRU), deletions remembered ``tombstone_ttl``
    seconds (``timer`` drives that TTL, so a fake clock can step it).

    Example::

        c = ObjectCache(maxsize=10, tombstone_ttl=30)
        k = ("pods", "ns", "a")
        c.apply(k, {"metadata": {"name": "a", "resourceVersion": "5"}})
        c.apply_delete(k, 6)
        c.get(k)            # None (deleted)
    """

    def __init__(
        self,
        maxsize: int = 100_000,
        tombstone_ttl: float = 60.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"cache_size must be >= 1, got {maxsize}")
        self._lock = threading.Lock()
        self.evictions = 0
        self._live = _LRU(maxsize, self._evicted)
        self._tombs: cachetools.TTLCache[ObjectKey, int | None] = cachetools.TTLCache(
            maxsize=max(16, maxsize // 4), ttl=tombstone_ttl, timer=timer
        )
        # False until the first deletion is recorded: until then no key can have
        # a tombstone, and apply skips the TTL cache's lookup (it reads the
        # clock and expires entries on every call, once per watch event)
        self._had_tombs = False

    def _evicted(self, key: Key) -> None:
        self.evictions += 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._live)

    def apply(self, key: Key, obj: dict[str, Any]) -> bool:
        """Store ``obj`` unless the cache already knows a newer state; True if stored."""
        key = as_key(key)
        rv = rv_of(obj)
        with self._lock:
            tomb = self._tombs.get(key, _MISSING) if self._had_tombs else _MISSING
            if tomb is not _MISSING:
                if not _newer(rv, tomb) or rv == tomb:  # type: ignore[arg-type]
                    return False
                del self._tombs[key]
            cur = self._live.get(key)
            if cur is not None and not _newer(rv, cur[0]):
                return False
            if cur is not None and rv is not None and rv == cur[0]:
                self._live[key] = cur  # touch (LRU) but nothing changed
                return False
            self._live[key] = (rv, obj)
            return True

    def apply_delete(self, key: Key, rv: int | None) -> bool:
        """Record that ``key`` was deleted at ``rv``; True if it changed the cache."""
        key = as_key(key)
        with self._lock:
            cur = self._live.get(key)
            if cur is not None and rv is not None and cur[0] is not None and cur[0] > rv:
                return False  # a newer object (re-created) is already known
            changed = cur is not None
            if cur is not None:
                del self._live[key]
            old = self._tombs.get(key, _MISSING)
            if old is _MISSING or _newer(rv, old):  # type: ignore[arg-type]
                self._tombs[key] = rv
                self._had_tombs = True
            return changed

    def get(self, key: Key) -> dict[str, Any] | None:
        """The newest known object, or None (deleted, or never seen/evicted)."""
        key = as_key(key)
        with self._lock:
            cur = self._live.get(key)
            return None if cur is None else cur[1]

    def lookup(self, key: Key) -> tuple[bool, dict[str, Any] | None]:
        """``(known, obj)``: known is True when the cache holds the object or a
        tombstone for it; ``(False, None)`` means "ask someone else"."""
        key = as_key(key)
        with self._lock:
            cur = self._live.get(key)
            if cur is not None:
                return True, cur[1]
            return (key in self._tombs), None

    def keys_in(self, resource: str, namespace: str) -> list[Key]:
        """Live keys of one resource in one namespace (``""``: every namespace)."""
        with self._lock:
            return [
                k
                for k in self._live
                if k.resource == resource and (not namespace or k.namespace == namespace)
            ]


class Wakeable(Protocol):
    """A waiter the watcher can wake: ``kick()`` must be cheap and non-blocking."""

    def kick(self) -> None: ...


#: What the registry keeps per name: the one waiter, or a dict of several.
_Waiters = Union[Wakeable, "dict[Wakeable, None]"]


def _members(found: _Waiters | None) -> list[Wakeable]:
    if found is None:
        return []
    if type(found) is dict:
        return list(found)
    return [cast(Wakeable, found)]


class WaiterRegistry:
    """Which waiters care about which keys. ``wake(key)`` is O(waiters of key).

    Example::

        reg = WaiterRegistry()
        reg.add(("pods", "ns", "a"), waiter)
        reg.wake(("pods", "ns", "a"))       # waiter.kick()
        reg.remove(("pods", "ns", "a"), waiter)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # scope -> name -> its waiter, or a dict of them once there are several
        # (most names have one waiter: a dict each would cost ~230 B a wait)
        self._by_scope: dict[Scope, dict[str, _Waiters]] = {}

    def add(self, key: Key, waiter: Wakeable) -> None:
        """Register ``waiter`` for ``key`` (before its first check)."""
        key = as_key(key)
        with self._lock:
            names = self._by_scope.setdefault(key.scope, {})
            cur = names.get(key.name)
            if cur is None or cur is waiter:
                names[key.name] = waiter
            elif type(cur) is dict:
                cur[waiter] = None
            else:
                names[key.name] = {cast(Wakeable, cur): None, waiter: None}

    def remove(self, key: Key, waiter: Wakeable) -> None:
        """Unregister (idempotent)."""
        scope = cast(Scope, (key[0], key[1]))  # equal to the Scope key, cheaper to build
        with self._lock:
            names = self._by_scope.get(scope)
            if names is None:
                return
            cur = names.get(key[2])
            if cur is waiter:
                del names[key[2]]
            elif type(cur) is dict:
                cur.pop(waiter, None)
                if len(cur) == 1:
                    names[key[2]] = next(iter(cur))
                elif not cur:
                    del names[key[2]]
            if not names:
                del self._by_scope[scope]

    def wake(self, key: Key) -> int:
        """Kick every waiter of ``key``; returns how many."""
        key = as_key(key)
        with self._lock:
            names = self._by_scope.get(key.scope)
            waiters = _members(names.get(key.name)) if names else []
        for w in waiters:
            w.kick()
        return len(waiters)

    def wake_many(self, keys: Iterable[Key]) -> int:
        """Kick every waiter of any of ``keys`` once (one lock for the batch);
        returns how many waiters."""
        by_scope = self._by_scope
        with self._lock:
            waiters: dict[Wakeable, None] = {}
            for key in keys:  # a plain (resource, namespace) tuple finds a Scope
                names = by_scope.get(cast(Scope, (key[0], key[1])))
                if names:
                    found = names.get(key[2])
                    if found is None:
                        continue
                    if type(found) is dict:
                        waiters.update(found)
                    else:
                        waiters[cast(Wakeable, found)] = None
        for w in waiters:
            w.kick()
        return len(waiters)

    def wake_scope(self, resource: str, namespace: str) -> int:
        """Kick every waiter on objects of ``resource`` in ``namespace`` (``""``: all)."""
        with self._lock:
            waiters = [
                w
                for (res, ns), names in self._by_scope.items()
                if res == resource and (not namespace or ns == namespace)
                for ws in names.values()
                for w in _members(ws)
            ]
        for w in waiters:
            w.kick()
        return len(waiters)

    def names(self, resource: str, namespace: str) -> list[str]:
        """Names with waiters in one scope."""
        with self._lock:
            return list(self._by_scope.get(Scope(resource, namespace), {}))

    def scopes(self) -> Iterator[Scope]:
        """Every scope that has waiters (a snapshot)."""
        with self._lock:
            return iter(list(self._by_scope))
