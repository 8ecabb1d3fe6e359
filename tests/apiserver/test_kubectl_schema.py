"""Parity with a real 1.32 server for the real ``kubectl`` 1.32, on the schema side:
``explain``, ``api-resources``, ``auth can-i``, ``apply`` with an unknown field
(Strict error, and a warning with ``--validate=warn``), an invalid object (422 text),
and ``delete``. Each test is a row of docs/testing.md's scenario table."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from hybridwait.testing import FakeAPIServer

from .test_kubectl import KUBECTL, kubectl, manifest, ok
from .test_schema import REAL_1_32

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (CI installs it)"),
]


def deployment(**container: object) -> dict[str, object]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx",
                                                           **container}]}}}}


def test_explain_pod(srv: FakeAPIServer) -> None:
    out = ok(srv, "explain", "pod")
    assert out.startswith("KIND:       Pod\nVERSION:    v1\n")
    assert "Pod is a collection of containers that can run on a host." in out
    for line in ("  spec\t<PodSpec>", "  status\t<PodStatus>", "  metadata\t<ObjectMeta>"):
        assert line in out


def test_explain_a_nested_field(srv: FakeAPIServer) -> None:
    out = ok(srv, "explain", "pod.spec.containers")
    assert "FIELD: containers <[]Container>" in out
    assert "  image\t<string>" in out and "  ports\t<[]ContainerPort>" in out
    out = ok(srv, "explain", "deployments.spec.strategy.rollingUpdate.maxSurge")
    assert "FIELD: maxSurge <" in out and "IntOrString is a type that can hold" in out


def test_explain_a_custom_resource(srv: FakeAPIServer) -> None:
    from .test_validation import STRICT_CRD

    client.ApiextensionsV1Api(srv.api_client()).create_custom_resource_definition(STRICT_CRD)
    out = ok(srv, "explain", "gadgets.spec")
    assert "  size\t<integer> -required-" in out


def test_api_resources_matches_a_real_server(srv: FakeAPIServer) -> None:
    lines = ok(srv, "api-resources").splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = []
    for line in lines[1:]:
        cols = line.split()
        if len(cols) == 4:  # no short names
            cols.insert(1, "")
        rows.append((cols[0], cols[1], cols[2], cols[3] == "true", cols[4]))
    assert sorted(rows) == sorted(REAL_1_32)


def test_discovery_is_aggregated(srv: FakeAPIServer, tmp_path: Path) -> None:
    # A fresh cache directory: kubectl would otherwise reuse discovery cached for
    # an earlier server on the same port.
    res = kubectl(srv, "--cache-dir", str(tmp_path), "get", "deployments,pods,leases")
    assert res.returncode == 0, res.stderr
    paths = [r.path for r in srv.requests if r.verb == "discovery"]
    assert paths == ["/version", "/api", "/apis"]


def test_auth_can_i_answers_yes(srv: FakeAPIServer) -> None:
    res = kubectl(srv, "auth", "can-i", "create", "deployments", "-n", "default")
    assert (res.returncode, res.stdout.strip()) == (0, "yes"), res.stderr
    assert srv.request_counts().get("create") == 1


def test_apply_with_an_unknown_field_is_a_strict_error(srv: FakeAPIServer,
                                                       tmp_path: Path) -> None:
    path = manifest(tmp_path, deployment(imagePolicy="Always"), "bad")
    res = kubectl(srv, "apply", "-f", path)
    assert res.returncode == 1
    assert res.stderr.strip() == (
        f'Error from server (BadRequest): error when creating "{path}": Deployment in '
        'version "v1" cannot be handled as a Deployment: strict decoding error: unknown '
        'field "spec.template.spec.containers[0].imagePolicy"')
    assert [r.query.get("fieldValidation") for r in srv.requests if r.verb == "create"] == [
        "Strict"]
    res = kubectl(srv, "get", "deployment", "web")
    assert res.returncode == 1  # nothing stored

    res = kubectl(srv, "apply", "--validate=warn", "-f", path)
    assert res.returncode == 0, res.stderr
    assert 'Warning: unknown field "spec.template.spec.containers[0].imagePolicy"' in res.stderr
    assert "imagePolicy" not in ok(srv, "get", "deployment", "web", "-o",
                                   "jsonpath={.spec.template.spec.containers[0]}")


def test_apply_over_an_existing_object_with_an_unknown_field(srv: FakeAPIServer,
                                                              tmp_path: Path) -> None:
    ok(srv, "apply", "-f", manifest(tmp_path, deployment(), "good"))
    res = kubectl(srv, "apply", "-f", manifest(tmp_path, deployment(imagePolicy="Always"),
                                               "bad"))
    assert res.returncode == 1
    # A strategic merge patch under Strict: the patch, as Go prints a map, is the value.
    assert res.stderr.startswith('The request is invalid: patch: Invalid value: "map[metadata:')
    assert res.stderr.rstrip().endswith('": strict decoding error: unknown field '
                                        '"spec.template.spec.containers[0].imagePolicy"')


def test_create_an_invalid_object_prints_the_422(srv: FakeAPIServer, tmp_path: Path) -> None:
    bad = deployment()
    bad["metadata"] = {"name": "web", "labels": {"tier": "front end"}}
    bad["spec"]["template"]["spec"]["containers"] = []  # type: ignore[index]
    res = kubectl(srv, "create", "-f", manifest(tmp_path, bad, "invalid"))
    assert res.returncode == 1
    assert res.stderr.splitlines() == [
        'The Deployment "web" is invalid: ',
        '* metadata.labels: Invalid value: "front end": a valid label must be an empty '
        "string or consist of alphanumeric characters, '-', '_' or '.', and must start and "
        "end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
        "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        "* spec.template.spec.containers: Required value",
    ]


def test_delete(srv: FakeAPIServer, tmp_path: Path) -> None:
    path = manifest(tmp_path, deployment(), "good")
    assert ok(srv, "apply", "-f", path).strip() == "deployment.apps/web created"
    assert ok(srv, "delete", "-f", path).strip() == 'deployment.apps "web" deleted'
    res = kubectl(srv, "delete", "deployment", "web")
    assert res.returncode == 1
    assert res.stderr.strip() == \
        'Error from server (NotFound): deployments.apps "web" not found'
