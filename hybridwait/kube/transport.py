"""Raw JSON access to the API through a ``kubernetes.client.ApiClient``.

The engine reads objects as plain ``dict``s exactly as served, so it uses the
client only for what it is good at (configuration, authentication, TLS and
the connection pool) and does the HTTP GETs itself: one-shot JSON reads and
long-lived watch streams. Every HTTP error becomes an
:class:`~hybridwait.kube.errors.ApiError`; an unreachable server becomes
:class:`~hybridwait.kube.errors.ConnectionFailed`.

Example::

    t = Transport(api_client)
    t.get_json("/api/v1/namespaces/default/pods/web-0")
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from hybridwait.kube.errors import ApiError, ConnectionFailed, api_error
from hybridwait.kube.watchstream import MalformedLine, loads

__all__ = ["STREAM_POOL_SIZE", "Transport"]

log = logging.getLogger("hybridwait.kube.transport")

STREAM_POOL_SIZE = 64
"""Connections the watch streams' own pool keeps (the sharing policy keeps the
streams O(scopes), far below this)."""


class Transport:
    """GETs and watch streams over an ``ApiClient`` (thread-safe: the client's
    urllib3 pool is). ``request_timeout`` bounds one-shot reads.

    Example::

        Transport(srv.api_client()).get_json("/api/v1")["resources"]
    """

    def __init__(self, api_client: Any, request_timeout: float = 30.0) -> None:
        self.api_client = api_client
        self.request_timeout = request_timeout
        host = str(getattr(api_client.configuration, "host", "") or "")
        parts = urlsplit(host)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # host:port only: never user info or a token
        self.host = f"{parts.hostname or host}:{port}"
        # One-shot GETs take a slot: no more at once than the client's pool keeps
        # connections, so a burst (every wait polling the API while the watch is
        # down) queues here for a pooled connection instead of opening surplus
        # sockets that urllib3 discards with a "Connection pool is full" warning.
        size = int(getattr(api_client.configuration, "connection_pool_maxsize", 0) or 0)
        self._slots = threading.BoundedSemaphore(max(size, 4))
        # Watch streams hold their connection for minutes: they get a pool of
        # their own (built lazily), so open streams never take the GETs' pooled
        # connections nor overflow that pool when a dropped watch is re-opened.
        self._stream_lock = threading.Lock()
        self._stream_pool: Any = None

    def close(self) -> None:
        """Close the watch streams' pool (the client's own pool is the client's).

        Example::

            t.close()
        """
        with self._stream_lock:
            pool, self._stream_pool = self._stream_pool, None
        if pool is not None:
            pool.clear()

    def _pool_for_streams(self) -> Any:
        """The urllib3 pool manager for watch streams: the kubernetes client's
        own ``RESTClientObject`` built from a copy of the client's configuration
        (same TLS, client certificates, proxy, socket options), only with
        :data:`STREAM_POOL_SIZE` connections."""
        with self._stream_lock:
            if self._stream_pool is None:
                from kubernetes.client.rest import RESTClientObject

                conf = copy.copy(self.api_client.configuration)
                size = int(getattr(conf, "connection_pool_maxsize", 0) or 0)
                conf.connection_pool_maxsize = max(size, STREAM_POOL_SIZE)
                self._stream_pool = RESTClientObject(conf).pool_manager
            return self._stream_pool

    def __repr__(self) -> str:
        return f"Transport({self.host})"

    def open(
        self,
        path: str,
        query: Mapping[str, Any] | None = None,
        *,
        timeout: float | tuple[float, float] | None = None,
        stream: bool = False,
    ) -> Any:
        """Send a GET and return the urllib3 response (body not read), status 2xx.

        ``timeout``: seconds, or ``(connect, read)``; default ``request_timeout``.
        ``stream=True`` (a watch) sends it on the streams' own connection pool,
        not the one the one-shot GETs share.
        It bounds the whole request: urllib3's own retries are off (they would
        repeat a timed-out read up to 3 times), except one immediate retry when
        a pooled keep-alive connection turns out to be closed by the server.

        Raises :class:`ApiError` (body read and released), :class:`ConnectionFailed`
        (cannot connect) or ``urllib3.exceptions.ReadTimeoutError`` (no answer in time).
        """
        import urllib3

        client = self.api_client
        params = [(k, v) for k, v in (query or {}).items() if v is not None and v != ""]
        method, url, headers, _body, _post = client.param_serialize(
            "GET",
            path,
            query_params=params,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        t = self.request_timeout if timeout is None else timeout
        connect, read = t if isinstance(t, tuple) else (t, t)
        pool = self._pool_for_streams() if stream else client.rest_client.pool_manager
        failure: BaseException | None = None
        for attempt in (1, 2):
            try:
                resp = pool.request(
                    method,
                    url,
                    fields={},
                    headers=headers,
                    timeout=urllib3.Timeout(connect=connect, read=read),
                    retries=False,
                    preload_content=False,
                )
                break
            except urllib3.exceptions.ReadTimeoutError:
                raise
            except urllib3.exceptions.ProtocolError as exc:
                # the server closed a pooled connection as we reused it (its
                # restart, idle close): a fresh connection answers at once
                if attempt == 1:
                    log.debug("GET %s: %s; retrying on a new connection", path, type(exc).__name__)
                    continue
                failure = _strip(exc)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                # connection refused, connect timeout, TLS failure
                failure = _strip(exc)
            break
        if failure is not None:  # raised outside the except: no __context__ kept
            raise ConnectionFailed(self.host) from failure
        if not 200 <= resp.status <= 299:
            try:
                body = resp.data
            finally:
                resp.release_conn()
            raise api_error(resp.status, body, dict(resp.headers))
        return resp

    def get_json(
        self,
        path: str,
        query: Mapping[str, Any] | None = None,
        *,
        timeout: float | tuple[float, float] | None = None,
    ) -> dict[str, Any]:
        """GET ``path`` and decode its JSON body (``timeout`` as in :meth:`open`;
        no answer in time raises :class:`ConnectionFailed`).

        Example::

            t.get_json("/api/v1/namespaces/default/pods", {"labelSelector": "app=web"})
        """
        import urllib3

        t = self.request_timeout if timeout is None else timeout
        whole = t[1] if isinstance(t, tuple) else t
        start = time.monotonic()
        if not self._slots.acquire(timeout=whole):
            raise ConnectionFailed(self.host) from TimeoutError("no free pooled connection")
        failure: BaseException | None = None
        try:
            # the time spent queueing counts against the request's own bound
            left = max(whole - (time.monotonic() - start), 0.001)
            rest = (min(t[0], left), left) if isinstance(t, tuple) else left
            resp = self.open(path, query, timeout=rest)
            try:
                data = resp.data
            finally:
                resp.release_conn()
        except (ApiError, ConnectionFailed):
            raise  # some are OSErrors too (PermissionError, ConnectionError)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # read timeouts (headers or body), a connection cut mid-body
            failure = _strip(exc)
        finally:
            self._slots.release()
        if failure is not None:  # raised outside the except: no __context__ kept
            raise ConnectionFailed(self.host) from failure
        try:
            doc = loads(data)  # the watch lines' decoder (orjson when installed)
        except MalformedLine:
            raise ApiError(resp.status, "InternalError", f"malformed JSON from {path}") from None
        if not isinstance(doc, dict):
            raise ApiError(resp.status, "InternalError", f"unexpected JSON from {path}")
        return doc


def _strip(exc: BaseException) -> BaseException:
    """A detached copy of a urllib3 error for ``__cause__``: its text and class
    name only. The original's traceback and attributes (``.conn``, ``.pool``)
    would pin the pool's connections and sockets for as long as a caller keeps
    the exception. urllib3's text holds host and URL, never credentials (auth
    is in headers)."""
    return ConnectionError(f"{type(exc).__name__}: {exc}")
