"""The condition cache (ordering, tombstones, bounds) and the waiter registry."""

from __future__ import annotations

from hybridwait.kube.cache import ObjectCache, WaiterRegistry
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
