"""Errors of the wait package (Go ``error.go``).

Every way a wait can end without the condition succeeding is a
:class:`WaitInterrupted`: a timeout (:class:`WaitTimeout`, Go's
``ErrWaitTimeout``), a cancelled context (:class:`Canceled`) or a context past
its deadline (:class:`DeadlineExceeded`). Wait functions raise a **fresh**
instance each time; test with ``isinstance`` or :func:`interrupted`.

Example::

    try:
        hw.poll_until_context_timeout(hw.background(), 0.1, 1, True, check)
    except hw.WaitInterrupted as exc:
        print("gave up:", exc)       # "context deadline exceeded"
"""

from __future__ import annotations

__all__ = [
    "Canceled",
    "DeadlineExceeded",
    "ErrWaitTimeout",
    "WaitInterrupted",
    "WaitTimeout",
    "error_interrupted",
    "interrupted",
]

_TIMED_OUT = "timed out waiting for the condition"


class WaitInterrupted(Exception):
    """Base of every interruption of a wait (Go ``errInterrupted``).

    Example::

        >>> isinstance(WaitTimeout(), WaitInterrupted)
        True
    """


class WaitTimeout(WaitInterrupted, TimeoutError):
    """The condition was not satisfied in time (Go ``ErrWaitTimeout``).

    Example::

        >>> str(WaitTimeout())
        'timed out waiting for the condition'
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or (_TIMED_OUT,)))


class Canceled(WaitInterrupted):
    """The context was cancelled (Go ``context.Canceled``).

    Example::

        >>> str(Canceled())
        'context canceled'
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or ("context canceled",)))


class DeadlineExceeded(WaitInterrupted, TimeoutError):
    """The context's deadline passed (Go ``context.DeadlineExceeded``).

    Example::

        >>> str(DeadlineExceeded())
        'context deadline exceeded'
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or ("context deadline exceeded",)))


#: Go's sentinel. Compare with ``isinstance(exc, WaitTimeout)``, never by identity:
#: wait functions raise fresh instances.
ErrWaitTimeout = WaitTimeout()


def interrupted(exc: BaseException | None) -> bool:
    """True if ``exc`` says a wait ended for a reason other than the condition.

    Looks at ``exc`` and its ``__cause__`` chain for a :class:`WaitInterrupted`
    (timeouts, cancellation, deadlines). ``None`` gives ``False``.

    Example::

        >>> interrupted(Canceled())
        True
        >>> interrupted(ValueError("boom"))
        False
    """
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, WaitInterrupted):
            return True
        seen.add(id(e))
        e = e.__cause__
    return False


def error_interrupted(cause: BaseException | None) -> WaitInterrupted:
    """Return an error saying a wait ended early because of ``cause``.

    ``str()`` of the result equals ``str(cause)`` and its ``__cause__`` is
    ``cause``; a cause that is already a :class:`WaitInterrupted` is returned as
    is. ``None`` gives a generic "timed out waiting for the condition".

    Example::

        >>> e = error_interrupted(RuntimeError("node gone"))
        >>> str(e), interrupted(e)
        ('node gone', True)
    """
    if isinstance(cause, WaitInterrupted):
        return cause
    if cause is None:
        return WaitInterrupted(_TIMED_OUT)
    exc = WaitInterrupted(str(cause))
    exc.__cause__ = cause
    return exc
