"""Helpers for the emulator tests: raw HTTP and typed clients on the fixture server."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from hybridwait.testing import FakeAPIServer


def raw(srv: FakeAPIServer, method: str, path: str, body: Any = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """One request on a fresh connection: (status, headers, decoded JSON or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        data: bytes | None
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        else:
            data = json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        text = resp.read()
        try:
            decoded: Any = json.loads(text)
        except ValueError:
            decoded = text.decode(errors="replace")
        return resp.status, dict(resp.getheaders()), decoded
    finally:
        conn.close()


def pod(name: str, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """A minimal pod manifest."""
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {**meta, **extra},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                  "shortNames": ["wg"]},
        "versions": [
            {"name": "v1", "served": True, "storage": True,
             "subresources": {"status": {}},
             "schema": {"openAPIV3Schema": {"type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True}},
             "additionalPrinterColumns": [
                 {"name": "Size", "type": "integer", "jsonPath": ".spec.size"}]},
            {"name": "v1beta1", "served": True, "storage": False,
             "schema": {"openAPIV3Schema": {"type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True}}},
        ],
    },
}


@pytest.fixture
def v1(fake_apiserver: FakeAPIServer) -> client.CoreV1Api:
    """A typed core/v1 client on the fixture server."""
    return client.CoreV1Api(fake_apiserver.api_client())


@pytest.fixture
def srv(fake_apiserver: FakeAPIServer) -> Iterator[FakeAPIServer]:
    """Short alias of the plugin's fixture."""
    yield fake_apiserver
