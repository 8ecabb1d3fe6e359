"""Validation as a real API server does it on create and update: the schema walk
(types, unknown fields, pruning) and the per-kind rules of the common built-ins
(names, labels and annotations, required fields, selectors), with errors shaped
like the real server's (400 ``BadRequest`` for a body that does not decode under
``fieldValidation=Strict``, 422 ``Invalid`` with ``details.causes``).

The schema walk uses the compiled :class:`~.schema.Node` tree of each kind, built
once per definition (or once per CRD version), so a write costs one pass over the
object.

Example::

    mode = FieldValidation.parse("Strict")
    result = check_schema(obj, node, mode)        # prunes obj in place
    result.warnings                                # ['unknown field "spec.foo"'] under Warn
    errors = validate_object(rt, obj, old=None)   # [FieldError(...), ...]
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from hybridwait.testing.apiserver.errors import (
    CauseType,
    FieldError,
    GoValue,
    StatusError,
    go_quote,
    invalid,
)
from hybridwait.testing.apiserver.resources import NAMESPACE_KEY, ResourceType
from hybridwait.testing.apiserver.schema import Node


class FieldValidation(str, Enum):
    """The ``fieldValidation`` query parameter. Unset means ``Warn`` on a 1.32 server.

    Example::

        FieldValidation.parse("Strict") is FieldValidation.STRICT   # True
    """

    IGNORE = "Ignore"
    WARN = "Warn"
    STRICT = "Strict"

    @classmethod
    def parse(cls, value: str | None) -> FieldValidation:
        """The mode for a query value; 400 BadRequest for an unknown one.

        Example::

            FieldValidation.parse(None)    # FieldValidation.WARN
        """
        if not value:
            return cls.WARN
        for m in cls:
            if m.value == value:
                return m
        raise StatusError(400, "BadRequest",
                          f"fieldValidation parameter must be one of \"Ignore\", \"Warn\" or "
                          f"\"Strict\", got {go_quote(value)}")


# -- names and labels (k8s.io/apimachinery/pkg/util/validation) --------------------

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + r")*"
_DNS1035_LABEL = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_CONFIG_KEY = r"[-._a-zA-Z0-9]+"


def _full(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^(?:{pattern})$")


_RE = {p: _full(p) for p in (_DNS1123_LABEL, _DNS1123_SUBDOMAIN, _DNS1035_LABEL,
                             _QUALIFIED_NAME, _LABEL_VALUE, _CONFIG_KEY)}


def _regex_error(msg: str, pattern: str, *examples: str) -> str:
    # As validation.RegexError words it, double spaces included.
    text = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i:
            text += " or "
        text += f"'{ex}', "
    return text + f"regex used for validation is '{pattern}')"


def dns1123_label(value: str) -> list[str]:
    """Problems with ``value`` as an RFC 1123 label (empty list if fine).

    Example::

        dns1123_label("web-1")   # []
    """
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _RE[_DNS1123_LABEL].match(value):
        errs.append(_regex_error(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
            "or '-', and must start and end with an alphanumeric character",
            _DNS1123_LABEL, "my-name", "123-abc"))
    return errs


def dns1123_subdomain(value: str) -> list[str]:
    """Problems with ``value`` as an RFC 1123 subdomain.

    Example::

        dns1123_subdomain("web.example.com")   # []
    """
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _RE[_DNS1123_SUBDOMAIN].match(value):
        errs.append(_regex_error(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character",
            _DNS1123_SUBDOMAIN.replace(r"\.", r"\."), "example.com"))
    return errs


def dns1035_label(value: str) -> list[str]:
    """Problems with ``value`` as an RFC 1035 label (Service names).

    Example::

        dns1035_label("1web")   # ["a DNS-1035 label must ..."]
    """
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _RE[_DNS1035_LABEL].match(value):
        errs.append(_regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
            "start with an alphabetic character, and end with an alphanumeric character",
            _DNS1035_LABEL, "my-name", "abc-123"))
    return errs


def path_segment_name(value: str) -> list[str]:
    """Problems with ``value`` as a path segment (RBAC names).

    Example::

        path_segment_name("a/b")   # ["may not contain '/'"]
    """
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def qualified_name(value: str) -> list[str]:
    """Problems with ``value`` as a label or annotation key (``prefix/name``).

    Example::

        qualified_name("app.kubernetes.io/name")   # []
    """
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + e for e in dns1123_subdomain(prefix))
    else:
        return [_regex_error(
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and "
            "must start and end with an alphanumeric character", _QUALIFIED_NAME,
            "MyName", "my.name", "123-abc") + " with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if name and not _RE[_QUALIFIED_NAME].match(name):
        errs.append("name part " + _regex_error(
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character", _QUALIFIED_NAME, "MyName", "my.name", "123-abc"))
    return errs


def label_value(value: str) -> list[str]:
    """Problems with ``value`` as a label value.

    Example::

        label_value("a b")   # ["a valid label must be an empty string or ..."]
    """
    errs = []
    if len(value) > 63:
        errs.append("must be no more than 63 characters")
    if not _RE[_LABEL_VALUE].match(value):
        errs.append(_regex_error(
            "a valid label must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character",
            _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errs


def config_key(value: str) -> list[str]:
    """Problems with ``value`` as a ConfigMap/Secret key.

    Example::

        config_key("app.conf")   # []
    """
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _RE[_CONFIG_KEY].match(value):
        errs.append(_regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            _CONFIG_KEY, "key.name", "KEY_NAME", "key-name"))
    if value in (".", ".."):
        errs.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def _invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(CauseType.INVALID, path, detail, value, True)


def _required(path: str, detail: str = "") -> FieldError:
    return FieldError(CauseType.REQUIRED, path, detail)


def _unsupported(path: str, value: Any, supported: tuple[str, ...]) -> FieldError:
    return FieldError(CauseType.NOT_SUPPORTED, path,
                      "supported values: " + ", ".join(f'"{s}"' for s in supported),
                      value, True)


# -- the schema walk --------------------------------------------------------------

class DuplicateKeys(dict[str, Any]):
    """A decoded JSON object in which some keys were repeated (the last value is
    kept, as Go's decoder keeps it); the schema walk reports them with their path.

    Example::

        json.loads('{"a":1,"a":2}', object_pairs_hook=json_object).duplicates  # ("a",)
    """

    duplicates: tuple[str, ...] = ()


def json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for request bodies: a plain dict, or a
    :class:`DuplicateKeys` when a key repeats.

    Example::

        json.loads('{"a": 1, "a": 2}', object_pairs_hook=json_object).duplicates   # ("a",)
    """
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    dups = []
    for k, _ in pairs:
        if k in seen:
            dups.append(k)
        seen.add(k)
    marked = DuplicateKeys(out)
    marked.duplicates = tuple(dups)
    return marked


@dataclass
class SchemaResult:
    """What the schema walk found: unknown fields (already pruned) and duplicate
    fields, in document order, and values of the wrong type.

    Example::

        check_schema({"bogus": 1}, pod_node, FieldValidation.WARN).unknown   # ["bogus"]
    """

    unknown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    type_errors: list[tuple[str, str, Node, Any]] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """The ``Warning`` header texts a real server sends under ``Warn``
        (``unknown field "spec.x"``, ``duplicate field "spec.y"``)."""
        return list(self.problems)


_JSON_TYPE = {str: "string", bool: "bool", int: "number", float: "number", list: "array",
              dict: "object"}


def _type_ok(value: Any, node: Node) -> bool:
    if node.int_or_string:
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    t = node.type
    if t is None:
        return True
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


_LEAF_TYPES = frozenset({"string", "integer", "number", "boolean"})


def _is_leaf(node: Node) -> bool:
    return node.type in _LEAF_TYPES and node.format != "byte" and node.properties is None


def _walk(value: Any, node: Node, path: str, out: SchemaResult, drop_nulls: bool,
          old: Any = None) -> None:
    """Check types, record and prune unknown fields (in place). ``old`` is the
    stored object at the same place, if any: a subtree equal to it was checked
    when it was stored and is skipped (a patch touches little of an object)."""
    if node.preserve and node.properties is None and node.additional is None \
            and node.items is None:
        return
    if isinstance(value, dict) and (node.properties is not None or node.additional is not None
                                    or node.type == "object"):
        props = node.properties
        old_map = old if isinstance(old, dict) else None
        for dup in getattr(value, "duplicates", ()):
            out.problems.append(f'duplicate field "{path}.{dup}"' if path
                                else f'duplicate field "{dup}"')
        for key in list(value):
            child = value[key]
            sub = props.get(key) if props is not None else None
            if sub is None and node.additional is not None:
                sub = node.additional
            if sub is None:
                if node.preserve:
                    continue
                cpath = f"{path}.{key}" if path else str(key)
                out.unknown.append(cpath)
                out.problems.append(f'unknown field "{cpath}"')
                del value[key]
                continue
            if child is None:
                if drop_nulls and not sub.nullable:
                    del value[key]
                continue
            old_child = old_map.get(key) if old_map is not None else None
            if old_child is not None and old_child == child:
                continue
            if not _type_ok(child, sub):
                out.type_errors.append((f"{path}.{key}" if path else str(key), key, sub, child))
                continue
            if not _is_leaf(sub):
                _walk(child, sub, f"{path}.{key}" if path else str(key), out, drop_nulls,
                      old_child)
        return
    if isinstance(value, list) and node.items is not None:
        item = node.items
        leaf = _is_leaf(item)
        old_list = old if isinstance(old, list) else None
        for i, child in enumerate(value):
            if child is None:
                continue
            old_child = old_list[i] if old_list is not None and i < len(old_list) else None
            if old_child is not None and old_child == child:
                continue
            if not _type_ok(child, item):
                out.type_errors.append((f"{path}[{i}]", "", item, child))
                continue
            if not leaf:
                _walk(child, item, f"{path}[{i}]", out, drop_nulls, old_child)
        return
    if node.format == "byte" and isinstance(value, str):
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            out.type_errors.append((path, "", node, value))


def check_schema(obj: dict[str, Any], node: Node, mode: FieldValidation,
                 *, drop_nulls: bool = True, old: dict[str, Any] | None = None
                 ) -> SchemaResult:
    """Walk ``obj`` against ``node``: prune unknown fields (and nulls) in place and
    collect them with the type errors. The caller turns them into the right Status.

    Example::

        check_schema({"spec": {"foo": 1}}, deployment_node, FieldValidation.WARN).unknown
        # ["spec.foo"]
    """
    out = SchemaResult()
    _walk(obj, node, "", out, drop_nulls, old)
    return out


def _go_type(node: Node) -> str:
    if node.name:
        parts = node.name.split(".")
        return f"{parts[-2]}.{parts[-1]}"
    if node.int_or_string:
        return "intstr.IntOrString"
    t = node.type
    if t == "integer":
        return node.format or "int"
    if t == "number":
        return "float64"
    if t == "boolean":
        return "bool"
    if t == "string":
        return "[]uint8" if node.format == "byte" else "string"
    if t == "array":
        return "[]" + (_go_type(node.items) if node.items is not None else "interface {}")
    if node.additional is not None:
        return "map[string]" + _go_type(node.additional)
    return "map[string]interface {}"


class DecodeError(StatusError):
    """The 400 a body that does not decode gets; ``detail`` is the decoder's own
    text (``strict decoding error: ...``, ``json: cannot unmarshal ...``), which a
    patch reports differently (:func:`patch_decode_error`).

    Example::

        strict_error(pods, "v1", ['unknown field "x"']).detail
    """

    def __init__(self, rt: ResourceType, version: str, detail: str) -> None:
        super().__init__(400, "BadRequest", f'{rt.kind} in version "{version}" cannot be '
                         f"handled as a {rt.kind}: {detail}")
        self.detail = detail


def go_print(value: Any) -> str:
    """``value`` as Go's ``%+v`` prints a decoded JSON value (``map[a:1 b:[x y]]``).

    Example::

        go_print({"spec": {"b": [1, "x"], "a": None}})   # "map[spec:map[a:<nil> b:[1 x]]]"
    """
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_print(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_print(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def patch_decode_error(err: DecodeError, strategic: bool, patch: Any,
                       patched: Any) -> StatusError:
    """What a patch whose result does not decode gets: a 422 on the field ``patch``
    whose value is the patch (strategic merge, as Go prints a map) or the patched
    object's JSON (merge and JSON patches).

    Example::

        patch_decode_error(err, True, {"spec": {"x": 1}}, obj).message
        # ' "" is invalid: patch: Invalid value: "map[spec:map[x:1]]": strict decoding ...'
    """
    import json

    value = go_print(patch) if strategic else json.dumps(patched, separators=(",", ":"))
    return invalid("", "", [FieldError(CauseType.INVALID, "patch", err.detail, value, True)])


def decode_error(rt: ResourceType, version: str, result: SchemaResult,
                 mode: FieldValidation) -> StatusError | None:
    """The 400 a built-in type's body gets when it does not decode: a value of the
    wrong type (always), or unknown fields under ``Strict``. None if it decodes.

    Example::

        decode_error(pods, "v1", result, FieldValidation.STRICT)   # None if it decodes
    """
    if result.type_errors:
        path, _key, node, value = result.type_errors[0]
        if node.format == "byte" and isinstance(value, str):
            return DecodeError(rt, version, "illegal base64 data at input byte 0")
        got = _JSON_TYPE.get(type(value), "value")
        if got == "number" and isinstance(value, float) and node.type == "integer":
            got = f"number {value}"
        return DecodeError(rt, version, f"json: cannot unmarshal {got} into Go struct field "
                           f"{rt.kind}.{path} of type {_go_type(node)}")
    if mode is FieldValidation.STRICT and result.problems:
        return strict_error(rt, version, result.problems)
    return None


def strict_error(rt: ResourceType, version: str, problems: list[str]) -> DecodeError:
    """The 400 for unknown or duplicate fields under ``fieldValidation=Strict``.

    Example::

        strict_error(pods, "v1", ['unknown field "spec.x"']).code   # 400
    """
    return DecodeError(rt, version, "strict decoding error: " + ", ".join(problems))


def crd_type_errors(result: SchemaResult) -> list[FieldError]:
    """A custom resource's type errors, as the 422 causes a real server lists.

    Example::

        crd_type_errors(result)[0].field   # "spec.size"
    """
    out = []
    for path, _key, node, value in result.type_errors:
        got = {str: "string", bool: "boolean", int: "integer", float: "number",
               list: "array", dict: "object"}.get(type(value), "null")
        want = "integer or string" if node.int_or_string else node.type
        out.append(FieldError(CauseType.TYPE_INVALID, path,
                              f"{path} in body must be of type {want}: {go_quote(value)}",
                              got, True))
    return out


def _bounds(value: Any, node: Node, path: str) -> list[FieldError]:
    """A CRD schema's numeric, length, pattern and size limits, worded as
    kube-openapi words them (``spec.replicas in body should be greater than or
    equal to 0``)."""
    raw = node.raw
    out: list[FieldError] = []

    def bad(detail: str) -> None:
        out.append(_invalid(path, value, f"{path} in body {detail}"))

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = raw.get("minimum"), raw.get("maximum")
        if isinstance(lo, (int, float)):
            if raw.get("exclusiveMinimum") and value <= lo:
                bad(f"should be greater than {lo}")
            elif value < lo:
                bad(f"should be greater than or equal to {lo}")
        if isinstance(hi, (int, float)):
            if raw.get("exclusiveMaximum") and value >= hi:
                bad(f"should be less than {hi}")
            elif value > hi:
                bad(f"should be less than or equal to {hi}")
        step = raw.get("multipleOf")
        if isinstance(step, (int, float)) and step and (value / step) % 1:
            bad(f"should be a multiple of {step}")
    elif isinstance(value, str):
        lo, hi = raw.get("minLength"), raw.get("maxLength")
        if isinstance(lo, int) and len(value) < lo:
            bad(f"should be at least {lo} chars long")
        if isinstance(hi, int) and len(value) > hi:
            bad(f"should be at most {hi} chars long")
        pattern = raw.get("pattern")
        if isinstance(pattern, str):
            try:
                if re.search(pattern, value) is None:
                    bad(f"should match '{pattern}'")
            except re.error:
                pass
    elif isinstance(value, list):
        lo, hi = raw.get("minItems"), raw.get("maxItems")
        if isinstance(lo, int) and len(value) < lo:
            bad(f"should have at least {lo} items")
        if isinstance(hi, int) and len(value) > hi:
            bad(f"should have at most {hi} items")
    elif isinstance(value, dict):
        lo, hi = raw.get("minProperties"), raw.get("maxProperties")
        if isinstance(lo, int) and len(value) < lo:
            bad(f"should have at least {lo} properties")
        if isinstance(hi, int) and len(value) > hi:
            bad(f"should have at most {hi} properties")
    return out


def apply_schema_defaults(value: Any, node: Node) -> None:
    """Set a CRD schema's ``default`` on every absent field, depth first, as the
    real server does after pruning (defaults inside defaults apply too).

    Example::

        apply_schema_defaults(obj, widget_node)   # obj["spec"]["size"] = 1 if absent
    """
    if isinstance(value, dict):
        if node.properties:
            for key, sub in node.properties.items():
                if key not in value and sub.has_default:
                    value[key] = copy.deepcopy(sub.default)
                if key in value and value[key] is not None:
                    apply_schema_defaults(value[key], sub)
        elif node.additional is not None:
            for child in value.values():
                apply_schema_defaults(child, node.additional)
    elif isinstance(value, list) and node.items is not None:
        for child in value:
            apply_schema_defaults(child, node.items)


def _list_duplicates(value: list[Any], node: Node, path: str) -> list[FieldError]:
    """``x-kubernetes-list-type: set`` items and ``map`` keys must be unique."""
    list_type = node.raw.get("x-kubernetes-list-type")
    out: list[FieldError] = []
    seen: list[Any] = []
    for i, item in enumerate(value):
        if list_type == "set":
            key, shown = item, item
        elif list_type == "map" and isinstance(item, dict):
            keys = node.raw.get("x-kubernetes-list-map-keys") or []
            key = tuple(item.get(k) for k in keys)
            inner = ", ".join(f"{go_quote(k)}:{go_quote(item[k])}" for k in keys if k in item)
            shown = GoValue("map[string]interface {}{" + inner + "}")
        else:
            continue
        if key in seen:
            out.append(FieldError(CauseType.DUPLICATE, f"{path}[{i}]", "", shown, True))
        else:
            seen.append(key)
    return out


def crd_schema_errors(value: Any, node: Node, path: str = "") -> list[FieldError]:
    """Required fields and enums of a custom resource's structural schema.

    Example::

        crd_schema_errors({"spec": {}}, node)   # [Required value: spec.size]
    """
    out: list[FieldError] = []
    if isinstance(value, dict):
        for req in node.required:
            if req not in value:
                out.append(_required(f"{path}.{req}" if path else req))
        if node.properties:
            for key, sub in node.properties.items():
                if key in value and value[key] is not None and not (path == "" and key in (
                        "metadata", "apiVersion", "kind")):
                    out.extend(crd_schema_errors(value[key], sub, f"{path}.{key}" if path
                                                 else key))
        elif node.additional is not None:
            for key, child in value.items():
                out.extend(crd_schema_errors(child, node.additional, f"{path}.{key}"))
    elif isinstance(value, list) and node.items is not None:
        for i, child in enumerate(value):
            out.extend(crd_schema_errors(child, node.items, f"{path}[{i}]"))
        out.extend(_list_duplicates(value, node, path))
    if path:
        out.extend(_bounds(value, node, path))
    if node.enum and value not in node.enum:
        out.append(_unsupported(path, value, tuple(str(e) for e in node.enum)))
    return out


# -- per-kind rules -----------------------------------------------------------------

def _name_rule(rt: ResourceType) -> Callable[[str], list[str]]:
    if rt.key == NAMESPACE_KEY:
        return dns1123_label
    if rt.key == "/services":
        return dns1035_label
    if rt.group == "rbac.authorization.k8s.io":
        return path_segment_name
    return dns1123_subdomain


def validate_name(rt: ResourceType, name: str) -> list[FieldError]:
    """``metadata.name`` as the real server checks it for this kind.

    Example::

        validate_name(namespaces, "a.b")   # [FieldError(... "metadata.name" ...)]
    """
    errs = [_invalid("metadata.name", name, e) for e in _name_rule(rt)(name)]
    if not errs and rt.key == "batch/cronjobs" and len(name) > 52:
        errs.append(_invalid("metadata.name", name, "must be no more than 52 characters"))
    return errs


_ANNOTATIONS_MAX = 256 * 1024


def validate_meta(meta: dict[str, Any], path: str = "metadata") -> list[FieldError]:
    """Labels and annotations: keys are qualified names, label values valid, the
    annotations' total size at most 256 KiB.

    Example::

        validate_meta({"labels": {"a": "b c"}})   # one FieldValueInvalid
    """
    errs: list[FieldError] = []
    labels = meta.get("labels")
    if isinstance(labels, dict):
        for k, v in labels.items():
            errs.extend(_invalid(f"{path}.labels", k, e) for e in qualified_name(str(k)))
            if isinstance(v, str):
                errs.extend(_invalid(f"{path}.labels", v, e) for e in label_value(v))
    ann = meta.get("annotations")
    if isinstance(ann, dict):
        total = 0
        for k, v in ann.items():
            errs.extend(_invalid(f"{path}.annotations", k, e)
                        for e in qualified_name(str(k).lower()))
            total += len(str(k)) + len(str(v))
        if total > _ANNOTATIONS_MAX:
            errs.append(FieldError(CauseType.TOO_LONG, f"{path}.annotations",
                                   f"must have at most {_ANNOTATIONS_MAX} bytes"))
    return errs


_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_PROTOCOLS = ("SCTP", "TCP", "UDP")
_RESTART = ("Always", "OnFailure", "Never")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")


def _port_range(path: str, value: Any) -> list[FieldError]:
    if not isinstance(value, int) or not 1 <= value <= 65535:
        return [_invalid(path, value, "must be between 1 and 65535, inclusive")]
    return []


def _containers(spec: dict[str, Any], path: str, key: str, names: set[str]
                ) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, c in enumerate(spec.get(key) or []):
        if not isinstance(c, dict):
            continue
        cp = f"{path}.{key}[{i}]"
        name = c.get("name")
        if not name:
            errs.append(_required(f"{cp}.name"))
        else:
            errs.extend(_invalid(f"{cp}.name", name, e) for e in dns1123_label(str(name)))
            if name in names:
                errs.append(FieldError(CauseType.DUPLICATE, f"{cp}.name", "", name, True))
            names.add(str(name))
        if not c.get("image") and key != "ephemeralContainers":
            errs.append(_required(f"{cp}.image"))
        pol = c.get("imagePullPolicy")
        if pol is not None and pol not in _PULL_POLICIES:
            errs.append(_unsupported(f"{cp}.imagePullPolicy", pol, _PULL_POLICIES))
        for j, port in enumerate(c.get("ports") or []):
            if not isinstance(port, dict):
                continue
            pp = f"{cp}.ports[{j}]"
            if "containerPort" not in port or port.get("containerPort") == 0:
                errs.append(_required(f"{pp}.containerPort"))
            else:
                errs.extend(_port_range(f"{pp}.containerPort", port["containerPort"]))
            proto = port.get("protocol")
            if proto is not None and proto not in _PROTOCOLS:
                errs.append(_unsupported(f"{pp}.protocol", proto, _PROTOCOLS))
    return errs


def validate_pod_spec(spec: Any, path: str, restart: tuple[str, ...] = _RESTART
                      ) -> list[FieldError]:
    """A PodSpec (a Pod's, or a template's with the restart policies it allows).

    Example::

        validate_pod_spec({}, "spec")   # [spec.containers: Required value]
    """
    if not isinstance(spec, dict):
        return [_required(path)]
    errs: list[FieldError] = []
    if not spec.get("containers"):
        errs.append(_required(f"{path}.containers"))
    names: set[str] = set()
    errs.extend(_containers(spec, path, "containers", names))
    errs.extend(_containers(spec, path, "initContainers", names))
    rp = spec.get("restartPolicy")
    if rp is not None and rp not in restart:
        errs.append(_unsupported(f"{path}.restartPolicy", rp, restart))
    dp = spec.get("dnsPolicy")
    if dp is not None and dp not in _DNS_POLICIES:
        errs.append(_unsupported(f"{path}.dnsPolicy", dp, _DNS_POLICIES))
    vols: set[str] = set()
    for i, v in enumerate(spec.get("volumes") or []):
        if isinstance(v, dict):
            name = v.get("name")
            if not name:
                errs.append(_required(f"{path}.volumes[{i}].name"))
            elif name in vols:
                errs.append(FieldError(CauseType.DUPLICATE, f"{path}.volumes[{i}].name", "",
                                       name, True))
            else:
                errs.extend(_invalid(f"{path}.volumes[{i}].name", name, e)
                            for e in dns1123_label(str(name)))
                vols.add(str(name))
    return errs


def _go_map(labels: dict[str, Any]) -> str:
    inner = ", ".join(f"{go_quote(k)}:{go_quote(v)}" for k, v in sorted(labels.items()))
    return "map[string]string{" + inner + "}"


def _selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for req in selector.get("matchExpressions") or []:
        if not isinstance(req, dict):
            return False
        key, op, values = str(req.get("key")), req.get("operator"), req.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _template(spec: dict[str, Any], path: str, restart: tuple[str, ...],
              selector_required: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    selector = spec.get("selector")
    template = spec.get("template")
    if selector_required and not isinstance(selector, dict):
        errs.append(_required(f"{path}.selector"))
    elif isinstance(selector, dict) and selector_required and not (
            selector.get("matchLabels") or selector.get("matchExpressions")):
        errs.append(_invalid(f"{path}.selector", selector, "empty selector is invalid for "
                             "deployment"))
    if not isinstance(template, dict):
        errs.append(_required(f"{path}.template"))
        return errs
    tmeta = template.get("metadata") or {}
    labels = tmeta.get("labels") or {} if isinstance(tmeta, dict) else {}
    if isinstance(tmeta, dict):
        errs.extend(validate_meta(tmeta, f"{path}.template.metadata"))
    if isinstance(selector, dict) and (selector.get("matchLabels")
                                       or selector.get("matchExpressions")) \
            and not _selector_matches(selector, labels):
        errs.append(_invalid(f"{path}.template.metadata.labels", GoValue(_go_map(labels)),
                             "`selector` does not match template `labels`"))
    errs.extend(validate_pod_spec(template.get("spec"), f"{path}.template.spec", restart))
    return errs


def _non_negative(spec: dict[str, Any], path: str, *fields: str) -> list[FieldError]:
    out = []
    for f in fields:
        v = spec.get(f)
        if isinstance(v, int) and v < 0:
            out.append(_invalid(f"{path}.{f}", v, "must be greater than or equal to 0"))
    return out


def _spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else None


def _workload(obj: dict[str, Any], restart: tuple[str, ...] = ("Always",)) -> list[FieldError]:
    spec = _spec(obj)
    if spec is None:
        return [_required("spec.selector"), _required("spec.template")]
    return _non_negative(spec, "spec", "replicas", "minReadySeconds", "revisionHistoryLimit") \
        + _template(spec, "spec", restart, True)


def _job_spec(spec: Any, path: str) -> list[FieldError]:
    if not isinstance(spec, dict):
        return [_required(f"{path}.template")]
    errs = _non_negative(spec, path, "parallelism", "completions", "backoffLimit",
                         "activeDeadlineSeconds")
    return errs + _template(spec, path, ("OnFailure", "Never"), False)


def _job(obj: dict[str, Any]) -> list[FieldError]:
    return _job_spec(obj.get("spec"), "spec")


def _cronjob(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj) or {}
    errs = []
    if not spec.get("schedule"):
        errs.append(_required("spec.schedule"))
    cp = spec.get("concurrencyPolicy")
    if cp is not None and cp not in ("Allow", "Forbid", "Replace"):
        errs.append(_unsupported("spec.concurrencyPolicy", cp, ("Allow", "Forbid", "Replace")))
    jt = spec.get("jobTemplate")
    if not isinstance(jt, dict):
        errs.append(_required("spec.jobTemplate"))
    else:
        errs.extend(_job_spec(jt.get("spec"), "spec.jobTemplate.spec"))
    return errs


def _pod(obj: dict[str, Any]) -> list[FieldError]:
    return validate_pod_spec(obj.get("spec"), "spec")


_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")


def _service(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj) or {}
    errs: list[FieldError] = []
    stype = spec.get("type", "ClusterIP")
    if stype not in _SERVICE_TYPES:
        errs.append(_unsupported("spec.type", stype, _SERVICE_TYPES))
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and stype != "ExternalName" and not headless:
        errs.append(_required("spec.ports"))
    if stype == "ExternalName" and not spec.get("externalName"):
        errs.append(_required("spec.externalName"))
    names: set[str] = set()
    for i, p in enumerate(ports):
        if not isinstance(p, dict):
            continue
        pp = f"spec.ports[{i}]"
        name = p.get("name")
        if len(ports) > 1 and not name:
            errs.append(_required(f"{pp}.name"))
        elif name:
            errs.extend(_invalid(f"{pp}.name", name, e) for e in dns1123_label(str(name)))
            if name in names:
                errs.append(FieldError(CauseType.DUPLICATE, f"{pp}.name", "", name, True))
            names.add(str(name))
        if "port" not in p:
            errs.append(_required(f"{pp}.port"))
        else:
            errs.extend(_port_range(f"{pp}.port", p["port"]))
        proto = p.get("protocol")
        if proto is not None and proto not in _PROTOCOLS:
            errs.append(_unsupported(f"{pp}.protocol", proto, _PROTOCOLS))
    aff = spec.get("sessionAffinity")
    if aff is not None and aff not in ("ClientIP", "None"):
        errs.append(_unsupported("spec.sessionAffinity", aff, ("ClientIP", "None")))
    return errs


def _data_keys(obj: dict[str, Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for f in ("data", "binaryData", "stringData"):
        d = obj.get(f)
        if not isinstance(d, dict):
            continue
        for k in d:
            errs.extend(_invalid(f"{f}[{k}]", k, e) for e in config_key(str(k)))
            if f == "binaryData" and k in seen:
                errs.append(_invalid(f"data[{k}]", k, "duplicate of key present in binaryData"))
            seen.add(str(k))
    return errs


def _pvc(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj) or {}
    errs: list[FieldError] = []
    if not spec.get("accessModes"):
        errs.append(_required("spec.accessModes", "at least 1 access mode is required"))
    modes = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
    for m in spec.get("accessModes") or []:
        if m not in modes:
            errs.append(_unsupported("spec.accessModes", m, modes))
    requests = (spec.get("resources") or {}).get("requests") or {}
    if "storage" not in requests:
        errs.append(_required("spec.resources[storage]"))
    return errs


def _ingress(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj) or {}
    errs: list[FieldError] = []
    for i, rule in enumerate(spec.get("rules") or []):
        paths = ((rule or {}).get("http") or {}).get("paths") if isinstance(rule, dict) else None
        for j, p in enumerate(paths or []):
            if not isinstance(p, dict):
                continue
            pp = f"spec.rules[{i}].http.paths[{j}]"
            pt = p.get("pathType")
            if pt is None:
                errs.append(_required(f"{pp}.pathType", "pathType must be specified"))
            elif pt not in ("Exact", "ImplementationSpecific", "Prefix"):
                errs.append(_unsupported(f"{pp}.pathType", pt,
                                         ("Exact", "ImplementationSpecific", "Prefix")))
            if not p.get("backend"):
                errs.append(_required(f"{pp}.backend"))
    return errs


def _lease(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj) or {}
    v = spec.get("leaseDurationSeconds")
    if isinstance(v, int) and v <= 0:
        return [_invalid("spec.leaseDurationSeconds", v, "must be greater than 0")]
    return []


def _rbac_rules(obj: dict[str, Any]) -> list[FieldError]:
    errs = []
    for i, rule in enumerate(obj.get("rules") or []):
        if isinstance(rule, dict) and not rule.get("verbs"):
            errs.append(_required(f"rules[{i}].verbs", "verbs must contain at least one value"))
    return errs


def _rbac_binding(obj: dict[str, Any]) -> list[FieldError]:
    errs = []
    ref = obj.get("roleRef")
    if not isinstance(ref, dict):
        ref = {}
    kinds = ("Role", "ClusterRole") if obj.get("kind") == "RoleBinding" else ("ClusterRole",)
    if ref.get("apiGroup") != "rbac.authorization.k8s.io":
        errs.append(_unsupported("roleRef.apiGroup", ref.get("apiGroup", ""),
                                 ("rbac.authorization.k8s.io",)))
    if ref.get("kind") not in kinds:
        errs.append(_unsupported("roleRef.kind", ref.get("kind", ""), kinds))
    if not ref.get("name"):
        errs.append(_required("roleRef.name"))
    for i, s in enumerate(obj.get("subjects") or []):
        if isinstance(s, dict):
            if not s.get("name"):
                errs.append(_required(f"subjects[{i}].name"))
            if s.get("kind") not in ("Group", "ServiceAccount", "User"):
                errs.append(_unsupported(f"subjects[{i}].kind", s.get("kind", ""),
                                         ("Group", "ServiceAccount", "User")))
    return errs


_RULES: dict[str, Callable[[dict[str, Any]], list[FieldError]]] = {
    "/pods": _pod,
    "/services": _service,
    "/configmaps": _data_keys,
    "/secrets": _data_keys,
    "/persistentvolumeclaims": _pvc,
    "/replicationcontrollers": lambda o: _non_negative(_spec(o) or {}, "spec", "replicas")
    + (_template(_spec(o) or {}, "spec", ("Always",), False) if _spec(o) else []),
    "apps/deployments": _workload,
    "apps/replicasets": _workload,
    "apps/statefulsets": _workload,
    "apps/daemonsets": _workload,
    "batch/jobs": _job,
    "batch/cronjobs": _cronjob,
    "networking.k8s.io/ingresses": _ingress,
    "coordination.k8s.io/leases": _lease,
    "rbac.authorization.k8s.io/roles": _rbac_rules,
    "rbac.authorization.k8s.io/clusterroles": _rbac_rules,
    "rbac.authorization.k8s.io/rolebindings": _rbac_binding,
    "rbac.authorization.k8s.io/clusterrolebindings": _rbac_binding,
}

# Fields a real server refuses to change on update: (key, dotted path).
_IMMUTABLE: dict[str, tuple[str, ...]] = {
    "apps/deployments": ("spec.selector",),
    "apps/replicasets": ("spec.selector",),
    "apps/statefulsets": ("spec.selector",),
    "apps/daemonsets": ("spec.selector",),
    "batch/jobs": ("spec.selector", "spec.template", "spec.completions"),
    "rbac.authorization.k8s.io/rolebindings": ("roleRef",),
    "rbac.authorization.k8s.io/clusterrolebindings": ("roleRef",),
}


_POD_UPDATABLE = ",".join((
    "`spec.containers[*].image`", "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
    "negative)"))


def _pod_update(old: dict[str, Any], new: dict[str, Any]) -> list[FieldError]:
    """A Pod's spec may change only in the fields a real server lets change (and
    ``nodeName`` once, from empty: what a binding does)."""
    before = old.get("spec") if isinstance(old.get("spec"), dict) else {}
    after = new.get("spec") if isinstance(new.get("spec"), dict) else {}
    assert isinstance(before, dict) and isinstance(after, dict)
    munged = dict(after)
    for key in ("containers", "initContainers"):
        olds, news = before.get(key) or [], after.get(key) or []
        if key in after and isinstance(olds, list) and isinstance(news, list) \
                and len(olds) == len(news):
            munged[key] = [
                {**n, "image": o.get("image")} if isinstance(n, dict) and isinstance(o, dict)
                else n for o, n in zip(olds, news, strict=True)]
    for key in ("activeDeadlineSeconds", "terminationGracePeriodSeconds",
                "ephemeralContainers"):
        munged.pop(key, None)
    base = {k: v for k, v in before.items() if k not in (
        "activeDeadlineSeconds", "terminationGracePeriodSeconds", "ephemeralContainers")}
    old_tols, new_tols = before.get("tolerations") or [], after.get("tolerations") or []
    if isinstance(new_tols, list) and all(t in new_tols for t in old_tols):
        munged["tolerations"] = before.get("tolerations")
        if "tolerations" not in before:
            munged.pop("tolerations", None)
    old_gates, new_gates = before.get("schedulingGates") or [], after.get(
        "schedulingGates") or []
    if isinstance(new_gates, list) and all(g in old_gates for g in new_gates):
        munged["schedulingGates"] = before.get("schedulingGates")
        if "schedulingGates" not in before:
            munged.pop("schedulingGates", None)
    if not before.get("nodeName"):
        munged.pop("nodeName", None)
        base.pop("nodeName", None)
    if munged != base:
        return [FieldError(CauseType.FORBIDDEN, "spec",
                           f"pod updates may not change fields other than {_POD_UPDATABLE}")]
    return []


def _dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def same_body(obj: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether everything outside ``metadata`` and ``status`` is unchanged.

    Example::

        same_body({"spec": {"a": 1}, "status": {}}, {"spec": {"a": 1}})   # True
    """
    keys = (set(obj) | set(old)) - {"metadata", "status", "apiVersion", "kind"}
    return all(obj.get(k) == old.get(k) for k in keys)


def validate_object(rt: ResourceType, obj: dict[str, Any],
                    old: dict[str, Any] | None = None) -> list[FieldError]:
    """The kind's rules on ``obj`` (after defaulting); on update, ``old`` too
    (immutable fields). Names are checked separately (:func:`validate_name`).

    Example::

        validate_object(pods, {"metadata": {"name": "p"}, "spec": {}})
        # [FieldError(FieldValueRequired, "spec.containers")]
    """
    meta = obj.get("metadata") or {}
    old_meta = (old or {}).get("metadata") or {}
    errs: list[FieldError] = []
    # What was valid when stored is valid now: unchanged parts are not rechecked.
    if old is None or meta.get("labels") != old_meta.get("labels") \
            or meta.get("annotations") != old_meta.get("annotations"):
        errs.extend(validate_meta(meta))
    if old is not None and same_body(obj, old):
        return errs
    rule = _RULES.get(rt.key)
    if rule is not None:
        errs.extend(rule(obj))
    if old is not None:
        if rt.key == "/pods":
            errs.extend(_pod_update(old, obj))
        for path in _IMMUTABLE.get(rt.key, ()):
            before, after = _dig(old, path), _dig(obj, path)
            if before is not None and before != after:
                detail = "cannot change roleRef" if path == "roleRef" else "field is immutable"
                errs.append(_invalid(path, GoValue(_go_value(after)), detail))
    return errs


def _go_value(value: Any) -> str:
    if isinstance(value, dict) and set(value) <= {"matchLabels", "matchExpressions"}:
        ml = value.get("matchLabels")
        inner = _go_map(ml) if ml else "map[string]string(nil)"
        return (f"v1.LabelSelector{{MatchLabels:{inner}, "
                "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}")
    return go_quote(value)
