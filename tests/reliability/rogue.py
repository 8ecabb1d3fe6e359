"""A tiny, purpose-built misbehaving API server for bad-input tests.

It serves just enough discovery for ``configmaps`` (v1) and answers GET, LIST
and WATCH on configmaps from a script the test supplies: a watch may send a
huge line, non-JSON, an unknown event type, an object without
resourceVersion, or nothing at all. Loopback only, bounded (one thread per
connection, every one joined at :meth:`close`).

Example::

    with Rogue() as r:
        r.obj = {"metadata": {...}, "data": {"s": "done"}}
        r.watch = lambda send: send(b'not json\\n')
        eng = Engine(api_client=r.api_client())
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DISCOVERY: dict[str, Any] = {
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {
        "kind": "APIResourceList", "groupVersion": "v1",
        "resources": [{"name": "configmaps", "singularName": "configmap", "namespaced": True,
                       "kind": "ConfigMap", "verbs": ["get", "list", "watch"],
                       "shortNames": ["cm"]}],
    },
}

Send = Callable[[bytes], None]


def cm(name: str, state: str, rv: str | None = "5") -> dict[str, Any]:
    """A ConfigMap as served (``rv`` None: no resourceVersion at all)."""
    meta: dict[str, Any] = {"name": name, "namespace": "default", "uid": "u-" + name}
    if rv is not None:
        meta["resourceVersion"] = rv
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"s": state}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _json(self, code: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        rogue = self.server.rogue
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        rogue.record(url.path, q)
        if rogue.silent:  # never answer: hold the connection until close()
            rogue.closing.wait(60)
            return
        if url.path in DISCOVERY:
            return self._json(200, DISCOVERY[url.path])
        if url.path == "/api/v1/namespaces/default/configmaps":
            if q.get("watch") in ("true", "1"):
                return self._watch()
            items = [rogue.obj] if rogue.obj is not None else []
            return self._json(200, {"kind": "ConfigMapList", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": rogue.list_rv},
                                    "items": items})
        if url.path.startswith("/api/v1/namespaces/default/configmaps/"):
            if rogue.obj is None:
                return self._json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                        "reason": "NotFound", "code": 404,
                                        "message": "configmaps not found"})
            return self._json(200, rogue.obj)
        self._json(404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": "no"})

    def _watch(self) -> None:
        rogue = self.server.rogue
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def send(data: bytes) -> None:
            for i in range(0, len(data), 65536):  # as a Go server would: small chunks
                part = data[i:i + 65536]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))

        n = rogue.watches
        rogue.watches += 1
        script = rogue.watch if n == 0 or rogue.every_watch else None
        since = urlsplit(self.path).query
        rv = {k: v[-1] for k, v in parse_qs(since).items()}.get("resourceVersion", "")
        try:
            if script is not None:
                script(send)
            # then behave like a real server: replay a newer object, send each change
            gen = -1 if script is None else rogue.generation
            while not rogue.closing.is_set():
                with rogue.changed:
                    if gen == rogue.generation:
                        rogue.changed.wait(0.5)
                    if gen == rogue.generation:
                        continue
                    gen, obj = rogue.generation, rogue.obj
                if obj is not None and _newer(obj, rv):
                    send((json.dumps({"type": "MODIFIED", "object": obj}) + "\n").encode())
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass


def _newer(obj: dict[str, Any], rv: str) -> bool:
    try:
        return int(obj["metadata"]["resourceVersion"]) > int(rv)
    except (KeyError, ValueError):
        return True


class _Server(HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, rogue: Rogue) -> None:
        self.rogue = rogue
        self.threads: list[threading.Thread] = []
        self.conns: list[socket.socket] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.conns.append(request)
        t = threading.Thread(target=self._serve, args=(request, client_address),
                             name="rogue-conn", daemon=True)
        self.threads.append(t)
        t.start()

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            if hasattr(request, "do_handshake"):
                request.settimeout(5)
                request.do_handshake()
                request.settimeout(None)
            self.finish_request(request, client_address)
        except OSError:
            pass
        finally:
            self.shutdown_request(request)


class Rogue:
    """The misbehaving server (see the module doc). Attributes the test sets:
    ``obj`` (served by GET/LIST, None = 404), ``watch`` (a script
    ``send -> None`` for the first watch, or every watch with ``every_watch``),
    ``silent`` (never answer anything)."""

    def __init__(self, tls: tuple[str, str] | None = None) -> None:
        self._obj: dict[str, Any] | None = None
        self.generation = 0
        self.changed = threading.Condition()
        self.list_rv = "5"
        self.watch: Callable[[Send], None] | None = None
        self.every_watch = False
        self.silent = False
        self.watches = 0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._srv = _Server(self)
        self.scheme = "http"
        if tls is not None:  # (certfile, keyfile): serve HTTPS
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self._srv.socket = ctx.wrap_socket(self._srv.socket, server_side=True,
                                               do_handshake_on_connect=False)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._srv.serve_forever,
                                        kwargs={"poll_interval": 0.05}, name="rogue", daemon=True)

    @property
    def obj(self) -> dict[str, Any] | None:
        return self._obj

    @obj.setter
    def obj(self, value: dict[str, Any] | None) -> None:
        with self.changed:
            self._obj = value
            self.generation += 1
            self.changed.notify_all()

    def record(self, path: str, q: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((path, q))

    @property
    def port(self) -> int:
        return int(self._srv.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def api_client(self) -> Any:
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = self.url
        return client.ApiClient(configuration=cfg)

    def __enter__(self) -> Rogue:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.closing.set()
        with self.changed:
            self.changed.notify_all()
        self._srv.shutdown()
        self._srv.server_close()
        for c in self._srv.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
        for t in self._srv.threads:
            t.join(5)
        self._thread.join(5)
