"""A watch whose client goes away ends at once (as on a real API server, which
reads every connection in the background), by one selector thread per server,
not a periodic check per stream."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from hybridwait.testing import FakeAPIServer
from hybridwait.testing.apiserver.peers import PeerMonitor

from .conftest import pod, raw

# Generous for a busy 2-core machine; docs/testing.md promises "at once".
BOUND = 1.5


def _until(cond: Callable[[], bool], bound: float = 10.0) -> bool:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def _open_watch(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true"
              b" HTTP/1.1\r\nHost: x\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        got = s.recv(4096)
        assert got, "server closed the watch"
        head += got
    assert head.startswith(b"HTTP/1.1 200")
    return s


def test_watch_streams_end_at_once_when_their_clients_close() -> None:
    # Bookmarks every 60 s and no timeoutSeconds: nothing but the closed
    # connection can end these streams within the bound.
    with FakeAPIServer(bookmark_interval=60.0) as srv:
        before = {t for t in threading.enumerate() if t.is_alive()}
        clients = [_open_watch(srv.port) for _ in range(20)]
        assert _until(lambda: srv.watch_count() == 20)
        started = {t for t in threading.enumerate() if t.is_alive()} - before
        # One thread per connection and no other: no poller per stream.
        assert len(started) == 20
        assert all(t.name.startswith("hybridwait-apiserver-conn-") for t in started)
        peers = [t for t in threading.enumerate()
                 if t.name == f"hybridwait-apiserver-peers-{srv.port}"]
        assert len(peers) == 1
        t0 = time.monotonic()
        for c in clients:
            c.close()
        for t in started:
            t.join(max(0.0, t0 + BOUND - time.monotonic()))
        assert not [t.name for t in started if t.is_alive()]
        # The server still serves watches afterwards.
        again = _open_watch(srv.port)
        again.close()


def test_a_stream_still_delivers_events_while_watched_for_eof() -> None:
    with FakeAPIServer() as srv:
        s = _open_watch(srv.port)
        try:
            status, _, _ = raw(srv, "POST", "/api/v1/namespaces/default/pods", pod("p"))
            assert status == 201
            got = b""
            deadline = time.monotonic() + 10
            while b'"ADDED"' not in got and time.monotonic() < deadline:
                got += s.recv(65536)
            assert b'"ADDED"' in got and b'"name":"p"' in got
        finally:
            s.close()


def test_monitor_calls_back_on_eof_only_for_sockets_still_registered() -> None:
    peers = PeerMonitor("test-peers")
    a1, b1 = socket.socketpair()
    a2, b2 = socket.socketpair()
    gone: list[str] = []
    called = threading.Event()
    try:
        def one() -> None:
            gone.append("one")
            called.set()

        h1 = peers.watch(a1, one)
        h2 = peers.watch(a2, lambda: gone.append("two"))
        assert h1 is not None and h2 is not None
        peers.forget(h2)          # forgotten before its peer closes: no callback
        b2.close()
        t0 = time.monotonic()
        b1.close()
        assert called.wait(BOUND), "no callback within the bound"
        assert time.monotonic() - t0 < BOUND
        time.sleep(0.05)  # a wrong callback for the forgotten socket would show by now
        assert gone == ["one"]
    finally:
        peers.close()
        for s in (a1, a2):
            s.close()
    assert not [t for t in threading.enumerate() if t.name == "test-peers"]
    # A closed monitor registers nothing.
    x, y = socket.socketpair()
    with x, y:
        assert peers.watch(x, lambda: None) is None
