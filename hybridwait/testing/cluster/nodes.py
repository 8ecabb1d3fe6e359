"""Simulated nodes and their lifecycle: ``node-1`` ... ``node-N``, Ready; a
failed node (``srv.cluster.fail_node(name)``) goes ``Unknown`` with the
``unreachable`` taints, its pods are marked not Ready at once (their
``Ready`` condition False, a ``NodeNotReady`` Warning event) and evicted
(a ``TaintManagerEviction`` event, a ``DisruptionTarget`` condition with
reason ``DeletionByTaintManager``, then a graceful delete, so their controllers
replace them elsewhere) after ``eviction_delay`` simulated seconds, as the node
lifecycle and taint eviction controllers do.

Example::

    srv.cluster.fail_node("node-2")
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.api import now_rfc3339
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.events import EventType
from hybridwait.testing.cluster.pods import conditions_set
from hybridwait.testing.cluster.runtime import NODES, PODS, Controller, Ref

__all__ = ["NodeLifecycle", "node_body", "node_name"]

UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_EVICTION = "taint-eviction-controller"
KUBELET_VERSION = "v1.32.0"


def node_name(i: int) -> str:
    """The name of the ``i``-th simulated node (1-based)."""
    return f"node-{i}"


def node_body(i: int) -> dict[str, Any]:
    """The Node object the simulation creates for node ``i``."""
    name = node_name(i)
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64"}},
        "spec": {"podCIDR": f"10.244.{i}.0/24", "podCIDRs": [f"10.244.{i}.0/24"]}}


# The conditions of a healthy node, in the order the kubelet writes them.
HEALTHY = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory",
     "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def _status(i: int) -> dict[str, Any]:
    resources = {"cpu": "4", "memory": "16310120Ki", "pods": "110",
                 "ephemeral-storage": "102626232Ki"}
    conds: list[dict[str, Any]] = []
    for ctype, status, reason, message in HEALTHY:
        conds = conditions_set(conds, ctype, status, reason, message)
    for c in conds:
        c["lastHeartbeatTime"] = c["lastTransitionTime"]
    return {"capacity": dict(resources), "allocatable": dict(resources), "conditions": conds,
            "addresses": [{"type": "InternalIP", "address": f"172.18.0.{i + 1}"},
                          {"type": "Hostname", "address": node_name(i)}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux",
                         "kubeletVersion": KUBELET_VERSION, "kubeProxyVersion": KUBELET_VERSION,
                         "containerRuntimeVersion": "containerd://1.7.24",
                         "osImage": "hybridwait simulated node", "kernelVersion": "6.1.0",
                         "machineID": f"sim{i}", "systemUUID": f"sim{i}", "bootID": f"sim{i}"}}


class NodeLifecycle(Controller):
    """Creates the nodes, keeps each one's Ready condition and taints in line
    with the faults, and evicts the pods of a failed node."""

    name = "node-lifecycle"
    watches = (NODES, PODS)
    manager = "node-controller"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._failed_at: dict[str, float] = {}

    def start(self) -> None:
        for i in range(1, self.ctx.settings.nodes + 1):
            if self.client.get(NODES, "", node_name(i)) is not None:
                continue
            node = self.client.create(NODES, "", node_body(i), "kubelet")
            node = dict(node)
            node["status"] = _status(i)
            self.client.update(NODES, node, "kubelet", status=True)

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == NODES:
            yield Ref(NODES, "", ev.name)

    def sync(self, ref: Ref) -> float | None:
        node = self.client.get(NODES, "", ref.name)
        if node is None:
            self._failed_at.pop(ref.name, None)
            return None
        failed = self.ctx.faults.node_failed(ref.name)
        if failed:
            self._failed_at.setdefault(ref.name, self.ctx.now())
        else:
            self._failed_at.pop(ref.name, None)
        self._write_node(node, failed)
        if not failed:
            return None
        return self._evict(ref.name)

    def _write_node(self, node: dict[str, Any], failed: bool) -> None:
        spec = node.setdefault("spec", {})
        taints = [t for t in spec.get("taints") or [] if t.get("key") != UNREACHABLE]
        if failed:
            taints += [{"key": UNREACHABLE, "effect": "NoSchedule"},
                       {"key": UNREACHABLE, "effect": "NoExecute"}]
        if taints != (spec.get("taints") or []):
            if taints:
                spec["taints"] = taints
            else:
                spec.pop("taints", None)
            node = self.client.update(NODES, node, self.manager)
            node = self.client.get(NODES, "", node["metadata"]["name"]) or node
        status = node.setdefault("status", {})
        conds = list(status.get("conditions") or [])
        for ctype, good, reason, message in HEALTHY:
            if failed:
                conds = conditions_set(conds, ctype, "Unknown", "NodeStatusUnknown",
                                       "Kubelet stopped posting node status.")
            elif any(c.get("type") == ctype and c.get("status") == "Unknown" for c in conds):
                conds = conditions_set(conds, ctype, good, reason, message)
        if conds != status.get("conditions"):
            status["conditions"] = conds
            self.client.update(NODES, node, self.manager, status=True)

    def _evict_pod(self, stored: dict[str, Any]) -> None:
        """As the taint eviction controller: an event, a ``DisruptionTarget``
        condition, then a graceful delete."""
        meta = stored["metadata"]
        ns, name, uid = str(meta["namespace"]), str(meta["name"]), str(meta["uid"])
        self.ctx.events.emit(stored, EventType.NORMAL, "TaintManagerEviction",
                             f"Marking for deletion Pod {ns}/{name}", TAINT_EVICTION)
        pod = self.client.get(PODS, ns, name)
        if pod is None or pod["metadata"].get("uid") != uid:
            return
        status = pod.setdefault("status", {})
        conds = list(status.get("conditions") or [])
        if not any(c.get("type") == "DisruptionTarget" and c.get("status") == "True"
                   for c in conds):
            conds = [c for c in conds if c.get("type") != "DisruptionTarget"]
            conds.append({"type": "DisruptionTarget", "status": "True",
                          "lastProbeTime": None, "lastTransitionTime": now_rfc3339(),
                          "reason": "DeletionByTaintManager",
                          "message": "Taint manager: deleting due to NoExecute taint"})
            status["conditions"] = conds
            self.client.update(PODS, pod, TAINT_EVICTION, status=True)
        self.client.delete(PODS, ns, name, uid)

    def _evict(self, node: str) -> float | None:
        since = self._failed_at[node]
        left = since + self.ctx.settings.eviction_delay - self.ctx.now()
        for pod in [p for p in self.client.items(PODS)
                    if (p.get("spec") or {}).get("nodeName") == node]:
            meta = pod["metadata"]
            if left <= 0:
                if not meta.get("deletionTimestamp"):
                    self._evict_pod(pod)
                continue
            fresh = self.client.get(PODS, meta["namespace"], meta["name"])
            if fresh is None:
                continue
            pod = fresh
            # as MarkPodsNotReady: only Ready's status flips (its reason and
            # message stay), and the pod gets a NodeNotReady Warning event
            status = pod.setdefault("status", {})
            conds = list(status.get("conditions") or [])
            ready = next((c for c in conds if c.get("type") == "Ready"), None)
            if ready is not None and ready.get("status") != "False":
                new = conditions_set(conds, "Ready", "False", str(ready.get("reason") or ""),
                                     str(ready.get("message") or ""))
                for c in new:
                    if c.get("type") == "Ready":
                        for field in ("reason", "message"):
                            if not c.get(field):
                                c.pop(field, None)
                status["conditions"] = new
                self.client.update(PODS, pod, self.manager, status=True)
                self.ctx.events.emit(pod, EventType.WARNING, "NodeNotReady",
                                     "Node is not ready", self.manager)
        return left if left > 0 else None
