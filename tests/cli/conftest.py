"""Fixtures for the CLI tests: one emulator per module with pods a, b, c and a
helper running the CLI in-process."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from hybridwait.cli.main import main
from hybridwait.testing import FakeAPIServer


@dataclass
class Run:
    """Exit code and output lines of one command."""

    code: int
    out: list[str]
    err: list[str]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``hybridwait ARGV`` in-process and capture what it prints."""
    capsys.readouterr()
    code = main(argv)
    got = capsys.readouterr()
    return Run(code, got.out.splitlines(), got.err.splitlines())


def make_pod(srv: FakeAPIServer, name: str, ready: str | None, labels: dict[str, str] | None = None,
             namespace: str = "default") -> None:
    """Create a pod; ``ready`` "True"/"False" sets its Ready condition (None: no status)."""
    from kubernetes import client

    v1 = client.CoreV1Api(srv.api_client())
    body: Any = {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": name, "labels": labels or {}},
                 "spec": {"containers": [{"name": "c", "image": "x"}]}}
    v1.create_namespaced_pod(namespace, body)
    if ready is not None:
        status: Any = {"status": {"phase": "Running",
                                  "conditions": [{"type": "Ready", "status": ready}]}}
        v1.patch_namespaced_pod_status(name, namespace, status)


@pytest.fixture(scope="module")
def cluster() -> Iterator[FakeAPIServer]:
    """pods a (Ready), b (not Ready), c (Ready), all labelled app=web, in default."""
    with FakeAPIServer() as srv:
        make_pod(srv, "a", "True", {"app": "web"})
        make_pod(srv, "b", "False", {"app": "web"})
        make_pod(srv, "c", "True", {"app": "web"})
        yield srv


def kubectl_path() -> str | None:
    """The kubectl binary, if installed."""
    return shutil.which("kubectl")


def kubectl_133() -> str | None:
    """A kubectl 1.33 binary next to a dispatching kubectl (Google Cloud SDK layout)."""
    path = kubectl_path()
    if path is None:
        return None
    candidate = os.path.join(os.path.dirname(os.path.realpath(path)), "kubectl.1.33")
    return candidate if os.access(candidate, os.X_OK) else None
