"""for_="ready" and wait_objects() against the emulator, over real HTTP with the real
kubernetes client: Deployments, Jobs, StatefulSets, a CRD and a custom resource
rolling out (status driven by patches, as their controllers would) and failing."""

from __future__ import annotations

import concurrent.futures
import threading
import time
from typing import Any

import pytest

from hybridwait import Engine, WaitFailed
from hybridwait.core import WaitTimeout
from hybridwait.kube.engine import ConditionTimeout
from hybridwait.kube.errors import NotFound
from hybridwait.kube.objects import (
    ManifestError,
    NoKindMatch,
    ObjectsTimeout,
    wait_objects,
)
from hybridwait.kube.status import Status
from tests.kube.conftest import Kube

LONG = 30.0  # generous bound for a wait that must end early (busy 2-core machine)


def deployment(name: str, replicas: int = 2, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
        "spec": {"replicas": replicas, "progressDeadlineSeconds": 600,
                 "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }


def job(name: str) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "c", "image": "perl"}]}}}}


def statefulset(name: str, replicas: int = 2, strategy: Any = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "replicas": replicas, "serviceName": name,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}},
                     "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
    }
    if strategy is not None:
        spec["updateStrategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": spec}


def configmap(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"k": "v"}}


CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {
                               "type": "object",
                               "x-kubernetes-preserve-unknown-fields": True}}}]},
}


class Cluster(Kube):
    """Kube plus the controllers' side: create from manifests, patch status."""

    def __init__(self, srv: Any) -> None:
        super().__init__(srv)
        from kubernetes import client

        self.batch = client.BatchV1Api(self.api)

    def create(self, obj: dict[str, Any], ns: str = "default") -> None:
        kind = obj["kind"]
        if kind == "Deployment":
            self.apps.create_namespaced_deployment(ns, obj)
        elif kind == "StatefulSet":
            self.apps.create_namespaced_stateful_set(ns, obj)
        elif kind == "Job":
            self.batch.create_namespaced_job(ns, obj)
        elif kind == "ConfigMap":
            self.v1.create_namespaced_config_map(ns, obj)
        else:
            raise AssertionError(kind)

    def deploy_status(self, name: str, ready: int, want: int = 2, ns: str = "default",
                      **extra: Any) -> None:
        conds = [{"type": "Available", "status": "True" if ready >= want else "False"},
                 {"type": "Progressing", "status": "True",
                  "reason": "NewReplicaSetAvailable" if ready >= want else "ReplicaSetUpdated"}]
        status = {"observedGeneration": 1, "replicas": want, "updatedReplicas": want,
                  "readyReplicas": ready, "availableReplicas": ready, "conditions": conds}
        status.update(extra)
        self.apps.patch_namespaced_deployment_status(name, ns, {"status": status})

    def job_status(self, name: str, **status: Any) -> None:
        self.batch.patch_namespaced_job_status(name, "default", {"status": status})

    def sts_status(self, name: str, **status: Any) -> None:
        self.apps.patch_namespaced_stateful_set_status(name, "default", {"status": status})


@pytest.fixture
def cluster(fake_apiserver: Any) -> Cluster:
    return Cluster(fake_apiserver)


def _not_ready_now(engine: Engine, resource: str) -> None:
    """The object is not up yet: a ready wait that checks once times out."""
    with pytest.raises(WaitTimeout):
        engine.wait(resource, for_="ready", timeout=0)


# -- Deployment ------------------------------------------------------------------------------


def test_deployment_rolling_out_is_waited_until_available(
        engine: Engine, cluster: Cluster) -> None:
    cluster.create(deployment("web"))
    _not_ready_now(engine, "deployment.apps/web")
    fut = engine.submit("deployment.apps/web", for_="ready", timeout=LONG)
    cluster.deploy_status("web", ready=1)
    cluster.deploy_status("web", ready=2)
    obj = fut.result(timeout=LONG + 5)
    assert obj["status"]["readyReplicas"] == 2


