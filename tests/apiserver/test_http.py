"""The emulator's HTTP layer: request headers (any case, the first of repeated
ones), 431 for too many or too long header lines, one write per response, and
a stored revision's JSON shared by its watch event, GET and LIST."""

from __future__ import annotations

import io
import json
import socket

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.handler import Headers

from .conftest import pod, raw

PODS = "/api/v1/namespaces/default/pods"


def _exchange(srv: FakeAPIServer, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(data)
        chunks = []
        while True:
            got = s.recv(65536)
            if not got:
                break
            chunks.append(got)
        return b"".join(chunks)


def test_headers_by_any_case_first_of_repeated_and_folded() -> None:
    h = Headers.read(io.BytesIO(b"Content-Type: application/json\r\nX-A: 1\r\nx-a: 2\r\n"
                                b"X-Long: one\r\n two\r\n\r\nbody"))
    assert h.get("content-type") == "application/json"
    assert h["CONTENT-TYPE"] == "application/json"
    assert h.get("X-A") == "1" and h.get_all("x-a") == ["1", "2"]
    assert h.get("X-Long") == "one two"
    assert h.get("missing") is None and h.get("missing", "d") == "d"
    assert "x-long" in h and "nope" not in h


def test_too_many_or_too_long_headers_are_431_with_a_status(
        fake_apiserver: FakeAPIServer) -> None:
    many = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    answer = _exchange(fake_apiserver, b"GET /api HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431")
    assert b'"kind":"Status"' in answer
    long = b"X-Big: " + b"a" * 70_000 + b"\r\n"
    answer = _exchange(fake_apiserver, b"GET /api HTTP/1.1\r\nHost: x\r\n" + long + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431")


def test_bad_request_line_and_http2_are_refused(fake_apiserver: FakeAPIServer) -> None:
    bad = _exchange(fake_apiserver, b"GET /api HTTP/x.y\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400") and b"Bad request version" in bad
    assert _exchange(fake_apiserver, b"GET /api HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 505")
    assert _exchange(fake_apiserver, b"POST /api\r\n\r\n").startswith(b"HTTP/1.1 400")


def test_keep_alive_serves_several_requests_on_one_connection(
        fake_apiserver: FakeAPIServer) -> None:
    req = b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = _exchange(fake_apiserver, req + req + last)
    assert answer.count(b"HTTP/1.1 200") == 3
    assert answer.count(b"Date: ") == 3


def test_write_get_list_and_watch_send_the_same_json(fake_apiserver: FakeAPIServer) -> None:
    srv = fake_apiserver
    code, _, created = raw(srv, "POST", PODS, pod("web"))
    assert code == 201
    rv = created["metadata"]["resourceVersion"]
    code, _, patched = raw(srv, "PATCH", f"{PODS}/web", {"metadata": {"labels": {"a": "b"}}},
                           {"Content-Type": "application/merge-patch+json"})
    assert code == 200
    _, _, got = raw(srv, "GET", f"{PODS}/web")
    _, _, listed = raw(srv, "GET", PODS)
    assert got == patched == listed["items"][0]
    assert listed["kind"] == "PodList" and list(listed) == ["kind", "apiVersion", "metadata",
                                                            "items"]
    answer = _exchange(srv, f"GET {PODS}?watch=1&resourceVersion={rv}&timeoutSeconds=1 "
                            f"HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    events = [json.loads(line) for line in answer.split(b"\r\n")
              if line.startswith(b'{"type"')]
    assert [e["type"] for e in events] == ["MODIFIED"]
    assert events[0]["object"] == patched
