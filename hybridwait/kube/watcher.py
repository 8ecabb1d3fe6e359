"""One shared watch: list, then watch from the list's resourceVersion, for ever.

A :class:`Watcher` owns one thread and one HTTP stream. It feeds every event
into the shared :class:`~hybridwait.kube.cache.ObjectCache` and wakes only the
waiters of the object an event touched. Its behaviour is a small state
machine in the style of client-go's Reflector: every outcome of a LIST or a
watch stream maps to exactly one action, in :data:`TRANSITIONS`:

* ``listed``: watch from the list's resourceVersion, at once;
* ``list_failed``: list again after a backoff;
* ``list_throttled`` (429/5xx): list again after ``Retry-After`` (else a backoff);
* ``ended`` (the server's timeout): re-watch from the last resourceVersion, at once;
* ``expired`` (410, HTTP or ERROR event): relist, at once;
* ``forbidden`` (403 on watch): re-watch after a backoff; waiters poll the API meanwhile;
* ``throttled`` (429/5xx on watch): re-watch after ``Retry-After`` (else a backoff);
* ``refused`` (cannot connect, other HTTP errors): re-watch after a backoff;
* ``broken`` (connection dropped, malformed line): re-watch from the last
  resourceVersion, at once;
* ``short`` (ended or broke within 1 s with no event, client-go's "very short
  watch"): re-watch after a backoff;
* ``stalled`` (no byte for ``stall_timeout``): re-watch at once (the silence was the wait);
* ``stop``: end the thread.

The backoff is client-go's reflector backoff built on the core's
:class:`~hybridwait.Backoff`: 0.8 s doubling to a 30 s cap, jitter 1.0,
back to 0.8 s after 2 minutes without failure. A stream that delivers no
byte (bookmarks included) for ``stall_timeout`` seconds is ``stalled``.
The server-side ``timeoutSeconds`` is randomized in [5, 10) minutes like
client-go, and bookmarks are requested.

The cache is *trusted* for an object (``healthy``) only while the stream is
open after a completed LIST; otherwise waiters read the API directly.
``stop()`` ends the thread promptly, even while it is blocked in a read (the
socket is shut down under it).

Example::

    w = Watcher(transport, rtype, "default", "web-0", cache, registry, stats)
    w.start(); ...; w.stop(); w.join(2)
"""

from __future__ import annotations

import enum
import json
import logging
import random
import socket
import threading
from collections.abc import Callable
from typing import Any

from hybridwait.core import Backoff, Clock, RealClock, with_cancel
from hybridwait.core import background as _background
from hybridwait.core.waitable import wait_any
from hybridwait.kube.cache import Key, ObjectCache, WaiterRegistry, object_key, rv_of
from hybridwait.kube.errors import ApiError, ConnectionFailed
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.stats import Stats
from hybridwait.kube.transport import Transport

__all__ = ["TRANSITIONS", "Outcome", "State", "Watcher"]

log = logging.getLogger("hybridwait.kube.watcher")

MIN_WATCH_TIMEOUT = 300.0  # client-go's minWatchTimeout (5 min)
LIST_PAGE = 500
SHORT_WATCH = 1.0  # client-go: a watch ending this fast with no event is an error
#: Longest watch line accepted (etcd's object limit is 1.5 MiB): a longer one
#: means a broken or hostile stream; it is dropped (``refused``: back off).
MAX_LINE = 16 * 1024 * 1024


class State(enum.Enum):
    """Where the watcher is."""

    STARTING = "starting"
    LISTING = "listing"
    WATCHING = "watching"
    BACKOFF = "backoff"
    STOPPED = "stopped"


class Outcome(enum.Enum):
    """How one LIST or one watch stream ended."""

    LISTED = "listed"
    LIST_FAILED = "list_failed"
    LIST_THROTTLED = "list_throttled"
    ENDED = "ended"
    EXPIRED = "expired"
    FORBIDDEN = "forbidden"
    THROTTLED = "throttled"
    REFUSED = "refused"
    BROKEN = "broken"
    SHORT = "short"
    STALLED = "stalled"
    STOP = "stop"