def test_deployment_progress_deadline_fails_at_once(engine: Engine, cluster: Cluster) -> None:
    cluster.create(deployment("stuck"))
    fut = engine.submit("deploy/stuck", for_="ready", timeout=LONG)
    t0 = time.monotonic()
    cluster.apps.patch_namespaced_deployment_status("stuck", "default", {"status": {
        "observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
        "conditions": [{"type": "Progressing", "status": "False",
                        "reason": "ProgressDeadlineExceeded",
                        "message": 'ReplicaSet "stuck-1" has timed out progressing.'}]}})
    with pytest.raises(WaitFailed) as info:
        fut.result(timeout=LONG + 5)
    assert time.monotonic() - t0 < LONG / 2  # failed fast, not at the timeout
    assert "deployments/stuck" in str(info.value)
    assert "progress deadline exceeded" in str(info.value)
    assert info.value.object is not None


def test_deployment_deleted_while_waiting_fails(engine: Engine, cluster: Cluster) -> None:
    from hybridwait import conditions as c

    cluster.create(deployment("gone"))
    checked = threading.Event()  # the wait has seen the object (its first check ran)

    def probe(obj: Any) -> bool:
        if obj is not None:
            checked.set()
        return True

    fut = engine.submit("deploy/gone", for_=c.all_of(probe, "ready"), timeout=LONG)
    assert checked.wait(LONG)
    cluster.apps.delete_namespaced_deployment("gone", "default")
    with pytest.raises(WaitFailed, match="deployments/gone: deleted"):
        fut.result(timeout=LONG + 5)


def test_missing_object_is_not_found_at_once(engine: Engine) -> None:
    with pytest.raises(NotFound):
        engine.wait("deploy/nope", for_="ready", timeout=LONG)


# -- Job ---------------------------------------------------------------------------------------


def test_job_complete_is_ready(engine: Engine, cluster: Cluster) -> None:
    cluster.create(job("ok"))
    _not_ready_now(engine, "job/ok")  # not started
    fut = engine.submit("job/ok", for_="ready", timeout=LONG)
    cluster.job_status("ok", startTime="2026-01-01T00:00:00Z", active=1)
    assert fut.result(timeout=LONG + 5)["status"]["active"] == 1  # running counts as up


def test_job_failed_fails_the_ready_wait(engine: Engine, cluster: Cluster) -> None:
    cluster.create(job("bad"))
    fut = engine.submit("job/bad", for_="ready", timeout=LONG)
    cluster.job_status("bad", startTime="2026-01-01T00:00:00Z", failed=3, conditions=[
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
         "message": "Job has reached the specified backoff limit"}])
    with pytest.raises(WaitFailed, match=r"jobs/bad: job failed: 3 failed"):
        fut.result(timeout=LONG + 5)


def test_job_complete_or_failed_with_any_of(engine: Engine, cluster: Cluster) -> None:
    from hybridwait import conditions as c

    cluster.create(job("either"))
    fut = engine.submit("job/either", for_=c.any_of("condition=Complete", "condition=Failed"),
                        timeout=LONG)
    cluster.job_status("either", conditions=[{"type": "Failed", "status": "True"}])
    obj = fut.result(timeout=LONG + 5)
    assert obj["status"]["conditions"][0]["type"] == "Failed"


# -- StatefulSet ---------------------------------------------------------------------------------


def test_statefulset_rolling_out(engine: Engine, cluster: Cluster) -> None:
    cluster.create(statefulset("db"))
    _not_ready_now(engine, "sts/db")
    fut = engine.submit("sts/db", for_="ready", timeout=LONG)
    cluster.sts_status("db", observedGeneration=1, replicas=2, readyReplicas=1,
                       currentReplicas=2, updatedReplicas=2, currentRevision="r1",
                       updateRevision="r1")
    cluster.sts_status("db", readyReplicas=2)
    assert fut.result(timeout=LONG + 5)["status"]["readyReplicas"] == 2


def test_statefulset_partition_is_up_when_its_part_is_updated(
        engine: Engine, cluster: Cluster) -> None:
    cluster.create(statefulset("part", replicas=3, strategy={
        "type": "RollingUpdate", "rollingUpdate": {"partition": 2}}))
    cluster.sts_status("part", observedGeneration=1, replicas=3, readyReplicas=3,
                       currentReplicas=2, updatedReplicas=0, currentRevision="r1",
                       updateRevision="r2")
    _not_ready_now(engine, "sts/part")
    cluster.sts_status("part", updatedReplicas=1)
    assert engine.wait("sts/part", for_="ready", timeout=LONG)["status"]["updatedReplicas"] == 1


