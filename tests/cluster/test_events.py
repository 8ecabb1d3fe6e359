"""Events recorded by the simulated components (``kubectl get events`` /
``kubectl describe``), aggregated on repeats, and off with ``events=False``."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from hybridwait.testing import ClusterSettings, FakeAPIServer
from tests.cli.conftest import kubectl_path
from tests.cluster.conftest import FAST, deployment, pods_of, wait_until


def _events(srv: FakeAPIServer) -> list[dict[str, Any]]:
    return list(srv.store.items("/events", "default"))


def _reasons(srv: FakeAPIServer, kind: str, name: str) -> set[str]:
    return {str(e["reason"]) for e in _events(srv)
            if e["involvedObject"]["kind"] == kind and e["involvedObject"]["name"] == name}


def test_a_rollout_records_the_events_of_each_component(cluster: FakeAPIServer,
                                                        apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment("web", "nginx", replicas=1))

    def started() -> str | None:
        pods = pods_of(cluster, "app", "web")
        if pods and {"Scheduled", "Pulled", "Created", "Started"} <= _reasons(
                cluster, "Pod", pods[0]["metadata"]["name"]):
            return str(pods[0]["metadata"]["name"])
        return None
    pod = wait_until(cluster, started, what="the pod's events")
    rs = str(cluster.store.items("apps/replicasets", "default")[0]["metadata"]["name"])
    assert _reasons(cluster, "ReplicaSet", rs) == {"SuccessfulCreate"}
    assert _reasons(cluster, "Deployment", "web") == {"ScalingReplicaSet"}
    by_reason = {e["reason"]: e for e in _events(cluster)}
    node = cluster.store.get("/pods", "default", pod)["spec"]["nodeName"]
    assert by_reason["Scheduled"]["message"] == f"Successfully assigned default/{pod} to {node}"
    assert by_reason["Scheduled"]["source"] == {"component": "default-scheduler"}
    assert by_reason["SuccessfulCreate"]["message"] == f"Created pod: {pod}"
    assert by_reason["ScalingReplicaSet"]["message"] == (
        f"Scaled up replica set {rs} from 0 to 1")
    assert all(e["type"] == "Normal" and e["count"] == 1 for e in _events(cluster))


def test_a_crash_loop_backoff_event_is_counted_not_repeated(cluster: FakeAPIServer,
                                                            core: Any) -> None:
    cluster.cluster.crash_loop(image="bad:1")
    core.create_namespaced_pod("default", {"metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "bad:1"}]}})

    def backoff() -> dict[str, Any] | None:
        found = [e for e in _events(cluster) if e["reason"] == "BackOff"]
        assert len(found) <= 1, found
        return found[0] if found and found[0]["count"] >= 2 else None
    event = wait_until(cluster, backoff, what="a repeated BackOff")
    assert event["type"] == "Warning"
    assert event["message"].startswith("Back-off restarting failed container c in pod p_default(")


def test_events_can_be_turned_off() -> None:
    from dataclasses import replace

    from kubernetes import client

    with FakeAPIServer(cluster=replace(FAST, events=False)) as srv:
        client.CoreV1Api(srv.api_client()).create_namespaced_pod("default", {
            "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x"}]}})
        wait_until(srv, lambda: ((srv.store.get("/pods", "default", "p") or {})
                                 .get("status") or {}).get("phase") == "Running")
        assert _events(srv) == []
    assert ClusterSettings().events


@pytest.mark.kubectl
@pytest.mark.skipif(kubectl_path() is None, reason="kubectl is not installed")
def test_kubectl_describe_shows_the_pods_events(cluster: FakeAPIServer, core: Any) -> None:
    core.create_namespaced_pod("default", {"metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "x"}]}})
    wait_until(cluster, lambda: "Started" in _reasons(cluster, "Pod", "p"))
    out = subprocess.run([kubectl_path() or "kubectl", f"--kubeconfig={cluster.kubeconfig}",
                          "describe", "pod", "p"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    events = out[out.index("Events:"):].splitlines()
    assert events[1].split() == ["Type", "Reason", "Age", "From", "Message"]
    reasons = [ln.split()[1] for ln in events[3:] if ln.strip()]
    assert reasons == ["Scheduled", "Pulled", "Created", "Started"], events
