"""The garbage collector: dependents follow their owners by
``ownerReferences``. When the last live owner of an object is gone, the
object is deleted (background propagation); a reference to a gone owner is
dropped while another owner lives. An owner being deleted with the
``foregroundDeletion`` finalizer has its dependents deleted first and the
finalizer removed once none that ``blockOwnerDeletion`` remain; with the
``orphan`` finalizer its dependents lose their reference to it and are kept.

The collector keeps two bounded indexes built from the event history: the
uids that exist, and owner uid → dependents.

Example::

    apps.delete_namespaced_deployment("web", "default")   # its ReplicaSets and pods go too
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.resources import CRD_KEY
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.runtime import Controller, Ref

__all__ = ["GarbageCollector"]

OWNER = "#owner"  # work item key: Ref(OWNER, namespace, owner uid)
FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _owner_uids(obj: dict[str, Any] | None) -> set[str]:
    if obj is None:
        return set()
    return {str(r.get("uid")) for r in (obj.get("metadata") or {}).get("ownerReferences") or []
            if isinstance(r, dict) and r.get("uid")}


class GarbageCollector(Controller):
    """See module docstring."""

    name = "garbage-collector"
    manager = "kube-controller-manager"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self.watches = tuple(t.key for t in ctx.client.api.registry.all())
        self._alive: dict[str, Ref] = {}  # uid -> where the object lives
        self._dependents: dict[str, set[Ref]] = {}  # owner uid -> dependents

    def _index(self, ref: Ref, obj: dict[str, Any], prev: dict[str, Any] | None,
               deleted: bool) -> None:
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        for owner in _owner_uids(prev) - _owner_uids(obj if not deleted else None):
            deps = self._dependents.get(owner)
            if deps is not None:
                deps.discard(ref)
                if not deps:
                    del self._dependents[owner]
        if deleted:
            self._alive.pop(uid, None)
            for owner in _owner_uids(obj):
                deps = self._dependents.get(owner)
                if deps is not None:
                    deps.discard(ref)
                    if not deps:
                        del self._dependents[owner]
            return
        if uid:
            self._alive[uid] = ref
        for owner in _owner_uids(obj):
            self._dependents.setdefault(owner, set()).add(ref)

    def all_refs(self) -> Iterable[Ref]:
        self._alive.clear()
        self._dependents.clear()
        for key in self.watches:
            for obj in self.client.items(key):
                self._index(Ref.of(key, obj), obj, None, False)
        # owners already gone, and owners waiting on a GC finalizer
        out = [Ref(OWNER, "", uid) for uid in self._dependents if uid not in self._alive]
        for uid, ref in self._alive.items():
            live = self.client.store.get(ref.key, ref.namespace, ref.name)
            if live is not None and self._gc_finalizer(live):
                out.append(Ref(OWNER, ref.namespace, uid))
        return out

    @staticmethod
    def _gc_finalizer(obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        return bool(meta.get("deletionTimestamp")) and bool(
            {FOREGROUND, ORPHAN} & set(meta.get("finalizers") or []))

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == CRD_KEY:  # custom resources defined (or dropped) since start
            self.watches = tuple(t.key for t in self.client.api.registry.all())
        ref = Ref(ev.key, ev.namespace, ev.name)
        deleted = ev.type == "DELETED"
        self._index(ref, ev.obj, ev.prev, deleted)
        # a dependent went (or let go): an owner waiting in foreground may be free
        before = _owner_uids(ev.prev)
        if deleted or before != _owner_uids(ev.obj):
            for owner in before:
                where = self._alive.get(owner)
                if where is not None:
                    obj = self.client.store.get(where.key, where.namespace, where.name)
                    if obj is not None and self._gc_finalizer(obj):
                        yield Ref(OWNER, where.namespace, owner)
        uid = str(ev.obj["metadata"].get("uid") or "")
        if (uid in self._dependents) if deleted else self._gc_finalizer(ev.obj):
            yield Ref(OWNER, ev.namespace, uid)

    def sync(self, ref: Ref) -> float | None:
        uid = ref.name
        where = self._alive.get(uid)
        owner = (self.client.get(where.key, where.namespace, where.name)
                 if where is not None else None)
        deps = sorted(self._dependents.get(uid, ()))
        if owner is None:  # gone: background propagation
            for dep in deps:
                self._release(dep, uid, delete_if_orphaned=True)
            return None
        finalizers = owner["metadata"].get("finalizers") or []
        if not owner["metadata"].get("deletionTimestamp"):
            return None
        if ORPHAN in finalizers:
            for dep in deps:
                self._release(dep, uid, delete_if_orphaned=False)
            self._drop_finalizer(where, ORPHAN)
        elif FOREGROUND in finalizers:
            blocking = 0
            for dep in deps:
                obj = self.client.store.get(dep.key, dep.namespace, dep.name)
                if obj is not None and not obj["metadata"].get("deletionTimestamp"):
                    # a dependent with dependents of its own goes in foreground
                    # too, so the owner outlives the whole tree (as the real GC)
                    dep_uid = str(obj["metadata"].get("uid") or "")
                    self.client.delete(dep.key, dep.namespace, dep.name, dep_uid,
                                       foreground=dep_uid in self._dependents)
                    obj = self.client.store.get(dep.key, dep.namespace, dep.name)
                if obj is None:
                    continue
                refs = (obj.get("metadata") or {}).get("ownerReferences") or []
                if any(r.get("uid") == uid and r.get("blockOwnerDeletion") for r in refs):
                    blocking += 1
            if not blocking:
                self._drop_finalizer(where, FOREGROUND)
        return None

    def _release(self, dep: Ref, uid: str, *, delete_if_orphaned: bool) -> None:
        obj = self.client.get(dep.key, dep.namespace, dep.name)
        if obj is None:
            return
        refs = obj["metadata"].get("ownerReferences") or []
        live = [r for r in refs if r.get("uid") != uid and str(r.get("uid")) in self._alive]
        if delete_if_orphaned and not live:
            self.client.delete(dep.key, dep.namespace, dep.name,
                               str(obj["metadata"].get("uid") or ""))
            return
        kept = [r for r in refs if r.get("uid") != uid]
        if kept:
            obj["metadata"]["ownerReferences"] = kept
        else:
            obj["metadata"].pop("ownerReferences", None)
        self.client.update(dep.key, obj, self.manager)

    def _drop_finalizer(self, where: Ref | None, finalizer: str) -> None:
        if where is None:
            return
        obj = self.client.get(where.key, where.namespace, where.name)
        if obj is None:
            return
        obj["metadata"]["finalizers"] = [f for f in obj["metadata"].get("finalizers") or []
                                         if f != finalizer]
        self.client.update(where.key, obj, self.manager)
