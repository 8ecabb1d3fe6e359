"""hybridwait core in one page: poll, retry with backoff, cancel from another thread.

Runs anywhere (no cluster), in about a second:

    python examples/core_backoff.py

It simulates a flaky service that becomes ready after a few checks.
"""

from __future__ import annotations

import threading
import time

import hybridwait as hw

T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - T0:5.2f}s] {msg}")


class FlakyService:
    """Ready after ``ready_after`` checks; the first ``failures`` calls raise."""

    def __init__(self, ready_after: int, failures: int = 0) -> None:
        self.checks = 0
        self.ready_after = ready_after
        self.failures = failures

    def status(self) -> dict[str, str] | None:
        self.checks += 1
        if self.checks <= self.failures:
            raise ConnectionError(f"connection refused (attempt {self.checks})")
        return {"phase": "Ready"} if self.checks >= self.ready_after else None


def poll_example() -> None:
    log("1. poll every 0.1 s, at most 2 s, until the service is ready")
    svc = FlakyService(ready_after=4)
    result = hw.poll_until_context_timeout(
        hw.background(), 0.1, 2.0, True, lambda ctx: svc.status()
    )
    log(f"   ready after {svc.checks} checks: {result}")


def backoff_example() -> None:
    log("2. retry a failing call with exponential backoff (0.05 s doubling, 6 tries)")
    svc = FlakyService(ready_after=1, failures=3)
    delays = hw.Backoff(duration=0.05, factor=2.0, jitter=0.1, steps=6, cap=1.0)

    def attempt() -> dict[str, str] | None:
        try:
            return svc.status()
        except ConnectionError as exc:
            log(f"   {exc}; backing off")
            return None  # not done: try again after the next delay

    result = hw.exponential_backoff(delays, attempt)
    log(f"   succeeded on attempt {svc.checks}: {result}")


def cancel_example() -> None:
    log("3. a wait that would never end, cancelled from another thread after 0.3 s")
    ctx, cancel = hw.with_cancel(hw.background())
    threading.Timer(0.3, cancel).start()
    never = FlakyService(ready_after=10**9)
    try:
        hw.poll_until_context_cancel(ctx, 0.05, True, lambda ctx: never.status())
    except hw.Canceled as exc:
        log(f"   stopped: {exc!r} after {never.checks} checks (interrupted={hw.interrupted(exc)})")


def timeout_example() -> None:
    log("4. the same wait with a deadline")
    try:
        hw.poll_until_context_timeout(hw.background(), 0.05, 0.2, False, lambda ctx: None)
    except hw.DeadlineExceeded as exc:
        log(f"   gave up: {exc}")


if __name__ == "__main__":
    poll_example()
    backoff_example()
    cancel_example()
    timeout_example()
    log("done")
