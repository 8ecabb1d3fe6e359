"""Patch documents: JSON merge patch (RFC 7386) and JSON patch (RFC 6902);
strategic merge patch lives in :mod:`hybridwait.testing.apiserver.smp`.

Example::

    merge_patch({"a": {"b": 1}}, {"a": {"c": 2, "b": None}})   # {"a": {"c": 2}}
    json_patch({"a": [1]}, [{"op": "add", "path": "/a/-", "value": 2}])  # {"a": [1, 2]}
"""

from __future__ import annotations

from typing import Any

from hybridwait.testing.apiserver.errors import StatusError, bad_request
from hybridwait.testing.apiserver.store import clone


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply RFC 7386 merge ``patch`` to ``target``; neither input is modified."""
    if not isinstance(patch, dict):
        return clone(patch)
    result: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [_unescape(t) for t in path[1:].split("/")]


def _invalid(message: str) -> StatusError:
    return StatusError(422, "Invalid", message)


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict):
            if t not in cur:
                raise _invalid(f"json patch: path {path!r} does not exist")
            cur = cur[t]
        elif isinstance(cur, list):
            cur = cur[_index(cur, t, path, allow_end=False)]
        else:
            raise _invalid(f"json patch: path {path!r} does not exist")
    return cur


def _index(lst: list[Any], token: str, path: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:  # noqa: S105 - a JSON pointer token, not a secret
        return len(lst)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise _invalid(f"json patch: invalid array index in {path!r}")
    i = int(token)
    if i > len(lst) or (i == len(lst) and not allow_end):
        raise _invalid(f"json patch: array index out of range in {path!r}")
    return i


def _get(doc: Any, path: str) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _invalid(f"json patch: path {path!r} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, path, allow_end=False)]
    raise _invalid(f"json patch: path {path!r} does not exist")


def _add(doc: Any, path: str, value: Any) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, path, allow_end=True), value)
    else:
        raise _invalid(f"json patch: cannot add at {path!r}")
    return doc


def _remove(doc: Any, path: str) -> Any:
    tokens = _pointer(path)
    if not tokens:
        raise _invalid("json patch: cannot remove the whole document")
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _invalid(f"json patch: path {path!r} does not exist")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_index(parent, last, path, allow_end=False)]
    else:
        raise _invalid(f"json patch: path {path!r} does not exist")
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    """Apply RFC 6902 operations ``ops``; ``target`` is not modified.

    Raises a 400 ``StatusError`` for a malformed document and 422 when an
    operation cannot apply (missing path, failed ``test``).
    """
    if not isinstance(ops, list):
        raise bad_request("json patch: the patch must be a JSON array of operations")
    doc = clone(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request("json patch: every operation needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        if not isinstance(path, str):
            raise bad_request("json patch: 'path' must be a string")
        if kind in ("add", "replace", "test") and "value" not in op:
            raise bad_request(f"json patch: {kind!r} needs 'value'")
        if kind == "add":
            doc = _add(doc, path, clone(op["value"]))
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)
            doc = _add(_remove(doc, path), path, clone(op["value"])) if _pointer(
                path
            ) else clone(op["value"])
        elif kind in ("move", "copy"):
            src = op.get("from")
            if not isinstance(src, str):
                raise bad_request(f"json patch: {kind!r} needs 'from'")
            value = clone(_get(doc, src))
            if kind == "move":
                doc = _remove(doc, src)
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise _invalid(f"json patch: test failed at {path!r}")
        else:
            raise bad_request(f"json patch: unknown operation {kind!r}")
    return doc
