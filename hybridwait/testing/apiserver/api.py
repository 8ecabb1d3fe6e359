"""The verbs (create, get, list, update, patch, delete) with the API server's
metadata rules, on top of :class:`~.store.Store` and :class:`~.resources.Registry`.

Metadata rules: ``uid``, ``creationTimestamp``, ``generation`` (bumped when
anything outside ``metadata``/``status`` changes), ``resourceVersion`` from the
store's revision; ``generateName``; namespace defaulting and existence;
optimistic concurrency (409 on a stale ``resourceVersion``); no-op updates write
nothing; the ``status`` subresource (status is ignored by the main resource and
is the only thing the subresource changes); finalizers hold a deleted object
with ``deletionTimestamp`` until an update removes the last one; deleting a
namespace deletes its contents; a CRD serves its custom resource.

Example::

    api = Api(Store(), Registry())
    pods = api.registry.lookup("", "v1", "pods")
    api.create(pods, "v1", "default", {"metadata": {"name": "web"}})
"""

from __future__ import annotations

import base64
import builtins
import datetime
import json
import marshal
import random
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import Any

import yaml

from hybridwait.testing.apiserver.admission import REVIEW_KEYS, Admission, review_status
from hybridwait.testing.apiserver.apply import FieldTracker, Manager, Write
from hybridwait.testing.apiserver.defaults import has_generation
from hybridwait.testing.apiserver.errors import (
    CauseType,
    FieldError,
    StatusError,
    bad_request,
    invalid,
    not_found,
)
from hybridwait.testing.apiserver.patch import json_patch, merge_patch
from hybridwait.testing.apiserver.resources import CRD_KEY, NAMESPACE_KEY, Registry, ResourceType
from hybridwait.testing.apiserver.selectors import FieldSelector, LabelSelector
from hybridwait.testing.apiserver.smp import SchemaNode, builtin_schema, strategic_merge
from hybridwait.testing.apiserver.store import Store, clone
from hybridwait.testing.apiserver.validation import (
    DecodeError,
    FieldValidation,
    patch_decode_error,
)

_GEN_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH, APPLY_PATCH)
# In the order a real server lists them in its 415; custom resources take no
# strategic merge patch (their schema has no merge keys).
_BUILTIN_PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH)
_CUSTOM_PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH)


def now_rfc3339() -> str:
    """The current UTC time as Kubernetes writes it (seconds precision)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Propagation(str, Enum):
    """``DeleteOptions.propagationPolicy``: what happens to an object's dependents."""

    ORPHAN = "Orphan"
    BACKGROUND = "Background"
    FOREGROUND = "Foreground"


# The finalizer a real server adds for a policy the garbage collector then carries out.
_PROPAGATION_FINALIZERS = {Propagation.ORPHAN: "orphan",
                           Propagation.FOREGROUND: "foregroundDeletion"}


def propagation(options: dict[str, Any]) -> Propagation | None:
    """The deletion's propagation policy from ``DeleteOptions`` (``propagationPolicy``,
    or the older ``orphanDependents``); None when neither is set. An unknown policy,
    or both set, is the 422 a real server answers.

    Example::

        propagation({"propagationPolicy": "Foreground"})   # Propagation.FOREGROUND
    """
    value = options.get("propagationPolicy")
    orphan = options.get("orphanDependents")
    errors: list[FieldError] = []
    if value is not None and orphan is not None:
        errors.append(FieldError(CauseType.INVALID, "propagationPolicy",
                                 "orphanDependents and deletionPropagation cannot be both set",
                                 value, True))
    policy = next((p for p in Propagation if p.value == value), None)
    if value is not None and policy is None:
        errors.append(FieldError(CauseType.NOT_SUPPORTED, "propagationPolicy",
                                 'supported values: "Foreground", "Background", "Orphan", '
                                 '"nil"', value, True))
    if errors:
        raise invalid("DeleteOptions", "", errors, "meta.k8s.io")
    if policy is None and orphan is True:
        return Propagation.ORPHAN
    return policy


