"""Subresources: ``/scale`` (built-ins and CRDs that declare it), pods/binding,
the bindings resource, pods/eviction, and the node-bound pod subresources."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.subresources import selector_string

from .conftest import WIDGET_CRD, pod, raw

DEPLOY = "/apis/apps/v1/namespaces/default/deployments"


def workload(kind: str, name: str = "web", replicas: int = 2) -> dict[str, Any]:
    extra = {"serviceName": name} if kind == "StatefulSet" else {}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {"replicas": replicas, **extra,
                     "selector": {"matchLabels": {"app": name},
                                  "matchExpressions": [{"key": "tier", "operator": "In",
                                                        "values": ["b", "a"]}]},
                     "template": {"metadata": {"labels": {"app": name, "tier": "a"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def test_selector_string_form() -> None:
    assert selector_string({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "c", "operator": "NotIn", "values": ["y", "x"]},
        {"key": "d", "operator": "Exists"}, {"key": "e", "operator": "DoesNotExist"}]}) \
        == "a=1,b=2,c notin (x,y),d,!e"


@pytest.mark.parametrize("plural,kind", [("deployments", "Deployment"),
                                         ("replicasets", "ReplicaSet"),
                                         ("statefulsets", "StatefulSet")])
def test_scale_get_put_patch(srv: FakeAPIServer, plural: str, kind: str) -> None:
    base = f"/apis/apps/v1/namespaces/default/{plural}"
    assert raw(srv, "POST", base, workload(kind))[0] == 201
    code, _, scale = raw(srv, "GET", f"{base}/web/scale")
    assert code == 200
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 0, "selector": "app=web,tier in (a,b)"}
    scale["spec"]["replicas"] = 4
    code, _, put = raw(srv, "PUT", f"{base}/web/scale", scale)
    assert code == 200 and put["spec"]["replicas"] == 4
    code, _, patched = raw(srv, "PATCH", f"{base}/web/scale", {"spec": {"replicas": 1}},
                           {"Content-Type": "application/merge-patch+json"})
    assert code == 200 and patched["spec"]["replicas"] == 1
    obj = raw(srv, "GET", f"{base}/web")[2]
    assert obj["spec"]["replicas"] == 1 and obj["metadata"]["resourceVersion"] \
        == patched["metadata"]["resourceVersion"]
    # The stale resourceVersion of the first read conflicts; nothing changes.
    code, _, status = raw(srv, "PUT", f"{base}/web/scale", scale)
    assert code == 409 and status["reason"] == "Conflict"
    assert raw(srv, "GET", f"{base}/web")[2]["spec"]["replicas"] == 1


def test_scale_with_the_official_client_bumps_generation(srv: FakeAPIServer) -> None:
    apps = client.AppsV1Api(srv.api_client())
    apps.create_namespaced_deployment("default", workload("Deployment"))
    got = apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 5}})
    assert got.spec.replicas == 5 and got.status.selector == "app=web,tier in (a,b)"
    dep = apps.read_namespaced_deployment("web", "default")
    assert dep.spec.replicas == 5 and dep.metadata.generation == 2
    assert apps.read_namespaced_deployment_scale("web", "default").spec.replicas == 5
    with pytest.raises(ApiException) as err:
        apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": -1}})
    assert err.value.status == 422
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 5


def test_scale_of_missing_object_and_of_a_type_without_scale(srv: FakeAPIServer) -> None:
    assert raw(srv, "GET", f"{DEPLOY}/nope/scale")[0] == 404
    assert raw(srv, "POST", "/api/v1/namespaces/default/configmaps",
               {"metadata": {"name": "c"}})[0] == 201
    assert raw(srv, "GET", "/api/v1/namespaces/default/configmaps/c/scale")[0] == 404


def test_custom_resource_scale_uses_the_crd_paths(srv: FakeAPIServer) -> None:
    crd = copy.deepcopy(WIDGET_CRD)
    crd["spec"]["versions"][0]["subresources"]["scale"] = {
        "specReplicasPath": ".spec.size", "statusReplicasPath": ".status.ready",
        "labelSelectorPath": ".status.selector"}
    assert raw(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
               crd)[0] == 201
    base = "/apis/example.com/v1/namespaces/default/widgets"
    assert raw(srv, "POST", base, {"apiVersion": "example.com/v1", "kind": "Widget",
                                   "metadata": {"name": "w"}, "spec": {"size": 3}})[0] == 201
    assert raw(srv, "PUT", f"{base}/w/status", {
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": 3}, "status": {"ready": 2, "selector": "app=w"}})[0] == 200
    code, _, scale = raw(srv, "GET", f"{base}/w/scale")
    assert code == 200, scale
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 2, "selector": "app=w"}
    code, _, _ = raw(srv, "PATCH", f"{base}/w/scale", {"spec": {"replicas": 7}},
                     {"Content-Type": "application/merge-patch+json"})
    assert code == 200
    assert raw(srv, "GET", f"{base}/w")[2]["spec"]["size"] == 7
    # The v1beta1 version does not declare scale.
    assert raw(srv, "GET", "/apis/example.com/v1beta1/namespaces/default/widgets/w/scale")[0] \
        == 404


def test_binding_assigns_the_node_once(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("web"))
    code, _, status = raw(srv, "POST", "/api/v1/namespaces/default/pods/web/binding",
                          {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "web"},
                           "target": {"kind": "Node", "name": "n1"}})
    assert code == 201 and status == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                      "status": "Success", "code": 201}
    got = v1.read_namespaced_pod("web", "default")
    assert got.spec.node_name == "n1"
    assert [(c.type, c.status) for c in got.status.conditions] == [("PodScheduled", "True")]
    code, _, status = raw(srv, "POST", "/api/v1/namespaces/default/pods/web/binding",
                          {"target": {"kind": "Node", "name": "n2"}})
    assert code == 409 and 'already assigned to node "n1"' in status["message"]
    assert v1.read_namespaced_pod("web", "default").spec.node_name == "n1"


def test_bindings_resource_and_missing_target(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("web"))
    code, _, status = raw(srv, "POST", "/api/v1/namespaces/default/bindings",
                          {"metadata": {"name": "web"}, "target": {"name": ""}})
    assert code == 422 and status["reason"] == "Invalid"
    v1.create_namespaced_binding("default", {"metadata": {"name": "web"},
                                             "target": {"kind": "Node", "name": "n3"}},
                                 _preload_content=False)
    assert v1.read_namespaced_pod("web", "default").spec.node_name == "n3"
    assert raw(srv, "POST", "/api/v1/namespaces/default/bindings",
               {"metadata": {"name": "nope"}, "target": {"name": "n"}})[0] == 404


def test_eviction_deletes_the_pod(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("web"))
    v1.create_namespaced_pod("default", pod("held", finalizers=["example.com/x"]))
    v1.create_namespaced_pod_eviction("web", "default", {
        "apiVersion": "policy/v1", "kind": "Eviction",
        "metadata": {"name": "web", "namespace": "default"}}, _preload_content=False)
    with pytest.raises(ApiException) as err:
        v1.read_namespaced_pod("web", "default")
    assert err.value.status == 404
    code, _, _ = raw(srv, "POST", "/api/v1/namespaces/default/pods/held/eviction",
                     {"apiVersion": "policy/v1", "kind": "Eviction",
                      "metadata": {"name": "held"}})
    assert code == 201
    assert v1.read_namespaced_pod("held", "default").metadata.deletion_timestamp is not None
    code, _, status = raw(srv, "POST", "/api/v1/namespaces/default/pods/nope/eviction",
                          {"metadata": {"name": "nope"}})
    assert code == 404 and status["reason"] == "NotFound"


def test_node_bound_subresources_answer_like_a_server_without_kubelet(
        srv: FakeAPIServer) -> None:
    two = pod("web")
    two["spec"]["containers"].append({"name": "side", "image": "envoy"})
    assert raw(srv, "POST", "/api/v1/namespaces/default/pods", two)[0] == 201
    base = "/api/v1/namespaces/default/pods/web"
    code, _, body = raw(srv, "GET", f"{base}/log")
    assert code == 400 and body["message"] == (
        "a container name must be specified for pod web, choose one of: [c side]")
    code, headers, body = raw(srv, "GET", f"{base}/log?container=c")
    assert code == 200 and body == "" and headers["Content-Type"] == "text/plain"
    code, _, body = raw(srv, "GET", f"{base}/log?container=nope")
    assert code == 400 and body["message"] == "container nope is not valid for pod web"
    for sub in ("exec?container=c&command=ls", "attach?container=c", "portforward?ports=80"):
        code, _, body = raw(srv, "POST", f"{base}/{sub}")
        assert code == 400, sub
        assert body["reason"] == "BadRequest"
        assert body["message"] == "pod web does not have a host assigned"
    assert raw(srv, "GET", "/api/v1/namespaces/default/pods/nope/log")[0] == 404


def test_service_account_token(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_service_account("default", {"metadata": {"name": "robot"}})
    code, _, tr = raw(srv, "POST", "/api/v1/namespaces/default/serviceaccounts/robot/token",
                      {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                       "spec": {"expirationSeconds": 600}})
    assert code == 201 and tr["kind"] == "TokenRequest"
    _header, claims, signature = tr["status"]["token"].split(".")
    padded = claims + "=" * (-len(claims) % 4)
    payload = json.loads(base64.urlsafe_b64decode(padded))
    assert payload["sub"] == "system:serviceaccount:default:robot"
    assert payload["exp"] - payload["iat"] == 600 and signature == ""
    assert tr["status"]["expirationTimestamp"].endswith("Z")
    code, _, status = raw(srv, "POST", "/api/v1/namespaces/default/serviceaccounts/robot/token",
                          {"spec": {"expirationSeconds": 5}})
    assert code == 422 and "less than 10 minutes" in status["message"]
    assert raw(srv, "POST", "/api/v1/namespaces/default/serviceaccounts/nope/token", {})[0] \
        == 404


def test_malformed_subresource_bodies_are_400(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", pod("web"))
    v1.create_namespaced_service_account("default", {"metadata": {"name": "robot"}})
    before = v1.read_namespaced_pod("web", "default").metadata.resource_version
    base = "/api/v1/namespaces/default"
    for path, body in ((f"{base}/pods/web/binding", [1]),
                       (f"{base}/pods/web/binding", {"target": 3}),
                       (f"{base}/bindings", {"metadata": 3}),
                       (f"{base}/pods/web/eviction", {"metadata": 3}),
                       (f"{base}/pods/web/eviction", {"deleteOptions": "now"}),
                       (f"{base}/pods/web/eviction", {"metadata": {"name": "other"}}),
                       (f"{base}/serviceaccounts/robot/token", {"spec": 3})):
        code, _, status = raw(srv, "POST", path, body)
        assert code == 400, (path, body, status)
        assert status["reason"] == "BadRequest"
    assert v1.read_namespaced_pod("web", "default").metadata.resource_version == before


def test_replication_controller_scale(srv: FakeAPIServer) -> None:
    base = "/api/v1/namespaces/default/replicationcontrollers"
    rc = {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
          "spec": {"replicas": 1, "selector": {"app": "rc"},
                   "template": {"metadata": {"labels": {"app": "rc"}},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    assert raw(srv, "POST", base, rc)[0] == 201
    code, _, scale = raw(srv, "GET", f"{base}/rc/scale")
    assert code == 200 and scale["status"]["selector"] == "app=rc"
    code, _, scale = raw(srv, "PATCH", f"{base}/rc/scale", {"spec": {"replicas": 3}},
                         {"Content-Type": "application/strategic-merge-patch+json"})
    assert code == 200 and scale["spec"]["replicas"] == 3
    assert raw(srv, "GET", f"{base}/rc")[2]["spec"]["replicas"] == 3
