"""Leak checks: after ``Engine.close()`` no hybridwait thread, no socket to the
emulator and no file descriptor remains; memory over 10 rounds is flat."""

from __future__ import annotations

import gc
import threading
import time
import tracemalloc
from typing import Any

import pytest
from kubernetes import client

from hybridwait import Engine, WaitTimeout
from hybridwait.testing import FakeAPIServer
from tests.reliability import procstat


def _pods(srv: FakeAPIServer, names: list[str]) -> Any:
    v1 = client.CoreV1Api(srv.api_client())
    for n in names:
        v1.create_namespaced_pod("default", {"metadata": {"name": n},
                                             "spec": {"containers": [{"name": "c", "image": "x"}]}})
    return v1


def _ready(v1: Any, name: str, status: str) -> None:
    v1.patch_namespaced_pod_status(
        name, "default", {"status": {"conditions": [{"type": "Ready", "status": status}]}})


def _round(srv: FakeAPIServer, v1: Any, names: list[str], fault: bool) -> None:
    """One engine lifetime: waits on narrow and wide watches, a fault, close()."""
    for n in names:
        _ready(v1, n, "False")
    eng = Engine(kubeconfig=srv.kubeconfig, poll_interval=0.5, stall_timeout=1.0,
                 watch_linger=0.2)
    errors: list[BaseException] = []

    def wait(n: str, timeout: float) -> None:
        try:
            eng.wait(f"pod/{n}", for_="condition=Ready", timeout=timeout)
        except WaitTimeout:
            pass
        except BaseException as exc:
            errors.append(exc)

    try:
        eng.wait(f"pod/{names[0]}", for_="create", timeout=5)  # a narrow watch first
        threads = [threading.Thread(target=wait, args=(n, 1.0 if i % 4 == 3 else 10.0))
                   for i, n in enumerate(names)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        if fault:
            srv.faults.drop_watches()
            srv.faults.stall_watches(0.5)
        for i, n in enumerate(names):
            if i % 4 != 3:
                _ready(v1, n, "True")
        for t in threads:
            t.join(20)
        assert not errors, errors
        srv.faults.stall_watches(30)  # close() must also cut a silent stream
        time.sleep(0.1)
        t = threading.Thread(target=wait, args=(names[3], 30.0))  # a wait cut by close()
        t.start()
        time.sleep(0.2)
    finally:
        eng.close()
        srv.faults.clear()
    t.join(3)
    assert not t.is_alive()


def test_close_leaves_no_thread_socket_or_fd() -> None:
    with FakeAPIServer(bookmark_interval=0.5) as srv:
        names = [f"p{i}" for i in range(12)]
        v1 = _pods(srv, names)
        v1.api_client.close()  # only the engine's own client talks to the server now
        base_fds = procstat.fd_count()
        _round(srv, client.CoreV1Api(srv.api_client()), names, fault=True)
        assert procstat.settle(procstat.hybridwait_threads, lambda v: not v, 2.5) == []
        srv_v1 = [c for c in srv._clients]
        for c in srv_v1:  # the test's own writer client
            c.close()
        assert procstat.settle(lambda: procstat.client_sockets_to(srv.port),
                               lambda v: v == 0, 2.5) == 0
        fds = procstat.settle(procstat.fd_count, lambda v: v <= base_fds, 2.5)
        assert fds <= base_fds, f"{fds} fds open, {base_fds} before"


@pytest.mark.timeout(240)
def test_memory_flat_over_ten_rounds() -> None:
    """Ten engine lifetimes (waits, faults, close): traced memory after round 3
    and after round 10 differ by less than noise (256 KiB). The emulator keeps
    only 20 events of history, so its own bounded state is full after round 1."""
    with FakeAPIServer(bookmark_interval=0.5, history=20) as srv:
        names = [f"p{i}" for i in range(12)]
        v1 = _pods(srv, names)
        tracemalloc.start()
        try:
            sizes = []
            for i in range(10):
                _round(srv, v1, names, fault=i % 2 == 0)
                srv.reset_requests()  # the emulator's bounded request log is not ours
                assert procstat.settle(procstat.hybridwait_threads, lambda v: not v, 2.5) == []
                gc.collect()
                sizes.append(tracemalloc.get_traced_memory()[0])
        finally:
            tracemalloc.stop()
        growth = sizes[-1] - sizes[2]
        print("traced KiB per round:", [s // 1024 for s in sizes])
        assert growth < 256 * 1024, [s // 1024 for s in sizes]
