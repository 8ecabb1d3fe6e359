"""The resource table: built-in types, CRD-served types and discovery documents.

A :class:`ResourceType` names one REST resource (``pods``, ``deployments.apps``,
a custom resource) with the versions it is served at. The :class:`Registry` is
copy-on-write, so readers never lock.

Example::

    reg = Registry()
    rt = reg.lookup("apps", "v1", "deployments")
    rt.kind, rt.namespaced                    # ("Deployment", True)
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from hybridwait.testing.apiserver.schema import Compiler, Node

VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


class Subresource(NamedTuple):
    """A subresource (``status``, ``scale``, ``log``...): its verbs and the kind it
    takes, with the group/version of that kind when it is another's (``Scale`` is
    ``autoscaling/v1``); empty means the resource's own.

    Example::

        Subresource("scale", ("get", "patch", "update"), "Scale", "autoscaling", "v1")
    """

    name: str
    verbs: tuple[str, ...]
    kind: str
    group: str = ""
    version: str = ""


@dataclass(frozen=True)
class PrinterColumn:
    """A Table column: ``name`` and a simple dotted ``json_path`` (``.spec.x``).

    Example::

        PrinterColumn("Size", "integer", ".spec.size")
    """

    name: str
    type: str
    json_path: str
    priority: int = 0  # 1: shown by ``kubectl get -o wide`` only


@dataclass(frozen=True)
class ResourceType:
    """One REST resource served by the emulator.

    Example::

        ResourceType("apps", ("v1",), "deployments", "deployment", "Deployment",
                     True, ("deploy",), has_status=True)
    """

    group: str
    versions: tuple[str, ...]
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    has_status: bool = False
    categories: tuple[str, ...] = ()
    columns: tuple[PrinterColumn, ...] = ()
    crd: bool = False
    list_kind: str = field(default="")
    verbs: tuple[str, ...] = VERBS
    subresources: tuple[Subresource, ...] = ()
    #: A CRD's compiled structural schema per version (validation and pruning).
    schemas: tuple[tuple[str, Node], ...] = field(default=(), compare=False, repr=False)

    def subresource(self, name: str) -> Subresource | None:
        """The subresource ``name`` if served (``status`` when ``has_status``)."""
        for s in self.subresources:
            if s.name == name:
                return s
        if name == "status" and self.has_status:
            return Subresource("status", ("get", "patch", "update"), self.kind)
        return None

    def schema(self, version: str) -> Node | None:
        """A CRD's compiled schema for ``version`` (None for built-ins or no schema)."""
        for v, node in self.schemas:
            if v == version:
                return node
        return None

    @property
    def key(self) -> str:
        """Storage key, shared by every version: ``"apps/deployments"``, ``"/pods"``."""
        return f"{self.group}/{self.plural}"

    @property
    def qualified(self) -> str:
        """``deployments.apps`` (``pods`` for the core group), as in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def api_version(self, version: str) -> str:
        """``apps/v1`` or ``v1``."""
        return f"{self.group}/{version}" if self.group else version


CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions"
NAMESPACE_KEY = "/namespaces"


def types_from_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource a CRD object serves (one type, all its served versions).

    Example::

        types_from_crd(widget_crd)[0].qualified   # "widgets.example.com"
    """
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not versions:
        return []
    # Storage version first: it is the preferred version in discovery.
    versions.sort(key=lambda v: (not v.get("storage", False)))
    has_status = any("status" in (v.get("subresources") or {}) for v in versions)
    cols: list[PrinterColumn] = []
    for c in versions[0].get("additionalPrinterColumns") or []:
        if isinstance(c, dict) and c.get("name") and c.get("jsonPath"):
            priority = c.get("priority")
            cols.append(PrinterColumn(str(c["name"]), str(c.get("type", "string")),
                                      str(c["jsonPath"]),
                                      priority if isinstance(priority, int) else 0))
    plural = str(names.get("plural", ""))
    kind = str(names.get("kind", ""))
    schemas = []
    compiler = Compiler({}, free_form=False)
    for v in versions:
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        if isinstance(schema, dict):
            # Every object has apiVersion, kind and metadata, whatever the schema says.
            props = dict(schema.get("properties") or {})
            props.update(apiVersion={"type": "string"}, kind={"type": "string"},
                         metadata={"type": "object", "x-kubernetes-preserve-unknown-fields": True})
            schemas.append((str(v["name"]), compiler.compile({**schema, "properties": props})))
    subs = [Subresource("status", ("get", "patch", "update"), kind)] if has_status else []
    if any("scale" in (v.get("subresources") or {}) for v in versions):
        subs.append(Subresource("scale", ("get", "patch", "update"), "Scale", "autoscaling",
                                "v1"))
    return [ResourceType(
        group=str(spec.get("group", "")),
        versions=tuple(str(v["name"]) for v in versions),
        plural=plural,
        singular=str(names.get("singular") or kind.lower()),
        kind=kind,
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(str(s) for s in names.get("shortNames") or []),
        has_status=has_status,
        categories=tuple(str(s) for s in names.get("categories") or []),
        columns=tuple(cols),
        crd=True,
        list_kind=str(names.get("listKind") or kind + "List"),
        subresources=tuple(subs),
        schemas=tuple(schemas),
    )]


