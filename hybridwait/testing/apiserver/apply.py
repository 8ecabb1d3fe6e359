"""Server-side apply and ``metadata.managedFields``.

Every write records which manager set which fields, as a real API server's
field manager does: an ``Apply`` entry per applier (``PATCH`` with
``application/apply-patch+yaml``) and an ``Update`` entry per other writer
(create, update, patch), named by the ``fieldManager`` query parameter or,
without one, by the User-Agent's product (``OpenAPI-Generator``, ``kubectl``).
Field sets use the ``FieldsV1`` format (``f:`` fields, ``k:`` keyed list
elements, ``v:`` set elements, ``.`` the element itself), lists and maps
granular or atomic per the schema's ``x-kubernetes-list-type``,
``x-kubernetes-list-map-keys`` and ``x-kubernetes-map-type``.

Apply semantics: a field another manager owns with a different value is a
conflict (409 with one ``FieldManagerConflict`` cause per field) unless
``force=true``, which takes it over; an equal value is shared. Fields the
applier applied before and no longer applies are removed when no other
manager owns them. Non-apply writers take over the fields they change without
conflict.

Simplifications (documented in docs/testing.md): entries are kept per
(manager, operation, subresource) with the latest apiVersion; ``managedFields``
sent by a client are ignored; lists without a list type are atomic.

Example::

    tracker = FieldTracker()
    tracker.record(None, obj, Write(Manager("kubectl-create"), schema, "v1", now, False))
    obj["metadata"]["managedFields"][0]["manager"]      # "kubectl-create"
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import Enum
from typing import Any, NamedTuple

from hybridwait.testing.apiserver.errors import (
    CauseType,
    FieldError,
    StatusError,
    bad_request,
    invalid,
)
from hybridwait.testing.apiserver.smp import SchemaNode
from hybridwait.testing.apiserver.store import clone


class Step(str, Enum):
    """The kind of a path element, as ``FieldsV1`` prefixes it.

    Example::

        ((Step.FIELD, "spec"), (Step.FIELD, "replicas"))   # .spec.replicas
    """

    FIELD = "f"  # a field or map key: ("f", "name")
    KEY = "k"    # a list element by its map keys: ("k", '{"name":"c"}')
    VALUE = "v"  # a set member: ("v", '"x"')
    INDEX = "i"  # a list element by position


# A path element: (Step, text).
Element = tuple[Step, str]
Path = tuple[Element, ...]
FieldSet = frozenset[Path]

#: metadata fields no manager owns (the server sets them, or they name the object).
UNOWNED_META = frozenset({"name", "namespace", "uid", "resourceVersion", "generation",
                          "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "managedFields", "selfLink"})
MAX_MANAGER_LEN = 128
#: List-map keys with a default (the schema's only one: a port's protocol), used
#: for an element that leaves the key out, as the real field manager does.
KEY_DEFAULTS = {"protocol": "TCP"}


class Operation(str, Enum):
    """``managedFields[].operation``.

    Example::

        Operation("Apply") is Operation.APPLY   # True
    """

    APPLY = "Apply"
    UPDATE = "Update"


class Manager(NamedTuple):
    """Who writes: a manager name, and the subresource written (``""``, ``status``,
    ``scale``).

    Example::

        Manager("kubectl", "scale")
    """

    name: str
    subresource: str = ""


class Write(NamedTuple):
    """The context of one write's ownership record: who, the kind's schema, the
    apiVersion written, when, and whether the kind has a status subresource.

    Example::

        Write(Manager("ci"), builtin_schema("apps", "v1", "Deployment"), "apps/v1",
              "2024-01-01T00:00:00Z", True)
    """

    manager: Manager
    schema: SchemaNode | None
    api_version: str
    time: str
    has_status: bool


def manager_name(field_manager: str | None, user_agent: str | None) -> str:
    """The manager of a write: ``fieldManager``, else the User-Agent's product
    (the part before the first ``/``), as a real server defaults it.

    Example::

        manager_name(None, "kubectl/v1.32.0 (linux/amd64)")   # "kubectl"
    """
    if field_manager:
        return field_manager
    agent = (user_agent or "").split("/", 1)[0].strip()
    return agent[:MAX_MANAGER_LEN]


def check_write_options(field_manager: str | None, *, options_kind: str, apply: bool = False,
                        force_given: bool = False) -> None:
    """422 for write options a real server rejects (``CreateOptions``,
    ``UpdateOptions`` or ``PatchOptions``): an apply without ``fieldManager``,
    ``force`` on another patch, a manager over 128 bytes or with a
    non-printable character.

    Example::

        check_write_options(None, options_kind="PatchOptions", apply=True)  # raises 422
    """
    errors: list[FieldError] = []
    if apply and not field_manager:
        errors.append(FieldError(CauseType.REQUIRED, "fieldManager",
                                 "is required for apply patch"))
    if force_given and not apply:
        errors.append(FieldError(CauseType.FORBIDDEN, "force",
                                 "may not be specified for non-apply patch"))
    manager = field_manager or ""
    if len(manager.encode()) > MAX_MANAGER_LEN:
        errors.append(FieldError(CauseType.TOO_LONG, "fieldManager",
                                 f"may not be more than {MAX_MANAGER_LEN} bytes"))
    for i, ch in enumerate(manager):
        if not ch.isprintable():
            errors.append(FieldError(CauseType.INVALID, "fieldManager",
                                     f"invalid character U+{ord(ch):04X} (at position {i})",
                                     manager, True))
    if errors:
        raise invalid(options_kind, "", errors, "meta.k8s.io")


# -- field sets -----------------------------------------------------------------------
def _key_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _element_key(elem: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The key fields of a list-map element (defaulted ones filled in)."""
    return {k: elem.get(k, KEY_DEFAULTS.get(k)) for k in keys
            if k in elem or k in KEY_DEFAULTS}


