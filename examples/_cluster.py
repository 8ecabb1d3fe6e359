"""Shared by the examples: use the cluster named by --kubeconfig, or start the
embedded emulator (``hybridwait.testing.FakeAPIServer``) when none is given."""

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
def cluster(kubeconfig: str | None) -> Iterator[str]:
    """Yield a kubeconfig path: the given one, or the emulator's for the duration."""
    if kubeconfig:
        yield kubeconfig
        return
    from hybridwait.testing import FakeAPIServer

    with FakeAPIServer() as srv:
        yield srv.kubeconfig
