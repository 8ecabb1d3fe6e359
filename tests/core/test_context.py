"""Contexts (Go context): cancel trees, causes, deadlines, values, Events, no threads."""

from __future__ import annotations

import gc
import threading
import time

import pytest

import hybridwait as hw
from hybridwait.core.context import _CancelContext


def test_background_and_todo_never_done() -> None:
    for ctx in (hw.background(), hw.todo()):
        assert ctx.err() is None
        assert ctx.deadline() is None
        assert ctx.cause() is None
        assert ctx.value("k") is None
        assert not ctx.done().is_set()
        assert ctx.wait(0.001) is False


def test_cancel_is_idempotent_and_cancels_descendants() -> None:
    root, cancel_root = hw.with_cancel(hw.background())
    child, cancel_child = hw.with_cancel(root)
    grandchild = hw.with_value(child, "k", 1)
    great, _ = hw.with_timeout(grandchild, 60)
    assert great.err() is None
    cancel_root()
    cancel_root()
    for ctx in (root, child, grandchild, great):
        assert ctx.done().is_set()
        assert isinstance(ctx.err(), hw.Canceled)
    # err() is stable once set
    assert root.err() is root.err()
    cancel_child()  # after the parent: harmless


def test_cancelling_child_leaves_parent_alive() -> None:
    root, cancel_root = hw.with_cancel(hw.background())
    child, cancel_child = hw.with_cancel(root)
    cancel_child()
    assert isinstance(child.err(), hw.Canceled)
    assert root.err() is None
    cancel_root()


def test_child_of_done_parent_is_done_at_once() -> None:
    root, cancel = hw.with_cancel(hw.background())
    cancel()
    child, _ = hw.with_cancel(root)
    assert isinstance(child.err(), hw.Canceled)
    assert not root.done()._listeners  # the dead child did not stay registered


def test_cancelled_children_deregister() -> None:
    root, cancel = hw.with_cancel(hw.background())
    for _ in range(1000):
        _c, cancel_child = hw.with_timeout(root, 60)
        cancel_child()
    assert len(root.done()._listeners) == 0
    cancel()


def test_expired_unobserved_children_are_swept() -> None:
    root, cancel = hw.with_cancel(hw.background())
    for _ in range(300):
        hw.with_timeout(root, 0.0001)  # never cancelled, never looked at
    time.sleep(0.01)
    for _ in range(300):
        hw.with_timeout(root, 0.0001)
    assert len(root.done()._listeners) < 300
    cancel()


def test_cancel_cause() -> None:
    ctx, cancel = hw.with_cancel_cause(hw.background())
    assert ctx.cause() is None
    boom = RuntimeError("shutting down")
    cancel(boom)
    cancel(RuntimeError("second cause ignored"))
    assert isinstance(ctx.err(), hw.Canceled)
    assert ctx.cause() is boom
    child, _ = hw.with_cancel(ctx)  # children inherit the cause
    assert child.cause() is boom
    ctx2, cancel2 = hw.with_cancel_cause(hw.background())
    cancel2()
    assert isinstance(ctx2.cause(), hw.Canceled)
    with pytest.raises(TypeError, match="cause"):
        cancel2("not an exception")


def test_timeout_expires_lazily_and_stays_expired() -> None:
    ctx, cancel = hw.with_timeout(hw.background(), 0.001)
    start = time.monotonic()
    assert ctx.wait(5)
    assert time.monotonic() - start < 0.5  # generous: a 1 ms deadline is seen promptly
    err = ctx.err()
    assert isinstance(err, hw.DeadlineExceeded)
    cancel()  # cancel after expiry does not change the error
    assert ctx.err() is err
    assert ctx.cause() is err


def test_one_ms_deadline_wakes_a_waiter_promptly() -> None:
    ctx, cancel = hw.with_timeout(hw.background(), 0.001)
    start = time.monotonic()
    with pytest.raises(hw.DeadlineExceeded):
        hw.poll_until_context_cancel(ctx, 3600, False, lambda ctx: False)
    assert time.monotonic() - start < 0.5
    cancel()


def test_deadline_already_past() -> None:
    ctx, _ = hw.with_timeout(hw.background(), -1)
    assert isinstance(ctx.err(), hw.DeadlineExceeded)
    ctx2, _ = hw.with_deadline(hw.background(), time.monotonic() - 5)
    assert isinstance(ctx2.err(), hw.DeadlineExceeded)


