#!/usr/bin/env python3
"""Engine latency/cost benchmark (a script, not a test): event->wake latency and
API requests per wait, hybrid (watch + poll) versus pure polling (``--no-watch``).

For each waiter count W it creates W pods in the embedded emulator, starts W
threads each waiting ``condition=Ready`` on its own pod through ONE engine,
waits until every waiter has made its first check, then a writer flips the
pods to Ready one by one in random order. Latency of a wait = the moment the
wait returned minus the moment just before the writer sent that pod's status
PATCH (so it includes the PATCH's own server time). Requests per wait counts
every request the engine made (discovery, get, list, watch), not the writer's.

Usage::

    python3 tests/benchmarks/bench_engine.py                 # W = 1, 100, 1000
    python3 tests/benchmarks/bench_engine.py --waiters 1 100 --poll-interval 1
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

ENGINE_VERBS = ("discovery", "get", "list", "watch")


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(p / 100.0 * (len(s) - 1))))
    return s[k]


@contextlib.contextmanager
def in_process() -> Iterator[tuple[Any, Any, Any]]:
    """The emulator in this process: (writer client, engine client, server)."""
    from hybridwait.testing import FakeAPIServer

    with FakeAPIServer() as srv:
        yield srv.api_client(), srv.api_client(), srv


@contextlib.contextmanager
def out_of_process() -> Iterator[tuple[Any, Any, Any]]:
    """The emulator in its own process (``hybridwait fake-apiserver``), as a real
    API server would be: the engine does not share a GIL with it."""
    from hybridwait.kube.kubeconfig import load

    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        kc = os.path.join(tmp, "kubeconfig")
        proc = subprocess.Popen(
            [sys.executable, "-m", "hybridwait.cli", "fake-apiserver", "--port", str(port),
             "--kubeconfig", kc],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                    if os.path.exists(kc):
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("fake-apiserver did not start")
                time.sleep(0.05)
            writer, _ = load(kc)
            engine_api, _ = load(kc)
            yield writer, engine_api, None
        finally:
            proc.terminate()
            proc.wait(10)


def run(
    w: int, watch: bool, poll_interval: float, spread: float, separate: bool = False
) -> dict[str, Any]:
    from kubernetes import client

    from hybridwait import Engine

    with (out_of_process() if separate else in_process()) as (writer_api, engine_api, srv):
        v1 = client.CoreV1Api(writer_api)
        spec = {"containers": [{"name": "c", "image": "x"}]}
        for i in range(w):
            v1.create_namespaced_pod("default", {"metadata": {"name": f"p{i}"}, "spec": spec})
        if srv is not None:
            srv.reset_requests()
        eng = Engine(api_client=engine_api, poll_interval=poll_interval, watch=watch)
        ended: dict[int, float] = {}
        paths: dict[int, str] = {}
        errors: list[BaseException] = []

        def wait(i: int) -> None:
            try:
                r = eng.wait_result(f"pod/p{i}", for_="condition=Ready", timeout=300)
                ended[i] = time.perf_counter()
                paths[i] = r.path
            except BaseException as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=wait, args=(i,)) for i in range(w)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while eng.stats()["polls"] < w and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
        order = list(range(w))
        random.shuffle(order)
        flipped: dict[int, float] = {}
        gap = spread / max(1, w)
        body = {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
        t_start = time.perf_counter()
        for n, i in enumerate(order):
            target = t_start + n * gap
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            flipped[i] = time.perf_counter()
            v1.patch_namespaced_pod_status(f"p{i}", "default", body)
        for t in threads:
            t.join(300)
        stats = eng.stats()
        eng.close()
        if srv is not None:
            counts = srv.request_counts()
        else:  # the engine's own account of its requests
            counts = {
                "discovery": stats["discovery_requests"],
                "get": stats["direct_gets"],
                "list": stats["lists"],
                "watch": stats["watches"],
            }
        writer_api.close()
        engine_api.close()
    engine_requests = sum(counts.get(v, 0) for v in ENGINE_VERBS)
    lat_ms = [(ended[i] - flipped[i]) * 1000.0 for i in ended]
    return {
        "waiters": w,
        "mode": "hybrid" if watch else "poll-only",
        "errors": len(errors),
        "p50_ms": percentile(lat_ms, 50),
        "p99_ms": percentile(lat_ms, 99),
        "mean_ms": statistics.fmean(lat_ms) if lat_ms else float("nan"),
        "requests": engine_requests,
        "requests_per_wait": engine_requests / w,
        "by_watch": sum(1 for p in paths.values() if p == "watch"),
        "counts": {v: counts.get(v, 0) for v in ENGINE_VERBS},
        "watchers_started": stats["watchers_started"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--waiters", type=int, nargs="+", default=[1, 100, 1000])
    ap.add_argument("--poll-interval", type=float, default=1.0,
                    help="poll interval of both modes (s); hybrid latency does not depend on it")
    ap.add_argument("--spread", type=float, default=2.0, help="seconds over which pods are flipped")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--modes", nargs="+", choices=["hybrid", "poll-only"],
                    default=["hybrid", "poll-only"])
    ap.add_argument("--server-process", action="store_true",
                    help="run the emulator in its own process (like a real API server)")
    args = ap.parse_args(argv)
    random.seed(args.seed)
    where = "own process" if args.server_process else "this process"
    print(f"python {sys.version.split()[0]}, poll interval {args.poll_interval}s, "
          f"flips spread over {args.spread}s, emulator in {where}")
    header = (f"{'waiters':>7} {'mode':>9} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} "
              f"{'requests':>8} {'req/wait':>8} {'by watch':>8}  requests by verb")
    print(header)
    print("-" * len(header))
    for w in args.waiters:
        for watch in [m == "hybrid" for m in args.modes]:
            r = run(w, watch, args.poll_interval, args.spread, args.server_process)
            errors = f"  ERRORS {r['errors']}" if r["errors"] else ""
            print(f"{r['waiters']:>7} {r['mode']:>9} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
                  f"{r['mean_ms']:>8.2f} {r['requests']:>8} {r['requests_per_wait']:>8.3f} "
                  f"{r['by_watch']:>8}  {r['counts']}{errors}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
