"""The Kubernetes 1.32 OpenAPI definitions and built-in resource table, shipped as
package data (``data/k8s-1.32.json.gz``, made by ``tests/apiserver/make_builtin_data.py``),
loaded once on first use, and compiled into :class:`Node` trees for validation and
pruning.

The definitions keep the JSON Schema form they are generated from: a reference is
``{"$ref": "#/$defs/NAME"}``; types are single OpenAPI types (``"string"``),
``IntOrString``/``Quantity`` are ``oneOf`` of two types.

Example::

    defs = load()
    name = defs.kind_definition("apps", "v1", "Deployment")   # "io.k8s.api.apps.v1.Deployment"
    node = defs.node(name)
    node.field("spec").field("replicas").type                  # "integer"
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

DATA_FILE = "data/k8s-1.32.json.gz"
REF_PREFIX = "#/$defs/"


@dataclass(frozen=True)
class BuiltinSubresource:
    """A subresource of a built-in resource (``status``, ``scale``, ``log``...).

    Example::

        BuiltinSubresource("scale", ("get", "patch", "update"), "Scale")
    """

    name: str
    verbs: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class BuiltinResource:
    """One group/version/resource a Kubernetes 1.32 API server serves by default.

    Example::

        BuiltinResource("apps", "v1", "deployments", "Deployment", True,
                        ("create", "get"), "io.k8s.api.apps.v1.Deployment", ())
    """

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    definition: str
    subresources: tuple[BuiltinSubresource, ...]


class Node:
    """One schema position, compiled for fast walking: its ``type``, its
    ``properties`` (each a :class:`Node`), the ``items`` / ``additional`` node of
    a list / map, and whether unknown fields are kept (``preserve``).

    ``type`` is None when the schema allows anything (``RawExtension``, an
    untyped CRD field); ``int_or_string`` marks ``IntOrString``/``Quantity``.

    Example::

        node.field("metadata").field("labels").additional.type   # "string"
    """

    __slots__ = ("additional", "default", "embedded", "enum", "format", "has_default",
                 "int_or_string", "items", "name", "nullable", "preserve", "properties", "raw",
                 "required", "type")

    def __init__(self, name: str = "") -> None:
        self.name = name  # the definition name, for named nodes
        self.format = ""
        self.type: str | None = None
        self.properties: dict[str, Node] | None = None
        self.items: Node | None = None
        self.additional: Node | None = None
        self.preserve = False
        self.int_or_string = False
        self.nullable = False
        self.embedded = False
        self.required: tuple[str, ...] = ()
        self.enum: tuple[Any, ...] = ()
        self.raw: Mapping[str, Any] = {}
        self.has_default = False  # a CRD schema's ``default`` (applied when absent)
        self.default: Any = None

    def field(self, name: str) -> Node | None:
        """The node of property ``name`` (None if the schema does not declare it)."""
        return None if self.properties is None else self.properties.get(name)

    def __repr__(self) -> str:
        props = sorted(self.properties) if self.properties else []
        return f"Node(type={self.type!r}, properties={props[:6]!r})"


class Compiler:
    """Builds :class:`Node` trees from schema dicts, resolving ``$ref`` against
    ``definitions``; a named definition is compiled once (recursive types such as
    ``JSONSchemaProps`` become cycles of nodes).

    Example::

        Compiler({}).compile({"type": "object", "properties": {"a": {"type": "integer"}}})
    """

    def __init__(self, definitions: Mapping[str, Mapping[str, Any]],
                 *, free_form: bool = True) -> None:
        self.definitions = definitions
        # Built-in types: an object with neither properties nor additionalProperties
        # (FieldsV1, RawExtension) keeps everything. A CRD's structural schema prunes it.
        self.free_form = free_form
        self._named: dict[str, Node] = {}
        self._lock = threading.RLock()

    def named(self, name: str) -> Node:
        """The node of definition ``name`` (KeyError if unknown)."""
        with self._lock:
            node = self._named.get(name)
            if node is None:
                node = Node(name)
                self._named[name] = node  # before filling: recursion ends here
                self._fill(node, self.definitions[name])
            return node

    def compile(self, schema: Mapping[str, Any]) -> Node:
        """Compile an anonymous schema (a CRD's ``openAPIV3Schema``)."""
        with self._lock:
            return self._node(schema)

    def _node(self, schema: Mapping[str, Any]) -> Node:
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            return self.named(ref[len(REF_PREFIX):])
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict) \
                and "$ref" in all_of[0]:
            return self._node(all_of[0])
        node = Node()
        self._fill(node, schema)
        return node

    def _fill(self, node: Node, schema: Mapping[str, Any]) -> None:
        node.raw = schema
        t = schema.get("type")
        node.type = t if isinstance(t, str) else None
        fmt = schema.get("format")
        node.format = fmt if isinstance(fmt, str) else ""
        one_of = schema.get("oneOf") or schema.get("anyOf")
        if schema.get("x-kubernetes-int-or-string") or (
            isinstance(one_of, list) and {o.get("type") for o in one_of if isinstance(o, dict)}
            >= {"string"} and len(one_of) == 2
        ):
            node.int_or_string, node.type = True, None
        node.preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        if "default" in schema and not self.free_form:
            node.has_default, node.default = True, schema["default"]
        node.nullable = bool(schema.get("nullable"))
        node.embedded = bool(schema.get("x-kubernetes-embedded-resource"))
        req = schema.get("required")
        node.required = tuple(str(r) for r in req) if isinstance(req, list) else ()
        enum = schema.get("enum")
        node.enum = tuple(enum) if isinstance(enum, list) else ()
        props = schema.get("properties")
        if isinstance(props, dict):
            node.properties = {k: self._node(v) for k, v in props.items()
                               if isinstance(v, dict)}
            if node.type is None:
                node.type = "object"
        items = schema.get("items")
        if isinstance(items, dict):
            node.items = self._node(items)
        add = schema.get("additionalProperties")
        if isinstance(add, dict):
            node.additional = self._node(add)
        elif add is True:
            node.additional = Node()
        if self.free_form and node.type in ("object", None) and node.properties is None \
                and node.additional is None and node.items is None:
            node.preserve = True


