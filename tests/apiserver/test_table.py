"""Output forms by ``Accept``: Table and PartialObjectMetadata(List) for get,
list and watch (a Table watch sends column definitions in its first event only)."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from kubernetes import client

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.tables import Form, Output, negotiate

from .conftest import pod, raw

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
PARTIAL = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"
PARTIAL_LIST = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
PODS = "/api/v1/namespaces/default/pods"


def test_negotiate() -> None:
    assert negotiate(None) == Output(Form.OBJECT)
    assert negotiate("application/json") == Output(Form.OBJECT)
    assert negotiate(TABLE) == Output(Form.TABLE, "v1")
    assert negotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io") \
        == Output(Form.TABLE, "v1beta1")
    assert negotiate("application/json;as=Nope;v=v1;g=meta.k8s.io, application/json") \
        == Output(Form.OBJECT)
    with pytest.raises(StatusError) as err:
        negotiate("application/json;as=Table;v=v9;g=meta.k8s.io")
    assert err.value.code == 406


def watch_events(srv: FakeAPIServer, path: str, accept: str) -> list[dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": accept})
        resp = conn.getresponse()
        assert resp.status == 200
        return [json.loads(line) for line in resp.read().splitlines() if line.strip()]
    finally:
        conn.close()


def test_partial_object_metadata_get_and_list(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("a", {"app": "x"}))
    code, _, one = raw(srv, "GET", f"{PODS}/a", headers={"Accept": PARTIAL})
    assert code == 200
    assert one["kind"] == "PartialObjectMetadata" and one["apiVersion"] == "meta.k8s.io/v1"
    assert one["metadata"]["labels"] == {"app": "x"} and "spec" not in one
    code, _, lst = raw(srv, "GET", PODS, headers={"Accept": PARTIAL_LIST})
    assert code == 200 and lst["kind"] == "PartialObjectMetadataList"
    assert [i["metadata"]["name"] for i in lst["items"]] == ["a"]
    assert lst["metadata"]["resourceVersion"]
    assert all(i["kind"] == "PartialObjectMetadata" for i in lst["items"])
    code, _, status = raw(srv, "GET", PODS, headers={"Accept": PARTIAL})
    assert code == 406 and status["reason"] == "NotAcceptable"
    assert raw(srv, "GET", f"{PODS}/a", headers={"Accept": PARTIAL_LIST})[0] == 406


def test_table_include_object(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("a"))
    code, _, table = raw(srv, "GET", f"{PODS}?includeObject=Object", headers={"Accept": TABLE})
    assert code == 200 and table["rows"][0]["object"]["kind"] == "Pod"
    code, _, table = raw(srv, "GET", f"{PODS}/a?includeObject=None", headers={"Accept": TABLE})
    assert code == 200 and "object" not in table["rows"][0]
    assert [c["name"] for c in table["columnDefinitions"]][:3] == ["Name", "Ready", "Status"]
    code, _, status = raw(srv, "GET", f"{PODS}?includeObject=Bogus", headers={"Accept": TABLE})
    assert code == 400 and status["message"] == 'unrecognized includeObject value: "Bogus"'


def test_table_watch_sends_column_definitions_once(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("default", pod("a"))
    v1.create_namespaced_pod("default", pod("b"))
    v1.patch_namespaced_pod_status("b", "default", {"status": {"phase": "Running"}})
    events = watch_events(srv, f"{PODS}?watch=1&resourceVersion={rv}&timeoutSeconds=1",
                          TABLE)
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "MODIFIED"]
    tables = [e["object"] for e in events]
    assert all(t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1" for t in tables)
    assert [c["name"] for c in tables[0]["columnDefinitions"] if c["priority"] == 0] == [
        "Name", "Ready", "Status", "Restarts", "Age"]
    assert all("columnDefinitions" not in t for t in tables[1:])
    assert [t["rows"][0]["cells"][:3] for t in tables] == [
        ["a", "0/1", "Pending"], ["b", "0/1", "Pending"], ["b", "0/1", "Running"]]
    assert tables[2]["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert tables[2]["metadata"]["resourceVersion"] \
        == tables[2]["rows"][0]["object"]["metadata"]["resourceVersion"]


def test_table_watch_initial_events_and_partial_watch(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("a"))
    events = watch_events(srv, f"{PODS}?watch=1&timeoutSeconds=1", TABLE)
    assert [e["type"] for e in events] == ["ADDED"]
    assert "columnDefinitions" in events[0]["object"]
    events = watch_events(srv, f"{PODS}?watch=1&timeoutSeconds=1", PARTIAL)
    assert events[0]["object"]["kind"] == "PartialObjectMetadata"
    assert events[0]["object"]["metadata"]["name"] == "a"
    assert raw(srv, "GET", f"{PODS}?watch=1", headers={"Accept": PARTIAL_LIST})[0] == 406


def test_table_watch_error_event_is_a_status(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("default", pod("a"))
    srv.faults.compact()
    events = watch_events(srv, f"{PODS}?watch=1&resourceVersion={rv}", TABLE)
    assert [e["type"] for e in events] == ["ERROR"]
    assert events[0]["object"]["kind"] == "Status" and events[0]["object"]["code"] == 410
