"""The watcher state machine on its own: request shape and the reconnect backoff
(driven by FakeClock, no sleeping through the delays)."""

from __future__ import annotations

import threading
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
    import hybridwait.kube.watchstream as watchstream_mod

    monkeypatch.setattr(watchstream_mod, "MAX_LINE", 50_000)
    kube.pod("a")
    w, _ = make_watcher(fake_apiserver, None)
    w.start()
    try:
        _until(lambda: w.healthy and fake_apiserver.watch_count() == 1)
        kube.v1.patch_namespaced_pod(
            "a", "default", {"metadata": {"annotations": {"big": "x" * 200_000}}}
        )
        _until(lambda: w.last_outcome is Outcome.TOO_LONG)
        assert not w.healthy
    finally:
        w.stop()
        assert w.join(2)


def test_a_stream_reopened_after_a_stall_is_not_trusted_before_its_first_event(
    fake_apiserver, kube
):
    """D13: a stalled server answers a re-watch with headers and then nothing.
    The re-opened stream is not trusted on its headers; its first event is the
    proof that it is live (waiters read the API until then)."""
    kube.pod("a")
    api = fake_apiserver.api_client()
    stats = Stats()
    w = Watcher(Transport(api), Discovery(Transport(api)).resolve("pods"), "default", None,
                ObjectCache(100), WaiterRegistry(), stats, stall_timeout=0.5)
    w.start()
    try:
        _until(lambda: w.healthy and fake_apiserver.watch_count() == 1)
        fake_apiserver.faults.stall_watches(60.0)
        _until(lambda: w.status().stalls >= 1, timeout=10)
        reopened = False
        deadline = time.monotonic() + 20
        while w.status().stalls < 3:  # the re-opened streams stall too
            assert time.monotonic() < deadline, w.status()
            st = w.status()
            assert not st.healthy, st
            reopened = reopened or st.state is State.WATCHING
            time.sleep(0.01)
        assert reopened, "no re-opened stream seen while stalled"
        assert w.last_outcome is Outcome.STALLED
        fake_apiserver.faults.clear()
        time.sleep(0.3)  # the stream flows again, but has nothing to send yet
        assert not w.healthy
        kube.ready("a")  # its event proves the stream live
        _until(lambda: w.healthy, timeout=10)
        st = w.status()
        assert st.events >= 1 and st.reconnects >= 3 and st.stalls >= 3
        assert (w.cache.get(("pods", "default", "a")) or {})["status"]["phase"] == "Running"
    finally:
        w.stop()
        assert w.join(2)
        api.close()


def test_429_on_rewatch_waits_retry_after_not_the_backoff(fake_apiserver, kube):
    """A re-watch answered 429 with ``Retry-After: 2`` is retried after 2 s (the
    first backoff step would be 0.8 to 1.6 s); the cache is not trusted meanwhile."""
    kube.pod("a")
    clock = FakeClock()
    w, stats = make_watcher(fake_apiserver, None, clock)
    w.start()
    try:
        _until(lambda: w.healthy and fake_apiserver.watch_count() == 1)
        kube.ready("a")  # an event: the stream that gets cut is not a "very short" one
        _until(lambda: stats.snapshot()["events"] >= 1)
        fake_apiserver.faults.fail_next(1, 429, retry_after=2, verb="watch")
        fake_apiserver.faults.drop_watches()
        _until(lambda: w.last_outcome is Outcome.THROTTLED and w.state is State.BACKOFF)
        _until(clock.has_waiters)
        assert not w.healthy
        n = stats.snapshot()["watches"]
        clock.step(1.9)
        time.sleep(0.05)
        assert stats.snapshot()["watches"] == n, "retried before Retry-After"
        clock.step(0.2)
        _until(lambda: stats.snapshot()["watches"] == n + 1 and w.state is State.WATCHING)
        assert stats.snapshot()["lists"] == 1  # a throttled watch resumes, no relist
    finally:
        w.stop()
        assert w.join(2)


def test_a_malformed_line_rewatches_at_once_from_the_last_version(fake_apiserver, kube):
    kube.pod("a")
    w, stats = make_watcher(fake_apiserver, None)
    w.start()
    try:
        _until(lambda: w.healthy and fake_apiserver.watch_count() == 1)
        kube.ready("a")
        _until(lambda: stats.snapshot()["events"] >= 1)
        rv = w.status().resource_version
        fake_apiserver.faults.malformed_line()
        _until(lambda: w.status().reconnects == 1 and fake_apiserver.watch_count() == 1)
        assert w.status().last_outcome is Outcome.MALFORMED
        watches = [r for r in fake_apiserver.requests if r.verb == "watch"]
        assert watches[-1].query["resourceVersion"] == rv
        assert stats.snapshot()["lists"] == 1
    finally:
        w.stop()
        assert w.join(2)


