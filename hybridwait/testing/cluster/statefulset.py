"""The StatefulSet controller: pods ``NAME-0`` ... ``NAME-(N-1)`` created in
order, each once the one before is Running and Ready (``OrderedReady``; all at
once with ``Parallel``), removed from the highest ordinal; rolling updates from
the highest ordinal down to ``partition``, one pod at a time; ``OnDelete``
leaves old pods until the user deletes them. Revisions are
``NAME-<template hash>`` (``controller-revision-hash``), each kept as a
ControllerRevision of that name (the template as a replacing patch in ``data``,
``revision`` 1, 2, ...; a rollback to an older template renumbers it as the next,
history pruned to ``revisionHistoryLimit``, 10), so ``kubectl rollout history``
and ``rollout undo`` work on StatefulSets. Status: ``observedGeneration``, ``replicas``,
``readyReplicas``, ``currentReplicas``, ``updatedReplicas``,
``availableReplicas``, ``currentRevision``, ``updateRevision``,
``collisionCount``. Each pod's claims come from ``volumeClaimTemplates``
(``TEMPLATE-NAME-ORDINAL``, kept when the pod goes, as with the default
``Retain`` policy).

Example::

    kubectl rollout status statefulset/db
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.pods import (
    is_active,
    is_ready,
    owned,
    pod_from_template,
    template_hash,
)
from hybridwait.testing.cluster.replicaset import owner_refs_for
from hybridwait.testing.cluster.revisions import record_revision
from hybridwait.testing.cluster.runtime import PODS, Controller, Ref

__all__ = ["StatefulSetController"]

STATEFULSETS = "apps/statefulsets"
CLAIMS = "/persistentvolumeclaims"
REVISION_LABEL = "controller-revision-hash"


def _ordinal(pod: dict[str, Any], name: str) -> int:
    suffix = pod["metadata"]["name"][len(name) + 1:]
    return int(suffix) if suffix.isdigit() else -1


def _running_ready(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_ready(pod)


class StatefulSetController(Controller):
    """See module docstring."""

    name = "statefulset"
    watches = (STATEFULSETS, PODS)

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == STATEFULSETS:
            yield Ref(STATEFULSETS, ev.namespace, ev.name)
        else:
            yield from owner_refs_for(ev, STATEFULSETS, "StatefulSet")

    def sync(self, ref: Ref) -> float | None:
        sts = self.client.get(STATEFULSETS, ref.namespace, ref.name)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return None
        spec = sts.get("spec") or {}
        name = ref.name
        replicas = int(spec.get("replicas", 1))
        update_rev = f"{name}-{template_hash(spec.get('template') or {})}"
        current = (sts.get("status") or {}).get("currentRevision") or update_rev
        record_revision(self.client, sts, update_rev, str(current), self.manager)
        status = sts.get("status") or {}
        current_rev = status.get("currentRevision") or update_rev
        pods = {_ordinal(p, name): p for p in owned(self.client.items(PODS, ref.namespace), sts)}
        parallel = spec.get("podManagementPolicy") == "Parallel"
        # create missing ordinals in order
        for i in range(replicas):
            pod = pods.get(i)
            if pod is None:
                self._create(sts, i, update_rev)  # a new pod has the current template
                if not parallel:
                    return self._status(sts, update_rev, current_rev)
                continue
            if not parallel and not _running_ready(pod):
                return self._status(sts, update_rev, current_rev)
        # remove extra ordinals, highest first
        extra = sorted((i for i in pods if i >= replicas or i < 0), reverse=True)
        for i in extra:
            meta = pods[i]["metadata"]
            self.client.delete(PODS, ref.namespace, meta["name"], meta["uid"])
            if not parallel:
                return self._status(sts, update_rev, current_rev)
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            partition = self._partition(sts)
            for i in range(replicas - 1, partition - 1, -1):
                pod = pods.get(i)
                if pod is None:
                    continue
                if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != update_rev:
                    meta = pod["metadata"]
                    self.client.delete(PODS, ref.namespace, meta["name"], meta["uid"])
                    break
                if not _running_ready(pod):
                    break
        return self._status(sts, update_rev, current_rev)

    @staticmethod
    def _partition(sts: dict[str, Any]) -> int:
        ru = ((sts.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}
        return int(ru.get("partition") or 0)

    def _create(self, sts: dict[str, Any], ordinal: int, revision: str) -> None:
        meta = sts["metadata"]
        spec = sts.get("spec") or {}
        name = f"{meta['name']}-{ordinal}"
        extra = {REVISION_LABEL: revision, "statefulset.kubernetes.io/pod-name": name,
                 "apps.kubernetes.io/pod-index": str(ordinal)}
        pod = pod_from_template(sts, spec.get("template") or {}, name, extra)
        volumes = list(pod["spec"].get("volumes") or [])
        for claim in spec.get("volumeClaimTemplates") or []:
            cname = (claim.get("metadata") or {}).get("name", "data")
            claim_name = self._claim(sts, claim, f"{cname}-{name}")
            volumes = [v for v in volumes if v.get("name") != cname]
            volumes.append({"name": cname, "persistentVolumeClaim": {"claimName": claim_name}})
        if volumes:
            pod["spec"]["volumes"] = volumes
        pod["spec"]["hostname"] = name
        if spec.get("serviceName"):
            pod["spec"]["subdomain"] = spec["serviceName"]
        self.client.create(PODS, meta["namespace"], pod, self.manager)

    def _claim(self, sts: dict[str, Any], template: dict[str, Any], name: str) -> str:
        """Create the pod's claim from a ``volumeClaimTemplate`` unless it exists
        (claims outlive their pods, as with the default Retain policy)."""
        ns = sts["metadata"]["namespace"]
        if self.client.store.get(CLAIMS, ns, name) is None:
            tmeta = template.get("metadata") or {}
            labels = {**(tmeta.get("labels") or {}),
                      **(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels")
                         or {})}
            body = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": name, "namespace": ns, "labels": labels},
                    "spec": dict(template.get("spec") or {})}
            try:
                self.client.create(CLAIMS, ns, body, self.manager)
            except StatusError as err:
                if err.code != 409:
                    raise
        return name

    def _status(self, sts: dict[str, Any], update_rev: str, current_rev: str) -> float | None:
        spec = sts.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        pods = [p for p in owned(self.client.items(PODS, sts["metadata"]["namespace"]), sts)
                if is_active(p)]
        min_ready = float(spec.get("minReadySeconds") or 0)

        def rev(p: dict[str, Any]) -> str:
            return str((p["metadata"].get("labels") or {}).get(REVISION_LABEL, ""))
        updated = sum(1 for p in pods if rev(p) == update_rev)
        current = sum(1 for p in pods if rev(p) == current_rev)
        ready = sum(1 for p in pods if is_ready(p))
        available = sum(1 for p in pods if self.ctx.available(p, min_ready))
        if updated == replicas == ready == len(pods):
            current_rev, current = update_rev, updated
        before = sts.get("status") or {}
        status: dict[str, Any] = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods), "availableReplicas": available,
            "currentRevision": current_rev, "updateRevision": update_rev,
            "collisionCount": 0,
        }
        if ready:
            status["readyReplicas"] = ready
        if current:
            status["currentReplicas"] = current
        if updated:
            status["updatedReplicas"] = updated
        if status != before:
            sts["status"] = status
            self.client.update(STATEFULSETS, sts, self.manager, status=True)
        return self.ctx.until_available(pods, min_ready)
