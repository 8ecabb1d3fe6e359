"""Pod helpers the workload controllers share: pods from a template with a
controller reference, template hashes, readiness and availability, owned-pod
lookups and condition writing.

Example::

    body = pod_from_template(rs, "apps/v1", "ReplicaSet", template, "web-5d9c-abcde")
    is_ready(pod), is_active(pod)
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from hybridwait.testing.apiserver.api import now_rfc3339
from hybridwait.testing.apiserver.selectors import LabelSelector
from hybridwait.testing.apiserver.store import clone
from hybridwait.testing.apiserver.subresources import selector_string

__all__ = [
    "conditions_set",
    "controller_of",
    "generated_name",
    "is_active",
    "is_available",
    "is_ready",
    "label_selector",
    "owned",
    "owner_ref",
    "pod_from_template",
    "random_suffix",
    "template_hash",
]

_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: Any, collisions: int = 0) -> str:
    """A short, stable hash of a pod template (``pod-template-hash`` style)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(data + str(collisions).encode()).digest()
    value = int.from_bytes(digest[:8], "big")
    out = []
    for _ in range(10):
        value, r = divmod(value, len(_SAFE))
        out.append(_SAFE[r])
    return "".join(out)


def random_suffix(rng: Any, n: int = 5) -> str:
    """``n`` characters a generated name ends with (drawn from ``rng``)."""
    return "".join(rng.choice(_SAFE) for _ in range(n))


def generated_name(prefix: str, rng: Any) -> str:
    """A ``generateName``-style name: ``prefix`` cut to 58 characters (as the API
    server's name generator does), then five random ones."""
    return prefix[:58] + random_suffix(rng)


def owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    """A controller ``ownerReference`` to ``owner`` (blockOwnerDeletion set)."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The ownerReference with ``controller: true``, or None."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def owned(items: list[dict[str, Any]], owner: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The objects whose controller is ``owner`` (by uid)."""
    uid = owner["metadata"]["uid"]
    for obj in items:
        ref = controller_of(obj)
        if ref is not None and ref.get("uid") == uid:
            yield obj


def label_selector(obj: dict[str, Any]) -> LabelSelector:
    """The parsed ``spec.selector`` of a workload (an empty one matches nothing)."""
    text = selector_string((obj.get("spec") or {}).get("selector"))
    if not text:
        return LabelSelector.parse("hybridwait.invalid/never")
    return LabelSelector.parse(text)


def pod_from_template(owner: dict[str, Any], template: dict[str, Any], name: str,
                      extra_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A pod body from a workload's template, owned by ``owner``."""
    tmeta = template.get("metadata") or {}
    labels = dict(tmeta.get("labels") or {})
    labels.update(extra_labels or {})
    meta: dict[str, Any] = {"name": name, "namespace": owner["metadata"].get("namespace"),
                            "labels": labels, "ownerReferences": [owner_ref(owner)]}
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": clone(template.get("spec") or {})}


def _condition(pod: dict[str, Any], ctype: str) -> dict[str, Any] | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == ctype:
            return c
    return None


def is_active(pod: dict[str, Any]) -> bool:
    """Not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get(
        "deletionTimestamp")


def is_ready(pod: dict[str, Any]) -> bool:
    """The pod's Ready condition is True."""
    c = _condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def _parse_time(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_available(pod: dict[str, Any], min_ready_seconds: float, now_real: float,
                 time_scale: float = 1.0, ready_for: float | None = None) -> bool:
    """Ready for at least ``min_ready_seconds`` simulated seconds: ``ready_for``
    (simulated seconds since the kubelet made it Ready, when known), else the
    Ready condition's wall-clock ``lastTransitionTime`` times ``time_scale``."""
    if not is_ready(pod) or not is_active(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    if ready_for is not None:
        return ready_for >= min_ready_seconds
    c = _condition(pod, "Ready")
    since = _parse_time((c or {}).get("lastTransitionTime"))
    return since is not None and (now_real - since.timestamp()) * time_scale >= min_ready_seconds


def conditions_set(conditions: list[dict[str, Any]], ctype: str, status: str, reason: str,
                   message: str, *, update_time: bool = False) -> list[dict[str, Any]]:
    """``conditions`` with ``ctype`` set (kept in place; the transition time
    changes only when the status does; ``lastUpdateTime`` for workloads that
    carry one)."""
    now = now_rfc3339()
    out = []
    found = False
    for c in conditions:
        if c.get("type") != ctype:
            out.append(c)
            continue
        found = True
        new = dict(c)
        if new.get("status") != status:
            new["lastTransitionTime"] = now
            if update_time:
                new["lastUpdateTime"] = now
        elif update_time and (new.get("reason") != reason or new.get("message") != message):
            new["lastUpdateTime"] = now
        new.update(status=status, reason=reason, message=message)
        out.append(new)
    if not found:
        c = {"type": ctype, "status": status}
        if update_time:
            c["lastUpdateTime"] = now
        c.update(lastTransitionTime=now, reason=reason, message=message)
        out.append(c)
    return out
