"""Cache memory per realistic pod, objects kept whole against the default transform.

``--n`` realistic pods (tests/benchmarks/realistic.py: a Deployment's Running pod
as a kubelet reports it, managedFields included) are serialized as a server
sends them, decoded by the engine's decoder and fed to a Watcher as one watch
body; the Python heap the cache then holds is measured with tracemalloc
(allocations still alive after the feed, divided by ``--n``), once with
``transform=None`` (whole objects) and once with the default
``drop_managed_fields``.

Usage::

    python3 tests/benchmarks/bench_cache_memory.py            # N = 1,000
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic import realistic_pod

from hybridwait.kube import watchstream
from hybridwait.kube.cache import ObjectCache, WaiterRegistry
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.stats import Stats
from hybridwait.kube.transform import Transform, drop_managed_fields
from hybridwait.kube.watcher import Watcher

PODS = ResourceType("", "v1", "pods", "pod", "Pod", True)


def per_object(n: int, transform: Transform | None) -> float:
    lines = [json.dumps({"type": "ADDED", "object": realistic_pod(f"p{i}", "default", 10 + i)},
                        separators=(",", ":")).encode() for i in range(n)]
    data = b"\n".join(lines) + b"\n"
    del lines
    cache = ObjectCache(maxsize=n)
    w = Watcher(None, PODS, "default", None, cache, WaiterRegistry(), Stats(),
                transform=transform)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    w.feed([data[i:i + 65536] for i in range(0, len(data), 65536)])
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(cache) == n
    return (after - before) / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    size = len(json.dumps(realistic_pod("p0", "default", 10), separators=(",", ":")))
    whole = per_object(args.n, None)
    slim = per_object(args.n, drop_managed_fields)
    dec = "orjson" if watchstream._fast_loads is not None else "json"
    print(f"{args.n:,} realistic pods ({size:,} B of JSON each, decoder {dec}): "
          f"cache heap per pod")
    print(f"  whole (transform=None)          {whole / 1024:6.1f} KiB")
    print(f"  default (managedFields dropped) {slim / 1024:6.1f} KiB  "
          f"({100 * (1 - slim / whole):.0f} % less)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
