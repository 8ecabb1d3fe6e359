"""``hybridwait fake-apiserver``: run the embedded API emulator from a shell.

Example::

    $ hybridwait fake-apiserver --port 8080 --kubeconfig ./kubeconfig
    serving on http://127.0.0.1:8080
    kubeconfig: ./kubeconfig
    $ kubectl --kubeconfig ./kubeconfig get pods
    $ hybridwait fake-apiserver --cluster --time-scale 60   # deployments roll out
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``fake-apiserver`` subcommand to ``subparsers``."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "fake-apiserver",
        help="run an in-memory Kubernetes API server on 127.0.0.1 until Ctrl-C",
        description="Run hybridwait's in-memory Kubernetes API emulator on 127.0.0.1 until "
                    "Ctrl-C (SIGINT) or SIGTERM. kubectl and the kubernetes client work "
                    "against it through the kubeconfig it writes.",
    )
    p.add_argument("--port", type=int, default=0,
                   help="port to listen on (default: a free port)")
    p.add_argument("--kubeconfig", default=None,
                   help="where to write the kubeconfig (default: a temporary file)")
    p.add_argument("--bookmark-interval", type=float, default=60.0,
                   help="seconds between BOOKMARK events on watches that ask (default 60)")
    p.add_argument("--history", type=int, default=10_000,
                   help="watch events kept for resuming (default 10000)")
    p.add_argument("--cluster", action="store_true",
                   help="run the simulated control plane: nodes, scheduler, kubelet and the "
                        "workload controllers (see docs/testing.md)")
    p.add_argument("--nodes", type=int, default=3,
                   help="with --cluster: how many simulated nodes (default 3)")
    p.add_argument("--seed", type=int, default=0,
                   help="with --cluster: seed of the simulated delays (default 0)")
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="with --cluster: simulated seconds per real second (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; return 0 (2 if the server cannot start)."""
    from hybridwait.testing.apiserver import FakeAPIServer

    done = threading.Event()
    cluster = None
    if getattr(args, "cluster", False):
        from hybridwait.testing.cluster import ClusterSettings

        try:
            cluster = ClusterSettings(nodes=args.nodes, seed=args.seed,
                                      time_scale=args.time_scale)
        except ValueError as exc:
            print(f"fake-apiserver: {exc}", file=sys.stderr)
            return 2
    srv = FakeAPIServer(port=args.port, kubeconfig=args.kubeconfig,
                        bookmark_interval=args.bookmark_interval, history=args.history,
                        cluster=cluster)
    try:
        srv.start()
    except OSError as exc:
        print(f"fake-apiserver: cannot listen on port {args.port}: {exc.strerror}",
              file=sys.stderr)
        return 2
    previous = {sig: signal.signal(sig, lambda *_: done.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"serving on {srv.url}", flush=True)
        print(f"kubeconfig: {srv.kubeconfig}", flush=True)
        print("press Ctrl-C to stop", flush=True)
        while not done.wait(0.5):
            pass
    finally:
        srv.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
