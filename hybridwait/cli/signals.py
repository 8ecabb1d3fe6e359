"""Ctrl-C for the CLI: SIGINT/SIGTERM cancel a :class:`~hybridwait.Context` and the
process is gone within a second, as kubectl's interrupt handler does.

Example::

    with cancel_on_signals() as ctx:
        eng.wait("pod/web-0", for_="condition=Ready", ctx=ctx)   # Ctrl-C -> Canceled
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

from hybridwait.core import Context, background, with_cancel

__all__ = ["EXIT_GRACE", "cancel_on_signals"]

log = logging.getLogger("hybridwait.cli.signals")

# After the first signal the waits are cancelled and the command unwinds; if
# anything holds it up (a close that blocks), the process exits 1 after this long.
EXIT_GRACE = 0.8
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _hard_exit() -> None:
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(1)


@contextlib.contextmanager
def cancel_on_signals() -> Iterator[Context]:
    """Yield a context cancelled by SIGINT or SIGTERM; restore the old handlers after.

    The first signal cancels the context (every wait using it raises ``Canceled``)
    and arms a watchdog that exits the process with status 1 after
    :data:`EXIT_GRACE` seconds; a second signal exits at once. Outside the main
    thread signals cannot be caught: the context is then only cancelled on exit.

    Example::

        with cancel_on_signals() as ctx:
            run(ctx)
    """
    ctx, cancel = with_cancel(background())
    if threading.current_thread() is not threading.main_thread():
        try:
            yield ctx
        finally:
            cancel()
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if ctx.err() is not None:
            _hard_exit()
        log.debug("signal %d: cancelling every wait", signum)
        cancel()
        watchdog = threading.Timer(EXIT_GRACE, _hard_exit)
        watchdog.daemon = True
        watchdog.name = "hybridwait-exit-watchdog"
        watchdog.start()

    previous = {sig: signal.signal(sig, handler) for sig in _SIGNALS}
    try:
        yield ctx
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        cancel()
