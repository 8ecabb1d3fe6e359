"""Crash protection for functions run by the ``until`` family (Go ``runtime.HandleCrash``).

When a function run by :func:`~hybridwait.until` (or any of its family) raises,
every entry of :data:`panic_handlers` is called with ``(ctx, exc)``; then the
exception is re-raised if :data:`really_crash` is true (the default), else the
loop goes on. Both are read at call time, so tests and long-running programs
may change them::

    import hybridwait.crash

    hybridwait.crash.really_crash = False          # keep looping after an error
    hybridwait.crash.panic_handlers.append(lambda ctx, exc: metrics.inc())

Conditions of the poll family are *not* routed here: an exception raised by a
condition aborts the wait and propagates unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hybridwait.core.context import Context

__all__ = ["handle_crash", "panic_handlers", "really_crash"]

_log = logging.getLogger("hybridwait")

#: Re-raise after the handlers ran (Go ``ReallyCrash``).
really_crash: bool = True


def log_panic(ctx: Context | None, exc: BaseException) -> None:
    """Default handler: log the traceback at ERROR on logger ``hybridwait``."""
    _log.error("observed a panic: %r", exc, exc_info=exc)


#: Called in order with ``(ctx, exc)`` for every crash (Go ``PanicHandlers``).
panic_handlers: list[Callable[[Context | None, BaseException], None]] = [log_panic]


def handle_crash(ctx: Context | None, exc: BaseException) -> bool:
    """Run every panic handler for ``exc``; return :data:`really_crash`.

    The caller re-raises when this returns true (so the traceback is kept).
    A handler that raises is logged and does not stop the others.

    Example::

        try:
            f()
        except Exception as exc:
            if handle_crash(ctx, exc):
                raise
    """
    for handler in list(panic_handlers):
        try:
            handler(ctx, exc)
        except Exception:
            _log.exception("panic handler %r failed", handler)
    return bool(really_crash)
