"""The ReplicaSet controller: keeps ``spec.replicas`` pods matching the
selector and owned by the set (adopting none, as the orphan-free simulation
needs none), deletes the extra ones (not Ready and newest first), and writes
``replicas``, ``fullyLabeledReplicas``, ``readyReplicas``,
``availableReplicas`` (Ready for ``minReadySeconds``) and
``observedGeneration``.

Example::

    apps.create_namespaced_replica_set("default", rs)   # its pods appear
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.events import EventType
from hybridwait.testing.cluster.pods import (
    conditions_set,
    controller_of,
    generated_name,
    is_active,
    is_ready,
    label_selector,
    owned,
    pod_from_template,
)
from hybridwait.testing.cluster.runtime import PODS, Controller, Ref

__all__ = ["ReplicaSetController", "owner_refs_for"]

REPLICASETS = "apps/replicasets"
# Pods created or deleted per sync (the real controller's burst is 500).
BURST = 500


def owner_refs_for(ev: Event, owner_key: str, kind: str) -> Iterable[Ref]:
    """The owner (of ``kind``) of the object in ``ev``, now and before the event."""
    seen = set()
    for obj in (ev.obj, ev.prev):
        if obj is None:
            continue
        ref = controller_of(obj)
        if ref is not None and ref.get("kind") == kind and ref.get("name") not in seen:
            seen.add(ref.get("name"))
            yield Ref(owner_key, ev.namespace, str(ref.get("name")))


class ReplicaSetController(Controller):
    """See module docstring."""

    name = "replicaset"
    watches = (REPLICASETS, PODS)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._rng = ctx.settings.rng("replicaset")
        self._create_error: dict[Ref, str] = {}  # why the last pod create failed

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == REPLICASETS:
            yield Ref(REPLICASETS, ev.namespace, ev.name)
        else:
            yield from owner_refs_for(ev, REPLICASETS, "ReplicaSet")

    def sync(self, ref: Ref) -> float | None:
        self._create_error.pop(ref, None)
        rs = self.client.get(REPLICASETS, ref.namespace, ref.name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return None
        spec = rs.get("spec") or {}
        want = int(spec.get("replicas", 1))
        selector = label_selector(rs)
        pods = [p for p in owned(self.client.items(PODS, ref.namespace), rs)
                if selector.matches(p)]
        active = [p for p in pods if is_active(p)]
        diff = want - len(active)
        if diff > 0:
            template = spec.get("template") or {}
            for _ in range(min(diff, BURST)):
                try:
                    self._create(rs, template)
                except StatusError as err:  # as the controller: a condition says why
                    self._create_error[ref] = str(err.message)
                    break
        elif diff < 0:
            # not Ready first, then the newest
            victims = sorted(active, key=_deletion_order)
            for p in victims[: min(-diff, BURST)]:
                meta = p["metadata"]
                self.client.delete(PODS, ref.namespace, meta["name"], meta["uid"])
                self.ctx.events.emit(rs, EventType.NORMAL, "SuccessfulDelete",
                                     f"Deleted pod: {meta['name']}", "replicaset-controller")
        return self._status(rs)

    def _create(self, rs: dict[str, Any], template: dict[str, Any]) -> None:
        for _ in range(5):
            name = generated_name(f"{rs['metadata']['name']}-", self._rng)
            try:
                self.client.create(PODS, rs["metadata"]["namespace"],
                                   pod_from_template(rs, template, name), self.manager)
                self.ctx.events.emit(rs, EventType.NORMAL, "SuccessfulCreate",
                                     f"Created pod: {name}", "replicaset-controller")
                return
            except StatusError as err:
                if err.code != 409 or err.reason != "AlreadyExists":
                    raise

    def _status(self, rs: dict[str, Any]) -> float | None:
        ns = rs["metadata"]["namespace"]
        spec = rs.get("spec") or {}
        min_ready = float(spec.get("minReadySeconds") or 0)
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        pods = [p for p in owned(self.client.items(PODS, ns), rs) if is_active(p)]
        status = dict(rs.get("status") or {})
        new = {
            "replicas": len(pods),
            "fullyLabeledReplicas": sum(
                1 for p in pods if all((p["metadata"].get("labels") or {}).get(k) == v
                                       for k, v in labels.items())),
            "readyReplicas": sum(1 for p in pods if is_ready(p)),
            "availableReplicas": sum(1 for p in pods if self.ctx.available(p, min_ready)),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        for k, v in new.items():
            if v or k in ("replicas", "observedGeneration"):
                status[k] = v
            else:
                status.pop(k, None)
        why = self._create_error.get(Ref.of(REPLICASETS, rs))
        conds = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        if why is not None:
            old = [c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"]
            conds = conditions_set(conds + old, "ReplicaFailure", "True", "FailedCreate", why)
        if conds:
            status["conditions"] = conds
        else:
            status.pop("conditions", None)
        if status != rs.get("status"):
            rs["status"] = status
            self.client.update(REPLICASETS, rs, self.manager, status=True)
        return self.ctx.until_available(pods, min_ready)


def _deletion_order(pod: dict[str, Any]) -> tuple[bool, str]:
    """Not Ready pods first, then the newest (a descending timestamp)."""
    created = str(pod["metadata"].get("creationTimestamp", ""))
    return (is_ready(pod), "".join(chr(0x10FFFF - ord(c)) for c in created))
