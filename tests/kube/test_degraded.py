"""Degraded mode: while a namespace-wide watch cannot be trusted, its waits are
served by one shared LIST of the scope per poll interval, not a GET per wait;
a LIST failing mid-pagination ends no wait early or falsely; the watch resumes
from the LIST's resourceVersion (emulator over real HTTP, the real client)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from hybridwait import Engine
from hybridwait.kube import watcher as watcher_mod
from hybridwait.kube.cache import ObjectCache, ObjectKey, WaiterRegistry
from hybridwait.kube.resources import ResourceType
from hybridwait.kube.stats import Stats
from hybridwait.kube.transport import Transport
from hybridwait.kube.watcher import Watcher


def _until(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _wide_healthy(eng: Engine) -> bool:
    return any(s.wide and s.healthy for s in eng.watch_status())


def _wide_unhealthy(eng: Engine) -> bool:
    rows = [s for s in eng.watch_status() if s.wide]
    return bool(rows) and not any(s.healthy for s in rows)


@pytest.mark.timeout(300)  # the watch's own recovery follows client-go's backoff (30 s cap)
def test_outage_costs_one_list_per_scope_per_interval_not_a_get_per_wait(
    fake_apiserver: Any, kube: Any
) -> None:
    n = 30
    for i in range(n):
        kube.pod(f"d{i}")
    eng = Engine(api_client=fake_apiserver.api_client(), poll_interval=0.5, stall_timeout=5.0)
    try:
        futs = [eng.submit(f"pod/d{i}", for_="condition=Ready", timeout=60) for i in range(n)]
        _until(lambda: _wide_healthy(eng), 20, "the namespace-wide watch")
        _until(lambda: eng.stats()["polls"] >= n, 20, "every wait's first check")
        fake_apiserver.faults.forbid_watch()
        fake_apiserver.faults.drop_watches()
        _until(lambda: _wide_unhealthy(eng), 10, "the watch to be distrusted")
        fake_apiserver.reset_requests()
        t0 = time.monotonic()
        time.sleep(3.0)  # six poll intervals of outage
        outage = time.monotonic() - t0
        reqs = [r for r in fake_apiserver.requests if r.path.startswith("/api/v1/namespaces")]
        gets = [r for r in reqs if r.verb == "get"]
        lists = [r for r in reqs if r.verb == "list"]
        # per-object polling would be n GETs per interval (~180 here)
        assert gets == [], f"{len(gets)} per-object GETs during the outage"
        assert 1 <= len(lists) <= 4 * (outage / 0.5) + 2, f"{len(lists)} LISTs in {outage:.1f}s"
        # changes during the outage are seen through the shared LIST
        flipped = time.monotonic()
        for i in range(0, n, 2):
            kube.ready(f"d{i}")
        for i in range(0, n, 2):
            obj = futs[i].result(timeout=20)
            assert obj["metadata"]["name"] == f"d{i}"
            assert any(c["type"] == "Ready" and c["status"] == "True"
                       for c in obj["status"]["conditions"])
        assert time.monotonic() - flipped < 10
        assert not any(futs[i].done() for i in range(1, n, 2)), "an unmet wait ended"
        relists = eng.stats()["relists"]
        watches = eng.stats()["watches"]
        fake_apiserver.faults.forbid_watch(False)
        kube.ready("d1")  # met through the degraded LIST or the recovered watch
        assert futs[1].result(timeout=30)["metadata"]["name"] == "d1"
        # the watch retries on client-go's backoff (up to 30 s, jittered)
        _until(lambda: fake_apiserver.watch_count() >= 1 and eng.stats()["watches"] > watches,
               90, "the watch to re-open")
        kube.ready("d3")  # an event proves the re-opened stream live
        _until(lambda: _wide_healthy(eng), 30, "the watch to recover")
        # it resumed from a degraded LIST's resourceVersion: no LIST of its own
        assert eng.stats()["relists"] == relists
    finally:
        eng.close()


class _PageHook(Transport):
    """The real transport; ``hook()`` runs once after the first page of a LIST
    that has more pages (to break the LIST between its pages)."""

    hook: Callable[[], None] | None = None

    def get_json(self, path: str, query: Any = None, **kw: Any) -> dict[str, Any]:
        doc = super().get_json(path, query, **kw)
        hook, cont = self.hook, (doc.get("metadata") or {}).get("continue")
        if hook is not None and cont and not (query or {}).get("continue"):
            self.hook = None
            hook()
        return doc


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watcher_mod, "LIST_PAGE", 2)


def _watcher(srv: Any, transport: Transport, cache: ObjectCache) -> Watcher:
    pods = ResourceType("", "v1", "pods", "pod", "Pod", True)
    return Watcher(transport, pods, "default", None, cache, WaiterRegistry(), Stats())


@pytest.mark.parametrize("fault", ["expired_token", "server_error"])
def test_a_list_broken_between_pages_stores_nothing_and_the_next_one_starts_over(
    fake_apiserver: Any, kube: Any, paged: None, fault: str
) -> None:
    for i in range(5):
        kube.pod(f"p{i}")
    transport = _PageHook(fake_apiserver.api_client())
    cache = ObjectCache()
    w = _watcher(fake_apiserver, transport, cache)  # not started: read_scope alone
    assert w.read_scope(10.0).ok
    assert cache.get(ObjectKey("pods", "default", "p4")) is not None
    kube.delete("p4")
    kube.ready("p0")
    if fault == "expired_token":
        transport.hook = fake_apiserver.faults.compact
    else:
        transport.hook = lambda: fake_apiserver.faults.fail_next(1, 500, verb="list")
    got = w.read_scope(0.0)  # max_age 0: the previous LIST is too old now
    if fault == "expired_token":
        # a 410 on a continue token: listed again from the first page, at once
        assert got.ok
        assert cache.get(ObjectKey("pods", "default", "p4")) is None
    else:
        # the half LIST is not applied: p4 is not taken for deleted, p0 not updated
        assert not got.ok
        assert cache.get(ObjectKey("pods", "default", "p4")) is not None
        # shared: a read soon after takes the same (failed) outcome, no request
        before = len(fake_apiserver.requests)
        assert w.read_scope(10.0) is got
        assert len(fake_apiserver.requests) == before
        got = w.read_scope(0.0)
        assert got.ok
        assert cache.get(ObjectKey("pods", "default", "p4")) is None
    p0 = cache.get(ObjectKey("pods", "default", "p0"))
    assert p0 is not None and p0["status"]["conditions"][0]["type"] == "Ready"


def test_delete_waits_are_not_met_while_the_outage_lists_fail(
    fake_apiserver: Any, kube: Any, paged: None
) -> None:
    for i in range(6):
        kube.pod(f"x{i}")
    eng = Engine(api_client=fake_apiserver.api_client(), poll_interval=0.3, stall_timeout=5.0)
    try:
        futs = [eng.submit(f"pod/x{i}", for_="delete", timeout=60) for i in range(6)]
        _until(lambda: _wide_healthy(eng), 20, "the namespace-wide watch")
        _until(lambda: eng.stats()["polls"] >= 6, 20, "every wait's first check")
        fake_apiserver.faults.forbid_watch()
        fake_apiserver.faults.drop_watches()
        _until(lambda: _wide_unhealthy(eng), 10, "the watch to be distrusted")
        # the outage's LIST requests fail, first pages and later ones
        fake_apiserver.faults.fail_next(12, 500, verb="list")
        time.sleep(2.0)
        assert not any(f.done() for f in futs), "a delete wait ended on a broken LIST"
        kube.delete("x5")
        futs[5].result(timeout=20)  # met, not failed
        assert not any(f.done() for f in futs[:5])
    finally:
        eng.close()