# -- CRD and a custom resource --------------------------------------------------------------------


def test_crd_installing_then_established(engine: Engine, cluster: Cluster) -> None:
    cluster.ext.create_custom_resource_definition(CRD)
    installing = {"status": {"conditions": [
        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
        {"type": "Established", "status": "False", "reason": "Installing"}]}}
    cluster.ext.patch_custom_resource_definition_status("widgets.example.com", installing)
    _not_ready_now(engine, "crd/widgets.example.com")
    fut = engine.submit("crd/widgets.example.com", for_="ready", timeout=LONG)
    cluster.ext.patch_custom_resource_definition_status("widgets.example.com", {"status": {
        "conditions": [{"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
                       {"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}],
    }})
    assert fut.result(timeout=LONG + 5)["metadata"]["name"] == "widgets.example.com"


def test_crd_names_not_accepted_fails(engine: Engine, cluster: Cluster) -> None:
    cluster.ext.create_custom_resource_definition(CRD)
    cluster.ext.patch_custom_resource_definition_status("widgets.example.com", {"status": {
        "conditions": [{"type": "NamesAccepted", "status": "False", "reason": "Conflict",
                        "message": '"widgets" is already in use'}]}})
    with pytest.raises(WaitFailed, match="names not accepted"):
        engine.wait("crd/widgets.example.com", for_="ready", timeout=LONG)


def test_custom_resource_ready_condition_then_stalled(engine: Engine, cluster: Cluster) -> None:
    cluster.ext.create_custom_resource_definition(CRD)
    engine.wait("crd/widgets.example.com", for_="condition=Established", timeout=LONG)
    for name in ("w1", "w2"):
        cluster.custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", {
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}})

    def status(name: str, *conds: dict[str, str]) -> None:
        cluster.custom.patch_namespaced_custom_object_status(
            "example.com", "v1", "default", "widgets", name,
            {"status": {"conditions": list(conds)}})

    status("w1", {"type": "Ready", "status": "False", "message": "waiting for the db"})
    _not_ready_now(engine, "widgets/w1")
    fut = engine.submit("widgets/w1", for_="ready", timeout=LONG)
    status("w1", {"type": "Ready", "status": "True"})
    assert fut.result(timeout=LONG + 5)["status"]["conditions"][0]["status"] == "True"

    # a custom resource with no conditions at all is current (kstatus): make w2 not
    # ready before the wait starts, or its first check may find it ready already
    status("w2", {"type": "Ready", "status": "False", "message": "reconciling"})
    _not_ready_now(engine, "widgets/w2")
    fut2 = engine.submit("widgets.example.com/w2", for_="ready", timeout=LONG)
    status("w2", {"type": "Stalled", "status": "True", "message": "bad spec: size < 0"})
    with pytest.raises(WaitFailed, match=r"widgets/w2: bad spec"):
        fut2.result(timeout=LONG + 5)


# -- wait_objects ----------------------------------------------------------------------------


def test_wait_objects_all_ready_in_manifest_order(engine: Engine, cluster: Cluster) -> None:
    manifests = [configmap("cfg"), deployment("api"), job("migrate")]
    for m in manifests:
        cluster.create(m)
    seen: list[list[Any]] = []
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        fut = pool.submit(wait_objects, engine, manifests, timeout=LONG,
                          progress=lambda states: seen.append(list(states)))
        cluster.deploy_status("api", ready=2)
        cluster.job_status("migrate", succeeded=1, conditions=[
            {"type": "Complete", "status": "True"}])
        objs = fut.result(timeout=LONG + 5)
    finally:
        pool.shutdown()
    assert [o["metadata"]["name"] for o in objs] == ["cfg", "api", "migrate"]
    assert seen and all(s.done for s in seen[-1])
    assert [s.status.status for s in seen[-1]] == [Status.CURRENT] * 3


def test_wait_objects_timeout_names_every_unmet_object(engine: Engine, cluster: Cluster) -> None:
    manifests = [configmap("c1"), deployment("slow"), job("later")]
    for m in manifests:
        cluster.create(m)
    cluster.deploy_status("slow", ready=1)
    with pytest.raises(ObjectsTimeout) as info:
        wait_objects(engine, manifests, timeout=4.0)  # c1 is met well before
    exc = info.value
    assert isinstance(exc, ConditionTimeout) and isinstance(exc, WaitTimeout)
    assert exc.unmet == ["deployments/slow", "jobs/later"]
    assert [s.resource for s in exc.states] == exc.unmet
    assert [s.status.status for s in exc.states] == [Status.IN_PROGRESS] * 2
    assert "available: 1/2" in str(exc) and "job not started" in str(exc)
    assert [o["metadata"]["name"] for o in exc.met] == ["c1"]


