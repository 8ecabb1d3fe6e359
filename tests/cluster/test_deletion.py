"""Deletion as on a cluster with a controller manager and kubelets: a DELETE's
``propagationPolicy`` (Foreground/Orphan) handled by the garbage collector,
graceful pod deletion finished by the kubelet after the grace period (on the
simulated clock), and garbage collection of custom resources defined after the
control plane started."""

from __future__ import annotations

import threading
from typing import Any

from hybridwait.testing import FakeAPIServer, FakeClock
from hybridwait.testing.apiserver.store import Event, Watcher
from hybridwait.testing.cluster import ClusterSettings, Span
from tests.cluster.conftest import deployment, pods_of, stored, wait_until

TIMEOUT = 30.0


class _Deletions:
    """The order objects were deleted in (``kind/name``), from the store's events."""

    def __init__(self, srv: FakeAPIServer, keys: tuple[str, ...]) -> None:
        self.srv = srv
        self.order: list[str] = []
        self._lock = threading.Lock()
        self._watchers = [Watcher(k, offer=self._offer) for k in keys]
        for w in self._watchers:
            srv.store.add_watcher(w)

    def _offer(self, ev: Event) -> None:
        if ev.type == "DELETED":
            with self._lock:
                self.order.append(f"{ev.obj.get('kind')}/{ev.name}")

    def close(self) -> None:
        for w in self._watchers:
            self.srv.store.remove_watcher(w)


def _ready_deployment(cluster: FakeAPIServer, apps: Any, replicas: int = 2) -> None:
    apps.create_namespaced_deployment("default", deployment("web", "nginx", replicas=replicas))

    def ready() -> bool:
        pods = pods_of(cluster, "app", "web")
        return len(pods) == replicas and all(
            any(c["type"] == "Ready" and c["status"] == "True"
                for c in (p.get("status") or {}).get("conditions") or []) for p in pods)
    wait_until(cluster, ready, what="the Deployment's pods Ready")


def test_foreground_deletion_keeps_the_owner_until_its_whole_tree_is_gone(
        cluster: FakeAPIServer, apps: Any) -> None:
    _ready_deployment(cluster, apps)
    seen = _Deletions(cluster, ("apps/deployments", "apps/replicasets", "/pods"))
    try:
        apps.delete_namespaced_deployment("web", "default", propagation_policy="Foreground")
        d = stored(cluster, "apps/deployments", "web")
        # marked, not gone: the garbage collector deletes the dependents first
        assert d is not None and d["metadata"]["deletionTimestamp"]
        assert "foregroundDeletion" in d["metadata"]["finalizers"]
        wait_until(cluster, lambda: stored(cluster, "apps/deployments", "web") is None,
                   what="the Deployment deleted")
    finally:
        seen.close()
    assert not pods_of(cluster, "app", "web")
    assert not cluster.store.items("apps/replicasets", "default")
    kinds = [entry.split("/")[0] for entry in seen.order]
    # pods (after their grace period), then the ReplicaSet, then the Deployment
    assert kinds == ["Pod", "Pod", "ReplicaSet", "Deployment"], seen.order


def test_orphan_deletion_keeps_the_dependents_without_the_reference(
        cluster: FakeAPIServer, apps: Any) -> None:
    _ready_deployment(cluster, apps)
    apps.delete_namespaced_deployment("web", "default", propagation_policy="Orphan")
    wait_until(cluster, lambda: stored(cluster, "apps/deployments", "web") is None,
               what="the Deployment deleted")
    rss = cluster.store.items("apps/replicasets", "default")
    assert len(rss) == 1 and not rss[0]["metadata"].get("ownerReferences")
    # the orphaned ReplicaSet still owns and keeps its pods
    assert len([p for p in pods_of(cluster, "app", "web")
                if not p["metadata"].get("deletionTimestamp")]) == 2


def test_background_deletion_removes_the_owner_at_once(cluster: FakeAPIServer,
                                                         apps: Any) -> None:
    _ready_deployment(cluster, apps)
    apps.delete_namespaced_deployment("web", "default")  # Background: the default
    assert stored(cluster, "apps/deployments", "web") is None
    wait_until(cluster, lambda: not pods_of(cluster, "app", "web")
               and not cluster.store.items("apps/replicasets", "default"),
               what="the ReplicaSet and its pods collected")


