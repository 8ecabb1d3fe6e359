"""A burst of direct GETs (every wait polling the API, as when the watch is down)
reuses the client's pooled connections: no surplus sockets opened and discarded,
so no "Connection pool is full" warning floods a controller's log."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from hybridwait import Engine
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
