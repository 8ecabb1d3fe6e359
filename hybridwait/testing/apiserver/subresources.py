"""Subresources other than ``status``: ``/scale`` (``autoscaling/v1`` Scale) of
Deployments, ReplicaSets, StatefulSets, ReplicationControllers and custom
resources whose CRD declares it; ``pods/binding`` and the ``bindings``
resource (assign a node), ``pods/eviction`` (delete the pod; disruption
budgets are not consulted), ``serviceaccounts/token``, and the node-bound ``pods/log``, ``exec``,
``attach``, ``portforward`` and ``proxy``, which answer as a real server does
for a pod no kubelet runs.

Example::

    subs = Subresources(api)
    subs.get_scale(deployments, "v1", "default", "web")["spec"]   # {"replicas": 2}
"""

from __future__ import annotations

import base64
import copy
import datetime
import json
import time
from enum import Enum
from typing import Any, NamedTuple

import yaml

from hybridwait.testing.apiserver.api import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    Api,
    now_rfc3339,
)
from hybridwait.testing.apiserver.errors import StatusError, bad_request, not_found
from hybridwait.testing.apiserver.patch import json_patch, merge_patch
from hybridwait.testing.apiserver.resources import CRD_KEY, ResourceType
from hybridwait.testing.apiserver.smp import builtin_schema, strategic_merge

SCALE_API_VERSION = "autoscaling/v1"
POD_KEY = "/pods"
SERVICEACCOUNTS_KEY = "/serviceaccounts"
BINDINGS_KEY = "/bindings"


class NodeBound(str, Enum):
    """The pod subresources a kubelet serves (the emulator runs no kubelet).

    Example::

        NodeBound("exec") is NodeBound.EXEC   # True
    """

    LOG = "log"
    EXEC = "exec"
    ATTACH = "attach"
    PORTFORWARD = "portforward"
    PROXY = "proxy"


class ScalePaths(NamedTuple):
    """Where a resource keeps what its Scale shows (dotted JSON paths).

    Example::

        ScalePaths(".spec.size", ".status.ready", ".status.selector", True)
    """

    spec_replicas: str
    status_replicas: str
    selector: str  # a LabelSelector object (built-ins) or a selector string (CRDs)
    selector_is_string: bool


BUILTIN_SCALE = ScalePaths(".spec.replicas", ".status.replicas", ".spec.selector", False)


def success(code: int) -> dict[str, Any]:
    """The ``Status`` a create-style subresource (binding, eviction) answers.

    Example::

        success(201)["status"]   # "Success"
    """
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "code": code}


def selector_string(selector: Any) -> str:
    """A ``LabelSelector`` object (or a ReplicationController's plain label map)
    in its string form (``app=web,tier in (a,b)``), requirements sorted by key
    as the API server prints them.

    Example::

        selector_string({"matchLabels": {"app": "web"}})   # "app=web"
    """
    if not isinstance(selector, dict):
        return ""
    if not {"matchLabels", "matchExpressions"} & selector.keys():
        selector = {"matchLabels": selector}  # a ReplicationController's plain map
    reqs: list[tuple[str, str]] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        reqs.append((str(k), f"{k}={v}"))
    for e in selector.get("matchExpressions") or []:
        if not isinstance(e, dict):
            continue
        key, op = str(e.get("key", "")), e.get("operator")
        values = ",".join(sorted(str(v) for v in e.get("values") or []))
        text = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})",
                "Exists": key, "DoesNotExist": f"!{key}"}.get(str(op))
        if text is not None:
            reqs.append((key, text))
    return ",".join(t for _, t in sorted(reqs))


def _object_field(body: dict[str, Any], name: str) -> dict[str, Any]:
    """``body[name]`` when it is an object (absent: empty); 400 otherwise."""
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be an object")
    return value


def body_name(body: Any) -> str:
    """``metadata.name`` of a request body ("" when absent); 400 if malformed.

    Example::

        body_name({"metadata": {"name": "web"}})   # "web"
    """
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    name = _object_field(body, "metadata").get("name")
    if name is not None and not isinstance(name, str):
        raise bad_request("metadata.name must be a string")
    return name or ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _get_path(obj: Any, path: str) -> Any:
    cur = obj
    for seg in path.strip(".").split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(seg)
    return cur


