"""The control plane's lifecycle and robustness: off by default, threads
joined by ``stop()``, a controller that raises is isolated, garbage
collection, repeatability, the time scale."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.cluster import ClusterSettings, Span
from hybridwait.testing.cluster.replicaset import ReplicaSetController
from tests.cluster.conftest import FAST, deployment, pods_of, wait_until


def _cluster_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("hybridwait-cluster-")]


def test_off_by_default_nothing_acts_on_the_store() -> None:
    from kubernetes import client

    with FakeAPIServer() as srv:
        client.AppsV1Api(srv.api_client()).create_namespaced_deployment(
            "default", deployment("web", "nginx"))
        assert srv.store.items("apps/replicasets") == []
        assert srv.store.items("/nodes") == []
        assert not _cluster_threads()
        with pytest.raises(RuntimeError, match="cluster=True"):
            srv.cluster  # noqa: B018


def test_stop_joins_every_controller_thread() -> None:
    srv = FakeAPIServer(cluster=FAST).start()
    try:
        assert len(_cluster_threads()) == 14
        assert sorted(srv.cluster.threads()) == sorted(_cluster_threads())
    finally:
        srv.stop()
    assert not _cluster_threads()
    assert not srv.cluster.running


def test_a_controller_that_raises_is_logged_and_the_others_keep_working(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from kubernetes import client

    def broken(self: ReplicaSetController, ref: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(ReplicaSetController, "sync", broken)
    caplog.set_level(logging.ERROR, logger="hybridwait.testing.cluster")
    with FakeAPIServer(cluster=FAST) as srv:
        apps = client.AppsV1Api(srv.api_client())
        core = client.CoreV1Api(srv.api_client())
        apps.create_namespaced_deployment("default", deployment("web", "nginx"))
        core.create_namespaced_pod("default", {"metadata": {"name": "solo"}, "spec": {
            "containers": [{"name": "c", "image": "x"}]}})
        wait_until(srv, lambda: srv.cluster.errors()["replicaset"] >= 2, what="retries")
        # the kubelet and scheduler still run pods; the deployment still made its RS
        wait_until(srv, lambda: (srv.store.get("/pods", "default", "solo") or {}).get(
            "status", {}).get("phase") == "Running")
        assert srv.store.items("apps/replicasets", "default")
        assert all(t in srv.cluster.threads() for t in _cluster_threads())
    assert "cluster controller replicaset: sync of default/web" in caplog.text
    assert "RuntimeError: boom" in caplog.text


def test_garbage_collection_follows_owner_references(apps: Any, cluster: FakeAPIServer
                                                     ) -> None:
    apps.create_namespaced_deployment("default", deployment("web", "nginx", replicas=2))
    wait_until(cluster, lambda: len(pods_of(cluster, "app", "web")) == 2)
    apps.delete_namespaced_deployment("web", "default")
    wait_until(cluster, lambda: not pods_of(cluster, "app", "web")
               and not cluster.store.items("apps/replicasets", "default"),
               what="the ReplicaSet and pods collected")


def test_orphan_and_foreground_finalizers(apps: Any, core: Any, cluster: FakeAPIServer
                                          ) -> None:
    for name in ("keep", "fg"):
        owner = core.create_namespaced_config_map("default", {"metadata": {
            "name": name, "finalizers": ["orphan" if name == "keep" else "foregroundDeletion"]}})
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": name,
               "uid": owner.metadata.uid, "blockOwnerDeletion": True}
        core.create_namespaced_config_map("default", {"metadata": {
            "name": f"{name}-child", "ownerReferences": [ref]}})
    core.delete_namespaced_config_map("keep", "default")
    core.delete_namespaced_config_map("fg", "default")
    wait_until(cluster, lambda: cluster.store.get("/configmaps", "default", "keep") is None
               and cluster.store.get("/configmaps", "default", "fg") is None,
               what="both owners gone")
    child = cluster.store.get("/configmaps", "default", "keep-child")
    assert child is not None and not child["metadata"].get("ownerReferences")
    assert cluster.store.get("/configmaps", "default", "fg-child") is None


def _timeline(seed: int) -> list[tuple[str, str]]:
    """The order pods of one ReplicaSet became Ready, by their generated names."""
    from kubernetes import client

    settings = ClusterSettings(nodes=2, seed=seed, time_scale=20.0,
                               create_delay=Span(0.5, 5.0), ready_delay=Span(0.1, 0.2))
    with FakeAPIServer(cluster=settings) as srv:
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
              "spec": {"replicas": 4, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                           "containers": [{"name": "w", "image": "web"}]}}}}
        client.AppsV1Api(srv.api_client()).create_namespaced_replica_set("default", rs)
        order: list[tuple[str, str]] = []

        def all_ready() -> bool:
            for p in pods_of(srv, "app", "web"):
                ready = any(c["type"] == "Ready" and c["status"] == "True"
                            for c in (p.get("status") or {}).get("conditions") or [])
                entry = (p["metadata"]["name"], p["spec"].get("nodeName", ""))
                if ready and entry not in order:
                    order.append(entry)
            return len(order) == 4
        wait_until(srv, all_ready)
        return order


def test_a_seed_makes_names_nodes_and_delays_repeatable() -> None:
    first = _timeline(5)
    assert sorted(first) == sorted(_timeline(5))
    # names come from the seed as well: another seed, other names
    assert {n for n, _ in first} != {n for n, _ in _timeline(6)}


def test_the_time_scale_runs_a_long_rollout_fast() -> None:
    from kubernetes import client

    # 60-120 simulated seconds per pod; at 600x that is 0.1-0.2 s of real time
    settings = ClusterSettings(time_scale=600.0, create_delay=Span(60.0, 120.0))
    with FakeAPIServer(cluster=settings) as srv:
        client.AppsV1Api(srv.api_client()).create_namespaced_deployment(
            "default", deployment("web", "nginx", replicas=3))

        def available() -> bool:
            d = srv.store.get("apps/deployments", "default", "web") or {}
            return (d.get("status") or {}).get("availableReplicas") == 3
        wait_until(srv, available, timeout=30.0)
        assert srv.cluster.now() >= 60.0


def test_a_fake_clock_drives_the_simulation_step_by_step() -> None:
    from kubernetes import client

    from hybridwait.testing import FakeClock

    clock = FakeClock()
    settings = ClusterSettings(seed=1, clock=clock, create_delay=Span(5.0, 5.0),
                               ready_delay=Span(3.0, 3.0))
    with FakeAPIServer(cluster=settings) as srv:
        client.CoreV1Api(srv.api_client()).create_namespaced_pod("default", {
            "metadata": {"name": "p"}, "spec": {"containers": [
                {"name": "c", "image": "x", "readinessProbe": {"exec": {"command": ["true"]}}}]}})

        def phase() -> str:
            pod = srv.store.get("/pods", "default", "p") or {}
            return str((pod.get("status") or {}).get("phase", ""))

        def waiting() -> bool:
            pod = srv.store.get("/pods", "default", "p") or {}
            return bool((pod.get("status") or {}).get("startTime"))
        wait_until(srv, waiting, what="ContainerCreating")
        assert clock.wait_for_waiters(1, timeout=30.0)  # the kubelet armed its timer
        assert phase() == "Pending" and srv.cluster.now() == 0.0
        clock.step(4.9)
        clock.step(0.1)  # 5 simulated seconds: the containers start
        wait_until(srv, lambda: phase() == "Running", what="Running after 5 s")

        def ready() -> bool:
            pod = srv.store.get("/pods", "default", "p") or {}
            return any(c["type"] == "Ready" and c["status"] == "True"
                       for c in pod["status"].get("conditions") or [])
        assert not ready()
        assert clock.wait_for_waiters(1, timeout=30.0)
        clock.step(3.0)  # the readiness probe's delay
        wait_until(srv, ready, what="Ready after 3 more seconds")
        assert srv.cluster.now() == 8.0


def test_restart_keeps_the_control_plane_or_starts_it_again_on_an_empty_store() -> None:
    from kubernetes import client

    with FakeAPIServer(cluster=FAST) as srv:
        srv.restart()  # keep_state: the controllers never stopped
        assert len(_cluster_threads()) == 14
        client.AppsV1Api(srv.api_client()).create_namespaced_deployment(
            "default", deployment("web", "nginx", replicas=1))
        wait_until(srv, lambda: len(pods_of(srv, "app", "web")) == 1)
        srv.restart(keep_state=False)
        assert len(_cluster_threads()) == 14
        wait_until(srv, lambda: len(srv.store.items("/nodes")) == 3, what="nodes re-created")
        assert srv.store.items("/pods") == []
    assert not _cluster_threads()


def test_min_ready_seconds_follow_the_simulated_clock() -> None:
    from kubernetes import client

    from hybridwait.testing import FakeClock

    clock = FakeClock()
    settings = ClusterSettings(seed=1, clock=clock, create_delay=Span(1.0, 1.0))
    with FakeAPIServer(cluster=settings) as srv:
        rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
              "spec": {"replicas": 2, "minReadySeconds": 10,
                       "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                           "containers": [{"name": "w", "image": "web"}]}}}}
        client.AppsV1Api(srv.api_client()).create_namespaced_replica_set("default", rs)

        def status() -> dict[str, Any]:
            obj = srv.store.get("apps/replicasets", "default", "web") or {}
            return dict(obj.get("status") or {})
        wait_until(srv, lambda: len([p for p in pods_of(srv, "app", "web")
                                     if (p.get("status") or {}).get("startTime")]) == 2,
                   what="both pods ContainerCreating")
        assert clock.wait_for_waiters(1, timeout=30.0)  # the kubelet's timer
        clock.step(1.0)  # both start, Ready at once (no probe)
        wait_until(srv, lambda: status().get("readyReplicas") == 2, what="2 Ready")
        assert "availableReplicas" not in status()
        assert clock.wait_for_waiters(1, timeout=30.0)  # the ReplicaSet's re-check
        clock.step(9.5)
        assert clock.wait_for_waiters(1, timeout=30.0)
        assert "availableReplicas" not in status()
        clock.step(0.5)  # 10 simulated seconds Ready
        wait_until(srv, lambda: status().get("availableReplicas") == 2, what="2 available")
        assert srv.cluster.now() == 11.0
