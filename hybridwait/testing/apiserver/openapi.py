"""The OpenAPI documents: ``/openapi/v3`` (an index of group-versions) and one
document per group-version with its paths and ``components.schemas`` from the
Kubernetes 1.32 definitions (custom resources: their CRD's schema), so
``kubectl explain`` works and ``kubectl create -f``/``apply`` see that every kind
takes the ``fieldValidation`` parameter (and validate on the server side).
``/openapi/v2`` is the Swagger 2.0 form of the same definitions (JSON only).

Schemas are written as a real server writes them: a reference with siblings
becomes ``allOf: [{$ref}]``; ``IntOrString`` is ``type: string, format:
int-or-string``. Built-in documents are built once per group-version and cached.

Example::

    openapi_v3_index(registry)["paths"]["api/v1"]["serverRelativeURL"]
    openapi_v3_group_version(registry, "apis/apps/v1")["components"]["schemas"]
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from hybridwait.testing.apiserver.resources import Registry, ResourceType
from hybridwait.testing.apiserver.schema import REF_PREFIX, load

_QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force")
_V3_REF = "#/components/schemas/"
_V2_REF = "#/definitions/"
_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_REF_RE = re.compile(r'"\$ref": ?"#/\$defs/([^"]+)"')


def _gv_paths(registry: Registry) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {"api/v1": ("", "v1")}
    for group, versions in registry.groups().items():
        for v in versions:
            out[f"apis/{group}/{v}"] = (group, v)
    return out


def openapi_v3_index(registry: Registry) -> dict[str, Any]:
    """The ``/openapi/v3`` discovery document (one entry per group/version).

    Example::

        openapi_v3_index(registry)["paths"]["apis/apps/v1"]
    """
    tag = registry.schema_hash  # changes with the served types only, as a real server's
    return {"paths": {p: {"serverRelativeURL": f"/openapi/v3/{p}?hash={tag}"}
                      for p in _gv_paths(registry)}}


def _convert(node: Any, ref_prefix: str) -> Any:
    """One schema from the data's JSON Schema form into OpenAPI form."""
    if isinstance(node, list):
        return [_convert(v, ref_prefix) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        target = ref_prefix + ref[len(REF_PREFIX):]
        rest = {k: _convert(v, ref_prefix) for k, v in node.items() if k != "$ref"}
        if not rest:
            return {"$ref": target}
        if ref_prefix == _V2_REF:
            return {"$ref": target, **rest}
        return {"allOf": [{"$ref": target}], **rest}
    return {k: _convert(v, ref_prefix) for k, v in node.items()}


def _definition(name: str, ref_prefix: str) -> dict[str, Any]:
    d = load().definitions[name]
    if name == _INT_OR_STRING:
        return {"description": d.get("description", "IntOrString is a type that can hold "
                                     "an int32 or a string."),
                "type": "string", "format": "int-or-string"}
    out: dict[str, Any] = _convert(d, ref_prefix)
    return out


def _closure(roots: list[str]) -> list[str]:
    defs = load().definitions
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        n = todo.pop()
        if n in seen or n not in defs:
            continue
        seen.add(n)
        todo.extend(_REF_RE.findall(json.dumps(defs[n])))
    return sorted(seen)


def _crd_definition_name(rt: ResourceType, version: str) -> str:
    rev = ".".join(reversed(rt.group.split(".")))
    return f"{rev}.{version}.{rt.kind}"


def _crd_schema(rt: ResourceType, version: str) -> dict[str, Any]:
    node = rt.schema(version)
    raw: dict[str, Any] = dict(node.raw) if node is not None else {
        "type": "object", "x-kubernetes-preserve-unknown-fields": True}
    props = dict(raw.get("properties") or {})
    props.setdefault("apiVersion", {"type": "string", "description": load().definitions[
        "io.k8s.api.core.v1.Pod"]["properties"]["apiVersion"].get("description", "")})
    props.setdefault("kind", {"type": "string", "description": load().definitions[
        "io.k8s.api.core.v1.Pod"]["properties"]["kind"].get("description", "")})
    props["metadata"] = {"allOf": [{"$ref": _V3_REF + _META + "ObjectMeta"}],
                         "description": "Standard object's metadata. More info: https://git."
                         "k8s.io/community/contributors/devel/sig-architecture/api-conventions"
                         ".md#metadata"}
    raw["properties"] = props
    raw.setdefault("type", "object")
    raw["x-kubernetes-group-version-kind"] = [
        {"group": rt.group, "version": version, "kind": rt.kind}]
    return raw


def _paths(rt: ResourceType, gv_path: str, version: str, schema_name: str) -> dict[str, Any]:
    gvk = {"group": rt.group, "version": version, "kind": rt.kind}
    prefix = f"/{gv_path}/namespaces/{{namespace}}" if rt.namespaced else f"/{gv_path}"
    params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
              for n in _QUERY_PARAMS]
    ok = {"200": {"description": "OK", "content": {"application/json": {
        "schema": {"$ref": _V3_REF + schema_name}}}}}
    body = {"content": {"*/*": {"schema": {"$ref": _V3_REF + schema_name}}}, "required": True}
    item: dict[str, Any] = {}
    collection: dict[str, Any] = {}
    if "get" in rt.verbs:
        item["get"] = {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get",
                       "responses": ok}
    if "update" in rt.verbs:
        item["put"] = {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "put",
                       "parameters": params, "requestBody": body, "responses": ok}
    if "patch" in rt.verbs:
        item["patch"] = {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
                         "parameters": params, "responses": ok}
    if "create" in rt.verbs:
        collection["post"] = {"x-kubernetes-group-version-kind": gvk,
                              "x-kubernetes-action": "post", "parameters": params,
                              "requestBody": body, "responses": ok}
    out: dict[str, Any] = {}
    if item:
        out[f"{prefix}/{rt.plural}/{{name}}"] = item
    if collection:
        out[f"{prefix}/{rt.plural}"] = collection
    return out


