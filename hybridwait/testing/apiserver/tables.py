"""Server-side Table output (``Accept: application/json;as=Table;...``), so
``kubectl get`` prints the familiar columns (NAME READY STATUS RESTARTS AGE).

Example::

    to_table(pods_type, [pod], "42", include_object="Metadata")["kind"]  # "Table"
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from hybridwait.testing.apiserver.resources import ResourceType

Cell = Any
Column = tuple[str, str, str, Callable[[dict[str, Any]], Cell]]


def human_age(created: str | None, now: datetime.datetime | None = None) -> str:
    """kubectl's short age (``45s``, ``3m12s``, ``5h``, ``12d``) since ``created``."""
    if not created:
        return "<unknown>"
    try:
        t = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return "<unknown>"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    s = int((now - t).total_seconds())
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    return f"{h // 24}d"


def _path(obj: Any, json_path: str) -> Any:
    cur = obj
    for seg in json_path.strip().lstrip(".").split("."):
        if not seg:
            continue
        if not isinstance(cur, dict):
            return None
        cur = cur.get(seg)
    return cur


def _name(o: dict[str, Any]) -> Cell:
    return o.get("metadata", {}).get("name", "")


def _age(o: dict[str, Any]) -> Cell:
    return human_age(o.get("metadata", {}).get("creationTimestamp"))


def _pod_ready(o: dict[str, Any]) -> Cell:
    containers = (o.get("spec") or {}).get("containers") or []
    statuses = (o.get("status") or {}).get("containerStatuses") or []
    ready = sum(1 for s in statuses if isinstance(s, dict) and s.get("ready"))
    return f"{ready}/{len(containers)}"


def _pod_status(o: dict[str, Any]) -> Cell:
    if o.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    return (o.get("status") or {}).get("phase") or "Unknown"


def _pod_restarts(o: dict[str, Any]) -> Cell:
    statuses = (o.get("status") or {}).get("containerStatuses") or []
    return sum(int(s.get("restartCount", 0)) for s in statuses if isinstance(s, dict))


def _int_field(path: str) -> Callable[[dict[str, Any]], Cell]:
    return lambda o: int(_path(o, path) or 0)


def _deploy_ready(o: dict[str, Any]) -> Cell:
    return f"{int(_path(o, 'status.readyReplicas') or 0)}/{int(_path(o, 'spec.replicas') or 0)}"


NAME: Column = ("Name", "string", "name", _name)
AGE: Column = ("Age", "string", "", _age)

_BUILTIN_COLUMNS: dict[str, list[Column]] = {
    "/pods": [NAME, ("Ready", "string", "", _pod_ready), ("Status", "string", "", _pod_status),
              ("Restarts", "integer", "", _pod_restarts), AGE],
    "/namespaces": [NAME, ("Status", "string", "",
                           lambda o: (o.get("status") or {}).get("phase", "")), AGE],
    "/configmaps": [NAME, ("Data", "integer", "", lambda o: len(o.get("data") or {})), AGE],
    "apps/deployments": [NAME, ("Ready", "string", "", _deploy_ready),
                         ("Up-to-date", "integer", "", _int_field("status.updatedReplicas")),
                         ("Available", "integer", "", _int_field("status.availableReplicas")),
                         AGE],
}


def columns_for(rt: ResourceType) -> list[Column]:
    """The columns ``kubectl get`` shows for ``rt``."""
    if rt.key in _BUILTIN_COLUMNS:
        return _BUILTIN_COLUMNS[rt.key]
    if rt.columns:
        cols: list[Column] = [NAME]
        for c in rt.columns:
            def cell(o: dict[str, Any], p: str = c.json_path, t: str = c.type) -> Cell:
                v = _path(o, p)
                if t == "date" and isinstance(v, str):
                    return human_age(v)
                return v
            cols.append((c.name, "string" if c.type == "date" else c.type, "", cell))
        return cols
    return [NAME, AGE]


def to_table(rt: ResourceType, objs: list[dict[str, Any]], resource_version: str,
             include_object: str = "Metadata", continue_token: str = "") -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table of ``objs``."""
    cols = columns_for(rt)
    rows = []
    for o in objs:
        row: dict[str, Any] = {"cells": [c[3](o) for c in cols]}
        if include_object == "Object":
            row["object"] = o
        elif include_object != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": o.get("metadata", {})}
        rows.append(row)
    meta: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        meta["continue"] = continue_token
    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
        "columnDefinitions": [
            {"name": n, "type": t, "format": f, "description": n, "priority": 0}
            for n, t, f, _ in cols
        ],
        "rows": rows,
    }
