"""The watcher state machine on its own: request shape and the reconnect backoff
(driven by FakeClock, no sleeping through the delays)."""

from __future__ import annotations

import time
from typing import Any

from hybridwait.kube.cache import ObjectCache, WaiterRegistry
from hybridwait.kube.resources import Discovery
from hybridwait.kube.stats import Stats
from hybridwait.kube.transport import Transport
from hybridwait.kube.watcher import Outcome, State, Watcher
from hybridwait.testing import FakeClock


def _until(pred: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def make_watcher(srv: Any, name: str | None, clock: Any = None) -> tuple[Watcher, Any]:
    api = srv.api_client()
    t = Transport(api)
    rtype = Discovery(t).resolve("pods")
    stats = Stats()
    w = Watcher(
        t, rtype, "default", name, ObjectCache(100), WaiterRegistry(), stats, clock=clock
    )
    return w, stats


def test_list_then_watch_from_the_lists_version(fake_apiserver, kube):
    created = kube.pod("a")
    w, _ = make_watcher(fake_apiserver, "a")
    w.start()
    try:
        _until(lambda: w.healthy)
        _until(lambda: fake_apiserver.watch_count() == 1)
    finally:
        w.stop()
        assert w.join(2)
    lists = [r for r in fake_apiserver.requests if r.verb == "list"]
    watches = [r for r in fake_apiserver.requests if r.verb == "watch"]
    assert len(lists) == 1 and len(watches) == 1
    q = watches[0].query
    # nothing was written after the pod: the list's resourceVersion is the pod's
    assert q["resourceVersion"] == created.metadata.resource_version
    assert "resourceVersion" not in lists[0].query or lists[0].query["resourceVersion"] == ""
    assert q["allowWatchBookmarks"] == "true"
    assert 300 <= int(q["timeoutSeconds"]) < 600  # randomized like client-go
    assert q["fieldSelector"] == "metadata.name=a"
    assert w.state is State.STOPPED


def test_reconnect_backoff_doubles_to_a_cap_and_resets(fake_apiserver, kube):
    """0.8 s doubling (jitter 1.0: each delay in [d, 2d)), capped at 30 s, back to
    0.8 s after 2 minutes without a failure (client-go's reflector backoff)."""
    kube.pod("a")
    fake_apiserver.faults.forbid_watch(True)
    clock = FakeClock()
    w, stats = make_watcher(fake_apiserver, None, clock)
    w.start()
    try:
        for k, d in enumerate([0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0]):
            _until(lambda k=k: stats.snapshot()["watches"] == k + 1 and w.state is State.BACKOFF)
            _until(clock.has_waiters)
            assert w.last_outcome is Outcome.FORBIDDEN and not w.healthy
            clock.step(d * 0.97)
            time.sleep(0.05)
            assert stats.snapshot()["watches"] == k + 1, f"retried before {d}s"
            clock.step(d * 1.05)  # past the longest jittered delay (2d)
            _until(lambda k=k: stats.snapshot()["watches"] == k + 2)
        # quiet for more than 2 minutes: the next delay starts again at 0.8 s
        _until(lambda: w.state is State.BACKOFF and clock.has_waiters())
        clock.step(130.0)
        _until(lambda: stats.snapshot()["watches"] == 9 and w.state is State.BACKOFF)
        _until(clock.has_waiters)
        clock.step(1.65)
        _until(lambda: stats.snapshot()["watches"] == 10)
    finally:
        w.stop()
        assert w.join(2)
    assert stats.snapshot()["lists"] == 1  # a Forbidden watch never relists


def test_a_burst_is_applied_before_its_waiters_wake(fake_apiserver, kube):
    """Events that arrive together (a backlog after a stall) go into the cache as
    one batch; waiters are woken after it, once each, so the watcher is not
    slowed by the threads it wakes."""
    n = 30
    for i in range(n):
        kube.pod(f"p{i}")
    w, stats = make_watcher(fake_apiserver, None)
    seen: list[int] = []

    class Probe:
        def kick(self) -> None:  # how many pods are Ready in the cache at wake time
            seen.append(
                sum(
                    1
                    for i in range(n)
                    if ((w.cache.get(("pods", "default", f"p{i}")) or {}).get("status") or {})
                    .get("phase") == "Running"
                )
            )

    w.registry.add(("pods", "default", "p0"), Probe())
    w.start()
    try:
        _until(lambda: w.healthy and fake_apiserver.watch_count() == 1)
        seen.clear()
        fake_apiserver.faults.stall_watches(2.0)
        for i in range(n):
            kube.ready(f"p{i}")
        _until(lambda: stats.snapshot()["events"] >= n)
        _until(lambda: len(seen) >= 1)
        assert seen == [n]  # woken once, after the whole backlog was applied
    finally:
        w.stop()
        assert w.join(2)


def test_an_oversized_watch_line_is_refused_not_buffered(fake_apiserver, kube, monkeypatch):
    """A watch line longer than MAX_LINE (16 MiB; 50 kB here) ends the stream as
    ``refused`` (back off, cache not trusted) instead of growing a buffer."""
    import hybridwait.kube.watcher as watcher_mod

    monkeypatch.setattr(watcher_mod, "MAX_LINE", 50_000)
    kube.pod("a")
    w, _ = make_watcher(fake_apiserver, None)
    w.start()
    try:
        _until(lambda: w.healthy and fake_apiserver.watch_count() == 1)
        kube.v1.patch_namespaced_pod(
            "a", "default", {"metadata": {"annotations": {"big": "x" * 200_000}}}
        )
        _until(lambda: w.last_outcome is Outcome.REFUSED)
        assert not w.healthy
    finally:
        w.stop()
        assert w.join(2)
