"""Request records for tests and benchmarks: a bounded log plus counters by verb.

Example::

    log = RequestLog()
    log.add(RequestRecord(0.0, "GET", "/api/v1/pods", {}, "list", 200))
    log.counts()     # {"list": 1}
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass

VERB_NAMES = ("get", "list", "watch", "create", "update", "patch", "delete", "discovery")


@dataclass(frozen=True)
class RequestRecord:
    """One served request: wall ``time`` it arrived, ``method``, ``path``,
    ``query`` (first value of each parameter), ``verb`` and response ``status``.

    Example::

        [r for r in srv.requests if r.verb == "watch" and r.status == 200]
    """

    time: float
    method: str
    path: str
    query: dict[str, str]
    verb: str
    status: int


class RequestLog:
    """The last ``maxlen`` records (older ones are dropped) and exact counters."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self._counts: Counter[str] = Counter()

    def add(self, record: RequestRecord) -> None:
        """Record one request."""
        with self._lock:
            self._records.append(record)
            self._counts[record.verb] += 1

    def records(self) -> list[RequestRecord]:
        """A copy of the retained records, oldest first."""
        with self._lock:
            return list(self._records)

    def counts(self) -> dict[str, int]:
        """``{verb: count}`` over every request since the last :meth:`reset`."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        """Forget records and counters."""
        with self._lock:
            self._records.clear()
            self._counts.clear()
