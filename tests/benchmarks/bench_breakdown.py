"""Where an event's latency goes: per-stage p50/p99 of hybridwait's dispatch path.

The same harness as ``bench_compare.py`` (emulator in this process, the commit
instant of each write recorded by a hook on its store, the waiting client in a
process of its own), with the client started with ``--trace``: probes wrapped
around public functions of the client's hybridwait modules
(``bench_contender.Probes``) stamp ``time.monotonic()`` as each pod's Ready
event passes each stage. Nothing in the library is instrumented, so the
instrumentation costs nothing when it is off; when on, it adds a few
microseconds per stage.

Stages (each row of the table is the time from the previous stage):

1. ``commit``: the server accepted the write (store hook, server process);
2. ``chunk``: the HTTP client returned the watch chunk holding the event
   (its bytes had been read off the socket);
3. ``decoded``: the watch line was decoded into an event;
4. ``applied``: the object was stored in the shared cache;
5. ``woken``: the watcher kicked the wait (after applying the whole chunk);
6. ``evaluated``: the condition was checked and found met (the wait starts finishing);
7. ``returned``: the caller's ``eng.wait`` returned in its own thread (blocking
   waits), or the future's done-callback ran (``--futures``).

Usage::

    python3 tests/benchmarks/bench_breakdown.py                 # N in {1, 10, 100, 1000}, 3 repeats
    python3 tests/benchmarks/bench_breakdown.py --n 100 --repeats 1 --no-doc
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compare import ROOT, Bench, machine, pct, run_one, write_section

STAGES = ("commit", "chunk", "decoded", "applied", "woken", "evaluated", "returned")
LABELS = {
    "chunk": "commit → chunk read by the client (server fan-out, socket, HTTP client)",
    "decoded": "chunk → line decoded",
    "applied": "decoded → applied to the cache",
    "woken": "applied → waiter woken (rest of the chunk applied, kick)",
    "evaluated": "woken → condition evaluated (met)",
    "returned": "evaluated → caller returned / callback ran",
    "total": "**commit → returned (event→wake)**",
}


def deltas(run: dict[str, Any]) -> dict[str, list[float]]:
    """Per stage, the time (ms) from the previous stage, over the pods whose
    every stage was stamped."""
    stages = run["extra"].get("stages") or {}
    out: dict[str, list[float]] = {s: [] for s in (*STAGES[1:], "total")}
    for name, st in stages.items():
        t = {"commit": run["commit_at"].get(name), **st, "returned": run["wakes"].get(name)}
        if any(t.get(s) is None for s in STAGES):
            continue
        for prev, cur in itertools.pairwise(STAGES):
            out[cur].append((t[cur] - t[prev]) * 1000.0)
        out["total"].append((t["returned"] - t["commit"]) * 1000.0)
    return out


def table(results: dict[tuple[int, str], dict[str, list[float]]]) -> str:
    keys = sorted(results)
    head = "| stage | " + " | ".join(f"N={n} {c} p50 / p99 ms" for n, c in keys) + " |"
    lines = [head, "|---|" + "---|" * len(keys)]
    for s in (*STAGES[1:], "total"):
        cells = []
        for k in keys:
            v = results[k][s]
            cells.append(f"{pct(v, 50):.3f} / {pct(v, 99):.3f}" if v else "—")
        lines.append(f"| {LABELS[s]} | " + " | ".join(cells) + " |")
    lines.append("| events traced | " + " | ".join(
        str(len(results[k]["total"])) for k in keys) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", default="1,10,100,1000", help="comma-separated N")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--contenders", default="hybridwait,hybridwait-futures",
                    help="hybridwait (blocking eng.wait per thread), hybridwait-futures")
    ap.add_argument("--interval", type=float, default=2.0, help="poll interval (s)")
    ap.add_argument("--spread", type=float, default=4.0, help="writes spread over (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true", help="print only")
    raw_argv = sys.argv[1:] if argv is None else argv
    args = ap.parse_args(raw_argv)
    rng = random.Random(args.seed)
    bench = Bench()
    results: dict[tuple[int, str], dict[str, list[float]]] = {}
    k = 0
    try:
        for n in [int(x) for x in args.n.split(",")]:
            for c in args.contenders.split(","):
                pooled: dict[str, list[float]] = {}
                for _ in range(args.repeats):
                    k += 1
                    r = run_one(bench, c, n, f"trace-{k}", args, rng, trace=True)
                    for s, v in deltas(r).items():
                        pooled.setdefault(s, []).extend(v)
                    print(f"N={n} {c}: met {r['completed']}/{n}, total p50 "
                          f"{pct(pooled['total'], 50) if pooled['total'] else float('nan'):.3f} ms",
                          flush=True)
                results[(n, c)] = pooled
    finally:
        bench.close()
    out = table(results)
    print(out)
    if not args.no_doc:
        cmd = "python3 tests/benchmarks/bench_breakdown.py" + "".join(f" {a}" for a in raw_argv)
        write_section(Path(args.doc), "breakdown", "\n".join([
            f"Command: `{cmd}`  ",
            f"Machine: {machine()}  ",
            f"{args.repeats} repeats per N pooled; each row is the time from the previous stage.",
            "",
            out,
        ]))
        print(f"\nwrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
