"""Benchmark: hybridwait against what a Python user would otherwise pick.

One emulator (``FakeAPIServer``) runs in this process for the whole run. For
every N, repeat and contender (interleaved, so drift hits every contender
alike) it:

1. creates N pods ``p00000..`` (not Ready) in a fresh namespace;
2. starts the contender in its own process (``bench_contender.py``), which
   starts one wait per pod and prints ``READY``;
3. lets the waits settle (until the expected watch connections or first GETs
   are seen by the server, bounded), then a writer thread sets each pod's Ready
   condition through the emulator's API layer at known instants, spread evenly
   over ``--spread`` seconds in shuffled order, after a random phase in
   ``[0, interval)`` so a poller's cycle does not line up with the first write;
4. records the instant the store committed each write (a timing hook on the
   store's ``write``, ``time.monotonic``), so event->wake latency = the contender's wake instant
   minus that commit instant;
5. reads the API requests the contender made from ``srv.request_counts()``
   (reset before the contender starts; the writer makes no HTTP request).

Writes the raw runs to ``docs/img/benchmarks-raw.json``, a plot to
``docs/img/benchmarks.png`` and the results section of ``docs/benchmarks.md``.

Usage::

    pip install -e '.[bench]'
    python3 tests/benchmarks/bench_compare.py            # full run (~15 min)
    python3 tests/benchmarks/bench_compare.py --quick    # N in {1, 100}, 1 repeat
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import queue
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHILD = HERE / "bench_contender.py"

CONTENDERS = ("hybridwait", "hybridwait-futures", "hybridwait-poll", "naive", "watch", "kr8s",
              "lightkube", "kubectl", "hybridwait-old")
# hybridwait-old (only when named, with --old-engine DIR): the blocking eng.wait
# contender running another checkout's hybridwait, side by side with this one
DEFAULT_CONTENDERS = tuple(c for c in CONTENDERS if c != "hybridwait-old")
OURS = ("hybridwait", "hybridwait-futures", "hybridwait-poll", "hybridwait-old")
LABELS = {
    "hybridwait": "hybridwait (hybrid)",
    "hybridwait-futures": "hybridwait futures",
    "hybridwait-poll": "hybridwait --no-watch",
    "naive": "naive GET loop",
    "watch": "kubernetes Watch/waiter",
    "kr8s": "kr8s wait",
    "lightkube": "lightkube wait",
    "kubectl": "kubectl wait (subprocess)",
    "hybridwait-old": "hybridwait (hybrid), --old-engine",
}
# the largest N each contender runs at (on 2 cores); see docs/benchmarks.md. Above
# 1,000 only contenders that hold a wait without an OS thread run (futures, asyncio).
MAX_N = {"kubectl": 100, "hybridwait": 1000, "hybridwait-old": 1000, "hybridwait-poll": 1000,
         "naive": 1000, "watch": 1000, "lightkube": 1000}
# per-waiter watch connections expected once a contender has settled
WATCHES_PER_WAITER = {"watch", "kr8s", "lightkube", "kubectl"}
READY_BODY = json.dumps({"status": {"conditions": [
    {"type": "Ready", "status": "True"}]}}).encode()


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


class Bench:
    """The emulator, the commit-time hook and the writer."""

    def __init__(self) -> None:
        from hybridwait.testing import FakeAPIServer

        self.srv = FakeAPIServer(history=100_000).start()
        self.pods = self.srv.registry.lookup("", "v1", "pods")
        self.nss = self.srv.registry.lookup("", "v1", "namespaces")
        assert self.pods is not None and self.nss is not None
        self.commits: dict[tuple[str, str], float] = {}
        # Timing hook: the instant each write enters the store (its revision is
        # assigned there), before the store offers the event to any watch stream.
        # (A store listener would be called after streams that deliver directly,
        # in set order, and could stamp an instant later than a client's wake.)
        store, pods_key, commits = self.srv.store, self.pods.key, self.commits
        write = store.write

        def timed_write(key: str, namespace: str, name: str, obj: dict[str, Any],
                        type_: str) -> Any:
            t = time.monotonic()
            ev = write(key, namespace, name, obj, type_)
            if (key == pods_key and type_ == "MODIFIED" and (namespace, name) not in commits
                    and any(c.get("type") == "Ready"
                            for c in (obj.get("status") or {}).get("conditions") or [])):
                commits[(namespace, name)] = t
            return ev

        store.write = timed_write  # type: ignore[method-assign]

    def close(self) -> None:
        self.srv.stop()

    def watches_open(self) -> int:
        return self.srv.watch_count()

    def make_pods(self, ns: str, n: int, prefix: str = "p") -> list[str]:
        api = self.srv.api
        api.create(self.nss, "v1", "", {"apiVersion": "v1", "kind": "Namespace",
                                         "metadata": {"name": ns}})
        names = [f"{prefix}{i:05d}" for i in range(n)]
        for name in names:
            api.create(self.pods, "v1", ns, {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        return names

    def drop_pods(self, ns: str, names: list[str]) -> None:
        for name in names:
            self.srv.api.delete(self.pods, ns, name)
            self.commits.pop((ns, name), None)

    def flip(self, ns: str, name: str) -> None:
        self.srv.api.patch(self.pods, "v1", ns, name, "application/merge-patch+json",
                           READY_BODY, subresource="status")


def _reader(proc: subprocess.Popen[str], q: queue.Queue[str | None]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        q.put(line)
    q.put(None)


def run_one(bench: Bench, contender: str, n: int, ns: str, args: argparse.Namespace,
            rng: random.Random, trace: bool = False) -> dict[str, Any]:
    """One contender at one N: returns the run's raw figures (with ``trace``, the
    child stamps the engine's dispatch stages and the result keeps every pod's
    commit instant under ``commit_at``)."""
    names = bench.make_pods(ns, n)
    srv = bench.srv
    srv.reset_requests()
    max_settle = (3.0 + 0.1 * n) if contender == "kubectl" else (3.0 + 0.005 * n)
    child_timeout = max_settle + args.spread + 60.0
    env = None
    child = contender
    if contender == "hybridwait-old":  # the same client code, another checkout's library
        child = "hybridwait"
        env = {**os.environ, "PYTHONPATH": str(Path(args.old_engine).resolve())}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), "--contender", child, "--kubeconfig", srv.kubeconfig,
         "--namespace", ns, "--n", str(n), "--interval", str(args.interval),
         "--timeout", str(child_timeout)] + (["--trace"] if trace else []),
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    q: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc, q), daemon=True).start()
    line = q.get(timeout=120)
    if line is None or line.strip() != "READY":
        proc.kill()
        raise RuntimeError(f"{contender} did not start: {line!r}")
    t_ready = time.monotonic()
    # settle: every waiter has made its first contact (bounded by max_settle)
    while time.monotonic() - t_ready < max_settle:
        counts = srv.request_counts()
        if contender in WATCHES_PER_WAITER:
            settled = bench.watches_open() >= n
        elif contender in ("hybridwait", "hybridwait-futures", "hybridwait-old"):
            settled = bench.watches_open() >= 1 and counts.get("watch", 0) >= 1
        else:
            settled = counts.get("get", 0) >= n
        if settled and time.monotonic() - t_ready >= 0.5:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    settle = time.monotonic() - t_ready
    order = names[:]
    rng.shuffle(order)
    step = args.spread / n
    # a random phase against the pollers' cycles (matters for small N)
    t0 = time.monotonic() + 0.05 + rng.uniform(0.0, args.interval)
    for i, name in enumerate(order):
        delay = t0 + i * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        bench.flip(ns, name)
    out_lines: list[str] = []
    deadline = time.monotonic() + child_timeout
    while True:
        try:
            got = q.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            break
        if got is None:
            break
        out_lines.append(got)
    proc.wait()
    counts = srv.request_counts()
    result = json.loads(out_lines[-1]) if out_lines else {"wakes": {}, "errors": {"*": "died"}}
    lat = []
    for name in names:
        woke = result["wakes"].get(name)
        committed = bench.commits.get((ns, name))
        if woke is not None and committed is not None:
            lat.append((woke - committed) * 1000.0)
    commit_at = {name: bench.commits[(ns, name)] for name in names if (ns, name) in bench.commits}
    bench.drop_pods(ns, names)
    total_requests = sum(counts.values())
    done = len(lat)
    return {
        "contender": contender, "n": n, "namespace": ns, "settle_s": round(settle, 3),
        "completed": done, "errors": len(result.get("errors", {})),
        "error_sample": sorted(set(result.get("errors", {}).values()))[:3],
        "latency_ms": {"p50": pct(lat, 50), "p90": pct(lat, 90), "p99": pct(lat, 99),
                       "max": max(lat), "min": min(lat)} if lat else None,
        "requests": counts, "requests_total": total_requests,
        "requests_per_wait": total_requests / done if done else None,
        "watch_connections": counts.get("watch", 0),
        "cpu_s": result.get("cpu_s"), "peak_threads": result.get("peak_threads"),
        "base_threads": result.get("base_threads"),
        "peak_rss_mb": (result.get("peak_rss_kb") or 0) / 1024,
        "base_rss_mb": (result.get("base_rss_kb") or 0) / 1024,
        "extra": result.get("extra", {}),
        "wakes": result["wakes"] if trace else None,
        "commit_at": commit_at if trace else None,
    }


# -- aggregation and output -------------------------------------------------------------
def _med(runs: list[dict[str, Any]], get: Any) -> tuple[float, float, float] | None:
    vals = [v for v in (get(r) for r in runs) if v is not None]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


METRICS: list[tuple[str, str, Any]] = [
    ("p50 ms", "{:.3g}", lambda r: r["latency_ms"] and r["latency_ms"]["p50"]),
    ("p99 ms", "{:.3g}", lambda r: r["latency_ms"] and r["latency_ms"]["p99"]),
    ("req/wait", "{:.3g}", lambda r: r["requests_per_wait"]),
    ("watch conns", "{:.0f}", lambda r: r["watch_connections"]),
    ("CPU s", "{:.2f}", lambda r: r["cpu_s"]),
    ("peak threads", "{:.0f}", lambda r: r["peak_threads"]),
    ("peak RSS MB", "{:.0f}", lambda r: r["peak_rss_mb"]),
]


def _cell(m: tuple[float, float, float] | None, fmt: str) -> str:
    if m is None:
        return "—"
    med, lo, hi = m
    if lo == hi:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(lo)}-{fmt.format(hi)})"


def table(runs: list[dict[str, Any]]) -> str:
    ns = sorted({r["n"] for r in runs})
    lines = ["| N | contender | waits met | " + " | ".join(m[0] for m in METRICS) + " |",
             "|---|---|---|" + "---|" * len(METRICS)]
    for n in ns:
        for c in CONTENDERS:
            rs = [r for r in runs if r["n"] == n and r["contender"] == c]
            if not rs:
                continue
            met = f"{min(r['completed'] for r in rs)}/{n}"
            cells = [_cell(_med(rs, get), fmt) for _, fmt, get in METRICS]
            lines.append(f"| {n} | {LABELS[c]} | {met} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _base(runs: list[dict[str, Any]], n: int) -> str:
    """The hybridwait contender the others are compared with at ``n``: the
    blocking ``eng.wait`` where it ran, else the futures."""
    return "hybridwait" if any(r["n"] == n and r["contender"] == "hybridwait"
                               for r in runs) else "hybridwait-futures"


def ratios(runs: list[dict[str, Any]]) -> tuple[str, dict[tuple[int, str], dict[str, float]]]:
    """contender/hybridwait per repeat (same process run), median over repeats."""
    out: dict[tuple[int, str], dict[str, float]] = {}
    lines = ["| N | contender | p50 latency: contender / hybridwait | p99: contender / hybridwait"
             " | requests/wait: contender / hybridwait |", "|---|---|---|---|---|"]
    for n in sorted({r["n"] for r in runs}):
        base = _base(runs, n)
        for c in CONTENDERS:
            if c == base:
                continue
            rp50, rp99, rreq = [], [], []
            for rep in sorted({r["repeat"] for r in runs}):
                h = [r for r in runs if r["n"] == n and r["repeat"] == rep
                     and r["contender"] == base]
                o = [r for r in runs if r["n"] == n and r["repeat"] == rep and r["contender"] == c]
                if not h or not o or not h[0]["latency_ms"] or not o[0]["latency_ms"]:
                    continue
                h0, o0 = h[0], o[0]
                rp50.append(o0["latency_ms"]["p50"] / max(h0["latency_ms"]["p50"], 1e-6))
                rp99.append(o0["latency_ms"]["p99"] / max(h0["latency_ms"]["p99"], 1e-6))
                if o0["requests_per_wait"] and h0["requests_per_wait"]:
                    rreq.append(o0["requests_per_wait"] / h0["requests_per_wait"])
            if not rp50:
                continue
            d = {"p50": statistics.median(rp50), "p99": statistics.median(rp99),
                 "req": statistics.median(rreq) if rreq else float("nan")}
            out[(n, c)] = d
            label = LABELS[c] if base == "hybridwait" else f"{LABELS[c]} (vs {LABELS[base]})"
            lines.append(f"| {n} | {label} | {d['p50']:.3g}x | {d['p99']:.3g}x"
                         f" | {d['req']:.3g}x |")
    return "\n".join(lines), out


def against_best(runs: list[dict[str, Any]]) -> str:
    """Per N: each hybridwait watch contender's median p50/p99 against the best
    median among the peers (not hybridwait) that met every wait in every repeat."""
    lines = ["| N | hybridwait | p50 ms | best peer p50 ms | p99 ms | best peer p99 ms | verdict |",
             "|---|---|---|---|---|---|---|"]
    for n in sorted({r["n"] for r in runs}):
        peers: dict[str, tuple[float, float]] = {}
        for c in CONTENDERS:
            rs = [r for r in runs if r["n"] == n and r["contender"] == c]
            if c in OURS or not rs or any(r["completed"] < n for r in rs):
                continue
            m50, m99 = _med(rs, METRICS[0][2]), _med(rs, METRICS[1][2])
            if m50 is not None and m99 is not None:
                peers[c] = (m50[0], m99[0])
        for c in ("hybridwait", "hybridwait-futures"):
            rs = [r for r in runs if r["n"] == n and r["contender"] == c]
            m50, m99 = _med(rs, METRICS[0][2]), _med(rs, METRICS[1][2])
            if m50 is None or m99 is None:
                continue
            met = min(r["completed"] for r in rs)
            if not peers:
                lines.append(f"| {n} | {LABELS[c]} ({met}/{n} met) | {m50[0]:.3g} | — "
                             f"| {m99[0]:.3g} | — | no peer met every wait |")
                continue
            b50 = min(peers, key=lambda k: peers[k][0])
            b99 = min(peers, key=lambda k: peers[k][1])
            ok50, ok99 = m50[0] <= peers[b50][0], m99[0] <= peers[b99][1]
            verdict = ("both <= best peer" if ok50 and ok99 else
                       f"p50 {'<=' if ok50 else '>'}, p99 {'<=' if ok99 else '>'} best peer")
            lines.append(f"| {n} | {LABELS[c]} ({met}/{n} met) | {m50[0]:.3g} "
                         f"| {peers[b50][0]:.3g} ({LABELS[b50]}) | {m99[0]:.3g} "
                         f"| {peers[b99][1]:.3g} ({LABELS[b99]}) | {verdict} |")
    return "\n".join(lines)


# -- time to first wait ---------------------------------------------------------------------
TTFW_LIBRARY = """\
import sys
from hybridwait import Engine
with Engine(kubeconfig=sys.argv[1]) as eng:
    eng.wait("pod/" + sys.argv[3], for_="condition=Ready", namespace=sys.argv[2], timeout=30)
