"""The in-memory store: objects, one global revision counter and a bounded
event history, with etcd-like semantics.

Every write takes the next revision (strictly increasing, never reused), which
becomes the object's ``metadata.resourceVersion``, and appends exactly one
event to a fixed-size ring. A watch resumes from revision N by reading the
ring after N; once N has fallen out of the ring (or :meth:`Store.compact` ran)
it is *expired* (HTTP 410). Watchers are woken per resource with a
``threading.Event`` each: fan-out of one write costs one flag per watcher of
that resource, and the event's JSON line is encoded once and shared.

Example::

    store = Store(history=100)
    with store.lock:
        ev = store.write("/configmaps", "default", "c", {"metadata": {}}, "ADDED")
    ev.rv == store.revision          # True
"""

from __future__ import annotations

import copy
import json
import marshal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

_T = TypeVar("_T")


@dataclass(eq=False)
class Event:
    """One stored change. ``obj`` is never mutated once the event exists."""

    rv: int
    type: str
    key: str
    namespace: str
    name: str
    obj: dict[str, Any]
    prev: dict[str, Any] | None
    _json: bytes | None = field(default=None, repr=False)
    _line: bytes | None = field(default=None, repr=False)

    def json(self) -> bytes:
        """The object's compact JSON (encoded once, shared by the watch line and
        every GET, LIST and write response that returns this revision)."""
        data = self._json
        if data is None:
            data = encode(self.obj)
            self._json = data
        return data

    def line(self) -> bytes:
        """The watch-stream line ``{"type":..., "object":...}\\n`` (built once
        around :meth:`json`)."""
        line = self._line
        if line is None:
            line = b'{"type":%b,"object":%b}\n' % (_TYPE_JSON.get(self.type)
                                                    or encode(self.type), self.json())
            self._line = line
        return line


def clone(obj: _T) -> _T:
    """A deep copy of a JSON-like value (dicts, lists, strings, numbers, booleans,
    None), three times as fast as :func:`copy.deepcopy` on a Pod through
    :mod:`marshal`'s C code; anything else falls back to ``deepcopy``.

    Example::

        c = clone({"a": [1, {"b": None}]}); c["a"][1]["b"] = 2   # the original is untouched
    """
    try:
        # Safe: bytes this process just produced, never input from outside.
        data = marshal.dumps(obj)  # type: ignore[arg-type]  # ValueError if not marshal-able
        copied: _T = marshal.loads(data)  # noqa: S302
        return copied
    except ValueError:  # not marshal-able (a dict subclass, an object)
        return copy.deepcopy(obj)


def encode(value: Any) -> bytes:
    """``value`` as compact JSON bytes (the encoding of every body the server sends).

    Example::

        encode({"a": [1, None]})   # b'{"a":[1,null]}'
    """
    return json.dumps(value, separators=(",", ":")).encode()


