"""The real ``kubectl`` (1.32) against the emulator: discovery, OpenAPI
validation for ``create -f``, Table output, label/patch/delete, and ``wait``
while a thread changes the object concurrently."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from hybridwait.testing import FakeAPIServer

from .conftest import WIDGET_CRD, pod

KUBECTL = shutil.which("kubectl")
pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)"),
]

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "api", "labels": {"app": "api"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
             "template": {"metadata": {"labels": {"app": "api"}},
                          "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
}


def kubectl(srv: FakeAPIServer, *args: str,
            timeout: float = 30) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run([KUBECTL, "--kubeconfig", srv.kubeconfig, *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


def ok(srv: FakeAPIServer, *args: str) -> str:
    res = kubectl(srv, *args)
    assert res.returncode == 0, f"kubectl {' '.join(args)}: {res.stderr}"
    return res.stdout


def manifest(tmp_path: Path, obj: dict[str, object], name: str) -> str:
    p = tmp_path / f"{name}.yaml"
    p.write_text(yaml.safe_dump(obj))
    return str(p)


def later(fn: Callable[[], object], delay: float = 0.7) -> threading.Thread:
    t = threading.Thread(target=lambda: (time.sleep(delay), fn()))
    t.start()
    return t


def test_get_create_label_patch_delete(srv: FakeAPIServer, tmp_path: Path) -> None:
    assert "No resources found in default namespace." in kubectl(srv, "get", "pods").stderr
    ns_out = ok(srv, "get", "namespaces")
    assert ns_out.split("\n")[0].split() == ["NAME", "STATUS", "AGE"]
    assert "kube-system" in ns_out and "Active" in ns_out

    assert ok(srv, "create", "-f", manifest(tmp_path, pod("web", {"app": "web"}), "pod")) \
        .strip() == "pod/web created"
    assert ok(srv, "create", "-f", manifest(tmp_path, DEPLOYMENT, "dep")).strip() \
        == "deployment.apps/api created"

    lines = ok(srv, "get", "po").strip().split("\n")
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert lines[1].split()[:4] == ["web", "0/1", "Pending", "0"]
    dep = ok(srv, "get", "deploy").strip().split("\n")
    assert dep[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert dep[1].split()[:2] == ["api", "0/2"]
    assert ok(srv, "get", "deployments.apps", "-o", "name").strip() == "deployment.apps/api"

    doc = json.loads(ok(srv, "get", "pod/web", "-o", "json"))
    assert doc["kind"] == "Pod" and doc["metadata"]["labels"] == {"app": "web"}

    assert ok(srv, "label", "pod", "web", "tier=fe").strip() == "pod/web labeled"
    assert ok(srv, "get", "pods", "-l", "tier=fe", "-o", "name").strip() == "pod/web"
    assert ok(srv, "get", "pods", "-l", "tier!=fe", "-o", "name").strip() == ""
    assert ok(srv, "patch", "pod", "web", "--type=merge",
              "-p", '{"metadata":{"annotations":{"a":"b"}}}').strip() == "pod/web patched"
    got = json.loads(ok(srv, "get", "po", "web", "-o", "json"))
    assert got["metadata"]["annotations"] == {"a": "b"}
    assert got["metadata"]["labels"] == {"app": "web", "tier": "fe"}

    listed = json.loads(ok(srv, "get", "pods,deploy", "-o", "json"))
    assert sorted(i["kind"] for i in listed["items"]) == ["Deployment", "Pod"]

    assert ok(srv, "delete", "pod", "web").strip() == 'pod "web" deleted'
    res = kubectl(srv, "get", "pod", "web")
    assert res.returncode == 1
    assert res.stderr.strip() == 'Error from server (NotFound): pods "web" not found'
    res = kubectl(srv, "get", "frobnicators")
    assert res.returncode == 1 and 'the server doesn\'t have a resource type "frobnicators"' \
        in res.stderr


def test_crd_and_custom_resource(srv: FakeAPIServer, tmp_path: Path) -> None:
    out = ok(srv, "create", "-f", manifest(tmp_path, WIDGET_CRD, "crd")).strip()
    assert out == "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"
    ok(srv, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s")
    widget = {"apiVersion": "example.com/v1", "kind": "Widget",
              "metadata": {"name": "w1", "labels": {"k": "v"}}, "spec": {"size": 3}}
    assert ok(srv, "create", "-f", manifest(tmp_path, widget, "w")).strip() \
        == "widget.example.com/w1 created"
    table = ok(srv, "get", "wg").strip().split("\n")
    assert table[0].split() == ["NAME", "SIZE"] and table[1].split() == ["w1", "3"]
    assert ok(srv, "get", "widgets.example.com", "-l", "k=v", "-o", "name").strip() \
        == "widget.example.com/w1"
    ok(srv, "patch", "widget", "w1", "--type=merge", "-p", '{"spec":{"size":4}}')
    doc = json.loads(ok(srv, "get", "widget/w1", "-o", "json"))
    assert doc["spec"]["size"] == 4 and doc["metadata"]["generation"] == 2


def test_wait_condition_ready_while_a_thread_updates(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("web"))
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    t = later(lambda: v1.patch_namespaced_pod_status("web", "default", ready))
    try:
        t0 = time.monotonic()
        res = kubectl(srv, "wait", "--for=condition=Ready", "pod/web", "--timeout=20s")
        elapsed = time.monotonic() - t0
    finally:
        t.join()
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "pod/web condition met"
    assert elapsed >= 0.5  # it really waited for the concurrent change


def test_wait_for_delete_with_finalizer(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("gone", finalizers=["example.com/hold"]))
    v1.delete_namespaced_pod("gone", "default")  # held by the finalizer

    def release() -> None:
        v1.patch_namespaced_pod("gone", "default", {"metadata": {"finalizers": None}})

    t = later(release)
    try:
        res = kubectl(srv, "wait", "--for=delete", "pod/gone", "--timeout=20s")
    finally:
        t.join()
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "pod/gone condition met"


def test_wait_jsonpath_on_deployment(srv: FakeAPIServer, tmp_path: Path) -> None:
    ok(srv, "create", "-f", manifest(tmp_path, DEPLOYMENT, "dep"))
    apps = client.AppsV1Api(srv.api_client())

    def progress() -> None:
        for n in (1, 2):
            apps.patch_namespaced_deployment_status(
                "api", "default", {"status": {"readyReplicas": n, "observedGeneration": 1}})
            time.sleep(0.3)

    t = later(progress)
    try:
        res = kubectl(srv, "wait", "--for=jsonpath={.status.readyReplicas}=2",
                      "deployment/api", "--timeout=20s")
    finally:
        t.join()
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "deployment.apps/api condition met"


def test_wait_times_out_and_selector_form(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    for i in range(2):
        v1.create_namespaced_pod("default", pod(f"w{i}", {"app": "w"}))
    res = kubectl(srv, "wait", "--for=condition=Ready", "pod/w0", "--timeout=1s")
    assert res.returncode == 1
    assert "timed out waiting for the condition on pods/w0" in res.stderr
    ready = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}

    def both() -> None:
        for i in range(2):
            v1.patch_namespaced_pod_status(f"w{i}", "default", ready)

    t = later(both, 0.5)
    try:
        res = kubectl(srv, "wait", "--for=condition=Ready", "pods", "-l", "app=w",
                      "--timeout=20s")
    finally:
        t.join()
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.strip().split("\n")) == ["pod/w0 condition met",
                                                      "pod/w1 condition met"]
