"""Scaling run: 10,000 hybridwait waiters on 10,000 pods in one client process.

Same harness as ``bench_compare.py`` (one emulator in this process, the
client in its own process via ``bench_contender.py --contender hybridwait
--scale``: one user thread per ``eng.wait`` call, one shared ``Engine``).

Two phases on the same waiters:

1. **latency**: the first half of the pods become Ready one by one, spread
   over ``--spread`` seconds (event->wake latency at 10,000 live waiters);
2. **dispatch rate**: the watch streams are stalled (``faults.stall_watches``),
   the other half become Ready at once, then the stall ends and the server
   sends the whole backlog in one burst. With ``--stage-probes`` the client
   runs with the breakdown's probes (``bench_contender.py --trace``): the
   wall-clock dispatch time is from the
   instant the HTTP client returned the burst's first chunk to the instant its
   last event was stored in the cache, so it counts only the engine's work
   (decoding, applying, waking and finishing waits, and whatever competes
   with it for the GIL in the client), not how fast the server writes.
   (An earlier version sampled the engine's ``events`` counter every 5 ms;
   that counter moves once per chunk, so when a burst arrives in a few large
   chunks the samples say nothing about the rate: it read 3,852 to 21,913
   events/s, and 600,000 events/s once the server sent the burst in one chunk.)

Also from chunk stamps alone (no per-event probe needed): the burst's events
per CPU second of the watcher on every chunk received after the stall began,
and, in the client after the run, bare ``json.loads`` and ``orjson.loads``
loops over the very lines of those chunks (lines per CPU second), with the
ratios dispatch ÷ bare loop: how close dispatch is to the decode limit.
By default the client runs with the chunk stamps only; ``--stage-probes``
adds the per-stage probes (a stamp dict per pod, kept to the end of the run:
in a burst they cost ~20 % of the watcher's time and, being long-lived
allocations, can bring on a full garbage collection), for the stage rows.

Printed (and written to the ``scale`` section of docs/benchmarks.md): peak RSS
of the client process, engine threads (threads not started by the harness),
dispatch rate, latency percentiles, API requests.

Usage::

    python3 tests/benchmarks/bench_scale.py             # N = 10,000, three consecutive runs
    python3 tests/benchmarks/bench_scale.py --futures   # the same with eng.submit futures
    python3 tests/benchmarks/bench_scale.py --n 2000 --runs 1 --no-doc   # smaller
    python3 tests/benchmarks/bench_scale.py --futures --runs 1 --no-doc --stage-probes
"""

from __future__ import annotations

import argparse
import json
import queue
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_breakdown import LABELS as STAGE_LABELS
from bench_breakdown import deltas
from bench_compare import CHILD, ROOT, Bench, _reader, machine, pct, write_section


def dispatch_rate(stages: dict[str, dict[str, float]], busy: list[list[float]],
                  burst: list[str]) -> tuple[float, float, float, float]:
    """The burst's events ÷ the watcher's own time from the burst's first chunk
    received to its last event applied to the cache: the wall time of that
    window minus the time the watcher spent waiting for the server's next
    chunk (decoding, applying, waking and finishing waits, and waiting for the
    GIL, are counted). Returns (rate, busy seconds, wall seconds, CPU rate):
    the CPU rate divides by the watcher thread's CPU time on the burst's chunks
    instead (``time.thread_time``, each chunk's whole handling: decoding,
    applying, ending the waits it meets), so it does not depend on how much
    of the machine other processes take."""
    got = [stages[name] for name in burst if name in stages and "applied" in stages[name]]
    if len(got) < len(burst):
        return float("nan"), float("nan"), float("nan"), float("nan")
    t_begin = min(st["chunk"] for st in got)
    t_end = max(st["applied"] for st in got)
    # the watcher's own time inside the window (intervals clipped to it)
    work = sum(max(0.0, min(b[1], t_end) - max(b[0], t_begin)) for b in busy)
    cpu = sum(b[3] - b[2] for b in busy if t_begin <= b[0] <= t_end)
    if work <= 0 or cpu <= 0:
        return float("nan"), float("nan"), t_end - t_begin, float("nan")
    return len(burst) / work, work, t_end - t_begin, len(burst) / cpu


