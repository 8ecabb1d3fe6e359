"""Loading a client like kubectl; resolving resource strings through discovery."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from hybridwait import Engine
from hybridwait import conditions as c
from hybridwait.kube.errors import KubeconfigError, UnknownResourceType
from hybridwait.kube.kubeconfig import load
from hybridwait.kube.resources import parse_resource_arg, type_candidates

SECRET = "s3cr3t-t0ken-value"


def write_config(path, server, *, current="fake", namespace="team-a", token=SECRET):
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "contexts": [
            {"name": "fake", "context": {"cluster": "c", "user": "u", "namespace": namespace}},
            {"name": "other", "context": {"cluster": "c", "user": "u"}},
        ],
        "users": [{"name": "u", "user": {"token": token}}],
    }
    if current:
        doc["current-context"] = current
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_explicit_path_context_and_namespace(tmp_path, fake_apiserver):
    cfg = write_config(tmp_path / "kc", fake_apiserver.url)
    api, ns = load(cfg)
    assert ns == "team-a"
    api2, ns2 = load(cfg, context="other")
    assert ns2 == "default"
    with Engine(api_client=api) as eng:
        assert eng.resolve("po").plural == "pods"
    api.close()
    api2.close()


def test_kubeconfig_env_merges_first_wins(tmp_path, fake_apiserver, monkeypatch):
    first = write_config(tmp_path / "a", fake_apiserver.url, current="other")
    second = write_config(tmp_path / "b", "http://127.0.0.1:1", current="fake")
    missing = str(tmp_path / "missing")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([missing, first, second]))
    api, ns = load()
    assert ns == "default"  # "other" from the first file that sets current-context
    assert api.configuration.host == fake_apiserver.url
    api.close()


def test_errors_are_clear_and_never_leak_the_token(tmp_path, monkeypatch):
    with pytest.raises(KubeconfigError, match="stat /nonexistent/kc: no such file or directory"):
        load("/nonexistent/kc")
    cfg = write_config(tmp_path / "kc", "http://127.0.0.1:1", current=None)
    with pytest.raises(KubeconfigError, match="current-context is not set") as e1:
        load(cfg)
    not_found = 'context "nope" does not exist'
    with pytest.raises(KubeconfigError, match=not_found) as e2:
        load(cfg, context="nope")
    bad = tmp_path / "bad"
    bad.write_text(f"users: [token: {SECRET}\n")
    with pytest.raises(KubeconfigError, match="error loading config file") as e3:
        load(str(bad))
    for e in (e1, e2, e3):
        assert SECRET not in str(e.value) and SECRET not in repr(e.value)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(KubeconfigError, match="no configuration has been provided"):
        Engine()


def test_engine_repr_and_errors_hold_no_token(tmp_path, fake_apiserver):
    cfg = write_config(tmp_path / "kc", fake_apiserver.url)
    with Engine(kubeconfig=cfg) as eng:
        assert SECRET not in repr(eng)
        with pytest.raises(Exception) as ei:
            eng.wait("pod/nope", for_="condition=Ready", timeout=5)
        assert SECRET not in str(ei.value)
        assert eng.namespace == "team-a"


def test_parse_resource_arg():
    assert parse_resource_arg("deployment.apps/api") == ("deployment.apps", "api")
    assert parse_resource_arg("pods") == ("pods", None)
    for bad in ("", "/x", "pod/", "pod/a/b", "po d/x"):
        with pytest.raises(ValueError):
            parse_resource_arg(bad)
    assert type_candidates("foos.v1.example.com")[0] == ("foos", "v1", "example.com")


def test_resolution_forms_and_costs(fake_apiserver, engine):
    fake_apiserver.reset_requests()
    assert engine.resolve("pods").key == "pods"
    assert fake_apiserver.request_counts().get("discovery") == 1  # core group only
    for form in ("pod", "po", "Pod", "PODS"):
        assert engine.resolve(form).plural == "pods"
    assert engine.resolve("deploy").key == "deployments.apps"
    assert engine.resolve("deployments.v1.apps").version == "v1"
    assert engine.resolve("statefulset.apps").plural == "statefulsets"
    assert engine.resolve("jobs").group == "batch"
    assert engine.resolve("crd").key == "customresourcedefinitions.apiextensions.k8s.io"
    assert not engine.resolve("ns").namespaced
    with pytest.raises(UnknownResourceType) as ei:
        engine.resolve("deployments.nope")
    assert str(ei.value) == 'the server doesn\'t have a resource type "deployments.nope"'


def test_custom_resource_found_after_crd_creation(kube, engine):
    with pytest.raises(UnknownResourceType):
        engine.resolve("bars")
    kube.ext.create_custom_resource_definition(
        {
            "metadata": {"name": "bars.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Cluster",
                "names": {"plural": "bars", "singular": "bar", "kind": "Bar"},
                "versions": [{"name": "v1", "served": True, "storage": True}],
            },
        }
    )
    engine.wait("crd/bars.example.com", for_=c.condition("Established"), timeout=10)
    rt = engine.resolve("bars")  # discovery refreshed on a miss
    assert (rt.group, rt.namespaced) == ("example.com", False)


@pytest.mark.kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
@pytest.mark.parametrize(
    "spec",
    ["bogus", "jsonpath={.a}=1=2", "jsonpath=", "jsonpath={.a}=", "jsonpath={{.a}", "Condition=x"],
)
def test_for_errors_match_kubectl(spec):
    out = subprocess.run(
        ["kubectl", "wait", f"--for={spec}", "pod/x", "--server=http://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    kubectl_msg = out.stderr.strip().removeprefix("error: ")
    with pytest.raises(ValueError) as ei:
        c.parse_for(spec)
    assert kubectl_msg.rstrip(".") in str(ei.value)


@pytest.mark.parametrize(
    ("arg", "ns", "text"),
    [
        ("configmap/..", None, "invalid resource name \"..\": [may not be '..']"),
        ("configmap/.", None, "[may not be '.']"),
        ("configmap/a%2Fb", None, "[may not contain '%']"),
        ("configmap/a?x=1", None, "[may not contain '?']"),
        ("configmap/a", "../..", "invalid namespace \"../..\": [may not contain '/']"),
    ],
)
def test_names_that_are_no_path_segment_are_refused_before_any_request(
    fake_apiserver, engine, arg, ns, text
):
    """`configmap/..` must never read /api/v1/namespaces/default (the Namespace)."""
    before = sum(fake_apiserver.request_counts().values())
    with pytest.raises(ValueError) as ei:
        engine.wait(arg, for_="create", namespace=ns, timeout=0)
    assert text in str(ei.value)
    assert sum(fake_apiserver.request_counts().values()) == before


def test_path_segments_are_quoted(fake_apiserver, engine):
    rtype = engine.resolve("configmaps")
    assert rtype.path("default", "a:b c") == "/api/v1/namespaces/default/configmaps/a%3Ab%20c"
