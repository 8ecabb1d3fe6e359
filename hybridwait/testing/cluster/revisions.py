"""ControllerRevisions, as the StatefulSet and DaemonSet controllers keep them:
one per pod template (``NAME-<hash>``), owned by the workload and labelled with
its selector, the template as a replacing patch in ``data`` (what
``kubectl rollout undo`` applies), ``revision`` numbered 1, 2, ...; going back to
an older template renumbers its revision as the newest; the oldest beyond
``revisionHistoryLimit`` (10) are deleted, never the current or update one.

Example::

    record_revision(client, sts, "db-5d9c7b", "db-5d9c7b", "kube-controller-manager")
"""

from __future__ import annotations

from typing import Any

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.cluster.pods import owned, owner_ref
from hybridwait.testing.cluster.runtime import Client

__all__ = ["REVISIONS", "record_revision"]

REVISIONS = "apps/controllerrevisions"
HASH_LABEL = "controller.kubernetes.io/hash"


def record_revision(client: Client, owner: dict[str, Any], update_rev: str, current_rev: str,
                    manager: str) -> None:
    """Keep ``update_rev`` as the newest ControllerRevision of ``owner`` and prune
    the oldest beyond its ``revisionHistoryLimit`` (see module docstring)."""
    meta = owner["metadata"]
    spec = owner.get("spec") or {}
    ns = str(meta["namespace"])
    revs = list(owned(client.items(REVISIONS, ns), owner))
    top = max((int(r.get("revision") or 0) for r in revs), default=0)
    mine = next((r for r in revs if r["metadata"]["name"] == update_rev), None)
    if mine is None:
        labels = {**((spec.get("selector") or {}).get("matchLabels") or {}),
                  HASH_LABEL: update_rev[len(meta["name"]) + 1:]}
        body = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": update_rev, "namespace": ns, "labels": labels,
                             "ownerReferences": [owner_ref(owner)]},
                "data": {"spec": {"template": {**(spec.get("template") or {}),
                                               "$patch": "replace"}}},
                "revision": top + 1}
        try:
            client.create(REVISIONS, ns, body, manager)
        except StatusError as err:
            if err.code != 409:
                raise
    elif int(mine.get("revision") or 0) < top:  # rolled back to it: the newest now
        fresh = client.get(REVISIONS, ns, update_rev)
        if fresh is not None:
            fresh["revision"] = top + 1
            client.update(REVISIONS, fresh, manager)
    limit = int(spec.get("revisionHistoryLimit", 10))
    old = sorted((r for r in revs if r["metadata"]["name"] not in (update_rev, current_rev)),
                 key=lambda r: int(r.get("revision") or 0))
    for r in old[:max(0, len(old) - limit)]:
        client.delete(REVISIONS, ns, r["metadata"]["name"], r["metadata"]["uid"])
