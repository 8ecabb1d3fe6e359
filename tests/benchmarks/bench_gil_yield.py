"""How long a thread woken from a blocking call waits for the GIL while another
thread runs Python code, depending on how that thread gives the GIL away.

This is the situation of the engine's watcher thread (woken from ``recv``)
while the sweeper re-checks thousands of waits in bulk, or of a caller thread
woken by its future while the watcher goes on: CPython hands the GIL over
only when the holder blocks, or after a switch interval (5 ms by default).

One thread spins in slices of ``--slice`` ms; between slices it gives the GIL
away with ``time.sleep(Y)`` for each Y (or not at all). A second thread sleeps
1 ms in a loop and records how late it wakes (its GIL wait). Prints p50/p99/max.

Usage::

    python3 tests/benchmarks/bench_gil_yield.py
"""

from __future__ import annotations

import argparse
import sys
import threading
import time


def run(yield_s: float | None, slice_s: float, seconds: float) -> list[float]:
    """Latenesses (s) of a 1 ms sleeper while another thread spins."""
    stop = threading.Event()
    late: list[float] = []

    def sleeper() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            time.sleep(0.001)
            late.append(time.perf_counter() - t - 0.001)

    th = threading.Thread(target=sleeper, name="bench-sleeper")
    th.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        s = time.perf_counter() + slice_s
        while time.perf_counter() < s:
            pass
        if yield_s is not None:
            time.sleep(yield_s)
    stop.set()
    th.join()
    return sorted(late)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slice", type=float, default=0.4, help="ms of work between yields")
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    print(f"switch interval {sys.getswitchinterval() * 1000:.1f} ms; "
          f"work slices of {args.slice} ms")
    for y in (None, 0.0, 0.0002):
        late = run(y, args.slice / 1000, args.seconds)
        name = "no yield" if y is None else f"time.sleep({y:g}) between slices"
        print(f"{name:34s} sleeper's GIL wait: p50 {late[len(late) // 2] * 1000:.3f} ms, "
              f"p99 {late[int(len(late) * 0.99)] * 1000:.3f} ms, max {late[-1] * 1000:.3f} ms "
              f"({len(late)} wake-ups)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
