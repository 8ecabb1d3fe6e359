"""Deployments on the simulated control plane: creation to Available, a
rolling update within maxSurge/maxUnavailable, the progress deadline, pause,
rollback revisions, Recreate, history cleanup."""

from __future__ import annotations

from typing import Any

from hybridwait.kube.status import object_status
from hybridwait.testing import FakeAPIServer
from tests.cluster.conftest import condition, deployment, pods_of, stored, wait_until

DEP = "apps/deployments"
RS = "apps/replicasets"


def _available(srv: FakeAPIServer, name: str, replicas: int, image: str | None = None) -> bool:
    d = stored(srv, DEP, name)
    if d is None:
        return False
    st = d.get("status") or {}
    prog = condition(d, "Progressing") or {}
    ok = (st.get("observedGeneration") == d["metadata"]["generation"]
          and st.get("updatedReplicas") == st.get("availableReplicas") == replicas
          and st.get("replicas") == replicas and prog.get("reason") == "NewReplicaSetAvailable")
    if ok and image is not None:
        pods = pods_of(srv, "app", name)
        ok = len(pods) == replicas and all(
            p["spec"]["containers"][0]["image"] == image for p in pods)
    return ok


def test_a_deployment_becomes_available_with_the_conditions_a_controller_writes(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment("web", "nginx:1.27"))
    wait_until(cluster, lambda: _available(cluster, "web", 3), what="web available")
    d = stored(cluster, DEP, "web")
    assert d is not None
    assert [c["type"] for c in d["status"]["conditions"]] == ["Available", "Progressing"]
    assert condition(d, "Available")["reason"] == "MinimumReplicasAvailable"  # type: ignore[index]
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert object_status(d).status.value == "Current"
    (rs,) = cluster.store.items(RS, "default")
    assert rs["metadata"]["ownerReferences"][0]["name"] == "web"
    pods = pods_of(cluster, "app", "web")
    assert len(pods) == 3
    for p in pods:
        assert p["status"]["phase"] == "Running"
        assert p["spec"]["nodeName"] in cluster.cluster.nodes
        assert p["metadata"]["labels"]["pod-template-hash"] == rs["metadata"]["labels"][
            "pod-template-hash"]
        assert [c["type"] for c in p["status"]["conditions"]] == [
            "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
            "PodScheduled"]
    # spread over the nodes by the scheduler
    assert len({p["spec"]["nodeName"] for p in pods}) == 3


def test_a_rolling_update_stays_within_max_surge_and_max_unavailable(
        cluster: FakeAPIServer, apps: Any) -> None:
    body = deployment("web", "nginx:1", replicas=4, strategy={
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    apps.create_namespaced_deployment("default", body)
    wait_until(cluster, lambda: _available(cluster, "web", 4))
    seen: list[tuple[int, int]] = []

    def check() -> bool:
        # terminating old pods do not count against maxSurge (as in 1.32)
        pods = [p for p in pods_of(cluster, "app", "web")
                if not p["metadata"].get("deletionTimestamp")]
        ready = sum(1 for p in pods if (condition(p, "Ready") or {}).get("status") == "True")
        seen.append((len(pods), ready))
        return _available(cluster, "web", 4, "nginx:2")

    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "nginx:2"}]}}}})
    wait_until(cluster, check, what="the rollout to nginx:2")
    assert max(total for total, _ in seen) <= 5  # replicas + maxSurge
    assert min(ready for _, ready in seen) >= 4  # maxUnavailable 0
    d = stored(cluster, DEP, "web")
    assert d is not None
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    rss = cluster.store.items(RS, "default")
    assert sorted(r["spec"]["replicas"] for r in rss) == [0, 4]


def test_a_crash_looping_rollout_exceeds_its_progress_deadline(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment(
        "web", "nginx:1", replicas=2, progressDeadlineSeconds=60))
    wait_until(cluster, lambda: _available(cluster, "web", 2))
    cluster.cluster.crash_loop(image="nginx:bad")
    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "nginx:bad"}]}}}})

    def failed() -> dict[str, Any] | None:
        c = condition(stored(cluster, DEP, "web"), "Progressing")
        return c if c and c.get("reason") == "ProgressDeadlineExceeded" else None

    cond = wait_until(cluster, failed, what="ProgressDeadlineExceeded")
    assert cond["status"] == "False"
    assert cond["message"].endswith("has timed out progressing.")
    # the old pods still serve: maxUnavailable 25% of 2 rounds down to 0
    assert condition(stored(cluster, DEP, "web"), "Available")["status"] == "True"  # type: ignore[index]
    crashing = [p for p in pods_of(cluster, "app", "web")
                if p["spec"]["containers"][0]["image"] == "nginx:bad"]
    assert crashing
    status = object_status(stored(cluster, DEP, "web"))
    assert status.status.value == "Failed"


