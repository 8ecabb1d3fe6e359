"""Malformed patches of every type (strategic, merge, apply; on the object and
on /scale) and malformed protobuf bodies: a 4xx Status each, never a 500 or a
dropped connection, and the stored object does not change."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybridwait.testing import FakeAPIServer

from .conftest import raw

DEPLOY = "/apis/apps/v1/namespaces/default/deployments"
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a.io/b"]},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "c", "image": "nginx",
                                                   "ports": [{"containerPort": 80}]}]}}},
}
CONTAINERS = "spec.template.spec"

BAD_PATCHES: list[Any] = [
    {"spec": {"template": {"spec": {"containers": {"a": 1}}}}},
    {"spec": {"template": {"spec": {"containers": [1, 2]}}}},
    {"spec": {"template": {"spec": {"containers": [[1]]}}}},
    {"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}},
    {"spec": {"template": {"spec": {"$setElementOrder/containers": "x",
                                    "containers": [{"name": "c"}]}}}},
    {"metadata": {"$deleteFromPrimitiveList/finalizers": 3}},
    {"metadata": {"finalizers": "x"}},
    {"spec": {"template": {"spec": {"containers": [{"name": "c", "$patch": 5}]}}}},
    {"spec": {"strategy": {"$retainKeys": "type"}}},
    {"spec": {"replicas": "three"}},
    {"spec": {"replicas": -1}},
    {"metadata": {"name": "other"}},
    {"apiVersion": "apps/v2"},
    {"kind": "Pod"},
    {"metadata": None},
    [1, 2], "x", 3,
]
TYPES = ("application/strategic-merge-patch+json", "application/merge-patch+json",
         "application/apply-patch+yaml")


@pytest.fixture
def deployed(srv: FakeAPIServer) -> str:
    code, _, body = raw(srv, "POST", DEPLOY, DEPLOYMENT)
    assert code == 201, body
    return str(body["metadata"]["resourceVersion"])


@pytest.mark.parametrize("ctype", TYPES)
def test_bad_patches_are_4xx_and_change_nothing(srv: FakeAPIServer, deployed: str,
                                                ctype: str) -> None:
    for patch in BAD_PATCHES:
        body = json.dumps(patch).encode()
        code, _, status = raw(srv, "PATCH", f"{DEPLOY}/web?fieldManager=x", body,
                              {"Content-Type": ctype})
        if ctype == TYPES[1] and code == 200:
            continue  # some are valid merge patches that validation accepts
        assert 400 <= code < 500, (ctype, patch, status)
        assert status["kind"] == "Status" and status["status"] == "Failure"
        got = raw(srv, "GET", f"{DEPLOY}/web")[2]
        assert got["metadata"]["resourceVersion"] == deployed, (ctype, patch)
    code, _, status = raw(srv, "PATCH", f"{DEPLOY}/web?fieldManager=x", b"{not json",
                          {"Content-Type": ctype})
    assert code == 400 and status["reason"] == "BadRequest"


def test_bad_scale_bodies(srv: FakeAPIServer, deployed: str) -> None:
    for patch in BAD_PATCHES:
        for method, headers in (("PATCH", {"Content-Type": TYPES[0]}), ("PUT", {})):
            code, _, status = raw(srv, method, f"{DEPLOY}/web/scale", patch, headers)
            assert code < 500, (method, patch, status)  # a Scale without replicas sets 0
    for body in ({"metadata": {"name": "other"}, "spec": {"replicas": 1}},
                 {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 1}},
                 {"spec": {"replicas": "one"}}, {"spec": 3}, [1]):
        code, _, status = raw(srv, "PUT", f"{DEPLOY}/web/scale", body)
        assert code == 400 and status["reason"] == "BadRequest", (body, status)


@pytest.mark.parametrize("body", [b"\x00\x01", b"k8s\x00", b"k8s\x00\x12\x03abc",
                                  b"k8s\x00" + bytes(range(256))])
def test_bad_protobuf_bodies(srv: FakeAPIServer, body: bytes) -> None:
    code, _, status = raw(srv, "POST", DEPLOY, body,
                          {"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert 400 <= code < 500 and status["kind"] == "Status", status
    assert raw(srv, "GET", DEPLOY)[2]["items"] == []