def _set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    segs = path.strip(".").split(".")
    cur = obj
    for seg in segs[:-1]:
        nxt = cur.get(seg)
        if not isinstance(nxt, dict):
            nxt = cur[seg] = {}
        cur = nxt
    cur[segs[-1]] = value


class Subresources:
    """The subresource verbs over one :class:`~.api.Api` (thread-safe: every
    read-modify-write holds the store's lock).

    Example::

        subs.bind("default", "web", {"target": {"kind": "Node", "name": "n1"}})
    """

    def __init__(self, api: Api) -> None:
        self.api = api

    # -- scale -------------------------------------------------------------------
    def scale_paths(self, rt: ResourceType, version: str) -> ScalePaths:
        """Where ``rt`` keeps its replicas and selector (a CRD's ``scale`` subresource)."""
        if not rt.crd:
            return BUILTIN_SCALE
        crd = self.api.store.get(CRD_KEY, "", f"{rt.plural}.{rt.group}")
        for v in ((crd or {}).get("spec") or {}).get("versions") or []:
            if isinstance(v, dict) and v.get("name") == version:
                scale = (v.get("subresources") or {}).get("scale")
                if isinstance(scale, dict):
                    return ScalePaths(str(scale.get("specReplicasPath", ".spec.replicas")),
                                      str(scale.get("statusReplicasPath", ".status.replicas")),
                                      str(scale.get("labelSelectorPath") or ""), True)
        raise StatusError(404, "NotFound", "the server could not find the requested resource")

    def _scale_of(self, rt: ResourceType, version: str, obj: dict[str, Any]) -> dict[str, Any]:
        paths = self.scale_paths(rt, version)
        meta = obj["metadata"]
        selector = _get_path(obj, paths.selector) if paths.selector else None
        status: dict[str, Any] = {"replicas": int(_get_path(obj, paths.status_replicas) or 0)}
        text = (str(selector) if isinstance(selector, str) else "") if paths.selector_is_string \
            else selector_string(selector)
        if text:
            status["selector"] = text
        spec_replicas = _get_path(obj, paths.spec_replicas)
        return {
            "kind": "Scale", "apiVersion": SCALE_API_VERSION,
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                              "creationTimestamp") if k in meta},
            "spec": {"replicas": int(spec_replicas)} if spec_replicas else {},
            "status": status,
        }

    def get_scale(self, rt: ResourceType, version: str, namespace: str, name: str
                  ) -> dict[str, Any]:
        """The object's ``autoscaling/v1`` Scale."""
        return self._scale_of(rt, version, self.api.get(rt, namespace, name))

    def update_scale(self, rt: ResourceType, version: str, namespace: str, name: str,
                     body: Any, *, dry_run: bool = False, field_manager: str = ""
                     ) -> dict[str, Any]:
        """PUT a Scale: set the replicas (409 on a stale ``resourceVersion``);
        ``field_manager`` then owns them (through the ``scale`` subresource)."""
        with self.api.store.lock:
            return self._write_scale(rt, version, namespace, name, body, dry_run=dry_run,
                                     field_manager=field_manager)

    def patch_scale(self, rt: ResourceType, version: str, namespace: str, name: str,
                    content_type: str, raw: bytes, *, dry_run: bool = False,
                    field_manager: str = "") -> dict[str, Any]:
        """PATCH a Scale (merge, strategic merge, JSON or apply patch)."""
        ctype = content_type.split(";")[0].strip().lower()
        try:
            doc = yaml.safe_load(raw) if ctype == APPLY_PATCH else json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"error decoding patch: {type(exc).__name__}") from None
        with self.api.store.lock:
            current = self.get_scale(rt, version, namespace, name)
            if ctype == JSON_PATCH:
                patched = json_patch(current, doc)
            elif ctype == STRATEGIC_PATCH:
                patched = strategic_merge(current, doc,
                                          builtin_schema("autoscaling", "v1", "Scale"))
            elif ctype in (MERGE_PATCH, APPLY_PATCH):
                if not isinstance(doc, dict):
                    raise bad_request("a merge patch must be a JSON object")
                patched = merge_patch(current, doc)
            else:
                raise StatusError(
                    415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    f"include: {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_PATCH}, {APPLY_PATCH}")
            if not isinstance(patched, dict):
                raise StatusError(422, "Invalid", "the patched object is not an object")
            # A patch only conflicts when it names a resourceVersion itself.
            asked = isinstance(doc, dict) and isinstance(doc.get("metadata"), dict) \
                and bool(doc["metadata"].get("resourceVersion"))
            if not asked and isinstance(patched.get("metadata"), dict):
                patched["metadata"].pop("resourceVersion", None)
            return self._write_scale(rt, version, namespace, name, patched, dry_run=dry_run,
                                     field_manager=field_manager)

    def _write_scale(self, rt: ResourceType, version: str, namespace: str, name: str,
                     body: Any, *, dry_run: bool, field_manager: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        if body.get("kind") not in (None, "Scale") or body.get("apiVersion") not in (
                None, SCALE_API_VERSION):
            raise bad_request(f"the body must be a Scale ({SCALE_API_VERSION})")
        named = body_name(body)
        if named and named != name:
            raise bad_request(f"the name of the object ({named}) does not match the name on "
                              f"the URL ({name})")
        replicas = _object_field(body, "spec").get("replicas", 0)
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            raise bad_request("spec.replicas must be an integer")
        if replicas < 0:
            raise StatusError(
                422, "Invalid",
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: '
                f"{replicas}: must be greater than or equal to 0",
                details={"name": name, "group": "autoscaling", "kind": "Scale", "causes": [
                    {"reason": "FieldValueInvalid", "field": "spec.replicas",
                     "message": f"Invalid value: {replicas}: must be greater than or "
                                "equal to 0"}]})
        obj = copy.deepcopy(self.api.get(rt, namespace, name))
        rv = (body.get("metadata") or {}).get("resourceVersion")
        if rv:
            obj["metadata"]["resourceVersion"] = str(rv)
        _set_path(obj, self.scale_paths(rt, version).spec_replicas, replicas)
        if not rt.crd:
            obj.pop("status", None)  # the main resource keeps its stored status
        updated = self.api.update(rt, version, namespace, name, obj, dry_run=dry_run,
                                  subresource="scale", field_manager=field_manager)
        return self._scale_of(rt, version, updated)

    # -- pods/binding, bindings, pods/eviction -----------------------------------------
    def bind(self, namespace: str, name: str, body: Any) -> dict[str, Any]:
        """Assign the pod to ``body.target.name`` (a Node): sets ``spec.nodeName``
        and the ``PodScheduled`` condition; 409 if it already has a node."""
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        if body.get("kind") not in (None, "Binding"):
            raise bad_request(f"{body.get('kind')} is not a Binding")
        node = _object_field(body, "target").get("name")
        if not node or not isinstance(node, str):
            raise StatusError(422, "Invalid", f'Binding "{name}" is invalid: target.name: '
                              "Required value",
                              details={"name": name, "kind": "Binding", "causes": [
                                  {"reason": "FieldValueRequired", "field": "target.name",
                                   "message": "Required value"}]})
        pods = self._pods()
        with self.api.store.lock:
            pod = copy.deepcopy(self.api.get(pods, namespace, name))
            if pod["metadata"].get("deletionTimestamp"):
                raise StatusError(409, "Conflict",
                                  f'Operation cannot be fulfilled on pods/binding "{name}": '
                                  "pod is being deleted, cannot be assigned to a host")
            spec = pod.setdefault("spec", {})
            if spec.get("nodeName"):
                raise StatusError(409, "Conflict",
                                  f'Operation cannot be fulfilled on pods/binding "{name}": '
                                  f'pod {name} is already assigned to node "{spec["nodeName"]}"')
            spec["nodeName"] = node
            annotations = _object_field(body, "metadata").get("annotations")
            if isinstance(annotations, dict):
                pod["metadata"].setdefault("annotations", {}).update(annotations)
            status = pod.setdefault("status", {})
            conds = [c for c in status.get("conditions") or []
                     if not (isinstance(c, dict) and c.get("type") == "PodScheduled")]
            conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                          "lastTransitionTime": now_rfc3339()})
            status["conditions"] = conds
            # A binding is the scheduler's write, not a pod update: the pod-update
            # validation (spec is immutable but for images) does not apply to it.
            self.api.store.write(pods.key, namespace, name, pod, "MODIFIED")
        return success(201)

    def evict(self, namespace: str, name: str, body: Any) -> dict[str, Any]:
        """Delete the pod (its ``deleteOptions`` apply); disruption budgets are not consulted."""
        if body is not None and not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        body = body or {}
        if body.get("kind") not in (None, "Eviction"):
            raise bad_request(f"{body.get('kind')} is not an Eviction")
        named = body_name(body)
        if named and named != name:
            raise bad_request("name in URL does not match name in Eviction object")
        self.api.delete(self._pods(), namespace, name, _object_field(body, "deleteOptions"))
        return success(201)

    # -- serviceaccounts/token -----------------------------------------------------------
    def token(self, namespace: str, name: str, body: Any) -> dict[str, Any]:
        """A ``TokenRequest`` for service account ``name``, answered with a token
        (an unsigned JWT: the emulator checks no credentials) valid for
        ``spec.expirationSeconds`` (default 3600)."""
        if body is not None and not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        body = body or {}
        if body.get("kind") not in (None, "TokenRequest"):
            raise bad_request(f"{body.get('kind')} is not a TokenRequest")
        sa_type = self.api.registry.by_key(SERVICEACCOUNTS_KEY)
        if sa_type is None:
            raise not_found("serviceaccounts", name)
        sa = self.api.get(sa_type, namespace, name)
        spec = dict(_object_field(body, "spec"))
        seconds = spec.get("expirationSeconds") or 3600
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 600:
            raise StatusError(422, "Invalid", 'TokenRequest.authentication.k8s.io "" is '
                              "invalid: spec.expirationSeconds: Invalid value: "
                              f"{seconds}: may not specify a duration less than 10 minutes")
        spec["expirationSeconds"] = seconds
        spec["audiences"] = spec.get("audiences") or [
            "https://kubernetes.default.svc.cluster.local"]
        now = int(time.time())
        claims = {"aud": spec["audiences"], "exp": now + seconds, "iat": now,
                  "iss": "https://kubernetes.default.svc.cluster.local",
                  "sub": f"system:serviceaccount:{namespace}:{name}",
                  "kubernetes.io": {"namespace": namespace, "serviceaccount": {
                      "name": name, "uid": sa["metadata"].get("uid", "")}}}
        token = ".".join(_b64(json.dumps(part, separators=(",", ":")).encode())
                         for part in ({"alg": "none", "typ": "JWT"}, claims)) + "."
        expires = datetime.datetime.fromtimestamp(now + seconds, datetime.timezone.utc)
        return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": name, "namespace": namespace,
                             "creationTimestamp": None},
                "spec": {**spec, "boundObjectRef": spec.get("boundObjectRef")},
                "status": {"token": token,
                           "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}}

    # -- node-bound ------------------------------------------------------------------
    def node_bound(self, sub: NodeBound, namespace: str, name: str,
                   container: str) -> str:
        """Answer ``pods/log`` (its text: empty, as no container ever ran) or raise the
        Status a real server gives for ``exec``/``attach``/``portforward``/``proxy``."""
        pod = self.api.get(self._pods(), namespace, name)
        spec = pod.get("spec") or {}
        if sub in (NodeBound.LOG, NodeBound.EXEC, NodeBound.ATTACH):
            names = [str(c.get("name")) for c in spec.get("containers") or []
                     if isinstance(c, dict)]
            inits = [str(c.get("name")) for c in spec.get("initContainers") or []
                     if isinstance(c, dict)]
            if container:
                if container not in names + inits:
                    raise bad_request(f"container {container} is not valid for pod {name}")
            elif len(names) > 1:
                msg = (f"a container name must be specified for pod {name}, choose one of: "
                       f"[{' '.join(names)}]")
                if inits:
                    msg += f" or one of the init containers: [{' '.join(inits)}]"
                raise bad_request(msg)
            elif not names:
                raise bad_request(f"a container name must be specified for pod {name}")
        if sub is NodeBound.LOG:
            return ""
        if sub is NodeBound.PROXY:
            if not (pod.get("status") or {}).get("podIP"):
                raise bad_request("address not allowed")
        elif not spec.get("nodeName"):
            raise bad_request(f"pod {name} does not have a host assigned")
        raise bad_request(f"pod {name}: the emulator runs no kubelet; {sub.value} is not "
                          "served")

    def _pods(self) -> ResourceType:
        pods = self.api.registry.by_key(POD_KEY)
        if pods is None:
            raise not_found("pods", "")
        return pods
