"""Bad input gets the proper ``metav1.Status`` (or a clean close), the server
keeps serving everyone else, and no half-written object is ever visible."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest
from kubernetes import client

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver import MAX_BODY_BYTES

from .conftest import pod, raw

PODS = "/api/v1/namespaces/default/pods"


def _unchanged(srv: FakeAPIServer, rv: int) -> None:
    assert srv.store.revision == rv
    status, _, body = raw(srv, "GET", PODS)
    assert status == 200 and body["items"] == []


@pytest.mark.parametrize(("body", "code", "reason"), [
    (b'{"metadata": {"name": "x"', 400, "BadRequest"),
    (b"[1, 2]", 400, "BadRequest"),
    (b"", 400, "BadRequest"),
    (json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}).encode(),
     400, "BadRequest"),
    (json.dumps({"apiVersion": "apps/v1", "kind": "Pod", "metadata": {"name": "x"}}).encode(),
     400, "BadRequest"),
    (json.dumps({"metadata": {"labels": {"a": 1}, "name": "x"}}).encode(), 400, "BadRequest"),
    (json.dumps({"metadata": {}}).encode(), 422, "Invalid"),
    (json.dumps({"metadata": {"name": "UPPER"}}).encode(), 422, "Invalid"),
    (json.dumps({"metadata": "nope"}).encode(), 400, "BadRequest"),
])
def test_bad_bodies_get_status_and_write_nothing(srv: FakeAPIServer, body: bytes, code: int,
                                                 reason: str) -> None:
    rv = srv.store.revision
    status, _, doc = raw(srv, "POST", PODS, body)
    assert status == code, doc
    assert doc["kind"] == "Status" and doc["status"] == "Failure"
    assert doc["code"] == code and doc["reason"] == reason and doc["message"]
    _unchanged(srv, rv)


def test_unknown_resource_and_methods(srv: FakeAPIServer) -> None:
    for path in ("/api/v1/namespaces/default/frobs", "/apis/nope.io/v1/things",
                 "/api/v1/namespaces/default/pods/x/exec", "/apis/apps/v9/deployments"):
        status, _, doc = raw(srv, "GET", path)
        assert status == 404 and doc["reason"] == "NotFound", path
    status, _, doc = raw(srv, "POST", PODS + "/named", pod("named"))
    assert status == 405 and doc["reason"] == "MethodNotAllowed"
    status, _, doc = raw(srv, "PUT", PODS, pod("x"))
    assert status == 405
    raw(srv, "POST", PODS, pod("a"))
    status, _, doc = raw(srv, "PUT", PODS + "/a", pod("b"))
    assert status == 400 and "does not match" in doc["message"]
    status, _, doc = raw(srv, "PATCH", PODS + "/a", b'{"x":1}',
                         {"Content-Type": "text/plain"})
    assert status == 415
    status, _, doc = raw(srv, "GET", PODS + "?labelSelector=a%20in%20x")
    assert status == 400
    status, _, doc = raw(srv, "GET", PODS + "?watch=1&resourceVersion=abc")
    assert status == 400


def test_huge_body_is_rejected_with_413(srv: FakeAPIServer) -> None:
    rv = srv.store.revision
    big = {"metadata": {"name": "big"}, "data": {"k": "x" * (MAX_BODY_BYTES + 10)}}
    status, _, doc = raw(srv, "POST", "/api/v1/namespaces/default/configmaps", big)
    assert status == 413 and doc["reason"] == "RequestEntityTooLarge"
    assert srv.store.revision == rv
    # a body just under the limit is fine
    ok = {"metadata": {"name": "ok"}, "data": {"k": "x" * (MAX_BODY_BYTES - 1000)}}
    status, _, _ = raw(srv, "POST", "/api/v1/namespaces/default/configmaps", ok)
    assert status == 201


def test_keep_alive_connection_survives_errors(srv: FakeAPIServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        for body, want in ((b"{broken", 400), (json.dumps(pod("a")).encode(), 201),
                           (json.dumps(pod("a")).encode(), 409)):
            conn.request("POST", PODS, body=body, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            assert resp.status == want
            resp.read()
        conn.request("POST", "/api/v1/namespaces/default/frobs", body=b'{"a": 1}',
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 404
        resp.read()  # the unread body was drained: the next request still parses
        conn.request("GET", PODS + "/a")
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["metadata"]["name"] == "a"
    finally:
        conn.close()


def test_client_disconnecting_mid_body_writes_nothing(srv: FakeAPIServer) -> None:
    rv = srv.store.revision
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST " + PODS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
              b'{"metadata": {"name": "half"')
    s.close()
    time.sleep(0.2)
    _unchanged(srv, rv)


def test_client_disconnecting_mid_stream(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    socks = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(b"GET " + PODS.encode() + b"?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200")
        socks.append(s)
    assert srv.watch_count() == 3
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST: an abrupt disconnect
    for i in range(3):
        v1.create_namespaced_pod("default", pod(f"p{i}"))
    deadline = time.monotonic() + 6
    while srv.watch_count() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.watch_count() == 0
    assert len(v1.list_namespaced_pod("default").items) == 3


def test_garbage_request_line_is_answered_and_server_lives(srv: FakeAPIServer) -> None:
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"\x16\x03\x01 not http at all\r\n\r\n")
    data = s.recv(4096)
    s.close()
    assert data.startswith(b"HTTP/1.1 400") or data == b""
    status, _, _ = raw(srv, "GET", "/api/v1")
    assert status == 200


def test_a_client_that_stops_reading_blocks_no_writer(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", srv.port))
    slow.sendall(b"GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        rv = v1.list_namespaced_config_map("default").metadata.resource_version
        t0 = time.monotonic()
        for i in range(40):  # ~8 MB of events the slow client never reads
            v1.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"},
                                                        "data": {"k": "x" * 200_000}})
        assert time.monotonic() - t0 < 20
        from kubernetes import watch
        names = [e["raw_object"]["metadata"]["name"] for e in watch.Watch().stream(
            v1.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=1)]
        assert names == [f"c{i}" for i in range(40)]  # everyone else is served in full
    finally:
        slow.close()
