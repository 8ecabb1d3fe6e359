"""An in-memory Kubernetes API server emulator that real clients accept.

``FakeAPIServer`` speaks the Kubernetes REST protocol (discovery, CRUD,
list/watch with etcd-like resourceVersions, ``metav1.Status`` errors) on
``127.0.0.1``, for ``kubectl`` and the official ``kubernetes`` client alike.
See docs/testing.md.

Example::

    from hybridwait.testing.apiserver import FakeAPIServer

    with FakeAPIServer() as srv:
        srv.faults.fail_next(1, status=429, retry_after=1)
"""

from __future__ import annotations

from hybridwait.testing.apiserver.errors import StatusError
from hybridwait.testing.apiserver.faults import Faults
from hybridwait.testing.apiserver.handler import MAX_BODY_BYTES
from hybridwait.testing.apiserver.records import RequestRecord
from hybridwait.testing.apiserver.server import FakeAPIServer

__all__ = ["MAX_BODY_BYTES", "FakeAPIServer", "Faults", "RequestRecord", "StatusError"]
