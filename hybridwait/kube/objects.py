"""Wait on a set of manifests (``kubectl wait -f``): loading and :func:`wait_objects`.

:func:`load_manifests` reads files, directories (``.json``, ``.yaml``, ``.yml``,
recursively unless told not to) and ``-`` (stdin) into :class:`Manifest` items,
each object with the place it came from; every problem (missing path, broken
YAML, a document that is not an object, no ``kind``/``apiVersion``/``name``) is a
:class:`ManifestError` with kubectl's text, raised before anything is waited on.

:func:`wait_objects` waits on every object at once through one engine (one
:meth:`~hybridwait.Engine.submit` per object, so the watches are shared as for
any other wait), fails fast (the first ``WaitFailed`` or API error cancels the
rest) and, on timeout, raises :class:`ObjectsTimeout` naming every unmet object
with its readiness status and message.

Example::

    import yaml
    from hybridwait import Engine
    from hybridwait.kube.objects import wait_objects

    with open("app.yaml") as f, Engine() as eng:
        objs = wait_objects(eng, yaml.safe_load_all(f), for_="ready", timeout=300)
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TextIO

from hybridwait.core import WaitTimeout
from hybridwait.kube.conditions import Condition, ConditionLike, as_condition
from hybridwait.kube.errors import UnknownResourceType
from hybridwait.kube.kubectl import timeout_text
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.status import ObjectStatus, Status, object_status
from hybridwait.kube.wait import ConditionTimeout

__all__ = [
    "Manifest",
    "ManifestError",
    "NoKindMatch",
    "ObjectState",
    "ObjectsTimeout",
    "load_manifests",
    "wait_objects",
]

STDIN = "STDIN"
EXTENSIONS = (".json", ".yaml", ".yml")
_TICK = 0.25  # seconds between progress reports while waiting


class Manifest(NamedTuple):
    """One object to wait on and where it came from (a path, ``STDIN``, or
    ``manifests[i]`` for objects passed from Python)."""

    object: Mapping[str, Any]
    source: str


class ManifestError(ValueError):
    """A manifest that cannot be waited on; ``str()`` is kubectl's text
    (without ``error: ``).

    Example::

        ManifestError('the path "app.yaml" does not exist')
    """


class NoKindMatch(UnknownResourceType):
    """The server serves no such kind in that version (kubectl's two lines).

    Example::

        str(NoKindMatch("f1", "", "app.yaml", "Foo", "example.com/v1")).splitlines()[1]
        # 'ensure CRDs are installed first'
    """

    def __init__(self, name: str, namespace: str, source: str, kind: str,
                 api_version: str) -> None:
        super().__init__(kind)
        self.args = (
            f'resource mapping not found for name: "{name}" namespace: "{namespace}" from '
            f'"{source}": no matches for kind "{kind}" in version "{api_version}"\n'
            "ensure CRDs are installed first",
        )
        self.name, self.namespace, self.source = name, namespace, source
        self.kind, self.api_version = kind, api_version

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (NoKindMatch, (self.name, self.namespace, self.source, self.kind,
                              self.api_version))


@dataclass(frozen=True)
class ObjectState:
    """How one object of a :func:`wait_objects` call is doing.

    ``resource`` is kubectl's ``plural/name`` (``deployments/web``), ``status``
    its readiness as last seen (NotFound before the first read), ``done`` True
    once its wait condition was met, ``object`` the object as last seen.

    Example::

        st.resource, st.status.status, st.status.message   # ('jobs/pi', Status.IN_PROGRESS, ...)
    """

    index: int
    resource: str
    namespace: str
    status: ObjectStatus
    done: bool
    object: dict[str, Any] | None

    def __str__(self) -> str:
        where = f" -n {self.namespace}" if self.namespace else ""
        return f"{self.resource}{where}: {self.status}"


class ObjectsTimeout(ConditionTimeout):
    """The deadline passed with objects unmet (a :class:`ConditionTimeout`, so a
    ``WaitTimeout``). As for any wait, ``unmet`` names them (``deployments/web``)
    and ``met`` holds the objects that met the condition; ``states`` has the
    unmet ones' :class:`ObjectState` (status and message as last seen).
    ``str()`` names every unmet object with its status.

    Example::

        except ObjectsTimeout as e:
            for st in e.states:
                print(st.resource, st.status.status, st.status.message)
    """

    def __init__(self, states: Sequence[ObjectState], met: Sequence[dict[str, Any]],
                 checked_once: bool = False) -> None:
        self.states = list(states)
        self.checked_once = checked_once
        names = ", ".join(f"{s.resource} ({s.status})" for s in self.states)
        super().__init__(timeout_text(names, checked_once=checked_once),
                         [s.resource for s in self.states], list(met))

    def __reduce__(self) -> tuple[Any, ...]:
        return (ObjectsTimeout, (self.states, self.met, self.checked_once))


# -- loading --------------------------------------------------------------------------


def _files(path: str, recursive: bool) -> list[str]:
    if not os.path.exists(path):
        raise ManifestError(f'the path "{path}" does not exist')
    if not os.path.isdir(path):
        return [path]
    found: list[str] = []
    for root, dirs, names in os.walk(path):
        dirs.sort()
        if not recursive and root != path:
            continue
        found += [os.path.join(root, n) for n in sorted(names) if n.endswith(EXTENSIONS)]
    return sorted(found)


def _documents(text: str, source: str) -> list[Manifest]:
    import yaml

    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ManifestError(
            f"error parsing {source}: error converting YAML to JSON: yaml: {detail}"
        ) from None
    out: list[Manifest] = []
    for doc in docs:
        if doc is None:
            continue  # an empty document ('---' at the end, comments only)
        out += _expand(doc, source)
    return out


def _expand(doc: Any, source: str) -> list[Manifest]:
    if not isinstance(doc, Mapping):
        raise ManifestError(f'unable to decode "{source}": a document is not an object '
                            f"(found {type(doc).__name__})")
    for field in ("kind", "apiVersion"):
        if not isinstance(doc.get(field), str) or not doc.get(field):
            text = json.dumps(doc, separators=(",", ":"), sort_keys=True, default=str)
            raise ManifestError(
                f"unable to decode \"{source}\": Object '{field[0].upper() + field[1:]}' "
                f"is missing in '{text}'"
            )
    kind = str(doc["kind"])
    if kind.endswith("List") and isinstance(doc.get("items"), list):
        out: list[Manifest] = []
        for item in doc["items"]:
            out += _expand(item, source)
        return out
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(name, str) or not name:
        raise ManifestError("resource name must be provided")
    return [Manifest(doc, source)]


def load_manifests(paths: Sequence[str], recursive: bool = True,
                   stdin: TextIO | None = None) -> list[Manifest]:
    """Read every object from ``paths`` (files, directories, ``-`` for ``stdin``),
    in kubectl's order: paths as given, a directory's files sorted by path
    (subdirectories too when ``recursive``, kubectl wait's default), documents in
    file order, ``kind: List`` expanded. Raises :class:`ManifestError` on the
    first problem, before anything is waited on.

    Example::

        load_manifests(["app.yaml", "crds/"])   # [Manifest(object={...}, source='app.yaml'), ...]
    """
    out: list[Manifest] = []
    for path in paths:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin
            out += _documents(stream.read(), STDIN)
            continue
        for file in _files(path, recursive):
            try:
                with open(file, encoding="utf-8") as f:
                    text = f.read()
            except OSError as exc:
                raise ManifestError(f"error reading {file}: {exc.strerror or exc}") from None
            except UnicodeDecodeError:
                raise ManifestError(f'unable to decode "{file}": not UTF-8 text') from None
            out += _documents(text, file)
    return out


def _as_manifests(manifests: Iterable[Mapping[str, Any] | Manifest | None]) -> list[Manifest]:
    out: list[Manifest] = []
    for i, item in enumerate(manifests):
        if item is None:
            continue  # an empty document, as yaml.safe_load_all gives for a trailing '---'
        if isinstance(item, Manifest):
            out.append(item)
        else:
            out += _expand(item, f"manifests[{i}]")
    if not out:
        raise ManifestError("no objects passed to wait on")
    return out


# -- resolving ---------------------------------------------------------------------------


class _Target(NamedTuple):
    manifest: Manifest
    rtype: ResourceType
    name: str
    namespace: str

    @property
    def resource(self) -> str:
        """The argument the engine resolves exactly: ``plural.version.group/name``."""
        rt = self.rtype
        typ = f"{rt.plural}.{rt.version}.{rt.group}" if rt.group else rt.plural
        return f"{typ}/{self.name}"

    @property
    def object_name(self) -> str:
        return f"{self.rtype.plural}/{self.name}"


def _resolve(engine: Any, m: Manifest, namespace: str | None) -> _Target:
    obj = m.object
    api_version, kind = str(obj["apiVersion"]), str(obj["kind"])
    meta = obj.get("metadata") or {}
    name = str(meta["name"])
    own_ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
    group, _, version = api_version.rpartition("/")
    spec = f"{kind}.{version}.{group}" if group else kind
    try:
        rt: ResourceType | None = engine.resolve(spec)
    except UnknownResourceType:
        rt = None
    if rt is None or rt.kind != kind or rt.group_version != api_version:
        raise NoKindMatch(name, own_ns or "", m.source, kind, api_version)
    ns = (own_ns or namespace or str(engine.namespace)) if rt.namespaced else ""
    return _Target(m, rt, name, ns)


# -- waiting -------------------------------------------------------------------------------


class _Seen(Condition):
    """Wraps a wait's condition to keep the last object it was asked about."""

    __slots__ = ("inner", "slot")

    def __init__(self, inner: Condition, slot: _Slot) -> None:
        self.inner = inner
        self.slot = slot

    @property
    def absent_ok(self) -> bool:
        return self.inner.absent_ok

    def __call__(self, obj: Mapping[str, Any] | None) -> bool:
        self.slot.last = dict(obj) if obj is not None else None
        self.slot.seen = True
        return self.inner(obj)

    def bind(self, first_seen: Mapping[str, Any] | None) -> Condition:
        return _Seen(self.inner.bind(first_seen), self.slot)

    def __repr__(self) -> str:
        return repr(self.inner)


class _Slot:
    """One object's wait: its target, its future and what was last seen."""

    __slots__ = ("future", "last", "seen", "target")

    def __init__(self, target: _Target) -> None:
        self.target = target
        self.future: concurrent.futures.Future[Any] | None = None
        self.last: dict[str, Any] | None = None
        self.seen = False

    def state(self, index: int) -> ObjectState:
        fut = self.future
        done = fut is not None and fut.done() and not fut.cancelled() and fut.exception() is None
        obj = fut.result() if done and fut is not None else self.last
        if done and isinstance(obj, dict):
            self.last = obj
        status = object_status(obj) if (self.seen or done) else ObjectStatus(
            Status.NOT_FOUND, "not read yet")
        return ObjectState(index, self.target.object_name, self.target.namespace, status, done,
                           obj if isinstance(obj, dict) else None)


Progress = Callable[[Sequence[ObjectState]], None]


def wait_objects(
    engine: Any,
    manifests: Iterable[Mapping[str, Any] | Manifest | None],
    for_: ConditionLike | Iterable[ConditionLike] = "ready",
    namespace: str | None = None,
    timeout: float | None = None,
    fail_for: ConditionLike | Iterable[ConditionLike] | None = None,
    ctx: Any = None,
    *,
    progress: Progress | None = None,
    **options: Any,
) -> list[dict[str, Any]]:
    """Wait until ``for_`` (kstatus readiness by default) holds for every object
    in ``manifests`` (dicts as from ``yaml.safe_load_all``, whose empty documents,
    ``None``, are skipped; or :class:`Manifest`; ``kind: List`` is expanded).

    Each object is resolved by ``apiVersion``/``kind`` through the engine's
    discovery and found in its own ``metadata.namespace``, else ``namespace``,
    else the engine's (the kubeconfig context's). Every manifest is checked and
    resolved before any wait starts (:class:`ManifestError`,
    :class:`NoKindMatch`). Then all objects are waited on at once, with one
    deadline (``timeout`` seconds; default as :meth:`Engine.wait`) and the
    engine's shared watches. The first object that fails (``WaitFailed``: a
    ``fail_for`` condition held, a ``ready`` object became Failed or was
    deleted; ``NotFound``; an API error) cancels the others and its error is
    raised. A timeout raises :class:`ObjectsTimeout` naming every unmet object
    with its status and message. ``progress``, if given, is called in the
    calling thread with every object's :class:`ObjectState` about four times a
    second and once at the end. ``options`` go to each ``engine.submit``
    (``poll_interval``, ``watch``).

    Returns the objects as last read, in manifest order.

    Example::

        with Engine() as eng:
            objs = wait_objects(eng, yaml.safe_load_all(open("app.yaml")), timeout=300)
    """
    items = _as_manifests(manifests)
    cond = as_condition(for_)  # a bad for_/fail_for fails before any request
    if fail_for is not None:
        as_condition(fail_for)
    targets = [_resolve(engine, m, namespace) for m in items]
    slots = [_Slot(t) for t in targets]
    opts = dict(options)
    if fail_for is not None:
        opts["fail_for"] = fail_for
    try:
        for slot in slots:
            slot.future = engine.submit(
                slot.target.resource, for_=_Seen(cond, slot),
                namespace=slot.target.namespace or None, timeout=timeout, ctx=ctx, **opts,
            )
        return _collect(slots, progress, checked_once=timeout == 0)
    finally:
        for slot in slots:  # fail fast, Ctrl-C, or a submit that raised
            if slot.future is not None:
                slot.future.cancel()


def _collect(slots: list[_Slot], progress: Progress | None,
             checked_once: bool) -> list[dict[str, Any]]:
    futures = {s.future: s for s in slots if s.future is not None}
    pending = set(futures)
    timed_out: list[_Slot] = []
    while pending:
        done, pending = concurrent.futures.wait(
            pending, timeout=_TICK if progress is not None else None,
            return_when=concurrent.futures.FIRST_EXCEPTION,
        )
        for fut in done:
            exc = fut.exception() if not fut.cancelled() else None
            if isinstance(exc, WaitTimeout):
                timed_out.append(futures[fut])
            elif exc is not None:
                _report(slots, progress)
                raise exc
        _report(slots, progress)
    if timed_out:
        states = [s.state(i) for i, s in enumerate(slots)]
        raise ObjectsTimeout([st for st in states if not st.done],
                             [st.object for st in states if st.done and st.object is not None],
                             checked_once)
    out = []
    for s in slots:
        assert s.future is not None
        obj = s.future.result()
        out.append(obj if isinstance(obj, dict) else s.last or {})
    return out


def _report(slots: list[_Slot], progress: Progress | None) -> None:
    if progress is not None:
        progress([s.state(i) for i, s in enumerate(slots)])
