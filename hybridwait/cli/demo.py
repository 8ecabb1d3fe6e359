"""``hybridwait demo``: one engine waits on a small app rolling out on a simulated cluster.

Starts the emulator with its simulated control plane (nodes, scheduler, kubelet,
controllers), applies a small realistic app (two Deployments, a StatefulSet, a
Job, a ConfigMap, a Service) and waits, through one shared
:class:`~hybridwait.Engine`, until every object is ready (kstatus Current). Then it
rolls out a new image of both Deployments and waits on the rollouts and on the
deletion of every old ``web`` pod, with live progress. The summary table shows
the waits met, the wake latency (from the write that met a wait to its waiter
waking), which path (watch or poll) ended each wait, and the API requests used
against what per-object polling would have cost. ``--chaos`` adds API faults
(dropped and stalled watches, a 410 Expired, a 500 storm, an API server restart)
and a workload fault: the ``api`` rollout's new image crash-loops, and its
``ready`` wait must end Failed (progress deadline exceeded) with the
controller's message, long before its timeout. Exit code 0 only if every wait
ended as the simulation says it should.

Example::

    $ hybridwait demo --pods 50 --chaos
"""

from __future__ import annotations

import enum
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO

from hybridwait.cli.flags import Flag, FlagSet, add_pflag_command, parse_command_line
from hybridwait.cli.progress import Progress

__all__ = ["DEMO_FLAGS", "DemoReport", "Expect", "WaitOutcome", "register", "run",
           "run_demo"]

NAMESPACE = "demo"
_ENGINE_VERBS = ("get", "list", "watch", "discovery")
# Simulated seconds per real second: pods start in 2-8 simulated seconds (0.2-0.8 s
# real), so a rollout of a few hundred pods takes a few seconds.
TIME_SCALE = 10.0
# The api Deployment's progress deadline (simulated), set with --chaos when its
# image is rolled out: its crash-looping rollout is reported Failed after this,
# about 4 s of real time. (Without --chaos the default 600 s applies, so a busy
# machine cannot make a healthy rollout miss it.)
API_PROGRESS_DEADLINE = 40
# The web servers' shutdown grace period (simulated): an old pod is Terminating
# this long (1 s of real time) before its kubelet deletes it.
GRACE_PERIOD = 10
WAIT_TIMEOUT = 120.0

DEMO_FLAGS = FlagSet(
    [
        Flag("pods", "int", 200,
             "Replicas of the web Deployment (the rollout replaces every one of them)."),
        Flag("chaos", "bool", False,
             "Inject dropped and stalled watches, a 410 Expired, a 500 storm and an API "
             "server restart, and make the api rollout's new image crash-loop."),
        Flag("poll-interval", "duration", "2s", "The engine's polling-fallback interval."),
        Flag("seed", "int", -1, "Random seed for a repeatable run (-1: a new one)."),
        Flag("plain", "bool", False, "Plain progress lines even on a terminal."),
    ]
)

_HELP = """\
Roll out a small app on a simulated cluster and wait on it with one hybrid engine.

 The emulator's simulated control plane runs the app (Deployments web and api, StatefulSet
 db, Job migrate, a ConfigMap and a Service); one engine waits until everything is ready,
 then on a rollout of a new image and on the deletion of every old web pod. A summary table
 follows. Exit code 0 only if every wait ended as the simulation says it should.

Examples:
  hybridwait demo
  hybridwait demo --pods 50 --chaos

Options:
{flags}
Usage:
  hybridwait demo [options]
"""


class Expect(enum.Enum):
    """How a demo wait should end."""

    READY = "ready"
    COMPLETE = "complete"
    DELETED = "deleted"
    FAILED = "failed"

    @property
    def for_(self) -> str:
        """The engine condition a wait of this kind uses."""
        return {"deleted": "delete", "complete": "condition=Complete"}.get(self.value, "ready")


