"""The Deployment controller: one ReplicaSet per pod template (named after
the template's hash), rolling updates within ``maxSurge``/``maxUnavailable``,
``Recreate``, ``paused``, revisions (a rollback re-uses the old ReplicaSet
with the next revision), ``revisionHistoryLimit``, and the status a real
controller writes: ``observedGeneration``, replica counts, then the
``Available`` and ``Progressing`` conditions (``NewReplicaSetCreated``,
``ReplicaSetUpdated``, ``NewReplicaSetAvailable``,
``ProgressDeadlineExceeded`` once ``progressDeadlineSeconds`` of simulated time
pass without progress, ``DeploymentPaused``/``DeploymentResumed``).

Example::

    kubectl rollout status deployment/web     # as on a cluster
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.store import Event
from hybridwait.testing.cluster.events import EventType
from hybridwait.testing.cluster.pods import (
    conditions_set,
    controller_of,
    owned,
    owner_ref,
    template_hash,
)
from hybridwait.testing.cluster.replicaset import REPLICASETS, owner_refs_for
from hybridwait.testing.cluster.runtime import PODS, Controller, Ref

__all__ = ["DeploymentController", "resolve_percent"]

DEPLOYMENTS = "apps/deployments"
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
HASH_LABEL = "pod-template-hash"


def resolve_percent(value: Any, total: int, round_up: bool) -> int:
    """An int-or-percent field (``2``, ``"25%"``) against ``total``."""
    if isinstance(value, str) and value.endswith("%"):
        try:
            pct = float(value[:-1])
        except ValueError:
            return 0
        exact = pct * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _revision(rs: dict[str, Any]) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _spec_replicas(rs: dict[str, Any]) -> int:
    return int((rs.get("spec") or {}).get("replicas", 1))


def _st(rs: dict[str, Any], field: str) -> int:
    return int((rs.get("status") or {}).get(field) or 0)


class DeploymentController(Controller):
    """See module docstring."""

    name = "deployment"
    watches = (DEPLOYMENTS, REPLICASETS, PODS)

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._last_progress: dict[str, float] = {}  # deployment uid -> simulated time

    def refs_for(self, ev: Event) -> Iterable[Ref]:
        if ev.key == DEPLOYMENTS:
            if ev.type == "DELETED":
                self._last_progress.pop(str(ev.obj["metadata"].get("uid")), None)
            yield Ref(DEPLOYMENTS, ev.namespace, ev.name)
        elif ev.key == REPLICASETS:
            yield from owner_refs_for(ev, DEPLOYMENTS, "Deployment")
        elif ev.type == "DELETED":  # a pod gone: a Recreate may go on (as the real one)
            owner = controller_of(ev.obj)
            if owner is not None and owner.get("kind") == "ReplicaSet":
                rs = self.client.store.get(REPLICASETS, ev.namespace, str(owner.get("name")))
                d = controller_of(rs) if rs is not None else None
                if d is not None and d.get("kind") == "Deployment":
                    yield Ref(DEPLOYMENTS, ev.namespace, str(d.get("name")))

    def all_refs(self) -> Iterable[Ref]:
        items = self.client.items(DEPLOYMENTS)
        live = {str(d["metadata"].get("uid")) for d in items}
        for uid in [u for u in self._last_progress if u not in live]:
            del self._last_progress[uid]
        return [Ref.of(DEPLOYMENTS, d) for d in items]

    def _limits(self, d: dict[str, Any]) -> tuple[int, int]:
        spec = d.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        strategy = spec.get("strategy") or {}
        if strategy.get("type") == "Recreate":
            return 0, 0
        ru = strategy.get("rollingUpdate") or {}
        surge = resolve_percent(ru.get("maxSurge", "25%"), replicas, True)
        unavailable = resolve_percent(ru.get("maxUnavailable", "25%"), replicas, False)
        if surge == 0 and unavailable == 0:
            unavailable = 1
        return surge, min(unavailable, replicas)

    def sync(self, ref: Ref) -> float | None:
        d = self.client.get(DEPLOYMENTS, ref.namespace, ref.name)
        if d is None or d["metadata"].get("deletionTimestamp"):
            return None
        spec = d.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        rss = list(owned(self.client.items(REPLICASETS, ref.namespace), d))
        thash = template_hash(spec.get("template") or {})
        new = next((rs for rs in rss if (rs["metadata"].get("labels") or {}).get(HASH_LABEL)
                    == thash), None)
        old = [rs for rs in rss if rs is not new]
        if spec.get("paused"):
            return self._status(d, new, old, created=False)
        created = False
        if new is None:
            try:
                new = self._create_rs(d, thash, old)
            except StatusError as err:  # the controller's condition, then nothing more
                self._create_failed(d, f"{ref.name}-{thash}", str(err.message))
                return None
            created = True
        else:
            new = self._bump_revision(d, new, old)
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            self._recreate(new, old, replicas)
        else:
            self._rolling(d, new, old, replicas)
        self._cleanup(d, old)
        new = self.client.get(REPLICASETS, ref.namespace, new["metadata"]["name"]) or new
        old = [self.client.get(REPLICASETS, ref.namespace, rs["metadata"]["name"]) or rs
               for rs in old]
        return self._status(d, new, old, created=created)

    def _create_failed(self, d: dict[str, Any], rs_name: str, why: str) -> None:
        if (d.get("spec") or {}).get("progressDeadlineSeconds") is None:
            return
        status = dict(d.get("status") or {})
        status["conditions"] = conditions_set(
            [dict(c) for c in status.get("conditions") or []], "Progressing", "False",
            "ReplicaSetCreateError", f'Failed to create new replica set "{rs_name}": {why}',
            update_time=True)
        status["observedGeneration"] = d["metadata"].get("generation", 1)
        if status != d.get("status"):
            d["status"] = status
            self.client.update(DEPLOYMENTS, d, self.manager, status=True)

    # -- replica sets ----------------------------------------------------------------
    def _create_rs(self, d: dict[str, Any], thash: str, old: list[dict[str, Any]]
                   ) -> dict[str, Any]:
        spec = d.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        surge, _ = self._limits(d)
        template = dict(spec.get("template") or {})
        tmeta = dict(template.get("metadata") or {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), HASH_LABEL: thash}
        template["metadata"] = tmeta
        selector = dict(spec.get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: thash}
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            initial = 0 if any(_spec_replicas(rs) or _st(rs, "replicas") for rs in old) \
                else replicas
        else:
            total = sum(_spec_replicas(rs) for rs in old)
            initial = max(0, min(replicas, replicas + surge - total))
        revision = max((_revision(rs) for rs in old), default=0) + 1
        meta = d["metadata"]
        body = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{thash}", "namespace": meta["namespace"],
                "labels": dict(tmeta["labels"]),
                "annotations": {DESIRED: str(replicas), MAX_REPLICAS: str(replicas + surge),
                                REVISION: str(revision)},
                "ownerReferences": [owner_ref(d)],
            },
            "spec": {"replicas": initial, "minReadySeconds": spec.get("minReadySeconds", 0),
                     "selector": selector, "template": template},
        }
        rs = self.client.create(REPLICASETS, meta["namespace"], body, self.manager)
        if initial:
            self._scaled_event(rs, 0, initial)
        self._set_deployment_revision(d, revision)
        return rs

    def _bump_revision(self, d: dict[str, Any], new: dict[str, Any],
                       old: list[dict[str, Any]]) -> dict[str, Any]:
        top = max((_revision(rs) for rs in old), default=0)
        if _revision(new) > top:
            self._set_deployment_revision(d, _revision(new))
            return new
        new = self.client.get(REPLICASETS, new["metadata"]["namespace"],
                              new["metadata"]["name"]) or new
        new["metadata"].setdefault("annotations", {})[REVISION] = str(top + 1)
        new = self.client.update(REPLICASETS, new, self.manager)
        self._set_deployment_revision(d, top + 1)
        return new

    def _set_deployment_revision(self, d: dict[str, Any], revision: int) -> None:
        annotations = d["metadata"].get("annotations") or {}
        if annotations.get(REVISION) == str(revision):
            return
        fresh = self.client.get(DEPLOYMENTS, d["metadata"]["namespace"], d["metadata"]["name"])
        if fresh is None:
            return
        fresh["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
        updated = self.client.update(DEPLOYMENTS, fresh, self.manager)
        d["metadata"] = updated["metadata"]

    def _scale(self, rs: dict[str, Any], replicas: int, d_replicas: int | None = None) -> None:
        if _spec_replicas(rs) == replicas:
            return
        fresh = self.client.get(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])
        if fresh is None:
            return
        before = _spec_replicas(fresh)
        fresh.setdefault("spec", {})["replicas"] = replicas
        if d_replicas is not None:
            fresh["metadata"].setdefault("annotations", {})[DESIRED] = str(d_replicas)
        updated = self.client.update(REPLICASETS, fresh, self.manager)
        rs["spec"] = updated["spec"]
        self._scaled_event(fresh, before, replicas)

    def _scaled_event(self, rs: dict[str, Any], before: int, after: int) -> None:
        owner = controller_of(rs)
        if owner is None:
            return
        d = {"apiVersion": owner.get("apiVersion"), "kind": owner.get("kind"),
             "metadata": {"name": owner.get("name"), "uid": owner.get("uid"),
                          "namespace": rs["metadata"]["namespace"]}}
        self.ctx.events.emit(d, EventType.NORMAL, "ScalingReplicaSet", (
            f"Scaled {'up' if after > before else 'down'} replica set "
            f"{rs['metadata']['name']} from {before} to {after}"), "deployment-controller")

    def _recreate(self, new: dict[str, Any], old: list[dict[str, Any]], replicas: int) -> None:
        for rs in old:
            self._scale(rs, 0)
        if any(_st(rs, "replicas") for rs in old):
            return  # wait for the old pods to go
        if old:  # terminating ones too (not yet Succeeded/Failed), as the real one
            pods = self.client.items(PODS, str(new["metadata"].get("namespace") or ""))
            for rs in old:
                if any((p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                       for p in owned(pods, rs)):
                    return
        self._scale(new, replicas, replicas)

    def _rolling(self, d: dict[str, Any], new: dict[str, Any], old: list[dict[str, Any]],
                 replicas: int) -> None:
        surge, unavailable = self._limits(d)
        total = _spec_replicas(new) + sum(_spec_replicas(rs) for rs in old)
        if _spec_replicas(new) > replicas:
            self._scale(new, replicas, replicas)
        elif _spec_replicas(new) < replicas and total < replicas + surge:
            self._scale(new, min(replicas, _spec_replicas(new) + replicas + surge - total),
                        replicas)
        if not old:
            return
        all_pods = _spec_replicas(new) + sum(_spec_replicas(rs) for rs in old)
        min_available = replicas - unavailable
        new_unavailable = _spec_replicas(new) - _st(new, "availableReplicas")
        room = all_pods - min_available - new_unavailable
        if room <= 0:
            return
        olds = sorted(old, key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
        for rs in olds:  # first the old replicas that are not available anyway
            if room <= 0:
                break
            unhealthy = _spec_replicas(rs) - _st(rs, "availableReplicas")
            if unhealthy <= 0:
                continue
            cut = min(room, unhealthy)
            self._scale(rs, _spec_replicas(rs) - cut)
            room -= cut
        available = _st(new, "availableReplicas") + sum(_st(rs, "availableReplicas")
                                                        for rs in old)
        can = min(room, available - min_available) if room > 0 else 0
        for rs in olds:
            if can <= 0:
                break
            cut = min(can, _spec_replicas(rs))
            if cut > 0:
                self._scale(rs, _spec_replicas(rs) - cut)
                can -= cut

    def _cleanup(self, d: dict[str, Any], old: list[dict[str, Any]]) -> None:
        limit = int((d.get("spec") or {}).get("revisionHistoryLimit", 10))
        idle = sorted((rs for rs in old if not _spec_replicas(rs) and not _st(rs, "replicas")),
                      key=_revision)
        for rs in idle[: max(0, len(idle) - limit)]:
            meta = rs["metadata"]
            self.client.delete(REPLICASETS, meta["namespace"], meta["name"], meta["uid"])

    # -- status ----------------------------------------------------------------------
    def _status(self, d: dict[str, Any], new: dict[str, Any] | None,
                old: list[dict[str, Any]], *, created: bool) -> float | None:
        spec = d.get("spec") or {}
        meta = d["metadata"]
        uid = str(meta["uid"])
        replicas = int(spec.get("replicas", 1))
        _, unavailable = self._limits(d)
        everything = ([new] if new is not None else []) + old
        before = d.get("status") or {}
        available = sum(_st(rs, "availableReplicas") for rs in everything)
        total = sum(_spec_replicas(rs) for rs in everything)
        counts = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": sum(_st(rs, "replicas") for rs in everything),
            "updatedReplicas": _st(new, "replicas") if new is not None else 0,
            "readyReplicas": sum(_st(rs, "readyReplicas") for rs in everything),
            "availableReplicas": available,
            "unavailableReplicas": max(0, total - available),
        }
        status: dict[str, Any] = {k: v for k, v in counts.items()
                                  if v or k == "observedGeneration"}
        if before.get("collisionCount") is not None:
            status["collisionCount"] = before["collisionCount"]
        conds = [dict(c) for c in before.get("conditions") or []]
        if available >= replicas - unavailable:
            conds = conditions_set(conds, "Available", "True", "MinimumReplicasAvailable",
                                   "Deployment has minimum availability.", update_time=True)
        else:
            conds = conditions_set(conds, "Available", "False", "MinimumReplicasUnavailable",
                                   "Deployment does not have minimum availability.",
                                   update_time=True)
        failure = next((c for rs in everything for c in (rs.get("status") or {}).get(
            "conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        conds = [c for c in conds if c.get("type") != "ReplicaFailure"]
        if failure is not None:  # the ReplicaSet's, moved to the Deployment
            conds.append(dict(failure))
        progressing = next((c for c in conds if c.get("type") == "Progressing"), None)
        deadline = spec.get("progressDeadlineSeconds")
        now = self.ctx.now()
        wake: float | None = None
        rs_name = new["metadata"]["name"] if new is not None else ""
        if spec.get("paused"):
            if progressing is None or progressing.get("reason") != "DeploymentPaused":
                conds = conditions_set(conds, "Progressing", "Unknown", "DeploymentPaused",
                                       "Deployment is paused", update_time=True)
            self._last_progress.pop(uid, None)
        elif progressing is not None and progressing.get("reason") == "DeploymentPaused":
            conds = conditions_set(conds, "Progressing", "Unknown", "DeploymentResumed",
                                   "Deployment is resumed", update_time=True)
            self._last_progress[uid] = now
        elif deadline is not None and new is not None:
            complete = (counts["updatedReplicas"] == replicas and counts["replicas"] == replicas
                        and available == replicas)
            advanced = created or any(
                counts[k] > int(before.get(k) or 0)
                for k in ("updatedReplicas", "readyReplicas", "availableReplicas")
            ) or counts["replicas"] - counts["updatedReplicas"] < int(
                before.get("replicas") or 0) - int(before.get("updatedReplicas") or 0)
            if created:
                conds = _progressing(conds, "NewReplicaSetCreated",
                                     f'Created new replica set "{rs_name}"')
                self._last_progress[uid] = now
            elif complete:
                if progressing is None or progressing.get("reason") != "NewReplicaSetAvailable":
                    conds = _progressing(conds, "NewReplicaSetAvailable",
                                         f'ReplicaSet "{rs_name}" has successfully progressed.')
                self._last_progress.pop(uid, None)
            elif advanced or progressing is None:
                conds = _progressing(conds, "ReplicaSetUpdated",
                                     f'ReplicaSet "{rs_name}" is progressing.')
                self._last_progress[uid] = now
            elif progressing.get("reason") != "ProgressDeadlineExceeded":
                since = self._last_progress.setdefault(uid, now)
                left = since + float(deadline) - now
                if left <= 0:
                    conds = conditions_set(conds, "Progressing", "False",
                                           "ProgressDeadlineExceeded",
                                           f'ReplicaSet "{rs_name}" has timed out progressing.',
                                           update_time=True)
                else:
                    wake = left
            if wake is None and not complete and uid in self._last_progress and not any(
                    c.get("reason") == "ProgressDeadlineExceeded" for c in conds):
                wake = self._last_progress[uid] + float(deadline) - now
        if conds:
            status["conditions"] = conds
        if status != before:
            d["status"] = status
            self.client.update(DEPLOYMENTS, d, self.manager, status=True)
        return wake


def _progressing(conds: list[dict[str, Any]], reason: str, message: str
                 ) -> list[dict[str, Any]]:
    """Set ``Progressing=True`` as the controller does: moved to the end, its
    ``lastUpdateTime`` now, its transition time kept if it was True already."""
    old = next((c for c in conds if c.get("type") == "Progressing"), None)
    rest = [c for c in conds if c.get("type") != "Progressing"]
    new = conditions_set([], "Progressing", "True", reason, message, update_time=True)[0]
    if old is not None and old.get("status") == "True":
        new["lastTransitionTime"] = old.get("lastTransitionTime", new["lastTransitionTime"])
    return [*rest, new]