def fields_of(obj: Any, schema: SchemaNode | None, prefix: Path = ()) -> set[Path]:
    """The field set of ``obj``: its leaves, keyed list elements and set elements.

    Example::

        fields_of({"a": {"b": 1}}, None)   # {((Step.FIELD, "a"), (Step.FIELD, "b"))}
    """
    out: set[Path] = set()
    _walk(obj, schema, prefix, out)
    return out


def _walk(value: Any, schema: SchemaNode | None, path: Path, out: set[Path]) -> None:
    if isinstance(value, dict):
        if (schema is not None and schema.map_type == "atomic") or not value:
            out.add(path)
            return
        for k, v in value.items():
            _walk(v, schema.field(k) if schema is not None else None, (*path, (Step.FIELD, k)), out)
        return
    if isinstance(value, list) and schema is not None and value:
        items = schema.items()
        if schema.list_type == "map" and schema.list_keys and all(
                isinstance(e, dict) for e in value):
            for e in value:
                elem = (*path, (Step.KEY, _key_text(_element_key(e, schema.list_keys))))
                out.add(elem)
                for k, v in e.items():
                    _walk(v, items.field(k) if items is not None else None,
                          (*elem, (Step.FIELD, k)), out)
            return
        if schema.list_type == "set":
            for e in value:
                out.add((*path, (Step.VALUE, _key_text(e))))
            return
    out.add(path)


def _object_fields(obj: dict[str, Any], schema: SchemaNode | None, subresource: str,
                  has_status: bool) -> set[Path]:
    """The fields of ``obj`` a manager can own through ``subresource``: never
    ``apiVersion``/``kind`` or server-set metadata; with a status subresource,
    only ``status`` through it and everything else through the main resource."""
    out: set[Path] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind"):
            continue
        if has_status and (key == "status") != (subresource == "status"):
            continue
        sub = schema.field(key) if schema is not None else None
        if key == "metadata" and isinstance(value, dict):
            for mk, mv in value.items():
                if mk not in UNOWNED_META:
                    _walk(mv, sub.field(mk) if sub is not None else None,
                          ((Step.FIELD, "metadata"), (Step.FIELD, mk)), out)
            continue
        _walk(value, sub, ((Step.FIELD, key),), out)
    return out