@dataclass
class WaitOutcome:
    """One wait: ``resource`` (``deployment/web``), what it should end with, when it
    started and ended (monotonic), the engine ``path`` that ended it, ``error`` text
    if it raised, and ``correct`` once checked against the simulation."""

    resource: str
    expect: Expect
    started_at: float = 0.0
    ended_at: float = 0.0
    path: str = ""
    error: str = ""
    obj: Any = None
    correct: bool = False
    truth_at: float | None = None  # when the store write that should end it happened


@dataclass
class DemoReport:
    """Everything the summary table shows; ``ok`` means every wait ended correctly.

    Example::

        report = run_demo(pods=20, tty=False)
        assert report.ok, report.failures
    """

    pods: int
    chaos: bool
    outcomes: list[WaitOutcome]
    requests: dict[str, int]
    naive_gets: int
    poll_interval: float
    duration: float
    simulated: float = 0.0
    pods_started: int = 0
    chaos_events: list[str] = field(default_factory=list)
    engine_stats: dict[str, int] = field(default_factory=dict)

    @property
    def met(self) -> int:
        """Waits that ended correctly."""
        return sum(o.correct for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """True when every wait ended correctly."""
        return bool(self.outcomes) and self.met == len(self.outcomes)

    @property
    def failures(self) -> list[str]:
        """One line per wait that did not end correctly."""
        return [f"{o.resource} (expected {o.expect.value}): {o.error or 'wrong result'}"
                for o in self.outcomes if not o.correct]

    def latencies(self) -> list[float]:
        """Seconds from the write that ended each correct wait (or the wait's start,
        if that write came first) to its waiter waking."""
        return sorted(max(0.0, o.ended_at - max(o.truth_at, o.started_at))
                      for o in self.outcomes if o.correct and o.truth_at is not None)

    def by_path(self, path: str) -> int:
        """Correct waits that this path ("watch" or "poll") ended; "" counts the
        waits that ended with ``WaitFailed`` (as expected), which carry no path."""
        return sum(1 for o in self.outcomes if o.correct and o.path == path)


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(q) - 1]


# -- the app -----------------------------------------------------------------------------
def _deployment(name: str, image: str, replicas: int, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "terminationGracePeriodSeconds": GRACE_PERIOD,
                         "containers": [{"name": name, "image": image,
                                         "ports": [{"name": "http", "containerPort": 8080}],
                                         "envFrom": [{"configMapRef": {"name": "web-config"}}],
                                         "readinessProbe": {"httpGet": {
                                             "path": "/healthz", "port": "http"}}}]}},
                     **spec}}


def app_manifests(pods: int) -> list[dict[str, Any]]:
    """The demo app: ConfigMap, Service, Deployments web (``pods`` replicas) and api,
    StatefulSet db, Job migrate.

    Example::

        [m["kind"] for m in app_manifests(10)][:2]   # ['ConfigMap', 'Service']
    """
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"},
         "data": {"GREETING": "hello", "LOG_LEVEL": "info"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "web"},
                  "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
        _deployment("web", "registry.example/web:1.0", pods),
        _deployment("api", "registry.example/api:1.0", 3),
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
         "spec": {"replicas": 3, "serviceName": "db",
                  "selector": {"matchLabels": {"app": "db"}},
                  "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
                      "containers": [{"name": "db", "image": "registry.example/db:16"}]}}}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
         "spec": {"completions": 3, "parallelism": 3, "backoffLimit": 2,
                  "template": {"spec": {"restartPolicy": "Never", "containers": [
                      {"name": "migrate", "image": "registry.example/migrate:1.0"}]}}}},
    ]


_KEYS = {"ConfigMap": "/configmaps", "Service": "/services", "Deployment": "apps/deployments",
         "StatefulSet": "apps/statefulsets", "Job": "batch/jobs"}


