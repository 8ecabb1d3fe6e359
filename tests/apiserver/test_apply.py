"""Server-side apply and managedFields: ownership per manager, conflicts and
force, removal of fields an applier dropped, Update managers for other writes."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.apply import (
    Step,
    fields_of,
    from_fields_v1,
    path_string,
    to_fields_v1,
)
from hybridwait.testing.apiserver.smp import builtin_schema

from .conftest import WIDGET_CRD, raw

DEPLOY = "/apis/apps/v1/namespaces/default/deployments"
CMS = "/api/v1/namespaces/default/configmaps"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
MERGE = {"Content-Type": "application/merge-patch+json"}


def deployment(replicas: int = 2, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web", **labels}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def apply(srv: FakeAPIServer, path: str, obj: dict[str, Any], manager: str,
          force: bool = False) -> tuple[int, Any]:
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    code, _, body = raw(srv, "PATCH", path + query, yaml.safe_dump(obj).encode(), APPLY)
    return code, body


def managers(obj: dict[str, Any]) -> dict[str, set[str]]:
    """manager/operation -> the printed paths it owns."""
    out = {}
    for e in obj["metadata"].get("managedFields") or []:
        paths = {path_string(p) for p in from_fields_v1(e["fieldsV1"])}
        out[f"{e['manager']}/{e['operation']}"] = paths
    return out


def test_fields_v1_round_trip_and_paths() -> None:
    schema = builtin_schema("apps", "v1", "Deployment")
    spec = deployment()["spec"]
    paths = fields_of(spec, schema.field("spec") if schema else None, ((Step.FIELD, "spec"),))
    doc = to_fields_v1(paths)
    containers = doc["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert containers == {'k:{"name":"c"}': {".": {}, "f:image": {}, "f:name": {}}}
    assert doc["f:spec"]["f:selector"] == {}  # LabelSelector is an atomic map
    assert from_fields_v1(doc) == paths
    assert '.spec.template.spec.containers[name="c"].image' in {path_string(p) for p in paths}


def test_create_by_apply_owns_only_what_it_applied(srv: FakeAPIServer) -> None:
    code, obj = apply(srv, f"{DEPLOY}/web", deployment(), "ci")
    assert code == 201, obj
    [entry] = obj["metadata"]["managedFields"]
    assert entry["manager"] == "ci" and entry["operation"] == "Apply"
    assert entry["apiVersion"] == "apps/v1" and entry["fieldsType"] == "FieldsV1"
    owned = managers(obj)["ci/Apply"]
    assert ".spec.replicas" in owned and ".metadata.labels.app" in owned
    assert ".spec.strategy" not in {p[:14] for p in owned}  # defaulted, not applied
    assert not any(p.startswith(".status") or p == ".metadata.name" for p in owned)


def test_apply_needs_field_manager_and_kind(srv: FakeAPIServer) -> None:
    code, _, body = raw(srv, "PATCH", f"{DEPLOY}/web", yaml.safe_dump(deployment()).encode(),
                        APPLY)
    assert code == 422 and body["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required '
        "for apply patch")
    code, _, body = raw(srv, "PATCH", f"{DEPLOY}/web?force=true", {"spec": {}}, MERGE)
    assert code == 422 and body["details"]["causes"] == [{
        "reason": "FieldValueForbidden", "field": "force",
        "message": "Forbidden: may not be specified for non-apply patch"}]
    code, _, body = raw(srv, "POST", f"{CMS}?fieldManager={'m' * 129}",
                        {"metadata": {"name": "c"}})
    assert code == 422 and body["details"]["kind"] == "CreateOptions"
    assert "fieldManager: Too long: may not be more than 128 bytes" in body["message"]
    no_kind = deployment()
    del no_kind["kind"]
    code, body = apply(srv, f"{DEPLOY}/web", no_kind, "ci")
    assert code == 400 and body["reason"] == "BadRequest"
    code, _, body = raw(srv, "PATCH", f"{DEPLOY}/web?fieldManager=ci", b"{not: [yaml", APPLY)
    assert code == 400
    assert raw(srv, "GET", f"{DEPLOY}/web")[0] == 404  # nothing stored


def test_conflict_409_then_force_takes_ownership(srv: FakeAPIServer) -> None:
    assert apply(srv, f"{DEPLOY}/web", deployment(2), "ci")[0] == 201
    before = raw(srv, "GET", f"{DEPLOY}/web")[2]
    code, status = apply(srv, f"{DEPLOY}/web", deployment(5, tier="x"), "hpa")
    assert code == 409 and status["reason"] == "Conflict"
    assert status["message"] == ('Apply failed with 1 conflict: conflict with "ci": '
                                 ".spec.replicas")
    assert status["details"]["causes"] == [{"reason": "FieldManagerConflict",
                                            "message": 'conflict with "ci"',
                                            "field": ".spec.replicas"}]
    after = raw(srv, "GET", f"{DEPLOY}/web")[2]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    code, obj = apply(srv, f"{DEPLOY}/web", deployment(5, tier="x"), "hpa", force=True)
    assert code == 200 and obj["spec"]["replicas"] == 5 and obj["metadata"]["labels"]["tier"] \
        == "x"
    owners = managers(obj)
    assert ".spec.replicas" in owners["hpa/Apply"] and ".spec.replicas" not in owners["ci/Apply"]
    # Equal values are shared: both keep .metadata.labels.app, no conflict.
    assert ".metadata.labels.app" in owners["hpa/Apply"] & owners["ci/Apply"]


def test_several_conflicts_are_listed_by_manager(srv: FakeAPIServer) -> None:
    assert apply(srv, f"{DEPLOY}/web", deployment(2), "ci")[0] == 201
    other = deployment(3)
    other["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    code, status = apply(srv, f"{DEPLOY}/web", other, "bot")
    assert code == 409
    assert status["message"] == (
        'Apply failed with 2 conflicts: conflicts with "ci":\n- .spec.replicas\n'
        '- .spec.template.spec.containers[name="c"].image')
    assert [c["field"] for c in status["details"]["causes"]] == [
        ".spec.replicas", '.spec.template.spec.containers[name="c"].image']


def test_fields_an_applier_drops_are_removed_unless_someone_else_owns_them(
        srv: FakeAPIServer) -> None:
    assert apply(srv, f"{DEPLOY}/web", deployment(2, tier="a", team="x"), "ci")[0] == 201
    # Another manager takes co-ownership of team (same value).
    assert apply(srv, f"{DEPLOY}/web", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"team": "x"}}}, "bot")[0] == 200
    code, obj = apply(srv, f"{DEPLOY}/web", deployment(2), "ci")
    assert code == 200
    assert obj["metadata"]["labels"] == {"app": "web", "team": "x"}  # tier gone, team kept


def test_update_managers_take_fields_without_conflict(srv: FakeAPIServer) -> None:
    assert apply(srv, f"{DEPLOY}/web", deployment(2), "ci")[0] == 201
    code, _, obj = raw(srv, "PATCH", f"{DEPLOY}/web?fieldManager=scaler",
                       {"spec": {"replicas": 4}}, MERGE)
    assert code == 200
    owners = managers(obj)
    assert owners["scaler/Update"] == {".spec.replicas"}
    assert ".spec.replicas" not in owners["ci/Apply"]
    entry = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "scaler")
    assert entry["operation"] == "Update" and entry["time"]
    code, status = apply(srv, f"{DEPLOY}/web", deployment(2), "ci")
    assert code == 409
    assert status["details"]["causes"][0]["message"] == 'conflict with "scaler" using apps/v1'


def test_default_manager_comes_from_the_user_agent(srv: FakeAPIServer) -> None:
    code, _, obj = raw(srv, "POST", CMS, {"metadata": {"name": "c"}, "data": {"a": "1"}},
                       {"User-Agent": "my-controller/1.2 (linux)"})
    assert code == 201
    assert managers(obj) == {"my-controller/Update": {".data.a"}}
    code, _, obj = raw(srv, "PUT", f"{CMS}/c?fieldManager=editor",
                       {"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}})
    assert code == 200
    assert managers(obj) == {"my-controller/Update": {".data.a"},
                             "editor/Update": {".data.b"}}
    code, _, obj = raw(srv, "PUT", f"{CMS}/c?fieldManager=editor",
                       {"metadata": {"name": "c"}, "data": {"b": "2"}})
    assert managers(obj) == {"editor/Update": {".data.b"}}  # a removed: nobody owns it


def test_custom_resource_apply(srv: FakeAPIServer) -> None:
    crd = copy.deepcopy(WIDGET_CRD)
    assert raw(srv, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
               crd)[0] == 201
    path = "/apis/example.com/v1/namespaces/default/widgets/w"
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
              "spec": {"size": 1, "color": "red"}}
    assert apply(srv, path, widget, "a")[0] == 201
    widget["spec"] = {"size": 2}
    code, status = apply(srv, path, widget, "b")
    assert code == 409 and status["details"]["causes"][0]["field"] == ".spec.size"
    code, obj = apply(srv, path, widget, "b", force=True)
    assert code == 200 and obj["spec"] == {"size": 2, "color": "red"}
    assert json.dumps(managers(obj), default=sorted) == json.dumps(
        {"a/Apply": [".spec.color"], "b/Apply": [".spec.size"]})


def test_port_without_protocol_matches_the_defaulted_tcp_port(srv: FakeAPIServer) -> None:
    dep = deployment(1)
    dep["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    assert apply(srv, f"{DEPLOY}/web", dep, "ci")[0] == 201
    dep["spec"]["template"]["spec"]["containers"][0]["ports"] = [
        {"containerPort": 80, "name": "http"}]
    code, obj = apply(srv, f"{DEPLOY}/web", dep, "ci")
    assert code == 200
    ports = obj["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert ports == [{"containerPort": 80, "protocol": "TCP", "name": "http"}]
    owned = managers(obj)["ci/Apply"]
    assert '.spec.template.spec.containers[name="c"].ports[containerPort=80,protocol="TCP"]' \
        '.name' in owned


def test_status_apply_owns_status_fields_through_the_subresource(srv: FakeAPIServer) -> None:
    assert apply(srv, f"{DEPLOY}/web", deployment(2), "ci")[0] == 201
    status = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "status": {"readyReplicas": 2, "replicas": 2}, "spec": {"replicas": 9}}
    code, obj = apply(srv, f"{DEPLOY}/web/status", status, "controller")
    assert code == 200, obj
    assert obj["status"]["readyReplicas"] == 2 and obj["spec"]["replicas"] == 2  # spec ignored
    entry = next(e for e in obj["metadata"]["managedFields"] if e["manager"] == "controller")
    assert entry["subresource"] == "status" and entry["operation"] == "Apply"
    assert {path_string(p) for p in from_fields_v1(entry["fieldsV1"])} == {
        ".status.readyReplicas", ".status.replicas"}
