"""Live progress: for ``hybridwait demo`` a ``tqdm`` bar on a terminal, plain
timestamped lines otherwise (logs, CI, pipes); for ``hybridwait wait -f`` a
status board of every object, on a terminal only.

Example::

    with Progress(200, sys.stderr) as bar:
        bar.update(120, "watch 118, poll 2")
        bar.note("chaos: dropped 3 watches")
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TextIO

__all__ = ["Progress", "StatusBoard"]


class Progress:
    """Shows ``done/total``; ``tty=None`` asks the stream whether it is a terminal.

    Plain mode writes a line when at least a tenth of the total more is done, or
    every 2 s while something changed, and always the last state on close.

    Example::

        p = Progress(10, sys.stdout, tty=False)
        p.update(5); p.close()
    """

    def __init__(self, total: int, stream: TextIO, tty: bool | None = None,
                 unit: str = "waits ended") -> None:
        self.total = total
        self.stream = stream
        self.unit = unit
        self.tty = bool(stream.isatty()) if tty is None else tty
        self._t0 = time.monotonic()
        self._done = 0
        self._detail = ""
        self._last_line = (-1, 0.0)
        self._bar: Any = None
        if self.tty:
            from tqdm import tqdm

            self._bar = tqdm(total=total, file=stream, unit="wait", dynamic_ncols=True,
                             desc="waiting", leave=True)

    def update(self, done: int, detail: str = "") -> None:
        """Set the number of items done and an optional detail text."""
        now = time.monotonic()
        if self._bar is not None:
            if done != self._done:
                self._bar.update(done - self._done)
            if detail != self._detail:
                self._bar.set_postfix_str(detail, refresh=False)
            self._done, self._detail = done, detail
            return
        self._done, self._detail = done, detail
        last_done, last_t = self._last_line
        step = max(self.total // 10, 1)
        if done >= last_done + step or (done != last_done and now - last_t >= 2.0):
            self._line(now)

    def _line(self, now: float) -> None:
        extra = f" ({self._detail})" if self._detail else ""
        self.stream.write(
            f"[{now - self._t0:5.1f}s] {self._done}/{self.total} {self.unit}{extra}\n"
        )
        self.stream.flush()
        self._last_line = (self._done, now)

    def note(self, text: str) -> None:
        """Print one message without breaking the bar."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            self.stream.write(f"[{time.monotonic() - self._t0:5.1f}s] {text}\n")
            self.stream.flush()

    def close(self) -> None:
        """Finish the display (the final state is always shown)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._last_line[0] != self._done:
            self._line(time.monotonic())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class StatusBoard:
    """Live status of each object of a multi-object wait, redrawn in place on a
    terminal (as ``kpt live status`` shows it); nothing at all on anything else.

    ``update(states)`` takes :class:`hybridwait.kube.objects.ObjectState` items;
    ``clear()`` erases the board (call it before writing other lines to the
    terminal, then ``update`` again); ``close()`` erases it for good.

    Example::

        board = StatusBoard(sys.stderr)
        board.update(states)     # deployments/web  InProgress  ready: 1/3
        board.close()
    """

    def __init__(self, stream: TextIO, tty: bool | None = None, width: int | None = None) -> None:
        self.stream = stream
        self.tty = bool(stream.isatty()) if tty is None else tty
        self.width = width
        self._drawn: list[str] = []

    def _lines(self, states: Sequence[Any]) -> list[str]:
        width = self.width
        if width is None:
            import shutil

            width = shutil.get_terminal_size((100, 20)).columns
        name_w = min(max((len(str(s.resource)) for s in states), default=0), 48)
        lines = []
        for s in states:
            mark = "✓" if s.done else " "
            text = f"{mark} {s.resource!s:<{name_w}}  {s.status.status.value:<11}  " + (
                s.status.message)
            lines.append(text[: max(width - 1, 10)])
        return lines

    def update(self, states: Sequence[Any]) -> None:
        """Redraw the board if anything shown changed (terminal only)."""
        if not self.tty:
            return
        lines = self._lines(states)
        if lines == self._drawn:
            return
        self.clear()
        self.stream.write("".join(line + "\n" for line in lines))
        self.stream.flush()
        self._drawn = lines

    def clear(self) -> None:
        """Erase the board (cursor back where it started)."""
        if self.tty and self._drawn:
            self.stream.write(f"\x1b[{len(self._drawn)}F\x1b[J")
            self.stream.flush()
        self._drawn = []

    def close(self) -> None:
        """Erase the board; the command's own lines tell the outcome."""
        self.clear()