# outcome -> (next request: "list" | "watch" | "stop", delay: "none" | "backoff" | "retry_after",
#             cache still trusted meanwhile?)
TRANSITIONS: dict[Outcome, tuple[str, str, bool]] = {
    Outcome.LISTED: ("watch", "none", True),
    Outcome.LIST_FAILED: ("list", "backoff", False),
    Outcome.LIST_THROTTLED: ("list", "retry_after", False),
    Outcome.ENDED: ("watch", "none", True),
    Outcome.EXPIRED: ("list", "none", False),
    Outcome.FORBIDDEN: ("watch", "backoff", False),
    Outcome.THROTTLED: ("watch", "retry_after", False),
    Outcome.REFUSED: ("watch", "backoff", False),
    Outcome.BROKEN: ("watch", "none", False),
    Outcome.SHORT: ("watch", "backoff", False),
    Outcome.STALLED: ("watch", "none", False),
    Outcome.STOP: ("stop", "none", False),
}


def _api_outcome(exc: ApiError, listing: bool) -> Outcome:
    if exc.status == 410:
        return Outcome.EXPIRED
    if exc.status == 429 or exc.status >= 500:
        return Outcome.LIST_THROTTLED if listing else Outcome.THROTTLED
    if exc.status == 403 and not listing:
        return Outcome.FORBIDDEN
    return Outcome.LIST_FAILED if listing else Outcome.REFUSED


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
    ) -> None:
        self.transport = transport
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
        self._ever_synced = False
        self._failed = False
        self._epoch = -1
        self.state = State.STARTING
        self.last_outcome: Outcome | None = None
        self._lists = 0
        self._watches = 0
        self._retry_after: float | None = None
        self._lines = 0
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
        return (
            key[0] == self.rtype.key
            and (not self.namespace or key[1] == self.namespace)
            and (self.name is None or key[2] == self.name)
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
        return self._thread.is_alive()

    # -- the state machine ---------------------------------------------------------
    def _stopping(self) -> bool:
        return self._ctx.err() is not None

    def _run(self) -> None:
        action = "list"
        try:
            while not self._stopping():
                if action == "list":
                    self.state = State.LISTING
                    outcome = self._list()
                else:
                    outcome = self._watch()
                if self._stopping():
                    break
                action, delay, trusted = TRANSITIONS[outcome]
                self.last_outcome = outcome
                if outcome is not Outcome.LISTED:
                    log.debug("%r: %s -> %s (%s)", self, outcome.value, action, delay)
                if not trusted:
                    self._set_unhealthy()
                if action == "stop":
                    break
                if delay != "none":
                    self._sleep(delay)
        except Exception:  # a bug must not kill waiters silently: they fall back to polling
            log.exception("%r crashed; waits on it fall back to polling", self)
        finally:
            self.state = State.STOPPED
            self._set_unhealthy()

    def _set_unhealthy(self) -> None:
        was = self._healthy
        self._healthy = False
        if not self._ever_synced:
            self._failed = True
        if was or not self._ever_synced:
            self._wake_scope()  # let waiters switch to reading the API now

    def _wake_scope(self) -> None:
        if self.name is not None:
            self.registry.wake((self.rtype.key, self.namespace, self.name))
        else:
            self.registry.wake_scope(self.rtype.key, self.namespace)

    def _sleep(self, kind: str) -> None:
        self.state = State.BACKOFF
        d = self._delay()
        if kind == "retry_after" and self._retry_after is not None:
            d = min(max(self._retry_after, 0.0), 30.0)
        timer = self.clock.new_timer(d)
        try:
            wait_any([self._ctx.done(), timer.c])
        finally:
            timer.stop()

    def _query(self) -> dict[str, Any]:
        q: dict[str, Any] = {}
        if self.name is not None:
            q["fieldSelector"] = f"metadata.name={self.name}"
        return q

    def _list(self) -> Outcome:
        path = self.rtype.path(self.namespace or None)
        self._lists += 1
        self.stats.add("lists")
        if self._lists > 1:
            self.stats.add("relists")
        items: list[dict[str, Any]] = []
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
                        items.append(item)
                meta = doc.get("metadata") or {}
                cont = str(meta.get("continue") or "")
                if not cont:
                    rv = str(meta.get("resourceVersion") or "")
                    break
        except ApiError as exc:
            self._retry_after = exc.retry_after
            log.info("%r: list failed: %s", self, exc)
            out = _api_outcome(exc, listing=True)
            return Outcome.LIST_FAILED if out is Outcome.EXPIRED else out
        except ConnectionFailed:
            return Outcome.LIST_FAILED
        if self._stopping():
            return Outcome.STOP
        self._replace(items, rv)
        return Outcome.LISTED

    def _replace(self, items: list[dict[str, Any]], rv: str) -> None:
        """Apply a LIST: store every item, delete what the cache has in scope but
        the list lacks, then trust the cache and wake the scope's waiters."""
        rkey = self.rtype.key
        seen: set[Key] = set()
        epoch = self.cache.evictions
        for item in items:
            key = object_key(rkey, item)
            seen.add(key)
            if self.cache.apply(key, item):
                self.registry.wake(key)
        try:
            rv_int: int | None = int(rv)
        except ValueError:
            rv_int = None
        if self.name is not None:
            in_scope = [(rkey, self.namespace, self.name)]
        else:
            in_scope = self.cache.keys_in(rkey, self.namespace)
        for key in in_scope:
            if key not in seen and self.cache.apply_delete(key, rv_int):
                self.registry.wake(key)
        self._rv = rv
        self._epoch = epoch
        self._ever_synced = True
        self._healthy = True
        self._wake_scope()
        if self._on_synced is not None:
            self._on_synced(self)

    def _watch(self) -> Outcome:
        import urllib3

        q = self._query()
        q.update(
            watch="true",
            allowWatchBookmarks="true",
            resourceVersion=self._rv,
            timeoutSeconds=int(MIN_WATCH_TIMEOUT * (random.random() + 1.0)),
        )
        path = self.rtype.path(self.namespace or None)
        self._watches += 1
        self.stats.add("watches")
        if self._watches > 1:
            self.stats.add("reconnects")
        try:
            resp = self.transport.open(path, q, timeout=(10.0, self.stall_timeout))
        except ApiError as exc:
            self._retry_after = exc.retry_after
            log.info("%r: watch refused: %s", self, exc)
            return _api_outcome(exc, listing=False)
        except ConnectionFailed:
            return Outcome.REFUSED
        except urllib3.exceptions.ReadTimeoutError:
            self.stats.add("stalls")
            return Outcome.STALLED
        opened = self.clock.now()
        self._lines = 0
        with self._lock:
            self._resp = resp
        if self._stopping():
            _abort(resp)
        self.state = State.WATCHING
        if self._ever_synced:
            self._healthy = True
        try:
            out = self._read(resp)
            if out in (Outcome.ENDED, Outcome.BROKEN):
                return self._unless_short(out, opened)
            return out
        except urllib3.exceptions.ReadTimeoutError:
            if self._stopping():
                return Outcome.STOP
            self.stats.add("stalls")
            log.info("%r: no byte for %.1fs: stalled", self, self.stall_timeout)
            return Outcome.STALLED
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if self._stopping():
                return Outcome.STOP
            log.info("%r: stream broken: %s", self, type(exc).__name__)
            return self._unless_short(Outcome.BROKEN, opened)
        finally:
            with self._lock:
                self._resp = None
            try:
                resp.close()
                resp.release_conn()
            except Exception:  # noqa: S110 - the connection is discarded anyway
                pass

    def _unless_short(self, out: Outcome, opened: float) -> Outcome:
        """client-go's "very short watch": under a second and no event means the
        server is unhappy, so back off instead of hammering it."""
        if self._lines == 0 and self.clock.since(opened) < SHORT_WATCH:
            return Outcome.SHORT
        return out

    def _read(self, resp: Any) -> Outcome:
        """Read the stream to its end; every chunk read is applied to the cache
        as a batch, and the waiters it touched are woken once, after it (so a
        burst is not slowed by the threads it wakes)."""
        parts: list[bytes] = []  # the incomplete last line, in pieces (no quadratic +=)
        size = 0
        chunks = resp.read_chunked(decode_content=True) if resp.chunked else resp.stream(65536)
        touched: dict[Key, None] = {}
        try:
            for chunk in chunks:
                if self._stopping():
                    return Outcome.STOP
                if b"\n" not in chunk:
                    parts.append(chunk)
                    size += len(chunk)
                    if size > MAX_LINE:
                        log.warning("%r: a watch line exceeds %d bytes; giving up", self, MAX_LINE)
                        return Outcome.REFUSED
                    continue
                parts.append(chunk)
                *lines, rest = b"".join(parts).split(b"\n")
                parts = [rest] if rest else []
                size = len(rest)
                if size > MAX_LINE:
                    log.warning("%r: a watch line exceeds %d bytes; giving up", self, MAX_LINE)
                    return Outcome.REFUSED
                out = self._batch(lines, touched)
                if out is not None:
                    return out
                if touched:
                    self.registry.wake_many(touched)
                    touched.clear()
            if self._stopping():
                return Outcome.STOP
            buf = b"".join(parts)
            if buf.strip():
                out = self._batch([buf], touched)
                if out is not None:
                    return out
            return Outcome.ENDED
        finally:
            if touched:
                self.registry.wake_many(touched)

    def _batch(self, lines: list[bytes], touched: dict[Key, None]) -> Outcome | None:
        """Apply complete lines; the keys that changed go into ``touched``."""
        events = 0
        try:
            for line in lines:
                if len(line) > MAX_LINE:
                    log.warning("%r: a watch line exceeds %d bytes; giving up", self, MAX_LINE)
                    return Outcome.REFUSED
                if line.strip():
                    events += 1
                    out = self._event(line, touched)
                    if out is not None:
                        return out
            return None
        finally:
            if events:
                self._lines += events
                if self._on_activity is not None:
                    now = self.clock.now()
                    if now - self._last_activity_call >= 1.0:
                        self._last_activity_call = now
                        self._on_activity()

    def _event(self, line: bytes, touched: dict[Key, None]) -> Outcome | None:
        try:
            ev = json.loads(line)
            etype = ev["type"]
            obj = ev["object"]
            if not isinstance(obj, dict):
                raise ValueError("object is not a mapping")
        except (ValueError, KeyError, TypeError):
            log.info("%r: malformed watch line; reconnecting", self)
            return Outcome.BROKEN
        if etype == "ERROR":
            code = obj.get("code")
            log.info("%r: watch ERROR event %s %s", self, code, obj.get("reason"))
            return Outcome.EXPIRED if code == 410 else Outcome.BROKEN
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if etype == "BOOKMARK":
            self.stats.add("bookmarks")
        elif etype in ("ADDED", "MODIFIED", "DELETED"):
            self.stats.add("events")
            key = object_key(self.rtype.key, obj)
            if etype == "DELETED":
                changed = self.cache.apply_delete(key, rv_of(obj))
            else:
                changed = self.cache.apply(key, obj)
            if changed:
                touched[key] = None
        else:
            log.info("%r: unknown watch event type %r; reconnecting", self, etype)
            return Outcome.BROKEN
        if rv:
            self._rv = str(rv)
        return None
