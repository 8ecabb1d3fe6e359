"""Endpoints and EndpointSlices for Services with a selector: the pods the
selector matches that have an IP, Ready ones under ``addresses`` and the rest
under ``notReadyAddresses`` (an EndpointSlice endpoint's ``ready``/``serving``
conditions; a pod being deleted only in the slice, ``terminating``), with
ports resolved from ``targetPort`` (a number or a named container port).

Example::

    v1.read_namespaced_endpoints("web", "default").subsets[0].addresses
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.selectors import LabelSelector
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.apiserver.subresources import selector_string
from hybridwait.testing.cluster.pods import is_active, is_ready, owner_ref, template_hash
from hybridwait.testing.cluster.runtime import PODS, Controller, Ref

__all__ = ["EndpointsController"]

SERVICES = "/services"
ENDPOINTS = "/endpoints"
SLICES = "discovery.k8s.io/endpointslices"
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


def _selector(svc: dict[str, Any]) -> LabelSelector | None:
    sel = (svc.get("spec") or {}).get("selector")
    if not sel:
        return None
    return LabelSelector.parse(selector_string({"matchLabels": sel}))


def _target_port(pod: dict[str, Any], port: dict[str, Any]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for c in (pod.get("spec") or {}).get("containers") or []:
        for cp in c.get("ports") or []:
            if cp.get("name") == target:
                return int(cp.get("containerPort"))
    return None


class EndpointsController(Controller):
    """Writes both the Endpoints object and one EndpointSlice per Service."""

    name = "endpoints"
    watches = (SERVICES, PODS)

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == SERVICES:
            yield Ref(SERVICES, ev.namespace, ev.name)
            return
        for svc in self.client.items(SERVICES, ev.namespace):
            sel = _selector(svc)
            if sel is not None and (sel.matches(ev.obj) or (
                    ev.prev is not None and sel.matches(ev.prev))):
                yield Ref.of(SERVICES, svc)

    def sync(self, ref: Ref) -> float | None:
        svc = self.client.get(SERVICES, ref.namespace, ref.name)
        if svc is None:  # the garbage collector removes the slice (owned by the Service)
            self.client.delete(ENDPOINTS, ref.namespace, ref.name)
            return None
        sel = _selector(svc)
        if sel is None:
            return None
        # terminating pods (not finished) stay in the slice, not in Endpoints
        pods = [p for p in self.client.items(PODS, ref.namespace)
                if sel.matches(p) and (p.get("status") or {}).get("podIP")
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        ports_spec = [p for p in (svc.get("spec") or {}).get("ports") or []
                      if isinstance(p, dict)]
        ports = []
        if pods:
            for p in ports_spec:
                number = _target_port(pods[0], p)
                if number is not None:
                    entry = {"port": number, "protocol": p.get("protocol", "TCP")}
                    if p.get("name"):
                        entry["name"] = p["name"]
                    ports.append(entry)
        self._endpoints(svc, [p for p in pods if is_active(p)], ports)
        self._slice(svc, pods, ports)
        return None

    def _endpoints(self, svc: dict[str, Any], pods: list[dict[str, Any]],
                   ports: list[dict[str, Any]]) -> None:
        meta = svc["metadata"]
        ready: list[dict[str, Any]] = []
        not_ready: list[dict[str, Any]] = []
        for p in sorted(pods, key=lambda p: str(p["status"]["podIP"])):
            addr = {"ip": p["status"]["podIP"], "nodeName": p["spec"].get("nodeName"),
                    "targetRef": {"kind": "Pod", "namespace": meta["namespace"],
                                  "name": p["metadata"]["name"], "uid": p["metadata"]["uid"]}}
            (ready if is_ready(p) else not_ready).append(addr)
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {
            "name": meta["name"], "namespace": meta["namespace"],
            "labels": dict(meta.get("labels") or {})}}
        if ready or not_ready:
            subset: dict[str, Any] = {}
            if ready:
                subset["addresses"] = ready
            if not_ready:
                subset["notReadyAddresses"] = not_ready
            if ports:
                subset["ports"] = ports
            body["subsets"] = [subset]
        self._put(ENDPOINTS, meta["namespace"], meta["name"], body)

    def _slice(self, svc: dict[str, Any], pods: list[dict[str, Any]],
               ports: list[dict[str, Any]]) -> None:
        meta = svc["metadata"]
        name = f"{meta['name']}-{template_hash(meta['uid'])[:5]}"
        endpoints = [{"addresses": [p["status"]["podIP"]],
                      "conditions": {"ready": is_ready(p) and is_active(p),
                                     "serving": is_ready(p),
                                     "terminating": bool(p["metadata"].get("deletionTimestamp"))},
                      "nodeName": p["spec"].get("nodeName"),
                      "targetRef": {"kind": "Pod", "namespace": meta["namespace"],
                                    "name": p["metadata"]["name"],
                                    "uid": p["metadata"]["uid"]}}
                     for p in sorted(pods, key=lambda p: str(p["metadata"]["name"]))]
        body = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": name, "namespace": meta["namespace"],
                             "labels": {**(meta.get("labels") or {}), SERVICE_NAME: meta["name"],
                                        MANAGED_BY: "endpointslice-controller.k8s.io"},
                             "ownerReferences": [owner_ref(svc)]},
                "addressType": "IPv4", "endpoints": endpoints, "ports": ports}
        self._put(SLICES, meta["namespace"], name, body)

    def _put(self, key: str, namespace: str, name: str, body: dict[str, Any]) -> None:
        old = self.client.get(key, namespace, name)
        if old is None:
            self.client.create(key, namespace, body, self.manager)
            return
        new = dict(old)
        for k, v in body.items():
            if k != "metadata":
                new[k] = v
        if "subsets" not in body:
            new.pop("subsets", None)
        new["metadata"] = {**old["metadata"], "labels": body["metadata"]["labels"]}
        if new != old:
            self.client.update(key, new, self.manager)
