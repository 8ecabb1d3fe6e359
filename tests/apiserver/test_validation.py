"""Validation, field validation (Ignore/Warn/Strict), pruning and defaulting, with
Status bodies shaped as a real 1.32 server's."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.errors import CauseType, FieldError, invalid, status_json
from hybridwait.testing.apiserver.validation import (
    FieldValidation,
    dns1035_label,
    dns1123_label,
    label_value,
    qualified_name,
)
from tests.apiserver.conftest import raw

PODS = "/api/v1/namespaces/default/pods"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"

STRICT_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.stable.example.com"},
    "spec": {"group": "stable.example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                 "openAPIV3Schema": {"type": "object", "properties": {
                     "spec": {"type": "object", "required": ["size"], "properties": {
                         "size": {"type": "integer"},
                         "mode": {"type": "string", "enum": ["fast", "slow"]},
                         "extra": {"type": "object",
                                   "x-kubernetes-preserve-unknown-fields": True}}}}}}}]}}
GADGETS = "/apis/stable.example.com/v1/namespaces/default/gadgets"


def deployment(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": labels or {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                     **spec}}


def raw_bytes(srv: FakeAPIServer, method: str, path: str, body: Any) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, path, body=None if body is None else json.dumps(body).encode(),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


# -- 422 Invalid ----------------------------------------------------------------------

def test_pod_without_containers_is_422_with_real_causes(srv: FakeAPIServer) -> None:
    code, body = raw_bytes(srv, "POST", PODS, {"metadata": {"name": "p"}, "spec": {}})
    assert code == 422
    # Field order, compact encoding and the trailing newline of a real server's Status.
    assert body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        b'"message":"Pod \\"p\\" is invalid: spec.containers: Required value",'
        b'"reason":"Invalid","details":{"name":"p","kind":"Pod","causes":[{"reason":'
        b'"FieldValueRequired","message":"Required value","field":"spec.containers"}]},'
        b'"code":422}\n')


def test_deployment_selector_must_match_template(srv: FakeAPIServer) -> None:
    code, _, status = raw(srv, "POST", DEPLOYS, deployment({"app": "other"}))
    assert code == 422
    assert status["message"] == (
        'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"other"}: `selector` does not match template `labels`')
    assert status["details"]["group"] == "apps"
    body = deployment()
    del body["spec"]["selector"]
    code, _, status = raw(srv, "POST", DEPLOYS, body)
    assert code == 422
    assert status["details"]["causes"][0] == {"reason": "FieldValueRequired",
                                              "message": "Required value",
                                              "field": "spec.selector"}


def test_several_errors_are_listed_in_brackets(srv: FakeAPIServer) -> None:
    body = {"metadata": {"name": "p", "labels": {"a": "b c"}},
            "spec": {"containers": [{"name": "C", "image": "x"}, {"name": "d"}]}}
    code, _, status = raw(srv, "POST", PODS, body)
    assert code == 422
    fields = [(c["reason"], c["field"]) for c in status["details"]["causes"]]
    assert fields == [("FieldValueInvalid", "metadata.labels"),
                      ("FieldValueInvalid", "spec.containers[0].name"),
                      ("FieldValueRequired", "spec.containers[1].image")]
    assert status["message"].startswith('Pod "p" is invalid: [metadata.labels: Invalid value: '
                                        '"b c": a valid label must be an empty string')
    assert status["message"].endswith("spec.containers[1].image: Required value]")


@pytest.mark.parametrize(("path", "name", "ok"), [
    ("/api/v1/namespaces", "a.b", False),           # namespaces: DNS-1123 label
    ("/api/v1/namespaces/default/services", "1web", False),   # services: DNS-1035 label
    ("/api/v1/namespaces/default/configmaps", "a.b", True),   # subdomain
    ("/apis/rbac.authorization.k8s.io/v1/clusterroles", "system:Reader", True),
    ("/apis/rbac.authorization.k8s.io/v1/clusterroles", "a/b", False),
])
def test_names_are_checked_per_kind(srv: FakeAPIServer, path: str, name: str, ok: bool) -> None:
    body: dict[str, Any] = {"metadata": {"name": name}}
    if "services" in path:
        body["spec"] = {"ports": [{"port": 80}]}
    code, _, status = raw(srv, "POST", path, body)
    assert (code == 201) is ok, status
    if not ok:
        assert status["details"]["causes"][0]["field"] == "metadata.name"


def test_service_and_rbac_rules(srv: FakeAPIServer) -> None:
    svc = "/api/v1/namespaces/default/services"
    code, _, status = raw(srv, "POST", svc, {"metadata": {"name": "s"}, "spec": {}})
    assert code == 422 and status["details"]["causes"][0]["field"] == "spec.ports"
    code, _, status = raw(srv, "POST", svc, {"metadata": {"name": "s"}, "spec": {
        "ports": [{"port": 80}, {"port": 70000, "name": "b"}]}})
    assert code == 422
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.ports[0].name",
                                                                 "spec.ports[1].port"]
    code, _, status = raw(srv, "POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/"
                          "rolebindings", {"metadata": {"name": "rb"}, "roleRef": {
                              "apiGroup": "rbac.authorization.k8s.io", "kind": "Pod",
                              "name": "x"}})
    assert code == 422 and status["details"]["causes"][0]["message"] == (
        'Unsupported value: "Pod": supported values: "Role", "ClusterRole"')


def test_immutable_selector_on_update(srv: FakeAPIServer) -> None:
    apps = client.AppsV1Api(srv.api_client())
    apps.create_namespaced_deployment("default", deployment())
    with pytest.raises(ApiException) as ei:
        apps.patch_namespaced_deployment("web", "default", {"spec": {
            "selector": {"matchLabels": {"app": "web", "x": "y"}},
            "template": {"metadata": {"labels": {"app": "web", "x": "y"}}}}})
    assert ei.value.status == 422 and "field is immutable" in ei.value.body
    assert apps.read_namespaced_deployment("web", "default").metadata.generation == 1


# -- fieldValidation ------------------------------------------------------------------

def test_strict_rejects_unknown_fields_and_stores_nothing(srv: FakeAPIServer) -> None:
    body = deployment()
    body["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = "x"
    body["spec"]["bogus"] = 1
    code, _, status = raw(srv, "POST", DEPLOYS + "?fieldValidation=Strict", body)
    assert code == 400 and status["reason"] == "BadRequest"
    assert status["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
        'error: unknown field "spec.template.spec.containers[0].imagePolicy", unknown field '
        '"spec.bogus"')  # in document order
    assert raw(srv, "GET", DEPLOYS + "/web")[0] == 404


def test_strict_rejects_duplicate_fields(srv: FakeAPIServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
                     body=b'{"metadata":{"name":"c"},"data":{"a":"1"},"data":{"b":"2"}}',
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        doc = json.loads(resp.read())
    finally:
        conn.close()
    assert resp.status == 400 and doc["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
        'duplicate field "data"')
    code, headers, made = raw(srv, "POST", "/api/v1/namespaces/default/configmaps",
                              b'{"metadata":{"name":"c","labels":{"a":"1","a":"2"}}}')
    assert code == 201 and made["metadata"]["labels"] == {"a": "2"}  # the last one wins
    assert headers["Warning"] == '299 - "duplicate field \\"metadata.labels.a\\""'


def test_warn_prunes_and_sends_a_warning_header(srv: FakeAPIServer) -> None:
    body = deployment()
    body["spec"]["bogus"] = 1
    code, headers, made = raw(srv, "POST", DEPLOYS + "?fieldValidation=Warn", body)
    assert code == 201 and "bogus" not in made["spec"]
    assert headers["Warning"] == '299 - "unknown field \\"spec.bogus\\""'
    # No parameter means Warn on a 1.32 server (the official client sends none).
    body["metadata"]["name"] = "web2"
    code, headers, made = raw(srv, "POST", DEPLOYS, body)
    assert code == 201 and "Warning" in headers and "bogus" not in made["spec"]


def test_ignore_prunes_silently(srv: FakeAPIServer) -> None:
    code, headers, made = raw(srv, "POST", PODS + "?fieldValidation=Ignore", {
        "metadata": {"name": "p", "nonsense": True},
        "spec": {"containers": [{"name": "c", "image": "x"}]}})
    assert code == 201 and "Warning" not in headers and "nonsense" not in made["metadata"]
    code, _, status = raw(srv, "POST", PODS + "?fieldValidation=Loud", {"metadata": {}})
    assert code == 400 and "fieldValidation" in status["message"]


def test_wrong_type_is_a_decode_error(srv: FakeAPIServer) -> None:
    code, _, status = raw(srv, "POST", DEPLOYS, deployment(replicas="three"))
    assert code == 400
    assert status["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot '
        "unmarshal string into Go struct field Deployment.spec.replicas of type int32")
    code, _, status = raw(srv, "POST", "/api/v1/namespaces/default/secrets", {
        "metadata": {"name": "s"}, "data": {"k": "not base64!"}})
    assert code == 400 and "illegal base64 data" in status["message"]


def test_patch_and_update_go_through_validation(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", {"metadata": {"name": "p"},
                                         "spec": {"containers": [{"name": "c", "image": "x"}]}})
    rv = v1.read_namespaced_pod("p", "default").metadata.resource_version
    with pytest.raises(ApiException) as ei:
        v1.patch_namespaced_pod("p", "default", {"metadata": {"labels": {"bad key!": "v"}}})
    assert ei.value.status == 422
    # Under Strict a patch's unknown field is a 422 on the field "patch": its value is
    # the patch as Go prints a map (strategic merge) or the patched object's JSON.
    code, _, status = raw(srv, "PATCH", PODS + "/p?fieldValidation=Strict",
                          {"spec": {"nope": [1, "x"]}},
                          headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert code == 422 and status["message"] == (
        ' "" is invalid: patch: Invalid value: "map[spec:map[nope:[1 x]]]": strict decoding '
        'error: unknown field "spec.nope"')
    code, _, status = raw(srv, "PATCH", PODS + "/p?fieldValidation=Strict",
                          {"spec": {"nope": 1}},
                          headers={"Content-Type": "application/merge-patch+json"})
    assert code == 422 and status["details"]["causes"][0]["field"] == "patch"
    assert '\\"nope\\":1' in status["message"]
    code, _, status = raw(srv, "PATCH", PODS + "/p", [
        {"op": "replace", "path": "/spec/restartPolicy", "value": 3}],
        headers={"Content-Type": "application/json-patch+json"})
    assert code == 422 and "cannot unmarshal number into Go struct field" in status["message"]
    assert v1.read_namespaced_pod("p", "default").metadata.resource_version == rv


# -- custom resources ---------------------------------------------------------------------

def test_crd_schema_validation_and_pruning(srv: FakeAPIServer) -> None:
    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(STRICT_CRD)
    base = {"apiVersion": "stable.example.com/v1", "kind": "Gadget"}
    code, _, status = raw(srv, "POST", GADGETS, {**base, "metadata": {"name": "g"},
                                                 "spec": {"size": "big"}})
    assert code == 422
    assert status["message"] == (
        'Gadget.stable.example.com "g" is invalid: spec.size: Invalid value: "string": '
        'spec.size in body must be of type integer: "big"')
    code, _, status = raw(srv, "POST", GADGETS, {**base, "metadata": {"name": "g"},
                                                 "spec": {"mode": "warp"}})
    assert code == 422
    assert [(c["reason"], c["field"]) for c in status["details"]["causes"]] == [
        ("FieldValueRequired", "spec.size"), ("FieldValueNotSupported", "spec.mode")]
    code, headers, made = raw(srv, "POST", GADGETS, {
        **base, "metadata": {"name": "g"}, "top": 1,
        "spec": {"size": 2, "junk": True, "extra": {"anything": {"goes": 1}}}})
    assert code == 201
    assert made["spec"] == {"size": 2, "extra": {"anything": {"goes": 1}}}
    assert "top" not in made and made["metadata"]["generation"] == 1
    assert "unknown field" in headers["Warning"]
    code, _, status = raw(srv, "POST", GADGETS + "?fieldValidation=Strict", {
        **base, "metadata": {"name": "h"}, "spec": {"size": 1, "junk": True}})
    assert code == 400 and 'unknown field "spec.junk"' in status["message"]


def test_crd_without_schema_keeps_everything(srv: FakeAPIServer) -> None:
    from tests.apiserver.conftest import WIDGET_CRD

    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(WIDGET_CRD)
    code, _, made = raw(srv, "POST", "/apis/example.com/v1/namespaces/default/widgets",
                        {"metadata": {"name": "w"}, "spec": {"anything": [1, 2]}})
    assert code == 201 and made["spec"] == {"anything": [1, 2]}


# -- defaulting -------------------------------------------------------------------------

def test_service_defaults(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    a = v1.create_namespaced_service("default", {"metadata": {"name": "a"},
                                                 "spec": {"ports": [{"port": 80}]}})
    b = v1.create_namespaced_service("default", {"metadata": {"name": "b"}, "spec": {
        "type": "NodePort", "ports": [{"port": 80}]}})
    assert a.spec.type == "ClusterIP" and a.spec.session_affinity == "None"
    assert a.spec.cluster_ip and a.spec.cluster_ip != b.spec.cluster_ip
    assert a.spec.cluster_ips == [a.spec.cluster_ip] and a.spec.ip_families == ["IPv4"]
    assert a.spec.ports[0].protocol == "TCP" and a.spec.ports[0].target_port == 80
    assert a.status.load_balancer is not None and a.metadata.generation is None
    assert 30000 <= b.spec.ports[0].node_port <= 32767
    # An update that leaves clusterIP out keeps the allocated one.
    body = v1.read_namespaced_service("a", "default").to_dict()
    code, _, again = raw(srv, "PUT", "/api/v1/namespaces/default/services/a", {
        "metadata": {"name": "a", "resourceVersion": body["metadata"]["resource_version"]},
        "spec": {"ports": [{"port": 80}]}})
    assert code == 200 and again["spec"]["clusterIP"] == a.spec.cluster_ip


def test_workload_and_pod_defaults(srv: FakeAPIServer) -> None:
    apps = client.AppsV1Api(srv.api_client())
    d = apps.create_namespaced_deployment("default", deployment())
    assert d.spec.replicas == 1 and d.spec.revision_history_limit == 10
    assert d.spec.progress_deadline_seconds == 600
    assert d.spec.strategy.type == "RollingUpdate"
    assert d.spec.strategy.rolling_update.max_surge == "25%"
    pod_spec = d.spec.template.spec
    assert (pod_spec.restart_policy, pod_spec.dns_policy, pod_spec.scheduler_name,
            pod_spec.termination_grace_period_seconds) == ("Always", "ClusterFirst",
                                                          "default-scheduler", 30)
    c = pod_spec.containers[0]
    assert (c.termination_message_path, c.termination_message_policy,
            c.image_pull_policy) == ("/dev/termination-log", "File", "Always")  # :latest
    job = client.BatchV1Api(srv.api_client()).create_namespaced_job("default", {
        "metadata": {"name": "j"}, "spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "perl:5.34"}]}}}})
    assert job.spec.backoff_limit == 6 and job.spec.completions == 1
    assert job.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"
    uid = job.metadata.uid
    assert job.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    assert job.spec.template.metadata.labels["job-name"] == "j"
    p = client.CoreV1Api(srv.api_client()).create_namespaced_pod("default", {
        "metadata": {"name": "p"}, "spec": {"containers": [{
            "name": "c", "image": "x", "resources": {"limits": {"cpu": "1", "memory": "1Gi"},
                                                     "requests": {"cpu": "500m"}}}]}})
    assert p.spec.containers[0].resources.requests == {"cpu": "500m", "memory": "1Gi"}
    assert p.spec.service_account_name == "default" and p.spec.priority == 0
    assert p.status.qos_class == "Burstable"
    bare = client.CoreV1Api(srv.api_client()).create_namespaced_pod("default", {
        "metadata": {"name": "q"}, "spec": {"containers": [{"name": "c", "image": "x"}]}})
    assert bare.status.qos_class == "BestEffort"
    exact = client.CoreV1Api(srv.api_client()).create_namespaced_pod("default", {
        "metadata": {"name": "r"}, "spec": {"containers": [{"name": "c", "image": "x",
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}})
    assert exact.status.qos_class == "Guaranteed"  # requests defaulted from the limits
    ns = client.CoreV1Api(srv.api_client()).create_namespace({"metadata": {"name": "team"}})
    assert ns.metadata.labels == {"kubernetes.io/metadata.name": "team"}
    assert ns.spec.finalizers == ["kubernetes"] and ns.metadata.generation is None


# -- units ----------------------------------------------------------------------------

def test_name_and_label_rules() -> None:
    assert dns1123_label("web-1") == [] and dns1123_label("Web")
    assert dns1123_label("a" * 64)[0] == "must be no more than 63 characters"
    assert dns1035_label("1a") and not dns1035_label("a1")
    assert label_value("") == [] and label_value("a b")
    assert label_value("a b")[0].endswith(
        "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
    assert qualified_name("example.com/app") == []
    assert qualified_name("Example.com/app")[0].startswith("prefix part a lowercase RFC 1123")
    assert qualified_name("a/b/c") and qualified_name("/x") == ["prefix part must be non-empty"]


def test_field_error_text_and_status_encoding() -> None:
    err = FieldError(CauseType.NOT_SUPPORTED, "spec.type", 'supported values: "A"', "B", True)
    assert str(err) == 'spec.type: Unsupported value: "B": supported values: "A"'
    status = invalid("Service", "s", [err]).status()
    assert list(status) == ["kind", "apiVersion", "metadata", "status", "message", "reason",
                            "details", "code"]
    assert status_json({"m": "<a&b>"}) == b'{"m":"\\u003ca\\u0026b\\u003e"}\n'
    assert FieldValidation.parse(None) is FieldValidation.WARN
    assert FieldValidation.parse("Strict") is FieldValidation.STRICT


# -- bad input ---------------------------------------------------------------------------

_TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"app": "d"}},
    "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                             "livenessProbe": {"httpGet": {"port": 80}}}],
             "volumes": [{"name": "v", "configMap": {"name": "x"}}]}}
_VALID: list[tuple[str, dict[str, Any]]] = [
    (PODS, {"metadata": {"name": "p"}, "spec": _TEMPLATE["spec"]}),
    (DEPLOYS, {"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "d"}},
                                                   "template": _TEMPLATE}}),
    ("/apis/batch/v1/namespaces/default/cronjobs", {"metadata": {"name": "j"}, "spec": {
        "schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}}}}}}),
    ("/api/v1/namespaces/default/services", {"metadata": {"name": "s"}, "spec": {
        "type": "NodePort", "ports": [{"port": 80, "name": "a"}, {"port": 81, "name": "b"}]}}),
    ("/api/v1/namespaces/default/secrets", {"metadata": {"name": "c"}, "data": {"a": "Yg=="}}),
    ("/apis/networking.k8s.io/v1/namespaces/default/ingresses", {
        "metadata": {"name": "i"}, "spec": {"rules": [{"http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}}),
    ("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", {
        "metadata": {"name": "r"}, "subjects": [{"kind": "User", "name": "u"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "x"}}),
]


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _with(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(obj))
    cur = out
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value
    return out


def test_every_malformed_body_gets_a_status_and_stores_nothing(srv: FakeAPIServer) -> None:
    """Each field of each valid body replaced by a value of another shape: the
    answer is 201 or a 400/422 Status, never a 500, and a refused create leaves
    nothing behind."""
    tried = 0
    for url, body in _VALID:
        name = body["metadata"]["name"]
        assert raw(srv, "POST", url, body)[0] == 201, url  # the valid body is accepted
        assert raw(srv, "DELETE", f"{url}/{name}")[0] == 200
        for path in _paths(body):
            for value in ("x y", {"k": [1]}, [None], -70000):
                bad = _with(body, path, value)
                code, _, answer = raw(srv, "POST", url, bad)
                tried += 1
                assert code in (201, 400, 422), (url, path, value, answer)
                new_name = (bad.get("metadata") or {}).get("name") if isinstance(
                    bad.get("metadata"), dict) else None
                if code == 201:
                    made = urllib.parse.quote(answer["metadata"]["name"])
                    assert raw(srv, "DELETE", f"{url}/{made}")[0] == 200
                else:
                    assert answer["kind"] == "Status" and answer["code"] == code
                    if isinstance(new_name, str) and new_name:
                        got = raw(srv, "GET", f"{url}/{urllib.parse.quote(new_name)}")
                        assert got[0] == 404, (url, path)
    assert tried > 300


def test_pod_spec_updates_are_limited_as_on_a_real_server(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    v1.create_namespaced_pod("default", {"metadata": {"name": "p"}, "spec": {
        "containers": [{"name": "c", "image": "nginx:1"}]}})
    # Allowed: an image, a new toleration, labels.
    v1.patch_namespaced_pod("p", "default", {"spec": {"containers": [
        {"name": "c", "image": "nginx:2"}]}})
    v1.patch_namespaced_pod("p", "default", {"spec": {"tolerations": [
        {"key": "k", "operator": "Exists"}]}})
    v1.patch_namespaced_pod("p", "default", {"metadata": {"labels": {"a": "b"}}})
    got = v1.read_namespaced_pod("p", "default")
    assert got.spec.containers[0].image == "nginx:2" and len(got.spec.tolerations) == 3
    # Anything else: 422 Forbidden on "spec".
    with pytest.raises(ApiException) as ei:
        v1.patch_namespaced_pod("p", "default", {"spec": {"restartPolicy": "Never"}})
    assert ei.value.status == 422
    cause = json.loads(ei.value.body)["details"]["causes"][0]
    assert (cause["reason"], cause["field"]) == ("FieldValueForbidden", "spec")
    assert cause["message"].startswith(
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`")
    assert v1.read_namespaced_pod("p", "default").spec.restart_policy == "Always"


def test_crd_schema_defaults_are_applied(srv: FakeAPIServer) -> None:
    crd = json.loads(json.dumps(STRICT_CRD))
    spec_schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec_schema["properties"]["mode"]["default"] = "slow"
    spec_schema["properties"]["tuning"] = {
        "type": "object", "default": {},
        "properties": {"level": {"type": "integer", "default": 3}}}
    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(crd)
    code, _, made = raw(srv, "POST", GADGETS, {"metadata": {"name": "g"}, "spec": {"size": 1}})
    assert code == 201
    # A default object is itself defaulted (tuning: {} gets level 3).
    assert made["spec"] == {"size": 1, "mode": "slow", "tuning": {"level": 3}}
    code, _, made = raw(srv, "POST", GADGETS, {"metadata": {"name": "h"},
                                               "spec": {"size": 1, "mode": "fast"}})
    assert made["spec"]["mode"] == "fast"


def test_unknown_resource_status_bytes(srv: FakeAPIServer) -> None:
    code, body = raw_bytes(srv, "GET", "/apis/nope.example.com/v1/things", None)
    assert code == 404
    # Byte for byte what a real server sends (174 bytes with the newline).
    assert body == (
        b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the '
        b'server could not find the requested resource","reason":"NotFound","details":{},'
        b'"code":404}\n')


def test_crd_list_types_reject_duplicates(srv: FakeAPIServer) -> None:
    crd = json.loads(json.dumps(STRICT_CRD))
    props = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"]
    props["tags"] = {"type": "array", "items": {"type": "string"},
                     "x-kubernetes-list-type": "set"}
    props["ports"] = {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "required": ["name"],
                                "properties": {"name": {"type": "string"},
                                               "port": {"type": "integer"}}}}
    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(crd)
    code, _, status = raw(srv, "POST", GADGETS, {"metadata": {"name": "g"}, "spec": {
        "size": 1, "tags": ["a", "b", "a"],
        "ports": [{"name": "http", "port": 80}, {"name": "http", "port": 81}]}})
    assert code == 422
    assert [c["message"] for c in status["details"]["causes"]] == [
        'Duplicate value: "a"', 'Duplicate value: map[string]interface {}{"name":"http"}']
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.tags[2]",
                                                                 "spec.ports[1]"]


def test_crd_schema_bounds(srv: FakeAPIServer) -> None:
    crd = json.loads(json.dumps(STRICT_CRD))
    props = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"][
        "properties"]
    props["size"].update(minimum=0, maximum=10)
    props["name"] = {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"}
    props["items"] = {"type": "array", "maxItems": 2, "items": {"type": "integer"}}
    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(crd)
    code, _, status = raw(srv, "POST", GADGETS, {"metadata": {"name": "g"}, "spec": {
        "size": -1, "name": "Abcdef", "items": [1, 2, 3]}})
    assert code == 422
    assert [c["message"] for c in status["details"]["causes"]] == [
        "Invalid value: -1: spec.size in body should be greater than or equal to 0",
        'Invalid value: "Abcdef": spec.name in body should be at most 5 chars long',
        "Invalid value: \"Abcdef\": spec.name in body should match '^[a-z]+$'",
        "Invalid value: []interface {}{1, 2, 3}: spec.items in body should have at most 2 "
        "items",
    ]
    code, _, status = raw(srv, "POST", GADGETS, {"metadata": {"name": "g"},
                                                 "spec": {"size": "big"}})
    assert code == 422 and status["details"]["causes"][0]["reason"] == "FieldValueTypeInvalid"
    assert raw(srv, "POST", GADGETS, {"metadata": {"name": "g"}, "spec": {
        "size": 10, "name": "ab", "items": [1]}})[0] == 201
