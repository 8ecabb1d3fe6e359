"""Watch sharing (request counts), many threads, and close() under load."""

from __future__ import annotations

import threading
import time
from typing import Any

from hybridwait import Canceled, Engine


def _lists_and_watches(srv: Any) -> tuple[list[Any], list[Any]]:
    pods = [r for r in srv.requests if r.path.endswith("/pods")]
    return [r for r in pods if r.verb == "list"], [r for r in pods if r.verb == "watch"]


def test_single_wait_uses_a_name_field_selector(fake_apiserver, kube):
    for i in range(20):
        kube.pod(f"p{i}")
    fake_apiserver.reset_requests()
    with Engine(api_client=fake_apiserver.api_client()) as eng:
        t = threading.Timer(0.2, kube.ready, args=("p3",))
        t.start()
        r = eng.wait_result("pod/p3", for_="condition=Ready", timeout=10)
        t.join()
    assert r.path == "watch"
    lists, watches = _lists_and_watches(fake_apiserver)
    assert lists and watches
    for rec in lists + watches:
        assert rec.query.get("fieldSelector") == "metadata.name=p3", rec
    assert all(rec.query.get("allowWatchBookmarks") == "true" for rec in watches)
    counts = fake_apiserver.request_counts()
    assert counts.get("get", 0) == 0


