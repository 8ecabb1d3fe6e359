"""Process introspection for leak checks, without psutil: threads, file
descriptors and TCP sockets of this process (Linux ``/proc``)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def hybridwait_threads() -> list[str]:
    """Names of live threads the library started (``hybridwait-*``), emulator excluded."""
    return sorted(
        t.name
        for t in threading.enumerate()
        if t.is_alive()
        and t.name.startswith("hybridwait-")
        and not t.name.startswith("hybridwait-apiserver")
    )


def fd_count() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


def _socket_inodes() -> set[str]:
    out: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def client_sockets_to(port: int) -> int:
    """TCP sockets of *this process* whose remote port is ``port`` (client side)
    and are not closed yet (any state but LISTEN), from ``/proc/self/net/tcp``."""
    mine = _socket_inodes()
    n = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            rem_port = int(parts[2].rsplit(":", 1)[1], 16)
            inode = parts[9]
            if rem_port == port and inode in mine:
                n += 1
    return n


def rss_bytes() -> int:
    """Resident set size of this process."""
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def settle(probe: Callable[[], T], ok: Callable[[T], bool], within: float) -> T:
    """Re-read ``probe()`` until ``ok(value)`` or ``within`` seconds pass; return the last value."""
    deadline = time.monotonic() + within
    while True:
        v = probe()
        if ok(v) or time.monotonic() > deadline:
            return v
        time.sleep(0.05)
