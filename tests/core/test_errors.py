"""Errors (Go error.go): messages, hierarchy, interrupted(), error_interrupted()."""

from __future__ import annotations

import hybridwait as hw


def test_messages_match_go() -> None:
    assert str(hw.WaitTimeout()) == "timed out waiting for the condition"
    assert str(hw.Canceled()) == "context canceled"
    assert str(hw.DeadlineExceeded()) == "context deadline exceeded"
    assert str(hw.ErrWaitTimeout) == "timed out waiting for the condition"


def test_hierarchy() -> None:
    assert isinstance(hw.ErrWaitTimeout, hw.WaitTimeout)
    for cls in (hw.WaitTimeout, hw.Canceled, hw.DeadlineExceeded):
        assert issubclass(cls, hw.WaitInterrupted)
    assert issubclass(hw.WaitTimeout, TimeoutError)
    assert issubclass(hw.DeadlineExceeded, TimeoutError)
    assert not issubclass(hw.Canceled, TimeoutError)


def test_interrupted() -> None:
    assert hw.interrupted(hw.WaitTimeout())
    assert hw.interrupted(hw.Canceled())
    assert hw.interrupted(hw.DeadlineExceeded())
    assert not hw.interrupted(None)
    assert not hw.interrupted(ValueError("x"))
    wrapped = RuntimeError("outer")
    wrapped.__cause__ = hw.DeadlineExceeded()
    assert hw.interrupted(wrapped)
    # a cycle in the cause chain does not hang
    a, b = RuntimeError("a"), RuntimeError("b")
    a.__cause__, b.__cause__ = b, a
    assert not hw.interrupted(a)


def test_error_interrupted() -> None:
    cause = RuntimeError("node went away")
    e = hw.error_interrupted(cause)
    assert isinstance(e, hw.WaitInterrupted)
    assert str(e) == "node went away"
    assert e.__cause__ is cause
    assert hw.interrupted(e)
    already = hw.Canceled()
    assert hw.error_interrupted(already) is already
    assert str(hw.error_interrupted(None)) == "timed out waiting for the condition"


def test_crash_module_alias() -> None:
    import hybridwait.crash as c

    assert c is hw.crash is hw.core.crash
    assert c.really_crash is True
    assert len(c.panic_handlers) >= 1
