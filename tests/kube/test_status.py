"""object_status(): kstatus's rules, case by case (one row per rule and edge).

Each row is an object as a server would serve it, the expected Status and a
fragment the message must contain (what a user reads in progress and errors).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import hybridwait as hw
from hybridwait.kube.status import SCHEDULE_WINDOW, ObjectStatus, Status, object_status

C, P, F, T = Status.CURRENT, Status.IN_PROGRESS, Status.FAILED, Status.TERMINATING
NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def obj(api: str, kind: str, spec: Any = None, status: Any = None, **meta: Any) -> dict[str, Any]:
    o: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": {"name": "x", **meta}}
    if spec is not None:
        o["spec"] = spec
    if status is not None:
        o["status"] = status
    return o


def cond(ctype: str, status: str = "True", reason: str = "", message: str = "") -> dict[str, str]:
    c = {"type": ctype, "status": status}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def deploy(spec: Any = None, **status: Any) -> dict[str, Any]:
    full = {"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
            "conditions": [cond("Available"), cond("Progressing", reason="NewReplicaSetAvailable")]}
    full.update(status)
    return obj("apps/v1", "Deployment", spec or {"replicas": 3, "progressDeadlineSeconds": 600},
               full)


def sts(spec: Any = None, **status: Any) -> dict[str, Any]:
    full = {"replicas": 3, "readyReplicas": 3, "currentReplicas": 3, "updatedReplicas": 3,
            "currentRevision": "r1", "updateRevision": "r1"}
    full.update(status)
    return obj("apps/v1", "StatefulSet", spec or {"replicas": 3}, full)


def ds(**status: Any) -> dict[str, Any]:
    full = {"observedGeneration": 1, "desiredNumberScheduled": 2, "currentNumberScheduled": 2,
            "updatedNumberScheduled": 2, "numberAvailable": 2, "numberReady": 2}
    full.update(status)
    return obj("apps/v1", "DaemonSet", {}, full, generation=1)


def rs(**status: Any) -> dict[str, Any]:
    full = {"replicas": 2, "fullyLabeledReplicas": 2, "availableReplicas": 2, "readyReplicas": 2}
    full.update(status)
    return obj("apps/v1", "ReplicaSet", {"replicas": 2}, full)


def pod(phase: str | None, *conds: dict[str, str], created: datetime | None = None,
        **status: Any) -> dict[str, Any]:
    st: dict[str, Any] = dict(status)
    if phase is not None:
        st["phase"] = phase
    if conds:
        st["conditions"] = list(conds)
    meta = {"creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ")} if created else {}
    return obj("v1", "Pod", {}, st, **meta)


def job(spec: Any = None, **status: Any) -> dict[str, Any]:
    return obj("batch/v1", "Job", spec or {}, status)


def crd(*conds: dict[str, str]) -> dict[str, Any]:
    return obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", {},
               {"conditions": list(conds)})


def custom(*conds: dict[str, str], **meta: Any) -> dict[str, Any]:
    return obj("example.com/v1", "Widget", {}, {"conditions": list(conds)}, **meta)


CRASH = {"containerStatuses": [
    {"name": "app", "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
    {"name": "side", "state": {"running": {}}},
]}
UNSCHEDULABLE = cond("PodScheduled", "False", "Unschedulable", "0/3 nodes are available")

CASES: list[tuple[str, dict[str, Any], Status, str]] = [
    # -- generic rules, in kstatus's order
    ("deletionTimestamp wins over everything",
     {**deploy(), "metadata": {"name": "x", "deletionTimestamp": "2026-01-01T00:00:00Z"}},
     T, "deletion"),
    ("generation not observed",
     obj("apps/v1", "Deployment", {"replicas": 1}, {"observedGeneration": 1}, generation=2),
     P, "generation 2 not observed"),
    ("observedGeneration missing: no generation check",
     custom(generation=5), C, ""),
    ("Reconciling=True", custom(cond("Reconciling", message="rolling")), P, "rolling"),
    ("Stalled=True", custom(cond("Stalled", reason="BadSpec", message="bad spec")), F,
     "bad spec"),
    ("Stalled=True, no message: the reason", custom(cond("Stalled", reason="BadSpec")), F,
     "BadSpec"),
    ("Stalled=False is normal", custom(cond("Stalled", "False")), C, ""),
    ("Stalled beats the kind's rules", job(status=None, conditions=[cond("Stalled")]), F, ""),
    ("Reconciling before Stalled (first wins)",
     custom(cond("Reconciling"), cond("Stalled")), P, ""),
    # -- Ready condition for kinds without rules
    ("custom Ready=True", custom(cond("Ready")), C, ""),
    ("custom Ready=False", custom(cond("Ready", "False", message="waiting for db")), P,
     "waiting for db"),
    ("custom Ready=Unknown", custom(cond("Ready", "Unknown")), P, ""),
    ("custom without conditions", custom(), C, "no readiness rule"),
    ("object without status", obj("v1", "Namespace"), C, ""),
    # -- Pod
    ("pod Succeeded", pod("Succeeded"), C, "completed"),
    ("pod Failed (differs from kstatus)", pod("Failed", reason="Evicted"), F, "Evicted"),
    ("pod Running and Ready", pod("Running", cond("Ready")), C, "ready"),
    ("pod Running not Ready", pod("Running", cond("Ready", "False")), P, "not ready"),
    ("pod Running, crash looping", pod("Running", **CRASH), F, "CrashLoopBackOff: app"),
    ("pod Ready though a container crash-loops", pod("Running", cond("Ready"), **CRASH), C, ""),
    ("pod Pending", pod("Pending"), P, "pending"),
    ("pod Unschedulable within the grace",
     pod("Pending", UNSCHEDULABLE, created=NOW - timedelta(seconds=5)), P, "not scheduled"),
    ("pod Unschedulable past the grace",
     pod("Pending", UNSCHEDULABLE, created=NOW - SCHEDULE_WINDOW - timedelta(seconds=1)), F,
     "0/3 nodes"),
    ("pod PodScheduled=False for another reason", pod("Pending", cond("PodScheduled", "False")),
     P, "pending"),
    ("pod without phase", pod(None), P, "no phase"),
    ("pod unknown phase", pod("Unknown"), P, "unknown"),
    # -- PVC
    ("pvc Bound", obj("v1", "PersistentVolumeClaim", {}, {"phase": "Bound"}), C, "bound"),
    ("pvc Pending", obj("v1", "PersistentVolumeClaim", {}, {"phase": "Pending"}), P, "Pending"),
    ("pvc without status", obj("v1", "PersistentVolumeClaim", {}), P, "unknown"),
    # -- StatefulSet
    ("sts all ready", sts(), C, "3"),
    ("sts too few replicas", sts(replicas=1), P, "replicas: 1/3"),
    ("sts too few ready", sts(readyReplicas=2), P, "ready: 2/3"),
    ("sts extra pods", sts(replicas=4), P, "1 extra"),
    ("sts too few current", sts(currentReplicas=2), P, "current revision: 2/3"),
    ("sts revision mismatch", sts(updateRevision="r2"), P, "revision"),
    ("sts OnDelete is current", sts({"replicas": 3, "updateStrategy": {"type": "OnDelete"}},
                                    readyReplicas=0), C, "OnDelete"),
    ("sts partition rolling",
     sts({"replicas": 3, "updateStrategy": {"rollingUpdate": {"partition": 1}}},
         updatedReplicas=1), P, "1/2 updated"),
    ("sts partition done (current revision ignored)",
     sts({"replicas": 3, "updateStrategy": {"rollingUpdate": {"partition": 1}}},
         updatedReplicas=2, currentReplicas=1, updateRevision="r2"), C, "2 updated"),
    ("sts default replicas 1", obj("apps/v1", "StatefulSet", {}, {}), P, "replicas: 0/1"),
    # -- DaemonSet
    ("ds all ready", ds(), C, "2"),
    ("ds no generation", obj("apps/v1", "DaemonSet", {}, {"observedGeneration": 1}), P,
     "metadata.generation"),
    ("ds no observedGeneration", obj("apps/v1", "DaemonSet", {}, {}, generation=1), P,
     "observedGeneration"),
    ("ds no desired number", obj("apps/v1", "DaemonSet", {}, {"observedGeneration": 1},
                                 generation=1), P, "desiredNumberScheduled"),
    ("ds too few scheduled", ds(currentNumberScheduled=1), P, "scheduled: 1/2"),
    ("ds too few updated", ds(updatedNumberScheduled=1), P, "updated: 1/2"),
    ("ds too few available", ds(numberAvailable=1), P, "available: 1/2"),
    ("ds too few ready", ds(numberReady=1), P, "ready: 1/2"),
    ("extensions/v1beta1 DaemonSet", {**ds(), "apiVersion": "extensions/v1beta1"}, C, ""),
    # -- Deployment
    ("deploy available", deploy(), C, "3 replicas"),
    ("deploy progress deadline exceeded",
     deploy(conditions=[cond("Progressing", "False", "ProgressDeadlineExceeded",
                             'ReplicaSet "web-1" has timed out progressing.')]), F,
     "progress deadline exceeded"),
    ("deploy too few replicas", deploy(replicas=1), P, "replicas: 1/3"),
    ("deploy too few updated", deploy(updatedReplicas=2), P, "updated: 2/3"),
    ("deploy old replicas terminating", deploy(replicas=4), P, "1 old"),
    ("deploy too few available", deploy(availableReplicas=2), P, "available: 2/3"),
    ("deploy too few ready", deploy(readyReplicas=2), P, "ready: 2/3"),
    ("deploy new ReplicaSet not available yet",
     deploy(conditions=[cond("Available"), cond("Progressing", reason="ReplicaSetUpdated")]), P,
     "ReplicaSet"),
    ("deploy without progressDeadlineSeconds needs no Progressing",
     deploy({"replicas": 3}, conditions=[cond("Available")]), C, ""),
    ("deploy not Available", deploy(conditions=[
        cond("Available", "False"), cond("Progressing", reason="NewReplicaSetAvailable")]), P,
     "Available"),
    ("deploy scaled to zero", obj("apps/v1", "Deployment", {"replicas": 0}, {}), P, "Available"),
    # -- ReplicaSet
    ("rs available", rs(), C, "2"),
    ("rs ReplicaFailure", rs(conditions=[cond("ReplicaFailure")]), P, "ReplicaFailure"),
    ("rs too few labelled", rs(fullyLabeledReplicas=1), P, "labelled: 1/2"),
    ("rs too few available", rs(availableReplicas=1), P, "available: 1/2"),
    ("rs too few ready", rs(readyReplicas=1), P, "ready: 1/2"),
    ("rs extra pods", rs(replicas=3), P, "1 extra"),
    # -- PodDisruptionBudget, CronJob, ConfigMap, Secret
    ("pdb observed", obj("policy/v1", "PodDisruptionBudget", {}, {"observedGeneration": 1},
                         generation=1), C, "disruptions"),
    ("pdb not observed", obj("policy/v1", "PodDisruptionBudget", {}, {"observedGeneration": 1},
                             generation=2), P, "generation"),
    ("cronjob", obj("batch/v1", "CronJob", {}), C, "always"),
    ("configmap", obj("v1", "ConfigMap"), C, "always"),
    ("secret", obj("v1", "Secret"), C, "always"),
    # -- Job
    ("job complete", job(succeeded=1, conditions=[cond("Complete")]), C, "1/1 succeeded"),
    ("job failed", job(failed=3, conditions=[cond("Failed", message="BackoffLimitExceeded")]),
     F, "3 failed"),
    ("job suspended", job(conditions=[cond("Suspended")]), C, "suspended"),
    ("job Complete=False does not count", job(startTime="t", conditions=[
        cond("Complete", "False")]), C, "running"),
    ("job not started", job(), P, "not started"),
    ("job running", job(startTime="2026-01-01T00:00:00Z", active=2), C, "2 active"),
    ("job completions default to parallelism",
     job({"parallelism": 4}, succeeded=4, conditions=[cond("Complete")]), C, "4/4"),
    # -- Service
    ("service ClusterIP", obj("v1", "Service", {"clusterIP": "10.0.0.1"}), C, "ready"),
    ("service LoadBalancer without cluster IP", obj("v1", "Service", {"type": "LoadBalancer"}),
     P, "cluster IP"),
    ("service LoadBalancer with cluster IP",
     obj("v1", "Service", {"type": "LoadBalancer", "clusterIP": "10.0.0.2"}), C, ""),
    # -- CRD
    ("crd established", crd(cond("NamesAccepted"), cond("Established")), C, "established"),
    ("crd names not accepted", crd(cond("NamesAccepted", "False", "Conflict", "name taken")),
     F, "name taken"),
    ("crd installing", crd(cond("Established", "False", "Installing")), P, "installed"),
    ("crd not established for another reason",
     crd(cond("Established", "False", "Broken", "boom")), F, "boom"),
    ("crd without conditions", crd(), P, "installed"),
]


@pytest.mark.parametrize(("obj", "status", "fragment"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_status_table(obj: dict[str, Any], status: Status, fragment: str) -> None:
    got = object_status(obj, now=NOW)
    assert got.status is status, got
    assert fragment in got.message
    assert got.message  # every status says why


def test_not_found_for_none() -> None:
    assert object_status(None) == ObjectStatus(Status.NOT_FOUND, "object not found")


def test_malformed_fields_read_as_absent() -> None:
    bad = obj("apps/v1", "Deployment", {"replicas": "three"}, {"replicas": True,
                                                              "conditions": "nope"})
    assert object_status(bad).status is Status.IN_PROGRESS  # defaults: want 1, have 0


def test_not_a_mapping_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="dict"):
        object_status(["not", "an", "object"])  # type: ignore[arg-type]


def test_pod_grace_uses_the_current_time_by_default() -> None:
    fresh = pod("Pending", UNSCHEDULABLE, created=datetime.now(timezone.utc))
    old = pod("Pending", UNSCHEDULABLE, created=datetime.now(timezone.utc) - timedelta(hours=1))
    assert object_status(fresh).status is Status.IN_PROGRESS
    assert object_status(old).status is Status.FAILED


def test_status_is_a_str_enum_and_exported() -> None:
    assert hw.Status is Status and hw.object_status is object_status
    assert hw.ObjectStatus is ObjectStatus
    assert [s.value for s in Status] == ["Current", "InProgress", "Failed", "Terminating",
                                         "NotFound"]
    assert Status.CURRENT == "Current" and str(Status.FAILED) == "Failed"
    st = ObjectStatus(Status.FAILED, "job failed")
    assert str(st) == "Failed: job failed"
    with pytest.raises(AttributeError):
        st.status = Status.CURRENT  # type: ignore[misc]