def _field_pairs(old: dict[str, Any], new: dict[str, Any], schema: SchemaNode | None,
                 subresource: str, has_status: bool
                 ) -> Iterable[tuple[Any, Any, SchemaNode | None, Path]]:
    """(old value, new value, schema, path) for each top-level part of the two
    objects :func:`_object_fields` would walk (``_MISSING`` where one lacks it)."""
    for key in dict.fromkeys([*old, *new]):
        if key in ("apiVersion", "kind"):
            continue
        if has_status and (key == "status") != (subresource == "status"):
            continue
        sub = schema.field(key) if schema is not None else None
        ov, nv = old.get(key, _MISSING), new.get(key, _MISSING)
        if key == "metadata" and (isinstance(ov, dict) or isinstance(nv, dict)):
            od = ov if isinstance(ov, dict) else {}
            nd = nv if isinstance(nv, dict) else {}
            for mk in dict.fromkeys([*od, *nd]):
                if mk not in UNOWNED_META:
                    yield (od.get(mk, _MISSING), nd.get(mk, _MISSING),
                           sub.field(mk) if sub is not None else None,
                           ((Step.FIELD, "metadata"), (Step.FIELD, mk)))
            if od is not ov and ov is not _MISSING:  # not a map: a leaf
                yield ov, _MISSING, sub, ((Step.FIELD, key),)
            if nd is not nv and nv is not _MISSING:
                yield _MISSING, nv, sub, ((Step.FIELD, key),)
            continue
        yield ov, nv, sub, ((Step.FIELD, key),)


def changed_fields(old: dict[str, Any], new: dict[str, Any], schema: SchemaNode | None,
                   subresource: str = "", has_status: bool = False
                   ) -> tuple[frozenset[Path], frozenset[Path]]:
    """(fields of ``new`` that are new or hold another value than in ``old``,
    fields of ``old`` that ``new`` lacks): what an ``Update`` takes over and what
    every manager loses. Equal subtrees are skipped without walking them.

    Example::

        changed_fields({"data": {"a": "1", "b": "2"}}, {"data": {"a": "1", "b": "3"}}, None)
        # ({((Step.FIELD, "data"), (Step.FIELD, "b"))}, set())
    """
    changed: set[Path] = set()
    removed: set[Path] = set()
    for ov, nv, sub, path in _field_pairs(old, new, schema, subresource, has_status):
        _diff(ov, nv, sub, path, changed, removed)
    return frozenset(changed), frozenset(removed)


def _keyed(value: Any, schema: SchemaNode | None) -> dict[str, dict[str, Any]] | None:
    """A list-map's elements by key text (None: not a list-map, or a repeated key)."""
    if (schema is None or schema.list_type != "map" or not schema.list_keys
            or not isinstance(value, list) or not value
            or not all(isinstance(e, dict) for e in value)):
        return None
    out = {_key_text(_element_key(e, schema.list_keys)): e for e in value}
    return out if len(out) == len(value) else None


def _diff(ov: Any, nv: Any, schema: SchemaNode | None, path: Path,
          changed: set[Path], removed: set[Path]) -> None:
    if ov is _MISSING:
        if nv is not _MISSING:
            _walk(nv, schema, path, changed)
        return
    if nv is _MISSING:
        _walk(ov, schema, path, removed)
        return
    if ov == nv:
        return
    if isinstance(ov, dict) and isinstance(nv, dict) and ov and nv and (
            schema is None or schema.map_type != "atomic"):
        for k in dict.fromkeys([*ov, *nv]):
            _diff(ov.get(k, _MISSING), nv.get(k, _MISSING),
                  schema.field(k) if schema is not None else None,
                  (*path, (Step.FIELD, k)), changed, removed)
        return
    old_elems, new_elems = _keyed(ov, schema), _keyed(nv, schema)
    if old_elems is not None and new_elems is not None and schema is not None:
        items = schema.items()
        for key in dict.fromkeys([*old_elems, *new_elems]):
            elem = (*path, (Step.KEY, key))
            oe, ne = old_elems.get(key, _MISSING), new_elems.get(key, _MISSING)
            if oe == ne:
                continue
            if ne is not _MISSING:
                changed.add(elem)  # the element itself holds another value
            elif oe is not _MISSING:
                removed.add(elem)
            fields = [*oe] if isinstance(oe, dict) else []
            fields += [*ne] if isinstance(ne, dict) else []
            for k in dict.fromkeys(fields):
                _diff(oe.get(k, _MISSING) if isinstance(oe, dict) else _MISSING,
                      ne.get(k, _MISSING) if isinstance(ne, dict) else _MISSING,
                      items.field(k) if items is not None else None,
                      (*elem, (Step.FIELD, k)), changed, removed)
        return
    # Anything else (leaves, atomic maps and lists, sets, an empty side): compare
    # the two subtrees' field sets, as a whole-object walk would.
    before: set[Path] = set()
    after: set[Path] = set()
    _walk(ov, schema, path, before)
    _walk(nv, schema, path, after)
    cut = len(path)
    for p in after:
        if p not in before or _value_at(nv, p[cut:]) != _value_at(ov, p[cut:]):
            changed.add(p)
    removed |= before - after


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    """A field set in the ``FieldsV1`` JSON form.

    Example::

        to_fields_v1({((Step.FIELD, "spec"), (Step.FIELD, "replicas"))})
        # {"f:spec": {"f:replicas": {}}}
    """
    root: dict[str, Any] = {}
    members: list[Path] = sorted(paths)
    for p in members:
        node = root
        for kind, text in p:
            node = node.setdefault(f"{kind.value}:{text}", {})
    for p in members:  # a member that also has children is marked with "."
        node = root
        for kind, text in p:
            node = node[f"{kind.value}:{text}"]
        if node and "." not in node:
            node["."] = {}
    return root


