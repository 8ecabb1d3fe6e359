"""Dispatch cost of the watch path, against the decode limit.

One :class:`~hybridwait.kube.watcher.Watcher` (no thread, no socket) is fed the
body of a watch response: ``--n`` MODIFIED events of distinct pods (realistic
pods as a kubelet writes them, ``managedFields`` included, ~3 KB a line), cut
into 64 KiB chunks as urllib3 delivers them, with one registered waiter per pod
(``--n`` waiters attached, the cache already holding an older version of
every pod, as after the LIST; a waiter's wake-up here only counts, the condition
check is bench_scale's business). Measured in CPU seconds of the dispatching
thread (``time.thread_time``), so other processes on a busy machine do not
count: events per CPU second for the whole path (framing, decoding, applying to
the cache, waking), and the same bytes through a bare ``loads`` loop, with the
standard library's ``json`` and, when installed, orjson. The ratio says how
close dispatch is to the decode limit. Best of ``--repeat`` runs.

Usage::

    python3 tests/benchmarks/bench_dispatch.py            # N = 10,000
    python3 tests/benchmarks/bench_dispatch.py --n 2000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realistic import realistic_pod

from hybridwait.kube import watchstream
from hybridwait.kube.cache import ObjectCache, WaiterRegistry
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.stats import Stats
from hybridwait.kube.watcher import Watcher

PODS = ResourceType("", "v1", "pods", "pod", "Pod", True)


class Counter:
    """A waiter whose wake-up only counts."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def kick(self) -> None:
        self.n += 1


def body(n: int, etype: str = "MODIFIED", rv: int = 100_000) -> bytes:
    lines = [
        json.dumps({"type": etype, "object": realistic_pod(f"p{i}", "default", rv + i)},
                   separators=(",", ":")).encode()
        for i in range(n)
    ]
    return b"\n".join(lines) + b"\n"


def _chunks(data: bytes) -> list[bytes]:
    return [data[i:i + 65536] for i in range(0, len(data), 65536)]


def dispatch_once(data: bytes, n: int) -> float:
    cache = ObjectCache(maxsize=max(n, 1))
    registry = WaiterRegistry()
    waiters = [Counter() for _ in range(n)]
    for i, w in enumerate(waiters):
        registry.add(("pods", "default", f"p{i}"), w)
    watcher = Watcher(None, PODS, "default", None, cache, registry, Stats())
    watcher.feed(_chunks(body(n, "ADDED", 1000)))  # the cache full, as after a LIST
    for w in waiters:
        w.n = 0
    chunks = _chunks(data)
    start = time.thread_time()
    watcher.feed(chunks)
    spent = time.thread_time() - start
    woken = sum(w.n for w in waiters)
    assert woken == n, f"{woken} of {n} waiters woken"
    return spent


def loads_once(data: bytes, loads: Callable[[bytes], Any]) -> float:
    lines = [line for line in data.split(b"\n") if line]
    start = time.thread_time()
    for line in lines:
        loads(line)
    return time.thread_time() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    data = body(args.n)
    fast = watchstream._fast_loads
    rows: list[tuple[str, float]] = []
    decoders: list[tuple[str, Callable[[bytes], Any] | None]] = [("json", None)]
    if fast is not None:
        decoders.insert(0, ("orjson", fast))
    for name, dec in decoders:
        watchstream._fast_loads = dec
        best = min(dispatch_once(data, args.n) for _ in range(args.repeat))
        rows.append((f"dispatch, {name}", args.n / best))
    watchstream._fast_loads = fast
    rows.append(("bare json.loads", args.n / min(loads_once(data, json.loads)
                                                 for _ in range(args.repeat))))
    if fast is not None:
        rows.append(("bare orjson.loads", args.n / min(loads_once(data, fast)
                                                       for _ in range(args.repeat))))
    print(f"{args.n:,} events of {len(data) // args.n:,} B, {args.n:,} waiters attached; "
          f"events per CPU second of the dispatching thread, best of {args.repeat}")
    for label, rate in rows:
        print(f"  {label:22s} {rate:>10,.0f}")
    bare = dict(rows)["bare json.loads"]
    for label, rate in rows:
        if label.startswith("dispatch"):
            print(f"  {label} / bare json.loads = {rate / bare:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