def test_compaction_makes_the_resumed_watch_relist(fake_apiserver, kube):
    kube.pod("a")
    w, _ = make_watcher(fake_apiserver, None)
    w.start()
    try:
        _until(lambda: w.healthy and fake_apiserver.watch_count() == 1)
        fake_apiserver.faults.stall_watches(60)
        kube.ready("a")  # held back by the stall, then compacted away
        fake_apiserver.faults.compact()
        fake_apiserver.faults.drop_watches()
        _until(lambda: w.status().reconnects == 1 and not w.healthy)
        fake_apiserver.faults.clear()  # the resumed stream says 410 Expired
        _until(lambda: w.status().relists == 1 and w.healthy, timeout=10)
        assert (w.cache.get(("pods", "default", "a")) or {})["status"]["phase"] == "Running"
        assert w.last_outcome is Outcome.LISTED
    finally:
        w.stop()
        assert w.join(2)


def test_statuses_report_each_watch_in_use(fake_apiserver, kube):
    """WatchManager.statuses(): one record per watch in use, with its waiters."""
    from hybridwait.kube.sharing import WatchManager

    kube.pod("a")
    kube.pod("b")
    api = fake_apiserver.api_client()
    t = Transport(api)
    rtype = Discovery(t).resolve("pods")
    mgr = WatchManager(t, ObjectCache(100), WaiterRegistry(), Stats(), linger=0)
    try:
        mgr.acquire(rtype, ("pods", "default", "a"))
        # healthy (synced by its LIST) comes before the watch request is open
        _until(lambda: [(s.healthy, s.state) for s in mgr.statuses()]
               == [(True, State.WATCHING)], timeout=20.0)
        (st,) = mgr.statuses()
        assert (st.resource, st.namespace, st.name, st.wide) == ("pods", "default", "a", False)
        assert st.waiters == 1 and st.lists == 1 and st.state is State.WATCHING
        mgr.acquire(rtype, ("pods", "default", "b"))
        mgr.acquire(rtype, ("pods", "default", "b"))
        # the wide watch syncs, then the narrow one is retired
        _until(lambda: [(s.wide, s.healthy) for s in mgr.statuses()] == [(True, True)],
               timeout=20.0)
        (wide,) = mgr.statuses()
        assert wide.name is None and wide.waiters == 3 and wide.resource_version
        mgr.release(rtype, ("pods", "default", "a"))
        mgr.release(rtype, ("pods", "default", "b"))
        assert [s.waiters for s in mgr.statuses()] == [1]
        mgr.release(rtype, ("pods", "default", "b"))
        assert mgr.statuses() == []  # linger 0: stopped with its last waiter
    finally:
        assert mgr.close()
        api.close()


def test_a_wait_is_not_held_by_a_stalled_reopened_stream(fake_apiserver, kube):
    """D13 end to end: the server stalls every stream (headers, then nothing). Once
    the first stall is detected and the stream re-opened, a change is seen by the
    wait's poll path within poll_interval (+ one read), not after another
    stall_timeout of trusting a silent stream (docs/engine.md, "Lateness under
    faults")."""
    from hybridwait import Engine

    kube.pod("a")
    api = fake_apiserver.api_client()
    eng = Engine(api_client=api, poll_interval=0.5, stall_timeout=4.0)
    out: dict[str, Any] = {}

    def wait() -> None:
        out["r"] = eng.wait_result("pod/a", for_="condition=Ready", timeout=60)
        out["t"] = time.monotonic()

    t = threading.Thread(target=wait)
    try:
        t.start()
        _until(lambda: [s.healthy for s in eng.watch_status()] == [True], timeout=10)
        fake_apiserver.faults.stall_watches(60.0)
        # the first stall detected, the stream re-opened (headers arrived), still silent
        _until(lambda: any(s.stalls >= 1 and s.state is State.WATCHING
                           for s in eng.watch_status()), timeout=15)
        assert not any(s.healthy for s in eng.watch_status())
        changed = time.monotonic()
        kube.ready("a")
        t.join(10)
        assert out["r"].path == "poll"
        assert out["t"] - changed < 0.5 + 1.5  # a stale trusted cache would hold it ~4 s
    finally:
        fake_apiserver.faults.clear()
        eng.close()
        t.join(5)
        api.close()


def test_a_paged_list_is_packed_page_by_page_not_held_whole(fake_apiserver, monkeypatch):
    """A LIST of many pages keeps only its packed objects while it goes on: the
    memory it needs beyond what the cache keeps is about a page's worth, not
    the whole list decoded (11 MB peak for these 1,000 pods when the list was
    packed only at its end; 5 MB now, 4 MB of it the cache)."""
    import tracemalloc

    from hybridwait.kube import watcher as watcher_mod

    pods = fake_apiserver.registry.lookup("", "v1", "pods")
    for i in range(1000):  # 40 labels each: decoded, a pod is several times its JSON
        fake_apiserver.api.create(pods, "v1", "default", {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"p{i:04d}",
                         "labels": {f"k{j}": f"value-{i}-{j}" for j in range(40)}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    monkeypatch.setattr(watcher_mod, "LIST_PAGE", 100)
    w, stats = make_watcher(fake_apiserver, None)
    w.cache = ObjectCache(5000)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        w._list()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(w.cache) == 1000 and stats.snapshot()["lists"] == 1
    transient = peak - kept  # measured: ~1.2 MB page by page, ~7.3 MB whole
    assert transient < 3_500_000, (transient, kept - base)
