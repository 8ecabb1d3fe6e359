"""Workload faults (``srv.cluster``): crash loops, image pull errors, never
Ready, flapping, unschedulable pods, a failed node; ``clear()`` ends them."""

from __future__ import annotations

from typing import Any

import pytest

from hybridwait.kube.status import object_status
from hybridwait.testing import FakeAPIServer
from tests.cluster.conftest import condition, deployment, pods_of, wait_until


def _pod(name: str, image: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"app": name}},
            "spec": {"containers": [{"name": "c", "image": image}]}}


def _get(srv: FakeAPIServer, name: str) -> dict[str, Any]:
    pod = srv.store.get("/pods", "default", name)
    assert pod is not None
    return pod


def _waiting(pod: dict[str, Any]) -> str:
    cs = (pod.get("status") or {}).get("containerStatuses") or [{}]
    return str(((cs[0].get("state") or {}).get("waiting") or {}).get("reason") or "")


def _ready(pod: dict[str, Any]) -> bool:
    return (condition(pod, "Ready") or {}).get("status") == "True"


def test_a_crash_looping_pod_restarts_with_a_back_off_and_reads_failed(
        cluster: FakeAPIServer, core: Any) -> None:
    cluster.cluster.crash_loop(image="bad:1")
    core.create_namespaced_pod("default", _pod("p", "bad:1"))

    def restarted_twice() -> bool:
        pod = _get(cluster, "p")
        cs = (pod.get("status") or {}).get("containerStatuses") or [{}]
        return int(cs[0].get("restartCount") or 0) >= 2 and _waiting(pod) == "CrashLoopBackOff"

    wait_until(cluster, restarted_twice, what="two restarts")
    pod = _get(cluster, "p")
    cs = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Running" and not _ready(pod)
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    # the kubelet's back-off doubles from crash_backoff (10 s) per restart
    backoff = 10 * 2 ** (cs["restartCount"] - 1)
    assert cs["state"]["waiting"]["message"].startswith(
        f"back-off {backoff}s restarting failed container=c pod=p_default(")
    assert object_status(pod).status.value == "Failed"


def test_an_image_pull_error_keeps_the_pod_pending_until_cleared(
        cluster: FakeAPIServer, core: Any) -> None:
    cluster.cluster.image_pull_error(image="missing:1")
    core.create_namespaced_pod("default", _pod("p", "missing:1"))
    wait_until(cluster, lambda: _waiting(_get(cluster, "p")) == "ImagePullBackOff")
    pod = _get(cluster, "p")
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["message"] == \
        'Back-off pulling image "missing:1"'
    cluster.cluster.clear()
    wait_until(cluster, lambda: _ready(_get(cluster, "p")), what="Ready after clear()")


def test_never_ready_applies_to_running_pods_too(cluster: FakeAPIServer, core: Any) -> None:
    core.create_namespaced_pod("default", _pod("p", "web:1"))
    wait_until(cluster, lambda: _ready(_get(cluster, "p")))
    cluster.cluster.never_ready(selector={"app": "p"})  # a map of labels works too
    wait_until(cluster, lambda: not _ready(_get(cluster, "p")), what="not Ready")
    assert _get(cluster, "p")["status"]["phase"] == "Running"


def test_flapping_readiness_toggles(cluster: FakeAPIServer, core: Any) -> None:
    core.create_namespaced_pod("default", _pod("p", "web:1"))
    wait_until(cluster, lambda: _ready(_get(cluster, "p")))
    cluster.cluster.flapping(selector="app=p", period=5.0)
    states: list[bool] = []

    def toggled() -> bool:
        r = _ready(_get(cluster, "p"))
        if not states or states[-1] != r:
            states.append(r)
        return len(states) >= 3
    wait_until(cluster, toggled, what="Ready to flip twice")
    assert states[:3] in ([True, False, True], [False, True, False])


