"""Fixtures for engine tests: an emulator, a client to drive it, an Engine on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hybridwait import Engine


class Kube:
    """Small helpers to create and flip objects through the real kubernetes client."""

    def __init__(self, srv: Any) -> None:
        from kubernetes import client

        self.srv = srv
        self.api = srv.api_client()
        self.v1 = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.ext = client.ApiextensionsV1Api(self.api)

    def pod(self, name: str, ns: str = "default", labels: dict[str, str] | None = None) -> Any:
        body = {
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        }
        return self.v1.create_namespaced_pod(ns, body)

    def ready(self, name: str, ns: str = "default", status: str = "True") -> None:
        self.v1.patch_namespaced_pod_status(
            name,
            ns,
            {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": status}]}},
        )

    def delete(self, name: str, ns: str = "default") -> None:
        self.v1.delete_namespaced_pod(name, ns)


@pytest.fixture
def kube(fake_apiserver: Any) -> Kube:
    return Kube(fake_apiserver)


@pytest.fixture
def engine(fake_apiserver: Any) -> Iterator[Engine]:
    eng = Engine(api_client=fake_apiserver.api_client(), poll_interval=5.0, stall_timeout=5.0)
    try:
        yield eng
    finally:
        eng.close()
