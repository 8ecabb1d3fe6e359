"""Notice at once when a watch client closes its connection.

A real API server reads each connection in the background, so a watch whose
client went away ends at once, not at its next write or bookmark. The emulator
does the same with one thread per server (started with the first watch, not
not one per stream, and no periodic peek): a selector over the sockets of every
open watch stream. When one of them reports end-of-file (or an error), its
callback runs, which wakes the stream's thread to end the stream.

A watch client sends nothing while it reads the stream; a socket that becomes
readable with data (a client pipelining its next request) is only dropped
from the selector, and that stream then notices a closed client at its next
write.

Example::

    peers = PeerMonitor("hybridwait-apiserver-peers")
    handle = peers.watch(sock, stream.peer_gone)   # peer_gone() runs on EOF
    ...
    peers.forget(handle)                           # before closing sock
    peers.close()                                  # joins the thread
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
from collections.abc import Callable

log = logging.getLogger("hybridwait.testing.apiserver.peers")


class PeerHandle:
    """One registration with a :class:`PeerMonitor` (pass it to :meth:`PeerMonitor.forget`)."""

    __slots__ = ("on_close", "sock")

    def __init__(self, sock: socket.socket, on_close: Callable[[], None]) -> None:
        self.sock = sock
        self.on_close = on_close


class PeerMonitor:
    """One selector thread watching registered sockets for a closed peer.

    Example::

        peers = PeerMonitor("peers")
        h = peers.watch(conn, lambda: print("client gone"))
        peers.forget(h)
        peers.close()
    """

    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self._closed = False
        self._sel: selectors.BaseSelector | None = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def watch(self, sock: socket.socket, on_close: Callable[[], None]) -> PeerHandle | None:
        """Call ``on_close`` (on the monitor's thread) once ``sock``'s peer
        closes. Returns None when the monitor is closed (nothing registered)."""
        handle = PeerHandle(sock, on_close)
        with self._lock:
            if self._closed or self._sel is None:
                return None
            try:
                self._sel.register(sock, selectors.EVENT_READ, handle)
            except (ValueError, KeyError, OSError):
                return None  # closed or already watched: the stream's writes notice
        self._poke()
        return handle

    def forget(self, handle: PeerHandle | None) -> None:
        """Stop watching ``handle``'s socket (call before closing it)."""
        if handle is None:
            return
        with self._lock:
            self._unregister_locked(handle)

    def close(self) -> None:
        """Stop the thread and join it (idempotent)."""
        with self._lock:
            self._closed = True
        self._poke()
        if self._thread is not threading.current_thread():
            self._thread.join(5.0)

    # -- internals -------------------------------------------------------------------
    def _poke(self) -> None:
        with contextlib.suppress(OSError):  # buffer full (already poked) or closed
            self._wake_w.send(b"x")

    def _unregister_locked(self, handle: PeerHandle) -> bool:
        sel = self._sel
        if sel is None:
            return False
        try:
            key = sel.get_key(handle.sock)
        except (KeyError, ValueError):
            return False
        if key.data is not handle:
            return False
        try:
            sel.unregister(handle.sock)
        except (KeyError, ValueError, OSError):
            return False
        return True

    def _run(self) -> None:
        sel = self._sel
        wake_r = self._wake_r
        assert sel is not None
        try:
            while True:
                # The selector is only modified under the lock; select() runs
                # without it and a registration pokes the wake socket, so a
                # selector that does not see concurrent changes still does.
                ready = sel.select()
                gone: list[PeerHandle] = []
                with self._lock:
                    if self._closed:
                        return
                    for key, _ in ready:
                        if key.data is None:
                            with contextlib.suppress(OSError):
                                while wake_r.recv(4096):
                                    pass
                            continue
                        handle = key.data
                        assert isinstance(handle, PeerHandle)
                        closed = self._peer_closed(handle.sock)
                        if self._unregister_locked(handle) and closed:
                            gone.append(handle)
                for handle in gone:
                    try:
                        handle.on_close()
                    except Exception:
                        log.exception("peer close callback failed")
        finally:
            with self._lock:
                self._closed = True
                self._sel = None
                sel.close()
                wake_r.close()
                self._wake_w.close()

    @staticmethod
    def _peer_closed(sock: socket.socket) -> bool:
        try:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
