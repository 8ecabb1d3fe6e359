"""What the engine keeps of each object it caches: a transform.

Served objects enter the shared cache from watch events, LISTs and GETs; before
they are stored, a *transform* (a function from the served object to what is
kept) runs on each. The default, :func:`drop_managed_fields`, removes
``metadata.managedFields`` (as client-go's informers recommend): the field
bookkeeping of server-side apply, often a third to a half of a pod's bytes,
which no wait condition reads. A user's transform is given as
``Engine(transform=...)``; ``None`` keeps objects whole.

A transform that raises, or returns something other than a ``dict``, does not
stop the watch: that one object is cached as an :class:`Untransformable`
stand-in (its key and resourceVersion only), and the waits on it fail with a
:class:`TransformError` naming the transform; the watch goes on for the others.

Example::

    def keep_status(obj):
        return {"metadata": obj["metadata"], "status": obj.get("status")}

    eng = Engine(transform=keep_status)     # the waits see metadata and status only
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hybridwait.kube.errors import WaitFailed

__all__ = ["Transform", "TransformError", "Untransformable", "apply", "drop_managed_fields"]

Transform = Callable[[dict[str, Any]], Any]
"""A function from a served object (a dict, which it may modify in place) to the
dict the engine caches and waits return."""


def drop_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The default transform: ``obj`` without ``metadata.managedFields`` (in place).

    Example::

        drop_managed_fields({"metadata": {"name": "a", "managedFields": []}})
        # {'metadata': {'name': 'a'}}
    """
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


class TransformError(WaitFailed):
    """The engine's ``transform`` raised, or returned a non-dict, for the object
    a wait waits on. ``transform`` names the function; the text says what went
    wrong (the exception's type and message), never the object's content.

    Example::

        try:
            eng.wait("pod/web-0", for_="condition=Ready")
        except TransformError as e:
            print(e)   # pods/web-0: transform keep_status failed: KeyError: 'status'
    """

    def __init__(self, reason: str, object: dict[str, Any] | None = None,
                 resource: str = "", transform: str = "") -> None:
        super().__init__(reason, object, resource)
        self.transform = transform

    def named(self, resource: str) -> WaitFailed:
        """A copy naming ``resource`` (kept as is if already named)."""
        if self.resource:
            return self
        return TransformError(self.reason, self.object, resource, self.transform)

    def __reduce__(self) -> tuple[Any, ...]:
        return (TransformError, (self.reason, self.object, self.resource, self.transform))


class Untransformable(dict[str, Any]):
    """What the cache holds for an object the transform failed on: its
    ``metadata`` name, namespace and resourceVersion only (so newer versions
    replace it in order), and the ``error`` its waits fail with.

    Example::

        got = apply(lambda o: 1 / 0, {"metadata": {"name": "a"}}, "pods")
        isinstance(got, Untransformable) and got.error.transform   # '<lambda>'
    """

    error: TransformError


def _name_of(fn: Transform) -> str:
    """A function's qualified name, a callable object's class name."""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    return str(name or type(fn).__qualname__)


def apply(fn: Transform | None, obj: dict[str, Any], plural: str) -> dict[str, Any]:
    """``fn(obj)``, or an :class:`Untransformable` stand-in if it raised or did
    not return a dict (``plural`` names the resource in the error, kubectl's
    ``pods/web-0``). ``fn`` None: ``obj`` as is.

    Example::

        apply(drop_managed_fields, pod, "pods")
    """
    if fn is None:
        return obj
    meta = obj.get("metadata")
    meta = meta if type(meta) is dict else {}
    # what the stub needs, taken before fn may change the object in place
    # (three lookups a call; the stub itself is built only if fn fails)
    ident = (meta.get("name"), meta.get("namespace"), meta.get("resourceVersion"))
    try:
        out = fn(obj)
    except Exception as exc:
        why = f"failed: {type(exc).__name__}: {exc}"[:300]
    else:
        if type(out) is dict or isinstance(out, dict):
            return out
        why = f"returned a {type(out).__name__}, not a dict"
    stub = {k: v for k, v in zip(("name", "namespace", "resourceVersion"), ident, strict=True)
            if v is not None}
    name = _name_of(fn)
    bad = Untransformable(metadata=stub)
    bad.error = TransformError(f"transform {name} {why}", None,
                               f"{plural}/{stub.get('name', '')}", name)
    return bad
