"""The pod garbage collector (kube-controller-manager's PodGC) for pods whose
node is gone: a pod bound to a node that does not exist — deleted, or never
created — is, once that node has been missing for ``QUARANTINE`` simulated
seconds, marked ``Failed`` with a ``DisruptionTarget`` condition (reason
``DeletionByPodGC``) unless it had finished, then deleted at once (grace 0). No
kubelet runs such a pod, so nothing else would ever end it.

A real PodGC checks every 20 s and waits 40 s before it trusts that a node is
gone, so a real cluster takes 40-60 s; this one acts 40 s after it first saw
the node missing.

Example::

    core.delete_node("node-2")   # its pods: Failed, then gone 40 simulated s later
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.api import now_rfc3339
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.runtime import NODES, PODS, Controller, Ref

__all__ = ["QUARANTINE", "PodGC"]

QUARANTINE = 40.0


def _node_of(pod: dict[str, Any]) -> str:
    return str((pod.get("spec") or {}).get("nodeName") or "")


class PodGC(Controller):
    """Deletes the pods of nodes that no longer exist (see module docstring)."""

    name = "pod-gc"
    watches = (NODES, PODS)
    manager = "PodGC"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._missing: dict[str, float] = {}  # node name -> simulated time first seen missing

    def _gone(self, node: str) -> bool:
        return bool(node) and self.client.store.get(NODES, "", node) is None

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == NODES:
            if ev.type == "DELETED":
                yield Ref(NODES, "", ev.name)
        elif ev.type != "DELETED" and self._gone(_node_of(ev.obj)):
            yield Ref(NODES, "", _node_of(ev.obj))

    def all_refs(self) -> Iterable[Ref]:
        nodes = {_node_of(p) for p in self.client.items(PODS)}
        return [Ref(NODES, "", n) for n in sorted(nodes) if self._gone(n)]

    def sync(self, ref: Ref) -> float | None:
        pods = [p for p in self.client.items(PODS) if _node_of(p) == ref.name]
        if not self._gone(ref.name) or not pods:
            self._missing.pop(ref.name, None)
            return None
        now = self.ctx.now()
        left = self._missing.setdefault(ref.name, now) + QUARANTINE - now
        if left > 0:
            return left
        for pod in pods:
            self._collect(pod)
        self._missing.pop(ref.name, None)
        return None

    def _collect(self, stored: dict[str, Any]) -> None:
        meta = stored["metadata"]
        ns, name, uid = str(meta.get("namespace")), str(meta["name"]), str(meta.get("uid"))
        pod = self.client.get(PODS, ns, name)
        if pod is None or str(pod["metadata"].get("uid")) != uid:
            return
        status = pod.setdefault("status", {})
        if status.get("phase") not in ("Succeeded", "Failed"):
            status["phase"] = "Failed"
            conds = [c for c in status.get("conditions") or []
                     if c.get("type") != "DisruptionTarget"]
            conds.append({"type": "DisruptionTarget", "status": "True",
                          "lastProbeTime": None, "lastTransitionTime": now_rfc3339(),
                          "reason": "DeletionByPodGC",
                          "message": "PodGC: node no longer exists"})
            status["conditions"] = conds
            self.client.update(PODS, pod, self.manager, status=True)
        self.client.delete(PODS, ns, name, uid, grace_period=0)
