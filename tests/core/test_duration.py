"""Bad input is rejected before any waiting, naming the argument."""

from __future__ import annotations

import math
import threading
from datetime import timedelta
from typing import Any

import pytest

import hybridwait as hw
from hybridwait.core.duration import to_seconds


def test_to_seconds_accepts_numbers_and_timedelta() -> None:
    assert to_seconds(2, "x") == 2.0
    assert to_seconds(0.5, "x") == 0.5
    assert to_seconds(timedelta(milliseconds=1500), "x") == 1.5
    assert to_seconds(-1, "x") == -1.0
    assert to_seconds(math.inf, "x", allow_inf=True) == math.inf


@pytest.mark.parametrize(
    ("value", "exc"),
    [(math.nan, ValueError), (math.inf, ValueError), (-math.inf, ValueError),
     ("1s", TypeError), (None, TypeError), (True, TypeError), (10**400, ValueError)],
)
def test_to_seconds_rejects(value: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc, match="interval"):
        to_seconds(value, "interval")


def never(*_: Any) -> bool:
    raise AssertionError("condition must not run on bad input")


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda: hw.poll_until_context_cancel(hw.background(), math.nan, True, never),
         ValueError, "interval"),
        (lambda: hw.poll_until_context_cancel(hw.background(), "1s", True, never),
         TypeError, "interval"),
        (lambda: hw.poll_until_context_timeout(hw.background(), 1, math.inf, True, never),
         ValueError, "timeout"),
        (lambda: hw.poll_until_context_cancel(hw.background(), 1, True, 42),
         TypeError, "condition"),
        (lambda: hw.poll_until_context_cancel("ctx", 1, True, never), TypeError, "ctx"),
        (lambda: hw.poll(1, math.nan, never), ValueError, "timeout"),
        (lambda: hw.poll_immediate(math.inf, 1, never), ValueError, "interval"),
        (lambda: hw.poll_until(1, never, object()), TypeError, "stop"),
        (lambda: hw.with_timeout(hw.background(), math.nan), ValueError, "seconds"),
        (lambda: hw.with_deadline(hw.background(), math.inf), ValueError, "when"),
        (lambda: hw.with_cancel(None), TypeError, "parent"),
        (lambda: hw.Backoff(duration=math.nan), ValueError, "duration"),
        (lambda: hw.Backoff(factor=math.inf), ValueError, "factor"),
        (lambda: hw.Backoff(steps=1.5), TypeError, "steps"),
        (lambda: hw.Backoff(cap="10"), TypeError, "cap"),
        (lambda: hw.exponential_backoff(hw.Backoff(steps=-1), never), ValueError, "steps"),
        (lambda: hw.exponential_backoff_with_context(hw.background(), hw.Backoff(steps=-2), never),
         ValueError, "steps"),
        (lambda: hw.exponential_backoff({"steps": 3}, never), TypeError, "backoff"),
        (lambda: hw.jitter(math.nan, 1), ValueError, "duration"),
        (lambda: hw.until(never, math.nan, threading.Event()), ValueError, "duration"),
        (lambda: hw.until(None, 1, threading.Event()), TypeError, "f"),
        (lambda: hw.loop_condition_until_context(hw.background(), object(), True, False, never),
         TypeError, "timer"),
        (lambda: hw.DelayFunc(3), TypeError, "fn"),
        (lambda: hw.RealClock().new_timer(math.nan), ValueError, "d"),
        (lambda: hw.RealClock().new_ticker(0), ValueError, "positive"),
    ],
)
def test_bad_input_raises_before_waiting(call: Any, exc: type[Exception], name: str) -> None:
    with pytest.raises(exc, match=name):
        call()


def test_timedelta_everywhere() -> None:
    b = hw.Backoff(duration=timedelta(seconds=1), cap=timedelta(seconds=3), factor=2, steps=5)
    assert (b.duration, b.cap) == (1.0, 3.0)
    ctx, cancel = hw.with_timeout(hw.background(), timedelta(hours=1))
    assert ctx.deadline() is not None
    cancel()