class Registry:
    """Every served resource type, by (group, version, plural). Copy-on-write.

    Example::

        reg = Registry()
        reg.lookup("", "v1", "pods").kind   # "Pod"
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, ResourceType] = {}
        self._index: dict[tuple[str, str, str], ResourceType] = {}
        self._crd_owned: dict[str, str] = {}  # crd name -> storage key
        # Changes whenever the set of served types does; unique per registry, so a
        # client's cache keyed by it never mixes two servers that shared a port.
        self._salt = uuid.uuid4().int & 0xFFFFFFFF
        self._generation = 0
        self.reset()

    def reset(self) -> None:
        """Forget every CRD-served type."""
        with self._lock:
            self._by_key = {}
            self._crd_owned = {}
            # Imported here: builtin.py builds ResourceType objects from this module.
            from hybridwait.testing.apiserver.builtin import builtin_types

            self._rebuild(builtin_types())

    @property
    def schema_hash(self) -> str:
        """A 16-hex-digit tag of the served types (the OpenAPI documents' ``hash``):
        it changes when a CRD is added, changed or removed, not on other writes.

        Example::

            Registry().schema_hash    # e.g. "5F3A09C100000001"
        """
        return f"{self._salt:08X}{self._generation:08X}"

    def _rebuild(self, types: Iterable[ResourceType]) -> None:
        self._generation += 1
        by_key = dict(self._by_key)
        for t in types:
            by_key[t.key] = t
        index = {(t.group, v, t.plural): t for t in by_key.values() for v in t.versions}
        self._by_key, self._index = by_key, index

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at ``/apis/group/version/plural`` (or ``/api/v1/plural``)."""
        return self._index.get((group, version, plural))

    def by_key(self, key: str) -> ResourceType | None:
        """The type stored under ``key`` (``ResourceType.key``)."""
        return self._by_key.get(key)

    def all(self) -> list[ResourceType]:
        """Every served type."""
        return list(self._by_key.values())

    def register_crd(self, crd: dict[str, Any]) -> list[ResourceType]:
        """Serve the resource ``crd`` defines (replacing an earlier definition)."""
        name = str((crd.get("metadata") or {}).get("name", ""))
        types = types_from_crd(crd)
        with self._lock:
            old = self._crd_owned.pop(name, None)
            if old is not None:
                self._by_key = {k: v for k, v in self._by_key.items() if k != old}
            for t in types:
                self._crd_owned[name] = t.key
            self._rebuild(types)
        return types

    def unregister_crd(self, name: str) -> str | None:
        """Stop serving the resource of CRD ``name``; return its storage key."""
        with self._lock:
            key = self._crd_owned.pop(name, None)
            if key is not None:
                self._by_key = {k: v for k, v in self._by_key.items() if k != key}
                self._rebuild(())
            return key

    # -- discovery documents -------------------------------------------------
    def groups(self) -> dict[str, list[str]]:
        """``{group: [versions, preferred first]}`` for every non-core group."""
        out: dict[str, list[str]] = {}
        for t in self._by_key.values():
            if not t.group:
                continue
            vs = out.setdefault(t.group, [])
            for v in t.versions:
                if v not in vs:
                    vs.append(v)
        return out

    def api_group_list(self) -> dict[str, Any]:
        """The ``/apis`` ``APIGroupList`` document."""
        return {"kind": "APIGroupList", "apiVersion": "v1",
                "groups": [self._group_doc(g, vs) for g, vs in sorted(self.groups().items())]}

    def api_group(self, group: str) -> dict[str, Any] | None:
        """The ``/apis/GROUP`` ``APIGroup`` document, or None if not served."""
        vs = self.groups().get(group)
        if not vs:
            return None
        doc = self._group_doc(group, vs)
        doc.update({"kind": "APIGroup", "apiVersion": "v1"})
        return doc

    @staticmethod
    def _group_doc(group: str, versions: list[str]) -> dict[str, Any]:
        gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}

    def aggregated(self, core: bool) -> dict[str, Any]:
        """The aggregated discovery document (``apidiscovery.k8s.io/v2``
        ``APIGroupDiscoveryList``) kubectl 1.32 asks ``/api`` (``core``) or
        ``/apis`` for first: every group, version and resource in one response."""
        groups = {"": ["v1"]} if core else dict(sorted(self.groups().items()))
        items = []
        for group, versions in groups.items():
            meta: dict[str, Any] = {"creationTimestamp": None}
            if group:
                meta = {"name": group, "creationTimestamp": None}
            vdocs = [{"version": v, "resources": self._aggregated_resources(group, v),
                      "freshness": "Current"} for v in versions]
            items.append({"metadata": meta, "versions": vdocs})
        return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
                "metadata": {}, "items": items}

    def _aggregated_resources(self, group: str, version: str) -> list[dict[str, Any]]:
        out = []
        for t in sorted(self._by_key.values(), key=lambda t: t.plural):
            if t.group != group or version not in t.versions:
                continue
            doc: dict[str, Any] = {
                "resource": t.plural,
                "responseKind": {"group": "", "version": "", "kind": t.kind},
                "scope": "Namespaced" if t.namespaced else "Cluster",
                "singularResource": t.singular, "verbs": list(t.verbs)}
            if t.short_names:
                doc["shortNames"] = list(t.short_names)
            if t.categories:
                doc["categories"] = list(t.categories)
            subs = t.subresources or ((t.subresource("status"),) if t.has_status else ())
            sub_docs = [{"subresource": s.name,
                         "responseKind": {"group": s.group, "version": s.version,
                                          "kind": s.kind},
                         "verbs": list(s.verbs)} for s in subs if s is not None]
            if sub_docs:
                doc["subresources"] = sub_docs
            out.append(doc)
        return out

    def resource_list(self, group: str, version: str) -> dict[str, Any] | None:
        """The ``APIResourceList`` for one group/version, or None if not served."""
        resources: list[dict[str, Any]] = []
        for t in sorted(self._by_key.values(), key=lambda t: t.plural):
            if t.group != group or version not in t.versions:
                continue
            entry: dict[str, Any] = {
                "name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                "kind": t.kind, "verbs": list(t.verbs),
            }
            if t.short_names:
                entry["shortNames"] = list(t.short_names)
            if t.categories:
                entry["categories"] = list(t.categories)
            resources.append(entry)
            subs = t.subresources or ((t.subresource("status"),) if t.has_status else ())
            for sub in subs:
                if sub is None:
                    continue
                doc: dict[str, Any] = {"name": f"{t.plural}/{sub.name}", "singularName": "",
                                       "namespaced": t.namespaced}
                if sub.group or sub.version:
                    doc.update({"group": sub.group, "version": sub.version})
                doc.update({"kind": sub.kind, "verbs": list(sub.verbs)})
                resources.append(doc)
        if not resources:
            return None
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}
