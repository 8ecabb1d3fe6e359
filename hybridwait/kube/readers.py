"""The engine's reader pool: a few threads for the steps of a wait that block.

A wait costs no thread of its own. Its cheap steps (a check on the shared
cache) run on the thread that caused them: the watcher that applied an event,
or the sweeper at a poll interval. A step that must block (discovery, a LIST
for a selector, a GET while no healthy watch covers an object) is handed to
this pool, whose few threads run them in arrival order.

Bounds: at most ``size`` threads (default 2); a thread that has had nothing
to do for ``idle`` seconds ends (and a new one starts on demand), so an engine
whose watches are healthy runs none. A wait has at most one job queued at a
time (see :class:`hybridwait.kube.wait.Wait`), so the queue never holds more
jobs than there are pending waits.

Example::

    pool = ReaderPool(size=2)
    pool.submit(lambda: print("runs on a reader thread"))
    pool.close()
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from collections.abc import Callable

from hybridwait.kube.future import hand_over, mark_engine_thread

__all__ = ["ReaderPool"]

log = logging.getLogger("hybridwait.kube.readers")

Job = Callable[[], None]


class ReaderPool:
    """Runs jobs (``fn()``) on at most ``size`` threads, started on demand.

    Thread-safe. A job that raises is logged and does not stop the pool.

    Example::

        pool = ReaderPool(size=2, idle=1.0)
        assert pool.submit(job)
        pool.close(timeout=1.0)
    """

    def __init__(self, size: int = 2, idle: float = 1.0, name: str = "hybridwait-reader") -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"reader pool size must be a positive int, got {size!r}")
        self.size = size
        self.idle = idle
        self.name = name
        self._cv = threading.Condition(threading.Lock())
        self._jobs: collections.deque[Job] = collections.deque()
        self._threads: set[threading.Thread] = set()
        self._idle_workers = 0
        self._closed = False
        self._seq = itertools.count(1)

    def __repr__(self) -> str:
        return f"<ReaderPool threads={len(self._threads)}/{self.size} queued={len(self._jobs)}>"

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False (not queued) once the pool is closed."""
        with self._cv:
            if self._closed:
                return False
            self._jobs.append(job)
            if self._idle_workers > len(self._jobs) - 1:
                self._cv.notify()
                return True
            if len(self._threads) < self.size:
                t = threading.Thread(
                    target=self._run, name=f"{self.name}-{next(self._seq)}", daemon=True
                )
                self._threads.add(t)
                t.start()
            else:
                self._cv.notify()
        return True

    @property
    def threads(self) -> int:
        """Reader threads alive now."""
        with self._cv:
            return len(self._threads)

    def _run(self) -> None:
        mark_engine_thread()
        me = threading.current_thread()
        while True:
            with self._cv:
                if not self._jobs and not self._closed:
                    self._idle_workers += 1
                    end = time.monotonic() + self.idle
                    while not self._jobs and not self._closed:
                        left = end - time.monotonic()
                        if left <= 0:
                            break
                        self._cv.wait(left)
                    self._idle_workers -= 1
                if self._closed or not self._jobs:
                    self._threads.discard(me)
                    return
                job = self._jobs.popleft()
            try:
                job()
            except Exception:  # one bad step must not stop every wait's reads
                log.exception("reader job %r failed", job)
            del job  # an idle thread keeps no finished job (nor the wait it was for)
            hand_over()  # a caller the job woke runs now

    def close(self, timeout: float = 1.0) -> bool:
        """Drop queued jobs, let running ones finish, join the threads within
        ``timeout``; True if all ended. Idempotent."""
        with self._cv:
            self._closed = True
            self._jobs.clear()
            threads = list(self._threads)
            self._cv.notify_all()
        deadline = time.monotonic() + timeout
        for t in threads:
            if t is threading.current_thread():
                continue
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads if t is not threading.current_thread())