"""


def time_to_first_wait(bench: Bench, repeats: int) -> dict[str, list[float]]:
    """Wall time (s) of a fresh process that imports, connects and waits once on a
    pod that is already Ready, until it exits: what a short-lived tool pays per run."""
    ns, name = "ttfw", "ready-00000"
    bench.make_pods(ns, 1, prefix="ready-")
    bench.flip(ns, name)
    kc = bench.srv.kubeconfig
    cmds = {
        "hybridwait (library: import, Engine, wait)": [
            sys.executable, "-c", TTFW_LIBRARY, kc, ns, name],
        "hybridwait wait (CLI)": [
            shutil.which("hybridwait") or "hybridwait", "wait", "--kubeconfig", kc, "-n", ns,
            "--for=condition=Ready", f"pod/{name}", "--timeout=30s"],
        "kubectl wait": [
            "kubectl", "--kubeconfig", kc, "wait", "-n", ns, "--for=condition=Ready",
            f"pod/{name}", "--timeout=30s"],
    }
    out: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeats):
        for label, cmd in cmds.items():  # interleaved, so drift hits all alike
            t = time.monotonic()
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
            took = time.monotonic() - t
            if done.returncode != 0:
                raise RuntimeError(f"{label} failed: {done.stdout} {done.stderr}")
            out[label].append(took)
    bench.drop_pods(ns, [name])
    return out


def ttfw_table(ttfw: dict[str, list[float]]) -> str:
    lines = ["| command | median s | min-max s |", "|---|---|---|"]
    for label, vals in ttfw.items():
        lines.append(f"| {label} | {statistics.median(vals):.3f} "
                     f"| {min(vals):.3f}-{max(vals):.3f} |")
    return "\n".join(lines)


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = sorted({r["n"] for r in runs})
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2))
    colors = plt.get_cmap("tab10")
    width = 0.8 / len(CONTENDERS)
    for ci, c in enumerate(CONTENDERS):
        xs, p50, p99, req = [], [], [], []
        for ni, n in enumerate(ns):
            rs = [r for r in runs if r["n"] == n and r["contender"] == c]
            m50 = _med(rs, METRICS[0][2])
            m99 = _med(rs, METRICS[1][2])
            mq = _med(rs, METRICS[2][2])
            if m50 is None or m99 is None or mq is None:
                continue
            xs.append(ni + (ci - len(CONTENDERS) / 2 + 0.5) * width)
            p50.append(m50[0])
            p99.append(m99[0])
            req.append(mq[0])
        kw = {"width": width, "color": colors(ci), "label": LABELS[c]}
        axes[0].bar(xs, p50, **kw)
        axes[1].bar(xs, p99, **kw)
        axes[2].bar(xs, req, **kw)
    titles = ["event→wake latency p50 (ms)", "event→wake latency p99 (ms)",
              "API requests per completed wait"]
    for ax, title in zip(axes, titles, strict=True):
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xticks(range(len(ns)), [f"N={n}" for n in ns])
        ax.grid(axis="y", which="major", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.suptitle("hybridwait vs alternatives (median of repeats; log scale; lower is better)")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_section(doc: Path, tag: str, body: str) -> None:
    """Replace the text between ``<!-- TAG:start -->`` and ``<!-- TAG:end -->``."""
    start, end = f"<!-- {tag}:start -->", f"<!-- {tag}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def machine() -> str:
    return (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
            f"Linux {platform.release()}, Python {platform.python_version()}, "
            f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")


def report(runs: list[dict[str, Any]], args: argparse.Namespace, argv: list[str],
           ttfw: dict[str, list[float]] | None = None) -> str:
    rtable, _ = ratios(runs)
    base = "python3 tests/benchmarks/bench_compare.py"
    cmd = base + "".join(f" {a}" for a in argv)
    cmd = cmd.replace(" + ", f"`, then (`--merge`) `{base} ")
    errs = [f"- {LABELS[r['contender']]} N={r['n']} repeat {r['repeat']}: "
            f"{r['errors']} failed waits, e.g. {r['error_sample'][:1]}"
            for r in runs if r["errors"]]
    settle = {c: statistics.median(r["settle_s"] for r in runs if r["contender"] == c)
              for c in CONTENDERS if any(r["contender"] == c for r in runs)}
    return "\n".join([
        f"Command: `{cmd}`  ",
        f"Machine: {machine()}  ",
        f"Repeats: {args.repeats} per (contender, N); poll interval {args.interval} s; "
        f"writes spread over {args.spread} s. Cells: median (min-max) over repeats.",
        "",
        table(runs),
        "",
        "Ratios (contender ÷ hybridwait, computed per repeat from the same process run, "
        "median over repeats; > 1 means hybridwait is better):",
        "",
        rtable,
        "",
        "hybridwait against the best peer at each N (medians over repeats; peers that met "
        "every wait in every repeat):",
        "",
        against_best(runs),
        "",
        *([f"Time to first wait ({min(map(len, ttfw.values()))} runs each, interleaved): "
           "a fresh process "
           "that imports, connects and waits on a pod that is already Ready, wall time to its "
           "exit:", "", ttfw_table(ttfw), ""] if ttfw else []),
        "![latency and requests per wait](img/benchmarks.png)",
        "",
        "Median settle time before the first write (s): "
        + ", ".join(f"{LABELS[c]} {v:.1f}" for c, v in settle.items()) + ".",
        "",
        "Failed waits: " + ("none." if not errs else "\n" + "\n".join(errs)),
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N in {1, 10, 100}, 1 repeat")
    ap.add_argument("--n", default="1,10,100,1000,10000",
                    help="comma-separated N (default 1,10,100,1000,10000)")
    ap.add_argument("--ttfw-repeats", type=int, default=5,
                    help="runs of the time-to-first-wait comparison (0: skip it)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--contenders", default=",".join(DEFAULT_CONTENDERS))
    ap.add_argument("--old-engine", metavar="DIR",
                    help="a checkout (e.g. a git worktree of an older commit) whose hybridwait "
                         "the hybridwait-old contender imports (PYTHONPATH=DIR in its process)")
    ap.add_argument("--interval", type=float, default=2.0, help="poll interval (s)")
    ap.add_argument("--spread", type=float, default=4.0, help="writes spread over (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--doc", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--img", default=str(ROOT / "docs" / "img" / "benchmarks.png"))
    ap.add_argument("--raw", default=str(ROOT / "docs" / "img" / "benchmarks-raw.json"))
    ap.add_argument("--no-doc", action="store_true", help="print only; write no file")
    ap.add_argument("--merge", action="store_true",
                    help="keep the runs in --raw of every (contender, N) not run now, and "
                         "report them together with this run's")
    raw_argv = sys.argv[1:] if argv is None else argv
    args = ap.parse_args(raw_argv)
    if args.quick:
        args.n, args.repeats = "1,10,100", 1
    sizes = [int(x) for x in args.n.split(",")]
    contenders = [c for c in args.contenders.split(",") if c]
    for c in contenders:
        if c not in CONTENDERS:
            ap.error(f"unknown contender {c!r}; choose from {', '.join(CONTENDERS)}")
    if "hybridwait-old" in contenders and not args.old_engine:
        ap.error("the hybridwait-old contender needs --old-engine DIR")
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rng = random.Random(args.seed)
    bench = Bench()
    runs: list[dict[str, Any]] = []
    ttfw: dict[str, list[float]] | None = None
    k = 0
    try:
        if args.ttfw_repeats > 0:
            ttfw = time_to_first_wait(bench, args.ttfw_repeats)
            print(ttfw_table(ttfw), flush=True)
        for n in sizes:
            for rep in range(args.repeats):
                order = contenders[:]
                rng.shuffle(order)
                for c in order:
                    if n > MAX_N.get(c, n):
                        continue
                    k += 1
                    r = run_one(bench, c, n, f"bench-{k}", args, rng)
                    r["repeat"] = rep
                    runs.append(r)
                    lat = r["latency_ms"] or {}
                    print(f"N={n:<5} rep={rep} {c:<16} met {r['completed']}/{n} "
                          f"p50={lat.get('p50', float('nan')):9.2f}ms "
                          f"p99={lat.get('p99', float('nan')):9.2f}ms "
                          f"req/wait={r['requests_per_wait'] or float('nan'):8.3f} "
                          f"watches={r['watch_connections']:<5} cpu={r['cpu_s'] or 0:6.2f}s "
                          f"threads={r['peak_threads']} rss={r['peak_rss_mb']:.0f}MB",
                          flush=True)
    finally:
        bench.close()
    argv_note = raw_argv
    if args.merge and Path(args.raw).exists():
        old = json.loads(Path(args.raw).read_text(encoding="utf-8"))
        ran = {(r["contender"], r["n"]) for r in runs}
        kept = [r for r in old["runs"] if (r["contender"], r["n"]) not in ran]
        runs = kept + runs
        ttfw = ttfw or old.get("ttfw_s")
        argv_note = [*old.get("argv", []), "+", *raw_argv]
    print()
    print(table(runs))
    print()
    print(ratios(runs)[0])
    print()
    print(against_best(runs))
    if not args.no_doc:
        Path(args.raw).parent.mkdir(parents=True, exist_ok=True)
        Path(args.raw).write_text(json.dumps({"argv": argv_note, "machine": machine(),
                                              "ttfw_s": ttfw, "runs": runs}, indent=1),
                                  encoding="utf-8")
        plot(runs, Path(args.img))
        write_section(Path(args.doc), "results", report(runs, args, argv_note, ttfw))
        print(f"\nwrote {args.doc}, {args.img}, {args.raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