@dataclass
class ListResult:
    """One page of a list."""

    items: list[dict[str, Any]]
    resource_version: str
    continue_token: str
    remaining: int | None


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
    if not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    return meta


def _check_string_map(meta: dict[str, Any], field_name: str) -> None:
    value = meta.get(field_name)
    if value is None:
        return
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise bad_request(f"metadata.{field_name} must be a map of string to string")


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("resourceVersion", None)
    managed = meta.pop("managedFields", None)
    if managed:  # who owns what counts; when they wrote it does not
        meta["managedFields"] = [{k: v for k, v in e.items() if k != "time"}
                                 for e in managed if isinstance(e, dict)]
    out["metadata"] = meta
    return out


class Api:
    """Verb semantics over one store and registry (thread-safe).

    Example::

        api.update(pods, "v1", "default", "web", pod_with_new_labels)
    """

    def __init__(self, store: Store, registry: Registry) -> None:
        self.store = store
        self.registry = registry
        self.admission = Admission()
        #: Set by a control plane that runs a garbage collector (``cluster=``): then a
        #: delete with ``propagationPolicy`` Foreground/Orphan adds the
        #: ``foregroundDeletion``/``orphan`` finalizer for it to act on, as a real
        #: server does. Without one the policy is accepted and the object deleted.
        self.garbage_collector = False
        #: Set by a control plane with kubelets: deleting a Pod bound to a node then
        #: marks it (``deletionTimestamp`` = now + grace period) and the kubelet
        #: finishes the delete, as on a real cluster. Otherwise Pods go at once.
        self.graceful_pods = False
        self.fields = FieldTracker()
        self.seed_namespaces()

    def seed_namespaces(self) -> None:
        """Create the namespaces a fresh cluster has."""
        ns_type = self.registry.by_key(NAMESPACE_KEY)
        assert ns_type is not None
        for name in DEFAULT_NAMESPACES:
            with self.store.lock:
                if self.store.get(NAMESPACE_KEY, "", name) is None:
                    self.create(ns_type, "v1", "", {"metadata": {"name": name}})

    # -- helpers -------------------------------------------------------------
    @staticmethod
    def _ns(rt: ResourceType, namespace: str) -> str:
        return namespace if rt.namespaced else ""

    def _check_body(self, rt: ResourceType, version: str, body: Any, *,
                    private: bool = False) -> dict[str, Any]:
        """Check the body's kind, apiVersion and metadata maps; return it (a copy
        unless ``private``: the caller's own copy, e.g. a patch result)."""
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        api_version = body.get("apiVersion")
        kind = body.get("kind")
        if kind is not None and kind != rt.kind:
            raise bad_request(
                f'{kind} in version "{version}" cannot be handled as a {rt.kind}: '
                f"the kind of the object does not match the resource"
            )
        if api_version is not None and api_version != rt.api_version(version):
            raise bad_request(
                f'the API version in the data ({api_version}) does not match the expected '
                f"API version ({rt.api_version(version)})"
            )
        obj = body if private else clone(body)
        meta = _meta(obj)
        for f in ("labels", "annotations"):
            _check_string_map(meta, f)
        fins = meta.get("finalizers")
        if fins is not None and (
            not isinstance(fins, list) or not all(isinstance(f, str) for f in fins)
        ):
            raise bad_request("metadata.finalizers must be a list of strings")
        obj["apiVersion"] = rt.api_version(version)
        obj["kind"] = rt.kind
        return obj

    def _live_namespace(self, name: str) -> None:
        ns = self.store.get(NAMESPACE_KEY, "", name)
        if ns is None:
            raise not_found("namespaces", name)
        if ns["metadata"].get("deletionTimestamp"):
            raise StatusError(
                403, "Forbidden",
                f"unable to create new content in namespace {name} because it is being "
                "terminated",
            )

    # -- reads -----------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        """The object, or a 404 ``StatusError``."""
        obj = self.store.get(rt.key, self._ns(rt, namespace), name)
        if obj is None:
            raise not_found(rt.plural, name, rt.group)
        return obj

    def list(self, rt: ResourceType, namespace: str | None, labels: LabelSelector,
             fields: FieldSelector, limit: int = 0, cont: str = "") -> ListResult:
        """One page of matching objects in (namespace, name) order."""
        start: tuple[str, str] | None = None
        if cont:
            try:
                token = json.loads(base64.urlsafe_b64decode(cont.encode()))
                token_rv, start = int(token["rv"]), (str(token["s"][0]), str(token["s"][1]))
            except (ValueError, KeyError, TypeError, IndexError):
                raise bad_request("invalid continue token") from None
            if token_rv < self.store.oldest_resumable():
                raise StatusError(
                    410, "Expired",
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter.",
                )
        with self.store.lock:
            rv = self.store.revision
            name = fields.exact_name()
            if name is not None and namespace is not None:
                one = self.store.get(rt.key, namespace, name)
                objs = [one] if one is not None else []
            else:
                objs = self.store.items(rt.key, namespace)
        matched = [
            o for o in objs
            if labels.matches(o) and fields.matches(o)
            and (start is None or self._pos(o) > start)
        ]
        if limit > 0 and len(matched) > limit:
            page = matched[:limit]
            last = self._pos(page[-1])
            token = base64.urlsafe_b64encode(
                json.dumps({"rv": rv, "s": list(last)}).encode()).decode()
            return ListResult(page, str(rv), token, len(matched) - limit)
        return ListResult(matched, str(rv), "", None)

    @staticmethod
    def _pos(obj: dict[str, Any]) -> tuple[str, str]:
        meta = obj["metadata"]
        return (meta.get("namespace", ""), meta["name"])

    # -- create ------------------------------------------------------------
    def create(self, rt: ResourceType, version: str, namespace: str, body: Any,
               *, dry_run: bool = False, field_validation: FieldValidation = FieldValidation.WARN,
               warnings: builtins.list[str] | None = None, field_manager: str = "",
               applied: bool = False) -> dict[str, Any]:
        """Create ``body``; 400 if it does not decode (``field_validation``; unknown
        fields are pruned, and listed in ``warnings`` under Warn), 409 AlreadyExists,
        422 Invalid, 404 for a missing namespace. ``field_manager`` owns the
        fields (``applied``: by server-side apply, only those ``body`` sets)."""
        obj = self._check_body(rt, version, body)
        self.admission.decode(rt, version, obj, field_validation, warnings)
        config = clone(obj) if applied else None
        if rt.key in REVIEW_KEYS:
            obj["status"] = review_status(rt)
            return obj  # reviews are answered, never stored
        meta = _meta(obj)
        ns = self._ns(rt, namespace)
        if rt.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and ns and body_ns != ns:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            ns = ns or body_ns or "default"
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        name = meta.get("name")
        if not name:
            gen = meta.get("generateName")
            if not gen or not isinstance(gen, str):
                raise invalid(rt.kind, "", [FieldError(
                    CauseType.REQUIRED, "metadata.name", "name or generateName is required")],
                    rt.group)
            name = gen + "".join(random.choice(_GEN_ALPHABET) for _ in range(5))
            meta["name"] = name
        if not isinstance(name, str):
            raise bad_request("metadata.name must be a string")
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        meta.pop("generation", None)
        if has_generation(rt):
            meta["generation"] = 1
        for f in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion",
                  "managedFields", "selfLink"):
            meta.pop(f, None)
        self.admission.finish(rt, obj, None, version)
        if rt.key == CRD_KEY:
            self._validate_crd(obj)
        self._defaults(rt, obj)
        if field_manager:
            write = self._write(rt, version, Manager(field_manager), meta["creationTimestamp"])
            if config is not None:
                self.fields.created_by_apply(config, obj, write)
            else:
                self.fields.record(None, obj, write)
        with self.store.lock:
            if rt.namespaced:
                self._live_namespace(ns)
            if self.store.get(rt.key, ns, name) is not None:
                raise StatusError(
                    409, "AlreadyExists", f'{rt.qualified} "{name}" already exists',
                    details={"name": name, "group": rt.group, "kind": rt.plural},
                )
            if dry_run:
                return obj
            self.store.write(rt.key, ns, name, obj, "ADDED")
            if rt.key == CRD_KEY:
                self.registry.register_crd(obj)
        return obj

    def _defaults(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        if rt.has_status and rt.key != CRD_KEY:
            obj.pop("status", None)  # status is only written through the subresource
        initial = self.admission.defaulter.initial_status(rt, obj)
        if initial is not None:
            obj["status"] = clone(initial)
        elif rt.key == CRD_KEY:
            spec = obj.get("spec") or {}
            names = dict(spec.get("names") or {})
            names.setdefault("singular", str(names.get("kind", "")).lower())
            names.setdefault("listKind", f"{names.get('kind', '')}List")
            now = now_rfc3339()
            obj["status"] = {
                "acceptedNames": names,
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                     "message": "no conflicts found", "lastTransitionTime": now},
                    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                     "message": "the initial names have been accepted",
                     "lastTransitionTime": now},
                ],
                "storedVersions": [v.get("name") for v in spec.get("versions") or []
                                   if isinstance(v, dict) and v.get("storage")],
            }
        elif rt.has_status:
            obj.pop("status", None)

    def _validate_crd(self, obj: dict[str, Any]) -> None:
        name = obj["metadata"]["name"]
        spec = obj.get("spec")
        causes: list[str] = []
        if not isinstance(spec, dict):
            raise invalid("CustomResourceDefinition", name, ["spec: Required value"],
                          "apiextensions.k8s.io")
        names = spec.get("names") or {}
        group = spec.get("group")
        if not group:
            causes.append("spec.group: Required value")
        if not isinstance(names, dict) or not names.get("plural") or not names.get("kind"):
            causes.append("spec.names.plural and spec.names.kind: Required value")
        elif name != f"{names['plural']}.{group}":
            causes.append(f'metadata.name: Invalid value: "{name}": must be spec.names.plural'
                          "+\".\"+spec.group")
        versions = spec.get("versions")
        if not isinstance(versions, list) or not versions or not all(
            isinstance(v, dict) and v.get("name") for v in versions
        ) or sum(1 for v in versions if v.get("storage")) != 1:
            causes.append("spec.versions: Invalid value: must have exactly one version marked "
                          "as storage version")
        if spec.get("scope", "Namespaced") not in ("Namespaced", "Cluster"):
            causes.append("spec.scope: Unsupported value")
        if causes:
            raise invalid("CustomResourceDefinition", name, causes, "apiextensions.k8s.io")
        assert isinstance(versions, list)
        if self.registry.lookup(str(group), str(versions[0]["name"]), str(names["plural"])) \
                and self.store.get(CRD_KEY, "", name) is None:
            raise invalid("CustomResourceDefinition", name,
                          ["spec.names.plural: Invalid value: already served by the server"],
                          "apiextensions.k8s.io")

    # -- update / patch ----------------------------------------------------------
    def update(self, rt: ResourceType, version: str, namespace: str, name: str, body: Any,
               *, subresource: str = "", dry_run: bool = False,
               field_validation: FieldValidation = FieldValidation.WARN,
               warnings: builtins.list[str] | None = None,
               field_manager: str = "") -> dict[str, Any]:
        """Replace the object (PUT); 409 Conflict on a stale ``resourceVersion``;
        decoding and validation as for :meth:`create`; ``field_manager`` takes
        over the fields it changes (``metadata.managedFields``)."""
        obj = self._check_body(rt, version, body)
        meta = _meta(obj)
        if meta.get("name") and meta["name"] != name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the "
                              f"name on the URL ({name})")
        ns = self._ns(rt, namespace)
        if rt.namespaced and meta.get("namespace") and meta["namespace"] != ns:
            raise bad_request("the namespace of the provided object does not match the "
                              "namespace sent on the request")
        with self.store.lock:
            return self._update_locked(rt, ns, name, obj, subresource, dry_run,
                                       field_validation=field_validation, warnings=warnings,
                                       field_manager=field_manager)

    def field_schema(self, rt: ResourceType, version: str) -> SchemaNode | None:
        """The schema that decides how fields are owned: the built-in kind's, or a
        custom resource's ``openAPIV3Schema`` (None: maps granular, lists atomic)."""
        if not rt.crd:
            return builtin_schema(rt.group, version, rt.kind)
        crd = self.store.get(CRD_KEY, "", f"{rt.plural}.{rt.group}")
        for v in ((crd or {}).get("spec") or {}).get("versions") or []:
            if isinstance(v, dict) and v.get("name") == version:
                schema = (v.get("schema") or {}).get("openAPIV3Schema")
                return SchemaNode({}, schema) if isinstance(schema, dict) else None
        return None

    def _write(self, rt: ResourceType, version: str, manager: Manager, now: str) -> Write:
        return Write(manager, self.field_schema(rt, version), rt.api_version(version), now,
                     rt.has_status)

    def _update_locked(self, rt: ResourceType, ns: str, name: str, obj: dict[str, Any],
                       subresource: str, dry_run: bool, *,
                       field_validation: FieldValidation = FieldValidation.WARN,
                       warnings: builtins.list[str] | None = None, field_manager: str = "",
                       applied: bool = False) -> dict[str, Any]:
        old = self.store.get(rt.key, ns, name)
        if old is None:
            raise not_found(rt.plural, name, rt.group)
        meta = _meta(obj)
        old_meta = old["metadata"]
        want_rv = meta.get("resourceVersion")
        if want_rv and str(want_rv) != old_meta["resourceVersion"]:
            raise StatusError(
                409, "Conflict",
                f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has '
                "been modified; please apply your changes to the latest version and try again",
                details={"name": name, "group": rt.group, "kind": rt.plural},
            )
        version = str(obj.get("apiVersion", "")).rsplit("/", 1)[-1]
        self.admission.decode(rt, version, obj, field_validation, warnings, old)
        if subresource == "status":
            new = clone(old)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            if applied:  # the field manager's result for the status apply
                new["metadata"]["managedFields"] = meta.get("managedFields") or []
        else:
            new = obj
            if rt.has_status:
                if "status" in old:
                    new["status"] = clone(old["status"])
                else:
                    new.pop("status", None)
            new_meta = new["metadata"]
            for f in ("uid", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "generation"):
                if f in old_meta:
                    new_meta[f] = old_meta[f]
                else:
                    new_meta.pop(f, None)
            new_meta["name"] = name
            if rt.namespaced:
                new_meta["namespace"] = ns
            else:
                new_meta.pop("namespace", None)
            if not applied:
                new_meta.pop("managedFields", None)
            if old_meta.get("deletionTimestamp"):
                added = set(new_meta.get("finalizers") or []) - set(
                    old_meta.get("finalizers") or [])
                if added:
                    raise invalid(rt.kind, name, [
                        "metadata.finalizers: Forbidden: no new finalizers can be added if "
                        "the object is being deleted"], rt.group)
            self.admission.finish(rt, new, old, version)
            if rt.key == CRD_KEY:
                self._validate_crd(new)
                new["status"] = clone(old.get("status", {}))
            if "generation" in old_meta and _spec_part(new) != _spec_part(old):
                new_meta["generation"] = int(old_meta.get("generation", 1)) + 1
        if not applied:
            if field_manager:
                self.fields.record(old, new, self._write(
                    rt, version, Manager(field_manager, subresource), now_rfc3339()))
            elif old_meta.get("managedFields"):
                new["metadata"]["managedFields"] = old_meta["managedFields"]
        if _comparable(new) == _comparable(old):
            return old  # a no-op update writes nothing
        if dry_run:
            return new
        new["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        # Removing the last finalizer of a deleted object finishes the delete; an
        # update of a Pod still in its grace period does not.
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers") \
                and old_meta.get("finalizers") and not old_meta.get("deletionGracePeriodSeconds"):
            self._remove(rt, ns, name, new)
            return new
        self.store.write(rt.key, ns, name, new, "MODIFIED")
        if rt.key == CRD_KEY:
            self.registry.register_crd(new)
        return new

    def patch(self, rt: ResourceType, version: str, namespace: str, name: str,
              content_type: str, body: bytes, *, subresource: str = "",
              dry_run: bool = False, field_validation: FieldValidation = FieldValidation.WARN,
              warnings: builtins.list[str] | None = None, field_manager: str = "",
              force: bool = False) -> dict[str, Any]:
        """Apply a merge / strategic-merge / JSON patch (``field_manager`` takes over
        what it changes), or a server-side apply configuration (``field_manager``
        required; 409 on conflicts with other managers unless ``force``)."""
        ctype = content_type.split(";")[0].strip().lower()
        accepted = _CUSTOM_PATCH_TYPES if rt.crd else _BUILTIN_PATCH_TYPES
        if ctype not in accepted:
            raise StatusError(415, "UnsupportedMediaType",
                              f"the body of the request was in an unknown format - accepted "
                              f"media types include: {', '.join(accepted)}")
        try:
            doc = yaml.safe_load(body) if ctype == APPLY_PATCH else json.loads(body)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"error decoding patch: {type(exc).__name__}") from None
        ns = self._ns(rt, namespace)
        with self.store.lock:
            old = self.store.get(rt.key, ns, name)
            if ctype == APPLY_PATCH:
                doc = self._apply_config(rt, version, name, doc)
            if old is None:
                if ctype == APPLY_PATCH and not subresource:
                    return self.create(rt, version, ns, doc, dry_run=dry_run,
                                       field_validation=field_validation, warnings=warnings,
                                       field_manager=field_manager, applied=True)
                raise not_found(rt.plural, name, rt.group)
            if ctype == APPLY_PATCH:
                patched = self.fields.apply(old, doc, self._write(
                    rt, version, Manager(field_manager, subresource), now_rfc3339()),
                    force=force)
            elif ctype == JSON_PATCH:
                patched = json_patch(old, doc)
            elif ctype == STRATEGIC_PATCH:
                patched = strategic_merge(old, doc,
                                          builtin_schema(rt.group, version, rt.kind))
            else:
                if not isinstance(doc, dict):
                    raise bad_request("a merge patch must be a JSON object")
                patched = merge_patch(clone(old), doc)
            if not isinstance(patched, dict):
                raise StatusError(422, "Invalid", "the patched object is not an object")
            # ``patched`` is already a private copy (every patch function copies).
            meta = _meta(patched)
            patched.setdefault("apiVersion", rt.api_version(version))
            patched.setdefault("kind", rt.kind)
            obj = self._check_body(rt, version, patched, private=True)
            if meta.get("name") != name:
                raise bad_request("the patch may not change the object's name")
            # A patch only conflicts when it names a resourceVersion itself.
            if not meta.get("resourceVersion"):
                obj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            # Decoding prunes ``obj`` (it is ``patched``) in place, but a decode error
            # shows the patch and its result as they were: keep their bytes
            # (marshal's dump alone costs a fraction of a copy).
            before = b""
            if ctype != APPLY_PATCH:
                before = marshal.dumps((doc, patched))
            try:
                return self._update_locked(rt, ns, name, obj, subresource, dry_run,
                                           field_validation=field_validation,
                                           warnings=warnings, field_manager=field_manager,
                                           applied=ctype == APPLY_PATCH)
            except DecodeError as err:
                if ctype == APPLY_PATCH:
                    raise
                # Safe: bytes this process just produced, never input from outside.
                doc, patched = marshal.loads(before)  # noqa: S302
                raise patch_decode_error(err, ctype == STRATEGIC_PATCH, doc, patched) from None

    def _apply_config(self, rt: ResourceType, version: str, name: str, doc: Any
                      ) -> dict[str, Any]:
        """Check an apply configuration as a real server does: an object naming
        its ``apiVersion`` and ``kind`` (400 otherwise) and the URL's name."""
        if not isinstance(doc, dict):
            raise bad_request("the apply configuration must be a YAML or JSON object")
        for f in ("apiVersion", "kind"):
            if not doc.get(f):
                raise bad_request(f"invalid object: Object '{f[0].upper() + f[1:]}' is missing "
                                  "in the applied configuration")
        config = self._check_body(rt, version, doc)
        meta = _meta(config)
        if meta.get("name") not in (None, name):
            raise bad_request(f"the name of the object ({meta['name']}) does not match the "
                              f"name on the URL ({name})")
        meta["name"] = name
        meta.pop("managedFields", None)
        meta.pop("resourceVersion", None)
        return config

    # -- delete ------------------------------------------------------------------
    def delete(self, rt: ResourceType, namespace: str, name: str,
               options: dict[str, Any] | None = None, *, dry_run: bool = False
               ) -> dict[str, Any]:
        """Delete now, or mark ``deletionTimestamp`` while finalizers remain."""
        ns = self._ns(rt, namespace)
        options = options or {}
        with self.store.lock:
            old = self.store.get(rt.key, ns, name)
            if old is None:
                raise not_found(rt.plural, name, rt.group)
            pre = options.get("preconditions") or {}
            if isinstance(pre, dict):
                meta = old["metadata"]
                if (pre.get("uid") and pre["uid"] != meta.get("uid")) or (
                    pre.get("resourceVersion")
                    and str(pre["resourceVersion"]) != meta.get("resourceVersion")
                ):
                    raise StatusError(
                        409, "Conflict",
                        f'Operation cannot be fulfilled on {rt.qualified} "{name}": '
                        "Precondition failed",
                    )
            policy = propagation(options)
            if dry_run:
                return old
            if rt.key == NAMESPACE_KEY:
                return self._delete_namespace(rt, name, old)
            if rt.key == "/pods" and self.graceful_pods:
                grace = self._pod_grace(old, options)
                if grace > 0:
                    return self._delete_gracefully(rt, ns, name, old, grace)
            finalizer = _PROPAGATION_FINALIZERS.get(policy) if policy else None
            if finalizer and self.garbage_collector:
                return self._delete_for_gc(rt, ns, name, old, finalizer)
            return self._delete_one(rt, ns, name, old)

    @staticmethod
    def _pod_grace(pod: dict[str, Any], options: dict[str, Any]) -> int:
        """A Pod's grace period for this delete: ``gracePeriodSeconds`` if given,
        else its ``terminationGracePeriodSeconds``; 0 for a Pod no node runs or
        that has finished (nothing to stop), as a real server decides."""
        spec = pod.get("spec") or {}
        phase = (pod.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0
        given = options.get("gracePeriodSeconds")
        if given is not None:
            try:
                return max(0, int(given))
            except (TypeError, ValueError):
                raise bad_request("gracePeriodSeconds must be an integer") from None
        value = spec.get("terminationGracePeriodSeconds", 30)
        return max(0, int(value)) if isinstance(value, int) else 30

    def _delete_gracefully(self, rt: ResourceType, ns: str, name: str, old: dict[str, Any],
                           grace: int) -> dict[str, Any]:
        """Mark a running Pod for deletion in ``grace`` seconds (a later delete may
        only shorten it); the kubelet deletes it when its containers have stopped."""
        meta = old["metadata"]
        current = meta.get("deletionGracePeriodSeconds")
        if meta.get("deletionTimestamp") and isinstance(current, int) and current <= grace:
            return old
        new = clone(old)
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=grace)
        new["metadata"]["deletionTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        new["metadata"]["deletionGracePeriodSeconds"] = grace
        self.store.write(rt.key, ns, name, new, "MODIFIED")
        return new

    def _delete_for_gc(self, rt: ResourceType, ns: str, name: str, old: dict[str, Any],
                       finalizer: str) -> dict[str, Any]:
        """Mark the object deleted and hand it to the garbage collector with the
        policy's finalizer (it removes the finalizer once dependents are handled)."""
        new = clone(old)
        meta = new["metadata"]
        fins = list(meta.get("finalizers") or [])
        if finalizer not in fins:
            fins.append(finalizer)
        meta["finalizers"] = fins
        meta.setdefault("deletionTimestamp", now_rfc3339())
        meta.setdefault("deletionGracePeriodSeconds", 0)
        if new == old:
            return old
        self.store.write(rt.key, ns, name, new, "MODIFIED")
        return new

    def _delete_one(self, rt: ResourceType, ns: str, name: str, old: dict[str, Any]
                    ) -> dict[str, Any]:
        if old["metadata"].get("finalizers"):
            if old["metadata"].get("deletionTimestamp"):
                return old
            new = clone(old)
            new["metadata"]["deletionTimestamp"] = now_rfc3339()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            self.store.write(rt.key, ns, name, new, "MODIFIED")
            return new
        return self._remove(rt, ns, name, clone(old))

    def _remove(self, rt: ResourceType, ns: str, name: str, final: dict[str, Any]
                ) -> dict[str, Any]:
        if rt.key == CRD_KEY:
            self._drop_custom_resources(name)
        self.store.write(rt.key, ns, name, final, "DELETED")
        if rt.key == CRD_KEY:
            self.registry.unregister_crd(name)
        if rt.namespaced:
            self._maybe_finish_namespace(ns)
        return final

    def _drop_custom_resources(self, crd_name: str) -> None:
        crd = self.store.get(CRD_KEY, "", crd_name)
        if crd is None:
            return
        spec = crd.get("spec") or {}
        key = f"{spec.get('group', '')}/{(spec.get('names') or {}).get('plural', '')}"
        for obj in self.store.items(key):
            meta = obj["metadata"]
            self.store.write(key, meta.get("namespace", ""), meta["name"],
                             clone(obj), "DELETED")
        self.store.drop_key(key)

    def _delete_namespace(self, rt: ResourceType, name: str, old: dict[str, Any]
                          ) -> dict[str, Any]:
        if not old["metadata"].get("deletionTimestamp"):
            new = clone(old)
            new["metadata"]["deletionTimestamp"] = now_rfc3339()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            new["status"] = {"phase": "Terminating"}
            self.store.write(rt.key, "", name, new, "MODIFIED")
            old = new
        for t in self.registry.all():
            if not t.namespaced:
                continue
            for obj in self.store.items(t.key, name):
                grace = (self._pod_grace(obj, {}) if t.key == "/pods" and self.graceful_pods
                         else 0)  # running pods stop first, as the namespace controller's
                if grace > 0:
                    self._delete_gracefully(t, name, obj["metadata"]["name"], obj, grace)
                else:
                    self._delete_one(t, name, obj["metadata"]["name"], obj)
        return self._maybe_finish_namespace(name) or old

    def _maybe_finish_namespace(self, ns: str) -> dict[str, Any] | None:
        nsobj = self.store.get(NAMESPACE_KEY, "", ns)
        if nsobj is None or not nsobj["metadata"].get("deletionTimestamp"):
            return None
        if nsobj["metadata"].get("finalizers"):
            return None
        for t in self.registry.all():
            if t.namespaced and self.store.count(t.key, ns):
                return None
        final = clone(nsobj)
        self.store.write(NAMESPACE_KEY, "", ns, final, "DELETED")
        return final

    def delete_collection(self, rt: ResourceType, namespace: str | None,
                          labels: LabelSelector, fields: FieldSelector,
                          *, dry_run: bool = False) -> builtins.list[dict[str, Any]]:
        """Delete every matching object; return what was deleted (or marked)."""
        with self.store.lock:
            page = self.list(rt, namespace, labels, fields)
            out = []
            for obj in page.items:
                meta = obj["metadata"]
                out.append(self.delete(rt, meta.get("namespace", ""), meta["name"],
                                       dry_run=dry_run))
            return out
