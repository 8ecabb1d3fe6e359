"""Every built-in kind of a 1.32 server, driven by the shipped OpenAPI data:
discovery, CRUD through the official client, OpenAPI documents, the schema loader,
and the ``kube_api`` fixture."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.builtin import builtin_types
from hybridwait.testing.apiserver.schema import Compiler, load
from hybridwait.testing.pytest_plugin import RealCluster, kube_api_kubeconfig
from tests.apiserver.conftest import raw

pytest_plugins = ["pytester"]

# What `kubectl api-resources` lists on a kind cluster running Kubernetes 1.32.0
# (no add-ons): (name, short names, apiVersion, namespaced, kind).
REAL_1_32 = [
    ("bindings", "", "v1", True, "Binding"),
    ("componentstatuses", "cs", "v1", False, "ComponentStatus"),
    ("configmaps", "cm", "v1", True, "ConfigMap"),
    ("endpoints", "ep", "v1", True, "Endpoints"),
    ("events", "ev", "v1", True, "Event"),
    ("limitranges", "limits", "v1", True, "LimitRange"),
    ("namespaces", "ns", "v1", False, "Namespace"),
    ("nodes", "no", "v1", False, "Node"),
    ("persistentvolumeclaims", "pvc", "v1", True, "PersistentVolumeClaim"),
    ("persistentvolumes", "pv", "v1", False, "PersistentVolume"),
    ("pods", "po", "v1", True, "Pod"),
    ("podtemplates", "", "v1", True, "PodTemplate"),
    ("replicationcontrollers", "rc", "v1", True, "ReplicationController"),
    ("resourcequotas", "quota", "v1", True, "ResourceQuota"),
    ("secrets", "", "v1", True, "Secret"),
    ("serviceaccounts", "sa", "v1", True, "ServiceAccount"),
    ("services", "svc", "v1", True, "Service"),
    ("mutatingwebhookconfigurations", "", "admissionregistration.k8s.io/v1", False,
     "MutatingWebhookConfiguration"),
    ("validatingadmissionpolicies", "", "admissionregistration.k8s.io/v1", False,
     "ValidatingAdmissionPolicy"),
    ("validatingadmissionpolicybindings", "", "admissionregistration.k8s.io/v1", False,
     "ValidatingAdmissionPolicyBinding"),
    ("validatingwebhookconfigurations", "", "admissionregistration.k8s.io/v1", False,
     "ValidatingWebhookConfiguration"),
    ("customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", False,
     "CustomResourceDefinition"),
    ("apiservices", "", "apiregistration.k8s.io/v1", False, "APIService"),
    ("controllerrevisions", "", "apps/v1", True, "ControllerRevision"),
    ("daemonsets", "ds", "apps/v1", True, "DaemonSet"),
    ("deployments", "deploy", "apps/v1", True, "Deployment"),
    ("replicasets", "rs", "apps/v1", True, "ReplicaSet"),
    ("statefulsets", "sts", "apps/v1", True, "StatefulSet"),
    ("selfsubjectreviews", "", "authentication.k8s.io/v1", False, "SelfSubjectReview"),
    ("tokenreviews", "", "authentication.k8s.io/v1", False, "TokenReview"),
    ("localsubjectaccessreviews", "", "authorization.k8s.io/v1", True,
     "LocalSubjectAccessReview"),
    ("selfsubjectaccessreviews", "", "authorization.k8s.io/v1", False,
     "SelfSubjectAccessReview"),
    ("selfsubjectrulesreviews", "", "authorization.k8s.io/v1", False, "SelfSubjectRulesReview"),
    ("subjectaccessreviews", "", "authorization.k8s.io/v1", False, "SubjectAccessReview"),
    ("horizontalpodautoscalers", "hpa", "autoscaling/v2", True, "HorizontalPodAutoscaler"),
    ("cronjobs", "cj", "batch/v1", True, "CronJob"),
    ("jobs", "", "batch/v1", True, "Job"),
    ("certificatesigningrequests", "csr", "certificates.k8s.io/v1", False,
     "CertificateSigningRequest"),
    ("leases", "", "coordination.k8s.io/v1", True, "Lease"),
    ("endpointslices", "", "discovery.k8s.io/v1", True, "EndpointSlice"),
    ("events", "ev", "events.k8s.io/v1", True, "Event"),
    ("flowschemas", "", "flowcontrol.apiserver.k8s.io/v1", False, "FlowSchema"),
    ("prioritylevelconfigurations", "", "flowcontrol.apiserver.k8s.io/v1", False,
     "PriorityLevelConfiguration"),
    ("ingressclasses", "", "networking.k8s.io/v1", False, "IngressClass"),
    ("ingresses", "ing", "networking.k8s.io/v1", True, "Ingress"),
    ("networkpolicies", "netpol", "networking.k8s.io/v1", True, "NetworkPolicy"),
    ("runtimeclasses", "", "node.k8s.io/v1", False, "RuntimeClass"),
    ("poddisruptionbudgets", "pdb", "policy/v1", True, "PodDisruptionBudget"),
    ("clusterrolebindings", "", "rbac.authorization.k8s.io/v1", False, "ClusterRoleBinding"),
    ("clusterroles", "", "rbac.authorization.k8s.io/v1", False, "ClusterRole"),
    ("rolebindings", "", "rbac.authorization.k8s.io/v1", True, "RoleBinding"),
    ("roles", "", "rbac.authorization.k8s.io/v1", True, "Role"),
    ("priorityclasses", "pc", "scheduling.k8s.io/v1", False, "PriorityClass"),
    ("csidrivers", "", "storage.k8s.io/v1", False, "CSIDriver"),
    ("csinodes", "", "storage.k8s.io/v1", False, "CSINode"),
    ("csistoragecapacities", "", "storage.k8s.io/v1", True, "CSIStorageCapacity"),
    ("storageclasses", "sc", "storage.k8s.io/v1", False, "StorageClass"),
    ("volumeattachments", "", "storage.k8s.io/v1", False, "VolumeAttachment"),
]


def _discovered(srv: FakeAPIServer) -> list[tuple[str, str, str, bool, str]]:
    """Every top-level resource in the preferred version of each group, via HTTP."""
    out = []
    _, _, core = raw(srv, "GET", "/api/v1")
    gvs = [("v1", core)]
    _, _, groups = raw(srv, "GET", "/apis")
    for g in groups["groups"]:
        gv = g["preferredVersion"]["groupVersion"]
        _, _, doc = raw(srv, "GET", f"/apis/{gv}")
        gvs.append((gv, doc))
    for gv, doc in gvs:
        for r in doc["resources"]:
            if "/" not in r["name"]:
                out.append((r["name"], ",".join(r.get("shortNames", [])), gv, r["namespaced"],
                            r["kind"]))
    return out


def test_discovery_lists_what_a_real_1_32_server_serves(srv: FakeAPIServer) -> None:
    assert sorted(_discovered(srv)) == sorted(REAL_1_32)


def test_verbs_and_subresources_in_discovery(srv: FakeAPIServer) -> None:
    _, _, core = raw(srv, "GET", "/api/v1")
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["namespaces"]["verbs"] == ["create", "delete", "get", "list", "patch",
                                              "update", "watch"]  # no deletecollection
    assert by_name["bindings"]["verbs"] == ["create"]
    assert by_name["componentstatuses"]["verbs"] == ["get", "list"]
    assert {"pods/status", "pods/log", "pods/exec", "pods/binding", "pods/eviction"} <= set(
        by_name)
    assert by_name["pods/eviction"]["group"] == "policy"
    assert by_name["pods/eviction"]["kind"] == "Eviction"
    _, _, apps = raw(srv, "GET", "/apis/apps/v1")
    scale = {r["name"]: r for r in apps["resources"]}["deployments/scale"]
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    _, _, auto = raw(srv, "GET", "/apis/autoscaling")
    assert [v["version"] for v in auto["versions"]] == ["v2", "v1"]
    assert auto["preferredVersion"]["version"] == "v2"


AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def test_aggregated_discovery(srv: FakeAPIServer) -> None:
    code, headers, doc = raw(srv, "GET", "/apis",
                             headers={"Accept": AGGREGATED + ",application/json"})
    assert code == 200 and headers["Content-Type"] == AGGREGATED
    assert doc["kind"] == "APIGroupDiscoveryList"
    apps = next(i for i in doc["items"] if i["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert deploy["scope"] == "Namespaced" and deploy["shortNames"] == ["deploy"]
    assert {"subresource": "scale", "verbs": ["get", "patch", "update"],
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}
            } in deploy["subresources"]
    auto = next(i for i in doc["items"] if i["metadata"]["name"] == "autoscaling")
    assert [v["version"] for v in auto["versions"]] == ["v2", "v1"]
    code, _, core = raw(srv, "GET", "/api", headers={"Accept": AGGREGATED})
    assert [r["resource"] for r in core["items"][0]["versions"][0]["resources"]][:3] == [
        "bindings", "componentstatuses", "configmaps"]
    # Without the Accept parameters: the legacy documents.
    assert raw(srv, "GET", "/apis")[2]["kind"] == "APIGroupList"


LEASE = {"metadata": {"name": "leader"},
         "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}}
ROLE = {"metadata": {"name": "reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
TEMPLATE = {"metadata": {"labels": {"app": "d"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def test_crud_on_kinds_the_old_table_did_not_serve(srv: FakeAPIServer) -> None:
    api = srv.api_client()
    coord = client.CoordinationV1Api(api)
    made = coord.create_namespaced_lease("default", LEASE)
    assert made.spec.holder_identity == "a" and made.metadata.generation is None
    coord.patch_namespaced_lease("leader", "default", {"spec": {"holderIdentity": "b"}})
    assert coord.read_namespaced_lease("leader", "default").spec.holder_identity == "b"

    rbac = client.RbacAuthorizationV1Api(api)
    rbac.create_namespaced_role("default", ROLE)
    rbac.create_cluster_role({**ROLE, "metadata": {"name": "system:reader"}})
    rbac.create_namespaced_role_binding("default", {
        "metadata": {"name": "rb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}]})
    assert [r.metadata.name for r in rbac.list_namespaced_role("default").items] == ["reader"]
    assert rbac.read_cluster_role("system:reader").rules[0].verbs == ["get", "list"]

    apps = client.AppsV1Api(api)
    ds = apps.create_namespaced_daemon_set("default", {
        "metadata": {"name": "d"},
        "spec": {"selector": {"matchLabels": {"app": "d"}}, "template": TEMPLATE}})
    assert ds.metadata.generation == 1
    assert ds.spec.update_strategy.type == "RollingUpdate"

    batch = client.BatchV1Api(api)
    cj = batch.create_namespaced_cron_job("default", {
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
            "spec": {"restartPolicy": "OnFailure",
                     "containers": [{"name": "c", "image": "busybox"}]}}}}}})
    assert cj.spec.concurrency_policy == "Allow" and cj.spec.successful_jobs_history_limit == 3

    hpa2 = client.AutoscalingV2Api(api).create_namespaced_horizontal_pod_autoscaler(
        "default", {"metadata": {"name": "h"}, "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
            "minReplicas": 1, "maxReplicas": 3}})
    assert hpa2.api_version == "autoscaling/v2"
    v1 = client.AutoscalingV1Api(api).read_namespaced_horizontal_pod_autoscaler("h", "default")
    assert v1.api_version == "autoscaling/v1" and v1.spec.max_replicas == 3

    core = client.CoreV1Api(api)
    core.create_persistent_volume({"metadata": {"name": "pv1"}, "spec": {
        "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
        "hostPath": {"path": "/tmp/x"}}})
    assert core.read_persistent_volume("pv1").status.phase == "Pending"
    pdb = client.PolicyV1Api(api).create_namespaced_pod_disruption_budget("default", {
        "metadata": {"name": "p"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "d"}}}})
    assert pdb.spec.min_available == 1
    client.DiscoveryV1Api(api).create_namespaced_endpoint_slice("default", {
        "metadata": {"name": "es"}, "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"]}], "ports": [{"port": 80}]})
    assert raw(srv, "GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/es"
               )[2]["addressType"] == "IPv4"


def test_review_kinds_answer_and_store_nothing(srv: FakeAPIServer) -> None:
    authz = client.AuthorizationV1Api(srv.api_client())
    out = authz.create_self_subject_access_review({"spec": {"resourceAttributes": {
        "verb": "create", "resource": "pods", "namespace": "default"}}})
    assert out.status.allowed is True
    rules = authz.create_self_subject_rules_review({"spec": {"namespace": "default"}})
    assert rules.status.resource_rules[0].verbs == ["*"]
    code, _, status = raw(srv, "GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
    assert code == 405 and status["reason"] == "MethodNotAllowed"
    assert srv.request_counts().get("create") == 2


def test_verbs_a_resource_lacks_are_405(srv: FakeAPIServer) -> None:
    code, _, status = raw(srv, "DELETE", "/api/v1/namespaces")  # no deletecollection
    assert code == 405, status
    code, _, _ = raw(srv, "GET", "/api/v1/namespaces/default/bindings")
    assert code == 405
    code, _, _ = raw(srv, "GET", "/api/v1/namespaces")
    assert code == 200


def test_openapi_v3_carries_schemas_per_group_version(srv: FakeAPIServer) -> None:
    _, _, index = raw(srv, "GET", "/openapi/v3")
    assert {"api/v1", "apis/apps/v1", "apis/rbac.authorization.k8s.io/v1"} <= set(
        index["paths"])
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    code, _, doc = raw(srv, "GET", url)
    assert code == 200
    schemas = doc["components"]["schemas"]
    dep = schemas["io.k8s.api.apps.v1.Deployment"]
    assert dep["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert dep["properties"]["spec"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    # Every reference resolves inside the document.
    text = str(doc)
    for name in {part.split("'")[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in schemas, name
    post = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"]
    assert "fieldValidation" in {p["name"] for p in post["parameters"]}


def test_openapi_for_a_crd_has_its_schema(srv: FakeAPIServer) -> None:
    from tests.apiserver.test_validation import STRICT_CRD

    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(STRICT_CRD)
    _, _, doc = raw(srv, "GET", "/openapi/v3/apis/stable.example.com/v1")
    gadget = doc["components"]["schemas"]["com.example.stable.v1.Gadget"]
    assert gadget["properties"]["spec"]["properties"]["size"]["type"] == "integer"
    code, _, v2 = raw(srv, "GET", "/openapi/v2", headers={"Accept": "application/json"})
    assert code == 200 and "com.example.stable.v1.Gadget" in v2["definitions"]
    assert v2["definitions"]["io.k8s.api.core.v1.Pod"]["properties"]["spec"]["$ref"] == \
        "#/definitions/io.k8s.api.core.v1.PodSpec"


def test_loader_and_compiled_nodes() -> None:
    defs = load()
    assert defs is load()  # loaded once
    assert len(builtin_types()) == len(REAL_1_32) == 58
    node = defs.kind_node("apps", "v1", "Deployment")
    assert node is not None and node is defs.kind_node("apps", "v1", "Deployment")
    spec = node.field("spec")
    assert spec is not None and spec.field("replicas").type == "integer"  # type: ignore[union-attr]
    strategy = spec.field("strategy")
    assert strategy is not None
    surge = strategy.field("rollingUpdate").field("maxSurge")  # type: ignore[union-attr]
    assert surge is not None and surge.int_or_string
    # JSONSchemaProps refers to itself: compiling ends in a cycle, not a recursion error.
    props = defs.node("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps")
    assert props.field("properties").additional is props  # type: ignore[union-attr]
    # A CRD schema prunes a bare object; a built-in free-form object keeps everything.
    crd_node = Compiler({}, free_form=False).compile({"type": "object"})
    assert not crd_node.preserve
    assert defs.node("io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1").preserve


def test_kube_api_defaults_to_the_emulator(kube_api: Any,
                                           request: pytest.FixtureRequest) -> None:
    if kube_api_kubeconfig(request.config):
        pytest.skip("this run points kube_api at a real cluster")
    assert isinstance(kube_api, FakeAPIServer)
    names = [n.metadata.name for n in client.CoreV1Api(kube_api.api_client()).list_namespace(
    ).items]
    assert "default" in names


def test_kube_api_uses_a_kubeconfig_when_given(pytester: pytest.Pytester,
                                               fake_apiserver: FakeAPIServer) -> None:
    pytester.makepyfile("""
        from kubernetes import client
        from hybridwait.testing.pytest_plugin import RealCluster

        def test_real(kube_api):
            assert isinstance(kube_api, RealCluster)
            v1 = client.CoreV1Api(kube_api.api_client())
            assert v1.read_namespace("marker").metadata.name == "marker"
    """)
    client.CoreV1Api(fake_apiserver.api_client()).create_namespace(
        {"metadata": {"name": "marker"}})
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("HYBRIDWAIT_KUBECONFIG", raising=False)
        res = pytester.runpytest_inprocess(
            "-p", "no:cacheprovider", f"--kube-api-kubeconfig={fake_apiserver.kubeconfig}")
    res.assert_outcomes(passed=1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HYBRIDWAIT_KUBECONFIG", fake_apiserver.kubeconfig)
        res = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    res.assert_outcomes(passed=1)
    assert repr(RealCluster("x")) == "RealCluster(kubeconfig='x')"


def test_unknown_kubeconfig_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(kube_api):\n    pass\n")
    res = pytester.runpytest_inprocess("-p", "no:cacheprovider",
                                       "--kube-api-kubeconfig=/nonexistent/kc")
    res.assert_outcomes(errors=1)


def test_a_failed_write_changes_nothing(srv: FakeAPIServer) -> None:
    v1 = client.CoreV1Api(srv.api_client())
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    for body in ({"metadata": {"name": "p"}, "spec": {}},
                 {"metadata": {"name": "p"}, "spec": {"containers": "x"}},
                 {"metadata": {"name": "P"}, "spec": {"containers": [{"name": "c"}]}}):
        code, _, status = raw(srv, "POST", "/api/v1/namespaces/default/pods", body)
        assert code in (400, 422) and status["kind"] == "Status"
    with pytest.raises(ApiException):
        v1.patch_namespaced_pod("p", "default", {"spec": {"containers": []}})
    listed = v1.list_namespaced_pod("default")
    assert listed.metadata.resource_version == rv and listed.items == []


def test_openapi_hash_changes_with_the_served_types_only(srv: FakeAPIServer) -> None:
    def urls() -> dict[str, str]:
        return {k: v["serverRelativeURL"] for k, v in raw(srv, "GET", "/openapi/v3")[2][
            "paths"].items()}

    before = urls()
    client.CoreV1Api(srv.api_client()).create_namespaced_config_map(
        "default", {"metadata": {"name": "c"}})
    assert urls() == before  # an ordinary write leaves clients' cached documents valid
    from tests.apiserver.test_validation import STRICT_CRD

    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(STRICT_CRD)
    after = urls()
    assert "apis/stable.example.com/v1" in after
    assert after["api/v1"] != before["api/v1"]
