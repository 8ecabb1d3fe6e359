"""Strategic merge patch: lists merged by the schema's merge keys, the
directives, and the official client's dict-body ``patch_*`` calls over HTTP."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.smp import SchemaNode, builtin_schema, strategic_merge

from .conftest import WIDGET_CRD, raw


def _deploy_schema() -> SchemaNode:
    node = builtin_schema("apps", "v1", "Deployment")
    assert node is not None
    return node


def deployment(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "labels": {"app": "api"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": containers}}},
    }


TWO = [{"name": "web", "image": "nginx:1", "ports": [{"containerPort": 80}],
        "args": ["-a", "-b"]},
       {"name": "side", "image": "envoy:1", "env": [{"name": "A", "value": "1"}]}]


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return got


def patch_containers(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"spec": {"template": {"spec": {"containers": list(items), **extra}}}}


# -- the algorithm ---------------------------------------------------------------
def test_one_container_patched_by_name_keeps_the_others_fields() -> None:
    orig = deployment(TWO)
    before = copy.deepcopy(orig)
    out = strategic_merge(orig, patch_containers({"name": "web", "image": "nginx:2"}),
                          _deploy_schema())
    assert orig == before  # input untouched
    assert containers(out) == [{**TWO[0], "image": "nginx:2"}, TWO[1]]


def test_new_element_appended_and_nested_lists_merged_by_key() -> None:
    out = strategic_merge(deployment(TWO), patch_containers(
        {"name": "side", "env": [{"name": "B", "value": "2"}]},
        {"name": "third", "image": "busybox"}), _deploy_schema())
    assert [c["name"] for c in containers(out)] == ["web", "side", "third"]
    # A real server puts an added element before the server-only ones it has no
    # order against (the patch's elements keep the patch's order).
    assert containers(out)[1]["env"] == [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]


def test_lists_without_a_merge_strategy_are_replaced() -> None:
    out = strategic_merge(deployment(TWO), patch_containers({"name": "web", "args": ["-c"]}),
                          _deploy_schema())
    assert containers(out)[0]["args"] == ["-c"]


def test_patch_delete_and_replace_directives_in_lists() -> None:
    node = _deploy_schema()
    out = strategic_merge(deployment(TWO), patch_containers({"name": "side", "$patch": "delete"}),
                          node)
    assert [c["name"] for c in containers(out)] == ["web"]
    out = strategic_merge(deployment(TWO), patch_containers(
        {"name": "only", "image": "x"}, {"$patch": "replace"}), node)
    assert containers(out) == [{"name": "only", "image": "x"}]


def test_patch_replace_and_delete_on_a_map() -> None:
    node = _deploy_schema()
    out = strategic_merge(deployment(TWO), {"metadata": {"labels": {"$patch": "replace",
                                                                    "new": "1"}}}, node)
    assert out["metadata"]["labels"] == {"new": "1"}
    out = strategic_merge(deployment(TWO), {"spec": {"strategy": {"$patch": "delete"}}}, node)
    assert "strategy" not in out["spec"]


def test_null_deletes_a_key() -> None:
    out = strategic_merge(deployment(TWO), {"metadata": {"labels": {"app": None}}},
                          _deploy_schema())
    assert out["metadata"]["labels"] == {}


def test_retain_keys_clears_fields_not_listed() -> None:
    out = strategic_merge(deployment(TWO), {"spec": {"strategy": {
        "$retainKeys": ["type"], "type": "Recreate"}}}, _deploy_schema())
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    # What kubectl apply sends when a strategy changes type: null for the dropped key.
    out = strategic_merge(deployment(TWO), {"spec": {"strategy": {
        "$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}}}, _deploy_schema())
    assert out["spec"]["strategy"] == {"type": "Recreate"}
    with pytest.raises(StatusError) as err:
        strategic_merge(deployment(TWO), {"spec": {"strategy": {
            "$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 2}}}}, _deploy_schema())
    assert err.value.code == 422


def test_delete_from_primitive_list_and_merged_primitive_list() -> None:
    node = builtin_schema("", "v1", "Pod")
    assert node is not None
    pod = {"metadata": {"name": "p", "finalizers": ["a", "b", "c"]}}
    out = strategic_merge(pod, {"metadata": {"finalizers": ["d", "a"]}}, node)
    assert out["metadata"]["finalizers"] == ["d", "a", "b", "c"]  # union, patch order first
    out = strategic_merge(pod, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}, node)
    assert out["metadata"]["finalizers"] == ["a", "c"]


def test_patch_order_and_server_only_elements_interleave() -> None:
    three = [{"name": n, "image": n} for n in ("a", "b", "c")]
    out = strategic_merge(deployment(three), patch_containers(
        {"name": "c", "image": "c2"}, {"name": "a", "image": "a2"}), _deploy_schema())
    # b (server-only) goes before c, which followed it on the server.
    assert [c["name"] for c in containers(out)] == ["b", "c", "a"]
    out = strategic_merge(deployment(three), patch_containers(
        {"name": "b", "image": "b2"},
        **{"$setElementOrder/containers": [{"name": "c"}, {"name": "b"}]}), _deploy_schema())
    # a (server-only) stays before c, which followed it; c and b in the given order.
    assert [c["name"] for c in containers(out)] == ["a", "c", "b"]


def test_set_element_order() -> None:
    out = strategic_merge(deployment(TWO), patch_containers(
        {"name": "web", "image": "nginx:3"},
        **{"$setElementOrder/containers": [{"name": "side"}, {"name": "web"}]}),
        _deploy_schema())
    assert [c["name"] for c in containers(out)] == ["side", "web"]
    assert containers(out)[1]["image"] == "nginx:3"


def test_service_ports_merge_by_port() -> None:
    node = builtin_schema("", "v1", "Service")
    svc = {"spec": {"ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}}
    out = strategic_merge(svc, {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}, node)
    assert out["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 8080},
                                    {"name": "https", "port": 443}]


def test_malformed_patches_are_400() -> None:
    node = _deploy_schema()
    for bad in (patch_containers({"image": "no-name"}),       # merge key missing
                {"spec": {"strategy": {"$patch": "frobnicate"}}},
                {"spec": {"strategy": {"$retainKeys": "type"}}}):
        with pytest.raises(StatusError) as err:
            strategic_merge(deployment(TWO), bad, node)
        assert err.value.code == 400, bad


# -- over HTTP with the official client ---------------------------------------------
def test_client_patch_deployment_with_dict_body_keeps_other_containers(
        srv: FakeAPIServer) -> None:
    apps = client.AppsV1Api(srv.api_client())
    apps.create_namespaced_deployment("default", deployment(TWO))
    apps.patch_namespaced_deployment("api", "default",
                                     patch_containers({"name": "web", "image": "nginx:2"}))
    got = apps.read_namespaced_deployment("api", "default").to_dict()
    web, side = got["spec"]["template"]["spec"]["containers"]
    assert web["image"] == "nginx:2" and web["ports"][0]["container_port"] == 80
    assert web["args"] == ["-a", "-b"]
    assert side["image"] == "envoy:1" and side["env"][0]["name"] == "A"


def test_service_patch_with_one_port_keeps_both(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_service("default", {
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"},
                 "ports": [{"name": "http", "port": 80, "protocol": "TCP"},
                           {"name": "https", "port": 443, "protocol": "TCP"}]}})
    v1.patch_namespaced_service("web", "default",
                                {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}})
    ports = v1.read_namespaced_service("web", "default").spec.ports
    assert [(p.port, p.target_port) for p in ports] == [(80, 8080), (443, 443)]  # defaulted


def test_bad_strategic_patch_is_400_and_changes_nothing(srv: FakeAPIServer) -> None:
    apps = client.AppsV1Api(srv.api_client())
    apps.create_namespaced_deployment("default", deployment(TWO))
    before = apps.read_namespaced_deployment("api", "default").metadata.resource_version
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment("api", "default", patch_containers({"image": "x"}))
    assert err.value.status == 400
    assert "does not contain declared merge key: name" in err.value.body
    assert apps.read_namespaced_deployment("api", "default").metadata.resource_version == before


def test_custom_resources_refuse_strategic_merge_with_415(srv: FakeAPIServer) -> None:
    assert raw(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
               WIDGET_CRD)[0] == 201
    path = "/apis/example.com/v1/namespaces/default/widgets"
    assert raw(srv, "POST", path, {"apiVersion": "example.com/v1", "kind": "Widget",
                                   "metadata": {"name": "w"}, "spec": {"size": 1}})[0] == 201
    code, _, body = raw(srv, "PATCH", f"{path}/w", {"spec": {"size": 2}},
                        {"Content-Type": "application/strategic-merge-patch+json"})
    assert code == 415 and body["reason"] == "UnsupportedMediaType"
    assert body["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
    code, _, body = raw(srv, "PATCH", f"{path}/w", {"spec": {"size": 2}},
                        {"Content-Type": "application/merge-patch+json"})
    assert code == 200 and body["spec"]["size"] == 2
