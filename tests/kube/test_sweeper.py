"""The poll path of watched waits: one sweeper thread, not a timer per wait."""

from __future__ import annotations

import threading
import time
from typing import Any

from hybridwait import Engine
from hybridwait.kube.sweeper import Sweeper
from hybridwait.testing import FakeClock


def _until(pred: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


class _Item:
    def __init__(self) -> None:
        self.calls = 0

    def sweep(self) -> None:
        self.calls += 1


def test_sweeper_calls_each_item_every_interval_on_the_clock() -> None:
    clock = FakeClock()
    sw = Sweeper(clock)
    a, b = _Item(), _Item()
    ha = sw.add(a, 1.0)
    sw.add(b, 3.0)
    try:
        _until(lambda: clock.has_waiters())
        assert (a.calls, b.calls) == (0, 0)  # first sweep one interval after add
        for expected_a in (1, 2, 3):
            clock.step(1.0)
            _until(lambda n=expected_a: a.calls == n)  # type: ignore[misc]
        _until(lambda: b.calls == 1)
        sw.remove(ha)
        clock.step(1.0)
        clock.step(1.0)
        time.sleep(0.1)
        assert a.calls == 3  # removed: never again
    finally:
        assert sw.close()
    assert not sw.alive


def test_sweeper_thread_ends_when_no_item_is_left() -> None:
    sw = Sweeper(FakeClock())
    h = sw.add(_Item(), 1.0)
    assert sw.alive
    sw.remove(h)
    sw.add(_Item(), 1.0)  # may race the thread's exit: still swept
    sw.remove(sw.add(_Item(), 1.0))
    sw.close()
    _until(lambda: not sw.alive)


def test_healthy_watch_wakes_no_waiter_on_the_poll_interval(fake_apiserver: Any, kube: Any) -> None:
    """40 waits on unmet pods with poll_interval 0.1 s: over a second the
    sweeper re-checks them ~400 times from the cache, but no wait's thread
    runs a check (each ran only its first one)."""
    n = 40
    for i in range(n):
        kube.pod(f"p{i}")
    eng = Engine(api_client=fake_apiserver.api_client(), poll_interval=0.1, stall_timeout=30)
    out: dict[int, Any] = {}

    def wait(i: int) -> None:
        try:
            out[i] = eng.wait_result(f"pod/p{i}", for_="condition=Ready", timeout=30)
        except BaseException as e:
            out[i] = e

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(n)]
    try:
        for t in threads:
            t.start()
        _until(lambda: eng.stats()["sweeps"] >= n and _healthy(eng))  # registered, synced
        s0 = eng.stats()["sweeps"]
        _until(lambda: eng.stats()["sweeps"] >= s0 + n)  # a full round on the synced cache
        before = eng.stats()
        time.sleep(1.0)
        after = eng.stats()
        assert after["sweeps"] - before["sweeps"] >= n * 3
        assert after["polls"] == before["polls"]  # no thread woke up
        assert after["direct_gets"] == before["direct_gets"]  # the cache answered every sweep
        engine_threads = [
            t.name
            for t in threading.enumerate()
            if t.name.startswith(("hybridwait-watch", "hybridwait-sweeper"))
        ]
        assert len(engine_threads) <= 3  # one sweeper, the watches (narrow one stopping)
        for i in range(n):
            kube.ready(f"p{i}")
        for t in threads:
            t.join(10)
        assert all(out[i].path == "watch" for i in range(n))
    finally:
        eng.close()
        for t in threads:
            t.join(5)


