"""Waits as futures at scale: ``Engine.submit`` instead of one thread per wait.

Two runs, each with the waiting client in its own process (this script run
again with ``--child``), printing figures and writing the ``futures`` section
of docs/benchmarks.md:

1. **10,000 futures on 10,000 pods** (``--n``). Same harness as
   ``bench_scale.py`` (emulator in this process, commit instants recorded by a
   hook on its store): the client submits one future per pod (no caller
   thread), then the pods become Ready one by one over ``--spread`` seconds.
   Figures: waits met, peak RSS of the client (``VmHWM``), engine threads
   (every thread but the main one and the harness's sampler), event->result
   latency = the instant the future's done-callback ran minus the commit
   instant.
2. **100,000 pending futures on 100,000 pods** (``--big-n``), the emulator in
   its own process (``hybridwait fake-apiserver``). The client first makes the
   engine cache every pod with two anchor waits (one namespace-wide watch),
   measures its RSS (``VmRSS``, after ``gc.collect()``), submits the other
   futures, measures again once they are all pending, then deletes the pods in
   one DELETE-collection request; every future (``for_="delete"``) must end
   met. RSS per pending wait = (RSS with the waits - RSS with the objects
   cached and only the two anchors) / waits added.

Usage::

    python3 tests/benchmarks/bench_futures.py                      # 10,000 and 100,000
    python3 tests/benchmarks/bench_futures.py --n 1000 --big-n 5000 --no-doc   # quick
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import gc
import http.client
import json
import os
import queue
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compare import ROOT, Bench, _reader, machine, pct, write_section
from bench_contender import Sampler, _status_field

HERE = Path(__file__).resolve()


# -- the client (child process) ------------------------------------------------------
class Recorder:
    """When each future finished (done-callback instant) and how."""

    def __init__(self) -> None:
        self.done_at: dict[str, float] = {}
        self.errors: dict[str, str] = {}

    def callback(self, name: str, fut: concurrent.futures.Future[Any]) -> None:
        t = time.monotonic()
        if fut.cancelled():
            self.errors[name] = "cancelled"
            return
        exc = fut.exception()
        if exc is not None:
            self.errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        else:
            self.done_at[name] = t


def _submit_all(eng: Any, names: list[str], ns: str, for_: str, timeout: float,
                rec: Recorder) -> list[concurrent.futures.Future[Any]]:
    futs = []
    for name in names:
        f = eng.submit(f"pod/{name}", for_=for_, namespace=ns, timeout=timeout)
        f.add_done_callback(functools.partial(rec.callback, name))
        futs.append(f)
    return futs


def _settle(probe: Callable[[], object], quiet: float = 2.0, limit: float = 300.0) -> None:
    """Return once ``probe()`` has not changed for ``quiet`` seconds (bounded)."""
    end = time.monotonic() + limit
    last, since = probe(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.1)
        cur = probe()
        if cur != last:
            last, since = cur, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def _wait_until(pred: Callable[[], bool], limit: float = 600.0) -> bool:
    end = time.monotonic() + limit
    while not pred():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def _rss_kb() -> int:
    gc.collect()
    time.sleep(0.5)
    return _status_field("self", "VmRSS:")


def child_futures(args: argparse.Namespace) -> dict[str, Any]:
    """Run 1: one future per pod, met as the parent makes the pods Ready."""
    from hybridwait import Engine

    names = [f"p{i:05d}" for i in range(args.n)]
    sampler = Sampler(period=0.1)
    sampler.count_library_threads = True  # every thread but main and bench-*
    base_rss = _status_field("self", "VmRSS:")
    sampler.start()
    eng = Engine(kubeconfig=args.kubeconfig, poll_interval=args.interval)
    rec = Recorder()
    t = time.monotonic()
    futs = _submit_all(eng, names, args.namespace, "condition=Ready", args.timeout, rec)
    submit_s = time.monotonic() - t
    print("READY", flush=True)
    concurrent.futures.wait(futs, timeout=args.timeout + 30)
    sampler.stop()
    stats = eng.stats()
    eng.close()
    # VmHWM, not ru_maxrss: on Linux ru_maxrss also counts the pages of the harness
    # this process was forked from (kept across exec), so it grows with the emulator.
    return {"wakes": rec.done_at, "errors": rec.errors, "submit_s": submit_s,
            "peak_rss_kb": _status_field("self", "VmHWM:"),
            "base_rss_kb": base_rss, "engine_threads": sampler.peak_library_threads,
            "peak_threads": sampler.peak_threads, "stats": stats}


def child_pending(args: argparse.Namespace) -> dict[str, Any]:
    """Run 2: RSS per pending future, then every future met by one DELETE collection."""
    from kubernetes import client

    from hybridwait import Engine

    n, ns = args.n, args.namespace
    names = [f"p{i:06d}" for i in range(n)]
    sampler = Sampler(period=0.5)
    sampler.count_library_threads = True
    eng = Engine(kubeconfig=args.kubeconfig, poll_interval=args.interval)
    rec = Recorder()
    anchors = _submit_all(eng, names[:2], ns, "delete", args.timeout, rec)
    _wait_until(lambda: eng.stats()["cached_objects"] >= n)
    cached = eng.stats()["cached_objects"]
    rss_cached = _rss_kb()
    sampler.start()
    t = time.monotonic()
    futs = anchors + _submit_all(eng, names[2:], ns, "delete", args.timeout, rec)
    submit_s = time.monotonic() - t
    # every wait has made its first check (a cache read), then 2 s more
    _wait_until(lambda: eng.stats()["polls"] + eng.stats()["wakeups"] >= eng.pending())
    time.sleep(2.0)
    pending = eng.pending()
    rss_waits = _rss_kb()
    threads_pending = sampler.peak_library_threads
    t = time.monotonic()
    core = client.CoreV1Api(eng.api_client)
    core.delete_collection_namespaced_pod(ns, _preload_content=False, _request_timeout=600)
    _done, not_done = concurrent.futures.wait(futs, timeout=args.timeout + 30)
    met_s = time.monotonic() - t
    sampler.stop()
    stats = eng.stats()
    eng.close()
    return {"n": n, "cached": cached, "pending": pending, "submit_s": submit_s,
            "rss_cached_kb": rss_cached, "rss_waits_kb": rss_waits,
            "met": len(rec.done_at), "errors": len(rec.errors),
            "error_sample": sorted(set(rec.errors.values()))[:3], "not_done": len(not_done),
            "met_s": met_s, "engine_threads_pending": threads_pending,
            "engine_threads": sampler.peak_library_threads, "stats": stats}


# -- the harness (this process) --------------------------------------------------------
def _child(mode: str, kubeconfig: str, ns: str, n: int, interval: float, timeout: float
           ) -> tuple[subprocess.Popen[str], queue.Queue[str | None]]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE), "--child", mode, "--kubeconfig", kubeconfig,
         "--namespace", ns, "--n", str(n), "--interval", str(interval),
         "--timeout", str(timeout)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    q: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc, q), daemon=True, name="bench-reader").start()
    return proc, q


def _last_json(q: queue.Queue[str | None], timeout: float) -> dict[str, Any]:
    out: list[str] = []
    while True:
        got = q.get(timeout=timeout)
        if got is None:
            break
        out.append(got)
    for line in reversed(out):
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise RuntimeError("client printed no result: " + "".join(out[-20:]))


def run_futures(n: int, spread: float, interval: float) -> dict[str, Any]:
    bench = Bench()
    srv, ns = bench.srv, "futures"
    try:
        names = bench.make_pods(ns, n)
        srv.reset_requests()
        proc, q = _child("futures", srv.kubeconfig, ns, n, interval, 600)
        try:
            line = q.get(timeout=300)
            assert line is not None and line.strip() == "READY", line
            _settle(lambda: sum(srv.request_counts().values()))
            step = spread / n
            t0 = time.monotonic() + 0.05
            for i, name in enumerate(names):
                delay = t0 + i * step - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                bench.flip(ns, name)
            res = _last_json(q, 900)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
        counts = srv.request_counts()
    finally:
        bench.close()
    lat = [(t - bench.commits[(ns, nm)]) * 1000 for nm, t in res["wakes"].items()
           if (ns, nm) in bench.commits]
    return {"n": n, "met": len(res["wakes"]), "errors": len(res["errors"]),
            "error_sample": sorted(set(res["errors"].values()))[:3],
            "peak_rss_mb": res["peak_rss_kb"] / 1024, "base_rss_mb": res["base_rss_kb"] / 1024,
            "engine_threads": res["engine_threads"], "peak_threads": res["peak_threads"],
            "submit_s": res["submit_s"],
            "p50_ms": pct(lat, 50) if lat else None, "p99_ms": pct(lat, 99) if lat else None,
            "max_ms": max(lat) if lat else None, "requests": counts,
            "engine_stats": res["stats"]}


class _Poster:
    """Keep-alive HTTP to the emulator, one connection per thread."""

    def __init__(self, url: str) -> None:
        u = urlparse(url)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.local = threading.local()

    def post(self, path: str, body: dict[str, Any]) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        if r.status not in (200, 201, 409):
            raise RuntimeError(f"POST {path}: {r.status}")


def run_pending(n: int, interval: float) -> dict[str, Any]:
    ns = "pending"
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = os.path.join(tmp, "kubeconfig")
        emu = subprocess.Popen(
            ["hybridwait", "fake-apiserver", "--kubeconfig", kubeconfig,
             "--history", str(2 * n + 1000)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            assert emu.stdout is not None
            url = ""
            for line in emu.stdout:
                if line.startswith("serving on "):
                    url = line.split()[-1]
                if line.startswith("kubeconfig:"):
                    break
            poster = _Poster(url)
            poster.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                               "metadata": {"name": ns}})
            t = time.monotonic()

            def make(i: int) -> None:
                poster.post(f"/api/v1/namespaces/{ns}/pods", {
                    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i:06d}"},
                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}})

            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                list(pool.map(make, range(n), chunksize=256))
            print(f"created {n} pods in {time.monotonic() - t:.0f}s", flush=True)
            proc, q = _child("pending", kubeconfig, ns, n, interval, 1800)
            try:
                res = _last_json(q, 2400)
                proc.wait()
            finally:
                if proc.poll() is None:
                    proc.kill()
        finally:
            emu.terminate()
            try:
                emu.wait(30)
            except subprocess.TimeoutExpired:
                emu.kill()
    waits = res["pending"] - 2
    res["per_wait_bytes"] = (res["rss_waits_kb"] - res["rss_cached_kb"]) * 1024 / max(1, waits)
    return res


def report(a: dict[str, Any] | None, b: dict[str, Any] | None, argv: list[str]) -> str:
    cmd = "python3 tests/benchmarks/bench_futures.py" + (" " + " ".join(argv) if argv else "")
    rows = [f"Command: `{cmd}`  ", f"Machine: {machine()}", "",
            "| figure | value | target |", "|---|---|---|"]
    if a is not None:
        n = a["n"]
        rows += [
            f"| {n:,} futures on {n:,} pods: waits met | {a['met']}/{n} "
            f"({a['errors']} failed) | all |",
            f"| peak RSS of the client process | {a['peak_rss_mb']:.0f} MB "
            f"(after imports: {a['base_rss_mb']:.0f} MB) | <= 150 MB (273 MB with a thread "
            "per wait, `scale` above) |",
            f"| engine threads (peak; every thread but main) | {a['engine_threads']} | <= 4 |",
            f"| event->result latency ({n:,} writes, one by one) | p50 {a['p50_ms']:.2f} ms, "
            f"p99 {a['p99_ms']:.2f} ms, max {a['max_ms']:.1f} ms | reported |",
            f"| submitting {n:,} futures | {a['submit_s']:.2f} s | - |",
            f"| API requests (all verbs) | {sum(a['requests'].values())}: {a['requests']} | - |",
        ]
    if b is not None:
        n = b["n"]
        waits = b["pending"] - 2
        rows += [
            f"| {n:,} pending futures on {n:,} pods (emulator in its own process): met | "
            f"{b['met']}/{n} ({b['errors']} failed, {b['not_done']} not done) after one "
            f"DELETE collection, all ended {b['met_s']:.1f} s after it | all |",
            f"| client RSS: {b['cached']:,} objects cached, 2 anchor waits | "
            f"{b['rss_cached_kb'] / 1024:.0f} MB | - |",
            f"| client RSS: {b['pending']:,} waits pending | "
            f"{b['rss_waits_kb'] / 1024:.0f} MB | - |",
            f"| RSS per pending wait ((with - without) / {waits:,}) | "
            f"{b['per_wait_bytes'] / 1024:.2f} KB | <= 2 KB |",
            f"| engine threads with {b['pending']:,} pending (peak) | "
            f"{b['engine_threads_pending']} (whole run: {b['engine_threads']}) | <= 4 |",
            f"| submitting {waits:,} futures | {b['submit_s']:.1f} s | - |",
        ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="run 1: futures (0: skip)")
    ap.add_argument("--big-n", type=int, default=100_000, help="run 2: pending futures (0: skip)")
    ap.add_argument("--spread", type=float, default=10.0, help="run 1: seconds of writes")
    ap.add_argument("--interval", type=float, default=30.0, help="engine poll_interval")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--child", choices=["futures", "pending"], help=argparse.SUPPRESS)
    ap.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    ap.add_argument("--namespace", help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=600.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.child:
        import logging

        logging.basicConfig(level=logging.CRITICAL)
        import kubernetes.client  # noqa: F401  (imports before the baseline RSS)

        import hybridwait.kube.engine  # noqa: F401

        fn = child_futures if args.child == "futures" else child_pending
        print(json.dumps(fn(args)), flush=True)
        os._exit(0)
    a = run_futures(args.n, args.spread, args.interval) if args.n else None
    if a is not None:
        print(json.dumps({k: v for k, v in a.items() if k != "engine_stats"}), flush=True)
    b = run_pending(args.big_n, args.interval) if args.big_n else None
    if b is not None:
        print(json.dumps(b), flush=True)
    text = report(a, b, [x for x in argv if x != "--no-doc"])
    print(text)
    if not args.no_doc:
        write_section(Path(args.doc), "futures", text)
        print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
