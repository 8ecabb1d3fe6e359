"""A scheduler that binds pending pods to simulated nodes through
``pods/binding``: Ready, schedulable nodes whose labels match the pod's
``nodeSelector`` and whose taints it tolerates, the least loaded first. A pod
that fits nowhere gets ``PodScheduled=False`` with reason ``Unschedulable``
and a message in the real scheduler's words, and is tried again when a node
changes or the faults do.

Example::

    srv.cluster.unschedulable(selector="app=batch")   # such pods stay Pending
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.events import EventType
from hybridwait.testing.cluster.faults import FaultKind
from hybridwait.testing.cluster.pods import conditions_set
from hybridwait.testing.cluster.runtime import NODES, PODS, Controller, Ref

__all__ = ["Scheduler"]

DEFAULT_SCHEDULER = "default-scheduler"


def _tolerates(pod: dict[str, Any], taint: dict[str, Any]) -> bool:
    if taint.get("effect") not in ("NoSchedule", "NoExecute"):
        return True
    for t in (pod.get("spec") or {}).get("tolerations") or []:
        if not isinstance(t, dict):
            continue
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t.get("key") == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def _node_ready(node: dict[str, Any]) -> bool:
    for c in (node.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


class Scheduler(Controller):
    """Binds pods with no ``nodeName`` (see module docstring)."""

    name = "scheduler"
    watches = (PODS, NODES)
    manager = "kube-scheduler"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._load: dict[str, int] = {}

    def start(self) -> None:
        for pod in self.client.items(PODS):
            node = (pod.get("spec") or {}).get("nodeName")
            if node:
                self._load[node] = self._load.get(node, 0) + 1

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == NODES:  # a node changed: try every pending pod again
            yield from self._pending()
            return
        if ev.type == "DELETED":
            node = (ev.obj.get("spec") or {}).get("nodeName")
            if node and self._load.get(node, 0) > 0:
                self._load[node] -= 1
            return
        if not (ev.obj.get("spec") or {}).get("nodeName"):
            yield Ref(PODS, ev.namespace, ev.name)

    def _pending(self) -> Iterable[Ref]:
        for pod in self.client.items(PODS):
            if not (pod.get("spec") or {}).get("nodeName"):
                yield Ref.of(PODS, pod)

    def all_refs(self) -> Iterable[Ref]:
        return list(self._pending())

    def sync(self, ref: Ref) -> float | None:
        pod = self.client.get(PODS, ref.namespace, ref.name)
        if pod is None:
            return None
        spec = pod.get("spec") or {}
        if spec.get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return None
        if spec.get("schedulerName", DEFAULT_SCHEDULER) != DEFAULT_SCHEDULER:
            return None
        nodes = self.client.items(NODES)
        fits, why = self._filter(pod, nodes)
        if not fits:
            self._unschedulable(pod, len(nodes), why)
            return None
        best = min(fits, key=lambda n: (self._load.get(n, 0), n))
        self.client.bind(ref.namespace, ref.name, best)
        self._load[best] = self._load.get(best, 0) + 1
        self.ctx.events.emit(pod, EventType.NORMAL, "Scheduled",
                             f"Successfully assigned {ref.namespace}/{ref.name} to {best}",
                             DEFAULT_SCHEDULER)
        return None

    def _filter(self, pod: dict[str, Any], nodes: list[dict[str, Any]]
                ) -> tuple[list[str], dict[str, int]]:
        why: dict[str, int] = {}
        fits: list[str] = []
        if FaultKind.UNSCHEDULABLE in self.ctx.faults.for_pod(pod):
            return [], {"Insufficient cpu": len(nodes)}
        selector = (pod.get("spec") or {}).get("nodeSelector") or {}
        for node in nodes:
            meta = node["metadata"]
            labels = meta.get("labels") or {}
            reason = ""
            if (node.get("spec") or {}).get("unschedulable"):
                reason = "node(s) were unschedulable"
            elif any(labels.get(k) != v for k, v in selector.items()):
                reason = "node(s) didn't match Pod's node affinity/selector"
            else:
                for taint in (node.get("spec") or {}).get("taints") or []:
                    if not _tolerates(pod, taint):
                        reason = (f"node(s) had untolerated taint {{{taint.get('key')}: "
                                  f"{taint.get('value', '')}}}")
                        break
                else:
                    if not _node_ready(node):
                        reason = "node(s) were not ready"
            if reason:
                why[reason] = why.get(reason, 0) + 1
            else:
                fits.append(str(meta["name"]))
        return fits, why

    def _unschedulable(self, pod: dict[str, Any], total: int, why: dict[str, int]) -> None:
        if total == 0:
            message = "no nodes available to schedule pods"
        else:
            parts = ", ".join(f"{n} {r}" for r, n in sorted(why.items()))
            message = (f"0/{total} nodes are available: {parts}. preemption: 0/{total} nodes "
                       f"are available: {total} Preemption is not helpful for scheduling.")
        status = pod.setdefault("status", {})
        conds = list(status.get("conditions") or [])
        new = conditions_set(conds, "PodScheduled", "False", "Unschedulable", message)
        for c in new:
            if c.get("type") == "PodScheduled":
                c.setdefault("lastProbeTime", None)
        if new != conds:
            status["conditions"] = new
            self.client.update(PODS, pod, self.manager, status=True)
            self.ctx.events.emit(pod, EventType.WARNING, "FailedScheduling", message,
                                 DEFAULT_SCHEDULER)
