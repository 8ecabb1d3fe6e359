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
