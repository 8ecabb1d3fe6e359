"""DeleteOptions: ``propagationPolicy`` / ``orphanDependents`` checked as a real
server checks them, and the garbage collector's finalizers added when a control
plane with a garbage collector runs (``Api.garbage_collector``)."""

from __future__ import annotations

import pytest

from hybridwait.testing import FakeAPIServer
from tests.apiserver.conftest import raw

CMS = "/api/v1/namespaces/default/configmaps"


def _cm(srv: FakeAPIServer, name: str) -> None:
    assert raw(srv, "POST", CMS, {"metadata": {"name": name}})[0] == 201


@pytest.mark.parametrize(("options", "finalizer"), [
    ({"propagationPolicy": "Foreground"}, "foregroundDeletion"),
    ({"propagationPolicy": "Orphan"}, "orphan"),
    ({"orphanDependents": True}, "orphan"),
])
def test_policy_finalizers_for_the_garbage_collector(srv: FakeAPIServer, options: dict[str, object],
                                                     finalizer: str) -> None:
    srv.api.garbage_collector = True
    _cm(srv, "c")
    code, _, obj = raw(srv, "DELETE", f"{CMS}/c", options)
    assert code == 200 and obj["metadata"]["finalizers"] == [finalizer]
    assert obj["metadata"]["deletionTimestamp"]
    # It stays until the finalizer is removed (the garbage collector's job).
    assert raw(srv, "GET", f"{CMS}/c")[0] == 200
    code, _, _ = raw(srv, "PATCH", f"{CMS}/c", {"metadata": {"finalizers": None}},
                     headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and raw(srv, "GET", f"{CMS}/c")[0] == 404


def test_without_a_garbage_collector_the_object_goes_at_once(srv: FakeAPIServer) -> None:
    _cm(srv, "c")
    assert raw(srv, "DELETE", f"{CMS}/c", {"propagationPolicy": "Foreground"})[0] == 200
    assert raw(srv, "GET", f"{CMS}/c")[0] == 404


def test_background_deletes_at_once(srv: FakeAPIServer) -> None:
    srv.api.garbage_collector = True
    _cm(srv, "c")
    assert raw(srv, "DELETE", f"{CMS}/c", {"propagationPolicy": "Background"})[0] == 200
    assert raw(srv, "GET", f"{CMS}/c")[0] == 404


def test_bad_delete_options_are_422_and_delete_nothing(srv: FakeAPIServer) -> None:
    _cm(srv, "c")
    code, _, status = raw(srv, "DELETE", f"{CMS}/c", {"propagationPolicy": "Later"})
    assert code == 422 and status["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
        '"Later": supported values: "Foreground", "Background", "Orphan", "nil"')
    code, _, status = raw(srv, "DELETE", f"{CMS}/c", {"propagationPolicy": "Orphan",
                                                     "orphanDependents": True})
    assert code == 422 and "cannot be both set" in status["message"]
    assert raw(srv, "GET", f"{CMS}/c")[0] == 200


PODS = "/api/v1/namespaces/default/pods"


def _bound_pod(srv: FakeAPIServer, name: str, grace: int = 30) -> None:
    body = {"metadata": {"name": name}, "spec": {
        "nodeName": "n1", "terminationGracePeriodSeconds": grace,
        "containers": [{"name": "c", "image": "x"}]}}
    assert raw(srv, "POST", PODS, body)[0] == 201


def test_graceful_pod_deletion_with_kubelets(srv: FakeAPIServer) -> None:
    srv.api.graceful_pods = True
    _bound_pod(srv, "p")
    code, _, pod = raw(srv, "DELETE", f"{PODS}/p")
    assert code == 200 and pod["metadata"]["deletionGracePeriodSeconds"] == 30
    assert pod["metadata"]["deletionTimestamp"]
    # Still there, and a status update (the kubelet's) does not finish the delete.
    code, _, _ = raw(srv, "PATCH", f"{PODS}/p/status", {"status": {"phase": "Running"}},
                     headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and raw(srv, "GET", f"{PODS}/p")[0] == 200
    # A later delete may shorten the grace period, not lengthen it.
    _, _, pod = raw(srv, "DELETE", f"{PODS}/p", {"gracePeriodSeconds": 60})
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 30
    _, _, pod = raw(srv, "DELETE", f"{PODS}/p", {"gracePeriodSeconds": 5})
    assert pod["metadata"]["deletionGracePeriodSeconds"] == 5
    # The kubelet's final delete (grace 0) removes it.
    assert raw(srv, "DELETE", f"{PODS}/p", {"gracePeriodSeconds": 0})[0] == 200
    assert raw(srv, "GET", f"{PODS}/p")[0] == 404


def test_pods_no_node_runs_go_at_once(srv: FakeAPIServer) -> None:
    srv.api.graceful_pods = True
    assert raw(srv, "POST", PODS, {"metadata": {"name": "q"}, "spec": {
        "containers": [{"name": "c", "image": "x"}]}})[0] == 201
    assert raw(srv, "DELETE", f"{PODS}/q")[0] == 200
    assert raw(srv, "GET", f"{PODS}/q")[0] == 404
    srv.api.graceful_pods = False  # the default: a bound pod goes at once too
    _bound_pod(srv, "r")
    assert raw(srv, "DELETE", f"{PODS}/r")[0] == 200
    assert raw(srv, "GET", f"{PODS}/r")[0] == 404
