"""The write path's admission, in a real server's order: decode against the
schema (unknown fields pruned; a 400 for a wrong type, or for unknown fields
under ``fieldValidation=Strict``; a ``Warning`` under ``Warn``), then defaulting,
then validation (one 422 ``Invalid`` listing every problem).

Example::

    adm = Admission()
    warnings: list[str] = []
    adm.decode(pods, "v1", obj, FieldValidation.WARN, warnings)
    adm.finish(pods, obj, old=None)     # defaults, then 422 if invalid
"""

from __future__ import annotations

from typing import Any

from hybridwait.testing.apiserver.defaults import Defaulter
from hybridwait.testing.apiserver.errors import FieldError, invalid
from hybridwait.testing.apiserver.resources import ResourceType
from hybridwait.testing.apiserver.schema import Node, load
from hybridwait.testing.apiserver.validation import (
    FieldValidation,
    apply_schema_defaults,
    check_schema,
    crd_schema_errors,
    crd_type_errors,
    decode_error,
    same_body,
    strict_error,
    validate_name,
    validate_object,
)

# Kinds that are not stored: a create answers with the object and its status.
REVIEW_KEYS = frozenset({
    "authorization.k8s.io/selfsubjectaccessreviews",
    "authorization.k8s.io/subjectaccessreviews",
    "authorization.k8s.io/localsubjectaccessreviews",
    "authorization.k8s.io/selfsubjectrulesreviews",
    "authentication.k8s.io/selfsubjectreviews",
    "authentication.k8s.io/tokenreviews",
})

_ADMIN = {"username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins",
                                                      "system:authenticated"]}


def review_status(rt: ResourceType) -> dict[str, Any]:
    """The status a review kind answers with: every access allowed (the emulator
    has no authorization), the user is the cluster admin.

    Example::

        review_status(ssar)   # {"allowed": True}
    """
    if rt.plural == "selfsubjectrulesreviews":
        return {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False}
    if rt.plural == "selfsubjectreviews":
        return {"userInfo": dict(_ADMIN)}
    if rt.plural == "tokenreviews":
        return {"authenticated": True, "user": dict(_ADMIN)}
    return {"allowed": True}


class Admission:
    """Schema decoding, defaulting and validation for every write. Compiled schema
    nodes are cached per kind (built-ins: once per definition; CRDs: once per
    CRD version, when the CRD is registered).

    Example::

        Admission().decode(deployments, "v1", obj, FieldValidation.STRICT, [])
    """

    def __init__(self) -> None:
        self.defaulter = Defaulter()

    @staticmethod
    def node(rt: ResourceType, version: str) -> Node | None:
        """The compiled schema of ``rt`` at ``version`` (None: accept anything)."""
        if rt.crd:
            return rt.schema(version)
        return load().kind_node(rt.group, version, rt.kind)

    def decode(self, rt: ResourceType, version: str, obj: dict[str, Any],
               mode: FieldValidation, warnings: list[str] | None,
               old: dict[str, Any] | None = None) -> None:
        """Prune ``obj`` against the schema; raise the 400 (or, for a custom
        resource's wrong types, the 422) a real server answers with. ``old`` (the
        stored object, on update) lets unchanged parts be skipped."""
        node = self.node(rt, version)
        if node is None:
            return
        result = check_schema(obj, node, mode, old=old)
        if rt.crd:
            if mode is FieldValidation.STRICT and result.problems:
                raise strict_error(rt, version, result.problems)
            errors = crd_type_errors(result)
            if errors:
                raise invalid(rt.kind, _name(obj), errors, rt.group)
        else:
            err = decode_error(rt, version, result, mode)
            if err is not None:
                raise err
        if mode is FieldValidation.WARN and warnings is not None:
            warnings.extend(result.warnings)

    def finish(self, rt: ResourceType, obj: dict[str, Any],
               old: dict[str, Any] | None, version: str = "") -> None:
        """Default ``obj``, then validate it (with the name on create); one 422 for
        everything wrong."""
        if old is None or not same_body(obj, old):  # defaults are already in old
            self.defaulter.apply(rt, obj, old)
        crd_node = rt.schema(version) if rt.crd and version else None
        if crd_node is not None:
            apply_schema_defaults(obj, crd_node)
        errors: list[FieldError] = []
        if old is None:
            errors.extend(validate_name(rt, _name(obj)))
        errors.extend(validate_object(rt, obj, old))
        if crd_node is not None:
            errors.extend(crd_schema_errors(obj, crd_node))
        if errors:
            raise invalid(rt.kind, _name(obj), errors, rt.group)


def _name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata")
    return str(meta.get("name", "")) if isinstance(meta, dict) else ""
