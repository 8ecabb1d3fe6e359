"""Cache memory per realistic pod, and what a full garbage collection costs with
the cache full: objects whole or slimmed, stored packed or decoded.

``--n`` realistic pods (tests/benchmarks/realistic.py: a Deployment's Running pod
as a kubelet reports it, managedFields included) are serialized as a server
sends them, decoded by the engine's decoder and fed to a Watcher as one watch
body; the Python heap the cache then holds is measured with tracemalloc
(allocations still alive after the feed, divided by ``--n``), with
``transform=None`` (whole objects) and with the default
``drop_managed_fields``; each stored as the cache stores it (packed: one
``bytes`` value an object) and, for comparison, decoded (dicts and lists, as
the cache stored objects before; ``cache.pack`` replaced by the identity).
Then ``--gc-n`` pods are cached the same way and a full collection
(``gc.collect()``, median of 5) is timed, with the objects the cache adds to
the collector's lists. Last, what packing one slimmed pod and unpacking it
costs with each packer (orjson, and ``marshal``, the packer without orjson),
in µs (best of 5 loops of 20,000).

Usage::

    python3 tests/benchmarks/bench_cache_memory.py            # N = 1,000; 10,000 for the collection
"""

from __future__ import annotations

import argparse
import gc
import json
import marshal
import statistics
import sys
import time
import timeit
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic import realistic_pod

from hybridwait.kube import cache as cache_mod
from hybridwait.kube import watchstream
from hybridwait.kube.cache import ObjectCache, WaiterRegistry
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.stats import Stats
from hybridwait.kube.transform import Transform, drop_managed_fields
from hybridwait.kube.watcher import Watcher

PODS = ResourceType("", "v1", "pods", "pod", "Pod", True)


def _feed(n: int, transform: Transform | None) -> ObjectCache:
    lines = [json.dumps({"type": "ADDED", "object": realistic_pod(f"p{i}", "default", 10 + i)},
                        separators=(",", ":")).encode() for i in range(n)]
    data = b"\n".join(lines) + b"\n"
    del lines
    cache = ObjectCache(maxsize=n)
    w = Watcher(None, PODS, "default", None, cache, WaiterRegistry(), Stats(),
                transform=transform)
    w.feed([data[i:i + 65536] for i in range(0, len(data), 65536)])
    assert len(cache) == n
    return cache


def per_object(n: int, transform: Transform | None) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cache = _feed(n, transform)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del cache
    return (after - before) / n


def full_collection(n: int, transform: Transform | None) -> tuple[float, int]:
    """(ms of one full collection, median of 5; objects the cache added to the
    collector's lists) with ``n`` pods cached."""
    gc.collect()
    base = len(gc.get_objects())
    cache = _feed(n, transform)
    gc.collect()
    tracked = len(gc.get_objects()) - base
    times = []
    for _ in range(5):
        t = time.perf_counter()
        gc.collect()
        times.append(time.perf_counter() - t)
    del cache
    return statistics.median(times) * 1000, tracked


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--gc-n", type=int, default=10_000)
    args = ap.parse_args()
    size = len(json.dumps(realistic_pod("p0", "default", 10), separators=(",", ":")))
    dec = "orjson" if watchstream._fast_loads is not None else "json"
    print(f"{args.n:,} realistic pods ({size:,} B of JSON each, decoder {dec}): cache heap per "
          f"pod; a full collection with {args.gc_n:,} pods cached (objects the cache adds)")
    packer = cache_mod.pack
    rows = []
    for stored in ("decoded (before)", "packed (now)"):
        cache_mod.pack = packer if stored.startswith("packed") else (lambda obj: obj)
        try:
            for label, fn in (("whole (transform=None)", None),
                              ("default (managedFields dropped)", drop_managed_fields)):
                heap = per_object(args.n, fn)
                ms, tracked = full_collection(args.gc_n, fn)
                rows.append((stored, label, heap, ms, tracked))
        finally:
            cache_mod.pack = packer
    for stored, label, heap, ms, tracked in rows:
        print(f"  {stored:17s} {label:32s} {heap / 1024:6.1f} KiB a pod; full collection "
              f"{ms:7.1f} ms ({tracked:,} objects tracked)")
    pod = drop_managed_fields(realistic_pod("p0", "default", 10))
    packers: list[tuple[str, Any, Any]] = [("marshal", marshal.dumps, marshal.loads)]
    try:
        import orjson
    except ImportError:
        pass
    else:
        packers.insert(0, ("orjson", orjson.dumps, orjson.loads))
    for name, dumps, loads in packers:
        packed = dumps(pod)
        put = min(timeit.repeat(partial(dumps, pod), number=20_000, repeat=5)) / 20_000
        get = min(timeit.repeat(partial(loads, packed), number=20_000, repeat=5)) / 20_000
        print(f"  {name:8s} one slimmed pod: {len(packed):,} B, pack {put * 1e6:.2f} µs, "
              f"unpack {get * 1e6:.2f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
