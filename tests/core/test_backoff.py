"""Backoff arithmetic, jitter, delay functions, backoff managers, exponential_backoff*
(Go backoff.go / delay.go and their tests)."""

from __future__ import annotations

import queue
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import hybridwait as hw
import hybridwait.core.backoff as backoff_mod
from hybridwait.testing import FakeClock
from tests.core.helpers import CONDITION_ERR, cancelled, deadlined, fails


@pytest.fixture
def seeded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    def seed(n: int) -> None:
        monkeypatch.setattr(backoff_mod, "jitter_rand", random.Random(n).random)

    yield seed


@pytest.mark.parametrize(
    ("params", "want"),
    [
        ({"duration": 1, "steps": -1}, [1, 1, 1]),
        ({"duration": 1, "steps": 0}, [1, 1, 1]),
        ({"duration": 1, "steps": 1}, [1, 1, 1]),
        ({"duration": 1, "factor": 1.0, "steps": 1}, [1, 1, 1]),
        ({"duration": 1, "factor": 2, "steps": 3}, [1, 2, 4]),
        ({"duration": 1, "factor": 2, "steps": 3, "cap": 3}, [1, 2, 3]),
        ({"duration": 1, "factor": 2, "steps": 2, "cap": 3}, [1, 2, 3, 3]),
        ({"duration": 1, "factor": 2, "steps": 6, "cap": 10}, [1, 2, 4, 8, 10, 10, 10]),
    ],
)
def test_step_without_jitter(params: dict[str, Any], want: list[float]) -> None:
    b = hw.Backoff(**params)
    assert [b.step() for _ in want] == want


def test_step_mutates_duration_and_steps() -> None:
    b = hw.Backoff(duration=1, factor=2, steps=3, cap=3)
    b.step()
    assert (b.duration, b.steps) == (2, 2)
    b.step()
    assert (b.duration, b.steps) == (3, 0)  # the cap zeroes the steps
    b.step()
    assert (b.duration, b.steps) == (3, 0)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    ("params", "want"),
    [
        ({"duration": 1, "factor": 2, "steps": 2, "cap": 3, "jitter": 0.5}, [1, 2, 3, 3]),
        ({"duration": 1, "factor": 2, "steps": 6, "jitter": 4}, [1, 2, 4, 8, 16, 32]),
    ],
)
def test_step_with_jitter_bounds(
    seeded, seed: int, params: dict[str, Any], want: list[float]
) -> None:
    seeded(seed)
    b = hw.Backoff(**params)
    for base in want:
        got = b.step()
        assert base <= got < base * (1 + b.jitter)  # jitter adds, never compounds
        assert got != base


def test_jitter_function(seeded) -> None:
    seeded(1)
    for _ in range(100):
        assert 2.0 <= hw.jitter(2.0, 0.5) < 3.0
    for factor in (0, -1):  # non-positive factor means 1.0
        values = [hw.jitter(1.0, factor) for _ in range(200)]
        assert all(1.0 <= v < 2.0 for v in values)
        assert max(values) > 1.5


def test_delay_func_does_not_mutate_backoff() -> None:
    b = hw.Backoff(duration=1, factor=3, steps=3)
    d = b.delay_func()
    assert [d() for _ in range(5)] == [1, 3, 9, 27, 27]
    assert (b.duration, b.steps) == (1, 3)
    assert [b.delay_func()() for _ in range(2)] == [1, 1]  # each one starts afresh


def test_delay_func_concurrent_shares_state() -> None:
    d = hw.Backoff(duration=1, factor=2, steps=10).delay_func().concurrent()
    assert [d(), d(), d()] == [1, 2, 4]


def test_delay_with_reset_exponential() -> None:
    clock = FakeClock(start=1000)
    d = hw.Backoff(duration=1, cap=10, factor=2.0, steps=10).delay_with_reset(clock, 10)
    assert [d() for _ in range(7)] == [1, 2, 4, 8, 10, 10, 10]
    clock.step(11)
    assert d() == 1
    assert d() == 2


