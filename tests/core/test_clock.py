"""Chan, RealClock and FakeClock (Go k8s.io/utils/clock and clock/testing)."""

from __future__ import annotations

import queue
import threading
import time

import pytest

import hybridwait as hw
from hybridwait.testing import FakeClock


def test_chan_capacity_one_and_put_drops_when_full() -> None:
    c = hw.Chan()
    with pytest.raises(queue.Empty):
        c.get_nowait()
    assert c.put_nowait(1.0) is True
    assert c.put_nowait(2.0) is False
    assert c.get_nowait() == 1.0
    with pytest.raises(queue.Empty):
        c.get(timeout=0.01)


def test_chan_put_from_other_thread_wakes_get(run_bg) -> None:
    c = hw.Chan()
    getter = run_bg(lambda: c.get(timeout=30))
    time.sleep(0.02)
    c.put_nowait(7.0)
    assert getter.outcome(5) == 7.0


def test_closed_chan_always_ready() -> None:
    c = hw.Chan()
    c.close()
    assert c.closed
    assert c.get_nowait() == 0.0
    assert c.get(timeout=0) == 0.0
    assert c.put_nowait(1.0) is False


def test_real_timer_fires_once_after_duration() -> None:
    clock = hw.RealClock()
    start = clock.now()
    t = clock.new_timer(0.02)
    fired = t.c.get(timeout=5)
    assert clock.since(start) >= 0.02
    assert fired >= start + 0.02
    with pytest.raises(queue.Empty):
        t.c.get(timeout=0.03)  # one shot
    assert t.stop() is False  # already fired


def test_real_timer_stop_and_reset() -> None:
    clock = hw.RealClock()
    t = clock.new_timer(10)
    assert t.stop() is True
    assert t.stop() is False
    assert t.reset(0.01) is False
    assert t.c.get(timeout=5) > 0
    assert t.reset(10) is False
    assert t.reset(0) is True  # was pending
    t.c.get(timeout=5)


def test_real_timer_reset_drops_unreceived_value() -> None:
    clock = hw.RealClock()
    t = clock.new_timer(0)
    time.sleep(0.005)
    t.reset(10)
    with pytest.raises(queue.Empty):
        t.c.get_nowait()
    t.stop()


def test_reset_wakes_a_blocked_getter_to_new_due(run_bg) -> None:
    clock = hw.RealClock()
    t = clock.new_timer(3600)
    getter = run_bg(lambda: t.c.get(timeout=30))
    time.sleep(0.02)
    t.reset(0.01)
    assert getter.outcome(5) > 0


def test_real_ticker_drops_extra_ticks() -> None:
    clock = hw.RealClock()
    t0 = clock.now()
    tk = clock.new_ticker(0.01)
    time.sleep(0.1)  # ~10 ticks are due; the channel keeps only the first
    first = tk.c.get_nowait()
    assert t0 + 0.01 <= first < t0 + 0.02
    slept_until = clock.now()
    second = tk.c.get(timeout=5)  # the next one is on the grid after now: the rest dropped
    assert second > slept_until - 0.01
    assert abs(((second - first) / 0.01) - round((second - first) / 0.01)) < 1e-6
    tk.stop()
    with pytest.raises(queue.Empty):
        tk.c.get(timeout=0.03)


def test_real_after_and_sleep() -> None:
    clock = hw.RealClock()
    start = time.monotonic()
    clock.after(0.01).get(timeout=5)
    clock.sleep(0.01)
    clock.sleep(-1)
    assert time.monotonic() - start >= 0.02
    assert hw.real_timer(0).c.get(timeout=1) > 0


def test_timers_start_no_thread() -> None:
    before = threading.active_count()
    clock = hw.RealClock()
    timers = [clock.new_timer(60) for _ in range(500)]
    tickers = [clock.new_ticker(60) for _ in range(500)]
    assert threading.active_count() == before
    for t in timers:
        t.stop()
    for tk in tickers:
        tk.stop()


def test_wait_any_prefers_lowest_index_and_times_out() -> None:
    a, b = hw.Chan(), hw.Chan()
    assert hw.wait_any([a, b], 0.01) == -1
    b.put_nowait(1)
    a.put_nowait(1)
    assert hw.wait_any([a, b]) == 0
    ctx, cancel = hw.with_cancel(hw.background())
    assert hw.wait_any([ctx.done(), b]) == 1
    cancel()
    assert hw.wait_any([ctx.done(), b]) == 0


# -- FakeClock -------------------------------------------------------------------


def test_fake_clock_time() -> None:
    clock = FakeClock(start=100)
    assert clock.now() == 100
    clock.step(2.5)
    assert clock.now() == 102.5
    assert clock.since(100) == 2.5
    clock.set_time(50)
    assert clock.now() == 50
    clock.sleep(1)  # sleep == step: never blocks
    assert clock.now() == 51


def test_fake_timer_fires_only_when_time_reaches_it() -> None:
    clock = FakeClock()
    t = clock.new_timer(2)
    assert clock.has_waiters() and clock.waiters() == 1
    clock.step(1.999)
    with pytest.raises(queue.Empty):
        t.c.get_nowait()
    clock.step(0.001)
    assert t.c.get_nowait() == 2.0
    assert not clock.has_waiters()


def test_fake_timer_stop_reset() -> None:
    clock = FakeClock()
    t = clock.new_timer(1)
    assert t.stop() is True
    assert not clock.has_waiters()
    clock.step(5)
    with pytest.raises(queue.Empty):
        t.c.get_nowait()
    assert t.reset(1) is False
    assert t.reset(2) is True
    clock.step(1)
    with pytest.raises(queue.Empty):
        t.c.get_nowait()
    clock.step(1)
    assert t.c.get_nowait() == 7.0


def test_fake_ticker_holds_one_tick() -> None:
    clock = FakeClock()
    tk = clock.new_ticker(1)
    clock.step(1)
    clock.step(1)
    assert tk.c.get_nowait() == 1.0  # the second tick was dropped
    with pytest.raises(queue.Empty):
        tk.c.get_nowait()
    clock.step(3.5)  # a big step fires once and realigns on the grid
    assert tk.c.get_nowait() == 5.5
    clock.step(0.5)
    assert tk.c.get_nowait() == 6.0
    tk.stop()
    assert not clock.has_waiters()
    with pytest.raises(ValueError, match="positive"):
        clock.new_ticker(0)


def test_fake_clock_fires_in_time_order() -> None:
    clock = FakeClock()
    order: list[str] = []
    late, early = clock.after(3), clock.after(1)
    clock.step(5)
    for name, c in (("early", early), ("late", late)):
        c.get_nowait()
        order.append(name)
    assert order == ["early", "late"]


def test_fake_step_wakes_a_thread_waiting_on_its_timer(run_bg) -> None:
    clock = FakeClock()
    waiter = run_bg(lambda: clock.new_timer(10).c.get(timeout=30))
    assert clock.wait_for_waiters(1, timeout=5)
    clock.step(10)
    assert waiter.outcome(5) == 10.0


def test_wait_for_waiters_times_out() -> None:
    assert FakeClock().wait_for_waiters(1, timeout=0.01) is False
