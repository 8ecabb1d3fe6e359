"""The DaemonSet controller: one pod on every Ready simulated node whose
labels match the template's ``nodeSelector`` (pods get ``nodeName`` directly,
and tolerate the not-ready/unreachable taints as a real DaemonSet's do);
``RollingUpdate`` replaces old pods one node at a time (``maxUnavailable``),
``OnDelete`` leaves them; one ControllerRevision per template
(:mod:`.revisions`). Status: ``currentNumberScheduled``,
``numberMisscheduled``, ``desiredNumberScheduled``, ``numberReady``,
``observedGeneration``, ``updatedNumberScheduled``, ``numberAvailable``,
``numberUnavailable``.

Example::

    kubectl rollout status daemonset/agent
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.deployment import resolve_percent
from hybridwait.testing.cluster.pods import (
    is_active,
    is_ready,
    owned,
    pod_from_template,
    template_hash,
)
from hybridwait.testing.cluster.replicaset import owner_refs_for
from hybridwait.testing.cluster.revisions import record_revision
from hybridwait.testing.cluster.runtime import NODES, PODS, Controller, Ref

__all__ = ["DaemonSetController"]

DAEMONSETS = "apps/daemonsets"
HASH_LABEL = "controller-revision-hash"
_TOLERATIONS = [{"key": f"node.kubernetes.io/{t}", "operator": "Exists", "effect": e}
                for t, e in (("not-ready", "NoExecute"), ("unreachable", "NoExecute"),
                             ("disk-pressure", "NoSchedule"), ("memory-pressure", "NoSchedule"),
                             ("pid-pressure", "NoSchedule"), ("unschedulable", "NoSchedule"))]


class DaemonSetController(Controller):
    """See module docstring."""

    name = "daemonset"
    watches = (DAEMONSETS, PODS, NODES)

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == DAEMONSETS:
            yield Ref(DAEMONSETS, ev.namespace, ev.name)
        elif ev.key == PODS:
            yield from owner_refs_for(ev, DAEMONSETS, "DaemonSet")
        else:
            yield from self.all_refs()

    def _nodes(self, ds: dict[str, Any]) -> list[str]:
        selector = (((ds.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
            "nodeSelector") or {}
        out = []
        for node in self.client.items(NODES):
            labels = node["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in selector.items()):
                out.append(str(node["metadata"]["name"]))
        return out

    def sync(self, ref: Ref) -> float | None:
        ds = self.client.get(DAEMONSETS, ref.namespace, ref.name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return None
        spec = ds.get("spec") or {}
        thash = template_hash(spec.get("template") or {})
        revision = f"{ref.name}-{thash}"
        record_revision(self.client, ds, revision, revision, self.manager)
        nodes = self._nodes(ds)
        pods = [p for p in owned(self.client.items(PODS, ref.namespace), ds) if is_active(p)]
        by_node: dict[str, list[dict[str, Any]]] = {}
        for p in pods:
            by_node.setdefault(str((p.get("spec") or {}).get("nodeName")), []).append(p)
        for node in nodes:
            if node not in by_node:
                self._create(ds, node, thash)
        for node, ps in by_node.items():
            for p in ps[1:] if node in nodes else ps:
                self.client.delete(PODS, ref.namespace, p["metadata"]["name"],
                                   p["metadata"]["uid"])
        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            budget = max(1, resolve_percent((strategy.get("rollingUpdate") or {}).get(
                "maxUnavailable", 1), len(nodes), False))
            unavailable = sum(1 for n in nodes if not any(is_ready(p) for p in by_node.get(n, [])))
            for node in nodes:
                if unavailable >= budget:
                    break
                for p in by_node.get(node, [])[:1]:
                    if (p["metadata"].get("labels") or {}).get(HASH_LABEL) != thash:
                        self.client.delete(PODS, ref.namespace, p["metadata"]["name"],
                                           p["metadata"]["uid"])
                        unavailable += 1
        self._status(ds, nodes, thash)
        return None

    def _create(self, ds: dict[str, Any], node: str, thash: str) -> None:
        meta = ds["metadata"]
        pod = pod_from_template(ds, (ds.get("spec") or {}).get("template") or {},
                                f"{meta['name']}-{template_hash(node)[:5]}",
                                {HASH_LABEL: thash, "pod-template-generation": str(
                                    meta.get("generation", 1))})
        pod["spec"]["nodeName"] = node
        pod["spec"]["tolerations"] = list(pod["spec"].get("tolerations") or []) + _TOLERATIONS
        self.client.create(PODS, meta["namespace"], pod, self.manager)

    def _status(self, ds: dict[str, Any], nodes: list[str], thash: str) -> None:
        pods = [p for p in owned(self.client.items(PODS, ds["metadata"]["namespace"]), ds)
                if is_active(p)]
        on = [p for p in pods if (p.get("spec") or {}).get("nodeName") in nodes]
        ready = sum(1 for p in on if is_ready(p))
        status: dict[str, Any] = {
            "currentNumberScheduled": len({(p.get("spec") or {}).get("nodeName") for p in on}),
            "numberMisscheduled": len(pods) - len(on),
            "desiredNumberScheduled": len(nodes),
            "numberReady": ready,
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": sum(1 for p in on if (p["metadata"].get("labels") or {})
                                          .get(HASH_LABEL) == thash),
            "numberAvailable": ready,
        }
        if len(nodes) - ready > 0:
            status["numberUnavailable"] = len(nodes) - ready
        status = {k: v for k, v in status.items()
                  if v or k in ("currentNumberScheduled", "numberMisscheduled",
                                "desiredNumberScheduled", "numberReady", "observedGeneration")}
        if status != ds.get("status"):
            ds["status"] = status
            self.client.update(DAEMONSETS, ds, self.manager, status=True)
