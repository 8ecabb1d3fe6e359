"""``hybridwait demo``: one engine waits on hundreds of pods of an embedded API server.

Starts the emulator, creates N pods, and lets a simulated kubelet bring each one
to Ready (or delete it) at a random time over a few seconds, while N callers wait
on them through one shared :class:`~hybridwait.Engine`. Shows live progress, then a
summary: waits met, wake latency, which path (watch or poll) ended each wait, and
the API requests used against what per-object polling would have cost. ``--chaos``
drops and stalls watches, forces a 410 Expired, a 500 storm and an API restart
during the run. Exit code 0 only if every wait ended correctly.

Example::

    $ hybridwait demo --pods 50 --chaos
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TextIO

from hybridwait.cli.flags import Flag, FlagSet, add_pflag_command, parse_command_line
from hybridwait.cli.kubelet import PodPlan, SimulatedKubelet, make_plan
from hybridwait.cli.progress import Progress

__all__ = ["DEMO_FLAGS", "DemoReport", "WaitOutcome", "register", "run", "run_demo"]

NAMESPACE = "demo"
_ENGINE_VERBS = ("get", "list", "watch", "discovery")

DEMO_FLAGS = FlagSet(
    [
        Flag("pods", "int", 200, "How many pods to create and wait on."),
        Flag("chaos", "bool", False,
             "Inject dropped and stalled watches, a 410 Expired, a 500 storm and an API "
             "server restart while the waits run."),
        Flag("spread", "duration", "5s",
             "The simulated kubelet makes pods Ready (or deletes them) at random times "
             "within this Go duration."),
        Flag("poll-interval", "duration", "2s", "The engine's polling-fallback interval."),
        Flag("delete-fraction", "string", "0.1",
             "Fraction of the pods the kubelet deletes (their waits are --for=delete)."),
        Flag("seed", "int", -1, "Random seed for a repeatable run (-1: a new one)."),
        Flag("plain", "bool", False, "Plain progress lines even on a terminal."),
    ]
)

_HELP = """\
Run one hybrid engine against an embedded Kubernetes API server and report how it did.

 A simulated kubelet brings --pods pods to Ready (or deletes some) at random times within
 --spread; one engine waits on all of them while progress is shown; a summary table follows.
 Exit code 0 only if every wait ended correctly.

Examples:
  hybridwait demo
  hybridwait demo --pods 50 --chaos

Options:
{flags}
Usage:
  hybridwait demo [options]
"""


@dataclass
class WaitOutcome:
    """How one wait ended: ``path`` ("watch"/"poll"), ``ended_at`` (monotonic),
    ``error`` text if it raised, ``correct`` once checked against the kubelet."""

    plan: PodPlan
    started_at: float
    ended_at: float = 0.0
    path: str = ""
    error: str = ""
    obj: Any = None
    correct: bool = False


@dataclass
class DemoReport:
    """Everything the summary table shows; ``ok`` means every wait ended correctly.

    Example::

        report = run_demo(pods=20, spread=1.0)
        assert report.ok, report.failures
    """

    pods: int
    chaos: bool
    outcomes: list[WaitOutcome]
    requests: dict[str, int]
    naive_gets: int
    poll_interval: float
    duration: float
    chaos_events: list[str] = field(default_factory=list)
    kubelet_retries: int = 0
    kubelet_failures: dict[str, str] = field(default_factory=dict)
    engine_stats: dict[str, int] = field(default_factory=dict)

    @property
    def met(self) -> int:
        """Waits that ended correctly."""
        return sum(o.correct for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """True when every wait ended correctly."""
        return self.met == len(self.outcomes) == self.pods

    @property
    def failures(self) -> list[str]:
        """One line per wait that did not end correctly."""
        return [f"{o.plan.name} ({o.plan.action}): {o.error or 'wrong result'}"
                for o in self.outcomes if not o.correct]

    def latencies(self, done_at: dict[str, float]) -> list[float]:
        """Seconds from the kubelet sending each change to its waiter waking."""
        return sorted(max(0.0, o.ended_at - done_at[o.plan.name])
                      for o in self.outcomes if o.correct and o.plan.name in done_at)

    def by_path(self, path: str) -> int:
        """Correct waits that this path ("watch" or "poll") ended."""
        return sum(1 for o in self.outcomes if o.correct and o.path == path)


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[int(q) - 1]


def _is_ready(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "Ready":
            return str(cond.get("status")).lower() == "true"
    return False


class _Chaos:
    """Fault schedule over the kubelet's spread, on its own thread."""

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

    def start(self, t0: float) -> None:
        self._t0 = t0
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
        self._thread.join()
        self.srv.faults.clear()