def test_a_running_pod_is_terminating_for_its_grace_period_on_the_simulated_clock() -> None:
    from kubernetes import client

    clock = FakeClock()
    settings = ClusterSettings(seed=1, clock=clock, create_delay=Span(1.0, 1.0))
    with FakeAPIServer(cluster=settings) as srv:
        core = client.CoreV1Api(srv.api_client())
        core.create_namespaced_pod("default", {
            "metadata": {"name": "p"},
            "spec": {"terminationGracePeriodSeconds": 10,
                     "containers": [{"name": "c", "image": "x"}]}})

        def phase() -> str:
            pod = srv.store.get("/pods", "default", "p") or {}
            return str((pod.get("status") or {}).get("phase", ""))
        wait_until(srv, lambda: phase() == "Pending", what="ContainerCreating")
        assert clock.wait_for_waiters(1, timeout=TIMEOUT)
        clock.step(1.0)
        wait_until(srv, lambda: phase() == "Running", what="Running")

        core.delete_namespaced_pod("p", "default")  # its own grace period: 10 s
        pod = srv.store.get("/pods", "default", "p")
        assert pod is not None and pod["metadata"]["deletionGracePeriodSeconds"] == 10
        assert pod["metadata"]["deletionTimestamp"] and phase() == "Running"
        assert clock.wait_for_waiters(1, timeout=TIMEOUT)  # the kubelet's grace timer
        clock.step(6.0)
        # a second delete may shorten the grace period (never lengthen it)
        core.delete_namespaced_pod("p", "default", grace_period_seconds=60)
        assert srv.store.get("/pods", "default", "p")["metadata"][
            "deletionGracePeriodSeconds"] == 10
        core.delete_namespaced_pod("p", "default", grace_period_seconds=2)
        assert srv.store.get("/pods", "default", "p")["metadata"][
            "deletionGracePeriodSeconds"] == 2
        # the old 10 s timer is still pending until the kubelet sees the second
        # delete: wait for its replacement, due 2 s from now (not just any waiter)
        due = clock.now() + 2.0
        wait_until(srv, lambda: abs((clock.next_due() or 0.0) - due) < 1e-6,
                   what="the kubelet's shorter timer")
        clock.step(1.9)
        assert srv.store.get("/pods", "default", "p") is not None
        clock.step(0.1)  # 8 s after the first delete, 2 after the second
        wait_until(srv, lambda: srv.store.get("/pods", "default", "p") is None,
                   what="the pod deleted by its kubelet")
        assert srv.cluster.now() == 9.0


def test_a_pod_that_is_not_running_yet_is_deleted_at_once(cluster: FakeAPIServer,
                                                          core: Any) -> None:
    cluster.cluster.unschedulable(selector="app=held")
    core.create_namespaced_pod("default", {
        "metadata": {"name": "held", "labels": {"app": "held"}},
        "spec": {"containers": [{"name": "c", "image": "x"}]}})
    wait_until(cluster, lambda: (stored(cluster, "/pods", "held") or {}).get("status"),
               what="the scheduler's verdict")
    core.delete_namespaced_pod("held", "default")  # no node: nothing to stop
    assert stored(cluster, "/pods", "held") is None


WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                 "openAPIV3Schema": {"type": "object",
                                     "x-kubernetes-preserve-unknown-fields": True}}}]},
}


def test_custom_resources_defined_after_start_are_garbage_collected(
        cluster: FakeAPIServer, core: Any) -> None:
    from kubernetes import client

    api_client = cluster.api_client()
    client.ApiextensionsV1Api(api_client).create_custom_resource_definition(WIDGET_CRD)
    custom = client.CustomObjectsApi(api_client)
    owner = custom.create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    ref = {"apiVersion": "example.com/v1", "kind": "Widget", "name": "w",
           "uid": owner["metadata"]["uid"], "controller": True}
    core.create_namespaced_config_map("default", {"metadata": {
        "name": "w-config", "ownerReferences": [ref]}})
    # and a Widget owned by a ConfigMap: dependents of the new kind are collected too
    cm = core.create_namespaced_config_map("default", {"metadata": {"name": "parent"}})
    custom.create_namespaced_custom_object(
        "example.com", "v1", "default", "widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {
            "name": "child", "ownerReferences": [{
                "apiVersion": "v1", "kind": "ConfigMap", "name": "parent",
                "uid": cm.metadata.uid}]}})
    custom.delete_namespaced_custom_object("example.com", "v1", "default", "widgets", "w")
    core.delete_namespaced_config_map("parent", "default")
    wait_until(cluster, lambda: stored(cluster, "/configmaps", "w-config") is None
               and stored(cluster, "example.com/widgets", "child") is None,
               what="both dependents collected")


def test_a_namespace_is_terminating_until_its_running_pods_have_stopped(
        cluster: FakeAPIServer, core: Any) -> None:
    core.create_namespace({"metadata": {"name": "team"}})
    core.create_namespaced_pod("team", {"metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "x"}]}})
    wait_until(cluster, lambda: ((cluster.store.get("/pods", "team", "p") or {})
                                 .get("status") or {}).get("phase") == "Running",
               what="the pod running")
    seen = _Deletions(cluster, ("/namespaces", "/pods"))
    try:
        core.delete_namespace("team")
        ns = cluster.store.get("/namespaces", "", "team")
        pod = cluster.store.get("/pods", "team", "p")
        assert ns is not None and ns["status"]["phase"] == "Terminating"
        assert pod is not None and pod["metadata"]["deletionGracePeriodSeconds"] == 30
        wait_until(cluster, lambda: cluster.store.get("/namespaces", "", "team") is None,
                   what="the namespace deleted")
    finally:
        seen.close()
    assert seen.order.index("Pod/p") < seen.order.index("Namespace/team"), seen.order