def test_delay_with_reset_resets_every_interval_not_after_quiet() -> None:
    clock = FakeClock()
    d = hw.Backoff(duration=1, factor=2, steps=10, cap=100).delay_with_reset(clock, 10)
    got = []
    for _ in range(4):  # calls 4 s apart: the reset comes 10 s after the last reset
        got.append(d())
        clock.step(4)
    assert got == [1, 2, 4, 1]


def test_delay_with_reset_zero_interval_never_grows() -> None:
    clock = FakeClock()
    d = hw.Backoff(duration=1, cap=10, factor=2.0, steps=10).delay_with_reset(clock, 0)
    assert [d() for _ in range(7)] == [1] * 7
    clock.step(11)
    assert d() == 1


def test_delay_with_reset_jitter(seeded) -> None:
    seeded(3)
    d = hw.Backoff(duration=1, jitter=1).delay_with_reset(FakeClock(), 0)
    assert all(1 <= d() < 2 for _ in range(20))
    assert hw.Backoff(duration=1, jitter=-1).delay_with_reset(FakeClock(), 0)() == 1


def test_delay_with_reset_real_clock_timer_waits_at_least() -> None:
    d = hw.Backoff(duration=0.001, cap=0.004, factor=2, steps=10).delay_with_reset(None, 3600)
    for want in (0.001, 0.002, 0.004, 0.004):
        start = time.monotonic()
        hw.real_timer(d()).c.get(timeout=5)
        assert time.monotonic() - start >= want


def _fires_after(clock: FakeClock, timer: hw.ClockTimer, d: float) -> bool:
    """True if ``timer`` fires when ``d`` (+-1 ms) more fake seconds pass."""
    clock.step(d - 1e-3)
    try:
        timer.c.get_nowait()
        return False
    except queue.Empty:
        pass
    clock.step(2e-3)
    timer.c.get_nowait()
    return True


def test_exponential_backoff_manager() -> None:
    clock = FakeClock()
    bm = hw.new_exponential_backoff_manager(1, 10, 10, 2.0, 0.0, clock)
    assert isinstance(bm, hw.BackoffManager)
    timers = []
    for want in (1, 2, 4, 8, 10):  # calls come right after each firing: no reset
        t = bm.backoff()
        timers.append(t)
        assert _fires_after(clock, t, want)
    assert all(t is timers[0] for t in timers)  # one shared timer, reset each time
    clock.step(11)  # quiet longer than the reset duration
    assert _fires_after(clock, bm.backoff(), 1)


def test_jittered_backoff_manager(seeded) -> None:
    seeded(0)
    clock = FakeClock()
    bm = hw.new_jittered_backoff_manager(1, -1, clock)  # negative jitter: fixed
    for _ in range(3):
        assert _fires_after(clock, bm.backoff(), 1)
    bm2 = hw.new_jittered_backoff_manager(1, 1, clock)
    seeded(0)
    expected = 1 + random.Random(0).random()  # duration + U[0,1) * 1 * duration
    assert _fires_after(clock, bm2.backoff(), expected)


def test_exponential_backoff_manager_real_clock() -> None:
    bm = hw.new_exponential_backoff_manager(0.001, 0.004, 3600, 2.0, 0.0)
    for want in (0.001, 0.002, 0.004, 0.004):
        start = time.monotonic()
        bm.backoff().c.get(timeout=5)
        assert time.monotonic() - start >= want


# -- exponential_backoff (Go TestExponentialBackoff) --------------------------------


def counting(result: Callable[[int], Any]) -> tuple[list[int], Callable[..., Any]]:
    calls: list[int] = []

    def cond(*_: Any) -> Any:
        calls.append(len(calls) + 1)
        return result(len(calls))

    return calls, cond


def test_exponential_backoff_zero_steps_no_call() -> None:
    calls, cond = counting(lambda n: False)
    with pytest.raises(hw.WaitTimeout):
        hw.exponential_backoff(hw.Backoff(factor=1.0), cond)
    assert calls == []


def test_exponential_backoff_runs_steps_times_then_times_out() -> None:
    calls, cond = counting(lambda n: False)
    b = hw.Backoff(factor=1.0, steps=3)
    with pytest.raises(hw.WaitTimeout) as ei:
        hw.exponential_backoff(b, cond)
    assert len(calls) == 3
    assert ei.value is not hw.ErrWaitTimeout  # a fresh instance
    assert b.steps == 3  # passed by value


