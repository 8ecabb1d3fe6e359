"""WaitFuture (the future of a wait) and hand_over (an engine thread letting the
callers it woke run).

A blocking ``eng.wait`` is a caller blocked in its wait's ``future.result()``;
the engine thread that completes the future must let that caller run before
it goes on with the next chunk (``hand_over``), and a done-callback runs on the
engine thread, outside every lock.
"""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from hybridwait.kube.cache import pack
from hybridwait.kube.future import (
    Packed,
    WaitFuture,
    hand_over,
    mark_engine_thread,
    on_engine_thread,
)


def _blocked_caller(fut: WaitFuture, got: list[object]) -> threading.Thread:
    t = threading.Thread(target=lambda: got.append(fut.result(timeout=30)))
    t.start()
    return t


def _until_blocked(fut: WaitFuture, t: threading.Thread) -> None:
    # the caller is blocked once it registered on the future's condition
    done = threading.Event()
    for _ in range(3000):
        with fut._condition:
            if fut._condition._waiters:  # type: ignore[attr-defined]
                done.set()
        if done.is_set():
            return
        done.wait(0.01)
    raise AssertionError(f"{t.name} never blocked on the future")


def test_hand_over_pauses_only_after_waking_a_blocked_caller() -> None:
    # nobody woken yet on this thread: no pause
    hand_over()
    assert hand_over() is False
    fut = WaitFuture(on_cancel=lambda: None)
    got: list[object] = []
    t = _blocked_caller(fut, got)
    _until_blocked(fut, t)
    fut.set_result({"kind": "Pod"})
    assert hand_over() is True      # this thread woke a caller: it gives the GIL away once
    assert hand_over() is False     # ... and only once
    t.join(10)
    assert not t.is_alive()
    assert got == [{"kind": "Pod"}]


def test_completing_a_future_nobody_waits_on_needs_no_hand_over() -> None:
    hand_over()
    fut = WaitFuture(on_cancel=lambda: None)
    fut.set_result(1)
    assert hand_over() is False
    assert fut.result() == 1


def test_hand_over_is_per_thread() -> None:
    hand_over()
    fut = WaitFuture(on_cancel=lambda: None)
    got: list[object] = []
    t = _blocked_caller(fut, got)
    _until_blocked(fut, t)
    other: list[bool] = []

    def complete() -> None:
        fut.set_result("x")
        other.append(hand_over())

    w = threading.Thread(target=complete)
    w.start()
    w.join(10)
    t.join(10)
    assert other == [True]          # the thread that woke the caller hands over
    assert hand_over() is False     # not this one
    assert got == ["x"]


def test_cancel_ends_the_wait_once_and_is_harmless_after() -> None:
    calls: list[int] = []
    fut = WaitFuture(on_cancel=lambda: calls.append(1))
    assert fut.cancel() is True
    assert fut.cancel() is True      # already cancelled: stdlib says True, no second on_cancel
    assert calls == [1]
    done = WaitFuture(on_cancel=lambda: calls.append(2))
    done.set_result(None)
    assert done.cancel() is False
    assert calls == [1]
    with pytest.raises(concurrent.futures.CancelledError):
        fut.result()


def test_a_wait_future_works_with_the_stdlib_helpers() -> None:
    futs = [WaitFuture(on_cancel=lambda: None) for _ in range(50)]
    waiters = [threading.Thread(target=f.result, kwargs={"timeout": 30}) for f in futs[:10]]
    for w in waiters:
        w.start()
    for i, f in enumerate(futs):
        f.set_result(i)
    done, pending = concurrent.futures.wait(futs, timeout=10)
    assert len(done) == 50 and not pending
    assert sorted(f.result() for f in concurrent.futures.as_completed(futs)) == list(range(50))
    for w in waiters:
        w.join(10)
        assert not w.is_alive()


def test_engine_thread_mark_is_per_thread() -> None:
    assert not on_engine_thread()
    seen: list[bool] = []

    def run() -> None:
        mark_engine_thread()
        seen.append(on_engine_thread())

    t = threading.Thread(target=run)
    t.start()
    t.join(10)
    assert seen == [True]
    assert not on_engine_thread()


@pytest.mark.parametrize("return_when", [concurrent.futures.FIRST_EXCEPTION,
                                         concurrent.futures.FIRST_COMPLETED,
                                         concurrent.futures.ALL_COMPLETED])
