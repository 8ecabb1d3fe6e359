"""HTTP: routing of Kubernetes REST paths, request decoding, responses, and a
threaded HTTP/1.1 server that tracks (and on close shuts down and joins)
every connection thread.

Example::

    httpd = ApiHTTPServer(("127.0.0.1", 0), app)
    threading.Thread(target=httpd.serve_forever).start()
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import logging
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import yaml

from hybridwait.testing.apiserver import protobuf
from hybridwait.testing.apiserver.api import APPLY_PATCH, Api
from hybridwait.testing.apiserver.apply import check_write_options, manager_name
from hybridwait.testing.apiserver.errors import StatusError, bad_request, status_json
from hybridwait.testing.apiserver.faults import Faults
from hybridwait.testing.apiserver.openapi import (
    openapi_v2,
    openapi_v3_group_version,
    openapi_v3_index,
)
from hybridwait.testing.apiserver.peers import PeerMonitor
from hybridwait.testing.apiserver.records import RequestLog, RequestRecord
from hybridwait.testing.apiserver.resources import ResourceType
from hybridwait.testing.apiserver.selectors import FieldSelector, LabelSelector
from hybridwait.testing.apiserver.store import encode
from hybridwait.testing.apiserver.subresources import (
    BINDINGS_KEY,
    POD_KEY,
    SERVICEACCOUNTS_KEY,
    NodeBound,
    Subresources,
    body_name,
)
from hybridwait.testing.apiserver.tables import (
    Form,
    WatchRender,
    negotiate,
    render_list,
    render_one,
)
from hybridwait.testing.apiserver.validation import FieldValidation, json_object
from hybridwait.testing.apiserver.watch import DropStream, WatchContext, WatchStream

log = logging.getLogger("hybridwait.testing.apiserver")

#: Largest request body accepted (the real API server's limit is 3 MiB too);
#: larger bodies get 413 RequestEntityTooLarge.
MAX_BODY_BYTES = 3 * 1024 * 1024

# Oversized bodies up to this size are read and discarded before the 413.
_DISCARD_LIMIT = 64 * 1024 * 1024

KUBE_VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-hybridwait",
                "gitCommit": "0000000000000000000000000000000000000000",
                "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z",
                "goVersion": "go1.23.0", "compiler": "gc", "platform": "linux/amd64"}


@dataclass
class App:
    """Everything the handler needs from the server."""

    api: Api
    faults: Faults
    requests: RequestLog
    watch: WatchContext


@dataclass
class Route:
    """A resolved resource path."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str
    subresource: str
    watch_path: bool


def _not_found_path() -> StatusError:
    # A real server sends this one with an empty "details":{}.
    return StatusError(404, "NotFound", "the server could not find the requested resource",
                       details={})