@functools.lru_cache(maxsize=64)
def _builtin_components(names: tuple[str, ...]) -> dict[str, Any]:
    return {n: _definition(n, _V3_REF) for n in _closure(list(names))}


def openapi_v3_group_version(registry: Registry, gv_path: str) -> dict[str, Any] | None:
    """The ``/openapi/v3/api/v1`` (or ``apis/G/V``) document, or None.

    Example::

        doc = openapi_v3_group_version(registry, "api/v1")
        doc["components"]["schemas"]["io.k8s.api.core.v1.Pod"]
    """
    gv = _gv_paths(registry).get(gv_path)
    if gv is None:
        return None
    group, version = gv
    defs = load()
    paths: dict[str, Any] = {}
    roots: list[str] = [_META + "ObjectMeta", _META + "Status", _META + "DeleteOptions"]
    custom: dict[str, Any] = {}
    for rt in registry.all():
        if rt.group != group or version not in rt.versions:
            continue
        if rt.crd:
            name = _crd_definition_name(rt, version)
            custom[name] = _crd_schema(rt, version)
        else:
            name = defs.kind_definition(group, version, rt.kind) or ""
            if not name:
                continue
            roots.append(name)
        paths.update(_paths(rt, gv_path, version, name))
    schemas = dict(_builtin_components(tuple(sorted(set(roots)))))
    schemas.update(custom)
    return {"openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths, "components": {"schemas": schemas}}


def openapi_v2(registry: Registry) -> dict[str, Any]:
    """The ``/openapi/v2`` Swagger 2.0 document (every built-in definition, and each
    custom resource's schema), served as JSON.

    Example::

        openapi_v2(registry)["definitions"]["io.k8s.api.core.v1.Pod"]
    """
    definitions = {n: _definition(n, _V2_REF) for n in sorted(load().definitions)}
    for rt in registry.all():
        if rt.crd:
            for v in rt.versions:
                schema = json.loads(json.dumps(_crd_schema(rt, v)).replace(_V3_REF, _V2_REF))
                props = schema.get("properties") or {}
                meta = props.get("metadata") or {}
                if "allOf" in meta:
                    props["metadata"] = {"$ref": meta["allOf"][0]["$ref"],
                                         "description": meta.get("description", "")}
                definitions[_crd_definition_name(rt, v)] = schema
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": {}, "definitions": definitions}
