"""The official ``kubernetes`` client against the emulator: typed and dynamic
CRUD, metadata rules, selectors, pagination, status subresource, finalizers,
namespaces and CRDs."""

from __future__ import annotations

import copy

import pytest
from kubernetes import client, dynamic
from kubernetes.client.exceptions import ApiException

from hybridwait.testing import FakeAPIServer

from .conftest import WIDGET_CRD, pod


def test_discovery_documents(srv: FakeAPIServer) -> None:
    api = srv.api_client()
    assert client.VersionApi(api).get_code().minor == "32"
    core = client.CoreV1Api(api).get_api_resources()
    names = {r.name: r for r in core.resources}
    assert names["pods"].short_names == ["po"] and names["pods"].namespaced
    assert "pods/status" in names and not names["namespaces"].namespaced
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "batch", "apiextensions.k8s.io"} <= groups
    apps = client.AppsV1Api(api).get_api_resources()
    assert {"deployments", "replicasets", "statefulsets"} <= {r.name for r in apps.resources}


def test_typed_crud_and_metadata(v1: client.CoreV1Api) -> None:
    created = v1.create_namespaced_pod("default", pod("web", {"app": "web"}))
    meta = created.metadata
    # A 1.32 server sets no metadata.generation on Pods (only on kinds with a spec
    # a controller rolls out: Deployments, Jobs, custom resources...).
    assert meta.uid and meta.creation_timestamp and meta.generation is None
    assert meta.namespace == "default" and created.status.phase == "Pending"
    got = v1.read_namespaced_pod("web", "default")
    assert got.metadata.resource_version == meta.resource_version

    with pytest.raises(ApiException) as ei:
        v1.create_namespaced_pod("default", pod("web"))
    assert ei.value.status == 409 and "AlreadyExists" in ei.value.body

    patched = v1.patch_namespaced_pod("web", "default", {"metadata": {"labels": {"t": "1"}}})
    assert int(patched.metadata.resource_version) > int(meta.resource_version)
    assert patched.metadata.labels == {"app": "web", "t": "1"}
    assert patched.metadata.generation is None

    body = v1.read_namespaced_pod("web", "default")
    body.spec.containers[0].image = "nginx"
    updated = v1.replace_namespaced_pod("web", "default", body)
    assert updated.spec.containers[0].image == "nginx" and updated.metadata.uid == meta.uid

    stale = copy.deepcopy(body)  # carries the old resourceVersion
    stale.spec.containers[0].image = "redis"
    with pytest.raises(ApiException) as ei:
        v1.replace_namespaced_pod("web", "default", stale)
    assert ei.value.status == 409 and '"reason":"Conflict"' in ei.value.body.replace(" ", "")

    v1.delete_namespaced_pod("web", "default")
    with pytest.raises(ApiException) as ei:
        v1.read_namespaced_pod("web", "default")
    assert ei.value.status == 404 and 'pods \\"web\\" not found' in ei.value.body


def test_resource_versions_strictly_increase_and_noop_writes_nothing(
        v1: client.CoreV1Api) -> None:
    rvs = []
    for i in range(5):
        cm = v1.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"},
                                                         "data": {"k": "v"}})
        rvs.append(int(cm.metadata.resource_version))
    assert rvs == sorted(rvs) and len(set(rvs)) == 5
    listed = v1.list_namespaced_config_map("default")
    assert int(listed.metadata.resource_version) >= rvs[-1]
    same = v1.patch_namespaced_config_map("c0", "default", {"data": {"k": "v"}})
    assert int(same.metadata.resource_version) == rvs[0]


def test_generate_name_and_namespace_rules(v1: client.CoreV1Api) -> None:
    made = v1.create_namespaced_config_map("default", {"metadata": {"generateName": "cfg-"}})
    assert made.metadata.name.startswith("cfg-") and len(made.metadata.name) == 9
    with pytest.raises(ApiException) as ei:
        v1.create_namespaced_config_map("nope", {"metadata": {"name": "x"}})
    assert ei.value.status == 404 and "namespaces" in ei.value.body
    v1.create_namespace({"metadata": {"name": "team"}})
    assert v1.create_namespaced_config_map("team", {"metadata": {"name": "x"}}).metadata.namespace \
        == "team"
    with pytest.raises(ApiException) as ei:
        v1.create_namespaced_config_map("default", {"metadata": {"name": "Bad_Name"}})
    assert ei.value.status == 422 and "Invalid" in ei.value.body


