"""Watch semantics with the official client's ``watch.Watch().stream``:
initial events, resume by resourceVersion, 410 after compaction, bookmarks,
``timeoutSeconds``, selectors (with enter/leave transitions) and namespaces."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from hybridwait.testing import FakeAPIServer

from .conftest import pod


def _collect(v1: client.CoreV1Api, n: int, **kw: Any) -> list[tuple[str, str]]:
    """Read ``n`` events (type, name) from a pod watch in ``default``."""
    w = watch.Watch()
    out: list[tuple[str, str]] = []
    for ev in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=5, **kw):
        out.append((ev["type"], ev["raw_object"]["metadata"].get("name", "")))
        if len(out) >= n:
            w.stop()
            break
    return out


def _later(fn: Callable[[], object], delay: float = 0.2) -> threading.Thread:
    t = threading.Thread(target=lambda: (time.sleep(delay), fn()))
    t.start()
    return t


def test_initial_events_then_live(v1: client.CoreV1Api) -> None:
    v1.create_namespaced_pod("default", pod("a"))
    v1.create_namespaced_pod("default", pod("b"))
    t = _later(lambda: v1.patch_namespaced_pod("a", "default",
                                               {"metadata": {"labels": {"x": "1"}}}))
    try:
        events = _collect(v1, 3)
    finally:
        t.join()
    assert events == [("ADDED", "a"), ("ADDED", "b"), ("MODIFIED", "a")]


def test_resume_by_resource_version_replays_history(v1: client.CoreV1Api) -> None:
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("default", pod("a"))
    v1.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"x": "1"}}})
    v1.delete_namespaced_pod("a", "default")
    v1.create_namespaced_config_map("default", {"metadata": {"name": "other"}})
    assert _collect(v1, 3, resource_version=rv) == [
        ("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    # resourceVersions in the replay are the objects' own, strictly increasing
    w = watch.Watch()
    rvs = []
    for ev in w.stream(v1.list_namespaced_pod, "default", resource_version=rv,
                       timeout_seconds=1):
        rvs.append(int(ev["raw_object"]["metadata"]["resourceVersion"]))
    assert rvs == sorted(rvs) and len(rvs) == 3


def test_compacted_history_gives_410(srv: FakeAPIServer, v1: client.CoreV1Api) -> None:
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("default", pod("a"))
    srv.faults.compact()
    w = watch.Watch()
    with pytest.raises(ApiException) as ei:
        for _ in w.stream(v1.list_namespaced_pod, "default", resource_version=rv,
                          timeout_seconds=5):
            pass
    assert ei.value.status == 410 and "Expired" in str(ei.value.reason)


def test_bounded_history_expires_old_versions() -> None:
    with FakeAPIServer(history=5) as srv:
        v1 = client.CoreV1Api(srv.api_client())
        rv = v1.list_namespaced_pod("default").metadata.resource_version
        for i in range(6):
            v1.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
        w = watch.Watch()
        with pytest.raises(ApiException) as ei:
            for _ in w.stream(v1.list_namespaced_pod, "default", resource_version=rv,
                              timeout_seconds=5):
                pass
        assert ei.value.status == 410
        # The raw ERROR event carries a metav1.Status with code 410, reason Expired.
        resp = v1.list_namespaced_pod("default", watch=True, resource_version=rv,
                                      _preload_content=False)
        line = resp.readline()
        resp.release_conn()
        import json
        ev = json.loads(line)
        assert ev["type"] == "ERROR" and ev["object"]["code"] == 410
        assert ev["object"]["reason"] == "Expired" and ev["object"]["kind"] == "Status"


def test_bookmarks_carry_current_resource_version() -> None:
    with FakeAPIServer(bookmark_interval=0.2) as srv:
        v1 = client.CoreV1Api(srv.api_client())
        cm = v1.create_namespaced_config_map("default", {"metadata": {"name": "c"}})
        w = watch.Watch()
        seen = []
        for ev in w.stream(v1.list_namespaced_pod, "default", allow_watch_bookmarks=True,
                           timeout_seconds=5):
            seen.append(ev)
            if ev["type"] == "BOOKMARK":
                w.stop()
                break
        bm = seen[-1]["raw_object"]
        assert bm["kind"] == "Pod" and bm["apiVersion"] == "v1"
        # a configmap write advanced the global revision: the pod watch learns it
        assert int(bm["metadata"]["resourceVersion"]) >= int(cm.metadata.resource_version)
        assert w.resource_version == bm["metadata"]["resourceVersion"]
        # without allowWatchBookmarks: none
        t0 = time.monotonic()
        types = [e["type"] for e in w.stream(v1.list_namespaced_pod, "default",
                                             timeout_seconds=1)]
        assert "BOOKMARK" not in types and time.monotonic() - t0 >= 0.9


def test_timeout_seconds_ends_stream_cleanly(v1: client.CoreV1Api) -> None:
    t0 = time.monotonic()
    events = list(watch.Watch().stream(v1.list_namespaced_pod, "default", timeout_seconds=1))
    elapsed = time.monotonic() - t0
    assert events == [] and 0.9 <= elapsed < 5


def test_label_selector_transitions(v1: client.CoreV1Api) -> None:
    v1.create_namespaced_pod("default", pod("a", {"app": "x"}))
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"app": "web"}}})
    v1.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"v": "2"}}})
    v1.patch_namespaced_pod("a", "default", {"metadata": {"labels": {"app": "db"}}})
    v1.create_namespaced_pod("default", pod("b", {"app": "db"}))
    got = _collect(v1, 3, resource_version=rv, label_selector="app=web")
    assert got == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


def test_field_selector_and_namespace_scope(v1: client.CoreV1Api) -> None:
    v1.create_namespace({"metadata": {"name": "other"}})
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_pod("other", pod("a"))
    v1.create_namespaced_pod("default", pod("b"))
    v1.create_namespaced_pod("default", pod("a"))
    got = _collect(v1, 1, resource_version=rv, field_selector="metadata.name=a")
    assert got == [("ADDED", "a")]
    w = watch.Watch()
    names = [(e["raw_object"]["metadata"]["namespace"], e["raw_object"]["metadata"]["name"])
             for e in w.stream(v1.list_pod_for_all_namespaces, resource_version=rv,
                               timeout_seconds=1)]
    assert names == [("other", "a"), ("default", "b"), ("default", "a")]


def test_watch_resume_after_stop_misses_nothing(v1: client.CoreV1Api) -> None:
    """The reflector pattern: list, watch, stop, write while away, resume at last rv."""
    v1.create_namespaced_pod("default", pod("a"))
    listed = v1.list_namespaced_pod("default")
    w = watch.Watch()
    for _ in w.stream(v1.list_namespaced_pod, "default",
                      resource_version=listed.metadata.resource_version, timeout_seconds=1):
        pass
    last = w.resource_version or listed.metadata.resource_version
    v1.create_namespaced_pod("default", pod("b"))  # written while nobody watches
    assert _collect(v1, 1, resource_version=last) == [("ADDED", "b")]


def test_custom_resource_watch_and_send_initial_events(srv: FakeAPIServer) -> None:
    from .conftest import WIDGET_CRD
    api = srv.api_client()
    client.ApiextensionsV1Api(api).create_custom_resource_definition(WIDGET_CRD)
    co = client.CustomObjectsApi(api)
    co.create_namespaced_custom_object("example.com", "v1", "default", "widgets", {
        "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    import json

    from .conftest import raw
    status, headers, text = raw(
        srv, "GET", "/apis/example.com/v1/namespaces/default/widgets?watch=1"
        "&sendInitialEvents=true&allowWatchBookmarks=true"
        "&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
    assert status == 200 and headers["Transfer-Encoding"] == "chunked"
    lines = [json.loads(x) for x in text.splitlines() if x.strip()]
    assert [e["type"] for e in lines[:2]] == ["ADDED", "BOOKMARK"]
    assert lines[1]["object"]["metadata"]["annotations"] == {
        "k8s.io/initial-events-end": "true"}