def test_parent_deadline_wins() -> None:
    now = time.monotonic()
    parent, cp = hw.with_deadline(hw.background(), now + 10)
    later, cl = hw.with_deadline(parent, now + 100)
    earlier, ce = hw.with_timeout(parent, 1)
    plain, cc = hw.with_cancel(parent)
    assert later.deadline() == parent.deadline() == now + 10
    assert earlier.deadline() is not None and earlier.deadline() < now + 10
    assert plain.deadline() == now + 10
    assert hw.with_value(parent, "k", "v").deadline() == now + 10
    for c in (cp, cl, ce, cc):
        c()


def test_child_of_expiring_parent_gets_deadline_exceeded() -> None:
    parent, _ = hw.with_timeout(hw.background(), 0.002)
    child, cancel = hw.with_cancel(parent)
    assert child.wait(5)
    assert isinstance(child.err(), hw.DeadlineExceeded)
    assert isinstance(parent.err(), hw.DeadlineExceeded)
    cancel()


def test_values() -> None:
    base = hw.with_value(hw.background(), "user", "ada")
    inner = hw.with_value(base, "role", "admin")
    cctx, cancel = hw.with_cancel(inner)
    assert cctx.value("user") == "ada"
    assert cctx.value("role") == "admin"
    assert cctx.value("missing") is None
    shadow = hw.with_value(cctx, "user", "bob")
    assert shadow.value("user") == "bob"
    cancel()
    assert isinstance(shadow.err(), hw.Canceled)


def test_context_for_channel() -> None:
    ev = threading.Event()
    ctx = hw.context_for_channel(ev)
    assert ctx.err() is None and ctx.deadline() is None and ctx.value("x") is None
    child, cancel_child = hw.with_cancel(ctx)
    ev.set()
    assert isinstance(ctx.err(), hw.Canceled)
    assert ctx.done().is_set()
    assert isinstance(child.err(), hw.Canceled)  # children of an Event context are cancelled
    cancel_child()
    with pytest.raises(TypeError, match="event"):
        hw.context_for_channel(object())  # type: ignore[arg-type]


def test_event_set_from_other_thread_wakes_waiter(run_bg) -> None:
    ev = threading.Event()
    ctx = hw.context_for_channel(ev)
    waiter = run_bg(lambda: ctx.wait(30))
    time.sleep(0.02)
    ev.set()
    assert waiter.outcome(5) is True


def test_event_accepted_as_parent() -> None:
    ev = threading.Event()
    child, cancel = hw.with_timeout(ev, 60)
    ev.set()
    assert isinstance(child.err(), hw.Canceled)
    cancel()


def test_cancel_from_other_thread_wakes_waiter(run_bg) -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    waiter = run_bg(lambda: ctx.done().wait())
    time.sleep(0.02)
    cancel()
    assert waiter.outcome(5) is True


def test_context_manager_cancels() -> None:
    with hw.with_timeout(hw.background(), 60)[0] as ctx:
        assert ctx.err() is None
    assert isinstance(ctx.err(), hw.Canceled)
    with hw.background() as bg:  # roots: nothing to cancel
        pass
    assert bg.err() is None


def test_two_thousand_timeouts_add_no_thread() -> None:
    before = threading.active_count()
    ctxs = [hw.with_timeout(hw.background(), 30) for _ in range(2000)]
    nested = [hw.with_timeout(ctxs[i][0], 30) for i in range(2000)]
    assert threading.active_count() == before
    for ctx, cancel in ctxs + nested:
        cancel()
        assert isinstance(ctx.err(), hw.Canceled)


def test_cancelled_context_is_collectable() -> None:
    root, cancel_root = hw.with_cancel(hw.background())
    child, cancel = hw.with_cancel(root)
    import weakref

    ref = weakref.ref(child)
    cancel()
    del child, cancel
    gc.collect()
    assert ref() is None
    cancel_root()


def test_wait_timeout_returns_false() -> None:
    ctx, cancel = hw.with_cancel(hw.background())
    assert ctx.wait(0.01) is False
    assert ctx.done().wait(0) is False
    cancel()
    assert ctx.wait(0) is True


def test_repr_is_informative() -> None:
    ctx, cancel = hw.with_timeout(hw.background(), 5)
    assert "with_timeout" in repr(ctx)
    cancel()
    assert "Canceled" in repr(ctx)
    assert isinstance(ctx, _CancelContext)