def _apply(api_client: Any, manifests: list[dict[str, Any]]) -> None:
    from kubernetes import client

    core, apps, batch = (client.CoreV1Api(api_client), client.AppsV1Api(api_client),
                         client.BatchV1Api(api_client))
    namespace: Any = {"metadata": {"name": NAMESPACE}}  # the client takes plain dicts
    core.create_namespace(namespace)
    create: dict[str, Callable[[str, Any], Any]] = {
        "ConfigMap": core.create_namespaced_config_map,
        "Service": core.create_namespaced_service,
        "Deployment": apps.create_namespaced_deployment,
        "StatefulSet": apps.create_namespaced_stateful_set,
        "Job": batch.create_namespaced_job,
    }
    for m in manifests:
        create[m["kind"]](NAMESPACE, m)


def _set_image(api_client: Any, name: str, image: str, **spec: Any) -> None:
    from kubernetes import client

    client.AppsV1Api(api_client).patch_namespaced_deployment(
        name, NAMESPACE, {"spec": {"template": {"spec": {"containers": [
            {"name": name, "image": image}]}}, **spec}})


# -- ground truth ----------------------------------------------------------------------
class _Truth:
    """Records, from the store's own events, when each app object changed readiness
    and when each pod was deleted (the simulation's word on how waits should end)."""

    def __init__(self, srv: Any) -> None:
        from hybridwait.testing.apiserver.store import Watcher

        self._srv = srv
        self.status: dict[str, list[tuple[float, str]]] = {}  # "deployment/web" -> changes
        self.deleted: dict[str, float] = {}  # pod name -> when
        self._watchers = [Watcher(k, offer=self._offer)
                          for k in (*_KEYS.values(), "/pods")]
        for w in self._watchers:
            srv.store.add_watcher(w)

    def _offer(self, ev: Any) -> None:  # runs under the store lock: keep it cheap
        if ev.namespace != NAMESPACE:
            return
        now = time.monotonic()
        if ev.key == "/pods":
            if ev.type == "DELETED":
                self.deleted[ev.name] = now
            return
        from hybridwait.kube.status import object_status

        kind = ev.obj.get("kind", "").lower()
        value = object_status(ev.obj).status.value if ev.type != "DELETED" else "Deleted"
        if any(c.get("type") == "Complete" and c.get("status") == "True"
               for c in (ev.obj.get("status") or {}).get("conditions") or []):
            value = "Complete"
        changes = self.status.setdefault(f"{kind}/{ev.name}", [])
        if not changes or changes[-1][1] != value:
            changes.append((now, value))

    def when(self, o: WaitOutcome) -> float | None:
        """When the write that should end ``o`` happened (None: not yet)."""
        if o.expect is Expect.DELETED:
            return self.deleted.get(o.resource.split("/", 1)[1])
        want = {Expect.READY: "Current", Expect.COMPLETE: "Complete"}.get(o.expect, "Failed")
        last = None
        for at, value in self.status.get(o.resource, []):
            if value == want and (last is None or at <= o.ended_at):
                last = at
        return last

    def close(self) -> None:
        for w in self._watchers:
            self._srv.store.remove_watcher(w)


class _Chaos:
    """API fault schedule over the expected run, on its own thread."""

    def __init__(self, srv: Any, spread: float, note: Callable[[str], None]) -> None:
        self.srv = srv
        self.note = note
        self.events: list[str] = []
        self._stop = threading.Event()
        faults = srv.faults
        self.schedule: list[tuple[float, str, Callable[[], Any]]] = [
            (0.15 * spread, "dropped every watch", faults.drop_watches),
            (0.30 * spread, "stalled watches for 3s", lambda: faults.stall_watches(3.0)),
            (0.50 * spread, "compacted history + dropped watches (resume gets 410 Expired)",
             lambda: (faults.compact(), faults.drop_watches())),
            (0.65 * spread, "500 storm (next 6 lists and 6 watches) + dropped watches",
             lambda: (faults.fail_next(6, 500, verb="list"),
                      faults.fail_next(6, 500, verb="watch"), faults.drop_watches())),
            (0.80 * spread, "API server restart", srv.restart),
        ]
        self._thread = threading.Thread(target=self._run, name="hybridwait-demo-chaos",
                                        daemon=True)

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._thread.start()

    def _run(self) -> None:
        for at, what, action in self.schedule:
            delay = self._t0 + at - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return
            action()
            self.events.append(what)
            self.note(f"chaos: {what}")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join()
        self.srv.faults.clear()


