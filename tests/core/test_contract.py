"""Every contract name is exported and callable with the parameter names of
shared/spec/wait-api.md (other code calls them by keyword)."""

from __future__ import annotations

import threading

import pytest

import hybridwait as hw
from hybridwait.testing import FakeClock


def test_all_lists_only_real_names() -> None:
    for name in hw.core.__all__:
        assert hasattr(hw, name), name


def test_keyword_names_of_the_contract() -> None:
    clock = FakeClock()
    ctx, cancel = hw.with_cancel(parent=hw.background())
    hw.with_cancel_cause(parent=ctx)[1](None)
    hw.with_timeout(parent=ctx, seconds=1)[1]()
    hw.with_deadline(parent=ctx, when=clock.now())[1]()
    assert hw.with_value(parent=ctx, key="k", value=1).value("k") == 1
    hw.context_for_channel(event=threading.Event())
    assert hw.interrupted(exc=None) is False
    hw.error_interrupted(cause=RuntimeError("x"))
    assert 1 <= hw.jitter(duration=1, max_factor=0.5) < 1.5
    b = hw.Backoff(duration=1, factor=2, jitter=0, steps=3, cap=10)
    b.timer(clock=clock).stop()
    b.delay_with_reset(clock=clock, reset_interval=5)()
    d = hw.DelayFunc(lambda: 0.0)
    d.timer(clock=clock).stop()
    assert d.until(ctx=ctx, immediate=True, sliding=False, condition=lambda c: 1) == 1
    assert hw.loop_condition_until_context(
        ctx=ctx, timer=hw.NoopTimer(), immediate=False, sliding=True, condition=lambda c: 2) == 2
    assert hw.exponential_backoff(backoff=hw.Backoff(steps=1), condition=lambda: 3) == 3
    assert hw.exponential_backoff_with_context(
        ctx=ctx, backoff=hw.Backoff(steps=1), condition=lambda c: 4) == 4
    bm = hw.new_exponential_backoff_manager(
        init=1, max=10, reset=60, factor=2.0, jitter=0.0, clock=clock)
    bm.backoff().stop()
    hw.new_jittered_backoff_manager(duration=1, jitter=0.1, clock=clock).backoff().stop()
    assert hw.poll_until_context_cancel(
        ctx=ctx, interval=0, immediate=True, condition=lambda c: 5) == 5
    assert hw.poll_until_context_timeout(
        ctx=ctx, interval=0, timeout=1, immediate=True, condition=lambda c: 6) == 6
    assert hw.poll_immediate(interval=1, timeout=1, condition=lambda: 7) == 7
    assert hw.poll_immediate_with_context(
        ctx=ctx, interval=1, timeout=1, condition=lambda c: 8) == 8
    assert hw.poll_immediate_until(interval=1, condition=lambda: 9, stop=threading.Event()) == 9
    assert hw.poll_immediate_until_with_context(ctx=ctx, interval=1, condition=lambda c: 10) == 10
    assert hw.poll_immediate_infinite(interval=1, condition=lambda: 11) == 11
    assert hw.poll_immediate_infinite_with_context(
        ctx=ctx, interval=1, condition=lambda c: 12) == 12
    assert hw.poll(interval=0.001, timeout=5, condition=lambda: 13) == 13
    assert hw.poll_with_context(ctx=ctx, interval=0.001, timeout=5, condition=lambda c: 14) == 14
    assert hw.poll_until(interval=0.001, condition=lambda: 15, stop=threading.Event()) == 15
    assert hw.poll_until_with_context(ctx=ctx, interval=0.001, condition=lambda c: 16) == 16
    assert hw.poll_infinite(interval=0.001, condition=lambda: 17) == 17
    assert hw.poll_infinite_with_context(ctx=ctx, interval=0.001, condition=lambda c: 18) == 18
    stop = threading.Event()
    stop.set()
    hw.until(f=lambda: None, period=1, stop=stop)
    hw.non_sliding_until(f=lambda: None, period=1, stop=stop)
    hw.jitter_until(f=lambda: None, period=1, jitter_factor=0.1, sliding=True, stop=stop)
    hw.backoff_until(f=lambda: None, backoff_manager=bm, sliding=True, stop=stop)
    cancel()
    hw.until_with_context(ctx=ctx, f=lambda c: None, period=1)
    hw.non_sliding_until_with_context(ctx=ctx, f=lambda c: None, period=1)
    hw.jitter_until_with_context(ctx=ctx, f=lambda c: None, period=1, jitter_factor=0,
                                 sliding=False)
    hw.backoff_until_with_context(ctx=ctx, f=lambda c: None, backoff_manager=bm, sliding=True)
    g = hw.Group()
    g.start(f=lambda: None)
    g.start_with_channel(stop=stop, f=lambda s: None)
    g.start_with_context(ctx=ctx, f=lambda c: None)
    g.wait()


@pytest.mark.parametrize("clock", [hw.RealClock(), FakeClock()])
def test_clock_protocol(clock: hw.Clock) -> None:
    assert isinstance(clock, hw.Clock)
    t = clock.new_timer(d=60)
    assert isinstance(t, hw.ClockTimer)
    assert t.reset(d=60) is True
    assert t.stop() is True
    tk = clock.new_ticker(d=60)
    assert isinstance(tk, hw.ClockTicker)
    tk.stop()
    assert isinstance(clock.after(d=60), hw.Chan)
    assert clock.since(t=clock.now()) >= 0
    clock.sleep(d=0)


def test_fake_clock_surface() -> None:
    clock = FakeClock(start=10.0)
    clock.step(d=1)
    clock.set_time(t=20)
    assert clock.now() == 20 and not clock.has_waiters()
