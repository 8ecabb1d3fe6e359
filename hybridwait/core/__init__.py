"""The core: a thread-based, Go-faithful port of ``k8s.io/apimachinery/pkg/util/wait``.

Go names become snake_case (``PollUntilContextCancel`` ->
:func:`poll_until_context_cancel`); docs/api.md has the full table. Modules
follow Go's files: ``backoff``, ``delay``, ``timer``, ``loop``, ``poll``,
``wait``, ``errors``, plus ``context`` (Go ``context``), ``clock``
(``k8s.io/utils/clock``), ``crash`` (``runtime.HandleCrash``), ``duration``,
``waitable`` (the single blocking primitive) and ``eventhook`` (how a
``threading.Event`` stop is seen however its ``set()`` is reached).

Example::

    import hybridwait as hw

    ctx, cancel = hw.with_timeout(hw.background(), 5)
    hw.poll_until_context_cancel(ctx, 0.1, True, lambda ctx: check())
"""

from __future__ import annotations

from hybridwait.core import crash
from hybridwait.core.backoff import (
    Backoff,
    BackoffManager,
    exponential_backoff,
    exponential_backoff_with_context,
    jitter,
    new_exponential_backoff_manager,
    new_jittered_backoff_manager,
)
from hybridwait.core.clock import Chan, Clock, ClockTicker, ClockTimer, RealClock, real_timer
from hybridwait.core.context import (
    CancelCauseFunc,
    CancelFunc,
    Context,
    Done,
    background,
    context_for_channel,
    todo,
    with_cancel,
    with_cancel_cause,
    with_deadline,
    with_timeout,
    with_value,
)
from hybridwait.core.delay import DelayFunc
from hybridwait.core.duration import Duration
from hybridwait.core.errors import (
    Canceled,
    DeadlineExceeded,
    ErrWaitTimeout,
    WaitInterrupted,
    WaitTimeout,
    error_interrupted,
    interrupted,
)
from hybridwait.core.loop import loop_condition_until_context
from hybridwait.core.poll import (
    poll,
    poll_immediate,
    poll_immediate_infinite,
    poll_immediate_infinite_with_context,
    poll_immediate_until,
    poll_immediate_until_with_context,
    poll_immediate_with_context,
    poll_infinite,
    poll_infinite_with_context,
    poll_until,
    poll_until_context_cancel,
    poll_until_context_timeout,
    poll_until_with_context,
    poll_with_context,
)
from hybridwait.core.timer import FixedTimer, KickTimer, NoopTimer, Timer, VariableTimer
from hybridwait.core.wait import (
    ConditionFunc,
    ConditionWithContextFunc,
    Group,
    backoff_until,
    backoff_until_with_context,
    forever,
    forever_test_timeout,
    jitter_until,
    jitter_until_with_context,
    never_stop,
    non_sliding_until,
    non_sliding_until_with_context,
    until,
    until_with_context,
)
from hybridwait.core.waitable import wait_any

__all__ = [
    "Backoff",
    "BackoffManager",
    "CancelCauseFunc",
    "CancelFunc",
    "Canceled",
    "Chan",
    "Clock",
    "ClockTicker",
    "ClockTimer",
    "ConditionFunc",
    "ConditionWithContextFunc",
    "Context",
    "DeadlineExceeded",
    "DelayFunc",
    "Done",
    "Duration",
    "ErrWaitTimeout",
    "FixedTimer",
    "Group",
    "KickTimer",
    "NoopTimer",
    "RealClock",
    "Timer",
    "VariableTimer",
    "WaitInterrupted",
    "WaitTimeout",
    "background",
    "backoff_until",
    "backoff_until_with_context",
    "context_for_channel",
    "crash",
    "error_interrupted",
    "exponential_backoff",
    "exponential_backoff_with_context",
    "forever",
    "forever_test_timeout",
    "interrupted",
    "jitter",
    "jitter_until",
    "jitter_until_with_context",
    "loop_condition_until_context",
    "never_stop",
    "new_exponential_backoff_manager",
    "new_jittered_backoff_manager",
    "non_sliding_until",
    "non_sliding_until_with_context",
    "poll",
    "poll_immediate",
    "poll_immediate_infinite",
    "poll_immediate_infinite_with_context",
    "poll_immediate_until",
    "poll_immediate_until_with_context",
    "poll_immediate_with_context",
    "poll_infinite",
    "poll_infinite_with_context",
    "poll_until",
    "poll_until_context_cancel",
    "poll_until_context_timeout",
    "poll_until_with_context",
    "poll_with_context",
    "real_timer",
    "todo",
    "until",
    "until_with_context",
    "wait_any",
    "with_cancel",
    "with_cancel_cause",
    "with_deadline",
    "with_timeout",
    "with_value",
]
