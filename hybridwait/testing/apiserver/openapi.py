"""Minimal OpenAPI v3 documents: just enough for ``kubectl create -f`` / ``apply``
to see that every served kind accepts the ``fieldValidation`` query parameter,
so kubectl validates on the server side instead of downloading full schemas.

Example::

    openapi_v3_index(registry)["paths"]["api/v1"]["serverRelativeURL"]
"""

from __future__ import annotations

from typing import Any

from hybridwait.testing.apiserver.resources import Registry

_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force")


def _gv_paths(registry: Registry) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {"api/v1": ("", "v1")}
    for group, versions in registry.groups().items():
        for v in versions:
            out[f"apis/{group}/{v}"] = (group, v)
    return out


def openapi_v3_index(registry: Registry, revision: int) -> dict[str, Any]:
    """The ``/openapi/v3`` discovery document (one entry per group/version)."""
    return {"paths": {p: {"serverRelativeURL": f"/openapi/v3/{p}?hash={revision:016X}"}
                      for p in _gv_paths(registry)}}


def openapi_v3_group_version(registry: Registry, gv_path: str) -> dict[str, Any] | None:
    """The ``/openapi/v3/api/v1`` (or ``apis/G/V``) document, or None."""
    gv = _gv_paths(registry).get(gv_path)
    if gv is None:
        return None
    group, version = gv
    paths: dict[str, Any] = {}
    for rt in registry.all():
        if rt.group != group or version not in rt.versions:
            continue
        gvk = {"group": group, "version": version, "kind": rt.kind}
        prefix = f"/{gv_path}/namespaces/{{namespace}}" if rt.namespaced else f"/{gv_path}"
        params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                  for n in _QUERY_PARAMS]
        responses = {"200": {"description": "OK"}}
        paths[f"{prefix}/{rt.plural}/{{name}}"] = {
            "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get",
                    "responses": responses},
            "patch": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
                      "parameters": params, "responses": responses},
            "put": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "put",
                    "parameters": params, "responses": responses},
        }
        paths[f"{prefix}/{rt.plural}"] = {
            "post": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "post",
                     "parameters": params, "responses": responses},
        }
    return {"openapi": "3.0.0",
            "info": {"title": "Kubernetes (hybridwait emulator)", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": {}}}