def _board(srv: Any) -> str:
    """One short status per workload, from the store."""
    from hybridwait.kube.status import object_status

    parts = []
    for key, name in (("apps/deployments", "web"), ("apps/deployments", "api"),
                      ("apps/statefulsets", "db"), ("batch/jobs", "migrate")):
        obj = srv.store.get(key, NAMESPACE, name)
        st = object_status(obj)
        word = {"Current": "ready", "Failed": "FAILED"}.get(st.status.value, st.message)
        if key == "batch/jobs" and word == "ready":  # a running Job is Current too
            status = (obj or {}).get("status") or {}
            done = any(c.get("type") == "Complete" and c.get("status") == "True"
                       for c in status.get("conditions") or [])
            word = "complete" if done else f"{status.get('succeeded', 0)} succeeded"
        parts.append(f"{name}: {word}")
    return " | ".join(parts)


def _submit(engine: Any, outcomes: list[WaitOutcome], pool: ThreadPoolExecutor
            ) -> list[Future[None]]:
    """Start a wait for each of ``outcomes`` on the pool's threads."""
    from hybridwait.kube.errors import WaitFailed

    def wait_one(o: WaitOutcome) -> None:
        o.started_at = time.monotonic()
        try:
            r = engine.wait_result(o.resource, namespace=NAMESPACE, for_=o.expect.for_,
                                   timeout=WAIT_TIMEOUT)
            o.path, o.obj = str(getattr(r.path, "value", r.path)), r.objects
        except WaitFailed as exc:
            o.error = str(exc)
        except Exception as exc:
            o.error = f"{type(exc).__name__}: {exc}"
        o.ended_at = time.monotonic()

    return [pool.submit(wait_one, o) for o in outcomes]


def _follow(futures: list[Future[None]], bar: Progress, srv: Any, done_before: int) -> None:
    """Show progress until every wait of ``futures`` has ended."""
    while True:
        done = sum(f.done() for f in futures)
        bar.update(done_before + done, _board(srv))
        if done == len(futures):
            return
        time.sleep(0.1)


def _check(o: WaitOutcome, truth: _Truth) -> None:
    from hybridwait.kube.status import object_status

    o.truth_at = truth.when(o)
    if o.expect is Expect.FAILED:
        if "progress deadline exceeded" in o.error:
            o.correct = True
        elif not o.error:
            o.error = "met, but the rollout crash-loops: it should have failed"
        return
    if o.error:
        return
    if o.truth_at is None:
        o.error = "ended before the simulation made the change"
    elif o.expect is Expect.READY and object_status(o.obj).status.value != "Current":
        o.error = "returned an object that is not ready"
    else:
        o.correct = True


