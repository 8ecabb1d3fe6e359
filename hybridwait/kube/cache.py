"""The condition cache (latest object per key) and the waiter registry.

:class:`ObjectCache` keeps, per object key ``(resource, namespace, name)``, the
newest object seen by any watch or direct read, ordered by
``metadata.resourceVersion``: an older version never replaces a newer one,
and a deletion leaves a brief tombstone (``cachetools.TTLCache``) so a stale
ADDED cannot resurrect the object. Live objects are bounded by a
``cachetools.LRUCache``; every eviction bumps :attr:`ObjectCache.evictions`,
which the watch manager uses to know when "not in the cache" no longer
proves "does not exist".

Objects are kept **packed**: a plain ``dict`` is stored as one compact
``bytes`` value (orjson when installed, else the standard library's
``marshal``) and decoded again by :meth:`ObjectCache.get`. A decoded pod is
dozens of dicts and lists the garbage collector must traverse on every full
collection; a packed one is a single object it never looks at, and about 4x
smaller (docs/benchmarks.md, "Cache memory per pod"). So every reader gets its own
copy, which it may change freely. What cannot be packed (a dict subclass, a
value JSON has no form for) is kept as given, and ``get`` returns that very
object.

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

import marshal
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
    "key_in",
    "pack",
    "rv_of",
    "unpack",
    "version",
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

_pack: Callable[[Any], bytes]
_unpack: Callable[[bytes], Any]
try:
    from orjson import dumps as _orjson_dumps
    from orjson import loads as _unpack

    def _pack(obj: Any) -> bytes:
        # orjson's bytes keep its growing buffer's capacity (measured with
        # orjson 3.8: 1 KiB for a 124 B object, 16 KiB for 5 KB): a copy of
        # exactly the bytes written (~0.2 µs) is what the cache keeps
        return memoryview(_orjson_dumps(obj)).tobytes()

except ImportError:  # pragma: no cover - the test extra installs orjson
    _pack, _unpack = marshal.dumps, marshal.loads


def pack(obj: bytes | dict[str, Any]) -> bytes | dict[str, Any]:
    """``obj`` in the cache's stored form: compact bytes for a plain ``dict``
    of JSON values; ``obj`` itself for a dict subclass, a value the packer
    refuses (a non-string key, an integer beyond 64 bits, a set), or what is
    packed already.

    Example::

        pack({"a": [1]})     # b'{"a":[1]}' with orjson
        unpack(pack({"a": [1]}))   # {'a': [1]}, a new dict
    """
    if type(obj) is not dict:
        return obj
    try:
        return _pack(obj)
    except (TypeError, ValueError):
        return obj


def unpack(stored: bytes | dict[str, Any]) -> dict[str, Any]:
    """The object :func:`pack` stored: a new dict for bytes, else the object."""
    if type(stored) is bytes:
        return cast(dict[str, Any], _unpack(stored))
    return cast(dict[str, Any], stored)


def rv_of(obj: Mapping[str, Any] | None) -> int | None:
    """``metadata.resourceVersion`` as an int (None if absent or not numeric)."""
    if obj is None:
        return None
    meta = obj.get("metadata")
    if type(meta) is not dict and not isinstance(meta, Mapping):  # dict: no ABC check
        return None
    return version(meta.get("resourceVersion"))


def version(rv: object) -> int | None:
    """A ``resourceVersion`` value as an int (None if absent or not numeric).

    Example::

        version("42")   # 42
        version("")     # None
    """
    try:
        return int(rv) if rv is not None else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def key_in(resource: str, meta: Mapping[str, Any]) -> ObjectKey:
    """The cache key of an object of type ``resource`` whose ``metadata`` is ``meta``.

    Example::

        key_in("pods", {"name": "a", "namespace": "ns"})   # ObjectKey('pods', 'ns', 'a')
    """
    return ObjectKey(resource, str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _newer(new: int | None, old: int | None) -> bool:
    """True unless both versions are known and ``new`` is older than ``old``."""
    return new is None or old is None or new >= old


_Stored = tuple[int | None, bytes | dict[str, Any]]


class _LRU(cachetools.LRUCache[ObjectKey, _Stored]):
    def __init__(self, maxsize: int, on_evict: Callable[[Key], None]) -> None:
        super().__init__(maxsize=maxsize)
        self._on_evict = on_evict

    def popitem(self) -> tuple[ObjectKey, _Stored]:
        key, value = super().popitem()
        self._on_evict(key)
        return key, value


class ObjectCache:
    """Latest object per key with its resourceVersion; thread-safe; size-bounded.

    Objects are stored packed (see the module's text): :meth:`get` and
    :meth:`lookup` return a new dict on every call. ``maxsize`` live objects
    (LRU), deletions remembered ``tombstone_ttl`` seconds (``timer`` drives
    that TTL, so a fake clock can step it).

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
        return self.store(as_key(key), rv_of(obj), obj)

    def store(self, key: ObjectKey, rv: int | None, obj: bytes | dict[str, Any]) -> bool:
        """:meth:`apply` for a caller that has already read ``obj``'s key and
        resourceVersion (``rv_of(obj)``): the watcher, once per event. ``obj``
        may be packed already (:func:`pack`: a LIST's items as their page came).

        Example::

            cache.store(ObjectKey("pods", "ns", "a"), 7, {"metadata": {"resourceVersion": "7"}})
        """
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
            self._live[key] = (rv, pack(obj))
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
        """The newest known object (a new copy), or None (deleted, or never seen/evicted)."""
        key = as_key(key)
        with self._lock:
            cur = self._live.get(key)
        return None if cur is None else unpack(cur[1])

    def lookup(self, key: Key) -> tuple[bool, dict[str, Any] | None]:
        """``(known, obj)``: known is True when the cache holds the object or a
        tombstone for it; ``(False, None)`` means "ask someone else"."""
        known, stored = self.peek(key)
        return known, None if stored is None else unpack(stored)

    def peek(self, key: Key) -> tuple[bool, bytes | dict[str, Any] | None]:
        """:meth:`lookup` without decoding: the object in its stored form
        (see :func:`pack`; :func:`unpack` gives the object). A wait keeps this
        form of what it last saw, which costs nothing while the cache holds it.

        Example::

            known, stored = cache.peek(("pods", "default", "web-0"))
            obj = unpack(stored) if stored is not None else None
        """
        key = as_key(key)
        with self._lock:
            cur = self._live.get(key)
            if cur is None:
                return (key in self._tombs), None
        return True, cur[1]

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
