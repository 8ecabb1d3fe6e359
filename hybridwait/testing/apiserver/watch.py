"""One watch stream: initial events, history replay, live events, bookmarks,
``timeoutSeconds``, selector transitions and the watch faults.

Fan-out is cheap: while a stream is caught up and idle, the writer that stores
an event sends the stream's chunk itself (a non-blocking ``send`` on the
stream's socket, under the stream's lock), so a write costs one syscall per
watcher and no thread hand-off. When that cannot be done (the socket buffer is
full, a fault is active, the stream thread is busy) the writer only wakes the
stream thread, which catches up from the store's bounded history: there is no
per-stream queue, so a slow client can only fall behind that history (and then
gets 410, as from a real API server's watch cache).

Example::

    stream = WatchStream(ctx, rt, "v1", "default", LabelSelector(), FieldSelector(),
                         resource_version="0", bookmarks=True, timeout=30)
    opening, cursor = stream.start()
    stream.run(sink, opening, cursor)     # sink.send(bytes) writes one chunk
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from hybridwait.testing.apiserver.errors import status_body
from hybridwait.testing.apiserver.faults import Faults
from hybridwait.testing.apiserver.resources import ResourceType
from hybridwait.testing.apiserver.selectors import FieldSelector, LabelSelector
from hybridwait.testing.apiserver.store import Event, Store, Watcher, encode_event
from hybridwait.testing.apiserver.tables import WatchRender

# How long a stall fault's loop sleeps between checks of its signals.
LIVENESS_INTERVAL = 2.0
MALFORMED_LINE = b"this is not json {\n"


class Sink(Protocol):
    """Where a stream writes (chunked framing is the sink's business)."""

    def send(self, data: bytes) -> None:
        """Write one chunk, blocking (raises ``OSError`` when the client is gone)."""

    def send_nowait(self, data: bytes) -> bytes:
        """Write one chunk without blocking; return the unsent tail of the frame."""

    def send_rest(self, tail: bytes) -> None:
        """Finish a frame :meth:`send_nowait` left incomplete (blocking)."""

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
                 send_initial_events: bool = False, render: WatchRender | None = None) -> None:
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
        self.render = render  # Table / PartialObjectMetadata events (None: the objects)
        self._filtered = bool(labels.requirements or fields.requirements)
        self._key = rt.key
        # Every event goes out as the store encoded it (no selector, no Table).
        self._plain = render is None and not self._filtered
        self.watcher = Watcher(self._key, self._offer)
        self._stopping = ctx.stopping  # this server generation's flag
        self._lock = threading.Lock()
        self._sink: Sink | None = None
        self._cursor = 0
        self._direct = False  # writers may send to the socket themselves
        self._pending = b""   # unsent tail of a frame a writer started
        self._broken = False
        self._gone = False    # the client closed its connection (peer_gone)

    # -- filtering ---------------------------------------------------------------
    def _matches(self, obj: dict[str, Any]) -> bool:
        return self.labels.matches(obj) and self.fields.matches(obj)

    def _line(self, ev: Event) -> bytes | None:
        """The line this stream sends for ``ev`` (None: not for this stream)."""
        if ev.key != self._key:
            return None
        if self.namespace is not None and ev.namespace != self.namespace:
            return None
        if self._plain and ev.obj.get("apiVersion") == self.api_version:
            return ev.line()  # the fan-out's common case, once per watcher per event
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
        if (self.render is None and type_ == ev.type
                and ev.obj.get("apiVersion") == self.api_version):
            return ev.line()
        return encode_event(type_, self._as_served(ev.obj))

    def _as_served(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("apiVersion") != self.api_version:
            obj = {**obj, "apiVersion": self.api_version}
        return obj if self.render is None else self.render.render(obj)

    def _bookmark(self, rv: int, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": self.rt.kind, "apiVersion": self.api_version, "metadata": meta}
        if self.render is not None:
            obj = self.render.render(obj, bookmark=True)
        return encode_event("BOOKMARK", obj)

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

    def peer_gone(self) -> None:
        """The client closed its connection: end the stream at once (called by
        the server's one :class:`~hybridwait.testing.apiserver.peers.PeerMonitor`
        thread, so an idle stream needs no periodic check)."""
        self._gone = True
        self.watcher.notify()

    def stopped(self) -> bool:
        """True once the server generation that opened this stream is stopping."""
        return self._stopping.is_set()

    def _offer(self, ev: Event) -> None:
        """Called by the store for each event of our key (store lock held)."""
        w = self.watcher
        if not self._direct or not self._lock.acquire(blocking=False):
            w.notify()
            return
        try:
            if (not self._direct or self._cursor != ev.rv - 1 or w.signals
                    or self._sink is None or self.ctx.faults.stall_remaining() > 0):
                self._direct = False
                w.notify()
                return
            self._cursor = ev.rv
            line = self._line(ev)
            if line is None:
                return
            try:
                rest = self._sink.send_nowait(line)
            except OSError:
                self._broken = True
                rest = b""
            if rest or self._broken:
                self._pending = rest
                self._direct = False
                w.notify()
        finally:
            self._lock.release()

    def run(self, sink: Sink, opening: list[bytes], cursor: int | None) -> None:
        """Stream until timeout, server stop, client gone or a fault ends it.

        Returns normally for a clean end; raises :class:`DropStream` to cut.
        """
        ctx = self.ctx
        try:
            self._stall()
            if opening:
                sink.send(b"".join(opening))
            if cursor is None:
                return
            self._sink = sink
            self._cursor = cursor
            now = time.monotonic()
            deadline = now + self.timeout if self.timeout else None
            next_bookmark = now + ctx.bookmark_interval if self.bookmarks else None
            wake = self.watcher.wake
            while not self._stopping.is_set() and not self._gone:
                wake.clear()
                with self._lock:
                    self._direct = False
                    self._signals(sink)
                self._stall()
                with self._lock:
                    if self._broken:
                        raise OSError("client went away")
                    if self._pending:
                        sink.send_rest(self._pending)
                        self._pending = b""
                    events = ctx.store.events_since(self._cursor)
                    if events is None:
                        sink.send(self._expired(self._cursor, ctx.store.oldest_resumable()))
                        return
                    if events:
                        self._cursor = events[-1].rv
                        out = [line for line in map(self._line, events) if line is not None]
                        if out:
                            sink.send(b"".join(out))
                    now = time.monotonic()
                    if next_bookmark is not None and now >= next_bookmark:
                        sink.send(self._bookmark(max(self._cursor, 1)))
                        next_bookmark = now + ctx.bookmark_interval
                    if deadline is not None and now >= deadline:
                        return
                    self._direct = not self.watcher.signals
                if self._gone:
                    return
                wait_until = min((t for t in (deadline, next_bookmark) if t is not None),
                                 default=None)
                wake.wait(None if wait_until is None else max(0.0, wait_until - now))
        finally:
            with self._lock:
                self._direct = False
                self._sink = None
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

    def _stall(self) -> None:
        """Send nothing while a stall fault lasts (signals still apply)."""
        ctx = self.ctx
        while not self._stopping.is_set() and not self._gone:
            left = ctx.faults.stall_remaining()
            if left <= 0:
                return
            if "drop" in self.watcher.signals:
                raise DropStream()
            self.watcher.wake.wait(min(left, LIVENESS_INTERVAL))
            self.watcher.wake.clear()
