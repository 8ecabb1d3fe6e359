"""Event flood: 50,000 modifications to 5,000 objects in seconds, while waiters
wait on some of them through one shared Engine with a small cache.

Measured: the cache's size at every sample (must stay within ``cache_size``),
RSS growth, and each waiter's wake latency (wait end minus the instant the
write that met its condition was committed). Writes go straight into the
emulator's API layer (no HTTP) so that 50,000 of them take seconds; the
engine sees them as a real watch stream over HTTP.

With ``--separate`` the emulator and its writer run in a process of their own
(tests/reliability/flood_server.py), unpaced with ``--rate 0``; ``--outage S``
drops and refuses the watches for S seconds a third into the flood (degraded
mode).

Run: ``python3 -m tests.reliability.flood`` (prints the figures quoted in
docs/reliability.md), e.g. ``python3 -m tests.reliability.flood --separate
--rate 0 --writes 300000 --history 10000``; the CI test is
tests/reliability/test_flood.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridwait import Engine
from hybridwait.testing import FakeAPIServer
from tests.reliability import flood_server, procstat

NS = flood_server.NS
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FloodResult:
    objects: int
    writes: int
    write_seconds: float
    cache_size: int
    max_cached: int
    waiters: int
    ok: int
    latencies: list[float] = field(default_factory=list)
    rss_growth_mb: float = 0.0
    errors: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    outage: list[float] = field(default_factory=list)  # [start, end] of a watch outage

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else -1.0

        return {
            "objects": self.objects, "writes": self.writes,
            "write_seconds": round(self.write_seconds, 2),
            "writes_per_s": round(self.writes / self.write_seconds),
            "cache_size": self.cache_size, "max_cached": self.max_cached,
            "waiters": self.waiters, "ok": self.ok,
            "latency_p50_s": pct(0.5), "latency_p99_s": pct(0.99), "latency_max_s": pct(1.0),
            "rss_growth_mb": round(self.rss_growth_mb, 1), "errors": len(self.errors),
            "events": self.stats.get("events"), "relists": self.stats.get("relists"),
            "direct_gets": self.stats.get("direct_gets"),
            "outage_s": round(self.outage[1] - self.outage[0], 2) if self.outage else 0,
        }


def run_flood(objects: int = 5000, writes: int = 50_000, waiters: int = 50,
              cache_size: int = 2000, seed: int = 1, poll_interval: float = 2.0,
              rate: float = 5000.0, separate: bool = False, history: int = 1000,
              outage_s: float = 0.0) -> FloodResult:
    """``rate``: writes per second at most (0: as fast as the emulator takes them).
    ``separate``: the emulator and its writer run in a process of their own
    (tests/reliability/flood_server.py), so the engine does not share a GIL with
    them. ``history``: events the emulator keeps (a watch further behind gets
    410). ``outage_s`` > 0 (separate only): a third of the way into the flood,
    watches are dropped and refused for that long (degraded mode: the waits read
    one LIST of the namespace per poll interval meanwhile)."""
    rng = random.Random(seed)
    targets = rng.sample(range(objects), waiters)
    # each target is met once, at a random write index; after that it is left alone
    final_at = {rng.randrange(writes // 10, writes): t for t in targets}
    if not separate:
        with FakeAPIServer(history=history) as srv:
            from kubernetes import client

            rt = srv.registry.lookup("", "v1", "configmaps")
            assert rt is not None
            client.CoreV1Api(srv.api_client()).create_namespace({"metadata": {"name": NS}})
            for i in range(objects):
                srv.api.create(rt, "v1", NS, {"metadata": {"name": f"o{i}"}, "data": {"v": "0"}})
            plan = {"writes": writes, "rate": rate, "final_at": final_at, "targets": targets,
                    "seed": seed}
            return _with_engine(srv.url, objects, writes, waiters, cache_size, poll_interval,
                                targets, lambda: flood_server.flood(srv, rt, objects, plan))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.flood_server", "--objects", str(objects),
         "--history", str(history)],
        cwd=str(ROOT), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        url = json.loads(child.stdout.readline())["url"]
        plan = {"writes": writes, "rate": rate, "final_at": final_at, "targets": targets,
                "seed": seed, "outage_at": writes // 3 if outage_s > 0 else -1,
                "outage_s": outage_s}

        def remote() -> dict[str, Any]:
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(json.dumps(plan) + "\n")
            child.stdin.flush()
            out: dict[str, Any] = json.loads(child.stdout.readline())
            out["committed"] = {int(k): v for k, v in out["committed"].items()}
            return out

        return _with_engine(url, objects, writes, waiters, cache_size, poll_interval, targets,
                            remote)
    finally:
        child.stdin.close()
        child.wait(30)
        child.stdout.close()


def _with_engine(url: str, objects: int, writes: int, waiters: int, cache_size: int,
                 poll_interval: float, targets: list[int],
                 writer: Callable[[], dict[str, Any]]) -> FloodResult:
    """Start the waiters on one Engine against ``url``, run ``writer`` (the
    flood), collect the figures."""
    from kubernetes import client

    ended: dict[int, float] = {}
    errors: list[str] = []
    gc.collect()
    rss0 = procstat.rss_bytes()
    api = client.ApiClient(client.Configuration())
    api.configuration.host = url
    eng = Engine(api_client=api, poll_interval=poll_interval, stall_timeout=10.0,
                 cache_size=cache_size)
    max_cached = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            max_cached[0] = max(max_cached[0], eng.stats()["cached_objects"])

    def wait(t: int) -> None:
        try:
            eng.wait(f"configmap/o{t}", for_="jsonpath={.data.v}=final", namespace=NS,
                     timeout=120)
            ended[t] = time.monotonic()
        except Exception as exc:
            errors.append(f"o{t}: {type(exc).__name__}: {exc}")

    sampler = threading.Thread(target=sample, name="flood-sampler")
    threads = [threading.Thread(target=wait, args=(t,), name="flood-wait") for t in targets]
    out: dict[str, Any] = {"committed": {}, "write_seconds": 0.0, "outage": []}
    try:
        sampler.start()
        for th in threads:
            th.start()
        deadline = time.monotonic() + 30
        while eng.stats()["lists"] == 0 or eng.stats()["watchers"] == 0:
            assert time.monotonic() < deadline, "no watch"
            time.sleep(0.05)
        time.sleep(1.0)
        out = writer()
        for th in threads:
            th.join(150)
    finally:
        stop.set()
        sampler.join()
        stats = eng.stats()
        eng.close()
        api.close()
    gc.collect()
    committed: dict[int, float] = out["committed"]
    res = FloodResult(objects, writes, out["write_seconds"], cache_size, max_cached[0], waiters,
                      len(ended), errors=errors, stats=stats)
    res.latencies = [ended[t] - committed[t] for t in ended if t in committed]
    res.rss_growth_mb = (procstat.rss_bytes() - rss0) / 2**20
    res.outage = list(out.get("outage") or [])
    return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--objects", type=int, default=5000)
    p.add_argument("--writes", type=int, default=50_000)
    p.add_argument("--cache-size", type=int, default=2000)
    p.add_argument("--rate", type=float, default=5000.0, help="writes/s at most (0: unpaced)")
    p.add_argument("--separate", action="store_true",
                   help="the emulator and its writer in a process of their own")
    p.add_argument("--history", type=int, default=1000, help="events the emulator keeps")
    p.add_argument("--outage", type=float, default=0.0,
                   help="seconds of watch outage a third into the flood (with --separate)")
    a = p.parse_args(argv)
    r = run_flood(a.objects, a.writes, cache_size=a.cache_size, rate=a.rate,
                  separate=a.separate, history=a.history, outage_s=a.outage)
    print(json.dumps(r.summary(), indent=1))
    for e in r.errors[:10]:
        print("ERROR", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
