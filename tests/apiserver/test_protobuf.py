"""Protobuf request bodies: the ``k8s\\x00`` envelope and the objects kubectl's
typed commands send, decoded to the JSON a Go server would store; malformed
bodies get a 400 Status and store nothing."""

from __future__ import annotations

from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.protobuf import CONTENT_TYPE, decode

from .conftest import raw

PB = {"Content-Type": CONTENT_TYPE, "Accept": f"{CONTENT_TYPE},application/json"}


# A minimal encoder, enough to build the bodies a Go client sends.
def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_int(num: int, value: int) -> bytes:
    return varint(num << 3) + varint(value)


def f_bytes(num: int, value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return varint(num << 3 | 2) + varint(len(data)) + data


def entry(num: int, key: str, value: bytes | str) -> bytes:
    return f_bytes(num, f_bytes(1, key) + f_bytes(2, value))


def envelope(api_version: str, kind: str, obj: bytes) -> bytes:
    return b"k8s\x00" + f_bytes(1, f_bytes(1, api_version) + f_bytes(2, kind)) + f_bytes(2, obj) \
        + f_bytes(3, "") + f_bytes(4, "")


def meta(name: str, **labels: str) -> bytes:
    # Go's encoder writes every non-pointer field, zero or not.
    out = f_bytes(1, name) + f_bytes(2, "") + f_bytes(3, "") + f_int(7, 0) + f_bytes(8, b"")
    for k, v in labels.items():
        out += entry(11, k, v)
    return out


def deployment_body(replicas: int) -> bytes:
    container = (f_bytes(1, "web") + f_bytes(2, "nginx")
                 + f_bytes(6, f_bytes(1, "") + f_int(3, 80))
                 + f_bytes(8, b"") + f_bytes(13, "") + f_int(16, 0))
    template = f_bytes(1, meta("", app="web")) + f_bytes(2, f_bytes(2, container))
    spec = (f_int(1, replicas) + f_bytes(2, entry(1, "app", "web")) + f_bytes(3, template)
            + f_bytes(4, f_bytes(1, "RollingUpdate") + f_bytes(2, f_bytes(
                1, f_int(1, 0) + f_int(2, 1) + f_bytes(3, ""))
                + f_bytes(2, f_int(1, 1) + f_bytes(3, "25%"))))
            + f_int(5, 0))
    return envelope("apps/v1", "Deployment", f_bytes(1, meta("web", app="web")) + f_bytes(2, spec))


def test_deployment_decodes_as_go_json_would_encode_it() -> None:
    obj = decode(deployment_body(0))
    assert obj["apiVersion"] == "apps/v1" and obj["kind"] == "Deployment"
    assert obj["metadata"] == {"name": "web", "labels": {"app": "web"}}  # zeros left out
    spec = obj["spec"]
    assert spec["replicas"] == 0  # a pointer field: the explicit zero is kept
    assert "minReadySeconds" not in spec  # omitempty zero left out
    assert spec["selector"] == {"matchLabels": {"app": "web"}}
    assert spec["strategy"] == {"type": "RollingUpdate",
                                "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}}
    c = spec["template"]["spec"]["containers"][0]
    assert c == {"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
                 "resources": {}}


def test_secret_bytes_become_base64_and_time_is_rfc3339() -> None:
    body = envelope("v1", "Secret", f_bytes(1, f_bytes(1, "s") + f_bytes(9, f_int(1, 86400)))
                    + entry(2, "k", b"\x00\xff") + f_bytes(3, "Opaque"))
    obj = decode(body)
    assert obj["data"] == {"k": "AP8="} and obj["type"] == "Opaque"
    assert obj["metadata"]["deletionTimestamp"] == "1970-01-02T00:00:00Z"


def test_negative_numbers_and_unknown_fields() -> None:
    body = envelope("v1", "Pod", f_bytes(1, f_bytes(1, "p"))
                    + f_bytes(2, f_int(4, -5) + f_int(999, 7)))
    obj = decode(body)
    assert obj["spec"] == {"terminationGracePeriodSeconds": -5}


@pytest.mark.parametrize("body", [
    b"not protobuf",                                          # no envelope prefix
    b"k8s\x00\x0a\x05\x0a\x02v1",                               # truncated
    envelope("v1", "Namespace", f_bytes(1, f_int(1, 3))),     # wrong wire type for a string
    envelope("v1", "Namespace", f_bytes(1, f_bytes(1, b"\xff\xfe"))),  # invalid UTF-8
    b"k8s\x00" + bytes([0x0B]),                              # group wire type
    envelope("", "", b""),                                    # no kind
])
def test_malformed_bodies_are_400(body: bytes) -> None:
    with pytest.raises(StatusError) as err:
        decode(body)
    assert err.value.code == 400 and err.value.reason == "BadRequest"


def test_unknown_kind_is_415() -> None:
    with pytest.raises(StatusError) as err:
        decode(envelope("example.com/v1", "Widget", b""))
    assert err.value.code == 415


# -- over HTTP ---------------------------------------------------------------------
def test_create_from_protobuf_answers_json(srv: FakeAPIServer) -> None:
    code, headers, body = raw(srv, "POST", "/apis/apps/v1/namespaces/default/deployments",
                              deployment_body(2), PB)
    assert code == 201, body
    assert headers["Content-Type"] == "application/json"
    assert body["spec"]["replicas"] == 2 and body["metadata"]["uid"]
    code, _, got = raw(srv, "GET", "/apis/apps/v1/namespaces/default/deployments/web")
    assert got["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}]  # protocol defaulted


def test_malformed_protobuf_over_http_is_400_and_stores_nothing(srv: FakeAPIServer) -> None:
    before = raw(srv, "GET", "/api/v1/namespaces")[2]["metadata"]["resourceVersion"]
    for body in (b"garbage", b"k8s\x00\x0a\x05\x0a\x02v1", envelope("v1", "Namespace", b"\x0a")):
        code, _, status = raw(srv, "POST", "/api/v1/namespaces", body, PB)
        assert code == 400 and status["kind"] == "Status" and status["reason"] == "BadRequest"
    # A wrong kind for the URL is the same 400 a JSON body gets.
    code, _, status = raw(srv, "POST", "/api/v1/namespaces",
                          envelope("v1", "ConfigMap", f_bytes(1, f_bytes(1, "x"))), PB)
    assert code == 400, status
    after: dict[str, Any] = raw(srv, "GET", "/api/v1/namespaces")[2]
    assert after["metadata"]["resourceVersion"] == before