def run_demo(
    pods: int = 200,
    chaos: bool = False,
    spread: float = 5.0,
    poll_interval: float = 2.0,
    delete_fraction: float = 0.1,
    seed: int | None = None,
    progress_stream: TextIO | None = None,
    tty: bool | None = None,
) -> tuple[DemoReport, dict[str, float]]:
    """Run the demo and return ``(report, done_at)`` (kubelet change times).

    Example::

        report, done_at = run_demo(pods=20, spread=1.0, tty=False)
    """
    from hybridwait.kube.engine import Engine
    from hybridwait.testing import FakeAPIServer

    stream = progress_stream if progress_stream is not None else sys.stderr
    plan = make_plan(pods, spread, delete_fraction, seed)
    wait_timeout = spread + 20.0
    with FakeAPIServer(bookmark_interval=1.0) as srv:
        kubelet = SimulatedKubelet(srv.api_client(), NAMESPACE, plan)
        kubelet.create_namespace_and_pods()
        srv.reset_requests()
        engine = Engine(api_client=srv.api_client(), poll_interval=poll_interval,
                        stall_timeout=2.0 if chaos else 90.0)
        outcomes = [WaitOutcome(p, 0.0) for p in plan]
        t_start = time.monotonic()
        with Progress(pods, stream, tty=tty) as bar, engine, ThreadPoolExecutor(
            max_workers=max(pods, 1), thread_name_prefix="hybridwait-demo-wait"
        ) as pool:
            def wait_one(o: WaitOutcome) -> None:
                for_ = "condition=Ready" if o.plan.action == "ready" else "delete"
                o.started_at = time.monotonic()
                try:
                    r = engine.wait_result(f"pod/{o.plan.name}", namespace=NAMESPACE,
                                           for_=for_, timeout=wait_timeout)
                    o.path, o.obj = r.path, r.objects
                except Exception as exc:
                    o.error = f"{type(exc).__name__}: {exc}"
                o.ended_at = time.monotonic()

            futures: list[Future[None]] = [pool.submit(wait_one, o) for o in outcomes]
            chaos_runner = _Chaos(srv, spread, bar.note) if chaos else None
            kubelet.start()
            if chaos_runner is not None:
                chaos_runner.start(time.monotonic())
            try:
                while True:
                    done = sum(f.done() for f in futures)
                    by_watch = sum(1 for o in outcomes if o.path == "watch")
                    by_poll = sum(1 for o in outcomes if o.path == "poll")
                    bar.update(done, f"watch {by_watch}, poll {by_poll}")
                    if done == len(futures):
                        break
                    time.sleep(0.1)
            finally:
                if chaos_runner is not None:
                    chaos_runner.stop()
                if any(not f.done() for f in futures):
                    kubelet.stop()
                kubelet.join()
        duration = time.monotonic() - t_start
        stats = dict(engine.stats())
        counts = srv.request_counts()
        requests = {v: counts.get(v, 0) for v in _ENGINE_VERBS}

    for o in outcomes:
        applied = o.plan.name in kubelet.done_at
        if o.error:
            continue
        if not applied:
            o.error = "ended before the kubelet made the change"
        elif o.plan.action == "ready" and not _is_ready(o.obj):
            o.error = "returned an object that is not Ready"
        else:
            o.correct = True
    naive = 0
    for o in outcomes:
        if o.plan.name in kubelet.done_at:
            naive += int((kubelet.done_at[o.plan.name] - o.started_at) // poll_interval) + 1
    report = DemoReport(
        pods=pods, chaos=chaos, outcomes=outcomes, requests=requests, naive_gets=naive,
        poll_interval=poll_interval, duration=duration,
        chaos_events=list(chaos_runner.events) if chaos_runner else [],
        kubelet_retries=kubelet.retries, kubelet_failures=dict(kubelet.failed),
        engine_stats=stats,
    )
    return report, dict(kubelet.done_at)


def _compare_cost(naive: int, used: int) -> str:
    """How per-object polling's request count compares with what the engine used."""
    if naive >= used:
        return f"{naive / max(used, 1):.0f}x more"
    return f"{used / max(naive, 1):.1f}x fewer: the faults made the engine read the API"


def format_summary(report: DemoReport, done_at: dict[str, float]) -> str:
    """The summary table printed at the end of the demo.

    Example::

        print(format_summary(report, done_at))
    """
    lat = report.latencies(done_at)
    ms = [x * 1000 for x in lat]
    used = sum(report.requests.values())
    detail = ", ".join(f"{v} {k}" for k, v in report.requests.items())
    deleted = sum(1 for o in report.outcomes if o.plan.action == "delete")
    rows = [
        ("waits met", f"{report.met}/{report.pods}"
         + (" (all correct)" if report.ok else f" ({len(report.failures)} wrong)")),
        ("pods made Ready / deleted", f"{report.pods - deleted} / {deleted}"),
        ("wake latency p50 / p99",
         f"{_percentile(ms, 50):.0f} ms / {_percentile(ms, 99):.0f} ms" if ms else "n/a"),
        ("ended by watch / by poll", f"{report.by_path('watch')} / {report.by_path('poll')}"),
        ("API requests used", f"{used} ({detail})"),
        (f"per-object polling every {report.poll_interval:g}s",
         f"{report.naive_gets} GETs ({_compare_cost(report.naive_gets, used)})"),
        ("wall time", f"{report.duration:.1f} s"),
    ]
    if report.chaos:
        rows.append(("chaos injected", "; ".join(report.chaos_events) or "none"))
        rows.append(("watch reconnects / relists",
                     f"{report.engine_stats.get('reconnects', 0)} / "
                     f"{report.engine_stats.get('relists', 0)}"))
    width = max(len(k) for k, _ in rows)
    title = f"hybridwait demo: {report.pods} pods, one engine" + (", --chaos" if report.chaos
                                                                 else "")
    lines = [title, "-" * len(title)]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    for f in report.failures[:10]:
        lines.append(f"FAILED {f}")
    for name, why in list(report.kubelet_failures.items())[:10]:
        lines.append(f"KUBELET FAILED {name}: {why}")
    return "\n".join(lines) + "\n"


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand (its flags are parsed kubectl-style by :func:`run`)."""
    add_pflag_command(
        subparsers,
        "demo",
        "watch one engine wait on hundreds of pods of an embedded API server",
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
    spread = int(values["spread"]) / 1e9
    poll_interval = int(values["poll-interval"]) / 1e9
    try:
        fraction = float(str(values["delete-fraction"]))
    except ValueError:
        fraction = -1.0
    checks = [
        (1 <= pods <= 5000, "--pods must be between 1 and 5000"),
        (0 < spread <= 600, "--spread must be between 0s and 10m"),
        (poll_interval > 0, "--poll-interval must be greater than 0"),
        (0.0 <= fraction <= 1.0, "--delete-fraction must be a number between 0 and 1"),
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
            report, done_at = run_demo(
                pods=pods, chaos=bool(values["chaos"]), spread=spread,
                poll_interval=poll_interval, delete_fraction=fraction,
                seed=None if seed < 0 else seed, progress_stream=err, tty=tty,
            )
        except KeyboardInterrupt:
            return 1
        except Exception as exc:
            err.write(f"error: demo failed: {type(exc).__name__}: {exc}\n")
            return 1
    out.write("\n" + format_summary(report, done_at))
    out.flush()
    return 0 if report.ok else 1
