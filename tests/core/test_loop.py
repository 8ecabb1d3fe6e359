"""loop_condition_until_context (Go loop.go, loop_test.go)."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from typing import Any

import pytest

import hybridwait as hw
from hybridwait.testing import FakeClock
from tests.core.helpers import CONDITION_ERR, cancelled, deadlined, fails

CASES = [
    # name, immediate, sliding, ctx factory, callback(attempt), cancel after, attempts, error
    ("success is one attempt", False, False, None, lambda n: True, 0, 1, None),
    ("success on the second attempt", False, False, None, lambda n: n > 1, 0, 2, None),
    ("success after many attempts", False, False, None, lambda n: n >= 100, 0, 100, None),
    ("error stops at once", False, False, None, fails, 0, 1, RuntimeError),
    ("cancelled: no attempt", False, False, cancelled, lambda n: False, 0, 0, hw.Canceled),
    ("cancelled, immediate, success", True, False, cancelled, lambda n: True, 0, 1, None),
    ("cancelled, immediate, error", True, False, cancelled, fails, 0, 1, RuntimeError),
    ("cancelled, immediate, false", True, False, cancelled, lambda n: False, 0, 1, hw.Canceled),
    ("cancelled after 5", False, False, None, lambda n: False, 5, 5, hw.Canceled),
    ("cancelled after 5, immediate", True, False, None, lambda n: False, 5, 5, hw.Canceled),
    ("cancelled after 5, sliding", False, True, None, lambda n: False, 5, 5, hw.Canceled),
    ("deadline, immediate", True, False, deadlined, lambda n: False, 0, 1, hw.DeadlineExceeded),
    ("deadline: no attempt", False, False, deadlined, lambda n: False, 0, 0, hw.DeadlineExceeded),
]


@pytest.mark.parametrize(
    ("immediate", "sliding", "ctx_fn", "callback", "cancel_after", "attempts", "err"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_semantics(
    immediate: bool, sliding: bool, ctx_fn: Any, callback: Any,
    cancel_after: int, attempts: int, err: Any,
) -> None:
    ctx, cancel = (ctx_fn or (lambda: hw.with_cancel(hw.background())))()
    seen: list[int] = []

    def cond(c: hw.Context) -> Any:
        seen.append(1)
        try:
            return callback(len(seen))
        finally:
            if cancel_after and len(seen) == cancel_after:
                cancel()

    timer = hw.Backoff(duration=1e-6).timer()
    if err is None:
        assert hw.loop_condition_until_context(ctx, timer, immediate, sliding, cond)
    else:
        with pytest.raises(err) as ei:
            hw.loop_condition_until_context(ctx, timer, immediate, sliding, cond)
        if err is RuntimeError:
            assert ei.value is CONDITION_ERR  # the very same object
    assert len(seen) == attempts
    cancel()


def test_deadline_before_second_call_with_immediate() -> None:
    ctx, cancel = hw.with_timeout(hw.background(), 0.05)
    seen = []
    with pytest.raises(hw.DeadlineExceeded):
        hw.loop_condition_until_context(
            ctx, hw.Backoff(duration=5).timer(), True, False, lambda c: seen.append(1))
    assert len(seen) == 1
    cancel()


def test_returns_condition_result() -> None:
    result = {"name": "web-0"}
    got = hw.loop_condition_until_context(
        hw.background(), hw.NoopTimer(), False, False, lambda c: result)
    assert got is result


def test_raises_a_fresh_error_each_time() -> None:
    ctx, _cancel = cancelled()
    errs = []
    for _ in range(2):
        with pytest.raises(hw.Canceled) as ei:
            hw.loop_condition_until_context(ctx, hw.NoopTimer(), False, False, lambda c: False)
        errs.append(ei.value)
    assert errs[0] is not errs[1]
    assert errs[0] is not ctx.err()


def test_cancel_cause_is_chained() -> None:
    ctx, cancel = hw.with_cancel_cause(hw.background())
    why = RuntimeError("operator asked")
    cancel(why)
    with pytest.raises(hw.Canceled) as ei:
        hw.loop_condition_until_context(ctx, hw.NoopTimer(), False, False, lambda c: False)
    assert ei.value.__cause__ is why


class RecordingTimer:
    def __init__(self, inner: hw.Timer) -> None:
        self.inner = inner
        self.stops = 0
        self.nexts = 0

    @property
    def c(self) -> hw.Chan:
        return self.inner.c

    def next(self) -> None:
        self.nexts += 1
        self.inner.next()

    def stop(self) -> None:
        self.stops += 1
        self.inner.stop()


@pytest.mark.parametrize("outcome", ["success", "error", "cancel"])
def test_timer_stopped_on_every_exit(outcome: str) -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    t = RecordingTimer(hw.NoopTimer())

    def cond(c: hw.Context) -> bool:
        if outcome == "error":
            raise CONDITION_ERR
        if outcome == "cancel":
            cancel()
            return False
        return True

    with contextlib.suppress(RuntimeError, hw.Canceled):
        hw.loop_condition_until_context(ctx, t, True, False, cond)
    assert t.stops == 1
    cancel()


def test_event_accepted_as_ctx() -> None:
    ev = threading.Event()
    n = []

    def cond(c: hw.Context) -> bool:
        n.append(1)
        if len(n) == 3:
            ev.set()
        return False

    with pytest.raises(hw.Canceled):
        hw.loop_condition_until_context(ev, hw.NoopTimer(), False, False, cond)
    assert len(n) == 3


def test_immediate_delay_with_fake_clock(run_bg) -> None:
    """Go Test_loopConditionWithContextImmediateDelay: sliding, not immediate."""
    clock = FakeClock()
    attempts = []

    def cond(c: hw.Context) -> bool:
        attempts.append(clock.now())
        raise CONDITION_ERR

    timer = hw.Backoff(duration=1).timer(clock)
    r = run_bg(lambda: hw.loop_condition_until_context(hw.background(), timer, False, True, cond))
    assert clock.wait_for_waiters()
    clock.step(0.999)
    assert not r.finished.wait(0.05)
    assert attempts == []
    clock.step(0.002)
    with pytest.raises(RuntimeError) as ei:
        r.outcome(5)
    assert ei.value is CONDITION_ERR
    assert attempts == [1.001]
    assert not clock.has_waiters()  # the ticker was stopped


@pytest.mark.parametrize(
    ("immediate", "sliding", "want"),
    [(False, False, [1, 2]), (True, False, [1]), (False, True, [1]), (True, True, [])],
)
def test_delays_requested(run_bg, immediate: bool, sliding: bool, want: list[float]) -> None:
    """Go Test_loopConditionUntilContext_timings: which delays the timer asks for
    when the condition succeeds at once."""
    clock = FakeClock()
    base = hw.Backoff(duration=1, factor=2, steps=2).delay_func()
    delays: list[float] = []

    def delay() -> float:
        d = base()
        delays.append(d)
        return d

    timer = hw.DelayFunc(delay).timer(clock)
    r = run_bg(lambda: hw.loop_condition_until_context(
        hw.background(), timer, immediate, sliding, lambda c: True))
    if not immediate:
        assert clock.wait_for_waiters()
        clock.step(1)
    assert r.outcome(5) is True
    assert delays == want


def _call_times(run_bg: Any, sliding: bool) -> list[float]:
    """The condition takes 0.2 fake seconds (it steps the clock itself); the timer
    interval is 0.2. Returns the fake times of the calls."""
    clock = FakeClock()
    calls: queue.Queue[float] = queue.Queue()
    times: list[float] = []

    def cond(c: hw.Context) -> bool:
        times.append(clock.now())
        calls.put(clock.now())
        clock.step(0.2)
        return len(times) >= 4

    timer = hw.DelayFunc(lambda: 0.2).timer(clock)
    r = run_bg(lambda: hw.loop_condition_until_context(hw.background(), timer, True, sliding, cond))
    for _ in range(4):
        calls.get(timeout=5)
        if sliding and not r.finished.is_set() and len(times) < 4:
            assert clock.wait_for_waiters()
            time.sleep(0.01)  # let the loop reach its wait
            clock.step(0.2)
    assert r.outcome(5) is True
    return [round(t, 6) for t in times]


def test_non_sliding_period_includes_condition_time(run_bg) -> None:
    # the timer started before the (slow) immediate call: each call follows at once
    assert _call_times(run_bg, sliding=False) == [0.0, 0.2, 0.4, 0.6]


def test_sliding_period_starts_after_condition(run_bg) -> None:
    assert _call_times(run_bg, sliding=True) == [0.0, 0.4, 0.8, 1.2]


def test_cancel_from_other_thread_wakes_loop(run_bg) -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    started = threading.Event()

    def cond(c: hw.Context) -> bool:
        started.set()
        return False

    r = run_bg(lambda: hw.loop_condition_until_context(
        ctx, hw.Backoff(duration=3600).timer(), True, False, cond))
    assert started.wait(5)
    t0 = time.monotonic()
    cancel()
    with pytest.raises(hw.Canceled):
        r.outcome(5)
    assert time.monotonic() - t0 < 1.0


def test_no_thread_started_by_waiting_loops(run_bg) -> None:
    before = threading.active_count()
    ctx, cancel = hw.with_timeout(hw.background(), 0.05)
    with pytest.raises(hw.DeadlineExceeded):
        hw.loop_condition_until_context(
            ctx, hw.Backoff(duration=0.01).timer(), False, False,
            lambda c: threading.active_count() > before)
    cancel()


def test_delay_func_until(run_bg) -> None:
    clock = FakeClock()
    q: queue.Queue[float] = queue.Queue()
    delays = hw.Backoff(duration=1, factor=2, steps=3).delay_func()

    calls: list[float] = []

    def cond(c: hw.Context) -> Any:
        calls.append(clock.now())
        q.put(clock.now())
        return len(calls) >= 3 and "ok"

    r = run_bg(lambda: delays.until(hw.background(), False, True, cond, clock=clock))
    got = []
    for gap in (1, 2, 4):
        assert clock.wait_for_waiters()
        clock.step(gap)
        got.append(q.get(timeout=5))
    assert r.outcome(5) == "ok"
    assert got == [1, 3, 7]