def from_fields_v1(doc: Any, prefix: Path = ()) -> set[Path]:
    """The field set a ``FieldsV1`` document describes (the inverse of
    :func:`to_fields_v1`).

    Example::

        from_fields_v1({"f:data": {"f:a": {}}})   # {((Step.FIELD, "data"), (Step.FIELD, "a"))}
    """
    out: set[Path] = set()
    if not isinstance(doc, dict):
        return out
    for key, child in doc.items():
        if key == ".":
            out.add(prefix)
            continue
        prefix_text, _, text = key.partition(":")
        try:
            kind = Step(prefix_text)
        except ValueError:
            continue  # not a FieldsV1 key: ignored
        path = (*prefix, (kind, text))
        if isinstance(child, dict) and child:
            out |= from_fields_v1(child, path)
        else:
            out.add(path)
    return out


def path_string(path: Path) -> str:
    """A path as the API server prints it.

    Example::

        path_string(((Step.FIELD, "spec"), (Step.KEY, '{"name":"web"}')))
        # '.spec[name="web"]'
    """
    out = ""
    for kind, text in path:
        if kind is Step.FIELD:
            out += f".{text}"
        elif kind is Step.KEY:
            keys = json.loads(text)
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items()) + "]"
        elif kind is Step.VALUE:
            out += f"[={text}]"
        else:
            out += f"[{text}]"
    return out


# -- values at paths ---------------------------------------------------------------
_MISSING = object()


def _step(cur: Any, elem: Element) -> Any:
    kind, text = elem
    if kind is Step.FIELD:
        return cur.get(text, _MISSING) if isinstance(cur, dict) else _MISSING
    if not isinstance(cur, list):
        return _MISSING
    want = json.loads(text)
    for e in cur:
        if kind is Step.KEY and isinstance(e, dict) and all(
                e.get(k, KEY_DEFAULTS.get(k)) == v for k, v in want.items()):
            return e
        if kind is Step.VALUE and e == want:
            return e
    return _MISSING


def _value_at(obj: Any, path: Path) -> Any:
    """The value at ``path`` (a sentinel when absent)."""
    cur = obj
    for elem in path:
        cur = _step(cur, elem)
        if cur is _MISSING:
            return _MISSING
    return cur


def _remove_path(obj: Any, path: Path) -> None:
    """Delete the value at ``path`` from ``obj`` in place (no-op when absent)."""
    if not path:
        return
    parent = _value_at(obj, path[:-1])
    kind, text = path[-1]
    if kind is Step.FIELD and isinstance(parent, dict):
        parent.pop(text, None)
    elif isinstance(parent, list):
        target = _step(parent, path[-1])
        if target is not _MISSING:
            parent.remove(target)


