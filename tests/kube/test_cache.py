"""The condition cache (ordering, tombstones, bounds) and the waiter registry."""

from __future__ import annotations

import gc
import importlib.util
import marshal
import tracemalloc

import pytest

import hybridwait.kube.cache as cache_mod
from hybridwait.kube.cache import ObjectCache, WaiterRegistry, unpack
from hybridwait.kube.transform import Untransformable
from hybridwait.testing import FakeClock

K = ("pods", "default", "a")


def obj(rv: int, uid: str = "u1") -> dict:
    meta = {"name": "a", "namespace": "default", "uid": uid, "resourceVersion": str(rv)}
    return {"metadata": meta}


def test_never_replaced_by_an_older_version():
    c = ObjectCache(maxsize=10)
    assert c.apply(K, obj(5))
    assert not c.apply(K, obj(4))
    assert not c.apply(K, obj(5))  # same version: nothing changed, no wake-up
    assert c.get(K)["metadata"]["resourceVersion"] == "5"
    assert c.apply(K, obj(6))


def test_tombstone_blocks_stale_adds_until_it_expires():
    clock = FakeClock()
    c = ObjectCache(maxsize=10, tombstone_ttl=30.0, timer=clock.now)
    c.apply(K, obj(5))
    assert c.apply_delete(K, 7)
    assert c.lookup(K) == (True, None)  # known deleted
    assert not c.apply(K, obj(6))  # a stale ADDED from a lagging watch
    assert c.apply(K, obj(8, uid="u2"))  # re-created later: accepted
    c.apply_delete(K, 9)
    clock.step(31.0)
    assert c.lookup(K) == (False, None)  # tombstone gone: unknown again


def test_delete_older_than_live_object_is_ignored():
    c = ObjectCache(maxsize=10)
    c.apply(K, obj(10))
    assert not c.apply_delete(K, 9)
    assert c.get(K) is not None


def test_size_bound_counts_evictions():
    c = ObjectCache(maxsize=3)
    for i in range(5):
        c.apply(("pods", "default", f"p{i}"), obj(i + 1))
    assert len(c) == 3
    assert c.evictions == 2
    assert c.lookup(("pods", "default", "p0")) == (False, None)
    assert sorted(k[2] for k in c.keys_in("pods", "default")) == ["p2", "p3", "p4"]


class Waiter:
    def __init__(self) -> None:
        self.kicks = 0

    def kick(self) -> None:
        self.kicks += 1


def test_registry_wakes_only_waiters_of_that_object():
    reg = WaiterRegistry()
    a, b, other_ns = Waiter(), Waiter(), Waiter()
    reg.add(("pods", "default", "a"), a)
    reg.add(("pods", "default", "b"), b)
    reg.add(("pods", "prod", "a"), other_ns)
    assert reg.wake(("pods", "default", "a")) == 1
    assert (a.kicks, b.kicks, other_ns.kicks) == (1, 0, 0)
    assert reg.wake_scope("pods", "default") == 2
    assert (a.kicks, b.kicks, other_ns.kicks) == (2, 1, 0)
    reg.remove(("pods", "default", "a"), a)
    reg.remove(("pods", "default", "a"), a)  # idempotent
    assert reg.wake(("pods", "default", "a")) == 0
    assert reg.names("pods", "default") == ["b"]


def test_registry_wake_many_kicks_each_waiter_once():
    reg = WaiterRegistry()
    a, b, c = Waiter(), Waiter(), Waiter()
    reg.add(("pods", "default", "a"), a)
    reg.add(("pods", "default", "b"), a)  # one wait on two objects
    reg.add(("pods", "default", "b"), b)
    reg.add(("pods", "prod", "c"), c)
    keys = [("pods", "default", "a"), ("pods", "default", "b"), ("pods", "default", "zz")]
    assert reg.wake_many(keys) == 2
    assert (a.kicks, b.kicks, c.kicks) == (1, 1, 0)


class _Kicks:
    def __init__(self) -> None:
        self.kicks = 0

    def kick(self) -> None:
        self.kicks += 1


