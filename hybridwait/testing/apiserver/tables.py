"""Server-side output forms chosen by the ``Accept`` header: Table
(``application/json;as=Table;v=v1;g=meta.k8s.io``), so ``kubectl get`` prints the
familiar columns (NAME READY STATUS RESTARTS AGE), and ``PartialObjectMetadata``
/ ``PartialObjectMetadataList`` (metadata only), for get, list and watch.

Example::

    to_table(pods_type, [pod], "42", include_object="Metadata")["kind"]  # "Table"
    negotiate("application/json;as=Table;v=v1;g=meta.k8s.io").form      # Form.TABLE
"""

from __future__ import annotations

from enum import Enum
from typing import Any, NamedTuple

from hybridwait.testing.apiserver.errors import StatusError, bad_request
from hybridwait.testing.apiserver.printers import (
    AGE,
    DEFAULT,
    NAME,
    Column,
    printer_columns,
    since,
)
from hybridwait.testing.apiserver.resources import ResourceType


def _path(obj: Any, json_path: str) -> Any:
    cur = obj
    for seg in json_path.strip().lstrip(".").split("."):
        if not seg:
            continue
        if not isinstance(cur, dict):
            return None
        cur = cur.get(seg)
    return cur


def _custom_columns(rt: ResourceType) -> list[Column]:
    """A custom resource's ``additionalPrinterColumns`` after NAME (dates as ages)."""
    cols: list[Column] = [NAME]
    for c in rt.columns:
        def cell(o: dict[str, Any], p: str = c.json_path, t: str = c.type) -> Any:
            v = _path(o, p)
            if t == "date" and isinstance(v, str):
                return since(v)
            return v
        cols.append(Column(c.name, "string" if c.type == "date" else c.type, cell,
                           c.priority))
    return cols


def columns_for(rt: ResourceType) -> list[Column]:
    """The columns ``kubectl get`` shows for ``rt`` (priority 1: ``-o wide`` only):
    a built-in kind's printer (:mod:`~hybridwait.testing.apiserver.printers`), a
    custom resource's printer columns (NAME AGE without any), else NAME CREATED AT
    as a real server's default table convertor.

    Example::

        [c.name for c in columns_for(pods_type)]   # ["Name", "Ready", "Status", ...]
    """
    if rt.crd:
        return _custom_columns(rt) if rt.columns else [NAME, AGE]
    return printer_columns(rt.key) or DEFAULT


META_GROUP = "meta.k8s.io"
INCLUDE_OBJECT = ("Object", "Metadata", "None", "")


def partial(obj: dict[str, Any], api_version: str = "meta.k8s.io/v1") -> dict[str, Any]:
    """``obj`` as a ``PartialObjectMetadata`` (its metadata only).

    Example::

        partial(pod)["kind"]   # "PartialObjectMetadata"
    """
    return {"kind": "PartialObjectMetadata", "apiVersion": api_version,
            "metadata": obj.get("metadata", {})}


