"""Engine counters (what ``Engine.stats()`` returns).

Example::

    s = Stats()
    s.add("events")
    s.snapshot()["events"]   # 1
"""

from __future__ import annotations

import threading

__all__ = ["STAT_NAMES", "Stats"]

STAT_NAMES = (
    "events",  # watch events applied (ADDED/MODIFIED/DELETED)
    "bookmarks",  # BOOKMARK events
    "lists",  # LIST requests made by watchers (first sync included)
    "relists",  # LISTs after a watcher's first one (410, Forbidden list, ...)
    "watches",  # watch streams opened
    "reconnects",  # watch streams opened after a watcher's first one
    "stalls",  # streams given up for silence longer than stall_timeout
    "watchers_started",  # watcher threads started (narrow + namespace-wide)
    "polls",  # condition checks not caused by a watch event
    "wakeups",  # condition checks caused by a watch event
    "direct_gets",  # GET/LIST requests made by waits (poll path against the API)
    "waits_by_watch",  # waits ended by a check a watch event triggered
    "waits_by_poll",  # waits ended by a timed (or first) check
)


class Stats:
    """Thread-safe counters named in :data:`STAT_NAMES`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._c = dict.fromkeys(STAT_NAMES, 0)

    def add(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name``."""
        with self._lock:
            self._c[name] += n

    def snapshot(self) -> dict[str, int]:
        """A copy of every counter."""
        with self._lock:
            return dict(self._c)
