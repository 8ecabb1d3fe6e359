"""Shared fixtures. Every test is checked for leaked threads: a test that
starts threads or servers must have them gone (joined) when it ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

# Threads that legitimately outlive a test (none of hybridwait's own).
_ALLOWED_PREFIXES = ("pytest_timeout",)


def _live_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.is_alive()}


@pytest.fixture(autouse=True)
def no_leaked_threads(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves any thread it started running (2 s grace)."""
    before = _live_threads()
    yield
    if request.node.get_closest_marker("allow_thread_leak"):
        return
    deadline = time.monotonic() + 2.0
    while True:
        extra = {
            t
            for t in _live_threads() - before
            if not t.name.startswith(_ALLOWED_PREFIXES)
        }
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert not extra, f"threads left running: {sorted(t.name for t in extra)}"