def run_demo(
    pods: int = 200,
    chaos: bool = False,
    poll_interval: float = 2.0,
    seed: int | None = None,
    progress_stream: TextIO | None = None,
    tty: bool | None = None,
) -> DemoReport:
    """Run the demo and return its report.

    Example::

        report = run_demo(pods=20, tty=False)
    """
    import random

    from hybridwait.kube.engine import Engine
    from hybridwait.testing import FakeAPIServer
    from hybridwait.testing.cluster import ClusterSettings, Span

    stream = progress_stream if progress_stream is not None else sys.stderr
    settings = ClusterSettings(
        nodes=3, seed=random.randrange(1 << 30) if seed is None else seed,
        time_scale=TIME_SCALE, create_delay=Span(2.0, 8.0), ready_delay=Span(1.0, 3.0),
        run_time=Span(8.0, 20.0), crash_after=Span(1.0, 2.0))
    manifests = app_manifests(pods)
    app = [f"{m['kind'].lower()}/{m['metadata']['name']}" for m in manifests]
    setup = [WaitOutcome(r, Expect.COMPLETE if r.startswith("job/") else Expect.READY)
             for r in app]
    rollout: list[WaitOutcome] = []
    chaos_runner: _Chaos | None = None
    with FakeAPIServer(bookmark_interval=1.0, cluster=settings) as srv:
        truth = _Truth(srv)
        writer = srv.api_client()
        engine = Engine(api_client=srv.api_client(), poll_interval=poll_interval,
                        stall_timeout=2.0 if chaos else 90.0)
        total = len(setup) + 2 + pods
        t_start = time.monotonic()
        try:
            with Progress(total, stream, tty=tty) as bar, engine, ThreadPoolExecutor(
                max_workers=max(pods + 2, len(setup)), thread_name_prefix="hybridwait-demo-wait"
            ) as pool:
                srv.reset_requests()
                _apply(writer, manifests)
                bar.note(f"applied {len(manifests)} objects to namespace {NAMESPACE!r}; "
                         f"waiting until they are ready")
                if chaos:
                    chaos_runner = _Chaos(srv, 8.0, bar.note)
                    chaos_runner.start()
                _follow(_submit(engine, setup, pool), bar, srv, 0)
                old = sorted(p["metadata"]["name"] for p in srv.store.items("/pods", NAMESPACE)
                             if (p["metadata"].get("labels") or {}).get("app") == "web")
                # the old pods' waits start before the rollout; the rollouts' once
                # it is written (the new generation is not ready until observed)
                gone = [WaitOutcome(f"pod/{name}", Expect.DELETED) for name in old]
                futures = _submit(engine, gone, pool)
                if chaos:
                    srv.cluster.crash_loop(image="registry.example/api:2.0")
                _set_image(writer, "web", "registry.example/web:2.0")
                _set_image(writer, "api", "registry.example/api:2.0", **(
                    {"progressDeadlineSeconds": API_PROGRESS_DEADLINE} if chaos else {}))
                bar.note("rolling out web:2.0 and api:2.0" + (
                    " (api:2.0 crash-loops)" if chaos else ""))
                rollout = [WaitOutcome("deployment/web", Expect.READY),
                           WaitOutcome("deployment/api",
                                       Expect.FAILED if chaos else Expect.READY)]
                futures += _submit(engine, rollout, pool)
                rollout += gone
                _follow(futures, bar, srv, len(setup))
        finally:
            if chaos_runner is not None:
                chaos_runner.stop()
            truth.close()
        duration = time.monotonic() - t_start
        stats = dict(engine.stats())
        counts = srv.request_counts()
        requests = {v: counts.get(v, 0) for v in _ENGINE_VERBS}
        simulated = srv.cluster.now()
        started = sum(1 for p in srv.store.items("/pods", NAMESPACE)
                      if (p.get("status") or {}).get("startTime")) + len(truth.deleted)
    outcomes = setup + rollout
    for o in outcomes:
        _check(o, truth)
    naive = 0
    for o in outcomes:
        end = o.truth_at if o.truth_at is not None else o.ended_at
        naive += int(max(0.0, end - o.started_at) // poll_interval) + 1
    return DemoReport(
        pods=pods, chaos=chaos, outcomes=outcomes, requests=requests, naive_gets=naive,
        poll_interval=poll_interval, duration=duration, simulated=simulated,
        pods_started=started,
        chaos_events=list(chaos_runner.events) if chaos_runner else [],
        engine_stats=stats,
    )


def _compare_cost(naive: int, used: int) -> str:
    """How per-object polling's request count compares with what the engine used."""
    if naive >= used:
        return f"{naive / max(used, 1):.0f}x more"
    return f"{used / max(naive, 1):.1f}x fewer: the faults made the engine read the API"


def format_summary(report: DemoReport) -> str:
    """The summary table printed at the end of the demo.

    Example::

        print(format_summary(report))
    """
    ms = [x * 1000 for x in report.latencies()]
    used = sum(report.requests.values())
    detail = ", ".join(f"{v} {k}" for k, v in report.requests.items())
    kinds = {e: sum(1 for o in report.outcomes if o.expect is e) for e in Expect}
    rows = [
        ("waits met", f"{report.met}/{len(report.outcomes)}"
         + (" (all correct)" if report.ok else f" ({len(report.failures)} wrong)")),
        ("ready / complete / deleted / failed",
         " / ".join(str(kinds[e]) for e in (Expect.READY, Expect.COMPLETE, Expect.DELETED,
                                            Expect.FAILED))),
        ("wake latency p50 / p99",
         f"{_percentile(ms, 50):.0f} ms / {_percentile(ms, 99):.0f} ms" if ms else "n/a"),
        ("ended by watch / poll / failure",
         f"{report.by_path('watch')} / {report.by_path('poll')} / {report.by_path('')}"),
        ("API requests used", f"{used} ({detail})"),
        (f"per-object polling every {report.poll_interval:g}s",
         f"{report.naive_gets} GETs ({_compare_cost(report.naive_gets, used)})"),
        ("simulated cluster", f"{report.pods_started} pods started, "
                              f"{report.simulated:.0f} s of simulated time"),
        ("wall time", f"{report.duration:.1f} s"),
    ]
    failed = [o for o in report.outcomes if o.expect is Expect.FAILED and o.correct]
    for o in failed:
        rows.append(("failed as expected", o.error))
    if report.chaos:
        rows.append(("chaos injected", "; ".join(report.chaos_events) or "none"))
        rows.append(("watch reconnects / relists",
                     f"{report.engine_stats.get('reconnects', 0)} / "
                     f"{report.engine_stats.get('relists', 0)}"))
    width = max(len(k) for k, _ in rows)
    title = (f"hybridwait demo: an app of {report.pods + 9} pods rolled out, one engine"
             + (", --chaos" if report.chaos else ""))
    lines = [title, "-" * len(title)]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    for f in report.failures[:10]:
        lines.append(f"FAILED {f}")
    return "\n".join(lines) + "\n"


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand (its flags are parsed kubectl-style by :func:`run`)."""
    add_pflag_command(
        subparsers,
        "demo",
        "watch one engine wait on an app rolling out on a simulated cluster",
        run,
    )


def run(argv: Sequence[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``hybridwait demo ARGV``; 0 only if every wait ended correctly.

    Example::

        code = run(["--pods", "50", "--chaos"])
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parsed = parse_command_line(DEMO_FLAGS, argv, "demo", _HELP, out, err)
    if isinstance(parsed, int):
        return parsed
    values, args = parsed
    if args:
        err.write(f"error: unexpected argument {args[0]!r}\n")
        return 1
    pods = int(values["pods"])
    poll_interval = int(values["poll-interval"]) / 1e9
    checks = [
        (1 <= pods <= 2000, "--pods must be between 1 and 2000"),
        (poll_interval > 0, "--poll-interval must be greater than 0"),
    ]
    for ok, message in checks:
        if not ok:
            err.write(f"error: {message}\n")
            return 1
    seed = int(values["seed"])
    tty = False if values["plain"] else None
    from hybridwait.cli.signals import cancel_on_signals

    with cancel_on_signals():
        try:
            report = run_demo(
                pods=pods, chaos=bool(values["chaos"]), poll_interval=poll_interval,
                seed=None if seed < 0 else seed, progress_stream=err, tty=tty,
            )
        except KeyboardInterrupt:
            return 1
        except Exception as exc:
            err.write(f"error: demo failed: {type(exc).__name__}: {exc}\n")
            return 1
    out.write("\n" + format_summary(report))
    out.flush()
    return 0 if report.ok else 1
