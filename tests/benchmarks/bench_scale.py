"""Scaling run: 10,000 hybridwait waiters on 10,000 pods in one client process.

Same harness as ``bench_compare.py`` (one emulator in this process, the
client in its own process via ``bench_contender.py --contender hybridwait
--scale``: one user thread per ``eng.wait`` call, one shared ``Engine``).

Two phases on the same waiters:

1. **latency**: the first half of the pods become Ready one by one, spread
   over ``--spread`` seconds (event->wake latency at 10,000 live waiters);
2. **dispatch rate**: the watch streams are stalled (``faults.stall_watches``),
   the other half become Ready at once, then the stall ends and the server
   sends the whole backlog in one burst; the client records the engine's
   ``events`` counter every 5 ms, so the rate at which events go into the
   cache is measured with the engine, not the server, as the bottleneck.

Printed (and written to the ``scale`` section of docs/benchmarks.md): peak RSS
of the client process, engine threads (threads not started by the harness),
dispatch rate, latency percentiles, API requests.

Usage::

    python3 tests/benchmarks/bench_scale.py             # N = 10,000
    python3 tests/benchmarks/bench_scale.py --n 2000    # smaller
"""

from __future__ import annotations

import argparse
import json
import queue
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compare import CHILD, ROOT, Bench, _reader, machine, pct, write_section


def dispatch_rate(samples: list[tuple[float, int]], start_events: int, burst: int
                  ) -> tuple[float, float]:
    """Events/s into the cache for the burst: from the last sample before the
    count left ``start_events`` to the first sample at ``start_events + burst``.
    Returns (rate, seconds)."""
    t_begin = t_end = None
    for t, n in samples:
        if n <= start_events:
            t_begin = t
        elif n >= start_events + burst and t_end is None:
            t_end = t
    if t_begin is None or t_end is None or t_end <= t_begin:
        return float("nan"), float("nan")
    return burst / (t_end - t_begin), t_end - t_begin


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--spread", type=float, default=5.0)
    ap.add_argument("--stall", type=float, default=6.0, help="seconds of the watch stall")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true")
    args = ap.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bench = Bench()
    srv = bench.srv
    n, ns = args.n, "scale"
    t = time.monotonic()
    names = bench.make_pods(ns, n)
    print(f"created {n} pods in {time.monotonic() - t:.1f}s", flush=True)
    srv.reset_requests()
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), "--contender", "hybridwait", "--scale",
         "--kubeconfig", srv.kubeconfig, "--namespace", ns, "--n", str(n),
         "--interval", str(args.interval), "--timeout", "600"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    q: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc, q), daemon=True).start()
    try:
        line = q.get(timeout=300)
        assert line is not None and line.strip() == "READY", line
        t_ready = time.monotonic()
        # settle: the engine's watch is open and no request for 2 s
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() - t_ready < 120:
            total = sum(srv.request_counts().values())
            if total != last:
                last, quiet_since = total, time.monotonic()
            elif bench.watches_open() >= 1 and time.monotonic() - quiet_since >= 2.0:
                break
            time.sleep(0.1)
        print(f"settled {time.monotonic() - t_ready:.1f}s after READY; "
              f"requests so far {srv.request_counts()}", flush=True)
        half = n // 2
        first, second = names[:half], names[half:]
        # phase 1: latency
        step = args.spread / len(first)
        t0 = time.monotonic() + 0.05
        for i, name in enumerate(first):
            delay = t0 + i * step - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            bench.flip(ns, name)
        time.sleep(2 * args.interval + 1)
        # phase 2: burst behind a stall
        srv.faults.stall_watches(args.stall)
        time.sleep(0.2)
        tb = time.monotonic()
        for name in second:
            bench.flip(ns, name)
        write_s = time.monotonic() - tb
        print(f"burst of {len(second)} writes committed in {write_s:.2f}s during the stall",
              flush=True)
        out: list[str] = []
        while True:
            got = q.get(timeout=600)
            if got is None:
                break
            out.append(got)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
        counts = srv.request_counts()
        bench.close()
    res: dict[str, Any] = json.loads(out[-1])
    wakes = res["wakes"]
    lat = [(wakes[nm] - bench.commits[(ns, nm)]) * 1000 for nm in first
           if nm in wakes and (ns, nm) in bench.commits]
    samples = [tuple(s) for s in res["extra"]["event_samples"]]
    before = [ev for tt, ev in samples if tt < tb]
    start_events = max(before) if before else 0
    rate, secs = dispatch_rate(samples, start_events, len(second))  # type: ignore[arg-type]
    stats = res["extra"]["stats"]
    figures = {
        "n": n, "met": len(wakes), "errors": len(res["errors"]),
        "peak_rss_mb": res["peak_rss_kb"] / 1024, "base_rss_mb": res["base_rss_kb"] / 1024,
        "peak_threads": res["peak_threads"], "engine_threads": res["extra"]["engine_threads_peak"],
        "dispatch_rate": rate, "dispatch_s": secs, "burst": len(second),
        "p50_ms": pct(lat, 50) if lat else None, "p99_ms": pct(lat, 99) if lat else None,
        "max_ms": max(lat) if lat else None,
        "requests": counts, "requests_per_wait": sum(counts.values()) / max(1, len(wakes)),
        "cpu_s": res["cpu_s"], "engine_stats": stats,
    }
    print(json.dumps(figures, indent=1))
    if not args.no_doc:
        body = "\n".join([
            "Command: `python3 tests/benchmarks/bench_scale.py"
            + ("`  " if n == 10_000 else f" --n {n}`  "),
            f"Machine: {machine()}",
            "",
            "| figure | value | target |",
            "|---|---|---|",
            f"| waits met | {figures['met']}/{n} ({figures['errors']} failed) | all |",
            f"| peak RSS of the client process | {figures['peak_rss_mb']:.0f} MB "
            f"(after imports: {figures['base_rss_mb']:.0f} MB) | <= 200 MB |",
            f"| engine threads (peak; not the {n} caller threads) | "
            f"{figures['engine_threads']} | must not grow with waiters |",
            f"| peak OS threads in the process | {figures['peak_threads']} | - |",
            f"| event dispatch into the cache | {rate:,.0f} events/s "
            f"({len(second)} events in {secs * 1000:.0f} ms) | >= 20,000 events/s |",
            f"| event->wake latency, phase 1 ({len(first)} writes over {args.spread:g} s) | "
            f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, "
            f"max {figures['max_ms']:.1f} ms | - |",
            f"| API requests (all verbs) | {sum(counts.values())} "
            f"({figures['requests_per_wait']:.4f} per wait): {counts} | - |",
            f"| client CPU | {figures['cpu_s']:.1f} s | - |",
        ])
        write_section(Path(args.doc), "scale", body)
        print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