def to_table(rt: ResourceType, objs: list[dict[str, Any]], resource_version: str,
             include_object: str = "Metadata", continue_token: str = "", *,
             api_version: str = "meta.k8s.io/v1", headers: bool = True) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table of ``objs`` (``headers=False``: no column
    definitions, as in a watch's events after the first).

    Raises a 400 ``StatusError`` for an unknown ``include_object``.

    Example::

        to_table(pods_type, [pod], "42")["rows"][0]["cells"][0]   # "web"
    """
    if include_object not in INCLUDE_OBJECT:
        raise bad_request(f'unrecognized includeObject value: "{include_object}"')
    cols = columns_for(rt)
    rows = []
    for o in objs:
        row: dict[str, Any] = {"cells": [c.cell(o) for c in cols]}
        if include_object == "Object":
            row["object"] = o
        elif include_object != "None":
            row["object"] = partial(o, api_version)
        rows.append(row)
    meta: dict[str, Any] = {"resourceVersion": resource_version} if resource_version else {}
    if continue_token:
        meta["continue"] = continue_token
    table: dict[str, Any] = {"kind": "Table", "apiVersion": api_version, "metadata": meta}
    if headers:
        table["columnDefinitions"] = [
            {"name": c.name, "type": c.type, "format": c.format, "description": c.name,
             "priority": c.priority}
            for c in cols
        ]
    table["rows"] = rows
    return table


class Form(Enum):
    """What the client asked the server to send.

    Example::

        Form("Table") is Form.TABLE   # True
    """

    OBJECT = "Object"
    TABLE = "Table"
    PARTIAL = "PartialObjectMetadata"
    PARTIAL_LIST = "PartialObjectMetadataList"


class Output(NamedTuple):
    """The negotiated output: the form and, for meta.k8s.io forms, its version.

    Example::

        Output(Form.TABLE, "v1").api_version   # "meta.k8s.io/v1"
    """

    form: Form
    version: str = "v1"

    @property
    def api_version(self) -> str:
        """``meta.k8s.io/v1`` (or ``v1beta1``)."""
        return f"{META_GROUP}/{self.version}"


PLAIN = Output(Form.OBJECT)


def _not_acceptable(message: str) -> StatusError:
    return StatusError(406, "NotAcceptable", message)


def negotiate(accept: str | None) -> Output:
    """The first media range of ``accept`` the server can produce: a plain
    ``application/json`` (or ``*/*``, protobuf, YAML: answered as JSON) or one with
    ``as=Table`` / ``as=PartialObjectMetadata(List)`` and ``g=meta.k8s.io``,
    ``v=v1|v1beta1``. 406 NotAcceptable when none is.

    Example::

        negotiate("application/json")   # Output(Form.OBJECT, "v1")
    """
    if not accept:
        return PLAIN
    wanted: list[str] = []
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
        as_ = params.get("as")
        if as_ is None:
            return PLAIN
        wanted.append(as_)
        try:
            form = Form(as_)
        except ValueError:
            continue
        if params.get("g") == META_GROUP and params.get("v") in ("v1", "v1beta1") \
                and form is not Form.OBJECT:
            return Output(form, params["v"])
    raise _not_acceptable(f"only the following media types are accepted: application/json, "
                          f"application/yaml, application/vnd.kubernetes.protobuf "
                          f"(asked for {', '.join(wanted)})")


def render_one(out: Output, rt: ResourceType, obj: dict[str, Any],
               include_object: str = "Metadata") -> dict[str, Any]:
    """A single object (GET) in the negotiated form (406 for a list-only form).

    Example::

        render_one(Output(Form.PARTIAL), pods_type, pod)["kind"]   # "PartialObjectMetadata"
    """
    if out.form is Form.TABLE:
        return to_table(rt, [obj], str(obj.get("metadata", {}).get("resourceVersion", "")),
                        include_object, api_version=out.api_version)
    if out.form is Form.PARTIAL:
        return partial(obj, out.api_version)
    if out.form is Form.PARTIAL_LIST:
        raise _not_acceptable("you requested PartialObjectMetadataList, but the requested "
                              "object is not a list")
    return obj


def render_list(out: Output, rt: ResourceType, objs: list[dict[str, Any]],
                list_doc: dict[str, Any], include_object: str = "Metadata") -> dict[str, Any]:
    """A list in the negotiated form (``list_doc`` is the plain list).

    Example::

        render_list(Output(Form.TABLE), pods_type, pods, pod_list)["kind"]   # "Table"
    """
    meta = list_doc.get("metadata", {})
    if out.form is Form.TABLE:
        return to_table(rt, objs, str(meta.get("resourceVersion", "")), include_object,
                        str(meta.get("continue", "")), api_version=out.api_version)
    if out.form is Form.PARTIAL_LIST:
        return {"kind": "PartialObjectMetadataList", "apiVersion": out.api_version,
                "metadata": meta, "items": [partial(o, out.api_version) for o in objs]}
    if out.form is Form.PARTIAL:
        raise _not_acceptable("you requested PartialObjectMetadata, but the requested object "
                              "is a list")
    return list_doc


class WatchRender:
    """Per-stream rendering of watch events' objects in the negotiated form: a
    Table event carries the column definitions only in the stream's first event
    (as a real server's watch encoder does); ``Status`` objects (ERROR events)
    pass unchanged.

    Example::

        r = WatchRender(Output(Form.TABLE), pods_type)
        r.render(pod)["columnDefinitions"]       # present the first time only
    """

    def __init__(self, out: Output, rt: ResourceType, include_object: str = "Metadata") -> None:
        if out.form is Form.PARTIAL_LIST:
            raise _not_acceptable("you requested PartialObjectMetadataList, but the requested "
                                  "object is not a list")
        if include_object not in INCLUDE_OBJECT:
            raise bad_request(f'unrecognized includeObject value: "{include_object}"')
        self.out = out
        self.rt = rt
        self.include_object = include_object
        self._headers = True

    def render(self, obj: dict[str, Any], bookmark: bool = False) -> dict[str, Any]:
        """The event object to send for ``obj``."""
        if obj.get("kind") == "Status" or self.out.form is Form.OBJECT:
            return obj
        if self.out.form is Form.PARTIAL:
            return partial(obj, self.out.api_version)
        rows = [] if bookmark else [obj]
        table = to_table(self.rt, rows, str(obj.get("metadata", {}).get("resourceVersion", "")),
                         self.include_object, api_version=self.out.api_version,
                         headers=self._headers)
        self._headers = False
        return table
