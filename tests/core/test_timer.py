"""The three Go timer kinds, chosen by Backoff.timer(), and KickTimer."""

from __future__ import annotations

import queue

import pytest

import hybridwait as hw
from hybridwait.testing import FakeClock


def test_backoff_timer_kinds() -> None:
    assert isinstance(hw.Backoff().timer(), hw.NoopTimer)
    assert isinstance(hw.Backoff(duration=-1).timer(), hw.NoopTimer)
    assert isinstance(hw.Backoff(duration=1).timer(), hw.FixedTimer)
    assert isinstance(hw.Backoff(duration=1, steps=1).timer(), hw.FixedTimer)
    assert isinstance(hw.Backoff(duration=1, steps=2).timer(), hw.VariableTimer)
    assert isinstance(hw.Backoff(duration=1, jitter=0.1).timer(), hw.VariableTimer)
    assert isinstance(hw.Backoff(duration=0, jitter=-0.1).timer(), hw.VariableTimer)


def test_all_kinds_satisfy_the_protocol() -> None:
    for t in (hw.NoopTimer(), hw.FixedTimer(1), hw.VariableTimer(lambda: 1.0), hw.KickTimer()):
        assert isinstance(t, hw.Timer)
        t.stop()


def test_noop_timer_always_ready() -> None:
    t = hw.NoopTimer()
    for _ in range(3):
        t.c.get_nowait()
        t.next()
    t.stop()


def test_fixed_timer_is_a_lazy_ticker() -> None:
    clock = FakeClock()
    t = hw.FixedTimer(2, clock)
    assert not clock.has_waiters()  # created on first .c
    c = t.c
    assert clock.has_waiters()
    clock.step(2)
    assert c.get_nowait() == 2.0
    t.next()  # no-op: schedule is the ticker's
    clock.step(2)
    assert c.get_nowait() == 4.0
    t.stop()
    assert not clock.has_waiters()


def test_variable_timer_takes_each_interval_from_fn() -> None:
    clock = FakeClock()
    delays = iter([1.0, 2.0, 4.0])
    t = hw.VariableTimer(lambda: next(delays), clock)
    t.next()  # before .c: nothing to do
    c = t.c
    clock.step(1)
    c.get_nowait()
    t.next()
    clock.step(1.5)
    with pytest.raises(queue.Empty):
        c.get_nowait()
    clock.step(0.5)
    c.get_nowait()
    t.next()
    clock.step(4)
    assert c.get_nowait() == 7.0  # 1, 1+2, 3+4
    t.stop()
    assert not clock.has_waiters()


def test_kick_timer_fires_early_then_keeps_schedule() -> None:
    clock = FakeClock()
    t = hw.KickTimer(hw.Backoff(duration=10).timer(clock), clock)
    c = t.c
    assert t.kick() is True
    assert t.kick() is False  # one pending wake-up is enough
    assert c.get_nowait() == 0.0
    clock.step(10)
    assert c.get_nowait() == 10.0
    t.stop()
    assert not clock.has_waiters()


def test_kick_timer_without_inner_fires_only_on_kick() -> None:
    t = hw.KickTimer()
    with pytest.raises(queue.Empty):
        t.c.get(timeout=0.01)
    t.kick()
    t.c.get_nowait()
    with pytest.raises(TypeError, match="inner"):
        hw.KickTimer(object())  # type: ignore[arg-type]


def test_kick_wakes_a_loop_from_another_thread(run_bg) -> None:
    t = hw.KickTimer(hw.Backoff(duration=3600).timer())
    calls: queue.Queue[int] = queue.Queue()
    n = [0]

    def cond(ctx: hw.Context) -> bool:
        n[0] += 1
        calls.put(n[0])
        return n[0] >= 3

    loop = run_bg(lambda: hw.loop_condition_until_context(hw.background(), t, True, False, cond))
    assert calls.get(timeout=5) == 1  # immediate
    t.kick()
    assert calls.get(timeout=5) == 2
    t.kick()
    assert calls.get(timeout=5) == 3
    assert loop.outcome(5) is True