def resolve(app: App, parts: list[str]) -> Route:
    """Map path segments after ``/api/v1`` or ``/apis/G/V`` to a :class:`Route`."""
    if parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    else:
        group, version, rest = parts[1], parts[2], parts[3:]
    watch_path = False
    if rest and rest[0] == "watch":
        watch_path, rest = True, rest[1:]
    reg = app.api.registry
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        candidate = reg.lookup(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise _not_found_path()
    rt = reg.lookup(group, version, rest[0])
    if rt is None:
        raise _not_found_path()
    if rt.namespaced is False and namespace is not None:
        raise _not_found_path()
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if sub and rt.subresource(sub) is None:
        raise _not_found_path()
    return Route(rt, version, namespace, name, sub, watch_path)


def _truthy(v: str | None) -> bool:
    return v is not None and v.lower() in ("1", "true", "yes")


_AGGREGATED = "g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_AGGREGATED_TYPE = "application/json;" + _AGGREGATED


def _warning_headers(warnings: list[str]) -> dict[str, str]:
    """The ``Warning: 299 - "..."`` header (RFC 7234 warn-code 299, as a real
    server sends for unknown fields under ``fieldValidation=Warn``)."""
    if not warnings:
        return {}
    return {"Warning": ", ".join(f"299 - {json.dumps(w)}" for w in warnings)}


class _Sink:
    """Chunked writes on the raw socket."""

    # The last line framed and its frame: a write fans one shared line out to
    # every watcher, so it is framed once, not once per watcher (a tuple,
    # replaced whole, so a concurrent reader sees a matching pair).
    _last: tuple[bytes, bytes] = (b"", b"0\r\n\r\n")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @staticmethod
    def frame(data: bytes) -> bytes:
        """``data`` as one HTTP chunk."""
        line, frame = _Sink._last
        if line is not data:
            frame = b"%x\r\n%b\r\n" % (len(data), data)
            _Sink._last = (data, frame)
        return frame

    def send(self, data: bytes) -> None:
        self.sock.sendall(self.frame(data))

    def send_nowait(self, data: bytes) -> bytes:
        frame = self.frame(data)
        try:
            sent = self.sock.send(frame, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            sent = 0
        return frame[sent:]

    def send_rest(self, tail: bytes) -> None:
        self.sock.sendall(tail)

    def peer_closed(self) -> bool:
        # A non-blocking peek (select() cannot take descriptors above 1023).
        try:
            return self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True


class Headers:
    """A request's headers by case-insensitive name (the first of repeated ones,
    as ``email.message.Message.get``), parsed without the standard library's
    email parser, which cost more server CPU than the rest of a write.

    Example::

        Headers.read(io.BytesIO(b"Content-Type: a/b\\r\\n\\r\\n")).get("content-type")  # "a/b"
    """

    __slots__ = ("_first", "_lines")

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self._lines = lines
        self._first: dict[str, str] = {}
        for name, value in lines:
            self._first.setdefault(name.lower(), value)

    @classmethod
    def read(cls, rfile: Any) -> Headers:
        """Read header lines up to the blank line (431-worthy ``LineTooLong`` /
        ``HTTPException`` past 64 KiB per line or 100 headers, as the standard
        library)."""
        lines: list[tuple[str, str]] = []
        while True:
            raw = rfile.readline(_MAX_HEADER_LINE + 1)
            if len(raw) > _MAX_HEADER_LINE:
                raise http.client.LineTooLong("header line")
            if raw in (b"\r\n", b"\n", b""):
                return cls(lines)
            text = raw.decode("iso-8859-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and lines:  # an obsolete folded continuation
                name, value = lines[-1]
                lines[-1] = (name, f"{value} {text.strip()}")
            else:
                name, _, value = text.partition(":")
                lines.append((name.strip(), value.strip()))
            if len(lines) > _MAX_HEADERS:
                raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name`` (any case), else ``default``."""
        return self._first.get(name.lower(), default)

    def __getitem__(self, name: str) -> str | None:
        return self._first.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def items(self) -> list[tuple[str, str]]:
        """Every header line as (name, value), in order."""
        return list(self._lines)

    def get_all(self, name: str, failobj: Any = None) -> Any:
        """Every value of header ``name`` (``failobj`` when there is none)."""
        values = [v for n, v in self._lines if n.lower() == name.lower()]
        return values or failobj


_MAX_HEADER_LINE = 65536
_MAX_HEADERS = 100


class Handler(BaseHTTPRequestHandler):
    """One HTTP/1.1 connection (keep-alive); dispatches each request."""

    protocol_version = "HTTP/1.1"
    server_version = "hybridwait-fake-apiserver"
    server: ApiHTTPServer
    _pending: tuple[float, str, dict[str, str]] | None = None
    _verb_name = "discovery"
    _body_read = False
    _date: tuple[int, str] = (0, "")  # the Date header of the current second

    # -- plumbing --------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's
        # algorithm and the client's delayed ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def parse_request(self) -> bool:
        """The standard library's request parsing (same checks and error
        answers), with the headers read by :class:`Headers`."""
        self.command = None  # type: ignore[assignment]
        self.request_version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline,  # type: ignore[attr-defined]
                          "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if not words:
            return False
        if len(words) >= 3:
            version = words[-1]
            numbers = version[5:].split(".") if version.startswith("HTTP/") else []
            if len(numbers) != 2 or not all(n.isdigit() and len(n) <= 10 for n in numbers):
                self.send_error(400, f"Bad request version ({version!r})")
                return False
            major, minor = int(numbers[0]), int(numbers[1])
            if (major, minor) >= (2, 0):
                self.send_error(505, f"Invalid HTTP version ({version[5:]})")
                return False
            if (major, minor) >= (1, 1):
                self.close_connection = False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(400, f"Bad request syntax ({requestline!r})")
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(400, f"Bad HTTP/0.9 request type ({command!r})")
                return False
        self.command, self.path = command, path
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")
        try:
            self.headers = Headers.read(self.rfile)  # type: ignore[assignment]
        except http.client.LineTooLong as err:
            self.send_error(431, "Line too long", str(err))
            return False
        except http.client.HTTPException as err:
            self.send_error(431, "Too many headers", str(err))
            return False
        conntype = (self.headers.get("Connection") or "").lower()
        if conntype == "close":
            self.close_connection = True
        elif conntype == "keep-alive":
            self.close_connection = False
        expect = (self.headers.get("Expect") or "").lower()
        if expect == "100-continue" and self.request_version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, formatted once per second."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())
        second, text = Handler._date
        if second != now:
            text = super().date_time_string(now)
            Handler._date = (now, text)  # one tuple, replaced whole
        return text

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Malformed HTTP (bad request line, headers): a Status body, then close."""
        if self.request_version == "HTTP/0.9" or not getattr(self, "request_version", ""):
            self.request_version = "HTTP/1.0"
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._send_json(code, StatusError(code, None, message or "bad request").status(),
                            {"Connection": "close"})

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _send_json(self, code: int, body: Any, headers: dict[str, str] | None = None,
                   data: bytes | None = None) -> None:
        if data is None:
            # A Go server's encoder ends every JSON body with a newline.
            data = encode(body) + b"\n"
        self._record(code)
        self.send_response(code)
        extra = dict(headers or {})
        self.send_header("Content-Type", extra.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in extra.items():
            self.send_header(k, v)
        # Headers and body in one send: two small writes cost a second syscall
        # and TCP segment per response (a quarter of a write's server CPU).
        if self.command != "HEAD":
            self._headers_buffer.append(b"\r\n" + data)  # type: ignore[attr-defined]
            self.flush_headers()
        else:
            self.end_headers()

    def _send_object(self, code: int, obj: dict[str, Any], route: Route,
                     headers: dict[str, str] | None = None) -> None:
        """Send one stored object as served at the route's version, reusing the
        revision's JSON encoded once for its watch event."""
        served = self._served(obj, route)
        data = self.server.app.api.store.encoded(served) if served is obj else encode(served)
        self._send_json(code, None, headers, data + b"\n")

    def _send_error(self, err: StatusError) -> None:
        headers = {}
        if err.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(err.retry_after)))
        self._send_json(err.code, None, headers, status_json(err.status()))

    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise bad_request("truncated chunked body")
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise bad_request("malformed chunked body") from None
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY_BYTES:
                    self.close_connection = True
                    raise self._too_large()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
            return b"".join(chunks)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            self.close_connection = True
            raise bad_request("invalid Content-Length") from None
        if length < 0:
            self.close_connection = True
            raise bad_request("invalid Content-Length")
        if length > MAX_BODY_BYTES:
            # Discard a moderately oversized body so the client reads our 413;
            # beyond that, answer and close without reading it.
            if length <= _DISCARD_LIMIT:
                left = length
                while left > 0:
                    got = self.rfile.read(min(left, 1 << 16))
                    if not got:
                        break
                    left -= len(got)
                self._body_read = True
            else:
                self.close_connection = True
            raise self._too_large()
        data = self.rfile.read(length)
        if len(data) != length:
            self.close_connection = True
            raise bad_request("truncated body")
        return data

    @staticmethod
    def _too_large() -> StatusError:
        return StatusError(413, "RequestEntityTooLarge",
                           f"the request body is larger than {MAX_BODY_BYTES} bytes")

    def _decode(self, raw: bytes, mode: FieldValidation = FieldValidation.WARN) -> Any:
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ctype == protobuf.CONTENT_TYPE:
            return protobuf.decode(raw)
        if "protobuf" in ctype:
            raise StatusError(415, "UnsupportedMediaType",
                              "only application/json, application/yaml and "
                              f"{protobuf.CONTENT_TYPE} bodies are served")
        if not raw.strip():
            raise bad_request("the request body is empty")
        try:
            if ctype in ("application/yaml", "application/x-yaml", "text/yaml"):
                return yaml.safe_load(raw)
            if mode is not FieldValidation.IGNORE:  # repeated keys are reported
                return json.loads(raw, object_pairs_hook=json_object)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise bad_request(f"the request body is not valid JSON: {exc}") from None

    # -- dispatch -----------------------------------------------------------------
    def _dispatch(self) -> None:
        app = self.server.app
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query,
                                                           keep_blank_values=True).items()}
        self._pending = (time.time(), path, query)
        self._verb_name = "discovery"
        self._body_read = False
        verb = "discovery"
        status = 500
        busy = False
        try:
            try:
                parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]
                route = None
                if self._is_resource_path(parts):
                    route = resolve(app, parts)
                    verb = self._verb_name = self._verb(route, query)
                if verb != "watch":  # a stop lets this request finish (graceful)
                    busy = self.server.set_busy(self.connection, True)
                delay = app.faults.response_delay
                if delay > 0:
                    app.watch.stopping.wait(delay)
                app.faults.check(verb, path)
                if route is None:
                    status = self._discovery(parts)
                else:
                    status = self._resource(route, verb, query)
            except StatusError as err:
                status = err.code
                if self.command in ("POST", "PUT", "PATCH", "DELETE"):
                    self._drain()
                self._send_error(err)
            except (BrokenPipeError, ConnectionResetError, DropStream):
                raise
            except Exception:
                log.exception("internal error serving %s %s", self.command, path)
                status = 500
                self.close_connection = True
                self._send_error(StatusError(500, "InternalError",
                                             "an internal error occurred in the emulator"))
        finally:
            self._record(status)
            if busy and not self.server.set_busy(self.connection, False):
                self.close_connection = True  # the server is stopping

    def _record(self, status: int) -> None:
        """Record the current request once, before its response is sent."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        t, path, query = pending
        self.server.app.requests.add(
            RequestRecord(t, self.command, path, query, self._verb_name, status))

    def _drain(self) -> None:
        """Consume an unread body so the connection stays usable."""
        if self._body_read or self.close_connection:
            return
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            return
        try:
            n = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return
        if 0 < n <= MAX_BODY_BYTES:
            self.rfile.read(n)
        elif n > MAX_BODY_BYTES:
            self.close_connection = True

    @staticmethod
    def _is_resource_path(parts: list[str]) -> bool:
        if len(parts) >= 3 and parts[0] == "api":
            return True
        return len(parts) >= 4 and parts[0] == "apis"

    def _verb(self, route: Route, query: dict[str, str]) -> str:
        method = self.command
        if method == "GET":
            if route.watch_path or _truthy(query.get("watch")):
                return "watch"
            return "get" if route.name else "list"
        return {"POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}.get(method, "get")

    def _discovery(self, parts: list[str]) -> int:
        reg = self.server.app.api.registry
        if self.command != "GET":
            raise StatusError(405, "MethodNotAllowed", "the server does not allow this method")
        doc: Any = None
        if parts == ["version"]:
            doc = KUBE_VERSION
        elif parts in (["healthz"], ["readyz"], ["livez"]):
            data = b"ok"
            self._record(200)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return 200
        elif parts in (["api"], ["apis"]) and _AGGREGATED in (self.headers.get("Accept") or ""):
            # kubectl 1.32 asks for aggregated discovery first: one response instead
            # of one per group-version.
            self._send_json(200, reg.aggregated(parts == ["api"]),
                            {"Content-Type": _AGGREGATED_TYPE, "Vary": "Accept"})
            return 200
        elif parts == ["api"]:
            port = self.server.server_address[1]
            doc = {"kind": "APIVersions", "versions": ["v1"],
                   "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                   "serverAddress": f"127.0.0.1:{port}"}]}
        elif parts == ["api", "v1"]:
            doc = reg.resource_list("", "v1")
        elif parts == ["openapi", "v2"]:
            accept = self.headers.get("Accept") or "*/*"
            if "json" not in accept and "*/*" not in accept:
                raise StatusError(406, "NotAcceptable",
                                  "only application/json is served for /openapi/v2")
            doc = openapi_v2(reg)
        elif parts == ["openapi", "v3"]:
            doc = openapi_v3_index(reg)
        elif len(parts) > 2 and parts[:2] == ["openapi", "v3"]:
            doc = openapi_v3_group_version(reg, "/".join(parts[2:]))
        elif parts == ["apis"]:
            doc = reg.api_group_list()
        elif len(parts) == 2 and parts[0] == "apis":
            doc = reg.api_group(parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            doc = reg.resource_list(parts[1], parts[2])
        if doc is None:
            raise _not_found_path()
        self._send_json(200, doc)
        return 200

    # -- resources ----------------------------------------------------------------
    def _resource(self, route: Route, verb: str, query: dict[str, str]) -> int:
        api = self.server.app.api
        rt = route.rt
        ns = route.namespace
        dry_run = query.get("dryRun") == "All"
        method = self.command
        self._check_verb(route, verb)
        mode = FieldValidation.WARN
        if method in ("POST", "PUT", "PATCH"):
            mode = FieldValidation.parse(query.get("fieldValidation"))
        warnings: list[str] = []
        if verb == "watch":
            return self._watch(route, query)
        if route.subresource and route.subresource != "status":
            return self._subresource(route, dry_run)
        if method == "POST" and rt.key == BINDINGS_KEY and ns is not None:
            body = self._decode(self._body())
            self._send_json(201, Subresources(api).bind(ns, body_name(body), body))
            return 201
        if method == "GET":
            if route.name:
                out = negotiate(self.headers.get("Accept"))
                stored = api.get(rt, ns or "", route.name)
                if out.form is Form.OBJECT:
                    self._send_object(200, stored, route)
                    return 200
                self._send_json(200, render_one(out, rt, self._served(stored, route),
                                                query.get("includeObject", "Metadata")))
                return 200
            return self._list(route, query)
        if method == "POST":
            if route.name or (rt.namespaced and ns is None):
                raise StatusError(405, "MethodNotAllowed",
                                  "the server does not allow this method on the requested "
                                  "resource")
            obj = api.create(rt, route.version, ns or "", self._decode(self._body(), mode),
                             dry_run=dry_run, field_validation=mode, warnings=warnings,
                             field_manager=self._field_manager(query, "CreateOptions"))
            self._send_object(201, obj, route, _warning_headers(warnings))
            return 201
        if not route.name:
            if method == "DELETE":
                deleted = api.delete_collection(
                    rt, ns, LabelSelector.parse(query.get("labelSelector")),
                    FieldSelector.parse(query.get("fieldSelector")), dry_run=dry_run)
                self._send_json(200, self._list_doc(route, deleted, str(api.store.revision)))
                return 200
            raise StatusError(405, "MethodNotAllowed",
                              "the server does not allow this method on the requested resource")
        code = 200
        if method == "PUT":
            obj = api.update(rt, route.version, ns or "", route.name,
                             self._decode(self._body(), mode), subresource=route.subresource,
                             dry_run=dry_run, field_validation=mode, warnings=warnings,
                             field_manager=self._field_manager(query, "UpdateOptions"))
        elif method == "PATCH":
            raw = self._body()
            if not raw.strip():
                raise bad_request("the patch body is empty")
            ctype = self.headers.get("Content-Type") or ""
            apply = ctype.split(";")[0].strip().lower() == APPLY_PATCH
            # An apply that creates the object answers 201 Created.
            code = 201 if apply and not route.subresource and api.store.get(
                rt.key, ns or "" if rt.namespaced else "", route.name) is None else 200
            obj = api.patch(rt, route.version, ns or "", route.name, ctype, raw,
                            subresource=route.subresource, dry_run=dry_run,
                            field_validation=mode, warnings=warnings,
                            field_manager=self._field_manager(query, "PatchOptions",
                                                              apply=apply),
                            force=apply and _truthy(query.get("force")))
        elif method == "DELETE":
            raw = self._body()
            options: dict[str, Any] = {}
            if raw.strip():
                decoded = self._decode(raw)
                if not isinstance(decoded, dict):
                    raise bad_request("DeleteOptions must be a JSON object")
                options = decoded
            options = _delete_query(query, options)
            obj = api.delete(rt, ns or "", route.name, options, dry_run=dry_run)
        else:
            raise StatusError(405, "MethodNotAllowed", "the server does not allow this method")
        self._send_object(code, obj, route, _warning_headers(warnings))
        return code

    def _check_verb(self, route: Route, verb: str) -> None:
        """405 for a verb the resource does not serve (``bindings`` only create,
        reviews only create, ``componentstatuses`` only get and list)."""
        if route.subresource:
            return
        if verb == "delete" and not route.name:
            verb = "deletecollection"
        if verb not in route.rt.verbs:
            raise StatusError(405, "MethodNotAllowed",
                              "the server does not allow this method on the requested resource")

    def _query(self) -> dict[str, str]:
        """The request's query parameters (first value of each)."""
        return {k: v[0] for k, v in urllib.parse.parse_qs(
            urllib.parse.urlsplit(self.path).query, keep_blank_values=True).items()}

    def _field_manager(self, query: dict[str, str], options_kind: str, *,
                       apply: bool = False) -> str:
        """The write's manager: ``fieldManager``, else the User-Agent's product
        (422 for options a real server rejects)."""
        given = query.get("fieldManager")
        check_write_options(given, options_kind=options_kind, apply=apply,
                            force_given="force" in query)
        return manager_name(given, self.headers.get("User-Agent"))

    def _subresource(self, route: Route, dry_run: bool) -> int:
        """``/scale``, ``pods/binding``, ``pods/eviction`` and the node-bound ones."""
        subs = Subresources(self.server.app.api)
        rt, ns, name, method = route.rt, route.namespace or "", route.name, self.command
        sub = rt.subresource(route.subresource)
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "POST": "create"}.get(method)
        if sub is None or verb not in sub.verbs:
            raise StatusError(405, "MethodNotAllowed",
                              "the server does not allow this method on the requested resource")
        if route.subresource == "scale":
            manager = "" if method == "GET" else self._field_manager(
                self._query(), "UpdateOptions" if method == "PUT" else "PatchOptions")
            if method == "GET":
                doc = subs.get_scale(rt, route.version, ns, name)
            elif method == "PUT":
                doc = subs.update_scale(rt, route.version, ns, name, self._decode(self._body()),
                                        dry_run=dry_run, field_manager=manager)
            else:
                doc = subs.patch_scale(rt, route.version, ns, name,
                                       self.headers.get("Content-Type") or "", self._body(),
                                       dry_run=dry_run, field_manager=manager)
            self._send_json(200, doc)
            return 200
        if rt.key == POD_KEY and route.subresource == "binding":
            self._send_json(201, subs.bind(ns, name, self._decode(self._body())))
            return 201
        if rt.key == SERVICEACCOUNTS_KEY and route.subresource == "token":
            raw = self._body()
            self._send_json(201, subs.token(ns, name, self._decode(raw) if raw.strip() else None))
            return 201
        if rt.key == POD_KEY and route.subresource == "eviction":
            raw = self._body()
            self._send_json(201, subs.evict(ns, name, self._decode(raw) if raw.strip() else None))
            return 201
        try:
            bound = NodeBound(route.subresource)
        except ValueError:
            raise _not_found_path() from None
        text = subs.node_bound(bound, ns, name, self._query().get("container", "")).encode()
        self._record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.write(text)
        return 200

    def _body(self) -> bytes:
        data = self._read_body()
        self._body_read = True
        return data

    @staticmethod
    def _served(obj: dict[str, Any], route: Route) -> dict[str, Any]:
        api_version = route.rt.api_version(route.version)
        if obj.get("apiVersion") == api_version:
            return obj
        return {**obj, "apiVersion": api_version}

    def _list_doc(self, route: Route, items: list[dict[str, Any]], rv: str,
                  cont: str = "", remaining: int | None = None) -> dict[str, Any]:
        rt = route.rt
        meta: dict[str, Any] = {"resourceVersion": rv}
        if cont:
            meta["continue"] = cont
        if remaining is not None:
            meta["remainingItemCount"] = remaining
        return {"kind": rt.list_kind or f"{rt.kind}List",
                "apiVersion": rt.api_version(route.version), "metadata": meta,
                "items": [self._served(o, route) for o in items]}

    def _list(self, route: Route, query: dict[str, str]) -> int:
        api = self.server.app.api
        try:
            limit = int(query.get("limit") or 0)
        except ValueError:
            raise bad_request("limit must be an integer") from None
        out = negotiate(self.headers.get("Accept"))
        page = api.list(route.rt, route.namespace,
                        LabelSelector.parse(query.get("labelSelector")),
                        FieldSelector.parse(query.get("fieldSelector")),
                        limit, query.get("continue", ""))
        doc = self._list_doc(route, page.items, page.resource_version,
                             page.continue_token, page.remaining)
        if out.form is Form.OBJECT:
            # The items' JSON is each stored revision's, encoded once (items last,
            # as a real server orders a list's fields).
            store = api.store
            head = encode({k: v for k, v in doc.items() if k != "items"})
            items = b",".join(store.encoded(o) if o is s else encode(o)
                              for o, s in zip(doc["items"], page.items, strict=True))
            self._send_json(200, None, None, head[:-1] + b',"items":[' + items + b"]}\n")
            return 200
        self._send_json(200, render_list(out, route.rt, doc["items"], doc,
                                         query.get("includeObject", "Metadata")))
        return 200

    def _watch(self, route: Route, query: dict[str, str]) -> int:
        app = self.server.app
        fields = FieldSelector.parse(query.get("fieldSelector"))
        if route.name:
            fields = FieldSelector((("metadata.name", "=", route.name), *fields.requirements))
        rv_text = query.get("resourceVersion", "")
        if rv_text not in ("", "0"):
            try:
                if int(rv_text) < 0:
                    raise ValueError(rv_text)
            except ValueError:
                raise bad_request(f"invalid resourceVersion {rv_text!r}") from None
        out = negotiate(self.headers.get("Accept"))
        render = None if out.form is Form.OBJECT else WatchRender(
            out, route.rt, query.get("includeObject", "Metadata"))
        timeout: float | None = None
        if query.get("timeoutSeconds"):
            try:
                timeout = float(query["timeoutSeconds"])
            except ValueError:
                raise bad_request("timeoutSeconds must be a number") from None
        stream = WatchStream(
            app.watch, route.rt, route.version, route.namespace,
            LabelSelector.parse(query.get("labelSelector")), fields,
            resource_version=rv_text, bookmarks=_truthy(query.get("allowWatchBookmarks")),
            timeout=timeout, send_initial_events=_truthy(query.get("sendInitialEvents")),
            render=render,
        )
        opening, cursor = stream.start()
        try:
            self._record(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Cache-Control", "no-cache, private")
            self.end_headers()
            self.wfile.flush()
        except OSError:
            app.watch.store.remove_watcher(stream.watcher)
            raise
        sink = _Sink(self.connection)
        peer = self.server.peers.watch(self.connection, stream.peer_gone)
        try:
            stream.run(sink, opening, cursor)
        except DropStream:
            self._cut()
            return 200
        except OSError:
            self.close_connection = True
            return 200
        finally:
            self.server.peers.forget(peer)
        if stream.stopped():
            self._cut()
            return 200
        try:
            self.connection.sendall(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True
        return 200

    def _cut(self) -> None:
        """Close the connection without ending the chunked body."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class ApiHTTPServer(HTTPServer):
    """An HTTP server with a named thread per connection, all tracked so that
    :meth:`close_connections` can shut them down and join them."""

    allow_reuse_address = True
    daemon_threads = True
    # The listen backlog. socketserver's default (5) overflows when many clients
    # connect at once (e.g. every pooled connection re-opened after a restart);
    # Linux then silently drops the handshake's last ACK: the client believes it
    # is connected and sends its request, which waits for the server's SYN-ACK
    # retransmission (1 s, 3 s, 7 s, ...). A Go apiserver listens with the
    # kernel's maximum (somaxconn), which the kernel also caps this value to.
    request_queue_size = 4096

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._conn_lock = threading.Lock()
        self._conns: dict[socket.socket, threading.Thread] = {}
        self._busy: set[socket.socket] = set()
        self._closing = False
        self._idle = threading.Condition(self._conn_lock)
        self._seq = itertools.count(1)
        super().__init__(address, Handler)
        # One thread for the whole server notices closed watch clients at once.
        self.peers = PeerMonitor(f"hybridwait-apiserver-peers-{self.server_address[1]}")

    def process_request(self, request: Any, client_address: Any) -> None:
        t = threading.Thread(target=self._serve_connection, args=(request, client_address),
                             name=f"hybridwait-apiserver-conn-{next(self._seq)}", daemon=True)
        with self._conn_lock:
            self._conns[request] = t
        t.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except (OSError, DropStream):
            pass
        except Exception:
            log.exception("connection handler crashed")
        finally:
            with self._conn_lock:
                self._conns.pop(request, None)
            self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("error on connection from %s", client_address, exc_info=True)

    def connection_count(self) -> int:
        """Open client connections."""
        with self._conn_lock:
            return len(self._conns)

    def set_busy(self, sock: socket.socket, busy: bool) -> bool:
        """Mark a connection as answering a (non-watch) request, or done with
        it. Returns False once the server is stopping (the caller then closes)."""
        with self._conn_lock:
            if busy:
                if self._closing:
                    return False
                self._busy.add(sock)
            else:
                self._busy.discard(sock)
                self._idle.notify_all()
            return not self._closing

    def close_connections(self, timeout: float = 2.0, grace: float = 1.0) -> None:
        """Shut down every open connection and join its thread. Like a real API
        server's graceful shutdown, a request being answered gets up to ``grace``
        seconds to finish first; idle keep-alive connections and watch streams
        are cut at once."""
        deadline = time.monotonic() + grace
        with self._conn_lock:
            self._closing = True
            idle = [s for s in self._conns if s not in self._busy]
        for sock in idle:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        with self._conn_lock:
            while self._busy and time.monotonic() < deadline:
                self._idle.wait(max(0.0, deadline - time.monotonic()))
            conns = list(self._conns.items())
        for sock, _ in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, t in conns:
            t.join(max(0.0, deadline - time.monotonic()))
            if t.is_alive():
                log.warning("connection thread %s did not stop in time", t.name)
        self.peers.close()


def _delete_query(query: dict[str, str], options: dict[str, Any]) -> dict[str, Any]:
    """DeleteOptions given as query parameters (the Python client sends
    ``grace_period_seconds``/``propagation_policy`` so), over the body's, as a
    real server decodes them."""
    out = dict(options)
    if "gracePeriodSeconds" in query:
        try:
            out["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
        except ValueError:
            raise bad_request("gracePeriodSeconds must be an integer") from None
    if "propagationPolicy" in query:
        out["propagationPolicy"] = query["propagationPolicy"]
    if "orphanDependents" in query:
        out["orphanDependents"] = _truthy(query["orphanDependents"])
    return out