def _merge_applied(live: Any, config: Any, schema: SchemaNode | None) -> Any:
    """``config`` merged into ``live``: maps and structs field by field, keyed
    lists by key, sets as unions, anything atomic replaced."""
    if isinstance(live, dict) and isinstance(config, dict) and not (
            schema is not None and schema.map_type == "atomic"):
        out = dict(live)
        for k, v in config.items():
            sub = schema.field(k) if schema is not None else None
            out[k] = _merge_applied(live.get(k), v, sub)
        return out
    if isinstance(live, list) and isinstance(config, list) and schema is not None:
        items = schema.items()
        if schema.list_type == "map" and schema.list_keys:
            out_list = [clone(e) for e in live]
            for e in config:
                if not isinstance(e, dict):
                    return clone(config)
                ident = _element_key(e, schema.list_keys)
                for i, cur in enumerate(out_list):
                    if isinstance(cur, dict) and _element_key(cur, schema.list_keys) == ident:
                        out_list[i] = _merge_applied(cur, e, items)
                        break
                else:
                    out_list.append(clone(e))
            return out_list
        if schema.list_type == "set":
            return list(live) + [clone(e) for e in config if e not in live]
    return clone(config)


# -- managedFields entries ---------------------------------------------------------------
class _Entry(NamedTuple):
    """One ``managedFields`` entry."""

    manager: str
    operation: Operation
    subresource: str
    api_version: str
    time: str
    fields: FieldSet

    @property
    def ident(self) -> tuple[str, Operation, str]:
        """What identifies the entry: manager, operation, subresource."""
        return (self.manager, self.operation, self.subresource)

    def printed(self) -> str:
        """The manager as a conflict message names it."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation is Operation.UPDATE:
            text += f" using {self.api_version}"
        return text

    def to_json(self) -> dict[str, Any]:
        """The ``managedFields`` item."""
        doc: dict[str, Any] = {"manager": self.manager, "operation": self.operation.value,
                               "apiVersion": self.api_version, "time": self.time,
                               "fieldsType": "FieldsV1",
                               "fieldsV1": to_fields_v1(self.fields)}
        if self.subresource:
            doc["subresource"] = self.subresource
        return doc


def _parse_entries(obj: dict[str, Any]) -> list[_Entry]:
    """The entries stored in ``obj.metadata.managedFields``."""
    out: list[_Entry] = []
    for item in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(item, dict):
            continue
        try:
            op = Operation(item.get("operation"))
        except ValueError:
            continue
        out.append(_Entry(str(item.get("manager", "")), op, str(item.get("subresource", "")),
                         str(item.get("apiVersion", "")), str(item.get("time", "")),
                         frozenset(from_fields_v1(item.get("fieldsV1")))))
    return out


def _store(obj: dict[str, Any], entries: list[_Entry]) -> None:
    kept = [e.to_json() for e in entries if e.fields]
    meta = obj.setdefault("metadata", {})
    if kept:
        meta["managedFields"] = kept
    else:
        meta.pop("managedFields", None)


def _covers(owned: FieldSet, path: Path) -> bool:
    """True if ``owned`` holds ``path`` or anything under it."""
    n = len(path)
    return any(p[:n] == path for p in owned)


class _Conflict(NamedTuple):
    """A field the applier would change that another manager owns."""

    path: Path
    owner: _Entry


def _conflict_error(conflicts: list[_Conflict]) -> StatusError:
    """The 409 a real server answers, one ``FieldManagerConflict`` cause per field."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {c.owner.printed()}",
               "field": path_string(c.path)} for c in conflicts]
    if len(conflicts) == 1:
        c = conflicts[0]
        message = (f"Apply failed with 1 conflict: conflict with {c.owner.printed()}: "
                   f"{path_string(c.path)}")
    else:
        by_owner: dict[str, list[str]] = {}
        for c in conflicts:
            by_owner.setdefault(c.owner.printed(), []).append(path_string(c.path))
        lines = []
        for owner in sorted(by_owner):
            lines.append(f"conflicts with {owner}:")
            lines += [f"- {p}" for p in by_owner[owner]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return StatusError(409, "Conflict", message, details={"causes": causes})


class FieldTracker:
    """Keeps ``metadata.managedFields`` and applies configurations.

    Example::

        tracker.record(old, new, Write(Manager("kubectl-edit"), schema, "apps/v1", now, True))
    """

    def created_by_apply(self, config: dict[str, Any], new: dict[str, Any],
                         write: Write) -> None:
        """Record that the writer created ``new`` by applying ``config``: it owns
        the fields it applied (not those defaulting added)."""
        m = write.manager
        fields = frozenset(_object_fields(config, write.schema, m.subresource, write.has_status))
        _store(new, [_Entry(m.name, Operation.APPLY, m.subresource, write.api_version,
                           write.time, fields)])

    def record(self, old: dict[str, Any] | None, new: dict[str, Any], write: Write) -> None:
        """Record an ``Update`` by the writer (create when ``old`` is None) in
        ``new``'s managedFields: it owns what it changed, others lose it."""
        entries = _parse_entries(old) if old is not None else []
        manager, schema, api_version, now, has_status = write
        sub = manager.subresource
        if old is None:
            changed: frozenset[Path] = frozenset(
                _object_fields(new, schema, sub, has_status))
            removed: frozenset[Path] = frozenset()
        else:
            changed, removed = changed_fields(old, new, schema, sub, has_status)
        if not changed and not removed:
            _store(new, entries)
            return
        out: list[_Entry] = []
        mine: _Entry | None = None
        for e in entries:
            fields = e.fields - removed
            if e.ident == (manager.name, Operation.UPDATE, sub):
                mine = e._replace(fields=fields | changed, api_version=api_version, time=now)
                out.append(mine)
            else:
                out.append(e._replace(fields=fields - changed))
        if mine is None and changed:
            out.append(_Entry(manager.name, Operation.UPDATE, sub, api_version, now, changed))
        _store(new, out)

    def apply(self, live: dict[str, Any] | None, config: dict[str, Any], write: Write, *,
              force: bool) -> dict[str, Any]:
        """The object after the writer applies ``config`` to ``live`` (None: create).

        Raises the 409 conflict error when another manager owns a field the
        configuration changes, unless ``force``.
        """
        manager, schema, api_version, now, has_status = write
        sub = manager.subresource
        applied = frozenset(_object_fields(config, schema, sub, has_status))
        base: dict[str, Any] = clone(live) if live is not None else {}
        entries = _parse_entries(base)
        ident = (manager.name, Operation.APPLY, sub)
        previous = next((e.fields for e in entries if e.ident == ident), frozenset())
        conflicts: list[_Conflict] = []
        for e in entries:
            if e.ident == ident:
                continue
            for p in sorted(applied & e.fields):
                # A keyed element or set member is owned for existing (it exists in
                # both); only values can differ.
                if p[-1][0] is Step.FIELD and _value_at(base, p) != _value_at(config, p):
                    conflicts.append(_Conflict(p, e))
        if conflicts and not force:
            raise _conflict_error(conflicts)
        taken = frozenset(c.path for c in conflicts)
        merged = _merge_applied(base, _owned_part(config, sub, has_status), schema)
        if not isinstance(merged, dict):
            raise bad_request("the applied configuration must be an object")
        others = [e._replace(fields=e.fields - taken) for e in entries if e.ident != ident]
        owned_by_others = frozenset().union(*(e.fields for e in others)) if others \
            else frozenset()
        for p in sorted(previous - applied, key=len, reverse=True):
            if not _covers(owned_by_others, p) and not _covers(applied, p):
                _remove_path(merged, p)
        out = list(others)
        out.insert(_position(entries, ident),
                   _Entry(manager.name, Operation.APPLY, sub, api_version, now, applied))
        _store(merged, out)
        return merged


def _position(entries: list[_Entry], ident: tuple[str, Operation, str]) -> int:
    for i, e in enumerate(entries):
        if e.ident == ident:
            return i
    return len(entries)


def _owned_part(config: dict[str, Any], sub: str, has_status: bool) -> dict[str, Any]:
    """The part of ``config`` the subresource writes (status or everything else)."""
    if not has_status:
        return config
    if sub == "status":
        return {k: v for k, v in config.items() if k in ("status", "apiVersion", "kind")}
    return {k: v for k, v in config.items() if k != "status"}