def test_many_waiters_share_one_watch(fake_apiserver, kube):
    n = 50
    for i in range(n):
        kube.pod(f"p{i}")
    fake_apiserver.reset_requests()
    results: dict[int, Any] = {}
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=30.0) as eng:

        def wait(i: int) -> None:
            results[i] = eng.wait_result(f"pod/p{i}", for_="condition=Ready", timeout=30)

        threads = [threading.Thread(target=wait, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        for i in range(n):
            kube.ready(f"p{i}")
        for t in threads:
            t.join(30)
        s = eng.stats()
    assert len(results) == n
    assert {r.path for r in results.values()} == {"watch"}
    lists, watches = _lists_and_watches(fake_apiserver)
    # one narrow watch for the first object, then one namespace-wide watch
    assert len(watches) <= 3, [w.query for w in watches]
    assert len(lists) <= 3
    assert s["direct_gets"] == 0
    assert s["waits_by_watch"] == n


def test_200_threads_200_pods_with_a_writer(fake_apiserver, kube):
    n = 200
    for i in range(n):
        kube.pod(f"p{i}")
    flipped: dict[int, float] = {}
    results: dict[int, Any] = {}
    ended: dict[int, float] = {}
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=60.0) as eng:

        def wait(i: int) -> None:
            try:
                results[i] = eng.wait_result(f"pod/p{i}", for_="condition=Ready", timeout=60)
            except BaseException as e:
                results[i] = e
            ended[i] = time.monotonic()

        threads = [threading.Thread(target=wait, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        time.sleep(1.0)

        def writer() -> None:
            for i in reversed(range(n)):
                flipped[i] = time.monotonic()
                kube.ready(f"p{i}")

        w = threading.Thread(target=writer)
        w.start()
        w.join(60)
        for t in threads:
            t.join(60)
        assert eng.stats()["watchers"] <= 2
    lag = []
    for i in range(n):
        r = results[i]
        assert not isinstance(r, BaseException), r
        assert r.objects["metadata"]["name"] == f"p{i}"
        assert r.objects["status"]["conditions"][0]["status"] == "True"
        assert ended[i] >= flipped[i]
        lag.append(ended[i] - flipped[i])
    lag.sort()
    assert lag[-1] < 10.0  # generous on a loaded 2-core machine; poll interval is 60 s


def test_close_with_500_waiting_threads(fake_apiserver, kube):
    for i in range(50):
        kube.pod(f"p{i}")
    eng = Engine(api_client=fake_apiserver.api_client())
    outcomes: list[BaseException | None] = []
    lock = threading.Lock()

    def wait(i: int) -> None:
        try:
            eng.wait(f"pod/p{i % 50}", for_="condition=Ready", timeout=120)
            out: BaseException | None = None
        except BaseException as e:
            out = e
        with lock:
            outcomes.append(out)

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(500)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while eng.stats()["polls"] < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    start = time.monotonic()
    eng.close()
    for t in threads:
        t.join(5)
    took = time.monotonic() - start
    assert took < 2.5, took
    assert len(outcomes) == 500
    assert all(isinstance(o, Canceled) for o in outcomes)
    assert not [t for t in threading.enumerate() if t.name.startswith("hybridwait-watch")]


def _eventually(pred: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _client_sockets(port: int) -> int:
    """Open TCP sockets of this process connected to ``port`` (Linux /proc)."""
    import os

    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            rem_port = int(cols[2].split(":")[1], 16)
            if rem_port == port and cols[9] in inodes:
                n += 1
    return n


def test_no_socket_left_after_close(fake_apiserver):
    """An engine that loaded its own client closes every connection it opened,
    watch streams included, even while a stream is stalled in a read."""
    from kubernetes import client

    api = fake_apiserver.api_client()
    spec = {"containers": [{"name": "c", "image": "x"}]}
    body = {"metadata": {"name": "a"}, "spec": spec}
    client.CoreV1Api(api).create_namespaced_pod("default", body)
    api.close()
    assert _eventually(lambda: _client_sockets(fake_apiserver.port) == 0)
    eng = Engine(kubeconfig=fake_apiserver.kubeconfig)
    done = threading.Event()

    def wait() -> None:
        try:
            eng.wait("pod/a", for_="condition=Ready", timeout=60)
        except Canceled:
            done.set()

    t = threading.Thread(target=wait)
    t.start()
    assert _eventually(lambda: fake_apiserver.watch_count() == 1)
    fake_apiserver.faults.stall_watches(30)
    start = time.monotonic()
    eng.close()
    t.join(5)
    assert time.monotonic() - start < 2.5
    assert done.is_set()
    assert _eventually(lambda: _client_sockets(fake_apiserver.port) == 0)
    fake_apiserver.faults.clear()


def test_no_lost_wakeup_when_the_change_races_the_first_check(fake_apiserver, kube):
    """The flip lands while the wait is registering, listing or making its first
    check. With a 60 s poll interval, only a delivered wake-up ends it quickly."""
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=60.0) as eng:
        for i in range(30):
            kube.pod(f"r{i}")
            out: dict[str, Any] = {}

            def wait(i: int = i, out: dict[str, Any] = out) -> None:
                out["r"] = eng.wait_result(f"pod/r{i}", for_="condition=Ready", timeout=30)

            t = threading.Thread(target=wait)
            t.start()
            time.sleep((i % 6) * 0.002)  # vary where in the wait's start the event lands
            kube.ready(f"r{i}")
            start = time.monotonic()
            t.join(30)
            assert "r" in out, f"r{i}: wait did not end"
            assert time.monotonic() - start < 5.0, f"r{i}: ended late (a lost wake-up)"
            assert out["r"].objects["status"]["conditions"][0]["status"] == "True"


def test_tiny_cache_stays_correct(fake_apiserver, kube):
    """With evictions, "not in the cache" no longer proves absence: waits fall
    back to GETs where needed and still end with the right objects."""
    n = 8
    for i in range(n):
        kube.pod(f"e{i}")
    results: dict[int, Any] = {}
    with Engine(api_client=fake_apiserver.api_client(), cache_size=2, poll_interval=0.5) as eng:

        def wait(i: int) -> None:
            results[i] = eng.wait_result(f"pod/e{i}", for_="condition=Ready", timeout=30)

        threads = [threading.Thread(target=wait, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        for i in range(n):
            kube.ready(f"e{i}")
        for t in threads:
            t.join(30)
        assert eng.stats()["cached_objects"] <= 2
    assert sorted(results) == list(range(n))
    for i, r in results.items():
        assert r.objects["metadata"]["name"] == f"e{i}"
        assert r.objects["status"]["conditions"][0]["status"] == "True"


def test_sequential_waits_reuse_a_lingering_watch(fake_apiserver, kube):
    """The CLI visits objects one by one (as kubectl): a watch outlives its waiter
    for ``watch_linger`` seconds, so the next waits reuse it and widen it."""
    n = 20
    for i in range(n):
        kube.pod(f"s{i}")
        kube.ready(f"s{i}")
    fake_apiserver.reset_requests()
    with Engine(api_client=fake_apiserver.api_client()) as eng:
        for i in range(n):
            assert eng.wait(f"pod/s{i}", for_="condition=Ready", timeout=10)
        assert eng.stats()["watchers"] >= 1  # still lingering
    lists, watches = _lists_and_watches(fake_apiserver)
    assert len(lists) <= 3 and len(watches) <= 3, (len(lists), len(watches))
    # an already-met condition is confirmed with one fresh GET (as kubectl reads)
    assert fake_apiserver.request_counts().get("get", 0) <= n


def test_idle_watches_stop_after_the_linger(fake_apiserver, kube):
    from hybridwait.testing import FakeClock

    kube.pod("a")
    kube.ready("a")
    clock = FakeClock()
    with Engine(api_client=fake_apiserver.api_client(), clock=clock, watch_linger=5.0) as eng:
        eng.wait("pod/a", for_="condition=Ready", timeout=10)
        assert eng.stats()["watchers"] == 1
        clock.step(4.0)
        assert [st.waiters for st in eng.watch_status()] == [0]  # lingering, unused
        assert eng.stats()["watchers"] == 1
        clock.step(1.5)
        assert eng.watch_status() == []  # past the linger: stopped
        assert eng.stats()["watchers"] == 0
        assert _eventually(
            lambda: not [t for t in threading.enumerate() if t.name.startswith("hybridwait-watch")]
        )


def test_a_lagging_cache_never_ends_or_fails_a_wait_falsely(fake_apiserver, kube):
    """Read-your-writes: while the shared watch lags (here: stalled), a wait that
    starts after the caller's own write must not be ended (or failed with
    NotFound) by the cache's older state."""
    from hybridwait import WaitTimeout

    kube.pod("a")
    kube.ready("a")
    with Engine(api_client=fake_apiserver.api_client(), stall_timeout=60.0) as eng:
        eng.wait("pod/a", for_="condition=Ready", timeout=10)
        assert eng.wait("pod/b", for_="delete", timeout=10) is None  # a second object: widen
        assert _eventually(lambda: eng.stats()["lists"] >= 2)  # the namespace-wide watch
        time.sleep(0.2)
        fake_apiserver.faults.stall_watches(20)
        time.sleep(0.2)
        kube.ready("a", status="False")  # its event is held back by the stall
        kube.pod("c")
        try:
            for name in ("a", "c"):
                start = time.monotonic()
                try:
                    eng.wait(f"pod/{name}", for_="condition=Ready", timeout=1.0)
                    raise AssertionError(f"pod/{name}: ended on a stale cache")
                except WaitTimeout:
                    assert time.monotonic() - start >= 0.9
        finally:
            fake_apiserver.faults.clear()
