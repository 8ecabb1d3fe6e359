"""One contender of the wait comparison, run in a process of its own.

``bench_compare.py`` (and ``bench_scale.py``) start this script once per
(contender, N, repeat). It imports only what its contender needs, starts one
wait per pod ``{prefix}{i:05d}`` (i < N) in namespace ``--namespace`` of the
emulator named by ``--kubeconfig``, prints ``READY`` once every wait has been
started, and when every wait has ended (or ``--timeout`` passed) prints one
JSON line with what it measured about itself:

- ``wakes``: ``{name: time.monotonic() when that wait returned}`` (Linux's
  CLOCK_MONOTONIC is system-wide, so the parent compares it with the server's
  commit instants);
- ``errors``: ``{name: "ExceptionType: text"}`` for waits that failed;
- ``cpu_s``: user+system CPU of this process (and of its children, for
  kubectl) from just before the first wait started to the end;
- ``peak_threads``: peak OS threads (``/proc``; the sampler thread excluded),
  ``base_threads`` before the first wait; for kubectl the sum over live children;
- ``peak_rss_kb`` (``VmHWM``, this process's own high-water mark: not
  ``ru_maxrss``, which on Linux keeps the RSS of the parent it was forked from
  across ``exec``; for kubectl the peak sum of the children's
  RSS) and ``base_rss_kb`` after the imports;
- ``extra``: contender-specific figures (hybridwait: ``eng.stats()``; with
  ``--trace``, ``stages``: per pod, the instants its Ready event passed each
  stage of the engine's dispatch path, see :class:`Probes`).

Not meant to be run by hand; see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import selectors
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

CONTENDERS = ("hybridwait", "hybridwait-futures", "hybridwait-poll", "naive", "watch", "kr8s",
              "lightkube", "kubectl")


def _status_field(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return 0


class Sampler(threading.Thread):
    """Samples thread count and RSS every ``period`` seconds; keeps the peaks.

    ``children`` (pids) are summed instead of this process when given (kubectl).
    """

    def __init__(self, period: float = 0.02) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.period = period
        self.children: list[int] | None = None
        self.peak_threads = 0
        self.peak_rss_kb = 0
        self.count_library_threads = False
        self.peak_library_threads = 0  # threads not started by the harness
        self._samples = 0
        self._stop_event = threading.Event()

    def sample(self) -> None:
        if self.children is None:
            threads = _status_field("self", "Threads:") - 1  # not the sampler itself
            rss = _status_field("self", "VmRSS:")
        else:
            kids = list(self.children)
            threads = sum(_status_field(p, "Threads:") for p in kids)
            rss = sum(_status_field(p, "VmRSS:") for p in kids)
        self.peak_threads = max(self.peak_threads, threads)
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self._samples += 1
        # walking 10,000 threads holds the GIL for ms: once a second is enough
        # for the engine's long-lived threads
        if self.count_library_threads and self._samples % max(1, round(1 / self.period)) == 1:
            main = threading.main_thread()
            lib = sum(1 for t in threading.enumerate()
                      if not t.name.startswith(("w-", "bench-")) and t is not main)
            self.peak_library_threads = max(self.peak_library_threads, lib)

    def run(self) -> None:
        while not self._stop_event.wait(self.period):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()


def _ready(pod: dict[str, Any] | Any) -> bool:
    """The pod's Ready condition is True (dict or kubernetes model)."""
    if isinstance(pod, dict):
        conds = (pod.get("status") or {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
    conds = (pod.status.conditions if pod.status is not None else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conds)


class Run:
    """Shared state of one contender run: names, wake times, errors."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.ns: str = args.namespace
        self.names = [f"{args.prefix}{i:05d}" for i in range(args.n)]
        self.wakes: dict[str, float] = {}
        self.errors: dict[str, str] = {}
        self.extra: dict[str, Any] = {}
        self.sampler = Sampler()

    def woke(self, name: str) -> None:
        self.wakes[name] = time.monotonic()

    def failed(self, name: str, exc: BaseException) -> None:
        self.errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"

    def threads(self, one: Callable[[str], None],
                started: Callable[[], None] | None = None) -> Callable[[], None]:
        """Start one daemon thread per name running ``one(name)``; return a joiner.
        ``started()`` (if given) blocks until the library has begun every wait."""

        def body(name: str) -> None:
            try:
                one(name)
            except BaseException as exc:
                self.failed(name, exc)
            else:
                self.woke(name)

        ts = [threading.Thread(target=body, args=(n,), daemon=True, name=f"w-{n}")
              for n in self.names]
        for t in ts:
            t.start()
        if started is not None:
            started()
        ready()
        deadline = time.monotonic() + self.args.timeout

        def join() -> None:
            for t in ts:
                t.join(max(0.0, deadline - time.monotonic()))

        return join


#: ``--gc-freeze``: move every object alive when the waits are all set up into
#: the garbage collector's permanent generation (``gc.freeze()``), as a long-lived
#: controller may after its start-up, so full collections skip the cache and the
#: waits (see docs/benchmarks.md, "Where the burst's time goes").
GC_FREEZE = False


def ready() -> None:
    if GC_FREEZE:
        gc.collect()
        gc.freeze()
    print("READY", flush=True)


# -- the latency breakdown's probes (--trace) ------------------------------------------
class Probes:
    """Stamps ``time.monotonic()`` as each pod's Ready event passes the stages of
    the engine's dispatch path, by wrapping public functions of this process's
    hybridwait modules (so the library itself carries no instrumentation, and
    costs nothing when this is not installed):

    - ``chunk``: the watch stream's chunk holding the event was returned by the
      HTTP client (``watchstream.chunks_of``), i.e. its bytes were read off the socket;
    - ``decoded``: the line was decoded (``watchstream.decode``);
    - ``applied``: the object was stored in the shared cache (``ObjectCache.apply``);
    - ``woken``: the wait was kicked by the watcher (``Wait.kick``);
    - ``evaluated``: the condition was found met and the wait starts finishing
      (``Wait.finish``);
    - the caller's wake instant (``wakes``) closes the chain.

    Only the first Ready event of each pod is stamped (a dict per pod).
    ``busy`` lists, per chunk, ``(returned, next asked, thread CPU at return,
    thread CPU when asking)``: the watcher's time between receiving a chunk and
    asking for the next one, i.e. its own work on that chunk (decode, apply,
    wake, finish), without the time it waited for the server.
    """

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}
        self.busy: list[tuple[float, float, float, float]] = []
        # every chunk as received (a reference, no copy): (stream, instant, bytes),
        # for the bare decode loops over the same bytes (:meth:`bare_loads`)
        self.raw: list[tuple[int, float, bytes]] = []
        # per call of the registry's wake_many (the waits a chunk touched: each
        # checked and, if met, ended, on the watcher thread): (instant, thread CPU)
        self.wakes: list[tuple[float, float]] = []
        # every garbage collection in the process: (instant it began, generation,
        # seconds) from gc.callbacks, to say how much of a burst was the collector
        self.collections: list[tuple[float, int, float]] = []
        self._chunk_at = threading.local()

    def install(self, stages: bool = True) -> None:
        """Wrap the dispatch path; ``stages=False``: only the chunk-level stamps
        (``busy``, ``raw``), no per-event probe, to measure what the per-stage
        probes themselves cost."""
        from hybridwait.kube import watchstream

        chunk_at, now, busy, raw = self._chunk_at, time.monotonic, self.busy, self.raw
        chunks_of = watchstream.chunks_of

        def t_chunks_of(resp: Any) -> Any:
            stream = id(resp)
            for chunk in chunks_of(resp):
                chunk_at.t = t = now()
                raw.append((stream, t, chunk))
                cpu = time.thread_time()
                yield chunk
                busy.append((t, now(), cpu, time.thread_time()))

        watchstream.chunks_of = t_chunks_of  # type: ignore[assignment]
        from hybridwait.kube import cache

        wake_many, wakes, cpu_now = cache.WaiterRegistry.wake_many, self.wakes, time.thread_time

        def t_wake_many(reg: Any, keys: Any) -> int:
            t, c = now(), cpu_now()
            try:
                return wake_many(reg, keys)
            finally:
                wakes.append((t, cpu_now() - c))

        cache.WaiterRegistry.wake_many = t_wake_many  # type: ignore[method-assign]
        began: list[float] = [0.0]
        collections = self.collections

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                began[0] = now()
            else:
                collections.append((began[0], info["generation"], now() - began[0]))

        gc.callbacks.append(on_gc)
        if stages:
            self._install_stages()

    def bare_loads(self) -> list[tuple[float, int, float, float]]:
        """Per chunk received: ``(instant, lines it completed, CPU seconds of a
        bare json.loads loop over those lines, of a bare orjson.loads loop (nan
        without orjson))``, timed here after the run, in this process."""
        try:
            import orjson
        except ImportError:  # the ratio to orjson is then not reported
            orjson = None
        rest: dict[int, bytes] = {}
        out = []
        for stream, t, chunk in self.raw:
            *lines, rest[stream] = (rest.get(stream, b"") + chunk).split(b"\n")
            lines = [ln for ln in lines if ln.strip()]
            c0 = time.thread_time()
            for ln in lines:
                json.loads(ln)
            c1 = time.thread_time()
            if orjson is not None:
                for ln in lines:
                    orjson.loads(ln)
            c2 = time.thread_time()
            out.append((t, len(lines), c1 - c0, c2 - c1 if orjson is not None else float("nan")))
        return out

    def _install_stages(self) -> None:
        from hybridwait.kube import cache, wait, watchstream

        stages, chunk_at, now = self.stages, self._chunk_at, time.monotonic
        decode = watchstream.decode
        apply, kick, finish = cache.ObjectCache.apply, wait.Wait.kick, wait.Wait.finish

        def t_decode(line: bytes) -> Any:
            ev = decode(line)
            t = now()
            obj = ev.object
            if ev.type.value == "MODIFIED" and _ready(obj):
                name = obj["metadata"]["name"]
                if name not in stages:
                    stages[name] = {"chunk": getattr(chunk_at, "t", t), "decoded": t}
            return ev

        def t_apply(self: Any, key: Any, obj: dict[str, Any]) -> bool:
            stored = apply(self, key, obj)
            st = stages.get(key[2])
            if st is not None and "applied" not in st and _ready(obj):
                st["applied"] = now()
            return stored

        def t_kick(self: Any) -> None:
            t = now()
            for tg in self.targets:
                st = stages.get(tg.name)
                if st is not None and "applied" in st and "woken" not in st:
                    st["woken"] = t
            kick(self)

        def t_finish(self: Any, *a: Any, **kw: Any) -> bool:
            t = now()
            for tg in self.targets:
                st = stages.get(tg.name)
                if st is not None and "evaluated" not in st:
                    st["evaluated"] = t
            return bool(finish(self, *a, **kw))

        watchstream.decode = t_decode  # type: ignore[assignment]
        cache.ObjectCache.apply = t_apply  # type: ignore[method-assign]
        wait.Wait.kick = t_kick  # type: ignore[method-assign]
        wait.Wait.finish = t_finish  # type: ignore[method-assign]


# -- contenders -----------------------------------------------------------------------
def run_hybridwait(run: Run, watch: bool, futures: bool = False) -> None:
    from hybridwait import Engine

    probes: Probes | None = None
    if run.args.trace or run.args.chunk_probe:
        probes = Probes()
        probes.install(stages=run.args.trace)
        run.extra["stages"] = probes.stages
        run.extra["chunk_busy"] = probes.busy
        run.extra["wake_cpu"] = probes.wakes
        run.extra["collections"] = probes.collections
    eng = Engine(kubeconfig=run.args.kubeconfig, poll_interval=run.args.interval, watch=watch)
    timeout = run.args.timeout

    def one(name: str) -> None:
        eng.wait(f"pod/{name}", for_="condition=Ready", namespace=run.ns, timeout=timeout)

    # counting the engine's threads walks every thread: only in the scaling run,
    # where it is reported (in the comparison it would hold the GIL 50 times a
    # second, for ~0.3 ms at 1,000 threads, and add to hybridwait's tail alone)
    run.sampler.count_library_threads = run.args.scale

    def started() -> None:
        # READY only once every wait has made its first check (its begin step runs
        # on the engine's readers: thousands submitted at once take a moment), so
        # no write lands before the wait it is meant for has started
        deadline = time.monotonic() + 300.0
        while eng.stats()["polls"] < run.args.n and time.monotonic() < deadline:
            time.sleep(0.01)

    if futures:
        _run_futures(run, eng, started)
    else:
        join = run.threads(one, started)
        join()
    if probes is not None:
        run.extra["chunk_loads"] = probes.bare_loads()
        probes.raw.clear()
    run.extra["stats"] = eng.stats()
    run.extra["engine_threads_peak"] = run.sampler.peak_library_threads
    eng.close()


def _run_futures(run: Run, eng: Any, started: Callable[[], None]) -> None:
    """One ``eng.submit`` future per pod (no caller thread); the wake instant is
    when the future's done-callback ran."""
    left = threading.Semaphore(0)

    def done(name: str, fut: Any) -> None:
        if fut.cancelled():
            run.errors[name] = "cancelled"
        elif fut.exception() is not None:
            run.failed(name, fut.exception())
        else:
            run.woke(name)
        left.release()

    for name in run.names:
        fut = eng.submit(f"pod/{name}", for_="condition=Ready", namespace=run.ns,
                         timeout=run.args.timeout)
        fut.add_done_callback(lambda f, n=name: done(n, f))
    started()
    ready()
    deadline = time.monotonic() + run.args.timeout + 5.0
    for _ in run.names:
        if not left.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break


def run_naive(run: Run) -> None:
    from kubernetes import client, config

    config.load_kube_config(config_file=run.args.kubeconfig)
    v1 = client.CoreV1Api()
    interval = run.args.interval

    def one(name: str) -> None:
        while not _ready(v1.read_namespaced_pod(name, run.ns)):
            time.sleep(interval)

    run.threads(one)()


def run_watch(run: Run) -> None:
    from kubernetes import client, config, watch

    config.load_kube_config(config_file=run.args.kubeconfig)
    v1 = client.CoreV1Api()

    def one(name: str) -> None:
        w = watch.Watch()
        for event in w.stream(v1.list_namespaced_pod, run.ns,
                              field_selector=f"metadata.name={name}"):
            if _ready(event["object"]):
                w.stop()
                return
        raise RuntimeError("watch ended before the pod was Ready")

    run.threads(one)()


def run_kr8s(run: Run) -> None:
    import asyncio

    import kr8s.asyncio
    from kr8s.asyncio.objects import Pod

    async def main() -> None:
        api = await kr8s.asyncio.api(kubeconfig=run.args.kubeconfig)

        async def one(name: str) -> None:
            try:
                pod = await Pod.get(name, namespace=run.ns, api=api)
                await pod.wait("condition=Ready", timeout=run.args.timeout)
            except BaseException as exc:
                run.failed(name, exc)
            else:
                run.woke(name)

        tasks = [asyncio.ensure_future(one(n)) for n in run.names]
        ready()
        await asyncio.gather(*tasks)

    asyncio.run(main())


def run_lightkube(run: Run) -> None:
    from lightkube import Client, KubeConfig
    from lightkube.resources.core_v1 import Pod

    cl = Client(config=KubeConfig.from_file(run.args.kubeconfig))

    def one(name: str) -> None:
        cl.wait(Pod, name, for_conditions=["Ready"], namespace=run.ns)

    run.threads(one)()


def run_kubectl(run: Run) -> None:
    sel = selectors.DefaultSelector()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    run.sampler.children = []
    for name in run.names:
        p = subprocess.Popen(
            ["kubectl", "--kubeconfig", run.args.kubeconfig, "wait", "-n", run.ns,
             "--for=condition=Ready", f"pod/{name}", f"--timeout={int(run.args.timeout)}s"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert p.stdout is not None
        procs[name] = p
        run.sampler.children.append(p.pid)
        sel.register(p.stdout, selectors.EVENT_READ, name)
    ready()
    deadline = time.monotonic() + run.args.timeout
    open_pipes = len(procs)
    while open_pipes and time.monotonic() < deadline:
        for key, _ in sel.select(1.0):
            name = key.data
            data = os.read(key.fd, 4096)
            if b"condition met" in data and name not in run.wakes:
                run.woke(name)
            if not data:
                sel.unregister(key.fileobj)
                open_pipes -= 1
    for name, p in procs.items():
        if p.poll() is None:
            p.kill()
        p.wait()
        if name not in run.wakes:
            run.errors[name] = f"kubectl exit {p.returncode}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--contender", choices=CONTENDERS, required=True)
    ap.add_argument("--kubeconfig", required=True)
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--prefix", default="p")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--interval", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--scale", action="store_true", help="scaling run: count engine threads")
    ap.add_argument("--trace", action="store_true", help="hybridwait: stamp the dispatch stages")
    ap.add_argument("--gc-freeze", action="store_true",
                    help="gc.freeze() once every wait is set up (before READY)")
    ap.add_argument("--chunk-probe", action="store_true",
                    help="hybridwait: stamp chunks only (the watcher's CPU per chunk), "
                    "no per-event probe")
    args = ap.parse_args()
    global GC_FREEZE
    GC_FREEZE = args.gc_freeze
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    logging.basicConfig(level=logging.CRITICAL)  # urllib3's "pool is full" warnings
    run = Run(args)
    if args.scale:
        run.sampler.period = 0.1  # counting 10,000 threads is not free
    c = args.contender
    # import before the baseline so import cost is not charged to the waits
    if c.startswith("hybridwait"):
        import kubernetes.client
        import kubernetes.config

        import hybridwait.kube.engine  # noqa: F401
    elif c in ("naive", "watch"):
        import kubernetes.client
        import kubernetes.config
        import kubernetes.watch
        _ = kubernetes.client.CoreV1Api  # lazy import: ~1.4 s of CPU on first access
    elif c == "kr8s":
        import kr8s.asyncio  # noqa: F401
    elif c == "lightkube":
        import lightkube
        import lightkube.resources.core_v1  # noqa: F401
    base_threads = _status_field("self", "Threads:")
    base_rss = _status_field("self", "VmRSS:")
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    run.sampler.start()
    runners: dict[str, Callable[[Run], None]] = {
        "hybridwait": lambda r: run_hybridwait(r, True),
        "hybridwait-futures": lambda r: run_hybridwait(r, True, futures=True),
        "hybridwait-poll": lambda r: run_hybridwait(r, False),
        "naive": run_naive, "watch": run_watch, "kr8s": run_kr8s,
        "lightkube": run_lightkube, "kubectl": run_kubectl,
    }
    runners[c](run)
    run.sampler.stop()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    peak_rss = _status_field("self", "VmHWM:")
    if c == "kubectl":
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += ch.ru_utime + ch.ru_stime
        peak_rss = run.sampler.peak_rss_kb
    out = {
        "contender": c, "n": args.n, "wakes": run.wakes, "errors": run.errors,
        "cpu_s": cpu, "peak_threads": run.sampler.peak_threads, "base_threads": base_threads,
        "peak_rss_kb": peak_rss, "base_rss_kb": base_rss, "extra": run.extra,
    }
    print(json.dumps(out), flush=True)
    sys.stdout.flush()
    os._exit(0)  # daemon waiter threads of failed libraries must not block the exit


if __name__ == "__main__":
    sys.exit(main())