class Definitions:
    """The loaded package data: definitions by name and the built-in resources.

    Example::

        load().kind_definition("", "v1", "Pod")    # "io.k8s.api.core.v1.Pod"
    """

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.source: str = str(doc.get("source", ""))
        self.definitions: dict[str, dict[str, Any]] = dict(doc["definitions"])
        self.resources: tuple[BuiltinResource, ...] = tuple(
            BuiltinResource(
                r["group"], r["version"], r["plural"], r["kind"], bool(r["namespaced"]),
                tuple(r["verbs"]), r["definition"],
                tuple(BuiltinSubresource(n, tuple(s["verbs"]), s["kind"])
                      for n, s in r["subresources"].items()))
            for r in doc["resources"])
        self._gvk: dict[tuple[str, str, str], str] = {}
        for name, d in self.definitions.items():
            for g in d.get("x-kubernetes-group-version-kind") or []:
                self._gvk[(g["group"], g["version"], g["kind"])] = name
        self.compiler = Compiler(self.definitions)

    def kind_definition(self, group: str, version: str, kind: str) -> str | None:
        """The definition name of a group/version/kind, or None."""
        return self._gvk.get((group, version, kind))

    def kind_schema(self, group: str, version: str, kind: str) -> dict[str, Any] | None:
        """The definition dict of a group/version/kind, or None."""
        name = self._gvk.get((group, version, kind))
        return None if name is None else self.definitions[name]

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        """``schema`` with a ``$ref`` (or a one-element ``allOf`` of one) followed."""
        for _ in range(8):
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                schema = self.definitions[ref[len(REF_PREFIX):]]
                continue
            all_of = schema.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
                schema = all_of[0]
                continue
            break
        return schema

    def node(self, name: str) -> Node:
        """The compiled node of definition ``name``."""
        return self.compiler.named(name)

    def kind_node(self, group: str, version: str, kind: str) -> Node | None:
        """The compiled node of a group/version/kind, or None."""
        name = self._gvk.get((group, version, kind))
        return None if name is None else self.compiler.named(name)


@functools.lru_cache(maxsize=1)
def load() -> Definitions:
    """The package data, read and decompressed once (about 0.1 s).

    Example::

        len(load().resources)     # 59
    """
    data = resources.files("hybridwait.testing.apiserver").joinpath(DATA_FILE)
    with data.open("rb") as f:
        doc = json.loads(gzip.decompress(f.read()))
    return Definitions(doc)
