"""Fixtures for the simulated control plane: a server with ``cluster=`` on,
typed clients, and ``wait_until``, which re-checks a predicate whenever the
store changes (no sleeping in place of an event)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.store import Watcher
from hybridwait.testing.cluster import ClusterSettings, Span

# A fast, repeatable simulation: a pod is Running ~0.5-2 simulated s after it
# is bound; at time_scale 50 that is 10-40 real ms.
FAST = ClusterSettings(nodes=3, seed=1, time_scale=50.0, create_delay=Span(0.5, 2.0),
                       ready_delay=Span(0.5, 1.0), run_time=Span(1.0, 2.0),
                       crash_after=Span(0.5, 1.0), crash_backoff=10.0, eviction_delay=30.0)
# Generous: the suite runs on a busy 2-core machine.
TIMEOUT = 30.0


def wait_until(srv: FakeAPIServer, pred: Callable[[], Any], timeout: float = TIMEOUT,
               what: str = "condition") -> Any:
    """Return ``pred()``'s first truthy value, re-checked on every store write."""
    wake = threading.Event()
    watchers = [Watcher(t.key, offer=lambda _ev: wake.set()) for t in srv.registry.all()]
    for w in watchers:
        srv.store.add_watcher(w)
    try:
        deadline = time.monotonic() + timeout
        while True:
            wake.clear()
            value = pred()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            wake.wait(min(left, 0.5))
    finally:
        for w in watchers:
            srv.store.remove_watcher(w)


@pytest.fixture
def cluster() -> Iterator[FakeAPIServer]:
    """A server with the simulated control plane (``FAST`` settings)."""
    with FakeAPIServer(cluster=FAST) as srv:
        yield srv


@pytest.fixture
def apps(cluster: FakeAPIServer) -> Any:
    from kubernetes import client

    return client.AppsV1Api(cluster.api_client())


@pytest.fixture
def core(cluster: FakeAPIServer) -> Any:
    from kubernetes import client

    return client.CoreV1Api(cluster.api_client())


@pytest.fixture
def batch(cluster: FakeAPIServer) -> Any:
    from kubernetes import client

    return client.BatchV1Api(cluster.api_client())


def deployment(name: str, image: str, replicas: int = 3, **spec: Any) -> dict[str, Any]:
    """A Deployment body with label ``app=<name>``."""
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "main", "image": image}]}},
                     **spec}}


def job(name: str, image: str = "busybox", **spec: Any) -> dict[str, Any]:
    """A Job body (``restartPolicy: Never``)."""
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "main", "image": image}]}}, **spec}}


def stored(srv: FakeAPIServer, key: str, name: str, namespace: str = "default"
           ) -> dict[str, Any] | None:
    """The stored object (read-only)."""
    return srv.store.get(key, namespace, name)


def pods_of(srv: FakeAPIServer, label: str, value: str, namespace: str = "default"
            ) -> list[dict[str, Any]]:
    """Stored pods with ``label=value``."""
    return [p for p in srv.store.items("/pods", namespace)
            if (p["metadata"].get("labels") or {}).get(label) == value]


def condition(obj: dict[str, Any] | None, ctype: str) -> dict[str, Any] | None:
    """The condition of type ``ctype`` or None."""
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return dict(c)
    return None