def test_registry_wakes_every_waiter_of_a_key_as_they_come_and_go() -> None:
    from hybridwait.kube.cache import ObjectKey, WaiterRegistry

    reg = WaiterRegistry()
    key = ObjectKey("pods", "ns", "a")
    other = ObjectKey("pods", "ns", "b")
    w1, w2, w3 = _Kicks(), _Kicks(), _Kicks()
    reg.add(key, w1)
    reg.add(key, w1)                      # twice: still one registration
    assert reg.wake(key) == 1
    reg.add(key, w2)
    reg.add(other, w3)
    assert reg.wake_many([key, other, key]) == 3   # each waiter once
    assert (w1.kicks, w2.kicks, w3.kicks) == (2, 1, 1)
    reg.remove(key, w1)
    assert reg.wake(key) == 1 and w2.kicks == 2 and w1.kicks == 2
    reg.add(key, w1)
    reg.add(key, w3)
    assert reg.wake_scope("pods", "ns") == 4       # w2, w1, w3 on a; w3 on b
    for w in (w1, w2, w3):
        reg.remove(key, w)
        reg.remove(key, w)                # idempotent
    assert reg.wake(key) == 0
    assert reg.names("pods", "ns") == ["b"]
    reg.remove(other, w3)
    assert list(reg.scopes()) == []


# -- the packed store ----------------------------------------------------------


def _pod(rv: int, name: str = "a") -> dict:
    return {
        "metadata": {"name": name, "namespace": "default", "resourceVersion": str(rv),
                     "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "ratio": 0.5},
    }


@pytest.fixture(params=["orjson", "marshal"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with each packer: orjson (when installed) and the stdlib's."""
    if request.param == "marshal":
        monkeypatch.setattr(cache_mod, "_pack", marshal.dumps)
        monkeypatch.setattr(cache_mod, "_unpack", marshal.loads)
    elif importlib.util.find_spec("orjson") is None:
        pytest.skip("orjson not installed")
    return str(request.param)


def test_every_read_is_an_equal_new_object_the_reader_may_change(codec: str) -> None:
    c = ObjectCache(maxsize=10)
    sent = _pod(5)
    c.apply(K, sent)
    sent["status"]["conditions"][0]["status"] = "False"  # the applier's later change
    first = c.get(K)
    assert first is not None and first == _pod(5)  # the state as applied, values and types
    first["status"]["conditions"].clear()  # a reader changes its copy
    assert c.get(K) == _pod(5) and c.lookup(K) == (True, _pod(5))
    assert c.get(K) is not c.get(K)


def test_packed_objects_add_no_containers_for_the_garbage_collector(codec: str) -> None:
    # a decoded pod is ~10 dicts and lists each full collection traverses; the
    # cache keeps one bytes value a pod, which the collector does not track
    c = ObjectCache(maxsize=5000)
    pods = [_pod(i, f"p{i}") for i in range(2000)]
    gc.collect()
    base = len(gc.get_objects())
    for i, p in enumerate(pods):
        c.apply(("pods", "default", f"p{i}"), p)
    del pods, p
    gc.collect()
    added = len(gc.get_objects()) - base
    assert added < 2000 * 3  # keys and entries only (was ~11 a pod before packing)
    assert c.get(("pods", "default", "p7")) == _pod(7, "p7")


class _Opaque:
    """A value no packer knows (a transform may put anything in an object)."""


def test_what_cannot_be_packed_is_kept_as_given(codec: str) -> None:
    c = ObjectCache(maxsize=10)
    sub = Untransformable(metadata={"name": "a", "resourceVersion": "3"})
    c.apply(K, sub)
    assert c.get(K) is sub  # a dict subclass keeps its type (and its error)
    odd = {"metadata": {"name": "a", "resourceVersion": "4"}, "handle": _Opaque()}
    c.apply(K, odd)
    assert c.get(K) is odd
    assert c.peek(K) == (True, odd)
    c.apply(K, _pod(5))
    known, stored = c.peek(K)
    assert known and isinstance(stored, bytes) and unpack(stored) == _pod(5)


def test_a_packed_object_costs_about_its_json_size(codec: str) -> None:
    """The stored bytes are exactly the packed object (a packer's spare buffer
    capacity is not kept): 500 small pods of ~300 B cost well under 1 KiB each."""
    c = ObjectCache(maxsize=1000)
    pods = [_pod(i, f"p{i}") for i in range(500)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i, p in enumerate(pods):
            c.apply(("pods", "default", f"p{i}"), p)
        per_pod = (tracemalloc.get_traced_memory()[0] - before) / 500
    finally:
        tracemalloc.stop()
    assert per_pod < 700, per_pod  # packed ~200 B + key, entry and LRU links
