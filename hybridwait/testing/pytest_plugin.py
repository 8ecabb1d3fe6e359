"""pytest plugin (entry point ``pytest11: hybridwait``): the ``fake_apiserver`` fixture.

Each test gets its own :class:`~hybridwait.testing.FakeAPIServer` (cheap: one
listening thread), stopped with all its threads at teardown.

Example::

    def test_pod_becomes_ready(fake_apiserver):
        from kubernetes import client
        v1 = client.CoreV1Api(fake_apiserver.api_client())
        v1.create_namespaced_pod("default", {"metadata": {"name": "web"}})
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hybridwait.testing.apiserver import FakeAPIServer


@pytest.fixture
def fake_apiserver() -> Iterator[FakeAPIServer]:
    """A running in-memory Kubernetes API server, stopped after the test.

    Example::

        def test_list(fake_apiserver):
            assert fake_apiserver.url.startswith("http://127.0.0.1:")
    """
    from hybridwait.testing.apiserver import FakeAPIServer

    with FakeAPIServer() as srv:
        yield srv