def test_stdlib_wait_with_futures_already_done_returns(return_when: str) -> None:
    # concurrent.futures.wait(FIRST_EXCEPTION) holds every future's condition and
    # then asks f.cancelled(), which takes it again: the condition must be
    # reentrant as the stdlib's is (a plain lock hung `hybridwait wait -f` for ever
    # when a wait ended just before the CLI's next wait() call)
    ok = WaitFuture(on_cancel=lambda: None)
    ok.set_result(1)
    failed = WaitFuture(on_cancel=lambda: None)
    failed.set_exception(ValueError("boom"))
    cancelled = WaitFuture(on_cancel=lambda: None)
    cancelled.cancel()
    pending = WaitFuture(on_cancel=lambda: None)
    got: list[object] = []

    def call() -> None:
        got.append(concurrent.futures.wait([ok, failed, cancelled, pending], timeout=0.1,
                                           return_when=return_when))

    t = threading.Thread(target=call, daemon=True)
    t.start()
    t.join(20)
    assert not t.is_alive(), "concurrent.futures.wait hung on a WaitFuture's condition"
    done, not_done = got[0]  # type: ignore[misc]
    assert done == {ok, failed, cancelled}
    assert not_done == {pending}
    pending.cancel()


def test_result_with_timeout_releases_and_takes_back_the_condition() -> None:
    fut = WaitFuture(on_cancel=lambda: None)
    with pytest.raises(concurrent.futures.TimeoutError):
        fut.result(timeout=0.01)
    # the condition is free again: another thread can complete the future
    t = threading.Thread(target=lambda: fut.set_result("later"))
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert fut.result(timeout=10) == "later"


def test_a_cancel_from_another_thread_ends_a_stdlib_wait_and_as_completed() -> None:
    futs = [WaitFuture(on_cancel=lambda: None) for _ in range(3)]
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(concurrent.futures.wait(futs, timeout=30)))
    t.start()
    order: list[WaitFuture] = []
    t2 = threading.Thread(target=lambda: order.extend(
        concurrent.futures.as_completed(futs, timeout=30)))  # type: ignore[arg-type]
    t2.start()
    futs[0].set_result(0)
    futs[1].cancel()
    futs[2].set_exception(RuntimeError("x"))
    t.join(20)
    t2.join(20)
    assert not t.is_alive() and not t2.is_alive()
    done, not_done = got[0]  # type: ignore[misc]
    assert done == set(futs) and not not_done
    assert set(order) == set(futs)
    assert futs[1].cancelled()


# -- a met wait's objects: packed, decoded by result() --------------------------------------
def test_result_decodes_packed_objects_once_and_every_caller_gets_them() -> None:
    pod = {"metadata": {"name": "a"}, "status": {"phase": "Running"}}
    fut = WaitFuture(on_cancel=lambda: None)
    fut.set_result(Packed([pack(pod)], single=True))
    got: list[object] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        got.append(fut.result(timeout=5))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert got[0] == pod and all(g is got[0] for g in got)  # one object for everyone
    assert fut.result() is got[0]


def test_packed_results_for_lists_and_absent_objects() -> None:
    fut = WaitFuture(on_cancel=lambda: None)
    fut.set_result(Packed([pack({"a": 1}), None, {"kept": "as given"}], single=False))
    assert fut.result() == [{"a": 1}, None, {"kept": "as given"}]
    plain = WaitFuture(on_cancel=lambda: None)
    plain.set_result([])  # anything else is returned as set
    assert plain.result() == []


def test_asyncio_gets_the_decoded_objects() -> None:
    import asyncio

    fut = WaitFuture(on_cancel=lambda: None)

    setter = threading.Thread(target=fut.set_result, args=(Packed([pack({"a": 1})], True),))

    async def main() -> object:
        waiting = asyncio.wrap_future(fut)
        setter.start()  # completed from another thread, as an engine thread does
        return await waiting

    assert asyncio.run(main()) == {"a": 1}
    setter.join(5)


def test_repr_says_what_result_returns() -> None:
    fut = WaitFuture(on_cancel=lambda: None)
    fut.set_result(Packed([pack({"a": 1})], single=True))
    assert "returned dict" in repr(fut)
    many = WaitFuture(on_cancel=lambda: None)
    many.set_result(Packed([pack({"a": 1})], single=False))
    assert "returned list" in repr(many)