def test_wait_objects_fails_fast_and_cancels_the_rest(engine: Engine, cluster: Cluster) -> None:
    manifests = [deployment("never"), job("boom")]
    for m in manifests:
        cluster.create(m)
    cluster.job_status("boom", conditions=[{"type": "Failed", "status": "True"}])
    t0 = time.monotonic()
    with pytest.raises(WaitFailed, match="jobs/boom"):
        wait_objects(engine, manifests, timeout=LONG * 4)
    assert time.monotonic() - t0 < LONG  # long before the deployment's timeout


def test_wait_objects_fail_for(engine: Engine, cluster: Cluster) -> None:
    cluster.create(job("pi"))
    cluster.job_status("pi", conditions=[{"type": "Failed", "status": "True"}])
    with pytest.raises(WaitFailed, match="jobs/pi"):
        wait_objects(engine, [job("pi")], for_="condition=Complete",
                     fail_for="condition=Failed", timeout=LONG)


def test_wait_objects_namespaces(engine: Engine, cluster: Cluster) -> None:
    cluster.v1.create_namespace({"metadata": {"name": "other"}})
    cluster.v1.create_namespace({"metadata": {"name": "third"}})
    cluster.v1.create_namespaced_config_map("other", configmap("here"))
    cluster.v1.create_namespaced_config_map("third", configmap("there"))
    cluster.v1.create_namespaced_config_map("default", configmap("home"))
    own = {**configmap("here"), "metadata": {"name": "here", "namespace": "other"}}
    objs = wait_objects(engine, [own, configmap("there")], namespace="third", timeout=LONG)
    assert [o["metadata"]["namespace"] for o in objs] == ["other", "third"]
    objs = wait_objects(engine, [None, configmap("home"), None],  # None: empty YAML documents
                        timeout=LONG)  # the engine's namespace
    assert objs[0]["metadata"]["namespace"] == "default"


def test_wait_objects_bad_input_before_any_wait(fake_apiserver: Any, engine: Engine) -> None:
    fake_apiserver.reset_requests()
    unknown = {"apiVersion": "example.com/v1", "kind": "Foo", "metadata": {"name": "f1"}}
    with pytest.raises(NoKindMatch) as info:
        wait_objects(engine, [configmap("a"), unknown], timeout=LONG)
    assert str(info.value) == (
        'resource mapping not found for name: "f1" namespace: "" from "manifests[1]": '
        'no matches for kind "Foo" in version "example.com/v1"\nensure CRDs are installed first')
    wrong_version = {"apiVersion": "apps/v2", "kind": "Deployment", "metadata": {"name": "x"}}
    with pytest.raises(NoKindMatch, match='in version "apps/v2"'):
        wait_objects(engine, [wrong_version], timeout=LONG)
    with pytest.raises(ManifestError, match="resource name must be provided"):
        wait_objects(engine, [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}])
    with pytest.raises(ManifestError, match="Object 'Kind' is missing"):
        wait_objects(engine, [{"apiVersion": "v1", "metadata": {"name": "x"}}])
    with pytest.raises(ManifestError, match="no objects"):
        wait_objects(engine, [])
    counts = fake_apiserver.request_counts()
    assert counts.get("watch", 0) == 0 and counts.get("get", 0) == 0  # discovery only


def test_wait_objects_shares_watches(fake_apiserver: Any, engine: Engine,
                                     cluster: Cluster) -> None:
    pods = []
    for i in range(40):
        cluster.pod(f"p{i}")
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"}})
    watches: list[int] = []
    with pytest.raises(ObjectsTimeout) as info:
        wait_objects(engine, pods, timeout=2.0,
                     progress=lambda states: watches.append(fake_apiserver.watch_count()))
    assert len(info.value.unmet) == 40  # none is Running and Ready
    assert watches and max(watches) <= 4  # 40 objects share O(1) watches, not 40