_TYPE_JSON = {t: encode(t) for t in ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")}


def encode_event(type_: str, obj: dict[str, Any]) -> bytes:
    """Encode one watch event as a JSON line."""
    return json.dumps({"type": type_, "object": obj}, separators=(",", ":")).encode() + b"\n"


class Watcher:
    """A registration for events on one resource key. The store calls
    :meth:`offer` for every event of that key while holding its lock; the
    default just wakes the stream thread (the stream logic, including direct
    delivery, lives in :mod:`hybridwait.testing.apiserver.watch`)."""

    __slots__ = ("key", "offer", "signals", "wake")

    def __init__(self, key: str, offer: Callable[[Event], None] | None = None) -> None:
        self.key = key
        self.wake = threading.Event()
        self.signals: list[str] = []  # fault signals: "drop", "malformed"
        self.offer: Callable[[Event], None] = offer or (lambda _ev: self.notify())

    def notify(self) -> None:
        """Wake the stream thread (cheap when it is already awake)."""
        if not self.wake.is_set():
            self.wake.set()


class Store:
    """Objects by resource key and (namespace, name), a global revision and a
    ring of the last ``history`` events. Callers hold :attr:`lock` across a
    read-modify-write so no half-made change is ever visible.

    Example::

        with store.lock:
            obj = store.get("/pods", "default", "web")
    """

    def __init__(self, history: int = 10_000) -> None:
        if history < 1:
            raise ValueError("history must be >= 1")
        self.lock = threading.RLock()
        self._cap = history
        self._ring: list[Event | None] = [None] * history
        self._rv = 1
        self._oldest = 2  # oldest revision still in the ring
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._watchers: dict[str, set[Watcher]] = {}

    @property
    def revision(self) -> int:
        """The current (last written) revision."""
        return self._rv

    # -- reads -------------------------------------------------------------
    def get(self, key: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored object or None (do not mutate it)."""
        return self._objects.get(key, {}).get((namespace, name))

    def items(self, key: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects of ``key`` (in ``namespace`` if given) sorted by (namespace, name)."""
        objs = self._objects.get(key, {})
        keys = sorted(k for k in objs if namespace is None or k[0] == namespace)
        return [objs[k] for k in keys]

    def count(self, key: str, namespace: str | None = None) -> int:
        """How many objects of ``key`` exist (in ``namespace`` if given)."""
        objs = self._objects.get(key, {})
        if namespace is None:
            return len(objs)
        return sum(1 for k in objs if k[0] == namespace)

    def keys(self) -> list[str]:
        """Every resource key holding objects."""
        return [k for k, v in self._objects.items() if v]

    # -- writes (hold self.lock) --------------------------------------------
    def write(self, key: str, namespace: str, name: str, obj: dict[str, Any],
              type_: str) -> Event:
        """Store (or, for ``DELETED``, remove) ``obj`` at the next revision.

        ``obj`` must be a fresh dict: its ``metadata.resourceVersion`` is set here
        and it is never modified afterwards.
        """
        self._rv += 1
        rv = self._rv
        obj.setdefault("metadata", {})["resourceVersion"] = str(rv)
        bucket = self._objects.setdefault(key, {})
        prev = bucket.get((namespace, name))
        if type_ == "DELETED":
            bucket.pop((namespace, name), None)
        else:
            bucket[(namespace, name)] = obj
        ev = Event(rv, type_, key, namespace, name, obj, prev)
        self._ring[rv % self._cap] = ev
        if rv - self._cap >= self._oldest:
            self._oldest = rv - self._cap + 1
        for w in self._watchers.get(key, ()):
            w.offer(ev)
        return ev

    def drop_key(self, key: str) -> None:
        """Forget every object of ``key`` without events (used after they were deleted)."""
        self._objects.pop(key, None)

    def encoded(self, obj: dict[str, Any]) -> bytes:
        """The compact JSON of ``obj``: a stored revision still in the history is
        encoded once and its bytes reused (by identity: the event's own object);
        anything else is encoded now.

        Example::

            store.encoded(store.get("/pods", "default", "web"))   # b'{"kind":"Pod",...'
        """
        meta = obj.get("metadata")
        rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
        if isinstance(rv, str) and rv.isdigit():
            ev = self._ring[int(rv) % self._cap]
            if ev is not None and ev.obj is obj:
                return ev.json()
        return encode(obj)

    # -- history -----------------------------------------------------------
    def events_since(self, rv: int) -> list[Event] | None:
        """Events with revision > ``rv``, or None if some of them were compacted.

        The events are contiguous: the last one's ``rv`` is the current revision.
        """
        with self.lock:
            cur = self._rv
            if rv + 1 < self._oldest:
                return None
            if rv >= cur:
                return []
            ring, cap = self._ring, self._cap
            out: list[Event] = []
            for r in range(rv + 1, cur + 1):
                ev = ring[r % cap]
                if ev is not None:
                    out.append(ev)
            return out

    def oldest_resumable(self) -> int:
        """The oldest revision a watch can resume from."""
        return self._oldest - 1

    def compact(self) -> None:
        """Forget all history: any resume from an older revision gets 410."""
        with self.lock:
            self._ring = [None] * self._cap
            self._oldest = self._rv + 1

    def reset(self, jump: int = 1000) -> None:
        """Empty the store; revisions jump ahead by ``jump`` (never reused)."""
        with self.lock:
            self._objects.clear()
            self._rv += jump
            self._ring = [None] * self._cap
            self._oldest = self._rv + 1
            self.notify_all()

    # -- watchers ------------------------------------------------------------
    def add_watcher(self, w: Watcher) -> None:
        """Register ``w`` for wake-ups on its key."""
        with self.lock:
            self._watchers.setdefault(w.key, set()).add(w)

    def remove_watcher(self, w: Watcher) -> None:
        """Unregister ``w``."""
        with self.lock:
            ws = self._watchers.get(w.key)
            if ws is not None:
                ws.discard(w)
                if not ws:
                    del self._watchers[w.key]

    def watchers(self) -> list[Watcher]:
        """Every registered watcher."""
        with self.lock:
            return [w for ws in self._watchers.values() for w in ws]

    def signal_all(self, signal: str) -> int:
        """Queue ``signal`` on every watcher and wake it; return how many."""
        ws = self.watchers()
        for w in ws:
            w.signals.append(signal)
            w.wake.set()
        return len(ws)

    def notify_all(self) -> None:
        """Wake every watcher (after a fault changed)."""
        for w in self.watchers():
            w.wake.set()
