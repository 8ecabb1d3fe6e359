"""One watch stream: initial events, history replay, live events, bookmarks,
``timeoutSeconds``, selector transitions and the watch faults.

The stream thread sleeps on its :class:`~.store.Watcher`'s event and, when
woken, copies the new events from the store's ring; it owns no queue, so a
slow client can only fall behind the bounded history (and then gets 410, as a
real API server's watch cache does).

Example::

    stream = WatchStream(ctx, rt, "v1", "default", LabelSelector(), FieldSelector(),
                         resource_version="0", bookmarks=True, timeout=30)
    stream.run(sink)       # sink.send(bytes) writes one chunk
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hybridwait.testing.apiserver.errors import status_body
from hybridwait.testing.apiserver.faults import Faults
from hybridwait.testing.apiserver.resources import ResourceType
from hybridwait.testing.apiserver.selectors import FieldSelector, LabelSelector
from hybridwait.testing.apiserver.store import Event, Store, Watcher, encode_event

# Idle streams check this often whether their client went away.
LIVENESS_INTERVAL = 2.0
MALFORMED_LINE = b"this is not json {\n"


class Sink(Protocol):
    """Where a stream writes."""

    def send(self, data: bytes) -> None:
        """Write one chunk (raises ``OSError`` when the client is gone)."""

    def peer_closed(self) -> bool:
        """True if the client has closed its side."""


class DropStream(Exception):
    """Raised to cut the connection abruptly (fault ``drop_watches``)."""


@dataclass
class WatchContext:
    """What every stream of one server shares."""

    store: Store
    faults: Faults
    stopping: threading.Event
    bookmark_interval: float


class WatchStream:
    """Serve one watch request to completion (see module docstring)."""

    def __init__(self, ctx: WatchContext, rt: ResourceType, version: str,
                 namespace: str | None, labels: LabelSelector, fields: FieldSelector,
                 *, resource_version: str, bookmarks: bool, timeout: float | None,
                 send_initial_events: bool = False) -> None:
        self.ctx = ctx
        self.rt = rt
        self.api_version = rt.api_version(version)
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.resource_version = resource_version
        self.bookmarks = bookmarks
        self.timeout = timeout
        self.send_initial_events = send_initial_events
        self._filtered = bool(labels.requirements or fields.requirements)
        self.watcher = Watcher(rt.key)

    # -- filtering ---------------------------------------------------------------
    def _matches(self, obj: dict[str, Any]) -> bool:
        return self.labels.matches(obj) and self.fields.matches(obj)

    def _line(self, ev: Event) -> bytes | None:
        """The line this stream sends for ``ev`` (None: not for this stream)."""
        if ev.key != self.rt.key:
            return None
        if self.namespace is not None and ev.namespace != self.namespace:
            return None
        type_ = ev.type
        if self._filtered:
            now = self._matches(ev.obj)
            if type_ == "MODIFIED":
                before = ev.prev is not None and self._matches(ev.prev)
                if now and not before:
                    type_ = "ADDED"
                elif before and not now:
                    type_ = "DELETED"
                elif not now:
                    return None
            elif not now:
                return None
        if type_ == ev.type and ev.obj.get("apiVersion") == self.api_version:
            return ev.line()
        return encode_event(type_, self._as_served(ev.obj))

    def _as_served(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("apiVersion") == self.api_version:
            return obj
        return {**obj, "apiVersion": self.api_version}

    def _bookmark(self, rv: int, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return encode_event("BOOKMARK", {"kind": self.rt.kind, "apiVersion": self.api_version,
                                         "metadata": meta})

    @staticmethod
    def _expired(rv: int, oldest: int) -> bytes:
        return encode_event("ERROR", status_body(
            410, "Expired", f"too old resource version: {rv} ({oldest})"))

    # -- the loop ------------------------------------------------------------------
    def start(self) -> tuple[list[bytes], int | None]:
        """Register and compute the opening lines and cursor (None: expired)."""
        store = self.ctx.store
        store.add_watcher(self.watcher)
        with store.lock:
            rv_text = self.resource_version
            if rv_text in ("", "0") or self.send_initial_events:
                cursor = store.revision
                name = self.fields.exact_name()
                if name is not None and self.namespace is not None:
                    one = store.get(self.rt.key, self.namespace, name)
                    objs = [one] if one is not None else []
                else:
                    objs = store.items(self.rt.key, self.namespace)
                lines = [encode_event("ADDED", self._as_served(o))
                         for o in objs if self._matches(o)]
                if self.send_initial_events and self.bookmarks:
                    lines.append(self._bookmark(cursor, initial_end=True))
                return lines, cursor
            cursor = int(rv_text)
            if cursor < store.oldest_resumable():
                return [self._expired(cursor, store.oldest_resumable())], None
            return [], cursor

    def run(self, sink: Sink, opening: list[bytes], cursor: int | None,
            on_tick: Callable[[], None] | None = None) -> None:
        """Stream until timeout, server stop, client gone or a fault ends it.

        Returns normally for a clean end; raises :class:`DropStream` to cut.
        """
        ctx = self.ctx
        try:
            self._stall(sink)
            if opening:
                sink.send(b"".join(opening))
            if cursor is None:
                return
            now = time.monotonic()
            deadline = now + self.timeout if self.timeout else None
            next_bookmark = now + ctx.bookmark_interval if self.bookmarks else None
            last_check = now
            wake = self.watcher.wake
            while not ctx.stopping.is_set():
                wake.clear()
                self._signals(sink)
                self._stall(sink)
                events = ctx.store.events_since(cursor)
                if events is None:
                    sink.send(self._expired(cursor, ctx.store.oldest_resumable()))
                    return
                if events:
                    cursor = events[-1].rv
                    out = [line for line in map(self._line, events) if line is not None]
                    if out:
                        sink.send(b"".join(out))
                now = time.monotonic()
                if next_bookmark is not None and now >= next_bookmark:
                    sink.send(self._bookmark(max(cursor, 1)))
                    next_bookmark = now + ctx.bookmark_interval
                if deadline is not None and now >= deadline:
                    return
                if now - last_check >= LIVENESS_INTERVAL:
                    last_check = now
                    if sink.peer_closed():
                        return
                wait_until = now + LIVENESS_INTERVAL
                for t in (deadline, next_bookmark):
                    if t is not None:
                        wait_until = min(wait_until, t)
                wake.wait(max(0.0, wait_until - now))
                if on_tick is not None:
                    on_tick()
        finally:
            ctx.store.remove_watcher(self.watcher)

    def _signals(self, sink: Sink) -> None:
        sigs = self.watcher.signals
        while sigs:
            sig = sigs[0]
            if sig == "drop":
                raise DropStream()
            if sig == "malformed":
                sink.send(MALFORMED_LINE)
            sigs.pop(0)

    def _stall(self, sink: Sink) -> None:
        """Send nothing while a stall fault lasts (signals still apply)."""
        ctx = self.ctx
        while not ctx.stopping.is_set():
            left = ctx.faults.stall_remaining()
            if left <= 0:
                return
            if "drop" in self.watcher.signals:
                raise DropStream()
            self.watcher.wake.wait(min(left, LIVENESS_INTERVAL))
            self.watcher.wake.clear()
