"""Shared by the examples: use the cluster named by --kubeconfig, or start the
embedded emulator (``hybridwait.testing.FakeAPIServer``) when none is given; with
``simulated=True`` the emulator runs its simulated control plane (nodes,
scheduler, kubelet, workload controllers), so Deployments and Jobs progress as on
a cluster."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence


def parse_args(description: str, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--kubeconfig", help="a cluster's kubeconfig (default: start the emulator)")
    parser.add_argument("--namespace", default="default")
    return parser.parse_args(argv)


@contextlib.contextmanager
def cluster(kubeconfig: str | None, *, simulated: bool = False) -> Iterator[str]:
    """Yield a kubeconfig path: the given one, or the emulator's for the duration
    (with ``simulated``, at 60 simulated seconds per real second)."""
    if kubeconfig:
        yield kubeconfig
        return
    from hybridwait.testing import ClusterSettings, FakeAPIServer

    with FakeAPIServer(cluster=ClusterSettings(time_scale=60.0) if simulated else None) as srv:
        yield srv.kubeconfig
