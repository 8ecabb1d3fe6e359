"""Resource strings resolved like kubectl, through API discovery.

Accepted type forms: plural (``pods``), singular (``pod``), short name
(``po``, ``deploy``, ``crd``), kind (``Pod``), ``TYPE.GROUP``
(``deployments.apps``, ``foos.example.com``) and ``TYPE.VERSION.GROUP``
(``deployments.v1.apps``), custom resources included. An argument is ``TYPE``
or ``TYPE/NAME``.

Discovery documents are cached in a ``cachetools.TTLCache``; concurrent
callers of one key wait for the first one's fetch (``cached(condition=...)``).
The core group is read first and the others only when needed, so resolving
``pods`` costs one request. An unknown type refreshes discovery once (a CRD
may just have been created) and then raises
:class:`~hybridwait.kube.errors.UnknownResourceType`.

Example::

    d = Discovery(transport)
    rt = d.resolve("deploy")          # ResourceType(deployments.apps/v1)
    rt.path("default", "api")         # '/apis/apps/v1/namespaces/default/deployments/api'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import cachetools

from hybridwait.kube.errors import NotFound, UnknownResourceType
from hybridwait.kube.transport import Transport

__all__ = [
    "Discovery",
    "ResourceType",
    "check_path_segment",
    "parse_resource_arg",
    "type_candidates",
]


@dataclass(frozen=True)
class ResourceType:
    """One served resource: where it lives and what it is called.

    ``key`` (``pods``, ``deployments.apps``) names it in caches and messages.

    Example::

        ResourceType("apps", "v1", "deployments", "deployment", "Deployment", True).key
        # 'deployments.apps'
    """

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``plural`` or ``plural.group`` (kubectl's group-resource string)."""
        return self.plural if not self.group else f"{self.plural}.{self.group}"

    @property
    def group_version(self) -> str:
        return self.version if not self.group else f"{self.group}/{self.version}"

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection (``name`` None) or of one object.

        A cluster-scoped type ignores ``namespace``; ``namespace`` None on a
        namespaced type is the all-namespaces collection.
        """
        prefix = "/api/" + self.version if not self.group else f"/apis/{self.group}/{self.version}"
        if self.namespaced and namespace:
            prefix += "/namespaces/" + _segment(namespace, "namespace")
        prefix += "/" + self.plural
        return prefix if name is None else prefix + "/" + _segment(name, "resource name")

    def __str__(self) -> str:
        return self.key


def check_path_segment(value: str, what: str = "resource name") -> str:
    """Reject a name or namespace that is not a valid URL path segment, with
    client-go's text (``invalid resource name "..": [may not be '..']``);
    ``?`` and ``#`` are refused too (no object can be named with them and they
    would end the path). Returns ``value``.

    Example::

        check_path_segment("web-0")        # 'web-0'
        check_path_segment("..")           # ValueError
    """
    problems = []
    if value in (".", ".."):
        problems.append(f"may not be '{value}'")
    problems += [f"may not contain '{c}'" for c in "/%?#" if c in value]
    if problems:
        raise ValueError(f'invalid {what} "{value}": [{", ".join(problems)}]')
    return value


def _segment(value: str, what: str) -> str:
    return quote(check_path_segment(value, what), safe="")


def parse_resource_arg(arg: str) -> tuple[str, str | None]:
    """Split ``TYPE`` or ``TYPE/NAME`` (``ValueError`` quoting a malformed argument).

    Example::

        parse_resource_arg("deployment.apps/api")   # ('deployment.apps', 'api')
    """
    if not isinstance(arg, str):
        raise TypeError(f"resource must be a string, not {type(arg).__name__}")
    text = arg.strip()
    if not text:
        raise ValueError(f"resource cannot be empty: {arg!r}")
    rtype, sep, name = text.partition("/")
    if not rtype:
        raise ValueError(f'arguments in resource/name form must have a resource type: "{arg}"')
    if sep and (not name or "/" in name):
        raise ValueError(
            f'arguments in resource/name form must have a single resource and name: "{arg}"'
        )
    if any(c.isspace() for c in text):
        raise ValueError(f'invalid resource "{arg}"')
    if sep:
        check_path_segment(name)
    return rtype, (name if sep else None)


def type_candidates(rtype: str) -> list[tuple[str, str | None, str | None]]:
    """``(resource, version, group)`` readings of a type string, in kubectl's order:
    ``TYPE.VERSION.GROUP`` first (3+ parts), then ``TYPE.GROUP``, or bare ``TYPE``.

    Example::

        type_candidates("foos.example.com")
        # [('foos', 'example', 'com'), ('foos', None, 'example.com')]
    """
    name = rtype.lower()
    parts = name.split(".")
    if len(parts) == 1:
        return [(name, None, None)]
    out: list[tuple[str, str | None, str | None]] = []
    if len(parts) >= 3:
        out.append((parts[0], parts[1], ".".join(parts[2:])))
    out.append((parts[0], None, ".".join(parts[1:])))
    return out


def _matches(rt: ResourceType, name: str, by_kind: bool) -> bool:
    if by_kind:
        return rt.kind.lower() == name
    return name in (rt.plural, rt.singular) or name in rt.short_names


class Discovery:
    """Resolves type strings to :class:`ResourceType` through legacy discovery.

    ``ttl`` seconds of caching (``timer`` is the cache's clock); thread-safe.

    Example::

        Discovery(transport).resolve("crd")   # customresourcedefinitions.apiextensions.k8s.io
    """

    def __init__(
        self, transport: Transport, ttl: float = 600.0, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._transport = transport
        self._cache: cachetools.TTLCache[Any, Any] = cachetools.TTLCache(
            maxsize=512, ttl=ttl, timer=timer
        )
        self._cond = threading.Condition()
        try:  # cachetools >= 6: concurrent callers of one key wait for the first fetch
            deco = cachetools.cached(self._cache, lock=self._cond, condition=self._cond)
        except TypeError:  # cachetools 5: a lock only (a stampede costs a few requests)
            deco = cachetools.cached(self._cache, lock=self._cond)
        self._fetch: Callable[[str], Any] = deco(self._fetch_uncached)
        self._resolved: cachetools.TTLCache[str, ResourceType] = cachetools.TTLCache(
            maxsize=512, ttl=ttl, timer=timer
        )
        self._resolved_lock = threading.Lock()
        self.requests = 0

    def _fetch_uncached(self, path: str) -> Any:
        with self._resolved_lock:
            self.requests += 1
        try:
            return self._transport.get_json(path)
        except NotFound:
            return None  # a group version that went away

    def invalidate(self) -> None:
        """Forget every cached discovery document."""
        with self._cond:
            self._cache.clear()
        with self._resolved_lock:
            self._resolved.clear()

    def _group_versions(self, group: str) -> list[str]:
        """Versions of ``group`` (preferred first); ``""`` is the core group."""
        if group == "":
            return ["v1"]
        doc = self._fetch("/apis")
        for g in (doc or {}).get("groups") or []:
            if g.get("name") == group:
                preferred = (g.get("preferredVersion") or {}).get("version")
                versions = [v.get("version") for v in g.get("versions") or [] if v.get("version")]
                return ([preferred] if preferred else []) + [v for v in versions if v != preferred]
        return []

    def _groups(self) -> list[str]:
        doc = self._fetch("/apis")
        return [g["name"] for g in (doc or {}).get("groups") or [] if g.get("name")]

    def _resources(self, group: str, version: str) -> list[ResourceType]:
        path = "/api/" + version if group == "" else f"/apis/{group}/{version}"
        doc = self._fetch(path)
        out = []
        for r in (doc or {}).get("resources") or []:
            name = r.get("name") or ""
            if not name or "/" in name:
                continue  # subresources
            verbs = r.get("verbs") or []
            if verbs and "get" not in verbs and "list" not in verbs:
                continue
            out.append(
                ResourceType(
                    group=group,
                    version=version,
                    plural=name,
                    singular=(r.get("singularName") or "").lower() or name,
                    kind=r.get("kind") or "",
                    namespaced=bool(r.get("namespaced")),
                    short_names=tuple(s.lower() for s in r.get("shortNames") or []),
                )
            )
        return out

    def _iter_groups(self, group: str | None) -> Iterator[str]:
        if group is not None:
            yield group
            return
        yield ""  # the core group first, fetched alone: `pods` costs one request
        yield from self._groups()

    def _search(self, name: str, version: str | None, group: str | None) -> ResourceType | None:
        for by_kind in (False, True):  # names and short names first, then kinds
            for g in self._iter_groups(group):
                versions = self._group_versions(g)
                if version:
                    versions = [version] if version in versions else []
                for v in versions:
                    for rt in self._resources(g, v):
                        if _matches(rt, name, by_kind):
                            return rt
        return None

    def _lookup(self, rtype: str) -> ResourceType | None:
        for name, version, group in type_candidates(rtype):
            found = self._search(name, version, group)
            if found is not None:
                return found
        return None

    def resolve(self, rtype: str) -> ResourceType:
        """Resolve a type string (see module doc). Raises
        :class:`UnknownResourceType` (after one discovery refresh) or ``ValueError``.
        """
        if not rtype or "/" in rtype:
            raise ValueError(f'invalid resource type "{rtype}"')
        with self._resolved_lock:
            hit = self._resolved.get(rtype)
        if hit is not None:
            return hit
        found = self._lookup(rtype)
        if found is None:
            self.invalidate()
            found = self._lookup(rtype)
        if found is None:
            raise UnknownResourceType(rtype)
        with self._resolved_lock:
            self._resolved[rtype] = found
        return found
