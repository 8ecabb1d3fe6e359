"""Strategic merge patch (``application/strategic-merge-patch+json``) as a real
API server applies it to built-in types: lists are merged by the key and
strategy the OpenAPI schema declares (``x-kubernetes-patch-merge-key``,
``x-kubernetes-patch-strategy``: ``merge``, ``replace``, ``retainKeys``), with
the directives ``$patch`` (``replace``, ``delete``, ``merge``), ``$retainKeys``,
``$deleteFromPrimitiveList/<field>`` and ``$setElementOrder/<field>``; ``null``
deletes a key. Lists the schema gives no merge strategy are replaced whole.

The schema comes in JSON Schema form (``$ref`` to ``#/$defs/NAME``,
``properties``, ``items``, ``additionalProperties``), as the Kubernetes 1.32
definitions are shipped; :class:`SchemaNode` walks it.

Example::

    node = builtin_schema("apps", "v1", "Deployment")
    strategic_merge(deployment, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:2"}]}}}}, node)   # other containers kept
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import Enum
from typing import Any, NamedTuple

from hybridwait.testing.apiserver import schema
from hybridwait.testing.apiserver.errors import StatusError, bad_request
from hybridwait.testing.apiserver.store import clone

Definitions = Mapping[str, dict[str, Any]]

PATCH = "$patch"
RETAIN_KEYS = "$retainKeys"
DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
SET_ORDER = "$setElementOrder/"


class Directive(str, Enum):
    """The values of ``$patch``.

    Example::

        Directive("delete") is Directive.DELETE   # True
    """

    REPLACE = "replace"
    DELETE = "delete"
    MERGE = "merge"


class PatchMeta(NamedTuple):
    """How a field merges: its strategies and (for lists of maps) its merge key.

    Example::

        PatchMeta(frozenset({"merge"}), "name").merge   # True
    """

    strategies: frozenset[str]
    merge_key: str | None

    @property
    def merge(self) -> bool:
        """True for ``x-kubernetes-patch-strategy: merge`` (lists merged, not replaced)."""
        return "merge" in self.strategies

    @property
    def replace(self) -> bool:
        """True when the field is replaced whole."""
        return "replace" in self.strategies


NO_META = PatchMeta(frozenset(), None)


class SchemaNode:
    """One node of a schema with ``$ref`` resolved against ``defs``.

    Example::

        SchemaNode(defs, {"$ref": "#/$defs/io.k8s.api.core.v1.Pod"}).field("spec")
    """

    __slots__ = ("_children", "_items", "_items_known", "defs", "list_keys", "list_type",
                 "map_type", "meta", "node")

    def __init__(self, defs: Definitions, node: Mapping[str, Any]) -> None:
        self.defs = defs
        strategy = str(node.get("x-kubernetes-patch-strategy") or "")
        key = node.get("x-kubernetes-patch-merge-key")
        self.meta = PatchMeta(frozenset(s for s in strategy.split(",") if s),
                              str(key) if key else None)
        resolved = self._resolve(node)
        self.node = resolved
        # The server-side apply markers (on the property or on its definition).
        self.list_type = str(node.get("x-kubernetes-list-type")
                             or resolved.get("x-kubernetes-list-type") or "atomic")
        keys = node.get("x-kubernetes-list-map-keys") or resolved.get(
            "x-kubernetes-list-map-keys") or ()
        self.list_keys: tuple[str, ...] = tuple(str(k) for k in keys)
        self.map_type = str(node.get("x-kubernetes-map-type")
                            or resolved.get("x-kubernetes-map-type") or "granular")
        # Children are built once per node (the schema is finite): every write
        # walks the same few paths.
        self._children: dict[str, SchemaNode | None] = {}
        self._items: SchemaNode | None = None
        self._items_known = False

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in node and seen < 32:
            ref = str(node["$ref"])
            name = ref.rsplit("/", 1)[-1]
            target = self.defs.get(name)
            if target is None:
                return {}
            node, seen = target, seen + 1
        return node

    def field(self, name: str) -> SchemaNode | None:
        """The schema of property ``name`` (or of a map's values), if known."""
        try:
            return self._children[name]
        except KeyError:
            pass
        child: SchemaNode | None = None
        props = self.node.get("properties")
        extra = self.node.get("additionalProperties")
        if isinstance(props, Mapping) and name in props:
            child = SchemaNode(self.defs, props[name])
        elif isinstance(extra, Mapping):
            child = self._children.get("") or SchemaNode(self.defs, extra)
            self._children[""] = child  # one node for every key of a map
            return child
        if isinstance(props, Mapping) and name in props:
            self._children[name] = child  # only declared names: the cache stays bounded
        return child

    def items(self) -> SchemaNode | None:
        """The schema of a list's elements, if known."""
        if not self._items_known:
            items = self.node.get("items")
            self._items = SchemaNode(self.defs, items) if isinstance(items, Mapping) else None
            self._items_known = True
        return self._items


def _invalid_patch(message: str) -> StatusError:
    return StatusError(422, "Invalid", message)


def strategic_merge(original: Any, patch: Any, schema: SchemaNode | None) -> Any:
    """Apply strategic merge ``patch`` to ``original`` (neither is modified).

    Raises a 400 ``StatusError`` for a malformed patch (a list element without
    its merge key, a bad directive) and 422 when the patch does not fit.

    Example::

        strategic_merge({"a": [1]}, {"a": [2]}, None)   # {"a": [2]} (no schema: replaced)
    """
    if not isinstance(patch, dict):
        raise bad_request("strategic merge patch: the patch must be a JSON object")
    result = _merge_map(original if isinstance(original, dict) else {}, patch, schema)
    return {} if result is None else result


def _directive(value: Any) -> Directive:
    try:
        return Directive(value)
    except ValueError:
        raise bad_request(f"unknown patch type found: {value!r}") from None


def _merge_map(original: dict[str, Any], patch: dict[str, Any],
               schema: SchemaNode | None) -> dict[str, Any] | None:
    """Merge ``patch`` into a copy of ``original``; None means "delete this map"."""
    directive = _directive(patch[PATCH]) if PATCH in patch else Directive.MERGE
    if directive is Directive.DELETE:
        return None
    if directive is Directive.REPLACE:
        replaced: dict[str, Any] = _strip(patch)
        return replaced
    result = clone(original)
    retain = patch.get(RETAIN_KEYS)
    if retain is not None and (not isinstance(retain, list)
                               or not all(isinstance(k, str) for k in retain)):
        raise bad_request("$retainKeys must be a list of field names")
    for key, value in patch.items():
        if key.startswith(SET_ORDER) and not isinstance(value, list):
            raise bad_request(f"invalid patch format of {key}: it must be a list")
        if key.startswith(DELETE_PRIMITIVE):
            field = key[len(DELETE_PRIMITIVE):]
            if not isinstance(value, list):
                raise bad_request(f"{key} must be a list")
            current = result.get(field)
            if isinstance(current, list):
                result[field] = [v for v in current if v not in value]
            continue
        if key.startswith("$"):
            continue
        sub = schema.field(key) if schema is not None else None
        meta = sub.meta if sub is not None else NO_META
        if value is None:
            result.pop(key, None)
            continue
        old = result.get(key)
        if isinstance(value, dict) and not meta.replace:
            merged = _merge_map(old if isinstance(old, dict) else {}, value, sub)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            order = patch.get(SET_ORDER + key)
            result[key] = _merge_list(old if isinstance(old, list) else [], value, sub, meta,
                                      order)
        else:
            result[key] = _strip(value)
    for key, order in patch.items():
        if key.startswith(SET_ORDER) and key[len(SET_ORDER):] not in patch:
            field = key[len(SET_ORDER):]
            current = result.get(field)
            if isinstance(current, list) and isinstance(order, list):
                sub = schema.field(field) if schema is not None else None
                key_name = sub.meta.merge_key if sub is not None else None
                result[field] = _reorder(current, order, key_name, current)
    if retain is not None:
        for key, value in patch.items():
            if not key.startswith("$") and value is not None and key not in retain:
                raise _invalid_patch(f"the patch has field {key!r}, which is not in "
                                     "$retainKeys")
        for key in list(result):
            if key not in retain:
                del result[key]
    return result


def _merge_list(original: list[Any], patch: list[Any], schema: SchemaNode | None,
                meta: PatchMeta, order: Any) -> list[Any]:
    if not meta.merge:
        return [_strip(v) for v in patch if not _is_directive_only(v)]
    items = schema.items() if schema is not None else None
    if meta.merge_key is None or not all(isinstance(v, dict) for v in patch):
        if any(isinstance(v, (dict, list)) for v in patch):
            return [_strip(v) for v in patch]
        result = list(original)
        for v in patch:
            if v not in result:
                result.append(v)
        return _reorder(result, order if isinstance(order, list) else patch, None, original)
    key = meta.merge_key
    for v in patch:
        if v.get(PATCH) == Directive.REPLACE.value:
            return [_strip(e) for e in patch if e.get(PATCH) != Directive.REPLACE.value]
    result = clone(original)
    for elem in patch:
        if key not in elem:
            raise bad_request(f"map: {elem} does not contain declared merge key: {key}")
        directive = _directive(elem[PATCH]) if PATCH in elem else Directive.MERGE
        matches = [i for i, e in enumerate(result) if isinstance(e, dict)
                   and e.get(key) == elem[key]]
        if directive is Directive.DELETE:
            result = [e for i, e in enumerate(result) if i not in matches]
            continue
        if matches:
            i = matches[0]
            merged = _merge_map(result[i], elem, items)
            if merged is not None:
                result[i] = merged
        else:
            merged = _merge_map({}, elem, items)
            if merged is not None:
                result.append(merged)
    kept = [e for e in patch if e.get(PATCH) != Directive.DELETE.value]
    return _reorder(result, order if isinstance(order, list) else kept, key, original)


def _reorder(items: list[Any], order: list[Any], key: str | None,
             original: list[Any]) -> list[Any]:
    """The order a real server gives a merged list: the elements named in
    ``order`` (``$setElementOrder``, else the patch's own list) in that order;
    the server-only ones in their ``original`` order, each placed before the
    first ordered element that followed it in ``original``."""
    def ident(e: Any) -> Any:
        return e.get(key) if key is not None and isinstance(e, dict) else e

    wanted = [ident(o) for o in order]
    in_patch = [e for w in wanted for e in items if ident(e) == w]
    server_only = [e for e in items if ident(e) not in wanted]
    server_order = [ident(e) for e in original]

    def pos(e: Any) -> int:
        try:
            return server_order.index(ident(e))
        except ValueError:
            return -1

    out: list[Any] = []
    i = j = 0
    while i < len(server_only) or j < len(in_patch):
        if j >= len(in_patch):
            out.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            out.append(in_patch[j])
            j += 1
        else:
            left, right = pos(server_only[i]), pos(in_patch[j])
            if left >= 0 and right >= 0 and left < right:
                out.append(server_only[i])
                i += 1
            else:
                out.append(in_patch[j])
                j += 1
    return out


def _is_directive_only(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k.startswith("$") for k in value)


def _strip(value: Any) -> Any:
    """``value`` without directives (what a new field or a replaced value stores)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k.startswith("$") or v is None:
                continue
            out[k] = _strip(v)
        return out
    if isinstance(value, list):
        return [_strip(v) for v in value if not _is_directive_only(v)]
    return value if isinstance(value, (str, int, float, bool, type(None))) else clone(value)


@functools.lru_cache(maxsize=256)
def builtin_schema(group: str, version: str, kind: str) -> SchemaNode | None:
    """The patch schema of a built-in kind (the emulator's Kubernetes 1.32
    definitions), or None for a kind they lack.

    Example::

        builtin_schema("apps", "v1", "Deployment").field("spec")
    """
    defs = schema.load()
    node = defs.kind_schema(group, version, kind)
    return None if node is None else SchemaNode(defs.definitions, node)
