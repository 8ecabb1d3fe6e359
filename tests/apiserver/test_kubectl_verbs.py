"""kubectl 1.32 parity for the write verbs: typed ``create`` commands (protobuf
bodies), ``run``, client- and server-side ``apply`` (with a conflict),
``patch`` (strategic, merge, json), ``set image``, ``scale``, ``get -w`` and
``delete``; a patch that does not apply is refused and changes nothing."""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from hybridwait.testing import FakeAPIServer

from .conftest import pod

KUBECTL = shutil.which("kubectl")
pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)"),
]

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [
                              {"name": "app", "image": "nginx:1",
                               "ports": [{"containerPort": 80}],
                               "env": [{"name": "A", "value": "1"}]},
                              {"name": "side", "image": "envoy:1",
                               "ports": [{"containerPort": 9901}]}]}}},
}


def kubectl(srv: FakeAPIServer, *args: str, stdin: str | None = None,
            timeout: float = 30) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run([KUBECTL, "--kubeconfig", srv.kubeconfig, *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, check=False)


def ok(srv: FakeAPIServer, *args: str, stdin: str | None = None) -> str:
    res = kubectl(srv, *args, stdin=stdin)
    assert res.returncode == 0, f"kubectl {' '.join(args)}: {res.stderr}"
    return res.stdout.strip()


def get(srv: FakeAPIServer, *what: str) -> Any:
    return json.loads(ok(srv, "get", *what, "-o", "json",
                           "--show-managed-fields"))


def test_typed_create_commands_send_protobuf_and_work(srv: FakeAPIServer) -> None:
    assert ok(srv, "create", "namespace", "team") == "namespace/team created"
    assert ok(srv, "create", "configmap", "cfg", "-n", "team", "--from-literal=a=1",
              "--from-literal=b=2") == "configmap/cfg created"
    assert ok(srv, "create", "secret", "generic", "pw", "-n", "team",
              "--from-literal=k=v") == "secret/pw created"
    assert ok(srv, "create", "deployment", "web", "-n", "team", "--image=nginx",
              "--replicas=3", "--port=80") == "deployment.apps/web created"
    assert ok(srv, "create", "service", "clusterip", "web", "-n", "team",
              "--tcp=80:8080") == "service/web created"
    assert ok(srv, "run", "box", "-n", "team", "--image=busybox", "--labels=x=y",
              "--", "sleep", "60") == "pod/box created"
    # The bodies really were protobuf (and the answers JSON, which kubectl took).
    creates = [r for r in srv.requests if r.verb == "create"]
    assert len(creates) == 6 and all(r.status == 201 for r in creates)
    v1 = client.CoreV1Api(srv.api_client())
    assert v1.read_namespaced_config_map("cfg", "team").data == {"a": "1", "b": "2"}
    assert base64.b64decode(v1.read_namespaced_secret("pw", "team").data["k"]) == b"v"
    dep = client.AppsV1Api(srv.api_client()).read_namespaced_deployment("web", "team")
    assert dep.spec.replicas == 3
    assert dep.spec.template.spec.containers[0].ports[0].container_port == 80
    svc = v1.read_namespaced_service("web", "team")
    assert (svc.spec.ports[0].port, svc.spec.ports[0].target_port) == (80, 8080)
    assert svc.spec.selector == {"app": "web"}
    box = v1.read_namespaced_pod("box", "team")
    assert box.metadata.labels == {"x": "y"} and box.spec.containers[0].args == ["sleep", "60"]
    ok(srv, "create", "serviceaccount", "robot", "-n", "team")
    assert ok(srv, "create", "token", "robot", "-n", "team").count(".") == 2  # a JWT
    assert ok(srv, "auth", "can-i", "create", "pods", "-n", "team") == "yes"  # protobuf too
    assert ok(srv, "delete", "namespace", "team") == 'namespace "team" deleted'


def test_set_image_and_strategic_patch_keep_other_container_fields(srv: FakeAPIServer) -> None:
    ok(srv, "apply", "-f", "-", stdin=yaml.safe_dump(DEPLOYMENT))
    assert ok(srv, "set", "image", "deployment/web", "app=nginx:2") \
        == "deployment.apps/web image updated"
    containers = get(srv, "deploy", "web")["spec"]["template"]["spec"]["containers"]
    assert containers[0]["image"] == "nginx:2"
    assert containers[0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert containers[0]["env"] == [{"name": "A", "value": "1"}]
    assert containers[1]["image"] == "envoy:1" and containers[1]["ports"][0]["containerPort"] \
        == 9901
    ok(srv, "patch", "deployment", "web", "-p",
       '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"envoy:2"}]}}}}')
    containers = get(srv, "deploy", "web")["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in containers] == ["nginx:2", "envoy:2"]
    assert containers[1]["ports"][0]["containerPort"] == 9901


def test_patch_merge_json_and_one_that_does_not_apply(srv: FakeAPIServer) -> None:
    ok(srv, "apply", "-f", "-", stdin=yaml.safe_dump(DEPLOYMENT))
    ok(srv, "patch", "deployment", "web", "--type=merge", "-p",
       '{"metadata":{"labels":{"tier":"fe"}}}')
    ok(srv, "patch", "deployment", "web", "--type=json", "-p",
       '[{"op":"replace","path":"/spec/replicas","value":4}]')
    dep = get(srv, "deploy", "web")
    assert dep["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert dep["spec"]["replicas"] == 4
    rv = dep["metadata"]["resourceVersion"]
    res = kubectl(srv, "patch", "deployment", "web", "--type=json", "-p",
                  '[{"op":"remove","path":"/spec/nope"}]')
    assert res.returncode == 1
    assert res.stderr.startswith("The request is invalid: ")  # 422, as from a real server
    res = kubectl(srv, "patch", "deployment", "web", "-p",
                  '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}')
    assert res.returncode == 1
    assert "does not contain declared merge key: name" in res.stderr
    assert get(srv, "deploy", "web")["metadata"]["resourceVersion"] == rv


def test_client_side_apply_create_then_configure(srv: FakeAPIServer) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
          "data": {"a": "1", "b": "2"}}
    assert ok(srv, "apply", "-f", "-", stdin=yaml.safe_dump(cm)) == "configmap/c created"
    cm["data"] = {"a": "2"}
    assert ok(srv, "apply", "-f", "-", stdin=yaml.safe_dump(cm)) == "configmap/c configured"
    got = get(srv, "cm", "c")
    assert got["data"] == {"a": "2"}  # b was dropped from the configuration: removed
    managers = [e["manager"] for e in got["metadata"]["managedFields"]]
    assert managers == ["kubectl-client-side-apply"]


def test_server_side_apply_conflict_and_force(srv: FakeAPIServer, tmp_path: Path) -> None:
    manifest = tmp_path / "dep.yaml"
    manifest.write_text(yaml.safe_dump(DEPLOYMENT))
    assert ok(srv, "apply", "--server-side", "-f", str(manifest)) \
        == "deployment.apps/web serverside-applied"
    assert ok(srv, "scale", "deployment", "web", "--replicas=5") == "deployment.apps/web scaled"
    res = kubectl(srv, "apply", "--server-side", "-f", str(manifest))
    assert res.returncode == 1
    assert ('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
            "using apps/v1: .spec.replicas") in res.stderr
    assert get(srv, "deploy", "web")["spec"]["replicas"] == 5
    assert ok(srv, "apply", "--server-side", "--force-conflicts", "-f", str(manifest)) \
        == "deployment.apps/web serverside-applied"
    dep = get(srv, "deploy", "web")
    assert dep["spec"]["replicas"] == 2
    entries = dep["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"]) for e in entries] == [("kubectl", "Apply")]


def test_scale_and_delete(srv: FakeAPIServer) -> None:
    ok(srv, "apply", "-f", "-", stdin=yaml.safe_dump(DEPLOYMENT))
    assert ok(srv, "scale", "deploy/web", "--replicas=0") == "deployment.apps/web scaled"
    assert get(srv, "deploy", "web")["spec"]["replicas"] == 0
    res = kubectl(srv, "scale", "deploy/web", "--current-replicas=3", "--replicas=1")
    assert res.returncode == 1 and "Expected replicas to be 3, was 0" in res.stderr
    assert ok(srv, "delete", "deployment", "web") == 'deployment.apps "web" deleted'
    assert kubectl(srv, "get", "deploy", "web").returncode == 1


def _read_lines(proc: subprocess.Popen[str], n: int, timeout: float) -> list[str]:
    """``n`` lines of ``proc``'s stdout, waiting at most ``timeout`` seconds in all."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    buf = b""
    while buf.count(b"\n") < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        buf += chunk
    return buf.decode().splitlines()


def test_get_watch_prints_rows_under_the_real_columns(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("a"))
    assert KUBECTL is not None
    proc = subprocess.Popen([KUBECTL, "--kubeconfig", srv.kubeconfig, "get", "pods", "-w",
                             "--request-timeout=60s"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = _read_lines(proc, 2, 30)
        assert first[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
        assert first[1].split()[:3] == ["a", "0/1", "Pending"]
        v1.create_namespaced_pod("default", pod("b"))
        v1.patch_namespaced_pod_status("b", "default", {"status": {"phase": "Running"}})
        more = _read_lines(proc, 2, 30)
        assert [line.split()[:3] for line in more] == [["b", "0/1", "Pending"],
                                                       ["b", "0/1", "Running"]]
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def test_client_side_apply_reorders_and_removes_list_elements(srv: FakeAPIServer) -> None:
    ok(srv, "apply", "-f", "-", stdin=yaml.safe_dump(DEPLOYMENT))
    changed = json.loads(json.dumps(DEPLOYMENT))
    app, side = changed["spec"]["template"]["spec"]["containers"]
    app["env"] = [{"name": "B", "value": "2"}]
    changed["spec"]["template"]["spec"]["containers"] = [side, app]
    changed["spec"]["strategy"] = {"type": "Recreate"}
    assert ok(srv, "apply", "-f", "-", stdin=yaml.safe_dump(changed)) \
        == "deployment.apps/web configured"
    spec = get(srv, "deploy", "web")["spec"]
    containers = spec["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["side", "app"]  # $setElementOrder
    assert containers[1]["env"] == [{"name": "B", "value": "2"}]  # A removed
    assert spec["strategy"] == {"type": "Recreate"}  # $retainKeys dropped rollingUpdate


def test_drain_evicts_the_pods_bound_to_a_node(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_node({"metadata": {"name": "n1"}})
    for name in ("a", "b", "other"):
        v1.create_namespaced_pod("default", pod(name))
    for name, node in (("a", "n1"), ("b", "n1"), ("other", "n2")):
        v1.create_namespaced_binding("default", {"metadata": {"name": name},
                                                 "target": {"kind": "Node", "name": node}},
                                     _preload_content=False)
    out = ok(srv, "drain", "n1", "--force", "--timeout=30s")
    assert "node/n1 cordoned" in out and "node/n1 drained" in out
    assert sorted(line for line in out.splitlines() if line.endswith("evicted")) == [
        "pod/a evicted", "pod/b evicted"]
    assert [p.metadata.name for p in v1.list_namespaced_pod("default").items] == ["other"]
    assert v1.read_node("n1").spec.unschedulable is True
    evictions = [r for r in srv.requests if r.path.endswith("/eviction")]
    assert len(evictions) == 2 and all(r.status == 201 for r in evictions)
