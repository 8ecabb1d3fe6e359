"""Helpers for the core tests: run a call in a thread and collect its outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hybridwait import crash


class Running:
    """A call running in a thread; ``outcome()`` joins it and returns/raises its result."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._result: Any = None
        self._exc: BaseException | None = None
        self.finished = threading.Event()

        def run() -> None:
            try:
                self._result = fn()
            except BaseException as e:
                self._exc = e
            finally:
                self.finished.set()

        self.thread = threading.Thread(target=run, name="core-test-runner")
        self.thread.start()

    def outcome(self, timeout: float = 10.0) -> Any:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "call did not return in time"
        if self._exc is not None:
            raise self._exc
        return self._result

    @property
    def exception(self) -> BaseException | None:
        return self._exc


@pytest.fixture
def run_bg() -> Iterator[Callable[[Callable[[], Any]], Running]]:
    started: list[Running] = []

    def start(fn: Callable[[], Any]) -> Running:
        r = Running(fn)
        started.append(r)
        return r

    yield start
    for r in started:
        r.thread.join(10)


@pytest.fixture
def crash_settings() -> Iterator[list[tuple[Any, BaseException]]]:
    """Record crash handler calls and restore hybridwait.crash afterwards."""
    seen: list[tuple[Any, BaseException]] = []
    saved_flag, saved_handlers = crash.really_crash, list(crash.panic_handlers)
    crash.panic_handlers[:] = [lambda ctx, exc: seen.append((ctx, exc))]
    yield seen
    crash.really_crash = saved_flag
    crash.panic_handlers[:] = saved_handlers
