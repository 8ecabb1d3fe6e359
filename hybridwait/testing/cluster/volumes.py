"""A simulated dynamic provisioner and PV binder: a default StorageClass
``standard``, and for every PersistentVolumeClaim that names no volume and no
``storageClassName: ""`` a PersistentVolume ``pvc-<claim uid>`` of the requested
size, bound both ways (``Bound`` phases, ``claimRef``, ``volumeName``, the
binder's annotations). Deleting a claim deletes its volume (reclaim policy
``Delete``). Nothing is mounted: pods do not wait for their volumes.

Example::

    v1.create_namespaced_persistent_volume_claim("default", claim)
    # soon: status.phase == "Bound", status.capacity.storage == the request
"""

from __future__ import annotations

from collections.abc import Iterable

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.runtime import Controller, Ref

__all__ = ["VolumeController"]

CLAIMS = "/persistentvolumeclaims"
VOLUMES = "/persistentvolumes"
CLASSES = "storage.k8s.io/storageclasses"
DEFAULT_CLASS = "standard"
PROVISIONER = "hybridwait.io/simulated"


class VolumeController(Controller):
    """See module docstring."""

    name = "persistent-volume"
    watches = (CLAIMS,)
    manager = "kube-controller-manager"

    def start(self) -> None:
        if self.client.store.get(CLASSES, "", DEFAULT_CLASS) is not None:
            return
        try:
            self.client.create(CLASSES, "", {
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": DEFAULT_CLASS, "annotations": {
                    "storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": PROVISIONER, "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate"}, self.manager)
        except StatusError as err:
            if err.code != 409:
                raise

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.type == "DELETED":
            uid = str(ev.obj["metadata"].get("uid") or "")
            yield Ref(VOLUMES, "", f"pvc-{uid}")
        else:
            yield Ref(CLAIMS, ev.namespace, ev.name)

    def sync(self, ref: Ref) -> float | None:
        if ref.key == VOLUMES:  # its claim is gone: reclaim policy Delete
            self.client.delete(VOLUMES, "", ref.name)
            return None
        claim = self.client.get(CLAIMS, ref.namespace, ref.name)
        if claim is None or claim["metadata"].get("deletionTimestamp"):
            return None
        spec = claim.get("spec") or {}
        if (claim.get("status") or {}).get("phase") == "Bound":
            return None
        if spec.get("storageClassName") == "" or (
                spec.get("volumeName") and not spec["volumeName"].startswith("pvc-")):
            return None  # static binding only: no volume will come
        meta = claim["metadata"]
        pv_name = f"pvc-{meta['uid']}"
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        modes = spec.get("accessModes") or ["ReadWriteOnce"]
        sc = spec.get("storageClassName") or DEFAULT_CLASS
        if self.client.store.get(VOLUMES, "", pv_name) is None:
            pv = self.client.create(VOLUMES, "", {
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": pv_name, "annotations": {
                    "pv.kubernetes.io/provisioned-by": PROVISIONER}},
                "spec": {"capacity": {"storage": size}, "accessModes": list(modes),
                         "persistentVolumeReclaimPolicy": "Delete", "storageClassName": sc,
                         "volumeMode": spec.get("volumeMode", "Filesystem"),
                         "hostPath": {"path": f"/var/lib/hybridwait/{pv_name}"},
                         "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                      "namespace": meta["namespace"], "name": meta["name"],
                                      "uid": meta["uid"]}}}, self.manager)
            pv = dict(pv)
            pv["status"] = {"phase": "Bound"}
            self.client.update(VOLUMES, pv, self.manager, status=True)
        claim["spec"]["volumeName"] = pv_name
        if not spec.get("storageClassName"):
            claim["spec"]["storageClassName"] = sc
        annotations = claim["metadata"].setdefault("annotations", {})
        annotations.update({"pv.kubernetes.io/bind-completed": "yes",
                            "pv.kubernetes.io/bound-by-controller": "yes",
                            "volume.kubernetes.io/storage-provisioner": PROVISIONER})
        claim = self.client.update(CLAIMS, claim, self.manager)
        claim = dict(claim)
        claim["status"] = {"phase": "Bound", "accessModes": list(modes),
                           "capacity": {"storage": size}}
        self.client.update(CLAIMS, claim, self.manager, status=True)
        return None