def burst_chunks(busy: list[list[float]], loads: list[list[float]], wakes: list[list[float]],
                 since: float, events: int) -> dict[str, float]:
    """Chunk-level figures of the burst, needing no per-event probe: every chunk
    the client received after the stall began (``since``, the harness's
    ``time.monotonic``, the same clock as the client's on Linux) carried the
    burst. Returns the burst's events per CPU second of the watcher on those
    chunks, and the bare decode loops over the very same lines, timed in the
    client after the run (lines per CPU second of ``json.loads`` and
    ``orjson.loads``) and the ratios dispatch ÷ bare loop. ``wakes`` (per call
    of the registry's ``wake_many``: instant, watcher CPU) splits that CPU time
    in two: events into the cache (framing, decoding, the transform, applying,
    finding the waiters: the chunk's time outside ``wake_many``) and ending
    the waits they met (inside it: each touched wait's check on the watcher
    thread, its release, its future's completion and done-callbacks)."""
    cpu = sum(b[3] - b[2] for b in busy if b[0] >= since)
    woke = sum(w[1] for w in wakes if w[0] >= since)
    mine = [c for c in loads if c[0] >= since]
    lines = sum(c[1] for c in mine)
    js, oj = sum(c[2] for c in mine), sum(c[3] for c in mine)
    rate = events / cpu if cpu > 0 else float("nan")
    into_cache = events / (cpu - woke) if cpu > woke else float("nan")
    ending = events / woke if woke > 0 else float("nan")
    json_rate = lines / js if js > 0 else float("nan")
    orjson_rate = lines / oj if oj > 0 else float("nan")
    return {"chunk_cpu_rate": rate, "into_cache_rate": into_cache, "ending_rate": ending,
            "burst_chunks": sum(1 for b in busy if b[0] >= since),
            "burst_lines": lines, "json_rate": json_rate, "orjson_rate": orjson_rate,
            "vs_json": into_cache / json_rate, "vs_orjson": into_cache / orjson_rate,
            "whole_vs_json": rate / json_rate}


