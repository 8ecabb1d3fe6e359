"""Benchmark: the simulated control plane brings N pods to Ready.

One process: a ``FakeAPIServer(cluster=...)`` and the official client. A
Deployment of ``--pods`` replicas is created over HTTP; the clock runs until
the store shows the Deployment Available with every replica available (read
from the emulator's own events, no polling). The simulated delays are scaled
so that they cost no real time (``--time-scale``): what is measured is the
simulation itself (scheduler bindings, kubelet status writes, ReplicaSet and
Deployment syncs, GC and endpoint bookkeeping) and the emulator's write path
under it. Printed: wall time, process CPU time (all threads), writes the
controllers made, and the figure per pod.

Usage::

    python3 tests/benchmarks/bench_cluster.py --pods 1000
"""

from __future__ import annotations

import argparse
import threading
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--time-scale", type=float, default=1e6)
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()

    from kubernetes import client

    from hybridwait.testing import FakeAPIServer
    from hybridwait.testing.apiserver.store import Watcher
    from hybridwait.testing.cluster import ClusterSettings

    settings = ClusterSettings(nodes=args.nodes, seed=1, time_scale=args.time_scale)
    with FakeAPIServer(cluster=settings, history=100_000) as srv:
        apps = client.AppsV1Api(srv.api_client())
        wake = threading.Event()
        w = Watcher("apps/deployments", offer=lambda _ev: wake.set())
        srv.store.add_watcher(w)
        rv0 = srv.store.revision
        body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
                "spec": {"replicas": args.pods, "selector": {"matchLabels": {"app": "bench"}},
                         "template": {"metadata": {"labels": {"app": "bench"}}, "spec": {
                             "containers": [{"name": "c", "image": "bench:1"}]}}}}
        cpu0, t0 = time.process_time(), time.monotonic()
        apps.create_namespaced_deployment("default", body)
        deadline = t0 + args.timeout
        while True:
            d = srv.store.get("apps/deployments", "default", "bench") or {}
            if (d.get("status") or {}).get("availableReplicas") == args.pods:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"not available after {args.timeout} s: {d.get('status')}")
            wake.wait(1.0)
            wake.clear()
        wall, cpu = time.monotonic() - t0, time.process_time() - cpu0
        writes = srv.store.revision - rv0
        srv.store.remove_watcher(w)
        ready = sum(1 for p in srv.store.items("/pods", "default")
                    if any(c.get("type") == "Ready" and c.get("status") == "True"
                           for c in (p.get("status") or {}).get("conditions") or []))
        errors = sum(srv.cluster.errors().values())
    print(f"pods: {args.pods} on {args.nodes} nodes, {ready} Ready")
    print(f"wall time to Deployment Available: {wall:.2f} s")
    print(f"process CPU (all threads): {cpu:.2f} s")
    print(f"store writes: {writes} ({writes / args.pods:.1f} per pod)")
    print(f"per pod: {wall / args.pods * 1000:.2f} ms wall, {cpu / args.pods * 1000:.2f} ms CPU")
    print(f"controller errors: {errors}")


if __name__ == "__main__":
    main()
