"""``FakeAPIServer``: lifecycle (start/stop/restart), kubeconfig, clients.

Example::

    from hybridwait.testing import FakeAPIServer

    with FakeAPIServer() as srv:
        v1 = kubernetes.client.CoreV1Api(srv.api_client())
        v1.list_namespaced_pod("default")
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

import yaml

from hybridwait.testing.apiserver.api import Api
from hybridwait.testing.apiserver.faults import Faults
from hybridwait.testing.apiserver.handler import ApiHTTPServer, App
from hybridwait.testing.apiserver.records import RequestLog, RequestRecord
from hybridwait.testing.apiserver.resources import Registry
from hybridwait.testing.apiserver.store import Store
from hybridwait.testing.apiserver.watch import WatchContext

if TYPE_CHECKING:
    from hybridwait.testing.cluster import ClusterSettings, ControlPlane

HOST = "127.0.0.1"


class FakeAPIServer:
    """An in-memory Kubernetes API server on ``127.0.0.1`` (see docs/testing.md).

    Keyword options: ``port`` (0 = a free port), ``bookmark_interval`` (seconds
    between BOOKMARK events on watches that asked for them), ``history`` (events
    kept for resuming watches; older resourceVersions get 410), ``kubeconfig``
    (where to write the kubeconfig; default a private temporary file),
    ``cluster`` (``True`` or a :class:`~hybridwait.testing.cluster.ClusterSettings`:
    run the simulated control plane, reached through :attr:`cluster`; off by
    default, so the store only changes when a client writes).

    Example::

        with FakeAPIServer(bookmark_interval=1.0) as srv:
            print(srv.url, srv.kubeconfig)
            srv.faults.drop_watches()
            srv.request_counts()      # {"discovery": 3, "list": 1, "watch": 2}
    """

    def __init__(self, *, port: int = 0, bookmark_interval: float = 60.0,
                 history: int = 10_000, kubeconfig: str | os.PathLike[str] | None = None,
                 cluster: bool | ClusterSettings | None = None) -> None:
        if bookmark_interval <= 0:
            raise ValueError("bookmark_interval must be > 0")
        self._port = port
        self.store = Store(history)
        self.registry = Registry()
        self.api = Api(self.store, self.registry)
        self.faults = Faults(self.store)
        self._log = RequestLog()
        self._stopping = threading.Event()
        self._watch = WatchContext(self.store, self.faults, self._stopping, bookmark_interval)
        self._app = App(self.api, self.faults, self._log, self._watch)
        self._httpd: ApiHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._kubeconfig_path = os.fspath(kubeconfig) if kubeconfig is not None else None
        self._tmpdir: str | None = None
        self._clients: list[Any] = []
        self._cluster: ControlPlane | None = None
        if cluster:
            from hybridwait.testing.cluster import ClusterSettings, ControlPlane

            settings = cluster if isinstance(cluster, ClusterSettings) else ClusterSettings()
            self._cluster = ControlPlane(self.api, settings)

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeAPIServer:
        """Bind and serve (idempotent); write the kubeconfig. Returns ``self``."""
        with self._lock:
            if self._httpd is not None:
                return self
            # A fresh stop flag per generation: threads of a previous generation
            # (before a restart) keep seeing theirs set.
            self._stopping = threading.Event()
            self._watch.stopping = self._stopping
            httpd = ApiHTTPServer((HOST, self._port), self._app)
            self._port = httpd.server_address[1]
            self._httpd = httpd
            self._thread = threading.Thread(
                target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                name=f"hybridwait-apiserver-{self._port}", daemon=True)
            self._thread.start()
            self._write_kubeconfig()
            if self._cluster is not None:
                self._cluster.start()
        return self

    def stop(self) -> None:
        """Stop serving: cut every connection and join every thread (idempotent)."""
        with self._lock:
            if self._cluster is not None:
                self._cluster.stop()
            self._stop_locked()
            for c in self._clients:
                try:
                    c.close()
                except Exception:  # noqa: S112 - closing a client pool is best effort
                    continue
            self._clients.clear()
            if self._tmpdir is not None:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
                if self._kubeconfig_path is not None and self._kubeconfig_path.startswith(
                        os.path.join(self._tmpdir, "")):
                    self._kubeconfig_path = None  # a later start() writes a new one
                self._tmpdir = None

    close = stop

    def _stop_locked(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        self.store.notify_all()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join(2.0)
        self._httpd = self._thread = None

    def restart(self, keep_state: bool = True) -> None:
        """Stop and start again on the same port. ``keep_state=False`` empties the
        store (CRDs too); resourceVersions then jump ahead and are never reused."""
        with self._lock:
            self._stop_locked()
            if not keep_state and self._cluster is not None:
                self._cluster.stop()  # started again, on the empty store, by start()
        if not keep_state:
            self.store.reset()
            self.registry.reset()
            self.api.seed_namespaces()
        self.start()

    def __enter__(self) -> FakeAPIServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._httpd is not None else "stopped"
        return f"<FakeAPIServer {self.url} {state}>"

    @property
    def cluster(self) -> ControlPlane:
        """The simulated control plane (``FakeAPIServer(cluster=True)``): its
        settings, workload faults (``crash_loop``, ``image_pull_error``,
        ``never_ready``, ``unschedulable``, ``fail_node``, ``clear``) and threads."""
        if self._cluster is None:
            raise RuntimeError("the simulated control plane is off: start the server with "
                               "FakeAPIServer(cluster=True)")
        return self._cluster

    # -- addresses and clients -------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port (0 before the first start with ``port=0``)."""
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{HOST}:{self._port}"

    @property
    def kubeconfig(self) -> str:
        """Path of a kubeconfig file pointing at this server (written at start)."""
        if self._kubeconfig_path is None:
            raise RuntimeError("the server has not been started")
        return self._kubeconfig_path

    def kubeconfig_dict(self) -> dict[str, Any]:
        """The kubeconfig as a dict (context ``hybridwait-fake``, namespace ``default``)."""
        name = "hybridwait-fake"
        return {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": name, "cluster": {"server": self.url}}],
            "users": [{"name": name, "user": {}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name,
                                                    "namespace": "default"}}],
            "current-context": name,
        }

    def _write_kubeconfig(self) -> None:
        if self._kubeconfig_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="hybridwait-apiserver-")
            self._kubeconfig_path = os.path.join(self._tmpdir, "kubeconfig")
        tmp = self._kubeconfig_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            yaml.safe_dump(self.kubeconfig_dict(), f, sort_keys=False)
        os.replace(tmp, self._kubeconfig_path)

    def api_client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` for this server (closed by :meth:`stop`)."""
        from kubernetes import client

        cfg = client.Configuration()
        cfg.host = self.url
        api = client.ApiClient(configuration=cfg)
        with self._lock:
            self._clients.append(api)
        return api

    # -- observability ---------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        """The most recent requests (up to 10,000), oldest first."""
        return self._log.records()

    def request_counts(self) -> dict[str, int]:
        """``{verb: count}`` since start or the last :meth:`reset_requests`."""
        return self._log.counts()

    def reset_requests(self) -> None:
        """Forget request records and counters."""
        self._log.reset()

    def connection_count(self) -> int:
        """Open client connections (0 when stopped)."""
        httpd = self._httpd
        return httpd.connection_count() if httpd is not None else 0

    def watch_count(self) -> int:
        """Open watch streams."""
        return len(self.store.watchers())
