"""Event flood: 50,000 modifications to 5,000 objects in seconds, while waiters
wait on some of them through one shared Engine with a small cache.

Measured: the cache's size at every sample (must stay within ``cache_size``),
RSS growth, and each waiter's wake latency (wait end minus the instant the
write that met its condition was committed). Writes go straight into the
emulator's API layer (no HTTP) so that 50,000 of them take seconds; the
engine sees them as a real watch stream over HTTP.

Run: ``python3 -m tests.reliability.flood`` (prints the figures quoted in
docs/reliability.md); the CI test is tests/reliability/test_flood.py.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from hybridwait import Engine
from hybridwait.testing import FakeAPIServer
from tests.reliability import procstat

NS = "flood"
MERGE = "application/merge-patch+json"


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
        }


def run_flood(objects: int = 5000, writes: int = 50_000, waiters: int = 50,
              cache_size: int = 2000, seed: int = 1, poll_interval: float = 2.0,
              rate: float = 5000.0) -> FloodResult:
    """``rate``: writes per second at most (0: as fast as the emulator takes them)."""
    rng = random.Random(seed)
    with FakeAPIServer(history=1000) as srv:
        from kubernetes import client

        rt = srv.registry.lookup("", "v1", "configmaps")
        assert rt is not None
        client.CoreV1Api(srv.api_client()).create_namespace({"metadata": {"name": NS}})
        for i in range(objects):
            srv.api.create(rt, "v1", NS, {"metadata": {"name": f"o{i}"}, "data": {"v": "0"}})
        targets = rng.sample(range(objects), waiters)
        target_set = set(targets)
        # each target is met once, at a random write index; after that it is left alone
        final_at = {rng.randrange(writes // 10, writes): t for t in targets}
        committed: dict[int, float] = {}
        ended: dict[int, float] = {}
        errors: list[str] = []
        gc.collect()
        rss0 = procstat.rss_bytes()
        api = client.ApiClient(client.Configuration())
        api.configuration.host = srv.url
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
        try:
            sampler.start()
            for th in threads:
                th.start()
            deadline = time.monotonic() + 30
            while eng.stats()["lists"] == 0 or eng.stats()["watchers"] == 0:
                assert time.monotonic() < deadline, "no watch"
                time.sleep(0.05)
            time.sleep(1.0)
            done: set[int] = set()
            others = [i for i in range(objects) if i not in target_set]
            t0 = time.monotonic()
            for n in range(writes):
                if rate and n % 100 == 0:
                    ahead = t0 + n / rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
                if n in final_at:
                    t = final_at[n]
                    srv.api.patch(rt, "v1", NS, f"o{t}", MERGE, b'{"data":{"v":"final"}}')
                    committed[t] = time.monotonic()
                    done.add(t)
                    continue
                i = others[n % len(others)] if n % 5 else rng.choice(
                    [t for t in targets if t not in done] or others)
                srv.api.patch(rt, "v1", NS, f"o{i}", MERGE,
                              json.dumps({"data": {"v": str(n)}}).encode())
            write_s = time.monotonic() - t0
            for th in threads:
                th.join(150)
        finally:
            stop.set()
            sampler.join()
            stats = eng.stats()
            eng.close()
            api.close()
        gc.collect()
        res = FloodResult(objects, writes, write_s, cache_size, max_cached[0], waiters,
                          len(ended), errors=errors, stats=stats)
        res.latencies = [ended[t] - committed[t] for t in ended if t in committed]
        res.rss_growth_mb = (procstat.rss_bytes() - rss0) / 2**20
        return res


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--objects", type=int, default=5000)
    p.add_argument("--writes", type=int, default=50_000)
    p.add_argument("--cache-size", type=int, default=2000)
    p.add_argument("--rate", type=float, default=5000.0, help="writes/s at most (0: unpaced)")
    a = p.parse_args(argv)
    r = run_flood(a.objects, a.writes, cache_size=a.cache_size, rate=a.rate)
    print(json.dumps(r.summary(), indent=1))
    for e in r.errors[:10]:
        print("ERROR", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