def test_a_paused_deployment_does_not_roll_out_until_resumed(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment("web", "nginx:1", replicas=2))
    wait_until(cluster, lambda: _available(cluster, "web", 2))
    apps.patch_namespaced_deployment("web", "default", {"spec": {"paused": True}})
    wait_until(cluster, lambda: (condition(stored(cluster, DEP, "web"), "Progressing") or {})
               .get("reason") == "DeploymentPaused")
    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "nginx:2"}]}}}})
    wait_until(cluster, lambda: (stored(cluster, DEP, "web") or {}).get("status", {}).get(
        "observedGeneration") == 3)
    assert len(cluster.store.items(RS, "default")) == 1  # nothing new while paused
    apps.patch_namespaced_deployment("web", "default", {"spec": {"paused": False}})
    wait_until(cluster, lambda: _available(cluster, "web", 2, "nginx:2"))


def test_a_rollback_reuses_the_old_replica_set_with_the_next_revision(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment("web", "nginx:1", replicas=1))
    wait_until(cluster, lambda: _available(cluster, "web", 1))
    first = cluster.store.items(RS, "default")[0]["metadata"]["name"]
    for image in ("nginx:2", "nginx:1"):
        apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
            "containers": [{"name": "main", "image": image}]}}}})
        wait_until(cluster, lambda image=image: _available(cluster, "web", 1, image))
    rs = stored(cluster, RS, first)
    assert rs is not None and rs["spec"]["replicas"] == 1
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert len(cluster.store.items(RS, "default")) == 2


def test_recreate_stops_every_old_pod_before_the_new_ones(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment(
        "web", "nginx:1", replicas=2, strategy={"type": "Recreate"}))
    wait_until(cluster, lambda: _available(cluster, "web", 2))
    mixed: list[bool] = []

    def check() -> bool:
        # Kubernetes' guarantee: no old pod is still running when a new one is
        # created; an old pod the kubelet has ended (Succeeded/Failed, its
        # graceful deletion not yet final) may still be listed beside new ones
        images = {p["spec"]["containers"][0]["image"] for p in pods_of(cluster, "app", "web")
                  if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")}
        mixed.append(len(images) > 1)
        return _available(cluster, "web", 2, "nginx:2")

    apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "main", "image": "nginx:2"}]}}}})
    wait_until(cluster, check)
    assert not any(mixed)


def test_revision_history_limit_deletes_the_oldest_idle_replica_sets(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_deployment("default", deployment(
        "web", "v0", replicas=1, revisionHistoryLimit=1))
    wait_until(cluster, lambda: _available(cluster, "web", 1))
    for image in ("v1", "v2", "v3"):
        apps.patch_namespaced_deployment("web", "default", {"spec": {"template": {"spec": {
            "containers": [{"name": "main", "image": image}]}}}})
        wait_until(cluster, lambda image=image: _available(cluster, "web", 1, image))
    wait_until(cluster, lambda: len(cluster.store.items(RS, "default")) == 2,
               what="one idle ReplicaSet kept")


def test_a_replica_set_that_cannot_be_created_is_reported_not_raised(
        cluster: FakeAPIServer, apps: Any) -> None:
    # a valid Deployment name, too long once the template hash is appended
    name = "w" * 245
    body = deployment("web", "nginx", replicas=1)
    body["metadata"]["name"] = name
    apps.create_namespaced_deployment("default", body)

    def reported() -> dict[str, Any] | None:
        c = condition(stored(cluster, DEP, name), "Progressing")
        return c if c and c.get("reason") == "ReplicaSetCreateError" else None

    cond = wait_until(cluster, reported, what="ReplicaSetCreateError")
    assert cond["status"] == "False"
    assert cond["message"].startswith(f'Failed to create new replica set "{name}-')
    assert "must be no more than 253 characters" in cond["message"]
    assert cluster.cluster.errors()["deployment"] == 0  # a condition, not a crash


def test_long_names_are_cut_for_generated_pod_names(cluster: FakeAPIServer, apps: Any) -> None:
    name = "a" * 60
    apps.create_namespaced_deployment("default", deployment(name, "nginx", replicas=1))
    (pod,) = wait_until(cluster, lambda: pods_of(cluster, "app", name), what="a pod")
    assert len(pod["metadata"]["name"]) == 63
    assert pod["metadata"]["name"].startswith(name[:58])
