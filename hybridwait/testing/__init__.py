"""Test helpers: :class:`FakeClock` (drives timing code without sleeping) and
:class:`FakeAPIServer` (an embedded Kubernetes API emulator, loaded lazily
because it imports the ``kubernetes`` client).

Example::

    from hybridwait.testing import FakeClock, FakeAPIServer

    clock = FakeClock()
    with FakeAPIServer() as srv:
        print(srv.url, srv.kubeconfig)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hybridwait.testing.fakeclock import FakeClock

if TYPE_CHECKING:
    from hybridwait.testing.apiserver import FakeAPIServer as FakeAPIServer

__all__ = ["FakeAPIServer", "FakeClock"]


def __getattr__(name: str) -> Any:
    """Load the API emulator on first use (PEP 562)."""
    if name == "FakeAPIServer":
        from hybridwait.testing.apiserver import FakeAPIServer

        globals()[name] = FakeAPIServer
        return FakeAPIServer
    raise AttributeError(f"module 'hybridwait.testing' has no attribute {name!r}")
