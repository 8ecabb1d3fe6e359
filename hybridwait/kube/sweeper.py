"""The engine-wide poll scheduler: one thread runs every wait's poll path.

A wait covered by a watch does not keep a timer of its own (10,000 waits would
be 10,000 threads waking every ``poll_interval``). Instead each registers with
the :class:`Sweeper`, whose one thread calls the wait's ``sweep()`` every
``poll_interval`` (per wait), in batches of waits due at about the same time.
``sweep()`` runs in the sweeper's thread and decides cheaply what the poll
path needs: re-check the condition from the cache (no wake-up unless it now
holds), or kick the wait so that its own thread reads the API (the watch is
down, stalled, Forbidden or not synced yet).

The thread starts with the first registration and ends when none is left
(or at :meth:`close`). Time comes from the engine's clock (a ``FakeClock`` in
tests); sleeping uses the core's ``wait_any`` (no polling).

Example::

    sw = Sweeper(RealClock())
    handle = sw.add(waiter, 5.0)     # waiter.sweep() every 5 s, in the sweeper's thread
    sw.remove(handle)
    sw.close()
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from hybridwait.core import Chan, Clock, RealClock
from hybridwait.core.waitable import wait_any
from hybridwait.kube.future import HAND_OVER_PAUSE, hand_over, mark_engine_thread

__all__ = ["Expirable", "Sweepable", "Sweeper"]

log = logging.getLogger("hybridwait.kube.sweeper")

#: Waits due within this many seconds of each other are swept in one batch;
#: no wait is swept more often than once per this many seconds.
BATCH_WINDOW = 0.02
#: A batch gives the GIL away every this many sweeps, so that 10,000 waits due at
#: once do not hold up a watch event for the whole batch (only ~0.5 ms).
_YIELD_EVERY = 64


class Sweepable(Protocol):
    """What the sweeper calls: ``sweep()`` must be quick and must not block."""

    def sweep(self) -> None: ...


class Expirable(Sweepable, Protocol):
    """An item added with a ``deadline``: ``expire()`` is called once, instead
    of ``sweep()``, when the deadline comes (quick, must not block)."""

    def expire(self) -> None: ...


class _Once:
    __slots__ = ("sweep",)

    def __init__(self, fn: Callable[[], None]) -> None:
        self.sweep = fn


class _Entry:
    """A heap item itself (no ``(due, seq, entry)`` tuple around it: 100,000
    pending waits are kept, one entry each: its sweeps and its deadline)."""

    __slots__ = ("deadline", "due", "interval", "item", "live", "seq")

    def __init__(self, item: Sweepable, interval: float) -> None:  # interval 0: once
        self.item = item
        self.interval = interval
        self.live = True
        self.due = 0.0
        self.seq = 0
        self.deadline: float | None = None  # expire() then, instead of sweeping

    def __lt__(self, other: _Entry) -> bool:
        if self.due != other.due:
            return self.due < other.due
        return self.seq < other.seq


class _Removed:
    """What a removed entry holds instead of its item, until the entry leaves
    the heap: the item (an ended wait) is freed at once, and a batch that took
    the entry just before the removal calls these no-ops."""

    def sweep(self) -> None:
        """Nothing: the item was removed."""

    def expire(self) -> None:
        """Nothing: the item was removed."""


_REMOVED = _Removed()


class Sweeper:
    """Calls each registered item's ``sweep()`` every ``interval`` seconds, from
    one thread (thread-safe; see the module doc).

    Example::

        h = sweeper.add(item, 2.0); ...; sweeper.remove(h)
    """

    def __init__(self, clock: Clock | None = None, name: str = "hybridwait-sweeper") -> None:
        self.clock: Clock = clock or RealClock()
        self.name = name
        self._lock = threading.Lock()
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._live = 0
        self._wake = Chan()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.sweeps = 0  # sweep() calls made (a counter for stats)

    def add(
        self,
        item: Sweepable,
        interval: float,
        first: float | None = None,
        deadline: float | None = None,
    ) -> object:
        """Sweep ``item`` every ``interval`` s, the first time one interval (or
        ``first`` s) from now. With ``deadline`` (an instant on the sweeper's
        clock; ``item`` is then :class:`Expirable`), call ``item.expire()`` once
        at that instant instead of a sweep, and stop: a wait's poll interval
        and timeout in one entry. Returns a handle for :meth:`remove`."""
        entry = _Entry(item, interval)
        now = self.clock.now()
        due = now + (interval if first is None else first)
        if deadline is not None and interval > 0:
            entry.deadline = deadline
            due = min(due, deadline)
        entry.due = due
        with self._lock:
            if self._closed:
                entry.live = False
                return entry
            entry.seq = next(self._seq)
            first = not self._heap or due < self._heap[0].due
            heapq.heappush(self._heap, entry)
            self._live += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
                first = False
        if first:
            self._wake.put_nowait(0.0)
        return entry

    def once(self, fn: Callable[[], None], delay: float) -> object:
        """Call ``fn()`` once, ``delay`` seconds from now, in the sweeper's thread
        (a wait's deadline, a retry after a failed read, a cancellation handed
        over by a listener). Returns a handle for :meth:`remove`. Dropped after
        :meth:`close`. ``fn`` must be quick and must not block."""
        return self.add(_Once(fn), 0.0, first=max(0.0, delay))

    def remove(self, handle: object) -> None:
        """Stop sweeping (idempotent). The item is let go at once; the entry
        leaves the heap when next due, or sooner: once removed entries
        outnumber live ones, the heap is rebuilt."""
        if isinstance(handle, _Entry):
            with self._lock:
                if handle.live:
                    handle.live = False
                    handle.item = _REMOVED  # the entry stays until due; its item need not
                    self._live -= 1
                    dead = len(self._heap) - self._live
                    if dead > 64 and dead > self._live:
                        self._heap = [e for e in self._heap if e.live]
                        heapq.heapify(self._heap)

    def __len__(self) -> int:
        """Live entries (periodic and one-shot)."""
        with self._lock:
            return self._live

    def close(self, timeout: float = 1.0) -> bool:
        """Stop the thread; True if it ended within ``timeout``."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.put_nowait(0.0)
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def alive(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    def _run(self) -> None:
        mark_engine_thread()
        while True:
            with self._lock:
                while self._heap and not self._heap[0].live:
                    heapq.heappop(self._heap)
                if self._closed or self._live == 0:
                    self._heap.clear()
                    self._thread = None
                    return
                now = self.clock.now()
                due_at = self._heap[0].due
                batch: list[tuple[_Entry, bool]] = []  # (entry, its deadline came)
                later: list[_Entry] = []
                soon = now + BATCH_WINDOW
                while self._heap and self._heap[0].due <= soon:
                    entry = heapq.heappop(self._heap)
                    due = entry.due
                    if not entry.live:
                        continue
                    deadline = entry.deadline
                    if entry.interval <= 0 or (deadline is not None and deadline <= soon):
                        # once, or the deadline came: called once more, then gone
                        batch.append((entry, deadline is not None))
                        entry.live = False
                        self._live -= 1
                        continue
                    batch.append((entry, False))
                    nxt = due + entry.interval
                    if nxt <= now:  # missed ticks drop, like a ticker
                        nxt = now + entry.interval
                    # at most once per batch, however small the interval
                    nxt = max(nxt, now + 2 * BATCH_WINDOW)
                    entry.due = nxt if deadline is None else min(nxt, deadline)
                    entry.seq = next(self._seq)
                    later.append(entry)
                for entry in later:
                    heapq.heappush(self._heap, entry)
            if not batch:
                timer = self.clock.new_timer(max(0.0, due_at - now))
                try:
                    wait_any([self._wake, timer.c])
                finally:
                    timer.stop()
                with contextlib.suppress(queue.Empty):
                    self._wake.get_nowait()
                continue
            for i, (entry, expired) in enumerate(batch):
                if i % _YIELD_EVERY == _YIELD_EVERY - 1:
                    # let a watcher thread deliver an event mid-batch: a real pause,
                    # since sleep(0) gives the GIL up only to take it straight back
                    # more often than not (tests/benchmarks/bench_gil_yield.py:
                    # the woken thread's GIL wait p99 0.92 ms with sleep(0), 0.37
                    # ms with 0.2 ms; 5 ms with no yield at all)
                    time.sleep(HAND_OVER_PAUSE)  # the hand-over pause, for the same reason
                if expired:
                    try:
                        entry.item.expire()  # type: ignore[attr-defined]  # Expirable
                    except Exception:
                        log.exception("expiry of %r failed", entry.item)
                    entry.item = _REMOVED  # done with: this thread keeps no ended wait
                    continue
                if not entry.live and entry.interval > 0:
                    continue  # removed since the batch was taken
                try:
                    entry.item.sweep()
                except Exception:  # one bad condition must not stop every wait's poll path
                    log.exception("sweep of %r failed", entry.item)
                if entry.interval <= 0:
                    entry.item = _REMOVED  # a one-shot, done with
            hand_over()  # the callers this batch woke run before the next one
            self.sweeps += len(batch)
