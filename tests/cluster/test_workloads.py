"""Jobs, StatefulSets, DaemonSets, ReplicaSets, Services and namespaces on
the simulated control plane."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

from hybridwait.kube.status import object_status
from hybridwait.testing import FakeAPIServer
from hybridwait.testing.cluster import Span
from tests.cluster.conftest import FAST, condition, job, pods_of, stored, wait_until


def _true(obj: dict[str, Any] | None, ctype: str) -> bool:
    return (condition(obj, ctype) or {}).get("status") == "True"


def test_a_job_runs_its_completions_with_parallelism_and_completes(
        cluster: FakeAPIServer, batch: Any) -> None:
    batch.create_namespaced_job("default", job("migrate", completions=3, parallelism=2))
    most_active: list[int] = []

    def done() -> bool:
        j = stored(cluster, "batch/jobs", "migrate")
        most_active.append(int(((j or {}).get("status") or {}).get("active") or 0))
        return _true(j, "Complete")

    wait_until(cluster, done, what="job Complete")
    j = stored(cluster, "batch/jobs", "migrate")
    assert j is not None
    st = j["status"]
    assert st["succeeded"] == 3 and "failed" not in st and "active" not in st
    assert st["startTime"] and st["completionTime"]
    assert [c["type"] for c in st["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert max(most_active) <= 2
    pods = pods_of(cluster, "job-name", "migrate")
    assert len(pods) == 3 and all(p["status"]["phase"] == "Succeeded" for p in pods)
    assert object_status(j).status.value == "Current"


def test_a_job_whose_pods_fail_exceeds_its_backoff_limit(
        cluster: FakeAPIServer, batch: Any) -> None:
    cluster.cluster.crash_loop(selector="job-name=broken")
    batch.create_namespaced_job("default", job("broken", backoffLimit=1))
    wait_until(cluster, lambda: _true(stored(cluster, "batch/jobs", "broken"), "Failed"),
               what="job Failed")
    j = stored(cluster, "batch/jobs", "broken")
    assert j is not None
    assert j["status"]["failed"] == 2
    failed = condition(j, "Failed")
    assert failed is not None and failed["reason"] == "BackoffLimitExceeded"
    assert [c["type"] for c in j["status"]["conditions"]] == ["FailureTarget", "Failed"]
    assert all(p["status"]["phase"] == "Failed" for p in pods_of(cluster, "job-name", "broken"))
    assert object_status(j).status.value == "Failed"


def test_a_malformed_job_is_rejected_at_create(cluster: FakeAPIServer, batch: Any) -> None:
    with pytest.raises(ApiException) as err:
        batch.create_namespaced_job("default", job("bad", completions=-1))
    assert err.value.status == 422
    assert cluster.cluster.errors() == dict.fromkeys(cluster.cluster.errors(), 0)


def test_a_statefulset_creates_its_pods_in_order_and_rolls_from_the_top(
        cluster: FakeAPIServer, apps: Any) -> None:
    body = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"replicas": 3, "serviceName": "db",
                     "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
                         "containers": [{"name": "db", "image": "postgres:16"}]}}}}
    apps.create_namespaced_stateful_set("default", body)
    created: list[str] = []
    uids: set[str] = set()

    def ready(image: str) -> bool:
        for p in pods_of(cluster, "app", "db"):
            if p["metadata"]["uid"] not in uids:
                uids.add(p["metadata"]["uid"])
                created.append(p["metadata"]["name"])
        s = stored(cluster, "apps/statefulsets", "db") or {}
        st = s.get("status") or {}
        pods = pods_of(cluster, "app", "db")
        return (st.get("readyReplicas") == 3 and st.get("updatedReplicas") == 3
                and st.get("currentRevision") == st.get("updateRevision")
                and all(p["spec"]["containers"][0]["image"] == image for p in pods)
                and len(pods) == 3)

    wait_until(cluster, lambda: ready("postgres:16"), what="db ready")
    assert created == ["db-0", "db-1", "db-2"]
    assert object_status(stored(cluster, "apps/statefulsets", "db")).status.value == "Current"
    created.clear()
    apps.patch_namespaced_stateful_set("db", "default", {"spec": {"template": {
        "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}}}})
    wait_until(cluster, lambda: ready("postgres:17"), what="db updated")
    assert created == ["db-2", "db-1", "db-0"]  # replaced from the highest ordinal


def test_a_daemonset_runs_one_pod_per_node(cluster: FakeAPIServer, apps: Any) -> None:
    body = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {
                         "containers": [{"name": "a", "image": "agent:1"}]}}}}
    apps.create_namespaced_daemon_set("default", body)

    def ready() -> bool:
        st = (stored(cluster, "apps/daemonsets", "agent") or {}).get("status") or {}
        return st.get("numberReady") == 3 and st.get("desiredNumberScheduled") == 3
    wait_until(cluster, ready, what="agent on every node")
    nodes = sorted(p["spec"]["nodeName"] for p in pods_of(cluster, "app", "agent"))
    assert nodes == cluster.cluster.nodes
    assert object_status(stored(cluster, "apps/daemonsets", "agent")).status.value == "Current"


def test_services_get_endpoints_and_an_endpoint_slice_of_ready_pods(
        cluster: FakeAPIServer, apps: Any, core: Any) -> None:
    core.create_namespaced_service("default", {"metadata": {"name": "web"}, "spec": {
        "selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                       "containers": [{"name": "w", "image": "web:1"}]}}}}
    apps.create_namespaced_replica_set("default", rs)

    def endpoints() -> list[Any]:
        ep = stored(cluster, "/endpoints", "web") or {}
        subsets = ep.get("subsets") or []
        return subsets if subsets and len(subsets[0].get("addresses") or []) == 2 else []

    (subset,) = wait_until(cluster, endpoints, what="two ready endpoints")
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]
    ips = sorted(p["status"]["podIP"] for p in pods_of(cluster, "app", "web"))
    assert sorted(a["ip"] for a in subset["addresses"]) == ips
    (sl,) = [s for s in cluster.store.items("discovery.k8s.io/endpointslices", "default")
             if s["metadata"]["labels"].get("kubernetes.io/service-name") == "web"]
    assert all(e["conditions"]["ready"] for e in sl["endpoints"])
    # a pod being deleted leaves Endpoints at once but stays in the slice as
    # terminating (still serving) until it is gone
    victim = pods_of(cluster, "app", "web")[0]["metadata"]["name"]
    core.delete_namespaced_pod(victim, "default", grace_period_seconds=100)  # 2 s real

    def entry() -> dict[str, Any] | None:
        for s in cluster.store.items("discovery.k8s.io/endpointslices", "default"):
            for e in s.get("endpoints") or []:
                if e["targetRef"]["name"] == victim:
                    return dict(e)
        return None
    terminating = wait_until(cluster, lambda: (e := entry()) is not None
                             and e["conditions"]["terminating"] and e, what="terminating")
    assert terminating["conditions"] == {"ready": False, "serving": True, "terminating": True}
    ep = stored(cluster, "/endpoints", "web") or {}
    assert victim not in [a["targetRef"]["name"] for sub in ep.get("subsets") or []
                          for a in (sub.get("addresses") or []) + (
                              sub.get("notReadyAddresses") or [])]
    wait_until(cluster, lambda: entry() is None, what="the pod gone from the slice")


def test_every_namespace_gets_its_default_service_account(
        cluster: FakeAPIServer, core: Any) -> None:
    core.create_namespace({"metadata": {"name": "team-a"}})
    wait_until(cluster, lambda: stored(cluster, "/serviceaccounts", "default", "team-a"),
               what="the default ServiceAccount")
    wait_until(cluster, lambda: stored(cluster, "/configmaps", "kube-root-ca.crt", "team-a"),
               what="the root CA ConfigMap")
    core.delete_namespaced_service_account("default", "team-a")
    wait_until(cluster, lambda: stored(cluster, "/serviceaccounts", "default", "team-a"),
               what="the default ServiceAccount re-created")
    wait_until(cluster, lambda: stored(cluster, "/serviceaccounts", "default", "default"))


def test_a_cronjob_runs_jobs_on_the_simulated_clock_and_keeps_its_history() -> None:
    from kubernetes import client

    from hybridwait.testing.cluster import ClusterSettings, Span

    # every simulated minute is a tenth of a real second
    settings = ClusterSettings(seed=2, time_scale=600.0, run_time=Span(1.0, 2.0))
    with FakeAPIServer(cluster=settings) as srv:
        cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
                "spec": {"schedule": "*/1 * * * *", "successfulJobsHistoryLimit": 2,
                         "jobTemplate": {"spec": {"template": {"spec": {
                             "restartPolicy": "Never",
                             "containers": [{"name": "t", "image": "busybox"}]}}}}}}
        client.BatchV1Api(srv.api_client()).create_namespaced_cron_job("default", cron)
        made: set[str] = set()

        def three_runs() -> bool:
            for j in srv.store.items("batch/jobs", "default"):
                made.add(j["metadata"]["name"])
            cj = srv.store.get("batch/cronjobs", "default", "tick") or {}
            return len(made) >= 3 and bool((cj.get("status") or {}).get("lastSuccessfulTime"))
        wait_until(srv, three_runs, what="three scheduled Jobs")
        cj = srv.store.get("batch/cronjobs", "default", "tick")
        assert cj is not None and cj["status"]["lastScheduleTime"].endswith(":00Z")
        minutes = sorted(int(n.rsplit("-", 1)[1]) for n in made)
        # Jobs are named after their scheduled minute; a controller that wakes late
        # (a tenth of a real second is a simulated minute: a loaded machine) starts
        # only the most recent missed minute, as kube-controller-manager's does, so
        # a minute may be skipped, but the schedule keeps its pace
        assert minutes[-1] - minutes[0] < 3 * len(minutes), minutes
        job0 = srv.store.get("batch/jobs", "default", f"tick-{minutes[-1]}")
        if job0 is not None:
            assert job0["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
        # finished Jobs beyond successfulJobsHistoryLimit are deleted
        def trimmed() -> bool:
            jobs = srv.store.items("batch/jobs", "default")
            made.update(j["metadata"]["name"] for j in jobs)
            return len(made) >= 5 and sum(1 for j in jobs if _true(j, "Complete")) <= 2
        wait_until(srv, trimmed, what="history trimmed")


def test_statefulset_claims_are_provisioned_and_bound(cluster: FakeAPIServer, apps: Any,
                                                      core: Any) -> None:
    body = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"replicas": 2, "serviceName": "db",
                     "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}}, "spec": {
                         "containers": [{"name": "db", "image": "postgres:16"}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                         "accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "2Gi"}}}}]}}
    apps.create_namespaced_stateful_set("default", body)

    def bound() -> bool:
        claims = [stored(cluster, "/persistentvolumeclaims", f"data-db-{i}") for i in (0, 1)]
        return all(c and c["status"].get("phase") == "Bound" for c in claims)
    wait_until(cluster, bound, what="both claims Bound")
    claim = stored(cluster, "/persistentvolumeclaims", "data-db-0")
    assert claim is not None
    assert claim["status"]["capacity"] == {"storage": "2Gi"}
    assert claim["spec"]["storageClassName"] == "standard"
    assert claim["metadata"]["labels"] == {"app": "db"}
    assert object_status(claim).status.value == "Current"
    pv = cluster.store.get("/persistentvolumes", "", claim["spec"]["volumeName"])
    assert pv is not None and pv["status"]["phase"] == "Bound"
    assert pv["spec"]["claimRef"]["name"] == "data-db-0"
    pod = wait_until(cluster, lambda: stored(cluster, "/pods", "db-0"))
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}} in \
        pod["spec"]["volumes"]
    # a claim that asks for no class stays Pending; deleting a claim frees its volume
    core.create_namespaced_persistent_volume_claim("default", {
        "metadata": {"name": "static"},
        "spec": {"storageClassName": "", "accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "1Gi"}}}})
    core.delete_namespaced_persistent_volume_claim("data-db-1", "default")
    wait_until(cluster, lambda: len(cluster.store.items("/persistentvolumes")) == 1,
               what="the deleted claim's volume reclaimed")
    static = stored(cluster, "/persistentvolumeclaims", "static")
    assert static is not None and static["status"]["phase"] == "Pending"


def _sts(name: str, image: str, strategy: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": {"replicas": 3, "serviceName": name, "updateStrategy": strategy,
                     "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "containers": [{"name": "c", "image": image}]}}}}


def _images(srv: FakeAPIServer, app: str) -> dict[str, str]:
    return {p["metadata"]["name"]: p["spec"]["containers"][0]["image"]
            for p in pods_of(srv, "app", app)}


def _settled(srv: FakeAPIServer, name: str) -> bool:
    s = stored(srv, "apps/statefulsets", name) or {}
    st = s.get("status") or {}
    return (st.get("observedGeneration") == s["metadata"]["generation"]
            and st.get("readyReplicas") == 3)


def test_a_statefulset_partition_updates_only_the_ordinals_at_or_above_it(
        cluster: FakeAPIServer, apps: Any) -> None:
    apps.create_namespaced_stateful_set("default", _sts(
        "db", "v1", {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}))
    wait_until(cluster, lambda: _settled(cluster, "db") and len(_images(cluster, "db")) == 3)
    apps.patch_namespaced_stateful_set("db", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "v2"}]}}}})
    wait_until(cluster, lambda: _settled(cluster, "db")
               and _images(cluster, "db") == {"db-0": "v1", "db-1": "v1", "db-2": "v2"},
               what="only db-2 updated")
    sts = stored(cluster, "apps/statefulsets", "db")
    assert sts is not None and sts["status"].get("updatedReplicas") == 1
    assert sts["status"]["currentRevision"] != sts["status"]["updateRevision"]
    assert object_status(sts).status.value == "Current"  # kstatus: partitioned rollout done


def test_an_on_delete_statefulset_replaces_a_pod_only_when_it_is_deleted(
        cluster: FakeAPIServer, apps: Any, core: Any) -> None:
    apps.create_namespaced_stateful_set("default", _sts("db", "v1", {"type": "OnDelete"}))
    wait_until(cluster, lambda: _settled(cluster, "db") and len(_images(cluster, "db")) == 3)
    apps.patch_namespaced_stateful_set("db", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "v2"}]}}}})
    wait_until(cluster, lambda: _settled(cluster, "db"))
    assert set(_images(cluster, "db").values()) == {"v1"}
    core.delete_namespaced_pod("db-1", "default")
    wait_until(cluster, lambda: _settled(cluster, "db")
               and _images(cluster, "db") == {"db-0": "v1", "db-1": "v2", "db-2": "v1"},
               what="db-1 re-created with the new template")


def test_a_job_past_its_active_deadline_fails_and_its_pods_go() -> None:
    from kubernetes import client

    # its pod runs 60 simulated s, past the deadline, so it is running when the
    # Job controller deletes it (a pod with nothing running would go at once)
    with FakeAPIServer(cluster=dataclasses.replace(FAST, run_time=Span(60.0, 60.0))
                       ) as cluster:
        batch = client.BatchV1Api(cluster.api_client())
        body = job("slow", image="slow", activeDeadlineSeconds=5)
        # 150 simulated s to stop: 3 real s at time_scale 50, generous for a busy machine
        body["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 150
        batch.create_namespaced_job("default", body)
        # first FailureTarget, while its pod is terminating, then Failed once no
        # pod is left terminating (as since 1.31)
        target = wait_until(cluster, lambda: _true(stored(cluster, "batch/jobs", "slow"),
                                                   "FailureTarget")
                            and stored(cluster, "batch/jobs", "slow"), what="FailureTarget")
        assert condition(target, "Failed") is None
        assert target["status"]["terminating"] == 1
        wait_until(cluster, lambda: _true(stored(cluster, "batch/jobs", "slow"), "Failed"),
                   what="DeadlineExceeded")
        assert not pods_of(cluster, "job-name", "slow")  # the pod went first
        done = stored(cluster, "batch/jobs", "slow")
        failed = condition(done, "Failed")
        assert failed is not None and failed["reason"] == "DeadlineExceeded"
        assert failed["message"] == "Job was active longer than specified deadline"
        assert done is not None and done["status"]["terminating"] == 0


def test_a_suspended_job_makes_no_pods_until_resumed(cluster: FakeAPIServer,
                                                     batch: Any) -> None:
    batch.create_namespaced_job("default", job("later", suspend=True))
    wait_until(cluster, lambda: _true(stored(cluster, "batch/jobs", "later"), "Suspended"))
    assert not pods_of(cluster, "job-name", "later")
    batch.patch_namespaced_job("later", "default", {"spec": {"suspend": False}})
    wait_until(cluster, lambda: _true(stored(cluster, "batch/jobs", "later"), "Complete"))
    suspended = condition(stored(cluster, "batch/jobs", "later"), "Suspended")
    assert suspended is not None and suspended["status"] == "False"
    assert suspended["reason"] == "JobResumed"


def test_on_failure_restarts_count_towards_the_backoff_limit(cluster: FakeAPIServer,
                                                            batch: Any) -> None:
    cluster.cluster.crash_loop(image="flaky")
    body = job("flaky", image="flaky", backoffLimit=2)
    body["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    batch.create_namespaced_job("default", body)
    wait_until(cluster, lambda: _true(stored(cluster, "batch/jobs", "flaky"), "Failed"),
               what="BackoffLimitExceeded")
    failed = condition(stored(cluster, "batch/jobs", "flaky"), "Failed")
    assert failed is not None and failed["reason"] == "BackoffLimitExceeded"
    # one pod, restarted in place: it was not replaced, and it is gone now
    assert not pods_of(cluster, "job-name", "flaky")
    created = [e for e in cluster.store.items("/events", "default")
               if e["reason"] == "SuccessfulCreate"
               and e["involvedObject"]["name"] == "flaky"]
    assert len(created) == 1
