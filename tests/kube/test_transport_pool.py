"""A burst of direct GETs (every wait polling the API, as when the watch is down)
reuses the client's pooled connections: no surplus sockets opened and discarded,
so no "Connection pool is full" warning floods a controller's log."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from hybridwait import Engine
from hybridwait.core.errors import Canceled
from tests.kube.conftest import Kube


def test_polling_burst_stays_within_the_connection_pool(
    fake_apiserver: Any, kube: Kube, caplog: pytest.LogCaptureFixture
) -> None:
    names = [f"p{i}" for i in range(60)]
    for n in names:
        kube.pod(n)
    api = fake_apiserver.api_client()
    pool_size = api.configuration.connection_pool_maxsize
    assert len(names) > 3 * pool_size  # a real burst for this pool
    errors: list[BaseException] = []
    with caplog.at_level(logging.WARNING, logger="urllib3"), Engine(
        api_client=api, poll_interval=0.05, watch=False
    ) as eng:

        def wait(name: str) -> None:
            try:
                eng.wait(f"pod/{name}", for_="condition=Ready", timeout=30)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=wait, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for n in names:
            kube.ready(n)
        for t in threads:
            t.join(30)
    assert not errors
    assert not any(t.is_alive() for t in threads)
    full = [r for r in caplog.records if "pool is full" in r.getMessage()]
    assert not full, f"{len(full)} pooled connections discarded"
    assert eng.stats()["direct_gets"] >= len(names)


def _until(cond: Callable[[], bool], within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_reopened_watches_do_not_overflow_the_get_pool(
    fake_apiserver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Watch streams have their own connections: 12 narrow watches on a client
    whose pool keeps 10, cut and re-opened several times, discard none."""
    from kubernetes import client

    srv = fake_apiserver
    setup = srv.api_client()
    v1 = client.CoreV1Api(setup)
    spaces = [f"n{i}" for i in range(12)]
    for ns in spaces:
        v1.create_namespace({"metadata": {"name": ns}})
        v1.create_namespaced_config_map(ns, {"metadata": {"name": "c"}})
    cfg = client.Configuration()
    cfg.host = srv.url
    cfg.connection_pool_maxsize = 10  # the kubernetes client's default on a 2-core machine
    api = client.ApiClient(configuration=cfg)
    stop = threading.Event()
    errors: list[BaseException] = []
    drops: list[int] = []
    try:
        with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"), Engine(
            api_client=api, poll_interval=5
        ) as eng:

            def wait(ns: str) -> None:
                try:
                    eng.wait("configmap/c", for_="jsonpath={.data.x}=1", namespace=ns, ctx=stop)
                except Canceled:
                    pass
                except BaseException as exc:  # reported below
                    errors.append(exc)

            threads = [threading.Thread(target=wait, args=(ns,)) for ns in spaces]
            for t in threads:
                t.start()
            try:
                assert _until(lambda: srv.watch_count() >= len(spaces))
                for _ in range(5):
                    drops.append(srv.faults.drop_watches())
                    assert _until(lambda: srv.watch_count() >= len(spaces))
            finally:
                stop.set()
                for t in threads:
                    t.join(30)
    finally:
        api.close()
        setup.close()
    assert not errors
    assert not any(t.is_alive() for t in threads)
    assert all(n >= len(spaces) for n in drops), drops  # every watch was cut each time
    full = [r for r in caplog.records if "pool is full" in r.getMessage()]
    assert not full, f"{len(full)} pooled connections discarded"
