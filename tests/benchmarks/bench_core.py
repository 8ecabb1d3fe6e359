"""Micro-benchmarks of the core (a script, not a test): python tests/benchmarks/bench_core.py

Prints:
* zero-interval ``poll_until_context_cancel`` overhead per iteration (target <= 5 us),
  with a never-cancelled context and with a deadline context;
* ``Backoff.step()`` per call;
* ``with_timeout`` create + cancel per call;
* wake latency of a waiting loop after ``cancel()`` from another thread (p50/p99),
  of a loop after ``KickTimer.kick()``, and how late a 1 ms deadline is observed.
"""

from __future__ import annotations

import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable

import hybridwait as hw


def per_call(fn: Callable[[int], None], n: int, repeat: int = 5) -> float:
    """Best of ``repeat`` runs of ``fn(n)``, in microseconds per iteration."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(n)
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e6


def zero_interval_poll(ctx_factory: Callable[[], hw.Context]) -> Callable[[int], None]:
    def run(n: int) -> None:
        count = 0

        def cond(_ctx: hw.Context) -> bool:
            nonlocal count
            count += 1
            return count >= n

        hw.poll_until_context_cancel(ctx_factory(), 0, False, cond)

    return run


def bare_calls(n: int) -> None:
    count = 0

    def cond(_ctx: object) -> bool:
        nonlocal count
        count += 1
        return count >= n

    ctx = hw.background()
    while not cond(ctx):
        pass


def backoff_steps(n: int) -> None:
    b = hw.Backoff(duration=0.001, factor=1.5, jitter=0.1, steps=n + 1, cap=10.0)
    step = b.step
    for _ in range(n):
        step()


def timeouts(parent: hw.Context) -> Callable[[int], None]:
    def run(n: int) -> None:
        for _ in range(n):
            _ctx, cancel = hw.with_timeout(parent, 30)
            cancel()

    return run


def percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100)
    return statistics.median(samples), qs[98]


def cancel_wake_latency(rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        ctx, cancel = hw.with_cancel(hw.background())
        started = threading.Event()
        ended: list[float] = []

        def waiter(ctx: hw.Context = ctx, started: threading.Event = started,
                   ended: list[float] = ended) -> None:
            try:
                hw.poll_until_context_cancel(ctx, 3600, True, lambda c: started.set())
            except hw.Canceled:
                ended.append(time.perf_counter())

        t = threading.Thread(target=waiter)
        t.start()
        started.wait()
        time.sleep(0.002)  # let it block
        t0 = time.perf_counter()
        cancel()
        t.join()
        out.append((ended[0] - t0) * 1e6)
    return out


def kick_wake_latency(rounds: int) -> list[float]:
    timer = hw.KickTimer(hw.Backoff(duration=3600).timer())
    woke: list[float] = []
    gate = threading.Event()
    count = 0

    def cond(_ctx: hw.Context) -> bool:
        nonlocal count
        woke.append(time.perf_counter())
        gate.set()
        count += 1
        return count > rounds

    t = threading.Thread(
        target=hw.loop_condition_until_context, args=(hw.background(), timer, True, False, cond)
    )
    t.start()
    out = []
    for _ in range(rounds):
        gate.wait()
        gate.clear()
        time.sleep(0.002)
        t0 = time.perf_counter()
        timer.kick()
        gate.wait()
        out.append((woke[-1] - t0) * 1e6)
    timer.kick()
    t.join()
    return out


def deadline_lateness(rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        ctx, cancel = hw.with_timeout(hw.background(), 0.001)
        deadline = ctx.deadline()
        assert deadline is not None
        ctx.wait()
        out.append((time.monotonic() - deadline) * 1e6)
        cancel()
    return out


def main() -> None:
    print(f"# hybridwait core benchmarks — {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"# Python {platform.python_version()} on {platform.machine()}, "
          f"{len(__import__('os').sched_getaffinity(0))} CPUs, {platform.platform()}")
    threads_before = threading.active_count()
    n = 200_000
    bare = per_call(bare_calls, n)
    bg = per_call(zero_interval_poll(hw.background), n)
    parent, cancel_parent = hw.with_timeout(hw.background(), 3600)
    dl = per_call(zero_interval_poll(lambda: parent), n)
    print(f"zero-interval poll_until_context_cancel, background ctx : {bg:6.2f} us/iteration")
    print(f"zero-interval poll_until_context_cancel, deadline ctx   : {dl:6.2f} us/iteration")
    print(f"  (of which calling the condition itself               : {bare:6.2f} us)")
    print(f"Backoff.step (factor+jitter+cap)                        : "
          f"{per_call(backoff_steps, n):6.2f} us/call")
    print(f"with_timeout + cancel, parent background()              : "
          f"{per_call(timeouts(hw.background()), 50_000):6.2f} us/call")
    print(f"with_timeout + cancel, parent a live with_timeout ctx   : "
          f"{per_call(timeouts(parent), 50_000):6.2f} us/call")
    cancel_parent()
    p50, p99 = percentiles(cancel_wake_latency(300))
    print(f"wake latency after cancel() from another thread         : p50 {p50:6.1f} us, "
          f"p99 {p99:6.1f} us")
    p50, p99 = percentiles(kick_wake_latency(300))
    print(f"wake latency after KickTimer.kick() from another thread : p50 {p50:6.1f} us, "
          f"p99 {p99:6.1f} us")
    p50, p99 = percentiles(deadline_lateness(300))
    print(f"1 ms with_timeout observed late by                      : p50 {p50:6.1f} us, "
          f"p99 {p99:6.1f} us")
    before = threading.active_count()
    live = [hw.with_timeout(hw.background(), 30) for _ in range(2000)]
    print(f"threads added by 2,000 live with_timeout contexts       : "
          f"{threading.active_count() - before}")
    for _ctx, cancel in live:
        cancel()
    assert threading.active_count() == threads_before
    sys.stdout.flush()


if __name__ == "__main__":
    main()