def one_run(bench: Bench, args: argparse.Namespace, ns: str) -> dict[str, Any]:
    """One scaling run in namespace ``ns``: returns its figures."""
    srv = bench.srv
    n = args.n
    t = time.monotonic()
    names = bench.make_pods(ns, n)
    print(f"created {n} pods in {time.monotonic() - t:.1f}s", flush=True)
    srv.reset_requests()
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), "--contender",
         "hybridwait-futures" if args.futures else "hybridwait", "--scale",
         "--trace" if args.stage_probes else "--chunk-probe",
         "--kubeconfig", srv.kubeconfig, "--namespace", ns, "--n", str(n),
         "--interval", str(args.interval), "--timeout", "600",
         *(["--gc-freeze"] if args.gc_freeze else [])],
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
        t_stall = time.monotonic()
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
    res: dict[str, Any] = json.loads(out[-1])
    wakes = res["wakes"]
    lat = [(wakes[nm] - bench.commits[(ns, nm)]) * 1000 for nm in first
           if nm in wakes and (ns, nm) in bench.commits]
    rate, secs, wall, cpu_rate = dispatch_rate(res["extra"]["stages"],
                                               res["extra"]["chunk_busy"], second)
    chunked = burst_chunks(res["extra"]["chunk_busy"], res["extra"]["chunk_loads"],
                           res["extra"]["wake_cpu"], t_stall, len(second))
    # the garbage collector during the burst's chunks (any thread; the watcher
    # is the one allocating then): full collections and all of them, in ms
    spans = [(b[0], b[1]) for b in res["extra"]["chunk_busy"] if b[0] >= t_stall]
    in_burst = [c for c in res["extra"]["collections"]
                if any(a <= c[0] <= z for a, z in spans)]
    chunked["gc_full_ms"] = sum(c[2] for c in in_burst if c[1] == 2) * 1000
    chunked["gc_full_n"] = sum(1 for c in in_burst if c[1] == 2)
    chunked["gc_all_ms"] = sum(c[2] for c in in_burst) * 1000
    chunked["burst_cpu_ms"] = len(second) / chunked["chunk_cpu_rate"] * 1000
    # where phase 1's latency went (the breakdown's stages, phase-1 pods only)
    in_first = set(first)
    phase1 = {"extra": {"stages": {nm: st for nm, st in res["extra"]["stages"].items()
                                   if nm in in_first}},
              "commit_at": {nm: bench.commits[(ns, nm)] for nm in first
                            if (ns, nm) in bench.commits},
              "wakes": wakes}
    stages = {k: (pct(v, 50), pct(v, 99)) for k, v in deltas(phase1).items() if v}
    stats = res["extra"]["stats"]
    bench.drop_pods(ns, names)
    figures = {
        "n": n, "met": len(wakes), "errors": len(res["errors"]),
        "peak_rss_mb": res["peak_rss_kb"] / 1024, "base_rss_mb": res["base_rss_kb"] / 1024,
        "peak_threads": res["peak_threads"], "engine_threads": res["extra"]["engine_threads_peak"],
        "dispatch_rate": rate, "dispatch_s": secs, "dispatch_wall_s": wall,
        "dispatch_cpu_rate": cpu_rate,
        "burst": len(second), "half": len(first),
        "p50_ms": pct(lat, 50) if lat else None, "p99_ms": pct(lat, 99) if lat else None,
        "max_ms": max(lat) if lat else None,
        "requests": counts, "requests_per_wait": sum(counts.values()) / max(1, len(wakes)),
        "cpu_s": res["cpu_s"], "engine_stats": stats, "phase1_stages": stages,
        **chunked,
    }
    print(json.dumps({k: v for k, v in figures.items()
                      if k not in ("engine_stats", "phase1_stages")}), flush=True)
    for k, (p50, p99) in stages.items():
        print(f"  phase 1 {STAGE_LABELS[k]}: p50 {p50:.3f} ms, p99 {p99:.3f} ms", flush=True)
    return figures


def _span(vals: list[float], fmt: str) -> str:
    med = statistics.median(vals)
    if len(vals) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(vals))}-{fmt.format(max(vals))})"


