"""Readiness of any Kubernetes object, by kstatus's rules: :func:`object_status`.

``object_status(obj)`` answers "is what I applied up?" for one object as served
(a ``dict``), without any request: one of five :class:`Status` values and a
short message saying why. The rules follow sigs.k8s.io/cli-utils' kstatus (used
by Flux, kpt and Helm 4's ``--wait``), checked in its order:

1. ``metadata.deletionTimestamp`` set: Terminating;
2. ``status.observedGeneration`` present and not ``metadata.generation``: InProgress
   (the controller has not seen the latest spec yet);
3. a ``Reconciling=True`` condition: InProgress; a ``Stalled=True`` condition: Failed;
4. the rules of the kind (Pod, PersistentVolumeClaim, StatefulSet, DaemonSet,
   Deployment, ReplicaSet, PodDisruptionBudget, Job, CronJob, Service,
   CustomResourceDefinition, ConfigMap, Secret): see :data:`KIND_RULES`;
5. any other kind with a ``Ready`` condition: Current when it is ``True``,
   InProgress otherwise;
6. else Current.

``None`` (no object) is NotFound. docs/readiness.md has the table per kind and
the few places where we differ from kstatus, with the reasons.

Example::

    >>> from hybridwait import object_status, Status
    >>> deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
    ...           "metadata": {"name": "web", "generation": 2},
    ...           "spec": {"replicas": 3},
    ...           "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
    ...                      "readyReplicas": 1, "availableReplicas": 1}}
    >>> st = object_status(deploy)
    >>> st.status is Status.IN_PROGRESS, st.message
    (True, 'available: 1/3 updated replicas')
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["KIND_RULES", "SCHEDULE_WINDOW", "ObjectStatus", "Status", "object_status"]

Obj = Mapping[str, Any]

#: How long a Pending pod may be ``Unschedulable`` before it counts as Failed
#: (the scheduler retries; a pod is often unschedulable for a moment while a
#: cluster autoscaler adds a node).
SCHEDULE_WINDOW = timedelta(seconds=15)


class Status(str, enum.Enum):
    """What an object's state means for "is it up?" (kstatus's values).

    Example::

        >>> Status("InProgress") is Status.IN_PROGRESS
        True
    """

    CURRENT = "Current"
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    TERMINATING = "Terminating"
    NOT_FOUND = "NotFound"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ObjectStatus:
    """The result of :func:`object_status`: ``status`` and a short ``message``.

    Example::

        >>> ObjectStatus(Status.CURRENT, "job complete: 1/1 succeeded")
        ObjectStatus(status=<Status.CURRENT: 'Current'>, message='job complete: 1/1 succeeded')
    """

    status: Status
    message: str

    def __str__(self) -> str:
        return f"{self.status.value}: {self.message}" if self.message else self.status.value


def _current(message: str) -> ObjectStatus:
    return ObjectStatus(Status.CURRENT, message)


def _progress(message: str) -> ObjectStatus:
    return ObjectStatus(Status.IN_PROGRESS, message)


def _failed(message: str) -> ObjectStatus:
    return ObjectStatus(Status.FAILED, message)


# -- reading fields leniently (a malformed field reads as absent) ----------------------


def _get(obj: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(obj, Mapping) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _int(obj: Obj, path: str, default: int) -> int:
    value = _get(obj, path)
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default


def _has_int(obj: Obj, path: str) -> bool:
    return _int(obj, path, -(2**63)) != -(2**63)


def _str(obj: Obj, path: str, default: str = "") -> str:
    value = _get(obj, path)
    return value if isinstance(value, str) else default


def _conditions(obj: Obj) -> list[Mapping[str, Any]]:
    conds = _get(obj, "status.conditions")
    if not isinstance(conds, list):
        return []
    return [c for c in conds if isinstance(c, Mapping) and isinstance(c.get("type"), str)]


def _condition(obj: Obj, ctype: str) -> Mapping[str, Any] | None:
    """The first condition of type ``ctype`` (exact match, as controllers write them)."""
    for cond in _conditions(obj):
        if cond["type"] == ctype:
            return cond
    return None


def _is(cond: Mapping[str, Any] | None, status: str) -> bool:
    return cond is not None and cond.get("status") == status


def _text(cond: Mapping[str, Any], fallback: str) -> str:
    message = cond.get("message")
    if isinstance(message, str) and message:
        return message
    reason = cond.get("reason")
    return reason if isinstance(reason, str) and reason else fallback


def _kind(obj: Obj) -> str:
    return _str(obj, "kind")


def _group(obj: Obj) -> str:
    api_version = _str(obj, "apiVersion")
    return api_version.rpartition("/")[0]


# -- the generic rules (every kind) -------------------------------------------------------


def _generic(obj: Obj) -> ObjectStatus | None:
    if _str(obj, "metadata.deletionTimestamp"):
        return ObjectStatus(Status.TERMINATING, "deletion requested")
    if _has_int(obj, "metadata.generation") and _has_int(obj, "status.observedGeneration"):
        generation = _int(obj, "metadata.generation", 0)
        observed = _int(obj, "status.observedGeneration", 0)
        if observed != generation:
            return _progress(
                f"{_kind(obj) or 'object'} generation {generation} not observed yet "
                f"(observed: {observed})"
            )
    for cond in _conditions(obj):
        if cond["type"] == "Reconciling" and cond.get("status") == "True":
            return _progress(_text(cond, "reconciling"))
        if cond["type"] == "Stalled" and cond.get("status") == "True":
            return _failed(_text(cond, "stalled"))
    return None


# -- the rules per kind ----------------------------------------------------------------------


def _always(_obj: Obj, _now: datetime) -> ObjectStatus:
    return _current("always ready once it exists")


def _pod(obj: Obj, now: datetime) -> ObjectStatus:
    phase = _str(obj, "status.phase")
    if phase == "Succeeded":
        return _current("pod completed successfully")
    if phase == "Failed":
        # kstatus: Current ("completed, but not successfully"); see docs/readiness.md
        reason = _str(obj, "status.reason") or _str(obj, "status.message")
        return _failed("pod failed" + (f": {reason}" if reason else ""))
    if phase == "Running":
        if _is(_condition(obj, "Ready"), "True"):
            return _current("pod is ready")
        crashing = _crash_looping(obj)
        if crashing:
            return _failed("containers in CrashLoopBackOff: " + ",".join(crashing))
        return _progress("pod is running but not ready")
    if phase == "Pending":
        sched = _condition(obj, "PodScheduled")
        if _is(sched, "False") and sched is not None and sched.get("reason") == "Unschedulable":
            created = _timestamp(_str(obj, "metadata.creationTimestamp"))
            if created is not None and now - created < SCHEDULE_WINDOW:
                return _progress("pod not scheduled yet")
            return _failed("pod cannot be scheduled" + _suffix(sched))
        return _progress("pod is pending")
    if phase == "":
        return _progress("pod has no phase yet")
    return _progress(f"pod phase {phase!r} is unknown")


def _suffix(cond: Mapping[str, Any]) -> str:
    message = cond.get("message")
    return f": {message}" if isinstance(message, str) and message else ""


def _crash_looping(obj: Obj) -> list[str]:
    names = []
    statuses = _get(obj, "status.containerStatuses")
    for cs in statuses if isinstance(statuses, list) else []:
        if _get(cs, "state.waiting.reason") == "CrashLoopBackOff" and isinstance(
            _get(cs, "name"), str
        ):
            names.append(str(cs["name"]))
    return names


def _timestamp(text: str) -> datetime | None:
    if not text:
        return None
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=timezone.utc)


def _pvc(obj: Obj, _now: datetime) -> ObjectStatus:
    phase = _str(obj, "status.phase", "unknown")
    if phase != "Bound":
        return _progress(f"claim not bound (phase: {phase})")
    return _current("claim is bound")


def _statefulset(obj: Obj, _now: datetime) -> ObjectStatus:
    if _str(obj, "spec.updateStrategy.type") == "OnDelete":
        return _current("OnDelete update strategy: pods are replaced by the user")
    want = _int(obj, "spec.replicas", 1)
    ready = _int(obj, "status.readyReplicas", 0)
    current = _int(obj, "status.currentReplicas", 0)
    updated = _int(obj, "status.updatedReplicas", 0)
    have = _int(obj, "status.replicas", 0)
    partition = _int(obj, "spec.updateStrategy.rollingUpdate.partition", -1)
    if want > have:
        return _progress(f"replicas: {have}/{want}")
    if want > ready:
        return _progress(f"ready: {ready}/{want}")
    if have > want:
        return _progress(f"{have - want} extra pods terminating")
    if partition != -1:
        if updated < want - partition:
            return _progress(f"partitioned rollout: {updated}/{want - partition} updated")
        return _current(f"partitioned rollout done: {updated} updated")
    if want > current:
        return _progress(f"current revision: {current}/{want}")
    if _str(obj, "status.currentRevision") != _str(obj, "status.updateRevision"):
        return _progress("rolling out: update revision is not the current revision yet")
    return _current(f"all replicas ready: {have}")


def _daemonset(obj: Obj, _now: datetime) -> ObjectStatus:
    # The controller always sets both; until it has, it has not acted.
    if not _has_int(obj, "metadata.generation"):
        return _progress("DaemonSet has no metadata.generation yet")
    if not _has_int(obj, "status.observedGeneration"):
        return _progress("DaemonSet has no status.observedGeneration yet")
    desired = _int(obj, "status.desiredNumberScheduled", -1)
    if desired == -1:
        return _progress("no status.desiredNumberScheduled yet")
    for path, what in (
        ("status.currentNumberScheduled", "scheduled"),
        ("status.updatedNumberScheduled", "updated"),
        ("status.numberAvailable", "available"),
        ("status.numberReady", "ready"),
    ):
        count = _int(obj, path, 0)
        if desired > count:
            return _progress(f"{what}: {count}/{desired}")
    return _current(f"all pods scheduled and ready: {desired}")


def _deployment(obj: Obj, _now: datetime) -> ObjectStatus:
    # Without progressDeadlineSeconds the controller never reports progress, so
    # the Progressing condition is not required then.
    progressing = not _has_int(obj, "spec.progressDeadlineSeconds")
    available = False
    for cond in _conditions(obj):
        if cond["type"] == "Progressing":
            if cond.get("reason") == "ProgressDeadlineExceeded":
                return _failed("progress deadline exceeded" + _suffix(cond))
            if cond.get("status") == "True" and cond.get("reason") == "NewReplicaSetAvailable":
                progressing = True
        elif cond["type"] == "Available" and cond.get("status") == "True":
            available = True
    want = _int(obj, "spec.replicas", 1)
    have = _int(obj, "status.replicas", 0)
    updated = _int(obj, "status.updatedReplicas", 0)
    ready = _int(obj, "status.readyReplicas", 0)
    avail = _int(obj, "status.availableReplicas", 0)
    if want > have:
        return _progress(f"replicas: {have}/{want}")
    if want > updated:
        return _progress(f"updated: {updated}/{want}")
    if have > want:
        return _progress(f"{have - want} old replicas terminating")
    if updated > avail:
        return _progress(f"available: {avail}/{updated} updated replicas")
    if want > ready:
        return _progress(f"ready: {ready}/{want}")
    if not progressing:
        return _progress("new ReplicaSet not reported available yet")
    if not available:
        return _progress("Available condition not True yet")
    return _current(f"available: {have} replicas")


def _replicaset(obj: Obj, _now: datetime) -> ObjectStatus:
    if _is(_condition(obj, "ReplicaFailure"), "True"):
        return _progress("a replica could not be created (ReplicaFailure): check its pods")
    want = _int(obj, "spec.replicas", 1)
    for path, what in (
        ("status.fullyLabeledReplicas", "labelled"),
        ("status.availableReplicas", "available"),
        ("status.readyReplicas", "ready"),
    ):
        count = _int(obj, path, 0)
        if want > count:
            return _progress(f"{what}: {count}/{want}")
    have = _int(obj, "status.replicas", 0)
    if have > want:
        return _progress(f"{have - want} extra pods terminating")
    return _current(f"available: {have} replicas")


def _pdb(_obj: Obj, _now: datetime) -> ObjectStatus:
    # Reaching here means the generic check found the latest spec observed.
    return _current("allowed disruptions computed")


def _job(obj: Obj, _now: datetime) -> ObjectStatus:
    parallelism = _int(obj, "spec.parallelism", 1)
    completions = _int(obj, "spec.completions", parallelism)
    succeeded = _int(obj, "status.succeeded", 0)
    active = _int(obj, "status.active", 0)
    failed = _int(obj, "status.failed", 0)
    for cond in _conditions(obj):
        if cond.get("status") != "True":
            continue
        if cond["type"] == "Complete":
            return _current(f"job complete: {succeeded}/{completions} succeeded")
        if cond["type"] == "Failed":
            return _failed(f"job failed: {failed} failed, {succeeded}/{completions} succeeded"
                           + _suffix(cond))
        if cond["type"] == "Suspended":
            return _current("job is suspended")
    if not _str(obj, "status.startTime"):
        return _progress("job not started")
    return _current(f"job running: {succeeded} succeeded, {active} active, {failed} failed")


def _service(obj: Obj, _now: datetime) -> ObjectStatus:
    if _str(obj, "spec.type", "ClusterIP") == "LoadBalancer" and not _str(obj, "spec.clusterIP"):
        return _progress("LoadBalancer service has no cluster IP yet")
    return _current("service is ready")


def _crd(obj: Obj, _now: datetime) -> ObjectStatus:
    for cond in _conditions(obj):
        if cond["type"] == "NamesAccepted" and cond.get("status") == "False":
            return _failed("names not accepted" + _suffix(cond))
        if cond["type"] == "Established":
            if cond.get("status") == "False" and cond.get("reason") != "Installing":
                return _failed("not established" + _suffix(cond))
            if cond.get("status") == "True":
                return _current("CRD is established")
    return _progress("CRD is being installed")


_Rule = Callable[[Obj, datetime], ObjectStatus]

#: The kinds with rules of their own, keyed ``group/Kind`` (``Kind`` for the core
#: group). A kind listed here is judged by its rule alone after the generic checks.
KIND_RULES: Mapping[str, _Rule] = {
    "Pod": _pod,
    "ConfigMap": _always,
    "Secret": _always,
    "PersistentVolumeClaim": _pvc,
    "Service": _service,
    "apps/StatefulSet": _statefulset,
    "apps/DaemonSet": _daemonset,
    "extensions/DaemonSet": _daemonset,
    "apps/Deployment": _deployment,
    "extensions/Deployment": _deployment,
    "apps/ReplicaSet": _replicaset,
    "extensions/ReplicaSet": _replicaset,
    "policy/PodDisruptionBudget": _pdb,
    "batch/Job": _job,
    "batch/CronJob": _always,
    "apiextensions.k8s.io/CustomResourceDefinition": _crd,
}


def object_status(obj: Obj | None, *, now: datetime | None = None) -> ObjectStatus:
    """The readiness of ``obj`` (a ``dict`` as served; ``None``: NotFound).

    Pure: reads only ``obj`` (and ``now``, the time used for a Pending pod's
    15 s scheduling grace; default the current UTC time). The order and rules
    are in the module's docstring and docs/readiness.md.

    Example::

        >>> job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
        ...        "status": {"failed": 2, "conditions": [{"type": "Failed", "status": "True"}]}}
        >>> str(object_status(job))
        'Failed: job failed: 2 failed, 0/1 succeeded'
        >>> object_status(None).status
        <Status.NOT_FOUND: 'NotFound'>
    """
    if obj is None:
        return ObjectStatus(Status.NOT_FOUND, "object not found")
    if not isinstance(obj, Mapping):
        raise TypeError(f"object_status() takes an object as a dict, not {type(obj).__name__}")
    generic = _generic(obj)
    if generic is not None:
        return generic
    group, kind = _group(obj), _kind(obj)
    key = f"{group}/{kind}" if group else kind
    rule = KIND_RULES.get(key)
    if rule is not None:
        return rule(obj, now if now is not None else datetime.now(timezone.utc))
    ready = _condition(obj, "Ready")
    if ready is not None:
        if ready.get("status") == "True":
            return _current(_text(ready, "Ready") if ready.get("message") else "Ready")
        return _progress(_text(ready, "Ready condition is not True"))
    return _current("exists; no readiness rule or condition says otherwise")