def test_an_unschedulable_pod_says_why_then_schedules_after_clear(
        cluster: FakeAPIServer, core: Any) -> None:
    cluster.cluster.unschedulable(selector="app=batch")
    core.create_namespaced_pod("default", _pod("p", "x:1", {"app": "batch"}))

    def unschedulable() -> dict[str, Any] | None:
        c = condition(_get(cluster, "p"), "PodScheduled")
        return c if c and c.get("reason") == "Unschedulable" else None
    cond = wait_until(cluster, unschedulable)
    assert cond["status"] == "False"
    assert cond["message"].startswith("0/3 nodes are available: 3 Insufficient cpu.")
    cluster.cluster.clear()
    wait_until(cluster, lambda: _ready(_get(cluster, "p")))


def test_a_node_selector_nothing_matches_is_unschedulable(
        cluster: FakeAPIServer, core: Any) -> None:
    body = _pod("p", "x:1")
    body["spec"]["nodeSelector"] = {"disk": "ssd"}
    core.create_namespaced_pod("default", body)
    cond = wait_until(cluster, lambda: condition(_get(cluster, "p"), "PodScheduled"))
    assert cond["reason"] == "Unschedulable"
    assert "3 node(s) didn't match Pod's node affinity/selector" in cond["message"]


def test_a_failed_node_goes_unknown_and_its_pods_are_replaced_elsewhere(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment("web", "web:1", replicas=3))

    def all_ready() -> bool:
        pods = pods_of(cluster, "app", "web")
        return len(pods) == 3 and all(_ready(p) for p in pods)
    wait_until(cluster, all_ready)
    victim = pods_of(cluster, "app", "web")[0]
    node = victim["spec"]["nodeName"]
    cluster.cluster.fail_node(node)

    def node_unknown() -> bool:
        n = cluster.store.get("/nodes", "", node)
        return (condition(n, "Ready") or {}).get("status") == "Unknown"
    wait_until(cluster, node_unknown)
    n = cluster.store.get("/nodes", "", node)
    assert n is not None and {t["key"] for t in n["spec"]["taints"]} == {
        "node.kubernetes.io/unreachable"}

    name = victim["metadata"]["name"]

    def replaced() -> bool:
        pods = [p for p in pods_of(cluster, "app", "web")
                if not p["metadata"].get("deletionTimestamp")]
        return (len(pods) == 3 and all(_ready(p) and p["spec"]["nodeName"] != node
                                       for p in pods))
    wait_until(cluster, replaced, what="the pods evicted and replaced on other nodes")
    # evicted, but its kubelet is gone: Terminating until the node comes back
    evicted = cluster.store.get("/pods", "default", name)
    assert evicted is not None and evicted["metadata"]["deletionTimestamp"]
    assert evicted["metadata"]["deletionGracePeriodSeconds"] == 30
    cluster.cluster.clear()
    wait_until(cluster, lambda: cluster.store.get("/pods", "default", name) is None,
               what="the evicted pod deleted by its kubelet once the node is back")
    with pytest.raises(ValueError):
        cluster.cluster.fail_node("no-such-node")


def test_a_pod_held_by_a_finalizer_is_stopped_by_the_kubelet_when_deleted(
        cluster: FakeAPIServer, core: Any) -> None:
    body = _pod("p", "web:1")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    core.create_namespaced_pod("default", body)
    wait_until(cluster, lambda: _ready(_get(cluster, "p")))
    core.delete_namespaced_pod("p", "default")

    def stopped() -> bool:
        cs = _get(cluster, "p")["status"]["containerStatuses"][0]
        return "terminated" in cs["state"]
    wait_until(cluster, stopped, what="containers stopped")
    pod = _get(cluster, "p")
    assert pod["metadata"]["deletionTimestamp"]
    assert pod["status"]["phase"] == "Succeeded" and not _ready(pod)
    core.patch_namespaced_pod("p", "default", {"metadata": {"finalizers": None}})
    wait_until(cluster, lambda: cluster.store.get("/pods", "default", "p") is None)


def test_a_fault_needs_a_valid_target(cluster: FakeAPIServer) -> None:
    with pytest.raises(ValueError, match="image= or selector="):
        cluster.cluster.crash_loop()
    with pytest.raises(ValueError, match="invalid selector"):
        cluster.cluster.never_ready(selector="app in (")
    with pytest.raises(ValueError):
        cluster.cluster.flapping(image="x", period=0)
