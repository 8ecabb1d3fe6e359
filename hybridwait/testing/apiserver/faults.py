"""Fault injection: bounded, reversible misbehaviour driven by tests.

Example::

    srv.faults.fail_next(2, status=429, retry_after=1, verb="list")
    srv.faults.stall_watches(5.0)
    srv.faults.clear()
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Store


@dataclass
class _FailRule:
    remaining: int
    status: int
    retry_after: float | None
    verb: str | None
    path: str | None


class Faults:
    """The ``srv.faults`` handle (names and effects are part of the contract).

    Example::

        srv.faults.drop_watches()          # every open watch is cut abruptly
        srv.faults.forbid_watch()          # watches get 403, get/list still work
        srv.faults.forbid_watch(False)
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._rules: list[_FailRule] = []
        self._stall_until = 0.0
        self._forbid_watch = False
        self._delay = 0.0

    # -- the contract ----------------------------------------------------------
    def drop_watches(self) -> int:
        """Cut every open watch stream abruptly (no clean chunked end); return how many.

        Returns once the streams are closed (at most about a second).
        """
        n = self._store.signal_all("drop")
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and any(
            "drop" in w.signals for w in self._store.watchers()
        ):
            time.sleep(0.005)
        return n

    def stall_watches(self, seconds: float) -> None:
        """Open and new watch streams send nothing (connection kept) for ``seconds``.

        New streams get their response headers, then silence. Afterwards the
        streams resume with every event written meanwhile (or 410 if it was
        compacted away).
        """
        with self._lock:
            self._stall_until = time.monotonic() + max(0.0, seconds)
        self._store.notify_all()

    def compact(self) -> None:
        """Forget the event history: resuming from any older resourceVersion gets 410."""
        self._store.compact()

    def fail_next(self, n: int, status: int = 500, retry_after: float | None = None,
                  verb: str | None = None, path: str | None = None) -> None:
        """The next ``n`` requests matching ``verb`` (get/list/watch/create/update/
        patch/delete/discovery) and ``path`` (a prefix of the URL path) get a
        ``Status`` error ``status``; 429 carries ``Retry-After`` (default 1 s).
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._rules.append(_FailRule(n, status, retry_after, verb, path))

    def forbid_watch(self, on: bool = True) -> None:
        """Watch requests get 403 Forbidden while ``on``; get/list still work."""
        with self._lock:
            self._forbid_watch = on

    def malformed_line(self) -> int:
        """Write one line of non-JSON into every open watch stream; return how many."""
        return self._store.signal_all("malformed")

    def delay(self, seconds: float) -> None:
        """Delay every response by ``seconds`` until ``delay(0)``."""
        with self._lock:
            self._delay = max(0.0, seconds)

    def clear(self) -> None:
        """End every fault at once."""
        with self._lock:
            self._rules.clear()
            self._stall_until = 0.0
            self._forbid_watch = False
            self._delay = 0.0
        self._store.notify_all()

    # -- what the server consults ------------------------------------------------
    @property
    def response_delay(self) -> float:
        """Seconds every response currently waits."""
        return self._delay

    def stall_remaining(self) -> float:
        """Seconds left of a watch stall (0 when none)."""
        return max(0.0, self._stall_until - time.monotonic())

    def check(self, verb: str, path: str) -> None:
        """Raise the injected error due for this request, if any."""
        with self._lock:
            if verb == "watch" and self._forbid_watch:
                raise StatusError(
                    403, "Forbidden",
                    f'watch is forbidden: cannot watch resource at "{path}" (fault injected)',
                )
            for rule in self._rules:
                if rule.remaining <= 0:
                    continue
                if rule.verb is not None and rule.verb != verb:
                    continue
                if rule.path is not None and not path.startswith(rule.path):
                    continue
                rule.remaining -= 1
                self._rules = [r for r in self._rules if r.remaining > 0]
                msg = {429: "Too many requests, please try again later."}.get(
                    rule.status, "an error on the server has prevented the request from "
                    "succeeding (fault injected)")
                raise StatusError(rule.status, None, msg, retry_after=rule.retry_after)