def test_exponential_backoff_returns_result_and_errors() -> None:
    b = hw.Backoff(factor=1.0, steps=3)
    calls, cond = counting(lambda n: n == 3 and "done")
    assert hw.exponential_backoff(b, cond) == "done"
    assert len(calls) == 3
    boom = RuntimeError("boom")

    def fails() -> bool:
        raise boom

    with pytest.raises(RuntimeError) as ei:
        hw.exponential_backoff(b, fails)
    assert ei.value is boom


def test_exponential_backoff_sleeps_follow_step() -> None:
    clock = FakeClock()
    seen: list[float] = []

    def cond() -> bool:
        seen.append(clock.now())
        return False

    with pytest.raises(hw.WaitTimeout):
        hw.exponential_backoff(hw.Backoff(duration=1, factor=2, steps=4, cap=3), cond, clock=clock)
    # Go: once a sleep truncated by the cap has completed, it stops (steps hit 0)
    assert seen == [0, 1]
    assert clock.now() == 3


# -- exponential_backoff_with_context (Go TestExponentialBackoffWithContext) ----------



@pytest.mark.parametrize(
    ("steps", "callback", "ctx_fn", "cancel_after", "attempts", "err", "zero"),
    [
        (0, lambda n: False, None, 0, 0, hw.WaitTimeout, False),
        (1, lambda n: False, None, 0, 1, hw.WaitTimeout, False),
        (1, lambda n: True, None, 0, 1, None, False),
        (5, lambda n: False, None, 0, 5, hw.WaitTimeout, False),
        (5, lambda n: n == 3, None, 0, 3, None, False),
        (5, fails, None, 0, 1, RuntimeError, False),
        (5, lambda n: False, cancelled, 0, 0, hw.Canceled, False),
        (5, lambda n: False, deadlined, 0, 0, hw.DeadlineExceeded, False),
        (5, lambda n: False, None, 4, 4, hw.Canceled, False),
        (5, lambda n: n == 3, None, 0, 3, None, True),
    ],
)
def test_exponential_backoff_with_context(
    steps: int, callback: Any, ctx_fn: Any, cancel_after: int, attempts: int, err: Any, zero: bool
) -> None:
    ctx, cancel = (ctx_fn or (lambda: hw.with_cancel(hw.background())))()
    b = hw.Backoff(duration=0 if zero else 1e-6, factor=1.0, steps=steps)
    seen = []

    def cond(c: hw.Context) -> Any:
        assert c is ctx
        seen.append(1)
        try:
            return callback(len(seen))
        finally:
            if cancel_after and len(seen) == cancel_after:
                cancel()

    if err is None:
        assert hw.exponential_backoff_with_context(ctx, b, cond)
    else:
        with pytest.raises(err) as ei:
            hw.exponential_backoff_with_context(ctx, b, cond)
        if err is RuntimeError:
            assert ei.value is CONDITION_ERR
    assert len(seen) == attempts
    cancel()


def test_exponential_backoff_with_context_cancel_interrupts_sleep(run_bg) -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    calls: queue.Queue[int] = queue.Queue()
    r = run_bg(lambda: hw.exponential_backoff_with_context(
        ctx, hw.Backoff(duration=3600, steps=5), lambda c: calls.put(1)))
    calls.get(timeout=5)
    start = time.monotonic()
    cancel()
    with pytest.raises(hw.Canceled):
        r.outcome(5)
    assert time.monotonic() - start < 2


def test_exponential_backoff_with_context_fake_clock(run_bg) -> None:
    clock = FakeClock()
    seen: queue.Queue[float] = queue.Queue()

    def cond(c: hw.Context) -> bool:
        seen.put(clock.now())
        return False

    r = run_bg(lambda: hw.exponential_backoff_with_context(
        hw.background(), hw.Backoff(duration=1, factor=2, steps=3), cond, clock=clock))
    assert seen.get(timeout=5) == 0
    for gap, at in ((1, 1), (2, 3)):
        assert clock.wait_for_waiters()
        clock.step(gap)
        assert seen.get(timeout=5) == at
    with pytest.raises(hw.WaitTimeout):
        r.outcome(5)
    assert not clock.has_waiters()