def stage_rows(runs: list[dict[str, Any]], rates: list[float], spread: float,
               cpu_rates: list[float], cpu_spread: float) -> list[str]:
    """The two table rows that need the per-stage probes (``--stage-probes``)."""
    return [
        "| event dispatch into the cache: burst events / the watcher's own time "
        f"| {_span(rates, '{:,.0f}')} events/s for {runs[-1]['burst']} events "
        f"(wall time, first chunk to last event applied: "
        f"{_span([r['dispatch_wall_s'] * 1000 for r in runs], '{:.0f}')} ms); "
        f"runs: {', '.join(f'{r:,.0f}' for r in rates)} ((max-min)/median {spread:.0f}%) "
        "| >= 20,000 events/s |",
        "| burst events / the watcher thread's CPU time on the burst's chunks "
        "(`time.thread_time`: decoding, applying, ending the waits they meet; with the "
        "stage probes) "
        f"| {_span(cpu_rates, '{:,.0f}')} events/s; "
        f"runs: {', '.join(f'{r:,.0f}' for r in cpu_rates)} "
        f"((max-min)/median {cpu_spread:.0f}%) | - |",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3, help="consecutive runs (default 3)")
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--spread", type=float, default=5.0)
    ap.add_argument("--stall", type=float, default=6.0, help="seconds of the watch stall")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--stage-probes", action="store_true",
                    help="also stamp every event's stages (the breakdown's probes): adds the "
                    "wall-clock dispatch rows, at a cost (see the module doc)")
    ap.add_argument("--gc-freeze", action="store_true",
                    help="the client calls gc.freeze() once its waits are set up")
    ap.add_argument("--futures", action="store_true",
                    help="one eng.submit future per pod instead of a caller thread per wait")
    args = ap.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bench = Bench()
    try:
        runs = [one_run(bench, args, f"scale-{i}") for i in range(args.runs)]
    finally:
        bench.close()
    n = args.n
    rates = [r["dispatch_rate"] for r in runs]
    spread = (max(rates) - min(rates)) / statistics.median(rates) * 100
    cpu_rates = [r["dispatch_cpu_rate"] for r in runs]
    cpu_spread = (max(cpu_rates) - min(cpu_rates)) / statistics.median(cpu_rates) * 100
    def spread_of(key: str) -> tuple[list[float], float]:
        vals = [r[key] for r in runs]
        return vals, (max(vals) - min(vals)) / statistics.median(vals) * 100

    ch_rates, ch_spread = spread_of("chunk_cpu_rate")
    in_rates, in_spread = spread_of("into_cache_rate")
    end_rates, end_spread = spread_of("ending_rate")
    print(f"burst events into the cache per CPU second of the watcher (chunks after the stall "
          f"began, outside wake_many): {', '.join(f'{r:,.0f}' for r in in_rates)}; "
          f"(max-min)/median = {in_spread:.0f}%")
    print(f"the waits they met ended (inside wake_many), per CPU second: "
          f"{', '.join(f'{r:,.0f}' for r in end_rates)}; (max-min)/median = {end_spread:.0f}%")
    for r in runs:
        print(f"  the burst came in {r['burst_chunks']} chunks; the collector during them: "
              f"{r['gc_full_n']} full collection(s) "
              f"{r['gc_full_ms']:.0f} ms, all generations {r['gc_all_ms']:.0f} ms, of the "
              f"chunks' {r['burst_cpu_ms']:.0f} ms of watcher CPU")
    print(f"both together (the chunks' whole CPU time): "
          f"{', '.join(f'{r:,.0f}' for r in ch_rates)}; (max-min)/median = {ch_spread:.0f}%")
    for r in runs:
        print(f"  bare loops over the burst's {r['burst_lines']} lines: json.loads "
              f"{r['json_rate']:,.0f}/s, orjson.loads {r['orjson_rate']:,.0f}/s; into the cache"
              f" / json.loads = {r['vs_json']:.2f}, / orjson.loads = {r['vs_orjson']:.2f}")
    if args.stage_probes:
        print(f"dispatch (stage probes, first chunk to last event applied): "
              f"{', '.join(f'{r:,.0f}' for r in rates)} events/s; "
              f"(max-min)/median = {spread:.0f}%")
        print(f"dispatch per CPU second of the watcher: "
              f"{', '.join(f'{r:,.0f}' for r in cpu_rates)} events/s; "
              f"(max-min)/median = {cpu_spread:.0f}%")
    if not args.no_doc:
        last = runs[-1]
        counts = last["requests"]
        met = ", ".join(f"{r['met']}/{n}" for r in runs)
        mode = "futures (`eng.submit`)" if args.futures else "caller threads (`eng.wait`)"
        body = "\n".join([
            "Command: `python3 tests/benchmarks/bench_scale.py"
            + ("" if n == 10_000 else f" --n {n}") + (" --futures" if args.futures else "")
            + (f" --runs {args.runs}" if args.runs != 3 else "")
            + (" --stage-probes" if args.stage_probes else "")
            + (" --gc-freeze" if args.gc_freeze else "") + "`  ",
            f"Machine: {machine()}  ",
            f"{n:,} waits as {mode}; {args.runs} consecutive runs, cells: median (min-max).",
            "",
            "| figure | value | target |",
            "|---|---|---|",
            f"| waits met | {met} | all |",
            "| peak RSS of the client process | "
            f"{_span([r['peak_rss_mb'] for r in runs], '{:.0f}')} MB "
            f"(after imports: {last['base_rss_mb']:.0f} MB) | <= 200 MB |",
            f"| engine threads (peak; not caller threads) | "
            f"{_span([r['engine_threads'] for r in runs], '{:.0f}')} "
            "| must not grow with waiters |",
            f"| peak OS threads in the process | "
            f"{_span([r['peak_threads'] for r in runs], '{:.0f}')} | - |",
            *(stage_rows(runs, rates, spread, cpu_rates, cpu_spread)
              if args.stage_probes else []),
            "| **events into the cache** (chunk stamps, no per-event probe): burst events / "
            "the watcher's CPU time on every chunk received after the stall began, minus its "
            "time in the registry's `wake_many` (framing, decoding, the transform, applying "
            "to the cache, finding the waiters) "
            f"| {_span(in_rates, '{:,.0f}')} events/s; "
            f"runs: {', '.join(f'{r:,.0f}' for r in in_rates)} "
            f"((max-min)/median {in_spread:.0f}%) | >= 50,000 events/s, reproduced within 20 % |",
            "| ending the waits those events met: burst events / the watcher's CPU time in "
            "`wake_many` (each touched wait checked on the watcher thread, released, its future "
            "completed, its done-callbacks run) "
            f"| {_span(end_rates, '{:,.0f}')} events/s; "
            f"runs: {', '.join(f'{r:,.0f}' for r in end_rates)} "
            f"((max-min)/median {end_spread:.0f}%) | - |",
            "| both: burst events / the watcher's whole CPU time on those chunks "
            f"| {_span(ch_rates, '{:,.0f}')} events/s; "
            f"runs: {', '.join(f'{r:,.0f}' for r in ch_rates)} "
            f"((max-min)/median {ch_spread:.0f}%) | - |",
            "| the garbage collector during the burst's chunks (`gc.callbacks`, wall time): "
            "full collections; all generations; the chunks' watcher CPU "
            f"| {', '.join(str(r['gc_full_n']) for r in runs)} full, "
            f"{_span([r['gc_full_ms'] for r in runs], '{:.0f}')} ms; "
            f"{_span([r['gc_all_ms'] for r in runs], '{:.0f}')} ms; "
            f"of {_span([r['burst_cpu_ms'] for r in runs], '{:.0f}')} ms | - |",
            "| bare decode loops over the burst's same lines, in the client "
            "(lines per CPU second) | "
            f"`json.loads` {_span([r['json_rate'] for r in runs], '{:,.0f}')}, "
            f"`orjson.loads` {_span([r['orjson_rate'] for r in runs], '{:,.0f}')} | - |",
            "| events into the cache ÷ bare loop | "
            f"÷ `json.loads` {_span([r['vs_json'] for r in runs], '{:.2f}')}, "
            f"÷ `orjson.loads` {_span([r['vs_orjson'] for r in runs], '{:.2f}')} | - |",
            f"| event->wake latency, phase 1 ({last['half']} writes over {args.spread:g} s) | "
            f"p50 {_span([r['p50_ms'] for r in runs], '{:.2f}')} ms, "
            f"p99 {_span([r['p99_ms'] for r in runs], '{:.2f}')} ms, "
            f"max {_span([r['max_ms'] for r in runs], '{:.1f}')} ms | - |",
            f"| API requests (all verbs), last run | {sum(counts.values())} "
            f"({last['requests_per_wait']:.4f} per wait): {counts} | - |",
            f"| client CPU | {_span([r['cpu_s'] for r in runs], '{:.1f}')} s | - |",
        ])
        write_section(Path(args.doc), "scale-futures" if args.futures else "scale", body)
        print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