def test_selectors_and_pagination(v1: client.CoreV1Api) -> None:
    for i in range(7):
        v1.create_namespaced_pod("default", pod(f"p{i}", {"app": "web" if i % 2 else "db",
                                                          "idx": str(i)}))
    web = v1.list_namespaced_pod("default", label_selector="app=web")
    assert [p.metadata.name for p in web.items] == ["p1", "p3", "p5"]
    some = v1.list_namespaced_pod("default", label_selector="idx in (1,2),app!=db")
    assert [p.metadata.name for p in some.items] == ["p1"]
    one = v1.list_namespaced_pod("default", field_selector="metadata.name=p4")
    assert [p.metadata.name for p in one.items] == ["p4"]
    allns = v1.list_pod_for_all_namespaces(field_selector="metadata.namespace!=default")
    assert allns.items == []
    names: list[str] = []
    cont = None
    pages = 0
    while True:
        page = v1.list_namespaced_pod("default", limit=3, _continue=cont)
        names += [p.metadata.name for p in page.items]
        pages += 1
        cont = page.metadata._continue
        if not cont:
            break
        assert page.metadata.remaining_item_count == 7 - len(names)
    assert pages == 3 and names == [f"p{i}" for i in range(7)]


def test_status_subresource(v1: client.CoreV1Api) -> None:
    v1.create_namespaced_pod("default", {**pod("s"), "status": {"phase": "Running"}})
    assert v1.read_namespaced_pod("s", "default").status.phase == "Pending"  # ignored
    ready = {"status": {"phase": "Running",
                        "conditions": [{"type": "Ready", "status": "True"}]}}
    out = v1.patch_namespaced_pod_status("s", "default", ready)
    assert out.status.phase == "Running" and out.metadata.generation is None
    # A status write ignores metadata/spec; a main-resource write ignores status.
    v1.patch_namespaced_pod("s", "default", {"status": {"phase": "Failed"}})
    assert v1.read_namespaced_pod_status("s", "default").status.phase == "Running"


