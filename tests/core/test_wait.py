"""The until family, crash protection, forever, never_stop and Group (Go wait.go/backoff.go)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import pytest

import hybridwait as hw
from hybridwait import crash
from hybridwait.testing import FakeClock


def test_until_stops_when_stop_is_set() -> None:
    stop = threading.Event()
    n = []

    def f() -> None:
        n.append(1)
        if len(n) == 3:
            stop.set()

    hw.until(f, 0.0005, stop)
    assert len(n) == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda f, stop: hw.until(f, 0, stop),
        lambda f, stop: hw.non_sliding_until(f, 0, stop),
        lambda f, stop: hw.jitter_until(f, 0, 1.0, True, stop),
        lambda f, stop: hw.backoff_until(f, hw.new_jittered_backoff_manager(0, 0), False, stop),
        lambda f, stop: hw.until_with_context(stop, lambda c: f(), 0),
        lambda f, stop: hw.non_sliding_until_with_context(stop, lambda c: f(), 0),
        lambda f, stop: hw.jitter_until_with_context(stop, lambda c: f(), 0, 1.0, False),
    ],
)
def test_f_never_runs_when_already_stopped(call: Any) -> None:
    stop = threading.Event()
    stop.set()
    n = []
    call(lambda: n.append(1), stop)
    ctx, cancel = hw.with_cancel(hw.background())
    cancel()
    call(lambda: n.append(1), ctx)  # a Context works as a stop too
    assert n == []


def _run_until(run_bg, sliding: bool, cost: float) -> list[float]:
    clock = FakeClock()
    ctx, cancel = hw.with_cancel(hw.background())
    times: list[float] = []
    q: queue.Queue[int] = queue.Queue()

    def f(c: hw.Context) -> None:
        times.append(clock.now())
        clock.step(cost)
        if len(times) == 3:
            cancel()
        q.put(1)

    loop = (hw.until_with_context if sliding else hw.non_sliding_until_with_context)
    r = run_bg(lambda: loop(ctx, f, 1, clock=clock))
    for _ in range(3):
        q.get(timeout=5)
        if len(times) < 3:
            assert clock.wait_for_waiters()
            time.sleep(0.005)
            clock.step(1 - cost if not sliding else 1)
    r.outcome(5)
    return [round(t, 6) for t in times]


def test_until_is_sliding(run_bg) -> None:
    # f takes 0.25; the 1 s period starts after it returns
    assert _run_until(run_bg, True, 0.25) == [0, 1.25, 2.5]


def test_non_sliding_until_period_includes_f(run_bg) -> None:
    assert _run_until(run_bg, False, 0.25) == [0, 1, 2]


def test_until_cancel_during_wait_returns_promptly(run_bg) -> None:
    stop = threading.Event()
    ran = threading.Event()
    r = run_bg(lambda: hw.until(ran.set, 3600, stop))
    assert ran.wait(5)
    t0 = time.monotonic()
    stop.set()
    r.outcome(5)
    assert time.monotonic() - t0 < 1


def test_jitter_until_negative_factor_is_not_jittered(run_bg) -> None:
    clock = FakeClock()
    stop = threading.Event()
    q: queue.Queue[float] = queue.Queue()
    r = run_bg(lambda: hw.jitter_until(lambda: q.put(clock.now()), 1, -30.0, True, stop,
                                       clock=clock))
    assert q.get(timeout=5) == 0
    for want in (1, 2):
        assert clock.wait_for_waiters()
        clock.step(1)
        assert q.get(timeout=5) == want
    stop.set()
    r.outcome(5)


def test_backoff_until_uses_manager_delays(run_bg) -> None:
    clock = FakeClock()
    stop = threading.Event()
    q: queue.Queue[float] = queue.Queue()
    bm = hw.new_exponential_backoff_manager(1, 4, 3600, 2.0, 0.0, clock)
    r = run_bg(lambda: hw.backoff_until(lambda: q.put(clock.now()), bm, True, stop))
    got = [q.get(timeout=5)]
    for gap in (1, 2, 4, 4):
        assert clock.wait_for_waiters()
        clock.step(gap)
        got.append(q.get(timeout=5))
    stop.set()
    r.outcome(5)
    assert got == [0, 1, 3, 7, 11]
    assert not clock.has_waiters()


def test_crash_reraises_after_handlers(crash_settings) -> None:
    boom = RuntimeError("boom")
    ctx, cancel = hw.with_cancel(hw.background())

    def f(c: hw.Context) -> None:
        raise boom

    with pytest.raises(RuntimeError) as ei:
        hw.until_with_context(ctx, f, 0)
    assert ei.value is boom
    assert crash_settings == [(ctx, boom)]
    cancel()


def test_crash_disabled_keeps_looping(crash_settings) -> None:
    crash.really_crash = False  # read at call time
    stop = threading.Event()
    n = []

    def f() -> None:
        n.append(1)
        if len(n) == 3:
            stop.set()
        raise ValueError(f"failure {len(n)}")

    hw.jitter_until(f, 0, 0.0, True, stop)
    assert len(n) == 3
    assert [str(e) for _, e in crash_settings] == ["failure 1", "failure 2", "failure 3"]


def test_default_handler_logs_traceback(caplog: pytest.LogCaptureFixture) -> None:
    saved = crash.really_crash
    crash.really_crash = False
    try:
        stop = threading.Event()

        def f() -> None:
            stop.set()
            raise KeyError("lost")

        with caplog.at_level(logging.ERROR, logger="hybridwait"):
            hw.until(f, 0, stop)
    finally:
        crash.really_crash = saved
    records = [r for r in caplog.records if r.name == "hybridwait"]
    assert records and records[0].levelno == logging.ERROR
    assert records[0].exc_info is not None and records[0].exc_info[0] is KeyError


def test_failing_handler_does_not_stop_others(crash_settings) -> None:
    def bad(ctx: Any, exc: BaseException) -> None:
        raise RuntimeError("handler bug")

    crash.panic_handlers.insert(0, bad)
    with pytest.raises(ZeroDivisionError):
        hw.until(lambda: 1 / 0, 0, threading.Event())
    assert len(crash_settings) == 1


def test_poll_conditions_do_not_go_through_crash_handlers(crash_settings) -> None:
    with pytest.raises(ZeroDivisionError):
        hw.poll_until_context_cancel(hw.background(), 0, True, lambda c: 1 / 0)
    assert crash_settings == []


def test_forever_runs_until_f_crashes(crash_settings) -> None:
    n = []

    def f() -> None:
        n.append(1)
        if len(n) == 4:
            raise SystemError("stop forever")

    with pytest.raises(SystemError):
        hw.forever(f, 0.0001)
    assert len(n) == 4


def test_never_stop() -> None:
    assert hw.never_stop.err() is None
    assert not hw.never_stop.done().is_set()
    assert hw.never_stop.wait(0.001) is False


def test_group_runs_and_waits() -> None:
    g = hw.Group()
    stop = threading.Event()
    ctx, cancel = hw.with_cancel(hw.background())
    results: queue.Queue[str] = queue.Queue()
    g.start(lambda: results.put("plain"))
    g.start_with_channel(stop, lambda s: (s.wait(5), results.put("channel")))
    g.start_with_context(ctx, lambda c: (c.wait(5), results.put("context")))
    g.start_with_context(stop, lambda c: results.put(type(c).__name__))  # Event -> Context
    stop.set()
    cancel()
    g.wait()
    got = sorted(results.get_nowait() for _ in range(4))
    assert got == ["_ChannelContext", "channel", "context", "plain"]
    assert not [t for t in threading.enumerate() if t.name.startswith("hybridwait-group")]


def test_group_wait_with_nothing_started() -> None:
    hw.Group().wait()


def test_group_runs_until_loops() -> None:
    g = hw.Group()
    stop = threading.Event()
    counts = [0, 0]

    def make(i: int) -> Any:
        def f() -> None:
            counts[i] += 1

        return lambda: hw.until(f, 0.001, stop)

    g.start(make(0))
    g.start(make(1))
    time.sleep(0.02)
    stop.set()
    g.wait()
    assert counts[0] >= 1 and counts[1] >= 1
