"""The poll family (Go poll.go, wait_test.go): call counts, immediate, timeouts,
cancellation, and the deprecated family's WaitTimeout-on-cancel."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import hybridwait as hw
from hybridwait.testing import FakeClock

BOOM = RuntimeError("boom")


def recorder(clock: FakeClock, done_after: int | None = None, cost: float = 0.0):
    """A condition recording the fake time of each call into a list and a queue."""
    times: list[float] = []
    q: queue.Queue[float] = queue.Queue()

    def cond(*_: Any) -> Any:
        now = clock.now()
        times.append(now)
        if cost:
            clock.step(cost)  # the call "takes" cost fake seconds
        q.put(now)
        return done_after is not None and len(times) >= done_after and f"done@{now}"

    return times, q, cond


def drive(clock: FakeClock, q: queue.Queue[float], steps: list[float]) -> None:
    """Step the fake clock by each amount, waiting for the call each step causes."""
    for d in steps:
        assert clock.wait_for_waiters()
        time.sleep(0.005)  # let the loop settle on its wait
        clock.step(d)
        q.get(timeout=5)


# -- poll_until_context_cancel / poll_until_context_timeout -------------------------


def test_cancel_poll_waits_one_interval_first(run_bg) -> None:
    clock = FakeClock()
    times, q, cond = recorder(clock, done_after=3)
    r = run_bg(lambda: hw.poll_until_context_cancel(hw.background(), 1, False, cond, clock=clock))
    assert clock.wait_for_waiters()
    clock.step(0.5)
    assert not r.finished.wait(0.02) and times == []
    clock.step(0.5)
    q.get(timeout=5)
    drive(clock, q, [1, 1])
    assert r.outcome(5) == "done@3.0"
    assert times == [1, 2, 3]
    assert not clock.has_waiters()


def test_cancel_poll_immediate_calls_first(run_bg) -> None:
    clock = FakeClock()
    times, q, cond = recorder(clock, done_after=2)
    r = run_bg(lambda: hw.poll_until_context_cancel(hw.background(), 1, True, cond, clock=clock))
    q.get(timeout=5)
    drive(clock, q, [1])
    assert r.outcome(5) == "done@1.0"
    assert times == [0, 1]


def test_cancel_poll_slow_condition_next_call_at_once(run_bg) -> None:
    """A condition slower than the interval is called again immediately (ticker)."""
    clock = FakeClock()
    times, q, cond = recorder(clock, done_after=2, cost=2.5)
    r = run_bg(lambda: hw.poll_until_context_cancel(hw.background(), 1, False, cond, clock=clock))
    drive(clock, q, [1])
    assert r.outcome(5) == "done@3.5"
    assert times == [1, 3.5]


def test_zero_interval_polls_without_waiting() -> None:
    n = []
    assert hw.poll_until_context_cancel(
        hw.background(), 0, False, lambda c: n.append(1) or len(n) == 1000)
    assert len(n) == 1000
    n.clear()
    assert hw.poll_until_context_cancel(
        hw.background(), -1, True, lambda c: n.append(1) or len(n) == 10)
    assert len(n) == 10


@pytest.mark.parametrize("immediate", [False, True])
def test_cancelled_ctx(immediate: bool) -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    cancel()
    n = []
    with pytest.raises(hw.Canceled):
        hw.poll_until_context_cancel(ctx, 1, immediate, lambda c: n.append(1))
    assert len(n) == (1 if immediate else 0)  # immediate: at least once


def test_cancel_during_wait(run_bg) -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    called = threading.Event()
    r = run_bg(lambda: hw.poll_until_context_cancel(ctx, 3600, True, lambda c: called.set()))
    assert called.wait(5)
    cancel()
    with pytest.raises(hw.Canceled):
        r.outcome(5)


def test_condition_error_propagates_unchanged() -> None:
    def cond(c: hw.Context) -> bool:
        raise BOOM

    for call in (
        lambda: hw.poll_until_context_cancel(hw.background(), 0, True, cond),
        lambda: hw.poll_until_context_timeout(hw.background(), 0, 5, False, cond),
        lambda: hw.poll_immediate_until_with_context(hw.background(), 1, cond),
    ):
        with pytest.raises(RuntimeError) as ei:
            call()
        assert ei.value is BOOM


def test_context_timeout_raises_deadline_exceeded() -> None:
    n = []
    start = time.monotonic()
    with pytest.raises(hw.DeadlineExceeded) as ei:
        hw.poll_until_context_timeout(hw.background(), 0.01, 0.05, True, lambda c: n.append(1))
    assert time.monotonic() - start < 2
    assert not isinstance(ei.value, hw.WaitTimeout)
    assert 1 <= len(n) <= 6


def test_context_timeout_cancels_its_deadline_context_on_success() -> None:
    seen: list[hw.Context] = []
    assert hw.poll_until_context_timeout(
        hw.background(), 1, 60, True, lambda c: seen.append(c) or True)
    assert isinstance(seen[0].err(), hw.Canceled)


def test_context_timeout_parent_cancellation_wins() -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    cancel()
    with pytest.raises(hw.Canceled):
        hw.poll_until_context_timeout(ctx, 1, 60, False, lambda c: True)


# -- the deprecated family ------------------------------------------------------------


def test_poll_calls_at_each_interval_and_once_at_timeout(run_bg) -> None:
    clock = FakeClock()
    times, q, cond = recorder(clock)
    r = run_bg(lambda: hw.poll(1, 3, cond, clock=clock))
    drive(clock, q, [1, 1, 1])
    with pytest.raises(hw.WaitTimeout):
        r.outcome(5)
    assert times == [1, 2, 3]  # the last call is the one at the timeout
    assert not clock.has_waiters()


def test_poll_timeout_shorter_than_interval_still_calls_once(run_bg) -> None:
    clock = FakeClock()
    times, q, cond = recorder(clock)
    r = run_bg(lambda: hw.poll(10, 2, cond, clock=clock))
    drive(clock, q, [2])
    with pytest.raises(hw.WaitTimeout):
        r.outcome(5)
    assert times == [2]


def test_poll_negative_timeout_calls_once_at_once() -> None:
    n = []
    with pytest.raises(hw.WaitTimeout):
        hw.poll(3600, -1, lambda: n.append(1))
    assert len(n) == 1


def test_poll_success_returns_result(run_bg) -> None:
    clock = FakeClock()
    _times, q, cond = recorder(clock, done_after=2)
    r = run_bg(lambda: hw.poll(1, 10, cond, clock=clock))
    drive(clock, q, [1, 1])
    assert r.outcome(5) == "done@2.0"


def test_poll_drops_ticks_while_condition_runs(run_bg) -> None:
    """Go's poller drops ticks the consumer misses: the next call waits for the
    next tick on the grid (unlike the ticker of poll_until_context_cancel)."""
    clock = FakeClock()
    times, q, cond = recorder(clock, done_after=2, cost=2.5)
    r = run_bg(lambda: hw.poll_infinite(1, cond, clock=clock))
    drive(clock, q, [1, 0.5])
    assert r.outcome(5) == "done@4.0"
    assert times == [1, 4]


def test_poll_immediate_timeout_starts_after_first_call(run_bg) -> None:
    clock = FakeClock()
    times: list[float] = []
    q: queue.Queue[float] = queue.Queue()

    def cond() -> bool:
        times.append(clock.now())
        if len(times) == 1:
            clock.step(0.5)  # a slow first call
        q.put(1)
        return False

    r = run_bg(lambda: hw.poll_immediate(1, 2, cond, clock=clock))
    q.get(timeout=5)
    drive(clock, q, [1, 1])
    with pytest.raises(hw.WaitTimeout):
        r.outcome(5)
    assert times == [0, 1.5, 2.5]


def test_poll_immediate_success_needs_no_wait() -> None:
    n = []
    assert hw.poll_immediate(3600, 3600, lambda: n.append(1) or "ok") == "ok"
    assert hw.poll_immediate_infinite(3600, lambda: "ok") == "ok"
    assert len(n) == 1


def test_deprecated_interval_must_be_positive() -> None:
    # Go's ticker panics on a non-positive interval, once it has to wait.
    with pytest.raises(ValueError, match="interval"):
        hw.poll(0, 1, lambda: False)
    with pytest.raises(ValueError, match="interval"):
        hw.poll_immediate(-1, 1, lambda: False)
    assert hw.poll_immediate(0, 1, lambda: True) is True  # never had to wait


def test_poll_zero_timeout_means_no_timeout(run_bg) -> None:
    clock = FakeClock()
    _times, q, cond = recorder(clock, done_after=5)
    r = run_bg(lambda: hw.poll(1, 0, cond, clock=clock))
    drive(clock, q, [1] * 5)
    assert r.outcome(5) == "done@5.0"


def test_poll_until_stop_event_gives_wait_timeout(run_bg) -> None:
    stop = threading.Event()
    called = threading.Event()
    r = run_bg(lambda: hw.poll_until(0.001, lambda: called.set(), stop))
    assert called.wait(5)
    stop.set()
    with pytest.raises(hw.WaitTimeout):
        r.outcome(5)


def cancelled_ctx() -> hw.Context:
    ctx, cancel = hw.with_cancel(hw.background())
    cancel()
    return ctx


DEPRECATED_WITH_CTX: list[tuple[str, Callable[..., Any], bool]] = [
    ("poll_with_context", lambda ctx, c: hw.poll_with_context(ctx, 0.001, 60, c), False),
    ("poll_until_with_context", lambda ctx, c: hw.poll_until_with_context(ctx, 0.001, c), False),
    ("poll_infinite_with_context",
     lambda ctx, c: hw.poll_infinite_with_context(ctx, 0.001, c), False),
    ("poll_immediate_with_context",
     lambda ctx, c: hw.poll_immediate_with_context(ctx, 0.001, 60, c), True),
    ("poll_immediate_until_with_context",
     lambda ctx, c: hw.poll_immediate_until_with_context(ctx, 0.001, c), True),
    ("poll_immediate_infinite_with_context",
     lambda ctx, c: hw.poll_immediate_infinite_with_context(ctx, 0.001, c), True),
    ("poll_until", lambda ctx, c: hw.poll_until(0.001, lambda: c(ctx), ctx), False),
    ("poll_immediate_until",
     lambda ctx, c: hw.poll_immediate_until(0.001, lambda: c(ctx), ctx), True),
]


@pytest.mark.parametrize(("fn", "immediate"), [d[1:] for d in DEPRECATED_WITH_CTX],
                         ids=[d[0] for d in DEPRECATED_WITH_CTX])
def test_deprecated_cancelled_ctx_gives_wait_timeout(fn: Any, immediate: bool) -> None:
    n = []
    with pytest.raises(hw.WaitTimeout):
        fn(cancelled_ctx(), lambda *a: n.append(1))
    assert len(n) == (1 if immediate else 0)


@pytest.mark.parametrize(("fn", "immediate"), [d[1:] for d in DEPRECATED_WITH_CTX],
                         ids=[d[0] for d in DEPRECATED_WITH_CTX])
def test_deprecated_cancel_after_n_attempts(fn: Any, immediate: bool) -> None:
    """Go TestPollImmediateUntilWithContext: cancelled after the 4th call ->
    exactly 4 calls and WaitTimeout (never Canceled)."""
    ctx, cancel = hw.with_cancel(hw.background())
    n = []

    def cond(*_: Any) -> bool:
        n.append(1)
        if len(n) == 4:
            cancel()
        return False

    with pytest.raises(hw.WaitTimeout) as ei:
        fn(ctx, cond)
    assert not isinstance(ei.value, hw.Canceled)
    assert len(n) == 4


@pytest.mark.parametrize(("fn", "immediate"), [d[1:] for d in DEPRECATED_WITH_CTX],
                         ids=[d[0] for d in DEPRECATED_WITH_CTX])
def test_deprecated_success_after_retries(fn: Any, immediate: bool) -> None:
    n = []
    assert fn(hw.background(), lambda *a: n.append(1) or (len(n) == 4 and "ok")) == "ok"
    assert len(n) == 4


def test_deprecated_fresh_wait_timeout_each_time() -> None:
    errs = []
    for _ in range(2):
        with pytest.raises(hw.WaitTimeout) as ei:
            hw.poll(3600, -1, lambda: False)
        errs.append(ei.value)
    assert errs[0] is not errs[1] and errs[0] is not hw.ErrWaitTimeout


def test_poll_infinite_until_true() -> None:
    n = []
    assert hw.poll_infinite(0.0005, lambda: n.append(1) or len(n) == 5)
    assert len(n) == 5


def test_deprecated_context_deadline_gives_wait_timeout() -> None:
    ctx, cancel = hw.with_timeout(hw.background(), 0.02)
    with pytest.raises(hw.WaitTimeout):
        hw.poll_immediate_until_with_context(ctx, 0.005, lambda c: False)
    cancel()