def test_sweep_finds_a_state_no_event_announced(fake_apiserver: Any, kube: Any) -> None:
    """The poll path re-checks the cache on its own: a state that reaches the
    cache without a wake-up (as if an event's kick were lost) ends the wait
    within about one poll interval, by the poll path, with no GET."""
    kube.pod("x")
    with Engine(api_client=fake_apiserver.api_client(), poll_interval=0.3) as eng:
        out: dict[str, Any] = {}
        t = threading.Thread(
            target=lambda: out.setdefault("r", eng.wait_result("pod/x", for_="condition=Ready"))
        )
        t.start()
        _until(lambda: eng.stats()["sweeps"] >= 1)
        cache = eng._cache
        key = ("pods", "default", "x")
        obj = dict(cache.get(key) or {})
        meta = dict(obj["metadata"])
        meta["resourceVersion"] = str(int(meta["resourceVersion"]) + 1000)
        obj["metadata"] = meta
        obj["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
        gets = eng.stats()["direct_gets"]
        assert cache.apply(key, obj)  # no registry.wake(): only the sweeper can see it
        t0 = time.monotonic()
        t.join(5)
        assert out["r"].path == "poll"
        assert time.monotonic() - t0 < 2.0
        assert eng.stats()["direct_gets"] == gets


def test_watch_down_makes_waits_poll_the_api_every_interval(
    fake_apiserver: Any, kube: Any
) -> None:
    """While no healthy watch covers a wait, the sweeper wakes it every poll
    interval and it GETs; once the watch is back, GETs stop."""
    kube.pod("x")
    with Engine(
        api_client=fake_apiserver.api_client(), poll_interval=0.2, stall_timeout=30
    ) as eng:
        out: dict[str, Any] = {}
        t = threading.Thread(
            target=lambda: out.setdefault("r", eng.wait("pod/x", for_="condition=Ready"))
        )
        t.start()
        _until(lambda: eng.stats()["sweeps"] >= 1)
        fake_apiserver.faults.forbid_watch(True)
        fake_apiserver.faults.drop_watches()
        g0 = eng.stats()["direct_gets"]
        time.sleep(0.7)
        g1 = eng.stats()["direct_gets"]
        assert g1 - g0 >= 2  # ~3 polls of the API in 0.7 s
        fake_apiserver.faults.forbid_watch(False)
        _until(lambda: eng.stats()["reconnects"] >= 1 and _watching(eng), timeout=20)
        # a reopened watch is trusted from its first event or bookmark (D13)
        kube.v1.patch_namespaced_pod("x", "default", {"metadata": {"labels": {"n": "1"}}})
        _until(lambda: _healthy(eng), timeout=20)
        g2 = eng.stats()["direct_gets"]
        time.sleep(0.8)
        assert eng.stats()["direct_gets"] - g2 <= 1  # back on the cache
        kube.ready("x")
        t.join(10)
        assert out["r"]["metadata"]["name"] == "x"


def _healthy(eng: Engine) -> bool:
    return any(s.healthy for s in eng.watch_status())


def _watching(eng: Engine) -> bool:
    return any(s.state.value == "watching" for s in eng.watch_status())


def test_a_tiny_interval_does_not_spin() -> None:
    """poll_interval=1e-9: each item is swept at most once per batch window, and
    remove() returns at once (it must not starve behind the sweeper's lock)."""
    sw = Sweeper()
    item = _Item()
    h = sw.add(item, 1e-9)
    try:
        time.sleep(0.3)
        t0 = time.monotonic()
        sw.remove(h)
        assert time.monotonic() - t0 < 0.5
        assert 1 <= item.calls <= 0.3 / 0.02 + 5
    finally:
        assert sw.close()


def test_once_calls_back_once_after_its_delay() -> None:
    clock = FakeClock()
    sw = Sweeper(clock)
    calls: list[float] = []
    sw.once(lambda: calls.append(clock.now()), 0.5)
    try:
        _until(clock.has_waiters)
        clock.step(0.4)
        time.sleep(0.05)
        assert calls == []
        clock.step(0.2)
        _until(lambda: len(calls) == 1)
        clock.step(5)
        time.sleep(0.05)
        assert len(calls) == 1
        _until(lambda: not sw.alive)  # nothing left: the thread ends
    finally:
        sw.close()


class _Expiring(_Item):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.expired: list[float] = []

    def expire(self) -> None:
        self.expired.append(self.clock.now())


def test_one_entry_sweeps_until_its_deadline_then_expires_once() -> None:
    """A wait's poll interval and timeout share one entry: swept every interval
    before the deadline, expire() once at it (even between two sweeps), then
    nothing more, and the entry is gone (the thread ends)."""
    clock = FakeClock()
    sw = Sweeper(clock)
    item = _Expiring(clock)
    start = clock.now()
    sw.add(item, 1.0, deadline=start + 2.5)
    try:
        for calls in (1, 2):
            _until(clock.has_waiters)
            clock.step(1.0)
            _until(lambda n=calls: item.calls == n)  # type: ignore[misc]
        assert item.expired == []
        _until(clock.has_waiters)
        clock.step(0.5)  # 2.5 s: the deadline, not a sweep
        _until(lambda: len(item.expired) == 1)
        assert item.expired[0] - start == 2.5
        assert item.calls == 2
        assert len(sw) == 0
        clock.step(5.0)
        _until(lambda: not sw.alive)  # the thread has run past the step and ended
        assert (item.calls, len(item.expired)) == (2, 1)
    finally:
        assert sw.close()
    assert not sw.alive


def test_a_removed_entry_never_expires() -> None:
    clock = FakeClock()
    sw = Sweeper(clock)
    item = _Expiring(clock)
    h = sw.add(item, 10.0, deadline=clock.now() + 1.0)
    try:
        _until(clock.has_waiters)
        sw.remove(h)
        clock.step(20.0)  # past the deadline and the interval
        _until(lambda: not sw.alive)  # the thread has run past the step and ended
        assert (item.calls, item.expired) == (0, [])
    finally:
        assert sw.close()
    assert not sw.alive