def test_finalizers_hold_deletion(v1: client.CoreV1Api) -> None:
    v1.create_namespaced_config_map("default", {"metadata": {"name": "f",
                                                             "finalizers": ["x/y"]}})
    v1.delete_namespaced_config_map("f", "default")
    held = v1.read_namespaced_config_map("f", "default")
    assert held.metadata.deletion_timestamp is not None
    with pytest.raises(ApiException) as ei:
        v1.patch_namespaced_config_map("f", "default",
                                       {"metadata": {"finalizers": ["x/y", "new"]}})
    assert ei.value.status == 422
    v1.patch_namespaced_config_map("f", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as ei:
        v1.read_namespaced_config_map("f", "default")
    assert ei.value.status == 404


def test_namespace_deletion_cascades(v1: client.CoreV1Api) -> None:
    v1.create_namespace({"metadata": {"name": "tmp"}})
    v1.create_namespaced_pod("tmp", pod("a"))
    v1.create_namespaced_config_map("tmp", {"metadata": {"name": "held",
                                                         "finalizers": ["x/y"]}})
    v1.delete_namespace("tmp")
    ns = v1.read_namespace("tmp")
    assert ns.status.phase == "Terminating"
    assert v1.list_namespaced_pod("tmp").items == []
    with pytest.raises(ApiException) as ei:
        v1.create_namespaced_pod("tmp", pod("b"))
    assert ei.value.status == 403
    # A strategic merge patch merges finalizers (an empty list changes nothing): null clears.
    v1.patch_namespaced_config_map("held", "tmp", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException):
        v1.read_namespace("tmp")


def test_patch_types(srv: FakeAPIServer, v1: client.CoreV1Api) -> None:
    v1.create_namespaced_config_map("default", {"metadata": {"name": "p"},
                                                "data": {"a": "1", "b": "2"}})
    # a list body makes the client send application/json-patch+json
    out = v1.patch_namespaced_config_map("p", "default", [
        {"op": "remove", "path": "/data/a"}, {"op": "add", "path": "/data/c", "value": "3"}])
    assert out.data == {"b": "2", "c": "3"}
    with pytest.raises(ApiException) as ei:
        v1.patch_namespaced_config_map("p", "default", [
            {"op": "test", "path": "/data/c", "value": "wrong"}])
    assert ei.value.status == 422
    # strategic merge patch is served as a merge patch (documented simplification)
    out2 = v1.patch_namespaced_config_map("p", "default", {"data": {"b": None}})
    assert out2.data == {"c": "3"}


def test_apps_batch_and_generation(srv: FakeAPIServer) -> None:
    apps = client.AppsV1Api(srv.api_client())
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    made = apps.create_namespaced_deployment("default", dep)
    assert made.spec.replicas == 1 and made.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("d", "default", {"spec": {"replicas": 3}})
    assert scaled.metadata.generation == 2
    st = apps.patch_namespaced_deployment_status(
        "d", "default", {"status": {"observedGeneration": 2, "readyReplicas": 3}})
    assert st.status.ready_replicas == 3 and st.metadata.generation == 2
    batch = client.BatchV1Api(srv.api_client())
    job = batch.create_namespaced_job("default", {
        "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "c", "image": "i"}]}}}})
    assert job.metadata.name == "j"


def test_dynamic_client_and_crd(srv: FakeAPIServer) -> None:
    dyn = dynamic.DynamicClient(srv.api_client())
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1",
                             kind="CustomResourceDefinition")
    crd = crds.create(body=WIDGET_CRD)
    conds = {c["type"]: c["status"] for c in crd.to_dict()["status"]["conditions"]}
    assert conds["Established"] == "True"
    dyn2 = dynamic.DynamicClient(srv.api_client())  # fresh discovery sees the new kind
    widgets = dyn2.resources.get(api_version="example.com/v1", kind="Widget")
    w = widgets.create(namespace="default", body={
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"},
        "spec": {"size": 1}, "status": {"ignored": True}})
    assert "status" not in w.to_dict()
    widgets.patch(namespace="default", name="w1", body={"spec": {"size": 2}},
                  content_type="application/merge-patch+json")
    got = widgets.get(namespace="default", name="w1")
    assert got.spec.size == 2 and got.metadata.generation == 2
    # served at both versions (no conversion: apiVersion follows the URL)
    beta = dyn2.resources.get(api_version="example.com/v1beta1", kind="Widget")
    assert beta.get(namespace="default", name="w1").apiVersion == "example.com/v1beta1"
    pods = dyn2.resources.get(api_version="v1", kind="Pod")
    pods.create(namespace="default", body=pod("dp"))
    assert [p.metadata.name for p in pods.get(namespace="default").items] == ["dp"]
    pods.delete(namespace="default", name="dp")
    # Deleting the CRD removes its objects and stops serving them.
    crds.delete(name="widgets.example.com")
    status, _, _ = _get(srv, "/apis/example.com/v1/namespaces/default/widgets")
    assert status == 404


def _get(srv: FakeAPIServer, path: str) -> tuple[int, dict[str, str], object]:
    from .conftest import raw
    return raw(srv, "GET", path)


def test_crd_validation(srv: FakeAPIServer) -> None:
    ext = client.ApiextensionsV1Api(srv.api_client())
    bad = copy.deepcopy(WIDGET_CRD)
    bad["metadata"]["name"] = "wrong.example.com"
    with pytest.raises(ApiException) as ei:
        ext.create_custom_resource_definition(bad)
    assert ei.value.status == 422


def test_delete_collection(v1: client.CoreV1Api) -> None:
    for i in range(4):
        v1.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}",
                                                                 "labels": {"g": str(i % 2)}}})
    v1.delete_collection_namespaced_config_map("default", label_selector="g=1")
    left = v1.list_namespaced_config_map("default").items
    assert [c.metadata.name for c in left] == ["c0", "c2"]


def test_dry_run_writes_nothing(v1: client.CoreV1Api) -> None:
    rv = v1.list_namespaced_config_map("default").metadata.resource_version
    v1.create_namespaced_config_map("default", {"metadata": {"name": "d"}}, dry_run="All")
    listed = v1.list_namespaced_config_map("default")
    assert listed.items == [] and listed.metadata.resource_version == rv
