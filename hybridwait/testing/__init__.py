"""Test helpers: :class:`FakeClock` (drives timing code without sleeping),
:class:`FakeAPIServer` (an embedded Kubernetes API emulator, loaded lazily
because it imports the ``kubernetes`` client) and :class:`ClusterSettings` /
:class:`Span` (its simulated control plane, ``FakeAPIServer(cluster=...)``).

Example::

    from hybridwait.testing import ClusterSettings, FakeAPIServer, FakeClock

    clock = FakeClock()
    with FakeAPIServer() as srv:
        print(srv.url, srv.kubeconfig)
    with FakeAPIServer(cluster=ClusterSettings(time_scale=60)) as srv:
        ...   # Deployments roll out, pods become Ready, Jobs complete
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hybridwait.testing.fakeclock import FakeClock

if TYPE_CHECKING:
    from hybridwait.testing.apiserver import FakeAPIServer as FakeAPIServer
    from hybridwait.testing.cluster import ClusterSettings as ClusterSettings
    from hybridwait.testing.cluster import Span as Span

__all__ = ["ClusterSettings", "FakeAPIServer", "FakeClock", "Span"]


def __getattr__(name: str) -> Any:
    """Load the API emulator and its control plane on first use (PEP 562)."""
    if name == "FakeAPIServer":
        from hybridwait.testing.apiserver import FakeAPIServer

        globals()[name] = FakeAPIServer
        return FakeAPIServer
    if name in ("ClusterSettings", "Span"):
        from hybridwait.testing import cluster

        value = getattr(cluster, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hybridwait.testing' has no attribute {name!r}")
